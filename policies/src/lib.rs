//! # schedlab-policies: the scheduling kernel
//!
//! The kernel decides what runs where. It is a pure state machine: drivers (the simulator in
//! `schedlab-sim`, the Kubernetes driver in `schedlab-live`) feed it submissions and
//! observations and ask it for decisions. It does no I/O, reads no clock and keeps no global
//! state: time is always an argument.
//!
//! - [`model`]: what is scheduled (agents, nodes, queues, projects, workflows, operations).
//! - [`kernel`]: the admission pipeline and its state.
//! - [`dispatch`] and [`placement`]: the policies, one file each, chosen by name.

pub mod dispatch;
pub mod expr;
pub mod ids;
pub mod kernel;
pub mod model;
pub mod placement;
pub mod preemption;
pub mod resources;
pub mod time;
pub mod tuning;
pub mod units;

pub use ids::{AgentId, NodeId, OpId, ProjectId, QueueId, WorkflowId};
pub use kernel::{Decision, Kernel, KernelConfig, Observation};
pub use resources::Resources;
pub use time::Time;
