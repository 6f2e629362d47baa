use std::path::Path;

use super::*;
use crate::record::TraceRecord;

fn data(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(name)
}

#[test]
fn reads_the_kth_log() {
    let t = read_swf(&data("KTH-SP2-1996-2.1-cln.swf.gz")).unwrap();
    assert_eq!(t.header.max_procs, Some(100));
    assert_eq!(t.header.max_nodes, Some(100));
    assert_eq!(t.header.max_records, Some(28476));
    assert_eq!(t.header.unix_start_time, Some(843480031));
    assert_eq!(t.header.computer.as_deref(), Some("IBM SP2"));
    assert!(t.header.fields["Note"].contains("EASY"));
    assert_eq!(t.header.acknowledge.as_deref(), Some("Lars Malinowsky"));
    let note = t.header.note.as_deref().unwrap();
    assert!(note.starts_with("uses the EASY scheduler\nTHIS IS A CLEANED VERSION"), "{note}");
    assert!(note.contains("job<=14 (14 jobs removed)"), "{note}");
    // MaxRecords counts job numbers 15..=28490 (the cleaning removed jobs 1..=14); 484 of them
    // are absent from the file (in 441 gaps), so 27,992 records are present. Every one has a
    // run time and processors: none is skipped.
    assert_eq!(t.trace.records.len(), 27_992);
    assert_eq!(t.skipped_total(), 0, "{:?}", t.skipped);
    let first = &t.trace.records[0];
    let last = t.trace.records.last().unwrap();
    assert_eq!(
        first,
        &TraceRecord {
            id: "15".into(),
            submit: 599_850_000,
            duration: 3_477_000,
            cpu_milli: 4_000,
            estimate: Some(53_940_000),
            project: Some("user12".into()),
            line: 25,
            ..TraceRecord::default()
        }
    );
    assert_eq!(
        last,
        &TraceRecord {
            id: "28490".into(),
            submit: 29_363_618_000,
            duration: 8_000,
            cpu_milli: 1_000,
            estimate: Some(30_000_000),
            project: Some("user98".into()),
            line: 28_016,
            ..TraceRecord::default()
        }
    );
    assert!(t.trace.records.iter().all(|r| r.cpu_milli >= 1000 && r.cpu_milli <= 100_000));
    assert!(t.trace.records.iter().all(|r| r.estimate.is_some()), "KTH has a requested time on every job");
}

#[test]
fn reads_the_lublin_model() {
    let t = read_swf(&data("lublin_256.swf")).unwrap();
    assert_eq!(t.header.max_procs, None);
    assert_eq!(t.header.max_nodes, Some(256));
    assert_eq!(t.trace.records.len(), 10_000);
    let rec = |id: &str, submit, duration, cpu_milli, line| TraceRecord {
        id: id.into(),
        submit,
        duration,
        cpu_milli,
        queue: Some("q0".into()),
        line,
        ..TraceRecord::default()
    };
    // Requested time, memory and user are -1 (unknown) in this model: no estimate, no project.
    assert_eq!(t.trace.records[0], rec("1", 5_094_000, 12_072_000, 16_000, 8));
    assert_eq!(t.trace.records[9_999], rec("10000", 7_711_701_000, 13_929_000, 3_000, 10_007));
    assert_eq!(t.skipped_total(), 0);
}

#[test]
fn malformed_lines_are_located() {
    let text = "; MaxProcs: 8\n1 0 -1 10 2 -1 -1 -1 -1 -1 1 -1 -1 -1 0 -1 -1 -1\n2 5 -1 ten 2 -1 -1 -1 -1 -1 1 -1 -1 -1 0 -1 -1 -1\n";
    let e = read_swf_from(text.as_bytes(), "x.swf").unwrap_err();
    assert_eq!(e.to_string(), "x.swf:3: column `run time`: expected a number (or -1 for unknown), got `ten`");
    let e = read_swf_from("1 2 3\n".as_bytes(), "x.swf").unwrap_err();
    assert_eq!(e.to_string(), "x.swf:1: expected the 18 fields of a Standard Workload Format job, found 3");
    let dup = "1 0 -1 10 2 -1 -1 -1 -1 -1 1 -1 -1 -1 0 -1 -1 -1\n1 0 -1 10 2 -1 -1 -1 -1 -1 1 -1 -1 -1 0 -1 -1 -1\n";
    assert!(read_swf_from(dup.as_bytes(), "x.swf").unwrap_err().to_string().contains("appears twice"));
}

#[test]
fn unknown_run_times_and_processors_are_skipped_and_counted() {
    let text = "1 0 -1 -1 2 -1 -1 -1 -1 -1 1 -1 -1 -1 0 -1 -1 -1\n2 0 -1 10 -1 -1 -1 -1 -1 -1 1 -1 -1 -1 0 -1 -1 -1\n\
                3 0 -1 10 -1 -1 100 4 60 -1 1 7 -1 -1 2 -1 -1 -1\n";
    let t = read_swf_from(text.as_bytes(), "x.swf").unwrap();
    assert_eq!(t.skipped.get("unknown run time"), Some(&1));
    assert_eq!(t.skipped.get("no processors"), Some(&1));
    let r = &t.trace.records[0];
    // Requested processors stand in for allocated; 100 KB × 4 processors → 1 MiB (rounded up).
    assert_eq!(
        (r.cpu_milli, r.mem_mib, r.estimate, r.queue.as_deref(), r.project.as_deref()),
        (4000, 1, Some(60_000), Some("q2"), Some("user7"))
    );
}

#[test]
fn header_keys_and_continuations() {
    let text = "; Version: 2.2\n; MaxProcs: 64\n; Note: first\n;       continued\n; Note: second\n";
    let t = read_swf_from(text.as_bytes(), "h.swf").unwrap();
    assert_eq!(t.header.max_procs, Some(64));
    assert_eq!(t.header.version.as_deref(), Some("2.2"));
    assert_eq!(t.header.note.as_deref(), Some("first\ncontinued\nsecond"));
    assert_eq!(t.header.fields["Note"], "first\ncontinued\nsecond");
    assert!(t.trace.records.is_empty());
}
