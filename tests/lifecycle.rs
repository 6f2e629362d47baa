//! End-to-end: the lifecycle features of a scenario and its trace, through the binary. The
//! status timeline of `tests/data/lifecycle.toml` is computed by hand (see the comments) and
//! checked line by line against `statuses.csv`.

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run_scenario(name: &str, scenario: &str) -> PathBuf {
    let out = std::env::temp_dir().join(format!("schedlab-lifecycle-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let o = Command::new(env!("CARGO_BIN_EXE_schedlab"))
        .args(["run", scenario, "--out", out.to_str().unwrap(), "--quiet", "--no-report"])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out
}

/// `statuses.csv` rows of one operation as `time status reason`.
fn timeline(statuses: &str, id: &str) -> Vec<String> {
    let mut r = csv::Reader::from_reader(statuses.as_bytes());
    r.records()
        .map(|x| x.unwrap())
        .filter(|x| &x[1] == id)
        .map(|x| format!("{} {} {}", &x[0], &x[3], &x[4]).trim_end().to_string())
        .collect()
}

fn lines(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn every_lifecycle_feature_follows_its_hand_computed_timeline() {
    let out = run_scenario("hand", "tests/data/lifecycle.toml");
    let s = std::fs::read_to_string(out.join("statuses.csv")).unwrap();
    let start = ["0.000 created", "0.000 compiled", "0.000 queued"];
    // prep: runs 0-100 and outputs rows=500.
    assert_eq!(
        timeline(&s, "prep")[3..],
        lines(&["0.000 scheduled node node-0", "0.000 running", "100.000 succeeded"])
    );
    // slow: times out after 50 s, retries after a 10 s backoff, times out again: failed.
    assert_eq!(
        timeline(&s, "slow"),
        lines(&[
            start[0],
            start[1],
            start[2],
            "0.000 scheduled node node-3",
            "0.000 running",
            "50.000 retrying timed out after 50s; retry 1 of 1 in 10s",
            "60.000 queued retry",
            "60.000 scheduled node node-3",
            "60.000 running",
            "110.000 failed timed out after 50s",
        ])
    );
    // long: stopped by the action at 30 s; the restart at 40 s is a new operation that runs
    // the whole 1000 s.
    assert_eq!(timeline(&s, "long").last().unwrap(), "30.000 stopped stopped on request");
    assert_eq!(
        timeline(&s, "long-restart"),
        lines(&[
            "40.000 created restart of operation 2",
            "40.000 compiled",
            "40.000 queued",
            "40.000 scheduled node node-1",
            "40.000 running",
            "1040.000 succeeded",
        ])
    );
    // prep-again: same component and inputs inside a workflow: waits for prep, then hits.
    assert_eq!(
        timeline(&s, "prep-again"),
        lines(&[
            "20.000 created",
            "20.000 compiled",
            "20.000 compiled waiting for operation 0 (same cache key)",
            "100.000 succeeded cache hit: operation 0",
        ])
    );
    // deploy-check: its condition reads prep's output (500 rows): false, skipped.
    assert_eq!(
        timeline(&s, "deploy-check"),
        lines(&[
            "20.000 created",
            "100.000 compiled",
            "100.000 skipped condition `ops.prep.outputs.rows > 1000` is false",
        ])
    );
    // deploy: waits for approval from 100; the approver answers after a constant 60 s.
    assert_eq!(
        timeline(&s, "deploy"),
        lines(&[
            "20.000 created",
            "100.000 compiled",
            "100.000 compiled waiting for approval",
            "160.000 compiled approved",
            "160.000 queued",
            "160.000 scheduled node node-0",
            "160.000 running",
            "170.000 succeeded",
        ])
    );
    // flaky: its queue fails every attempt (at a random point): one retry, then failed.
    let flaky: Vec<String> =
        timeline(&s, "flaky").iter().map(|l| l.split(' ').nth(1).unwrap().to_string()).collect();
    assert_eq!(
        flaky,
        lines(&[
            "created",
            "compiled",
            "queued",
            "scheduled",
            "running",
            "retrying",
            "queued",
            "scheduled",
            "running",
            "failed"
        ])
    );
    // Routes: `big` (500 GB) goes to queue big, `small` to the project's default.
    let ops = std::fs::read_to_string(out.join("ops.csv")).unwrap();
    let mut r = csv::Reader::from_reader(ops.as_bytes());
    let h = r.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    let get = |id: &str, c: &str| rows.iter().find(|x| &x[0] == id).unwrap()[col(c)].to_string();
    assert_eq!((get("big", "queue"), get("small", "queue")), ("big".into(), "main".into()));
    assert_eq!((get("flaky", "attempts"), get("prep-again", "attempts")), ("2".into(), "0".into()));
    // The summary counts operations per terminal status.
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let n = |s: &str| summary["operations"][s].as_u64().unwrap();
    assert_eq!((n("succeeded"), n("failed"), n("stopped"), n("skipped")), (6, 2, 1, 1));
}

#[test]
fn ops_statuses_prints_the_timeline_of_a_workflow() {
    let out = run_scenario("ops", "tests/data/lifecycle.toml");
    let o = Command::new(env!("CARGO_BIN_EXE_schedlab"))
        .args(["ops", "statuses", out.to_str().unwrap(), "--workflow", "pipe"])
        .output()
        .unwrap();
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(o.status.success(), "{text}");
    for want in ["prep-again", "cache hit: operation 0", "waiting for approval", "deploy-check", "skipped"] {
        assert!(text.contains(want), "{want} missing from:\n{text}");
    }
    assert!(!text.contains("long-restart"), "{text}");
}

/// Runs `schedlab run` on a copy of the lifecycle scenario with `trace` as its trace and
/// `extra` appended to the scenario; returns the one-line error.
fn run_error(name: &str, trace: &str, extra: &str) -> String {
    let dir = std::env::temp_dir().join(format!("schedlab-lifecycle-bad-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let scenario = std::fs::read_to_string(root().join("tests/data/lifecycle.toml")).unwrap();
    let scenario = scenario.replace("trace = \"lifecycle.csv\"", "trace = \"t.csv\"");
    std::fs::write(dir.join("s.toml"), format!("{scenario}{extra}")).unwrap();
    std::fs::write(dir.join("t.csv"), trace).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_schedlab"))
        .args(["run", dir.join("s.toml").to_str().unwrap(), "--out", dir.join("out").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    err.trim_end().to_string()
}

#[test]
fn bad_expressions_cycles_and_unknown_upstream_ids_are_clear_errors() {
    let ok_long = "long,0,1,4,1024,0,main,,\n";
    let head = "id,submit,duration,cpu,mem_mib,gpu,queue,depends_on,conditions\n";
    let e =
        run_error("expr", &format!("{head}{ok_long}a,0,1,4,1024,0,main,long,ops.long.status =! 'x'\n"), "");
    assert!(e.contains("t.csv:3: column `conditions`: character 17"), "{e}");
    let e =
        run_error("cycle", &format!("{head}{ok_long}a,0,1,4,1024,0,main,b,\nb,0,1,4,1024,0,main,a,\n"), "");
    assert!(e.contains("dependency cycle: a -> b -> a"), "{e}");
    let e = run_error("unknown", &format!("{head}{ok_long}a,0,1,4,1024,0,main,nope,\n"), "");
    assert!(e.contains("t.csv:3: column `depends_on`: unknown dependency `nope`"), "{e}");
    let e = run_error(
        "not-upstream",
        &format!("{head}{ok_long}a,0,1,4,1024,0,main,,ops.long.status == 'x'\n"),
        "",
    );
    assert!(e.contains("condition reads ops.long, but long is not an upstream"), "{e}");
    let e = run_error(
        "route",
        &format!("{head}{ok_long}"),
        "\n[[routes]]\nwhen = \"inputs.x >\"\nqueue = \"big\"\n",
    );
    // Line and column of the `>` inside the TOML string, past the lifecycle scenario's lines.
    let line = std::fs::read_to_string(root().join("tests/data/lifecycle.toml")).unwrap().lines().count() + 3;
    assert!(e.contains(&format!("s.toml:{line}:19: expected a value after `>`")), "{e}");
}
