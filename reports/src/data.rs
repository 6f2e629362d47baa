//! Reading run directories: CSVs by column name, `summary.json` as a loose JSON value.
//!
//! Everything is tolerant on purpose: reports are drawn from files other tools (and other
//! versions of schedlab) may have written, so a missing file is an empty table, a missing
//! column is "not applicable", an unparsable number is "not applicable", and extra columns
//! are ignored.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::ReportError;

/// A CSV file read whole, with its columns looked up by header name.
#[derive(Debug, Default, Clone)]
pub(crate) struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    index: HashMap<String, usize>,
}

impl Table {
    /// Reads `path`; a file that does not exist is an empty table (no columns, no rows).
    pub fn read(path: &Path) -> Result<Table, ReportError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Table::default()),
            Err(source) => return Err(ReportError::Io { path: path.to_path_buf(), source }),
        };
        Table::parse(&bytes).map_err(|message| ReportError::Parse { path: path.to_path_buf(), message })
    }

    /// Parses CSV bytes with a header row; short or long rows are accepted.
    pub fn parse(bytes: &[u8]) -> Result<Table, String> {
        let mut r = csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(bytes);
        let headers: Vec<String> =
            r.headers().map_err(|e| e.to_string())?.iter().map(|h| h.trim().to_string()).collect();
        let mut rows = Vec::new();
        for rec in r.records() {
            let rec = rec.map_err(|e| e.to_string())?;
            rows.push(rec.iter().map(str::to_string).collect());
        }
        let mut index = HashMap::new();
        for (i, h) in headers.iter().enumerate() {
            index.entry(h.clone()).or_insert(i);
        }
        Ok(Table { headers, rows, index })
    }

    pub fn col(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// The cell of `row` in column `col`, trimmed; `None` when absent or empty.
    pub fn cell(&self, row: usize, col: Option<usize>) -> Option<&str> {
        let s = self.rows.get(row)?.get(col?)?.trim();
        (!s.is_empty()).then_some(s)
    }

    /// The cell as a finite number.
    pub fn num(&self, row: usize, col: Option<usize>) -> Option<f64> {
        parse_num(self.cell(row, col)?)
    }

    /// The cell as text, empty when absent.
    pub fn text(&self, row: usize, col: Option<usize>) -> String {
        self.cell(row, col).unwrap_or_default().to_string()
    }
}

/// A finite number, or `None`.
pub(crate) fn parse_num(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Reads a JSON file; `Ok(None)` when it does not exist.
pub(crate) fn read_json(path: &Path) -> Result<Option<Value>, ReportError> {
    match std::fs::read(path) {
        Ok(b) => serde_json::from_slice(&b)
            .map(Some)
            .map_err(|e| ReportError::Parse { path: path.to_path_buf(), message: e.to_string() }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ReportError::Io { path: path.to_path_buf(), source }),
    }
}

/// Reads a text file; `Ok(None)` when it does not exist.
pub(crate) fn read_text(path: &Path) -> Result<Option<String>, ReportError> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(String::from_utf8_lossy(&b).into_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ReportError::Io { path: path.to_path_buf(), source }),
    }
}

/// Writes `bytes` to `path` atomically (temporary file, then rename).
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<PathBuf, ReportError> {
    schedlab_sim::output::write_atomic(path, |w| std::io::Write::write_all(w, bytes))
        .map_err(|source| ReportError::Io { path: path.to_path_buf(), source })?;
    Ok(path.to_path_buf())
}

pub(crate) fn create_dir(path: &Path) -> Result<(), ReportError> {
    std::fs::create_dir_all(path).map_err(|source| ReportError::Io { path: path.to_path_buf(), source })
}

/// `v[key]` as a finite number.
pub(crate) fn jnum(v: &Value, key: &str) -> Option<f64> {
    v.get(key)?.as_f64().filter(|x| x.is_finite())
}

/// `v[a][b]` as a finite number (for the flattened distributions: `jnum2(s, "wait", "p95")`).
pub(crate) fn jnum2(v: &Value, a: &str, b: &str) -> Option<f64> {
    jnum(v.get(a)?, b)
}

/// `v[key]` as display text (strings unquoted, numbers and booleans as JSON writes them).
pub(crate) fn jtext(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// One operation of `ops.csv`, as far as reports need it.
#[derive(Debug, Clone)]
pub(crate) struct Op {
    pub id: String,
    pub queue: String,
    pub project: String,
    pub start: Option<f64>,
    pub end: Option<f64>,
    pub wait: Option<f64>,
    pub cost: Option<f64>,
}

/// One row of `attempts.csv`.
#[derive(Debug, Clone)]
pub(crate) struct Attempt {
    pub id: String,
    pub node: String,
    pub start: Option<f64>,
    pub end: Option<f64>,
    pub outcome: String,
}

/// One row of `queues.csv`.
#[derive(Debug, Clone)]
pub(crate) struct QueueInfo {
    pub name: String,
    /// `None`: the default, highest level.
    pub priority: Option<f64>,
}

/// Everything a run directory holds that the reports use.
#[derive(Debug)]
pub(crate) struct RunData {
    pub ops: Vec<Op>,
    pub attempts: Vec<Attempt>,
    /// Node names in `nodes.csv` order.
    pub nodes: Vec<String>,
    /// Queues in `queues.csv` order, then queues only seen elsewhere, in order of appearance.
    pub queues: Vec<QueueInfo>,
    pub timeseries: Table,
    /// `summary.json`, or `Value::Null` when absent.
    pub summary: Value,
    pub scenario_text: Option<String>,
    /// The last time anything happened (seconds); 0 for an empty run.
    pub horizon: f64,
}

impl RunData {
    pub fn load(dir: &Path) -> Result<RunData, ReportError> {
        if !dir.is_dir() {
            return Err(ReportError::Input(format!("{}: not a run directory", dir.display())));
        }
        let ops_t = Table::read(&dir.join("ops.csv"))?;
        let (id, queue, project, start, end, wait, submit, cost) = (
            ops_t.col("id"),
            ops_t.col("queue"),
            ops_t.col("project"),
            ops_t.col("start"),
            ops_t.col("end"),
            ops_t.col("wait"),
            ops_t.col("submit"),
            ops_t.col("cost"),
        );
        let ops: Vec<Op> = (0..ops_t.rows.len())
            .map(|r| {
                let s = ops_t.num(r, start);
                let wait = ops_t.num(r, wait).or_else(|| Some(s? - ops_t.num(r, submit)?));
                Op {
                    id: ops_t.text(r, id),
                    queue: ops_t.text(r, queue),
                    project: ops_t.text(r, project),
                    start: s,
                    end: ops_t.num(r, end),
                    wait,
                    cost: ops_t.num(r, cost),
                }
            })
            .collect();

        let at = Table::read(&dir.join("attempts.csv"))?;
        let (id, node, start, end, outcome) =
            (at.col("id"), at.col("node"), at.col("start"), at.col("end"), at.col("outcome"));
        let attempts: Vec<Attempt> = (0..at.rows.len())
            .map(|r| Attempt {
                id: at.text(r, id),
                node: at.text(r, node),
                start: at.num(r, start),
                end: at.num(r, end),
                outcome: at.text(r, outcome).to_ascii_lowercase(),
            })
            .collect();

        let nt = Table::read(&dir.join("nodes.csv"))?;
        let c = nt.col("node");
        let nodes: Vec<String> =
            (0..nt.rows.len()).filter_map(|r| nt.cell(r, c).map(str::to_string)).collect();

        let qt = Table::read(&dir.join("queues.csv"))?;
        let (qc, pc) = (qt.col("queue"), qt.col("priority"));
        let mut queues: Vec<QueueInfo> = (0..qt.rows.len())
            .filter_map(|r| Some(QueueInfo { name: qt.cell(r, qc)?.to_string(), priority: qt.num(r, pc) }))
            .collect();

        let timeseries = Table::read(&dir.join("timeseries.csv"))?;
        let summary = read_json(&dir.join("summary.json"))?.unwrap_or(Value::Null);
        let scenario_text = read_text(&dir.join("scenario.toml"))?;

        // Queues seen in ops or the time series but not in queues.csv still get a colour.
        let mut extra: Vec<String> = ops.iter().map(|o| o.queue.clone()).collect();
        for h in &timeseries.headers {
            if let Some(q) = h
                .strip_prefix("queued:")
                .or_else(|| h.strip_prefix("running:"))
                .or_else(|| h.strip_prefix("cost_rate:"))
            {
                extra.push(q.to_string());
            }
        }
        for q in extra {
            if !q.is_empty() && !queues.iter().any(|x| x.name == q) {
                queues.push(QueueInfo { name: q, priority: None });
            }
        }

        let tc = timeseries.col("time");
        let mut horizon = jnum(&summary, "makespan").unwrap_or(0.0);
        let times = (0..timeseries.rows.len()).filter_map(|r| timeseries.num(r, tc));
        let op_times = ops.iter().flat_map(|o| [o.start, o.end]).flatten();
        let at_times = attempts.iter().flat_map(|a| [a.start, a.end]).flatten();
        for t in times.chain(op_times).chain(at_times) {
            horizon = horizon.max(t);
        }
        if !horizon.is_finite() || horizon < 0.0 {
            horizon = 0.0;
        }
        Ok(RunData { ops, attempts, nodes, queues, timeseries, summary, scenario_text, horizon })
    }

    pub fn queue_names(&self) -> Vec<String> {
        self.queues.iter().map(|q| q.name.clone()).collect()
    }

    /// The scenario's name: `summary.json`'s, else the directory's.
    pub fn scenario_name(&self, dir: &Path) -> String {
        jtext(&self.summary, "scenario").filter(|s| !s.is_empty()).unwrap_or_else(|| {
            dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "run".into())
        })
    }

    /// Resources with capacity: the `util:<res>` columns, else the keys of
    /// `summary.json`'s `utilisation`.
    pub fn resources(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .timeseries
            .headers
            .iter()
            .filter_map(|h| h.strip_prefix("util:"))
            .filter(|r| !r.contains(':') && !r.is_empty())
            .map(str::to_string)
            .collect();
        if out.is_empty() {
            if let Some(Value::Object(m)) = self.summary.get("utilisation") {
                out = m.keys().cloned().collect();
            }
        }
        out.dedup();
        out
    }
}
