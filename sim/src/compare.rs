//! Policy comparisons: the same workload under several policies.
//!
//! Each policy is a set of scenario overrides (see [`crate::sweep::overrides`]); every run
//! uses the scenario's seed, so all policies see exactly the same operations. Runs execute in
//! parallel and results are kept in the order the policies were given, so the files are the
//! same at any thread count.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::engine::{self, RunOptions};
use crate::metrics::{self, Summary};
use crate::output::{self, write_atomic};
use crate::sweep::{self, Override};
use crate::{workload, Scenario};

/// A policy to compare: a label and the settings that make it.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicySpec {
    pub label: String,
    pub overrides: Vec<Override>,
}

/// Parses a policy: `fifo` or `best-fit` (a dispatch or placement name), `fifo/best-fit`
/// (both), or `LABEL:KEY=VALUE;KEY=VALUE` for any settings.
pub fn parse_policy(spec: &str) -> Result<PolicySpec, String> {
    let spec = spec.trim();
    if let Some((label, settings)) = spec.split_once(':') {
        let overrides = settings
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                let (k, v) = s.split_once('=').ok_or_else(|| format!("expected KEY=VALUE in `{s}`"))?;
                Ok(Override { key: k.trim().to_string(), raw: v.trim().to_string() })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let label = label.trim();
        if label.is_empty() || overrides.is_empty() {
            return Err(format!("expected LABEL:KEY=VALUE[;KEY=VALUE...], got `{spec}`"));
        }
        return Ok(PolicySpec { label: label.to_string(), overrides });
    }
    let mut overrides = Vec::new();
    for name in spec.split('/').map(str::trim) {
        let key = if schedlab_policies::dispatch::NAMES.contains(&name) {
            "policy.dispatch"
        } else if schedlab_policies::placement::NAMES.contains(&name) {
            "policy.placement"
        } else {
            return Err(format!(
                "unknown policy `{name}`: expected a dispatch policy ({}), a placement policy ({}), \
                 DISPATCH/PLACEMENT, or LABEL:KEY=VALUE;...",
                schedlab_policies::dispatch::NAMES.join(", "),
                schedlab_policies::placement::NAMES.join(", ")
            ));
        };
        overrides.push(Override { key: key.to_string(), raw: name.to_string() });
    }
    Ok(PolicySpec { label: spec.to_string(), overrides })
}

/// One compared policy's outcome.
pub struct Compared {
    pub label: String,
    pub dir: PathBuf,
    pub summary: Summary,
}

/// Runs the scenario at `path` under each policy, writing each run into `out/<label>/`.
/// `done` is called after each run.
pub fn run(
    path: &Path,
    policies: &[PolicySpec],
    out: &Path,
    threads: Option<usize>,
    done: &(dyn Fn() + Sync),
) -> Result<Vec<Compared>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read the scenario: {e}", path.display()))?;
    let mut labels: Vec<&str> = Vec::new();
    for p in policies {
        if labels.contains(&p.label.as_str()) {
            return Err(format!("policy `{}` is given twice", p.label));
        }
        labels.push(&p.label);
    }
    let scenarios: Vec<Scenario> = policies
        .iter()
        .map(|p| {
            sweep::overrides::apply(&text, path, &p.overrides)
                .map_err(|e| format!("policy `{}`: {e}", p.label))
        })
        .collect::<Result<_, _>>()?;
    let work = || -> Result<Vec<Compared>, String> {
        policies
            .par_iter()
            .zip(scenarios.par_iter())
            .map(|(p, scenario)| {
                let seed = scenario.seed;
                let mut w = workload::load(scenario, seed).map_err(|e| e.to_string())?;
                let bytes = std::mem::take(&mut w.trace_bytes);
                let run = engine::run(scenario, w, RunOptions::default());
                let summary = metrics::summarise(scenario, &run, seed, &bytes);
                let dir = out.join(dir_name(&p.label));
                output::write_run(&dir, scenario, &run, &summary)
                    .map_err(|e| format!("cannot write {}: {e}", dir.display()))?;
                done();
                Ok(Compared { label: p.label.clone(), dir, summary })
            })
            .collect()
    };
    match threads {
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build()
            .map_err(|e| format!("cannot start {n} threads: {e}"))?
            .install(work),
        None => work(),
    }
}

/// A directory name for a label: letters, digits, `-`, `_` and `.` kept, the rest `_`.
pub fn dir_name(label: &str) -> String {
    label.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect()
}

/// The compared metrics and whether higher is better.
fn columns(results: &[Compared]) -> Vec<(String, bool)> {
    let mut cols: Vec<(String, bool)> = Vec::new();
    for r in results {
        for (name, _) in sweep::metrics::of(&r.summary) {
            let wanted = name.starts_with("wait_")
                || name.starts_with("jct_")
                || name.starts_with("slowdown_")
                || name.starts_with("util_")
                || ["preemptions", "wasted_work", "cost", "fairness_slowdown", "makespan"]
                    .contains(&name.as_str());
            if wanted
                && !name.ends_with("_p50")
                && !name.ends_with("_max")
                && !cols.iter().any(|c| c.0 == name)
            {
                let higher_better = name.starts_with("util_") || name.starts_with("fairness");
                cols.push((name, higher_better));
            }
        }
    }
    cols
}

/// Writes `comparison.csv` and `comparison.md` (best value of each column marked) into `out`.
pub fn write_tables(out: &Path, results: &[Compared]) -> io::Result<()> {
    let cols = columns(results);
    let values: Vec<Vec<Option<f64>>> = results
        .iter()
        .map(|r| {
            let m = sweep::metrics::of(&r.summary);
            cols.iter().map(|(c, _)| m.iter().find(|(n, _)| n == c).map(|x| x.1)).collect()
        })
        .collect();
    let best: Vec<Option<f64>> = (0..cols.len())
        .map(|j| {
            let it = values.iter().filter_map(|v| v[j]).filter(|x| x.is_finite());
            if cols[j].1 {
                it.reduce(f64::max)
            } else {
                it.reduce(f64::min)
            }
        })
        .collect();
    // A column where every policy scored the same has no best value worth marking.
    let all_equal: Vec<bool> =
        (0..cols.len()).map(|j| values.iter().all(|v| v[j] == values.first().and_then(|f| f[j]))).collect();
    write_atomic(&out.join("comparison.csv"), |w| {
        let mut c = csv::Writer::from_writer(w);
        let mut header = vec!["policy".to_string()];
        header.extend(cols.iter().map(|c| c.0.clone()));
        c.write_record(&header).map_err(io::Error::other)?;
        for (r, v) in results.iter().zip(&values) {
            let mut row = vec![r.label.clone()];
            row.extend(v.iter().map(|x| x.map(|x| x.to_string()).unwrap_or_default()));
            c.write_record(&row).map_err(io::Error::other)?;
        }
        c.flush()
    })?;
    write_atomic(&out.join("comparison.md"), |w| {
        writeln!(w, "# Policy comparison\n")?;
        writeln!(
            w,
            "Same workload and seed under each policy. **Bold ★** marks the best value of each column"
        )?;
        writeln!(w, "(lowest, except utilisation and fairness: highest). Times are seconds.\n")?;
        write!(w, "| policy |")?;
        for (c, _) in &cols {
            write!(w, " {c} |")?;
        }
        writeln!(w)?;
        write!(w, "|---|")?;
        for _ in &cols {
            write!(w, "---:|")?;
        }
        writeln!(w)?;
        for (r, v) in results.iter().zip(&values) {
            write!(w, "| {} |", r.label)?;
            for (j, x) in v.iter().enumerate() {
                match x {
                    Some(x) if Some(*x) == best[j] && !all_equal[j] => write!(w, " **{}** ★ |", fmt(*x))?,
                    Some(x) => write!(w, " {} |", fmt(*x))?,
                    None => write!(w, " |")?,
                }
            }
            writeln!(w)?;
        }
        Ok(())
    })
}

fn fmt(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else if x.abs() >= 100.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_specs() {
        let p = parse_policy("fifo").unwrap();
        assert_eq!(p.overrides, vec![Override { key: "policy.dispatch".into(), raw: "fifo".into() }]);
        let p = parse_policy("priority/best-fit").unwrap();
        assert_eq!(p.overrides.len(), 2);
        let p = parse_policy("big: pools.cpu.nodes=8; policy.placement=spread").unwrap();
        assert_eq!((p.label.as_str(), p.overrides.len()), ("big", 2));
        assert!(parse_policy("lottery").unwrap_err().contains("unknown policy `lottery`"));
        assert!(parse_policy("x:").is_err());
        assert_eq!(dir_name("priority/best-fit"), "priority_best-fit");
    }
}
