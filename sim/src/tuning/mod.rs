//! Tuning runs in the simulator: the `[[tuning]]` sweeps of a scenario played as operations
//! of the kernel, driven by the pure [`Sweep`] state machine of `schedlab_policies::tuning`.
//!
//! # How a tuning run plays
//!
//! - **The controller** is an ordinary row of the workload, named by `[[tuning]] op`. It is
//!   submitted, waits for its upstream, its workflows and its queue like any other row. When it
//!   starts running, the simulator creates the sweep's workflow (named after the operation's
//!   id; its parent is the row's workflow, so a sweep inside a DAG is a nested workflow and
//!   the DAG's controller concurrency counts the controller operation and the trials
//!   together), calls [`Sweep::start`] and submits its trials. The controller then runs until
//!   the sweep finishes: its own duration is ignored (`ops.csv` shows how long it ran).
//! - **Trials** are operations of the sweep's workflow named `{op}-{index}` (with `-2`, `-3`…
//!   appended when that id is taken), with the trial's params as inputs, on the configured
//!   queue and request (default: the controller's), the controller's project and priority and
//!   the row's `preemptible` and `checkpoint`, and no cache. Their duration, failure and
//!   metric curve come from [`simulate_trial`] with a seed derived from the run's seed and the
//!   controller's id (the model keys each trial's noise by its index and params). Hyperband's
//!   later rungs are submitted only when the sweep creates them, when the previous rung ended.
//! - **Reports.** A running trial reports its curve to the sweep at each point's offset from
//!   the start of its attempt, one event at a time, ordered with everything else by (time,
//!   sequence number). The point at the very end of a trial is not reported: it is the final
//!   metric, which the sweep gets with the trial's end (so early stopping never stops a trial
//!   at the instant it completes). After a preemption or a retry the next attempt replays the
//!   curve from its own start, less the work its checkpoints saved, and only steps the sweep
//!   has not seen yet are reported again.
//! - **Ends.** Every trial end the kernel records ([`Kernel::take_ended`]) is told to the sweep
//!   (`succeeded` with the model's final metric, which the trial also outputs as
//!   `{<metric> = value}`; `stopped`; anything else is a failure). An early-stopping
//!   [`Action::Stop`] asks the kernel to stop the trial (its reason is kept for `trials.csv`;
//!   the kernel's `stopped` status has its own).
//! - **Finish.** Trials still pending or running are stopped, then the controller ends:
//!   `succeeded` with the outputs `best_<metric>`, `best_trial` (the trial's operation id) and
//!   the best trial's params prefixed by `best_` (then the row's own outputs) when some trial
//!   succeeded, else `failed` with the sweep's reason. Rows that depend on the controller run
//!   as usual and their conditions can read those outputs.
//! - **Interruptions.** A controller that is preempted, loses its node, times out or is
//!   stopped abandons its sweep: its trials are stopped. If it runs again (a preemption, a
//!   retry), the sweep starts over, with the same trials (same seed) under new ids.

mod run;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use schedlab_policies::expr::{fmt_params, Params, Value};
use schedlab_policies::model::{OpSpec, QueueRef, Status, WorkflowSpec};
use schedlab_policies::resources::{CPU, GPU, MEM};
use schedlab_policies::tuning::{simulate_trial, Action, Sweep, Trial, TrialEnd};
use schedlab_policies::{Kernel, Observation, OpId, Time, WorkflowId};
use schedlab_traces::TraceRecord;

use crate::attempt::{Attempt, Outcome};
use crate::scenario::{Scenario, TuningConfig};
use run::{RunState, SweepRun, TrialRun};

/// Stream tag of the sweeps' seeds.
const SWEEP_STREAM: u64 = 0x7475_6e65 << 32;

/// The engine's per-operation records (indexed by `OpId`), which trials join and controller
/// ends update.
pub struct Book<'a> {
    pub ids: &'a mut Vec<String>,
    pub durations: &'a mut Vec<Time>,
    pub deadlines: &'a mut Vec<Option<Time>>,
    pub record_of: &'a mut Vec<u32>,
    pub attempt_of: &'a mut Vec<u32>,
    pub current_attempt: &'a mut Vec<u32>,
    pub attempts: &'a mut Vec<Attempt>,
    pub finished: &'a mut u64,
}

/// What the engine does with an attempt that just started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Started {
    /// Not a tuning operation: the row's duration and failure chance apply.
    Plain,
    /// A controller: its sweep started; it ends when the sweep finishes, not by itself.
    Controller,
    /// A trial: it runs its duration and fails if its model says so.
    Trial { fails: bool },
}

/// One row of `trials.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct TrialRow {
    /// The controller operation's id.
    pub tuning: String,
    /// The trial's index in its sweep (creation order).
    pub trial: u32,
    /// The trial operation's id.
    pub id: String,
    /// Its inputs, `key=value;…` as in traces.
    pub params: String,
    /// Its status when the run ended.
    pub status: &'static str,
    /// The metric it ended with, when it succeeded.
    pub final_metric: Option<f64>,
    /// Why it was stopped (early stopping, the sweep's end, its controller), when it was.
    pub stop_reason: Option<String>,
}

/// What a controller row brings to its sweep.
struct Row<'s> {
    config: &'s TuningConfig,
    preemptible: bool,
    checkpoint: Option<Time>,
    /// The row's own outputs, which its controller outputs after the best trial's.
    outputs: Params,
}

#[derive(Clone, Copy, Debug)]
enum Role {
    /// The controller of this run (its latest).
    Controller(usize),
    /// Trial `index` of this run.
    Trial(usize, u32),
}

/// A due report: (time, sequence, trial, its attempt then, curve point).
type Report = (Time, u64, OpId, u32, u32);

/// The tuning runs of one simulation. Everything is keyed by operation or ordered by
/// sequence numbers; nothing depends on hash order.
pub struct Tuning<'s> {
    run_seed: u64,
    estimate_factor: f64,
    /// Controller rows by position in the workload.
    rows: HashMap<u32, Row<'s>>,
    /// Every operation id in use, so that trial ids never collide with another.
    taken: HashSet<String>,
    roles: HashMap<OpId, Role>,
    /// The sweep workflow of each controller operation (kept for its later runs).
    workflows: HashMap<OpId, WorkflowId>,
    runs: Vec<SweepRun>,
    reports: BinaryHeap<Reverse<Report>>,
    seq: u64,
    /// Something changed in the kernel that calls for another decision pass.
    dirty: bool,
}

impl<'s> Tuning<'s> {
    /// The tuning runs of `scenario` over the workload `records` (before the engine moves
    /// their ids out). Empty, and free, when the scenario has none.
    pub fn new(scenario: &'s Scenario, run_seed: u64, records: &[TraceRecord]) -> Tuning<'s> {
        let mut t = Tuning {
            run_seed,
            estimate_factor: scenario.estimate_factor,
            rows: HashMap::new(),
            taken: HashSet::new(),
            roles: HashMap::new(),
            workflows: HashMap::new(),
            runs: Vec::new(),
            reports: BinaryHeap::new(),
            seq: 0,
            dirty: false,
        };
        if scenario.tuning.is_empty() {
            return t;
        }
        let configs: HashMap<&str, &TuningConfig> =
            scenario.tuning.iter().map(|c| (c.op.as_str(), c)).collect();
        t.taken.reserve(records.len());
        for (i, r) in records.iter().enumerate() {
            t.taken.insert(r.id.clone());
            if let Some(config) = configs.get(r.id.as_str()) {
                let row = Row {
                    config,
                    preemptible: r.preemptible.unwrap_or(true),
                    checkpoint: r.checkpoint,
                    outputs: r.outputs.clone(),
                };
                t.rows.insert(i as u32, row);
            }
        }
        t
    }

    /// Whether any operation of the workload runs a sweep (the engine then records endings).
    pub fn is_active(&self) -> bool {
        !self.rows.is_empty()
    }

    /// Whether `name` is an operation id in use (only tracked while tuning is active).
    pub fn is_taken(&self, name: &str) -> bool {
        self.taken.contains(name)
    }

    /// Marks `name` as in use (an operation the engine named, such as a restart).
    pub fn take(&mut self, name: &str) {
        if self.is_active() {
            self.taken.insert(name.to_string());
        }
    }

    /// When the next report is due (stale ones, of attempts that ended, are dropped first).
    pub fn next_time(&mut self, current_attempt: &[u32]) -> Option<Time> {
        while let Some(&Reverse((t, _, op, attempt, _))) = self.reports.peek() {
            if current_attempt.get(op.index()) == Some(&attempt) {
                return Some(t);
            }
            self.reports.pop();
        }
        None
    }

    /// Attempt `number` of `op` (whose row is `record`) started at `now`.
    pub fn started(
        &mut self,
        now: Time,
        op: OpId,
        record: u32,
        number: u32,
        kernel: &mut Kernel,
        book: Book<'_>,
    ) -> Started {
        if !self.is_active() {
            return Started::Plain;
        }
        if let Some(&Role::Trial(run, index)) = self.roles.get(&op) {
            let saved = kernel.op(op).map_or(0, |o| o.saved);
            let Some(trial) = self.runs[run].trials.get_mut(index as usize) else { return Started::Plain };
            trial.attempt = number;
            trial.attempt_start = now;
            trial.saved = saved;
            let fails = trial.outcome.failed;
            self.schedule_report(run, index);
            return Started::Trial { fails };
        }
        if self.rows.contains_key(&record) {
            self.start_sweep(now, op, record, kernel, book);
            return Started::Controller;
        }
        Started::Plain
    }

    /// The outputs a trial reports when it succeeds: `{<metric> = final metric}`.
    pub fn outputs(&self, op: OpId) -> Option<Params> {
        let Role::Trial(run, index) = *self.roles.get(&op)? else { return None };
        let r = &self.runs[run];
        let t = r.trials.get(index as usize)?;
        Some(vec![(r.sweep.spec().metric.name.clone(), Value::Num(t.outcome.final_metric))])
    }

    /// Delivers the reports due at `now` to their sweeps, and applies what the sweeps do.
    /// Returns how many were delivered.
    pub fn fire_reports(&mut self, now: Time, kernel: &mut Kernel, mut book: Book<'_>) -> u64 {
        let mut fired = 0;
        while let Some(&Reverse((t, _, op, attempt, point))) = self.reports.peek() {
            if t > now {
                break;
            }
            self.reports.pop();
            if book.current_attempt.get(op.index()) != Some(&attempt) {
                continue;
            }
            let Some(&Role::Trial(run, index)) = self.roles.get(&op) else { continue };
            let r = &mut self.runs[run];
            let Some(trial) = r.trials.get_mut(index as usize) else { continue };
            let Some(&(step, _, metric)) = trial.outcome.curve.get(point as usize) else { continue };
            if r.state != RunState::Running || trial.stop_reason.is_some() {
                continue;
            }
            trial.next_point = point as usize + 1;
            fired += 1;
            let actions = r.sweep.report(index, step, metric);
            self.schedule_report(run, index);
            self.apply(run, actions, now, kernel, &mut book);
        }
        fired
    }

    /// The kernel took `op`'s attempt away (`why`: "was preempted", "timed out", …). For a
    /// controller, its sweep is abandoned and its trials stopped; nothing for other operations.
    pub fn interrupted(&mut self, now: Time, op: OpId, why: &str, kernel: &mut Kernel) {
        if let Some(&Role::Controller(run)) = self.roles.get(&op) {
            if self.runs[run].state == RunState::Running {
                let reason = format!("its controller `{}` {why}", self.runs[run].name);
                self.abandon(run, reason, now, kernel);
            }
        }
    }

    /// Tells the sweeps which of their operations ended since the last call and applies
    /// what they do. Returns whether the kernel changed since the last decision pass (trials
    /// submitted or stopped, a controller ended): then the engine decides again at `now`.
    pub fn settle(&mut self, now: Time, kernel: &mut Kernel, mut book: Book<'_>) -> bool {
        if !self.is_active() {
            return false;
        }
        loop {
            let ended = kernel.take_ended();
            if ended.is_empty() {
                break;
            }
            for op in ended {
                match self.roles.get(&op).copied() {
                    // What a trial's end frees, the kernel saw already (or sees at the next
                    // event, as for any stop); only what the sweep does in answer needs a pass.
                    Some(Role::Trial(run, index)) => self.trial_ended(run, index, op, now, kernel, &mut book),
                    Some(Role::Controller(run)) if self.runs[run].state == RunState::Running => {
                        // Ended by something the engine did not announce: never leave trials
                        // running for a controller that is gone.
                        let status = kernel.op(op).map_or("ended", |o| o.status.as_str());
                        let reason = format!("its controller `{}` ended {status}", self.runs[run].name);
                        self.abandon(run, reason, now, kernel);
                    }
                    _ => {}
                }
            }
        }
        std::mem::take(&mut self.dirty)
    }

    /// One row per trial: sweeps in the order they started, trials in index order.
    pub fn rows(&self, kernel: &Kernel, ids: &[String]) -> Vec<TrialRow> {
        let mut out = Vec::new();
        for r in &self.runs {
            for (index, t) in r.trials.iter().enumerate() {
                let status = kernel.op(t.op).map_or(Status::Created, |o| o.status);
                out.push(TrialRow {
                    tuning: r.name.clone(),
                    trial: index as u32,
                    id: ids.get(t.op.index()).cloned().unwrap_or_default(),
                    params: fmt_params(&t.params),
                    status: status.as_str(),
                    final_metric: (status == Status::Succeeded).then_some(t.outcome.final_metric),
                    stop_reason: t.stop_reason.clone().filter(|_| status == Status::Stopped),
                });
            }
        }
        out
    }

    // ----- inside ------------------------------------------------------------------------

    /// The controller `op` (row `record`) started: a new sweep, its workflow, its first trials.
    fn start_sweep(&mut self, now: Time, op: OpId, record: u32, kernel: &mut Kernel, mut book: Book<'_>) {
        let config = self.rows[&record].config;
        let name = book.ids[op.index()].clone();
        let seed = sweep_seed(self.run_seed, &config.op);
        let sweep = match Sweep::new(config.spec.clone(), seed) {
            Ok(s) => s,
            Err(e) => {
                // The spec was checked when the scenario loaded; fail rather than panic.
                let reason = format!("the sweep cannot run: {e}");
                let _ = kernel.observe(now, Observation::AttemptFailed { op, reason });
                close_attempt(op, now, Outcome::Failed, kernel, &mut book);
                self.dirty = true;
                return;
            }
        };
        let workflow = match self.workflows.get(&op) {
            Some(&w) => w,
            None => {
                let parent = kernel.op(op).and_then(|o| o.workflow);
                let mut wname = name.clone();
                let mut n = 1;
                while kernel.workflow_id(&wname).is_some() {
                    n += 1;
                    wname = format!("{name}-{n}");
                }
                let spec = WorkflowSpec { name: wname, concurrency: config.concurrency, parent };
                let w = kernel.add_workflow(spec).expect("a fresh name under an existing parent");
                self.workflows.insert(op, w);
                w
            }
        };
        let run = self.runs.len();
        self.runs.push(SweepRun {
            record,
            controller: op,
            name,
            workflow,
            seed,
            sweep,
            trials: Vec::new(),
            started: now,
            state: RunState::Running,
        });
        self.roles.insert(op, Role::Controller(run));
        let actions = self.runs[run].sweep.start();
        self.apply(run, actions, now, kernel, &mut book);
    }

    /// Applies a sweep's actions, in order.
    fn apply(
        &mut self,
        run: usize,
        actions: Vec<Action>,
        now: Time,
        kernel: &mut Kernel,
        book: &mut Book<'_>,
    ) {
        for a in actions {
            if self.runs[run].state != RunState::Running {
                return;
            }
            match a {
                Action::Create(trial) => self.create_trial(run, trial, now, kernel, book),
                Action::Stop { index, reason } => {
                    if let Some(t) = self.runs[run].trials.get_mut(index as usize) {
                        t.stop_reason = Some(reason);
                        let op = t.op;
                        self.stop(op, now, kernel);
                    }
                }
                Action::Finish { reason } => self.finish(run, reason, now, kernel, book),
            }
        }
    }

    /// Submits a trial of `run`.
    fn create_trial(
        &mut self,
        run: usize,
        trial: Trial,
        now: Time,
        kernel: &mut Kernel,
        book: &mut Book<'_>,
    ) {
        let r = &self.runs[run];
        let row = &self.rows[&r.record];
        let config = row.config;
        let Some(ctrl) = kernel.op(r.controller) else { return };
        let outcome = simulate_trial(&config.model, &config.spec, &trial, r.seed);
        let mut resources = ctrl.resources;
        for (dim, v) in [(CPU, config.cpu_milli), (MEM, config.mem_mib), (GPU, config.gpu)] {
            if let Some(v) = v {
                resources.0[dim] = v;
            }
        }
        let queue = match config.queue.or(ctrl.queue) {
            Some(q) => QueueRef::Id(q),
            None => QueueRef::Default,
        };
        let spec = OpSpec {
            project: ctrl.project,
            priority: ctrl.priority,
            workflow: Some(r.workflow),
            preemptible: row.preemptible,
            checkpoint: row.checkpoint,
            estimate: Some((outcome.duration as f64 * self.estimate_factor).round() as Time),
            inputs: trial.params.clone(),
            ..OpSpec::new(queue, resources)
        };
        let base = format!("{}-{}", r.name, trial.index);
        let record = book.record_of[r.controller.index()];
        let id = kernel.submit(now, spec);
        let name = self.unique(base);
        book.ids.push(name);
        book.durations.push(outcome.duration);
        book.deadlines.push(None);
        book.record_of.push(record);
        book.attempt_of.push(u32::MAX);
        book.current_attempt.push(0);
        if kernel.op(id).is_some_and(|o| o.status.is_terminal()) {
            *book.finished += 1;
        }
        self.roles.insert(id, Role::Trial(run, trial.index));
        self.runs[run].trials.push(TrialRun::new(id, trial.params, outcome));
        self.dirty = true;
    }

    /// `base`, or `base-2`, `base-3`… whichever is free first; now taken.
    fn unique(&mut self, base: String) -> String {
        let mut name = base.clone();
        let mut n = 1;
        while self.taken.contains(&name) {
            n += 1;
            name = format!("{base}-{n}");
        }
        self.taken.insert(name.clone());
        name
    }

    /// Asks the kernel to stop `op` (refused, harmlessly, when it already ended).
    fn stop(&mut self, op: OpId, now: Time, kernel: &mut Kernel) {
        if kernel.observe(now, Observation::StopRequested { op }).is_ok() {
            self.dirty = true;
        }
    }

    /// Trials of `run` that have not ended are stopped for `reason`.
    fn stop_unfinished(&mut self, run: usize, reason: &str, now: Time, kernel: &mut Kernel) {
        let unfinished: Vec<OpId> = self.runs[run]
            .trials
            .iter_mut()
            .filter(|t| !t.ended)
            .map(|t| {
                t.stop_reason.get_or_insert_with(|| reason.to_string());
                t.op
            })
            .collect();
        for op in unfinished {
            self.stop(op, now, kernel);
        }
    }

    /// The sweep finished: stop what runs, then end the controller with the best trial.
    fn finish(&mut self, run: usize, reason: String, now: Time, kernel: &mut Kernel, book: &mut Book<'_>) {
        self.runs[run].state = RunState::Finished;
        self.stop_unfinished(run, &format!("the sweep finished: {reason}"), now, kernel);
        let r = &self.runs[run];
        let op = r.controller;
        if !kernel.op(op).is_some_and(|o| matches!(o.status, Status::Running | Status::Scheduled)) {
            return;
        }
        book.durations[op.index()] = now - r.started;
        let outcome = match r.best_outputs(book.ids) {
            Some(mut outputs) => {
                for (k, v) in &self.rows[&r.record].outputs {
                    if !outputs.iter().any(|(n, _)| n == k) {
                        outputs.push((k.clone(), v.clone()));
                    }
                }
                let _ = kernel.observe(now, Observation::Outputs { op, outputs });
                let _ = kernel.observe(now, Observation::AttemptSucceeded { op });
                Outcome::Succeeded
            }
            None => {
                let reason = format!("no trial succeeded ({reason})");
                let _ = kernel.observe(now, Observation::AttemptFailed { op, reason });
                Outcome::Failed
            }
        };
        close_attempt(op, now, outcome, kernel, book);
        self.dirty = true;
    }

    /// The controller of `run` lost its attempt: stop the trials, forget the sweep.
    fn abandon(&mut self, run: usize, reason: String, now: Time, kernel: &mut Kernel) {
        self.runs[run].state = RunState::Abandoned;
        self.stop_unfinished(run, &reason, now, kernel);
        self.dirty = true;
    }

    /// Trial `index` of `run` (operation `op`) ended in the kernel.
    fn trial_ended(
        &mut self,
        run: usize,
        index: u32,
        op: OpId,
        now: Time,
        kernel: &mut Kernel,
        book: &mut Book<'_>,
    ) {
        let r = &mut self.runs[run];
        let Some(t) = r.trials.get_mut(index as usize) else { return };
        t.ended = true;
        // Its curve was for reports, and it reports no more: keep only what trials.csv needs.
        t.outcome.curve = Vec::new();
        let end = match kernel.op(op).map(|o| o.status) {
            Some(Status::Succeeded) => TrialEnd::Succeeded { metric: Some(t.outcome.final_metric) },
            Some(Status::Stopped | Status::Skipped) => TrialEnd::Stopped,
            _ => TrialEnd::Failed,
        };
        let actions = r.sweep.ended(index, end);
        // An abandoned sweep's answers (say, Hyperband's next rung) are not acted on.
        if r.state == RunState::Running {
            self.apply(run, actions, now, kernel, book);
        }
    }

    /// Schedules the next report of trial `index` of `run`, if it has one left.
    fn schedule_report(&mut self, run: usize, index: u32) {
        let r = &self.runs[run];
        let Some(t) = r.trials.get(index as usize) else { return };
        if r.state != RunState::Running || t.stop_reason.is_some() || t.attempt == 0 {
            return;
        }
        let Some(&(_, offset, _)) = t.outcome.curve.get(t.next_point) else { return };
        if offset >= t.outcome.duration {
            return;
        }
        let at = t.attempt_start.saturating_add((offset - t.saved).max(0));
        self.reports.push(Reverse((at, self.seq, t.op, t.attempt, t.next_point as u32)));
        self.seq += 1;
    }
}

/// Ends the engine's record of `op`'s current attempt (the kernel was just told).
fn close_attempt(op: OpId, now: Time, outcome: Outcome, kernel: &Kernel, book: &mut Book<'_>) {
    book.current_attempt[op.index()] = 0;
    if let Some(a) = book.attempts.get_mut(book.attempt_of[op.index()] as usize) {
        a.end = Some(now);
        a.outcome = Some(outcome);
    }
    if kernel.op(op).is_some_and(|o| o.status.is_terminal()) {
        *book.finished += 1;
    }
}

/// The seed of the sweeps `op` runs: the run's seed on a stream named by the operation, so
/// that each `[[tuning]]` has its own landscape and adding one leaves the others unchanged.
fn sweep_seed(run_seed: u64, op: &str) -> u64 {
    // FNV-1a: stable across Rust versions, unlike the standard hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in op.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(run_seed);
    rng.set_stream(SWEEP_STREAM ^ h);
    rng.gen()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweep_seeds_depend_on_the_run_seed_and_the_operation() {
        assert_eq!(sweep_seed(1, "a"), sweep_seed(1, "a"));
        assert_ne!(sweep_seed(1, "a"), sweep_seed(2, "a"));
        assert_ne!(sweep_seed(1, "a"), sweep_seed(1, "b"));
    }
}
