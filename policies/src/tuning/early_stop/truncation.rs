//! Truncation stopping (Polyaxon's `TruncationStoppingPolicy`): at an evaluation step, a
//! trial among the worst `percent` % of the trials that reported that step is stopped.
//!
//! With `n` trials reporting the step (this one included) the worst `⌊percent · n / 100⌋`
//! are stopped; among equal metrics the higher trial index counts as worse.

use super::StepEntry;
use crate::tuning::spec::Goal;

pub(crate) fn check(
    goal: Goal,
    percent: f64,
    step: u32,
    me: &StepEntry,
    others: &[StepEntry],
) -> Option<String> {
    let n = others.len() + 1;
    // The small epsilon keeps e.g. 30 % of 10 at 3 despite float rounding.
    let cut = (percent / 100.0 * n as f64 + 1e-9).floor();
    if cut < 1.0 {
        return None;
    }
    // Trials strictly worse than me, or as good with a higher index, rank below me.
    let below = others
        .iter()
        .filter(|o| goal.better(me.metric, o.metric) || (o.metric == me.metric && o.index > me.index))
        .count();
    ((below as f64) < cut).then(|| {
        format!(
            "truncation at step {step}: metric {} is among the worst {percent}% of the {n} trials \
             reporting this step",
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
    fn stops_the_worst_quarter() {
        let others = [at(0, 0.9), at(1, 0.8), at(2, 0.7)];
        // n = 4, 25 % → the single worst is stopped.
        assert!(check(Goal::Maximize, 25.0, 2, &at(3, 0.1), &others).is_some());
        assert_eq!(check(Goal::Maximize, 25.0, 2, &at(3, 0.75), &others), None);
        // n = 3 before trial 3 reported: ⌊0.75⌋ = 0, nobody is stopped.
        assert_eq!(check(Goal::Maximize, 25.0, 2, &at(2, 0.1), &others[..2]), None);
        // Minimising, 0.9 is the worst.
        assert!(check(Goal::Minimize, 25.0, 2, &at(0, 0.9), &[at(1, 0.8), at(2, 0.7), at(3, 0.1)]).is_some());
        // 50 % of 4 = 2: the second worst goes too.
        assert!(check(Goal::Maximize, 50.0, 2, &at(2, 0.7), &[at(0, 0.9), at(1, 0.8), at(3, 0.1)]).is_some());
    }

    #[test]
    fn ties_count_the_higher_index_as_worse() {
        let others = [at(0, 0.5), at(2, 0.9), at(3, 0.9)];
        assert!(check(Goal::Maximize, 25.0, 1, &at(1, 0.5), &others).is_some());
        let others = [at(1, 0.5), at(2, 0.9), at(3, 0.9)];
        assert_eq!(check(Goal::Maximize, 25.0, 1, &at(0, 0.5), &others), None);
    }
}
