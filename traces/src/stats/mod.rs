//! A summary of a workload (`schedlab trace stats FILE`): how many operations, over what
//! time, how long they run, what they ask for, and how they spread over queues, projects and
//! workflows. People look at this before a replay to check that the trace is what they think.

mod display;
mod human;

use std::collections::BTreeMap;

use schedlab_policies::time::{Time, HOUR};

use crate::record::TraceRecord;

/// Run-time distribution in milliseconds. Percentiles use the nearest-rank method (the
/// smallest value with at least p% of the values at or below it).
#[derive(Clone, Debug, PartialEq)]
pub struct DurationSummary {
    pub min: Time,
    pub p50: Time,
    pub mean: f64,
    pub p95: Time,
    pub p99: Time,
    pub max: Time,
}

/// Mean and maximum of one requested resource (millicores, MiB or GPUs).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ResourceSummary {
    pub mean: f64,
    pub max: u64,
}

/// What [`stats`] computes. Group maps are keyed by name, `None` being the empty cell
/// (scenario default), which sorts first and displays as `(default)`.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceStats {
    /// Number of operations.
    pub count: u64,
    /// Earliest submit time; `None` for an empty trace.
    pub first_submit: Option<Time>,
    /// Latest submit time; `None` for an empty trace.
    pub last_submit: Option<Time>,
    /// Arrivals per hour: `(count - 1) / (last - first submit)`, the reciprocal of the mean
    /// gap between submits; `None` when all submits coincide.
    pub arrival_rate_per_hour: Option<f64>,
    /// Run times; `None` for an empty trace.
    pub duration: Option<DurationSummary>,
    /// CPU requests in millicores.
    pub cpu_milli: ResourceSummary,
    /// Memory requests in MiB.
    pub mem_mib: ResourceSummary,
    /// GPU requests.
    pub gpu: ResourceSummary,
    /// Operations asking for at least one GPU.
    pub gpu_ops: u64,
    /// Sum of cores × run time, in core-hours.
    pub core_hours: f64,
    /// Sum of GPUs × run time, in GPU-hours.
    pub gpu_hours: f64,
    /// Operations per queue.
    pub per_queue: BTreeMap<Option<String>, u64>,
    /// Operations per project.
    pub per_project: BTreeMap<Option<String>, u64>,
    /// Operations per workflow (`None`: not in a workflow).
    pub per_workflow: BTreeMap<Option<String>, u64>,
    /// Operations per priority.
    pub per_priority: BTreeMap<Option<i32>, u64>,
    /// Operations with at least one dependency.
    pub with_dependencies: u64,
}

/// Summarises `records` (in any order).
pub fn stats(records: &[TraceRecord]) -> TraceStats {
    let n = records.len();
    let first_submit = records.iter().map(|r| r.submit).min();
    let last_submit = records.iter().map(|r| r.submit).max();
    let arrival_rate_per_hour = match (first_submit, last_submit) {
        (Some(a), Some(b)) if b > a => Some((n - 1) as f64 * HOUR as f64 / b.saturating_sub(a) as f64),
        _ => None,
    };
    let mut durations: Vec<Time> = records.iter().map(|r| r.duration).collect();
    durations.sort_unstable();
    let resource = |get: fn(&TraceRecord) -> u64| ResourceSummary {
        mean: mean(records.iter().map(|r| get(r) as f64), n),
        max: records.iter().map(get).max().unwrap_or(0),
    };
    let (cpu_work, gpu_work) = work(records);
    TraceStats {
        count: n as u64,
        first_submit,
        last_submit,
        arrival_rate_per_hour,
        duration: summarise(&durations),
        cpu_milli: resource(|r| r.cpu_milli),
        mem_mib: resource(|r| r.mem_mib),
        gpu: resource(|r| r.gpu),
        gpu_ops: records.iter().filter(|r| r.gpu > 0).count() as u64,
        core_hours: cpu_work / 1000.0 / HOUR as f64,
        gpu_hours: gpu_work / HOUR as f64,
        per_queue: count_by(records, |r| r.queue.as_deref()),
        per_project: count_by(records, |r| r.project.as_deref()),
        per_workflow: count_by(records, |r| r.workflow.as_deref()),
        per_priority: count_prio(records),
        with_dependencies: records.iter().filter(|r| !r.depends_on.is_empty()).count() as u64,
    }
}

/// Offered load relative to a cluster: total requested work divided by what the capacity
/// could do over the arrival window (first to last submit; when all submits coincide, first
/// submit to last end). Returns `(cpu, gpu)` as fractions (1.0 = exactly saturated, ignoring
/// packing). A zero capacity gives infinity when there is work for it, else 0.
pub fn offered_load(records: &[TraceRecord], capacity_cpu_milli: u64, capacity_gpu: u64) -> (f64, f64) {
    let first = records.iter().map(|r| r.submit).min().unwrap_or(0);
    let last = records.iter().map(|r| r.submit).max().unwrap_or(0);
    let span = if last > first {
        last.saturating_sub(first)
    } else {
        records.iter().map(|r| r.submit.saturating_add(r.duration)).max().unwrap_or(0).saturating_sub(first)
    };
    let (cpu_work, gpu_work) = work(records);
    let load = |work: f64, capacity: u64| {
        if work <= 0.0 {
            0.0
        } else if capacity == 0 || span <= 0 {
            f64::INFINITY
        } else {
            work / (capacity as f64 * span as f64)
        }
    };
    (load(cpu_work, capacity_cpu_milli), load(gpu_work, capacity_gpu))
}

/// Requested work: (millicore-ms, GPU-ms).
fn work(records: &[TraceRecord]) -> (f64, f64) {
    records.iter().fold((0.0, 0.0), |(c, g), r| {
        let d = r.duration as f64;
        (c + r.cpu_milli as f64 * d, g + r.gpu as f64 * d)
    })
}

fn mean(values: impl Iterator<Item = f64>, n: usize) -> f64 {
    if n == 0 {
        0.0
    } else {
        values.sum::<f64>() / n as f64
    }
}

/// Summarises sorted run times.
fn summarise(sorted: &[Time]) -> Option<DurationSummary> {
    let (&min, &max) = (sorted.first()?, sorted.last()?);
    Some(DurationSummary {
        min,
        p50: nearest_rank(sorted, 50),
        mean: mean(sorted.iter().map(|&d| d as f64), sorted.len()),
        p95: nearest_rank(sorted, 95),
        p99: nearest_rank(sorted, 99),
        max,
    })
}

/// The nearest-rank percentile of a sorted, non-empty slice.
fn nearest_rank(sorted: &[Time], p: usize) -> Time {
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted[rank.min(sorted.len()) - 1]
}

fn count_by(
    records: &[TraceRecord],
    key: impl Fn(&TraceRecord) -> Option<&str>,
) -> BTreeMap<Option<String>, u64> {
    let mut counts: BTreeMap<Option<&str>, u64> = BTreeMap::new();
    for r in records {
        *counts.entry(key(r)).or_default() += 1;
    }
    counts.into_iter().map(|(k, v)| (k.map(str::to_string), v)).collect()
}

fn count_prio(records: &[TraceRecord]) -> BTreeMap<Option<i32>, u64> {
    let mut counts = BTreeMap::new();
    for r in records {
        *counts.entry(r.priority).or_default() += 1;
    }
    counts
}

#[cfg(test)]
mod tests;
