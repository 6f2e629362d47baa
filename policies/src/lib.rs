//! # schedlab-policies: the scheduling kernel
//!
//! The kernel decides what runs where. It is a pure state machine: drivers (the simulator in
//! `schedlab-sim`, the Kubernetes driver in `schedlab-live`) feed it submissions and
//! observations and ask it for decisions. It does no I/O, reads no clock and keeps no global
//! state: time is always an argument.

pub mod resources;
pub mod time;
pub mod units;
