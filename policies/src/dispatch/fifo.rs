//! Plain global first-in first-out, the baseline every comparison needs.

use super::{Dispatch, Key, QueueView};

/// Operations start in submission order across all queues, ignoring queue priority levels
/// and operation priorities. A head that cannot start yet does not hold back other queues
/// (queue concurrency, quota and placement still apply).
#[derive(Clone, Copy, Debug, Default)]
pub struct GlobalFifo;

impl Dispatch for GlobalFifo {
    fn name(&self) -> &'static str {
        "fifo"
    }

    fn op_key(&self, _aged_priority: i64, seq: u64) -> (i64, u64) {
        (0, seq)
    }

    fn queue_key(&self, q: &QueueView) -> Key {
        [q.head_seq as i64, 0, 0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oldest_head_first_whatever_the_level() {
        let f = GlobalFifo;
        let old = QueueView {
            level: -5,
            running: 9,
            head_seq: 1,
            head_priority: 0,
            queue_index: 1,
            dominant_share: 0.0,
            weight: 1.0,
            head_usage: 0.0,
        };
        let new = QueueView {
            level: 100,
            running: 0,
            head_seq: 2,
            head_priority: 9,
            queue_index: 0,
            dominant_share: 0.0,
            weight: 1.0,
            head_usage: 0.0,
        };
        assert!(f.queue_key(&old) < f.queue_key(&new));
        assert!(f.op_key(9, 2) > f.op_key(0, 1));
    }
}
