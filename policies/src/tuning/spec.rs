//! What a sweep is: its search space, algorithm, metric and early-stopping rules, how a
//! scenario file writes a space, and the checks a spec must pass before a [`Sweep`] runs it.
//!
//! [`Sweep`]: super::Sweep

use std::fmt;

use crate::expr::{Params, Value};

/// At most this many trials per sweep (after `max_trials`): every trial is kept in memory, and
/// grid and random sweeps create theirs at once.
pub const MAX_TRIALS: u64 = 100_000;

/// At most this many points in one `range` space.
pub const MAX_RANGE_POINTS: u64 = 1_000_000;

/// Integers (`randint` bounds) must lie within ±2^53, so that every value is exact as a number.
pub const MAX_EXACT_INT: i64 = 1 << 53;

/// The values one input of a trial may take.
#[derive(Clone, Debug, PartialEq)]
pub enum Space {
    /// One of these values (at least one).
    Choice(Vec<Value>),
    /// `lo, lo + step, lo + 2·step, …` up to and including `hi` (with a tolerance of 10⁻⁹
    /// step for float rounding). Grid-able; random search picks one of the points.
    Range { lo: f64, hi: f64, step: f64 },
    /// A uniform real number in `[lo, hi]`.
    Uniform { lo: f64, hi: f64 },
    /// A real number in `[lo, hi]` whose logarithm is uniform (`0 < lo`).
    LogUniform { lo: f64, hi: f64 },
    /// A uniform integer in `lo..=hi`, given as a number.
    RandInt { lo: i64, hi: i64 },
}

/// Whether the metric is better high or low.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Goal {
    Maximize,
    Minimize,
}

impl Goal {
    /// Whether `a` is strictly better than `b`.
    pub fn better(self, a: f64, b: f64) -> bool {
        match self {
            Goal::Maximize => a > b,
            Goal::Minimize => a < b,
        }
    }

    /// Whether `value` reaches `target` (`>=` for maximize, `<=` for minimize).
    pub fn reaches(self, value: f64, target: f64) -> bool {
        match self {
            Goal::Maximize => value >= target,
            Goal::Minimize => value <= target,
        }
    }

    /// Orders metrics best first (a total order; callers never pass NaN).
    pub(crate) fn best_first(self, a: f64, b: f64) -> std::cmp::Ordering {
        match self {
            Goal::Maximize => b.total_cmp(&a),
            Goal::Minimize => a.total_cmp(&b),
        }
    }
}

/// The metric a sweep optimises: the name of the trials' output holding it, and its goal.
#[derive(Clone, Debug, PartialEq)]
pub struct Metric {
    pub name: String,
    pub goal: Goal,
}

/// How the trials' inputs are chosen.
#[derive(Clone, Debug, PartialEq)]
pub enum Algorithm {
    /// Every combination of the inputs' values, first declared input varying slowest; only
    /// `Choice` and `Range` spaces. [`SweepSpec::max_trials`] keeps the first N.
    Grid,
    /// `trials` independent samples of every input.
    Random { trials: u32 },
    /// Hyperband (Li et al. 2018) with `R = max_iterations` and reduction factor `eta` (≥ 2);
    /// the input named `resource` receives each trial's iteration budget.
    Hyperband { max_iterations: u32, eta: u32, resource: String },
    /// One trial per set of inputs, in the order given (Polyaxon's `mapping`): a fan-out over
    /// an explicit list rather than a search, so the spec declares no spaces. Each set is
    /// non-empty, its names distinct; sets need not share names.
    Mapping { values: Vec<Params> },
}

/// A rule that ends the whole sweep, or one trial, early.
#[derive(Clone, Debug, PartialEq)]
pub enum EarlyStop {
    /// The sweep finishes once a trial's intermediate or final metric reaches `value`
    /// (`>=` when maximising, `<=` when minimising).
    MetricReached { value: f64 },
    /// The sweep finishes when failed trials are more than `percent` % of ended trials.
    Failures { percent: f64 },
    /// Median stopping rule: at a step `s ≥ min_steps` that is a multiple of
    /// `evaluation_interval`, a trial whose best metric up to `s` is worse than the median of
    /// the other trials' running averages up to `s` is stopped.
    Median { evaluation_interval: u32, min_steps: u32 },
    /// At such steps, a trial among the worst `percent` % of the trials that reported the step
    /// is stopped.
    Truncation { percent: f64, evaluation_interval: u32, min_steps: u32 },
    /// At such steps, a trial whose metric is worse than the best metric reported at that step
    /// by more than `percent` % of |best| is stopped.
    Diff { percent: f64, evaluation_interval: u32, min_steps: u32 },
}

/// A hyperparameter sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepSpec {
    /// The inputs searched, in order (grid order and the order of every trial's params).
    pub params: Vec<(String, Space)>,
    pub algorithm: Algorithm,
    pub metric: Metric,
    pub early_stopping: Vec<EarlyStop>,
    /// At most this many trials in all (at least 1 when given).
    pub max_trials: Option<u32>,
}

impl SweepSpec {
    /// Checks everything [`Sweep::new`](super::Sweep::new) checks: names, spaces, algorithm,
    /// rules and the number of trials.
    pub fn validate(&self) -> Result<(), String> {
        let mut seen: Vec<&str> = Vec::new();
        for (name, space) in &self.params {
            if name.trim().is_empty() {
                return Err("sweep: a param has an empty name".into());
            }
            if seen.contains(&name.as_str()) {
                return Err(format!("sweep: param `{name}` is declared twice"));
            }
            seen.push(name);
            validate_space(space).map_err(|e| format!("sweep: param `{name}`: {e}"))?;
        }
        if self.metric.name.trim().is_empty() {
            return Err("sweep: the metric needs a name".into());
        }
        if self.max_trials == Some(0) {
            return Err("sweep: max_trials must be at least 1".into());
        }
        match &self.algorithm {
            Algorithm::Grid => {
                for (name, space) in &self.params {
                    if !matches!(space, Space::Choice(_) | Space::Range { .. }) {
                        return Err(format!(
                            "sweep: grid search needs `choice` or `range` spaces, param `{name}` is `{}`",
                            space.kind()
                        ));
                    }
                }
            }
            Algorithm::Random { trials } => {
                if *trials == 0 {
                    return Err("sweep: random search needs at least 1 trial".into());
                }
            }
            Algorithm::Mapping { values } => validate_mapping(&self.params, values)?,
            Algorithm::Hyperband { max_iterations, eta, resource } => {
                if *max_iterations == 0 {
                    return Err("sweep: hyperband max_iterations must be at least 1".into());
                }
                if *eta < 2 {
                    return Err(format!("sweep: hyperband eta must be at least 2, got {eta}"));
                }
                if resource.trim().is_empty() {
                    return Err("sweep: hyperband needs the name of its resource input".into());
                }
                if seen.contains(&resource.as_str()) {
                    return Err(format!(
                        "sweep: hyperband resource `{resource}` is also a searched param; \
                         the resource receives each trial's iteration budget"
                    ));
                }
            }
        }
        for rule in &self.early_stopping {
            validate_rule(rule)?;
        }
        let planned = self.planned_trials();
        let capped = match self.max_trials {
            Some(m) => planned.min(u128::from(m)),
            None => planned,
        };
        if capped > u128::from(MAX_TRIALS) {
            return Err(format!(
                "sweep: {} would create {capped} trials, at most {MAX_TRIALS} allowed (set max_trials)",
                self.algorithm.name()
            ));
        }
        Ok(())
    }

    /// Trials the algorithm would create without `max_trials` (saturating).
    fn planned_trials(&self) -> u128 {
        match &self.algorithm {
            Algorithm::Grid => super::grid::combinations(&self.params),
            Algorithm::Random { trials } => u128::from(*trials),
            Algorithm::Hyperband { max_iterations, eta, .. } => {
                super::hyperband::planned_trials(*max_iterations, *eta)
            }
            Algorithm::Mapping { values } => values.len() as u128,
        }
    }
}

/// A mapping's sets of inputs: at least one, none empty, names non-empty and distinct within
/// a set, numbers finite. Spaces make no sense beside an explicit list.
fn validate_mapping(params: &[(String, Space)], values: &[Params]) -> Result<(), String> {
    if let Some((name, _)) = params.first() {
        return Err(format!(
            "sweep: mapping takes its inputs from its list of values, not from spaces (param `{name}`)"
        ));
    }
    if values.is_empty() {
        return Err("sweep: mapping needs at least one set of inputs".into());
    }
    for (i, set) in values.iter().enumerate() {
        if set.is_empty() {
            return Err(format!("sweep: mapping input set {} is empty", i + 1));
        }
        for (j, (name, value)) in set.iter().enumerate() {
            if name.trim().is_empty() {
                return Err(format!("sweep: mapping input set {} has an input with an empty name", i + 1));
            }
            if set[..j].iter().any(|(n, _)| n == name) {
                return Err(format!("sweep: mapping input set {} names `{name}` twice", i + 1));
            }
            if let Value::Num(x) = value {
                if !x.is_finite() {
                    return Err(format!(
                        "sweep: mapping input set {}: `{name}` must be a finite number, got {x}",
                        i + 1
                    ));
                }
            }
        }
    }
    Ok(())
}

impl Algorithm {
    /// `grid`, `random`, `hyperband` or `mapping`.
    pub fn name(&self) -> &'static str {
        match self {
            Algorithm::Grid => "grid",
            Algorithm::Random { .. } => "random",
            Algorithm::Hyperband { .. } => "hyperband",
            Algorithm::Mapping { .. } => "mapping",
        }
    }

    /// Every algorithm's name, in the order the documentation lists them.
    pub const NAMES: [&'static str; 4] = ["grid", "random", "hyperband", "mapping"];
}

impl Space {
    /// The scenario-file keyword: `choice`, `range`, `uniform`, `loguniform` or `randint`.
    pub fn kind(&self) -> &'static str {
        match self {
            Space::Choice(_) => "choice",
            Space::Range { .. } => "range",
            Space::Uniform { .. } => "uniform",
            Space::LogUniform { .. } => "loguniform",
            Space::RandInt { .. } => "randint",
        }
    }
}

impl fmt::Display for Space {
    /// The scenario-file syntax, which [`parse_space`] reads back (strings holding a comma or
    /// looking like numbers are quoted).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Space::Choice(values) => {
                f.write_str("choice(")?;
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    match v {
                        Value::Str(s) if Value::parse_literal(s) != *v || s.contains([',', '"']) => {
                            write!(f, "\"{s}\"")?
                        }
                        _ => write!(f, "{v}")?,
                    }
                }
                f.write_str(")")
            }
            Space::Range { lo, hi, step } => write!(f, "range({lo}, {hi}, {step})"),
            Space::Uniform { lo, hi } => write!(f, "uniform({lo}, {hi})"),
            Space::LogUniform { lo, hi } => write!(f, "loguniform({lo}, {hi})"),
            Space::RandInt { lo, hi } => write!(f, "randint({lo}, {hi})"),
        }
    }
}

/// Checks one space: non-empty, finite, ordered bounds.
pub fn validate_space(space: &Space) -> Result<(), String> {
    let finite = |what: &str, x: f64| {
        if x.is_finite() {
            Ok(())
        } else {
            Err(format!("{} {what} must be a finite number, got {x}", space.kind()))
        }
    };
    match space {
        Space::Choice(values) => {
            if values.is_empty() {
                return Err("choice needs at least one value".into());
            }
            if let Some(Value::Num(x)) = values.iter().find(|v| matches!(v, Value::Num(x) if !x.is_finite()))
            {
                return Err(format!("choice values must be finite numbers, got {x}"));
            }
        }
        Space::Range { lo, hi, step } => {
            finite("lo", *lo)?;
            finite("hi", *hi)?;
            finite("step", *step)?;
            if *step <= 0.0 {
                return Err(format!("range step must be positive, got {step}"));
            }
            if lo > hi {
                return Err(format!("range lo ({lo}) must not exceed hi ({hi})"));
            }
            let points = range_len_f64(*lo, *hi, *step);
            if !points.is_finite() || points > MAX_RANGE_POINTS as f64 {
                return Err(format!(
                    "range({lo}, {hi}, {step}) has more than {MAX_RANGE_POINTS} points; use a larger step"
                ));
            }
        }
        Space::Uniform { lo, hi } => {
            finite("lo", *lo)?;
            finite("hi", *hi)?;
            if lo > hi {
                return Err(format!("uniform lo ({lo}) must not exceed hi ({hi})"));
            }
        }
        Space::LogUniform { lo, hi } => {
            finite("lo", *lo)?;
            finite("hi", *hi)?;
            if *lo <= 0.0 {
                return Err(format!("loguniform lo must be positive, got {lo}"));
            }
            if lo > hi {
                return Err(format!("loguniform lo ({lo}) must not exceed hi ({hi})"));
            }
        }
        Space::RandInt { lo, hi } => {
            if lo.unsigned_abs() > MAX_EXACT_INT as u64 || hi.unsigned_abs() > MAX_EXACT_INT as u64 {
                return Err(format!("randint bounds must lie within ±2^53, got {lo} and {hi}"));
            }
            if lo > hi {
                return Err(format!("randint lo ({lo}) must not exceed hi ({hi})"));
            }
        }
    }
    Ok(())
}

/// Points of a valid range as a float (may be huge for invalid ones).
fn range_len_f64(lo: f64, hi: f64, step: f64) -> f64 {
    ((hi - lo) / step + 1e-9).floor() + 1.0
}

/// The number of points of a validated range.
pub(crate) fn range_len(lo: f64, hi: f64, step: f64) -> u64 {
    let n = range_len_f64(lo, hi, step);
    if n.is_finite() && n >= 1.0 {
        (n as u64).min(MAX_RANGE_POINTS)
    } else {
        1
    }
}

/// Point `i` of a validated range: `lo + i·step`, written with the fewest significant digits
/// that stay within 10⁻⁹ step of it (so `range(0, 1, 0.1)` gives `0.3`, not
/// `0.30000000000000004`), and never above `hi`.
pub(crate) fn range_point(lo: f64, hi: f64, step: f64, i: u64) -> f64 {
    let raw = (lo + i as f64 * step).min(hi);
    let tolerance = step * 1e-9;
    for digits in 0..17 {
        if let Ok(tidy) = format!("{raw:.digits$e}").parse::<f64>() {
            if (tidy - raw).abs() <= tolerance && tidy >= lo && tidy <= hi {
                return tidy;
            }
        }
    }
    raw
}

/// Checks one early-stopping rule: percentages in range, evaluation intervals of at least 1,
/// finite targets.
pub fn validate_rule(rule: &EarlyStop) -> Result<(), String> {
    let percent = |name: &str, p: f64, lo_open: bool| {
        let ok = p.is_finite() && p <= 100.0 && if lo_open { p > 0.0 } else { p >= 0.0 };
        if ok {
            Ok(())
        } else if lo_open {
            Err(format!("early stopping `{name}`: percent must be in (0, 100], got {p}"))
        } else {
            Err(format!("early stopping `{name}`: percent must be in [0, 100], got {p}"))
        }
    };
    let interval = |name: &str, i: u32| {
        if i == 0 {
            Err(format!("early stopping `{name}`: evaluation_interval must be at least 1"))
        } else {
            Ok(())
        }
    };
    match rule {
        EarlyStop::MetricReached { value } => {
            if !value.is_finite() {
                return Err(format!("early stopping `metric_reached`: value must be finite, got {value}"));
            }
        }
        EarlyStop::Failures { percent: p } => percent("failures", *p, false)?,
        EarlyStop::Median { evaluation_interval, .. } => interval("median", *evaluation_interval)?,
        EarlyStop::Truncation { percent: p, evaluation_interval, .. } => {
            percent("truncation", *p, true)?;
            interval("truncation", *evaluation_interval)?;
        }
        EarlyStop::Diff { percent: p, evaluation_interval, .. } => {
            if !(p.is_finite() && *p >= 0.0) {
                return Err(format!("early stopping `diff`: percent must be a number >= 0, got {p}"));
            }
            interval("diff", *evaluation_interval)?;
        }
    }
    Ok(())
}

/// Reads a space as scenario files write it: `choice(a, b, 3)`, `range(0, 1, 0.25)`,
/// `uniform(0.001, 0.1)`, `loguniform(1e-4, 1e-1)` or `randint(1, 8)`. Choice values are read
/// with [`Value::parse_literal`] (a value holding a comma must be double-quoted); the space is
/// then checked as [`SweepSpec::validate`] would.
pub fn parse_space(text: &str) -> Result<Space, String> {
    const EXPECTED: &str = "expected `choice(v, ..)`, `range(lo, hi, step)`, `uniform(lo, hi)`, \
                            `loguniform(lo, hi)` or `randint(lo, hi)`";
    let t = text.trim();
    let (keyword, rest) = match t.split_once('(') {
        Some((k, r)) => (k.trim(), r),
        None => return Err(format!("{EXPECTED}, got `{t}`")),
    };
    let Some(inner) = rest.trim_end().strip_suffix(')') else {
        return Err(format!("`{t}`: missing closing `)`"));
    };
    let args = split_args(inner).map_err(|e| format!("`{t}`: {e}"))?;
    let keyword = keyword.to_ascii_lowercase();
    let nums = |count: usize| -> Result<Vec<f64>, String> {
        if args.len() != count {
            return Err(format!("`{t}`: {keyword} takes {count} numbers, got {}", args.len()));
        }
        args.iter()
            .map(|a| match a.parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(x),
                _ => Err(format!("`{t}`: expected a number, got `{a}`")),
            })
            .collect()
    };
    let space = match keyword.as_str() {
        "choice" => {
            if args.len() == 1 && args[0].is_empty() {
                return Err(format!("`{t}`: choice needs at least one value"));
            }
            let mut values = Vec::with_capacity(args.len());
            for a in &args {
                if a.is_empty() {
                    return Err(format!("`{t}`: empty choice value"));
                }
                values.push(Value::parse_literal(a));
            }
            Space::Choice(values)
        }
        "range" => {
            let v = nums(3)?;
            Space::Range { lo: v[0], hi: v[1], step: v[2] }
        }
        "uniform" => {
            let v = nums(2)?;
            Space::Uniform { lo: v[0], hi: v[1] }
        }
        "loguniform" => {
            let v = nums(2)?;
            Space::LogUniform { lo: v[0], hi: v[1] }
        }
        "randint" => {
            let v = nums(2)?;
            let int = |x: f64| {
                if x.fract() == 0.0 && x.abs() <= MAX_EXACT_INT as f64 {
                    Ok(x as i64)
                } else {
                    Err(format!("`{t}`: randint bounds must be integers within ±2^53, got {x}"))
                }
            };
            Space::RandInt { lo: int(v[0])?, hi: int(v[1])? }
        }
        _ => return Err(format!("{EXPECTED}, got `{t}`")),
    };
    validate_space(&space).map_err(|e| format!("`{t}`: {e}"))?;
    Ok(space)
}

/// Splits on commas outside double quotes; each piece trimmed (quotes kept for
/// [`Value::parse_literal`]).
fn split_args(inner: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in inner.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ',' if !quoted => out.push(std::mem::take(&mut current).trim().to_string()),
            _ => current.push(c),
        }
    }
    if quoted {
        return Err("unterminated `\"`".into());
    }
    out.push(current.trim().to_string());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_space() {
        assert_eq!(
            parse_space("choice(a, b, 3)").unwrap(),
            Space::Choice(vec![Value::Str("a".into()), Value::Str("b".into()), Value::Num(3.0)])
        );
        assert_eq!(
            parse_space(" range(0, 1, 0.25) ").unwrap(),
            Space::Range { lo: 0.0, hi: 1.0, step: 0.25 }
        );
        assert_eq!(parse_space("uniform(0.001, 0.1)").unwrap(), Space::Uniform { lo: 0.001, hi: 0.1 });
        assert_eq!(parse_space("loguniform(1e-4, 1e-1)").unwrap(), Space::LogUniform { lo: 1e-4, hi: 0.1 });
        assert_eq!(parse_space("randint(1, 8)").unwrap(), Space::RandInt { lo: 1, hi: 8 });
        assert_eq!(
            parse_space("choice(\"a,b\", true)").unwrap(),
            Space::Choice(vec![Value::Str("a,b".into()), Value::Bool(true)])
        );
    }

    #[test]
    fn rejects_bad_spaces_with_a_reason() {
        for (text, needle) in [
            ("normal(0, 1)", "expected"),
            ("choice()", "at least one value"),
            ("choice(a,,b)", "empty choice value"),
            ("range(0, 1)", "takes 3 numbers"),
            ("range(0, 1, 0)", "step must be positive"),
            ("range(0, 1, 1e-9)", "more than"),
            ("uniform(1, x)", "expected a number"),
            ("uniform(2, 1)", "must not exceed"),
            ("loguniform(0, 1)", "must be positive"),
            ("randint(1.5, 3)", "integers"),
            ("randint(1, 8", "missing closing"),
            ("choice(\"a, b)", "unterminated"),
            ("uniform(nan, 1)", "expected a number"),
        ] {
            let err = parse_space(text).unwrap_err();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }

    #[test]
    fn displays_what_it_parses() {
        for text in ["choice(a, \"b,c\", 3, \"4\", true)", "range(0, 1, 0.25)", "loguniform(0.0001, 0.1)"] {
            let space = parse_space(text).unwrap();
            assert_eq!(parse_space(&space.to_string()).unwrap(), space, "{text}");
        }
    }

    #[test]
    fn range_points_are_tidy_and_inclusive() {
        assert_eq!(range_len(0.0, 1.0, 0.25), 5);
        assert_eq!(range_len(0.0, 1.0, 0.1), 11);
        assert_eq!(range_len(0.0, 0.3, 0.1), 4);
        assert_eq!(range_point(0.0, 1.0, 0.1, 3), 0.3);
        assert_eq!(range_point(0.0, 0.3, 0.1, 3), 0.3);
        assert_eq!(range_point(1e15, 1e15 + 10.0, 1.0, 3), 1e15 + 3.0);
        assert_eq!(range_len(2.0, 2.0, 1.0), 1);
    }

    #[test]
    fn validation_names_the_problem() {
        let spec = |params: Vec<(String, Space)>, algorithm| SweepSpec {
            params,
            algorithm,
            metric: Metric { name: "loss".into(), goal: Goal::Minimize },
            early_stopping: vec![],
            max_trials: None,
        };
        let lr = ("lr".to_string(), Space::Uniform { lo: 0.0, hi: 1.0 });
        let err = spec(vec![lr.clone()], Algorithm::Grid).validate().unwrap_err();
        assert!(err.contains("grid") && err.contains("lr"), "{err}");
        let err = spec(vec![lr.clone(), lr.clone()], Algorithm::Random { trials: 3 }).validate().unwrap_err();
        assert!(err.contains("twice"), "{err}");
        let hb = Algorithm::Hyperband { max_iterations: 9, eta: 1, resource: "epochs".into() };
        assert!(spec(vec![lr.clone()], hb).validate().unwrap_err().contains("eta"));
        let hb = Algorithm::Hyperband { max_iterations: 9, eta: 3, resource: "lr".into() };
        assert!(spec(vec![lr.clone()], hb).validate().unwrap_err().contains("resource"));
        let err = spec(vec![lr.clone()], Algorithm::Random { trials: u32::MAX }).validate().unwrap_err();
        assert!(err.contains("max_trials"), "{err}");
        let mut ok = spec(vec![lr], Algorithm::Random { trials: u32::MAX });
        ok.max_trials = Some(10);
        assert_eq!(ok.validate(), Ok(()));
        ok.early_stopping = vec![EarlyStop::Median { evaluation_interval: 0, min_steps: 1 }];
        assert!(ok.validate().unwrap_err().contains("evaluation_interval"));
        ok.early_stopping =
            vec![EarlyStop::Truncation { percent: 0.0, evaluation_interval: 1, min_steps: 1 }];
        assert!(ok.validate().unwrap_err().contains("percent"));
        let hb = Algorithm::Hyperband { max_iterations: u32::MAX, eta: 2, resource: "epochs".into() };
        assert!(spec(vec![], hb).validate().unwrap_err().contains("max_trials"));
    }
}
