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

/// Measure `wf`, with `pods` (any pods; those labelled with its name are used).
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
