//! Weighted dominant resource fairness (DRF) inside each priority level.

use super::{Dispatch, Key, QueueView};

/// Queues are served by priority level, highest first, like `priority`; inside a level the
/// queue whose dominant share of the cluster (its largest share of any resource it holds),
/// divided by its weight, is smallest goes next (Ghodsi et al., NSDI'11, as in Kueue's fair
/// sharing and YARN's DRF). A queue of weight 2 is entitled to twice the share of a queue of
/// weight 1. Inside a queue: higher operation priority, then submission order.
#[derive(Clone, Copy, Debug, Default)]
pub struct DominantResourceFairness;

impl Dispatch for DominantResourceFairness {
    fn name(&self) -> &'static str {
        "drf"
    }

    fn op_key(&self, aged_priority: i64, seq: u64) -> (i64, u64) {
        (-aged_priority, seq)
    }

    fn queue_key(&self, q: &QueueView) -> Key {
        let weighted = if q.weight > 0.0 { q.dominant_share / q.weight } else { f64::MAX };
        // Shares are in 0..=1 (weights > 0): scaled to integers, ordered exactly.
        [-q.level, (weighted.min(1e6) * 1e12) as i64, q.head_seq as i64]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(level: i64, share: f64, weight: f64, head_seq: u64) -> QueueView {
        QueueView {
            level,
            running: 0,
            head_seq,
            head_priority: 0,
            queue_index: 0,
            dominant_share: share,
            weight,
            head_usage: 0.0,
        }
    }

    #[test]
    fn the_smallest_weighted_dominant_share_goes_first() {
        let d = DominantResourceFairness;
        assert!(d.queue_key(&view(1, 0.2, 1.0, 9)) < d.queue_key(&view(1, 0.3, 1.0, 0)));
        // Weight 2 halves the share that counts.
        assert!(d.queue_key(&view(1, 0.5, 2.0, 9)) < d.queue_key(&view(1, 0.3, 1.0, 0)));
        // Levels still come first.
        assert!(d.queue_key(&view(5, 0.9, 1.0, 9)) < d.queue_key(&view(1, 0.0, 1.0, 0)));
    }
}
