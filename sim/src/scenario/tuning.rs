//! `[[tuning]]`: hyperparameter sweeps (grid, random, Hyperband) and mappings, each driven
//! by an operation of the workload (its *controller*), checked into [`TuningConfig`]s.
//!
//! Which keys apply depends on `algorithm`; a key that does not apply is an error rather than
//! silently ignored, and a key the algorithm needs is an error when missing. Spaces are read
//! with [`parse_space`]; errors point at the string. Whether `op` names an operation of the
//! workload is checked when the workload is read (`workload::load`), since only then are the
//! ids known.

use std::collections::HashMap;
use std::ops::Range;

use schedlab_policies::expr::{Params, Value};
use schedlab_policies::model::QueueSpec;
use schedlab_policies::tuning::spec::validate_rule;
use schedlab_policies::tuning::{
    parse_space, Algorithm, EarlyStop, Goal, Metric, Space, SweepSpec, TrialModel,
};
use schedlab_policies::QueueId;
use toml::Spanned;

use super::raw::{RawEarlyStop, RawInputs, RawModel, RawTuning};
use super::resolve::Ctx;
use super::ScenarioError;

/// One checked `[[tuning]]` entry.
#[derive(Clone, Debug)]
pub struct TuningConfig {
    /// The id of the trace row whose operation runs the sweep (its own duration is ignored:
    /// it runs until the sweep ends).
    pub op: String,
    /// 1-based line and column of `op`'s value, for the errors found with the workload.
    pub position: (usize, usize),
    /// Concurrency of the sweep's workflow (`None`: unlimited).
    pub concurrency: Option<u32>,
    /// Queue of the trials (`None`: the controller operation's).
    pub queue: Option<QueueId>,
    /// Each trial's request per dimension (`None`: the controller row's).
    pub cpu_milli: Option<u64>,
    pub mem_mib: Option<u64>,
    pub gpu: Option<u64>,
    pub spec: SweepSpec,
    pub model: TrialModel,
}

/// The keys only some algorithms take: (key, the algorithms that take it).
const ALGORITHM_KEYS: [(&str, &[&str]); 6] = [
    ("space", &["grid", "random", "hyperband"]),
    ("trials", &["random"]),
    ("max_iterations", &["hyperband"]),
    ("eta", &["hyperband"]),
    ("resource", &["hyperband"]),
    ("values", &["mapping"]),
];

/// Early-stopping policies and the keys each takes (required ones first, then optional).
const POLICIES: [(&str, &[&str], &[&str]); 5] = [
    ("metric_reached", &["value"], &[]),
    ("failures", &["percent"], &[]),
    ("median", &[], &["evaluation_interval", "min_steps"]),
    ("truncation", &["percent"], &["evaluation_interval", "min_steps"]),
    ("diff", &["percent"], &["evaluation_interval", "min_steps"]),
];

/// Every `[[tuning]]` entry, in file order.
pub(super) fn resolve(
    ctx: &Ctx,
    raw: &[Spanned<RawTuning>],
    queues: &[QueueSpec],
) -> Result<Vec<TuningConfig>, ScenarioError> {
    let queue_names: Vec<String> = queues.iter().map(|q| q.name.clone()).collect();
    let mut seen: HashMap<&str, Range<usize>> = HashMap::new();
    let mut out = Vec::with_capacity(raw.len());
    for entry in raw {
        let t = entry.get_ref();
        let op = t.op.get_ref();
        if op.trim().is_empty() {
            return ctx.err(t.op.span(), "expected `op` to name an operation of the workload");
        }
        if let Some(first) = seen.get(op.as_str()) {
            return ctx.err(
                t.op.span(),
                format!(
                    "operation `{op}` already runs the [[tuning]] on line {}; an operation runs at most one",
                    ctx.line_of(first)
                ),
            );
        }
        seen.insert(op, entry.span());
        out.push(one(ctx, entry, &queue_names)?);
    }
    Ok(out)
}

fn one(ctx: &Ctx, entry: &Spanned<RawTuning>, queue_names: &[String]) -> Result<TuningConfig, ScenarioError> {
    let t = entry.get_ref();
    let op = t.op.get_ref().clone();
    let header = entry.span();
    let Some(algorithm) = &t.algorithm else {
        return ctx.err(
            header,
            format!("[[tuning]] `{op}` needs `algorithm`: one of {}", Algorithm::NAMES.join(", ")),
        );
    };
    let name = algorithm.get_ref().as_str();
    if !Algorithm::NAMES.contains(&name) {
        return ctx.err(
            algorithm.span(),
            format!("unknown algorithm `{name}`; expected one of: {}", Algorithm::NAMES.join(", ")),
        );
    }
    // Keys of other algorithms: most likely a mix-up, never silently ignored.
    let given: [(&str, Option<Range<usize>>); 6] = [
        ("space", t.space.as_ref().map(|s| s.span())),
        ("trials", t.trials.as_ref().map(|s| s.span())),
        ("max_iterations", t.max_iterations.as_ref().map(|s| s.span())),
        ("eta", t.eta.as_ref().map(|s| s.span())),
        ("resource", t.resource.as_ref().map(|s| s.span())),
        ("values", t.values.as_ref().map(|s| s.span())),
    ];
    for ((key, takers), (_, span)) in ALGORITHM_KEYS.iter().zip(&given) {
        if let Some(span) = span {
            if !takers.contains(&name) {
                return ctx.err(
                    span.clone(),
                    format!("`{key}` does not apply to algorithm \"{name}\" (only to {})", takers.join(", ")),
                );
            }
        }
    }
    let need = |key: &str| format!("[[tuning]] `{op}`: algorithm \"{name}\" needs `{key}`");

    let params = match &t.space {
        Some(space) => spaces(ctx, space, name)?,
        None if name == "mapping" => Vec::new(),
        None => return ctx.err(header, need("space")),
    };
    let algorithm = match name {
        "grid" => Algorithm::Grid,
        "random" => {
            let trials = required(ctx, &t.trials, &header, || need("trials"))?;
            Algorithm::Random { trials: count(ctx, trials, "trials", 1)? }
        }
        "hyperband" => {
            let max = required(ctx, &t.max_iterations, &header, || need("max_iterations"))?;
            let eta = required(ctx, &t.eta, &header, || need("eta"))?;
            let resource = required(ctx, &t.resource, &header, || need("resource"))?;
            let r = resource.get_ref();
            if r.trim().is_empty() {
                return ctx.err(
                    resource.span(),
                    "expected `resource` to name the input that receives each trial's iterations",
                );
            }
            if params.iter().any(|(n, _)| n == r) {
                return ctx.err(
                    resource.span(),
                    format!("resource `{r}` is also in `space`: Hyperband sets it to each trial's iteration budget"),
                );
            }
            Algorithm::Hyperband {
                max_iterations: count(ctx, max, "max_iterations", 1)?,
                eta: count(ctx, eta, "eta", 2)?,
                resource: r.clone(),
            }
        }
        _ => {
            let values = required(ctx, &t.values, &header, || need("values"))?;
            Algorithm::Mapping { values: mapping(ctx, values)? }
        }
    };
    let metric = match &t.metric {
        Some(m) => {
            let m = m.get_ref();
            let metric_name = m.name.get_ref();
            if metric_name.trim().is_empty() {
                return ctx
                    .err(m.name.span(), "expected the metric's `name` (the trials' output holding it)");
            }
            let Some(goal) = &m.goal else {
                return ctx.err(m.name.span(), "the metric needs a `goal`: maximize or minimize");
            };
            let goal = match goal.get_ref().as_str() {
                "maximize" => Goal::Maximize,
                "minimize" => Goal::Minimize,
                other => {
                    return ctx
                        .err(goal.span(), format!("unknown goal `{other}`; expected maximize or minimize"))
                }
            };
            Metric { name: metric_name.clone(), goal }
        }
        // A mapping fans out; it need not optimise anything.
        None if name == "mapping" => Metric { name: "metric".into(), goal: Goal::Maximize },
        None => return ctx.err(header, need("metric")),
    };
    let early_stopping = t.early_stopping.iter().map(|r| rule(ctx, r)).collect::<Result<Vec<_>, _>>()?;
    let max_trials = t.max_trials.as_ref().map(|m| count(ctx, m, "max_trials", 1)).transpose()?;
    let spec = SweepSpec { params, algorithm, metric, early_stopping, max_trials };
    // What is left (the number of trials, a grid's size) concerns the entry as a whole.
    spec.validate().or_else(|e| ctx.err(header.clone(), format!("[[tuning]] `{op}`: {e}")))?;

    let queue = t
        .queue
        .as_ref()
        .map(|q| ctx.lookup("queue", q, queue_names).map(|i| QueueId(i as u32)))
        .transpose()?;
    let gpu = match &t.gpu {
        None => None,
        Some(g) if *g.get_ref() >= 0 => Some(*g.get_ref() as u64),
        Some(g) => {
            return ctx
                .err(g.span(), format!("expected `gpu` to be a whole number >= 0, got {}", g.get_ref()))
        }
    };
    Ok(TuningConfig {
        op,
        position: super::line_col(ctx.text, t.op.span().start),
        concurrency: ctx.concurrency(&t.concurrency)?,
        queue,
        cpu_milli: t.cpu.map(|c| c.0),
        mem_mib: t.memory.map(|m| m.0),
        gpu,
        model: model(ctx, t.model.as_ref())?,
        spec,
    })
}

/// `space`'s entries in file order (TOML tables are read sorted by name; the values' spans
/// give the order they were written in, which is grid order and the trials' input order).
fn spaces(
    ctx: &Ctx,
    space: &Spanned<std::collections::BTreeMap<String, Spanned<String>>>,
    algorithm: &str,
) -> Result<Vec<(String, Space)>, ScenarioError> {
    let mut entries: Vec<(&String, &Spanned<String>)> = space.get_ref().iter().collect();
    entries.sort_by_key(|(_, v)| v.span().start);
    let mut out = Vec::with_capacity(entries.len());
    for (name, text) in entries {
        let parsed =
            parse_space(text.get_ref()).or_else(|e| ctx.err(text.span(), format!("space `{name}`: {e}")))?;
        if algorithm == "grid" && !matches!(parsed, Space::Choice(_) | Space::Range { .. }) {
            return ctx.err(
                text.span(),
                format!(
                    "space `{name}`: grid search needs `choice(...)` or `range(lo, hi, step)`, not `{}` \
                     (use algorithm \"random\" or \"hyperband\" to sample it)",
                    parsed.kind()
                ),
            );
        }
        out.push((name.clone(), parsed));
    }
    Ok(out)
}

/// A mapping's input sets: tables of numbers, strings and booleans, keys in file order.
fn mapping(ctx: &Ctx, values: &Spanned<Vec<Spanned<RawInputs>>>) -> Result<Vec<Params>, ScenarioError> {
    if values.get_ref().is_empty() {
        return ctx.err(values.span(), "expected at least one table of inputs in `values`");
    }
    let mut sets = Vec::with_capacity(values.get_ref().len());
    for set in values.get_ref() {
        if set.get_ref().is_empty() {
            return ctx.err(set.span(), "expected at least one input in this table (one trial per table)");
        }
        let mut entries: Vec<(&String, &Spanned<toml::Value>)> = set.get_ref().iter().collect();
        entries.sort_by_key(|(_, v)| v.span().start);
        let mut params = Params::with_capacity(entries.len());
        for (name, v) in entries {
            let value = match v.get_ref() {
                toml::Value::Integer(i) => Value::Num(*i as f64),
                toml::Value::Float(x) if x.is_finite() => Value::Num(*x),
                toml::Value::String(s) => Value::Str(s.clone()),
                toml::Value::Boolean(b) => Value::Bool(*b),
                other => {
                    return ctx.err(
                        v.span(),
                        format!(
                            "input `{name}`: expected a finite number, a string or a boolean, got {}",
                            other.type_str()
                        ),
                    )
                }
            };
            params.push((name.clone(), value));
        }
        sets.push(params);
    }
    Ok(sets)
}

/// A key the algorithm needs; its absence is reported at the entry's `[[tuning]]` header.
fn required<'a, T>(
    ctx: &Ctx,
    v: &'a Option<T>,
    header: &Range<usize>,
    message: impl FnOnce() -> String,
) -> Result<&'a T, ScenarioError> {
    match v {
        Some(v) => Ok(v),
        None => ctx.err(header.clone(), message()),
    }
}

/// A whole number of at least `min`, at most `u32::MAX`.
fn count(ctx: &Ctx, v: &Spanned<i64>, what: &str, min: u32) -> Result<u32, ScenarioError> {
    match u32::try_from(*v.get_ref()) {
        Ok(n) if n >= min => Ok(n),
        _ => {
            ctx.err(v.span(), format!("expected `{what}` to be a whole number >= {min}, got {}", v.get_ref()))
        }
    }
}

/// One early-stopping rule: its policy, the keys it needs, none it does not take.
fn rule(ctx: &Ctx, entry: &Spanned<RawEarlyStop>) -> Result<EarlyStop, ScenarioError> {
    let r = entry.get_ref();
    let policy = r.policy.get_ref().as_str();
    let Some(&(_, required, optional)) = POLICIES.iter().find(|p| p.0 == policy) else {
        let names: Vec<&str> = POLICIES.iter().map(|p| p.0).collect();
        return ctx.err(
            r.policy.span(),
            format!("unknown early-stopping policy `{policy}`; expected one of: {}", names.join(", ")),
        );
    };
    let given: [(&str, Option<Range<usize>>); 4] = [
        ("value", r.value.as_ref().map(|v| v.span())),
        ("percent", r.percent.as_ref().map(|v| v.span())),
        ("evaluation_interval", r.evaluation_interval.as_ref().map(|v| v.span())),
        ("min_steps", r.min_steps.as_ref().map(|v| v.span())),
    ];
    let takes: Vec<&str> = required.iter().chain(optional).copied().collect();
    for (key, span) in &given {
        match span {
            Some(span) if !takes.contains(key) => {
                return ctx.err(
                    span.clone(),
                    format!("`{key}` does not apply to policy \"{policy}\" (it takes {})", takes.join(", ")),
                )
            }
            None if required.contains(key) => {
                return ctx.err(entry.span(), format!("early-stopping policy \"{policy}\" needs `{key}`"))
            }
            _ => {}
        }
    }
    let steps = |v: &Option<Spanned<i64>>, what: &str, default: u32| match v {
        None => Ok(default),
        Some(s) => count(ctx, s, what, 0),
    };
    let evaluation_interval = steps(&r.evaluation_interval, "evaluation_interval", 1)?;
    let min_steps = steps(&r.min_steps, "min_steps", 0)?;
    let percent = r.percent.as_ref().map_or(0.0, |p| *p.get_ref());
    let rule = match policy {
        "metric_reached" => {
            EarlyStop::MetricReached { value: r.value.as_ref().map_or(0.0, |v| *v.get_ref()) }
        }
        "failures" => EarlyStop::Failures { percent },
        "median" => EarlyStop::Median { evaluation_interval, min_steps },
        "truncation" => EarlyStop::Truncation { percent, evaluation_interval, min_steps },
        _ => EarlyStop::Diff { percent, evaluation_interval, min_steps },
    };
    validate_rule(&rule).or_else(|e| ctx.err(entry.span(), e))?;
    Ok(rule)
}

/// The trial model: [`TrialModel::default`] with what the table sets.
fn model(ctx: &Ctx, raw: Option<&Spanned<RawModel>>) -> Result<TrialModel, ScenarioError> {
    let mut m = TrialModel::default();
    let Some(raw) = raw else { return Ok(m) };
    let r = raw.get_ref();
    let ranged = |v: &Option<Spanned<f64>>, what: &str, lo: f64, hi: f64, default: f64| match v {
        None => Ok(default),
        Some(x) if (lo..=hi).contains(x.get_ref()) => Ok(*x.get_ref()),
        Some(x) => ctx.err(x.span(), format!("expected model `{what}` in [{lo}, {hi}], got {}", x.get_ref())),
    };
    if let Some(d) = &r.duration {
        if d.get_ref().0 <= 0 {
            return ctx.err(d.span(), "expected a model `duration` greater than zero");
        }
        m.base_duration = d.get_ref().0;
    }
    m.noise = ranged(&r.noise, "noise", 0.0, 10.0, m.noise)?;
    m.duration_jitter = ranged(&r.duration_jitter, "duration_jitter", 0.0, 10.0, m.duration_jitter)?;
    m.failure_rate = ranged(&r.failure_rate, "failure_rate", 0.0, 1.0, m.failure_rate)?;
    if let Some(k) = &r.curve_iterations {
        if !(k.get_ref().is_finite() && *k.get_ref() > 0.0) {
            return ctx.err(k.span(), format!("expected model `curve_iterations` > 0, got {}", k.get_ref()));
        }
        m.curve_iterations = *k.get_ref();
    }
    if let Some(n) = &r.full_iterations {
        m.full_iterations = count(ctx, n, "full_iterations", 1)?;
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use schedlab_policies::time::MINUTE;

    use super::*;
    use crate::scenario::Scenario;

    const BASE: &str = r#"
[[agents]]
name = "k8s"

[[pools]]
name = "n"
agent = "k8s"
nodes = 1
cpu = 8
memory = "32Gi"

[[queues]]
name = "cpu"
agent = "k8s"

[workload]
trace = "ops.csv"
"#;

    fn load(tuning: &str) -> Result<Vec<TuningConfig>, ScenarioError> {
        Scenario::parse(&format!("{BASE}\n{tuning}"), Path::new("s.toml")).map(|s| s.tuning)
    }

    #[test]
    fn inputs_keep_the_order_they_are_written_in() {
        let t = load(
            "[[tuning]]\nop = \"a\"\nalgorithm = \"grid\"\nmetric = { name = \"m\", goal = \"minimize\" }\n\
             space = { zeta = \"choice(1, 2)\", alpha = \"range(0, 1, 0.5)\" }\n\n\
             [[tuning]]\nop = \"b\"\nalgorithm = \"mapping\"\nvalues = [{ z = 1, a = \"x\", m = true }]\n",
        )
        .unwrap();
        let names: Vec<&str> = t[0].spec.params.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["zeta", "alpha"]);
        let Algorithm::Mapping { values } = &t[1].spec.algorithm else { panic!("{:?}", t[1].spec) };
        assert_eq!(
            values[0],
            vec![
                ("z".to_string(), Value::Num(1.0)),
                ("a".to_string(), Value::Str("x".into())),
                ("m".to_string(), Value::Bool(true)),
            ]
        );
        // A mapping's metric defaults; nothing else is set.
        assert_eq!(t[1].spec.metric, Metric { name: "metric".into(), goal: Goal::Maximize });
        assert_eq!((t[1].concurrency, t[1].queue, t[1].gpu), (None, None, None));
        assert_eq!(t[1].model, TrialModel::default());
    }

    #[test]
    fn every_key_resolves() {
        let t = load(
            "[[tuning]]\nop = \"hp\"\nconcurrency = 3\nqueue = \"cpu\"\ncpu = \"500m\"\nmemory = \"2Gi\"\ngpu = 1\n\
             algorithm = \"hyperband\"\nmax_iterations = 27\neta = 3\nresource = \"epochs\"\nmax_trials = 10\n\
             metric = { name = \"loss\", goal = \"minimize\" }\nspace = { lr = \"uniform(0.1, 0.2)\" }\n\
             early_stopping = [{ policy = \"median\" }, { policy = \"diff\", percent = 5, min_steps = 2 }, \
             { policy = \"metric_reached\", value = 0.1 }]\n\
             model = { duration = \"3m\", noise = 0.2, duration_jitter = 0, curve_iterations = 4, \
             full_iterations = 5, failure_rate = 0.1 }\n",
        )
        .unwrap();
        let t = &t[0];
        assert_eq!(
            (t.concurrency, t.queue, t.cpu_milli, t.mem_mib, t.gpu),
            (Some(3), Some(QueueId(0)), Some(500), Some(2048), Some(1))
        );
        assert_eq!(
            t.spec.algorithm,
            Algorithm::Hyperband { max_iterations: 27, eta: 3, resource: "epochs".into() }
        );
        assert_eq!(t.spec.max_trials, Some(10));
        assert_eq!(
            t.spec.early_stopping,
            vec![
                EarlyStop::Median { evaluation_interval: 1, min_steps: 0 },
                EarlyStop::Diff { percent: 5.0, evaluation_interval: 1, min_steps: 2 },
                EarlyStop::MetricReached { value: 0.1 },
            ]
        );
        let m = &t.model;
        assert_eq!((m.base_duration, m.noise, m.duration_jitter), (3 * MINUTE, 0.2, 0.0));
        assert_eq!((m.curve_iterations, m.full_iterations, m.failure_rate), (4.0, 5, 0.1));
        assert_eq!(t.position, crate::scenario::line_col(&format!("{BASE}\n[[tuning]]\nop = "), usize::MAX));
    }

    #[test]
    fn a_rule_missing_its_key_points_at_the_rule() {
        let text = "[[tuning]]\nop = \"a\"\nalgorithm = \"random\"\ntrials = 2\n\
                    metric = { name = \"m\", goal = \"up\" }\nspace = { x = \"uniform(0, 1)\" }\n";
        let e = load(text).unwrap_err();
        assert!(e.message.contains("unknown goal `up`; expected maximize or minimize"), "{e}");
        let text = text.replace("\"up\"", "\"maximize\"")
            + "early_stopping = [{ policy = \"truncation\", min_steps = 1 }]\n";
        let e = load(&text).unwrap_err();
        assert!(e.message.contains("policy \"truncation\" needs `percent`"), "{e}");
        let full = format!("{BASE}\n{text}");
        let at = full.find("{ policy").unwrap();
        assert_eq!(e.position, Some(crate::scenario::line_col(&full, at)));
    }
}
