//! Pod-running templates (`container`, `script`, `resource`, `data`, `containerSet`) as
//! tasks of the graph: CPU and memory requests (limits when no request; sidecars added,
//! initContainers as a maximum, pod-level resources replacing the sum), the image, output
//! parameters and artifacts, the run time from `[import.durations]`, the arch node selector
//! and tolerations; plus placeholder pods for unresolved `templateRef`s and the
//! [`MAX_TASKS`] / [`MAX_EDGES`] limits.
//!
//! What the pod does is not modelled beyond its duration: commands, env, volumes, probes and
//! the object a `resource` template manages are ignored (warned where they matter), resources
//! other than cpu and memory are warned, and other node selectors are warned.

use super::super::expr::{self, Env};
use super::hints::CONTAINER_KEYS;
use super::{ARGOEXEC_IMAGE, At, Conv, Ctx, Lock, MAX_EDGES, MAX_TASKS, Node};
use std::collections::BTreeSet;

impl<'c> Conv<'c> {
    /// A task name not taken yet: `base` (`main` when empty), else `base-2`, `base-3`, ...
    fn unique_name(&mut self, base: &str) -> String {
        let base = if base.is_empty() { "main" } else { base };
        self.names.claim(base, "-")
    }

    /// One pod with default resources and duration (an unresolved `templateRef`).
    pub(super) fn placeholder(&mut self, at: &At<'c>, ctx: Ctx<'c>) -> Vec<usize> {
        let name = self.unique_name(&ctx.prefix);
        let duration = self.h.default_duration.clone();
        self.push(
            Node {
                name,
                deps: ctx.deps,
                width: ctx.mult,
                parallelism: if ctx.par > 0 && ctx.par < ctx.mult {
                    ctx.par
                } else {
                    0
                },
                cpu: 0,
                mem: 0,
                image: None,
                duration,
                template_ref: ctx.tref,
                output_parameter_bytes: 0,
                semaphore: None,
                mutex: None,
                arch: None,
                tolerations: Vec::new(),
                retry: None,
                read_bytes: 0,
                write_bytes: 0,
            },
            at,
        )
    }

    /// Add `n` to the graph, unless a size limit is hit (the workflow is then refused).
    fn push(&mut self, n: Node, at: &At<'_>) -> Vec<usize> {
        if self.nodes.len() >= MAX_TASKS {
            self.overflow = true;
            self.fail(
                at,
                format!("the flattened workflow has more than {MAX_TASKS} tasks; refused"),
            );
            return n.deps;
        }
        self.edges += n.deps.len();
        if self.edges > MAX_EDGES {
            self.overflow = true;
            self.fail(
                at,
                format!("the flattened workflow has more than {MAX_EDGES} dependencies; refused"),
            );
            return n.deps;
        }
        self.nodes.push(n);
        vec![self.nodes.len() - 1]
    }

    /// Requests of one container spec: (cpu millicores, memory bytes).
    fn requests(&mut self, c: &At<'c>, env: &Env) -> (u64, u64) {
        self.check_keys(c, "container", CONTAINER_KEYS, &[]);
        match c.get("resources") {
            Some(res) => self.quantities(&res, env),
            None => (0, 0),
        }
    }

    /// `{requests, limits}` → (cpu millicores, memory bytes); a missing request is the limit.
    fn quantities(&mut self, res: &At<'c>, env: &Env) -> (u64, u64) {
        self.check_keys(
            res,
            "resources",
            &["requests", "limits"],
            &[("claims", "resource claims (DRA) are not simulated")],
        );
        for section in ["requests", "limits"] {
            let Some(sec) = res.get(section) else {
                continue;
            };
            for k in sec.keys() {
                if k != "cpu"
                    && k != "memory"
                    && let Some(at) = sec.get(k)
                {
                    self.warn(
                        &at,
                        format!("resource {k} is not simulated (only cpu and memory)"),
                    );
                }
            }
        }
        let get = |this: &mut Self, key: &str| -> (Option<u64>, Option<u64>) {
            let mut out = (None, None);
            for (i, section) in ["requests", "limits"].iter().enumerate() {
                let Some(q) = res.get(section).and_then(|s| s.get(key)) else {
                    continue;
                };
                let s = this.subst(&q.text().unwrap_or_default(), env);
                let v = if key == "cpu" {
                    expr::cpu_millis(&s)
                } else {
                    expr::bytes(&s)
                };
                if v.is_none() {
                    this.warn(&q, format!("{key} quantity {s:?} not understood: ignored"));
                }
                if i == 0 {
                    out.0 = v;
                } else {
                    out.1 = v;
                }
            }
            out
        };
        // Kubernetes defaults a missing request to the limit.
        let (rc, lc) = get(self, "cpu");
        let (rm, lm) = get(self, "memory");
        (rc.or(lc).unwrap_or(0), rm.or(lm).unwrap_or(0))
    }

    /// A pod-running template called with `ctx`: one task.
    pub(super) fn leaf(&mut self, t: &At<'c>, tname: &str, ctx: Ctx<'c>) -> Vec<usize> {
        let env = ctx.env.clone();
        let mut cpu = 0u64;
        let mut mem = 0u64;
        let mut image: Option<(String, At<'c>)> = None;
        let mut outputs = 0u64;
        if let Some(c) = t.get("container").or_else(|| t.get("script")) {
            (cpu, mem) = self.requests(&c, &env);
            image = c.get("image").and_then(|i| i.text().map(|s| (s, i)));
            if t.get("script").is_some() {
                outputs += 1; // outputs.result
            }
        } else if let Some(cs) = t.get("containerSet") {
            let cs_items = cs.get("containers").map(|x| x.items()).unwrap_or_default();
            let mut images = BTreeSet::new();
            for c in &cs_items {
                let (a, b) = self.requests(c, &env);
                cpu = cpu.saturating_add(a);
                mem = mem.saturating_add(b);
                if let Some(i) = c.get("image").and_then(|i| i.text()) {
                    images.insert(i.clone());
                    if image.is_none() {
                        image = c.get("image").map(|a| (i, a));
                    }
                }
            }
            if images.len() > 1 {
                self.warn(
                    &cs,
                    format!(
                        "containerSet {tname:?}: one pod with the summed requests; only the first of {} images is pulled",
                        images.len()
                    ),
                );
            }
            if cs.get("retryStrategy").is_some() {
                self.warn(
                    &cs,
                    "containerSet retryStrategy (container restarts) is not simulated",
                );
            }
        } else {
            let what = if t.get("resource").is_some() {
                let action = t
                    .get("resource")
                    .and_then(|r| r.get("action"))
                    .and_then(|a| a.text())
                    .unwrap_or_default();
                format!(
                    "resource template {tname:?} ({action}): one argoexec pod; the Kubernetes object it manages and any wait for its success condition are not simulated (set its duration in [import.durations])"
                )
            } else {
                format!(
                    "data template {tname:?}: one argoexec pod; the data source and transformations are not simulated"
                )
            };
            self.warn(t, what);
            image = Some((ARGOEXEC_IMAGE.to_string(), t.clone()));
            outputs += 1;
        }
        for (key, add) in [("sidecars", true), ("initContainers", false)] {
            let Some(list) = t.get(key) else { continue };
            let (mut c2, mut m2) = (0u64, 0u64);
            for c in list.items() {
                let (a, b) = self.requests(&c, &env);
                if add {
                    c2 = c2.saturating_add(a);
                    m2 = m2.saturating_add(b);
                } else {
                    c2 = c2.max(a);
                    m2 = m2.max(b);
                }
            }
            if add {
                cpu = cpu.saturating_add(c2);
                mem = mem.saturating_add(m2);
                self.warn(&list, "sidecars: their requests are added to the pod; their images are not pulled and they stop with the main container");
            } else {
                cpu = cpu.max(c2);
                mem = mem.max(m2);
                self.warn(&list, "initContainers: the pod requests the larger of them and the containers; their run time is not simulated");
            }
        }
        // Pod-level resources (Kubernetes PodLevelResources) replace the containers' sum.
        if let Some(pr) = t
            .get("podResources")
            .or_else(|| self.wf_pod_resources.clone())
        {
            let (c2, m2) = self.quantities(&pr, &env);
            if c2 > 0 {
                cpu = c2;
            }
            if m2 > 0 {
                mem = m2;
            }
        }
        if cpu == 0 && mem == 0 {
            // Kubernetes runs such a pod BestEffort: it fits anywhere. Most upstream examples
            // request nothing, so the hand-off offers defaults.
            match (self.h.default_cpu, self.h.default_memory) {
                (None, None) => {
                    self.no_requests.insert(tname.to_string());
                }
                (c, m) => {
                    cpu = c.map_or(0, |c| c.0);
                    mem = m.map_or(0, |m| m.0);
                }
            }
        }
        let image = match image {
            Some((s, at)) => {
                let s = self.subst(&s, &env);
                if expr::resolved(&s) {
                    Some(s)
                } else {
                    self.warn(
                        &at,
                        format!(
                            "image {s:?} depends on run-time values: the default image is used"
                        ),
                    );
                    None
                }
            }
            None => None,
        };
        // Outputs and artifacts.
        if let Some(o) = t.get("outputs") {
            outputs += o.get("parameters").map_or(0, |p| p.items().len()) as u64;
        }
        let count_artifacts = |at: Option<At<'c>>| at.map_or(0, |a| a.items().len()) as u64;
        let in_art = count_artifacts(t.get("inputs").and_then(|i| i.get("artifacts")));
        let out_art = count_artifacts(t.get("outputs").and_then(|o| o.get("artifacts")));
        let art = self.h.artifact_bytes.0;
        if in_art + out_art > 0 && art == 0 {
            self.warn_help(
                t,
                format!("template {tname:?} moves {in_art} input and {out_art} output artifacts of unknown size: not simulated"),
                Some("set [import] artifact_bytes = \"100Mi\" to move that much per artifact through [storage]".into()),
            );
        }
        let output_parameter_bytes = outputs.saturating_mul(self.h.output_parameter_bytes.0);
        if outputs > 0 {
            self.param_templates.insert(tname.to_string());
        }
        // Duration.
        let mut keys = self.hint_keys(&ctx);
        if let Some(r) = &ctx.tref {
            keys.push(format!("{r}/{tname}"));
        }
        keys.push(tname.to_string());
        let duration = match keys.iter().find_map(|k| self.h.durations.get(k)) {
            Some(d) => d.clone(),
            None => {
                self.default_durations.insert(tname.to_string());
                self.h.default_duration.clone()
            }
        };
        // Scheduling constraints: the template's, else the workflow's.
        let mut arch = None;
        if let Some(ns) = t
            .get("nodeSelector")
            .or_else(|| self.wf_node_selector.clone())
        {
            for (k, v) in ns.v.as_object().into_iter().flatten() {
                let child = ns.get(k);
                match (k.as_str(), v.as_str()) {
                    ("kubernetes.io/arch" | "beta.kubernetes.io/arch", Some(a)) => {
                        arch = Some(self.subst(a, &env));
                    }
                    _ => {
                        if let Some(c) = child {
                            self.warn(
                                &c,
                                format!("nodeSelector {k}: not mapped (only kubernetes.io/arch is); set the task's `pools` by hand"),
                            );
                        }
                    }
                }
            }
        }
        let mut tolerations = Vec::new();
        if let Some(ts) = t.get("tolerations").or_else(|| self.wf_tolerations.clone()) {
            for tol in ts.items() {
                match tol.get("key").and_then(|k| k.text()) {
                    Some(k) => {
                        if !tolerations.contains(&k) {
                            tolerations.push(k);
                        }
                    }
                    None => self.warn(
                        &tol,
                        "a toleration without a key (tolerate every taint) is not simulated: list the pools' taint keys instead",
                    ),
                }
            }
        }
        let retry = match t
            .get("retryStrategy")
            .or(ctx.retry.clone())
            .or(self.wf_retry.clone())
        {
            Some(r) => self.retry(&r, &env),
            None => None,
        };
        let lock = match t.get("synchronization") {
            Some(s) => self.lock(&s),
            None => ctx.lock.clone(),
        };
        let (semaphore, mutex) = match lock {
            Some(Lock::Semaphore(s)) => (Some(s), None),
            Some(Lock::Mutex(m)) => (None, Some(m)),
            None => (None, None),
        };
        let base = if ctx.prefix.is_empty() {
            tname.to_string()
        } else {
            ctx.prefix.clone()
        };
        let name = self.unique_name(&base);
        self.push(
            Node {
                name,
                deps: ctx.deps,
                width: ctx.mult.max(1),
                parallelism: if ctx.par > 0 && ctx.par < ctx.mult {
                    ctx.par
                } else {
                    0
                },
                cpu,
                mem,
                image,
                duration,
                template_ref: ctx.tref,
                output_parameter_bytes,
                semaphore,
                mutex,
                arch,
                tolerations,
                retry,
                read_bytes: in_art.saturating_mul(art),
                write_bytes: out_art.saturating_mul(art),
            },
            t,
        )
    }
}
