//! Parsing of the human quantities scenario files and traces use: CPU (`2`, `0.5`, `500m`),
//! memory (`512Mi`, `64Gi`, `1G`, plain numbers in MiB) and durations (`90`, `30s`, `10m`, `2h`,
//! `1d`, `1h30m`). Each parser returns a message saying what was expected on failure.

use crate::time::{Time, HOUR, MINUTE, SECOND};

/// Parses a CPU amount to millicores: cores as a decimal (`2`, `0.25`) or millicores (`250m`).
pub fn parse_cpu(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let bad = || format!("expected a CPU amount like `2`, `0.5` or `500m`, got `{s}`");
    if let Some(m) = t.strip_suffix('m') {
        return m.trim().parse::<u64>().map_err(|_| bad());
    }
    let v: f64 = t.parse().map_err(|_| bad())?;
    cores_to_milli(v).ok_or_else(bad)
}

/// Converts cores (possibly fractional) to millicores; `None` when negative or not finite.
pub fn cores_to_milli(v: f64) -> Option<u64> {
    if (0.0..1e15).contains(&v) {
        Some((v * 1000.0).round() as u64)
    } else {
        None
    }
}

/// Parses a memory amount to MiB. Plain numbers are MiB; suffixes `Ki Mi Gi Ti` (binary) and
/// `K M G T` (decimal) follow Kubernetes. Amounts are rounded up to whole MiB.
pub fn parse_mem_mib(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let bad = || format!("expected a memory amount like `512Mi`, `64Gi` or `2048` (MiB), got `{s}`");
    let split = t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let v: f64 = num.trim().parse().map_err(|_| bad())?;
    if !v.is_finite() || v < 0.0 {
        return Err(bad());
    }
    const MIB: f64 = 1024.0 * 1024.0;
    let bytes_per_unit = match unit {
        "" | "Mi" => MIB,
        "Ki" => 1024.0,
        "Gi" => MIB * 1024.0,
        "Ti" => MIB * 1024.0 * 1024.0,
        "K" | "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        _ => return Err(bad()),
    };
    let mib = (v * bytes_per_unit / MIB).ceil();
    if mib >= 1e15 {
        return Err(bad());
    }
    Ok(mib as u64)
}

/// Parses a duration to milliseconds: plain seconds (`90`, `1.5`) or units `ms s m h d`,
/// which may be chained (`1h30m`).
pub fn parse_duration(s: &str) -> Result<Time, String> {
    let t = s.trim();
    let bad = || format!("expected a duration like `90` (seconds), `30s`, `10m`, `2h` or `1h30m`, got `{s}`");
    if t.is_empty() {
        return Err(bad());
    }
    if let Ok(v) = t.parse::<f64>() {
        return secs_to_time(v).ok_or_else(bad);
    }
    let mut total: Time = 0;
    let mut rest = t;
    while !rest.is_empty() {
        let n = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or_else(bad)?;
        if n == 0 {
            return Err(bad());
        }
        let v: f64 = rest[..n].parse().map_err(|_| bad())?;
        rest = &rest[n..];
        let u = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let unit = match &rest[..u] {
            "ms" => 1,
            "s" => SECOND,
            "m" | "min" => MINUTE,
            "h" => HOUR,
            "d" => 24 * HOUR,
            _ => return Err(bad()),
        };
        rest = &rest[u..];
        let ms = v * unit as f64;
        if !ms.is_finite() || ms >= 9e15 {
            return Err(bad());
        }
        total = total.checked_add(ms.round() as Time).ok_or_else(bad)?;
    }
    Ok(total)
}

/// Converts non-negative fractional seconds to milliseconds.
pub fn secs_to_time(v: f64) -> Option<Time> {
    if (0.0..9e12).contains(&v) {
        Some((v * 1000.0).round() as Time)
    } else {
        None
    }
}

/// Formats millicores as cores, without trailing zeros (`1500` → `"1.5"`).
pub fn fmt_cores(milli: u64) -> String {
    if milli.is_multiple_of(1000) {
        (milli / 1000).to_string()
    } else {
        let s = format!("{}.{:03}", milli / 1000, milli % 1000);
        s.trim_end_matches('0').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu() {
        assert_eq!(parse_cpu("2"), Ok(2000));
        assert_eq!(parse_cpu("0.25"), Ok(250));
        assert_eq!(parse_cpu("500m"), Ok(500));
        assert!(parse_cpu("-1").is_err());
        assert!(parse_cpu("two").unwrap_err().contains("`two`"));
    }

    #[test]
    fn memory() {
        assert_eq!(parse_mem_mib("512Mi"), Ok(512));
        assert_eq!(parse_mem_mib("64Gi"), Ok(65536));
        assert_eq!(parse_mem_mib("2048"), Ok(2048));
        assert_eq!(parse_mem_mib("1G"), Ok(954));
        assert!(parse_mem_mib("12 parsecs").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90"), Ok(90_000));
        assert_eq!(parse_duration("1.5"), Ok(1_500));
        assert_eq!(parse_duration("10m"), Ok(600_000));
        assert_eq!(parse_duration("1h30m"), Ok(5_400_000));
        assert_eq!(parse_duration("250ms"), Ok(250));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("5 fortnights").is_err());
        assert!(parse_duration("h").is_err());
    }

    #[test]
    fn cores_format() {
        assert_eq!(fmt_cores(1500), "1.5");
        assert_eq!(fmt_cores(2000), "2");
        assert_eq!(fmt_cores(250), "0.25");
    }
}
