//! CSV exporters for grid results: `runs.csv` (one row per run), `points.csv` (one row per
//! grid point: mean, sd, 95% CI, p50, p95 of every metric) and `sensitivity.csv` (long format:
//! one row per metric and axis). Pure: results in, bytes out.
//!
//! Numbers are written with Rust's shortest round-trip formatting, so reading a file back and
//! writing it again gives the same bytes (what `--resume` and `merge` rely on). Missing values
//! (a CI with one replication, a coefficient that could not be estimated) are empty cells.

use crate::experiment::grid::Plan;
use crate::experiment::results::{PointSummary, Row};
use crate::experiment::sensitivity::Sensitivity;

/// A float for a CSV cell: shortest round-trip text, empty for NaN.
pub fn num(x: f64) -> String {
    if x.is_nan() {
        String::new()
    } else {
        x.to_string()
    }
}

fn write(records: impl IntoIterator<Item = Vec<String>>) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    for r in records {
        // Writing to a Vec cannot fail.
        w.write_record(&r).expect("write to memory");
    }
    w.into_inner().expect("flush to memory")
}

/// Header of `runs.csv`.
pub fn runs_header(plan: &Plan) -> Vec<String> {
    let mut h = vec!["point".to_string(), "replication".into(), "seed".into()];
    h.extend(plan.grid.axes.iter().map(|a| a.name.clone()));
    h.extend(plan.metrics.iter().cloned());
    h
}

/// One `runs.csv` record.
pub fn run_record(plan: &Plan, row: &Row) -> Vec<String> {
    let mut r = vec![
        row.point.to_string(),
        row.replication.to_string(),
        row.seed.to_string(),
    ];
    let values = &plan.points[row.point].values;
    r.extend(
        plan.grid
            .axes
            .iter()
            .zip(values)
            .map(|(a, &i)| a.texts[i].clone()),
    );
    r.extend(row.values.iter().map(|&v| num(v)));
    r
}

/// The header line of `runs.csv`, as bytes (starts an append-only file).
pub fn runs_header_bytes(plan: &Plan) -> Vec<u8> {
    write([runs_header(plan)])
}

/// One `runs.csv` line, as bytes (appended and flushed per run).
pub fn run_line(plan: &Plan, row: &Row) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .has_headers(false)
        .from_writer(Vec::new());
    w.write_record(run_record(plan, row))
        .expect("write to memory");
    w.into_inner().expect("flush to memory")
}

/// `runs.csv`: header and rows in the order given (sorted by point, replication).
pub fn runs_csv(plan: &Plan, rows: &[Row]) -> Vec<u8> {
    write(std::iter::once(runs_header(plan)).chain(rows.iter().map(|r| run_record(plan, r))))
}

/// Column suffixes of each metric in `points.csv`.
pub const POINT_STATS: [&str; 6] = ["mean", "sd", "ci95_lo", "ci95_hi", "p50", "p95"];

/// `points.csv`: one row per point with its axis values, run count, Pareto membership and
/// statistics of every metric.
pub fn points_csv(plan: &Plan, points: &[PointSummary], pareto: &[usize]) -> Vec<u8> {
    let mut h = vec!["point".to_string()];
    h.extend(plan.grid.axes.iter().map(|a| a.name.clone()));
    h.push("runs".into());
    h.push("pareto_front".into());
    for m in &plan.metrics {
        h.extend(POINT_STATS.iter().map(|s| format!("{m}_{s}")));
    }
    let rows = points.iter().map(|p| {
        let mut r = vec![p.point.to_string()];
        let values = &plan.points[p.point].values;
        r.extend(
            plan.grid
                .axes
                .iter()
                .zip(values)
                .map(|(a, &i)| a.texts[i].clone()),
        );
        r.push(p.runs.to_string());
        r.push(pareto.contains(&p.point).to_string());
        for a in &p.aggs {
            r.extend([a.mean, a.sd, a.ci_lo, a.ci_hi, a.p50, a.p95].map(num));
        }
        r
    });
    write(std::iter::once(h).chain(rows))
}

/// `sensitivity.csv`: metric, R², runs, rank, axis, standardized coefficient, note.
pub fn sensitivity_csv(plan: &Plan, sens: &[Sensitivity]) -> Vec<u8> {
    let h: Vec<String> = ["metric", "r2", "runs", "rank", "axis", "src", "note"]
        .map(String::from)
        .to_vec();
    let mut rows = Vec::new();
    for s in sens {
        for (rank, c) in s.coefs.iter().enumerate() {
            let note = match (&s.note, &c.note) {
                (Some(n), _) => n.clone(),
                (None, Some(n)) => n.clone(),
                (None, None) => String::new(),
            };
            rows.push(vec![
                plan.metrics[s.metric].clone(),
                s.r2.map(num).unwrap_or_default(),
                s.n.to_string(),
                (rank + 1).to_string(),
                plan.grid.axes[c.axis].name.clone(),
                c.src.map(num).unwrap_or_default(),
                note,
            ]);
        }
    }
    write(std::iter::once(h).chain(rows))
}
