//! `metrics-vs-AXIS`: four headline metrics against one axis's values, one line per
//! combination of the other axes (or their average when there are more than six), with 95%
//! CI bands.

use super::{Draw, PALETTE, R, e, range, tick, with_title};
use crate::experiment::grid::AxisUnit;
use crate::experiment::present::{self, label};
use crate::experiment::results::{COST_METRIC, GridResults, RUNTIME_METRIC, metric_index};
use crate::experiment::stats::{Agg, aggregate};
use plotters::coord::Shift;
use plotters::prelude::*;

struct Line {
    label: String,
    /// (x, mean, lo, hi), sorted by x.
    pts: Vec<(f64, f64, f64, f64)>,
}

pub(super) struct Panel {
    metric: String,
    lines: Vec<Line>,
}

pub(super) struct AxisFigure {
    axis_label: String,
    categories: Option<Vec<String>>,
    pub(super) panels: Vec<Panel>,
    pub(super) title: String,
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

pub(super) fn axis_figure(r: &GridResults, a: usize) -> AxisFigure {
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
