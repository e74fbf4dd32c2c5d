//! Pods as Argo v3.6.19 sees them (argo-facts §11.6): `workflow/controller/operator.go`
//! `podReconciliation` (a vanished pod of a still-Pending node is created again),
//! `assessNodeStatus` / `getPendingReason` with `workflow/metrics/counter_pod_pending.go`
//! `ChangePodPending` (`pod_pending_count`), and the kubelet pulling the executor image before
//! the init container (`workflowpod.go` container order).

use crate::common::run;

/// Two nodes of one pool, two pods of 3 CPUs (one per node) pulling `image`, optionally with
/// a registry limit on `limited_host`.
fn two_nodes(image: &str, limited_host: &str) -> String {
    format!(
        r#"
[experiment]
horizon = "3h"
[[registries]]
host = "{limited_host}"
pulls_per_hour = 1
[[cluster.pools]]
name = "p"
cpu = "4"
memory = "16Gi"
price_per_hour = 1.0
nodes = 2
[[workflows]]
name = "w"
[[workflows.tasks]]
name = "t"
width = 2
cpu = "3"
image = "{image}"
duration = "1m"
[[submissions]]
workflow = "w"
"#
    )
}

/// A main-image pull refused by the registry shows on the `main` container (ErrImagePull,
/// then ImagePullBackOff), which `getPendingReason` reads: Argo counts it. The same refusal of
/// the executor image happens in the init container; `main` and `wait` still show their
/// default `PodInitializing`, which `ChangePodPending` drops.
#[test]
fn pod_pending_count_sees_main_image_errors_not_init_image_errors() {
    let main = run(&two_nodes("ghcr.io/acme/x:1", "ghcr.io"), 1);
    assert_eq!(main.workflows.succeeded, 1);
    let argo = &main.pods.pods_pending_count;
    assert!(argo["ImagePullBackOff"] >= 1, "{argo:?}");
    assert!(!argo.contains_key("PodInitializing"), "{argo:?}");
    assert!(!argo.contains_key("ContainerCreating"), "{argo:?}");

    let init = run(&two_nodes("ghcr.io/acme/x:1", "quay.io"), 1);
    assert_eq!(init.workflows.succeeded, 1);
    assert!(
        init.pods.pods_by_pending_reason["ImagePullBackOff"] >= 1,
        "kubelet view"
    );
    let argo = &init.pods.pods_pending_count;
    assert_eq!(argo["ImagePullBackOff"], 0, "{argo:?}");
    assert_eq!(argo["ErrImagePull"], 0, "{argo:?}");
}

/// `pod_pending_count` counts node message changes recorded by reconciles, so a pod counts at
/// most once per reason bout, and no more pods than entered the reason in the kubelet view.
#[test]
fn pod_pending_count_counts_recorded_changes() {
    let text = r#"
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
width = 12
cpu = "1"
duration = "100s"
[[submissions]]
workflow = "w"
"#;
    let r = run(text, 1);
    let argo = r.pods.pods_pending_count["Unschedulable"];
    let kube = r.pods.pods_by_pending_reason["Unschedulable"];
    assert!(kube >= 8, "8 pods never fit at first: {kube}");
    assert!(
        (1..=kube).contains(&argo),
        "argo {argo}, kubelet view {kube}"
    );
    // Bound at last, the binding sets PodScheduled=True and the message would read "" until
    // the kubelet's first status; the kubelet posts it within milliseconds (SyncPod), long
    // before the 10 s requeue's reconcile, so Argo goes straight to the dropped
    // PodInitializing.
    assert_eq!(r.pods.pods_pending_count[""], 0);
    // A kubelet whose status PATCHes wait on its client bucket (one per 20 s) leaves the
    // bound pods without a status when the reconcile comes: "" counts.
    let slow = text.replace(
        "[[cluster.pools]]",
        "[kubelet]\napi_qps = 0.05\napi_burst = 1\n[[cluster.pools]]",
    );
    let r = run(&slow, 1);
    let empty = r.pods.pods_pending_count[""];
    let unsched = r.pods.pods_pending_count["Unschedulable"];
    assert!(
        (1..=unsched).contains(&empty),
        "\"\" {empty}, Unschedulable {unsched}"
    );
}

/// A spot node that vanishes (no graceful shutdown) under a pod still pulling its image: the
/// node is Pending, so Argo creates the pod again (no retryStrategy needed) instead of
/// failing it with "pod deleted".
#[test]
fn a_vanished_pod_of_a_pending_node_is_created_again() {
    let text = r#"
[[cluster.pools]]
name = "spot"
cpu = "4"
memory = "16Gi"
price_per_hour = 0.05
spot = true
spot_interruptions_per_node_hour = 20
spot_shutdown = "pod-deleted"
nodes = 1
[[cluster.pools]]
name = "on-demand"
cpu = "4"
memory = "16Gi"
price_per_hour = 0.2
nodes = 1
[[workflows]]
name = "w"
[[workflows.tasks]]
name = "t"
cpu = "3"
duration = "1m"
image = "ghcr.io/acme/huge:1"
image_size = "200Gi"
[[submissions]]
workflow = "w"
"#;
    // The pull takes 1 s + 200 GiB / 75 MiB/s = 2,732 s; at 20 preemptions per node-hour the
    // spot node goes before it ends with probability 1 - e^-15.
    let r = run(text, 1);
    assert!(r.cluster.spot_preemptions >= 1);
    let w = &r.workflows.list[0];
    assert_eq!(w.phase, "Succeeded", "{}", w.message);
    assert_eq!(r.controller.pods_recreated, 1);
    assert_eq!(r.pods.created, 2);
    assert_eq!(r.cluster.retries, 0, "not a retry");
}
