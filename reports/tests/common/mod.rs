//! Fixtures for the report tests: small run, comparison and sweep directories written from
//! scratch, so the tests do not depend on the simulator; and checks of what was drawn.

#![allow(dead_code)]

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

/// A fresh, empty directory under the system temp dir, unique per test.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("schedlab-reports-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn write(dir: &Path, file: &str, text: &str) {
    fs::write(dir.join(file), text).unwrap();
}

pub const QUEUES: [&str; 3] = ["hi", "lo", "batch"];

/// A small run with three queues on three priority levels (one the default), preemptions,
/// a failure, a still-running operation, a rejected one, and extra columns everywhere.
pub fn run_dir(name: &str) -> PathBuf {
    let dir = temp_dir(name);
    write(
        &dir,
        "queues.csv",
        "queue,agent,priority,concurrency,quota_cpu,quota_mem_mib,quota_gpu,quota_cost,quota_tpu\n\
         hi,a,10,,,,,,\n\
         lo,a,1,4,,,8,,\n\
         batch,a,,,,,,,\n",
    );
    let mut nodes = String::from("node,agent,pool,cpu,mem_mib,gpu,labels,cost_per_hour,tpu\n");
    for i in 0..4 {
        nodes.push_str(&format!("n{i},a,gpu,16,65536,4,zone=a,3.5,0\n"));
    }
    write(&dir, "nodes.csv", &nodes);

    let mut ops = String::from(
        "id,workflow,controller,queue,agent,project,priority,status,submit,queued,start,end,wait,node,cpu,mem_mib,gpu,attempts,preemptions,cost,duration,reason,extra\n",
    );
    let mut attempts = String::from("id,attempt,node,start,end,outcome,extra\n");
    for i in 0..24 {
        let q = QUEUES[i % 3];
        let project = if i % 2 == 0 { "vision" } else { "nlp" };
        let submit = i as f64 * 100.0;
        let wait = (i % 5) as f64 * 120.0 + (i % 3) as f64 * 30.0;
        let start = submit + wait;
        let end = start + 600.0 + (i % 4) as f64 * 300.0;
        let node = format!("n{}", i % 4);
        let preempted = i % 7 == 3;
        if preempted {
            attempts.push_str(&format!("op{i},1,{node},{submit:.3},{:.3},preempted,x\n", submit + 50.0));
        }
        if i == 10 {
            attempts.push_str(&format!("op{i},1,{node},{submit:.3},{:.3},failed,x\n", submit + 20.0));
        }
        let (end_s, status) =
            if i == 23 { (String::new(), "running") } else { (format!("{end:.3}"), "succeeded") };
        attempts.push_str(&format!(
            "op{i},{},{node},{start:.3},{end_s},{},x\n",
            if preempted { 2 } else { 1 },
            if i == 23 { "" } else { "succeeded" }
        ));
        ops.push_str(&format!(
            "op{i},,,{q},a,{project},0,{status},{submit:.3},{submit:.3},{start:.3},{end_s},{wait:.3},{node},4,16384,1,1,{},{:.4},{:.3},,x\n",
            u8::from(preempted),
            0.5 + i as f64 * 0.1,
            end - start
        ));
    }
    ops.push_str("bad,,,lo,a,vision,0,rejected,5.000,,,,,,64,1,9,0,0,0,,no node fits,x\n");
    write(&dir, "ops.csv", &ops);
    write(&dir, "attempts.csv", &attempts);

    let mut header = vec!["time".to_string()];
    for kind in ["queued", "running"] {
        for q in QUEUES {
            header.push(format!("{kind}:{q}"));
        }
    }
    header.push("util:cpu".into());
    header.push("util:gpu".into());
    for r in ["cpu", "gpu"] {
        for q in QUEUES {
            header.push(format!("util:{r}:{q}"));
        }
    }
    for q in QUEUES {
        header.push(format!("cost_rate:{q}"));
    }
    header.push("extra".into());
    let mut ts = header.join(",") + "\n";
    for k in 0..=60 {
        let t = k as f64 * 60.0;
        let phase = (k as f64 / 6.0).sin().abs();
        let per_q = [0.2 * phase, 0.15 + 0.1 * phase, 0.1];
        let mut row = vec![format!("{t:.3}")];
        for (i, _) in QUEUES.iter().enumerate() {
            row.push(format!("{}", (k + i) % 4));
        }
        for (i, _) in QUEUES.iter().enumerate() {
            row.push(format!("{}", (k / 3 + i) % 3));
        }
        let total: f64 = per_q.iter().sum();
        row.push(format!("{total:.4}"));
        row.push(format!("{:.4}", total * 0.8));
        for scale in [1.0, 0.8] {
            for v in per_q {
                row.push(format!("{:.4}", v * scale));
            }
        }
        for v in per_q {
            row.push(format!("{:.4}", v * 10.0));
        }
        row.push("x".into());
        ts.push_str(&(row.join(",") + "\n"));
    }
    write(&dir, "timeseries.csv", &ts);
    write(&dir, "summary.json", &summary_json("fixture-run", 600.0, 1.0));
    write(&dir, "scenario.toml", "# fixture: <queues> & \"quotes\"\nname = \"fixture-run\"\nseed = 7\n");
    dir
}

/// A `summary.json` like the simulator's; `wait` scales the waits, `cost` the costs.
pub fn summary_json(scenario: &str, wait: f64, cost: f64) -> String {
    let dist = |m: f64| {
        format!(
            "{{\"count\": 23, \"mean\": {m}, \"p50\": {}, \"p95\": {}, \"p99\": {}, \"max\": {}}}",
            m * 0.8,
            m * 2.0,
            m * 2.5,
            m * 3.0
        )
    };
    let queue = |name: &str, prio: &str, f: f64| {
        format!(
            "{{\"queue\": \"{name}\", \"agent\": \"a\", \"priority\": {prio}, \"submitted\": 8, \"succeeded\": 8, \"rejected\": 0, \
             \"wait\": {}, \"jct\": {}, \"bounded_slowdown\": {}, \"mean_queued\": 0.5, \"max_queued\": 3, \"cost\": {}, \
             \"share\": 0.33, \"entitlement\": 0.333333}}",
            dist(wait * f),
            dist(wait * f + 900.0),
            dist(1.5 * f),
            3.0 * cost * f
        )
    };
    format!(
        r#"{{
  "schedlab_version": "0.1.0",
  "scenario": "{scenario}",
  "scenario_file": "scenarios/{scenario}.toml",
  "scenario_hash": "sha256:abc123",
  "seed": 7,
  "dispatch": "priority",
  "placement": "first-fit",
  "nodes": 4,
  "operations": {{"succeeded": 23, "running": 1, "rejected": 1, "failed": 0}},
  "submitted": 25,
  "unfinished": 1,
  "horizon_reached": false,
  "makespan": 3600.0,
  "events": 120,
  "wait": {},
  "jct": {},
  "bounded_slowdown": {},
  "utilisation": {{"cpu": 0.41, "gpu": {}}},
  "mean_queued": 1.2,
  "max_queued": 5,
  "preemptions": 4,
  "wasted_work": 220.0,
  "cost": {{"total": {}, "per_queue": {{"hi": {}, "lo": {}, "batch": {}}}, "per_project": {{"vision": {}, "nlp": {}}}}},
  "fairness": {{"jain_slowdown": {}, "jain_share": 0.97}},
  "per_queue": [{}, {}, {}],
  "per_priority": [{{"priority": null, "succeeded": 8, "wait": {}, "jct": {}, "bounded_slowdown": {}}},
                   {{"priority": 10, "succeeded": 8, "wait": {}, "jct": {}, "bounded_slowdown": {}}}],
  "a_future_metric": 42.5
}}
"#,
        dist(wait),
        dist(wait + 900.0),
        dist(1.8),
        0.5 + wait / 10_000.0,
        9.0 * cost,
        3.0 * cost,
        3.0 * cost,
        3.0 * cost,
        5.0 * cost,
        4.0 * cost,
        1.0 / (1.0 + wait / 1000.0),
        queue("hi", "10", 0.5),
        queue("lo", "1", 1.5),
        queue("batch", "null", 1.0),
        dist(wait),
        dist(wait + 900.0),
        dist(1.2),
        dist(wait * 0.5),
        dist(wait + 400.0),
        dist(1.1),
    )
}

/// A run directory whose CSVs have headers and nothing else, and no summary.json.
pub fn empty_run_dir(name: &str) -> PathBuf {
    let dir = temp_dir(name);
    write(&dir, "ops.csv", "id,workflow,controller,queue,agent,project,priority,status,submit,queued,start,end,wait,node,cpu,mem_mib,gpu,attempts,preemptions,cost,duration,reason\n");
    write(&dir, "attempts.csv", "id,attempt,node,start,end,outcome\n");
    write(&dir, "nodes.csv", "node,agent,pool,cpu,mem_mib,gpu,labels,cost_per_hour,tpu\n");
    write(
        &dir,
        "queues.csv",
        "queue,agent,priority,concurrency,quota_cpu,quota_mem_mib,quota_gpu,quota_cost,quota_tpu\n",
    );
    write(&dir, "timeseries.csv", "time\n");
    dir
}

/// Decodes a PNG: `(width, height, distinct colours, fraction of non-white pixels)`.
pub fn png_stats(path: &Path) -> (u32, u32, usize, f64) {
    let decoder = png::Decoder::new(fs::File::open(path).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let bytes = &buf[..info.buffer_size()];
    let channels = info.color_type.samples();
    let mut colours = HashSet::new();
    let mut ink = 0usize;
    let px = bytes.chunks(channels);
    let n = (info.width * info.height) as usize;
    for p in px {
        let rgb = (p[0], p[1], p.get(2).copied().unwrap_or(p[0]));
        colours.insert(rgb);
        if rgb != (255, 255, 255) {
            ink += 1;
        }
    }
    (info.width, info.height, colours.len(), ink as f64 / n as f64)
}

/// Checks a PNG is the given size and visibly drawn (text, axes, colours).
pub fn assert_png_drawn(path: &Path, w: u32, h: Option<u32>) {
    let (pw, ph, colours, ink) = png_stats(path);
    assert_eq!(pw, w, "{}", path.display());
    if let Some(h) = h {
        assert_eq!(ph, h, "{}", path.display());
    }
    assert!(colours >= 20, "{}: only {colours} colours", path.display());
    assert!(ink > 0.01, "{}: only {ink:.4} of pixels drawn", path.display());
}

/// Checks an SVG looks like plotters' output with text, and parses as XML.
pub fn assert_svg(path: &Path) -> String {
    let s = fs::read_to_string(path).unwrap();
    assert!(s.trim_start().starts_with("<svg"), "{}", path.display());
    assert!(s.contains("<text"), "{}: no text", path.display());
    assert_well_formed(&s);
    s
}

/// Parses `doc` as XML (the HTML pages are XHTML-compatible): every element closed and
/// matching, attributes quoted, entities valid. Returns the element names seen.
pub fn assert_well_formed(doc: &str) -> Vec<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(doc);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<String> = Vec::new();
    let mut seen = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                for a in e.attributes() {
                    a.unwrap_or_else(|err| panic!("bad attribute in <{name}>: {err}"));
                }
                seen.push(name.clone());
                stack.push(name);
            }
            Ok(Event::Empty(e)) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                for a in e.attributes() {
                    a.unwrap_or_else(|err| panic!("bad attribute in <{name}/>: {err}"));
                }
                seen.push(name);
            }
            Ok(Event::End(e)) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                assert_eq!(stack.pop().as_deref(), Some(name.as_str()), "unbalanced </{name}>");
            }
            Ok(Event::Text(t)) => {
                t.unescape().expect("text with a bad entity");
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("not well-formed at byte {}: {e}", reader.error_position()),
        }
    }
    assert!(stack.is_empty(), "unclosed elements: {stack:?}");
    seen
}

/// Checks a page is self-contained: nothing fetched, nothing run.
pub fn assert_self_contained(html: &str) {
    let lower = html.to_ascii_lowercase();
    for bad in
        ["src=\"http", "src='http", "href=\"http", "href='http", "<script", "<link", "@import", "url(http"]
    {
        assert!(!lower.contains(bad), "page contains {bad}");
    }
}
