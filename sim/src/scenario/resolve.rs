//! From the raw TOML to a checked [`Scenario`]: every name unique and well formed, every
//! reference known, every number in range.

use std::collections::HashMap;
use std::path::Path;

use schedlab_policies::model::{AgentSpec, ProjectSpec, QueueSpec, Taint, WorkflowSpec};
use schedlab_policies::resources::{
    Resources, CPU, FIRST_CUSTOM, GPU, MAX_RESOURCES, MEM, STANDARD_NAMES, TPU,
};
use schedlab_policies::{AgentId, QueueId, WorkflowId};
use schedlab_traces::TraceFormat;
use toml::Spanned;

use super::lifecycle;
use super::raw::{RawQuota, RawScenario};
use super::{Pool, Scenario, ScenarioError, WorkloadSource};

/// Builds errors located in one file's text.
pub(super) struct Ctx<'a> {
    pub(super) file: String,
    pub(super) text: &'a str,
}

impl Ctx<'_> {
    pub(super) fn err<T>(
        &self,
        span: std::ops::Range<usize>,
        msg: impl Into<String>,
    ) -> Result<T, ScenarioError> {
        Err(ScenarioError::at(&self.file, self.text, span, msg))
    }

    pub(super) fn line_of(&self, span: &std::ops::Range<usize>) -> usize {
        super::line_col(self.text, span.start).0
    }

    /// Checks a name and that it is not already in `seen` (a map name → span).
    fn define(
        &self,
        kind: &str,
        name: &Spanned<String>,
        seen: &mut HashMap<String, std::ops::Range<usize>>,
    ) -> Result<String, ScenarioError> {
        let n = name.get_ref();
        let ok = !n.is_empty()
            && n.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
        if !ok {
            return self.err(
                name.span(),
                format!(
                    "{kind} name `{n}` must be non-empty and use only letters, digits, `-`, `_`, `.` and `/`"
                ),
            );
        }
        if let Some(first) = seen.get(n) {
            return self.err(
                name.span(),
                format!("{kind} `{n}` is already defined on line {}", self.line_of(first)),
            );
        }
        seen.insert(n.clone(), name.span());
        Ok(n.clone())
    }

    /// Resolves a reference to something defined in `names`.
    pub(super) fn lookup(
        &self,
        kind: &str,
        r: &Spanned<String>,
        names: &[String],
    ) -> Result<usize, ScenarioError> {
        match names.iter().position(|n| n == r.get_ref()) {
            Some(i) => Ok(i),
            None if names.is_empty() => {
                self.err(r.span(), format!("unknown {kind} `{}`: no {kind}s are defined", r.get_ref()))
            }
            None => self.err(
                r.span(),
                format!("unknown {kind} `{}`; defined {kind}s: {}", r.get_ref(), names.join(", ")),
            ),
        }
    }

    /// `-1` or absent → unlimited; otherwise at least 1.
    pub(super) fn concurrency(&self, c: &Option<Spanned<i64>>) -> Result<Option<u32>, ScenarioError> {
        match c {
            None => Ok(None),
            Some(v) if *v.get_ref() == -1 => Ok(None),
            Some(v) if (1..=i64::from(u32::MAX - 1)).contains(v.get_ref()) => Ok(Some(*v.get_ref() as u32)),
            Some(v) => self.err(
                v.span(),
                format!("expected a concurrency of at least 1, or -1 for unlimited; got {}", v.get_ref()),
            ),
        }
    }

    fn money(&self, v: &Option<Spanned<f64>>, what: &str) -> Result<Option<f64>, ScenarioError> {
        match v {
            None => Ok(None),
            Some(x) if x.get_ref().is_finite() && *x.get_ref() >= 0.0 => Ok(Some(*x.get_ref())),
            Some(x) => self
                .err(x.span(), format!("expected {what} to be a non-negative number, got {}", x.get_ref())),
        }
    }
}

/// Custom resource names in use, in order of first appearance; at most the free dimensions.
struct CustomResources(Vec<String>);

impl CustomResources {
    fn index(&mut self, ctx: &Ctx, name: &str, span: std::ops::Range<usize>) -> Result<usize, ScenarioError> {
        if let Some(i) = self.0.iter().position(|n| n == name) {
            return Ok(FIRST_CUSTOM + i);
        }
        if STANDARD_NAMES.contains(&name) {
            return ctx
                .err(span, format!("`{name}` is a standard resource; set it directly, not under `custom`"));
        }
        if FIRST_CUSTOM + self.0.len() >= MAX_RESOURCES {
            return ctx.err(
                span,
                format!("too many custom resources: at most {} are supported", MAX_RESOURCES - FIRST_CUSTOM),
            );
        }
        self.0.push(name.to_string());
        Ok(FIRST_CUSTOM + self.0.len() - 1)
    }
}

pub fn resolve(text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
    let ctx = Ctx { file: path.display().to_string(), text };
    let raw: RawScenario = toml::from_str(text).map_err(|e| {
        let msg = e.message().trim().replace('\n', " ");
        match e.span() {
            Some(span) => ScenarioError::at(&ctx.file, text, span, msg),
            None => ScenarioError::file(&ctx.file, msg),
        }
    })?;
    let mut custom = CustomResources(Vec::new());

    // Policies.
    let dispatch = match &raw.policy.dispatch {
        Some(d) => schedlab_policies::dispatch::by_name(d.get_ref())
            .map(|_| d.get_ref().clone())
            .or_else(|m| ctx.err(d.span(), m))?,
        None => "priority".to_string(),
    };
    let placement = match &raw.policy.placement {
        Some(p) => schedlab_policies::placement::by_name(p.get_ref())
            .map(|_| p.get_ref().clone())
            .or_else(|m| ctx.err(p.span(), m))?,
        None => "first-fit".to_string(),
    };

    let preemption = match &raw.policy.preemption {
        Some(p) => schedlab_policies::preemption::by_name(p.get_ref())
            .map(|_| p.get_ref().clone())
            .or_else(|m| ctx.err(p.span(), m))?,
        None => "off".to_string(),
    };
    let min_runtime = raw.policy.min_runtime.as_ref().map_or(0, |m| m.get_ref().0);
    let aging_per_hour = match &raw.policy.aging_per_hour {
        Some(a) if !(a.get_ref().is_finite() && *a.get_ref() >= 0.0) => {
            return ctx
                .err(a.span(), format!("expected aging_per_hour to be a number >= 0, got {}", a.get_ref()))
        }
        Some(a) => *a.get_ref(),
        None => 0.0,
    };
    let half_life = match &raw.policy.half_life {
        Some(h) if dispatch != "fair-share" => {
            return ctx.err(h.span(), "`half_life` applies only with dispatch = \"fair-share\"")
        }
        Some(h) if h.get_ref().0 <= 0 => {
            return ctx.err(h.span(), "expected a `half_life` greater than zero")
        }
        Some(h) => h.get_ref().0,
        None => 7 * 24 * schedlab_policies::time::HOUR,
    };
    let backfill = match &raw.policy.backfill {
        Some(b) => schedlab_policies::kernel::Backfill::by_name(b.get_ref())
            .map(|_| b.get_ref().clone())
            .or_else(|m| ctx.err(b.span(), m))?,
        None => "off".to_string(),
    };
    let estimate_factor = match &raw.policy.estimate_factor {
        Some(f) if !(f.get_ref().is_finite() && *f.get_ref() > 0.0) => {
            return ctx
                .err(f.span(), format!("expected estimate_factor to be a number > 0, got {}", f.get_ref()))
        }
        Some(f) => *f.get_ref(),
        None => 1.0,
    };
    let preemption_limit = match &raw.policy.max_preemptions {
        Some(l) if l.get_ref().window.0 <= 0 => {
            return ctx.err(l.span(), "expected a window greater than zero")
        }
        Some(l) => Some((l.get_ref().count, l.get_ref().window.0)),
        None => None,
    };

    // Agents.
    if raw.agents.is_empty() {
        return Err(ScenarioError::file(
            &ctx.file,
            "no agents: add at least one [[agents]] table with a `name`",
        ));
    }
    let mut seen = HashMap::new();
    let mut agents = Vec::new();
    for a in &raw.agents {
        let name = ctx.define("agent", &a.name, &mut seen)?;
        agents.push(AgentSpec { name, namespace: a.namespace.clone() });
    }
    let agent_names: Vec<String> = agents.iter().map(|a| a.name.clone()).collect();

    // Pools.
    let mut seen = HashMap::new();
    let mut pools = Vec::new();
    let mut trace_nodes: Vec<(usize, std::ops::Range<usize>)> = Vec::new();
    let mut trace_cpu: Vec<(usize, std::ops::Range<usize>)> = Vec::new();
    for p in &raw.pools {
        let name = ctx.define("pool", &p.name, &mut seen)?;
        let agent = AgentId(ctx.lookup("agent", &p.agent, &agent_names)? as u32);
        let cpu = match (&p.cpu, &p.cpu_from_trace) {
            (Some(c), None) => c.0,
            (None, Some(b)) if *b.get_ref() => {
                trace_cpu.push((pools.len(), b.span()));
                1000
            }
            (Some(_), Some(b)) => {
                return ctx.err(b.span(), format!("pool `{name}`: give `cpu` or `cpu_from_trace`, not both"))
            }
            _ => return ctx.err(p.name.span(), format!("pool `{name}` needs `cpu` (cores per node)")),
        };
        let mut alloc = Resources::new(cpu, p.memory.0, p.gpu).with(TPU, p.tpu);
        for (k, v) in &p.custom {
            let i = custom.index(&ctx, k, v.span())?;
            alloc.0[i] = *v.get_ref();
        }
        if alloc.is_zero() {
            return ctx.err(p.name.span(), format!("pool `{name}` has nodes with no resources at all"));
        }
        let mut labels: Vec<(String, String)> = p.labels.clone().into_iter().collect();
        labels.sort();
        let nodes = match (&p.nodes, &p.nodes_from_trace) {
            (Some(n), None) => *n.get_ref(),
            (None, Some(b)) if *b.get_ref() => {
                trace_nodes.push((pools.len(), b.span()));
                0
            }
            (Some(_), Some(b)) => {
                return ctx
                    .err(b.span(), format!("pool `{name}`: give `nodes` or `nodes_from_trace`, not both"))
            }
            _ => {
                return ctx.err(
                    p.name.span(),
                    format!(
                        "pool `{name}` needs `nodes = N` (or `nodes_from_trace = true` with an SWF trace)"
                    ),
                )
            }
        };
        let spot = spot(&ctx, &name, p)?;
        pools.push(Pool {
            name,
            agent,
            nodes,
            allocatable: alloc,
            cost_per_hour: ctx.money(&p.cost_per_hour, "cost_per_hour")?.unwrap_or(0.0),
            labels,
            taints: p
                .taints
                .iter()
                .map(|t| Taint { key: t.key.clone(), value: t.value.clone(), effect: t.effect.clone() })
                .collect(),
            spot,
        });
    }

    // Queues.
    let mut seen = HashMap::new();
    let mut queues = Vec::new();
    let mut queue_fail = Vec::new();
    for q in &raw.queues {
        let name = ctx.define("queue", &q.name, &mut seen)?;
        let agent = AgentId(ctx.lookup("agent", &q.agent, &agent_names)? as u32);
        let mut spec = QueueSpec::new(name, agent);
        spec.priority = q.priority;
        spec.concurrency = ctx.concurrency(&q.concurrency)?;
        spec.quota = quota(&ctx, &q.quota, &mut custom)?;
        spec.cost_per_hour_quota = ctx.money(&q.quota.cost_per_hour, "quota.cost_per_hour")?;
        spec.budget = match (&q.quota.budget, &q.quota.budget_window) {
            (None, Some(w)) => return ctx.err(w.span(), "`budget_window` needs a `budget`"),
            (None, None) => None,
            (Some(b), w) => {
                let amount = *b.get_ref();
                if !(amount.is_finite() && amount > 0.0) {
                    return ctx.err(
                        b.span(),
                        format!("expected `budget` to be a number greater than zero, got {amount}"),
                    );
                }
                let window = match w {
                    None => 24 * schedlab_policies::time::HOUR,
                    Some(w) if w.get_ref().0 > 0 => w.get_ref().0,
                    Some(w) => return ctx.err(w.span(), "expected a `budget_window` greater than zero"),
                };
                Some(schedlab_policies::model::Budget { amount, window })
            }
        };
        spec.cohort = q.cohort.as_ref().map(|c| c.get_ref().clone());
        for (what, raw_limit) in
            [("borrowing_limit", &q.borrowing_limit), ("lending_limit", &q.lending_limit)]
        {
            let Some(l) = raw_limit else { continue };
            if spec.cohort.is_none() {
                return ctx.err(l.span(), format!("`{what}` needs a `cohort` to borrow from or lend to"));
            }
            let r = l.get_ref();
            if r.cost_per_hour.is_some() || r.budget.is_some() || r.budget_window.is_some() {
                return ctx.err(
                    l.span(),
                    format!("`{what}` limits resources (cpu, memory, gpu, tpu, custom), not cost"),
                );
            }
            let limit = quota(&ctx, r, &mut custom)?;
            if what == "borrowing_limit" {
                spec.borrowing_limit = limit;
            } else {
                spec.lending_limit = Some(limit);
            }
        }
        if spec.cohort.is_some() && spec.quota == Resources::UNLIMITED {
            if let Some(c) = &q.cohort {
                return ctx.err(c.span(), "a queue in a cohort needs a `quota`: it lends and borrows quota");
            }
        }
        spec.preemptible = q.preemptible.unwrap_or(true);
        spec.weight = match &q.weight {
            Some(w) if !(w.get_ref().is_finite() && *w.get_ref() > 0.0) => {
                return ctx.err(w.span(), format!("expected a weight greater than zero, got {}", w.get_ref()))
            }
            Some(w) => *w.get_ref(),
            None => 1.0,
        };
        spec.checkpoint = match &q.checkpoint {
            Some(c) if c.get_ref().0 <= 0 => {
                return ctx.err(c.span(), "expected a checkpoint interval greater than zero")
            }
            c => c.as_ref().map(|c| c.get_ref().0),
        };
        spec.constraints.node_selector = q.node_selector.clone().into_iter().collect();
        for a in &q.affinity {
            let r =
                schedlab_policies::model::parse_affinity(a.get_ref()).or_else(|m| ctx.err(a.span(), m))?;
            spec.constraints.affinity.extend(r);
        }
        for t in &q.tolerations {
            let r =
                schedlab_policies::model::parse_tolerations(t.get_ref()).or_else(|m| ctx.err(t.span(), m))?;
            spec.constraints.tolerations.extend(r);
        }
        spec.termination = lifecycle::termination(&ctx, q)?;
        queue_fail.push(lifecycle::probability(&ctx, &q.fail_probability, "fail_probability")?);
        queues.push(spec);
    }
    let queue_names: Vec<String> = queues.iter().map(|q| q.name.clone()).collect();
    let queue_ref = |r: &Spanned<String>| ctx.lookup("queue", r, &queue_names).map(|i| QueueId(i as u32));

    // Projects and the organisation.
    let mut seen = HashMap::new();
    let mut projects = Vec::new();
    for p in &raw.projects {
        let name = ctx.define("project", &p.name, &mut seen)?;
        let default_queue = p.default_queue.as_ref().map(queue_ref).transpose()?;
        let allowed = match &p.allowed_queues {
            None => None,
            Some(list) => Some(list.iter().map(queue_ref).collect::<Result<Vec<_>, _>>()?),
        };
        if let (Some(d), Some(list), Some(span)) =
            (default_queue, &allowed, p.default_queue.as_ref().map(|d| d.span()))
        {
            if !list.contains(&d) {
                return ctx
                    .err(span, format!("project `{name}`'s default queue is not among its allowed_queues"));
            }
        }
        projects.push(ProjectSpec { name, default_queue, allowed_queues: allowed });
    }
    let org_default_queue = raw.organization.default_queue.as_ref().map(queue_ref).transpose()?;

    // Workflows: parents before children, no cycles.
    let mut seen = HashMap::new();
    let mut declared = Vec::new();
    for w in &raw.workflows {
        let name = ctx.define("workflow", &w.name, &mut seen)?;
        declared.push((name, ctx.concurrency(&w.concurrency)?, w.parent.clone()));
    }
    let names: Vec<String> = declared.iter().map(|d| d.0.clone()).collect();
    let mut parent_of = Vec::new();
    for (name, _, parent) in &declared {
        let p = parent.as_ref().map(|p| ctx.lookup("workflow", p, &names)).transpose()?;
        if p.is_some_and(|p| names[p] == *name) {
            return ctx.err(
                parent.as_ref().map(|p| p.span()).unwrap_or(0..0),
                format!("workflow `{name}` cannot be its own parent"),
            );
        }
        parent_of.push(p);
    }
    let mut order: Vec<usize> = Vec::new();
    let mut placed = vec![false; declared.len()];
    while order.len() < declared.len() {
        let before = order.len();
        for i in 0..declared.len() {
            if !placed[i] && parent_of[i].is_none_or(|p| placed[p]) {
                placed[i] = true;
                order.push(i);
            }
        }
        if order.len() == before {
            let i = (0..declared.len()).find(|i| !placed[*i]).unwrap_or(0);
            let span = raw.workflows[i].parent.as_ref().map(|p| p.span()).unwrap_or(0..0);
            return ctx.err(span, format!("workflow `{}` is part of a cycle of parents", declared[i].0));
        }
    }
    let new_index: HashMap<usize, u32> =
        order.iter().enumerate().map(|(new, old)| (*old, new as u32)).collect();
    let workflows = order
        .iter()
        .map(|&i| WorkflowSpec {
            name: declared[i].0.clone(),
            concurrency: declared[i].1,
            parent: parent_of[i].map(|p| WorkflowId(new_index[&p])),
        })
        .collect();

    // Workload.
    let Some(workload) = &raw.workload else {
        return Err(ScenarioError::file(
            &ctx.file,
            "no [workload]: give `trace = \"file.csv\"` or a [workload.generator] table",
        ));
    };
    let w = workload;
    let source = match (&w.trace, &w.generator) {
        (Some(t), None) => {
            let base = path.parent().unwrap_or(Path::new("."));
            let format = match &w.format {
                Some(f) => TraceFormat::by_name(f.get_ref()).or_else(|m| ctx.err(f.span(), m))?,
                None => TraceFormat::Auto,
            };
            WorkloadSource::Trace {
                path: base.join(t.get_ref()),
                format,
                columns: w.columns.clone().map(Box::new),
            }
        }
        (None, Some(_)) if w.format.is_some() || w.columns.is_some() => {
            return Err(ScenarioError::file(
                &ctx.file,
                "[workload] `format` and `columns` apply to a `trace`, not to a generator",
            ))
        }
        (None, Some(g)) => WorkloadSource::Generator(g.clone()),
        (Some(t), Some(_)) => {
            return ctx.err(t.span(), "[workload] has both `trace` and a [workload.generator]: keep one")
        }
        (None, None) => {
            return Err(ScenarioError::file(
                &ctx.file,
                "[workload] needs `trace = \"file.csv\"` or a [workload.generator] table",
            ))
        }
    };

    if let Some((_, span)) = trace_nodes.first().or(trace_cpu.first()) {
        let WorkloadSource::Trace { path: tpath, format, columns } = &source else {
            return ctx.err(span.clone(), "`nodes_from_trace` and `cpu_from_trace` need a `trace` workload in the Standard Workload Format");
        };
        let loaded = schedlab_traces::load_trace(tpath, *format, columns.as_deref())
            .map_err(|e| ScenarioError::at(&ctx.file, text, span.clone(), e.to_string()))?;
        let header = loaded.swf_header.unwrap_or_default();
        let missing = |span: &std::ops::Range<usize>, what: &str| {
            ctx.err::<()>(span.clone(), format!("the trace's header gives no {what} (is it an SWF log?)"))
        };
        for (i, span) in &trace_nodes {
            let pool = &mut pools[*i];
            let cores = (pool.allocatable.get(CPU) / 1000).max(1);
            match header.max_nodes.or(header.max_procs.map(|p| p.div_ceil(cores))) {
                Some(n) if n > 0 && n <= u64::from(u32::MAX) => pool.nodes = n as u32,
                _ => missing(span, "MaxNodes or MaxProcs")?,
            }
        }
        for (i, span) in &trace_cpu {
            let pool = &mut pools[*i];
            match header.max_procs.or(header.max_nodes) {
                Some(p) if p > 0 => pool.allocatable.0[CPU] = p.div_ceil(u64::from(pool.nodes.max(1))) * 1000,
                _ => missing(span, "MaxProcs or MaxNodes")?,
            }
        }
    }

    let sample_interval = match &raw.output.sample_interval {
        Some(s) if s.get_ref().0 <= 0 => {
            return ctx.err(s.span(), "expected a sample_interval greater than zero")
        }
        Some(s) => Some(s.get_ref().0),
        None => None,
    };

    let lifecycle = lifecycle::resolve(&ctx, &raw, &queues, &queue_fail)?;
    let tuning = super::tuning::resolve(&ctx, &raw.tuning, &queues)?;

    let mut resource_names: Vec<String> = STANDARD_NAMES.iter().map(|s| s.to_string()).collect();
    resource_names.extend(custom.0);
    Ok(Scenario {
        file: path.to_path_buf(),
        text: text.to_string(),
        name: raw.name.clone().unwrap_or_else(|| {
            path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "scenario".into())
        }),
        description: raw.description.clone(),
        seed: raw.seed.unwrap_or(0),
        horizon: raw.horizon.as_ref().map(|h| h.get_ref().0),
        dispatch,
        placement,
        preemption,
        min_runtime,
        preemption_limit,
        aging_per_hour,
        half_life,
        backfill,
        estimate_factor,
        resource_names,
        agents,
        pools,
        queues,
        projects,
        org_default_queue,
        workflows,
        workload: source,
        transform: w.transform.clone(),
        default_project: w.default_project.as_ref().map(|p| p.get_ref().clone()),
        sample_interval,
        lifecycle,
        tuning,
    })
}

fn quota(ctx: &Ctx, q: &RawQuota, custom: &mut CustomResources) -> Result<Resources, ScenarioError> {
    let mut r = Resources::UNLIMITED;
    if let Some(c) = q.cpu {
        r.0[CPU] = c.0;
    }
    if let Some(m) = q.memory {
        r.0[MEM] = m.0;
    }
    if let Some(g) = q.gpu {
        r.0[GPU] = g;
    }
    if let Some(t) = q.tpu {
        r.0[TPU] = t;
    }
    for (k, v) in &q.custom {
        let i = custom.index(ctx, k, v.span())?;
        r.0[i] = *v.get_ref();
    }
    Ok(r)
}

/// A pool's spot settings: reclaim rate and downtime only make sense with `spot = true`.
fn spot(
    ctx: &Ctx,
    name: &str,
    p: &super::raw::RawPool,
) -> Result<Option<crate::scenario::Spot>, ScenarioError> {
    let is_spot = p.spot.as_ref().is_some_and(|b| *b.get_ref());
    if !is_spot {
        if let Some(r) = &p.reclaims_per_hour {
            return ctx.err(r.span(), format!("pool `{name}`: `reclaims_per_hour` needs `spot = true`"));
        }
        if let Some(d) = &p.reclaim_downtime {
            return ctx.err(d.span(), format!("pool `{name}`: `reclaim_downtime` needs `spot = true`"));
        }
        return Ok(None);
    }
    let reclaims_per_hour = match &p.reclaims_per_hour {
        None => 0.0,
        Some(r) if r.get_ref().is_finite() && *r.get_ref() >= 0.0 => *r.get_ref(),
        Some(r) => {
            return ctx.err(
                r.span(),
                format!("expected `reclaims_per_hour` to be a non-negative number, got {}", r.get_ref()),
            )
        }
    };
    let downtime = match &p.reclaim_downtime {
        None => 10 * schedlab_policies::time::MINUTE,
        Some(d) if d.get_ref().0 > 0 => d.get_ref().0,
        Some(d) => return ctx.err(d.span(), "expected a `reclaim_downtime` greater than zero"),
    };
    Ok(Some(crate::scenario::Spot { reclaims_per_hour, downtime }))
}
