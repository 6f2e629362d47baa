//! `schedlab`: the command line. Thin: it parses, calls the crates and prints.

mod cmd;
mod progress;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// schedlab: a scheduling testbed for Kubernetes batch and ML work.
///
/// One scheduling kernel (queues with priority, concurrency and quotas; agents routing
/// queues to clusters; workflow concurrency) runs inside a deterministic discrete-event
/// simulator that replays workload traces.
///
/// Start with:  schedlab run scenarios/quickstart.toml
#[derive(Parser)]
#[command(name = "schedlab", version, about, long_about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate a scenario and write its run directory (CSV files, summary.json, charts, report.html).
    Run(cmd::run::Args),
    /// Check a scenario file (and its workload) and print the resolved configuration.
    Validate(cmd::validate::Args),
    /// Run the same workload under several policies and compare them side by side.
    Compare(cmd::compare::Args),
    /// Run a scenario over a grid of settings (--vary), with replicas, in parallel.
    Sweep(cmd::sweep::Args),
    /// Find the smallest setting that meets a target, e.g. GPU nodes for p95 wait <= 1 h.
    Plan(cmd::plan::Args),
    /// Draw (again) the charts and HTML report of a run or sweep directory.
    Report(cmd::report::Args),
    /// Look at a run's operations: `ops statuses` prints their status timelines.
    #[command(subcommand)]
    Ops(cmd::ops::Command),
    /// Work with workload traces.
    #[command(subcommand)]
    Trace(cmd::trace::Command),
    /// Measure the simulator: replay synthetic workloads on a 10,000-node cluster.
    Bench(cmd::bench::Args),
    /// Live mode: schedule a Kubernetes cluster's Jobs with the same kernel (or try it on the
    /// bundled API emulator).
    #[command(subcommand)]
    Live(cmd::live::Command),
}

fn main() -> ExitCode {
    // Like other command-line tools, stop quietly when the reader of our output goes away
    // (`schedlab trace stats big.swf | head`) instead of failing on the closed pipe.
    #[cfg(unix)]
    // SAFETY: restoring the default action of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(a) => cmd::run::run(a),
        Command::Validate(a) => cmd::validate::run(a),
        Command::Compare(a) => cmd::compare::run(a),
        Command::Sweep(a) => cmd::sweep::run(a),
        Command::Plan(a) => cmd::plan::run(a),
        Command::Report(a) => cmd::report::run(a),
        Command::Ops(c) => cmd::ops::run(c),
        Command::Trace(c) => cmd::trace::run(c),
        Command::Bench(a) => cmd::bench::run(a),
        Command::Live(c) => cmd::live::run(c),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
