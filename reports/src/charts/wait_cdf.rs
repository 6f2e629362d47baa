//! Wait-time CDFs, one line per queue or per priority level.
//!
//! A CDF shows the whole distribution — the share that started at once, the body, the tail —
//! where a mean hides the tail and a percentile table hides the shape. Waits are those of
//! every operation that started (`wait` in `ops.csv`, else `start - submit`).

use std::collections::BTreeMap;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::data::RunData;
use crate::style::{legend, line_swatch, message_card, plane, Axis, Chart, DrawResult};

/// Distinct wait values drawn per line at most.
const MAX_STEPS: usize = 1500;

pub(crate) struct WaitCdf {
    name: String,
    title: String,
    /// `(label, colour index, sorted waits)`.
    groups: Vec<(String, usize, Vec<f64>)>,
}

/// The label of a priority level (`None` = the default, highest level).
pub(crate) fn priority_label(p: Option<f64>) -> String {
    match p {
        None => "default (highest)".into(),
        Some(p) if p.fract() == 0.0 => format!("priority {p:.0}"),
        Some(p) => format!("priority {p}"),
    }
}

impl WaitCdf {
    /// One line per queue, in `queues.csv` order.
    pub fn per_queue(run: &RunData) -> WaitCdf {
        let groups = run
            .queues
            .iter()
            .enumerate()
            .map(|(qi, q)| {
                let v = run.ops.iter().filter(|o| o.queue == q.name).filter_map(|o| o.wait).collect();
                (q.name.clone(), qi, v)
            })
            .collect();
        WaitCdf::new("wait_cdf_queue", "Wait time CDF per queue", groups)
    }

    /// One line per priority level of the operations' queues, highest first.
    pub fn per_priority(run: &RunData) -> WaitCdf {
        // Key: levels sort highest first; the default level is above every number.
        let mut levels: BTreeMap<(u8, i64), (Option<f64>, Vec<f64>)> = BTreeMap::new();
        for o in &run.ops {
            let Some(w) = o.wait else { continue };
            let p = run.queues.iter().find(|q| q.name == o.queue).and_then(|q| q.priority);
            let key = match p {
                None => (0, 0),
                Some(p) => (1, -(p * 1000.0).round() as i64),
            };
            levels.entry(key).or_insert((p, Vec::new())).1.push(w);
        }
        let groups = levels.into_values().enumerate().map(|(i, (p, v))| (priority_label(p), i, v)).collect();
        WaitCdf::new("wait_cdf_priority", "Wait time CDF per priority level", groups)
    }

    fn new(name: &str, title: &str, groups: Vec<(String, usize, Vec<f64>)>) -> WaitCdf {
        let groups = groups
            .into_iter()
            .filter(|g| !g.2.is_empty())
            .map(|(l, c, mut v)| {
                v.retain(|x| x.is_finite());
                v.sort_by(f64::total_cmp);
                (l, c, v)
            })
            .collect();
        WaitCdf { name: name.into(), title: title.into(), groups }
    }
}

/// The empirical CDF of sorted `v` as a staircase ending at `x_end`.
fn staircase(v: &[f64], x_end: f64) -> Vec<(f64, f64)> {
    let n = v.len() as f64;
    let mut distinct: Vec<(f64, f64)> = Vec::new();
    for (i, &x) in v.iter().enumerate() {
        let f = (i + 1) as f64 / n;
        match distinct.last_mut() {
            Some(last) if last.0 == x => last.1 = f,
            _ => distinct.push((x, f)),
        }
    }
    let distinct = crate::style::thin(&distinct, MAX_STEPS);
    let mut out = Vec::with_capacity(distinct.len() * 2 + 2);
    let mut prev = 0.0;
    for (x, f) in distinct {
        out.push((x, prev));
        out.push((x, f));
        prev = f;
    }
    out.push((x_end, prev));
    out
}

impl Chart for WaitCdf {
    fn name(&self) -> String {
        self.name.clone()
    }
    fn title(&self) -> String {
        self.title.clone()
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        if self.groups.is_empty() {
            return message_card(root, &self.title, "no data (no operation started)");
        }
        let max = self.groups.iter().filter_map(|g| g.2.last()).fold(0.0f64, |a, b| a.max(*b));
        let x = Axis::duration(0.0, max * 1.02, "wait from submission to start");
        let y = Axis::percent(1.0, "operations started within this wait (%)");
        let mut chart = plane(root, &self.title, &x, &y)?;
        for (label, ci, v) in &self.groups {
            let c = crate::style::color(*ci);
            chart
                .draw_series(LineSeries::new(staircase(v, x.hi), c.stroke_width(2)))?
                .label(format!("{label} (n={})", v.len()))
                .legend(line_swatch(c));
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        Ok(())
    }
}
