//! The `workflow-controller` and `argo-server` Deployments: container `command`/`args`
//! flags, `env` (including viper's `ARGO_<FLAG>` form of every flag), and the controller
//! container's `resources.limits`, mapped to `[controller]`, `[kubelet]` and `[argo_server]`.
//!
//! Flags are parsed as pflag does (`--name=value`, `--name value`, `-name`, booleans only with
//! `=`); a flag given twice keeps the last, and a command-line flag wins over its `ARGO_`
//! variable, as viper binds them. The same functions read the Helm chart's
//! `controller.extraArgs` / `extraEnv` and `server.extraArgs` / `extraEnv` (see `helm.rs`).
//! Left out: environment values from `valueFrom` (Secrets, ConfigMaps; only a `fieldRef` to
//! `metadata.namespace` is resolved), `envFrom`, and `replicas` (Argo elects one leader; the
//! model has one controller per Deployment).

use super::{N, Out, Table, Ty, convert, go_bool, name_of};
use serde_json::Value;

/// Precedence of Deployment flags and environment over configmap keys.
const RANK: u8 = 1;

/// What a flag or variable sets.
#[derive(Clone, Copy)]
enum Map {
    /// A scenario key.
    Key(Table, &'static str, Ty),
    /// `--namespaced`.
    Namespaced,
    /// `--managed-namespace`.
    ManagedNamespace,
    /// Known, and of no effect on the model.
    Ignore,
    /// Known, changes what Argo does, but the model has no such setting (warned).
    NotModelled(&'static str),
}

/// A flag: name, whether it takes a value after a blank (booleans do not), what it sets.
type Flag = (&'static str, bool, Map);

/// Flags of `workflow-controller` v3.6.19 (`cmd/workflow-controller/main.go`).
const CONTROLLER_FLAGS: &[Flag] = &[
    ("qps", true, Map::Key(Table::Controller, "qps", Ty::PosF64)),
    (
        "burst",
        true,
        Map::Key(Table::Controller, "burst", Ty::Count),
    ),
    (
        "workflow-workers",
        true,
        Map::Key(Table::Controller, "workflow_workers", Ty::Count),
    ),
    (
        "pod-cleanup-workers",
        true,
        Map::Key(Table::Controller, "pod_cleanup_workers", Ty::Count),
    ),
    (
        "executor-image",
        true,
        Map::Key(Table::Kubelet, "executor_image", Ty::Str),
    ),
    ("namespaced", false, Map::Namespaced),
    ("managed-namespace", true, Map::ManagedNamespace),
    (
        "workflow-ttl-workers",
        true,
        Map::NotModelled("the TTL controller's deletes are not limited by workers in the model"),
    ),
    (
        "cron-workflow-workers",
        true,
        Map::NotModelled("cron submissions are not limited by workers in the model"),
    ),
    (
        "workflow-archive-workers",
        true,
        Map::NotModelled("workflow archiving is not simulated"),
    ),
    ("configmap", true, Map::Ignore),
    ("executor-image-pull-policy", true, Map::Ignore),
    ("loglevel", true, Map::Ignore),
    ("gloglevel", true, Map::Ignore),
    ("log-format", true, Map::Ignore),
    ("executor-plugins", false, Map::Ignore),
    ("workflow-level-executor-plugins", false, Map::Ignore),
    ("kubeconfig", true, Map::Ignore),
];

/// Flags of `argo server` v3.6.19 (`cmd/argo/commands/server.go`) and the argo CLI's
/// global flags.
const SERVER_FLAGS: &[Flag] = &[
    (
        "kube-api-qps",
        true,
        Map::Key(Table::ArgoServer, "kube_api_qps", Ty::PosF64),
    ),
    (
        "kube-api-burst",
        true,
        Map::Key(Table::ArgoServer, "kube_api_burst", Ty::Count),
    ),
    (
        "api-rate-limit",
        true,
        Map::Key(Table::ArgoServer, "api_rate_limit", Ty::Count),
    ),
    (
        "auth-mode",
        true,
        Map::Key(Table::ArgoServer, "auth_mode", Ty::Str),
    ),
    ("port", true, Map::Ignore),
    ("base-href", true, Map::Ignore),
    ("secure", false, Map::Ignore),
    ("tls-certificate-secret-name", true, Map::Ignore),
    ("hsts", false, Map::Ignore),
    ("configmap", true, Map::Ignore),
    ("namespaced", false, Map::Ignore),
    ("managed-namespace", true, Map::Ignore),
    ("browser", false, Map::Ignore),
    (
        "event-operation-queue-size",
        true,
        Map::NotModelled("WorkflowEventBindings are not simulated"),
    ),
    (
        "event-worker-count",
        true,
        Map::NotModelled("WorkflowEventBindings are not simulated"),
    ),
    ("event-async-dispatch", false, Map::Ignore),
    ("x-frame-options", true, Map::Ignore),
    ("access-control-allow-origin", true, Map::Ignore),
    ("allowed-link-protocol", true, Map::Ignore),
    ("log-format", true, Map::Ignore),
    ("loglevel", true, Map::Ignore),
    ("gloglevel", true, Map::Ignore),
    ("verbose", false, Map::Ignore),
    ("kubeconfig", true, Map::Ignore),
    ("insecure-skip-verify", false, Map::Ignore),
];

/// Controller environment variables the model has keys for (argo-facts §1.5–1.7, §4.3).
const CONTROLLER_ENV: &[(&str, Map)] = &[
    (
        "DEFAULT_REQUEUE_TIME",
        Map::Key(Table::Controller, "default_requeue_time", Ty::Dur(100_000)),
    ),
    (
        "MAX_OPERATION_TIME",
        Map::Key(Table::Controller, "max_operation_time", Ty::Dur(1)),
    ),
    (
        "INFORMER_WRITE_BACK",
        Map::Key(Table::Controller, "informer_write_back", Ty::Bool),
    ),
    (
        "MAX_WORKFLOW_SIZE",
        Map::Key(Table::Controller, "max_workflow_size", Ty::IntBytes),
    ),
    (
        "HEALTHZ_AGE",
        Map::Key(Table::Controller, "healthz_age", Ty::Dur(1)),
    ),
    (
        "ARGO_PROGRESS_PATCH_TICK_DURATION",
        Map::Key(Table::Controller, "progress_patch_tick", Ty::Dur(1_000_000)),
    ),
    (
        "LEADER_ELECTION_LEASE_DURATION",
        Map::NotModelled(
            "lease timings are not modelled (a restarted controller re-acquires its own lease at once)",
        ),
    ),
    (
        "LEADER_ELECTION_RENEW_DEADLINE",
        Map::NotModelled(
            "lease timings are not modelled (a restarted controller re-acquires its own lease at once)",
        ),
    ),
    (
        "LEADER_ELECTION_RETRY_PERIOD",
        Map::NotModelled(
            "lease timings are not modelled (a restarted controller re-acquires its own lease at once)",
        ),
    ),
    (
        "SEMAPHORE_NOTIFY_DELAY",
        Map::NotModelled(
            "argosim fixes it at Argo's 1s default (docs/scenario.md, fixed constants)",
        ),
    ),
    (
        "ALL_POD_CHANGES_SIGNIFICANT",
        Map::NotModelled(
            "the model requeues on the pod changes Argo counts as significant by default",
        ),
    ),
    (
        "ALWAYS_OFFLOAD_NODE_STATUS",
        Map::NotModelled(
            "offload happens only when compression is not enough (controller.node_status_offload)",
        ),
    ),
    ("LEADER_ELECTION_DISABLE", Map::Ignore),
    ("LEADER_ELECTION_IDENTITY", Map::Ignore),
    ("ARGO_NAMESPACE", Map::Ignore),
    ("WORKFLOW_GC_PERIOD", Map::Ignore),
    ("ARCHIVED_WORKFLOW_GC_PERIOD", Map::Ignore),
    ("OFFLOAD_NODE_STATUS_TTL", Map::Ignore),
    ("CRON_SYNC_PERIOD", Map::Ignore),
    ("RECENTLY_STARTED_POD_DURATION", Map::Ignore),
    ("RECENTLY_DELETED_POD_DURATION", Map::Ignore),
    ("RETRY_BACKOFF_DURATION", Map::Ignore),
    ("RETRY_BACKOFF_FACTOR", Map::Ignore),
    ("RETRY_BACKOFF_STEPS", Map::Ignore),
    ("OPERATION_DURATION_METRIC_BUCKET_COUNT", Map::Ignore),
    ("GZIP_IMPLEMENTATION", Map::Ignore),
    ("CACHE_GC_PERIOD", Map::Ignore),
    ("CACHE_GC_AFTER_NOT_HIT_DURATION", Map::Ignore),
    ("ARGO_PROGRESS_FILE_TICK_DURATION", Map::Ignore),
    ("ARGO_PPROF", Map::Ignore),
    ("ARGO_TRACE", Map::Ignore),
    ("ARGO_AGENT_TASK_WORKERS", Map::Ignore),
    ("ARGO_AGENT_PATCH_RATE", Map::Ignore),
    ("ARGO_AGENT_CPU_LIMIT", Map::Ignore),
    ("ARGO_AGENT_MEMORY_LIMIT", Map::Ignore),
    ("ARGO_POD_STATUS_CAPTURE_FINALIZER", Map::Ignore),
    ("ARGO_REMOVE_PVC_PROTECTION_FINALIZER", Map::Ignore),
    ("BUBBLE_ENTRY_TEMPLATE_ERR", Map::Ignore),
    ("DISABLE_MAX_RECURSION", Map::Ignore),
    ("EXPRESSION_TEMPLATES", Map::Ignore),
    ("EVENT_AGGREGATION_WITH_ANNOTATIONS", Map::Ignore),
    ("INDEX_WORKFLOW_SEMAPHORE_KEYS", Map::Ignore),
    ("POD_NAMES", Map::Ignore),
    ("RETRY_HOST_NAME_LABEL_KEY", Map::Ignore),
    ("TRANSIENT_ERROR_PATTERN", Map::Ignore),
    ("WF_DEL_PROPAGATION_POLICY", Map::Ignore),
    ("WATCH_CONTROLLER_SEMAPHORE_CONFIGMAPS", Map::Ignore),
    ("SKIP_WORKFLOW_DURATION_ESTIMATION", Map::Ignore),
];

/// Argo Server variables of `docs/environment-variables.md` (none is modelled).
const SERVER_ENV: &[&str] = &[
    "ARGO_ARTIFACT_SERVER",
    "ARGO_PPROF",
    "ARGO_SERVER_METRICS_AUTH",
    "DISABLE_VALUE_LIST_RETRIEVAL_KEY_PATTERN",
    "FIRST_TIME_USER_MODAL",
    "FEEDBACK_MODAL",
    "GRPC_MESSAGE_SIZE",
    "IP_KEY_FUNC_HEADERS",
    "NEW_VERSION_MODAL",
    "POD_NAMES",
    "SSO_DELEGATE_RBAC_TO_NAMESPACE",
    "BASE_HREF",
    "ARGO_NAMESPACE",
];

/// Which Argo component a process is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// `workflow-controller`.
    Controller,
    /// `argo server`.
    Server,
}

impl Role {
    fn flags(self) -> &'static [Flag] {
        match self {
            Role::Controller => CONTROLLER_FLAGS,
            Role::Server => SERVER_FLAGS,
        }
    }
    fn command(self) -> &'static str {
        match self {
            Role::Controller => "workflow-controller",
            Role::Server => "argo server",
        }
    }
}

/// The role of a container, from its image, command, first argument or name.
fn role_of(c: &N) -> Option<Role> {
    let s = |k: &str| c.get(k).and_then(|x| x.text()).unwrap_or_default();
    let words = |k: &str| -> Vec<String> {
        c.get(k)
            .map_or_else(Vec::new, |l| l.items().iter().filter_map(N::text).collect())
    };
    let (image, name) = (s("image"), s("name"));
    let command = words("command");
    let args = words("args");
    let has = |w: &str| command.iter().chain(&args).any(|a| a.ends_with(w));
    if image.contains("workflow-controller")
        || has("workflow-controller")
        || name == "workflow-controller"
    {
        return Some(Role::Controller);
    }
    let first_arg = command
        .iter()
        .skip(1)
        .chain(&args)
        .next()
        .map(String::as_str);
    if image.contains("argocli")
        || name == "argo-server"
        || (first_arg == Some("server") && image.contains("argo"))
    {
        return Some(Role::Server);
    }
    None
}

/// One flag occurrence: name, value, where, and how it was written.
struct Occ<'a> {
    name: String,
    value: Option<String>,
    at: N<'a>,
    how: String,
    from_env: bool,
}

/// Split command-line words into flags (pflag syntax); positional words are returned apart.
fn parse_words<'a>(role: Role, words: &[N<'a>], out: &mut Out) -> Vec<Occ<'a>> {
    let mut occ = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        i += 1;
        let Some(t) = w.text() else {
            out.warn(
                w,
                "a container argument that is not a string: ignored".into(),
            );
            continue;
        };
        let Some(body) = t
            .strip_prefix("--")
            .or_else(|| t.strip_prefix('-'))
            .filter(|b| !b.is_empty())
        else {
            if !(t.ends_with("workflow-controller") || role == Role::Server && t == "server") {
                out.warn(
                    w,
                    format!("positional argument {t:?} of {}: ignored", role.command()),
                );
            }
            continue;
        };
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (body.to_string(), None),
        };
        let takes_value = role
            .flags()
            .iter()
            .find(|f| f.0 == name)
            .is_none_or(|f| f.1);
        let value = match inline {
            Some(v) => Some(v),
            None if takes_value => {
                let next = words.get(i).and_then(N::text);
                match next {
                    Some(v) if !v.starts_with('-') || v.parse::<f64>().is_ok() => {
                        i += 1;
                        Some(v)
                    }
                    _ => None,
                }
            }
            None => None,
        };
        let how = match &value {
            Some(v) => format!("args --{name}={v}"),
            None => format!("args --{name}"),
        };
        occ.push(Occ {
            name,
            value,
            at: w.clone(),
            how,
            from_env: false,
        });
    }
    occ
}

/// The flag an `ARGO_<FLAG>` variable stands for (viper: prefix `ARGO`, `-` → `_`).
fn env_flag(role: Role, var: &str) -> Option<&'static str> {
    let rest = var.strip_prefix("ARGO_")?;
    role.flags()
        .iter()
        .find(|f| f.0.replace('-', "_").eq_ignore_ascii_case(rest))
        .map(|f| f.0)
}

/// What a process's flags and environment set. `who` names it in origins
/// (`workflow-controller Deployment`, `Helm values`); `namespace` is the Deployment's own
/// (`ARGO_NAMESPACE`), when known.
pub(super) struct Process<'a> {
    pub role: Role,
    pub who: String,
    pub namespace: Option<String>,
    occ: Vec<Occ<'a>>,
}

impl<'a> Process<'a> {
    /// A process with no flags yet.
    pub fn new(role: Role, who: String, namespace: Option<String>) -> Self {
        Process {
            role,
            who,
            namespace,
            occ: Vec::new(),
        }
    }

    /// Command-line words (`command` after the program, then `args`).
    pub fn words(&mut self, words: &[N<'a>], out: &mut Out) {
        self.occ.extend(parse_words(self.role, words, out));
    }

    /// One flag given another way (a Helm value the chart renders as this flag); `how` says
    /// how it was written, for its origin.
    pub fn flag(&mut self, name: &str, value: Option<String>, at: N<'a>, how: String) {
        self.occ.push(Occ {
            name: name.to_string(),
            value,
            at,
            how,
            from_env: false,
        });
    }

    /// A container `env` list.
    pub fn env(&mut self, env: &N<'a>, out: &mut Out) {
        for e in env.items() {
            let Some(name) = e.get("name").and_then(|n| n.text()) else {
                out.warn(&e, "an env entry without a name: ignored".into());
                continue;
            };
            let value = match (e.get("value"), e.get("valueFrom")) {
                (Some(v), _) => v.text(),
                (None, Some(from)) => {
                    let field = from
                        .get("fieldRef")
                        .and_then(|f| f.get("fieldPath"))
                        .and_then(|p| p.text());
                    if field.as_deref() == Some("metadata.namespace") && name == "ARGO_NAMESPACE" {
                        continue;
                    }
                    if self.known_env(&name) {
                        out.warn(&from, format!("env {name} comes from valueFrom, which the importer cannot read: not set"));
                    } else {
                        out.ignore(&e, format!("env {name} (valueFrom)"));
                    }
                    continue;
                }
                (None, None) => Some(String::new()),
            };
            let Some(value) = value else {
                out.warn(
                    &e,
                    format!("env {name}: the value is not a scalar: ignored"),
                );
                continue;
            };
            if name == "ARGO_NAMESPACE" {
                self.namespace = Some(value.clone());
            }
            let at = e.get("value").unwrap_or(e.clone());
            if let Some(flag) = env_flag(self.role, &name) {
                self.occ.push(Occ {
                    name: flag.to_string(),
                    value: Some(value.clone()),
                    at,
                    how: format!("env {name}={value}"),
                    from_env: true,
                });
                continue;
            }
            self.env_var(&name, &value, &at, out);
        }
    }

    fn known_env(&self, name: &str) -> bool {
        env_flag(self.role, name).is_some()
            || match self.role {
                Role::Controller => CONTROLLER_ENV
                    .iter()
                    .any(|(n, m)| *n == name && matches!(m, Map::Key(..))),
                Role::Server => false,
            }
    }

    fn env_var(&mut self, name: &str, value: &str, at: &N, out: &mut Out) {
        let how = format!("env {name}={value}");
        match self.role {
            Role::Controller => match CONTROLLER_ENV.iter().find(|(n, _)| *n == name) {
                Some((_, map)) => {
                    if name == "ARGO_PROGRESS_PATCH_TICK_DURATION" && crate::units::parse_duration(value) == Ok(0) {
                        out.warn(at, format!("{how} turns progress reporting off: model it with tasks without `progress`; controller.progress_patch_tick not set"));
                        return;
                    }
                    self.apply(*map, Some(value), at, &how, out);
                }
                None => out.warn(at, format!("env {name} is not a workflow-controller v3.6 variable the importer knows: ignored")),
            },
            Role::Server => {
                if SERVER_ENV.contains(&name) {
                    out.ignore(at, format!("env {name}"));
                } else {
                    out.warn(at, format!("env {name} is not an argo-server v3.6 variable the importer knows: ignored"));
                }
            }
        }
    }

    /// A container's `resources` (controller only: `limits.cpu`, `limits.memory`).
    pub fn resources(&self, res: &N, out: &mut Out) {
        if self.role != Role::Controller {
            if !res.is_empty() {
                out.ignore(res, "argo-server resources".into());
            }
            return;
        }
        let limits = res.get("limits");
        for (k, key, ty) in [
            ("cpu", "cpu", Ty::Cpu),
            ("memory", "memory_limit", Ty::Quantity),
        ] {
            match limits.as_ref().and_then(|l| l.get(k)) {
                Some(v) => {
                    let text = v.text().unwrap_or_default();
                    match convert(ty, &text) {
                        Ok(val) => {
                            let origin =
                                format!("{}: resources.limits.{k}={text} ({})", self.who, v.at());
                            out.set(Table::Controller, key, val, RANK, origin, &v);
                        }
                        Err(e) => out.warn(&v, format!("resources.limits.{k}: {e}: not set")),
                    }
                }
                None => {
                    if let Some(r) = res.get("requests").and_then(|r| r.get(k)) {
                        let what = if k == "cpu" {
                            "a CPU request is not a limit: the controller may use more while the node has room; controller.cpu left unlimited"
                        } else {
                            "a memory request is not a limit: no OOM kill is modelled; controller.memory_limit left unset"
                        };
                        out.warn(&r, what.into());
                    }
                }
            }
        }
    }

    /// Apply the flags collected (command-line flags win over their `ARGO_` variables;
    /// of several occurrences the last one counts).
    pub fn finish(self, out: &mut Out) {
        let Process {
            role,
            who,
            namespace,
            occ,
        } = self;
        let mut last: Vec<&Occ> = Vec::new();
        for o in &occ {
            let pos = last.iter().position(|p| p.name == o.name);
            match pos {
                Some(p) if last[p].from_env || !o.from_env => last[p] = o,
                Some(_) => {}
                None => last.push(o),
            }
        }
        let mut namespaced: Option<&Occ> = None;
        let mut managed: Option<&Occ> = None;
        let mut auth: Vec<String> = Vec::new();
        let mut auth_at: Option<&Occ> = None;
        for o in &occ {
            if role == Role::Server && o.name == "auth-mode" && !o.from_env {
                auth.extend(o.value.clone());
                auth_at = Some(o);
            }
        }
        let p = Process {
            role,
            who: who.clone(),
            namespace: namespace.clone(),
            occ: Vec::new(),
        };
        for o in last {
            let Some(&(_, _, map)) = role.flags().iter().find(|f| f.0 == o.name) else {
                let hint = if o.name == "instanceid" {
                    " (instanceID is a key of the workflow-controller-configmap)"
                } else {
                    ""
                };
                out.warn(&o.at, format!("--{} is not a {} v3.6.19 flag{hint}: ignored (the program refuses unknown flags)", o.name, role.command()));
                continue;
            };
            match map {
                Map::Namespaced => namespaced = Some(o),
                Map::ManagedNamespace => managed = Some(o),
                Map::Key(_, "auth_mode", _) => {
                    if auth_at.is_none() {
                        auth.extend(o.value.clone());
                        auth_at = Some(o);
                    }
                }
                _ => p.apply_occ(map, o, out),
            }
        }
        if let Some(o) = auth_at {
            auth_mode(&auth, o, &who, out);
        }
        let on = namespaced.map(|o| o.value.as_deref().map_or(Some(true), go_bool));
        match (on, managed) {
            (Some(Some(true)), m) => {
                let ns = m.and_then(|o| o.value.clone()).filter(|v| !v.is_empty());
                let (value, how, at) = match (ns, m, namespace) {
                    (Some(v), Some(o), _) => (v, format!("{} {}", namespaced.map_or("", |n| n.how.as_str()), o.how), &o.at),
                    (_, _, Some(own)) => {
                        let n = namespaced.expect("namespaced");
                        (own.clone(), format!("{} (its own namespace {own})", n.how), &n.at)
                    }
                    _ => {
                        let n = namespaced.expect("namespaced");
                        out.warn(&n.at, "--namespaced without --managed-namespace watches the controller's own namespace, which this file does not give: set controller.namespace".into());
                        return;
                    }
                };
                let origin = format!("{who}: {} ({})", how.trim(), at.at());
                out.set(Table::Controller, "namespace", Value::String(value), RANK, origin, at);
            }
            (Some(None), _) => {
                let n = namespaced.expect("namespaced");
                out.warn(&n.at, format!("{}: not a boolean: ignored", n.how));
            }
            (_, Some(m)) => out.warn(&m.at, format!("{}: Argo ignores --managed-namespace without --namespaced (\"ignoring --managed-namespace because --namespaced is false\"): not set", m.how)),
            _ => {}
        }
    }

    fn apply_occ(&self, map: Map, o: &Occ, out: &mut Out) {
        self.apply(map, o.value.as_deref(), &o.at, &o.how, out);
    }

    fn apply(&self, map: Map, value: Option<&str>, at: &N, how: &str, out: &mut Out) {
        match map {
            Map::Key(table, key, ty) => {
                let Some(v) = value else {
                    out.warn(at, format!("{how}: the flag needs a value: ignored"));
                    return;
                };
                match convert(ty, v) {
                    Ok(val) => {
                        let origin = format!("{}: {how} ({})", self.who, at.at());
                        out.set(table, key, val, RANK, origin, at);
                    }
                    Err(e) => out.warn(
                        at,
                        format!("{how}: {e}: {table}.{key} not set", table = table.name()),
                    ),
                }
            }
            Map::Ignore => out.ignore(at, how.to_string()),
            Map::NotModelled(why) => out.warn(at, format!("{how}: not modelled ({why})")),
            Map::Namespaced | Map::ManagedNamespace => {}
        }
    }
}

/// `--auth-mode` (repeatable) → `argo_server.auth_mode`: `client` when the caller's token is
/// one of the modes (each request builds its own clientsets), `server` for `server` alone;
/// `sso` is an approximation (warned): without SSO RBAC the server's own clientsets serve it.
fn auth_mode(modes: &[String], o: &Occ, who: &str, out: &mut Out) {
    let modes: Vec<&str> = modes
        .iter()
        .flat_map(|m| m.split(','))
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .collect();
    let unknown: Vec<&&str> = modes
        .iter()
        .filter(|m| !matches!(**m, "client" | "server" | "sso"))
        .collect();
    if !unknown.is_empty() {
        out.warn(
            &o.at,
            format!("--auth-mode {unknown:?} is not client, server or sso: ignored"),
        );
    }
    let value = if modes.contains(&"client") {
        "client"
    } else if modes.contains(&"server") {
        "server"
    } else if modes.contains(&"sso") {
        out.warn(&o.at, "--auth-mode=sso is simulated as server (the server's own clientsets; with sso.rbac each user's service-account token makes it client)".into());
        "server"
    } else {
        return;
    };
    if modes.len() > 1 {
        out.warn(&o.at, format!("several --auth-mode values {modes:?}: simulated as {value} (the one whose clients the submissions of the scenario would use)"));
    }
    let origin = format!("{who}: --auth-mode={} ({})", modes.join(","), o.at.at());
    out.set(
        Table::ArgoServer,
        "auth_mode",
        Value::String(value.into()),
        RANK,
        origin,
        &o.at,
    );
}

/// A Deployment: the workflow-controller's or the argo-server's. Returns false when it is
/// neither (left to the workload importer, which refuses it).
pub(super) fn import(root: &N, out: &mut Out) -> bool {
    let name = name_of(root.v).to_string();
    let namespace = root
        .get("metadata")
        .and_then(|m| m.get("namespace"))
        .and_then(|n| n.text());
    let containers = root
        .get("spec")
        .and_then(|s| s.get("template"))
        .and_then(|t| t.get("spec"))
        .and_then(|s| s.get("containers"))
        .map(|c| c.items())
        .unwrap_or_default();
    let Some((c, role)) = containers
        .iter()
        .find_map(|c| role_of(c).map(|r| (c.clone(), r)))
    else {
        return false;
    };
    let who = match role {
        Role::Controller => format!("{name} Deployment"),
        Role::Server => format!("{name} Deployment"),
    };
    if role == Role::Controller {
        out.controllers_seen += 1;
        if out.controllers_seen > 1 {
            out.warn(root, format!("a second workflow-controller Deployment ({name}): only the first is imported; for several controllers write [[controllers]] by hand (docs/scenario.md)"));
            return true;
        }
        if name != "?" && name != crate::scenario::defaults::DEFAULT_CONTROLLER_NAME {
            let at = root
                .get("metadata")
                .and_then(|m| m.get("name"))
                .unwrap_or(root.clone());
            let origin = format!("{who}: metadata.name ({})", at.at());
            out.set(
                Table::Controller,
                "name",
                Value::String(name.clone()),
                RANK,
                origin,
                &at,
            );
        }
    }
    if let Some(r) = root.get("spec").and_then(|s| s.get("replicas"))
        && r.v.as_u64().is_some_and(|n| n > 1)
    {
        out.ignore(
            &r,
            format!("replicas {} (one leader works; the others stand by)", r.v),
        );
    }
    let mut p = Process::new(role, who, namespace);
    let mut words: Vec<N> = c.get("command").map(|l| l.items()).unwrap_or_default();
    if !words.is_empty() {
        words.remove(0);
    }
    words.extend(c.get("args").map(|l| l.items()).unwrap_or_default());
    p.words(&words, out);
    if let Some(env) = c.get("env") {
        p.env(&env, out);
    }
    if let Some(res) = c.get("resources") {
        p.resources(&res, out);
    }
    p.finish(out);
    for other in containers.iter().filter(|o| o.path != c.path) {
        let n = other.get("name").and_then(|n| n.text()).unwrap_or_default();
        out.ignore(other, format!("container {n}"));
    }
    true
}

#[cfg(test)]
mod tests {
    use super::super::{ClusterImport, Src};
    use super::*;
    use crate::import::locate::LineIndex;

    fn run(yaml: &str) -> ClusterImport {
        let v: Value = serde_norway::from_str(yaml).unwrap();
        let lines = LineIndex::new(yaml, 1);
        let src = Src {
            file: "d.yaml",
            lines: &lines,
            prefix: Vec::new(),
            base: None,
            fixed: None,
        };
        let mut out = Out::default();
        assert!(import(&N::root(&v, &src), &mut out));
        out.finish()
    }

    fn get<'a>(c: &'a ClusterImport, table: Table, key: &str) -> Option<&'a super::super::Setting> {
        c.settings.iter().find(|s| s.table == table && s.key == key)
    }

    const CONTROLLER: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: workflow-controller
  namespace: argo
spec:
  template:
    spec:
      containers:
        - name: workflow-controller
          image: quay.io/argoproj/workflow-controller:v3.6.19
          command: [workflow-controller]
          args:
            - --qps=50
            - --burst
            - "75"
            - --workflow-workers=64
            - --namespaced
            - --instanceid=x
            - --loglevel=debug
          env:
            - name: DEFAULT_REQUEUE_TIME
              value: 30s
            - name: ARGO_POD_CLEANUP_WORKERS
              value: "8"
            - name: ARGO_QPS
              value: "10"
            - name: MAX_WORKFLOW_SIZE
              value: "2097152"
            - name: LEADER_ELECTION_IDENTITY
              valueFrom:
                fieldRef:
                  fieldPath: metadata.name
          resources:
            limits:
              memory: 2Gi
            requests:
              cpu: 500m
"#;

    #[test]
    fn controller_flags_env_and_limits_set_their_keys() {
        let c = run(CONTROLLER);
        let qps = get(&c, Table::Controller, "qps").unwrap();
        // The flag wins over ARGO_QPS.
        assert_eq!(qps.value, serde_json::json!(50.0));
        assert_eq!(
            qps.origin,
            "workflow-controller Deployment: args --qps=50 (d.yaml:14)"
        );
        assert_eq!(get(&c, Table::Controller, "burst").unwrap().value, 75);
        assert_eq!(
            get(&c, Table::Controller, "workflow_workers")
                .unwrap()
                .value,
            64
        );
        let pcw = get(&c, Table::Controller, "pod_cleanup_workers").unwrap();
        assert_eq!(pcw.value, 8);
        assert!(
            pcw.origin
                .contains("env ARGO_POD_CLEANUP_WORKERS=8 (d.yaml:25)"),
            "{}",
            pcw.origin
        );
        assert_eq!(
            get(&c, Table::Controller, "default_requeue_time")
                .unwrap()
                .value,
            "30s"
        );
        assert_eq!(
            get(&c, Table::Controller, "max_workflow_size")
                .unwrap()
                .value,
            2_097_152
        );
        assert_eq!(
            get(&c, Table::Controller, "memory_limit").unwrap().value,
            "2Gi"
        );
        let ns = get(&c, Table::Controller, "namespace").unwrap();
        assert_eq!(ns.value, "argo");
        assert!(get(&c, Table::Controller, "cpu").is_none());
        assert!(get(&c, Table::Controller, "name").is_none());
        let w: Vec<String> = c.warnings.iter().map(ToString::to_string).collect();
        let all = w.join("\n");
        assert!(all.contains("d.yaml:19: spec.template.spec.containers[0].args[5]: --instanceid is not a workflow-controller v3.6.19 flag (instanceID is a key of the workflow-controller-configmap)"), "{all}");
        assert!(all.contains("a CPU request is not a limit"), "{all}");
        assert!(all.contains("ignored, no effect on the simulated control plane: args --loglevel=debug, env LEADER_ELECTION_IDENTITY (valueFrom)"), "{all}");
    }

    #[test]
    fn server_flags_set_argo_server_keys() {
        let c = run(r#"kind: Deployment
metadata: {name: argo-server}
spec:
  template:
    spec:
      containers:
        - name: argo-server
          image: quay.io/argoproj/argocli:v3.6.19
          args: [server, --auth-mode=server, --kube-api-qps, "40", --api-rate-limit=0, --secure=false]
          env:
            - {name: ARGO_KUBE_API_BURST, value: "60"}
"#);
        assert_eq!(
            get(&c, Table::ArgoServer, "auth_mode").unwrap().value,
            "server"
        );
        assert_eq!(
            get(&c, Table::ArgoServer, "kube_api_qps").unwrap().value,
            40.0
        );
        assert_eq!(
            get(&c, Table::ArgoServer, "kube_api_burst").unwrap().value,
            60
        );
        assert!(get(&c, Table::ArgoServer, "api_rate_limit").is_none());
        let all: Vec<String> = c.warnings.iter().map(ToString::to_string).collect();
        assert!(
            all.iter()
                .any(|w| w.contains("--api-rate-limit=0: \"0\" is not an integer ≥ 1")),
            "{all:?}"
        );
    }

    #[test]
    fn auth_modes_combine_and_a_foreign_deployment_is_not_claimed() {
        let c = run(r#"kind: Deployment
spec: {template: {spec: {containers: [{name: argo-server, image: argocli, args: [server, --auth-mode=sso, --auth-mode=client]}]}}}
"#);
        assert_eq!(
            get(&c, Table::ArgoServer, "auth_mode").unwrap().value,
            "client"
        );
        let v: Value = serde_norway::from_str(
            "kind: Deployment\nspec: {template: {spec: {containers: [{name: web, image: nginx}]}}}",
        )
        .unwrap();
        let lines = LineIndex::new("", 1);
        let src = Src {
            file: "x",
            lines: &lines,
            prefix: Vec::new(),
            base: None,
            fixed: None,
        };
        assert!(!import(&N::root(&v, &src), &mut Out::default()));
    }
}
