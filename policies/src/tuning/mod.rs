//! Hyperparameter tuning: which trials of a sweep (grid, random, Hyperband, or an explicit
//! mapping) exist and when, with early stopping, and a seeded synthetic model of trials for the
//! simulator.
//!
//! Pure like the rest of the kernel: no I/O, no clock, no global state; every random choice
//! comes from ChaCha8 streams of the seed given, so a sweep replays exactly.
//!
//! - [`spec`]: what a sweep is ([`SweepSpec`]) and how scenario files write a space
//!   ([`parse_space`]).
//! - [`Sweep`]: the state machine the caller drives (`start`, `report`, `ended`) and whose
//!   [`Action`]s it applies. One private file per algorithm (`grid`, `random`,
//!   [`hyperband`], whose bracket plan is public) and per early-stopping rule
//!   (`early_stop/`).
//! - [`model`]: [`simulate_trial`], durations and metric curves of simulated trials.

mod early_stop;
mod grid;
pub mod hyperband;
pub mod model;
mod random;
pub mod spec;
mod sweep;

#[cfg(test)]
mod tests;

pub use hyperband::{BracketPlan, RungPlan};
pub use model::{simulate_trial, TrialModel, TrialOutcome};
pub use spec::{parse_space, Algorithm, EarlyStop, Goal, Metric, Space, SweepSpec};
pub use sweep::{Action, Sweep, Trial, TrialEnd};
