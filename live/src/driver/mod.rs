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
use schedlab_policies::model::{NodeSpec, OpSpec, ProjectSpec, QueueRef, Status, WorkflowSpec};
use schedlab_policies::{Decision, Kernel, KernelConfig, NodeId, Observation, OpId, Time};
use schedlab_sim::Scenario;
use serde_json::json;
use tracing::{debug, info, warn};

use crate::annotations as ann;
use crate::metrics::Metrics;
use jobs::JobKey;

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
}

/// Builds a kernel from a scenario's policies, agents, queues, projects and workflows, but
/// none of its nodes: in live mode nodes come from the cluster.
pub fn kernel_without_nodes(s: &Scenario) -> Result<Kernel, String> {
    let config = KernelConfig::by_name(&s.dispatch, &s.placement)
        .and_then(|c| c.with_preemption(&s.preemption, s.min_runtime))
        .map(|c| match s.preemption_limit {
            Some((count, window)) => c.with_preemption_limit(count, window),
            None => c,
        })
        .map(|c| c.with_aging(s.aging_per_hour))
        .and_then(|c| c.with_backfill(&s.backfill))?;
    let mut k = Kernel::new(config);
    for a in &s.agents {
        k.add_agent(a.clone())?;
    }
    for q in &s.queues {
        k.add_queue(q.clone())?;
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

struct Driver {
    client: Client,
    scenario: Scenario,
    opts: Options,
    kernel: Kernel,
    jobs: HashMap<JobKey, Job>,
    nodes: HashMap<String, Node>,
    /// Jobs the kernel knows, and the Job of each operation.
    tracked: HashMap<JobKey, Tracked>,
    job_of: Vec<(JobKey, String)>,
    /// Jobs refused or ignored, by uid (never looked at again).
    settled: HashSet<String>,
    /// Jobs that changed since the last pass.
    dirty: BTreeSet<JobKey>,
    /// Starts decided but not yet written (retried until written or moot).
    pending_starts: Vec<(OpId, NodeId)>,
    pending_deletes: Vec<OpId>,
    next_admission: u64,
    jobs_synced: bool,
    nodes_synced: bool,
    built: bool,
    healthy: bool,
    summary: Summary,
    /// Seen Init: names listed since, to drop what disappeared while the watch was down.
    relist_jobs: Option<HashSet<JobKey>>,
}

/// Runs the driver until `shutdown` resolves (or, with `until_idle`, until every Job is done).
pub async fn run(
    client: Client,
    scenario: Scenario,
    opts: Options,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<Summary, String> {
    let kernel = kernel_without_nodes(&scenario)?;
    let mut d = Driver {
        client: client.clone(),
        scenario,
        opts,
        kernel,
        jobs: HashMap::new(),
        nodes: HashMap::new(),
        tracked: HashMap::new(),
        job_of: Vec::new(),
        settled: HashSet::new(),
        dirty: BTreeSet::new(),
        pending_starts: Vec::new(),
        pending_deletes: Vec::new(),
        next_admission: 1,
        jobs_synced: false,
        nodes_synced: false,
        built: false,
        healthy: true,
        summary: Summary::default(),
        relist_jobs: None,
    };
    let wc = watcher::Config::default();
    let mut job_events =
        watcher(Api::<Job>::all(client.clone()), wc.clone()).backoff(WatchBackoff::new()).boxed();
    let mut node_events = watcher(Api::<Node>::all(client), wc).backoff(WatchBackoff::new()).boxed();
    tokio::pin!(shutdown);
    let mut decide_at: Option<Instant> = None;
    let mut first_dirty: Option<Instant> = None;
    info!(scenario = %d.scenario.name, "live driver started");
    loop {
        let wake = d.kernel_wakeup();
        let retry = !d.pending_starts.is_empty() || !d.pending_deletes.is_empty() || !d.healthy;
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
            e = job_events.next() => match e {
                Some(Ok(e)) => { d.set_healthy(true); d.on_job_event(e); event = true; }
                Some(Err(err)) => { d.set_healthy(false); warn!(error = %err, "job watch failed; retrying with backoff"); }
                None => return Err("the job watch ended".into()),
            },
            e = node_events.next() => match e {
                Some(Ok(e)) => { d.set_healthy(true); d.on_node_event(e); event = true; }
                Some(Err(err)) => { d.set_healthy(false); warn!(error = %err, "node watch failed; retrying with backoff"); }
                None => return Err("the node watch ended".into()),
            },
            _ = sleep => {
                decide_at = None;
                first_dirty = None;
                if !d.healthy {
                    // A failed watch says the API was unreachable; a cheap read says when it
                    // is back (the watcher itself resumes silently).
                    let probe = Api::<Node>::all(d.client.clone()).list(&kube::api::ListParams::default().limit(1)).await;
                    d.set_healthy(probe.is_ok());
                }
                if d.healthy && d.jobs_synced && d.nodes_synced {
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
    fn set_healthy(&mut self, h: bool) {
        if self.healthy != h {
            if h {
                info!("API reachable again; decisions resume");
            } else {
                warn!("API unreachable; decisions paused");
            }
        }
        self.healthy = h;
        if let Some(m) = &self.opts.metrics {
            m.update(|s| s.connected = h);
        }
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
            && self.kernel.ops().iter().all(|o| o.status.is_terminal())
            && self.jobs.keys().all(|k| {
                self.tracked.contains_key(k)
                    || self.jobs.get(k).is_some_and(|j| self.settled.contains(jobs::uid(j)))
            })
    }

    fn on_job_event(&mut self, e: WEvent<Job>) {
        match e {
            WEvent::Init => self.relist_jobs = Some(HashSet::new()),
            WEvent::InitApply(j) => {
                let k = jobs::key(&j);
                if let Some(seen) = self.relist_jobs.as_mut() {
                    seen.insert(k.clone());
                }
                self.dirty.insert(k.clone());
                self.jobs.insert(k, j);
            }
            WEvent::InitDone => {
                if let Some(seen) = self.relist_jobs.take() {
                    let gone: Vec<JobKey> =
                        self.jobs.keys().filter(|k| !seen.contains(*k)).cloned().collect();
                    for k in gone {
                        self.jobs.remove(&k);
                        self.dirty.insert(k);
                    }
                }
                self.jobs_synced = true;
            }
            WEvent::Apply(j) => {
                let k = jobs::key(&j);
                self.dirty.insert(k.clone());
                self.jobs.insert(k, j);
            }
            WEvent::Delete(j) => {
                let k = jobs::key(&j);
                self.jobs.remove(&k);
                self.dirty.insert(k);
            }
        }
    }

    fn on_node_event(&mut self, e: WEvent<Node>) {
        match e {
            WEvent::Init | WEvent::Delete(_) => {}
            WEvent::InitApply(n) | WEvent::Apply(n) => {
                let name = n.metadata.name.clone().unwrap_or_default();
                self.nodes.insert(name.clone(), n);
                if self.built && self.kernel.node_id(&name).is_none() {
                    self.add_node(&name);
                }
            }
            WEvent::InitDone => self.nodes_synced = true,
        }
    }

    /// The agent a node belongs to: its agent label, else its pool's agent, else the only
    /// agent.
    fn node_agent(&self, node: &Node) -> Option<schedlab_policies::AgentId> {
        let labels = node.metadata.labels.as_ref();
        if let Some(a) = labels.and_then(|l| l.get(crate::AGENT_LABEL)) {
            return self.kernel.agent_id(a);
        }
        if let Some(p) = labels.and_then(|l| l.get(crate::POOL_LABEL)) {
            if let Some(pool) = self.scenario.pools.iter().find(|x| &x.name == p) {
                return Some(pool.agent);
            }
        }
        (self.scenario.agents.len() == 1).then_some(schedlab_policies::AgentId(0))
    }

    fn add_node(&mut self, name: &str) {
        let Some(node) = self.nodes.get(name) else { return };
        let Some(agent) = self.node_agent(node) else {
            warn!(node = name, "node has no {} label naming a scenario agent; not used", crate::AGENT_LABEL);
            return;
        };
        let (labels, taints, allocatable) = jobs::node_view(node);
        let pool =
            node.metadata.labels.as_ref().and_then(|l| l.get(crate::POOL_LABEL)).cloned().unwrap_or_default();
        let cost = self.scenario.pools.iter().find(|p| p.name == pool).map_or(0.0, |p| p.cost_per_hour);
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
        if let Err(e) = self.kernel.observe(now, Observation::NodeAdded(spec)) {
            warn!(node = name, error = %e, "node refused by the kernel");
        }
    }

    /// The first pass after both watches synced: nodes in scenario pool order, then every Job.
    fn build(&mut self) {
        let pool_pos = |n: &Node| {
            let pool = n.metadata.labels.as_ref().and_then(|l| l.get(crate::POOL_LABEL));
            pool.and_then(|p| self.scenario.pools.iter().position(|x| &x.name == p)).unwrap_or(usize::MAX)
        };
        let mut names: Vec<(usize, String)> =
            self.nodes.iter().map(|(k, n)| (pool_pos(n), k.clone())).collect();
        names.sort();
        for (_, n) in names {
            self.add_node(&n);
        }
        self.built = true;
        info!(nodes = self.kernel.nodes().len(), jobs = self.jobs.len(), "state rebuilt from the cluster");
    }

    /// One decision pass: take in what changed, decide, apply.
    async fn pass(&mut self) {
        if !self.built {
            self.build();
        }
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
                Decision::Preempt { op } => self.preempt(op).await,
            }
        }
        self.retry_pending().await;
        if let Some(m) = &self.opts.metrics {
            let queues =
                self.kernel.queues().iter().map(|q| (q.spec.name.clone(), q.queued(), q.running())).collect();
            m.update(|s| s.queues = queues);
        }
    }

    async fn retry_pending(&mut self) {
        let starts = std::mem::take(&mut self.pending_starts);
        let mut failed = false;
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
        let mut keys: Vec<JobKey> = std::mem::take(&mut self.dirty).into_iter().collect();
        keys.sort_by_cached_key(|k| self.sort_key(k));
        for k in keys {
            self.take_in(k).await;
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
                match self.kernel.op(op).map(|o| o.status) {
                    Some(Status::Running | Status::Scheduled) => {
                        let _ = self.kernel.observe(now, Observation::AttemptStopped { op });
                    }
                    Some(s) if !s.is_terminal() => {
                        let _ = self.kernel.observe(now, Observation::StopRequested { op });
                    }
                    _ => {}
                }
                info!(job = %format!("{}/{}", k.0, k.1), "Job deleted");
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
                info!(job = %format!("{}/{}", k.0, k.1), "stop requested");
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

    async fn submit(&mut self, k: JobKey, job: Job, now: Time) {
        let uid = jobs::uid(&job).to_string();
        if jobs::annotation(&job, ann::REFUSED).is_some() {
            self.settled.insert(uid);
            return;
        }
        let agent_ns = self.scenario.agents.iter().any(|a| a.namespace.as_deref() == Some(k.0.as_str()));
        let has_queue = jobs::labels(&job).contains_key(ann::QUEUE_LABEL);
        if !has_queue && !agent_ns {
            self.settled.insert(uid);
            return;
        }
        let admitted_node = jobs::annotation(&job, ann::ADMITTED_NODE).map(str::to_string);
        if admitted_node.is_none() && (!jobs::suspended(&job) || jobs::finished(&job).is_some()) {
            debug!(job = %format!("{}/{}", k.0, k.1), "Job runs outside schedlab (created unsuspended); ignored");
            self.settled.insert(uid);
            return;
        }
        let req = match ann::parse(jobs::labels(&job), jobs::annotations(&job)) {
            Ok(r) => r,
            Err(reason) => return self.refuse(&k, &job, reason).await,
        };
        let queue = match &req.queue {
            None => QueueRef::Default,
            Some(name) => match self.kernel.queue_id(name) {
                Some(q) => QueueRef::Id(q),
                None => QueueRef::Unknown(name.clone()),
            },
        };
        let project = req.project.as_deref().map(|name| {
            self.kernel.project_id(name).unwrap_or_else(|| {
                self.kernel
                    .add_project(ProjectSpec { name: name.into(), default_queue: None, allowed_queues: None })
                    .expect("the name is new")
            })
        });
        let workflow = req.workflow.as_deref().map(|name| {
            self.kernel.workflow_id(name).unwrap_or_else(|| {
                self.kernel
                    .add_workflow(WorkflowSpec { name: name.into(), concurrency: None, parent: None })
                    .expect("the name is new")
            })
        });
        let mut depends_on = Vec::new();
        for dep in &req.depends_on {
            // `name` (same namespace) or `namespace/name`.
            let dk = match dep.split_once('/') {
                Some((ns, name)) => (ns.to_string(), name.to_string()),
                None => (k.0.clone(), dep.clone()),
            };
            match self.tracked.get(&dk) {
                Some(t) => depends_on.push(t.op),
                None if self.jobs.contains_key(&dk)
                    && !self.jobs.get(&dk).is_some_and(|j| self.settled.contains(jobs::uid(j))) =>
                {
                    // Not taken in yet: try again next pass.
                    self.dirty.insert(k);
                    return;
                }
                None => {
                    let reason = format!(
                        "annotation {}: Job `{dep}` does not exist in namespace `{}` (or was refused)",
                        ann::DEPENDS_ON,
                        k.0
                    );
                    return self.refuse(&k, &job, reason).await;
                }
            }
        }
        let spec = OpSpec {
            queue,
            project,
            priority: req.priority,
            workflow,
            resources: jobs::requests(&job),
            depends_on,
            constraints: jobs::constraints(&job),
            preemptible: true,
            checkpoint: None,
            replicas: 1,
            estimate: req.duration_ms.map(|d| (d as f64 * self.opts.time_scale) as Time),
        };
        let submitted_at = self.to_kernel_time(jobs::created_ms(&job)).min(now);
        let op = self.kernel.submit(submitted_at.max(0), spec);
        self.job_of.push((k.clone(), uid.clone()));
        debug_assert_eq!(self.job_of.len(), op.index() + 1);
        self.tracked.insert(k.clone(), Tracked { op, uid: uid.clone(), stop_requested: false });
        let status = self.kernel.op(op).map(|o| o.status);
        if status == Some(Status::Rejected) {
            let reason = self.kernel.reason(op).unwrap_or("rejected").to_string();
            self.tracked.remove(&k);
            return self.refuse(&k, &job, reason).await;
        }
        // The queue's agent must manage the Job's namespace.
        if let Some(q) = self.kernel.op(op).and_then(|o| o.queue) {
            let qs = &self.kernel.queues()[q.index()].spec;
            let agent = self.kernel.agent(qs.agent);
            if let Some(ns) = agent.namespace.as_deref() {
                if ns != k.0 {
                    let reason = format!(
                        "queue `{}` belongs to agent `{}`, which manages namespace `{ns}`; this Job is in namespace `{}`",
                        qs.name, agent.name, k.0
                    );
                    let _ = self.kernel.observe(now, Observation::StopRequested { op });
                    self.tracked.remove(&k);
                    return self.refuse(&k, &job, reason).await;
                }
            }
        }
        // Admitted by an earlier driver: adopt it as it stands.
        if let Some(node) = admitted_node {
            let since = jobs::annotation(&job, ann::ADMITTED_AT)
                .and_then(jobs::parse_time_ms)
                .unwrap_or_else(jobs::now_ms);
            let since = self.to_kernel_time(since).min(now);
            if let Some(n) = admission_seq(&job) {
                self.next_admission = self.next_admission.max(n + 1);
            }
            let adopted = match self.kernel.node_id(&node) {
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
                    warn!(job = %format!("{}/{}", k.0, k.1), error = %e, "cannot adopt an admitted Job; leaving it alone");
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

    /// Marks a Job refused (annotation) and says why (a Warning event).
    async fn refuse(&mut self, k: &JobKey, job: &Job, reason: String) {
        warn!(job = %format!("{}/{}", k.0, k.1), %reason, "Job refused");
        self.settled.insert(jobs::uid(job).to_string());
        self.summary.refusals += 1;
        if let Some(m) = &self.opts.metrics {
            m.update(|s| s.refusals += 1);
        }
        let api: Api<Job> = Api::namespaced(self.client.clone(), &k.0);
        let patch = json!({"metadata": {"annotations": {ann::REFUSED: reason}}});
        let (pp, mp) = (PatchParams::default(), Patch::Merge(&patch));
        let _ = self.retrying("annotate refused Job", || api.patch(&k.1, &pp, &mp)).await;
        let now = k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(k8s_openapi::chrono::Utc::now());
        let ev = Event {
            metadata: kube::api::ObjectMeta {
                generate_name: Some(format!("{}.", k.1)),
                namespace: Some(k.0.clone()),
                ..Default::default()
            },
            involved_object: ObjectReference {
                api_version: Some("batch/v1".into()),
                kind: Some("Job".into()),
                name: Some(k.1.clone()),
                namespace: Some(k.0.clone()),
                uid: job.metadata.uid.clone(),
                ..Default::default()
            },
            reason: Some("Refused".into()),
            message: Some(reason),
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
        let events: Api<Event> = Api::namespaced(self.client.clone(), &k.0);
        let post = PostParams::default();
        let _ = self.retrying("record a refusal event", || events.create(&post, &ev)).await;
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
        let Some((k, uid)) = self.job_of.get(op.index()).cloned() else { return true };
        if self.kernel.op(op).map(|o| o.status) != Some(Status::Scheduled) {
            return true;
        }
        let now = self.now();
        if self.jobs.get(&k).is_none_or(|j| jobs::uid(j) != uid) {
            let _ = self.kernel.observe(now, Observation::AttemptStopped { op });
            return true;
        }
        let node_name = self.kernel.nodes()[node.index()].spec.name.clone();
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
        let api: Api<Job> = Api::namespaced(self.client.clone(), &k.0);
        let (pp, mp) = (PatchParams::default(), Patch::Merge(&patch));
        let result = self.retrying("admit", || api.patch(&k.1, &pp, &mp)).await;
        let now = self.now();
        match result {
            Ok(_) => {
                self.set_healthy(true);
                self.next_admission += 1;
                let _ = self.kernel.observe(now, Observation::AttemptStarted { op });
                self.summary.admissions += 1;
                if let Some(m) = &self.opts.metrics {
                    m.update(|s| s.admissions += 1);
                }
                info!(job = %format!("{}/{}", k.0, k.1), node = %node_name, admission = seq, "admitted");
                true
            }
            Err(kube::Error::Api(e)) if e.code == 404 => {
                let _ = self.kernel.observe(now, Observation::AttemptStopped { op });
                true
            }
            Err(e) => {
                warn!(job = %format!("{}/{}", k.0, k.1), error = %e, "admission not written; will retry");
                false
            }
        }
    }

    /// Deletes a stopped operation's Job. True when done.
    async fn delete(&mut self, op: OpId) -> bool {
        let Some((k, _)) = self.job_of.get(op.index()).cloned() else { return true };
        let api: Api<Job> = Api::namespaced(self.client.clone(), &k.0);
        let dp = DeleteParams::background();
        let result = self.retrying("stop", || api.delete(&k.1, &dp)).await;
        match result {
            Ok(_) | Err(kube::Error::Api(kube::core::ErrorResponse { code: 404, .. })) => {
                let now = self.now();
                if self.kernel.op(op).is_some_and(|o| matches!(o.status, Status::Running | Status::Scheduled))
                {
                    let _ = self.kernel.observe(now, Observation::AttemptStopped { op });
                }
                self.summary_stop();
                info!(job = %format!("{}/{}", k.0, k.1), "stopped (Job deleted)");
                true
            }
            Err(e) => {
                warn!(job = %format!("{}/{}", k.0, k.1), error = %e, "stop not written; will retry");
                false
            }
        }
    }

    fn summary_stop(&mut self) {
        if let Some(m) = &self.opts.metrics {
            m.update(|s| s.stops += 1);
        }
    }

    /// Suspends a preempted Job again and clears its admission.
    async fn preempt(&mut self, op: OpId) {
        let Some((k, _)) = self.job_of.get(op.index()).cloned() else { return };
        let patch = json!({
            "metadata": {"annotations": {ann::ADMITTED_NODE: null, ann::ADMITTED_AT: null, ann::ADMISSION: null}},
            "spec": {"suspend": true, "template": {"spec": {"nodeSelector": {jobs::HOSTNAME: null}}}}
        });
        let api: Api<Job> = Api::namespaced(self.client.clone(), &k.0);
        let (pp, mp) = (PatchParams::default(), Patch::Merge(&patch));
        match self.retrying("preempt", || api.patch(&k.1, &pp, &mp)).await {
            Ok(_) | Err(kube::Error::Api(kube::core::ErrorResponse { code: 404, .. })) => {
                self.summary.preemptions += 1;
                if let Some(m) = &self.opts.metrics {
                    m.update(|s| s.preemptions += 1);
                }
                info!(job = %format!("{}/{}", k.0, k.1), "preempted (suspended)");
            }
            Err(e) => warn!(job = %format!("{}/{}", k.0, k.1), error = %e, "preemption not written"),
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
