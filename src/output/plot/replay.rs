//! `makespan-observed-vs-predicted` (`replay --out`): each observed workflow's makespan
//! against the simulator's (mean over replications, min–max bar), with the y = x line and
//! a ±5 % band. Minutes when the largest makespan is above 5 minutes, else seconds.

use super::{Draw, PALETTE, R, e, range, tick, with_title};
use crate::experiment::replay::ReplayResult;
use plotters::coord::Shift;
use plotters::prelude::*;

pub(super) struct ReplayFigure {
    /// (observed, predicted mean, min, max), s.
    pub(super) pts: Vec<(f64, f64, f64, f64)>,
    pub(super) subtitle: String,
}

impl ReplayFigure {
    pub(super) fn new(r: &ReplayResult) -> ReplayFigure {
        let pts = r
            .workflows
            .iter()
            .filter_map(|w| {
                let o = w.makespan_s.observed?;
                let p = w.makespan_s.predicted?;
                Some((o, p.mean, p.min, p.max))
            })
            .collect();
        let subtitle = format!(
            "\"{}\", {} workflow(s), {} replication(s); mean |error| {}",
            r.scenario,
            r.overall.workflows,
            r.replications,
            r.overall
                .mean_abs_makespan_error_pct
                .map_or("-".into(), |v| format!("{v:.1}%"))
        );
        ReplayFigure { pts, subtitle }
    }
}

impl Draw for ReplayFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> R<()> {
        root.fill(&WHITE).map_err(e)?;
        let body = with_title(
            root,
            "Makespan: observed vs predicted",
            Some(&self.subtitle),
        )?;
        let hi = self
            .pts
            .iter()
            .flat_map(|p| [p.0, p.3])
            .fold(0.0f64, f64::max);
        let (div, unit) = if hi > 300.0 {
            (60.0, "min")
        } else {
            (1.0, "s")
        };
        let (_, top) = range(0.0, hi / div, 0.0);
        let top = top.max(1e-3);
        let mut chart = ChartBuilder::on(&body)
            .margin(16)
            .margin_right(30)
            .x_label_area_size(52)
            .y_label_area_size(80)
            .build_cartesian_2d(0.0..top, 0.0..top)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc(format!("observed makespan ({unit})"))
            .y_desc(format!("predicted makespan ({unit}), mean and min–max"))
            .axis_desc_style(("sans-serif", 16))
            .label_style(("sans-serif", 14))
            .x_label_formatter(&|x| tick(*x))
            .y_label_formatter(&|y| tick(*y))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(e)?;
        let band = RGBColor(200, 200, 200);
        chart
            .draw_series(std::iter::once(Polygon::new(
                vec![(0.0, 0.0), (top / 1.05, top), (top, top), (top, top * 0.95)],
                band.mix(0.4).filled(),
            )))
            .map_err(e)?
            .label("±5 %")
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], band.filled()));
        chart
            .draw_series(LineSeries::new(
                vec![(0.0, 0.0), (top, top)],
                BLACK.stroke_width(1),
            ))
            .map_err(e)?
            .label("predicted = observed")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BLACK));
        let grey = RGBColor(120, 120, 120);
        for p in &self.pts {
            if p.3 > p.2 {
                chart
                    .draw_series(std::iter::once(ErrorBar::new_vertical(
                        p.0 / div,
                        p.2 / div,
                        p.1 / div,
                        p.3 / div,
                        grey.stroke_width(1),
                        6,
                    )))
                    .map_err(e)?;
            }
        }
        let blue = PALETTE[0];
        chart
            .draw_series(
                self.pts
                    .iter()
                    .map(|p| Circle::new((p.0 / div, p.1 / div), 4, blue.filled())),
            )
            .map_err(e)?
            .label("workflow")
            .legend(move |(x, y)| Circle::new((x + 8, y), 4, blue.filled()));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.9))
            .border_style(RGBColor(200, 200, 200))
            .label_font(("sans-serif", 14))
            .draw()
            .map_err(e)?;
        Ok(())
    }
}
