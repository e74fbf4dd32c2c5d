//! Robustness (issue 13): input `validate` accepts must neither hang nor abort on an
//! allocation. Timers that re-arm themselves have minimums, the resource budget refuses
//! oversized scenarios before running (naming the key and the estimate), per-unit loops have
//! closed forms, and every command follows one `--jobs` rule. Each test is named after the
//! reproducer it guards.

mod reads;

use crate::common::{argosim, invalid, line_of, minimal, task};
use argosim::scenario::{DEFAULT_SCENARIO, ScenarioError};
use predicates::prelude::*;
use std::time::{Duration, Instant};

/// The default scenario with `extra` appended (a table after `[[submissions]]`).
fn default_with(extra: &str) -> String {
    format!("{DEFAULT_SCENARIO}\n{extra}\n")
}

/// The single diagnostic of an invalid scenario, checked to be on `key` at its line.
fn one_error(text: &str, key: &str, needle: &str) -> String {
    let ScenarioError::Invalid(d) = invalid(text) else {
        panic!("expected diagnostics");
    };
    let d: Vec<_> = d
        .into_iter()
        .filter(|d| d.key.as_deref() == Some(key))
        .collect();
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].line, Some(line_of(text, needle)), "{}", d[0]);
    d[0].to_string()
}

/// A `[[check]]` table, so `check` has something to evaluate.
const CHECK: &str = "\n[[check]]\nname = \"finishes\"\nmetric = \"end_time_s\"\nstatistic = \"p95\"\noperator = \"<\"\nthreshold = \"100h\"\n";

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn autoscaler_scan_interval_of_zero_or_one_microsecond_is_refused() {
    for v in ["0s", "1us", "999ms"] {
        let text = default_with(&format!(
            "[autoscaler]\nmode = \"cluster-autoscaler\"\nscan_interval = \"{v}\""
        ));
        let msg = one_error(&text, "autoscaler.scan_interval", "scan_interval");
        assert!(msg.contains("must be at least 1s"), "{msg}");
    }
    for v in ["0s", "1us"] {
        let text = default_with(&format!(
            "[autoscaler]\nmode = \"karpenter\"\nbatch_idle = \"{v}\"\nbatch_max = \"{v}\""
        ));
        one_error(&text, "autoscaler.batch_idle", "batch_idle");
        one_error(&text, "autoscaler.batch_max", "batch_max");
    }
}

#[test]
fn self_rearming_controller_and_scheduler_timers_have_minimums() {
    for (section, key, v) in [
        ("controller", "progress_patch_tick", "1us"),
        ("controller", "workflow_resync_period", "0s"),
        ("scheduler", "pod_initial_backoff", "1ms"),
        ("experiment", "sample_interval", "1ms"),
    ] {
        let text = format!(
            "{}\n",
            DEFAULT_SCENARIO.replacen(
                &format!("[{section}]\n"),
                &format!("[{section}]\n{key} = \"{v}\"\n"),
                1
            )
        );
        let text = if text.contains(&format!("{key} = \"{v}\"")) {
            text
        } else {
            default_with(&format!("[{section}]\n{key} = \"{v}\""))
        };
        let msg = one_error(&text, &format!("{section}.{key}"), key);
        assert!(msg.contains("must be at least"), "{msg}");
    }
    let text = DEFAULT_SCENARIO.replace(
        "default_requeue_time = \"10s\"",
        "default_requeue_time = \"1us\"",
    );
    one_error(
        &text,
        "controller.default_requeue_time",
        "default_requeue_time",
    );
}

fn timed_failure(args: &[&str]) -> (String, Duration) {
    let t = Instant::now();
    let out = argosim().args(args).assert().code(2).get_output().clone();
    (String::from_utf8(out.stderr).unwrap(), t.elapsed())
}

#[test]
fn budget_refuses_width_1e9_in_under_a_second_naming_the_key_and_the_estimate() {
    let dir = tempfile::tempdir().unwrap();
    let text = DEFAULT_SCENARIO.replace("width = 400", "width = 1000000000") + CHECK;
    let p = write(&dir, "wide.toml", &text);
    let p = p.to_str().unwrap();
    for args in [
        vec!["validate", p],
        vec!["run", p],
        vec!["check", p],
        vec!["compare", p, "--set", "controller.qps=50"],
        vec!["grid", p, "--axis", "controller.qps=20,50", "--out"],
    ] {
        let mut args = args.clone();
        let out = dir.path().join("grid-out");
        let out = out.to_str().unwrap().to_string();
        if args.last() == Some(&"--out") {
            args.push(&out);
        }
        let (err, took) = timed_failure(&args);
        assert!(took < Duration::from_secs(1), "{args:?} took {took:?}");
        let line = line_of(&text, "width = 1000000000");
        assert!(
            err.contains(&format!(
                ":{line}: workflows[0].tasks[1].width: estimated memory ~"
            )),
            "{args:?}: {err}"
        );
        assert!(err.contains("GiB exceeds the limit of 16.00 GiB"), "{err}");
    }
}

#[test]
fn budget_refuses_replications_1e7_naming_the_flag() {
    let (err, took) = timed_failure(&["run", "--replications", "10000000"]);
    assert!(took < Duration::from_secs(1), "took {took:?}");
    assert!(err.contains("--replications: estimated memory ~"), "{err}");
    assert!(err.contains("10000000 runs keep"), "{err}");
}

#[test]
fn budget_accepts_a_million_pod_fan_out() {
    let dir = tempfile::tempdir().unwrap();
    let text = DEFAULT_SCENARIO.replace("width = 400", "width = 1000000");
    let p = write(&dir, "million.toml", &text);
    argosim()
        .arg("validate")
        .arg(&p)
        .assert()
        .success()
        .stdout(predicate::str::contains("1000003 pods"))
        .stdout(predicate::str::contains("budget: ~"));
}

#[test]
fn max_memory_flag_moves_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let text = DEFAULT_SCENARIO.replace("width = 400", "width = 1000000000");
    let p = write(&dir, "wide.toml", &text);
    argosim()
        .args(["validate", "--max-memory", "1Ti"])
        .arg(&p)
        .assert()
        .success();
    argosim()
        .args(["run", "--max-memory", "1Mi"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("exceeds the limit of 1.00 MiB"));
    argosim()
        .args(["validate", "--max-memory", "lots"])
        .arg(&p)
        .assert()
        .code(2);
}

#[test]
fn bucket_storage_with_one_byte_objects_runs_in_closed_form() {
    // 10 GiB in 1-byte objects: 10.7e9 request tokens, taken one by one before the fix.
    let text = minimal().task(task("a", "60s")).toml().replacen(
        "image_size = \"1Ki\"",
        "image_size = \"1Ki\"\nread_bytes = \"10Gi\"",
        1,
    ) + "[storage]\nkind = \"bucket\"\nobject_size = \"1\"\n";
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "bucket.toml", &text);
    let t = Instant::now();
    // 10.7e9 requests at the bucket's request rate outlast the 72 h horizon: exit 1 (cut by
    // the horizon), reached in closed form.
    argosim().arg("run").arg(&p).assert().code(1);
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
}

#[test]
fn steps_group_gap_is_one_error_however_wide() {
    for (g, want) in [
        (2u64, "steps group 1 has no step"),
        (1_000_000, "steps groups 1 to 999999 have no step"),
        (4_294_967_295, "steps groups 1 to 4294967294 have no step"),
    ] {
        let text = minimal()
            .task(task("a", "1m"))
            .task(task("b", "1m"))
            .toml()
            .replace("kind = \"dag\"", "kind = \"steps\"")
            .replacen("name = \"a\"\n", "name = \"a\"\ngroup = 0\n", 1)
            .replacen("name = \"b\"\n", &format!("name = \"b\"\ngroup = {g}\n"), 1);
        let t = Instant::now();
        let ScenarioError::Invalid(d) = invalid(&text) else {
            panic!()
        };
        assert!(t.elapsed() < Duration::from_secs(1));
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].message.contains(want), "{}", d[0]);
    }
}

#[test]
fn jobs_zero_and_jobs_above_the_maximum_are_refused_by_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let sc = write(&dir, "checked.toml", &default_with(CHECK));
    let sc = sc.to_str().unwrap();
    let out = dir.path().join("g");
    let out = out.to_str().unwrap();
    for jobs in ["0", "10000"] {
        for args in [
            vec!["run", sc],
            vec!["check", sc],
            vec!["compare", sc, "--set", "controller.qps=50"],
            vec!["grid", sc, "--axis", "controller.qps=20,50", "--out", out],
        ] {
            let want = if jobs == "0" {
                "--jobs must be at least 1"
            } else {
                "--jobs 10000 is above the maximum of 256"
            };
            argosim()
                .args(&args)
                .args(["--jobs", jobs])
                .assert()
                .code(2)
                .stderr(predicate::str::contains(want));
        }
    }
}

/// Names in `dir` (recursively) that end in `.tmp`.
fn leftover_tmp(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(leftover_tmp(&p));
        } else if p.to_string_lossy().ends_with(".tmp") {
            out.push(p.display().to_string());
        }
    }
    out
}

#[test]
fn failed_writes_leave_no_temp_file_behind() {
    // The rename fails (a directory is in the way) after the temporary file was written: it
    // must be removed, as on a write error (disk full), which takes the same path.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(out.join("report.json").join("x")).unwrap();
    argosim()
        .args(["run", "--force", "--out"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("report.json: "));
    assert_eq!(leftover_tmp(dir.path()), Vec::<String>::new());

    let md = dir.path().join("cmp.md");
    std::fs::create_dir_all(md.join("x")).unwrap();
    argosim()
        .arg("compare")
        .arg(crate::common::crate_path("scenarios/default.toml"))
        .args([
            "--set",
            "controller.qps=50",
            "--replications",
            "2",
            "--markdown",
        ])
        .arg(&md)
        .assert()
        .code(2);
    assert_eq!(leftover_tmp(dir.path()), Vec::<String>::new());
}

#[test]
fn error_chains_print_their_cause_once() {
    // A regular file where a folder should be: "File exists (os error 17)" was printed twice.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("afile");
    std::fs::write(&file, "").unwrap();
    let out = argosim()
        .arg("run")
        .arg("--out")
        .arg(file.join("sub"))
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8(out.stderr).unwrap();
    let junit = argosim()
        .arg("check")
        .arg(crate::common::crate_path("scenarios/throttled-fanout.toml"))
        .args(["--replications", "2", "--junit"])
        .arg(file.join("x.xml"))
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err2 = String::from_utf8(junit.stderr).unwrap();
    for e in [err, err2] {
        let cause = e.trim_end().rsplit(": ").next().unwrap().to_string();
        assert!(cause.contains("os error"), "{e}");
        assert_eq!(
            e.matches(&cause).count(),
            1,
            "cause printed more than once: {e}"
        );
    }
}
