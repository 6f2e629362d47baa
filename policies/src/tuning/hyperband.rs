//! Hyperband (Li et al., "Hyperband: a novel bandit-based approach to hyperparameter
//! optimization", JMLR 2018).
//!
//! With `R = max_iterations` and reduction factor `eta`: `s_max = ⌊log_eta R⌋` (computed with
//! integers: the largest `s` with `eta^s ≤ R`). Bracket `s = s_max, …, 0` starts
//! `n = ⌈(s_max + 1)·eta^s / (s + 1)⌉` random configurations with `r = R·eta^-s` iterations
//! each (successive halving): rung `i = 0, …, s` holds `n_i = ⌊n / eta^i⌋` trials with
//! `round(r·eta^i)` iterations (at least 1). When every trial of a rung has ended, the best
//! `⌊n_i / eta⌋` by final metric (ties to the lower trial index; failed, stopped and
//! metric-less trials never advance) run again as new trials of rung `i + 1`, best first.
//! Brackets are independent: all first rungs start at once.

use rand_chacha::ChaCha8Rng;

use super::random::{hyperband_rng, sample_params};
use super::spec::{Goal, Space};
use crate::expr::{Params, Value};

/// One rung of a bracket as planned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RungPlan {
    /// Trials of the rung (fewer may run: failures, `max_trials`).
    pub trials: u64,
    /// Iterations each trial of the rung receives.
    pub iterations: u64,
}

/// One bracket as planned: `bracket` is Li et al.'s `s`, rungs in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BracketPlan {
    pub bracket: u32,
    pub rungs: Vec<RungPlan>,
}

/// `⌊log_eta R⌋`: the largest `s` with `eta^s ≤ R` (0 for `R < eta`; `eta` below 2 is
/// treated as 2).
pub fn s_max(max_iterations: u32, eta: u32) -> u32 {
    let eta = u64::from(eta.max(2));
    let r = u64::from(max_iterations);
    let (mut s, mut power) = (0, eta);
    while power <= r {
        s += 1;
        power *= eta; // power ≤ R·eta < 2^64
    }
    s
}

/// `eta^k` for `k ≤ s_max` (never overflows there; saturates elsewhere).
fn pow(eta: u32, k: u32) -> u64 {
    u64::from(eta.max(2)).saturating_pow(k)
}

/// Every bracket, `s_max` first. `max_iterations` 0 is treated as 1, `eta` below 2 as 2.
pub fn plan(max_iterations: u32, eta: u32) -> Vec<BracketPlan> {
    let r = u128::from(max_iterations.max(1));
    let top = s_max(max_iterations.max(1), eta);
    (0..=top)
        .rev()
        .map(|s| {
            let n = bracket_size(top, s, eta);
            let rungs = (0..=s)
                .map(|i| {
                    // r·eta^i = R·eta^i / eta^s, rounded half up, at least 1.
                    let den = u128::from(pow(eta, s));
                    let num = r * u128::from(pow(eta, i));
                    let iterations = ((num + den / 2) / den).max(1);
                    RungPlan {
                        trials: n / pow(eta, i),
                        iterations: u64::try_from(iterations).unwrap_or(u64::MAX),
                    }
                })
                .collect();
            BracketPlan { bracket: s, rungs }
        })
        .collect()
}

/// `n = ⌈(s_max + 1)·eta^s / (s + 1)⌉`.
fn bracket_size(s_max: u32, s: u32, eta: u32) -> u64 {
    let num = u128::from(s_max + 1) * u128::from(pow(eta, s));
    let den = u128::from(s + 1);
    u64::try_from(num.div_ceil(den)).unwrap_or(u64::MAX)
}

/// Trials of every rung of every bracket, if all advance.
pub(crate) fn planned_trials(max_iterations: u32, eta: u32) -> u128 {
    plan(max_iterations, eta).iter().flat_map(|b| &b.rungs).map(|r| u128::from(r.trials)).sum()
}

/// A promotion to make: create one trial per winner (in this order) on `rung`.
#[derive(Debug, PartialEq)]
pub(crate) struct Promotion {
    pub bracket: u32,
    pub rung: u32,
    pub iterations: u64,
    /// Indices of the trials whose params advance, best first.
    pub winners: Vec<u32>,
}

struct Bracket {
    plan: BracketPlan,
    /// The rung running now.
    rung: u32,
    /// Trials created on it.
    members: Vec<u32>,
    done: bool,
}

/// The brackets' progress.
pub(crate) struct Hyperband {
    eta: u32,
    resource: String,
    /// `s_max` first: bracket `s` is at `s_max - s`.
    brackets: Vec<Bracket>,
}

impl Hyperband {
    pub(crate) fn new(max_iterations: u32, eta: u32, resource: &str) -> Hyperband {
        let brackets = plan(max_iterations, eta)
            .into_iter()
            .map(|plan| Bracket { plan, rung: 0, members: Vec::new(), done: false })
            .collect();
        Hyperband { eta: eta.max(2), resource: resource.to_string(), brackets }
    }

    fn bracket_mut(&mut self, s: u32) -> Option<&mut Bracket> {
        self.brackets.iter_mut().find(|b| b.plan.bracket == s)
    }

    /// The first rungs' configurations, bracket `s_max` first, at most `limit` of them:
    /// `(bracket, params with the resource input last)`.
    pub(crate) fn first_rungs(
        &self,
        params: &[(String, Space)],
        seed: u64,
        limit: u64,
    ) -> Vec<(u32, Params)> {
        let mut out = Vec::new();
        'brackets: for b in &self.brackets {
            let Some(first) = b.plan.rungs.first() else { continue };
            for k in 0..first.trials {
                if out.len() as u64 >= limit {
                    break 'brackets;
                }
                let mut rng: ChaCha8Rng = hyperband_rng(seed, b.plan.bracket, k);
                let config = sample_params(params, &mut rng);
                out.push((b.plan.bracket, self.with_resource(&config, first.iterations)));
            }
        }
        out
    }

    /// `params` with the resource input set to `iterations` (replaced if present, else last).
    pub(crate) fn with_resource(&self, params: &Params, iterations: u64) -> Params {
        let mut out: Params = params.iter().filter(|(n, _)| *n != self.resource).cloned().collect();
        out.push((self.resource.clone(), Value::Num(iterations as f64)));
        out
    }

    /// Records that trial `index` was created on the running rung of bracket `s`.
    pub(crate) fn add_member(&mut self, s: u32, index: u32) {
        if let Some(b) = self.bracket_mut(s) {
            b.members.push(index);
        }
    }

    /// Marks brackets that received no trial (cut by `max_trials`) as done.
    pub(crate) fn close_empty(&mut self) {
        for b in &mut self.brackets {
            if b.members.is_empty() {
                b.done = true;
            }
        }
    }

    /// Called after a trial of bracket `s` ended. `result(index)` is `None` while a trial
    /// runs, `Some(metric)` once it ended (`Some(None)`: failed, stopped or no metric). If the
    /// bracket's running rung is complete, it moves to the next rung and returns who advances;
    /// the caller then creates those trials and reports each with [`Hyperband::add_member`].
    /// Returns `None` when nothing advances (rung still running, last rung, or no winner).
    pub(crate) fn promotion(
        &mut self,
        s: u32,
        goal: Goal,
        result: impl Fn(u32) -> Option<Option<f64>>,
    ) -> Option<Promotion> {
        let eta = u64::from(self.eta);
        let b = self.bracket_mut(s)?;
        if b.done {
            return None;
        }
        let mut finals = Vec::with_capacity(b.members.len());
        for &index in &b.members {
            finals.push((index, result(index)?));
        }
        let planned = b.plan.rungs.get(b.rung as usize).map_or(0, |r| r.trials);
        let next = b.plan.rungs.get(b.rung as usize + 1).copied();
        let winners = winners(&finals, goal, planned / eta);
        match next {
            Some(next) if !winners.is_empty() => {
                b.rung += 1;
                b.members.clear();
                Some(Promotion { bracket: s, rung: b.rung, iterations: next.iterations, winners })
            }
            _ => {
                b.done = true;
                None
            }
        }
    }
}

/// The best `k` trials with a final metric, best first, ties to the lower index.
fn winners(finals: &[(u32, Option<f64>)], goal: Goal, k: u64) -> Vec<u32> {
    let mut ranked: Vec<(u32, f64)> =
        finals.iter().filter_map(|&(i, m)| m.filter(|m| m.is_finite()).map(|m| (i, m))).collect();
    ranked.sort_by(|a, b| goal.best_first(a.1, b.1).then(a.0.cmp(&b.0)));
    ranked.into_iter().take(usize::try_from(k).unwrap_or(usize::MAX)).map(|(i, _)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rungs(b: &BracketPlan) -> Vec<(u64, u64)> {
        b.rungs.iter().map(|r| (r.trials, r.iterations)).collect()
    }

    #[test]
    fn s_max_is_an_exact_integer_logarithm() {
        assert_eq!(s_max(9, 3), 2);
        assert_eq!(s_max(8, 3), 1);
        assert_eq!(s_max(27, 3), 3);
        assert_eq!(s_max(1, 3), 0);
        assert_eq!(s_max(81, 3), 4);
        assert_eq!(s_max(1000, 10), 3); // log10(1000) in floats is 2.9999999999999996
        assert_eq!(s_max(u32::MAX, 2), 31);
        assert_eq!(s_max(u32::MAX, u32::MAX), 1);
    }

    #[test]
    fn r9_eta3_brackets() {
        let p = plan(9, 3);
        assert_eq!(p.iter().map(|b| b.bracket).collect::<Vec<_>>(), vec![2, 1, 0]);
        assert_eq!(rungs(&p[0]), vec![(9, 1), (3, 3), (1, 9)]);
        assert_eq!(rungs(&p[1]), vec![(5, 3), (1, 9)]);
        assert_eq!(rungs(&p[2]), vec![(3, 9)]);
        assert_eq!(planned_trials(9, 3), 9 + 3 + 1 + 5 + 1 + 3);
    }

    #[test]
    fn r81_eta3_matches_the_paper() {
        // Li et al. 2018, table 1.
        let p = plan(81, 3);
        assert_eq!(rungs(&p[0]), vec![(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)]);
        assert_eq!(rungs(&p[1]), vec![(34, 3), (11, 9), (3, 27), (1, 81)]);
        assert_eq!(rungs(&p[2]), vec![(15, 9), (5, 27), (1, 81)]);
        assert_eq!(rungs(&p[3]), vec![(8, 27), (2, 81)]);
        assert_eq!(rungs(&p[4]), vec![(5, 81)]);
    }

    #[test]
    fn non_power_budgets_round_iterations() {
        // R = 10, eta = 3: s_max = 2, r = 10/9 → 1, 10/3 → 3, 10.
        let p = plan(10, 3);
        assert_eq!(rungs(&p[0]), vec![(9, 1), (3, 3), (1, 10)]);
        assert_eq!(rungs(&p[1]), vec![(5, 3), (1, 10)]);
    }

    #[test]
    fn winners_rank_by_metric_then_index() {
        let finals = [(0, Some(0.5)), (1, None), (2, Some(0.9)), (3, Some(0.5)), (4, Some(f64::NAN))];
        assert_eq!(winners(&finals, Goal::Maximize, 2), vec![2, 0]);
        assert_eq!(winners(&finals, Goal::Minimize, 2), vec![0, 3]);
        assert_eq!(winners(&finals, Goal::Maximize, 10), vec![2, 0, 3]);
    }
}
