//! Execution attempts as the simulator saw them: one row of `attempts.csv` each.

use schedlab_policies::{NodeId, OpId, Time};

/// How an attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    Failed,
    Preempted,
    Timeout,
    NodeFailure,
    Stopped,
}

impl Outcome {
    /// The name used in `attempts.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
            Outcome::Preempted => "preempted",
            Outcome::Timeout => "timeout",
            Outcome::NodeFailure => "node_failure",
            Outcome::Stopped => "stopped",
        }
    }

    /// True when the work the attempt did is lost.
    pub fn wastes_work(self) -> bool {
        matches!(self, Outcome::Preempted | Outcome::NodeFailure | Outcome::Timeout | Outcome::Failed)
    }
}

/// One execution attempt of an operation.
#[derive(Clone, Debug)]
pub struct Attempt {
    pub op: OpId,
    /// 1 for the first attempt.
    pub number: u32,
    pub node: NodeId,
    pub start: Time,
    /// `None` while still running (the horizon cut the run short).
    pub end: Option<Time>,
    pub outcome: Option<Outcome>,
}
