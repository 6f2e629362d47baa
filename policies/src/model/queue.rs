use crate::ids::AgentId;
use crate::model::Constraints;
use crate::resources::Resources;

/// A queue: priority level, concurrency, quota, and the agent it routes to.
///
/// The seeds' defaults: unlimited concurrency, the highest priority, no quota; such a queue
/// only routes.
#[derive(Clone, Debug)]
pub struct QueueSpec {
    pub name: String,
    pub agent: AgentId,
    /// `None` is the highest level, above every number.
    pub priority: Option<i32>,
    /// `None` is unlimited.
    pub concurrency: Option<u32>,
    /// The most it may hold at once in each resource; [`Resources::UNLIMITED`] when absent.
    pub quota: Resources,
    /// A cap on the summed cost per hour of its running attempts.
    pub cost_per_hour_quota: Option<f64>,
    /// A cost budget per window: once the queue's spending in the current window reaches
    /// it, nothing new starts until the next window. Running attempts go on.
    pub budget: Option<Budget>,
    /// The cohort it shares quota with (see the kernel's cohort module), if any.
    pub cohort: Option<String>,
    /// How far above its quota it may borrow from its cohort ([`Resources::UNLIMITED`]:
    /// as far as the cohort has to lend).
    pub borrowing_limit: Resources,
    /// How much of its quota its cohort may borrow (`None`: all of it).
    pub lending_limit: Option<Resources>,
    /// Node selector, affinity and tolerations every operation of the queue gets (like a
    /// Kueue resource flavor's node labels and tolerations).
    pub constraints: Constraints,
    /// Whether its running operations may be preempted (default yes).
    pub preemptible: bool,
    /// Fair-share weight among the queues of its level (default 1).
    pub weight: f64,
    /// Checkpoint interval of its operations (unless they set their own): a preempted
    /// attempt resumes from its last checkpoint instead of restarting.
    pub checkpoint: Option<crate::time::Time>,
    /// Defaults for its operations' termination settings (an operation's own win).
    pub termination: Termination,
}

/// How failures and slow attempts end: each field `None` when not given (an operation's
/// settings fall back to its queue's, and those to none: no timeout, no retries).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Termination {
    /// An attempt running longer than this is stopped and counts as a failure.
    pub timeout: Option<crate::time::Time>,
    /// How many times a failed (or timed out) operation is tried again.
    pub retries: Option<u32>,
    /// The wait before the first retry; each further retry waits twice as long as the last.
    pub retry_backoff: Option<crate::time::Time>,
}

impl Termination {
    /// `self`'s settings, with `fallback`'s where `self` gives none.
    pub fn or(self, fallback: Termination) -> Termination {
        Termination {
            timeout: self.timeout.or(fallback.timeout),
            retries: self.retries.or(fallback.retries),
            retry_backoff: self.retry_backoff.or(fallback.retry_backoff),
        }
    }
}

/// A spending cap per time window. Windows are aligned on multiples of `window` from time
/// zero (with a window of one day: midnights of the run's clock).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Budget {
    pub amount: f64,
    pub window: crate::time::Time,
}

impl QueueSpec {
    /// A routing-only queue on `agent`: seeds' defaults everywhere.
    pub fn new(name: impl Into<String>, agent: AgentId) -> QueueSpec {
        QueueSpec {
            name: name.into(),
            agent,
            priority: None,
            concurrency: None,
            quota: Resources::UNLIMITED,
            cost_per_hour_quota: None,
            budget: None,
            cohort: None,
            borrowing_limit: Resources::UNLIMITED,
            lending_limit: None,
            constraints: Constraints::default(),
            preemptible: true,
            checkpoint: None,
            weight: 1.0,
            termination: Termination::default(),
        }
    }

    /// The priority as a totally ordered number: the default (highest) sorts above all.
    pub fn level(&self) -> i64 {
        self.priority.map(i64::from).unwrap_or(i64::MAX)
    }
}
