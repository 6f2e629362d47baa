//! `report.html` and the charts of one run directory.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::charts::bars::significant;
use crate::charts::cost::CumulativeCost;
use crate::charts::gantt::{self, Gantt};
use crate::charts::preemptions::Preemptions;
use crate::charts::queue_lengths::QueueLengths;
use crate::charts::utilisation::Utilisation;
use crate::charts::wait_cdf::{priority_label, WaitCdf};
use crate::data::{create_dir, jnum, jtext, write_file, RunData};
use crate::html::{Cell, Page};
use crate::style::{duration_text, render, Rendered};
use crate::ReportError;

/// Draws every chart of the run in `run_dir` into `run_dir/charts/` (`<name>.png` and
/// `<name>.svg`) and writes `run_dir/report.html`; returns the paths written.
///
/// Charts: `utilisation_<resource>` (one per resource with capacity), `queue_lengths`,
/// `wait_cdf_queue`, `wait_cdf_priority`, `preemptions`, `cost_queue`, `cost_project`, and
/// `gantt` for runs of at most 64 nodes and 5,000 attempts. Missing or empty inputs give
/// charts that say so; only an unreadable directory or a file that cannot be parsed at all
/// is an error.
pub fn render_run(run_dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let run = RunData::load(run_dir)?;
    let charts_dir = run_dir.join("charts");
    create_dir(&charts_dir)?;

    let mut figures: Vec<(Rendered, String)> = Vec::new();
    let resources = run.resources();
    let per_queue_util =
        run.timeseries.headers.iter().any(|h| h.matches(':').count() == 2 && h.starts_with("util:"));
    for r in &resources {
        let caption = if per_queue_util {
            format!("Share of the cluster's {r} capacity in use over time, stacked by queue; the dark line is the cluster total.")
        } else {
            format!("Share of the cluster's {r} capacity in use over time (this run has no per-queue utilisation columns).")
        };
        figures.push((render(&Utilisation::build(&run, r), &charts_dir)?, caption));
    }
    if resources.is_empty() {
        // Still one utilisation chart, saying there is nothing to show.
        figures.push((
            render(&Utilisation::build(&run, "cpu"), &charts_dir)?,
            "No resource with capacity was recorded in this run.".into(),
        ));
    }
    figures.push((
        render(&QueueLengths::build(&run), &charts_dir)?,
        "Operations waiting (top) and running (bottom) in each queue over time.".into(),
    ));
    figures.push((
        render(&WaitCdf::per_queue(&run), &charts_dir)?,
        "Share of each queue's started operations that waited at most a given time (every operation that started).".into(),
    ));
    figures.push((
        render(&WaitCdf::per_priority(&run), &charts_dir)?,
        "The same by priority level of the operations' queues (queues.csv).".into(),
    ));
    figures.push((
        render(&Preemptions::build(&run), &charts_dir)?,
        "Attempts preempted per queue, and run time lost to preemption, failure, timeout or node failure."
            .into(),
    ));
    figures.push((
        render(&CumulativeCost::per_queue(&run), &charts_dir)?,
        "Cost accrued so far, per queue (each operation's cost spread evenly over its run); the legend gives totals.".into(),
    ));
    figures.push((
        render(&CumulativeCost::per_project(&run), &charts_dir)?,
        "Cost accrued so far, per project.".into(),
    ));
    let (fits, n_nodes, n_attempts) = Gantt::fits(&run);
    let gantt_note = if fits {
        figures.push((
            render(&Gantt::build(&run), &charts_dir)?,
            "Every attempt on its node, coloured by queue; outlined bars lost their work.".into(),
        ));
        None
    } else {
        Some(format!(
            "Gantt chart of nodes skipped: this run has {n_nodes} nodes and {n_attempts} attempts, more than the {} nodes and {} attempts it is drawn for.",
            gantt::MAX_NODES,
            gantt::MAX_ATTEMPTS
        ))
    };

    let html = page(&run, run_dir, &figures, gantt_note.as_deref());
    let mut out: Vec<PathBuf> = figures.iter().flat_map(|(r, _)| [r.png.clone(), r.svg.clone()]).collect();
    out.push(write_file(&run_dir.join("report.html"), html.as_bytes())?);
    Ok(out)
}

fn dur(v: Option<f64>) -> String {
    v.map(duration_text).unwrap_or_else(|| "-".into())
}

fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{:.1}%", x * 100.0)).unwrap_or_else(|| "-".into())
}

fn num(v: Option<f64>) -> String {
    v.map(significant).unwrap_or_else(|| "-".into())
}

fn int(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.0}")).unwrap_or_else(|| "-".into())
}

/// The wait/JCT/slowdown cells of a group, `-` where nothing completed.
fn dist(v: &Value, key: &str, stat: &str) -> Option<f64> {
    let d = v.get(key)?;
    if jnum(d, "count") == Some(0.0) {
        return None;
    }
    jnum(d, stat)
}

fn priority_of(v: &Value) -> String {
    priority_label(v.get("priority").and_then(Value::as_f64))
}

/// Keys of `summary.json` shown in the dedicated tables; the rest go to "other metrics".
const KNOWN: [&str; 28] = [
    "schedlab_version",
    "scenario",
    "scenario_file",
    "scenario_hash",
    "seed",
    "dispatch",
    "placement",
    "nodes",
    "operations",
    "submitted",
    "unfinished",
    "horizon_reached",
    "makespan",
    "events",
    "wait",
    "jct",
    "bounded_slowdown",
    "utilisation",
    "mean_queued",
    "max_queued",
    "preemptions",
    "wasted_work",
    "cost",
    "fairness",
    "sla",
    "per_queue",
    "per_priority",
    "timing",
];

fn page(run: &RunData, dir: &Path, figures: &[(Rendered, String)], gantt_note: Option<&str>) -> String {
    let s = &run.summary;
    let name = run.scenario_name(dir);
    let text = |k: &str| jtext(s, k).unwrap_or_else(|| "-".into());
    let subtitle = if s.is_null() {
        format!("run directory {}", dir.display())
    } else {
        format!(
            "dispatch {} · placement {} · {} nodes · seed {} · schedlab {}",
            text("dispatch"),
            text("placement"),
            text("nodes"),
            text("seed"),
            text("schedlab_version")
        )
    };
    let mut p =
        Page::new(&format!("schedlab report: {name}"), &format!("schedlab report: {name}"), &subtitle);

    p.section("overview", "Overview");
    if s.is_null() {
        p.note("summary.json was not found in this run directory: the run may be incomplete. Charts are drawn from the CSV files alone.");
    } else {
        let mut kv: Vec<(String, String)> = Vec::new();
        kv.push(("operations submitted".into(), int(jnum(s, "submitted"))));
        if let Some(Value::Object(m)) = s.get("operations") {
            let st: Vec<String> = m
                .iter()
                .filter_map(|(k, v)| Some((k, v.as_f64().filter(|n| *n > 0.0)?)))
                .map(|(k, v)| format!("{v:.0} {k}"))
                .collect();
            kv.push(("by status".into(), if st.is_empty() { "-".into() } else { st.join(", ") }));
        }
        if jnum(s, "unfinished").is_some_and(|u| u > 0.0) {
            kv.push(("unfinished at the end".into(), int(jnum(s, "unfinished"))));
        }
        let cut = if s.get("horizon_reached").and_then(Value::as_bool) == Some(true) {
            " (cut by the horizon)"
        } else {
            ""
        };
        kv.push(("makespan".into(), format!("{}{cut}", dur(jnum(s, "makespan")))));
        kv.push(("events".into(), int(jnum(s, "events"))));
        if let Some(Value::Object(m)) = s.get("utilisation") {
            let u: Vec<String> = m.iter().map(|(k, v)| format!("{k} {}", pct(v.as_f64()))).collect();
            kv.push(("mean utilisation".into(), u.join(", ")));
        }
        kv.push((
            "operations queued".into(),
            format!("mean {}, max {}", num(jnum(s, "mean_queued")), int(jnum(s, "max_queued"))),
        ));
        kv.push(("preemptions".into(), int(jnum(s, "preemptions"))));
        kv.push(("wasted work".into(), dur(jnum(s, "wasted_work"))));
        kv.push(("total cost".into(), num(s.get("cost").and_then(|c| jnum(c, "total")))));
        if let Some(line) = sla_overview(s) {
            kv.push(("deadlines (SLA)".into(), line));
        }
        if let Some(f) = s.get("fairness") {
            kv.push((
                "fairness (Jain)".into(),
                format!("slowdown {}, share {}", num(jnum(f, "jain_slowdown")), num(jnum(f, "jain_share"))),
            ));
        }
        p.kv(&kv);

        p.h3("Wait, completion time and bounded slowdown (succeeded operations)");
        let rows: Vec<Vec<Cell>> = [
            ("wait", "wait", true),
            ("job completion time", "jct", true),
            ("bounded slowdown", "bounded_slowdown", false),
        ]
        .iter()
        .map(|(label, key, is_time)| {
            let f = |stat: &str| {
                let v = dist(s, key, stat);
                if *is_time {
                    dur(v)
                } else {
                    num(v)
                }
            };
            vec![
                Cell::from(*label),
                int(s.get(*key).and_then(|d| jnum(d, "count"))).into(),
                f("mean").into(),
                f("p50").into(),
                f("p95").into(),
                f("p99").into(),
                f("max").into(),
            ]
        })
        .collect();
        p.table(&["metric", "count", "mean", "p50", "p95", "p99", "max"], &rows);
    }

    p.section("charts", "Charts");
    for (r, caption) in figures {
        p.figure(r, caption);
    }
    if let Some(n) = gantt_note {
        p.note(n);
    }

    if let Some(Value::Array(qs)) = s.get("per_queue") {
        p.section("queues", "Per queue");
        let rows: Vec<Vec<Cell>> = qs
            .iter()
            .map(|q| {
                vec![
                    text_of(q, "queue").into(),
                    text_of(q, "agent").into(),
                    priority_of(q).into(),
                    int(jnum(q, "submitted")).into(),
                    int(jnum(q, "succeeded")).into(),
                    int(jnum(q, "rejected")).into(),
                    dur(dist(q, "wait", "mean")).into(),
                    dur(dist(q, "wait", "p95")).into(),
                    dur(dist(q, "wait", "p99")).into(),
                    dur(dist(q, "jct", "mean")).into(),
                    dur(dist(q, "jct", "p95")).into(),
                    num(dist(q, "bounded_slowdown", "mean")).into(),
                    num(jnum(q, "mean_queued")).into(),
                    int(jnum(q, "max_queued")).into(),
                    pct(jnum(q, "share")).into(),
                    pct(jnum(q, "entitlement")).into(),
                    num(jnum(q, "cost")).into(),
                ]
            })
            .collect();
        p.table(
            &[
                "queue",
                "agent",
                "priority",
                "submitted",
                "succeeded",
                "rejected",
                "wait mean",
                "wait p95",
                "wait p99",
                "JCT mean",
                "JCT p95",
                "slowdown mean",
                "queued mean",
                "queued max",
                "share",
                "entitlement",
                "cost",
            ],
            &rows,
        );
    }

    if let Some(Value::Array(ps)) = s.get("per_priority") {
        p.section("priorities", "Per priority level");
        let rows: Vec<Vec<Cell>> = ps
            .iter()
            .map(|q| {
                vec![
                    priority_of(q).into(),
                    int(jnum(q, "succeeded")).into(),
                    dur(dist(q, "wait", "mean")).into(),
                    dur(dist(q, "wait", "p50")).into(),
                    dur(dist(q, "wait", "p95")).into(),
                    dur(dist(q, "wait", "p99")).into(),
                    dur(dist(q, "jct", "mean")).into(),
                    dur(dist(q, "jct", "p95")).into(),
                    num(dist(q, "bounded_slowdown", "mean")).into(),
                    num(dist(q, "bounded_slowdown", "p95")).into(),
                ]
            })
            .collect();
        p.table(
            &[
                "priority",
                "succeeded",
                "wait mean",
                "wait p50",
                "wait p95",
                "wait p99",
                "JCT mean",
                "JCT p95",
                "slowdown mean",
                "slowdown p95",
            ],
            &rows,
        );
    }

    if let Some(cost) = s.get("cost") {
        p.section("cost", "Cost");
        let total = jnum(cost, "total");
        p.p(&format!("Total: {}.", num(total)));
        for (key, what) in [("per_queue", "queue"), ("per_project", "project")] {
            let Some(Value::Object(m)) = cost.get(key) else {
                continue;
            };
            let mut items: Vec<(&String, f64)> =
                m.iter().map(|(k, v)| (k, v.as_f64().unwrap_or(0.0))).collect();
            items.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
            let rows: Vec<Vec<Cell>> = items
                .into_iter()
                .map(|(k, v)| {
                    let share = total.filter(|t| *t > 0.0).map(|t| v / t);
                    vec![k.as_str().into(), num(Some(v)).into(), pct(share).into()]
                })
                .collect();
            p.h3(&format!("Cost per {what}"));
            p.table(&[what, "cost", "share of total"], &rows);
        }
    }

    if let Some(Value::Object(f)) = s.get("fairness") {
        p.section("fairness", "Fairness");
        let rows: Vec<Vec<Cell>> = f
            .iter()
            .map(|(k, v)| {
                let meaning = match k.as_str() {
                    "jain_slowdown" => "Jain's index of the queues' mean bounded slowdowns (1 = every queue saw the same slowdown, 1/n = one queue took all of it)",
                    "jain_share" => "Jain's index of each active queue's share of resource time over its entitlement (1 = shares match entitlements)",
                    _ => "",
                };
                vec![
                    k.as_str().into(),
                    v.as_f64().map(|x| format!("{x:.3}")).unwrap_or_else(|| v.to_string()).into(),
                    meaning.into(),
                ]
            })
            .collect();
        p.table(&["index", "value", "meaning"], &rows);
    }

    sla_section(&mut p, s);

    if let Value::Object(m) = s {
        let other: Vec<(String, String)> = m
            .iter()
            .filter(|(k, _)| !KNOWN.contains(&k.as_str()))
            .map(|(k, v)| {
                let t = match v {
                    Value::String(x) => x.clone(),
                    Value::Number(n) => n.as_f64().map(significant).unwrap_or_else(|| n.to_string()),
                    other => {
                        let t = other.to_string();
                        if t.chars().count() > 200 {
                            format!("{}…", t.chars().take(200).collect::<String>())
                        } else {
                            t
                        }
                    }
                };
                (k.clone(), t)
            })
            .collect();
        if !other.is_empty() {
            p.section("other", "Other metrics");
            p.kv(&other);
        }
    }

    p.section("scenario", "Scenario");
    match &run.scenario_text {
        Some(t) => p.pre(t),
        None => p.note("scenario.toml was not found in this run directory."),
    }

    p.section("reproduce", "How to reproduce");
    let file = jtext(s, "scenario_file").unwrap_or_else(|| "<scenario file>".into());
    let seed = jtext(s, "seed").unwrap_or_else(|| "<seed>".into());
    p.pre(&format!("schedlab run {file} --seed {seed}"));
    p.kv(&[
        ("schedlab version".into(), text("schedlab_version")),
        ("scenario hash".into(), text("scenario_hash")),
        ("run directory".into(), dir.display().to_string()),
    ]);
    p.note("The same scenario file (and trace) with the same seed and schedlab version gives byte-identical run files; the hash covers the scenario text and, for trace workloads, the trace.");
    p.finish()
}

/// The `sla` section of the summary, when some operation had a deadline.
fn sla_of(s: &Value) -> Option<&Value> {
    s.get("sla").filter(|sla| jnum(sla, "with_deadline").is_some_and(|n| n > 0.0))
}

/// One line for the overview: how many deadlines were missed, how, and the worst lateness.
fn sla_overview(s: &Value) -> Option<String> {
    let sla = sla_of(s)?;
    let worst = if jnum(sla, "violated").is_some_and(|n| n > 0.0) {
        format!("; worst {} late", dur(jnum(sla, "max_lateness")))
    } else {
        String::new()
    };
    Some(format!(
        "{} of {} missed ({}): {} late, {} unsuccessful, {} unfinished{worst}",
        int(jnum(sla, "violated")),
        int(jnum(sla, "with_deadline")),
        pct(jnum(sla, "violation_rate")),
        int(jnum(sla, "late")),
        int(jnum(sla, "unsuccessful")),
        int(jnum(sla, "unfinished")),
    ))
}

/// The "Deadlines (SLA)" section: what counts as a violation, and the violations per queue.
fn sla_section(p: &mut Page, s: &Value) {
    let Some(sla) = sla_of(s) else {
        return;
    };
    p.section("sla", "Deadlines (SLA)");
    p.p("An operation with a deadline meets it when it succeeds (or is skipped) by then. It is late when it succeeds after the deadline, unsuccessful when it ends without succeeding (failed, stopped, upstream failed, rejected), and unfinished when it had not ended when the run ended. Lateness is the end (or the run's end) minus the deadline.");
    if let Some(line) = sla_overview(s) {
        p.p(&format!("{}.", capitalise(&line)));
    }
    let Some(Value::Object(m)) = sla.get("per_queue") else {
        return;
    };
    let rows: Vec<Vec<Cell>> = m
        .iter()
        .map(|(q, v)| {
            vec![
                q.as_str().into(),
                int(jnum(v, "with_deadline")).into(),
                int(jnum(v, "violated")).into(),
                pct(jnum(v, "violation_rate")).into(),
                dur(jnum(v, "max_lateness")).into(),
            ]
        })
        .collect();
    p.table(&["queue", "with a deadline", "missed", "missed share", "worst lateness"], &rows);
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

fn text_of(v: &Value, k: &str) -> String {
    jtext(v, k).unwrap_or_else(|| "-".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(sla: Value) -> Value {
        serde_json::json!({ "submitted": 6, "sla": sla })
    }

    #[test]
    fn deadlines_are_reported_only_when_some_operation_had_one() {
        for s in [serde_json::json!({ "submitted": 1 }), summary(serde_json::json!({ "with_deadline": 0 }))] {
            assert_eq!(sla_overview(&s), None);
            let mut p = Page::new("t", "t", "");
            sla_section(&mut p, &s);
            assert!(!p.finish().contains("Deadlines"));
        }
        let s = summary(serde_json::json!({
            "with_deadline": 5, "met": 1, "violated": 4, "violation_rate": 0.8, "late": 2,
            "unsuccessful": 1, "unfinished": 1, "max_lateness": 50.0,
            "per_queue": {
                "q": { "with_deadline": 3, "violated": 2, "violation_rate": 0.666667, "max_lateness": 50.0 },
                "r": { "with_deadline": 2, "violated": 2, "violation_rate": 1.0, "max_lateness": 5.0 }
            }
        }));
        let line = sla_overview(&s).unwrap();
        assert!(
            line.starts_with("4 of 5 missed (80.0%): 2 late, 1 unsuccessful, 1 unfinished; worst "),
            "{line}"
        );
        let mut p = Page::new("t", "t", "");
        sla_section(&mut p, &s);
        let html = p.finish();
        assert!(html.contains("<h2 id=\"sla\">Deadlines (SLA)</h2>"), "{html}");
        assert!(html.contains("<td>q</td><td>3</td><td>2</td><td>66.7%</td>"), "{html}");
        assert!(html.contains("<td>r</td><td>2</td><td>2</td><td>100.0%</td>"), "{html}");
        assert!(KNOWN.contains(&"sla"));
    }
}
