//! Preemption policies: whether a running operation may be evicted to make room for a
//! waiting one. The kernel finds the victims (see `kernel/preempt.rs`); a policy only says who
//! may evict whom. Add one by writing a file with a type implementing [`Preemption`] and
//! naming it in [`by_name`].

mod lower_priority;
mod never;
mod within_queue;

pub use lower_priority::LowerPriority;
pub use never::Never;
pub use within_queue::WithinQueue;

use crate::ids::QueueId;

/// What a preemption policy compares: an operation's queue, its queue's priority level and
/// its own priority inside the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Claim {
    pub queue: QueueId,
    pub level: i64,
    pub priority: i32,
}

/// Which running operations a policy could ever evict, so the kernel searches only those.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scope {
    /// Operations of queues on lower priority levels.
    pub lower_levels: bool,
    /// Operations of the preemptor's own queue with a lower operation priority.
    pub same_queue: bool,
}

/// A preemption policy.
pub trait Preemption: Send + Sync {
    /// The name scenarios select it by.
    fn name(&self) -> &'static str;
    /// Where its victims can be; [`Preemption::may_evict`] still has the last word.
    fn scope(&self) -> Scope;
    /// Whether `victim` may be evicted to make room for `preemptor`. Never called for
    /// operations or queues marked non-preemptible.
    fn may_evict(&self, preemptor: &Claim, victim: &Claim) -> bool;
}

/// Names of the preemption policies.
pub const NAMES: &[&str] = &["off", "within-queue", "lower-priority"];

/// The preemption policy called `name`.
pub fn by_name(name: &str) -> Result<Box<dyn Preemption>, String> {
    match name {
        "off" => Ok(Box::new(Never)),
        "within-queue" => Ok(Box::new(WithinQueue)),
        "lower-priority" => Ok(Box::new(LowerPriority)),
        _ => Err(format!("unknown preemption policy `{name}`; expected one of: {}", NAMES.join(", "))),
    }
}
