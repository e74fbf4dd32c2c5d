//! Scenario files: TOML schema ([`schema`]), upstream defaults ([`defaults`]), diagnostics
//! ([`diag`]) and validation into a resolved [`Scenario`] the simulator can run.
//!
//! Two layers, as in ripgrep's low/high args: serde reads the file into [`schema::ScenarioFile`]
//! (types, units and unknown keys are checked there), then [`Scenario::from_file`] checks ranges
//! and cross-references and resolves names to indices. Every problem becomes a
//! [`diag::Diagnostic`] naming the file, the dotted key and the line.

pub mod defaults;
pub mod diag;
pub mod schema;
mod validate;

pub use validate::{
    LockSpec, Pool, Scenario, Submission, TaskSpec, WorkflowSpec, eks_allocatable, gke_allocatable,
};

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
        /// Underlying error.
        source: std::io::Error,
    },
    /// The file was read but is invalid; every problem found is listed.
    Invalid(Vec<Diagnostic>),
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScenarioError::Io { path, source } => {
                write!(f, "{path}: cannot read scenario: {source}")
            }
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

/// Read and validate a scenario file.
pub fn load(path: &std::path::Path) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
        path: path.display().to_string(),
        source,
    })?;
    parse(&path.display().to_string(), &text)
}

/// Parse and validate scenario text; `file` names it in diagnostics.
pub fn parse(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
    let mut raw: schema::ScenarioFile = toml::from_str(text)
        .map_err(|e| ScenarioError::Invalid(vec![diag::from_toml_error(file, text, &e)]))?;
    // Imported manifests are merged into the raw file (and removed from it, so a re-serialised
    // scenario carries the workflows inline and never imports twice).
    let mut import_warnings = Vec::new();
    if !raw.manifests.is_empty() {
        let base = std::path::Path::new(file)
            .parent()
            .unwrap_or(std::path::Path::new(""));
        let hints = raw.import.take().unwrap_or_default();
        let manifests = std::mem::take(&mut raw.manifests);
        import_warnings = crate::import::import_into(&mut raw, &manifests, &hints, base)
            .map_err(ScenarioError::Invalid)?;
    }
    let mut sc = Scenario::from_file(file, text, raw)?;
    sc.warnings.splice(0..0, import_warnings);
    Ok(sc)
}

/// The embedded default scenario, validated.
pub fn default_scenario() -> Scenario {
    parse(DEFAULT_SCENARIO_NAME, DEFAULT_SCENARIO).expect("embedded default scenario is valid")
}
