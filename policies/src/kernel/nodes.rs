//! Nodes going away and coming back: spot reclaims, failures, deletions.
//!
//! Losing a node is not a failure of the work on it: each attempt there goes back to its
//! queue in its old place, keeping what its checkpoints saved, exactly as a preemption
//! would, but it is counted as a node loss, not a preemption, and the preemption rate limit
//! does not see it. The node holds nothing until it is restored.

use super::{Kernel, ObservationError};
use crate::ids::NodeId;
use crate::resources::Resources;
use crate::time::Time;

impl Kernel {
    pub(super) fn lose_node(&mut self, node: NodeId, now: Time) -> Result<(), ObservationError> {
        let n = self
            .nodes
            .get(node.index())
            .ok_or_else(|| ObservationError(format!("unknown node {}", node.0)))?;
        if !n.up {
            return Err(ObservationError(format!("node `{}` is already lost", n.spec.name)));
        }
        let on_it: Vec<_> = n.running.iter().copied().collect();
        for op in on_it {
            if let Some(i) = self.stops.iter().position(|&s| s == op) {
                // Its stop was asked for: the loss ends it, as stopped.
                self.stops.remove(i);
                let _ = self.observe(now, super::Observation::AttemptStopped { op });
                self.lost.push(op);
                continue;
            }
            self.ops[op.index()].node_losses += 1;
            let why = format!("node {} lost", self.nodes[node.index()].spec.name);
            self.requeue_attempt(op, now, &why);
            self.lost.push(op);
        }
        let n = &mut self.nodes[node.index()];
        n.up = false;
        n.free = Resources::ZERO;
        let alloc = n.spec.allocatable;
        self.capacity.sub(&alloc);
        self.reindex(node);
        Ok(())
    }

    pub(super) fn restore_node(&mut self, node: NodeId) -> Result<(), ObservationError> {
        let n = self
            .nodes
            .get_mut(node.index())
            .ok_or_else(|| ObservationError(format!("unknown node {}", node.0)))?;
        if n.up {
            return Err(ObservationError(format!("node `{}` is not lost", n.spec.name)));
        }
        n.up = true;
        n.free = n.spec.allocatable;
        let alloc = n.spec.allocatable;
        self.capacity.add(&alloc);
        self.reindex(node);
        self.capacity_freed(node);
        Ok(())
    }
}
