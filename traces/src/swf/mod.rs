//! The Standard Workload Format (SWF) of the Parallel Workloads Archive.
//!
//! One job per line, 18 whitespace-separated fields, `-1` for unknown; header comment lines
//! start with `;` and carry `Key: value` metadata (`MaxProcs`, `MaxNodes`, `UnixStartTime`,
//! ...). Files ending in `.gz` are decompressed on the fly.
//!
//! Mapping to [`TraceRecord`]: id = job number; submit = submit time; duration = run time;
//! CPU = allocated processors (else requested) × 1 core; memory = used memory (else requested)
//! in KB per processor × processors, in MiB (rounded up); estimate = requested time; queue =
//! `q<queue number>`; project = `user<user id>`. Queue numbers and user ids are bare integers
//! whose meaning is site-specific, so they get a prefix to become readable queue and project
//! names that a scenario can declare (`[[queues]] name = "q1"`). Jobs whose run time is unknown or that had no
//! processors cannot be replayed and are skipped (counted by reason), not errors.

mod header;

pub use header::SwfHeader;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use crate::error::TraceError;
use crate::record::{Trace, TraceRecord, MAX_TIME};

/// The 18 SWF fields, in order.
pub const FIELDS: [&str; 18] = [
    "job number",
    "submit time",
    "wait time",
    "run time",
    "allocated processors",
    "average CPU time",
    "used memory",
    "requested processors",
    "requested time",
    "requested memory",
    "status",
    "user id",
    "group id",
    "executable",
    "queue",
    "partition",
    "preceding job",
    "think time",
];

/// An SWF log read into records, with its header and what could not be replayed.
#[derive(Clone, Debug)]
pub struct SwfTrace {
    pub trace: Trace,
    pub header: SwfHeader,
    /// Jobs skipped, by reason.
    pub skipped: BTreeMap<String, u64>,
}

impl SwfTrace {
    /// All skipped jobs.
    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }
}

/// Reads an SWF file (gzip-compressed when the name ends in `.gz`).
pub fn read_swf(path: &Path) -> Result<SwfTrace, TraceError> {
    let shown = path.display().to_string();
    let file = std::fs::File::open(path)
        .map_err(|e| TraceError::file(&shown, format!("cannot read the trace: {e}")))?;
    if path.extension().is_some_and(|e| e == "gz") {
        read_swf_from(flate2::read::GzDecoder::new(file), &shown)
    } else {
        read_swf_from(file, &shown)
    }
}

/// Reads SWF text from `reader`; `source` names it in errors.
pub fn read_swf_from(reader: impl Read, source: &str) -> Result<SwfTrace, TraceError> {
    let mut header = SwfHeader::default();
    let mut records = Vec::new();
    let mut skipped: BTreeMap<String, u64> = BTreeMap::new();
    let mut seen = std::collections::HashSet::new();
    let mut last_key: Option<String> = None;
    for (i, line) in BufReader::new(reader).lines().enumerate() {
        let n = i as u64 + 1;
        let line = line.map_err(|e| {
            let what = if e.kind() == std::io::ErrorKind::InvalidData {
                "is not valid UTF-8 text".into()
            } else {
                format!("cannot be read: {e}")
            };
            TraceError::at_line(source, n, format!("the line {what}"))
        })?;
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        if let Some(comment) = t.strip_prefix(';') {
            last_key = header.add_line(comment, last_key.take());
            continue;
        }
        let fields: Vec<&str> = t.split_whitespace().collect();
        if fields.len() != FIELDS.len() {
            return Err(TraceError::at_line(
                source,
                n,
                format!(
                    "expected the {} fields of a Standard Workload Format job, found {}",
                    FIELDS.len(),
                    fields.len()
                ),
            ));
        }
        let mut v = [0i64; 18];
        for (j, f) in fields.iter().enumerate() {
            v[j] = parse_field(f).ok_or_else(|| {
                TraceError::at_cell(
                    source,
                    n,
                    FIELDS[j],
                    format!("expected a number (or -1 for unknown), got `{f}`"),
                )
            })?;
        }
        let id = v[0].to_string();
        if !seen.insert(v[0]) {
            return Err(TraceError::at_cell(source, n, FIELDS[0], format!("job {id} appears twice")));
        }
        let procs = if v[4] > 0 { v[4] } else { v[7] };
        let skip = if v[3] < 0 {
            Some("unknown run time")
        } else if procs <= 0 {
            Some("no processors")
        } else if v[1] < 0 {
            Some("unknown submit time")
        } else {
            None
        };
        if let Some(reason) = skip {
            *skipped.entry(reason.to_string()).or_default() += 1;
            continue;
        }
        let secs = |s: i64, field: usize| -> Result<i64, TraceError> {
            s.checked_mul(1000).filter(|ms| *ms <= MAX_TIME).ok_or_else(|| {
                TraceError::at_cell(source, n, FIELDS[field], format!("{s} seconds is too large"))
            })
        };
        let mem_kb = if v[6] > 0 { v[6] } else { v[9] };
        let mem_mib = if mem_kb > 0 {
            (mem_kb as u128 * procs as u128).div_ceil(1024).min(u64::MAX as u128) as u64
        } else {
            0
        };
        records.push(TraceRecord {
            id,
            submit: secs(v[1], 1)?,
            duration: secs(v[3], 3)?,
            cpu_milli: (procs as u64).saturating_mul(1000),
            mem_mib,
            queue: (v[14] >= 0).then(|| format!("q{}", v[14])),
            project: (v[11] >= 0).then(|| format!("user{}", v[11])),
            estimate: if v[8] >= 0 { Some(secs(v[8], 8)?) } else { None },
            line: n,
            ..Default::default()
        });
    }
    header.finish();
    Ok(SwfTrace { trace: Trace { records, source: source.to_string() }, header, skipped })
}

/// SWF numbers are integers, but some logs write averages with decimals; those round.
fn parse_field(f: &str) -> Option<i64> {
    f.parse::<i64>().ok().or_else(|| {
        f.parse::<f64>().ok().filter(|x| x.is_finite() && x.abs() < 9e15).map(|x| x.round() as i64)
    })
}

#[cfg(test)]
mod tests;
