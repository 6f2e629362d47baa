use std::path::Path;

use super::*;

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
    // 27,992 records are present (the header's MaxRecords counts 441 id gaps too); every one
    // has a run time and processors, so none is skipped.
    assert_eq!(t.trace.records.len() as u64 + t.skipped_total(), 27_992);
    let first = &t.trace.records[0];
    let last = t.trace.records.last().unwrap();
    assert_eq!((first.id.as_str(), first.line > 0), ("15", true));
    assert!(first.estimate.is_some());
    assert_eq!(
        (last.id.as_str(), last.submit, last.duration, last.cpu_milli),
        ("28490", 29_363_618_000, 8_000, 1_000)
    );
    assert_eq!(
        (last.project.as_deref(), last.estimate, last.line),
        (Some("user98"), Some(30_000_000), 28_016)
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
    let first = &t.trace.records[0];
    assert_eq!(
        (first.id.as_str(), first.submit, first.duration, first.cpu_milli),
        ("1", 5_094_000, 12_072_000, 16_000)
    );
    assert_eq!(first.estimate, None, "requested time is -1 in this model");
    assert_eq!(first.queue.as_deref(), Some("q0"));
    assert_eq!(first.project, None);
    let last = t.trace.records.last().unwrap();
    assert_eq!(last.id, "10000");
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
