//! Workload transformations applied in a scenario (`[workload.transform]`): cut a window,
//! filter, sample, limit, compress time to raise the load, and move operations between queues
//! and projects. Every step is deterministic; sampling uses the run's seed.
//!
//! Steps run in this order: `window`, `filter`, `sample`, `limit`, `time_scale`,
//! `duration_scale`, `rename_projects`, `rename_queues`, `queue_by_project`, `set_project`,
//! `set_queue`. Dependencies on records that were dropped are removed.

use std::collections::{BTreeMap, HashSet};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;

use crate::generator::DurationQty;
use crate::record::{TraceRecord, MAX_TIME};

/// What to change in a workload; every field is optional.
#[derive(Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Transform {
    /// Keep submits in `[start, end)` and shift them so `start` becomes 0.
    pub window: Option<Window>,
    pub filter: Option<Filter>,
    /// Keep each record with this probability (0 < p ≤ 1).
    pub sample: Option<f64>,
    /// Keep the first N records by submit time.
    pub limit: Option<u64>,
    /// Multiply submit times: 0.5 packs the same work into half the time (twice the load).
    pub time_scale: Option<f64>,
    /// Multiply run times (and estimates).
    pub duration_scale: Option<f64>,
    #[serde(default)]
    pub rename_projects: BTreeMap<String, String>,
    #[serde(default)]
    pub rename_queues: BTreeMap<String, String>,
    /// Project → queue: operations of these projects go to these queues.
    #[serde(default)]
    pub queue_by_project: BTreeMap<String, String>,
    pub set_project: Option<String>,
    pub set_queue: Option<String>,
}

/// A time window of submits.
#[derive(Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Window {
    #[serde(default)]
    pub start: Option<DurationQty>,
    pub end: Option<DurationQty>,
}

/// Which records to keep; every condition must hold.
#[derive(Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    pub min_duration: Option<DurationQty>,
    pub max_duration: Option<DurationQty>,
    pub min_gpu: Option<u64>,
    pub max_gpu: Option<u64>,
    pub queues: Option<Vec<String>>,
    pub projects: Option<Vec<String>>,
}

fn positive(x: Option<f64>, what: &str, max: f64) -> Result<(), String> {
    match x {
        Some(v) if !(v > 0.0 && v <= max && v.is_finite()) => {
            Err(format!("{what} must be > 0 and at most {max}, got {v}"))
        }
        _ => Ok(()),
    }
}

/// Applies `t` to `records` (in submit order or not; order is kept).
pub fn apply(mut records: Vec<TraceRecord>, t: &Transform, seed: u64) -> Result<Vec<TraceRecord>, String> {
    positive(t.sample, "sample", 1.0)?;
    positive(t.time_scale, "time_scale", 1e6)?;
    positive(t.duration_scale, "duration_scale", 1e6)?;
    let before: HashSet<String> = records.iter().map(|r| r.id.clone()).collect();
    if let Some(w) = &t.window {
        let start = w.start.map(|s| s.0).unwrap_or(0);
        let end = w.end.map(|e| e.0).unwrap_or(i64::MAX);
        if end <= start {
            return Err("window end must come after its start".into());
        }
        records.retain(|r| r.submit >= start && r.submit < end);
        for r in &mut records {
            r.submit -= start;
        }
    }
    if let Some(f) = &t.filter {
        records.retain(|r| {
            f.min_duration.is_none_or(|d| r.duration >= d.0)
                && f.max_duration.is_none_or(|d| r.duration <= d.0)
                && f.min_gpu.is_none_or(|g| r.gpu >= g)
                && f.max_gpu.is_none_or(|g| r.gpu <= g)
                && f.queues.as_ref().is_none_or(|qs| r.queue.as_ref().is_some_and(|q| qs.contains(q)))
                && f.projects.as_ref().is_none_or(|ps| r.project.as_ref().is_some_and(|p| ps.contains(p)))
        });
    }
    if let Some(p) = t.sample {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x0005_A39E_5EED);
        records.retain(|_| rng.gen::<f64>() < p);
    }
    if let Some(n) = t.limit {
        let mut order: Vec<usize> = (0..records.len()).collect();
        order.sort_by_key(|&i| (records[i].submit, i));
        let keep: HashSet<usize> = order.into_iter().take(n as usize).collect();
        let mut i = 0;
        records.retain(|_| {
            i += 1;
            keep.contains(&(i - 1))
        });
    }
    let scale = |v: i64, s: f64| ((v as f64) * s).round().clamp(0.0, MAX_TIME as f64) as i64;
    for r in &mut records {
        if let Some(s) = t.time_scale {
            r.submit = scale(r.submit, s);
        }
        if let Some(s) = t.duration_scale {
            r.duration = scale(r.duration, s).max(if r.duration > 0 { 1 } else { 0 });
            r.estimate = r.estimate.map(|e| scale(e, s));
        }
        if let Some(p) = r.project.as_ref().and_then(|p| t.rename_projects.get(p)) {
            r.project = Some(p.clone());
        }
        if let Some(q) = r.queue.as_ref().and_then(|q| t.rename_queues.get(q)) {
            r.queue = Some(q.clone());
        }
        if let Some(q) = r.project.as_ref().and_then(|p| t.queue_by_project.get(p)) {
            r.queue = Some(q.clone());
        }
        if let Some(p) = &t.set_project {
            r.project = Some(p.clone());
        }
        if let Some(q) = &t.set_queue {
            r.queue = Some(q.clone());
        }
    }
    if records.len() < before.len() {
        let kept: HashSet<&str> = records.iter().map(|r| r.id.as_str()).collect();
        let kept: HashSet<String> = kept.into_iter().map(String::from).collect();
        for r in &mut records {
            r.depends_on.retain(|d| kept.contains(d));
        }
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recs() -> Vec<TraceRecord> {
        (0..10)
            .map(|i| TraceRecord {
                id: format!("r{i}"),
                submit: i * 1000,
                duration: 100 * (i + 1),
                gpu: (i % 3) as u64,
                queue: Some(if i % 2 == 0 { "even".into() } else { "odd".into() }),
                project: Some(format!("p{}", i % 2)),
                depends_on: if i > 0 { vec![format!("r{}", i - 1)] } else { vec![] },
                ..TraceRecord::default()
            })
            .collect()
    }

    fn ids(r: &[TraceRecord]) -> Vec<&str> {
        r.iter().map(|r| r.id.as_str()).collect()
    }

    #[test]
    fn window_filter_limit_and_scale() {
        let t: Transform = toml::from_str(
            "window = { start = 2, end = 8 }\nlimit = 3\ntime_scale = 0.5\nduration_scale = 2\nfilter = { min_gpu = 1 }",
        )
        .unwrap();
        let out = apply(recs(), &t, 1).unwrap();
        // Window keeps r2..r7, shifted by 2 s; filter keeps gpu ≥ 1: r2, r4, r5, r7; limit 3.
        assert_eq!(ids(&out), vec!["r2", "r4", "r5"]);
        assert_eq!(out.iter().map(|r| r.submit).collect::<Vec<_>>(), vec![0, 1000, 1500]);
        assert_eq!(out[0].duration, 600);
        // r4 depended on r3, which was dropped.
        assert!(out[1].depends_on.is_empty());
    }

    #[test]
    fn moves_between_queues_and_projects() {
        let t: Transform = toml::from_str(
            "rename_projects = { p0 = \"vision\" }\nrename_queues = { odd = \"batch\" }\nqueue_by_project = { vision = \"gpu\" }",
        )
        .unwrap();
        let out = apply(recs(), &t, 1).unwrap();
        assert_eq!((out[0].project.as_deref(), out[0].queue.as_deref()), (Some("vision"), Some("gpu")));
        assert_eq!((out[1].project.as_deref(), out[1].queue.as_deref()), (Some("p1"), Some("batch")));
    }

    #[test]
    fn sampling_is_seeded() {
        let t = Transform { sample: Some(0.5), ..Transform::default() };
        let a = apply(recs(), &t, 7).unwrap();
        assert_eq!(a, apply(recs(), &t, 7).unwrap());
        let many: Vec<TraceRecord> =
            (0..4000).map(|i| TraceRecord { id: i.to_string(), ..TraceRecord::default() }).collect();
        let kept = apply(many, &t, 7).unwrap().len();
        assert!((1800..2200).contains(&kept), "{kept}");
    }

    #[test]
    fn bad_settings_are_explained() {
        assert!(apply(recs(), &Transform { sample: Some(0.0), ..Transform::default() }, 1)
            .unwrap_err()
            .contains("sample"));
        assert!(apply(recs(), &Transform { time_scale: Some(-1.0), ..Transform::default() }, 1).is_err());
        let w: Transform = toml::from_str("window = { start = 5, end = 5 }").unwrap();
        assert!(apply(recs(), &w, 1).is_err());
        assert!(toml::from_str::<Transform>("tim_scale = 2").is_err());
    }

    #[test]
    fn readme_example_parses() {
        let readme = include_str!("../README.md");
        let start = readme.find("[workload.transform]\n").unwrap() + "[workload.transform]\n".len();
        let body = &readme[start..start + readme[start..].find("```").unwrap()];
        let t: Transform = toml::from_str(body).unwrap();
        assert_eq!(t.sample, Some(0.25));
        assert_eq!(t.window.unwrap().start.unwrap().0, 7 * 86_400_000);
    }
}
