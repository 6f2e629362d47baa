//! Reading the native CSV format.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use schedlab_policies::expr::parse_params;

use super::cells;
use super::columns::{Column, Layout};
use super::lines::LineCounter;
use crate::error::TraceError;
use crate::links::check_links;
use crate::record::{Trace, TraceRecord};

/// Reads a native trace file. Errors name the file, the 1-based line and the column.
pub fn read_native(path: &Path) -> Result<Trace, TraceError> {
    let source = path.display().to_string();
    let file =
        File::open(path).map_err(|e| TraceError::file(&source, format!("cannot open the trace: {e}")))?;
    read_native_from(BufReader::new(file), &source)
}

/// Reads a native trace from any byte stream; `source` names it in errors and in
/// [`Trace::source`]. Records come back in file order.
pub fn read_native_from(reader: impl Read, source: &str) -> Result<Trace, TraceError> {
    let mut csv =
        csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(LineCounter::new(reader));
    let header = match csv.headers() {
        Ok(header) => header.clone(),
        Err(e) => return Err(csv_error(&e, None, &mut csv, source)),
    };
    // Usually 1, unless blank lines precede the header.
    let header_line = csv.get_mut().line_at(0);
    let layout = Layout::from_header(header.iter(), header_line, source)?;
    let mut records = Vec::new();
    let mut row = csv::StringRecord::new();
    loop {
        match csv.read_record(&mut row) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(&e, Some(&layout), &mut csv, source)),
        }
        let line = csv.get_mut().line_at(row.position().map_or(0, csv::Position::byte));
        records.push(parse_row(&row, &layout, line, source)?);
    }
    check_links(&records, source)?;
    Ok(Trace { records, source: source.to_string() })
}

/// Turns one row into a record, or says which cell is wrong.
fn parse_row(
    row: &csv::StringRecord,
    layout: &Layout,
    line: u64,
    source: &str,
) -> Result<TraceRecord, TraceError> {
    let cell = |c: Column| layout.cell(row, c);
    let at = |c: Column| move |message: String| TraceError::at_cell(source, line, c.name(), message);
    let mut record = TraceRecord {
        id: cells::id(cell(Column::Id)).map_err(at(Column::Id))?,
        submit: cells::seconds(cell(Column::Submit)).map_err(at(Column::Submit))?,
        duration: cells::seconds(cell(Column::Duration)).map_err(at(Column::Duration))?,
        cpu_milli: cells::cpu(cell(Column::Cpu)).map_err(at(Column::Cpu))?,
        mem_mib: cells::mem_mib(cell(Column::MemMib)).map_err(at(Column::MemMib))?,
        gpu: cells::gpu(cell(Column::Gpu)).map_err(at(Column::Gpu))?,
        queue: cells::name(cell(Column::Queue)),
        project: cells::name(cell(Column::Project)),
        priority: cells::priority(cell(Column::Priority)).map_err(at(Column::Priority))?,
        workflow: cells::name(cell(Column::Workflow)),
        depends_on: cells::depends_on(cell(Column::DependsOn)),
        estimate: cells::optional_seconds(cell(Column::Estimate)).map_err(at(Column::Estimate))?,
        preemptible: cells::optional_bool(cell(Column::Preemptible)).map_err(at(Column::Preemptible))?,
        checkpoint: cells::optional_seconds(cell(Column::Checkpoint)).map_err(at(Column::Checkpoint))?,
        replicas: cells::replicas(cell(Column::Replicas)).map_err(at(Column::Replicas))?,
        trigger: match cell(Column::Trigger) {
            "" => Default::default(),
            t => schedlab_policies::model::Trigger::by_name(t).map_err(at(Column::Trigger))?,
        },
        constraints: schedlab_policies::model::Constraints {
            node_selector: schedlab_policies::model::parse_selector(cell(Column::NodeSelector))
                .map_err(at(Column::NodeSelector))?,
            affinity: schedlab_policies::model::parse_affinity(cell(Column::Affinity))
                .map_err(at(Column::Affinity))?,
            tolerations: schedlab_policies::model::parse_tolerations(cell(Column::Tolerations))
                .map_err(at(Column::Tolerations))?,
        },
        timeout: cells::optional_positive_seconds(cell(Column::Timeout)).map_err(at(Column::Timeout))?,
        retries: cells::retries(cell(Column::Retries)).map_err(at(Column::Retries))?,
        retry_backoff: cells::optional_seconds(cell(Column::RetryBackoff))
            .map_err(at(Column::RetryBackoff))?,
        fail_probability: cells::probability(cell(Column::FailProbability))
            .map_err(at(Column::FailProbability))?,
        deadline: cells::optional_seconds(cell(Column::Deadline)).map_err(at(Column::Deadline))?,
        approval: cells::flag(cell(Column::Approval)).map_err(at(Column::Approval))?,
        cache: cells::optional_bool(cell(Column::Cache)).map_err(at(Column::Cache))?,
        cache_key: cells::name(cell(Column::CacheKey)),
        cache_ttl: cells::optional_seconds(cell(Column::CacheTtl)).map_err(at(Column::CacheTtl))?,
        component: cells::name(cell(Column::Component)),
        inputs: parse_params(cell(Column::Inputs)).map_err(at(Column::Inputs))?,
        outputs: parse_params(cell(Column::Outputs)).map_err(at(Column::Outputs))?,
        conditions: None,
        skip_on_upstream_skip: cells::flag(cell(Column::SkipOnUpstreamSkip))
            .map_err(at(Column::SkipOnUpstreamSkip))?,
        line,
    };
    // Checked last: what a condition may read depends on the row's `depends_on` and `inputs`.
    record.conditions = cells::conditions(cell(Column::Conditions), &record.depends_on, &record.inputs)
        .map_err(at(Column::Conditions))?;
    Ok(record)
}

/// Translates the csv crate's errors (ragged rows, bad UTF-8, I/O) into located messages.
fn csv_error<R: Read>(
    e: &csv::Error,
    layout: Option<&Layout>,
    csv: &mut csv::Reader<LineCounter<R>>,
    source: &str,
) -> TraceError {
    let line = e.position().map(|p| csv.get_mut().line_at(p.byte()));
    let (column, message) = match e.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            (None, format!("this row has {len} cell(s) but the header has {expected_len}"))
        }
        csv::ErrorKind::Utf8 { err, .. } => (
            layout.and_then(|l| l.name_at(err.field())).map(str::to_string),
            "the cell is not valid UTF-8 text".to_string(),
        ),
        csv::ErrorKind::Io(io) => (None, format!("cannot read the trace: {io}")),
        _ => (None, e.to_string()),
    };
    TraceError { file: source.to_string(), line: line.or(layout.is_none().then_some(1)), column, message }
}
