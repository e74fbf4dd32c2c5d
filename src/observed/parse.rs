//! Reading observed runs: JSON (`argo get -o json`, `kubectl get wf,pods -o json`, a JSON
//! array of objects) or YAML (`-o yaml`, several documents), each document a `Workflow`, a
//! `Pod`, or a `List`/`WorkflowList`/`PodList` of them. Other kinds are skipped with a warning;
//! a Workflow or Pod without what the fits need (creation time, `status.nodes`) is refused,
//! naming the file, the item and the missing key.

use super::{ContainerRun, NodeType, ObservedNode, ObservedPod, ObservedWorkflow, parse_rfc3339};
use crate::scenario::diag::Diagnostic;
use serde_json::Value;
use std::cell::Cell;
use std::path::Path;

/// Largest JSON file read (a `kubectl get wf -o json` of a busy week is large; YAML inputs
/// keep the importer's 10 MiB limit and alias budget).
pub const MAX_JSON_BYTES: u64 = 512 << 20;

/// Workflows and pods read from files, with what was skipped.
#[derive(Debug, Clone, Default)]
pub struct ObservedInput {
    /// Workflows, sorted by creation time then name.
    pub workflows: Vec<ObservedWorkflow>,
    /// Pods, in input order.
    pub pods: Vec<ObservedPod>,
    /// Documents skipped (other kinds), with file and item.
    pub warnings: Vec<Diagnostic>,
}

fn diag(file: &str, key: Option<String>, message: String) -> Box<Diagnostic> {
    Box::new(Diagnostic {
        file: file.to_string(),
        line: None,
        column: None,
        key,
        message,
        help: None,
    })
}

/// Read every file (workflows and pods may be mixed).
pub fn read_files(paths: &[std::path::PathBuf]) -> Result<ObservedInput, Box<Diagnostic>> {
    let mut out = ObservedInput::default();
    for p in paths {
        let text = read(p)?;
        parse_text(&p.display().to_string(), &text, &mut out)?;
    }
    out.workflows.sort_by(|a, b| {
        a.created_s
            .total_cmp(&b.created_s)
            .then_with(|| a.name.cmp(&b.name))
    });
    Ok(out)
}

fn read(p: &Path) -> Result<String, Box<Diagnostic>> {
    crate::input::read_text(p, MAX_JSON_BYTES, "Workflow/Pod objects")
        .map_err(|e| diag(&p.display().to_string(), None, e.to_string()))
}

/// Parse one file's text into `out`.
pub fn parse_text(file: &str, text: &str, out: &mut ObservedInput) -> Result<(), Box<Diagnostic>> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    let docs: Vec<Value> = if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let v: Value = serde_json::from_str(trimmed).map_err(|e| {
            Box::new(Diagnostic {
                file: file.to_string(),
                line: Some(e.line()),
                column: Some(e.column()),
                key: None,
                message: format!("not valid JSON: {e}"),
                help: None,
            })
        })?;
        vec![v]
    } else {
        let budget = Cell::new(crate::import::MAX_NODES);
        crate::import::load_yaml_values(file, text, &budget)?
    };
    for (d, doc) in docs.into_iter().enumerate() {
        let at = if d == 0 {
            String::new()
        } else {
            format!("document {d}")
        };
        walk(file, &at, doc, out)?;
    }
    Ok(())
}

fn walk(file: &str, at: &str, v: Value, out: &mut ObservedInput) -> Result<(), Box<Diagnostic>> {
    let join = |i: usize| {
        if at.is_empty() {
            format!("items[{i}]")
        } else {
            format!("{at}.items[{i}]")
        }
    };
    match v {
        Value::Null => Ok(()),
        Value::Array(items) => {
            for (i, item) in items.into_iter().enumerate() {
                walk(file, &join(i), item, out)?;
            }
            Ok(())
        }
        Value::Object(mut m) => {
            let kind = m
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let here = match (at.is_empty(), kind.is_empty()) {
                (false, _) => at.to_string(),
                (true, false) => kind.clone(),
                (true, true) => "document".to_string(),
            };
            // A Workflow dumped without its type fields (as the controller's own test data
            // is) still has its metadata and status nodes.
            let workflow_like = kind.is_empty()
                && m.get("status").and_then(|s| s.get("nodes")).is_some()
                && m.get("metadata").is_some();
            match kind.as_str() {
                _ if workflow_like => {
                    let wf = workflow(file, &here, &Value::Object(m))?;
                    out.workflows.push(wf);
                    Ok(())
                }
                "Workflow" => {
                    let wf = workflow(file, &here, &Value::Object(m))?;
                    out.workflows.push(wf);
                    Ok(())
                }
                "Pod" => {
                    let pod = pod(file, &here, &Value::Object(m))?;
                    out.pods.push(pod);
                    Ok(())
                }
                k if k == "List"
                    || k.ends_with("List")
                    || (k.is_empty() && m.contains_key("items")) =>
                {
                    match m.remove("items") {
                        Some(Value::Array(items)) => {
                            for (i, item) in items.into_iter().enumerate() {
                                walk(file, &join(i), item, out)?;
                            }
                            Ok(())
                        }
                        Some(Value::Null) | None => Ok(()),
                        Some(_) => Err(diag(
                            file,
                            Some(format!("{here}.items")),
                            "`items` is not a list".into(),
                        )),
                    }
                }
                "" => Err(diag(
                    file,
                    Some(here),
                    "an object without `kind`: expected a Workflow, a Pod or a List of them".into(),
                )),
                other => {
                    out.warnings.push(*diag(
                        file,
                        Some(here),
                        format!("skipped a {other}: only Workflow and Pod objects are read here"),
                    ));
                    Ok(())
                }
            }
        }
        _ => Err(diag(
            file,
            Some(at.to_string()),
            "expected a Workflow, a Pod or a List of them".into(),
        )),
    }
}

fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

fn text(v: &Value, path: &[&str]) -> String {
    get(v, path)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

/// A timestamp at `path`: `Ok(None)` when absent or null, an error naming the key when it is
/// there but not RFC 3339.
fn time(file: &str, at: &str, v: &Value, path: &[&str]) -> Result<Option<f64>, Box<Diagnostic>> {
    match get(v, path) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => parse_rfc3339(s).map(Some).ok_or_else(|| {
            diag(
                file,
                Some(format!("{at}.{}", path.join("."))),
                format!("`{s}` is not an RFC 3339 timestamp (e.g. 2024-05-01T10:22:43Z)"),
            )
        }),
        Some(other) => Err(diag(
            file,
            Some(format!("{at}.{}", path.join("."))),
            format!("expected a timestamp string, found {other}"),
        )),
    }
}

fn required_time(
    file: &str,
    at: &str,
    v: &Value,
    path: &[&str],
    what: &str,
) -> Result<f64, Box<Diagnostic>> {
    time(file, at, v, path)?.ok_or_else(|| {
        diag(
            file,
            Some(format!("{at}.{}", path.join("."))),
            format!("missing: {what} needs `{}`", path.join(".")),
        )
    })
}

fn name_of(v: &Value) -> String {
    text(v, &["metadata", "name"])
}

fn workflow(file: &str, at: &str, v: &Value) -> Result<ObservedWorkflow, Box<Diagnostic>> {
    let name = name_of(v);
    let at = if name.is_empty() {
        at.to_string()
    } else {
        format!("{at} {name}")
    };
    if name.is_empty() {
        return Err(diag(
            file,
            Some(format!("{at}.metadata.name")),
            "missing: a Workflow needs `metadata.name`".into(),
        ));
    }
    let created = required_time(
        file,
        &at,
        v,
        &["metadata", "creationTimestamp"],
        "a Workflow",
    )?;
    let status = get(v, &["status"]);
    let Some(nodes_v) = status
        .and_then(|s| s.get("nodes"))
        .and_then(Value::as_object)
    else {
        let why = if status
            .and_then(|s| s.get("offloadNodeStatusVersion"))
            .is_some()
        {
            "its status.nodes were offloaded to the persistence database (nodeStatusOffLoad): read it with `argo get -o json`, which fetches them"
        } else {
            "no `status.nodes`: the workflow never ran, or this is a spec without status"
        };
        return Err(diag(
            file,
            Some(format!("{at}.status.nodes")),
            format!("missing: {why}"),
        ));
    };
    let mut nodes = Vec::with_capacity(nodes_v.len());
    for (id, n) in nodes_v {
        let nat = format!("{at}.status.nodes.{id}");
        let template = match text(n, &["templateName"]) {
            t if t.is_empty() => text(n, &["templateRef", "template"]),
            t => t,
        };
        nodes.push(ObservedNode {
            id: id.clone(),
            name: text(n, &["name"]),
            display_name: text(n, &["displayName"]),
            node_type: NodeType::parse(get(n, &["type"]).and_then(Value::as_str).unwrap_or("")),
            template,
            phase: text(n, &["phase"]),
            started_s: time(file, &nat, n, &["startedAt"])?,
            finished_s: time(file, &nat, n, &["finishedAt"])?,
            host: text(n, &["hostNodeName"]),
            message: text(n, &["message"]),
            progress: text(n, &["progress"]),
            children: get(n, &["children"])
                .and_then(Value::as_array)
                .map(|c| {
                    c.iter()
                        .filter_map(Value::as_str)
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default(),
            boundary: text(n, &["boundaryID"]),
        });
    }
    nodes.sort_by(|a, b| a.id.cmp(&b.id));
    let mut template_ref = text(v, &["spec", "workflowTemplateRef", "name"]);
    if template_ref.is_empty() {
        template_ref = text(
            v,
            &[
                "metadata",
                "labels",
                "workflows.argoproj.io/workflow-template",
            ],
        );
    }
    Ok(ObservedWorkflow {
        name,
        namespace: text(v, &["metadata", "namespace"]),
        generate_name: text(v, &["metadata", "generateName"]),
        template_ref,
        created_s: created,
        started_s: time(file, &at, v, &["status", "startedAt"])?,
        finished_s: time(file, &at, v, &["status", "finishedAt"])?,
        phase: text(v, &["status", "phase"]),
        message: text(v, &["status", "message"]),
        progress: text(v, &["status", "progress"]),
        nodes,
        source: format!("{file}:{at}"),
    })
}

fn container(
    file: &str,
    at: &str,
    v: &Value,
    list: &str,
    name: &str,
) -> Result<ContainerRun, Box<Diagnostic>> {
    let Some(c) = get(v, &["status", list])
        .and_then(Value::as_array)
        .and_then(|cs| {
            cs.iter()
                .find(|c| c.get("name").and_then(Value::as_str) == Some(name))
        })
    else {
        return Ok(ContainerRun::default());
    };
    let cat = format!("{at}.status.{list}[{name}]");
    let term = get(c, &["state", "terminated"]);
    let started = match term {
        Some(t) => time(file, &cat, t, &["startedAt"])?,
        None => time(file, &cat, c, &["state", "running", "startedAt"])?,
    };
    Ok(ContainerRun {
        started_s: started,
        finished_s: match term {
            Some(t) => time(file, &cat, t, &["finishedAt"])?,
            None => None,
        },
        exit_code: term.and_then(|t| t.get("exitCode")).and_then(Value::as_i64),
    })
}

fn condition(file: &str, at: &str, v: &Value, kind: &str) -> Result<Option<f64>, Box<Diagnostic>> {
    let Some(c) = get(v, &["status", "conditions"])
        .and_then(Value::as_array)
        .and_then(|cs| {
            cs.iter()
                .find(|c| c.get("type").and_then(Value::as_str) == Some(kind))
        })
    else {
        return Ok(None);
    };
    if c.get("status").and_then(Value::as_str) != Some("True") {
        return Ok(None);
    }
    time(
        file,
        &format!("{at}.status.conditions[{kind}]"),
        c,
        &["lastTransitionTime"],
    )
}

fn pod(file: &str, at: &str, v: &Value) -> Result<ObservedPod, Box<Diagnostic>> {
    let name = name_of(v);
    let at = if name.is_empty() {
        at.to_string()
    } else {
        format!("{at} {name}")
    };
    let workflow = text(v, &["metadata", "labels", "workflows.argoproj.io/workflow"]);
    if workflow.is_empty() {
        return Err(diag(
            file,
            Some(format!("{at}.metadata.labels")),
            "missing: a pod of a workflow has the label `workflows.argoproj.io/workflow` (select pods with `-l workflows.argoproj.io/workflow`)".into(),
        ));
    }
    Ok(ObservedPod {
        created_s: required_time(file, &at, v, &["metadata", "creationTimestamp"], "a Pod")?,
        name,
        namespace: text(v, &["metadata", "namespace"]),
        workflow,
        node_name: text(
            v,
            &["metadata", "annotations", "workflows.argoproj.io/node-name"],
        ),
        node_id: text(
            v,
            &["metadata", "annotations", "workflows.argoproj.io/node-id"],
        ),
        host: text(v, &["spec", "nodeName"]),
        phase: text(v, &["status", "phase"]),
        scheduled_s: condition(file, &at, v, "PodScheduled")?,
        initialized_s: condition(file, &at, v, "Initialized")?,
        init: container(file, &at, v, "initContainerStatuses", "init")?,
        main: container(file, &at, v, "containerStatuses", "main")?,
        wait: container(file, &at, v, "containerStatuses", "wait")?,
        source: format!("{file}:{at}"),
    })
}
