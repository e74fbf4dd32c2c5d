//! The run report: each component turns its own measurements into its section
//! (`Api::report`, `Controller::report`, `Pods::report`, ...); this file only assembles them
//! and computes what belongs to no single component: the bill (nodes billed from VM request
//! to deletion, per second with a one-minute minimum, plus the control plane), per-workflow
//! results and cost shares, and the Workflow object sizes.

use super::World;
use super::pods::PodState;
use crate::argo::workflow::{Storage, WfPhase, WorkflowRun};
use crate::engine::SimTime;
use crate::kube::apiserver::ETCD_TOO_LARGE;
use crate::metrics::*;

impl World<'_> {
    // Cold, run once: kept out of `run_with` so the event loop stays small enough for the
    // queue's pop to be inlined into it (when this was inlined, `pop_until` was not, and the
    // 5,000-pod fan-out ran 10 % slower).
    #[inline(never)]
    pub(super) fn report(
        mut self,
        replication: u32,
        seed: u64,
        end: SimTime,
        bill_end: SimTime,
        horizon_reached: bool,
    ) -> RunReport {
        let cx = &mut self.cx;
        let sc = cx.sc;
        // Events still pending are never delivered: free their room before the rows are made.
        cx.q.discard_pending();
        cx.nodes.finish(bill_end);
        // Close pending-reason accounting for pods still pending.
        cx.pods.close(end);
        let (nodes_added, scaled_down, pool_peak) = self.scaler.report();
        // Cost: each node is billed from its VM request to its deletion (or the end of the
        // run), per second with a one-minute minimum (GCP and AWS billing).
        let mut by_pool = Vec::new();
        let mut total = 0.0;
        for (pi, p) in sc.pools.iter().enumerate() {
            let mut secs_billed = 0.0;
            for n in 0..cx.nodes.nodes.len() {
                if cx.nodes.nodes[n].pool == pi {
                    secs_billed += cx.nodes.billed_seconds(n, bill_end);
                }
            }
            let peak = pool_peak.get(pi).copied().unwrap_or(0);
            let node_hours = secs_billed / 3600.0;
            let usd = node_hours * p.price_per_hour;
            total += usd;
            let u = &cx.nodes.usage[pi];
            // Utilisation: requested over allocatable of the node-seconds that existed.
            let cap_cpu = p.alloc_cpu as f64 * secs_billed;
            let cap_mem = p.alloc_mem as f64 * secs_billed;
            by_pool.push(PoolCost {
                pool: p.name.clone(),
                nodes: peak,
                spot: p.spot,
                node_hours,
                usd,
                cpu_utilisation: if cap_cpu > 0.0 {
                    (u.cpu_integral / cap_cpu).min(1.0)
                } else {
                    0.0
                },
                memory_utilisation: if cap_mem > 0.0 {
                    (u.mem_integral / cap_mem).min(1.0)
                } else {
                    0.0
                },
            });
        }
        let cp = sc.file.cluster.control_plane_price_per_hour * bill_end.as_secs_f64() / 3600.0;
        total += cp;
        let nodes_usd = total - cp;

        // Per-workflow cost: share of node cost by requested cpu-seconds of its pods.
        let mut wf_cpu_secs = vec![0.0f64; cx.wfs.len()];
        for p in cx.pods.iter() {
            // Only pods whose main container started are charged (request x run time).
            if matches!(
                p.state,
                PodState::Running | PodState::Succeeded | PodState::Failed
            ) {
                let end_t = if p.state == PodState::Running {
                    bill_end
                } else {
                    p.main_start.plus(p.run_time)
                };
                let secs = end_t.since(p.main_start).as_secs_f64();
                wf_cpu_secs[p.wf()] += (p.cpu.max(1)) as f64 * secs;
            }
        }
        let cpu_total: f64 = wf_cpu_secs.iter().sum();

        // Critical-path attribution of every finished workflow.
        let pools = super::critical::PoolHistory::new(sc.pools.len(), &cx.nodes.nodes);
        let inputs = super::critical::Inputs {
            sc,
            pods: &cx.pods,
            wfs: &cx.wfs,
            nodes: &cx.nodes.nodes,
            pools: &pools,
        };
        // Each workflow's activity log is taken (freed once read) and its breakdown reduced to
        // its row's keys at once: neither is held for every workflow at the peak.
        let mut tally = super::critical::Tally::default();
        let mut workers = [SimTime::ZERO; 9];
        let mut keyed: Vec<Option<crate::metrics::CauseSeconds>> = Vec::with_capacity(cx.wfs.len());
        for (i, w) in cx.wfs.iter().enumerate() {
            let log = self.ctrls[w.ctrl()].take_activity_log(i);
            let b = super::critical::attribute(&inputs, w, &log);
            let parts = super::controller::split_activity(
                &log,
                SimTime::ZERO,
                w.finished_at.get().unwrap_or(end),
            );
            for (sum, p) in workers.iter_mut().zip(parts) {
                *sum = sum.plus(p);
            }
            if let Some(b) = &b {
                tally.add(b);
            }
            keyed.push(b.as_ref().map(super::critical::keyed));
        }
        let limits = super::critical::summary(sc, &tally, &workers);
        // Per-workflow state the rows do not read is freed before they are built.
        for c in &mut self.ctrls {
            c.release_workflow_state();
        }
        cx.api.release_calls();
        // The pods are read for the last time: their section is made now and their storage
        // freed before the rows are (one-pod workflows would otherwise hold both at the peak).
        let mut pods = cx.pods.report();
        cx.pods.release_storage();

        let mut wr = WorkflowsReport {
            submitted: cx.wfs.len() as u64,
            // One row per workflow: sized once (doubling would hold two copies at the peak).
            list: Vec::with_capacity(cx.wfs.len()),
            ..Default::default()
        };
        let mut makespans = Vec::new();
        let mut sub_lat = Vec::new();
        let mut start_lat = Vec::new();
        let o = &cx.objects;
        let totals = super::controller::fleet::totals(&self.ctrls);
        let mut obj = ObjectReport {
            // With several controllers, the smallest (the first to bind).
            max_workflow_size: (sc.controllers.iter())
                .map(|c| c.cfg.max_workflow_size.0)
                .min()
                .unwrap_or(0),
            etcd_limit: sc.file.apiserver.etcd_max_request_bytes.0,
            apiserver_limit: sc.file.apiserver.max_request_body_bytes.0,
            workflows_in_cluster_peak: o.wfs_in_cluster_peak,
            offload_db_round_trips: totals[0],
            size_refused_updates: totals[1],
            size_completion_panics: totals[2],
            etcd_live_bytes_peak: o.etcd_peak.max(cx.etcd_live_bytes()),
            etcd_quota_bytes: sc.file.apiserver.etcd_quota_bytes.0,
            argo_server_list_latency_s: SimTime(
                sc.file.argo_server.list_latency_base.0
                    + sc.file.argo_server.list_latency_per_workflow.0 * o.wfs_in_cluster_peak,
            )
            .as_secs_f64(),
            ..Default::default()
        };
        for (i, w) in cx.wfs.iter().enumerate() {
            match w.phase {
                WfPhase::Succeeded => wr.succeeded += 1,
                WfPhase::Failed => wr.failed += 1,
                WfPhase::Error => wr.errored += 1,
                _ => wr.unfinished += 1,
            }
            if matches!(w.phase, WfPhase::Failed | WfPhase::Error) {
                let cause = if w
                    .message
                    .starts_with("workflow is longer than maximum allowed size")
                {
                    "workflow is longer than maximum allowed size".to_string()
                } else if let Some((_, node_msg)) = w.message.split_once(" failed: ") {
                    format!("step failed: {node_msg}")
                } else {
                    w.message.to_string()
                };
                *wr.failure_causes.entry(cause).or_default() += 1;
            }
            if let Some(c) = w.created_at.get() {
                sub_lat.push(c.since(w.submit.started).as_secs_f64());
                if let Some(s) = w.started_at.get() {
                    start_lat.push(s.since(c).as_secs_f64());
                }
            }
            let makespan = w
                .finished_at
                .get()
                .map(|f| f.since(w.submitted_at).as_secs_f64());
            if let Some(m) = makespan {
                makespans.push(m);
            }
            obj.peak_bytes = obj.peak_bytes.max(w.peak_body);
            obj.peak_uncompressed_bytes = obj.peak_uncompressed_bytes.max(w.peak_uncompressed);
            obj.peak_nodes = obj.peak_nodes.max(w.nodes());
            match w.storage {
                Storage::Compressed => obj.compressed += 1,
                Storage::Offloaded => obj.offloaded += 1,
                Storage::Plain => {}
            }
            if w.message
                .starts_with("workflow is longer than maximum allowed size")
                || w.message.as_str() == ETCD_TOO_LARGE
                || w.message.starts_with("Request entity too large")
            {
                obj.size_errors += 1;
            }
            let frozen = w.stored.refusals > 0 && !w.phase.is_done();
            obj.size_frozen += u64::from(frozen);
            wr.list.push(WorkflowEntry {
                name: WorkflowRun::name(&sc.workflows[w.spec()], i),
                phase: w.phase.name(),
                message: w.message.to_string(),
                submitted_at_s: w.submitted_at.as_secs_f64(),
                finished_at_s: w.finished_at.get().map(SimTime::as_secs_f64),
                makespan_s: makespan,
                pods: w.pods.len() as u64,
                nodes: w.nodes(),
                reconciles: w.reconciles,
                peak_object_bytes: w.peak_body,
                storage: w.storage.name(),
                progress: format!("{}/{}", w.stored.done, w.stored.total),
                status_frozen: frozen,
                cost_usd: if cpu_total > 0.0 {
                    nodes_usd * wf_cpu_secs[i] / cpu_total
                } else {
                    0.0
                },
                critical_path_s: keyed[i].take(),
            });
        }
        wr.success_rate = if wr.submitted > 0 {
            wr.succeeded as f64 / wr.submitted as f64
        } else {
            0.0
        };
        wr.makespan_s = Stats::of(&mut makespans);
        wr.submission_latency_s = Stats::of(&mut sub_lat);
        wr.time_to_start_s = Stats::of(&mut start_lat);

        let kl = self.kubelet.report();
        pods.image_pulls = kl.image_pulls;
        pods.overcommitted_binds = cx.nodes.overcommitted_binds;
        pods.scheduling_wait_s = self.sched.wait_stats();
        pods.image_pull_s = kl.pull_wait;
        pods.startup_s = kl.startup;

        let (api, throttling) = cx.api.report();
        let (controller, controllers) =
            super::controller::fleet::report(&mut self.ctrls, cx, end, &throttling);
        let (spot_preemptions, pods_killed, spot_removed) = self.spot.report();
        let nodes_peak = pool_peak.iter().map(|&n| u64::from(n)).sum();
        let per_workflow_usd = if cx.wfs.is_empty() {
            0.0
        } else {
            total / cx.wfs.len() as f64
        };
        RunReport {
            replication,
            seed,
            end_time_s: end.as_secs_f64(),
            horizon_reached,
            events: cx.q.delivered(),
            workflows: wr,
            limits,
            pods,
            api,
            throttling,
            controller,
            controllers,
            workflow_object: obj,
            cost: CostReport {
                total_usd: total,
                billed_until_s: bill_end.as_secs_f64(),
                control_plane_usd: cp,
                spot_usd: by_pool
                    .iter()
                    .filter(|p| p.spot)
                    .map(|p| p.usd)
                    .fold(0.0, |a, b| a + b),
                on_demand_usd: by_pool
                    .iter()
                    .filter(|p| !p.spot)
                    .map(|p| p.usd)
                    .fold(0.0, |a, b| a + b),
                per_workflow_usd,
                by_pool,
            },
            cluster: ClusterReport {
                nodes_added,
                nodes_removed: scaled_down + spot_removed,
                nodes_peak,
                spot_preemptions,
                pods_killed,
                retries: totals[3],
                pull_errors: kl.pull_errors,
            },
            timeseries: std::mem::take(&mut self.ts),
        }
    }
}
