//! A seeded synthetic model of trials, for the simulator: how long a trial runs, the metric
//! curve it reports and its final metric.
//!
//! # The model
//!
//! **Latent quality.** Every searched param scores its value in `[0, 1]`, and a trial's
//! quality `q` is the mean score (0.5 with no scored param):
//! - numeric values of `range`, `uniform`, `loguniform` and `randint` spaces: the value is
//!   placed at `t ∈ [0, 1]` in its space (log scale for `loguniform`) and scores
//!   `exp(−½((t − o)/w)²)`, a smooth bowl around an optimum `o ∈ [0.1, 0.9]` of width
//!   `w ∈ [0.15, 0.35]`, both drawn per param name;
//! - `choice` values (and values of the wrong type): a score drawn uniformly per
//!   (param name, value);
//! - every input of a `Mapping` trial (the algorithm declares no spaces): likewise.
//!
//! These draws depend only on the seed, the param name and the value, so the same params
//! always have the same quality within a sweep: **pass the same `seed` for every trial of a
//! sweep** (e.g. the run's seed), or the landscape changes between trials. The Hyperband
//! resource input and params the spec does not declare do not score.
//!
//! **Learning curve.** After `x` iterations the clean metric is
//! `m(x) = p · (1 − exp(−x / k))` with plateau `p = 0.3 + 0.65·q` (an accuracy-like number
//! in `[0.3, 0.95]`) and `k =` [`TrialModel::curve_iterations`]. A Hyperband trial runs as
//! many iterations as its resource input says (rounded, at least 1); any other trial runs
//! [`TrialModel::full_iterations`]. The final metric is `m(iterations)·(1 + noise·z)` with
//! `z` a standard normal clamped to ±3, kept in `[0, 1]`. A `Minimize` goal sees the mirror
//! image, a loss `1 − that`.
//!
//! **Duration.** `base_duration` per iteration (Hyperband) or per trial (otherwise), times
//! `max(0.1, 1 + duration_jitter·z')`, in whole milliseconds.
//!
//! **Curve.** One report per iteration for Hyperband trials (at most
//! [`MAX_CURVE_POINTS`], evenly spread beyond), 10 evenly spaced reports otherwise; report
//! `j` of `n` is at `duration·step/iterations` (the last exactly at `duration`) and holds the
//! clean curve with its own relative noise; the last report equals the final metric.
//!
//! **Failures.** With probability [`TrialModel::failure_rate`] the trial fails at a uniform
//! 5–100 % of its duration: `failed` is set, `duration` is the failure time, the curve keeps
//! the reports before it and `final_metric` is the last of them (the untrained value if
//! none). The caller reports such a trial as `TrialEnd::Failed`.
//!
//! The noise of a trial comes from its own ChaCha stream keyed by its index and params, so
//! same inputs and seed always give the same outcome.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::spec::{Algorithm, Goal, Space, SweepSpec};
use super::sweep::Trial;
use crate::expr::Value;
use crate::time::{Time, SECOND};

/// At most this many reports per trial curve.
pub const MAX_CURVE_POINTS: u64 = 10_000;

/// The simulator's model of trials. Fields out of range are read as the nearest sensible
/// value (negative durations and rates as 0, …); nothing panics.
#[derive(Clone, Debug, PartialEq)]
pub struct TrialModel {
    /// Duration of one iteration (Hyperband trials) or of a whole trial (other algorithms).
    pub base_duration: Time,
    /// Relative standard deviation of the final metric (and of each report); at most 10.
    pub noise: f64,
    /// Relative standard deviation of a trial's duration; at most 10.
    pub duration_jitter: f64,
    /// Iterations for the learning curve to reach `1 − 1/e` (63 %) of its plateau.
    pub curve_iterations: f64,
    /// Iterations a trial without a resource input stands for (its curve's end).
    pub full_iterations: u32,
    /// Probability that a trial fails.
    pub failure_rate: f64,
}

impl TrialModel {
    /// A model with these two and the defaults: 5 % duration jitter, curves at 63 % after 3
    /// iterations, 10 iterations per non-Hyperband trial, no failures.
    pub fn new(base_duration: Time, noise: f64) -> TrialModel {
        TrialModel {
            base_duration,
            noise,
            duration_jitter: 0.05,
            curve_iterations: 3.0,
            full_iterations: 10,
            failure_rate: 0.0,
        }
    }
}

impl Default for TrialModel {
    /// One minute per iteration or trial, 2 % metric noise.
    fn default() -> TrialModel {
        TrialModel::new(60 * SECOND, 0.02)
    }
}

/// What a simulated trial does.
#[derive(Clone, Debug, PartialEq)]
pub struct TrialOutcome {
    /// From start to success or failure.
    pub duration: Time,
    /// The metric it ends with (for a failed trial: its last report).
    pub final_metric: f64,
    /// Intermediate reports `(step, offset from the start, metric)`, steps increasing.
    pub curve: Vec<(u32, Time, f64)>,
    /// Whether it fails (at `duration`).
    pub failed: bool,
}

/// FNV-1a, then a SplitMix64 finaliser: a hash that never changes between Rust versions.
struct StableHash(u64);

impl StableHash {
    fn new(tag: &str) -> StableHash {
        let mut h = StableHash(0xcbf2_9ce4_8422_2325);
        h.bytes(tag.as_bytes());
        h
    }

    fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        // A separator, so that ("ab", "c") and ("a", "bc") differ.
        self.0 = (self.0 ^ 0xff).wrapping_mul(0x0000_0100_0000_01b3);
    }

    fn value(&mut self, v: &Value) {
        match v {
            Value::Num(x) => {
                let x = if *x == 0.0 { 0.0 } else { *x }; // -0 and 0 are the same input
                self.bytes(b"n");
                self.bytes(&x.to_bits().to_le_bytes());
            }
            Value::Str(s) => {
                self.bytes(b"s");
                self.bytes(s.as_bytes());
            }
            Value::Bool(b) => self.bytes(&[b'b', u8::from(*b)]),
        }
    }

    fn finish(&self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// The generator keyed by `hash` under `seed`.
fn rng_for(seed: u64, hash: &StableHash) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(hash.finish());
    rng
}

/// Where a numeric value lies in its space, in `[0, 1]` (`None` for choices).
fn position(space: &Space, x: f64) -> Option<f64> {
    let linear = |lo: f64, hi: f64, x: f64| {
        let t = (x - lo) / (hi - lo);
        if t.is_finite() {
            t.clamp(0.0, 1.0)
        } else {
            0.5
        }
    };
    match *space {
        Space::Choice(_) => None,
        Space::Range { lo, hi, .. } | Space::Uniform { lo, hi } => Some(linear(lo, hi, x)),
        Space::RandInt { lo, hi } => Some(linear(lo as f64, hi as f64, x)),
        Space::LogUniform { lo, hi } => {
            Some(if lo > 0.0 && x > 0.0 { linear(lo.ln(), hi.ln(), x.ln()) } else { 0.0 })
        }
    }
}

/// How good `value` of param `name` is, in `[0, 1]`.
fn score(name: &str, space: &Space, value: &Value, seed: u64) -> f64 {
    let t = match value {
        Value::Num(x) if x.is_finite() => position(space, *x),
        _ => None,
    };
    if let Some(t) = t {
        let mut h = StableHash::new("tuning.optimum");
        h.bytes(name.as_bytes());
        let mut rng = rng_for(seed, &h);
        let optimum = 0.1 + 0.8 * rng.gen::<f64>();
        let width = 0.15 + 0.2 * rng.gen::<f64>();
        let d = (t - optimum) / width;
        return (-0.5 * d * d).exp();
    }
    let mut h = StableHash::new("tuning.choice");
    h.bytes(name.as_bytes());
    h.value(value);
    rng_for(seed, &h).gen::<f64>()
}

/// The latent quality in `[0, 1]` of a trial's params: the mean score of the params the spec
/// declares (0.5 if none). Depends only on the spec, the params and the seed.
pub fn quality(spec: &SweepSpec, params: &[(String, Value)], seed: u64) -> f64 {
    let (mut sum, mut count) = (0.0, 0u32);
    if let Algorithm::Mapping { .. } = spec.algorithm {
        // A mapping declares no spaces: every input of the set scores as a choice would.
        for (name, value) in params {
            sum += score(name, &Space::Choice(Vec::new()), value, seed);
            count += 1;
        }
    }
    for (name, space) in &spec.params {
        if let Some((_, value)) = params.iter().find(|(n, _)| n == name) {
            sum += score(name, space, value, seed);
            count += 1;
        }
    }
    if count == 0 {
        0.5
    } else {
        sum / f64::from(count)
    }
}

/// A standard normal draw (Box–Muller), clamped to ±3.
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.gen();
    let u2: f64 = rng.gen();
    let z = (-2.0 * (1.0 - u1).ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
    z.clamp(-3.0, 3.0)
}

/// A non-negative finite number, or 0.
fn non_negative(x: f64) -> f64 {
    if x.is_finite() && x > 0.0 {
        x
    } else {
        0.0
    }
}

/// A relative standard deviation: non-negative, at most 10 (so nothing overflows).
fn relative_sd(x: f64) -> f64 {
    non_negative(x).min(10.0)
}

/// `x` kept in `[0, 1]` (NaN as 0).
fn unit(x: f64) -> f64 {
    if x.is_nan() {
        0.0
    } else {
        x.clamp(0.0, 1.0)
    }
}

/// The iterations a trial runs: its resource input for Hyperband, else `None`.
fn resource_iterations(spec: &SweepSpec, trial: &Trial) -> Option<u64> {
    let Algorithm::Hyperband { resource, .. } = &spec.algorithm else { return None };
    match trial.params.iter().find(|(n, _)| n == resource) {
        Some((_, Value::Num(x))) if x.is_finite() => Some(x.round().clamp(1.0, u32::MAX as f64) as u64),
        _ => None,
    }
}

/// Simulates one trial of `spec`. Deterministic in all its arguments; pass the sweep's seed
/// for every trial (see the module documentation).
pub fn simulate_trial(model: &TrialModel, spec: &SweepSpec, trial: &Trial, seed: u64) -> TrialOutcome {
    let q = quality(spec, &trial.params, seed);
    let plateau = 0.3 + 0.65 * q;
    let k = if model.curve_iterations.is_finite() && model.curve_iterations > 0.0 {
        model.curve_iterations
    } else {
        1e-9
    };
    let noise = relative_sd(model.noise);
    let mirror = |acc: f64| if spec.metric.goal == Goal::Minimize { 1.0 - acc } else { acc };
    let clean = |x: f64| plateau * (1.0 - (-x / k).exp());

    let mut h = StableHash::new("tuning.trial");
    h.bytes(&trial.index.to_le_bytes());
    for (name, value) in &trial.params {
        h.bytes(name.as_bytes());
        h.value(value);
    }
    let mut rng = rng_for(seed, &h);
    let z_final = normal(&mut rng);
    let z_duration = normal(&mut rng);
    let fails = rng.gen::<f64>() < non_negative(model.failure_rate);
    let fail_at = 0.05 + 0.95 * rng.gen::<f64>();

    let hyperband = resource_iterations(spec, trial);
    let iterations = hyperband.unwrap_or(u64::from(model.full_iterations.max(1)));
    let units = hyperband.unwrap_or(1) as f64;
    let factor = (1.0 + relative_sd(model.duration_jitter) * z_duration).max(0.1);
    let duration = (non_negative(model.base_duration as f64) * units * factor).round().min(1e15) as Time;

    let final_metric = mirror(unit(clean(iterations as f64) * (1.0 + noise * z_final)));

    // Steps (iterations) of the reports, increasing, the last at `iterations`.
    let points = match hyperband {
        Some(n) => n.min(MAX_CURVE_POINTS),
        None => 10,
    };
    let mut curve = Vec::with_capacity(points as usize);
    for j in 1..=points {
        let (step, x) = match hyperband {
            Some(n) => {
                let s = (u128::from(n) * u128::from(j)).div_ceil(u128::from(points)) as u64;
                (s, s as f64)
            }
            None => (j, iterations as f64 * j as f64 / points as f64),
        };
        let span = if hyperband.is_some() { iterations } else { points };
        let offset = (i128::from(duration) * i128::from(step) / i128::from(span.max(1))) as Time;
        let z = normal(&mut rng);
        let metric = if j == points { final_metric } else { mirror(unit(clean(x) * (1.0 + noise * z))) };
        curve.push((u32::try_from(step).unwrap_or(u32::MAX), offset, metric));
    }

    if fails {
        let at = ((duration as f64) * fail_at).round() as Time;
        curve.retain(|&(_, offset, _)| offset < at);
        let last = curve.last().map_or(mirror(0.0), |&(_, _, m)| m);
        return TrialOutcome { duration: at, final_metric: last, curve, failed: true };
    }
    TrialOutcome { duration, final_metric, curve, failed: false }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tuning::spec::Metric;

    fn spec(algorithm: Algorithm, goal: Goal) -> SweepSpec {
        SweepSpec {
            params: vec![
                ("lr".into(), Space::LogUniform { lo: 1e-4, hi: 1e-1 }),
                ("opt".into(), Space::Choice(vec![Value::Str("sgd".into()), Value::Str("adam".into())])),
                ("layers".into(), Space::RandInt { lo: 1, hi: 8 }),
            ],
            algorithm,
            metric: Metric { name: "m".into(), goal },
            early_stopping: vec![],
            max_trials: None,
        }
    }

    fn trial(index: u32, lr: f64, opt: &str, extra: Option<(&str, f64)>) -> Trial {
        let mut params = vec![
            ("lr".to_string(), Value::Num(lr)),
            ("opt".to_string(), Value::Str(opt.into())),
            ("layers".to_string(), Value::Num(3.0)),
        ];
        if let Some((n, v)) = extra {
            params.push((n.to_string(), Value::Num(v)));
        }
        Trial { index, params, rung: 0, bracket: 0 }
    }

    #[test]
    fn deterministic_and_params_dependent() {
        let s = spec(Algorithm::Random { trials: 5 }, Goal::Maximize);
        let m = TrialModel::default();
        let a = simulate_trial(&m, &s, &trial(0, 0.01, "adam", None), 7);
        assert_eq!(a, simulate_trial(&m, &s, &trial(0, 0.01, "adam", None), 7));
        assert_ne!(a, simulate_trial(&m, &s, &trial(0, 0.02, "adam", None), 7));
        assert_ne!(a, simulate_trial(&m, &s, &trial(0, 0.01, "sgd", None), 7));
        assert_ne!(a, simulate_trial(&m, &s, &trial(0, 0.01, "adam", None), 8));
        // Ten reports, evenly spaced, the last at the end with the final metric.
        assert_eq!(a.curve.len(), 10);
        assert_eq!(a.curve.iter().map(|c| c.0).collect::<Vec<_>>(), (1..=10).collect::<Vec<_>>());
        assert_eq!(a.curve[9], (10, a.duration, a.final_metric));
        assert!(a.curve.windows(2).all(|w| w[0].1 < w[1].1));
        assert!((0.0..=1.0).contains(&a.final_metric));
        // Duration within the jitter of one base duration.
        assert!((a.duration - m.base_duration).abs() <= m.base_duration / 5, "{}", a.duration);
        assert!(!a.failed);
    }

    #[test]
    fn quality_is_a_function_of_the_params_only() {
        let s = spec(Algorithm::Random { trials: 5 }, Goal::Maximize);
        let q = |t: &Trial| quality(&s, &t.params, 3);
        assert_eq!(q(&trial(0, 0.01, "adam", None)), q(&trial(9, 0.01, "adam", None)));
        assert!((0.0..=1.0).contains(&q(&trial(0, 0.01, "adam", None))));
        // The bowl is smooth: nearby learning rates score alike, distant ones need not.
        let near = (q(&trial(0, 0.01, "adam", None)) - q(&trial(0, 0.0101, "adam", None))).abs();
        assert!(near < 0.01, "{near}");
        assert_eq!(quality(&spec(Algorithm::Grid, Goal::Maximize), &[], 3), 0.5);
    }

    #[test]
    fn hyperband_budget_sets_duration_steps_and_metric() {
        let hb = Algorithm::Hyperband { max_iterations: 27, eta: 3, resource: "epochs".into() };
        let s = spec(hb, Goal::Minimize);
        let m = TrialModel { noise: 0.0, duration_jitter: 0.0, ..TrialModel::new(1_000, 0.0) };
        let short = simulate_trial(&m, &s, &trial(0, 0.01, "adam", Some(("epochs", 1.0))), 1);
        let long = simulate_trial(&m, &s, &trial(1, 0.01, "adam", Some(("epochs", 27.0))), 1);
        assert_eq!(short.duration, 1_000);
        assert_eq!(long.duration, 27_000);
        assert_eq!(long.curve.len(), 27);
        assert_eq!(long.curve[0], (1, 1_000, long.curve[0].2));
        // A loss: more iterations, lower loss; the noiseless curve decreases.
        assert!(long.final_metric < short.final_metric);
        assert!(long.curve.windows(2).all(|w| w[1].2 < w[0].2));
        assert_eq!(long.curve[0].2, short.final_metric);
    }

    #[test]
    fn failures_cut_the_trial_short() {
        let s = spec(Algorithm::Random { trials: 5 }, Goal::Maximize);
        let m = TrialModel { failure_rate: 1.0, ..TrialModel::default() };
        let o = simulate_trial(&m, &s, &trial(0, 0.01, "adam", None), 1);
        assert!(o.failed);
        assert!(
            o.duration
                < simulate_trial(&TrialModel::default(), &s, &trial(0, 0.01, "adam", None), 1).duration
        );
        assert!(o.curve.iter().all(|c| c.1 < o.duration));
    }

    #[test]
    fn absurd_models_and_params_do_not_panic() {
        let hb = Algorithm::Hyperband { max_iterations: 27, eta: 3, resource: "epochs".into() };
        let mut s = spec(hb, Goal::Maximize);
        s.params.push(("bad".into(), Space::Uniform { lo: 1.0, hi: -1.0 }));
        let m = TrialModel {
            base_duration: -5,
            noise: f64::NAN,
            duration_jitter: f64::INFINITY,
            curve_iterations: -1.0,
            full_iterations: 0,
            failure_rate: f64::NAN,
        };
        let mut t = trial(0, f64::NAN, "x", Some(("epochs", 1e300)));
        t.params.push(("bad".into(), Value::Bool(true)));
        let o = simulate_trial(&m, &s, &t, 0);
        assert_eq!(o.curve.len() as u64, MAX_CURVE_POINTS);
        assert!(o.final_metric.is_finite());
    }
}
