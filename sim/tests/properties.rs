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

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;
use schedlab_policies::model::{parse_affinity, parse_selector, parse_tolerations, Constraints, Status};
use schedlab_policies::resources::{Resources, CPU, GPU, MAX_RESOURCES, MEM};
use schedlab_policies::Time;
use schedlab_sim::attempt::Outcome;
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
            let workflows = (0usize..=3).prop_flat_map(|n| {
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
        })
}

fn scenario_text(c: &Case) -> String {
    let mut s = format!(
        "name = \"prop\"\nseed = 7\n[policy]\ndispatch = \"{}\"\nplacement = \"{}\"\npreemption = \"{}\"\nmin_runtime = {}\n",
        c.dispatch,
        c.placement,
        preemption_of(c),
        c.ops.len() % 3
    );
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
    s += "[workload]\ntrace = \"unused.csv\"\n[output]\nsample_interval = \"5s\"\n";
    s
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
    }
    out
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

fn count(n: u64) -> Resources {
    Resources::ZERO.with(0, n)
}

fn check(c: &Case, scenario: &Scenario, run: &Run) -> Result<(), String> {
    let k = &run.kernel;
    let ops = k.ops();
    // Terminal statuses and attempts.
    let mut attempts_of = vec![0u32; ops.len()];
    for a in &run.attempts {
        attempts_of[a.op.index()] += 1;
        match a.end {
            None => return Err(format!("attempt of op {} never ended", a.op.0)),
            Some(e) if e < a.start => {
                return Err(format!("attempt of op {} ended before it started", a.op.0))
            }
            _ => {}
        }
    }
    for (i, o) in ops.iter().enumerate() {
        if !o.status.is_terminal() {
            return Err(format!("op {i} ended the run {}", o.status));
        }
        // Every attempt but the last was preempted; the last succeeded.
        let ran = o.started.is_some();
        let ended = |how| run.attempts.iter().filter(|a| a.op.index() == i && a.outcome == Some(how)).count();
        let (preempted, lost) = (ended(Outcome::Preempted), ended(Outcome::NodeFailure));
        if ran != (attempts_of[i] >= 1)
            || (o.status == Status::Succeeded) != ran
            || preempted as u32 != o.preemptions
            || lost as u32 != o.node_losses
            || (ran && attempts_of[i] != o.preemptions + o.node_losses + 1)
        {
            return Err(format!("op {i}: status {} with {} attempts", o.status, attempts_of[i]));
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
        let id: usize = run.ids[v][2..].parse().unwrap();
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
        let id: usize = run.ids[a.op.index()][2..].parse().unwrap();
        // A gang: one attempt holding every replica.
        if a.nodes().count() as u32 != replicas_of(&c.ops[id]) {
            return Err(format!(
                "op {} ran {} replicas of {}",
                a.op.0,
                a.nodes().count(),
                replicas_of(&c.ops[id])
            ));
        }
        let end = a.end.unwrap();
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
            ev.extend([(a.start, 1, q, cpu), (a.end.unwrap(), -1, q, cpu)]);
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

fn files(scenario: &Scenario, run: &Run, dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let summary = metrics::summarise(scenario, run, scenario.seed, b"");
    output::write_run(dir, scenario, run, &summary).unwrap();
    output::FILES.iter().map(|f| (f.to_string(), std::fs::read(dir.join(f)).unwrap())).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_on_random_scenarios(c in case()) {
        let (scenario, run) = simulate(&c);
        if let Err(e) = check(&c, &scenario, &run) {
            // SCHEDLAB_DUMP=1 writes the failing case as a scenario and trace to replay by hand.
            if std::env::var_os("SCHEDLAB_DUMP").is_some() {
                std::fs::write("/tmp/prop.toml", scenario_text(&c).replace("unused.csv", "prop.csv")).unwrap();
                let mut buf = Vec::new();
                schedlab_traces::write_native(&records(&c), &mut buf).unwrap();
                std::fs::write("/tmp/prop.csv", buf).unwrap();
            }
            prop_assert!(false, "{e}\nscenario:\n{}", scenario_text(&c));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn same_seed_gives_identical_bytes(c in case()) {
        let base = std::env::temp_dir().join(format!("schedlab-prop-{}", std::process::id()));
        let (s1, r1) = simulate(&c);
        let (s2, r2) = simulate(&c);
        let a = files(&s1, &r1, &base.join("a"));
        let b = files(&s2, &r2, &base.join("b"));
        let _ = std::fs::remove_dir_all(&base);
        prop_assert_eq!(a, b);
    }
}
