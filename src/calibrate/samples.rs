//! What the observed runs say about each part of a run: per task, the main container's run
//! times and its failures; per pod, the startup stages; per workflow, the per-step gaps.
//!
//! A status node belongs to the task named by its call path without the workflow's name,
//! loop items `(i:v)`, retry attempts `(k)` and step-group indices `[g]`
//! (`wf.outer.inner(2:x)(1)` → `outer.inner`, `wf[0].step[1].inner` → `step.inner`): the same
//! path the manifest importer gives a flattened task. A pod is joined to its node by the
//! `workflows.argoproj.io/node-id` annotation, else the `node-name` annotation.
//!
//! Run times: with the pod, the main container's `finishedAt − startedAt`; without it, the
//! node's `finishedAt − startedAt` minus the scenario's startup stages (sandbox, init and wait
//! container times) and flagged as such. Only Succeeded attempts give run times (a failed
//! attempt's run was cut short); every attempt counts for the failure probability.

use crate::observed::{NodeType, ObservedInput, ObservedPod, measure};
use std::collections::{BTreeMap, HashMap};

/// Samples of one task of one workflow family.
#[derive(Debug, Clone, Default)]
pub struct TaskSamples {
    /// Templates seen for it (`templateName`).
    pub templates: Vec<String>,
    /// Run times, s.
    pub run_s: Vec<f64>,
    /// How many of `run_s` came from pods (the rest from node durations).
    pub from_pods: usize,
    /// Pod attempts that ended (Succeeded, Failed or Error).
    pub attempts: u64,
    /// Of those, Failed ones (the main container exited non-zero).
    pub failed: u64,
}

/// Pod startup stage samples, s.
#[derive(Debug, Clone, Default)]
pub struct StageSamples {
    /// Created → `PodScheduled`.
    pub scheduling: Vec<f64>,
    /// `PodScheduled` → `init` started (sandbox, plus the executor image pull when missing).
    pub sandbox: Vec<f64>,
    /// The same, only for pods bound after another pod's `init` had started on their node:
    /// with `imagePullPolicy: IfNotPresent` the executor image was there, so no pull.
    pub sandbox_warm: Vec<f64>,
    /// `init` started → finished.
    pub init: Vec<f64>,
    /// `init` finished → `main` started (the main image pull when missing).
    pub main_start: Vec<f64>,
    /// `main` finished → `wait` finished.
    pub wait: Vec<f64>,
}

/// Everything sampled.
#[derive(Debug, Clone, Default)]
pub struct Samples {
    /// By (workflow family, task path).
    pub tasks: BTreeMap<(String, String), TaskSamples>,
    /// Startup stages over all pods.
    pub stages: StageSamples,
    /// Per-step gaps over all workflows, s.
    pub gaps: Vec<f64>,
    /// Pods joined to a node.
    pub pods_joined: usize,
    /// Pods given that matched no node.
    pub pods_unmatched: usize,
}

/// A node's task path (see the module documentation).
pub fn task_path(workflow: &str, node_name: &str) -> String {
    let rest = node_name.strip_prefix(workflow).unwrap_or(node_name);
    let mut out = String::with_capacity(rest.len());
    let mut depth = 0usize;
    for c in rest.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.split('.')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(".")
}

fn span(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    let d = b? - a?;
    (d.is_finite() && d >= 0.0).then_some(d)
}

/// Sample `input`; `startup_s` is the scenario's sandbox + init + wait time, taken off node
/// durations when a node has no pod.
pub fn sample(input: &ObservedInput, startup_s: f64) -> Samples {
    let mut s = Samples::default();
    let mut by_id: HashMap<(&str, &str), &ObservedPod> = HashMap::new();
    let mut by_name: HashMap<(&str, &str), &ObservedPod> = HashMap::new();
    for p in &input.pods {
        if !p.node_id.is_empty() {
            by_id.insert((&p.workflow, &p.node_id), p);
        }
        if !p.node_name.is_empty() {
            by_name.insert((&p.workflow, &p.node_name), p);
        }
    }
    // When the executor image was first on each node: the earliest init start there.
    let mut warm_at: HashMap<&str, f64> = HashMap::new();
    for p in &input.pods {
        if let (false, Some(t)) = (p.host.is_empty(), p.init.started_s) {
            let e = warm_at.entry(p.host.as_str()).or_insert(t);
            *e = e.min(t);
        }
    }
    let mut joined = std::collections::HashSet::new();
    for wf in &input.workflows {
        let fam = wf.family().to_string();
        for n in wf.nodes.iter().filter(|n| n.node_type == NodeType::Pod) {
            let pod = by_id
                .get(&(wf.name.as_str(), n.id.as_str()))
                .or_else(|| by_name.get(&(wf.name.as_str(), n.name.as_str())))
                .copied();
            let t = s
                .tasks
                .entry((fam.clone(), task_path(&wf.name, &n.name)))
                .or_default();
            if !n.template.is_empty() && !t.templates.contains(&n.template) {
                t.templates.push(n.template.clone());
            }
            let ended = matches!(n.phase.as_str(), "Succeeded" | "Failed" | "Error");
            if ended {
                t.attempts += 1;
                t.failed += u64::from(n.phase == "Failed");
            }
            if let Some(p) = pod {
                joined.insert(p.name.as_str());
                let st = &mut s.stages;
                st.scheduling.extend(span(Some(p.created_s), p.scheduled_s));
                let sandbox = span(p.scheduled_s, p.init.started_s);
                st.sandbox.extend(sandbox);
                if let (Some(d), Some(b), Some(w)) =
                    (sandbox, p.scheduled_s, warm_at.get(p.host.as_str()))
                    && b >= *w
                {
                    st.sandbox_warm.push(d);
                }
                st.init.extend(span(p.init.started_s, p.init.finished_s));
                st.main_start
                    .extend(span(p.init.finished_s, p.main.started_s));
                st.wait.extend(span(p.main.finished_s, p.wait.finished_s));
            }
            if n.phase != "Succeeded" {
                continue;
            }
            match pod.and_then(|p| span(p.main.started_s, p.main.finished_s)) {
                Some(d) => {
                    t.run_s.push(d);
                    t.from_pods += 1;
                }
                None => {
                    if let Some(d) = span(n.started_s, n.finished_s) {
                        t.run_s.push((d - startup_s).max(0.0));
                    }
                }
            }
        }
        let pods: Vec<&ObservedPod> = Vec::new();
        s.gaps
            .extend(measure(wf, &pods).gaps.iter().map(|g| g.gap_s));
    }
    s.pods_joined = joined.len();
    s.pods_unmatched = input.pods.len() - joined.len();
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observed::{ContainerRun, ObservedNode, ObservedWorkflow};

    fn pod(name: &str, host: &str, scheduled: f64, init: f64) -> ObservedPod {
        ObservedPod {
            name: name.into(),
            namespace: String::new(),
            workflow: "w".into(),
            node_name: format!("w.{name}"),
            node_id: String::new(),
            host: host.into(),
            phase: "Succeeded".into(),
            created_s: scheduled,
            scheduled_s: Some(scheduled),
            initialized_s: Some(init + 1.0),
            init: ContainerRun {
                started_s: Some(init),
                finished_s: Some(init + 1.0),
                exit_code: Some(0),
            },
            main: ContainerRun {
                started_s: Some(init + 1.0),
                finished_s: Some(init + 11.0),
                exit_code: Some(0),
            },
            wait: ContainerRun {
                started_s: Some(init + 1.0),
                finished_s: Some(init + 12.0),
                exit_code: Some(0),
            },
            source: String::new(),
        }
    }

    #[test]
    fn sandbox_is_sampled_only_where_the_executor_image_was_on_the_node() {
        // kubelet `imagePullPolicy: IfNotPresent` (kubernetes pkg/kubelet/images/
        // image_manager.go `EnsureImageExists`): once a pod's init container started on a node,
        // the executor image is there. a and b are bound together and both pull (9 s); c is
        // bound on the same node after a's init started: its 1 s is the sandbox alone.
        let pods = vec![
            pod("a", "n1", 0.0, 10.0),
            pod("b", "n1", 0.0, 10.0),
            pod("c", "n1", 20.0, 21.0),
        ];
        let node = |n: &str| ObservedNode {
            id: n.into(),
            name: format!("w.{n}"),
            display_name: n.into(),
            node_type: NodeType::Pod,
            template: "t".into(),
            phase: "Succeeded".into(),
            started_s: Some(0.0),
            finished_s: Some(40.0),
            host: "n1".into(),
            message: String::new(),
            progress: String::new(),
            children: vec![],
            boundary: String::new(),
        };
        let wf = ObservedWorkflow {
            name: "w".into(),
            namespace: String::new(),
            generate_name: "w-".into(),
            template_ref: String::new(),
            created_s: 0.0,
            started_s: Some(0.0),
            finished_s: Some(40.0),
            phase: "Succeeded".into(),
            message: String::new(),
            progress: String::new(),
            nodes: vec![node("a"), node("b"), node("c")],
            source: String::new(),
        };
        let input = ObservedInput {
            workflows: vec![wf],
            pods,
            warnings: vec![],
        };
        let s = sample(&input, 3.0);
        assert_eq!(s.stages.sandbox, vec![10.0, 10.0, 1.0]);
        assert_eq!(s.stages.sandbox_warm, vec![1.0]);
        assert_eq!(s.pods_joined, 3);
        assert_eq!(
            s.tasks[&("w".to_string(), "a".to_string())].run_s,
            vec![10.0]
        );
    }

    #[test]
    fn task_paths_drop_items_attempts_and_groups() {
        assert_eq!(task_path("wf-x1", "wf-x1.step1(1)"), "step1");
        assert_eq!(
            task_path("wf-x1", "wf-x1.outer.inner(2:{\"a\":1})(0)"),
            "outer.inner"
        );
        assert_eq!(task_path("wf-x1", "wf-x1[0].step[1].inner"), "step.inner");
        assert_eq!(task_path("wf-x1", "wf-x1[2].hello"), "hello");
        assert_eq!(task_path("wf-x1", "other.a"), "other.a");
    }
}
