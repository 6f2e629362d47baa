use crate::ids::WorkflowId;

/// A workflow (pipeline). Its `concurrency` limits how many of its operations are queued or
/// running at once; a top-level workflow is also the *controller* of every workflow nested
/// beneath it and limits the leaf operations queued or running in its whole tree.
#[derive(Clone, Debug)]
pub struct WorkflowSpec {
    pub name: String,
    /// `None` is unlimited.
    pub concurrency: Option<u32>,
    /// The workflow it is nested in; must already be registered.
    pub parent: Option<WorkflowId>,
}
