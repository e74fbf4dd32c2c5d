//! Nodes (`kubectl get nodes -o json`: a `List` or `NodeList` of Nodes, or one Node) as
//! `[[cluster.pools]]`: nodes are grouped by their pool label (GKE
//! `cloud.google.com/gke-nodepool`, EKS `eks.amazonaws.com/nodegroup`, Karpenter
//! `karpenter.sh/nodepool` or the older `karpenter.sh/provisioner-name`, AKS
//! `kubernetes.azure.com/agentpool`), else by instance type, and within a group by shape.
//!
//! Each pool takes what the nodes report: `status.capacity` cpu/memory/pods (`cpu`, `memory`,
//! `max_pods`), `status.allocatable` cpu/memory as observed (`allocatable_cpu`,
//! `allocatable_memory`), `node.kubernetes.io/instance-type` (or the beta label) as
//! `machine_type`, `kubernetes.io/arch`, spot capacity from the providers' labels, the keys of
//! `NoSchedule`/`NoExecute` taints, and `nodes` = the count seen. The price comes from the
//! example price table (`pools.rs`) when the instance type (and spot-ness) is in it; otherwise
//! `price_per_hour = 0` with a warning naming the type, so the bill of that pool reads zero
//! until a price is filled in. A group whose nodes differ in shape is split into one pool per
//! shape (warned). Left out: cordoned nodes (`spec.unschedulable`, skipped and warned), the
//! node-lifecycle condition taints (`node.kubernetes.io/*`, cluster-autoscaler's deletion
//! taint), GPUs and other extended resources, zones, and autoscaling bounds: each pool is fixed
//! at the nodes seen (`max_nodes` = `nodes`), which the pool's comment says. Positions inside
//! a JSON file resolve to the nearest block-style key (JSON has none), so diagnostics name
//! the node and its key path.

use super::super::names::UniqueNames;
use super::super::pools::EXAMPLE_POOLS;
use super::{N, Out, PoolOut};
use crate::units::{format_cpu, parse_bytes, parse_cpu};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Pool labels, in the order they are looked for.
const POOL_LABELS: [&str; 5] = [
    "cloud.google.com/gke-nodepool",
    "eks.amazonaws.com/nodegroup",
    "karpenter.sh/nodepool",
    "karpenter.sh/provisioner-name",
    "kubernetes.azure.com/agentpool",
];
const INSTANCE_LABELS: [&str; 2] = [
    "node.kubernetes.io/instance-type",
    "beta.kubernetes.io/instance-type",
];
const ARCH_LABELS: [&str; 2] = ["kubernetes.io/arch", "beta.kubernetes.io/arch"];

/// The spot label of a node, if it is spot capacity.
fn spot_label(labels: &BTreeMap<String, String>) -> Option<String> {
    let checks: [(&str, &str); 5] = [
        ("cloud.google.com/gke-spot", "true"),
        ("cloud.google.com/gke-preemptible", "true"),
        ("eks.amazonaws.com/capacityType", "SPOT"),
        ("karpenter.sh/capacity-type", "spot"),
        ("kubernetes.azure.com/scalesetpriority", "spot"),
    ];
    checks
        .iter()
        .find(|(k, v)| labels.get(*k).is_some_and(|x| x.eq_ignore_ascii_case(v)))
        .map(|(k, v)| format!("{k}={v}"))
}

/// The provider (for `reservation` and the spot notice default), from `spec.providerID` or
/// the provider's labels.
fn provider(provider_id: &str, labels: &BTreeMap<String, String>) -> &'static str {
    if provider_id.starts_with("gce://")
        || labels.keys().any(|k| k.starts_with("cloud.google.com/"))
    {
        "gke"
    } else if provider_id.starts_with("aws://")
        || labels
            .keys()
            .any(|k| k.starts_with("eks.amazonaws.com/") || k.starts_with("karpenter.k8s.aws/"))
    {
        "eks"
    } else {
        "none"
    }
}

/// What makes two nodes interchangeable in the model.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Shape {
    machine: String,
    cpu: u64,
    memory: u64,
    alloc_cpu: Option<u64>,
    alloc_memory: Option<u64>,
    pods: Option<u32>,
    arch: String,
    spot: Option<String>,
    taints: Vec<String>,
    provider: &'static str,
}

/// Nodes of one shape in one group.
struct Members {
    shape: Shape,
    /// Memory texts as the first node wrote them.
    memory_text: String,
    alloc_memory_text: Option<String>,
    names: Vec<String>,
    /// The file of the first node.
    file: String,
    /// `file:line key` of the first node.
    first: String,
}

/// One group: a pool label value (or instance type).
struct Group {
    /// The label the group is keyed by (`""`: none).
    label: String,
    value: String,
    members: Vec<Members>,
}

/// Nodes collected from every nodes document of the import.
#[derive(Default)]
pub(super) struct Nodes {
    groups: Vec<Group>,
    by_value: BTreeMap<(String, String), usize>,
    by_shape: BTreeMap<(usize, Shape), usize>,
}

fn labels_of(node: &N) -> BTreeMap<String, String> {
    node.get("metadata")
        .and_then(|m| m.get("labels"))
        .map(|l| {
            l.entries()
                .into_iter()
                .filter_map(|(k, v)| v.text().map(|t| (k.to_string(), t)))
                .collect()
        })
        .unwrap_or_default()
}

impl Nodes {
    /// A nodes document: one Node, or a list of them.
    pub fn add(&mut self, root: &N, out: &mut Out) {
        if root.v.get("kind").and_then(Value::as_str) == Some("Node") {
            self.node(root, out);
            return;
        }
        let items = root.get("items").map(|i| i.items()).unwrap_or_default();
        if items.is_empty() {
            out.warn(root, "a node list without items: no pool".into());
        }
        for n in items {
            match n.v.get("kind").and_then(Value::as_str) {
                Some("Node") | None => self.node(&n, out),
                Some(k) => out.warn(&n, format!("a {k} in a node list: ignored")),
            }
        }
    }

    fn node(&mut self, n: &N, out: &mut Out) {
        let name = n
            .get("metadata")
            .and_then(|m| m.get("name"))
            .and_then(|x| x.text())
            .unwrap_or_else(|| "?".into());
        let labels = labels_of(n);
        let spec = n.get("spec");
        if spec
            .as_ref()
            .and_then(|s| s.get("unschedulable"))
            .and_then(|u| u.v.as_bool())
            == Some(true)
        {
            out.warn(
                n,
                format!("node {name} is cordoned (spec.unschedulable): not counted"),
            );
            return;
        }
        let status = n.get("status");
        let q = |section: &str, k: &str| -> Option<N> { status.as_ref()?.get(section)?.get(k) };
        let (Some(cpu_n), Some(mem_n)) = (q("capacity", "cpu"), q("capacity", "memory")) else {
            out.warn(
                n,
                format!("node {name} has no status.capacity cpu and memory: not counted"),
            );
            return;
        };
        let cpu = cpu_n
            .text()
            .ok_or_else(|| "not a quantity".to_string())
            .and_then(|t| parse_cpu(&t));
        let memory_text = mem_n.text().unwrap_or_default();
        let memory = parse_bytes(&memory_text);
        let (cpu, memory) = match (cpu, memory) {
            (Ok(c), Ok(m)) if c > 0 && m > 0 => (c, m),
            (c, m) => {
                let why = c
                    .err()
                    .or(m.err())
                    .unwrap_or_else(|| "zero capacity".into());
                out.warn(
                    n,
                    format!("node {name}: status.capacity: {why}: not counted"),
                );
                return;
            }
        };
        let mut alloc =
            |k: &str, cap: u64, parse: fn(&str) -> Result<u64, String>| -> Option<(u64, String)> {
                let x = q("allocatable", k)?;
                let t = x.text()?;
                match parse(&t) {
                    Ok(v) if v <= cap => Some((v, t)),
                    Ok(_) => {
                        out.warn(
                            &x,
                            format!("node {name}: allocatable {k} {t} exceeds capacity: not used"),
                        );
                        None
                    }
                    Err(e) => {
                        out.warn(&x, format!("node {name}: {e}: not used"));
                        None
                    }
                }
            };
        let alloc_cpu = alloc("cpu", cpu, parse_cpu).map(|a| a.0);
        let alloc_mem = alloc("memory", memory, parse_bytes);
        let pods = q("capacity", "pods")
            .or_else(|| q("allocatable", "pods"))
            .and_then(|p| p.text())
            .and_then(|t| t.parse::<u32>().ok())
            .filter(|p| *p >= 1);
        let machine = INSTANCE_LABELS
            .iter()
            .find_map(|l| labels.get(*l))
            .cloned()
            .unwrap_or_default();
        let arch = ARCH_LABELS
            .iter()
            .find_map(|l| labels.get(*l).cloned())
            .or_else(|| {
                status
                    .as_ref()
                    .and_then(|s| s.get("nodeInfo"))
                    .and_then(|i| i.get("architecture"))
                    .and_then(|a| a.text())
            })
            .unwrap_or_else(|| "amd64".into());
        let mut taints = Vec::new();
        for t in spec
            .as_ref()
            .and_then(|s| s.get("taints"))
            .map(|t| t.items())
            .unwrap_or_default()
        {
            let key = t.get("key").and_then(|k| k.text()).unwrap_or_default();
            let effect = t.get("effect").and_then(|e| e.text()).unwrap_or_default();
            if key.starts_with("node.kubernetes.io/") || key == "ToBeDeletedByClusterAutoscaler" {
                out.ignore(&t, format!("taint {key} (a node condition, not a pool's)"));
            } else if matches!(effect.as_str(), "NoSchedule" | "NoExecute") {
                if !taints.contains(&key) {
                    taints.push(key);
                }
            } else {
                out.ignore(&t, format!("taint {key}:{effect}"));
            }
        }
        taints.sort();
        let provider_id = spec
            .as_ref()
            .and_then(|s| s.get("providerID"))
            .and_then(|p| p.text())
            .unwrap_or_default();
        let shape = Shape {
            machine: machine.clone(),
            cpu,
            memory,
            alloc_cpu,
            alloc_memory: alloc_mem.as_ref().map(|a| a.0),
            pods,
            arch,
            spot: spot_label(&labels),
            taints,
            provider: provider(&provider_id, &labels),
        };
        let (label, value) = POOL_LABELS
            .iter()
            .find_map(|l| labels.get(*l).map(|v| (l.to_string(), v.clone())))
            .or_else(|| {
                (!machine.is_empty()).then(|| (INSTANCE_LABELS[0].to_string(), machine.clone()))
            })
            .unwrap_or_else(|| (String::new(), "nodes".into()));
        let gi = *self
            .by_value
            .entry((label.clone(), value.clone()))
            .or_insert_with(|| {
                self.groups.push(Group {
                    label,
                    value,
                    members: Vec::new(),
                });
                self.groups.len() - 1
            });
        let group = &mut self.groups[gi];
        let mi = *self.by_shape.entry((gi, shape.clone())).or_insert_with(|| {
            group.members.push(Members {
                shape,
                memory_text,
                alloc_memory_text: alloc_mem.map(|a| a.1),
                names: Vec::new(),
                file: n.src.file.to_string(),
                first: format!("{} {}", n.at(), n.key()),
            });
            group.members.len() - 1
        });
        group.members[mi].names.push(name);
    }

    /// Emit one pool per group and shape.
    pub fn finish(self, out: &mut Out) {
        let mut names = UniqueNames::default();
        for g in &self.groups {
            if g.members.len() > 1 {
                let shapes: Vec<String> = g.members.iter().map(|m| describe(&m.shape)).collect();
                out.warnings.push(crate::scenario::diag::Diagnostic {
                    file: g.members[0].file.clone(),
                    line: None,
                    column: None,
                    key: None,
                    message: format!(
                        "pool {:?}: its nodes differ in shape ({}): one pool per shape",
                        g.value,
                        shapes.join("; ")
                    ),
                    help: None,
                });
            }
            for (i, m) in g.members.iter().enumerate() {
                let base = if g.members.len() == 1 {
                    g.value.clone()
                } else if !m.shape.machine.is_empty() && m.shape.machine != g.value {
                    format!("{}-{}", g.value, m.shape.machine)
                } else {
                    format!("{}-{}", g.value, i + 1)
                };
                let name = names.claim(&base, "-");
                let p = pool(g, m, name, out);
                out.pool(p);
            }
        }
    }
}

fn describe(s: &Shape) -> String {
    let mut d = format!(
        "{} {} CPU {} B",
        if s.machine.is_empty() {
            "?"
        } else {
            &s.machine
        },
        format_cpu(s.cpu),
        s.memory
    );
    if s.spot.is_some() {
        d.push_str(" spot");
    }
    if !s.taints.is_empty() {
        d.push_str(&format!(" taints {:?}", s.taints));
    }
    d
}

fn pool(g: &Group, m: &Members, name: String, out: &mut Out) -> PoolOut {
    let s = &m.shape;
    let mut keys: Vec<(String, Value, String)> = Vec::new();
    let mut k = |key: &str, v: Value, why: &str| keys.push((key.to_string(), v, why.to_string()));
    let named_by = if g.label.is_empty() {
        "no pool label nor instance type".to_string()
    } else {
        format!("label {}", g.label)
    };
    k("name", json!(name), &named_by);
    if !s.machine.is_empty() {
        k(
            "machine_type",
            json!(s.machine),
            "label node.kubernetes.io/instance-type",
        );
    }
    k("cpu", json!(format_cpu(s.cpu)), "status.capacity.cpu");
    k("memory", json!(m.memory_text), "status.capacity.memory");
    if let Some(c) = s.alloc_cpu {
        k(
            "allocatable_cpu",
            json!(format_cpu(c)),
            "status.allocatable.cpu, as observed",
        );
    }
    if let Some(t) = &m.alloc_memory_text {
        k(
            "allocatable_memory",
            json!(t),
            "status.allocatable.memory, as observed",
        );
    }
    let both = s.alloc_cpu.is_some() && m.alloc_memory_text.is_some();
    let reservation_why = match (s.provider, both) {
        ("none", _) => "no provider recognised: allocatable not observed is capacity",
        (_, true) => "provider (sets the spot notice default; allocatable is observed)",
        _ => "provider's formula for the allocatable not observed",
    };
    k("reservation", json!(s.provider), reservation_why);
    match s.pods {
        Some(p) => k("max_pods", json!(p), "status.capacity.pods"),
        None => k(
            "max_pods",
            json!(crate::scenario::defaults::MAX_PODS),
            "no status.capacity.pods: kubelet's default maxPods",
        ),
    }
    if s.arch != "amd64" {
        k("arch", json!(s.arch), "label kubernetes.io/arch");
    }
    let price = EXAMPLE_POOLS
        .iter()
        .find(|p| p.machine_type == s.machine && p.spot == s.spot.is_some());
    match price {
        Some(p) => k(
            "price_per_hour",
            json!(p.price_per_hour),
            &format!("argosim price table: {}", p.source),
        ),
        None => {
            let what = if s.machine.is_empty() {
                "nodes without an instance type".to_string()
            } else if s.spot.is_some() {
                format!("spot {}", s.machine)
            } else {
                s.machine.clone()
            };
            out.warnings.push(crate::scenario::diag::Diagnostic {
                file: m.file.clone(),
                line: None,
                column: None,
                key: None,
                message: format!("pool {name:?}: no price for {what} in argosim's price table (src/import/pools.rs): price_per_hour = 0, so its cost reads 0 until you set it"),
                help: None,
            });
            k(
                "price_per_hour",
                json!(0.0),
                &format!("UNKNOWN: {what} is not in argosim's price table; set your price"),
            );
        }
    }
    if let Some(l) = &s.spot {
        k("spot", json!(true), &format!("label {l}"));
    }
    if !s.taints.is_empty() {
        k(
            "taints",
            json!(s.taints),
            "spec.taints keys (NoSchedule/NoExecute)",
        );
    }
    k(
        "nodes",
        json!(m.names.len()),
        "nodes observed; a fixed pool: set max_nodes to let the autoscaler grow it",
    );
    let shown: Vec<&str> = m.names.iter().take(5).map(String::as_str).collect();
    let more = if m.names.len() > 5 {
        format!(", … ({} in all)", m.names.len())
    } else {
        String::new()
    };
    let by = if g.label.is_empty() {
        String::new()
    } else {
        format!(", {}={}", g.label, g.value)
    };
    PoolOut {
        name,
        origin: format!(
            "{} node(s) from {}{by}: {}{more}",
            m.names.len(),
            m.first,
            shown.join(", ")
        ),
        keys,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ClusterImport, Src};
    use super::*;
    use crate::import::locate::LineIndex;

    fn run(text: &str) -> ClusterImport {
        let v: Value = serde_json::from_str(text).unwrap();
        let lines = LineIndex::new(text, 1);
        let src = Src {
            file: "nodes.json",
            lines: &lines,
            prefix: Vec::new(),
            base: None,
            fixed: None,
        };
        let mut out = Out::default();
        let mut nodes = Nodes::default();
        nodes.add(&N::root(&v, &src), &mut out);
        nodes.finish(&mut out);
        out.finish()
    }

    fn node(name: &str, labels: Value, cpu: &str, mem: &str, taints: Value) -> Value {
        json!({"kind": "Node", "metadata": {"name": name, "labels": labels},
               "spec": {"providerID": "gce://p/z/x", "taints": taints},
               "status": {"capacity": {"cpu": cpu, "memory": mem, "pods": "110"},
                          "allocatable": {"cpu": "15890m", "memory": "60Gi", "pods": "110"}}})
    }

    fn key<'a>(p: &'a PoolOut, k: &str) -> &'a Value {
        &p.keys
            .iter()
            .find(|x| x.0 == k)
            .unwrap_or_else(|| panic!("{k}"))
            .1
    }

    #[test]
    fn nodes_group_by_pool_label_and_split_by_shape() {
        let std = json!({"cloud.google.com/gke-nodepool": "default", "node.kubernetes.io/instance-type": "n2-standard-16"});
        let spot = json!({"cloud.google.com/gke-nodepool": "spot", "cloud.google.com/gke-spot": "true", "node.kubernetes.io/instance-type": "n2-standard-16"});
        let odd = json!({"cloud.google.com/gke-nodepool": "default", "node.kubernetes.io/instance-type": "n2-standard-32", "kubernetes.io/arch": "arm64"});
        let taint = json!([{"key": "cloud.google.com/gke-spot", "value": "true", "effect": "NoSchedule"},
                           {"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"},
                           {"key": "soft", "effect": "PreferNoSchedule"}]);
        let list = json!({"kind": "List", "items": [
            node("a", std.clone(), "16", "64Gi", json!([])),
            node("b", std, "16", "64Gi", json!([])),
            node("c", spot, "16", "64Gi", taint),
            node("d", odd, "32", "128Gi", json!([])),
            {"kind": "Node", "metadata": {"name": "e"}, "spec": {"unschedulable": true}},
        ]});
        let c = run(&serde_json::to_string_pretty(&list).unwrap());
        let names: Vec<&str> = c.pools.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            ["default-n2-standard-16", "default-n2-standard-32", "spot"]
        );
        let p = &c.pools[0];
        assert_eq!(key(p, "nodes"), 2);
        assert_eq!(key(p, "price_per_hour"), 0.7769);
        assert_eq!(key(p, "allocatable_cpu"), "15890m");
        assert_eq!(key(p, "reservation"), "gke");
        let spot = &c.pools[2];
        assert_eq!(key(spot, "spot"), true);
        assert_eq!(key(spot, "price_per_hour"), 0.2398);
        assert_eq!(key(spot, "taints"), &json!(["cloud.google.com/gke-spot"]));
        assert_eq!(key(&c.pools[1], "arch"), "arm64");
        assert_eq!(key(&c.pools[1], "price_per_hour"), 0.0);
        let all: Vec<String> = c.warnings.iter().map(ToString::to_string).collect();
        let all = all.join("\n");
        assert!(
            all.contains("pool \"default\": its nodes differ in shape"),
            "{all}"
        );
        assert!(all.contains("no price for n2-standard-32"), "{all}");
        assert!(all.contains("node e is cordoned"), "{all}");
        assert!(all.contains("taint soft:PreferNoSchedule"), "{all}");
    }

    #[test]
    fn eks_and_karpenter_labels_and_a_single_node() {
        let n = json!({"kind": "Node", "metadata": {"name": "ip-1", "labels": {
            "karpenter.sh/nodepool": "batch", "karpenter.sh/capacity-type": "spot",
            "node.kubernetes.io/instance-type": "m5.4xlarge"}},
            "spec": {"providerID": "aws:///us-east-1a/i-1"},
            "status": {"capacity": {"cpu": "16", "memory": "64Gi", "pods": "234"}}});
        let c = run(&n.to_string());
        let p = &c.pools[0];
        assert_eq!(p.name, "batch");
        assert_eq!(key(p, "reservation"), "eks");
        assert_eq!(key(p, "max_pods"), 234);
        // On-demand m5.4xlarge is in the table; its spot price is not.
        assert_eq!(key(p, "price_per_hour"), 0.0);
        assert!(p.keys.iter().all(|k| k.0 != "allocatable_cpu"));
    }
}
