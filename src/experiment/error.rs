//! The experiment layer's error type: invalid input (diagnostics with file, key and line),
//! unreadable or inconsistent result folders, I/O, and plotting failures.

use crate::scenario::diag::Diagnostic;
use std::fmt;
use std::path::PathBuf;

/// Why an experiment could not run or its results could not be written or read.
#[derive(Debug)]
pub enum ExperimentError {
    /// The scenario, its `[grid]` or `[[check]]` tables, or a command-line value is invalid.
    Invalid(Vec<Diagnostic>),
    /// A file or folder could not be read or written.
    Io {
        /// The path involved.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// A results folder is inconsistent with the request (resume of a different grid, shards
    /// that do not belong together, a malformed runs.csv).
    Results {
        /// The file or folder.
        path: PathBuf,
        /// What is wrong and what to do.
        message: String,
    },
    /// A command-line argument is malformed.
    Usage(String),
    /// A plot could not be drawn.
    Plot {
        /// Plot file stem.
        name: String,
        /// Backend message.
        message: String,
    },
}

impl fmt::Display for ExperimentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExperimentError::Invalid(diags) => {
                for (i, d) in diags.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "{d}")?;
                }
                Ok(())
            }
            ExperimentError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            ExperimentError::Results { path, message } => {
                write!(f, "{}: {message}", path.display())
            }
            ExperimentError::Usage(m) => write!(f, "{m}"),
            ExperimentError::Plot { name, message } => write!(f, "plot {name}: {message}"),
        }
    }
}

/// No `source()`: every variant's `Display` already ends with its cause (`path: cause`), and
/// a chain printer (anyhow's `{:#}`) would print the cause twice ("File exists (os error 17):
/// File exists (os error 17)").
impl std::error::Error for ExperimentError {}

impl From<Vec<Diagnostic>> for ExperimentError {
    fn from(d: Vec<Diagnostic>) -> Self {
        ExperimentError::Invalid(d)
    }
}

/// Attach a path to an I/O error.
pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> ExperimentError {
    let path = path.into();
    move |source| ExperimentError::Io { path, source }
}
