//! Simulated and observed time: integer milliseconds since the start of a run.
//!
//! Integer time keeps every run exactly reproducible: no float rounding can reorder two events.

use std::fmt;

/// Milliseconds since the start of the run (or, live, since the driver's epoch).
pub type Time = i64;

/// One second in [`Time`] units.
pub const SECOND: Time = 1_000;
/// One minute in [`Time`] units.
pub const MINUTE: Time = 60 * SECOND;
/// One hour in [`Time`] units.
pub const HOUR: Time = 60 * MINUTE;

/// Formats a time as decimal seconds with millisecond precision (`12.5` → `"12.500"`), the
/// representation every output file uses.
pub fn secs(t: Time) -> Secs {
    Secs(t)
}

/// Display adaptor returned by [`secs`].
#[derive(Clone, Copy)]
pub struct Secs(pub Time);

impl fmt::Display for Secs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.0;
        let sign = if t < 0 { "-" } else { "" };
        let a = t.unsigned_abs();
        write!(f, "{sign}{}.{:03}", a / 1000, a % 1000)
    }
}

/// A span for people: `0s`, `45s`, `1.5s`, `3m`, `2h30m`, `2d4h` (the two largest units, dropping
/// zero parts; below a minute, seconds with up to three decimals).
pub fn human(t: Time) -> String {
    if t < 0 {
        return format!("-{}", human(t.saturating_neg()));
    }
    if t < MINUTE {
        let s = format!("{}", Secs(t));
        let s = s.trim_end_matches('0').trim_end_matches('.');
        return format!("{s}s");
    }
    let units = [(24 * HOUR, "d"), (HOUR, "h"), (MINUTE, "m"), (SECOND, "s")];
    let first = units.iter().position(|u| t >= u.0).unwrap_or(3);
    let mut out = String::new();
    let mut rest = t;
    for &(size, name) in &units[first..(first + 2).min(units.len())] {
        let n = rest / size;
        rest %= size;
        if n > 0 {
            out.push_str(&format!("{n}{name}"));
        }
    }
    out
}

/// Converts fractional seconds to [`Time`], rounding to the nearest millisecond.
/// Returns `None` for values that are not finite or do not fit.
pub fn from_secs_f64(s: f64) -> Option<Time> {
    let ms = (s * 1000.0).round();
    if ms.is_finite() && ms.abs() < 9.0e15 {
        Some(ms as Time)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_millisecond_precision() {
        assert_eq!(secs(0).to_string(), "0.000");
        assert_eq!(secs(12_500).to_string(), "12.500");
        assert_eq!(secs(-1).to_string(), "-0.001");
        assert_eq!(secs(3 * HOUR).to_string(), "10800.000");
    }

    #[test]
    fn human_spans_show_the_two_largest_units() {
        assert_eq!(human(0), "0s");
        assert_eq!(human(1_500), "1.5s");
        assert_eq!(human(45 * SECOND), "45s");
        assert_eq!(human(3 * MINUTE), "3m");
        assert_eq!(human(2 * HOUR + 30 * MINUTE + 7 * SECOND), "2h30m");
        assert_eq!(human(50 * HOUR), "2d2h");
        assert_eq!(human(HOUR + 5 * SECOND), "1h");
    }

    #[test]
    fn parses_fractional_seconds() {
        assert_eq!(from_secs_f64(1.2345), Some(1235));
        assert_eq!(from_secs_f64(f64::NAN), None);
    }
}
