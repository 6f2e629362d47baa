//! `render_comparison` on fixture runs of three policies.

mod common;

use std::fs;
use std::path::PathBuf;

use common::*;
use schedlab_reports::render_comparison;

const CHARTS: [&str; 4] = ["wait_by_policy", "jct_by_policy", "utilisation_by_policy", "cost_by_policy"];

fn policy_run(name: &str, wait: f64, cost: f64) -> PathBuf {
    let dir = temp_dir(name);
    write(&dir, "summary.json", &summary_json("shared-workload", wait, cost));
    dir
}

#[test]
fn policies_side_by_side() {
    let fifo = policy_run("cmp-fifo", 900.0, 1.0);
    let prio = policy_run("cmp-prio", 300.0, 1.2);
    let out = temp_dir("cmp-out");
    let entries = vec![
        ("fifo".to_string(), fifo.clone()),
        ("priority".to_string(), prio.clone()),
        ("missing <run>".to_string(), out.join("does-not-exist")),
    ];
    let written = render_comparison(&entries, &out).unwrap();
    for name in CHARTS {
        let png = out.join("charts").join(format!("{name}.png"));
        assert!(written.contains(&png));
        assert_png_drawn(&png, 1200, Some(700));
        let svg = assert_svg(&out.join("charts").join(format!("{name}.svg")));
        assert!(svg.contains("fifo") && svg.contains("priority"), "{name}");
    }
    let html = fs::read_to_string(out.join("comparison.html")).unwrap();
    assert!(written.contains(&out.join("comparison.html")));
    assert_well_formed(&html);
    assert_self_contained(&html);
    for name in CHARTS {
        assert!(html.contains(&format!("id=\"chart-{name}\"")), "{name}");
    }
    assert!(html.contains("shared-workload"));
    assert!(html.contains("missing &lt;run&gt;"));
    // Lower wait is better: priority's mean wait (5m 00s) is the marked one.
    assert!(html.contains("<td class=\"best\">★ 5m 00s</td>"), "best wait not marked");
    assert!(!html.contains("<td class=\"best\">★ 15m 00s</td>"));
    // Lower cost is better (fifo 9.00); higher utilisation is better (fifo's gpu 59.0%).
    assert!(html.contains("<td class=\"best\">★ 9.00</td>"));
    assert!(html.contains("<td class=\"best\">★ 59.0%</td>"));
    // Higher fairness is better: priority's 1/(1+0.3).
    assert!(html.contains("<td class=\"best\">★ 0.769</td>"));
    for d in [fifo, prio, out] {
        let _ = fs::remove_dir_all(d);
    }
}

#[test]
fn no_policies_is_not_a_panic() {
    let out = temp_dir("cmp-empty");
    render_comparison(&[], &out).unwrap();
    let svg = fs::read_to_string(out.join("charts/wait_by_policy.svg")).unwrap();
    assert!(svg.contains("no data"));
    assert_well_formed(&fs::read_to_string(out.join("comparison.html")).unwrap());
    let _ = fs::remove_dir_all(out);
}
