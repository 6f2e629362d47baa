//! Usage-decayed fair share between projects (Slurm's fair-share factor with
//! `PriorityDecayHalfLife`; Kueue's admission fair sharing with `usageHalfLifeTime`).

use super::{Dispatch, Key, QueueView};

/// Every project's past use of the cluster is remembered, decaying by half every
/// `half_life` (see [`crate::kernel::KernelConfig::with_half_life`]): an attempt that held a
/// dominant share `s` of the cluster for `h` hours adds `s·h` when it ends. Queues are served
/// by priority level, highest first; inside a level, and inside each queue, the operation of
/// the project with the least decayed usage goes next (each queue keeps one lane per project),
/// then higher operation priority, then submission order. A project that ran a lot recently
/// waits behind those that did not, and regains its place as its usage decays.
#[derive(Clone, Copy, Debug, Default)]
pub struct FairShare;

impl Dispatch for FairShare {
    fn name(&self) -> &'static str {
        "fair-share"
    }

    fn op_key(&self, aged_priority: i64, seq: u64) -> (i64, u64) {
        (-aged_priority, seq)
    }

    fn queue_key(&self, q: &QueueView) -> Key {
        // Usage is non-negative, so its bit pattern orders like the number.
        [-q.level, q.head_usage.max(0.0).to_bits() as i64, q.head_seq as i64]
    }

    fn project_lanes(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(level: i64, usage: f64, head_seq: u64) -> QueueView {
        QueueView {
            level,
            running: 0,
            head_seq,
            head_priority: 0,
            queue_index: 0,
            dominant_share: 0.0,
            weight: 1.0,
            head_usage: usage,
        }
    }

    #[test]
    fn less_used_projects_go_first_within_a_level() {
        let f = FairShare;
        assert!(f.queue_key(&view(1, 0.5, 9)) < f.queue_key(&view(1, 2.0, 0)));
        assert!(f.queue_key(&view(1, 1e-9, 9)) < f.queue_key(&view(1, 3e-9, 0)));
        assert!(f.queue_key(&view(2, 9.0, 9)) < f.queue_key(&view(1, 0.0, 0)));
        assert!(f.queue_key(&view(1, 0.5, 1)) < f.queue_key(&view(1, 0.5, 2)));
    }
}
