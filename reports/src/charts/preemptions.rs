//! Preemptions and wasted work per queue, from the outcomes in `attempts.csv`.
//!
//! Preemption trades one queue's progress for another's latency; this chart shows who paid:
//! how many attempts each queue lost to preemption, and how much run time was thrown away
//! (attempts that ended preempted, failed, timed out or on a failed node, up to their end, or
//! to the end of the run if still running).

use std::collections::HashMap;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::bars::{Bars, Measure};
use crate::data::RunData;
use crate::style::{message_card, Chart, DrawResult, FONT};

/// Outcomes whose run time is lost, as the simulator counts wasted work.
pub(crate) const WASTED: [&str; 4] = ["preempted", "failed", "timeout", "node_failure"];

/// Queues shown at most (those with the most wasted work).
const MAX_QUEUES: usize = 30;

pub(crate) struct Preemptions {
    count: Bars,
    wasted: Bars,
    any_preemption: bool,
    any_waste: bool,
}

impl Preemptions {
    pub fn build(run: &RunData) -> Preemptions {
        let queue_of: HashMap<&str, &str> =
            run.ops.iter().map(|o| (o.id.as_str(), o.queue.as_str())).collect();
        let qindex: HashMap<&str, usize> =
            run.queues.iter().enumerate().map(|(i, q)| (q.name.as_str(), i)).collect();
        // Per queue index (or one past the end for attempts of unknown operations).
        let unknown = run.queues.len();
        let mut preempted = vec![0f64; unknown + 1];
        let mut wasted = vec![[0f64; 4]; unknown + 1];
        let mut any_attempt = vec![false; unknown + 1];
        for a in &run.attempts {
            let qi = queue_of.get(a.id.as_str()).and_then(|q| qindex.get(q)).copied().unwrap_or(unknown);
            any_attempt[qi] = true;
            if a.outcome == "preempted" {
                preempted[qi] += 1.0;
            }
            if let Some(k) = WASTED.iter().position(|w| *w == a.outcome) {
                if let Some(s) = a.start {
                    wasted[qi][k] += (a.end.unwrap_or(run.horizon) - s).max(0.0);
                }
            }
        }
        let mut shown: Vec<usize> = (0..=unknown).filter(|&i| any_attempt[i]).collect();
        shown.sort_by(|&a, &b| {
            let (wa, wb): (f64, f64) = (wasted[a].iter().sum(), wasted[b].iter().sum());
            wb.total_cmp(&wa).then(preempted[b].total_cmp(&preempted[a])).then(a.cmp(&b))
        });
        shown.truncate(MAX_QUEUES);
        shown.sort_unstable();
        let names: Vec<String> = shown
            .iter()
            .map(|&i| run.queues.get(i).map(|q| q.name.clone()).unwrap_or_else(|| "(unknown)".into()))
            .collect();
        let any_preemption = preempted.iter().any(|p| *p > 0.0);
        let any_waste = wasted.iter().flatten().any(|w| *w > 0.0);
        let count = Bars {
            name: String::new(),
            title: "Preempted attempts".into(),
            categories: names.clone(),
            x_desc: "queue".into(),
            series: vec![(
                "preempted attempts".into(),
                0,
                shown.iter().map(|&i| Some(preempted[i])).collect(),
            )],
            measure: Measure::Count("attempts preempted (count)".into()),
            stacked: false,
            empty_message: "no preemptions".into(),
        };
        // Outcome colours: fixed, so "preempted" is the same colour in every report.
        let wasted_bars = Bars {
            name: String::new(),
            title: "Wasted work (attempt run time lost)".into(),
            categories: names,
            x_desc: "queue".into(),
            series: WASTED
                .iter()
                .enumerate()
                .map(|(k, w)| {
                    (
                        w.replace('_', " "),
                        [2usize, 1, 6, 8][k],
                        shown.iter().map(|&i| Some(wasted[i][k])).collect(),
                    )
                })
                .collect(),
            measure: Measure::Duration("run time lost".into()),
            stacked: true,
            empty_message: "no wasted work".into(),
        };
        Preemptions { count, wasted: wasted_bars, any_preemption, any_waste }
    }
}

impl Chart for Preemptions {
    fn name(&self) -> String {
        "preemptions".into()
    }
    fn title(&self) -> String {
        "Preemptions and wasted work per queue".into()
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        if !self.any_preemption && !self.any_waste {
            return message_card(root, &self.title(), "no preemptions (and no wasted work)");
        }
        let root = root.titled(&self.title(), (FONT, 26))?;
        let (left, right) = root.split_horizontally(root.dim_in_pixel().0 / 2);
        self.count.draw_on(&left)?;
        self.wasted.draw_on(&right)?;
        Ok(())
    }
}
