//! One run of a sweep (a controller operation's attempt at it) and its trials.

use schedlab_policies::expr::{Params, Value};
use schedlab_policies::tuning::{Sweep, TrialOutcome};
use schedlab_policies::{OpId, Time, WorkflowId};

/// Where a sweep run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum RunState {
    Running,
    /// The sweep finished and its controller ended.
    Finished,
    /// Its controller lost its attempt; its trials were stopped.
    Abandoned,
}

pub(super) struct SweepRun {
    /// The controller's row in the workload.
    pub record: u32,
    pub controller: OpId,
    /// The controller operation's id (trials are named after it).
    pub name: String,
    pub workflow: WorkflowId,
    /// The seed of the sweep and of its trials' model.
    pub seed: u64,
    pub sweep: Sweep,
    /// By trial index.
    pub trials: Vec<TrialRun>,
    /// When the controller's attempt started.
    pub started: Time,
    pub state: RunState,
}

pub(super) struct TrialRun {
    pub op: OpId,
    pub params: Params,
    pub outcome: TrialOutcome,
    /// The running attempt's number (0 before the first), its start and the work its
    /// checkpoints had saved then.
    pub attempt: u32,
    pub attempt_start: Time,
    pub saved: Time,
    /// The curve point to report next.
    pub next_point: usize,
    /// Why the sweep (or its controller) stopped it.
    pub stop_reason: Option<String>,
    /// The kernel ended it.
    pub ended: bool,
}

impl TrialRun {
    pub fn new(op: OpId, params: Params, outcome: TrialOutcome) -> TrialRun {
        TrialRun {
            op,
            params,
            outcome,
            attempt: 0,
            attempt_start: 0,
            saved: 0,
            next_point: 0,
            stop_reason: None,
            ended: false,
        }
    }
}

impl SweepRun {
    /// The controller's outputs when some trial succeeded: `best_<metric>`, `best_trial` (its
    /// operation id) and its params prefixed by `best_`; a name already used is not repeated
    /// (a param called `trial` cannot replace `best_trial`).
    pub fn best_outputs(&self, ids: &[String]) -> Option<Params> {
        let (index, metric) = self.sweep.best()?;
        let trial = self.trials.get(index as usize)?;
        let mut out: Params = vec![
            (format!("best_{}", self.sweep.spec().metric.name), Value::Num(metric)),
            ("best_trial".to_string(), Value::Str(ids.get(trial.op.index()).cloned().unwrap_or_default())),
        ];
        for (name, value) in &trial.params {
            let key = format!("best_{name}");
            if !out.iter().any(|(n, _)| *n == key) {
                out.push((key, value.clone()));
            }
        }
        Some(out)
    }
}
