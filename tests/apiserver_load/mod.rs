//! The apiserver under load (issue 11 item 1): processor sharing of `cpu_cores` among the
//! requests holding seats, with `background_qps` taking a steady share. Closed forms: at low
//! load a request takes exactly the configured latency; with the CPU shared a lone request's
//! CPU part stretches by cores / effective cores; saturation sets a floor on the run.

use crate::common::{minimal, run, task};

/// p50 latency of the controller's pod CREATEs.
fn create_p50(r: &argosim::metrics::RunReport) -> f64 {
    r.api
        .by_client
        .iter()
        .find(|x| x.resource == "pods" && x.verb == "create")
        .map(|x| x.latency_s.p50)
        .expect("pod creates")
}

fn get_configmap_p50(r: &argosim::metrics::RunReport) -> f64 {
    r.api
        .by_client
        .iter()
        .find(|row| {
            row.client == "workflow-controller (kube)"
                && row.verb == "get"
                && row.resource == "configmaps"
        })
        .map(|row| row.latency_s.p50)
        .expect("the artifact-repository ConfigMap GET")
}

#[test]
fn low_load_latency_is_the_configured_one_and_background_load_stretches_the_cpu_part() {
    let base = minimal().task(task("a", "30s"));
    // One core, no background: the GET (1 KiB body) takes read_latency + 40 ms/MiB x 1 KiB.
    let quiet = run(&base.clone().apiserver("cpu_cores = 1").toml(), 1);
    let expect = 0.005 + (0.040f64 * 1024.0 / 1048576.0 * 1e6).ceil() / 1e6;
    let q = get_configmap_p50(&quiet);
    assert!((q - expect).abs() < 2e-6, "{q} vs {expect}");
    // 1,800 background reads/s at 500 us = 0.9 of the core: a lone request gets 0.1 core, so
    // its CPU (500 us + 5 ms/MiB x 1 KiB = 505 us) takes 10x as long: +4.545 ms.
    let busy = run(
        &base
            .clone()
            .apiserver("cpu_cores = 1")
            .apiserver("background_qps = 1800")
            .toml(),
        1,
    );
    let d = get_configmap_p50(&busy) - q;
    assert!((d - 9.0 * 0.000505).abs() < 2e-5, "stretch {d}");
}

/// Saturation onset: with the CPU the bottleneck, the requests' CPU work over the cores is a
/// floor on the run, and a 400x smaller apiserver slows
/// a fan-out's pod CREATEs and its makespan.
#[test]
fn a_saturated_apiserver_sets_the_pace() {
    let fan = minimal()
        .nodes(20, "16")
        .task(task("t", "10s").width(400).cpu("100m"))
        .controller("qps = 10000")
        .controller("burst = 10000");
    let big = run(&fan.clone().apiserver("cpu_cores = 8").toml(), 1);
    let small = run(&fan.clone().apiserver("cpu_cores = 0.02").toml(), 1);
    // Every request needs at least read_cpu (0.5 ms) of CPU: total / cores bounds the run.
    let floor = small.api.total_requests as f64 * 0.0005 / 0.02;
    assert!(small.end_time_s >= floor, "{} < {floor}", small.end_time_s);
    let (b, s) = (big.workflows.makespan_s.p50, small.workflows.makespan_s.p50);
    assert!(s > b + 1.0, "makespan {b} s on 8 cores vs {s} s on 0.02");
    assert!(create_p50(&small) > 2.0 * create_p50(&big));
}

#[test]
fn background_load_that_saturates_the_apiserver_alone_is_refused() {
    let text = minimal()
        .task(task("a", "30s"))
        .apiserver("cpu_cores = 1")
        .apiserver("background_qps = 2000")
        .toml();
    let e = crate::common::invalid(&text).to_string();
    assert!(
        e.contains("apiserver.background_qps") && e.contains("saturated by background load alone"),
        "{e}"
    );
}

/// scenarios/apiserver-saturation.toml: past 200 qps the busy apiserver's CPU sets the pace
/// (doubling qps changes nothing, the client throttle is gone, pod CREATEs take 30x their
/// low-load latency), while the idle apiserver runs the same workload faster.
#[test]
fn the_saturation_scenario_flattens_on_the_busy_apiserver() {
    let text = std::fs::read_to_string(crate::common::crate_path(
        "scenarios/apiserver-saturation.toml",
    ))
    .expect("shipped");
    let at = |qps: u32, background: u32| {
        let t = text
            .replace(
                "qps = 50\nburst = 75\nworkflow_workers",
                &format!("qps = {qps}\nburst = {}\nworkflow_workers", qps * 3 / 2),
            )
            .replace(
                "background_qps = 3000 ",
                &format!("background_qps = {background} "),
            );
        let sc = argosim::parse_scenario("apiserver-saturation.toml", &t)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sc.file.controller.qps, f64::from(qps));
        assert_eq!(sc.file.apiserver.background_qps, f64::from(background));
        argosim::simulate(&sc, 3)
    };
    let (busy400, busy800) = (at(400, 3000), at(800, 3000));
    assert_eq!(
        busy400.workflows.makespan_s.p95,
        busy800.workflows.makespan_s.p95
    );
    let throttle: f64 = busy400.throttling.iter().map(|t| t.total_wait_s).sum();
    assert!(throttle < 1.0, "{throttle}");
    assert!(
        create_p50(&busy400) > 30.0 * 0.015,
        "{}",
        create_p50(&busy400)
    );
    // The verdict says why the workflow queue wait leads: the workers wait on the apiserver.
    assert!(
        busy400.limits.verdict.contains(
            "the workers were busy: 0 % waiting in client-side buckets, 100 % at the apiserver"
        ),
        "{}",
        busy400.limits.verdict
    );
    let quiet400 = at(400, 0);
    assert!(quiet400.workflows.makespan_s.p95 < 0.8 * busy400.workflows.makespan_s.p95);
    assert!(create_p50(&quiet400) < 0.5 * create_p50(&busy400));
}
