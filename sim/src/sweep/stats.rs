//! Means and 95% confidence intervals over replicas.

/// Two-sided 97.5% quantiles of Student's t for 1..=30 degrees of freedom.
const T975: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
    2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/// Mean and 95% confidence interval of the mean.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    pub mean: f64,
    pub low: f64,
    pub high: f64,
    pub n: usize,
}

/// The mean of `x` with a Student-t 95% interval (a point when there is one value).
pub fn estimate(x: &[f64]) -> Estimate {
    let n = x.len();
    if n == 0 {
        return Estimate { mean: f64::NAN, low: f64::NAN, high: f64::NAN, n };
    }
    let mean = x.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return Estimate { mean: round(mean), low: round(mean), high: round(mean), n };
    }
    let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64;
    let t = T975.get(n - 2).copied().unwrap_or(1.96);
    let half = t * (var / n as f64).sqrt();
    Estimate { mean: round(mean), low: round(mean - half), high: round(mean + half), n }
}

/// Six decimals: enough for every metric, and stable when printed and read back.
fn round(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_from_t_distribution() {
        let e = estimate(&[1.0, 2.0, 3.0]);
        assert_eq!(e.mean, 2.0);
        // s = 1, n = 3, t(2) = 4.303 → half-width 4.303/√3 = 2.484338
        assert_eq!(e.high, 4.484338);
        assert_eq!(e.low, -0.484338);
        assert_eq!(estimate(&[5.0]).low, 5.0);
        assert!(estimate(&[]).mean.is_nan());
    }
}
