//! The operation cache: operations with the same cache key share one result.
//!
//! Each key remembers its latest success (the operation and when) and at most one *running
//! source*: the operation whose run will provide the next result. A compiled operation whose
//! key has a success younger than its own TTL ends `succeeded` at once as a cache hit pointing
//! at that success; otherwise, if a source is running, it waits for it instead of running the
//! same work twice; otherwise it runs and becomes the source. When the source succeeds, it
//! becomes the key's latest success and its waiters hit; when it ends otherwise, the oldest
//! waiter runs in its place (the others wait for it in turn). An older success stays usable by
//! operations whose TTL still covers it, whatever runs meanwhile.

use std::collections::VecDeque;

use super::{Kernel, OpExtra};
use crate::ids::OpId;
use crate::model::Status;
use crate::time::Time;

/// One key's latest success and its running source, with who waits for it.
#[derive(Clone, Debug, Default)]
pub(super) struct CacheEntry {
    /// The latest success: (operation, when it succeeded).
    done: Option<(OpId, Time)>,
    running: Option<OpId>,
    waiters: VecDeque<OpId>,
}

/// What a compiled operation does about its key.
pub(super) enum Lookup {
    /// Run it (it is the key's running source now).
    Run,
    /// Reuse this operation's result.
    Hit(OpId),
    /// Wait for this operation, which runs the same work now.
    Wait(OpId),
}

impl Kernel {
    pub(super) fn cache_lookup(&mut self, id: OpId, now: Time) -> Lookup {
        let Some(spec) = self.ops[id.index()].extra.as_ref().and_then(|x| x.cache.clone()) else {
            return Lookup::Run;
        };
        let entry = self.cache.entry(spec.key.into_boxed_str()).or_default();
        if let Some((source, at)) = entry.done {
            // Fresh enough by the asker's own TTL.
            if spec.ttl.is_none_or(|ttl| now - at <= ttl) {
                return Lookup::Hit(source);
            }
        }
        match entry.running {
            Some(source) if source != id => {
                entry.waiters.push_back(id);
                if let Some(x) = self.ops[id.index()].extra.as_mut() {
                    x.cache_source = Some(source);
                }
                Lookup::Wait(source)
            }
            _ => {
                entry.running = Some(id);
                Lookup::Run
            }
        }
    }

    /// `id` ends `succeeded` with `source`'s result.
    pub(super) fn cache_hit(&mut self, id: OpId, source: OpId, now: Time) {
        let outputs = self.ops[source.index()].extra.as_ref().map(|x| x.outputs.clone()).unwrap_or_default();
        let x = self.ops[id.index()].extra.get_or_insert_with(Box::<OpExtra>::default);
        x.cache_source = Some(source);
        x.outputs = outputs;
        let why = format!("cache hit: operation {}", source.0);
        self.set_status(id, Status::Succeeded, now, Some(&why));
        self.ops[id.index()].ended = Some(now);
        self.reasons.insert(id, why);
    }

    /// Operation `up` just ended: if it was its key's running source, settle the waiters.
    pub(super) fn cache_source_ended(&mut self, up: OpId, now: Time, stack: &mut Vec<OpId>) {
        let Some(key) =
            self.ops[up.index()].extra.as_ref().and_then(|x| x.cache.as_ref()).map(|c| c.key.clone())
        else {
            return;
        };
        let Some(entry) = self.cache.get_mut(key.as_str()) else { return };
        if entry.running != Some(up) {
            return;
        }
        entry.running = None;
        let mut waiters = std::mem::take(&mut entry.waiters);
        if self.ops[up.index()].status == Status::Succeeded {
            entry.done = Some((up, now));
            for w in waiters {
                if self.ops[w.index()].status == Status::Compiled {
                    self.cache_hit(w, up, now);
                    stack.push(w);
                }
            }
            return;
        }
        // The oldest waiter still waiting runs instead; the rest wait for it.
        while let Some(w) = waiters.pop_front() {
            if self.ops[w.index()].status != Status::Compiled {
                continue;
            }
            let entry = self.cache.get_mut(key.as_str()).expect("present");
            entry.running = Some(w);
            entry.waiters = waiters;
            for &o in &entry.waiters {
                if let Some(x) = self.ops[o.index()].extra.as_mut() {
                    x.cache_source = Some(w);
                }
            }
            let why =
                format!("operation {} ended {}: running in its place", up.0, self.ops[up.index()].status);
            self.set_status(w, Status::Compiled, now, Some(&why));
            self.await_approval_or_admit(w, now);
            return;
        }
    }
}
