//! Writing the native CSV format, so generated or converted workloads can be saved, edited by
//! hand and replayed. The output reads back to exactly the same records.

use std::fmt::Write as _;
use std::io::{self, Write};

use schedlab_policies::expr::{fmt_params, parse_params, Params};
use schedlab_policies::time::{secs, Time};
use schedlab_policies::units::fmt_cores;

use super::columns::Column;
use crate::record::TraceRecord;

/// Writes `records` with a header. Times are decimal seconds with three decimals, CPU is
/// cores; `None` (and empty) names are written as empty cells. The seventeen columns up to
/// `checkpoint` are always written; each later one (`replicas`, `trigger`, then the lifecycle
/// columns `timeout` … `skip_on_upstream_skip`) only when some record has a non-default value
/// in it, so workloads that do not use them keep the shape older versions wrote.
///
/// Fails with [`io::ErrorKind::InvalidInput`] when a record's `inputs` or `outputs` cannot be
/// written so that they read back the same (a key outside `[A-Za-z_][A-Za-z0-9_-]*`, a key
/// given twice, a number that is not finite, a string holding `;`); the records before it
/// have been written by then.
pub fn write_native(records: &[TraceRecord], w: impl Write) -> io::Result<()> {
    let columns: Vec<Column> = Column::ALL.into_iter().filter(|&c| written(c, records)).collect();
    let mut out = csv::Writer::from_writer(w);
    out.write_record(columns.iter().map(|c| c.name()))?;
    let mut buf = String::new();
    for r in records {
        for &c in &columns {
            buf.clear();
            cell(r, c, &mut buf)?;
            out.write_field(&buf)?;
        }
        out.write_record(None::<&[u8]>)?;
    }
    out.flush()
}

/// Whether the column appears in the output for these records.
fn written(c: Column, records: &[TraceRecord]) -> bool {
    let any = |used: fn(&TraceRecord) -> bool| records.iter().any(used);
    match c {
        Column::Replicas => any(|r| r.replicas > 1),
        Column::Trigger => any(|r| r.trigger != Default::default()),
        Column::Timeout => any(|r| r.timeout.is_some()),
        Column::Retries => any(|r| r.retries.is_some()),
        Column::RetryBackoff => any(|r| r.retry_backoff.is_some()),
        Column::FailProbability => any(|r| r.fail_probability.is_some()),
        Column::Deadline => any(|r| r.deadline.is_some()),
        Column::Approval => any(|r| r.approval),
        Column::Cache => any(|r| r.cache.is_some()),
        Column::CacheKey => any(|r| r.cache_key.is_some()),
        Column::CacheTtl => any(|r| r.cache_ttl.is_some()),
        Column::Component => any(|r| r.component.is_some()),
        Column::Inputs => any(|r| !r.inputs.is_empty()),
        Column::Outputs => any(|r| !r.outputs.is_empty()),
        Column::Conditions => any(|r| r.conditions.is_some()),
        Column::SkipOnUpstreamSkip => any(|r| r.skip_on_upstream_skip),
        _ => true,
    }
}

/// Appends the cell of column `c` for record `r` to `buf`; an empty cell is the default.
fn cell(r: &TraceRecord, c: Column, buf: &mut String) -> io::Result<()> {
    let time = |buf: &mut String, t: Option<Time>| {
        if let Some(t) = t {
            let _ = write!(buf, "{}", secs(t));
        }
    };
    let text = |buf: &mut String, s: &Option<String>| buf.push_str(s.as_deref().unwrap_or(""));
    let flag = |buf: &mut String, b: Option<bool>| {
        buf.push_str(b.map(|b| if b { "true" } else { "false" }).unwrap_or(""));
    };
    match c {
        Column::Id => buf.push_str(&r.id),
        Column::Submit => time(buf, Some(r.submit)),
        Column::Duration => time(buf, Some(r.duration)),
        Column::Cpu => buf.push_str(&fmt_cores(r.cpu_milli)),
        Column::MemMib => {
            let _ = write!(buf, "{}", r.mem_mib);
        }
        Column::Gpu => {
            let _ = write!(buf, "{}", r.gpu);
        }
        Column::Queue => text(buf, &r.queue),
        Column::Project => text(buf, &r.project),
        Column::Priority => {
            if let Some(p) = r.priority {
                let _ = write!(buf, "{p}");
            }
        }
        Column::Workflow => text(buf, &r.workflow),
        Column::DependsOn => buf.push_str(&r.depends_on.join(";")),
        Column::Estimate => time(buf, r.estimate),
        Column::NodeSelector => {
            buf.push_str(&schedlab_policies::model::fmt_selector(&r.constraints.node_selector))
        }
        Column::Affinity => buf.push_str(&schedlab_policies::model::fmt_affinity(&r.constraints.affinity)),
        Column::Tolerations => {
            buf.push_str(&schedlab_policies::model::fmt_tolerations(&r.constraints.tolerations))
        }
        Column::Preemptible => flag(buf, r.preemptible),
        Column::Checkpoint => time(buf, r.checkpoint),
        Column::Replicas => {
            if r.replicas > 1 {
                let _ = write!(buf, "{}", r.replicas);
            }
        }
        Column::Trigger => {
            if r.trigger != Default::default() {
                buf.push_str(r.trigger.as_str());
            }
        }
        Column::Timeout => time(buf, r.timeout),
        Column::Retries => {
            if let Some(n) = r.retries {
                let _ = write!(buf, "{n}");
            }
        }
        Column::RetryBackoff => time(buf, r.retry_backoff),
        Column::FailProbability => {
            // Rust's shortest form, which reads back to the same `f64`.
            if let Some(p) = r.fail_probability {
                let _ = write!(buf, "{p}");
            }
        }
        Column::Deadline => time(buf, r.deadline),
        Column::Approval => flag(buf, r.approval.then_some(true)),
        Column::Cache => flag(buf, r.cache),
        Column::CacheKey => text(buf, &r.cache_key),
        Column::CacheTtl => time(buf, r.cache_ttl),
        Column::Component => text(buf, &r.component),
        Column::Inputs => buf.push_str(&params_cell(r, c, &r.inputs)?),
        Column::Outputs => buf.push_str(&params_cell(r, c, &r.outputs)?),
        Column::Conditions => text(buf, &r.conditions),
        Column::SkipOnUpstreamSkip => flag(buf, r.skip_on_upstream_skip.then_some(true)),
    }
    Ok(())
}

/// The `k=v;k2=v2` cell of `params`, or an error when it would not read back the same (the
/// syntax cannot hold a `;` in a string, a number that is not finite, an invalid key or a key
/// given twice).
fn params_cell(r: &TraceRecord, c: Column, params: &Params) -> io::Result<String> {
    let text = fmt_params(params);
    let problem = match parse_params(&text) {
        Ok(back) if back == *params => return Ok(text),
        Ok(_) => format!("`{text}` would read back as different values"),
        Err(e) => e,
    };
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("record `{}`: column `{}` cannot be written: {problem}", r.id, c.name()),
    ))
}
