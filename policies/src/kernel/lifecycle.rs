//! Observations: attempts starting and ending, stops, nodes joining.

use super::{Kernel, Observation, ObservationError};
use crate::ids::OpId;
use crate::model::Status;
use crate::time::Time;

impl Kernel {
    /// Feeds the kernel what the cluster reports. An observation that does not fit the
    /// kernel's state (unknown operation, an end for an attempt that is not running) is refused
    /// with a reason and changes nothing: a live driver can receive stale or duplicate events.
    pub fn observe(&mut self, now: Time, obs: Observation) -> Result<(), ObservationError> {
        match obs {
            Observation::NodeAdded(spec) => self.add_node(spec).map(|_| ()).map_err(ObservationError),
            Observation::NodeLost { node } => self.lose_node(node, now),
            Observation::NodeRestored { node } => self.restore_node(node),
            Observation::AttemptStarted { op } => {
                let o = self.op_mut(op)?;
                if o.status != Status::Scheduled {
                    return Err(not_in(op, o.status, "scheduled"));
                }
                o.started = Some(now);
                self.set_status(op, Status::Running, now, None);
                let o = &mut self.ops[op.index()];
                o.first_started.get_or_insert(now);
                self.arm_timeout(op, now);
                Ok(())
            }
            Observation::AttemptAdopted { op, node, since } => self.adopt(op, node, since),
            Observation::AttemptSucceeded { op } => self.end_attempt(now, op, Status::Succeeded, None),
            Observation::AttemptFailed { op, reason } => {
                let o = self.op_mut(op)?;
                if !matches!(o.status, Status::Running | Status::Scheduled) {
                    return Err(not_in(op, o.status, "running"));
                }
                self.attempt_failed(op, now, reason);
                Ok(())
            }
            Observation::Approved { op } => self.approve(op, now),
            Observation::ApprovalRejected { op, reason } => self.reject_approval(op, now, reason),
            Observation::Outputs { op, outputs } => {
                let o = self.op_mut(op)?;
                if !matches!(o.status, Status::Running | Status::Scheduled) {
                    return Err(not_in(op, o.status, "running"));
                }
                o.extra.get_or_insert_with(Default::default).outputs = outputs;
                Ok(())
            }
            Observation::AttemptStopped { op } => {
                self.end_attempt(now, op, Status::Stopped, Some("stopped on request".into()))
            }
            Observation::StopRequested { op } => {
                let status = self.op_mut(op)?.status;
                match status {
                    Status::Scheduled | Status::Running => self.stops.push(op),
                    s if s.is_terminal() => return Err(not_in(op, status, "an unfinished status")),
                    _ => self.stop_unstarted(op, now),
                }
                Ok(())
            }
        }
    }

    fn adopt(&mut self, op: OpId, node: crate::ids::NodeId, since: Time) -> Result<(), ObservationError> {
        let status = self.op_mut(op)?.status;
        let Some(n) = self.nodes.get(node.index()) else {
            return Err(ObservationError(format!("unknown node {}", node.0)));
        };
        let Some(q) = self.ops[op.index()].queue else {
            return Err(not_in(op, status, "queued"));
        };
        if self.queues[q.index()].spec.agent != n.spec.agent
            || !self.class_allows(n.spec.agent, n.class, self.ops[op.index()].constraints)
        {
            return Err(ObservationError(format!(
                "operation {} runs on node `{}`, outside its queue's agent or its node constraints",
                op.0, n.spec.name
            )));
        }
        if self.ops[op.index()].replicas > 1 {
            return Err(ObservationError(format!("operation {} is a gang; gangs cannot be adopted", op.0)));
        }
        match status {
            // Held by its workflow: it takes the slot it already uses.
            Status::Compiled => self.take_workflow_slot(op),
            // On its queue: its heap entry is dropped lazily once the status changes.
            Status::Queued => self.queues[q.index()].left_pending(),
            _ => return Err(not_in(op, status, "compiled or queued")),
        }
        let req = self.ops[op.index()].resources;
        let rate = self.cost_rate(&req, node);
        let o = &mut self.ops[op.index()];
        o.started = Some(since);
        o.first_started.get_or_insert(since);
        if o.queued_at.is_none() {
            o.queued_at = Some(since);
        }
        self.occupy(q, op, (node, Vec::new()), rate, Status::Running, since);
        self.arm_timeout(op, since);
        Ok(())
    }

    /// Stops an operation that holds no resources (waiting for its upstream, its workflow,
    /// its queue, approval, the cache, or between retries).
    pub(super) fn stop_unstarted(&mut self, op: OpId, now: Time) {
        match self.ops[op.index()].status {
            Status::Created | Status::Compiled => {
                self.finish_unstarted(op, now, Status::Stopped, Some("stopped before it was queued".into()));
            }
            Status::Queued => {
                let q = self.ops[op.index()].queue;
                if let Some(q) = q {
                    self.queues[q.index()].left_pending();
                }
                self.finish_unstarted(op, now, Status::Stopped, Some("stopped while queued".into()));
                self.leave_workflow(op, now);
                if let Some(q) = q {
                    self.refresh(q);
                }
            }
            // Between attempts: it holds its workflow slot but no resources.
            Status::Retrying => {
                self.finish_unstarted(op, now, Status::Stopped, Some("stopped while retrying".into()));
                self.leave_workflow(op, now);
            }
            _ => {}
        }
    }

    fn approve(&mut self, op: OpId, now: Time) -> Result<(), ObservationError> {
        let o = self.op_mut(op)?;
        let status = o.status;
        let Some(x) = o.extra.as_mut().filter(|x| x.approval != super::Approval::NotNeeded) else {
            return Err(ObservationError(format!("operation {} needs no approval", op.0)));
        };
        match x.approval {
            super::Approval::Pending if !status.is_terminal() => x.approval = super::Approval::Approved,
            super::Approval::Waiting if status == Status::Compiled => {
                x.approval = super::Approval::Approved;
                self.set_status(op, Status::Compiled, now, Some("approved"));
                self.admit(op, now);
            }
            _ => return Err(not_in(op, status, "waiting for approval")),
        }
        Ok(())
    }

    fn reject_approval(&mut self, op: OpId, now: Time, reason: String) -> Result<(), ObservationError> {
        let o = self.op_mut(op)?;
        let status = o.status;
        let waiting = o.extra.as_ref().map(|x| x.approval);
        match waiting {
            Some(super::Approval::Pending | super::Approval::Waiting) if !status.is_terminal() => {
                let why = if reason.is_empty() { "approval refused".to_string() } else { reason };
                self.finish_unstarted(op, now, Status::Rejected, Some(why));
                Ok(())
            }
            _ => Err(not_in(op, status, "waiting for approval")),
        }
    }

    fn op_mut(&mut self, op: OpId) -> Result<&mut super::OpState, ObservationError> {
        self.ops.get_mut(op.index()).ok_or_else(|| ObservationError(format!("unknown operation {}", op.0)))
    }

    fn end_attempt(
        &mut self,
        now: Time,
        op: OpId,
        status: Status,
        reason: Option<String>,
    ) -> Result<(), ObservationError> {
        let o = self.op_mut(op)?;
        if !matches!(o.status, Status::Running | Status::Scheduled) {
            return Err(not_in(op, o.status, "running"));
        }
        if o.started.is_none() {
            o.started = Some(now);
        }
        o.ended = Some(now);
        self.set_status(op, status, now, reason.as_deref());
        if let Some(r) = reason {
            self.reasons.insert(op, r);
        }
        self.release_resources(op, now);
        self.leave_workflow(op, now);
        self.notify_downstream(op, now);
        Ok(())
    }
}

fn not_in(op: OpId, status: Status, expected: &str) -> ObservationError {
    ObservationError(format!("operation {} is {status}, not {expected}", op.0))
}
