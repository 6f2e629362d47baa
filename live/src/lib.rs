//! # schedlab-live: the Kubernetes side of schedlab
//!
//! The live driver will run the unchanged kernel against a cluster through kube-rs. What is
//! here now is the contract it rests on: how a batch/v1 Job says which queue, project,
//! priority and workflow it belongs to ([`annotations`]), and how that becomes a kernel
//! submission.

pub mod annotations;
