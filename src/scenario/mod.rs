//! Scenario files: TOML schema ([`schema`]), upstream defaults ([`defaults`]), diagnostics
//! ([`diag`]) and validation into a resolved [`Scenario`] the simulator can run.
//!
//! Two layers, as in ripgrep's low/high args: serde reads the file into [`schema::ScenarioFile`]
//! ([`parse_file`]; types, units and unknown keys are checked there), then
//! [`Scenario::from_file`] checks ranges and cross-references and resolves names to indices.
//! Every problem becomes a [`diag::Diagnostic`] naming the file, the dotted key and the line.
//!
//! This module knows nothing of Argo manifests: a file's `manifests = [...]` key (and its
//! `[import]` table, [`schema::ImportHints`]) is resolved by the importer between the two
//! layers, which [`crate::parse_scenario`] and [`crate::load_scenario`] do. [`parse`] and
//! [`load`] here are the two layers alone, for scenarios that carry their workflows inline;
//! they refuse a file with `manifests`.

mod allocatable;
pub mod defaults;
pub mod diag;
pub mod explain;
mod import_hints;
mod resolved;
pub mod schema;
mod validate;

pub use allocatable::{eks_allocatable, gke_allocatable};
pub use resolved::{LockSpec, Pool, Scenario, Submission, TaskSpec, WorkflowSpec};

use diag::Diagnostic;
use std::fmt;

/// The scenario embedded in the binary: `argosim run` with no file runs it.
pub const DEFAULT_SCENARIO: &str = include_str!("../../scenarios/default.toml");
/// The name under which the embedded scenario is reported.
pub const DEFAULT_SCENARIO_NAME: &str = "<embedded default scenario>";

/// Why a scenario could not be loaded.
#[derive(Debug)]
pub enum ScenarioError {
    /// The file could not be read.
    Io {
        /// Path given by the user.
        path: String,
        /// Underlying error (I/O, above [`crate::input::MAX_SCENARIO_BYTES`], not UTF-8).
        source: crate::input::ReadError,
    },
    /// The file was read but is invalid; every problem found is listed.
    Invalid(Vec<Diagnostic>),
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScenarioError::Io { path, source } => match source {
                crate::input::ReadError::Io(e) => write!(f, "{path}: cannot read scenario: {e}"),
                other => write!(f, "{path}: {other}"),
            },
            ScenarioError::Invalid(diags) => {
                for (i, d) in diags.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "{d}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ScenarioError {}

impl ScenarioError {
    /// The diagnostics, if the file was read.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            ScenarioError::Io { .. } => &[],
            ScenarioError::Invalid(d) => d,
        }
    }
}

/// Read a scenario file's text (at most [`crate::input::MAX_SCENARIO_BYTES`]).
pub fn read(path: &std::path::Path) -> Result<String, ScenarioError> {
    let limit = crate::input::MAX_SCENARIO_BYTES;
    crate::input::read_text(path, limit, "scenario file").map_err(|source| ScenarioError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Parse scenario text into the raw schema (the first layer; `manifests` are not resolved);
/// `file` names it in diagnostics.
pub fn parse_file(file: &str, text: &str) -> Result<schema::ScenarioFile, ScenarioError> {
    toml::from_str(text)
        .map_err(|e| ScenarioError::Invalid(vec![diag::from_toml_error(file, text, &e)]))
}

/// Read and validate a scenario file that carries its workflows inline (see [`parse`]).
pub fn load(path: &std::path::Path) -> Result<Scenario, ScenarioError> {
    let text = read(path)?;
    parse(&path.display().to_string(), &text)
}

/// Parse and validate scenario text that carries its workflows inline; `file` names it in
/// diagnostics. A file with `manifests = [...]` is refused: those need the importer
/// ([`crate::parse_scenario`]).
pub fn parse(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
    let raw = parse_file(file, text)?;
    if !raw.manifests.is_empty() {
        return Err(ScenarioError::Invalid(vec![Diagnostic {
            file: file.to_string(),
            line: diag::locate_key(text, "manifests"),
            column: None,
            key: Some("manifests".into()),
            message: "manifests are imported only when the scenario is loaded with the importer"
                .into(),
            help: Some(
                "load it with argosim::load_scenario / argosim::parse_scenario (as the CLI does)"
                    .into(),
            ),
        }]));
    }
    Scenario::from_file(file, text, raw)
}

/// The embedded default scenario, validated.
pub fn default_scenario() -> Scenario {
    parse(DEFAULT_SCENARIO_NAME, DEFAULT_SCENARIO).expect("embedded default scenario is valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_refuses_manifests_it_cannot_import() {
        let text = format!("manifests = [\"wf.yaml\"]\n{DEFAULT_SCENARIO}");
        let e = parse("s.toml", &text).unwrap_err();
        let d = &e.diagnostics()[0];
        assert_eq!(d.key.as_deref(), Some("manifests"));
        assert_eq!(d.line, Some(1));
        assert!(parse("s.toml", DEFAULT_SCENARIO).is_ok());
    }
}
