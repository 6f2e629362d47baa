//! Cumulative cost per queue and per project over time.
//!
//! Cumulative curves show both the total (where a line ends) and the spending rate (its
//! slope), so a burst of expensive work stands out. Each operation's `cost` accrues linearly
//! from its start to its end; one still running accrues up to the end of the run; one with a
//! cost but no start (or a zero-length one) counts at once.

use std::collections::BTreeMap;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::data::RunData;
use crate::style::{legend, line_swatch, message_card, plane, Axis, Chart, DrawResult};

/// `(label, colour index, (time, cumulative cost) points)`.
type Curve = (String, usize, Vec<(f64, f64)>);

/// Points per curve.
const GRID: usize = 400;
/// Groups drawn at most: the most expensive; the rest are summed into "other".
const MAX_GROUPS: usize = 15;

pub(crate) struct CumulativeCost {
    by: &'static str,
    /// `(label, colour index, (time, cumulative cost) points)`.
    groups: Vec<Curve>,
    horizon: f64,
}

/// A rate change (`rate`) or a one-off amount (`jump`) at time `t`.
struct Event {
    t: f64,
    rate: f64,
    jump: f64,
}

/// The cumulative cost of `events` at each time of `grid` (ascending).
fn accumulate(mut events: Vec<Event>, grid: &[f64]) -> Vec<(f64, f64)> {
    events.sort_by(|a, b| a.t.total_cmp(&b.t));
    let (mut now, mut cum, mut rate) = (0.0f64, 0.0f64, 0.0f64);
    let mut ev = events.into_iter().peekable();
    let mut out = Vec::with_capacity(grid.len());
    for &t in grid {
        while let Some(e) = ev.next_if(|e| e.t <= t) {
            cum += rate * (e.t - now).max(0.0);
            now = now.max(e.t);
            rate += e.rate;
            cum += e.jump;
        }
        cum += rate * (t - now).max(0.0);
        now = now.max(t);
        out.push((t, cum));
    }
    out
}

impl CumulativeCost {
    pub fn per_queue(run: &RunData) -> CumulativeCost {
        let order: Vec<String> = run.queue_names();
        Self::build(run, "queue", |o| o.queue.clone(), Some(order))
    }

    pub fn per_project(run: &RunData) -> CumulativeCost {
        Self::build(
            run,
            "project",
            |o| {
                if o.project.is_empty() {
                    "(none)".to_string()
                } else {
                    o.project.clone()
                }
            },
            None,
        )
    }

    fn build(
        run: &RunData,
        by: &'static str,
        key: impl Fn(&crate::data::Op) -> String,
        colour_order: Option<Vec<String>>,
    ) -> CumulativeCost {
        let horizon = run.horizon;
        let mut events: BTreeMap<String, (f64, Vec<Event>)> = BTreeMap::new();
        for o in &run.ops {
            let Some(c) = o.cost.filter(|c| *c > 0.0) else {
                continue;
            };
            let entry = events.entry(key(o)).or_default();
            entry.0 += c;
            let end = o.end.unwrap_or(horizon);
            match o.start {
                Some(s) if end > s => {
                    let r = c / (end - s);
                    entry.1.push(Event { t: s, rate: r, jump: 0.0 });
                    entry.1.push(Event { t: end, rate: -r, jump: 0.0 });
                }
                s => entry.1.push(Event { t: s.unwrap_or(end), rate: 0.0, jump: c }),
            }
        }
        let mut ranked: Vec<(String, f64, Vec<Event>)> =
            events.into_iter().map(|(k, (t, e))| (k, t, e)).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        if ranked.len() > MAX_GROUPS {
            let rest: Vec<_> = ranked.drain(MAX_GROUPS - 1..).collect();
            let mut other = ("other".to_string(), 0.0, Vec::new());
            for (_, t, e) in rest {
                other.1 += t;
                other.2.extend(e);
            }
            ranked.push(other);
        }
        let grid: Vec<f64> = (0..=GRID).map(|i| horizon * i as f64 / GRID as f64).collect();
        let groups = ranked
            .into_iter()
            .enumerate()
            .map(|(i, (k, _, e))| {
                let ci = colour_order.as_ref().and_then(|o| o.iter().position(|q| *q == k)).unwrap_or(i);
                (k, ci, accumulate(e, &grid))
            })
            .collect();
        CumulativeCost { by, groups, horizon }
    }
}

impl Chart for CumulativeCost {
    fn name(&self) -> String {
        format!("cost_{}", self.by)
    }
    fn title(&self) -> String {
        format!("Cumulative cost per {}", self.by)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let top = self.groups.iter().filter_map(|g| g.2.last()).fold(0.0f64, |a, b| a.max(b.1));
        if self.groups.is_empty() || top.is_nan() || top <= 0.0 {
            return message_card(root, &self.title(), "no data (nothing was charged)");
        }
        let x = Axis::duration(0.0, self.horizon, "time since start");
        let y = Axis::linear(0.0, top * 1.05, "cumulative cost (currency units)");
        let mut chart = plane(root, &self.title(), &x, &y)?;
        for (label, ci, pts) in &self.groups {
            let c = crate::style::color(*ci);
            let total = pts.last().map(|p| p.1).unwrap_or(0.0);
            chart
                .draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))?
                .label(format!("{label} ({})", crate::charts::bars::significant(total)))
                .legend(line_swatch(c));
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_accrues_linearly() {
        let ev = vec![
            Event { t: 10.0, rate: 1.0, jump: 0.0 },
            Event { t: 20.0, rate: -1.0, jump: 0.0 },
            Event { t: 15.0, rate: 0.0, jump: 5.0 },
        ];
        let out = accumulate(ev, &[0.0, 10.0, 15.0, 20.0, 30.0]);
        let v: Vec<f64> = out.iter().map(|p| p.1).collect();
        assert_eq!(v, vec![0.0, 0.0, 10.0, 15.0, 15.0]);
    }
}
