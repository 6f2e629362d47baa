//! Policy comparisons: the same workload run under several policies, side by side.
//!
//! Reads only each run's `summary.json`, so runs made at different times (or by other tools)
//! compare as long as they wrote one. The table marks the best value of each column: lowest
//! for waits, completion times, slowdowns, preemptions, wasted work and cost; highest for
//! utilisation and fairness.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::charts::bars::{significant, Bars, Measure};
use crate::data::{create_dir, jnum, jnum2, read_json, write_file};
use crate::html::{Cell, Page};
use crate::style::{duration_text, render, Rendered};
use crate::ReportError;

/// Draws the comparison charts into `out_dir/charts/` (`wait_by_policy`, `jct_by_policy`,
/// `utilisation_by_policy`, `cost_by_policy`, each `.png` and `.svg`) and writes
/// `out_dir/comparison.html`; `entries` are `(policy name, run directory)`. A run directory
/// without `summary.json` is listed with empty cells; returns the paths written.
pub fn render_comparison(entries: &[(String, PathBuf)], out_dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let charts_dir = out_dir.join("charts");
    create_dir(&charts_dir)?;
    let mut runs: Vec<(String, PathBuf, Value)> = Vec::new();
    for (name, dir) in entries {
        let s = read_json(&dir.join("summary.json"))?.unwrap_or(Value::Null);
        runs.push((name.clone(), dir.clone(), s));
    }
    let policies: Vec<String> = runs.iter().map(|r| r.0.clone()).collect();

    let dist_bars = |name: &str, title: &str, key: &str, what: &str| Bars {
        name: name.into(),
        title: title.into(),
        categories: policies.clone(),
        x_desc: "policy".into(),
        series: ["mean", "p95", "p99"]
            .iter()
            .enumerate()
            .map(|(i, stat)| (stat.to_string(), i, runs.iter().map(|r| jnum2(&r.2, key, stat)).collect()))
            .collect(),
        measure: Measure::Duration(what.into()),
        stacked: false,
        empty_message: "no data".into(),
    };
    let wait = dist_bars(
        "wait_by_policy",
        "Wait time by policy (mean, p95, p99)",
        "wait",
        "wait from submission to start",
    );
    let jct = dist_bars(
        "jct_by_policy",
        "Job completion time by policy (mean, p95, p99)",
        "jct",
        "completion time from submission",
    );

    let resources = union_keys(&runs, |s| s.get("utilisation"));
    let util = Bars {
        name: "utilisation_by_policy".into(),
        title: "Mean utilisation by policy".into(),
        categories: policies.clone(),
        x_desc: "policy".into(),
        series: resources
            .iter()
            .enumerate()
            .map(|(i, res)| {
                (
                    res.clone(),
                    i,
                    runs.iter().map(|r| r.2.get("utilisation").and_then(|u| jnum(u, res))).collect(),
                )
            })
            .collect(),
        measure: Measure::Percent("mean utilisation (% of capacity)".into()),
        stacked: false,
        empty_message: "no data".into(),
    };

    let queues = union_keys(&runs, |s| s.get("cost")?.get("per_queue"));
    let cost_series: Vec<(String, usize, Vec<Option<f64>>)> = if queues.is_empty() {
        vec![(
            "total".into(),
            0,
            runs.iter().map(|r| r.2.get("cost").and_then(|c| jnum(c, "total"))).collect(),
        )]
    } else {
        queues
            .iter()
            .enumerate()
            .map(|(i, q)| {
                (q.clone(), i, runs.iter().map(|r| jnum2(r.2.get("cost")?, "per_queue", q)).collect())
            })
            .collect()
    };
    let cost = Bars {
        name: "cost_by_policy".into(),
        title: "Cost by policy, stacked by queue".into(),
        categories: policies.clone(),
        x_desc: "policy".into(),
        series: cost_series,
        measure: Measure::Number("cost (currency units)".into()),
        stacked: true,
        empty_message: "no data (nothing was charged)".into(),
    };

    let figures: Vec<(Rendered, &str)> = vec![
        (render(&wait, &charts_dir)?, "Wait from submission to start under each policy: mean, 95th and 99th percentile (succeeded operations)."),
        (render(&jct, &charts_dir)?, "Job completion time (submission to end) under each policy."),
        (render(&util, &charts_dir)?, "Mean share of each resource's capacity in use over the run."),
        (render(&cost, &charts_dir)?, "Total cost under each policy, split by queue."),
    ];

    let html = page(&runs, &resources, &figures);
    let mut out: Vec<PathBuf> = figures.iter().flat_map(|(r, _)| [r.png.clone(), r.svg.clone()]).collect();
    out.push(write_file(&out_dir.join("comparison.html"), html.as_bytes())?);
    Ok(out)
}

/// Keys of the objects `get` finds in each summary, in order of first appearance.
fn union_keys(runs: &[(String, PathBuf, Value)], get: impl Fn(&Value) -> Option<&Value>) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for r in runs {
        if let Some(Value::Object(m)) = get(&r.2) {
            for k in m.keys() {
                if !keys.contains(k) {
                    keys.push(k.clone());
                }
            }
        }
    }
    keys
}

/// One column of the comparison table.
struct Column {
    header: String,
    values: Vec<Option<f64>>,
    fmt: fn(f64) -> String,
    higher_is_better: bool,
}

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

fn int(v: f64) -> String {
    format!("{v:.0}")
}

fn three(v: f64) -> String {
    format!("{v:.3}")
}

fn page(runs: &[(String, PathBuf, Value)], resources: &[String], figures: &[(Rendered, &str)]) -> String {
    let scenarios: Vec<String> = runs
        .iter()
        .filter_map(|r| r.2.get("scenario")?.as_str().map(str::to_string))
        .fold(Vec::new(), |mut v, s| {
            if !v.contains(&s) {
                v.push(s);
            }
            v
        });
    let name = if scenarios.is_empty() { "policies".to_string() } else { scenarios.join(", ") };
    let mut p = Page::new(
        &format!("schedlab comparison: {name}"),
        &format!("Policy comparison: {name}"),
        &format!("{} policies on the same workload", runs.len()),
    );

    let mut cols: Vec<Column> = Vec::new();
    for (key, label, f) in [
        ("wait", "wait", duration_text as fn(f64) -> String),
        ("jct", "JCT", duration_text),
        ("bounded_slowdown", "slowdown", significant),
    ] {
        for stat in ["mean", "p95", "p99"] {
            cols.push(Column {
                header: format!("{label} {stat}"),
                values: runs.iter().map(|r| jnum2(&r.2, key, stat)).collect(),
                fmt: f,
                higher_is_better: false,
            });
        }
    }
    for res in resources {
        cols.push(Column {
            header: format!("util {res}"),
            values: runs.iter().map(|r| r.2.get("utilisation").and_then(|u| jnum(u, res))).collect(),
            fmt: pct,
            higher_is_better: true,
        });
    }
    cols.push(Column {
        header: "preemptions".into(),
        values: runs.iter().map(|r| jnum(&r.2, "preemptions")).collect(),
        fmt: int,
        higher_is_better: false,
    });
    cols.push(Column {
        header: "wasted work".into(),
        values: runs.iter().map(|r| jnum(&r.2, "wasted_work")).collect(),
        fmt: duration_text,
        higher_is_better: false,
    });
    cols.push(Column {
        header: "cost".into(),
        values: runs.iter().map(|r| r.2.get("cost").and_then(|c| jnum(c, "total"))).collect(),
        fmt: significant,
        higher_is_better: false,
    });
    cols.push(Column {
        header: "fairness (Jain slowdown)".into(),
        values: runs.iter().map(|r| r.2.get("fairness").and_then(|f| jnum(f, "jain_slowdown"))).collect(),
        fmt: three,
        higher_is_better: true,
    });

    p.section("table", "Results");
    let mut header: Vec<&str> = vec!["policy"];
    header.extend(cols.iter().map(|c| c.header.as_str()));
    let best: Vec<Option<f64>> = cols.iter().map(best_of).collect();
    let rows: Vec<Vec<Cell>> = runs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut row = vec![Cell::from(r.0.as_str())];
            for (c, b) in cols.iter().zip(&best) {
                let cell = match c.values[i] {
                    None => Cell::from("-"),
                    Some(v) => {
                        let is_best = b.is_some_and(|b| (v - b).abs() <= 1e-9 * b.abs().max(1.0));
                        if is_best {
                            Cell { text: format!("★ {}", (c.fmt)(v)), class: Some("best") }
                        } else {
                            Cell::from((c.fmt)(v))
                        }
                    }
                };
                row.push(cell);
            }
            row
        })
        .collect();
    p.table(&header, &rows);
    p.note("★ marks the best value of each column: the lowest, except utilisation and fairness, where the highest is best. Wait, JCT and slowdown are over succeeded operations.");
    let missing: Vec<String> =
        runs.iter().filter(|r| r.2.is_null()).map(|r| format!("{} ({})", r.0, r.1.display())).collect();
    if !missing.is_empty() {
        p.note(&format!("No summary.json found for: {}.", missing.join(", ")));
    }

    p.section("charts", "Charts");
    for (r, caption) in figures {
        p.figure(r, caption);
    }

    p.section("runs", "Runs");
    let rows: Vec<Vec<Cell>> = runs
        .iter()
        .map(|r| {
            let t = |k: &str| crate::data::jtext(&r.2, k).unwrap_or_else(|| "-".into());
            vec![
                r.0.as_str().into(),
                r.1.display().to_string().into(),
                t("dispatch").into(),
                t("placement").into(),
                t("seed").into(),
                t("scenario_hash").into(),
            ]
        })
        .collect();
    p.table(&["policy", "run directory", "dispatch", "placement", "seed", "scenario hash"], &rows);
    p.finish()
}

/// The best value of a column, when at least two policies have one.
fn best_of(c: &Column) -> Option<f64> {
    let vals: Vec<f64> = c.values.iter().flatten().copied().collect();
    if vals.len() < 2 {
        return None;
    }
    let pick = if c.higher_is_better { f64::max } else { f64::min };
    vals.into_iter().reduce(pick)
}
