//! `render_sweep` on fixture sweeps: numeric and categorical x, several series, the target.

mod common;

use std::fs;

use common::*;
use schedlab_reports::render_sweep;

fn numeric_sweep(name: &str, with_target: bool) -> std::path::PathBuf {
    let dir = temp_dir(name);
    let target = if with_target { r#"{"metric": "wait_p95", "op": "<=", "value": 3600.0}"# } else { "null" };
    write(
        &dir,
        "sweep.json",
        &format!(
            r#"{{"vary": ["pools.gpu.nodes", "policy.dispatch"], "target": {target}, "scenario": "capacity", "replicas": 5}}"#
        ),
    );
    let mut csv = String::from(
        "point,pools.gpu.nodes,policy.dispatch,replicas,wait_p95:mean,wait_p95:ci_low,wait_p95:ci_high,util_gpu:mean,util_gpu:ci_low,util_gpu:ci_high,cost:mean,cost:ci_low,cost:ci_high,rejected:mean\n",
    );
    let mut point = 0;
    for nodes in [2, 4, 8, 16] {
        for (k, dispatch) in ["fifo", "priority"].iter().enumerate() {
            let w = 20_000.0 / nodes as f64 * (1.0 + k as f64 * 0.3);
            let u = (0.95 - nodes as f64 * 0.03).max(0.1);
            let c = nodes as f64 * 12.5;
            csv.push_str(&format!(
                "{point},{nodes},{dispatch},5,{w},{},{},{u},{},{},{c},{},{},0\n",
                w * 0.8,
                w * 1.2,
                u - 0.05,
                u + 0.03,
                c - 1.0,
                c + 1.0
            ));
            point += 1;
        }
    }
    write(&dir, "sweep_summary.csv", &csv);
    dir
}

#[test]
fn one_chart_per_metric_with_the_target_line() {
    let dir = numeric_sweep("sweep-num", true);
    let written = render_sweep(&dir).unwrap();
    for m in ["wait_p95", "util_gpu", "cost", "rejected"] {
        let png = dir.join("charts").join(format!("sweep_{m}.png"));
        assert!(written.contains(&png), "{m}");
        assert_png_drawn(&png, 1200, Some(700));
        let svg = assert_svg(&dir.join("charts").join(format!("sweep_{m}.svg")));
        assert!(svg.contains("policy.dispatch=fifo") && svg.contains("policy.dispatch=priority"));
        assert_eq!(svg.contains("target: wait_p95 &lt;= 1h"), m == "wait_p95", "{m}");
    }
    let html = fs::read_to_string(dir.join("sweep.html")).unwrap();
    assert_well_formed(&html);
    assert_self_contained(&html);
    assert!(html.contains("Parameter sweep: capacity"));
    assert!(html.contains("id=\"chart-sweep_wait_p95\""));
    assert!(html.contains("meets target"));
    // Met with 95% confidence (the interval's high end <= 1 h): 8 nodes fifo (high 3000 s) and
    // both 16-node points; 8 nodes priority has its mean (3250 s) but not its interval (3900 s).
    assert_eq!(html.matches("<td class=\"meets\">yes</td>").count(), 3);
    assert_eq!(html.matches("<td class=\"misses\">no</td>").count(), 5);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn without_a_target_there_is_no_target_line() {
    let dir = numeric_sweep("sweep-notarget", false);
    render_sweep(&dir).unwrap();
    let svg = fs::read_to_string(dir.join("charts/sweep_wait_p95.svg")).unwrap();
    assert!(!svg.contains("target:"));
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_categorical_key_and_no_sweep_json() {
    let dir = temp_dir("sweep-cat");
    write(
        &dir,
        "sweep_summary.csv",
        "point,policy.placement,replicas,jct_mean:mean,jct_mean:ci_low,jct_mean:ci_high\n\
         0,first-fit,3,1200,1100,1300\n1,best-fit,3,1000,900,1150\n2,spread,3,,,\n",
    );
    render_sweep(&dir).unwrap();
    let svg = assert_svg(&dir.join("charts/sweep_jct_mean.svg"));
    assert!(svg.contains("first-fit") && svg.contains("best-fit"));
    assert_well_formed(&fs::read_to_string(dir.join("sweep.html")).unwrap());
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn header_only_and_missing_inputs() {
    let dir = temp_dir("sweep-empty");
    assert!(render_sweep(&dir).is_err(), "no sweep_summary.csv is an error");
    write(&dir, "sweep_summary.csv", "point,x,replicas,wait_mean:mean,wait_mean:ci_low,wait_mean:ci_high\n");
    write(
        &dir,
        "sweep.json",
        "{\"vary\": [\"x\"], \"target\": {\"metric\": \"wait_mean\", \"op\": \"<\", \"value\": 10}}",
    );
    render_sweep(&dir).unwrap();
    let svg = fs::read_to_string(dir.join("charts/sweep_wait_mean.svg")).unwrap();
    assert!(svg.contains("no data"));
    assert_well_formed(&fs::read_to_string(dir.join("sweep.html")).unwrap());
    let _ = fs::remove_dir_all(&dir);
}
