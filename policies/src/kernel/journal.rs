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

    /// Starts (or stops) keeping the list of operations that reach a terminal status, for
    /// drivers that react to endings they did not cause (a cache hit, a skip, an
    /// `upstream_failed`): see [`Kernel::take_ended`].
    pub fn record_endings(&mut self, on: bool) {
        self.endings = on.then(Vec::new);
    }

    /// Operations that reached a terminal status since the last call, in the order they did
    /// (empty when not recording).
    pub fn take_ended(&mut self) -> Vec<OpId> {
        match self.endings.as_mut() {
            Some(e) => std::mem::take(e),
            None => Vec::new(),
        }
    }

    /// Moves `id` to `status` and journals it.
    pub(super) fn set_status(&mut self, id: OpId, status: Status, now: Time, reason: Option<&str>) {
        self.ops[id.index()].status = status;
        if status.is_terminal() {
            self.ends_seen += 1;
            self.ops[id.index()].end_seq = self.ends_seen;
            if let Some(e) = self.endings.as_mut() {
                e.push(id);
            }
        }
        if let Some(j) = self.journal.as_mut() {
            j.push(StatusChange { op: id, time: now, status, reason: reason.map(Into::into) });
        }
    }
}
