//! # schedlab-live: the Kubernetes side of schedlab
//!
//! - [`annotations`]: how a batch/v1 Job says which queue, project, priority and workflow it
//!   belongs to, and what the driver writes back.
//! - [`emulator`]: a Kubernetes API emulator on loopback (Jobs, Nodes, Events; watch; faults).
//! - [`driver`]: the live driver: the unchanged kernel scheduling a cluster through kube-rs.
//! - [`ops`]: the user commands' cluster side (submit a trace, status, record, stop, approve,
//!   restart).
//! - [`eta`]: when a queued operation is expected to start (the cluster fast-forwarded in
//!   the simulator).
//! - [`metrics`]: Prometheus metrics of the driver.

pub mod annotations;
pub mod cli;
pub mod driver;
pub mod emulator;
pub mod eta;
pub mod metrics;
pub mod ops;
pub mod quantity;

/// Node label: the schedlab agent a node belongs to (else the agent of its pool, or the only
/// agent).
pub const AGENT_LABEL: &str = "schedlab.io/agent";
/// Node label: the scenario pool a node belongs to.
pub const POOL_LABEL: &str = "schedlab.io/pool";

/// A kube client from a kubeconfig file (its current context).
pub async fn client_from_kubeconfig(path: &std::path::Path) -> Result<kube::Client, String> {
    client_for_context(path, None).await
}

/// A kube client from a kubeconfig file and one of its contexts (`None`: the current one).
pub async fn client_for_context(
    path: &std::path::Path,
    context: Option<&str>,
) -> Result<kube::Client, String> {
    let kc = kube::config::Kubeconfig::read_from(path)
        .map_err(|e| format!("cannot read the kubeconfig {}: {e}", path.display()))?;
    if let Some(c) = context {
        if !kc.contexts.iter().any(|x| x.name == c) {
            let known: Vec<&str> = kc.contexts.iter().map(|x| x.name.as_str()).collect();
            return Err(format!(
                "kubeconfig {} has no context `{c}` (its contexts: {})",
                path.display(),
                if known.is_empty() { "none".to_string() } else { known.join(", ") }
            ));
        }
    }
    let opts = kube::config::KubeConfigOptions { context: context.map(String::from), ..Default::default() };
    let config = kube::Config::from_custom_kubeconfig(kc, &opts)
        .await
        .map_err(|e| format!("kubeconfig {}: {e}", path.display()))?;
    kube::Client::try_from(config).map_err(|e| format!("cannot build a Kubernetes client: {e}"))
}

/// The current context's name of a kubeconfig file.
pub fn current_context(path: &std::path::Path) -> Result<Option<String>, String> {
    let kc = kube::config::Kubeconfig::read_from(path)
        .map_err(|e| format!("cannot read the kubeconfig {}: {e}", path.display()))?;
    Ok(kc.current_context)
}

/// A kube client for an API server at `url` with no authentication (the emulator).
pub fn client_for_url(url: &str) -> Result<kube::Client, String> {
    let uri = url.parse().map_err(|e| format!("bad URL `{url}`: {e}"))?;
    kube::Client::try_from(kube::Config::new(uri))
        .map_err(|e| format!("cannot build a Kubernetes client: {e}"))
}
