//! `schedlab validate`: check a scenario and show what it resolves to.

use std::path::PathBuf;

use schedlab_sim::{workload, Scenario};

use super::CmdResult;

#[derive(clap::Args)]
pub struct Args {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
}

pub fn run(args: Args) -> CmdResult {
    let scenario = Scenario::load(&args.scenario).map_err(|e| e.to_string())?;
    let w = workload::load(&scenario, scenario.seed).map_err(|e| e.to_string())?;
    print!("{scenario}");
    println!("          {} operations from {}", w.records.len(), w.source);
    println!();
    println!("ok: {} is valid", args.scenario.display());
    Ok(())
}
