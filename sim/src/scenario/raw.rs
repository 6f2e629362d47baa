//! The scenario file exactly as written (TOML), before names are checked and resolved.
//!
//! Every table denies unknown keys, so a typo is an error rather than a silently ignored
//! setting. Names that refer to other parts of the file are kept with their position
//! ([`Spanned`]) so that resolution errors can point at them.

use std::collections::BTreeMap;

use schedlab_traces::{ColumnMap, CpuQty, DurationDist, DurationQty, GeneratorConfig, MemQty, Transform};
use serde::Deserialize;
use toml::Spanned;

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub name: Option<String>,
    pub description: Option<String>,
    pub seed: Option<u64>,
    pub horizon: Option<Spanned<DurationQty>>,
    #[serde(default)]
    pub policy: RawPolicy,
    #[serde(default)]
    pub organization: RawOrganization,
    #[serde(default)]
    pub agents: Vec<RawAgent>,
    #[serde(default)]
    pub pools: Vec<RawPool>,
    #[serde(default)]
    pub queues: Vec<RawQueue>,
    #[serde(default)]
    pub projects: Vec<RawProject>,
    #[serde(default)]
    pub workflows: Vec<RawWorkflow>,
    pub workload: Option<RawWorkload>,
    #[serde(default)]
    pub output: RawOutput,
    #[serde(default)]
    pub approval: RawApproval,
    #[serde(default)]
    pub cache: RawCache,
    #[serde(default)]
    pub failures: RawFailures,
    #[serde(default)]
    pub routes: Vec<RawRoute>,
    #[serde(default)]
    pub actions: Vec<Spanned<RawAction>>,
    #[serde(default)]
    pub tuning: Vec<Spanned<RawTuning>>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    pub dispatch: Option<Spanned<String>>,
    pub placement: Option<Spanned<String>>,
    /// off (default), within-queue, lower-priority.
    pub preemption: Option<Spanned<String>>,
    /// Attempts younger than this are never preempted.
    pub min_runtime: Option<Spanned<DurationQty>>,
    /// At most `count` preemptions in any `window`: `{ count = 10, window = "1h" }`.
    pub max_preemptions: Option<Spanned<RawLimit>>,
    /// Priority points a waiting operation gains per hour (default 0: no aging).
    pub aging_per_hour: Option<Spanned<f64>>,
    /// Half-life of project usage with `dispatch = "fair-share"` (default 7 days).
    pub half_life: Option<Spanned<DurationQty>>,
    /// off (default), best-effort, easy.
    pub backfill: Option<Spanned<String>>,
    /// Run-time estimate of operations whose trace gives none: their duration times this
    /// (default 1: exact estimates).
    pub estimate_factor: Option<Spanned<f64>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawLimit {
    pub count: u32,
    pub window: DurationQty,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct RawOrganization {
    pub default_queue: Option<Spanned<String>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawAgent {
    pub name: Spanned<String>,
    pub namespace: Option<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawPool {
    pub name: Spanned<String>,
    pub agent: Spanned<String>,
    pub nodes: Option<Spanned<u32>>,
    /// Take the node count from the SWF trace's header (`MaxNodes`, else `MaxProcs` divided by
    /// the pool's CPU).
    pub nodes_from_trace: Option<Spanned<bool>>,
    /// Give each node `MaxProcs / nodes` cores from the SWF trace's header (replaces `cpu`).
    /// A rigid parallel job of an SWF log runs on processors of one machine, so the usual way
    /// to replay one is a single node holding all of the machine's processors.
    pub cpu_from_trace: Option<Spanned<bool>>,
    pub cpu: Option<CpuQty>,
    pub memory: MemQty,
    #[serde(default)]
    pub gpu: u64,
    #[serde(default)]
    pub tpu: u64,
    /// Named custom resources, e.g. `{ "example.com/fpga" = 2 }`.
    #[serde(default)]
    pub custom: BTreeMap<String, Spanned<u64>>,
    #[serde(default)]
    pub cost_per_hour: Option<Spanned<f64>>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub taints: Vec<RawTaint>,
    /// Spot capacity: cheaper, and reclaimed now and then.
    #[serde(default)]
    pub spot: Option<Spanned<bool>>,
    /// Mean reclaims per node per hour (spot pools only).
    pub reclaims_per_hour: Option<Spanned<f64>>,
    /// How long a reclaimed node stays away before a replacement joins (default 10 minutes).
    pub reclaim_downtime: Option<Spanned<DurationQty>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawTaint {
    pub key: String,
    #[serde(default)]
    pub value: String,
    #[serde(default = "no_schedule")]
    pub effect: String,
}

fn no_schedule() -> String {
    "NoSchedule".into()
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawQueue {
    pub name: Spanned<String>,
    pub agent: Spanned<String>,
    pub priority: Option<i32>,
    /// `-1` (as in the seeds) or absent: unlimited.
    pub concurrency: Option<Spanned<i64>>,
    #[serde(default)]
    pub quota: RawQuota,
    /// Labels its operations' nodes must carry.
    #[serde(default)]
    pub node_selector: BTreeMap<String, String>,
    /// Required node affinity, e.g. `["zone in (a, b)"]`.
    #[serde(default)]
    pub affinity: Vec<Spanned<String>>,
    /// Taints its operations tolerate, e.g. `["nvidia.com/gpu:NoSchedule"]`.
    #[serde(default)]
    pub tolerations: Vec<Spanned<String>>,
    /// Whether its running operations may be preempted (default true).
    pub preemptible: Option<bool>,
    /// Fair-share weight among the queues of its level (default 1; used by `drf`).
    pub weight: Option<Spanned<f64>>,
    /// Checkpoint interval of its operations: preempted attempts resume from the last one.
    pub checkpoint: Option<Spanned<DurationQty>>,
    /// A cohort to share quota with: its members borrow each other's unused quota.
    pub cohort: Option<Spanned<String>>,
    /// How far above its quota it may borrow (per resource; absent: unlimited).
    pub borrowing_limit: Option<Spanned<RawQuota>>,
    /// How much of its quota the cohort may borrow (per resource; absent: all of it).
    pub lending_limit: Option<Spanned<RawQuota>>,
    /// An attempt running longer than this is stopped and counts as a failure.
    pub timeout: Option<Spanned<DurationQty>>,
    /// How many times a failed operation is tried again (a non-negative integer; kept as a
    /// TOML value so that `2.5` or `-1` get a message saying so).
    pub retries: Option<Spanned<toml::Value>>,
    /// Wait before the first retry (each further one waits twice as long).
    pub retry_backoff: Option<Spanned<DurationQty>>,
    /// Chance in [0,1] that an attempt fails, for operations whose trace row gives none.
    pub fail_probability: Option<Spanned<f64>>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct RawQuota {
    pub cpu: Option<CpuQty>,
    pub memory: Option<MemQty>,
    pub gpu: Option<u64>,
    pub tpu: Option<u64>,
    #[serde(default)]
    pub custom: BTreeMap<String, Spanned<u64>>,
    pub cost_per_hour: Option<Spanned<f64>>,
    /// Spending allowed per `budget_window`; once spent, the queue waits for the next one.
    pub budget: Option<Spanned<f64>>,
    /// Length of a budget window (default one day).
    pub budget_window: Option<Spanned<DurationQty>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawProject {
    pub name: Spanned<String>,
    pub default_queue: Option<Spanned<String>>,
    pub allowed_queues: Option<Vec<Spanned<String>>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawWorkflow {
    pub name: Spanned<String>,
    pub concurrency: Option<Spanned<i64>>,
    pub parent: Option<Spanned<String>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawWorkload {
    /// A trace file, relative to the scenario file.
    pub trace: Option<Spanned<String>>,
    /// Its format: auto (default), native, swf, philly, alibaba-gpu, tiresias, csv.
    pub format: Option<Spanned<String>>,
    /// Which column is which, for csv (and to refine the GPU presets).
    pub columns: Option<ColumnMap>,
    pub generator: Option<GeneratorConfig>,
    /// Changes applied to the workload after it is read or generated.
    pub transform: Option<Transform>,
    /// Project for operations whose project cell is empty.
    pub default_project: Option<Spanned<String>>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct RawOutput {
    /// How often `timeseries.csv` samples the cluster; default: about 1,000 samples per run.
    pub sample_interval: Option<Spanned<DurationQty>>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct RawApproval {
    /// How long an approval takes to arrive; absent: at once.
    pub delay: Option<Spanned<DurationDist>>,
    /// Chance in [0,1] that the answer is a rejection (default 0).
    pub reject_probability: Option<Spanned<f64>>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct RawCache {
    /// workflows (default), all, off.
    pub mode: Option<Spanned<String>>,
    /// How long a cached result stays usable; absent: forever.
    pub ttl: Option<Spanned<DurationQty>>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct RawFailures {
    /// Failure chance of queues that set no `fail_probability` (default 0).
    pub fail_probability: Option<Spanned<f64>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawRoute {
    /// An expression over `inputs.NAME` and `resources.cpu|mem_mib|gpu|replicas`.
    pub when: Spanned<String>,
    pub queue: Spanned<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawAction {
    pub at: Spanned<DurationQty>,
    /// An operation id of the workload.
    pub op: Spanned<String>,
    /// stop, restart, resume, copy, approve, reject.
    pub action: Spanned<String>,
}

/// A tuning run driven by an operation of the workload (see `scenario/tuning.rs`). Numbers
/// are read as TOML integers or floats and range-checked there, so that `eta = 1.5` or
/// `trials = -1` get a message saying what is expected.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawTuning {
    /// The id of the trace row whose operation runs the sweep.
    pub op: Spanned<String>,
    /// Concurrency of the sweep's workflow (absent or -1: unlimited).
    pub concurrency: Option<Spanned<i64>>,
    /// Queue of the trials (default: the controller operation's).
    pub queue: Option<Spanned<String>>,
    /// Each trial's request, per dimension (default: the controller row's).
    pub cpu: Option<CpuQty>,
    pub memory: Option<MemQty>,
    pub gpu: Option<Spanned<i64>>,
    /// grid, random, hyperband, mapping.
    pub algorithm: Option<Spanned<String>>,
    /// Hyperband.
    pub max_iterations: Option<Spanned<i64>>,
    pub eta: Option<Spanned<i64>>,
    pub resource: Option<Spanned<String>>,
    /// Random.
    pub trials: Option<Spanned<i64>>,
    /// At most this many trials in all (any algorithm).
    pub max_trials: Option<Spanned<i64>>,
    pub metric: Option<Spanned<RawMetric>>,
    /// Input name → space (`parse_space` syntax); kept in file order by the values' spans.
    pub space: Option<Spanned<BTreeMap<String, Spanned<String>>>>,
    /// Mapping: one table of inputs per trial.
    pub values: Option<Spanned<Vec<Spanned<RawInputs>>>>,
    #[serde(default)]
    pub early_stopping: Vec<Spanned<RawEarlyStop>>,
    pub model: Option<Spanned<RawModel>>,
}

/// One mapping trial's inputs, by name (in file order by their spans).
pub type RawInputs = BTreeMap<String, Spanned<toml::Value>>;

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawMetric {
    pub name: Spanned<String>,
    /// maximize, minimize.
    pub goal: Option<Spanned<String>>,
}

/// One early-stopping rule; which keys apply depends on `policy`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawEarlyStop {
    /// metric_reached, failures, median, truncation, diff.
    pub policy: Spanned<String>,
    pub value: Option<Spanned<f64>>,
    pub percent: Option<Spanned<f64>>,
    pub evaluation_interval: Option<Spanned<i64>>,
    pub min_steps: Option<Spanned<i64>>,
}

/// The simulated trials (`TrialModel`).
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawModel {
    /// Duration of one unit of the Hyperband resource, or of a whole trial otherwise.
    pub duration: Option<Spanned<DurationQty>>,
    pub noise: Option<Spanned<f64>>,
    pub duration_jitter: Option<Spanned<f64>>,
    pub curve_iterations: Option<Spanned<f64>>,
    pub full_iterations: Option<Spanned<i64>>,
    pub failure_rate: Option<Spanned<f64>>,
}
