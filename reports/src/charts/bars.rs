//! Grouped and stacked bar charts: policies side by side (comparison), preemptions and wasted
//! work per queue. Bars answer "how much, per category", where a line would suggest an order
//! between categories that is not there.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::style::{legend, message_card, plane, swatch, Axis, Chart, DrawResult, FONT};

/// What the value axis measures.
#[derive(Debug, Clone)]
pub(crate) enum Measure {
    /// Seconds (ticks as durations).
    Duration(String),
    /// Fractions (ticks as percentages).
    Percent(String),
    /// Counts (integer ticks).
    Count(String),
    /// Any other number (the description carries the unit).
    Number(String),
}

/// A bar chart: one group per category, one bar per series (or one stacked bar).
#[derive(Debug, Clone)]
pub(crate) struct Bars {
    pub name: String,
    pub title: String,
    pub categories: Vec<String>,
    pub x_desc: String,
    /// `(label, colour index, value per category)`; `None` is "not measured" (no bar).
    pub series: Vec<(String, usize, Vec<Option<f64>>)>,
    pub measure: Measure,
    pub stacked: bool,
    /// The message drawn when there is nothing to show.
    pub empty_message: String,
}

impl Bars {
    fn has_data(&self) -> bool {
        !self.categories.is_empty()
            && self.series.iter().any(|(_, _, v)| v.iter().flatten().any(|x| x.is_finite() && *x != 0.0))
    }

    /// The value axis; `plot_h` is the height of the area in pixels, used to leave room at
    /// the top for the value labels and the legend, so neither covers a bar.
    fn value_axis(&self, plot_h: u32) -> Axis {
        let top = if self.stacked {
            (0..self.categories.len())
                .map(|i| {
                    self.series
                        .iter()
                        .filter_map(|(_, _, v)| v.get(i).copied().flatten())
                        .filter(|x| x.is_finite() && *x > 0.0)
                        .sum::<f64>()
                })
                .fold(0.0, f64::max)
        } else {
            self.series
                .iter()
                .flat_map(|(_, _, v)| v.iter().flatten())
                .filter(|x| x.is_finite())
                .fold(0.0, |a: f64, b| a.max(*b))
        };
        // Room above the tallest bar for its value label, and for the legend.
        let drawn = self
            .series
            .iter()
            .filter(|(_, _, v)| v.iter().flatten().any(|x| x.is_finite() && *x > 0.0))
            .count();
        let legend_px = if self.series.len() > 1 { 20.0 * drawn as f64 + 30.0 } else { 24.0 };
        let usable = (plot_h as f64 - 150.0).max(100.0);
        let frac = (legend_px / usable).min(0.6);
        let hi = top * 1.04 / (1.0 - frac);
        match &self.measure {
            Measure::Duration(d) => Axis::duration(0.0, hi, d),
            Measure::Percent(d) => Axis::percent(hi, d),
            Measure::Count(d) => Axis::count(hi.max(1.0), d),
            Measure::Number(d) => Axis::linear(0.0, hi, d),
        }
    }

    /// Draws the chart on `area` (a whole root, or one panel of it).
    pub fn draw_on<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        if !self.has_data() {
            return message_card(area, &self.title, &self.empty_message);
        }
        let x = Axis::categories(self.categories.clone(), &self.x_desc);
        let y = self.value_axis(area.dim_in_pixel().1);
        let mut chart = plane(area, &self.title, &x, &y)?;
        let k = self.series.len().max(1);
        let group = 0.8;
        let n_bars = self.categories.len() * if self.stacked { 1 } else { k };
        let (_, area_h) = area.dim_in_pixel();
        let label_values = n_bars <= 30 && area_h >= 300;
        let mut stack = vec![0.0f64; self.categories.len()];
        for (si, (label, ci, values)) in self.series.iter().enumerate() {
            let c = crate::style::color(*ci);
            let mut rects = Vec::new();
            let mut texts = Vec::new();
            for (i, v) in values.iter().enumerate().take(self.categories.len()) {
                let Some(v) = v.filter(|v| v.is_finite() && *v > 0.0) else {
                    continue;
                };
                let (x0, x1, y0) = if self.stacked {
                    (i as f64 - group / 2.0, i as f64 + group / 2.0, stack[i])
                } else {
                    let w = group / k as f64;
                    let x0 = i as f64 - group / 2.0 + w * si as f64;
                    (x0 + w * 0.06, x0 + w * 0.94, 0.0)
                };
                let y1 = y0 + v;
                if self.stacked {
                    stack[i] = y1;
                }
                rects.push(Rectangle::new([(x0, y0), (x1, y1)], c.filled()));
                if label_values && !self.stacked {
                    texts.push(((x0 + x1) / 2.0, y1, value_label(&self.measure, v)));
                }
            }
            if rects.is_empty() {
                // Nothing to show for this series: keep it out of the legend too.
                continue;
            }
            chart.draw_series(rects)?.label(label.clone()).legend(swatch(c));
            let style =
                (FONT, 13).into_font().color(&RGBColor(60, 60, 60)).pos(Pos::new(HPos::Center, VPos::Bottom));
            chart.draw_series(texts.into_iter().map(|(x, yv, s)| Text::new(s, (x, yv), style.clone())))?;
        }
        if self.stacked && label_values {
            let style =
                (FONT, 13).into_font().color(&RGBColor(60, 60, 60)).pos(Pos::new(HPos::Center, VPos::Bottom));
            chart.draw_series(
                stack
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| **t > 0.0)
                    .map(|(i, t)| Text::new(value_label(&self.measure, *t), (i as f64, *t), style.clone())),
            )?;
        }
        if self.series.len() > 1 {
            legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        }
        Ok(())
    }
}

/// A value written above its bar, more precisely than the axis ticks.
pub(crate) fn value_label(m: &Measure, v: f64) -> String {
    match m {
        Measure::Duration(_) => crate::style::duration_text(v),
        Measure::Percent(_) => format!("{:.1}%", v * 100.0),
        Measure::Count(_) => format!("{v:.0}"),
        Measure::Number(_) => significant(v),
    }
}

/// Three significant digits, without exponent for everyday magnitudes.
pub(crate) fn significant(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    let a = v.abs();
    if a >= 1e4 {
        crate::style::number(v, 0)
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 || a == 0.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

impl Chart for Bars {
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
        self.draw_on(root)
    }
}
