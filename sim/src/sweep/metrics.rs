//! The metrics a sweep or plan records per run, by name.

use crate::metrics::Summary;

/// Named metrics of one run, in a fixed order (utilisation per resource in name order).
pub fn of(s: &Summary) -> Vec<(String, f64)> {
    let mut m: Vec<(String, f64)> = vec![
        ("wait_mean".into(), s.timing.wait.mean),
        ("wait_p50".into(), s.timing.wait.p50),
        ("wait_p95".into(), s.timing.wait.p95),
        ("wait_p99".into(), s.timing.wait.p99),
        ("wait_max".into(), s.timing.wait.max),
        ("jct_mean".into(), s.timing.jct.mean),
        ("jct_p95".into(), s.timing.jct.p95),
        ("jct_p99".into(), s.timing.jct.p99),
        ("slowdown_mean".into(), s.timing.bounded_slowdown.mean),
        ("slowdown_p95".into(), s.timing.bounded_slowdown.p95),
    ];
    for (res, u) in &s.utilisation {
        m.push((format!("util_{res}"), *u));
    }
    m.extend([
        ("cost".to_string(), s.cost.total),
        ("makespan".to_string(), s.makespan),
        ("preemptions".to_string(), s.preemptions as f64),
        ("wasted_work".to_string(), s.wasted_work),
        ("succeeded".to_string(), s.operations.get("succeeded").copied().unwrap_or(0) as f64),
        ("rejected".to_string(), s.operations.get("rejected").copied().unwrap_or(0) as f64),
        ("unfinished".to_string(), s.unfinished as f64),
        ("fairness_slowdown".to_string(), s.fairness.jain_slowdown),
    ]);
    m
}

/// The canonical name of a metric: accepts `p95_wait`, `mean_wait`, `wait_p95`, ...
pub fn canonical(name: &str) -> String {
    let name = name.trim();
    for prefix in ["mean", "p50", "p95", "p99", "max"] {
        if let Some(rest) = name.strip_prefix(prefix).and_then(|r| r.strip_prefix('_')) {
            return format!("{rest}_{prefix}");
        }
    }
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases() {
        assert_eq!(canonical("p95_wait"), "wait_p95");
        assert_eq!(canonical("mean_jct"), "jct_mean");
        assert_eq!(canonical("wait_p95"), "wait_p95");
        assert_eq!(canonical("cost"), "cost");
    }
}
