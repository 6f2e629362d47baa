//! Dispatch policies: which queue's head the kernel tries next, and how a queue orders its
//! own operations.
//!
//! The kernel keeps every queue that could start something in an ordered set keyed by
//! [`Dispatch::queue_key`]; a decision pass repeatedly takes the smallest key, so a policy
//! never scans pending work itself. Add a policy by writing one file with a type implementing
//! [`Dispatch`] and naming it in [`by_name`].

mod drf;
mod fair_share;
mod fifo;
mod priority;

pub use drf::DominantResourceFairness;
pub use fair_share::FairShare;
pub use fifo::GlobalFifo;
pub use priority::PriorityLevels;

/// What a dispatch policy may look at when ordering a queue.
#[derive(Clone, Copy, Debug)]
pub struct QueueView {
    /// The queue's priority level (see [`crate::model::QueueSpec::level`]).
    pub level: i64,
    /// Operations of the queue scheduled or running now.
    pub running: u32,
    /// Submission sequence number of the queue's head operation.
    pub head_seq: u64,
    /// Priority of the queue's head operation.
    pub head_priority: i32,
    /// Registration order of the queue, the last tie-breaker.
    pub queue_index: u32,
    /// Its largest share of any resource of the cluster held now (0..=1).
    pub dominant_share: f64,
    /// Its fair-share weight (default 1).
    pub weight: f64,
    /// Decayed past usage of its head's project (kept only by policies with project lanes;
    /// 0 otherwise), in the kernel's normalised units: comparable between queues at any time.
    pub head_usage: f64,
}

/// An operation's priority with aging, as a time-independent number.
///
/// Aging raises a waiting operation's priority by `per_hour` each hour since it was queued:
/// at time `t` it is `priority + per_hour · (t − queued_at) / 1 h`. Every operation of a queue
/// gains the same amount per hour, so ordering by `priority · 1 h − per_hour · queued_at`
/// (in priority-milliseconds) orders them by their priority at any common `t`, and the key
/// never has to change while an operation waits.
pub fn aged_priority(priority: i32, queued_at: crate::time::Time, per_hour: f64) -> i64 {
    let base = i64::from(priority) * crate::time::HOUR;
    base - (per_hour * queued_at as f64).round() as i64
}

/// A queue-ordering key: smaller is served first.
pub type Key = [i64; 3];

/// A dispatch policy. Implementations are pure functions of what they are shown.
pub trait Dispatch: Send + Sync {
    /// The name scenarios select it by.
    fn name(&self) -> &'static str;
    /// Orders the operations inside one queue: smaller first. `seq` is unique per operation.
    /// `aged_priority` is the operation's priority in priority-milliseconds with aging folded
    /// in (see [`aged_priority`]): comparing it orders operations by their priority now.
    fn op_key(&self, aged_priority: i64, seq: u64) -> (i64, u64);
    /// Orders ready queues: the smallest key has its head tried first.
    fn queue_key(&self, q: &QueueView) -> Key;
    /// Whether each queue serves its projects by decayed usage (one lane per project, the
    /// least used project's lane first) rather than by `op_key` alone.
    fn project_lanes(&self) -> bool {
        false
    }
}

/// Names of the dispatch policies, for `--help` and error messages.
pub const NAMES: &[&str] = &["priority", "fifo", "drf", "fair-share"];

/// The dispatch policy called `name`.
pub fn by_name(name: &str) -> Result<Box<dyn Dispatch>, String> {
    match name {
        "priority" => Ok(Box::new(PriorityLevels)),
        "fifo" => Ok(Box::new(GlobalFifo)),
        "drf" => Ok(Box::new(DominantResourceFairness)),
        "fair-share" => Ok(Box::new(FairShare)),
        _ => Err(format!("unknown dispatch policy `{name}`; expected one of: {}", NAMES.join(", "))),
    }
}
