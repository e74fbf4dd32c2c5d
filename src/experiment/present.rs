//! How headline metrics read to a person: their kind (from the name's suffix), a label, human
//! formatting (`26m18s`, `$2.77`, `0.24 MiB`, `99.5%`) and a plot scale with a unit label.
//! Also the threshold parser used by `[[check]]` (`"2h"`, `"1Mi"`, `"99%"`). Left out:
//! locale-specific formatting and currencies other than USD.

use crate::units::{parse_bytes, parse_duration};

/// What a metric measures, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// `*_s`: seconds.
    Seconds,
    /// `*_usd`: US dollars.
    Usd,
    /// `*_bytes`: bytes.
    Bytes,
    /// `*_rate` / `*_ratio`: a fraction in 0..1.
    Ratio,
    /// Anything else: a count.
    Count,
}

impl MetricKind {
    /// Kind of metric `name`.
    pub fn of(name: &str) -> MetricKind {
        if name.ends_with("_s") {
            MetricKind::Seconds
        } else if name.ends_with("_usd") {
            MetricKind::Usd
        } else if name.ends_with("_bytes") {
            MetricKind::Bytes
        } else if name.ends_with("_rate") || name.ends_with("_ratio") {
            MetricKind::Ratio
        } else {
            MetricKind::Count
        }
    }

    /// Whether a lower value is the better one.
    pub fn lower_is_better(self, name: &str) -> bool {
        !(self == MetricKind::Ratio && name.contains("success"))
    }
}

/// A short human label for a metric.
pub fn label(name: &str) -> String {
    match name {
        "makespan_p50_s" => "workflow makespan p50".into(),
        "makespan_p95_s" => "workflow makespan p95".into(),
        "makespan_max_s" => "workflow makespan max".into(),
        "end_time_s" => "run length".into(),
        "success_rate" => "workflow success rate".into(),
        "cost_total_usd" => "cost".into(),
        "cost_per_workflow_usd" => "cost per workflow".into(),
        "api_requests" => "API requests".into(),
        "throttle_wait_total_s" => "client throttle wait (summed over requests)".into(),
        "throttle_wait_max_s" => "client throttle wait (max)".into(),
        "workflow_object_peak_bytes" => "peak Workflow object".into(),
        "queue_latency_p95_s" => "workflow queue latency p95".into(),
        "pod_startup_p95_s" => "pod startup p95".into(),
        "pods_created" => "pods created".into(),
        other => other.replace('_', " "),
    }
}

/// Seconds as `0.25s`, `12.3s`, `4m05s` or `1h02m`.
pub fn human_secs(s: f64) -> String {
    if !s.is_finite() {
        return "-".into();
    }
    let neg = if s < 0.0 { "-" } else { "" };
    let s = s.abs();
    if s < 1.0 {
        format!("{neg}{s:.2}s")
    } else if s < 60.0 {
        format!("{neg}{s:.1}s")
    } else if s < 3600.0 {
        let t = s.round() as u64;
        format!("{neg}{}m{:02}s", t / 60, t % 60)
    } else {
        let t = (s / 60.0).round() as u64;
        format!("{neg}{}h{:02}m", t / 60, t % 60)
    }
}

/// A metric value for people.
pub fn format_value(name: &str, v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    match MetricKind::of(name) {
        MetricKind::Seconds => human_secs(v),
        MetricKind::Usd => {
            if v.abs() >= 100.0 {
                format!("${v:.0}")
            } else {
                format!("${v:.2}")
            }
        }
        MetricKind::Bytes => {
            if v.abs() >= 1024.0 * 1024.0 {
                format!("{:.2} MiB", v / 1048576.0)
            } else if v.abs() >= 1024.0 {
                format!("{:.1} KiB", v / 1024.0)
            } else {
                format!("{v:.0} B")
            }
        }
        MetricKind::Ratio => format!("{:.1}%", v * 100.0),
        MetricKind::Count => {
            if v.fract() == 0.0 && v.abs() < 1e15 {
                format!("{v:.0}")
            } else {
                format!("{v:.1}")
            }
        }
    }
}

/// A plot scale for a metric: divide values by `div`, label the axis with `unit`.
#[derive(Debug, Clone, PartialEq)]
pub struct Scale {
    /// Divisor applied to raw values.
    pub div: f64,
    /// Unit label, e.g. `min`, `USD`, `MiB`, `%`.
    pub unit: &'static str,
}

/// Choose a readable scale for values up to `max_abs`.
pub fn scale(name: &str, max_abs: f64) -> Scale {
    match MetricKind::of(name) {
        MetricKind::Seconds if max_abs >= 3.0 * 3600.0 => Scale {
            div: 3600.0,
            unit: "h",
        },
        MetricKind::Seconds if max_abs >= 180.0 => Scale {
            div: 60.0,
            unit: "min",
        },
        MetricKind::Seconds => Scale {
            div: 1.0,
            unit: "s",
        },
        MetricKind::Usd => Scale {
            div: 1.0,
            unit: "USD",
        },
        MetricKind::Bytes => Scale {
            div: 1048576.0,
            unit: "MiB",
        },
        MetricKind::Ratio => Scale {
            div: 0.01,
            unit: "%",
        },
        MetricKind::Count => Scale {
            div: 1.0,
            unit: "count",
        },
    }
}

/// Parse a threshold written in the metric's units: a number, or for seconds a Go duration
/// (`"2h"`), for bytes a quantity (`"1Mi"`), for ratios a percentage (`"99%"`), for USD an
/// optional `$` (`"$5"`).
pub fn parse_threshold(metric: &str, v: &toml::Value) -> Result<f64, String> {
    let kind = MetricKind::of(metric);
    let s = match v {
        toml::Value::Integer(i) => return Ok(*i as f64),
        toml::Value::Float(f) if f.is_finite() => return Ok(*f),
        toml::Value::String(s) => s.trim(),
        other => {
            return Err(format!(
                "expected a number or a string with units, got `{other}`"
            ));
        }
    };
    if let Ok(x) = s.parse::<f64>()
        && x.is_finite()
    {
        return Ok(x);
    }
    let unit_name = match kind {
        MetricKind::Seconds => "seconds (write e.g. \"90s\" or \"2h\")",
        MetricKind::Usd => "USD (write e.g. 12.5 or \"$12.50\")",
        MetricKind::Bytes => "bytes (write e.g. \"1Mi\" or \"512Ki\")",
        MetricKind::Ratio => "a fraction (write e.g. 0.99 or \"99%\")",
        MetricKind::Count => "a count (write a number)",
    };
    let parsed = match kind {
        MetricKind::Seconds => parse_duration(s).map(|us| us as f64 / 1e6).ok(),
        MetricKind::Bytes => parse_bytes(s).map(|b| b as f64).ok(),
        MetricKind::Ratio => s
            .strip_suffix('%')
            .and_then(|p| p.trim().parse::<f64>().ok())
            .filter(|p| p.is_finite())
            .map(|p| p / 100.0),
        MetricKind::Usd => s
            .strip_prefix('$')
            .and_then(|p| p.trim().parse::<f64>().ok())
            .filter(|p| p.is_finite()),
        MetricKind::Count => None,
    };
    parsed.ok_or_else(|| format!("cannot read \"{s}\": `{metric}` is in {unit_name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_formats() {
        assert_eq!(MetricKind::of("end_time_s"), MetricKind::Seconds);
        assert_eq!(MetricKind::of("success_rate"), MetricKind::Ratio);
        assert!(!MetricKind::Ratio.lower_is_better("success_rate"));
        assert_eq!(format_value("end_time_s", 1578.0), "26m18s");
        assert_eq!(format_value("end_time_s", 7300.0), "2h02m");
        assert_eq!(format_value("cost_total_usd", 2.771), "$2.77");
        assert_eq!(format_value("success_rate", 0.995), "99.5%");
        assert_eq!(
            format_value("workflow_object_peak_bytes", 251658.0),
            "245.8 KiB"
        );
        assert_eq!(format_value("pods_created", 403.0), "403");
    }

    #[test]
    fn thresholds() {
        let s = |x: &str| toml::Value::String(x.into());
        assert_eq!(parse_threshold("makespan_p95_s", &s("2h")), Ok(7200.0));
        assert_eq!(
            parse_threshold("workflow_object_peak_bytes", &s("1Mi")),
            Ok(1048576.0)
        );
        assert_eq!(parse_threshold("success_rate", &s("99%")), Ok(0.99));
        assert_eq!(parse_threshold("cost_total_usd", &s("$5")), Ok(5.0));
        assert_eq!(
            parse_threshold("pods_created", &toml::Value::Integer(3)),
            Ok(3.0)
        );
        let e = parse_threshold("workflow_object_peak_bytes", &s("2h")).unwrap_err();
        assert!(e.contains("is in bytes"), "{e}");
        assert!(parse_threshold("end_time_s", &toml::Value::Boolean(true)).is_err());
    }
}
