//! What the kernel schedules: the static description of agents, nodes, queues, projects,
//! workflows and operations. Runtime state lives in [`crate::kernel`].

mod constraints;
mod node;
mod op;
mod org;
mod queue;
mod status;
mod trigger;
mod workflow;

pub use constraints::{
    fmt_affinity, fmt_selector, fmt_tolerations, parse_affinity, parse_selector, parse_tolerations,
    AffinityOp, Constraints, Requirement, Toleration,
};
pub use node::{NodeSpec, Taint};
pub use op::{CacheSpec, OpSpec, QueueRef};
pub use org::{AgentSpec, ProjectSpec};
pub use queue::{Budget, QueueSpec, Termination};
pub use status::Status;
pub use trigger::{Trigger, Verdict};
pub use workflow::WorkflowSpec;
