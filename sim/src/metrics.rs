//! What a run measured: the contents of `summary.json` and of the printed summary table.

use std::collections::BTreeMap;

use schedlab_policies::model::Status;
use schedlab_policies::time::{Time, SECOND};
use serde::Serialize;

use crate::engine::Run;
use crate::scenario::Scenario;

/// Runs shorter than this count as this long in bounded slowdown (the usual 10 s).
pub const SLOWDOWN_BOUND: Time = 10 * SECOND;

/// Mean and order statistics of a set of values (seconds, or plain numbers for slowdown).
#[derive(Serialize, Clone, Debug, Default, PartialEq)]
pub struct Dist {
    pub count: u64,
    pub mean: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Dist {
    /// From raw values; percentiles by the nearest-rank method. Sorts `v`.
    pub fn of(v: &mut [f64]) -> Dist {
        if v.is_empty() {
            return Dist::default();
        }
        v.sort_by(|a, b| a.total_cmp(b));
        let n = v.len();
        let rank = |p: f64| v[((p / 100.0 * n as f64).ceil() as usize).clamp(1, n) - 1];
        Dist {
            count: n as u64,
            mean: round(v.iter().sum::<f64>() / n as f64),
            p50: round(rank(50.0)),
            p95: round(rank(95.0)),
            p99: round(rank(99.0)),
            max: round(v[n - 1]),
        }
    }
}

/// Rounds to six decimals so summaries print the same everywhere.
fn round(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Wait, completion time and bounded slowdown of one group of operations.
#[derive(Serialize, Clone, Debug, Default)]
pub struct Timing {
    /// Seconds from submission to start.
    pub wait: Dist,
    /// Seconds from submission to end (job completion time).
    pub jct: Dist,
    /// max(1, completion time / max(run time, 10 s)).
    pub bounded_slowdown: Dist,
}

#[derive(Default)]
struct TimingAcc {
    wait: Vec<f64>,
    jct: Vec<f64>,
    slowdown: Vec<f64>,
}

impl TimingAcc {
    /// `start` is the first attempt's start; `run` the operation's run time.
    fn push(&mut self, submit: Time, start: Time, end: Time, run: Time) {
        let wait = (start - submit) as f64 / 1000.0;
        let jct = (end - submit) as f64 / 1000.0;
        let run = run.max(SLOWDOWN_BOUND) as f64 / 1000.0;
        self.wait.push(wait);
        self.jct.push(jct);
        self.slowdown.push((jct / run).max(1.0));
    }
    fn finish(mut self) -> Timing {
        Timing {
            wait: Dist::of(&mut self.wait),
            jct: Dist::of(&mut self.jct),
            bounded_slowdown: Dist::of(&mut self.slowdown),
        }
    }
}

/// Per-queue results.
#[derive(Serialize, Clone, Debug)]
pub struct QueueSummary {
    pub queue: String,
    pub agent: String,
    /// `None` is the default, highest level.
    pub priority: Option<i32>,
    pub submitted: u64,
    pub succeeded: u64,
    pub rejected: u64,
    #[serde(flatten)]
    pub timing: Timing,
    /// Time-averaged number of operations waiting on the queue.
    pub mean_queued: f64,
    pub max_queued: u32,
    pub cost: f64,
    /// Its fraction of all dominant-resource time used.
    pub share: f64,
    /// What an equal split among the queues that had work would give it.
    pub entitlement: f64,
}

/// Per-priority-level results.
#[derive(Serialize, Clone, Debug)]
pub struct PrioritySummary {
    /// `None` is the default, highest level.
    pub priority: Option<i32>,
    pub succeeded: u64,
    #[serde(flatten)]
    pub timing: Timing,
}

/// The whole `summary.json`.
#[derive(Serialize, Clone, Debug)]
pub struct Summary {
    pub schedlab_version: String,
    pub scenario: String,
    pub scenario_file: String,
    /// SHA-256 of the scenario file and, for trace workloads, the trace file.
    pub scenario_hash: String,
    pub seed: u64,
    pub dispatch: String,
    pub placement: String,
    pub nodes: u64,
    /// Operations per status (every status listed, zeros included).
    pub operations: BTreeMap<String, u64>,
    pub submitted: u64,
    /// Operations not in a terminal status when the run ended (cut by the horizon).
    pub unfinished: u64,
    pub horizon_reached: bool,
    /// Seconds from the start to the last event.
    pub makespan: f64,
    pub events: u64,
    #[serde(flatten)]
    pub timing: Timing,
    /// Fraction of each resource's capacity in use, averaged over the makespan.
    pub utilisation: BTreeMap<String, f64>,
    pub mean_queued: f64,
    pub max_queued: u32,
    pub preemptions: u64,
    /// Attempts ended because their node was lost (spot reclaims); retried, not failures.
    pub node_losses: u64,
    /// Seconds of attempts whose work was lost (preempted, failed, node failure).
    pub wasted_work: f64,
    pub cost: CostSummary,
    pub fairness: Fairness,
    pub per_queue: Vec<QueueSummary>,
    pub per_priority: Vec<PrioritySummary>,
}

/// Spending.
#[derive(Serialize, Clone, Debug)]
pub struct CostSummary {
    pub total: f64,
    pub per_queue: BTreeMap<String, f64>,
    pub per_project: BTreeMap<String, f64>,
}

/// How evenly queues were treated.
#[derive(Serialize, Clone, Debug)]
pub struct Fairness {
    /// Jain's index of the queues' mean bounded slowdowns: 1 when every queue saw the same
    /// slowdown, `1/n` when one queue took all of it.
    pub jain_slowdown: f64,
    /// Jain's index of share / entitlement over queues that had work.
    pub jain_share: f64,
}

/// Jain's fairness index of `x`: (Σx)² / (n·Σx²); 1 for an empty or all-zero set.
pub fn jain(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let s: f64 = x.iter().sum();
    let s2: f64 = x.iter().map(|v| v * v).sum();
    if n == 0.0 || s2 == 0.0 {
        1.0
    } else {
        round(s * s / (n * s2))
    }
}

/// Computes the summary of a finished run. `trace_bytes` are hashed with the scenario text.
pub fn summarise(scenario: &Scenario, run: &Run, seed: u64, trace_bytes: &[u8]) -> Summary {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(scenario.text.as_bytes());
    h.update([0u8]);
    h.update(trace_bytes);
    let hash = h.finalize().iter().map(|b| format!("{b:02x}")).collect::<String>();

    let k = &run.kernel;
    let queues = k.queues();
    let nq = queues.len();
    let mut all = TimingAcc::default();
    let mut per_q: Vec<TimingAcc> = (0..nq).map(|_| TimingAcc::default()).collect();
    let mut per_level: BTreeMap<i64, (Option<i32>, u64, TimingAcc)> = BTreeMap::new();
    let mut submitted_q = vec![0u64; nq];
    let mut succeeded_q = vec![0u64; nq];
    let mut rejected_q = vec![0u64; nq];
    let mut cost_q = vec![0f64; nq];
    let mut work_q = vec![0f64; nq];
    let mut cost_p: BTreeMap<String, f64> = BTreeMap::new();
    let mut unfinished = 0;
    let capacity = k.capacity();
    for (i, op) in k.ops().iter().enumerate() {
        if !op.status.is_terminal() {
            unfinished += 1;
        }
        let Some(q) = op.queue else { continue };
        let qi = q.index();
        submitted_q[qi] += 1;
        if op.status == Status::Rejected {
            rejected_q[qi] += 1;
        }
        let project = op.project.map(|p| k.projects()[p.index()].name.clone()).unwrap_or_default();
        // A run cut by the horizon still spends on what is running; count it up to the end.
        let mut cost = op.cost;
        if let (Status::Running, Some(s), Some(n)) = (op.status, op.started, op.node) {
            let node = &k.nodes()[n.index()].spec;
            cost += op.resources.dominant_share(&node.allocatable).min(1.0)
                * node.cost_per_hour
                * (run.end - s).max(0) as f64
                / 3_600_000.0;
        }
        cost_q[qi] += cost;
        *cost_p.entry(project).or_default() += cost;
        if let Some(s) = op.started {
            let end = op.ended.unwrap_or(run.end);
            work_q[qi] += op.resources.dominant_share(&capacity) * (end - s).max(0) as f64;
        }
        if op.status != Status::Succeeded {
            continue;
        }
        let (Some(s), Some(e)) = (op.first_started, op.ended) else {
            continue;
        };
        succeeded_q[qi] += 1;
        let dur = run.durations[i];
        all.push(op.submitted, s, e, dur);
        per_q[qi].push(op.submitted, s, e, dur);
        let spec = &queues[qi].spec;
        per_level.entry(spec.level()).or_insert_with(|| (spec.priority, 0, TimingAcc::default()));
        let entry = per_level.get_mut(&spec.level()).expect("inserted");
        entry.1 += 1;
        entry.2.push(op.submitted, s, e, dur);
    }

    let makespan_ms = run.end.max(1) as f64;
    let active: Vec<usize> = (0..nq).filter(|&i| submitted_q[i] > rejected_q[i]).collect();
    let total_work: f64 = work_q.iter().sum();
    let entitlement = if active.is_empty() { 0.0 } else { 1.0 / active.len() as f64 };
    let mut per_queue = Vec::with_capacity(nq);
    let mut slowdowns = Vec::new();
    let mut ratios = Vec::new();
    for (i, acc) in per_q.into_iter().enumerate() {
        let timing = acc.finish();
        let share = if total_work > 0.0 { work_q[i] / total_work } else { 0.0 };
        let is_active = active.contains(&i);
        if is_active {
            if timing.bounded_slowdown.count > 0 {
                slowdowns.push(timing.bounded_slowdown.mean);
            }
            ratios.push(if entitlement > 0.0 { share / entitlement } else { 0.0 });
        }
        let spec = &queues[i].spec;
        per_queue.push(QueueSummary {
            queue: spec.name.clone(),
            agent: k.agent(spec.agent).name.clone(),
            priority: spec.priority,
            submitted: submitted_q[i],
            succeeded: succeeded_q[i],
            rejected: rejected_q[i],
            timing,
            mean_queued: round(run.integrals.queued.get(i).copied().unwrap_or(0) as f64 / makespan_ms),
            max_queued: run.integrals.max_queued.get(i).copied().unwrap_or(0),
            cost: round(cost_q[i]),
            share: round(share),
            entitlement: if is_active { round(entitlement) } else { 0.0 },
        });
    }
    let per_priority = per_level
        .into_values()
        .rev()
        .map(|(priority, succeeded, acc)| PrioritySummary { priority, succeeded, timing: acc.finish() })
        .collect();

    let mut utilisation = BTreeMap::new();
    for (i, name) in scenario.resource_names.iter().enumerate() {
        let cap = capacity.get(i);
        if cap > 0 {
            utilisation
                .insert(name.clone(), round(run.integrals.used[i] as f64 / (cap as f64 * makespan_ms)));
        }
    }
    let operations = k.status_counts().into_iter().map(|(s, n)| (s.as_str().to_string(), n)).collect();
    let preemptions =
        run.attempts.iter().filter(|a| a.outcome == Some(crate::attempt::Outcome::Preempted)).count();
    // Work lost: what preemptions threw away (after checkpoints), plus whole failed attempts.
    let wasted: Time = k.ops().iter().map(|o| o.work_lost).sum::<Time>()
        + run
            .attempts
            .iter()
            .filter(|a| {
                // Preemptions and node losses count only what checkpoints did not save.
                a.outcome.is_some_and(|o| {
                    o.wastes_work()
                        && !matches!(
                            o,
                            crate::attempt::Outcome::Preempted | crate::attempt::Outcome::NodeFailure
                        )
                })
            })
            .map(|a| a.end.unwrap_or(run.end) - a.start)
            .sum::<Time>();
    let total_queued: u128 = run.integrals.queued.iter().sum();
    Summary {
        schedlab_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: scenario.name.clone(),
        scenario_file: scenario.file.display().to_string(),
        scenario_hash: format!("sha256:{hash}"),
        seed,
        dispatch: scenario.dispatch.clone(),
        placement: scenario.placement.clone(),
        nodes: scenario.node_count(),
        operations,
        submitted: k.ops().len() as u64,
        unfinished,
        horizon_reached: run.horizon_reached,
        makespan: run.end as f64 / 1000.0,
        events: run.events,
        timing: all.finish(),
        utilisation,
        mean_queued: round(total_queued as f64 / makespan_ms),
        max_queued: run.integrals.max_queued.iter().copied().max().unwrap_or(0),
        preemptions: preemptions as u64,
        node_losses: run
            .attempts
            .iter()
            .filter(|a| a.outcome == Some(crate::attempt::Outcome::NodeFailure))
            .count() as u64,
        wasted_work: wasted as f64 / 1000.0,
        cost: CostSummary {
            total: round(cost_q.iter().sum()),
            per_queue: per_queue.iter().map(|q| (q.queue.clone(), q.cost)).collect(),
            per_project: cost_p
                .into_iter()
                .map(|(k, v)| (if k.is_empty() { "(none)".into() } else { k }, round(v)))
                .collect(),
        },
        fairness: Fairness { jain_slowdown: jain(&slowdowns), jain_share: jain(&ratios) },
        per_queue,
        per_priority,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut v: Vec<f64> = (1..=100).map(f64::from).collect();
        let d = Dist::of(&mut v);
        assert_eq!((d.count, d.p50, d.p95, d.p99, d.max), (100, 50.0, 95.0, 99.0, 100.0));
        assert_eq!(d.mean, 50.5);
        assert_eq!(Dist::of(&mut []), Dist::default());
    }

    #[test]
    fn jain_index() {
        assert_eq!(jain(&[1.0, 1.0, 1.0]), 1.0);
        assert_eq!(jain(&[1.0, 0.0]), 0.5);
        assert_eq!(jain(&[]), 1.0);
    }
}
