//! Helpers shared by the integration tests: parse a scenario, build small valid scenario
//! text, run the library or the binary.

#![allow(dead_code)]

use argosim::metrics::{Report, RunReport};
use argosim::scenario::{self, Scenario, ScenarioError};
use std::fmt::Write as _;

/// Parse and validate scenario text named `test.toml`; panics with the diagnostics if invalid.
pub fn scenario(toml: &str) -> Scenario {
    match scenario::parse("test.toml", toml) {
        Ok(sc) => sc,
        Err(e) => panic!("scenario should be valid:\n{e}\n--- text ---\n{toml}"),
    }
}

/// Parse scenario text that must be rejected; returns the error.
pub fn invalid(toml: &str) -> ScenarioError {
    match scenario::parse("test.toml", toml) {
        Ok(_) => panic!("scenario should be rejected:\n{toml}"),
        Err(e) => e,
    }
}

/// One run of `toml` with `seed`.
pub fn run(toml: &str, seed: u64) -> RunReport {
    let r = argosim::simulate(&scenario(toml), seed);
    dump(toml, seed, 0, || {
        serde_json::to_string(&r).expect("serialises")
    });
    r
}

/// `replications` runs of `toml` under master `seed` on the current rayon pool.
pub fn report(toml: &str, seed: u64, replications: u32) -> Report {
    let r = argosim::run_replications(&scenario(toml), seed, replications);
    dump(toml, seed, replications, || argosim::output::json(&r));
    r
}

/// With `ARGOSIM_DUMP_DIR` set, write each test scenario's report there, named by a digest of
/// the scenario text, the seed and the replications: a pure restructuring can then be checked
/// to leave every test scenario's output byte-identical (diff two dumps).
fn dump(toml: &str, seed: u64, replications: u32, json: impl FnOnce() -> String) {
    let Some(dir) = std::env::var_os("ARGOSIM_DUMP_DIR") else {
        return;
    };
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in toml.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let dir = std::path::PathBuf::from(dir);
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(
        dir.join(format!("{h:016x}-{seed}-{replications}.json")),
        json(),
    );
}

/// The `argosim` binary built by cargo for this test run.
pub fn argosim() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("argosim").expect("argosim binary is built")
}

/// Path of a file in the crate (e.g. `scenarios/default.toml`).
pub fn crate_path(rel: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// 1-based line of the first line of `text` that contains `needle`.
pub fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not in text"))
        + 1
}

/// One `[[workflows.tasks]]` entry.
#[derive(Debug, Clone)]
pub struct Task {
    /// Task name.
    pub name: String,
    /// Names of tasks it depends on (DAG).
    pub depends: Vec<String>,
    /// withItems width.
    pub width: u32,
    /// CPU request, e.g. `"1"` or `"250m"`.
    pub cpu: String,
    /// Duration value as TOML (a quoted string like `"\"60s\""` or an inline table).
    pub duration: String,
    /// Probability that the main container fails.
    pub failure_probability: f64,
}

/// A task with a constant duration (`"60s"`), cpu `"100m"`, width 1.
pub fn task(name: &str, duration: &str) -> Task {
    Task {
        name: name.to_string(),
        depends: vec![],
        width: 1,
        cpu: "100m".to_string(),
        duration: format!("{duration:?}"),
        failure_probability: 0.0,
    }
}

impl Task {
    /// Depend on these tasks.
    pub fn after(mut self, deps: &[&str]) -> Self {
        self.depends = deps.iter().map(|s| s.to_string()).collect();
        self
    }
    /// Fan out to `w` pods.
    pub fn width(mut self, w: u32) -> Self {
        self.width = w;
        self
    }
    /// CPU request.
    pub fn cpu(mut self, cpu: &str) -> Self {
        self.cpu = cpu.to_string();
        self
    }
    /// Run-time distribution as a TOML inline table, e.g.
    /// `{ distribution = "uniform", min = "30s", max = "3m" }`.
    pub fn dist(mut self, toml: &str) -> Self {
        self.duration = toml.to_string();
        self
    }
    /// Failure probability.
    pub fn fail(mut self, p: f64) -> Self {
        self.failure_probability = p;
        self
    }
}

/// Builder of a small valid scenario: one pool of identical nodes whose allocatable equals
/// capacity, one workflow `w`, one submission stream. Image pulls are kept out of the way
/// (one tiny image) and pod start-up stages are written out explicitly so closed forms in the
/// tests do not depend on defaults changing.
#[derive(Debug, Clone)]
pub struct Minimal {
    /// Nodes in the pool.
    pub nodes: u32,
    /// CPU capacity (= allocatable) per node.
    pub node_cpu: String,
    /// Workflow kind (`dag` / `steps`).
    pub kind: String,
    /// Tasks of workflow `w`.
    pub tasks: Vec<Task>,
    /// Lines under `[controller]`.
    pub controller: Vec<String>,
    /// Lines under `[experiment]`.
    pub experiment: Vec<String>,
    /// Lines under `[argo_server]`.
    pub argo_server: Vec<String>,
    /// Lines under `[apiserver]`.
    pub apiserver: Vec<String>,
    /// Extra lines under `[[workflows]]` (before its tasks).
    pub workflow: Vec<String>,
    /// Lines of the `[[submissions]]` entry (besides `workflow = "w"`).
    pub submission: Vec<String>,
}

/// A minimal scenario: 1 node of 16 CPUs, no tasks yet, one submission of `w`.
pub fn minimal() -> Minimal {
    Minimal {
        nodes: 1,
        node_cpu: "16".into(),
        kind: "dag".into(),
        tasks: vec![],
        controller: vec![],
        experiment: vec![],
        argo_server: vec![],
        apiserver: vec![],
        workflow: vec![],
        submission: vec![],
    }
}

impl Minimal {
    /// Add a task.
    pub fn task(mut self, t: Task) -> Self {
        self.tasks.push(t);
        self
    }
    /// Pool size.
    pub fn nodes(mut self, n: u32, cpu: &str) -> Self {
        self.nodes = n;
        self.node_cpu = cpu.into();
        self
    }
    /// A `key = value` line under `[controller]`.
    pub fn controller(mut self, line: &str) -> Self {
        self.controller.push(line.into());
        self
    }
    /// A line under `[experiment]`.
    pub fn experiment(mut self, line: &str) -> Self {
        self.experiment.push(line.into());
        self
    }
    /// A line under `[argo_server]`.
    pub fn argo_server(mut self, line: &str) -> Self {
        self.argo_server.push(line.into());
        self
    }
    /// A line under `[apiserver]`.
    pub fn apiserver(mut self, line: &str) -> Self {
        self.apiserver.push(line.into());
        self
    }
    /// A line under `[[workflows]]`.
    pub fn workflow(mut self, line: &str) -> Self {
        self.workflow.push(line.into());
        self
    }
    /// A line of the submission entry.
    pub fn submission(mut self, line: &str) -> Self {
        self.submission.push(line.into());
        self
    }

    /// The scenario as TOML text.
    pub fn toml(&self) -> String {
        let mut s = String::from("name = \"test\"\n");
        let section = |s: &mut String, name: &str, lines: &[String]| {
            if !lines.is_empty() {
                writeln!(s, "[{name}]").unwrap();
                for l in lines {
                    writeln!(s, "{l}").unwrap();
                }
            }
        };
        section(&mut s, "experiment", &self.experiment);
        write!(
            s,
            "[[cluster.pools]]\nname = \"p\"\ncpu = \"{c}\"\nallocatable_cpu = \"{c}\"\n\
             memory = \"64Gi\"\nallocatable_memory = \"64Gi\"\nprice_per_hour = 1.0\nnodes = {}\n",
            self.nodes,
            c = self.node_cpu
        )
        .unwrap();
        writeln!(
            s,
            "[kubelet]\nsandbox_start = \"1s\"\ninit_container_time = \"1s\"\n\
             wait_container_time = \"1s\"\nimage_pull_overhead = \"1s\""
        )
        .unwrap();
        section(&mut s, "controller", &self.controller);
        section(&mut s, "argo_server", &self.argo_server);
        section(&mut s, "apiserver", &self.apiserver);
        writeln!(s, "[[workflows]]\nname = \"w\"\nkind = \"{}\"", self.kind).unwrap();
        for l in &self.workflow {
            writeln!(s, "{l}").unwrap();
        }
        for t in &self.tasks {
            writeln!(
                s,
                "[[workflows.tasks]]\nname = \"{}\"\nwidth = {}\ncpu = \"{}\"\nduration = {}\n\
                 image_size = \"1Ki\"\nfailure_probability = {:?}",
                t.name, t.width, t.cpu, t.duration, t.failure_probability
            )
            .unwrap();
            if !t.depends.is_empty() {
                writeln!(s, "depends = {:?}", t.depends).unwrap();
            }
        }
        writeln!(s, "[[submissions]]\nworkflow = \"w\"").unwrap();
        for l in &self.submission {
            writeln!(s, "{l}").unwrap();
        }
        s
    }
}

/// Client-side throttling row of `client` in a run.
pub fn throttle<'a>(r: &'a RunReport, client: &str) -> &'a argosim::metrics::ThrottleReport {
    r.throttling
        .iter()
        .find(|t| t.client == client)
        .unwrap_or_else(|| panic!("no throttling row for {client}"))
}
