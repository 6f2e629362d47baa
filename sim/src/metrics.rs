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
    /// Deadlines met and missed (the trace's `deadline` column).
    pub sla: Sla,
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

/// Deadlines (SLA, the trace's `deadline` column) met and missed.
///
/// Only operations with a deadline count. One *meets* its deadline when it ended `succeeded`
/// (a cache hit included) or `skipped` (its condition said it had nothing to do) at or before
/// the deadline. Every other operation with a deadline *violates* it, in exactly one way:
/// - `late`: it succeeded or was skipped, but after the deadline;
/// - `unsuccessful`: it ended without succeeding (`failed`, `stopped`, `upstream_failed`,
///   `rejected`), whenever that was: what it was meant to deliver was not there by the deadline;
/// - `unfinished`: it had not ended when the run ended (cut by the horizon, or never able to
///   run), even when the deadline lies after the run's end.
///
/// The lateness of a violation is `end − deadline` (the run's end for an unfinished
/// operation), and 0 when that is negative (it failed before its deadline).
#[derive(Serialize, Clone, Debug, Default, PartialEq)]
pub struct Sla {
    /// Operations that had a deadline.
    pub with_deadline: u64,
    pub met: u64,
    /// `late + unsuccessful + unfinished`.
    pub violated: u64,
    /// `violated / with_deadline`; 0 when no operation had a deadline.
    pub violation_rate: f64,
    pub late: u64,
    pub unsuccessful: u64,
    pub unfinished: u64,
    /// Seconds: the largest lateness of a violation; 0 when there is none.
    pub max_lateness: f64,
    /// Per queue that had operations with deadlines (`(none)`: rejected before a queue was
    /// chosen), by name.
    pub per_queue: BTreeMap<String, QueueSla>,
}

/// Deadlines of one queue's operations.
#[derive(Serialize, Clone, Debug, Default, PartialEq)]
pub struct QueueSla {
    pub with_deadline: u64,
    pub violated: u64,
    /// `violated / with_deadline`.
    pub violation_rate: f64,
    /// Seconds, as in [`Sla::max_lateness`].
    pub max_lateness: f64,
}

/// One operation with a deadline, as [`sla`] needs it.
struct DeadlineOp<'a> {
    queue: &'a str,
    deadline: Time,
    status: Status,
    ended: Option<Time>,
}

/// How an operation with a deadline fared (see [`Sla`]).
enum Verdict {
    Met,
    Late,
    Unsuccessful,
    Unfinished,
}

/// The SLA section from the operations that had a deadline; `run_end` ends the unfinished.
fn sla<'a>(ops: impl IntoIterator<Item = DeadlineOp<'a>>, run_end: Time) -> Sla {
    let mut out = Sla::default();
    let mut worst: Time = 0;
    let mut per_queue: BTreeMap<String, (u64, u64, Time)> = BTreeMap::new();
    for op in ops {
        let end = op.ended.unwrap_or(run_end);
        let verdict = if !op.status.is_terminal() {
            Verdict::Unfinished
        } else if matches!(op.status, Status::Succeeded | Status::Skipped) {
            if end <= op.deadline {
                Verdict::Met
            } else {
                Verdict::Late
            }
        } else {
            Verdict::Unsuccessful
        };
        out.with_deadline += 1;
        let q = per_queue.entry(op.queue.to_string()).or_default();
        q.0 += 1;
        match verdict {
            Verdict::Met => {
                out.met += 1;
                continue;
            }
            Verdict::Late => out.late += 1,
            Verdict::Unsuccessful => out.unsuccessful += 1,
            Verdict::Unfinished => out.unfinished += 1,
        }
        out.violated += 1;
        let lateness = (end - op.deadline).max(0);
        worst = worst.max(lateness);
        q.1 += 1;
        q.2 = q.2.max(lateness);
    }
    let rate = |violated: u64, of: u64| if of == 0 { 0.0 } else { round(violated as f64 / of as f64) };
    out.violation_rate = rate(out.violated, out.with_deadline);
    out.max_lateness = worst as f64 / 1000.0;
    out.per_queue = per_queue
        .into_iter()
        .map(|(name, (with_deadline, violated, late))| {
            let q = QueueSla {
                with_deadline,
                violated,
                violation_rate: rate(violated, with_deadline),
                max_lateness: late as f64 / 1000.0,
            };
            (name, q)
        })
        .collect();
    out
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
    let sla = sla(
        k.ops().iter().enumerate().filter_map(|(i, op)| {
            Some(DeadlineOp {
                queue: op.queue.map_or("(none)", |q| queues[q.index()].spec.name.as_str()),
                deadline: run.deadlines.get(i).copied().flatten()?,
                status: op.status,
                ended: op.ended,
            })
        }),
        run.end,
    );
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
        sla,
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
    fn sla_counts_each_violation_once_by_kind() {
        let op = |queue, deadline, status, ended| DeadlineOp { queue, deadline, status, ended };
        let s = sla(
            [
                // Met: succeeded exactly at the deadline, and a skip before it.
                op("a", 10_000, Status::Succeeded, Some(10_000)),
                op("a", 10_000, Status::Skipped, Some(4_000)),
                // Late by 2.5 s.
                op("a", 10_000, Status::Succeeded, Some(12_500)),
                // Unsuccessful: failed before its deadline (lateness 0), stopped 7 s after it.
                op("b", 50_000, Status::Failed, Some(20_000)),
                op("b", 1_000, Status::Stopped, Some(8_000)),
                op("(none)", 5_000, Status::Rejected, Some(0)),
                // Unfinished at the run's end (100 s): 40 s past its deadline; the other's
                // deadline is after the end, still a violation, lateness 0.
                op("b", 60_000, Status::Queued, None),
                op("a", 200_000, Status::Running, None),
            ],
            100_000,
        );
        assert_eq!((s.with_deadline, s.met, s.violated), (8, 2, 6));
        assert_eq!((s.late, s.unsuccessful, s.unfinished), (1, 3, 2));
        assert_eq!(s.violation_rate, 0.75);
        assert_eq!(s.max_lateness, 40.0);
        let q = |with_deadline, violated, violation_rate, max_lateness| QueueSla {
            with_deadline,
            violated,
            violation_rate,
            max_lateness,
        };
        let expected: BTreeMap<String, QueueSla> = [
            ("(none)".to_string(), q(1, 1, 1.0, 0.0)),
            ("a".to_string(), q(4, 2, 0.5, 2.5)),
            ("b".to_string(), q(3, 3, 1.0, 40.0)),
        ]
        .into_iter()
        .collect();
        assert_eq!(s.per_queue, expected);
        // Nothing with a deadline: zeros, and no division by zero.
        assert_eq!(sla([], 5_000), Sla::default());
        let json = serde_json::to_string(&sla([op("q", 3, Status::Succeeded, Some(1))], 9)).unwrap();
        assert_eq!(
            json,
            "{\"with_deadline\":1,\"met\":1,\"violated\":0,\"violation_rate\":0.0,\"late\":0,\
             \"unsuccessful\":0,\"unfinished\":0,\"max_lateness\":0.0,\"per_queue\":{\"q\":\
             {\"with_deadline\":1,\"violated\":0,\"violation_rate\":0.0,\"max_lateness\":0.0}}}"
        );
    }

    /// A one-node cluster replaying a trace with a `deadline` column, read from files like a
    /// real run.
    #[test]
    fn a_trace_with_deadlines_gives_the_sla_section() {
        let dir = std::env::temp_dir().join(format!("schedlab-sla-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let scenario = "name = \"sla\"\nseed = 1\nhorizon = \"650s\"\n\n\
            [policy]\ndispatch = \"fifo\"\nplacement = \"first-fit\"\n\n\
            [[agents]]\nname = \"a\"\n\n\
            [[pools]]\nname = \"node\"\nagent = \"a\"\nnodes = 1\ncpu = 4\nmemory = \"16Gi\"\n\n\
            [[queues]]\nname = \"q\"\nagent = \"a\"\n\n\
            [[queues]]\nname = \"r\"\nagent = \"a\"\n\n\
            [workload]\ntrace = \"sla.csv\"\n";
        // a: runs 0–100, met. b: waits for a, runs 100–200, 50 s late. c: runs 300–310, 5 s
        // late. d: no deadline. e: can never fit, rejected. g: still running at the horizon
        // (650 s), 30 s past its deadline.
        let trace = "id,submit,duration,cpu,mem_mib,queue,deadline\n\
            a,0,100,4,1024,q,150\n\
            b,10,100,4,1024,q,150\n\
            c,300,10,4,1024,r,305\n\
            d,400,10,4,1024,r,\n\
            e,450,10,64,1024,r,1000\n\
            g,600,1000,4,1024,q,620\n";
        std::fs::write(dir.join("sla.toml"), scenario).unwrap();
        std::fs::write(dir.join("sla.csv"), trace).unwrap();
        let scenario = Scenario::load(&dir.join("sla.toml")).unwrap();
        let w = crate::workload::load(&scenario, 1).unwrap();
        let opts = crate::engine::RunOptions { samples: false, statuses: false, progress: None };
        let run = crate::engine::run(&scenario, w, opts);
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(run.deadlines.iter().filter(|d| d.is_some()).count(), 5);
        let s = summarise(&scenario, &run, 1, b"");
        assert!(s.horizon_reached);
        let sla = &s.sla;
        assert_eq!((sla.with_deadline, sla.met, sla.violated), (5, 1, 4), "{sla:?}");
        assert_eq!((sla.late, sla.unsuccessful, sla.unfinished), (2, 1, 1), "{sla:?}");
        assert_eq!((sla.violation_rate, sla.max_lateness), (0.8, 50.0));
        assert_eq!(
            (sla.per_queue["q"].with_deadline, sla.per_queue["q"].violated, sla.per_queue["q"].max_lateness),
            (3, 2, 50.0)
        );
        assert_eq!(
            (sla.per_queue["r"].with_deadline, sla.per_queue["r"].violated, sla.per_queue["r"].max_lateness),
            (2, 2, 5.0)
        );
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["sla"]["violated"], 4);
        assert_eq!(json["sla"]["per_queue"]["r"]["violation_rate"], 1.0);
    }

    #[test]
    fn jain_index() {
        assert_eq!(jain(&[1.0, 1.0, 1.0]), 1.0);
        assert_eq!(jain(&[1.0, 0.0]), 0.5);
        assert_eq!(jain(&[]), 1.0);
    }
}
