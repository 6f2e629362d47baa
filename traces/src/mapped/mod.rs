//! Job-level CSV traces of any layout, read through a [`ColumnMap`]; presets for the
//! published GPU-cluster traces (Philly, Alibaba GPU v2023, Tiresias).

mod config;

pub use config::{ColumnMap, CpuUnit, TimeFormat};

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::Path;

use chrono::NaiveDateTime;
use schedlab_policies::time::Time;

use crate::decimal::parse_thousandths;
use crate::error::TraceError;
use crate::record::{Trace, TraceRecord, MAX_TIME};

/// A mapped trace and the rows that could not be replayed, by reason.
#[derive(Clone, Debug)]
pub struct MappedTrace {
    pub trace: Trace,
    pub skipped: BTreeMap<String, u64>,
}

impl MappedTrace {
    /// All skipped rows.
    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }
}

/// Reads the CSV file at `path` through `map` (gzip-compressed when the name ends in `.gz`).
pub fn read_mapped(path: &Path, map: &ColumnMap) -> Result<MappedTrace, TraceError> {
    let shown = path.display().to_string();
    let file = std::fs::File::open(path)
        .map_err(|e| TraceError::file(&shown, format!("cannot read the trace: {e}")))?;
    if path.extension().is_some_and(|e| e == "gz") {
        read_mapped_from(flate2::read::GzDecoder::new(file), &shown, map)
    } else {
        read_mapped_from(file, &shown, map)
    }
}

/// Reads CSV text through `map`; `source` names it in errors.
pub fn read_mapped_from(
    mut reader: impl Read,
    source: &str,
    map: &ColumnMap,
) -> Result<MappedTrace, TraceError> {
    // Read it all first: the csv crate's own line numbers skip blank lines, so lines are
    // counted here from byte offsets, which it reports exactly.
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|e| TraceError::file(source, format!("cannot read the trace: {e}")))?;
    let newlines: Vec<u64> =
        bytes.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i as u64).collect();
    // A record's position may point at the line break before it (and blank lines); skip them.
    let line_at = |byte: u64| {
        let skip = bytes.iter().skip(byte as usize).take_while(|b| matches!(b, b'\r' | b'\n')).count();
        newlines.partition_point(|&n| n < byte + skip as u64) as u64 + 1
    };
    let mut csv = csv::ReaderBuilder::new().flexible(false).from_reader(&bytes[..]);
    let header: Vec<String> = csv
        .headers()
        .map_err(|e| TraceError::at_line(source, 1, format!("cannot read the header: {e}")))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    let find = |field: &str, name: &Option<String>| -> Result<Option<usize>, TraceError> {
        match name {
            None => Ok(None),
            Some(n) => header.iter().position(|h| h == n).map(Some).ok_or_else(|| {
                TraceError::at_line(
                    source,
                    1,
                    format!(
                        "the column map names `{n}` for {field}, but the header has: {}",
                        header.join(", ")
                    ),
                )
            }),
        }
    };
    let submit = find("submit", &map.submit)?
        .ok_or_else(|| TraceError::file(source, "the column map must name the `submit` column"))?;
    let duration = find("duration", &map.duration)?;
    let end = find("end", &map.end)?;
    if duration.is_none() && end.is_none() {
        return Err(TraceError::file(
            source,
            "the column map must name a `duration` column or an `end` column",
        ));
    }
    let cols = Cols {
        id: find("id", &map.id)?,
        start: find("start", &map.start)?,
        gpu: find("gpu", &map.gpu)?,
        cpu: find("cpu", &map.cpu)?,
        memory: find("memory", &map.memory)?,
        queue: find("queue", &map.queue)?,
        project: find("project", &map.project)?,
        priority: find("priority", &map.priority)?,
        status: find("status", &map.status)?,
    };
    let time_format = map.time_format.unwrap_or_default();
    let mut records = Vec::new();
    let mut skipped: BTreeMap<String, u64> = BTreeMap::new();
    let mut ids: HashMap<String, u64> = HashMap::new();
    for (i, row) in csv.records().enumerate() {
        let fallback = i as u64 + 2;
        let line = match &row {
            Ok(r) => r.position().map_or(fallback, |p| line_at(p.byte())),
            Err(e) => e.position().map_or(fallback, |p| line_at(p.byte())),
        };
        let row = row.map_err(|e| match e.kind() {
            csv::ErrorKind::UnequalLengths { len, .. } => TraceError::at_line(
                source,
                line,
                format!("expected {} cells (as many as the header has), found {len}", header.len()),
            ),
            _ => TraceError::at_line(source, line, format!("cannot read the row: {e}")),
        })?;
        let cell = |c: Option<usize>| c.and_then(|c| row.get(c)).map(str::trim).unwrap_or("");
        let name_of = |c: Option<usize>| header[c.unwrap_or(0)].clone();
        let at = |c: Option<usize>, m: String| TraceError::at_cell(source, line, &name_of(c), m);
        if let (Some(keep), Some(_)) = (&map.keep_status, cols.status) {
            let s = cell(cols.status);
            if !keep.iter().any(|k| k == s) {
                *skipped.entry(format!("status `{s}`")).or_default() += 1;
                continue;
            }
        }
        let time = |c: Option<usize>| -> Result<Option<i64>, TraceError> {
            let s = cell(c);
            if s.is_empty() {
                return Ok(None);
            }
            parse_time(s, time_format).map(Some).map_err(|m| at(c, m))
        };
        let Some(sub) = time(Some(submit))? else {
            *skipped.entry("no submit time".into()).or_default() += 1;
            continue;
        };
        let run = match (duration, end) {
            (Some(d), _) => {
                let s = cell(Some(d));
                if s.is_empty() {
                    None
                } else {
                    Some(seconds(s).map_err(|m| at(Some(d), m))?)
                }
            }
            (None, Some(e)) => match (
                time(cols.start)?.or(if cols.start.is_some() { None } else { Some(sub) }),
                time(Some(e))?,
            ) {
                (Some(s), Some(e)) if e >= s => Some(e - s),
                (Some(_), Some(_)) => {
                    *skipped.entry("ends before it starts".into()).or_default() += 1;
                    continue;
                }
                _ => None,
            },
            (None, None) => None,
        };
        let Some(run) = run else {
            *skipped.entry("never ran (no start, end or duration)".into()).or_default() += 1;
            continue;
        };
        let gpu = match cell(cols.gpu) {
            "" => 0,
            s => whole(s).map_err(|m| at(cols.gpu, m))?,
        };
        let cpu_milli = match cell(cols.cpu) {
            "" if gpu > 0 => map.cpu_per_gpu.map(|c| c.0 * gpu),
            "" => map.cpu_default.map(|c| c.0),
            s => Some(match map.cpu_unit.unwrap_or_default() {
                CpuUnit::Milli => whole(s).map_err(|m| at(cols.cpu, m))?,
                CpuUnit::Cores => {
                    parse_thousandths(s).ok_or_else(|| at(cols.cpu, format!("expected cores, got `{s}`")))?
                }
            }),
        }
        .unwrap_or(0);
        let mem_mib = match cell(cols.memory) {
            "" if gpu > 0 => map.mem_per_gpu.map(|m| m.0 * gpu),
            "" => map.mem_default.map(|m| m.0),
            s => Some(whole(s).map_err(|m| at(cols.memory, m))?),
        }
        .unwrap_or(0);
        let priority = match cell(cols.priority) {
            "" => None,
            s => Some(
                s.parse::<i32>().map_err(|_| at(cols.priority, format!("expected an integer, got `{s}`")))?,
            ),
        };
        let id = match cell(cols.id) {
            "" => line.to_string(),
            s => s.to_string(),
        };
        if let Some(first) = ids.insert(id.clone(), line) {
            return Err(at(cols.id, format!("duplicate id `{id}` (first used on line {first})")));
        }
        let named = |c: Option<usize>, prefix: &Option<String>| {
            let s = cell(c);
            (!s.is_empty()).then(|| format!("{}{s}", prefix.as_deref().unwrap_or("")))
        };
        records.push(TraceRecord {
            id,
            submit: sub,
            duration: run,
            cpu_milli,
            mem_mib,
            gpu,
            queue: named(cols.queue, &map.queue_prefix),
            project: named(cols.project, &map.project_prefix),
            priority,
            line,
            ..TraceRecord::default()
        });
    }
    // Times are relative to the earliest submit.
    if let Some(t0) = records.iter().map(|r| r.submit).min() {
        for r in &mut records {
            r.submit -= t0;
        }
    }
    Ok(MappedTrace { trace: Trace { records, source: source.to_string() }, skipped })
}

struct Cols {
    id: Option<usize>,
    start: Option<usize>,
    gpu: Option<usize>,
    cpu: Option<usize>,
    memory: Option<usize>,
    queue: Option<usize>,
    project: Option<usize>,
    priority: Option<usize>,
    status: Option<usize>,
}

fn seconds(s: &str) -> Result<Time, String> {
    parse_thousandths(s)
        .and_then(|v| i64::try_from(v).ok())
        .filter(|v| *v <= MAX_TIME)
        .ok_or_else(|| format!("expected a number of seconds (>= 0), got `{s}`"))
}

fn parse_time(s: &str, f: TimeFormat) -> Result<Time, String> {
    match f {
        TimeFormat::Seconds | TimeFormat::Unix => seconds(s),
        TimeFormat::Datetime => NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
            .map(|d| d.and_utc().timestamp_millis())
            .map_err(|_| format!("expected a date and time like `2017-10-09 07:01:55`, got `{s}`")),
    }
}

/// A whole number; decimals (`2.0`) are accepted when they are whole.
fn whole(s: &str) -> Result<u64, String> {
    s.parse::<u64>()
        .ok()
        .or_else(|| parse_thousandths(s).filter(|v| v % 1000 == 0).map(|v| v / 1000))
        .ok_or_else(|| format!("expected a whole number, got `{s}`"))
}

#[cfg(test)]
mod tests;
