//! Generator tests: determinism, distribution sanity, validation.

use super::*;
use schedlab_policies::time::{HOUR, MINUTE};

fn config(extra: &str) -> GeneratorConfig {
    let text = format!(
        "ops = 20000\n\
         arrival = {{ process = \"poisson\", rate_per_hour = 120.0 }}\n\
         duration = {{ dist = \"lognormal\", median = \"10m\", sigma = 1.0 }}\n{extra}"
    );
    toml::from_str(&text).unwrap()
}

#[test]
fn same_seed_same_records_different_seed_different() {
    let cfg = config("queues = { a = 1.0, b = 2.0 }\nshapes = [{ cpu = 1, memory = 1024 }, { cpu = 4, memory = \"8Gi\", gpu = 1 }]");
    let a = generate(&cfg, 7).unwrap();
    let b = generate(&cfg, 7).unwrap();
    let c = generate(&cfg, 8).unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn ids_are_padded_and_records_well_formed() {
    let mut cfg = config("start = \"1h\"");
    cfg.ops = 100;
    let rs = generate(&cfg, 1).unwrap();
    assert_eq!(rs.len(), 100);
    assert_eq!(rs[0].id, "g001");
    assert_eq!(rs[99].id, "g100");
    assert!(rs.windows(2).all(|w| w[0].submit <= w[1].submit));
    assert!(rs[0].submit >= HOUR);
    for r in &rs {
        assert!(r.duration >= 1);
        assert_eq!((r.cpu_milli, r.mem_mib, r.gpu), (1000, 1024, 0));
        assert_eq!((&r.queue, r.priority, r.line), (&None, None, 0));
    }
    assert!(crate::check_links(&rs, "generator").is_ok());
}

#[test]
fn poisson_mean_gap_matches_the_rate() {
    let rs = generate(&config(""), 42).unwrap();
    let last = rs.last().unwrap().submit as f64;
    let mean_gap = last / rs.len() as f64;
    let expected = HOUR as f64 / 120.0;
    assert!((mean_gap / expected - 1.0).abs() < 0.10, "{mean_gap} vs {expected}");
}

#[test]
fn lognormal_median_matches() {
    let rs = generate(&config(""), 3).unwrap();
    let mut d: Vec<i64> = rs.iter().map(|r| r.duration).collect();
    d.sort_unstable();
    let median = d[d.len() / 2] as f64;
    let expected = (10 * MINUTE) as f64;
    assert!((median / expected - 1.0).abs() < 0.10, "{median}");
}

#[test]
fn cap_constant_uniform_and_regular() {
    let mut cfg = config("");
    cfg.duration = DurationDist::Lognormal {
        median: DurationQty(10 * MINUTE),
        sigma: 3.0,
        max: Some(DurationQty(HOUR)),
    };
    assert!(generate(&cfg, 1).unwrap().iter().all(|r| r.duration <= HOUR));
    cfg.duration = DurationDist::Constant { value: DurationQty(0) };
    assert!(generate(&cfg, 1).unwrap().iter().all(|r| r.duration == 1));
    cfg.duration = DurationDist::Uniform { min: DurationQty(MINUTE), max: DurationQty(2 * MINUTE) };
    assert!(generate(&cfg, 1).unwrap().iter().all(|r| (MINUTE..=2 * MINUTE).contains(&r.duration)));
    cfg.arrival = Arrival::Regular { rate_per_hour: 60.0 };
    cfg.ops = 3;
    let submits: Vec<i64> = generate(&cfg, 1).unwrap().iter().map(|r| r.submit).collect();
    assert_eq!(submits, [0, MINUTE, 2 * MINUTE]);
}

#[test]
fn exponential_mean_matches() {
    let mut cfg = config("");
    cfg.duration = DurationDist::Exponential { mean: DurationQty(5 * MINUTE), max: None };
    let rs = generate(&cfg, 9).unwrap();
    let mean = rs.iter().map(|r| r.duration as f64).sum::<f64>() / rs.len() as f64;
    assert!((mean / (5 * MINUTE) as f64 - 1.0).abs() < 0.05, "{mean}");
}

#[test]
fn categorical_weights_are_followed() {
    let cfg = config(
        "queues = { batch = 3.0, \"\" = 1.0 }\n\
         priorities = { \"10\" = 1.0 }\n\
         workflows = { hpo = 1.0, \"\" = 1.0 }\n\
         projects = { p = 1.0 }",
    );
    let rs = generate(&cfg, 5).unwrap();
    let batch = rs.iter().filter(|r| r.queue.as_deref() == Some("batch")).count();
    let share = batch as f64 / rs.len() as f64;
    assert!((share - 0.75).abs() < 0.02, "{share}");
    assert!(rs.iter().any(|r| r.queue.is_none()));
    assert!(rs.iter().all(|r| r.priority == Some(10) && r.project.as_deref() == Some("p")));
    assert!(rs.iter().any(|r| r.workflow.is_none()));
}

#[test]
fn invalid_configs_are_explained() {
    let mut cfg = config("");
    cfg.arrival = Arrival::Poisson { rate_per_hour: 0.0 };
    assert!(generate(&cfg, 1).unwrap_err().contains("rate_per_hour"));
    let mut cfg = config("");
    cfg.duration = DurationDist::Lognormal { median: DurationQty(MINUTE), sigma: -1.0, max: None };
    assert!(generate(&cfg, 1).unwrap_err().contains("sigma"));
    let mut cfg = config("");
    cfg.duration = DurationDist::Lognormal { median: DurationQty(0), sigma: 1.0, max: None };
    assert!(generate(&cfg, 1).unwrap_err().contains("median"));
    let cfg = config("queues = { a = 0.0 }");
    assert!(generate(&cfg, 1).unwrap_err().contains("queues"));
    let cfg = config("shapes = [{ weight = -1.0, cpu = 1, memory = 1 }]");
    assert!(generate(&cfg, 1).unwrap_err().contains("shapes"));
    let cfg = config("priorities = { high = 1.0 }");
    assert!(generate(&cfg, 1).unwrap_err().contains("high"));
    let mut cfg = config("");
    cfg.ops = u64::MAX;
    assert!(generate(&cfg, 1).unwrap_err().contains("ops"));
    let mut cfg = config("");
    cfg.arrival = Arrival::Poisson { rate_per_hour: 1e-300 };
    assert!(generate(&cfg, 1).is_err());
}

#[test]
fn no_ops_is_an_empty_workload() {
    let mut cfg = config("");
    cfg.ops = 0;
    assert!(generate(&cfg, 1).unwrap().is_empty());
}

/// `cargo test --release -p schedlab-traces -- --ignored million` to time it.
#[test]
#[ignore]
fn million_ops_are_fast() {
    let mut cfg = config(
        "queues = { a = 1.0, b = 1.0 }\nprojects = { p = 1.0, q = 1.0 }\n\
         shapes = [{ cpu = 1, memory = 1024 }, { cpu = 2, memory = 2048 }]",
    );
    cfg.ops = 1_000_000;
    let t = std::time::Instant::now();
    let rs = generate(&cfg, 1).unwrap();
    let took = t.elapsed();
    assert_eq!(rs.len(), 1_000_000);
    assert_eq!(rs[0].id, "g0000001");
    eprintln!("generated 1M records in {took:?}");
    assert!(took.as_secs_f64() < 1.0, "{took:?}");
}

/// The README's examples must keep working.
#[test]
fn readme_examples_are_valid() {
    let readme = include_str!("../../README.md");
    let block = |lang: &str| {
        let start = readme.find(&format!("```{lang}\n")).unwrap() + lang.len() + 4;
        let len = readme[start..].find("```").unwrap();
        &readme[start..start + len]
    };
    #[derive(serde::Deserialize)]
    struct Scenario {
        workload: Workload,
    }
    #[derive(serde::Deserialize)]
    struct Workload {
        generator: GeneratorConfig,
    }
    let s: Scenario = toml::from_str(block("toml")).unwrap();
    let rs = generate(&s.workload.generator, 1).unwrap();
    assert_eq!(rs.len(), 5000);
    assert!(rs.iter().any(|r| r.workflow.as_deref() == Some("hpo-sweep")));
    let trace = crate::read_native_from(block("csv").as_bytes(), "README.md").unwrap();
    assert_eq!(trace.records[2].cpu_milli, 500);
    assert_eq!(trace.records[1].depends_on, ["prep"]);
}

fn parse(text: &str) -> GeneratorConfig {
    toml::from_str(text).unwrap()
}

fn median(mut v: Vec<i64>) -> f64 {
    v.sort_unstable();
    v[v.len() / 2] as f64
}

#[test]
fn diurnal_arrivals_follow_the_day() {
    let c = parse(
        "ops = 40000\narrival = { process = \"diurnal\", rate_per_hour = 600, amplitude = 0.8, peak = \"14h\" }\n\
         duration = { dist = \"constant\", value = 1 }",
    );
    let r = generate(&c, 3).unwrap();
    assert_eq!(r, generate(&c, 3).unwrap());
    let hour = |h: i64| r.iter().filter(|x| (x.submit / 3_600_000) % 24 == h).count() as f64;
    // Rate at 14:00 is 1.8× the mean, at 02:00 0.2×: a ratio of 9.
    let ratio = hour(14) / hour(2);
    assert!((6.0..13.0).contains(&ratio), "peak/trough {ratio}");
    let days = r.last().unwrap().submit as f64 / 86_400_000.0;
    let rate = r.len() as f64 / (days * 24.0);
    assert!((rate - 600.0).abs() / 600.0 < 0.1, "mean rate {rate}");
    let bad = "ops = 1\narrival = { process = \"diurnal\", rate_per_hour = 1, amplitude = 2 }\nduration = { dist = \"constant\", value = 1 }";
    assert!(generate(&parse(bad), 1).unwrap_err().contains("amplitude"));
}

#[test]
fn heavy_tailed_durations_have_their_medians() {
    let p = parse("ops = 20000\narrival = { process = \"regular\", rate_per_hour = 60 }\nduration = { dist = \"pareto\", scale = 60, shape = 1.5 }");
    let m = median(generate(&p, 1).unwrap().iter().map(|r| r.duration).collect());
    let want = 60_000.0 * 2f64.powf(1.0 / 1.5);
    assert!((m - want).abs() / want < 0.05, "pareto median {m} vs {want}");
    let w = parse("ops = 20000\narrival = { process = \"regular\", rate_per_hour = 60 }\nduration = { dist = \"weibull\", scale = 600, shape = 0.7, max = \"1d\" }");
    let d: Vec<i64> = generate(&w, 1).unwrap().iter().map(|r| r.duration).collect();
    assert!(d.iter().all(|&x| (1..=86_400_000).contains(&x)));
    let want = 600_000.0 * 2f64.ln().powf(1.0 / 0.7);
    let m = median(d);
    assert!((m - want).abs() / want < 0.05, "weibull median {m} vs {want}");
}

fn mean(v: &[i64]) -> f64 {
    v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64
}

fn durations(dist: &str, seed: u64) -> Vec<i64> {
    let c = parse(&format!(
        "ops = 40000\narrival = {{ process = \"regular\", rate_per_hour = 60 }}\nduration = {dist}"
    ));
    generate(&c, seed).unwrap().iter().map(|r| r.duration).collect()
}

#[test]
fn heavy_tailed_durations_have_their_means_and_are_deterministic() {
    // Pareto with α = 3 has a finite variance, so its sample mean settles: α·scale/(α−1).
    let p = "{ dist = \"pareto\", scale = 60, shape = 3.0 }";
    let d = durations(p, 5);
    assert_eq!(d, durations(p, 5));
    assert_ne!(d, durations(p, 6));
    assert!(d.iter().all(|&x| x >= 60_000));
    let want = 3.0 * 60_000.0 / 2.0;
    assert!((mean(&d) - want).abs() / want < 0.03, "pareto mean {} vs {want}", mean(&d));
    // Weibull mean: λ·Γ(1 + 1/k); Γ(1.5) = 0.886227, Γ(1 + 1/0.7) = 1.265824.
    for (shape, gamma) in [(2.0, 0.886_227), (0.7, 1.265_824)] {
        let w = format!("{{ dist = \"weibull\", scale = 600, shape = {shape} }}");
        let d = durations(&w, 5);
        assert_eq!(d, durations(&w, 5));
        let want = 600_000.0 * gamma;
        assert!((mean(&d) - want).abs() / want < 0.03, "weibull k={shape} mean {} vs {want}", mean(&d));
    }
    // A cap bounds the tail: with α = 1.1 many samples exceed 1 h and are cut there.
    let capped = durations("{ dist = \"pareto\", scale = 60, shape = 1.1, max = \"1h\" }", 5);
    assert_eq!(capped.iter().max(), Some(&3_600_000));
}
