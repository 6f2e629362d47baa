//! Sweeps and plans: determinism across thread counts, shard + merge, and a known answer.

use std::path::{Path, PathBuf};

use schedlab_sim::sweep::{self, files, plan, Shard, SweepSpec, Target};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("schedlab-sweep-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn spec(threads: usize, shard: Option<Shard>) -> SweepSpec {
    SweepSpec {
        vary: vec![
            ("pools.cpu.nodes".into(), vec!["2".into(), "3".into(), "4".into()]),
            ("policy.placement".into(), vec!["first-fit".into(), "best-fit".into()]),
        ],
        replicas: 3,
        shard,
        threads: Some(threads),
    }
}

fn bytes(dir: &Path) -> Vec<Vec<u8>> {
    ["sweep.csv", "sweep_summary.csv", "sweep.json"]
        .iter()
        .map(|f| std::fs::read(dir.join(f)).unwrap())
        .collect()
}

#[test]
fn identical_at_one_and_two_threads() {
    let path = data("noisy.toml");
    let a = sweep::run(&path, &spec(1, None), &|| {}).unwrap();
    let b = sweep::run(&path, &spec(2, None), &|| {}).unwrap();
    assert_eq!(a.rows.len(), 18);
    let (da, db) = (tmp("t1"), tmp("t2"));
    files::write(&da, &a).unwrap();
    files::write(&db, &b).unwrap();
    assert_eq!(bytes(&da), bytes(&db));
    // Replicas really differ (different seeds), and points share seeds per replica.
    let r0: Vec<u64> = a.rows.iter().filter(|r| r.replica == 0).map(|r| r.seed).collect();
    assert!(r0.windows(2).all(|w| w[0] == w[1]));
    let waits: Vec<f64> = a
        .rows
        .iter()
        .filter(|r| r.point == 0)
        .map(|r| r.metrics.iter().find(|m| m.0 == "wait_mean").unwrap().1)
        .collect();
    assert!(waits[0] != waits[1] || waits[1] != waits[2], "replicas should differ: {waits:?}");
}

#[test]
fn shards_merge_into_the_unsharded_files() {
    let path = data("noisy.toml");
    let whole = sweep::run(&path, &spec(2, None), &|| {}).unwrap();
    let dw = tmp("whole");
    files::write(&dw, &whole).unwrap();
    let mut dirs = Vec::new();
    for i in 0..3 {
        let part = sweep::run(&path, &spec(1, Some(Shard { index: i, count: 3 })), &|| {}).unwrap();
        assert_eq!(part.rows.len(), 6);
        let d = tmp(&format!("shard{i}"));
        files::write(&d, &part).unwrap();
        dirs.push(d);
    }
    let merged = sweep::merge(&dirs).unwrap();
    let dm = tmp("merged");
    files::write(&dm, &merged).unwrap();
    assert_eq!(bytes(&dw), bytes(&dm));
    // A missing shard is reported, not silently merged.
    let e = sweep::merge(&dirs[..2]).unwrap_err();
    assert!(e.contains("some shards are missing"), "{e}");
}

#[test]
fn plan_finds_the_known_answer() {
    let target = Target::parse("p95_wait<=100").unwrap();
    let mut seen = Vec::new();
    let p = plan::plan(&data("waves.toml"), "pools.cpu.nodes", (1, 100), &target, 2, &mut |pr| {
        seen.push(pr.value)
    })
    .unwrap();
    let a = p.answer.expect("an answer");
    assert_eq!(a.value, 48);
    assert_eq!(a.estimate.mean, 100.0);
    assert_eq!(seen[0], 100, "the top of the range is probed first");
    assert!(seen.len() <= 10, "binary search, not a scan: {seen:?}");
    // 47 nodes miss it: operation 94 starts at 200 s.
    assert!(p.probes.iter().any(|pr| pr.value == 47 && !pr.meets && pr.estimate.mean == 200.0));
    // An unreachable target has no answer.
    let none = plan::plan(&data("waves.toml"), "pools.cpu.nodes", (1, 10), &target, 1, &mut |_| {}).unwrap();
    assert!(none.answer.is_none());
}
