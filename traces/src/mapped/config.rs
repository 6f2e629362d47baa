//! Which CSV column is which: the column map of job-level cluster traces.

use serde::Deserialize;

use crate::generator::{CpuQty, MemQty};

/// How times are written in the trace.
#[derive(Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TimeFormat {
    /// Decimal seconds (since anything: times are made relative to the earliest submit).
    #[default]
    Seconds,
    /// Unix timestamps in (decimal) seconds since 1970. Read exactly like `seconds`; the name
    /// exists so that a column map says what its trace holds.
    Unix,
    /// `YYYY-MM-DD HH:MM:SS`.
    Datetime,
}

/// How the CPU column counts.
#[derive(Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CpuUnit {
    /// Cores (`2`, `0.5`).
    #[default]
    Cores,
    /// Millicores (`2000`).
    Milli,
}

/// Names the header columns that hold each field, and how to fill what the trace lacks. Every
/// field is optional so that a map can override a preset one field at a time.
///
/// Submit times are made relative to the earliest submit. The run time is the `duration`
/// column, or `end` minus `start` (or minus submit when there is no `start`). A trace without
/// CPU or memory (most GPU traces) gets `cpu_per_gpu` / `mem_per_gpu` for each GPU, or the
/// defaults when it asks for no GPU.
#[derive(Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ColumnMap {
    /// Unique id; default: `<line number>`.
    pub id: Option<String>,
    pub submit: Option<String>,
    pub duration: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub gpu: Option<String>,
    pub cpu: Option<String>,
    pub memory: Option<String>,
    pub queue: Option<String>,
    pub project: Option<String>,
    pub priority: Option<String>,
    /// A status column, and which of its values to keep (others are skipped and counted).
    pub status: Option<String>,
    pub keep_status: Option<Vec<String>>,
    pub time_format: Option<TimeFormat>,
    pub cpu_unit: Option<CpuUnit>,
    /// CPU per requested GPU when the CPU cell is missing or empty (GPU traces rarely record
    /// CPU, but a scheduler needs it to place the job on a node).
    pub cpu_per_gpu: Option<CpuQty>,
    /// Memory per requested GPU when the memory cell (MiB) is missing or empty.
    #[serde(alias = "mem_mib_per_gpu")]
    pub mem_per_gpu: Option<MemQty>,
    /// CPU of an operation asking for no GPU when its CPU cell is missing or empty.
    pub cpu_default: Option<CpuQty>,
    /// Memory of an operation asking for no GPU when its memory cell is missing or empty.
    #[serde(alias = "mem_mib_default")]
    pub mem_default: Option<MemQty>,
    /// Prepended to queue and project names (e.g. `vc-`).
    pub queue_prefix: Option<String>,
    pub project_prefix: Option<String>,
}

macro_rules! overlay {
    ($base:ident, $top:ident, $($f:ident),*) => {
        ColumnMap { $($f: $top.$f.clone().or_else(|| $base.$f.clone()),)* }
    };
}

impl ColumnMap {
    /// `self`'s fields where set, `base`'s otherwise.
    pub fn over(&self, base: &ColumnMap) -> ColumnMap {
        let top = self;
        overlay!(
            base,
            top,
            id,
            submit,
            duration,
            start,
            end,
            gpu,
            cpu,
            memory,
            queue,
            project,
            priority,
            status,
            keep_status,
            time_format,
            cpu_unit,
            cpu_per_gpu,
            mem_per_gpu,
            cpu_default,
            mem_default,
            queue_prefix,
            project_prefix
        )
    }

    /// The names of the built-in presets, as accepted by [`ColumnMap::preset`].
    pub const PRESETS: [&'static str; 3] = ["philly", "alibaba-gpu", "tiresias"];

    /// The built-in preset called `name` (`philly`, `alibaba-gpu`, `tiresias`).
    pub fn preset(name: &str) -> Option<ColumnMap> {
        match name {
            "philly" => Some(Self::philly()),
            "alibaba-gpu" => Some(Self::alibaba_gpu()),
            "tiresias" => Some(Self::tiresias()),
            _ => None,
        }
    }

    fn col(s: &str) -> Option<String> {
        Some(s.to_string())
    }

    /// Microsoft Philly (`timestamp,duration,num_gpus,gpu_time,cluster`): the virtual cluster
    /// becomes the project; 4 cores and 16 GiB per GPU.
    pub fn philly() -> ColumnMap {
        ColumnMap {
            submit: Self::col("timestamp"),
            duration: Self::col("duration"),
            gpu: Self::col("num_gpus"),
            project: Self::col("cluster"),
            time_format: Some(TimeFormat::Datetime),
            cpu_per_gpu: Some(CpuQty(4000)),
            mem_per_gpu: Some(MemQty(16384)),
            cpu_default: Some(CpuQty(1000)),
            mem_default: Some(MemQty(4096)),
            ..ColumnMap::default()
        }
    }

    /// Alibaba GPU cluster trace v2023 pod list: pods run from `scheduled_time` to
    /// `deletion_time`; pods never scheduled (or never deleted) are skipped and counted; the QoS
    /// class becomes the project. A pod sharing a GPU (`0 < gpu_milli < 1000`) asks for one
    /// whole GPU here: the trace already writes `num_gpu = 1` for those pods, and schedlab
    /// models whole GPUs only, so GPU sharing shows up as lower utilisation, not as packing.
    pub fn alibaba_gpu() -> ColumnMap {
        ColumnMap {
            id: Self::col("name"),
            submit: Self::col("creation_time"),
            start: Self::col("scheduled_time"),
            end: Self::col("deletion_time"),
            gpu: Self::col("num_gpu"),
            cpu: Self::col("cpu_milli"),
            cpu_unit: Some(CpuUnit::Milli),
            memory: Self::col("memory_mib"),
            project: Self::col("qos"),
            ..ColumnMap::default()
        }
    }

    /// The Tiresias simulator's job list (`job_id,num_gpu,submit_time,...,duration`): the
    /// model name becomes the project; 4 cores and 16 GiB per GPU.
    pub fn tiresias() -> ColumnMap {
        ColumnMap {
            id: Self::col("job_id"),
            submit: Self::col("submit_time"),
            duration: Self::col("duration"),
            gpu: Self::col("num_gpu"),
            project: Self::col("model_name"),
            cpu_per_gpu: Some(CpuQty(4000)),
            mem_per_gpu: Some(MemQty(16384)),
            ..ColumnMap::default()
        }
    }
}
