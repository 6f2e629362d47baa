//! The workload of a run: trace records in submission order, with dependencies as indices.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

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
    order(records, &source).map(|(records, deps)| Workload {
        records,
        deps,
        source,
        trace_bytes: bytes,
        seed,
    })
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
