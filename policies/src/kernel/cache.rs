//! The operation cache: operations with the same cache key share one result.
//!
//! Each key has at most one *source*: the operation whose run provides the result. While the
//! source runs, later operations of the key wait for it instead of running the same work
//! twice; when it succeeds they all end `succeeded` as cache hits pointing at it, and so do
//! later ones while the result is younger than their TTL. When it ends otherwise, the oldest
//! waiter becomes the source and runs (the others wait for it in turn).

use std::collections::VecDeque;

use super::{Kernel, OpExtra};
use crate::ids::OpId;
use crate::model::Status;
use crate::time::Time;

/// One key's source and who waits for it.
#[derive(Clone, Debug)]
pub(super) struct CacheEntry {
    source: OpId,
    /// When the source succeeded (`None` while it has not).
    done_at: Option<Time>,
    waiters: VecDeque<OpId>,
}

/// What a compiled operation does about its key.
pub(super) enum Lookup {
    /// Run it (it is the key's source now).
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
        let entry = self.cache.entry(spec.key.into_boxed_str()).or_insert(CacheEntry {
            source: id,
            done_at: None,
            waiters: VecDeque::new(),
        });
        if entry.source == id {
            return Lookup::Run;
        }
        match entry.done_at {
            // Within the asker's TTL (its own: what it considers fresh enough).
            Some(at) if spec.ttl.is_none_or(|ttl| now - at <= ttl) => Lookup::Hit(entry.source),
            // Expired: this one runs and becomes the source.
            Some(_) => {
                *entry = CacheEntry { source: id, done_at: None, waiters: VecDeque::new() };
                Lookup::Run
            }
            None => {
                entry.waiters.push_back(id);
                let source = entry.source;
                if let Some(x) = self.ops[id.index()].extra.as_mut() {
                    x.cache_source = Some(source);
                }
                Lookup::Wait(source)
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

    /// Operation `up` just ended: if it was a key's source, settle that key's waiters.
    pub(super) fn cache_source_ended(&mut self, up: OpId, now: Time, stack: &mut Vec<OpId>) {
        let Some(key) =
            self.ops[up.index()].extra.as_ref().and_then(|x| x.cache.as_ref()).map(|c| c.key.clone())
        else {
            return;
        };
        let Some(entry) = self.cache.get_mut(key.as_str()) else { return };
        if entry.source != up || entry.done_at.is_some() {
            return;
        }
        let succeeded = self.ops[up.index()].status == Status::Succeeded;
        let mut waiters = std::mem::take(&mut entry.waiters);
        if succeeded {
            entry.done_at = Some(now);
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
            entry.source = w;
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
        self.cache.remove(key.as_str());
    }
}
