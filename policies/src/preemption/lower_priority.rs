//! Preemption across queues: a higher priority level displaces lower levels (and, inside a
//! queue, lower operation priorities), the way Kubernetes PriorityClasses behave.

use super::{Claim, Preemption};

/// Evicts operations of queues on a lower priority level, or of the same queue with a lower
/// operation priority. Queues of the same level never evict each other's work.
#[derive(Clone, Copy, Debug, Default)]
pub struct LowerPriority;

impl Preemption for LowerPriority {
    fn name(&self) -> &'static str {
        "lower-priority"
    }

    fn scope(&self) -> super::Scope {
        super::Scope { lower_levels: true, same_queue: true }
    }

    fn may_evict(&self, preemptor: &Claim, victim: &Claim) -> bool {
        victim.level < preemptor.level
            || (victim.queue == preemptor.queue && victim.priority < preemptor.priority)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::QueueId;

    #[test]
    fn lower_levels_and_lower_priorities_in_the_queue() {
        let p = Claim { queue: QueueId(0), level: 5, priority: 0 };
        let l = LowerPriority;
        assert!(l.may_evict(&p, &Claim { queue: QueueId(1), level: 4, priority: 100 }));
        assert!(
            !l.may_evict(&p, &Claim { queue: QueueId(1), level: 5, priority: -100 }),
            "same level, other queue"
        );
        assert!(l.may_evict(&p, &Claim { priority: -1, ..p }));
        assert!(!l.may_evict(&p, &Claim { queue: QueueId(2), level: 6, priority: 0 }));
    }
}
