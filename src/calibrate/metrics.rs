//! Service times from a Prometheus text snapshot (`curl .../metrics`): the kube-apiserver's
//! `apiserver_request_duration_seconds` histogram (its `_sum` and `_count` per `verb`) and the
//! v3.6 workflow controller's `argo_workflows_operation_duration_seconds` (one reconcile,
//! `workflow/metrics/histogram_durations.go`). Means are `sum / count` over the series.
//!
//! Assumptions, said in each fitted value's comment: the apiserver's figures include whatever
//! queueing the snapshot's load caused, so they are the service times only if it was taken
//! at low load; `WATCH` and `CONNECT` (long-running) are left out; reads are `GET`/`LIST`,
//! writes `POST`/`PUT`/`PATCH`/`DELETE`/`APPLY`. An operation's duration includes its API
//! calls (pod creations, the status update), so the reconcile CPU taken from it
//! (`reconcile_base_cpu`, after the per-node part for the mean status size) is an upper bound.

use std::collections::BTreeMap;

/// Sums and counts of the series of interest in one snapshot.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// apiserver request duration: (sum s, count) for reads.
    pub api_read: (f64, f64),
    /// The same for writes.
    pub api_write: (f64, f64),
    /// `argo_workflows_operation_duration_seconds`: (sum s, count).
    pub operation: (f64, f64),
    /// Series read, by metric name.
    pub series: BTreeMap<String, usize>,
}

fn label<'a>(labels: &'a str, name: &str) -> Option<&'a str> {
    let mut rest = labels;
    while let Some(eq) = rest.find("=\"") {
        let key = rest[..eq].trim().trim_start_matches(',').trim();
        let after = &rest[eq + 2..];
        let end = after.find('"')?;
        if key == name {
            return Some(&after[..end]);
        }
        rest = &after[end + 1..];
    }
    None
}

/// Parse a snapshot; lines that are not samples of the series above are skipped. Errors name
/// the line.
pub fn parse(file: &str, text: &str) -> Result<Snapshot, String> {
    let mut s = Snapshot::default();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, labels, rest) = match line.find('{') {
            Some(b) => {
                let Some(e) = line[b..].find('}') else {
                    return Err(format!("{file}:{}: unclosed `{{` in a sample line", i + 1));
                };
                (&line[..b], &line[b + 1..b + e], &line[b + e + 1..])
            }
            None => match line.split_once(' ') {
                Some((n, r)) => (n, "", r),
                None => continue,
            },
        };
        let base = name
            .strip_suffix("_sum")
            .map(|b| (b, true))
            .or_else(|| name.strip_suffix("_count").map(|b| (b, false)));
        let Some((base, is_sum)) = base else { continue };
        let slot = match base {
            "apiserver_request_duration_seconds" => match label(labels, "verb") {
                Some("GET" | "LIST") => &mut s.api_read,
                Some("POST" | "PUT" | "PATCH" | "DELETE" | "APPLY") => &mut s.api_write,
                _ => continue,
            },
            "argo_workflows_operation_duration_seconds" => &mut s.operation,
            _ => continue,
        };
        let v: f64 = rest
            .split_whitespace()
            .next()
            .and_then(|v| v.parse().ok())
            .filter(|v: &f64| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| format!("{file}:{}: `{name}` has no valid sample value", i + 1))?;
        if is_sum {
            slot.0 += v;
        } else {
            slot.1 += v;
        }
        *s.series.entry(base.to_string()).or_default() += 1;
    }
    Ok(s)
}

impl Snapshot {
    /// Add another snapshot's sums.
    pub fn absorb(&mut self, o: &Snapshot) {
        for (a, b) in [
            (&mut self.api_read, o.api_read),
            (&mut self.api_write, o.api_write),
            (&mut self.operation, o.operation),
        ] {
            a.0 += b.0;
            a.1 += b.1;
        }
        for (k, v) in &o.series {
            *self.series.entry(k.clone()).or_default() += v;
        }
    }
}

/// Mean of a (sum, count), if any.
pub fn mean((sum, count): (f64, f64)) -> Option<f64> {
    (count > 0.0).then(|| sum / count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_and_counts_by_verb_class() {
        let text = "# HELP apiserver_request_duration_seconds x\n\
            apiserver_request_duration_seconds_bucket{verb=\"GET\",resource=\"pods\",le=\"0.1\"} 9\n\
            apiserver_request_duration_seconds_sum{component=\"apiserver\",verb=\"GET\",resource=\"pods\"} 0.05\n\
            apiserver_request_duration_seconds_count{component=\"apiserver\",verb=\"GET\",resource=\"pods\"} 10\n\
            apiserver_request_duration_seconds_sum{verb=\"LIST\",resource=\"pods\"} 0.45\n\
            apiserver_request_duration_seconds_count{verb=\"LIST\",resource=\"pods\"} 10\n\
            apiserver_request_duration_seconds_sum{verb=\"WATCH\",resource=\"pods\"} 9000\n\
            apiserver_request_duration_seconds_count{verb=\"WATCH\",resource=\"pods\"} 3\n\
            apiserver_request_duration_seconds_sum{verb=\"POST\",resource=\"pods\"} 1.2\n\
            apiserver_request_duration_seconds_count{verb=\"POST\",resource=\"pods\"} 60\n\
            argo_workflows_operation_duration_seconds_sum 3.5\n\
            argo_workflows_operation_duration_seconds_count 700\n";
        let s = parse("m.prom", text).unwrap();
        assert!((mean(s.api_read).unwrap() - 0.025).abs() < 1e-12);
        assert!((mean(s.api_write).unwrap() - 0.02).abs() < 1e-12);
        assert!((mean(s.operation).unwrap() - 0.005).abs() < 1e-12);
        assert!(
            parse(
                "m.prom",
                "argo_workflows_operation_duration_seconds_sum{x=\"1\"} abc\n"
            )
            .unwrap_err()
            .contains("m.prom:1")
        );
    }
}
