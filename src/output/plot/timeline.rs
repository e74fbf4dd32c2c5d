//! The two figures of one run's [`Trace`] that `run --out` writes:
//!
//! - `timeline`: a Gantt chart like Argo UI's timeline, one bar per pod (workflow node
//!   attempt) coloured by phase: pending (scheduling, sandbox, argoexec pull), init (init
//!   container, main image pull), running (main; red when the pod failed or was killed),
//!   wait (outputs, artifacts, TaskResult). Above [`MAX_POD_ROWS`] pods an even sample in
//!   creation order is drawn, and the subtitle says which.
//! - `nodes`: occupancy of every Kubernetes node over time (one row per node, grouped by
//!   pool): CPU requested over allocatable in ten shades, provisioning in orange, absent
//!   blank. Above [`MAX_NODE_ROWS`] nodes an even sample, said in the subtitle.
//!
//! A pod holds its node's room from its binding to its exit (the release when the kubelet's
//! final status lands is a moment later). Same bytes for the same trace.

use super::{Draw, R, e, render, tick, with_title};
use crate::metrics::Trace;
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

/// Most pod rows drawn.
pub const MAX_POD_ROWS: usize = 160;
/// Most node rows drawn.
pub const MAX_NODE_ROWS: usize = 400;
/// Time columns of the occupancy chart.
const BINS: usize = 300;

const PENDING: RGBColor = RGBColor(190, 190, 190);
const INIT: RGBColor = RGBColor(230, 159, 0);
const RUNNING: RGBColor = RGBColor(0, 114, 178);
const FAILED: RGBColor = RGBColor(213, 94, 0);
const WAIT: RGBColor = RGBColor(0, 158, 115);
const PROVISIONING: RGBColor = RGBColor(253, 190, 133);

/// Time axis unit for a run of `end` seconds: (divisor, name).
fn time_unit(end: f64) -> (f64, &'static str) {
    if end >= 3.0 * 3600.0 {
        (3600.0, "h")
    } else if end >= 180.0 {
        (60.0, "min")
    } else {
        (1.0, "s")
    }
}

/// Every k-th index of `0..n` so that at most `max` remain: (indices, k).
fn sample(n: usize, max: usize) -> (Vec<usize>, usize) {
    let k = n.div_ceil(max).max(1);
    ((0..n).step_by(k).collect(), k)
}

/// A Gantt row: label, then (from, to, colour) bars.
type GanttRow = (String, Vec<(f64, f64, RGBColor)>);
/// An occupancy row: pool label on a pool's first row, then (first bin, bins, colour) runs.
type NodeRow = (Option<String>, Vec<(usize, usize, RGBColor)>);

struct Gantt {
    title: String,
    subtitle: String,
    unit: &'static str,
    end: f64,
    rows: Vec<GanttRow>,
}

struct Occupancy {
    title: String,
    subtitle: String,
    unit: &'static str,
    end: f64,
    rows: Vec<NodeRow>,
}

/// Both timeline figures of `trace` (none when it has no pods).
pub fn figures(trace: &Trace) -> Result<Vec<super::Figure>, (String, String)> {
    if trace.pods.is_empty() {
        return Ok(Vec::new());
    }
    let g = gantt(trace);
    let o = occupancy(trace);
    let h = (170 + 14 * g.rows.len() as u32).clamp(500, 2400);
    let mut out = vec![render(&g, "timeline", &g.title.clone(), (1400, h))?];
    if !o.rows.is_empty() {
        let h = (190 + 3 * o.rows.len() as u32).clamp(500, 1600);
        out.push(render(&o, "nodes", &o.title.clone(), (1400, h))?);
    }
    Ok(out)
}

fn gantt(trace: &Trace) -> Gantt {
    let end = trace.end_s.max(1e-6);
    let (div, unit) = time_unit(end);
    let n = trace.pods.len();
    let (mut shown, k) = sample(n, MAX_POD_ROWS - trace.workflows.len().min(8));
    if k > 1 {
        // Each workflow's last pod to exit stays in the sample (it ends the workflow).
        for w in 0..trace.workflows.len().min(8) {
            let last = (0..n)
                .filter(|&i| trace.pods[i].workflow as usize == w)
                .max_by(|&a, &b| {
                    let x = |i: usize| trace.pods[i].exit_s.unwrap_or(end);
                    x(a).total_cmp(&x(b)).then(a.cmp(&b))
                });
            if let Some(i) = last
                && let Err(at) = shown.binary_search(&i)
            {
                shown.insert(at, i);
            }
        }
    }
    let many_wfs = trace.workflows.len() > 1;
    let rows = shown
        .iter()
        .map(|&i| {
            let p = &trace.pods[i];
            let stop = p.exit_s.unwrap_or(end);
            let init = p.init_s.unwrap_or(p.main_s.unwrap_or(stop)).min(stop);
            let main = p.main_s.unwrap_or(stop).clamp(init, stop);
            let main_end = p.main_end_s.unwrap_or(stop).clamp(main, stop);
            let run_colour = if p.phase == "Failed" { FAILED } else { RUNNING };
            let bars = [
                (p.created_s, init, PENDING),
                (init, main, INIT),
                (main, main_end, run_colour),
                (main_end, stop, WAIT),
            ]
            .into_iter()
            .filter(|b| b.1 > b.0)
            .map(|(a, b, c)| (a / div, b / div, c))
            .collect();
            let retry = if p.attempt > 0 {
                format!(" (retry {})", p.attempt)
            } else {
                String::new()
            };
            let label = if many_wfs {
                format!(
                    "{} {}{retry}",
                    trace.workflows[p.workflow as usize].name, p.task
                )
            } else {
                format!("{}{retry}", p.task)
            };
            (label, bars)
        })
        .collect();
    let which = if k > 1 {
        format!(
            "{n} pods: 1 in {k} shown and the last to exit ({} rows, in creation order)",
            shown.len()
        )
    } else {
        format!("all {n} pods, in creation order")
    };
    Gantt {
        title: format!("Pod timeline of {}", trace.scenario),
        subtitle: format!(
            "seed {}, {} workflow{}; {which}",
            trace.seed,
            trace.workflows.len(),
            if trace.workflows.len() == 1 { "" } else { "s" }
        ),
        unit,
        end: end / div,
        rows,
    }
}

/// Colour of a CPU-requested fraction (ten shades, pale to dark blue).
fn shade(f: f64) -> RGBColor {
    let level = (f.clamp(0.0, 1.0) * 9.0).round() / 9.0;
    let lerp = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * level) as u8;
    RGBColor(lerp(222, 8), lerp(235, 48), lerp(247, 107))
}

fn occupancy(trace: &Trace) -> Occupancy {
    let end = trace.end_s.max(1e-6);
    let (div, unit) = time_unit(end);
    let width = end / BINS as f64;
    // Requested CPU-seconds per node per bin.
    let mut used = vec![vec![0.0f64; BINS]; trace.nodes.len()];
    for p in &trace.pods {
        let (Some(n), Some(from)) = (p.node, p.bound_s) else {
            continue;
        };
        let to = p.exit_s.unwrap_or(end).min(end);
        if to <= from {
            continue;
        }
        let row = &mut used[n as usize];
        let first = ((from / width) as usize).min(BINS - 1);
        let last = ((to / width) as usize).min(BINS - 1);
        for (b, slot) in row.iter_mut().enumerate().take(last + 1).skip(first) {
            let (lo, hi) = (b as f64 * width, (b + 1) as f64 * width);
            let overlap = to.min(hi) - from.max(lo);
            if overlap > 0.0 {
                *slot += p.cpu as f64 * overlap;
            }
        }
    }
    // Nodes grouped by pool (pools in order of their first node), then in request order.
    let mut pools: Vec<&str> = Vec::new();
    for n in &trace.nodes {
        if !pools.contains(&n.pool.as_str()) {
            pools.push(&n.pool);
        }
    }
    let mut order: Vec<usize> = (0..trace.nodes.len()).collect();
    order.sort_by_key(|&i| pools.iter().position(|p| *p == trace.nodes[i].pool));
    let (shown, k) = sample(order.len(), MAX_NODE_ROWS);
    let mut last_pool: Option<&str> = None;
    let rows = shown
        .iter()
        .map(|&j| {
            let i = order[j];
            let node = &trace.nodes[i];
            let colour = |b: usize| -> Option<RGBColor> {
                let mid = (b as f64 + 0.5) * width;
                if mid < node.created_s || node.gone_s.is_some_and(|g| mid >= g) {
                    None
                } else if node.ready_s.is_none_or(|r| mid < r) {
                    Some(PROVISIONING)
                } else {
                    Some(shade(used[i][b] / (node.alloc_cpu.max(1) as f64 * width)))
                }
            };
            let mut runs: Vec<(usize, usize, RGBColor)> = Vec::new();
            for b in 0..BINS {
                if let Some(c) = colour(b) {
                    match runs.last_mut() {
                        Some(r) if r.0 + r.1 == b && r.2 == c => r.1 += 1,
                        _ => runs.push((b, 1, c)),
                    }
                }
            }
            let label = (last_pool != Some(node.pool.as_str())).then(|| node.pool.clone());
            last_pool = Some(&node.pool);
            (label, runs)
        })
        .collect();
    let n = trace.nodes.len();
    let which = if k > 1 {
        format!("{n} nodes: 1 in {k} shown")
    } else {
        format!("all {n} nodes")
    };
    Occupancy {
        title: format!("Node occupancy of {}", trace.scenario),
        subtitle: format!(
            "seed {}; {which}, grouped by pool; CPU requested / allocatable per {} column",
            trace.seed,
            crate::experiment::present::human_secs(width)
        ),
        unit,
        end: end / div,
        rows,
    }
}

/// Legend boxes drawn in a row at the top left of `area`.
fn legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, items: &[(&str, RGBColor)]) -> R<()> {
    let mut x = 90;
    for (name, c) in items {
        area.draw(&Rectangle::new([(x, 6), (x + 18, 20)], c.filled()))
            .map_err(e)?;
        area.draw(&Text::new(
            name.to_string(),
            (x + 24, 6),
            ("sans-serif", 15).into_font(),
        ))
        .map_err(e)?;
        x += 30 + 9 * name.len() as i32;
    }
    Ok(())
}

/// White background, title and subtitle, a legend row; returns the area left for the chart.
fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
    items: &[(&str, RGBColor)],
) -> R<DrawingArea<DB, Shift>> {
    root.fill(&WHITE).map_err(e)?;
    let body = with_title(root, title, Some(subtitle))?;
    let (top, chart_area) = body.split_vertically(28);
    legend(&top, items)?;
    Ok(chart_area)
}

/// A chart of `rows` rows (row 0 at the top) against simulated time `0..end` (in `unit`),
/// `label_w` pixels left for row labels, which the caller draws.
fn time_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    end: f64,
    rows: usize,
    label_w: u32,
    unit: &str,
    y_desc: &str,
) -> R<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>> {
    let mut chart = ChartBuilder::on(area)
        .margin(10)
        .margin_right(30)
        .x_label_area_size(44)
        .y_label_area_size(label_w)
        .build_cartesian_2d(0.0..end, 0.0..rows as f64)
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc(format!("simulated time ({unit})"))
        .y_desc(y_desc)
        .axis_desc_style(("sans-serif", 15))
        .label_style(("sans-serif", 12))
        .x_label_formatter(&|x| tick(*x))
        .y_labels(0)
        .disable_y_mesh()
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(e)?;
    Ok(chart)
}

impl Draw for Gantt {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> R<()> {
        let chart_area = frame(
            root,
            &self.title,
            &self.subtitle,
            &[
                ("pending", PENDING),
                ("init", INIT),
                ("running", RUNNING),
                ("running (failed or killed)", FAILED),
                ("wait", WAIT),
            ],
        )?;
        let n = self.rows.len();
        let labels: Vec<String> = self.rows.iter().map(|r| r.0.clone()).collect();
        let label_w = labels
            .iter()
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(4)
            .clamp(6, 40) as u32
            * 7
            + 16;
        let mut chart = time_chart(&chart_area, self.end, n, label_w, self.unit, "")?;
        // A label where the task (or workflow, or retry) changes from the row above.
        for (i, l) in labels.iter().enumerate() {
            if i > 0 && labels[i - 1] == *l {
                continue;
            }
            let mut l = l.clone();
            if l.chars().count() > 40 {
                l = l.chars().take(39).collect::<String>() + "…";
            }
            let (px, py) = chart.backend_coord(&(0.0, (n - i) as f64));
            root.draw(&Text::new(
                l,
                (px - label_w as i32 + 6, py),
                ("sans-serif", 12).into_font(),
            ))
            .map_err(e)?;
        }
        let bars = self.rows.iter().enumerate().flat_map(|(i, (_, bars))| {
            let y = (n - 1 - i) as f64;
            bars.iter()
                .map(move |&(a, b, c)| Rectangle::new([(a, y + 0.15), (b, y + 0.85)], c.filled()))
        });
        chart.draw_series(bars).map_err(e)?;
        Ok(())
    }
}

impl Draw for Occupancy {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> R<()> {
        let chart_area = frame(
            root,
            &self.title,
            &self.subtitle,
            &[
                ("0 %", shade(0.0)),
                ("33 %", shade(0.34)),
                ("67 %", shade(0.67)),
                ("100 % requested", shade(1.0)),
                ("provisioning", PROVISIONING),
            ],
        )?;
        let n = self.rows.len();
        let labels: Vec<Option<String>> = self.rows.iter().map(|r| r.0.clone()).collect();
        let mut chart = time_chart(&chart_area, self.end, n, 190, self.unit, "nodes")?;
        let col = self.end / BINS as f64;
        let rects = self.rows.iter().enumerate().flat_map(|(i, (_, runs))| {
            let y = (n - 1 - i) as f64;
            runs.iter().map(move |&(b, len, c)| {
                Rectangle::new(
                    [(b as f64 * col, y), ((b + len) as f64 * col, y + 1.0)],
                    c.filled(),
                )
            })
        });
        chart.draw_series(rects).map_err(e)?;
        // Pool names at each pool's first row, with a separator line.
        for (i, l) in labels.iter().enumerate() {
            if let Some(name) = l {
                let y = (n - i) as f64;
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(0.0, y), (self.end, y)],
                        RGBColor(120, 120, 120).stroke_width(1),
                    )))
                    .map_err(e)?;
                let (px, py) = chart.backend_coord(&(0.0, y));
                root.draw(&Text::new(
                    name.clone(),
                    (px - 180, py + 2),
                    ("sans-serif", 13).into_font(),
                ))
                .map_err(e)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{NodeSpan, PodSpan};

    fn trace(pods: usize) -> Trace {
        Trace {
            scenario: "t".into(),
            seed: 1,
            end_s: 100.0,
            workflows: vec![crate::metrics::WorkflowSpan {
                name: "w-0".into(),
                ..Default::default()
            }],
            pods: (0..pods)
                .map(|i| PodSpan {
                    workflow: 0,
                    task: format!("t{i}"),
                    task_index: i as u32,
                    attempt: 0,
                    node: Some(0),
                    cpu: 1000,
                    issued_s: 1.0,
                    created_s: 1.0,
                    bound_s: Some(2.0),
                    scheduled_s: Some(2.0),
                    init_s: Some(5.0),
                    init_end_s: Some(7.0),
                    main_s: Some(10.0),
                    main_end_s: Some(50.0),
                    exit_s: Some(55.0),
                    phase: "Succeeded",
                    message: "",
                })
                .collect(),
            nodes: vec![NodeSpan {
                pool: "p".into(),
                alloc_cpu: 2000,
                created_s: 0.0,
                ready_s: Some(0.0),
                gone_s: None,
            }],
        }
    }

    #[test]
    fn large_runs_are_sampled_and_say_so() {
        let g = gantt(&trace(5000));
        assert!(g.rows.len() <= MAX_POD_ROWS);
        assert!(
            g.subtitle.contains("5000 pods: 1 in 32 shown"),
            "{}",
            g.subtitle
        );
        let g = gantt(&trace(3));
        assert_eq!(g.rows.len(), 3);
        assert!(g.subtitle.contains("all 3 pods"));
        // The phases tile the pod's life: pending 1-5, init 5-10, running 10-50, wait 50-55.
        let bars = &g.rows[0].1;
        assert_eq!(bars.len(), 4);
        assert_eq!((bars[0].0, bars[3].1), (1.0, 55.0));
    }

    #[test]
    fn occupancy_is_requested_over_allocatable() {
        // Two 1-CPU pods on a 2-CPU node from 2 s to 55 s: full in between, empty after.
        let o = occupancy(&trace(2));
        let runs = &o.rows[0].1;
        let full = runs
            .iter()
            .find(|r| r.2 == shade(1.0))
            .expect("a full stretch");
        assert!(full.0 <= 7 && full.0 + full.1 >= 160, "{runs:?}");
        assert_eq!(runs.last().map(|r| r.2), Some(shade(0.0)));
        let f = figures(&trace(2)).expect("draws");
        assert_eq!(f.len(), 2);
        assert!(f[0].svg.contains("<svg") && f[1].png.starts_with(b"\x89PNG"));
    }
}
