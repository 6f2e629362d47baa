//! `schedlab live`: the same kernel scheduling a Kubernetes cluster (or the bundled API
//! emulator).

use std::path::PathBuf;

use super::CmdResult;

/// Live mode: schedule a real Kubernetes cluster's batch/v1 Jobs with a scenario's queues,
/// agents and policy.
///
/// Jobs are created suspended and labelled `schedlab.io/queue=<queue>`; the driver admits
/// them by pinning a node and unsuspending them. Try it with no cluster:
///
///   schedlab live emulate --scenario scenarios/quickstart.toml --kubeconfig-out /tmp/kc &
///   schedlab live submit  --kubeconfig /tmp/kc --scenario scenarios/quickstart.toml --time-scale 60
///   schedlab live run     --kubeconfig /tmp/kc --scenario scenarios/quickstart.toml --time-scale 60
///   schedlab live status  --kubeconfig /tmp/kc -w
#[derive(clap::Subcommand)]
pub enum Command {
    /// Serve a Kubernetes API emulator on 127.0.0.1 with the scenario's nodes, and write a
    /// kubeconfig for it. Admitted Jobs "run" for their schedlab.io/duration-seconds.
    Emulate(EmulateArgs),
    /// Run the driver: watch Jobs and Nodes, admit Jobs as the scenario's policy decides.
    Run(RunArgs),
    /// Create suspended Jobs from a native trace, each at its submit time (compressed).
    Submit(SubmitArgs),
    /// Print the status timeline of the operations (Jobs) schedlab manages.
    Status(StatusArgs),
    /// Write what ran on the cluster as a native trace, to replay it in the simulator.
    Record(RecordArgs),
    /// Stop an operation: the driver deletes its Job (running or queued).
    Stop(StopArgs),
    /// Approve (or --reject) an operation annotated schedlab.io/approval: required; it is
    /// not submitted to the kernel until approved, and a rejected one fails its dependents.
    Approve(ApproveArgs),
    /// Restart a finished operation: a new suspended Job copied from it, named NAME-r1,
    /// NAME-r2, ... and annotated schedlab.io/restart-of.
    Restart(RestartArgs),
    /// When will a queued operation start? Snapshots the cluster and fast-forwards it in the
    /// simulator with the scenario's policies.
    Eta(EtaArgs),
    /// Measure the driver against the emulator: admissions/s and decision latency.
    Bench(BenchArgs),
}

#[derive(clap::Args)]
pub struct EmulateArgs {
    /// Scenario whose nodes (pools) the emulated cluster has.
    #[arg(long)]
    pub scenario: PathBuf,
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Where to write the kubeconfig pointing at the emulator.
    #[arg(long, default_value = "schedlab-emulator.kubeconfig")]
    pub kubeconfig_out: PathBuf,
    /// Faults to inject, e.g. `error=0.05,conflict=0.1,drop=2,latency=5ms,seed=7` (rates of
    /// 500s and 409s, mean seconds before a watch is dropped, added latency).
    #[arg(long, default_value = "")]
    pub faults: String,
    /// Admitted Jobs run for their duration annotation divided by this.
    #[arg(long, default_value_t = 1.0)]
    pub time_scale: f64,
}

#[derive(clap::Args)]
pub struct RunArgs {
    /// Kubeconfig of the cluster (its current context).
    #[arg(long, required_unless_present = "in_cluster")]
    pub kubeconfig: Option<PathBuf>,
    /// Use the pod's service account (when deployed in the cluster).
    #[arg(long)]
    pub in_cluster: bool,
    /// Scenario with the queues, agents (namespaces), projects, workflows and policy.
    #[arg(long)]
    pub scenario: PathBuf,
    /// Exit once every Job is finished (or refused) instead of running until Ctrl-C.
    #[arg(long)]
    pub until_idle: bool,
    /// Kernel time runs this many times faster than the clock (match `live submit
    /// --time-scale` so scenario durations such as min_runtime keep their meaning).
    #[arg(long, default_value_t = 1.0)]
    pub time_scale: f64,
    /// Serve Prometheus metrics on this address, e.g. 127.0.0.1:9464.
    #[arg(long)]
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// AGENT=CONTEXT: the scenario agent's Jobs and nodes are in the cluster of this
    /// kubeconfig context (repeatable; other agents use the current context).
    #[arg(long = "context", value_name = "AGENT=CONTEXT")]
    pub contexts: Vec<String>,
    /// Debug-level logs.
    #[arg(long, short)]
    pub verbose: bool,
}

#[derive(clap::Args)]
pub struct SubmitArgs {
    #[arg(long)]
    pub kubeconfig: PathBuf,
    /// Scenario (queues → agents → namespaces; its workload when --trace is not given).
    #[arg(long)]
    pub scenario: PathBuf,
    /// A native trace (CSV) [default: the scenario's workload].
    #[arg(long)]
    pub trace: Option<PathBuf>,
    /// Compress time: submit times and run times are divided by this.
    #[arg(long, default_value_t = 1.0)]
    pub time_scale: f64,
    /// Create every Job now instead of at its submit time.
    #[arg(long)]
    pub at_once: bool,
    /// Container image of the Jobs (they run `sleep <duration>`).
    #[arg(long, default_value = "busybox:1.36")]
    pub image: String,
}

#[derive(clap::Args)]
pub struct StatusArgs {
    #[arg(long)]
    pub kubeconfig: PathBuf,
    /// Only this namespace.
    #[arg(long, short)]
    pub namespace: Option<String>,
    /// Keep watching; print the table again whenever it changes.
    #[arg(long, short)]
    pub watch: bool,
}

#[derive(clap::Args)]
pub struct RecordArgs {
    #[arg(long)]
    pub kubeconfig: PathBuf,
    /// Only this namespace.
    #[arg(long, short)]
    pub namespace: Option<String>,
    /// The trace to write (native CSV).
    #[arg(long, short)]
    pub out: PathBuf,
}

#[derive(clap::Args)]
pub struct StopArgs {
    #[arg(long)]
    pub kubeconfig: PathBuf,
    /// The operation: its Job's NAME, or NAMESPACE/NAME.
    pub op: String,
}

#[derive(clap::Args)]
pub struct ApproveArgs {
    #[arg(long)]
    pub kubeconfig: PathBuf,
    /// The operation: its Job's NAME, or NAMESPACE/NAME.
    pub op: String,
    /// Reject it instead: the driver ends it `rejected`, and what depends on it
    /// `upstream_failed`.
    #[arg(long)]
    pub reject: bool,
}

#[derive(clap::Args)]
pub struct RestartArgs {
    #[arg(long)]
    pub kubeconfig: PathBuf,
    /// The finished operation: its Job's NAME, or NAMESPACE/NAME.
    pub op: String,
}

#[derive(clap::Args)]
pub struct EtaArgs {
    #[arg(long)]
    pub kubeconfig: PathBuf,
    /// The scenario the driver runs (its policies, queues and agents).
    #[arg(long)]
    pub scenario: PathBuf,
    /// The operation: its Job's NAME, or NAMESPACE/NAME.
    pub op: String,
    /// As for `live run`: AGENT=CONTEXT (repeatable).
    #[arg(long = "context", value_name = "AGENT=CONTEXT")]
    pub contexts: Vec<String>,
    /// As for `live run`: the driver's --time-scale.
    #[arg(long, default_value_t = 1.0)]
    pub time_scale: f64,
    /// Run time (seconds) assumed for Jobs without a schedlab.io/duration-seconds annotation.
    #[arg(long, default_value_t = 3600.0)]
    pub default_duration: f64,
}

#[derive(clap::Args)]
pub struct BenchArgs {
    /// How many queued Jobs to admit.
    #[arg(long, default_value_t = 10_000)]
    pub jobs: usize,
}

pub fn run(c: Command) -> CmdResult {
    use schedlab_live::cli;
    match c {
        Command::Emulate(a) => {
            cli::init_logs(false);
            cli::emulate(&a.scenario, a.port, &a.kubeconfig_out, &a.faults, a.time_scale)
        }
        Command::Run(a) => {
            cli::init_logs(a.verbose);
            let target = match a.kubeconfig {
                Some(p) if !a.in_cluster => cli::Target::Kubeconfig(p),
                _ => cli::Target::InCluster,
            };
            if !(a.time_scale.is_finite() && a.time_scale > 0.0) {
                return Err(format!("--time-scale must be a positive number, got {}", a.time_scale));
            }
            let contexts = a.contexts.iter().map(|c| cli::parse_context(c)).collect::<Result<Vec<_>, _>>()?;
            cli::run(target, &a.scenario, a.until_idle, a.time_scale, a.metrics_addr, &contexts)
        }
        Command::Submit(a) => {
            cli::submit(&a.kubeconfig, &a.scenario, a.trace.as_deref(), a.time_scale, a.at_once, &a.image)
        }
        Command::Status(a) => cli::status(&a.kubeconfig, a.namespace.as_deref(), a.watch),
        Command::Record(a) => {
            let n = cli::record(&a.kubeconfig, a.namespace.as_deref(), &a.out)?;
            eprintln!("wrote {n} operations to {}", a.out.display());
            Ok(())
        }
        Command::Stop(a) => {
            let job = cli::stop(&a.kubeconfig, &a.op)?;
            eprintln!("asked the driver to stop {job}");
            Ok(())
        }
        Command::Approve(a) => {
            println!("{}", cli::approve(&a.kubeconfig, &a.op, a.reject)?);
            Ok(())
        }
        Command::Restart(a) => {
            let name = cli::restart(&a.kubeconfig, &a.op)?;
            println!("{name}");
            Ok(())
        }
        Command::Eta(a) => {
            if !(a.time_scale.is_finite() && a.time_scale > 0.0) {
                return Err(format!("--time-scale must be a positive number, got {}", a.time_scale));
            }
            if !(a.default_duration.is_finite() && (0.0..=1e9).contains(&a.default_duration)) {
                return Err(format!(
                    "--default-duration must be a number of seconds (>= 0), got {}",
                    a.default_duration
                ));
            }
            let contexts = a.contexts.iter().map(|c| cli::parse_context(c)).collect::<Result<Vec<_>, _>>()?;
            let opts = schedlab_live::eta::EtaOptions {
                time_scale: a.time_scale,
                default_duration_ms: (a.default_duration * 1000.0).round() as i64,
            };
            println!("{}", cli::eta(&a.kubeconfig, &a.scenario, &a.op, &contexts, &opts)?);
            Ok(())
        }
        Command::Bench(a) => {
            let r = cli::bench(a.jobs)?;
            println!(
                "{} queued Jobs admitted in {:.2} s: {:.0} admissions/s; decision pass latency p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms over {} passes",
                r.jobs,
                r.wall.as_secs_f64(),
                r.admissions_per_sec,
                r.p50.as_secs_f64() * 1e3,
                r.p99.as_secs_f64() * 1e3,
                r.max.as_secs_f64() * 1e3,
                r.passes
            );
            Ok(())
        }
    }
}
