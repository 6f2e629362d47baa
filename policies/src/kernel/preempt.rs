//! Preemption: finding victims that make room for a waiting operation, and evicting them.
//!
//! Each agent keeps its running preemptible operations in an ordered set, lowest priority
//! level first, then lowest operation priority, then the most recently started (the least
//! work lost). For a head that fits nowhere, candidates are walked in that order while the
//! preemption policy allows evicting them, accumulating per node the room they would free;
//! the first node where they would free enough is a solution. The walk continues through a
//! bounded window ([`SEARCH_WINDOW`] candidates) for a node needing fewer victims, so the
//! answer is the smallest set found among the lowest-priority candidates, and the search
//! never scans the whole cluster.

use std::cmp::Reverse;
use std::collections::HashMap;

use super::Kernel;
use crate::ids::{NodeId, OpId, QueueId};
use crate::model::Status;
use crate::preemption::Claim;
use crate::resources::Resources;
use crate::time::Time;

/// Candidates examined per search.
pub const SEARCH_WINDOW: usize = 512;

/// The order victims are considered in (see the module documentation): level, queue,
/// operation priority, most recent first. The queue sits before the priority so that one
/// queue's lower-priority work is one contiguous range.
pub(crate) type VictimKey = (i64, QueueId, i32, Reverse<Time>, OpId);

impl Kernel {
    pub(super) fn victim_key(&self, id: OpId) -> VictimKey {
        let op = &self.ops[id.index()];
        let q = op.queue.unwrap_or(QueueId(u32::MAX));
        let level = op.queue.map(|q| self.queues[q.index()].spec.level()).unwrap_or(i64::MIN);
        (level, q, op.priority, Reverse(op.attempt_start), id)
    }

    /// A running operation's claim (its priority as given: running work does not age).
    fn claim(&self, id: OpId) -> Option<Claim> {
        let op = &self.ops[id.index()];
        let q = op.queue?;
        Some(Claim { queue: q, level: self.queues[q.index()].spec.level(), priority: op.priority })
    }

    /// A waiting operation's claim at `now`, its priority raised by aging.
    fn waiting_claim(&self, id: OpId, now: Time) -> Option<Claim> {
        let mut c = self.claim(id)?;
        let waited = (now - self.ops[id.index()].queued_at.unwrap_or(now)).max(0);
        let gain = (self.config.aging_per_hour * waited as f64 / crate::time::HOUR as f64).floor();
        c.priority = (f64::from(c.priority) + gain).min(f64::from(i32::MAX)) as i32;
        Some(c)
    }

    /// Victims on one node whose eviction lets `head` start there, or `None`. When some
    /// candidates were spared only for being younger than the minimum run time, the kernel
    /// asks to be woken when the first of them comes of age.
    pub(super) fn find_victims(&mut self, head: OpId, now: Time) -> Option<(NodeId, Vec<OpId>)> {
        if !self.preempting {
            return None;
        }
        let (found, matures) = self.search_victims(head, now);
        if found.is_none() {
            if let Some(t) = matures {
                self.wake_at(t);
            }
        }
        // The rate limit: never more than `count` evictions in any `window`.
        if let (Some((_, victims)), Some((count, window))) = (&found, self.config.preemption_limit) {
            while self.recent_preemptions.front().is_some_and(|t| *t <= now - window) {
                self.recent_preemptions.pop_front();
            }
            if self.recent_preemptions.len() + victims.len() > count as usize {
                if let Some(&oldest) = self.recent_preemptions.front() {
                    self.wake_at(oldest + window);
                }
                return None;
            }
        }
        found
    }

    pub(super) fn wake_at(&mut self, t: Time) {
        self.preempt_retry = Some(self.preempt_retry.map_or(t, |r| r.min(t)));
    }

    fn search_victims(&self, head: OpId, now: Time) -> (Option<(NodeId, Vec<OpId>)>, Option<Time>) {
        let Some(claim) = self.waiting_claim(head, now) else { return (None, None) };
        let op = &self.ops[head.index()];
        let (req, cons) = (op.resources, op.constraints);
        let agent = self.queues[claim.queue.index()].spec.agent;
        let mut freed: HashMap<NodeId, (Resources, Vec<OpId>)> = HashMap::new();
        let mut best: Option<(NodeId, Vec<OpId>)> = None;
        let mut matures: Option<Time> = None;
        // Only the ranges the policy could evict from: lower levels, then the preemptor's own
        // queue below its priority.
        let scope = self.config.preemption.scope();
        let victims = &self.agents[agent.index()].victims;
        let lower = (scope.lower_levels)
            .then(|| victims.range(..(claim.level, QueueId(0), i32::MIN, Reverse(Time::MAX), OpId(0))))
            .into_iter()
            .flatten();
        let own = (scope.same_queue)
            .then(|| {
                victims.range(
                    (claim.level, claim.queue, i32::MIN, Reverse(Time::MAX), OpId(0))
                        ..(claim.level, claim.queue, claim.priority, Reverse(Time::MAX), OpId(0)),
                )
            })
            .into_iter()
            .flatten();
        for (examined, &(_, _, _, _, v)) in lower.chain(own).enumerate() {
            if examined >= SEARCH_WINDOW {
                break;
            }
            let Some(vc) = self.claim(v) else { continue };
            if !self.config.preemption.may_evict(&claim, &vc) {
                continue;
            }
            let vo = &self.ops[v.index()];
            // Admitted but not started yet (maybe in this very pass): not a victim.
            if vo.status != Status::Running {
                continue;
            }
            if now - vo.attempt_start < self.config.min_runtime {
                let t = vo.attempt_start + self.config.min_runtime;
                matures = Some(matures.map_or(t, |m| m.min(t)));
                continue;
            }
            // A gang is evicted whole: it frees a replica's room on each of its nodes.
            let mut single = false;
            for node in vo.nodes() {
                let n = &self.nodes[node.index()];
                if !self.class_allows(agent, n.class, cons) || !req.fits_in(&n.spec.allocatable) {
                    continue;
                }
                let entry = freed.entry(node).or_insert_with(|| (n.free, Vec::new()));
                entry.0.add(&vo.resources);
                if entry.1.last() != Some(&v) {
                    entry.1.push(v);
                }
                if req.fits_in(&entry.0) && best.as_ref().is_none_or(|b| entry.1.len() < b.1.len()) {
                    best = Some((node, entry.1.clone()));
                    single |= entry.1.len() == 1;
                }
            }
            if single {
                break;
            }
        }
        (best, matures)
    }

    /// At a requested wake-up, heads blocked for capacity try preemption again.
    pub(super) fn retry_preemption(&mut self, now: Time) {
        if self.preempt_retry.is_none_or(|t| t > now) {
            return;
        }
        self.preempt_retry = None;
        for a in 0..self.agents.len() {
            for q in std::mem::take(&mut self.agents[a].capacity_blocked) {
                self.unblock(q);
            }
        }
    }

    /// Evicts a running attempt: it keeps what its checkpoints saved, goes back to its queue
    /// in its old place, and its resources are free at once.
    pub(super) fn evict(&mut self, v: OpId, now: Time) {
        if self.config.preemption_limit.is_some() {
            self.recent_preemptions.push_back(now);
        }
        self.ops[v.index()].preemptions += 1;
        self.requeue_attempt(v, now, "preempted");
    }

    /// Ends `v`'s attempt early (eviction, node loss): what its checkpoints saved is kept,
    /// the rest is lost work, and it goes back to its queue in its old place.
    pub(super) fn requeue_attempt(&mut self, v: OpId, now: Time, why: &str) {
        let op = &mut self.ops[v.index()];
        let ran = (now - op.attempt_start).max(0);
        let kept = op.checkpoint.map_or(0, |c| ran / c * c);
        op.saved += kept;
        op.work_lost += ran - kept;
        self.release_resources(v, now);
        self.set_status(v, Status::Queued, now, Some(why));
        let op = &mut self.ops[v.index()];
        op.node = None;
        let Some(q) = op.queue else { return };
        let queued = op.queued_at.unwrap_or(now);
        let aged = crate::dispatch::aged_priority(op.priority, queued, self.config.aging_per_hour);
        let key = self.config.dispatch.op_key(aged, op.seq);
        op.queue_key = key;
        let before = self.head(q);
        self.push_pending(q, key, v);
        if self.head(q) != before {
            // Back ahead of a blocked head: what blocked that one says nothing about it.
            self.unblock(q);
        } else {
            self.refresh(q);
        }
    }
}
