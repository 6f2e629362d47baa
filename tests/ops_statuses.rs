//! End-to-end tests of `schedlab ops statuses` on the hand-written run directory
//! tests/fixtures/ops-statuses (four operations: a workflow `nightly` with a cache hit, a
//! retried operation that fails and one left upstream_failed; and `adhoc-7`, outside any
//! workflow), and on malformed run directories written to a temporary directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const RUN: &str = "tests/fixtures/ops-statuses";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_schedlab")).args(args).current_dir(root()).output().expect("runs")
}

/// `ops statuses` on `dir` with `args`, expecting success; its stdout.
fn ok(dir: &str, args: &[&str]) -> String {
    let all = [&["ops", "statuses", dir], args].concat();
    let o = run(&all);
    assert!(o.status.success(), "{all:?} failed: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

/// `ops statuses` on `dir` with `args`, expecting failure with a one-line error; the error.
fn fails(dir: &str, args: &[&str]) -> String {
    let all = [&["ops", "statuses", dir], args].concat();
    let o = run(&all);
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(!o.status.success(), "{all:?} should fail");
    assert!(o.stdout.is_empty(), "{all:?} printed: {}", String::from_utf8_lossy(&o.stdout));
    assert!(!err.contains("panicked"), "{all:?} panicked: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one-line error expected, got: {err}");
    err.trim_end().strip_prefix("error: ").unwrap_or_else(|| panic!("no `error: ` in {err}")).to_string()
}

/// A fresh temporary run directory holding `statuses` as statuses.csv (and ops.csv if given).
fn tmp_run(name: &str, statuses: Option<&[u8]>, ops: Option<&str>) -> PathBuf {
    let d = std::env::temp_dir().join(format!("schedlab-ops-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    if let Some(s) = statuses {
        std::fs::write(d.join("statuses.csv"), s).unwrap();
    }
    if let Some(o) = ops {
        std::fs::write(d.join("ops.csv"), o).unwrap();
    }
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const TRAIN: &str = "\
nightly.train  workflow: nightly  final: failed
       time  status       after  reason
  ───────────────────────────────────────────────────────────────────
     0.000s  created
     0.000s  compiled      +0ms
     0.000s  queued        +0ms
    12.500s  scheduled   +12.5s  on node gpu-0
    13.000s  running     +500ms
   103.000s  retrying   +1m 30s  exit 137, OOMKilled (attempt 1 of 2)
   133.000s  queued      +30.0s  backoff 30s
   138.500s  scheduled    +5.5s  on node gpu-1
   140.250s  running      +1.8s
  3740.250s  failed     +1h 00m  exit 1

1 operation: 1 failed
";

#[test]
fn one_operation_as_a_timeline() {
    assert_eq!(ok(RUN, &["--op", "nightly.train"]), TRAIN);
    assert_eq!(ok(RUN, &["--op", "nightly.train", "--format", "table"]), TRAIN);
}

#[test]
fn every_operation_in_order_of_first_appearance_with_a_summary() {
    let expect = "\
nightly.prep  workflow: nightly  final: succeeded (cache hit)
       time  status             after  reason
  ─────────────────────────────────────────────────────────────────────────────────────
     0.000s  created
     0.000s  compiled            +0ms
     0.000s  succeeded           +0ms  cache hit: same inputs as nightly.prep of run 41

nightly.train  workflow: nightly  final: failed
       time  status             after  reason
  ─────────────────────────────────────────────────────────────────────────
     0.000s  created
     0.000s  compiled            +0ms
     0.000s  queued              +0ms
    12.500s  scheduled         +12.5s  on node gpu-0
    13.000s  running           +500ms
   103.000s  retrying         +1m 30s  exit 137, OOMKilled (attempt 1 of 2)
   133.000s  queued            +30.0s  backoff 30s
   138.500s  scheduled          +5.5s  on node gpu-1
   140.250s  running            +1.8s
  3740.250s  failed           +1h 00m  exit 1

nightly.eval  workflow: nightly  final: upstream_failed
       time  status             after  reason
  ────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────
     0.000s  created
  3740.250s  upstream_failed  +1h 02m  upstream operation nightly.train ended failed: trigger all_succeeded can no longer hold

adhoc-7  final: succeeded
       time  status             after  reason
  ──────────────────────────────────────────────────
     5.000s  created
     5.000s  compiled            +0ms
     5.000s  queued              +0ms
    20.000s  scheduled         +15.0s  on node cpu-3
    21.250s  running            +1.2s
   111.250s  succeeded        +1m 30s

4 operations: 2 succeeded (1 cache hit), 1 failed, 1 upstream_failed
";
    assert_eq!(ok(RUN, &[]), expect);
}

#[test]
fn repeated_ops_print_once_each_in_file_order() {
    let out = ok(RUN, &["--op", "adhoc-7", "--op", "nightly.prep", "--op", "adhoc-7"]);
    let headings: Vec<&str> = out.lines().filter(|l| !l.starts_with(' ') && !l.is_empty()).collect();
    assert_eq!(
        headings,
        [
            "nightly.prep  workflow: nightly  final: succeeded (cache hit)",
            "adhoc-7  final: succeeded",
            "2 operations: 2 succeeded (1 cache hit)",
        ]
    );
}

#[test]
fn workflow_selects_its_operations() {
    let out = ok(RUN, &["--workflow", "nightly"]);
    let headings: Vec<&str> = out.lines().filter(|l| !l.starts_with(' ') && !l.is_empty()).collect();
    assert_eq!(
        headings,
        [
            "nightly.prep  workflow: nightly  final: succeeded (cache hit)",
            "nightly.train  workflow: nightly  final: failed",
            "nightly.eval  workflow: nightly  final: upstream_failed",
            "3 operations: 1 succeeded (1 cache hit), 1 failed, 1 upstream_failed",
        ]
    );
    assert!(!out.contains("adhoc-7"), "{out}");
}

#[test]
fn status_selects_by_final_status() {
    let expect = "\
nightly.prep  workflow: nightly  final: succeeded (cache hit)
      time  status       after  reason
  ──────────────────────────────────────────────────────────────────────────────
    0.000s  created
    0.000s  compiled      +0ms
    0.000s  succeeded     +0ms  cache hit: same inputs as nightly.prep of run 41

adhoc-7  final: succeeded
      time  status       after  reason
  ───────────────────────────────────────────
    5.000s  created
    5.000s  compiled      +0ms
    5.000s  queued        +0ms
   20.000s  scheduled   +15.0s  on node cpu-3
   21.250s  running      +1.2s
  111.250s  succeeded  +1m 30s

2 operations: 2 succeeded (1 cache hit)
";
    assert_eq!(ok(RUN, &["--status", "succeeded"]), expect);
    // Selections combine: the failed operations of the workflow.
    assert_eq!(ok(RUN, &["--workflow", "nightly", "--status", "failed"]), TRAIN);
    // A known status no operation ended in is an empty answer, not an error.
    assert_eq!(
        ok(RUN, &["--status", "rejected"]),
        "0 operations with final status `rejected`; final statuses of the run's 4: 2 succeeded (1 cache \
         hit), 1 failed, 1 upstream_failed\n"
    );
    assert_eq!(
        ok(RUN, &["--status", "stopped", "--workflow", "nightly"]),
        "0 operations with final status `stopped`; final statuses of the 3 selected: 1 succeeded (1 \
         cache hit), 1 failed, 1 upstream_failed\n"
    );
}

#[test]
fn csv_prints_the_selected_rows_unchanged() {
    let file = std::fs::read_to_string(root().join(RUN).join("statuses.csv")).unwrap();
    assert_eq!(ok(RUN, &["--format", "csv"]), file);
    assert_eq!(
        ok(RUN, &["--format", "csv", "--status", "failed"]),
        "\
time,id,workflow,status,reason
0.000,nightly.train,nightly,created,
0.000,nightly.train,nightly,compiled,
0.000,nightly.train,nightly,queued,
12.500,nightly.train,nightly,scheduled,on node gpu-0
13.000,nightly.train,nightly,running,
103.000,nightly.train,nightly,retrying,\"exit 137, OOMKilled (attempt 1 of 2)\"
133.000,nightly.train,nightly,queued,backoff 30s
138.500,nightly.train,nightly,scheduled,on node gpu-1
140.250,nightly.train,nightly,running,
3740.250,nightly.train,nightly,failed,exit 1
"
    );
    // Rows stay in file order, interleaved as they happened.
    assert_eq!(
        ok(RUN, &["--format", "csv", "--op", "adhoc-7", "--op", "nightly.eval"]),
        "\
time,id,workflow,status,reason
0.000,nightly.eval,nightly,created,
5.000,adhoc-7,,created,
5.000,adhoc-7,,compiled,
5.000,adhoc-7,,queued,
20.000,adhoc-7,,scheduled,on node cpu-3
21.250,adhoc-7,,running,
111.250,adhoc-7,,succeeded,
3740.250,nightly.eval,nightly,upstream_failed,upstream operation nightly.train ended failed: trigger \
         all_succeeded can no longer hold
"
    );
    assert_eq!(ok(RUN, &["--format", "csv", "--status", "stopped"]), "time,id,workflow,status,reason\n");
}

#[test]
fn csv_keeps_crlf_rows_and_quoted_newlines_and_drops_blank_lines() {
    let d = tmp_run(
        "crlf",
        Some(b"time,id,workflow,status,reason\r\n0.000,a,,created,\r\n\r\n1.500,a,,waiting_approval,\"x\r\ny\"\r\n2.000,b,,created,"),
        None,
    );
    assert_eq!(
        ok(s(&d), &["--format", "csv"]),
        "time,id,workflow,status,reason\r\n0.000,a,,created,\r\n1.500,a,,waiting_approval,\"x\r\ny\"\r\n2.000,b,,created,\n"
    );
    assert_eq!(
        ok(s(&d), &["--format", "csv", "--op", "b"]),
        "time,id,workflow,status,reason\r\n2.000,b,,created,\n"
    );
    // Without ops.csv the final status is the last transition, whatever the word; newlines in
    // a reason do not break the table.
    assert_eq!(
        ok(s(&d), &["--op", "a"]),
        "\
a  final: waiting_approval
    time  status            after  reason
  ───────────────────────────────────────
  0.000s  created
  1.500s  waiting_approval  +1.5s  x  y

1 operation: 1 waiting_approval
"
    );
}

#[test]
fn unknown_names_are_errors_that_suggest_known_ones() {
    assert_eq!(
        fails(RUN, &["--op", "nightly.trian"]),
        "no operation `nightly.trian` in tests/fixtures/ops-statuses/statuses.csv; known ids include: \
         nightly.train, nightly.prep, nightly.eval, adhoc-7"
    );
    assert_eq!(
        fails(RUN, &["--op", "adhoc-7", "--op", "adhoc"]),
        "no operation `adhoc` in tests/fixtures/ops-statuses/statuses.csv; known ids include: adhoc-7, \
         nightly.prep, nightly.eval, nightly.train"
    );
    assert_eq!(
        fails(RUN, &["--workflow", "nighty"]),
        "no operation of workflow `nighty` in tests/fixtures/ops-statuses/statuses.csv; workflows include: \
         nightly"
    );
    assert_eq!(
        fails(RUN, &["--status", "succeded"]),
        "unknown status `succeded`; statuses: created, compiled, queued, scheduled, running, retrying, \
         succeeded, failed, stopped, skipped, upstream_failed, rejected"
    );
    assert_eq!(
        fails(RUN, &["--op", "adhoc-7", "--workflow", "nightly"]),
        "no operation given with --op is in workflow `nightly`"
    );
    let d = tmp_run(
        "only-in-ops",
        Some(b"time,id,workflow,status,reason\n0.000,a,,created,\n"),
        Some("id,status\na,created\nz,rejected\n"),
    );
    assert_eq!(
        fails(s(&d), &["--op", "z"]),
        format!(
            "operation `z` (final status rejected in ops.csv) has no rows in {}",
            s(&d.join("statuses.csv"))
        )
    );
    let d = tmp_run("no-workflows", Some(b"time,id,workflow,status,reason\n0.000,a,,created,\n"), None);
    assert_eq!(
        fails(s(&d), &["--workflow", "w"]),
        format!(
            "no operation of workflow `w` in {}: none of its operations is in a workflow",
            s(&d.join("statuses.csv"))
        )
    );
    let d = tmp_run("empty", Some(b"time,id,workflow,status,reason\n"), None);
    assert_eq!(ok(s(&d), &[]), format!("0 operations: {} has no rows\n", s(&d.join("statuses.csv"))));
    assert_eq!(
        fails(s(&d), &["--op", "a"]),
        format!("no operation `a` in {}: it has no rows", s(&d.join("statuses.csv")))
    );
}

#[test]
fn run_directories_that_are_missing_or_lack_statuses_are_explained() {
    assert_eq!(
        fails("tests/fixtures/no-such-run", &[]),
        "no run directory tests/fixtures/no-such-run: it does not exist"
    );
    assert_eq!(
        fails("tests/fixtures/ops-statuses/ops.csv", &[]),
        "tests/fixtures/ops-statuses/ops.csv is not a directory; give a run directory, e.g. out/quickstart"
    );
    assert_eq!(
        fails("tests/fixtures", &[]),
        "tests/fixtures is not a run directory but holds runs; give one of them, e.g. \
         tests/fixtures/ops-statuses"
    );
    let d = tmp_run("nothing", None, None);
    assert_eq!(
        fails(s(&d), &[]),
        format!("{} is not a run directory: it has no statuses.csv or ops.csv", s(&d))
    );
    let d = tmp_run("old", None, Some("id,workflow,status\na,,succeeded\n"));
    assert_eq!(
        fails(s(&d), &[]),
        format!(
            "no statuses.csv in {}: the run may predate statuses.csv or was written with statuses off; run \
             its scenario again to get one",
            s(&d)
        )
    );
}

#[test]
fn malformed_rows_are_errors_naming_file_line_and_fault() {
    const H: &str = "time,id,workflow,status,reason\n";
    let cases: &[(&str, &[u8], &str)] = &[
        ("time", b"0.000,a,,created,\nabc,a,,queued,\n", "3: time `abc` is not a number of seconds"),
        ("nan", b"0.000,a,,created,\nNaN,a,,queued,\n", "3: time `NaN` is not a number of seconds"),
        ("fields", b"0.000,a,,created,\n1.000,a,queued\n", "3: 3 fields where the header has 5"),
        ("word", b"0.000,a,,created,\n1.000,a,,Queued now,\n", "3: status `Queued now` of `a` is not a status word (e.g. `queued`)"),
        ("nl-status", b"0.000,a,,created,\n\n1.000,a,,\"x\ny\",\n", "4: status `x\\ny` of `a` is not a status word (e.g. `queued`)"),
        ("no-status", b"0.000,a,,,\n", "2: the status of `a` is empty"),
        ("no-id", b"0.000,,,created,\n", "2: the id is empty"),
        ("wf", b"0.000,a,w,created,\n1.000,a,v,queued,\n", "3: `a` is in workflow `v` here but in `w` on line 2"),
        (
            "order",
            b"5.000,a,,created,\n1.000,a,,queued,\n",
            "3: time 1.000 of `a` is before its previous transition (5.000, line 2); the rows must be in time order",
        ),
        ("utf8", b"0.000,a,,created,\n\n1.000,a,,queued,\xff\n", "4: not valid UTF-8"),
    ];
    for (name, rows, what) in cases {
        let d = tmp_run(name, Some(&[H.as_bytes(), rows].concat()), None);
        assert_eq!(fails(s(&d), &[]), format!("{}:{what}", s(&d.join("statuses.csv"))), "case {name}");
    }
    // Line numbers count real lines in files with \r\n endings and quoted newlines.
    let d = tmp_run(
        "crlf-line",
        Some(b"time,id,workflow,status,reason\r\n0,a,,created,\"x\r\ny\"\r\n\r\n2,b,,created\r\n"),
        None,
    );
    assert_eq!(
        fails(s(&d), &[]),
        format!("{}:5: 4 fields where the header has 5", s(&d.join("statuses.csv")))
    );

    let d = tmp_run("header", Some(b"time,id,state,reason\n0.000,a,created,\n"), None);
    assert_eq!(
        fails(s(&d), &[]),
        format!(
            "{}:1: the header lacks column `status` (expected time,id,workflow,status,reason)",
            s(&d.join("statuses.csv"))
        )
    );
    let d = tmp_run("empty-file", Some(b""), None);
    assert_eq!(
        fails(s(&d), &[]),
        format!(
            "{} is empty: it lacks even its header (time,id,workflow,status,reason)",
            s(&d.join("statuses.csv"))
        )
    );
    let d = tmp_run(
        "bad-ops",
        Some(b"time,id,workflow,status,reason\n0,a,,created,\n"),
        Some("id,status\na,created\nb\n"),
    );
    assert_eq!(fails(s(&d), &[]), format!("{}:3: 1 field where the header has 2", s(&d.join("ops.csv"))));
    let d =
        tmp_run("ops-header", Some(b"time,id,workflow,status,reason\n0,a,,created,\n"), Some("id,state\n"));
    assert_eq!(
        fails(s(&d), &[]),
        format!("{}:1: the header lacks column `id` or `status`", s(&d.join("ops.csv")))
    );
}

#[test]
fn help_teaches_each_option_with_an_example() {
    let o = run(&["ops", "statuses", "--help"]);
    assert!(o.status.success());
    let help = String::from_utf8(o.stdout).unwrap();
    for needle in [
        "--op train-3 --op",
        "--workflow nightly",
        "--status failed",
        "--format csv > failed.csv",
        "schedlab ops statuses out/quickstart --op train-3",
        "how long it stayed in the",
    ] {
        assert!(help.contains(needle), "help lacks `{needle}`:\n{help}");
    }
}
