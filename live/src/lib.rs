//! # schedlab-live: the Kubernetes side of schedlab
//!
//! - [`annotations`]: how a batch/v1 Job says which queue, project, priority and workflow it
//!   belongs to, and what the driver writes back.
//! - [`emulator`]: a Kubernetes API emulator on loopback (Jobs, Nodes, Events; watch; faults).
//! - [`driver`]: the live driver: the unchanged kernel scheduling a cluster through kube-rs.
//! - [`ops`]: the user commands' cluster side (submit a trace, status, record, stop).
//! - [`metrics`]: Prometheus metrics of the driver.

pub mod annotations;
pub mod cli;
pub mod driver;
pub mod emulator;
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
    let kc = kube::config::Kubeconfig::read_from(path)
        .map_err(|e| format!("cannot read the kubeconfig {}: {e}", path.display()))?;
    let config = kube::Config::from_custom_kubeconfig(kc, &kube::config::KubeConfigOptions::default())
        .await
        .map_err(|e| format!("kubeconfig {}: {e}", path.display()))?;
    kube::Client::try_from(config).map_err(|e| format!("cannot build a Kubernetes client: {e}"))
}

/// A kube client for an API server at `url` with no authentication (the emulator).
pub fn client_for_url(url: &str) -> Result<kube::Client, String> {
    let uri = url.parse().map_err(|e| format!("bad URL `{url}`: {e}"))?;
    kube::Client::try_from(kube::Config::new(uri))
        .map_err(|e| format!("cannot build a Kubernetes client: {e}"))
}
