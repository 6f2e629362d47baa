use crate::ids::{OpId, ProjectId, QueueId, WorkflowId};
use crate::model::Constraints;
use crate::resources::Resources;

/// The queue an operation asks for, as the driver could resolve it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueueRef {
    /// None given: the project's default queue applies, then the organisation's.
    Default,
    /// A known queue.
    Id(QueueId),
    /// A name the driver could not resolve; the kernel rejects the submission with it.
    Unknown(String),
}

/// A submission: one operation and what it needs.
#[derive(Clone, Debug)]
pub struct OpSpec {
    pub queue: QueueRef,
    pub project: Option<ProjectId>,
    /// Order within its queue: higher first. Queue priority levels are a property of queues.
    pub priority: i32,
    /// The direct pipeline managing it, if any.
    pub workflow: Option<WorkflowId>,
    pub resources: Resources,
    /// Upstream operations, already submitted, whose outcomes decide (by `trigger`) whether
    /// and when it is compiled.
    pub depends_on: Vec<OpId>,
    /// When it may run given its upstream outcomes (default: all succeeded).
    pub trigger: crate::model::Trigger,
    /// A skipped upstream skips it too (else a skipped upstream counts as succeeded).
    pub skip_on_upstream_skip: bool,
    /// Where it may run (added to its queue's constraints).
    pub constraints: Constraints,
    /// Whether it may be preempted (default yes; a non-preemptible queue overrides).
    pub preemptible: bool,
    /// Checkpoint interval; `None` takes the queue's, and without one a preempted attempt
    /// restarts from scratch.
    pub checkpoint: Option<crate::time::Time>,
    /// How long it is expected to run, for backfilling (`None`: unknown).
    pub estimate: Option<crate::time::Time>,
    /// Gang size: this many replicas, each holding `resources` on some node, all started at
    /// once or none, and preempted as a whole (default 1).
    pub replicas: u32,
    /// Timeout, retries and backoff (each falls back to the queue's).
    pub termination: crate::model::Termination,
    /// It waits for [`crate::Observation::Approved`] once compiled (manual approval).
    pub approval: bool,
    /// Its entry in the operation cache: a success within the TTL is reused instead of run.
    pub cache: Option<CacheSpec>,
    /// Named values its condition (and routes) read as `inputs.NAME`.
    pub inputs: crate::expr::Params,
    /// When false once its upstream is done, it ends `skipped` without running. It reads
    /// `inputs.K`, `ops.NAME.outputs.K` and `ops.NAME.status` (NAME one of `upstream_names`),
    /// and `resources.cpu|mem_mib|gpu|replicas`.
    pub conditions: Option<crate::expr::Expr>,
    /// The names its condition uses for its upstream operations, index-aligned with
    /// `depends_on` (may be empty when no condition refers to upstream operations).
    pub upstream_names: Vec<String>,
}

/// An operation's cache entry: operations with the same key share results.
#[derive(Clone, Debug, PartialEq)]
pub struct CacheSpec {
    /// Formed by the driver (from the component and inputs, or given by the user).
    pub key: String,
    /// How long a success stays reusable; `None`: forever.
    pub ttl: Option<crate::time::Time>,
}

impl OpSpec {
    /// An operation on a given queue with the given resources and nothing else.
    pub fn new(queue: QueueRef, resources: Resources) -> OpSpec {
        OpSpec {
            queue,
            project: None,
            priority: 0,
            workflow: None,
            resources,
            depends_on: Vec::new(),
            trigger: crate::model::Trigger::AllSucceeded,
            skip_on_upstream_skip: false,
            constraints: Constraints::default(),
            preemptible: true,
            checkpoint: None,
            estimate: None,
            replicas: 1,
            termination: Default::default(),
            approval: false,
            cache: None,
            inputs: Vec::new(),
            conditions: None,
            upstream_names: Vec::new(),
        }
    }
}
