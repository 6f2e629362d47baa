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
        schedlab_sim::engine::RunOptions { samples: false, statuses: false, progress: None },
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

fn by_name(e: &Emulator) -> BTreeMap<String, Value> {
    e.jobs().into_iter().map(|j| (j["metadata"]["name"].as_str().unwrap().to_string(), j)).collect()
}

fn annotation(j: &Value, key: &str) -> Option<String> {
    j["metadata"]["annotations"][key].as_str().map(String::from)
}

/// Waits until `f` holds (or panics after `limit`).
async fn wait_until(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    while !f() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approval_gates_submission_and_rejection_fails_dependents() {
    let s = scenario();
    let e = emulator(&s, Faults::default()).await;
    let lo = json!({ann::QUEUE_LABEL: "lo"});
    let gate = json!({ann::APPROVAL: "required", ann::DURATION: "0.3"});
    create(&e, job("gated", "batch", lo.clone(), gate.clone())).await;
    create(
        &e,
        job("after-gated", "batch", lo.clone(), json!({ann::DEPENDS_ON: "gated", ann::DURATION: "0.2"})),
    )
    .await;
    create(&e, job("gated-no", "batch", lo.clone(), gate.clone())).await;
    create(
        &e,
        job("after-no", "batch", lo.clone(), json!({ann::DEPENDS_ON: "gated-no", ann::DURATION: "0.2"})),
    )
    .await;
    create(&e, job("after-after-no", "batch", lo.clone(), json!({ann::DEPENDS_ON: "after-no"}))).await;
    create(&e, job("free", "batch", lo.clone(), json!({ann::DURATION: "0.2"}))).await;
    create(&e, job("gated-stop", "batch", lo.clone(), gate.clone())).await;

    // A driver runs the free Job and holds back the gated ones and their dependents.
    let opts = Options { time_scale: SCALE, until_idle: true, ..Options::default() };
    let first = tokio::spawn(driver::run(client(&e), s.clone(), opts.clone(), std::future::pending()));
    wait_until("the free Job succeeds", Duration::from_secs(20), || {
        by_name(&e)["free"]["status"]["succeeded"] == json!(1)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let jobs = by_name(&e);
    for n in ["gated", "after-gated", "gated-no", "after-no", "after-after-no"] {
        assert_eq!(annotation(&jobs[n], ann::ADMITTED_NODE), None, "{n} must wait");
        assert_eq!(jobs[n]["spec"]["suspend"], json!(true), "{n} stays suspended");
    }
    let st = ops::statuses(&serde_json::from_value::<Vec<_>>(json!(e.jobs())).unwrap());
    let status = |n: &str| st.iter().find(|x| x.name == n).map(|x| x.status).unwrap();
    assert_eq!(status("gated"), "awaiting_approval");
    assert!(!first.is_finished(), "the driver is not idle while Jobs await approval");
    // Restart-safe: a new driver takes over, still waiting.
    first.abort();
    let _ = first.await;

    // Mistakes are refused with what was expected.
    let err = ops::approve(client(&e), "free", false).await.unwrap_err();
    assert!(err.contains("does not need approval") && err.contains(ann::APPROVAL), "{err}");
    let err = ops::approve(client(&e), "nope", false).await.unwrap_err();
    assert!(err.contains("no Job named `nope`"), "{err}");

    assert_eq!(ops::approve(client(&e), "gated", false).await.unwrap(), "approved batch/gated");
    assert_eq!(ops::approve(client(&e), "batch/gated-no", true).await.unwrap(), "rejected batch/gated-no");
    let err = ops::approve(client(&e), "gated-no", false).await.unwrap_err();
    assert!(err.contains("already rejected"), "{err}");
    // Stopping a Job that awaits approval deletes it.
    ops::request_stop(client(&e), "gated-stop").await.unwrap();
    let second = drive(&e, &s, Duration::from_secs(30)).await;
    assert_eq!(second.rejected, 1, "{second:?}");
    assert_eq!(second.upstream_failed, 2, "{second:?}");

    let jobs = by_name(&e);
    assert!(!jobs.contains_key("gated-stop"), "the stopped Job is deleted");
    for n in ["gated", "after-gated"] {
        assert_eq!(jobs[n]["status"]["succeeded"], json!(1), "{n} ran once approved");
    }
    assert!(annotation(&jobs["gated-no"], ann::REJECTED).unwrap().contains("rejected by its approver"));
    assert_eq!(
        annotation(&jobs["after-no"], ann::UPSTREAM_FAILED).unwrap(),
        "upstream Job batch/gated-no ended rejected"
    );
    assert_eq!(
        annotation(&jobs["after-after-no"], ann::UPSTREAM_FAILED).unwrap(),
        "upstream Job batch/after-no ended upstream_failed"
    );
    for n in ["gated-no", "after-no", "after-after-no"] {
        assert_eq!(jobs[n]["spec"]["suspend"], json!(true), "{n} never runs");
        assert_eq!(annotation(&jobs[n], ann::ADMITTED_NODE), None, "{n} never admitted");
    }
    let events = e.events();
    let ev = |n: &str| events.iter().find(|ev| ev["involvedObject"]["name"] == json!(n)).cloned();
    assert_eq!(ev("gated-no").unwrap()["reason"], json!("Rejected"));
    assert_eq!(ev("after-no").unwrap()["reason"], json!("UpstreamFailed"));
    let st = ops::statuses(&serde_json::from_value::<Vec<_>>(json!(e.jobs())).unwrap());
    let status = |n: &str| st.iter().find(|x| x.name == n).map(|x| x.status).unwrap();
    assert_eq!(status("gated-no"), "rejected");
    assert_eq!(status("after-after-no"), "upstream_failed");
    assert_each_started_once(&e, 3);

    // A third driver rebuilds the same outcome from the annotations and writes nothing new.
    let third = drive(&e, &s, Duration::from_secs(30)).await;
    assert_eq!((third.rejected, third.upstream_failed, third.admissions), (0, 0, 0), "{third:?}");
    assert_each_started_once(&e, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_copies_a_finished_job_under_a_new_name() {
    let s = scenario();
    let e = emulator(&s, Faults::default()).await;
    let lo = json!({ann::QUEUE_LABEL: "lo"});
    create(&e, job("ok", "batch", lo.clone(), json!({ann::DURATION: "0.2", ann::PRIORITY: "3"}))).await;
    create(&e, job("bad", "batch", lo.clone(), json!({ann::DURATION: "0.2"}))).await;
    create(&e, job("waiting", "batch", lo.clone(), json!({ann::APPROVAL: "required"}))).await;
    // `bad` fails as soon as it is admitted.
    let c = client(&e);
    let api: kube::Api<k8s_openapi::api::batch::v1::Job> = kube::Api::namespaced(c.clone(), "batch");
    let d = tokio::spawn(driver::run(
        c.clone(),
        s.clone(),
        Options { time_scale: SCALE, ..Options::default() },
        std::future::pending(),
    ));
    wait_until("bad is admitted", Duration::from_secs(20), || {
        annotation(&by_name(&e)["bad"], ann::ADMITTED_NODE).is_some()
    })
    .await;
    let failed = json!({"status": {"active": 0, "failed": 1, "conditions": [{"type": "Failed", "status": "True",
        "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}]}});
    api.patch_status("bad", &Default::default(), &kube::api::Patch::Merge(&failed)).await.unwrap();
    wait_until("ok succeeds", Duration::from_secs(20), || {
        by_name(&e)["ok"]["status"]["succeeded"] == json!(1)
    })
    .await;
    // No driver while the copies are inspected: one would admit them at once.
    d.abort();
    let _ = d.await;

    let err = ops::restart(c.clone(), "waiting").await.unwrap_err();
    assert!(err.contains("still queued") && err.contains("only a finished Job"), "{err}");
    assert_eq!(ops::restart(c.clone(), "ok").await.unwrap(), "batch/ok-r1");
    assert_eq!(ops::restart(c.clone(), "batch/ok").await.unwrap(), "batch/ok-r2");
    assert_eq!(ops::restart(c.clone(), "bad").await.unwrap(), "batch/bad-r1");
    let jobs = by_name(&e);
    let r1 = &jobs["ok-r1"];
    assert_eq!(annotation(r1, ann::RESTART_OF).as_deref(), Some("batch/ok"));
    assert_eq!(annotation(r1, ann::PRIORITY).as_deref(), Some("3"), "the request is copied");
    for a in [ann::ADMITTED_NODE, ann::ADMITTED_AT, ann::ADMISSION] {
        assert_eq!(annotation(r1, a), None, "{a} is not copied");
    }
    assert_eq!(r1["metadata"]["labels"], json!({ann::QUEUE_LABEL: "lo"}));
    assert_eq!(r1["spec"]["suspend"], json!(true));
    assert!(
        r1["spec"]["template"]["spec"]["nodeSelector"].get("kubernetes.io/hostname").is_none(),
        "the admission's node is not copied: {}",
        r1["spec"]["template"]["spec"]
    );
    // A restart of a restart counts on from the same name.
    let d = tokio::spawn(driver::run(
        c.clone(),
        s.clone(),
        Options { time_scale: SCALE, ..Options::default() },
        std::future::pending(),
    ));
    wait_until("the restarts run", Duration::from_secs(20), || {
        let j = by_name(&e);
        ["ok-r1", "ok-r2", "bad-r1"].iter().all(|n| j[*n]["status"]["succeeded"] == json!(1))
    })
    .await;
    assert_eq!(ops::restart(c.clone(), "ok-r1").await.unwrap(), "batch/ok-r3");
    assert_eq!(annotation(&by_name(&e)["ok-r3"], ann::RESTART_OF).as_deref(), Some("batch/ok-r1"));
    d.abort();
    let _ = d.await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eta_of_a_job_queued_behind_a_running_one_is_exact() {
    let text = "name = \"eta\"\n[policy]\ndispatch = \"priority\"\nplacement = \"first-fit\"\n[[agents]]\nname = \"a\"\nnamespace = \"batch\"\n[[pools]]\nname = \"node\"\nagent = \"a\"\nnodes = 1\ncpu = 4\nmemory = \"16Gi\"\n[[queues]]\nname = \"q\"\nagent = \"a\"\n[workload]\ntrace = \"unused.csv\"\n";
    let s = Scenario::parse(text, Path::new("eta.toml")).unwrap();
    let e = emulator(&s, Faults::default()).await;
    let t0 = 1_800_000_000_000i64; // admitted-at of the running Job
    let q = json!({ann::QUEUE_LABEL: "q"});
    let cpus = |name: &str, ns: &str, n: u32, a: Value| {
        let mut j = job(name, ns, q.clone(), a);
        let c = &mut j.spec.as_mut().unwrap().template.spec.as_mut().unwrap().containers[0];
        let r = c.resources.as_mut().unwrap().requests.as_mut().unwrap();
        r.insert("cpu".into(), k8s_openapi::apimachinery::pkg::api::resource::Quantity(n.to_string()));
        j
    };
    // Running since t0 for an hour on the only node, taking all of it.
    let mut long = cpus(
        "long",
        "batch",
        4,
        json!({ann::DURATION: "3600", ann::ADMITTED_NODE: "node-0",
               ann::ADMITTED_AT: "2027-01-15T08:00:00.000Z", ann::ADMISSION: "1"}),
    );
    long.spec.as_mut().unwrap().suspend = Some(false);
    create(&e, long).await;
    create(&e, cpus("first", "batch", 2, json!({ann::DURATION: "600", ann::ORDER: "1"}))).await;
    create(&e, cpus("op", "batch", 3, json!({ann::DURATION: "60", ann::ORDER: "2"}))).await;
    create(&e, cpus("after", "batch", 1, json!({ann::DEPENDS_ON: "op", ann::ORDER: "3"}))).await;
    assert_eq!(schedlab_live::driver::jobs::parse_time_ms("2027-01-15T08:00:00.000Z"), Some(t0));

    let snaps = schedlab_live::cli::snapshot(&[driver::Cluster {
        name: "default".into(),
        client: client(&e),
        agents: Vec::new(),
    }])
    .await
    .unwrap();
    let now = t0 + 1_000_000;
    let opts = schedlab_live::eta::EtaOptions::default();
    let eta = |name: &str| schedlab_live::eta::eta(&s, &snaps, (0, "batch", name), now, &opts).unwrap();
    use schedlab_live::eta::Eta;
    // `first` (created first) starts when `long` ends; `op` needs 3 of the 4 CPUs, so it
    // waits for `first` too; `after` waits for `op`.
    assert_eq!(
        eta("first"),
        Eta::Starts { at_ms: t0 + 3_600_000, node: "node-0".into(), awaiting_approval: false }
    );
    assert_eq!(
        eta("op"),
        Eta::Starts { at_ms: t0 + 4_200_000, node: "node-0".into(), awaiting_approval: false }
    );
    assert_eq!(
        eta("after"),
        Eta::Starts { at_ms: t0 + 4_260_000, node: "node-0".into(), awaiting_approval: false }
    );
    assert_eq!(
        eta("long"),
        Eta::Running { node: "node-0".into(), since_ms: Some(t0), ends_ms: Some(t0 + 3_600_000) }
    );
    let text = schedlab_live::eta::describe("batch/op", &eta("op"), now);
    assert_eq!(
        text,
        "batch/op is queued; expected to start at 2027-01-15T09:10:00.000Z (in 54 min) on node node-0"
    );
    // Twice as fast a kernel clock: the same schedule in half the wall-clock time.
    let fast = schedlab_live::eta::EtaOptions { time_scale: 2.0, ..Default::default() };
    let r = schedlab_live::eta::eta(&s, &snaps, (0, "batch", "op"), now, &fast).unwrap();
    assert!(matches!(r, Eta::Starts { .. }), "{r:?}");
    // Awaiting approval: estimated as if approved now. Behind a rejected Job: never.
    create(&e, cpus("gated", "batch", 1, json!({ann::APPROVAL: "required", ann::ORDER: "4"}))).await;
    create(&e, cpus("no", "batch", 1, json!({ann::APPROVAL: "required", ann::APPROVED: "false"}))).await;
    create(&e, cpus("after-no", "batch", 1, json!({ann::DEPENDS_ON: "no"}))).await;
    let snaps = schedlab_live::cli::snapshot(&[driver::Cluster {
        name: "default".into(),
        client: client(&e),
        agents: Vec::new(),
    }])
    .await
    .unwrap();
    let eta = |name: &str| schedlab_live::eta::eta(&s, &snaps, (0, "batch", name), now, &opts).unwrap();
    assert_eq!(
        eta("op"),
        Eta::Starts { at_ms: t0 + 4_200_000, node: "node-0".into(), awaiting_approval: false }
    );
    assert!(matches!(eta("gated"), Eta::Starts { awaiting_approval: true, .. }), "{:?}", eta("gated"));
    match eta("after-no") {
        Eta::WillNotStart { reason } => {
            assert!(reason.contains("batch/no") && reason.contains("rejected"), "{reason}")
        }
        other => panic!("after-no cannot start: {other:?}"),
    }
    let err = schedlab_live::cli::find_in(&snaps, "nope").unwrap_err();
    assert!(err.contains("no Job named `nope`"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clusters_one_driver_each_agent_in_its_own() {
    let text = "name = \"two\"\n[[agents]]\nname = \"east\"\nnamespace = \"batch\"\n[[agents]]\nname = \"west\"\nnamespace = \"batch\"\n[[pools]]\nname = \"e\"\nagent = \"east\"\nnodes = 2\ncpu = 2\nmemory = \"8Gi\"\n[[pools]]\nname = \"w\"\nagent = \"west\"\nnodes = 1\ncpu = 2\nmemory = \"8Gi\"\n[[queues]]\nname = \"qe\"\nagent = \"east\"\n[[queues]]\nname = \"qw\"\nagent = \"west\"\n[workload]\ntrace = \"unused.csv\"\n";
    let s = Scenario::parse(text, Path::new("two.toml")).unwrap();
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let one = Emulator::start(Config::default()).await.unwrap();
    let two = Emulator::start(Config::default()).await.unwrap();
    // The same node name in both clusters: they are different nodes.
    for (em, pool, agent, n) in [(&one, "e", "east", 2), (&two, "w", "west", 1)] {
        for i in 0..n {
            let labels = [
                (schedlab_live::AGENT_LABEL.to_string(), agent.to_string()),
                (schedlab_live::POOL_LABEL.to_string(), pool.to_string()),
            ];
            em.add_node(&format!("node-{i}"), 2000, 8192, 0, &labels, &[]);
        }
    }
    for i in 0..4 {
        create(
            &one,
            job(&format!("e{i}"), "batch", json!({ann::QUEUE_LABEL: "qe"}), json!({ann::DURATION: "0.3"})),
        )
        .await;
        create(
            &two,
            job(&format!("w{i}"), "batch", json!({ann::QUEUE_LABEL: "qw"}), json!({ann::DURATION: "0.3"})),
        )
        .await;
    }
    create(&two, job("misplaced", "batch", json!({ann::QUEUE_LABEL: "qe"}), json!({ann::DURATION: "0.3"})))
        .await;
    // One kubeconfig, two contexts.
    let dir = std::env::temp_dir().join(format!("schedlab-live-two-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let kc = dir.join("kubeconfig");
    std::fs::write(
        &kc,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: one\n  cluster:\n    server: {}\n- name: two\n  cluster:\n    server: {}\nusers:\n- name: u\n  user: {{}}\ncontexts:\n- name: one\n  context:\n    cluster: one\n    user: u\n- name: two\n  context:\n    cluster: two\n    user: u\ncurrent-context: one\n",
            one.url(),
            two.url()
        ),
    )
    .unwrap();
    let Err(err) = schedlab_live::client_for_context(&kc, Some("three")).await else {
        panic!("a context the kubeconfig lacks must be an error")
    };
    assert!(err.contains("no context `three`") && err.contains("one, two"), "{err}");
    let clusters = vec![
        driver::Cluster {
            name: "one".into(),
            client: schedlab_live::client_for_context(&kc, None).await.unwrap(),
            agents: Vec::new(),
        },
        driver::Cluster {
            name: "two".into(),
            client: schedlab_live::client_for_context(&kc, Some("two")).await.unwrap(),
            agents: vec!["west".into()],
        },
    ];
    let opts = Options { time_scale: SCALE, until_idle: true, ..Options::default() };
    let sum = tokio::time::timeout(
        Duration::from_secs(60),
        driver::run_clusters(clusters, s.clone(), opts, std::future::pending()),
    )
    .await
    .expect("the driver finishes in time")
    .expect("the driver runs");
    assert_eq!((sum.admissions, sum.succeeded, sum.refusals), (8, 8, 1), "{sum:?}");
    for (em, prefix) in [(&one, "e"), (&two, "w")] {
        let jobs = by_name(em);
        for i in 0..4 {
            assert_eq!(jobs[&format!("{prefix}{i}")]["status"]["succeeded"], json!(1));
        }
        assert_each_started_once(em, 4);
    }
    let reason = annotation(&by_name(&two)["misplaced"], ann::REFUSED).unwrap();
    assert!(reason.contains("runs on cluster `one`") && reason.contains("cluster `two`"), "{reason}");
    // A context for an agent the scenario lacks is refused, naming the agents.
    let bad = [("default".to_string(), Vec::new()), ("x".to_string(), vec!["north".to_string()])];
    let err = driver::agent_clusters(&s, &bad).unwrap_err();
    assert!(err.contains("agent `north`") && err.contains("east, west"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_node_requeues_its_jobs_and_a_returning_node_is_used_again() {
    use k8s_openapi::api::core::v1::Node;
    let s = scenario(); // three 4-CPU nodes
    let e = emulator(&s, Faults::default()).await;
    let four = whole_node_job;
    create(&e, four("a", "4")).await;
    create(&e, four("b", "4")).await;
    let c = client(&e);
    let opts = Options { time_scale: SCALE, until_idle: true, ..Options::default() };
    let d = tokio::spawn(driver::run(c.clone(), s.clone(), opts, std::future::pending()));
    let node_of = |n: &str| annotation(&by_name(&e)[n], ann::ADMITTED_NODE);
    wait_until("a and b are admitted", Duration::from_secs(20), || {
        node_of("a").is_some() && node_of("b").is_some()
    })
    .await;
    let lost = node_of("a").unwrap();
    let nodes: kube::Api<Node> = kube::Api::all(c.clone());
    let saved = nodes.get(&lost).await.unwrap();
    nodes.delete(&lost, &Default::default()).await.unwrap();
    // `a` is suspended and admitted again, on the one node left free.
    wait_until("a is admitted elsewhere", Duration::from_secs(20), || {
        node_of("a").is_some_and(|n| n != lost) && by_name(&e)["a"]["spec"]["suspend"] == json!(false)
    })
    .await;
    let a_now = node_of("a").unwrap();
    assert_ne!(a_now, node_of("b").unwrap());
    // The node comes back (empty): the next Job that needs a whole node goes there.
    let mut back = saved.clone();
    back.metadata.resource_version = None;
    back.metadata.uid = None;
    back.metadata.creation_timestamp = None;
    nodes.create(&Default::default(), &back).await.unwrap();
    create(&e, four("c", "0.2")).await;
    wait_until("c is admitted", Duration::from_secs(20), || node_of("c").is_some()).await;
    assert_eq!(node_of("c").unwrap(), lost, "the restored node is used again");
    let sum = tokio::time::timeout(Duration::from_secs(30), d)
        .await
        .expect("the driver finishes")
        .unwrap()
        .unwrap();
    assert_eq!((sum.nodes_lost, sum.preemptions, sum.admissions), (1, 1, 4), "{sum:?}");
    let jobs = by_name(&e);
    for n in ["a", "b", "c"] {
        assert_eq!(jobs[n]["status"]["succeeded"], json!(1), "{n} succeeded");
    }
    let audit = e.audit();
    assert!(audit.violations.is_empty(), "{:?}", audit.violations);
    let starts: Vec<u32> = ["a", "b", "c"].iter().map(|n| audit.starts[&format!("batch/{n}")]).collect();
    assert_eq!(starts, vec![2, 1, 1], "a ran twice (once on the lost node), the others once");
}

/// A Job of queue `hi` that takes a whole 4-CPU node of the test scenario for `secs`.
fn whole_node_job(name: &str, secs: &str) -> k8s_openapi::api::batch::v1::Job {
    let mut j = job(name, "batch", json!({ann::QUEUE_LABEL: "hi"}), json!({ann::DURATION: secs}));
    let c = &mut j.spec.as_mut().unwrap().template.spec.as_mut().unwrap().containers[0];
    let r = c.resources.as_mut().unwrap().requests.as_mut().unwrap();
    r.insert("cpu".into(), k8s_openapi::apimachinery::pkg::api::resource::Quantity("4".into()));
    j
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_deleted_while_no_driver_ran_requeues_its_jobs() {
    use k8s_openapi::api::core::v1::Node;
    let s = scenario();
    let e = emulator(&s, Faults::default()).await;
    create(&e, whole_node_job("a", "3")).await;
    let c = client(&e);
    let first = tokio::spawn(driver::run(
        c.clone(),
        s.clone(),
        Options { time_scale: SCALE, ..Options::default() },
        std::future::pending(),
    ));
    let node_of = |n: &str| annotation(&by_name(&e)[n], ann::ADMITTED_NODE);
    wait_until("a is admitted", Duration::from_secs(20), || node_of("a").is_some()).await;
    first.abort();
    let _ = first.await;
    let lost = node_of("a").unwrap();
    kube::Api::<Node>::all(c.clone()).delete(&lost, &Default::default()).await.unwrap();
    let sum = drive(&e, &s, Duration::from_secs(30)).await;
    assert_eq!((sum.adopted, sum.preemptions, sum.admissions, sum.succeeded), (0, 1, 1, 1), "{sum:?}");
    assert_ne!(node_of("a").unwrap(), lost, "admitted again elsewhere");
    assert_eq!(by_name(&e)["a"]["status"]["succeeded"], json!(1));
    let audit = e.audit();
    assert!(audit.violations.is_empty(), "{:?}", audit.violations);
    assert_eq!(audit.starts["batch/a"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_with_the_cache_key_of_a_running_job_waits_and_reuses_its_result() {
    let s = scenario();
    let e = emulator(&s, Faults::default()).await;
    let lo = json!({ann::QUEUE_LABEL: "lo"});
    create(&e, job("src", "batch", lo.clone(), json!({ann::CACHE_KEY: "prep(v=3)", ann::DURATION: "0.5"})))
        .await;
    create(&e, job("dup", "batch", lo.clone(), json!({ann::CACHE_KEY: "prep(v=3)", ann::DURATION: "0.5"})))
        .await;
    create(&e, job("after-dup", "batch", lo.clone(), json!({ann::DEPENDS_ON: "dup", ann::DURATION: "0.2"})))
        .await;
    create(&e, job("other", "batch", lo.clone(), json!({ann::CACHE_KEY: "prep(v=4)", ann::DURATION: "0.2"})))
        .await;
    let first = drive(&e, &s, Duration::from_secs(30)).await;
    assert_eq!((first.cache_hits, first.admissions), (1, 3), "{first:?}");
    let jobs = by_name(&e);
    assert_eq!(annotation(&jobs["dup"], ann::CACHE_HIT).as_deref(), Some("batch/src"));
    assert_eq!(annotation(&jobs["dup"], ann::ADMITTED_NODE), None, "the duplicate never runs");
    assert_eq!(jobs["dup"]["spec"]["suspend"], json!(true));
    for n in ["src", "after-dup", "other"] {
        assert_eq!(jobs[n]["status"]["succeeded"], json!(1), "{n} ran");
    }
    let st = ops::statuses(&serde_json::from_value::<Vec<_>>(json!(e.jobs())).unwrap());
    assert_eq!(st.iter().find(|x| x.name == "dup").map(|x| x.status), Some("cache_hit"));
    assert_each_started_once(&e, 3);
    // A restarted driver rebuilds the hit from the annotations and runs nothing again.
    let second = drive(&e, &s, Duration::from_secs(30)).await;
    assert_eq!((second.cache_hits, second.admissions), (0, 0), "{second:?}");
    assert_each_started_once(&e, 3);
}
