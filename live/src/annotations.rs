//! The labels and annotations by which a Job describes itself to schedlab.
//!
//! The queue is a *label* (so Jobs can be listed per queue with a label selector); everything
//! else is an annotation. Values are validated here, so a malformed Job is refused with a
//! message naming the annotation rather than scheduled wrongly.

use std::collections::BTreeMap;

/// Label: the queue the Job asks for. Absent: the project's default queue.
pub const QUEUE_LABEL: &str = "schedlab.io/queue";
/// Annotation: integer priority within the queue (default 0).
pub const PRIORITY: &str = "schedlab.io/priority";
/// Annotation: owning project.
pub const PROJECT: &str = "schedlab.io/project";
/// Annotation: the workflow (direct pipeline) the Job belongs to.
pub const WORKFLOW: &str = "schedlab.io/workflow";
/// Annotation: `;`-separated names of Jobs that must succeed first (`name` in the same
/// namespace, or `namespace/name`).
pub const DEPENDS_ON: &str = "schedlab.io/depends-on";
/// Annotation: how long the Job runs, in seconds (decimal). The emulator runs admitted Jobs
/// for this long (as KWOK does); the driver uses it as the run-time estimate.
pub const DURATION: &str = "schedlab.io/duration-seconds";
/// Annotation: position in the submitted trace; orders Jobs created in the same second.
pub const ORDER: &str = "schedlab.io/order";
/// Annotation (user): `required`: the Job is not submitted to the kernel until approved.
pub const APPROVAL: &str = "schedlab.io/approval";
/// Annotation (`schedlab live approve`): `"true"` approved, `"false"` rejected.
pub const APPROVED: &str = "schedlab.io/approved";
/// Annotation (user): the Job's cache key: a Job with the key of a Job that succeeded (within
/// the TTL) is not run but marked a cache hit; one whose twin runs now waits for it.
pub const CACHE_KEY: &str = "schedlab.io/cache-key";
/// Annotation (user): how long a cached result stays valid, in seconds (default: forever).
pub const CACHE_TTL: &str = "schedlab.io/cache-ttl-seconds";

// Written by schedlab itself (never by users); [`parse`] accepts and skips them.
/// Annotation (driver): the node the Job was admitted to.
pub const ADMITTED_NODE: &str = "schedlab.io/admitted-node";
/// Annotation (driver): when it was admitted (RFC 3339, milliseconds).
pub const ADMITTED_AT: &str = "schedlab.io/admitted-at";
/// Annotation (driver): the admission's sequence number (admission order across the cluster).
pub const ADMISSION: &str = "schedlab.io/admission";
/// Annotation (driver): why the Job was refused; a refused Job stays suspended.
pub const REFUSED: &str = "schedlab.io/refused";
/// Annotation (user, `schedlab live stop`): stop this operation.
pub const STOP: &str = "schedlab.io/stop";
/// Annotation (driver): why the Job was rejected (its approver said no); it stays suspended
/// and whatever depends on it ends `upstream_failed`.
pub const REJECTED: &str = "schedlab.io/rejected";
/// Annotation (driver): the Job will never run because an upstream Job did not succeed.
pub const UPSTREAM_FAILED: &str = "schedlab.io/upstream-failed";
/// Annotation (`schedlab live restart`): the Job (`namespace/name`) this one restarts.
pub const RESTART_OF: &str = "schedlab.io/restart-of";
/// Annotation (driver): the Job was not run: it reuses the result of the Job named here
/// (`namespace/name`), which has its cache key. It stays suspended.
pub const CACHE_HIT: &str = "schedlab.io/cache-hit";

/// Keys schedlab writes or reads that are not part of a Job's request.
pub const BOOKKEEPING: [&str; 11] = [
    DURATION,
    ORDER,
    ADMITTED_NODE,
    ADMITTED_AT,
    ADMISSION,
    REFUSED,
    STOP,
    REJECTED,
    UPSTREAM_FAILED,
    RESTART_OF,
    CACHE_HIT,
];

/// What the driver writes about a Job's admission (and `schedlab live restart` leaves out of
/// the copy): bookkeeping of one run, not part of the request.
pub const ADMISSION_KEYS: [&str; 10] = [
    ADMITTED_NODE,
    ADMITTED_AT,
    ADMISSION,
    REFUSED,
    STOP,
    REJECTED,
    UPSTREAM_FAILED,
    APPROVED,
    ORDER,
    CACHE_HIT,
];

/// Where a Job stands with its approver.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Approval {
    /// No approval needed.
    #[default]
    NotRequired,
    /// `schedlab.io/approval: required` and no decision yet: not submitted to the kernel.
    Pending,
    Approved,
    Rejected,
}

/// What a Job's metadata asks of the kernel, with names still unresolved.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct JobRequest {
    pub queue: Option<String>,
    pub priority: i32,
    pub project: Option<String>,
    pub workflow: Option<String>,
    pub depends_on: Vec<String>,
    /// Run time from [`DURATION`], in milliseconds.
    pub duration_ms: Option<i64>,
    /// Trace position from [`ORDER`].
    pub order: Option<u64>,
    /// From [`APPROVAL`] and [`APPROVED`].
    pub approval: Approval,
    /// From [`CACHE_KEY`] and [`CACHE_TTL`] (milliseconds).
    pub cache: Option<(String, Option<i64>)>,
}

/// Reads a Job's labels and annotations. Unknown `schedlab.io/` keys are an error (a typo
/// would otherwise be silently ignored); other keys belong to others and are left alone.
pub fn parse(
    labels: &BTreeMap<String, String>,
    annotations: &BTreeMap<String, String>,
) -> Result<JobRequest, String> {
    let mut req = JobRequest { queue: non_empty(labels.get(QUEUE_LABEL)), ..JobRequest::default() };
    for (key, value) in annotations {
        if !key.starts_with("schedlab.io/") {
            continue;
        }
        match key.as_str() {
            PRIORITY => {
                req.priority = value
                    .trim()
                    .parse()
                    .map_err(|_| format!("annotation {PRIORITY}: expected an integer, got `{value}`"))?
            }
            PROJECT => req.project = non_empty(Some(value)),
            WORKFLOW => req.workflow = non_empty(Some(value)),
            DEPENDS_ON => {
                req.depends_on =
                    value.split(';').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
            }
            APPROVAL => {
                if !value.trim().eq_ignore_ascii_case("required") {
                    return Err(format!("annotation {APPROVAL}: expected `required`, got `{value}`"));
                }
            }
            CACHE_KEY => {
                let key = value.trim();
                if key.is_empty() {
                    return Err(format!("annotation {CACHE_KEY}: expected a non-empty key"));
                }
                req.cache = Some((key.to_string(), req.cache.and_then(|c| c.1)));
            }
            CACHE_TTL => {}
            APPROVED => match value.trim() {
                "true" | "false" => {}
                _ => return Err(format!("annotation {APPROVED}: expected `true` or `false`, got `{value}`")),
            },
            k if BOOKKEEPING.contains(&k) => {}
            _ => {
                return Err(format!(
                    "unknown annotation `{key}`; schedlab reads {PRIORITY}, {PROJECT}, {WORKFLOW}, {DEPENDS_ON}, {DURATION}, {ORDER}, {APPROVAL}, {APPROVED}, {CACHE_KEY} and {CACHE_TTL}"
                ))
            }
        }
    }
    let required = annotations.contains_key(APPROVAL);
    req.approval = match (required, annotations.get(APPROVED).map(|v| v.trim() == "true")) {
        (_, Some(true)) => Approval::Approved,
        (_, Some(false)) => Approval::Rejected,
        (true, None) => Approval::Pending,
        (false, None) => Approval::NotRequired,
    };
    if let Some(v) = annotations.get(DURATION) {
        req.duration_ms = Some(parse_seconds(v).ok_or_else(|| {
            format!("annotation {DURATION}: expected a number of seconds (>= 0), got `{v}`")
        })?);
    }
    if let Some(v) = annotations.get(CACHE_TTL) {
        let ttl = parse_seconds(v).filter(|t| *t > 0).ok_or_else(|| {
            format!("annotation {CACHE_TTL}: expected a number of seconds (> 0), got `{v}`")
        })?;
        match req.cache.as_mut() {
            Some(c) => c.1 = Some(ttl),
            None => return Err(format!("annotation {CACHE_TTL} needs {CACHE_KEY}")),
        }
    }
    if let Some(v) = annotations.get(ORDER) {
        req.order = Some(
            v.trim()
                .parse()
                .map_err(|_| format!("annotation {ORDER}: expected a non-negative integer, got `{v}`"))?,
        );
    }
    Ok(req)
}

/// `"1.5"` → 1500 ms; negative, non-finite or absurd values are `None`.
pub fn parse_seconds(v: &str) -> Option<i64> {
    let s: f64 = v.trim().parse().ok()?;
    (s.is_finite() && (0.0..=1e12).contains(&s)).then(|| (s * 1000.0).round() as i64)
}

fn non_empty(v: Option<&String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn reads_every_field() {
        let r = parse(
            &map(&[(QUEUE_LABEL, "training")]),
            &map(&[(PRIORITY, " 5 "), (PROJECT, "vision"), (DEPENDS_ON, "a; b;"), ("other.io/x", "y")]),
        )
        .unwrap();
        assert_eq!(r.queue.as_deref(), Some("training"));
        assert_eq!(r.priority, 5);
        assert_eq!(r.project.as_deref(), Some("vision"));
        assert_eq!(r.depends_on, vec!["a", "b"]);
    }

    #[test]
    fn reads_the_cache_key_and_ttl() {
        let r = parse(&map(&[]), &map(&[(CACHE_TTL, "60"), (CACHE_KEY, " prep(v=3) ")])).unwrap();
        assert_eq!(r.cache, Some(("prep(v=3)".to_string(), Some(60_000))));
        let e = parse(&map(&[]), &map(&[(CACHE_TTL, "60")])).unwrap_err();
        assert!(e.contains(CACHE_KEY), "{e}");
        let e = parse(&map(&[]), &map(&[(CACHE_KEY, "k"), (CACHE_TTL, "0")])).unwrap_err();
        assert!(e.contains(CACHE_TTL) && e.contains("`0`"), "{e}");
    }

    #[test]
    fn malformed_annotations_are_refused_with_their_name() {
        let e = parse(&map(&[]), &map(&[(PRIORITY, "high")])).unwrap_err();
        assert!(e.contains(PRIORITY) && e.contains("`high`"), "{e}");
        let e = parse(&map(&[]), &map(&[("schedlab.io/prority", "1")])).unwrap_err();
        assert!(e.contains("schedlab.io/prority"), "{e}");
        let e = parse(&map(&[]), &map(&[(DURATION, "-3")])).unwrap_err();
        assert!(e.contains(DURATION), "{e}");
    }

    #[test]
    fn approval_states() {
        let a = |pairs: &[(&str, &str)]| parse(&map(&[]), &map(pairs)).map(|r| r.approval);
        assert_eq!(a(&[]), Ok(Approval::NotRequired));
        assert_eq!(a(&[(APPROVAL, "required")]), Ok(Approval::Pending));
        assert_eq!(a(&[(APPROVAL, "required"), (APPROVED, "true")]), Ok(Approval::Approved));
        assert_eq!(a(&[(APPROVAL, "required"), (APPROVED, "false")]), Ok(Approval::Rejected));
        let e = a(&[(APPROVAL, "yes please")]).unwrap_err();
        assert!(e.contains(APPROVAL) && e.contains("`required`"), "{e}");
        let e = a(&[(APPROVAL, "required"), (APPROVED, "yes")]).unwrap_err();
        assert!(e.contains(APPROVED) && e.contains("`true` or `false`"), "{e}");
    }

    #[test]
    fn bookkeeping_keys_are_not_requests() {
        let r = parse(&map(&[]), &map(&[(ADMITTED_NODE, "n-1"), (DURATION, "2.5"), (ORDER, "7")])).unwrap();
        assert_eq!(r.duration_ms, Some(2500));
        assert_eq!(r.order, Some(7));
    }
}
