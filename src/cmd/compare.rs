//! `schedlab compare`: the same workload under several policies, side by side.

use std::path::PathBuf;

use schedlab_sim::compare::{self, parse_policy};

use super::CmdResult;
use crate::progress;

#[derive(clap::Args)]
pub struct Args {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// A policy to run (repeat for each): a dispatch policy (`priority`, `fifo`), a placement
    /// policy (`first-fit`, `best-fit`, `spread`, `gpu-pack`), both as `fifo/best-fit`, or any
    /// settings as `LABEL:KEY=VALUE;KEY=VALUE` (keys as in `schedlab sweep --vary`).
    #[arg(long = "policy", required = true, value_name = "POLICY")]
    pub policies: Vec<String>,
    /// Where to write one run directory per policy plus comparison.csv, comparison.md and
    /// comparison.html [default: out/<scenario>-compare].
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Worker threads [default: one per core].
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: Args) -> CmdResult {
    let policies = args.policies.iter().map(|p| parse_policy(p)).collect::<Result<Vec<_>, _>>()?;
    let name = args
        .scenario
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scenario".into());
    let out = args.out.unwrap_or_else(|| PathBuf::from("out").join(format!("{name}-compare")));
    let bar = progress::counter(policies.len() as u64, "policies", args.quiet);
    let results = compare::run(&args.scenario, &policies, &out, args.threads, &|| bar.inc(1))?;
    bar.finish_and_clear();
    compare::write_tables(&out, &results).map_err(|e| format!("cannot write to {}: {e}", out.display()))?;
    for r in &results {
        schedlab_reports::render_run(&r.dir).map_err(|e| format!("cannot draw {}'s report: {e}", r.label))?;
    }
    let entries: Vec<(String, PathBuf)> = results.iter().map(|r| (r.label.clone(), r.dir.clone())).collect();
    schedlab_reports::render_comparison(&entries, &out)
        .map_err(|e| format!("cannot draw the comparison: {e}"))?;
    if !args.quiet {
        print!("{}", std::fs::read_to_string(out.join("comparison.md")).unwrap_or_default());
        println!(
            "\nwrote {} runs to {}; report: {}",
            results.len(),
            out.display(),
            out.join("comparison.html").display()
        );
    }
    Ok(())
}
