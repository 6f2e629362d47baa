//! Workload transformations applied in a scenario (`[workload.transform]`): cut a window,
//! filter, sample, limit, compress time to raise the load, and move operations between queues
//! and projects. Every step is deterministic; sampling uses the run's seed.
//!
//! Steps run in this order: `window`, `filter`, `sample`, `limit`, `time_scale`,
//! `duration_scale`, `rename_projects`, `rename_queues`, `queue_by_project`, `set_project`,
//! `set_queue`. Dependencies on records that were dropped are removed.
//!
//! # Lifecycle times
//!
//! `window` and `time_scale` move the trace's *clock*; `duration_scale` changes how long the
//! work *runs*. Every time a record carries follows one of them, so a transformed record keeps
//! the same meaning relative to its neighbours:
//!
//! | field | kind | `window` | `time_scale` | `duration_scale` |
//! |---|---|---|---|---|
//! | `submit` | absolute time | shifted | scaled | — |
//! | `deadline` | absolute time | shifted (not below 0) | scaled | — |
//! | `duration`, `estimate`, `timeout`, `checkpoint` | run time | — | — | scaled |
//! | `retry_backoff`, `cache_ttl` | waiting time | — | scaled | — |
//!
//! So with `time_scale = 0.5` a deadline one hour after its submit comes half an hour after
//! it, a retry waits half as long and a cached result stays valid half as long (the same
//! operations, now submitted twice as close together, still hit it); with `duration_scale = 2`
//! a timeout and a checkpoint interval stay in the same proportion to the run they bound.
//! Scaled values are rounded to whole milliseconds and capped at [`MAX_TIME`]; a positive
//! duration (run or waiting time) stays at least 1 ms, so a timeout stays valid and a
//! positive backoff stays a backoff. A deadline earlier than the window's start becomes 0.

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
    /// Deadlines, retry backoffs and cache TTLs scale with them (see the module docs).
    pub time_scale: Option<f64>,
    /// Multiply run times, and with them estimates, timeouts and checkpoint intervals.
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
            r.deadline = r.deadline.map(|d| d.saturating_sub(start).max(0));
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
    // Absolute times may become 0; a positive duration stays at least 1 ms.
    let scale = |v: i64, s: f64| ((v as f64) * s).round().clamp(0.0, MAX_TIME as f64) as i64;
    let span = |v: i64, s: f64| scale(v, s).max(i64::from(v > 0));
    for r in &mut records {
        if let Some(s) = t.time_scale {
            r.submit = scale(r.submit, s);
            r.deadline = r.deadline.map(|d| scale(d, s));
            r.retry_backoff = r.retry_backoff.map(|b| span(b, s));
            r.cache_ttl = r.cache_ttl.map(|c| span(c, s));
        }
        if let Some(s) = t.duration_scale {
            r.duration = span(r.duration, s);
            r.estimate = r.estimate.map(|e| span(e, s));
            r.timeout = r.timeout.map(|x| span(x, s));
            r.checkpoint = r.checkpoint.map(|c| span(c, s));
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

    /// A record with every lifecycle time set, submitted at `submit`.
    fn timed(submit: i64) -> TraceRecord {
        TraceRecord {
            id: format!("t{submit}"),
            submit,
            duration: 600_000,
            deadline: Some(submit + 3_600_000),
            estimate: Some(900_000),
            timeout: Some(1_200_000),
            checkpoint: Some(60_000),
            retry_backoff: Some(30_000),
            cache_ttl: Some(86_400_000),
            ..TraceRecord::default()
        }
    }

    fn times(r: &TraceRecord) -> [Option<i64>; 8] {
        [
            Some(r.submit),
            Some(r.duration),
            r.deadline,
            r.estimate,
            r.timeout,
            r.checkpoint,
            r.retry_backoff,
            r.cache_ttl,
        ]
    }

    #[test]
    fn lifecycle_times_follow_the_clock_or_the_run_time() {
        let s = |x: i64| Some(x);
        // The window shifts the absolute times (submit, deadline) only.
        let t: Transform = toml::from_str("window = { start = 100 }").unwrap();
        let out = apply(vec![timed(100_000), timed(250_000)], &t, 1).unwrap();
        assert_eq!(
            times(&out[1]),
            [150_000, 600_000, 3_750_000, 900_000, 1_200_000, 60_000, 30_000, 86_400_000].map(Some)
        );
        // time_scale: absolute times and waiting times; run times are untouched.
        let t = Transform { time_scale: Some(0.5), ..Transform::default() };
        let out = apply(vec![timed(200_000)], &t, 1).unwrap();
        assert_eq!(
            times(&out[0]),
            [100_000, 600_000, 1_900_000, 900_000, 1_200_000, 60_000, 15_000, 43_200_000].map(Some)
        );
        // duration_scale: run times, and what bounds or checkpoints them; the clock is untouched.
        let t = Transform { duration_scale: Some(2.0), ..Transform::default() };
        let out = apply(vec![timed(200_000)], &t, 1).unwrap();
        assert_eq!(
            times(&out[0]),
            [200_000, 1_200_000, 3_800_000, 1_800_000, 2_400_000, 120_000, 30_000, 86_400_000].map(Some)
        );
        // Both: the deadline keeps its place relative to the submit on the scaled clock.
        let t = Transform { time_scale: Some(0.25), duration_scale: Some(0.5), ..Transform::default() };
        let out = apply(vec![timed(400_000)], &t, 1).unwrap();
        assert_eq!(out[0].deadline.unwrap() - out[0].submit, 900_000);
        assert_eq!((out[0].timeout, out[0].retry_backoff), (s(600_000), s(7_500)));
        // Unset fields stay unset.
        let plain = TraceRecord { id: "p".into(), submit: 5, ..TraceRecord::default() };
        let t = Transform { time_scale: Some(3.0), duration_scale: Some(3.0), ..Transform::default() };
        let out = apply(vec![plain], &t, 1).unwrap();
        assert_eq!(times(&out[0]), [s(15), s(0), None, None, None, None, None, None]);
    }

    #[test]
    fn scaled_lifecycle_times_stay_valid() {
        let r = TraceRecord {
            id: "r".into(),
            submit: 10_000,
            duration: 3,
            deadline: Some(1),
            timeout: Some(1),
            checkpoint: Some(2),
            estimate: Some(0),
            retry_backoff: Some(0),
            cache_ttl: Some(1),
            ..TraceRecord::default()
        };
        let tiny = Transform { time_scale: Some(1e-6), duration_scale: Some(1e-6), ..Transform::default() };
        let out = apply(vec![r.clone()], &tiny, 1).unwrap();
        // Positive durations stay at least 1 ms (a timeout must be > 0); zeros stay zero;
        // absolute times may reach 0.
        assert_eq!((out[0].duration, out[0].timeout, out[0].checkpoint), (1, Some(1), Some(1)));
        assert_eq!((out[0].estimate, out[0].retry_backoff, out[0].cache_ttl), (Some(0), Some(0), Some(1)));
        assert_eq!((out[0].submit, out[0].deadline), (0, Some(0)));
        // A deadline before the window's start is already missed: it becomes 0, not negative.
        let w: Transform = toml::from_str("window = { start = 5 }").unwrap();
        let out = apply(vec![r.clone()], &w, 1).unwrap();
        assert_eq!((out[0].submit, out[0].deadline), (5_000, Some(0)));
        // Huge factors are capped.
        let huge = Transform { time_scale: Some(1e6), duration_scale: Some(1e6), ..Transform::default() };
        let big = TraceRecord { deadline: Some(MAX_TIME), timeout: Some(MAX_TIME), ..r };
        let out = apply(vec![big], &huge, 1).unwrap();
        assert_eq!((out[0].deadline, out[0].timeout), (Some(MAX_TIME), Some(MAX_TIME)));
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
