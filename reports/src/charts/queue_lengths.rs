//! Queued and running operations per queue over time, in two panels sharing the time axis.
//!
//! Together they tell whether a queue waited because it was blocked (queued high while its
//! running count sat at its concurrency) or because the cluster was full (everyone queued).
//! Drawn as steps: counts hold between samples.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::data::RunData;
use crate::style::{legend, line_swatch, message_card, plane, Axis, Chart, DrawResult, FONT};

const MAX_SAMPLES: usize = 1500;

pub(crate) struct QueueLengths {
    times: Vec<f64>,
    /// `(queue, colour index, queued per sample, running per sample)`.
    queues: Vec<(String, usize, Vec<f64>, Vec<f64>)>,
    horizon: f64,
}

impl QueueLengths {
    pub fn build(run: &RunData) -> QueueLengths {
        let ts = &run.timeseries;
        let tc = ts.col("time");
        let rows: Vec<usize> = (0..ts.rows.len()).filter(|&r| ts.num(r, tc).is_some()).collect();
        let rows = crate::style::thin(&rows, MAX_SAMPLES);
        let times = rows.iter().filter_map(|&r| ts.num(r, tc)).collect();
        let col = |name: String| -> Option<Vec<f64>> {
            let c = ts.col(&name)?;
            Some(rows.iter().map(|&r| ts.num(r, Some(c)).unwrap_or(0.0)).collect())
        };
        let mut queues = Vec::new();
        for (qi, q) in run.queues.iter().enumerate() {
            let queued = col(format!("queued:{}", q.name));
            let running = col(format!("running:{}", q.name));
            if queued.is_none() && running.is_none() {
                continue;
            }
            let queued = queued.unwrap_or_else(|| vec![0.0; rows.len()]);
            let running = running.unwrap_or_else(|| vec![0.0; rows.len()]);
            queues.push((q.name.clone(), qi, queued, running));
        }
        QueueLengths { times, queues, horizon: run.horizon }
    }
}

/// `(t_i, v_i)` as a staircase: each value holds until the next sample.
fn steps(times: &[f64], v: &[f64]) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(times.len() * 2);
    for (i, (&t, &y)) in times.iter().zip(v).enumerate() {
        if i > 0 {
            out.push((t, v[i - 1]));
        }
        out.push((t, y));
    }
    out
}

impl Chart for QueueLengths {
    fn name(&self) -> String {
        "queue_lengths".into()
    }
    fn title(&self) -> String {
        "Queued and running operations per queue".into()
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        if self.times.is_empty() || self.queues.is_empty() {
            return message_card(root, &self.title(), "no data");
        }
        let root = root.titled(&self.title(), (FONT, 26))?;
        let panels = root.split_evenly((2, 1));
        let x = Axis::duration(0.0, self.horizon.max(*self.times.last().unwrap_or(&0.0)), "time since start");
        for (p, area) in panels.iter().enumerate() {
            let pick = |q: &(String, usize, Vec<f64>, Vec<f64>)| -> Vec<f64> {
                if p == 0 {
                    q.2.clone()
                } else {
                    q.3.clone()
                }
            };
            let top = self.queues.iter().flat_map(pick).fold(0.0f64, f64::max);
            let (title, what) = if p == 0 {
                ("Queued (admitted, waiting to start)", "operations queued")
            } else {
                ("Running", "operations running")
            };
            let y = Axis::count((top * 1.1).max(1.0), &format!("{what} (count)"));
            let mut chart = plane(area, title, &x, &y)?;
            for q in &self.queues {
                let c = crate::style::color(q.1);
                chart
                    .draw_series(LineSeries::new(steps(&self.times, &pick(q)), c.stroke_width(2)))?
                    .label(q.0.clone())
                    .legend(line_swatch(c));
            }
            legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        }
        Ok(())
    }
}
