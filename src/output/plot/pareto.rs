//! `runtime-vs-cost`: every point's mean run length and cost with CI bars, the Pareto front
//! marked and joined, the shortest-runtime point highlighted.

use super::{Draw, PALETTE, R, e, range, tick};
use crate::experiment::present::{self, label};
use crate::experiment::results::{COST_METRIC, RUNTIME_METRIC};
use crate::experiment::stats::Agg;
use plotters::coord::Shift;
use plotters::prelude::*;

pub(super) struct ParetoFigure {
    /// (point, runtime agg, cost agg)
    pub(super) pts: Vec<(usize, Agg, Agg)>,
    /// Points on the Pareto front, by increasing runtime.
    pub(super) front: Vec<usize>,
    /// The shortest-runtime point.
    pub(super) best: Option<usize>,
    /// Replications per point (for the subtitle).
    pub(super) replications: u32,
    /// Each point's settings (`qps=50, burst=75`), by point index.
    pub(super) labels: Vec<String>,
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
                    "shortest {} ({})",
                    label(RUNTIME_METRIC),
                    self.labels
                        .get(b.0)
                        .cloned()
                        .unwrap_or_else(|| format!("point {}", b.0))
                ))
                .legend(move |(x, y)| TriangleMarker::new((x + 10, y), 7, green.filled()));
        }
        // Label every point with its settings when they stay readable.
        if self.pts.len() <= 12 {
            for p in &self.pts {
                let (x, y) = xy(p);
                let text = self
                    .labels
                    .get(p.0)
                    .cloned()
                    .unwrap_or_else(|| format!("point {}", p.0));
                // Right of the point, or left of it in the right half (so it is not cut off):
                // about 7 px per character at this font size.
                let dx = if x > (x0 + x1) / 2.0 {
                    -8 - 7 * text.chars().count() as i32
                } else {
                    8
                };
                chart
                    .draw_series(std::iter::once(
                        EmptyElement::at((x, y))
                            + Text::new(text, (dx, -20), ("sans-serif", 14).into_font()),
                    ))
                    .map_err(e)?;
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
