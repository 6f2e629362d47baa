//! A Gantt chart of nodes: one row per node, one bar per attempt, coloured by queue.
//!
//! It makes placement visible — packing, idle nodes, preemption victims, a queue pinned to a
//! pool — which no aggregate shows. Only drawn for small runs (see [`Gantt::fits`]); beyond
//! that the bars would be sub-pixel and the SVG huge. A node running several attempts at once
//! splits its row into lanes so that no bar hides another. Attempts that lost their work have
//! a dark red outline.

use std::collections::HashMap;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::preemptions::WASTED;
use crate::data::RunData;
use crate::style::{message_card, plane_with, Axis, Chart, DrawResult, FONT, HEIGHT, WIDTH};

pub(crate) const MAX_NODES: usize = 64;
pub(crate) const MAX_ATTEMPTS: usize = 5000;
const ROW: u32 = 24;
const LEGEND_WIDTH: u32 = 230;

pub(crate) struct Gantt {
    nodes: Vec<String>,
    /// `(node row, start, end, queue colour index, lost, lane)`.
    bars: Vec<(usize, f64, f64, usize, bool, usize)>,
    /// Lanes per node row (its greatest number of overlapping attempts, at least 1).
    lanes: Vec<usize>,
    /// `(queue, colour index)` of queues with at least one bar.
    legend: Vec<(String, usize)>,
    horizon: f64,
}

impl Gantt {
    /// Whether the run is small enough to draw: `(fits, nodes, attempts)`.
    pub fn fits(run: &RunData) -> (bool, usize, usize) {
        let n = Self::node_rows(run).len();
        let a = run.attempts.len();
        (n <= MAX_NODES && a <= MAX_ATTEMPTS, n, a)
    }

    /// Nodes of `nodes.csv`, then nodes only named by attempts.
    fn node_rows(run: &RunData) -> Vec<String> {
        let mut nodes = run.nodes.clone();
        let mut seen: std::collections::HashSet<String> = nodes.iter().cloned().collect();
        for a in &run.attempts {
            for n in a.node.split('+').filter(|n| !n.is_empty()) {
                if seen.insert(n.to_string()) {
                    nodes.push(n.to_string());
                }
            }
        }
        nodes
    }

    pub fn build(run: &RunData) -> Gantt {
        let nodes = Self::node_rows(run);
        let row: HashMap<&str, usize> = nodes.iter().enumerate().map(|(i, n)| (n.as_str(), i)).collect();
        let qindex: HashMap<&str, usize> =
            run.queues.iter().enumerate().map(|(i, q)| (q.name.as_str(), i)).collect();
        let queue_of: HashMap<&str, usize> =
            run.ops.iter().filter_map(|o| Some((o.id.as_str(), *qindex.get(o.queue.as_str())?))).collect();
        let mut used = vec![false; run.queues.len()];
        let mut bars = Vec::new();
        for a in &run.attempts {
            // A gang's attempt (`n1+n2`) draws one bar on each of its nodes.
            for n in a.node.split('+') {
                let (Some(&r), Some(s)) = (row.get(n), a.start) else {
                    continue;
                };
                let qi = queue_of.get(a.id.as_str()).copied().unwrap_or(usize::MAX);
                if let Some(u) = used.get_mut(qi) {
                    *u = true;
                }
                let end = a.end.unwrap_or(run.horizon).max(s);
                bars.push((r, s, end, qi, WASTED.contains(&a.outcome.as_str()), 0));
            }
        }
        // Interval partitioning per node: each bar takes the first lane free at its start.
        bars.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let mut lanes = vec![1usize; nodes.len()];
        let mut lane_end: Vec<f64> = Vec::new();
        let mut current = usize::MAX;
        for b in &mut bars {
            if b.0 != current {
                current = b.0;
                lane_end.clear();
            }
            let lane = match lane_end.iter().position(|e| *e <= b.1) {
                Some(l) => l,
                None => {
                    lane_end.push(f64::NEG_INFINITY);
                    lane_end.len() - 1
                }
            };
            lane_end[lane] = b.2;
            b.5 = lane;
            lanes[b.0] = lanes[b.0].max(lane + 1);
        }
        let legend = run
            .queues
            .iter()
            .enumerate()
            .filter(|(i, _)| used[*i])
            .map(|(i, q)| (q.name.clone(), i))
            .collect();
        Gantt { nodes, bars, lanes, legend, horizon: run.horizon }
    }
}

impl Chart for Gantt {
    fn name(&self) -> String {
        "gantt".into()
    }
    fn title(&self) -> String {
        "Attempts on nodes over time (Gantt)".into()
    }
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT.max(170 + ROW * self.nodes.len() as u32))
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        if self.nodes.is_empty() {
            return message_card(root, &self.title(), "no data (no nodes)");
        }
        let (w, _) = root.dim_in_pixel();
        let (plot, side) = root.split_horizontally(w - LEGEND_WIDTH);
        let n = self.nodes.len();
        // Row 0 at the top: plotters' y grows upwards.
        let names: Vec<String> = self.nodes.iter().rev().cloned().collect();
        let y = Axis::categories(names, "node");
        let x = Axis::duration(0.0, self.horizon, "time since start");
        let longest = self.nodes.iter().map(|s| s.chars().count()).max().unwrap_or(4);
        let label_width = (longest as u32 * 9 + 40).clamp(96, 360);
        let mut chart = plane_with(&plot, &self.title(), &x, &y, label_width)?;
        let lost = RGBColor(140, 20, 20);
        let grey = RGBColor(150, 150, 150);
        // The bar's vertical extent: its lane's slice of the row, top lane first.
        let span = |r: usize, lane: usize| {
            let k = self.lanes[r] as f64;
            let h = 0.84 / k;
            let top = (n - 1 - r) as f64 + 0.42 - h * lane as f64;
            (top - h * 0.9, top)
        };
        chart.draw_series(self.bars.iter().map(|&(r, s, e, qi, _, lane)| {
            let (y0, y1) = span(r, lane);
            let c = if qi == usize::MAX { grey } else { crate::style::color(qi) };
            Rectangle::new([(s, y0), (e, y1)], c.filled())
        }))?;
        chart.draw_series(self.bars.iter().filter(|b| b.4).map(|&(r, s, e, _, _, lane)| {
            let (y0, y1) = span(r, lane);
            Rectangle::new([(s, y0), (e, y1)], lost.stroke_width(2))
        }))?;
        // The legend beside the plot, so it never hides bars.
        let mut entries: Vec<(String, ShapeStyle)> =
            self.legend.iter().map(|(q, i)| (q.clone(), crate::style::color(*i).filled())).collect();
        if self.bars.iter().any(|b| b.3 == usize::MAX) {
            entries.push(("(unknown queue)".into(), grey.filled()));
        }
        if self.bars.iter().any(|b| b.4) {
            entries.push(("work lost (outline)".into(), lost.stroke_width(2)));
        }
        side.draw(&Text::new(
            "queue",
            (10, 70),
            (FONT, 17).into_font().color(&BLACK).pos(Pos::new(HPos::Left, VPos::Top)),
        ))?;
        for (i, (label, style)) in entries.iter().enumerate() {
            let y0 = 100 + 24 * i as i32;
            side.draw(&Rectangle::new([(10, y0), (28, y0 + 14)], *style))?;
            side.draw(&Text::new(
                label.clone(),
                (36, y0 + 7),
                (FONT, 15).into_font().color(&BLACK).pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
        }
        Ok(())
    }
}
