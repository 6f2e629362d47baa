//! The run directory: self-describing CSV files and `summary.json`.
//!
//! | file | one row per |
//! |---|---|
//! | `ops.csv` | operation |
//! | `attempts.csv` | execution attempt |
//! | `statuses.csv` | status transition of an operation |
//! | `nodes.csv` | node |
//! | `queues.csv` | queue |
//! | `workflows.csv` | workflow |
//! | `trials.csv` | trial of a tuning run (`[[tuning]]`) |
//! | `timeseries.csv` | sample |
//! | `scenario.toml` | — (the scenario file as it was run) |
//! | `summary.json` | run |
//!
//! Times are seconds from the start with millisecond precision; an empty cell means "not
//! applicable" (or, in limits, unlimited). `summary.json` is written last, so its presence
//! says the directory is complete.

mod atomic;
mod tables;

pub use atomic::{write_atomic, AtomicFile};

use std::io;
use std::path::Path;

use crate::engine::Run;
use crate::metrics::Summary;
use crate::scenario::Scenario;

/// The files of a run directory, in the order they are written.
pub const FILES: [&str; 10] = [
    "ops.csv",
    "attempts.csv",
    "statuses.csv",
    "nodes.csv",
    "queues.csv",
    "workflows.csv",
    "trials.csv",
    "timeseries.csv",
    "scenario.toml",
    "summary.json",
];

/// Writes every file of the run into `dir` (created if needed).
pub fn write_run(dir: &Path, scenario: &Scenario, run: &Run, summary: &Summary) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    // An earlier, complete run in the same directory must not be mistaken for this one while
    // it is being replaced: drop its summary first.
    let _ = std::fs::remove_file(dir.join("summary.json"));
    write_atomic(&dir.join("ops.csv"), |w| tables::ops(w, run))?;
    write_atomic(&dir.join("attempts.csv"), |w| tables::attempts(w, run))?;
    write_atomic(&dir.join("statuses.csv"), |w| tables::statuses(w, run))?;
    write_atomic(&dir.join("nodes.csv"), |w| tables::nodes(w, scenario, run))?;
    write_atomic(&dir.join("queues.csv"), |w| tables::queues(w, run))?;
    write_atomic(&dir.join("workflows.csv"), |w| tables::workflows(w, run))?;
    write_atomic(&dir.join("trials.csv"), |w| tables::trials(w, run))?;
    write_atomic(&dir.join("timeseries.csv"), |w| tables::timeseries(w, scenario, run))?;
    write_atomic(&dir.join("scenario.toml"), |w| io::Write::write_all(w, scenario.text.as_bytes()))?;
    write_atomic(&dir.join("summary.json"), |w| {
        serde_json::to_writer_pretty(&mut *w, summary).map_err(io::Error::other)?;
        io::Write::write_all(w, b"\n")
    })
}
