//! The native format's columns and how a header maps onto them.
//!
//! Columns are matched by name, not position, so people can reorder or drop optional columns
//! freely; an unknown name is an error because it is almost always a typo (`mem` for
//! `mem_mib`), and silently ignoring it would give a workload with zero memory requests.

use crate::error::TraceError;

/// One column of the native CSV format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Column {
    Id,
    Submit,
    Duration,
    Cpu,
    MemMib,
    Gpu,
    Queue,
    Project,
    Priority,
    Workflow,
    DependsOn,
    Estimate,
    NodeSelector,
    Affinity,
    Tolerations,
    Preemptible,
    Checkpoint,
    Replicas,
    Trigger,
    Timeout,
    Retries,
    RetryBackoff,
    FailProbability,
    Deadline,
    Approval,
    Cache,
    CacheKey,
    CacheTtl,
    Component,
    Inputs,
    Outputs,
    Conditions,
    SkipOnUpstreamSkip,
}

impl Column {
    /// Every column, in the order the writer emits them.
    pub(crate) const ALL: [Column; 33] = [
        Column::Id,
        Column::Submit,
        Column::Duration,
        Column::Cpu,
        Column::MemMib,
        Column::Gpu,
        Column::Queue,
        Column::Project,
        Column::Priority,
        Column::Workflow,
        Column::DependsOn,
        Column::Estimate,
        Column::NodeSelector,
        Column::Affinity,
        Column::Tolerations,
        Column::Preemptible,
        Column::Checkpoint,
        Column::Replicas,
        Column::Trigger,
        Column::Timeout,
        Column::Retries,
        Column::RetryBackoff,
        Column::FailProbability,
        Column::Deadline,
        Column::Approval,
        Column::Cache,
        Column::CacheKey,
        Column::CacheTtl,
        Column::Component,
        Column::Inputs,
        Column::Outputs,
        Column::Conditions,
        Column::SkipOnUpstreamSkip,
    ];

    /// The header name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Column::Id => "id",
            Column::Submit => "submit",
            Column::Duration => "duration",
            Column::Cpu => "cpu",
            Column::MemMib => "mem_mib",
            Column::Gpu => "gpu",
            Column::Queue => "queue",
            Column::Project => "project",
            Column::Priority => "priority",
            Column::Workflow => "workflow",
            Column::DependsOn => "depends_on",
            Column::Estimate => "estimate",
            Column::NodeSelector => "node_selector",
            Column::Affinity => "affinity",
            Column::Tolerations => "tolerations",
            Column::Preemptible => "preemptible",
            Column::Checkpoint => "checkpoint",
            Column::Replicas => "replicas",
            Column::Trigger => "trigger",
            Column::Timeout => "timeout",
            Column::Retries => "retries",
            Column::RetryBackoff => "retry_backoff",
            Column::FailProbability => "fail_probability",
            Column::Deadline => "deadline",
            Column::Approval => "approval",
            Column::Cache => "cache",
            Column::CacheKey => "cache_key",
            Column::CacheTtl => "cache_ttl",
            Column::Component => "component",
            Column::Inputs => "inputs",
            Column::Outputs => "outputs",
            Column::Conditions => "conditions",
            Column::SkipOnUpstreamSkip => "skip_on_upstream_skip",
        }
    }

    /// Columns without which a record makes no sense.
    fn required(self) -> bool {
        matches!(self, Column::Id | Column::Submit | Column::Duration)
    }

    /// Matches a header cell (already trimmed), ignoring ASCII case.
    fn from_name(name: &str) -> Option<Column> {
        Column::ALL.into_iter().find(|c| c.name().eq_ignore_ascii_case(name))
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Where each known column sits in the file's rows.
#[derive(Debug)]
pub(crate) struct Layout {
    positions: [Option<usize>; Column::ALL.len()],
    /// The header as written, for naming cells in messages.
    names: Vec<String>,
}

impl Layout {
    /// Maps a header row found on `line`; `source` names the file in errors.
    pub(crate) fn from_header<'a>(
        header: impl IntoIterator<Item = &'a str>,
        line: u64,
        source: &str,
    ) -> Result<Layout, TraceError> {
        let mut positions = [None; Column::ALL.len()];
        let mut names = Vec::new();
        for (i, raw) in header.into_iter().enumerate() {
            let name = raw.trim_start_matches('\u{feff}').trim();
            let column = Column::from_name(name).ok_or_else(|| {
                let what = if name.is_empty() {
                    "an unnamed column in the header (a trailing comma?)".to_string()
                } else {
                    format!("unknown column `{name}` in the header")
                };
                TraceError::at_line(source, line, format!("{what}; known columns are {}", known_list()))
            })?;
            if positions[column.index()].replace(i).is_some() {
                return Err(TraceError::at_line(
                    source,
                    line,
                    format!("column `{}` appears twice in the header", column.name()),
                ));
            }
            names.push(column.name().to_string());
        }
        let missing: Vec<&str> = Column::ALL
            .into_iter()
            .filter(|c| c.required() && positions[c.index()].is_none())
            .map(Column::name)
            .collect();
        if !missing.is_empty() {
            let what = if names.is_empty() {
                "the header is missing (the first line must name the columns)".to_string()
            } else {
                format!("the header lacks required column(s) `{}`", missing.join("`, `"))
            };
            return Err(TraceError::at_line(
                source,
                line,
                format!("{what}; required columns are `id`, `submit`, `duration`"),
            ));
        }
        Ok(Layout { positions, names })
    }

    /// The cell of `column` in `row`, trimmed; empty when the column is absent from the file.
    pub(crate) fn cell<'r>(&self, row: &'r csv::StringRecord, column: Column) -> &'r str {
        self.positions[column.index()].and_then(|i| row.get(i)).map_or("", str::trim)
    }

    /// The column name of the `i`-th cell of a row, for messages.
    pub(crate) fn name_at(&self, i: usize) -> Option<&str> {
        self.names.get(i).map(String::as_str)
    }
}

fn known_list() -> String {
    let names: Vec<&str> = Column::ALL.into_iter().map(Column::name).collect();
    format!("`{}`", names.join("`, `"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_by_name_in_any_order() {
        let layout = Layout::from_header(["duration", " ID ", "submit", "gpu"], 1, "t").unwrap();
        let row = csv::StringRecord::from(vec!["5", "a", "1", " 2 "]);
        assert_eq!(layout.cell(&row, Column::Id), "a");
        assert_eq!(layout.cell(&row, Column::Gpu), "2");
        assert_eq!(layout.cell(&row, Column::Cpu), "");
    }

    #[test]
    fn rejects_unknown_duplicate_and_missing() {
        let e = Layout::from_header(["id", "submit", "duration", "mem"], 1, "t").unwrap_err();
        assert!(e.message.contains("unknown column `mem`"), "{e}");
        assert!(e.message.contains("`mem_mib`"), "{e}");
        let e = Layout::from_header(["id", "submit", "id", "duration"], 1, "t").unwrap_err();
        assert!(e.message.contains("twice"), "{e}");
        let e = Layout::from_header(["id", "submit"], 1, "t").unwrap_err();
        assert!(e.message.contains("`duration`"), "{e}");
        assert_eq!(e.line, Some(1));
    }
}
