//! The kernel: a state machine that drivers feed and ask.
//!
//! - [`Kernel::submit`]: an operation arrives; invalid ones end `rejected` with a reason.
//! - [`Kernel::observe`]: what the cluster reports (attempts started and ended, nodes, stops).
//! - [`Kernel::decide`]: the decisions to apply now.
//! - [`Kernel::next_wakeup`]: the earliest time the kernel wants to be asked again.
//!
//! An operation passes the seeds' pipeline in order: its upstream must be done (`created` →
//! `compiled`); (1) its direct workflow and (2) its controller workflow must have room
//! (`compiled` → `queued`, see [`gate`]); (3) its queue must be served by the dispatch policy
//! and be under its concurrency and quota; (4) a node of the queue's agent must hold it
//! (`queued` → `scheduled`, see [`dispatch`]).

mod backfill;
mod cache;
mod classes;
mod cohort;
mod compile;
mod dispatch;
mod events;
mod gate;
mod journal;
mod lanes;
mod lifecycle;
mod nodes;
mod preempt;
mod resubmit;
mod routes;
mod state;
mod submit;
mod termination;

pub use backfill::Backfill;
pub use events::{Decision, Observation, ObservationError};
pub use journal::StatusChange;
pub use state::{Approval, NodeState, OpExtra, OpState, QueueState, Resubmit, WorkflowState};

use std::collections::{BTreeSet, HashMap};

use crate::dispatch::{Dispatch, Key};
use crate::ids::{AgentId, NodeId, OpId, ProjectId, QueueId, WorkflowId};
use crate::model::{AgentSpec, NodeSpec, ProjectSpec, QueueSpec, Status, WorkflowSpec};
use crate::resources::Resources;
use crate::time::Time;

/// The policies a kernel runs with, chosen by name (see [`crate::registry`]).
pub struct KernelConfig {
    pub dispatch: Box<dyn Dispatch>,
    /// Builds one placement instance per agent.
    pub placement: crate::placement::Factory,
    pub placement_name: &'static str,
    pub preemption: Box<dyn crate::preemption::Preemption>,
    /// An attempt younger than this is never preempted (anti-churn).
    pub min_runtime: Time,
    /// At most this many preemptions in any window of this length (anti-churn).
    pub preemption_limit: Option<(u32, Time)>,
    /// Priority points a waiting operation gains per hour (0: no aging).
    pub aging_per_hour: f64,
    /// Whether operations behind a queue's blocked head may start, and on what terms.
    pub backfill: Backfill,
    /// Half-life of project usage, for dispatch policies that share by usage.
    pub half_life: Time,
}

impl KernelConfig {
    /// The policies called `dispatch` and `placement`, or a message naming the unknown one.
    pub fn by_name(dispatch: &str, placement: &str) -> Result<KernelConfig, String> {
        let dispatch = crate::dispatch::by_name(dispatch)?;
        let placement = crate::placement::factory(placement)?;
        let placement_name = placement().name();
        let preemption = Box::new(crate::preemption::Never);
        Ok(KernelConfig {
            dispatch,
            placement,
            placement_name,
            preemption,
            min_runtime: 0,
            preemption_limit: None,
            aging_per_hour: 0.0,
            backfill: Backfill::Off,
            half_life: 7 * 24 * crate::time::HOUR,
        })
    }

    /// The same, preempting by the policy called `name`, never attempts younger than
    /// `min_runtime`.
    pub fn with_preemption(mut self, name: &str, min_runtime: Time) -> Result<KernelConfig, String> {
        self.preemption = crate::preemption::by_name(name)?;
        self.min_runtime = min_runtime.max(0);
        Ok(self)
    }

    /// The same, backfilling by the mode called `name` (`off`, `best-effort`, `easy`).
    pub fn with_backfill(mut self, name: &str) -> Result<KernelConfig, String> {
        self.backfill = Backfill::by_name(name)?;
        Ok(self)
    }

    /// The same, with waiting operations gaining `per_hour` priority points each hour.
    pub fn with_aging(mut self, per_hour: f64) -> KernelConfig {
        self.aging_per_hour = if per_hour.is_finite() { per_hour.max(0.0) } else { 0.0 };
        self
    }

    /// The same, with project usage decaying by half every `half_life` (default 7 days, as
    /// Slurm's `PriorityDecayHalfLife`).
    pub fn with_half_life(mut self, half_life: Time) -> KernelConfig {
        self.half_life = half_life.max(1);
        self
    }

    /// The same, with at most `count` preemptions in any `window`.
    pub fn with_preemption_limit(mut self, count: u32, window: Time) -> KernelConfig {
        self.preemption_limit = (window > 0).then_some((count, window));
        self
    }
}

impl Default for KernelConfig {
    fn default() -> Self {
        KernelConfig::by_name("priority", "first-fit").expect("built-in policies exist")
    }
}

struct AgentState {
    spec: AgentSpec,
    /// Its nodes grouped by labels and taints, each group with its own placement index.
    classes: Vec<classes::NodeClass>,
    /// Running preemptible operations, lowest priority level and priority first, then the most
    /// recently started (the least work lost): the order victims are considered in.
    victims: std::collections::BTreeSet<preempt::VictimKey>,
    /// Running operations by estimated end (kept only for EASY backfilling).
    ends: std::collections::BTreeSet<(Time, OpId)>,
    /// Queues whose head found no node; re-examined when one of this agent's nodes frees room.
    capacity_blocked: Vec<QueueId>,
}

/// The scheduling kernel. See the module documentation.
pub struct Kernel {
    config: KernelConfig,
    org_default_queue: Option<QueueId>,
    agents: Vec<AgentState>,
    nodes: Vec<NodeState>,
    queues: Vec<QueueState>,
    projects: Vec<ProjectSpec>,
    workflows: Vec<WorkflowState>,
    ops: Vec<OpState>,
    reasons: HashMap<OpId, String>,
    dependents: HashMap<OpId, Vec<OpId>>,
    /// Queues that may start their head now, ordered by the dispatch policy.
    ready: BTreeSet<(Key, QueueId)>,
    agent_names: HashMap<String, AgentId>,
    queue_names: HashMap<String, QueueId>,
    project_names: HashMap<String, ProjectId>,
    workflow_names: HashMap<String, WorkflowId>,
    node_names: HashMap<String, NodeId>,
    stops: Vec<OpId>,
    /// Cohorts of queues sharing quota.
    cohorts: Vec<cohort::CohortState>,
    /// Decayed project usage (kept only by dispatch policies with project lanes).
    usage: lanes::Usage,
    /// Queues held by a spent budget, by when their next window begins.
    budget_wake: BTreeSet<(Time, QueueId)>,
    /// Attempts ended by node losses since the last decision pass (reported as preempted).
    lost: Vec<OpId>,
    /// When heads blocked for capacity should look for victims again (a candidate comes of
    /// age).
    preempt_retry: Option<Time>,
    /// Whether the preemption policy can evict anything (else no victim index is kept).
    preempting: bool,
    /// Times of the preemptions inside the limit's window, oldest first.
    recent_preemptions: std::collections::VecDeque<Time>,
    /// Interned constraint sets; operations refer to them by index (0: none).
    constraints: Vec<crate::model::Constraints>,
    /// Status transitions not yet taken by the driver (`None`: not recording).
    journal: Option<Vec<StatusChange>>,
    /// Operations ended since the driver last asked (`None`: not recording).
    endings: Option<Vec<OpId>>,
    /// How many operations have ended (numbers their endings).
    ends_seen: u64,
    /// Queue routes by expression, tried in order for operations that name no queue.
    routes: Vec<(crate::expr::Expr, QueueId)>,
    /// Timeouts and retry backoffs: (when, operation, its attempt number then, what).
    timers: BTreeSet<(Time, OpId, u32, termination::Timer)>,
    /// The operation cache by key.
    cache: HashMap<Box<str>, cache::CacheEntry>,
    /// Decisions made outside [`Kernel::decide`] (while observing), handed out by it.
    pending_decisions: Vec<Decision>,
    next_seq: u64,
    capacity: Resources,
    used: Resources,
}

impl Kernel {
    /// An empty kernel running the given policies.
    pub fn new(config: KernelConfig) -> Kernel {
        let preempting = config.preemption.name() != "off";
        Kernel {
            preempting,
            recent_preemptions: std::collections::VecDeque::new(),
            config,
            org_default_queue: None,
            agents: Vec::new(),
            nodes: Vec::new(),
            queues: Vec::new(),
            projects: Vec::new(),
            workflows: Vec::new(),
            ops: Vec::new(),
            reasons: HashMap::new(),
            dependents: HashMap::new(),
            ready: BTreeSet::new(),
            agent_names: HashMap::new(),
            queue_names: HashMap::new(),
            project_names: HashMap::new(),
            workflow_names: HashMap::new(),
            node_names: HashMap::new(),
            stops: Vec::new(),
            usage: lanes::Usage::default(),
            cohorts: Vec::new(),
            budget_wake: BTreeSet::new(),
            lost: Vec::new(),
            preempt_retry: None,
            constraints: vec![crate::model::Constraints::default()],
            journal: None,
            endings: None,
            ends_seen: 0,
            routes: Vec::new(),
            timers: BTreeSet::new(),
            cache: HashMap::new(),
            pending_decisions: Vec::new(),
            next_seq: 0,
            capacity: Resources::ZERO,
            used: Resources::ZERO,
        }
    }

    // ----- configuration -------------------------------------------------------------------

    /// Registers an agent.
    pub fn add_agent(&mut self, spec: AgentSpec) -> Result<AgentId, String> {
        if self.agent_names.contains_key(&spec.name) {
            return Err(format!("agent `{}` is defined twice", spec.name));
        }
        let id = AgentId(self.agents.len() as u32);
        self.agent_names.insert(spec.name.clone(), id);
        self.agents.push(AgentState {
            spec,
            classes: Vec::new(),
            victims: std::collections::BTreeSet::new(),
            ends: std::collections::BTreeSet::new(),
            capacity_blocked: Vec::new(),
        });
        Ok(id)
    }

    /// Registers a queue on an already registered agent.
    pub fn add_queue(&mut self, spec: QueueSpec) -> Result<QueueId, String> {
        if self.queue_names.contains_key(&spec.name) {
            return Err(format!("queue `{}` is defined twice", spec.name));
        }
        if spec.agent.index() >= self.agents.len() {
            return Err(format!("queue `{}` names an unknown agent", spec.name));
        }
        let id = QueueId(self.queues.len() as u32);
        self.queue_names.insert(spec.name.clone(), id);
        let mut state = QueueState::new(spec);
        if self.config.dispatch.project_lanes() {
            state.lanes = Some(lanes::Lanes::default());
        }
        self.queues.push(state);
        self.join_cohort(id);
        Ok(id)
    }

    /// Registers a project.
    pub fn add_project(&mut self, spec: ProjectSpec) -> Result<ProjectId, String> {
        if self.project_names.contains_key(&spec.name) {
            return Err(format!("project `{}` is defined twice", spec.name));
        }
        let known = |q: &QueueId| q.index() < self.queues.len();
        if !spec.default_queue.iter().all(known) || !spec.allowed_queues.iter().flatten().all(known) {
            return Err(format!("project `{}` names an unknown queue", spec.name));
        }
        let id = ProjectId(self.projects.len() as u32);
        self.project_names.insert(spec.name.clone(), id);
        self.projects.push(spec);
        Ok(id)
    }

    /// Sets the organisation's default queue (used when neither operation nor project names one).
    pub fn set_org_default_queue(&mut self, q: Option<QueueId>) {
        self.org_default_queue = q.filter(|q| q.index() < self.queues.len());
    }

    /// Registers a workflow; its parent must be registered before it.
    pub fn add_workflow(&mut self, spec: WorkflowSpec) -> Result<WorkflowId, String> {
        if self.workflow_names.contains_key(&spec.name) {
            return Err(format!("workflow `{}` is defined twice", spec.name));
        }
        let id = WorkflowId(self.workflows.len() as u32);
        let controller = match spec.parent {
            None => id,
            Some(p) if p.index() < self.workflows.len() => self.workflows[p.index()].controller,
            Some(_) => return Err(format!("workflow `{}` names an unknown parent", spec.name)),
        };
        self.workflow_names.insert(spec.name.clone(), id);
        self.workflows.push(WorkflowState::new(spec, controller));
        Ok(id)
    }

    /// Adds a node to its agent (the same as observing [`Observation::NodeAdded`]).
    pub fn add_node(&mut self, spec: NodeSpec) -> Result<NodeId, String> {
        if spec.agent.index() >= self.agents.len() {
            return Err(format!("node `{}` names an unknown agent", spec.name));
        }
        if self.node_names.contains_key(&spec.name) {
            return Err(format!("node `{}` is defined twice", spec.name));
        }
        let id = NodeId(self.nodes.len() as u32);
        let (class, slot) = self.classify(id, &spec);
        // A new node may hold what nothing could hold before.
        let blocked = std::mem::take(&mut self.agents[spec.agent.index()].capacity_blocked);
        self.capacity.add(&spec.allocatable);
        self.node_names.insert(spec.name.clone(), id);
        self.nodes.push(NodeState::new(spec, class, slot));
        for q in blocked {
            self.unblock(q);
        }
        Ok(id)
    }

    /// Makes room for `n` more operations up front (drivers that know their workload size
    /// avoid the arena's growth copies).
    pub fn reserve_ops(&mut self, n: usize) {
        self.ops.reserve(n);
    }

    // ----- lookups ---------------------------------------------------------------------------

    /// The agent called `name`.
    pub fn agent_id(&self, name: &str) -> Option<AgentId> {
        self.agent_names.get(name).copied()
    }
    /// The queue called `name`.
    pub fn queue_id(&self, name: &str) -> Option<QueueId> {
        self.queue_names.get(name).copied()
    }
    /// The project called `name`.
    pub fn project_id(&self, name: &str) -> Option<ProjectId> {
        self.project_names.get(name).copied()
    }
    /// The workflow called `name`.
    pub fn workflow_id(&self, name: &str) -> Option<WorkflowId> {
        self.workflow_names.get(name).copied()
    }
    /// The node called `name`.
    pub fn node_id(&self, name: &str) -> Option<NodeId> {
        self.node_names.get(name).copied()
    }

    // ----- read access -----------------------------------------------------------------------

    /// The names of the policies in force: (dispatch, placement).
    pub fn policy_names(&self) -> (&'static str, &'static str) {
        (self.config.dispatch.name(), self.config.placement_name)
    }
    /// The name of the preemption policy in force.
    pub fn preemption_name(&self) -> &'static str {
        self.config.preemption.name()
    }
    /// The organisation's default queue.
    pub fn org_default_queue(&self) -> Option<QueueId> {
        self.org_default_queue
    }
    /// Registered agents, in id order.
    pub fn agents(&self) -> impl Iterator<Item = &AgentSpec> {
        self.agents.iter().map(|a| &a.spec)
    }
    /// An agent's spec.
    pub fn agent(&self, id: AgentId) -> &AgentSpec {
        &self.agents[id.index()].spec
    }
    /// Nodes, in id order.
    pub fn nodes(&self) -> &[NodeState] {
        &self.nodes
    }
    /// Queues, in id order.
    pub fn queues(&self) -> &[QueueState] {
        &self.queues
    }
    /// Projects, in id order.
    pub fn projects(&self) -> &[ProjectSpec] {
        &self.projects
    }
    /// Workflows, in id order.
    pub fn workflows(&self) -> &[WorkflowState] {
        &self.workflows
    }
    /// Operations, in submission (id) order.
    pub fn ops(&self) -> &[OpState] {
        &self.ops
    }
    /// One operation.
    pub fn op(&self, id: OpId) -> Option<&OpState> {
        self.ops.get(id.index())
    }
    /// Why an operation was rejected or failed, if it was.
    pub fn reason(&self, id: OpId) -> Option<&str> {
        self.reasons.get(&id).map(|s| s.as_str())
    }
    /// Total allocatable capacity of all nodes.
    pub fn capacity(&self) -> Resources {
        self.capacity
    }
    /// Resources held by scheduled and running operations now.
    pub fn used(&self) -> Resources {
        self.used
    }
    /// How many operations are in each status.
    pub fn status_counts(&self) -> Vec<(Status, u64)> {
        let mut counts = [0u64; Status::ALL.len()];
        for op in &self.ops {
            counts[Status::ALL.iter().position(|s| *s == op.status).unwrap_or(0)] += 1;
        }
        Status::ALL.iter().copied().zip(counts).collect()
    }

    /// The earliest time the kernel wants [`Kernel::decide`] called again even if nothing is
    /// observed: when an attempt spared by the minimum run time may be preempted, or when a
    /// queue held by its spent budget enters a new window.
    /// Timeouts and retry backoffs count too (see [`Kernel::next_timer`]: unlike the others,
    /// they matter even when nothing else is happening).
    pub fn next_wakeup(&self) -> Option<Time> {
        let budget = self.budget_wake.first().map(|e| e.0);
        [self.preempt_retry, budget, self.next_timer()].into_iter().flatten().min()
    }
}

#[cfg(test)]
mod lifecycle_tests;
#[cfg(test)]
mod tests;
