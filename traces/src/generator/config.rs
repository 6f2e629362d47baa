//! The generator's configuration, as written under `[workload.generator]` in a scenario.
//!
//! Every struct denies unknown fields: a misspelt key would otherwise silently fall back to a
//! default and produce a different workload than the one the person meant.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::quantity::{CpuQty, DurationQty, MemQty};

/// What to generate: how many operations, when they arrive, how long they run, what they
/// request, and how they spread over queues, projects, priorities and workflows.
///
/// The four maps give a weight per name; each operation picks one name with probability
/// proportional to its weight. The key `""` stands for "none" (the scenario default queue,
/// project or priority; no workflow), so `workflows = { "" = 3.0, hpo = 1.0 }` puts a quarter
/// of the operations into workflow `hpo`. An empty (or absent) map means every operation
/// gets "none".
#[derive(Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GeneratorConfig {
    /// How many operations to generate.
    pub ops: u64,
    /// The arrival process.
    pub arrival: Arrival,
    /// The run-time distribution.
    pub duration: DurationDist,
    /// Request shapes, picked by weight; empty means one shape of 1 CPU and 1024 MiB.
    #[serde(default)]
    pub shapes: Vec<Shape>,
    /// Queue name → weight.
    #[serde(default)]
    pub queues: BTreeMap<String, f64>,
    /// Project name → weight.
    #[serde(default)]
    pub projects: BTreeMap<String, f64>,
    /// Priority (an integer written as a string key, e.g. `"10"`) → weight.
    #[serde(default)]
    pub priorities: BTreeMap<String, f64>,
    /// Workflow name → weight.
    #[serde(default)]
    pub workflows: BTreeMap<String, f64>,
    /// Offset added to every submit time; default 0.
    #[serde(default)]
    pub start: Option<DurationQty>,
}

/// When operations arrive.
#[derive(Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "process", rename_all = "snake_case", deny_unknown_fields)]
pub enum Arrival {
    /// Exponential inter-arrival times with mean `1 / rate`: `{ process = "poisson",
    /// rate_per_hour = 120.0 }`. The first operation arrives one inter-arrival after the start.
    Poisson {
        /// Mean arrivals per hour, `> 0`.
        rate_per_hour: f64,
    },
    /// Evenly spaced arrivals, the first at the start: `{ process = "regular",
    /// rate_per_hour = 60 }`.
    Regular {
        /// Arrivals per hour, `> 0`.
        rate_per_hour: f64,
    },
    /// A day-night cycle: a Poisson process whose rate at time `t` (from the start, which is
    /// midnight) is `rate_per_hour · (1 + amplitude · cos(2π (t − peak) / 24 h))`, sampled by
    /// thinning: `{ process = "diurnal", rate_per_hour = 120, amplitude = 0.6, peak = "14h" }`.
    Diurnal {
        /// Mean arrivals per hour over a day, `> 0`.
        rate_per_hour: f64,
        /// Relative swing, `0..=1` (0 is plain Poisson; 1 stops arrivals at the trough).
        amplitude: f64,
        /// Time of day of the busiest moment; default 14:00.
        #[serde(default)]
        peak: Option<DurationQty>,
    },
}

/// How long operations run. Samples are rounded to whole milliseconds and are at least 1 ms.
#[derive(Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "dist", rename_all = "snake_case", deny_unknown_fields)]
pub enum DurationDist {
    /// Every operation runs `value`: `{ dist = "constant", value = "5m" }`.
    Constant {
        /// The run time.
        value: DurationQty,
    },
    /// Exponential with the given mean, optionally capped: `{ dist = "exponential",
    /// mean = "10m" }`.
    Exponential {
        /// Mean run time, `> 0`.
        mean: DurationQty,
        /// Optional cap on every sample.
        #[serde(default)]
        max: Option<DurationQty>,
    },
    /// Log-normal with the given median (`mu = ln(median)`) and shape `sigma` (the standard
    /// deviation of the log), optionally capped: `{ dist = "lognormal", median = "10m",
    /// sigma = 1.0, max = "1d" }`. Heavy-tailed like real batch run times.
    Lognormal {
        /// Median run time, `> 0`.
        median: DurationQty,
        /// Standard deviation of `ln(duration)`, `>= 0`.
        sigma: f64,
        /// Optional cap on every sample.
        #[serde(default)]
        max: Option<DurationQty>,
    },
    /// Pareto (heavy-tailed) with minimum `scale` and tail index `shape` (smaller is heavier;
    /// the mean is finite only above 1), optionally capped: `{ dist = "pareto", scale = "1m",
    /// shape = 1.5, max = "1d" }`. Median `scale · 2^(1/shape)`.
    Pareto {
        /// The smallest run time, `> 0`.
        scale: DurationQty,
        /// Tail index, `> 0`.
        shape: f64,
        /// Optional cap on every sample.
        #[serde(default)]
        max: Option<DurationQty>,
    },
    /// Weibull with scale `λ` and shape `k` (below 1: heavy-tailed, as often measured for
    /// batch jobs): `{ dist = "weibull", scale = "20m", shape = 0.7 }`. Median
    /// `λ · ln(2)^(1/k)`.
    Weibull {
        /// Scale, `> 0`.
        scale: DurationQty,
        /// Shape, `> 0`.
        shape: f64,
        /// Optional cap on every sample.
        #[serde(default)]
        max: Option<DurationQty>,
    },
    /// Uniform between `min` and `max` inclusive: `{ dist = "uniform", min = "1m",
    /// max = "5m" }`.
    Uniform {
        /// Shortest run time.
        min: DurationQty,
        /// Longest run time, `>= min`.
        max: DurationQty,
    },
}

/// One request shape: `{ weight = 3.0, cpu = "1", memory = "2Gi", gpu = 0 }`.
#[derive(Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Shape {
    /// Relative frequency; default 1.
    #[serde(default = "one")]
    pub weight: f64,
    /// CPU request.
    pub cpu: CpuQty,
    /// Memory request.
    pub memory: MemQty,
    /// Whole GPUs; default 0.
    #[serde(default)]
    pub gpu: u64,
    /// Gang size: this many replicas of the request, started together; default 1.
    #[serde(default = "one_replica")]
    pub replicas: u32,
}

fn one_replica() -> u32 {
    1
}

fn one() -> f64 {
    1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
        ops = 1000
        start = "1h"
        arrival = { process = "poisson", rate_per_hour = 120.0 }
        duration = { dist = "lognormal", median = "10m", sigma = 1.0, max = "1d" }
        shapes = [
            { weight = 3.0, cpu = "1", memory = "2Gi" },
            { cpu = 8, memory = 32768, gpu = 2 },
        ]
        queues = { batch = 3.0, training = 1.0, "" = 1.0 }
        priorities = { "10" = 1.0, "-5" = 2 }
    "#;

    #[test]
    fn parses_a_full_config() {
        let c: GeneratorConfig = toml::from_str(EXAMPLE).unwrap();
        assert_eq!(c.ops, 1000);
        assert_eq!(c.start, Some(DurationQty(3_600_000)));
        assert_eq!(c.arrival, Arrival::Poisson { rate_per_hour: 120.0 });
        assert_eq!(
            c.duration,
            DurationDist::Lognormal {
                median: DurationQty(600_000),
                sigma: 1.0,
                max: Some(DurationQty(86_400_000)),
            }
        );
        assert_eq!(c.shapes[0].weight, 3.0);
        assert_eq!(c.shapes[1].gpu, 2);
        assert_eq!(c.shapes[1].memory, MemQty(32768));
        assert_eq!(c.queues.len(), 3);
        assert!(c.projects.is_empty());
    }

    #[test]
    fn parses_other_variants() {
        let c: GeneratorConfig = toml::from_str(
            "ops = 1\narrival = { process = \"regular\", rate_per_hour = 60 }\n\
             duration = { dist = \"constant\", value = 300 }",
        )
        .unwrap();
        assert_eq!(c.arrival, Arrival::Regular { rate_per_hour: 60.0 });
        assert_eq!(c.duration, DurationDist::Constant { value: DurationQty(300_000) });
    }

    #[test]
    fn rejects_unknown_keys() {
        let typo = EXAMPLE.replace("sigma", "sigmaa");
        assert!(toml::from_str::<GeneratorConfig>(&typo).is_err());
        let typo = EXAMPLE.replace("rate_per_hour", "rate");
        assert!(toml::from_str::<GeneratorConfig>(&typo).is_err());
        let typo = EXAMPLE.replace("ops = 1000", "ops = 1000\nopz = 3");
        assert!(toml::from_str::<GeneratorConfig>(&typo).is_err());
        let typo = EXAMPLE.replace("gpu = 2", "gpus = 2");
        assert!(toml::from_str::<GeneratorConfig>(&typo).is_err());
        let e =
            toml::from_str::<GeneratorConfig>(&EXAMPLE.replace("poisson", "poison")).unwrap_err().to_string();
        assert!(e.contains("poison"), "{e}");
    }
}
