//! Spread: the node with the most free CPU, like the Kubernetes scheduler's
//! "least allocated" scoring. Keeps headroom on every node and spreads failures' blast radius,
//! at the price of fragmentation.

use std::collections::BTreeSet;

use super::Placement;
use std::cmp::Reverse;

use crate::resources::{Resources, CPU, GPU};

/// Nodes ordered by free CPU, then by slot *descending*, so walking a set backwards visits the
/// emptiest node first and, among equally empty ones, the lowest slot first; the first node
/// that fits in every resource is the answer (usually the very first visited). Nodes with and
/// without GPUs are kept apart, so a GPU request never walks past CPU-only nodes.
#[derive(Default)]
pub struct Spread {
    cpu_only: BTreeSet<(u64, Reverse<usize>)>,
    with_gpu: BTreeSet<(u64, Reverse<usize>)>,
    free: Vec<Resources>,
    has_gpu: Vec<bool>,
}

fn key(cpu: u64, slot: usize) -> (u64, Reverse<usize>) {
    (cpu, Reverse(slot))
}

impl Spread {
    fn set(&mut self, slot: usize) -> &mut BTreeSet<(u64, Reverse<usize>)> {
        if self.has_gpu[slot] {
            &mut self.with_gpu
        } else {
            &mut self.cpu_only
        }
    }

    fn emptiest(
        set: &BTreeSet<(u64, Reverse<usize>)>,
        free: &[Resources],
        req: &Resources,
    ) -> Option<(u64, usize)> {
        let from = key(req.get(CPU), usize::MAX);
        set.range(from..).rev().map(|&(c, s)| (c, s.0)).find(|&(_, slot)| req.fits_in(&free[slot]))
    }
}

impl Placement for Spread {
    fn name(&self) -> &'static str {
        "spread"
    }

    fn add(&mut self, slot: usize, free: &Resources) {
        debug_assert_eq!(slot, self.free.len(), "slots are added in order");
        self.free.push(*free);
        // A node's kind is fixed by its allocatable GPUs, which is what it has free when added.
        self.has_gpu.push(free.get(GPU) > 0);
        self.set(slot).insert(key(free.get(CPU), slot));
    }

    fn update(&mut self, slot: usize, free: &Resources) {
        let Some(old) = self.free.get(slot).copied() else { return };
        if old.get(CPU) != free.get(CPU) {
            let set = self.set(slot);
            set.remove(&key(old.get(CPU), slot));
            set.insert(key(free.get(CPU), slot));
        }
        self.free[slot] = *free;
    }

    fn choose(&self, req: &Resources) -> Option<usize> {
        let gpu = Self::emptiest(&self.with_gpu, &self.free, req);
        if req.get(GPU) > 0 {
            return gpu.map(|(_, s)| s);
        }
        let cpu = Self::emptiest(&self.cpu_only, &self.free, req);
        // The emptier of the two; on a tie the lower slot.
        match (cpu, gpu) {
            (Some(a), Some(b)) => Some(if (a.0, Reverse(a.1)) >= (b.0, Reverse(b.1)) { a.1 } else { b.1 }),
            (a, b) => a.or(b).map(|(_, s)| s),
        }
    }

    fn score(&self, slot: usize, _req: &Resources) -> i64 {
        -(self.free[slot].get(CPU).min(i64::MAX as u64) as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_emptiest_node_lowest_slot_first() {
        let mut p = Spread::default();
        for (i, c) in [8u64, 16, 16, 4].iter().enumerate() {
            p.add(i, &Resources::new(*c, 100, 0));
        }
        assert_eq!(p.choose(&Resources::new(1, 1, 0)), Some(1));
        p.update(1, &Resources::new(15, 100, 0));
        assert_eq!(p.choose(&Resources::new(1, 1, 0)), Some(2));
        assert_eq!(p.choose(&Resources::new(17, 1, 0)), None);
    }
}
