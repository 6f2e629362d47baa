//! Stats on a tiny hand-made trace, with every number worked out by hand.

use super::*;
use schedlab_policies::time::{MINUTE, SECOND};

fn rec(id: &str, submit: Time, duration: Time, cpu: u64, mem: u64, gpu: u64) -> TraceRecord {
    TraceRecord {
        id: id.into(),
        submit,
        duration,
        cpu_milli: cpu,
        mem_mib: mem,
        gpu,
        depends_on: vec![],
        ..Default::default()
    }
}

/// Four operations over 30 minutes: 2 h + 1 h + 0.5 h + 0.5 h of run time.
fn tiny() -> Vec<TraceRecord> {
    let mut rs = vec![
        rec("a", 0, 2 * HOUR, 2000, 4096, 0),
        rec("b", 10 * MINUTE, HOUR, 1000, 1024, 2),
        rec("c", 20 * MINUTE, 30 * MINUTE, 500, 512, 0),
        rec("d", 30 * MINUTE, 30 * MINUTE, 500, 2048, 1),
    ];
    rs[0].queue = Some("batch".into());
    rs[1].queue = Some("training".into());
    rs[2].queue = Some("batch".into());
    rs[1].workflow = Some("w".into());
    rs[3].depends_on = vec!["a".into()];
    rs[3].priority = Some(5);
    rs
}

#[test]
fn exact_numbers_on_a_tiny_trace() {
    let s = stats(&tiny());
    assert_eq!(s.count, 4);
    assert_eq!((s.first_submit, s.last_submit), (Some(0), Some(30 * MINUTE)));
    // 3 gaps in half an hour.
    assert_eq!(s.arrival_rate_per_hour, Some(6.0));
    let d = s.duration.clone().unwrap();
    assert_eq!((d.min, d.max), (30 * MINUTE, 2 * HOUR));
    // Sorted: 30m, 30m, 1h, 2h. Nearest rank: p50 → 2nd, p95/p99 → 4th.
    assert_eq!((d.p50, d.p95, d.p99), (30 * MINUTE, 2 * HOUR, 2 * HOUR));
    assert_eq!(d.mean, (4 * HOUR) as f64 / 4.0);
    assert_eq!(s.cpu_milli, ResourceSummary { mean: 1000.0, max: 2000 });
    assert_eq!(s.mem_mib, ResourceSummary { mean: 1920.0, max: 4096 });
    assert_eq!(s.gpu, ResourceSummary { mean: 0.75, max: 2 });
    assert_eq!(s.gpu_ops, 2);
    // 2×2 + 1×1 + 0.5×0.5 + 0.5×0.5 core-hours; 2×1 + 1×0.5 GPU-hours.
    assert_eq!(s.core_hours, 5.5);
    assert_eq!(s.gpu_hours, 2.5);
    let q: Vec<(Option<&str>, u64)> = s.per_queue.iter().map(|(k, &v)| (k.as_deref(), v)).collect();
    assert_eq!(q, [(None, 1), (Some("batch"), 2), (Some("training"), 1)]);
    assert_eq!(s.per_project.len(), 1);
    assert_eq!(s.per_workflow[&Some("w".to_string())], 1);
    assert_eq!(s.per_priority[&Some(5)], 1);
    assert_eq!(s.with_dependencies, 1);
}

#[test]
fn offered_load_over_the_arrival_window() {
    // 5.5 core-hours over half an hour on 4 cores: 5.5 / 2 = 2.75. 2.5 GPU-hours on 10 GPUs.
    let (cpu, gpu) = offered_load(&tiny(), 4000, 10);
    assert!((cpu - 2.75).abs() < 1e-12, "{cpu}");
    assert!((gpu - 0.5).abs() < 1e-12, "{gpu}");
    let (cpu, gpu) = offered_load(&tiny(), 0, 0);
    assert!(cpu.is_infinite() && gpu.is_infinite());
    // All at once: the window runs to the last end.
    let one = [rec("x", 0, HOUR, 1000, 0, 0)];
    assert_eq!(offered_load(&one, 2000, 1), (0.5, 0.0));
    assert_eq!(offered_load(&[], 2000, 1), (0.0, 0.0));
}

#[test]
fn display_is_aligned_and_complete() {
    let text = stats(&tiny()).to_string();
    assert!(text.starts_with("operations     4  (1 with dependencies, 2 asking for GPUs)\n"), "{text}");
    assert!(text.contains("submitted      0s to 30m  (span 30m, 6.0 per hour)"), "{text}");
    assert!(text.contains("duration       min 30m   p50 30m   mean 1h   p95 2h   p99 2h   max 2h"), "{text}");
    assert!(text.contains("total work     5.5 core-hours   2.5 GPU-hours"), "{text}");
    assert!(text.contains("  (default)"), "{text}");
    assert!(text.contains("  (none)"), "{text}");
    assert!(
        text.contains("queue          ops  share\n  (default)      1   25.0%\n  batch          2   50.0%\n"),
        "{text}"
    );
}

#[test]
fn empty_trace() {
    let s = stats(&[]);
    assert_eq!(s.count, 0);
    assert_eq!(s.duration, None);
    assert_eq!(s.to_string(), "operations     0\n");
    let one = stats(&[rec("x", 5 * SECOND, 0, 0, 0, 0)]);
    assert_eq!(one.arrival_rate_per_hour, None);
    assert!(!one.to_string().contains("per hour"));
}

#[test]
fn sample_trace_loads_a_quickstart_cluster_reasonably() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/quickstart.csv");
    let trace = crate::read_native(std::path::Path::new(path)).unwrap();
    // 8 CPU nodes of 16 cores plus 4 GPU nodes of 32 cores and 4 GPUs.
    let (cpu, gpu) = offered_load(&trace.records, (8 * 16 + 4 * 32) * 1000, 16);
    eprintln!("{}\ncpu load {cpu:.2}, gpu load {gpu:.2}", stats(&trace.records));
    assert!((0.3..1.0).contains(&cpu), "{cpu}");
    assert!((0.4..1.0).contains(&gpu), "{gpu}");
}

#[test]
fn long_groups_show_their_largest_entries_and_sum_the_rest() {
    // 25 projects: project p00 has 1 op, p01 2 ops, ... p24 25 ops.
    let mut recs = Vec::new();
    for p in 0..25u64 {
        for i in 0..=p {
            let mut r = rec(&format!("{p}-{i}"), 0, SECOND, 1000, 1, 0);
            r.project = Some(format!("p{p:02}"));
            recs.push(r);
        }
    }
    let text = stats(&recs).to_string();
    assert!(text.contains("p24") && text.contains("p05"), "{text}");
    assert!(!text.contains("p04"), "the five smallest are summed: {text}");
    // 1 + 2 + 3 + 4 + 5 = 15 operations in the five smallest projects.
    assert!(text.lines().any(|l| l.contains("+5 more") && l.contains("15")), "{text}");
}
