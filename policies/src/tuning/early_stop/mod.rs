//! Early stopping: rules that end the whole sweep ([`metric_reached`], [`failures`]) and rules
//! that stop one running trial from its intermediate reports ([`median`], [`truncation`],
//! [`diff`]).
//!
//! The per-trial rules look at one step `s` at a time, when a trial reports it, and only at
//! steps `s ≥ min_steps` that are multiples of `evaluation_interval`. They compare the trial
//! with the other trials that reported the same step `s` (running, ended or stopped: their
//! history counts), and need at least one such other trial. Rules are tried in the order the
//! spec lists them; the first that stops the trial gives the reason.

pub(crate) mod diff;
pub(crate) mod failures;
pub(crate) mod median;
pub(crate) mod metric_reached;
pub(crate) mod truncation;

use std::collections::BTreeMap;

use super::spec::{EarlyStop, Goal};

/// What one trial reported at one step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct StepEntry {
    pub index: u32,
    /// The metric reported at this step.
    pub metric: f64,
    /// Mean of the trial's reports up to and including this step.
    pub running_avg: f64,
    /// Best of the trial's reports up to and including this step.
    pub best: f64,
}

/// Every report, by step.
pub(crate) type StepTable = BTreeMap<u32, Vec<StepEntry>>;

/// Whether a rule evaluates at `step`.
fn due(step: u32, evaluation_interval: u32, min_steps: u32) -> bool {
    evaluation_interval > 0 && step >= min_steps && step.is_multiple_of(evaluation_interval)
}

/// Whether a per-trial rule stops `me` at `step`; `others` are the other trials' reports of
/// that step. Returns the reason of the first rule (in spec order) that does.
pub(crate) fn stop_trial(
    rules: &[EarlyStop],
    goal: Goal,
    step: u32,
    me: &StepEntry,
    others: &[StepEntry],
) -> Option<String> {
    if others.is_empty() {
        return None;
    }
    rules.iter().find_map(|rule| match *rule {
        EarlyStop::Median { evaluation_interval, min_steps } if due(step, evaluation_interval, min_steps) => {
            median::check(goal, step, me, others)
        }
        EarlyStop::Truncation { percent, evaluation_interval, min_steps }
            if due(step, evaluation_interval, min_steps) =>
        {
            truncation::check(goal, percent, step, me, others)
        }
        EarlyStop::Diff { percent, evaluation_interval, min_steps }
            if due(step, evaluation_interval, min_steps) =>
        {
            diff::check(goal, percent, step, me, others)
        }
        _ => None,
    })
}

#[cfg(test)]
pub(crate) fn entry(index: u32, metric: f64, running_avg: f64, best: f64) -> StepEntry {
    StepEntry { index, metric, running_avg, best }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_evaluate_only_at_their_steps() {
        assert!(!due(3, 2, 0));
        assert!(due(4, 2, 4));
        assert!(!due(2, 2, 4));
        assert!(due(0, 1, 0));
        let rules = [EarlyStop::Median { evaluation_interval: 2, min_steps: 4 }];
        let others = [entry(0, 0.9, 0.9, 0.9)];
        let me = entry(1, 0.1, 0.1, 0.1);
        assert_eq!(stop_trial(&rules, Goal::Maximize, 3, &me, &others), None);
        assert_eq!(stop_trial(&rules, Goal::Maximize, 2, &me, &others), None);
        assert!(stop_trial(&rules, Goal::Maximize, 4, &me, &others).is_some());
        assert_eq!(stop_trial(&rules, Goal::Maximize, 4, &me, &[]), None);
    }

    #[test]
    fn the_first_rule_that_stops_gives_the_reason() {
        let rules = [
            EarlyStop::MetricReached { value: 0.0 },
            EarlyStop::Diff { percent: 10.0, evaluation_interval: 1, min_steps: 0 },
            EarlyStop::Median { evaluation_interval: 1, min_steps: 0 },
        ];
        let reason =
            stop_trial(&rules, Goal::Maximize, 1, &entry(1, 0.1, 0.1, 0.1), &[entry(0, 0.9, 0.9, 0.9)]);
        assert!(reason.unwrap().starts_with("diff"));
    }
}
