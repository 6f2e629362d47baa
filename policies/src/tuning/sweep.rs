//! The sweep state machine: which trials exist and when, and when the sweep ends.
//!
//! The caller creates an operation for every [`Action::Create`], feeds back intermediate
//! metrics ([`Sweep::report`]) and trial ends ([`Sweep::ended`]), and applies the actions each
//! call returns, in order.
//!
//! - Grid, random and mapping sweeps create all their trials in [`Sweep::start`]; Hyperband
//!   creates the first rung of every bracket there and each further rung when the previous one
//!   of the same bracket has ended entirely.
//! - [`Action::Stop`] is final in the sweep's books: the trial counts as ended `Stopped` at
//!   once (its rung may advance in the same call) and a later `ended()` for it is ignored.
//! - [`Action::Finish`] is returned exactly once: early (a `MetricReached` or `Failures`
//!   rule; the caller stops every unfinished trial) or when the last trial has ended (reason
//!   starting with `completed`). After it no trial is created and `report()` does nothing;
//!   `ended()` still records how unfinished trials ended (for [`Sweep::best`]) but returns
//!   nothing.
//! - Calls for unknown or already ended trials, reports of a step not above the trial's last
//!   reported step and non-finite metrics are ignored (no actions).

use super::early_stop::{self, StepEntry, StepTable};
use super::hyperband::Hyperband;
use super::spec::{Algorithm, SweepSpec};
use super::{grid, random};
use crate::expr::Params;

/// A trial: one run of the swept operation with these inputs.
#[derive(Clone, Debug, PartialEq)]
pub struct Trial {
    /// 0, 1, 2, … in creation order.
    pub index: u32,
    /// The swept inputs in declared order; for Hyperband the resource input (iterations, a
    /// whole number) comes last.
    pub params: Params,
    /// Hyperband rung (0 for the first; always 0 for grid and random).
    pub rung: u32,
    /// Hyperband bracket `s` (always 0 for grid and random).
    pub bracket: u32,
}

/// What the caller must do.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Submit this trial.
    Create(Trial),
    /// Stop this trial, running or not started yet.
    Stop { index: u32, reason: String },
    /// The sweep is over: stop every unfinished trial.
    Finish { reason: String },
}

/// How a trial ended.
#[derive(Clone, Debug, PartialEq)]
pub enum TrialEnd {
    /// It completed; `metric` is its final metric (`None` or non-finite: no metric, which
    /// ranks last).
    Succeeded {
        metric: Option<f64>,
    },
    Failed,
    Stopped,
}

#[derive(Clone, Debug, PartialEq)]
enum State {
    Active,
    Ended(TrialEnd),
}

struct Record {
    trial: Trial,
    state: State,
    /// Last reported step, running sum and count, best so far.
    last_step: Option<u32>,
    sum: f64,
    count: u32,
    best: f64,
}

impl Record {
    /// Its final metric if it succeeded with one.
    fn final_metric(&self) -> Option<f64> {
        match self.state {
            State::Ended(TrialEnd::Succeeded { metric }) => metric,
            _ => None,
        }
    }
}

/// A hyperparameter sweep in progress. See the module documentation for the protocol.
pub struct Sweep {
    spec: SweepSpec,
    seed: u64,
    /// At most this many trials in all.
    limit: u64,
    hyperband: Option<Hyperband>,
    trials: Vec<Record>,
    steps: StepTable,
    started: bool,
    finished: bool,
    /// Created trials not ended yet.
    active: u32,
    ended: u32,
    failed: u32,
}

impl Sweep {
    /// Checks the spec ([`SweepSpec::validate`]). `seed` drives random and Hyperband sampling.
    pub fn new(spec: SweepSpec, seed: u64) -> Result<Sweep, String> {
        spec.validate()?;
        let limit = u64::from(spec.max_trials.unwrap_or(u32::MAX));
        let hyperband = match &spec.algorithm {
            Algorithm::Hyperband { max_iterations, eta, resource } => {
                Some(Hyperband::new(*max_iterations, *eta, resource))
            }
            _ => None,
        };
        Ok(Sweep {
            spec,
            seed,
            limit,
            hyperband,
            trials: Vec::new(),
            steps: StepTable::new(),
            started: false,
            finished: false,
            active: 0,
            ended: 0,
            failed: 0,
        })
    }

    /// The spec it runs.
    pub fn spec(&self) -> &SweepSpec {
        &self.spec
    }

    /// Creates the trials that exist from the start. Only the first call does anything.
    pub fn start(&mut self) -> Vec<Action> {
        if self.started {
            return Vec::new();
        }
        self.started = true;
        let mut actions = Vec::new();
        match &self.spec.algorithm {
            Algorithm::Grid => {
                for params in grid::combos(&self.spec.params, self.limit) {
                    actions.extend(self.create(params, 0, 0));
                }
            }
            Algorithm::Random { trials } => {
                let count = u64::from(*trials).min(self.limit);
                for params in random::configurations(&self.spec.params, self.seed, count) {
                    actions.extend(self.create(params, 0, 0));
                }
            }
            Algorithm::Mapping { values } => {
                // `create` stops at the limit; the clone is of the sets it keeps only.
                let keep = usize::try_from(self.limit).unwrap_or(usize::MAX);
                for params in values.iter().take(keep).cloned().collect::<Vec<_>>() {
                    actions.extend(self.create(params, 0, 0));
                }
            }
            Algorithm::Hyperband { .. } => {
                let firsts = match &self.hyperband {
                    Some(hb) => hb.first_rungs(&self.spec.params, self.seed, self.limit),
                    None => Vec::new(),
                };
                for (bracket, params) in firsts {
                    if let Some(action) = self.create(params, 0, bracket) {
                        if let (Action::Create(t), Some(hb)) = (&action, self.hyperband.as_mut()) {
                            hb.add_member(bracket, t.index);
                        }
                        actions.push(action);
                    }
                }
                if let Some(hb) = self.hyperband.as_mut() {
                    hb.close_empty();
                }
            }
        }
        self.finish_if_done(&mut actions);
        actions
    }

    /// An intermediate metric of trial `index` at `step`. May stop that trial (a per-trial
    /// rule), finish the sweep (`MetricReached`), and then advance a Hyperband rung.
    pub fn report(&mut self, index: u32, step: u32, metric: f64) -> Vec<Action> {
        let mut actions = Vec::new();
        if self.finished || !metric.is_finite() {
            return actions;
        }
        let goal = self.spec.metric.goal;
        let Some(rec) = self.trials.get_mut(index as usize) else { return actions };
        if rec.state != State::Active || rec.last_step.is_some_and(|last| step <= last) {
            return actions;
        }
        rec.last_step = Some(step);
        rec.sum += metric;
        rec.count += 1;
        if rec.count == 1 || goal.better(metric, rec.best) {
            rec.best = metric;
        }
        let me = StepEntry { index, metric, running_avg: rec.sum / f64::from(rec.count), best: rec.best };
        let at_step = self.steps.entry(step).or_default();
        let reason = early_stop::stop_trial(&self.spec.early_stopping, goal, step, &me, at_step);
        at_step.push(me);

        let rules = &self.spec.early_stopping;
        if let Some(reason) =
            early_stop::metric_reached::check(rules, goal, &self.spec.metric.name, index, metric)
        {
            self.finish(reason, &mut actions);
            return actions;
        }
        if let Some(reason) = reason {
            actions.push(Action::Stop { index, reason });
            self.record_end(index, TrialEnd::Stopped);
            self.after_end(index, &mut actions);
        }
        actions
    }

    /// Trial `index` ended. May finish the sweep (`MetricReached` on its final metric,
    /// `Failures`), create the next Hyperband rung, or finish because everything ended.
    pub fn ended(&mut self, index: u32, end: TrialEnd) -> Vec<Action> {
        let mut actions = Vec::new();
        let end = match end {
            TrialEnd::Succeeded { metric } => {
                TrialEnd::Succeeded { metric: metric.filter(|m| m.is_finite()) }
            }
            other => other,
        };
        if !self.record_end(index, end.clone()) || self.finished {
            return actions;
        }
        let rules = &self.spec.early_stopping;
        if let TrialEnd::Succeeded { metric: Some(m) } = end {
            let goal = self.spec.metric.goal;
            if let Some(reason) =
                early_stop::metric_reached::check(rules, goal, &self.spec.metric.name, index, m)
            {
                self.finish(reason, &mut actions);
                return actions;
            }
        }
        if let Some(reason) = early_stop::failures::check(&self.spec.early_stopping, self.failed, self.ended)
        {
            self.finish(reason, &mut actions);
            return actions;
        }
        self.after_end(index, &mut actions);
        actions
    }

    /// Whether the sweep is over: it finished early, or no trial will be created any more
    /// and every created one ended.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The best final metric so far and its trial (ties to the lower index).
    pub fn best(&self) -> Option<(u32, f64)> {
        let goal = self.spec.metric.goal;
        let mut best: Option<(u32, f64)> = None;
        for rec in &self.trials {
            if let Some(m) = rec.final_metric() {
                if best.is_none_or(|(_, b)| goal.better(m, b)) {
                    best = Some((rec.trial.index, m));
                }
            }
        }
        best
    }

    /// Trials created so far.
    pub fn trial_count(&self) -> u32 {
        self.trials.len() as u32
    }

    /// A created trial.
    pub fn trial(&self, index: u32) -> Option<&Trial> {
        self.trials.get(index as usize).map(|r| &r.trial)
    }

    /// How a trial ended (`None` while it runs, or if it does not exist). A trial the sweep
    /// stopped reads `Stopped`.
    pub fn trial_end(&self, index: u32) -> Option<&TrialEnd> {
        match &self.trials.get(index as usize)?.state {
            State::Active => None,
            State::Ended(end) => Some(end),
        }
    }

    /// Creates a trial unless the sweep finished or reached `max_trials`.
    fn create(&mut self, params: Params, rung: u32, bracket: u32) -> Option<Action> {
        if self.finished || self.trials.len() as u64 >= self.limit {
            return None;
        }
        let index = u32::try_from(self.trials.len()).ok()?;
        let trial = Trial { index, params, rung, bracket };
        self.trials.push(Record {
            trial: trial.clone(),
            state: State::Active,
            last_step: None,
            sum: 0.0,
            count: 0,
            best: f64::NAN,
        });
        self.active += 1;
        Some(Action::Create(trial))
    }

    /// Marks an active trial ended; false if it is unknown or already ended.
    fn record_end(&mut self, index: u32, end: TrialEnd) -> bool {
        let Some(rec) = self.trials.get_mut(index as usize) else { return false };
        if rec.state != State::Active {
            return false;
        }
        self.active -= 1;
        self.ended += 1;
        if end == TrialEnd::Failed {
            self.failed += 1;
        }
        rec.state = State::Ended(end);
        true
    }

    /// After trial `index` ended: advance its Hyperband bracket, then finish if nothing runs.
    fn after_end(&mut self, index: u32, actions: &mut Vec<Action>) {
        let bracket = self.trials.get(index as usize).map_or(0, |r| r.trial.bracket);
        let goal = self.spec.metric.goal;
        let trials = &self.trials;
        let promotion = self.hyperband.as_mut().and_then(|hb| {
            hb.promotion(bracket, goal, |i| match trials.get(i as usize).map(|r| &r.state) {
                Some(State::Ended(_)) => Some(trials[i as usize].final_metric()),
                // Unknown members cannot happen; treat them as ended without a metric.
                None => Some(None),
                Some(State::Active) => None,
            })
        });
        if let Some(p) = promotion {
            for winner in p.winners {
                let params = match (self.hyperband.as_ref(), self.trials.get(winner as usize)) {
                    (Some(hb), Some(rec)) => hb.with_resource(&rec.trial.params, p.iterations),
                    _ => continue,
                };
                if let Some(action) = self.create(params, p.rung, p.bracket) {
                    if let (Action::Create(t), Some(hb)) = (&action, self.hyperband.as_mut()) {
                        hb.add_member(p.bracket, t.index);
                    }
                    actions.push(action);
                }
            }
            // A promotion cut entirely by max_trials leaves an empty rung: close the bracket.
            if let Some(hb) = self.hyperband.as_mut() {
                hb.close_empty();
            }
        }
        self.finish_if_done(actions);
    }

    fn finish_if_done(&mut self, actions: &mut Vec<Action>) {
        if !self.finished && self.active == 0 {
            let reason = format!(
                "completed: all {} trials ended ({} failed), best {}",
                self.trials.len(),
                self.failed,
                match self.best() {
                    Some((i, m)) => format!("trial {i} with {} = {m}", self.spec.metric.name),
                    None => "none".into(),
                }
            );
            self.finish(reason, actions);
        }
    }

    fn finish(&mut self, reason: String, actions: &mut Vec<Action>) {
        self.finished = true;
        actions.push(Action::Finish { reason });
    }
}
