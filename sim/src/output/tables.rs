//! The CSV files of a run directory.

use std::io::{self, Write};

use schedlab_policies::resources::{CPU, GPU, MEM};
use schedlab_policies::time::secs;
use schedlab_policies::units::fmt_cores;
use schedlab_policies::Time;

use crate::engine::Run;
use crate::scenario::Scenario;

fn csv_writer<W: Write>(w: W) -> csv::Writer<W> {
    csv::WriterBuilder::new().from_writer(w)
}

fn t(x: Option<Time>) -> String {
    x.map(|v| secs(v).to_string()).unwrap_or_default()
}

fn limit(v: u64) -> String {
    if v == u64::MAX {
        String::new()
    } else {
        v.to_string()
    }
}

fn err(e: csv::Error) -> io::Error {
    io::Error::other(e)
}

/// One row per status transition, in the order they happened: `time,id,workflow,status,reason`.
pub fn statuses(w: &mut impl Write, run: &Run) -> io::Result<()> {
    let k = &run.kernel;
    let mut c = csv_writer(w);
    c.write_record(["time", "id", "workflow", "status", "reason"]).map_err(err)?;
    for ch in &run.statuses {
        let op = k.op(ch.op).expect("journaled operations exist");
        let workflow = op.workflow.map_or("", |w| k.workflows()[w.index()].spec.name.as_str());
        c.write_record([
            secs(ch.time).to_string().as_str(),
            run.ids[ch.op.index()].as_str(),
            workflow,
            ch.status.as_str(),
            ch.reason.as_deref().unwrap_or(""),
        ])
        .map_err(err)?;
    }
    c.flush()
}

pub fn ops(w: &mut impl Write, run: &Run) -> io::Result<()> {
    let k = &run.kernel;
    let mut c = csv_writer(w);
    c.write_record([
        "id",
        "workflow",
        "controller",
        "queue",
        "agent",
        "project",
        "priority",
        "status",
        "submit",
        "queued",
        "start",
        "end",
        "wait",
        "node",
        "cpu",
        "mem_mib",
        "gpu",
        "attempts",
        "preemptions",
        "cost",
        "duration",
        "reason",
    ])
    .map_err(err)?;
    for (i, op) in k.ops().iter().enumerate() {
        let wf = op.workflow.map(|w| &k.workflows()[w.index()]);
        let queue = op.queue.map(|q| &k.queues()[q.index()].spec);
        let cost = format!("{:.4}", op.cost);
        let id = schedlab_policies::OpId(i as u32);
        c.write_record([
            run.ids[i].as_str(),
            wf.map(|w| w.spec.name.as_str()).unwrap_or(""),
            wf.map(|w| k.workflows()[w.controller.index()].spec.name.as_str()).unwrap_or(""),
            queue.map(|q| q.name.as_str()).unwrap_or(""),
            queue.map(|q| k.agent(q.agent).name.as_str()).unwrap_or(""),
            op.project.map(|p| k.projects()[p.index()].name.as_str()).unwrap_or(""),
            &op.priority.to_string(),
            op.status.as_str(),
            &secs(op.submitted).to_string(),
            &t(op.queued_at),
            &t(op.first_started),
            &t(op.ended),
            &t(op.first_started.map(|s| s - op.submitted)),
            op.node.map(|n| k.nodes()[n.index()].spec.name.as_str()).unwrap_or(""),
            &fmt_cores(op.resources.get(CPU)),
            &op.resources.get(MEM).to_string(),
            &op.resources.get(GPU).to_string(),
            &op.attempts.to_string(),
            &op.preemptions.to_string(),
            &cost,
            &secs(run.durations[i]).to_string(),
            k.reason(id).unwrap_or(""),
        ])
        .map_err(err)?;
    }
    c.flush()
}

pub fn attempts(w: &mut impl Write, run: &Run) -> io::Result<()> {
    let k = &run.kernel;
    let mut c = csv_writer(w);
    c.write_record(["id", "attempt", "node", "start", "end", "outcome"]).map_err(err)?;
    // A gang's attempt names each replica's node, joined by `+`.
    let mut nodes = String::new();
    for a in &run.attempts {
        nodes.clear();
        for (i, n) in a.nodes().enumerate() {
            if i > 0 {
                nodes.push('+');
            }
            nodes.push_str(&k.nodes()[n.index()].spec.name);
        }
        c.write_record([
            run.ids[a.op.index()].as_str(),
            &a.number.to_string(),
            &nodes,
            &secs(a.start).to_string(),
            &t(a.end),
            a.outcome.map(|o| o.as_str()).unwrap_or(""),
        ])
        .map_err(err)?;
    }
    c.flush()
}

pub fn nodes(w: &mut impl Write, scenario: &Scenario, run: &Run) -> io::Result<()> {
    let k = &run.kernel;
    let mut c = csv_writer(w);
    let mut header = vec!["node", "agent", "pool", "cpu", "mem_mib", "gpu", "labels", "cost_per_hour", "tpu"];
    let custom: Vec<&str> = scenario.resource_names[4..].iter().map(String::as_str).collect();
    header.extend(custom.iter().copied());
    c.write_record(&header).map_err(err)?;
    for n in k.nodes() {
        let s = &n.spec;
        let labels: Vec<String> = s.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let mut row = vec![
            s.name.clone(),
            k.agent(s.agent).name.clone(),
            s.pool.clone(),
            fmt_cores(s.allocatable.get(CPU)),
            s.allocatable.get(MEM).to_string(),
            s.allocatable.get(GPU).to_string(),
            labels.join(";"),
            s.cost_per_hour.to_string(),
            s.allocatable.get(3).to_string(),
        ];
        for i in 0..custom.len() {
            row.push(s.allocatable.get(4 + i).to_string());
        }
        c.write_record(&row).map_err(err)?;
    }
    c.flush()
}

pub fn queues(w: &mut impl Write, run: &Run) -> io::Result<()> {
    let k = &run.kernel;
    let mut c = csv_writer(w);
    c.write_record([
        "queue",
        "agent",
        "priority",
        "concurrency",
        "quota_cpu",
        "quota_mem_mib",
        "quota_gpu",
        "quota_cost",
        "quota_tpu",
    ])
    .map_err(err)?;
    for q in k.queues() {
        let s = &q.spec;
        let cpu = s.quota.get(CPU);
        c.write_record([
            s.name.clone(),
            k.agent(s.agent).name.clone(),
            s.priority.map(|p| p.to_string()).unwrap_or_default(),
            s.concurrency.map(|p| p.to_string()).unwrap_or_default(),
            if cpu == u64::MAX { String::new() } else { fmt_cores(cpu) },
            limit(s.quota.get(MEM)),
            limit(s.quota.get(GPU)),
            s.cost_per_hour_quota.map(|c| c.to_string()).unwrap_or_default(),
            limit(s.quota.get(3)),
        ])
        .map_err(err)?;
    }
    c.flush()
}

pub fn workflows(w: &mut impl Write, run: &Run) -> io::Result<()> {
    let k = &run.kernel;
    let mut c = csv_writer(w);
    c.write_record(["workflow", "controller", "concurrency", "parent"]).map_err(err)?;
    for wf in k.workflows() {
        c.write_record([
            wf.spec.name.as_str(),
            k.workflows()[wf.controller.index()].spec.name.as_str(),
            &wf.spec.concurrency.map(|p| p.to_string()).unwrap_or_default(),
            wf.spec.parent.map(|p| k.workflows()[p.index()].spec.name.as_str()).unwrap_or(""),
        ])
        .map_err(err)?;
    }
    c.flush()
}

/// One row per trial of the tuning runs, sweeps in the order their controllers started and
/// trials in index order: `tuning,trial,id,params,status,final_metric,stop_reason` (a header
/// alone when the scenario has none).
pub fn trials(w: &mut impl Write, run: &Run) -> io::Result<()> {
    let mut c = csv_writer(w);
    c.write_record(["tuning", "trial", "id", "params", "status", "final_metric", "stop_reason"])
        .map_err(err)?;
    for t in &run.trials {
        c.write_record([
            t.tuning.as_str(),
            &t.trial.to_string(),
            t.id.as_str(),
            t.params.as_str(),
            t.status,
            &t.final_metric.map(|m| m.to_string()).unwrap_or_default(),
            t.stop_reason.as_deref().unwrap_or(""),
        ])
        .map_err(err)?;
    }
    c.flush()
}

pub fn timeseries(w: &mut impl Write, scenario: &Scenario, run: &Run) -> io::Result<()> {
    let k = &run.kernel;
    let mut c = csv_writer(w);
    let cap = k.capacity();
    let dims: Vec<usize> = (0..scenario.resource_names.len()).filter(|&i| cap.get(i) > 0).collect();
    let mut header = vec!["time".to_string()];
    for q in k.queues() {
        header.push(format!("queued:{}", q.spec.name));
    }
    for q in k.queues() {
        header.push(format!("running:{}", q.spec.name));
    }
    for &d in &dims {
        header.push(format!("util:{}", scenario.resource_names[d]));
    }
    for &d in &dims {
        for q in k.queues() {
            header.push(format!("util:{}:{}", scenario.resource_names[d], q.spec.name));
        }
    }
    for q in k.queues() {
        header.push(format!("cost_rate:{}", q.spec.name));
    }
    c.write_record(&header).map_err(err)?;
    let Some(s) = &run.samples else {
        return c.flush();
    };
    let nq = s.queues;
    let mut row: Vec<String> = Vec::with_capacity(header.len());
    for (i, time) in s.times.iter().enumerate() {
        row.clear();
        row.push(secs(*time).to_string());
        row.extend(s.queued[i * nq..(i + 1) * nq].iter().map(|v| v.to_string()));
        row.extend(s.running[i * nq..(i + 1) * nq].iter().map(|v| v.to_string()));
        for &d in &dims {
            row.push(format!("{:.4}", s.used[i].get(d) as f64 / cap.get(d) as f64));
        }
        let queue_used = &s.queue_used[i * nq..(i + 1) * nq];
        for &d in &dims {
            row.extend(queue_used.iter().map(|u| format!("{:.4}", u.get(d) as f64 / cap.get(d) as f64)));
        }
        row.extend(s.queue_cost_rate[i * nq..(i + 1) * nq].iter().map(|r| format!("{r:.4}")));
        c.write_record(&row).map_err(err)?;
    }
    c.flush()
}
