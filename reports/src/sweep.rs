//! Parameter sweeps: one chart per metric, with confidence bands and the target.
//!
//! Inputs in the sweep directory (written by the sweep runner):
//!
//! - `sweep.json` (optional): `{"vary": ["pools.gpu.nodes", ...], "target": null |
//!   {"metric": "wait_p95", "op": "<=", "value": 3600.0}, "scenario": "...", "replicas": N}`.
//!   Without it the varied keys are the columns that are neither `point`, `replicas` nor a
//!   metric, and there is no target.
//! - `sweep_summary.csv` (required): one row per point; `point`, one column per varied key
//!   (header = the key, values numeric or text), `replicas`, then for each metric `m` the
//!   columns `m:mean`, `m:ci_low`, `m:ci_high` (the 95% confidence interval over replicas).
//!   A metric is any `m` with an `m:mean` column; missing CI columns just draw no band.
//!
//! A point "meets the target" when its whole 95% interval is on the right side, as
//! `schedlab sweep` and `schedlab plan` judge it.
//!
//! Charts go to `charts/sweep_<metric>.{png,svg}`; `sweep.html` holds them and the table.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::charts::sweep::{metric_value, SweepChart, SweepPoint, Target};
use crate::data::{create_dir, parse_num, read_json, write_file, Table};
use crate::html::{Cell, Page};
use crate::style::{render, Rendered};
use crate::ReportError;

/// Draws one chart per metric of the sweep in `sweep_dir` into `sweep_dir/charts/` and writes
/// `sweep_dir/sweep.html`; returns the paths written. See the module documentation for the
/// inputs; only a missing `sweep_summary.csv` is an error.
pub fn render_sweep(sweep_dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let summary_path = sweep_dir.join("sweep_summary.csv");
    if !summary_path.is_file() {
        return Err(ReportError::Input(format!(
            "{}: no sweep_summary.csv (is this a sweep directory?)",
            sweep_dir.display()
        )));
    }
    let table = Table::read(&summary_path)?;
    let meta = read_json(&sweep_dir.join("sweep.json"))?.unwrap_or(Value::Null);

    let metrics: Vec<String> =
        table.headers.iter().filter_map(|h| h.strip_suffix(":mean")).map(str::to_string).collect();
    let vary: Vec<String> = match meta.get("vary") {
        Some(Value::Array(v)) => v.iter().filter_map(|k| k.as_str().map(str::to_string)).collect(),
        _ => table
            .headers
            .iter()
            .filter(|h| *h != "point" && *h != "replicas" && !h.contains(':'))
            .cloned()
            .collect(),
    };
    let target = meta.get("target").and_then(|t| {
        Some(Target {
            metric: t.get("metric")?.as_str()?.to_string(),
            op: t.get("op").and_then(Value::as_str).unwrap_or("<=").to_string(),
            value: t.get("value")?.as_f64().filter(|v| v.is_finite())?,
        })
    });

    let charts_dir = sweep_dir.join("charts");
    create_dir(&charts_dir)?;
    let mut figures: Vec<Rendered> = Vec::new();
    for m in &metrics {
        let chart = build_chart(&table, &vary, m, target.clone());
        figures.push(render(&chart, &charts_dir)?);
    }

    let html = page(&table, &meta, &vary, &metrics, target.as_ref(), &figures, sweep_dir);
    let mut out: Vec<PathBuf> = figures.iter().flat_map(|r| [r.png.clone(), r.svg.clone()]).collect();
    out.push(write_file(&sweep_dir.join("sweep.html"), html.as_bytes())?);
    Ok(out)
}

/// The chart of metric `m`: x = the first varied key, one series per combination of the rest.
fn build_chart(table: &Table, vary: &[String], m: &str, target: Option<Target>) -> SweepChart {
    let x_key = vary.first().cloned().unwrap_or_else(|| "point".into());
    let xc = table.col(&x_key);
    let (mc, lc, hc) = (
        table.col(&format!("{m}:mean")),
        table.col(&format!("{m}:ci_low")),
        table.col(&format!("{m}:ci_high")),
    );
    let rows = 0..table.rows.len();
    let x_texts: Vec<String> = rows.clone().map(|r| table.text(r, xc)).collect();
    let numeric = !x_texts.is_empty() && x_texts.iter().all(|t| parse_num(t).is_some());
    let categories: Option<Vec<String>> = (!numeric).then(|| {
        let mut c: Vec<String> = Vec::new();
        for t in &x_texts {
            if !c.contains(t) {
                c.push(t.clone());
            }
        }
        c
    });
    let others: Vec<Option<usize>> = vary.iter().skip(1).map(|k| table.col(k)).collect();
    let mut series: Vec<(String, usize, Vec<SweepPoint>)> = Vec::new();
    for r in rows {
        let Some(mean) = table.num(r, mc) else {
            continue;
        };
        let x = match &categories {
            None => parse_num(&x_texts[r]).unwrap_or(0.0),
            Some(c) => c.iter().position(|t| *t == x_texts[r]).unwrap_or(0) as f64,
        };
        let label = if others.is_empty() {
            format!("{m} mean (band: 95% CI)")
        } else {
            vary.iter()
                .skip(1)
                .zip(&others)
                .map(|(k, c)| format!("{k}={}", table.text(r, *c)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let point = (x, mean, table.num(r, lc), table.num(r, hc));
        match series.iter_mut().find(|s| s.0 == label) {
            Some(s) => s.2.push(point),
            None => {
                let i = series.len();
                series.push((label, i, vec![point]));
            }
        }
    }
    for s in &mut series {
        s.2.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    SweepChart { metric: m.to_string(), x_key, categories, series, target }
}

/// Whether a point meets the target: with 95% confidence, i.e. its whole interval is on the
/// right side (as `schedlab sweep` and `schedlab plan` judge it); by the mean alone when the
/// interval is missing. `None` for an unknown operator.
fn meets(mean: f64, low: Option<f64>, high: Option<f64>, op: &str, target: f64) -> Option<bool> {
    Some(match op {
        "<=" => high.unwrap_or(mean) <= target,
        "<" => high.unwrap_or(mean) < target,
        ">=" => low.unwrap_or(mean) >= target,
        ">" => low.unwrap_or(mean) > target,
        _ => return None,
    })
}

/// [`meets`] for row `r` of the summary.
fn row_meets(table: &Table, r: usize, t: &Target) -> Option<bool> {
    let col = |s: &str| table.col(&format!("{}:{s}", t.metric));
    let mean = table.num(r, col("mean"))?;
    meets(mean, table.num(r, col("ci_low")), table.num(r, col("ci_high")), &t.op, t.value)
}

fn page(
    table: &Table,
    meta: &Value,
    vary: &[String],
    metrics: &[String],
    target: Option<&Target>,
    figures: &[Rendered],
    dir: &Path,
) -> String {
    let scenario = meta.get("scenario").and_then(Value::as_str).map(str::to_string).unwrap_or_else(|| {
        dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "sweep".into())
    });
    let mut p = Page::new(
        &format!("schedlab sweep: {scenario}"),
        &format!("Parameter sweep: {scenario}"),
        &format!(
            "{} points · varying {}",
            table.rows.len(),
            if vary.is_empty() { "nothing".to_string() } else { vary.join(", ") }
        ),
    );
    p.section("setup", "Setup");
    let mut kv: Vec<(String, String)> = vec![
        ("scenario".into(), scenario.clone()),
        ("varied keys".into(), vary.join(", ")),
        ("points".into(), table.rows.len().to_string()),
    ];
    if let Some(r) = meta.get("replicas") {
        kv.push(("replicas per point".into(), r.to_string()));
    }
    kv.push((
        "target".into(),
        match target {
            Some(t) => format!("{} {} {}", t.metric, t.op, metric_value(&t.metric, t.value)),
            None => "none".into(),
        },
    ));
    p.kv(&kv);
    if let Some(t) = target {
        let hits: Vec<String> = (0..table.rows.len())
            .filter(|&r| row_meets(table, r, t).unwrap_or(false))
            .map(|r| {
                vary.iter()
                    .map(|k| format!("{k}={}", table.text(r, table.col(k))))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .collect();
        if hits.is_empty() {
            p.p("No point meets the target with 95% confidence.");
        } else {
            p.p(&format!("Points whose whole 95% interval meets the target: {}.", hits.join("; ")));
        }
    }

    p.section("charts", "Charts");
    if figures.is_empty() {
        p.note("sweep_summary.csv has no metric columns (`<metric>:mean`): nothing to chart.");
    }
    for (r, m) in figures.iter().zip(metrics) {
        p.figure(r, &format!("{m}: mean over replicas per point (line), 95% confidence interval (band)."));
    }

    p.section("table", "Summary");
    let mut header: Vec<String> = vec!["point".into()];
    header.extend(vary.iter().cloned());
    header.push("replicas".into());
    header.extend(metrics.iter().map(|m| format!("{m} (95% CI)")));
    if target.is_some() {
        header.push("meets target".into());
    }
    let rows: Vec<Vec<Cell>> = (0..table.rows.len())
        .map(|r| {
            let mut row: Vec<Cell> = vec![table.text(r, table.col("point")).into()];
            for k in vary {
                row.push(table.text(r, table.col(k)).into());
            }
            row.push(table.text(r, table.col("replicas")).into());
            for m in metrics {
                let mean = table.num(r, table.col(&format!("{m}:mean")));
                let lo = table.num(r, table.col(&format!("{m}:ci_low")));
                let hi = table.num(r, table.col(&format!("{m}:ci_high")));
                let text = match (mean, lo, hi) {
                    (None, _, _) => "-".to_string(),
                    (Some(v), Some(l), Some(h)) => {
                        format!("{} ({} – {})", metric_value(m, v), metric_value(m, l), metric_value(m, h))
                    }
                    (Some(v), _, _) => metric_value(m, v),
                };
                row.push(text.into());
            }
            if let Some(t) = target {
                row.push(match row_meets(table, r, t) {
                    Some(true) => Cell { text: "yes".into(), class: Some("meets") },
                    Some(false) => Cell { text: "no".into(), class: Some("misses") },
                    None => "-".into(),
                });
            }
            row
        })
        .collect();
    let header_refs: Vec<&str> = header.iter().map(String::as_str).collect();
    p.table(&header_refs, &rows);
    p.note(&format!("Charts are in {}/charts/ as PNG and SVG (sweep_<metric>).", dir.display()));
    p.finish()
}
