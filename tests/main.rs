//! Integration tests of argosim, one binary (ripgrep's layout): CLI, determinism, model closed
//! forms, bad input, and property tests over random small scenarios.

mod common;

mod apiserver_load;
mod architecture;
mod attribution;
mod bad_input;
mod calibrate;
mod cli;
mod controllers;
mod determinism;
mod fidelity;
mod fuzz;
mod golden;
mod import_cluster;
mod models;
mod pgo;
mod props;
mod robustness;
