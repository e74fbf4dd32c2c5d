//! What `replay` compares and `calibrate` reports of one workflow, the same way for a real
//! run and a simulated one: makespan (finished − created), pods and retries (pod nodes, and
//! those that are not the first attempt of their Retry node), per-step gaps (a pod node's
//! start minus the latest finish among the pod nodes it waited for, found by walking
//! `children` upwards through the virtual nodes as Argo links them: a DAG task hangs under its
//! dependencies' outbound pod nodes, a step group under the previous group's), and pending
//! time (pod creation to main container start, when pods are given).

use super::{NodeType, ObservedPod, ObservedWorkflow};
use std::collections::HashMap;

/// One dependency edge's wait.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StepGap {
    /// The waiting pod node's display name.
    pub node: String,
    /// Its template.
    pub template: String,
    /// Its start minus the latest finish of the pod nodes it depended on, s.
    pub gap_s: f64,
}

/// One workflow's measures.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WorkflowMeasures {
    /// Workflow name.
    pub name: String,
    /// Its family ([`ObservedWorkflow::family`]).
    pub family: String,
    /// Final phase.
    pub phase: String,
    /// Finished − created, s (None: unfinished).
    pub makespan_s: Option<f64>,
    /// Pod nodes.
    pub pods: u32,
    /// Pod nodes that are a later attempt of a Retry node.
    pub retries: u32,
    /// Per-step gaps, in node-id order.
    pub gaps: Vec<StepGap>,
    /// Mean of pod creation → main container start over its pods, s (None: no pod data).
    pub pending_s: Option<f64>,
}

/// Measure each of `wfs` with its own pods (grouped by their workflow label once, so the
/// cost is linear in workflows + pods).
pub fn measure_all(wfs: &[ObservedWorkflow], pods: &[ObservedPod]) -> Vec<WorkflowMeasures> {
    let mut by_wf: HashMap<&str, Vec<&ObservedPod>> = HashMap::new();
    for p in pods {
        by_wf.entry(p.workflow.as_str()).or_default().push(p);
    }
    wfs.iter()
        .map(|w| measure(w, by_wf.get(w.name.as_str()).map_or(&[][..], |v| &v[..])))
        .collect()
}

/// Measure `wf`, with `pods` (any pods; those labelled with its name are used: pass only its
/// own, as [`measure_all`] does, when measuring many).
pub fn measure(wf: &ObservedWorkflow, pods: &[&ObservedPod]) -> WorkflowMeasures {
    let index: HashMap<&str, usize> = wf
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i))
        .collect();
    let mut parents: Vec<Vec<usize>> = vec![Vec::new(); wf.nodes.len()];
    let mut later_attempt = vec![false; wf.nodes.len()];
    for (p, n) in wf.nodes.iter().enumerate() {
        for (k, c) in n.children.iter().enumerate() {
            if let Some(&ci) = index.get(c.as_str()) {
                parents[ci].push(p);
                if n.node_type == NodeType::Retry && k > 0 {
                    later_attempt[ci] = true;
                }
            }
        }
    }
    let mut gaps = Vec::new();
    let mut seen = vec![usize::MAX; wf.nodes.len()];
    let mut stack = Vec::new();
    for (i, n) in wf.nodes.iter().enumerate() {
        if n.node_type != NodeType::Pod || later_attempt[i] {
            continue;
        }
        let Some(start) = n.started_s else { continue };
        // Walk up through virtual nodes to the pod nodes this one waited for.
        let mut latest: Option<f64> = None;
        stack.clear();
        stack.extend(parents[i].iter().copied());
        while let Some(p) = stack.pop() {
            if seen[p] == i {
                continue;
            }
            seen[p] = i;
            let pn = &wf.nodes[p];
            if pn.node_type == NodeType::Pod {
                if let Some(f) = pn.finished_s {
                    latest = Some(latest.map_or(f, |l: f64| l.max(f)));
                }
            } else if pn.id != wf.name {
                stack.extend(parents[p].iter().copied());
            }
        }
        if let Some(l) = latest {
            gaps.push(StepGap {
                node: n.display_name.clone(),
                template: n.template.clone(),
                gap_s: start - l,
            });
        }
    }
    let mine: Vec<&&ObservedPod> = pods.iter().filter(|p| p.workflow == wf.name).collect();
    let pend: Vec<f64> = mine
        .iter()
        .filter_map(|p| p.main.started_s.map(|s| s - p.created_s))
        .collect();
    WorkflowMeasures {
        name: wf.name.clone(),
        family: wf.family().to_string(),
        phase: wf.phase.clone(),
        makespan_s: wf.makespan_s(),
        pods: wf
            .nodes
            .iter()
            .filter(|n| n.node_type == NodeType::Pod)
            .count() as u32,
        retries: later_attempt.iter().filter(|&&b| b).count() as u32,
        gaps,
        pending_s: (!pend.is_empty()).then(|| pend.iter().sum::<f64>() / pend.len() as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observed::ObservedNode;

    fn node(id: &str, ty: NodeType, t: (f64, f64), children: &[&str]) -> ObservedNode {
        ObservedNode {
            id: id.into(),
            name: id.into(),
            display_name: id.into(),
            node_type: ty,
            template: "t".into(),
            phase: "Succeeded".into(),
            started_s: Some(t.0),
            finished_s: Some(t.1),
            host: String::new(),
            message: String::new(),
            progress: String::new(),
            children: children.iter().map(|c| c.to_string()).collect(),
            boundary: String::new(),
        }
    }

    #[test]
    fn gaps_walk_through_virtual_nodes_and_skip_later_attempts() {
        // w -> a (pod, ends 10) and b (Retry: b0 fails at 20, b1) ; a and b1 -> c (pod).
        let wf = ObservedWorkflow {
            name: "w".into(),
            namespace: String::new(),
            generate_name: "w-".into(),
            template_ref: String::new(),
            created_s: 0.0,
            started_s: Some(0.0),
            finished_s: Some(60.0),
            phase: "Succeeded".into(),
            message: String::new(),
            progress: String::new(),
            nodes: vec![
                node("w", NodeType::Dag, (0.0, 60.0), &["a", "b"]),
                node("a", NodeType::Pod, (1.0, 10.0), &["c"]),
                node("b", NodeType::Retry, (1.0, 40.0), &["b0", "b1"]),
                node("b0", NodeType::Pod, (1.0, 20.0), &[]),
                node("b1", NodeType::Pod, (25.0, 40.0), &["c"]),
                node("c", NodeType::Pod, (47.0, 60.0), &[]),
            ],
            source: String::new(),
        };
        let m = measure(&wf, &[]);
        assert_eq!(m.pods, 4);
        assert_eq!(m.retries, 1);
        assert_eq!(m.makespan_s, Some(60.0));
        // Only c waited for pods: 47 - max(10, 40).
        assert_eq!(m.gaps.len(), 1);
        assert_eq!(m.gaps[0].gap_s, 7.0);
        assert_eq!(m.pending_s, None);
    }
}
