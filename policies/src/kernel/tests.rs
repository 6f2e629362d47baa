//! Hand-computed scenarios driven by a minimal in-test event loop.

use std::collections::BTreeMap;

use super::*;
use crate::model::{OpSpec, QueueRef};
use crate::time::SECOND;

/// A one-agent kernel with `nodes` nodes of 4 CPU / 16 GiB and the given policies.
fn kernel(dispatch: &str, placement: &str, nodes: usize) -> (Kernel, AgentId) {
    let mut k = Kernel::new(KernelConfig::by_name(dispatch, placement).unwrap());
    let a = k.add_agent(AgentSpec { name: "a".into(), namespace: None }).unwrap();
    for i in 0..nodes {
        k.add_node(node(&format!("n{i}"), a, 4000, 16384, 0)).unwrap();
    }
    (k, a)
}

fn node(name: &str, agent: AgentId, cpu: u64, mem: u64, gpu: u64) -> NodeSpec {
    NodeSpec {
        name: name.into(),
        agent,
        pool: "p".into(),
        labels: vec![],
        taints: vec![],
        allocatable: Resources::new(cpu, mem, gpu),
        cost_per_hour: 4.0,
    }
}

fn queue(k: &mut Kernel, name: &str, agent: AgentId, priority: Option<i32>, conc: Option<u32>) -> QueueId {
    let mut q = QueueSpec::new(name, agent);
    q.priority = priority;
    q.concurrency = conc;
    k.add_queue(q).unwrap()
}

fn op(queue: QueueId, cpu: u64) -> OpSpec {
    OpSpec::new(QueueRef::Id(queue), Resources::new(cpu, 1024, 0))
}

/// Runs submissions `(time, spec, duration)` to completion; returns each op's (start, end).
/// A preempted attempt's end is cancelled; the next attempt runs what its checkpoints left.
fn run(k: &mut Kernel, subs: Vec<(Time, OpSpec, Time)>) -> Vec<(Option<Time>, Option<Time>)> {
    let mut arrivals: BTreeMap<Time, Vec<(OpSpec, Time)>> = BTreeMap::new();
    for (t, s, d) in subs {
        arrivals.entry(t).or_default().push((s, d));
    }
    let mut durations = BTreeMap::new();
    let mut ends: BTreeMap<(Time, u32), OpId> = BTreeMap::new();
    let mut end_of: BTreeMap<OpId, Time> = BTreeMap::new();
    let mut out = Vec::new();
    loop {
        let next_end = ends.keys().next().map(|k| k.0);
        let next_arr = arrivals.keys().next().copied();
        let wake = k.next_wakeup();
        let Some(now) = [next_end, next_arr, wake].into_iter().flatten().min() else { break };
        while let Some((&(t, i), &id)) = ends.iter().next() {
            if t != now {
                break;
            }
            ends.remove(&(t, i));
            end_of.remove(&id);
            k.observe(now, Observation::AttemptSucceeded { op: id }).unwrap();
        }
        if next_arr == Some(now) {
            for (s, d) in arrivals.remove(&now).unwrap() {
                let id = k.submit(now, s);
                durations.insert(id, d);
            }
        }
        out.clear();
        k.decide(now, &mut out);
        for d in &out {
            match d {
                Decision::Start { op, .. } => {
                    k.observe(now, Observation::AttemptStarted { op: *op }).unwrap();
                    let end = now + durations[op] - k.op(*op).unwrap().saved;
                    ends.insert((end, op.0), *op);
                    end_of.insert(*op, end);
                }
                Decision::Preempt { op } | Decision::Timeout { op } => {
                    let end = end_of.remove(op).expect("a preempted op was running");
                    ends.remove(&(end, op.0));
                }
                Decision::Stop { .. } | Decision::AwaitApproval { .. } => {}
            }
        }
    }
    k.ops().iter().map(|o| (o.started, o.ended)).collect()
}

fn starts(r: &[(Option<Time>, Option<Time>)]) -> Vec<Option<Time>> {
    r.iter().map(|x| x.0.map(|t| t / SECOND)).collect()
}

#[test]
fn priority_levels_are_served_highest_first() {
    // One node holds one 4-CPU op at a time. Low is submitted first, yet high goes first;
    // the default (unset) priority is the highest level of all.
    let (mut k, a) = kernel("priority", "first-fit", 1);
    let low = queue(&mut k, "low", a, Some(1), None);
    let high = queue(&mut k, "high", a, Some(10), None);
    let top = queue(&mut k, "top", a, None, None);
    let r = run(
        &mut k,
        vec![
            (0, op(low, 4000), 10 * SECOND),
            (0, op(high, 4000), 10 * SECOND),
            (0, op(top, 4000), 10 * SECOND),
            (0, op(high, 4000), 10 * SECOND),
        ],
    );
    assert_eq!(starts(&r), vec![Some(30), Some(10), Some(0), Some(20)]);
}

#[test]
fn fifo_ignores_levels() {
    let (mut k, a) = kernel("fifo", "first-fit", 1);
    let low = queue(&mut k, "low", a, Some(1), None);
    let high = queue(&mut k, "high", a, Some(10), None);
    let r = run(&mut k, vec![(0, op(low, 4000), 10 * SECOND), (0, op(high, 4000), 10 * SECOND)]);
    assert_eq!(starts(&r), vec![Some(0), Some(10)]);
}

#[test]
fn queues_of_one_level_take_turns() {
    // Two queues at one level, four nodes: the queue with fewer running goes next.
    let (mut k, a) = kernel("priority", "first-fit", 4);
    let x = queue(&mut k, "x", a, Some(5), None);
    let y = queue(&mut k, "y", a, Some(5), None);
    let mut subs = Vec::new();
    for _ in 0..4 {
        subs.push((0, op(x, 4000), 10 * SECOND));
    }
    for _ in 0..4 {
        subs.push((0, op(y, 4000), 10 * SECOND));
    }
    let r = run(&mut k, subs);
    assert_eq!(starts(&r), vec![Some(0), Some(0), Some(10), Some(10), Some(0), Some(0), Some(10), Some(10)]);
}

#[test]
fn queue_concurrency_and_quota_hold() {
    let (mut k, a) = kernel("priority", "first-fit", 4);
    let c = queue(&mut k, "c", a, None, Some(1));
    let mut qs = QueueSpec::new("quota", a);
    qs.quota = Resources::UNLIMITED.with(crate::resources::CPU, 3000);
    let quota = k.add_queue(qs).unwrap();
    let r = run(
        &mut k,
        vec![
            (0, op(c, 1000), 5 * SECOND),
            (0, op(c, 1000), 5 * SECOND),
            (0, op(quota, 2000), 5 * SECOND),
            (0, op(quota, 2000), 5 * SECOND),
            (0, op(quota, 1000), 5 * SECOND),
        ],
    );
    // Concurrency 1 serialises `c`. Quota 3 CPU: the second 2-CPU op would make 4, so it
    // waits for the first; the 1-CPU op behind it waits too (a queue yields in order).
    assert_eq!(starts(&r), vec![Some(0), Some(5), Some(0), Some(5), Some(5)]);
}

#[test]
fn controller_concurrency_blocks_a_nested_workflow() {
    // Controller `outer` (concurrency 2) contains `inner` (concurrency 5). Inner's own limit
    // would allow 3 at once, but the controller counts leaf operations beneath it.
    let (mut k, a) = kernel("priority", "first-fit", 8);
    let q = queue(&mut k, "q", a, None, None);
    let outer =
        k.add_workflow(WorkflowSpec { name: "outer".into(), concurrency: Some(2), parent: None }).unwrap();
    let inner = k
        .add_workflow(WorkflowSpec { name: "inner".into(), concurrency: Some(5), parent: Some(outer) })
        .unwrap();
    let mut subs = Vec::new();
    for d in [10, 20, 30] {
        let mut s = op(q, 1000);
        s.workflow = Some(inner);
        subs.push((0, s, d * SECOND));
    }
    let mut s = op(q, 1000);
    s.workflow = Some(outer);
    subs.push((SECOND, s, 10 * SECOND));
    let r = run(&mut k, subs);
    // t=0: inner#0, inner#1 queued (controller full). t=10: inner#0 ends, inner#2 (held
    // since t=0, older than outer's op) goes. t=20: inner#1 ends, outer's op goes.
    assert_eq!(starts(&r), vec![Some(0), Some(0), Some(10), Some(20)]);
    assert_eq!(k.ops()[2].queued_at, Some(10 * SECOND));
}

#[test]
fn direct_concurrency_limits_a_workflow() {
    let (mut k, a) = kernel("priority", "first-fit", 8);
    let q = queue(&mut k, "q", a, None, None);
    let w = k.add_workflow(WorkflowSpec { name: "w".into(), concurrency: Some(1), parent: None }).unwrap();
    let mut subs = Vec::new();
    for _ in 0..3 {
        let mut s = op(q, 1000);
        s.workflow = Some(w);
        subs.push((0, s, 10 * SECOND));
    }
    subs.push((0, op(q, 1000), 10 * SECOND));
    let r = run(&mut k, subs);
    assert_eq!(starts(&r), vec![Some(0), Some(10), Some(20), Some(0)]);
}

#[test]
fn default_queue_comes_from_project_then_organisation() {
    let (mut k, a) = kernel("priority", "first-fit", 1);
    let org_q = queue(&mut k, "org", a, None, None);
    let proj_q = queue(&mut k, "proj", a, None, None);
    k.set_org_default_queue(Some(org_q));
    let p = k
        .add_project(ProjectSpec { name: "p".into(), default_queue: Some(proj_q), allowed_queues: None })
        .unwrap();
    let bare = k
        .add_project(ProjectSpec { name: "bare".into(), default_queue: None, allowed_queues: None })
        .unwrap();
    let mut s1 = OpSpec::new(QueueRef::Default, Resources::new(1000, 1, 0));
    s1.project = Some(p);
    let mut s2 = s1.clone();
    s2.project = Some(bare);
    let s3 = OpSpec::new(QueueRef::Default, Resources::new(1000, 1, 0));
    let a1 = k.submit(0, s1);
    let a2 = k.submit(0, s2);
    let a3 = k.submit(0, s3);
    assert_eq!(k.op(a1).unwrap().queue, Some(proj_q));
    assert_eq!(k.op(a2).unwrap().queue, Some(org_q));
    assert_eq!(k.op(a3).unwrap().queue, Some(org_q));
}

#[test]
fn invalid_submissions_are_rejected_with_a_reason() {
    let (mut k, a) = kernel("priority", "first-fit", 1);
    let ok = queue(&mut k, "ok", a, None, None);
    let other = queue(&mut k, "other", a, None, None);
    let p = k
        .add_project(ProjectSpec { name: "p".into(), default_queue: None, allowed_queues: Some(vec![ok]) })
        .unwrap();
    let unknown = k.submit(0, OpSpec::new(QueueRef::Unknown("nope".into()), Resources::new(1, 1, 0)));
    let mut forbidden = op(other, 1000);
    forbidden.project = Some(p);
    let forbidden = k.submit(0, forbidden);
    let too_big = k.submit(0, op(ok, 5000));
    let no_queue = k.submit(0, OpSpec::new(QueueRef::Default, Resources::new(1, 1, 0)));
    for id in [unknown, forbidden, too_big, no_queue] {
        assert_eq!(k.op(id).unwrap().status, Status::Rejected);
    }
    assert_eq!(k.reason(unknown), Some("unknown queue `nope`"));
    assert_eq!(k.reason(forbidden), Some("project `p` may not use queue `other` (allowed: ok)"));
    assert_eq!(
        k.reason(too_big),
        Some("requests cpu=5 memory=1024Mi which no node of agent `a` can hold (largest per resource: cpu=4 memory=16384Mi)")
    );
    assert!(k.reason(no_queue).unwrap().contains("no default queue"));
}

#[test]
fn operations_run_only_on_their_agents_nodes() {
    let mut k = Kernel::new(KernelConfig::default());
    let a = k.add_agent(AgentSpec { name: "a".into(), namespace: None }).unwrap();
    let b = k.add_agent(AgentSpec { name: "b".into(), namespace: None }).unwrap();
    k.add_node(node("a0", a, 4000, 4096, 0)).unwrap();
    let b0 = k.add_node(node("b0", b, 64000, 4096, 0)).unwrap();
    let qb = queue(&mut k, "qb", b, None, None);
    run(&mut k, vec![(0, op(qb, 1000), SECOND), (0, op(qb, 1000), SECOND)]);
    assert!(k.ops().iter().all(|o| o.node == Some(b0) && o.status == Status::Succeeded));
}

#[test]
fn dependencies_compile_downstream_or_fail_it() {
    let (mut k, a) = kernel("priority", "first-fit", 1);
    let q = queue(&mut k, "q", a, None, None);
    let up = k.submit(0, op(q, 1000));
    let mut s = op(q, 1000);
    s.depends_on = vec![up];
    let down = k.submit(0, s);
    let mut s = op(q, 1000);
    s.depends_on = vec![down];
    let downdown = k.submit(0, s);
    let mut out = Vec::new();
    k.decide(0, &mut out);
    assert_eq!(out, vec![Decision::Start { op: up, node: NodeId(0) }]);
    assert_eq!(k.op(down).unwrap().status, Status::Created);
    k.observe(0, Observation::AttemptStarted { op: up }).unwrap();
    k.observe(5, Observation::AttemptFailed { op: up, reason: "oom".into() }).unwrap();
    assert_eq!(k.op(down).unwrap().status, Status::UpstreamFailed);
    assert_eq!(k.op(downdown).unwrap().status, Status::UpstreamFailed);
    assert_eq!(k.reason(up), Some("oom"));
}

#[test]
fn stop_removes_queued_work_and_stops_running_work() {
    let (mut k, a) = kernel("priority", "first-fit", 1);
    let q = queue(&mut k, "q", a, None, None);
    let running = k.submit(0, op(q, 4000));
    let waiting = k.submit(0, op(q, 4000));
    let mut out = Vec::new();
    k.decide(0, &mut out);
    k.observe(0, Observation::AttemptStarted { op: running }).unwrap();
    k.observe(1, Observation::StopRequested { op: waiting }).unwrap();
    assert_eq!(k.op(waiting).unwrap().status, Status::Stopped);
    assert_eq!(k.queues()[q.index()].queued(), 0);
    k.observe(1, Observation::StopRequested { op: running }).unwrap();
    out.clear();
    k.decide(1, &mut out);
    assert_eq!(out, vec![Decision::Stop { op: running }]);
    k.observe(2, Observation::AttemptStopped { op: running }).unwrap();
    assert_eq!(k.op(running).unwrap().status, Status::Stopped);
    assert!(k.used().is_zero());
    // Stale or duplicate events are refused, not panicked on.
    assert!(k.observe(3, Observation::AttemptSucceeded { op: running }).is_err());
    assert!(k.observe(3, Observation::AttemptStarted { op: OpId(99) }).is_err());
}

#[test]
fn cost_is_the_dominant_share_of_the_node_price() {
    // Node: 4 CPU / 16 GiB at 4.0 per hour; 1 CPU and 8 GiB → half the node → 2.0 per hour.
    let (mut k, a) = kernel("priority", "first-fit", 1);
    let q = queue(&mut k, "q", a, None, None);
    run(&mut k, vec![(0, OpSpec::new(QueueRef::Id(q), Resources::new(1000, 8192, 0)), 1800 * SECOND)]);
    assert!((k.ops()[0].cost - 1.0).abs() < 1e-9);
}

#[test]
fn cost_quota_caps_the_running_cost_rate() {
    let (mut k, a) = kernel("priority", "first-fit", 4);
    let mut qs = QueueSpec::new("capped", a);
    qs.cost_per_hour_quota = Some(5.0);
    let q = k.add_queue(qs).unwrap();
    // Each op costs 2.0 per hour: two fit under 5.0, the third waits.
    let r = run(
        &mut k,
        vec![(0, op(q, 2000), 10 * SECOND), (0, op(q, 2000), 10 * SECOND), (0, op(q, 2000), 10 * SECOND)],
    );
    assert_eq!(starts(&r), vec![Some(0), Some(0), Some(10)]);
}

#[test]
fn best_fit_packs_first_fit_spreads_by_order() {
    for (placement, expect) in [("first-fit", 0u32), ("best-fit", 1u32)] {
        let mut k = Kernel::new(KernelConfig::by_name("priority", placement).unwrap());
        let a = k.add_agent(AgentSpec { name: "a".into(), namespace: None }).unwrap();
        k.add_node(node("big", a, 8000, 100, 0)).unwrap();
        k.add_node(node("small", a, 2000, 100, 0)).unwrap();
        let q = queue(&mut k, "q", a, None, None);
        let mut s = op(q, 2000);
        s.resources = Resources::new(2000, 10, 0);
        run(&mut k, vec![(0, s, SECOND)]);
        assert_eq!(k.ops()[0].node, Some(NodeId(expect)), "{placement}");
    }
}

#[test]
fn an_operation_that_could_never_fit_the_cost_quota_is_rejected() {
    let (mut k, a) = kernel("priority", "first-fit", 1);
    let mut qs = QueueSpec::new("capped", a);
    qs.cost_per_hour_quota = Some(1.0);
    let q = k.add_queue(qs).unwrap();
    // Half the node (4.0/h) costs 2.0/h: more than the whole cap.
    let id = k.submit(0, op(q, 2000));
    assert_eq!(k.op(id).unwrap().status, Status::Rejected);
    assert!(k.reason(id).unwrap().contains("cost quota of 1/h"), "{:?}", k.reason(id));
}

#[test]
fn adopted_attempts_hold_their_resources_and_slots() {
    // A restarted driver finds op 0 already running on the only node: op 1 must wait for it.
    let (mut k, a) = kernel("priority", "first-fit", 1);
    let q = queue(&mut k, "q", a, None, Some(1));
    let w = k.add_workflow(WorkflowSpec { name: "w".into(), concurrency: Some(1), parent: None }).unwrap();
    let mut s = op(q, 4000);
    s.workflow = Some(w);
    let running = k.submit(0, s.clone());
    let waiting = k.submit(0, s);
    k.observe(5, Observation::AttemptAdopted { op: running, node: NodeId(0), since: 1 }).unwrap();
    let o = k.op(running).unwrap();
    assert_eq!((o.status, o.started, o.node), (Status::Running, Some(1), Some(NodeId(0))));
    let mut out = Vec::new();
    k.decide(5, &mut out);
    assert!(out.is_empty(), "node, queue and workflow are all taken: {out:?}");
    assert_eq!(k.op(waiting).unwrap().status, Status::Compiled);
    k.observe(10, Observation::AttemptSucceeded { op: running }).unwrap();
    k.decide(10, &mut out);
    assert_eq!(out, vec![Decision::Start { op: waiting, node: NodeId(0) }]);
    // Adopting twice, or onto a node of another agent, is refused.
    assert!(k.observe(11, Observation::AttemptAdopted { op: running, node: NodeId(0), since: 1 }).is_err());
}

#[test]
fn constraints_pick_classes_and_taints_need_tolerations() {
    use crate::model::{parse_affinity, parse_selector, parse_tolerations, Constraints, Taint};
    let mut k = Kernel::new(KernelConfig::by_name("priority", "first-fit").unwrap());
    let a = k.add_agent(AgentSpec { name: "a".into(), namespace: None }).unwrap();
    let mut plain = node("cpu-0", a, 8000, 16384, 0);
    plain.labels = vec![("zone".into(), "a".into())];
    let mut gpu = node("gpu-0", a, 8000, 16384, 4);
    gpu.labels = vec![("zone".into(), "b".into())];
    gpu.taints =
        vec![Taint { key: "nvidia.com/gpu".into(), value: "present".into(), effect: "NoSchedule".into() }];
    let cpu_node = k.add_node(plain).unwrap();
    let gpu_node = k.add_node(gpu).unwrap();
    let q = queue(&mut k, "q", a, None, None);
    let mut gq = QueueSpec::new("gpu", a);
    gq.constraints = Constraints {
        tolerations: parse_tolerations("nvidia.com/gpu:NoSchedule").unwrap(),
        ..Default::default()
    };
    let gq = k.add_queue(gq).unwrap();
    // No toleration: the tainted GPU node is out, so a GPU request can never fit.
    let untolerated = k.submit(0, OpSpec::new(QueueRef::Id(q), Resources::new(1000, 1, 1)));
    assert_eq!(k.op(untolerated).unwrap().status, Status::Rejected);
    // The GPU queue's toleration lets it in.
    let on_gpu = k.submit(0, OpSpec::new(QueueRef::Id(gq), Resources::new(1000, 1, 1)));
    // A selector for zone b on a queue without the toleration matches no usable node.
    let mut zone_b = OpSpec::new(QueueRef::Id(q), Resources::new(1000, 1, 0));
    zone_b.constraints.node_selector = parse_selector("zone=b").unwrap();
    let zone_b = k.submit(0, zone_b);
    assert!(k.reason(zone_b).unwrap().contains("matches its node selector"), "{:?}", k.reason(zone_b));
    // Affinity away from zone a: only the GPU node, via the GPU queue.
    let mut not_a = OpSpec::new(QueueRef::Id(gq), Resources::new(1000, 1, 0));
    not_a.constraints.affinity = parse_affinity("zone notin (a)").unwrap();
    let not_a = k.submit(0, not_a);
    let plain_op = k.submit(0, OpSpec::new(QueueRef::Id(q), Resources::new(1000, 1, 0)));
    let mut out = Vec::new();
    k.decide(0, &mut out);
    assert_eq!(k.op(on_gpu).unwrap().node, Some(gpu_node));
    assert_eq!(k.op(not_a).unwrap().node, Some(gpu_node));
    assert_eq!(k.op(plain_op).unwrap().node, Some(cpu_node));
}

#[test]
fn a_freed_node_wakes_only_queues_allowed_on_it() {
    use crate::model::{parse_selector, Constraints};
    let mut k = Kernel::new(KernelConfig::by_name("priority", "best-fit").unwrap());
    let a = k.add_agent(AgentSpec { name: "a".into(), namespace: None }).unwrap();
    let mut x = node("x-0", a, 4000, 16384, 0);
    x.labels = vec![("pool".into(), "x".into())];
    let mut y = node("y-0", a, 4000, 16384, 0);
    y.labels = vec![("pool".into(), "y".into())];
    k.add_node(x).unwrap();
    let y0 = k.add_node(y).unwrap();
    let mut qs = QueueSpec::new("only-y", a);
    qs.constraints = Constraints { node_selector: parse_selector("pool=y").unwrap(), ..Default::default() };
    let qy = k.add_queue(qs).unwrap();
    let r = run(&mut k, vec![(0, op(qy, 4000), 10 * SECOND), (0, op(qy, 4000), 10 * SECOND)]);
    // Node x stays idle: the second op waits for y.
    assert_eq!(starts(&r), vec![Some(0), Some(10)]);
    assert!(k.ops().iter().all(|o| o.node == Some(y0)));
}

fn preempting(policy: &str, min_runtime: Time, nodes: usize) -> (Kernel, AgentId) {
    let config =
        KernelConfig::by_name("priority", "first-fit").unwrap().with_preemption(policy, min_runtime).unwrap();
    let mut k = Kernel::new(config);
    let a = k.add_agent(AgentSpec { name: "a".into(), namespace: None }).unwrap();
    for i in 0..nodes {
        k.add_node(node(&format!("n{i}"), a, 4000, 16384, 0)).unwrap();
    }
    (k, a)
}

#[test]
fn a_higher_level_preempts_a_lower_one_which_restarts_or_resumes() {
    // One 4-CPU node. L (level 1, 100 s) starts at 0; H (level 10, 50 s) arrives at 10 and
    // evicts it; H ends at 60 and L starts again: from scratch (ends 160, 10 s lost) or, with
    // 4 s checkpoints, from 8 s (ends 152, 2 s lost).
    for (checkpoint, end, lost) in [(None, 160, 10), (Some(4 * SECOND), 152, 2)] {
        let (mut k, a) = preempting("lower-priority", 0, 1);
        let low = queue(&mut k, "low", a, Some(1), None);
        let high = queue(&mut k, "high", a, Some(10), None);
        let mut l = op(low, 4000);
        l.checkpoint = checkpoint;
        let r = run(&mut k, vec![(0, l, 100 * SECOND), (10 * SECOND, op(high, 4000), 50 * SECOND)]);
        assert_eq!(r[1], (Some(10 * SECOND), Some(60 * SECOND)));
        assert_eq!(r[0], (Some(60 * SECOND), Some(end * SECOND)));
        let o = &k.ops()[0];
        assert_eq!((o.preemptions, o.work_lost, o.attempts, o.first_started), (1, lost * SECOND, 2, Some(0)));
    }
}

#[test]
fn preemption_policies_pick_their_victims() {
    // A running 100 s op and an urgent (op priority 9) one arriving at 10 s, on one node.
    // Another queue of the same level is never a victim; the same queue's lower-priority op
    // is, except with preemption off.
    for (policy, evicts_same_queue) in [("off", false), ("within-queue", true), ("lower-priority", true)] {
        let (mut k, a) = preempting(policy, 0, 1);
        let q1 = queue(&mut k, "q1", a, Some(5), None);
        let q2 = queue(&mut k, "q2", a, Some(5), None);
        let mut urgent = op(q1, 4000);
        urgent.priority = 9;
        let r = run(&mut k, vec![(0, op(q2, 4000), 100 * SECOND), (10 * SECOND, urgent, 10 * SECOND)]);
        assert_eq!(r[1].0, Some(100 * SECOND), "{policy}: same level, other queue");

        let (mut k, a) = preempting(policy, 0, 1);
        let q = queue(&mut k, "q", a, Some(5), None);
        let mut urgent = op(q, 4000);
        urgent.priority = 9;
        let r = run(&mut k, vec![(0, op(q, 4000), 100 * SECOND), (10 * SECOND, urgent, 10 * SECOND)]);
        let expect = if evicts_same_queue { 10 } else { 100 };
        assert_eq!(r[1].0, Some(expect * SECOND), "{policy}: same queue, lower priority");
    }
}

#[test]
fn non_preemptible_work_and_young_attempts_are_spared() {
    // Non-preemptible operation.
    let (mut k, a) = preempting("lower-priority", 0, 1);
    let low = queue(&mut k, "low", a, Some(1), None);
    let high = queue(&mut k, "high", a, Some(10), None);
    let mut l = op(low, 4000);
    l.preemptible = false;
    let r = run(&mut k, vec![(0, l, 100 * SECOND), (10 * SECOND, op(high, 4000), 10 * SECOND)]);
    assert_eq!(r[1].0, Some(100 * SECOND));
    // Non-preemptible queue.
    let (mut k, a) = preempting("lower-priority", 0, 1);
    let mut qs = QueueSpec::new("low", a);
    qs.priority = Some(1);
    qs.preemptible = false;
    let low = k.add_queue(qs).unwrap();
    let high = queue(&mut k, "high", a, Some(10), None);
    let r = run(&mut k, vec![(0, op(low, 4000), 100 * SECOND), (10 * SECOND, op(high, 4000), 10 * SECOND)]);
    assert_eq!(r[1].0, Some(100 * SECOND));
    // Minimum run time of 30 s: H arrives at 10 s and waits until the victim has run 30 s;
    // the kernel asks to be woken then.
    let (mut k, a) = preempting("lower-priority", 30 * SECOND, 1);
    let low = queue(&mut k, "low", a, Some(1), None);
    let high = queue(&mut k, "high", a, Some(10), None);
    let r = run(&mut k, vec![(0, op(low, 4000), 100 * SECOND), (10 * SECOND, op(high, 4000), 10 * SECOND)]);
    assert_eq!(r[1].0, Some(30 * SECOND));
    assert_eq!(k.next_wakeup(), None);
}

#[test]
fn the_smallest_victim_set_on_one_node() {
    // n0 holds two 2-CPU low ops, n1 one 4-CPU low op: a 4-CPU high op evicts only n1's.
    let (mut k, a) = preempting("lower-priority", 0, 2);
    let low = queue(&mut k, "low", a, Some(1), None);
    let high = queue(&mut k, "high", a, Some(10), None);
    let r = run(
        &mut k,
        vec![
            (0, op(low, 2000), 100 * SECOND),
            (0, op(low, 2000), 100 * SECOND),
            (0, op(low, 4000), 100 * SECOND),
            (10 * SECOND, op(high, 4000), 10 * SECOND),
        ],
    );
    assert_eq!(k.ops()[3].node, Some(NodeId(1)));
    assert_eq!(r[3].0, Some(10 * SECOND));
    assert_eq!(k.ops().iter().map(|o| o.preemptions).collect::<Vec<_>>(), vec![0, 0, 1, 0]);
}

#[test]
fn a_preemption_rate_limit_defers_evictions() {
    // At most one preemption per 60 s. Two high ops arrive at 10 s on two busy nodes: one
    // evicts at once, the other waits for the window to roll over at 70 s.
    let config = KernelConfig::by_name("priority", "first-fit")
        .unwrap()
        .with_preemption("lower-priority", 0)
        .unwrap()
        .with_preemption_limit(1, 60 * SECOND);
    let mut k = Kernel::new(config);
    let a = k.add_agent(AgentSpec { name: "a".into(), namespace: None }).unwrap();
    for i in 0..2 {
        k.add_node(node(&format!("n{i}"), a, 4000, 16384, 0)).unwrap();
    }
    let low = queue(&mut k, "low", a, Some(1), None);
    let high = queue(&mut k, "high", a, Some(10), None);
    let r = run(
        &mut k,
        vec![
            (0, op(low, 4000), 1000 * SECOND),
            (0, op(low, 4000), 1000 * SECOND),
            (10 * SECOND, op(high, 4000), 500 * SECOND),
            (10 * SECOND, op(high, 4000), 5 * SECOND),
        ],
    );
    assert_eq!(r[2].0, Some(10 * SECOND));
    // The second high op may only evict at 70 s, when the first preemption leaves the window.
    assert_eq!(r[3].0, Some(70 * SECOND));
    assert_eq!(k.ops().iter().map(|o| o.preemptions).sum::<u32>(), 2);
}

#[test]
fn drf_equalises_resource_shares_where_priority_equalises_counts() {
    // 8 CPUs on two nodes; queue A asks 2 CPUs per op, queue B 1 CPU, same level, all at 0.
    // `priority` alternates by running count: A gets 3 ops (6 CPUs), B 2 (2 CPUs).
    // `drf` alternates by dominant share: A 2 ops (4 CPUs), B 4 ops (4 CPUs).
    for (dispatch, a_ops, b_ops) in [("priority", 3, 2), ("drf", 2, 4)] {
        let mut k = Kernel::new(KernelConfig::by_name(dispatch, "first-fit").unwrap());
        let ag = k.add_agent(AgentSpec { name: "a".into(), namespace: None }).unwrap();
        for i in 0..2 {
            k.add_node(node(&format!("n{i}"), ag, 4000, 16384, 0)).unwrap();
        }
        let qa = queue(&mut k, "A", ag, Some(1), None);
        let qb = queue(&mut k, "B", ag, Some(1), None);
        let mut subs = Vec::new();
        for _ in 0..6 {
            subs.push((0, op(qa, 2000), 10 * SECOND));
        }
        for _ in 0..6 {
            subs.push((0, op(qb, 1000), 10 * SECOND));
        }
        let r = run(&mut k, subs);
        let at_zero = |range: std::ops::Range<usize>| r[range].iter().filter(|x| x.0 == Some(0)).count();
        assert_eq!((at_zero(0..6), at_zero(6..12)), (a_ops, b_ops), "{dispatch}");
    }
}

#[test]
fn aging_lets_old_work_overtake_newer_higher_priority_work() {
    // One node, busy until 4000 s. A (priority 0) waits from 0 s, B (priority 5) from 3600 s.
    // Without aging B goes first at 4000 s; with 10 points an hour A has 11.1 > 6.1 and wins.
    for (aging, first) in [(0.0, 2usize), (10.0, 1usize)] {
        let config = KernelConfig::by_name("priority", "first-fit").unwrap().with_aging(aging);
        let mut k = Kernel::new(config);
        let a = k.add_agent(AgentSpec { name: "a".into(), namespace: None }).unwrap();
        k.add_node(node("n0", a, 4000, 16384, 0)).unwrap();
        let q = queue(&mut k, "q", a, None, None);
        let mut hi = op(q, 4000);
        hi.priority = 5;
        let r = run(
            &mut k,
            vec![
                (0, op(q, 4000), 4000 * SECOND),
                (0, op(q, 4000), 10 * SECOND),
                (3600 * SECOND, hi, 10 * SECOND),
            ],
        );
        assert_eq!(r[first].0, Some(4000 * SECOND), "aging {aging}");
    }
}

#[test]
fn backfill_modes_start_work_behind_a_blocked_head() {
    // One 4-CPU node. X (2 CPUs, 100 s) runs from 0. H (4 CPUs, 10 s) arrives at 1 and must
    // wait for X. B (2 CPUs, 200 s) arrives at 2, A (2 CPUs, 50 s) at 3. Estimates are exact.
    //  off:         nothing passes H: H 100, then B and A together at 110.
    //  best-effort: B fits at 2 and starts; A starts when X ends (100); H waits for B: 202.
    //  easy:        H is reserved for 100; B would end at 202 and is held back; A ends at 53,
    //               before the reservation, and starts at 3; H at 100; B at 110.
    for (mode, h, b, a) in [("off", 100, 110, 110), ("best-effort", 202, 2, 100), ("easy", 100, 110, 3)] {
        let config = KernelConfig::by_name("priority", "first-fit").unwrap().with_backfill(mode).unwrap();
        let mut k = Kernel::new(config);
        let ag = k.add_agent(AgentSpec { name: "a".into(), namespace: None }).unwrap();
        k.add_node(node("n0", ag, 4000, 16384, 0)).unwrap();
        let q = queue(&mut k, "q", ag, None, None);
        let with_estimate = |cpu: u64, secs: i64| {
            let mut s = op(q, cpu);
            s.estimate = Some(secs * SECOND);
            (s, secs * SECOND)
        };
        let (x, dx) = with_estimate(2000, 100);
        let (hh, dh) = with_estimate(4000, 10);
        let (bb, db) = with_estimate(2000, 200);
        let (aa, da) = with_estimate(2000, 50);
        let r = run(&mut k, vec![(0, x, dx), (SECOND, hh, dh), (2 * SECOND, bb, db), (3 * SECOND, aa, da)]);
        assert_eq!(starts(&r), vec![Some(0), Some(h), Some(b), Some(a)], "{mode}");
    }
}

#[test]
fn a_lost_node_sends_its_work_back_to_the_queue_and_holds_nothing_until_restored() {
    let (mut k, a) = kernel("priority", "first-fit", 2);
    let q = queue(&mut k, "q", a, Some(1), None);
    let mut out = Vec::new();
    let x = k.submit(0, op(q, 3000));
    let y = k.submit(0, op(q, 3000));
    let z = k.submit(0, op(q, 3000));
    k.decide(0, &mut out);
    assert_eq!(
        out,
        vec![Decision::Start { op: x, node: NodeId(0) }, Decision::Start { op: y, node: NodeId(1) }]
    );
    for d in &out {
        if let Decision::Start { op, .. } = d {
            k.observe(0, Observation::AttemptStarted { op: *op }).unwrap();
        }
    }
    k.observe(10 * SECOND, Observation::NodeLost { node: NodeId(0) }).unwrap();
    assert_eq!(k.capacity(), Resources::new(4000, 16384, 0));
    out.clear();
    k.decide(10 * SECOND, &mut out);
    // x is back on its queue ahead of z (its old place), but nothing fits while n0 is gone.
    assert_eq!(out, vec![Decision::Preempt { op: x }]);
    let xo = k.op(x).unwrap();
    assert_eq!(
        (xo.status, xo.node_losses, xo.preemptions, xo.work_lost),
        (Status::Queued, 1, 0, 10 * SECOND)
    );
    assert!(!k.nodes()[0].is_up());
    assert_eq!(
        k.observe(11 * SECOND, Observation::NodeLost { node: NodeId(0) }).unwrap_err().0,
        "node `n0` is already lost"
    );
    k.observe(20 * SECOND, Observation::NodeRestored { node: NodeId(0) }).unwrap();
    out.clear();
    k.decide(20 * SECOND, &mut out);
    assert_eq!(out, vec![Decision::Start { op: x, node: NodeId(0) }]);
    assert_eq!(k.op(z).unwrap().status, Status::Queued);
    assert_eq!(k.op(x).unwrap().attempts, 2);
}

#[test]
fn a_spent_budget_holds_the_queue_until_the_next_window() {
    use crate::time::{HOUR, MINUTE};
    // Node: 4 CPU at 4.0/h; each op takes the whole node (4.0/h) for 20 minutes (1.33).
    // Budget 2.0 per hour: a (0–20 min) spends 1.33, b starts at 20 min with 1.33 < 2 spent
    // and ends at 40 min with 2.67 spent: c must wait for the next window, at 60 min, and
    // d then starts at 80 min (1.33 spent in the new window).
    let (mut k, a) = kernel("priority", "first-fit", 1);
    let mut qs = QueueSpec::new("metered", a);
    qs.budget = Some(crate::model::Budget { amount: 2.0, window: HOUR });
    let q = k.add_queue(qs).unwrap();
    let r = run(&mut k, (0..4).map(|_| (0, op(q, 4000), 20 * MINUTE)).collect());
    let mins: Vec<_> = r.iter().map(|x| x.0.map(|t| t / MINUTE)).collect();
    assert_eq!(mins, vec![Some(0), Some(20), Some(60), Some(80)]);
    let spent = k.queues()[q.index()].spent_in_window(100 * MINUTE);
    assert!((spent - 8.0 / 3.0).abs() < 1e-9, "{spent}");
    assert!((k.ops().iter().map(|o| o.cost).sum::<f64>() - 16.0 / 3.0).abs() < 1e-9);
}

#[test]
fn a_gang_starts_whole_or_not_at_all_and_is_preempted_as_a_whole() {
    let mut k = Kernel::new(
        KernelConfig::by_name("priority", "first-fit").unwrap().with_preemption("lower-priority", 0).unwrap(),
    );
    let a = k.add_agent(AgentSpec { name: "a".into(), namespace: None }).unwrap();
    for i in 0..2 {
        k.add_node(node(&format!("n{i}"), a, 4000, 16384, 0)).unwrap();
    }
    let lo = queue(&mut k, "lo", a, Some(1), None);
    let hi = queue(&mut k, "hi", a, Some(10), None);
    let mut gang = op(lo, 3000);
    gang.replicas = 2;
    // t=0: `small` takes 2 CPU of n0, so only n1 could hold a replica: the gang waits, holding
    // nothing, until `small` ends at 10 s; both replicas then start (n0 and n1). At 20 s
    // `urgent` needs a whole node: evicting the gang frees both; `urgent` takes n0 and the gang
    // waits for it to end (30 s) rather than run one replica on n1.
    let r = run(
        &mut k,
        vec![
            (0, op(lo, 2000), 10 * SECOND),
            (0, gang, 100 * SECOND),
            (20 * SECOND, op(hi, 4000), 10 * SECOND),
        ],
    );
    assert_eq!(starts(&r), vec![Some(0), Some(30), Some(20)]);
    let g = &k.ops()[1];
    assert_eq!((g.preemptions, g.attempts, g.first_started), (1, 2, Some(10 * SECOND)));
    assert_eq!(g.ended, Some(130 * SECOND));
    assert_eq!(g.total_resources(), Resources::new(6000, 2048, 0));
    // Everything is released: both nodes free again.
    assert!(k.nodes().iter().all(|n| n.free == n.spec.allocatable && n.running_ops().count() == 0));
}

#[test]
fn a_gang_larger_than_the_agent_is_rejected_with_the_room_there_is() {
    let (mut k, a) = kernel("priority", "first-fit", 2);
    let q = queue(&mut k, "q", a, None, None);
    let mut g = op(q, 3000);
    g.replicas = 3;
    let id = k.submit(0, g);
    assert_eq!(k.op(id).unwrap().status, Status::Rejected);
    assert_eq!(
        k.reason(id).unwrap(),
        "is a gang of 3 replicas of cpu=3 memory=1024Mi but the nodes of agent `a` it may use hold at most 2 at once"
    );
}

#[test]
fn fair_share_serves_the_project_that_used_less_and_usage_decays_by_half_life() {
    use crate::time::{HOUR, MINUTE};
    let mut k = Kernel::new(KernelConfig::by_name("fair-share", "first-fit").unwrap().with_half_life(HOUR));
    let a = k.add_agent(AgentSpec { name: "a".into(), namespace: None }).unwrap();
    k.add_node(node("n0", a, 4000, 16384, 0)).unwrap();
    let q = queue(&mut k, "q", a, None, None);
    let pa =
        k.add_project(ProjectSpec { name: "A".into(), default_queue: None, allowed_queues: None }).unwrap();
    let pb =
        k.add_project(ProjectSpec { name: "B".into(), default_queue: None, allowed_queues: None }).unwrap();
    let of = |p, cpu| {
        let mut s = op(q, cpu);
        s.project = Some(p);
        s
    };
    // A1 holds the whole node 0–30 min: A has used 0.5 share-hours. A2 is submitted before
    // B1, yet B1 goes first at 30 min (B used nothing), then A2 at 40 min; with `priority`
    // dispatch A2 would have gone first.
    let r = run(
        &mut k,
        vec![
            (0, of(pa, 4000), 30 * MINUTE),
            (MINUTE, of(pa, 4000), 10 * MINUTE),
            (MINUTE, of(pb, 4000), 10 * MINUTE),
        ],
    );
    let mins: Vec<_> = r.iter().map(|x| x.0.map(|t| t / MINUTE)).collect();
    assert_eq!(mins, vec![Some(0), Some(40), Some(30)]);
    // A: 0.5 charged at 30 min and 1/6 at 50 min; B: 1/6 at 40 min. One hour after 50 min,
    // each has halved (A: 0.5·2^(-80/60) + 1/6·2^(-1)).
    let at = 110 * MINUTE;
    let ua = k.project_usage(Some(pa), at);
    let ub = k.project_usage(Some(pb), at);
    assert!((ua - (0.5 * (-80.0f64 / 60.0).exp2() + 1.0 / 12.0)).abs() < 1e-12, "{ua}");
    assert!((ub - (1.0 / 6.0) * (-70.0f64 / 60.0).exp2()).abs() < 1e-12, "{ub}");
}

fn cohort_kernel(a_borrow: Option<u64>, b_lend: Option<u64>) -> (Kernel, QueueId, QueueId) {
    let mut k = Kernel::new(KernelConfig::by_name("priority", "first-fit").unwrap());
    let a = k.add_agent(AgentSpec { name: "a".into(), namespace: None }).unwrap();
    for i in 0..2 {
        k.add_node(node(&format!("n{i}"), a, 4000, 16384, 0)).unwrap();
    }
    let mut qa = QueueSpec::new("A", a);
    qa.quota = Resources::UNLIMITED.with(crate::resources::CPU, 4000);
    qa.cohort = Some("c".into());
    if let Some(b) = a_borrow {
        qa.borrowing_limit = Resources::UNLIMITED.with(crate::resources::CPU, b);
    }
    let mut qb = QueueSpec::new("B", a);
    qb.quota = qa.quota;
    qb.cohort = Some("c".into());
    qb.lending_limit = b_lend.map(|l| Resources::UNLIMITED.with(crate::resources::CPU, l));
    let qa = k.add_queue(qa).unwrap();
    let qb = k.add_queue(qb).unwrap();
    (k, qa, qb)
}

#[test]
fn a_cohort_lends_unused_quota_and_reclaims_it_by_evicting_the_latest_borrower() {
    // A and B own 4 CPU each. A borrows B's idle 4 CPU for a2 (started at 1 s). B's b1 asks
    // for its own at 10 s: a2, the most recent borrower, is evicted and b1 takes its node; a2
    // borrows again when b1 ends at 20 s and runs its full 100 s.
    let (mut k, qa, qb) = cohort_kernel(None, None);
    let r = run(
        &mut k,
        vec![
            (0, op(qa, 4000), 100 * SECOND),
            (SECOND, op(qa, 4000), 100 * SECOND),
            (10 * SECOND, op(qb, 4000), 10 * SECOND),
        ],
    );
    assert_eq!(starts(&r), vec![Some(0), Some(20), Some(10)]);
    let a2 = &k.ops()[1];
    assert_eq!((a2.first_started, a2.preemptions, a2.ended), (Some(SECOND), 1, Some(120 * SECOND)));
    assert_eq!(k.ops()[2].node, Some(NodeId(1)));
}

#[test]
fn borrowing_and_lending_limits_bound_what_a_cohort_shares() {
    // A may not borrow at all: a2 waits for a1 although B is idle.
    let (mut k, qa, _) = cohort_kernel(Some(0), None);
    let r = run(&mut k, vec![(0, op(qa, 4000), 100 * SECOND), (0, op(qa, 4000), 10 * SECOND)]);
    assert_eq!(starts(&r), vec![Some(0), Some(100)]);
    // B lends only 2 of its 4 CPU: A holds at most 6 (a1 + a2), a3 waits for a2.
    let (mut k, qa, _) = cohort_kernel(None, Some(2000));
    let r = run(
        &mut k,
        vec![(0, op(qa, 4000), 100 * SECOND), (0, op(qa, 2000), 10 * SECOND), (0, op(qa, 2000), 10 * SECOND)],
    );
    assert_eq!(starts(&r), vec![Some(0), Some(0), Some(10)]);
    // Asking for more than A could ever hold (4 own + 2 lendable) is rejected with why.
    let id = k.submit(200 * SECOND, op(qa, 8000));
    assert_eq!(
        k.reason(id).unwrap(),
        "requests cpu=8 memory=1024Mi which exceeds queue `A`'s quota of cpu=6 (with what it may borrow from its cohort)"
    );
}

mod easy_property {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        /// With exact estimates, EASY backfilling never delays the head: every operation
        /// that was ever a blocked head starts no later than the first reservation it got.
        #[test]
        fn easy_backfill_never_delays_the_heads_reservation(
            nodes in 1usize..=3,
            jobs in prop::collection::vec((0i64..30, 1i64..40, 1u64..=8), 1..40),
        ) {
            let mut k = Kernel::new(KernelConfig::by_name("priority", "first-fit").unwrap().with_backfill("easy").unwrap());
            let a = k.add_agent(AgentSpec { name: "a".into(), namespace: None }).unwrap();
            for i in 0..nodes {
                k.add_node(node(&format!("n{i}"), a, 8000, 65536, 0)).unwrap();
            }
            let q = queue(&mut k, "q", a, None, None);
            let mut arrivals: BTreeMap<Time, Vec<(u64, Time)>> = BTreeMap::new();
            for (t, d, cpu) in jobs {
                arrivals.entry(t * SECOND).or_default().push((cpu * 1000, d * SECOND));
            }
            let mut durations: BTreeMap<OpId, Time> = BTreeMap::new();
            let mut ends: BTreeMap<(Time, u32), OpId> = BTreeMap::new();
            let mut promised: BTreeMap<OpId, Time> = BTreeMap::new();
            let mut out = Vec::new();
            loop {
                let next = [ends.keys().next().map(|k| k.0), arrivals.keys().next().copied()].into_iter().flatten().min();
                let Some(now) = next else { break };
                while let Some((&(t, i), &id)) = ends.iter().next() {
                    if t != now { break; }
                    ends.remove(&(t, i));
                    k.observe(now, Observation::AttemptSucceeded { op: id }).unwrap();
                }
                if let Some(list) = arrivals.remove(&now) {
                    for (cpu, d) in list {
                        let mut s = op(q, cpu);
                        s.estimate = Some(d);
                        let id = k.submit(now, s);
                        durations.insert(id, d);
                    }
                }
                out.clear();
                k.decide(now, &mut out);
                for dec in &out {
                    if let Decision::Start { op, .. } = dec {
                        k.observe(now, Observation::AttemptStarted { op: *op }).unwrap();
                        ends.insert((now + durations[op], op.0), *op);
                    }
                }
                // The head left blocked after this pass, and the reservation it has now.
                let mut qs = k.queues[q.index()].pending.iter().map(|e| e.2);
                if let Some(h) = qs.find(|&o| k.ops[o.index()].status == Status::Queued) {
                    if let Some(t) = k.reservation_time(h, now) {
                        promised.entry(h).or_insert(t);
                    }
                }
            }
            for (h, t) in promised {
                let started = k.op(h).unwrap().started.unwrap();
                prop_assert!(started <= t, "op {} reserved for {t} started at {started}", h.0);
            }
        }
    }
}

#[test]
fn a_fair_share_reorder_that_changes_the_head_lifts_the_old_heads_block() {
    // `big` (no project) holds the CPU node's memory; the gang behind it (no project) cannot
    // fit and blocks the queue. When `big` ends its project's usage puts project P's GPU
    // operation first: it must be tried (on the GPU node), not left behind the old block.
    let mut k = Kernel::new(KernelConfig::by_name("fair-share", "best-fit").unwrap());
    let a = k.add_agent(AgentSpec { name: "a".into(), namespace: None }).unwrap();
    k.add_node(node("cpu", a, 7000, 9 * 1024, 0)).unwrap();
    let mut g = node("gpu", a, 7000, 16 * 1024, 1);
    g.taints =
        vec![crate::model::Taint { key: "gpu".into(), value: "yes".into(), effect: "NoSchedule".into() }];
    k.add_node(g).unwrap();
    let q = queue(&mut k, "q", a, Some(2), Some(3));
    let p =
        k.add_project(ProjectSpec { name: "P".into(), default_queue: None, allowed_queues: None }).unwrap();
    let mut big = op(q, 500);
    big.resources = Resources::new(500, 8192, 0);
    let mut gang = op(q, 500);
    gang.replicas = 3;
    let mut gpu = op(q, 2500);
    gpu.resources = Resources::new(2500, 1024, 1);
    gpu.project = Some(p);
    gpu.constraints.tolerations = crate::model::parse_tolerations("gpu=yes:NoSchedule").unwrap();
    let r = run(&mut k, vec![(0, big, 23 * SECOND), (0, gang, 0), (0, gpu, 5 * SECOND)]);
    assert_eq!(starts(&r), vec![Some(0), Some(23), Some(23)]);
}

#[test]
fn a_new_arrival_that_puts_another_project_first_lifts_the_block() {
    use crate::model::{parse_affinity, parse_tolerations, Taint};
    let mut k = Kernel::new(
        KernelConfig::by_name("fair-share", "best-fit")
            .unwrap()
            .with_preemption("lower-priority", 0)
            .unwrap()
            .with_preemption_limit(1, 20 * SECOND),
    );
    let a = k.add_agent(AgentSpec { name: "a".into(), namespace: None }).unwrap();
    let t = |n: &str, cpu, mem, gpu, tier: &str, taint: bool| {
        let mut s = node(n, a, cpu, mem, gpu);
        s.labels = vec![("tier".into(), tier.into())];
        if taint {
            s.taints = vec![Taint { key: "gpu".into(), value: "yes".into(), effect: "NoSchedule".into() }];
        }
        s
    };
    k.add_node(t("p0", 7000, 9 * 1024, 0, "t0", false)).unwrap();
    k.add_node(t("p1", 7000, 16 * 1024, 1, "t1", true)).unwrap();
    k.add_node(t("p2", 6000, 14 * 1024, 2, "t0", true)).unwrap();
    let q = queue(&mut k, "q0", a, Some(2), Some(3));
    let p =
        k.add_project(ProjectSpec { name: "pr0".into(), default_queue: None, allowed_queues: None }).unwrap();
    let tol = parse_tolerations("gpu=yes:NoSchedule").unwrap();
    let mut op25 = op(q, 2500);
    op25.resources = Resources::new(2500, 1024, 1);
    op25.project = Some(p);
    op25.constraints.tolerations = tol.clone();
    let mut op13 = op(q, 500);
    op13.resources = Resources::new(500, 2048, 1);
    op13.project = Some(p);
    op13.priority = -2;
    op13.constraints.tolerations = tol.clone();
    op13.constraints.affinity = parse_affinity("tier notin (t0)").unwrap();
    let mut op26 = op(q, 500);
    op26.replicas = 3;
    let mut op7 = op(q, 500);
    op7.replicas = 3;
    op7.project = Some(p);
    let r = run(
        &mut k,
        vec![(0, op25, 18 * SECOND), (3 * SECOND, op13, 0), (3 * SECOND, op26, 0), (17 * SECOND, op7, 0)],
    );
    // op13 (pr0) heads the queue from 3 s, blocked: only p1 suits it and op25 holds its GPU.
    // op7 (pr0, higher priority) arrives at 17 s and goes ahead of op13 in pr0's lane, which
    // puts the project-less lane (op26) first: op26 must be tried at once (it fits p0), and
    // op7 follows when op26 ends the same instant; op13 starts when op25 frees p1 at 18 s.
    assert_eq!(starts(&r), vec![Some(0), Some(18), Some(17), Some(17)]);
}

#[test]
fn triggers_decide_when_downstream_runs_or_ends_upstream_failed() {
    use crate::model::Trigger;
    let (mut k, a) = kernel("priority", "first-fit", 4);
    let q = queue(&mut k, "q", a, None, None);
    let up1 = k.submit(0, op(q, 1000));
    let up2 = k.submit(0, op(q, 1000));
    let down = |k: &mut Kernel, t: Trigger| {
        let mut s = op(q, 1000);
        s.depends_on = vec![up1, up2];
        s.trigger = t;
        k.submit(0, s)
    };
    let names = Trigger::NAMES.map(|n| Trigger::by_name(n).unwrap());
    let ds: Vec<OpId> = names.iter().map(|&t| down(&mut k, t)).collect();
    let step = |k: &mut Kernel, now: Time| {
        let mut out = Vec::new();
        k.decide(now, &mut out);
        let mut started = Vec::new();
        for d in out {
            if let Decision::Start { op, .. } = d {
                k.observe(now, Observation::AttemptStarted { op }).unwrap();
                started.push(op);
            }
        }
        started
    };
    assert_eq!(step(&mut k, 0), vec![up1, up2]);
    // up1 fails at 10 s: one_failed and one_done run; all_succeeded can no longer hold.
    k.observe(10 * SECOND, Observation::AttemptFailed { op: up1, reason: "exit 1".into() }).unwrap();
    // ds: all_succeeded, all_failed, all_done, one_succeeded, one_failed, one_done.
    assert_eq!(step(&mut k, 10 * SECOND), vec![ds[4], ds[5]]);
    assert_eq!(k.op(ds[0]).unwrap().status, Status::UpstreamFailed);
    assert_eq!(
        k.reason(ds[0]).unwrap(),
        format!("upstream operation {} ended failed: trigger all_succeeded can no longer hold", up1.0)
    );
    // up2 succeeds at 20 s: all_done and one_succeeded run; all_failed can no longer hold.
    k.observe(20 * SECOND, Observation::AttemptSucceeded { op: up2 }).unwrap();
    assert_eq!(step(&mut k, 20 * SECOND), vec![ds[2], ds[3]]);
    assert_eq!(k.op(ds[1]).unwrap().status, Status::UpstreamFailed);
    // A downstream submitted after its upstream ended is decided at once.
    let mut late = op(q, 1000);
    late.depends_on = vec![up1];
    late.trigger = Trigger::AllFailed;
    let late = k.submit(30 * SECOND, late);
    assert_eq!(k.op(late).unwrap().status, Status::Queued);
}
