//! Submission: validation, queue resolution and upstream dependencies.

use super::{Kernel, OpState};
use crate::ids::{OpId, QueueId};
use crate::model::{OpSpec, QueueRef, Status};
use crate::resources::{Resources, STANDARD_NAMES};
use crate::time::Time;
use crate::units::fmt_cores;

impl Kernel {
    /// An operation arrives. It gets an id whatever happens: an invalid one ends `rejected`
    /// at once with a reason ([`Kernel::reason`]); a valid one is compiled when its upstream
    /// has succeeded and queued when its workflows have room.
    pub fn submit(&mut self, now: Time, spec: OpSpec) -> OpId {
        self.submit_as(now, spec, None)
    }

    /// [`Kernel::submit`], journaling `created` with `why`.
    pub(super) fn submit_as(&mut self, now: Time, spec: OpSpec, why: Option<&str>) -> OpId {
        let id = OpId(self.ops.len() as u32);
        let seq = self.next_seq;
        self.next_seq += 1;
        let queue = self.resolve_queue(&spec).ok();
        let constraints = match queue {
            Some(q) => {
                let c = self.constraints_of(&self.queues[q.index()].spec, &spec.constraints);
                self.intern_constraints(&c)
            }
            None => 0,
        };
        let termination =
            spec.termination.or(queue.map(|q| self.queues[q.index()].spec.termination).unwrap_or_default());
        self.ops.push(OpState {
            queue,
            project: spec.project,
            workflow: spec.workflow,
            priority: spec.priority,
            resources: spec.resources,
            status: Status::Created,
            seq,
            submitted: now,
            queued_at: None,
            started: None,
            ended: None,
            node: None,
            replicas: spec.replicas.max(1),
            gang: Vec::new(),
            attempts: 0,
            cost: 0.0,
            cost_rate: 0.0,
            pending_deps: 0,
            upstream: (spec.depends_on.len() as u32, 0, 0),
            trigger: spec.trigger,
            skip_on_upstream_skip: spec.skip_on_upstream_skip,
            constraints,
            preemptible: spec.preemptible && queue.is_none_or(|q| self.queues[q.index()].spec.preemptible),
            checkpoint: spec
                .checkpoint
                .or(queue.and_then(|q| self.queues[q.index()].spec.checkpoint))
                .filter(|c| *c > 0),
            attempt_start: now,
            first_started: None,
            saved: 0,
            work_lost: 0,
            preemptions: 0,
            node_losses: 0,
            queue_key: (0, 0),
            estimate: spec.estimate,
            timeout: termination.timeout.filter(|t| *t > 0),
            max_retries: termination.retries.unwrap_or(0),
            retries: 0,
            retry_backoff: termination.retry_backoff.unwrap_or(0).max(0),
            end_seq: 0,
            extra: extra_of(&spec),
        });
        if let Some(j) = self.journal.as_mut() {
            j.push(super::StatusChange {
                op: id,
                time: now,
                status: Status::Created,
                reason: why.map(Into::into),
            });
        }
        if let Err(reason) = self.validate(id, &spec) {
            self.finish_unstarted(id, now, Status::Rejected, Some(reason));
            return id;
        }
        // Upstream operations already ended count at once; the others report when they end.
        let mut ended: Vec<OpId> = Vec::new();
        for &dep in &spec.depends_on {
            if self.ops[dep.index()].status.is_terminal() {
                ended.push(dep);
            } else {
                self.ops[id.index()].pending_deps += 1;
                self.dependents.entry(dep).or_default().push(id);
            }
        }
        if spec.depends_on.is_empty() {
            let mut stack = Vec::new();
            self.compile(id, now, &mut stack);
            self.propagate(stack, now);
            return id;
        }
        // In the order they ended, as if it had been waiting for them.
        ended.sort_by_key(|d| self.ops[d.index()].end_seq);
        let mut stack = Vec::new();
        for dep in ended {
            if self.ops[id.index()].status != Status::Created {
                break;
            }
            self.upstream_ended(id, dep, now, &mut stack);
        }
        if self.ops[id.index()].status == Status::Created {
            self.upstream_ended_check(id, None, now, &mut stack);
        }
        self.propagate(stack, now);
        id
    }

    fn resolve_queue(&self, spec: &OpSpec) -> Result<QueueId, String> {
        match &spec.queue {
            QueueRef::Id(q) if q.index() < self.queues.len() => Ok(*q),
            QueueRef::Id(q) => Err(format!("unknown queue id {}", q.0)),
            QueueRef::Unknown(name) => Err(format!("unknown queue `{name}`")),
            QueueRef::Default => {
                if let Some(q) = self.route(spec) {
                    return Ok(q);
                }
                let project = spec.project.and_then(|p| self.projects.get(p.index()));
                project
                    .and_then(|p| p.default_queue)
                    .or(self.org_default_queue)
                    .ok_or_else(|| match project {
                        Some(p) => format!(
                            "no queue given, and neither project `{}` nor the organisation has a default queue",
                            p.name
                        ),
                        None => "no queue given and the organisation has no default queue".into(),
                    })
            }
        }
    }

    fn validate(&self, id: OpId, spec: &OpSpec) -> Result<(), String> {
        let q = self.resolve_queue(spec)?;
        if let Some(p) = spec.project {
            let project =
                self.projects.get(p.index()).ok_or_else(|| format!("unknown project id {}", p.0))?;
            if let Some(allowed) = &project.allowed_queues {
                if !allowed.contains(&q) {
                    let names: Vec<&str> =
                        allowed.iter().map(|a| self.queues[a.index()].spec.name.as_str()).collect();
                    return Err(format!(
                        "project `{}` may not use queue `{}` (allowed: {})",
                        project.name,
                        self.queues[q.index()].spec.name,
                        names.join(", ")
                    ));
                }
            }
        }
        if let Some(w) = spec.workflow {
            if w.index() >= self.workflows.len() {
                return Err(format!("unknown workflow id {}", w.0));
            }
        }
        for dep in &spec.depends_on {
            if dep.index() >= id.index() {
                return Err(format!("depends on operation {} which was not submitted before it", dep.0));
            }
        }
        if spec.replicas == 0 {
            return Err("asks for 0 replicas; a gang needs at least one".into());
        }
        if let Some(c) = &spec.conditions {
            check_condition(c, spec)?;
        }
        let queue = &self.queues[q.index()];
        let total = spec.resources.times(spec.replicas);
        let ceiling = self.quota_ceiling(q);
        if !total.fits_in(&ceiling) {
            return Err(format!(
                "requests {}{} which exceeds queue `{}`'s quota of {}",
                describe(&total),
                if spec.replicas > 1 { format!(" ({} replicas)", spec.replicas) } else { String::new() },
                queue.spec.name,
                if queue.cohort.is_some() {
                    format!("{} (with what it may borrow from its cohort)", describe(&ceiling))
                } else {
                    describe(&queue.spec.quota)
                }
            ));
        }
        let agent = &self.agents[queue.spec.agent.index()];
        let req = &spec.resources;
        let shapes = self.allowed_shapes(queue.spec.agent, self.ops[id.index()].constraints);
        if shapes.is_empty() && !agent.classes.is_empty() {
            return Err(format!(
                "no node of agent `{}` matches its node selector, affinity and tolerations (with queue `{}`'s)",
                agent.spec.name, queue.spec.name
            ));
        }
        if !shapes.iter().any(|s| req.fits_in(&s.0)) {
            return Err(format!(
                "requests {} which no node of agent `{}` can hold{}",
                describe(&spec.resources),
                agent.spec.name,
                match shapes.iter().map(|s| s.0).reduce(|a, b| a.max(&b)) {
                    Some(m) => format!(" (largest per resource: {})", describe(&m)),
                    None => " (it has no nodes)".into(),
                }
            ));
        }
        if spec.replicas > 1 {
            let room = self.replica_room(queue.spec.agent, self.ops[id.index()].constraints, req);
            if room < u64::from(spec.replicas) {
                return Err(format!(
                    "is a gang of {} replicas of {} but the nodes of agent `{}` it may use hold at most {room} at once",
                    spec.replicas,
                    describe(req),
                    agent.spec.name
                ));
            }
        }
        if let Some(cap) = queue.spec.cost_per_hour_quota {
            // Placement may pick any node that fits, so every such node must keep the
            // operation under the cap; otherwise it could wait forever on an empty queue.
            let worst = shapes
                .iter()
                .filter(|s| req.fits_in(&s.0))
                .map(|s| req.dominant_share(&s.0).min(1.0) * s.1)
                .fold(0.0, f64::max)
                * f64::from(spec.replicas);
            if worst > cap * (1.0 + 1e-12) {
                return Err(format!(
                    "requests {} which costs up to {worst:.4}/h on agent `{}`'s nodes, above queue `{}`'s cost quota of {cap}/h",
                    describe(req),
                    agent.spec.name,
                    queue.spec.name
                ));
            }
        }
        Ok(())
    }

    /// Ends an operation that never held resources, and tells its downstream.
    pub(super) fn finish_unstarted(&mut self, id: OpId, now: Time, status: Status, reason: Option<String>) {
        self.set_status(id, status, now, reason.as_deref());
        self.ops[id.index()].ended = Some(now);
        if let Some(r) = reason {
            self.reasons.insert(id, r);
        }
        self.notify_downstream(id, now);
    }

    /// An operation reached a terminal status: compile downstream operations whose upstream is
    /// now complete, or end them `upstream_failed` when it did not succeed.
    pub(super) fn notify_downstream(&mut self, id: OpId, now: Time) {
        self.propagate(vec![id], now);
    }

    /// Tells the downstream of each ended operation on `stack`, and theirs in turn when they
    /// end without running (upstream failed, skipped).
    /// Endings are told in the order they happened (first in, first out), so a trigger sees
    /// its upstream outcomes in that order.
    pub(super) fn propagate(&mut self, mut stack: Vec<OpId>, now: Time) {
        let mut next = 0;
        while let Some(&up) = stack.get(next) {
            next += 1;
            self.cache_source_ended(up, now, &mut stack);
            let Some(downs) = self.dependents.remove(&up) else {
                continue;
            };
            for d in downs {
                if self.ops[d.index()].status == Status::Created {
                    self.ops[d.index()].pending_deps -= 1;
                    self.upstream_ended(d, up, now, &mut stack);
                }
            }
        }
    }

    /// Upstream `up` of the waiting operation `d` ended: count it, then apply `d`'s trigger.
    fn upstream_ended(&mut self, d: OpId, up: OpId, now: Time, stack: &mut Vec<OpId>) {
        let status = self.ops[up.index()].status;
        if status == Status::Skipped && self.ops[d.index()].skip_on_upstream_skip {
            self.finish_unstarted(
                d,
                now,
                Status::Skipped,
                Some(format!("upstream operation {} was skipped", up.0)),
            );
            stack.push(d);
            return;
        }
        let op = &mut self.ops[d.index()];
        if matches!(status, Status::Succeeded | Status::Skipped) {
            op.upstream.1 += 1;
        } else {
            op.upstream.2 += 1;
        }
        self.upstream_ended_check(d, Some((up, status)), now, stack);
    }

    /// Applies `d`'s trigger to its upstream outcomes so far: compile it, end it
    /// `upstream_failed`, or keep waiting.
    fn upstream_ended_check(
        &mut self,
        d: OpId,
        last: Option<(OpId, Status)>,
        now: Time,
        stack: &mut Vec<OpId>,
    ) {
        let (total, ok, bad) = self.ops[d.index()].upstream;
        match self.ops[d.index()].trigger.verdict(ok, bad, total) {
            crate::model::Verdict::Run => self.compile(d, now, stack),
            crate::model::Verdict::Never => {
                let why = match last {
                    Some((up, s)) => format!(
                        "upstream operation {} ended {s}: trigger {} can no longer hold",
                        up.0,
                        self.ops[d.index()].trigger.as_str()
                    ),
                    None => format!("trigger {} can no longer hold", self.ops[d.index()].trigger.as_str()),
                };
                self.set_status(d, Status::UpstreamFailed, now, Some(&why));
                self.ops[d.index()].ended = Some(now);
                self.reasons.insert(d, why);
                stack.push(d);
            }
            crate::model::Verdict::Wait => {}
        }
    }
}

/// The lifecycle settings of a submission that most operations do not use, boxed.
fn extra_of(spec: &OpSpec) -> Option<Box<super::OpExtra>> {
    let used = spec.approval
        || spec.cache.is_some()
        || spec.conditions.is_some()
        || !spec.inputs.is_empty()
        || !spec.upstream_names.is_empty();
    used.then(|| {
        Box::new(super::OpExtra {
            inputs: spec.inputs.clone(),
            conditions: spec.conditions.clone(),
            upstream: if spec.conditions.is_some() { spec.depends_on.clone() } else { Vec::new() },
            upstream_names: spec.upstream_names.clone(),
            approval: if spec.approval { super::Approval::Pending } else { super::Approval::NotNeeded },
            cache: spec.cache.clone(),
            ..Default::default()
        })
    })
}

/// A condition may read only what the operation will know when its upstream is done: its
/// inputs, its upstream operations' statuses and outputs, and its resources.
fn check_condition(c: &crate::expr::Expr, spec: &OpSpec) -> Result<(), String> {
    let names = |v: &mut dyn Iterator<Item = &str>| v.collect::<Vec<_>>().join(", ");
    for p in c.paths() {
        let ok = match p.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
            ["inputs", k] => {
                if !spec.inputs.iter().any(|(n, _)| n == k) {
                    return Err(format!(
                        "condition `{c}` reads inputs.{k}, which the operation does not have (inputs: {})",
                        if spec.inputs.is_empty() {
                            "none".into()
                        } else {
                            names(&mut spec.inputs.iter().map(|(n, _)| n.as_str()))
                        }
                    ));
                }
                true
            }
            ["ops", name, rest @ ..] => {
                if !spec.upstream_names.iter().any(|n| n == name) {
                    return Err(format!(
                        "condition `{c}` reads ops.{name}, which is not an upstream operation (upstream: {})",
                        if spec.upstream_names.is_empty() {
                            "none".into()
                        } else {
                            names(&mut spec.upstream_names.iter().map(String::as_str))
                        }
                    ));
                }
                matches!(rest, ["status"] | ["outputs", _])
            }
            ["resources", r] => super::routes::RESOURCE_PATHS.contains(r),
            _ => false,
        };
        if !ok {
            return Err(format!(
                "condition `{c}` reads `{}`; a condition may read inputs.NAME, ops.NAME.status, \
                 ops.NAME.outputs.NAME and resources.{}",
                p.join("."),
                super::routes::RESOURCE_PATHS.join("|")
            ));
        }
    }
    if spec.upstream_names.len() > spec.depends_on.len() {
        return Err(format!(
            "names {} upstream operations for its condition but depends on {}",
            spec.upstream_names.len(),
            spec.depends_on.len()
        ));
    }
    Ok(())
}

/// `cpu=2 memory=4096Mi gpu=1`, naming only what is requested (or limited).
fn describe(r: &Resources) -> String {
    let mut parts = Vec::new();
    for (i, v) in r.0.iter().enumerate() {
        if *v == 0 || *v == u64::MAX {
            continue;
        }
        let name = STANDARD_NAMES.get(i).copied().unwrap_or("custom");
        parts.push(match i {
            0 => format!("cpu={}", fmt_cores(*v)),
            1 => format!("memory={v}Mi"),
            _ => format!(
                "{name}{}={v}",
                if i >= STANDARD_NAMES.len() { format!("#{i}") } else { String::new() }
            ),
        });
    }
    if parts.is_empty() {
        "nothing".into()
    } else {
        parts.join(" ")
    }
}
