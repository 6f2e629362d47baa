//! # schedlab-traces: workloads for schedlab
//!
//! Everything that turns a workload description into [`TraceRecord`]s: the native CSV reader
//! and writer, the synthetic [`generate`] function driven by a [`GeneratorConfig`], and
//! [`stats`] to summarise a workload before replaying it. Times are integer milliseconds
//! (`schedlab_policies::time::Time`), like everywhere else in schedlab.

mod decimal;
mod error;
mod generator;
mod links;
mod load;
mod mapped;
mod native;
mod record;
mod stats;
mod swf;
mod transform;

pub use error::TraceError;
pub use generator::{
    generate, Arrival, CpuQty, DurationDist, DurationQty, DurationSampler, GeneratorConfig, MemQty, Shape,
};
pub use links::check_links;
pub use load::{detect_format, load_trace, load_trace_bytes, LoadedTrace, TraceFormat};
pub use mapped::{read_mapped, read_mapped_from, ColumnMap, CpuUnit, MappedTrace, TimeFormat};
pub use native::{read_native, read_native_from, write_native};
pub use record::{Trace, TraceRecord, MAX_TIME};
pub use stats::{offered_load, stats, DurationSummary, ResourceSummary, TraceStats};
pub use swf::{read_swf, read_swf_from, SwfHeader, SwfTrace};
pub use transform::{apply as apply_transform, Filter, Transform, Window};
