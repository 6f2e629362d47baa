//! Cohorts: queues that lend each other their unused quota (Kueue's cohorts).
//!
//! Each member queue has a nominal quota `N` (its `quota`), a lending limit `L` (how much of
//! `N` others may use; default all of it) and a borrowing limit `B` (how far above `N` it may
//! go; default unlimited). The part `G = N − L` is guaranteed to the queue; the lendable parts
//! form the cohort's shared pool `Σ L`. A member's usage `U` above `G` draws on the pool, so
//! a start is admitted when `U + r ≤ N + B` and the members' summed draws `Σ max(0, U − G)`
//! stay within the pool. Dimensions where a queue has no quota are not shared.
//!
//! A queue asking for what is its own (its usage stays within `N`) but finding the pool
//! drawn down by borrowers *reclaims* it: the most recently started preemptible attempts of
//! borrowing members are evicted (whatever their priority), as long as that lets it start.

use std::cmp::Reverse;

use super::{Decision, Kernel};
use crate::ids::{OpId, QueueId};
use crate::model::Status;
use crate::resources::Resources;
use crate::time::Time;

/// A cohort's shared pool and what its members draw from it.
#[derive(Clone, Debug)]
pub(crate) struct CohortState {
    pub name: String,
    pub members: Vec<QueueId>,
    /// `Σ L` over members.
    pub pool: Resources,
    /// `Σ max(0, U − G)` over members.
    pub drawn: Resources,
}

/// A member's draw on its pool at usage `used`: `max(0, used − G)` in shared dimensions.
fn draw(used: &Resources, guaranteed: &Resources, nominal: &Resources) -> Resources {
    let mut d = Resources::ZERO;
    for i in 0..d.0.len() {
        if nominal.0[i] != u64::MAX {
            d.0[i] = used.0[i].saturating_sub(guaranteed.0[i]);
        }
    }
    d
}

impl Kernel {
    /// Files queue `q` under its cohort (creating it), adding its lendable quota to the pool.
    pub(super) fn join_cohort(&mut self, q: QueueId) {
        let spec = &self.queues[q.index()].spec;
        let Some(name) = spec.cohort.clone() else { return };
        let nominal = spec.quota;
        let lendable = spec.lending_limit.map_or(nominal, |l| {
            let mut x = nominal;
            for i in 0..x.0.len() {
                x.0[i] = x.0[i].min(l.0[i]);
            }
            x
        });
        let mut guaranteed = nominal;
        guaranteed.sub(&lendable);
        let c = match self.cohorts.iter().position(|c| c.name == name) {
            Some(c) => c,
            None => {
                self.cohorts.push(CohortState {
                    name,
                    members: Vec::new(),
                    pool: Resources::ZERO,
                    drawn: Resources::ZERO,
                });
                self.cohorts.len() - 1
            }
        };
        let mut shared = lendable;
        for i in 0..shared.0.len() {
            if nominal.0[i] == u64::MAX {
                shared.0[i] = 0;
            }
        }
        self.cohorts[c].pool.add(&shared);
        self.cohorts[c].members.push(q);
        let queue = &mut self.queues[q.index()];
        queue.cohort = Some(c);
        queue.guaranteed = guaranteed;
    }

    fn draw_of(&self, q: QueueId, used: &Resources) -> Resources {
        let queue = &self.queues[q.index()];
        draw(used, &queue.guaranteed, &queue.spec.quota)
    }

    /// Whether `q` may hold `req` more: its own quota, or with a cohort its nominal quota plus
    /// borrowing limit and the cohort's pool.
    pub(super) fn within_quota(&self, q: QueueId, req: &Resources) -> bool {
        let queue = &self.queues[q.index()];
        let after = queue.used().plus(req);
        let Some(c) = queue.cohort else { return after.fits_in(&queue.spec.quota) };
        if !after.fits_in(&queue.spec.quota.plus(&queue.spec.borrowing_limit)) {
            return false;
        }
        let mut drawn = self.cohorts[c].drawn;
        drawn.sub(&self.draw_of(q, &queue.used()));
        drawn.add(&self.draw_of(q, &after));
        drawn.fits_in(&self.cohorts[c].pool)
    }

    /// The most `q` could ever hold at once (for rejecting what can never fit).
    pub(super) fn quota_ceiling(&self, q: QueueId) -> Resources {
        let queue = &self.queues[q.index()];
        let Some(c) = queue.cohort else { return queue.spec.quota };
        let mut ceiling = queue.spec.quota.plus(&queue.spec.borrowing_limit);
        let via_pool = queue.guaranteed.plus(&self.cohorts[c].pool);
        for i in 0..ceiling.0.len() {
            if queue.spec.quota.0[i] != u64::MAX {
                ceiling.0[i] = ceiling.0[i].min(via_pool.0[i]);
            }
        }
        ceiling
    }

    /// `q`'s usage went from `before` to its current value: update its cohort's draw, and
    /// when it shrank, let quota-blocked members try again.
    pub(super) fn cohort_usage_changed(&mut self, q: QueueId, before: Resources) {
        let Some(c) = self.queues[q.index()].cohort else { return };
        let now_used = self.queues[q.index()].used();
        let (old, new) = (self.draw_of(q, &before), self.draw_of(q, &now_used));
        let cohort = &mut self.cohorts[c];
        cohort.drawn.sub(&old);
        cohort.drawn.add(&new);
        if new.fits_in(&old) && new != old {
            for i in 0..self.cohorts[c].members.len() {
                let m = self.cohorts[c].members[i];
                if m != q && self.queues[m.index()].block == super::state::Block::Quota {
                    self.unblock(m);
                }
            }
        }
    }

    /// `q`'s head `head` is held back by the cohort's pool although it asks only for what
    /// is `q`'s own: evict borrowers' most recent attempts until the pool admits it, if the
    /// head could then start. Returns whether anything was evicted.
    pub(super) fn reclaim(&mut self, q: QueueId, head: OpId, now: Time, out: &mut Vec<Decision>) -> bool {
        let Some(c) = self.queues[q.index()].cohort else { return false };
        let op = &self.ops[head.index()];
        let (req, cons) = (op.total_resources(), op.constraints);
        let queue = &self.queues[q.index()];
        if op.replicas > 1 || !queue.used().plus(&req).fits_in(&queue.spec.quota) {
            return false;
        }
        let agent = queue.spec.agent;
        // Candidates: running attempts of members above their nominal quota, most recently
        // started first: a merge of the borrowers' ordered sets, walked only as far as needed.
        let mut lists: Vec<_> = self.cohorts[c]
            .members
            .iter()
            .filter(|&&m| {
                m != q && !self.queues[m.index()].used().fits_in(&self.queues[m.index()].spec.quota)
            })
            .map(|&m| self.queues[m.index()].running_ops.iter().copied().peekable())
            .collect();
        let candidates = std::iter::from_fn(move || {
            let mut best: Option<(usize, (Reverse<Time>, OpId))> = None;
            for (i, l) in lists.iter_mut().enumerate() {
                if let Some(&head) = l.peek() {
                    if best.is_none_or(|(_, b)| head < b) {
                        best = Some((i, head));
                    }
                }
            }
            lists[best?.0].next()
        });
        // Pick victims until the pool admits the head, tracking the room they free per node.
        let mut drawn = self.cohorts[c].drawn;
        let mut used: std::collections::HashMap<QueueId, Resources> = std::collections::HashMap::new();
        let mut victims = Vec::new();
        let mut freed: std::collections::HashMap<crate::ids::NodeId, Resources> =
            std::collections::HashMap::new();
        let admits = |drawn: &Resources, k: &Kernel| {
            let mut d = *drawn;
            let u = k.queues[q.index()].used();
            d.sub(&k.draw_of(q, &u));
            d.add(&k.draw_of(q, &u.plus(&req)));
            d.fits_in(&k.cohorts[c].pool)
        };
        for (examined, (_, v)) in candidates.enumerate() {
            if admits(&drawn, self) || examined >= super::preempt::SEARCH_WINDOW {
                break;
            }
            let vo = &self.ops[v.index()];
            if !vo.preemptible
                || vo.status != Status::Running
                || now - vo.attempt_start < self.config.min_runtime
            {
                continue;
            }
            let Some(vq) = vo.queue else { continue };
            let u = *used.entry(vq).or_insert_with(|| self.queues[vq.index()].used());
            let mut after = u;
            after.sub(&vo.total_resources());
            drawn.sub(&self.draw_of(vq, &u));
            drawn.add(&self.draw_of(vq, &after));
            used.insert(vq, after);
            for n in vo.nodes() {
                freed.entry(n).or_insert(self.nodes[n.index()].free).add(&vo.resources);
            }
            victims.push(v);
        }
        if victims.is_empty() || !admits(&drawn, self) {
            return false;
        }
        // Only worth it if the head then has a node.
        let fits_now = self.place(agent, cons, &req).is_some();
        let fits_after = freed.iter().any(|(n, free)| {
            let node = &self.nodes[n.index()];
            node.spec.agent == agent && req.fits_in(free) && self.class_allows(agent, node.class, cons)
        });
        if !fits_now && !fits_after {
            return false;
        }
        // Reclaims count against the preemption rate limit like any eviction.
        if let Some((count, window)) = self.config.preemption_limit {
            while self.recent_preemptions.front().is_some_and(|t| *t <= now - window) {
                self.recent_preemptions.pop_front();
            }
            if self.recent_preemptions.len() + victims.len() > count as usize {
                if let Some(&oldest) = self.recent_preemptions.front() {
                    self.wake_at(oldest + window);
                }
                return false;
            }
        }
        for v in victims {
            self.evict(v, now);
            out.push(Decision::Preempt { op: v });
        }
        true
    }
}
