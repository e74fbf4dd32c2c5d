//! A [`ClusterImport`] as TOML: `[controller]` (with the workload's `[controller.semaphores]`
//! after it), `[kubelet]`, `[argo_server]` and one `[[cluster.pools]]` per pool, every value
//! followed by a comment saying where it came from. Values are printed by the workload
//! emitter's own TOML writer, so quoting and escaping are the same.

use super::super::emit::{key, value};
use super::{ClusterImport, Table};
use std::collections::BTreeMap;
use std::fmt::Write;

/// `line  # comment`, the comment on one line.
fn commented(out: &mut String, line: &str, comment: &str) {
    let c: String = comment
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if line == "# Node pool:" {
        let _ = writeln!(out, "{line} {c}");
    } else {
        let _ = writeln!(out, "{line}  # {c}");
    }
}

/// Write the cluster tables of `c`, and `semaphores` as `[controller.semaphores]` (always
/// written here, so the controller table comes first).
pub(crate) fn write_toml(out: &mut String, c: &ClusterImport, semaphores: &BTreeMap<String, u32>) {
    if !c.is_empty() {
        out.push_str("\n# Cluster configuration: each value says where it came from.\n");
    }
    for table in [Table::Controller, Table::Kubelet, Table::ArgoServer] {
        let rows: Vec<_> = c.settings.iter().filter(|s| s.table == table).collect();
        if !rows.is_empty() {
            let _ = writeln!(out, "\n[{}]", table.name());
            for s in rows {
                commented(
                    out,
                    &format!("{} = {}", key(&s.key), value(&s.value)),
                    &s.origin,
                );
            }
        }
        if table == Table::Controller && !semaphores.is_empty() {
            out.push_str("\n[controller.semaphores]\n");
            for (k, v) in semaphores {
                let _ = writeln!(out, "{} = {v}", key(k));
            }
        }
    }
    for p in &c.pools {
        out.push('\n');
        commented(out, "# Node pool:", &p.origin);
        out.push_str("[[cluster.pools]]\n");
        for (k, v, why) in &p.keys {
            commented(out, &format!("{} = {}", key(k), value(v)), why);
        }
    }
}
