//! Cluster configuration in: the `workflow-controller` and `argo-server` Deployments, the
//! `workflow-controller-configmap`, the argo-workflows Helm chart's `values.yaml` and
//! `kubectl get nodes -o json`, as `[controller]`, `[kubelet]`, `[argo_server]` keys and
//! `[[cluster.pools]]` tables, each value with the file and line it came from.
//!
//! What it models: only keys the scenario schema has, each mapped to the key that
//! `scenario::defaults` and docs/scenario.md say mirrors the flag, environment variable or
//! configmap key (Argo v3.6.19). Where Argo ranks two sources, the import does too: a
//! Deployment flag or environment variable overrides a configmap key (`--executor-image` over
//! `executor.image`); two sources of the same rank that disagree are warned and the later one
//! is used. Settings of no effect on the model (log levels, probes, RBAC, UI, metrics...) are
//! listed in one summarised warning per file; anything not understood is a warning with file,
//! line and key path. Left out: several workflow-controller Deployments (only the first is
//! imported, warned: write `[[controllers]]` by hand), Helm templating (`values.yaml` is read
//! as the chart's templates would render it, without the release name or namespace, which it
//! does not hold), and autoscaling bounds of node pools (a pool is fixed at the nodes seen).
//!
//! Files: `deployment.rs` (container args, env, resources), `configmap.rs` (controller
//! configmap), `helm.rs` (chart values), `nodes.rs` (nodes → pools), `emit.rs` (TOML text).

mod configmap;
mod deployment;
mod emit;
mod helm;
mod nodes;

pub(crate) use emit::write_toml;

use super::argo::{Corpus, kind_of, meta_name};
use super::locate::{LineIndex, Seg, dotted};
use crate::scenario::diag::Diagnostic;
use serde_json::Value;
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};

/// The scenario table a [`Setting`] belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Table {
    /// `[controller]`.
    Controller,
    /// `[kubelet]` (the executor image).
    Kubelet,
    /// `[argo_server]`.
    ArgoServer,
}

impl Table {
    /// The TOML table name.
    pub fn name(self) -> &'static str {
        match self {
            Table::Controller => "controller",
            Table::Kubelet => "kubelet",
            Table::ArgoServer => "argo_server",
        }
    }
}

/// One scenario key set from cluster configuration.
#[derive(Debug, Clone)]
pub struct Setting {
    /// Its table.
    pub table: Table,
    /// Key in that table.
    pub key: String,
    /// Value (JSON form of the TOML value).
    pub value: Value,
    /// Where it came from: `what (file:line)`.
    pub origin: String,
    /// Argo's precedence: configmap keys 0, Deployment flags and environment 1.
    rank: u8,
}

/// One `[[cluster.pools]]` table built from nodes.
#[derive(Debug, Clone)]
pub struct PoolOut {
    /// Pool name.
    pub name: String,
    /// Which nodes it was built from (a comment line).
    pub origin: String,
    /// `(key, value, where it came from)`, in output order.
    pub keys: Vec<(String, Value, String)>,
}

/// What cluster configuration documents set.
#[derive(Debug, Clone, Default)]
pub struct ClusterImport {
    /// Settings of `[controller]`, `[kubelet]` and `[argo_server]`, in first-set order.
    pub settings: Vec<Setting>,
    /// Node pools from Node objects.
    pub pools: Vec<PoolOut>,
    /// What was approximated, ignored or not understood, with file and line.
    pub warnings: Vec<Diagnostic>,
}

impl ClusterImport {
    /// True when no document set anything.
    pub fn is_empty(&self) -> bool {
        self.settings.is_empty() && self.pools.is_empty()
    }
}

/// What kind of cluster document a value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DocKind {
    /// A Deployment (its containers say whether controller or server).
    Deployment,
    /// A ConfigMap that is the controller's configuration.
    ControllerConfigMap,
    /// A Node, a NodeList, or a List of Nodes.
    Nodes,
    /// The argo-workflows chart's values.
    HelmValues,
    /// A `List` (`kubectl get deploy,cm -o yaml`) holding cluster documents.
    List,
}

/// Top-level keys of the argo-workflows chart's `values.yaml` (argoproj/argo-helm).
pub(crate) const HELM_TOP_KEYS: [&str; 22] = [
    "images",
    "crds",
    "createAggregateRoles",
    "nameOverride",
    "fullnameOverride",
    "namespaceOverride",
    "commonLabels",
    "kubeVersionOverride",
    "apiVersionOverrides",
    "singleNamespace",
    "workflow",
    "controller",
    "mainContainer",
    "executor",
    "server",
    "extraObjects",
    "useStaticCredentials",
    "artifactRepository",
    "customArtifactRepository",
    "artifactRepositoryRef",
    "emissary",
    "global",
];

/// The cluster document kind of `v`, if it is one. A values file has no `kind`: it is
/// recognised by a `controller`, `server` or `executor` mapping among known chart keys.
pub(crate) fn classify(v: &Value) -> Option<DocKind> {
    match kind_of(v) {
        "Deployment" => Some(DocKind::Deployment),
        "Node" | "NodeList" => Some(DocKind::Nodes),
        "List" => {
            let items = v.get("items").and_then(Value::as_array)?;
            if !items.is_empty() && items.iter().all(|i| kind_of(i) == "Node") {
                Some(DocKind::Nodes)
            } else {
                items
                    .iter()
                    .any(|i| kind_of(i) != "List" && classify(i).is_some())
                    .then_some(DocKind::List)
            }
        }
        "ConfigMap" => {
            configmap::is_controller_configmap(v).then_some(DocKind::ControllerConfigMap)
        }
        "" => {
            let m = v.as_object()?;
            let section = ["controller", "server", "executor"]
                .iter()
                .any(|k| m.get(*k).is_some_and(Value::is_object));
            let known = m
                .keys()
                .filter(|k| HELM_TOP_KEYS.contains(&k.as_str()))
                .count();
            (section && known * 2 >= m.len()).then_some(DocKind::HelmValues)
        }
        _ => None,
    }
}

/// Where a value sits: the file, its line index, and how its lines map to the file's (a
/// YAML string inside a ConfigMap is its own document).
pub(crate) struct Src<'a> {
    /// File name for diagnostics.
    pub file: &'a str,
    /// Line lookup of the document the paths start from.
    pub lines: &'a LineIndex,
    /// Path of the document inside the file's (empty for a file's own document).
    pub prefix: Vec<Seg>,
    /// Lines of an embedded block scalar: file line = `base` + the document's line.
    pub base: Option<usize>,
    /// An embedded one-line string: every path is on this file line.
    pub fixed: Option<usize>,
}

/// A value with its path from its document's root.
#[derive(Clone)]
pub(crate) struct N<'a> {
    /// The value.
    pub v: &'a Value,
    /// Path from the document root.
    pub path: Vec<Seg>,
    /// Its document.
    pub src: &'a Src<'a>,
}

impl<'a> N<'a> {
    /// The root of a document.
    pub fn root(v: &'a Value, src: &'a Src<'a>) -> N<'a> {
        N {
            v,
            path: Vec::new(),
            src,
        }
    }
    fn child(&self, seg: Seg, v: &'a Value) -> N<'a> {
        let mut path = self.path.clone();
        path.push(seg);
        N {
            v,
            path,
            src: self.src,
        }
    }
    /// Child `k` of a mapping; `None` when absent or null.
    pub fn get(&self, k: &str) -> Option<N<'a>> {
        let v = self.v.as_object()?.get(k)?;
        (!v.is_null()).then(|| self.child(Seg::Key(k.to_string()), v))
    }
    /// Elements of a sequence (none when it is not one).
    pub fn items(&self) -> Vec<N<'a>> {
        self.v.as_array().map_or_else(Vec::new, |a| {
            a.iter()
                .enumerate()
                .map(|(i, v)| self.child(Seg::Index(i), v))
                .collect()
        })
    }
    /// Elements of the sequence under key `k` (none when absent).
    pub fn items_of(&self, k: &str) -> Vec<N<'a>> {
        self.get(k).map(|x| x.items()).unwrap_or_default()
    }
    /// Entries of a mapping, nulls skipped (none when it is not one).
    pub fn entries(&self) -> Vec<(&'a str, N<'a>)> {
        self.v.as_object().map_or_else(Vec::new, |m| {
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.as_str(), self.child(Seg::Key(k.clone()), v)))
                .collect()
        })
    }
    /// A scalar as text (strings, numbers, booleans).
    pub fn text(&self) -> Option<String> {
        match self.v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
    /// True for an empty mapping, sequence or string (Helm's "unset").
    pub fn is_empty(&self) -> bool {
        match self.v {
            Value::Object(m) => m.is_empty(),
            Value::Array(a) => a.is_empty(),
            Value::String(s) => s.is_empty(),
            Value::Null => true,
            _ => false,
        }
    }
    /// 1-based line in the file.
    pub fn line(&self) -> usize {
        if let Some(l) = self.src.fixed {
            return l;
        }
        match self.src.base {
            // The embedded document itself: the line of the key that holds it.
            Some(b) if self.path.is_empty() => b,
            Some(b) => b + self.src.lines.locate(&self.path),
            None => self.src.lines.locate(&self.path),
        }
    }
    /// Dotted key path from the file's document root.
    pub fn key(&self) -> String {
        let mut p = self.src.prefix.clone();
        p.extend(self.path.iter().cloned());
        dotted(&p)
    }
    /// `file:line`.
    pub fn at(&self) -> String {
        format!("{}:{}", self.src.file, self.line())
    }
    /// A diagnostic at this value.
    pub fn diag(&self, message: String) -> Diagnostic {
        let key = self.key();
        Diagnostic {
            file: self.src.file.to_string(),
            line: Some(self.line()),
            column: None,
            key: (!key.is_empty()).then_some(key),
            message,
            help: None,
        }
    }
}

/// Collects settings, pools and warnings while the documents are read.
#[derive(Default)]
pub(crate) struct Out {
    settings: Vec<Setting>,
    pools: Vec<PoolOut>,
    warnings: Vec<Diagnostic>,
    /// Per file: settings recognised as having no effect on the model.
    ignored: BTreeMap<String, BTreeSet<String>>,
    /// workflow-controller Deployments read so far (only the first is imported).
    controllers_seen: usize,
}

impl Out {
    /// Set `table.key` to `value` (see the module documentation for precedence).
    pub fn set(&mut self, table: Table, key: &str, value: Value, rank: u8, origin: String, at: &N) {
        if let Some(s) = self
            .settings
            .iter_mut()
            .find(|s| s.table == table && s.key == key)
        {
            if s.value == value || rank < s.rank {
                return;
            }
            if rank == s.rank {
                self.warnings.push(at.diag(format!(
                    "{}.{key} is also set by {}: this value ({}) is used",
                    table.name(),
                    s.origin,
                    value
                )));
            }
            s.value = value;
            s.origin = origin;
            s.rank = rank;
            return;
        }
        self.settings.push(Setting {
            table,
            key: key.to_string(),
            value,
            origin,
            rank,
        });
    }
    /// A warning at `at`.
    pub fn warn(&mut self, at: &N, message: String) {
        self.warnings.push(at.diag(message));
    }
    /// A setting of no effect on the model, listed in the file's summary.
    pub fn ignore(&mut self, at: &N, what: String) {
        self.ignored
            .entry(at.src.file.to_string())
            .or_default()
            .insert(what);
    }
    /// Add a pool.
    pub fn pool(&mut self, p: PoolOut) {
        self.pools.push(p);
    }
    /// The result, with one summary warning per file of what was ignored.
    fn finish(mut self) -> ClusterImport {
        for (file, what) in std::mem::take(&mut self.ignored) {
            let list: Vec<String> = what.into_iter().collect();
            self.warnings.push(Diagnostic {
                file,
                line: None,
                column: None,
                key: None,
                message: format!(
                    "ignored, no effect on the simulated control plane: {}",
                    list.join(", ")
                ),
                help: None,
            });
        }
        ClusterImport {
            settings: self.settings,
            pools: self.pools,
            warnings: self.warnings,
        }
    }
}

/// How a text value is checked and written.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Ty {
    /// A float > 0 (`--qps`).
    PosF64,
    /// An integer ≥ 1 (workers, bursts).
    Count,
    /// An integer ≥ 0 (parallelism).
    U32,
    /// A Go duration of at least this many µs.
    Dur(u64),
    /// A Go `strconv.ParseBool` boolean.
    Bool,
    /// A Kubernetes byte quantity.
    Quantity,
    /// A Kubernetes CPU quantity.
    Cpu,
    /// A plain integer number of bytes (`MAX_WORKFLOW_SIZE`, `strconv.Atoi`), > 0.
    IntBytes,
    /// Any string.
    Str,
}

/// `text` as the scenario value of type `ty`, or why not.
pub(crate) fn convert(ty: Ty, text: &str) -> Result<Value, String> {
    let t = text.trim();
    match ty {
        Ty::PosF64 => match t.parse::<f64>() {
            Ok(f) if f.is_finite() && f > 0.0 => serde_json::Number::from_f64(f)
                .map(Value::Number)
                .ok_or_else(|| format!("{t:?} is not a number")),
            _ => Err(format!("{t:?} is not a number > 0 (argosim requires > 0)")),
        },
        Ty::Count => match t.parse::<u32>() {
            Ok(n) if n >= 1 => Ok(Value::from(n)),
            _ => Err(format!(
                "{t:?} is not an integer ≥ 1 (argosim requires ≥ 1)"
            )),
        },
        Ty::U32 => t
            .parse::<u32>()
            .map(Value::from)
            .map_err(|_| format!("{t:?} is not a non-negative integer")),
        Ty::Dur(min) => {
            let us = crate::units::parse_duration(t)?;
            if us < min {
                return Err(format!(
                    "{t:?} is below argosim's smallest accepted value {}",
                    crate::units::format_duration(min)
                ));
            }
            Ok(Value::String(t.to_string()))
        }
        Ty::Bool => go_bool(t)
            .map(Value::Bool)
            .ok_or_else(|| format!("{t:?} is not a boolean (Go strconv.ParseBool)")),
        Ty::Quantity => crate::units::parse_bytes(t).map(|_| Value::String(t.to_string())),
        Ty::Cpu => crate::units::parse_cpu(t).map(|_| Value::String(t.to_string())),
        Ty::IntBytes => match t.parse::<u64>() {
            Ok(n) if n > 0 => Ok(Value::from(n)),
            _ => Err(format!(
                "{t:?} is not a positive integer number of bytes (Argo then uses its 1 MiB default)"
            )),
        },
        Ty::Str => Ok(Value::String(t.to_string())),
    }
}

/// Go's `strconv.ParseBool`.
pub(crate) fn go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// Read the cluster documents among the inputs (`corpus` documents whose source is below
/// `n_inputs`); embedded configmap strings are parsed within `budget`. Returns what they set
/// and the indices of the documents read (the workload importer skips them).
pub(crate) fn import(
    corpus: &Corpus,
    n_inputs: usize,
    budget: &Cell<usize>,
) -> (ClusterImport, BTreeSet<usize>) {
    let mut out = Out::default();
    let mut claimed = BTreeSet::new();
    let mut nodes = nodes::Nodes::default();
    // (document, item of a List, kind); configmaps first: a Deployment flag overrides the
    // configmap whatever the file order.
    let mut order: Vec<(usize, Option<usize>, DocKind)> = Vec::new();
    for (i, d) in corpus.docs.iter().enumerate() {
        match classify(&d.value) {
            _ if d.source >= n_inputs => {}
            Some(DocKind::List) => {
                claimed.insert(i);
                let items = d.value.get("items").and_then(Value::as_array);
                for (j, item) in items.into_iter().flatten().enumerate() {
                    match classify(item).filter(|k| *k != DocKind::List) {
                        Some(k) => order.push((i, Some(j), k)),
                        None => order.push((i, Some(j), DocKind::List)),
                    }
                }
            }
            Some(k) => order.push((i, None, k)),
            None => {}
        }
    }
    order.sort_by_key(|(i, j, k)| (*k != DocKind::ControllerConfigMap, *i, *j));
    for (i, item, kind) in order {
        let d = &corpus.docs[i];
        let src = Src {
            file: &corpus.names[d.source],
            lines: &d.lines,
            prefix: Vec::new(),
            base: None,
            fixed: None,
        };
        let doc = N::root(&d.value, &src);
        let root = match item {
            Some(j) => doc.items_of("items").swap_remove(j),
            None => doc,
        };
        match kind {
            DocKind::Deployment => {
                if deployment::import(&root, &mut out) {
                    claimed.insert(i);
                } else if item.is_some() {
                    out.warn(&root, format!("Deployment {} runs neither workflow-controller nor argo-server: ignored", name_of(root.v)));
                }
            }
            DocKind::ControllerConfigMap => {
                configmap::import(&root, &mut out, budget);
                claimed.insert(i);
            }
            DocKind::HelmValues => {
                helm::import(&root, &mut out, budget);
                claimed.insert(i);
            }
            DocKind::Nodes => {
                nodes.add(&root, &mut out);
                claimed.insert(i);
            }
            DocKind::List => out.warn(
                &root,
                format!(
                    "a {} in a List is not cluster configuration: ignored",
                    match kind_of(root.v) {
                        "" => "document without a kind",
                        k => k,
                    }
                ),
            ),
        }
    }
    nodes.finish(&mut out);
    (out.finish(), claimed)
}

/// `metadata.name` of a document, or `?`.
pub(crate) fn name_of(v: &Value) -> &str {
    meta_name(v).unwrap_or("?")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_convert_with_the_scenario_bounds() {
        assert_eq!(convert(Ty::PosF64, "50").unwrap(), json!(50.0));
        assert!(convert(Ty::PosF64, "0").is_err());
        assert!(convert(Ty::PosF64, "NaN").is_err());
        assert_eq!(convert(Ty::Count, " 8 ").unwrap(), json!(8));
        assert!(convert(Ty::Count, "0").is_err());
        assert_eq!(convert(Ty::U32, "0").unwrap(), json!(0));
        assert_eq!(convert(Ty::Dur(100_000), "1m").unwrap(), json!("1m"));
        assert!(convert(Ty::Dur(100_000), "10ms").is_err());
        assert!(convert(Ty::Dur(0), "ten").is_err());
        assert_eq!(convert(Ty::Bool, "F").unwrap(), json!(false));
        assert!(convert(Ty::Bool, "yes").is_err());
        assert_eq!(convert(Ty::Quantity, "2Gi").unwrap(), json!("2Gi"));
        assert!(convert(Ty::Quantity, "2GB").is_err());
        assert_eq!(convert(Ty::Cpu, "500m").unwrap(), json!("500m"));
        assert_eq!(convert(Ty::IntBytes, "2097152").unwrap(), json!(2_097_152));
        assert!(convert(Ty::IntBytes, "2Mi").is_err());
    }

    #[test]
    fn documents_are_classified_by_kind_and_values_by_their_keys() {
        assert_eq!(
            classify(&json!({"kind": "Deployment"})),
            Some(DocKind::Deployment)
        );
        assert_eq!(
            classify(&json!({"kind": "List", "items": [{"kind": "Node"}]})),
            Some(DocKind::Nodes)
        );
        assert_eq!(
            classify(&json!({"kind": "List", "items": [{"kind": "Pod"}]})),
            None
        );
        assert_eq!(
            classify(
                &json!({"kind": "List", "items": [{"kind": "Service"}, {"kind": "Deployment"}]})
            ),
            Some(DocKind::List)
        );
        assert_eq!(
            classify(&json!({"controller": {"workflowWorkers": 8}, "crds": {}})),
            Some(DocKind::HelmValues)
        );
        // A WfFormat instance or any other mapping without a chart section is not values.
        assert_eq!(classify(&json!({"name": "x", "workflow": {}})), None);
        assert_eq!(
            classify(&json!({"controller": {}, "a": 1, "b": 2, "c": 3})),
            None
        );
    }
}
