//! `argosim import` of cluster configuration (issue 15 item 1), through the CLI: the
//! workflow-controller and argo-server Deployments, the controller ConfigMap, Helm values and
//! `kubectl get nodes -o json` set the scenario keys they map to, each value commented with
//! its file and line; unknown keys are listed; mixed with a workload the fragment validates.
//! Test data: tests/data/cluster/ (README.md); the third-party files (the real argo-helm
//! values.yaml, a real captured node list) are read from ../shared/cluster/ or the paths in
//! `ARGOSIM_HELM_VALUES` / `ARGOSIM_NODES_JSON`, and skipped with a message when absent.

use crate::common::{argosim, crate_path};
use std::path::PathBuf;

fn data(name: &str) -> String {
    crate_path(&format!("tests/data/cluster/{name}"))
        .to_string_lossy()
        .into_owned()
}

/// Run `argosim import` in tests/data/cluster (so file names in comments are short);
/// returns (stdout, stderr) and asserts success.
fn import(files: &[&str]) -> (String, String) {
    let out = argosim()
        .current_dir(crate_path("tests/data/cluster"))
        .arg("import")
        .args(files)
        .output()
        .unwrap();
    let (o, e) = (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    );
    assert!(out.status.success(), "{e}\n{o}");
    (o, e)
}

fn table(toml_text: &str) -> toml::Table {
    toml::from_str(toml_text).unwrap_or_else(|e| panic!("{e}\n{toml_text}"))
}

fn line_with<'a>(text: &'a str, start: &str) -> &'a str {
    text.lines()
        .find(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("no line starting {start:?} in\n{text}"))
}

/// The third-party file at `../shared/cluster/<name>` or `$var`, if present.
fn shared(var: &str, name: &str) -> Option<PathBuf> {
    let p = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| crate_path(&format!("../shared/cluster/{name}")));
    if p.is_file() {
        Some(p)
    } else {
        eprintln!(
            "skipped: {} is absent (set {var}; tests/data/cluster/README.md says where it comes from)",
            p.display()
        );
        None
    }
}

#[test]
fn controller_deployment_args_env_and_limits_set_controller_keys() {
    let (out, err) = import(&["controller-deployment.yaml", "argo-server-deployment.yaml"]);
    let t = table(&out);
    let c = t["controller"].as_table().unwrap();
    assert_eq!(c["qps"].as_float(), Some(50.0));
    assert_eq!(c["burst"].as_integer(), Some(75));
    assert_eq!(c["workflow_workers"].as_integer(), Some(64));
    assert_eq!(c["pod_cleanup_workers"].as_integer(), Some(8));
    assert_eq!(c["default_requeue_time"].as_str(), Some("20s"));
    assert_eq!(c["max_operation_time"].as_str(), Some("60s"));
    assert_eq!(c["informer_write_back"].as_bool(), Some(false));
    assert_eq!(c["cpu"].as_str(), Some("4"));
    assert_eq!(c["memory_limit"].as_str(), Some("4Gi"));
    assert_eq!(
        t["kubelet"]["executor_image"].as_str(),
        Some("quay.io/argoproj/argoexec:v3.6.19")
    );
    let s = t["argo_server"].as_table().unwrap();
    assert_eq!(s["auth_mode"].as_str(), Some("server"));
    assert_eq!(s["kube_api_qps"].as_float(), Some(40.0));
    assert_eq!(s["kube_api_burst"].as_integer(), Some(60));
    assert_eq!(s["api_rate_limit"].as_integer(), Some(200));
    // Every value says where it came from.
    assert_eq!(
        line_with(&out, "qps = "),
        "qps = 50.0  # workflow-controller Deployment: args --qps=50 (controller-deployment.yaml:25)"
    );
    assert!(
        line_with(&out, "informer_write_back")
            .ends_with("env INFORMER_WRITE_BACK=false (controller-deployment.yaml:44)")
    );
    // Not understood: warned with file, line and key; no effect: summarised.
    assert!(
        err.contains("controller-deployment.yaml:48: spec.template.spec.containers[0].env[5].value: env NOT_AN_ARGO_VARIABLE"),
        "{err}"
    );
    assert!(
        err.contains("controller-deployment.yaml: ignored, no effect on the simulated control plane: args --loglevel=info"),
        "{err}"
    );
}

#[test]
fn controller_configmap_sets_parallelism_and_rate_limit() {
    let (out, err) = import(&["workflow-controller-configmap.yaml"]);
    let c = table(&out)["controller"].as_table().unwrap().clone();
    assert_eq!(c["parallelism"].as_integer(), Some(20));
    assert_eq!(c["namespace_parallelism"].as_integer(), Some(10));
    assert_eq!(c["pod_gc_delete_delay"].as_str(), Some("30s"));
    assert_eq!(c["node_events"].as_bool(), Some(false));
    let r = c["resource_rate_limit"].as_table().unwrap();
    assert_eq!(
        (r["limit"].as_float(), r["burst"].as_integer()),
        (Some(10.0), Some(25))
    );
    assert!(
        line_with(&out, "resource_rate_limit").ends_with("(workflow-controller-configmap.yaml:11)")
    );
    assert!(
        err.contains("workflow-controller-configmap.yaml:19: data.retentionPolicy: not modelled"),
        "{err}"
    );
}

/// A Deployment flag overrides the configmap whatever the order of the files, as in Argo.
#[test]
fn deployment_flags_override_the_configmap() {
    let dir = tempfile::tempdir().unwrap();
    let cm = dir.path().join("cm.yaml");
    std::fs::write(
        &cm,
        "kind: ConfigMap\nmetadata: {name: workflow-controller-configmap}\ndata:\n  executor: |\n    image: my/argoexec:v1\n",
    )
    .unwrap();
    let (out, _) = import(&["controller-deployment.yaml", cm.to_str().unwrap()]);
    assert_eq!(
        table(&out)["kubelet"]["executor_image"].as_str(),
        Some("quay.io/argoproj/argoexec:v3.6.19")
    );
}

#[test]
fn helm_values_extra_args_and_env_set_keys_and_unknown_chart_keys_are_listed() {
    let (out, err) = import(&["values.yaml"]);
    let t = table(&out);
    let c = t["controller"].as_table().unwrap();
    assert_eq!(c["qps"].as_float(), Some(100.0));
    assert_eq!(c["burst"].as_integer(), Some(150));
    assert_eq!(c["workflow_workers"].as_integer(), Some(48));
    assert_eq!(c["parallelism"].as_integer(), Some(200));
    assert_eq!(c["default_requeue_time"].as_str(), Some("15s"));
    assert_eq!(c["max_workflow_size"].as_integer(), Some(2_097_152));
    assert_eq!(c["memory_limit"].as_str(), Some("8Gi"));
    assert_eq!(c["instance_id"].as_str(), Some("team-a"));
    let r = c["resource_rate_limit"].as_table().unwrap();
    assert_eq!(r["burst"].as_integer(), Some(30));
    assert_eq!(
        t["kubelet"]["executor_image"].as_str(),
        Some("quay.io/argoproj/argoexec:v3.6.19")
    );
    assert_eq!(t["argo_server"]["auth_mode"].as_str(), Some("client"));
    assert_eq!(t["argo_server"]["kube_api_qps"].as_float(), Some(30.0));
    assert_eq!(
        line_with(&out, "qps = "),
        "qps = 100.0  # Helm values: args --qps=100 (values.yaml:9)"
    );
    for unknown in [
        "values.yaml:24: controller.workflowWorker: not a key of the argo-workflows chart",
        "values.yaml:30: server.serviceTypo: not a key of the argo-workflows chart",
        "values.yaml:34: telemetry: not a key of the argo-workflows chart",
    ] {
        assert!(err.contains(unknown), "{unknown:?} not in\n{err}");
    }
    assert!(err.contains("controller.logging"), "{err}");
}

#[test]
fn the_real_argo_helm_values_import_without_error() {
    let Some(p) = shared("ARGOSIM_HELM_VALUES", "argo-helm-values.yaml") else {
        return;
    };
    let (out, err) = import(&[p.to_str().unwrap()]);
    // The chart's defaults are Argo's: nothing beyond node events is set, no key is unknown.
    let t = table(&out);
    assert!(t.get("cluster").is_none());
    assert!(
        !err.contains("not a key of the argo-workflows chart"),
        "{err}"
    );
}

#[test]
fn a_real_kubectl_get_nodes_imports_into_pools() {
    let Some(p) = shared("ARGOSIM_NODES_JSON", "honeycomb-nodes.json") else {
        return;
    };
    let (out, err) = import(&[p.to_str().unwrap()]);
    let t = table(&out);
    let pools = t["cluster"]["pools"].as_array().unwrap();
    assert!(!pools.is_empty(), "{out}");
    let nodes: i64 = pools.iter().map(|p| p["nodes"].as_integer().unwrap()).sum();
    assert!(nodes >= 1);
    for p in pools {
        assert!(p["cpu"].as_str().is_some() && p["memory"].as_str().is_some());
    }
    // Unknown prices are said, not guessed.
    if out.contains("price_per_hour = 0.0") {
        assert!(err.contains("in argosim's price table"), "{err}");
    }
}

#[test]
fn nodes_json_groups_pools_with_prices_spot_and_taints() {
    let (out, err) = import(&["nodes.json"]);
    let t = table(&out);
    let pools = t["cluster"]["pools"].as_array().unwrap();
    let names: Vec<&str> = pools.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["default-pool", "spot-pool", "arm-pool"]);
    assert_eq!(pools[0]["nodes"].as_integer(), Some(2));
    assert_eq!(pools[0]["allocatable_cpu"].as_str(), Some("15890m"));
    assert_eq!(pools[0]["price_per_hour"].as_float(), Some(0.7769));
    assert_eq!(pools[1]["spot"].as_bool(), Some(true));
    assert_eq!(pools[1]["price_per_hour"].as_float(), Some(0.2398));
    assert_eq!(
        pools[1]["taints"].as_array().unwrap()[0].as_str(),
        Some("cloud.google.com/gke-spot")
    );
    assert_eq!(pools[2]["arch"].as_str(), Some("arm64"));
    assert_eq!(pools[2]["price_per_hour"].as_float(), Some(0.0));
    assert!(err.contains("no price for t2a-standard-8"), "{err}");
}

/// Workload and cluster configuration in one call make one fragment, and it runs.
#[test]
fn mixed_inputs_make_one_fragment_that_validates_and_runs() {
    let (out, _) = import(&[
        "workload.yaml",
        "controller-deployment.yaml",
        "argo-server-deployment.yaml",
        "workflow-controller-configmap.yaml",
        "nodes.json",
    ]);
    assert!(out.contains("Runnable as it is: the node pools come from the Node objects given"));
    let t = table(&out);
    assert_eq!(t["workflows"].as_array().unwrap().len(), 1);
    assert_eq!(t["cluster"]["pools"].as_array().unwrap().len(), 3);
    argosim()
        .args(["validate", "-"])
        .write_stdin(out.clone())
        .assert()
        .success();
    let run = argosim()
        .args(["run", "-q", "-o", "json", "-"])
        .write_stdin(out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(r["runs"][0]["workflows"]["succeeded"], 1);
}

/// A cluster-only import appended to a workload validates (the fragment is meant for that).
#[test]
fn a_cluster_fragment_appended_to_a_workload_validates() {
    let (cluster, _) = import(&["values.yaml", "nodes.json"]);
    let workload = "\n[[workflows]]\nname = \"w\"\ninstance_id = \"team-a\"\n[[workflows.tasks]]\nname = \"t\"\nduration = \"1m\"\n[[submissions]]\nworkflow = \"w\"\n";
    argosim()
        .args(["validate", "-"])
        .write_stdin(format!("{cluster}{workload}"))
        .assert()
        .success();
}

/// Hostile and broken cluster documents are warned about or refused, never a panic.
#[test]
fn broken_cluster_documents_do_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        "kind: Deployment\nspec: {template: {spec: {containers: [{name: workflow-controller, args: [1, {a: b}, --qps, --burst=x], env: [{value: 1}, {name: X, value: [1]}], resources: {limits: {cpu: lots}}}]}}}\n",
        "kind: ConfigMap\nmetadata: {name: workflow-controller-configmap}\ndata: {config: \"[[[\", parallelism: \"-1\", resourceRateLimit: \"limit: x\"}\n",
        "kind: ConfigMap\nmetadata: {name: workflow-controller-configmap}\ndata:\n  config: |\n    a: &a [*a]\n",
        "{\"kind\": \"List\", \"items\": [{\"kind\": \"Node\", \"status\": {\"capacity\": {\"cpu\": \"-3\", \"memory\": []}}}, {\"kind\": \"Node\", \"status\": {\"capacity\": {\"cpu\": \"1\", \"memory\": \"1Gi\"}, \"allocatable\": {\"cpu\": \"2\"}}}]}",
        "controller: {extraArgs: {not: a list}, extraEnv: 3, resources: []}\nserver: {authModes: [nope]}\nexecutor: {image: 7}\n",
    ];
    for (i, text) in cases.iter().enumerate() {
        let p = dir.path().join(format!("c{i}.yaml"));
        std::fs::write(&p, text).unwrap();
        let out = argosim()
            .args(["import", p.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(
            out.status.code().is_some_and(|c| c <= 2),
            "case {i}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "case {i}: {err}");
    }
    let _ = data("README.md");
}

/// `kubectl get deploy,cm -o yaml` prints one `List`: its Deployments and controller
/// ConfigMap are read as if given one by one; other kinds in it are warned.
#[test]
fn a_kubectl_list_of_deployments_and_configmaps_imports() {
    let item = |name: &str| -> serde_json::Value {
        let text = std::fs::read_to_string(data(name)).unwrap();
        serde_norway::from_str(&text).unwrap()
    };
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": [
        item("controller-deployment.yaml"),
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "argo-server"}},
        item("workflow-controller-configmap.yaml"),
        item("argo-server-deployment.yaml"),
    ]});
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("argo.json");
    std::fs::write(&p, serde_json::to_string_pretty(&list).unwrap()).unwrap();
    let (out, err) = import(&[p.to_str().unwrap()]);
    let t = table(&out);
    assert_eq!(t["controller"]["qps"].as_float(), Some(50.0));
    assert_eq!(t["controller"]["parallelism"].as_integer(), Some(20));
    assert_eq!(t["argo_server"]["auth_mode"].as_str(), Some("server"));
    assert!(
        err.contains("a Service in a List is not cluster configuration"),
        "{err}"
    );
}
