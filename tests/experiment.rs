//! Integration tests of the experiment layer through the `argosim` binary: grids are
//! byte-identical for any `--jobs`, after a kill and `--resume`, and when run as shards and
//! merged; `check` exit codes; `compare` verdicts on noise and on a real change; sensitivity;
//! plots; and the Argo WorkflowTemplate in deploy/argo against Argo's JSON Schema.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn argosim() -> Command {
    Command::cargo_bin("argosim").expect("argosim binary is built")
}

fn crate_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The throttled fan-out (qps 20/50/100 zipped with burst), plus a node-count axis: 6 points.
const GRID_AXIS: &str = "cluster.pools[0].nodes=20,30";
const REPS: &str = "5";

fn grid(out: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    argosim()
        .arg("grid")
        .arg(crate_path("scenarios/throttled-fanout.toml"))
        .args(["--axis", GRID_AXIS, "--replications", REPS, "--out"])
        .arg(out)
        .args(extra)
        .assert()
}

/// Every file under `dir` (relative path → bytes), with the manifest's `invocation` (the
/// command line, the one part that legitimately differs) removed.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
                let mut bytes = std::fs::read(&p).unwrap();
                if rel == "manifest.json" {
                    let mut v: Value = serde_json::from_slice(&bytes).unwrap();
                    v.as_object_mut().unwrap().remove("invocation");
                    bytes = serde_json::to_vec_pretty(&v).unwrap();
                }
                out.insert(rel, bytes);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn assert_same(a: &Path, b: &Path) {
    let (x, y) = (snapshot(a), snapshot(b));
    assert_eq!(
        x.keys().collect::<Vec<_>>(),
        y.keys().collect::<Vec<_>>(),
        "file lists differ"
    );
    for (k, v) in &x {
        assert!(
            v == &y[k],
            "{k} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

/// One uninterrupted reference run, shared by the tests that compare against it.
fn reference() -> &'static Path {
    static REF: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    REF.get_or_init(|| {
        // Under cargo's per-target temp dir (statics are never dropped, so no TempDir here).
        let p = Path::new(env!("CARGO_TARGET_TMPDIR")).join("experiment-reference-grid");
        let _ = std::fs::remove_dir_all(&p);
        grid(&p, &["--jobs", "1"]).success();
        p
    })
}

#[test]
fn grid_writes_every_file_with_one_row_per_run() {
    let r = reference();
    let files = snapshot(r);
    for f in [
        "runs.csv",
        "points.csv",
        "sensitivity.csv",
        "summary.md",
        "manifest.json",
        "scenario.toml",
        "plots/metrics-vs-controller.qps.png",
        "plots/metrics-vs-controller.qps.svg",
        "plots/metrics-vs-controller.burst.png",
        "plots/metrics-vs-cluster.pools_0_.nodes.png",
        "plots/runtime-vs-cost.png",
        "plots/runtime-vs-cost.svg",
        "plots/timeseries.png",
        "plots/timeseries.svg",
    ] {
        assert!(files.contains_key(f), "missing {f}: {:?}", files.keys());
    }
    let runs = String::from_utf8(files["runs.csv"].clone()).unwrap();
    let lines: Vec<&str> = runs.lines().collect();
    assert_eq!(lines.len(), 1 + 6 * 5);
    assert!(lines[0].starts_with(
        "point,replication,seed,controller.qps,controller.burst,cluster.pools[0].nodes,makespan_p50_s,"
    ));
    assert!(lines[1].starts_with("0,0,"));
    assert!(lines[30].starts_with("5,4,"));
    let points = String::from_utf8(files["points.csv"].clone()).unwrap();
    assert_eq!(points.lines().count(), 1 + 6);
    assert!(
        points
            .lines()
            .next()
            .unwrap()
            .contains("end_time_s_ci95_lo")
    );
    let m: Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    assert_eq!(m["complete"], true);
    assert_eq!(m["grid"]["points"], 6);
    assert_eq!(m["grid"]["runs"], 30);
    assert_eq!(m["grid"]["zip"][0][1], "controller.burst");
    let png = &files["plots/runtime-vs-cost.png"];
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let svg = String::from_utf8(files["plots/metrics-vs-controller.qps.svg"].clone()).unwrap();
    assert!(svg.contains("run length (min)") && svg.contains("controller.qps"));
    // Points are labelled with their settings, not p0..p5.
    let pareto = String::from_utf8(files["plots/runtime-vs-cost.svg"].clone()).unwrap();
    assert!(
        pareto.contains("qps=20, burst=30, nodes=20"),
        "point labels"
    );
    assert!(!pareto.contains(">p0<"), "no bare point ids");
    let summary = String::from_utf8(files["summary.md"].clone()).unwrap();
    assert!(summary.contains("## Sensitivity") && summary.contains("Pareto front"));
}

#[test]
fn results_are_byte_identical_for_one_and_two_jobs() {
    let t = tempfile::tempdir().unwrap();
    let two = t.path().join("two");
    grid(&two, &["--jobs", "2"]).success();
    assert_same(reference(), &two);
}

#[test]
fn three_shards_merged_equal_one_run() {
    let t = tempfile::tempdir().unwrap();
    let shards: Vec<PathBuf> = (1..=3).map(|k| t.path().join(format!("s{k}"))).collect();
    // Shards in a scrambled order, with different thread counts.
    for (k, jobs) in [(2, "1"), (3, "2"), (1, "2")] {
        grid(
            &shards[k - 1],
            &["--shard", &format!("{k}/3"), "--jobs", jobs],
        )
        .success();
        // A shard holds only its slice and no summary.
        let m: Value =
            serde_json::from_slice(&std::fs::read(shards[k - 1].join("manifest.json")).unwrap())
                .unwrap();
        assert_eq!(m["shard"]["index"], k);
        assert_eq!(m["runs_in_folder"], 10);
        assert!(!shards[k - 1].join("summary.md").exists());
    }
    // Merging two of three is refused, naming the missing one.
    argosim()
        .arg("merge")
        .args(&shards[..2])
        .arg("--out")
        .arg(t.path().join("partial"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing shard folder(s) for 3/3"));
    let merged = t.path().join("merged");
    argosim()
        .arg("merge")
        .args([&shards[2], &shards[0], &shards[1]])
        .arg("--out")
        .arg(&merged)
        .assert()
        .success();
    assert_same(reference(), &merged);
}

#[test]
fn a_stopped_grid_resumes_to_the_same_results() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("r");
    grid(&out, &["--jobs", "2", "--stop-after", "11"])
        .code(3)
        .stderr(predicate::str::contains("continue with --resume"));
    let partial = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    let done = partial.lines().count() - 1;
    assert!((11..30).contains(&done), "{done} rows after the stop");
    assert!(!out.join("points.csv").exists());
    // Without --resume the folder is protected.
    grid(&out, &[])
        .code(2)
        .stderr(predicate::str::contains("pass --resume"));
    grid(&out, &["--resume", "--jobs", "2"])
        .success()
        .stdout(predicate::str::contains(format!("{} reused", done)));
    assert_same(reference(), &out);
}

#[test]
fn a_grid_killed_mid_line_resumes_to_the_same_results() {
    // Simulate a kill while a row was being written: cut runs.csv in the middle of a line.
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("k");
    grid(&out, &["--stop-after", "20", "--jobs", "1"]).code(3);
    let runs = std::fs::read(out.join("runs.csv")).unwrap();
    let cut = runs.len() - 25;
    assert_ne!(runs[cut - 1], b'\n');
    std::fs::write(out.join("runs.csv"), &runs[..cut]).unwrap();
    grid(&out, &["--resume"]).success();
    assert_same(reference(), &out);
}

#[test]
fn resume_refuses_a_different_grid() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("d");
    grid(&out, &["--stop-after", "3", "--jobs", "1"]).code(3);
    argosim()
        .arg("grid")
        .arg(crate_path("scenarios/throttled-fanout.toml"))
        .args([
            "--axis",
            GRID_AXIS,
            "--replications",
            "6",
            "--resume",
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "cannot resume a different grid: replications",
        ));
}

#[test]
fn grid_errors_name_the_axis_and_line() {
    let t = tempfile::tempdir().unwrap();
    let path = t.path().join("bad.toml");
    let text = std::fs::read_to_string(crate_path("scenarios/throttled-fanout.toml"))
        .unwrap()
        .replace(
            "\"controller.qps\" = [20, 50, 100]",
            "\"controller.qsp\" = [20, 50, 100]",
        );
    std::fs::write(&path, &text).unwrap();
    let line = text
        .lines()
        .position(|l| l.contains("controller.qsp"))
        .unwrap()
        + 1;
    argosim()
        .arg("grid")
        .arg(&path)
        .arg("--out")
        .arg(t.path().join("o"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "bad.toml:{line}: grid.\"controller.qsp\": value 20: unknown field `qsp`"
        )))
        .stderr(predicate::str::contains("did you mean `qps`?"));
    argosim()
        .arg("grid")
        .arg(crate_path("scenarios/throttled-fanout.toml"))
        .args(["--axis", "cluster.pools[1].nodes=1,2", "--out"])
        .arg(t.path().join("o"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--axis cluster.pools[1].nodes: value 1: index 1 is out of range: `cluster.pools` has 1 entry",
        ));
}

fn check_scenario(dir: &Path, checks: &str) -> PathBuf {
    let base = std::fs::read_to_string(crate_path("scenarios/throttled-fanout.toml")).unwrap();
    let base = &base[..base.find("\n[[check]]").unwrap()];
    let p = dir.join("c.toml");
    std::fs::write(&p, format!("{base}\n{checks}")).unwrap();
    p
}

#[test]
fn check_exits_0_when_thresholds_hold_and_1_on_a_breach() {
    let t = tempfile::tempdir().unwrap();
    // The fan-out takes about 7 minutes at 20 qps.
    let ok = check_scenario(
        t.path(),
        "[[check]]\nmetric = \"end_time_s\"\nstatistic = \"p95\"\noperator = \"<\"\nthreshold = \"30m\"\n\
         [[check]]\nmetric = \"success_rate\"\nstatistic = \"probability\"\noperator = \">=\"\nthreshold = \"99%\"\nprobability = \"100%\"\n",
    );
    let junit = t.path().join("ok.xml");
    argosim()
        .arg("check")
        .arg(&ok)
        .arg("--junit")
        .arg(&junit)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("2 of 2 checks hold."));
    let x = std::fs::read_to_string(&junit).unwrap();
    assert!(x.contains("tests=\"2\" failures=\"0\""), "{x}");

    let t2 = tempfile::tempdir().unwrap();
    let bad = check_scenario(
        t2.path(),
        "[[check]]\nname = \"fits in 3 minutes\"\nmetric = \"end_time_s\"\nstatistic = \"max\"\noperator = \"<=\"\nthreshold = \"3m\"\n\
         [[check]]\nmetric = \"pods_created\"\noperator = \"==\"\nthreshold = 2000\n",
    );
    let md = t2.path().join("check.md");
    let junit = t2.path().join("bad.xml");
    argosim()
        .arg("check")
        .arg(&bad)
        .arg("--markdown")
        .arg(&md)
        .arg("--junit")
        .arg(&junit)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("FAIL"))
        .stdout(predicate::str::contains("1 of 2 checks hold"));
    let x = std::fs::read_to_string(&junit).unwrap();
    assert!(x.contains("<failure message=\"max of end_time_s"), "{x}");
    assert!(
        std::fs::read_to_string(&md)
            .unwrap()
            .contains("| fits in 3 minutes |")
    );
}

#[test]
fn check_exits_2_on_bad_input_naming_key_and_line() {
    let t = tempfile::tempdir().unwrap();
    let p = check_scenario(
        t.path(),
        "[[check]]\nmetric = \"workflow_object_peak_bytes\"\noperator = \"<\"\nthreshold = \"2h\"\n",
    );
    let text = std::fs::read_to_string(&p).unwrap();
    let line = text.lines().position(|l| l.contains("\"2h\"")).unwrap() + 1;
    argosim()
        .arg("check")
        .arg(&p)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "c.toml:{line}: check[0].threshold: cannot read \"2h\": `workflow_object_peak_bytes` is in bytes"
        )));
    argosim()
        .arg("check")
        .arg(crate_path("scenarios/default.toml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no [[check]] tables"));
}

#[test]
fn compare_with_itself_under_other_seeds_finds_no_significant_change() {
    let s = crate_path("scenarios/throttled-fanout.toml");
    let out = argosim()
        .arg("compare")
        .arg(&s)
        .arg(&s)
        .args(["--candidate-seed", "99", "--replications", "10"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("Verdict: no significant change in any of the 15 metrics."),
        "{text}"
    );
    let end = text.lines().find(|l| l.starts_with("end_time_s")).unwrap();
    assert!(end.ends_with("no significant change"), "{end}");
}

#[test]
fn compare_reports_raising_controller_qps_as_significant() {
    let t = tempfile::tempdir().unwrap();
    let md = t.path().join("compare.md");
    let out = argosim()
        .arg("compare")
        .arg(crate_path("scenarios/throttled-fanout.toml"))
        .args([
            "--set",
            "controller.qps=100",
            "--set",
            "controller.burst=150",
            "--markdown",
        ])
        .arg(&md)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("common random numbers"), "{text}");
    let end = text.lines().find(|l| l.starts_with("end_time_s")).unwrap();
    assert!(end.contains("faster by "), "{end}");
    let cost = text
        .lines()
        .find(|l| l.starts_with("cost_total_usd"))
        .unwrap();
    assert!(cost.contains("cheaper by "), "{cost}");
    let md = std::fs::read_to_string(&md).unwrap();
    assert!(
        md.contains("| end_time_s |") && md.contains("faster by "),
        "{md}"
    );
    // Two files work the same way, and a bad --set names the key.
    argosim()
        .arg("compare")
        .arg(crate_path("scenarios/throttled-fanout.toml"))
        .args(["--set", "controller.qsp=100"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--set controller.qsp: unknown field `qsp`",
        ));
}

#[test]
fn sensitivity_ranks_qps_first_for_run_length() {
    let out = argosim()
        .arg("sensitivity")
        .arg(reference())
        .args(["--format", "markdown"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    // Run length falls as qps rises (pod creation is bucket-bound); nodes barely matter.
    let row = text
        .lines()
        .find(|l| l.starts_with("| end_time_s |"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(row.contains("| 1 | controller.qps | -0."), "{row}");
    // burst moves in lockstep with qps (zipped): no coefficient of its own.
    assert!(
        text.contains("moves in lockstep with `controller.qps`"),
        "{text}"
    );
}

// ------------------------------------------------------------------ Argo manifest vs schema

/// Minimal JSON Schema check for the keywords Argo's schema uses ($ref, type, properties,
/// required, items, additionalProperties, const, enum, oneOf). Unknown properties are
/// reported too (a typo would otherwise pass, and the API server prunes or rejects them).
fn validate(root: &Value, schema: &Value, v: &Value, at: &str, errs: &mut Vec<String>) {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/definitions/");
        match root["definitions"].get(name) {
            Some(s) => validate(root, s, v, at, errs),
            None => errs.push(format!("{at}: unresolved $ref {r}")),
        }
        return;
    }
    if let Some(alts) = schema.get("oneOf").and_then(Value::as_array) {
        let ok = alts
            .iter()
            .filter(|s| {
                let mut e = Vec::new();
                validate(root, s, v, at, &mut e);
                e.is_empty()
            })
            .count();
        if ok != 1 {
            errs.push(format!("{at}: matches {ok} of the oneOf alternatives"));
        }
        return;
    }
    if let Some(c) = schema.get("const")
        && c != v
    {
        errs.push(format!("{at}: expected {c}, got {v}"));
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array)
        && !e.contains(v)
    {
        errs.push(format!("{at}: {v} not in {e:?}"));
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if !types.is_empty() {
        let ok = types.iter().any(|t| match *t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "integer" => v.is_i64() || v.is_u64(),
            "number" => v.is_number(),
            "boolean" => v.is_boolean(),
            "null" => v.is_null(),
            _ => true,
        });
        if !ok {
            errs.push(format!("{at}: expected {types:?}, got {v}"));
            return;
        }
    }
    if let Some(obj) = v.as_object() {
        if let Some(req) = schema.get("required").and_then(Value::as_array) {
            for k in req.iter().filter_map(Value::as_str) {
                if !obj.contains_key(k) {
                    errs.push(format!("{at}: missing required `{k}`"));
                }
            }
        }
        let props = schema.get("properties").and_then(Value::as_object);
        for (k, x) in obj {
            let child = format!("{at}.{k}");
            match (
                props.and_then(|p| p.get(k)),
                schema.get("additionalProperties"),
            ) {
                (Some(s), _) => validate(root, s, x, &child, errs),
                (None, Some(s)) if s.is_object() => validate(root, s, x, &child, errs),
                (None, _) if props.is_some() => errs.push(format!("{child}: unknown field")),
                _ => {}
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), v.as_array()) {
        for (i, x) in arr.iter().enumerate() {
            validate(root, items, x, &format!("{at}[{i}]"), errs);
        }
    }
}

#[test]
fn argo_workflow_template_matches_the_schema() {
    let schema_path = Path::new("/work/shared/reference/argo-workflows-schema.json");
    let schema_path = std::env::var_os("ARGO_WORKFLOWS_SCHEMA")
        .map(PathBuf::from)
        .unwrap_or_else(|| schema_path.to_path_buf());
    let Ok(schema_text) = std::fs::read_to_string(&schema_path) else {
        eprintln!(
            "skipped: {} is absent (set ARGO_WORKFLOWS_SCHEMA to Argo's api/jsonschema/schema.json)",
            schema_path.display()
        );
        return;
    };
    let root: Value = serde_json::from_str(&schema_text).unwrap();
    let yaml = std::fs::read_to_string(crate_path("deploy/argo/argosim-grid.yaml")).unwrap();
    let doc: Value = serde_norway::from_str(&yaml).unwrap();
    assert_eq!(doc["kind"], "WorkflowTemplate");
    // Against the schema's root (oneOf the CRD kinds), and against WorkflowTemplate directly
    // so that a failure says which field is wrong.
    let wt =
        serde_json::json!({"$ref": "#/definitions/io.argoproj.workflow.v1alpha1.WorkflowTemplate"});
    let mut errs = Vec::new();
    validate(&root, &root, &doc, "$", &mut errs);
    validate(&root, &wt, &doc, "$", &mut errs);
    assert!(errs.is_empty(), "schema errors:\n{}", errs.join("\n"));
    // The steps really fan out and merge, with argosim's sharding flags.
    let t = &doc["spec"]["templates"];
    assert_eq!(
        t[0]["steps"][0][0]["withSequence"]["end"],
        "{{workflow.parameters.shards}}"
    );
    let args: Vec<&str> = t[1]["container"]["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(
        args.contains(&"--shard")
            && args.contains(&"{{inputs.parameters.index}}/{{workflow.parameters.shards}}")
    );
    assert!(
        t[2]["container"]["args"][0]
            .as_str()
            .unwrap()
            .contains("argosim merge")
    );
    // Hardening (issue 13): non-root, read-only root, no escalation, no capabilities,
    // RuntimeDefault seccomp on every container; a deadline; no API token for argosim.
    let spec = &doc["spec"];
    assert!(
        spec["activeDeadlineSeconds"]
            .as_u64()
            .is_some_and(|s| s > 0)
    );
    assert_eq!(spec["serviceAccountName"], "argosim");
    assert_eq!(spec["automountServiceAccountToken"], false);
    assert_eq!(spec["executor"]["serviceAccountName"], "argosim-executor");
    assert_eq!(spec["securityContext"]["runAsNonRoot"], true);
    assert_eq!(
        spec["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    let containers: Vec<&Value> = t
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x.get("container"))
        .collect();
    assert_eq!(containers.len(), 2);
    for c in containers {
        let sc = &c["securityContext"];
        assert_eq!(sc["runAsNonRoot"], true, "{c}");
        assert_eq!(sc["readOnlyRootFilesystem"], true, "{c}");
        assert_eq!(sc["allowPrivilegeEscalation"], false, "{c}");
        assert_eq!(
            sc["capabilities"]["drop"],
            serde_json::json!(["ALL"]),
            "{c}"
        );
        assert_eq!(sc["seccompProfile"]["type"], "RuntimeDefault", "{c}");
        // The root filesystem is read-only: /work must be a writable volume.
        assert!(
            c["volumeMounts"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["mountPath"] == "/work"),
            "{c}"
        );
    }
    assert!(
        yaml.contains("@sha256:"),
        "a note on pinning images by digest"
    );
    // The ServiceAccounts: argosim's has no token and no Role; the executor's Role allows
    // only WorkflowTaskResult writes.
    let rbac = std::fs::read_to_string(crate_path("deploy/argo/argosim-rbac.yaml")).unwrap();
    let docs: Vec<Value> = serde_norway::Deserializer::from_str(&rbac)
        .map(|d| <Value as serde::Deserialize>::deserialize(d).unwrap())
        .collect();
    let by = |kind: &str, name: &str| {
        docs.iter()
            .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("{kind} {name} in argosim-rbac.yaml"))
    };
    assert_eq!(
        by("ServiceAccount", "argosim")["automountServiceAccountToken"],
        false
    );
    assert!(
        docs.iter()
            .filter(|d| d["kind"] == "RoleBinding")
            .all(|b| b["subjects"][0]["name"] != "argosim"),
        "argosim needs no Role"
    );
    assert_eq!(
        by("Role", "argosim-executor")["rules"],
        serde_json::json!([{"apiGroups": ["argoproj.io"], "resources": ["workflowtaskresults"], "verbs": ["create", "patch"]}])
    );
    // A deliberately broken copy is caught (the checker is not vacuous).
    let mut broken = doc.clone();
    broken["spec"]["templates"][1]["container"]["imagePullPolcy"] = Value::from("Always");
    broken["spec"]["templates"][0]["steps"][0][0]["withSequence"]["end"] = Value::from(4.5);
    let mut errs = Vec::new();
    validate(&root, &wt, &broken, "$", &mut errs);
    assert!(errs.len() == 2, "{errs:?}");
    assert!(
        errs.iter()
            .any(|e| e.contains("imagePullPolcy: unknown field")),
        "{errs:?}"
    );
}

// ------------------------------------------------------------- grids over imported manifests

/// A copy of scenarios/manifests (etl.toml and the manifests it imports) in a temp dir.
fn manifest_scenario(dir: &Path) -> PathBuf {
    for f in [
        "etl.toml",
        "etl.yaml",
        "etl-templates.yaml",
        "refresh-cron.yaml",
    ] {
        std::fs::copy(crate_path(&format!("scenarios/manifests/{f}")), dir.join(f)).unwrap();
    }
    dir.join("etl.toml")
}

fn manifest_grid(scenario: &Path, out: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    argosim()
        .arg("grid")
        .arg(scenario)
        .args([
            "--axis",
            "controller.qps=20,50",
            "--replications",
            "2",
            "--jobs",
            "1",
            "--out",
        ])
        .arg(out)
        .args(extra)
        .assert()
}

/// The grid identity covers every manifest's content, not only the scenario text: an edited
/// manifest on `--resume` is refused, naming it (issue 13 item 4).
#[test]
fn resume_after_a_manifest_was_edited_is_refused_naming_it() {
    let t = tempfile::tempdir().unwrap();
    let sc = manifest_scenario(t.path());
    let out = t.path().join("g");
    manifest_grid(&sc, &out, &["--stop-after", "1"]).code(3);
    let m: Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let inputs: Vec<&str> = m["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(inputs.len(), 4, "{inputs:?}");
    assert!(inputs[1..].contains(&"etl.yaml"), "{inputs:?}");
    // The unchanged inputs resume.
    manifest_grid(&sc, &out, &["--resume", "--stop-after", "1"]).code(3);
    let yaml = t.path().join("etl.yaml");
    let text = std::fs::read_to_string(&yaml).unwrap();
    std::fs::write(&yaml, format!("{text}\n# edited\n")).unwrap();
    manifest_grid(&sc, &out, &["--resume"])
        .code(2)
        .stderr(predicate::str::contains(
            "cannot resume a different grid: etl.yaml changed since this folder was written",
        ));
}

/// The folder stores the resolved scenario (workflows inline, no `manifests`), so `merge` and
/// `sensitivity` work from the folder alone after the manifests are gone.
#[test]
fn a_manifest_grid_folder_is_self_contained() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    std::fs::create_dir(&src).unwrap();
    let sc = manifest_scenario(&src);
    let out = t.path().join("g");
    manifest_grid(&sc, &out, &[]).success();
    std::fs::remove_dir_all(&src).unwrap();
    let stored = std::fs::read_to_string(out.join("scenario.toml")).unwrap();
    assert!(!stored.contains("manifests ="), "{stored}");
    assert!(stored.contains("[[workflows]]"), "workflows inline");
    argosim()
        .arg("sensitivity")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("controller.qps"));
    let merged = t.path().join("m");
    argosim()
        .arg("merge")
        .arg(&out)
        .arg("--out")
        .arg(&merged)
        .assert()
        .success();
    assert_eq!(
        std::fs::read(out.join("runs.csv")).unwrap(),
        std::fs::read(merged.join("runs.csv")).unwrap()
    );
}

// ------------------------------------------------- results that mean nothing never pass

/// One pod that fits no node: the workflow never finishes and runs to the 1 h horizon.
const NEVER: &str = r#"
[experiment]
horizon = "1h"
replications = 2
[[cluster.pools]]
name = "p"
cpu = "4"
memory = "16Gi"
price_per_hour = 1.0
nodes = 1
[[workflows]]
name = "w"
[[workflows.tasks]]
name = "t"
cpu = "8"
duration = "1m"
[[submissions]]
workflow = "w"
"#;

/// A makespan with no finished workflow was recorded as 0, so `makespan_p95_s < 15m` passed
/// ("observed 0.00s"); now it is no data and a breach, and a run that hit the horizon with
/// unfinished workflows breaches every check unless it says `allow_unfinished = true`.
#[test]
fn checks_on_no_data_or_unfinished_runs_fail_with_the_reason() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("never.toml");
    let checks = "[[check]]\nmetric = \"makespan_p95_s\"\nstatistic = \"p95\"\noperator = \"<\"\nthreshold = \"15m\"\n\
                  [[check]]\nmetric = \"cost_total_usd\"\noperator = \"<\"\nthreshold = \"100\"\n\
                  [[check]]\nmetric = \"cost_total_usd\"\noperator = \"<\"\nthreshold = \"100\"\nallow_unfinished = true\n";
    std::fs::write(&p, format!("{NEVER}{checks}")).unwrap();
    let junit = t.path().join("check.xml");
    let out = argosim()
        .arg("check")
        .arg(&p)
        .arg("--junit")
        .arg(&junit)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("< ")).collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].contains("no data") && lines[0].contains("FAIL (no data: 2 of 2 runs"),
        "{text}"
    );
    assert!(
        lines[1].contains("FAIL (2 of 2 runs hit the horizon with unfinished workflows"),
        "{text}"
    );
    assert!(lines[2].ends_with("pass"), "{text}");
    assert!(text.contains("1 of 3 checks hold"), "{text}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("failures=\"2\"") && xml.contains("observed no data"),
        "{xml}"
    );
}

/// A grid point whose runs hit the horizon is cheaper (its bill is cut by the horizon) but
/// is never ranked best or put on the Pareto front, and summary.md says why.
#[test]
fn grid_never_ranks_a_point_with_unfinished_runs() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("g.toml");
    // 4 pods of 3 CPUs, 1 per 4-CPU node, 1 minute each, 150 s horizon: one node needs 4
    // minutes (unfinished), four nodes about one.
    let text = NEVER
        .replace("horizon = \"1h\"", "horizon = \"150s\"")
        .replace("cpu = \"8\"", "cpu = \"3\"\nwidth = 4");
    std::fs::write(&p, text).unwrap();
    let out = t.path().join("o");
    argosim()
        .arg("grid")
        .arg(&p)
        .args([
            "--axis",
            "cluster.pools[0].nodes=1,4",
            "--jobs",
            "1",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let points = std::fs::read_to_string(out.join("points.csv")).unwrap();
    let rows: Vec<&str> = points.lines().skip(1).collect();
    let front = |r: &str| r.split(',').nth(3).unwrap().to_string();
    assert_eq!(
        front(rows[0]),
        "false",
        "1 node: not on the front: {points}"
    );
    assert_eq!(front(rows[1]), "true", "{points}");
    let m: Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["chosen_run"]["point"], 1, "best is the finished point");
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    let line0 = summary
        .lines()
        .find(|l| l.starts_with("| 0 |"))
        .unwrap_or_else(|| panic!("{summary}"));
    assert!(
        line0.contains("unfinished at horizon: not ranked"),
        "{line0}"
    );
    assert!(
        !line0.contains("best") && !line0.contains("Pareto"),
        "{line0}"
    );
    let svg = std::fs::read_to_string(out.join("plots/runtime-vs-cost.svg")).unwrap();
    assert!(
        svg.contains("nodes=1 (cut by horizon, not ranked)"),
        "the plot marks it"
    );
}
