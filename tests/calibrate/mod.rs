//! `calibrate`, `replay` and `run --argo-objects` through the CLI: the round trip on the
//! simulator's own export (tests/data/calibrate/truth.toml → Argo objects → calibrate
//! blind.toml → replay), real Workflow objects (argo-workflows' controller test data, read
//! from `../shared/observed/` or `$ARGOSIM_OBSERVED_DIR`, never copied into this repository:
//! tests/data/observed/README.md), and refusals that name what is missing.

use crate::common::argosim;
use serde_json::Value;
use std::path::{Path, PathBuf};

const TRUTH: &str = "tests/data/calibrate/truth.toml";
const BLIND: &str = "tests/data/calibrate/blind.toml";

/// The real Workflow objects (YAML files), if present: `$ARGOSIM_OBSERVED_DIR`, else
/// `../shared/observed/` beside the repository.
fn real_objects() -> Option<Vec<PathBuf>> {
    let dir = std::env::var_os("ARGOSIM_OBSERVED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::common::crate_path("../shared/observed"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    if files.is_empty() {
        return None;
    }
    Some(files)
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("readable")).expect("JSON")
}

/// Simulate the truth scenario and export it; returns (dir, workflows.json, pods.json).
fn export() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("run");
    argosim()
        .args(["run", TRUTH, "-q", "--argo-objects", "--out"])
        .arg(&out)
        .assert()
        .success();
    (dir, out.join("workflows.json"), out.join("pods.json"))
}

fn task<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .find(|t| t["task"] == name)
        .unwrap_or_else(|| panic!("no task {name} in {report}"))
}

fn stage(report: &Value, key: &str) -> f64 {
    report["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .find(|s| s["key"] == key)
        .unwrap_or_else(|| panic!("no stage {key}"))["value_s"]
        .as_f64()
        .expect("value")
}

/// Within `k` standard errors of `truth`.
fn within_se(fit: &Value, field: &str, se: &str, truth: f64, k: f64) {
    let v = fit[field].as_f64().expect(field);
    let e = fit[se].as_f64().expect(se);
    assert!(
        (v - truth).abs() <= k * e,
        "{field} {v} is {:.1} SE ({e}) from {truth}: {fit}",
        (v - truth).abs() / e
    );
}

#[test]
fn round_trip_recovers_run_times_and_startup_stages_and_replays_within_5_percent() {
    let (dir, wfs, pods) = export();
    // The export reads like `kubectl get wf,pods -o json`.
    let w = json(&wfs);
    assert_eq!(w["kind"], "List");
    assert_eq!(w["items"].as_array().unwrap().len(), 12);
    assert_eq!(w["items"][0]["kind"], "Workflow");
    assert_eq!(json(&pods)["items"].as_array().unwrap().len(), 12 * 42);

    let cal = dir.path().join("cal");
    argosim()
        .args(["calibrate", "-q", "--scenario", BLIND, "--out"])
        .arg(&cal)
        .arg(&wfs)
        .arg("--pods")
        .arg(&pods)
        .assert()
        .success();
    let r = json(&cal.join("calibration.json"));
    // truth: fan lognormal mean 5m stddev 2m (480 pods), prep normal 2m / 15s (12 pods),
    // reduce constant 45s.
    let fan = &task(&r, "fan")["fit"];
    assert_eq!(fan["kind"], "lognormal", "{fan}");
    assert_eq!(fan["n"], 480);
    within_se(fan, "mean_s", "mean_se_s", 300.0, 3.0);
    within_se(fan, "stddev_s", "stddev_se_s", 120.0, 3.0);
    let prep = &task(&r, "prep")["fit"];
    within_se(prep, "mean_s", "mean_se_s", 120.0, 3.0);
    within_se(prep, "stddev_s", "stddev_se_s", 15.0, 3.0);
    let reduce = &task(&r, "reduce")["fit"];
    assert_eq!(reduce["kind"], "constant", "{reduce}");
    assert!(
        (reduce["mean_s"].as_f64().unwrap() - 45.0).abs() < 0.5,
        "{reduce}"
    );
    // Startup stages within 10 % (truth 2.5 s, 1.7 s, 3.2 s), from 1 s timestamps.
    for (key, truth) in [
        ("sandbox_start", 2.5),
        ("init_container_time", 1.7),
        ("wait_container_time", 3.2),
    ] {
        let v = stage(&r, key);
        assert!((v / truth - 1.0).abs() < 0.10, "{key}: {v} vs {truth}");
    }
    // The calibrated scenario keeps the file's comments and says where each value came from.
    let text = std::fs::read_to_string(cal.join("scenario.toml")).unwrap();
    assert!(text.contains("# The truth scenario (truth.toml)"), "{text}");
    assert!(text.contains("sandbox_start = \"2.4"), "{text}");
    assert!(
        text.lines().any(
            |l| l.starts_with("duration = { distribution = \"lognormal\"")
                && l.contains("# calibrated:")
                && l.contains("480 pods")
        ),
        "{text}"
    );

    // Replay the calibrated scenario against the export: makespan within 5 %.
    let out = argosim()
        .args([
            "replay",
            "-q",
            "-o",
            "json",
            "--replications",
            "3",
            "--max-error",
            "5%",
            "--scenario",
        ])
        .arg(cal.join("scenario.toml"))
        .arg(&wfs)
        .arg("--pods")
        .arg(&pods)
        .arg("--out")
        .arg(dir.path().join("replay"))
        .assert()
        .success();
    let rep: Value = serde_json::from_slice(&out.get_output().stdout).expect("JSON");
    let e = rep["overall"]["mean_makespan_s"]["error"]["pct"]
        .as_f64()
        .unwrap();
    assert!(e.abs() < 5.0, "mean makespan error {e} %");
    assert_eq!(rep["overall"]["workflows"], 12);
    assert_eq!(rep["workflows"][3]["pods"]["observed"], 42.0);
    for f in [
        "replay.json",
        "replay.md",
        "makespan-observed-vs-predicted.png",
        "makespan-observed-vs-predicted.svg",
    ] {
        assert!(dir.path().join("replay").join(f).is_file(), "{f}");
    }
    // The blind scenario does not match: its 1m run times are far off, and the gate fails.
    argosim()
        .args([
            "replay",
            "-q",
            "--replications",
            "1",
            "--max-error",
            "5",
            "--scenario",
            BLIND,
        ])
        .arg(&wfs)
        .assert()
        .code(1)
        .stdout(predicates::str::contains("BREACHED"));
}

#[test]
fn the_export_lays_out_status_nodes_as_the_controller_does() {
    // Retries and a loop: Retry nodes with attempts (k), a TaskGroup with items (i:i), the
    // dependent task under each outbound pod node, node ids Workflow.NodeID. Upstream
    // (argo-workflows v3.6.19): workflow/controller/dag.go `executeDAGTask` (children from
    // the dependencies' outbound nodes), pkg/apis/workflow/v1alpha1/workflow_types.go
    // `(*Workflow).NodeID`, workflow/util/pod_name.go `GeneratePodName` (v2 names).
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("s.toml");
    std::fs::write(
        &sc,
        "name = \"t\"\n[[cluster.pools]]\nname = \"p\"\nmachine_type = \"n2-standard-16\"\ncpu = \"16\"\nmemory = \"64Gi\"\nprice_per_hour = 0.78\nnodes = 2\n\
         [[workflows]]\nname = \"w\"\n\
         [[workflows.tasks]]\nname = \"a\"\nwidth = 3\nduration = \"30s\"\n\
         [[workflows.tasks]]\nname = \"b\"\ndepends = [\"a\"]\nduration = \"10s\"\nfailure_probability = 0.999\nretry = { limit = 1 }\n\
         [[submissions]]\nworkflow = \"w\"\nvia = \"kubectl\"\n",
    )
    .unwrap();
    let out = dir.path().join("o");
    argosim()
        .args(["run", "-q", "--argo-objects", "--out"])
        .arg(&out)
        .arg(&sc)
        .assert()
        .success();
    let w = json(&out.join("workflows.json"));
    let wf = &w["items"][0];
    assert_eq!(wf["metadata"]["name"], "w-0");
    assert_eq!(wf["status"]["phase"], "Failed");
    let nodes = wf["status"]["nodes"].as_object().unwrap();
    let by_name = |n: &str| {
        nodes
            .values()
            .find(|v| v["name"] == n)
            .unwrap_or_else(|| panic!("no node {n}: {nodes:?}"))
    };
    assert_eq!(by_name("w-0")["type"], "DAG");
    assert_eq!(by_name("w-0.a")["type"], "TaskGroup");
    assert_eq!(by_name("w-0.a(1:1)")["type"], "Pod");
    let retry = by_name("w-0.b");
    assert_eq!(retry["type"], "Retry");
    assert_eq!(retry["children"].as_array().unwrap().len(), 2);
    assert_eq!(by_name("w-0.b(1)")["phase"], "Failed");
    // Each item of `a` is a parent of `b`'s Retry node.
    for i in 0..3 {
        let item = by_name(&format!("w-0.a({i}:{i})"));
        assert_eq!(item["children"][0], retry["id"]);
    }
    // Pod names are GeneratePodName v2 and carry the node annotations.
    let pods = json(&out.join("pods.json"));
    let p = &pods["items"][0];
    assert!(
        p["metadata"]["name"]
            .as_str()
            .unwrap()
            .starts_with("w-0-a-")
    );
    assert_eq!(
        p["metadata"]["labels"]["workflows.argoproj.io/workflow"],
        "w-0"
    );
    assert!(
        nodes.contains_key(
            p["metadata"]["annotations"]["workflows.argoproj.io/node-id"]
                .as_str()
                .unwrap()
        )
    );
}

#[test]
fn real_workflow_objects_import_calibrate_and_replay() {
    // Five Workflow objects with status from argo-workflows v3.6.19's controller test data
    // (one dumped without kind/apiVersion, as that repository keeps it).
    let Some(files) = real_objects() else {
        eprintln!(
            "skipped: no real Workflow objects in ../shared/observed/ or $ARGOSIM_OBSERVED_DIR (tests/data/observed/README.md says which)"
        );
        return;
    };
    assert_eq!(files.len(), 5);
    let dir = tempfile::tempdir().unwrap();
    // A scenario from the same manifests (their specs), on an example pool.
    let out = argosim()
        .args(["import", "-q", "--with-cluster", "gke-n2-standard-16"])
        .args(&files)
        .assert()
        .success();
    let sc = dir.path().join("real.toml");
    std::fs::write(&sc, &out.get_output().stdout).unwrap();
    let cal = dir.path().join("cal");
    argosim()
        .args(["calibrate", "-q", "-o", "json", "--scenario"])
        .arg(&sc)
        .arg("--out")
        .arg(&cal)
        .args(&files)
        .assert()
        .success()
        .stdout(predicates::str::contains("\"workflows\": 5"));
    let r = json(&cal.join("calibration.json"));
    // dag_retry_succeeded: step1 ran 3 attempts, 2 Failed; its Succeeded run 10:23:01-10:23:08
    // is 7 s of node time; without pods the scenario's startup (1+1+1 s) comes off.
    let step1 = task(&r, "step1");
    assert_eq!(step1["attempts"], 3);
    assert_eq!(step1["failed"], 2);
    assert_eq!(step1["fit"]["mean_s"], 4.0);
    argosim()
        .args(["replay", "-q", "--replications", "2", "--scenario"])
        .arg(cal.join("scenario.toml"))
        .args(&files)
        .assert()
        .success()
        .stdout(predicates::str::contains("dag-with-retries-4wkh8"));
}

#[test]
fn refusals_name_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "{\"kind\": \"Workflow\", \"metadata\": {\"name\": \"w-1\", \"creationTimestamp\": \"2024-01-01T00:00:00Z\"}, \"spec\": {}}",
            "status.nodes",
        ),
        (
            "{\"kind\": \"Workflow\", \"metadata\": {\"name\": \"w-1\", \"creationTimestamp\": \"2024-01-01T00:00:00Z\"}, \"status\": {\"offloadNodeStatusVersion\": \"x\"}}",
            "offloaded",
        ),
        (
            "{\"kind\": \"Workflow\", \"metadata\": {\"name\": \"w-1\"}, \"status\": {\"nodes\": {}}}",
            "metadata.creationTimestamp",
        ),
        (
            "{\"kind\": \"Workflow\", \"metadata\": {\"name\": \"w-1\", \"creationTimestamp\": \"yesterday\"}, \"status\": {\"nodes\": {}}}",
            "not an RFC 3339 timestamp",
        ),
        (
            "{\"kind\": \"Pod\", \"metadata\": {\"name\": \"p\", \"creationTimestamp\": \"2024-01-01T00:00:00Z\"}}",
            "workflows.argoproj.io/workflow",
        ),
        ("[1, 2", "not valid JSON"),
    ];
    for (i, (doc, want)) in cases.iter().enumerate() {
        let f = dir.path().join(format!("bad{i}.json"));
        std::fs::write(&f, doc).unwrap();
        argosim()
            .args(["calibrate", "--scenario", "scenarios/default.toml"])
            .arg(&f)
            .assert()
            .code(2)
            .stderr(predicates::str::contains(*want))
            .stderr(predicates::str::contains(format!("bad{i}.json")));
    }
}

/// Bounded mutation fuzzing of the observed-run reader and calibrate (and replay for a few):
/// every mutated input ends in a clean error or a result, never a panic.
#[test]
fn mutated_observed_objects_never_panic() {
    use argosim::observed::{ObservedInput, parse_text};
    let (_dir, wfs, pods) = export();
    let mut seeds: Vec<(String, String)> = real_objects()
        .unwrap_or_default()
        .iter()
        .map(|p| (p.display().to_string(), std::fs::read_to_string(p).unwrap()))
        .collect();
    // The first workflow and pods of the export keep cases small.
    let first = |p: &Path, n: usize| {
        let mut v = json(p);
        v["items"].as_array_mut().unwrap().truncate(n);
        serde_json::to_string_pretty(&v).unwrap()
    };
    seeds.push(("wfs.json".into(), first(&wfs, 1)));
    let yaml: Value = serde_json::from_str(&first(&wfs, 1)).unwrap();
    seeds.push(("wfs.yaml".into(), serde_norway::to_string(&yaml).unwrap()));
    seeds.push(("pods.json".into(), first(&pods, 6)));
    let sc_text = std::fs::read_to_string(BLIND).unwrap();
    let sc = argosim::parse_scenario(BLIND, &sc_text).unwrap();
    let junk = [
        "",
        "null",
        "-1",
        "1e308",
        "\"2024-13-40T99:99:99Z\"",
        "\"9999-12-31T23:59:59Z\"",
        "\"0001-01-01T00:00:00Z\"",
        "[]",
        "{}",
        "\"Pod\"",
        "\"Retry\"",
        "NaN",
        "\"(((\"",
    ];
    let mut rng: u64 = 0x5eed;
    let mut next = |n: usize| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng % n.max(1) as u64) as usize
    };
    let cases = 1500;
    let mut parsed = 0;
    for case in 0..cases {
        let (name, text) = &seeds[next(seeds.len())];
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        for _ in 0..1 + next(3) {
            let i = next(lines.len());
            match next(4) {
                0 => {
                    lines.remove(i);
                }
                1 => {
                    let l = lines[i].clone();
                    lines.insert(i, l);
                }
                _ => {
                    if let Some((k, _)) = lines[i].split_once(": ") {
                        lines[i] = format!("{k}: {}", junk[next(junk.len())]);
                    }
                }
            }
        }
        let mutated = lines.join("\n");
        let res = std::panic::catch_unwind(|| {
            let mut input = ObservedInput::default();
            if parse_text(name, &mutated, &mut input).is_err() {
                return false;
            }
            let _ =
                argosim::calibrate::calibrate(Path::new(BLIND), &sc_text, &sc, &input, &[], &[]);
            if case % 50 == 0
                && !input.workflows.is_empty()
                && let Ok((rsc, notes)) =
                    argosim::experiment::replay::replay_scenario_text(BLIND, &sc_text, &mut input)
            {
                let _ = argosim::experiment::replay::replay(&rsc, &input, 1, 1, notes);
            }
            true
        });
        match res {
            Ok(ok) => parsed += usize::from(ok),
            Err(_) => {
                let path = format!("target/tmp/fuzz-observed-{case}.txt");
                let _ = std::fs::create_dir_all("target/tmp");
                let _ = std::fs::write(&path, &mutated);
                panic!("case {case} of {name} panicked; input written to {path}");
            }
        }
    }
    // Mutations must leave a good share readable, or the later stages go untested.
    assert!(parsed > cases / 5, "only {parsed} of {cases} cases parsed");
}

#[test]
fn metrics_snapshots_set_apiserver_latencies_and_reconcile_cpu() {
    let (dir, wfs, _) = export();
    let prom = dir.path().join("m.prom");
    std::fs::write(
        &prom,
        "# TYPE apiserver_request_duration_seconds histogram\n\
         apiserver_request_duration_seconds_sum{verb=\"GET\",resource=\"workflowtemplates\"} 0.8\n\
         apiserver_request_duration_seconds_count{verb=\"GET\",resource=\"workflowtemplates\"} 100\n\
         apiserver_request_duration_seconds_sum{verb=\"WATCH\",resource=\"pods\"} 99999\n\
         apiserver_request_duration_seconds_count{verb=\"WATCH\",resource=\"pods\"} 4\n\
         apiserver_request_duration_seconds_sum{verb=\"POST\",resource=\"pods\"} 3.0\n\
         apiserver_request_duration_seconds_count{verb=\"POST\",resource=\"pods\"} 120\n\
         argo_workflows_operation_duration_seconds_sum 2.0\n\
         argo_workflows_operation_duration_seconds_count 200\n",
    )
    .unwrap();
    let cal = dir.path().join("cal");
    argosim()
        .args(["calibrate", "-q", "--scenario", BLIND, "--metrics"])
        .arg(&prom)
        .arg("--out")
        .arg(&cal)
        .arg(&wfs)
        .assert()
        .success();
    let text = std::fs::read_to_string(cal.join("scenario.toml")).unwrap();
    // 0.8 s / 100 GETs (WATCH left out); 3.0 s / 120 POSTs.
    assert!(text.contains("read_latency = \"8ms\""), "{text}");
    assert!(text.contains("write_latency = \"25ms\""), "{text}");
    assert!(text.contains("reconcile_base_cpu = "), "{text}");
    let r = json(&cal.join("calibration.json"));
    assert_eq!(r["metrics"].as_array().unwrap().len(), 3);
    // Without pods the run times come from node durations minus the startup stages, and say so.
    assert!(
        r["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("node durations")),
        "{r}"
    );
}
