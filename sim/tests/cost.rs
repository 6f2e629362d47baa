//! Spot reclaims and cost budgets, checked against the run's own attempts.

use std::path::Path;

use schedlab_policies::time::HOUR;
use schedlab_policies::Time;
use schedlab_sim::attempt::Outcome;
use schedlab_sim::engine::{self, Run, RunOptions};
use schedlab_sim::{metrics, workload, Scenario};

fn run(seed: u64) -> (Scenario, Run) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/spot.toml");
    let scenario = Scenario::load(&path).unwrap();
    let w = workload::load(&scenario, seed).unwrap();
    let run = engine::run(&scenario, w, RunOptions { samples: false, statuses: false, progress: None });
    (scenario, run)
}

/// Cost per hour of an attempt of `op` on its node (the kernel's rule: dominant share × price).
fn rate(run: &Run, op: schedlab_policies::OpId, node: schedlab_policies::NodeId) -> f64 {
    let n = &run.kernel.nodes()[node.index()].spec;
    run.kernel.ops()[op.index()].resources.dominant_share(&n.allocatable).min(1.0) * n.cost_per_hour
}

#[test]
fn reclaimed_spot_nodes_send_work_back_and_everything_still_finishes() {
    let (scenario, r) = run(11);
    let s = metrics::summarise(&scenario, &r, 11, b"");
    assert_eq!(s.operations["succeeded"], 300, "{:?}", s.operations);
    let lost: Vec<_> = r.attempts.iter().filter(|a| a.outcome == Some(Outcome::NodeFailure)).collect();
    assert!(lost.len() >= 5, "only {} node losses", lost.len());
    assert_eq!(s.node_losses, lost.len() as u64);
    assert_eq!(s.preemptions, 0);
    for a in &lost {
        // Only spot nodes are reclaimed, and the work then runs again to success.
        assert!(r.kernel.nodes()[a.node.index()].spec.pool == "spot");
        let later = r.attempts.iter().filter(|b| b.op == a.op && b.number > a.number);
        assert!(later.clone().any(|b| b.outcome == Some(Outcome::Succeeded)), "op {} never finished", a.op.0);
    }
    // A node loss is not a failure and not a preemption of the operation.
    let losses: u32 = r.kernel.ops().iter().map(|o| o.node_losses).sum();
    assert_eq!(losses as usize, lost.len());
    // No attempt starts on a spot node while it is down: after a loss at t, nothing starts
    // on that node before t + 15 min.
    for a in &lost {
        let t = a.end.unwrap();
        assert!(!r.attempts.iter().any(|b| b.node == a.node && b.start > t && b.start < t + 15 * 60_000));
    }
    // Same seed, same run; another seed, other reclaims.
    let (_, again) = run(11);
    let key = |r: &Run| r.attempts.iter().map(|a| (a.op, a.node, a.start, a.end)).collect::<Vec<_>>();
    assert_eq!(key(&r), key(&again));
    let (_, other) = run(12);
    assert_ne!(key(&r), key(&other));
}

#[test]
fn a_budget_is_never_overspent_except_by_what_ran_when_it_was_crossed() {
    let (scenario, r) = run(11);
    let q = scenario.queues.iter().position(|q| q.name == "metered").unwrap();
    let budget = scenario.queues[q].budget.unwrap();
    let window = budget.window;
    assert_eq!(window, 2 * HOUR);
    let mine: Vec<_> = r
        .attempts
        .iter()
        .filter(|a| r.kernel.ops()[a.op.index()].queue.map(|x| x.index()) == Some(q))
        .map(|a| (a.start, a.end.unwrap_or(r.end), rate(&r, a.op, a.node)))
        .collect();
    // Spending of the queue inside [from, to), recomputed from its attempts.
    let spent = |from: Time, to: Time| -> f64 {
        mine.iter().map(|&(s, e, rate)| rate * (e.min(to) - s.max(from)).max(0) as f64 / HOUR as f64).sum()
    };
    let mut held = 0;
    for &(start, _, _) in &mine {
        let w0 = start.div_euclid(window) * window;
        let before = spent(w0, start);
        assert!(before < budget.amount + 1e-9, "an attempt started at {start} with {before} already spent");
        if before > budget.amount * 0.8 {
            held += 1;
        }
    }
    // Over a whole window, spending beyond the budget comes only from attempts that were
    // running when it was crossed (none started after).
    let last = mine.iter().map(|a| a.1).max().unwrap();
    let mut crossed = 0;
    for w in 0..=last / window {
        let (w0, w1) = (w * window, (w + 1) * window);
        let total = spent(w0, w1);
        if total > budget.amount {
            crossed += 1;
            // The instant it was crossed, by bisection on the (increasing) spending.
            let (mut lo, mut hi) = (w0, w1);
            while hi - lo > 1 {
                let mid = (lo + hi) / 2;
                if spent(w0, mid) >= budget.amount {
                    hi = mid
                } else {
                    lo = mid
                }
            }
            let running_then: f64 = mine
                .iter()
                .filter(|a| a.0 <= lo && a.1 > lo)
                .map(|&(s, e, rate)| rate * (e.min(w1) - s.max(w0)).max(0) as f64 / HOUR as f64)
                .sum();
            assert!(total <= spent(w0, lo) + running_then + 1e-6);
            assert!(!mine.iter().any(|a| a.0 > hi && a.0 < w1), "an attempt started after the crossing");
        }
    }
    assert!(crossed >= 2, "the budget never bound ({crossed} windows crossed, {held} close starts)");
}
