//! Golden outputs: the JSON report (`run --format json`, 3 replications, seeds 1 and 2) of
//! every shipped scenario, kept as a length, an FNV-1a 64 digest and headline figures in
//! `tests/golden/reports.tsv`.
//!
//! A change meant to keep behaviour keeps every line identical. A change meant to alter it
//! regenerates the file with `ARGOSIM_UPDATE_GOLDEN=1 cargo test --release golden` and says in
//! its commit message why, with the before/after headline figures (the file's diff shows them).
//! On a mismatch the actual reports are written to `target/golden-actual/` for inspection.

use crate::common::crate_path;
use std::fmt::Write as _;

/// Shipped scenarios covered, relative to the crate root.
pub(crate) fn scenarios() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(crate_path("scenarios"))
        .expect("scenarios/ exists")
        .filter_map(|e| {
            let p = e.ok()?.path();
            let name = p.file_name()?.to_str()?.to_string();
            (p.extension()? == "toml").then(|| format!("scenarios/{name}"))
        })
        .collect();
    v.push("scenarios/manifests/etl.toml".into());
    v.sort();
    v
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// One line: scenario, seed, bytes, digest, then headline figures of replication 0.
fn line(rel: &str, seed: u64, json: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(json).expect("report is JSON");
    let run = &v["runs"][0];
    let mut s = format!(
        "{rel}\t{seed}\t{}\t{:016x}",
        json.len(),
        fnv1a(json.as_bytes())
    );
    let fields = [
        ("end_s", &run["end_time_s"]),
        ("events", &run["events"]),
        ("succeeded", &run["workflows"]["succeeded"]),
        ("makespan_p50_s", &run["workflows"]["makespan_s"]["p50"]),
        ("api_requests", &run["api"]["total_requests"]),
        ("reconciles", &run["controller"]["reconciles"]),
        ("cost_usd", &run["cost"]["total_usd"]),
    ];
    for (k, val) in fields {
        let _ = write!(s, "\t{k}={val}");
    }
    s
}

#[test]
fn golden_reports_are_unchanged() {
    let mut actual = String::new();
    let out_dir = crate_path("target/golden-actual");
    for rel in scenarios() {
        // Loaded by its path relative to the crate root (the tests' working directory), so
        // the report's `source` and the digests do not depend on where the clone lives.
        let text = std::fs::read_to_string(crate_path(&rel)).expect("scenario readable");
        let sc = argosim::parse_scenario(&rel, &text)
            .unwrap_or_else(|e| panic!("{rel} should load: {e}"));
        for seed in [1u64, 2] {
            let report = argosim::run_replications(&sc, seed, 3);
            let json = argosim::output::json(&report);
            actual.push_str(&line(&rel, seed, &json));
            actual.push('\n');
            let name = format!("{}-seed{seed}.json", rel.replace('/', "_"));
            let _ = std::fs::create_dir_all(&out_dir);
            let _ = std::fs::write(out_dir.join(name), &json);
        }
    }
    let path = crate_path("tests/golden/reports.tsv");
    if std::env::var_os("ARGOSIM_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &actual).expect("write goldens");
        return;
    }
    let expected = std::fs::read_to_string(&path).expect("tests/golden/reports.tsv exists");
    let diff: Vec<String> = expected
        .lines()
        .zip(actual.lines())
        .filter(|(e, a)| e != a)
        .map(|(e, a)| format!("- {e}\n+ {a}"))
        .collect();
    assert!(
        diff.is_empty() && expected.lines().count() == actual.lines().count(),
        "golden reports changed ({} of {} lines; actual JSON in target/golden-actual/):\n{}",
        diff.len(),
        actual.lines().count(),
        diff.join("\n")
    );
}
