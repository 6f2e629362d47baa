//! # schedlab-reports: what people read
//!
//! - [`summary_table`]: the plain-text table printed after `schedlab run`.
//! - [`render_run`]: charts (PNG and SVG) and a self-contained `report.html` for one run
//!   directory.
//! - [`render_comparison`]: the same workload run under several policies, side by side.
//! - [`render_sweep`]: one chart per metric over a parameter sweep, with confidence bands and
//!   the target the sweep was looking for.
//!
//! Everything here reads the files a run writes (see `schedlab_sim::output`), never the
//! simulator's memory, so reports can be redrawn from an old run directory, and any tool that
//! writes the same files gets the same charts. Inputs are parsed by column name and extra
//! columns are ignored; a missing optional file or column, an empty run or a zero-capacity
//! resource gives a chart that says "no data" rather than an error.
//!
//! Text in charts is drawn with DejaVu Sans shipped in `assets/` (licence beside it), so PNGs
//! look the same on every machine whatever fonts it has.

mod charts;
mod compare;
mod data;
mod html;
mod run_report;
mod style;
mod sweep;
mod table;

use std::fmt;
use std::path::PathBuf;

pub use compare::render_comparison;
pub use run_report::render_run;
pub use sweep::render_sweep;
pub use table::{align, human_duration, summary_table};

/// Why a report could not be written.
#[derive(Debug)]
pub enum ReportError {
    /// Reading an input or writing an output failed.
    Io { path: PathBuf, source: std::io::Error },
    /// An input exists but cannot be parsed at all (a CSV with a broken header, invalid JSON).
    Parse { path: PathBuf, message: String },
    /// The inputs are missing something without which there is nothing to report.
    Input(String),
    /// plotters failed to draw a chart.
    Chart { chart: String, message: String },
}

impl fmt::Display for ReportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReportError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            ReportError::Parse { path, message } => write!(f, "{}: {message}", path.display()),
            ReportError::Input(m) => f.write_str(m),
            ReportError::Chart { chart, message } => {
                write!(f, "drawing chart `{chart}`: {message}")
            }
        }
    }
}

impl std::error::Error for ReportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReportError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
