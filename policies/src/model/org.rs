use crate::ids::QueueId;

/// An agent manages one namespace or cluster; queues route to exactly one agent.
#[derive(Clone, Debug)]
pub struct AgentSpec {
    pub name: String,
    /// The namespace (live: where its Jobs live); informational in the simulator.
    pub namespace: Option<String>,
}

/// A project: who owns operations, which queue they use by default and which they may use.
#[derive(Clone, Debug)]
pub struct ProjectSpec {
    pub name: String,
    pub default_queue: Option<QueueId>,
    /// `None` means every queue is allowed.
    pub allowed_queues: Option<Vec<QueueId>>,
}
