//! `schedlab plan`: the smallest setting that meets a target ("how many GPU nodes keep p95
//! wait under an hour?").

use std::path::PathBuf;

use schedlab_sim::sweep::{files, parse_vary, plan, Target};

use super::CmdResult;

#[derive(clap::Args)]
pub struct Args {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// The setting to search, as KEY=LO..HI over integers; the metric must only improve as it
    /// grows (e.g. `pools.gpu-a100.nodes=1..64`, `queues.training.concurrency=1..32`).
    #[arg(long, value_name = "KEY=LO..HI")]
    pub vary: String,
    /// The target, as METRIC<=VALUE (or <, >=, >), e.g. `p95_wait<=3600` (seconds),
    /// `util_gpu>=0.6`. Metrics: wait_mean, wait_p50, wait_p95, wait_p99, wait_max, jct_mean,
    /// jct_p95, jct_p99, slowdown_mean, slowdown_p95, util_<resource>, cost, makespan,
    /// preemptions, wasted_work, succeeded, rejected, unfinished, fairness_slowdown.
    #[arg(long)]
    pub target: String,
    /// Runs per probed value; a value meets the target when the metric's whole 95% confidence
    /// interval does.
    #[arg(long, default_value_t = 3)]
    pub replicas: u32,
    /// Where to write the probes as a sweep (sweep.csv, sweep_summary.csv, sweep.json)
    /// [default: out/<scenario>-plan].
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Print only the answer.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: Args) -> CmdResult {
    let (key, values) = parse_vary(&args.vary)?;
    let range = plan::parse_range(values.first().map(String::as_str).unwrap_or(""))?;
    let target = Target::parse(&args.target)?;
    if !args.quiet {
        println!(
            "searching {key} in {}..{} for the smallest value with {} {} {} ({} replicas each, 95% confidence)",
            range.0, range.1, target.metric, target.op, target.value, args.replicas
        );
    }
    let quiet = args.quiet;
    let mut report = |p: &plan::Probe| {
        if !quiet {
            println!(
                "  {key} = {:<8} {} = {:.3}  [{:.3}, {:.3}]  {}",
                p.value,
                target.metric,
                p.estimate.mean,
                p.estimate.low,
                p.estimate.high,
                if p.meets { "meets the target" } else { "misses" }
            );
        }
    };
    let result = plan::plan(&args.scenario, &key, range, &target, args.replicas, &mut report)?;
    let out =
        args.out.unwrap_or_else(|| PathBuf::from("out").join(format!("{}-plan", result.sweep.meta.scenario)));
    files::write(&out, &result.sweep).map_err(|e| format!("cannot write to {}: {e}", out.display()))?;
    schedlab_reports::render_sweep(&out).map_err(|e| format!("cannot draw the plan's charts: {e}"))?;
    match &result.answer {
        Some(a) => println!(
            "answer: {key} = {}  ({} = {:.3}, 95% CI [{:.3}, {:.3}] over {} runs)",
            a.value, target.metric, a.estimate.mean, a.estimate.low, a.estimate.high, a.estimate.n
        ),
        None => {
            return Err(format!(
                "no value of {key} in {}..{} meets {} {} {} (at {}: {:.3})",
                range.0,
                range.1,
                target.metric,
                target.op,
                target.value,
                range.1,
                result.probes.first().map(|p| p.estimate.mean).unwrap_or(f64::NAN)
            ))
        }
    }
    if !quiet {
        println!("wrote the probes to {}; report: {}", out.display(), out.join("sweep.html").display());
    }
    Ok(())
}
