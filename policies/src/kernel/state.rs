//! The kernel's runtime state of nodes, queues, workflows and operations.

use std::collections::{BTreeSet, VecDeque};

use crate::dispatch::Key;
use crate::ids::{NodeId, OpId, ProjectId, QueueId, WorkflowId};
use crate::model::{NodeSpec, QueueSpec, Status, WorkflowSpec};
use crate::resources::Resources;
use crate::time::Time;

/// A node and what is free on it.
#[derive(Clone, Debug)]
pub struct NodeState {
    pub spec: NodeSpec,
    pub free: Resources,
    /// Its class among its agent's nodes, and its position in that class's placement index.
    pub(crate) class: usize,
    pub(crate) slot: usize,
    /// False while the node is lost (reclaimed, failed, deleted): it holds nothing then.
    pub(crate) up: bool,
    /// Operations with an attempt (or a gang replica) on it, so losing it finds them.
    pub(crate) running: BTreeSet<OpId>,
}

impl NodeState {
    pub(crate) fn new(spec: NodeSpec, class: usize, slot: usize) -> NodeState {
        NodeState { free: spec.allocatable, spec, class, slot, up: true, running: BTreeSet::new() }
    }

    /// Whether the node is available (not lost).
    pub fn is_up(&self) -> bool {
        self.up
    }

    /// Operations with an attempt on it now.
    pub fn running_ops(&self) -> impl Iterator<Item = OpId> + '_ {
        self.running.iter().copied()
    }
}

/// Why a queue cannot start its head now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Block {
    None,
    /// At its concurrency: freed when one of its operations ends.
    Concurrency,
    /// Its head would exceed the resource or cost quota: freed when its usage drops.
    Quota,
    /// No node of its agent holds its head: freed when a node frees enough room.
    Capacity,
    /// Its cost budget for the current window is spent: freed when the next window begins.
    Budget,
}

/// A queue and its pending and running work.
#[derive(Clone, Debug)]
pub struct QueueState {
    pub spec: QueueSpec,
    /// Pending operations ordered by the dispatch policy's op key, first = next. Ordered (not a
    /// heap) so that backfilling can look past the head. Entries whose operation left the
    /// queue (stopped) are dropped lazily when they reach the front.
    pub(crate) pending: BTreeSet<(i64, u64, OpId)>,
    queued: u32,
    running: u32,
    used: Resources,
    cost_rate: f64,
    pub(crate) block: Block,
    pub(crate) ready_key: Option<Key>,
    /// The smallest CPU request among what backfilling would look at next: freed room
    /// smaller than this cannot start anything, so it need not wake the queue.
    pub(crate) backfill_min_cpu: u64,
    /// Its cohort (index in the kernel's cohorts) and the part of its quota it never lends.
    pub(crate) cohort: Option<usize>,
    pub(crate) guaranteed: Resources,
    /// With a cohort: its running operations, most recently started first (reclaim victims).
    pub(crate) running_ops: BTreeSet<(std::cmp::Reverse<Time>, OpId)>,
    /// Pending operations by project, with a usage-sharing dispatch policy.
    pub(crate) lanes: Option<super::lanes::Lanes>,
    /// Spending in the current budget window up to `spent_at` (only with a budget).
    spent: f64,
    spent_at: Time,
    window_start: Time,
}

impl QueueState {
    pub(crate) fn new(spec: QueueSpec) -> QueueState {
        QueueState {
            spec,
            pending: BTreeSet::new(),
            queued: 0,
            running: 0,
            used: Resources::ZERO,
            cost_rate: 0.0,
            block: Block::None,
            ready_key: None,
            backfill_min_cpu: u64::MAX,
            lanes: None,
            cohort: None,
            guaranteed: Resources::ZERO,
            running_ops: BTreeSet::new(),
            spent: 0.0,
            spent_at: 0,
            window_start: 0,
        }
    }

    /// Operations waiting on this queue now.
    pub fn queued(&self) -> u32 {
        self.queued
    }
    /// Operations of this queue scheduled or running now.
    pub fn running(&self) -> u32 {
        self.running
    }
    /// Resources its scheduled and running operations hold.
    pub fn used(&self) -> Resources {
        self.used
    }
    /// Summed cost per hour of its running attempts.
    pub fn cost_rate(&self) -> f64 {
        self.cost_rate
    }
    pub(crate) fn concurrency_limit(&self) -> u32 {
        self.spec.concurrency.unwrap_or(u32::MAX)
    }

    pub(crate) fn push(&mut self, key: (i64, u64), op: OpId) {
        self.pending.insert((key.0, key.1, op));
        self.queued += 1;
    }
    pub(crate) fn left_pending(&mut self) {
        self.queued -= 1;
    }
    /// What the queue has spent in the budget window that contains `now` (0 without a
    /// budget). Its running attempts have cost `cost_rate` per hour since `spent_at`.
    pub fn spent_in_window(&self, now: Time) -> f64 {
        let Some(b) = self.spec.budget else { return 0.0 };
        let start = now.div_euclid(b.window) * b.window;
        let per_ms = self.cost_rate / crate::time::HOUR as f64;
        if start > self.window_start {
            // A new window began since the last change: only what ran since its start counts.
            per_ms * (now - start.max(self.spent_at)).max(0) as f64
        } else {
            self.spent + per_ms * (now - self.spent_at).max(0) as f64
        }
    }

    /// When the budget window containing `now` ends.
    pub(crate) fn window_end(&self, now: Time) -> Option<Time> {
        self.spec.budget.map(|b| (now.div_euclid(b.window) + 1) * b.window)
    }

    /// Brings the window's spending up to `now` (before the running cost rate changes).
    fn accrue(&mut self, now: Time) {
        let Some(b) = self.spec.budget else { return };
        if now < self.spent_at {
            // An adopted attempt reported as started in the past: what it cost before the
            // driver knew of it is not held against the window.
            return;
        }
        self.spent = self.spent_in_window(now);
        self.window_start = now.div_euclid(b.window) * b.window;
        self.spent_at = now;
    }

    pub(crate) fn hold(&mut self, req: &Resources, rate: f64, now: Time) {
        self.accrue(now);
        self.running += 1;
        self.used.add(req);
        self.cost_rate += rate;
    }
    pub(crate) fn release(&mut self, req: &Resources, rate: f64, now: Time) {
        self.accrue(now);
        self.running -= 1;
        self.used.sub(req);
        self.cost_rate = if self.running == 0 { 0.0 } else { (self.cost_rate - rate).max(0.0) };
    }
}

/// A workflow's concurrency bookkeeping.
#[derive(Clone, Debug)]
pub struct WorkflowState {
    pub spec: WorkflowSpec,
    /// The top-level workflow above it (itself when top-level).
    pub controller: WorkflowId,
    /// Its own operations queued or running.
    pub(crate) direct_active: u32,
    /// Leaf operations queued or running anywhere beneath it (kept on controllers).
    pub(crate) tree_active: u32,
    /// Its compiled operations waiting for room, in arrival order.
    pub(crate) held: VecDeque<OpId>,
    /// Whether it is in its controller's `ready` set.
    pub(crate) in_ready: bool,
    /// On controllers: workflows beneath (or itself) with held operations and direct room,
    /// ordered by their oldest held operation.
    pub(crate) ready: BTreeSet<(u64, WorkflowId)>,
}

impl WorkflowState {
    pub(crate) fn new(spec: WorkflowSpec, controller: WorkflowId) -> WorkflowState {
        WorkflowState {
            spec,
            controller,
            direct_active: 0,
            tree_active: 0,
            held: VecDeque::new(),
            in_ready: false,
            ready: BTreeSet::new(),
        }
    }
    pub(crate) fn limit(&self) -> u32 {
        self.spec.concurrency.unwrap_or(u32::MAX)
    }
}

/// An operation: what it asked for and where it is in its lifecycle.
#[derive(Clone, Debug)]
pub struct OpState {
    /// Resolved queue (`None` only when rejected before one could be resolved).
    pub queue: Option<QueueId>,
    pub project: Option<ProjectId>,
    pub workflow: Option<WorkflowId>,
    pub priority: i32,
    pub resources: Resources,
    pub status: Status,
    /// Submission order; unique, the final tie-breaker everywhere.
    pub seq: u64,
    pub submitted: Time,
    pub queued_at: Option<Time>,
    pub started: Option<Time>,
    pub ended: Option<Time>,
    /// The node of its (first) replica while it holds resources.
    pub node: Option<NodeId>,
    /// Gang size (1 for an ordinary operation); `resources` is per replica.
    pub replicas: u32,
    /// Nodes of replicas 2..=N while a gang holds resources.
    pub gang: Vec<NodeId>,
    pub attempts: u32,
    /// Cost of its attempts so far (currency units).
    pub cost: f64,
    /// Cost per hour of the current attempt.
    pub(crate) cost_rate: f64,
    pub(crate) pending_deps: u32,
    /// Upstream operations: how many, how many ended succeeded (or skipped, counted as
    /// success) and how many ended otherwise; and the rule that decides from them.
    pub(crate) upstream: (u32, u32, u32),
    pub(crate) trigger: crate::model::Trigger,
    pub(crate) skip_on_upstream_skip: bool,
    /// Interned constraint set (its own and its queue's).
    pub(crate) constraints: u32,
    /// Its key in its queue's pending set while queued.
    pub(crate) queue_key: (i64, u64),
    /// Its run-time estimate (for backfilling), if the driver knows one.
    pub estimate: Option<Time>,
    /// Whether it may be evicted (its own flag and its queue's).
    pub(crate) preemptible: bool,
    /// Checkpoint interval (its own or its queue's).
    pub checkpoint: Option<Time>,
    /// When the current attempt was decided (its victim-order key).
    pub(crate) attempt_start: Time,
    /// When its first attempt started (for wait times).
    pub first_started: Option<Time>,
    /// Work saved by checkpoints before preemptions: the next attempt only runs the rest.
    pub saved: Time,
    /// Work lost to preemptions (time since the last checkpoint, each time).
    pub work_lost: Time,
    pub preemptions: u32,
    /// Attempts ended because their node was lost (retried, not counted as failures).
    pub node_losses: u32,
    /// An attempt running longer than this fails (timed out).
    pub timeout: Option<Time>,
    /// Retries allowed after failures, and used so far.
    pub max_retries: u32,
    pub retries: u32,
    /// Wait before the first retry (doubling for each further one).
    pub retry_backoff: Time,
    /// The order in which it ended among all operations (0 while unfinished): endings at one
    /// instant are told to downstream operations in this order.
    pub(crate) end_seq: u64,
    /// The rarely used lifecycle settings (conditions, cache, approval, inputs and outputs,
    /// origin); `None` for an operation with none of them, to keep the arena small.
    pub extra: Option<Box<OpExtra>>,
}

/// Whether an operation needs manual approval, and where that stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Approval {
    #[default]
    NotNeeded,
    /// Needed; not given yet.
    Pending,
    /// Needed and compiled: it waits for the answer now.
    Waiting,
    Approved,
}

/// How a resubmitted operation relates to the one it was made from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resubmit {
    /// Runs again from scratch.
    Restart,
    /// Runs only the work the original's checkpoints did not save.
    Resume,
    /// Runs again from scratch, starting with the original's outputs.
    Copy,
}

impl Resubmit {
    /// The lower-case name (`restart`, `resume`, `copy`).
    pub fn as_str(self) -> &'static str {
        match self {
            Resubmit::Restart => "restart",
            Resubmit::Resume => "resume",
            Resubmit::Copy => "copy",
        }
    }
}

/// The lifecycle settings most operations do not use.
#[derive(Clone, Debug, Default)]
pub struct OpExtra {
    pub inputs: crate::expr::Params,
    /// What it reported when it succeeded (or copied from its cache source or original).
    pub outputs: crate::expr::Params,
    pub conditions: Option<crate::expr::Expr>,
    /// Its upstream operations, and the names its condition knows them by.
    pub upstream: Vec<OpId>,
    pub upstream_names: Vec<String>,
    pub approval: Approval,
    pub cache: Option<crate::model::CacheSpec>,
    /// The operation whose result it reused (a cache hit), or waits for.
    pub cache_source: Option<OpId>,
    /// The operation it was resubmitted from, and how.
    pub origin: Option<(OpId, Resubmit)>,
}

impl OpState {
    /// What all its replicas request together.
    pub fn total_resources(&self) -> Resources {
        self.resources.times(self.replicas)
    }

    /// Nodes its replicas hold now (none while it holds nothing).
    pub fn nodes(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.node.into_iter().chain(self.gang.iter().copied())
    }
}
