//! The live driver: the unchanged kernel scheduling a Kubernetes cluster through kube-rs.
//!
//! It watches Jobs and Nodes. Nodes become [`Observation::NodeAdded`]; Jobs labelled with a
//! queue (or living in an agent's namespace) become kernel submissions; their completion or
//! failure become observations. Decisions are applied to the Jobs: *start* patches the pod
//! template's node selector to the chosen node, unsuspends the Job and records the
//! admission in annotations; *preempt* suspends it again; *stop* deletes it.
//!
//! Its state lives in the cluster: a new driver lists everything, resubmits the Jobs in
//! creation order and adopts the admitted ones ([`Observation::AttemptAdopted`]), so it
//! neither admits a Job twice nor forgets one. Conflicts are retried on fresh state, server
//! errors and timeouts with backoff; while the API is unreachable no decision is made.
//!
//! Approvals live in annotations too: a Job annotated `schedlab.io/approval: required` is not
//! submitted until `schedlab.io/approved: "true"`; `"false"` (rejected) submits it as an
//! operation the kernel rejects, so whatever depends on it ends `upstream_failed`.
//!
//! One driver can schedule several clusters ([`Cluster`]): one kernel, one pair of watches
//! per cluster, each agent's Jobs and nodes in the cluster it is assigned to.

pub mod jobs;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Event, Node, ObjectReference};
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use kube::runtime::watcher::{self, watcher, Event as WEvent};
use kube::runtime::WatchStreamExt;
use kube::{Api, Client};
use schedlab_policies::model::{CacheSpec, NodeSpec, OpSpec, ProjectSpec, QueueRef, Status, WorkflowSpec};
use schedlab_policies::{Decision, Kernel, NodeId, Observation, OpId, Time};
use schedlab_sim::Scenario;
use serde_json::json;
use tracing::{debug, info, warn};

use crate::annotations as ann;
use crate::metrics::Metrics;

/// A Job in the driver's view: (cluster index, namespace, name).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobKey {
    pub cluster: usize,
    pub ns: String,
    pub name: String,
}

impl JobKey {
    fn of(cluster: usize, job: &Job) -> JobKey {
        let (ns, name) = jobs::key(job);
        JobKey { cluster, ns, name }
    }
}

impl std::fmt::Display for JobKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.ns, self.name)
    }
}

/// One Kubernetes cluster the driver schedules.
#[derive(Clone)]
pub struct Cluster {
    /// Its name (the kubeconfig context); with several clusters, its nodes are `NAME/node`
    /// in the kernel.
    pub name: String,
    pub client: Client,
    /// Agents (scenario names) whose Jobs and nodes live here. Empty: every agent no other
    /// cluster names.
    pub agents: Vec<String>,
}

/// The kernel's name of a cluster's node: the node's name with one cluster, `CLUSTER/node`
/// with several.
pub fn kernel_node_name(clusters: usize, cluster: &str, node: &str) -> String {
    if clusters > 1 {
        format!("{cluster}/{node}")
    } else {
        node.to_string()
    }
}

/// Which cluster each agent (by index) lives in, from each cluster's (name, agents); `None`:
/// no cluster serves it. A cluster naming no agent serves every agent no other names.
pub fn agent_clusters(
    s: &Scenario,
    clusters: &[(String, Vec<String>)],
) -> Result<Vec<Option<usize>>, String> {
    for (i, (name, agents)) in clusters.iter().enumerate() {
        for a in agents {
            if !s.agents.iter().any(|x| &x.name == a) {
                let known: Vec<&str> = s.agents.iter().map(|x| x.name.as_str()).collect();
                return Err(format!(
                    "cluster `{name}` names agent `{a}`, which scenario `{}` does not define (its agents: {})",
                    s.name,
                    known.join(", ")
                ));
            }
            if let Some(j) = clusters[..i].iter().position(|o| o.1.contains(a)) {
                return Err(format!(
                    "agent `{a}` is assigned to two clusters (`{}` and `{name}`)",
                    clusters[j].0
                ));
            }
        }
    }
    let default = clusters.iter().position(|c| c.1.is_empty());
    Ok(s.agents.iter().map(|a| clusters.iter().position(|c| c.1.contains(&a.name)).or(default)).collect())
}

/// The agent a node of cluster `c` belongs to: its agent label, else its pool's agent, else
/// the only agent of its cluster. An agent of another cluster is none.
pub fn node_agent(
    s: &Scenario,
    agent_cluster: &[Option<usize>],
    c: usize,
    node: &Node,
) -> Option<schedlab_policies::AgentId> {
    let labels = node.metadata.labels.as_ref();
    let here = |a: usize| agent_cluster.get(a).copied().flatten() == Some(c);
    let id = |a: usize| schedlab_policies::AgentId(a as u32);
    if let Some(name) = labels.and_then(|l| l.get(crate::AGENT_LABEL)) {
        return s.agents.iter().position(|x| &x.name == name).filter(|a| here(*a)).map(id);
    }
    if let Some(p) = labels.and_then(|l| l.get(crate::POOL_LABEL)) {
        if let Some(pool) = s.pools.iter().find(|x| &x.name == p) {
            return Some(pool.agent.index()).filter(|a| here(*a)).map(id);
        }
    }
    let mine: Vec<usize> = (0..s.agents.len()).filter(|a| here(*a)).collect();
    match mine.as_slice() {
        [one] => Some(id(*one)),
        _ => None,
    }
}

/// The scenario pool position of a node (by its pool label), for ordering nodes as the
/// scenario lists them.
pub fn pool_position(s: &Scenario, n: &Node) -> usize {
    let pool = n.metadata.labels.as_ref().and_then(|l| l.get(crate::POOL_LABEL));
    pool.and_then(|p| s.pools.iter().position(|x| &x.name == p)).unwrap_or(usize::MAX)
}

/// How the driver runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// Kernel time runs this many times faster than the wall clock (for time-compressed
    /// replays: scenario durations such as `min_runtime` then mean compressed seconds).
    pub time_scale: f64,
    /// Exit once every Job is finished (or refused).
    pub until_idle: bool,
    /// How long events must settle before a decision pass.
    pub debounce: Duration,
    pub metrics: Option<Arc<Metrics>>,
}

impl Default for Options {
    fn default() -> Self {
        Options { time_scale: 1.0, until_idle: false, debounce: Duration::from_millis(5), metrics: None }
    }
}

/// What a driver did before it returned.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub admissions: u64,
    pub preemptions: u64,
    pub refusals: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub adopted: u64,
    /// Jobs their approver rejected.
    pub rejected: u64,
    /// Jobs ended `upstream_failed` (an upstream Job did not succeed).
    pub upstream_failed: u64,
    /// Jobs not run because a Job with their cache key had succeeded (or was running).
    pub cache_hits: u64,
    /// Nodes deleted while the driver ran.
    pub nodes_lost: u64,
}

/// Builds a kernel from a scenario's policies, agents, queues, projects and workflows, but
/// none of its nodes: in live mode nodes come from the cluster.
pub fn kernel_without_nodes(s: &Scenario) -> Result<Kernel, String> {
    let mut k = Kernel::new(s.kernel_config()?);
    for a in &s.agents {
        k.add_agent(a.clone())?;
    }
    for q in &s.queues {
        // A failed or timed-out Job is not retried by the driver yet: Kubernetes' own
        // `backoffLimit` and `activeDeadlineSeconds` do that for a Job, so the queue's
        // termination settings would only double them.
        let mut q = q.clone();
        q.termination = Default::default();
        k.add_queue(q)?;
    }
    for (when, q) in &s.lifecycle.routes {
        k.add_route(when.clone(), *q)?;
    }
    for p in &s.projects {
        k.add_project(p.clone())?;
    }
    k.set_org_default_queue(s.org_default_queue);
    for w in &s.workflows {
        k.add_workflow(w.clone())?;
    }
    Ok(k)
}

struct Tracked {
    op: OpId,
    uid: String,
    stop_requested: bool,
}

/// What the driver knows of one operation it submitted.
struct OpInfo {
    key: JobKey,
    uid: String,
    depends_on: Vec<OpId>,
    /// `upstream_failed` already written on the Job (or not to be written).
    marked: bool,
}

struct ClusterState {
    name: String,
    client: Client,
    jobs_synced: bool,
    nodes_synced: bool,
    healthy: bool,
    /// Seen Init: Jobs listed since, to drop what disappeared while the watch was down.
    relist_jobs: Option<HashSet<JobKey>>,
    /// The same for Nodes (kernel names).
    relist_nodes: Option<HashSet<String>>,
}

struct Driver {
    clusters: Vec<ClusterState>,
    /// The cluster of each agent (by index).
    agent_cluster: Vec<Option<usize>>,
    scenario: Scenario,
    opts: Options,
    kernel: Kernel,
    jobs: HashMap<JobKey, Job>,
    /// Nodes by kernel name: (cluster, the Node).
    nodes: HashMap<String, (usize, Node)>,
    /// Kernel node name → (cluster, node name in its cluster), for every node ever added.
    node_names: HashMap<String, (usize, String)>,
    /// Jobs the kernel knows, and the Job of each operation.
    tracked: HashMap<JobKey, Tracked>,
    job_of: Vec<OpInfo>,
    /// Jobs refused or ignored, by uid (never looked at again).
    settled: HashSet<String>,
    /// Jobs that changed since the last pass.
    dirty: BTreeSet<JobKey>,
    /// Starts decided but not yet written (retried until written or moot).
    pending_starts: Vec<(OpId, NodeId)>,
    pending_deletes: Vec<OpId>,
    /// Preemptions decided but not yet written.
    pending_preempts: Vec<OpId>,
    /// Nodes deleted (or back) since the last pass: (kernel name, present).
    node_changes: Vec<(String, bool)>,
    /// How many operations may have ended upstream_failed since the last look.
    unmarked_from: usize,
    next_admission: u64,
    built: bool,
    summary: Summary,
}

/// A watch event of one cluster (boxed: Jobs are large).
enum Ev {
    Job(usize, Box<Result<WEvent<Job>, watcher::Error>>),
    Node(usize, Box<Result<WEvent<Node>, watcher::Error>>),
}

/// Runs the driver on one cluster until `shutdown` resolves (or, with `until_idle`, until
/// every Job is done).
pub async fn run(
    client: Client,
    scenario: Scenario,
    opts: Options,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<Summary, String> {
    let c = Cluster { name: "default".into(), client, agents: Vec::new() };
    run_clusters(vec![c], scenario, opts, shutdown).await
}

/// Runs the driver on several clusters (one kernel; each agent in its cluster).
pub async fn run_clusters(
    clusters: Vec<Cluster>,
    scenario: Scenario,
    opts: Options,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<Summary, String> {
    if clusters.is_empty() {
        return Err("no cluster to schedule".into());
    }
    let kernel = kernel_without_nodes(&scenario)?;
    let names: Vec<(String, Vec<String>)> =
        clusters.iter().map(|c| (c.name.clone(), c.agents.clone())).collect();
    let agent_cluster = agent_clusters(&scenario, &names)?;
    for (a, c) in scenario.agents.iter().zip(&agent_cluster) {
        if c.is_none() {
            warn!(agent = %a.name, "no cluster is assigned this agent: its queues never run anything");
        }
    }
    let wc = watcher::Config::default();
    let mut events = futures::stream::SelectAll::new();
    for (i, c) in clusters.iter().enumerate() {
        events.push(
            watcher(Api::<Job>::all(c.client.clone()), wc.clone())
                .backoff(WatchBackoff::new())
                .map(move |e| Ev::Job(i, Box::new(e)))
                .boxed(),
        );
        events.push(
            watcher(Api::<Node>::all(c.client.clone()), wc.clone())
                .backoff(WatchBackoff::new())
                .map(move |e| Ev::Node(i, Box::new(e)))
                .boxed(),
        );
    }
    let mut d = Driver {
        clusters: clusters
            .into_iter()
            .map(|c| ClusterState {
                name: c.name,
                client: c.client,
                jobs_synced: false,
                nodes_synced: false,
                healthy: true,
                relist_jobs: None,
                relist_nodes: None,
            })
            .collect(),
        agent_cluster,
        scenario,
        opts,
        kernel,
        jobs: HashMap::new(),
        nodes: HashMap::new(),
        node_names: HashMap::new(),
        tracked: HashMap::new(),
        job_of: Vec::new(),
        settled: HashSet::new(),
        dirty: BTreeSet::new(),
        pending_starts: Vec::new(),
        pending_deletes: Vec::new(),
        pending_preempts: Vec::new(),
        node_changes: Vec::new(),
        unmarked_from: 0,
        next_admission: 1,
        built: false,
        summary: Summary::default(),
    };
    tokio::pin!(shutdown);
    let mut decide_at: Option<Instant> = None;
    let mut first_dirty: Option<Instant> = None;
    info!(scenario = %d.scenario.name, clusters = d.clusters.len(), "live driver started");
    loop {
        let wake = d.kernel_wakeup();
        let retry = !d.pending_starts.is_empty()
            || !d.pending_deletes.is_empty()
            || !d.pending_preempts.is_empty()
            || !d.healthy();
        let deadline = [decide_at, wake, retry.then(|| Instant::now() + Duration::from_millis(100))]
            .into_iter()
            .flatten()
            .min();
        let sleep = async {
            match deadline {
                Some(t) => tokio::time::sleep_until(t.into()).await,
                None => std::future::pending().await,
            }
        };
        let mut event = false;
        tokio::select! {
            _ = &mut shutdown => { info!("shutting down"); break; }
            e = events.next() => match e {
                Some(Ev::Job(c, r)) => match *r {
                    Ok(e) => { d.set_healthy(c, true); d.on_job_event(c, e); event = true; }
                    Err(err) => d.watch_failed(c, &err),
                },
                Some(Ev::Node(c, r)) => match *r {
                    Ok(e) => { d.set_healthy(c, true); d.on_node_event(c, e); event = true; }
                    Err(err) => d.watch_failed(c, &err),
                },
                None => return Err("the watches ended".into()),
            },
            _ = sleep => {
                decide_at = None;
                first_dirty = None;
                for c in 0..d.clusters.len() {
                    if !d.clusters[c].healthy {
                        // A failed watch says the API was unreachable; a cheap read says when
                        // it is back (the watcher itself resumes silently).
                        let api = Api::<Node>::all(d.clusters[c].client.clone());
                        let probe = api.list(&kube::api::ListParams::default().limit(1)).await;
                        d.set_healthy(c, probe.is_ok());
                    }
                }
                if d.healthy() && d.clusters.iter().all(|c| c.jobs_synced && c.nodes_synced) {
                    d.pass().await;
                    if d.opts.until_idle && d.idle() {
                        info!("every Job is done");
                        break;
                    }
                }
            }
        }
        if event {
            // Debounce: decide once events have settled, but not later than 10 debounces
            // after the first.
            let now = Instant::now();
            let first = *first_dirty.get_or_insert(now);
            decide_at = Some((now + d.opts.debounce).min(first + d.opts.debounce * 10));
        }
    }
    Ok(d.summary)
}

impl Driver {
    fn healthy(&self) -> bool {
        self.clusters.iter().all(|c| c.healthy)
    }

    fn set_healthy(&mut self, c: usize, h: bool) {
        let cl = &mut self.clusters[c];
        if cl.healthy != h {
            if h {
                info!(cluster = %cl.name, "API reachable again; decisions resume");
            } else {
                warn!(cluster = %cl.name, "API unreachable; decisions paused");
            }
        }
        cl.healthy = h;
        let all = self.healthy();
        if let Some(m) = &self.opts.metrics {
            m.update(|s| s.connected = all);
        }
    }

    fn watch_failed(&mut self, c: usize, err: &watcher::Error) {
        self.set_healthy(c, false);
        warn!(cluster = %self.clusters[c].name, error = %err, "watch failed; retrying with backoff");
    }

    fn client(&self, k: &JobKey) -> Client {
        self.clusters[k.cluster].client.clone()
    }

    fn now(&self) -> Time {
        (jobs::now_ms() as f64 * self.opts.time_scale) as Time
    }

    fn to_kernel_time(&self, ms: i64) -> Time {
        (ms as f64 * self.opts.time_scale) as Time
    }

    fn kernel_wakeup(&self) -> Option<Instant> {
        let t = self.kernel.next_wakeup()?;
        let wait_ms = ((t - self.now()) as f64 / self.opts.time_scale).max(0.0);
        Some(Instant::now() + Duration::from_millis(wait_ms.min(86_400_000.0) as u64))
    }

    fn idle(&self) -> bool {
        self.built
            && self.dirty.is_empty()
            && self.pending_starts.is_empty()
            && self.pending_deletes.is_empty()
            && self.pending_preempts.is_empty()
            && self.kernel.ops().iter().all(|o| o.status.is_terminal())
            && self.jobs.keys().all(|k| {
                self.tracked.contains_key(k)
                    || self.jobs.get(k).is_some_and(|j| self.settled.contains(jobs::uid(j)))
            })
    }

    fn on_job_event(&mut self, c: usize, e: WEvent<Job>) {
        match e {
            WEvent::Init => self.clusters[c].relist_jobs = Some(HashSet::new()),
            WEvent::InitApply(j) => {
                let k = JobKey::of(c, &j);
                if let Some(seen) = self.clusters[c].relist_jobs.as_mut() {
                    seen.insert(k.clone());
                }
                self.dirty.insert(k.clone());
                self.jobs.insert(k, j);
            }
            WEvent::InitDone => {
                if let Some(seen) = self.clusters[c].relist_jobs.take() {
                    let gone: Vec<JobKey> =
                        self.jobs.keys().filter(|k| k.cluster == c && !seen.contains(*k)).cloned().collect();
                    for k in gone {
                        self.jobs.remove(&k);
                        self.dirty.insert(k);
                    }
                }
                self.clusters[c].jobs_synced = true;
            }
            WEvent::Apply(j) => {
                let k = JobKey::of(c, &j);
                self.dirty.insert(k.clone());
                self.jobs.insert(k, j);
            }
            WEvent::Delete(j) => {
                let k = JobKey::of(c, &j);
                self.jobs.remove(&k);
                self.dirty.insert(k);
            }
        }
    }

    fn on_node_event(&mut self, c: usize, e: WEvent<Node>) {
        let n = self.clusters.len();
        let kname = |node: &Node| {
            kernel_node_name(n, &self.clusters[c].name, node.metadata.name.as_deref().unwrap_or(""))
        };
        match e {
            WEvent::Init => self.clusters[c].relist_nodes = Some(HashSet::new()),
            WEvent::InitApply(node) | WEvent::Apply(node) => {
                let name = kname(&node);
                if let Some(seen) = self.clusters[c].relist_nodes.as_mut() {
                    seen.insert(name.clone());
                }
                let was = self.nodes.insert(name.clone(), (c, node));
                if self.built && was.is_none() {
                    self.node_changes.push((name, true));
                }
            }
            WEvent::Delete(node) => {
                let name = kname(&node);
                if self.nodes.remove(&name).is_some() && self.built {
                    self.node_changes.push((name, false));
                }
            }
            WEvent::InitDone => {
                // Deleted while the watch was down.
                if let Some(seen) = self.clusters[c].relist_nodes.take() {
                    let gone: Vec<String> = self
                        .nodes
                        .iter()
                        .filter(|(k, (nc, _))| *nc == c && !seen.contains(*k))
                        .map(|(k, _)| k.clone())
                        .collect();
                    for k in gone {
                        self.nodes.remove(&k);
                        if self.built {
                            self.node_changes.push((k, false));
                        }
                    }
                }
                self.clusters[c].nodes_synced = true;
            }
        }
    }

    fn add_node(&mut self, name: &str) {
        let Some((c, node)) = self.nodes.get(name) else { return };
        let c = *c;
        let Some(agent) = node_agent(&self.scenario, &self.agent_cluster, c, node) else {
            warn!(
                node = name,
                "node has no {} label naming a scenario agent of its cluster; not used",
                crate::AGENT_LABEL
            );
            return;
        };
        let (labels, taints, allocatable) = jobs::node_view(node);
        let pool =
            node.metadata.labels.as_ref().and_then(|l| l.get(crate::POOL_LABEL)).cloned().unwrap_or_default();
        let cost = self.scenario.pools.iter().find(|p| p.name == pool).map_or(0.0, |p| p.cost_per_hour);
        let real = node.metadata.name.clone().unwrap_or_default();
        let spec = NodeSpec {
            name: name.to_string(),
            agent,
            pool,
            labels,
            taints,
            allocatable,
            cost_per_hour: cost,
        };
        let now = self.now();
        match self.kernel.observe(now, Observation::NodeAdded(spec)) {
            Ok(()) => {
                self.node_names.insert(name.to_string(), (c, real));
            }
            Err(e) => warn!(node = name, error = %e, "node refused by the kernel"),
        }
    }

    /// Nodes deleted or added since the last pass.
    fn apply_node_changes(&mut self) {
        for (name, present) in std::mem::take(&mut self.node_changes) {
            let known = self.kernel.node_id(&name);
            match (present, known) {
                (true, None) => {
                    info!(node = %name, "node added");
                    self.add_node(&name);
                }
                (true, Some(node)) => self.node_restored(&name, node),
                (false, Some(node)) => self.node_lost(&name, node),
                (false, None) => {}
            }
        }
    }

    /// The first pass after both watches synced: nodes in scenario pool order, then every Job.
    fn build(&mut self) {
        let mut names: Vec<(usize, usize, String)> =
            self.nodes.iter().map(|(k, (c, n))| (*c, pool_position(&self.scenario, n), k.clone())).collect();
        names.sort();
        for (_, _, n) in names {
            self.add_node(&n);
        }
        self.node_changes.clear();
        self.built = true;
        info!(nodes = self.kernel.nodes().len(), jobs = self.jobs.len(), "state rebuilt from the cluster");
    }

    /// One decision pass: take in what changed, decide, apply.
    async fn pass(&mut self) {
        if !self.built {
            self.build();
        }
        self.apply_node_changes();
        self.take_in_changes().await;
        self.retry_pending().await;
        let start = Instant::now();
        let now = self.now();
        let mut decisions = Vec::new();
        self.kernel.decide(now, &mut decisions);
        if let Some(m) = &self.opts.metrics {
            m.observe_decision(start.elapsed());
        }
        for d in decisions {
            match d {
                Decision::Start { op, node } => self.pending_starts.push((op, node)),
                Decision::Stop { op } => self.pending_deletes.push(op),
                // A Job whose stop was asked for and whose node was lost ends stopped.
                Decision::Preempt { op }
                    if self.kernel.op(op).is_some_and(|o| o.status == Status::Stopped) =>
                {
                    self.pending_deletes.push(op)
                }
                // The kernel ended the attempt (retry or fail): suspend the Job as after a preemption.
                Decision::Preempt { op } | Decision::Timeout { op } => self.pending_preempts.push(op),
                // Live approval happens before a Job is submitted to the kernel (`live approve`),
                // so the kernel never waits for one here.
                Decision::AwaitApproval { .. } => {}
            }
        }
        self.retry_pending().await;
        self.mark_upstream_failed().await;
        if let Some(m) = &self.opts.metrics {
            let queues =
                self.kernel.queues().iter().map(|q| (q.spec.name.clone(), q.queued(), q.running())).collect();
            m.update(|s| s.queues = queues);
        }
    }

    async fn retry_pending(&mut self) {
        // Preemptions first: they make the room the starts were decided into.
        let preempts = std::mem::take(&mut self.pending_preempts);
        let mut failed = false;
        for op in preempts {
            if failed || !self.preempt(op).await {
                failed = true;
                self.pending_preempts.push(op);
            }
        }
        let starts = std::mem::take(&mut self.pending_starts);
        for (op, node) in starts {
            if failed || !self.start(op, node).await {
                failed = true;
                self.pending_starts.push((op, node));
            }
        }
        let deletes = std::mem::take(&mut self.pending_deletes);
        for op in deletes {
            if failed || !self.delete(op).await {
                failed = true;
                self.pending_deletes.push(op);
            }
        }
    }

    /// Sorted: creation time, then trace order, then namespace and name.
    fn sort_key(&self, k: &JobKey) -> (i64, u64, JobKey) {
        match self.jobs.get(k) {
            Some(j) => (
                jobs::created_ms(j),
                jobs::annotation(j, ann::ORDER).and_then(|v| v.trim().parse().ok()).unwrap_or(u64::MAX),
                k.clone(),
            ),
            None => (i64::MIN, 0, k.clone()),
        }
    }

    async fn take_in_changes(&mut self) {
        loop {
            let mut keys: Vec<JobKey> = std::mem::take(&mut self.dirty).into_iter().collect();
            keys.sort_by_cached_key(|k| self.sort_key(k));
            let submitted = self.job_of.len();
            for k in keys {
                self.take_in(k).await;
            }
            // Jobs put back because an upstream Job was not taken in yet get another go at
            // once when this round took in something (an upstream just approved, say).
            if self.dirty.is_empty() || self.job_of.len() == submitted {
                break;
            }
        }
    }

    async fn take_in(&mut self, k: JobKey) {
        let now = self.now();
        let job = self.jobs.get(&k).cloned();
        // Gone, or replaced by a new Job of the same name.
        if let Some(t) = self.tracked.get(&k) {
            if job.as_ref().is_none_or(|j| jobs::uid(j) != t.uid) {
                let op = t.op;
                self.tracked.remove(&k);
                self.pending_starts.retain(|(o, _)| *o != op);
                self.pending_deletes.retain(|o| *o != op);
                self.pending_preempts.retain(|o| *o != op);
                match self.kernel.op(op).map(|o| o.status) {
                    Some(Status::Running | Status::Scheduled) => {
                        let _ = self.kernel.observe(now, Observation::AttemptStopped { op });
                    }
                    Some(s) if !s.is_terminal() => {
                        let _ = self.kernel.observe(now, Observation::StopRequested { op });
                    }
                    _ => {}
                }
                info!(job = %k, "Job deleted");
            }
        }
        let Some(job) = job else { return };
        if let Some(t) = self.tracked.get_mut(&k) {
            let op = t.op;
            let status = self.kernel.op(op).map(|o| o.status);
            if jobs::annotation(&job, ann::STOP).is_some()
                && !t.stop_requested
                && !status.is_some_and(|s| s.is_terminal())
            {
                t.stop_requested = true;
                info!(job = %k, "stop requested");
                let _ = self.kernel.observe(now, Observation::StopRequested { op });
                if self.kernel.op(op).is_some_and(|o| o.status == Status::Stopped) {
                    self.pending_deletes.push(op);
                }
                return;
            }
            if status == Some(Status::Running) {
                match jobs::finished(&job) {
                    Some(Ok(())) => {
                        let _ = self.kernel.observe(now, Observation::AttemptSucceeded { op });
                        self.summary.succeeded += 1;
                    }
                    Some(Err(reason)) => {
                        let _ = self.kernel.observe(now, Observation::AttemptFailed { op, reason });
                        self.summary.failed += 1;
                    }
                    None => {}
                }
            }
            return;
        }
        if self.settled.contains(jobs::uid(&job)) {
            return;
        }
        self.submit(k, job, now).await;
    }

    /// The namespaces the agents of cluster `c` manage.
    fn manages_namespace(&self, c: usize, ns: &str) -> bool {
        self.scenario
            .agents
            .iter()
            .zip(&self.agent_cluster)
            .any(|(a, x)| *x == Some(c) && a.namespace.as_deref() == Some(ns))
    }

    async fn submit(&mut self, k: JobKey, job: Job, now: Time) {
        let uid = jobs::uid(&job).to_string();
        if jobs::annotation(&job, ann::REFUSED).is_some() {
            self.settled.insert(uid);
            return;
        }
        let has_queue = jobs::labels(&job).contains_key(ann::QUEUE_LABEL);
        if !has_queue && !self.manages_namespace(k.cluster, &k.ns) {
            self.settled.insert(uid);
            return;
        }
        let admitted_node = jobs::annotation(&job, ann::ADMITTED_NODE).map(str::to_string);
        if admitted_node.is_none() && (!jobs::suspended(&job) || jobs::finished(&job).is_some()) {
            debug!(job = %k, "Job runs outside schedlab (created unsuspended); ignored");
            self.settled.insert(uid);
            return;
        }
        let req = match ann::parse(jobs::labels(&job), jobs::annotations(&job)) {
            Ok(r) => r,
            Err(reason) => return self.refuse(&k, &job, reason).await,
        };
        // A Job asked to stop is submitted and stopped at once (and deleted), approved or not.
        if admitted_node.is_none() && jobs::annotation(&job, ann::STOP).is_none() {
            match req.approval {
                ann::Approval::Pending => {
                    // Not submitted until approved: what depends on it waits too.
                    debug!(job = %k, "awaiting approval");
                    return;
                }
                ann::Approval::Rejected => return self.reject(k, job, now).await,
                ann::Approval::NotRequired | ann::Approval::Approved => {}
            }
        }
        let queue = match &req.queue {
            None => QueueRef::Default,
            Some(name) => match self.kernel.queue_id(name) {
                Some(q) => QueueRef::Id(q),
                None => QueueRef::Unknown(name.clone()),
            },
        };
        let project = req.project.as_deref().map(|name| self.project(name));
        let workflow = req.workflow.as_deref().map(|name| self.workflow(name));
        let mut depends_on = Vec::new();
        for dep in &req.depends_on {
            // `name` (same namespace) or `namespace/name`, in the same cluster.
            let dk = match dep.split_once('/') {
                Some((ns, name)) => JobKey { cluster: k.cluster, ns: ns.to_string(), name: name.to_string() },
                None => JobKey { cluster: k.cluster, ns: k.ns.clone(), name: dep.clone() },
            };
            match self.tracked.get(&dk) {
                Some(t) => depends_on.push(t.op),
                None if self.jobs.contains_key(&dk)
                    && !self.jobs.get(&dk).is_some_and(|j| self.settled.contains(jobs::uid(j))) =>
                {
                    // Not taken in yet (or awaiting approval): try again next pass.
                    self.dirty.insert(k);
                    return;
                }
                None => {
                    let reason = format!(
                        "annotation {}: Job `{dep}` does not exist in namespace `{}` (or was refused)",
                        ann::DEPENDS_ON,
                        k.ns
                    );
                    return self.refuse(&k, &job, reason).await;
                }
            }
        }
        let spec = OpSpec {
            project,
            priority: req.priority,
            workflow,
            depends_on: depends_on.clone(),
            constraints: jobs::constraints(&job),
            estimate: req.duration_ms.map(|d| (d as f64 * self.opts.time_scale) as Time),
            // A Job already marked a cache hit (by an earlier driver) hits again whatever the
            // TTL: its source's success is what it was marked for.
            cache: req.cache.map(|(key, ttl)| CacheSpec {
                key,
                ttl: if jobs::annotation(&job, ann::CACHE_HIT).is_some() {
                    None
                } else {
                    ttl.map(|t| (t as f64 * self.opts.time_scale) as Time)
                },
            }),
            ..OpSpec::new(queue, jobs::requests(&job))
        };
        let submitted_at = self.to_kernel_time(jobs::created_ms(&job)).min(now);
        let op = self.kernel.submit(submitted_at.max(0), spec);
        let marked = jobs::annotation(&job, ann::UPSTREAM_FAILED).is_some()
            || jobs::annotation(&job, ann::CACHE_HIT).is_some();
        self.track(&k, &uid, op, depends_on, marked);
        let status = self.kernel.op(op).map(|o| o.status);
        if status == Some(Status::Rejected) {
            let reason = self.kernel.reason(op).unwrap_or("rejected").to_string();
            self.tracked.remove(&k);
            self.job_of[op.index()].marked = true;
            return self.refuse(&k, &job, reason).await;
        }
        // The queue's agent must manage the Job's namespace, in the Job's cluster.
        if let Some(q) = self.kernel.op(op).and_then(|o| o.queue) {
            let qs = &self.kernel.queues()[q.index()].spec;
            let agent = self.kernel.agent(qs.agent);
            let mut reason = None;
            if let Some(ns) = agent.namespace.as_deref() {
                if ns != k.ns {
                    reason = Some(format!(
                        "queue `{}` belongs to agent `{}`, which manages namespace `{ns}`; this Job is in namespace `{}`",
                        qs.name, agent.name, k.ns
                    ));
                }
            }
            let home = self.agent_cluster.get(qs.agent.index()).copied().flatten();
            if reason.is_none() && home != Some(k.cluster) {
                reason = Some(format!(
                    "queue `{}` belongs to agent `{}`, which runs on cluster `{}`; this Job is in cluster `{}`",
                    qs.name,
                    agent.name,
                    home.map_or("(none)", |h| self.clusters[h].name.as_str()),
                    self.clusters[k.cluster].name
                ));
            }
            if let Some(reason) = reason {
                let _ = self.kernel.observe(now, Observation::StopRequested { op });
                self.tracked.remove(&k);
                self.job_of[op.index()].marked = true;
                return self.refuse(&k, &job, reason).await;
            }
        }
        // Admitted by an earlier driver to a node that has since been deleted (while no
        // driver watched): it cannot run there; it goes back to its queue.
        let admitted_node = match admitted_node {
            Some(node) if jobs::finished(&job).is_none() => {
                let kname = kernel_node_name(self.clusters.len(), &self.clusters[k.cluster].name, &node);
                if self.nodes.contains_key(&kname) {
                    Some(node)
                } else {
                    warn!(job = %k, node = %node, "admitted to a node that is gone: queued again");
                    self.pending_preempts.push(op);
                    None
                }
            }
            other => other,
        };
        // Admitted by an earlier driver: adopt it as it stands.
        if let Some(node) = admitted_node {
            let since = jobs::annotation(&job, ann::ADMITTED_AT)
                .and_then(jobs::parse_time_ms)
                .unwrap_or_else(jobs::now_ms);
            let since = self.to_kernel_time(since).min(now);
            if let Some(n) = admission_seq(&job) {
                self.next_admission = self.next_admission.max(n + 1);
            }
            let kname = kernel_node_name(self.clusters.len(), &self.clusters[k.cluster].name, &node);
            let adopted = match self.kernel.node_id(&kname) {
                Some(node) => self
                    .kernel
                    .observe(since, Observation::AttemptAdopted { op, node, since })
                    .map_err(|e| e.0),
                None => Err(format!("node `{node}` is not in the cluster")),
            };
            match adopted {
                Ok(()) => {
                    self.summary.adopted += 1;
                    match jobs::finished(&job) {
                        Some(Ok(())) => {
                            let at = jobs::finished_at_ms(&job)
                                .map(|t| self.to_kernel_time(t))
                                .unwrap_or(now)
                                .clamp(since, now);
                            let _ = self.kernel.observe(at, Observation::AttemptSucceeded { op });
                        }
                        Some(Err(reason)) => {
                            let at = jobs::finished_at_ms(&job)
                                .map(|t| self.to_kernel_time(t))
                                .unwrap_or(now)
                                .clamp(since, now);
                            let _ = self.kernel.observe(at, Observation::AttemptFailed { op, reason });
                        }
                        None => {}
                    }
                }
                Err(e) => {
                    // Never admit it a second time: leave it to whoever runs it.
                    warn!(job = %k, error = %e, "cannot adopt an admitted Job; leaving it alone");
                    let _ = self.kernel.observe(now, Observation::StopRequested { op });
                }
            }
        }
        if jobs::annotation(&job, ann::STOP).is_some() {
            if let Some(t) = self.tracked.get_mut(&k) {
                t.stop_requested = true;
            }
            let _ = self.kernel.observe(now, Observation::StopRequested { op });
            if self.kernel.op(op).is_some_and(|o| o.status == Status::Stopped) {
                self.pending_deletes.push(op);
            }
        }
    }

    fn project(&mut self, name: &str) -> schedlab_policies::ProjectId {
        match self.kernel.project_id(name) {
            Some(p) => p,
            None => self
                .kernel
                .add_project(ProjectSpec { name: name.into(), default_queue: None, allowed_queues: None })
                .expect("the name is new"),
        }
    }

    fn workflow(&mut self, name: &str) -> schedlab_policies::WorkflowId {
        match self.kernel.workflow_id(name) {
            Some(w) => w,
            None => self
                .kernel
                .add_workflow(WorkflowSpec { name: name.into(), concurrency: None, parent: None })
                .expect("the name is new"),
        }
    }

    fn track(&mut self, k: &JobKey, uid: &str, op: OpId, depends_on: Vec<OpId>, marked: bool) {
        self.job_of.push(OpInfo { key: k.clone(), uid: uid.to_string(), depends_on, marked });
        debug_assert_eq!(self.job_of.len(), op.index() + 1);
        self.tracked.insert(k.clone(), Tracked { op, uid: uid.to_string(), stop_requested: false });
    }

    /// A Job its approver rejected: the kernel rejects it too (there is no approval
    /// observation in the kernel, so it is submitted with no queue it could resolve), which
    /// ends whatever depends on it `upstream_failed`. Says why on the Job, once.
    async fn reject(&mut self, k: JobKey, job: Job, now: Time) {
        let uid = jobs::uid(&job).to_string();
        let spec = OpSpec::new(QueueRef::Unknown("(rejected by its approver)".into()), jobs::requests(&job));
        let submitted_at = self.to_kernel_time(jobs::created_ms(&job)).min(now);
        let op = self.kernel.submit(submitted_at.max(0), spec);
        self.track(&k, &uid, op, Vec::new(), true);
        if jobs::annotation(&job, ann::REJECTED).is_some() {
            return;
        }
        info!(job = %k, "rejected by its approver");
        self.summary.rejected += 1;
        let reason = "rejected by its approver (schedlab live approve --reject)".to_string();
        self.annotate_and_tell(&k, &job, ann::REJECTED, "Rejected", reason).await;
    }

    /// Operations the kernel ended `upstream_failed` since the last look: says so on their
    /// Jobs (which stay suspended), naming the upstream Job that did not succeed. Likewise
    /// cache hits, naming the Job whose result they reuse.
    async fn mark_upstream_failed(&mut self) {
        let mut found = Vec::new();
        let mut hits = Vec::new();
        let mut first_open = None;
        for i in self.unmarked_from..self.job_of.len() {
            if self.job_of[i].marked {
                continue;
            }
            let op = OpId(i as u32);
            let o = self.kernel.op(op);
            let source = o.filter(|o| o.attempts == 0).and_then(|o| o.extra.as_ref()?.cache_source);
            match o.map(|o| o.status) {
                Some(Status::UpstreamFailed) => found.push(op),
                Some(Status::Succeeded) if source.is_some() => {
                    hits.push((op, source.expect("checked")));
                }
                Some(s) if s.is_terminal() => self.job_of[i].marked = true,
                _ => {
                    first_open.get_or_insert(i);
                }
            }
        }
        self.unmarked_from = first_open.unwrap_or(self.job_of.len());
        for op in found {
            let info = &self.job_of[op.index()];
            let k = info.key.clone();
            let upstream = info
                .depends_on
                .iter()
                .find_map(|d| {
                    let s = self.kernel.op(*d)?.status;
                    (s != Status::Succeeded && s.is_terminal())
                        .then(|| (self.job_of[d.index()].key.clone(), s))
                })
                .map(|(dk, s)| format!("upstream Job {dk} ended {s}"))
                .unwrap_or_else(|| "an upstream Job did not succeed".into());
            self.job_of[op.index()].marked = true;
            self.summary.upstream_failed += 1;
            let Some(job) = self.jobs.get(&k).cloned() else { continue };
            if jobs::uid(&job) != self.job_of[op.index()].uid {
                continue;
            }
            info!(job = %k, %upstream, "upstream failed");
            self.annotate_and_tell(&k, &job, ann::UPSTREAM_FAILED, "UpstreamFailed", upstream).await;
        }
        for (op, source) in hits {
            self.job_of[op.index()].marked = true;
            self.summary.cache_hits += 1;
            let k = self.job_of[op.index()].key.clone();
            let from = self.job_of[source.index()].key.to_string();
            let Some(job) = self.jobs.get(&k).cloned() else { continue };
            if jobs::uid(&job) != self.job_of[op.index()].uid {
                continue;
            }
            info!(job = %k, source = %from, "cache hit");
            self.annotate_and_tell(&k, &job, ann::CACHE_HIT, "CacheHit", from).await;
        }
    }

    /// Marks a Job refused (annotation) and says why (a Warning event).
    async fn refuse(&mut self, k: &JobKey, job: &Job, reason: String) {
        warn!(job = %k, %reason, "Job refused");
        self.settled.insert(jobs::uid(job).to_string());
        self.summary.refusals += 1;
        if let Some(m) = &self.opts.metrics {
            m.update(|s| s.refusals += 1);
        }
        self.annotate_and_tell(k, job, ann::REFUSED, "Refused", reason).await;
    }

    /// Writes `annotation: message` on a Job and records a Warning event `reason: message`.
    async fn annotate_and_tell(
        &mut self,
        k: &JobKey,
        job: &Job,
        annotation: &str,
        reason: &str,
        message: String,
    ) {
        let api: Api<Job> = Api::namespaced(self.client(k), &k.ns);
        let patch = json!({"metadata": {"annotations": {annotation: message}}});
        let (pp, mp) = (PatchParams::default(), Patch::Merge(&patch));
        let _ = self.retrying("annotate a Job", || api.patch(&k.name, &pp, &mp)).await;
        let now = k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(k8s_openapi::chrono::Utc::now());
        let ev = Event {
            metadata: kube::api::ObjectMeta {
                generate_name: Some(format!("{}.", k.name)),
                namespace: Some(k.ns.clone()),
                ..Default::default()
            },
            involved_object: ObjectReference {
                api_version: Some("batch/v1".into()),
                kind: Some("Job".into()),
                name: Some(k.name.clone()),
                namespace: Some(k.ns.clone()),
                uid: job.metadata.uid.clone(),
                ..Default::default()
            },
            reason: Some(reason.into()),
            message: Some(message),
            type_: Some("Warning".into()),
            count: Some(1),
            first_timestamp: Some(now.clone()),
            last_timestamp: Some(now),
            source: Some(k8s_openapi::api::core::v1::EventSource {
                component: Some("schedlab".into()),
                host: None,
            }),
            reporting_component: Some("schedlab".into()),
            ..Default::default()
        };
        let events: Api<Event> = Api::namespaced(self.client(k), &k.ns);
        let post = PostParams::default();
        let _ = self.retrying("record an event", || events.create(&post, &ev)).await;
    }

    /// Runs a request, retrying server errors, timeouts and conflicts with backoff (up to
    /// about 3 s). Returns the last error when it gives up; 404 is returned at once.
    async fn retrying<T, F, Fut>(&mut self, what: &str, mut f: F) -> Result<T, kube::Error>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, kube::Error>>,
    {
        let mut delay = Duration::from_millis(5);
        let mut tries = 0;
        loop {
            match f().await {
                Ok(v) => return Ok(v),
                Err(kube::Error::Api(e))
                    if e.code == 404 || (e.code < 500 && e.code != 409 && e.code != 429) =>
                {
                    return Err(kube::Error::Api(e))
                }
                Err(e) => {
                    tries += 1;
                    if let Some(m) = &self.opts.metrics {
                        m.update(|s| s.api_retries += 1);
                    }
                    if tries >= 10 {
                        warn!(what, error = %e, "giving up for now");
                        return Err(e);
                    }
                    debug!(what, error = %e, "retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_millis(500));
                }
            }
        }
    }

    /// Writes an admission. True when done (or moot); false to retry later.
    async fn start(&mut self, op: OpId, node: NodeId) -> bool {
        let Some(info) = self.job_of.get(op.index()) else { return true };
        let (k, uid) = (info.key.clone(), info.uid.clone());
        if self.kernel.op(op).map(|o| o.status) != Some(Status::Scheduled) {
            return true;
        }
        let now = self.now();
        if self.jobs.get(&k).is_none_or(|j| jobs::uid(j) != uid) {
            let _ = self.kernel.observe(now, Observation::AttemptStopped { op });
            return true;
        }
        let kname = &self.kernel.nodes()[node.index()].spec.name;
        let node_name = match self.node_names.get(kname) {
            Some((c, real)) if *c == k.cluster => real.clone(),
            _ => {
                // The kernel keeps an agent's operations on its nodes, in its cluster.
                warn!(job = %k, node = %kname, "the chosen node is not in the Job's cluster; not admitted");
                let _ = self.kernel.observe(now, Observation::AttemptStopped { op });
                return true;
            }
        };
        let seq = self.next_admission;
        let patch = json!({
            "metadata": {
                "uid": uid,
                "annotations": {
                    ann::ADMITTED_NODE: node_name,
                    ann::ADMITTED_AT: jobs::fmt_time_ms(jobs::now_ms()),
                    ann::ADMISSION: seq.to_string(),
                }
            },
            "spec": {"suspend": false, "template": {"spec": {"nodeSelector": {jobs::HOSTNAME: node_name}}}}
        });
        let api: Api<Job> = Api::namespaced(self.client(&k), &k.ns);
        let (pp, mp) = (PatchParams::default(), Patch::Merge(&patch));
        let result = self.retrying("admit", || api.patch(&k.name, &pp, &mp)).await;
        let now = self.now();
        match result {
            Ok(_) => {
                self.set_healthy(k.cluster, true);
                self.next_admission += 1;
                let _ = self.kernel.observe(now, Observation::AttemptStarted { op });
                self.summary.admissions += 1;
                if let Some(m) = &self.opts.metrics {
                    m.update(|s| s.admissions += 1);
                }
                info!(job = %k, node = %node_name, admission = seq, "admitted");
                true
            }
            Err(kube::Error::Api(e)) if e.code == 404 => {
                let _ = self.kernel.observe(now, Observation::AttemptStopped { op });
                true
            }
            Err(e) => {
                warn!(job = %k, error = %e, "admission not written; will retry");
                false
            }
        }
    }

    /// Deletes a stopped operation's Job. True when done.
    async fn delete(&mut self, op: OpId) -> bool {
        let Some(info) = self.job_of.get(op.index()) else { return true };
        let k = info.key.clone();
        let api: Api<Job> = Api::namespaced(self.client(&k), &k.ns);
        let dp = DeleteParams::background();
        let result = self.retrying("stop", || api.delete(&k.name, &dp)).await;
        match result {
            Ok(_) | Err(kube::Error::Api(kube::core::ErrorResponse { code: 404, .. })) => {
                let now = self.now();
                if self.kernel.op(op).is_some_and(|o| matches!(o.status, Status::Running | Status::Scheduled))
                {
                    let _ = self.kernel.observe(now, Observation::AttemptStopped { op });
                }
                self.summary_stop();
                info!(job = %k, "stopped (Job deleted)");
                true
            }
            Err(e) => {
                warn!(job = %k, error = %e, "stop not written; will retry");
                false
            }
        }
    }

    fn summary_stop(&mut self) {
        if let Some(m) = &self.opts.metrics {
            m.update(|s| s.stops += 1);
        }
    }

    /// Suspends a preempted Job again and clears its admission. True when done (or moot).
    async fn preempt(&mut self, op: OpId) -> bool {
        let Some(info) = self.job_of.get(op.index()) else { return true };
        let k = info.key.clone();
        let patch = json!({
            "metadata": {"annotations": {ann::ADMITTED_NODE: null, ann::ADMITTED_AT: null, ann::ADMISSION: null}},
            "spec": {"suspend": true, "template": {"spec": {"nodeSelector": {jobs::HOSTNAME: null}}}}
        });
        let api: Api<Job> = Api::namespaced(self.client(&k), &k.ns);
        let (pp, mp) = (PatchParams::default(), Patch::Merge(&patch));
        match self.retrying("preempt", || api.patch(&k.name, &pp, &mp)).await {
            Ok(_) | Err(kube::Error::Api(kube::core::ErrorResponse { code: 404, .. })) => {
                self.summary.preemptions += 1;
                if let Some(m) = &self.opts.metrics {
                    m.update(|s| s.preemptions += 1);
                }
                info!(job = %k, "preempted (suspended)");
                true
            }
            Err(e) => {
                warn!(job = %k, error = %e, "preemption not written; will retry");
                false
            }
        }
    }

    /// A node was deleted while the driver runs: the kernel takes its capacity away and
    /// preempts what ran there (the Jobs are suspended and queued again).
    fn node_lost(&mut self, name: &str, node: NodeId) {
        let now = self.now();
        match self.kernel.observe(now, Observation::NodeLost { node }) {
            Ok(()) => {
                self.summary.nodes_lost += 1;
                warn!(node = name, "node deleted: what ran there goes back to its queue");
            }
            Err(e) => debug!(node = name, error = %e, "node deletion not taken"),
        }
    }

    /// A deleted node of that name is back (with the capacity it had: the kernel keeps the
    /// node's first description).
    fn node_restored(&mut self, name: &str, node: NodeId) {
        let now = self.now();
        match self.kernel.observe(now, Observation::NodeRestored { node }) {
            Ok(()) => info!(node = name, "node back"),
            Err(e) => debug!(node = name, error = %e, "node not restored"),
        }
    }
}

/// Watch retry delays: 50 ms doubling to 5 s, reset by any success (client-go's 800 ms to
/// 30 s would stall a driver for half a minute after a few failed requests).
struct WatchBackoff(Duration);

impl WatchBackoff {
    fn new() -> WatchBackoff {
        WatchBackoff(Duration::from_millis(50))
    }
}

impl Iterator for WatchBackoff {
    type Item = Duration;
    fn next(&mut self) -> Option<Duration> {
        let d = self.0;
        self.0 = (self.0 * 2).min(Duration::from_secs(5));
        Some(d)
    }
}

impl kube::runtime::utils::Backoff for WatchBackoff {
    fn reset(&mut self) {
        self.0 = Duration::from_millis(50);
    }
}

/// The admission sequence number recorded on a Job.
fn admission_seq(job: &Job) -> Option<u64> {
    jobs::annotation(job, ann::ADMISSION).and_then(|v| v.trim().parse().ok())
}
