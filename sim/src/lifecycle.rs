//! The simulator's side of the operation lifecycle: what a trace row asks of the kernel
//! (termination, approval, cache, inputs, conditions), and what the simulator plays in the
//! cluster's and the users' place: attempts that fail at the configured rates, approvals that
//! arrive after a sampled delay, and the scenario's scripted actions.
//!
//! Every random draw comes from a ChaCha stream of the run's seed named for its purpose and
//! its operation (and attempt), so adding an operation or a failure rate never changes the
//! draws of the others.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use schedlab_policies::expr::fmt_params;
use schedlab_policies::model::{CacheSpec, OpSpec, Termination};
use schedlab_policies::{OpId, Time};
use schedlab_traces::{DurationSampler, TraceRecord};

use crate::scenario::{CacheMode, Scenario};

/// Stream tags: one ChaCha stream family per kind of draw.
const FAIL_STREAM: u64 = 0xFA11 << 40;
const APPROVAL_STREAM: u64 = 0xA990 << 40;

/// Approvals the simulated approvers will give, by when.
pub struct Approvals {
    sampler: Option<DurationSampler>,
    reject_probability: f64,
    seed: u64,
    /// (when, sequence, operation, approve?)
    heap: BinaryHeap<Reverse<(Time, u64, OpId, bool)>>,
    seq: u64,
}

impl Approvals {
    pub fn new(scenario: &Scenario, seed: u64) -> Approvals {
        let model = &scenario.lifecycle.approval;
        let sampler = model.delay.as_ref().map(|d| {
            DurationSampler::new(d).expect("the delay distribution is checked when the scenario loads")
        });
        Approvals {
            sampler,
            reject_probability: model.reject_probability,
            seed,
            heap: BinaryHeap::new(),
            seq: 0,
        }
    }

    /// `op` started waiting for approval at `now`: its answer arrives after a sampled delay.
    pub fn ask(&mut self, op: OpId, now: Time) {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(APPROVAL_STREAM + u64::from(op.0));
        let delay = self.sampler.as_ref().map_or(0, |s| s.sample(&mut rng));
        let approve = rng.gen::<f64>() >= self.reject_probability;
        self.heap.push(Reverse((now.saturating_add(delay), self.seq, op, approve)));
        self.seq += 1;
    }

    pub fn next_time(&self) -> Option<Time> {
        self.heap.peek().map(|e| e.0 .0)
    }

    /// The next answer due at `now`: (operation, approved?).
    pub fn pop_at(&mut self, now: Time) -> Option<(OpId, bool)> {
        let &Reverse((t, _, op, approve)) = self.heap.peek()?;
        if t != now {
            return None;
        }
        self.heap.pop();
        Some((op, approve))
    }
}

/// When attempt `attempt` of `op` fails, if it does: after this fraction of what it has left
/// to run. `p` is the operation's failure chance per attempt.
pub fn attempt_failure(seed: u64, op: OpId, attempt: u32, p: f64) -> Option<f64> {
    if p <= 0.0 {
        return None;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(FAIL_STREAM + u64::from(op.0));
    // Each attempt reads its own block of the stream.
    rng.set_word_pos(u128::from(attempt) * 16);
    let u: f64 = rng.gen();
    (u < p).then(|| rng.gen::<f64>())
}

/// The failure chance of a record's attempts: its own, else its queue's.
pub fn fail_probability(scenario: &Scenario, r: &TraceRecord, queue: Option<usize>) -> f64 {
    r.fail_probability
        .or_else(|| queue.and_then(|q| scenario.lifecycle.fail_probability.get(q).copied()))
        .unwrap_or(0.0)
}

/// Fills the lifecycle fields of `spec` from its trace row `r`.
pub fn apply(scenario: &Scenario, r: &TraceRecord, spec: &mut OpSpec) {
    spec.termination = Termination { timeout: r.timeout, retries: r.retries, retry_backoff: r.retry_backoff };
    spec.approval = r.approval;
    spec.skip_on_upstream_skip = r.skip_on_upstream_skip;
    spec.inputs = r.inputs.clone();
    if let Some(text) = &r.conditions {
        // The trace reader checked the expression; an unparsable one cannot reach here.
        spec.conditions = schedlab_policies::expr::parse(text).ok();
        spec.upstream_names = r.depends_on.clone();
    }
    spec.cache = cache_spec(scenario, r);
}

/// The cache entry of a row: on by the scenario's mode (inside workflows by default) unless
/// the row says otherwise, keyed by the row's `cache_key` or else by its component and
/// inputs. A row with neither key nor component has nothing that identifies its work, so it
/// never uses the cache.
pub fn cache_spec(scenario: &Scenario, r: &TraceRecord) -> Option<CacheSpec> {
    let defaults = &scenario.lifecycle.cache;
    let on = r.cache.unwrap_or(match defaults.mode {
        CacheMode::All => true,
        CacheMode::Workflows => r.workflow.is_some(),
        CacheMode::Off => false,
    });
    if !on {
        return None;
    }
    let key = match (&r.cache_key, &r.component) {
        (Some(k), _) => k.clone(),
        (None, Some(c)) => format!("{c}({})", fmt_params(&r.inputs)),
        (None, None) => return None,
    };
    Some(CacheSpec { key, ttl: r.cache_ttl.or(defaults.ttl) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_draws_depend_on_the_seed_operation_and_attempt_only() {
        let draws = |seed| (0..200).filter(|a| attempt_failure(seed, OpId(3), *a, 0.3).is_some()).count();
        let n = draws(7);
        // About 30 % of 200 attempts fail, and the same seed gives the same draws.
        assert!((35..=85).contains(&n), "{n}");
        assert_eq!(n, draws(7));
        assert_eq!(attempt_failure(7, OpId(3), 5, 0.0), None);
        assert!(attempt_failure(7, OpId(3), 5, 1.0).is_some());
        let f = attempt_failure(7, OpId(3), 5, 1.0).unwrap();
        assert!((0.0..1.0).contains(&f));
    }
}
