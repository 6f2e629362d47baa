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
/// Annotation: `;`-separated names of Jobs that must succeed first.
pub const DEPENDS_ON: &str = "schedlab.io/depends-on";

/// What a Job's metadata asks of the kernel, with names still unresolved.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct JobRequest {
    pub queue: Option<String>,
    pub priority: i32,
    pub project: Option<String>,
    pub workflow: Option<String>,
    pub depends_on: Vec<String>,
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
            _ => {
                return Err(format!(
                    "unknown annotation `{key}`; schedlab reads {PRIORITY}, {PROJECT}, {WORKFLOW} and {DEPENDS_ON}"
                ))
            }
        }
    }
    Ok(req)
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
    fn malformed_annotations_are_refused_with_their_name() {
        let e = parse(&map(&[]), &map(&[(PRIORITY, "high")])).unwrap_err();
        assert!(e.contains(PRIORITY) && e.contains("`high`"), "{e}");
        let e = parse(&map(&[]), &map(&[("schedlab.io/prority", "1")])).unwrap_err();
        assert!(e.contains("schedlab.io/prority"), "{e}");
    }
}
