//! Kubernetes resource quantities (`500m`, `16`, `64Gi`, `1.5G`) to schedlab's units.

/// A quantity in units of 1/1000 (milli-units), or `None` when it is not a quantity.
fn milli(q: &str) -> Option<u128> {
    let q = q.trim();
    let split = q.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+')).unwrap_or(q.len());
    let (num, suffix) = q.split_at(split);
    if num.is_empty() || num.starts_with('-') {
        return None;
    }
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    let int = int.trim_start_matches('+');
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let int: u128 = if int.is_empty() { 0 } else { int.parse().ok()? };
    // Three decimals are enough for every unit schedlab counts.
    let mut f = frac.chars().take(9).collect::<String>();
    while f.len() < 9 {
        f.push('0');
    }
    let nano: u128 = f.parse().ok()?;
    let base_nano = int.checked_mul(1_000_000_000)?.checked_add(nano)?;
    let mult: u128 = match suffix {
        "" => 1,
        "m" => return Some(base_nano / 1_000_000_000),
        "k" => 1_000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        "T" => 1_000_000_000_000,
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        "Ti" => 1 << 40,
        "Pi" => 1 << 50,
        _ => return None,
    };
    base_nano.checked_mul(mult)?.checked_div(1_000_000)
}

/// CPU in millicores.
pub fn cpu_milli(q: &str) -> Option<u64> {
    milli(q).and_then(|m| u64::try_from(m).ok())
}

/// Memory in MiB (rounded up: a request of 1 byte takes a MiB).
pub fn mem_mib(q: &str) -> Option<u64> {
    let bytes_milli = milli(q)?;
    let bytes = bytes_milli.div_ceil(1000);
    u64::try_from(bytes.div_ceil(1 << 20)).ok()
}

/// A whole count (GPUs); fractions round down.
pub fn count(q: &str) -> Option<u64> {
    milli(q).and_then(|m| u64::try_from(m / 1000).ok())
}

/// Millicores as a quantity (`16`, `500m`).
pub fn fmt_cpu(milli: u64) -> String {
    if milli.is_multiple_of(1000) {
        (milli / 1000).to_string()
    } else {
        format!("{milli}m")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_usual_forms() {
        assert_eq!(cpu_milli("16"), Some(16_000));
        assert_eq!(cpu_milli("500m"), Some(500));
        assert_eq!(cpu_milli("1.5"), Some(1500));
        assert_eq!(mem_mib("64Gi"), Some(65_536));
        assert_eq!(mem_mib("512Mi"), Some(512));
        assert_eq!(mem_mib("1G"), Some(954));
        assert_eq!(mem_mib("1048576"), Some(1));
        assert_eq!(count("4"), Some(4));
        assert_eq!(cpu_milli("lots"), None);
        assert_eq!(cpu_milli("-1"), None);
        assert_eq!(fmt_cpu(2500), "2500m");
    }
}
