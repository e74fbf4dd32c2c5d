//! The importer (issue "Real workloads: simulate users' own Argo Workflow manifests, and traces
//! in and out"): the upstream example corpus imports or is refused with a reason, templateRef
//! imports cost the same validation GETs as the hand-written scenario, WfFormat round-trips,
//! and hostile or mutated YAML is refused quickly without a panic.

use argosim::import::{self, ImportHints, Imported, Source};
use argosim::metrics::RunReport;
use argosim::scenario::diag::Diagnostic;
use argosim::scenario::schema::ScenarioFile;
use argosim::scenario::{self, Scenario};
use proptest::prelude::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const POOLS: &str = r#"
[experiment]
horizon = "12h"

[[cluster.pools]]
name = "amd64"
cpu = "64"
memory = "256Gi"
price_per_hour = 2.0
nodes = 3

[[cluster.pools]]
name = "arm64"
cpu = "64"
memory = "256Gi"
price_per_hour = 1.5
arch = "arm64"
nodes = 1
"#;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/argo-examples")
}

fn manifests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/manifests")
}

fn src(name: &str, text: &str) -> Source {
    Source {
        name: name.into(),
        text: text.into(),
    }
}

fn import_one(name: &str, text: &str) -> Result<Imported, Vec<Diagnostic>> {
    import::import_sources(&[src(name, text)], &[], &ImportHints::default())
}

/// A runnable scenario: the pools above plus the import as `to_toml` prints it.
fn scenario_of(name: &str, imp: &Imported) -> Scenario {
    let text = format!("{POOLS}\n{}", import::to_toml(imp));
    scenario::parse(name, &text).unwrap_or_else(|e| panic!("{name}: {e}\n---\n{text}"))
}

/// What `scenario::load` will do once `manifests` / `[import]` are wired into the schema: pop
/// them, import relative to the file, merge, validate.
fn load_with_manifests(path: &Path) -> (Scenario, Vec<Diagnostic>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut table: toml::Table = text.parse().unwrap();
    let manifests: Vec<PathBuf> = table
        .remove("manifests")
        .map(|v| v.try_into().unwrap())
        .unwrap_or_default();
    let hints: ImportHints = table
        .remove("import")
        .map(|v| v.try_into().unwrap())
        .unwrap_or_default();
    let mut raw: ScenarioFile = toml::Value::Table(table).try_into().unwrap();
    let warnings = import::import_into(&mut raw, &manifests, &hints, path.parent().unwrap())
        .unwrap_or_else(|e| panic!("{e:?}"));
    let name = path.display().to_string();
    let sc = Scenario::from_file(&name, &text, raw).unwrap_or_else(|e| panic!("{e}"));
    (sc, warnings)
}

fn template_gets(r: &RunReport, client: &str) -> u64 {
    r.api
        .by_client
        .iter()
        .filter(|row| {
            row.client == client
                && row.resource == "workflowtemplates"
                && row.verb.eq_ignore_ascii_case("get")
        })
        .map(|row| row.count)
        .sum()
}

#[test]
fn upstream_examples_import_or_are_refused_with_a_reason() {
    let dir = corpus_dir();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!(
            "skipped: {} is absent (the Argo example corpus lives outside the repository)",
            dir.display()
        );
        return;
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    let sources: Vec<Source> = files
        .iter()
        .map(|p| import::read_source(p).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    // Files that define (Cluster)WorkflowTemplates resolve the others' references.
    let is_lib = |s: &Source| {
        s.text.contains("kind: WorkflowTemplate")
            || s.text.contains("kind: ClusterWorkflowTemplate")
    };
    let hints: ImportHints = toml::from_str("cron_window = \"10m\"").unwrap();
    let (mut imported, mut refused) = (Vec::new(), Vec::new());
    for (i, s) in sources.iter().enumerate() {
        let library: Vec<Source> = sources
            .iter()
            .enumerate()
            .filter(|(j, l)| *j != i && is_lib(l))
            .map(|(_, l)| l.clone())
            .collect();
        let t = Instant::now();
        let result = std::panic::catch_unwind(|| {
            import::import_sources(std::slice::from_ref(s), &library, &hints)
        });
        let result = result.unwrap_or_else(|_| panic!("{}: the importer panicked", s.name));
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "{}: import took {:?}",
            s.name,
            t.elapsed()
        );
        match result {
            Ok(imp) => {
                if let Some(show) = std::env::var_os("ARGOSIM_IMPORT_SHOW")
                    && s.name.contains(show.to_string_lossy().as_ref())
                {
                    println!("== {}\n{}", s.name, import::to_toml(&imp));
                }
                for w in &imp.warnings {
                    assert!(w.line.is_some(), "{}: warning without a line: {w}", s.name);
                }
                let sc = scenario_of(&s.name, &imp);
                let r = argosim::simulate(&sc, 1);
                assert!(r.workflows.submitted >= 1, "{}: nothing submitted", s.name);
                assert!(r.pods.created >= 1, "{}: no pod created", s.name);
                imported.push((s.name.clone(), imp));
            }
            Err(diags) => {
                assert!(!diags.is_empty(), "{}: refused without a reason", s.name);
                for d in &diags {
                    assert!(d.message.len() > 20, "{}: vague refusal {d}", s.name);
                }
                refused.push((s.name.clone(), diags));
            }
        }
    }
    println!("imported {}, refused {}", imported.len(), refused.len());
    for (name, diags) in &refused {
        let file = Path::new(name).file_name().unwrap().to_string_lossy();
        for d in diags {
            println!("  refused {file}: {}", d.message);
        }
    }
    if std::env::var_os("ARGOSIM_IMPORT_VERBOSE").is_some() {
        for (name, imp) in &imported {
            println!(
                "== {name}: {} workflows, {} warnings",
                imp.workflows.len(),
                imp.warnings.len()
            );
            for w in &imp.warnings {
                println!("   {w}");
            }
        }
    }
    assert!(
        imported.len() >= files.len() * 3 / 4,
        "too few imports: {}",
        imported.len()
    );
}

#[test]
fn templateref_dag_costs_the_gets_of_the_hand_written_scenario() {
    let dir = manifests_dir();
    let hints: ImportHints =
        toml::from_str("library = [] \n[widths]\ntransform = 40\n[durations]\ntransform = \"6m\"")
            .unwrap();
    let lib = import::read_source(&dir.join("etl-templates.yaml")).unwrap();
    let wf = import::read_source(&dir.join("etl.yaml")).unwrap();
    let imp = import::import_sources(&[wf], &[lib], &hints).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(imp.workflows.len(), 1);
    let w = &imp.workflows[0];
    assert_eq!(w.name, "etl");
    let names: Vec<&str> = w.tasks.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "extract",
            "transform",
            "quality.schema",
            "quality.freshness",
            "load",
            "report"
        ]
    );
    let t = |n: &str| w.tasks.iter().find(|t| t.name == n).unwrap();
    assert_eq!(t("transform").width, 40);
    assert_eq!(t("transform").depends, ["extract"]);
    assert_eq!(t("load").depends, ["quality.schema", "quality.freshness"]);
    assert_eq!(t("load").semaphore.as_deref(), Some("warehouse"));
    assert_eq!(
        imp.semaphores["warehouse"], 2,
        "limit from the library's ConfigMap"
    );
    assert_eq!(t("transform").cpu.0, 2000);
    assert_eq!(t("transform").arch.as_deref(), Some("amd64"));
    assert_eq!(t("transform").tolerations, ["cloud.google.com/gke-spot"]);
    let retry = t("transform").retry.as_ref().unwrap();
    assert_eq!(retry.limit, Some(3));
    assert_eq!(retry.backoff.0, 30_000_000);
    assert_eq!(retry.factor, 2.0);

    let hand = r#"
[[workflows]]
name = "by-hand"
[[workflows.tasks]]
name = "extract"
template_ref = "etl-steps"
duration = "1m"
[[workflows.tasks]]
name = "transform"
depends = ["extract"]
template_ref = "etl-steps"
width = 40
duration = "6m"
[[workflows.tasks]]
name = "quality-schema"
depends = ["transform"]
template_ref = "etl-quality"
duration = "30s"
[[workflows.tasks]]
name = "quality-freshness"
depends = ["transform"]
duration = "30s"
[[workflows.tasks]]
name = "load"
depends = ["quality-schema", "quality-freshness"]
template_ref = "etl-steps"
duration = "1m"
[[workflows.tasks]]
name = "report"
depends = ["load"]
duration = "30s"
"#;
    let submit = |wf: &str| {
        format!(
            "[[submissions]]\nworkflow = \"{wf}\"\nvia = \"argo-server\"\ncount = 3\ninterval = \"30m\"\n"
        )
    };
    let mut imp_only = imp.clone();
    imp_only.submissions.clear();
    imp_only.semaphores.insert("warehouse".into(), 2);
    let imported_sc = scenario::parse(
        "imported",
        &format!("{POOLS}\n{}\n{}", import::to_toml(&imp_only), submit("etl")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let hand_sc = scenario::parse("hand", &format!("{POOLS}\n{hand}\n{}", submit("by-hand")))
        .unwrap_or_else(|e| panic!("{e}"));
    let gets = argosim::argo::templates::validation_gets(&imported_sc.workflows[0]);
    assert_eq!(
        gets,
        argosim::argo::templates::validation_gets(&hand_sc.workflows[0])
    );
    assert_eq!(gets, 3 + 2 + 3 + 2, "etl-steps x3 and etl-quality x1");
    // And in a run: the Argo Server and the controller pay the same GETs.
    let (a, b) = (
        argosim::simulate(&imported_sc, 3),
        argosim::simulate(&hand_sc, 3),
    );
    for client in ["argo-server", "workflow-controller"] {
        assert_eq!(
            template_gets(&a, client),
            template_gets(&b, client),
            "{client}"
        );
    }
    assert_eq!(template_gets(&a, "argo-server"), 3 * u64::from(gets));
    assert_eq!(a.workflows.succeeded, 3);
    assert_eq!(a.pods.created, b.pods.created);
}

#[test]
fn etl_scenario_with_manifests_runs() {
    let (sc, warnings) = load_with_manifests(&manifests_dir().join("etl.toml"));
    let names: Vec<&str> = sc.workflows.iter().map(|w| w.name.as_str()).collect();
    assert_eq!(names, ["etl", "refresh"]);
    // Hand-written submissions win; the cron stream is added: 12h / 30m.
    assert_eq!(sc.submissions.len(), 2);
    let cron = &sc.submissions[1].cfg;
    assert_eq!(cron.via, scenario::schema::SubmitVia::Cron);
    assert_eq!((cron.count, cron.interval.0), (24, 30 * 60_000_000));
    assert_eq!(sc.file.controller.semaphores["warehouse"], 2);
    assert!(
        warnings
            .iter()
            .all(|w| !w.message.contains("not understood")),
        "{warnings:?}"
    );
    let r = argosim::simulate(&sc, 1);
    assert_eq!(r.workflows.submitted, 4 + 24);
    assert_eq!(
        r.workflows.succeeded, 28,
        "{:?}",
        r.workflows.failure_causes
    );
    assert!(template_gets(&r, "argo-server") >= 4 * 10);
    // Both loads hold the same lock.
    let locks: Vec<Option<usize>> = sc
        .workflows
        .iter()
        .map(|w| w.tasks.iter().find(|t| t.name == "load").unwrap().lock)
        .collect();
    assert!(locks[0].is_some() && locks[0] == locks[1], "{locks:?}");
    assert_eq!(sc.locks[locks[0].unwrap()].limit, 2);
}

#[test]
fn warnings_name_file_line_and_key() {
    let text = "\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: w-
spec:
  entrypoint: main
  activeDeadlineSeconds: 60
  templates:
  - name: main
    steps:
    - - name: fan
        template: work
        withParam: \"{{steps.gen.outputs.result}}\"
  - name: work
    frobnicate: true
    container:
      image: busybox
";
    let imp = import_one("w.yaml", text).unwrap();
    let find = |s: &str| {
        imp.warnings
            .iter()
            .find(|w| w.message.contains(s))
            .unwrap_or_else(|| panic!("no warning with {s:?}: {:?}", imp.warnings))
    };
    let w = find("withParam width unknown for task fan: set [import.widths]");
    assert_eq!((w.file.as_str(), w.line), ("w.yaml", Some(13)));
    assert_eq!(
        w.key.as_deref(),
        Some("spec.templates[0].steps[0][0].withParam")
    );
    assert_eq!(find("frobnicate").line, Some(15));
    assert_eq!(find("activeDeadlineSeconds").line, Some(7));
    assert_eq!(imp.workflows[0].tasks[0].width, 1);
    // With a hint the width is used and the warning goes away.
    let hints: ImportHints = toml::from_str("[widths]\nfan = 7").unwrap();
    let imp = import::import_sources(&[src("w.yaml", text)], &[], &hints).unwrap();
    assert_eq!(imp.workflows[0].tasks[0].width, 7);
    assert!(!imp.warnings.iter().any(|w| w.message.contains("withParam")));
}

#[test]
fn nested_loops_recursion_and_non_pod_templates() {
    let text = r#"
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: shapes}
spec:
  entrypoint: main
  arguments:
    parameters: [{name: items, value: '["a","b","c"]'}]
  templates:
  - name: main
    inputs: {parameters: [{name: items}]}
    dag:
      tasks:
      - {name: approve, template: wait}
      - {name: fan, template: inner, depends: approve, withParam: "{{inputs.parameters.items}}"}
      - {name: after, template: pod, depends: "fan.Succeeded || fan.Failed"}
      - {name: never, template: pod, when: "1 > 2"}
      - {name: again, template: rec, depends: after}
  - name: inner
    parallelism: 2
    steps:
    - - {name: s1, template: pod, withSequence: {count: "4"}}
    - - {name: s2, template: pod}
  - name: rec
    steps:
    - - {name: p, template: pod}
    - - {name: deeper, template: rec}
  - name: wait
    suspend: {}
  - name: pod
    container: {image: busybox, resources: {limits: {cpu: "1", memory: 1Gi}}}
"#;
    let imp = import_one("shapes.yaml", text).unwrap();
    let w = &imp.workflows[0];
    let t = |n: &str| {
        w.tasks
            .iter()
            .find(|t| t.name == n)
            .unwrap_or_else(|| panic!("no task {n}: {:?}", w.tasks))
    };
    // suspend dropped (warned); the fan-out depends on nothing.
    assert!(t("fan.s1").depends.is_empty());
    assert_eq!(t("fan.s1").width, 3 * 4);
    assert_eq!(t("fan.s1").parallelism, 2 * 3);
    assert_eq!(t("fan.s2").depends, ["fan.s1"]);
    assert_eq!(t("after").depends, ["fan.s2"]);
    assert_eq!(t("after").cpu.0, 1000, "requests default to limits");
    assert!(!w.tasks.iter().any(|t| t.name == "never"));
    // Recursion unrolled to depth 3.
    assert_eq!(t("again.deeper.deeper.p").depends, ["again.deeper.p"]);
    assert!(
        !w.tasks
            .iter()
            .any(|t| t.name.starts_with("again.deeper.deeper.deeper"))
    );
    let msgs: Vec<&str> = imp.warnings.iter().map(|w| w.message.as_str()).collect();
    for needle in [
        "suspend template",
        "approximated",
        "recursively",
        "is false",
    ] {
        assert!(
            msgs.iter().any(|m| m.contains(needle)),
            "{needle}: {msgs:?}"
        );
    }
    let sc = scenario_of("shapes", &imp);
    let r = argosim::simulate(&sc, 1);
    assert_eq!(r.workflows.succeeded, 1);
    assert_eq!(r.pods.created, 12 + 3 + 1 + 3);
}

#[test]
fn cron_workflow_becomes_a_cron_stream() {
    let text = r#"
apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata: {name: nightly}
spec:
  schedule: "*/15 * * * *"
  concurrencyPolicy: Forbid
  workflowSpec:
    entrypoint: main
    templates:
    - {name: main, container: {image: busybox}}
---
apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata: {name: odd}
spec:
  schedules: ["0 9,17 * * *", "every now and then"]
  workflowSpec:
    entrypoint: main
    templates:
    - {name: main, container: {image: busybox}}
"#;
    let imp = import_one("cron.yaml", text).unwrap();
    let s: Vec<(String, u64, u32)> = imp
        .submissions
        .iter()
        .map(|s| (s.workflow.clone(), s.interval.0 / 60_000_000, s.count))
        .collect();
    assert_eq!(
        s,
        [
            ("nightly".to_string(), 15, 96),
            ("odd".into(), 12 * 60, 2),
            ("odd".into(), 24 * 60, 1)
        ]
    );
    assert!(
        imp.submissions
            .iter()
            .all(|s| s.via == scenario::schema::SubmitVia::Cron)
    );
    let msgs: Vec<String> = imp.warnings.iter().map(|w| w.to_string()).collect();
    assert!(
        msgs.iter().any(|m| m.contains("concurrencyPolicy Forbid")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter()
            .any(|m| m.contains("not understood") && m.contains("24h")),
        "{msgs:?}"
    );
}

#[test]
fn refusals_name_the_unsupported_feature() {
    let http = r#"
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: h}
spec:
  entrypoint: main
  templates:
  - {name: main, http: {url: "https://example.com"}}
"#;
    let e = import_one("h.yaml", http).unwrap_err();
    assert!(e[0].message.contains("HTTP template"), "{e:?}");
    let e = import_one(
        "c.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n",
    )
    .unwrap_err();
    assert!(e[0].message.contains("kind Secret"), "{e:?}");
    let cycle = r#"
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: c}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: a, template: p, depends: b}
      - {name: b, template: p, depends: a}
  - {name: p, container: {image: busybox}}
"#;
    let e = import_one("cycle.yaml", cycle).unwrap_err();
    assert!(e[0].message.contains("cycle"), "{e:?}");
    let missing = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: m}\nspec:\n  workflowTemplateRef: {name: nowhere}\n";
    let e = import_one("m.yaml", missing).unwrap_err();
    assert!(
        e[0].message.contains("workflowTemplateRef") && e[0].line == Some(5),
        "{e:?}"
    );
}

#[test]
fn wfformat_round_trip_preserves_the_dag() {
    let text = format!(
        r#"{POOLS}
[[workflows]]
name = "pipe"
[[workflows.tasks]]
name = "split"
duration = "30s"
cpu = "500m"
memory = "1Gi"
image = "ghcr.io/acme/split:1"
[[workflows.tasks]]
name = "map"
depends = ["split"]
width = 25
duration = {{ distribution = "uniform", min = "1m", max = "3m" }}
cpu = "2"
read_bytes = "10Mi"
[[workflows.tasks]]
name = "side"
depends = ["split"]
duration = "45s"
[[workflows.tasks]]
name = "reduce"
depends = ["map", "side"]
duration = "1m"
write_bytes = 4096
[[submissions]]
workflow = "pipe"
count = 2
"#
    );
    let sc = scenario::parse("pipe.toml", &text).unwrap();
    let r = argosim::simulate(&sc, 7);
    let trace = import::wfformat_export(&r, &sc);
    // The WfFormat 1.5 required fields.
    assert_eq!(trace["schemaVersion"], "1.5");
    let spec = trace["workflow"]["specification"]["tasks"]
        .as_array()
        .unwrap();
    let exec = &trace["workflow"]["execution"];
    assert_eq!(spec.len(), 1 + 25 + 1 + 1, "one WfFormat task per pod");
    assert!(exec["makespanInSeconds"].as_f64().unwrap() > 0.0);
    assert!(
        exec["executedAt"]
            .as_str()
            .unwrap()
            .starts_with("1970-01-01T")
    );
    let ids: BTreeSet<&str> = spec.iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), spec.len());
    for t in spec {
        for p in t["parents"].as_array().unwrap() {
            assert!(ids.contains(p.as_str().unwrap()));
        }
        assert!(
            t["id"]
                .as_str()
                .unwrap()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        );
    }
    let reduce = spec.iter().find(|t| t["name"] == "reduce").unwrap();
    assert_eq!(reduce["parents"].as_array().unwrap().len(), 26);
    let map0 = exec["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "map_0")
        .unwrap();
    assert_eq!(
        map0["runtimeInSeconds"], 120.0,
        "the mean of uniform(1m, 3m)"
    );
    assert_eq!(map0["coreCount"], 2.0);
    assert_eq!(exec["machines"][0]["nodeName"], "amd64");

    // Back in: same tasks, dependencies, widths; constant mean durations.
    let json = serde_json::to_string_pretty(&trace).unwrap();
    let imp = import_one("trace.json", &json).unwrap_or_else(|e| panic!("{e:?}"));
    let w = &imp.workflows[0];
    assert_eq!(w.name, "pipe");
    assert_eq!(w.tasks.len(), sc.workflows[0].tasks.len());
    for (a, b) in w.tasks.iter().zip(&sc.file.workflows[0].tasks) {
        assert_eq!(a.name, b.name);
        let (mut da, mut db) = (a.depends.clone(), b.depends.clone());
        da.sort();
        db.sort();
        assert_eq!(da, db, "{}", a.name);
        assert_eq!(a.width, b.width);
        assert_eq!(a.cpu, b.cpu);
        assert_eq!(a.memory, b.memory);
        assert_eq!(a.image, b.image);
        assert_eq!(a.read_bytes, b.read_bytes);
        assert_eq!(a.write_bytes, b.write_bytes);
        assert_eq!(a.duration.mean(), b.duration.mean());
    }
    // And simulate it: same pods.
    let sc2 = scenario_of("trace", &imp);
    let r2 = argosim::simulate(&sc2, 7);
    assert_eq!(r2.workflows.succeeded, 1);
    assert_eq!(r2.pods.created, sc.workflows[0].pod_count());
    // Export → import → export is a fixed point of the task graph.
    let again = import::wfformat_export(&r2, &sc2);
    let graph = |v: &serde_json::Value| -> Vec<(String, Vec<String>)> {
        v["workflow"]["specification"]["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                let mut p: Vec<String> = t["parents"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_str().unwrap().to_string())
                    .collect();
                p.sort();
                (t["id"].as_str().unwrap().to_string(), p)
            })
            .collect()
    };
    assert_eq!(graph(&again), graph(&trace));
}

#[test]
fn wfformat_older_layout_imports() {
    let v14 = r#"{
      "name": "montage-ish", "schemaVersion": "1.4",
      "workflow": {"makespanInSeconds": 10, "executedAt": "x", "tasks": [
        {"name": "a", "type": "compute", "runtime": 12.5, "parents": [], "cores": 2,
         "files": [{"link": "output", "name": "f", "sizeInBytes": 2048}]},
        {"name": "b", "type": "compute", "runtimeInSeconds": 3, "parents": ["a"]},
        {"name": "c", "type": "compute", "parents": ["a", "b", "ghost"]}
      ]}}"#;
    let imp = import_one("v14.json", v14).unwrap();
    let w = &imp.workflows[0];
    assert_eq!(w.tasks.len(), 3);
    assert_eq!(w.tasks[0].cpu.0, 2000);
    assert_eq!(w.tasks[0].write_bytes.0, 2048);
    assert_eq!(w.tasks[0].duration.mean().0, 12_500_000);
    assert_eq!(w.tasks[2].depends, ["a", "b"]);
    let msgs: Vec<&str> = imp.warnings.iter().map(|w| w.message.as_str()).collect();
    assert!(
        msgs.iter().any(|m| m.contains("ghost")) && msgs.iter().any(|m| m.contains("no runtime")),
        "{msgs:?}"
    );
}

#[test]
fn to_toml_round_trips_through_the_scenario_parser() {
    let dir = manifests_dir();
    let hints: ImportHints = toml::from_str("[widths]\ntransform = 5").unwrap();
    let paths = [dir.join("etl.yaml"), dir.join("refresh-cron.yaml")];
    let mut h = hints.clone();
    h.library = vec![dir.join("etl-templates.yaml")];
    let imp = import::import_manifests(&paths, &h).unwrap_or_else(|e| panic!("{e:?}"));
    let sc = scenario_of("frag", &imp);
    let a = serde_json::to_value(&imp.workflows).unwrap();
    let b = serde_json::to_value(&sc.file.workflows).unwrap();
    assert_eq!(a, b);
    assert_eq!(
        sc.file.workflows[1].kind,
        scenario::schema::WorkflowKind::Steps
    );
    assert_eq!(
        import::to_toml(&imp),
        import::to_toml(&imp.clone()),
        "deterministic"
    );
}

// ---- Hostile input -------------------------------------------------------------------------

fn refused_quickly(name: &str, text: &str) -> Vec<Diagnostic> {
    let t = Instant::now();
    let r = import_one(name, text);
    let took = t.elapsed();
    assert!(took < Duration::from_secs(3), "{name}: took {took:?}");
    r.expect_err(name)
}

#[test]
fn billion_laughs_is_refused_quickly() {
    let mut s = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let mut prev = 'a';
    for c in "bcdefghi".chars() {
        s.push_str(&format!(
            "{c}: &{c} [{}]\n",
            vec![format!("*{prev}"); 9].join(",")
        ));
        prev = c;
    }
    // Inside a Workflow, where the importer would walk it.
    let wf = format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {{name: x}}\nspec:\n  entrypoint: main\n  arguments:\n    bomb:\n{}\n",
        s.lines()
            .map(|l| format!("      {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    for text in [s, wf] {
        let e = refused_quickly("bomb.yaml", &text);
        assert!(
            e[0].message.contains("alias") || e[0].message.contains("repetition"),
            "{e:?}"
        );
    }
}

#[test]
fn deep_and_huge_documents_are_refused_quickly() {
    let deep_flow = format!("a: {}1{}\n", "[".repeat(100_000), "]".repeat(100_000));
    assert!(
        refused_quickly("flow.yaml", &deep_flow)[0]
            .message
            .contains("nesting")
    );
    let mut deep_block = String::new();
    for i in 0..200 {
        deep_block.push_str(&" ".repeat(i));
        deep_block.push_str("k:\n");
    }
    let e = refused_quickly("block.yaml", &deep_block);
    assert!(
        e[0].message.contains("nesting") || e[0].message.contains("recursion"),
        "{e:?}"
    );
    let wide = format!("a: [{}1]\n", "1,".repeat(2_000_000));
    assert!(
        refused_quickly("wide.yaml", &wide)[0]
            .message
            .contains("nodes")
    );
    let huge = "#".repeat(import::MAX_FILE_BYTES + 1);
    assert!(
        refused_quickly("huge.yaml", &huge)[0]
            .message
            .contains("limit")
    );
    // Exponential template fan-out: 2^40 pods through 40 nested templates.
    let mut t = String::from(
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: x}\nspec:\n  entrypoint: t0\n  templates:\n",
    );
    for i in 0..40 {
        t.push_str(&format!(
            "  - name: t{i}\n    steps:\n    - - {{name: a, template: t{n}}}\n      - {{name: b, template: t{n}}}\n",
            n = i + 1
        ));
    }
    t.push_str("  - {name: t40, container: {image: busybox}}\n");
    assert!(refused_quickly("exp.yaml", &t)[0].message.contains("tasks"));
}

/// Inputs for the fuzzers: the example manifests, and every 7th corpus file when present.
fn seeds() -> &'static [String] {
    static SEEDS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    SEEDS.get_or_init(read_seeds)
}

fn read_seeds() -> Vec<String> {
    let mut out: Vec<String> = ["etl.yaml", "etl-templates.yaml", "refresh-cron.yaml"]
        .iter()
        .map(|f| std::fs::read_to_string(manifests_dir().join(f)).unwrap())
        .collect();
    if let Ok(rd) = std::fs::read_dir(corpus_dir()) {
        let mut files: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        for f in files.iter().step_by(7) {
            if let Ok(t) = std::fs::read_to_string(f) {
                out.push(t);
            }
        }
    }
    out
}

/// 256 cases, or `PROPTEST_CASES`.
fn fuzz_config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn check_no_panic(text: &str) -> Result<(), TestCaseError> {
    let t = Instant::now();
    let r = std::panic::catch_unwind(|| import_one("fuzz.yaml", text));
    prop_assert!(r.is_ok(), "panicked on:\n{text}");
    prop_assert!(
        t.elapsed() < Duration::from_secs(2),
        "took {:?}",
        t.elapsed()
    );
    // Whatever imports must be a valid scenario.
    if let Ok(Ok(imp)) = r {
        let toml = format!("{POOLS}\n{}", import::to_toml(&imp));
        if let Err(e) = scenario::parse("fuzz", &toml) {
            prop_assert!(false, "invalid scenario: {e}\n{toml}\n--- from:\n{text}");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(fuzz_config())]

    #[test]
    fn random_yaml_never_panics(text in "[-a-z0-9:\\[\\]{},&*!|>'\" #\\n]{0,400}") {
        check_no_panic(&text)?;
    }

    #[test]
    fn mutated_manifests_never_panic(
        seed in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0usize..6, "[-a-z{}\\[\\]:*&|\" \\n]{0,12}"), 1..6),
    ) {
        let seeds = seeds();
        let mut text = seeds[seed.index(seeds.len())].clone().into_bytes();
        for (at, op, snippet) in edits {
            let i = at.index(text.len() + 1);
            match op {
                0 => { text.splice(i..i, snippet.bytes()); }
                1 => { let j = (i + snippet.len()).min(text.len()); text.drain(i..j); }
                2 => {
                    // Duplicate the line containing i.
                    let s = text[..i].iter().rposition(|&c| c == b'\n').map_or(0, |p| p + 1);
                    let e = text[i..].iter().position(|&c| c == b'\n').map_or(text.len(), |p| i + p + 1);
                    let line: Vec<u8> = text[s..e].to_vec();
                    text.splice(e..e, line);
                }
                3 => { text.splice(i..i, b"  ".iter().copied()); }
                4 => { if i < text.len() { text[i] = b'\n'; } }
                _ => { text.splice(i..i, b"\n- &x [*x, *x]\n".iter().copied()); }
            }
        }
        let text = String::from_utf8_lossy(&text).into_owned();
        check_no_panic(&text)?;
    }
}

#[test]
fn large_workflows_import_or_are_refused_in_bounded_time() {
    // 5,000 tasks, each depending on the one before and carrying an unknown key.
    let dag = |n: usize| {
        let mut t = String::from(
            "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: big}\nspec:\n  entrypoint: main\n  templates:\n  - {name: pod, container: {image: busybox}}\n  - name: main\n    dag:\n      tasks:\n",
        );
        for i in 0..n {
            let dep = if i == 0 {
                String::new()
            } else {
                format!(", depends: t{}", i - 1)
            };
            t.push_str(&format!(
                "      - {{name: t{i}, template: pod, mystery: {i}{dep}}}\n"
            ));
        }
        t
    };
    let t = Instant::now();
    let imp = import_one("big.yaml", &dag(5_000)).unwrap();
    assert_eq!(imp.workflows[0].tasks.len(), 5_000);
    assert!(imp.warnings.len() <= import::MAX_WARNINGS + 2);
    assert!(
        imp.warnings
            .iter()
            .any(|w| w.message.contains("more warnings not shown"))
    );
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    let e = refused_quickly("bigger.yaml", &dag(import::MAX_TASKS + 1));
    assert!(e[0].message.contains("tasks"), "{e:?}");
    // Two groups of 2,000 explicit steps nested under a DAG: 4 million dependencies.
    let mut s = String::from(
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: wide}\nspec:\n  entrypoint: main\n  templates:\n  - {name: pod, container: {image: busybox}}\n  - name: main\n    dag:\n      tasks:\n      - {name: a, template: groups}\n  - name: groups\n    steps:\n",
    );
    for _ in 0..2 {
        s.push_str("    -\n");
        for i in 0..2_000 {
            s.push_str(&format!("      - {{name: s{i}, template: pod}}\n"));
        }
    }
    let e = refused_quickly("wide.yaml", &s);
    assert!(e[0].message.contains("dependencies"), "{e:?}");
}

/// A random Argo-shaped workflow: templates of every type calling each other (missing,
/// recursive and mutually recursive references included), with loops, `when`, `depends`.
fn arb_workflow() -> impl Strategy<Value = String> {
    let call = (
        0usize..7,
        0usize..6,
        0usize..5,
        prop::collection::vec(0usize..5, 0..3),
        any::<bool>(),
    );
    let template = (
        0usize..9,
        prop::collection::vec(call.clone(), 0..4),
        prop::collection::vec(prop::collection::vec(call, 0..3), 0..3),
    );
    prop::collection::vec(template, 1..6).prop_map(|templates| {
        let n = templates.len();
        let call = |(target, looped, when, deps, or): &(usize, usize, usize, Vec<usize>, bool), name: &str, dag: bool| {
            let tmpl = if *target >= n { "missing".into() } else { format!("t{target}") };
            let mut s = format!("{{name: {name}, template: {tmpl}");
            s.push_str(match looped {
                0 => ", withItems: [a, b, c]",
                1 => ", withItems: []",
                2 => ", withParam: '[1, 2]'",
                3 => ", withParam: '{{steps.x.outputs.result}}'",
                4 => ", withSequence: {count: '2'}",
                _ => "",
            });
            s.push_str(match when {
                0 => ", when: 'false'",
                1 => ", when: '{{steps.x.outputs.result}} == y'",
                2 => ", when: '2 > 1'",
                _ => "",
            });
            if dag && !deps.is_empty() {
                let op = if *or { " || " } else { " && " };
                let d: Vec<String> = deps.iter().map(|d| format!("c{d}")).collect();
                s.push_str(&format!(", depends: '{}'", d.join(op)));
            }
            s.push('}');
            s
        };
        let mut y = String::from(
            "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: fuzz-}\nspec:\n  entrypoint: t0\n  templates:\n",
        );
        for (i, (kind, tasks, groups)) in templates.iter().enumerate() {
            y.push_str(&format!("  - name: t{i}\n"));
            match kind {
                0 | 1 => y.push_str("    container: {image: busybox, resources: {requests: {cpu: 100m}}}\n"),
                2 => y.push_str("    script: {image: python, source: print(1)}\n"),
                3 => y.push_str("    suspend: {}\n"),
                4 => y.push_str("    resource: {action: create, manifest: x}\n"),
                5 => y.push_str("    containerSet: {containers: [{name: a, image: a}, {name: b, image: b}]}\n"),
                6 if tasks.is_empty() => y.push_str("    dag: {tasks: []}\n"),
                6 => {
                    y.push_str("    parallelism: 2\n    dag:\n      tasks:\n");
                    for (j, c) in tasks.iter().enumerate() {
                        y.push_str(&format!("      - {}\n", call(c, &format!("c{j}"), true)));
                    }
                }
                7 if groups.is_empty() => y.push_str("    steps: []\n"),
                7 => {
                    y.push_str("    steps:\n");
                    for (g, steps) in groups.iter().enumerate() {
                        if steps.is_empty() {
                            y.push_str("    - []\n");
                            continue;
                        }
                        y.push_str("    -\n");
                        for (j, c) in steps.iter().enumerate() {
                            y.push_str(&format!(
                                "      - {}\n",
                                call(c, &format!("g{g}s{j}"), false)
                            ));
                        }
                    }
                }
                _ => y.push_str("    http: {url: 'https://example.com'}\n"),
            }
        }
        y
    })
}

proptest! {
    #![proptest_config(fuzz_config())]

    #[test]
    fn random_workflows_import_into_valid_scenarios_or_are_refused(text in arb_workflow()) {
        check_no_panic(&text)?;
        if let Ok(imp) = import_one("fuzz.yaml", &text) {
            // Dependencies point backwards and names are unique.
            let w = &imp.workflows[0];
            let mut seen = BTreeSet::new();
            for t in &w.tasks {
                for d in &t.depends {
                    prop_assert!(seen.contains(d.as_str()), "{} depends on later {d}", t.name);
                }
                prop_assert!(seen.insert(t.name.as_str()), "duplicate {}", t.name);
            }
        }
    }
}

#[test]
fn cli_import_prints_a_scenario_fragment_and_run_accepts_manifests() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/manifests");
    let out = assert_cmd::Command::cargo_bin("argosim")
        .unwrap()
        .arg("import")
        .arg(dir.join("etl.yaml"))
        .arg("--library")
        .arg(dir.join("etl-templates.yaml"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("[[workflows]]") && text.contains("name = \"etl\""),
        "{text}"
    );
    // A scenario that points at manifests validates and runs through the normal loader.
    let sc = argosim::load_scenario(&dir.join("etl.toml")).unwrap_or_else(|e| panic!("{e}"));
    let r = argosim::simulate(&sc, 1);
    assert!(r.workflows.submitted > 0);
}

/// The importer's hand-off (issue 12 item 8): pods that request nothing (most upstream
/// examples) are BestEffort in Kubernetes and fit anywhere, so the import warns and offers
/// `--default-requests`; a hints file may be a scenario's `[import]` table, and a typo in it is
/// an error with its line and a did-you-mean.
#[test]
fn pods_without_requests_warn_and_default_requests_fill_them() {
    let dir = tempfile::tempdir().unwrap();
    let wf = dir.path().join("bare.yaml");
    std::fs::write(
        &wf,
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  generateName: hello-\nspec:\n  entrypoint: main\n  templates:\n  - name: main\n    container:\n      image: busybox\n",
    )
    .unwrap();
    let bin = || assert_cmd::Command::cargo_bin("argosim").unwrap();
    let out = bin()
        .arg("import")
        .arg(&wf)
        .assert()
        .success()
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("templates main request no cpu and no memory: their pods are BestEffort"),
        "{stderr}"
    );
    assert!(
        stderr.contains("--default-requests cpu=500m,memory=1Gi"),
        "{stderr}"
    );
    let out = bin()
        .arg("import")
        .arg(&wf)
        .args(["--default-requests", "cpu=500m,memory=1Gi"])
        .assert()
        .success()
        .get_output()
        .clone();
    let toml = String::from_utf8(out.stdout).unwrap();
    assert!(
        toml.contains("cpu = \"500m\"") && toml.contains("memory = \"1Gi\""),
        "{toml}"
    );
    assert!(
        !String::from_utf8(out.stderr)
            .unwrap()
            .contains("BestEffort")
    );
    let hints = dir.path().join("h.toml");
    std::fs::write(&hints, "[import]\ndefault_cpu = \"250m\"\n").unwrap();
    let out = bin()
        .arg("import")
        .arg(&wf)
        .arg("--hints")
        .arg(&hints)
        .assert()
        .success();
    assert!(
        String::from_utf8(out.get_output().stdout.clone())
            .unwrap()
            .contains("cpu = \"250m\"")
    );
    std::fs::write(&hints, "[import]\nrecursion_dept = 2\n").unwrap();
    let out = bin()
        .arg("import")
        .arg(&wf)
        .arg("--hints")
        .arg(&hints)
        .assert()
        .code(2);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("h.toml:2:1: import.recursion_dept: unknown field"),
        "{stderr}"
    );
    assert!(
        stderr.contains("did you mean `recursion_depth`?"),
        "{stderr}"
    );
}
