//! The documents of one import, indexed for reference resolution, and [`At`], a position
//! inside one of them.
//!
//! [`Corpus`] indexes WorkflowTemplates, ClusterWorkflowTemplates and ConfigMaps by name (the
//! first definition wins; duplicates are warned) and turns a position into a [`Diagnostic`]
//! with file, line and dotted key. It does not interpret any Argo field: that is the job of
//! the other `argo` modules.

use super::super::locate::{Seg, dotted};
use super::super::yaml::Doc;
use crate::scenario::diag::Diagnostic;
use serde_json::Value;
use std::collections::BTreeMap;

/// All documents of one import, indexed by kind and name.
pub(crate) struct Corpus {
    /// Every document of every input and library file, in input order.
    pub docs: Vec<Doc>,
    /// File names, indexed by `Doc::source`.
    pub names: Vec<String>,
    /// WorkflowTemplates by `metadata.name` (document index).
    pub(super) wftmpl: BTreeMap<String, usize>,
    /// ClusterWorkflowTemplates by `metadata.name`.
    pub(super) cwftmpl: BTreeMap<String, usize>,
    /// ConfigMaps by `metadata.name` (semaphore limits).
    pub(super) configmaps: BTreeMap<String, usize>,
}

/// The document's `kind`, "" when it has none.
pub(crate) fn kind_of(v: &Value) -> &str {
    v.get("kind").and_then(Value::as_str).unwrap_or("")
}

/// The document's `metadata.name`.
pub(crate) fn meta_name(v: &Value) -> Option<&str> {
    v.get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
}

impl Corpus {
    /// Index `docs`; duplicate template names are reported and the first one wins.
    pub(crate) fn new(docs: Vec<Doc>, names: Vec<String>) -> (Corpus, Vec<Diagnostic>) {
        let mut c = Corpus {
            docs,
            names,
            wftmpl: BTreeMap::new(),
            cwftmpl: BTreeMap::new(),
            configmaps: BTreeMap::new(),
        };
        let mut warnings = Vec::new();
        for (i, d) in c.docs.iter().enumerate() {
            let map = match kind_of(&d.value) {
                "WorkflowTemplate" => &mut c.wftmpl,
                "ClusterWorkflowTemplate" => &mut c.cwftmpl,
                "ConfigMap" => &mut c.configmaps,
                _ => continue,
            };
            if let Some(n) = meta_name(&d.value) {
                if map.contains_key(n) {
                    warnings.push(Diagnostic {
                        file: c.names[d.source].clone(),
                        line: Some(
                            d.lines
                                .locate(&[Seg::Key("metadata".into()), Seg::Key("name".into())]),
                        ),
                        column: None,
                        key: Some("metadata.name".into()),
                        message: format!(
                            "{} {n:?} is defined twice; the first definition is used",
                            kind_of(&d.value)
                        ),
                        help: None,
                    });
                } else {
                    map.insert(n.to_string(), i);
                }
            }
        }
        (c, warnings)
    }

    /// A diagnostic at `at`: file, line and dotted key of the position.
    pub(crate) fn diag(&self, at: &At<'_>, message: String, help: Option<String>) -> Diagnostic {
        let d = &self.docs[at.doc];
        Diagnostic {
            file: self.names[d.source].clone(),
            line: Some(d.lines.locate(&at.path)),
            column: None,
            key: (!at.path.is_empty()).then(|| dotted(&at.path)),
            message,
            help,
        }
    }

    /// The root of document `doc`.
    pub(crate) fn root(&self, doc: usize) -> At<'_> {
        At {
            v: &self.docs[doc].value,
            doc,
            path: Vec::new(),
        }
    }
}

/// A value inside a document, with its path (for line numbers).
#[derive(Clone, Debug)]
pub(crate) struct At<'c> {
    /// The value.
    pub v: &'c Value,
    /// Index of its document in [`Corpus::docs`].
    pub doc: usize,
    /// Path from the document root.
    pub path: Vec<Seg>,
}

impl<'c> At<'c> {
    /// Child `k` of a mapping; `None` when absent or null.
    pub(crate) fn get(&self, k: &str) -> Option<At<'c>> {
        let v = self.v.as_object()?.get(k)?;
        if v.is_null() {
            return None;
        }
        let mut path = self.path.clone();
        path.push(Seg::Key(k.to_string()));
        Some(At {
            v,
            doc: self.doc,
            path,
        })
    }
    /// Elements of a sequence (none when it is not one).
    pub(super) fn items(&self) -> Vec<At<'c>> {
        match self.v.as_array() {
            Some(a) => a
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let mut path = self.path.clone();
                    path.push(Seg::Index(i));
                    At {
                        v,
                        doc: self.doc,
                        path,
                    }
                })
                .collect(),
            None => Vec::new(),
        }
    }
    /// A scalar as text (strings, numbers, booleans).
    pub(super) fn text(&self) -> Option<String> {
        match self.v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
    /// Keys of a mapping (none when it is not one).
    pub(super) fn keys(&self) -> Vec<&'c str> {
        self.v
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }
    /// Its `name` field.
    pub(super) fn name(&self) -> Option<&'c str> {
        self.v.get("name").and_then(Value::as_str)
    }
}
