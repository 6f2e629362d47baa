//! Compact human renderings for the stats text: durations in the same `1h30m` notation
//! scenario files accept, and numbers with thousands separators.

use schedlab_policies::time::{Time, HOUR, MINUTE, SECOND};

/// `250ms`, `45s`, `12.5s`, `6m30s`, `1h10m`, `2d3h`: at most two units, truncated.
pub(crate) fn duration(ms: Time) -> String {
    const DAY: Time = 24 * HOUR;
    let ms = ms.max(0);
    if ms == 0 {
        "0s".to_string()
    } else if ms < SECOND {
        format!("{ms}ms")
    } else if ms < MINUTE {
        if ms % SECOND == 0 {
            format!("{}s", ms / SECOND)
        } else {
            format!("{:.1}s", ms as f64 / SECOND as f64)
        }
    } else if ms < HOUR {
        two_units(ms / MINUTE, "m", ms % MINUTE / SECOND, "s")
    } else if ms < DAY {
        two_units(ms / HOUR, "h", ms % HOUR / MINUTE, "m")
    } else {
        two_units(ms / DAY, "d", ms % DAY / HOUR, "h")
    }
}

fn two_units(a: Time, ua: &str, b: Time, ub: &str) -> String {
    if b == 0 {
        format!("{a}{ua}")
    } else {
        format!("{a}{ua}{b}{ub}")
    }
}

/// An integer with `,` thousands separators: `65536` → `65,536`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    let mut left = digits.len();
    for c in digits.chars() {
        out.push(c);
        left -= 1;
        if left > 0 && left.is_multiple_of(3) {
            out.push(',');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration(0), "0s");
        assert_eq!(duration(250), "250ms");
        assert_eq!(duration(45_000), "45s");
        assert_eq!(duration(12_500), "12.5s");
        assert_eq!(duration(390_000), "6m30s");
        assert_eq!(duration(3_600_000), "1h");
        assert_eq!(duration(4_200_000), "1h10m");
        assert_eq!(duration(2 * 86_400_000 + 3 * 3_600_000), "2d3h");
    }

    #[test]
    fn separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(65_536), "65,536");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
