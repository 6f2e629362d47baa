//! Preemption inside one queue only: a queue's urgent work displaces its own less urgent work,
//! never another team's.

use super::{Claim, Preemption};

/// Evicts operations of the same queue with a lower operation priority.
#[derive(Clone, Copy, Debug, Default)]
pub struct WithinQueue;

impl Preemption for WithinQueue {
    fn name(&self) -> &'static str {
        "within-queue"
    }

    fn scope(&self) -> super::Scope {
        super::Scope { lower_levels: false, same_queue: true }
    }

    fn may_evict(&self, preemptor: &Claim, victim: &Claim) -> bool {
        victim.queue == preemptor.queue && victim.priority < preemptor.priority
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::QueueId;

    #[test]
    fn only_lower_priority_work_of_the_same_queue() {
        let p = Claim { queue: QueueId(0), level: 5, priority: 3 };
        let w = WithinQueue;
        assert!(w.may_evict(&p, &Claim { priority: 2, ..p }));
        assert!(!w.may_evict(&p, &Claim { priority: 3, ..p }));
        assert!(!w.may_evict(&p, &Claim { queue: QueueId(1), level: 0, priority: 0 }));
    }
}
