//! Median stopping rule (Golovin et al., "Google Vizier", KDD 2017; Polyaxon's
//! `MedianStoppingPolicy`): a trial whose best metric up to step `s` is worse than the median
//! of the other trials' running averages up to `s` is stopped.

use super::StepEntry;
use crate::tuning::spec::Goal;

/// The median of non-empty `values` (mean of the middle two for an even count).
pub(crate) fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    // Linear-time selection: after it, everything left of `mid` is <= the value at `mid`.
    let mid = values.len() / 2;
    let (lower, upper, _) = values.select_nth_unstable_by(mid, f64::total_cmp);
    let upper = *upper;
    Some(match lower.iter().copied().max_by(f64::total_cmp) {
        Some(below) if values.len().is_multiple_of(2) => (below + upper) / 2.0,
        _ => upper,
    })
}

pub(crate) fn check(goal: Goal, step: u32, me: &StepEntry, others: &[StepEntry]) -> Option<String> {
    let mut averages: Vec<f64> = others.iter().map(|e| e.running_avg).collect();
    let median = median(&mut averages)?;
    goal.better(median, me.best).then(|| {
        format!(
            "median stopping at step {step}: best metric {} is worse than the median {median} of \
             {} other trials' running averages",
            me.best,
            others.len()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::super::entry;
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&mut []), None);
    }

    #[test]
    fn stops_a_trial_whose_best_is_below_the_median_of_running_averages() {
        // Others' running averages at step 4: 0.5, 0.6, 0.8 → median 0.6.
        let others = [entry(0, 0.9, 0.5, 0.9), entry(1, 0.7, 0.6, 0.7), entry(2, 0.9, 0.8, 0.9)];
        // Best 0.55 < 0.6: stopped, although its latest metric beats trial 1's.
        assert!(check(Goal::Maximize, 4, &entry(3, 0.55, 0.4, 0.55), &others).is_some());
        // Best 0.6 is not worse than 0.6.
        assert_eq!(check(Goal::Maximize, 4, &entry(3, 0.5, 0.4, 0.6), &others), None);
        // Minimising, the same numbers are losses: best 0.55 < 0.6 is better.
        assert_eq!(check(Goal::Minimize, 4, &entry(3, 0.55, 0.4, 0.55), &others), None);
        assert!(check(Goal::Minimize, 4, &entry(3, 0.7, 0.7, 0.65), &others).is_some());
    }
}
