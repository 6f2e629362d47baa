//! Parameter sweeps and capacity planning.
//!
//! A sweep runs the cross product of `--vary KEY=VALUES` settings, each point `replicas`
//! times. Replica `r` of every point uses the same derived seed, so points are compared on
//! the same random workloads (common random numbers). Runs execute in parallel (rayon) and
//! results are gathered in task order, so the files are identical at any thread count.
//! `--shard I/N` runs every N-th task; [`merge`] joins shards into exactly the files an
//! unsharded sweep writes.

pub mod files;
pub mod metrics;
pub mod overrides;
pub mod plan;
pub mod stats;

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::engine::{self, RunOptions};
use crate::{workload, Scenario};
pub use overrides::{parse_vary, Override};

/// What to sweep.
#[derive(Clone, Debug)]
pub struct SweepSpec {
    /// Keys and their values; the first key varies slowest.
    pub vary: Vec<(String, Vec<String>)>,
    pub replicas: u32,
    /// Run only tasks `i` with `i % count == index`.
    pub shard: Option<Shard>,
    /// Worker threads; `None` lets rayon decide.
    pub threads: Option<usize>,
}

/// One slice of a sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// Parses `I/N` (0 ≤ I < N).
    pub fn parse(s: &str) -> Result<Shard, String> {
        let bad = || format!("expected a shard as I/N with 0 <= I < N, got `{s}`");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (u32, u32) =
            (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// A target such as `wait_p95<=3600`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub metric: String,
    pub op: String,
    pub value: f64,
}

impl Target {
    /// Parses `METRIC<=VALUE` (also `<`, `>=`, `>`); metric names accept `p95_wait` style.
    pub fn parse(s: &str) -> Result<Target, String> {
        for op in ["<=", ">=", "<", ">"] {
            if let Some((m, v)) = s.split_once(op) {
                let value: f64 =
                    v.trim().parse().map_err(|_| format!("expected a number after `{op}` in `{s}`"))?;
                return Ok(Target { metric: metrics::canonical(m), op: op.to_string(), value });
            }
        }
        Err(format!("expected a target like `wait_p95<=3600`, got `{s}`"))
    }

    /// Whether an estimate meets the target with 95% confidence (the whole interval is on
    /// the right side).
    pub fn met_by(&self, e: &stats::Estimate) -> bool {
        match self.op.as_str() {
            "<=" => e.high <= self.value,
            "<" => e.high < self.value,
            ">=" => e.low >= self.value,
            _ => e.low > self.value,
        }
    }
}

/// Facts about a sweep, written as `sweep.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepMeta {
    pub scenario: String,
    pub scenario_file: String,
    pub vary: Vec<String>,
    /// The values of each point, in point order.
    pub points: Vec<Vec<String>>,
    pub replicas: u32,
    pub base_seed: u64,
    pub tasks: u64,
    pub target: Option<Target>,
    pub shard: Option<Shard>,
}

/// One run of a sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepRow {
    pub point: usize,
    pub replica: u32,
    pub seed: u64,
    pub metrics: Vec<(String, f64)>,
}

/// A finished (possibly partial) sweep.
#[derive(Clone, Debug)]
pub struct SweepResult {
    pub meta: SweepMeta,
    pub rows: Vec<SweepRow>,
}

/// The seed of replica `r`: a SplitMix64 step from the base seed, the same for every point.
pub fn replica_seed(base: u64, replica: u32) -> u64 {
    let mut z = base.wrapping_add(0x9E37_79B9_7F4A_7C15u64.wrapping_mul(u64::from(replica) + 1));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The cross product of the values, first key slowest.
pub fn points(vary: &[(String, Vec<String>)]) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = vec![Vec::new()];
    for (_, values) in vary {
        out = out
            .iter()
            .flat_map(|p| values.iter().map(move |v| [p.clone(), vec![v.clone()]].concat()))
            .collect();
    }
    out
}

/// The scenario of one point.
pub fn point_scenario(
    path: &Path,
    text: &str,
    keys: &[String],
    values: &[String],
) -> Result<Scenario, String> {
    let o: Vec<Override> =
        keys.iter().zip(values).map(|(k, v)| Override { key: k.clone(), raw: v.clone() }).collect();
    overrides::apply(text, path, &o).map_err(|e| e.to_string())
}

/// Runs one scenario with one seed and returns its metrics.
pub fn run_once(scenario: &Scenario, seed: u64) -> Result<Vec<(String, f64)>, String> {
    let mut w = workload::load(scenario, seed).map_err(|e| e.to_string())?;
    let bytes = std::mem::take(&mut w.trace_bytes);
    let run = engine::run(scenario, w, RunOptions { samples: false, statuses: false, progress: None });
    let summary = crate::metrics::summarise(scenario, &run, seed, &bytes);
    Ok(metrics::of(&summary))
}

/// Runs the sweep of `spec` over the scenario file at `path`. `done` is called after each run.
pub fn run(path: &Path, spec: &SweepSpec, done: &(dyn Fn() + Sync)) -> Result<SweepResult, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read the scenario: {e}", path.display()))?;
    let base = Scenario::parse(&text, path).map_err(|e| e.to_string())?;
    let keys: Vec<String> = spec.vary.iter().map(|(k, _)| k.clone()).collect();
    let pts = points(&spec.vary);
    // Check every point before running any, so a bad value fails fast.
    let scenarios: Vec<Scenario> =
        pts.iter().map(|p| point_scenario(path, &text, &keys, p)).collect::<Result<_, _>>()?;
    let replicas = spec.replicas.max(1);
    let tasks: Vec<(usize, u32)> = (0..pts.len())
        .flat_map(|p| (0..replicas).map(move |r| (p, r)))
        .enumerate()
        .filter(|(i, _)| spec.shard.is_none_or(|s| *i as u64 % u64::from(s.count) == u64::from(s.index)))
        .map(|(_, t)| t)
        .collect();
    let work = || -> Result<Vec<SweepRow>, String> {
        tasks
            .par_iter()
            .map(|&(point, replica)| {
                let seed = replica_seed(base.seed, replica);
                let metrics = run_once(&scenarios[point], seed)?;
                done();
                Ok(SweepRow { point, replica, seed, metrics })
            })
            .collect()
    };
    let rows = match spec.threads {
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build()
            .map_err(|e| format!("cannot start {n} threads: {e}"))?
            .install(work)?,
        None => work()?,
    };
    let meta = SweepMeta {
        scenario: base.name.clone(),
        scenario_file: path.display().to_string(),
        vary: keys,
        points: pts,
        replicas,
        base_seed: base.seed,
        tasks: tasks_total(&spec.vary, replicas),
        target: None,
        shard: spec.shard,
    };
    Ok(SweepResult { meta, rows })
}

fn tasks_total(vary: &[(String, Vec<String>)], replicas: u32) -> u64 {
    vary.iter().map(|(_, v)| v.len() as u64).product::<u64>() * u64::from(replicas)
}

/// Joins shard directories into one complete sweep (the same files an unsharded run writes).
pub fn merge(dirs: &[PathBuf]) -> Result<SweepResult, String> {
    let mut meta: Option<SweepMeta> = None;
    let mut rows = Vec::new();
    for d in dirs {
        let (m, r) = files::read(d)?;
        let mut key = m.clone();
        key.shard = None;
        match &meta {
            None => meta = Some(key),
            Some(first) if *first != key => {
                return Err(format!(
                    "{} is a slice of a different sweep than {}",
                    d.display(),
                    dirs[0].display()
                ))
            }
            Some(_) => {}
        }
        rows.extend(r);
    }
    let meta = meta.ok_or("no shard directories given")?;
    rows.sort_by_key(|r| (r.point, r.replica));
    let expected = meta.tasks as usize;
    for w in rows.windows(2) {
        if (w[0].point, w[0].replica) == (w[1].point, w[1].replica) {
            return Err(format!(
                "point {} replica {} appears in more than one shard",
                w[0].point, w[0].replica
            ));
        }
    }
    if rows.len() != expected {
        return Err(format!(
            "the shards hold {} of the sweep's {expected} runs: some shards are missing",
            rows.len()
        ));
    }
    Ok(SweepResult { meta, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cross_product_first_key_slowest() {
        let p =
            points(&[("a".into(), vec!["1".into(), "2".into()]), ("b".into(), vec!["x".into(), "y".into()])]);
        assert_eq!(p, vec![vec!["1", "x"], vec!["1", "y"], vec!["2", "x"], vec!["2", "y"]]);
    }

    #[test]
    fn shards_and_targets_parse() {
        assert_eq!(Shard::parse("1/4"), Ok(Shard { index: 1, count: 4 }));
        assert!(Shard::parse("4/4").is_err());
        assert!(Shard::parse("x").is_err());
        let t = Target::parse("p95_wait<=3600").unwrap();
        assert_eq!((t.metric.as_str(), t.op.as_str(), t.value), ("wait_p95", "<=", 3600.0));
        assert!(t.met_by(&stats::Estimate { mean: 3000.0, low: 2000.0, high: 3600.0, n: 3 }));
        assert!(!t.met_by(&stats::Estimate { mean: 3000.0, low: 2000.0, high: 3600.5, n: 3 }));
    }

    #[test]
    fn replica_seeds_differ() {
        assert_ne!(replica_seed(1, 0), replica_seed(1, 1));
        assert_eq!(replica_seed(1, 0), replica_seed(1, 0));
    }
}
