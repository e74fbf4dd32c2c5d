//! Bounded mutation fuzzing (issue 13 item 7): scenario TOML, Argo YAML and WfFormat JSON,
//! mutated from the shipped scenarios, their manifests, a WfFormat export and the reproducers
//! in `tests/fuzz_corpus/`. Every case must end in a clean error or a successful run: no panic,
//! no hang past a timeout, and no allocation sized by the input (runs are gated by the
//! resource budget, as `validate` gates them). `ARGOSIM_FUZZ_CASES` sets the case count (CI:
//! the default below, seconds); a failing case is written to `target/tmp/fuzz-*.txt`.
//!
//! Also checks each reproducer of the corpus against its expected outcome through the CLI.

use crate::common::{argosim, crate_path};
use argosim::experiment::budget::{Kept, estimate};
use argosim::import::{ImportHints, Source, import_sources};
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Cases per CI run.
const DEFAULT_CASES: u64 = 5_000;
/// One case (parse, validate, maybe a run) must finish within this.
const CASE_TIMEOUT: Duration = Duration::from_secs(20);
/// Runs are attempted only below these estimates (the rest is parse + validate + budget).
const RUN_MAX_EVENTS: u64 = 300_000;
const RUN_MAX_BYTES: u64 = 512 << 20;

/// SplitMix64: a tiny portable generator, so cases are the same on every machine.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Scenario,
    Manifest,
}

struct Seed {
    name: String,
    kind: Kind,
    text: String,
}

fn seeds() -> Vec<Seed> {
    let mut out = Vec::new();
    let mut add_dir = |dir: PathBuf, ext: &str, kind: Kind| {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == ext))
            .filter(|p| !p.ends_with("expectations.toml"))
            .collect();
        files.sort();
        for p in files {
            out.push(Seed {
                name: p.display().to_string(),
                kind,
                text: std::fs::read_to_string(&p).unwrap(),
            });
        }
    };
    add_dir(crate_path("scenarios"), "toml", Kind::Scenario);
    add_dir(crate_path("tests/fuzz_corpus"), "toml", Kind::Scenario);
    add_dir(crate_path("scenarios/manifests"), "yaml", Kind::Manifest);
    // A WfFormat trace: the export of a small run.
    let sc = argosim::scenario::parse(
        "fuzz-seed.toml",
        &std::fs::read_to_string(crate_path("tests/fuzz_corpus/bucket-one-byte-objects.toml"))
            .unwrap(),
    )
    .unwrap();
    let r = argosim::simulate(&sc, 1);
    out.push(Seed {
        name: "wfformat export".into(),
        kind: Kind::Manifest,
        text: serde_json::to_string_pretty(&argosim::import::wfformat_export(&r, &sc)).unwrap(),
    });
    out
}

const NUMBERS: &[&str] = &[
    "0",
    "-1",
    "1",
    "2",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "1e308",
    "1e9",
    "100000000",
    "0.0",
    "nan",
    "inf",
    "-0",
    "0.5",
];
const STRINGS: &[&str] = &[
    "\"0s\"",
    "\"1us\"",
    "\"1ns\"",
    "\"-1s\"",
    "\"876000h\"",
    "\"7Ei\"",
    "\"0\"",
    "\"\"",
    "\"1e9\"",
    "\"x\"",
    "\"100000h\"",
    "\"1\"",
    "\"1m\"",
    "\"Always\"",
    "\"steps\"",
];
const CHARS: &[&str] = &[
    "[", "]", "=", "\"", "{", "}", ",", "\n", "#", " ", "0", "a", ":", "-", "'", "&", "*",
];

/// Byte ranges `[start, end)` in a text.
type Spans = Vec<(usize, usize)>;

/// Byte ranges of digit runs (numbers) and of double-quoted strings.
fn tokens(text: &str) -> (Spans, Spans) {
    let b = text.as_bytes();
    let (mut nums, mut strs) = (Vec::new(), Vec::new());
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let s = i;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
            nums.push((s, i));
        } else if b[i] == b'"' {
            let s = i;
            i += 1;
            while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                i += 1;
            }
            if i < b.len() && b[i] == b'"' {
                strs.push((s, i + 1));
            }
            i += 1;
        } else {
            i += 1;
        }
    }
    (nums, strs)
}

/// A char boundary at or before `i`.
fn boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn mutate_once(text: &str, rng: &mut Rng) -> String {
    let lines: Vec<&str> = text.split('\n').collect();
    let (nums, strs) = tokens(text);
    let splice = |(s, e): (usize, usize), with: &str| format!("{}{with}{}", &text[..s], &text[e..]);
    match rng.below(8) {
        0 if !nums.is_empty() => splice(nums[rng.below(nums.len())], rng.pick(NUMBERS)),
        1 if !strs.is_empty() => splice(strs[rng.below(strs.len())], rng.pick(STRINGS)),
        2 => {
            let k = rng.below(lines.len());
            let mut l = lines.clone();
            l.remove(k);
            l.join("\n")
        }
        3 => {
            let k = rng.below(lines.len());
            let mut l = lines.clone();
            l.insert(k, lines[k]);
            l.join("\n")
        }
        4 => {
            let (a, b) = (rng.below(lines.len()), rng.below(lines.len()));
            let mut l = lines.clone();
            l.swap(a, b);
            l.join("\n")
        }
        5 => text[..boundary(text, rng.below(text.len() + 1))].to_string(),
        _ => {
            let at = boundary(text, rng.below(text.len() + 1));
            let end = boundary(text, at + 1).max(at);
            let end = if end == at && at < text.len() {
                at + text[at..].chars().next().map_or(0, char::len_utf8)
            } else {
                end
            };
            format!("{}{}{}", &text[..at], rng.pick(CHARS), &text[end..])
        }
    }
}

#[derive(Debug, Default)]
struct Tally {
    scenario_errors: u64,
    budget_refused: u64,
    runs: u64,
    import_ok: u64,
    import_errors: u64,
}

enum Outcome {
    ScenarioError,
    BudgetRefused,
    Ran,
    ImportOk,
    ImportError,
}

fn evaluate(kind: Kind, text: String) -> Outcome {
    match kind {
        Kind::Scenario => match argosim::parse_scenario("fuzz.toml", &text) {
            Err(_) => Outcome::ScenarioError,
            Ok(sc) => {
                let est = estimate(&sc, 1, 1, Kept::Report);
                if est.events > RUN_MAX_EVENTS || est.total_bytes > RUN_MAX_BYTES {
                    return Outcome::BudgetRefused;
                }
                let _ = argosim::simulate(&sc, 1);
                Outcome::Ran
            }
        },
        Kind::Manifest => {
            let src = [Source {
                name: "fuzz.yaml".into(),
                text,
            }];
            match import_sources(&src, &[], &ImportHints::default()) {
                Ok(_) => Outcome::ImportOk,
                Err(_) => Outcome::ImportError,
            }
        }
    }
}

fn save_failure(what: &str, case: u64, seed: &Seed, text: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("fuzz-{what}-{case}.txt"));
    let _ = std::fs::write(&p, format!("# seed {}\n{text}", seed.name));
    p
}

#[test]
fn mutated_inputs_end_in_a_clean_error_or_a_run() {
    let cases: u64 = std::env::var("ARGOSIM_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    let seeds = seeds();
    let mut rng = Rng(0x5eed_0fa5_0517);
    let mut tally = Tally::default();
    let start = Instant::now();
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut failures = Vec::new();
    for case in 0..cases {
        let seed = &seeds[rng.below(seeds.len())];
        let mut text = seed.text.clone();
        for _ in 0..1 + rng.below(3) {
            text = mutate_once(&text, &mut rng);
        }
        let (tx, rx) = mpsc::channel();
        let (kind, input) = (seed.kind, text.clone());
        std::thread::spawn(move || {
            let r = std::panic::catch_unwind(AssertUnwindSafe(|| evaluate(kind, input)));
            let _ = tx.send(r);
        });
        match rx.recv_timeout(CASE_TIMEOUT) {
            Ok(Ok(o)) => match o {
                Outcome::ScenarioError => tally.scenario_errors += 1,
                Outcome::BudgetRefused => tally.budget_refused += 1,
                Outcome::Ran => tally.runs += 1,
                Outcome::ImportOk => tally.import_ok += 1,
                Outcome::ImportError => tally.import_errors += 1,
            },
            Ok(Err(_)) => failures.push(format!(
                "panic: {}",
                save_failure("panic", case, seed, &text).display()
            )),
            Err(_) => {
                failures.push(format!(
                    "hang: {}",
                    save_failure("hang", case, seed, &text).display()
                ));
                break;
            }
        }
    }
    std::panic::set_hook(quiet);
    eprintln!(
        "fuzz: {cases} cases from {} seeds in {:.1?}: {tally:?}",
        seeds.len(),
        start.elapsed()
    );
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(tally.runs > 0 && tally.scenario_errors > 0 && tally.import_ok > 0);
}

/// Each reproducer of `tests/fuzz_corpus/` gets its expected outcome through the CLI, fast
/// (`validate` with a 1 GiB budget, then `run` for those that validate).
#[test]
fn every_corpus_reproducer_gets_a_clean_error_or_runs_fast() {
    let exp: toml::Table = toml::from_str(
        &std::fs::read_to_string(crate_path("tests/fuzz_corpus/expectations.toml")).unwrap(),
    )
    .unwrap();
    let mut listed = 0;
    for (file, e) in &exp {
        listed += 1;
        let path = crate_path(&format!("tests/fuzz_corpus/{file}"));
        let outcome = e["outcome"].as_str().unwrap();
        let needle = e["needle"].as_str().unwrap();
        let t = Instant::now();
        let out = argosim()
            .args(["validate", "--max-memory", "1Gi"])
            .arg(&path)
            .timeout(Duration::from_secs(10))
            .output()
            .unwrap();
        let code = out.status.code();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "{file}: {:?}",
            t.elapsed()
        );
        match outcome {
            "error" => {
                assert_eq!(code, Some(2), "{file}: {stderr}");
                assert!(stderr.contains(needle), "{file}: {stderr}");
                assert!(
                    stderr.contains(file.as_str()),
                    "{file} names the file: {stderr}"
                );
            }
            "runs" | "any" => {
                if outcome == "runs" {
                    assert_eq!(code, Some(0), "{file}: {stderr}");
                }
                if code == Some(0) {
                    let t = Instant::now();
                    let run = argosim()
                        .arg("run")
                        .arg(&path)
                        .timeout(Duration::from_secs(20))
                        .output()
                        .unwrap();
                    let c = run.status.code();
                    assert!(matches!(c, Some(0..=3)), "{file}: run exited {c:?}");
                    assert!(
                        t.elapsed() < Duration::from_secs(10),
                        "{file}: {:?}",
                        t.elapsed()
                    );
                } else {
                    assert_eq!(code, Some(2), "{file}: {stderr}");
                }
            }
            other => panic!("{file}: unknown outcome {other}"),
        }
    }
    let files = std::fs::read_dir(crate_path("tests/fuzz_corpus"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name() != "expectations.toml")
        .count();
    assert_eq!(listed, files, "every corpus file has an expectation");
}
