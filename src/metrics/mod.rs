//! The results of one run ([`RunReport`]) and of several replications ([`Report`]), with the
//! summary statistics every exporter reads. Output code only ever sees these structs; field
//! names are the JSON contract documented in `docs/report-json.md`.

mod report;
mod stats;

pub use report::*;
pub use stats::{Stats, Summary};
