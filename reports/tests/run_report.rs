//! `render_run` on fixture run directories: every chart drawn in both formats, and a
//! self-contained, well-formed report.

mod common;

use std::fs;

use common::*;
use schedlab_reports::render_run;

const CHARTS: [&str; 9] = [
    "utilisation_cpu",
    "utilisation_gpu",
    "queue_lengths",
    "wait_cdf_queue",
    "wait_cdf_priority",
    "preemptions",
    "cost_queue",
    "cost_project",
    "gantt",
];

#[test]
fn a_run_gets_every_chart_and_a_report() {
    let dir = run_dir("full");
    let written = render_run(&dir).unwrap();
    for name in CHARTS {
        let png = dir.join("charts").join(format!("{name}.png"));
        let svg = dir.join("charts").join(format!("{name}.svg"));
        assert!(written.contains(&png), "{name}.png not reported");
        assert!(written.contains(&svg), "{name}.svg not reported");
        let h = if name == "gantt" { None } else { Some(700) };
        assert_png_drawn(&png, 1200, h);
        let text = assert_svg(&svg);
        assert!(!text.contains("no data"), "{name} says no data");
    }
    // Nothing left half-written.
    for e in fs::read_dir(dir.join("charts")).unwrap() {
        let n = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!n.starts_with('.'), "temporary file left: {n}");
    }

    let html = fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(written.contains(&dir.join("report.html")));
    assert_well_formed(&html);
    assert_self_contained(&html);
    assert!(html.contains("<title>schedlab report: fixture-run</title>"));
    for name in CHARTS {
        assert!(html.contains(&format!("id=\"chart-{name}\"")), "{name} not in report");
    }
    assert_eq!(html.matches("<svg").count(), CHARTS.len());
    // Tables, the escaped scenario text, how to reproduce, new summary keys.
    for needle in [
        "Per queue",
        "Per priority level",
        "Cost per queue",
        "Cost per project",
        "jain_slowdown",
        "default (highest)",
        "# fixture: &lt;queues&gt; &amp; &quot;quotes&quot;",
        "schedlab run scenarios/fixture-run.toml --seed 7",
        "sha256:abc123",
        "a_future_metric",
    ] {
        assert!(html.contains(needle), "report lacks {needle}");
    }
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn preemptions_and_costs_are_charted_from_the_csvs() {
    let dir = run_dir("content");
    render_run(&dir).unwrap();
    let svg = fs::read_to_string(dir.join("charts/preemptions.svg")).unwrap();
    assert!(svg.contains("Preempted attempts"));
    assert!(svg.contains("preempted") && svg.contains("failed"));
    let svg = fs::read_to_string(dir.join("charts/cost_project.svg")).unwrap();
    assert!(svg.contains("vision") && svg.contains("nlp"));
    let svg = fs::read_to_string(dir.join("charts/wait_cdf_priority.svg")).unwrap();
    assert!(svg.contains("priority 10") && svg.contains("priority 1 ") && svg.contains("default (highest)"));
    let svg = fs::read_to_string(dir.join("charts/gantt.svg")).unwrap();
    for n in ["n0", "n3", "hi", "lo", "batch", "work lost"] {
        assert!(svg.contains(n), "gantt lacks {n}");
    }
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn an_empty_run_says_no_data() {
    let dir = empty_run_dir("empty");
    let written = render_run(&dir).unwrap();
    assert!(!written.is_empty());
    for p in written.iter().filter(|p| p.extension().is_some_and(|e| e == "png")) {
        let (w, _, _, ink) = png_stats(p);
        assert_eq!(w, 1200);
        assert!(ink > 0.001, "{} is blank", p.display());
    }
    let svg = fs::read_to_string(dir.join("charts/wait_cdf_queue.svg")).unwrap();
    assert!(svg.contains("no data"));
    let svg = fs::read_to_string(dir.join("charts/preemptions.svg")).unwrap();
    assert!(svg.contains("no preemptions"));
    let html = fs::read_to_string(dir.join("report.html")).unwrap();
    assert_well_formed(&html);
    assert_self_contained(&html);
    assert!(html.contains("summary.json was not found"));
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_directory_with_no_files_at_all_still_renders() {
    let dir = temp_dir("bare");
    render_run(&dir).unwrap();
    assert_well_formed(&fs::read_to_string(dir.join("report.html")).unwrap());
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn odd_values_do_not_panic() {
    let dir = run_dir("odd");
    // Zero capacity (NaN utilisation), garbage numbers, negative times, a zero-length op.
    write(
        &dir,
        "timeseries.csv",
        "time,util:cpu,util:gpu:hi,queued:hi\n0,NaN,,x\n-5,inf,0.5,2\n10,0,abc,1\n10,0,0,0\n",
    );
    write(
        &dir,
        "ops.csv",
        "id,queue,project,start,end,wait,cost\na,hi,p,5,5,0,3\nb,hi,,,,,2\nc,nowhere,p,1,0,-1,1\n",
    );
    write(&dir, "summary.json", "{\"scenario\": \"odd <run>\", \"makespan\": null}");
    render_run(&dir).unwrap();
    let html = fs::read_to_string(dir.join("report.html")).unwrap();
    assert_well_formed(&html);
    assert!(html.contains("odd &lt;run&gt;"));
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn utilisation_falls_back_to_the_total_line() {
    let dir = run_dir("fallback");
    write(
        &dir,
        "timeseries.csv",
        "time,queued:hi,running:hi,util:cpu\n0,1,0,0.1\n60,0,1,0.5\n120,0,1,0.7\n180,0,0,0.2\n",
    );
    render_run(&dir).unwrap();
    let svg = assert_svg(&dir.join("charts/utilisation_cpu.svg"));
    assert!(svg.contains("no per-queue data"));
    assert!(!dir.join("charts/utilisation_gpu.svg").exists());
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn the_gantt_chart_is_skipped_for_large_runs() {
    let dir = run_dir("big");
    let mut nodes = String::from("node,agent,pool,cpu,mem_mib,gpu,labels,cost_per_hour,tpu\n");
    for i in 0..65 {
        nodes.push_str(&format!("n{i},a,p,1,1,0,,0,0\n"));
    }
    write(&dir, "nodes.csv", &nodes);
    let written = render_run(&dir).unwrap();
    assert!(!written.iter().any(|p| p.ends_with("gantt.png")));
    let html = fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("Gantt chart of nodes skipped: this run has 65 nodes"));
    let _ = fs::remove_dir_all(&dir);
}

/// Renders a real run directory: `SCHEDLAB_RUN_DIR=/tmp/q cargo test -p schedlab-reports
/// -- --ignored render_a_real_run`.
#[test]
#[ignore]
fn render_a_real_run() {
    let Ok(dir) = std::env::var("SCHEDLAB_RUN_DIR") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let written = render_run(&dir).unwrap();
    for p in &written {
        println!("{}", p.display());
    }
    assert_well_formed(&fs::read_to_string(dir.join("report.html")).unwrap());
}
