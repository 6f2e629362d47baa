//! The seeds' dispatch: priority levels served highest first; queues of one level share fairly.

use super::{Dispatch, Key, QueueView};

/// Queues are served by priority level, highest first. Inside a level the queue with the fewest
/// operations running goes first (so equal queues take turns), then the one whose head has
/// waited longest. Inside a queue, higher operation priority first, then submission order.
#[derive(Clone, Copy, Debug, Default)]
pub struct PriorityLevels;

impl Dispatch for PriorityLevels {
    fn name(&self) -> &'static str {
        "priority"
    }

    fn op_key(&self, aged_priority: i64, seq: u64) -> (i64, u64) {
        (-aged_priority, seq)
    }

    fn queue_key(&self, q: &QueueView) -> Key {
        // Negating i64::MAX (the default, highest level) cannot overflow.
        [-q.level, i64::from(q.running), q.head_seq as i64]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(level: i64, running: u32, head_seq: u64) -> QueueView {
        QueueView {
            level,
            running,
            head_seq,
            head_priority: 0,
            queue_index: 0,
            dominant_share: 0.0,
            weight: 1.0,
            head_usage: 0.0,
        }
    }

    #[test]
    fn higher_level_first_then_fewer_running_then_oldest_head() {
        let p = PriorityLevels;
        assert!(p.queue_key(&view(10, 5, 9)) < p.queue_key(&view(1, 0, 0)));
        assert!(p.queue_key(&view(1, 0, 9)) < p.queue_key(&view(1, 1, 0)));
        assert!(p.queue_key(&view(1, 1, 3)) < p.queue_key(&view(1, 1, 4)));
        assert!(p.queue_key(&view(i64::MAX, 9, 9)) < p.queue_key(&view(1000, 0, 0)));
    }

    #[test]
    fn op_priority_orders_inside_a_queue() {
        let p = PriorityLevels;
        assert!(p.op_key(5, 10) < p.op_key(0, 1));
        assert!(p.op_key(0, 1) < p.op_key(0, 2));
        // Aging: priority 0 queued at 0 with 10/h, compared at any time, outranks priority 5
        // queued at 1 h (10·1 h = 10 > 5 + 0).
        let old = super::super::aged_priority(0, 0, 10.0);
        let new = super::super::aged_priority(5, crate::time::HOUR, 10.0);
        assert!(p.op_key(old, 2) < p.op_key(new, 1));
    }
}
