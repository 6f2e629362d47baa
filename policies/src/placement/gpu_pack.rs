//! GPU packing: keep GPU nodes for GPU work and pack GPU work tightly.
//!
//! CPU-only operations go first-fit to nodes without GPUs, and only when none fits to the GPU
//! node with the fewest free GPUs (whose GPUs are the least likely to be wanted whole). GPU
//! operations go best-fit to the GPU node left with the fewest free GPUs, so whole nodes stay
//! free for large multi-GPU jobs.

use super::{BestFit, FirstFit, Placement};
use crate::resources::{Resources, GPU};

/// Two indexes: CPU-only nodes (first-fit) and GPU nodes (best-fit by free GPUs, then CPU).
#[derive(Default)]
pub struct GpuPack {
    cpu_nodes: FirstFit,
    gpu_nodes: BestFit,
    /// For each slot: (is a GPU node, position in that index).
    place: Vec<(bool, usize)>,
    /// Agent slot of each position, per index.
    cpu_slots: Vec<usize>,
    gpu_slots: Vec<usize>,
}

impl Placement for GpuPack {
    fn name(&self) -> &'static str {
        "gpu-pack"
    }

    fn add(&mut self, slot: usize, free: &Resources) {
        debug_assert_eq!(slot, self.place.len(), "slots are added in order");
        // A node's kind is fixed by its allocatable GPUs, which is what it has free when added.
        if free.get(GPU) > 0 {
            self.place.push((true, self.gpu_slots.len()));
            self.gpu_nodes.add(self.gpu_slots.len(), free);
            self.gpu_slots.push(slot);
        } else {
            self.place.push((false, self.cpu_slots.len()));
            self.cpu_nodes.add(self.cpu_slots.len(), free);
            self.cpu_slots.push(slot);
        }
    }

    fn update(&mut self, slot: usize, free: &Resources) {
        match self.place.get(slot) {
            Some(&(true, i)) => self.gpu_nodes.update(i, free),
            Some(&(false, i)) => self.cpu_nodes.update(i, free),
            None => {}
        }
    }

    fn choose(&self, req: &Resources) -> Option<usize> {
        if req.get(GPU) == 0 {
            if let Some(i) = self.cpu_nodes.choose(req) {
                return Some(self.cpu_slots[i]);
            }
        }
        self.gpu_nodes.choose(req).map(|i| self.gpu_slots[i])
    }

    fn score(&self, slot: usize, req: &Resources) -> i64 {
        match self.place.get(slot) {
            // CPU-only work on a CPU node beats anything on a GPU node.
            Some(&(false, _)) => 0,
            Some(&(true, i)) => (1 << 62) / 2 + self.gpu_nodes.score(i, req).min(1 << 60),
            None => i64::MAX,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_work_avoids_gpu_nodes_and_gpu_work_packs() {
        let mut p = GpuPack::default();
        p.add(0, &Resources::new(32, 100, 4)); // GPU node, all 4 free
        p.add(1, &Resources::new(16, 100, 0)); // CPU node
        p.add(2, &Resources::new(32, 100, 4)); // GPU node
        assert_eq!(p.choose(&Resources::new(4, 1, 0)), Some(1));
        // Node 2 has 1 GPU left after this: the next 1-GPU job goes there, not to node 0.
        p.update(2, &Resources::new(32, 100, 1));
        assert_eq!(p.choose(&Resources::new(4, 1, 1)), Some(2));
        // CPU node full: CPU work spills to the GPU node with the fewest free GPUs.
        p.update(1, &Resources::new(0, 100, 0));
        assert_eq!(p.choose(&Resources::new(4, 1, 0)), Some(2));
    }
}
