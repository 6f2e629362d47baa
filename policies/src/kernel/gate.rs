//! Workflow concurrency: steps (1) and (2) of the pipeline.
//!
//! A compiled operation is queued only if its direct workflow has fewer than `concurrency` of
//! its operations queued or running, and its controller (the top-level workflow above it) has
//! fewer than `concurrency` leaf operations queued or running beneath it. Operations that
//! must wait are *held* on their direct workflow. Each controller keeps the workflows beneath
//! it that have held operations and direct room in a set ordered by their oldest held
//! operation, so freeing a slot releases the oldest waiting operation without a scan.

use super::Kernel;
use crate::ids::{OpId, WorkflowId};
use crate::model::Status;
use crate::time::Time;

impl Kernel {
    /// A compiled operation asks to be queued.
    pub(super) fn admit(&mut self, id: OpId, now: Time) {
        let Some(w) = self.ops[id.index()].workflow else {
            self.enqueue(id, now, None);
            return;
        };
        self.workflows[w.index()].held.push_back(id);
        self.mark_ready(w);
        let c = self.workflows[w.index()].controller;
        self.release_held(c, now);
    }

    /// A queued or running operation left (ended or stopped): its workflows get the slot back.
    pub(super) fn leave_workflow(&mut self, id: OpId, now: Time) {
        let Some(w) = self.ops[id.index()].workflow else {
            return;
        };
        let c = self.workflows[w.index()].controller;
        self.workflows[w.index()].direct_active -= 1;
        self.workflows[c.index()].tree_active -= 1;
        self.mark_ready(w);
        self.release_held(c, now);
    }

    /// A held operation was found running (adopted): count it against its workflows now.
    pub(super) fn take_workflow_slot(&mut self, id: OpId) {
        let Some(w) = self.ops[id.index()].workflow else { return };
        let c = self.workflows[w.index()].controller;
        self.workflows[w.index()].direct_active += 1;
        self.workflows[c.index()].tree_active += 1;
    }

    /// Puts `w` in its controller's ready set if it has held work and direct room.
    fn mark_ready(&mut self, w: WorkflowId) {
        let wf = &mut self.workflows[w.index()];
        // Drop held operations that were stopped while they waited.
        while let Some(&head) = wf.held.front() {
            if self.ops[head.index()].status == Status::Compiled {
                break;
            }
            wf.held.pop_front();
        }
        let Some(&head) = wf.held.front() else { return };
        if wf.in_ready || wf.direct_active >= wf.limit() {
            return;
        }
        wf.in_ready = true;
        let c = wf.controller;
        let seq = self.ops[head.index()].seq;
        self.workflows[c.index()].ready.insert((seq, w));
    }

    /// Queues held operations under controller `c` while it has room, oldest first.
    fn release_held(&mut self, c: WorkflowId, now: Time) {
        loop {
            let ctrl = &mut self.workflows[c.index()];
            if ctrl.tree_active >= ctrl.limit() {
                return;
            }
            let Some((_, w)) = ctrl.ready.pop_first() else {
                return;
            };
            let wf = &mut self.workflows[w.index()];
            wf.in_ready = false;
            let Some(id) = wf.held.pop_front() else {
                continue;
            };
            if self.ops[id.index()].status != Status::Compiled {
                // Stopped while held; look at the workflow again.
                self.mark_ready(w);
                continue;
            }
            wf.direct_active += 1;
            self.workflows[c.index()].tree_active += 1;
            self.mark_ready(w);
            self.enqueue(id, now, None);
        }
    }
}
