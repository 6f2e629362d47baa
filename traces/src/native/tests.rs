//! Tests of the native reader and writer: the shipped sample, every malformed case, exact
//! round trips, and robustness against arbitrary input.

use std::path::Path;

use proptest::prelude::*;

use super::*;
use crate::error::TraceError;
use crate::record::{TraceRecord, MAX_TIME};

const HEADER: &str = "id,submit,duration,cpu,mem_mib,gpu,queue,project,priority,workflow,depends_on\n";

fn read(text: &str) -> Result<Vec<TraceRecord>, TraceError> {
    read_native_from(text.as_bytes(), "t.csv").map(|t| t.records)
}

fn sample_path() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/data/quickstart.csv"))
}

#[test]
fn reads_the_quickstart_sample() {
    let trace = read_native(sample_path()).unwrap();
    assert!(trace.source.ends_with("quickstart.csv"));
    let rs = &trace.records;
    assert_eq!(rs.len(), 105);
    assert_eq!(
        rs[0],
        TraceRecord {
            id: "train-resnet50".into(),
            submit: 123_117,
            duration: 2_712_366,
            cpu_milli: 16_000,
            mem_mib: 65_536,
            gpu: 4,
            queue: Some("training".into()),
            project: Some("vision".into()),
            depends_on: vec![],
            line: 2,
            ..Default::default()
        }
    );
    let last = rs.last().unwrap();
    assert_eq!(last.id, "infer-14");
    assert_eq!((last.submit, last.duration), (6_955_251, 220_416));
    assert_eq!((last.gpu, last.queue.as_deref()), (1, Some("gpu-inference")));
    assert_eq!(last.line, 106);
    // The sample exercises what the quickstart scenario relies on.
    assert!(rs.iter().any(|r| r.queue.is_none()));
    assert!(rs.iter().any(|r| r.workflow.as_deref() == Some("etl-extract")));
    assert!(rs.iter().filter(|r| r.workflow.as_deref() == Some("hpo-sweep")).count() >= 20);
    assert!(rs.iter().any(|r| r.depends_on.len() == 2));
    for r in rs.iter().filter(|r| r.gpu > 0) {
        let q = r.queue.as_deref().unwrap_or("");
        assert!(["training", "gpu-inference", "critical"].contains(&q), "{}", r.id);
    }
}

#[test]
fn the_sample_is_written_in_canonical_form() {
    let text = std::fs::read_to_string(sample_path()).unwrap();
    let trace = read(&text).unwrap();
    let mut out = Vec::new();
    write_native(&trace, &mut out).unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), text);
}

#[test]
fn optional_columns_in_any_order() {
    let rs = read("duration , ID,submit,cpu\n 60 , a , 1.5 , 500m\n30,b,2,0.25\n").unwrap();
    assert_eq!(rs[0].id, "a");
    assert_eq!((rs[0].submit, rs[0].duration, rs[0].cpu_milli), (1_500, 60_000, 500));
    assert_eq!((rs[1].cpu_milli, rs[1].mem_mib, rs[1].gpu), (250, 0, 0));
    assert_eq!(rs[1].queue, None);
    assert_eq!(rs[1].line, 3);
}

#[test]
fn empty_cells_take_defaults() {
    let rs = read(&format!("{HEADER}a,0,1,,,,,,,,\n")).unwrap();
    let r = &rs[0];
    assert_eq!((r.cpu_milli, r.mem_mib, r.gpu), (0, 0, 0));
    assert_eq!((&r.queue, &r.project, r.priority, &r.workflow), (&None, &None, None, &None));
    assert!(r.depends_on.is_empty());
}

#[test]
fn gangs_read_and_write_their_replicas_column() {
    let rs = read("id,submit,duration,cpu,replicas\ng,0,60,8,4\ns,0,60,1,\n").unwrap();
    assert_eq!((rs[0].replicas, rs[1].replicas), (4, 1));
    let mut out = Vec::new();
    write_native(&rs, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("id,submit,duration,cpu,mem_mib,gpu,queue,project,priority,workflow,depends_on,estimate,node_selector,affinity,tolerations,preemptible,checkpoint,replicas\n"));
    assert!(text.contains("\ng,0.000,60.000,8,0,0,,,,,,,,,,,,4\n"), "{text}");
    let e = read("id,submit,duration,replicas\ng,0,60,0\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "t.csv:2: column `replicas`: expected a whole number of replicas of at least 1, got `0`"
    );
}

#[test]
fn triggers_read_and_write_their_column() {
    let rs = read("id,submit,duration,depends_on,trigger\na,0,60,,\nb,0,60,a,one_failed\n").unwrap();
    assert_eq!(rs[1].trigger, schedlab_policies::model::Trigger::OneFailed);
    let mut out = Vec::new();
    write_native(&rs, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.lines().next().unwrap().ends_with(",checkpoint,trigger"), "{text}");
    assert!(text.contains("\nb,0.000,60.000,0,0,0,,,,,a,,,,,,,one_failed\n"), "{text}");
    let e = read("id,submit,duration,trigger\na,0,60,whenever\n").unwrap_err();
    assert_eq!(e.line, Some(2));
    assert!(
        e.to_string()
            .contains("column `trigger`: unknown trigger `whenever`; expected one of: all_succeeded"),
        "{e}"
    );
}

#[test]
fn bad_number_names_line_and_column() {
    let e = read(&format!("{HEADER}a,0,1,1,512,0,,,,,\nb,0,abc,1,512,0,,,,,\n")).unwrap_err();
    assert_eq!(e.line, Some(3));
    assert_eq!(e.column.as_deref(), Some("duration"));
    assert_eq!(e.to_string(), "t.csv:3: column `duration`: expected a number of seconds (>= 0), got `abc`");
    let e = read(&format!("{HEADER}a,0,1,1,lots,0,,,,,\n")).unwrap_err();
    assert_eq!((e.line, e.column.as_deref()), (Some(2), Some("mem_mib")));
    let e = read(&format!("{HEADER}a,0,1,1,1,0,,,high,,\n")).unwrap_err();
    assert_eq!(e.column.as_deref(), Some("priority"));
    let e = read(&format!("{HEADER}a,0,1,x,1,0,,,,,\n")).unwrap_err();
    assert_eq!(e.column.as_deref(), Some("cpu"));
    let e = read(&format!("{HEADER}a,0,1,1,1,-2,,,,,\n")).unwrap_err();
    assert_eq!(e.column.as_deref(), Some("gpu"));
}

#[test]
fn negative_times_are_rejected() {
    let e = read(&format!("{HEADER}a,0,-5,1,512,0,,,,,\n")).unwrap_err();
    assert_eq!((e.line, e.column.as_deref()), (Some(2), Some("duration")));
    assert!(e.message.contains("`-5`"), "{e}");
    let e = read(&format!("{HEADER}a,-0.001,5,1,512,0,,,,,\n")).unwrap_err();
    assert_eq!(e.column.as_deref(), Some("submit"));
}

#[test]
fn unknown_column_lists_the_known_ones() {
    let e = read("id,submit,duration,memory\na,0,1,2\n").unwrap_err();
    assert_eq!(e.line, Some(1));
    assert!(e.message.contains("unknown column `memory`"), "{e}");
    assert!(e.message.contains("`mem_mib`") && e.message.contains("`depends_on`"), "{e}");
}

#[test]
fn missing_required_column() {
    let e = read("id,duration\na,1\n").unwrap_err();
    assert_eq!(e.line, Some(1));
    assert!(e.message.contains("`submit`"), "{e}");
    let e = read("").unwrap_err();
    assert!(e.message.contains("header"), "{e}");
}

#[test]
fn duplicate_id_names_both_lines() {
    let e = read(&format!("{HEADER}a,0,1,,,,,,,,\nb,0,1,,,,,,,,\na,0,1,,,,,,,,\n")).unwrap_err();
    assert_eq!((e.line, e.column.as_deref()), (Some(4), Some("id")));
    assert!(e.message.contains("duplicate id `a` (first used on line 2)"), "{e}");
}

#[test]
fn empty_id_is_an_error() {
    let e = read(&format!("{HEADER}a,0,1,,,,,,,,\n  ,0,1,,,,,,,,\n")).unwrap_err();
    assert_eq!((e.line, e.column.as_deref()), (Some(3), Some("id")));
}

#[test]
fn unknown_dependency_names_line_and_id() {
    let e = read(&format!("{HEADER}a,0,1,,,,,,,,\nb,1,1,,,,,,,,a;zz\n")).unwrap_err();
    assert_eq!((e.line, e.column.as_deref()), (Some(3), Some("depends_on")));
    assert!(e.message.contains("`zz`"), "{e}");
}

#[test]
fn dependency_may_come_later_in_the_file_but_not_in_a_cycle() {
    let rs = read(&format!("{HEADER}b,1,1,,,,,,,,a\na,0,1,,,,,,,,\n")).unwrap();
    assert_eq!(rs[0].depends_on, vec!["a"]);
    let e = read(&format!("{HEADER}b,1,1,,,,,,,,a\na,0,1,,,,,,,,b\n")).unwrap_err();
    assert!(e.message.contains("cycle"), "{e}");
}

#[test]
fn ragged_rows_and_bad_utf8() {
    let e = read(&format!("{HEADER}a,0,1\n")).unwrap_err();
    assert_eq!(e.line, Some(2));
    assert!(e.message.contains("3 cell(s)"), "{e}");
    let mut bytes = HEADER.as_bytes().to_vec();
    bytes.extend_from_slice(b"a,0,1,,,,q\xff,,,,\n");
    let e = read_native_from(&bytes[..], "t.csv").unwrap_err();
    assert_eq!(e.line, Some(2));
    assert_eq!(e.column.as_deref(), Some("queue"));
}

#[test]
fn byte_order_mark_and_blank_lines_are_tolerated() {
    let rs = read("\u{feff}id,submit,duration\na,0,1\n\nb,2,1\n").unwrap();
    assert_eq!(rs.len(), 2);
    assert_eq!(rs[1].line, 4);
}

#[test]
fn missing_file_is_reported() {
    let e = read_native(Path::new("/nonexistent/trace.csv")).unwrap_err();
    assert_eq!(e.line, None);
    assert!(e.to_string().starts_with("/nonexistent/trace.csv: cannot open"), "{e}");
}

fn round_trip(records: &[TraceRecord]) -> Vec<TraceRecord> {
    let mut out = Vec::new();
    write_native(records, &mut out).unwrap();
    read_native_from(&out[..], "rt").unwrap().records
}

#[test]
fn write_then_read_gives_the_same_records() {
    let rs = vec![
        TraceRecord {
            id: "x,1".into(),
            submit: 12_345,
            duration: 1,
            cpu_milli: 1_500,
            mem_mib: 2048,
            gpu: 2,
            queue: Some("q".into()),
            project: Some("p \"quoted\"".into()),
            priority: Some(-7),
            workflow: Some("w".into()),
            depends_on: vec![],
            line: 2,
            estimate: Some(53_940_500),
            ..Default::default()
        },
        TraceRecord {
            id: "y".into(),
            submit: MAX_TIME,
            duration: MAX_TIME,
            cpu_milli: u64::MAX,
            mem_mib: u64::MAX,
            gpu: u64::MAX,
            priority: Some(i32::MIN),
            depends_on: vec!["x,1".into()],
            line: 3,
            ..Default::default()
        },
    ];
    assert_eq!(round_trip(&rs), rs);
}

fn name() -> impl Strategy<Value = Option<String>> {
    proptest::option::of("[a-z][a-z0-9_-]{0,8}")
}

fn records() -> impl Strategy<Value = Vec<TraceRecord>> {
    let one = (
        0..=MAX_TIME,
        0..=MAX_TIME,
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        name(),
        name(),
        proptest::option::of(any::<i32>()),
        name(),
        proptest::collection::vec(any::<prop::sample::Index>(), 0..3),
        proptest::option::of(0..=MAX_TIME),
    );
    proptest::collection::vec(one, 0..20).prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(|(i, (submit, duration, cpu, mem, gpu, q, p, prio, w, deps, estimate))| {
                // Depend only on earlier records, once each: always a valid trace.
                let mut depends_on: Vec<String> = Vec::new();
                if i > 0 {
                    for d in deps {
                        let id = format!("op{}", d.index(i));
                        if !depends_on.contains(&id) {
                            depends_on.push(id);
                        }
                    }
                }
                TraceRecord {
                    id: format!("op{i}"),
                    submit,
                    duration,
                    cpu_milli: cpu,
                    mem_mib: mem,
                    gpu,
                    queue: q,
                    project: p,
                    priority: prio,
                    workflow: w,
                    depends_on,
                    line: i as u64 + 2,
                    estimate,
                    replicas: if gpu % 3 == 2 { 4 } else { 1 },
                    ..Default::default()
                }
            })
            .collect()
    })
}

proptest! {
    #[test]
    fn round_trip_is_exact(rs in records()) {
        prop_assert_eq!(round_trip(&rs), rs);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = read_native_from(&bytes[..], "fuzz");
    }

    #[test]
    fn arbitrary_rows_never_panic(body in "([a-z0-9.;,\" \\-m]{0,30}\n){0,8}") {
        let _ = read(&format!("{HEADER}{body}"));
        let _ = read(&format!("id,submit,duration,depends_on\n{body}"));
    }
}

#[test]
fn estimate_column_is_optional_seconds() {
    let rs = read("id,submit,duration,estimate\na,0,10,60\nb,1,10,\nc,2,10,0.25\n").unwrap();
    assert_eq!(rs.iter().map(|r| r.estimate).collect::<Vec<_>>(), vec![Some(60_000), None, Some(250)]);
    let e = read("id,submit,duration,estimate\na,0,10,soon\n").unwrap_err();
    assert_eq!((e.line, e.column.as_deref()), (Some(2), Some("estimate")), "{e}");
    let mut out = Vec::new();
    write_native(&rs, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with(
        "id,submit,duration,cpu,mem_mib,gpu,queue,project,priority,workflow,depends_on,estimate,"
    ));
    assert!(text.contains("\na,0.000,10.000,0,0,0,,,,,,60.000,"), "{text}");
}
