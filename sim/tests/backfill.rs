//! EASY backfilling against first-come first-served on a real log: the KTH IBM SP2 trace from
//! the Parallel Workloads Archive (27,992 jobs, every one with a requested time).

use std::path::Path;

use schedlab_sim::engine::{self, RunOptions};
use schedlab_sim::sweep::{overrides, Override};
use schedlab_sim::{metrics, workload};

fn run(backfill: &str) -> metrics::Summary {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/kth-sp2.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let o = [Override { key: "policy.backfill".into(), raw: format!("\"{backfill}\"") }];
    let scenario = overrides::apply(&text, &path, &o).unwrap();
    assert_eq!(scenario.backfill, backfill);
    let w = workload::load(&scenario, scenario.seed).unwrap();
    let run = engine::run(&scenario, w, RunOptions { samples: false, statuses: false, progress: None });
    metrics::summarise(&scenario, &run, scenario.seed, b"")
}

#[test]
fn easy_backfilling_beats_fcfs_on_the_kth_sp2_log() {
    let fcfs = run("off");
    let easy = run("easy");
    for (name, s) in [("FCFS", &fcfs), ("EASY", &easy)] {
        println!(
            "KTH SP2, {name}: {} jobs, mean wait {:.0} s, mean bounded slowdown {:.2}, utilisation {:.3}",
            s.timing.wait.count, s.timing.wait.mean, s.timing.bounded_slowdown.mean, s.utilisation["cpu"]
        );
    }
    assert_eq!(fcfs.operations["succeeded"], 27_992);
    assert_eq!(easy.operations["succeeded"], 27_992);
    assert!(easy.timing.wait.mean < fcfs.timing.wait.mean / 2.0);
    assert!(easy.timing.bounded_slowdown.mean < fcfs.timing.bounded_slowdown.mean / 2.0);
}
