//! A simulated run as Argo objects: each workflow of a [`Trace`] as a `Workflow` with a
//! `status.nodes` laid out as the v3.6 controller lays it out, and each pod as a `Pod` with
//! the conditions and container statuses the kubelet reports; then both as `kubectl get -o
//! json` Lists. Users diff these with their own tools, and `calibrate`/`replay` read them as
//! they read a real cluster's.
//!
//! Layout (checked in argo-workflows v3.6.19): node ids are `Workflow.NodeID` (the workflow
//! name for the root, else `<workflow>-<fnv32a(node name)>`,
//! `pkg/apis/workflow/v1alpha1/workflow_types.go`); pod names are `GeneratePodName` v2
//! (`<workflow>-<template>-<fnv32a(node name)>`, `workflow/util/pod_name.go`); a DAG task's
//! node hangs under each outbound pod node of its dependencies, a root task under the DAG node
//! (`workflow/controller/dag.go` `executeDAGTask`); a looped task gets a `TaskGroup` node with
//! items `task(i:i)`, a `retryStrategy` a `Retry` node with attempts `(k)`; steps hang under
//! `StepGroup` nodes `wf[g]`, each group under the previous group's outbound pod nodes. A pod
//! node starts when its CREATE is issued and finishes at its last container's finish
//! (`getLatestFinishedAt`, `workflow/controller/operator.go`). Timestamps are written as
//! `metav1.Time` writes them, truncated to whole seconds, from [`EXPORT_EPOCH_S`].
//!
//! Simplified: the simulator does not keep which item a retry belongs to, so a retry of a
//! task is paired with the earliest-created item of that task whose latest attempt failed
//! (exact for single-item tasks and for items retried in creation order). Only pod, retry,
//! loop and group nodes are written (no `Skipped`/`Omitted` nodes, no outputs, no
//! `resourcesDuration`).

use super::{ContainerRun, NodeType, ObservedNode, ObservedPod, ObservedWorkflow, format_rfc3339};
use crate::metrics::{PodSpan, Trace};
use crate::scenario::Scenario;
use crate::scenario::schema::WorkflowKind;
use serde_json::{Map, Value, json};

/// The instant a simulated run starts at in exported objects: 2026-01-01T00:00:00Z.
pub const EXPORT_EPOCH_S: f64 = 1_767_225_600.0;

/// Go's `hash/fnv` 32-bit FNV-1a.
fn fnv32a(s: &str) -> u32 {
    s.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ b as u32).wrapping_mul(0x0100_0193)
    })
}

fn node_id(wf: &str, name: &str) -> String {
    if name == wf {
        wf.to_string()
    } else {
        format!("{wf}-{}", fnv32a(name))
    }
}

/// A DNS-label form of a task name for pod names.
fn dns(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    out.truncate(40);
    out.trim_matches('-').to_string()
}

fn abs(t: f64) -> f64 {
    EXPORT_EPOCH_S + t
}

fn done(phase: &str) -> bool {
    matches!(phase, "Succeeded" | "Failed" | "Error")
}

/// Builds one workflow's nodes.
struct Nodes<'a> {
    wf: &'a str,
    nodes: Vec<ObservedNode>,
}

impl Nodes<'_> {
    fn push(&mut self, name: String, display: String, ty: NodeType, template: &str) -> usize {
        self.nodes.push(ObservedNode {
            id: node_id(self.wf, &name),
            name,
            display_name: display,
            node_type: ty,
            template: template.to_string(),
            phase: String::new(),
            started_s: None,
            finished_s: None,
            host: String::new(),
            message: String::new(),
            progress: String::new(),
            children: Vec::new(),
            boundary: String::new(),
        });
        self.nodes.len() - 1
    }

    fn link(&mut self, parent: usize, child: usize) {
        let id = self.nodes[child].id.clone();
        if !self.nodes[parent].children.contains(&id) {
            self.nodes[parent].children.push(id);
        }
    }

    /// A virtual node's phase and times from its children (in `kids`).
    fn summarise(&mut self, v: usize, kids: &[usize], last_decides: bool, wf_done: bool) {
        let ks: Vec<&ObservedNode> = kids.iter().map(|&k| &self.nodes[k]).collect();
        let started = ks.iter().filter_map(|k| k.started_s).reduce(f64::min);
        let all_done = ks.iter().all(|k| done(&k.phase));
        let phase = if last_decides {
            match ks.last().map(|k| k.phase.as_str()) {
                Some("Succeeded") => "Succeeded",
                Some(p) if done(p) && wf_done => p,
                _ => "Running",
            }
        } else if all_done && ks.iter().all(|k| k.phase == "Succeeded") {
            "Succeeded"
        } else if all_done && wf_done {
            "Failed"
        } else {
            "Running"
        };
        let finished = if phase == "Running" {
            None
        } else {
            ks.iter().filter_map(|k| k.finished_s).reduce(f64::max)
        };
        let phase = phase.to_string();
        let n = &mut self.nodes[v];
        n.phase = phase;
        n.started_s = started;
        n.finished_s = finished;
    }
}

/// Node names of one pod attempt.
fn pod_node(
    b: &mut Nodes<'_>,
    p: &PodSpan,
    name: String,
    display: String,
    trace: &Trace,
    pods_out: &mut Vec<ObservedPod>,
    namespace: &str,
) -> usize {
    let i = b.push(name, display, NodeType::Pod, &p.task);
    let host = p
        .node
        .and_then(|n| trace.nodes.get(n as usize))
        .map(|n| n.pool.clone())
        .zip(p.node)
        .map(|(pool, n)| format!("{pool}-{n}"))
        .unwrap_or_default();
    let finished = if done(p.phase) {
        p.exit_s.or(p.main_end_s)
    } else {
        None
    };
    {
        let n = &mut b.nodes[i];
        n.phase = p.phase.to_string();
        n.started_s = Some(abs(p.issued_s));
        n.finished_s = finished.map(abs);
        n.host = host.clone();
        n.message = p.message.to_string();
        n.progress = if p.phase == "Succeeded" { "1/1" } else { "0/1" }.into();
    }
    let node = &b.nodes[i];
    let run = |s: Option<f64>, f: Option<f64>, code: Option<i64>| ContainerRun {
        started_s: s.map(abs),
        finished_s: s.and(f).map(abs),
        exit_code: s.and(f).and(code),
    };
    let code = match p.phase {
        "Succeeded" => Some(0),
        "Failed" => Some(1),
        _ => None,
    };
    pods_out.push(ObservedPod {
        name: format!("{}-{}-{}", b.wf, dns(&p.task), fnv32a(&node.name)),
        namespace: namespace.to_string(),
        workflow: b.wf.to_string(),
        node_name: node.name.clone(),
        node_id: node.id.clone(),
        host,
        phase: p.phase.to_string(),
        created_s: abs(p.created_s),
        scheduled_s: p.scheduled_s.map(abs),
        initialized_s: p.init_end_s.map(abs),
        init: run(p.init_s, p.init_end_s, Some(0)),
        main: run(p.main_s, p.main_end_s, code),
        wait: run(p.main_s, p.exit_s, Some(0)),
        source: String::new(),
    });
    i
}

/// The workflows and pods of a traced run as Argo objects.
pub fn from_trace(trace: &Trace, sc: &Scenario) -> (Vec<ObservedWorkflow>, Vec<ObservedPod>) {
    let mut by_wf: Vec<Vec<&PodSpan>> = vec![Vec::new(); trace.workflows.len()];
    for p in &trace.pods {
        if let Some(v) = by_wf.get_mut(p.workflow as usize) {
            v.push(p);
        }
    }
    let mut workflows = Vec::new();
    let mut pods_out = Vec::new();
    for (w, span) in trace.workflows.iter().enumerate() {
        let Some(created) = span.created_s else {
            continue;
        };
        let Some(spec) = sc.workflows.get(span.spec as usize) else {
            continue;
        };
        let wf_done = done(&span.phase);
        let mut b = Nodes {
            wf: &span.name,
            nodes: Vec::new(),
        };
        let steps = spec.kind == WorkflowKind::Steps;
        let root = b.push(
            span.name.clone(),
            span.name.clone(),
            if steps {
                NodeType::Steps
            } else {
                NodeType::Dag
            },
            &spec.name,
        );
        // Items per task: each a list of attempts (indices into by_wf[w]).
        let mut items: Vec<Vec<Vec<usize>>> = vec![Vec::new(); spec.tasks.len()];
        for (k, p) in by_wf[w].iter().enumerate() {
            let its = &mut items[p.task_index as usize];
            let at = |its: &Vec<Vec<usize>>, want: u32, failed: bool| {
                its.iter().position(|a| {
                    let last = by_wf[w][*a.last().expect("items are never empty")];
                    last.attempt == want && (!failed || last.phase == "Failed")
                })
            };
            if p.attempt == 0 {
                its.push(vec![k]);
            } else if let Some(i) =
                at(its, p.attempt - 1, true).or_else(|| at(its, p.attempt, false))
            {
                its[i].push(k);
            } else {
                its.push(vec![k]);
            }
        }
        // Build task nodes; remember each task's node and outbound pod nodes.
        let mut task_node: Vec<Option<usize>> = vec![None; spec.tasks.len()];
        let mut outbound: Vec<Vec<usize>> = vec![Vec::new(); spec.tasks.len()];
        for (t, ts) in spec.tasks.iter().enumerate() {
            if items[t].is_empty() {
                continue;
            }
            let base = if steps {
                format!("{}[{}].{}", span.name, ts.group, ts.name)
            } else {
                format!("{}.{}", span.name, ts.name)
            };
            let group = (ts.width > 1)
                .then(|| b.push(base.clone(), ts.name.clone(), NodeType::TaskGroup, &ts.name));
            let mut item_nodes = Vec::new();
            for (i, attempts) in items[t].iter().enumerate() {
                let (iname, idisp) = if ts.width > 1 {
                    (format!("{base}({i}:{i})"), format!("{}({i}:{i})", ts.name))
                } else {
                    (base.clone(), ts.name.clone())
                };
                let item = if ts.retry.is_some() {
                    let r = b.push(iname.clone(), idisp.clone(), NodeType::Retry, &ts.name);
                    let mut kids = Vec::new();
                    for (k, &a) in attempts.iter().enumerate() {
                        let c = pod_node(
                            &mut b,
                            by_wf[w][a],
                            format!("{iname}({k})"),
                            format!("{idisp}({k})"),
                            trace,
                            &mut pods_out,
                            &span.namespace,
                        );
                        b.link(r, c);
                        kids.push(c);
                    }
                    b.summarise(r, &kids, true, wf_done);
                    outbound[t].push(*kids.last().expect("an item has an attempt"));
                    r
                } else {
                    // Without retries a later pod (a Pending node's pod created again) keeps the node.
                    let a = *attempts.last().expect("an item has an attempt");
                    let c = pod_node(
                        &mut b,
                        by_wf[w][a],
                        iname,
                        idisp,
                        trace,
                        &mut pods_out,
                        &span.namespace,
                    );
                    outbound[t].push(c);
                    c
                };
                if let Some(g) = group {
                    b.link(g, item);
                }
                item_nodes.push(item);
            }
            if let Some(g) = group {
                b.summarise(g, &item_nodes, false, wf_done);
            }
            task_node[t] = Some(group.unwrap_or(item_nodes[0]));
        }
        if steps {
            let mut prev: Vec<usize> = vec![root];
            for g in 0..spec.groups {
                let members: Vec<usize> = (0..spec.tasks.len())
                    .filter(|&t| spec.tasks[t].group == g && task_node[t].is_some())
                    .collect();
                if members.is_empty() {
                    break;
                }
                let sg = b.push(
                    format!("{}[{g}]", span.name),
                    format!("[{g}]"),
                    NodeType::StepGroup,
                    &spec.name,
                );
                for &p in &prev {
                    b.link(p, sg);
                }
                let kids: Vec<usize> = members.iter().filter_map(|&t| task_node[t]).collect();
                for &k in &kids {
                    b.link(sg, k);
                }
                b.summarise(sg, &kids, false, wf_done);
                prev = members.iter().flat_map(|&t| outbound[t].clone()).collect();
            }
        } else {
            for (t, ts) in spec.tasks.iter().enumerate() {
                let Some(tn) = task_node[t] else { continue };
                if ts.deps.is_empty() {
                    b.link(root, tn);
                }
                for &d in &ts.deps {
                    for o in outbound[d].clone() {
                        b.link(o, tn);
                    }
                }
            }
        }
        let pods_total = b
            .nodes
            .iter()
            .filter(|n| n.node_type == NodeType::Pod)
            .count();
        let pods_ok = b
            .nodes
            .iter()
            .filter(|n| n.node_type == NodeType::Pod && n.phase == "Succeeded")
            .count();
        let progress = format!("{pods_ok}/{pods_total}");
        let root_id = b.nodes[root].id.clone();
        for n in b.nodes.iter_mut().skip(1) {
            n.boundary = root_id.clone();
        }
        {
            let r = &mut b.nodes[root];
            r.phase = span.phase.clone();
            r.started_s = span.started_s.map(abs);
            r.finished_s = span.finished_s.filter(|_| wf_done).map(abs);
            r.progress = progress.clone();
        }
        let mut nodes = b.nodes;
        nodes.sort_by(|a, b| a.id.cmp(&b.id));
        workflows.push(ObservedWorkflow {
            name: span.name.clone(),
            namespace: span.namespace.clone(),
            generate_name: format!("{}-", spec.name),
            template_ref: spec.workflow_template_ref.clone().unwrap_or_default(),
            created_s: abs(created),
            started_s: span.started_s.map(abs),
            finished_s: span.finished_s.filter(|_| wf_done).map(abs),
            phase: span.phase.clone(),
            message: span.message.clone(),
            progress,
            nodes,
            source: format!("{} seed {}", trace.scenario, trace.seed),
        });
    }
    (workflows, pods_out)
}

fn ts(t: Option<f64>) -> Value {
    t.map_or(Value::Null, |t| Value::String(format_rfc3339(t)))
}

fn put(m: &mut Map<String, Value>, k: &str, v: &str) {
    if !v.is_empty() {
        m.insert(k.into(), json!(v));
    }
}

fn list(items: Vec<Value>) -> Value {
    json!({"apiVersion": "v1", "kind": "List", "items": items, "metadata": {"resourceVersion": ""}})
}

/// Workflows as `kubectl get wf -o json` prints them (a `List`).
pub fn workflows_json(wfs: &[ObservedWorkflow]) -> Value {
    list(
        wfs.iter()
            .map(|w| {
                let mut nodes = Map::new();
                for n in &w.nodes {
                    let mut m = Map::new();
                    put(&mut m, "boundaryID", &n.boundary);
                    if !n.children.is_empty() {
                        m.insert("children".into(), json!(n.children));
                    }
                    m.insert("displayName".into(), json!(n.display_name));
                    if n.finished_s.is_some() {
                        m.insert("finishedAt".into(), ts(n.finished_s));
                    }
                    put(&mut m, "hostNodeName", &n.host);
                    m.insert("id".into(), json!(n.id));
                    put(&mut m, "message", &n.message);
                    m.insert("name".into(), json!(n.name));
                    put(&mut m, "phase", &n.phase);
                    put(&mut m, "progress", &n.progress);
                    m.insert("startedAt".into(), ts(n.started_s));
                    put(&mut m, "templateName", &n.template);
                    m.insert("type".into(), json!(n.node_type.as_str()));
                    nodes.insert(n.id.clone(), Value::Object(m));
                }
                let mut labels = Map::new();
                if done(&w.phase) {
                    labels.insert("workflows.argoproj.io/completed".into(), json!("true"));
                } else {
                    labels.insert("workflows.argoproj.io/completed".into(), json!("false"));
                }
                if !w.phase.is_empty() {
                    labels.insert("workflows.argoproj.io/phase".into(), json!(w.phase));
                }
                if !w.template_ref.is_empty() {
                    labels.insert(
                        "workflows.argoproj.io/workflow-template".into(),
                        json!(w.template_ref),
                    );
                }
                let mut status = Map::new();
                if w.finished_s.is_some() {
                    status.insert("finishedAt".into(), ts(w.finished_s));
                }
                put(&mut status, "message", &w.message);
                status.insert("nodes".into(), Value::Object(nodes));
                put(&mut status, "phase", &w.phase);
                put(&mut status, "progress", &w.progress);
                status.insert("startedAt".into(), ts(w.started_s));
                json!({
                    "apiVersion": "argoproj.io/v1alpha1",
                    "kind": "Workflow",
                    "metadata": {
                        "creationTimestamp": format_rfc3339(w.created_s),
                        "generateName": w.generate_name,
                        "labels": labels,
                        "name": w.name,
                        "namespace": w.namespace,
                    },
                    "spec": {"entrypoint": w.family()},
                    "status": status,
                })
            })
            .collect(),
    )
}

fn container_status(name: &str, image: &str, c: &ContainerRun) -> Value {
    let state = match (c.started_s, c.finished_s) {
        (Some(s), Some(f)) => json!({"terminated": {
            "exitCode": c.exit_code.unwrap_or(0),
            "finishedAt": format_rfc3339(f),
            "reason": if c.exit_code.unwrap_or(0) == 0 { "Completed" } else { "Error" },
            "startedAt": format_rfc3339(s),
        }}),
        (Some(s), None) => json!({"running": {"startedAt": format_rfc3339(s)}}),
        _ => json!({"waiting": {"reason": "PodInitializing"}}),
    };
    json!({"image": image, "name": name, "ready": false, "restartCount": 0,
           "started": c.started_s.is_some() && c.finished_s.is_none(), "state": state})
}

/// Pods as `kubectl get pods -o json` prints them (a `List`).
pub fn pods_json(pods: &[ObservedPod], executor_image: &str) -> Value {
    list(
        pods.iter()
            .map(|p| {
                let mut conds = Vec::new();
                let mut cond = |ty: &str, t: Option<f64>| {
                    if let Some(t) = t {
                        conds.push(json!({"lastProbeTime": null, "lastTransitionTime": format_rfc3339(t), "status": "True", "type": ty}));
                    }
                };
                cond("PodScheduled", p.scheduled_s);
                cond("Initialized", p.initialized_s);
                json!({
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {
                        "annotations": {
                            "workflows.argoproj.io/node-id": p.node_id,
                            "workflows.argoproj.io/node-name": p.node_name,
                        },
                        "creationTimestamp": format_rfc3339(p.created_s),
                        "labels": {"workflows.argoproj.io/workflow": p.workflow},
                        "name": p.name,
                        "namespace": p.namespace,
                    },
                    "spec": {"nodeName": p.host},
                    "status": {
                        "conditions": conds,
                        "containerStatuses": [
                            container_status("main", "main", &p.main),
                            container_status("wait", executor_image, &p.wait),
                        ],
                        "initContainerStatuses": [container_status("init", executor_image, &p.init)],
                        "phase": p.phase,
                    },
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_ids_are_workflow_node_id() {
        // pkg/apis/workflow/v1alpha1/workflow_types.go `(*Workflow).NodeID`: the ids of
        // workflow/controller/testdata/dag_retry_succeeded.yaml (v3.6.19).
        assert_eq!(
            node_id("dag-with-retries-4wkh8", "dag-with-retries-4wkh8.step1"),
            "dag-with-retries-4wkh8-2805650605"
        );
        assert_eq!(
            node_id("dag-with-retries-4wkh8", "dag-with-retries-4wkh8.step1(0)"),
            "dag-with-retries-4wkh8-2105190396"
        );
        assert_eq!(node_id("w-1", "w-1"), "w-1");
    }

    #[test]
    fn written_objects_read_back_the_same() {
        let wf = ObservedWorkflow {
            name: "w-0".into(),
            namespace: "argo".into(),
            generate_name: "w-".into(),
            template_ref: String::new(),
            created_s: EXPORT_EPOCH_S,
            started_s: Some(EXPORT_EPOCH_S + 1.0),
            finished_s: Some(EXPORT_EPOCH_S + 70.0),
            phase: "Succeeded".into(),
            message: String::new(),
            progress: "1/1".into(),
            nodes: vec![ObservedNode {
                id: node_id("w-0", "w-0"),
                name: "w-0".into(),
                display_name: "w-0".into(),
                node_type: NodeType::Dag,
                template: "w".into(),
                phase: "Succeeded".into(),
                started_s: Some(EXPORT_EPOCH_S + 1.0),
                finished_s: Some(EXPORT_EPOCH_S + 70.0),
                host: String::new(),
                message: String::new(),
                progress: "1/1".into(),
                children: vec![],
                boundary: String::new(),
            }],
            source: String::new(),
        };
        let text = serde_json::to_string(&workflows_json(std::slice::from_ref(&wf))).unwrap();
        let mut back = crate::observed::ObservedInput::default();
        crate::observed::parse_text("x.json", &text, &mut back).unwrap();
        let mut got = back.workflows.remove(0);
        got.source = String::new();
        assert_eq!(got, wf);
    }
}
