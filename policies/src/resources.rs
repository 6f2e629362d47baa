//! Resource vectors: cpu, memory, gpu, tpu and a few named custom resources.
//!
//! A fixed-size array keeps a request `Copy` and comparisons branch-free; the kernel does
//! millions of fit checks per second, so this is the hottest type in the crate.

use std::fmt;

/// How many resource dimensions a vector holds: the four standard ones plus custom ones.
pub const MAX_RESOURCES: usize = 8;
/// Index of CPU, in millicores.
pub const CPU: usize = 0;
/// Index of memory, in MiB.
pub const MEM: usize = 1;
/// Index of GPUs (whole devices).
pub const GPU: usize = 2;
/// Index of TPUs (whole devices).
pub const TPU: usize = 3;
/// First index available to named custom resources.
pub const FIRST_CUSTOM: usize = 4;
/// Names of the standard dimensions, as they appear in scenario files and outputs.
pub const STANDARD_NAMES: [&str; 4] = ["cpu", "memory", "gpu", "tpu"];

/// An amount of each resource. CPU is in millicores, memory in MiB, the rest in units.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Resources(pub [u64; MAX_RESOURCES]);

impl Resources {
    /// Nothing of anything.
    pub const ZERO: Resources = Resources([0; MAX_RESOURCES]);
    /// Unbounded in every dimension (an absent quota).
    pub const UNLIMITED: Resources = Resources([u64::MAX; MAX_RESOURCES]);

    /// A vector of the standard resources.
    pub fn new(cpu_milli: u64, mem_mib: u64, gpu: u64) -> Resources {
        let mut r = Resources::ZERO;
        r.0[CPU] = cpu_milli;
        r.0[MEM] = mem_mib;
        r.0[GPU] = gpu;
        r
    }

    /// The amount in dimension `i`.
    #[inline]
    pub fn get(&self, i: usize) -> u64 {
        self.0[i]
    }

    /// Sets dimension `i` and returns the vector (builder style).
    pub fn with(mut self, i: usize, v: u64) -> Resources {
        self.0[i] = v;
        self
    }

    /// True when every dimension of `self` is at most that of `other`.
    #[inline]
    pub fn fits_in(&self, other: &Resources) -> bool {
        self.0.iter().zip(other.0.iter()).all(|(a, b)| a <= b)
    }

    /// Adds `other`, saturating (unlimited stays unlimited).
    #[inline]
    pub fn add(&mut self, other: &Resources) {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            *a = a.saturating_add(*b);
        }
    }

    /// Subtracts `other`, saturating at zero.
    #[inline]
    pub fn sub(&mut self, other: &Resources) {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            *a = a.saturating_sub(*b);
        }
    }

    /// Component-wise sum.
    pub fn plus(mut self, other: &Resources) -> Resources {
        self.add(other);
        self
    }

    /// `n` times this (saturating): what `n` replicas of a request hold together.
    pub fn times(mut self, n: u32) -> Resources {
        for a in self.0.iter_mut() {
            *a = a.saturating_mul(u64::from(n));
        }
        self
    }

    /// Component-wise maximum.
    pub fn max(mut self, other: &Resources) -> Resources {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            *a = (*a).max(*b);
        }
        self
    }

    /// True when every dimension is zero.
    pub fn is_zero(&self) -> bool {
        self.0.iter().all(|&v| v == 0)
    }

    /// The largest fraction `self[i] / of[i]` over dimensions where `of[i] > 0`: the dominant
    /// share of `self` in `of`. Dimensions `of` lacks are ignored.
    pub fn dominant_share(&self, of: &Resources) -> f64 {
        let mut best = 0.0f64;
        for (a, b) in self.0.iter().zip(of.0.iter()) {
            if *b > 0 && *b != u64::MAX {
                best = best.max(*a as f64 / *b as f64);
            }
        }
        best
    }
}

impl fmt::Debug for Resources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[")?;
        for (i, v) in self.0.iter().enumerate() {
            if i > 0 {
                write!(f, " ")?;
            }
            if *v == u64::MAX {
                write!(f, "∞")?;
            } else {
                write!(f, "{v}")?;
            }
        }
        write!(f, "]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_is_componentwise() {
        let node = Resources::new(4000, 8192, 1);
        assert!(Resources::new(4000, 8192, 1).fits_in(&node));
        assert!(!Resources::new(4001, 1, 0).fits_in(&node));
        assert!(!Resources::new(1, 1, 2).fits_in(&node));
        assert!(node.fits_in(&Resources::UNLIMITED));
    }

    #[test]
    fn arithmetic_saturates() {
        let mut r = Resources::new(1, 2, 3);
        r.sub(&Resources::new(5, 1, 3));
        assert_eq!(r, Resources::new(0, 1, 0));
        let mut u = Resources::UNLIMITED;
        u.add(&Resources::new(1, 1, 1));
        assert_eq!(u, Resources::UNLIMITED);
    }

    #[test]
    fn dominant_share_ignores_missing_dimensions() {
        let node = Resources::new(4000, 8000, 0);
        assert_eq!(Resources::new(1000, 6000, 0).dominant_share(&node), 0.75);
    }
}
