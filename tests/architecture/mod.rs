//! The code map's invariants (ARCHITECTURE.md), checked on the source: no import cycle among
//! the top-level modules of `src/`, the engine knows no domain, no source file far over
//! 1,000 lines, no struct of more than ~30 fields.

use crate::common::crate_path;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("readable dir") {
        let p = e.expect("dir entry").path();
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Code of a file without comments (whole-line `//` comments and trailing ` // ...`).
fn code_lines(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .map(|l| l.split(" // ").next().unwrap_or(l))
        .collect()
}

/// Top-level module name → its files.
fn modules() -> BTreeMap<String, Vec<PathBuf>> {
    let src = crate_path("src");
    let mut m = BTreeMap::new();
    for e in std::fs::read_dir(&src).expect("src/") {
        let p = e.expect("entry").path();
        let name = p.file_stem().unwrap().to_string_lossy().to_string();
        if name == "lib" || name == "main" {
            continue;
        }
        let mut files = Vec::new();
        if p.is_dir() {
            rs_files(&p, &mut files);
        } else if p.extension().is_some_and(|x| x == "rs") {
            files.push(p.clone());
        } else {
            continue;
        }
        m.entry(name).or_insert_with(Vec::new).extend(files);
    }
    m
}

/// Edges `module → other top-level module` from `crate::other` paths in code.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mods = modules();
    let names: BTreeSet<String> = mods.keys().cloned().collect();
    let mut g = BTreeMap::new();
    for (m, files) in &mods {
        let mut deps = BTreeSet::new();
        for f in files {
            let text = std::fs::read_to_string(f).expect("readable");
            for line in code_lines(&text) {
                let mut rest = line;
                while let Some(i) = rest.find("crate::") {
                    rest = &rest[i + 7..];
                    let ident: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if ident != *m && names.contains(&ident) {
                        deps.insert(ident);
                    }
                }
            }
        }
        g.insert(m.clone(), deps);
    }
    g
}

fn find_cycle(g: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|s| s == n) {
            let mut c = stack[i..].to_vec();
            c.push(n.to_string());
            return Some(c);
        }
        if done.contains(n) {
            return None;
        }
        stack.push(n.to_string());
        for d in g.get(n).into_iter().flatten() {
            if let Some(c) = visit(d, g, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for n in g.keys() {
        if let Some(c) = visit(n, g, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

#[test]
fn top_level_modules_have_no_cycle() {
    let g = graph();
    assert!(g.contains_key("world") && g.contains_key("engine"), "{g:?}");
    if let Some(c) = find_cycle(&g) {
        panic!(
            "import cycle among top-level modules: {}\ngraph: {g:#?}",
            c.join(" -> ")
        );
    }
}

#[test]
fn cycle_detector_finds_a_planted_cycle() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(find_cycle(&g).expect("cycle").len(), 4);
    g.get_mut("c").unwrap().clear();
    assert!(find_cycle(&g).is_none());
}

#[test]
fn engine_knows_no_domain() {
    let g = graph();
    assert!(g["engine"].is_empty(), "engine imports {:?}", g["engine"]);
    for m in ["argo", "kube"] {
        assert!(
            !g[m].contains("world"),
            "{m} (mechanisms) must not import world"
        );
    }
}

#[test]
fn no_source_file_far_over_1000_lines() {
    let mut files = Vec::new();
    rs_files(&crate_path("src"), &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = std::fs::read_to_string(f).ok()?.lines().count();
            (n > 1_100).then(|| format!("{} ({n} lines)", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "split these files: {long:?}");
}

#[test]
fn no_struct_over_about_30_fields() {
    let mut files = Vec::new();
    rs_files(&crate_path("src"), &mut files);
    let mut big = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("readable");
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            let l = lines[i].trim_start();
            let is_struct = (l.starts_with("struct ")
                || l.contains(" struct ") && !l.starts_with("//"))
                && l.trim_end().ends_with('{');
            if is_struct {
                let indent = lines[i].len() - l.len();
                let mut fields = 0;
                i += 1;
                while i < lines.len() && !lines[i].trim_start().starts_with('}') {
                    let fl = lines[i];
                    let ind = fl.len() - fl.trim_start().len();
                    let t = fl.trim_start();
                    if ind == indent + 4
                        && !t.starts_with("//")
                        && !t.starts_with('#')
                        && t.contains(':')
                    {
                        fields += 1;
                    }
                    i += 1;
                }
                // A schema struct is a flat mirror of one TOML table (every key a field, as
                // the user writes it): a little more room there, 36, so the file format does
                // not have to nest settings the upstream flags keep flat.
                let schema = f.to_string_lossy().contains("/scenario/schema/");
                if fields > if schema { 36 } else { 32 } {
                    big.push(format!("{}: {} ({fields} fields)", f.display(), l));
                }
            }
            i += 1;
        }
    }
    assert!(big.is_empty(), "split these structs: {big:?}");
}
