//! Writing fitted values into the user's scenario without losing what it says: the file is
//! edited in place with `toml_edit` (its comments, order and formatting kept), each fitted key
//! set with a trailing comment giving its source and sample size, and a header comment
//! listing the inputs. A task defined in `[[workflows.tasks]]` gets its `duration` (and
//! `failure_probability`) there; a task imported from `manifests` gets an
//! `[import.durations]` entry under its template name instead (what the importer reads);
//! other keys go to their table (`[kubelet]`, `[apiserver]`, `[controller]`), created when
//! missing. Relative `manifests` paths are made absolute, so the calibrated file runs from
//! wherever it is written.

use std::path::Path;
use toml_edit::{DocumentMut, Item, Table, Value};

/// Where a fitted value goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// `key` of task `task` of `[[workflows]]` `workflow`.
    Task {
        /// Workflow name.
        workflow: String,
        /// Task name.
        task: String,
        /// Key (`duration`, `failure_probability`).
        key: String,
    },
    /// `[import.durations]."<template>"`.
    ImportDuration {
        /// Template (or task) name.
        template: String,
    },
    /// `[<table>].<key>`.
    Key {
        /// Table (`kubelet`, `apiserver`, `controller`).
        table: String,
        /// Key.
        key: String,
    },
}

/// One fitted value.
#[derive(Debug, Clone, PartialEq)]
pub struct Fitted {
    /// Where it goes.
    pub target: Target,
    /// The value as TOML (`"1.5s"`, `0.02`, `{ distribution = "normal", ... }`).
    pub toml: String,
    /// Its source and sample size (the trailing comment).
    pub comment: String,
}

/// Errors writing a calibrated scenario.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The scenario is not TOML `toml_edit` can edit.
    #[error("{file}: {message}")]
    Parse {
        /// File.
        file: String,
        /// Parser message.
        message: String,
    },
}

fn value(toml: &str) -> Option<Value> {
    let doc: DocumentMut = format!("v = {toml}\n").parse().ok()?;
    doc.get("v")?.as_value().cloned()
}

fn set(table: &mut Table, key: &str, toml: &str, comment: &str) -> bool {
    let Some(mut v) = value(toml) else {
        return false;
    };
    v.decor_mut().set_suffix(format!("  # {comment}"));
    table.insert(key, Item::Value(v));
    true
}

/// Is task `task` of workflow `workflow` written in the file (not imported from manifests)?
pub fn has_task(text: &str, workflow: &str, task: &str) -> bool {
    let Ok(doc) = text.parse::<DocumentMut>() else {
        return false;
    };
    find_task(&doc, workflow, task)
}

fn find_task(doc: &DocumentMut, workflow: &str, task: &str) -> bool {
    doc.get("workflows")
        .and_then(Item::as_array_of_tables)
        .into_iter()
        .flatten()
        .filter(|w| w.get("name").and_then(Item::as_str) == Some(workflow))
        .flat_map(|w| {
            w.get("tasks")
                .and_then(Item::as_array_of_tables)
                .into_iter()
                .flatten()
        })
        .any(|t| t.get("name").and_then(Item::as_str) == Some(task))
}

/// `text` (the scenario at `path`) with `fitted` applied and `header` lines as a comment on
/// top. Values that cannot be placed are returned as notes.
pub fn apply(
    path: &Path,
    text: &str,
    fitted: &[Fitted],
    header: &[String],
) -> Result<(String, Vec<String>), ApplyError> {
    let file = path.display().to_string();
    let mut doc: DocumentMut =
        text.parse()
            .map_err(|e: toml_edit::TomlError| ApplyError::Parse {
                file: file.clone(),
                message: e.to_string(),
            })?;
    let mut notes = Vec::new();
    for f in fitted {
        let ok = match &f.target {
            Target::Task {
                workflow,
                task,
                key,
            } => doc
                .get_mut("workflows")
                .and_then(Item::as_array_of_tables_mut)
                .and_then(|ws| {
                    ws.iter_mut()
                        .filter(|w| w.get("name").and_then(Item::as_str) == Some(workflow.as_str()))
                        .flat_map(|w| w.get_mut("tasks").and_then(Item::as_array_of_tables_mut))
                        .flat_map(|ts| ts.iter_mut())
                        .find(|t| t.get("name").and_then(Item::as_str) == Some(task.as_str()))
                })
                .is_some_and(|t| set(t, key, &f.toml, &f.comment)),
            Target::ImportDuration { template } => {
                let imp = doc
                    .entry("import")
                    .or_insert_with(|| Item::Table(Table::new()))
                    .as_table_mut();
                imp.and_then(|t| {
                    t.entry("durations")
                        .or_insert_with(|| Item::Table(Table::new()))
                        .as_table_mut()
                })
                .is_some_and(|t| set(t, template, &f.toml, &f.comment))
            }
            Target::Key { table, key } => doc
                .entry(table)
                .or_insert_with(|| Item::Table(Table::new()))
                .as_table_mut()
                .is_some_and(|t| set(t, key, &f.toml, &f.comment)),
        };
        if !ok {
            notes.push(format!(
                "could not place {:?} = {} ({})",
                f.target, f.toml, f.comment
            ));
        }
    }
    // Relative manifests resolve against the original file's folder.
    let base = path.parent().unwrap_or(Path::new("."));
    if let Some(arr) = doc.get_mut("manifests").and_then(Item::as_array_mut) {
        for v in arr.iter_mut() {
            if let Some(s) = v.as_str()
                && Path::new(s).is_relative()
            {
                let abs = std::path::absolute(base.join(s)).unwrap_or_else(|_| base.join(s));
                *v = Value::from(abs.display().to_string());
            }
        }
    }
    let mut out = String::new();
    for h in header {
        out.push_str("# ");
        out.push_str(h);
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&doc.to_string());
    Ok((out, notes))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SC: &str = "# my cluster\nname = \"x\"\n\n[kubelet]\nsandbox_start = \"1s\" # old\n\n[[workflows]]\nname = \"etl\"\n[[workflows.tasks]]\nname = \"a\"\nduration = \"1m\"\n";

    #[test]
    fn keys_are_set_with_their_comment_and_the_rest_is_kept() {
        let fitted = vec![
            Fitted {
                target: Target::Task {
                    workflow: "etl".into(),
                    task: "a".into(),
                    key: "duration".into(),
                },
                toml: "{ distribution = \"normal\", mean = \"2m\", stddev = \"10s\" }".into(),
                comment: "normal, 40 pods".into(),
            },
            Fitted {
                target: Target::Key {
                    table: "kubelet".into(),
                    key: "sandbox_start".into(),
                },
                toml: "\"1.5s\"".into(),
                comment: "38 pods".into(),
            },
            Fitted {
                target: Target::Key {
                    table: "kubelet".into(),
                    key: "wait_container_time".into(),
                },
                toml: "\"2s\"".into(),
                comment: "38 pods".into(),
            },
            Fitted {
                target: Target::Task {
                    workflow: "etl".into(),
                    task: "zz".into(),
                    key: "duration".into(),
                },
                toml: "\"1s\"".into(),
                comment: "x".into(),
            },
        ];
        let (out, notes) = apply(Path::new("s.toml"), SC, &fitted, &["calibrated".into()]).unwrap();
        assert!(out.starts_with("# calibrated\n\n# my cluster\n"), "{out}");
        assert!(out.contains("sandbox_start = \"1.5s\"  # 38 pods"), "{out}");
        assert!(
            out.contains("wait_container_time = \"2s\"  # 38 pods"),
            "{out}"
        );
        assert!(out.contains("mean = \"2m\""), "{out}");
        assert!(out.contains("# normal, 40 pods"), "{out}");
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(toml::from_str::<toml::Table>(&out).is_ok());
    }

    #[test]
    fn tasks_from_manifests_go_to_import_durations() {
        let sc = "name = \"x\"\nmanifests = [\"wf.yaml\"]\n";
        let f = Fitted {
            target: Target::ImportDuration {
                template: "echo".into(),
            },
            toml: "\"3s\"".into(),
            comment: "12 pods".into(),
        };
        let (out, _) = apply(Path::new("/tmp/dir/s.toml"), sc, &[f], &[]).unwrap();
        assert!(out.contains("[import.durations]"), "{out}");
        assert!(out.contains("echo = \"3s\"  # 12 pods"), "{out}");
        assert!(out.contains("\"/tmp/dir/wf.yaml\""), "{out}");
        assert!(!has_task(sc, "x", "echo"));
    }
}
