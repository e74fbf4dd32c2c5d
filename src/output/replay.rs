//! `argosim replay` results as text: a Markdown document (also the terminal table; Markdown
//! tables read as plain text) with the overall errors, one row per observed workflow and the
//! notes. JSON and YAML come from `structured` over the same [`ReplayResult`].

use crate::experiment::replay::{Breach, Compared, ReplayResult};
use std::fmt::Write;

fn secs(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    if v.abs() < 60.0 {
        format!("{v:.1}s")
    } else {
        let us = v.abs().round() as u64 * 1_000_000;
        let s = crate::units::format_duration(us);
        if v < 0.0 { format!("-{s}") } else { s }
    }
}

fn obs(c: &Compared, f: &dyn Fn(f64) -> String) -> String {
    c.observed.map_or("-".into(), f)
}

fn pred(c: &Compared, f: &dyn Fn(f64) -> String) -> String {
    match c.predicted {
        None => "-".into(),
        Some(p) if p.n > 1 && p.max > p.min => {
            format!("{} ({}–{})", f(p.mean), f(p.min), f(p.max))
        }
        Some(p) => f(p.mean),
    }
}

fn err(c: &Compared) -> String {
    c.error
        .map_or("-".into(), |e| format!("{:+.1}% (×{:.3})", e.pct, e.ratio))
}

fn num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// The replay as Markdown; `breaches` (from `experiment::replay::check`) are listed last.
pub fn markdown(r: &ReplayResult, breaches: Option<&[Breach]>) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Replay of {} observed workflow(s) on \"{}\"\n\nseed {}, {} replication(s); predicted figures are the mean over replications (min–max).\n",
        r.workflows.len(),
        r.scenario,
        r.seed,
        r.replications
    );
    let o = &r.overall;
    let _ = writeln!(
        s,
        "| figure | observed | predicted | error |\n|---|---|---|---|"
    );
    for (name, c) in [
        ("mean makespan", &o.mean_makespan_s),
        ("span (first created → last finished)", &o.span_s),
        ("mean per-step gap", &o.step_gap_s),
        ("mean pending (pod created → main started)", &o.pending_s),
    ] {
        let _ = writeln!(
            s,
            "| {name} | {} | {} | {} |",
            obs(c, &secs),
            pred(c, &secs),
            err(c)
        );
    }
    let _ = writeln!(
        s,
        "\nWorkflows compared: {}; mean |makespan error| {}, largest {}.\n",
        o.workflows,
        o.mean_abs_makespan_error_pct
            .map_or("-".into(), |v| format!("{v:.1}%")),
        o.max_abs_makespan_error_pct
            .map_or("-".into(), |v| format!("{v:.1}%"))
    );
    let _ = writeln!(
        s,
        "| workflow | as | start | makespan observed | predicted | error | step gap observed | predicted | pods obs / pred | retries obs / pred |\n|---|---|---|---|---|---|---|---|---|---|"
    );
    for w in &r.workflows {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} / {} | {} / {} |",
            w.name,
            w.workflow,
            secs(w.start_s),
            obs(&w.makespan_s, &secs),
            pred(&w.makespan_s, &secs),
            err(&w.makespan_s),
            obs(&w.step_gap_s, &secs),
            pred(&w.step_gap_s, &secs),
            obs(&w.pods, &num),
            pred(&w.pods, &num),
            obs(&w.retries, &num),
            pred(&w.retries, &num),
        );
    }
    if !r.notes.is_empty() {
        let _ = writeln!(s, "\nNotes:");
        for n in &r.notes {
            let _ = writeln!(s, "- {n}");
        }
    }
    if let Some(b) = breaches {
        if b.is_empty() {
            let _ = writeln!(s, "\nAll error limits hold.");
        } else {
            let _ = writeln!(s, "\nBREACHED:");
            for x in b {
                let _ = writeln!(s, "- {}: {:.1} > {:.1}", x.what, x.value, x.limit);
            }
        }
    }
    s
}
