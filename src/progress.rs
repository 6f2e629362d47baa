//! A progress bar for long runs: shown only on a terminal, and only once a run has taken
//! more than a couple of seconds, so short runs and pipelines stay quiet.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use schedlab_sim::engine::Progress;

/// How long a run goes before it gets a bar.
const DELAY: Duration = Duration::from_secs(2);

pub struct RunProgress {
    started: Instant,
    enabled: bool,
    bar: Option<ProgressBar>,
}

impl RunProgress {
    pub fn new(started: Instant, quiet: bool) -> RunProgress {
        RunProgress { started, enabled: !quiet && std::io::stderr().is_terminal(), bar: None }
    }

    pub fn update(&mut self, p: &Progress) {
        if !self.enabled || self.started.elapsed() < DELAY {
            return;
        }
        let bar = self.bar.get_or_insert_with(|| {
            let b = ProgressBar::new(p.total.max(1));
            b.set_style(
                ProgressStyle::with_template("{spinner} simulating [{bar:25}] {pos}/{len} ops  {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            b.enable_steady_tick(Duration::from_millis(200));
            b
        });
        bar.set_position(p.submitted);
        // Our own ETA: the bar starts late, so its own rate estimate would begin wrong.
        let elapsed = self.started.elapsed().as_secs_f64();
        let left = p.total.saturating_sub(p.submitted) as f64;
        let eta = if p.submitted > 0 { elapsed * left / p.submitted as f64 } else { 0.0 };
        bar.set_message(format!("sim t={:.0}s  ETA {eta:.0}s", p.now as f64 / 1000.0));
    }

    pub fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

/// A counter bar for sweeps: shown at once on a terminal, hidden otherwise.
pub fn counter(total: u64, unit: &str, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::new(total);
    b.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} [{{bar:30}}] {{pos}}/{{len}} {unit}  ETA {{eta}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    b.enable_steady_tick(Duration::from_millis(200));
    b
}
