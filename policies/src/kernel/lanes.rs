//! Project lanes and decayed usage, for dispatch policies that share by project usage.
//!
//! Each project's usage is kept *normalised*: an amount `u` charged at time `t` adds
//! `u · 2^((t − epoch) / half_life)`. Decay multiplies every project's usage by the same
//! factor, so comparing normalised values orders projects exactly as their decayed usage at
//! any common time would, and nothing has to be touched as time passes. When the scale grows
//! large the epoch moves forward and every value is rescaled once (every few hundred
//! half-lives).
//!
//! A queue keeps one lane per project (its pending operations in `op_key` order) and the
//! lanes ordered by (usage, head sequence): its head is the first lane's first operation.

use std::collections::{BTreeSet, HashMap};

use super::Kernel;
use crate::ids::{OpId, QueueId};
use crate::model::Status;
use crate::time::{Time, HOUR};

/// Lane of operations without a project.
pub(crate) const NO_PROJECT: u32 = u32::MAX;

type Entry = (i64, u64, OpId);

/// A queue's pending operations by project, lanes ordered by their project's usage.
#[derive(Clone, Debug, Default)]
pub(crate) struct Lanes {
    lanes: HashMap<u32, BTreeSet<Entry>>,
    order: BTreeSet<(u64, u64, u32)>,
    keys: HashMap<u32, (u64, u64)>,
}

impl Lanes {
    fn rekey(&mut self, p: u32, usage: f64) {
        if let Some((u, s)) = self.keys.remove(&p) {
            self.order.remove(&(u, s, p));
        }
        if let Some(first) = self.lanes.get(&p).and_then(|l| l.first()) {
            let key = (usage.max(0.0).to_bits(), first.1);
            self.order.insert((key.0, key.1, p));
            self.keys.insert(p, key);
        } else {
            self.lanes.remove(&p);
        }
    }

    fn push(&mut self, p: u32, e: Entry, usage: f64) -> bool {
        let lane = self.lanes.entry(p).or_default();
        let new_lane = lane.is_empty();
        let was_first = lane.first().copied();
        lane.insert(e);
        if lane.first().copied() != was_first {
            self.rekey(p, usage);
        }
        new_lane
    }

    fn remove(&mut self, p: u32, e: &Entry, usage: f64) {
        let Some(lane) = self.lanes.get_mut(&p) else { return };
        let was_first = lane.first() == Some(e);
        lane.remove(e);
        if was_first {
            self.rekey(p, usage);
        }
    }

    /// The first lane's first entry.
    fn first(&self) -> Option<(u32, Entry)> {
        let &(_, _, p) = self.order.first()?;
        Some((p, *self.lanes.get(&p)?.first()?))
    }
}

/// Decayed usage per project (see the module documentation).
#[derive(Clone, Debug, Default)]
pub(crate) struct Usage {
    normalised: HashMap<u32, f64>,
    epoch: Time,
    /// Queues with a lane for each project (they re-order when its usage changes).
    lanes_of: HashMap<u32, Vec<QueueId>>,
}

impl Usage {
    pub(crate) fn of(&self, p: u32) -> f64 {
        self.normalised.get(&p).copied().unwrap_or(0.0)
    }
}

fn project_of(k: &Kernel, id: OpId) -> u32 {
    k.ops[id.index()].project.map_or(NO_PROJECT, |p| p.0)
}

impl Kernel {
    /// Adds a queued operation to its queue (and its project's lane there).
    pub(super) fn push_pending(&mut self, q: QueueId, key: (i64, u64), id: OpId) {
        self.queues[q.index()].push(key, id);
        if self.queues[q.index()].lanes.is_some() {
            let p = project_of(self, id);
            let usage = self.usage.of(p);
            let lanes = self.queues[q.index()].lanes.as_mut().expect("checked");
            if lanes.push(p, (key.0, key.1, id), usage) {
                let qs = self.usage.lanes_of.entry(p).or_default();
                if !qs.contains(&q) {
                    qs.push(q);
                }
            }
        }
    }

    /// Takes a starting operation off its queue.
    pub(super) fn pop_pending(&mut self, q: QueueId, id: OpId) {
        let key = self.ops[id.index()].queue_key;
        let e = (key.0, key.1, id);
        let p = project_of(self, id);
        let usage = self.usage.of(p);
        let queue = &mut self.queues[q.index()];
        queue.pending.remove(&e);
        if let Some(l) = queue.lanes.as_mut() {
            l.remove(p, &e, usage);
        }
    }

    /// With lanes: the head of the least-used project's lane, dropping entries that left.
    /// `None` when the queue has no lanes (the caller uses its plain order).
    pub(super) fn lane_head(&mut self, q: QueueId) -> Option<Option<OpId>> {
        self.queues[q.index()].lanes.as_ref()?;
        loop {
            let lanes = self.queues[q.index()].lanes.as_mut().expect("checked");
            let Some((p, e)) = lanes.first() else { return Some(None) };
            if self.ops[e.2.index()].status == Status::Queued {
                return Some(Some(e.2));
            }
            lanes.remove(p, &e, self.usage.of(p));
        }
    }

    /// The decayed usage the head's project has, for the dispatch policy's queue key.
    pub(super) fn head_usage(&self, head: OpId) -> f64 {
        if self.config.dispatch.project_lanes() {
            self.usage.of(project_of(self, head))
        } else {
            0.0
        }
    }

    /// An attempt of `id` that held its resources since `from` ends now: its project is
    /// charged its dominant share of the cluster times the hours it held it.
    pub(super) fn charge_usage(&mut self, id: OpId, from: Time, now: Time) {
        if !self.config.dispatch.project_lanes() {
            return;
        }
        let share = self.ops[id.index()].total_resources().dominant_share(&self.capacity).min(1.0);
        let hours = (now - from).max(0) as f64 / HOUR as f64;
        if share * hours <= 0.0 {
            return;
        }
        let half_life = self.config.half_life.max(1) as f64;
        let mut exponent = (now - self.usage.epoch) as f64 / half_life;
        if exponent > 512.0 {
            // Rescale everything to a later epoch; orders are unchanged.
            let scale = (-exponent).exp2();
            for v in self.usage.normalised.values_mut() {
                *v *= scale;
            }
            self.usage.epoch = now;
            exponent = 0.0;
            // Lane keys hold the old values: re-key every lane at the new scale.
            let all: Vec<(u32, Vec<QueueId>)> =
                self.usage.lanes_of.iter().map(|(p, q)| (*p, q.clone())).collect();
            for (p, qs) in all {
                let usage = self.usage.of(p);
                for q in qs {
                    if let Some(l) = self.queues[q.index()].lanes.as_mut() {
                        l.rekey(p, usage);
                    }
                }
            }
        }
        let p = project_of(self, id);
        *self.usage.normalised.entry(p).or_insert(0.0) += share * hours * exponent.exp2();
        // Taken out while its queues re-order (nothing below adds lanes), then put back: no
        // copy on every attempt end.
        let queues = self.usage.lanes_of.remove(&p).unwrap_or_default();
        let usage = self.usage.of(p);
        for &q in &queues {
            let before = self.lane_head(q).flatten();
            if let Some(l) = self.queues[q.index()].lanes.as_mut() {
                l.rekey(p, usage);
            }
            // Another project's operation may now lead the queue: what blocked the old head
            // (no node, quota) says nothing about it.
            if self.lane_head(q).flatten() != before {
                self.unblock(q);
            } else {
                self.refresh(q);
            }
        }
        if !queues.is_empty() {
            self.usage.lanes_of.insert(p, queues);
        }
    }

    /// A project's decayed usage at `now`: dominant-share-hours, halved every half-life.
    pub fn project_usage(&self, project: Option<crate::ids::ProjectId>, now: Time) -> f64 {
        let p = project.map_or(NO_PROJECT, |p| p.0);
        let half_life = self.config.half_life.max(1) as f64;
        self.usage.of(p) * (-((now - self.usage.epoch) as f64) / half_life).exp2()
    }
}
