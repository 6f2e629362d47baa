//! Termination: timeouts, retries with exponential backoff, and the timers behind them.
//!
//! A failed attempt (reported, or stopped by its timeout) is retried while the operation has
//! retries left: it becomes `retrying`, keeps its workflow slot, and goes back on its queue
//! after its backoff (the first retry waits `retry_backoff`, each further one twice as long
//! as the last). Work its checkpoints saved is kept, as after a preemption. Preemptions and
//! lost nodes are not failures and use no retry.

use super::{Decision, Kernel};
use crate::ids::OpId;
use crate::model::Status;
use crate::time::Time;

/// What a timer does when it fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Timer {
    /// The attempt has run for its timeout.
    Timeout,
    /// The backoff is over: back on the queue.
    Retry,
}

impl Kernel {
    /// An attempt of `id` started running at `since`: its timeout starts counting.
    pub(super) fn arm_timeout(&mut self, id: OpId, since: Time) {
        let op = &self.ops[id.index()];
        if let Some(t) = op.timeout {
            self.timers.insert((since.saturating_add(t), id, op.attempts, Timer::Timeout));
        }
    }

    /// Fires the timers due by `now`. Timers of attempts that already ended are stale and
    /// dropped (the attempt number and the status tell).
    pub(super) fn fire_timers(&mut self, now: Time, out: &mut Vec<Decision>) {
        while let Some(&(at, id, attempt, timer)) = self.timers.first() {
            if at > now {
                break;
            }
            self.timers.pop_first();
            let op = &self.ops[id.index()];
            if op.attempts != attempt {
                continue;
            }
            match timer {
                Timer::Timeout if matches!(op.status, Status::Running | Status::Scheduled) => {
                    let limit = op.timeout.unwrap_or(0);
                    let why = format!("timed out after {}", crate::time::human(limit));
                    self.attempt_failed(id, now, why);
                    out.push(Decision::Timeout { op: id });
                }
                Timer::Retry if op.status == Status::Retrying => self.requeue_retry(id, now),
                _ => {}
            }
        }
    }

    /// The running attempt of `id` failed: retry it after its backoff, or end it `failed`.
    pub(super) fn attempt_failed(&mut self, id: OpId, now: Time, why: String) {
        let op = &mut self.ops[id.index()];
        let ran = (now - op.started.unwrap_or(op.attempt_start)).max(0);
        let kept = op.checkpoint.map_or(0, |c| ran / c * c);
        if op.retries >= op.max_retries {
            op.ended = Some(now);
            op.work_lost += ran;
            self.set_status(id, Status::Failed, now, Some(&why));
            self.reasons.insert(id, why);
            self.release_resources(id, now);
            self.ops[id.index()].node = None;
            self.leave_workflow(id, now);
            self.notify_downstream(id, now);
            return;
        }
        op.saved += kept;
        op.work_lost += ran - kept;
        op.retries += 1;
        // 2^(n-1) × backoff, saturating: the 64th retry of a 1 s backoff waits forever, not 0.
        let factor = 1i64.checked_shl(op.retries - 1).unwrap_or(i64::MAX);
        let delay = op.retry_backoff.saturating_mul(factor);
        let note =
            format!("{why}; retry {} of {} in {}", op.retries, op.max_retries, crate::time::human(delay));
        let attempt = op.attempts;
        self.release_resources(id, now);
        self.ops[id.index()].node = None;
        self.set_status(id, Status::Retrying, now, Some(&note));
        self.timers.insert((now.saturating_add(delay), id, attempt, Timer::Retry));
    }

    /// The backoff of a retrying operation is over: it goes back on its queue (in its
    /// workflow slot, which it kept).
    fn requeue_retry(&mut self, id: OpId, now: Time) {
        let op = &mut self.ops[id.index()];
        let Some(q) = op.queue else { return };
        let aged = crate::dispatch::aged_priority(op.priority, now, self.config.aging_per_hour);
        let key = self.config.dispatch.op_key(aged, op.seq);
        op.queue_key = key;
        self.set_status(id, Status::Queued, now, Some("retry"));
        let before = self.head(q);
        self.push_pending(q, key, id);
        if self.head(q) != before {
            self.unblock(q);
        } else {
            self.refresh(q);
        }
    }

    /// The earliest timer (a timeout or the end of a backoff).
    pub fn next_timer(&self) -> Option<Time> {
        self.timers.first().map(|t| t.0)
    }
}
