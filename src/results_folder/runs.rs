//! Reading a results folder's `runs.csv` back into rows (`--resume`, `merge`, `sensitivity`):
//! every line is checked against the plan (header, point, replication, seed, axis values), a
//! torn last line is dropped, exact duplicates are merged and conflicting ones rejected.

use crate::experiment::error::{ExperimentError, read_results_file};
use crate::experiment::grid::Plan;
use crate::experiment::results::Row;
use crate::output;
use std::path::Path;

/// Read `runs.csv` rows written by this plan. A last line without a newline (a run killed
/// while writing) is dropped; any other malformed line is an error naming its line. Exact
/// duplicates are dropped; conflicting ones are an error.
pub fn read_runs(plan: &Plan, path: &Path) -> Result<Vec<Row>, ExperimentError> {
    let bytes = read_results_file(path)?;
    parse_runs(plan, path, &bytes)
}

/// Parse `runs.csv` bytes (see [`read_runs`]).
pub fn parse_runs(plan: &Plan, path: &Path, bytes: &[u8]) -> Result<Vec<Row>, ExperimentError> {
    let complete = match bytes.iter().rposition(|&b| b == b'\n') {
        Some(i) => &bytes[..=i],
        None => &[][..],
    };
    let err = |line: usize, message: String| ExperimentError::Results {
        path: path.to_path_buf(),
        message: format!("line {line}: {message}"),
    };
    if complete.is_empty() {
        return Ok(Vec::new());
    }
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(complete);
    let want: Vec<String> = output::csv::runs_header(plan);
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| err(1, e.to_string()))?
        .iter()
        .map(String::from)
        .collect();
    if header != want {
        return Err(err(
            1,
            format!(
                "header does not match this grid (expected `{}`)",
                want.join(",")
            ),
        ));
    }
    let naxes = plan.grid.axes.len();
    let mut rows: Vec<Row> = Vec::new();
    let mut seen = std::collections::BTreeMap::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| err(line, e.to_string()))?;
        if rec.len() != want.len() {
            return Err(err(
                line,
                format!("{} fields, expected {}", rec.len(), want.len()),
            ));
        }
        let point: usize = rec[0]
            .parse()
            .ok()
            .filter(|p| *p < plan.points.len())
            .ok_or_else(|| err(line, format!("bad point `{}`", &rec[0])))?;
        let replication: u32 = rec[1]
            .parse()
            .ok()
            .filter(|r| *r < plan.replications)
            .ok_or_else(|| err(line, format!("bad replication `{}`", &rec[1])))?;
        let seed: u64 = rec[2]
            .parse()
            .map_err(|_| err(line, format!("bad seed `{}`", &rec[2])))?;
        if seed != plan.seed_of(point, replication) {
            return Err(err(
                line,
                format!("seed {seed} is not the seed of point {point} replication {replication}"),
            ));
        }
        for (a, axis) in plan.grid.axes.iter().enumerate() {
            let want = &axis.texts[plan.points[point].values[a]];
            if &rec[3 + a] != want {
                return Err(err(
                    line,
                    format!("`{}` is `{}`, expected `{want}`", axis.name, &rec[3 + a]),
                ));
            }
        }
        let values = (0..plan.metrics.len())
            .map(|m| {
                let s = &rec[3 + naxes + m];
                if s.is_empty() {
                    Ok(f64::NAN)
                } else {
                    s.parse::<f64>()
                        .map_err(|_| err(line, format!("bad `{}` value `{s}`", plan.metrics[m])))
                }
            })
            .collect::<Result<Vec<f64>, _>>()?;
        let row = Row {
            point,
            replication,
            seed,
            values,
            causes: Vec::new(),
        };
        match seen.get(&(point, replication)) {
            None => {
                seen.insert((point, replication), rows.len());
                rows.push(row);
            }
            Some(&j) => {
                let same = rows[j]
                    .values
                    .iter()
                    .zip(&row.values)
                    .all(|(a, b)| a.to_bits() == b.to_bits());
                if !same {
                    return Err(err(
                        line,
                        format!(
                            "point {point} replication {replication} appears twice with different values"
                        ),
                    ));
                }
            }
        }
    }
    Ok(rows)
}
