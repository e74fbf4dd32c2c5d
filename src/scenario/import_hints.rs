//! The `[import]` table of a scenario file: what Argo manifests do not say (run times, loop
//! widths, `when` probabilities, semaphore limits, artifact sizes, library files, how
//! WorkflowTemplates and submissions are treated). Shared by `manifests = [...]` scenarios
//! and `argosim import --hints FILE`.
//!
//! This is plain data with its defaults; reading the manifests and applying the hints is the
//! importer's job, which depends on this module, not the other way round.

use super::schema::SubmitVia;
use crate::dist::DurationDist;
use crate::units::{Bytes, Dur};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Whether WorkflowTemplates with an entrypoint become workflows of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TemplateMode {
    /// Submit them (`--from`) when the inputs hold no Workflow or CronWorkflow.
    #[default]
    Auto,
    /// Always submit them.
    Submit,
    /// Never: they only resolve references.
    Library,
}

/// What the manifests do not say: the `[import]` table of a scenario.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ImportHints {
    /// Run time of a pod when `durations` has no entry for it (*estimate*).
    #[serde(default = "default_duration")]
    pub default_duration: DurationDist,
    /// Run times by call path (`outer.inner`), task name, `WorkflowTemplate/template` or
    /// template name (first match wins, in that order).
    #[serde(default)]
    pub durations: BTreeMap<String, DurationDist>,
    /// Loop widths of `withParam` (or unresolvable `withSequence`) by call path or task name.
    #[serde(default)]
    pub widths: BTreeMap<String, u32>,
    /// Probability that a task's `when` holds, by call path or task name (kept when ≥ 0.5).
    #[serde(default)]
    pub when: BTreeMap<String, f64>,
    /// Calls of the same template a recursion is unrolled to.
    #[serde(default = "default_recursion")]
    pub recursion_depth: u32,
    /// Semaphore limits by ConfigMap key (else a given ConfigMap, else 1).
    #[serde(default)]
    pub semaphores: BTreeMap<String, u32>,
    /// Bytes one output parameter adds to the Workflow object (*estimate*).
    #[serde(default = "default_param_bytes")]
    pub output_parameter_bytes: Bytes,
    /// Bytes per input/output artifact moved through `[storage]` (0: artifacts not simulated).
    #[serde(default)]
    pub artifact_bytes: Bytes,
    /// Files read only to resolve `templateRef` / `workflowTemplateRef` (and ConfigMaps).
    #[serde(default)]
    pub library: Vec<PathBuf>,
    /// Whether WorkflowTemplates become workflows (`auto`, `submit`, `library`).
    #[serde(default)]
    pub workflow_templates: TemplateMode,
    /// Time a CronWorkflow's submissions cover: `count = cron_window / interval`.
    #[serde(default = "default_cron_window")]
    pub cron_window: Dur,
    /// Add one submission (`via`) for each imported workflow that is not a CronWorkflow.
    #[serde(default = "default_true")]
    pub submit: bool,
    /// Path of those submissions.
    #[serde(default)]
    pub via: SubmitVia,
    /// CPU request given to a pod whose manifest requests none (`--default-requests cpu=`).
    #[serde(default)]
    pub default_cpu: Option<crate::units::Cpu>,
    /// Memory request given to a pod whose manifest requests none.
    #[serde(default)]
    pub default_memory: Option<crate::units::Bytes>,
}

fn default_duration() -> DurationDist {
    DurationDist::Constant(Dur(30_000_000))
}
fn default_recursion() -> u32 {
    3
}
fn default_param_bytes() -> Bytes {
    Bytes(128)
}
fn default_cron_window() -> Dur {
    Dur(24 * 3_600_000_000)
}
fn default_true() -> bool {
    true
}

impl Default for ImportHints {
    fn default() -> Self {
        ImportHints {
            default_duration: default_duration(),
            durations: BTreeMap::new(),
            widths: BTreeMap::new(),
            when: BTreeMap::new(),
            recursion_depth: default_recursion(),
            semaphores: BTreeMap::new(),
            output_parameter_bytes: default_param_bytes(),
            artifact_bytes: Bytes(0),
            library: Vec::new(),
            workflow_templates: TemplateMode::Auto,
            cron_window: default_cron_window(),
            submit: true,
            via: SubmitVia::ArgoCli,
            default_cpu: None,
            default_memory: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_deserialize_from_toml() {
        let h: ImportHints = toml::from_str(
            "default_duration = \"1m\"\nrecursion_depth = 2\n[durations]\necho = { distribution = \"uniform\", min = \"1s\", max = \"3s\" }\n[widths]\nmap = 12\n[when]\n\"tails\" = 0.25\n",
        )
        .unwrap();
        assert_eq!(h.recursion_depth, 2);
        assert_eq!(h.widths["map"], 12);
        assert_eq!(h.when["tails"], 0.25);
        assert!(toml::from_str::<ImportHints>("nope = 1").is_err());
        let d = ImportHints::default();
        assert_eq!(d.recursion_depth, 3);
        let back: ImportHints = toml::from_str(&toml::to_string(&d).unwrap()).unwrap();
        assert_eq!(back.cron_window, d.cron_window);
    }
}
