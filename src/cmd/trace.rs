//! `schedlab trace ...`: look at workloads before replaying them.

use std::path::PathBuf;

use schedlab_policies::resources::{CPU, GPU};
use schedlab_sim::Scenario;

use super::CmdResult;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Summarise a native CSV trace: arrivals, run times, requests, work per queue and project.
    Stats(StatsArgs),
}

#[derive(clap::Args)]
pub struct StatsArgs {
    /// The trace (native CSV with a header: id,submit,duration,cpu,mem_mib,gpu,queue,...).
    pub file: PathBuf,
    /// Also show the load the trace puts on this scenario's cluster.
    #[arg(long)]
    pub scenario: Option<PathBuf>,
}

pub fn run(cmd: Command) -> CmdResult {
    match cmd {
        Command::Stats(a) => stats(a),
    }
}

fn stats(args: StatsArgs) -> CmdResult {
    let trace = schedlab_traces::read_native(&args.file).map_err(|e| e.to_string())?;
    let s = schedlab_traces::stats(&trace.records);
    println!("trace {}", args.file.display());
    print!("{s}");
    if let Some(path) = args.scenario {
        let scenario = Scenario::load(&path).map_err(|e| e.to_string())?;
        let cap = scenario.pools.iter().fold(schedlab_policies::Resources::ZERO, |mut acc, p| {
            for _ in 0..p.nodes {
                acc.add(&p.allocatable);
            }
            acc
        });
        let (cpu, gpu) = schedlab_traces::offered_load(&trace.records, cap.get(CPU), cap.get(GPU));
        println!();
        println!("offered load on {} ({} nodes):", scenario.name, scenario.node_count());
        println!("  cpu {:.1}% of capacity over the trace's span", cpu * 100.0);
        if cap.get(GPU) > 0 {
            println!("  gpu {:.1}% of capacity over the trace's span", gpu * 100.0);
        }
    }
    Ok(())
}
