//! Failure and concurrency policies of a task: `retryStrategy` (`limit`, `retryPolicy`,
//! `backoff.duration` / `factor` / `maxDuration`) as the `retry` table, and `synchronization`
//! as one semaphore (limit from `[import.semaphores]`, a given ConfigMap, else 1) or mutex.
//!
//! Retry `expression`s and `affinity` are not evaluated, the deprecated backoff `cap` is not
//! simulated, and only the first of several locks is kept (all warned); database semaphores
//! and mutexes are simulated like in-cluster ones.

use super::super::expr::{self, Env};
use super::{At, Conv, Lock};
use serde_json::{Map, Value, json};

impl<'c> Conv<'c> {
    /// `retryStrategy` → the `retry` table.
    pub(super) fn retry(&mut self, r: &At<'c>, env: &Env) -> Option<Value> {
        self.check_keys(
            r,
            "retryStrategy",
            &["limit", "retryPolicy", "backoff"],
            &[
                ("expression", "retry expressions are not evaluated (every attempt that the policy allows is retried)"),
                ("affinity", "retrying on a different node is not simulated"),
            ],
        );
        let mut out = Map::new();
        if let Some(l) = r.get("limit") {
            let s = self.subst(&l.text().unwrap_or_default(), env);
            match s.trim().parse::<u32>() {
                Ok(n) => {
                    out.insert("limit".into(), json!(n));
                }
                Err(_) => self.warn(
                    &l,
                    format!("retry limit {s:?} not understood: unlimited retries"),
                ),
            }
        }
        let policy = match r.get("retryPolicy").and_then(|p| p.text()) {
            Some(p) => match p.as_str() {
                "Always" | "OnFailure" | "OnError" | "OnTransientError" => p,
                other => {
                    if let Some(at) = r.get("retryPolicy") {
                        self.warn(
                            &at,
                            format!("retryPolicy {other:?} not understood: OnFailure"),
                        );
                    }
                    "OnFailure".into()
                }
            },
            // Argo v3.5+: an expression without a policy means Always.
            None if r.get("expression").is_some() => "Always".into(),
            None => "OnFailure".into(),
        };
        out.insert("policy".into(), json!(policy));
        if let Some(b) = r.get("backoff") {
            self.check_keys(
                &b,
                "backoff",
                &["duration", "factor", "maxDuration"],
                &[("cap", "the deprecated backoff cap is not simulated")],
            );
            let dur = |this: &mut Self, k: &str| -> Option<u64> {
                let at = b.get(k)?;
                let s = this.subst(&at.text().unwrap_or_default(), env);
                let v = expr::argo_duration_us(&s);
                if v.is_none() {
                    this.warn(&at, format!("backoff {k} {s:?} not understood: ignored"));
                }
                v
            };
            if let Some(d) = dur(self, "duration") {
                out.insert("backoff".into(), json!(crate::units::format_duration(d)));
            }
            if let Some(d) = dur(self, "maxDuration") {
                out.insert(
                    "max_duration".into(),
                    json!(crate::units::format_duration(d)),
                );
            }
            if let Some(f) = b.get("factor") {
                let s = self.subst(&f.text().unwrap_or_default(), env);
                match s.trim().parse::<f64>() {
                    Ok(x) if x.is_finite() && x >= 1.0 => {
                        out.insert("factor".into(), json!(x));
                    }
                    _ => self.warn(
                        &f,
                        format!("backoff factor {s:?} not understood (needs >= 1): 1"),
                    ),
                }
            }
        }
        Some(Value::Object(out))
    }

    /// `synchronization` → one lock (the first one if several).
    pub(super) fn lock(&mut self, s: &At<'c>) -> Option<Lock> {
        self.check_keys(
            s,
            "synchronization",
            &["semaphores", "mutexes", "semaphore", "mutex"],
            &[],
        );
        let mut sems: Vec<At<'c>> = s.get("semaphores").map(|x| x.items()).unwrap_or_default();
        sems.extend(s.get("semaphore"));
        let mut mutexes: Vec<At<'c>> = s.get("mutexes").map(|x| x.items()).unwrap_or_default();
        mutexes.extend(s.get("mutex"));
        if sems.len() + mutexes.len() > 1 {
            self.warn(s, "several locks: only the first is simulated");
        }
        if let Some(sem) = sems.first() {
            let (key, cm) = if let Some(r) = sem.get("configMapKeyRef") {
                (
                    r.get("key").and_then(|k| k.text()),
                    r.get("name").and_then(|k| k.text()),
                )
            } else if let Some(db) = sem.get("database") {
                self.warn(
                    &db,
                    "a database semaphore is simulated like a ConfigMap one",
                );
                (db.get("key").and_then(|k| k.text()), None)
            } else {
                (None, None)
            };
            let Some(key) = key else {
                self.warn(sem, "semaphore without a configMapKeyRef key: ignored");
                return None;
            };
            let limit = self.h.semaphores.get(&key).copied().or_else(|| {
                let doc = *self.c.configmaps.get(cm.as_deref()?)?;
                let v = self.c.docs[doc].value.get("data")?.get(&key)?;
                match v {
                    Value::String(s) => s.trim().parse().ok(),
                    Value::Number(n) => n.as_u64().and_then(|x| u32::try_from(x).ok()),
                    _ => None,
                }
            });
            let limit = match limit {
                Some(l) => l,
                None => {
                    let place = match &cm {
                        Some(n) => format!("ConfigMap {n:?}, not among the inputs"),
                        None => "the synchronization database".into(),
                    };
                    self.warn_help(
                        sem,
                        format!("semaphore {key:?}: its limit is in {place}: 1 assumed"),
                        Some(format!(
                            "set [import.semaphores] {key:?} = N, or pass the ConfigMap"
                        )),
                    );
                    1
                }
            };
            self.semaphores.entry(key.clone()).or_insert(limit);
            return Some(Lock::Semaphore(key));
        }
        if let Some(m) = mutexes.first() {
            if m.get("database").is_some() {
                self.warn(m, "a database mutex is simulated like an in-cluster one");
            }
            return match m.get("name").and_then(|n| n.text()) {
                Some(n) => Some(Lock::Mutex(n)),
                None => {
                    self.warn(m, "mutex without a name: ignored");
                    None
                }
            };
        }
        None
    }
}
