//! Parsers for the cells of one native row. Each returns the message a person needs to fix
//! the cell; the reader adds the file, line and column.

use schedlab_policies::expr::{self, Params};
use schedlab_policies::time::Time;
use schedlab_policies::units::{parse_cpu, parse_mem_mib, secs_to_time};

use crate::decimal::parse_thousandths;
use crate::record::MAX_TIME;

/// An operation id: non-empty, and without `;`, which separates ids in `depends_on`.
pub(crate) fn id(s: &str) -> Result<String, String> {
    if s.is_empty() {
        return Err("the id is empty; every record needs a unique id".to_string());
    }
    if s.contains(';') {
        return Err(format!("an id must not contain `;` (it separates ids in `depends_on`), got `{s}`"));
    }
    Ok(s.to_string())
}

/// Decimal seconds, millisecond precision (`12.5`), `>= 0`.
pub(crate) fn seconds(s: &str) -> Result<Time, String> {
    let bad = || {
        if s.is_empty() {
            "expected a number of seconds (>= 0), got an empty cell".to_string()
        } else {
            format!("expected a number of seconds (>= 0), got `{s}`")
        }
    };
    let ms = match parse_thousandths(s) {
        Some(ms) => Time::try_from(ms).ok(),
        // Exponent forms such as `1e3` still deserve an answer.
        None => s.parse::<f64>().ok().and_then(secs_to_time),
    };
    ms.filter(|&ms| ms <= MAX_TIME).ok_or_else(bad)
}

/// An optional duration in seconds: empty means none.
pub(crate) fn optional_seconds(s: &str) -> Result<Option<Time>, String> {
    if s.is_empty() {
        Ok(None)
    } else {
        seconds(s).map(Some)
    }
}

/// An optional duration in seconds that must be positive (a timeout): empty means none.
pub(crate) fn optional_positive_seconds(s: &str) -> Result<Option<Time>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    match seconds(s) {
        Ok(ms) if ms > 0 => Ok(Some(ms)),
        _ => Err(format!("expected a number of seconds greater than 0 (at least 0.001), got `{s}`")),
    }
}

/// An optional count of retries: empty means none (the default applies).
pub(crate) fn retries(s: &str) -> Result<Option<u32>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    s.parse().map(Some).map_err(|_| format!("expected a whole number of retries (>= 0), got `{s}`"))
}

/// An optional probability in `[0, 1]`: empty means none.
pub(crate) fn probability(s: &str) -> Result<Option<f64>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<f64>() {
        // `-0` is written back as `-0`, which reads as the same value.
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(Some(p)),
        _ => Err(format!("expected a probability between 0 and 1, got `{s}`")),
    }
}

/// A yes/no setting that is off unless given: empty means false.
pub(crate) fn flag(s: &str) -> Result<bool, String> {
    optional_bool(s).map(|b| b.unwrap_or(false))
}

/// A gang size: empty means 1.
pub(crate) fn replicas(s: &str) -> Result<u32, String> {
    if s.is_empty() {
        return Ok(1);
    }
    match s.parse::<u32>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("expected a whole number of replicas of at least 1, got `{s}`")),
    }
}

/// An optional boolean: empty means none.
pub(crate) fn optional_bool(s: &str) -> Result<Option<bool>, String> {
    match s.to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "true" | "yes" | "1" => Ok(Some(true)),
        "false" | "no" | "0" => Ok(Some(false)),
        _ => Err(format!("expected true or false, got `{s}`")),
    }
}

/// CPU in cores (`0.5`) or millicores (`500m`); empty is 0.
pub(crate) fn cpu(s: &str) -> Result<u64, String> {
    if s.is_empty() {
        return Ok(0);
    }
    if let Some(milli) = parse_thousandths(s) {
        return Ok(milli);
    }
    parse_cpu(s)
}

/// Whole MiB (`2048`), also accepting Kubernetes quantities (`2Gi`); empty is 0.
pub(crate) fn mem_mib(s: &str) -> Result<u64, String> {
    if s.is_empty() {
        return Ok(0);
    }
    if let Ok(v) = s.parse::<u64>() {
        return Ok(v);
    }
    parse_mem_mib(s)
        .map_err(|_| format!("expected whole MiB like `2048` (or a quantity like `2Gi`), got `{s}`"))
}

/// A whole number of GPUs; empty is 0.
pub(crate) fn gpu(s: &str) -> Result<u64, String> {
    if s.is_empty() {
        return Ok(0);
    }
    s.parse().map_err(|_| format!("expected a whole number of GPUs (>= 0), got `{s}`"))
}

/// An integer priority; empty means the scenario default.
pub(crate) fn priority(s: &str) -> Result<Option<i32>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    s.parse().map(Some).map_err(|_| format!("expected an integer priority, got `{s}`"))
}

/// A queue, project or workflow name; empty means the scenario default.
pub(crate) fn name(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// `;`-separated ids. Blank entries are ignored (a trailing `;` is harmless) and repeats are
/// dropped, so a dependency is counted once.
pub(crate) fn depends_on(s: &str) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for part in s.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        if !ids.iter().any(|d| d == part) {
            ids.push(part.to_string());
        }
    }
    ids
}

/// What `resources.X` may name in a condition (the kernel's routing reads the same names).
const RESOURCE_PATHS: [&str; 4] = ["cpu", "mem_mib", "gpu", "replicas"];

/// A `conditions` expression: it must parse, and every path it reads must be one the
/// operation can resolve: `inputs.NAME` for one of its own `inputs` keys, `ops.NAME.status` or
/// `ops.NAME.outputs.KEY` for one of its `depends_on` ids, or `resources.cpu|mem_mib|gpu|
/// replicas`. Empty means no condition. A syntax error says at which character of the
/// expression (1-based, after trimming the cell) it went wrong.
pub(crate) fn conditions(s: &str, depends_on: &[String], inputs: &Params) -> Result<Option<String>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    let parsed = expr::parse(s).map_err(|e| format!("character {}: {}", e.column, e.message))?;
    for path in parsed.paths() {
        check_condition_path(&path, depends_on, inputs)?;
    }
    Ok(Some(s.to_string()))
}

/// Whether one path of a condition can be resolved for this operation; if not, why.
fn check_condition_path(path: &[String], depends_on: &[String], inputs: &Params) -> Result<(), String> {
    let shown = show_path(path);
    let list = |names: &mut dyn Iterator<Item = &str>| names.collect::<Vec<_>>().join(", ");
    match path {
        [head, name] if head == "inputs" => {
            if inputs.iter().any(|(k, _)| k == name) {
                return Ok(());
            }
            let known = if inputs.is_empty() {
                "it has no inputs".to_string()
            } else {
                format!("inputs: {}", list(&mut inputs.iter().map(|(k, _)| k.as_str())))
            };
            Err(format!("condition reads {shown}, but the operation has no input `{name}` ({known})"))
        }
        [head, name, rest @ ..] if head == "ops" => {
            let shape_ok = matches!(rest, [s] if s == "status") || matches!(rest, [o, _] if o == "outputs");
            if !shape_ok {
                return Err(format!(
                    "condition reads {shown}; an upstream operation is read as ops.NAME.status or \
                     ops.NAME.outputs.KEY"
                ));
            }
            if depends_on.iter().any(|d| d == name) {
                return Ok(());
            }
            let upstream = if depends_on.is_empty() {
                "depends_on is empty".to_string()
            } else {
                format!("depends_on: {}", list(&mut depends_on.iter().map(String::as_str)))
            };
            Err(format!(
                "condition reads {}, but {name} is not an upstream of this operation ({upstream})",
                show_path(&path[..2])
            ))
        }
        [head, r] if head == "resources" && RESOURCE_PATHS.contains(&r.as_str()) => Ok(()),
        [head, ..] if head == "resources" => Err(format!(
            "condition reads {shown}; the resources a condition may read are resources.{}",
            RESOURCE_PATHS.join("|")
        )),
        _ => Err(format!(
            "condition reads {shown}; a condition may read only inputs.NAME, ops.NAME.status, \
             ops.NAME.outputs.KEY and resources.{}",
            RESOURCE_PATHS.join("|")
        )),
    }
}

/// A path as it could be written: `.name` for plain names, `["..."]` for the others.
fn show_path(path: &[String]) -> String {
    let plain = |s: &str| {
        let mut chars = s.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    let mut out = String::new();
    for (i, seg) in path.iter().enumerate() {
        if plain(seg) {
            if i > 0 {
                out.push('.');
            }
            out.push_str(seg);
        } else {
            out.push_str(&format!("[\"{}\"]", seg.replace('\\', "\\\\").replace('"', "\\\"")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_exact_and_non_negative() {
        assert_eq!(seconds("12.5"), Ok(12_500));
        assert_eq!(seconds("0.001"), Ok(1));
        assert_eq!(seconds("1e3"), Ok(1_000_000));
        assert!(seconds("-1").is_err());
        assert!(seconds("nan").is_err());
        assert!(seconds("99999999999999999").is_err());
        assert_eq!(seconds("abc").unwrap_err(), "expected a number of seconds (>= 0), got `abc`");
        assert!(seconds("").unwrap_err().contains("empty"));
    }

    #[test]
    fn resources() {
        assert_eq!(cpu("0.5"), Ok(500));
        assert_eq!(cpu("500m"), Ok(500));
        assert_eq!(cpu(""), Ok(0));
        assert!(cpu("-1").is_err());
        assert_eq!(mem_mib("2048"), Ok(2048));
        assert_eq!(mem_mib("2Gi"), Ok(2048));
        assert!(mem_mib("lots").is_err());
        assert_eq!(gpu("4"), Ok(4));
        assert!(gpu("1.5").is_err());
        assert_eq!(priority("-3"), Ok(Some(-3)));
        assert_eq!(priority(""), Ok(None));
    }

    #[test]
    fn lifecycle_cells() {
        assert_eq!(optional_positive_seconds("1.5"), Ok(Some(1_500)));
        assert_eq!(optional_positive_seconds(""), Ok(None));
        for bad in ["0", "0.0004", "-1", "nan", "soon", "1e20"] {
            let e = optional_positive_seconds(bad).unwrap_err();
            assert!(e.contains("greater than 0") && e.contains(&format!("`{bad}`")), "{e}");
        }
        assert_eq!(retries("0"), Ok(Some(0)));
        assert_eq!(retries(""), Ok(None));
        assert_eq!(retries("-1").unwrap_err(), "expected a whole number of retries (>= 0), got `-1`");
        assert!(retries("1.5").is_err());
        assert_eq!(probability("0.25"), Ok(Some(0.25)));
        assert_eq!(probability("1"), Ok(Some(1.0)));
        assert_eq!(probability("0"), Ok(Some(0.0)));
        assert_eq!(probability(""), Ok(None));
        for bad in ["1.01", "-0.1", "NaN", "nan", "inf", "-inf", "half"] {
            assert_eq!(probability(bad), Err(format!("expected a probability between 0 and 1, got `{bad}`")));
        }
        assert_eq!(flag("TRUE"), Ok(true));
        assert_eq!(flag("false"), Ok(false));
        assert_eq!(flag(""), Ok(false));
        assert_eq!(flag("maybe").unwrap_err(), "expected true or false, got `maybe`");
    }

    #[test]
    fn dependency_lists() {
        assert_eq!(depends_on("a; b;;a;"), vec!["a", "b"]);
        assert!(depends_on("").is_empty());
        assert!(id("a;b").is_err());
        assert!(id("").is_err());
    }
}
