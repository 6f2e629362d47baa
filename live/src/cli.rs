//! The `schedlab live` commands' bodies, synchronous (each runs its own tokio runtime), so
//! the command-line crate needs no async runtime of its own.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use schedlab_sim::Scenario;

use crate::driver::{self, Options};
use crate::emulator::{Config, Emulator, Faults};
use crate::metrics::Metrics;
use crate::ops;

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

/// Structured logs on stderr (`verbose`: debug level).
pub fn init_logs(verbose: bool) {
    let level = if verbose { tracing::Level::DEBUG } else { tracing::Level::INFO };
    let _ = tracing_subscriber::fmt().with_max_level(level).with_writer(std::io::stderr).try_init();
}

fn load(path: &Path) -> Result<Scenario, String> {
    Scenario::load(path).map_err(|e| e.to_string())
}

/// Where the cluster is.
pub enum Target {
    Kubeconfig(PathBuf),
    InCluster,
}

async fn client(t: &Target) -> Result<kube::Client, String> {
    match t {
        Target::Kubeconfig(p) => crate::client_from_kubeconfig(p).await,
        Target::InCluster => {
            let c = kube::Config::incluster().map_err(|e| format!("not running in a cluster: {e}"))?;
            kube::Client::try_from(c).map_err(|e| format!("cannot build a Kubernetes client: {e}"))
        }
    }
}

/// `live emulate`: serve the scenario's nodes until Ctrl-C.
pub fn emulate(
    scenario: &Path,
    port: u16,
    kubeconfig_out: &Path,
    faults: &str,
    time_scale: f64,
) -> Result<(), String> {
    let s = load(scenario)?;
    let faults = Faults::parse(faults)?;
    runtime()?.block_on(async {
        let e = Emulator::start(Config { port, faults, time_scale, ..Config::default() })
            .await
            .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
        e.add_scenario_nodes(&s);
        std::fs::write(kubeconfig_out, e.kubeconfig())
            .map_err(|err| format!("cannot write {}: {err}", kubeconfig_out.display()))?;
        eprintln!(
            "emulating a Kubernetes API at {} with {} nodes of scenario `{}`; kubeconfig written to {}\nstop with Ctrl-C",
            e.url(),
            s.node_count(),
            s.name,
            kubeconfig_out.display()
        );
        let _ = tokio::signal::ctrl_c().await;
        let a = e.audit();
        eprintln!("served {} kinds of call; {} Jobs started; {} faults injected", a.calls.len(), a.starts.len(), a.faults);
        Ok(())
    })
}

/// Reads `AGENT=CONTEXT` (the `--context` flag).
pub fn parse_context(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((a, c)) if !a.trim().is_empty() && !c.trim().is_empty() => {
            Ok((a.trim().to_string(), c.trim().to_string()))
        }
        _ => Err(format!("expected AGENT=CONTEXT (a scenario agent and a kubeconfig context), got `{s}`")),
    }
}

/// (kubeconfig context (`None`: the current one), agents) of each cluster.
type Plan = Vec<(Option<String>, Vec<String>)>;

/// The clusters of a run: the kubeconfig's current context for every agent no `--context`
/// names (if any), and each named context for its agents. Returns (context, agents) pairs;
/// the current context's list is empty (it serves every agent not named elsewhere).
fn cluster_plan(
    s: &Scenario,
    kubeconfig: Option<&Path>,
    contexts: &[(String, String)],
) -> Result<Plan, String> {
    for (a, _) in contexts {
        if !s.agents.iter().any(|x| &x.name == a) {
            let known: Vec<&str> = s.agents.iter().map(|x| x.name.as_str()).collect();
            return Err(format!(
                "--context {a}=...: scenario `{}` has no agent `{a}` (its agents: {})",
                s.name,
                known.join(", ")
            ));
        }
        if contexts.iter().filter(|(b, _)| b == a).count() > 1 {
            return Err(format!("--context names agent `{a}` twice"));
        }
    }
    if contexts.is_empty() {
        return Ok(vec![(None, Vec::new())]);
    }
    let Some(path) = kubeconfig else {
        return Err("--context needs --kubeconfig (in the cluster there is only one context)".into());
    };
    let current = crate::current_context(path)?;
    let mut plan: Plan = Vec::new();
    let unnamed = s.agents.iter().any(|a| !contexts.iter().any(|(b, _)| *b == a.name));
    if unnamed || contexts.iter().any(|(_, c)| Some(c) == current.as_ref()) {
        plan.push((current.clone(), Vec::new()));
    }
    for (a, c) in contexts {
        if Some(c) == current.as_ref() {
            continue;
        }
        match plan.iter_mut().find(|(x, _)| x.as_ref() == Some(c)) {
            Some((_, agents)) => agents.push(a.clone()),
            None => plan.push((Some(c.clone()), vec![a.clone()])),
        }
    }
    Ok(plan)
}

async fn clusters(target: &Target, plan: Plan) -> Result<Vec<driver::Cluster>, String> {
    let mut out = Vec::new();
    for (context, agents) in plan {
        let c = match (target, &context) {
            (Target::Kubeconfig(p), Some(ctx)) => crate::client_for_context(p, Some(ctx)).await?,
            _ => client(target).await?,
        };
        out.push(driver::Cluster { name: context.unwrap_or_else(|| "default".into()), client: c, agents });
    }
    Ok(out)
}

/// `live run`: the driver, until Ctrl-C (or until idle). `contexts`: (agent, kubeconfig
/// context) pairs, for agents in other clusters than the current context's.
pub fn run(
    target: Target,
    scenario: &Path,
    until_idle: bool,
    time_scale: f64,
    metrics_addr: Option<std::net::SocketAddr>,
    contexts: &[(String, String)],
) -> Result<(), String> {
    let s = load(scenario)?;
    let kubeconfig = match &target {
        Target::Kubeconfig(p) => Some(p.as_path()),
        Target::InCluster => None,
    };
    let plan = cluster_plan(&s, kubeconfig, contexts)?;
    runtime()?.block_on(async {
        let cs = clusters(&target, plan).await?;
        let metrics = Metrics::new();
        let _server = match metrics_addr {
            Some(a) => Some(
                crate::metrics::serve(a, metrics.clone())
                    .await
                    .map_err(|e| format!("cannot serve metrics on {a}: {e}"))?,
            ),
            None => None,
        };
        let opts = Options { time_scale, until_idle, metrics: Some(metrics), ..Options::default() };
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        let sum = driver::run_clusters(cs, s, opts, shutdown).await?;
        eprintln!(
            "{} admitted ({} adopted from before), {} succeeded, {} failed, {} refused, {} rejected, {} upstream-failed, {} preempted, {} nodes lost",
            sum.admissions,
            sum.adopted,
            sum.succeeded,
            sum.failed,
            sum.refusals,
            sum.rejected,
            sum.upstream_failed,
            sum.preemptions,
            sum.nodes_lost
        );
        Ok(())
    })
}

/// `live submit`: creates the trace's Jobs (suspended) at their submit times / `time_scale`.
pub fn submit(
    kubeconfig: &Path,
    scenario: &Path,
    trace: Option<&Path>,
    time_scale: f64,
    at_once: bool,
    image: &str,
) -> Result<(), String> {
    let s = load(scenario)?;
    if !(time_scale.is_finite() && time_scale > 0.0) {
        return Err(format!("--time-scale must be a positive number, got {time_scale}"));
    }
    let records = match trace {
        Some(p) => {
            let t = schedlab_traces::read_native(p).map_err(|e| e.to_string())?;
            schedlab_sim::workload::order(t.records, &p.display().to_string()).map_err(|e| e.to_string())?.0
        }
        None => schedlab_sim::workload::load(&s, s.seed).map_err(|e| e.to_string())?.records,
    };
    runtime()?.block_on(async {
        let c = crate::client_from_kubeconfig(kubeconfig).await?;
        let n = ops::submit_trace(c, &s, &records, time_scale, at_once, image).await?;
        eprintln!("created {n} suspended Jobs");
        Ok(())
    })
}

/// `live status [-w]`.
pub fn status(kubeconfig: &Path, namespace: Option<&str>, watch: bool) -> Result<(), String> {
    runtime()?.block_on(async {
        let c = crate::client_from_kubeconfig(kubeconfig).await?;
        let mut last = String::new();
        loop {
            let jobs = ops::list_jobs(c.clone(), namespace).await?;
            let table = ops::format_statuses(&ops::statuses(&jobs));
            if table != last {
                if watch && !last.is_empty() {
                    println!();
                }
                print!("{table}");
                last = table;
            }
            if !watch {
                return Ok(());
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = tokio::signal::ctrl_c() => return Ok(()),
            }
        }
    })
}

/// `live record`: what ran, as a native trace.
pub fn record(kubeconfig: &Path, namespace: Option<&str>, out: &Path) -> Result<usize, String> {
    runtime()?.block_on(async {
        let c = crate::client_from_kubeconfig(kubeconfig).await?;
        let jobs = ops::list_jobs(c, namespace).await?;
        let records = ops::record(&jobs);
        let f = std::fs::File::create(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
        schedlab_traces::write_native(&records, std::io::BufWriter::new(f))
            .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
        Ok(records.len())
    })
}

/// `live stop OP`.
pub fn stop(kubeconfig: &Path, op: &str) -> Result<String, String> {
    runtime()?.block_on(async {
        let c = crate::client_from_kubeconfig(kubeconfig).await?;
        ops::request_stop(c, op).await
    })
}

/// `live approve OP` (`reject`: `--reject`).
pub fn approve(kubeconfig: &Path, op: &str, reject: bool) -> Result<String, String> {
    runtime()?.block_on(async {
        let c = crate::client_from_kubeconfig(kubeconfig).await?;
        ops::approve(c, op, reject).await
    })
}

/// `live restart OP`: the new Job's `namespace/name`.
pub fn restart(kubeconfig: &Path, op: &str) -> Result<String, String> {
    runtime()?.block_on(async {
        let c = crate::client_from_kubeconfig(kubeconfig).await?;
        ops::restart(c, op).await
    })
}

/// `live eta OP`: a sentence saying when OP is expected to start.
pub fn eta(
    kubeconfig: &Path,
    scenario: &Path,
    op: &str,
    contexts: &[(String, String)],
    opts: &crate::eta::EtaOptions,
) -> Result<String, String> {
    let s = load(scenario)?;
    let plan = cluster_plan(&s, Some(kubeconfig), contexts)?;
    runtime()?.block_on(async {
        let cs = clusters(&Target::Kubeconfig(kubeconfig.to_path_buf()), plan).await?;
        let snaps = snapshot(&cs).await?;
        let now = crate::driver::jobs::now_ms();
        let (c, ns, name) = find_in(&snaps, op)?;
        let e = crate::eta::eta(&s, &snaps, (c, &ns, &name), now, opts)?;
        Ok(crate::eta::describe(&format!("{ns}/{name}"), &e, now))
    })
}

/// Nodes and Jobs of each cluster, now.
pub async fn snapshot(cs: &[driver::Cluster]) -> Result<Vec<crate::eta::ClusterSnapshot>, String> {
    let mut out = Vec::new();
    for c in cs {
        let nodes = kube::Api::<k8s_openapi::api::core::v1::Node>::all(c.client.clone())
            .list(&kube::api::ListParams::default())
            .await
            .map_err(|e| format!("cannot list the Nodes of cluster `{}`: {e}", c.name))?
            .items;
        let jobs =
            ops::list_jobs(c.client.clone(), None).await.map_err(|e| format!("cluster `{}`: {e}", c.name))?;
        out.push(crate::eta::ClusterSnapshot { name: c.name.clone(), agents: c.agents.clone(), nodes, jobs });
    }
    Ok(out)
}

/// Finds Job `NAME` or `NAMESPACE/NAME` in the snapshots: (cluster, namespace, name).
pub fn find_in(snaps: &[crate::eta::ClusterSnapshot], op: &str) -> Result<(usize, String, String), String> {
    let (want_ns, want_name) = match op.split_once('/') {
        Some((ns, name)) => (Some(ns), name),
        None => (None, op),
    };
    let mut found = Vec::new();
    for (i, s) in snaps.iter().enumerate() {
        for j in &s.jobs {
            let (ns, name) = crate::driver::jobs::key(j);
            if name == want_name && want_ns.is_none_or(|w| w == ns) {
                found.push((i, ns, name));
            }
        }
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(format!(
            "no Job named `{op}` in any namespace{}",
            if snaps.len() > 1 { " of any cluster" } else { "" }
        )),
        _ => Err(format!(
            "several Jobs are named `{op}` ({}); say which as NAMESPACE/NAME",
            found
                .iter()
                .map(|(c, ns, n)| format!("{ns}/{n} in cluster `{}`", snaps[*c].name))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// What `live bench` measured.
pub struct BenchResult {
    pub jobs: usize,
    pub wall: Duration,
    pub admissions_per_sec: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    pub passes: usize,
}

/// `live bench`: `jobs` queued Jobs (1 CPU, 0.2 s each) on an in-process emulator of 100
/// nodes × 10 CPUs, so at most 1,000 run at once and the rest wait: one driver admits them
/// all as others complete. Measures admission throughput and the kernel's decision-pass
/// latency with a deep queue.
pub fn bench(jobs: usize) -> Result<BenchResult, String> {
    let nodes = 100u64;
    let per_node = 10u64;
    let text = format!(
        "name = \"live-bench\"\n[[agents]]\nname = \"a\"\nnamespace = \"bench\"\n[[pools]]\nname = \"n\"\nagent = \"a\"\nnodes = {nodes}\ncpu = {per_node}\nmemory = \"{}Gi\"\n[[queues]]\nname = \"q\"\nagent = \"a\"\n[workload]\ntrace = \"unused.csv\"\n",
        per_node * 4
    );
    let s = Scenario::parse(&text, Path::new("bench.toml")).map_err(|e| e.to_string())?;
    runtime()?.block_on(async {
        let e = Emulator::start(Config::default()).await.map_err(|e| e.to_string())?;
        e.add_scenario_nodes(&s);
        let c = crate::client_for_url(&e.url())?;
        let records: Vec<schedlab_traces::TraceRecord> = (0..jobs)
            .map(|i| schedlab_traces::TraceRecord {
                id: format!("b{i}"),
                submit: 0,
                duration: 200,
                cpu_milli: 1000,
                mem_mib: 1024,
                queue: Some("q".into()),
                line: i as u64 + 2,
                ..Default::default()
            })
            .collect();
        ops::submit_trace(c.clone(), &s, &records, 1.0, true, "busybox").await?;
        let metrics = Metrics::new();
        let opts = Options { metrics: Some(metrics.clone()), ..Options::default() };
        let m2: Arc<Metrics> = metrics.clone();
        let target = jobs as u64;
        let done = async move {
            while m2.snapshot().admissions < target {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        };
        let start = Instant::now();
        tokio::time::timeout(Duration::from_secs(600), driver::run(c, s, opts, done))
            .await
            .map_err(|_| "the benchmark did not finish in 10 minutes".to_string())??;
        let wall = start.elapsed();
        let snap = metrics.snapshot();
        let mut lat = snap.decide_samples.clone();
        lat.sort();
        let pct = |p: f64| {
            lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
                .copied()
                .unwrap_or_default()
        };
        Ok(BenchResult {
            jobs,
            wall,
            admissions_per_sec: snap.admissions as f64 / wall.as_secs_f64(),
            p50: pct(0.5),
            p99: pct(0.99),
            max: lat.last().copied().unwrap_or_default(),
            passes: lat.len(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_agents() -> Scenario {
        let text = "name = \"t\"\n[[agents]]\nname = \"east\"\n[[agents]]\nname = \"west\"\n[[pools]]\nname = \"e\"\nagent = \"east\"\nnodes = 1\ncpu = 1\nmemory = \"1Gi\"\n[[queues]]\nname = \"q\"\nagent = \"east\"\n[workload]\ntrace = \"unused.csv\"\n";
        Scenario::parse(text, Path::new("t.toml")).unwrap()
    }

    #[test]
    fn contexts_group_agents_by_cluster() {
        assert_eq!(parse_context(" west = two "), Ok(("west".into(), "two".into())));
        assert!(parse_context("west").unwrap_err().contains("expected AGENT=CONTEXT"));
        assert!(parse_context("=two").is_err());
        let s = two_agents();
        let dir = std::env::temp_dir().join(format!("schedlab-plan-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let kc = dir.join("kc");
        std::fs::write(&kc, crate::emulator::kubeconfig_for("http://127.0.0.1:1")).unwrap();
        let cur = Some("schedlab-emulator".to_string());
        let ctx = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs.iter().map(|(a, c)| (a.to_string(), c.to_string())).collect()
        };
        assert_eq!(cluster_plan(&s, Some(&kc), &[]).unwrap(), vec![(None, vec![])]);
        assert_eq!(
            cluster_plan(&s, Some(&kc), &ctx(&[("west", "two")])).unwrap(),
            vec![(cur.clone(), vec![]), (Some("two".into()), vec!["west".into()])]
        );
        // Every agent elsewhere: the current context is not watched.
        assert_eq!(
            cluster_plan(&s, Some(&kc), &ctx(&[("west", "two"), ("east", "two")])).unwrap(),
            vec![(Some("two".into()), vec!["west".into(), "east".into()])]
        );
        let e = cluster_plan(&s, Some(&kc), &ctx(&[("north", "two")])).unwrap_err();
        assert!(e.contains("no agent `north`") && e.contains("east, west"), "{e}");
        let e = cluster_plan(&s, Some(&kc), &ctx(&[("west", "two"), ("west", "three")])).unwrap_err();
        assert!(e.contains("names agent `west` twice"), "{e}");
        let e = cluster_plan(&s, None, &ctx(&[("west", "two")])).unwrap_err();
        assert!(e.contains("--context needs --kubeconfig"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
