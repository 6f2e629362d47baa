//! # schedlab-sim: the deterministic simulator
//!
//! - [`scenario`]: scenario files (TOML) and their checks.
//! - [`workload`]: the run's operations, in submission order.
//! - [`engine`]: the discrete-event loop around the kernel.
//! - [`attempt`] and [`samples`]: what the loop records.
//! - [`metrics`]: what a run measured, as the summary.
//! - [`tuning`]: `[[tuning]]` sweeps played as operations (controllers and trials).
//! - [`output`]: the run directory's files, each written atomically.

pub mod attempt;
pub mod compare;
pub mod engine;
pub mod lifecycle;
pub mod metrics;
pub mod output;
pub mod samples;
pub mod scenario;
pub mod suggest;
pub mod sweep;
pub mod tuning;
pub mod workload;

pub use scenario::{Scenario, ScenarioError};
