//! The sweep finishes when failed trials are more than a percentage of ended trials.

use crate::tuning::spec::EarlyStop;

/// The reason to finish, given `failed` of `ended` trials (nothing before a trial ended).
pub(crate) fn check(rules: &[EarlyStop], failed: u32, ended: u32) -> Option<String> {
    if ended == 0 {
        return None;
    }
    let share = f64::from(failed) * 100.0 / f64::from(ended);
    rules.iter().find_map(|rule| match *rule {
        EarlyStop::Failures { percent } if share > percent => {
            Some(format!("failures: {failed} of {ended} ended trials failed ({share:.1}% > {percent}%)"))
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strictly_more_than_the_percent() {
        let rules = [EarlyStop::Failures { percent: 50.0 }];
        assert_eq!(check(&rules, 0, 0), None);
        assert_eq!(check(&rules, 1, 2), None);
        assert!(check(&rules, 2, 3).is_some());
        assert!(check(&[EarlyStop::Failures { percent: 0.0 }], 1, 10).is_some());
        assert_eq!(check(&[EarlyStop::Failures { percent: 0.0 }], 0, 10), None);
    }
}
