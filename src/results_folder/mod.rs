//! A grid's results folder on disk, the layer above [`crate::experiment`] (which runs plans
//! and computes results as plain data) and [`crate::output`] (which turns them into bytes):
//! run a grid into a folder with `--resume` and `--shard` ([`run_grid`]), join shard folders
//! ([`merge`]), read `runs.csv` back and check it ([`read_runs`]), the manifest and the grid
//! identity behind resume and merge ([`manifest`]), and atomic writes of every file
//! ([`finalize`]); also the folder of `run --out` ([`prepare_run_folder`]).
//!
//! Everything written is a function of (scenario text, seed, replications, `--axis` list,
//! sorted rows), so a grid run with any `--jobs`, resumed after a kill, or merged from shards
//! writes the same bytes. The one exception is the manifest's `invocation` object (the command
//! line), which says how this copy was produced. Left out: fsync of the folder after renames,
//! and locking against two processes writing one folder.

pub mod grid;
pub mod manifest;
pub mod runs;
pub mod write;

pub use grid::{GridOptions, GridOutcome, merge, run_grid};
pub use manifest::{identity, plan_from_folder, read_manifest, same_grid};
pub use runs::{parse_runs, read_runs};
pub use write::{clear, finalize, plot_dir, prepare_run_folder, render, write_atomic};
