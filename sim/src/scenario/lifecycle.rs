//! The lifecycle settings of a scenario: approvals, the result cache, failure injection,
//! termination (timeouts and retries, per queue), queue routes and scripted actions.
//!
//! The kernel enforces termination and routes (they are registered with the queues in
//! [`Scenario::build_kernel`](super::Scenario::build_kernel)); the simulator plays the rest:
//! it answers approvals after a sampled delay, fails attempts at the configured rates and
//! applies the scripted actions at their times.

use std::ops::Range;

use schedlab_policies::expr::{self, Expr};
use schedlab_policies::model::{QueueSpec, Termination};
use schedlab_policies::{QueueId, Time};
use schedlab_traces::{DurationDist, DurationSampler};
use toml::Spanned;

use super::raw::{RawQueue, RawScenario};
use super::resolve::Ctx;
use super::ScenarioError;

/// Simulator-side lifecycle settings of a scenario.
#[derive(Clone, Debug, Default)]
pub struct Lifecycle {
    pub approval: ApprovalModel,
    pub cache: CacheDefaults,
    /// Chance in [0,1] that an attempt of an operation on queue i fails (index = QueueId), when
    /// its trace row gives none. 0.0 when not set.
    pub fail_probability: Vec<f64>,
    /// Queue routes, in file order: an operation naming no queue goes to the first whose
    /// expression holds. Each reads only `inputs.NAME` and `resources.cpu|mem_mib|gpu|replicas`.
    pub routes: Vec<(Expr, QueueId)>,
    /// Scripted actions, in time order (stable for equal times: file order).
    pub actions: Vec<ScriptedAction>,
}

/// How approvals are answered in the simulator.
#[derive(Clone, Debug, Default)]
pub struct ApprovalModel {
    /// How long after an operation starts waiting for approval the approval (or rejection)
    /// arrives; None = at once.
    pub delay: Option<DurationDist>,
    /// Chance in [0,1] that the answer is a rejection.
    pub reject_probability: f64,
}

/// Which operations use the result cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CacheMode {
    /// Only operations inside a workflow.
    #[default]
    Workflows,
    /// Every operation with a cache key.
    All,
    /// None: every operation runs.
    Off,
}

impl CacheMode {
    /// Every mode, in the order the documentation lists them.
    pub const ALL: [CacheMode; 3] = [CacheMode::Workflows, CacheMode::All, CacheMode::Off];

    /// The name used in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            CacheMode::Workflows => "workflows",
            CacheMode::All => "all",
            CacheMode::Off => "off",
        }
    }

    /// The mode called `name`, or a message listing the valid names.
    pub fn by_name(name: &str) -> Result<CacheMode, String> {
        CacheMode::ALL.into_iter().find(|m| m.name() == name).ok_or_else(|| {
            format!(
                "unknown cache mode `{name}`; expected one of: {}",
                CacheMode::ALL.map(CacheMode::name).join(", ")
            )
        })
    }
}

/// The cache settings of a scenario.
#[derive(Clone, Debug, Default)]
pub struct CacheDefaults {
    pub mode: CacheMode,
    /// None = results never expire
    pub ttl: Option<Time>,
}

/// Something done to an operation at a set time of the run, as a person would from the CLI.
#[derive(Clone, Debug)]
pub struct ScriptedAction {
    pub at: Time,
    /// The operation's id in the workload.
    pub op: String,
    pub kind: ActionKind,
    /// 1-based line of the [[actions]] entry (its header), for messages
    pub line: usize,
}

/// What a scripted action does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionKind {
    Stop,
    Restart,
    Resume,
    Copy,
    Approve,
    Reject,
}

impl ActionKind {
    /// Every kind, in the order the documentation lists them.
    pub const ALL: [ActionKind; 6] = [
        ActionKind::Stop,
        ActionKind::Restart,
        ActionKind::Resume,
        ActionKind::Copy,
        ActionKind::Approve,
        ActionKind::Reject,
    ];

    /// The name used in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            ActionKind::Stop => "stop",
            ActionKind::Restart => "restart",
            ActionKind::Resume => "resume",
            ActionKind::Copy => "copy",
            ActionKind::Approve => "approve",
            ActionKind::Reject => "reject",
        }
    }

    /// The kind called `name`, or a message listing the valid names.
    pub fn by_name(name: &str) -> Result<ActionKind, String> {
        ActionKind::ALL.into_iter().find(|k| k.name() == name).ok_or_else(|| {
            format!(
                "unknown action `{name}`; expected one of: {}",
                ActionKind::ALL.map(ActionKind::name).join(", ")
            )
        })
    }
}

/// What a route may read under `resources.` (the kernel's rule, checked at load time so that
/// registering routes cannot fail).
const RESOURCE_PATHS: [&str; 4] = ["cpu", "mem_mib", "gpu", "replicas"];

/// A probability in [0,1].
pub(super) fn probability(
    ctx: &Ctx,
    v: &Option<Spanned<f64>>,
    what: &str,
) -> Result<Option<f64>, ScenarioError> {
    match v {
        None => Ok(None),
        Some(p) if (0.0..=1.0).contains(p.get_ref()) => Ok(Some(*p.get_ref())),
        Some(p) => {
            ctx.err(p.span(), format!("expected `{what}` to be a probability in [0, 1], got {}", p.get_ref()))
        }
    }
}

/// A queue's termination settings: `timeout` (> 0), `retries` (an integer >= 0) and
/// `retry_backoff` (>= 0).
pub(super) fn termination(ctx: &Ctx, q: &RawQueue) -> Result<Termination, ScenarioError> {
    let timeout = match &q.timeout {
        Some(t) if t.get_ref().0 <= 0 => return ctx.err(t.span(), "expected a `timeout` greater than zero"),
        t => t.as_ref().map(|t| t.get_ref().0),
    };
    let retries = match &q.retries {
        None => None,
        Some(r) => match r.get_ref() {
            toml::Value::Integer(n) if (0..=i64::from(u32::MAX)).contains(n) => Some(*n as u32),
            v => {
                return ctx.err(r.span(), format!("expected `retries` to be a non-negative integer, got {v}"))
            }
        },
    };
    let retry_backoff = q.retry_backoff.as_ref().map(|b| b.get_ref().0);
    Ok(Termination { timeout, retries, retry_backoff })
}

/// Everything of [`Lifecycle`], from the raw file, the resolved queues (index = QueueId) and
/// the queues' own `fail_probability` (checked with the queues, so errors come in file order).
pub(super) fn resolve(
    ctx: &Ctx,
    raw: &RawScenario,
    queues: &[QueueSpec],
    queue_fail: &[Option<f64>],
) -> Result<Lifecycle, ScenarioError> {
    // Approvals.
    let a = &raw.approval;
    let delay = match &a.delay {
        None => None,
        Some(d) => {
            DurationSampler::new(d.get_ref()).or_else(|m| {
                ctx.err(d.span(), format!("approval delay: {}", m.replace("duration.", "delay.")))
            })?;
            Some(d.get_ref().clone())
        }
    };
    let reject_probability = probability(ctx, &a.reject_probability, "reject_probability")?.unwrap_or(0.0);

    // The cache.
    let mode = match &raw.cache.mode {
        Some(m) => CacheMode::by_name(m.get_ref()).or_else(|e| ctx.err(m.span(), e))?,
        None => CacheMode::default(),
    };
    let ttl = match &raw.cache.ttl {
        Some(t) if mode == CacheMode::Off => {
            return ctx.err(t.span(), "`ttl` has no effect with mode = \"off\": remove one of them")
        }
        Some(t) if t.get_ref().0 <= 0 => {
            return ctx
                .err(t.span(), "expected a cache `ttl` greater than zero (omit it: results never expire)")
        }
        t => t.as_ref().map(|t| t.get_ref().0),
    };

    // Failure chances: the queue's own, else [failures], else 0.
    let default = probability(ctx, &raw.failures.fail_probability, "fail_probability")?.unwrap_or(0.0);
    let fail_probability = queue_fail.iter().map(|p| p.unwrap_or(default)).collect();

    // Routes.
    let queue_names: Vec<String> = queues.iter().map(|q| q.name.clone()).collect();
    let mut routes = Vec::with_capacity(raw.routes.len());
    for r in &raw.routes {
        let when = route_expr(ctx, &r.when)?;
        let queue = QueueId(ctx.lookup("queue", &r.queue, &queue_names)? as u32);
        routes.push((when, queue));
    }

    // Scripted actions, in time order (the sort is stable: file order at equal times).
    let mut actions = Vec::with_capacity(raw.actions.len());
    for entry in &raw.actions {
        let e = entry.get_ref();
        let kind = ActionKind::by_name(e.action.get_ref()).or_else(|m| ctx.err(e.action.span(), m))?;
        if e.op.get_ref().is_empty() {
            return ctx.err(e.op.span(), "expected `op` to name an operation of the workload");
        }
        actions.push(ScriptedAction {
            at: e.at.get_ref().0,
            op: e.op.get_ref().clone(),
            kind,
            line: ctx.line_of(&entry.span()),
        });
    }
    actions.sort_by_key(|a| a.at);

    Ok(Lifecycle {
        approval: ApprovalModel { delay, reject_probability },
        cache: CacheDefaults { mode, ttl },
        fail_probability,
        routes,
        actions,
    })
}

/// Parses a route's `when`, pointing errors at the character of the TOML string they concern,
/// and checks that it reads only what a route may read.
fn route_expr(ctx: &Ctx, when: &Spanned<String>) -> Result<Expr, ScenarioError> {
    let source = when.get_ref();
    let span = when.span();
    let at = |column: usize| {
        let o = char_offset(ctx.text, &span, column);
        o..o
    };
    let e = expr::parse(source).or_else(|e| ctx.err(at(e.column), e.message))?;
    for p in e.paths() {
        let ok = match p.first().map(String::as_str) {
            Some("inputs") => p.len() == 2,
            Some("resources") => p.len() == 2 && RESOURCE_PATHS.contains(&p[1].as_str()),
            _ => false,
        };
        if !ok {
            let shown = p.join(".");
            let byte = source.find(&shown).or_else(|| p.first().and_then(|f| source.find(f.as_str())));
            let column = byte.map_or(1, |b| source[..b].chars().count() + 1);
            return ctx.err(
                at(column),
                format!(
                    "a route may read only inputs.NAME and resources.{}, not `{shown}`",
                    RESOURCE_PATHS.join("|")
                ),
            );
        }
    }
    Ok(e)
}

/// The byte offset in `text` of the `column`th (1-based) character of the string value at
/// `span` (its quotes included, as TOML spans are): after the opening delimiter, counting
/// each escape sequence of a basic string as the one character it stands for. A column past
/// the end gives the closing delimiter.
fn char_offset(text: &str, span: &Range<usize>, column: usize) -> usize {
    let Some(raw) = text.get(span.clone()) else { return span.start };
    let (delim, basic) = if raw.starts_with("\"\"\"") {
        (3, true)
    } else if raw.starts_with("'''") {
        (3, false)
    } else if raw.starts_with('"') {
        (1, true)
    } else if raw.starts_with('\'') {
        (1, false)
    } else {
        return span.start;
    };
    let end = raw.len().saturating_sub(delim).max(delim);
    let mut i = delim;
    if delim == 3 {
        // A newline right after the opening delimiter is not part of the string.
        if raw[i..].starts_with("\r\n") {
            i += 2;
        } else if raw[i..].starts_with('\n') {
            i += 1;
        }
    }
    let mut skip = column.saturating_sub(1);
    while i < end {
        let at = |i: usize| raw.get(i..).and_then(|r| r.chars().next());
        let Some(c) = at(i) else { break };
        let next = at(i + c.len_utf8());
        if basic && c == '\\' && next.is_some_and(char::is_whitespace) {
            // A line-ending backslash: it and the whitespace after it stand for nothing.
            i += 1;
            while let Some(w) = at(i).filter(|w| w.is_whitespace()) {
                i += w.len_utf8();
            }
            continue;
        }
        if skip == 0 {
            break;
        }
        i += match next {
            Some('u') if basic && c == '\\' => 6,
            Some('U') if basic && c == '\\' => 10,
            Some(e) if basic && c == '\\' => 1 + e.len_utf8(),
            _ => c.len_utf8(),
        };
        skip -= 1;
    }
    span.start + i.min(raw.len())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use schedlab_policies::time::{HOUR, MINUTE, SECOND};
    use schedlab_traces::DurationQty;

    use super::*;
    use crate::scenario::Scenario;

    const BASE: &str = r#"
[[agents]]
name = "k8s"

[[pools]]
name = "gpu"
agent = "k8s"
nodes = 2
cpu = 8
memory = "32Gi"
gpu = 4

[[queues]]
name = "cpu"
agent = "k8s"

[[queues]]
name = "gpu"
agent = "k8s"

[workload]
trace = "ops.csv"
"#;

    const FULL: &str = r#"
[[agents]]
name = "k8s"

[[pools]]
name = "gpu"
agent = "k8s"
nodes = 2
cpu = 8
memory = "32Gi"
gpu = 4

[[queues]]
name = "cpu"
agent = "k8s"
timeout = "2h"
retries = 2
retry_backoff = "30s"
fail_probability = 0.05

[[queues]]
name = "gpu"
agent = "k8s"

[[queues]]
name = "spare"
agent = "k8s"
retries = 0

[workload]
trace = "ops.csv"

[approval]
delay = { dist = "exponential", mean = "10m" }
reject_probability = 0.1

[cache]
mode = "all"
ttl = "7d"

[failures]
fail_probability = 0.01

[[routes]]
when = "inputs.dataset_gb > 100 and resources.gpu >= 1"
queue = "gpu"

[[routes]]
when = "resources.cpu > 4"
queue = "cpu"

[[actions]]
at = "1h"
op = "train-3"
action = "stop"

[[actions]]
at = "30m"
op = "train-1"
action = "approve"

[[actions]]
at = "1h"
op = "train-2"
action = "restart"
"#;

    fn load(text: &str) -> Result<Scenario, ScenarioError> {
        Scenario::parse(text, Path::new("s.toml"))
    }

    fn err(text: &str) -> ScenarioError {
        load(text).expect_err("expected an error")
    }

    /// 1-based line and column of the first occurrence of `needle` in `text`.
    fn position(text: &str, needle: &str) -> (usize, usize) {
        let at = text.find(needle).unwrap_or_else(|| panic!("`{needle}` not in the text"));
        crate::scenario::line_col(text, at)
    }

    #[test]
    fn every_lifecycle_key_resolves() {
        let s = load(FULL).unwrap();
        let l = &s.lifecycle;
        assert_eq!(
            l.approval.delay,
            Some(DurationDist::Exponential { mean: DurationQty(10 * MINUTE), max: None })
        );
        assert_eq!(l.approval.reject_probability, 0.1);
        assert_eq!(l.cache.mode, CacheMode::All);
        assert_eq!(l.cache.ttl, Some(7 * 24 * HOUR));
        assert_eq!(l.fail_probability, vec![0.05, 0.01, 0.01]);

        let t = s.queues[0].termination;
        assert_eq!(t.timeout, Some(2 * HOUR));
        assert_eq!(t.retries, Some(2));
        assert_eq!(t.retry_backoff, Some(30 * SECOND));
        assert_eq!(s.queues[1].termination.timeout, None);
        assert_eq!(s.queues[1].termination.retries, None);
        assert_eq!(s.queues[2].termination.retries, Some(0));

        assert_eq!(l.routes.len(), 2);
        assert_eq!(l.routes[0].0.source(), "inputs.dataset_gb > 100 and resources.gpu >= 1");
        assert_eq!(l.routes[0].1, QueueId(1));
        assert_eq!(l.routes[1].1, QueueId(0));

        // Time order; equal times keep file order.
        let got: Vec<(Time, &str, ActionKind)> =
            l.actions.iter().map(|a| (a.at, a.op.as_str(), a.kind)).collect();
        assert_eq!(
            got,
            vec![
                (30 * MINUTE, "train-1", ActionKind::Approve),
                (HOUR, "train-3", ActionKind::Stop),
                (HOUR, "train-2", ActionKind::Restart),
            ]
        );
        assert_eq!(l.actions[0].line, position(FULL, "op = \"train-1\"").0 - 2);
        assert_eq!(l.actions[1].line, position(FULL, "op = \"train-3\"").0 - 2);
        assert_eq!(FULL.lines().nth(l.actions[1].line - 1), Some("[[actions]]"));

        // Routes register with the kernel (the checks at load time match the kernel's).
        let _ = s.build_kernel();
    }

    #[test]
    fn defaults_when_nothing_is_set() {
        let s = load(BASE).unwrap();
        let l = &s.lifecycle;
        assert!(l.approval.delay.is_none());
        assert_eq!(l.approval.reject_probability, 0.0);
        assert_eq!(l.cache.mode, CacheMode::Workflows);
        assert_eq!(l.cache.ttl, None);
        assert_eq!(l.fail_probability, vec![0.0, 0.0]);
        assert!(l.routes.is_empty() && l.actions.is_empty());
        assert_eq!(s.queues[0].termination.timeout, None);
    }

    #[test]
    fn validate_shows_the_lifecycle() {
        let shown = load(FULL).unwrap().to_string();
        for want in [
            "timeout=2h retries=2 backoff=30s fail=0.05",
            "retries=0 fail=0.01",
            "approval  answered after a delay (exponential, mean 10m), rejected with probability 0.1",
            "cache     mode all",
            "results expire after 7d",
            "inputs.dataset_gb > 100 and resources.gpu >= 1",
            "-> gpu",
            "actions   3 scripted",
        ] {
            assert!(shown.contains(want), "no `{want}` in:\n{shown}");
        }
        let shown = load(BASE).unwrap().to_string();
        assert!(shown.contains("approval  answered at once, never rejected"), "{shown}");
        assert!(shown.contains("results never expire"), "{shown}");
    }

    #[test]
    fn a_bad_expression_points_at_its_character_in_the_file() {
        let when = "inputs.a > 1 and and";
        let text = format!("{BASE}\n[[routes]]\nwhen = \"{when}\"\nqueue = \"gpu\"\n");
        let e = err(&text);
        let expr_err = expr::parse(when).unwrap_err();
        let (line, col) = position(&text, "when = ");
        assert_eq!(e.position, Some((line, col + "when = \"".len() + expr_err.column - 1)), "{e}");
        assert_eq!(e.message, expr_err.message);
        // The second `and` is at column 18 of the expression.
        assert_eq!(expr_err.column, 18, "{expr_err}");

        // Escapes count as the one character they stand for.
        let text =
            format!("{BASE}\n[[routes]]\nwhen = \"inputs.s == \\\"\\u00e9\\\" and (\"\nqueue = \"gpu\"\n");
        let e = err(&text);
        let source = "inputs.s == \"\u{e9}\" and (";
        let expr_err = expr::parse(source).unwrap_err();
        let (line, col) = position(&text, "when = ");
        // The culprit is the `(` (or the end after it), at column 21 (or 22) of the decoded
        // text but further along in the file, past the escapes.
        let raw_before: usize = match expr_err.column {
            21 => "inputs.s == \\\"\\u00e9\\\" and ".len(),
            22 => "inputs.s == \\\"\\u00e9\\\" and (".len(),
            c => panic!("unexpected column {c}: {expr_err}"),
        };
        assert_eq!(e.position, Some((line, col + "when = \"".len() + raw_before)), "{e}");

        // A literal string: characters map one to one.
        let text = format!("{BASE}\n[[routes]]\nwhen = 'resources.gpu >'\nqueue = \"gpu\"\n");
        let e = err(&text);
        let (line, col) = position(&text, "when = ");
        assert_eq!(e.position, Some((line, col + "when = '".len() + "resources.gpu >".len())), "{e}");
    }

    #[test]
    fn a_route_to_an_unknown_queue_names_the_known_ones() {
        let text = format!("{BASE}\n[[routes]]\nwhen = \"resources.gpu >= 1\"\nqueue = \"gpus\"\n");
        let e = err(&text);
        let (line, col) = position(&text, "\"gpus\"");
        assert_eq!(e.position, Some((line, col)));
        assert!(e.message.contains("unknown queue `gpus`") && e.message.contains("cpu, gpu"), "{e}");
    }

    #[test]
    fn a_route_may_read_only_inputs_and_resources() {
        let text = format!(
            "{BASE}\n[[routes]]\nwhen = \"inputs.x == 1 or ops.x.status == 'failed'\"\nqueue = \"gpu\"\n"
        );
        let e = err(&text);
        let (line, col) = position(&text, "ops.x.status");
        assert_eq!(e.position, Some((line, col)), "{e}");
        assert!(e.message.contains("`ops.x.status`") && e.message.contains("inputs.NAME"), "{e}");

        for bad in ["resources.tpu > 0", "inputs.a.b == 1"] {
            let text = format!("{BASE}\n[[routes]]\nwhen = \"{bad}\"\nqueue = \"gpu\"\n");
            let e = err(&text);
            assert!(e.message.contains("a route may read only"), "{e}");
        }
    }

    #[test]
    fn a_bad_action_kind_lists_the_valid_ones() {
        let text = format!("{BASE}\n[[actions]]\nat = \"1h\"\nop = \"a\"\naction = \"pause\"\n");
        let e = err(&text);
        let (line, col) = position(&text, "\"pause\"");
        assert_eq!(e.position, Some((line, col)));
        assert!(
            e.message.contains("unknown action `pause`")
                && e.message.contains("stop, restart, resume, copy, approve, reject"),
            "{e}"
        );
    }

    #[test]
    fn probabilities_must_be_between_zero_and_one() {
        for (table, key) in [
            ("[approval]", "reject_probability"),
            ("[failures]", "fail_probability"),
            ("", "fail_probability"),
        ] {
            let text = if table.is_empty() {
                BASE.replace(
                    "agent = \"k8s\"\n\n[workload]",
                    "agent = \"k8s\"\nfail_probability = 1.5\n\n[workload]",
                )
            } else {
                format!("{BASE}\n{table}\n{key} = 1.5\n")
            };
            let e = err(&text);
            let (line, col) = position(&text, "1.5");
            assert_eq!(e.position, Some((line, col)), "{e}");
            assert!(
                e.message.contains(key) && e.message.contains("[0, 1]") && e.message.contains("1.5"),
                "{e}"
            );
        }
        let ok = format!("{BASE}\n[failures]\nfail_probability = 1\n");
        assert_eq!(load(&ok).unwrap().lifecycle.fail_probability, vec![1.0, 1.0]);
    }

    #[test]
    fn termination_values_are_checked() {
        let queue = "name = \"cpu\"\nagent = \"k8s\"";
        for (set, want) in [
            ("retries = -1", "non-negative integer"),
            ("retries = 2.5", "non-negative integer"),
            ("retries = \"2\"", "non-negative integer"),
            ("timeout = \"0s\"", "`timeout` greater than zero"),
            ("timeout = \"-5m\"", "expected a duration"),
            ("retry_backoff = \"soon\"", "expected a duration"),
        ] {
            let text = BASE.replacen(queue, &format!("{queue}\n{set}"), 1);
            let e = err(&text);
            let value = set.split(" = ").nth(1).unwrap();
            assert_eq!(e.position, Some(position(&text, value)), "{set}: {e}");
            assert!(e.message.contains(want), "{set}: {e}");
        }
        let text = BASE.replacen(queue, &format!("{queue}\nretry_backoff = 0"), 1);
        assert_eq!(load(&text).unwrap().queues[0].termination.retry_backoff, Some(0));
    }

    #[test]
    fn approval_and_cache_values_are_checked() {
        for (add, at, want) in [
            ("[approval]\ndelay = { dist = \"exponential\", mean = 0 }", "{ dist", "delay.mean must be > 0"),
            ("[approval]\ndelay = { dist = \"expo\", mean = 1 }", "", "expo"),
            ("[cache]\nmode = \"sometimes\"", "\"sometimes\"", "workflows, all, off"),
            ("[cache]\nttl = 0", "0", "greater than zero"),
            ("[cache]\nmode = \"off\"\nttl = \"1d\"", "\"1d\"", "no effect"),
            ("[[actions]]\nat = \"-1h\"\nop = \"a\"\naction = \"stop\"", "\"-1h\"", "expected a duration"),
            ("[approval]\nrejects = 0.1", "rejects", "unknown field"),
        ] {
            let text = format!("{BASE}\n{add}\n");
            let e = err(&text);
            assert!(e.message.contains(want), "{add}: {e}");
            if !at.is_empty() {
                let tail = text.len() - add.len() - 1;
                let (line, col) = crate::scenario::line_col(&text, tail + add.find(at).unwrap());
                assert_eq!(e.position, Some((line, col)), "{add}: {e}");
            }
        }
        let text = format!("{BASE}\n[approval]\ndelay = {{ dist = \"constant\", value = \"5m\" }}\n");
        let d = load(&text).unwrap().lifecycle.approval.delay;
        assert_eq!(d, Some(DurationDist::Constant { value: DurationQty(5 * MINUTE) }));
    }

    #[test]
    fn char_offsets_within_strings() {
        let text = r#"k = "ab\tc""#;
        let span = 4..text.len();
        assert_eq!(char_offset(text, &span, 1), 5);
        assert_eq!(char_offset(text, &span, 3), 7);
        assert_eq!(char_offset(text, &span, 4), 9);
        assert_eq!(char_offset(text, &span, 5), 10);
        let text = "k = \"\"\"\nab\\\n   cd\"\"\"";
        let span = 4..text.len();
        assert_eq!(&text[char_offset(text, &span, 1)..][..1], "a");
        assert_eq!(&text[char_offset(text, &span, 3)..][..1], "c");
    }
}
