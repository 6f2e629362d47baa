//! No preemption: what runs, runs to the end.

use super::{Claim, Preemption};

/// Never evicts anything (the default).
#[derive(Clone, Copy, Debug, Default)]
pub struct Never;

impl Preemption for Never {
    fn name(&self) -> &'static str {
        "off"
    }

    fn scope(&self) -> super::Scope {
        super::Scope { lower_levels: false, same_queue: false }
    }

    fn may_evict(&self, _: &Claim, _: &Claim) -> bool {
        false
    }
}
