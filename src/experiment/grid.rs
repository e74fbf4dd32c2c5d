//! The `[grid]` table: axes (dotted key paths with lists of values), how they combine, and the
//! expansion into grid points, each a validated [`Scenario`].
//!
//! ```toml
//! [grid]
//! "controller.qps" = [20, 50, 100]        # an axis: a key path and its values
//! "cluster.pools[0].nodes" = [4, 8]        # array indices are allowed
//! "controller.burst" = [30, 75, 150]
//! zip = [["controller.qps", "controller.burst"]]   # these vary together (optional)
//! mode = "cartesian"                       # or "zip": every axis varies together
//! seeds = "independent"                    # or "common": same seeds at every point
//! ```
//!
//! Axes combine as a cartesian product in declaration order (the first axis varies slowest);
//! a `zip` group counts as one factor whose axes advance together. Values are written in the
//! scenario's own units (`"10s"`, `"2Gi"`, `"500m"`). A point's scenario is the original TOML
//! document with each axis key set, serialized and validated again by
//! [`crate::parse_scenario`]; any problem is reported against the axis (its `[grid]` line) and
//! value. Left out: ranges (`{ from, to, step }`), random or Latin-hypercube sampling, and
//! conditional axes.

use super::path::{KeyPath, value_text};
use crate::engine::derive_seed;
use crate::scenario::diag::{Diagnostic, did_you_mean, locate_key};
use crate::scenario::{self, Scenario};
use crate::units::parse_duration;

/// Reserved `[grid]` keys (everything else is an axis).
pub const RESERVED: [&str; 3] = ["mode", "zip", "seeds"];
/// Largest number of grid points accepted.
pub const MAX_POINTS: usize = 1_000_000;

/// How the axes combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GridMode {
    /// Cartesian product (zip groups count as one factor).
    Cartesian,
    /// All axes advance together; they must have equal lengths.
    Zip,
}

/// How run seeds depend on the grid point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedMode {
    /// Seed of (point p, replication r) = derive(derive(master, "point/p"), "replication/r").
    Independent,
    /// Every point uses the replication seeds of `argosim run` (common random numbers).
    Common,
}

impl SeedMode {
    /// The name used in `[grid] seeds` and manifests.
    pub fn name(self) -> &'static str {
        match self {
            SeedMode::Independent => "independent",
            SeedMode::Common => "common",
        }
    }
}

/// What an axis' values mean numerically (for plots and regression).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AxisUnit {
    /// Plain numbers.
    Number,
    /// Durations, in seconds.
    Seconds,
    /// Byte quantities, in bytes.
    Bytes,
    /// CPU quantities, in cores.
    Cores,
    /// Booleans as 0/1.
    Bool,
    /// Anything else: positions 0, 1, 2, ... in the order given.
    Category,
}

impl AxisUnit {
    /// Name in manifests.
    pub fn name(self) -> &'static str {
        match self {
            AxisUnit::Number => "number",
            AxisUnit::Seconds => "seconds",
            AxisUnit::Bytes => "bytes",
            AxisUnit::Cores => "cores",
            AxisUnit::Bool => "bool",
            AxisUnit::Category => "category",
        }
    }
    /// Unit suffix for plot labels (`""` for plain numbers).
    pub fn label(self) -> &'static str {
        match self {
            AxisUnit::Seconds => " (s)",
            AxisUnit::Bytes => " (bytes)",
            AxisUnit::Cores => " (cores)",
            _ => "",
        }
    }
}

/// One axis of the grid.
#[derive(Debug, Clone)]
pub struct Axis {
    /// The key path as written (normalized), e.g. `cluster.pools[0].nodes`.
    pub name: String,
    /// Parsed path.
    pub path: KeyPath,
    /// Values as given.
    pub values: Vec<toml::Value>,
    /// Values as CSV/table text.
    pub texts: Vec<String>,
    /// Numeric meaning of each value (see [`AxisUnit`]).
    pub numeric: Vec<f64>,
    /// Unit of `numeric`.
    pub unit: AxisUnit,
    /// Line of the axis in the scenario file (None for `--axis`).
    pub line: Option<usize>,
}

/// A parsed `[grid]` (plus `--axis` overrides).
#[derive(Debug, Clone)]
pub struct Grid {
    /// Axes in declaration order (file axes by line, then `--axis` ones).
    pub axes: Vec<Axis>,
    /// `mode`.
    pub mode: GridMode,
    /// Factors: groups of axis indices that advance together, in order.
    pub factors: Vec<Vec<usize>>,
    /// `seeds`.
    pub seeds: SeedMode,
}

/// What a grid needs to be expanded into runs.
#[derive(Debug, Clone)]
pub struct PlanInput {
    /// File name as given (used in diagnostics).
    pub source: String,
    /// The scenario text.
    pub text: String,
    /// `--axis KEY=VALUES` overrides, in order.
    pub cli_axes: Vec<String>,
    /// `--seed` override.
    pub seed: Option<u64>,
    /// `--replications` override.
    pub replications: Option<u32>,
    /// Expand `[grid]` (false: one point, the scenario as written, with the replication
    /// seeds of `argosim run`; used by `compare` and `check`).
    pub use_grid: bool,
}

/// One grid point.
#[derive(Debug, Clone)]
pub struct Point {
    /// Value index per axis.
    pub values: Vec<usize>,
    /// The scenario with this point's values set.
    pub scenario: Scenario,
}

/// A grid expanded into points, with the seed scheme and the metric list.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The input it was built from.
    pub input: PlanInput,
    /// Scenario name (`name = ...`).
    pub name: String,
    /// FNV-1a 64 of the resolved scenario text (the grid's identity with its settings).
    pub hash: u64,
    /// The resolved scenario and its input files ([`super::provenance`]).
    pub provenance: super::provenance::Provenance,
    /// The grid.
    pub grid: Grid,
    /// Master seed.
    pub seed: u64,
    /// Replications per point.
    pub replications: u32,
    /// Points in order.
    pub points: Vec<Point>,
    /// Metric names (the headline list of [`crate::summarise`]).
    pub metrics: Vec<String>,
}

/// FNV-1a 64-bit hash (scenario fingerprints in manifests).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The headline metric names, in [`crate::summarise`]'s order.
pub fn metric_names() -> Vec<String> {
    crate::summarise(&[]).keys().cloned().collect()
}

/// Headline metric values of one run, in [`metric_names`] order.
pub fn metric_values(report: &crate::metrics::RunReport) -> Vec<f64> {
    crate::summarise(std::slice::from_ref(report))
        .values()
        .map(|s| s.mean)
        .collect()
}

/// Seed of run (point, replication).
pub fn run_seed(master: u64, mode: SeedMode, point: usize, replication: u32) -> u64 {
    match mode {
        SeedMode::Common => crate::replication_seed(master, replication),
        SeedMode::Independent => derive_seed(
            derive_seed(master, &format!("point/{point}")),
            &format!("replication/{replication}"),
        ),
    }
}

fn diag(file: &str, line: Option<usize>, key: Option<String>, message: String) -> Diagnostic {
    Diagnostic {
        file: file.to_string(),
        line,
        column: None,
        key,
        message,
        help: None,
    }
}

/// Parse `KEY=VALUES` from `--axis`: VALUES is a TOML array (`[20, 50]`) or a comma list
/// (`20,50` or `10s,20s`; items that are not TOML values are taken as strings).
pub fn parse_cli_axis(s: &str) -> Result<(String, Vec<toml::Value>), String> {
    let (k, v) = s.split_once('=').ok_or_else(|| {
        format!("--axis `{s}`: expected KEY=VALUES, e.g. controller.qps=20,50,100")
    })?;
    let k = k.trim();
    let v = v.trim();
    let values: Vec<toml::Value> = if v.starts_with('[') {
        let t: toml::Table = toml::from_str(&format!("v = {v}"))
            .map_err(|e| format!("--axis `{k}`: {}", e.message().trim()))?;
        match t.get("v") {
            Some(toml::Value::Array(a)) => a.clone(),
            _ => return Err(format!("--axis `{k}`: expected an array of values")),
        }
    } else {
        v.split(',')
            .map(|item| {
                let item = item.trim();
                toml::from_str::<toml::Table>(&format!("v = {item}"))
                    .ok()
                    .and_then(|t| t.get("v").cloned())
                    .unwrap_or_else(|| toml::Value::String(item.to_string()))
            })
            .collect()
    };
    if values.is_empty() || v.is_empty() {
        return Err(format!("--axis `{k}`: no values"));
    }
    Ok((k.to_string(), values))
}

/// Flatten nested tables of `[grid]` into dotted axis names (`[grid.controller] qps = [..]`).
fn flatten(prefix: &str, t: &toml::Table, out: &mut Vec<(String, toml::Value)>) {
    for (k, v) in t {
        let name = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        if prefix.is_empty() && RESERVED.contains(&k.as_str()) {
            continue;
        }
        match v {
            toml::Value::Table(sub) => flatten(&name, sub, out),
            _ => out.push((name, v.clone())),
        }
    }
}

impl Grid {
    /// Parse the `[grid]` table (None = no grid: one point) plus `--axis` overrides.
    pub fn parse(
        file: &str,
        text: &str,
        table: Option<&toml::Table>,
        cli_axes: &[String],
    ) -> Result<Grid, Vec<Diagnostic>> {
        let (grid, diags) = Self::parse_lenient(file, text, table, cli_axes);
        if diags.is_empty() {
            Ok(grid)
        } else {
            Err(diags)
        }
    }

    /// Like [`Grid::parse`], but always returns a grid (axes and zip groups with problems
    /// left out) next to the problems, so that callers can go on checking axis values and
    /// report everything at once.
    pub fn parse_lenient(
        file: &str,
        text: &str,
        table: Option<&toml::Table>,
        cli_axes: &[String],
    ) -> (Grid, Vec<Diagnostic>) {
        let mut diags = Vec::new();
        let empty = toml::Table::new();
        let table = table.unwrap_or(&empty);
        let line_of = |k: &str| locate_key(text, &format!("grid.{k}"));
        let mut raw = Vec::new();
        flatten("", table, &mut raw);
        // Declaration order: by line in the file (BTreeMap order breaks ties).
        raw.sort_by_key(|(k, _)| line_of(k).unwrap_or(usize::MAX));
        let mut axes: Vec<Axis> = Vec::new();
        let add = |name: &str,
                   v: &toml::Value,
                   line: Option<usize>,
                   diags: &mut Vec<Diagnostic>,
                   axes: &mut Vec<Axis>| {
            let key = Some(if line.is_some() {
                format!("grid.\"{name}\"")
            } else {
                format!("--axis {name}")
            });
            let path = match KeyPath::parse(name) {
                Ok(p) => p,
                Err(e) => {
                    diags.push(diag(file, line, key, e));
                    return;
                }
            };
            let values = match v {
                toml::Value::Array(a) if !a.is_empty() => a.clone(),
                toml::Value::Array(_) => {
                    diags.push(diag(
                        file,
                        line,
                        key,
                        "an axis needs at least one value".into(),
                    ));
                    return;
                }
                other => {
                    let mut d = diag(
                        file,
                        line,
                        key,
                        format!(
                            "an axis must be an array of values, got `{}`",
                            value_text(other)
                        ),
                    );
                    d.help = Some(format!("write e.g. \"{name}\" = [{}]", value_text(other)));
                    diags.push(d);
                    return;
                }
            };
            let norm = path.to_string();
            let reserved = match norm.as_str() {
                "experiment.seed" => Some("run seeds come from the grid's master seed (--seed)"),
                "experiment.replications" => {
                    Some("every point gets the same replications (--replications)")
                }
                n if n == "grid" || n.starts_with("grid.") || n.starts_with("grid[") => {
                    Some("a grid cannot vary itself")
                }
                n if n == "check" || n.starts_with("check.") || n.starts_with("check[") => {
                    Some("[[check]] thresholds are not part of a run")
                }
                _ => None,
            };
            if let Some(why) = reserved {
                diags.push(diag(
                    file,
                    line,
                    key,
                    format!("`{norm}` cannot be a grid axis: {why}"),
                ));
                return;
            }
            let texts = values.iter().map(value_text).collect();
            let axis = Axis {
                name: norm.clone(),
                path,
                values,
                texts,
                numeric: Vec::new(),
                unit: AxisUnit::Category,
                line,
            };
            if let Some(existing) = axes.iter_mut().find(|a| a.name == norm) {
                if line.is_some() {
                    diags.push(diag(
                        file,
                        line,
                        Some(format!("grid.\"{name}\"")),
                        format!("axis `{norm}` is given twice"),
                    ));
                } else {
                    // --axis overrides the file's axis in place.
                    let keep = existing.line;
                    *existing = Axis { line: keep, ..axis };
                }
            } else {
                axes.push(axis);
            }
        };
        for (k, v) in &raw {
            add(k, v, line_of(k), &mut diags, &mut axes);
        }
        for s in cli_axes {
            match parse_cli_axis(s) {
                Ok((k, vals)) => add(&k, &toml::Value::Array(vals), None, &mut diags, &mut axes),
                Err(e) => diags.push(diag(file, None, None, e)),
            }
        }

        let reserved_key = |k: &str| Some(format!("grid.{k}"));
        let mode = match table.get("mode") {
            None => GridMode::Cartesian,
            Some(toml::Value::String(s)) if s == "cartesian" => GridMode::Cartesian,
            Some(toml::Value::String(s)) if s == "zip" => GridMode::Zip,
            Some(v) => {
                let mut d = diag(
                    file,
                    line_of("mode"),
                    reserved_key("mode"),
                    format!("unknown grid mode `{}`", value_text(v)),
                );
                d.help = Some("expected \"cartesian\" (default) or \"zip\"".into());
                diags.push(d);
                GridMode::Cartesian
            }
        };
        let seeds = match table.get("seeds") {
            None => SeedMode::Independent,
            Some(toml::Value::String(s)) if s == "independent" => SeedMode::Independent,
            Some(toml::Value::String(s)) if s == "common" => SeedMode::Common,
            Some(v) => {
                let mut d = diag(
                    file,
                    line_of("seeds"),
                    reserved_key("seeds"),
                    format!("unknown seed mode `{}`", value_text(v)),
                );
                d.help = Some(
                    "expected \"independent\" (default: seeds derived from point and replication) \
                     or \"common\" (the same replication seeds at every point)"
                        .into(),
                );
                diags.push(d);
                SeedMode::Independent
            }
        };

        // Factors.
        let mut group_of: Vec<Option<usize>> = vec![None; axes.len()];
        let mut groups: Vec<Vec<usize>> = Vec::new();
        if mode == GridMode::Zip && !axes.is_empty() {
            groups.push((0..axes.len()).collect());
            group_of.iter_mut().for_each(|g| *g = Some(0));
            if table.contains_key("zip") {
                diags.push(diag(
                    file,
                    line_of("zip"),
                    reserved_key("zip"),
                    "`zip` groups are for mode = \"cartesian\"; with mode = \"zip\" every axis is zipped".into(),
                ));
            }
        } else if let Some(z) = table.get("zip") {
            let zline = line_of("zip");
            let bad = |diags: &mut Vec<Diagnostic>, msg: String| {
                let mut d = diag(file, zline, reserved_key("zip"), msg);
                d.help =
                    Some("write e.g. zip = [[\"controller.qps\", \"controller.burst\"]]".into());
                diags.push(d);
            };
            match z {
                toml::Value::Array(gs) => {
                    for g in gs {
                        let toml::Value::Array(names) = g else {
                            bad(
                                &mut diags,
                                "each zip group must be an array of axis names".into(),
                            );
                            continue;
                        };
                        let mut members = Vec::new();
                        for n in names {
                            let toml::Value::String(n) = n else {
                                bad(
                                    &mut diags,
                                    format!("`{}` is not an axis name", value_text(n)),
                                );
                                continue;
                            };
                            let norm = KeyPath::parse(n)
                                .map(|p| p.to_string())
                                .unwrap_or(n.clone());
                            match axes.iter().position(|a| a.name == norm) {
                                None => {
                                    let mut d = diag(
                                        file,
                                        zline,
                                        reserved_key("zip"),
                                        format!("`{n}` is not an axis of this grid"),
                                    );
                                    d.help = did_you_mean(n, axes.iter().map(|a| a.name.as_str()))
                                        .map(|s| format!("did you mean `{s}`?"));
                                    diags.push(d);
                                }
                                Some(i) if group_of[i].is_some() || members.contains(&i) => bad(
                                    &mut diags,
                                    format!("axis `{n}` is in more than one zip group"),
                                ),
                                Some(i) => members.push(i),
                            }
                        }
                        if !members.is_empty() {
                            for &i in &members {
                                group_of[i] = Some(groups.len());
                            }
                            groups.push(members);
                        }
                    }
                }
                _ => bad(
                    &mut diags,
                    "`zip` must be an array of arrays of axis names".into(),
                ),
            }
        }
        for g in &groups {
            let n0 = axes[g[0]].values.len();
            for &i in &g[1..] {
                if axes[i].values.len() != n0 {
                    diags.push(diag(
                        file,
                        axes[i].line,
                        Some(format!("grid.\"{}\"", axes[i].name)),
                        format!(
                            "zipped axes need equal lengths: `{}` has {} values but `{}` has {}",
                            axes[i].name,
                            axes[i].values.len(),
                            axes[g[0]].name,
                            n0
                        ),
                    ));
                }
            }
        }
        // Factor order: by the first axis of each factor.
        let mut factors: Vec<Vec<usize>> = Vec::new();
        for (i, g) in group_of.iter().enumerate() {
            match g {
                None => factors.push(vec![i]),
                Some(g) => {
                    let mut members = groups[*g].clone();
                    members.sort_unstable();
                    if members[0] == i {
                        factors.push(members);
                    }
                }
            }
        }
        let grid = Grid {
            axes,
            mode,
            factors,
            seeds,
        };
        let n = grid.point_count();
        if n > MAX_POINTS {
            diags.push(diag(
                file,
                locate_key(text, "grid"),
                Some("grid".into()),
                format!("the grid has {n} points; at most {MAX_POINTS} are supported"),
            ));
        }
        (grid, diags)
    }

    /// Number of points.
    pub fn point_count(&self) -> usize {
        self.factors
            .iter()
            .map(|f| self.axes[f[0]].values.len())
            .try_fold(1usize, |acc, n| acc.checked_mul(n))
            .unwrap_or(usize::MAX)
    }

    /// Value index per axis of point `p` (first factor varies slowest).
    pub fn point_values(&self, mut p: usize) -> Vec<usize> {
        let mut out = vec![0; self.axes.len()];
        for f in self.factors.iter().rev() {
            let n = self.axes[f[0]].values.len();
            let i = p % n;
            p /= n;
            for &a in f {
                out[a] = i;
            }
        }
        out
    }

    /// `axis = value, ...` of a point.
    pub fn describe(&self, values: &[usize]) -> String {
        self.axes
            .iter()
            .zip(values)
            .map(|(a, &i)| format!("{} = {}", a.name, a.texts[i]))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The normalized value at `path` in a validated scenario, as a number with its unit.
fn resolved_number(sc: &Scenario, path: &KeyPath, raw: &toml::Value) -> (f64, AxisUnit) {
    let norm = toml::Table::try_from(&sc.file)
        .ok()
        .and_then(|t| path.get(&t).cloned());
    let v = norm.as_ref().unwrap_or(raw);
    match v {
        toml::Value::Integer(i) => {
            let unit = match raw {
                toml::Value::String(_) => AxisUnit::Bytes,
                _ => AxisUnit::Number,
            };
            (*i as f64, unit)
        }
        toml::Value::Float(f) => (*f, AxisUnit::Number),
        toml::Value::Boolean(b) => (f64::from(u8::from(*b)), AxisUnit::Bool),
        toml::Value::String(s) => {
            // Serialized units: Cpu → "<millicores>m", Dur → Go duration ending in "s".
            if let Some(m) = s.strip_suffix('m')
                && !m.is_empty()
                && m.chars().all(|c| c.is_ascii_digit())
                && let Ok(n) = m.parse::<u64>()
            {
                return (n as f64 / 1000.0, AxisUnit::Cores);
            }
            if s.ends_with('s')
                && let Ok(us) = parse_duration(s)
            {
                return (us as f64 / 1e6, AxisUnit::Seconds);
            }
            (f64::NAN, AxisUnit::Category)
        }
        _ => (f64::NAN, AxisUnit::Category),
    }
}

fn first_line(e: &scenario::ScenarioError) -> (Option<String>, String, Option<String>) {
    match e.diagnostics().first() {
        Some(d) => (d.key.clone(), d.message.clone(), d.help.clone()),
        None => (None, e.to_string(), None),
    }
}

impl Plan {
    /// Validate the scenario and its grid and expand every point. All problems are returned
    /// as diagnostics naming the file, the axis and its line.
    pub fn new(input: PlanInput) -> Result<Plan, Vec<Diagnostic>> {
        let file = input.source.as_str();
        let base = crate::parse_scenario(file, &input.text).map_err(|e| match e {
            scenario::ScenarioError::Invalid(d) => d,
            other => vec![diag(file, None, None, other.to_string())],
        })?;
        let (mut grid, mut diags) = if input.use_grid {
            Grid::parse_lenient(file, &input.text, base.file.grid.as_ref(), &input.cli_axes)
        } else {
            let g = Grid {
                axes: Vec::new(),
                mode: GridMode::Cartesian,
                factors: Vec::new(),
                seeds: SeedMode::Common,
            };
            (g, Vec::new())
        };
        let mut doc: toml::Table = toml::from_str(&input.text)
            .map_err(|e| vec![scenario::diag::from_toml_error(file, &input.text, &e)])?;
        doc.remove("grid");
        doc.remove("check");

        let axis_key = |a: &Axis| {
            Some(if a.line.is_some() {
                format!("grid.\"{}\"", a.name)
            } else {
                format!("--axis {}", a.name)
            })
        };
        // Each axis value on its own: errors name exactly one axis and value (the first bad
        // value of each axis).
        for a in &mut grid.axes {
            let mut units = Vec::new();
            for (v, t) in a.values.iter().zip(&a.texts) {
                let mut d = doc.clone();
                let sc = a
                    .path
                    .set(&mut d, v.clone())
                    .map_err(|e| (None, e, None))
                    .and_then(|()| {
                        let text = toml::to_string(&d).map_err(|e| (None, e.to_string(), None))?;
                        crate::parse_scenario(file, &text).map_err(|e| first_line(&e))
                    });
                match sc {
                    Ok(sc) => {
                        let (x, u) = resolved_number(&sc, &a.path, v);
                        a.numeric.push(x);
                        units.push(u);
                    }
                    Err((key, msg, help)) => {
                        let mut dg = diag(
                            file,
                            a.line,
                            axis_key(a),
                            match key {
                                Some(k) if k != a.name => format!("value {t}: {k}: {msg}"),
                                _ => format!("value {t}: {msg}"),
                            },
                        );
                        dg.help = help;
                        diags.push(dg);
                        break;
                    }
                }
            }
            if units.len() == a.values.len() {
                let u0 = units[0];
                a.unit = if units.iter().all(|u| *u == u0) && u0 != AxisUnit::Category {
                    u0
                } else if units
                    .iter()
                    .all(|u| matches!(u, AxisUnit::Number | AxisUnit::Bytes))
                {
                    AxisUnit::Number
                } else {
                    AxisUnit::Category
                };
                if a.unit == AxisUnit::Category {
                    a.numeric = (0..a.values.len()).map(|i| i as f64).collect();
                }
            }
        }
        if !diags.is_empty() {
            // In file order; `--axis` problems (no line) last.
            diags.sort_by_key(|d| d.line.unwrap_or(usize::MAX));
            return Err(diags);
        }

        let n = grid.point_count();
        let mut points = Vec::with_capacity(n);
        for p in 0..n {
            let values = grid.point_values(p);
            let sc = if grid.axes.is_empty() {
                base.clone()
            } else {
                let mut d = doc.clone();
                for (a, &i) in grid.axes.iter().zip(&values) {
                    a.path.set(&mut d, a.values[i].clone()).map_err(|e| {
                        vec![diag(
                            file,
                            a.line,
                            axis_key(a),
                            format!("value {}: {e}", a.texts[i]),
                        )]
                    })?;
                }
                let text = toml::to_string(&d)
                    .map_err(|e| vec![diag(file, None, Some("grid".into()), e.to_string())])?;
                match crate::parse_scenario(file, &text) {
                    Ok(sc) => sc,
                    Err(e) => {
                        let (key, msg, help) = first_line(&e);
                        let mut dg = diag(
                            file,
                            locate_key(&input.text, "grid"),
                            Some("grid".into()),
                            format!(
                                "point {p} ({}): {}{msg}",
                                grid.describe(&values),
                                key.map(|k| format!("{k}: ")).unwrap_or_default()
                            ),
                        );
                        dg.help = help;
                        return Err(vec![dg]);
                    }
                }
            };
            points.push(Point {
                values,
                scenario: sc,
            });
        }
        let seed = input.seed.unwrap_or(base.file.experiment.seed);
        let replications = input
            .replications
            .unwrap_or(base.file.experiment.replications);
        if replications == 0 {
            return Err(vec![diag(
                file,
                locate_key(&input.text, "experiment.replications"),
                Some("experiment.replications".into()),
                "replications must be at least 1".into(),
            )]);
        }
        let import_varies = grid
            .axes
            .iter()
            .any(|a| a.name.starts_with("import") || a.name.starts_with("manifests"));
        let provenance = super::provenance::provenance(file, &input.text, &base, import_varies);
        Ok(Plan {
            name: base.file.name.clone(),
            hash: fnv1a64(provenance.resolved.as_bytes()),
            provenance,
            grid,
            seed,
            replications,
            points,
            metrics: metric_names(),
            input,
        })
    }

    /// Total runs (points × replications).
    pub fn run_count(&self) -> usize {
        self.points.len() * self.replications as usize
    }

    /// Seed of run (point, replication).
    pub fn seed_of(&self, point: usize, replication: u32) -> u64 {
        run_seed(self.seed, self.grid.seeds, point, replication)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = include_str!("../../scenarios/default.toml");

    fn plan(extra: &str, cli: &[&str]) -> Result<Plan, Vec<Diagnostic>> {
        Plan::new(PlanInput {
            source: "t.toml".into(),
            text: format!("{BASE}\n{extra}"),
            cli_axes: cli.iter().map(|s| s.to_string()).collect(),
            seed: None,
            replications: Some(2),
            use_grid: true,
        })
    }

    #[test]
    fn cartesian_order_and_units() {
        let p = plan(
            "[grid]\n\"controller.qps\" = [20, 50]\n\"kubelet.sandbox_start\" = [\"1s\", \"2500ms\"]\n\"cluster.pools[0].nodes\" = [4, 8, 16]\n",
            &[],
        )
        .unwrap();
        let names: Vec<&str> = p.grid.axes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "controller.qps",
                "kubelet.sandbox_start",
                "cluster.pools[0].nodes"
            ]
        );
        assert_eq!(p.points.len(), 12);
        assert_eq!(p.points[1].values, vec![0, 0, 1]);
        assert_eq!(p.points[11].values, vec![1, 1, 2]);
        assert_eq!(p.points[11].scenario.pools[0].nodes, 16);
        assert_eq!(p.grid.axes[1].unit, AxisUnit::Seconds);
        assert_eq!(p.grid.axes[1].numeric, vec![1.0, 2.5]);
        assert_eq!(p.grid.axes[0].unit, AxisUnit::Number);
    }

    #[test]
    fn zip_groups() {
        let p = plan(
            "[grid]\n\"controller.qps\" = [20, 50]\n\"controller.burst\" = [30, 75]\n\"cluster.pools[0].nodes\" = [4, 8]\nzip = [[\"controller.qps\", \"controller.burst\"]]\n",
            &[],
        )
        .unwrap();
        assert_eq!(p.points.len(), 4);
        assert_eq!(p.points[2].values, vec![1, 1, 0]);
        let p = plan(
            "[grid]\nmode = \"zip\"\n\"controller.qps\" = [20, 50]\n\"controller.burst\" = [30, 75]\n",
            &[],
        )
        .unwrap();
        assert_eq!(p.points.len(), 2);
        let e = plan(
            "[grid]\nmode = \"zip\"\n\"controller.qps\" = [20, 50]\n\"controller.burst\" = [30]\n",
            &[],
        )
        .unwrap_err();
        assert!(e[0].to_string().contains("equal lengths"), "{}", e[0]);
    }

    #[test]
    fn errors_name_the_axis() {
        let e = plan("[grid]\n\"controller.qsp\" = [20, 50]\n", &[]).unwrap_err();
        let s = e[0].to_string();
        assert!(s.starts_with("t.toml:"), "{s}");
        assert!(s.contains("grid.\"controller.qsp\""), "{s}");
        assert!(s.contains("did you mean `qps`"), "{s}");
        let e = plan("[grid]\n\"cluster.pools[2].nodes\" = [1]\n", &[]).unwrap_err();
        assert!(e[0].to_string().contains("out of range"), "{}", e[0]);
        let e = plan("[grid]\n\"kubelet.sandbox_start\" = [\"fast\"]\n", &[]).unwrap_err();
        assert!(e[0].to_string().contains("value fast"), "{}", e[0]);
        let e = plan("[grid]\n\"controller.qps\" = 20\n", &[]).unwrap_err();
        assert!(e[0].to_string().contains("must be an array"), "{}", e[0]);
        let e = plan("", &["experiment.seed=1,2"]).unwrap_err();
        assert!(
            e[0].to_string().contains("cannot be a grid axis"),
            "{}",
            e[0]
        );
        let e = plan("", &["controller.qps"]).unwrap_err();
        assert!(e[0].to_string().contains("KEY=VALUES"), "{}", e[0]);
    }

    #[test]
    fn cli_axes() {
        let p = plan(
            "[grid]\n\"controller.qps\" = [20, 50]\n",
            &["controller.qps=1,2,3", "kubelet.sandbox_start=1s,2s"],
        )
        .unwrap();
        assert_eq!(p.grid.axes.len(), 2);
        assert_eq!(p.grid.axes[0].texts, ["1", "2", "3"]);
        assert_eq!(p.grid.axes[1].texts, ["1s", "2s"]);
        assert_eq!(p.points.len(), 6);
        let (k, v) = parse_cli_axis("a.b=[1, \"x\"]").unwrap();
        assert_eq!((k.as_str(), v.len()), ("a.b", 2));
    }

    #[test]
    fn no_grid_is_one_point() {
        let p = plan("", &[]).unwrap();
        assert_eq!(p.points.len(), 1);
        assert_eq!(p.run_count(), 2);
        assert_ne!(p.seed_of(0, 0), p.seed_of(0, 1));
        assert_ne!(p.seed_of(0, 0), p.seed_of(1, 0));
    }
}
