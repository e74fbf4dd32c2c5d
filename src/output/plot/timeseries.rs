//! `timeseries`: one run (best point, replication 0): cluster CPU requested/allocatable, the
//! controller's queue depths, and pending pods by reason as a stacked area.

use super::{Draw, PALETTE, R, e, tick, with_title};
use crate::experiment::grid::Plan;
use crate::experiment::present;
use crate::experiment::results::ChosenRun;
use plotters::coord::Shift;
use plotters::prelude::*;

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

pub(super) struct TsFigure {
    title: String,
    subtitle: String,
    t: Vec<f64>,
    t_div: f64,
    t_unit: &'static str,
    /// (title, y label, series (label, values), stacked)
    panels: Vec<TsPanel>,
}

pub(super) fn ts_figure(plan: &Plan, c: &ChosenRun) -> Option<TsFigure> {
    let ts = &c.timeseries;
    if ts.t_s.len() < 2 {
        return None;
    }
    let get = |n: &str| {
        ts.series
            .get(n)
            .filter(|v| v.len() == ts.t_s.len())
            .map(crate::metrics::Column::to_vec)
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
