//! What drivers tell the kernel ([`Observation`]) and what it tells them back ([`Decision`]).

use crate::ids::{NodeId, OpId};
use crate::model::NodeSpec;

/// Something the cluster reports.
#[derive(Clone, Debug)]
pub enum Observation {
    /// A node joined (its agent must be registered).
    NodeAdded(NodeSpec),
    /// A node went away (spot reclaim, failure, deletion). Every attempt on it goes back to
    /// its queue (keeping what its checkpoints saved; not a failure) and the driver gets a
    /// [`Decision::Preempt`] for each; the node holds nothing until it is restored.
    NodeLost { node: crate::ids::NodeId },
    /// A lost node is back, empty.
    NodeRestored { node: crate::ids::NodeId },
    /// The driver started the attempt the kernel asked for with [`Decision::Start`].
    AttemptStarted { op: OpId },
    /// The operation is already running on `node` since `since` without the kernel having
    /// decided it: a restarted driver rebuilding its state from the cluster, or work started
    /// outside schedlab. It takes its resources and workflow and queue slots as it stands,
    /// even beyond limits: what runs, runs.
    AttemptAdopted { op: OpId, node: NodeId, since: crate::time::Time },
    /// The running attempt finished successfully.
    AttemptSucceeded { op: OpId },
    /// The running attempt failed.
    AttemptFailed { op: OpId, reason: String },
    /// The attempt was stopped after a [`Decision::Stop`].
    AttemptStopped { op: OpId },
    /// Someone asked to stop the operation (a user, a script).
    StopRequested { op: OpId },
    /// The operation is approved (before or after it asked with
    /// [`Decision::AwaitApproval`]).
    Approved { op: OpId },
    /// Its approval was refused: it ends `rejected`, and its downstream `upstream_failed`.
    ApprovalRejected { op: OpId, reason: String },
    /// What the running operation outputs (report it before it succeeds): conditions of its
    /// downstream read them, and cache hits and copies of it get them.
    Outputs { op: OpId, outputs: crate::expr::Params },
}

/// What the kernel asks the driver to do. Outcomes come back as [`Observation`]s.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// Start the operation on the node. Its resources are reserved from now on.
    Start { op: OpId, node: NodeId },
    /// Stop the running operation (report [`Observation::AttemptStopped`] when done).
    Stop { op: OpId },
    /// Evict the running attempt to make room: the kernel has already put the operation
    /// back on its queue and given its resources to what comes next, so the driver only
    /// stops the attempt (it reports nothing back).
    Preempt { op: OpId },
    /// The running attempt exceeded its timeout. The kernel has already ended it (retrying
    /// or failing the operation) and reused its room: the driver only stops the attempt
    /// and reports nothing back.
    Timeout { op: OpId },
    /// The operation waits for manual approval: ask someone, then report
    /// [`Observation::Approved`] or [`Observation::ApprovalRejected`].
    AwaitApproval { op: OpId },
}

/// Why an observation was refused. The kernel's state is unchanged when this is returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservationError(pub String);

impl std::fmt::Display for ObservationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ObservationError {}
