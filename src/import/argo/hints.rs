//! Warnings and `[import]` hint lookups shared by the converters.
//!
//! Every approximation becomes a warning at the file and line of the field, once per place
//! (a template expanded many times warns once) and at most [`MAX_WARNINGS`] per workflow.
//! The key tables list, per object (spec, template, task, container), the keys the importer
//! reads and those it knows but does not simulate (warned with why); any other key is
//! reported as not understood. Keys with no effect on the control-plane model (command, env,
//! volumes, ...) are listed as known and ignored silently. What each key becomes is decided by
//! the other modules, not here.

use super::{At, Conv, Ctx, MAX_WARNINGS};

/// Keys of a DAG task or step.
pub(super) const TASK_KEYS: &[&str] = &[
    "name",
    "template",
    "templateRef",
    "inline",
    "arguments",
    "dependencies",
    "depends",
    "when",
    "withItems",
    "withParam",
    "withSequence",
];
/// Task keys known but not simulated, with why.
pub(super) const TASK_NOT_SIMULATED: &[(&str, &str)] = &[
    (
        "continueOn",
        "argosim stops starting tasks at the first failure",
    ),
    ("onExit", "task-level exit handlers are not simulated"),
    ("hooks", "lifecycle hooks are not simulated"),
];
/// Keys of a Kubernetes container (and of a script or containerSet container).
pub(super) const CONTAINER_KEYS: &[&str] = &[
    "name",
    "image",
    "command",
    "args",
    "workingDir",
    "ports",
    "envFrom",
    "env",
    "resources",
    "resizePolicy",
    "restartPolicy",
    "volumeMounts",
    "volumeDevices",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "lifecycle",
    "terminationMessagePath",
    "terminationMessagePolicy",
    "imagePullPolicy",
    "securityContext",
    "stdin",
    "stdinOnce",
    "tty",
    "source",
    "dependencies",
    "mirrorVolumeMounts",
];
/// Keys of a template.
pub(super) const TEMPLATE_KEYS: &[&str] = &[
    "name",
    "container",
    "script",
    "resource",
    "data",
    "containerSet",
    "dag",
    "steps",
    "suspend",
    "http",
    "plugin",
    "inputs",
    "outputs",
    "retryStrategy",
    "parallelism",
    "synchronization",
    "nodeSelector",
    "tolerations",
    "sidecars",
    "initContainers",
    "metadata",
    "serviceAccountName",
    "automountServiceAccountToken",
    "securityContext",
    "executor",
    "archiveLocation",
    "volumes",
    "hostAliases",
    "metrics",
    "failFast",
    "annotations",
    "podResources",
];
/// Template keys known but not simulated, with why.
pub(super) const TEMPLATE_NOT_SIMULATED: &[(&str, &str)] = &[
    (
        "podSpecPatch",
        "the patch is not applied (resources in it are not seen)",
    ),
    (
        "affinity",
        "affinity is not simulated (pools are not chosen by it)",
    ),
    (
        "priorityClassName",
        "pod priority and preemption are not simulated",
    ),
    ("priority", "pod priority and preemption are not simulated"),
    ("schedulerName", "a custom scheduler is not simulated"),
    (
        "activeDeadlineSeconds",
        "deadlines are not simulated: the pod runs its full duration",
    ),
    (
        "timeout",
        "timeouts are not simulated: the pod runs its full duration",
    ),
    (
        "memoize",
        "memoization is not simulated: every run creates its pods",
    ),
    (
        "daemon",
        "a daemoned pod is simulated as an ordinary pod that ends after its duration",
    ),
    ("hooks", "lifecycle hooks are not simulated"),
    (
        "pendingTimeout",
        "the pending timeout is not simulated: a pod waits as long as it must",
    ),
    ("resourceClaims", "resource claims (DRA) are not simulated"),
];
/// Keys of a workflow spec.
pub(super) const SPEC_KEYS: &[&str] = &[
    "entrypoint",
    "templates",
    "arguments",
    "parallelism",
    "podGC",
    "ttlStrategy",
    "synchronization",
    "workflowTemplateRef",
    "onExit",
    "retryStrategy",
    "nodeSelector",
    "tolerations",
    "serviceAccountName",
    "automountServiceAccountToken",
    "executor",
    "securityContext",
    "podMetadata",
    "imagePullSecrets",
    "hostAliases",
    "hostNetwork",
    "dnsPolicy",
    "dnsConfig",
    "artifactRepositoryRef",
    "archiveLogs",
    "workflowMetadata",
    "volumes",
    "volumeClaimGC",
    "metrics",
    "podDisruptionBudget",
    "podResources",
];
/// Spec keys known but not simulated, with why.
pub(super) const SPEC_NOT_SIMULATED: &[(&str, &str)] = &[
    (
        "activeDeadlineSeconds",
        "the workflow deadline is not simulated",
    ),
    (
        "volumeClaimTemplates",
        "PersistentVolumeClaims are not created (no API calls, no volume binding)",
    ),
    ("hooks", "lifecycle hooks are not simulated"),
    ("podSpecPatch", "the patch is not applied"),
    ("affinity", "affinity is not simulated"),
    ("priority", "workflow priority is not simulated"),
    ("podPriorityClassName", "pod priority is not simulated"),
    ("podPriority", "pod priority is not simulated"),
    ("schedulerName", "a custom scheduler is not simulated"),
    ("templateDefaults", "template defaults are not applied"),
    ("suspend", "the workflow is simulated as not suspended"),
    ("shutdown", "the workflow is simulated as running"),
    (
        "artifactGC",
        "artifact garbage collection pods are not simulated",
    ),
    ("resourceClaims", "resource claims (DRA) are not simulated"),
    (
        "executorPlugins",
        "executor plugins (agent pod sidecars) are not simulated",
    ),
];

/// `"name"`, or `"name" (every call) or "outer.name" (this call)` for a nested task.
pub(super) fn key_help(keys: &[String]) -> String {
    match keys {
        [path, name, ..] if path != name => {
            format!("{name:?} (every call) or {path:?} (this call)")
        }
        [path, ..] => format!("{path:?}"),
        [] => String::new(),
    }
}

impl<'c> Conv<'c> {
    /// Warn at `at`, once per place and message.
    pub(super) fn warn(&mut self, at: &At<'_>, msg: impl Into<String>) {
        self.warn_help(at, msg, None);
    }
    /// [`Conv::warn`] with a `help` line.
    pub(super) fn warn_help(&mut self, at: &At<'_>, msg: impl Into<String>, help: Option<String>) {
        let msg = msg.into();
        // Deduplicate before locating the line: a template expanded many times warns once.
        if !self.seen.insert((at.doc, at.path.clone(), msg.clone())) {
            return;
        }
        if self.warnings.len() >= MAX_WARNINGS {
            self.dropped_warnings += 1;
            return;
        }
        let d = self.c.diag(at, msg, help);
        self.warnings.push(d);
    }
    /// Refuse the workflow (the first failure is reported).
    pub(super) fn fail(&mut self, at: &At<'_>, msg: impl Into<String>) {
        if self.fatal.is_none() {
            self.fatal = Some(self.c.diag(at, msg.into(), None));
        }
    }
    /// Warn about every key of `at` not in `known`: with why when it is in `not_sim`, else as
    /// not understood.
    pub(super) fn check_keys(
        &mut self,
        at: &At<'_>,
        what: &str,
        known: &[&str],
        not_sim: &[(&str, &str)],
    ) {
        for k in at.keys() {
            if known.contains(&k) {
                continue;
            }
            let Some(child) = at.get(k) else { continue };
            match not_sim.iter().find(|(n, _)| *n == k) {
                Some((_, why)) => self.warn(&child, format!("{what} `{k}`: {why}")),
                None => self.warn(
                    &child,
                    format!("{what} `{k}` is not understood by the importer; ignored"),
                ),
            }
        }
    }

    /// Hint keys of a template called with `ctx`: its call path, then its call site's name.
    pub(super) fn hint_keys(&self, ctx: &Ctx<'_>) -> Vec<String> {
        let mut keys = vec![ctx.prefix.clone()];
        if !ctx.task.is_empty() && ctx.task != ctx.prefix {
            keys.push(ctx.task.clone());
        }
        keys
    }
}
