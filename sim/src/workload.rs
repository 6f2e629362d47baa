//! The workload of a run: trace records in submission order, with dependencies as indices.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

use schedlab_traces::{TraceError, TraceRecord};

use crate::scenario::{Scenario, WorkloadSource};

/// Records in the order the simulator submits them, with `depends_on` resolved to positions
/// in that order (always earlier positions).
pub struct Workload {
    pub records: Vec<TraceRecord>,
    pub deps: Vec<Vec<u32>>,
    /// Where the records came from, for messages.
    pub source: String,
    /// Bytes of the trace file (hashed into the summary); empty for generated workloads.
    pub trace_bytes: Vec<u8>,
    /// The run's seed (it also drives the simulator's own randomness: spot reclaims).
    pub seed: u64,
}

/// Loads (reads or generates) the scenario's workload with `seed`.
pub fn load(scenario: &Scenario, seed: u64) -> Result<Workload, TraceError> {
    let (records, source, bytes) = match &scenario.workload {
        WorkloadSource::Trace { path, format, columns } => {
            let shown = path.display().to_string();
            let bytes = std::fs::read(path)
                .map_err(|e| TraceError::file(&shown, format!("cannot read the trace: {e}")))?;
            let loaded = schedlab_traces::load_trace_bytes(&bytes, path, *format, columns.as_deref())?;
            (loaded.trace.records, shown, bytes)
        }
        WorkloadSource::Generator(cfg) => {
            let scen = scenario.file.display().to_string();
            let records = schedlab_traces::generate(cfg, seed)
                .map_err(|m| TraceError::file(&scen, format!("[workload.generator]: {m}")))?;
            (records, "generator".to_string(), Vec::new())
        }
    };
    let records = match &scenario.transform {
        Some(t) => schedlab_traces::apply_transform(records, t, seed).map_err(|m| {
            TraceError::file(&scenario.file.display().to_string(), format!("[workload.transform]: {m}"))
        })?,
        None => records,
    };
    let (records, deps) = order(records, &source)?;
    check_actions(scenario, &records, &source)?;
    check_tuning(scenario, &records, &source)?;
    Ok(Workload { records, deps, source, trace_bytes: bytes, seed })
}

/// How many known ids an unknown-operation message suggests.
const SUGGESTIONS: usize = 3;

/// Every scripted action must name an operation of the workload; the error names the
/// scenario file, the action's line, the unknown id and the nearest known ids.
fn check_actions(scenario: &Scenario, records: &[TraceRecord], source: &str) -> Result<(), TraceError> {
    let actions = &scenario.lifecycle.actions;
    if actions.is_empty() {
        return Ok(());
    }
    let ids: HashSet<&str> = records.iter().map(|r| r.id.as_str()).collect();
    let Some(a) = actions.iter().filter(|a| !ids.contains(a.op.as_str())).min_by_key(|a| a.line) else {
        return Ok(());
    };
    Err(TraceError::at_line(
        &scenario.file.display().to_string(),
        a.line as u64,
        not_in_workload("[[actions]]", &a.op, scenario, records, source),
    ))
}

/// `<table> names operation `op`, which is not in the workload (...); did you mean ...`.
fn not_in_workload(
    table: &str,
    op: &str,
    scenario: &Scenario,
    records: &[TraceRecord],
    source: &str,
) -> String {
    let after = if scenario.transform.is_some() { " after [workload.transform]" } else { "" };
    let near = crate::suggest::nearest(op, records.iter().map(|r| r.id.as_str()), SUGGESTIONS);
    let hint = match near.first() {
        None => "it has no operations".to_string(),
        Some(&(close, best)) => {
            let list = near.iter().map(|(_, k)| *k).collect::<Vec<_>>().join(", ");
            if close {
                format!("did you mean `{best}`? known ids include: {list}")
            } else {
                format!("known ids include: {list}")
            }
        }
    };
    format!("{table} names operation `{op}`, which is not in the workload ({source}){after}; {hint}")
}

/// Every `[[tuning]]` must name an operation of the workload, and one that can run trials:
/// the error gives the scenario file, the line and column of `op`, and the nearest known ids.
///
/// A controller operation holds a slot of its workflow's controller while its sweep runs, and
/// the trials count against the same controller: with a controller concurrency of 1 no trial
/// could ever be queued and the run would never end, so that is an error too.
fn check_tuning(scenario: &Scenario, records: &[TraceRecord], source: &str) -> Result<(), TraceError> {
    if scenario.tuning.is_empty() {
        return Ok(());
    }
    let by_id: HashMap<&str, &TraceRecord> = records.iter().map(|r| (r.id.as_str(), r)).collect();
    // TraceError has no column number: the position goes with the file name, shown exactly as
    // scenario errors show theirs (`file:line:column: message`).
    let at = |(line, column): (usize, usize), message: String| {
        TraceError::file(&format!("{}:{line}:{column}", scenario.file.display()), message)
    };
    for t in &scenario.tuning {
        let Some(row) = by_id.get(t.op.as_str()) else {
            return Err(at(t.position, not_in_workload("[[tuning]]", &t.op, scenario, records, source)));
        };
        let Some(workflow) = row.workflow.as_deref() else { continue };
        // The top-level workflow above the row's (undeclared workflows are unlimited).
        let mut top = scenario.workflows.iter().find(|w| w.name == workflow);
        while let Some(p) = top.and_then(|w| w.parent) {
            top = scenario.workflows.get(p.index());
        }
        if let Some(w) = top.filter(|w| w.concurrency == Some(1)) {
            return Err(at(
                t.position,
                format!(
                    "[[tuning]] `{}` runs in workflow `{workflow}`, whose controller `{}` has concurrency 1: \
                     the controller operation would hold that slot and no trial could ever start \
                     (give `{}` a concurrency of at least 2)",
                    t.op, w.name, w.name
                ),
            ));
        }
    }
    Ok(())
}

/// Orders records by submit time (then file order), placing each after its dependencies.
/// A record whose dependency is submitted later than itself is an error: it could not have
/// been waiting for an operation that did not exist yet.
pub fn order(
    mut records: Vec<TraceRecord>,
    source: &str,
) -> Result<(Vec<TraceRecord>, Vec<Vec<u32>>), TraceError> {
    let has_deps = records.iter().any(|r| !r.depends_on.is_empty());
    if !has_deps {
        records.sort_by_key(|r| r.submit);
        let n = records.len();
        return Ok((records, vec![Vec::new(); n]));
    }
    schedlab_traces::check_links(&records, source)?;
    let index: HashMap<&str, usize> = records.iter().enumerate().map(|(i, r)| (r.id.as_str(), i)).collect();
    let n = records.len();
    let mut waiting = vec![0u32; n];
    let mut downstream: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, r) in records.iter().enumerate() {
        for d in &r.depends_on {
            let j = index[d.as_str()];
            waiting[i] += 1;
            downstream[j].push(i);
        }
    }
    // Kahn's algorithm, always taking the earliest (submit, file position) ready record.
    let mut ready: BinaryHeap<Reverse<(i64, usize)>> =
        (0..n).filter(|&i| waiting[i] == 0).map(|i| Reverse((records[i].submit, i))).collect();
    let mut position = vec![u32::MAX; n];
    let mut sequence = Vec::with_capacity(n);
    let mut last_submit = i64::MIN;
    while let Some(Reverse((submit, i))) = ready.pop() {
        if submit < last_submit {
            let r = &records[i];
            let late = r
                .depends_on
                .iter()
                .map(|d| &records[index[d.as_str()]])
                .max_by_key(|d| d.submit)
                .map(|d| format!("`{}` is submitted at {} s", d.id, schedlab_policies::time::secs(d.submit)))
                .unwrap_or_default();
            return Err(TraceError::at_cell(
                source,
                r.line,
                "depends_on",
                format!(
                    "`{}` (submitted at {} s) depends on an operation submitted after it: {late}",
                    r.id,
                    schedlab_policies::time::secs(r.submit)
                ),
            ));
        }
        last_submit = submit;
        position[i] = sequence.len() as u32;
        sequence.push(i);
        for &k in &downstream[i] {
            waiting[k] -= 1;
            if waiting[k] == 0 {
                ready.push(Reverse((records[k].submit, k)));
            }
        }
    }
    let deps: Vec<Vec<u32>> = sequence
        .iter()
        .map(|&i| records[i].depends_on.iter().map(|d| position[index[d.as_str()]]).collect())
        .collect();
    let mut slots: Vec<Option<TraceRecord>> = records.into_iter().map(Some).collect();
    let ordered = sequence.iter().map(|&i| slots[i].take().expect("each record placed once")).collect();
    Ok((ordered, deps))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str, submit: i64, deps: &[&str], line: u64) -> TraceRecord {
        TraceRecord {
            id: id.into(),
            submit,
            duration: 1,
            cpu_milli: 1,
            mem_mib: 1,
            depends_on: deps.iter().map(|s| s.to_string()).collect(),
            line,
            ..Default::default()
        }
    }

    #[test]
    fn sorts_by_submit_and_puts_upstream_first_at_equal_times() {
        let (r, deps) =
            order(vec![rec("b", 5, &["a"], 2), rec("c", 1, &[], 3), rec("a", 5, &[], 4)], "t.csv").unwrap();
        let ids: Vec<&str> = r.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, vec!["c", "a", "b"]);
        assert_eq!(deps, vec![vec![], vec![], vec![1]]);
    }

    #[test]
    fn a_dependency_submitted_later_is_an_error() {
        let e = order(vec![rec("b", 1, &["a"], 2), rec("a", 5, &[], 3)], "t.csv").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.to_string().contains("`a` is submitted at 0.005 s"), "{e}");
    }
}
