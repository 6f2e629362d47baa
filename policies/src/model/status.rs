use std::fmt;

/// An operation's lifecycle status (Polyaxon's, plus `rejected` and `retrying`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum Status {
    /// Submitted; waiting for its upstream operations.
    Created,
    /// Upstream done and resolved; waiting for its workflow's concurrency.
    Compiled,
    /// On its queue, waiting for the queue and a node.
    Queued,
    /// A node was chosen; the driver is starting it.
    Scheduled,
    Running,
    Retrying,
    Succeeded,
    Failed,
    Stopped,
    Skipped,
    UpstreamFailed,
    /// Refused at submission (unknown queue, forbidden queue, can never fit).
    Rejected,
}

impl Status {
    /// Every status, in lifecycle order.
    pub const ALL: [Status; 12] = [
        Status::Created,
        Status::Compiled,
        Status::Queued,
        Status::Scheduled,
        Status::Running,
        Status::Retrying,
        Status::Succeeded,
        Status::Failed,
        Status::Stopped,
        Status::Skipped,
        Status::UpstreamFailed,
        Status::Rejected,
    ];

    /// True for statuses an operation never leaves.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Status::Succeeded
                | Status::Failed
                | Status::Stopped
                | Status::Skipped
                | Status::UpstreamFailed
                | Status::Rejected
        )
    }

    /// The lower-case name used in every output file.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Compiled => "compiled",
            Status::Queued => "queued",
            Status::Scheduled => "scheduled",
            Status::Running => "running",
            Status::Retrying => "retrying",
            Status::Succeeded => "succeeded",
            Status::Failed => "failed",
            Status::Stopped => "stopped",
            Status::Skipped => "skipped",
            Status::UpstreamFailed => "upstream_failed",
            Status::Rejected => "rejected",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
