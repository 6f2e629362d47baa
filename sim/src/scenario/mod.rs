//! Scenario files: a cluster, its queues, projects and workflows, a workload and a policy.
//!
//! [`Scenario::load`] reads and checks a TOML file; every error names the file, line and
//! column and says what was expected. The resolved [`Scenario`] registers into a kernel in
//! file order, so index `i` of `queues` is `QueueId(i)` in the kernel, and so on.

mod describe;
mod error;
mod lifecycle;
mod raw;
mod resolve;
mod tuning;

pub use error::{line_col, ScenarioError};
pub use lifecycle::{ActionKind, ApprovalModel, CacheDefaults, CacheMode, Lifecycle, ScriptedAction};
pub use tuning::TuningConfig;

use std::path::{Path, PathBuf};

use schedlab_policies::model::{AgentSpec, NodeSpec, ProjectSpec, QueueSpec, Taint, WorkflowSpec};
use schedlab_policies::{AgentId, Kernel, KernelConfig, Resources, Time};
use schedlab_traces::{ColumnMap, GeneratorConfig, TraceFormat, Transform};

/// A node pool: `nodes` identical nodes of one agent.
#[derive(Clone, Debug)]
pub struct Pool {
    pub name: String,
    pub agent: AgentId,
    pub nodes: u32,
    pub allocatable: Resources,
    pub cost_per_hour: f64,
    pub labels: Vec<(String, String)>,
    pub taints: Vec<Taint>,
    /// Spot capacity and how the simulator reclaims it; `None` for on-demand.
    pub spot: Option<Spot>,
}

/// How a spot pool's nodes are reclaimed in the simulator: each node independently, at
/// exponentially distributed intervals (a Poisson process of `reclaims_per_hour`), coming
/// back empty after `downtime`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spot {
    pub reclaims_per_hour: f64,
    pub downtime: Time,
}

/// Where the operations come from.
#[derive(Clone, Debug)]
pub enum WorkloadSource {
    /// A trace file (path resolved against the scenario's folder) in a format, with an
    /// optional column map.
    Trace { path: PathBuf, format: TraceFormat, columns: Option<Box<ColumnMap>> },
    /// The synthetic generator, seeded with the run's seed.
    Generator(GeneratorConfig),
}

/// A checked scenario, ready to build a kernel from.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The file it was read from (as given).
    pub file: PathBuf,
    /// The file's text (hashed into every run's summary).
    pub text: String,
    pub name: String,
    pub description: Option<String>,
    pub seed: u64,
    pub horizon: Option<Time>,
    pub dispatch: String,
    pub placement: String,
    pub preemption: String,
    pub min_runtime: Time,
    /// At most this many preemptions in any window of this length.
    pub preemption_limit: Option<(u32, Time)>,
    /// Priority points a waiting operation gains per hour.
    pub aging_per_hour: f64,
    /// Half-life of project usage (dispatch `fair-share`).
    pub half_life: Time,
    pub backfill: String,
    /// Estimate = duration × this, for operations whose trace gives no estimate.
    pub estimate_factor: f64,
    /// Names of the resource dimensions in use, index-aligned with [`Resources`].
    pub resource_names: Vec<String>,
    pub agents: Vec<AgentSpec>,
    pub pools: Vec<Pool>,
    pub queues: Vec<QueueSpec>,
    pub projects: Vec<ProjectSpec>,
    pub org_default_queue: Option<schedlab_policies::QueueId>,
    /// Parents come before their children.
    pub workflows: Vec<WorkflowSpec>,
    pub workload: WorkloadSource,
    /// Applied to the workload after it is read or generated.
    pub transform: Option<Transform>,
    pub default_project: Option<String>,
    pub sample_interval: Option<Time>,
    /// Approvals, the cache, failure chances, routes and scripted actions.
    pub lifecycle: Lifecycle,
    /// Tuning runs (`[[tuning]]`), in file order; each names its controller operation.
    pub tuning: Vec<TuningConfig>,
}

impl Scenario {
    /// Reads and checks a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ScenarioError::file(&shown, format!("cannot read the scenario: {e}")))?;
        Scenario::parse(&text, path)
    }

    /// Checks scenario `text` as if read from `path` (relative paths resolve against it).
    pub fn parse(text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
        resolve::resolve(text, path)
    }

    /// The kernel configuration of this scenario's `[policy]` (the simulator and the live
    /// driver both build their kernel from it).
    pub fn kernel_config(&self) -> Result<KernelConfig, String> {
        KernelConfig::by_name(&self.dispatch, &self.placement)
            .and_then(|c| c.with_preemption(&self.preemption, self.min_runtime))
            .map(|c| match self.preemption_limit {
                Some((count, window)) => c.with_preemption_limit(count, window),
                None => c,
            })
            .map(|c| c.with_aging(self.aging_per_hour).with_half_life(self.half_life))
            .and_then(|c| c.with_backfill(&self.backfill))
    }

    /// A kernel with this scenario's policies, agents, nodes, queues, projects and workflows.
    pub fn build_kernel(&self) -> Kernel {
        let config = self.kernel_config().expect("policy names are checked when the scenario is loaded");
        let mut k = Kernel::new(config);
        // Registration cannot fail: names and references were checked by `resolve`.
        for a in &self.agents {
            k.add_agent(a.clone()).expect("checked");
        }
        for q in &self.queues {
            k.add_queue(q.clone()).expect("checked");
        }
        for (when, q) in &self.lifecycle.routes {
            k.add_route(when.clone(), *q).expect("checked");
        }
        for p in &self.projects {
            k.add_project(p.clone()).expect("checked");
        }
        k.set_org_default_queue(self.org_default_queue);
        for w in &self.workflows {
            k.add_workflow(w.clone()).expect("checked");
        }
        for node in self.nodes() {
            k.add_node(node).expect("checked");
        }
        k
    }

    /// Every node of every pool, named `<pool>-<n>`.
    pub fn nodes(&self) -> impl Iterator<Item = NodeSpec> + '_ {
        self.pools.iter().flat_map(|p| {
            let width = p.nodes.max(1).to_string().len();
            (0..p.nodes).map(move |i| NodeSpec {
                name: format!("{}-{:0width$}", p.name, i),
                agent: p.agent,
                pool: p.name.clone(),
                labels: p.labels.clone(),
                taints: p.taints.clone(),
                allocatable: p.allocatable,
                cost_per_hour: p.cost_per_hour,
            })
        })
    }

    /// Total number of nodes.
    pub fn node_count(&self) -> u64 {
        self.pools.iter().map(|p| u64::from(p.nodes)).sum()
    }
}
