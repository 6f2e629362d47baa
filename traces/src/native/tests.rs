//! Tests of the native reader and writer: the shipped sample, every malformed case, exact
//! round trips, and robustness against arbitrary input.

use std::path::Path;

use proptest::prelude::*;
use schedlab_policies::expr::{Params, Value};

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
        every_lifecycle_column("z", 4),
        TraceRecord {
            id: "extremes".into(),
            timeout: Some(MAX_TIME),
            retries: Some(u32::MAX),
            retry_backoff: Some(0),
            fail_probability: Some(0.1 + 0.2),
            deadline: Some(0),
            cache: Some(false),
            cache_key: Some("k;with,comma \"and quotes\"".into()),
            cache_ttl: Some(MAX_TIME),
            depends_on: vec!["x,1".into()],
            inputs: vec![("only".into(), Value::Str(String::new()))],
            conditions: Some("ops[\"x,1\"].outputs.ok == true and inputs.only == ''".into()),
            line: 5,
            ..Default::default()
        },
    ];
    assert_eq!(round_trip(&rs), rs);
}

fn name() -> impl Strategy<Value = Option<String>> {
    proptest::option::of("[a-z][a-z0-9_-]{0,8}")
}

/// Text that reads back as itself: no surrounding blanks (cells are trimmed), not empty.
fn text() -> impl Strategy<Value = Option<String>> {
    proptest::option::weighted(0.3, "[a-z\"(][a-z0-9 ,\";=()<>.\\[\\]-]{0,12}[a-z0-9\")]")
}

/// A valid condition for a record with `inputs` (reading one of them, or resources, or
/// nothing), with quotes, commas and `;` that the writer must quote.
fn condition(inputs: &Params, pick: u8) -> Option<String> {
    let input = inputs.first().map(|(k, _)| k.as_str());
    match (pick % 6, input) {
        (0 | 1, _) => None,
        (2, Some(k)) => Some(format!("inputs[\"{k}\"] != 'a,b;c' or not (resources.gpu >= 1)")),
        (2, None) => Some("resources.replicas in (1, 2, \"x\")".into()),
        (3, _) => Some("resources.cpu > 0.5 and resources.mem_mib <= 1024".into()),
        (4, _) => Some("1 < 2 || \"q\\\"\" == 'q\"'".into()),
        _ => Some("true".into()),
    }
}

/// Inputs or outputs: distinct keys, finite numbers, booleans and strings of printable ASCII
/// other than `;` (quotes, `=`, blanks and number-like text included).
fn params() -> impl Strategy<Value = Params> {
    let value = prop_oneof![
        any::<f64>().prop_filter("finite", |n| n.is_finite()).prop_map(Value::Num),
        any::<bool>().prop_map(Value::Bool),
        "[ -:<-~]{0,8}".prop_map(Value::Str),
        Just(Value::Str("12".into())),
        Just(Value::Str("true".into())),
    ];
    proptest::collection::vec(("[A-Za-z_][A-Za-z0-9_-]{0,5}", value), 0..4).prop_map(|mut ps| {
        let mut seen = Vec::new();
        ps.retain(|(k, _)| {
            !seen.contains(k) && {
                seen.push(k.clone());
                true
            }
        });
        ps
    })
}

/// A record carrying random lifecycle settings (each often left at its default), for `..`.
fn lifecycle() -> impl Strategy<Value = TraceRecord> {
    let times = (
        proptest::option::weighted(0.3, 1..=MAX_TIME),
        proptest::option::weighted(0.3, any::<u32>()),
        proptest::option::weighted(0.3, 0..=MAX_TIME),
        proptest::option::weighted(0.3, 0.0..=1.0f64),
        proptest::option::weighted(0.3, 0..=MAX_TIME),
        proptest::option::weighted(0.3, 0..=MAX_TIME),
    );
    let rest = (
        proptest::bool::weighted(0.3),
        proptest::option::weighted(0.3, any::<bool>()),
        text(),
        text(),
        params(),
        params(),
        any::<u8>(),
        proptest::bool::weighted(0.3),
    );
    (times, rest).prop_map(
        |(
            (timeout, retries, retry_backoff, fail_probability, deadline, cache_ttl),
            (approval, cache, cache_key, component, inputs, outputs, pick, skip_on_upstream_skip),
        )| TraceRecord {
            conditions: condition(&inputs, pick),
            timeout,
            retries,
            retry_backoff,
            fail_probability,
            deadline,
            approval,
            cache,
            cache_key,
            cache_ttl,
            component,
            inputs,
            outputs,
            skip_on_upstream_skip,
            ..Default::default()
        },
    )
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
        lifecycle(),
    );
    proptest::collection::vec(one, 0..20).prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(|(i, (submit, duration, cpu, mem, gpu, q, p, prio, w, deps, estimate, life))| {
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
                // Sometimes read an upstream's status, which needs the dependency.
                let conditions = match (&life.conditions, depends_on.first()) {
                    (None, Some(d)) if i % 3 == 0 => Some(format!("ops.{d}.status == 'succeeded'")),
                    _ => life.conditions.clone(),
                };
                TraceRecord {
                    conditions,
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
                    ..life
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
        let _ = read(&format!("id,submit,duration,{LIFECYCLE}\n{body}"));
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

/// The lifecycle columns, in the order the writer emits them.
const LIFECYCLE: &str = "timeout,retries,retry_backoff,fail_probability,deadline,approval,cache,cache_key,\
                         cache_ttl,component,inputs,outputs,conditions,skip_on_upstream_skip";

/// A record with a non-default value in every lifecycle column.
fn every_lifecycle_column(id: &str, line: u64) -> TraceRecord {
    TraceRecord {
        id: id.into(),
        submit: 1_000,
        duration: 60_000,
        timeout: Some(90_500),
        retries: Some(3),
        retry_backoff: Some(10_000),
        fail_probability: Some(0.125),
        deadline: Some(3_600_000),
        approval: true,
        cache: Some(true),
        cache_key: Some("train-v2".into()),
        cache_ttl: Some(86_400_000),
        component: Some("trainer".into()),
        inputs: vec![
            ("lr".into(), Value::Num(0.01)),
            ("model".into(), Value::Str("resnet".into())),
            ("fp16".into(), Value::Bool(true)),
            ("tag".into(), Value::Str("12".into())),
        ],
        outputs: vec![("loss".into(), Value::Num(0.25)), ("ok".into(), Value::Bool(true))],
        conditions: Some("inputs.lr > 0.001 and inputs.model in (\"resnet\", \"vit\")".into()),
        skip_on_upstream_skip: true,
        line,
        ..Default::default()
    }
}

fn write(records: &[TraceRecord]) -> String {
    let mut out = Vec::new();
    write_native(records, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn lifecycle_columns_are_read() {
    let text = format!(
        "id,submit,duration,{LIFECYCLE}\n\
         a,0,60,90.5,3,10,0.125,3600,true,yes,train-v2,86400,trainer,\
         \"lr=0.01; model=resnet;fp16=true;tag=\"\"12\"\";\",loss=0.25;ok=true,\
         \"inputs.lr > 0.001 and inputs.model in (\"\"resnet\"\", \"\"vit\"\")\",TRUE\n\
         b,0,60,,,,,,,,,,,,,,\n\
         c,0,60,,0,0,0,0,false,false,,0,,,,,false\n"
    );
    let rs = read(&text).unwrap();
    assert_eq!(rs[0], TraceRecord { submit: 0, ..every_lifecycle_column("a", 2) });
    assert_eq!(rs[1], TraceRecord { id: "b".into(), duration: 60_000, line: 3, ..Default::default() });
    let c = &rs[2];
    assert_eq!(
        (c.retries, c.retry_backoff, c.fail_probability, c.deadline),
        (Some(0), Some(0), Some(0.0), Some(0))
    );
    assert_eq!(
        (c.approval, c.cache, c.cache_ttl, c.skip_on_upstream_skip),
        (false, Some(false), Some(0), false)
    );
}

#[test]
fn missing_lifecycle_columns_take_defaults() {
    let r = &read("id,submit,duration\na,0,1\n").unwrap()[0];
    assert_eq!(*r, TraceRecord { id: "a".into(), duration: 1_000, line: 2, ..Default::default() });
    assert_eq!((r.timeout, r.retries, r.cache, &r.conditions), (None, None, None, &None));
    assert!(r.inputs.is_empty() && r.outputs.is_empty() && !r.approval && !r.skip_on_upstream_skip);
}

#[test]
fn bad_lifecycle_cells_name_line_and_column() {
    let cases = [
        ("timeout", "0", "expected a number of seconds greater than 0 (at least 0.001), got `0`"),
        ("timeout", "-5", "expected a number of seconds greater than 0 (at least 0.001), got `-5`"),
        ("timeout", "0.0004", "expected a number of seconds greater than 0 (at least 0.001), got `0.0004`"),
        ("timeout", "nan", "expected a number of seconds greater than 0 (at least 0.001), got `nan`"),
        ("retries", "-1", "expected a whole number of retries (>= 0), got `-1`"),
        ("retries", "2.5", "expected a whole number of retries (>= 0), got `2.5`"),
        ("retries", "99999999999", "expected a whole number of retries (>= 0), got `99999999999`"),
        ("retry_backoff", "-1", "expected a number of seconds (>= 0), got `-1`"),
        ("retry_backoff", "NaN", "expected a number of seconds (>= 0), got `NaN`"),
        ("fail_probability", "1.5", "expected a probability between 0 and 1, got `1.5`"),
        ("fail_probability", "-0.1", "expected a probability between 0 and 1, got `-0.1`"),
        ("fail_probability", "NaN", "expected a probability between 0 and 1, got `NaN`"),
        ("fail_probability", "inf", "expected a probability between 0 and 1, got `inf`"),
        ("fail_probability", "often", "expected a probability between 0 and 1, got `often`"),
        ("deadline", "-0.001", "expected a number of seconds (>= 0), got `-0.001`"),
        ("deadline", "1e13", "expected a number of seconds (>= 0), got `1e13`"),
        ("approval", "maybe", "expected true or false, got `maybe`"),
        ("cache", "on", "expected true or false, got `on`"),
        ("cache_ttl", "forever", "expected a number of seconds (>= 0), got `forever`"),
        ("inputs", "lr", "expected `key=value`, found `lr` (no `=`)"),
        ("inputs", "a=1;a=2", "key `a` is given twice"),
        ("outputs", "1x=2", "not a valid key"),
        ("skip_on_upstream_skip", "2", "expected true or false, got `2`"),
    ];
    for (column, cell, expected) in cases {
        let e = read(&format!("id,submit,duration,{column}\nok,0,1,\n\nbad,0,1,\"{cell}\"\n")).unwrap_err();
        assert_eq!((e.line, e.column.as_deref()), (Some(4), Some(column)), "{e}");
        assert!(e.to_string().starts_with(&format!("t.csv:4: column `{column}`: ")), "{e}");
        assert!(e.message.contains(expected), "{column} `{cell}`: {e}");
    }
}

#[test]
fn lifecycle_columns_are_written_only_when_used_in_table_order() {
    let plain = TraceRecord { id: "p".into(), ..Default::default() };
    let old_header =
        "id,submit,duration,cpu,mem_mib,gpu,queue,project,priority,workflow,depends_on,estimate,\
                      node_selector,affinity,tolerations,preemptible,checkpoint\n";
    // Defaults everywhere (explicit `false` flags and empty params included): today's columns.
    let defaults =
        TraceRecord { approval: false, skip_on_upstream_skip: false, inputs: vec![], ..plain.clone() };
    assert_eq!(
        write(&[plain.clone(), defaults]),
        format!("{old_header}p,0.000,0.000,0,0,0,,,,,,,,,,,\np,0.000,0.000,0,0,0,,,,,,,,,,,\n")
    );
    // One column used by one record: only that column is added, empty for the others.
    let retried = TraceRecord { id: "r".into(), retries: Some(0), ..Default::default() };
    let text = write(&[plain.clone(), retried]);
    assert_eq!(
        text,
        format!(
            "{}retries\np,0.000,0.000,0,0,0,,,,,,,,,,,,\nr,0.000,0.000,0,0,0,,,,,,,,,,,,0\n",
            old_header.replace('\n', ",")
        )
    );
    // Every column: after the existing ones (here `replicas` and `trigger` too), table order.
    let full = TraceRecord {
        replicas: 2,
        trigger: schedlab_policies::model::Trigger::AllDone,
        ..every_lifecycle_column("f", 3)
    };
    let text = write(&[plain, full.clone()]);
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        format!("{}replicas,trigger,{}", old_header.replace('\n', ","), LIFECYCLE)
    );
    assert_eq!(lines.next().unwrap(), format!("p,0.000,0.000,0,0,0{}", ",".repeat(27)));
    assert_eq!(
        lines.next().unwrap(),
        "f,1.000,60.000,0,0,0,,,,,,,,,,,,2,all_done,90.500,3,10.000,0.125,3600.000,true,true,train-v2,\
         86400.000,trainer,\"lr=0.01;model=resnet;fp16=true;tag=\"\"12\"\"\",loss=0.25;ok=true,\
         \"inputs.lr > 0.001 and inputs.model in (\"\"resnet\"\", \"\"vit\"\")\",true"
    );
    assert_eq!(round_trip(std::slice::from_ref(&full)), vec![TraceRecord { line: 2, ..full }]);
}

#[test]
fn params_that_cannot_be_written_are_an_error() {
    let bad = [
        ("inputs", vec![("s".to_string(), Value::Str("a;b".into()))]),
        ("inputs", vec![("n".to_string(), Value::Num(f64::NAN))]),
        ("outputs", vec![("x".to_string(), Value::Num(f64::INFINITY))]),
        ("outputs", vec![("a=b".to_string(), Value::Bool(true))]),
        ("inputs", vec![("k".to_string(), Value::Num(1.0)), ("k".to_string(), Value::Num(2.0))]),
    ];
    for (column, params) in bad {
        let mut r = TraceRecord { id: "op".into(), ..Default::default() };
        if column == "inputs" {
            r.inputs = params;
        } else {
            r.outputs = params;
        }
        let e = write_native(&[r], Vec::new()).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
        assert!(
            e.to_string().starts_with(&format!("record `op`: column `{column}` cannot be written: ")),
            "{e}"
        );
    }
}

/// Reads one row with the given `depends_on`, `inputs` and `conditions` cells (after a good
/// first row and a blank line, so the bad row is on line 4).
fn read_condition(depends_on: &str, inputs: &str, condition: &str) -> Result<TraceRecord, TraceError> {
    let q = |c: &str| format!("\"{}\"", c.replace('"', "\"\""));
    let text = format!(
        "id,submit,duration,depends_on,inputs,conditions\na,0,1,,,\nb,0,1,,,\n\nc,0,1,{},{},{}\n",
        q(depends_on),
        q(inputs),
        q(condition)
    );
    read(&text).map(|mut rs| rs.pop().unwrap())
}

#[test]
fn conditions_are_read_as_written_when_valid() {
    let ok = [
        "inputs.lr > 0.01",
        "  inputs.lr > 0.01 and inputs.model in ('a', \"b\")  ",
        "ops.a.status == 'succeeded' and ops[\"b\"].outputs.loss <= 0.25",
        "resources.cpu >= 2 or resources.mem_mib < 1024 or resources.gpu == 0 or resources.replicas > 1",
        "not (1 < 2)",
        "true",
    ];
    for c in ok {
        let r = read_condition("a;b", "lr=0.1;model=a", c).unwrap_or_else(|e| panic!("{c}: {e}"));
        assert_eq!(r.conditions.as_deref(), Some(c.trim()));
    }
    assert_eq!(read_condition("a", "", "").unwrap().conditions, None);
}

#[test]
fn a_condition_that_does_not_parse_names_line_column_and_character() {
    let e = read_condition("", "x=1", "inputs.x > ").unwrap_err();
    assert_eq!((e.line, e.column.as_deref()), (Some(5), Some("conditions")), "{e}");
    assert_eq!(
        e.to_string(),
        "t.csv:5: column `conditions`: character 11: expected a value after `>`, found the end of the \
         expression"
    );
    // The character counts from the first non-blank character of the cell.
    let e = read_condition("", "x=1", "   (inputs.x == 1").unwrap_err();
    assert!(e.message.starts_with("character 1: "), "{e}");
    assert!(e.message.contains("`(`"), "{e}");
    let e = read_condition("", "x=1", "inputs.x @ 1").unwrap_err();
    assert!(e.message.starts_with("character 10: unexpected character `@`"), "{e}");
}

#[test]
fn a_condition_may_read_only_upstream_operations() {
    let e = read_condition("a;b", "", "ops.x.status == 'succeeded'").unwrap_err();
    assert_eq!((e.line, e.column.as_deref()), (Some(5), Some("conditions")), "{e}");
    assert_eq!(
        e.to_string(),
        "t.csv:5: column `conditions`: condition reads ops.x, but x is not an upstream of this \
         operation (depends_on: a, b)"
    );
    let e = read_condition("", "", "ops[\"x y\"].outputs.loss < 1").unwrap_err();
    assert_eq!(
        e.message,
        "condition reads ops[\"x y\"], but x y is not an upstream of this operation (depends_on is empty)"
    );
    // The first bad path is reported, in order of appearance.
    let e = read_condition("a", "", "ops.a.status == 'failed' or ops.b.status == 'failed'").unwrap_err();
    assert!(e.message.contains("reads ops.b, but b is not"), "{e}");
    // Only `status` and `outputs.KEY` of an upstream can be read.
    for bad in ["ops.a == 1", "ops.a.outputs == 1", "ops.a.inputs.lr == 1", "ops.a.outputs.k.j == 1"] {
        let e = read_condition("a", "", bad).unwrap_err();
        assert!(e.message.contains("ops.NAME.status or ops.NAME.outputs.KEY"), "{bad}: {e}");
    }
}

#[test]
fn a_condition_may_read_only_the_rows_inputs_and_known_resources() {
    let e = read_condition("", "lr=0.1;model=a", "inputs.batch > 8").unwrap_err();
    assert_eq!(
        e.to_string(),
        "t.csv:5: column `conditions`: condition reads inputs.batch, but the operation has no input \
         `batch` (inputs: lr, model)"
    );
    let e = read_condition("", "", "inputs.lr > 8").unwrap_err();
    assert!(e.message.ends_with("(it has no inputs)"), "{e}");
    let e = read_condition("", "", "resources.memory > 8").unwrap_err();
    assert_eq!(
        e.message,
        "condition reads resources.memory; the resources a condition may read are \
         resources.cpu|mem_mib|gpu|replicas"
    );
    for bad in ["lr > 1", "input.lr > 1", "inputs.lr.x > 1", "outputs.loss < 1", "resources > 1"] {
        let e = read_condition("", "lr=1", bad).unwrap_err();
        assert_eq!(e.column.as_deref(), Some("conditions"), "{bad}: {e}");
        assert!(e.message.starts_with("condition reads "), "{bad}: {e}");
    }
    let e = read_condition("", "lr=1", "lr > 1").unwrap_err();
    assert_eq!(
        e.message,
        "condition reads lr; a condition may read only inputs.NAME, ops.NAME.status, \
         ops.NAME.outputs.KEY and resources.cpu|mem_mib|gpu|replicas"
    );
}

#[test]
fn the_conditions_check_uses_the_rows_own_dependencies_after_other_cells() {
    // Reading an operation that exists in the trace is not enough: it must be an upstream.
    let e = read("id,submit,duration,depends_on,conditions\na,0,1,,\nb,0,1,,ops.a.status == 'succeeded'\n")
        .unwrap_err();
    assert_eq!((e.line, e.column.as_deref()), (Some(3), Some("conditions")), "{e}");
    // A bad `depends_on` id is still reported as such (by the link check), not as a condition.
    let e = read("id,submit,duration,depends_on,conditions\nb,0,1,zz,ops.zz.status == 'succeeded'\n")
        .unwrap_err();
    assert_eq!(e.column.as_deref(), Some("depends_on"), "{e}");
}
