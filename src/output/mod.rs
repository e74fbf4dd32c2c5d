//! Exporters: turn a [`crate::metrics::Report`] into bytes. They never touch files or models.

pub mod csv;
pub mod markdown;
mod metrics;
pub mod plot;
mod table;

pub use metrics::{prometheus, timeseries_csv};

pub use table::table;

/// The full report as pretty JSON (the stable contract in docs/report-json.md).
pub fn json(report: &crate::metrics::Report) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("report serialises");
    s.push('\n');
    s
}
