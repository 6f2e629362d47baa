//! Restart, resume and copy: a finished operation submitted again as a new operation linked
//! to it (the seeds' `ops restart`, `ops resume`, `ops restart --copy`).

use super::{Kernel, OpExtra, Resubmit};
use crate::ids::OpId;
use crate::model::{OpSpec, QueueRef, Termination};
use crate::time::Time;

impl Kernel {
    /// Submits a new operation made from the finished `op`: same queue, project, workflow,
    /// resources, constraints, inputs and termination settings; no upstream (the original's
    /// ran already), no approval and no cache (it is asked for by hand). A resume runs only the
    /// work the original's checkpoints saved (its `saved` starts there); a copy starts with
    /// the original's outputs. Refused when `op` is unknown, unfinished, or never had a queue.
    pub fn resubmit(&mut self, now: Time, op: OpId, how: Resubmit) -> Result<OpId, String> {
        let o = self.ops.get(op.index()).ok_or_else(|| format!("unknown operation {}", op.0))?;
        if !o.status.is_terminal() {
            return Err(format!(
                "operation {} is {}; only a finished operation can be {}ed",
                op.0,
                o.status,
                verb(how)
            ));
        }
        let q = o.queue.ok_or_else(|| format!("operation {} was rejected before it had a queue", op.0))?;
        let mut spec = OpSpec::new(QueueRef::Id(q), o.resources);
        spec.project = o.project;
        spec.priority = o.priority;
        spec.workflow = o.workflow;
        spec.constraints = self.constraints[o.constraints as usize].clone();
        spec.preemptible = o.preemptible;
        spec.checkpoint = o.checkpoint;
        spec.estimate = o.estimate;
        spec.replicas = o.replicas;
        spec.termination = Termination {
            timeout: o.timeout,
            retries: Some(o.max_retries),
            retry_backoff: Some(o.retry_backoff),
        };
        spec.inputs = o.extra.as_ref().map(|x| x.inputs.clone()).unwrap_or_default();
        // What a resume skips: the original's saved work, plus what its last attempt
        // checkpointed before it ended.
        let saved = match (o.started, o.ended, o.checkpoint) {
            (Some(s), Some(e), Some(c)) if o.status != crate::model::Status::Succeeded => {
                o.saved + (e - s).max(0) / c * c
            }
            _ => o.saved,
        };
        let outputs = o.extra.as_ref().map(|x| x.outputs.clone()).unwrap_or_default();
        let why = format!("{} of operation {}", how.as_str(), op.0);
        let id = self.submit_as(now, spec, Some(&why));
        let new = &mut self.ops[id.index()];
        if how == Resubmit::Resume {
            new.saved = saved;
        }
        let x = new.extra.get_or_insert_with(Box::<OpExtra>::default);
        x.origin = Some((op, how));
        if how == Resubmit::Copy {
            x.outputs = outputs;
        }
        Ok(id)
    }
}

fn verb(how: Resubmit) -> &'static str {
    match how {
        Resubmit::Restart => "restart",
        Resubmit::Resume => "resum",
        Resubmit::Copy => "copi",
    }
}
