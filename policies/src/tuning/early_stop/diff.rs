//! Diff stopping (Polyaxon's `DiffStoppingPolicy`): at an evaluation step, a trial whose
//! metric is worse than the best metric reported at that step by more than `percent` % of
//! |best| is stopped.

use super::StepEntry;
use crate::tuning::spec::Goal;

pub(crate) fn check(
    goal: Goal,
    percent: f64,
    step: u32,
    me: &StepEntry,
    others: &[StepEntry],
) -> Option<String> {
    let best = others.iter().map(|o| o.metric).reduce(|a, b| if goal.better(b, a) { b } else { a })?;
    if !goal.better(best, me.metric) {
        return None;
    }
    let gap = (best - me.metric).abs();
    let allowed = percent / 100.0 * best.abs();
    (gap > allowed).then(|| {
        format!(
            "diff stopping at step {step}: metric {} is {gap} worse than the best {best}, more than \
             {percent}% of it",
            me.metric
        )
    })
}

#[cfg(test)]
mod tests {
    use super::super::entry;
    use super::*;

    fn at(index: u32, metric: f64) -> crate::tuning::early_stop::StepEntry {
        entry(index, metric, metric, metric)
    }

    #[test]
    fn stops_beyond_the_allowed_gap_to_the_best() {
        let others = [at(0, 0.8), at(1, 0.6)];
        // 10 % of 0.8 = 0.08: 0.71 is 0.09 behind → stopped; 0.73 is 0.07 behind → kept.
        assert!(check(Goal::Maximize, 10.0, 3, &at(2, 0.71), &others).is_some());
        assert_eq!(check(Goal::Maximize, 10.0, 3, &at(2, 0.73), &others), None);
        // Better than the best: kept.
        assert_eq!(check(Goal::Maximize, 0.0, 3, &at(2, 0.9), &others), None);
        // Minimising: the best loss is 0.6; 10 % → 0.66 allowed, 0.67 stopped.
        assert!(check(Goal::Minimize, 10.0, 3, &at(2, 0.67), &others).is_some());
        assert_eq!(check(Goal::Minimize, 10.0, 3, &at(2, 0.65), &others), None);
        // Negative metrics use |best|.
        assert!(check(Goal::Maximize, 10.0, 3, &at(2, -1.2), &[at(0, -1.0)]).is_some());
        assert_eq!(check(Goal::Maximize, 10.0, 3, &at(2, -1.05), &[at(0, -1.0)]), None);
    }
}
