//! The `[autoscaler]` table: cluster-autoscaler (scan interval, expander, scale-down timers,
//! and the CA version whose default expander applies when none is named) or a Karpenter-like
//! provisioner (batch windows, consolidation of empty nodes).

use super::dur;
use crate::scenario::defaults as d;
use crate::units::Dur;
use serde::{Deserialize, Serialize};

/// `[autoscaler]`: cluster-autoscaler or a Karpenter-like provisioner.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AutoscalerCfg {
    /// `none`, `cluster-autoscaler` or `karpenter`.
    #[serde(default)]
    pub mode: AutoscalerMode,
    /// CA `--scan-interval`.
    #[serde(default = "default_scan")]
    pub scan_interval: Dur,
    /// cluster-autoscaler version, `"1.N"` (a patch part is accepted and ignored): picks the
    /// default expander when `expander` is not set.
    #[serde(default = "default_ca_version")]
    pub version: String,
    /// CA `--expander`; absent: the version's default (see [`AutoscalerCfg::expander`]).
    #[serde(default)]
    pub expander: Option<Expander>,
    /// CA `--scale-down-unneeded-time`.
    #[serde(default = "default_unneeded")]
    pub scale_down_unneeded_time: Dur,
    /// CA `--scale-down-delay-after-add`.
    #[serde(default = "default_delay_after_add")]
    pub scale_down_delay_after_add: Dur,
    /// CA `--max-nodes-per-scaleup`.
    #[serde(default = "default_max_per_scaleup")]
    pub max_nodes_per_scaleup: u32,
    /// Karpenter `BATCH_IDLE_DURATION`.
    #[serde(default = "default_batch_idle")]
    pub batch_idle: Dur,
    /// Karpenter `BATCH_MAX_DURATION`.
    #[serde(default = "default_batch_max")]
    pub batch_max: Dur,
    /// Karpenter `consolidateAfter` (empty nodes only).
    #[serde(default = "default_consolidate_after")]
    pub consolidate_after: Dur,
}
fn default_ca_version() -> String {
    d::CA_VERSION.to_string()
}
fn default_scan() -> Dur {
    dur(d::CA_SCAN_INTERVAL)
}
fn default_unneeded() -> Dur {
    dur(d::CA_SCALE_DOWN_UNNEEDED_TIME)
}
fn default_delay_after_add() -> Dur {
    dur(d::CA_SCALE_DOWN_DELAY_AFTER_ADD)
}
fn default_max_per_scaleup() -> u32 {
    d::CA_MAX_NODES_PER_SCALEUP
}
fn default_batch_idle() -> Dur {
    dur(d::KARPENTER_BATCH_IDLE)
}
fn default_batch_max() -> Dur {
    dur(d::KARPENTER_BATCH_MAX)
}
fn default_consolidate_after() -> Dur {
    dur(d::KARPENTER_CONSOLIDATE_AFTER)
}
/// The minor version of a cluster-autoscaler version string (`"1.33"`, `"v1.33.2"`), or
/// `None` if it is not `1.N[.P]`.
pub fn ca_minor(version: &str) -> Option<u32> {
    let v = version.strip_prefix('v').unwrap_or(version);
    let mut parts = v.split('.');
    if parts.next()? != "1" {
        return None;
    }
    let minor = parts.next()?.parse().ok()?;
    match (parts.next(), parts.next()) {
        (None, _) => Some(minor),
        (Some(p), None) if p.parse::<u32>().is_ok() => Some(minor),
        _ => None,
    }
}

impl AutoscalerCfg {
    /// The expander a scale-up uses: the configured one, else the `--expander` flag default of
    /// `version`: `random` up to 1.32 (`main.go`), `least-waste` from 1.33
    /// (`config/flags/flags.go`, kubernetes/autoscaler tags cluster-autoscaler-1.32.0 and
    /// -1.33.0). A version that does not parse (refused by validation) counts as the newest.
    pub fn expander(&self) -> Expander {
        self.expander.unwrap_or(match ca_minor(&self.version) {
            Some(m) if m <= 32 => Expander::Random,
            _ => Expander::LeastWaste,
        })
    }
}

impl Default for AutoscalerCfg {
    fn default() -> Self {
        toml::from_str("").expect("empty autoscaler table deserializes")
    }
}

/// Which autoscaler runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum AutoscalerMode {
    /// Pools keep their size.
    #[default]
    None,
    /// cluster-autoscaler: scans for unschedulable pods, grows one node group per scan.
    ClusterAutoscaler,
    /// Karpenter-like: batches pending pods, launches the cheapest fitting nodes, removes empty ones.
    Karpenter,
}

/// cluster-autoscaler `--expander`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Expander {
    /// Least idle CPU after the scale-up (CA default from 1.33).
    LeastWaste,
    /// Cheapest scale-up.
    Price,
    /// Random group (seeded; CA default up to 1.32).
    Random,
    /// Group that schedules the most pods.
    MostPods,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_as_major_one_minor() {
        assert_eq!(ca_minor("1.33"), Some(33));
        assert_eq!(ca_minor("v1.32.7"), Some(32));
        assert_eq!(ca_minor("2.1"), None);
        assert_eq!(ca_minor("1"), None);
        assert_eq!(ca_minor("1.x"), None);
        assert_eq!(ca_minor("1.33.0.1"), None);
    }

    #[test]
    fn an_explicit_expander_wins_over_the_version_default() {
        let mut a = AutoscalerCfg::default();
        assert_eq!(a.version, d::CA_VERSION);
        assert_eq!(a.expander(), Expander::LeastWaste);
        a.version = "1.32".into();
        assert_eq!(a.expander(), Expander::Random);
        a.expander = Some(Expander::Price);
        assert_eq!(a.expander(), Expander::Price);
    }
}
