//! `schedlab trace ...`: look at workloads before replaying them, and convert them.

use std::path::{Path, PathBuf};

use schedlab_policies::resources::{CPU, GPU};
use schedlab_sim::output::write_atomic;
use schedlab_sim::Scenario;
use schedlab_traces::{load_trace, ColumnMap, LoadedTrace, TraceFormat};

use super::CmdResult;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Summarise a trace: arrivals, run times, requests, work per queue and project, and the
    /// load it puts on a scenario's cluster.
    Stats(StatsArgs),
    /// Convert a trace in any supported format to the native CSV format.
    Convert(ConvertArgs),
}

/// How to read the input trace.
#[derive(clap::Args)]
pub struct Input {
    /// The trace file (`.gz` is decompressed).
    pub file: PathBuf,
    /// Its format: auto (by extension: .swf/.swf.gz → swf, else native), native, swf, philly,
    /// alibaba-gpu, tiresias, csv.
    #[arg(long, default_value = "auto")]
    pub format: String,
    /// For csv (or to refine a GPU preset): FIELD=HEADER, e.g. `submit=start_time`
    /// (repeatable). Fields: id, submit, duration, start, end, gpu, cpu, memory, queue,
    /// project, priority, status; also time_format=seconds|datetime, cpu_unit=cores|milli.
    #[arg(long = "column", value_name = "FIELD=HEADER")]
    pub columns: Vec<String>,
}

impl Input {
    fn load(&self) -> Result<LoadedTrace, String> {
        let format = TraceFormat::by_name(&self.format)?;
        let columns = column_map(&self.columns)?;
        load_trace(&self.file, format, columns.as_ref()).map_err(|e| e.to_string())
    }
}

#[derive(clap::Args)]
pub struct StatsArgs {
    #[command(flatten)]
    pub input: Input,
    /// Also show the load the trace puts on this scenario's cluster.
    #[arg(long)]
    pub scenario: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct ConvertArgs {
    #[command(flatten)]
    pub input: Input,
    /// Where to write the native CSV.
    #[arg(long, short)]
    pub out: PathBuf,
}

pub fn run(cmd: Command) -> CmdResult {
    match cmd {
        Command::Stats(a) => stats(a),
        Command::Convert(a) => convert(a),
    }
}

/// Builds a column map from `FIELD=HEADER` settings (through TOML, so the field names and
/// values are checked exactly as in a scenario's `[workload.columns]`).
fn column_map(settings: &[String]) -> Result<Option<ColumnMap>, String> {
    if settings.is_empty() {
        return Ok(None);
    }
    let mut doc = String::new();
    for s in settings {
        let (k, v) = s.split_once('=').ok_or_else(|| format!("--column expects FIELD=HEADER, got `{s}`"))?;
        doc.push_str(&format!("{} = {:?}\n", k.trim(), v.trim()));
    }
    toml::from_str::<ColumnMap>(&doc).map(Some).map_err(|e| format!("--column: {}", e.message()))
}

fn describe_skipped(t: &LoadedTrace) {
    if !t.skipped.is_empty() {
        let parts: Vec<String> = t.skipped.iter().map(|(k, v)| format!("{v} ({k})")).collect();
        println!("skipped   {}", parts.join(", "));
    }
}

fn stats(args: StatsArgs) -> CmdResult {
    let t = args.input.load()?;
    println!("trace {}", args.input.file.display());
    if let Some(h) = &t.swf_header {
        let num = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_else(|| "-".into());
        println!(
            "SWF header: {}  MaxNodes {}  MaxProcs {}  MaxJobs {}",
            h.computer.as_deref().unwrap_or("(no Computer)"),
            num(h.max_nodes),
            num(h.max_procs),
            num(h.max_jobs)
        );
    }
    describe_skipped(&t);
    print!("{}", schedlab_traces::stats(&t.trace.records));
    if let Some(path) = args.scenario {
        let scenario = Scenario::load(&path).map_err(|e| e.to_string())?;
        let cap = scenario.pools.iter().fold(schedlab_policies::Resources::ZERO, |mut acc, p| {
            for _ in 0..p.nodes {
                acc.add(&p.allocatable);
            }
            acc
        });
        let (cpu, gpu) = schedlab_traces::offered_load(&t.trace.records, cap.get(CPU), cap.get(GPU));
        println!();
        println!("offered load on {} ({} nodes):", scenario.name, scenario.node_count());
        println!("  cpu {:.1}% of capacity over the trace's span", cpu * 100.0);
        if cap.get(GPU) > 0 {
            println!("  gpu {:.1}% of capacity over the trace's span", gpu * 100.0);
        }
    }
    Ok(())
}

fn convert(args: ConvertArgs) -> CmdResult {
    let t = args.input.load()?;
    let out: &Path = &args.out;
    write_atomic(out, |w| schedlab_traces::write_native(&t.trace.records, w))
        .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    describe_skipped(&t);
    println!("wrote {} operations to {}", t.trace.records.len(), out.display());
    Ok(())
}
