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

impl Attempt {
    /// Every node it held (a gang holds several; a node may hold more than one replica).
    pub fn nodes(&self) -> impl Iterator<Item = NodeId> + '_ {
        std::iter::once(self.node).chain(self.gang.iter().copied())
    }
}

/// One execution attempt of an operation.
#[derive(Clone, Debug)]
pub struct Attempt {
    pub op: OpId,
    /// 1 for the first attempt.
    pub number: u32,
    /// The node of its (first) replica.
    pub node: NodeId,
    /// Nodes of a gang's other replicas (empty for an ordinary operation).
    pub gang: Vec<NodeId>,
    pub start: Time,
    /// `None` while still running (the horizon cut the run short).
    pub end: Option<Time>,
    pub outcome: Option<Outcome>,
}
