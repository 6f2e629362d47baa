//! Placement policies: which node of an agent an operation goes to.
//!
//! Each agent owns one placement instance, which keeps its own index of the agent's nodes by
//! free capacity, so that finding a node that fits takes about logarithmic time instead of a
//! scan. The kernel tells it every change of a node's free capacity. Nodes are known to a
//! placement by their *slot*: their position among the agent's nodes.

mod best_fit;
mod first_fit;
mod gpu_pack;
mod spread;

pub use best_fit::BestFit;
pub use first_fit::FirstFit;
pub use gpu_pack::GpuPack;
pub use spread::Spread;

use crate::resources::Resources;

/// A placement policy for one agent's nodes.
pub trait Placement: Send + Sync {
    /// The name scenarios select it by.
    fn name(&self) -> &'static str;
    /// A node joined the agent as slot `slot` (slots are handed out 0, 1, 2, ...).
    fn add(&mut self, slot: usize, free: &Resources);
    /// The free capacity of `slot` changed to `free`.
    fn update(&mut self, slot: usize, free: &Resources);
    /// A slot that can hold `req` now, or `None` when no node can.
    fn choose(&self, req: &Resources) -> Option<usize>;
    /// How good `slot` (an answer of `choose`) is for `req`, lower is better: compares the
    /// answers of the agent's node classes. Policies that only care about order keep 0, so
    /// the earlier class wins.
    fn score(&self, _slot: usize, _req: &Resources) -> i64 {
        0
    }
}

/// Names of the placement policies, for `--help` and error messages.
pub const NAMES: &[&str] = &["first-fit", "best-fit", "spread", "gpu-pack"];

/// Builds a fresh (empty) placement instance; the kernel makes one per agent.
pub type Factory = fn() -> Box<dyn Placement>;

/// The factory of the placement policy called `name`.
pub fn factory(name: &str) -> Result<Factory, String> {
    match name {
        "first-fit" => Ok(|| Box::new(FirstFit::default())),
        "best-fit" => Ok(|| Box::new(BestFit::default())),
        "spread" => Ok(|| Box::new(Spread::default())),
        "gpu-pack" => Ok(|| Box::new(GpuPack::default())),
        _ => Err(format!("unknown placement policy `{name}`; expected one of: {}", NAMES.join(", "))),
    }
}

/// A fresh (empty) placement policy called `name`.
pub fn by_name(name: &str) -> Result<Box<dyn Placement>, String> {
    factory(name).map(|make| make())
}

#[cfg(test)]
mod contract_tests {
    //! Every placement must agree with brute force on *whether* something fits.
    use super::*;
    use proptest::prelude::*;

    fn small_res() -> impl Strategy<Value = Resources> {
        (0u64..8, 0u64..8, 0u64..3).prop_map(|(c, m, g)| Resources::new(c, m, g))
    }

    proptest! {
        #[test]
        fn finds_a_node_iff_one_fits(
            nodes in proptest::collection::vec(small_res(), 1..40),
            changes in proptest::collection::vec((0usize..40, small_res()), 0..40),
            req in small_res(),
        ) {
            for name in NAMES {
                let mut p = by_name(name).unwrap();
                let mut free = nodes.clone();
                for (i, f) in free.iter().enumerate() {
                    p.add(i, f);
                }
                for (i, f) in &changes {
                    // Free capacity never exceeds what the node had when it joined.
                    let i = i % free.len();
                    let mut f = *f;
                    for d in 0..crate::resources::MAX_RESOURCES {
                        f.0[d] = f.0[d].min(nodes[i].0[d]);
                    }
                    free[i] = f;
                    p.update(i, &f);
                }
                let any = free.iter().any(|f| req.fits_in(f));
                match p.choose(&req) {
                    Some(slot) => prop_assert!(req.fits_in(&free[slot]), "{name} chose a node that does not fit"),
                    None => prop_assert!(!any, "{name} missed a fitting node"),
                }
            }
        }
    }
}
