//! Parameters, conditions and loops of a task or step: `{{inputs.parameters.x}}` and
//! `{{workflow.parameters.x}}` substitution, binding a call's `arguments` to the callee's
//! `inputs`, `when` (one comparison of literals, else an `[import.when]` probability, else
//! kept) and loop widths (`withItems`, `withParam` as a literal JSON list or an
//! `[import.widths]` hint, `withSequence`).
//!
//! Loop items themselves are not tracked: a loop only sets the task's `width`, so item values
//! substituted into a template (`{{item}}`) stay unresolved. Output parameters of other tasks
//! are run-time values and never resolve statically.

use super::super::expr::{self, Env};
use super::hints::key_help;
use super::{At, Conv, MAX_WIDTH};
use serde_json::Value;

/// `inputs.parameters` of `tmpl` called with `args`: the argument, else the parameter's
/// `value` or `default`; parameters with none of them are left unset.
pub(super) fn input_env(tmpl: &At<'_>, args: &Env) -> Env {
    let mut env = Env::new();
    if let Some(ps) = tmpl.get("inputs").and_then(|i| i.get("parameters")) {
        for p in ps.items() {
            let Some(n) = p.name() else { continue };
            let v = args.get(n).cloned().or_else(|| {
                p.get("value")
                    .or_else(|| p.get("default"))
                    .and_then(|v| v.text())
            });
            if let Some(v) = v {
                env.insert(n.to_string(), v);
            }
        }
    }
    env
}

impl<'c> Conv<'c> {
    /// Substitute parameters in `s`: the template's `env`, then the workflow's.
    pub(super) fn subst(&self, s: &str, env: &Env) -> String {
        expr::subst(s, env, &self.wf_params)
    }

    /// A call's `arguments.parameters`, substituted in the caller's `env`.
    pub(super) fn call_args(&self, task: &At<'c>, env: &Env) -> Env {
        let mut args: Env = Env::new();
        if let Some(ps) = task.get("arguments").and_then(|a| a.get("parameters")) {
            for p in ps.items() {
                if let (Some(n), Some(v)) = (p.name(), p.get("value").and_then(|v| v.text())) {
                    args.insert(n.to_string(), self.subst(&v, env));
                }
            }
        }
        args
    }

    /// Whether a task with `when` (`w`) runs; `keys` are its call path and name (hint keys),
    /// `path` its call path.
    pub(super) fn when_holds(
        &mut self,
        w: &At<'c>,
        env: &Env,
        keys: &[String],
        path: &str,
    ) -> bool {
        let e = self.subst(&w.text().unwrap_or_default(), env);
        let hint = keys.iter().find_map(|k| self.h.when.get(k).copied());
        let both = key_help(keys);
        match (hint, expr::eval_when(&e)) {
            (Some(p), _) => {
                if p > 0.0 && p < 1.0 {
                    self.warn(
                        w,
                        format!(
                            "when: probability {p} for {path}: argosim cannot skip at random, so the task is {} (kept when >= 0.5)",
                            if p >= 0.5 { "kept" } else { "dropped" }
                        ),
                    );
                }
                p >= 0.5
            }
            (None, Some(b)) => {
                if !b {
                    self.warn(w, format!("when {e:?} is false: task {path} is skipped"));
                }
                b
            }
            (None, None) => {
                self.warn_help(
                    w,
                    format!(
                        "when {e:?} cannot be evaluated statically: task {path} assumed to run"
                    ),
                    Some(format!(
                        "set [import.when] {both} = probability (0 drops it)"
                    )),
                );
                true
            }
        }
    }

    /// Loop width of a task or step; `None` drops it (an empty loop).
    pub(super) fn width(&mut self, task: &At<'c>, env: &Env, keys: &[String]) -> Option<u32> {
        let hint = keys.iter().find_map(|k| self.h.widths.get(k).copied());
        let raw: Option<(u64, At<'c>)> = if let Some(items) = task.get("withItems") {
            match items.v.as_array() {
                Some(a) => Some((a.len() as u64, items)),
                None => {
                    self.warn(&items, "withItems is not a list: read as one item");
                    Some((1, items))
                }
            }
        } else if let Some(p) = task.get("withParam")
            && let Some(a) = p.v.as_array()
        {
            Some((a.len() as u64, p))
        } else if let Some(p) = task.get("withParam") {
            let s = self.subst(&p.text().unwrap_or_default(), env);
            let parsed = if expr::resolved(&s) {
                serde_json::from_str::<Value>(&s).ok()
            } else {
                None
            };
            match (parsed, hint) {
                (Some(Value::Array(a)), _) => Some((a.len() as u64, p)),
                (_, Some(w)) => Some((u64::from(w), p)),
                (Some(_), None) => {
                    self.warn(&p, format!("withParam {s:?} is not a JSON list: width 1"));
                    Some((1, p))
                }
                (None, None) => {
                    self.warn(
                        &p,
                        format!(
                            "withParam width unknown for task {}: set [import.widths] {} = N (using 1)",
                            keys[0],
                            key_help(keys)
                        ),
                    );
                    Some((1, p))
                }
            }
        } else if let Some(sq) = task.get("withSequence") {
            let num = |this: &Self, k: &str| -> Option<Result<i64, ()>> {
                let at = sq.get(k)?;
                let s = this.subst(&at.text().unwrap_or_default(), env);
                Some(s.trim().parse::<i64>().map_err(|_| ()))
            };
            let count = match (num(self, "count"), num(self, "start"), num(self, "end")) {
                (Some(Ok(c)), _, _) => Some(c.max(0) as u64),
                (None, s, Some(Ok(e))) => match s.unwrap_or(Ok(0)) {
                    Ok(s) => Some(e.abs_diff(s).saturating_add(1)),
                    Err(()) => None,
                },
                _ => None,
            };
            match (count, hint) {
                (Some(c), _) => Some((c, sq)),
                (None, Some(w)) => Some((u64::from(w), sq)),
                (None, None) => {
                    self.warn(
                        &sq,
                        format!(
                            "withSequence width unknown for task {}: set [import.widths] {} = N (using 1)",
                            keys[0],
                            key_help(keys)
                        ),
                    );
                    Some((1, sq))
                }
            }
        } else {
            None
        };
        match raw {
            None => Some(1),
            Some((0, at)) => {
                self.warn(
                    &at,
                    format!("task {} loops over no items: no pods, dropped", keys[0]),
                );
                None
            }
            Some((w, at)) if w > u64::from(MAX_WIDTH) => {
                self.warn(&at, format!("loop width {w} capped at {MAX_WIDTH}"));
                Some(MAX_WIDTH)
            }
            Some((w, _)) => Some(w as u32),
        }
    }
}
