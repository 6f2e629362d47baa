//! Exact parsing of non-negative decimals into thousandths (`12.5` → `12500`).
//!
//! Trace times are seconds with millisecond precision and CPU is cores with millicore
//! precision. Going through `f64` loses exactness for very large values, which would break
//! the promise that writing a trace and reading it back gives the same records; integer
//! arithmetic keeps it. Digits beyond the third decimal are rounded half up.

/// Parses `digits[.digits]` (or `.digits`) into thousandths. Returns `None` for anything else
/// (signs, exponents, empty input) or when the value does not fit in a `u64`.
pub fn parse_thousandths(s: &str) -> Option<u64> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut value: u64 = 0;
    for b in int.bytes() {
        value = value.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    let mut fb = frac.bytes();
    for _ in 0..3 {
        let d = fb.next().map_or(0, |b| u64::from(b - b'0'));
        value = value.checked_mul(10)?.checked_add(d)?;
    }
    if fb.next().is_some_and(|b| b >= b'5') {
        value = value.checked_add(1)?;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly() {
        assert_eq!(parse_thousandths("12.5"), Some(12_500));
        assert_eq!(parse_thousandths("0"), Some(0));
        assert_eq!(parse_thousandths(".25"), Some(250));
        assert_eq!(parse_thousandths("3."), Some(3_000));
        assert_eq!(parse_thousandths("1.0005"), Some(1_001));
        assert_eq!(parse_thousandths("1.0004"), Some(1_000));
        assert_eq!(parse_thousandths("18446744073709551.615"), Some(u64::MAX));
    }

    #[test]
    fn rejects_other_forms() {
        for s in ["", ".", "-1", "+1", "1e3", "abc", "1.2.3", " 1", "inf", "1,5"] {
            assert_eq!(parse_thousandths(s), None, "{s}");
        }
        assert_eq!(parse_thousandths("18446744073709551.616"), None);
    }
}
