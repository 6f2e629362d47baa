//! The live driver against the API emulator, on loopback only. Every test is bounded by a
//! timeout.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use schedlab_live::driver::{self, Options, Summary};
use schedlab_live::emulator::{Config, Emulator, Faults};
use schedlab_live::{annotations as ann, ops};
use schedlab_sim::Scenario;
use serde_json::{json, Value};

/// Scenario seconds per real second in these tests.
const SCALE: f64 = 10.0;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

fn scenario() -> Scenario {
    Scenario::load(&data("agree.toml")).expect("the test scenario loads")
}

fn records(s: &Scenario) -> Vec<schedlab_traces::TraceRecord> {
    schedlab_sim::workload::load(s, s.seed).expect("the trace loads").records
}

async fn emulator(s: &Scenario, faults: Faults) -> Emulator {
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let e = Emulator::start(Config { faults, ..Config::default() }).await.expect("the emulator starts");
    e.add_scenario_nodes(s);
    e
}

fn client(e: &Emulator) -> kube::Client {
    schedlab_live::client_for_url(&e.url()).expect("a client")
}

async fn drive(e: &Emulator, s: &Scenario, limit: Duration) -> Summary {
    let opts = Options { time_scale: SCALE, until_idle: true, ..Options::default() };
    tokio::time::timeout(limit, driver::run(client(e), s.clone(), opts, std::future::pending()))
        .await
        .expect("the driver finishes in time")
        .expect("the driver runs")
}

/// (job name, node) in admission order, from the Jobs' annotations.
fn live_admissions(e: &Emulator) -> Vec<(String, String)> {
    let mut v: Vec<(u64, String, String)> = e
        .jobs()
        .iter()
        .filter_map(|j| {
            let a = &j["metadata"]["annotations"];
            Some((
                a[ann::ADMISSION].as_str()?.parse().ok()?,
                j["metadata"]["name"].as_str()?.to_string(),
                a[ann::ADMITTED_NODE].as_str()?.to_string(),
            ))
        })
        .collect();
    v.sort();
    v.into_iter().map(|(_, n, node)| (n, node)).collect()
}

fn all_succeeded(e: &Emulator) -> bool {
    e.jobs().iter().all(|j| j["status"]["succeeded"] == json!(1))
}

fn assert_each_started_once(e: &Emulator, n: usize) {
    let audit = e.audit();
    assert!(audit.violations.is_empty(), "placement violations: {:?}", audit.violations);
    assert_eq!(audit.starts.len(), n, "every Job started: {:?}", audit.starts);
    assert!(audit.starts.values().all(|c| *c == 1), "a Job was started twice: {:?}", audit.starts);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_to_live_agreement_same_order_same_nodes() {
    let s = scenario();
    // The simulator's admissions.
    let run = schedlab_sim::engine::run(
        &s,
        schedlab_sim::workload::load(&s, s.seed).unwrap(),
        schedlab_sim::engine::RunOptions { samples: false, progress: None },
    );
    let sim: Vec<(String, String)> = run
        .attempts
        .iter()
        .map(|a| {
            (ops::job_name(&run.ids[a.op.index()]), run.kernel.nodes()[a.node.index()].spec.name.clone())
        })
        .collect();
    // The scenario is chosen so that no two completions are close (ties could reorder).
    let mut ends: Vec<i64> = run.attempts.iter().filter_map(|a| a.end).collect();
    ends.sort();
    assert!(ends.windows(2).all(|w| w[1] == w[0] || w[1] - w[0] >= 1000), "ends too close: {ends:?}");

    let e = emulator(&s, Faults::default()).await;
    ops::submit_trace(client(&e), &s, &records(&s), SCALE, true, "busybox").await.unwrap();
    let summary = drive(&e, &s, Duration::from_secs(60)).await;
    assert_eq!(summary.admissions as usize, sim.len());
    assert_eq!(live_admissions(&e), sim, "live admissions differ from the simulator's");
    assert!(all_succeeded(&e));
    assert_each_started_once(&e, sim.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_mid_run_admits_nothing_twice_and_loses_nothing() {
    let s = scenario();
    let n = records(&s).len();
    let e = emulator(&s, Faults::default()).await;
    ops::submit_trace(client(&e), &s, &records(&s), SCALE, true, "busybox").await.unwrap();
    // The first driver is killed once a few operations have been admitted.
    let opts = Options { time_scale: SCALE, until_idle: true, ..Options::default() };
    let first = tokio::spawn(driver::run(client(&e), s.clone(), opts, std::future::pending()));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while live_admissions(&e).len() < 5 {
        assert!(tokio::time::Instant::now() < deadline, "the first driver admitted too little");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.abort();
    let _ = first.await;
    let before = live_admissions(&e);
    assert!(before.len() < n, "killed too late to test anything");
    let second = drive(&e, &s, Duration::from_secs(60)).await;
    assert!(
        second.adopted >= before.len() as u64,
        "the new driver adopted {} of {}",
        second.adopted,
        before.len()
    );
    let after = live_admissions(&e);
    assert_eq!(after.len(), n, "every operation admitted");
    assert_eq!(&after[..before.len()], &before[..], "earlier admissions kept");
    let names: BTreeSet<_> = after.iter().map(|(j, _)| j.clone()).collect();
    assert_eq!(names.len(), n, "no operation admitted twice: {after:?}");
    assert!(all_succeeded(&e));
    assert_each_started_once(&e, n);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_faults_the_run_still_completes() {
    let s = scenario();
    let n = records(&s).len();
    let faults = Faults {
        error_rate: 0.1,
        conflict_rate: 0.15,
        watch_drop_after: 0.3,
        max_latency: Duration::from_millis(2),
        seed: 7,
    };
    let e = emulator(&s, Faults::default()).await;
    ops::submit_trace(client(&e), &s, &records(&s), SCALE, true, "busybox").await.unwrap();
    // Faults on a second emulator would lose the Jobs; turn them on for the driver only by
    // serving it through a faulty emulator holding the same cluster: simplest is to submit
    // through the clean one first, then start the faulty one with the same nodes and Jobs.
    let faulty = emulator(&s, faults).await;
    for j in e.jobs() {
        let mut j: Value = j;
        for f in ["uid", "resourceVersion", "creationTimestamp", "generation"] {
            j["metadata"].as_object_mut().unwrap().remove(f);
        }
        let ns = j["metadata"]["namespace"].as_str().unwrap().to_string();
        let job: k8s_openapi::api::batch::v1::Job = serde_json::from_value(j).unwrap();
        let api: kube::Api<k8s_openapi::api::batch::v1::Job> = kube::Api::namespaced(client(&faulty), &ns);
        // The faulty server may refuse: retry.
        let mut ok = false;
        for _ in 0..50 {
            if api.create(&Default::default(), &job).await.is_ok() {
                ok = true;
                break;
            }
            if e.jobs().is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(ok, "could not create a Job on the faulty emulator");
    }
    let summary = drive(&faulty, &s, Duration::from_secs(90)).await;
    assert_eq!(summary.admissions as usize, n);
    assert!(all_succeeded(&faulty));
    assert_each_started_once(&faulty, n);
    assert!(faulty.audit().faults > 0, "no fault was injected");
}

fn job(name: &str, ns: &str, labels: Value, annotations: Value) -> k8s_openapi::api::batch::v1::Job {
    serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": ns, "labels": labels, "annotations": annotations},
        "spec": {"suspend": true, "template": {"spec": {"restartPolicy": "Never", "containers": [{
            "name": "op", "image": "busybox",
            "resources": {"requests": {"cpu": "1", "memory": "512Mi"}}}]}}}
    }))
    .unwrap()
}

async fn create(e: &Emulator, j: k8s_openapi::api::batch::v1::Job) {
    let ns = j.metadata.namespace.clone().unwrap();
    kube::Api::<k8s_openapi::api::batch::v1::Job>::namespaced(client(e), &ns)
        .create(&Default::default(), &j)
        .await
        .unwrap();
}

/// Runs a driver over refused, stopped and normal Jobs. Returns the emulator.
async fn refusal_run() -> Emulator {
    let s = scenario();
    let e = emulator(&s, Faults { conflict_rate: 0.3, seed: 3, ..Faults::default() }).await;
    let d = json!({ann::DURATION: "0.2"});
    create(&e, job("ok", "batch", json!({ann::QUEUE_LABEL: "hi"}), d.clone())).await;
    create(
        &e,
        job(
            "forbidden",
            "batch",
            json!({ann::QUEUE_LABEL: "hi"}),
            json!({ann::PROJECT: "research", ann::DURATION: "1"}),
        ),
    )
    .await;
    create(&e, job("unknown-queue", "batch", json!({ann::QUEUE_LABEL: "nope"}), d.clone())).await;
    create(&e, job("malformed", "batch", json!({ann::QUEUE_LABEL: "lo"}), json!({ann::PRIORITY: "high"})))
        .await;
    create(&e, job("wrong-namespace", "elsewhere", json!({ann::QUEUE_LABEL: "lo"}), d.clone())).await;
    create(
        &e,
        job(
            "stop-me",
            "batch",
            json!({ann::QUEUE_LABEL: "lo"}),
            json!({ann::STOP: "requested", ann::DURATION: "5"}),
        ),
    )
    .await;
    create(&e, job("not-ours", "default", json!({}), json!({}))).await;
    e.reset_calls();
    let summary = drive(&e, &s, Duration::from_secs(30)).await;
    assert_eq!(summary.refusals, 4, "{summary:?}");
    assert_eq!(summary.admissions, 1, "{summary:?}");
    e
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forbidden_queue_and_malformed_annotations_are_refused_with_a_reason() {
    let e = refusal_run().await;
    let jobs: BTreeMap<String, Value> =
        e.jobs().into_iter().map(|j| (j["metadata"]["name"].as_str().unwrap().to_string(), j)).collect();
    let reason =
        |n: &str| jobs[n]["metadata"]["annotations"][ann::REFUSED].as_str().unwrap_or("").to_string();
    assert!(reason("forbidden").contains("may not use queue `hi`"), "{}", reason("forbidden"));
    assert!(reason("unknown-queue").contains("unknown queue `nope`"), "{}", reason("unknown-queue"));
    assert!(
        reason("malformed").contains(ann::PRIORITY) && reason("malformed").contains("`high`"),
        "{}",
        reason("malformed")
    );
    assert!(reason("wrong-namespace").contains("namespace `batch`"), "{}", reason("wrong-namespace"));
    for n in ["forbidden", "unknown-queue", "malformed", "wrong-namespace"] {
        assert_eq!(jobs[n]["spec"]["suspend"], json!(true), "{n} stays suspended");
    }
    assert_eq!(jobs["ok"]["status"]["succeeded"], json!(1));
    assert!(!jobs.contains_key("stop-me"), "the stopped Job is deleted");
    assert_eq!(jobs["not-ours"]["metadata"]["annotations"], json!({}), "Jobs of others are left alone");
    let events = e.events();
    for n in ["forbidden", "unknown-queue", "malformed", "wrong-namespace"] {
        let ev = events
            .iter()
            .find(|ev| ev["involvedObject"]["name"] == json!(n))
            .unwrap_or_else(|| panic!("no event for {n}"));
        assert_eq!(ev["type"], json!("Warning"));
        assert_eq!(ev["reason"], json!("Refused"));
        assert_eq!(ev["message"].as_str().unwrap(), reason(n));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rbac_manifest_grants_exactly_what_the_driver_uses() {
    let e = refusal_run().await;
    let used: BTreeSet<(String, String)> = e.audit().calls;
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/live/rbac.yaml"))
            .unwrap();
    let mut granted = BTreeSet::new();
    for doc in serde_yaml::Deserializer::from_str(&text) {
        let v: serde_yaml::Value = serde::Deserialize::deserialize(doc).unwrap();
        if v["kind"].as_str() != Some("ClusterRole") && v["kind"].as_str() != Some("Role") {
            continue;
        }
        for rule in v["rules"].as_sequence().unwrap() {
            for r in rule["resources"].as_sequence().unwrap() {
                for verb in rule["verbs"].as_sequence().unwrap() {
                    let (r, verb) = (r.as_str().unwrap(), verb.as_str().unwrap());
                    assert!(r != "*" && verb != "*", "wildcards grant more than the driver uses");
                    granted.insert((verb.to_string(), r.to_string()));
                }
            }
        }
    }
    assert_eq!(granted, used, "the ClusterRole must grant exactly the calls the driver makes");
}
