//! Sweeps driven end to end, with hand-computed expectations.

use proptest::prelude::*;

use super::*;
use crate::expr::Value;

fn num(x: f64) -> Value {
    Value::Num(x)
}

fn spec(params: Vec<(&str, Space)>, algorithm: Algorithm, goal: Goal, rules: Vec<EarlyStop>) -> SweepSpec {
    SweepSpec {
        params: params.into_iter().map(|(n, s)| (n.to_string(), s)).collect(),
        algorithm,
        metric: Metric { name: "acc".into(), goal },
        early_stopping: rules,
        max_trials: None,
    }
}

fn creates(actions: &[Action]) -> Vec<Trial> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Create(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

fn finish_reason(actions: &[Action]) -> Option<&str> {
    actions.iter().find_map(|a| match a {
        Action::Finish { reason } => Some(reason.as_str()),
        _ => None,
    })
}

fn param(t: &Trial, name: &str) -> Value {
    t.params.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).expect(name)
}

fn ok(metric: f64) -> TrialEnd {
    TrialEnd::Succeeded { metric: Some(metric) }
}

fn uniform_sweep(trials: u32, rules: Vec<EarlyStop>, goal: Goal) -> (Sweep, Vec<Trial>) {
    let s = spec(vec![("x", Space::Uniform { lo: 0.0, hi: 1.0 })], Algorithm::Random { trials }, goal, rules);
    let mut sweep = Sweep::new(s, 1).unwrap();
    let trials = creates(&sweep.start());
    (sweep, trials)
}

#[test]
fn grid_two_by_three_creates_six_trials_in_lexicographic_order() {
    let s = spec(
        vec![
            ("opt", Space::Choice(vec![Value::Str("sgd".into()), Value::Str("adam".into())])),
            ("lr", parse_space("range(0.1, 0.3, 0.1)").unwrap()),
        ],
        Algorithm::Grid,
        Goal::Maximize,
        vec![],
    );
    let mut sweep = Sweep::new(s.clone(), 0).unwrap();
    let actions = sweep.start();
    let trials = creates(&actions);
    assert_eq!(actions.len(), 6);
    let got: Vec<(String, Value)> =
        trials.iter().map(|t| (param(t, "opt").to_string(), param(t, "lr"))).collect();
    let want: Vec<(String, Value)> =
        [("sgd", 0.1), ("sgd", 0.2), ("sgd", 0.3), ("adam", 0.1), ("adam", 0.2), ("adam", 0.3)]
            .iter()
            .map(|(o, x)| (o.to_string(), num(*x)))
            .collect();
    assert_eq!(got, want);
    assert_eq!(trials.iter().map(|t| t.index).collect::<Vec<_>>(), (0..6).collect::<Vec<_>>());
    assert!(trials.iter().all(|t| t.rung == 0 && t.bracket == 0));
    assert_eq!(sweep.start(), vec![], "start twice creates nothing more");

    for i in 0..5 {
        assert_eq!(sweep.ended(i, ok(f64::from(i) / 10.0)), vec![]);
    }
    assert!(!sweep.is_finished());
    let last = sweep.ended(5, TrialEnd::Failed);
    assert!(finish_reason(&last).unwrap().starts_with("completed"));
    assert!(sweep.is_finished());
    assert_eq!(sweep.best(), Some((4, 0.4)));

    // max_trials keeps the first four.
    let mut capped = s;
    capped.max_trials = Some(4);
    let mut sweep = Sweep::new(capped, 0).unwrap();
    let trials = creates(&sweep.start());
    assert_eq!(trials.len(), 4);
    assert_eq!((param(&trials[3], "opt"), param(&trials[3], "lr")), (Value::Str("adam".into()), num(0.1)));
}

#[test]
fn mapping_creates_one_trial_per_set_in_order() {
    let sets: Vec<crate::expr::Params> = (1..=3)
        .map(|i| {
            vec![("shard".to_string(), num(f64::from(i))), ("tag".to_string(), Value::Str(format!("s{i}")))]
        })
        .collect();
    let s = spec(vec![], Algorithm::Mapping { values: sets.clone() }, Goal::Maximize, vec![]);
    let mut sweep = Sweep::new(s.clone(), 4).unwrap();
    let trials = creates(&sweep.start());
    assert_eq!(trials.iter().map(|t| t.params.clone()).collect::<Vec<_>>(), sets);
    assert_eq!(trials.iter().map(|t| t.index).collect::<Vec<_>>(), vec![0, 1, 2]);
    assert_eq!(sweep.ended(0, ok(0.2)), vec![]);
    assert_eq!(sweep.ended(2, ok(0.4)), vec![]);
    assert!(finish_reason(&sweep.ended(1, TrialEnd::Failed)).unwrap().starts_with("completed: all 3"));
    assert_eq!(sweep.best(), Some((2, 0.4)));

    // max_trials keeps the first sets; the model scores each input like a choice.
    let mut capped = s.clone();
    capped.max_trials = Some(2);
    assert_eq!(creates(&Sweep::new(capped, 4).unwrap().start()).len(), 2);
    let q = |t: &Trial| model::quality(&s, &t.params, 4);
    assert_ne!(q(&trials[0]), q(&trials[1]));
    assert_eq!(q(&trials[0]), q(&Trial { index: 9, ..trials[0].clone() }));

    // Spaces, no sets, empty sets, duplicate names: errors naming the problem.
    let bad = |params: Vec<(&str, Space)>, values: Vec<crate::expr::Params>| {
        spec(params, Algorithm::Mapping { values }, Goal::Maximize, vec![]).validate().unwrap_err()
    };
    assert!(bad(vec![("x", Space::Uniform { lo: 0.0, hi: 1.0 })], sets.clone()).contains("not from spaces"));
    assert!(bad(vec![], vec![]).contains("at least one set"));
    assert!(bad(vec![], vec![vec![]]).contains("set 1 is empty"));
    let twice = vec![("a".to_string(), num(1.0)), ("a".to_string(), num(2.0))];
    assert!(bad(vec![], vec![sets[0].clone(), twice]).contains("set 2 names `a` twice"));
    assert!(bad(vec![], vec![vec![("n".to_string(), num(f64::NAN))]]).contains("finite"));
    assert_eq!(Algorithm::Mapping { values: sets }.name(), "mapping");
}

#[test]
fn random_is_deterministic_bounded_and_seeded() {
    let s = spec(
        vec![
            ("lr", Space::LogUniform { lo: 1e-4, hi: 1e-1 }),
            ("layers", Space::RandInt { lo: 1, hi: 8 }),
            ("mom", Space::Range { lo: 0.0, hi: 1.0, step: 0.25 }),
        ],
        Algorithm::Random { trials: 20 },
        Goal::Minimize,
        vec![],
    );
    let run = |seed| creates(&Sweep::new(s.clone(), seed).unwrap().start());
    let a = run(5);
    assert_eq!(a.len(), 20);
    assert_eq!(a, run(5));
    assert_ne!(a, run(6));
    for t in &a {
        let Value::Num(lr) = param(t, "lr") else { panic!() };
        let Value::Num(layers) = param(t, "layers") else { panic!() };
        let Value::Num(mom) = param(t, "mom") else { panic!() };
        assert!((1e-4..=1e-1).contains(&lr));
        assert!((1.0..=8.0).contains(&layers) && layers.fract() == 0.0);
        assert!([0.0, 0.25, 0.5, 0.75, 1.0].contains(&mom));
    }
    let mut capped = s;
    capped.max_trials = Some(3);
    let c = creates(&Sweep::new(capped, 5).unwrap().start());
    assert_eq!(c, a[..3].to_vec());
}

fn hyperband_r9() -> Sweep {
    hyperband_r9_capped(None)
}

fn hyperband_r9_capped(max_trials: Option<u32>) -> Sweep {
    let mut s = spec(
        vec![("lr", Space::Uniform { lo: 0.0, hi: 1.0 })],
        Algorithm::Hyperband { max_iterations: 9, eta: 3, resource: "epochs".into() },
        Goal::Maximize,
        vec![],
    );
    s.max_trials = max_trials;
    Sweep::new(s, 11).unwrap()
}

#[test]
fn hyperband_r9_eta3_brackets_and_promotions() {
    let mut sweep = hyperband_r9();
    let first = creates(&sweep.start());
    // Bracket 2: 9 trials × 1 epoch; bracket 1: 5 × 3; bracket 0: 3 × 9.
    let shape: Vec<(u32, u32, u32, Value)> =
        first.iter().map(|t| (t.index, t.bracket, t.rung, param(t, "epochs"))).collect();
    let mut want = Vec::new();
    for i in 0..9 {
        want.push((i, 2, 0, num(1.0)));
    }
    for i in 9..14 {
        want.push((i, 1, 0, num(3.0)));
    }
    for i in 14..17 {
        want.push((i, 0, 0, num(9.0)));
    }
    assert_eq!(shape, want);
    assert!(first.iter().all(|t| t.params.last().unwrap().0 == "epochs" && t.params.len() == 2));

    // Bracket 2, rung 0: metrics by index; trial 4 failed, 7 has no metric, 2 and 5 tie.
    let metrics = [0.1, 0.5, 0.7, 0.3, 0.99, 0.7, 0.2, f64::NAN, 0.6];
    for i in 0..8u32 {
        let end = match i {
            4 => TrialEnd::Failed,
            7 => TrialEnd::Succeeded { metric: None },
            _ => ok(metrics[i as usize]),
        };
        assert_eq!(sweep.ended(i, end), vec![], "rung not complete at trial {i}");
    }
    // The last one completes the rung: top ⌊9/3⌋ = 3 are 2 (0.7, lower index), 5 (0.7), 8 (0.6).
    let rung1 = creates(&sweep.ended(8, ok(0.6)));
    assert_eq!(rung1.iter().map(|t| t.index).collect::<Vec<_>>(), vec![17, 18, 19]);
    for (t, from) in rung1.iter().zip([2u32, 5, 8]) {
        assert_eq!((t.bracket, t.rung), (2, 1));
        assert_eq!(param(t, "lr"), param(&first[from as usize], "lr"));
        assert_eq!(param(t, "epochs"), num(3.0));
    }
    // Rung 1 → the single best goes on with 9 epochs.
    assert_eq!(sweep.ended(17, ok(0.8)), vec![]);
    assert_eq!(sweep.ended(19, ok(0.9)), vec![]);
    let rung2 = creates(&sweep.ended(18, TrialEnd::Stopped));
    assert_eq!(rung2.len(), 1);
    assert_eq!((rung2[0].index, rung2[0].bracket, rung2[0].rung), (20, 2, 2));
    assert_eq!(param(&rung2[0], "lr"), param(&first[8], "lr"));
    assert_eq!(param(&rung2[0], "epochs"), num(9.0));

    // Bracket 1: 5 trials with 3 epochs → the best one with 9 epochs (minimum 1).
    for (i, m) in [(9, 0.3), (10, 0.4), (11, 0.35), (12, 0.1)] {
        assert_eq!(sweep.ended(i, ok(m)), vec![]);
    }
    let b1 = creates(&sweep.ended(13, ok(0.2)));
    assert_eq!(b1.len(), 1);
    assert_eq!((b1[0].index, b1[0].bracket, b1[0].rung), (21, 1, 1));
    assert_eq!(param(&b1[0], "lr"), param(&first[10], "lr"));
    assert_eq!(param(&b1[0], "epochs"), num(9.0));

    // Bracket 0 has a single rung: its trials end without creating anything.
    for i in 14..17 {
        assert_eq!(sweep.ended(i, ok(0.5)), vec![]);
    }
    assert_eq!(sweep.ended(21, ok(0.6)), vec![]);
    assert!(!sweep.is_finished());
    let end = sweep.ended(20, ok(0.95));
    assert_eq!(creates(&end), vec![]);
    assert!(finish_reason(&end).unwrap().starts_with("completed: all 22 trials"));
    assert_eq!(sweep.best(), Some((20, 0.95)));
    assert_eq!(sweep.trial_count(), 22);
}

#[test]
fn hyperband_rung_without_a_successful_trial_closes_the_bracket() {
    let mut sweep = hyperband_r9();
    sweep.start();
    for i in 0..9 {
        assert_eq!(sweep.ended(i, TrialEnd::Failed), vec![]);
    }
    assert_eq!(sweep.trial_count(), 17);
}

#[test]
fn hyperband_promotions_respect_max_trials() {
    let mut sweep = hyperband_r9_capped(Some(18));
    assert_eq!(creates(&sweep.start()).len(), 17);
    for i in 0..8 {
        sweep.ended(i, ok(f64::from(i)));
    }
    // Three would advance, only one fits.
    let rung1 = creates(&sweep.ended(8, ok(8.0)));
    assert_eq!(rung1.len(), 1);
    assert_eq!(param(&rung1[0], "lr"), param(sweep.trial(8).unwrap(), "lr"));
    assert_eq!(sweep.ended(17, ok(1.0)), vec![]);
}

#[test]
fn median_rule_stops_the_trial_below_the_median() {
    let rules = vec![EarlyStop::Median { evaluation_interval: 2, min_steps: 2 }];
    let (mut sweep, _) = uniform_sweep(4, rules, Goal::Maximize);
    // Trials 0..2 report steps 1 and 2: running averages at step 2 are 0.5, 0.6, 0.7.
    for (i, a, b) in [(0, 0.4, 0.6), (1, 0.5, 0.7), (2, 0.6, 0.8)] {
        assert_eq!(sweep.report(i, 1, a), vec![]);
        assert_eq!(sweep.report(i, 2, b), vec![], "trial {i}");
    }
    // Trial 3: step 1 is not an evaluation step; at step 2 its best, 0.58, is below the
    // median 0.6 of the others' running averages.
    assert_eq!(sweep.report(3, 1, 0.58), vec![]);
    let actions = sweep.report(3, 2, 0.3);
    assert!(
        matches!(&actions[..], [Action::Stop { index: 3, reason }] if reason.starts_with("median")),
        "{actions:?}"
    );
    assert_eq!(sweep.trial_end(3), Some(&TrialEnd::Stopped));
    // The stopped trial's own end is ignored; it counted as ended.
    assert_eq!(sweep.ended(3, ok(0.9)), vec![]);
    assert_eq!(sweep.report(3, 4, 0.9), vec![]);
    // Trial 1 at step 4: others at step 4: none yet → kept.
    assert_eq!(sweep.report(1, 4, 0.1), vec![]);
}

#[test]
fn median_rule_keeps_a_trial_whose_best_is_high_enough() {
    let rules = vec![EarlyStop::Median { evaluation_interval: 1, min_steps: 2 }];
    let (mut sweep, _) = uniform_sweep(3, rules, Goal::Minimize);
    // Losses: running averages at step 2 of trials 0 and 1: 0.5 and 0.6 → median 0.55.
    for (i, a, b) in [(0, 0.6, 0.4), (1, 0.8, 0.4)] {
        assert_eq!(sweep.report(i, 1, a), vec![]);
        assert_eq!(sweep.report(i, 2, b), vec![]);
    }
    assert_eq!(sweep.report(2, 1, 0.54), vec![]);
    // Its best loss so far is 0.54 < 0.55: kept although 0.65 is worse now.
    assert_eq!(sweep.report(2, 2, 0.65), vec![]);
    let actions = sweep.report(2, 3, 0.9);
    assert_eq!(actions, vec![], "no other trial reported step 3");
}

#[test]
fn truncation_rule_stops_the_worst_percent() {
    let rules = vec![EarlyStop::Truncation { percent: 25.0, evaluation_interval: 5, min_steps: 5 }];
    let (mut sweep, _) = uniform_sweep(5, rules, Goal::Maximize);
    assert_eq!(sweep.report(0, 5, 0.9), vec![]);
    // n = 2: ⌊0.5⌋ = 0 trials truncated.
    assert_eq!(sweep.report(1, 5, 0.1), vec![]);
    assert_eq!(sweep.report(2, 5, 0.8), vec![]);
    // n = 4: the worst one, trial 3 at 0.05.
    let actions = sweep.report(3, 5, 0.05);
    assert!(matches!(&actions[..], [Action::Stop { index: 3, .. }]), "{actions:?}");
    // n = 5, ⌊1.25⌋ = 1: 0.5 is not the worst (0.05 and 0.1 are below).
    assert_eq!(sweep.report(4, 5, 0.5), vec![]);
    // Step 6 is no evaluation step.
    assert_eq!(sweep.report(4, 6, 0.0), vec![]);
}

#[test]
fn diff_rule_stops_a_trial_far_from_the_best() {
    let rules = vec![EarlyStop::Diff { percent: 20.0, evaluation_interval: 1, min_steps: 3 }];
    let (mut sweep, _) = uniform_sweep(3, rules, Goal::Minimize);
    // Losses at step 3: best 0.5, so up to 0.6 is allowed.
    assert_eq!(sweep.report(0, 3, 0.5), vec![]);
    assert_eq!(sweep.report(1, 2, 5.0), vec![], "before min_steps");
    assert_eq!(sweep.report(1, 3, 0.6), vec![]);
    let actions = sweep.report(2, 3, 0.61);
    assert!(
        matches!(&actions[..], [Action::Stop { index: 2, reason }] if reason.starts_with("diff")),
        "{actions:?}"
    );
}

#[test]
fn metric_reached_finishes_the_sweep() {
    let rules = vec![EarlyStop::MetricReached { value: 0.9 }];
    let (mut sweep, trials) = uniform_sweep(4, rules.clone(), Goal::Maximize);
    assert_eq!(trials.len(), 4);
    assert_eq!(sweep.report(0, 1, 0.89), vec![]);
    let actions = sweep.report(1, 1, 0.9);
    assert!(finish_reason(&actions).unwrap().starts_with("metric reached"), "{actions:?}");
    assert_eq!(actions.len(), 1);
    assert!(sweep.is_finished());
    assert_eq!(sweep.report(0, 2, 0.95), vec![]);
    // Ends after Finish are recorded (best) but give no action.
    assert_eq!(sweep.ended(2, ok(0.97)), vec![]);
    assert_eq!(sweep.best(), Some((2, 0.97)));

    // On a final metric, minimising.
    let (mut sweep, _) = uniform_sweep(3, vec![EarlyStop::MetricReached { value: 0.1 }], Goal::Minimize);
    assert_eq!(sweep.ended(0, ok(0.2)), vec![]);
    assert!(finish_reason(&sweep.ended(1, ok(0.1))).is_some());
}

#[test]
fn failures_percent_finishes_the_sweep() {
    let rules = vec![EarlyStop::Failures { percent: 40.0 }];
    let (mut sweep, _) = uniform_sweep(10, rules, Goal::Maximize);
    assert_eq!(sweep.ended(0, ok(0.5)), vec![]);
    assert_eq!(sweep.ended(1, TrialEnd::Stopped), vec![]);
    assert_eq!(sweep.ended(2, TrialEnd::Failed), vec![]); // 1/3 = 33 %
    assert_eq!(sweep.ended(3, ok(0.5)), vec![]); // 1/4
    let actions = sweep.ended(4, TrialEnd::Failed); // 2/5 = 40 %, not more
    assert_eq!(actions, vec![]);
    let actions = sweep.ended(5, TrialEnd::Failed); // 3/6 = 50 %
    assert!(finish_reason(&actions).unwrap().starts_with("failures: 3 of 6"), "{actions:?}");
    assert!(sweep.is_finished());
}

#[test]
fn no_create_after_finish_in_hyperband() {
    let mut s = spec(
        vec![("lr", Space::Uniform { lo: 0.0, hi: 1.0 })],
        Algorithm::Hyperband { max_iterations: 9, eta: 3, resource: "epochs".into() },
        Goal::Maximize,
        vec![EarlyStop::MetricReached { value: 0.99 }],
    );
    s.max_trials = None;
    let mut sweep = Sweep::new(s, 3).unwrap();
    sweep.start();
    for i in 0..8 {
        sweep.ended(i, ok(0.5));
    }
    let actions = sweep.ended(8, ok(0.995));
    assert_eq!(creates(&actions), vec![]);
    assert!(finish_reason(&actions).is_some());
    for i in 9..17 {
        assert_eq!(sweep.ended(i, ok(0.5)), vec![]);
    }
    assert_eq!(sweep.trial_count(), 17);
}

#[test]
fn unknown_duplicate_and_odd_calls_are_ignored() {
    let (mut sweep, _) =
        uniform_sweep(2, vec![EarlyStop::Median { evaluation_interval: 1, min_steps: 0 }], Goal::Maximize);
    assert_eq!(sweep.report(7, 1, 0.5), vec![]);
    assert_eq!(sweep.ended(7, ok(0.5)), vec![]);
    assert_eq!(sweep.report(0, 2, 0.5), vec![]);
    assert_eq!(sweep.report(0, 2, 0.1), vec![], "same step again");
    assert_eq!(sweep.report(0, 1, 0.1), vec![], "earlier step");
    assert_eq!(sweep.report(1, 2, f64::NAN), vec![]);
    assert_eq!(sweep.report(1, 2, 0.6), vec![]);
    assert_eq!(sweep.ended(0, ok(0.5)), vec![]);
    assert_eq!(sweep.ended(0, TrialEnd::Failed), vec![], "already ended");
    assert_eq!(sweep.ended(1, ok(f64::INFINITY)).len(), 1, "Finish: completed");
    assert_eq!(sweep.best(), Some((0, 0.5)), "an infinite metric counts as none");

    // Before start, nothing exists.
    let s = spec(vec![], Algorithm::Random { trials: 2 }, Goal::Maximize, vec![]);
    let mut sweep = Sweep::new(s, 0).unwrap();
    assert_eq!(sweep.ended(0, ok(1.0)), vec![]);
    assert!(!sweep.is_finished());
    assert_eq!(creates(&sweep.start()).iter().map(|t| t.params.len()).collect::<Vec<_>>(), vec![0, 0]);
}

#[test]
fn invalid_specs_are_errors() {
    let s = spec(vec![("x", Space::Uniform { lo: 0.0, hi: 1.0 })], Algorithm::Grid, Goal::Maximize, vec![]);
    assert!(Sweep::new(s, 0).err().unwrap().contains("grid"));
    let s = spec(vec![], Algorithm::Random { trials: 0 }, Goal::Maximize, vec![]);
    assert!(Sweep::new(s, 0).is_err());
    let s = spec(
        vec![],
        Algorithm::Random { trials: 1 },
        Goal::Maximize,
        vec![EarlyStop::Failures { percent: 101.0 }],
    );
    assert!(Sweep::new(s, 0).err().unwrap().contains("percent"));
}

#[test]
fn simulated_sweep_runs_to_completion_deterministically() {
    let s = spec(
        vec![
            ("lr", Space::LogUniform { lo: 1e-4, hi: 1e-1 }),
            ("opt", Space::Choice(vec![Value::Str("sgd".into()), Value::Str("adam".into())])),
        ],
        Algorithm::Hyperband { max_iterations: 27, eta: 3, resource: "epochs".into() },
        Goal::Minimize,
        vec![EarlyStop::Median { evaluation_interval: 3, min_steps: 3 }],
    );
    let run = || {
        let mut sweep = Sweep::new(s.clone(), 9).unwrap();
        let model = TrialModel { failure_rate: 0.1, ..TrialModel::default() };
        // A tiny driver: one trial at a time, its reports then its end.
        let mut pending = creates(&sweep.start());
        let mut log = Vec::new();
        while let Some(t) = pending.pop() {
            let o = simulate_trial(&model, &s, &t, 9);
            let mut stopped = false;
            for &(step, _, m) in &o.curve {
                let actions = sweep.report(t.index, step, m);
                stopped |=
                    actions.iter().any(|a| matches!(a, Action::Stop { index, .. } if *index == t.index));
                pending.extend(creates(&actions));
                log.extend(actions);
                if stopped || sweep.is_finished() {
                    break;
                }
            }
            let end = if o.failed { TrialEnd::Failed } else { ok(o.final_metric) };
            let actions = sweep.ended(t.index, end);
            pending.extend(creates(&actions));
            log.extend(actions);
        }
        assert!(sweep.is_finished());
        (log, sweep.best(), sweep.trial_count())
    };
    let (log, best, count) = run();
    assert_eq!(run(), (log.clone(), best, count));
    assert!(count > 49, "rungs advanced: {count}");
    assert!(best.is_some());
    assert_eq!(log.iter().filter(|a| matches!(a, Action::Finish { .. })).count(), 1);
}

#[derive(Clone, Debug)]
enum Op {
    Report(u32, u32, f64),
    End(u32, u8, f64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u32..40, 0u32..12, -1.0f64..2.0).prop_map(|(i, s, m)| Op::Report(i, s, m)),
        (0u32..40, 0u8..4, -1.0f64..2.0).prop_map(|(i, k, m)| Op::End(i, k, m)),
    ]
}

proptest! {
    #[test]
    fn any_call_sequence_keeps_the_invariants(
        ops in proptest::collection::vec(op(), 0..300),
        seed in 0u64..1000,
        minimize: bool,
        max_trials in proptest::option::of(1u32..30),
    ) {
        let goal = if minimize { Goal::Minimize } else { Goal::Maximize };
        let mut s = spec(
            vec![("x", Space::Uniform { lo: 0.0, hi: 1.0 }), ("c", Space::Choice(vec![num(1.0), num(2.0)]))],
            Algorithm::Hyperband { max_iterations: 9, eta: 3, resource: "r".into() },
            goal,
            vec![
                EarlyStop::Median { evaluation_interval: 2, min_steps: 2 },
                EarlyStop::Truncation { percent: 30.0, evaluation_interval: 3, min_steps: 0 },
                EarlyStop::Diff { percent: 50.0, evaluation_interval: 4, min_steps: 4 },
                EarlyStop::MetricReached { value: if minimize { -0.95 } else { 1.95 } },
                EarlyStop::Failures { percent: 60.0 },
            ],
        );
        s.max_trials = max_trials;
        let mut sweep = Sweep::new(s, seed).unwrap();
        let mut created: Vec<u32> = Vec::new();
        let mut finished = false;
        let mut all = sweep.start();
        for op in ops {
            let actions = match op {
                Op::Report(i, step, m) => sweep.report(i, step, m),
                Op::End(i, k, m) => sweep.ended(i, match k {
                    0 => ok(m),
                    1 => TrialEnd::Failed,
                    2 => TrialEnd::Stopped,
                    _ => TrialEnd::Succeeded { metric: None },
                }),
            };
            all.extend(actions);
        }
        for a in &all {
            match a {
                Action::Create(t) => {
                    prop_assert!(!finished, "Create after Finish");
                    prop_assert_eq!(t.index as usize, created.len());
                    created.push(t.index);
                }
                Action::Finish { .. } => {
                    prop_assert!(!finished, "second Finish");
                    finished = true;
                }
                Action::Stop { index, .. } => prop_assert!((*index as usize) < created.len()),
            }
        }
        prop_assert_eq!(finished, sweep.is_finished());
        prop_assert_eq!(created.len() as u32, sweep.trial_count());
        prop_assert!(sweep.trial_count() <= max_trials.unwrap_or(u32::MAX));
    }
}
