//! The status journal: every transition of every operation, with its time and reason, in the
//! order the kernel made them (the seeds' `ops statuses` timeline). Kept only when a driver
//! asks for it, since a million-operation replay makes several million transitions.

use super::Kernel;
use crate::ids::OpId;
use crate::model::Status;
use crate::time::Time;

/// One transition of one operation.
#[derive(Clone, Debug, PartialEq)]
pub struct StatusChange {
    pub op: OpId,
    pub time: Time,
    pub status: Status,
    /// Why, when there is more to say than the status (a node, a failure, a trigger).
    pub reason: Option<Box<str>>,
}

impl Kernel {
    /// Starts (or stops) keeping the journal of status transitions.
    pub fn record_statuses(&mut self, on: bool) {
        self.journal = on.then(Vec::new);
    }

    /// The transitions since the last call, oldest first (empty when not recording).
    pub fn take_status_changes(&mut self) -> Vec<StatusChange> {
        match self.journal.as_mut() {
            Some(j) => std::mem::take(j),
            None => Vec::new(),
        }
    }

    /// Moves `id` to `status` and journals it.
    pub(super) fn set_status(&mut self, id: OpId, status: Status, now: Time, reason: Option<&str>) {
        self.ops[id.index()].status = status;
        if let Some(j) = self.journal.as_mut() {
            j.push(StatusChange { op: id, time: now, status, reason: reason.map(Into::into) });
        }
    }
}
