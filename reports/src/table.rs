//! The summary table printed after `schedlab run`.

use std::fmt::Write as _;

use schedlab_sim::metrics::{Sla, Summary, Timing};

/// Seconds as a short human duration: `850ms`, `42.0s`, `12m 05s`, `3h 02m`, `2d 04h`.
pub fn human_duration(s: f64) -> String {
    if !s.is_finite() {
        return "-".into();
    }
    let ms = (s * 1000.0).round() as i64;
    let secs = ms / 1000;
    match secs {
        _ if ms < 1000 => format!("{ms}ms"),
        0..=59 => format!("{:.1}s", ms as f64 / 1000.0),
        60..=3599 => format!("{}m {:02}s", secs / 60, secs % 60),
        3600..=86_399 => format!("{}h {:02}m", secs / 3600, (secs % 3600) / 60),
        _ => format!("{}d {:02}h", secs / 86_400, (secs % 86_400) / 3600),
    }
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn timing_cells(t: &Timing) -> [String; 5] {
    if t.wait.count == 0 {
        return ["-".into(), "-".into(), "-".into(), "-".into(), "-".into()];
    }
    [
        human_duration(t.wait.mean),
        human_duration(t.wait.p95),
        human_duration(t.jct.mean),
        human_duration(t.jct.p95),
        format!("{:.2}", t.bounded_slowdown.mean),
    ]
}

/// A readable multi-line summary of a run: totals, then one row per queue and per priority.
pub fn summary_table(s: &Summary) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}  seed {}  dispatch {}  placement {}  {} nodes",
        s.scenario, s.seed, s.dispatch, s.placement, s.nodes
    );
    let statuses: Vec<String> =
        s.operations.iter().filter(|(_, n)| **n > 0).map(|(k, n)| format!("{n} {k}")).collect();
    let _ = writeln!(out, "  operations   {} submitted: {}", s.submitted, statuses.join(", "));
    let horizon = if s.horizon_reached { "  (cut by the horizon)" } else { "" };
    let _ = writeln!(out, "  makespan     {}{horizon}   events {}", human_duration(s.makespan), s.events);
    let util: Vec<String> = s.utilisation.iter().map(|(k, v)| format!("{k} {}", pct(*v))).collect();
    let _ = writeln!(out, "  utilisation  {}", util.join("   "));
    let _ = writeln!(
        out,
        "  wait         mean {}  p50 {}  p95 {}  p99 {}  max {}",
        human_duration(s.timing.wait.mean),
        human_duration(s.timing.wait.p50),
        human_duration(s.timing.wait.p95),
        human_duration(s.timing.wait.p99),
        human_duration(s.timing.wait.max)
    );
    let _ = writeln!(
        out,
        "  completion   mean {}  p95 {}   bounded slowdown mean {:.2}  p95 {:.2}",
        human_duration(s.timing.jct.mean),
        human_duration(s.timing.jct.p95),
        s.timing.bounded_slowdown.mean,
        s.timing.bounded_slowdown.p95
    );
    let _ = writeln!(
        out,
        "  cost         {:.2}   fairness (Jain) slowdown {:.3}  share {:.3}",
        s.cost.total, s.fairness.jain_slowdown, s.fairness.jain_share
    );
    let _ = writeln!(out, "  preemptions  {}   work lost {}", s.preemptions, human_duration(s.wasted_work));
    sla_lines(&mut out, &s.sla);
    let _ = writeln!(out);
    let header = [
        "queue",
        "agent",
        "priority",
        "ops",
        "done",
        "rej",
        "wait mean",
        "wait p95",
        "jct mean",
        "jct p95",
        "slowdown",
        "share",
        "cost",
    ];
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
    for q in &s.per_queue {
        let [wm, wp, jm, jp, sd] = timing_cells(&q.timing);
        rows.push(vec![
            q.queue.clone(),
            q.agent.clone(),
            q.priority.map(|p| p.to_string()).unwrap_or_else(|| "highest".into()),
            q.submitted.to_string(),
            q.succeeded.to_string(),
            q.rejected.to_string(),
            wm,
            wp,
            jm,
            jp,
            sd,
            pct(q.share),
            format!("{:.2}", q.cost),
        ]);
    }
    out.push_str(&align(&rows, 3));
    let _ = writeln!(out);
    let mut rows: Vec<Vec<String>> =
        vec![["priority", "done", "wait mean", "wait p95", "jct mean", "jct p95", "slowdown"]
            .iter()
            .map(|s| s.to_string())
            .collect()];
    for p in &s.per_priority {
        let [wm, wp, jm, jp, sd] = timing_cells(&p.timing);
        rows.push(vec![
            p.priority.map(|p| p.to_string()).unwrap_or_else(|| "highest".into()),
            p.succeeded.to_string(),
            wm,
            wp,
            jm,
            jp,
            sd,
        ]);
    }
    out.push_str(&align(&rows, 1));
    out
}

/// The deadlines line (and one per queue when there are several), only when some operation
/// had a deadline.
fn sla_lines(out: &mut String, sla: &Sla) {
    if sla.with_deadline == 0 {
        return;
    }
    let worst = if sla.violated > 0 {
        format!("   worst {} late", human_duration(sla.max_lateness))
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "  deadlines    {} of {} missed ({}): {} late, {} unsuccessful, {} unfinished{worst}",
        sla.violated,
        sla.with_deadline,
        pct(sla.violation_rate),
        sla.late,
        sla.unsuccessful,
        sla.unfinished
    );
    if sla.per_queue.len() > 1 {
        let per: Vec<String> =
            sla.per_queue.iter().map(|(q, v)| format!("{q} {}/{}", v.violated, v.with_deadline)).collect();
        let _ = writeln!(out, "               missed per queue: {}", per.join(", "));
    }
}

/// Aligns rows into columns: the first `left` columns left-aligned, the rest right-aligned,
/// with a rule under the first row (the header).
pub fn align(rows: &[Vec<String>], left: usize) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| rows.iter().filter_map(|r| r.get(c)).map(|s| s.chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (i, r) in rows.iter().enumerate() {
        out.push_str("  ");
        for (c, cell) in r.iter().enumerate() {
            if c > 0 {
                out.push_str("  ");
            }
            if c < left {
                let _ = write!(out, "{cell:<w$}", w = widths[c]);
            } else {
                let _ = write!(out, "{cell:>w$}", w = widths[c]);
            }
        }
        let trimmed = out.trim_end().len();
        out.truncate(trimmed);
        out.push('\n');
        if i == 0 {
            let total: usize = widths.iter().sum::<usize>() + 2 * cols.saturating_sub(1);
            let _ = writeln!(out, "  {}", "─".repeat(total));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(0.25), "250ms");
        assert_eq!(human_duration(42.0), "42.0s");
        assert_eq!(human_duration(725.0), "12m 05s");
        assert_eq!(human_duration(3.0 * 3600.0 + 120.0), "3h 02m");
        assert_eq!(human_duration(2.0 * 86400.0 + 4.0 * 3600.0), "2d 04h");
    }

    #[test]
    fn deadlines_are_shown_only_when_some_operation_has_one() {
        let mut out = String::new();
        sla_lines(&mut out, &Sla::default());
        assert_eq!(out, "");
        let q = |with_deadline, violated| schedlab_sim::metrics::QueueSla {
            with_deadline,
            violated,
            ..Default::default()
        };
        let sla = Sla {
            with_deadline: 5,
            met: 1,
            violated: 4,
            violation_rate: 0.8,
            late: 2,
            unsuccessful: 1,
            unfinished: 1,
            max_lateness: 50.0,
            per_queue: [("q".to_string(), q(3, 2)), ("r".to_string(), q(2, 2))].into_iter().collect(),
        };
        sla_lines(&mut out, &sla);
        assert_eq!(
            out,
            "  deadlines    4 of 5 missed (80.0%): 2 late, 1 unsuccessful, 1 unfinished   worst 50.0s late\n\
             \x20              missed per queue: q 2/3, r 2/2\n"
        );
        let mut out = String::new();
        let met = Sla {
            with_deadline: 2,
            met: 2,
            per_queue: [("q".to_string(), q(2, 0))].into(),
            ..Sla::default()
        };
        sla_lines(&mut out, &met);
        assert_eq!(out, "  deadlines    0 of 2 missed (0.0%): 0 late, 0 unsuccessful, 0 unfinished\n");
    }

    #[test]
    fn columns_align() {
        let rows = vec![vec!["a".to_string(), "1".to_string()], vec!["long".to_string(), "100".to_string()]];
        assert_eq!(align(&rows, 1), "  a       1\n  ─────────\n  long  100\n");
    }
}
