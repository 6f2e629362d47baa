//! `schedlab ops ...`: look at the operations of a run directory.
//!
//! `ops statuses` reads the run's `statuses.csv` (one row per status transition: `time,id,
//! workflow,status,reason`) and `ops.csv` (for each operation's final status) and prints the
//! timeline of each selected operation, or the selected rows unchanged.

use std::collections::{HashMap, HashSet};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use schedlab_policies::model::Status;
use schedlab_policies::time::{from_secs_f64, secs};
use schedlab_policies::Time;
use schedlab_reports::human_duration;

use super::CmdResult;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Print the status timeline of a run's operations, from its statuses.csv
    ///
    /// For each operation, in the order it first appears in statuses.csv: a heading with its
    /// id, its workflow and its final status (from ops.csv), then one line per transition:
    ///   time    simulated time of the transition, in seconds since the start of the run
    ///   status  the status it entered
    ///   after   how long after the previous transition, i.e. how long it stayed in the
    ///           previous status (`+1m 30s` after `queued` is 1m 30s of waiting)
    ///   reason  why, when the kernel said (`exit 1`, `preempted`, `cache hit: ...`)
    /// and at the end one line counting the final statuses of the operations shown.
    ///
    /// The selections combine: `--op` and `--workflow` pick operations, `--status` keeps those
    /// of them that ended in that status.
    ///
    /// Examples:
    ///   schedlab ops statuses out/quickstart                      every operation
    ///   schedlab ops statuses out/quickstart --op train-3         one operation
    ///   schedlab ops statuses out/quickstart --workflow nightly --status failed
    ///   schedlab ops statuses out/quickstart --status failed --format csv > failed.csv
    #[command(verbatim_doc_comment)]
    Statuses(StatusesArgs),
}

/// How `ops statuses` prints.
#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
pub enum Format {
    /// One aligned timeline per operation, then a count of final statuses.
    Table,
    /// The selected rows of statuses.csv, unchanged, under its header.
    Csv,
}

#[derive(clap::Args)]
pub struct StatusesArgs {
    /// The run directory: what `schedlab run` wrote, e.g. `out/quickstart` (or one run of a
    /// sweep or comparison, e.g. `out/quickstart-compare/fifo`).
    #[arg(value_name = "RUN_DIR")]
    pub run_dir: PathBuf,
    /// Show this operation, by its id as in ops.csv (repeatable), e.g. `--op train-3 --op
    /// train-4`.
    #[arg(long = "op", value_name = "ID")]
    pub ops: Vec<String>,
    /// Show the operations of this workflow, e.g. `--workflow nightly`.
    #[arg(long, value_name = "NAME")]
    pub workflow: Option<String>,
    /// Show the operations whose final status (in ops.csv) is this, e.g. `--status failed`
    /// or `--status upstream_failed` (statuses: created, compiled, queued, scheduled, running,
    /// retrying, succeeded, failed, stopped, skipped, upstream_failed, rejected).
    #[arg(long, value_name = "STATUS")]
    pub status: Option<String>,
    /// `table` for people, `csv` for the selected rows of statuses.csv unchanged, e.g.
    /// `--format csv > failed.csv`.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = Format::Table)]
    pub format: Format,
}

pub fn run(cmd: Command) -> CmdResult {
    match cmd {
        Command::Statuses(a) => statuses(a),
    }
}

/// The columns `statuses.csv` must have (`workflow` and `reason` may be absent).
const HEADER: &str = "time,id,workflow,status,reason";
/// How many ids or names an error suggests.
const SUGGESTIONS: usize = 5;

/// One row of statuses.csv.
struct Row {
    /// Where it is in the file: its line, and its bytes (for `--format csv`).
    line: u64,
    bytes: (usize, usize),
    time: Time,
    op: usize,
    status: String,
    reason: String,
}

/// One operation: its rows of statuses.csv, in order.
struct Op {
    id: String,
    workflow: String,
    /// The line of its first row (to point at when its rows disagree).
    first_line: u64,
    rows: Vec<usize>,
}

/// The parsed statuses.csv.
struct Statuses {
    path: PathBuf,
    bytes: Vec<u8>,
    /// The bytes of the header line.
    header: (usize, usize),
    rows: Vec<Row>,
    /// In order of first appearance.
    ops: Vec<Op>,
    index: HashMap<String, usize>,
}

fn statuses(args: StatusesArgs) -> CmdResult {
    let dir = &args.run_dir;
    check_run_dir(dir)?;
    let st = read_statuses(&dir.join("statuses.csv"))?;
    let ops_csv = dir.join("ops.csv");
    let final_in_ops = if ops_csv.is_file() { Some(read_final_statuses(&ops_csv)?) } else { None };

    // Each operation's final status: ops.csv's, else (no ops.csv, or not in it) its last row's.
    let finals: Vec<&str> = st
        .ops
        .iter()
        .map(|op| {
            final_in_ops
                .as_ref()
                .and_then(|m| m.get(&op.id))
                .filter(|s| !s.is_empty())
                .map(String::as_str)
                .unwrap_or_else(|| op.rows.last().map(|&r| st.rows[r].status.as_str()).unwrap_or(""))
        })
        .collect();
    let cache_hits: Vec<bool> = st
        .ops
        .iter()
        .zip(&finals)
        .map(|(op, fin)| {
            *fin == "succeeded"
                && op
                    .rows
                    .iter()
                    .rev()
                    .map(|&r| &st.rows[r])
                    .find(|r| r.status == "succeeded")
                    .is_some_and(|r| r.reason.starts_with("cache hit"))
        })
        .collect();

    let selected = select(&args, &st, final_in_ops.as_ref(), &finals)?;
    let filtered: Vec<usize> = match &args.status {
        Some(s) => selected.iter().copied().filter(|&i| finals[i] == s.as_str()).collect(),
        None => selected.clone(),
    };

    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let written = match args.format {
        Format::Csv => write_csv(&mut out, &st, &filtered),
        Format::Table => {
            let count = |ops: &[usize]| count_finals(ops, &finals, &cache_hits);
            if filtered.is_empty() {
                if st.ops.is_empty() {
                    writeln!(out, "0 operations: {} has no rows", st.path.display())
                } else {
                    let whose = if args.ops.is_empty() && args.workflow.is_none() {
                        format!("the run's {}", selected.len())
                    } else {
                        format!("the {} selected", selected.len())
                    };
                    writeln!(
                        out,
                        "0 operations with final status `{}`; final statuses of {whose}: {}",
                        args.status.as_deref().unwrap_or(""),
                        count(&selected)
                    )
                }
            } else {
                write_table(&mut out, &st, &filtered, &finals, &cache_hits).and_then(|()| {
                    let n = filtered.len();
                    let s = if n == 1 { "" } else { "s" };
                    writeln!(out, "\n{n} operation{s}: {}", count(&filtered))
                })
            }
        }
    };
    written.and_then(|()| out.flush()).map_err(|e| format!("cannot write the output: {e}"))
}

/// A clear error when `dir` is not a run directory with a statuses.csv.
fn check_run_dir(dir: &Path) -> CmdResult {
    if !dir.exists() {
        return Err(format!("no run directory {}: it does not exist", dir.display()));
    }
    if !dir.is_dir() {
        return Err(format!(
            "{} is not a directory; give a run directory, e.g. out/quickstart",
            dir.display()
        ));
    }
    if dir.join("statuses.csv").is_file() {
        return Ok(());
    }
    if dir.join("ops.csv").is_file() {
        return Err(format!(
            "no statuses.csv in {}: the run may predate statuses.csv or was written with statuses \
             off; run its scenario again to get one",
            dir.display()
        ));
    }
    // Perhaps a sweep or comparison directory: name a few of its runs.
    let mut runs: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.join("statuses.csv").is_file() || p.join("ops.csv").is_file())
                .map(|p| p.display().to_string())
                .collect()
        })
        .unwrap_or_default();
    runs.sort();
    if runs.is_empty() {
        Err(format!("{} is not a run directory: it has no statuses.csv or ops.csv", dir.display()))
    } else {
        runs.truncate(3);
        Err(format!(
            "{} is not a run directory but holds runs; give one of them, e.g. {}",
            dir.display(),
            runs.join(", ")
        ))
    }
}

/// Line numbers of byte offsets, counted from the bytes themselves (the CSV reader's own
/// count is off in files with `\r\n` line endings).
struct LineCounter<'a> {
    bytes: &'a [u8],
    /// The line of byte `at`.
    at: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        LineCounter { bytes, at: 0, line: 1 }
    }

    /// The line of the first byte at or after `byte` that is not a line ending (the reader may
    /// place a row's start on the line ending before it); `byte`s must not decrease.
    fn line_at(&mut self, byte: usize) -> u64 {
        let skip =
            self.bytes.get(byte..).unwrap_or_default().iter().take_while(|c| matches!(c, b'\r' | b'\n'));
        let target = (byte + skip.count()).min(self.bytes.len()).max(self.at);
        self.line += self.bytes[self.at..target].iter().filter(|&&c| c == b'\n').count() as u64;
        self.at = target;
        self.line
    }
}

/// `path:line: what` for a CSV reading error (lines counted in `bytes` when given).
fn csv_error(path: &Path, e: &csv::Error, bytes: Option<&[u8]>) -> String {
    let at = |pos: Option<&csv::Position>| match pos {
        Some(p) => {
            let line = bytes.map_or(p.line(), |b| LineCounter::new(b).line_at(p.byte() as usize));
            format!("{}:{line}", path.display())
        }
        None => path.display().to_string(),
    };
    match e.kind() {
        csv::ErrorKind::UnequalLengths { pos, expected_len, len } => format!(
            "{}: {len} field{} where the header has {expected_len}",
            at(pos.as_ref()),
            if *len == 1 { "" } else { "s" }
        ),
        csv::ErrorKind::Utf8 { pos, .. } => format!("{}: not valid UTF-8", at(pos.as_ref())),
        csv::ErrorKind::Io(e) => format!("cannot read {}: {e}", path.display()),
        _ => format!("{}: {e}", at(e.position())),
    }
}

/// The header's columns named `names`: `None` for a missing one.
fn columns<const N: usize>(header: &csv::StringRecord, names: [&str; N]) -> [Option<usize>; N] {
    names.map(|n| header.iter().position(|h| h.trim() == n))
}

fn read_statuses(path: &Path) -> Result<Statuses, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(format!("{} is empty: it lacks even its header ({HEADER})", path.display()));
    }
    let mut rdr = csv::ReaderBuilder::new().from_reader(bytes.as_slice());
    let header = rdr.headers().map_err(|e| csv_error(path, &e, Some(&bytes)))?.clone();
    let [time_c, id_c, wf_c, status_c, reason_c] =
        columns(&header, ["time", "id", "workflow", "status", "reason"]);
    let missing: Vec<&str> = [("time", time_c), ("id", id_c), ("status", status_c)]
        .iter()
        .filter(|(_, c)| c.is_none())
        .map(|(n, _)| *n)
        .collect();
    let (Some(time_c), Some(id_c), Some(status_c)) = (time_c, id_c, status_c) else {
        return Err(format!(
            "{}:1: the header lacks column{} {} (expected {HEADER})",
            path.display(),
            if missing.len() == 1 { "" } else { "s" },
            missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")
        ));
    };

    let mut st = Statuses {
        path: path.to_path_buf(),
        bytes: Vec::new(),
        header: (0, bytes.len()),
        rows: Vec::new(),
        ops: Vec::new(),
        index: HashMap::new(),
    };
    let mut rec = csv::StringRecord::new();
    let mut lines = LineCounter::new(&bytes);
    loop {
        match rdr.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(path, &e, Some(&bytes))),
        }
        let start = rec.position().map_or(0, |p| p.byte() as usize);
        let line = lines.line_at(start);
        let at = format!("{}:{line}", path.display());
        let field = |c: Option<usize>| c.and_then(|c| rec.get(c)).unwrap_or("");

        let time_text = field(Some(time_c)).trim();
        let time = time_text
            .parse::<f64>()
            .ok()
            .and_then(from_secs_f64)
            .ok_or_else(|| format!("{at}: time `{}` is not a number of seconds", shown(time_text)))?;
        let id = field(Some(id_c));
        if id.trim().is_empty() {
            return Err(format!("{at}: the id is empty"));
        }
        let status = field(Some(status_c)).trim();
        if status.is_empty() {
            return Err(format!("{at}: the status of `{}` is empty", shown(id)));
        }
        if !status.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-') {
            return Err(format!(
                "{at}: status `{}` of `{}` is not a status word (e.g. `queued`)",
                shown(status),
                shown(id)
            ));
        }
        let workflow = field(wf_c);

        let op = match st.index.get(id) {
            Some(&i) => i,
            None => {
                st.index.insert(id.to_string(), st.ops.len());
                st.ops.push(Op {
                    id: id.to_string(),
                    workflow: workflow.to_string(),
                    first_line: line,
                    rows: Vec::new(),
                });
                st.ops.len() - 1
            }
        };
        let o = &mut st.ops[op];
        if o.workflow != workflow {
            return Err(format!(
                "{at}: `{}` is in workflow `{}` here but in `{}` on line {}",
                shown(id),
                shown(workflow),
                shown(&o.workflow),
                o.first_line
            ));
        }
        if let Some(prev) = o.rows.last().map(|&r| &st.rows[r]) {
            if time < prev.time {
                return Err(format!(
                    "{at}: time {} of `{}` is before its previous transition ({}, line {}); the \
                     rows must be in time order",
                    secs(time),
                    shown(id),
                    secs(prev.time),
                    prev.line
                ));
            }
        }
        o.rows.push(st.rows.len());
        st.rows.push(Row {
            line,
            bytes: (start, bytes.len()),
            time,
            op,
            status: status.to_string(),
            reason: field(reason_c).to_string(),
        });
    }
    // Each row's bytes run to the next row's start (the header's to the first row's).
    let mut end = bytes.len();
    for row in st.rows.iter_mut().rev() {
        row.bytes.1 = end;
        end = row.bytes.0;
    }
    st.header.1 = end;
    st.bytes = bytes;
    Ok(st)
}

/// ops.csv's final status of each operation, by id.
fn read_final_statuses(path: &Path) -> Result<HashMap<String, String>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut rdr = csv::Reader::from_reader(bytes.as_slice());
    let header = rdr.headers().map_err(|e| csv_error(path, &e, Some(&bytes)))?.clone();
    let [Some(id_c), Some(status_c)] = columns(&header, ["id", "status"]) else {
        return Err(format!("{}:1: the header lacks column `id` or `status`", path.display()));
    };
    let mut finals = HashMap::new();
    let mut rec = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(path, &e, Some(&bytes))),
        }
        let (Some(id), Some(status)) = (rec.get(id_c), rec.get(status_c)) else { continue };
        finals.insert(id.to_string(), status.trim().to_string());
    }
    Ok(finals)
}

/// The operations `--op` and `--workflow` pick (all without them), in order of first
/// appearance; errors for names that pick nothing and for an unknown `--status`.
fn select(
    args: &StatusesArgs,
    st: &Statuses,
    final_in_ops: Option<&HashMap<String, String>>,
    finals: &[&str],
) -> Result<Vec<usize>, String> {
    let path = st.path.display();
    let mut keep = vec![true; st.ops.len()];
    if !args.ops.is_empty() {
        let mut wanted = vec![false; st.ops.len()];
        for id in &args.ops {
            match st.index.get(id) {
                Some(&i) => wanted[i] = true,
                None => {
                    if let Some(s) = final_in_ops.and_then(|m| m.get(id)) {
                        return Err(format!(
                            "operation `{id}` (final status {s} in ops.csv) has no rows in {path}"
                        ));
                    }
                    if st.ops.is_empty() {
                        return Err(format!("no operation `{id}` in {path}: it has no rows"));
                    }
                    let near = nearest(id, st.ops.iter().map(|o| o.id.as_str()));
                    return Err(format!(
                        "no operation `{id}` in {path}; known ids include: {}",
                        near.join(", ")
                    ));
                }
            }
        }
        keep.iter_mut().zip(wanted).for_each(|(k, w)| *k &= w);
    }
    if let Some(wf) = &args.workflow {
        if !st.ops.iter().any(|o| o.workflow == *wf) {
            let mut seen = HashSet::new();
            let names: Vec<&str> = st
                .ops
                .iter()
                .map(|o| o.workflow.as_str())
                .filter(|w| !w.is_empty() && seen.insert(*w))
                .collect();
            return Err(if names.is_empty() {
                format!("no operation of workflow `{wf}` in {path}: none of its operations is in a workflow")
            } else {
                format!(
                    "no operation of workflow `{wf}` in {path}; workflows include: {}",
                    nearest(wf, names.into_iter()).join(", ")
                )
            });
        }
        keep.iter_mut().zip(&st.ops).for_each(|(k, o)| *k &= o.workflow == *wf);
        if keep.iter().all(|k| !k) {
            return Err(format!("no operation given with --op is in workflow `{wf}`"));
        }
    }
    if let Some(status) = &args.status {
        let mut known: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
        for s in finals.iter().copied().chain(st.rows.iter().map(|r| r.status.as_str())) {
            if !known.contains(&s) {
                known.push(s);
            }
        }
        if !known.contains(&status.as_str()) {
            return Err(format!("unknown status `{status}`; statuses: {}", known.join(", ")));
        }
    }
    Ok((0..st.ops.len()).filter(|&i| keep[i]).collect())
}

/// Up to [`SUGGESTIONS`] of `known`, nearest to `want` first (see
/// [`schedlab_sim::suggest::nearest`]), shown safely.
fn nearest<'a>(want: &str, known: impl Iterator<Item = &'a str>) -> Vec<String> {
    schedlab_sim::suggest::nearest(want, known, SUGGESTIONS).into_iter().map(|(_, k)| shown(k)).collect()
}

/// Text from a file or the command line, for an error message: control characters escaped.
fn shown(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect()
}

/// Text for one table cell: control characters (a newline in a reason) become spaces.
fn clean(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// `2 succeeded (1 cache hit), 1 failed`: the final statuses of `ops`, in lifecycle order
/// (statuses the kernel does not know yet last, by name).
fn count_finals(ops: &[usize], finals: &[&str], cache_hits: &[bool]) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for &i in ops {
        match counts.iter_mut().find(|(s, _)| *s == finals[i]) {
            Some((_, n)) => *n += 1,
            None => counts.push((finals[i], 1)),
        }
    }
    let rank = |s: &str| Status::ALL.iter().position(|k| k.as_str() == s).unwrap_or(Status::ALL.len());
    counts.sort_by(|a, b| rank(a.0).cmp(&rank(b.0)).then(a.0.cmp(b.0)));
    let hits = ops.iter().filter(|&&i| cache_hits[i]).count();
    let parts: Vec<String> = counts
        .iter()
        .map(|&(s, n)| {
            let name = if s.is_empty() { "(no status)".to_string() } else { clean(s) };
            match (s, hits) {
                ("succeeded", 1..) => {
                    format!("{n} {name} ({hits} cache hit{})", if hits == 1 { "" } else { "s" })
                }
                _ => format!("{n} {name}"),
            }
        })
        .collect();
    parts.join(", ")
}

/// One timeline per operation; the columns line up across all of them.
fn write_table(
    out: &mut impl Write,
    st: &Statuses,
    ops: &[usize],
    finals: &[&str],
    cache_hits: &[bool],
) -> io::Result<()> {
    // Cells: time, status, after, reason.
    let cells = |op: &Op| -> Vec<[String; 4]> {
        let mut prev: Option<Time> = None;
        op.rows
            .iter()
            .map(|&r| {
                let row = &st.rows[r];
                let after = prev.map(|p| format!("+{}", human_duration((row.time - p) as f64 / 1000.0)));
                prev = Some(row.time);
                [
                    format!("{}s", secs(row.time)),
                    clean(&row.status),
                    after.unwrap_or_default(),
                    clean(&row.reason),
                ]
            })
            .collect()
    };
    let header = ["time", "status", "after", "reason"].map(String::from);
    let mut widths = header.each_ref().map(|h| h.chars().count());
    let tables: Vec<Vec<[String; 4]>> = ops.iter().map(|&i| cells(&st.ops[i])).collect();
    for row in tables.iter().flatten() {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |row: &[String; 4]| {
        let s = format!(
            "  {:>w0$}  {:<w1$}  {:>w2$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        );
        s.trim_end().to_string()
    };
    for (n, (&i, rows)) in ops.iter().zip(&tables).enumerate() {
        let op = &st.ops[i];
        if n > 0 {
            writeln!(out)?;
        }
        let mut heading = clean(&op.id);
        if !op.workflow.is_empty() {
            heading.push_str(&format!("  workflow: {}", clean(&op.workflow)));
        }
        let fin = if finals[i].is_empty() { "(none)".to_string() } else { clean(finals[i]) };
        heading.push_str(&format!("  final: {fin}"));
        if cache_hits[i] {
            heading.push_str(" (cache hit)");
        }
        writeln!(out, "{heading}")?;
        let lines: Vec<String> = rows.iter().map(line).collect();
        let head = line(&header);
        let rule = lines.iter().chain([&head]).map(|l| l.chars().count() - 2).max().unwrap_or(0);
        writeln!(out, "{head}")?;
        writeln!(out, "  {}", "─".repeat(rule))?;
        for l in &lines {
            writeln!(out, "{l}")?;
        }
    }
    Ok(())
}

/// The header and the rows of `ops`, as they are in the file.
fn write_csv(out: &mut impl Write, st: &Statuses, ops: &[usize]) -> io::Result<()> {
    let mut chosen = vec![false; st.ops.len()];
    for &i in ops {
        chosen[i] = true;
    }
    // A row as in the file, with its own line ending but not the blank lines around it (the
    // reader may place a row's start on the `\n` of the `\r\n` before it).
    let mut put = |(a, b): (usize, usize)| -> io::Result<()> {
        let text = st.bytes.get(a..b).unwrap_or_default();
        let is_eol = |c: &&u8| matches!(c, b'\r' | b'\n');
        let lead = text.iter().take_while(is_eol).count();
        let body = (text.len() - text.iter().rev().take_while(is_eol).count()).max(lead);
        out.write_all(&text[lead..body])?;
        let crlf = st.bytes.get(a + body..).unwrap_or_default().starts_with(b"\r\n");
        out.write_all(if crlf { b"\r\n" } else { b"\n" })
    };
    put(st.header)?;
    for row in st.rows.iter().filter(|r| chosen[r.op]) {
        put(row.bytes)?;
    }
    Ok(())
}
