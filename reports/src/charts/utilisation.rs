//! Utilisation over time, stacked by queue, one chart per resource with capacity.
//!
//! Stacking shows at a glance both how full the cluster was and who filled it: a gap between
//! the stack and 100% while operations wait means fragmentation, quotas or concurrency limits,
//! not a lack of capacity. Built from `util:<res>:<queue>` columns of `timeseries.csv`; runs
//! written before those columns existed get the total `util:<res>` line alone.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::slug;
use crate::data::RunData;
use crate::style::{legend, line_swatch, message_card, plane, swatch, Axis, Chart, DrawResult};

/// At most this many samples are drawn; longer series are thinned evenly.
const MAX_SAMPLES: usize = 1500;

pub(crate) struct Utilisation {
    resource: String,
    times: Vec<f64>,
    /// `(queue, colour index, fraction of capacity per sample)`, only queues that used it.
    layers: Vec<(String, usize, Vec<f64>)>,
    /// The cluster-wide `util:<res>` column, if present.
    total: Option<Vec<f64>>,
    horizon: f64,
}

impl Utilisation {
    pub fn build(run: &RunData, resource: &str) -> Utilisation {
        let ts = &run.timeseries;
        let tc = ts.col("time");
        let rows: Vec<usize> = (0..ts.rows.len()).filter(|&r| ts.num(r, tc).is_some()).collect();
        let rows = crate::style::thin(&rows, MAX_SAMPLES);
        let times: Vec<f64> = rows.iter().filter_map(|&r| ts.num(r, tc)).collect();
        let mut layers = Vec::new();
        for (qi, q) in run.queues.iter().enumerate() {
            let Some(c) = ts.col(&format!("util:{resource}:{}", q.name)) else {
                continue;
            };
            let v: Vec<f64> = rows.iter().map(|&r| ts.num(r, Some(c)).unwrap_or(0.0).max(0.0)).collect();
            if v.iter().any(|x| *x > 0.0) {
                layers.push((q.name.clone(), qi, v));
            }
        }
        let total = ts
            .col(&format!("util:{resource}"))
            .map(|c| rows.iter().map(|&r| ts.num(r, Some(c)).unwrap_or(0.0).max(0.0)).collect());
        Utilisation { resource: resource.to_string(), times, layers, total, horizon: run.horizon }
    }
}

impl Chart for Utilisation {
    fn name(&self) -> String {
        format!("utilisation_{}", slug(&self.resource))
    }
    fn title(&self) -> String {
        format!("{} utilisation over time, by queue", self.resource)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let has_total = self.total.as_ref().is_some_and(|t| t.iter().any(|v| *v > 0.0));
        if self.times.is_empty() || (self.layers.is_empty() && !has_total) {
            let msg = if self.times.is_empty() { "no data" } else { "no data (nothing used this resource)" };
            return message_card(root, &self.title(), msg);
        }
        let n = self.times.len();
        let mut stack = vec![0.0f64; n];
        let mut polys = Vec::new();
        for (_, ci, v) in &self.layers {
            let lower = stack.clone();
            for (s, x) in stack.iter_mut().zip(v) {
                *s += x;
            }
            let mut pts: Vec<(f64, f64)> = self.times.iter().copied().zip(stack.clone()).collect();
            pts.extend(self.times.iter().copied().zip(lower).rev());
            polys.push((*ci, pts));
        }
        let top = stack.iter().chain(self.total.iter().flatten()).fold(0.0f64, |a, b| a.max(*b));
        let x = Axis::duration(0.0, self.horizon.max(*self.times.last().unwrap_or(&0.0)), "time since start");
        let y = Axis::percent(top * 1.05, &format!("{} in use (% of cluster capacity)", self.resource));
        let mut chart = plane(root, &self.title(), &x, &y)?;
        for ((name, _, _), (ci, pts)) in self.layers.iter().zip(polys) {
            let c = crate::style::color(ci);
            chart
                .draw_series(std::iter::once(Polygon::new(pts, c.mix(0.85).filled())))?
                .label(name.clone())
                .legend(swatch(c));
        }
        if let Some(total) = &self.total {
            let pts: Vec<(f64, f64)> = self.times.iter().copied().zip(total.clone()).collect();
            if self.layers.is_empty() {
                // No per-queue columns: the total as a filled area.
                let c = crate::style::color(0);
                let mut poly = pts.clone();
                poly.push((*self.times.last().unwrap_or(&0.0), 0.0));
                poly.push((self.times[0], 0.0));
                chart.draw_series(std::iter::once(Polygon::new(poly, c.mix(0.5).filled())))?;
                chart
                    .draw_series(LineSeries::new(pts, c.stroke_width(2)))?
                    .label("all queues (no per-queue data in this run)")
                    .legend(line_swatch(c));
            } else {
                let c = RGBColor(40, 40, 40);
                chart
                    .draw_series(LineSeries::new(pts, c.stroke_width(1)))?
                    .label("total")
                    .legend(line_swatch(c));
            }
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        Ok(())
    }
}
