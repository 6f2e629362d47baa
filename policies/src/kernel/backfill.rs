//! Backfilling: starting operations from behind a queue's head that cannot start yet.
//!
//! - `off`: a queue yields in order; a head that does not fit holds back everything behind
//!   it (strict first-come first-served inside the queue).
//! - `best-effort`: anything behind a blocked head that fits starts (Kueue's BestEffortFIFO);
//!   large heads can starve.
//! - `easy`: EASY backfilling (Lifka, 1995; the Argonne SP scheduler and Slurm's backfill).
//!   The head gets a reservation: the earliest time, on some node, when enough of the running
//!   work there will have ended (by its run-time estimates) for it to fit. An operation from
//!   behind it starts now only if that cannot delay the reservation: it runs on another node,
//!   or it is estimated to end before the reservation, or it fits in what the head leaves free
//!   on that node at that time. Operations without an estimate never backfill on the
//!   reserved node.

use super::Kernel;
use crate::ids::{NodeId, OpId, QueueId};
use crate::model::Status;
use crate::resources::Resources;
use crate::time::Time;

/// How many estimated ends a reservation looks through before giving up (and not backfilling).
pub const RESERVATION_WINDOW: usize = 4096;

/// How many operations behind a blocked head are examined per pass (as Slurm's
/// `bf_max_job_test`), so a long queue costs no more than a short one.
pub const BACKFILL_WINDOW: usize = 64;

/// A backfilling mode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Backfill {
    #[default]
    Off,
    BestEffort,
    Easy,
}

impl Backfill {
    /// Names accepted in scenarios.
    pub const NAMES: [&'static str; 3] = ["off", "best-effort", "easy"];

    /// The mode called `name`.
    pub fn by_name(name: &str) -> Result<Backfill, String> {
        match name {
            "off" => Ok(Backfill::Off),
            "best-effort" => Ok(Backfill::BestEffort),
            "easy" => Ok(Backfill::Easy),
            _ => Err(format!("unknown backfill mode `{name}`; expected one of: {}", Self::NAMES.join(", "))),
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Backfill::Off => "off",
            Backfill::BestEffort => "best-effort",
            Backfill::Easy => "easy",
        }
    }
}

/// A blocked head's reservation: on `node` at `time`, leaving `extra` free beside it.
struct Reservation {
    node: NodeId,
    time: Time,
    extra: Resources,
}

impl Kernel {
    /// Starts what may start from behind `head`, the blocked head of queue `q`.
    pub(super) fn backfill(&mut self, q: QueueId, head: OpId, now: Time, out: &mut Vec<super::Decision>) {
        let mut reservation = match self.config.backfill {
            Backfill::Off => return,
            Backfill::BestEffort => None,
            Backfill::Easy => match self.reservation(head, now) {
                Some(r) => Some(r),
                // Nothing known about when the head could start: holding everything back is
                // the only way not to delay it.
                None => return,
            },
        };
        let candidates: Vec<OpId> = self.queues[q.index()]
            .pending
            .iter()
            .map(|e| e.2)
            .filter(|&o| o != head && self.ops[o.index()].status == Status::Queued)
            .take(BACKFILL_WINDOW)
            .collect();
        let agent = self.queues[q.index()].spec.agent;
        // What stays behind the head bounds what a freed node must hold to be worth a look.
        let left = candidates.iter().map(|c| self.ops[c.index()].resources.get(crate::resources::CPU)).min();
        self.queues[q.index()].backfill_min_cpu = left.unwrap_or(u64::MAX);
        for c in candidates {
            let queue = &self.queues[q.index()];
            if queue.running() >= queue.concurrency_limit() {
                break;
            }
            let op = &self.ops[c.index()];
            let (req, replicas, cons, estimate) = (op.resources, op.replicas, op.constraints, op.estimate);
            if !self.within_quota(q, &req.times(replicas)) {
                continue;
            }
            let Some((node, gang)) = self.place_replicas(agent, cons, &req, replicas) else { continue };
            let nodes = || std::iter::once(node).chain(gang.iter().copied());
            let rate: f64 = nodes().map(|n| self.cost_rate(&req, n)).sum();
            if !self.within_cost_quota(q, rate) {
                continue;
            }
            if let Some(r) = reservation.as_mut() {
                let on_reserved = nodes().filter(|&n| n == r.node).count() as u32;
                let ends_in_time = estimate.is_some_and(|e| now.saturating_add(e) <= r.time);
                if on_reserved > 0 && !ends_in_time {
                    let need = req.times(on_reserved);
                    if !need.fits_in(&r.extra) {
                        continue;
                    }
                    r.extra.sub(&need);
                }
            }
            self.start(q, c, node, gang, rate, now);
            out.push(super::Decision::Start { op: c, node });
        }
    }

    /// When the queued operation `head` is expected to fit on some node it may use, by the
    /// run-time estimates of what runs now (EASY's reservation; `None` when unknown). A
    /// read-only query, for tools and tests.
    pub fn reservation_time(&self, head: OpId, now: Time) -> Option<Time> {
        (self.ops.get(head.index())?.status == Status::Queued)
            .then(|| self.reservation(head, now).map(|r| r.time))
            .flatten()
    }

    /// A running operation's key in its agent's index of estimated ends (unknown: never).
    pub(super) fn end_key(&self, id: OpId) -> (Time, OpId) {
        let o = &self.ops[id.index()];
        (o.estimate.map_or(Time::MAX, |e| o.attempt_start.saturating_add(e)), id)
    }

    /// The earliest time and node at which `head` fits, by the estimates of what runs there.
    /// Walks the agent's running work in order of estimated end, adding what each end frees
    /// to its node, until some node the head may use could hold it: a walk of the next few
    /// ends, not of the cluster ([`RESERVATION_WINDOW`] at most).
    fn reservation(&self, head: OpId, now: Time) -> Option<Reservation> {
        let op = &self.ops[head.index()];
        let q = op.queue?;
        if op.replicas > 1 {
            // A gang's start needs room on several nodes at once: no single-node reservation
            // describes it, so nothing backfills past it.
            return None;
        }
        let agent = self.queues[q.index()].spec.agent;
        let req = op.resources;
        let mut freed: std::collections::HashMap<NodeId, Resources> = std::collections::HashMap::new();
        for &(end, id) in self.agents[agent.index()].ends.iter().take(RESERVATION_WINDOW) {
            if end == Time::MAX {
                return None;
            }
            let o = &self.ops[id.index()];
            for node in o.nodes() {
                let n = &self.nodes[node.index()];
                if !req.fits_in(&n.spec.allocatable) || !self.class_allows(agent, n.class, op.constraints) {
                    continue;
                }
                let f = freed.entry(node).or_insert(n.free);
                f.add(&o.resources);
                if req.fits_in(f) {
                    let mut extra = *f;
                    extra.sub(&req);
                    return Some(Reservation { node, time: end.max(now), extra });
                }
            }
        }
        None
    }
}
