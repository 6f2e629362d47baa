//! Spread: the node with the most free CPU, like the Kubernetes scheduler's
//! "least allocated" scoring. Keeps headroom on every node and spreads failures' blast radius,
//! at the price of fragmentation.

use std::collections::BTreeSet;

use super::Placement;
use crate::resources::{Resources, CPU};

/// Nodes ordered by free CPU, then by slot *descending*, so walking the set backwards visits the
/// emptiest node first and, among equally empty ones, the lowest slot first; the first node that
/// fits in every resource is the answer (usually the very first visited).
#[derive(Default)]
pub struct Spread {
    set: BTreeSet<(u64, std::cmp::Reverse<usize>)>,
    free: Vec<Resources>,
}

fn key(cpu: u64, slot: usize) -> (u64, std::cmp::Reverse<usize>) {
    (cpu, std::cmp::Reverse(slot))
}

impl Placement for Spread {
    fn name(&self) -> &'static str {
        "spread"
    }

    fn add(&mut self, slot: usize, free: &Resources) {
        debug_assert_eq!(slot, self.free.len(), "slots are added in order");
        self.free.push(*free);
        self.set.insert(key(free.get(CPU), slot));
    }

    fn update(&mut self, slot: usize, free: &Resources) {
        let Some(old) = self.free.get_mut(slot) else { return };
        if old.get(CPU) != free.get(CPU) {
            self.set.remove(&key(old.get(CPU), slot));
            self.set.insert(key(free.get(CPU), slot));
        }
        *old = *free;
    }

    fn choose(&self, req: &Resources) -> Option<usize> {
        let from = key(req.get(CPU), usize::MAX);
        self.set.range(from..).rev().map(|(_, s)| s.0).find(|&slot| req.fits_in(&self.free[slot]))
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
