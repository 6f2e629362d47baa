//! One file per chart kind. Each builds its data from the run (or comparison, or sweep)
//! inputs and implements [`crate::style::Chart`]; drawing code never sees raw files.

pub(crate) mod bars;
pub(crate) mod cost;
pub(crate) mod gantt;
pub(crate) mod preemptions;
pub(crate) mod queue_lengths;
pub(crate) mod sweep;
pub(crate) mod utilisation;
pub(crate) mod wait_cdf;

/// A file-name-safe form of a resource, metric or queue name (`nvidia.com/gpu` →
/// `nvidia_com_gpu`).
pub(crate) fn slug(s: &str) -> String {
    let out: String =
        s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    if out.is_empty() {
        "unnamed".into()
    } else {
        out
    }
}
