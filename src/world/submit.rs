//! Submission, one component: the submitters of every `[[submissions]]` stream (argo CLI,
//! Argo Server in client or server auth mode, kubectl, cron, Argo Events), their arrival
//! process, the validation GETs they make before the Workflow CREATE, the Argo Server's
//! `--api-rate-limit`, and the wait for a busy submitter.
//!
//! A created workflow is handed to the controller (`Controller::on_workflow_added`); a
//! refused one is finished as Error with the API's text. Left out: authentication round
//! trips and the Argo Server's own CPU.

use super::api::{Origin, Status};
use super::controller::Controller;
use super::{Ctx, Event};
use crate::argo::templates::validation_gets;
use crate::argo::workflow::{WfPhase, WorkflowRun};
use crate::engine::{RngStream, SimTime};
use crate::kube::apiserver::Verb;
use crate::kube::ratelimit::TokenBucket;
use crate::scenario::defaults as d;
use crate::scenario::schema::{Arrival, AuthMode, SubmitVia};
use rand_distr::{Distribution, Exp};
use std::collections::VecDeque;

/// Events of the submission path.
#[derive(Debug, Clone, Copy)]
pub enum SubmitEvent {
    /// Submission `idx` of stream `stream` arrives.
    Arrive {
        /// Submission stream.
        stream: u32,
        /// Arrival number within the stream.
        idx: u32,
    },
}

impl From<SubmitEvent> for Event {
    fn from(e: SubmitEvent) -> Event {
        Event::Submit(e)
    }
}

#[derive(Debug, Clone)]
struct Submitter {
    client: u32,
    busy: bool,
    /// Arrival times of the workflows waiting for it (of its own stream).
    waiting: VecDeque<SimTime>,
}

/// All submitters, one list per stream.
pub(super) struct Submission {
    streams: Vec<Vec<Submitter>>,
    /// Per stream submitting through the Argo Server, each submitter's `--api-rate-limit`
    /// bucket (per client IP); empty for the other streams (most submitters never use one).
    api_limits: Vec<Vec<TokenBucket>>,
    server_client: usize,
    /// Each controller's workflow clientset (cron workflows are created by the controller
    /// that manages them).
    cron_clients: Vec<usize>,
    /// Workflows started per stream (the `n`-th goes to target `n % len`).
    started: Vec<u32>,
}

impl Submission {
    /// Register the Argo Server's and every submitter's client; `cron_clients` are the
    /// controllers' workflow clientsets (cron workflows are created by their controller).
    pub(super) fn new(cx: &mut Ctx<'_>, cron_clients: Vec<usize>) -> Self {
        let f = &cx.sc.file;
        let server_client = cx.api.add_client(
            "argo-server",
            f.argo_server.kube_api_qps,
            f.argo_server.kube_api_burst,
        );
        // At most one client per submitter: room for them at once (hundreds of `kubectl`
        // clients would otherwise leave the client table up to half empty).
        let submitters: usize = (cx.sc.submissions.iter())
            .map(|s| s.cfg.clients as usize)
            .sum();
        cx.api.reserve_clients(submitters);
        let mut streams = Vec::with_capacity(cx.sc.submissions.len());
        for s in &cx.sc.submissions {
            let mut v: Vec<Submitter> = Vec::with_capacity(s.cfg.clients as usize);
            for _ in 0..s.cfg.clients {
                let client = match s.cfg.via {
                    SubmitVia::ArgoServer if f.argo_server.auth_mode == AuthMode::Server => {
                        server_client
                    }
                    SubmitVia::ArgoServer => cx.api.add_client(
                        "argo-server",
                        f.argo_server.kube_api_qps,
                        f.argo_server.kube_api_burst,
                    ),
                    SubmitVia::ArgoCli => cx.api.add_client(
                        "argo-cli",
                        d::CLIENT_GO_DEFAULT_QPS,
                        d::CLIENT_GO_DEFAULT_BURST,
                    ),
                    SubmitVia::Kubectl => cx.api.add_client(
                        "kubectl",
                        d::CLIENT_GO_DEFAULT_QPS,
                        d::CLIENT_GO_DEFAULT_BURST,
                    ),
                    SubmitVia::Cron => cron_clients[s.targets[0].0],
                    // One sensor per stream: all its slots share the sensor's bucket.
                    SubmitVia::ArgoEvents => match v.first() {
                        Some(first) => first.client as usize,
                        None => cx.api.add_client(
                            "argo-events-sensor",
                            d::CLIENT_GO_DEFAULT_QPS,
                            d::CLIENT_GO_DEFAULT_BURST,
                        ),
                    },
                };
                v.push(Submitter {
                    client: client as u32,
                    busy: false,
                    waiting: VecDeque::new(),
                });
            }
            streams.push(v);
        }
        let api_limits = (cx.sc.submissions.iter())
            .map(|s| match s.cfg.via {
                SubmitVia::ArgoServer => {
                    let limit = cx.sc.file.argo_server.api_rate_limit;
                    vec![TokenBucket::new(f64::from(limit), limit); s.cfg.clients as usize]
                }
                _ => Vec::new(),
            })
            .collect();
        Submission {
            api_limits,
            started: vec![0; streams.len()],
            streams,
            server_client,
            cron_clients,
        }
    }

    /// Schedule every arrival of every stream (fixed or Poisson gaps, one random stream
    /// `arrivals/N` per stream).
    pub(super) fn schedule_arrivals(&self, cx: &mut Ctx<'_>, seed: u64) {
        for (si, s) in cx.sc.submissions.iter().enumerate() {
            let mut rng = RngStream::new(seed, &format!("arrivals/{si}"));
            let mut t = SimTime(s.cfg.start.0);
            for idx in 0..s.cfg.count {
                if idx > 0 {
                    let gap = match s.cfg.arrival {
                        Arrival::Fixed => SimTime(s.cfg.interval.0),
                        Arrival::Poisson => {
                            let mean = s.cfg.interval.as_secs_f64();
                            let x: f64 = Exp::new(1.0 / mean)
                                .map(|e| e.sample(&mut *rng))
                                .unwrap_or(mean);
                            SimTime::from_secs_f64_ceil(x)
                        }
                    };
                    t = t.plus(gap);
                }
                cx.q.schedule_at(
                    t,
                    SubmitEvent::Arrive {
                        stream: si as u32,
                        idx,
                    }
                    .into(),
                );
                cx.arrivals_left += 1;
            }
        }
    }

    /// Route one submission event.
    pub(super) fn handle(&mut self, cx: &mut Ctx<'_>, ctrls: &mut [Controller], ev: SubmitEvent) {
        match ev {
            SubmitEvent::Arrive { stream, idx } => self.on_arrive(cx, ctrls, stream as usize, idx),
        }
    }

    fn on_arrive(&mut self, cx: &mut Ctx<'_>, ctrls: &mut [Controller], stream: usize, idx: u32) {
        cx.arrivals_left -= 1;
        let n = self.streams[stream].len();
        let slot = idx as usize % n;
        let s = &mut self.streams[stream][slot];
        let now = cx.now();
        if s.busy {
            s.waiting.push_back(now);
            return;
        }
        self.start(cx, ctrls, stream, slot, now);
    }

    /// Start submission of a workflow that arrived at `arrived` (it may have waited for a
    /// busy submitter; that wait counts in its submission latency and makespan).
    fn start(
        &mut self,
        cx: &mut Ctx<'_>,
        ctrls: &mut [Controller],
        stream: usize,
        slot: usize,
        arrived: SimTime,
    ) {
        let now = cx.now();
        let sub = &cx.sc.submissions[stream];
        let spec_idx = sub.workflow;
        let spec = &cx.sc.workflows[spec_idx];
        let wf = cx.wfs.len();
        cx.wfs.push(WorkflowRun::new(spec_idx, spec, arrived));
        let n = self.started[stream] as usize;
        self.started[stream] += 1;
        cx.wfs[wf].set_target(sub.targets[n % sub.targets.len()]);
        cx.wfs[wf].submit.started = now;
        cx.unfinished_wfs += 1;
        // Validation before CREATE: the CLI in kube mode and the Argo Server (without its v3.7
        // informer cache) GET every templateRef; kubectl does not validate at all.
        let f = &cx.sc.file;
        let gets = match sub.cfg.via {
            SubmitVia::ArgoCli => validation_gets(spec),
            SubmitVia::ArgoServer if !f.argo_server.template_cache => validation_gets(spec),
            SubmitVia::ArgoServer
            | SubmitVia::Kubectl
            | SubmitVia::Cron
            | SubmitVia::ArgoEvents => 0,
        };
        cx.wfs[wf].submit_gets_left = gets;
        let via = sub.cfg.via;
        let s = &mut self.streams[stream][slot];
        s.busy = true;
        let client = s.client as usize;
        if via == SubmitVia::ArgoServer && !self.api_limits[stream][slot].try_accept(now) {
            // Argo Server --api-rate-limit (per client IP) refuses without waiting.
            return self.on_call_done(cx, ctrls, wf, stream, slot, Status::TooMany);
        }
        // Each `argo submit`/`kubectl` is a new process, and the Argo Server in client auth
        // mode builds new clientsets per request: a full bucket. Server mode shares one.
        if matches!(via, SubmitVia::ArgoCli | SubmitVia::Kubectl)
            || (via == SubmitVia::ArgoServer && client != self.server_client)
        {
            cx.api.reset_bucket(client, now);
        }
        self.next_call(cx, wf, stream, slot);
    }

    fn next_call(&mut self, cx: &mut Ctx<'_>, wf: usize, stream: usize, slot: usize) {
        let client = match cx.sc.submissions[stream].cfg.via {
            SubmitVia::Cron => self.cron_clients[cx.wfs[wf].ctrl()],
            _ => self.streams[stream][slot].client as usize,
        };
        let origin = Origin::Submit {
            wf: wf as u32,
            stream: stream as u32,
            slot: slot as u32,
        };
        let wait = if cx.wfs[wf].submit_gets_left > 0 {
            cx.issue(
                client,
                Verb::Get,
                "workflowtemplates",
                d::WORKFLOW_TEMPLATE_BYTES,
                origin,
            )
        } else {
            let bytes = cx.sc.workflows[cx.wfs[wf].spec()].spec_bytes;
            cx.issue(client, Verb::Create, "workflows", bytes, origin)
        };
        let w = &mut cx.wfs[wf];
        w.submit.throttle = w.submit.throttle.plus(wait);
    }

    /// A submitter's request completed.
    pub(super) fn on_call_done(
        &mut self,
        cx: &mut Ctx<'_>,
        ctrls: &mut [Controller],
        wf: usize,
        stream: usize,
        slot: usize,
        status: Status,
    ) {
        let now = cx.now();
        if status == Status::Ok && cx.wfs[wf].submit_gets_left > 0 {
            cx.wfs[wf].submit_gets_left -= 1;
            return self.next_call(cx, wf, stream, slot);
        }
        if status == Status::Ok {
            let w = &mut cx.wfs[wf];
            w.created_at = crate::engine::OptTime::some(now);
            w.phase = WfPhase::Pending;
            w.json_bytes = cx.sc.workflows[w.spec()].spec_bytes;
            w.stored_bytes = w.json_bytes;
            let stored = w.stored_bytes;
            cx.objects.workflow_stored(stored);
            ctrls[cx.wfs[wf].ctrl()].on_workflow_added(cx, wf);
        } else {
            let msg = format!("submission failed: {}", cx.api.error_text(status));
            ctrls[cx.wfs[wf].ctrl()].finish_workflow(cx, wf, WfPhase::Error, msg);
        }
        let s = &mut self.streams[stream][slot];
        s.busy = false;
        if let Some(arrived) = s.waiting.pop_front() {
            self.start(cx, ctrls, stream, slot, arrived);
        }
    }
}
