//! WfCommons WfFormat (schema 1.5, <https://github.com/wfcommons/WfFormat>) traces out of a run
//! and into a workflow.
//!
//! **Export** writes one instance per workflow definition. A `RunReport` keeps no per-pod
//! record, so the instance is derived from the scenario's task graph: each of a task's `width`
//! pods is one WfFormat task (`id` = task name, plus `_i` for a fan-out), with the task's
//! dependencies as parents, its *mean* run time (the duration's mean divided by its thread
//! speed-up, not the sampled values), its CPU request as `coreCount` (a request below one
//! core, which WfFormat cannot express, is written as 1 plus an `argosim.cpu` extension the
//! importer reads back), its memory request, the
//! bytes it reads and writes, and its image as `command.program`. Machines are the node pools
//! the task may run on (`machine` names the first; the node a pod really ran on is not
//! recorded). `makespanInSeconds` is the mean makespan of the finished runs of that workflow
//! in the report, and `executedAt` the first submission, counted from 1970-01-01T00:00:00Z
//! (simulated time has no calendar). Files are not exported.
//!
//! **Import** reads 1.5 instances (`workflow.specification` + `workflow.execution`) and the
//! older flat layout (`workflow.tasks` with `runtimeInSeconds`/`runtime`, `cores`, `files`).
//! Each task becomes an argosim task with its run time as a constant duration and its parents
//! as `depends`; tasks that share a name, parents, run time, cores, memory and program are
//! folded back into one task with `width` = their count (so an exported fan-out round-trips).
//! Machines, energy, power and priorities are not imported.

use super::ImportHints;
use super::argo::{At, Corpus};
use crate::metrics::RunReport;
use crate::scenario::Scenario;
use crate::scenario::diag::Diagnostic;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};

/// WfFormat schema version written.
pub const WFFORMAT_SCHEMA_VERSION: &str = "1.5";

/// True when a parsed document looks like a WfFormat instance.
pub(crate) fn is_instance(v: &Value) -> bool {
    v.get("workflow").is_some_and(Value::is_object)
        && v.get("apiVersion").is_none()
        && v.get("kind").is_none()
}

fn sanitize(s: &str) -> String {
    let t: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if t.is_empty() { "task".into() } else { t }
}

/// RFC 3339 time `secs` after the Unix epoch (UTC).
fn rfc3339(secs: f64) -> String {
    let total = if secs.is_finite() && secs > 0.0 {
        secs.floor() as i64
    } else {
        0
    };
    let (days, rem) = (total.div_euclid(86_400), total.rem_euclid(86_400));
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// The scenario's first workflow as a WfFormat instance (see the module documentation for
/// what is derived rather than measured).
pub fn wfformat_export(report: &RunReport, sc: &Scenario) -> Value {
    wfformat_export_workflow(report, sc, 0).unwrap_or_else(|| {
        json!({"name": sc.file.name, "schemaVersion": WFFORMAT_SCHEMA_VERSION,
               "workflow": {"specification": {"tasks": []}}})
    })
}

/// Workflow `index` of the scenario as a WfFormat instance; `None` if there is no such workflow.
pub fn wfformat_export_workflow(report: &RunReport, sc: &Scenario, index: usize) -> Option<Value> {
    let wf = sc.workflows.get(index)?;
    // Ids of each task's pods.
    let mut used = super::names::UniqueNames::default();
    let mut ids: Vec<Vec<String>> = Vec::with_capacity(wf.tasks.len());
    for t in &wf.tasks {
        let base = sanitize(&t.name);
        let mut v = Vec::with_capacity(t.width as usize);
        for i in 0..t.width.max(1) {
            let stem = format!("{base}_{i}");
            let first = if t.width > 1 { &stem } else { &base };
            v.push(used.claim_or(first, &stem, "_"));
        }
        ids.push(v);
    }
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); wf.tasks.len()];
    for (k, t) in wf.tasks.iter().enumerate() {
        for &d in &t.deps {
            if let Some(c) = children.get_mut(d) {
                c.push(k);
            }
        }
    }
    let mut spec_tasks = Vec::new();
    let mut exec_tasks = Vec::new();
    for (k, t) in wf.tasks.iter().enumerate() {
        let parents: Vec<&String> = t.deps.iter().flat_map(|&d| &ids[d]).collect();
        let kids: Vec<&String> = children[k].iter().flat_map(|&c| &ids[c]).collect();
        let runtime = t.duration.mean().0 as f64 / 1e6 / t.speedup.max(f64::MIN_POSITIVE);
        let machine = sc
            .pools
            .iter()
            .zip(&t.allowed_pools)
            .find(|(_, a)| **a)
            .map(|(p, _)| p.name.clone());
        let image = sc.images.get(t.image).cloned().unwrap_or_default();
        for id in &ids[k] {
            spec_tasks.push(json!({
                "name": t.name,
                "id": id,
                "parents": parents,
                "children": kids,
            }));
            let mut e = Map::new();
            e.insert("id".into(), json!(id));
            e.insert("runtimeInSeconds".into(), json!(runtime));
            e.insert("command".into(), json!({"program": image}));
            // WfFormat's coreCount is at least 1: a request below one core also goes in an
            // `argosim` extension object, which the importer prefers.
            if t.cpu >= 1000 {
                e.insert("coreCount".into(), json!(t.cpu as f64 / 1000.0));
            } else if t.cpu > 0 {
                e.insert("coreCount".into(), json!(1.0));
                e.insert(
                    "argosim".into(),
                    json!({"cpu": crate::units::format_cpu(t.cpu)}),
                );
            }
            if t.mem > 0 {
                e.insert("memoryInBytes".into(), json!(t.mem));
            }
            if t.read_bytes > 0 {
                e.insert("readBytes".into(), json!(t.read_bytes));
            }
            if t.write_bytes > 0 {
                e.insert("writtenBytes".into(), json!(t.write_bytes));
            }
            if let Some(m) = &machine {
                e.insert("machine".into(), json!(m));
            }
            exec_tasks.push(Value::Object(e));
        }
    }
    let machines: Vec<Value> = sc
        .pools
        .iter()
        .enumerate()
        .filter(|(pi, _)| {
            wf.tasks
                .iter()
                .any(|t| t.allowed_pools.get(*pi).copied().unwrap_or(false))
        })
        .map(|(_, p)| {
            let mut m = json!({
                "nodeName": p.name,
                "system": "linux",
                "architecture": p.arch,
                "cpu": {"coreCount": p.alloc_cpu.div_ceil(1000).max(1)},
            });
            if p.alloc_mem > 0 {
                m["memoryInBytes"] = json!(p.alloc_mem);
            }
            m
        })
        .collect();
    let runs: Vec<_> = report
        .workflows
        .list
        .iter()
        .filter(|e| e.name.rsplit_once('-').is_some_and(|(n, _)| n == wf.name))
        .collect();
    let spans: Vec<f64> = runs.iter().filter_map(|e| e.makespan_s).collect();
    let makespan = if spans.is_empty() {
        report.end_time_s
    } else {
        spans.iter().sum::<f64>() / spans.len() as f64
    };
    let started = runs
        .iter()
        .map(|e| e.submitted_at_s)
        .fold(f64::INFINITY, f64::min);
    let mut execution = json!({
        "makespanInSeconds": makespan,
        "executedAt": rfc3339(if started.is_finite() { started } else { 0.0 }),
        "tasks": exec_tasks,
    });
    if !machines.is_empty() {
        execution["machines"] = Value::Array(machines);
    }
    Some(json!({
        "name": wf.name,
        "description": format!(
            "argosim {} simulation of scenario {:?}, workflow {:?}, seed {}. Task runtimes are the scenario's mean run times, machines are node pools, and executedAt counts simulated seconds from the Unix epoch.",
            env!("CARGO_PKG_VERSION"), sc.file.name, wf.name, report.seed
        ),
        "schemaVersion": WFFORMAT_SCHEMA_VERSION,
        "runtimeSystem": {"name": "argosim", "version": env!("CARGO_PKG_VERSION")},
        "workflow": {
            "specification": {"tasks": spec_tasks},
            "execution": execution,
        }
    }))
}

struct Raw {
    id: String,
    name: String,
    parents: Vec<String>,
    runtime_us: Option<u64>,
    cpu: u64,
    mem: u64,
    read: u64,
    write: u64,
    image: Option<String>,
    at: usize,
}

fn num(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|x| x.is_finite() && *x >= 0.0)
}

fn to_u64(x: f64) -> u64 {
    if x >= 1.8e19 {
        u64::MAX
    } else {
        x.round() as u64
    }
}

/// A WfFormat instance (document `doc` of the corpus) as a `[[workflows]]` entry (JSON).
pub(crate) fn import_instance(
    c: &Corpus,
    h: &ImportHints,
    doc: usize,
) -> Result<(Value, Vec<Diagnostic>), Box<Diagnostic>> {
    let root = c.root(doc);
    let mut warnings = Vec::new();
    let Some(wf) = root.get("workflow") else {
        return Err(Box::new(c.diag(
            &root,
            "WfFormat: no `workflow`".into(),
            None,
        )));
    };
    let files: BTreeMap<String, u64> = wf
        .get("specification")
        .and_then(|s| s.get("files"))
        .and_then(|f| f.v.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|f| {
            Some((
                f.get("id")?.as_str()?.to_string(),
                to_u64(num(f.get("sizeInBytes"))?),
            ))
        })
        .collect();
    let exec: BTreeMap<String, Value> = wf
        .get("execution")
        .and_then(|e| e.get("tasks"))
        .map(|t| t.v.as_array().cloned().unwrap_or_default())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|t| Some((t.get("id")?.as_str()?.to_string(), t)))
        .collect();
    let (list, list_at): (Vec<Value>, At<'_>) =
        match wf.get("specification").and_then(|s| s.get("tasks")) {
            Some(t) => (t.v.as_array().cloned().unwrap_or_default(), t),
            None => match wf.get("tasks") {
                Some(t) => (t.v.as_array().cloned().unwrap_or_default(), t),
                None => {
                    return Err(Box::new(c.diag(
                    &wf,
                    "WfFormat: no `workflow.specification.tasks` (1.5) or `workflow.tasks` (1.4)"
                        .into(),
                    None,
                )));
                }
            },
        };
    if list.len() > super::argo::MAX_TASKS {
        return Err(Box::new(c.diag(
            &list_at,
            format!(
                "WfFormat: {} tasks, more than the importer's limit of {}",
                list.len(),
                super::argo::MAX_TASKS
            ),
            None,
        )));
    }
    let mut raws = Vec::with_capacity(list.len());
    for (i, t) in list.iter().enumerate() {
        let e = t
            .get("id")
            .and_then(Value::as_str)
            .and_then(|id| exec.get(id));
        let field = |k: &str| t.get(k).or_else(|| e.and_then(|e| e.get(k)));
        let name = t
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| format!("task-{i}"));
        let id = t
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| name.clone());
        let parents: Vec<String> = t
            .get("parents")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|p| p.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let runtime_us =
            num(field("runtimeInSeconds").or_else(|| field("runtime"))).map(|s| to_u64(s * 1e6));
        let cores = num(field("coreCount").or_else(|| field("cores"))).unwrap_or(0.0);
        let exact_cpu = field("argosim")
            .and_then(|a| a.get("cpu"))
            .and_then(Value::as_str)
            .and_then(|c| crate::units::parse_cpu(c).ok());
        let mem = num(field("memoryInBytes").or_else(|| field("memory"))).map_or(0, to_u64);
        let mut read = num(field("readBytes")).map_or(0, to_u64);
        let mut write = num(field("writtenBytes")).map_or(0, to_u64);
        let sum = |k: &str| -> u64 {
            t.get(k)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|f| f.as_str().and_then(|id| files.get(id)))
                        .sum()
                })
                .unwrap_or(0)
        };
        if read == 0 {
            read = sum("inputFiles");
        }
        if write == 0 {
            write = sum("outputFiles");
        }
        if let Some(fs) = t.get("files").and_then(Value::as_array) {
            let (mut r2, mut w2) = (0u64, 0u64);
            for f in fs {
                let size = num(f.get("sizeInBytes").or_else(|| f.get("size"))).map_or(0, to_u64);
                match f.get("link").and_then(Value::as_str) {
                    Some("input") => r2 = r2.saturating_add(size),
                    Some("output") => w2 = w2.saturating_add(size),
                    _ => {}
                }
            }
            if read == 0 {
                read = r2;
            }
            if write == 0 {
                write = w2;
            }
        }
        let image = field("command")
            .and_then(|c| c.get("program"))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        raws.push(Raw {
            id,
            name,
            parents,
            runtime_us,
            cpu: exact_cpu.unwrap_or_else(|| to_u64(cores * 1000.0)),
            mem,
            read,
            write,
            image,
            at: i,
        });
    }
    // Resolve parents by id, else by name.
    let by_id: BTreeMap<&str, usize> = raws
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let by_name: BTreeMap<&str, usize> = raws
        .iter()
        .enumerate()
        .map(|(i, r)| (r.name.as_str(), i))
        .collect();
    let mut parents: Vec<Vec<usize>> = Vec::with_capacity(raws.len());
    for r in &raws {
        let mut ps = Vec::new();
        for p in &r.parents {
            match by_id.get(p.as_str()).or_else(|| by_name.get(p.as_str())) {
                Some(&j) => ps.push(j),
                None => {
                    let mut at = list_at.clone();
                    at.path.push(super::locate::Seg::Index(r.at));
                    warnings.push(c.diag(
                        &at,
                        format!("WfFormat task {:?}: unknown parent {p:?} ignored", r.id),
                        None,
                    ));
                }
            }
        }
        ps.sort_unstable();
        ps.dedup();
        parents.push(ps);
    }
    // Topological order.
    let n = raws.len();
    let mut indeg: Vec<usize> = parents.iter().map(Vec::len).collect();
    let mut kids: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, ps) in parents.iter().enumerate() {
        for &p in ps {
            kids[p].push(i);
        }
    }
    let mut ready: std::collections::BTreeSet<usize> = (0..n).filter(|&i| indeg[i] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(i) = ready.pop_first() {
        order.push(i);
        for &k in &kids[i] {
            indeg[k] -= 1;
            if indeg[k] == 0 {
                ready.insert(k);
            }
        }
    }
    if order.len() < n {
        return Err(Box::new(c.diag(
            &list_at,
            "WfFormat: the parent links form a cycle".into(),
            None,
        )));
    }
    // Fold identical siblings into one task with a width.
    type Key = (String, Vec<usize>, Option<u64>, u64, u64, Option<String>);
    let mut groups: Vec<(Key, Vec<usize>)> = Vec::new();
    let mut group_of = vec![0usize; n];
    let mut index: BTreeMap<Key, usize> = BTreeMap::new();
    for &i in &order {
        let r = &raws[i];
        let mut pg: Vec<usize> = parents[i].iter().map(|&p| group_of[p]).collect();
        pg.sort_unstable();
        pg.dedup();
        let key: Key = (
            r.name.clone(),
            pg,
            r.runtime_us,
            r.cpu,
            r.mem,
            r.image.clone(),
        );
        let g = match index.get(&key) {
            Some(&g) => g,
            None => {
                groups.push((key.clone(), Vec::new()));
                index.insert(key, groups.len() - 1);
                groups.len() - 1
            }
        };
        groups[g].1.push(i);
        group_of[i] = g;
    }
    let mut names: Vec<String> = Vec::with_capacity(groups.len());
    let mut taken = super::names::UniqueNames::default();
    let mut missing_runtime = 0usize;
    let mut groups_per_name: HashMap<&str, usize> = HashMap::new();
    for (key, _) in &groups {
        *groups_per_name.entry(key.0.as_str()).or_default() += 1;
    }
    for (key, members) in &groups {
        let mut name = key.0.as_str();
        if groups_per_name[name] > 1 {
            name = &raws[members[0]].id;
        }
        names.push(taken.claim(name, "-"));
    }
    let mut tasks = Vec::with_capacity(groups.len());
    for (g, (key, members)) in groups.iter().enumerate() {
        let r = &raws[members[0]];
        let mut t = Map::new();
        t.insert("name".into(), json!(names[g]));
        if !key.1.is_empty() {
            let deps: Vec<&String> = key.1.iter().map(|&d| &names[d]).collect();
            t.insert("depends".into(), json!(deps));
        }
        if members.len() > 1 {
            t.insert("width".into(), json!(members.len()));
        }
        let duration = match r.runtime_us {
            Some(us) => json!(crate::units::format_duration(us)),
            None => {
                missing_runtime += members.len();
                serde_json::to_value(&h.default_duration).unwrap_or(json!("30s"))
            }
        };
        t.insert("duration".into(), duration);
        if r.cpu > 0 {
            t.insert("cpu".into(), json!(format!("{}m", r.cpu)));
        }
        if r.mem > 0 {
            t.insert("memory".into(), json!(r.mem));
        }
        if let Some(i) = &r.image {
            t.insert("image".into(), json!(i));
        }
        let (read, write) = members.iter().fold((0u64, 0u64), |(a, b), &m| {
            (a.max(raws[m].read), b.max(raws[m].write))
        });
        if read > 0 {
            t.insert("read_bytes".into(), json!(read));
        }
        if write > 0 {
            t.insert("write_bytes".into(), json!(write));
        }
        tasks.push(Value::Object(t));
    }
    if missing_runtime > 0 {
        warnings.push(c.diag(
            &list_at,
            format!(
                "WfFormat: {missing_runtime} tasks have no runtime: the default duration is used"
            ),
            None,
        ));
    }
    if tasks.is_empty() {
        return Err(Box::new(c.diag(
            &list_at,
            "WfFormat: no tasks".into(),
            None,
        )));
    }
    let name = root
        .get("name")
        .and_then(|n| n.v.as_str().map(str::to_string))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "wfformat".into());
    Ok((json!({"name": name, "tasks": tasks}), warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0.0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(86_400.0 * 365.0 + 3661.5), "1971-01-01T01:01:01Z");
        assert_eq!(rfc3339(951_782_400.0), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn ids_are_sanitized() {
        assert_eq!(sanitize("a b/c.d"), "a_b_c.d");
        assert_eq!(sanitize(""), "task");
    }
}
