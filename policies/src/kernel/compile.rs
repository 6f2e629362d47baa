//! Compilation: what happens between an operation's upstream being done and its workflow
//! gate, in the seeds' order. (a) Its condition is decided (false: `skipped`); (b) the
//! operation cache is looked up (a hit ends it `succeeded` with the source's result; a run
//! of the same key in flight makes it wait for that run); (c) it waits for manual approval
//! if it needs it; (d) it asks its workflows for room ([`super::gate`]).

use super::{Approval, Decision, Kernel};
use crate::expr::Value;
use crate::ids::OpId;
use crate::model::Status;
use crate::time::Time;

impl Kernel {
    /// Upstream is done: the operation becomes `compiled` and goes through the stages. One
    /// that ends without running goes on `stack` (its downstream is told by the caller).
    pub(super) fn compile(&mut self, id: OpId, now: Time, stack: &mut Vec<OpId>) {
        self.set_status(id, Status::Compiled, now, None);
        let condition = self.ops[id.index()].extra.as_ref().and_then(|x| x.conditions.clone());
        if let Some(c) = condition {
            let verdict = c.eval(&|p: &[String]| self.condition_value(id, p));
            match verdict {
                Ok(true) => {}
                Ok(false) => {
                    let why = format!("condition `{c}` is false");
                    self.end_unstarted(id, now, Status::Skipped, why, stack);
                    return;
                }
                Err(e) => {
                    let why = format!("condition cannot be decided: {e}");
                    self.end_unstarted(id, now, Status::Failed, why, stack);
                    return;
                }
            }
        }
        if self.ops[id.index()].extra.as_ref().is_some_and(|x| x.cache.is_some()) {
            match self.cache_lookup(id, now) {
                super::cache::Lookup::Run => {}
                super::cache::Lookup::Hit(source) => {
                    self.cache_hit(id, source, now);
                    stack.push(id);
                    return;
                }
                super::cache::Lookup::Wait(source) => {
                    let why = format!("waiting for operation {} (same cache key)", source.0);
                    self.set_status(id, Status::Compiled, now, Some(&why));
                    return;
                }
            }
        }
        self.await_approval_or_admit(id, now);
    }

    /// Stage (c) then (d).
    pub(super) fn await_approval_or_admit(&mut self, id: OpId, now: Time) {
        if let Some(x) = self.ops[id.index()].extra.as_mut() {
            if x.approval == Approval::Pending {
                x.approval = Approval::Waiting;
                self.set_status(id, Status::Compiled, now, Some("waiting for approval"));
                self.pending_decisions.push(Decision::AwaitApproval { op: id });
                return;
            }
        }
        self.admit(id, now);
    }

    /// Ends an operation that never held resources; its downstream is told through `stack`.
    pub(super) fn end_unstarted(
        &mut self,
        id: OpId,
        now: Time,
        status: Status,
        why: String,
        stack: &mut Vec<OpId>,
    ) {
        self.set_status(id, status, now, Some(&why));
        self.ops[id.index()].ended = Some(now);
        self.reasons.insert(id, why);
        stack.push(id);
    }

    /// The value of a path in `id`'s condition.
    fn condition_value(&self, id: OpId, path: &[String]) -> Option<Value> {
        let op = &self.ops[id.index()];
        let x = op.extra.as_deref()?;
        match path {
            [head, k] if head == "inputs" => x.inputs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()),
            [head, r] if head == "resources" => super::routes::resource_value(&op.resources, op.replicas, r),
            [head, name, rest @ ..] if head == "ops" => {
                let i = x.upstream_names.iter().position(|n| n == name)?;
                let up = &self.ops[x.upstream.get(i)?.index()];
                match rest {
                    [s] if s == "status" => Some(Value::Str(up.status.as_str().to_string())),
                    [o, k] if o == "outputs" => {
                        up.extra.as_deref()?.outputs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }
}
