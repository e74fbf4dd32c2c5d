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

/// Read a results-folder file, at most [`crate::input::MAX_RESULTS_FILE_BYTES`].
pub(crate) fn read_results_file(path: &std::path::Path) -> Result<Vec<u8>, ExperimentError> {
    let limit = crate::input::MAX_RESULTS_FILE_BYTES;
    crate::input::read_bytes(path, limit, "results-folder file").map_err(|e| match e {
        crate::input::ReadError::Io(source) => ExperimentError::Io {
            path: path.to_path_buf(),
            source,
        },
        other => ExperimentError::Results {
            path: path.to_path_buf(),
            message: other.to_string(),
        },
    })
}

/// [`read_results_file`] as UTF-8 text.
pub(crate) fn read_results_text(path: &std::path::Path) -> Result<String, ExperimentError> {
    String::from_utf8(read_results_file(path)?).map_err(|e| ExperimentError::Results {
        path: path.to_path_buf(),
        message: format!("not UTF-8 text: {e}"),
    })
}
