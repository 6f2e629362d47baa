//! `schedlab run`: simulate a scenario and write its run directory.

use std::path::PathBuf;
use std::time::Instant;

use schedlab_sim::engine::{self, RunOptions};
use schedlab_sim::{metrics, output, workload, Scenario};

use super::CmdResult;
use crate::progress::RunProgress;

#[derive(clap::Args)]
pub struct Args {
    /// The scenario file (TOML), e.g. scenarios/quickstart.toml.
    pub scenario: PathBuf,
    /// Where to write the run's files [default: out/<scenario name>].
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Seed for everything random in the run (overrides the scenario's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// Skip the charts and report.html (only the CSV files and summary.json).
    #[arg(long)]
    pub no_report: bool,
}

pub fn run(args: Args) -> CmdResult {
    let started = Instant::now();
    let scenario = Scenario::load(&args.scenario).map_err(|e| e.to_string())?;
    let seed = args.seed.unwrap_or(scenario.seed);
    let mut w = workload::load(&scenario, seed).map_err(|e| e.to_string())?;
    let trace_bytes = std::mem::take(&mut w.trace_bytes);
    let mut progress = RunProgress::new(started, args.quiet);
    let mut report = |p: &engine::Progress| progress.update(p);
    let run =
        engine::run(&scenario, w, RunOptions { samples: true, statuses: true, progress: Some(&mut report) });
    progress.finish();
    for w in &run.warnings {
        eprintln!("warning: {w}");
    }
    let summary = metrics::summarise(&scenario, &run, seed, &trace_bytes);
    let out = args.out.unwrap_or_else(|| PathBuf::from("out").join(&scenario.name));
    output::write_run(&out, &scenario, &run, &summary)
        .map_err(|e| format!("cannot write the run to {}: {e}", out.display()))?;
    let report = if args.no_report {
        None
    } else {
        schedlab_reports::render_run(&out).map_err(|e| format!("cannot draw the report: {e}"))?;
        Some(out.join("report.html"))
    };
    if !args.quiet {
        print!("{}", schedlab_reports::summary_table(&summary));
        println!();
        println!("wrote {} in {:.2}s", out.display(), started.elapsed().as_secs_f64());
        if let Some(r) = report {
            println!("report: {}  (charts in {})", r.display(), out.join("charts").display());
        }
    }
    Ok(())
}
