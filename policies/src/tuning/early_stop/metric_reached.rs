//! The sweep finishes once a trial's intermediate or final metric reaches a target.

use crate::tuning::spec::{EarlyStop, Goal};

/// The reason to finish if `metric` of trial `index` reaches a `MetricReached` target.
pub(crate) fn check(
    rules: &[EarlyStop],
    goal: Goal,
    metric_name: &str,
    index: u32,
    metric: f64,
) -> Option<String> {
    rules.iter().find_map(|rule| match *rule {
        EarlyStop::MetricReached { value } if goal.reaches(metric, value) => {
            let op = if goal == Goal::Maximize { ">=" } else { "<=" };
            Some(format!("metric reached: trial {index} reported {metric_name} = {metric} {op} {value}"))
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reaches_inclusively_in_the_goal_direction() {
        let rules = [EarlyStop::MetricReached { value: 0.9 }];
        assert!(check(&rules, Goal::Maximize, "acc", 0, 0.9).is_some());
        assert_eq!(check(&rules, Goal::Maximize, "acc", 0, 0.89), None);
        assert!(check(&rules, Goal::Minimize, "loss", 0, 0.5).is_some());
        assert_eq!(check(&rules, Goal::Minimize, "loss", 0, 0.95), None);
        assert_eq!(check(&[], Goal::Minimize, "loss", 0, 0.0), None);
    }
}
