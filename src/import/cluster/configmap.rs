//! The `workflow-controller-configmap`: its `data` keys (one YAML string per key, or the
//! whole configuration under `data.config`, both as Argo v3.6.19 `config/controller.go`
//! `parseConfigMap` reads them), each string parsed with the bounded YAML loader, mapped to
//! `[controller]` and `[kubelet]` keys.
//!
//! A ConfigMap is the controller's when its name ends with `workflow-controller-configmap`
//! (the install manifests' name, and the Helm chart's `<release>-workflow-controller-configmap`)
//! or, unless it carries the `workflows.argoproj.io/configmap-type` label of semaphore and
//! parameter ConfigMaps, when it has a `config` key or a data key only the controller's
//! configuration has (`resourceRateLimit`, `persistence`, `executor`, ...; `parallelism`
//! alone could be a semaphore name, so it does not count). Other ConfigMaps stay semaphore
//! ConfigMaps for the workload importer. Left out: `workflowDefaults` and `mainContainer`
//! defaults are not applied to imported workflows (warned), and lines inside a folded (`>`)
//! or quoted multi-line string are approximate.

use super::super::yaml;
use super::{N, Out, Src, Table, Ty, convert, name_of};
use serde_json::{Value, json};
use std::cell::Cell;

/// Precedence of configmap keys (a Deployment flag overrides them).
const RANK: u8 = 0;

/// Data keys only the controller's configuration has (v3.6.19 `config.Config`).
const DISTINCT_KEYS: [&str; 14] = [
    "config",
    "resourceRateLimit",
    "persistence",
    "executor",
    "mainContainer",
    "artifactRepository",
    "workflowDefaults",
    "podGCDeleteDelayDuration",
    "podGCGracePeriodSeconds",
    "nodeEvents",
    "workflowEvents",
    "metricsConfig",
    "workflowRestrictions",
    "retentionPolicy",
];

/// Whether a ConfigMap is the controller's configuration (see the module documentation).
pub(super) fn is_controller_configmap(v: &Value) -> bool {
    if name_of(v).ends_with("workflow-controller-configmap") {
        return true;
    }
    let typed = v
        .get("metadata")
        .and_then(|m| m.get("labels"))
        .and_then(|l| l.get("workflows.argoproj.io/configmap-type"))
        .is_some();
    let data = v.get("data").and_then(Value::as_object);
    !typed && data.is_some_and(|d| d.keys().any(|k| DISTINCT_KEYS.contains(&k.as_str())))
}

/// A controller ConfigMap document.
pub(super) fn import(root: &N, out: &mut Out, budget: &Cell<usize>) {
    let who = format!("{} ConfigMap", name_of(root.v));
    let Some(data) = root.get("data") else {
        out.warn(
            root,
            "the controller ConfigMap has no data: nothing set".into(),
        );
        return;
    };
    let entries = data.entries();
    let has_config = entries.iter().any(|(k, _)| *k == "config");
    if has_config && entries.len() > 1 {
        out.warn(&data, "Argo refuses a configmap with a `config` item and other items (\"if you have an item in your config map named 'config', you must only have one item\"): only `config` is read".into());
    }
    for (k, v) in entries {
        if has_config && k != "config" {
            continue;
        }
        let Some(text) = v.v.as_str() else {
            // Kubernetes requires strings; a number here is read as its YAML value.
            if k == "config" {
                out.warn(&v, "data.config is not a string: ignored".into());
            } else {
                apply_key(k, &v, &who, out);
            }
            continue;
        };
        let docs = match yaml::load_documents(0, root.src.file, text, budget) {
            Ok(d) => d,
            Err(e) => {
                out.warn(&v, format!("its YAML does not parse: {}", e.message));
                continue;
            }
        };
        let Some(doc) = docs.first() else { continue };
        let line = v.line();
        let src = Src {
            file: root.src.file,
            lines: &doc.lines,
            prefix: v.path.clone(),
            base: text.contains('\n').then_some(line),
            fixed: (!text.contains('\n')).then_some(line),
        };
        let inner = N::root(&doc.value, &src);
        if k == "config" {
            if !inner.v.is_object() {
                out.warn(&v, "data.config is not a mapping: ignored".into());
                continue;
            }
            for (k2, v2) in inner.entries() {
                apply_key(k2, &v2, &who, out);
            }
        } else {
            apply_key(k, &inner, &who, out);
        }
    }
}

fn set(out: &mut Out, table: Table, key: &str, ty: Ty, v: &N, who: &str) {
    let Some(text) = v.text() else {
        out.warn(v, format!("not a scalar: {}.{key} not set", table.name()));
        return;
    };
    match convert(ty, &text) {
        Ok(val) => {
            let origin = format!("{who}: {}={text} ({})", v.key(), v.at());
            out.set(table, key, val, RANK, origin, v);
        }
        Err(e) => out.warn(v, format!("{e}: {}.{key} not set", table.name())),
    }
}

/// One key of the controller configuration (`v` is its value), from a ConfigMap or from the
/// Helm chart's values (`who` names the source in origins).
pub(super) fn apply_key(k: &str, v: &N, who: &str, out: &mut Out) {
    let c = Table::Controller;
    match k {
        "parallelism" => set(out, c, "parallelism", Ty::U32, v, who),
        "namespaceParallelism" => set(out, c, "namespace_parallelism", Ty::U32, v, who),
        "initialDelay" => set(out, c, "initial_delay", Ty::Dur(0), v, who),
        "podGCDeleteDelayDuration" => set(out, c, "pod_gc_delete_delay", Ty::Dur(0), v, who),
        "instanceID" => {
            if !v.is_empty() {
                set(out, c, "instance_id", Ty::Str, v, who);
            }
        }
        "resourceRateLimit" => resource_rate_limit(v, who, out),
        "persistence" => persistence(v, who, out),
        "nodeEvents" => {
            for (k2, v2) in v.entries() {
                match k2 {
                    "enabled" => set(out, c, "node_events", Ty::Bool, &v2, who),
                    _ => out.ignore(&v2, v2.key()),
                }
            }
        }
        "workflowEvents" => {
            if v.get("enabled").and_then(|e| e.v.as_bool()) == Some(false) {
                out.warn(v, "workflowEvents.enabled=false: not modelled (the model always sends the workflow-level Events)".into());
            } else {
                out.ignore(v, v.key());
            }
        }
        "executor" => {
            for (k2, v2) in v.entries() {
                match k2 {
                    "image" => set(out, Table::Kubelet, "executor_image", Ty::Str, &v2, who),
                    "resources" | "args" | "env" | "envFrom" if !v2.is_empty() => out.warn(&v2, "not modelled (the init and wait containers' settings are not simulated)".into()),
                    _ => out.ignore(&v2, v2.key()),
                }
            }
        }
        "mainContainer" => {
            if v.get("resources").is_some_and(|r| !r.is_empty()) {
                out.warn(v, "resources (default requests of main containers): not applied to the imported workflows; use `argosim import --default-requests`".into());
            } else {
                out.ignore(v, v.key());
            }
        }
        "workflowDefaults" => {
            if !v.is_empty() {
                out.warn(v, "not applied to the imported workflows (put its podGC, ttlStrategy and parallelism into the manifests)".into());
            }
        }
        "retentionPolicy" if !v.is_empty() => out.warn(v, "not modelled (completed workflows are deleted only by their own TTL)".into()),
        "podGCGracePeriodSeconds" => out.warn(v, "not modelled (pod deletion is one API call, without a grace period)".into()),
        "namespace" => out.warn(v, "not modelled: the managed namespace comes from --namespaced --managed-namespace".into()),
        "synchronization" | "failedPodRestart" | "artifactDrivers" | "disableAgentPodCreation" | "initlessPod" => out.warn(v, "not a v3.6 key (it came in a later Argo release): ignored".into()),
        "links" | "columns" | "navColor" | "sso" | "metricsConfig" | "telemetryConfig" | "kubeConfig" | "artifactRepository" | "podSpecLogStrategy" | "images" | "workflowRestrictions" | "retentionPolicy" => out.ignore(v, v.key()),
        _ => out.warn(v, "not a workflow-controller-configmap key of Argo v3.6 (Argo's strict parse refuses the whole configmap): ignored".into()),
    }
}

fn resource_rate_limit(v: &N, who: &str, out: &mut Out) {
    if v.is_empty() {
        return;
    }
    let (Some(limit), Some(burst)) = (v.get("limit"), v.get("burst")) else {
        out.warn(
            v,
            "resourceRateLimit needs both limit and burst: not set".into(),
        );
        return;
    };
    let l = limit
        .text()
        .and_then(|t| t.trim().parse::<f64>().ok())
        .filter(|f| f.is_finite() && *f > 0.0);
    let b = burst
        .text()
        .and_then(|t| t.trim().parse::<u32>().ok())
        .filter(|b| *b >= 1);
    match (l, b) {
        (Some(l), Some(b)) => {
            let origin = format!("{who}: {}={{limit: {l}, burst: {b}}} ({})", v.key(), v.at());
            out.set(
                Table::Controller,
                "resource_rate_limit",
                json!({"limit": l, "burst": b}),
                RANK,
                origin,
                v,
            );
        }
        _ => out.warn(
            v,
            "resourceRateLimit: limit must be a number > 0 and burst an integer ≥ 1: not set"
                .into(),
        ),
    }
}

fn persistence(v: &N, who: &str, out: &mut Out) {
    let db = v.get("postgresql").is_some() || v.get("mysql").is_some();
    for (k, x) in v.entries() {
        match k {
            "nodeStatusOffLoad" => {
                set(
                    out,
                    Table::Controller,
                    "node_status_offload",
                    Ty::Bool,
                    &x,
                    who,
                );
                if x.v.as_bool() == Some(true) && !db {
                    out.warn(&x, "nodeStatusOffLoad without persistence.postgresql or .mysql: Argo has no database to offload to".into());
                }
            }
            "archive" if x.v.as_bool() == Some(true) => {
                out.warn(&x, "workflow archiving is not simulated".into())
            }
            _ => out.ignore(&x, x.key()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::ClusterImport;
    use super::*;
    use crate::import::locate::LineIndex;

    fn run(text: &str) -> ClusterImport {
        let v: Value = serde_norway::from_str(text).unwrap();
        assert!(is_controller_configmap(&v));
        let lines = LineIndex::new(text, 1);
        let src = Src {
            file: "cm.yaml",
            lines: &lines,
            prefix: Vec::new(),
            base: None,
            fixed: None,
        };
        let mut out = Out::default();
        import(&N::root(&v, &src), &mut out, &Cell::new(yaml::MAX_NODES));
        out.finish()
    }

    fn value(c: &ClusterImport, key: &str) -> Value {
        c.settings
            .iter()
            .find(|s| s.key == key)
            .map(|s| s.value.clone())
            .unwrap_or(Value::Null)
    }

    #[test]
    fn data_keys_are_yaml_strings() {
        let c = run(r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: workflow-controller-configmap
data:
  parallelism: "10"
  namespaceParallelism: "4"
  podGCDeleteDelayDuration: 30s
  resourceRateLimit: |
    limit: 10
    burst: 25
  persistence: |
    nodeStatusOffLoad: true
    archive: true
    postgresql:
      host: db
  executor: |
    image: registry.local/argoexec:v3.6.19
    resources:
      requests:
        cpu: 10m
  nodeEvents: |
    enabled: false
  containerRuntimeExecutor: emissary
"#);
        assert_eq!(value(&c, "parallelism"), 10);
        assert_eq!(value(&c, "namespace_parallelism"), 4);
        assert_eq!(value(&c, "pod_gc_delete_delay"), "30s");
        assert_eq!(
            value(&c, "resource_rate_limit"),
            json!({"limit": 10.0, "burst": 25})
        );
        assert_eq!(value(&c, "node_status_offload"), true);
        assert_eq!(
            value(&c, "executor_image"),
            "registry.local/argoexec:v3.6.19"
        );
        assert_eq!(value(&c, "node_events"), false);
        let rrl = c
            .settings
            .iter()
            .find(|s| s.key == "resource_rate_limit")
            .unwrap();
        assert_eq!(
            rrl.origin,
            "workflow-controller-configmap ConfigMap: data.resourceRateLimit={limit: 10, burst: 25} (cm.yaml:9)"
        );
        let w: Vec<String> = c.warnings.iter().map(ToString::to_string).collect();
        let all = w.join("\n");
        // Lines inside a block scalar are the file's.
        assert!(
            all.contains(
                "cm.yaml:14: data.persistence.archive: workflow archiving is not simulated"
            ),
            "{all}"
        );
        assert!(all.contains("cm.yaml:19: data.executor.resources"), "{all}");
        assert!(
            all.contains(
                "cm.yaml:24: data.containerRuntimeExecutor: not a workflow-controller-configmap key"
            ),
            "{all}"
        );
    }

    #[test]
    fn a_config_key_holds_the_whole_configuration() {
        let c = run(r#"kind: ConfigMap
metadata:
  name: argo-workflow-controller-configmap
data:
  config: |
    instanceID: team-a
    parallelism: 50
    initialDelay: 5s
    resourceRateLimit:
      limit: 5
    nodeEvents:
      enabled: true
"#);
        assert_eq!(value(&c, "instance_id"), "team-a");
        assert_eq!(value(&c, "parallelism"), 50);
        assert_eq!(value(&c, "initial_delay"), "5s");
        assert_eq!(value(&c, "node_events"), true);
        assert_eq!(value(&c, "resource_rate_limit"), Value::Null);
        let all: Vec<String> = c.warnings.iter().map(ToString::to_string).collect();
        assert!(
            all.iter().any(|w| w.starts_with(
                "cm.yaml:9: data.config.resourceRateLimit: resourceRateLimit needs both"
            )),
            "{all:?}"
        );
    }

    #[test]
    fn semaphore_configmaps_are_not_the_controllers() {
        let v: Value = serde_norway::from_str("kind: ConfigMap\nmetadata: {name: semaphore-config}\ndata: {parallelism: \"2\", workflow: \"1\"}").unwrap();
        assert!(!is_controller_configmap(&v));
        let v: Value = serde_norway::from_str("kind: ConfigMap\nmetadata: {name: x, labels: {workflows.argoproj.io/configmap-type: Parameter}}\ndata: {executor: a}").unwrap();
        assert!(!is_controller_configmap(&v));
    }
}
