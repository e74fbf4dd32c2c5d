//! An [`Imported`] workload as a TOML scenario fragment for editing: warnings and refusals as
//! comments, the cluster configuration (`[controller]` with `[controller.semaphores]`,
//! `[kubelet]`, `[argo_server]`, `[[cluster.pools]]` from Node objects; `cluster/emit.rs`),
//! then `[[workflows]]` (keys left at their default are omitted) and `[[submissions]]`.
//! Appended to a file with `[[cluster.pools]]` (or with pools of its own), it validates.

use super::Imported;
use crate::scenario::schema::{SubmissionCfg, TaskCfg, WorkflowCfg};
use serde_json::{Value, json};
use std::fmt::Write;

pub(super) fn key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        string(k)
    }
}

fn string(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\t' => o.push_str("\\t"),
            '\r' => o.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(o, "\\u{:04X}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

pub(super) fn value(v: &Value) -> String {
    match v {
        Value::Null => "\"\"".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => {
            let s = n.to_string();
            if n.is_f64() && !s.contains(['.', 'e', 'E']) {
                format!("{s}.0")
            } else {
                s
            }
        }
        Value::String(s) => string(s),
        Value::Array(a) => {
            let items: Vec<String> = a.iter().map(value).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(m) => {
            let items: Vec<String> = m
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| format!("{} = {}", key(k), value(v)))
                .collect();
            format!("{{ {} }}", items.join(", "))
        }
    }
}

/// Byte counts as Kubernetes quantities when exact (`4294967296` → `"4Gi"`), CPU in cores
/// when whole (`"2000m"` → `"2"`); both parse back to the same value.
fn readable(key: &str, v: &Value) -> Value {
    const BYTES: [&str; 6] = [
        "memory",
        "image_size",
        "read_bytes",
        "write_bytes",
        "output_parameter_bytes",
        "spec_bytes",
    ];
    match v {
        Value::Number(n) if BYTES.contains(&key) => match n.as_u64() {
            Some(b) if b >= 1024 => {
                for (unit, shift) in [("Ti", 40), ("Gi", 30), ("Mi", 20), ("Ki", 10)] {
                    if b % (1u64 << shift) == 0 {
                        return Value::String(format!("{}{unit}", b >> shift));
                    }
                }
                v.clone()
            }
            _ => v.clone(),
        },
        Value::String(s) if key == "cpu" => {
            match s.strip_suffix('m').and_then(|m| m.parse::<u64>().ok()) {
                Some(m) if m % 1000 == 0 => Value::String((m / 1000).to_string()),
                _ => v.clone(),
            }
        }
        _ => v.clone(),
    }
}

/// `key = value` lines of `v`, skipping nulls, `skip`, and keys equal to `default`'s
/// (except `keep`).
fn body(out: &mut String, v: &Value, default: &Value, keep: &[&str], skip: &[&str]) {
    let Some(m) = v.as_object() else { return };
    for (k, x) in m {
        if x.is_null() || skip.contains(&k.as_str()) {
            continue;
        }
        if !keep.contains(&k.as_str()) && default.get(k) == Some(x) {
            continue;
        }
        let _ = writeln!(out, "{} = {}", key(k), value(&readable(k, x)));
    }
}

fn comment(out: &mut String, text: &str) {
    for l in text.lines() {
        let _ = writeln!(out, "#   {l}");
    }
}

/// The fragment; see the module documentation.
pub fn to_toml(imp: &Imported) -> String {
    to_toml_with(imp, None)
}

/// The fragment, made runnable by `cluster` (a `[[cluster.pools]]` table, e.g. from
/// [`super::pool_toml`]) appended, or saying plainly what to add without one.
pub fn to_toml_with(imp: &Imported, cluster: Option<&str>) -> String {
    let task_default = serde_json::from_value::<TaskCfg>(json!({"name": "", "duration": "0s"}))
        .ok()
        .and_then(|t| serde_json::to_value(t).ok())
        .unwrap_or(Value::Null);
    let wf_default = serde_json::from_value::<WorkflowCfg>(json!({"name": "", "tasks": []}))
        .ok()
        .and_then(|t| serde_json::to_value(t).ok())
        .unwrap_or(Value::Null);
    let sub_default = serde_json::from_value::<SubmissionCfg>(json!({"workflow": ""}))
        .ok()
        .and_then(|t| serde_json::to_value(t).ok())
        .unwrap_or(Value::Null);
    let mut out = String::new();
    let settings = if imp.cluster.is_empty() {
        String::new()
    } else {
        format!(
            ", {} cluster setting(s), {} node pool(s)",
            imp.cluster.settings.len(),
            imp.cluster.pools.len()
        )
    };
    let _ = writeln!(
        out,
        "# Imported by argosim {}: {} workflow(s), {} submission stream(s){settings}.",
        env!("CARGO_PKG_VERSION"),
        imp.workflows.len(),
        imp.submissions.len()
    );
    let pools = cluster.is_some() || !imp.cluster.pools.is_empty();
    if imp.workflows.is_empty() {
        out.push_str("# No workload: append [[workflows]] and [[submissions]] (or import your manifests in\n# the same call)");
        if !pools {
            out.push_str(" and a [[cluster.pools]] table");
        }
        out.push_str(" before running it.\n");
    } else {
        if cluster.is_some() {
            out.push_str(
                "# Runnable as it is: an example node pool is appended (--with-cluster); replace it and\n# add your control-plane settings.",
            );
        } else if pools {
            out.push_str("# Runnable as it is: the node pools come from the Node objects given.");
        } else {
            out.push_str(
                "# Not runnable yet: add a [[cluster.pools]] table (name, cpu, memory, price_per_hour,\n# nodes), or import again with --with-cluster gke-n2-standard-16 (argosim import --help\n# lists the example pools).",
            );
        }
        out.push_str(
            " Run times, loop widths and `when` outcomes the manifests do\n# not say are estimates: see the warnings.\n",
        );
    }
    if !imp.warnings.is_empty() {
        let _ = writeln!(out, "#\n# Warnings ({}):", imp.warnings.len());
        for w in &imp.warnings {
            comment(&mut out, &w.to_string());
        }
    }
    if !imp.refused.is_empty() {
        let _ = writeln!(out, "#\n# Not imported ({}):", imp.refused.len());
        for w in &imp.refused {
            comment(&mut out, &w.to_string());
        }
    }
    super::cluster::write_toml(&mut out, &imp.cluster, &imp.semaphores);
    for (i, wf) in imp.workflows.iter().enumerate() {
        let v = serde_json::to_value(wf).unwrap_or(Value::Null);
        out.push('\n');
        if let Some(o) = imp.origins.get(i) {
            let _ = writeln!(out, "# {o}");
        }
        out.push_str("[[workflows]]\n");
        body(&mut out, &v, &wf_default, &["name"], &["tasks"]);
        for t in v
            .get("tasks")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            out.push_str("\n[[workflows.tasks]]\n");
            body(&mut out, t, &task_default, &["name", "duration"], &[]);
        }
    }
    for s in &imp.submissions {
        let v = serde_json::to_value(s).unwrap_or(Value::Null);
        out.push_str("\n[[submissions]]\n");
        body(&mut out, &v, &sub_default, &["workflow", "via"], &[]);
    }
    if let Some(c) = cluster {
        out.push_str(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        assert_eq!(value(&json!("a\"b\n")), "\"a\\\"b\\n\"");
        assert_eq!(value(&json!(2.0)), "2.0");
        assert_eq!(value(&json!(3)), "3");
        assert_eq!(value(&json!({"a b": [1, "x"]})), "{ \"a b\" = [1, \"x\"] }");
        assert_eq!(key("group"), "group");
        assert_eq!(key("a.b"), "\"a.b\"");
        assert_eq!(readable("memory", &json!(4u64 << 30)), json!("4Gi"));
        assert_eq!(readable("memory", &json!(1500)), json!(1500));
        assert_eq!(readable("cpu", &json!("2000m")), json!("2"));
        assert_eq!(readable("cpu", &json!("250m")), json!("250m"));
    }
}
