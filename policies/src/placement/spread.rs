//! Spread: the node with the most free CPU, like the Kubernetes scheduler's
//! "least allocated" scoring. Keeps headroom on every node and spreads failures' blast radius,
//! at the price of fragmentation.

use std::collections::BTreeSet;

use super::Placement;
use crate::resources::{Resources, CPU};

/// Nodes ordered by free CPU; the search walks down from the emptiest node and takes the first
/// that fits in every resource (usually the very first).
#[derive(Default)]
pub struct Spread {
    set: BTreeSet<(u64, usize)>,
    free: Vec<Resources>,
}

impl Placement for Spread {
    fn name(&self) -> &'static str {
        "spread"
    }

    fn add(&mut self, slot: usize, free: &Resources) {
        debug_assert_eq!(slot, self.free.len(), "slots are added in order");
        self.free.push(*free);
        self.set.insert((free.get(CPU), slot));
    }

    fn update(&mut self, slot: usize, free: &Resources) {
        let Some(old) = self.free.get_mut(slot) else { return };
        if old.get(CPU) != free.get(CPU) {
            self.set.remove(&(old.get(CPU), slot));
            self.set.insert((free.get(CPU), slot));
        }
        *old = *free;
    }

    fn choose(&self, req: &Resources) -> Option<usize> {
        // Among equally empty nodes the lowest slot wins, so ties are stable.
        let mut best: Option<(u64, usize)> = None;
        for &(cpu, slot) in self.set.range((req.get(CPU), 0)..).rev() {
            if best.is_some_and(|(c, _)| c > cpu) {
                break;
            }
            if req.fits_in(&self.free[slot]) {
                best = Some((cpu, slot));
            }
        }
        best.map(|(_, s)| s)
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
