//! Exporters: turn plain result data into bytes: a run's [`crate::metrics::Report`] (table,
//! JSON, time-series CSV, Prometheus text) and the experiment layer's results (grid CSVs,
//! Markdown documents, plots). They never run simulations, touch files or read models;
//! [`crate::results_folder`] writes a grid's files.

pub mod calibrate;
pub mod csv;
pub mod markdown;
mod metrics;
pub mod plot;
pub mod replay;
pub mod structured;
mod table;

pub use metrics::{prometheus, timeseries_csv};

pub use table::{table, table_wide};

/// The full report as pretty JSON (the stable contract in docs/report-json.md).
pub fn json(report: &crate::metrics::Report) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("report serialises");
    s.push('\n');
    s
}
