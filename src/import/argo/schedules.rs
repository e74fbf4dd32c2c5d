//! A CronWorkflow's schedules as submissions: one `via = "cron"` stream per schedule, with
//! the schedule's interval (its mean interval when uneven, 24h when not understood) and
//! `[import] cron_window / interval` runs. A suspended CronWorkflow, or one without a
//! schedule, is submitted once.
//!
//! Not simulated (warned): `concurrencyPolicy` other than Allow (runs may overlap), the
//! schedule's `when`, `stopStrategy` and history limits; time zones and
//! `startingDeadlineSeconds` are accepted and ignored. Parsing the cron expressions is left
//! to the `cron` module.

use super::super::cron;
use super::{At, Corpus, ImportHints};
use crate::scenario::diag::Diagnostic;
use serde_json::{Value, json};

/// Submissions of a CronWorkflow: one stream per schedule, `via = "cron"`.
pub(crate) fn cron_submissions(
    c: &Corpus,
    h: &ImportHints,
    doc: usize,
    workflow: &str,
) -> (Vec<Value>, Vec<Diagnostic>) {
    let root = c.root(doc);
    let mut warnings = Vec::new();
    let Some(spec) = root.get("spec") else {
        return (Vec::new(), warnings);
    };
    let mut w = |at: &At<'_>, m: String, help: Option<String>| warnings.push(c.diag(at, m, help));
    for k in spec.keys() {
        const KNOWN: [&str; 13] = [
            "schedule",
            "schedules",
            "timezone",
            "concurrencyPolicy",
            "startingDeadlineSeconds",
            "successfulJobsHistoryLimit",
            "failedJobsHistoryLimit",
            "suspend",
            "workflowSpec",
            "workflowMetadata",
            "when",
            "stopStrategy",
            "timeZone",
        ];
        if !KNOWN.contains(&k)
            && let Some(at) = spec.get(k)
        {
            w(
                &at,
                format!("CronWorkflow spec `{k}` is not understood by the importer; ignored"),
                None,
            );
        }
    }
    let mut scheds: Vec<(String, At<'_>)> = Vec::new();
    if let Some(s) = spec.get("schedule")
        && let Some(t) = s.text()
    {
        scheds.push((t, s));
    }
    if let Some(list) = spec.get("schedules") {
        for s in list.items() {
            if let Some(t) = s.text() {
                scheds.push((t, s));
            }
        }
    }
    if scheds.is_empty() {
        w(
            &spec,
            "CronWorkflow without a schedule: submitted once".into(),
            None,
        );
        return (vec![json!({"workflow": workflow, "via": "cron"})], warnings);
    }
    if spec
        .get("suspend")
        .is_some_and(|s| s.v == &Value::Bool(true))
    {
        w(
            &spec,
            "suspended CronWorkflow: submitted once (raise the submission's count to simulate its schedule)".into(),
            None,
        );
        return (vec![json!({"workflow": workflow, "via": "cron"})], warnings);
    }
    for k in [
        "concurrencyPolicy",
        "startingDeadlineSeconds",
        "successfulJobsHistoryLimit",
        "failedJobsHistoryLimit",
        "when",
        "stopStrategy",
    ] {
        if let Some(at) = spec.get(k) {
            let v = at.text().unwrap_or_default();
            if k == "concurrencyPolicy" && (v.is_empty() || v == "Allow") {
                continue;
            }
            let why = match k {
                "concurrencyPolicy" => {
                    format!("concurrencyPolicy {v}: runs may overlap in argosim (Allow)")
                }
                "when" => {
                    "the `when` condition of the schedule is not evaluated: every run is submitted"
                        .into()
                }
                "stopStrategy" => "the stop strategy is not simulated".into(),
                "startingDeadlineSeconds" => continue,
                _ => format!("{k}: workflow history is not pruned (use ttlStrategy)"),
            };
            w(&at, why, None);
        }
    }
    let mut out = Vec::new();
    for (s, at) in scheds {
        let (us, exact) = match cron::interval(&s) {
            Ok(x) => x,
            Err(e) => {
                w(
                    &at,
                    format!("schedule {s:?} not understood ({e}): one run every 24h assumed"),
                    None,
                );
                (86_400_000_000, true)
            }
        };
        if !exact {
            w(
                &at,
                format!(
                    "schedule {s:?} is not evenly spaced: submitted every {} (its mean interval)",
                    crate::units::format_duration(us)
                ),
                None,
            );
        }
        let count = (h.cron_window.0 / us.max(1)).clamp(1, u64::from(u32::MAX)) as u32;
        out.push(json!({
            "workflow": workflow,
            "via": "cron",
            "count": count,
            "interval": crate::units::format_duration(us),
        }));
    }
    (out, warnings)
}
