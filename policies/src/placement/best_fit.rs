//! Best-fit (bin-packing): the node the request leaves the least room on.

use std::collections::BTreeSet;

use super::Placement;
use crate::resources::{Resources, CPU, GPU};

/// Best-fit over an ordered set keyed by free capacity.
///
/// Nodes are ordered by (free GPUs, free CPU, slot) — GPUs first because they are the scarce
/// resource of ML clusters and leaving whole GPU nodes free matters most; on CPU-only agents
/// every node has zero free GPUs and the order is by free CPU. The search starts at the
/// smallest free capacity that could hold the request and, inside a GPU bucket whose nodes
/// lack CPU, jumps straight to the part of the bucket with enough CPU, so it visits few
/// nodes that do not fit.
#[derive(Default)]
pub struct BestFit {
    set: BTreeSet<(u64, u64, usize)>,
    free: Vec<Resources>,
}

fn key(r: &Resources, slot: usize) -> (u64, u64, usize) {
    (r.get(GPU), r.get(CPU), slot)
}

impl Placement for BestFit {
    fn name(&self) -> &'static str {
        "best-fit"
    }

    fn add(&mut self, slot: usize, free: &Resources) {
        debug_assert_eq!(slot, self.free.len(), "slots are added in order");
        self.free.push(*free);
        self.set.insert(key(free, slot));
    }

    fn update(&mut self, slot: usize, free: &Resources) {
        let Some(old) = self.free.get_mut(slot) else {
            return;
        };
        if (old.get(GPU), old.get(CPU)) != (free.get(GPU), free.get(CPU)) {
            self.set.remove(&key(old, slot));
            self.set.insert(key(free, slot));
        }
        *old = *free;
    }

    fn choose(&self, req: &Resources) -> Option<usize> {
        let mut from = (req.get(GPU), req.get(CPU), 0usize);
        loop {
            let mut it = self.set.range(from..);
            let &(g, c, slot) = it.next()?;
            if c < req.get(CPU) {
                // This GPU bucket's nodes here lack CPU: jump within the bucket.
                from = (g, req.get(CPU), 0);
                continue;
            }
            if req.fits_in(&self.free[slot]) {
                return Some(slot);
            }
            // Fits on GPUs and CPU but not on memory or another resource: try the next node.
            from = (g, c, slot + 1);
        }
    }

    fn score(&self, slot: usize, req: &Resources) -> i64 {
        // Leftover GPUs first, then leftover CPU: the same order as the search.
        let f = &self.free[slot];
        let gpu = f.get(GPU).saturating_sub(req.get(GPU)).min(1 << 20) as i64;
        let cpu = f.get(CPU).saturating_sub(req.get(CPU)).min(1 << 40) as i64;
        (gpu << 40) + cpu
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_tightest_node() {
        let mut p = BestFit::default();
        for (i, c) in [8u64, 3, 4, 16].iter().enumerate() {
            p.add(i, &Resources::new(*c, 100, 0));
        }
        assert_eq!(p.choose(&Resources::new(3, 1, 0)), Some(1));
        assert_eq!(p.choose(&Resources::new(4, 1, 0)), Some(2));
        assert_eq!(p.choose(&Resources::new(9, 1, 0)), Some(3));
        assert_eq!(p.choose(&Resources::new(17, 1, 0)), None);
    }

    #[test]
    fn keeps_gpu_nodes_for_gpu_work() {
        let mut p = BestFit::default();
        p.add(0, &Resources::new(32, 100, 4));
        p.add(1, &Resources::new(16, 100, 0));
        assert_eq!(p.choose(&Resources::new(2, 1, 0)), Some(1));
        assert_eq!(p.choose(&Resources::new(2, 1, 1)), Some(0));
    }

    #[test]
    fn skips_nodes_short_of_memory() {
        let mut p = BestFit::default();
        p.add(0, &Resources::new(4, 10, 0));
        p.add(1, &Resources::new(8, 100, 0));
        assert_eq!(p.choose(&Resources::new(2, 50, 0)), Some(1));
    }
}
