//! The text a person reads from `schedlab trace stats`: one labelled line per fact, then one
//! small table per grouping (queue, project, workflow, priority) with counts and shares.

use std::collections::BTreeMap;
use std::fmt::{self, Display, Write as _};

use schedlab_policies::units::fmt_cores;

use super::human::{duration, thousands};
use super::TraceStats;

const LABEL: usize = 15;

impl Display for TraceStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ops = thousands(self.count);
        if self.count > 0 {
            let _ = write!(
                ops,
                "  ({} with dependencies, {} asking for GPUs)",
                thousands(self.with_dependencies),
                thousands(self.gpu_ops)
            );
        }
        line(f, "operations", &ops)?;
        let (Some(first), Some(last), Some(d)) = (self.first_submit, self.last_submit, &self.duration) else {
            return Ok(());
        };
        let rate = self.arrival_rate_per_hour.map_or(String::new(), |r| format!(", {r:.1} per hour"));
        line(
            f,
            "submitted",
            &format!(
                "{} to {}  (span {}{rate})",
                duration(first),
                duration(last),
                duration(last.saturating_sub(first))
            ),
        )?;
        line(
            f,
            "duration",
            &format!(
                "min {}   p50 {}   mean {}   p95 {}   p99 {}   max {}",
                duration(d.min),
                duration(d.p50),
                duration(d.mean.round() as i64),
                duration(d.p95),
                duration(d.p99),
                duration(d.max)
            ),
        )?;
        line(
            f,
            "cpu (cores)",
            &format!("mean {:.2}   max {}", self.cpu_milli.mean / 1000.0, fmt_cores(self.cpu_milli.max)),
        )?;
        line(
            f,
            "memory (MiB)",
            &format!(
                "mean {}   max {}",
                thousands(self.mem_mib.mean.round() as u64),
                thousands(self.mem_mib.max)
            ),
        )?;
        line(f, "gpu", &format!("mean {:.2}   max {}", self.gpu.mean, self.gpu.max))?;
        line(
            f,
            "total work",
            &format!("{:.1} core-hours   {:.1} GPU-hours", self.core_hours, self.gpu_hours),
        )?;
        let prio: BTreeMap<Option<String>, u64> =
            self.per_priority.iter().map(|(k, &v)| (k.map(|p| p.to_string()), v)).collect();
        // An empty cell means the scenario default, except for workflows, where it means none.
        let groups = [
            ("queue", &self.per_queue, "(default)"),
            ("project", &self.per_project, "(default)"),
            ("workflow", &self.per_workflow, "(none)"),
            ("priority", &prio, "(default)"),
        ];
        let width = groups
            .iter()
            .flat_map(|(_, m, _)| m.keys().map(|k| k.as_deref().map_or(9, str::len) + 4))
            .chain([LABEL])
            .max()
            .unwrap_or(LABEL);
        let count_width = thousands(self.count).len().max(3);
        for (title, counts, empty) in groups {
            writeln!(f)?;
            writeln!(f, "{title:<width$}{:>count_width$}  share", "ops")?;
            // Long groups (an SWF log's hundreds of users) show their largest entries only.
            let mut rows: Vec<(&Option<String>, u64)> = counts.iter().map(|(k, &v)| (k, v)).collect();
            if rows.len() > MAX_ROWS {
                rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            }
            for &(name, n) in rows.iter().take(MAX_ROWS) {
                let name = name.as_deref().unwrap_or(empty);
                let share = 100.0 * n as f64 / self.count as f64;
                writeln!(f, "  {name:<w$}{:>count_width$}  {share:5.1}%", thousands(n), w = width - 2)?;
            }
            if rows.len() > MAX_ROWS {
                let rest: u64 = rows[MAX_ROWS..].iter().map(|r| r.1).sum();
                let more = format!("+{} more", rows.len() - MAX_ROWS);
                let share = 100.0 * rest as f64 / self.count as f64;
                writeln!(f, "  {more:<w$}{:>count_width$}  {share:5.1}%", thousands(rest), w = width - 2)?;
            }
        }
        Ok(())
    }
}

/// Rows shown per grouping before the rest is summed into one line.
const MAX_ROWS: usize = 20;

fn line(f: &mut fmt::Formatter<'_>, label: &str, value: &str) -> fmt::Result {
    writeln!(f, "{label:<LABEL$}{value}")
}
