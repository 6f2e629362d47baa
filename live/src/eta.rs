//! `schedlab live eta`: when will a queued operation start?
//!
//! A snapshot of the cluster (its Nodes and Jobs, as the driver reads them) becomes a
//! simulator workload that the simulator runs with the scenario's policies:
//!
//! - each node is a one-node pool of its own (same agent, labels, taints, allocatable);
//! - each running Job is submitted 1 ms before "now", pinned to its node, for the time it
//!   still has to run (its `schedlab.io/duration-seconds` minus the time since its
//!   `admitted-at`), so it holds its node from the start, in its own queue;
//! - each queued Job is submitted "now", in the order the driver submits them, with its
//!   upstream Jobs (those that already succeeded are dropped from its dependencies).
//!
//! The expected start is the simulated start of the operation's first attempt. Jobs awaiting
//! approval (other than the one asked about, which is assumed approved now) are left out,
//! with everything depending on them. What the simulation cannot know: the kernel's history
//! (aging, fair-share usage, the age of running attempts for `min_runtime`), Jobs without a
//! duration annotation (they are assumed to run [`EtaOptions::default_duration_ms`]), and
//! whatever arrives later.

use std::collections::{HashMap, HashSet};

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Node;
use schedlab_policies::Time;
use schedlab_sim::scenario::Pool;
use schedlab_sim::Scenario;
use schedlab_traces::TraceRecord;

use crate::annotations::{self as ann, Approval};
use crate::driver::{self, jobs};

/// One cluster as `live eta` saw it.
#[derive(Clone, Debug, Default)]
pub struct ClusterSnapshot {
    /// Its name (kubeconfig context).
    pub name: String,
    /// The agents assigned to it (empty: every agent no other cluster names).
    pub agents: Vec<String>,
    pub nodes: Vec<Node>,
    pub jobs: Vec<Job>,
}

/// How to read the snapshot.
#[derive(Clone, Debug)]
pub struct EtaOptions {
    /// As `live run --time-scale`: kernel time runs this many times faster than the clock.
    pub time_scale: f64,
    /// Run time assumed for Jobs with no duration annotation, in (wall-clock) milliseconds.
    pub default_duration_ms: i64,
}

impl Default for EtaOptions {
    fn default() -> Self {
        EtaOptions { time_scale: 1.0, default_duration_ms: 3_600_000 }
    }
}

/// What `live eta` found. Times are wall-clock milliseconds since the Unix epoch.
#[derive(Clone, Debug, PartialEq)]
pub enum Eta {
    /// Queued: expected to start at `at_ms` on `node`.
    Starts {
        at_ms: i64,
        node: String,
        /// It awaits approval: the time assumes it is approved now.
        awaiting_approval: bool,
    },
    /// Already running on `node` since `since_ms`, expected to end at `ends_ms`.
    Running { node: String, since_ms: Option<i64>, ends_ms: Option<i64> },
    /// Finished (`succeeded` or `failed`).
    Finished { status: &'static str, at_ms: Option<i64> },
    /// It will not start (refused, rejected, an upstream Job failed, ...), or did not start in
    /// the simulation: why.
    WillNotStart { reason: String },
}

/// The simulated state of a Job.
#[derive(Clone, Debug)]
enum State {
    Succeeded,
    /// Ended without succeeding, or will never run: why.
    Failed(String),
    Running,
    Queued,
    AwaitingApproval,
}

struct Entry {
    cluster: usize,
    ns: String,
    name: String,
    state: State,
    req: ann::JobRequest,
    job: Job,
}

impl Entry {
    fn id(&self) -> String {
        format!("{}/{}/{}", self.cluster, self.ns, self.name)
    }
}

/// The ETA of Job `target` = (cluster index, namespace, name) in `clusters`, at `now_ms`.
pub fn eta(
    scenario: &Scenario,
    clusters: &[ClusterSnapshot],
    target: (usize, &str, &str),
    now_ms: i64,
    opts: &EtaOptions,
) -> Result<Eta, String> {
    if !(opts.time_scale.is_finite() && opts.time_scale > 0.0) {
        return Err(format!("the time scale must be a positive number, got {}", opts.time_scale));
    }
    let names: Vec<(String, Vec<String>)> =
        clusters.iter().map(|c| (c.name.clone(), c.agents.clone())).collect();
    let agent_cluster = driver::agent_clusters(scenario, &names)?;
    let n_clusters = clusters.len();
    let (tc, tns, tname) = target;
    let shown = format!("{tns}/{tname}");

    // Every Job schedlab manages, as the driver reads it.
    let mut entries: Vec<Entry> = Vec::new();
    for (c, cl) in clusters.iter().enumerate() {
        let manages = |ns: &str| {
            scenario
                .agents
                .iter()
                .zip(&agent_cluster)
                .any(|(a, x)| *x == Some(c) && a.namespace.as_deref() == Some(ns))
        };
        for j in &cl.jobs {
            let (ns, name) = jobs::key(j);
            if !jobs::labels(j).contains_key(ann::QUEUE_LABEL) && !manages(&ns) {
                continue;
            }
            let admitted = jobs::annotation(j, ann::ADMITTED_NODE).is_some();
            if !admitted && (!jobs::suspended(j) || jobs::finished(j).is_some()) {
                continue; // runs outside schedlab
            }
            let req = ann::parse(jobs::labels(j), jobs::annotations(j));
            let driver_note = [ann::REFUSED, ann::REJECTED, ann::UPSTREAM_FAILED]
                .iter()
                .find_map(|a| jobs::annotation(j, a).map(|r| format!("{}: {r}", short(a))));
            let state = match (jobs::finished(j), driver_note, &req) {
                (Some(Ok(())), ..) => State::Succeeded,
                (Some(Err(r)), ..) => State::Failed(format!("it failed: {r}")),
                (None, Some(note), _) => State::Failed(note),
                (None, None, Err(e)) => State::Failed(format!("it will be refused: {e}")),
                (None, None, Ok(_)) if jobs::annotation(j, ann::STOP).is_some() => {
                    State::Failed("it is being stopped".into())
                }
                (None, None, Ok(_)) if admitted => State::Running,
                (None, None, Ok(r)) => match r.approval {
                    Approval::Pending => State::AwaitingApproval,
                    Approval::Rejected => State::Failed("it was rejected by its approver".into()),
                    Approval::NotRequired | Approval::Approved => State::Queued,
                },
            };
            entries.push(Entry { cluster: c, ns, name, state, req: req.unwrap_or_default(), job: j.clone() });
        }
    }
    let Some(ti) = entries.iter().position(|e| e.cluster == tc && e.ns == tns && e.name == tname) else {
        return Err(format!(
            "Job {shown} is not an operation schedlab schedules (no {} label, not in an agent's namespace, or created unsuspended)",
            ann::QUEUE_LABEL
        ));
    };
    let t = &entries[ti];
    let awaiting_approval = matches!(t.state, State::AwaitingApproval);
    match &t.state {
        State::Succeeded => {
            return Ok(Eta::Finished { status: "succeeded", at_ms: jobs::finished_at_ms(&t.job) });
        }
        State::Failed(_) if jobs::finished(&t.job).is_some() => {
            return Ok(Eta::Finished { status: "failed", at_ms: jobs::finished_at_ms(&t.job) });
        }
        State::Failed(why) => return Ok(Eta::WillNotStart { reason: why.clone() }),
        State::Running => {
            let since = jobs::annotation(&t.job, ann::ADMITTED_AT).and_then(jobs::parse_time_ms);
            return Ok(Eta::Running {
                node: jobs::annotation(&t.job, ann::ADMITTED_NODE).unwrap_or("").to_string(),
                since_ms: since,
                ends_ms: since.zip(t.req.duration_ms).map(|(s, d)| s + d),
            });
        }
        State::Queued | State::AwaitingApproval => {}
    }
    entries[ti].state = State::Queued;

    // Which Jobs the simulation holds: running and queued ones whose upstream Jobs all
    // succeeded or are held too (to a fixpoint), each with its dependencies' ids.
    let index: HashMap<(usize, String, String), usize> =
        entries.iter().enumerate().map(|(i, e)| ((e.cluster, e.ns.clone(), e.name.clone()), i)).collect();
    let mut deps: Vec<Vec<usize>> = vec![Vec::new(); entries.len()];
    let mut blocked: Vec<Option<String>> = vec![None; entries.len()];
    for (i, e) in entries.iter().enumerate() {
        if !matches!(e.state, State::Queued) {
            continue;
        }
        for d in &e.req.depends_on {
            let (ns, name) = match d.split_once('/') {
                Some((ns, name)) => (ns.to_string(), name.to_string()),
                None => (e.ns.clone(), d.clone()),
            };
            match index.get(&(e.cluster, ns.clone(), name.clone())) {
                None => {
                    blocked[i].get_or_insert(format!("its upstream Job {ns}/{name} does not exist"));
                }
                Some(&j) => match &entries[j].state {
                    State::Succeeded => {}
                    State::Failed(why) => {
                        blocked[i]
                            .get_or_insert(format!("its upstream Job {ns}/{name} will not succeed ({why})"));
                    }
                    State::AwaitingApproval => {
                        blocked[i].get_or_insert(format!("its upstream Job {ns}/{name} awaits approval"));
                    }
                    State::Running | State::Queued => deps[i].push(j),
                },
            }
        }
    }
    loop {
        let mut changed = false;
        for i in 0..entries.len() {
            if blocked[i].is_some() {
                continue;
            }
            if let Some(&j) = deps[i].iter().find(|&&j| blocked[j].is_some()) {
                blocked[i] = Some(format!(
                    "its upstream Job {}/{} cannot start: {}",
                    entries[j].ns,
                    entries[j].name,
                    blocked[j].as_deref().unwrap_or("")
                ));
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    if let Some(why) = &blocked[ti] {
        return Ok(Eta::WillNotStart { reason: why.clone() });
    }

    // The nodes, in the order the driver adds them.
    let mut nodes: Vec<(usize, usize, String, &Node)> = Vec::new();
    for (c, cl) in clusters.iter().enumerate() {
        for n in &cl.nodes {
            let kname =
                driver::kernel_node_name(n_clusters, &cl.name, n.metadata.name.as_deref().unwrap_or(""));
            nodes.push((c, driver::pool_position(scenario, n), kname, n));
        }
    }
    nodes.sort_by(|a, b| (a.0, a.1, &a.2).cmp(&(b.0, b.1, &b.2)));
    let mut pools = Vec::new();
    let mut node_names = Vec::new();
    let mut seen = HashSet::new();
    for (c, _, kname, n) in nodes {
        let Some(agent) = driver::node_agent(scenario, &agent_cluster, c, n) else { continue };
        if !seen.insert(kname.clone()) {
            continue;
        }
        let (mut labels, taints, allocatable) = jobs::node_view(n);
        labels.push((jobs::HOSTNAME.to_string(), kname.clone()));
        let pool = n.metadata.labels.as_ref().and_then(|l| l.get(crate::POOL_LABEL));
        let cost = scenario.pools.iter().find(|p| Some(&p.name) == pool).map_or(0.0, |p| p.cost_per_hour);
        pools.push(Pool {
            name: kname.clone(),
            agent,
            nodes: 1,
            allocatable,
            cost_per_hour: cost,
            labels,
            taints,
            // No spot reclaims: the estimate assumes the nodes stay.
            spot: None,
        });
        node_names.push(kname);
    }

    // The workload: running Jobs 1 ms before now, then queued ones now, in driver order.
    let scale = |ms: i64| (ms.max(0) as f64 * opts.time_scale).round() as Time;
    let mut running: Vec<usize> =
        (0..entries.len()).filter(|&i| matches!(entries[i].state, State::Running)).collect();
    running.sort_by_key(|&i| {
        let e = &entries[i];
        (jobs::annotation(&e.job, ann::ADMISSION).and_then(|v| v.trim().parse::<u64>().ok()), e.id())
    });
    let mut queued: Vec<usize> = (0..entries.len())
        .filter(|&i| matches!(entries[i].state, State::Queued) && blocked[i].is_none())
        .collect();
    queued.sort_by_key(|&i| {
        let e = &entries[i];
        (
            jobs::created_ms(&e.job),
            jobs::annotation(&e.job, ann::ORDER).and_then(|v| v.trim().parse().ok()).unwrap_or(u64::MAX),
            e.cluster,
            e.ns.clone(),
            e.name.clone(),
        )
    });
    let mut records = Vec::new();
    for (submit, list) in [(0, &running), (1, &queued)] {
        for &i in list {
            let e = &entries[i];
            let r = jobs::requests(&e.job);
            let mut constraints = jobs::constraints(&e.job);
            let duration_ms = e.req.duration_ms.unwrap_or(opts.default_duration_ms);
            let duration = if submit == 0 {
                let since = jobs::annotation(&e.job, ann::ADMITTED_AT)
                    .and_then(jobs::parse_time_ms)
                    .unwrap_or(now_ms);
                let node = jobs::annotation(&e.job, ann::ADMITTED_NODE).unwrap_or("");
                constraints.node_selector.push((
                    jobs::HOSTNAME.to_string(),
                    driver::kernel_node_name(n_clusters, &clusters[e.cluster].name, node),
                ));
                scale(duration_ms - (now_ms - since)) + 1
            } else {
                scale(duration_ms)
            };
            records.push(TraceRecord {
                id: e.id(),
                submit,
                duration,
                cpu_milli: r.get(0),
                mem_mib: r.get(1),
                gpu: r.get(2),
                queue: e.req.queue.clone(),
                project: e.req.project.clone(),
                priority: Some(e.req.priority),
                workflow: e.req.workflow.clone(),
                depends_on: if submit == 0 {
                    Vec::new()
                } else {
                    deps[i].iter().map(|&j| entries[j].id()).collect()
                },
                constraints,
                preemptible: Some(true),
                estimate: Some(duration),
                line: records.len() as u64 + 2,
                ..Default::default()
            });
        }
    }
    let target_id = entries[ti].id();
    let (records, deps) =
        schedlab_sim::workload::order(records, "the live snapshot").map_err(|e| e.to_string())?;
    let workload = schedlab_sim::workload::Workload {
        records,
        deps,
        source: "the live snapshot".into(),
        trace_bytes: Vec::new(),
        seed: scenario.seed,
    };
    let mut sim = scenario.clone();
    sim.pools = pools;
    sim.horizon = None;
    sim.default_project = None;
    sim.sample_interval = None;
    let run = schedlab_sim::engine::run(
        &sim,
        workload,
        schedlab_sim::engine::RunOptions { samples: false, statuses: false, progress: None },
    );
    let Some(op) = run.ids.iter().position(|id| *id == target_id) else {
        return Err(format!("Job {shown} was lost building the simulation"));
    };
    let op = schedlab_policies::OpId(op as u32);
    match run.attempts.iter().find(|a| a.op == op) {
        Some(a) => {
            let after = ((a.start - 1).max(0) as f64 / opts.time_scale).round() as i64;
            Ok(Eta::Starts {
                at_ms: now_ms + after,
                node: node_names.get(a.node.index()).cloned().unwrap_or_default(),
                awaiting_approval,
            })
        }
        None => {
            let status = run.kernel.op(op).map(|o| o.status.to_string()).unwrap_or_default();
            let reason = run.kernel.reason(op).map(|r| format!(": {r}")).unwrap_or_default();
            Ok(Eta::WillNotStart {
                reason: format!("in the simulation it never starts (it ends {status}{reason})"),
            })
        }
    }
}

fn short(annotation: &str) -> &str {
    annotation.strip_prefix("schedlab.io/").unwrap_or(annotation)
}

/// `Eta` as a sentence about Job `shown`, with times in UTC and relative to `now_ms`.
pub fn describe(shown: &str, eta: &Eta, now_ms: i64) -> String {
    let at = |ms: i64| jobs::fmt_time_ms(ms);
    let rel = |ms: i64| {
        let secs = ((ms - now_ms) as f64 / 1000.0).ceil().max(0.0) as i64;
        match secs {
            0 => "now".to_string(),
            1..=119 => format!("in {secs} s"),
            _ => format!("in {} min", (secs + 59) / 60),
        }
    };
    match eta {
        Eta::Starts { at_ms, node, awaiting_approval } => format!(
            "{shown} is {}; expected to start at {} ({}) on node {node}{}",
            if *awaiting_approval { "awaiting approval" } else { "queued" },
            at(*at_ms),
            rel(*at_ms),
            if *awaiting_approval { ", if approved now" } else { "" }
        ),
        Eta::Running { node, since_ms, ends_ms } => {
            let mut s = format!("{shown} is running on node {node}");
            if let Some(t) = since_ms {
                s.push_str(&format!(" since {}", at(*t)));
            }
            if let Some(t) = ends_ms {
                s.push_str(&format!("; expected to end at {} ({})", at(*t), rel(*t)));
            }
            s
        }
        Eta::Finished { status, at_ms } => match at_ms {
            Some(t) => format!("{shown} has finished: {status} at {}", at(*t)),
            None => format!("{shown} has finished: {status}"),
        },
        Eta::WillNotStart { reason } => format!("{shown} is not expected to start: {reason}"),
    }
}
