//! `schedlab bench`: how fast the simulator replays large workloads.
//!
//! The benchmark cluster has 10,000 nodes (8,000 CPU nodes and 2,000 GPU nodes) and 16
//! queues over 4 priority levels; the workload is synthetic: Poisson arrivals offering 90% of
//! the CPU by default (`--load` changes it; above 1 queues grow and preemption has work to
//! do), log-normal run times, four request shapes. Each size is replayed `--repeat` times with
//! sampling off and no files written, and the fastest replay is reported: this measures the
//! kernel and the event loop.

use std::path::Path;
use std::time::Instant;

use schedlab_sim::engine::{self, RunOptions};
use schedlab_sim::{metrics, workload, Scenario};

use super::CmdResult;

#[derive(clap::Args)]
pub struct Args {
    /// Operation counts to replay, smallest first.
    #[arg(long = "ops", value_delimiter = ',', default_values_t = [100_000u64, 1_000_000])]
    pub ops: Vec<u64>,
    /// Placement policy to benchmark.
    #[arg(long, default_value = "first-fit")]
    pub placement: String,
    /// Dispatch policy to benchmark.
    #[arg(long, default_value = "priority")]
    pub dispatch: String,
    /// Offered CPU load as a fraction of the cluster: above 1, queues grow and preemption has
    /// work to do.
    #[arg(long, default_value_t = 0.9)]
    pub load: f64,
    /// Backfill mode to benchmark (off, best-effort, easy).
    #[arg(long, default_value = "off")]
    pub backfill: String,
    /// Preemption policy to benchmark (off, within-queue, lower-priority).
    #[arg(long, default_value = "off")]
    pub preemption: String,
    /// Sharing and cost: the queues form four cohorts with CPU quotas (borrowing and
    /// reclaiming), four of them have a daily budget, half the CPU nodes are spot capacity
    /// that gets reclaimed, and one operation in fifty is a 4-replica gang.
    #[arg(long)]
    pub sharing: bool,
    /// Seed of the synthetic workload.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write the benchmark scenario (of the first size) to this file and exit, to run or
    /// inspect it with the other commands.
    #[arg(long, value_name = "FILE")]
    pub write_scenario: Option<std::path::PathBuf>,
    /// Replays per size; the fastest is reported (the others absorb noise from the machine).
    #[arg(long, default_value_t = 3)]
    pub repeat: u32,
}

/// The benchmark scenario with `ops` operations.
pub fn scenario_text(ops: u64, args: &Args) -> String {
    let (dispatch, placement, preemption, backfill, load) =
        (&args.dispatch, &args.placement, &args.preemption, &args.backfill, args.load);
    // With --sharing, half the CPU nodes are spot capacity (reclaimed every 50 hours per node).
    let cpu_nodes = if args.sharing { 4000 } else { 8000 };
    let spot = if args.sharing {
        "\n[[pools]]\nname = \"spot\"\nagent = \"cluster\"\nnodes = 4000\ncpu = 32\nmemory = \"128Gi\"\n\
         cost_per_hour = 0.45\nspot = true\nreclaims_per_hour = 0.02\nreclaim_downtime = \"10m\"\n"
    } else {
        ""
    };
    let mut s = format!(
        r#"name = "bench-{ops}"
seed = 1
[policy]
dispatch = "{dispatch}"
placement = "{placement}"
preemption = "{preemption}"
backfill = "{backfill}"

[[agents]]
name = "cluster"

[[pools]]
name = "cpu"
agent = "cluster"
nodes = {cpu_nodes}
cpu = 32
memory = "128Gi"
cost_per_hour = 1.5
{spot}
[[pools]]
name = "gpu"
agent = "cluster"
nodes = 2000
cpu = 64
memory = "512Gi"
gpu = 8
cost_per_hour = 24.0
"#
    );
    let levels = [100, 50, 10, 0];
    for i in 0..16 {
        s.push_str(&format!(
            "\n[[queues]]\nname = \"q{i:02}\"\nagent = \"cluster\"\npriority = {}\n",
            levels[i % 4]
        ));
        if args.sharing {
            // A quarter of the cluster's CPU per cohort, split over its four queues.
            let budget = if i < 4 { ", budget = 2000.0" } else { "" };
            s.push_str(&format!("cohort = \"c{}\"\nquota = {{ cpu = 24000{budget} }}\n", i / 4));
        }
    }
    // Mean request 5.6 cores, mean run time about 989 s (a lognormal with median 600 s and
    // sigma 1): offered load = rate × 5.6 × 989 / 384,000 cores.
    let rate = load * 384_000.0 * 3600.0 / (5.6 * 600.0 * 0.5f64.exp());
    s.push_str(&format!(
        r#"
[workload.generator]
ops = {ops}
arrival = {{ process = "poisson", rate_per_hour = {rate:.1} }}
duration = {{ dist = "lognormal", median = "10m", sigma = 1.0, max = "2d" }}
shapes = [
  {{ weight = 4.0, cpu = 1, memory = "4Gi" }},
  {{ weight = 3.0, cpu = 4, memory = "16Gi" }},
  {{ weight = 2.0, cpu = 16, memory = "64Gi" }},
  {{ weight = 1.0, cpu = 8, memory = "64Gi", gpu = 1 }},{gang}
]
"#,
        gang =
            if args.sharing { "\n  { weight = 0.2, cpu = 8, memory = \"32Gi\", replicas = 4 }," } else { "" }
    ));
    let weights: Vec<String> = (0..16).map(|i| format!("q{i:02} = 1.0")).collect();
    s.push_str(&format!("queues = {{ {} }}\n", weights.join(", ")));
    s
}

struct Measured {
    ops: u64,
    generate_s: f64,
    replay_s: f64,
    events: u64,
    preemptions: u64,
    peak_mib: Option<f64>,
}

pub fn run(args: Args) -> CmdResult {
    if let Some(path) = &args.write_scenario {
        let ops = args.ops.first().copied().unwrap_or(100_000);
        let text = scenario_text(ops, &args);
        std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        println!("wrote the {ops}-operation benchmark scenario to {}", path.display());
        return Ok(());
    }
    println!(
        "schedlab bench: 10,000 nodes, 16 queues over 4 priority levels, {:.0}% offered load, dispatch {}, placement {}, preemption {}, backfill {}{}",
        args.load * 100.0, args.dispatch, args.placement, args.preemption, args.backfill,
        if args.sharing { ", sharing (cohorts, budgets, spot, gangs)" } else { "" }
    );
    println!(
        "machine: {} logical CPUs (the replay uses one)",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    );
    println!();
    println!(
        "{:>10}  {:>10}  {:>10}  {:>12}  {:>12}  {:>10}  {:>11}  {:>10}",
        "ops", "generate", "replay", "ops/s", "events/s", "events", "preemptions", "peak RSS"
    );
    let mut results: Vec<Measured> = Vec::new();
    for &ops in &args.ops {
        let text = scenario_text(ops, &args);
        let scenario = Scenario::parse(&text, Path::new("bench.toml")).map_err(|e| e.to_string())?;
        let mut best: Option<Measured> = None;
        for _ in 0..args.repeat.max(1) {
            let t0 = Instant::now();
            let w = workload::load(&scenario, args.seed).map_err(|e| e.to_string())?;
            let generate_s = t0.elapsed().as_secs_f64();
            let t1 = Instant::now();
            let run =
                engine::run(&scenario, w, RunOptions { samples: false, statuses: false, progress: None });
            let replay_s = t1.elapsed().as_secs_f64();
            let summary = metrics::summarise(&scenario, &run, args.seed, &[]);
            let done = summary.operations.get("succeeded").copied().unwrap_or(0);
            if done != ops {
                return Err(format!("benchmark run finished {done} of {ops} operations"));
            }
            let (events, preemptions) = (run.events, summary.preemptions);
            drop(run);
            if best.as_ref().is_none_or(|b| replay_s < b.replay_s) {
                best = Some(Measured {
                    ops,
                    generate_s,
                    replay_s,
                    events,
                    preemptions,
                    peak_mib: peak_rss_mib(),
                });
            }
        }
        let m = best.expect("at least one repeat");
        println!(
            "{:>10}  {:>9.2}s  {:>9.2}s  {:>12.0}  {:>12.0}  {:>10}  {:>11}  {:>10}",
            m.ops,
            m.generate_s,
            m.replay_s,
            m.ops as f64 / m.replay_s,
            m.events as f64 / m.replay_s,
            m.events,
            m.preemptions,
            m.peak_mib.map(|p| format!("{p:.0} MiB")).unwrap_or_else(|| "n/a".into())
        );
        results.push(m);
    }
    if results.len() >= 2 {
        let a = &results[0];
        let b = &results[results.len() - 1];
        println!();
        println!(
            "scaling: {:.1}x the operations took {:.1}x the replay time",
            b.ops as f64 / a.ops as f64,
            b.replay_s / a.replay_s
        );
    }
    println!("(peak RSS is the process's high-water mark so far, so it includes earlier sizes)");
    Ok(())
}

/// The process's peak resident memory (Linux `VmHWM`), in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}
