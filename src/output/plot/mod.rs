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
//! One submodule per figure (`axis`, `pareto`, `timeseries`); this module holds the shared
//! drawing helpers, the two-backend [`Figure`] rendering and [`figures`].
//!
//! - `makespan-observed-vs-predicted` (`replay --out`): observed against predicted makespan
//!   per workflow (`replay.rs`).
//! - `timeline` and `nodes` (`run --out`, from one run's `Trace`): a pod Gantt chart by phase
//!   and per-node occupancy (`timeline.rs`).
//!
//! Pure: results in, bytes out; the same input gives the same bytes. Left out: interactive
//! output, and plots of more than one axis at a time (heatmaps).

use crate::experiment::results::{COST_METRIC, GridResults, RUNTIME_METRIC, metric_index};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::sync::Once;

mod axis;
mod pareto;
mod replay;
pub mod timeline;
mod timeseries;

use axis::axis_figure;
use pareto::ParetoFigure;
use timeseries::ts_figure;

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

const FONT: &[u8] = include_bytes!("../../../assets/DejaVuSans.ttf");
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

/// `makespan-observed-vs-predicted` of a replay (`replay --out`).
pub fn replay_figure(
    r: &crate::experiment::replay::ReplayResult,
) -> Result<Figure, (String, String)> {
    render(
        &replay::ReplayFigure::new(r),
        "makespan-observed-vs-predicted",
        "Makespan: observed vs predicted",
        (900, 820),
    )
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
            labels: point_labels(plan)
                .into_iter()
                .zip(&r.points)
                .map(|(l, p)| {
                    if crate::experiment::results::has_unfinished(plan, p) {
                        format!("{l} (cut by horizon, not ranked)")
                    } else {
                        l
                    }
                })
                .collect(),
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

/// Each point's settings for people, e.g. `qps=50, burst=75` (the last segment of each axis
/// key; the whole key where two axes share it).
pub(super) fn point_labels(plan: &crate::experiment::Plan) -> Vec<String> {
    let names: Vec<&str> = plan.grid.axes.iter().map(|a| a.name.as_str()).collect();
    let short: Vec<&str> = names
        .iter()
        .map(|n| {
            let last = n.rsplit('.').next().unwrap_or(n);
            if names
                .iter()
                .filter(|m| m.rsplit('.').next() == Some(last))
                .count()
                > 1
            {
                n
            } else {
                last
            }
        })
        .collect();
    plan.points
        .iter()
        .map(|p| {
            plan.grid
                .axes
                .iter()
                .zip(&p.values)
                .zip(&short)
                .map(|((a, &i), s)| format!("{s}={}", a.texts[i]))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .collect()
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
