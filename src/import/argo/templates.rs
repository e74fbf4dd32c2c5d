//! Which template a name or reference means: templates by name in a scope (the `templates`
//! arrays visible to a call), `templateRef` to a WorkflowTemplate or ClusterWorkflowTemplate
//! among all given documents, and `workflowTemplateRef`, whose spec is layered under the
//! workflow's own fields.
//!
//! Only documents given to the import (inputs and `library` files) are searched: nothing is
//! fetched from a cluster, and an unresolved reference is reported by the caller (a
//! `templateRef` becomes a placeholder pod, a `workflowTemplateRef` refuses the workflow).

use super::super::locate::Seg;
use super::{At, Conv, Corpus};
use crate::scenario::diag::Diagnostic;
use serde_json::Value;
use std::collections::BTreeMap;

/// The spec layers of a workflow: its own `spec`, then the spec of the WorkflowTemplate its
/// `workflowTemplateRef` names. Returns the layers, the WorkflowTemplate submitted from
/// (`submit_as`, else the reference) and the referenced spec's JSON size; `Err` when the
/// reference is not among the given files.
pub(super) fn spec_layers<'c>(
    c: &'c Corpus,
    spec: &At<'c>,
    submit_as: Option<&str>,
) -> Result<(Vec<At<'c>>, Option<String>, usize), Box<Diagnostic>> {
    let mut layers = vec![spec.clone()];
    let mut wtr = submit_as.map(str::to_string);
    let mut extra_bytes = 0usize;
    if let Some(r) = spec.get("workflowTemplateRef") {
        let name = r.get("name").and_then(|n| n.text()).unwrap_or_default();
        let cluster = r
            .get("clusterScope")
            .is_some_and(|x| x.v == &Value::Bool(true));
        let map = if cluster { &c.cwftmpl } else { &c.wftmpl };
        match map.get(&name).and_then(|&d| c.root(d).get("spec")) {
            Some(ts) => {
                extra_bytes = serde_json::to_vec(ts.v).map_or(0, |v| v.len());
                layers.push(ts);
                wtr = Some(name);
            }
            None => {
                return Err(Box::new(c.diag(
                    &r,
                    format!(
                        "workflowTemplateRef: {} {name:?} is not among the given files; pass the file that defines it",
                        if cluster { "ClusterWorkflowTemplate" } else { "WorkflowTemplate" }
                    ),
                    None,
                )));
            }
        }
    }
    Ok((layers, wtr, extra_bytes))
}

impl<'c> Conv<'c> {
    /// A template by name in the given scope (each entry a `templates` array).
    pub(super) fn find_template(&mut self, scope: &[At<'c>], name: &str) -> Option<At<'c>> {
        for layer in scope {
            let key = (layer.doc, layer.path.clone());
            let index = self.tmpl_index.entry(key).or_insert_with(|| {
                let mut m = BTreeMap::new();
                for (i, t) in layer.v.as_array().into_iter().flatten().enumerate() {
                    if let Some(n) = t.get("name").and_then(Value::as_str) {
                        m.entry(n).or_insert(i);
                    }
                }
                m
            });
            if let Some(&i) = index.get(name) {
                let mut path = layer.path.clone();
                path.push(Seg::Index(i));
                return Some(At {
                    v: &layer.v[i],
                    doc: layer.doc,
                    path,
                });
            }
        }
        None
    }

    /// `templateRef`: the referenced template, the scope it lives in, the WorkflowTemplate name.
    pub(super) fn resolve_ref(
        &mut self,
        tr: &At<'c>,
    ) -> Result<(At<'c>, Vec<At<'c>>, String), String> {
        let name = tr.get("name").and_then(|n| n.text()).unwrap_or_default();
        let tmpl = tr
            .get("template")
            .and_then(|n| n.text())
            .unwrap_or_default();
        let cluster = tr
            .get("clusterScope")
            .is_some_and(|c| c.v == &Value::Bool(true));
        if name.is_empty() || tmpl.is_empty() {
            return Err("templateRef needs `name` and `template`".into());
        }
        let (map, kind) = if cluster {
            (&self.c.cwftmpl, "ClusterWorkflowTemplate")
        } else {
            (&self.c.wftmpl, "WorkflowTemplate")
        };
        let Some(&doc) = map.get(&name) else {
            let other = if cluster {
                &self.c.wftmpl
            } else {
                &self.c.cwftmpl
            };
            let hint = if other.contains_key(&name) {
                format!(
                    " (a {} of that name is: set clusterScope: {})",
                    if cluster {
                        "WorkflowTemplate"
                    } else {
                        "ClusterWorkflowTemplate"
                    },
                    !cluster
                )
            } else {
                String::new()
            };
            return Err(format!(
                "templateRef: {kind} {name:?} is not among the given files{hint}"
            ));
        };
        let root = self.c.root(doc);
        let scope: Vec<At<'c>> = root
            .get("spec")
            .and_then(|s| s.get("templates"))
            .into_iter()
            .collect();
        match self.find_template(&scope, &tmpl) {
            Some(t) => Ok((t, scope, name)),
            None => Err(format!(
                "templateRef: {kind} {name:?} has no template {tmpl:?}"
            )),
        }
    }
}
