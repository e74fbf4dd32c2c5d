//! Pure rules of one reconcile, functions of the workflow's spec and state: retryStrategy's
//! backoff (`retry_backoff`), the group nodes a completion closes (`group_completions`), and
//! the nodes that need a semaphore ConfigMap GET (`semaphore_nodes`), and the run-length pod
//! creation plan (`PlanItem`, `take_one`). No events, no state.

use super::super::pods::Pod;
use crate::argo::workflow::TaskRun;
use crate::engine::SimTime;
use crate::scenario::schema::{RetryPolicy, WorkflowKind};
use std::collections::VecDeque;

/// Unfinished nodes of `w` that hold or wait for a ConfigMap-backed semaphore (mutexes need no
/// ConfigMap): the workflow itself for a workflow-level semaphore, and each active or still
/// to be created item of a task with a template-level one.
pub(super) fn semaphore_nodes(
    sc: &crate::scenario::Scenario,
    spec: &crate::scenario::WorkflowSpec,
    w: &crate::argo::workflow::WorkflowRun,
) -> u32 {
    let is_sem = |l: usize| sc.locks[l].name.starts_with("argo/ConfigMap/");
    let mut n = u32::from(spec.lock.is_some_and(is_sem));
    for (t, ts) in w.tasks.iter().zip(&spec.tasks) {
        if ts.lock.is_some_and(is_sem) {
            n += t.active + u32::from(t.created < ts.width);
        }
    }
    n
}

/// Group nodes that complete when `task`'s last item completes: its TaskGroup (a DAG task
/// with a loop), or its StepGroup once every step of the group is done.
pub(super) fn group_completions(
    spec: &crate::scenario::WorkflowSpec,
    tasks: &[TaskRun],
    task: u32,
) -> u32 {
    let ts = &spec.tasks[task as usize];
    match spec.kind {
        WorkflowKind::Dag => u32::from(ts.width > 1),
        WorkflowKind::Steps => {
            let group_done = spec
                .tasks
                .iter()
                .zip(tasks)
                .filter(|(s, _)| s.group == ts.group)
                .all(|(s, t)| t.succeeded + t.failed == s.width);
            u32::from(group_done)
        }
    }
}

/// Backoff before the next attempt of a failed pod's item, or `None` if its retryStrategy
/// (policy, limit, maxDuration) does not allow one (argo-facts §7).
pub(super) fn retry_backoff(
    task: &crate::scenario::TaskSpec,
    pod: &Pod,
    now: SimTime,
) -> Option<SimTime> {
    let r = task.retry.as_ref()?;
    let policy_ok = match r.policy {
        RetryPolicy::Always => true,
        RetryPolicy::OnFailure => !pod.fail_error,
        RetryPolicy::OnError => pod.fail_error,
        // Neither "pod deleted" nor node shutdown nor an exit code is a transient error.
        RetryPolicy::OnTransientError => false,
    };
    if !policy_ok || r.limit.is_some_and(|l| pod.attempt >= l) {
        return None;
    }
    let backoff =
        SimTime::from_secs_f64_ceil(r.backoff.as_secs_f64() * r.factor.powi(pod.attempt as i32));
    if let Some(max) = r.max_duration
        && now.plus(backoff).since(pod.first_start) > SimTime(max.0)
    {
        return None;
    }
    Some(backoff)
}

/// Pods to create: task, retry attempt, when the item's first attempt was created, and how
/// many such pods in a row (run-length: a reconcile plans every ready pod of a wide task, and
/// `MAX_OPERATION_TIME` may stop it after a few hundred, so one entry per pod would cost
/// O(width) per reconcile).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PlanItem {
    pub(super) task: u32,
    pub(super) attempt: u32,
    pub(super) first_start: SimTime,
    /// The pod of a still-Pending node, created again (its node already exists).
    pub(super) recreate: bool,
    /// Pods of this item still to create (>= 1).
    pub(super) count: u32,
}

/// Take the first pod of the plan.
pub(super) fn take_one(plan: &mut VecDeque<PlanItem>) -> Option<PlanItem> {
    let front = plan.front_mut()?;
    if front.count > 1 {
        front.count -= 1;
        return Some(PlanItem { count: 1, ..*front });
    }
    plan.pop_front()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run of `count` pods is taken one at a time, then the next item.
    #[test]
    fn take_one_walks_a_run_then_the_next_item() {
        let item = |task, count| PlanItem {
            task,
            attempt: 0,
            first_start: SimTime(7),
            recreate: false,
            count,
        };
        let mut plan: VecDeque<PlanItem> = [item(0, 3), item(1, 1)].into();
        let tasks: Vec<(u32, u32)> = std::iter::from_fn(|| take_one(&mut plan))
            .map(|p| (p.task, p.count))
            .collect();
        assert_eq!(tasks, vec![(0, 1), (0, 1), (0, 1), (1, 1)]);
        assert!(plan.is_empty());
    }
}
