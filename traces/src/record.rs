//! The in-memory form of a workload: one [`TraceRecord`] per operation.
//!
//! Every reader (native CSV, and later SWF and the GPU-cluster formats) and every generator
//! produces this one shape, so the simulator has a single thing to load.

use schedlab_policies::expr::Params;
use schedlab_policies::time::Time;

/// The largest submit time or duration a trace may hold (9e15 ms, about 285,000 years), so
/// that adding a submit time and a duration can never overflow a [`Time`].
pub const MAX_TIME: Time = 9_000_000_000_000_000;

/// One operation of a workload, as read from a trace or generated. Times are in milliseconds
/// ([`Time`]); resources in millicores, MiB and whole GPUs.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceRecord {
    /// Unique within the trace; other records name it in `depends_on`.
    pub id: String,
    /// Milliseconds since the trace start, `>= 0`.
    pub submit: Time,
    /// How long the operation runs once started, in milliseconds, `>= 0`.
    pub duration: Time,
    /// Requested CPU in millicores.
    pub cpu_milli: u64,
    /// Requested memory in MiB.
    pub mem_mib: u64,
    /// Requested whole GPUs.
    pub gpu: u64,
    /// Target queue; `None` (an empty cell) lets the scenario pick the project's default queue.
    pub queue: Option<String>,
    /// Owning project; `None` means the scenario's default project.
    pub project: Option<String>,
    /// Priority; `None` means the queue's or scenario's default.
    pub priority: Option<i32>,
    /// The workflow (pipeline) the operation belongs to; `None` when it stands alone.
    pub workflow: Option<String>,
    /// Ids of operations that must succeed before this one may be queued.
    pub depends_on: Vec<String>,
    /// Node selector, required affinity and tolerations (columns `node_selector`, `affinity`,
    /// `tolerations`).
    pub constraints: schedlab_policies::model::Constraints,
    /// Whether it may be preempted (column `preemptible`: `true`/`false`; empty: yes unless
    /// its queue says no).
    pub preemptible: Option<bool>,
    /// Checkpoint interval in milliseconds (column `checkpoint`, seconds): a preempted attempt
    /// resumes from its last checkpoint.
    pub checkpoint: Option<Time>,
    /// Gang size (column `replicas`; empty: 1): replicas each needing `cpu`, `mem_mib` and
    /// `gpu`, started together on one or more nodes.
    pub replicas: u32,
    /// When it runs given its upstream outcomes (column `trigger`; empty: all succeeded).
    pub trigger: schedlab_policies::model::Trigger,
    /// The user's estimate of the run time (SWF's requested time), in milliseconds; backfilling
    /// plans with it. `None` when the trace has none.
    pub estimate: Option<Time>,
    /// An attempt is stopped after running this long, in milliseconds, `> 0` (column
    /// `timeout`, seconds); `None`: not given.
    pub timeout: Option<Time>,
    /// How many times it is retried after a failure or timeout (column `retries`); `None`
    /// leaves it to the queue or scenario default.
    pub retries: Option<u32>,
    /// Delay before the first retry in milliseconds, doubling with each further retry
    /// (column `retry_backoff`, seconds); `None`: not given.
    pub retry_backoff: Option<Time>,
    /// Simulator only: the chance, in `[0, 1]`, that each attempt fails (column
    /// `fail_probability`); `None`: not given.
    pub fail_probability: Option<f64>,
    /// Absolute finish-by time (SLA) in milliseconds since the trace start, like `submit`
    /// (column `deadline`, seconds); `None`: not given.
    pub deadline: Option<Time>,
    /// It waits for manual approval once its upstream is done (column `approval`; empty: no).
    pub approval: bool,
    /// Whether it uses the operation cache (column `cache`); `None` leaves the choice to
    /// the caller (on inside a workflow, off otherwise).
    pub cache: Option<bool>,
    /// An explicit cache key (column `cache_key`); `None`: not given (the key is formed from
    /// `component` and `inputs`).
    pub cache_key: Option<String>,
    /// How long a cached result stays valid, in milliseconds (column `cache_ttl`, seconds);
    /// `None`: not given.
    pub cache_ttl: Option<Time>,
    /// The component it runs (column `component`); with `inputs` it forms the cache key.
    pub component: Option<String>,
    /// Its inputs, in the order given (column `inputs`, `k=v;k2=v2`).
    pub inputs: Params,
    /// Simulator only: what it outputs when it succeeds (column `outputs`, `k=v;k2=v2`).
    pub outputs: Params,
    /// An expression (kept as text, validated elsewhere); when it is false the operation is
    /// skipped (column `conditions`). `None`: no condition.
    pub conditions: Option<String>,
    /// A skipped upstream skips it too; otherwise a skipped upstream counts as succeeded
    /// (column `skip_on_upstream_skip`; empty: no).
    pub skip_on_upstream_skip: bool,
    /// 1-based line in the source file, or 0 when the record was generated.
    pub line: u64,
}

impl Default for TraceRecord {
    /// An empty record: nothing requested, runs at once for no time, one replica, and none of
    /// the optional lifecycle settings given.
    fn default() -> Self {
        TraceRecord {
            id: String::new(),
            submit: 0,
            duration: 0,
            cpu_milli: 0,
            mem_mib: 0,
            gpu: 0,
            queue: None,
            project: None,
            priority: None,
            workflow: None,
            depends_on: Vec::new(),
            constraints: Default::default(),
            preemptible: None,
            checkpoint: None,
            replicas: 1,
            trigger: Default::default(),
            estimate: None,
            timeout: None,
            retries: None,
            retry_backoff: None,
            fail_probability: None,
            deadline: None,
            approval: false,
            cache: None,
            cache_key: None,
            cache_ttl: None,
            component: None,
            inputs: Vec::new(),
            outputs: Vec::new(),
            conditions: None,
            skip_on_upstream_skip: false,
            line: 0,
        }
    }
}

/// A whole workload plus where it came from (for messages and reports).
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    /// The records, in file (or generation) order; the simulator sorts by submit time.
    pub records: Vec<TraceRecord>,
    /// The file path, or `"generator"`.
    pub source: String,
}
