//! Validated samplers for arrivals and run times, built once from the config so the
//! per-operation loop only draws numbers.

use rand::Rng;
use rand_distr::{Distribution, Exp, LogNormal, Pareto, Uniform, Weibull};
use schedlab_policies::time::{Time, HOUR};

use super::config::{Arrival, DurationDist};
use crate::record::MAX_TIME;

/// Produces successive submit times (ms since the generator's start).
#[derive(Debug)]
pub(crate) enum ArrivalClock {
    Poisson {
        gap: Exp<f64>,
        t: f64,
    },
    Regular {
        interval: f64,
        n: u64,
    },
    /// Thinning: candidates at the peak rate, each kept with probability rate(t) / peak rate.
    Diurnal {
        gap: Exp<f64>,
        t: f64,
        amplitude: f64,
        peak: f64,
    },
}

const DAY_MS: f64 = 24.0 * HOUR as f64;

impl ArrivalClock {
    pub(crate) fn new(arrival: &Arrival) -> Result<Self, String> {
        let per_ms = |rate: f64| {
            if rate.is_finite() && rate > 0.0 {
                Ok(rate / HOUR as f64)
            } else {
                Err(format!("arrival.rate_per_hour must be a number > 0, got {rate}"))
            }
        };
        Ok(match *arrival {
            Arrival::Poisson { rate_per_hour } => ArrivalClock::Poisson {
                gap: Exp::new(per_ms(rate_per_hour)?).map_err(|e| format!("arrival: {e}"))?,
                t: 0.0,
            },
            Arrival::Regular { rate_per_hour } => {
                ArrivalClock::Regular { interval: 1.0 / per_ms(rate_per_hour)?, n: 0 }
            }
            Arrival::Diurnal { rate_per_hour, amplitude, peak } => {
                if !(0.0..=1.0).contains(&amplitude) {
                    return Err(format!("arrival.amplitude must be between 0 and 1, got {amplitude}"));
                }
                let top = per_ms(rate_per_hour)? * (1.0 + amplitude);
                ArrivalClock::Diurnal {
                    gap: Exp::new(top).map_err(|e| format!("arrival: {e}"))?,
                    t: 0.0,
                    amplitude,
                    peak: peak.map_or(14.0 * HOUR as f64, |p| p.0 as f64),
                }
            }
        })
    }

    /// The next submit time, or an error once times leave the representable range.
    pub(crate) fn next<R: Rng>(&mut self, rng: &mut R) -> Result<Time, String> {
        let t = match self {
            ArrivalClock::Poisson { gap, t } => {
                *t += gap.sample(rng);
                *t
            }
            ArrivalClock::Regular { interval, n } => {
                let t = *n as f64 * *interval;
                *n += 1;
                t
            }
            ArrivalClock::Diurnal { gap, t, amplitude, peak } => loop {
                *t += gap.sample(rng);
                let phase = std::f64::consts::TAU * (*t - *peak) / DAY_MS;
                let keep = (1.0 + *amplitude * phase.cos()) / (1.0 + *amplitude);
                if !t.is_finite() || *t > MAX_TIME as f64 || rng.gen::<f64>() < keep {
                    break *t;
                }
            },
        };
        let ms = t.round();
        if ms.is_finite() && ms <= MAX_TIME as f64 {
            Ok(ms as Time)
        } else {
            Err("arrival times grow beyond ~285,000 years; raise arrival.rate_per_hour".to_string())
        }
    }
}

/// Draws durations from a [`DurationDist`] in whole milliseconds, at least 1 ms and at most
/// the distribution's cap (`max`, when it has one). Built once, with every parameter checked,
/// so drawing cannot fail: the generator uses it for run times, the simulator for delays
/// such as approval waits.
#[derive(Clone, Debug)]
pub struct DurationSampler {
    kind: DurationKind,
    cap: f64,
}

#[derive(Clone, Debug)]
enum DurationKind {
    Constant(f64),
    Exponential(Exp<f64>),
    Lognormal(LogNormal<f64>),
    Pareto(Pareto<f64>),
    Weibull(Weibull<f64>),
    Uniform(Uniform<f64>),
}

impl DurationSampler {
    /// Checks `dist`'s parameters; the message names the offending key (`duration.mean
    /// must be > 0`).
    pub fn new(dist: &DurationDist) -> Result<DurationSampler, String> {
        let positive = |what: &str, ms: Time| {
            if ms > 0 {
                Ok(ms as f64)
            } else {
                Err(format!("duration.{what} must be > 0"))
            }
        };
        let cap = |max: Option<_>| match max {
            Some(super::DurationQty(ms)) => positive("max", ms),
            None => Ok(MAX_TIME as f64),
        };
        let (kind, cap) = match *dist {
            DurationDist::Constant { value } => (DurationKind::Constant(value.0 as f64), MAX_TIME as f64),
            DurationDist::Exponential { mean, max } => {
                let mean = positive("mean", mean.0)?;
                let exp = Exp::new(1.0 / mean).map_err(|e| format!("duration: {e}"))?;
                (DurationKind::Exponential(exp), cap(max)?)
            }
            DurationDist::Lognormal { median, sigma, max } => {
                let median = positive("median", median.0)?;
                if !(sigma.is_finite() && sigma >= 0.0) {
                    return Err(format!("duration.sigma must be a number >= 0, got {sigma}"));
                }
                let ln = LogNormal::new(median.ln(), sigma).map_err(|e| format!("duration: {e}"))?;
                (DurationKind::Lognormal(ln), cap(max)?)
            }
            DurationDist::Pareto { scale, shape, max } => {
                let scale = positive("scale", scale.0)?;
                if !(shape.is_finite() && shape > 0.0) {
                    return Err(format!("duration.shape must be a number > 0, got {shape}"));
                }
                let d = Pareto::new(scale, shape).map_err(|e| format!("duration: {e}"))?;
                (DurationKind::Pareto(d), cap(max)?)
            }
            DurationDist::Weibull { scale, shape, max } => {
                let scale = positive("scale", scale.0)?;
                if !(shape.is_finite() && shape > 0.0) {
                    return Err(format!("duration.shape must be a number > 0, got {shape}"));
                }
                let d = Weibull::new(scale, shape).map_err(|e| format!("duration: {e}"))?;
                (DurationKind::Weibull(d), cap(max)?)
            }
            DurationDist::Uniform { min, max } => {
                if min.0 > max.0 {
                    return Err("duration.min must not exceed duration.max".to_string());
                }
                let u = Uniform::new_inclusive(min.0 as f64, max.0 as f64);
                (DurationKind::Uniform(u), MAX_TIME as f64)
            }
        };
        Ok(DurationSampler { kind, cap })
    }

    /// One duration in milliseconds, in `1..=cap`.
    pub fn sample<R: Rng>(&self, rng: &mut R) -> Time {
        let x = match &self.kind {
            DurationKind::Constant(v) => *v,
            DurationKind::Exponential(d) => d.sample(rng),
            DurationKind::Lognormal(d) => d.sample(rng),
            DurationKind::Pareto(d) => d.sample(rng),
            DurationKind::Weibull(d) => d.sample(rng),
            DurationKind::Uniform(d) => d.sample(rng),
        };
        if x.is_nan() {
            return 1;
        }
        x.round().clamp(1.0, self.cap.max(1.0)) as Time
    }
}
