//! The results of one run ([`RunReport`]) and of several replications ([`Report`]), with the
//! summary statistics every exporter reads ([`Stats`] exact or from a [`Sketch`] with a fixed
//! relative error). Output code only ever sees these structs; field
//! names are the JSON contract documented in `docs/report-json.md`. [`Trace`] (per-pod and
//! per-node history for the timeline figures) is built only on request and is not in the JSON.

mod column;
mod durations;
mod report;
pub mod sketch;
mod stats;
mod trace;

pub use column::Column;
pub use durations::Durations;
pub use report::*;
pub use sketch::Sketch;
pub use stats::{Stats, Summary};
pub use trace::{NodeSpan, PodSpan, Trace, WorkflowSpan};
