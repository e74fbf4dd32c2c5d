//! Progress reporting for long runs: a trait the runner calls, a silent implementation, and an
//! indicatif bar with ETA drawn on stderr only when stderr is a terminal. Left out: progress in
//! machine-readable form (JSON lines) for CI logs.

use std::io::IsTerminal;

/// Receives progress from the runner (from many threads).
pub trait Progress: Sync {
    /// `total` runs are about to start.
    fn start(&self, total: u64);
    /// One run finished.
    fn inc(&self);
    /// All runs finished (or the grid stopped).
    fn finish(&self);
}

/// Reports nothing.
pub struct Quiet;

impl Progress for Quiet {
    fn start(&self, _: u64) {}
    fn inc(&self) {}
    fn finish(&self) {}
}

/// A progress bar with ETA on stderr, created when the run count is known.
pub struct Bar {
    label: String,
    bar: std::sync::OnceLock<indicatif::ProgressBar>,
}

impl Progress for Bar {
    fn start(&self, total: u64) {
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(total),
            indicatif::ProgressDrawTarget::stderr(),
        );
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{prefix} [{bar:30}] {pos}/{len} runs  {elapsed} elapsed, ETA {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(self.label.clone());
        let _ = self.bar.set(bar);
    }
    fn inc(&self) {
        if let Some(b) = self.bar.get() {
            b.inc(1);
        }
    }
    fn finish(&self) {
        if let Some(b) = self.bar.get() {
            b.finish_and_clear();
        }
    }
}

/// A bar labelled `label` when stderr is a terminal, silence otherwise.
pub fn for_stderr(label: &str) -> Box<dyn Progress> {
    if !std::io::stderr().is_terminal() {
        return Box::new(Quiet);
    }
    Box::new(Bar {
        label: label.to_string(),
        bar: std::sync::OnceLock::new(),
    })
}
