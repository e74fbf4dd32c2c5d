//! Critical-path attribution: why each finished workflow took as long as it did.
//!
//! The walk starts from the pod whose completion the controller saw last and goes back
//! through the chain that determined it: a retried or re-created pod leads to its earlier
//! try, a pod to the dependency pod whose completion it waited for last (dependencies are
//! task-level, as Argo's DAG and steps are). Every instant of the makespan (arrival to the
//! final phase) lands in exactly one cause, so the causes sum to the makespan:
//!
//! - before the Workflow exists: waiting for a free submitter, the submitter's client-side
//!   throttle, the rest of submission (validation GETs, CREATE);
//! - between pods (and after the last): the controller's activity log (`controller/
//!   activity.rs`): requeue delay, queue wait, reconcile, its calls' bucket waits and time at
//!   the apiserver, parallelism or lock holds, controller down;
//! - within a pod: the CREATE (bucket wait, apiserver), scheduling, Unschedulable split by
//!   what the allowed pools were doing (a node of theirs provisioning; all at `max_nodes`;
//!   room left but no scale-up yet), the binding's wait in kube-scheduler's bucket, sandbox
//!   and init (with the artifact read), image pulls and their back-off, the main container,
//!   and the wait container up to the point the controller could see the pod done
//!   (outputs, artifact write, TaskResult, status PATCH);
//! - earlier tries of a retried or re-created pod, with their backoff: "retries".
//!
//! Simplified: the previous try of a retried pod is matched by task, attempt and first
//! start, so two items of one task retried in the same reconcile may be swapped (their
//! timings are alike); pods of a workflow's `parallelism` wait show as the hold, not as the
//! unrelated pod whose completion freed the slot.

use super::controller::{Act, Mark, split_activity};
use super::pods::{Pod, PodState, Pods};
use crate::argo::workflow::WorkflowRun;
use crate::engine::SimTime;
use crate::kube::nodes::Node;
use crate::metrics::{CAUSE_KEYS, CauseSeconds};
use crate::scenario::Scenario;

/// A cause of a workflow's wall time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Cause {
    SubmitterBusy,
    SubmissionThrottle,
    Submission,
    RequeueDelay,
    QueueWait,
    Reconcile,
    ControllerApi,
    PodCreateThrottle,
    ControllerThrottle,
    Parallelism,
    Lock,
    ControllerDown,
    Scheduling,
    BindThrottle,
    PoolsAtMax(u64),
    PoolsFull(u64),
    NodeComingUp,
    AwaitingScaleUp,
    SandboxInit,
    ImagePull,
    ImagePullBackoff,
    Main,
    Wait,
    RetriesPreempted,
    Retries,
}

impl Cause {
    /// The name the report uses (pool causes name the pool and its limit).
    pub(super) fn label(self, sc: &Scenario) -> String {
        let s = match self {
            Cause::SubmitterBusy => "waiting for a free submitter",
            Cause::SubmissionThrottle => "submission: client-side throttle",
            Cause::Submission => "submission: validation and CREATE",
            Cause::RequeueDelay => "controller: requeue delay (AddAfter)",
            Cause::QueueWait => "controller: workflow queue wait",
            Cause::Reconcile => "controller: reconcile",
            Cause::ControllerApi => "controller: API calls",
            Cause::PodCreateThrottle => "controller: pod creation throttle",
            Cause::ControllerThrottle => "controller: client-side throttle (other calls)",
            Cause::Parallelism => "controller: parallelism hold",
            Cause::Lock => "controller: semaphore/mutex wait",
            Cause::ControllerDown => "controller: down (restart)",
            Cause::Scheduling => "scheduler: queue, cycle and binding",
            Cause::BindThrottle => "scheduler: bind throttle (kube-scheduler client bucket)",
            Cause::PoolsAtMax(m) => {
                return format!(
                    "Unschedulable: pools at max_nodes: {}",
                    pool_names(sc, m, "max ")
                );
            }
            Cause::PoolsFull(m) => {
                return format!(
                    "Unschedulable: pools full, not autoscaled: {}",
                    pool_names(sc, m, "nodes ")
                );
            }
            Cause::NodeComingUp => "Unschedulable: waiting for a new node to come up",
            Cause::AwaitingScaleUp => "Unschedulable: waiting for the autoscaler to scale up",
            Cause::SandboxInit => "kubelet: sandbox and init (artifact read)",
            Cause::ImagePull => "kubelet: image pull",
            Cause::ImagePullBackoff => "kubelet: image pull back-off",
            Cause::Main => "main container",
            Cause::Wait => "wait container, TaskResult and status",
            Cause::RetriesPreempted => "retries after spot preemption (earlier attempts, backoff)",
            Cause::Retries => "retries after failures (earlier attempts, backoff)",
        };
        s.to_string()
    }

    /// Short stable id (per-workflow breakdowns use it; pools are named in the summary).
    pub(super) fn key(self) -> &'static str {
        CAUSE_KEYS[self.key_index()]
    }

    /// The index of its key in [`CAUSE_KEYS`] (pool causes of different pools share one).
    pub(super) fn key_index(self) -> usize {
        match self {
            Cause::SubmitterBusy => 0,
            Cause::SubmissionThrottle => 1,
            Cause::Submission => 2,
            Cause::RequeueDelay => 3,
            Cause::QueueWait => 4,
            Cause::Reconcile => 5,
            Cause::ControllerApi => 6,
            Cause::PodCreateThrottle => 7,
            Cause::ControllerThrottle => 8,
            Cause::Parallelism => 9,
            Cause::Lock => 10,
            Cause::ControllerDown => 11,
            Cause::Scheduling => 12,
            Cause::BindThrottle => 13,
            Cause::PoolsAtMax(_) => 14,
            Cause::PoolsFull(_) => 15,
            Cause::NodeComingUp => 16,
            Cause::AwaitingScaleUp => 17,
            Cause::SandboxInit => 18,
            Cause::ImagePull => 19,
            Cause::ImagePullBackoff => 20,
            Cause::Main => 21,
            Cause::Wait => 22,
            Cause::RetriesPreempted => 23,
            Cause::Retries => 24,
        }
    }

    /// The work itself, not a limit of the control plane or cluster.
    pub(super) fn is_work(self) -> bool {
        self == Cause::Main
    }
}

/// The controller cause of an [`Act`] (in [`Act`]'s variant order).
const ACT_CAUSE: [Cause; 9] = [
    Cause::RequeueDelay,
    Cause::QueueWait,
    Cause::Reconcile,
    Cause::PodCreateThrottle,
    Cause::ControllerThrottle,
    Cause::ControllerApi,
    Cause::Parallelism,
    Cause::Lock,
    Cause::ControllerDown,
];

/// Seconds per cause of one workflow, summing to its makespan: a short list kept in cause
/// order (a handful of causes per workflow; a `BTreeMap` node would be ~300 bytes each, and a
/// large run keeps one per workflow until its report row is made).
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Breakdown(Vec<(Cause, SimTime)>);

impl Breakdown {
    /// Add `d` to cause `c`.
    fn add(&mut self, c: Cause, d: SimTime) {
        match self.0.binary_search_by(|e| e.0.cmp(&c)) {
            Ok(i) => self.0[i].1 = self.0[i].1.plus(d),
            Err(i) => self.0.insert(i, (c, d)),
        }
    }

    /// The causes and their times, in cause order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &(Cause, SimTime)> {
        self.0.iter()
    }

    fn shrink(mut self) -> Self {
        self.0.shrink_to_fit();
        self
    }
}

/// Pool sizes over time, from the nodes' lifetimes: per pool, `(time, nodes not deleted,
/// nodes provisioning)` after each change, in time order.
pub(super) struct PoolHistory {
    steps: Vec<Vec<(SimTime, u32, u32)>>,
}

impl PoolHistory {
    pub(super) fn new(pools: usize, nodes: &[Node]) -> Self {
        let mut changes: Vec<Vec<(SimTime, i32, i32)>> = vec![Vec::new(); pools];
        for n in nodes {
            let c = &mut changes[n.pool];
            c.push((n.created_at, 1, 1));
            let ready = n.ready_at.or(n.gone_at);
            if let Some(r) = ready {
                c.push((r, 0, -1));
            }
            if let Some(g) = n.gone_at {
                c.push((g, -1, 0));
            }
        }
        let steps = changes
            .into_iter()
            .map(|mut c| {
                c.sort_by_key(|x| x.0);
                let (mut size, mut prov) = (0i64, 0i64);
                let mut out: Vec<(SimTime, u32, u32)> = Vec::new();
                for (t, ds, dp) in c {
                    size += i64::from(ds);
                    prov += i64::from(dp);
                    let v = (t, size.max(0) as u32, prov.max(0) as u32);
                    match out.last_mut() {
                        Some(l) if l.0 == t => *l = v,
                        _ => out.push(v),
                    }
                }
                out
            })
            .collect();
        PoolHistory { steps }
    }

    /// (nodes not deleted, nodes provisioning) of `pool` at `t`.
    fn at(&self, pool: usize, t: SimTime) -> (u32, u32) {
        let s = &self.steps[pool];
        let i = s.partition_point(|x| x.0 <= t);
        if i == 0 {
            (0, 0)
        } else {
            (s[i - 1].1, s[i - 1].2)
        }
    }

    /// Change times of `pool` strictly inside `(a, b)`.
    fn changes(&self, pool: usize, a: SimTime, b: SimTime) -> impl Iterator<Item = SimTime> + '_ {
        let s = &self.steps[pool];
        let i = s.partition_point(|x| x.0 <= a);
        s[i..].iter().map(|x| x.0).take_while(move |&t| t < b)
    }
}

/// What one workflow's attribution reads.
pub(super) struct Inputs<'a> {
    pub sc: &'a Scenario,
    pub pods: &'a Pods,
    pub wfs: &'a [WorkflowRun],
    pub nodes: &'a [Node],
    pub pools: &'a PoolHistory,
}

struct Acc<'a> {
    out: Breakdown,
    log: &'a [Mark],
}

impl Acc<'_> {
    fn add(&mut self, c: Cause, d: SimTime) {
        if d > SimTime::ZERO {
            self.out.add(c, d);
        }
    }

    /// Controller time in `[a, b)`, by the workflow's activity log.
    fn controller(&mut self, a: SimTime, b: SimTime) {
        let parts = split_activity(self.log, a, b);
        for (i, d) in parts.into_iter().enumerate() {
            self.add(ACT_CAUSE[i], d);
        }
    }
}

/// The breakdown of workflow `w` (None unless it finished), from the controller's activity
/// log of it.
pub(super) fn attribute(inp: &Inputs<'_>, w: &WorkflowRun, log: &[Mark]) -> Option<Breakdown> {
    let end = w.finished_at.get()?;
    let mut acc = Acc {
        out: Breakdown::default(),
        log,
    };
    let start = w.submitted_at;
    let sub_start = w.submit.started.clamp(start, end);
    acc.add(Cause::SubmitterBusy, sub_start.since(start));
    let Some(created) = w.created_at.get().map(|c| c.clamp(sub_start, end)) else {
        // The submission failed: all of it was submission.
        let throttle = w.submit.throttle.min(end.since(sub_start));
        acc.add(Cause::SubmissionThrottle, throttle);
        acc.add(Cause::Submission, end.since(sub_start).since(throttle));
        return Some(acc.out.shrink());
    };
    let throttle = w.submit.throttle.min(created.since(sub_start));
    acc.add(Cause::SubmissionThrottle, throttle);
    acc.add(Cause::Submission, created.since(sub_start).since(throttle));

    let spec = &inp.sc.workflows[w.spec()];
    let visible = |p: usize| inp.pods.times(p).visible;
    // The pod whose completion the controller saw last (before the workflow ended).
    let last = w
        .pods
        .iter()
        .map(|&p| p as usize)
        .filter(|&p| visible(p) > SimTime::ZERO && visible(p) <= end && visible(p) >= created)
        .max_by_key(|&p| (visible(p), p));
    let Some(mut cur) = last else {
        acc.controller(created, end);
        return Some(acc.out.shrink());
    };
    acc.controller(visible(cur), end);
    lifecycle(&mut acc, inp, cur, visible(cur));
    let mut by_task: Vec<Vec<usize>> = vec![Vec::new(); spec.tasks.len()];
    for &p in &w.pods {
        by_task[inp.pods[p].task as usize].push(p as usize);
    }
    loop {
        let x = &inp.pods[cur];
        let issued = inp.pods.times(cur).issued.max(created);
        // An earlier try of the same item (a retry, or a vanished Pending pod created again).
        let prev = by_task[x.task as usize]
            .iter()
            .copied()
            .filter(|&q| {
                let y = &inp.pods[q];
                let yt = inp.pods.times(q);
                q < cur
                    && y.first_start == x.first_start
                    && (y.attempt + 1 == x.attempt
                        || (y.attempt == x.attempt && y.killed && y.deleted() && y.fail_error))
                    && matches!(y.state, PodState::Failed)
                    && yt.issued >= created
                    && yt.issued <= issued
            })
            .max_by_key(|&q| {
                let t = inp.pods.times(q);
                (t.visible.max(t.exit), q)
            });
        if let Some(q) = prev {
            let cause = if inp.pods[q].killed {
                Cause::RetriesPreempted
            } else {
                Cause::Retries
            };
            // The earlier try's wait to start is what it would have been anyway; from its
            // main container's start (or its end, if it never started) to this try's CREATE
            // the time is the retry's.
            let y = &inp.pods[q];
            let yt = inp.pods.times(q);
            let stop = if y.main_start > SimTime::ZERO {
                y.main_start
            } else {
                yt.exit.max(yt.visible)
            };
            let cut = stop.clamp(yt.issued, issued);
            acc.add(cause, issued.since(cut));
            lifecycle(&mut acc, inp, q, cut);
            cur = q;
            continue;
        }
        // The dependency pod whose completion it waited for last (through tasks without pods).
        let mut tasks: Vec<usize> = spec.tasks[x.task as usize].deps.clone();
        let mut seen = vec![false; spec.tasks.len()];
        let mut pred = None;
        while !tasks.is_empty() && pred.is_none() {
            let mut next = Vec::new();
            for &t in &tasks {
                if std::mem::replace(&mut seen[t], true) {
                    continue;
                }
                for &q in &by_task[t] {
                    let v = visible(q);
                    if v > SimTime::ZERO
                        && v >= created
                        && v <= issued
                        && pred.is_none_or(|b: usize| (v, q) > (visible(b), b))
                    {
                        pred = Some(q);
                    }
                }
                if by_task[t].is_empty() {
                    next.extend(spec.tasks[t].deps.iter().copied());
                }
            }
            tasks = next;
        }
        match pred {
            Some(q) => {
                acc.controller(visible(q), issued);
                lifecycle(&mut acc, inp, q, visible(q));
                cur = q;
            }
            None => {
                acc.controller(created, issued);
                break;
            }
        }
    }
    Some(acc.out.shrink())
}

/// Split pod `p`'s `[issued, end)` into its stages (`end`: when the controller saw it done,
/// or where an earlier try's time becomes the retry's).
fn lifecycle(acc: &mut Acc<'_>, inp: &Inputs<'_>, p: usize, end: SimTime) {
    let x = &inp.pods[p];
    let t = inp.pods.times(p);
    let begin = t.issued.min(end);
    // Each checkpoint is clamped into [previous checkpoint, end]; one not reached takes the
    // previous one's value, so the stages telescope to exactly `end - begin`.
    let mut prev = begin;
    let mut next = |at: SimTime| {
        let v = if at == SimTime::ZERO {
            prev
        } else {
            at.clamp(prev, end)
        };
        let r = (prev, v);
        prev = v;
        r
    };
    let (a, b) = next(x.created_at);
    acc.controller(a, b); // the CREATE: bucket wait, apiserver
    let sched_from = b;
    let (_, bind_at) = next(t.bind_issued);
    if t.unschedulable > SimTime::ZERO {
        let u = t.unschedulable.clamp(sched_from, bind_at);
        acc.add(Cause::Scheduling, u.since(sched_from));
        unschedulable(acc, inp, x, u, bind_at);
    } else {
        acc.add(Cause::Scheduling, bind_at.since(sched_from));
    }
    let (a, b) = next(t.bound);
    let bw = t.bind_wait.min(b.since(a));
    acc.add(Cause::BindThrottle, bw);
    acc.add(Cause::Scheduling, b.since(a).since(bw));
    let (a, b) = next(t.sandbox);
    acc.add(Cause::SandboxInit, b.since(a));
    let (a, b) = next(t.init_start);
    let mut pull = b.since(a);
    let (a, b) = next(t.init_end);
    acc.add(Cause::SandboxInit, b.since(a));
    let (a, b) = next(x.main_start);
    pull = pull.plus(b.since(a));
    let backoff = t.backoff.min(pull);
    acc.add(Cause::ImagePullBackoff, backoff);
    acc.add(Cause::ImagePull, pull.since(backoff));
    let main_end = if x.main_start == SimTime::ZERO {
        SimTime::ZERO
    } else {
        x.main_start.plus(x.run_time)
    };
    let (a, b) = next(main_end);
    acc.add(Cause::Main, b.since(a));
    let (a, b) = next(end);
    acc.add(Cause::Wait, b.since(a));
}

/// Split an Unschedulable stretch `[a, b)` of pod `x` by what its allowed pools were doing:
/// while the node it was finally bound to was being provisioned (requested after the pod
/// became Unschedulable), it waited for that node to come up; otherwise, while every
/// allowed pool was at its `max_nodes`, for the pools' limit; else for the autoscaler to
/// scale up (scan interval, or a scale-up that went to other pods).
fn unschedulable(acc: &mut Acc<'_>, inp: &Inputs<'_>, x: &Pod, a: SimTime, b: SimTime) {
    if b <= a {
        return;
    }
    let sc = inp.sc;
    let mask = &sc.workflows[inp.wfs[x.wf()].spec()].tasks[x.task as usize].allowed_pools;
    let allowed: Vec<usize> = (0..sc.pools.len()).filter(|&p| mask[p]).collect();
    // The stretch spent waiting for the node the pod was bound to.
    let (ua, ub) = match x.node().map(|n| &inp.nodes[n]) {
        Some(n) if n.created_at > a => {
            let ready = n.ready_at.unwrap_or(b);
            (n.created_at.min(b), ready.clamp(n.created_at.min(b), b))
        }
        _ => (b, b),
    };
    let mut cuts: Vec<SimTime> = vec![a, b, ua, ub];
    for &p in &allowed {
        cuts.extend(inp.pools.changes(p, a, b));
    }
    cuts.sort();
    cuts.dedup();
    for w in cuts.windows(2) {
        let (s, e) = (w[0], w[1]);
        if s >= ua && e <= ub {
            acc.add(Cause::NodeComingUp, e.since(s));
            continue;
        }
        let full = allowed
            .iter()
            .all(|&p| inp.pools.at(p, s).0 >= sc.pools[p].max_nodes);
        let cause = if !full || allowed.is_empty() {
            Cause::AwaitingScaleUp
        } else if allowed
            .iter()
            .any(|&p| sc.pools[p].max_nodes > sc.pools[p].nodes)
        {
            Cause::PoolsAtMax(pool_mask(&allowed))
        } else {
            Cause::PoolsFull(pool_mask(&allowed))
        };
        acc.add(cause, e.since(s));
    }
}

/// Pools as a bit mask (the first 64 pools; labels name those).
fn pool_mask(pools: &[usize]) -> u64 {
    pools
        .iter()
        .filter(|&&p| p < 64)
        .fold(0, |m, &p| m | (1u64 << p))
}

/// "a (max 60), b (max 240)" for the pools of `mask` (`what` = "max ").
fn pool_names(sc: &Scenario, mask: u64, what: &str) -> String {
    (0..sc.pools.len().min(64))
        .filter(|&p| mask & (1 << p) != 0)
        .map(|p| format!("{} ({what}{})", sc.pools[p].name, sc.pools[p].max_nodes))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Seconds per cause key, in cause order (pool causes of different pools add up).
pub(super) fn keyed(b: &Breakdown) -> CauseSeconds {
    let mut secs = [SimTime::ZERO; CAUSE_KEYS.len()];
    let mut mask = 0u32;
    for (c, d) in b.iter() {
        let k = c.key_index();
        mask |= 1 << k;
        secs[k] = secs[k].plus(*d);
    }
    CauseSeconds::new(
        mask,
        (0..CAUSE_KEYS.len())
            .filter(|k| mask & (1 << k) != 0)
            .map(|k| secs[k].as_secs_f64()),
    )
}

/// The finished workflows' breakdowns summed by cause (each breakdown is added and dropped,
/// so they are never all held at once).
#[derive(Debug, Default)]
pub(super) struct Tally {
    sum: Breakdown,
    workflows: u64,
}

impl Tally {
    /// Add one finished workflow's breakdown.
    pub(super) fn add(&mut self, b: &Breakdown) {
        self.workflows += 1;
        for &(c, d) in b.iter() {
            self.sum.add(c, d);
        }
    }
}

/// The run's "Limited by" section: causes summed over the finished workflows, largest first,
/// and the verdict (the largest cause; when that is the main containers, the work itself, the
/// largest overhead is named next to it).
///
/// `workers` is the controller's worker time over the run by [`Act`] (all workflows, not only
/// critical paths): when the workflow queue wait leads, workers were the bottleneck, and the
/// verdict says what they spent their time on (client buckets, the apiserver, reconciling).
pub(super) fn summary(
    sc: &Scenario,
    tally: &Tally,
    workers: &[SimTime; 9],
) -> crate::metrics::LimitsReport {
    let n = tally.workflows;
    let total: SimTime = (tally.sum.iter()).fold(SimTime::ZERO, |a, b| a.plus(b.1));
    let mut ranked: Vec<(Cause, SimTime)> = tally.sum.0.clone();
    // Largest first; ties in cause order (stable sort).
    ranked.sort_by_key(|x| std::cmp::Reverse(x.1));
    let share = |d: SimTime| {
        if total > SimTime::ZERO {
            d.as_secs_f64() / total.as_secs_f64()
        } else {
            0.0
        }
    };
    let pct = |d: SimTime| format!("{:.0} %", 100.0 * share(d));
    let verdict = match ranked.first() {
        None => "no workflow finished: nothing to attribute".to_string(),
        Some(&(c, d)) if c.is_work() => match ranked.get(1) {
            Some(&(o, od)) => format!(
                "the work itself: main containers are {} of the critical path; largest overhead: {} ({})",
                pct(d),
                o.label(sc),
                pct(od)
            ),
            None => format!(
                "the work itself: main containers are {} of the critical path",
                pct(d)
            ),
        },
        Some(&(c, d)) => format!("{} for {} of the critical path", c.label(sc), pct(d)),
    };
    let busy: u64 = [Act::Work, Act::ThrottleCreate, Act::ThrottleOther, Act::Api]
        .iter()
        .map(|&a| workers[a as usize].0)
        .sum();
    let queue_leads = ranked
        .iter()
        .find(|x| !x.0.is_work())
        .is_some_and(|x| x.0 == Cause::QueueWait);
    let verdict = if queue_leads && busy > 0 {
        let w = |acts: &[Act]| {
            let t: u64 = acts.iter().map(|&a| workers[a as usize].0).sum();
            format!("{:.0} %", 100.0 * t as f64 / busy as f64)
        };
        format!(
            "{verdict}; the workers were busy: {} waiting in client-side buckets, {} at the apiserver, {} reconciling",
            w(&[Act::ThrottleCreate, Act::ThrottleOther]),
            w(&[Act::Api]),
            w(&[Act::Work])
        )
    } else {
        verdict
    };
    crate::metrics::LimitsReport {
        workflows: n,
        makespan_total_s: total.as_secs_f64(),
        causes: ranked
            .iter()
            .map(|&(c, d)| crate::metrics::CauseShare {
                key: c.key().to_string(),
                cause: c.label(sc),
                seconds: d.as_secs_f64(),
                share: share(d),
            })
            .collect(),
        verdict,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row's cause keys come out in cause order (the order `CauseSeconds` keeps) only if a
    /// cause's key index never decreases along the causes' order, and every key is used.
    #[test]
    fn key_indices_follow_cause_order() {
        let causes = [
            Cause::SubmitterBusy,
            Cause::SubmissionThrottle,
            Cause::Submission,
            Cause::RequeueDelay,
            Cause::QueueWait,
            Cause::Reconcile,
            Cause::ControllerApi,
            Cause::PodCreateThrottle,
            Cause::ControllerThrottle,
            Cause::Parallelism,
            Cause::Lock,
            Cause::ControllerDown,
            Cause::Scheduling,
            Cause::BindThrottle,
            Cause::PoolsAtMax(0),
            Cause::PoolsAtMax(3),
            Cause::PoolsFull(0),
            Cause::PoolsFull(1),
            Cause::NodeComingUp,
            Cause::AwaitingScaleUp,
            Cause::SandboxInit,
            Cause::ImagePull,
            Cause::ImagePullBackoff,
            Cause::Main,
            Cause::Wait,
            Cause::RetriesPreempted,
            Cause::Retries,
        ];
        assert!(causes.windows(2).all(|w| w[0] < w[1]));
        assert!(
            causes
                .windows(2)
                .all(|w| w[0].key_index() <= w[1].key_index())
        );
        let used: std::collections::BTreeSet<_> = causes.iter().map(|c| c.key_index()).collect();
        assert_eq!(used.len(), CAUSE_KEYS.len());
    }

    /// Two pools' causes share one key and add up; the keys come out in cause order.
    #[test]
    fn keyed_merges_pool_causes_in_cause_order() {
        let mut b = Breakdown::default();
        b.add(Cause::Main, SimTime(3_000_000));
        b.add(Cause::PoolsFull(1), SimTime(1_000_000));
        b.add(Cause::SubmitterBusy, SimTime(500_000));
        b.add(Cause::PoolsFull(0), SimTime(2_000_000));
        let k: Vec<_> = keyed(&b).iter().collect();
        assert_eq!(
            k,
            [
                ("submitter_busy", 0.5),
                ("unschedulable_pools_full", 3.0),
                ("main", 3.0)
            ]
        );
    }
}
