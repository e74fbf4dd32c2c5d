//! Plots of grid results, each drawn twice from the same code: PNG (plotters' bitmap backend,
//! text by ab_glyph with the vendored DejaVu Sans, encoded by `png`) and SVG.
//!
//! - `metrics-vs-AXIS`: for every axis, four headline metrics against the axis values, one
//!   line per combination of the other axes (or their average when there are more than six),
//!   with 95% CI bands.
//! - `runtime-vs-cost`: every point's mean run length and cost with CI bars, the Pareto
//!   front marked and joined, the shortest-runtime point highlighted.
//! - `timeseries`: one run (best point, replication 0): cluster CPU requested/allocatable,
//!   the controller's queue depths, and pending pods by reason as a stacked area.
//!
//! Pure: results in, bytes out; the same input gives the same bytes. Left out: per-node CPU
//! and a pods-per-node Gantt chart (the run report carries neither per-node series nor pod
//! placement), interactive output, and plots of more than one axis at a time (heatmaps).

use crate::experiment::grid::{AxisUnit, Plan};
use crate::experiment::present::{self, label};
use crate::experiment::results::{
    COST_METRIC, ChosenRun, GridResults, RUNTIME_METRIC, metric_index,
};
use crate::experiment::stats::{Agg, aggregate};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::sync::Once;

/// A drawn figure.
#[derive(Debug, Clone)]
pub struct Figure {
    /// File stem (`plots/STEM.png`, `plots/STEM.svg`).
    pub stem: String,
    /// Title, for listings.
    pub title: String,
    /// PNG bytes.
    pub png: Vec<u8>,
    /// SVG text.
    pub svg: String,
}

const FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");
static FONT_ONCE: Once = Once::new();

fn register_font() {
    FONT_ONCE.call_once(|| {
        // The vendored font is known to parse; if it ever did not, text would fail to draw
        // and the error would surface from the drawing calls.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// Series colours (colour-blind-safe Okabe–Ito palette).
const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
];

type R<T> = Result<T, String>;

fn e<T: std::fmt::Debug>(x: T) -> String {
    format!("{x:?}")
}

/// Something drawable on any backend.
trait Draw {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> R<()>;
}

fn encode_png(rgb: &[u8], w: u32, h: u32) -> R<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut wr = enc.write_header().map_err(e)?;
        wr.write_image_data(rgb).map_err(e)?;
        wr.finish().map_err(e)?;
    }
    Ok(out)
}

fn render<D: Draw>(
    d: &D,
    stem: &str,
    title: &str,
    (w, h): (u32, u32),
) -> Result<Figure, (String, String)> {
    register_font();
    let fail = |m: String| (stem.to_string(), m);
    let mut buf = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        d.draw(&root).map_err(fail)?;
        root.present().map_err(|x| fail(e(x)))?;
    }
    let png = encode_png(&buf, w, h).map_err(fail)?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        d.draw(&root).map_err(fail)?;
        root.present().map_err(|x| fail(e(x)))?;
    }
    Ok(Figure {
        stem: stem.to_string(),
        title: title.to_string(),
        png,
        svg,
    })
}

/// A file-name-safe version of an axis name.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_string()
}

/// Padded range around values (never empty).
fn range(lo: f64, hi: f64, pad_top: f64) -> (f64, f64) {
    let (lo, hi) = if lo.is_finite() && hi.is_finite() {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    let span = if hi > lo {
        hi - lo
    } else {
        lo.abs().max(1.0) * 0.1
    };
    (lo - 0.08 * span, hi + (0.08 + pad_top) * span)
}

fn tick(v: f64) -> String {
    let a = v.abs();
    let raw = if a < 1e-9 {
        return "0".into();
    } else if a >= 1e6 {
        return format!("{}M", trim(format!("{:.2}", v / 1e6)));
    } else if a >= 1e4 {
        return format!("{}k", trim(format!("{:.1}", v / 1e3)));
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    };
    trim(raw)
}

/// Drop trailing zeros after a decimal point (`2.50` → `2.5`, `20.0` → `20`).
fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Draw a centred title (and optional grey subtitle) on top of `root`; returns the rest.
fn with_title<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: Option<&str>,
) -> R<DrawingArea<DB, Shift>> {
    let h = if subtitle.is_some() { 78 } else { 52 };
    let (top, body) = root.split_vertically(h);
    let (w, _) = top.dim_in_pixel();
    let centre = |size: u32| {
        TextStyle::from(("sans-serif", size).into_font()).pos(Pos::new(HPos::Center, VPos::Top))
    };
    top.draw(&Text::new(
        title.to_string(),
        (w as i32 / 2, 14),
        centre(26),
    ))
    .map_err(e)?;
    if let Some(sub) = subtitle {
        top.draw(&Text::new(
            sub.to_string(),
            (w as i32 / 2, 50),
            centre(16).color(&RGBColor(90, 90, 90)),
        ))
        .map_err(e)?;
    }
    Ok(body)
}

// ------------------------------------------------------------------ metric vs axis

struct Line {
    label: String,
    /// (x, mean, lo, hi), sorted by x.
    pts: Vec<(f64, f64, f64, f64)>,
}

struct Panel {
    metric: String,
    lines: Vec<Line>,
}

struct AxisFigure {
    axis_label: String,
    categories: Option<Vec<String>>,
    panels: Vec<Panel>,
    title: String,
    grouping: String,
}

/// Metrics drawn against each axis.
const AXIS_METRICS: [&str; 4] = [
    RUNTIME_METRIC,
    "makespan_p95_s",
    COST_METRIC,
    "throttle_wait_total_s",
];

const MAX_LINES: usize = 6;

fn axis_figure(r: &GridResults, a: usize) -> AxisFigure {
    let plan = r.plan;
    let axis = &plan.grid.axes[a];
    let factor = plan
        .grid
        .factors
        .iter()
        .position(|f| f.contains(&a))
        .unwrap_or(0);
    let others: Vec<usize> = plan
        .grid
        .factors
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != factor)
        .map(|(_, f)| f[0])
        .collect();
    let groups: usize = others
        .iter()
        .map(|&o| plan.grid.axes[o].values.len())
        .product();
    let per_line = groups <= MAX_LINES;
    // Group key: value index of the first axis of every other factor.
    let mut keys: Vec<Vec<usize>> = Vec::new();
    let mut members: Vec<Vec<(usize, usize)>> = Vec::new(); // (value index, point)
    for (p, pt) in plan.points.iter().enumerate() {
        let key: Vec<usize> = if per_line {
            others.iter().map(|&o| pt.values[o]).collect()
        } else {
            Vec::new()
        };
        let gi = match keys.iter().position(|k| *k == key) {
            Some(i) => i,
            None => {
                keys.push(key);
                members.push(Vec::new());
                keys.len() - 1
            }
        };
        members[gi].push((pt.values[a], p));
    }
    let panels = AXIS_METRICS
        .iter()
        .filter_map(|m| metric_index(plan, m).map(|i| (i, *m)))
        .map(|(mi, m)| {
            let lines = keys
                .iter()
                .zip(&members)
                .map(|(key, mem)| {
                    let label = if per_line && !others.is_empty() {
                        others
                            .iter()
                            .zip(key)
                            .map(|(&o, &v)| {
                                format!(
                                    "{} = {}",
                                    plan.grid.axes[o].name, plan.grid.axes[o].texts[v]
                                )
                            })
                            .collect::<Vec<_>>()
                            .join(", ")
                    } else if others.is_empty() {
                        "mean".to_string()
                    } else {
                        "mean over the other axes".to_string()
                    };
                    let mut pts: Vec<(f64, f64, f64, f64)> = (0..axis.values.len())
                        .filter_map(|vi| {
                            let agg: Agg = if per_line {
                                let p = mem.iter().find(|(v, _)| *v == vi)?.1;
                                r.points[p].aggs[mi]
                            } else {
                                let v: Vec<f64> = r
                                    .rows
                                    .iter()
                                    .filter(|row| {
                                        mem.iter().any(|(v, p)| *v == vi && *p == row.point)
                                    })
                                    .map(|row| row.values[mi])
                                    .collect();
                                aggregate(&v)
                            };
                            Some((axis.numeric[vi], agg.mean, agg.ci_lo, agg.ci_hi))
                        })
                        .collect();
                    pts.sort_by(|x, y| x.0.total_cmp(&y.0));
                    Line { label, pts }
                })
                .collect();
            Panel {
                metric: m.to_string(),
                lines,
            }
        })
        .collect();
    let categories = (axis.unit == AxisUnit::Category).then(|| axis.texts.clone());
    let partners: Vec<&str> = plan.grid.factors[factor]
        .iter()
        .filter(|&&i| i != a)
        .map(|&i| plan.grid.axes[i].name.as_str())
        .collect();
    let zipped = if partners.is_empty() {
        String::new()
    } else {
        format!("; {} zipped with it", partners.join(", "))
    };
    AxisFigure {
        axis_label: format!("{}{}", axis.name, axis.unit.label()),
        categories,
        panels,
        title: format!("Headline metrics against {}", axis.name),
        grouping: format!(
            "{}{zipped}",
            if per_line {
                if others.is_empty() {
                    format!(
                        "{} replications per point; bands: 95% CI of the mean",
                        plan.replications
                    )
                } else {
                    format!(
                        "one line per setting of the other axes; bands: 95% CI of the mean ({} replications)",
                        plan.replications
                    )
                }
            } else {
                format!("averaged over the {groups} settings of the other axes; bands: 95% CI")
            }
        ),
    }
}

impl Draw for AxisFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> R<()> {
        root.fill(&WHITE).map_err(e)?;
        let body = with_title(root, &self.title, Some(&self.grouping))?;
        let cells = body.split_evenly((2, 2));
        for (panel, area) in self.panels.iter().zip(cells.iter()) {
            draw_panel(panel, area, &self.axis_label, self.categories.as_deref())?;
        }
        Ok(())
    }
}

fn draw_panel<DB: DrawingBackend>(
    p: &Panel,
    area: &DrawingArea<DB, Shift>,
    x_label: &str,
    categories: Option<&[String]>,
) -> R<()> {
    let all = || p.lines.iter().flat_map(|l| l.pts.iter());
    let max_abs = all()
        .flat_map(|q| [q.1, q.2, q.3])
        .filter(|v| v.is_finite())
        .fold(0.0f64, |m, v| m.max(v.abs()));
    let sc = present::scale(&p.metric, max_abs);
    let yl = all()
        .flat_map(|q| [q.1, q.2])
        .filter(|v| v.is_finite())
        .fold(f64::INFINITY, f64::min)
        / sc.div;
    let yh = all()
        .flat_map(|q| [q.1, q.3])
        .filter(|v| v.is_finite())
        .fold(f64::NEG_INFINITY, f64::max)
        / sc.div;
    let legend = p.lines.len() > 1;
    let (y0, y1) = range(
        yl,
        yh,
        if legend {
            0.12 * p.lines.len() as f64
        } else {
            0.0
        },
    );
    let (x0, x1) = match categories {
        Some(c) => (-0.5, c.len() as f64 - 0.5),
        None => {
            let xl = all().map(|q| q.0).fold(f64::INFINITY, f64::min);
            let xh = all().map(|q| q.0).fold(f64::NEG_INFINITY, f64::max);
            let (a, b) = range(xl, xh, 0.0);
            (a, b)
        }
    };
    let mut chart = ChartBuilder::on(area)
        .caption(label(&p.metric), ("sans-serif", 20))
        .margin(12)
        .margin_right(28)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(e)?;
    let cat_fmt = |x: &f64| -> String {
        match categories {
            Some(c) => {
                let i = x.round();
                if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < c.len() {
                    c[i as usize].clone()
                } else {
                    String::new()
                }
            }
            None => tick(*x),
        }
    };
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(x_label)
        .y_desc(format!("{} ({})", label(&p.metric), sc.unit))
        .axis_desc_style(("sans-serif", 15))
        .label_style(("sans-serif", 13))
        .x_label_formatter(&cat_fmt)
        .y_label_formatter(&|y| tick(*y))
        .light_line_style(RGBColor(235, 235, 235));
    if let Some(c) = categories {
        mesh.x_labels(c.len() + 1);
    } else {
        mesh.x_labels(8);
    }
    mesh.y_labels(6).draw().map_err(e)?;
    for (i, l) in p.lines.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let band: Vec<(f64, f64)> = l
            .pts
            .iter()
            .filter(|q| q.2.is_finite())
            .map(|q| (q.0, q.3 / sc.div))
            .chain(
                l.pts
                    .iter()
                    .rev()
                    .filter(|q| q.2.is_finite())
                    .map(|q| (q.0, q.2 / sc.div)),
            )
            .collect();
        if band.len() >= 4 {
            chart
                .draw_series(std::iter::once(Polygon::new(
                    band,
                    color.mix(0.18).filled(),
                )))
                .map_err(e)?;
        } else if band.len() == 2 {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    band,
                    color.mix(0.5).stroke_width(6),
                )))
                .map_err(e)?;
        }
        let line: Vec<(f64, f64)> = l.pts.iter().map(|q| (q.0, q.1 / sc.div)).collect();
        let s = chart
            .draw_series(LineSeries::new(line.clone(), color.stroke_width(2)))
            .map_err(e)?;
        if legend {
            s.label(l.label.clone()).legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        }
        chart
            .draw_series(
                line.into_iter()
                    .map(|(x, y)| Circle::new((x, y), 4, color.filled())),
            )
            .map_err(e)?;
    }
    if legend {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.9))
            .border_style(RGBColor(180, 180, 180))
            .label_font(("sans-serif", 13))
            .draw()
            .map_err(e)?;
    }
    Ok(())
}

// ------------------------------------------------------------------ runtime vs cost

struct ParetoFigure {
    /// (point, runtime agg, cost agg)
    pts: Vec<(usize, Agg, Agg)>,
    front: Vec<usize>,
    best: Option<usize>,
    replications: u32,
}

impl Draw for ParetoFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> R<()> {
        root.fill(&WHITE).map_err(e)?;
        let mx = self
            .pts
            .iter()
            .flat_map(|p| [p.1.mean, p.1.ci_hi])
            .filter(|v| v.is_finite())
            .fold(0.0f64, f64::max);
        let sx = present::scale(RUNTIME_METRIC, mx);
        let my = self
            .pts
            .iter()
            .flat_map(|p| [p.2.mean, p.2.ci_hi])
            .filter(|v| v.is_finite())
            .fold(0.0f64, f64::max);
        let sy = present::scale(COST_METRIC, my);
        let lo = |a: &Agg| if a.ci_lo.is_finite() { a.ci_lo } else { a.mean };
        let hi = |a: &Agg| if a.ci_hi.is_finite() { a.ci_hi } else { a.mean };
        let xl = self
            .pts
            .iter()
            .map(|p| lo(&p.1))
            .fold(f64::INFINITY, f64::min)
            / sx.div;
        let xh = self
            .pts
            .iter()
            .map(|p| hi(&p.1))
            .fold(f64::NEG_INFINITY, f64::max)
            / sx.div;
        let yl = self
            .pts
            .iter()
            .map(|p| lo(&p.2))
            .fold(f64::INFINITY, f64::min)
            / sy.div;
        let yh = self
            .pts
            .iter()
            .map(|p| hi(&p.2))
            .fold(f64::NEG_INFINITY, f64::max)
            / sy.div;
        let (x0, x1) = range(xl, xh, 0.0);
        let (y0, y1) = range(yl, yh, 0.35);
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!(
                    "{} against {} per grid point",
                    label(RUNTIME_METRIC),
                    label(COST_METRIC)
                ),
                ("sans-serif", 24),
            )
            .margin(16)
            .margin_right(30)
            .x_label_area_size(52)
            .y_label_area_size(80)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc(format!(
                "{} ({}), mean of {} runs",
                label(RUNTIME_METRIC),
                sx.unit,
                self.replications
            ))
            .y_desc(format!("{} ({}), mean", label(COST_METRIC), sy.unit))
            .axis_desc_style(("sans-serif", 16))
            .label_style(("sans-serif", 14))
            .x_label_formatter(&|x| tick(*x))
            .y_label_formatter(&|y| tick(*y))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(e)?;
        let grey = RGBColor(120, 120, 120);
        let blue = PALETTE[0];
        let red = PALETTE[1];
        let xy = |p: &(usize, Agg, Agg)| (p.1.mean / sx.div, p.2.mean / sy.div);
        // CI bars.
        for p in &self.pts {
            let (x, y) = xy(p);
            if p.1.ci_lo.is_finite() {
                chart
                    .draw_series(std::iter::once(ErrorBar::new_horizontal(
                        y,
                        p.1.ci_lo / sx.div,
                        x,
                        p.1.ci_hi / sx.div,
                        grey.stroke_width(1),
                        6,
                    )))
                    .map_err(e)?;
                chart
                    .draw_series(std::iter::once(ErrorBar::new_vertical(
                        x,
                        p.2.ci_lo / sy.div,
                        y,
                        p.2.ci_hi / sy.div,
                        grey.stroke_width(1),
                        6,
                    )))
                    .map_err(e)?;
            }
        }
        chart
            .draw_series(
                self.pts
                    .iter()
                    .map(|p| Circle::new(xy(p), 5, blue.filled())),
            )
            .map_err(e)?
            .label(format!(
                "grid point (mean, 95% CI bars), {} points",
                self.pts.len()
            ))
            .legend(move |(x, y)| Circle::new((x + 10, y), 5, blue.filled()));
        let front: Vec<(f64, f64)> = self
            .front
            .iter()
            .filter_map(|f| self.pts.iter().find(|p| p.0 == *f).map(xy))
            .collect();
        chart
            .draw_series(LineSeries::new(front.clone(), red.stroke_width(2)))
            .map_err(e)?
            .label(format!("Pareto front ({} points)", front.len()))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], red.stroke_width(2)));
        chart
            .draw_series(
                front
                    .iter()
                    .map(|&(x, y)| Circle::new((x, y), 7, red.stroke_width(2))),
            )
            .map_err(e)?;
        if let Some(b) = self.best.and_then(|b| self.pts.iter().find(|p| p.0 == b)) {
            let (x, y) = xy(b);
            let green = PALETTE[2];
            chart
                .draw_series(std::iter::once(TriangleMarker::new(
                    (x, y),
                    9,
                    green.filled(),
                )))
                .map_err(e)?
                .label(format!(
                    "shortest {} (point {})",
                    label(RUNTIME_METRIC),
                    b.0
                ))
                .legend(move |(x, y)| TriangleMarker::new((x + 10, y), 7, green.filled()));
        }
        if front.len() <= 8 {
            for f in &self.front {
                if let Some(p) = self.pts.iter().find(|p| p.0 == *f) {
                    let (x, y) = xy(p);
                    chart
                        .draw_series(std::iter::once(
                            EmptyElement::at((x, y))
                                + Text::new(
                                    format!("p{}", p.0),
                                    (8, -20),
                                    ("sans-serif", 14).into_font(),
                                ),
                        ))
                        .map_err(e)?;
                }
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.9))
            .border_style(RGBColor(180, 180, 180))
            .label_font(("sans-serif", 14))
            .draw()
            .map_err(e)?;
        Ok(())
    }
}

// ------------------------------------------------------------------ time series

const CPU: &str = "cluster_cpu_requested_ratio";
const WQ: &str = "argo_workflows_queue_depth_gauge{queue_name=\"workflow_queue\"}";
const CQ: &str = "argo_workflows_queue_depth_gauge{queue_name=\"pod_cleanup_queue\"}";
const PENDING: &str = "argo_workflows_pods_gauge{phase=\"Pending\"}";
const REASONS: [(&str, &str); 3] = [
    ("pods_pending{reason=\"Unschedulable\"}", "Unschedulable"),
    (
        "pods_pending{reason=\"ContainerCreating\"}",
        "ContainerCreating",
    ),
    (
        "pods_pending{reason=\"PodInitializing\"}",
        "PodInitializing",
    ),
];

/// (title, y label, series (label, values), stacked)
type TsPanel = (String, String, Vec<(String, Vec<f64>)>, bool);

struct TsFigure {
    title: String,
    subtitle: String,
    t: Vec<f64>,
    t_div: f64,
    t_unit: &'static str,
    /// (title, y label, series (label, values), stacked)
    panels: Vec<TsPanel>,
}

fn ts_figure(plan: &Plan, c: &ChosenRun) -> Option<TsFigure> {
    let ts = &c.timeseries;
    if ts.t_s.len() < 2 {
        return None;
    }
    let get = |n: &str| {
        ts.series
            .get(n)
            .filter(|v| v.len() == ts.t_s.len())
            .cloned()
    };
    let mut panels = Vec::new();
    if let Some(cpu) = get(CPU) {
        panels.push((
            "Cluster CPU requested / allocatable (all nodes)".to_string(),
            "CPU requested (%)".to_string(),
            vec![(
                "requested / allocatable".to_string(),
                cpu.iter().map(|v| v * 100.0).collect(),
            )],
            false,
        ));
    }
    let mut q = Vec::new();
    if let Some(v) = get(WQ) {
        q.push(("workflow_queue".to_string(), v));
    }
    if let Some(v) = get(CQ) {
        q.push(("pod_cleanup_queue".to_string(), v));
    }
    if !q.is_empty() {
        let idle = q.iter().all(|(_, v)| v.iter().all(|x| *x == 0.0));
        panels.push((
            format!(
                "Workflow controller queue depth{}",
                if idle { " (empty at every sample)" } else { "" }
            ),
            "items queued".to_string(),
            q,
            false,
        ));
    }
    let mut stack: Vec<(String, Vec<f64>)> = REASONS
        .iter()
        .filter_map(|(n, l)| get(n).map(|v| (l.to_string(), v)))
        .collect();
    if let Some(total) = get(PENDING) {
        let other: Vec<f64> = (0..ts.t_s.len())
            .map(|i| (total[i] - stack.iter().map(|s| s.1[i]).sum::<f64>()).max(0.0))
            .collect();
        stack.push((
            "other Pending (not yet at the scheduler)".to_string(),
            other,
        ));
    }
    if !stack.is_empty() {
        let none = stack.iter().all(|(_, v)| v.iter().all(|x| *x == 0.0));
        panels.push((
            format!(
                "Pending pods by reason (stacked){}",
                if none { ": none at any sample" } else { "" }
            ),
            "pods".to_string(),
            stack,
            true,
        ));
    }
    if panels.is_empty() {
        return None;
    }
    let end = ts.t_s.last().copied().unwrap_or(0.0);
    let (t_div, t_unit) = if end >= 3.0 * 3600.0 {
        (3600.0, "h")
    } else if end >= 180.0 {
        (60.0, "min")
    } else {
        (1.0, "s")
    };
    let desc = plan.grid.describe(&plan.points[c.point].values);
    Some(TsFigure {
        title: format!(
            "One run over time: point {}{}, replication {}",
            c.point,
            if desc.is_empty() {
                String::new()
            } else {
                format!(" ({desc})")
            },
            c.replication
        ),
        subtitle: format!(
            "seed {}, sampled every {}",
            c.seed,
            present::human_secs(ts.interval_s)
        ),
        t: ts.t_s.clone(),
        t_div,
        t_unit,
        panels,
    })
}

impl Draw for TsFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> R<()> {
        root.fill(&WHITE).map_err(e)?;
        let body = with_title(root, &self.title, Some(&self.subtitle))?;
        let areas = body.split_evenly((self.panels.len(), 1));
        let t: Vec<f64> = self.t.iter().map(|x| x / self.t_div).collect();
        let (x0, x1) = (0.0, t.last().copied().unwrap_or(1.0).max(1e-9));
        for ((title, ylab, series, stacked), area) in self.panels.iter().zip(areas.iter()) {
            let n = t.len();
            let tops: Vec<Vec<f64>> = if *stacked {
                let mut acc = vec![0.0; n];
                series
                    .iter()
                    .map(|(_, v)| {
                        for i in 0..n {
                            acc[i] += v[i];
                        }
                        acc.clone()
                    })
                    .collect()
            } else {
                series.iter().map(|(_, v)| v.clone()).collect()
            };
            let ymax = tops.iter().flatten().copied().fold(0.0f64, f64::max);
            let legend = series.len() > 1;
            let y1 = if ymax > 0.0 {
                ymax * if legend { 1.45 } else { 1.1 }
            } else {
                1.0
            };
            let mut chart = ChartBuilder::on(area)
                .caption(title, ("sans-serif", 19))
                .margin(10)
                .margin_right(30)
                .x_label_area_size(44)
                .y_label_area_size(72)
                .build_cartesian_2d(x0..x1, 0.0..y1)
                .map_err(e)?;
            chart
                .configure_mesh()
                .x_desc(format!("simulated time ({})", self.t_unit))
                .y_desc(ylab.as_str())
                .axis_desc_style(("sans-serif", 15))
                .label_style(("sans-serif", 13))
                .x_label_formatter(&|x| tick(*x))
                .y_label_formatter(&|y| tick(*y))
                .light_line_style(RGBColor(235, 235, 235))
                .draw()
                .map_err(e)?;
            for (i, ((name, _), top)) in series.iter().zip(&tops).enumerate() {
                let color = PALETTE[i % PALETTE.len()];
                let s = if *stacked {
                    let below: Vec<f64> = if i == 0 {
                        vec![0.0; n]
                    } else {
                        tops[i - 1].clone()
                    };
                    let poly: Vec<(f64, f64)> = t
                        .iter()
                        .zip(top)
                        .map(|(x, y)| (*x, *y))
                        .chain(t.iter().zip(&below).rev().map(|(x, y)| (*x, *y)))
                        .collect();
                    chart
                        .draw_series(std::iter::once(Polygon::new(
                            poly,
                            color.mix(0.75).filled(),
                        )))
                        .map_err(e)?
                } else {
                    chart
                        .draw_series(LineSeries::new(
                            t.iter().zip(top).map(|(x, y)| (*x, *y)),
                            color.stroke_width(2),
                        ))
                        .map_err(e)?
                };
                if legend {
                    let stacked = *stacked;
                    s.label(name.clone()).legend(move |(x, y)| {
                        if stacked {
                            Rectangle::new([(x, y - 5), (x + 18, y + 5)], color.mix(0.75).filled())
                                .into_dyn()
                        } else {
                            PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                                .into_dyn()
                        }
                    });
                }
            }
            if legend {
                chart
                    .configure_series_labels()
                    .position(SeriesLabelPosition::UpperRight)
                    .background_style(WHITE.mix(0.9))
                    .border_style(RGBColor(180, 180, 180))
                    .label_font(("sans-serif", 13))
                    .draw()
                    .map_err(e)?;
            }
        }
        Ok(())
    }
}

/// Every figure of a finished grid, in a fixed order. Errors carry (stem, message).
pub fn figures(r: &GridResults) -> Result<Vec<Figure>, (String, String)> {
    let plan = r.plan;
    let mut out = Vec::new();
    for (a, axis) in plan.grid.axes.iter().enumerate() {
        let f = axis_figure(r, a);
        if f.panels.is_empty() {
            continue;
        }
        let stem = format!("metrics-vs-{}", slug(&axis.name));
        let title = f.title.clone();
        out.push(render(&f, &stem, &title, (1400, 1000))?);
    }
    if let (Some(rt), Some(c)) = (
        metric_index(plan, RUNTIME_METRIC),
        metric_index(plan, COST_METRIC),
    ) && plan.points.len() > 1
    {
        let f = ParetoFigure {
            pts: r
                .points
                .iter()
                .filter(|p| p.runs > 0)
                .map(|p| (p.point, p.aggs[rt], p.aggs[c]))
                .collect(),
            front: r.pareto.clone(),
            best: r.best,
            replications: plan.replications,
        };
        out.push(render(
            &f,
            "runtime-vs-cost",
            "Run length against cost, with the Pareto front",
            (1200, 800),
        )?);
    }
    if let Some(c) = &r.chosen
        && let Some(f) = ts_figure(plan, c)
    {
        let title = format!(
            "Time series of point {}, replication {}",
            c.point, c.replication
        );
        out.push(render(&f, "timeseries", &title, (1400, 1200))?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_ticks() {
        assert_eq!(slug("cluster.pools[0].nodes"), "cluster.pools_0_.nodes");
        assert_eq!(slug("controller.qps"), "controller.qps");
        assert_eq!(tick(12345.0), "12.3k");
        assert_eq!(tick(0.5), "0.5");
        assert_eq!(tick(20.0), "20");
        assert_eq!(tick(2.5), "2.5");
        assert_eq!(tick(150.0), "150");
    }
}
