//! First-fit: the first node, in the agent's node order, that can hold the request.

use super::Placement;
use crate::resources::{Resources, MAX_RESOURCES};

/// First-fit over a segment tree whose inner entries hold the per-resource maximum free
/// capacity of their subtree. A subtree whose maxima cannot hold the request is skipped
/// whole, so the search is logarithmic unless resources are badly fragmented.
#[derive(Default)]
pub struct FirstFit {
    /// Leaves start at `cap`; entry 0 is unused. Each entry is a per-resource maximum.
    tree: Vec<[u64; MAX_RESOURCES]>,
    cap: usize,
    len: usize,
}

impl FirstFit {
    fn grow(&mut self, need: usize) {
        let mut cap = self.cap.max(1);
        while cap < need {
            cap *= 2;
        }
        if cap == self.cap {
            return;
        }
        let mut tree = vec![[0u64; MAX_RESOURCES]; 2 * cap];
        for i in 0..self.len {
            tree[cap + i] = self.tree[self.cap + i];
        }
        self.tree = tree;
        self.cap = cap;
        for i in (1..cap).rev() {
            self.pull(i);
        }
    }

    /// Recomputes entry `i` from its children; returns whether it changed.
    #[inline]
    fn pull(&mut self, i: usize) -> bool {
        let (l, r) = (self.tree[2 * i], self.tree[2 * i + 1]);
        let mut m = [0u64; MAX_RESOURCES];
        for d in 0..MAX_RESOURCES {
            m[d] = l[d].max(r[d]);
        }
        let changed = self.tree[i] != m;
        self.tree[i] = m;
        changed
    }

    fn set(&mut self, slot: usize, free: &Resources) {
        let mut i = self.cap + slot;
        self.tree[i] = free.0;
        // Ancestors above an unchanged maximum cannot change either.
        while i > 1 {
            i /= 2;
            if !self.pull(i) {
                break;
            }
        }
    }

    fn find(&self, i: usize, req: &Resources) -> Option<usize> {
        if !req.fits_in(&Resources(self.tree[i])) {
            return None;
        }
        if i >= self.cap {
            let slot = i - self.cap;
            return (slot < self.len).then_some(slot);
        }
        self.find(2 * i, req).or_else(|| self.find(2 * i + 1, req))
    }
}

impl Placement for FirstFit {
    fn name(&self) -> &'static str {
        "first-fit"
    }

    fn add(&mut self, slot: usize, free: &Resources) {
        debug_assert_eq!(slot, self.len, "slots are added in order");
        self.grow(slot + 1);
        self.len = self.len.max(slot + 1);
        self.set(slot, free);
    }

    fn update(&mut self, slot: usize, free: &Resources) {
        if slot < self.len {
            self.set(slot, free);
        }
    }

    fn choose(&self, req: &Resources) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        self.find(1, req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_lowest_slot_that_fits() {
        let mut p = FirstFit::default();
        for (i, c) in [2u64, 8, 4, 8].iter().enumerate() {
            p.add(i, &Resources::new(*c, 100, 0));
        }
        assert_eq!(p.choose(&Resources::new(3, 1, 0)), Some(1));
        p.update(1, &Resources::new(1, 100, 0));
        assert_eq!(p.choose(&Resources::new(3, 1, 0)), Some(2));
        assert_eq!(p.choose(&Resources::new(9, 1, 0)), None);
        // Memory must fit as well as CPU.
        assert_eq!(p.choose(&Resources::new(1, 101, 0)), None);
    }
}
