//! End-to-end tests: the `schedlab` binary on scenario files, checking the files it writes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_schedlab"))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("schedlab-e2e-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(args: &[&str]) -> Output {
    bin().args(args).current_dir(root()).output().expect("runs")
}

fn ok(args: &[&str]) -> String {
    let o = run(args);
    assert!(o.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

/// Runs and expects failure with a one-line error on stderr; returns it.
fn fails(args: &[&str]) -> String {
    let o = run(args);
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(!o.status.success(), "{args:?} should fail");
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one-line error expected, got: {err}");
    assert!(err.starts_with("error: "), "{err}");
    err.trim_end().to_string()
}

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect();
    (header, rows)
}

fn col(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

#[test]
fn quickstart_writes_every_file_with_the_documented_columns() {
    let out = tmp("quickstart");
    let stdout = ok(&["run", "scenarios/quickstart.toml", "--out", out.to_str().unwrap()]);
    assert!(stdout.contains("quickstart") && stdout.contains("utilisation"), "{stdout}");
    let expect: &[(&str, &[&str])] = &[
        (
            "ops.csv",
            &[
                "id",
                "workflow",
                "controller",
                "queue",
                "agent",
                "project",
                "priority",
                "status",
                "submit",
                "queued",
                "start",
                "end",
                "wait",
                "node",
                "cpu",
                "mem_mib",
                "gpu",
                "attempts",
                "preemptions",
                "cost",
            ],
        ),
        ("attempts.csv", &["id", "attempt", "node", "start", "end", "outcome"]),
        ("nodes.csv", &["node", "agent", "pool", "cpu", "mem_mib", "gpu", "labels", "cost_per_hour"]),
        (
            "queues.csv",
            &[
                "queue",
                "agent",
                "priority",
                "concurrency",
                "quota_cpu",
                "quota_mem_mib",
                "quota_gpu",
                "quota_cost",
            ],
        ),
        ("workflows.csv", &["workflow", "controller", "concurrency"]),
        ("timeseries.csv", &["time", "queued:batch", "running:training", "util:cpu", "util:gpu"]),
        ("statuses.csv", &["time", "id", "workflow", "status", "reason"]),
    ];
    for (file, cols) in expect {
        let (header, rows) = read_csv(&out.join(file));
        for c in *cols {
            assert!(header.iter().any(|h| h == c), "{file} lacks column {c}: {header:?}");
        }
        assert!(!rows.is_empty(), "{file} is empty");
    }
    let (h, ops) = read_csv(&out.join("ops.csv"));
    assert_eq!(ops.len(), 105);
    assert!(ops.iter().all(|r| r[col(&h, "status")] == "succeeded"));
    let (_, nodes) = read_csv(&out.join("nodes.csv"));
    assert_eq!(nodes.len(), 12);
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    for key in [
        "seed",
        "scenario_hash",
        "schedlab_version",
        "wait",
        "jct",
        "bounded_slowdown",
        "utilisation",
        "cost",
        "fairness",
    ] {
        assert!(summary.get(key).is_some(), "summary.json lacks {key}");
    }
    assert_eq!(summary["seed"], 42);
    assert_eq!(summary["operations"]["succeeded"], 105);
    // The nested ETL workflow is controlled by nightly-etl.
    let (wh, wfs) = read_csv(&out.join("workflows.csv"));
    let extract = wfs.iter().find(|r| r[0] == "etl-extract").unwrap();
    assert_eq!(extract[col(&wh, "controller")], "nightly-etl");
    // No temporary files are left behind.
    assert!(std::fs::read_dir(&out).unwrap().all(|e| !e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .starts_with('.')));
}

#[test]
fn hand_computed_scenario_starts_exactly_when_expected() {
    let out = tmp("hand");
    ok(&["run", "tests/data/hand.toml", "--out", out.to_str().unwrap(), "--quiet"]);
    let (h, rows) = read_csv(&out.join("ops.csv"));
    let get = |id: &str, c: &str| rows.iter().find(|r| r[0] == id).unwrap()[col(&h, c)].clone();
    // One 4-CPU node. a1 (lo) starts at once; at 100 the `hi` level (a3) goes before a2,
    // submitted earlier on `lo`; a4 has no queue and takes project p's default, `lo`.
    assert_eq!(get("a1", "start"), "0.000");
    assert_eq!(get("a3", "start"), "100.000");
    assert_eq!(get("a2", "start"), "150.000");
    assert_eq!(get("a4", "start"), "250.000");
    assert_eq!(get("a4", "queue"), "lo");
    // Rejections, with their reasons.
    assert_eq!(get("a5", "status"), "rejected");
    assert_eq!(get("a5", "reason"), "project `r` may not use queue `hi` (allowed: lo)");
    assert_eq!(get("a6", "status"), "rejected");
    assert_eq!(get("a6", "reason"), "unknown queue `nope`");
    // Controller `ctl` (concurrency 1) holds back `inner` (concurrency 2).
    assert_eq!(get("w1", "start"), "300.000");
    assert_eq!(get("w2", "queued"), "310.000");
    assert_eq!(get("w2", "start"), "310.000");
    assert_eq!(get("w2", "controller"), "ctl");
    // Cost: a1 holds the whole 2.0/h node for 100 s.
    assert_eq!(get("a1", "cost"), "0.0556");
    let (ah, attempts) = read_csv(&out.join("attempts.csv"));
    assert_eq!(attempts.len(), 6);
    assert!(attempts.iter().all(|r| r[col(&ah, "outcome")] == "succeeded"));
    // a2's timeline: it waits on `lo` behind a1 and a3, then runs on the only node.
    let (sh, statuses) = read_csv(&out.join("statuses.csv"));
    let a2: Vec<String> = statuses
        .iter()
        .filter(|r| r[col(&sh, "id")] == "a2")
        .map(|r| format!("{} {} {}", r[col(&sh, "time")], r[col(&sh, "status")], r[col(&sh, "reason")]))
        .collect();
    assert_eq!(
        a2,
        [
            "10.000 created ",
            "10.000 compiled ",
            "10.000 queued ",
            "150.000 scheduled node node-0",
            "150.000 running ",
            "250.000 succeeded ",
        ]
    );
    // `ops statuses` prints the same timeline.
    let printed = ok(&["ops", "statuses", out.to_str().unwrap(), "--op", "a2"]);
    assert!(printed.contains("a2  final: succeeded"), "{printed}");
    assert!(printed.contains("scheduled") && printed.contains("node node-0"), "{printed}");
}

#[test]
fn same_seed_same_bytes_and_the_seed_matters() {
    let a = tmp("seed-a");
    let b = tmp("seed-b");
    let c = tmp("seed-c");
    for (dir, seed) in [(&a, "5"), (&b, "5"), (&c, "6")] {
        ok(&["run", "tests/data/generated.toml", "--out", dir.to_str().unwrap(), "--seed", seed, "--quiet"]);
    }
    for f in [
        "ops.csv",
        "attempts.csv",
        "nodes.csv",
        "queues.csv",
        "workflows.csv",
        "timeseries.csv",
        "statuses.csv",
        "summary.json",
    ] {
        assert_eq!(std::fs::read(a.join(f)).unwrap(), std::fs::read(b.join(f)).unwrap(), "{f} differs");
    }
    assert_ne!(std::fs::read(a.join("ops.csv")).unwrap(), std::fs::read(c.join("ops.csv")).unwrap());
}

#[test]
fn validate_prints_the_resolved_configuration() {
    let out = ok(&["validate", "scenarios/quickstart.toml"]);
    assert!(out.contains("nightly-etl (controller, concurrency 2)"), "{out}");
    assert!(out.contains("etl-extract (nested, concurrency 3)"), "{out}");
    assert!(out.contains("105 operations"), "{out}");
    assert!(out.contains("is valid"), "{out}");
}

#[test]
fn trace_stats_summarises_the_sample() {
    let out =
        ok(&["trace", "stats", "traces/data/quickstart.csv", "--scenario", "scenarios/quickstart.toml"]);
    assert!(out.contains("105"), "{out}");
    assert!(out.contains("offered load"), "{out}");
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn bad_input_gives_a_one_line_error_naming_the_place() {
    let d = tmp("bad");
    let base = std::fs::read_to_string(root().join("tests/data/hand.toml")).unwrap();
    std::fs::copy(root().join("tests/data/hand.csv"), d.join("hand.csv")).unwrap();

    let f = write(&d, "malformed.toml", &base.replace("nodes = 1", "nodes = = 1"));
    let e = fails(&["run", &f]);
    assert!(e.contains("malformed.toml:15:"), "{e}");

    let f = write(&d, "unknown_key.toml", &base.replace("priority = 10", "priority = 10\nprioritee = 3"));
    let e = fails(&["validate", &f]);
    assert!(e.contains("unknown_key.toml:24:1:") && e.contains("prioritee"), "{e}");

    let f = write(&d, "unknown_ref.toml", &base.replace("default_queue = \"lo\"", "default_queue = \"low\""));
    let e = fails(&["run", &f]);
    assert!(e.contains("unknown_ref.toml:32:17:") && e.contains("unknown queue `low`"), "{e}");

    let f = write(&d, "bad_concurrency.toml", &base.replace("concurrency = 2", "concurrency = 0"));
    let e = fails(&["run", &f]);
    assert!(e.contains("bad_concurrency.toml:45:15:") && e.contains("-1 for unlimited"), "{e}");

    let f = write(&d, "bad_policy.toml", &base.replace("dispatch = \"priority\"", "dispatch = \"lottery\""));
    let e = fails(&["run", &f]);
    assert!(e.contains("bad_policy.toml:6:12:") && e.contains("priority, fifo"), "{e}");

    std::fs::copy(root().join("tests/data/bad_number.csv"), d.join("bad_number.csv")).unwrap();
    let f = write(&d, "bad_trace.toml", &base.replace("hand.csv", "bad_number.csv"));
    let e = fails(&["run", &f]);
    assert!(e.contains("bad_number.csv:3:") && e.contains("duration") && e.contains("`ten`"), "{e}");

    let e = fails(&["run", "does/not/exist.toml"]);
    assert!(e.contains("does/not/exist.toml") && e.contains("cannot read"), "{e}");
    let e = fails(&["trace", "stats", "tests/data/bad_number.csv"]);
    assert!(e.contains(":3:"), "{e}");
}

#[test]
fn a_horizon_cuts_the_run_and_says_so() {
    let d = tmp("horizon");
    let text = std::fs::read_to_string(root().join("tests/data/hand.toml")).unwrap();
    std::fs::copy(root().join("tests/data/hand.csv"), d.join("hand.csv")).unwrap();
    let f = write(&d, "h.toml", &text.replace("seed = 1", "seed = 1\nhorizon = \"120s\""));
    ok(&["run", &f, "--out", d.join("out").to_str().unwrap(), "--quiet"]);
    let (h, rows) = read_csv(&d.join("out/ops.csv"));
    let status: Vec<(&str, &str)> =
        rows.iter().map(|r| (r[0].as_str(), r[col(&h, "status")].as_str())).collect();
    // w1 and w2 arrive after the horizon and are never submitted.
    assert_eq!(
        status,
        vec![
            ("a1", "succeeded"),
            ("a2", "queued"),
            ("a3", "running"),
            ("a4", "queued"),
            ("a5", "rejected"),
            ("a6", "rejected")
        ]
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("out/summary.json")).unwrap()).unwrap();
    assert_eq!(summary["horizon_reached"], true);
    assert_eq!(summary["unfinished"], 3);
    assert_eq!(summary["makespan"], 120.0);
    let (_, ts) = read_csv(&d.join("out/timeseries.csv"));
    assert_eq!(ts.last().unwrap()[0], "120.000");
}

#[test]
fn run_draws_charts_and_a_self_contained_report() {
    let out = tmp("report");
    ok(&["run", "tests/data/hand.toml", "--out", out.to_str().unwrap(), "--quiet"]);
    for chart in
        ["utilisation_cpu", "queue_lengths", "wait_cdf_queue", "wait_cdf_priority", "cost_queue", "gantt"]
    {
        for ext in ["png", "svg"] {
            let p = out.join(format!("charts/{chart}.{ext}"));
            assert!(
                std::fs::metadata(&p).map(|m| m.len() > 1000).unwrap_or(false),
                "{} missing or empty",
                p.display()
            );
        }
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("hand") && html.contains("<svg"), "report lacks the scenario or charts");
    for external in ["src=\"http", "href=\"http", "<script src", "<link "] {
        assert!(!html.contains(external), "report.html refers to external content: {external}");
    }
    // `schedlab report` redraws from the files alone.
    std::fs::remove_file(out.join("report.html")).unwrap();
    ok(&["report", out.to_str().unwrap()]);
    assert!(out.join("report.html").exists());
}

#[test]
fn sweep_shards_merge_and_plan_from_the_command_line() {
    let scenario = "sim/tests/data/noisy.toml";
    let whole = tmp("sweep-whole");
    let vary = ["--vary", "pools.cpu.nodes=2,3", "--vary", "policy.placement=first-fit,spread"];
    let mut args = vec!["sweep", scenario, "--replicas", "2", "--quiet", "--out", whole.to_str().unwrap()];
    args.extend(vary);
    ok(&args);
    assert!(whole.join("sweep.html").exists() && whole.join("charts/sweep_wait_mean.png").exists());
    let mut slices = Vec::new();
    for i in 0..2 {
        let d = tmp(&format!("sweep-slice{i}"));
        let shard = format!("{i}/2");
        let mut args =
            vec!["sweep", scenario, "--replicas", "2", "--quiet", "--shard", &shard, "--threads", "1"];
        args.extend(vary);
        args.extend(["--out", d.to_str().unwrap()]);
        ok(&args);
        slices.push(d);
    }
    let merged = tmp("sweep-merged");
    ok(&[
        "sweep",
        "merge",
        slices[0].to_str().unwrap(),
        slices[1].to_str().unwrap(),
        "--out",
        merged.to_str().unwrap(),
        "--quiet",
    ]);
    for f in ["sweep.csv", "sweep_summary.csv", "sweep.json"] {
        assert_eq!(
            std::fs::read(whole.join(f)).unwrap(),
            std::fs::read(merged.join(f)).unwrap(),
            "{f} differs"
        );
    }
    let e = fails(&["sweep", scenario, "--vary", "pools.gpu.nodes=1"]);
    assert!(e.contains("no `pools` entry named `gpu`"), "{e}");

    let plan_out = tmp("plan");
    let stdout = ok(&[
        "plan",
        "sim/tests/data/waves.toml",
        "--vary",
        "pools.cpu.nodes=1..100",
        "--target",
        "p95_wait<=100",
        "--replicas",
        "1",
        "--out",
        plan_out.to_str().unwrap(),
    ]);
    assert!(stdout.contains("answer: pools.cpu.nodes = 48"), "{stdout}");
    assert!(plan_out.join("charts/sweep_wait_p95.png").exists());
}

#[test]
fn the_sweep_manifest_is_an_indexed_job_using_the_completion_index() {
    let m = std::fs::read_to_string(root().join("deploy/sweep-indexed-job.yaml")).unwrap();
    for needle in ["kind: Job", "completionMode: Indexed", "JOB_COMPLETION_INDEX", "--shard", "sweep merge"] {
        assert!(m.contains(needle), "manifest lacks {needle}");
    }
}

#[test]
fn compare_runs_each_policy_on_the_same_workload() {
    let out = tmp("compare");
    let stdout = ok(&[
        "compare",
        "sim/tests/data/noisy.toml",
        "--policy",
        "priority",
        "--policy",
        "fifo/spread",
        "--policy",
        "small: pools.cpu.nodes=2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(stdout.contains("| small |"), "{stdout}");
    for dir in ["priority", "fifo_spread", "small"] {
        assert!(out.join(dir).join("summary.json").exists(), "{dir} run missing");
        assert!(out.join(dir).join("report.html").exists(), "{dir} report missing");
    }
    let (h, rows) = read_csv(&out.join("comparison.csv"));
    assert_eq!(rows.len(), 3);
    // Fewer nodes, same workload: waits can only grow.
    let wait = |label: &str| -> f64 {
        rows.iter().find(|r| r[0] == label).unwrap()[col(&h, "wait_mean")].parse().unwrap()
    };
    assert!(wait("small") > wait("priority"), "{} vs {}", wait("small"), wait("priority"));
    let md = std::fs::read_to_string(out.join("comparison.md")).unwrap();
    assert!(md.contains("★"), "{md}");
    assert!(out.join("comparison.html").exists() && out.join("charts/wait_by_policy.png").exists());
    // The same workload: every policy ran the same operations.
    let ids = |dir: &str| -> Vec<String> {
        read_csv(&out.join(dir).join("ops.csv")).1.into_iter().map(|r| r[0].clone()).collect()
    };
    assert_eq!(ids("priority"), ids("small"));
    let e = fails(&["compare", "sim/tests/data/noisy.toml", "--policy", "lottery"]);
    assert!(e.contains("unknown policy `lottery`"), "{e}");
}

#[test]
fn every_shipped_scenario_validates_and_runs() {
    for entry in std::fs::read_dir(root().join("scenarios")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let p = path.to_str().unwrap();
        ok(&["validate", p]);
        let out = tmp(&format!("shipped-{}", path.file_stem().unwrap().to_string_lossy()));
        ok(&["run", p, "--out", out.to_str().unwrap(), "--quiet"]);
        assert!(out.join("report.html").exists(), "{p}");
    }
    // The SP2 is built from its log's header: one node with MaxProcs = 100 processors.
    let v = ok(&["validate", "scenarios/kth-sp2.toml"]);
    assert!(v.contains("1 × cpu=100"), "{v}");
    assert!(v.contains("27992 operations"), "{v}");
    // The Philly scenario keeps one week of the trace (tmp() would empty the directory).
    let out = std::env::temp_dir().join(format!("schedlab-e2e-{}-shipped-philly-gpu", std::process::id()));
    let (_, ops) = read_csv(&out.join("ops.csv"));
    assert_eq!(ops.len(), 1549);
}

#[test]
fn traces_convert_between_formats() {
    let d = tmp("convert");
    let out = d.join("kth.csv");
    let stdout =
        ok(&["trace", "convert", "traces/data/KTH-SP2-1996-2.1-cln.swf.gz", "-o", out.to_str().unwrap()]);
    assert!(stdout.contains("wrote 27992 operations"), "{stdout}");
    let (h, rows) = read_csv(&out);
    assert_eq!(rows.len(), 27_992);
    assert_eq!(rows[0][col(&h, "id")], "15");
    assert!(!rows[0][col(&h, "estimate")].is_empty());
    // The converted file is a native trace: stats read it back.
    let s = ok(&["trace", "stats", out.to_str().unwrap()]);
    assert!(s.contains("27,992"), "{s}");
    // A CSV of any layout, through a column map.
    let t = ok(&[
        "trace",
        "stats",
        "traces/data/tiresias-60_job.csv",
        "--format",
        "csv",
        "--column",
        "submit=submit_time",
        "--column",
        "duration=duration",
        "--column",
        "gpu=num_gpu",
    ]);
    assert!(t.contains("60  (0 with dependencies, 60 asking for GPUs)"), "{t}");
    let e = fails(&[
        "trace",
        "stats",
        "traces/data/tiresias-60_job.csv",
        "--format",
        "csv",
        "--column",
        "submit=when",
    ]);
    assert!(e.contains("names `when` for submit"), "{e}");
    let e = fails(&["trace", "stats", "traces/data/quickstart.csv", "--format", "parquet"]);
    assert!(e.contains("unknown trace format `parquet`"), "{e}");
}

#[test]
fn scenario_trace_options_are_checked_with_positions() {
    let d = tmp("trace-options");
    let base = std::fs::read_to_string(root().join("scenarios/philly-gpu.toml"))
        .unwrap()
        .replace("../traces", &root().join("traces").display().to_string());
    let f = write(&d, "fmt.toml", &base.replace("format = \"philly\"", "format = \"phily\""));
    let e = fails(&["validate", &f]);
    assert!(e.contains("fmt.toml:") && e.contains("unknown trace format `phily`"), "{e}");
    let f = write(&d, "tr.toml", &base.replace("window = {", "windoe = {"));
    let e = fails(&["validate", &f]);
    assert!(e.contains("tr.toml:") && e.contains("windoe"), "{e}");
    // Compressing time raises the load: the same week in half the time waits longer.
    let f = write(
        &d,
        "fast.toml",
        &base.replace("[workload.transform]", "[workload.transform]\ntime_scale = 0.5"),
    );
    let (a, b) = (d.join("a"), d.join("b"));
    ok(&["run", &write(&d, "slow.toml", &base), "--out", a.to_str().unwrap(), "--quiet", "--no-report"]);
    ok(&["run", &f, "--out", b.to_str().unwrap(), "--quiet", "--no-report"]);
    let mean = |dir: &Path| -> f64 {
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
        v["wait"]["mean"].as_f64().unwrap()
    };
    assert!(mean(&b) > mean(&a), "{} vs {}", mean(&b), mean(&a));
}

#[test]
fn sharing_spot_and_gangs_run_from_a_scenario_and_bad_settings_are_named() {
    let out = tmp("shared-spot");
    ok(&["run", "scenarios/shared-spot.toml", "--out", out.to_str().unwrap(), "--quiet"]);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["operations"]["succeeded"], 1000);
    assert!(summary["node_losses"].as_u64().unwrap() > 0, "{}", summary["node_losses"]);
    let (h, attempts) = read_csv(&out.join("attempts.csv"));
    let (node, outcome) = (col(&h, "node"), col(&h, "outcome"));
    // Gangs hold two A100 nodes at once; spot reclaims end attempts as node failures.
    assert!(attempts.iter().any(|a| a[node].starts_with("gpu-a100-") && a[node].contains('+')));
    assert!(attempts.iter().any(|a| a[outcome] == "node_failure" && a[node].starts_with("spot-cpu-")));
    let v = ok(&["validate", "scenarios/shared-spot.toml"]);
    assert!(
        v.contains("cohort=ml") && v.contains("budget=900 per 86400.000 s") && v.contains("spot: 0.2"),
        "{v}"
    );

    let d = tmp("bad-sharing");
    let base = std::fs::read_to_string(root().join("scenarios/shared-spot.toml")).unwrap();
    for (name, from, to, expect) in [
        (
            "half_life",
            "half_life = \"12h\"",
            "half_life = \"12h\"\ndispatch_ = 1",
            "unknown field `dispatch_`",
        ),
        (
            "fair",
            "dispatch = \"fair-share\"",
            "dispatch = \"priority\"",
            "`half_life` applies only with dispatch = \"fair-share\"",
        ),
        ("spot", "spot = true\n", "", "`reclaims_per_hour` needs `spot = true`"),
        ("cohort", "cohort = \"ml\"               #", "#", "`borrowing_limit` needs a `cohort`"),
        (
            "budget",
            "budget = 200.0, ",
            "budget = -1.0, ",
            "expected `budget` to be a number greater than zero, got -1",
        ),
    ] {
        let f = write(&d, &format!("{name}.toml"), &base.replace(from, to));
        let e = fails(&["validate", &f]);
        assert!(e.contains(&format!("{name}.toml:")) && e.contains(expect), "{name}: {e}");
    }
}
