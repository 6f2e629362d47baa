//! Kernel invariants, checked on random scenarios run through the simulator.
//!
//! Each case builds a scenario file (so the parser is exercised too) and a random trace,
//! runs it to completion and checks, from what the run recorded:
//! - no node is ever over-committed;
//! - no queue ever exceeds its concurrency or resource quota or cost quota;
//! - no workflow exceeds its direct concurrency, no controller its leaf concurrency;
//! - operations run only on nodes of their queue's agent;
//! - every operation ends in exactly one terminal status, with one attempt if it ran (plus one
//!   per preemption and per node loss);
//! - a gang runs all its replicas in one attempt, each where there is room, or none;
//! - a queue on a budget starts nothing while its window's budget is spent;
//! - the same scenario and seed produce byte-identical output files.
//!
//! Most cases also use the operation lifecycle (timeouts, retries, injected failures,
//! approvals, the cache, conditions, triggers, scripted actions, a horizon), and
//! [`check_lifecycle`] checks, from the status journal and the attempts:
//! - every operation (restarted ones too) has exactly one terminal transition, last, equal to
//!   its final status (at most one when a horizon cut the run);
//! - no operation is compiled or queued before its trigger holds on its ended upstream;
//! - replaying the journal, no workflow has more than its concurrency of its own operations
//!   queued, scheduled, running or retrying, nor a controller more leaf operations beneath it;
//! - operations of one cache key never run at the same time, cache hits reuse a success of
//!   their key within their TTL, and no operation runs while a success of its key is fresh;
//! - no attempt outlives its timeout, retries wait their backoff, and no operation fails
//!   more than `1 + retries` attempts;
//! - a scripted stop ends its operation at once.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use proptest::prelude::*;
use schedlab_policies::expr::Value;
use schedlab_policies::model::{
    parse_affinity, parse_selector, parse_tolerations, Constraints, Status, Trigger,
};
use schedlab_policies::resources::{Resources, CPU, GPU, MAX_RESOURCES, MEM};
use schedlab_policies::Time;
use schedlab_sim::attempt::{Attempt, Outcome};
use schedlab_sim::engine::{self, Run, RunOptions};
use schedlab_sim::workload::{self, Workload};
use schedlab_sim::{metrics, output, Scenario};
use schedlab_traces::TraceRecord;

#[derive(Clone, Debug)]
struct PoolP {
    agent: usize,
    nodes: u32,
    cpu: u64,
    mem_gib: u64,
    gpu: u64,
    cost: u32,
}

#[derive(Clone, Debug)]
struct QueueP {
    agent: usize,
    priority: Option<i32>,
    concurrency: Option<u32>,
    quota_cpu: Option<u64>,
    quota_cost: Option<u32>,
}

#[derive(Clone, Debug)]
struct WorkflowP {
    parent: Option<usize>,
    concurrency: Option<u32>,
}

#[derive(Clone, Debug)]
struct OpP {
    submit_s: u32,
    duration_s: u32,
    cpu_half: u64,
    mem_gib: u64,
    gpu: u64,
    queue: Option<usize>, // index; == queues.len() means an unknown name
    project: Option<usize>,
    priority: i32,
    workflow: Option<usize>,
    dep: Option<usize>,
}

#[derive(Clone, Debug)]
struct Case {
    dispatch: &'static str,
    placement: &'static str,
    agents: usize,
    pools: Vec<PoolP>,
    queues: Vec<QueueP>,
    allowed: Vec<Option<Vec<usize>>>,
    workflows: Vec<WorkflowP>,
    ops: Vec<OpP>,
    /// Lifecycle settings; `None` for a case without any.
    life: Option<LifeP>,
}

/// The lifecycle settings of one operation (used by op index; extra entries are ignored).
#[derive(Clone, Debug)]
struct OpLifeP {
    timeout_s: Option<u32>,
    retries: Option<u32>,
    backoff_s: Option<u32>,
    /// Index into [`FAIL_P`].
    fail: Option<usize>,
    approval: bool,
    cache: Option<bool>,
    /// Explicit cache key `k0`..`k2`.
    key: Option<u8>,
    /// Without an explicit key: component `c0`/`c1`, keyed with its inputs.
    component: Option<u8>,
    ttl_s: Option<u32>,
    /// Its input `n` (conditions read it; it is part of a component's key).
    input: u8,
    /// Its output `loss`, in tenths.
    loss: u8,
    /// Which condition, if any (see [`condition_of`]).
    condition: u8,
    /// Index into `Trigger::NAMES`.
    trigger: usize,
    skip_on_upstream_skip: bool,
    /// A second upstream operation.
    dep2: Option<usize>,
}

/// Termination and failure settings of one queue.
#[derive(Clone, Debug, Default)]
struct QueueLifeP {
    timeout_s: Option<u32>,
    retries: Option<u32>,
    backoff_s: Option<u32>,
    fail: Option<usize>,
}

/// A scripted action on an operation of the trace, some time after its submission.
#[derive(Clone, Debug)]
struct ActionP {
    after_s: u32,
    op: usize,
    kind: &'static str,
}

#[derive(Clone, Debug)]
struct LifeP {
    horizon_s: Option<u32>,
    approval_mean_s: Option<u32>,
    reject_p: f64,
    cache_mode: Option<&'static str>,
    cache_ttl_s: Option<u32>,
    default_fail: Option<usize>,
    queues: Vec<QueueLifeP>,
    ops: Vec<OpLifeP>,
    actions: Vec<ActionP>,
}

/// The failure chances an operation or queue may have.
const FAIL_P: [f64; 4] = [0.0, 0.3, 0.6, 1.0];

/// Lifecycle settings of at most this many operations are generated.
const MAX_OPS: usize = 40;

fn op_life() -> impl Strategy<Value = OpLifeP> {
    use prop::option::weighted;
    (
        (
            weighted(0.35, 2u32..=30),
            weighted(0.4, 0u32..=3),
            weighted(0.4, 0u32..=8),
            weighted(0.35, 0..4usize),
        ),
        (
            prop::bool::weighted(0.15),
            weighted(0.2, any::<bool>()),
            weighted(0.45, 0u8..3),
            weighted(0.35, 0u8..2),
            weighted(0.4, 1u32..=40),
        ),
        (0u8..3, 0u8..10, 0u8..12, 0usize..16, prop::bool::weighted(0.3), weighted(0.5, 0usize..MAX_OPS)),
    )
        .prop_map(
            |(
                (timeout_s, retries, backoff_s, fail),
                (approval, cache, key, component, ttl_s),
                (input, loss, condition, trigger, skip_on_upstream_skip, dep2),
            )| OpLifeP {
                timeout_s,
                retries,
                backoff_s,
                fail,
                approval,
                cache,
                key,
                component,
                ttl_s,
                input,
                loss,
                condition,
                // Mostly the default (all_succeeded), else any of the others.
                trigger: trigger.saturating_sub(10),
                skip_on_upstream_skip,
                dep2,
            },
        )
}

fn life() -> impl Strategy<Value = LifeP> {
    use prop::option::weighted;
    let queue = (
        weighted(0.3, 2u32..=30),
        weighted(0.3, 0u32..=2),
        weighted(0.3, 0u32..=5),
        weighted(0.3, 0..3usize),
    )
        .prop_map(|(timeout_s, retries, backoff_s, fail)| QueueLifeP {
            timeout_s,
            retries,
            backoff_s,
            fail,
        });
    let action = (
        0u32..80,
        0usize..MAX_OPS,
        prop::sample::select(vec![
            "stop", "stop", "restart", "restart", "resume", "copy", "approve", "reject",
        ]),
    )
        .prop_map(|(after_s, op, kind)| ActionP { after_s, op, kind });
    (
        weighted(0.15, 20u32..=90),
        weighted(0.6, 1u32..=30),
        prop::sample::select(vec![0.0, 0.2, 0.5]),
        prop::sample::select(vec![None, Some("all"), Some("all"), Some("workflows"), Some("off")]),
        weighted(0.5, 5u32..=60),
        weighted(0.3, 0..3usize),
        prop::collection::vec(queue, 4),
        prop::collection::vec(op_life(), MAX_OPS),
        prop::collection::vec(action, 0..=6),
    )
        .prop_map(
            |(
                horizon_s,
                approval_mean_s,
                reject_p,
                cache_mode,
                cache_ttl_s,
                default_fail,
                queues,
                ops,
                actions,
            )| {
                LifeP {
                    horizon_s,
                    approval_mean_s,
                    reject_p,
                    cache_mode,
                    // A TTL with the cache off is a scenario error.
                    cache_ttl_s: cache_ttl_s.filter(|_| cache_mode != Some("off")),
                    default_fail,
                    queues,
                    ops,
                    actions,
                }
            },
        )
}

fn case() -> impl Strategy<Value = Case> {
    (
        1usize..=2,
        prop::sample::select(vec!["priority", "fifo", "drf", "fair-share"]),
        prop::sample::select(vec!["first-fit", "best-fit", "spread", "gpu-pack"]),
    )
        .prop_flat_map(|(agents, dispatch, placement)| {
            let pools = prop::collection::vec(
                (0..agents, 1u32..=3, 2u64..=8, 4u64..=32, 0u64..=2, 0u32..=8).prop_map(
                    |(agent, nodes, cpu, mem_gib, gpu, cost)| PoolP { agent, nodes, cpu, mem_gib, gpu, cost },
                ),
                1..=3,
            );
            let queues = prop::collection::vec(
                (
                    0..agents,
                    prop::option::of(0i32..3),
                    prop::option::of(1u32..=3),
                    prop::option::of(2u64..=12),
                    prop::option::of(4u32..=20),
                )
                    .prop_map(|(agent, priority, concurrency, quota_cpu, quota_cost)| {
                        QueueP { agent, priority, concurrency, quota_cpu, quota_cost }
                    }),
                1..=4,
            );
            (Just((agents, dispatch, placement)), pools, queues)
        })
        .prop_flat_map(|((agents, dispatch, placement), pools, queues)| {
            let nq = queues.len();
            let allowed =
                prop::collection::vec(prop::option::of(prop::collection::vec(0..nq, 1..=nq)), 0..=2);
            let workflows = (0usize..=5).prop_flat_map(|n| {
                (0..n)
                    .map(|i| {
                        (prop::option::of(0..i.max(1)), prop::option::of(1u32..=3)).prop_map(move |(p, c)| {
                            WorkflowP { parent: if i == 0 { None } else { p }, concurrency: c }
                        })
                    })
                    .collect::<Vec<_>>()
            });
            (Just((agents, dispatch, placement, pools, queues)), allowed, workflows)
        })
        .prop_flat_map(|((agents, dispatch, placement, pools, queues), allowed, workflows)| {
            let nq = queues.len();
            let np = allowed.len();
            let nw = workflows.len();
            let ops = prop::collection::vec(
                (
                    (0u32..60, 0u32..40, 1u64..=10, 1u64..=16, 0u64..=2),
                    prop::option::of(0..=nq),
                    prop::option::of(0..np.max(1)),
                    -2i32..3,
                    prop::option::of(0..nw.max(1)),
                    prop::option::of(0usize..40),
                )
                    .prop_map(
                        move |(
                            (submit_s, duration_s, cpu_half, mem_gib, gpu),
                            queue,
                            project,
                            priority,
                            workflow,
                            dep,
                        )| OpP {
                            submit_s,
                            duration_s,
                            cpu_half,
                            mem_gib,
                            gpu: if gpu == 2 { 0 } else { gpu },
                            queue,
                            project: if np == 0 { None } else { project },
                            priority,
                            workflow: if nw == 0 { None } else { workflow },
                            dep,
                        },
                    ),
                1..40,
            );
            (Just((agents, dispatch, placement, pools, queues, allowed, workflows)), ops)
        })
        .prop_map(|((agents, dispatch, placement, pools, queues, allowed, workflows), ops)| Case {
            dispatch,
            placement,
            agents,
            pools,
            queues,
            allowed,
            workflows,
            ops,
            life: None,
        })
}

/// Cases that use the lifecycle with probability `p` (in (0, 1]).
fn case_with_life(p: f64) -> BoxedStrategy<Case> {
    let life =
        if p >= 1.0 { life().prop_map(Some).boxed() } else { prop::option::weighted(p, life()).boxed() };
    (case(), life)
        .prop_map(|(mut c, life)| {
            c.life = life;
            c
        })
        .boxed()
}

/// Lifecycle cases where most operations are valid, so that many reach the lifecycle's
/// stages: one agent, known queues, no project restrictions, small CPU-only requests and
/// no GPU nodes.
fn lifecycle_case() -> BoxedStrategy<Case> {
    case_with_life(1.0)
        .prop_map(|mut c| {
            c.agents = 1;
            c.allowed.clear();
            for p in &mut c.pools {
                p.agent = 0;
                // No GPU taint, which most of these operations would not tolerate.
                p.gpu = 0;
            }
            for q in &mut c.queues {
                q.agent = 0;
            }
            let nq = c.queues.len();
            for o in &mut c.ops {
                o.queue = o.queue.filter(|&q| q < nq);
                o.project = None;
                o.cpu_half = 1 + o.cpu_half % 3;
                o.mem_gib = 1 + o.mem_gib % 3;
                o.gpu = 0;
            }
            c
        })
        .boxed()
}

fn scenario_text(c: &Case) -> String {
    let mut s = format!(
        "name = \"prop\"\nseed = 7\n[policy]\ndispatch = \"{}\"\nplacement = \"{}\"\npreemption = \"{}\"\nmin_runtime = {}\n",
        c.dispatch,
        c.placement,
        preemption_of(c),
        c.ops.len() % 3
    );
    if let Some(h) = c.life.as_ref().and_then(|l| l.horizon_s) {
        // A top-level key: it must come before the first table.
        s = s.replacen("[policy]\n", &format!("horizon = \"{h}s\"\n[policy]\n"), 1);
    }
    if let Some((count, window)) = limit_of(c) {
        s += &format!("max_preemptions = {{ count = {count}, window = {window} }}\n");
    }
    s += &format!("backfill = \"{}\"\n", ["off", "best-effort", "easy"][(c.ops.len() + c.pools.len()) % 3]);
    for a in 0..c.agents {
        s += &format!("[[agents]]\nname = \"a{a}\"\n");
    }
    for (i, p) in c.pools.iter().enumerate() {
        s += &format!(
            "[[pools]]\nname = \"p{i}\"\nagent = \"a{}\"\nnodes = {}\ncpu = {}\nmemory = \"{}Gi\"\ngpu = {}\ncost_per_hour = {}\n",
            p.agent, p.nodes, p.cpu, p.mem_gib, p.gpu, p.cost
        );
        // Node classes: a tier label on every pool, a taint on GPU pools.
        s += &format!("labels = {{ tier = \"t{}\" }}\n", i % 2);
        // Some pools are spot capacity, reclaimed every few minutes.
        if p.cost % 4 == 1 {
            s += "spot = true\nreclaims_per_hour = 20.0\nreclaim_downtime = \"30s\"\n";
        }
        if p.gpu > 0 {
            s += "taints = [{ key = \"gpu\", value = \"yes\", effect = \"NoSchedule\" }]\n";
        }
    }
    for (i, q) in c.queues.iter().enumerate() {
        s += &format!("[[queues]]\nname = \"q{i}\"\nagent = \"a{}\"\n", q.agent);
        if let Some(p) = q.priority {
            s += &format!("priority = {p}\n");
        }
        if let Some(cc) = q.concurrency {
            s += &format!("concurrency = {cc}\n");
        }
        let mut quota = Vec::new();
        if let Some(cpu) = q.quota_cpu {
            quota.push(format!("cpu = {cpu}"));
        }
        if let Some(cost) = q.quota_cost {
            quota.push(format!("cost_per_hour = {cost}"));
        }
        if let Some(borrow) = cohort_of(q) {
            s += "cohort = \"shared\"\n";
            if let Some(b) = borrow {
                s += &format!("borrowing_limit = {{ cpu = {b} }}\n");
            }
        }
        if let Some(b) = budget_of(q) {
            quota.push(format!("budget = {b}, budget_window = \"{BUDGET_WINDOW_S}s\""));
        }
        if !quota.is_empty() {
            s += &format!("quota = {{ {} }}\n", quota.join(", "));
        }
        let t = queue_life(c, i);
        if let Some(v) = t.timeout_s {
            s += &format!("timeout = \"{v}s\"\n");
        }
        if let Some(v) = t.retries {
            s += &format!("retries = {v}\n");
        }
        if let Some(v) = t.backoff_s {
            s += &format!("retry_backoff = \"{v}s\"\n");
        }
        if let Some(f) = t.fail {
            s += &format!("fail_probability = {}\n", FAIL_P[f]);
        }
    }
    s += "[organization]\ndefault_queue = \"q0\"\n";
    for (i, a) in c.allowed.iter().enumerate() {
        s += &format!("[[projects]]\nname = \"pr{i}\"\n");
        if let Some(list) = a {
            let names: Vec<String> = list.iter().map(|q| format!("\"q{q}\"")).collect();
            s += &format!("allowed_queues = [{}]\n", names.join(", "));
        }
    }
    for (i, w) in c.workflows.iter().enumerate() {
        s += &format!("[[workflows]]\nname = \"w{i}\"\n");
        if let Some(p) = w.parent {
            s += &format!("parent = \"w{p}\"\n");
        }
        if let Some(cc) = w.concurrency {
            s += &format!("concurrency = {cc}\n");
        }
    }
    if let Some(l) = &c.life {
        s += "[approval]\n";
        if let Some(m) = l.approval_mean_s {
            s += &format!("delay = {{ dist = \"exponential\", mean = \"{m}s\" }}\n");
        }
        s += &format!("reject_probability = {}\n", l.reject_p);
        s += "[cache]\n";
        if let Some(m) = l.cache_mode {
            s += &format!("mode = \"{m}\"\n");
        }
        if let Some(t) = l.cache_ttl_s {
            s += &format!("ttl = \"{t}s\"\n");
        }
        if let Some(f) = l.default_fail {
            s += &format!("[failures]\nfail_probability = {}\n", FAIL_P[f]);
        }
        for a in actions_of(c) {
            s += &format!("[[actions]]\nat = \"{}s\"\nop = \"op{}\"\naction = \"{}\"\n", a.0, a.1, a.2);
        }
    }
    s += "[workload]\ntrace = \"unused.csv\"\n[output]\nsample_interval = \"5s\"\n";
    s
}

/// The termination and failure settings of queue `q` (none without the lifecycle).
fn queue_life(c: &Case, q: usize) -> QueueLifeP {
    c.life.as_ref().map(|l| l.queues[q % l.queues.len()].clone()).unwrap_or_default()
}

/// The lifecycle settings of op `i`, if the case uses the lifecycle.
fn op_life_of(c: &Case, i: usize) -> Option<&OpLifeP> {
    c.life.as_ref().map(|l| &l.ops[i % l.ops.len()])
}

/// The scripted actions: (time in seconds, op index, action). Each comes at or after its
/// operation's submission: an approval scripted before it would leave the operation waiting
/// for an answer that never comes.
fn actions_of(c: &Case) -> Vec<(u32, usize, &'static str)> {
    let Some(l) = &c.life else { return Vec::new() };
    l.actions
        .iter()
        .map(|a| {
            let op = a.op % c.ops.len();
            // Stops come early enough to find most operations unfinished.
            let after = if a.kind == "stop" { a.after_s % 30 } else { a.after_s };
            (c.ops[op].submit_s + after, op, a.kind)
        })
        .collect()
}

/// The condition of an op, by its `condition` draw: none, on its input, on its first
/// upstream's status or outputs (falling back to its input without an upstream).
fn condition_of(l: &OpLifeP, up: Option<&str>) -> Option<String> {
    match (l.condition, up) {
        (0..=5, _) => None,
        (6 | 7, _) | (_, None) => Some("inputs.n >= 1".into()),
        (8 | 9, Some(u)) => Some(format!("ops.{u}.status == 'succeeded'")),
        (10, Some(u)) => Some(format!("ops.{u}.status != 'failed' and inputs.n < 2")),
        (_, Some(u)) => Some(format!("ops.{u}.outputs.loss < 0.5")),
    }
}

fn records(c: &Case) -> Vec<TraceRecord> {
    let mut out: Vec<TraceRecord> = Vec::new();
    for (i, o) in c.ops.iter().enumerate() {
        let submit = o.submit_s as Time * 1000;
        // Depend only on an earlier op submitted no later, so the trace is valid.
        let dep = o.dep.map(|d| d % (i.max(1))).filter(|&d| d < i && out[d].submit <= submit);
        out.push(TraceRecord {
            id: format!("op{i}"),
            submit,
            duration: o.duration_s as Time * 1000,
            cpu_milli: o.cpu_half * 500,
            mem_mib: o.mem_gib * 1024,
            gpu: o.gpu,
            queue: o.queue.map(|q| if q == c.queues.len() { "nope".to_string() } else { format!("q{q}") }),
            project: o.project.map(|p| format!("pr{p}")),
            priority: Some(o.priority),
            workflow: o.workflow.map(|w| format!("w{w}")),
            depends_on: dep.map(|d| vec![format!("op{d}")]).unwrap_or_default(),
            constraints: constraints_of(o),
            line: i as u64 + 2,
            estimate: None,
            // Some operations are non-preemptible, some checkpoint every 4 s.
            preemptible: (o.cpu_half % 4 == 0).then_some(false),
            checkpoint: (o.duration_s % 3 == 0).then_some(4000),
            replicas: replicas_of(o),
            ..Default::default()
        });
        let Some(l) = op_life_of(c, i) else { continue };
        let dep2 =
            l.dep2.map(|d| d % (i.max(1))).filter(|&d| d < i && out[d].submit <= submit && Some(d) != dep);
        let r = out.last_mut().expect("just pushed");
        r.depends_on.extend(dep2.map(|d| format!("op{d}")));
        r.timeout = l.timeout_s.map(|t| t as Time * 1000);
        r.retries = l.retries;
        r.retry_backoff = l.backoff_s.map(|b| b as Time * 1000);
        r.fail_probability = l.fail.map(|f| FAIL_P[f]);
        r.approval = l.approval;
        r.cache = l.cache;
        r.cache_key = l.key.map(|k| format!("k{k}"));
        r.component = l.component.map(|k| format!("c{k}"));
        r.cache_ttl = l.ttl_s.map(|t| t as Time * 1000);
        r.inputs = vec![("n".to_string(), Value::Num(f64::from(l.input)))];
        r.outputs = vec![("loss".to_string(), Value::Num(f64::from(l.loss) / 10.0))];
        r.conditions = condition_of(l, r.depends_on.first().map(String::as_str));
        r.trigger = Trigger::by_name(Trigger::NAMES[l.trigger]).unwrap();
        r.skip_on_upstream_skip = l.skip_on_upstream_skip;
    }
    out
}

/// The cache key and TTL an op of the trace uses, worked out from the case (not by the
/// simulator): on by the row's `cache`, else by the scenario's mode (workflows by default);
/// keyed by the explicit key, else by component and inputs; a row with neither has none.
fn cache_of(c: &Case, i: usize, r: &TraceRecord) -> Option<(String, Option<Time>)> {
    let (l, life) = (op_life_of(c, i)?, c.life.as_ref()?);
    let on = l.cache.unwrap_or(match life.cache_mode {
        Some("all") => true,
        Some("off") => false,
        _ => r.workflow.is_some(),
    });
    let key = match (l.key, l.component) {
        (Some(k), _) => format!("key k{k}"),
        (None, Some(comp)) => format!("component c{comp} with n={}", l.input),
        (None, None) => return None,
    };
    let ttl = l.ttl_s.or(life.cache_ttl_s).map(|t| t as Time * 1000);
    on.then_some((key, ttl))
}

/// Placement constraints derived from an op's random fields: GPU work tolerates the GPU taint
/// (and so may sometimes CPU work); priorities ±2 pin a tier.
/// The preemption rate limit of a case (count, window in seconds), derived from its shape.
fn limit_of(c: &Case) -> Option<(usize, i64)> {
    c.ops.len().is_multiple_of(2).then_some((1 + c.queues.len() % 2, 20))
}

/// Gang size of an op, derived from its random fields: mostly 1, some 2 and 3.
fn replicas_of(o: &OpP) -> u32 {
    match o.mem_gib % 6 {
        0 => 2,
        1 if o.cpu_half <= 4 => 3,
        _ => 1,
    }
}

const BUDGET_WINDOW_S: i64 = 40;

/// Whether a queue joins the cohort `shared`, and its borrowing limit in cores if it has one.
fn cohort_of(q: &QueueP) -> Option<Option<u64>> {
    q.quota_cpu.filter(|c| c % 2 == 0).map(|c| (c % 4 == 0).then_some(2))
}

/// A queue's budget per window, derived from its random shape (some queues have none).
fn budget_of(q: &QueueP) -> Option<f64> {
    q.quota_cpu.filter(|c| c % 3 == 0).map(|c| c as f64 / 400.0)
}

/// The preemption policy of a case, derived from its random shape.
fn preemption_of(c: &Case) -> &'static str {
    ["off", "within-queue", "lower-priority"][(c.ops.len() + c.queues.len()) % 3]
}

fn constraints_of(o: &OpP) -> Constraints {
    let mut c = Constraints::default();
    if o.gpu > 0 || o.cpu_half.is_multiple_of(3) {
        c.tolerations = parse_tolerations("gpu=yes:NoSchedule").unwrap();
    }
    match o.priority {
        2 => c.node_selector = parse_selector("tier=t0").unwrap(),
        -2 => c.affinity = parse_affinity("tier notin (t0)").unwrap(),
        _ => {}
    }
    c
}

/// [`simulate`] (kept as the one place a run of a case can be guarded).
fn simulate_guarded(c: &Case) -> Option<(Scenario, Run)> {
    Some(simulate(c))
}

fn simulate(c: &Case) -> (Scenario, Run) {
    let scenario =
        Scenario::parse(&scenario_text(c), Path::new("prop.toml")).expect("generated scenario is valid");
    let (recs, deps) = workload::order(records(c), "prop.csv").expect("generated trace is valid");
    let w = Workload { records: recs, deps, source: "prop.csv".into(), trace_bytes: vec![], seed: 7 };
    let run = engine::run(&scenario, w, RunOptions::default());
    (scenario, run)
}

/// Sweeps intervals `[start, end)` with weights; calls `check` with the running total after
/// every change. Ends at a time come before starts at that time.
fn sweep(
    mut ev: Vec<(Time, i8, Resources)>,
    mut check: impl FnMut(&[i128; MAX_RESOURCES]) -> Result<(), String>,
) -> Result<(), String> {
    ev.sort_by_key(|e| (e.0, e.1));
    let mut acc = [0i128; MAX_RESOURCES];
    for (_, sign, r) in ev {
        for (d, a) in acc.iter_mut().enumerate() {
            *a += i128::from(sign) * r.get(d) as i128;
        }
        check(&acc)?;
    }
    Ok(())
}

/// The trace row an operation plays: `opN`, or `opN-restart` (and the like) for one a
/// scripted action resubmitted.
fn record_of(run: &Run, op: usize) -> usize {
    let id = &run.ids[op];
    id[2..].split('-').next().and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("unexpected id {id}"))
}

fn count(n: u64) -> Resources {
    Resources::ZERO.with(0, n)
}

fn check(c: &Case, scenario: &Scenario, run: &Run) -> Result<(), String> {
    let k = &run.kernel;
    let ops = k.ops();
    // Attempts still running when a horizon cut the run end, for the sweeps, at its end.
    let end_of = |a: &Attempt| a.end.unwrap_or(run.end);
    // Terminal statuses and attempts.
    let mut attempts_of: Vec<Vec<&Attempt>> = vec![Vec::new(); ops.len()];
    for a in &run.attempts {
        attempts_of[a.op.index()].push(a);
        match a.end {
            None if !run.horizon_reached => return Err(format!("attempt of op {} never ended", a.op.0)),
            Some(e) if e < a.start => {
                return Err(format!("attempt of op {} ended before it started", a.op.0))
            }
            _ => {}
        }
    }
    for (i, o) in ops.iter().enumerate() {
        if !o.status.is_terminal() && !cut_short(run) {
            return Err(format!("op {i} ended the run {}", o.status));
        }
        let mine = &attempts_of[i];
        let ended = |how| mine.iter().filter(|a| a.outcome == Some(how)).count() as u32;
        let last = mine.last().map(|a| a.outcome);
        let is_last = |how| last == Some(Some(how));
        let (preempted, lost) = (ended(Outcome::Preempted), ended(Outcome::NodeFailure));
        let failures = ended(Outcome::Failed) + ended(Outcome::Timeout);
        let failed_last = is_last(Outcome::Failed) || is_last(Outcome::Timeout);
        let open = mine.iter().filter(|a| a.end.is_none()).count();
        let what = || format!("op {i} ({}): status {} with {} attempts", run.ids[i], o.status, mine.len());
        // Attempts are numbered 1, 2, ... in order, one per time the kernel started it.
        if mine.iter().enumerate().any(|(n, a)| a.number as usize != n + 1)
            || mine.len() != o.attempts as usize
        {
            return Err(format!("{}: attempt numbers do not count its {} attempts", what(), o.attempts));
        }
        // Every attempt but the last was preempted, lost its node or failed with a retry
        // left; the last one decides the status.
        if o.started.is_some() == mine.is_empty()
            || preempted != o.preemptions
            || lost != o.node_losses
            || (open > 0 && (open > 1 || last != Some(None) || !matches!(o.status, Status::Running)))
            || (ended(Outcome::Succeeded) > 0
                && (ended(Outcome::Succeeded) > 1
                    || !is_last(Outcome::Succeeded)
                    || o.status != Status::Succeeded))
            || (ended(Outcome::Stopped) > 0
                && (ended(Outcome::Stopped) > 1 || !is_last(Outcome::Stopped) || o.status != Status::Stopped))
            || (o.status == Status::Failed && !mine.is_empty() && !failed_last)
            || failures != o.retries + u32::from(o.status == Status::Failed && failed_last)
        {
            return Err(format!(
                "{}: {preempted} preempted, {lost} lost, {failures} failed, {} retries",
                what(),
                o.retries
            ));
        }
        // Succeeded without running: only as a cache hit.
        if o.status == Status::Succeeded
            && !is_last(Outcome::Succeeded)
            && !k.reason(schedlab_policies::OpId(i as u32)).is_some_and(|r| r.starts_with("cache hit"))
        {
            return Err(format!("{}: succeeded without a successful attempt or a cache hit", what()));
        }
        if o.status == Status::Rejected && k.reason(schedlab_policies::OpId(i as u32)).is_none() {
            return Err(format!("op {i} rejected without a reason"));
        }
    }
    // Preemption: only allowed victims, never non-preemptible ones, each for an operation
    // starting on that node at that moment with a claim the policy lets evict it.
    let policy = schedlab_policies::preemption::by_name(preemption_of(c)).unwrap();
    let claim = |i: usize| {
        let o = &ops[i];
        let q = o.queue.unwrap();
        schedlab_policies::preemption::Claim {
            queue: q,
            level: k.queues()[q.index()].spec.level(),
            priority: o.priority,
        }
    };
    for a in run.attempts.iter().filter(|a| a.outcome == Some(Outcome::Preempted)) {
        let v = a.op.index();
        let id = record_of(run, v);
        if c.ops[id].cpu_half.is_multiple_of(4) || !k.queues()[ops[v].queue.unwrap().index()].spec.preemptible
        {
            return Err(format!("non-preemptible op {v} was preempted"));
        }
        let end = a.end.unwrap();
        // The preemptor is one of the other operations starting on one of its nodes at that
        // moment (a gang is evicted whole, for room on any of its nodes).
        // A cohort reclaim instead evicts a borrower for an operation of another member of
        // its cohort starting then, wherever it starts.
        let cohort = |i: usize| k.queues()[ops[i].queue.unwrap().index()].spec.cohort.clone();
        let reclaim = cohort(v).is_some()
            && run.attempts.iter().any(|b| {
                b.start == end && ops[b.op.index()].queue != ops[v].queue && cohort(b.op.index()) == cohort(v)
            });
        let mut starters = run
            .attempts
            .iter()
            .filter(|b| b.op != a.op && b.start == end && b.nodes().any(|n| a.nodes().any(|m| m == n)))
            .peekable();
        if starters.peek().is_none() && !reclaim {
            return Err(format!("op {v} was preempted for nothing at {end}"));
        }
        if !reclaim && !starters.any(|p| policy.may_evict(&claim(p.op.index()), &claim(v))) {
            return Err(format!("op {v} was evicted by an operation its policy does not let evict it"));
        }
    }
    // The rate limit: no window of its length holds more preemptions than it allows.
    if let Some((count, window)) = limit_of(c) {
        let mut times: Vec<Time> = run
            .attempts
            .iter()
            .filter(|a| a.outcome == Some(Outcome::Preempted))
            .filter_map(|a| a.end)
            .collect();
        times.sort_unstable();
        for (i, t) in times.iter().enumerate() {
            let inside = times[i..].iter().take_while(|u| **u < t + window * 1000).count();
            if inside > count {
                return Err(format!("{inside} preemptions within {window} s of {t}, limit {count}"));
            }
        }
    }
    // Nodes never over-committed; ops only on their agent's nodes.
    let mut per_node: BTreeMap<usize, Vec<(Time, i8, Resources)>> = BTreeMap::new();
    let mut per_queue: BTreeMap<usize, Vec<(Time, i8, Resources)>> = BTreeMap::new();
    let mut budget_starts: Vec<(usize, Time)> = Vec::new();
    let mut spending: BTreeMap<usize, Vec<(Time, Time, f64)>> = BTreeMap::new();
    for a in &run.attempts {
        let o = &ops[a.op.index()];
        let q = o.queue.expect("ran, so it had a queue");
        let id = record_of(run, a.op.index());
        // A gang: one attempt holding every replica.
        if a.nodes().count() as u32 != replicas_of(&c.ops[id]) {
            return Err(format!(
                "op {} ran {} replicas of {}",
                a.op.0,
                a.nodes().count(),
                replicas_of(&c.ops[id])
            ));
        }
        let end = end_of(a);
        let mut rate = 0.0;
        for n in a.nodes() {
            let node = &k.nodes()[n.index()];
            if node.spec.agent != k.queues()[q.index()].spec.agent {
                return Err(format!("op {} ran on {} outside its agent", a.op.0, node.spec.name));
            }
            if !constraints_of(&c.ops[id]).allow(&node.spec.labels, &node.spec.taints) {
                return Err(format!("op {} ran on {} against its node constraints", a.op.0, node.spec.name));
            }
            per_node
                .entry(n.index())
                .or_default()
                .extend([(a.start, 1, o.resources), (end, -1, o.resources)]);
            rate += o.resources.dominant_share(&node.spec.allocatable).min(1.0) * node.spec.cost_per_hour;
        }
        // Queue load: CPU/mem/GPU plus a count (in the last dimension) and cost (milli-units/h).
        let load = o
            .total_resources()
            .with(MAX_RESOURCES - 1, 1)
            .with(MAX_RESOURCES - 2, (rate * 1e6).round() as u64);
        per_queue.entry(q.index()).or_default().extend([(a.start, 1, load), (end, -1, load)]);
        spending.entry(q.index()).or_default().push((a.start, end, rate));
        budget_starts.push((q.index(), a.start));
    }
    // Cohorts: no member above its quota plus borrowing limit, and the members' draws on the
    // shared pool (usage above quota, as nothing is kept back from lending) within the sum
    // of their quotas.
    let members: Vec<usize> =
        (0..k.queues().len()).filter(|&q| k.queues()[q].spec.cohort.is_some()).collect();
    let mut ev: Vec<(Time, i8, usize, u64)> = Vec::new();
    for a in &run.attempts {
        let o = &ops[a.op.index()];
        let q = o.queue.unwrap().index();
        if members.contains(&q) {
            let cpu = o.total_resources().get(CPU);
            ev.extend([(a.start, 1, q, cpu), (end_of(a), -1, q, cpu)]);
        }
    }
    ev.sort_by_key(|e| (e.0, e.1));
    let pool: u64 = members.iter().map(|&q| k.queues()[q].spec.quota.get(CPU)).sum();
    let mut used: BTreeMap<usize, i128> = BTreeMap::new();
    for (t, sign, q, cpu) in ev {
        *used.entry(q).or_default() += i128::from(sign) * cpu as i128;
        let spec = &k.queues()[q].spec;
        let ceiling = spec.quota.get(CPU).saturating_add(spec.borrowing_limit.get(CPU));
        if used[&q] > ceiling as i128 {
            return Err(format!("queue {} above its quota plus borrowing limit at {t}", spec.name));
        }
        let drawn: i128 =
            used.iter().map(|(&m, &u)| (u - k.queues()[m].spec.quota.get(CPU) as i128).max(0)).sum();
        let own: i128 = used.iter().map(|(&m, &u)| u.min(k.queues()[m].spec.quota.get(CPU) as i128)).sum();
        if drawn + own > pool as i128 {
            return Err(format!("cohort over its pool at {t}: {drawn} borrowed + {own} own > {pool}"));
        }
    }
    // Budgets: recompute each queue's spending in the window of every start from its attempts.
    for (q, start) in budget_starts {
        let Some(b) = k.queues()[q].spec.budget else { continue };
        let w0 = start.div_euclid(b.window) * b.window;
        let spent: f64 = spending[&q]
            .iter()
            .map(|&(s, e, rate)| rate * (e.min(start) - s.max(w0)).max(0) as f64 / 3_600_000.0)
            .sum();
        if spent >= b.amount + 1e-9 {
            return Err(format!(
                "queue {} started work at {start} with {spent} of its {} spent",
                k.queues()[q].spec.name,
                b.amount
            ));
        }
    }
    for (n, ev) in per_node {
        let alloc = k.nodes()[n].spec.allocatable;
        sweep(ev, |acc| {
            for d in [CPU, MEM, GPU] {
                if acc[d] > alloc.get(d) as i128 {
                    return Err(format!("node {n} over-committed in dimension {d}"));
                }
            }
            Ok(())
        })?;
    }
    for (q, ev) in per_queue {
        let spec = &k.queues()[q].spec;
        let conc = spec.concurrency.map(i128::from);
        let quota_cpu = spec.quota.get(CPU);
        let cost = spec.cost_per_hour_quota.map(|c| (c * 1e6).round() as i128 + 4);
        sweep(ev, |acc| {
            if conc.is_some_and(|c| acc[MAX_RESOURCES - 1] > c) {
                return Err(format!("queue {} above its concurrency", spec.name));
            }
            if quota_cpu != u64::MAX && spec.cohort.is_none() && acc[CPU] > quota_cpu as i128 {
                return Err(format!("queue {} above its CPU quota", spec.name));
            }
            if cost.is_some_and(|c| acc[MAX_RESOURCES - 2] > c) {
                return Err(format!("queue {} above its cost quota", spec.name));
            }
            Ok(())
        })?;
    }
    // Workflow concurrency: an op holds a slot from queued until it ends.
    let wfs = k.workflows();
    let mut direct: BTreeMap<usize, Vec<(Time, i8, Resources)>> = BTreeMap::new();
    let mut tree: BTreeMap<usize, Vec<(Time, i8, Resources)>> = BTreeMap::new();
    for o in ops {
        let (Some(w), Some(q), Some(e)) = (o.workflow, o.queued_at, o.ended) else {
            continue;
        };
        direct.entry(w.index()).or_default().extend([(q, 1, count(1)), (e, -1, count(1))]);
        tree.entry(wfs[w.index()].controller.index())
            .or_default()
            .extend([(q, 1, count(1)), (e, -1, count(1))]);
    }
    for (label, map) in [("workflow", direct), ("controller", tree)] {
        for (w, ev) in map {
            let limit = wfs[w].spec.concurrency.map(i128::from);
            sweep(ev, |acc| match limit {
                Some(l) if acc[0] > l => Err(format!("{label} {} above its concurrency", wfs[w].spec.name)),
                _ => Ok(()),
            })?;
        }
    }
    let _ = scenario;
    Ok(())
}

/// What an operation's trigger says given how many of its `total` upstream operations ended
/// succeeded (or skipped) and how many ended otherwise. Written from the trigger rules, not
/// taken from the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Run,
    Never,
    Wait,
}

fn verdict(t: Trigger, ok: usize, bad: usize, total: usize) -> Verdict {
    let done = ok + bad == total;
    let (run, never) = match t {
        Trigger::AllSucceeded => (bad == 0 && done, bad > 0),
        Trigger::AllFailed => (ok == 0 && done, ok > 0),
        Trigger::AllDone => (done, false),
        Trigger::OneSucceeded => (ok > 0, ok == 0 && done),
        Trigger::OneFailed => (bad > 0, bad == 0 && done),
        Trigger::OneDone => (ok + bad > 0, false),
    };
    match (run, never) {
        (true, _) => Verdict::Run,
        (_, true) => Verdict::Never,
        _ => Verdict::Wait,
    }
}

/// Whether an operation in this status holds a slot of its workflows.
fn holds_slot(s: Status) -> bool {
    matches!(s, Status::Queued | Status::Scheduled | Status::Running | Status::Retrying)
}

/// The lifecycle properties, from the status journal and the attempts. See the module
/// documentation.
fn check_lifecycle(c: &Case, run: &Run) -> Result<(), String> {
    let k = &run.kernel;
    let ops = k.ops();
    let journal = &run.statuses;
    let recs = records(c);
    let name = |i: usize| format!("op {i} ({})", run.ids[i]);
    let by_name: HashMap<&str, usize> = run.ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
    let mut attempts_of: Vec<Vec<&Attempt>> = vec![Vec::new(); ops.len()];
    for a in &run.attempts {
        attempts_of[a.op.index()].push(a);
    }

    // 1. One terminal transition per operation, last, equal to its final status.
    if run.ids.len() != ops.len() {
        return Err(format!("{} operations but {} ids", ops.len(), run.ids.len()));
    }
    let mut of_op: Vec<Vec<usize>> = vec![Vec::new(); ops.len()];
    for (j, s) in journal.iter().enumerate() {
        if s.op.index() >= ops.len() {
            return Err(format!("journal entry {j} names unknown operation {}", s.op.0));
        }
        if j > 0 && s.time < journal[j - 1].time {
            return Err(format!(
                "journal entry {j} ({} {} at {}) goes back in time",
                name(s.op.index()),
                s.status,
                s.time
            ));
        }
        of_op[s.op.index()].push(j);
    }
    let mut term: Vec<Option<usize>> = vec![None; ops.len()];
    for (i, o) in ops.iter().enumerate() {
        let js = &of_op[i];
        if js.first().map(|&j| journal[j].status) != Some(Status::Created) {
            return Err(format!("{}: journal does not begin with `created`", name(i)));
        }
        let terminals: Vec<usize> = js.iter().copied().filter(|&j| journal[j].status.is_terminal()).collect();
        let last = *js.last().expect("not empty");
        match terminals.as_slice() {
            [] if cut_short(run) => {}
            [t] => {
                if *t != last {
                    let after: Vec<String> = js
                        .iter()
                        .filter(|&&j| j > *t)
                        .map(|&j| format!("{} at {}", journal[j].status, journal[j].time))
                        .collect();
                    return Err(format!(
                        "{}: transitions after its terminal `{}` at {}: {}",
                        name(i),
                        journal[*t].status,
                        journal[*t].time,
                        after.join(", ")
                    ));
                }
                if o.ended != Some(journal[*t].time) {
                    return Err(format!(
                        "{}: ended {:?} but journaled {} at {}",
                        name(i),
                        o.ended,
                        journal[*t].status,
                        journal[*t].time
                    ));
                }
                term[i] = Some(*t);
            }
            _ => {
                let all: Vec<String> = terminals
                    .iter()
                    .map(|&j| format!("{} at {}", journal[j].status, journal[j].time))
                    .collect();
                return Err(format!(
                    "{}: {} terminal transitions ({}), expected {}",
                    name(i),
                    terminals.len(),
                    all.join(", "),
                    if cut_short(run) { "at most one" } else { "exactly one" }
                ));
            }
        }
        if journal[last].status != o.status {
            return Err(format!(
                "{}: final status {} but last journaled {}",
                name(i),
                o.status,
                journal[last].status
            ));
        }
    }
    let first = |i: usize, s: Status| of_op[i].iter().copied().find(|&j| journal[j].status == s);

    // 2. Triggers. An operation with upstream operations is decided (compiled, skipped for a
    // skipped upstream, or upstream_failed) as its trigger says, applied to its upstream
    // operations in the order they ended: the first decisive one decides, at its end (or at
    // the submission, when they all ended before). So nothing is compiled, let alone
    // queued, before its trigger holds.
    for r in &recs {
        if r.depends_on.is_empty() {
            continue;
        }
        let Some(&d) = by_name.get(r.id.as_str()) else { continue };
        let ups: Vec<usize> = r.depends_on.iter().map(|u| by_name[u.as_str()]).collect();
        let show = |before: usize| {
            let all: Vec<String> = ups
                .iter()
                .map(|&u| match term[u] {
                    Some(t) if t < before => {
                        format!("{} ended {} at {}", run.ids[u], journal[t].status, journal[t].time)
                    }
                    _ => format!("{} not ended", run.ids[u]),
                })
                .collect();
            all.join(", ")
        };
        // Its decision: the first transition after `created` (none yet: cut by the horizon).
        let Some(&jd) = of_op[d].get(1) else { continue };
        let decided = journal[jd].status;
        let created = journal[of_op[d][0]].time;
        // The model: upstream ends before the decision, in journal order.
        let mut ended: Vec<usize> = ups.iter().filter_map(|&u| term[u]).filter(|&t| t < jd).collect();
        ended.sort_unstable();
        let (mut ok, mut bad) = (0, 0);
        let mut expected = (None, created);
        for &t in &ended {
            let status = journal[t].status;
            let at = journal[t].time.max(created);
            if status == Status::Skipped && r.skip_on_upstream_skip {
                expected = (Some(Status::Skipped), at);
                break;
            }
            if matches!(status, Status::Succeeded | Status::Skipped) {
                ok += 1;
            } else {
                bad += 1;
            }
            match verdict(r.trigger, ok, bad, ups.len()) {
                Verdict::Run => expected = (Some(Status::Compiled), at),
                Verdict::Never => expected = (Some(Status::UpstreamFailed), at),
                Verdict::Wait => continue,
            }
            break;
        }
        // Stopped or rejected while it waited (or rejected at submission): decided from outside.
        if matches!(decided, Status::Stopped | Status::Rejected) {
            continue;
        }
        if expected != (Some(decided), journal[jd].time) {
            return Err(format!(
                "{} became {decided} at {} but trigger {}{} on its upstream in the order they ended \
                 says {:?} at {}: {}",
                name(d),
                journal[jd].time,
                r.trigger.as_str(),
                if r.skip_on_upstream_skip { " (skipping on a skipped upstream)" } else { "" },
                expected.0,
                expected.1,
                show(jd)
            ));
        }
        // In the brief's terms: queued no earlier than every upstream it needed ended.
        let needed_all = matches!(r.trigger, Trigger::AllSucceeded | Trigger::AllFailed | Trigger::AllDone);
        if let Some(jq) = first(d, Status::Queued).filter(|_| needed_all) {
            if ups.iter().any(|&u| term[u].is_none_or(|t| t > jq)) {
                return Err(format!(
                    "{} queued at {} before all its upstream ended: {}",
                    name(d),
                    journal[jq].time,
                    show(jq)
                ));
            }
        }
    }

    // 3. Workflow concurrency, replaying the journal: a workflow's own operations, and a
    // controller's leaf operations, holding a slot (queued to retrying).
    let wfs = k.workflows();
    let mut holding = vec![false; ops.len()];
    let mut direct = vec![0u32; wfs.len()];
    let mut tree = vec![0u32; wfs.len()];
    for s in journal {
        let i = s.op.index();
        let Some(w) = ops[i].workflow else { continue };
        let ctrl = wfs[w.index()].controller.index();
        let now = holds_slot(s.status);
        if now == holding[i] {
            continue;
        }
        holding[i] = now;
        if !now {
            direct[w.index()] -= 1;
            tree[ctrl] -= 1;
            continue;
        }
        direct[w.index()] += 1;
        tree[ctrl] += 1;
        for (label, wf, n) in [("workflow", w.index(), direct[w.index()]), ("controller", ctrl, tree[ctrl])] {
            if wfs[wf].spec.concurrency.is_some_and(|l| n > l) {
                return Err(format!(
                    "{label} {} has {n} operations holding slots at {} (concurrency {}), after {} became {}",
                    wfs[wf].spec.name,
                    s.time,
                    wfs[wf].spec.concurrency.unwrap(),
                    name(i),
                    s.status
                ));
            }
        }
    }

    // 4. The cache, by key (worked out from the case; resubmitted operations use none).
    let mut keys: BTreeMap<String, Vec<(usize, Option<Time>)>> = BTreeMap::new();
    let mut key_of: Vec<Option<String>> = vec![None; ops.len()];
    for (ri, r) in recs.iter().enumerate() {
        if let (Some((key, ttl)), Some(&i)) = (cache_of(c, ri, r), by_name.get(r.id.as_str())) {
            keys.entry(key.clone()).or_default().push((i, ttl));
            key_of[i] = Some(key);
        }
    }
    let successes = |i: usize| {
        attempts_of[i].iter().filter(|a| a.outcome == Some(Outcome::Succeeded)).filter_map(|a| a.end).next()
    };
    for (key, members) in &keys {
        // (a) Operations of a key never run at the same time: one source runs, the rest
        // wait for it.
        for (x, &(i, _)) in members.iter().enumerate() {
            for &(j, _) in &members[x + 1..] {
                for a in &attempts_of[i] {
                    for b in &attempts_of[j] {
                        let (ae, be) = (a.end.unwrap_or(Time::MAX), b.end.unwrap_or(Time::MAX));
                        if a.start < be && b.start < ae {
                            return Err(format!(
                                "cache {key}: {} ran [{}, {ae}) while {} ran [{}, {be})",
                                name(i),
                                a.start,
                                name(j),
                                b.start
                            ));
                        }
                    }
                }
            }
        }
        // (c) No operation runs after a success of its key that is fresh for it when nothing
        // else took over the key since: an operation that did not wait for another, compiled
        // (at `ct`) after another operation of the key succeeded by running (at `s`), with
        // ct - s within its TTL, and no third operation of the key compiled in between
        // without a cache hit, must have been a hit.
        let hit = |i: usize| {
            k.reason(schedlab_policies::OpId(i as u32)).is_some_and(|r| r.starts_with("cache hit"))
        };
        let waited = |i: usize| {
            of_op[i].iter().any(|&j| {
                journal[j].reason.as_deref().is_some_and(|r| r.starts_with("waiting for operation"))
            })
        };
        for &(t, ttl) in members {
            let Some(jc) = first(t, Status::Compiled) else { continue };
            if attempts_of[t].is_empty() || waited(t) {
                continue;
            }
            let compiled = journal[jc].time;
            for &(s, _) in members.iter().filter(|m| m.0 != t) {
                let Some((js, done)) =
                    term[s].filter(|_| successes(s).is_some()).map(|j| (j, journal[j].time))
                else {
                    continue;
                };
                let took_over = members.iter().any(|&(x, _)| {
                    x != s
                        && x != t
                        && !hit(x)
                        && of_op[x].iter().any(|&j| j > js && j < jc && journal[j].status == Status::Compiled)
                });
                if js < jc && !took_over && ttl.is_none_or(|ttl| compiled - done <= ttl) {
                    return Err(format!(
                        "cache {key}: {} (compiled at {compiled}, TTL {ttl:?}) ran although {} succeeded at \
                         {done} and nothing else compiled on the key since",
                        name(t),
                        name(s)
                    ));
                }
            }
        }
        check_cache_strict(key, members, run, &attempts_of, &|i| {
            first(i, Status::Compiled).map(|j| journal[j].time)
        })?;
    }
    // (b) Cache hits reuse a success of their own key, no older than their TTL, and never run.
    for (i, o) in ops.iter().enumerate() {
        let reason = k.reason(schedlab_policies::OpId(i as u32)).unwrap_or("");
        let Some(source) = reason.strip_prefix("cache hit: operation ") else { continue };
        let source: usize = source.parse().map_err(|_| format!("{}: odd reason `{reason}`", name(i)))?;
        let Some(key) = &key_of[i] else {
            return Err(format!("{} is a cache hit but uses no cache", name(i)));
        };
        let ttl = keys[key].iter().find(|m| m.0 == i).and_then(|m| m.1);
        let hit = o.ended.unwrap_or(Time::MAX);
        let done = successes(source);
        if o.status != Status::Succeeded
            || !attempts_of[i].is_empty()
            || key_of.get(source) != Some(&key_of[i])
            || done.is_none_or(|d| d > hit || ttl.is_some_and(|ttl| hit - d > ttl))
        {
            return Err(format!(
                "{} ({key}, TTL {ttl:?}) hit at {hit} with {} attempts on {} ({:?}) which succeeded at {done:?}",
                name(i),
                attempts_of[i].len(),
                name(source),
                key_of.get(source)
            ));
        }
    }

    // 5. Termination: attempts within the timeout, retries after their backoff, at most
    // 1 + retries failed attempts; failure injection at its configured extremes.
    for (i, o) in ops.iter().enumerate() {
        let Some(q) = o.queue.map(|q| q.index()) else { continue };
        let ri = record_of(run, i);
        let r = &recs[ri];
        let ql = queue_life(c, q);
        let timeout = r.timeout.or(ql.timeout_s.map(|t| t as Time * 1000));
        let retries = r.retries.or(ql.retries).unwrap_or(0);
        let backoff = r.retry_backoff.or(ql.backoff_s.map(|b| b as Time * 1000)).unwrap_or(0);
        let fail_p = r
            .fail_probability
            .or(ql.fail.map(|f| FAIL_P[f]))
            .or(c.life.as_ref().and_then(|l| l.default_fail).map(|f| FAIL_P[f]))
            .unwrap_or(0.0);
        if o.timeout != timeout || o.max_retries != retries || o.retry_backoff != backoff {
            return Err(format!(
                "{}: timeout {:?}, retries {}, backoff {} but configured {timeout:?}, {retries}, {backoff}",
                name(i),
                o.timeout,
                o.max_retries,
                o.retry_backoff
            ));
        }
        let mut failures = 0;
        for a in &attempts_of[i] {
            let ran = a.end.unwrap_or(run.end) - a.start;
            if timeout.is_some_and(|t| ran > t) {
                return Err(format!("{}: attempt {} ran {ran} ms, timeout {timeout:?}", name(i), a.number));
            }
            if a.outcome == Some(Outcome::Timeout) && Some(ran) != timeout {
                return Err(format!(
                    "{}: attempt {} timed out after {ran} ms, timeout {timeout:?}",
                    name(i),
                    a.number
                ));
            }
            let failed = matches!(a.outcome, Some(Outcome::Failed | Outcome::Timeout));
            failures += u32::from(failed);
            if (fail_p == 0.0 && a.outcome == Some(Outcome::Failed))
                || (fail_p == 1.0 && a.outcome == Some(Outcome::Succeeded))
            {
                return Err(format!(
                    "{}: attempt {} {:?} with fail_probability {fail_p}",
                    name(i),
                    a.number,
                    a.outcome
                ));
            }
        }
        if failures > 1 + retries {
            return Err(format!("{}: {failures} attempts failed or timed out, retries {retries}", name(i)));
        }
        // The k-th retry goes back on its queue backoff × 2^(k-1) after the failure.
        let js = &of_op[i];
        let mut k_retry = 0u32;
        for (x, &j) in js.iter().enumerate() {
            if journal[j].status != Status::Retrying {
                continue;
            }
            k_retry += 1;
            let due = journal[j].time + backoff * (1 << (k_retry - 1));
            match js.get(x + 1).map(|&n| &journal[n]) {
                None if cut_short(run) => {}
                Some(n) if n.status == Status::Queued && n.time == due => {}
                Some(n) if n.status == Status::Stopped && n.time <= due => {}
                n => {
                    return Err(format!(
                        "{}: retry {k_retry} (failed at {}, backoff {backoff}) due at {due}, then {:?}",
                        name(i),
                        journal[j].time,
                        n.map(|n| (n.status, n.time))
                    ))
                }
            }
        }
    }
    // 6. Scripted stops: one applied (at `t`, to an operation submitted and not ended
    // before) ends the operation at `t`, and nothing of it starts from then on.
    for (at_s, op, kind) in actions_of(c) {
        let t = Time::from(at_s) * 1000;
        let Some(&x) = by_name.get(format!("op{op}").as_str()).filter(|_| kind == "stop") else { continue };
        let created = journal[of_op[x][0]].time;
        let ended = term[x].map(|j| journal[j].time);
        if created > t || ended.is_some_and(|e| e < t) {
            continue;
        }
        let late = attempts_of[x].iter().find(|a| a.start >= t && a.end != Some(t));
        if ended != Some(t) || late.is_some() {
            if ended.is_none() && cut_short(run) {
                continue;
            }
            return Err(format!(
                "{} was stopped at {t} but ended {} at {ended:?}{}",
                name(x),
                ops[x].status,
                late.map(|a| format!(", running attempt {} from {}", a.number, a.start)).unwrap_or_default()
            ));
        }
    }
    Ok(())
}

/// Whether the run ended with work left: cut by its horizon.
fn cut_short(run: &Run) -> bool {
    run.horizon_reached
}

/// Property 4 as the brief states it: an operation of a key never runs when another
/// operation of the key succeeded (by running, before this one started) within this one's
/// TTL of its compilation, whatever happened on the key in between.
fn check_cache_strict(
    key: &str,
    members: &[(usize, Option<Time>)],
    run: &Run,
    attempts_of: &[Vec<&Attempt>],
    compiled_at: &dyn Fn(usize) -> Option<Time>,
) -> Result<(), String> {
    let success =
        |i: usize| attempts_of[i].iter().find(|a| a.outcome == Some(Outcome::Succeeded)).and_then(|a| a.end);
    for &(t, ttl) in members {
        let (Some(a), Some(compiled)) = (attempts_of[t].first(), compiled_at(t)) else { continue };
        for &(s, _) in members.iter().filter(|m| m.0 != t) {
            let Some(done) = success(s).filter(|&d| d <= a.start) else { continue };
            if ttl.is_none_or(|ttl| compiled - done <= ttl) {
                return Err(format!(
                    "cache {key}: op {t} ({}) compiled at {compiled} with TTL {ttl:?} ran at {} although op \
                     {s} ({}) succeeded at {done}",
                    run.ids[t], a.start, run.ids[s]
                ));
            }
        }
    }
    Ok(())
}

fn files(scenario: &Scenario, run: &Run, dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let summary = metrics::summarise(scenario, run, scenario.seed, b"");
    output::write_run(dir, scenario, run, &summary).unwrap();
    output::FILES.iter().map(|f| (f.to_string(), std::fs::read(dir.join(f)).unwrap())).collect()
}

/// Runs a case and checks every invariant; on failure (with SCHEDLAB_DUMP=1) writes the case
/// as `/tmp/prop.toml` and `/tmp/prop.csv` to replay by hand.
fn run_and_check(c: &Case) -> Result<(), String> {
    let Some((scenario, run)) = simulate_guarded(c) else { return Ok(()) };
    let result = check(c, &scenario, &run).and_then(|()| check_lifecycle(c, &run));
    if result.is_err() && std::env::var_os("SCHEDLAB_DUMP").is_some() {
        std::fs::write("/tmp/prop.toml", scenario_text(c).replace("unused.csv", "prop.csv")).unwrap();
        let mut buf = Vec::new();
        schedlab_traces::write_native(&records(c), &mut buf).unwrap();
        std::fs::write("/tmp/prop.csv", buf).unwrap();
    }
    result.map_err(|e| format!("{e}\nscenario:\n{}", scenario_text(c)))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_on_random_scenarios(c in case_with_life(0.3)) {
        if let Err(e) = run_and_check(&c) {
            prop_assert!(false, "{e}");
        }
    }

    #[test]
    fn lifecycle_invariants_hold_on_random_scenarios(c in lifecycle_case()) {
        if let Err(e) = run_and_check(&c) {
            prop_assert!(false, "{e}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn same_seed_gives_identical_bytes(c in case_with_life(0.7)) {
        let base = std::env::temp_dir().join(format!("schedlab-prop-{}", std::process::id()));
        let Some((s1, r1)) = simulate_guarded(&c) else { return Ok(()) };
        let (s2, r2) = simulate(&c);
        let a = files(&s1, &r1, &base.join("a"));
        let b = files(&s2, &r2, &base.join("b"));
        let _ = std::fs::remove_dir_all(&base);
        prop_assert_eq!(a, b);
    }
}
