//! The command line: what the README promises.

use crate::common::{argosim, crate_path, minimal, task};
use predicates::prelude::*;

#[test]
fn run_without_arguments_prints_the_default_report() {
    // README: `argosim run` simulates the embedded default scenario and prints the report.
    argosim()
        .arg("run")
        .assert()
        .success()
        .stdout(predicate::str::contains("Workflows"))
        .stdout(predicate::str::contains("Makespan"))
        .stdout(predicate::str::contains("nightly-etl"));
}

#[test]
fn validate_accepts_the_shipped_default_scenario() {
    argosim()
        .arg("validate")
        .arg(crate_path("scenarios/default.toml"))
        .assert()
        .success()
        .stdout(predicate::str::contains(": ok ("))
        .stdout(predicate::str::contains("8 node(s)"))
        // extract + 400 transform + aggregate + publish
        .stdout(predicate::str::contains("403 pods"));
}

#[test]
fn example_prints_the_embedded_scenario() {
    let out = argosim()
        .arg("example")
        .assert()
        .success()
        .get_output()
        .clone();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text, argosim::scenario::DEFAULT_SCENARIO);
    assert_eq!(
        text,
        std::fs::read_to_string(crate_path("scenarios/default.toml")).unwrap()
    );
}

#[test]
fn example_output_runs_like_the_embedded_default() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("my.toml");
    std::fs::write(&path, argosim::scenario::DEFAULT_SCENARIO).unwrap();
    let from_file = argosim()
        .args(["run", "--format", "json"])
        .arg(&path)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let embedded = argosim()
        .args(["run", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let a: serde_json::Value = serde_json::from_slice(&from_file).unwrap();
    let b: serde_json::Value = serde_json::from_slice(&embedded).unwrap();
    // Same simulation; only the source name differs.
    assert_eq!(a["runs"], b["runs"]);
    assert_eq!(a["summary"], b["summary"]);
    assert_eq!(b["source"], argosim::scenario::DEFAULT_SCENARIO_NAME);
    assert_eq!(a["source"], path.display().to_string());
}

#[test]
fn out_dir_gets_the_same_json_and_table_as_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let scen = dir.path().join("s.toml");
    std::fs::write(&scen, minimal().task(task("a", "30s")).toml()).unwrap();
    let out_dir = dir.path().join("results/today");
    let json = argosim()
        .args(["run", "--format", "json", "--out"])
        .arg(&out_dir)
        .arg(&scen)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(std::fs::read(out_dir.join("report.json")).unwrap(), json);
    let table = argosim()
        .arg("run")
        .arg(&scen)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(std::fs::read(out_dir.join("summary.txt")).unwrap(), table);
    // No temp files left behind by the atomic write.
    let names: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "metrics.prom",
            "nodes.png",
            "nodes.svg",
            "report.json",
            "summary.txt",
            "timeline.png",
            "timeline.svg",
            "timeseries.csv"
        ],
        "{names:?}"
    );
    // The timelines of replication 0 (issue 12 item 2): a pod Gantt chart and node occupancy.
    let svg = std::fs::read_to_string(out_dir.join("timeline.svg")).unwrap();
    assert!(
        svg.contains("Pod timeline of test") && svg.contains("all 1 pods"),
        "{svg:.300}"
    );
    let png = std::fs::read(out_dir.join("nodes.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    let csv = std::fs::read_to_string(out_dir.join("timeseries.csv")).unwrap();
    assert!(csv.starts_with("t_s,"));
    let prom = std::fs::read_to_string(out_dir.join("metrics.prom")).unwrap();
    assert!(prom.contains("argo_workflows_gauge{status=\"Succeeded\"} 1"));
}

#[test]
fn json_report_has_the_documented_top_level_fields() {
    let out = argosim()
        .args([
            "run",
            "--format",
            "json",
            "--replications",
            "2",
            "--seed",
            "3",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    for key in [
        "schema_version",
        "argosim_version",
        "scenario",
        "source",
        "seed",
        "replications",
        "summary",
        "warnings",
        "runs",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["schema_version"], argosim::metrics::REPORT_SCHEMA_VERSION);
    assert_eq!(v["scenario"], "nightly-etl");
    assert_eq!(v["replications"], 2);
    assert_eq!(v["summary"]["makespan_max_s"]["n"], 2);
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs[0]["replication"], 0);
    assert_eq!(runs[1]["replication"], 1);
    assert_eq!(runs[1]["seed"], argosim::replication_seed(3, 1));
}

#[test]
fn zero_replications_is_an_error() {
    argosim()
        .args(["run", "--replications", "0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--replications must be at least 1",
        ));
}

#[test]
fn unknown_subcommand_is_a_usage_error() {
    argosim()
        .arg("simulate")
        .assert()
        .failure()
        .stderr(predicate::str::contains("simulate"));
}

#[test]
fn run_exporters_of_the_default_run() {
    // What `run --out` writes per run: timeseries.csv and metrics.prom.
    let sc = argosim::scenario::default_scenario();
    let r = argosim::simulate(&sc, 1);
    let csv = argosim::output::timeseries_csv(&r);
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with(
        "t_s,\"argo_workflows_queue_depth_gauge{queue_name=\"\"workflow_queue\"\"}\""
    ));
    assert_eq!(lines.count(), r.timeseries.t_s.len());
    let prom = argosim::output::prometheus(&r);
    assert!(prom.contains("argo_workflows_gauge{status=\"Succeeded\"} 1"));
    let created: u64 = r.pods.created;
    assert!(prom.contains(&format!("argo_workflows_k8s_request_total{{kind=\"Pod\",status_code=\"201\",verb=\"CREATE\"}} {created}")));
    assert!(!prom.contains("reason=\"PodInitializing\""));
}

/// Validation warnings reach stderr as `Warning: ...` on every command that reads a scenario
/// (kubectl's convention), and `--quiet` silences them; `run` exits 1 when the horizon cut a
/// replication with workflows unfinished, and says so on stderr.
#[test]
fn warnings_go_to_stderr_on_every_command_and_quiet_silences_them() {
    let text = minimal()
        .experiment("horizon = \"10m\"")
        .task(task("ok", "1m"))
        .task(task("big", "1m").cpu("64"))
        .toml()
        + "[[check]]\nmetric = \"cost_total_usd\"\noperator = \"<\"\nthreshold = \"100\"\n";
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("warn.toml");
    std::fs::write(&p, &text).unwrap();
    let ps = p.to_str().unwrap().to_string();
    let out = dir.path().join("g").to_str().unwrap().to_string();
    let commands: [(Vec<&str>, i32); 5] = [
        (vec!["validate", &ps], 0),
        (vec!["run", &ps], 1),
        (vec!["check", &ps], 1),
        (vec!["compare", &ps, "--set", "controller.qps=50"], 0),
        (
            vec![
                "grid",
                &ps,
                "--axis",
                "controller.qps=20,50",
                "--out",
                &out,
                "--force",
            ],
            0,
        ),
    ];
    for (args, code) in &commands {
        argosim()
            .args(args)
            .assert()
            .code(*code)
            .stderr(predicate::str::contains("Warning: "))
            .stderr(predicate::str::contains("more than any node's allocatable"));
        let quiet = argosim()
            .arg("--quiet")
            .args(args)
            .assert()
            .code(*code)
            .get_output()
            .stderr
            .clone();
        let quiet = String::from_utf8(quiet).unwrap();
        assert!(!quiet.contains("Warning:"), "{args:?}: {quiet}");
    }
    argosim()
        .args(["run", &ps])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "Warning: replication 0 hit the horizon (10m0s) with 1 workflow(s) unfinished",
        ));
}

/// `--set KEY=VALUE` works on run, check and grid as on compare (issue 12 item 5): the value
/// reaches the model, and a bad key names `--set KEY` with did-you-mean.
#[test]
fn set_changes_a_key_on_run_check_and_grid() {
    let out = argosim()
        .args(["run", "--set", "controller.qps=50", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let kube = v["runs"][0]["throttling"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["client"] == "workflow-controller (kube)")
        .unwrap()
        .clone();
    assert_eq!(kube["qps"], 50.0);
    argosim()
        .args(["run", "--set", "controller.qsp=50"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--set controller.qsp: unknown field `qsp`",
        ))
        .stderr(predicate::str::contains("did you mean `qps`?"));
    let s = crate_path("scenarios/throttled-fanout.toml");
    // A breach only the change can cause: 1 node of 16 cores for 2,000 pods misses 15 min.
    argosim()
        .arg("check")
        .arg(&s)
        .args(["--set", "cluster.pools[0].nodes=1", "--replications", "1"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("FAIL"));
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("g");
    argosim()
        .arg("grid")
        .arg(&s)
        .args(["--set", "experiment.replications=1", "--out"])
        .arg(&out)
        .assert()
        .success();
    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    assert_eq!(
        runs.lines().count(),
        1 + 3,
        "3 points x 1 replication: {runs}"
    );
}

/// `run --out` refuses a folder that holds anything unless `--force`, and with it leaves no
/// file of an earlier run (a 3-replication run's timeseries-r2.csv after a 1-replication run).
#[test]
fn run_out_refuses_a_non_empty_folder_and_force_leaves_nothing_stale() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("r");
    argosim()
        .args(["run", "--replications", "3", "--out"])
        .arg(&out)
        .assert()
        .success();
    assert!(out.join("timeseries-r2.csv").exists());
    std::fs::write(out.join("notes.md"), "mine").unwrap();
    argosim()
        .args(["run", "--out"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not empty; pass --force"));
    argosim()
        .args(["run", "--force", "--out"])
        .arg(&out)
        .assert()
        .success();
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "metrics.prom",
            "nodes.png",
            "nodes.svg",
            "notes.md",
            "report.json",
            "summary.txt",
            "timeline.png",
            "timeline.svg",
            "timeseries.csv"
        ]
    );
}

/// `argosim explain` reads docs/scenario.md, and every key the schema accepts is documented
/// there and every documented key is accepted (issue 12 item 5): the schema's own list of
/// fields per table comes from its `deny_unknown_fields` error for an unknown key.
#[test]
fn every_schema_key_has_an_explain_entry_and_vice_versa() {
    use argosim::scenario::explain::entries;
    use std::collections::{BTreeMap, BTreeSet};
    let all = entries();
    let mut sections: BTreeMap<String, bool> = BTreeMap::new();
    for e in &all {
        sections.insert(e.section.clone(), e.array);
    }
    for (section, _) in sections.clone() {
        // The TOML that puts an unknown key inside `section`.
        let mut text = String::new();
        let parts: Vec<&str> = if section.is_empty() {
            Vec::new()
        } else {
            section.split('.').collect()
        };
        for i in 1..=parts.len() {
            let prefix = parts[..i].join(".");
            match sections.get(&prefix) {
                Some(true) => text.push_str(&format!("[[{prefix}]]\n")),
                _ => text.push_str(&format!("[{prefix}]\n")),
            }
        }
        text.push_str("zz_unknown = 1\n");
        let err = argosim::scenario::parse_file("t.toml", &text)
            .err()
            .unwrap_or_else(|| panic!("{section}: unknown key accepted"))
            .to_string();
        let tail = err
            .split("expected")
            .nth(1)
            .unwrap_or_else(|| panic!("{section}: {err}"));
        let tail = tail.lines().next().unwrap();
        let schema: BTreeSet<String> = tail
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect();
        let documented: BTreeSet<String> = all
            .iter()
            .filter(|e| e.section == section)
            .map(|e| e.key.rsplit('.').next().unwrap().to_string())
            .collect();
        assert_eq!(
            schema, documented,
            "[{section}]: schema keys (left) vs docs/scenario.md (right)"
        );
    }
    assert!(sections.len() >= 15, "{sections:?}");
    argosim()
        .args(["explain", "controller.qps"])
        .assert()
        .success()
        .stdout(predicate::str::contains("controller.qps (float)"))
        .stdout(predicate::str::contains("mirrors:  --qps"));
    argosim()
        .args(["explain", "controller.qsp"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `controller.qps`?"));
}

/// Numbers people read (issue 12 item 7): the multi-replication table has units and a mean
/// with its 95 % CI, as `compare` prints; `compare` with common random numbers uses a paired
/// test, and with other seeds Welch's.
#[test]
fn replication_table_has_units_and_cis_and_compare_pairs_common_seeds() {
    let out = argosim()
        .args(["run", "--replications", "3"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("mean (95% CI)"), "{text}");
    let row = text
        .lines()
        .find(|l| l.trim_start().starts_with("cost_total_usd"))
        .unwrap();
    assert!(row.contains("$") && row.contains(" – "), "{row}");
    let s = crate_path("scenarios/default.toml");
    argosim()
        .arg("compare")
        .arg(&s)
        .args(["--set", "controller.qps=50", "--replications", "3"])
        .assert()
        .success()
        .stdout(predicate::str::contains("p (paired)"))
        .stdout(predicate::str::contains(
            "client throttle wait (summed over requests)",
        ));
    argosim()
        .arg("compare")
        .arg(&s)
        .args([
            "--set",
            "controller.qps=50",
            "--replications",
            "3",
            "--candidate-seed",
            "9",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("p (Welch)"));
}

/// `-` reads the scenario from standard input (issue 12 item 5), bounded like a file.
#[test]
fn a_dash_reads_the_scenario_from_stdin() {
    let text = std::fs::read_to_string(crate_path("scenarios/default.toml")).unwrap();
    argosim()
        .args(["validate", "-"])
        .write_stdin(text.clone())
        .assert()
        .success()
        .stdout(predicate::str::contains("-: ok ("));
    argosim()
        .args(["run", "-o", "json", "-"])
        .write_stdin(text)
        .assert()
        .success()
        .stdout(predicate::str::contains("\"scenario\": \"nightly-etl\""));
    argosim()
        .args(["validate", "-"])
        .write_stdin("[controller]\nqsp = 1\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "-:2:1: controller.qsp: unknown field `qsp`",
        ));
}

/// The same JSON document, numbers equal to 1e-12 relative (YAML prints floats its own way).
fn same_doc(a: &serde_json::Value, b: &serde_json::Value, at: &str) {
    use serde_json::Value as V;
    match (a, b) {
        (V::Number(x), V::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!(
                (x - y).abs() <= 1e-12 * x.abs().max(1.0),
                "{at}: {x} vs {y}"
            );
        }
        (V::Array(x), V::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{at}");
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                same_doc(p, q, &format!("{at}[{i}]"));
            }
        }
        (V::Object(x), V::Object(y)) => {
            assert!(x.keys().eq(y.keys()), "{at}: keys differ");
            for (k, p) in x {
                same_doc(p, &y[k], &format!("{at}.{k}"));
            }
        }
        _ => assert_eq!(a, b, "{at}"),
    }
}

fn stdout_of(args: &[&str]) -> String {
    let out = argosim().args(args).output().expect("runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// `-o yaml` is the same document as `-o json` (issue 12 item 5), on run, compare and check;
/// `-o wide` shows what the table truncates.
#[test]
fn output_formats_yaml_json_and_wide_agree() {
    let json: serde_json::Value = serde_json::from_str(&stdout_of(&["run", "-o", "json"])).unwrap();
    let yaml: serde_json::Value =
        serde_norway::from_str(&stdout_of(&["run", "-o", "yaml"])).unwrap();
    same_doc(&json, &yaml, "run");
    assert!(json["runs"][0]["limits"]["verdict"].is_string());

    let fanout = crate_path("scenarios/throttled-fanout.toml");
    let fanout = fanout.to_str().unwrap();
    let base = [
        "compare",
        fanout,
        "--set",
        "controller.qps=100",
        "--replications",
        "2",
    ];
    let cj: serde_json::Value =
        serde_json::from_str(&stdout_of(&[&base[..], &["-o", "json"]].concat())).unwrap();
    let cy: serde_json::Value =
        serde_norway::from_str(&stdout_of(&[&base[..], &["-o", "yaml"]].concat())).unwrap();
    same_doc(&cj, &cy, "compare");
    assert_eq!(cj["test"], "paired t");
    assert!(cj["metrics"].as_array().unwrap().len() >= 10);
    assert!(cj["critical_path"][0]["cause"].is_string());

    let check = ["check", fanout, "--replications", "2", "-o", "json"];
    let ck: serde_json::Value = serde_json::from_str(&stdout_of(&check)).unwrap();
    assert_eq!(ck["passed"], true, "{ck}");
    assert!(ck["checks"][0]["condition"].is_string());

    // wide: every cause and one row per workflow; the table stops at six causes.
    let t = crate_path("scenarios/templaterefs.toml");
    let t = t.to_str().unwrap();
    let table = stdout_of(&["run", t, "-q"]);
    let wide = stdout_of(&["run", t, "-q", "-o", "wide"]);
    assert!(
        table.contains("other causes (report.json: limits)"),
        "{table}"
    );
    assert!(!wide.contains("other causes"), "{wide}");
    assert_eq!(
        wide.lines().filter(|l| l.starts_with("  refs-")).count(),
        100
    );
}

/// `import --with-cluster` emits a scenario that runs as it is (issue 12 item 8); without it
/// the header says what to add; an unknown pool name lists the known ones.
#[test]
fn import_with_cluster_runs_as_it_is() {
    let m = crate_path("scenarios/manifests");
    let (wf, lib) = (m.join("etl.yaml"), m.join("etl-templates.yaml"));
    let args = |extra: &[&str]| {
        let mut v = vec![
            "import".to_string(),
            "-q".into(),
            wf.to_str().unwrap().into(),
            "--library".into(),
            lib.to_str().unwrap().into(),
        ];
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let bare = argosim().args(args(&[])).output().unwrap();
    let bare = String::from_utf8(bare.stdout).unwrap();
    assert!(
        bare.contains("Not runnable yet: add a [[cluster.pools]] table"),
        "{bare}"
    );
    argosim()
        .args(["run", "-q", "-"])
        .write_stdin(bare)
        .assert()
        .code(2);

    let out = argosim()
        .args(args(&[
            "--with-cluster",
            "eks-m5-4xlarge",
            "--nodes",
            "2",
            "--max-nodes",
            "5",
        ]))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("price_per_hour = 0.768") && text.contains("max_nodes = 5"),
        "{text}"
    );
    let run = argosim()
        .args(["run", "-q", "-o", "json", "-"])
        .write_stdin(text)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(r["runs"][0]["workflows"]["succeeded"], 1);
    assert_eq!(r["runs"][0]["cost"]["by_pool"][0]["pool"], "eks-m5-4xlarge");

    argosim()
        .args(args(&["--with-cluster", "n2"]))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "unknown example pool `n2`; one of: gke-n2-standard-16",
        ));
}

/// The API table's columns widen to their longest value: the default run has a
/// `deletecollection` row (16 characters, wider than the verb column's 7), and its count
/// must end where the header's `count` ends; latencies under a second print in ms.
#[test]
fn the_api_table_stays_aligned_and_shows_milliseconds() {
    let text = stdout_of(&["run"]);
    let header = text
        .lines()
        .find(|l| l.trim_start().starts_with("client") && l.contains("resource"))
        .expect("API table header");
    let count_end = header.find("count").expect("count column") + "count".len();
    let rows: Vec<&str> = text
        .lines()
        .skip_while(|l| *l != header)
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .collect();
    assert!(
        rows.iter().any(|l| l.contains("deletecollection")),
        "{text}"
    );
    for row in &rows {
        let upto = row.get(..count_end).unwrap_or(row);
        assert!(
            upto.ends_with(|c: char| c.is_ascii_digit()) && row[count_end..].starts_with(' '),
            "misaligned row:\n{header}\n{row}"
        );
        assert!(row.trim_end().ends_with("ms"), "latency not in ms: {row}");
    }
}

/// `argosim run | head`: the reader closes the pipe before the report is written. The write
/// fails with EPIPE (Rust ignores SIGPIPE), and the program ends quietly with 141, the status
/// of a Unix tool killed by SIGPIPE, not with `print!`'s panic and backtrace.
#[test]
fn a_closed_stdout_pipe_ends_quietly_with_141() {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_argosim"))
        .args(["run", "-o", "json"])
        .arg(crate_path("scenarios/market-run.toml"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("argosim starts");
    // Close the read end at once: the run takes far longer than this before it writes.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("argosim ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");
    assert_eq!(out.status.code(), Some(141), "stderr: {stderr}");
}
