//! The argo-workflows Helm chart's `values.yaml` (argoproj/argo-helm, `charts/argo-workflows`,
//! chart 1.0.x): the values its templates turn into workflow-controller flags, environment,
//! resources and configmap keys, and into argo-server flags, read as those templates render
//! them (facts from `templates/controller/workflow-controller-deployment.yaml`,
//! `workflow-controller-config-map.yaml` and `templates/server/server-deployment.yaml`).
//!
//! | value | renders as | scenario key |
//! |---|---|---|
//! | `controller.workflowWorkers`, `podCleanupWorkers` | `--workflow-workers`, `--pod-cleanup-workers` | `controller.workflow_workers`, `pod_cleanup_workers` |
//! | `controller.extraArgs`, `controller.extraEnv`, `controller.resources` | container args, env, resources | as for the Deployment (`deployment.rs`) |
//! | `controller.parallelism`, `namespaceParallelism`, `resourceRateLimit`, `persistence`, `initialDelay`, `podGCDeleteDelayDuration`, `nodeEvents` | configmap keys | as for the ConfigMap (`configmap.rs`) |
//! | `controller.instanceID.explicitID` (with `enabled`) | configmap `instanceID` | `controller.instance_id` |
//! | `singleNamespace` | `--namespaced` (the release namespace, or `namespaceOverride`) | `controller.namespace` |
//! | `executor.image` (`registry/repository:tag`, tag else `images.tag`) | `--executor-image` | `kubelet.executor_image` |
//! | `server.extraArgs`, `server.extraEnv`, `server.authMode`, `server.authModes` | argo-server args, env, `--auth-mode` | `argo_server.*` |
//!
//! Keys of the chart with no effect on the model (RBAC, services, probes, ingress, metrics,
//! UI, CRDs...) are listed in one summarised warning (those left empty, Helm's "unset", are
//! not); a key the chart does not have is a warning with its path and line (a typo there is
//! silently ignored by Helm). Left out: what needs the release name or namespace
//! (`instanceID.useReleaseName`, `singleNamespace` without
//! `namespaceOverride`, an empty image tag, which means the chart's appVersion): warned.

use super::deployment::{Process, Role};
use super::{HELM_TOP_KEYS, N, Out, configmap};
use std::cell::Cell;

/// Keys of `controller` in the chart's values.
const CONTROLLER_KEYS: &[&str] = &[
    "image",
    "parallelism",
    "resourceRateLimit",
    "rbac",
    "configMap",
    "namespaceParallelism",
    "initialDelay",
    "deploymentAnnotations",
    "podAnnotations",
    "podLabels",
    "podSecurityContext",
    "metricsConfig",
    "securityContext",
    "persistence",
    "workflowDefaults",
    "workflowWorkers",
    "workflowTTLWorkers",
    "podCleanupWorkers",
    "cronWorkflowWorkers",
    "workflowRestrictions",
    "telemetryConfig",
    "serviceMonitor",
    "serviceAccount",
    "name",
    "workflowNamespaces",
    "instanceID",
    "logging",
    "serviceType",
    "serviceAnnotations",
    "serviceLabels",
    "loadBalancerClass",
    "loadBalancerSourceRanges",
    "resources",
    "livenessProbe",
    "extraEnv",
    "extraArgs",
    "volumeMounts",
    "volumes",
    "replicas",
    "revisionHistoryLimit",
    "pdb",
    "nodeSelector",
    "tolerations",
    "affinity",
    "topologySpreadConstraints",
    "priorityClassName",
    "links",
    "columns",
    "navColor",
    "clusterWorkflowTemplates",
    "extraContainers",
    "extraInitContainers",
    "retentionPolicy",
    "nodeEvents",
    "workflowEvents",
    "kubeConfig",
    "podGCGracePeriodSeconds",
    "podGCDeleteDelayDuration",
    "synchronization",
    "failedPodRestart",
];

/// Configmap keys the chart renders from `controller.<same name>`.
const CONFIGMAP_KEYS: &[&str] = &[
    "parallelism",
    "namespaceParallelism",
    "resourceRateLimit",
    "persistence",
    "initialDelay",
    "podGCDeleteDelayDuration",
    "podGCGracePeriodSeconds",
    "nodeEvents",
    "workflowEvents",
    "workflowDefaults",
    "retentionPolicy",
    "workflowRestrictions",
    "links",
    "columns",
    "navColor",
    "kubeConfig",
    "metricsConfig",
    "telemetryConfig",
];

/// Keys of `server` in the chart's values.
const SERVER_KEYS: &[&str] = &[
    "enabled",
    "baseHref",
    "image",
    "deploymentAnnotations",
    "podAnnotations",
    "podLabels",
    "podSecurityContext",
    "rbac",
    "securityContext",
    "name",
    "serviceType",
    "servicePort",
    "serviceTargetPort",
    "serviceNodePort",
    "servicePortName",
    "hostAliases",
    "serviceAccount",
    "serviceAnnotations",
    "serviceLabels",
    "loadBalancerClass",
    "loadBalancerIP",
    "loadBalancerSourceRanges",
    "resources",
    "replicas",
    "revisionHistoryLimit",
    "autoscaling",
    "pdb",
    "nodeSelector",
    "tolerations",
    "affinity",
    "topologySpreadConstraints",
    "priorityClassName",
    "secure",
    "extraEnv",
    "authMode",
    "authModes",
    "extraArgs",
    "logging",
    "tmpVolume",
    "volumeMounts",
    "volumes",
    "ingress",
    "GKEbackendConfig",
    "GKEmanagedCertificate",
    "GKEfrontendConfig",
    "httproute",
    "backendTLSPolicy",
    "clusterWorkflowTemplates",
    "sso",
    "extraContainers",
    "extraInitContainers",
    "lifecycle",
    "terminationGracePeriodSeconds",
    "livenessProbe",
];

/// Keys of the other sections whose children the chart defines.
const SECTION_KEYS: &[(&str, &[&str])] = &[
    (
        "executor",
        &["image", "resources", "args", "env", "securityContext"],
    ),
    (
        "mainContainer",
        &[
            "imagePullPolicy",
            "resources",
            "env",
            "envFrom",
            "securityContext",
        ],
    ),
    ("workflow", &["namespace", "serviceAccount", "rbac"]),
    (
        "crds",
        &["install", "keep", "full", "annotations", "upgradeJob"],
    ),
    ("images", &["tag", "pullPolicy", "pullSecrets"]),
    ("emissary", &["images"]),
    ("artifactRepository", &["archiveLogs", "s3", "gcs", "azure"]),
    (
        "apiVersionOverrides",
        &["autoscaling", "cloudgoogle", "monitoring"],
    ),
];

const WHO: &str = "Helm values";

fn unknown(v: &N, out: &mut Out) {
    out.warn(
        v,
        "not a key of the argo-workflows chart's values (Helm ignores it): ignored".into(),
    );
}

/// A values document.
pub(super) fn import(root: &N, out: &mut Out, _budget: &Cell<usize>) {
    let ns = root
        .get("namespaceOverride")
        .and_then(|n| n.text())
        .filter(|s| !s.is_empty());
    let mut ctl = Process::new(Role::Controller, WHO.into(), ns.clone());
    let images_tag = root
        .get("images")
        .and_then(|i| i.get("tag"))
        .and_then(|t| t.text())
        .filter(|t| !t.is_empty());
    for (k, v) in root.entries() {
        match k {
            "controller" => controller(&v, &mut ctl, out),
            "server" => server(&v, out),
            "executor" => executor(&v, images_tag.as_deref(), &mut ctl, out),
            "singleNamespace" => match v.v.as_bool() {
                Some(true) => {
                    if ns.is_none() {
                        out.warn(&v, "singleNamespace: the controller manages the release namespace, which values.yaml does not hold: set controller.namespace (or namespaceOverride)".into());
                    } else {
                        ctl.flag(
                            "namespaced",
                            None,
                            v.clone(),
                            "singleNamespace=true (--namespaced)".into(),
                        );
                    }
                }
                Some(false) => {}
                None => out.warn(&v, "singleNamespace is not a boolean: ignored".into()),
            },
            "mainContainer" => {
                sections(k, &v, out);
                if v.get("resources").is_some_and(|r| !r.is_empty()) {
                    out.warn(&v, "resources (default requests of main containers): not applied to the imported workflows; use `argosim import --default-requests`".into());
                }
            }
            "namespaceOverride" => {}
            _ if HELM_TOP_KEYS.contains(&k) => {
                sections(k, &v, out);
                if !v.is_empty() {
                    out.ignore(&v, k.to_string());
                }
            }
            _ => unknown(&v, out),
        }
    }
    ctl.finish(out);
}

/// Children of a section the chart defines, checked against its keys.
fn sections(k: &str, v: &N, out: &mut Out) {
    if let Some((_, keys)) = SECTION_KEYS.iter().find(|(s, _)| *s == k) {
        for (c, x) in v.entries() {
            if !keys.contains(&c) {
                unknown(&x, out);
            }
        }
    }
}

fn controller<'a>(v: &N<'a>, p: &mut Process<'a>, out: &mut Out) {
    for (k, x) in v.entries() {
        match k {
            "workflowWorkers"
            | "podCleanupWorkers"
            | "workflowTTLWorkers"
            | "cronWorkflowWorkers" => {
                let flag = match k {
                    "workflowWorkers" => "workflow-workers",
                    "podCleanupWorkers" => "pod-cleanup-workers",
                    "workflowTTLWorkers" => "workflow-ttl-workers",
                    _ => "cron-workflow-workers",
                };
                let text = x.text().unwrap_or_default();
                p.flag(
                    flag,
                    Some(text.clone()),
                    x.clone(),
                    format!("controller.{k}={text} (--{flag})"),
                );
            }
            "extraArgs" => p.words(&x.items(), out),
            "extraEnv" => p.env(&x, out),
            "resources" => p.resources(&x, out),
            "instanceID" => instance_id(&x, out),
            "failedPodRestart" => {
                if x.get("enabled").and_then(|e| e.v.as_bool()) == Some(true) {
                    out.warn(&x, "failedPodRestart: not a v3.6 configmap key (a later Argo release): ignored".into());
                }
            }
            "synchronization" => {
                if !x.is_empty() {
                    out.warn(&x, "synchronization: not a v3.6 configmap key (database semaphores came in a later Argo release): ignored".into());
                }
            }
            _ if CONFIGMAP_KEYS.contains(&k) => {
                if !x.is_empty() {
                    configmap::apply_key(k, &x, WHO, out);
                }
            }
            _ if CONTROLLER_KEYS.contains(&k) => {
                if !x.is_empty() {
                    out.ignore(&x, x.key());
                }
            }
            _ => unknown(&x, out),
        }
    }
}

fn instance_id(v: &N, out: &mut Out) {
    if v.get("enabled").and_then(|e| e.v.as_bool()) != Some(true) {
        return;
    }
    if v.get("useReleaseName").and_then(|e| e.v.as_bool()) == Some(true) {
        out.warn(v, "instanceID.useReleaseName: the instance ID is the Helm release name, which values.yaml does not hold: set controller.instance_id".into());
        return;
    }
    match v.get("explicitID").filter(|e| !e.is_empty()) {
        Some(id) => configmap::apply_key("instanceID", &id, WHO, out),
        None => out.warn(v, "instanceID.enabled without an explicitID: the chart renders an empty instanceID: not set".into()),
    }
}

fn executor<'a>(v: &N<'a>, images_tag: Option<&str>, ctl: &mut Process<'a>, out: &mut Out) {
    sections("executor", v, out);
    for (k, x) in v.entries() {
        match k {
            "image" => {
                let s = |k: &str| x.get(k).and_then(|t| t.text()).filter(|t| !t.is_empty());
                let repo = s("repository").unwrap_or_else(|| "argoproj/argoexec".into());
                // A key the file does not set keeps the chart's default (quay.io).
                let image = format!(
                    "{}/{repo}",
                    s("registry").unwrap_or_else(|| "quay.io".into())
                );
                match s("tag").or_else(|| images_tag.map(str::to_string)) {
                    Some(tag) => {
                        let at = x.get("tag").unwrap_or(x.clone());
                        ctl.flag("executor-image", Some(format!("{image}:{tag}")), at, format!("executor.image={image}:{tag} (--executor-image)"));
                    }
                    None if image == "quay.io/argoproj/argoexec" => out.ignore(&x, "executor.image (tag: the chart's appVersion)".into()),
                    None => out.warn(&x, format!("executor.image {image} without a tag: the chart uses its appVersion, which values.yaml does not hold; kubelet.executor_image not set")),
                }
            }
            "resources" | "args" | "env" if !x.is_empty() => out.warn(
                &x,
                "not modelled (the init and wait containers' settings are not simulated)".into(),
            ),
            _ => {
                if !x.is_empty() {
                    out.ignore(&x, x.key());
                }
            }
        }
    }
}

fn server(v: &N, out: &mut Out) {
    if v.get("enabled").and_then(|e| e.v.as_bool()) == Some(false) {
        out.ignore(v, "server (enabled: false)".into());
        return;
    }
    let mut p = Process::new(Role::Server, WHO.into(), None);
    for (k, x) in v.entries() {
        match k {
            "extraArgs" => p.words(&x.items(), out),
            "extraEnv" => p.env(&x, out),
            "authMode" => {
                if let Some(m) = x.text().filter(|m| !m.is_empty()) {
                    p.flag(
                        "auth-mode",
                        Some(m.clone()),
                        x.clone(),
                        format!("server.authMode={m} (--auth-mode)"),
                    );
                }
            }
            "authModes" => {
                for m in x.items() {
                    if let Some(t) = m.text() {
                        p.flag(
                            "auth-mode",
                            Some(t.clone()),
                            m.clone(),
                            format!("server.authModes {t} (--auth-mode)"),
                        );
                    }
                }
            }
            _ if SERVER_KEYS.contains(&k) => {
                if !x.is_empty() {
                    out.ignore(&x, x.key());
                }
            }
            _ => unknown(&x, out),
        }
    }
    p.finish(out);
}

#[cfg(test)]
mod tests {
    use super::super::{ClusterImport, Src, Table};
    use super::*;
    use crate::import::locate::LineIndex;
    use serde_json::Value;

    fn run(text: &str) -> ClusterImport {
        let v: Value = serde_norway::from_str(text).unwrap();
        assert_eq!(
            super::super::classify(&v),
            Some(super::super::DocKind::HelmValues)
        );
        let lines = LineIndex::new(text, 1);
        let src = Src {
            file: "values.yaml",
            lines: &lines,
            prefix: Vec::new(),
            base: None,
            fixed: None,
        };
        let mut out = Out::default();
        import(&N::root(&v, &src), &mut out, &Cell::new(1000));
        out.finish()
    }

    fn value(c: &ClusterImport, t: Table, key: &str) -> Value {
        c.settings
            .iter()
            .find(|s| s.table == t && s.key == key)
            .map(|s| s.value.clone())
            .unwrap_or(Value::Null)
    }

    #[test]
    fn values_render_as_flags_env_and_configmap_keys() {
        let c = run(r#"namespaceOverride: pipelines
singleNamespace: true
images:
  tag: v3.6.19
controller:
  workflowWorkers: 64
  podCleanupWorkers:
  parallelism: 100
  resourceRateLimit:
    limit: 20
    burst: 40
  extraArgs:
    - --qps=80
    - --burst=120
  extraEnv:
    - name: DEFAULT_REQUEUE_TIME
      value: 20s
  resources:
    limits:
      cpu: "2"
      memory: 4Gi
  instanceID:
    enabled: true
    explicitID: team-a
  replicas: 2
  workflowTTLWorker: 3
executor:
  image:
    registry: registry.local
    repository: argoproj/argoexec
server:
  authModes: [server]
  extraArgs: [--kube-api-qps=30]
  ingress:
    enabled: false
frobnicate: true
"#);
        let t = Table::Controller;
        assert_eq!(value(&c, t, "workflow_workers"), 64);
        assert_eq!(value(&c, t, "pod_cleanup_workers"), Value::Null);
        assert_eq!(value(&c, t, "parallelism"), 100);
        assert_eq!(value(&c, t, "qps"), 80.0);
        assert_eq!(value(&c, t, "burst"), 120);
        assert_eq!(value(&c, t, "default_requeue_time"), "20s");
        assert_eq!(value(&c, t, "cpu"), "2");
        assert_eq!(value(&c, t, "memory_limit"), "4Gi");
        assert_eq!(value(&c, t, "instance_id"), "team-a");
        assert_eq!(value(&c, t, "namespace"), "pipelines");
        assert_eq!(
            value(&c, Table::Kubelet, "executor_image"),
            "registry.local/argoproj/argoexec:v3.6.19"
        );
        assert_eq!(value(&c, Table::ArgoServer, "auth_mode"), "server");
        assert_eq!(value(&c, Table::ArgoServer, "kube_api_qps"), 30.0);
        let qps = c.settings.iter().find(|s| s.key == "qps").unwrap();
        assert_eq!(qps.origin, "Helm values: args --qps=80 (values.yaml:13)");
        let w: Vec<String> = c.warnings.iter().map(ToString::to_string).collect();
        let all = w.join("\n");
        assert!(all.contains("values.yaml:26: controller.workflowTTLWorker: not a key of the argo-workflows chart"), "{all}");
        assert!(
            all.contains("values.yaml:36: frobnicate: not a key of the argo-workflows chart"),
            "{all}"
        );
        assert!(all.contains("controller.replicas"), "{all}");
    }
}
