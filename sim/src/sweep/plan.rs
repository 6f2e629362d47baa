//! Capacity planning: the smallest value of a monotone parameter that meets a target.
//!
//! `schedlab plan SCENARIO --vary pools.gpu.nodes=1..64 --target 'wait_p95<=3600'` assumes
//! the metric only gets better as the value grows (more nodes, more concurrency) and binary
//! searches the range. A value meets the target when the whole 95% confidence interval of the
//! metric over the replicas is on the right side of it.

use std::path::Path;

use rayon::prelude::*;

use super::{point_scenario, replica_seed, run_once, stats, SweepMeta, SweepResult, SweepRow, Target};
use crate::Scenario;

/// One evaluated value.
#[derive(Clone, Debug, PartialEq)]
pub struct Probe {
    pub value: i64,
    pub estimate: stats::Estimate,
    pub meets: bool,
}

/// The outcome of a plan.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Probes in the order they were run.
    pub probes: Vec<Probe>,
    /// The smallest value meeting the target, if any in the range does.
    pub answer: Option<Probe>,
    /// Every run, as a sweep over the probed values (for the sweep files and charts).
    pub sweep: SweepResult,
}

/// Parses `LO..HI` (integers, LO ≤ HI).
pub fn parse_range(s: &str) -> Result<(i64, i64), String> {
    let bad = || format!("expected an integer range LO..HI, got `{s}`");
    let (lo, hi) = s.split_once("..").ok_or_else(bad)?;
    let (lo, hi): (i64, i64) = (lo.trim().parse().map_err(|_| bad())?, hi.trim().parse().map_err(|_| bad())?);
    if lo > hi {
        return Err(bad());
    }
    Ok((lo, hi))
}

/// Binary-searches `key` over `lo..=hi`; `report` sees each probe as it completes.
pub fn plan(
    path: &Path,
    key: &str,
    (lo, hi): (i64, i64),
    target: &Target,
    replicas: u32,
    report: &mut dyn FnMut(&Probe),
) -> Result<Plan, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read the scenario: {e}", path.display()))?;
    let base = Scenario::parse(&text, path).map_err(|e| e.to_string())?;
    let replicas = replicas.max(1);
    let keys = vec![key.to_string()];
    let mut probes: Vec<Probe> = Vec::new();
    let mut rows: Vec<(i64, Vec<SweepRow>)> = Vec::new();
    let mut probe = |value: i64, probes: &mut Vec<Probe>| -> Result<Probe, String> {
        if let Some(p) = probes.iter().find(|p| p.value == value) {
            return Ok(p.clone());
        }
        let scenario = point_scenario(path, &text, &keys, &[value.to_string()])?;
        let runs: Vec<SweepRow> = (0..replicas)
            .into_par_iter()
            .map(|r| {
                let seed = replica_seed(base.seed, r);
                run_once(&scenario, seed).map(|metrics| SweepRow { point: 0, replica: r, seed, metrics })
            })
            .collect::<Result<_, _>>()?;
        let values: Vec<f64> = runs
            .iter()
            .map(|r| {
                r.metrics.iter().find(|(m, _)| *m == target.metric).map(|x| x.1).ok_or_else(|| {
                    let known: Vec<&str> = r.metrics.iter().map(|(m, _)| m.as_str()).collect();
                    format!("unknown metric `{}`; known: {}", target.metric, known.join(", "))
                })
            })
            .collect::<Result<_, _>>()?;
        let estimate = stats::estimate(&values);
        let p = Probe { value, estimate, meets: target.met_by(&estimate) };
        report(&p);
        probes.push(p.clone());
        rows.push((value, runs));
        Ok(p)
    };
    let top = probe(hi, &mut probes)?;
    let mut answer = None;
    if top.meets {
        let (mut l, mut h) = (lo, hi); // invariant: h meets
        let bottom = probe(lo, &mut probes)?;
        if bottom.meets {
            h = lo;
        } else {
            while h - l > 1 {
                let mid = l + (h - l) / 2;
                if probe(mid, &mut probes)?.meets {
                    h = mid;
                } else {
                    l = mid;
                }
            }
        }
        answer = probes.iter().find(|p| p.value == h).cloned();
    }
    // The probes as a sweep over the values, sorted by value.
    rows.sort_by_key(|(v, _)| *v);
    let points: Vec<Vec<String>> = rows.iter().map(|(v, _)| vec![v.to_string()]).collect();
    let sweep_rows: Vec<SweepRow> = rows
        .into_iter()
        .enumerate()
        .flat_map(|(i, (_, runs))| runs.into_iter().map(move |r| SweepRow { point: i, ..r }))
        .collect();
    let sweep = SweepResult {
        meta: SweepMeta {
            scenario: base.name.clone(),
            scenario_file: path.display().to_string(),
            vary: keys,
            tasks: sweep_rows.len() as u64,
            points,
            replicas,
            base_seed: base.seed,
            target: Some(target.clone()),
            shard: None,
        },
        rows: sweep_rows,
    };
    Ok(Plan { probes, answer, sweep })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("1..64"), Ok((1, 64)));
        assert!(parse_range("5..1").is_err());
        assert!(parse_range("a..b").is_err());
    }
}
