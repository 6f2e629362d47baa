//! Hand-computed status timelines of the lifecycle features: timeouts and retries,
//! conditions, approval, the cache and routes. Each test drives the kernel with a small event
//! loop and asserts the journal line by line.

use std::collections::BTreeMap;

use super::*;
use crate::expr::{parse, Value};
use crate::model::{CacheSpec, OpSpec, QueueRef, Termination};
use crate::time::SECOND;

const S: Time = SECOND;

/// One submission: when, what, how long it runs, how many of its first attempts fail (after
/// `fail_after`), and what it outputs when it succeeds.
struct Sub {
    at: Time,
    spec: OpSpec,
    duration: Time,
    fails: u32,
    fail_after: Time,
    outputs: Vec<(String, Value)>,
}

fn sub(at: Time, spec: OpSpec, duration: Time) -> Sub {
    Sub { at, spec, duration, fails: 0, fail_after: 0, outputs: Vec::new() }
}

/// Something a user does at a time.
enum Act {
    Approve(u32),
    Reject(u32),
    Stop(u32),
}

fn setup(nodes: usize) -> (Kernel, QueueId, QueueId) {
    let mut k = Kernel::new(KernelConfig::default());
    let a = k.add_agent(AgentSpec { name: "a".into(), namespace: None }).unwrap();
    for i in 0..nodes {
        k.add_node(NodeSpec {
            name: format!("n{i}"),
            agent: a,
            pool: "p".into(),
            labels: vec![],
            taints: vec![],
            allocatable: Resources::new(4000, 16384, 1),
            cost_per_hour: 1.0,
        })
        .unwrap();
    }
    let cpu = k.add_queue(QueueSpec::new("cpu", a)).unwrap();
    let gpu = k.add_queue(QueueSpec::new("gpu", a)).unwrap();
    k.set_org_default_queue(Some(cpu));
    k.record_statuses(true);
    (k, cpu, gpu)
}

fn op(q: QueueId) -> OpSpec {
    OpSpec::new(QueueRef::Id(q), Resources::new(4000, 1024, 0))
}

/// Runs everything to the end; returns the journal as `"<s> op<N> <status>[ <reason>]"`.
fn run(k: &mut Kernel, subs: Vec<Sub>, acts: Vec<(Time, Act)>) -> Vec<String> {
    let mut arrivals: BTreeMap<Time, Vec<Sub>> = BTreeMap::new();
    for s in subs {
        arrivals.entry(s.at).or_default().push(s);
    }
    let mut acts_at: BTreeMap<Time, Vec<Act>> = BTreeMap::new();
    for (t, a) in acts {
        acts_at.entry(t).or_default().push(a);
    }
    // Per operation: (duration, failing attempts, fail after, outputs).
    let mut info: Vec<(Time, u32, Time, crate::expr::Params)> = Vec::new();
    // (end time, op) -> (attempt, fails)
    let mut ends: BTreeMap<(Time, u32), (u32, bool)> = BTreeMap::new();
    let mut out = Vec::new();
    let mut guard = 0;
    loop {
        guard += 1;
        assert!(guard < 10_000, "the loop does not end");
        let candidates = [
            ends.keys().next().map(|e| e.0),
            arrivals.keys().next().copied(),
            acts_at.keys().next().copied(),
            k.next_wakeup(),
        ];
        let Some(now) = candidates.into_iter().flatten().min() else { break };
        while let Some((&(t, i), &(attempt, fail))) = ends.iter().next() {
            if t != now {
                break;
            }
            ends.remove(&(t, i));
            let id = OpId(i);
            if k.op(id).unwrap().attempts != attempt || k.op(id).unwrap().status != Status::Running {
                continue;
            }
            if fail {
                k.observe(now, Observation::AttemptFailed { op: id, reason: "exit code 1".into() }).unwrap();
            } else {
                let outputs = info[i as usize].3.clone();
                if !outputs.is_empty() {
                    k.observe(now, Observation::Outputs { op: id, outputs }).unwrap();
                }
                k.observe(now, Observation::AttemptSucceeded { op: id }).unwrap();
            }
        }
        for s in arrivals.remove(&now).unwrap_or_default() {
            let id = k.submit(now, s.spec);
            assert_eq!(id.index(), info.len());
            info.push((s.duration, s.fails, s.fail_after, s.outputs));
        }
        for a in acts_at.remove(&now).unwrap_or_default() {
            let obs = match a {
                Act::Approve(i) => Observation::Approved { op: OpId(i) },
                Act::Reject(i) => Observation::ApprovalRejected { op: OpId(i), reason: "not today".into() },
                Act::Stop(i) => Observation::StopRequested { op: OpId(i) },
            };
            k.observe(now, obs).unwrap();
        }
        out.clear();
        k.decide(now, &mut out);
        for d in &out {
            match *d {
                Decision::Start { op, .. } => {
                    k.observe(now, Observation::AttemptStarted { op }).unwrap();
                    let o = k.op(op).unwrap();
                    let (duration, fails, fail_after, _) = &info[op.index()];
                    let fail = o.attempts <= *fails;
                    let end = if fail { now + fail_after } else { now + duration - o.saved };
                    ends.insert((end, op.0), (o.attempts, fail));
                }
                Decision::Stop { op } => k.observe(now, Observation::AttemptStopped { op }).unwrap(),
                _ => {}
            }
        }
    }
    k.take_status_changes()
        .iter()
        .map(|c| {
            let mut line = format!("{} op{} {}", c.time / S, c.op.0, c.status);
            if let Some(r) = &c.reason {
                line.push(' ');
                line.push_str(r);
            }
            line
        })
        .collect()
}

/// The journal lines of one operation.
fn of(journal: &[String], op: u32) -> Vec<String> {
    let tag = format!(" op{op} ");
    journal.iter().filter(|l| l.contains(&tag)).map(|l| l.replace(&tag, " ")).collect()
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn a_timeout_retries_with_doubling_backoff_then_fails_and_downstream_never_runs() {
    let (mut k, cpu, _) = setup(1);
    let mut a = op(cpu);
    a.termination = Termination { timeout: Some(30 * S), retries: Some(2), retry_backoff: Some(10 * S) };
    let mut b = op(cpu);
    b.depends_on = vec![OpId(0)];
    let j = run(&mut k, vec![sub(0, a, 100 * S), sub(0, b, 10 * S)], vec![]);
    assert_eq!(
        of(&j, 0),
        strs(&[
            "0 created",
            "0 compiled",
            "0 queued",
            "0 scheduled node n0",
            "0 running",
            "30 retrying timed out after 30s; retry 1 of 2 in 10s",
            "40 queued retry",
            "40 scheduled node n0",
            "40 running",
            "70 retrying timed out after 30s; retry 2 of 2 in 20s",
            "90 queued retry",
            "90 scheduled node n0",
            "90 running",
            "120 failed timed out after 30s",
        ])
    );
    assert_eq!(
        of(&j, 1),
        strs(&[
            "0 created",
            "120 upstream_failed upstream operation 0 ended failed: trigger all_succeeded can no longer hold"
        ])
    );
    assert_eq!(k.op(OpId(0)).unwrap().attempts, 3);
}

#[test]
fn reported_failures_retry_from_the_last_checkpoint_and_queue_defaults_apply() {
    let (mut k, _, _) = setup(1);
    let mut q = QueueSpec::new("flaky", AgentId(0));
    q.termination = Termination { timeout: None, retries: Some(1), retry_backoff: Some(5 * S) };
    let flaky = k.add_queue(q).unwrap();
    let mut a = op(flaky);
    a.checkpoint = Some(10 * S);
    // Fails once after 25 s (20 s saved by checkpoints), then runs the remaining 40 s.
    let mut s = sub(0, a, 60 * S);
    s.fails = 1;
    s.fail_after = 25 * S;
    let j = run(&mut k, vec![s], vec![]);
    assert_eq!(
        of(&j, 0)[5..],
        strs(&[
            "25 retrying exit code 1; retry 1 of 1 in 5s",
            "30 queued retry",
            "30 scheduled node n0",
            "30 running",
            "70 succeeded",
        ])
    );
    let o = k.op(OpId(0)).unwrap();
    assert_eq!((o.saved, o.work_lost, o.retries), (20 * S, 5 * S, 1));
}

#[test]
fn stopping_a_retrying_operation_ends_it_and_frees_its_workflow_slot() {
    let (mut k, cpu, _) = setup(2);
    let w = k.add_workflow(WorkflowSpec { name: "w".into(), concurrency: Some(1), parent: None }).unwrap();
    let mut a = op(cpu);
    a.workflow = Some(w);
    a.termination = Termination { timeout: None, retries: Some(3), retry_backoff: Some(60 * S) };
    let mut b = op(cpu);
    b.workflow = Some(w);
    let mut s = sub(0, a, 100 * S);
    s.fails = 5;
    s.fail_after = 10 * S;
    let j = run(&mut k, vec![s, sub(0, b, 10 * S)], vec![(20 * S, Act::Stop(0))]);
    assert_eq!(
        of(&j, 0)[5..],
        strs(&["10 retrying exit code 1; retry 1 of 3 in 1m", "20 stopped stopped while retrying"])
    );
    // b waited for the workflow's only slot, which `a` kept while it retried.
    assert_eq!(
        of(&j, 1),
        strs(&["0 created", "0 compiled", "20 queued", "20 scheduled node n0", "20 running", "30 succeeded"])
    );
}

#[test]
fn conditions_read_upstream_outputs_and_a_false_one_skips() {
    let (mut k, cpu, _) = setup(2);
    let mut train = sub(0, op(cpu), 10 * S);
    train.outputs = vec![("loss".into(), Value::Num(0.2))];
    let cond = |text: &str| {
        let mut s = op(cpu);
        s.depends_on = vec![OpId(0)];
        s.upstream_names = vec!["train".into()];
        s.conditions = Some(parse(text).unwrap());
        s
    };
    let deploy = cond("ops.train.outputs.loss < 0.1 and ops.train.status == 'succeeded'");
    let retrain = cond("ops.train.outputs.loss >= 0.1");
    // Downstream of the skipped op: one skips with it, one counts the skip as success.
    let mut notify = op(cpu);
    notify.depends_on = vec![OpId(1)];
    notify.skip_on_upstream_skip = true;
    let mut report = op(cpu);
    report.depends_on = vec![OpId(1)];
    let j = run(
        &mut k,
        vec![
            train,
            sub(0, deploy, 5 * S),
            sub(0, retrain, 5 * S),
            sub(0, notify, 5 * S),
            sub(0, report, 5 * S),
        ],
        vec![],
    );
    assert_eq!(
        of(&j, 1),
        strs(&[
            "0 created",
            "10 compiled",
            "10 skipped condition `ops.train.outputs.loss < 0.1 and ops.train.status == 'succeeded'` is false"
        ])
    );
    assert_eq!(of(&j, 2)[1..3], strs(&["10 compiled", "10 queued"]));
    assert_eq!(of(&j, 3), strs(&["0 created", "10 skipped upstream operation 1 was skipped"]));
    assert_eq!(of(&j, 4)[1..3], strs(&["10 compiled", "10 queued"]));
}

#[test]
fn a_condition_that_cannot_be_decided_fails_the_operation() {
    let (mut k, cpu, _) = setup(1);
    let mut b = op(cpu);
    b.depends_on = vec![OpId(0)];
    b.upstream_names = vec!["a".into()];
    b.conditions = Some(parse("ops.a.outputs.acc > 0.9").unwrap());
    let j = run(&mut k, vec![sub(0, op(cpu), 10 * S), sub(0, b, 5 * S)], vec![]);
    let last = of(&j, 1).pop().unwrap();
    assert!(last.starts_with("10 failed condition cannot be decided:"), "{last}");
    assert!(last.contains("ops.a.outputs.acc"), "{last}");
}

#[test]
fn conditions_reading_what_the_operation_cannot_know_are_rejected_at_submission() {
    let (mut k, cpu, _) = setup(1);
    let a = k.submit(0, op(cpu));
    let mut b = op(cpu);
    b.depends_on = vec![a];
    b.upstream_names = vec!["a".into()];
    b.conditions = Some(parse("ops.prep.status == 'succeeded'").unwrap());
    let b = k.submit(0, b);
    assert_eq!(k.op(b).unwrap().status, Status::Rejected);
    assert_eq!(
        k.reason(b),
        Some("condition `ops.prep.status == 'succeeded'` reads ops.prep, which is not an upstream operation (upstream: a)")
    );
    let mut c = op(cpu);
    c.conditions = Some(parse("inputs.lr > 0.1").unwrap());
    c.inputs = vec![("epochs".into(), Value::Num(3.0))];
    let c = k.submit(0, c);
    assert_eq!(
        k.reason(c),
        Some(
            "condition `inputs.lr > 0.1` reads inputs.lr, which the operation does not have (inputs: epochs)"
        )
    );
    let mut d = op(cpu);
    d.conditions = Some(parse("inputs.lr.x > 0.1").unwrap());
    d.inputs = vec![("lr".into(), Value::Num(3.0))];
    let d = k.submit(0, d);
    assert!(k.reason(d).unwrap().contains("reads `inputs.lr.x`; a condition may read"), "{:?}", k.reason(d));
}

#[test]
fn approval_holds_an_operation_and_its_downstream_until_approved() {
    let (mut k, cpu, _) = setup(2);
    let mut a = op(cpu);
    a.approval = true;
    let mut b = op(cpu);
    b.depends_on = vec![OpId(0)];
    let mut c = op(cpu);
    c.approval = true;
    let mut d = op(cpu);
    d.depends_on = vec![OpId(2)];
    let j = run(
        &mut k,
        vec![sub(0, a, 10 * S), sub(0, b, 10 * S), sub(0, c, 10 * S), sub(0, d, 10 * S)],
        vec![(50 * S, Act::Approve(0)), (60 * S, Act::Reject(2))],
    );
    assert_eq!(
        of(&j, 0),
        strs(&[
            "0 created",
            "0 compiled",
            "0 compiled waiting for approval",
            "50 compiled approved",
            "50 queued",
            "50 scheduled node n0",
            "50 running",
            "60 succeeded",
        ])
    );
    assert_eq!(of(&j, 1)[1..3], strs(&["60 compiled", "60 queued"]));
    assert_eq!(of(&j, 2)[3..], strs(&["60 rejected not today"]));
    assert_eq!(
        of(&j, 3)[1..],
        strs(&["60 upstream_failed upstream operation 2 ended rejected: trigger all_succeeded can no longer hold"])
    );
}

#[test]
fn approval_given_ahead_lets_the_operation_through_and_errors_name_the_state() {
    let (mut k, cpu, _) = setup(1);
    let a = k.submit(0, op(cpu));
    let mut b = op(cpu);
    b.approval = true;
    b.depends_on = vec![a];
    let b = k.submit(0, b);
    k.observe(1, Observation::Approved { op: b }).unwrap();
    assert!(k.observe(1, Observation::Approved { op: a }).unwrap_err().0.contains("needs no approval"));
    let mut out = Vec::new();
    k.decide(1, &mut out);
    k.observe(1, Observation::AttemptStarted { op: a }).unwrap();
    k.observe(2, Observation::AttemptSucceeded { op: a }).unwrap();
    // Approved ahead: it goes straight to its queue once compiled.
    assert_eq!(k.op(b).unwrap().status, Status::Queued);
    assert!(k.observe(3, Observation::Approved { op: b }).is_err());
}

fn cached(q: QueueId, key: &str, ttl: Option<Time>) -> OpSpec {
    let mut s = op(q);
    s.cache = Some(CacheSpec { key: key.into(), ttl });
    s
}

#[test]
fn the_cache_reuses_a_fresh_result_and_waits_for_a_running_source() {
    let (mut k, cpu, _) = setup(4);
    let mut src = sub(0, cached(cpu, "k", None), 100 * S);
    src.outputs = vec![("acc".into(), Value::Num(0.9))];
    let j = run(
        &mut k,
        vec![
            src,
            // Same key while the source runs: waits, then hits.
            sub(10 * S, cached(cpu, "k", None), 100 * S),
            // After the source: a hit at once (within its TTL of 100 s).
            sub(150 * S, cached(cpu, "k", Some(100 * S)), 100 * S),
            // Too old for a 30 s TTL: runs again, and becomes the source.
            sub(150 * S, cached(cpu, "k", Some(30 * S)), 20 * S),
            // Another key: runs.
            sub(150 * S, cached(cpu, "other", None), 20 * S),
        ],
        vec![],
    );
    assert_eq!(
        of(&j, 1),
        strs(&[
            "10 created",
            "10 compiled",
            "10 compiled waiting for operation 0 (same cache key)",
            "100 succeeded cache hit: operation 0"
        ])
    );
    assert_eq!(of(&j, 2), strs(&["150 created", "150 compiled", "150 succeeded cache hit: operation 0"]));
    assert_eq!(
        of(&j, 3)[2..],
        strs(&["150 queued", "150 scheduled node n0", "150 running", "170 succeeded"])
    );
    assert_eq!(of(&j, 4)[2], "150 queued");
    // Hits carry the source's outputs and point at it.
    let x = k.op(OpId(1)).unwrap().extra.as_deref().unwrap();
    assert_eq!((x.cache_source, x.outputs.clone()), (Some(OpId(0)), vec![("acc".into(), Value::Num(0.9))]));
    assert_eq!(k.op(OpId(1)).unwrap().attempts, 0);
}

#[test]
fn when_a_cache_source_fails_the_oldest_waiter_runs_in_its_place() {
    let (mut k, cpu, _) = setup(4);
    let mut src = sub(0, cached(cpu, "k", None), 100 * S);
    src.fails = 1;
    src.fail_after = 40 * S;
    let j = run(
        &mut k,
        vec![src, sub(10 * S, cached(cpu, "k", None), 50 * S), sub(20 * S, cached(cpu, "k", None), 50 * S)],
        vec![],
    );
    assert_eq!(of(&j, 0).last().unwrap(), "40 failed exit code 1");
    assert_eq!(
        of(&j, 1)[2..],
        strs(&[
            "10 compiled waiting for operation 0 (same cache key)",
            "40 compiled operation 0 ended failed: running in its place",
            "40 queued",
            "40 scheduled node n0",
            "40 running",
            "90 succeeded",
        ])
    );
    assert_eq!(
        of(&j, 2)[2..],
        strs(&[
            "20 compiled waiting for operation 0 (same cache key)",
            "90 succeeded cache hit: operation 1"
        ])
    );
}

#[test]
fn routes_send_operations_without_a_queue_by_their_inputs() {
    let (mut k, cpu, gpu) = setup(1);
    k.add_route(parse("inputs.dataset_gb > 100").unwrap(), gpu).unwrap();
    let mut big = OpSpec::new(QueueRef::Default, Resources::new(1000, 1024, 0));
    big.inputs = vec![("dataset_gb".into(), Value::Num(500.0))];
    let mut small = big.clone();
    small.inputs = vec![("dataset_gb".into(), Value::Num(5.0))];
    let mut none = big.clone();
    none.inputs.clear();
    let mut named = big.clone();
    named.queue = QueueRef::Id(cpu);
    let ids: Vec<OpId> = [big, small, none, named].into_iter().map(|s| k.submit(0, s)).collect();
    let queues: Vec<QueueId> = ids.iter().map(|i| k.op(*i).unwrap().queue.unwrap()).collect();
    assert_eq!(queues, vec![gpu, cpu, cpu, cpu]);
    let err = k.add_route(parse("ops.a.status == 'x'").unwrap(), gpu).unwrap_err();
    assert!(err.contains("a route may read only inputs.NAME"), "{err}");
}

#[test]
fn endings_are_listed_once_each_in_order_when_asked_for() {
    let (mut k, cpu, _) = setup(1);
    k.record_endings(true);
    let a = k.submit(0, op(cpu));
    let mut b = op(cpu);
    b.depends_on = vec![a];
    b.upstream_names = vec!["a".into()];
    b.conditions = Some(parse("ops.a.status == 'failed'").unwrap());
    let b = k.submit(0, b);
    let mut c = op(cpu);
    c.depends_on = vec![b];
    c.skip_on_upstream_skip = true;
    let c = k.submit(0, c);
    let mut out = Vec::new();
    k.decide(0, &mut out);
    k.observe(0, Observation::AttemptStarted { op: a }).unwrap();
    assert!(k.take_ended().is_empty());
    k.observe(5, Observation::AttemptSucceeded { op: a }).unwrap();
    assert_eq!(k.take_ended(), vec![a, b, c]);
    assert!(k.take_ended().is_empty());
}

#[test]
fn restart_resume_and_copy_make_linked_operations() {
    let (mut k, cpu, _) = setup(2);
    let mut a = op(cpu);
    a.checkpoint = Some(10 * S);
    a.inputs = vec![("lr".into(), Value::Num(0.1))];
    let a = k.submit(0, a);
    let mut out = Vec::new();
    k.decide(0, &mut out);
    k.observe(0, Observation::AttemptStarted { op: a }).unwrap();
    assert!(k.resubmit(5 * S, a, Resubmit::Restart).unwrap_err().contains("is running"));
    k.observe(25 * S, Observation::Outputs { op: a, outputs: vec![("step".into(), Value::Num(2.0))] })
        .unwrap();
    k.observe(25 * S, Observation::StopRequested { op: a }).unwrap();
    k.decide(25 * S, &mut out);
    k.observe(25 * S, Observation::AttemptStopped { op: a }).unwrap();
    let restart = k.resubmit(30 * S, a, Resubmit::Restart).unwrap();
    let resume = k.resubmit(30 * S, a, Resubmit::Resume).unwrap();
    let copy = k.resubmit(30 * S, a, Resubmit::Copy).unwrap();
    let (r, s, c) = (k.op(restart).unwrap(), k.op(resume).unwrap(), k.op(copy).unwrap());
    // A resume skips the 20 s the checkpoints saved; the others start from scratch.
    assert_eq!((r.saved, s.saved, c.saved), (0, 20 * S, 0));
    assert_eq!(r.extra.as_ref().unwrap().origin, Some((a, Resubmit::Restart)));
    assert_eq!(r.extra.as_ref().unwrap().inputs, vec![("lr".into(), Value::Num(0.1))]);
    assert!(r.extra.as_ref().unwrap().outputs.is_empty());
    assert_eq!(c.extra.as_ref().unwrap().outputs, vec![("step".into(), Value::Num(2.0))]);
    assert_eq!(r.status, Status::Queued);
    let created: Vec<String> = k
        .take_status_changes()
        .into_iter()
        .filter(|c| c.status == Status::Created && c.op != a)
        .map(|c| c.reason.unwrap_or_default().to_string())
        .collect();
    assert_eq!(created, ["restart of operation 0", "resume of operation 0", "copy of operation 0"]);
    assert!(k.resubmit(30 * S, OpId(99), Resubmit::Copy).unwrap_err().contains("unknown operation 99"));
}

#[test]
fn a_stop_asked_for_as_the_timeout_fires_ends_the_operation_stopped() {
    let (mut k, cpu, _) = setup(1);
    let mut a = op(cpu);
    a.termination = Termination { timeout: Some(10 * S), retries: Some(3), retry_backoff: Some(S) };
    let a = k.submit(0, a);
    let mut out = Vec::new();
    k.decide(0, &mut out);
    k.observe(0, Observation::AttemptStarted { op: a }).unwrap();
    k.observe(10 * S, Observation::StopRequested { op: a }).unwrap();
    out.clear();
    k.decide(10 * S, &mut out);
    // The timeout ended the attempt; no Stop is asked of the driver, and it ends stopped.
    assert_eq!(out, vec![Decision::Timeout { op: a }]);
    assert_eq!(k.op(a).unwrap().status, Status::Stopped);
    assert_eq!(k.reason(a), Some("stopped while retrying"));
}

#[test]
fn an_approval_after_the_operation_was_stopped_is_refused() {
    let (mut k, cpu, _) = setup(1);
    let mut a = op(cpu);
    a.approval = true;
    let a = k.submit(0, a);
    let mut out = Vec::new();
    k.decide(0, &mut out);
    assert_eq!(out, vec![Decision::AwaitApproval { op: a }]);
    k.observe(1, Observation::StopRequested { op: a }).unwrap();
    assert!(k.observe(2, Observation::Approved { op: a }).is_err());
    assert_eq!(k.op(a).unwrap().status, Status::Stopped);
    assert_eq!(k.queues()[cpu.index()].queued(), 0);
}

#[test]
fn a_fresh_success_stays_usable_while_a_stricter_operation_runs_the_key_again() {
    let (mut k, cpu, _) = setup(4);
    let mut strict = sub(30 * S, cached(cpu, "k", Some(5 * S)), 10 * S);
    strict.fails = 1;
    strict.fail_after = 5 * S;
    let j = run(
        &mut k,
        vec![sub(0, cached(cpu, "k", None), 10 * S), strict, sub(32 * S, cached(cpu, "k", None), 10 * S)],
        vec![],
    );
    // The 5 s TTL finds the success at 10 too old and runs; the next op (no TTL) still hits it.
    assert_eq!(of(&j, 1)[2..4], strs(&["30 queued", "30 scheduled node n0"]));
    assert_eq!(of(&j, 2), strs(&["32 created", "32 compiled", "32 succeeded cache hit: operation 0"]));
}

#[test]
fn upstream_outcomes_count_in_the_order_they_ended() {
    use crate::model::Trigger;
    let (mut k, cpu, _) = setup(2);
    let a = k.submit(0, op(cpu));
    let mut b = op(cpu);
    b.inputs = vec![("n".into(), Value::Num(1.0))];
    b.conditions = Some(parse("inputs.n > 5").unwrap());
    let b = k.submit(0, b);
    let mut out = Vec::new();
    k.decide(0, &mut out);
    k.observe(0, Observation::AttemptStarted { op: a }).unwrap();
    k.observe(10, Observation::AttemptSucceeded { op: a }).unwrap();
    // b was skipped at 0, before a ended: both orders of depends_on see the skip first.
    for deps in [vec![a, b], vec![b, a]] {
        let mut c = op(cpu);
        c.depends_on = deps;
        c.trigger = Trigger::OneDone;
        c.skip_on_upstream_skip = true;
        let c = k.submit(20, c);
        assert_eq!(k.op(c).unwrap().status, Status::Skipped);
    }
}
