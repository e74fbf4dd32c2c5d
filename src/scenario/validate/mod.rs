//! Range and cross-reference checks, and resolution of the raw schema into the structures the
//! simulator runs on ([`super::resolved`]: indices instead of names, allocatable computed
//! from capacity by [`super::allocatable`]).

use super::ScenarioError;
use super::allocatable::{eks_allocatable, gke_allocatable};
use super::defaults as d;
use super::diag::{Diagnostic, did_you_mean, locate_key};
pub use super::resolved::{LockSpec, Pool, Scenario, Submission, TaskSpec, WorkflowSpec};
use super::schema::*;
use std::collections::BTreeMap;

mod controllers;

struct Checker<'a> {
    file: &'a str,
    text: &'a str,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn diag(&self, key: &str, message: String, help: Option<String>) -> Diagnostic {
        Diagnostic {
            file: self.file.to_string(),
            line: locate_key(self.text, key),
            column: None,
            key: Some(key.to_string()),
            message,
            help,
        }
    }
    fn err(&mut self, key: &str, message: impl Into<String>) {
        let d = self.diag(key, message.into(), None);
        self.errors.push(d);
    }
    fn err_help(&mut self, key: &str, message: impl Into<String>, help: Option<String>) {
        let d = self.diag(key, message.into(), help);
        self.errors.push(d);
    }
    fn warn(&mut self, key: &str, message: impl Into<String>) {
        let d = self.diag(key, message.into(), None);
        self.warnings.push(d);
    }
    fn rate(&mut self, key: &str, qps: f64) {
        if !(qps.is_finite() && qps > 0.0) {
            self.err(
                key,
                format!("must be a positive number of requests per second (got {qps})"),
            );
        }
    }
    fn at_least(&mut self, key: &str, v: u64, min: u64) {
        if v < min {
            self.err(key, format!("must be at least {min} (got {v})"));
        }
    }
    fn dur_at_least(&mut self, key: &str, v: u64, min: u64) {
        if v < min {
            let f = crate::units::format_duration;
            self.err(key, format!("must be at least {} (got {})", f(min), f(v)));
        }
    }
}

/// A duration constant of `defaults.rs`, µs.
fn min(constant: &str) -> u64 {
    crate::units::parse_duration(constant).expect("constant")
}

impl Scenario {
    /// Validate a parsed file; `text` is the source, used to locate keys.
    pub fn from_file(file: &str, text: &str, raw: ScenarioFile) -> Result<Scenario, ScenarioError> {
        let mut c = Checker {
            file,
            text,
            errors: vec![],
            warnings: vec![],
        };

        let e = &raw.experiment;
        c.at_least("experiment.replications", e.replications.into(), 1);
        c.dur_at_least("experiment.horizon", e.horizon.0, 1);
        c.dur_at_least(
            "experiment.sample_interval",
            e.sample_interval.0,
            min(d::MIN_SAMPLE_INTERVAL),
        );

        // Pools.
        if raw.cluster.pools.is_empty() {
            c.err("cluster.pools", "at least one [[cluster.pools]] is needed");
        }
        let cp = raw.cluster.control_plane_price_per_hour;
        if cp.is_nan() || cp < 0.0 {
            c.err("cluster.control_plane_price_per_hour", "must be >= 0");
        }
        let mut pools = Vec::new();
        let mut seen = BTreeMap::new();
        for (i, p) in raw.cluster.pools.iter().enumerate() {
            let k = format!("cluster.pools[{i}]");
            if seen.insert(p.name.clone(), i).is_some() {
                c.err(
                    &format!("{k}.name"),
                    format!("duplicate pool name {:?}", p.name),
                );
            }
            c.at_least(&format!("{k}.cpu"), p.cpu.0, 1);
            c.at_least(&format!("{k}.memory"), p.memory.0, 1);
            c.at_least(&format!("{k}.max_pods"), p.max_pods.into(), 1);
            if !p.price_per_hour.is_finite() || p.price_per_hour < 0.0 {
                c.err(
                    &format!("{k}.price_per_hour"),
                    format!("must be >= 0 (got {})", p.price_per_hour),
                );
            }
            let (dc, dm) = match p.reservation {
                Reservation::Gke => gke_allocatable(p.cpu.0, p.memory.0),
                Reservation::Eks => eks_allocatable(p.cpu.0, p.memory.0, p.max_pods),
                Reservation::None => (p.cpu.0, p.memory.0),
            };
            let min_nodes = p.min_nodes.unwrap_or(p.nodes);
            let max_nodes = p.max_nodes.unwrap_or(p.nodes.max(min_nodes));
            if min_nodes > max_nodes {
                c.err(
                    &format!("{k}.min_nodes"),
                    format!("min_nodes ({min_nodes}) is above max_nodes ({max_nodes})"),
                );
            }
            if p.nodes > max_nodes {
                c.err(
                    &format!("{k}.nodes"),
                    format!("nodes ({}) is above max_nodes ({max_nodes})", p.nodes),
                );
            }
            if let Some(r) = p.spot_interruptions_per_node_hour
                && !(r.is_finite() && r >= 0.0)
            {
                c.err(
                    &format!("{k}.spot_interruptions_per_node_hour"),
                    format!("must be >= 0 (got {r})"),
                );
            }
            let notice = p.spot_notice.map(|d| d.0).unwrap_or_else(|| {
                let s = if p.reservation == Reservation::Eks {
                    d::AWS_SPOT_NOTICE
                } else {
                    d::GCP_SPOT_NOTICE
                };
                crate::units::parse_duration(s).expect("constant")
            });
            let alloc_cpu = p.allocatable_cpu.map_or(dc, |v| v.0);
            let alloc_mem = p.allocatable_memory.map_or(dm, |v| v.0);
            if alloc_cpu > p.cpu.0 {
                c.err(
                    &format!("{k}.allocatable_cpu"),
                    "allocatable CPU exceeds capacity",
                );
            }
            if alloc_mem > p.memory.0 {
                c.err(
                    &format!("{k}.allocatable_memory"),
                    "allocatable memory exceeds capacity",
                );
            }
            pools.push(Pool {
                name: p.name.clone(),
                machine_type: p.machine_type.clone(),
                alloc_cpu,
                alloc_mem,
                max_pods: p.max_pods,
                price_per_hour: p.price_per_hour,
                spot: p.spot,
                arch: p.arch.clone(),
                nodes: p.nodes,
                min_nodes,
                max_nodes,
                taints: p.taints.clone(),
                prepulled: Vec::new(),
                spot_rate_per_hour: if p.spot {
                    p.spot_interruptions_per_node_hour
                        .unwrap_or(d::SPOT_INTERRUPTIONS_PER_NODE_HOUR)
                } else {
                    0.0
                },
                spot_notice: notice,
                spot_shutdown: p.spot_shutdown,
                provisioning_delay: p.provisioning_delay.clone(),
            });
        }

        // Control plane.
        let a = &raw.apiserver;
        c.at_least(
            "apiserver.max_requests_inflight",
            a.max_requests_inflight.into(),
            1,
        );
        c.at_least(
            "apiserver.max_mutating_requests_inflight",
            a.max_mutating_requests_inflight.into(),
            1,
        );
        c.at_least(
            "apiserver.max_request_body_bytes",
            a.max_request_body_bytes.0,
            1,
        );
        c.at_least(
            "apiserver.etcd_max_request_bytes",
            a.etcd_max_request_bytes.0,
            1,
        );
        let ctls = controllers::resolve(&mut c, &raw);
        c.rate("argo_server.kube_api_qps", raw.argo_server.kube_api_qps);
        c.at_least(
            "argo_server.kube_api_burst",
            raw.argo_server.kube_api_burst.into(),
            1,
        );
        c.at_least(
            "argo_server.api_rate_limit",
            raw.argo_server.api_rate_limit.into(),
            1,
        );
        c.dur_at_least("apiserver.request_timeout", a.request_timeout.0, 4);
        c.rate("apiserver.cpu_cores", a.cpu_cores);
        c.rate("apiserver.etcd_writes_per_sec", a.etcd_writes_per_sec);
        if !(a.background_qps.is_finite() && a.background_qps >= 0.0) {
            c.err(
                "apiserver.background_qps",
                format!("must be >= 0 (got {})", a.background_qps),
            );
        } else {
            let busy = a.background_qps * a.read_cpu.0 as f64 / 1e6;
            if a.cpu_cores.is_finite() && busy >= a.cpu_cores {
                c.err_help(
                    "apiserver.background_qps",
                    format!(
                        "{} requests/s at read_cpu {} need {busy:.1} cores: the apiserver's {} cores would be saturated by background load alone",
                        a.background_qps,
                        crate::units::format_duration(a.read_cpu.0),
                        a.cpu_cores
                    ),
                    Some("lower background_qps or raise apiserver.cpu_cores".into()),
                );
            }
        }
        // Timers that re-arm themselves: a minimum each (defaults.rs says where it comes from).
        for (key, v, m) in [
            (
                "scheduler.pod_initial_backoff",
                raw.scheduler.pod_initial_backoff.0,
                d::MIN_POD_INITIAL_BACKOFF,
            ),
            (
                "autoscaler.scan_interval",
                raw.autoscaler.scan_interval.0,
                d::MIN_SCAN_INTERVAL,
            ),
            (
                "autoscaler.batch_idle",
                raw.autoscaler.batch_idle.0,
                d::MIN_KARPENTER_BATCH,
            ),
            (
                "autoscaler.batch_max",
                raw.autoscaler.batch_max.0,
                d::MIN_KARPENTER_BATCH,
            ),
        ] {
            c.dur_at_least(key, v, min(m));
        }
        if raw.scheduler.pod_initial_backoff.0 > raw.scheduler.pod_max_backoff.0 {
            c.err("scheduler.pod_initial_backoff", "is above pod_max_backoff");
        }
        c.rate("scheduler.qps", raw.scheduler.qps);
        c.at_least("scheduler.burst", raw.scheduler.burst.into(), 1);
        c.rate("kubelet.api_qps", raw.kubelet.api_qps);
        c.at_least("kubelet.api_burst", raw.kubelet.api_burst.into(), 1);
        c.at_least(
            "kubelet.image_pull_bytes_per_sec",
            raw.kubelet.image_pull_bytes_per_sec.0,
            1,
        );

        // Workflows.
        let mut images: Vec<String> = Vec::new();
        let mut locks: Vec<LockSpec> = Vec::new();
        let mut namespaces: Vec<String> = Vec::new();
        let semaphores = ctls.semaphores.clone();
        let mut resolve_lock = |c: &mut Checker,
                                key: &str,
                                sem: &Option<String>,
                                mutex: &Option<String>|
         -> Option<usize> {
            let (name, limit) = match (sem, mutex) {
                (Some(_), Some(_)) => {
                    c.err(key, "give either `semaphore` or `mutex`, not both");
                    return None;
                }
                (Some(s), None) => match semaphores.get(s) {
                    Some(&l) => (format!("argo/ConfigMap/semaphore-config/{s}"), l),
                    None => {
                        let help = did_you_mean(s, semaphores.keys().map(String::as_str))
                            .map(|n| format!("did you mean `{n}`?"))
                            .or_else(|| Some("declare it under [controller.semaphores] (or a [[controllers]] entry's), e.g. `my-sem = 3`".into()));
                        c.err_help(
                            &format!("{key}.semaphore"),
                            format!("unknown semaphore {s:?}"),
                            help,
                        );
                        return None;
                    }
                },
                (None, Some(m)) => (format!("argo/Mutex/{m}"), 1),
                (None, None) => return None,
            };
            match locks.iter().position(|l| l.name == name) {
                Some(i) => Some(i),
                None => {
                    locks.push(LockSpec { name, limit });
                    Some(locks.len() - 1)
                }
            }
        };
        let mut workflows = Vec::new();
        let mut wf_names: BTreeMap<String, usize> = BTreeMap::new();
        for (wi, w) in raw.workflows.iter().enumerate() {
            let wk = format!("workflows[{wi}]");
            if wf_names.insert(w.name.clone(), wi).is_some() {
                c.err(
                    &format!("{wk}.name"),
                    format!("duplicate workflow name {:?}", w.name),
                );
            }
            if w.tasks.is_empty() {
                c.err(&format!("{wk}.tasks"), "a workflow needs at least one task");
            }
            let mut index: BTreeMap<&str, usize> = BTreeMap::new();
            for (ti, t) in w.tasks.iter().enumerate() {
                if index.insert(t.name.as_str(), ti).is_some() {
                    c.err(
                        &format!("{wk}.tasks[{ti}].name"),
                        format!("duplicate task name {:?}", t.name),
                    );
                }
            }
            let mut tasks = Vec::new();
            let mut used_groups = std::collections::BTreeSet::new();
            for (ti, t) in w.tasks.iter().enumerate() {
                let tk = format!("{wk}.tasks[{ti}]");
                c.at_least(&format!("{tk}.width"), t.width.into(), 1);
                if !(0.0..=1.0).contains(&t.failure_probability) {
                    c.err(
                        &format!("{tk}.failure_probability"),
                        format!("must be within 0..=1 (got {})", t.failure_probability),
                    );
                }
                let mut deps = Vec::new();
                match w.kind {
                    WorkflowKind::Dag => {
                        if t.group.is_some() {
                            c.err(
                                &format!("{tk}.group"),
                                "`group` is for kind = \"steps\"; a DAG task uses `depends`",
                            );
                        }
                        for dname in &t.depends {
                            match index.get(dname.as_str()) {
                                Some(&di) if di == ti => c.err(&format!("{tk}.depends"), format!("task {:?} depends on itself", t.name)),
                                Some(&di) if di > ti => c.err(
                                    &format!("{tk}.depends"),
                                    format!("task {:?} depends on {:?}, declared later: declare tasks after their dependencies (this also rules out cycles)", t.name, dname),
                                ),
                                Some(&di) => deps.push(di),
                                None => {
                                    let help = did_you_mean(dname, w.tasks.iter().map(|t| t.name.as_str()))
                                        .map(|s| format!("did you mean `{s}`?"));
                                    c.err_help(&format!("{tk}.depends"), format!("unknown task {dname:?}"), help);
                                }
                            }
                        }
                    }
                    WorkflowKind::Steps => {
                        if !t.depends.is_empty() {
                            c.err(
                                &format!("{tk}.depends"),
                                "steps run in `group` order; `depends` is for kind = \"dag\"",
                            );
                        }
                        match t.group {
                            None => c.err(&tk, "a step needs `group` (0, 1, 2, ...)"),
                            Some(g) => {
                                used_groups.insert(g);
                            }
                        }
                    }
                }
                let image = match images.iter().position(|i| *i == t.image) {
                    Some(p) => p,
                    None => {
                        images.push(t.image.clone());
                        images.len() - 1
                    }
                };
                let lock = resolve_lock(&mut c, &tk, &t.semaphore, &t.mutex);
                for (pi, pname) in t.pools.iter().enumerate() {
                    if !pools.iter().any(|p| &p.name == pname) {
                        let help = did_you_mean(pname, pools.iter().map(|p| p.name.as_str()))
                            .map(|n| format!("did you mean `{n}`?"));
                        c.err_help(
                            &format!("{tk}.pools[{pi}]"),
                            format!("unknown pool {pname:?}"),
                            help,
                        );
                    }
                }
                let allowed_pools: Vec<bool> = pools
                    .iter()
                    .map(|p| {
                        (t.pools.is_empty() || t.pools.contains(&p.name))
                            && t.arch.as_ref().is_none_or(|a| *a == p.arch)
                            && p.taints.iter().all(|taint| t.tolerations.contains(taint))
                    })
                    .collect();
                if !pools.is_empty() && !allowed_pools.iter().any(|&a| a) {
                    let why: Vec<String> = pools
                        .iter()
                        .map(|p| {
                            let mut r = Vec::new();
                            if !(t.pools.is_empty() || t.pools.contains(&p.name)) {
                                r.push("not in the task's pools".to_string());
                            }
                            if let Some(a) = t.arch.as_ref().filter(|a| **a != p.arch) {
                                r.push(format!("arch {} is not {a}", p.arch));
                            }
                            for taint in p.taints.iter().filter(|x| !t.tolerations.contains(x)) {
                                r.push(format!("taint {taint} not tolerated"));
                            }
                            format!("pool {:?}: {}", p.name, r.join(", "))
                        })
                        .collect();
                    c.warn(
                        &tk,
                        format!(
                            "task {:?} may run on no pool ({}): its pods will stay Pending",
                            t.name,
                            why.join("; ")
                        ),
                    );
                } else if !pools.is_empty()
                    && !pools.iter().zip(&allowed_pools).any(|(p, &ok)| {
                        ok && p.alloc_cpu >= t.cpu.0 && p.alloc_mem >= t.memory.0 && p.max_nodes > 0
                    })
                {
                    // Name each pool the task may use and what does not fit there.
                    let why: Vec<String> = pools
                        .iter()
                        .zip(&allowed_pools)
                        .filter(|(_, ok)| **ok)
                        .map(|(p, _)| {
                            let mut r = Vec::new();
                            if p.alloc_cpu < t.cpu.0 {
                                r.push(format!(
                                    "cpu {} allocatable",
                                    crate::units::format_cpu(p.alloc_cpu)
                                ));
                            }
                            if p.alloc_mem < t.memory.0 {
                                r.push(format!(
                                    "memory {} allocatable",
                                    crate::units::format_bytes(p.alloc_mem)
                                ));
                            }
                            if p.max_nodes == 0 {
                                r.push("max_nodes = 0".into());
                            }
                            format!("pool {:?}: {}", p.name, r.join(", "))
                        })
                        .collect();
                    c.warn(
                        &format!("{tk}.cpu"),
                        format!(
                            "task {:?} requests cpu {} and memory {}, more than any node's \
                             allocatable ({}): its pods will stay Pending (Unschedulable) and the \
                             workflow will not finish",
                            t.name,
                            t.cpu,
                            crate::units::format_bytes(t.memory.0),
                            why.join("; ")
                        ),
                    );
                }
                if t.threads == 0 {
                    c.err(&format!("{tk}.threads"), "must be at least 1");
                }
                if !(0.0..=1.0).contains(&t.parallel_fraction) {
                    c.err(
                        &format!("{tk}.parallel_fraction"),
                        format!("must be within 0..=1 (got {})", t.parallel_fraction),
                    );
                }
                if let Some(r) = &t.retry
                    && !(r.factor.is_finite() && r.factor >= 1.0)
                {
                    c.err(
                        &format!("{tk}.retry.factor"),
                        format!("must be >= 1 (got {})", r.factor),
                    );
                }
                let p = t.parallel_fraction;
                let speedup = 1.0 / ((1.0 - p) + p / f64::from(t.threads.max(1)));
                tasks.push(TaskSpec {
                    lock,
                    allowed_pools,
                    retry: t.retry.clone(),
                    speedup,
                    read_bytes: t.read_bytes.0,
                    write_bytes: t.write_bytes.0,
                    progress: t.progress,
                    name: t.name.clone(),
                    deps,
                    group: t.group.unwrap_or(0),
                    width: t.width,
                    parallelism: t.parallelism,
                    cpu: t.cpu.0,
                    mem: t.memory.0,
                    image,
                    image_size: t.image_size.0,
                    duration: t.duration.clone(),
                    failure_probability: t.failure_probability,
                    template_ref: t.template_ref.clone(),
                    output_parameter_bytes: t.output_parameter_bytes.0,
                });
            }
            if w.kind == WorkflowKind::Steps {
                // Every group must be used, and each step depends on all steps of the previous group.
                // The used groups, sorted, must be exactly 0..n: the first index whose group
                // is not the index is the gap (one error, however wide the gap).
                if let Some((i, &g)) = used_groups
                    .iter()
                    .enumerate()
                    .find(|&(i, &g)| u64::from(g) != i as u64)
                {
                    let missing = if i + 1 == g as usize {
                        format!("steps group {i} has no step")
                    } else {
                        format!("steps groups {i} to {} have no step", u64::from(g) - 1)
                    };
                    c.err(
                        &format!("{wk}.tasks"),
                        format!("{missing} (groups must be 0, 1, 2, ... without gaps; the next used group is {g})"),
                    );
                }
                let group_of: Vec<u32> = w.tasks.iter().map(|t| t.group.unwrap_or(0)).collect();
                for (ti, task) in tasks.iter_mut().enumerate() {
                    let g = group_of[ti];
                    if g > 0 {
                        task.deps = (0..w.tasks.len())
                            .filter(|&j| group_of[j] == g - 1)
                            .collect();
                    }
                }
                // Order tasks by group so deps point backwards.
                let mut order: Vec<usize> = (0..tasks.len()).collect();
                order.sort_by_key(|&i| group_of[i]);
                let remap: Vec<usize> = {
                    let mut r = vec![0; tasks.len()];
                    for (new, &old) in order.iter().enumerate() {
                        r[old] = new;
                    }
                    r
                };
                let mut sorted: Vec<TaskSpec> = order.iter().map(|&i| tasks[i].clone()).collect();
                for t in &mut sorted {
                    for d in &mut t.deps {
                        *d = remap[*d];
                    }
                }
                tasks = sorted;
            }
            let lock = resolve_lock(&mut c, &wk, &w.semaphore, &w.mutex);
            workflows.push(WorkflowSpec {
                lock,
                name: w.name.clone(),
                kind: w.kind,
                parallelism: w.parallelism,
                priority: w.priority,
                namespace: match namespaces.iter().position(|n| *n == w.namespace) {
                    Some(i) => i,
                    None => {
                        namespaces.push(w.namespace.clone());
                        namespaces.len() - 1
                    }
                },
                instance_id: w.instance_id.clone(),
                spec_bytes: w.spec_bytes.0,
                tasks,
                groups: if w.kind == WorkflowKind::Steps {
                    used_groups.len() as u32
                } else {
                    0
                },
                workflow_template_ref: w.workflow_template_ref.clone(),
                pod_gc: w.pod_gc,
                ttl_after_completion: w.ttl_after_completion.map(|d| d.0),
            });
        }

        // Submissions.
        if raw.submissions.is_empty() {
            c.err(
                "submissions",
                "no [[submissions]]: nothing would be submitted",
            );
        }
        let mut submissions = Vec::new();
        for (si, s) in raw.submissions.iter().enumerate() {
            let sk = format!("submissions[{si}]");
            c.at_least(&format!("{sk}.count"), s.count.into(), 1);
            c.at_least(&format!("{sk}.clients"), s.clients.into(), 1);
            if s.arrival == Arrival::Poisson && s.interval.0 == 0 {
                c.err(
                    &format!("{sk}.interval"),
                    "poisson arrivals need a mean `interval` > 0",
                );
            }
            match wf_names.get(&s.workflow) {
                Some(&w) => {
                    let spec = &workflows[w];
                    let ns = match &s.namespace {
                        Some(n) => n.clone(),
                        None => namespaces[spec.namespace].clone(),
                    };
                    let iid = spec.instance_id.clone();
                    let targets = ctls.targets(&mut c, &sk, &ns, iid.as_deref(), &mut namespaces);
                    submissions.push(Submission {
                        workflow: w,
                        cfg: s.clone(),
                        targets,
                    })
                }
                None => {
                    let help =
                        did_you_mean(&s.workflow, raw.workflows.iter().map(|w| w.name.as_str()))
                            .map(|n| format!("did you mean `{n}`?"))
                            .or_else(|| {
                                Some(format!(
                                    "defined workflows: {}",
                                    raw.workflows
                                        .iter()
                                        .map(|w| w.name.as_str())
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ))
                            });
                    c.err_help(
                        &format!("{sk}.workflow"),
                        format!("unknown workflow {:?}", s.workflow),
                        help,
                    );
                }
            }
        }

        // The executor image (init and wait containers) is pulled like any other.
        let executor_image = match images.iter().position(|i| *i == raw.kubelet.executor_image) {
            Some(p) => p,
            None => {
                images.push(raw.kubelet.executor_image.clone());
                images.len() - 1
            }
        };
        // Pre-pulled images: only images some task (or the executor) uses matter.
        for (pi, p) in raw.cluster.pools.iter().enumerate() {
            pools[pi].prepulled = p
                .prepulled_images
                .iter()
                .filter_map(|i| images.iter().position(|x| x == i))
                .collect();
        }
        for (ri, r) in raw.registries.iter().enumerate() {
            c.at_least(
                &format!("registries[{ri}].pulls_per_hour"),
                r.pulls_per_hour.into(),
                1,
            );
        }
        if raw.storage.bandwidth.0 == 0
            || raw.storage.per_client_bandwidth.0 == 0
            || raw.storage.object_size.0 == 0
        {
            c.err("storage", "bandwidths and object_size must be > 0");
        }
        if !(raw.storage.requests_per_sec.is_finite() && raw.storage.requests_per_sec > 0.0) {
            c.err("storage.requests_per_sec", "must be > 0");
        }
        if super::schema::ca_minor(&raw.autoscaler.version).is_none() {
            c.err(
                "autoscaler.version",
                format!(
                    "{:?} is not a cluster-autoscaler version: write \"1.N\" (e.g. \"1.33\")",
                    raw.autoscaler.version
                ),
            );
        }
        if raw.autoscaler.mode != AutoscalerMode::None {
            // The most common reason an autoscaled run is slow: a pool whose max_nodes was left
            // unset stays at its size. Said first, per pool.
            let mut first = Vec::new();
            if pools
                .iter()
                .all(|p| p.max_nodes == p.nodes && p.min_nodes == p.nodes)
            {
                first.push(c.diag(
                    "autoscaler.mode",
                    "an autoscaler is on but every pool has max_nodes = nodes: nothing can scale"
                        .into(),
                    None,
                ));
            }
            for (i, (rp, p)) in raw.cluster.pools.iter().zip(&pools).enumerate() {
                if rp.max_nodes.is_none() {
                    first.push(c.diag(
                        &format!("cluster.pools[{i}]"),
                        format!(
                            "pool {:?} has no max_nodes, so the autoscaler keeps it at nodes = {}: \
                             it can never scale up",
                            p.name, p.nodes
                        ),
                        Some(format!(
                            "set cluster.pools[{i}].max_nodes (or max_nodes = {} to keep it fixed)",
                            p.nodes
                        )),
                    ));
                }
            }
            c.warnings.splice(0..0, first);
        }
        if !c.errors.is_empty() {
            return Err(ScenarioError::Invalid(c.errors));
        }
        Ok(Scenario {
            source: file.to_string(),
            file: raw,
            pools,
            workflows,
            submissions,
            images,
            executor_image,
            warnings: c.warnings,
            locks,
            namespaces,
            controllers: ctls.specs,
        })
    }

    /// Master seed of the scenario.
    pub fn seed(&self) -> u64 {
        self.file.experiment.seed
    }
}
