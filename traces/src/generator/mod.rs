//! Synthetic workloads: a seeded random stream turned into [`TraceRecord`]s following a
//! [`GeneratorConfig`]. The same config and seed always give the same records, so a scenario
//! with a generated workload is as reproducible as one with a trace file.

mod choice;
mod config;
mod quantity;
mod sampler;

pub use config::{Arrival, DurationDist, GeneratorConfig, Shape};
pub use quantity::{CpuQty, DurationQty, MemQty};
pub use sampler::DurationSampler;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::record::{TraceRecord, MAX_TIME};
use choice::{name_key, priority_key, Choice};
use sampler::ArrivalClock;

/// The most operations one generator may produce; beyond this memory, not time, runs out.
const MAX_OPS: u64 = 100_000_000;

/// A shape resolved to plain numbers.
#[derive(Clone, Copy, Debug, Default)]
struct Request {
    cpu_milli: u64,
    mem_mib: u64,
    gpu: u64,
    replicas: u32,
}

/// Generates `cfg.ops` records with ids `g001`… (zero-padded to the width of `ops`), in
/// submit order, deterministic for a `seed`. Returns a message naming the config key when
/// the config is unusable (weights, rates, distribution parameters).
pub fn generate(cfg: &GeneratorConfig, seed: u64) -> Result<Vec<TraceRecord>, String> {
    if cfg.ops > MAX_OPS {
        return Err(format!("ops: at most {MAX_OPS} operations, got {}", cfg.ops));
    }
    let start = cfg.start.map_or(0, |d| d.0);
    let mut clock = ArrivalClock::new(&cfg.arrival)?;
    let durations = DurationSampler::new(&cfg.duration)?;
    let shapes = shapes(cfg)?;
    let queues = Choice::from_map("queues", &cfg.queues, name_key)?;
    let projects = Choice::from_map("projects", &cfg.projects, name_key)?;
    let priorities = Choice::from_map("priorities", &cfg.priorities, priority_key)?;
    let workflows = Choice::from_map("workflows", &cfg.workflows, name_key)?;

    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let width = cfg.ops.to_string().len();
    // `ops` is bounded by MAX_OPS, so this fits in memory terms and in usize.
    let mut out = Vec::with_capacity(usize::try_from(cfg.ops).unwrap_or(0));
    for n in 1..=cfg.ops {
        let submit = start
            .checked_add(clock.next(&mut rng)?)
            .filter(|&t| t <= MAX_TIME)
            .ok_or("start plus arrival times exceed the largest trace time")?;
        let duration = durations.sample(&mut rng);
        let request = *shapes.pick(&mut rng);
        out.push(TraceRecord {
            id: format!("g{n:0width$}"),
            submit,
            duration,
            cpu_milli: request.cpu_milli,
            mem_mib: request.mem_mib,
            gpu: request.gpu,
            queue: queues.pick(&mut rng).clone(),
            project: projects.pick(&mut rng).clone(),
            priority: *priorities.pick(&mut rng),
            workflow: workflows.pick(&mut rng).clone(),
            replicas: request.replicas,
            ..Default::default()
        });
    }
    Ok(out)
}

/// The configured shapes, or the default single shape of 1 CPU and 1024 MiB.
fn shapes(cfg: &GeneratorConfig) -> Result<Choice<Request>, String> {
    if cfg.shapes.is_empty() {
        return Ok(Choice::only(Request { cpu_milli: 1000, mem_mib: 1024, gpu: 0, replicas: 1 }));
    }
    let pairs = cfg
        .shapes
        .iter()
        .map(|s| {
            if s.replicas == 0 {
                return Err("shapes: `replicas` must be at least 1".to_string());
            }
            let r = Request { cpu_milli: s.cpu.0, mem_mib: s.memory.0, gpu: s.gpu, replicas: s.replicas };
            Ok((r, s.weight))
        })
        .collect::<Result<_, String>>()?;
    Choice::weighted("shapes", pairs)
}

#[cfg(test)]
mod tests;
