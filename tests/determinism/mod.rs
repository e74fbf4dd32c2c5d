//! One run is a pure function of (scenario, seed); replications are collected in order, so the
//! JSON is byte-identical for any thread count.

use crate::common::{argosim, minimal, report, scenario, task};
use argosim::output;

/// A scenario that draws from every random stream: Poisson arrivals, lognormal and uniform run
/// times, and pod failures; `controller` lines go under `[controller]`.
fn random_scenario_with(controller: &[&str]) -> String {
    let t1 = task("prep", "1s")
        .width(6)
        .cpu("500m")
        .fail(0.2)
        .dist(r#"{ distribution = "lognormal", mean = "2m", stddev = "40s" }"#);
    let t2 = task("work", "1s")
        .after(&["prep"])
        .width(20)
        .cpu("1")
        .fail(0.05)
        .dist(r#"{ distribution = "uniform", min = "30s", max = "3m" }"#);
    let mut m = minimal()
        .nodes(2, "8")
        .task(t1)
        .task(t2)
        .submission("count = 6")
        .submission("arrival = \"poisson\"")
        .submission("interval = \"2m\"");
    for l in controller {
        m = m.controller(l);
    }
    m.toml()
}

fn random_scenario() -> String {
    random_scenario_with(&[])
}

fn json_of(toml: &str, seed: u64, replications: u32) -> String {
    output::json(&report(toml, seed, replications))
}

#[test]
fn same_seed_gives_identical_bytes() {
    let toml = random_scenario();
    let a = json_of(&toml, 42, 1);
    let b = json_of(&toml, 42, 1);
    assert_eq!(a, b);
    // The embedded default scenario too (lognormal run times, 400-pod fan-out).
    let sc = argosim::scenario::default_scenario();
    let a = output::json(&argosim::run_replications(&sc, 3, 1));
    let b = output::json(&argosim::run_replications(&sc, 3, 1));
    assert_eq!(a, b);
}

#[test]
fn another_seed_gives_different_results() {
    let toml = random_scenario();
    let a = report(&toml, 1, 1);
    let b = report(&toml, 2, 1);
    assert_ne!(output::json(&a), output::json(&b));
    // Not just the seed field: the simulated outcome itself differs.
    let wa = serde_json::to_string(&a.runs[0].workflows).unwrap();
    let wb = serde_json::to_string(&b.runs[0].workflows).unwrap();
    assert_ne!(
        wa, wb,
        "different seeds should draw different arrivals and run times"
    );
}

#[test]
fn replications_are_independent_runs_with_derived_seeds() {
    let toml = random_scenario();
    let sc = scenario(&toml);
    let rep = argosim::run_replications(&sc, 9, 3);
    assert_eq!(rep.replications, 3);
    assert_eq!(rep.runs.len(), 3);
    for (i, run) in rep.runs.iter().enumerate() {
        let seed = argosim::replication_seed(9, i as u32);
        assert_eq!(run.replication, i as u32);
        assert_eq!(run.seed, seed);
        // Replication i is exactly `simulate` with its derived seed.
        let mut alone = argosim::simulate(&sc, seed);
        alone.replication = i as u32;
        assert_eq!(
            serde_json::to_string(run).unwrap(),
            serde_json::to_string(&alone).unwrap()
        );
    }
    assert_ne!(rep.runs[0].seed, rep.runs[1].seed);
    assert_ne!(
        serde_json::to_string(&rep.runs[0].workflows).unwrap(),
        serde_json::to_string(&rep.runs[1].workflows).unwrap()
    );
    // The summary is computed from the runs, in order.
    let ends: Vec<f64> = rep.runs.iter().map(|r| r.end_time_s).collect();
    let s = &rep.summary["end_time_s"];
    assert_eq!(s.n, 3);
    assert_eq!(s.mean, (ends[0] + ends[1] + ends[2]) / 3.0);
    assert_eq!(s.min, ends.iter().copied().fold(f64::INFINITY, f64::min));
    assert_eq!(
        s.max,
        ends.iter().copied().fold(f64::NEG_INFINITY, f64::max)
    );
}

#[test]
fn thread_count_does_not_change_bytes() {
    let sc = scenario(&random_scenario());
    let on = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| output::json(&argosim::run_replications(&sc, 11, 6)))
    };
    let one = on(1);
    let two = on(2);
    assert_eq!(one, two);
    assert_eq!(one, on(3));
}

#[test]
fn omitted_defaults_equal_written_defaults() {
    // Leaving a key out is the same as writing its upstream default.
    let written = random_scenario_with(&[
        "default_requeue_time = \"10s\"",
        "qps = 20",
        "burst = 30",
        "workflow_workers = 32",
        "max_operation_time = \"30s\"",
        "max_workflow_size = \"1Mi\"",
    ]);
    let a = argosim::simulate(&scenario(&random_scenario()), 5);
    let b = argosim::simulate(&scenario(&written), 5);
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
    // ...and a non-default value does change the outcome (the comparison is not vacuous).
    let c = argosim::simulate(
        &scenario(&random_scenario_with(&["default_requeue_time = \"3s\""])),
        5,
    );
    assert_ne!(
        serde_json::to_string(&a.workflows).unwrap(),
        serde_json::to_string(&c.workflows).unwrap()
    );
}

#[test]
fn cli_same_seed_twice_gives_identical_stdout() {
    let out = |args: &[&str]| {
        let o = argosim().args(args).assert().success().get_output().clone();
        String::from_utf8(o.stdout).unwrap()
    };
    let a = out(&["run", "--format", "json", "--seed", "5"]);
    let b = out(&["run", "--format", "json", "--seed", "5"]);
    assert_eq!(a, b);
    let v: serde_json::Value = serde_json::from_str(&a).unwrap();
    assert_eq!(v["seed"], 5, "--seed overrides [experiment].seed");
    // And it is the library's output for the embedded scenario with that seed.
    let lib = output::json(&argosim::run_replications(
        &argosim::scenario::default_scenario(),
        5,
        1,
    ));
    assert_eq!(a, lib);
}

#[test]
fn cli_jobs_do_not_change_stdout() {
    let out = |jobs: &str| {
        let o = argosim()
            .args([
                "run",
                "--format",
                "json",
                "--seed",
                "8",
                "--replications",
                "4",
                "--jobs",
                jobs,
            ])
            .assert()
            .success()
            .get_output()
            .clone();
        String::from_utf8(o.stdout).unwrap()
    };
    let one = out("1");
    let two = out("2");
    assert_eq!(one, two);
    let v: serde_json::Value = serde_json::from_str(&one).unwrap();
    assert_eq!(v["replications"], 4);
    assert_eq!(v["runs"].as_array().unwrap().len(), 4);
}
