//! The workflow controllers of a scenario: `[controller]` alone, or the `[[controllers]]`
//! list, each entry expanded into its `shards`; the range checks of one controller's
//! settings; and which controller manages a submission's workflows.
//!
//! A controller manages a workflow when its managed namespace is unset (cluster-wide) or
//! equal to the workflow's namespace, and its `instanceID` equals the workflow's
//! `controller-instanceid` label (both unset counts as equal), as Argo's informers select
//! (`util/instanceid`, `workflow/controller/controller.go` `newWorkflowInformer`). A
//! workflow no controller manages would never run, and one two controllers manage would be
//! reconciled by both (Argo does not prevent that; update conflicts follow): both are
//! errors here.

use super::{Checker, min};
use crate::scenario::defaults as d;
use crate::scenario::resolved::ControllerSpec;
use crate::scenario::schema::{ControllerCfg, ScenarioFile};
use std::collections::BTreeMap;

/// One `[controller]`/`[[controllers]]` entry after expansion.
struct Entry {
    /// Key prefix in diagnostics.
    key: String,
    /// First index into the specs, and the number of shards.
    first: usize,
    shards: usize,
    namespace: Option<String>,
    instance_id: Option<String>,
}

/// The resolved controllers and how to find the ones managing a workflow.
pub(super) struct Controllers {
    pub(super) specs: Vec<ControllerSpec>,
    entries: Vec<Entry>,
    /// Semaphore ConfigMap keys of all controllers and their limits.
    pub(super) semaphores: BTreeMap<String, u32>,
}

/// Range checks of one controller's settings; keys are under `p` (`controller` or
/// `controllers[i]`).
fn check_settings(c: &mut Checker, p: &str, ctl: &ControllerCfg) {
    c.rate(&format!("{p}.qps"), ctl.qps);
    c.at_least(&format!("{p}.burst"), ctl.burst.into(), 1);
    c.at_least(
        &format!("{p}.workflow_workers"),
        ctl.workflow_workers.into(),
        1,
    );
    c.at_least(
        &format!("{p}.pod_cleanup_workers"),
        ctl.pod_cleanup_workers.into(),
        1,
    );
    c.dur_at_least(
        &format!("{p}.max_operation_time"),
        ctl.max_operation_time.0,
        1,
    );
    c.at_least(
        &format!("{p}.max_workflow_size"),
        ctl.max_workflow_size.0,
        1,
    );
    if let Some(r) = ctl.resource_rate_limit {
        c.rate(&format!("{p}.resource_rate_limit.limit"), r.limit);
        c.at_least(&format!("{p}.resource_rate_limit.burst"), r.burst.into(), 1);
    }
    // Timers that re-arm themselves: a minimum each (defaults.rs says where it comes from).
    for (key, v, m) in [
        (
            "progress_patch_tick",
            ctl.progress_patch_tick.0,
            d::MIN_PROGRESS_PATCH_TICK,
        ),
        (
            "workflow_resync_period",
            ctl.workflow_resync_period.0,
            d::MIN_WORKFLOW_RESYNC_PERIOD,
        ),
        (
            "default_requeue_time",
            ctl.default_requeue_time.0,
            d::MIN_DEFAULT_REQUEUE_TIME,
        ),
    ] {
        c.dur_at_least(&format!("{p}.{key}"), v, min(m));
    }
    if !(ctl.memory_per_workflow_byte.is_finite() && ctl.memory_per_workflow_byte >= 0.0) {
        c.err(&format!("{p}.memory_per_workflow_byte"), "must be >= 0");
    }
}

/// Whether the file text has a `[controller]` table (or `controller.` keys).
fn has_controller_table(text: &str) -> bool {
    toml::from_str::<toml::Table>(text).is_ok_and(|t| t.contains_key("controller"))
}

/// Check and expand the controllers of `raw`.
pub(super) fn resolve(c: &mut Checker, raw: &ScenarioFile) -> Controllers {
    let list: Vec<(String, &ControllerCfg)> = if raw.controllers.is_empty() {
        vec![("controller".to_string(), &raw.controller)]
    } else {
        if has_controller_table(c.text) {
            c.err_help(
                "controller",
                "give either [controller] (one controller) or [[controllers]] (several), not both",
                Some("move these settings into each [[controllers]] entry".into()),
            );
        }
        (raw.controllers.iter().enumerate())
            .map(|(i, k)| (format!("controllers[{i}]"), k))
            .collect()
    };
    let mut out = Controllers {
        specs: Vec::new(),
        entries: Vec::new(),
        semaphores: BTreeMap::new(),
    };
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let mut sem_owner: BTreeMap<String, String> = BTreeMap::new();
    for (key, cfg) in list {
        check_settings(c, &key, cfg);
        let shards = cfg.shards.unwrap_or(1);
        if shards == 0 || shards > d::MAX_CONTROLLER_SHARDS {
            c.err(
                &format!("{key}.shards"),
                format!("must be 1 to {} (got {shards})", d::MAX_CONTROLLER_SHARDS),
            );
        }
        let shards = shards.clamp(1, d::MAX_CONTROLLER_SHARDS) as usize;
        if shards > 1 && cfg.namespace.is_some() == cfg.instance_id.is_some() {
            c.err_help(
                &format!("{key}.shards"),
                "shards split the workflows by namespace or by instance ID: set exactly one of `namespace` and `instance_id`",
                Some("namespace = \"team\" gives shards managing team-0, team-1, ...".into()),
            );
        }
        for (k, &limit) in &cfg.semaphores {
            match out.semaphores.get(k) {
                Some(&l) if l != limit => c.err(
                    &format!("{key}.semaphores.{k}"),
                    format!(
                        "semaphore {k:?} has limit {limit} here and {l} in {}: one limit per key",
                        sem_owner[k]
                    ),
                ),
                _ => {
                    out.semaphores.insert(k.clone(), limit);
                    sem_owner.entry(k.clone()).or_insert_with(|| key.clone());
                }
            }
        }
        let base = cfg
            .name
            .clone()
            .unwrap_or_else(|| d::DEFAULT_CONTROLLER_NAME.to_string());
        if !is_dns_subdomain(&base) {
            c.err(
                &format!("{key}.name"),
                format!("{base:?} is not a Deployment name: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit"),
            );
        }
        let first = out.specs.len();
        for i in 0..shards {
            let suffix = |s: &Option<String>| {
                s.as_ref().map(|v| {
                    if shards > 1 {
                        format!("{v}-{i}")
                    } else {
                        v.clone()
                    }
                })
            };
            let name = if shards > 1 {
                format!("{base}-{i}")
            } else {
                base.clone()
            };
            if let Some(other) = names.insert(name.clone(), key.clone()) {
                c.err_help(
                    &format!("{key}.name"),
                    format!("controller name {name:?} is also the name of {other}"),
                    Some("give each [[controllers]] entry its own `name`".into()),
                );
            }
            let by_ns = cfg.namespace.is_some();
            out.specs.push(ControllerSpec {
                name,
                namespace: suffix(&cfg.namespace),
                instance_id: if by_ns {
                    cfg.instance_id.clone()
                } else {
                    suffix(&cfg.instance_id)
                },
                cfg: cfg.clone(),
            });
        }
        out.entries.push(Entry {
            key,
            first,
            shards,
            namespace: cfg.namespace.clone(),
            instance_id: cfg.instance_id.clone(),
        });
    }
    out
}

/// A Kubernetes object name (DNS-1123 subdomain, at most 253 characters). The report tells a
/// controller's clients apart by `<name> (` prefixes, so a name cannot contain spaces or
/// brackets.
fn is_dns_subdomain(n: &str) -> bool {
    let ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    !n.is_empty()
        && n.len() <= 253
        && n.chars().all(|c| ok(c) || c == '-' || c == '.')
        && n.starts_with(ok)
        && n.ends_with(ok)
}

fn manages(
    ns_of_ctrl: &Option<String>,
    iid_of_ctrl: &Option<String>,
    ns: &str,
    iid: Option<&str>,
) -> bool {
    ns_of_ctrl.as_deref().is_none_or(|n| n == ns) && iid_of_ctrl.as_deref() == iid
}

impl Controllers {
    /// Where the workflows of a submission into `ns`, labelled `iid`, go: `(controller,
    /// namespace)` per shard (see [`crate::scenario::Submission::targets`]); `key` names the
    /// submission in diagnostics; new namespaces are added to `namespaces`.
    pub(super) fn targets(
        &self,
        c: &mut Checker,
        key: &str,
        ns: &str,
        iid: Option<&str>,
        namespaces: &mut Vec<String>,
    ) -> Vec<(usize, usize)> {
        let mut ns_index = |n: &str| match namespaces.iter().position(|x| x == n) {
            Some(i) => i,
            None => {
                namespaces.push(n.to_string());
                namespaces.len() - 1
            }
        };
        let direct: Vec<usize> = (0..self.specs.len())
            .filter(|&i| {
                manages(
                    &self.specs[i].namespace,
                    &self.specs[i].instance_id,
                    ns,
                    iid,
                )
            })
            .collect();
        let what = || match iid {
            Some(id) => format!("workflows in namespace {ns:?} with instanceID {id:?}"),
            None => format!("workflows in namespace {ns:?} without an instanceID"),
        };
        if direct.len() == 1 {
            return vec![(direct[0], ns_index(ns))];
        }
        if direct.len() > 1 {
            let names: Vec<&str> = direct
                .iter()
                .map(|&i| self.specs[i].name.as_str())
                .collect();
            c.err_help(
                key,
                format!(
                    "{} are managed by {} controllers ({}): each would reconcile them",
                    what(),
                    names.len(),
                    names.join(", ")
                ),
                Some("give the controllers different `namespace`s or `instance_id`s".into()),
            );
            return Vec::new();
        }
        // A sharded entry takes the workflows of its base namespace or instance ID.
        let spread: Vec<&Entry> = (self.entries.iter())
            .filter(|e| e.shards > 1 && manages(&e.namespace, &e.instance_id, ns, iid))
            .collect();
        if let [e] = spread[..] {
            return (0..e.shards)
                .map(|i| {
                    let s = &self.specs[e.first + i];
                    (e.first + i, ns_index(s.namespace.as_deref().unwrap_or(ns)))
                })
                .collect();
        }
        if spread.len() > 1 {
            let keys: Vec<&str> = spread.iter().map(|e| e.key.as_str()).collect();
            c.err(
                key,
                format!(
                    "{} are managed by several sharded controllers ({})",
                    what(),
                    keys.join(", ")
                ),
            );
            return Vec::new();
        }
        let list: Vec<String> = (self.specs.iter())
            .map(|s| {
                format!(
                    "{} ({}{})",
                    s.name,
                    s.namespace
                        .as_deref()
                        .map_or("all namespaces".to_string(), |n| format!("namespace {n}")),
                    s.instance_id
                        .as_deref()
                        .map_or(String::new(), |i| format!(", instanceID {i}"))
                )
            })
            .collect();
        c.err_help(
            key,
            format!("no controller manages {}: they would never run", what()),
            Some(format!("controllers: {}", list.join("; "))),
        );
        Vec::new()
    }
}
