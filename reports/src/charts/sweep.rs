//! One metric over a parameter sweep: the mean per point as a line with markers, its 95%
//! confidence interval as a shaded band, one line per combination of the other varied keys,
//! and the sweep's target as a dashed line.
//!
//! The band matters: with few replicas two points can differ by less than their noise, and a
//! capacity decision ("8 GPUs meet p95 wait ≤ 1 h") should be read where the whole band, not
//! just the mean, is on the right side of the target.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::bars::significant;
use crate::style::{legend, message_card, plane, Axis, Chart, DrawResult, FONT};

/// What the sweep is looking for: `metric op value`.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub metric: String,
    pub op: String,
    pub value: f64,
}

/// One point of a series: `x`, mean, 95% CI low and high.
pub(crate) type SweepPoint = (f64, f64, Option<f64>, Option<f64>);

pub(crate) struct SweepChart {
    pub metric: String,
    pub x_key: String,
    /// `None`: numeric x; `Some(names)`: categories at 0, 1, ...
    pub categories: Option<Vec<String>>,
    /// `(label, colour index, points sorted by x)`.
    pub series: Vec<(String, usize, Vec<SweepPoint>)>,
    pub target: Option<Target>,
}

/// How a metric's values read: durations, fractions, or plain numbers with a unit.
pub(crate) enum Kind {
    Duration,
    Fraction,
    Plain(&'static str),
}

/// The kind of a sweep metric, from its name (`wait_p95`, `util_gpu`, `cost`...).
pub(crate) fn metric_kind(m: &str) -> Kind {
    if m.starts_with("wait") || m.starts_with("jct") || m == "makespan" || m.contains("wasted") {
        Kind::Duration
    } else if m.starts_with("util") || m.starts_with("fairness") || m.starts_with("jain") {
        Kind::Fraction
    } else if m.starts_with("cost") {
        Kind::Plain("currency units")
    } else if m.contains("slowdown") {
        Kind::Plain("ratio")
    } else if ["preempt", "rejected", "succeeded", "unfinished", "failed"].iter().any(|p| m.starts_with(p))
        || m.contains("count")
    {
        Kind::Plain("count")
    } else {
        Kind::Plain("value")
    }
}

/// A metric value written for people.
pub(crate) fn metric_value(m: &str, v: f64) -> String {
    match metric_kind(m) {
        Kind::Duration => crate::style::duration_text(v),
        Kind::Fraction if m.starts_with("util") => format!("{:.1}%", v * 100.0),
        Kind::Plain("count") if v.fract() == 0.0 => format!("{v:.0}"),
        _ => significant(v),
    }
}

impl SweepChart {
    fn value_axis(&self) -> Axis {
        let vals = self
            .series
            .iter()
            .flat_map(|s| s.2.iter())
            .flat_map(|p| [Some(p.1), p.2, p.3])
            .flatten()
            .chain(self.target.iter().map(|t| t.value))
            .filter(|v| v.is_finite());
        let (mut lo, mut hi) = (0.0f64, 0.0f64);
        for v in vals {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        let span = (hi - lo).max(f64::EPSILON);
        let hi = hi + span * 0.06;
        let lo = if lo < 0.0 { lo - span * 0.06 } else { 0.0 };
        let m = &self.metric;
        match metric_kind(m) {
            Kind::Duration => Axis::duration(lo, hi, m),
            Kind::Fraction if m.starts_with("util") => {
                Axis::percent(hi.min(1.0), &format!("{m} (% of capacity)"))
            }
            Kind::Fraction => Axis::linear(lo, hi, &format!("{m} (0..1)")),
            Kind::Plain(unit) => Axis::linear(lo, hi, &format!("{m} ({unit})")),
        }
    }

    fn x_axis(&self) -> Axis {
        match &self.categories {
            Some(names) => Axis::categories(names.clone(), &self.x_key),
            None => {
                let mut xs: Vec<f64> = self.series.iter().flat_map(|s| s.2.iter().map(|p| p.0)).collect();
                xs.sort_by(f64::total_cmp);
                xs.dedup();
                let (lo, hi) = (xs[0], xs[xs.len() - 1]);
                let pad = if hi > lo { (hi - lo) * 0.04 } else { 0.5 };
                let mut a = Axis::linear(lo - pad, hi + pad, &self.x_key);
                // Ticks on the swept values themselves when there are few of them.
                if xs.len() <= 15 {
                    let step = xs.windows(2).map(|w| w[1] - w[0]).fold(f64::MAX, f64::min);
                    let d = if xs.iter().all(|x| x.fract() == 0.0) {
                        0
                    } else if step.is_finite() && step < 1.0 {
                        ((-step.log10()).ceil() as usize).min(6)
                    } else {
                        2
                    };
                    a.ticks = xs;
                    a.fmt = crate::style::Fmt::Number(d);
                }
                a
            }
        }
    }
}

impl Chart for SweepChart {
    fn name(&self) -> String {
        format!("sweep_{}", super::slug(&self.metric))
    }
    fn title(&self) -> String {
        format!("{} by {}", self.metric, self.x_key)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        if self.series.iter().all(|s| s.2.is_empty()) {
            return message_card(root, &self.title(), "no data");
        }
        let x = self.x_axis();
        let y = self.value_axis();
        let mut chart = plane(root, &self.title(), &x, &y)?;
        for (_, ci, pts) in &self.series {
            let band: Vec<(f64, f64, f64)> = pts.iter().filter_map(|p| Some((p.0, p.2?, p.3?))).collect();
            if band.len() >= 2 {
                let mut poly: Vec<(f64, f64)> = band.iter().map(|b| (b.0, b.2)).collect();
                poly.extend(band.iter().rev().map(|b| (b.0, b.1)));
                let c = crate::style::color(*ci);
                chart.draw_series(std::iter::once(Polygon::new(poly, c.mix(0.18).filled())))?;
            } else if let Some(b) = band.first() {
                // A single point: its interval as an error bar.
                let c = crate::style::color(*ci);
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(b.0, b.1), (b.0, b.2)],
                    c.mix(0.6).stroke_width(6),
                )))?;
            }
        }
        for (label, ci, pts) in &self.series {
            let c = crate::style::color(*ci);
            let line: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, p.1)).collect();
            chart
                .draw_series(LineSeries::new(line, c.stroke_width(2)).point_size(4))?
                .label(label.clone())
                .legend(move |(x, y)| {
                    EmptyElement::at((x, y))
                        + PathElement::new(vec![(-2, 0), (16, 0)], c.stroke_width(2))
                        + Circle::new((7, 0), 4, c.filled())
                });
        }
        if let Some(t) = self.target.as_ref().filter(|t| t.metric == self.metric) {
            let red = RGBColor(200, 30, 30);
            let text = format!("target: {} {} {}", t.metric, t.op, metric_value(&t.metric, t.value));
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(x.lo, t.value), (x.hi, t.value)],
                    12,
                    7,
                    red.stroke_width(2),
                ))?
                .label(text.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x - 2, y), (x + 16, y)], red.stroke_width(2)));
            chart.draw_series(std::iter::once(Text::new(
                text,
                (x.hi, t.value),
                (FONT, 15).into_font().color(&red).pos(Pos::new(HPos::Right, VPos::Bottom)),
            )))?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        Ok(())
    }
}
