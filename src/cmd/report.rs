//! `schedlab report`: draw (or redraw) the charts and HTML of a run or sweep directory.

use std::path::PathBuf;

use super::CmdResult;

#[derive(clap::Args)]
pub struct Args {
    /// A run directory (from `schedlab run`) or a sweep directory (from `sweep` or `plan`).
    pub dir: PathBuf,
}

pub fn run(args: Args) -> CmdResult {
    let d = &args.dir;
    let (files, page) = if d.join("sweep_summary.csv").exists() {
        (schedlab_reports::render_sweep(d), "sweep.html")
    } else if d.join("summary.json").exists() {
        (schedlab_reports::render_run(d), "report.html")
    } else {
        return Err(format!(
            "{} holds neither a run (summary.json) nor a sweep (sweep_summary.csv)",
            d.display()
        ));
    };
    let files = files.map_err(|e| e.to_string())?;
    println!("wrote {} files; open {}", files.len(), d.join(page).display());
    Ok(())
}
