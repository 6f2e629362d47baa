//! Node classes: an agent's nodes grouped by labels and taints (in practice, by pool).
//!
//! Node selectors, affinity and tolerations depend only on labels and taints, so they are
//! checked once per class, never per node; each class has its own placement index, and
//! placing an operation asks each class it may use for its best node and takes the best
//! answer by the policy's score (the earlier class on a tie).

use super::Kernel;
use crate::ids::{AgentId, NodeId};
use crate::model::{Constraints, Taint};
use crate::placement::Placement;
use crate::resources::Resources;

/// Nodes of one agent sharing labels and taints.
pub(crate) struct NodeClass {
    pub labels: Vec<(String, String)>,
    pub taints: Vec<Taint>,
    pub placement: Box<dyn Placement>,
    pub nodes: Vec<NodeId>,
    /// Distinct (allocatable, cost per hour) of its nodes.
    pub shapes: Vec<(Resources, f64)>,
    /// How many of its nodes have each shape.
    pub shape_counts: Vec<u32>,
}

impl Kernel {
    /// The interned constraint set equal to `c` (0 is "no constraints").
    pub(super) fn intern_constraints(&mut self, c: &crate::model::Constraints) -> u32 {
        if let Some(i) = self.constraints.iter().position(|x| x == c) {
            return i as u32;
        }
        self.constraints.push(c.clone());
        (self.constraints.len() - 1) as u32
    }

    /// Whether operations with constraint set `cons` may run on class `class` of `agent`.
    pub(super) fn class_allows(&self, agent: AgentId, class: usize, cons: u32) -> bool {
        let c = &self.agents[agent.index()].classes[class];
        self.constraints[cons as usize].allow(&c.labels, &c.taints)
    }

    /// The best node of `agent` for `req` under `cons` now, by the placement policy.
    pub(super) fn place(&self, agent: AgentId, cons: u32, req: &Resources) -> Option<NodeId> {
        let mut best: Option<(i64, NodeId)> = None;
        for (i, class) in self.agents[agent.index()].classes.iter().enumerate() {
            if !self.class_allows(agent, i, cons) {
                continue;
            }
            if let Some(slot) = class.placement.choose(req) {
                let score = class.placement.score(slot, req);
                if best.is_none_or(|(s, _)| score < s) {
                    best = Some((score, class.nodes[slot]));
                }
            }
        }
        best.map(|(_, n)| n)
    }

    /// The shapes of the classes of `agent` that `cons` may use.
    pub(super) fn allowed_shapes(&self, agent: AgentId, cons: u32) -> Vec<(Resources, f64)> {
        let classes = &self.agents[agent.index()].classes;
        (0..classes.len())
            .filter(|&i| self.class_allows(agent, i, cons))
            .flat_map(|i| classes[i].shapes.iter().copied())
            .collect()
    }

    /// How many replicas of `req` the nodes of `agent` that `cons` may use could hold at once
    /// when empty (from the class shapes: no walk over nodes).
    pub(super) fn replica_room(&self, agent: AgentId, cons: u32, req: &Resources) -> u64 {
        let classes = &self.agents[agent.index()].classes;
        let per_node = |alloc: &Resources| {
            req.0
                .iter()
                .zip(alloc.0.iter())
                .filter(|(r, _)| **r > 0)
                .map(|(r, a)| a / r)
                .min()
                .unwrap_or(u64::MAX)
        };
        (0..classes.len())
            .filter(|&i| self.class_allows(agent, i, cons))
            .flat_map(|i| classes[i].shapes.iter().zip(&classes[i].shape_counts))
            .map(|(s, &n)| per_node(&s.0).saturating_mul(u64::from(n)))
            .fold(0u64, u64::saturating_add)
    }

    /// Places the `n` replicas of a gang: each on the best node by the placement policy given
    /// the replicas placed before it (several may share a node). All or nothing: the index is
    /// left as it was either way.
    pub(super) fn place_gang(
        &mut self,
        agent: AgentId,
        cons: u32,
        req: &Resources,
        n: u32,
    ) -> Option<Vec<NodeId>> {
        let mut placed = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let Some(node) = self.place(agent, cons, req) else { break };
            self.nodes[node.index()].free.sub(req);
            self.reindex(node);
            placed.push(node);
        }
        for &node in &placed {
            self.nodes[node.index()].free.add(req);
            self.reindex(node);
        }
        (placed.len() == n as usize).then_some(placed)
    }

    /// Where an operation of `replicas` copies of `req` would start now, without preempting:
    /// the node of its (first) replica and, for a gang, those of the others.
    pub(super) fn place_replicas(
        &mut self,
        agent: AgentId,
        cons: u32,
        req: &Resources,
        replicas: u32,
    ) -> Option<(NodeId, Vec<NodeId>)> {
        if replicas > 1 {
            self.place_gang(agent, cons, req, replicas).map(|mut nodes| (nodes.remove(0), nodes))
        } else {
            self.place(agent, cons, req).map(|n| (n, Vec::new()))
        }
    }

    /// Files a new node under its class (creating the class if needed); returns (class, slot).
    pub(super) fn classify(&mut self, id: NodeId, spec: &crate::model::NodeSpec) -> (usize, usize) {
        let make = self.config.placement;
        let agent = &mut self.agents[spec.agent.index()];
        let i = match agent.classes.iter().position(|c| c.labels == spec.labels && c.taints == spec.taints) {
            Some(i) => i,
            None => {
                agent.classes.push(NodeClass {
                    labels: spec.labels.clone(),
                    taints: spec.taints.clone(),
                    placement: make(),
                    nodes: Vec::new(),
                    shapes: Vec::new(),
                    shape_counts: Vec::new(),
                });
                agent.classes.len() - 1
            }
        };
        let class = &mut agent.classes[i];
        let slot = class.nodes.len();
        class.nodes.push(id);
        class.placement.add(slot, &spec.allocatable);
        let shape = (spec.allocatable, spec.cost_per_hour);
        match class.shapes.iter().position(|s| s.0 == shape.0 && s.1.to_bits() == shape.1.to_bits()) {
            Some(i) => class.shape_counts[i] += 1,
            None => {
                class.shapes.push(shape);
                class.shape_counts.push(1);
            }
        }
        (i, slot)
    }

    /// Tells the node's class placement index its new free capacity.
    pub(super) fn reindex(&mut self, node: NodeId) {
        let n = &self.nodes[node.index()];
        self.agents[n.spec.agent.index()].classes[n.class].placement.update(n.slot, &n.free);
    }

    /// Constraints of operations with no constraints of their own on `queue`... and the
    /// combination with an operation's own.
    pub(super) fn constraints_of(&self, queue: &crate::model::QueueSpec, own: &Constraints) -> Constraints {
        queue.constraints.and(own)
    }
}
