//! The pod objects of the run (what etcd and the informers hold) and the pod-lifecycle
//! accounting every component shares: the pending reason a pod shows now (the kubelet's and
//! scheduler's view), pod-seconds and pods per reason, Argo's `pod_pending_count` (the
//! reasons the controller reads, counted when a reconcile records a change), running pods,
//! pods in the cluster. Simplified: an Unschedulable message change alone is not counted.
//!
//! Components own their own pod-related state elsewhere (the scheduler's queues, the
//! kubelet's pull state is on the pod because it is per pod). Left out: pod objects' real
//! fields (labels, volumes); a pod is a request, an image and a run time.
//!
//! Layout: the records every event reads (`Pod`) and the stage times read after the run
//! (`PodTimes`) sit in two chunked stores, and the per-pod flags passes scan (running, gone)
//! in bit sets, so the event loop's cache misses land on small records.

use super::kubelet::KubeletStage;
use crate::engine::SimTime;
use crate::metrics::{PodsReport, Stats};
use indexmap::IndexSet;
use std::ops::{Index, IndexMut};

/// *Estimate*: size of an Argo pod object (main + init + wait containers, volumes, labels).
pub(super) const POD_OBJECT_BYTES: u64 = 6 * 1024;

/// Pending reasons, in the order the report lists them.
const REASONS: [&str; 6] = [
    "Pending",
    "Unschedulable",
    "ContainerCreating",
    "PodInitializing",
    "ErrImagePull",
    "ImagePullBackOff",
];
/// Not yet tried by the scheduler (or bound and not yet reported by the kubelet).
pub(super) const R_PENDING: u8 = 0;
pub(super) const R_UNSCHEDULABLE: u8 = 1;
pub(super) const R_CONTAINER_CREATING: u8 = 2;
pub(super) const R_POD_INITIALIZING: u8 = 3;
pub(super) const R_ERR_IMAGE_PULL: u8 = 4;
pub(super) const R_IMAGE_PULL_BACKOFF: u8 = 5;

/// The reasons Argo's v3.6 `pod_pending_count` can count (`operator.go` `getPendingReason`,
/// split at the first ':' by `counter_pod_pending.go`), in report order. `PodInitializing`
/// is tracked as a node message (index [`A_POD_INITIALIZING`]) but never counted.
const ARGO_REASONS: [&str; 4] = ["", "Unschedulable", "ErrImagePull", "ImagePullBackOff"];
/// Node message `PodInitializing` (dropped by the counter).
pub(super) const A_POD_INITIALIZING: u8 = 4;

/// The reason Argo reads from a pod the informer shows Pending with kubelet-level `reason`
/// (`getPendingReason`: the first waiting *regular* container, else the Unschedulable
/// condition, else ""). Argo pods have an init container, so the kubelet's default waiting
/// reason of `main`/`wait` is `PodInitializing` from its first status on; image errors show
/// on a regular container only for the main image (`main_pull`), an argoexec (init) pull
/// error leaves them at `PodInitializing`. The kubelet posts its first status when it starts
/// syncing the pod (`SyncPod` sets the status before creating the sandbox), so the kubelet
/// view's `ContainerCreating` is `PodInitializing` to Argo; only a bound pod the kubelet has
/// not reported yet (`Pending` here) reads "".
pub(super) fn argo_pending_reason(reason: u8, main_pull: bool) -> u8 {
    match reason {
        R_UNSCHEDULABLE => 1,
        R_CONTAINER_CREATING | R_POD_INITIALIZING => A_POD_INITIALIZING,
        R_ERR_IMAGE_PULL | R_IMAGE_PULL_BACKOFF if !main_pull => A_POD_INITIALIZING,
        R_ERR_IMAGE_PULL => 2,
        R_IMAGE_PULL_BACKOFF => 3,
        _ => 0,
    }
}

/// Phase of a pod (with its pending reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PodState {
    Pending(u8),
    Running,
    Succeeded,
    Failed,
}

/// The kubelet's image-pull state of one pod.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct PullState {
    /// When the current image check started.
    pub requested_at: SimTime,
    /// A queued `PullImage` call waits for the serial puller.
    pub dispatch_pending: bool,
    /// Failed pulls (ImagePullBackOff exponent).
    pub failures: u32,
    /// The kubelet is pulling (or backing off on) the main image, not argoexec.
    pub main_pull: bool,
}

/// When each stage of one pod began (the critical-path attribution and the timeline read
/// them after the run). [`SimTime::ZERO`] = not reached; durations are kept where a stage
/// can repeat (pull back-offs).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct PodTimes {
    /// The controller issued the pod's CREATE (it then waits in the kube client's bucket).
    pub issued: SimTime,
    /// The scheduler first found no node for it (Unschedulable from then until its bind).
    pub unschedulable: SimTime,
    /// The scheduler issued the binding.
    pub bind_issued: SimTime,
    /// The binding's wait in kube-scheduler's client bucket.
    pub bind_wait: SimTime,
    /// The binding landed (the kubelet takes over).
    pub bound: SimTime,
    /// The sandbox is up (argoexec image check starts).
    pub sandbox: SimTime,
    /// The init container started (argoexec image present).
    pub init_start: SimTime,
    /// The init container (and its artifact read) finished (main image check starts).
    pub init_end: SimTime,
    /// Time spent in ImagePullBackOff (pull QPS refusals, registry limits), summed.
    pub backoff: SimTime,
    /// Main and wait containers exited.
    pub exit: SimTime,
    /// The controller can see the pod's completion: the informer shows it terminated and
    /// its TaskResult is finalized, whichever landed last.
    pub visible: SimTime,
}

/// A pod's failure message: none (index 0 of [`FAIL_MSGS`]).
pub(super) const FAIL_NONE: u8 = 0;
/// Graceful node shutdown (spot notice).
pub(super) const FAIL_SHUTDOWN: u8 = 1;
/// The pod object was deleted under it.
pub(super) const FAIL_DELETED: u8 = 2;
/// The main container exited non-zero.
pub(super) const FAIL_EXIT_1: u8 = 3;
/// The text of each failure message.
pub(super) const FAIL_MSGS: [&str; 4] = [
    "",
    "Pod was terminated in response to imminent node shutdown.",
    "pod deleted",
    "Error (exit code 1)",
];

/// One pod object.
#[derive(Debug, Clone)]
pub(super) struct Pod {
    pub wf: u32,
    pub task: u32,
    pub cpu: u64,
    pub mem: u64,
    pub image: u32,
    pub state: PodState,
    /// What the controller has recorded in the workflow status.
    pub recorded: PodState,
    /// What the informer shows.
    pub observed: PodState,
    pub since: SimTime,
    pub node: Option<u32>,
    pub created_at: SimTime,
    pub main_start: SimTime,
    pub run_time: SimTime,
    pub fails: bool,
    pub sched_attempts: u32,
    pub backoff_until: SimTime,
    /// The scheduler's last Unschedulable message: 1 + its index in
    /// [`Pods::unsched_texts`], or 0 for none (few distinct messages, many pods).
    pub unsched_msg: u32,
    pub cleanup_enqueued: SimTime,
    /// Deleted from etcd (set through [`Pods::set_deleted`]).
    deleted: bool,
    pub task_result_done: bool,
    /// Gone from the workflow controller's pod informer (set through
    /// [`Pods::set_left_informer`]).
    left_informer: bool,
    pub killed: bool,
    pub fail_error: bool,
    /// Why it failed, an index into [`FAIL_MSGS`].
    pub fail_msg: u8,
    pub attempt: u32,
    pub first_start: SimTime,
    pub pull: PullState,
    /// Argo's node message reason as last recorded (see [`argo_pending_reason`]).
    pub argo_reason: u8,
    /// The kubelet stage that follows the pod's artifact transfer once it ends.
    pub after_transfer: KubeletStage,
    /// The delay before [`Pod::after_transfer`] once the transfer ends.
    pub after_transfer_delay: SimTime,
}

impl Pod {
    /// Whether the pod object was deleted.
    #[inline]
    pub(super) fn deleted(&self) -> bool {
        self.deleted
    }

    /// Whether the pod left the workflow controller's informer (labelled completed, or
    /// deleted).
    #[inline]
    pub(super) fn left_informer(&self) -> bool {
        self.left_informer
    }

    /// Its workflow's index.
    #[inline]
    pub(super) fn wf(&self) -> usize {
        self.wf as usize
    }

    /// Why it failed ("" if it did not).
    pub(super) fn fail_message(&self) -> &'static str {
        FAIL_MSGS[usize::from(self.fail_msg)]
    }

    /// The node it is bound to.
    #[inline]
    pub(super) fn node(&self) -> Option<usize> {
        self.node.map(|n| n as usize)
    }

    /// A new Pending pod of item `attempt` of `task`, created at `now`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        wf: usize,
        task: u32,
        cpu: u64,
        mem: u64,
        image: usize,
        now: SimTime,
        run_time: SimTime,
        fails: bool,
        attempt: u32,
        first_start: SimTime,
    ) -> Self {
        Pod {
            wf: wf as u32,
            task,
            cpu,
            mem,
            image: image as u32,
            state: PodState::Pending(0),
            recorded: PodState::Pending(0),
            observed: PodState::Pending(0),
            since: now,
            node: None,
            created_at: now,
            main_start: SimTime::ZERO,
            run_time,
            fails,
            sched_attempts: 0,
            backoff_until: SimTime::ZERO,
            unsched_msg: 0,
            cleanup_enqueued: SimTime::ZERO,
            deleted: false,
            task_result_done: false,
            left_informer: false,
            killed: false,
            fail_error: false,
            fail_msg: FAIL_NONE,
            attempt,
            first_start,
            pull: PullState::default(),
            argo_reason: 0,
            after_transfer: KubeletStage::Exit,
            after_transfer_delay: SimTime::ZERO,
        }
    }
}

/// All pods of the run and their lifecycle accounting.
#[derive(Default)]
pub(super) struct Pods {
    /// The pods in chunks of [`CHUNK`] (a pod's id is its creation index): the store grows a
    /// chunk at a time, never copying the pods and never holding an old and a new buffer at
    /// once as a doubling `Vec` does while it grows.
    list: PodStore<Pod>,
    /// Each pod's stage times, apart from the pods: written once per stage, read after the
    /// run, so the records every event reads stay small (hot/cold split).
    times: PodStore<PodTimes>,
    /// Per node, the pods ever bound to it, in bind order.
    on_node: Vec<Vec<u32>>,
    /// The distinct Unschedulable messages (a pod keeps the index of its last one).
    unsched_texts: IndexSet<String>,
    /// The last scheduling failure and its message id: consecutive failures are mostly
    /// the same counts (one cluster state, many pods), formatted once.
    unsched_last: Option<(crate::kube::nodes::FitFailure, u32)>,
    reason_seconds: [f64; 6],
    reason_pods: [u64; 6],
    reason_now: [u64; 6],
    argo_pending: [u64; 4],
    running: u64,
    /// The pods running now: what a progress tick checks, without a cache miss on the pod.
    running_bits: PodBits,
    /// The pods deleted or gone from the controller's informer: what every workflow update
    /// checks of each of its finished pods (`queuePodsForCleanup`), without a cache miss on
    /// the pod.
    gone_bits: PodBits,
    in_cluster: u64,
    created: u64,
}

/// A dense set of pod ids: bit `i % 64` of word `i / 64` for pod `i`.
#[derive(Debug, Default)]
struct PodBits(Vec<u64>);

impl PodBits {
    fn insert(&mut self, pod: usize) {
        let w = pod / 64;
        if self.0.len() <= w {
            self.0.resize(w + 1, 0);
        }
        self.0[w] |= 1 << (pod % 64);
    }

    fn remove(&mut self, pod: usize) {
        if let Some(w) = self.0.get_mut(pod / 64) {
            *w &= !(1 << (pod % 64));
        }
    }

    #[inline]
    fn contains(&self, pod: usize) -> bool {
        self.0
            .get(pod / 64)
            .is_some_and(|w| w & (1 << (pod % 64)) != 0)
    }
}

/// Pods per chunk of [`PodStore`] from the 256th pod on; the first 256 come in chunks of
/// [`FIRST_CHUNK`] (a small run allocates little). At most one chunk is partly used, so the
/// unused room is under 256 pods (~36 KiB of pods and ~22 KiB of their times) at any size,
/// and under 8 pods below 256.
const CHUNK: usize = 256;

/// Pods per chunk of [`PodStore`] below the 256th pod.
const FIRST_CHUNK: usize = 8;

/// Per-pod records in chunks, indexed by creation order.
struct PodStore<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for PodStore<T> {
    fn default() -> Self {
        PodStore {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> PodStore<T> {
    /// The chunk of pod `i` and its place in it.
    #[inline]
    fn place(i: usize) -> (usize, usize) {
        if i >= CHUNK {
            // Chunks 0..32 hold the first 256 pods; chunk 32 starts at pod 256.
            (CHUNK / FIRST_CHUNK - 1 + i / CHUNK, i % CHUNK)
        } else {
            (i / FIRST_CHUNK, i % FIRST_CHUNK)
        }
    }

    #[inline]
    fn get(&self, i: usize) -> &T {
        let (c, j) = Self::place(i);
        &self.chunks[c][j]
    }

    #[inline]
    fn get_mut(&mut self, i: usize) -> &mut T {
        let (c, j) = Self::place(i);
        &mut self.chunks[c][j]
    }

    /// Append; returns the new pod's id.
    fn push(&mut self, pod: T) -> usize {
        let (c, _) = Self::place(self.len);
        if c == self.chunks.len() {
            let size = if self.len < CHUNK { FIRST_CHUNK } else { CHUNK };
            self.chunks.push(Vec::with_capacity(size));
        }
        self.chunks[c].push(pod);
        self.len += 1;
        self.len - 1
    }
}

impl Index<usize> for Pods {
    type Output = Pod;
    fn index(&self, i: usize) -> &Pod {
        self.list.get(i)
    }
}

impl IndexMut<usize> for Pods {
    fn index_mut(&mut self, i: usize) -> &mut Pod {
        self.list.get_mut(i)
    }
}

impl Index<u32> for Pods {
    type Output = Pod;
    fn index(&self, i: u32) -> &Pod {
        self.list.get(i as usize)
    }
}

impl IndexMut<u32> for Pods {
    fn index_mut(&mut self, i: u32) -> &mut Pod {
        self.list.get_mut(i as usize)
    }
}

impl Pods {
    /// Pod `pod` is bound to node `node`.
    pub(super) fn bind(&mut self, pod: usize, node: usize) {
        self.list.get_mut(pod).node = Some(node as u32);
        if self.on_node.len() <= node {
            self.on_node.resize_with(node + 1, Vec::new);
        }
        self.on_node[node].push(pod as u32);
    }

    /// The pods ever bound to `node`, in bind order (a pod is bound once).
    pub(super) fn bound_to(&self, node: usize) -> &[u32] {
        self.on_node.get(node).map_or(&[], Vec::as_slice)
    }

    /// All pods, in creation order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &Pod> {
        self.list.chunks.iter().flatten()
    }

    /// All pods with their stage times, in creation order.
    pub(super) fn iter_with_times(&self) -> impl Iterator<Item = (&Pod, &PodTimes)> {
        self.iter().zip(self.times.chunks.iter().flatten())
    }

    /// Pod `pod`'s stage times.
    #[inline]
    pub(super) fn times(&self, pod: usize) -> &PodTimes {
        self.times.get(pod)
    }

    /// Pod `pod`'s stage times, to record one.
    #[inline]
    pub(super) fn times_mut(&mut self, pod: usize) -> &mut PodTimes {
        self.times.get_mut(pod)
    }

    /// Add a just-created (Pending) pod; returns its id.
    pub(super) fn create(&mut self, pod: Pod) -> usize {
        let id = self.list.push(pod);
        self.times.push(PodTimes::default());
        self.created += 1;
        self.in_cluster += 1;
        self.reason_pods[0] += 1;
        self.reason_now[0] += 1;
        id
    }

    /// Record the scheduler's Unschedulable message for `pod` (`fail`'s message); returns
    /// whether it differs from the pod's last one.
    pub(super) fn set_unsched_failure(
        &mut self,
        pod: usize,
        fail: &crate::kube::nodes::FitFailure,
    ) -> bool {
        let id = match self.unsched_last {
            Some((f, id)) if f == *fail => id,
            _ => {
                let id = self.unsched_id(fail.message());
                self.unsched_last = Some((*fail, id));
                id
            }
        };
        self.set_unsched_id(pod, id)
    }

    /// Record the scheduler's Unschedulable message for `pod`; returns whether it differs
    /// from the pod's last one.
    #[cfg(test)]
    pub(super) fn set_unsched_msg(&mut self, pod: usize, msg: String) -> bool {
        let id = self.unsched_id(msg);
        self.set_unsched_id(pod, id)
    }

    /// The id of an Unschedulable message (1 + its index among the distinct texts).
    fn unsched_id(&mut self, msg: String) -> u32 {
        (match self.unsched_texts.get_index_of(&msg) {
            Some(i) => i,
            None => self.unsched_texts.insert_full(msg).0,
        }) as u32
            + 1
    }

    /// Give `pod` message `id`; returns whether it changed.
    fn set_unsched_id(&mut self, pod: usize, id: u32) -> bool {
        let p = self.list.get_mut(pod);
        let changed = p.unsched_msg != id;
        p.unsched_msg = id;
        changed
    }

    /// The text of an Unschedulable message id ("" for none).
    fn unsched_text(&self, id: u32) -> &str {
        id.checked_sub(1)
            .and_then(|i| self.unsched_texts.get_index(i as usize))
            .map_or("", String::as_str)
    }

    /// Free every pod's storage once the run's report has read them (counters are kept;
    /// indexing a pod afterwards panics).
    pub(super) fn release_storage(&mut self) {
        self.list = PodStore::default();
        self.times = PodStore::default();
        self.on_node = Vec::new();
    }

    /// Pods objects stored in etcd now.
    pub(super) fn in_cluster(&self) -> u64 {
        self.in_cluster
    }

    /// A pod object was deleted from etcd.
    pub(super) fn deleted_from_cluster(&mut self) {
        self.in_cluster -= 1;
    }

    /// Pods whose main container runs now.
    pub(super) fn running(&self) -> u64 {
        self.running
    }

    /// Pods pending for any reason now.
    pub(super) fn pending_now(&self) -> u64 {
        self.reason_now.iter().sum()
    }

    /// Pods pending with `reason` now.
    pub(super) fn pending_with(&self, reason: u8) -> u64 {
        self.reason_now[reason as usize]
    }

    /// A pending pod now shows `reason` (a no-op if it already does or is not pending).
    pub(super) fn set_pending_reason(&mut self, now: SimTime, pod: usize, reason: u8) {
        let p = self.list.get_mut(pod);
        if let PodState::Pending(r) = p.state {
            if r == reason {
                return;
            }
            self.reason_seconds[r as usize] += now.since(p.since).as_secs_f64();
            self.reason_now[r as usize] -= 1;
            self.reason_now[reason as usize] += 1;
            self.reason_pods[reason as usize] += 1;
            p.state = PodState::Pending(reason);
            p.since = now;
        }
    }

    /// `assessNodeStatus` recorded Pending node message reason `argo` for `pod`: a change
    /// counts in `pod_pending_count` unless it is `PodInitializing` (`ChangePodPending`).
    pub(super) fn record_argo_pending(&mut self, pod: usize, argo: u8) {
        let p = self.list.get_mut(pod);
        if p.argo_reason != argo {
            p.argo_reason = argo;
            if let Some(n) = self.argo_pending.get_mut(argo as usize) {
                *n += 1;
            }
        }
    }

    /// A terminated pod's status or its final TaskResult landed: once both have, the
    /// controller can see the pod's completion (recorded once, in [`PodTimes::visible`]).
    pub(super) fn note_completion_seen(&mut self, now: SimTime, pod: usize) {
        let p = self.list.get(pod);
        let t = self.times.get_mut(pod);
        if t.visible == SimTime::ZERO
            && p.task_result_done
            && matches!(p.observed, PodState::Succeeded | PodState::Failed)
        {
            t.visible = now;
        }
    }

    /// Count one more pod that hit ErrImagePull (before it shows ImagePullBackOff).
    pub(super) fn count_err_image_pull(&mut self) {
        self.reason_pods[R_ERR_IMAGE_PULL as usize] += 1;
    }

    /// Leave the pending state (main started, or the pod was killed while pending).
    pub(super) fn end_pending(&mut self, now: SimTime, pod: usize) {
        let p = self.list.get_mut(pod);
        if let PodState::Pending(r) = p.state {
            self.reason_seconds[r as usize] += now.since(p.since).as_secs_f64();
            self.reason_now[r as usize] -= 1;
        }
    }

    /// The main container started.
    pub(super) fn start_running(&mut self, now: SimTime, pod: usize) {
        self.end_pending(now, pod);
        let p = self.list.get_mut(pod);
        p.state = PodState::Running;
        p.since = now;
        p.main_start = now;
        self.running += 1;
        self.running_bits.insert(pod);
    }

    /// Running pod `pod`'s containers stopped (exit or kill).
    pub(super) fn stop_running(&mut self, pod: usize) {
        self.running -= 1;
        self.running_bits.remove(pod);
    }

    /// Whether `pod` is running (its state is `Running`), from a dense bit set.
    #[inline]
    pub(super) fn is_running(&self, pod: usize) -> bool {
        self.running_bits.contains(pod)
    }

    /// The pod object was deleted (it leaves the informers too, separately). Returns
    /// whether it was not already.
    pub(super) fn set_deleted(&mut self, pod: usize) -> bool {
        let p = self.list.get_mut(pod);
        let was = std::mem::replace(&mut p.deleted, true);
        self.gone_bits.insert(pod);
        !was
    }

    /// The pod left the workflow controller's informer. Returns whether it had not
    /// already.
    pub(super) fn set_left_informer(&mut self, pod: usize) -> bool {
        let p = self.list.get_mut(pod);
        let was = std::mem::replace(&mut p.left_informer, true);
        self.gone_bits.insert(pod);
        !was
    }

    /// Whether `pod` was deleted or left the controller's informer, from a dense bit set.
    #[inline]
    pub(super) fn gone(&self, pod: usize) -> bool {
        let gone = self.gone_bits.contains(pod);
        debug_assert_eq!(gone, {
            let p = self.list.get(pod);
            p.deleted || p.left_informer
        });
        gone
    }

    /// Close the pending-reason accounting of pods still pending at `end`.
    pub(super) fn close(&mut self, end: SimTime) {
        for p in self.list.chunks.iter().flatten() {
            if let PodState::Pending(r) = p.state {
                self.reason_seconds[r as usize] += end.since(p.since).as_secs_f64();
            }
        }
    }

    /// The pod section of the report, without the kubelet's and scheduler's latencies.
    pub(super) fn report(&self) -> PodsReport {
        let mut pods = PodsReport {
            created: self.created,
            ..Default::default()
        };
        for name in ["Succeeded", "Failed", "Running", "Pending"] {
            pods.by_phase.insert(name.into(), 0);
        }
        let mut runs = Vec::new();
        for p in self.list.chunks.iter().flatten() {
            let key = match p.state {
                PodState::Succeeded => "Succeeded",
                PodState::Failed => "Failed",
                PodState::Running => "Running",
                PodState::Pending(r) => {
                    if r == R_UNSCHEDULABLE {
                        *pods
                            .unschedulable_messages
                            .entry(self.unsched_text(p.unsched_msg).to_string())
                            .or_default() += 1;
                    }
                    "Pending"
                }
            };
            *pods.by_phase.entry(key.into()).or_default() += 1;
            if matches!(p.state, PodState::Succeeded | PodState::Failed) {
                runs.push(p.run_time.as_secs_f64());
            }
        }
        for (i, r) in REASONS.iter().enumerate() {
            pods.pending_seconds_by_reason
                .insert((*r).into(), self.reason_seconds[i]);
            pods.pods_by_pending_reason
                .insert((*r).into(), self.reason_pods[i]);
        }
        for (i, r) in ARGO_REASONS.iter().enumerate() {
            pods.pods_pending_count
                .insert((*r).into(), self.argo_pending[i]);
        }
        pods.run_s = Stats::of(&mut runs);
        pods
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pod ids map onto the chunks one after the other, without gaps or overlaps: chunks of
    /// 8 thirty-two times, then 256 each.
    #[test]
    fn pod_ids_fill_the_chunks_in_order() {
        let mut sizes: Vec<usize> = Vec::new();
        let mut prev = (0usize, 0usize);
        for i in 0..5000 {
            let (c, j) = PodStore::<Pod>::place(i);
            if i > 0 {
                let next_in_chunk = (prev.0, prev.1 + 1);
                assert!(
                    (c, j) == next_in_chunk || (c, j) == (prev.0 + 1, 0),
                    "pod {i}"
                );
            }
            if c == sizes.len() {
                sizes.push(0);
            }
            sizes[c] += 1;
            prev = (c, j);
        }
        let first = CHUNK / FIRST_CHUNK;
        assert!(sizes[..first].iter().all(|&n| n == FIRST_CHUNK));
        assert_eq!(sizes[..first].iter().sum::<usize>(), CHUNK);
        assert!(sizes[first..sizes.len() - 1].iter().all(|&n| n == CHUNK));
    }

    /// The scheduler PATCHes a pod's PodScheduled condition only when its message changes
    /// (kube-scheduler `schedule_one.go` `handleSchedulingFailure` via `updatePod`): an
    /// interned message compares as the text would, and the report counts pods still
    /// Unschedulable by their last message's text.
    #[test]
    fn unschedulable_messages_compare_and_report_by_text() {
        let mut pods = Pods::default();
        let pod = |wf| {
            Pod::new(
                wf,
                0,
                1,
                1,
                0,
                SimTime::ZERO,
                SimTime(1),
                false,
                0,
                SimTime::ZERO,
            )
        };
        let (a, b) = (pods.create(pod(0)), pods.create(pod(1)));
        let full = "0/3 nodes are available: 3 Insufficient cpu.".to_string();
        let other = "0/4 nodes are available: 4 Insufficient cpu.".to_string();
        assert!(pods.set_unsched_msg(a, full.clone()), "first message");
        assert!(!pods.set_unsched_msg(a, full.clone()), "same text");
        assert!(pods.set_unsched_msg(b, full.clone()), "b's first");
        assert!(pods.set_unsched_msg(a, other.clone()), "new text");
        assert!(
            pods.set_unsched_msg(a, full.clone()),
            "back to the first text"
        );
        for p in [a, b] {
            pods.set_pending_reason(SimTime(5), p, R_UNSCHEDULABLE);
        }
        let r = pods.report();
        assert_eq!(r.unschedulable_messages.get(&full), Some(&2));
        assert_eq!(r.unschedulable_messages.get(&other), None);
    }

    /// Failures given as counts map to the ids their texts get (the last failure is
    /// remembered, not re-formatted): alternating failures switch ids, a text first seen as
    /// a string keeps its id.
    #[test]
    fn scheduling_failures_get_the_ids_of_their_texts() {
        use crate::kube::nodes::FitFailure;
        let mut pods = Pods::default();
        let p = pods.create(Pod::new(
            0,
            0,
            1,
            1,
            0,
            SimTime::ZERO,
            SimTime(1),
            false,
            0,
            SimTime::ZERO,
        ));
        let cpu3 = FitFailure {
            insufficient_cpu: 3,
            nodes: 3,
            ..Default::default()
        };
        let cpu4 = FitFailure {
            insufficient_cpu: 4,
            nodes: 4,
            ..Default::default()
        };
        let none = FitFailure {
            nodes: 3,
            ..Default::default()
        };
        assert!(pods.set_unsched_msg(p, cpu4.message()), "text first");
        assert!(pods.set_unsched_failure(p, &cpu3));
        let id3 = pods.list.get_mut(p).unsched_msg;
        assert!(!pods.set_unsched_failure(p, &cpu3), "same failure, same id");
        assert!(pods.set_unsched_failure(p, &cpu4));
        assert_eq!(
            pods.list.get_mut(p).unsched_msg,
            1,
            "the id the text got first"
        );
        assert!(pods.set_unsched_failure(p, &cpu3));
        assert_eq!(pods.list.get_mut(p).unsched_msg, id3);
        assert!(pods.set_unsched_failure(p, &none));
        assert_eq!(pods.unsched_texts.len(), 3);
    }

    /// A pod's hot part is 144 bytes and its times 88 (one 296-byte struct before issue 14,
    /// 232 before the hot/cold split): the 1M-pod run keeps a million of each, and the event
    /// loop's cache misses land on the hot part.
    #[test]
    fn a_pod_stays_small() {
        // The hot part: the times (PodTimes) live in their own store.
        let (pod, times) = (std::mem::size_of::<Pod>(), std::mem::size_of::<PodTimes>());
        assert!(pod <= 144, "Pod is {pod} bytes");
        assert!(times <= 88, "PodTimes is {times} bytes");
    }
}
