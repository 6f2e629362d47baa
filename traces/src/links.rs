//! Checks that ids and dependencies form a usable workload: ids are unique, every dependency
//! names a record of the same trace, and no operation waits on itself through a cycle.
//!
//! A simulator fed a dangling or cyclic dependency would leave the operation pending forever
//! and report a misleading wait time; refusing the trace with the exact line is kinder.

use std::collections::HashMap;

use crate::error::TraceError;
use crate::record::TraceRecord;

/// Validates ids and `depends_on` links; `source` names the file in errors.
pub fn check_links(records: &[TraceRecord], source: &str) -> Result<(), TraceError> {
    let index = unique_ids(records, source)?;
    let mut deps: Vec<Vec<usize>> = Vec::with_capacity(records.len());
    for r in records {
        let mut mine = Vec::with_capacity(r.depends_on.len());
        for d in &r.depends_on {
            match index.get(d.as_str()) {
                Some(&j) if records[j].id == r.id => {
                    return Err(TraceError::at_cell(
                        source,
                        r.line,
                        "depends_on",
                        format!("`{}` depends on itself", r.id),
                    ))
                }
                Some(&j) => mine.push(j),
                None => {
                    return Err(TraceError::at_cell(
                        source,
                        r.line,
                        "depends_on",
                        format!("unknown dependency `{d}`: no record in this trace has that id"),
                    ))
                }
            }
        }
        deps.push(mine);
    }
    if let Some(cycle) = find_cycle(&deps) {
        let first = &records[cycle[0]];
        let path: Vec<&str> = cycle.iter().map(|&i| records[i].id.as_str()).collect();
        return Err(TraceError::at_cell(
            source,
            first.line,
            "depends_on",
            format!("dependency cycle: {} -> {}", path.join(" -> "), first.id),
        ));
    }
    Ok(())
}

/// Maps each id to its record index, refusing duplicates (naming both lines).
fn unique_ids<'a>(records: &'a [TraceRecord], source: &str) -> Result<HashMap<&'a str, usize>, TraceError> {
    let mut index = HashMap::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        if let Some(first) = index.insert(r.id.as_str(), i) {
            return Err(TraceError::at_cell(
                source,
                r.line,
                "id",
                format!("duplicate id `{}` (first used on line {})", r.id, records[first].line),
            ));
        }
    }
    Ok(index)
}

/// Returns the records of one dependency cycle (each depends on the next, the last on the
/// first), or `None` when the graph is acyclic. Iterative, so deep chains cannot overflow
/// the stack.
fn find_cycle(deps: &[Vec<usize>]) -> Option<Vec<usize>> {
    const NEW: u8 = 0;
    const OPEN: u8 = 1;
    const DONE: u8 = 2;
    let mut state = vec![NEW; deps.len()];
    for root in 0..deps.len() {
        if state[root] != NEW {
            continue;
        }
        // (node, next dependency to visit)
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        state[root] = OPEN;
        while let Some(top) = stack.last_mut() {
            let (node, next) = *top;
            if let Some(&dep) = deps[node].get(next) {
                top.1 += 1;
                match state[dep] {
                    NEW => {
                        state[dep] = OPEN;
                        stack.push((dep, 0));
                    }
                    OPEN => {
                        let start = stack.iter().position(|&(n, _)| n == dep).unwrap_or(0);
                        return Some(stack[start..].iter().map(|&(n, _)| n).collect());
                    }
                    _ => {}
                }
            } else {
                state[node] = DONE;
                stack.pop();
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str, line: u64, deps: &[&str]) -> TraceRecord {
        TraceRecord {
            id: id.to_string(),
            submit: 0,
            duration: 0,
            cpu_milli: 0,
            mem_mib: 0,
            depends_on: deps.iter().map(|d| d.to_string()).collect(),
            line,
            ..Default::default()
        }
    }

    #[test]
    fn accepts_a_dag() {
        let rs = [rec("a", 2, &[]), rec("b", 3, &["a"]), rec("c", 4, &["a", "b"])];
        assert!(check_links(&rs, "t").is_ok());
    }

    #[test]
    fn finds_cycles_and_self_loops() {
        let rs = [rec("a", 2, &["c"]), rec("b", 3, &["a"]), rec("c", 4, &["b"])];
        let e = check_links(&rs, "t").unwrap_err();
        assert!(e.message.contains("cycle: a -> c -> b -> a"), "{e}");
        let rs = [rec("a", 2, &["a"])];
        assert!(check_links(&rs, "t").unwrap_err().message.contains("itself"));
    }

    #[test]
    fn deep_chain_does_not_overflow() {
        let ids: Vec<String> = (0..200_000).map(|i| format!("x{i}")).collect();
        let rs: Vec<TraceRecord> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                // Each record depends on the next one, so the search goes 200k deep.
                let deps: Vec<&str> = ids.get(i + 1).map(String::as_str).into_iter().collect();
                rec(id, i as u64 + 2, &deps)
            })
            .collect();
        assert!(check_links(&rs, "t").is_ok());
    }
}
