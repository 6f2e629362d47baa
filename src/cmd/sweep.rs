//! `schedlab sweep`: run a scenario over a grid of settings, with replicas, in parallel.

use std::path::{Path, PathBuf};

use schedlab_sim::sweep::{self, files, parse_vary, Shard, SweepResult, SweepSpec};

use super::CmdResult;
use crate::progress;

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Sub>,
    /// The scenario file (TOML).
    #[arg(required = true)]
    pub scenario: Option<PathBuf>,
    /// A setting to vary, as KEY=V1,V2,... (repeatable; the cross product is run). Keys are
    /// dotted paths into the scenario, naming list entries by their `name`:
    /// `pools.gpu-a100.nodes=2,4,8`, `queues.training.concurrency=4,8`,
    /// `policy.placement=first-fit,best-fit`, `workload.generator.arrival.rate_per_hour=60,120`.
    #[arg(long = "vary", value_name = "KEY=VALUES", required = true)]
    pub vary: Vec<String>,
    /// Runs per point; replica r of every point uses the same derived seed.
    #[arg(long, default_value_t = 3)]
    pub replicas: u32,
    /// Where to write sweep.csv, sweep_summary.csv and sweep.json [default: out/<scenario>-sweep].
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Run only slice I of N (0-based): every N-th run. Join slices with `schedlab sweep merge`.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Worker threads [default: one per core].
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(clap::Subcommand)]
pub enum Sub {
    /// Join the directories of sweep slices (--shard) into the files of the whole sweep.
    Merge(MergeArgs),
}

#[derive(clap::Args)]
pub struct MergeArgs {
    /// The slice directories.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Where to write the merged sweep.
    #[arg(long, short)]
    pub out: PathBuf,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: Args) -> CmdResult {
    if let Some(Sub::Merge(m)) = args.command {
        let result = sweep::merge(&m.dirs)?;
        return finish(&m.out, &result, m.quiet);
    }
    let scenario = args.scenario.ok_or("a scenario file is required")?;
    let vary = args.vary.iter().map(|v| parse_vary(v)).collect::<Result<Vec<_>, _>>()?;
    let shard = args.shard.as_deref().map(Shard::parse).transpose()?;
    let spec = SweepSpec { vary, replicas: args.replicas, shard, threads: args.threads };
    let total_points: usize = spec.vary.iter().map(|(_, v)| v.len()).product();
    let mut tasks = total_points as u64 * u64::from(spec.replicas.max(1));
    if let Some(s) = shard {
        tasks = (tasks + u64::from(s.count) - 1 - u64::from(s.index)) / u64::from(s.count);
    }
    let bar = progress::counter(tasks, "runs", args.quiet);
    let result = sweep::run(&scenario, &spec, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let name = result.meta.scenario.clone();
    let out = args.out.unwrap_or_else(|| PathBuf::from("out").join(format!("{name}-sweep")));
    finish(&out, &result, args.quiet)
}

fn finish(out: &Path, result: &SweepResult, quiet: bool) -> CmdResult {
    files::write(out, result).map_err(|e| format!("cannot write the sweep to {}: {e}", out.display()))?;
    // A slice is not the whole sweep: its charts would mislead, so only whole sweeps get them.
    if result.meta.shard.is_none() {
        schedlab_reports::render_sweep(out).map_err(|e| format!("cannot draw the sweep's charts: {e}"))?;
    }
    if !quiet {
        print!("{}", table(result));
        let what = match result.meta.shard {
            Some(s) => format!("slice {}/{} ({} runs)", s.index, s.count, result.rows.len()),
            None => format!("{} runs", result.rows.len()),
        };
        println!("\nwrote {what} to {}", out.display());
        if result.meta.shard.is_none() {
            println!("report: {}", out.join("sweep.html").display());
        }
    }
    Ok(())
}

/// The per-point means (± half the 95% interval) of the headline metrics.
pub fn table(result: &SweepResult) -> String {
    let shown = ["wait_mean", "wait_p95", "jct_mean", "util_cpu", "util_gpu", "cost"];
    let summary = files::summarise(result);
    let present: Vec<&str> = shown
        .iter()
        .copied()
        .filter(|m| summary.iter().any(|s| s.metrics.iter().any(|(n, _)| n == m)))
        .collect();
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut header: Vec<String> = result.meta.vary.clone();
    header.push("runs".into());
    header.extend(present.iter().map(|m| m.to_string()));
    rows.push(header);
    for s in &summary {
        let mut row = result.meta.points[s.point].clone();
        row.push(s.runs.to_string());
        for m in &present {
            let cell = s.metrics.iter().find(|(name, _)| name == m).map(|(_, e)| {
                let half = (e.high - e.low) / 2.0;
                if half > 0.0 {
                    format!("{:.2} ±{:.2}", e.mean, half)
                } else {
                    format!("{:.2}", e.mean)
                }
            });
            row.push(cell.unwrap_or_default());
        }
        rows.push(row);
    }
    schedlab_reports::align(&rows, result.meta.vary.len())
}
