//! The resolved configuration as text, for `schedlab validate`.

use std::fmt::{self, Display, Write as _};

use schedlab_policies::resources::{Resources, CPU, MEM};
use schedlab_policies::time::{human, secs};
use schedlab_policies::units::fmt_cores;

use schedlab_traces::DurationDist;

use super::{CacheMode, Scenario, WorkloadSource};

/// `cpu=16 memory=65536Mi gpu=4`, naming the non-zero (or, for quotas, limited) dimensions.
pub fn describe_resources(r: &Resources, names: &[String]) -> String {
    let mut out = String::new();
    for (i, v) in r.0.iter().enumerate() {
        if *v == 0 || *v == u64::MAX {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        let name = names.get(i).map(String::as_str).unwrap_or("?");
        let _ = match i {
            CPU => write!(out, "cpu={}", fmt_cores(*v)),
            MEM => write!(out, "memory={v}Mi"),
            _ => write!(out, "{name}={v}"),
        };
    }
    if out.is_empty() {
        out.push('-');
    }
    out
}

/// `exponential, mean 10m, at most 1d`: a duration distribution for people.
pub fn describe_dist(d: &DurationDist) -> String {
    let cap = |max: &Option<schedlab_traces::DurationQty>| match max {
        Some(m) => format!(", at most {}", human(m.0)),
        None => String::new(),
    };
    match d {
        DurationDist::Constant { value } => format!("constant {}", human(value.0)),
        DurationDist::Exponential { mean, max } => format!("exponential, mean {}{}", human(mean.0), cap(max)),
        DurationDist::Lognormal { median, sigma, max } => {
            format!("lognormal, median {}, sigma {sigma}{}", human(median.0), cap(max))
        }
        DurationDist::Pareto { scale, shape, max } => {
            format!("pareto, scale {}, shape {shape}{}", human(scale.0), cap(max))
        }
        DurationDist::Weibull { scale, shape, max } => {
            format!("weibull, scale {}, shape {shape}{}", human(scale.0), cap(max))
        }
        DurationDist::Uniform { min, max } => {
            format!("uniform between {} and {}", human(min.0), human(max.0))
        }
    }
}

impl Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "scenario  {}  ({})", self.name, self.file.display())?;
        if let Some(d) = &self.description {
            writeln!(f, "          {d}")?;
        }
        writeln!(f, "seed      {}", self.seed)?;
        match self.horizon {
            Some(h) => writeln!(f, "horizon   {} s", secs(h))?,
            None => writeln!(f, "horizon   until the workload drains")?,
        }
        writeln!(
            f,
            "policy    dispatch={} placement={} preemption={} backfill={}{}",
            self.dispatch,
            self.placement,
            self.preemption,
            self.backfill,
            if self.min_runtime > 0 {
                format!(" (min runtime {} s)", secs(self.min_runtime))
            } else {
                String::new()
            }
        )?;
        writeln!(f)?;
        writeln!(f, "cluster   {} agents, {} nodes", self.agents.len(), self.node_count())?;
        for (i, a) in self.agents.iter().enumerate() {
            let ns = a.namespace.as_deref().map(|n| format!(" (namespace {n})")).unwrap_or_default();
            writeln!(f, "  agent {}{ns}", a.name)?;
            for p in self.pools.iter().filter(|p| p.agent.index() == i) {
                writeln!(
                    f,
                    "    pool {:<18} {:>5} × {}  at {}/h{}",
                    p.name,
                    p.nodes,
                    describe_resources(&p.allocatable, &self.resource_names),
                    p.cost_per_hour,
                    match p.spot {
                        Some(s) => format!(
                            "  spot: {} reclaims per node-hour, back after {} s",
                            s.reclaims_per_hour,
                            secs(s.downtime)
                        ),
                        None => String::new(),
                    }
                )?;
            }
        }
        writeln!(f)?;
        writeln!(
            f,
            "queues    {:<16} {:<12} {:>9} {:>11}  quota",
            "name", "agent", "priority", "concurrency"
        )?;
        for (i, q) in self.queues.iter().enumerate() {
            let quota = describe_resources(&q.quota, &self.resource_names);
            let mut cost = q.cost_per_hour_quota.map(|c| format!(" cost={c}/h")).unwrap_or_default();
            if let Some(b) = q.budget {
                cost.push_str(&format!(" budget={} per {} s", b.amount, secs(b.window)));
            }
            if let Some(c) = &q.cohort {
                cost.push_str(&format!(" cohort={c}"));
            }
            let t = &q.termination;
            if let Some(x) = t.timeout {
                cost.push_str(&format!(" timeout={}", human(x)));
            }
            if let Some(r) = t.retries {
                cost.push_str(&format!(" retries={r}"));
            }
            if let Some(b) = t.retry_backoff {
                cost.push_str(&format!(" backoff={}", human(b)));
            }
            match self.lifecycle.fail_probability.get(i) {
                Some(&p) if p > 0.0 => cost.push_str(&format!(" fail={p}")),
                _ => {}
            }
            writeln!(
                f,
                "          {:<16} {:<12} {:>9} {:>11}  {}{}",
                q.name,
                self.agents[q.agent.index()].name,
                q.priority.map(|p| p.to_string()).unwrap_or_else(|| "highest".into()),
                q.concurrency.map(|c| c.to_string()).unwrap_or_else(|| "unlimited".into()),
                if quota == "-" && !cost.is_empty() { String::new() } else { quota },
                cost
            )?;
        }
        let qname = |q: schedlab_policies::QueueId| self.queues[q.index()].name.clone();
        if let Some(q) = self.org_default_queue {
            writeln!(f, "organisation default queue: {}", qname(q))?;
        }
        if !self.lifecycle.routes.is_empty() {
            writeln!(f)?;
            writeln!(f, "routes    (operations naming no queue; the first that holds)")?;
            for (when, q) in &self.lifecycle.routes {
                writeln!(f, "  {:<40} -> {}", when.source().trim(), qname(*q))?;
            }
        }
        if !self.projects.is_empty() {
            writeln!(f)?;
            writeln!(f, "projects")?;
            for p in &self.projects {
                let allowed = match &p.allowed_queues {
                    Some(l) => l.iter().map(|q| qname(*q)).collect::<Vec<_>>().join(", "),
                    None => "any".into(),
                };
                writeln!(
                    f,
                    "  {:<16} default queue {:<14} allowed: {}",
                    p.name,
                    p.default_queue.map(qname).unwrap_or_else(|| "-".into()),
                    allowed
                )?;
            }
        }
        if !self.workflows.is_empty() {
            writeln!(f)?;
            writeln!(f, "workflows")?;
            for (i, w) in self.workflows.iter().enumerate() {
                if w.parent.is_none() {
                    self.write_workflow(f, i, 1)?;
                }
            }
        }
        self.write_lifecycle(f)?;
        self.write_tuning(f)?;
        writeln!(f)?;
        match &self.workload {
            WorkloadSource::Trace { path, format, columns } => writeln!(
                f,
                "workload  trace {} (format {:?}{})",
                path.display(),
                format.resolve(path),
                if columns.is_some() { ", with a column map" } else { "" }
            )?,
            WorkloadSource::Generator(g) => {
                writeln!(f, "workload  generator: {} operations, {:?}, {:?}", g.ops, g.arrival, g.duration)?
            }
        }
        if let Some(t) = &self.transform {
            writeln!(f, "          transformed: {t:?}")?;
        }
        if let Some(p) = &self.default_project {
            writeln!(f, "          default project {p}")?;
        }
        Ok(())
    }
}

impl Scenario {
    /// Approvals, the cache and scripted actions.
    fn write_lifecycle(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let l = &self.lifecycle;
        writeln!(f)?;
        let delay = match &l.approval.delay {
            Some(d) => format!("after a delay ({})", describe_dist(d)),
            None => "at once".to_string(),
        };
        let answer = if l.approval.reject_probability > 0.0 {
            format!("rejected with probability {}", l.approval.reject_probability)
        } else {
            "never rejected".to_string()
        };
        writeln!(f, "approval  answered {delay}, {answer}")?;
        let ttl = match l.cache.ttl {
            Some(t) => format!("results expire after {}", human(t)),
            None => "results never expire".to_string(),
        };
        match l.cache.mode {
            CacheMode::Workflows => {
                writeln!(f, "cache     mode workflows (operations in a workflow use it), {ttl}")?
            }
            CacheMode::All => writeln!(f, "cache     mode all (every operation uses it), {ttl}")?,
            CacheMode::Off => writeln!(f, "cache     mode off")?,
        }
        match l.actions.len() {
            0 => writeln!(f, "actions   none scripted"),
            n => writeln!(f, "actions   {n} scripted"),
        }
    }
}

impl Scenario {
    fn write_workflow(&self, f: &mut fmt::Formatter<'_>, i: usize, depth: usize) -> fmt::Result {
        let w = &self.workflows[i];
        let role = if w.parent.is_none() { "controller" } else { "nested" };
        writeln!(
            f,
            "{:indent$}{} ({role}, concurrency {})",
            "",
            w.name,
            w.concurrency.map(|c| c.to_string()).unwrap_or_else(|| "unlimited".into()),
            indent = depth * 2
        )?;
        for (j, c) in self.workflows.iter().enumerate() {
            if c.parent.map(|p| p.index()) == Some(i) {
                self.write_workflow(f, j, depth + 1)?;
            }
        }
        Ok(())
    }
}

impl Scenario {
    /// The `[[tuning]]` runs: algorithm, metric, where the trials go, spaces, rules, model.
    fn write_tuning(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use schedlab_policies::tuning::{Algorithm, EarlyStop, Goal};
        if self.tuning.is_empty() {
            return Ok(());
        }
        writeln!(f)?;
        writeln!(f, "tuning    (each run by the operation it names)")?;
        for t in &self.tuning {
            let s = &t.spec;
            let algorithm = match &s.algorithm {
                Algorithm::Grid => "grid".to_string(),
                Algorithm::Random { trials } => format!("random, {trials} trials"),
                Algorithm::Hyperband { max_iterations, eta, resource } => {
                    format!("hyperband, max_iterations {max_iterations}, eta {eta}, resource `{resource}`")
                }
                Algorithm::Mapping { values } => format!("mapping, {} input sets", values.len()),
            };
            let goal = if s.metric.goal == Goal::Maximize { "maximize" } else { "minimize" };
            let cap = s.max_trials.map(|m| format!(", at most {m} trials")).unwrap_or_default();
            writeln!(f, "  {}: {algorithm}{cap}; metric {} ({goal})", t.op, s.metric.name)?;
            let mut request = Resources::ZERO;
            let mut named = Vec::new();
            for (i, v) in [(CPU, t.cpu_milli), (MEM, t.mem_mib), (schedlab_policies::resources::GPU, t.gpu)] {
                if let Some(v) = v {
                    request.0[i] = v;
                    named.push(i);
                }
            }
            let shown = describe_resources(&request, &self.resource_names);
            let request = match named.len() {
                0 => "the controller row's request".to_string(),
                3 => shown,
                _ => format!("{shown} (the rest as the controller row's)"),
            };
            writeln!(
                f,
                "    trials on queue {}, concurrency {}, each {request}",
                t.queue.map(|q| self.queues[q.index()].name.as_str()).unwrap_or("(the controller's)"),
                t.concurrency.map(|c| c.to_string()).unwrap_or_else(|| "unlimited".into()),
            )?;
            for (name, space) in &s.params {
                writeln!(f, "    {name} = {space}")?;
            }
            for rule in &s.early_stopping {
                let every = |i: u32, m: u32| format!("every {i} steps from step {m}");
                let text = match rule {
                    EarlyStop::MetricReached { value } => format!("finish once the metric reaches {value}"),
                    EarlyStop::Failures { percent } => {
                        format!("finish once more than {percent}% of trials failed")
                    }
                    EarlyStop::Median { evaluation_interval, min_steps } => {
                        format!("median, {}", every(*evaluation_interval, *min_steps))
                    }
                    EarlyStop::Truncation { percent, evaluation_interval, min_steps } => {
                        format!(
                            "truncation of the worst {percent}%, {}",
                            every(*evaluation_interval, *min_steps)
                        )
                    }
                    EarlyStop::Diff { percent, evaluation_interval, min_steps } => {
                        format!(
                            "diff beyond {percent}% of the best, {}",
                            every(*evaluation_interval, *min_steps)
                        )
                    }
                };
                writeln!(f, "    early stopping: {text}")?;
            }
            let m = &t.model;
            let unit = if matches!(s.algorithm, Algorithm::Hyperband { .. }) { "iteration" } else { "trial" };
            writeln!(
                f,
                "    model: {} per {unit} (jitter {}), noise {}, curve at 63% after {} iterations, failure rate {}",
                human(m.base_duration),
                m.duration_jitter,
                m.noise,
                m.curve_iterations,
                m.failure_rate
            )?;
        }
        Ok(())
    }
}
