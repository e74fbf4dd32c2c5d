//! Experiments over many runs: parameter grids with replications ([`grid`], [`runner`]),
//! statistics over replications ([`stats`]), what-if comparisons ([`compare`]), CI threshold
//! checks ([`check`]) and sensitivity rankings ([`sensitivity`]), the resource budget applied
//! before any of them runs ([`budget`]), and a grid's results as
//! plain data, the same for any thread count, interruption or sharding ([`results`]).
//! Exporters in [`crate::output`] turn those results into bytes, and
//! [`crate::results_folder`] writes and reads a grid's folder; this layer calls neither.
//!
//! The layer only calls [`crate::simulate`]: one run is a pure function of (scenario, seed),
//! so a grid point's run is reproduced exactly from its seed. Each run's report is reduced to
//! the headline metrics of [`crate::summarise`] and dropped; nothing here reads model state.
//! Left out: adaptive designs (more replications where CIs are wide), sampling designs other
//! than full factorial / zipped grids, and distributed execution other than `--shard` +
//! `merge` (see `deploy/argo/` for fanning shards out on Argo itself).

pub mod budget;
pub mod check;
pub mod compare;
pub mod error;
pub mod grid;
pub mod path;
pub mod present;
pub mod progress;
pub mod provenance;
pub mod replay;
pub mod results;
pub mod runner;
pub mod sensitivity;
pub mod stats;

pub use error::ExperimentError;
pub use grid::{Grid, Plan, PlanInput};
pub use results::{GridResults, Row, Shard};
pub use runner::{run_in_memory, run_jobs};
