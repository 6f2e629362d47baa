//! The discrete-event loop around the kernel.
//!
//! Events are ordered by (time, sequence number), so ties always resolve the same way. At
//! each distinct time the loop applies every attempt that ends then, submits every
//! operation that arrives then, and only then asks the kernel to decide, once for the batch
//! (and again at the same time while tuning runs react to it: trials submitted or stopped,
//! controllers ended; see [`crate::tuning`], whose hooks are the only tuning code here).
//! Arrivals are read from the time-ordered workload rather than pushed into the event heap,
//! which keeps the heap as small as the number of running attempts.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use schedlab_policies::model::{OpSpec, ProjectSpec, QueueRef, WorkflowSpec};
use schedlab_policies::resources::MAX_RESOURCES;
use schedlab_policies::{Decision, Kernel, Observation, OpId, Resources, Time};

use crate::attempt::{Attempt, Outcome};
use crate::lifecycle::{self, Approvals};
use crate::samples::{default_interval, Samples};
use crate::scenario::ActionKind;
use crate::scenario::Scenario;
use crate::tuning::{Book, Started, TrialRow, Tuning};
use crate::workload::Workload;

/// How far a run has got, reported every few tens of thousands of events.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub now: Time,
    pub submitted: u64,
    pub total: u64,
    pub finished: u64,
    pub events: u64,
}

/// Options of one run.
pub struct RunOptions<'a> {
    /// Take periodic samples for `timeseries.csv`.
    pub samples: bool,
    /// Keep every status transition for `statuses.csv`.
    pub statuses: bool,
    /// Called with progress now and then.
    pub progress: Option<&'a mut dyn FnMut(&Progress)>,
}

impl Default for RunOptions<'_> {
    fn default() -> Self {
        RunOptions { samples: true, statuses: true, progress: None }
    }
}

/// Time integrals over the run, for utilisation and queue lengths.
#[derive(Clone, Debug, Default)]
pub struct Integrals {
    /// Resource-milliseconds in use, per dimension.
    pub used: [u128; MAX_RESOURCES],
    /// Operation-milliseconds queued, per queue.
    pub queued: Vec<u128>,
    /// Most operations queued at once, per queue.
    pub max_queued: Vec<u32>,
}

/// Everything a finished run knows.
pub struct Run {
    pub kernel: Kernel,
    /// External id of each operation, by `OpId`.
    pub ids: Vec<String>,
    /// Requested run time of each operation, by `OpId`.
    pub durations: Vec<Time>,
    /// Finish-by time (SLA) of each operation, by `OpId`, if it has one.
    pub deadlines: Vec<Option<Time>>,
    pub attempts: Vec<Attempt>,
    /// Every status transition, in the order the kernel made them (empty unless asked for).
    pub statuses: Vec<schedlab_policies::kernel::StatusChange>,
    pub samples: Option<Samples>,
    pub integrals: Integrals,
    /// Time of the last event processed (or the horizon, when it cut the run).
    pub end: Time,
    pub horizon_reached: bool,
    pub events: u64,
    /// Scripted actions that could not be applied (the operation was not submitted yet, or
    /// already finished), one line each.
    pub warnings: Vec<String>,
    /// The trials of the scenario's tuning runs, for `trials.csv` (empty without any).
    pub trials: Vec<TrialRow>,
}

/// Runs the scenario's workload through its kernel.
pub fn run(scenario: &Scenario, workload: Workload, mut opts: RunOptions<'_>) -> Run {
    let mut kernel = scenario.build_kernel();
    kernel.record_statuses(opts.statuses);
    let Workload { mut records, deps, seed: run_seed, .. } = workload;
    let total = records.len();

    // Projects and workflows a trace names but the scenario does not declare are created
    // on the fly: unrestricted projects, unlimited top-level workflows.
    let default_project = scenario.default_project.as_deref();
    let mut project_of = Vec::with_capacity(total);
    let mut workflow_of = Vec::with_capacity(total);
    for r in &records {
        let p = r.project.as_deref().or(default_project).map(|name| {
            kernel.project_id(name).unwrap_or_else(|| {
                kernel
                    .add_project(ProjectSpec {
                        name: name.to_string(),
                        default_queue: None,
                        allowed_queues: None,
                    })
                    .expect("name was unknown")
            })
        });
        project_of.push(p);
        let w = r.workflow.as_deref().map(|name| {
            kernel.workflow_id(name).unwrap_or_else(|| {
                kernel
                    .add_workflow(WorkflowSpec { name: name.to_string(), concurrency: None, parent: None })
                    .expect("name was unknown")
            })
        });
        workflow_of.push(w);
    }

    let mut samples = opts.samples.then(|| {
        let interval = scenario.sample_interval.unwrap_or_else(|| {
            let last = records.iter().map(|r| r.submit.saturating_add(r.duration)).max().unwrap_or(0);
            default_interval(scenario.horizon.unwrap_or(last))
        });
        Samples::new(interval, kernel.queues().len())
    });
    let nq = kernel.queues().len();
    let mut integrals = Integrals { queued: vec![0; nq], max_queued: vec![0; nq], ..Default::default() };

    let mut ids = Vec::with_capacity(total);
    let mut durations = Vec::with_capacity(total);
    let mut deadlines = Vec::with_capacity(total);
    let mut op_of_record: Vec<OpId> = Vec::with_capacity(total);
    // The trace row each operation plays (a restarted operation plays its original's).
    let mut record_of: Vec<u32> = Vec::with_capacity(total);
    let mut attempt_of: Vec<u32> = Vec::with_capacity(total);
    let mut attempts: Vec<Attempt> = Vec::with_capacity(total);
    kernel.reserve_ops(total);
    // Attempt ends: (time, sequence, op, attempt, fails). The sequence makes equal times
    // deterministic; the attempt number tells a live end from one of an evicted attempt.
    let mut ends: BinaryHeap<Reverse<AttemptEnd>> = BinaryHeap::new();
    let mut current_attempt: Vec<u32> = Vec::with_capacity(total);
    let mut seq = 0u64;
    let mut next_record = 0usize;
    let mut decisions = Vec::new();
    let mut last = 0;
    let mut events = 0u64;
    let mut finished = 0u64;
    let mut next_report = 0u64;
    let mut horizon_reached = false;
    let mut reclaims = Reclaims::new(scenario, run_seed);
    let mut approvals = Approvals::new(scenario, run_seed);
    let actions = &scenario.lifecycle.actions;
    let mut next_action = 0usize;
    // Operations by id, kept only when actions name them.
    let mut by_id: std::collections::HashMap<String, OpId> = std::collections::HashMap::new();
    // Operations whose approval a scripted action gives: the simulated approvers leave them.
    let scripted: std::collections::HashSet<&str> = actions
        .iter()
        .filter(|a| matches!(a.kind, ActionKind::Approve | ActionKind::Reject))
        .map(|a| a.op.as_str())
        .collect();
    let mut warnings = Vec::new();
    // Tuning runs (see `crate::tuning`): they learn of trial ends from the kernel's endings.
    let mut tuning = Tuning::new(scenario, run_seed, &records);
    kernel.record_endings(tuning.is_active());
    // The per-operation records, lent to the tuning hooks (which add trials to them).
    macro_rules! book {
        () => {
            Book {
                ids: &mut ids,
                durations: &mut durations,
                deadlines: &mut deadlines,
                record_of: &mut record_of,
                attempt_of: &mut attempt_of,
                current_attempt: &mut current_attempt,
                attempts: &mut attempts,
                finished: &mut finished,
            }
        };
    }

    loop {
        // Attempts evicted since their end was scheduled leave stale entries: drop them.
        while let Some(&Reverse((_, _, op, attempt, _))) = ends.peek() {
            if current_attempt[op.index()] == attempt {
                break;
            }
            ends.pop();
        }
        let next_end = ends.peek().map(|e| e.0 .0);
        let next_arrival = records.get(next_record).map(|r| r.submit);
        let next_trial_report = tuning.next_time(&current_attempt);
        // The kernel's own wake-ups only matter while there is something left to happen.
        // With nothing running or arriving, wake-ups (a budget window turning over, a lost
        // node coming back) still matter while work waits for them.
        let busy = next_end.is_some() || next_arrival.is_some();
        let waiting = || kernel.queues().iter().any(|q| q.queued() > 0);
        let wake = kernel.next_wakeup().filter(|_| busy || waiting());
        // Timeouts and backoffs, approvals and scripted actions happen whatever else does.
        let must = [kernel.next_timer(), approvals.next_time(), actions.get(next_action).map(|a| a.at)];
        let base = [next_end, next_arrival, wake, next_trial_report].into_iter().chain(must).flatten().min();
        // Node events happen in time order with everything else; alone, they only matter
        // while a lost node holds back waiting work.
        let now = match (base, reclaims.next_time()) {
            (Some(b), Some(n)) => b.min(n),
            (Some(b), None) => b,
            (None, Some(n)) if reclaims.down > 0 && waiting() => n,
            (None, _) => break,
        };
        if let Some(h) = scenario.horizon {
            if now > h {
                horizon_reached = true;
                accumulate(&mut integrals, &kernel, last, h);
                last = h;
                break;
            }
        }
        if let Some(s) = samples.as_mut() {
            if s.next_time() < now {
                s.take_until(now - 1, &kernel);
            }
        }
        accumulate(&mut integrals, &kernel, last, now);
        last = now;

        // Trials' intermediate metrics due now. A report is always strictly before its trial's
        // end, so it never races the attempt ends below.
        events += tuning.fire_reports(now, &mut kernel, book!());

        while let Some(&Reverse((t, _, op, attempt, fails))) = ends.peek() {
            if t != now {
                break;
            }
            ends.pop();
            if current_attempt[op.index()] != attempt {
                continue;
            }
            current_attempt[op.index()] = 0;
            let outcome = if fails {
                let reason = "the attempt failed (simulated failure)".to_string();
                kernel
                    .observe(now, Observation::AttemptFailed { op, reason })
                    .expect("the simulator only ends attempts it started");
                Outcome::Failed
            } else {
                // A trial outputs its metric; any other operation its row's outputs.
                let outputs = tuning
                    .outputs(op)
                    .unwrap_or_else(|| records[record_of[op.index()] as usize].outputs.clone());
                if !outputs.is_empty() {
                    kernel.observe(now, Observation::Outputs { op, outputs }).expect("it runs");
                }
                kernel
                    .observe(now, Observation::AttemptSucceeded { op })
                    .expect("the simulator only ends attempts it started");
                Outcome::Succeeded
            };
            let a = &mut attempts[attempt_of[op.index()] as usize];
            a.end = Some(now);
            a.outcome = Some(outcome);
            events += 1;
            if kernel.op(op).is_some_and(|o| o.status.is_terminal()) {
                finished += 1;
            }
        }
        // Spot reclaims after the attempts that ended at the same instant, so those succeed.
        while let Some((node, restore)) = reclaims.pop_at(now) {
            let obs =
                if restore { Observation::NodeRestored { node } } else { Observation::NodeLost { node } };
            kernel.observe(now, obs).expect("the simulator alternates losses and restores");
            events += 1;
        }
        while let Some(r) = records.get_mut(next_record) {
            if r.submit != now {
                break;
            }
            // The id and constraints move out; the rest is read again by restarts.
            if !actions.is_empty() {
                by_id.insert(r.id.clone(), OpId(ids.len() as u32));
            }
            ids.push(std::mem::take(&mut r.id));
            let constraints = std::mem::take(&mut r.constraints);
            let r = &records[next_record];
            let queue = match r.queue.as_deref() {
                None => QueueRef::Default,
                Some(name) => match kernel.queue_id(name) {
                    Some(q) => QueueRef::Id(q),
                    None => QueueRef::Unknown(name.to_string()),
                },
            };
            let mut spec = OpSpec {
                queue,
                project: project_of[next_record],
                priority: r.priority.unwrap_or(0),
                workflow: workflow_of[next_record],
                resources: Resources::new(r.cpu_milli, r.mem_mib, r.gpu),
                depends_on: deps[next_record].iter().map(|&i| op_of_record[i as usize]).collect(),
                constraints,
                preemptible: r.preemptible.unwrap_or(true),
                checkpoint: r.checkpoint,
                replicas: r.replicas,
                trigger: r.trigger,
                skip_on_upstream_skip: false,
                estimate: Some(
                    r.estimate
                        .unwrap_or_else(|| (r.duration as f64 * scenario.estimate_factor).round() as Time),
                ),
                ..OpSpec::new(QueueRef::Default, Resources::ZERO)
            };
            lifecycle::apply(scenario, r, &mut spec);
            let id = kernel.submit(now, spec);
            op_of_record.push(id);
            record_of.push(next_record as u32);
            durations.push(r.duration);
            deadlines.push(r.deadline);
            attempt_of.push(u32::MAX);
            current_attempt.push(0);
            if kernel.op(id).is_some_and(|o| o.status.is_terminal()) {
                finished += 1;
            }
            next_record += 1;
            events += 1;
        }

        while let Some((op, approve)) = approvals.pop_at(now) {
            let obs = if approve {
                Observation::Approved { op }
            } else {
                Observation::ApprovalRejected { op, reason: "rejected by its approver (simulated)".into() }
            };
            // It may have been stopped while it waited; then the answer comes too late.
            let _ = kernel.observe(now, obs);
            events += 1;
        }
        while let Some(a) = actions.get(next_action).filter(|a| a.at == now) {
            next_action += 1;
            events += 1;
            let Some(&op) = by_id.get(&a.op) else {
                warnings.push(format!(
                    "{}:{}: at {}s, operation `{}` was not submitted yet; {} ignored",
                    scenario.file.display(),
                    a.line,
                    schedlab_policies::time::secs(now),
                    a.op,
                    a.kind.name()
                ));
                continue;
            };
            let how = match a.kind {
                ActionKind::Stop => Err(Observation::StopRequested { op }),
                ActionKind::Approve => Err(Observation::Approved { op }),
                ActionKind::Reject => Err(Observation::ApprovalRejected {
                    op,
                    reason: format!("rejected by a scripted action ({}:{})", scenario.file.display(), a.line),
                }),
                ActionKind::Restart => Ok(schedlab_policies::kernel::Resubmit::Restart),
                ActionKind::Resume => Ok(schedlab_policies::kernel::Resubmit::Resume),
                ActionKind::Copy => Ok(schedlab_policies::kernel::Resubmit::Copy),
            };
            let result = match how {
                Err(obs) => kernel.observe(now, obs).map_err(|e| e.0),
                Ok(how) => kernel.resubmit(now, op, how).map(|new| {
                    let base = format!("{}-{}", a.op, a.kind.name());
                    let mut name = base.clone();
                    let mut n = 1;
                    while by_id.contains_key(&name) || tuning.is_taken(&name) {
                        n += 1;
                        name = format!("{base}-{n}");
                    }
                    tuning.take(&name);
                    by_id.insert(name.clone(), new);
                    ids.push(name);
                    record_of.push(record_of[op.index()]);
                    durations.push(durations[op.index()]);
                    deadlines.push(None);
                    attempt_of.push(u32::MAX);
                    current_attempt.push(0);
                }),
            };
            if let Err(e) = result {
                warnings.push(format!(
                    "{}:{}: at {}s, {} `{}` was not applied: {e}",
                    scenario.file.display(),
                    a.line,
                    schedlab_policies::time::secs(now),
                    a.kind.name(),
                    a.op
                ));
            }
        }

        // Tuning runs react to what ended (and to controllers starting) by submitting and
        // stopping trials and ending controllers: decide again at the same instant until they
        // have nothing more to do. Without tuning runs this is a single pass.
        loop {
            decisions.clear();
            kernel.decide(now, &mut decisions);
            // An applied stop frees room (and may hand a cache key to a waiter that must ask
            // for approval): what that lets happen, happens now.
            let mut stopped = false;
            for d in &decisions {
                match *d {
                    Decision::Start { op, node } => {
                        kernel
                            .observe(now, Observation::AttemptStarted { op })
                            .expect("the kernel just scheduled it");
                        attempt_of[op.index()] = attempts.len() as u32;
                        attempts.push(Attempt {
                            op,
                            number: kernel.op(op).map(|o| o.attempts).unwrap_or(1),
                            node,
                            gang: kernel.op(op).map(|o| o.gang.clone()).unwrap_or_default(),
                            start: now,
                            end: None,
                            outcome: None,
                        });
                        // A resumed operation runs only what its checkpoints did not save.
                        let left = (durations[op.index()] - kernel.op(op).map_or(0, |o| o.saved)).max(0);
                        let number = kernel.op(op).map_or(1, |o| o.attempts);
                        current_attempt[op.index()] = number;
                        let record = record_of[op.index()];
                        let fails = match tuning.started(now, op, record, number, &mut kernel, book!()) {
                            // Its sweep ends it.
                            Started::Controller => continue,
                            Started::Trial { fails } => fails.then_some(1.0),
                            Started::Plain => {
                                let r = &records[record as usize];
                                let p = lifecycle::fail_probability(
                                    scenario,
                                    r,
                                    kernel.op(op).and_then(|o| o.queue).map(|q| q.index()),
                                );
                                lifecycle::attempt_failure(run_seed, op, number, p)
                            }
                        };
                        let (end, fails) = match fails {
                            Some(f) => (now.saturating_add((left as f64 * f) as Time), true),
                            None => (now.saturating_add(left), false),
                        };
                        ends.push(Reverse((end, seq, op, number, fails)));
                        seq += 1;
                    }
                    Decision::Timeout { op } => {
                        // The kernel already ended the attempt (retrying or failing the operation).
                        current_attempt[op.index()] = 0;
                        let a = &mut attempts[attempt_of[op.index()] as usize];
                        a.end = Some(now);
                        a.outcome = Some(Outcome::Timeout);
                        tuning.interrupted(now, op, "timed out", &mut kernel);
                    }
                    Decision::AwaitApproval { op } => {
                        if !scripted.contains(ids[op.index()].as_str()) {
                            approvals.ask(op, now);
                        }
                    }
                    Decision::Preempt { op } => {
                        // The kernel already requeued it and reused its room; end the attempt.
                        current_attempt[op.index()] = 0;
                        let a = &mut attempts[attempt_of[op.index()] as usize];
                        a.end = Some(now);
                        // Evictions never take from a lost node: an attempt with a replica there lost its node.
                        let lost = a.nodes().any(|n| !kernel.nodes()[n.index()].is_up());
                        a.outcome = Some(if lost { Outcome::NodeFailure } else { Outcome::Preempted });
                        let why = if lost { "lost its node" } else { "was preempted" };
                        tuning.interrupted(now, op, why, &mut kernel);
                    }
                    Decision::Stop { op } => {
                        // A stop asked for at the instant the attempt ended comes too late.
                        if kernel.observe(now, Observation::AttemptStopped { op }).is_err() {
                            continue;
                        }
                        current_attempt[op.index()] = 0;
                        let a = &mut attempts[attempt_of[op.index()] as usize];
                        a.end = Some(now);
                        a.outcome = Some(Outcome::Stopped);
                        finished += 1;
                        stopped = true;
                        tuning.interrupted(now, op, "was stopped", &mut kernel);
                    }
                }
            }
            if !tuning.settle(now, &mut kernel, book!()) && !stopped {
                break;
            }
        }
        if let Some(cb) = opts.progress.as_mut() {
            if events >= next_report {
                next_report = events + (1 << 16);
                cb(&Progress { now, submitted: next_record as u64, total: total as u64, finished, events });
            }
        }
    }
    let end = last;
    if let Some(s) = samples.as_mut() {
        s.take_until(end, &kernel);
    }
    if let Some(cb) = opts.progress.as_mut() {
        cb(&Progress { now: end, submitted: next_record as u64, total: total as u64, finished, events });
    }
    let statuses = kernel.take_status_changes();
    let trials = tuning.rows(&kernel, &ids);
    Run {
        kernel,
        ids,
        durations,
        deadlines,
        attempts,
        statuses,
        samples,
        integrals,
        end,
        horizon_reached,
        events,
        warnings,
        trials,
    }
}

/// When an attempt ends: (time, sequence, operation, attempt number, whether it fails).
type AttemptEnd = (Time, u64, OpId, u32, bool);

/// Spot reclaims: each spot node alternates between up (for an exponentially distributed
/// time, mean one hour over its pool's `reclaims_per_hour`) and down (the pool's downtime).
/// Each node draws from its own ChaCha stream, so adding a pool or a node leaves the others'
/// reclaim times unchanged.
struct Reclaims {
    heap: BinaryHeap<Reverse<(Time, u32, bool)>>,
    rngs: Vec<Option<(rand_chacha::ChaCha8Rng, f64, Time)>>,
    /// Nodes lost now.
    down: u32,
}

impl Reclaims {
    fn new(scenario: &Scenario, seed: u64) -> Reclaims {
        use rand::SeedableRng;
        let mut r = Reclaims { heap: BinaryHeap::new(), rngs: Vec::new(), down: 0 };
        let mut index = 0u32;
        for pool in &scenario.pools {
            for _ in 0..pool.nodes {
                let model = pool.spot.filter(|s| s.reclaims_per_hour > 0.0).map(|s| {
                    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
                    rng.set_stream(0x5907_0000_0000 + u64::from(index));
                    (rng, s.reclaims_per_hour, s.downtime)
                });
                r.rngs.push(model);
                r.schedule_loss(index, 0);
                index += 1;
            }
        }
        r
    }

    fn schedule_loss(&mut self, node: u32, from: Time) {
        use rand::Rng;
        if let Some((rng, rate, _)) = self.rngs[node as usize].as_mut() {
            // Inverse-CDF exponential draw; 1 - u is in (0, 1], so the log is finite.
            let u: f64 = rng.gen();
            let hours = -(1.0 - u).ln() / *rate;
            let dt = (hours * schedlab_policies::time::HOUR as f64).round().min(1e15) as Time;
            self.heap.push(Reverse((from.saturating_add(dt.max(1)), node, false)));
        }
    }

    fn next_time(&self) -> Option<Time> {
        self.heap.peek().map(|e| e.0 .0)
    }

    /// The next node event at `now`, scheduling its follow-up: a loss is followed by its
    /// restore after the downtime, a restore by the next loss.
    fn pop_at(&mut self, now: Time) -> Option<(schedlab_policies::NodeId, bool)> {
        let &Reverse((t, node, restore)) = self.heap.peek()?;
        if t != now {
            return None;
        }
        self.heap.pop();
        if restore {
            self.down -= 1;
            self.schedule_loss(node, now);
        } else if let Some((_, _, downtime)) = self.rngs[node as usize] {
            self.down += 1;
            self.heap.push(Reverse((now.saturating_add(downtime), node, true)));
        }
        Some((schedlab_policies::NodeId(node), restore))
    }
}

fn accumulate(integrals: &mut Integrals, kernel: &Kernel, from: Time, to: Time) {
    let dt = (to - from).max(0) as u128;
    let used = kernel.used();
    for (acc, u) in integrals.used.iter_mut().zip(used.0.iter()) {
        *acc += *u as u128 * dt;
    }
    for (i, q) in kernel.queues().iter().enumerate() {
        integrals.queued[i] += q.queued() as u128 * dt;
        integrals.max_queued[i] = integrals.max_queued[i].max(q.queued());
    }
}
