//! Bad scenarios: every problem names the file, the line and the dotted key, and the CLI exits
//! with status 2; impossible-but-valid scenarios warn and still run to the horizon.

use crate::common::{argosim, invalid, line_of, minimal, run, task};
use argosim::scenario::diag::Diagnostic;
use predicates::prelude::*;
use std::path::PathBuf;

/// A valid base scenario with a two-task DAG (`extract` → `load`) named `etl`.
fn base() -> String {
    r#"name = "base"
[[cluster.pools]]
name = "p"
cpu = "16"
memory = "64Gi"
price_per_hour = 1.0
nodes = 1
[[workflows]]
name = "etl"
[[workflows.tasks]]
name = "extract"
duration = "1s"
[[workflows.tasks]]
name = "load"
depends = ["extract"]
duration = "1s"
[[submissions]]
workflow = "etl"
"#
    .to_string()
}

fn with_controller(lines: &str) -> String {
    format!("{}[controller]\n{lines}\n", base())
}

/// The single diagnostic of an invalid scenario.
fn single(text: &str) -> Diagnostic {
    let e = invalid(text);
    let d = e.diagnostics();
    assert_eq!(d.len(), 1, "expected one diagnostic, got: {e}");
    d[0].clone()
}

/// Write `text` to a temp dir as `name`; returns the dir (keep it alive) and the path.
fn write(name: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn stderr_of(args: &[&std::ffi::OsStr], code: i32) -> String {
    let out = argosim()
        .args(args)
        .assert()
        .code(code)
        .get_output()
        .clone();
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn base_scenario_is_valid() {
    crate::common::scenario(&base());
}

// ------------------------------------------------------------------ library diagnostics

#[test]
fn unknown_key_names_the_key_and_suggests_the_closest() {
    let text = with_controller("qps = 10\nqsp = 5");
    let d = single(&text);
    assert_eq!(d.file, "test.toml");
    assert_eq!(d.key.as_deref(), Some("controller.qsp"));
    assert_eq!(d.line, Some(line_of(&text, "qsp = 5")));
    assert!(d.message.contains("unknown field `qsp`"), "{}", d.message);
    assert_eq!(d.help.as_deref(), Some("did you mean `qps`?"));
    let shown = d.to_string();
    assert!(
        shown.starts_with(&format!(
            "test.toml:{}:1: controller.qsp: unknown field `qsp`",
            line_of(&text, "qsp = 5")
        )),
        "{shown}"
    );
    assert!(shown.ends_with("\n  help: did you mean `qps`?"), "{shown}");
}

#[test]
fn unknown_key_in_a_nested_array_table() {
    let text = base().replace("name = \"load\"", "name = \"load\"\nwidht = 3");
    let d = single(&text);
    assert_eq!(d.key.as_deref(), Some("workflows[0].tasks[1].widht"));
    assert_eq!(d.line, Some(line_of(&text, "widht")));
    assert_eq!(d.help.as_deref(), Some("did you mean `width`?"));
}

#[test]
fn an_autoscaler_version_that_is_not_1_n_names_key_and_line() {
    let text = format!("{}[autoscaler]\nversion = \"latest\"\n", base());
    let d = single(&text);
    assert_eq!(d.key.as_deref(), Some("autoscaler.version"));
    assert_eq!(d.line, Some(line_of(&text, "version = ")));
    assert!(d.message.contains("\"1.N\""), "{}", d.message);
}

#[test]
fn negative_qps_names_key_and_line() {
    let text = with_controller("burst = 30\nqps = -5");
    let d = single(&text);
    assert_eq!(d.key.as_deref(), Some("controller.qps"));
    assert_eq!(d.line, Some(line_of(&text, "qps = -5")));
    assert!(d.message.contains("-5"), "{}", d.message);
    assert!(d.message.contains("positive"), "{}", d.message);
}

#[test]
fn zero_rates_are_rejected_too() {
    let text = format!(
        "{}[scheduler]\nqps = 0\n[argo_server]\nkube_api_qps = 0\n",
        base()
    );
    let e = invalid(&text);
    let keys: Vec<_> = e
        .diagnostics()
        .iter()
        .filter_map(|d| d.key.clone())
        .collect();
    assert!(keys.contains(&"scheduler.qps".to_string()), "{keys:?}");
    assert!(
        keys.contains(&"argo_server.kube_api_qps".to_string()),
        "{keys:?}"
    );
}

#[test]
fn bare_duration_number_is_ambiguous() {
    let text = with_controller("default_requeue_time = 10");
    let d = single(&text);
    assert_eq!(d.key.as_deref(), Some("controller.default_requeue_time"));
    assert_eq!(d.line, Some(line_of(&text, "default_requeue_time")));
    assert!(d.message.contains("ambiguous"), "{}", d.message);
    assert!(d.message.contains("\"10s\""), "{}", d.message);
}

#[test]
fn unknown_workflow_in_submissions_suggests_the_defined_one() {
    let text = base().replace("workflow = \"etl\"", "workflow = \"elt\"");
    let d = single(&text);
    assert_eq!(d.key.as_deref(), Some("submissions[0].workflow"));
    assert_eq!(d.line, Some(line_of(&text, "workflow = \"elt\"")));
    assert_eq!(d.message, "unknown workflow \"elt\"");
    assert_eq!(d.help.as_deref(), Some("did you mean `etl`?"));
}

#[test]
fn unknown_workflow_far_from_any_name_lists_the_defined_ones() {
    let text = base().replace("workflow = \"etl\"", "workflow = \"nightly\"");
    let d = single(&text);
    assert_eq!(d.help.as_deref(), Some("defined workflows: etl"));
}

#[test]
fn depends_on_an_unknown_task_is_an_error() {
    let text = base().replace("depends = [\"extract\"]", "depends = [\"extrct\"]");
    let d = single(&text);
    assert_eq!(d.key.as_deref(), Some("workflows[0].tasks[1].depends"));
    assert_eq!(d.line, Some(line_of(&text, "depends")));
    assert_eq!(d.message, "unknown task \"extrct\"");
    assert_eq!(d.help.as_deref(), Some("did you mean `extract`?"));
}

#[test]
fn depends_on_itself_or_a_later_task_is_an_error() {
    let text = base().replace("depends = [\"extract\"]", "depends = [\"load\"]");
    let d = single(&text);
    assert!(d.message.contains("depends on itself"), "{}", d.message);
    // Declared later: this also rules out cycles.
    let text = base().replace(
        "duration = \"1s\"\n[[workflows.tasks]]",
        "duration = \"1s\"\ndepends = [\"load\"]\n[[workflows.tasks]]",
    );
    let e = invalid(&text);
    assert!(
        e.diagnostics()
            .iter()
            .any(|d| d.message.contains("declared later")
                && d.key.as_deref() == Some("workflows[0].tasks[0].depends")),
        "{e}"
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = with_controller("qps = -1\nworkflow_workers = 0")
        .replace("workflow = \"etl\"", "workflow = \"nope\"");
    let e = invalid(&text);
    let keys: Vec<_> = e
        .diagnostics()
        .iter()
        .filter_map(|d| d.key.clone())
        .collect();
    for k in [
        "controller.qps",
        "controller.workflow_workers",
        "submissions[0].workflow",
    ] {
        assert!(keys.iter().any(|x| x == k), "missing {k} in {keys:?}");
    }
    // Display lists them one per line block.
    let shown = e.to_string();
    assert!(shown.contains("controller.qps"));
    assert!(shown.contains("submissions[0].workflow"));
}

#[test]
fn failure_probability_out_of_range() {
    let text = base().replace(
        "name = \"load\"",
        "name = \"load\"\nfailure_probability = 1.5",
    );
    let d = single(&text);
    assert_eq!(
        d.key.as_deref(),
        Some("workflows[0].tasks[1].failure_probability")
    );
    assert_eq!(d.line, Some(line_of(&text, "failure_probability")));
}

#[test]
fn no_submissions_is_an_error() {
    let text = base().replace("[[submissions]]\nworkflow = \"etl\"\n", "");
    let d = single(&text);
    assert_eq!(d.key.as_deref(), Some("submissions"));
}

// ------------------------------------------------------------------ CLI

#[test]
fn malformed_toml_exits_2_with_file_and_line() {
    let text = "name = \"x\"\n[experiment]\nseed = = 3\n";
    let (_dir, path) = write("broken.toml", text);
    for cmd in ["validate", "run"] {
        let err = stderr_of(&[cmd.as_ref(), path.as_os_str()], 2);
        let want = format!("{}:3:", path.display());
        assert!(err.contains(&want), "{cmd}: want {want:?} in:\n{err}");
        assert!(err.starts_with("error: "), "{err}");
    }
}

#[test]
fn cli_unknown_key_shows_help() {
    let text = with_controller("qsp = 5");
    let (_dir, path) = write("typo.toml", &text);
    let err = stderr_of(&["validate".as_ref(), path.as_os_str()], 2);
    let line = line_of(&text, "qsp = 5");
    assert!(
        err.contains(&format!("{}:{line}:1: controller.qsp", path.display())),
        "{err}"
    );
    assert!(err.contains("did you mean `qps`"), "{err}");
}

#[test]
fn cli_negative_qps_names_key_and_line() {
    let text = with_controller("qps = -5");
    let (_dir, path) = write("neg.toml", &text);
    let err = stderr_of(&["run".as_ref(), path.as_os_str()], 2);
    let line = line_of(&text, "qps = -5");
    assert!(
        err.contains(&format!("{}:{line}: controller.qps", path.display())),
        "{err}"
    );
}

#[test]
fn missing_file_exits_2_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("does-not-exist.toml");
    for cmd in ["validate", "run"] {
        argosim()
            .arg(cmd)
            .arg(&path)
            .assert()
            .code(2)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains(path.display().to_string()))
            .stderr(predicate::str::contains("cannot read scenario"));
    }
}

// ------------------------------------------------------------------ valid but impossible

fn oversized_pod() -> String {
    // One 64-CPU pod on two 16-CPU nodes: it can never be scheduled.
    minimal()
        .nodes(2, "16")
        .experiment("horizon = \"2h\"")
        .task(task("big", "1m").cpu("64"))
        .toml()
}

#[test]
fn pod_larger_than_any_node_warns_on_validate() {
    let (_dir, path) = write("huge.toml", &oversized_pod());
    argosim()
        .arg("validate")
        .arg(&path)
        .assert()
        .success()
        .stdout(predicate::str::contains(": ok ("))
        .stderr(predicate::str::contains("Warning: "))
        .stderr(predicate::str::contains("workflows[0].tasks[0].cpu"))
        .stderr(predicate::str::contains("more than any node's allocatable"));
}

#[test]
fn pod_larger_than_any_node_runs_to_the_horizon() {
    let r = run(&oversized_pod(), 1);
    assert!(r.horizon_reached);
    assert_eq!(r.end_time_s, 7200.0);
    assert_eq!(r.workflows.unfinished, 1);
    assert_eq!(r.workflows.succeeded, 0);
    assert_eq!(r.workflows.list[0].finished_at_s, None);
    assert_eq!(r.workflows.makespan_s.count, 0);
    assert!(r.pods.by_phase["Pending"] >= 1);
    assert_eq!(r.pods.by_phase["Running"], 0);
    assert!(
        r.pods
            .unschedulable_messages
            .keys()
            .any(|m| m.contains("Insufficient cpu")),
        "{:?}",
        r.pods.unschedulable_messages
    );
    assert_eq!(
        r.pods
            .unschedulable_messages
            .get("0/2 nodes are available: 2 Insufficient cpu."),
        Some(&1)
    );
    // Billed for the whole horizon: 2 nodes × 2 h × $1 + 2 h × $0.10.
    assert!(
        (r.cost.total_usd - 4.2).abs() < 1e-9,
        "{}",
        r.cost.total_usd
    );
    // The scheduler's backoff caps at podMaxBackoffSeconds: the run does not spin.
    assert!(r.events < 10_000, "{} events", r.events);
}

#[test]
fn pod_larger_than_any_node_cli_run_completes() {
    let (_dir, path) = write("huge.toml", &oversized_pod());
    let out = argosim()
        .args(["run", "--format", "json"])
        .arg(&path)
        .assert()
        // The horizon cut the run with the workflow unfinished: exit 1, report still printed.
        .code(1)
        .stderr(predicate::str::contains(
            "Warning: replication 0 hit the horizon (2h0m0s) with 1 workflow(s) unfinished",
        ))
        .get_output()
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["runs"][0]["horizon_reached"], true);
    assert_eq!(v["runs"][0]["workflows"]["unfinished"], 1);
    let warnings = v["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0]
            .as_str()
            .unwrap()
            .contains("more than any node's allocatable")
    );
}

/// An autoscaled pool whose `max_nodes` was left unset can never grow: the first warning says
/// so, naming the pool, its line and the fix (issue 12 item 4).
#[test]
fn an_autoscaled_pool_without_max_nodes_is_the_first_warning() {
    let text = format!(
        "{}[autoscaler]\nmode = \"cluster-autoscaler\"\n",
        base().replace("nodes = 1\n", "nodes = 1\n[[cluster.pools]]\nname = \"q\"\ncpu = \"16\"\nmemory = \"64Gi\"\nprice_per_hour = 1.0\nnodes = 0\nmax_nodes = 5\n")
    );
    let sc = crate::common::scenario(&text);
    let first = &sc.warnings[0];
    assert_eq!(first.key.as_deref(), Some("cluster.pools[0]"), "{first}");
    assert!(
        first.message.contains("pool \"p\" has no max_nodes"),
        "{first}"
    );
    assert!(first.message.contains("can never scale up"), "{first}");
    assert_eq!(first.line, Some(line_of(&text, "[[cluster.pools]]")));
    assert!(
        first
            .help
            .as_deref()
            .unwrap()
            .contains("set cluster.pools[0].max_nodes")
    );
    // Pool q sets max_nodes: no warning about it.
    assert!(!sc.warnings.iter().any(|w| w.message.contains("pool \"q\"")));
}

/// A task no pool can fit names each pool it may use and what is too small there; a task no
/// pool admits names why for each pool.
#[test]
fn a_task_that_fits_no_pool_names_the_pools_and_the_resource() {
    let text = minimal().task(task("big", "1m").cpu("64")).toml();
    let sc = crate::common::scenario(&text);
    let w = sc
        .warnings
        .iter()
        .find(|w| w.message.contains("more than any node's allocatable"))
        .unwrap();
    assert!(
        w.message.contains("(pool \"p\": cpu 16 allocatable)"),
        "{w}"
    );
    assert!(
        !w.message.contains("memory 0 B allocatable"),
        "memory fits: {w}"
    );
    assert!(!w.message.contains("memory 16"), "memory fits: {w}");

    let tainted = minimal().task(task("t", "1m")).toml().replacen(
        "price_per_hour",
        "taints = [\"cloud.google.com/gke-spot\"]\nprice_per_hour",
        1,
    );
    let sc = crate::common::scenario(&tainted);
    let w = sc
        .warnings
        .iter()
        .find(|w| w.message.contains("may run on no pool"))
        .unwrap_or_else(|| panic!("{:?}", sc.warnings));
    assert!(
        w.message
            .contains("pool \"p\": taint cloud.google.com/gke-spot not tolerated"),
        "{w}"
    );
}
