//! Random search: independent samples of every input. Hyperband draws its configurations here
//! too.
//!
//! Each configuration has its own ChaCha stream (see [`config_rng`]), so configuration `k` of a
//! sweep is the same whatever the number of trials; within it the params are drawn in
//! declared order.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::spec::{range_len, range_point, Space};
use crate::expr::{Params, Value};

/// Stream tag of random-search configurations (configuration `k` uses `RANDOM_STREAM + k`).
const RANDOM_STREAM: u64 = 0x7253_0000_0000_0000;
/// Stream tag of Hyperband configurations (`HYPERBAND_STREAM + bracket · 2³² + k`).
const HYPERBAND_STREAM: u64 = 0x6862_0000_0000_0000;

/// The generator of random-search configuration `k`.
pub(crate) fn config_rng(seed: u64, k: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(RANDOM_STREAM.wrapping_add(k));
    rng
}

/// The generator of configuration `k` of Hyperband bracket `bracket`.
pub(crate) fn hyperband_rng(seed: u64, bracket: u32, k: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(HYPERBAND_STREAM.wrapping_add(u64::from(bracket) << 32).wrapping_add(k));
    rng
}

/// One value of a validated space.
pub(crate) fn sample(space: &Space, rng: &mut ChaCha8Rng) -> Value {
    match space {
        Space::Choice(values) => {
            if values.is_empty() {
                return Value::Num(f64::NAN);
            }
            values[rng.gen_range(0..values.len())].clone()
        }
        Space::Range { lo, hi, step } => {
            let n = range_len(*lo, *hi, *step).max(1);
            Value::Num(range_point(*lo, *hi, *step, rng.gen_range(0..n)))
        }
        Space::Uniform { lo, hi } => {
            let u: f64 = rng.gen();
            // Written as a weighted mean so that huge bounds cannot overflow.
            Value::Num((lo * (1.0 - u) + hi * u).clamp(*lo, *hi))
        }
        Space::LogUniform { lo, hi } => {
            let u: f64 = rng.gen();
            let x = (lo.ln() * (1.0 - u) + hi.ln() * u).exp();
            Value::Num(if x.is_finite() { x.clamp(*lo, *hi) } else { *lo })
        }
        Space::RandInt { lo, hi } => {
            if lo > hi {
                return Value::Num(*lo as f64);
            }
            Value::Num(rng.gen_range(*lo..=*hi) as f64)
        }
    }
}

/// A configuration: every param sampled in declared order from `rng`.
pub(crate) fn sample_params(params: &[(String, Space)], rng: &mut ChaCha8Rng) -> Params {
    params.iter().map(|(name, space)| (name.clone(), sample(space, rng))).collect()
}

/// The first `count` random-search configurations.
pub(crate) fn configurations(params: &[(String, Space)], seed: u64, count: u64) -> Vec<Params> {
    (0..count).map(|k| sample_params(params, &mut config_rng(seed, k))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spaces() -> Vec<(String, Space)> {
        vec![
            ("opt".into(), Space::Choice(vec![Value::Str("sgd".into()), Value::Str("adam".into())])),
            ("mom".into(), Space::Range { lo: 0.5, hi: 0.9, step: 0.1 }),
            ("drop".into(), Space::Uniform { lo: 0.1, hi: 0.5 }),
            ("lr".into(), Space::LogUniform { lo: 1e-4, hi: 1e-1 }),
            ("layers".into(), Space::RandInt { lo: 1, hi: 8 }),
        ]
    }

    #[test]
    fn deterministic_within_bounds_and_seed_dependent() {
        let a = configurations(&spaces(), 42, 50);
        assert_eq!(a, configurations(&spaces(), 42, 50));
        assert_ne!(a, configurations(&spaces(), 43, 50));
        // Fewer trials: the same first configurations.
        assert_eq!(configurations(&spaces(), 42, 10), a[..10].to_vec());
        let mut seen_opts = std::collections::BTreeSet::new();
        for p in &a {
            let num = |i: usize| match &p[i].1 {
                Value::Num(x) => *x,
                other => panic!("{other:?}"),
            };
            match &p[0].1 {
                Value::Str(s) => seen_opts.insert(s.clone()),
                other => panic!("{other:?}"),
            };
            assert!([0.5, 0.6, 0.7, 0.8, 0.9].contains(&num(1)), "{}", num(1));
            assert!((0.1..=0.5).contains(&num(2)));
            assert!((1e-4..=1e-1).contains(&num(3)));
            assert!((1.0..=8.0).contains(&num(4)) && num(4).fract() == 0.0);
        }
        assert_eq!(seen_opts.len(), 2);
    }

    #[test]
    fn degenerate_spaces_give_their_only_value() {
        let mut rng = config_rng(1, 0);
        assert_eq!(sample(&Space::Uniform { lo: 2.0, hi: 2.0 }, &mut rng), Value::Num(2.0));
        assert_eq!(sample(&Space::RandInt { lo: -3, hi: -3 }, &mut rng), Value::Num(-3.0));
        let huge = sample(&Space::Uniform { lo: -f64::MAX, hi: f64::MAX }, &mut rng);
        assert!(matches!(huge, Value::Num(x) if x.is_finite()));
    }
}
