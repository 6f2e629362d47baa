//! Dense integer handles for everything the kernel stores in arenas.
//!
//! Names are resolved to ids once, when a scenario or a submission is loaded; after that the
//! kernel only ever indexes vectors.

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
        pub struct $name(pub u32);

        impl $name {
            /// The arena index this id stands for.
            #[inline]
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

id_type!(
    /// An operation (one schedulable unit of work).
    OpId
);
id_type!(
    /// A queue.
    QueueId
);
id_type!(
    /// An agent: one namespace or cluster that runs the operations of its queues.
    AgentId
);
id_type!(
    /// A project (owner of operations; carries a default queue and allowed queues).
    ProjectId
);
id_type!(
    /// A workflow (pipeline): DAG, parallel execution, sweep, ...
    WorkflowId
);
id_type!(
    /// A node of some agent.
    NodeId
);
