use crate::ids::AgentId;
use crate::resources::Resources;

/// A Kubernetes-style taint: operations without a matching toleration avoid the node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Taint {
    pub key: String,
    pub value: String,
    pub effect: String,
}

/// A node: where operations run. It belongs to exactly one agent.
#[derive(Clone, Debug)]
pub struct NodeSpec {
    pub name: String,
    pub agent: AgentId,
    /// The node pool it was created from (machine type); used for reporting and selection.
    pub pool: String,
    /// Sorted `(key, value)` pairs.
    pub labels: Vec<(String, String)>,
    pub taints: Vec<Taint>,
    pub allocatable: Resources,
    /// Price of the whole node per hour; an attempt pays its dominant share of it.
    pub cost_per_hour: f64,
}
