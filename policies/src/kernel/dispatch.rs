//! Steps (3) and (4): queues served by the dispatch policy, under their concurrency and quota,
//! onto a node of their agent chosen by the placement policy.
//!
//! Only queues that could start their head are in the `ready` set. A queue leaves it when it
//! empties or blocks (concurrency, quota, no node) and comes back only when what blocked it
//! changes, so a decision pass does work proportional to what it starts and what blocks, not
//! to what is pending.

use super::backfill::Backfill;
use super::state::Block;
use super::{Decision, Kernel};
use crate::dispatch::QueueView;
use crate::ids::{AgentId, NodeId, OpId, QueueId};
use crate::model::Status;
use crate::resources::Resources;
use crate::time::{Time, HOUR};

impl Kernel {
    /// The decisions to apply now: stops that were asked for, then starts in dispatch order.
    /// Call it after every batch of observations and submissions that share a time.
    pub fn decide(&mut self, now: Time, out: &mut Vec<Decision>) {
        self.fire_timers(now, out);
        out.append(&mut self.pending_decisions);
        self.retry_preemption(now);
        self.renew_budgets(now);
        for op in self.lost.drain(..) {
            out.push(Decision::Preempt { op });
        }
        let stops = std::mem::take(&mut self.stops);
        for op in stops {
            match self.ops[op.index()].status {
                Status::Running | Status::Scheduled => {
                    // Being stopped, it is no longer anyone's victim: an eviction now would race
                    // the stop (and restart what the user stopped).
                    let o = &self.ops[op.index()];
                    if o.preemptible && self.preempting {
                        if let Some(node) = o.node {
                            let key = self.victim_key(op);
                            let agent = self.nodes[node.index()].spec.agent;
                            self.agents[agent.index()].victims.remove(&key);
                        }
                    }
                    self.ops[op.index()].preemptible = false;
                    out.push(Decision::Stop { op });
                }
                // Its timeout fired (or its node was lost) first: it holds nothing now, so it
                // just ends.
                _ => self.stop_unstarted(op, now),
            }
        }
        while let Some(&(_, q)) = self.ready.first() {
            let Some(head) = self.head(q) else {
                self.refresh(q);
                continue;
            };
            if self.queues[q.index()].spent_in_window(now) >= self.budget_amount(q) {
                self.block_for_budget(q, now);
                continue;
            }
            let queue = &self.queues[q.index()];
            let agent = queue.spec.agent;
            let (req, replicas) = (self.ops[head.index()].resources, self.ops[head.index()].replicas);
            // What the cohort lent out comes back when that lets the head start: it starts
            // right away, in the room the evictions made, before anything else is tried.
            let cons = self.ops[head.index()].constraints;
            // Reclaiming is only worth it when the head's cost quota would then let it start
            // (on the cheapest node it may use): otherwise the borrowers are evicted for nothing.
            if !self.within_quota(q, &req.times(replicas))
                && (!self.affordable(q, agent, cons, &req, replicas) || !self.reclaim(q, head, now, out))
            {
                self.block(q, Block::Quota);
                continue;
            }
            // Where it starts: a gang on a node per replica, whole or not at all (it does not
            // preempt; only whole gangs are evicted, for others); anything else on one node,
            // with room made by preemption if the policy allows.
            let placed = match self.place_replicas(agent, cons, &req, replicas) {
                Some((node, gang)) => Some((node, gang, Vec::new())),
                None if replicas == 1 => {
                    self.find_victims(head, now).map(|(node, victims)| (node, Vec::new(), victims))
                }
                None => None,
            };
            let Some((node, gang, victims)) = placed else {
                if self.config.backfill != Backfill::Off {
                    self.backfill(q, head, now, out);
                }
                self.block(q, Block::Capacity);
                continue;
            };
            // The cost quota is checked before anything is evicted, counting what evicting
            // this queue's own victims gives back, so no attempt is evicted for nothing.
            let rate: f64 =
                std::iter::once(node).chain(gang.iter().copied()).map(|n| self.cost_rate(&req, n)).sum();
            let given_back: f64 = victims
                .iter()
                .filter(|v| self.ops[v.index()].queue == Some(q))
                .map(|v| self.ops[v.index()].cost_rate)
                .sum();
            if !self.within_cost_quota(q, rate - given_back) {
                self.block(q, Block::Quota);
                continue;
            }
            for v in victims {
                self.evict(v, now);
                out.push(Decision::Preempt { op: v });
            }
            self.start(q, head, node, gang, rate, now);
            out.push(Decision::Start { op: head, node });
        }
    }

    fn budget_amount(&self, q: QueueId) -> f64 {
        self.queues[q.index()].spec.budget.map_or(f64::INFINITY, |b| b.amount)
    }

    /// Holds `q` until its next budget window.
    fn block_for_budget(&mut self, q: QueueId, now: Time) {
        if let Some(end) = self.queues[q.index()].window_end(now) {
            self.budget_wake.insert((end, q));
        }
        self.block(q, Block::Budget);
    }

    /// Queues whose budget window has turned over may start again.
    pub(super) fn renew_budgets(&mut self, now: Time) {
        while let Some(&(t, q)) = self.budget_wake.first() {
            if t > now {
                break;
            }
            self.budget_wake.pop_first();
            let queue = &mut self.queues[q.index()];
            if queue.block == Block::Budget {
                queue.block = Block::None;
            }
            self.refresh(q);
        }
    }

    /// Whether queue `q`'s running cost per hour can grow by `more` within its cost quota.
    pub(super) fn within_cost_quota(&self, q: QueueId, more: f64) -> bool {
        let queue = &self.queues[q.index()];
        queue.spec.cost_per_hour_quota.is_none_or(|cap| queue.cost_rate() + more <= cap * (1.0 + 1e-12))
    }

    /// Whether `replicas` of `req` could start within `q`'s cost quota on the cheapest node
    /// shape of `agent` that `cons` allows (always, without a cost quota).
    fn affordable(&self, q: QueueId, agent: AgentId, cons: u32, req: &Resources, replicas: u32) -> bool {
        if self.queues[q.index()].spec.cost_per_hour_quota.is_none() {
            return true;
        }
        let cheapest = self
            .allowed_shapes(agent, cons)
            .iter()
            .filter(|s| req.fits_in(&s.0))
            .map(|s| req.dominant_share(&s.0).min(1.0) * s.1)
            .fold(f64::INFINITY, f64::min);
        cheapest.is_finite() && self.within_cost_quota(q, cheapest * f64::from(replicas))
    }

    /// Cost per hour of `req` on `node`: its dominant share of the node times the node's price.
    pub(super) fn cost_rate(&self, req: &Resources, node: NodeId) -> f64 {
        let n = &self.nodes[node.index()].spec;
        req.dominant_share(&n.allocatable).min(1.0) * n.cost_per_hour
    }

    /// Starts `id` from queue `q` on `node` (and, for a gang, its other replicas on `gang`).
    pub(super) fn start(
        &mut self,
        q: QueueId,
        id: OpId,
        node: NodeId,
        gang: Vec<NodeId>,
        rate: f64,
        now: Time,
    ) {
        let queue = &mut self.queues[q.index()];
        // The head is usually the top entry; when a victim evicted for it went back to the same
        // queue ahead of it, the head's entry is dropped lazily instead (its status changes).
        queue.left_pending();
        self.pop_pending(q, id);
        self.occupy(q, id, (node, gang), rate, Status::Scheduled, now);
    }

    /// A new attempt of `id` (of queue `q`) holds its resources on `node` from now on.
    pub(super) fn occupy(
        &mut self,
        q: QueueId,
        id: OpId,
        (node, gang): (NodeId, Vec<NodeId>),
        rate: f64,
        status: Status,
        now: Time,
    ) {
        if self.journal.is_some() {
            let mut on = self.nodes[node.index()].spec.name.clone();
            for n in &gang {
                on.push('+');
                on.push_str(&self.nodes[n.index()].spec.name);
            }
            self.set_status(id, status, now, Some(&format!("node {on}")));
        }
        let op = &mut self.ops[id.index()];
        op.status = status;
        op.node = Some(node);
        op.gang = gang;
        op.attempts += 1;
        op.cost_rate = rate;
        op.attempt_start = now;
        let req = op.resources;
        let replicas = op.replicas;
        // The victim index is kept only when some preemption policy could use it.
        if op.preemptible && self.preempting {
            let key = self.victim_key(id);
            let agent = self.nodes[node.index()].spec.agent;
            self.agents[agent.index()].victims.insert(key);
        }
        let before = self.queues[q.index()].used();
        self.queues[q.index()].hold(&req.times(replicas), rate, now);
        if self.queues[q.index()].cohort.is_some() {
            self.queues[q.index()].running_ops.insert((std::cmp::Reverse(now), id));
            self.cohort_usage_changed(q, before);
        }
        self.used.add(&req.times(replicas));
        if self.config.backfill == Backfill::Easy {
            let key = self.end_key(id);
            self.agents[self.nodes[node.index()].spec.agent.index()].ends.insert(key);
        }
        for i in 0..replicas as usize {
            let n = if i == 0 { node } else { self.ops[id.index()].gang[i - 1] };
            self.nodes[n.index()].free.sub(&req);
            self.nodes[n.index()].running.insert(id);
            self.reindex(n);
        }
        self.refresh(q);
    }

    /// Puts a compiled operation, admitted by its workflows, on its queue.
    pub(super) fn enqueue(&mut self, id: OpId, now: Time, reason: Option<&str>) {
        self.set_status(id, Status::Queued, now, reason);
        let op = &mut self.ops[id.index()];
        op.queued_at = Some(now);
        let Some(q) = op.queue else { return };
        let aged = crate::dispatch::aged_priority(op.priority, now, self.config.aging_per_hour);
        let key = self.config.dispatch.op_key(aged, op.seq);
        op.queue_key = key;
        let cpu = op.resources.get(crate::resources::CPU);
        let before = self.head(q);
        self.push_pending(q, key, id);
        // The head changes to the new operation, or (with project lanes) to another project's.
        let is_head = self.head(q) != before;
        let queue = &mut self.queues[q.index()];
        queue.backfill_min_cpu = queue.backfill_min_cpu.min(cpu);
        // A new head may fit where the old one did not; with backfilling, so may anything new.
        let backfilling = self.config.backfill != Backfill::Off && queue.block == Block::Capacity;
        if (is_head || backfilling) && matches!(queue.block, Block::Quota | Block::Capacity) {
            // A new head may fit where the old one did not.
            queue.block = Block::None;
        }
        self.refresh(q);
    }

    /// The queue's first pending operation, dropping entries that already left.
    pub(super) fn head(&mut self, q: QueueId) -> Option<OpId> {
        if let Some(head) = self.lane_head(q) {
            return head;
        }
        let queue = &mut self.queues[q.index()];
        while let Some(&(_, _, id)) = queue.pending.first() {
            if self.ops[id.index()].status == Status::Queued {
                return Some(id);
            }
            queue.pending.pop_first();
        }
        None
    }

    /// Recomputes whether `q` belongs in the ready set, and with which key.
    pub(super) fn refresh(&mut self, q: QueueId) {
        let head = self.head(q);
        let queue = &self.queues[q.index()];
        let key = match head {
            None => None,
            Some(_) if queue.running() >= queue.concurrency_limit() => None,
            Some(_) if queue.block != Block::None && queue.block != Block::Concurrency => None,
            Some(h) => {
                let op = &self.ops[h.index()];
                Some(self.config.dispatch.queue_key(&QueueView {
                    level: queue.spec.level(),
                    running: queue.running(),
                    head_seq: op.seq,
                    head_priority: op.priority,
                    queue_index: q.0,
                    dominant_share: queue.used().dominant_share(&self.capacity).min(1.0),
                    weight: queue.spec.weight,
                    head_usage: self.head_usage(h),
                }))
            }
        };
        let queue = &mut self.queues[q.index()];
        if head.is_some() && queue.running() >= queue.concurrency_limit() {
            queue.block = Block::Concurrency;
        } else if queue.block == Block::Concurrency || head.is_none() {
            queue.block = Block::None;
        }
        if queue.ready_key == key {
            return;
        }
        if let Some(old) = queue.ready_key.take() {
            self.ready.remove(&(old, q));
        }
        if let Some(k) = key {
            self.ready.insert((k, q));
            self.queues[q.index()].ready_key = Some(k);
        }
    }

    fn block(&mut self, q: QueueId, why: Block) {
        let queue = &mut self.queues[q.index()];
        queue.block = why;
        if why == Block::Capacity {
            let agent = queue.spec.agent;
            self.agents[agent.index()].capacity_blocked.push(q);
        }
        self.refresh(q);
    }

    /// Lifts a quota or capacity block (what blocked it changed) and re-examines the queue.
    pub(super) fn unblock(&mut self, q: QueueId) {
        let queue = &mut self.queues[q.index()];
        if matches!(queue.block, Block::Quota | Block::Capacity) {
            queue.block = Block::None;
        }
        self.refresh(q);
    }

    /// `node` has more room now: wake the agent's capacity-blocked queues whose head fits it.
    pub(super) fn capacity_freed(&mut self, node: NodeId) {
        let n = &self.nodes[node.index()];
        let (agent, class) = (n.spec.agent, n.class);
        let a = agent.index();
        let free = n.free;
        let mut i = 0;
        while i < self.agents[a].capacity_blocked.len() {
            let q = self.agents[a].capacity_blocked[i];
            // With backfilling, any freed room may fit something behind a blocked head.
            let backfilling = self.config.backfill != Backfill::Off;
            let wake = match self.queues[q.index()].block {
                Block::Capacity
                    if backfilling
                        && free.get(crate::resources::CPU) >= self.queues[q.index()].backfill_min_cpu =>
                {
                    true
                }
                Block::Capacity => match self.head(q) {
                    Some(h) => {
                        let op = &self.ops[h.index()];
                        op.resources.fits_in(&free) && self.class_allows(agent, class, op.constraints)
                    }
                    None => true,
                },
                // Unblocked some other way already: just forget it.
                _ => {
                    self.agents[a].capacity_blocked.swap_remove(i);
                    continue;
                }
            };
            if wake {
                self.agents[a].capacity_blocked.swap_remove(i);
                self.unblock(q);
            } else {
                i += 1;
            }
        }
    }

    /// An attempt holding resources ended: give them back.
    pub(super) fn release_resources(&mut self, id: OpId, now: Time) {
        let op = &mut self.ops[id.index()];
        let (Some(q), Some(node)) = (op.queue, op.node) else {
            return;
        };
        let req = op.resources;
        let replicas = op.replicas;
        let gang = std::mem::take(&mut op.gang);
        let rate = op.cost_rate;
        let held_since = op.attempt_start;
        if op.preemptible && self.preempting {
            let key = self.victim_key(id);
            let agent = self.nodes[node.index()].spec.agent;
            self.agents[agent.index()].victims.remove(&key);
        }
        let op = &mut self.ops[id.index()];
        if let Some(s) = op.started {
            op.cost += rate * (now - s).max(0) as f64 / HOUR as f64;
        }
        op.cost_rate = 0.0;
        self.used.sub(&req.times(replicas));
        if self.config.backfill == Backfill::Easy {
            let key = self.end_key(id);
            self.agents[self.nodes[node.index()].spec.agent.index()].ends.remove(&key);
        }
        for &n in std::iter::once(&node).chain(&gang) {
            self.nodes[n.index()].free.add(&req);
            self.nodes[n.index()].running.remove(&id);
            self.reindex(n);
        }
        let before = self.queues[q.index()].used();
        self.queues[q.index()].release(&req.times(replicas), rate, now);
        if self.queues[q.index()].cohort.is_some() {
            self.queues[q.index()].running_ops.remove(&(std::cmp::Reverse(held_since), id));
            self.cohort_usage_changed(q, before);
        }
        self.charge_usage(id, held_since, now);
        if self.queues[q.index()].block == Block::Quota {
            self.unblock(q);
        } else {
            self.refresh(q);
        }
        for &n in std::iter::once(&node).chain(&gang) {
            self.capacity_freed(n);
        }
    }
}
