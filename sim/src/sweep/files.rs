//! The files of a sweep directory.
//!
//! | file | one row per |
//! |---|---|
//! | `sweep.csv` | run: `point,replica,seed`, the varied keys, every metric |
//! | `sweep_summary.csv` | point: the varied keys, `replicas`, then `<metric>:mean`, `<metric>:ci_low`, `<metric>:ci_high` (95%) |
//! | `sweep.json` | sweep: scenario, varied keys, points, replicas, base seed, target, shard |
//!
//! Metric values are printed in Rust's shortest round-trip form, so a merged sweep (which
//! reads them back) computes exactly the same summary as the unsharded one.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

use super::{stats, SweepMeta, SweepResult, SweepRow};
use crate::output::write_atomic;

/// Metric names in order of first appearance.
fn metric_names(rows: &[SweepRow]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for r in rows {
        for (m, _) in &r.metrics {
            if !names.contains(m) {
                names.push(m.clone());
            }
        }
    }
    names
}

fn csv_err(e: csv::Error) -> io::Error {
    io::Error::other(e)
}

/// Writes `sweep.csv`, `sweep_summary.csv` and `sweep.json` into `dir`.
pub fn write(dir: &Path, result: &SweepResult) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let names = metric_names(&result.rows);
    let meta = &result.meta;
    write_atomic(&dir.join("sweep.csv"), |w| {
        let mut c = csv::Writer::from_writer(w);
        let mut header = vec!["point".to_string(), "replica".into(), "seed".into()];
        header.extend(meta.vary.iter().cloned());
        header.extend(names.iter().cloned());
        c.write_record(&header).map_err(csv_err)?;
        for r in &result.rows {
            let mut row = vec![r.point.to_string(), r.replica.to_string(), r.seed.to_string()];
            row.extend(meta.points[r.point].iter().cloned());
            let m: BTreeMap<&str, f64> = r.metrics.iter().map(|(k, v)| (k.as_str(), *v)).collect();
            row.extend(names.iter().map(|n| m.get(n.as_str()).map(|v| v.to_string()).unwrap_or_default()));
            c.write_record(&row).map_err(csv_err)?;
        }
        c.flush()
    })?;
    write_atomic(&dir.join("sweep_summary.csv"), |w| write_summary(w, result, &names))?;
    write_atomic(&dir.join("sweep.json"), |w| {
        serde_json::to_writer_pretty(&mut *w, meta).map_err(io::Error::other)?;
        w.write_all(b"\n")
    })
}

/// One point's estimates.
#[derive(Clone, Debug)]
pub struct PointSummary {
    pub point: usize,
    /// Runs (replicas) the estimates are over.
    pub runs: usize,
    pub metrics: Vec<(String, stats::Estimate)>,
}

/// Per-point estimates of every metric.
pub fn summarise(result: &SweepResult) -> Vec<PointSummary> {
    let names = metric_names(&result.rows);
    let mut by_point: BTreeMap<usize, Vec<&SweepRow>> = BTreeMap::new();
    for r in &result.rows {
        by_point.entry(r.point).or_default().push(r);
    }
    by_point
        .into_iter()
        .map(|(p, rows)| {
            let est = names
                .iter()
                .map(|n| {
                    let v: Vec<f64> = rows
                        .iter()
                        .filter_map(|r| r.metrics.iter().find(|(k, _)| k == n).map(|x| x.1))
                        .collect();
                    (n.clone(), stats::estimate(&v))
                })
                .collect();
            PointSummary { point: p, runs: rows.len(), metrics: est }
        })
        .collect()
}

fn write_summary(w: &mut impl Write, result: &SweepResult, names: &[String]) -> io::Result<()> {
    let mut c = csv::Writer::from_writer(w);
    let mut header = vec!["point".to_string()];
    header.extend(result.meta.vary.iter().cloned());
    header.push("replicas".into());
    for n in names {
        header.extend([format!("{n}:mean"), format!("{n}:ci_low"), format!("{n}:ci_high")]);
    }
    c.write_record(&header).map_err(csv_err)?;
    for s in summarise(result) {
        let mut row = vec![s.point.to_string()];
        row.extend(result.meta.points[s.point].iter().cloned());
        row.push(s.runs.to_string());
        for (_, e) in s.metrics {
            if e.n == 0 {
                row.extend([String::new(), String::new(), String::new()]);
            } else {
                row.extend([e.mean.to_string(), e.low.to_string(), e.high.to_string()]);
            }
        }
        c.write_record(&row).map_err(csv_err)?;
    }
    c.flush()
}

/// Reads a sweep directory back.
pub fn read(dir: &Path) -> Result<(SweepMeta, Vec<SweepRow>), String> {
    let shown = dir.display();
    let meta_text = std::fs::read_to_string(dir.join("sweep.json"))
        .map_err(|e| format!("{shown}/sweep.json: cannot read it ({e}); is this a sweep directory?"))?;
    let meta: SweepMeta = serde_json::from_str(&meta_text)
        .map_err(|e| format!("{shown}/sweep.json: not a sweep description: {e}"))?;
    let path = dir.join("sweep.csv");
    let mut r = csv::Reader::from_path(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let header: Vec<String> =
        r.headers().map_err(|e| format!("{}: {e}", path.display()))?.iter().map(String::from).collect();
    let first_metric = 3 + meta.vary.len();
    let mut rows = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| format!("{}:{line}: {e}", path.display()))?;
        let num = |j: usize, what: &str| -> Result<u64, String> {
            rec.get(j).and_then(|s| s.parse().ok()).ok_or_else(|| {
                format!("{}:{line}: expected a whole number in column `{what}`", path.display())
            })
        };
        let point = num(0, "point")? as usize;
        if point >= meta.points.len() {
            return Err(format!("{}:{line}: point {point} is not in sweep.json", path.display()));
        }
        let mut metrics = Vec::new();
        for (j, name) in header.iter().enumerate().skip(first_metric) {
            let cell = rec.get(j).unwrap_or("");
            if cell.is_empty() {
                continue;
            }
            let v: f64 = cell.parse().map_err(|_| {
                format!("{}:{line}: column `{name}`: expected a number, got `{cell}`", path.display())
            })?;
            metrics.push((name.clone(), v));
        }
        rows.push(SweepRow { point, replica: num(1, "replica")? as u32, seed: num(2, "seed")?, metrics });
    }
    Ok((meta, rows))
}
