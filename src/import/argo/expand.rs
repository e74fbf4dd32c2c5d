//! Expanding the template tree: `dag` tasks (`dependencies`, `depends`, `target`) and
//! `steps` groups are flattened into the graph, and each task or step calls its template
//! (local, inline or by `templateRef`) with its arguments, loop width and inherited limits.
//!
//! A node waits for the leaves of what it depends on; `depends` expressions are approximated
//! as "all succeeded" (warned unless exact), `continueOn` and `failFast: false` are not
//! simulated. A loop over a dag/steps template widens each inner task instead of running one
//! sub-graph per item (warned). Recursion is unrolled to `[import] recursion_depth`; the
//! limits [`MAX_CALL_DEPTH`] and [`MAX_EXPANSIONS`] refuse the workflow.

use super::super::expr;
use super::hints::{TASK_KEYS, TASK_NOT_SIMULATED, TEMPLATE_KEYS, TEMPLATE_NOT_SIMULATED};
use super::loops::input_env;
use super::{At, Conv, Ctx, MAX_CALL_DEPTH, MAX_EXPANSIONS, MAX_WIDTH, par_min, union};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

impl<'c> Conv<'c> {
    /// Expand a template called with `ctx`; returns the nodes a successor must wait for.
    pub(super) fn expand(&mut self, t: At<'c>, scope: &[At<'c>], ctx: Ctx<'c>) -> Vec<usize> {
        if self.fatal.is_some() || self.overflow {
            return ctx.deps;
        }
        let key = (t.doc, t.path.clone());
        let tname = t.name().unwrap_or("(unnamed)").to_string();
        let depth = self.stack.iter().filter(|k| **k == key).count();
        if depth >= self.h.recursion_depth.max(1) as usize {
            self.warn(
                &t,
                format!(
                    "template {tname:?} calls itself recursively: unrolled to depth {} (set [import] recursion_depth); the deeper call at {:?} is dropped",
                    self.h.recursion_depth, ctx.prefix
                ),
            );
            return ctx.deps;
        }
        self.expansions += 1;
        if self.expansions > MAX_EXPANSIONS {
            self.overflow = true;
            self.fail(
                &t,
                format!(
                    "expanding the templates takes more than {MAX_EXPANSIONS} calls; refused (lower [import] recursion_depth?)"
                ),
            );
            return ctx.deps;
        }
        if self.stack.len() >= MAX_CALL_DEPTH {
            self.fail(
                &t,
                format!("template calls nested deeper than {MAX_CALL_DEPTH} levels; refused"),
            );
            return ctx.deps;
        }
        self.check_keys(&t, "template", TEMPLATE_KEYS, TEMPLATE_NOT_SIMULATED);
        self.stack.push(key);
        let out = if t.get("dag").is_some() {
            self.dag(&t, scope, ctx)
        } else if t.get("steps").is_some() {
            self.steps(&t, scope, ctx)
        } else if ["container", "script", "resource", "data", "containerSet"]
            .iter()
            .any(|k| t.get(k).is_some())
        {
            self.leaf(&t, &tname, ctx)
        } else {
            let why = if let Some(s) = t.get("suspend") {
                let d = s.get("duration").and_then(|d| d.text());
                match d {
                    Some(d) => format!(
                        "suspend template {tname:?} creates no pod: dropped (its {d} wait before the next tasks is not simulated)"
                    ),
                    None => format!(
                        "suspend template {tname:?} creates no pod: dropped (simulated as resumed at once)"
                    ),
                }
            } else if t.get("http").is_some() {
                format!(
                    "HTTP template {tname:?} runs in the workflow's agent pod, which is not simulated: dropped"
                )
            } else if t.get("plugin").is_some() {
                format!(
                    "executor plugin template {tname:?} runs in the workflow's agent pod, which is not simulated: dropped"
                )
            } else {
                format!(
                    "template {tname:?} has none of container, script, resource, data, containerSet, dag, steps, suspend, http, plugin: not understood, dropped"
                )
            };
            self.warn(&t, why);
            ctx.deps
        };
        self.stack.pop();
        out
    }

    /// The context inner tasks of a dag/steps template inherit: its `parallelism`, lock and
    /// retry.
    fn composite_ctx(&mut self, t: &At<'c>, ctx: &Ctx<'c>) -> Ctx<'c> {
        let mut inner = ctx.clone();
        inner.tref = None;
        if let Some(p) = t.get("parallelism") {
            match p.text().and_then(|s| s.parse::<u32>().ok()) {
                Some(n) if n > 0 => inner.par = par_min(ctx.par, n.saturating_mul(ctx.mult)),
                _ => self.warn(&p, "parallelism is not a positive integer; ignored"),
            }
        }
        if let Some(s) = t.get("synchronization")
            && let Some(lock) = self.lock(&s)
        {
            self.warn(
                &s,
                "a lock on a dag/steps template is held by each of its pods instead of once for the whole template",
            );
            inner.lock = Some(lock);
        }
        if let Some(r) = t.get("retryStrategy") {
            self.warn(
                &r,
                "retryStrategy on a dag/steps template retries each of its pods instead of the whole template",
            );
            inner.retry = Some(r);
        }
        inner
    }

    /// A `dag` template: tasks in dependency order; returns its leaves.
    fn dag(&mut self, t: &At<'c>, scope: &[At<'c>], ctx: Ctx<'c>) -> Vec<usize> {
        let Some(dag) = t.get("dag") else {
            return ctx.deps;
        };
        self.check_keys(&dag, "dag", &["tasks", "target", "failFast"], &[]);
        if let Some(ff) = dag.get("failFast")
            && ff.v == &Value::Bool(false)
        {
            self.warn(
                &ff,
                "failFast: false is not simulated: argosim stops starting tasks at the first failure",
            );
        }
        let inner = self.composite_ctx(t, &ctx);
        let tasks: Vec<At<'c>> = dag
            .get("tasks")
            .map(|x| x.items())
            .unwrap_or_default()
            .into_iter()
            .filter(|x| {
                if x.name().is_none() {
                    self.warn(x, "DAG task without a `name`: ignored");
                    false
                } else {
                    true
                }
            })
            .collect();
        let names: Vec<&str> = tasks.iter().filter_map(|x| x.name()).collect();
        let index: BTreeMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        // Dependencies by index.
        let mut deps: Vec<Vec<usize>> = Vec::with_capacity(tasks.len());
        for task in &tasks {
            let mut ds = Vec::new();
            let mut mention = |this: &mut Self, at: &At<'_>, n: &str| match index.get(n) {
                Some(&i) => ds.push(i),
                None => this.warn(at, format!("depends on unknown task {n:?}: ignored")),
            };
            if let Some(d) = task.get("dependencies") {
                for item in d.items() {
                    if let Some(n) = item.text() {
                        mention(self, &item, &n);
                    }
                }
            }
            if let Some(d) = task.get("depends") {
                let e = d.text().unwrap_or_default();
                let (ns, exact) = expr::depends_names(&e, &|s| index.contains_key(s));
                for n in &ns {
                    mention(self, &d, n);
                }
                if !exact {
                    self.warn(
                        &d,
                        format!(
                            "depends {e:?} approximated as \"all of {} succeeded\"",
                            ns.join(", ")
                        ),
                    );
                }
            }
            ds.sort_unstable();
            ds.dedup();
            deps.push(ds);
        }
        // `target`: only the named tasks and their ancestors run.
        let mut keep = vec![true; tasks.len()];
        if let Some(tg) = dag.get("target") {
            let s = self.subst(&tg.text().unwrap_or_default(), &ctx.env);
            if expr::resolved(&s) {
                let wanted: Vec<&str> = s.split([' ', ',']).filter(|x| !x.is_empty()).collect();
                keep = vec![false; tasks.len()];
                let mut stack: Vec<usize> = wanted
                    .iter()
                    .filter_map(|w| index.get(w).copied())
                    .collect();
                while let Some(i) = stack.pop() {
                    if !keep[i] {
                        keep[i] = true;
                        stack.extend(deps[i].iter().copied());
                    }
                }
            } else {
                self.warn(
                    &tg,
                    format!("target {s:?} cannot be resolved statically: every task runs"),
                );
            }
        }
        // Topological order (stable: declaration order among ready tasks).
        let n = tasks.len();
        let mut indeg: Vec<usize> = deps.iter().map(Vec::len).collect();
        let mut users: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (j, ds) in deps.iter().enumerate() {
            for &d in ds {
                users[d].push(j);
            }
        }
        let mut ready: BTreeSet<usize> = (0..n).filter(|&i| indeg[i] == 0).collect();
        let mut order = Vec::with_capacity(n);
        let mut done = vec![false; n];
        while let Some(i) = ready.pop_first() {
            done[i] = true;
            order.push(i);
            for &j in &users[i] {
                indeg[j] -= 1;
                if indeg[j] == 0 {
                    ready.insert(j);
                }
            }
        }
        if order.len() < n {
            let cyc: Vec<&str> = (0..n).filter(|&i| !done[i]).map(|i| names[i]).collect();
            self.fail(
                &dag,
                format!(
                    "DAG template {:?} has a dependency cycle among {}; Argo rejects it too",
                    t.name().unwrap_or(""),
                    cyc.join(", ")
                ),
            );
            return ctx.deps;
        }
        let mut leaves: Vec<Vec<usize>> = vec![Vec::new(); n];
        for &i in &order {
            if !keep[i] {
                continue;
            }
            let entry = if deps[i].is_empty() {
                ctx.deps.clone()
            } else {
                deps[i]
                    .iter()
                    .fold(Vec::new(), |acc, &d| union(&acc, &leaves[d]))
            };
            leaves[i] = self.call(&tasks[i], scope, &inner, entry);
        }
        let depended: BTreeSet<usize> = (0..n)
            .filter(|&i| keep[i])
            .flat_map(|i| deps[i].iter().copied())
            .collect();
        let out = (0..n)
            .filter(|&i| keep[i] && !depended.contains(&i))
            .fold(Vec::new(), |acc, i| union(&acc, &leaves[i]));
        if out.is_empty() { ctx.deps } else { out }
    }

    /// A `steps` template: each group after the previous one; returns the last group.
    fn steps(&mut self, t: &At<'c>, scope: &[At<'c>], ctx: Ctx<'c>) -> Vec<usize> {
        let Some(groups) = t.get("steps") else {
            return ctx.deps;
        };
        let inner = self.composite_ctx(t, &ctx);
        let mut prev = ctx.deps.clone();
        for g in groups.items() {
            let steps = if g.v.is_array() {
                g.items()
            } else {
                self.warn(
                    &g,
                    "a steps group should be a list of steps; read as one step",
                );
                vec![g.clone()]
            };
            let mut group_leaves: Vec<usize> = Vec::new();
            for s in steps {
                if s.name().is_none() {
                    self.warn(&s, "step without a `name`: ignored");
                    continue;
                }
                let before = self.nodes.len();
                let l = self.call(&s, scope, &inner, prev.clone());
                if self.nodes.len() > before {
                    group_leaves = union(&group_leaves, &l);
                }
            }
            if !group_leaves.is_empty() {
                prev = group_leaves;
            }
        }
        prev
    }

    /// Loop width of a task or step; `None` drops it (an empty loop).
    /// A DAG task or step: `when`, loops, arguments, then the template it calls.
    fn call(
        &mut self,
        task: &At<'c>,
        scope: &[At<'c>],
        ctx: &Ctx<'c>,
        deps: Vec<usize>,
    ) -> Vec<usize> {
        if self.fatal.is_some() || self.overflow {
            return deps;
        }
        self.check_keys(task, "task", TASK_KEYS, TASK_NOT_SIMULATED);
        let name = task.name().unwrap_or("").to_string();
        let path = if ctx.prefix.is_empty() {
            name.clone()
        } else {
            format!("{}.{}", ctx.prefix, name)
        };
        let keys = vec![path.clone(), name.clone()];
        if let Some(w) = task.get("when")
            && !self.when_holds(&w, &ctx.env, &keys, &path)
        {
            return deps;
        }
        let Some(width) = self.width(task, &ctx.env, &keys) else {
            return deps;
        };
        // The template called.
        let (tmpl, tscope, tref): (At<'c>, Vec<At<'c>>, Option<String>) = if let Some(tr) =
            task.get("templateRef")
        {
            match self.resolve_ref(&tr) {
                Ok((t, s, n)) => (t, s, Some(n)),
                Err(msg) => {
                    let wt = tr.get("name").and_then(|n| n.text()).unwrap_or_default();
                    self.warn_help(
                            &tr,
                            format!("{msg}: task {path} simulated as one pod with default resources and duration"),
                            Some("pass the file that defines it (argosim import --library FILE, or [import] library = [...])".into()),
                        );
                    let mut c2 = ctx.clone();
                    c2.prefix = path.clone();
                    c2.task = name.clone();
                    c2.deps = deps;
                    c2.mult = ctx.mult.saturating_mul(width).min(MAX_WIDTH);
                    c2.tref = (!wt.is_empty()).then_some(wt);
                    return self.placeholder(&tr, c2);
                }
            }
        } else if let Some(inl) = task.get("inline") {
            (inl, scope.to_vec(), None)
        } else if let Some(tn) = task.get("template").and_then(|x| x.text()) {
            match self.find_template(scope, &tn) {
                Some(t) => (t, scope.to_vec(), None),
                None => {
                    self.fail(task, format!("task {path}: no template named {tn:?}"));
                    return deps;
                }
            }
        } else {
            self.fail(
                task,
                format!("task {path} names no template, templateRef or inline template"),
            );
            return deps;
        };
        // Arguments → the callee's inputs.
        let args = self.call_args(task, &ctx.env);
        let env = input_env(&tmpl, &args);
        let composite = tmpl.get("dag").is_some() || tmpl.get("steps").is_some();
        if width > 1 && composite {
            self.warn(
                task,
                format!(
                    "task {path} loops {width} times over dag/steps template {:?}: each inner task runs {width} wide, and inner dependencies wait for all items (Argo runs each item's sub-graph independently)",
                    tmpl.name().unwrap_or("")
                ),
            );
        }
        let mult = ctx.mult.saturating_mul(width);
        if mult > MAX_WIDTH {
            self.warn(
                task,
                format!("nested loops give {path} a width of {mult}: capped at {MAX_WIDTH}"),
            );
        }
        let inner = Ctx {
            prefix: path,
            env,
            deps,
            mult: mult.min(MAX_WIDTH),
            par: ctx.par,
            tref: tref.clone(),
            lock: ctx.lock.clone(),
            retry: ctx.retry.clone(),
            task: name,
        };
        let before = self.nodes.len();
        let out = self.expand(tmpl, &tscope, inner);
        // A templateRef holder whose template creates no pod itself still costs validation
        // GETs: charge them to a task it created, or to any task later.
        if let Some(r) = tref
            && (composite || self.nodes.len() == before)
        {
            match (before..self.nodes.len()).find(|&i| self.nodes[i].template_ref.is_none()) {
                Some(i) => self.nodes[i].template_ref = Some(r),
                None => self.pending_refs.push((r, task.clone())),
            }
        }
        out
    }
}
