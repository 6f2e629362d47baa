//! How every chart looks and is written: the shipped font, the palette, axes, the "no data"
//! card, and rendering one drawing to both PNG and SVG.
//!
//! Charts are drawn once per backend from the same code ([`Chart::draw`] is generic over the
//! plotters backend), so the PNG and the SVG of a chart never disagree.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::data::write_file;
use crate::table::human_duration;
use crate::ReportError;

/// Default chart size in pixels (PNG) and user units (SVG).
pub(crate) const WIDTH: u32 = 1200;
pub(crate) const HEIGHT: u32 = 700;

/// The family every text style names; registered to the shipped DejaVu Sans.
pub(crate) const FONT: &str = "sans-serif";

/// DejaVu Sans (Bitstream Vera licence, see `assets/DejaVuSans-LICENSE.txt`). Shipped rather
/// than looked up so a chart is the same pixels on every machine and CI needs no fonts.
static DEJAVU_SANS: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// Registers the shipped font with plotters (once per process).
pub(crate) fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for style in [FontStyle::Normal, FontStyle::Bold, FontStyle::Italic, FontStyle::Oblique] {
            // The bytes are compiled in and known to be a valid TrueType font.
            let _ = plotters::style::register_font(FONT, style, DEJAVU_SANS);
        }
    });
}

pub(crate) type DrawResult = Result<(), Box<dyn Error>>;

/// A plot area whose axes have explicit tick positions (see [`Axis`]).
pub(crate) type Plane = Cartesian2d<Ticked, Ticked>;

/// A linear `f64` coordinate whose ticks are exactly the given values: round durations,
/// the swept values, category positions. (plotters' own `with_key_points` wrapper loses its
/// default label formatting on `f64`, which the mesh needs.)
#[derive(Debug, Clone)]
pub(crate) struct Ticked {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let span = self.hi - self.lo;
        let f = if span > 0.0 { (v - self.lo) / span } else { 0.5 };
        let px = limit.0 as f64 + (limit.1 - limit.0) as f64 * f;
        // Far off-range values (a bar's end past the horizon) are clamped well outside the
        // plot rather than overflowing.
        px.clamp(-1e6, 1e6).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// One chart kind with its data prepared.
pub(crate) trait Chart {
    /// File stem under `charts/`.
    fn name(&self) -> String;
    /// Title drawn on the chart and used as the figure caption in HTML.
    fn title(&self) -> String;
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static;
}

/// A chart written to disk.
#[derive(Debug, Clone)]
pub(crate) struct Rendered {
    pub name: String,
    pub title: String,
    pub png: PathBuf,
    pub svg: PathBuf,
    /// The SVG markup, for inlining into HTML.
    pub svg_text: String,
}

/// Draws `chart` into `dir/<name>.png` and `dir/<name>.svg`.
pub(crate) fn render(chart: &impl Chart, dir: &Path) -> Result<Rendered, ReportError> {
    register_fonts();
    let name = chart.name();
    let title = chart.title();
    let (w, h) = chart.size();
    let fail = |message: String| ReportError::Chart { chart: name.clone(), message };

    let mut rgb = vec![255u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        draw_guarded(chart, &root, &title).map_err(|e| fail(e.to_string()))?;
        root.present().map_err(|e| fail(e.to_string()))?;
    }
    let png_bytes = encode_png(&rgb, w, h).map_err(fail)?;

    let mut svg_text = String::new();
    {
        let root = SVGBackend::with_string(&mut svg_text, (w, h)).into_drawing_area();
        draw_guarded(chart, &root, &title).map_err(|e| fail(e.to_string()))?;
        root.present().map_err(|e| fail(e.to_string()))?;
    }

    let png = write_file(&dir.join(format!("{name}.png")), &png_bytes)?;
    let svg = write_file(&dir.join(format!("{name}.svg")), svg_text.as_bytes())?;
    Ok(Rendered { name, title, png, svg, svg_text })
}

/// Draws the chart on a white background. Input that slipped past the checks and makes
/// plotters panic gives a chart saying so instead of taking the whole report down.
fn draw_guarded<DB: DrawingBackend>(
    chart: &impl Chart,
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| chart.draw(root)));
    match r {
        Ok(r) => r,
        Err(_) => message_card(root, title, "this chart could not be drawn from these inputs"),
    }
}

fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Fast);
        let mut wr = enc.write_header().map_err(|e| e.to_string())?;
        wr.write_image_data(rgb).map_err(|e| e.to_string())?;
        wr.finish().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// A chart with a title and a message in place of a plot ("no data", "no preemptions").
pub(crate) fn message_card<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    message: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let (w, h) = root.dim_in_pixel();
    root.draw(&Text::new(
        title.to_string(),
        (w as i32 / 2, 20),
        (FONT, 28).into_font().color(&BLACK).pos(Pos::new(HPos::Center, VPos::Top)),
    ))?;
    root.draw(&Rectangle::new(
        [(60, 80), (w as i32 - 60, h as i32 - 60)],
        ShapeStyle::from(&RGBColor(200, 200, 200)).stroke_width(2),
    ))?;
    root.draw(&Text::new(
        message.to_string(),
        (w as i32 / 2, h as i32 / 2),
        (FONT, 34).into_font().color(&RGBColor(110, 110, 110)).pos(Pos::new(HPos::Center, VPos::Center)),
    ))?;
    Ok(())
}

/// Categorical colours (Tableau 10, then a second, darker set): distinguishable and
/// colour-blind-friendlier than plotters' defaults. Queue `i` keeps colour `i` in every chart.
pub(crate) fn color(i: usize) -> RGBColor {
    const P: [(u8, u8, u8); 20] = [
        (78, 121, 167),
        (242, 142, 43),
        (225, 87, 89),
        (118, 183, 178),
        (89, 161, 79),
        (237, 201, 72),
        (176, 122, 161),
        (255, 157, 167),
        (156, 117, 95),
        (186, 176, 172),
        (31, 119, 180),
        (174, 199, 232),
        (255, 127, 14),
        (44, 160, 44),
        (214, 39, 40),
        (148, 103, 189),
        (140, 86, 75),
        (227, 119, 194),
        (127, 127, 127),
        (188, 189, 34),
    ];
    let (r, g, b) = P[i % P.len()];
    RGBColor(r, g, b)
}

/// How an axis writes its tick labels.
#[derive(Debug, Clone)]
pub(crate) enum Fmt {
    /// Seconds, written as human durations (`90s`, `12m`, `1h 30m`).
    Duration,
    /// A fraction written as a percentage.
    Percent,
    /// A plain number with this many decimals.
    Number(usize),
    /// Integer positions name categories.
    Categories(Vec<String>),
}

/// One axis: its range, where its ticks go, how they read, and its description with units.
#[derive(Debug, Clone)]
pub(crate) struct Axis {
    pub lo: f64,
    pub hi: f64,
    pub ticks: Vec<f64>,
    pub fmt: Fmt,
    pub desc: String,
}

/// `(lo, hi)` made finite and non-empty, so plotters never sees a degenerate range.
fn sane(lo: f64, hi: f64) -> (f64, f64) {
    let lo = if lo.is_finite() { lo } else { 0.0 };
    let hi = if hi.is_finite() { hi } else { lo + 1.0 };
    if hi > lo {
        (lo, hi)
    } else {
        (lo, lo + 1.0)
    }
}

/// A step of the 1-2-5 family giving at most about `n` intervals over `span`.
fn nice_step(span: f64, n: f64) -> f64 {
    let raw = (span / n).max(f64::MIN_POSITIVE);
    let mag = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * mag >= raw {
            return m * mag;
        }
    }
    10.0 * mag
}

fn ticks_by(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let mut out = Vec::new();
    if step.is_nan() || step <= 0.0 {
        return out;
    }
    let first = (lo / step - 1e-9).ceil();
    let mut k = first;
    while k * step <= hi + step * 1e-9 && out.len() < 200 {
        let v = k * step;
        // Snap floating noise (0.30000000000000004) to the step's grid.
        out.push(if v.abs() < step * 1e-9 { 0.0 } else { v });
        k += 1.0;
    }
    out
}

fn decimals(step: f64) -> usize {
    if step >= 1.0 || step.is_nan() || step <= 0.0 {
        0
    } else {
        ((-step.log10()).ceil() as usize).min(6)
    }
}

impl Axis {
    /// Seconds from `lo` to `hi`; ticks fall on round durations (30 s, 5 min, 1 h, 1 day...),
    /// and `what` is completed with the unit the range calls for.
    pub fn duration(lo: f64, hi: f64, what: &str) -> Axis {
        let (lo, hi) = sane(lo, hi);
        let span = hi - lo;
        let unit = match hi.abs().max(lo.abs()) {
            x if x <= 120.0 => "seconds",
            x if x <= 2.0 * 3600.0 => "minutes",
            x if x <= 2.0 * 86_400.0 => "hours",
            _ => "days",
        };
        const STEPS: [f64; 21] = [
            1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0,
            10_800.0, 21_600.0, 43_200.0, 86_400.0, 172_800.0, 432_000.0, 864_000.0,
        ];
        let step = if span < 10.0 {
            nice_step(span, 8.0)
        } else {
            STEPS
                .iter()
                .copied()
                .find(|s| span / s <= 10.0)
                .unwrap_or_else(|| 86_400.0 * nice_step(span / 86_400.0, 8.0))
        };
        Axis { lo, hi, ticks: ticks_by(lo, hi, step), fmt: Fmt::Duration, desc: format!("{what} ({unit})") }
    }

    /// A plain numeric axis.
    pub fn linear(lo: f64, hi: f64, desc: &str) -> Axis {
        let (lo, hi) = sane(lo, hi);
        let step = nice_step(hi - lo, 8.0);
        Axis {
            lo,
            hi,
            ticks: ticks_by(lo, hi, step),
            fmt: Fmt::Number(decimals(step)),
            desc: desc.to_string(),
        }
    }

    /// A count from 0: integer ticks only.
    pub fn count(hi: f64, desc: &str) -> Axis {
        let (lo, hi) = sane(0.0, hi);
        let step = nice_step(hi - lo, 8.0).max(1.0).round();
        Axis { lo, hi, ticks: ticks_by(lo, hi, step), fmt: Fmt::Number(0), desc: desc.to_string() }
    }

    /// A fraction from 0 to `hi` (at least 100%), ticks written as percentages.
    pub fn percent(hi: f64, desc: &str) -> Axis {
        let (lo, hi) = sane(0.0, hi.max(1.0));
        let step = nice_step(hi - lo, 10.0);
        Axis { lo, hi, ticks: ticks_by(lo, hi, step), fmt: Fmt::Percent, desc: desc.to_string() }
    }

    /// Categories at positions 0, 1, ... n-1.
    pub fn categories(names: Vec<String>, desc: &str) -> Axis {
        let n = names.len().max(1) as f64;
        Axis {
            lo: -0.5,
            hi: n - 0.5,
            ticks: (0..names.len()).map(|i| i as f64).collect(),
            fmt: Fmt::Categories(names),
            desc: desc.to_string(),
        }
    }

    /// The tick label for `v`.
    pub fn label(&self, v: f64) -> String {
        match &self.fmt {
            Fmt::Duration => duration_tick(v),
            Fmt::Percent => {
                let step = self.ticks.windows(2).map(|w| w[1] - w[0]).next();
                let d = step.map(|s| decimals(s * 100.0)).unwrap_or(0);
                format!("{:.*}%", d, v * 100.0)
            }
            Fmt::Number(d) => number(v, *d),
            Fmt::Categories(names) => {
                let i = v.round();
                if (v - i).abs() < 1e-6 && i >= 0.0 {
                    names.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            }
        }
    }

    fn coord(&self) -> Ticked {
        Ticked { lo: self.lo, hi: self.hi, ticks: self.ticks.clone() }
    }
}

/// A number for a tick or a table: thousands as `k`, millions as `M`.
pub(crate) fn number(v: f64, decimals: usize) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{:.1}G", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else {
        format!("{v:.decimals$}")
    }
}

/// A duration for tables and value labels: [`human_duration`], with zero written `0s`.
pub(crate) fn duration_text(s: f64) -> String {
    if s == 0.0 {
        "0s".into()
    } else {
        human_duration(s)
    }
}

/// A duration tick: [`human_duration`] without the zero parts (`1h` rather than `1h 00m`).
pub(crate) fn duration_tick(s: f64) -> String {
    if s.abs() < 1e-9 {
        return "0".into();
    }
    if s < 0.0 {
        return format!("-{}", duration_tick(-s));
    }
    let h = human_duration(s);
    for zero in [" 00m", " 00s", " 00h"] {
        if let Some(x) = h.strip_suffix(zero) {
            return x.to_string();
        }
    }
    match h.strip_suffix(".0s") {
        Some(x) => format!("{x}s"),
        None => h,
    }
}

/// A titled plot area with the given axes, its mesh and axis descriptions drawn.
pub(crate) fn plane<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    title: &str,
    x: &Axis,
    y: &Axis,
) -> Result<ChartContext<'a, DB, Plane>, Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    plane_with(area, title, x, y, 96)
}

/// [`plane`] with a y label area `y_labels` pixels wide (long category names).
pub(crate) fn plane_with<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    title: &str,
    x: &Axis,
    y: &Axis,
    y_labels: u32,
) -> Result<ChartContext<'a, DB, Plane>, Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    let title_size = if area.dim_in_pixel().1 < 500 { 22 } else { 26 };
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FONT, title_size).into_font())
        .margin(16)
        .margin_right(28)
        .x_label_area_size(64)
        .y_label_area_size(y_labels)
        .build_cartesian_2d(x.coord(), y.coord())?;
    chart
        .configure_mesh()
        .x_label_formatter(&|v| x.label(*v))
        .y_label_formatter(&|v| y.label(*v))
        .x_desc(x.desc.clone())
        .y_desc(y.desc.clone())
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 17))
        .bold_line_style(RGBColor(225, 225, 225))
        .light_line_style(TRANSPARENT)
        .axis_style(RGBColor(90, 90, 90))
        .draw()?;
    Ok(chart)
}

/// Draws the legend of a chart whose series were given labels.
pub(crate) fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Plane>,
    pos: SeriesLabelPosition,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .position(pos)
        .background_style(WHITE.mix(0.88))
        .border_style(RGBColor(160, 160, 160))
        .label_font((FONT, 15))
        .draw()?;
    Ok(())
}

/// A legend swatch: a filled square in `c`.
pub(crate) fn swatch(c: RGBColor) -> impl Fn((i32, i32)) -> Rectangle<(i32, i32)> {
    move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], c.filled())
}

/// A legend swatch for a line series.
pub(crate) fn line_swatch(c: RGBColor) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(3))
}

/// At most `max` points of a sorted sequence, evenly picked, always keeping the last.
pub(crate) fn thin<T: Clone>(v: &[T], max: usize) -> Vec<T> {
    if v.len() <= max || max < 2 {
        return v.to_vec();
    }
    let step = (v.len() - 1) as f64 / (max - 1) as f64;
    (0..max).map(|i| v[((i as f64 * step).round() as usize).min(v.len() - 1)].clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_ticks_are_round() {
        let a = Axis::duration(0.0, 9609.0, "time");
        assert_eq!(a.desc, "time (hours)");
        let labels: Vec<String> = a.ticks.iter().map(|t| a.label(*t)).collect();
        assert_eq!(labels[0], "0");
        assert!(labels.contains(&"1h".to_string()), "{labels:?}");
        assert_eq!(duration_tick(90.0), "1m 30s");
        assert_eq!(duration_tick(30.0), "30s");
        let a = Axis::duration(0.0, 0.0, "time");
        assert!(a.hi > a.lo && !a.ticks.is_empty());
    }

    #[test]
    fn linear_and_percent_ticks() {
        let a = Axis::linear(0.0, 0.9, "x");
        assert!(a.ticks.len() >= 4 && a.ticks.len() <= 11, "{:?}", a.ticks);
        assert_eq!(a.label(0.2), "0.2");
        let p = Axis::percent(1.0, "u");
        assert_eq!(p.label(0.5), "50%");
        let c = Axis::count(3.0, "n");
        assert!(c.ticks.iter().all(|t| t.fract() == 0.0));
        assert_eq!(number(25_000.0, 0), "25k");
    }

    #[test]
    fn thinning_keeps_ends() {
        let v: Vec<u32> = (0..1000).collect();
        let t = thin(&v, 10);
        assert_eq!((t.len(), t[0], t[9]), (10, 0, 999));
    }
}
