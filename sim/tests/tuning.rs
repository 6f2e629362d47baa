//! Tuning runs (`[[tuning]]`) played by the simulator: a hand-computed grid sweep, lazy
//! Hyperband rungs, early stopping, determinism, controller concurrency across a DAG and its
//! sweep, and the errors of bad scenario input.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use schedlab_policies::expr::Value;
use schedlab_sim::engine::{self, Run, RunOptions};
use schedlab_sim::{metrics, output, workload, Scenario};

/// A fresh folder for one test's files.
fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("schedlab-sim-tuning-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A cluster with room for everything (8 nodes of 16 cores, 64 GiB, 4 GPUs), two queues,
/// and whatever `rest` adds (workflows, [[tuning]], actions).
fn scenario_text(rest: &str) -> String {
    format!(
        r#"name = "tuning"
seed = 3

[[agents]]
name = "k8s"

[[pools]]
name = "n"
agent = "k8s"
nodes = 8
cpu = 16
memory = "64Gi"
gpu = 4

[[queues]]
name = "cpu"
agent = "k8s"

[[queues]]
name = "gpu"
agent = "k8s"

[workload]
trace = "ops.csv"
{rest}"#
    )
}

/// Writes the scenario and its trace into `dir`; returns the scenario's path.
fn write(dir: &Path, rest: &str, trace: &str) -> PathBuf {
    std::fs::write(dir.join("ops.csv"), trace).unwrap();
    let path = dir.join("tuning.toml");
    std::fs::write(&path, scenario_text(rest)).unwrap();
    path
}

fn run_at(path: &Path, seed: Option<u64>) -> (Scenario, Run) {
    let s = Scenario::load(path).unwrap_or_else(|e| panic!("{e}"));
    let w = workload::load(&s, seed.unwrap_or(s.seed)).unwrap_or_else(|e| panic!("{e}"));
    let run = engine::run(&s, w, RunOptions { samples: false, statuses: true, progress: None });
    (s, run)
}

/// The status timeline as `(seconds, id, status)`.
fn timeline(run: &Run) -> Vec<(f64, String, &'static str)> {
    run.statuses
        .iter()
        .map(|c| (c.time as f64 / 1000.0, run.ids[c.op.index()].clone(), c.status.as_str()))
        .collect()
}

fn op_status(run: &Run, id: &str) -> &'static str {
    let i = run.ids.iter().position(|x| x == id).unwrap_or_else(|| panic!("no operation `{id}`"));
    run.kernel.ops()[i].status.as_str()
}

fn outputs(run: &Run, id: &str) -> Vec<(String, Value)> {
    let i = run.ids.iter().position(|x| x == id).unwrap();
    run.kernel.ops()[i].extra.as_ref().map(|x| x.outputs.clone()).unwrap_or_default()
}

const GRID: &str = r#"
[[tuning]]
op = "search"
concurrency = 2
algorithm = "grid"
metric = { name = "acc", goal = "maximize" }
space = { lr = "choice(0.1, 0.01)", layers = "choice(2, 4)" }
model = { duration = "10m", noise = 0, duration_jitter = 0 }
"#;

const GRID_TRACE: &str = "\
id,submit,duration,cpu,mem_mib,gpu,queue,project,priority,workflow,depends_on,conditions
search,0,5,1,1024,0,cpu,,,,,
after,0,60,1,1024,0,cpu,,,,search,ops.search.outputs.best_acc > 0
";

#[test]
fn a_grid_sweep_plays_out_as_computed_by_hand() {
    let d = tmp("grid");
    let (_, run) = run_at(&write(&d, GRID, GRID_TRACE), None);
    // Four 10-minute trials, two at a time: 0 and 1 run 0–600 s, 2 and 3 (held by the sweep's
    // workflow until then) 600–1200 s; the controller ends with the last of them and its
    // downstream, whose condition reads its outputs, runs 1200–1260 s.
    let want: Vec<(f64, &str, &str)> = vec![
        (0.0, "search", "created"),
        (0.0, "search", "compiled"),
        (0.0, "search", "queued"),
        (0.0, "after", "created"),
        (0.0, "search", "scheduled"),
        (0.0, "search", "running"),
        (0.0, "search-0", "created"),
        (0.0, "search-0", "compiled"),
        (0.0, "search-0", "queued"),
        (0.0, "search-1", "created"),
        (0.0, "search-1", "compiled"),
        (0.0, "search-1", "queued"),
        (0.0, "search-2", "created"),
        (0.0, "search-2", "compiled"),
        (0.0, "search-3", "created"),
        (0.0, "search-3", "compiled"),
        (0.0, "search-0", "scheduled"),
        (0.0, "search-1", "scheduled"),
        (0.0, "search-0", "running"),
        (0.0, "search-1", "running"),
        (600.0, "search-0", "succeeded"),
        (600.0, "search-2", "queued"),
        (600.0, "search-1", "succeeded"),
        (600.0, "search-3", "queued"),
        (600.0, "search-2", "scheduled"),
        (600.0, "search-3", "scheduled"),
        (600.0, "search-2", "running"),
        (600.0, "search-3", "running"),
        (1200.0, "search-2", "succeeded"),
        (1200.0, "search-3", "succeeded"),
        (1200.0, "search", "succeeded"),
        (1200.0, "after", "compiled"),
        (1200.0, "after", "queued"),
        (1200.0, "after", "scheduled"),
        (1200.0, "after", "running"),
        (1260.0, "after", "succeeded"),
    ];
    let got = timeline(&run);
    let got: Vec<(f64, &str, &str)> = got.iter().map(|(t, id, s)| (*t, id.as_str(), *s)).collect();
    assert_eq!(got, want);

    // Grid order (first param slowest), inputs and metrics; the controller's outputs name
    // the best trial and its params.
    let params: Vec<&str> = run.trials.iter().map(|t| t.params.as_str()).collect();
    assert_eq!(params, ["lr=0.1;layers=2", "lr=0.1;layers=4", "lr=0.01;layers=2", "lr=0.01;layers=4"]);
    let i = run.ids.iter().position(|x| x == "search-2").unwrap();
    let inputs = &run.kernel.ops()[i].extra.as_ref().unwrap().inputs;
    assert_eq!(inputs, &vec![("lr".to_string(), Value::Num(0.01)), ("layers".to_string(), Value::Num(2.0))]);
    let best = run
        .trials
        .iter()
        .max_by(|a, b| {
            a.final_metric.unwrap().total_cmp(&b.final_metric.unwrap()).then(b.trial.cmp(&a.trial))
        })
        .unwrap();
    let out = outputs(&run, "search");
    assert_eq!(out[0], ("best_acc".to_string(), Value::Num(best.final_metric.unwrap())));
    assert_eq!(out[1], ("best_trial".to_string(), Value::Str(best.id.clone())));
    assert_eq!(out[2].0, "best_lr");
    assert_eq!(out[3].0, "best_layers");
    assert_eq!(outputs(&run, &best.id), vec![("acc".to_string(), Value::Num(best.final_metric.unwrap()))]);
    // The controller ran as long as its sweep (its row's 5 s are ignored).
    assert_eq!(run.durations[run.ids.iter().position(|x| x == "search").unwrap()], 1_200_000);

    // trials.csv as written.
    let s = Scenario::load(&d.join("tuning.toml")).unwrap();
    let summary = metrics::summarise(&s, &run, 3, &[]);
    output::write_run(&d.join("out"), &s, &run, &summary).unwrap();
    let csv = std::fs::read_to_string(d.join("out/trials.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("tuning,trial,id,params,status,final_metric,stop_reason"));
    let first = lines.next().unwrap();
    assert!(first.starts_with("search,0,search-0,lr=0.1;layers=2,succeeded,0."), "{first}");
    assert!(first.ends_with(','), "{first}");
    assert_eq!(lines.count(), 3);
    let wf = std::fs::read_to_string(d.join("out/workflows.csv")).unwrap();
    assert!(wf.contains("\nsearch,search,2,\n"), "{wf}");
}

/// Creation time of each operation, and its end (terminal status) time, in ms.
fn created_and_ended(run: &Run) -> (HashMap<String, i64>, HashMap<String, i64>) {
    let (mut created, mut ended) = (HashMap::new(), HashMap::new());
    for c in &run.statuses {
        let id = run.ids[c.op.index()].clone();
        if c.status.as_str() == "created" {
            created.entry(id.clone()).or_insert(c.time);
        }
        if c.status.is_terminal() {
            ended.insert(id, c.time);
        }
    }
    (created, ended)
}

fn param(params: &str, name: &str) -> String {
    params
        .split(';')
        .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} in {params}"))
        .to_string()
}

#[test]
fn hyperband_creates_a_rung_only_once_the_previous_one_ended() {
    let d = tmp("hyperband");
    let tuning = r#"
[[tuning]]
op = "hb"
concurrency = 3
queue = "gpu"
gpu = 1
algorithm = "hyperband"
max_iterations = 9
eta = 3
resource = "epochs"
metric = { name = "loss", goal = "minimize" }
space = { lr = "loguniform(0.0001, 0.1)" }
model = { duration = "1m", noise = 0.05 }
"#;
    let trace = "id,submit,duration,cpu,mem_mib,gpu,queue\nhb,0,1,1,1024,0,cpu\n";
    let (_, run) = run_at(&write(&d, tuning, trace), None);
    assert_eq!(op_status(&run, "hb"), "succeeded");
    let (created, ended) = created_and_ended(&run);
    // R = 9, eta = 3: 9 + 5 + 3 first-rung trials at once, then 3 + 1 + 1 promoted.
    assert_eq!(run.trials.len(), 22);
    let start = created["hb-0"];
    let first: Vec<_> = run.trials.iter().filter(|t| created[&t.id] == start).collect();
    assert_eq!(first.len(), 17);
    assert!(run.trials.iter().all(|t| t.status == "succeeded"));
    for t in run.trials.iter().filter(|t| created[&t.id] > start) {
        // Its source: the earlier trial with the same lr and the most epochs below its own.
        let (lr, epochs) = (param(&t.params, "lr"), param(&t.params, "epochs").parse::<u32>().unwrap());
        let source = run
            .trials
            .iter()
            .filter(|s| s.trial < t.trial && param(&s.params, "lr") == lr)
            .filter(|s| param(&s.params, "epochs").parse::<u32>().unwrap() < epochs)
            .max_by_key(|s| s.trial)
            .unwrap_or_else(|| panic!("no source for {}", t.id));
        // The source's rung: trials created with it, with as many epochs.
        let rung: Vec<_> = run
            .trials
            .iter()
            .filter(|s| {
                created[&s.id] == created[&source.id]
                    && param(&s.params, "epochs") == param(&source.params, "epochs")
            })
            .collect();
        let last_end = rung.iter().map(|s| ended[&s.id]).max().unwrap();
        assert_eq!(created[&t.id], last_end, "{} is created when its rung's last trial ends", t.id);
        assert!(rung.iter().all(|s| ended[&s.id] <= created[&t.id]));
    }
    // The controller ends with the last trial.
    assert_eq!(ended["hb"], run.trials.iter().map(|t| ended[&t.id]).max().unwrap());
}

#[test]
fn early_stopping_stops_some_trials_and_the_sweep_still_finishes() {
    let d = tmp("early");
    let tuning = r#"
[[tuning]]
op = "rs"
concurrency = 4
algorithm = "random"
trials = 12
metric = { name = "acc", goal = "maximize" }
space = { lr = "loguniform(0.0001, 0.1)", drop = "uniform(0, 0.5)" }
early_stopping = [{ policy = "median", evaluation_interval = 1, min_steps = 2 }]
model = { duration = "20m", noise = 0.05 }
"#;
    let trace = "id,submit,duration,cpu,mem_mib,gpu,queue,workflow,depends_on\nrs,0,1,1,1024,0,cpu,,\nnext,0,60,1,1024,0,cpu,,rs\n";
    let (_, run) = run_at(&write(&d, tuning, trace), None);
    let stopped: Vec<_> = run.trials.iter().filter(|t| t.status == "stopped").collect();
    assert!(!stopped.is_empty(), "{:?}", run.trials);
    assert!(stopped.iter().all(|t| t.stop_reason.as_deref().unwrap().starts_with("median stopping at step")));
    assert!(stopped.iter().all(|t| t.final_metric.is_none()));
    let done: Vec<_> = run.trials.iter().filter(|t| t.status == "succeeded").collect();
    assert!(!done.is_empty());
    assert_eq!(stopped.len() + done.len(), 12);
    assert_eq!(op_status(&run, "rs"), "succeeded");
    assert_eq!(op_status(&run, "next"), "succeeded");
    // A stopped trial's attempt ends `stopped` before its 20 minutes.
    for t in &stopped {
        let i = run.ids.iter().position(|x| *x == t.id).unwrap();
        let a = run.attempts.iter().find(|a| a.op.index() == i).unwrap();
        assert_eq!(a.outcome.map(|o| o.as_str()), Some("stopped"));
        assert!(a.end.unwrap() - a.start < 20 * 60_000);
    }
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    output::FILES.iter().map(|f| (f.to_string(), std::fs::read(dir.join(f)).unwrap())).collect()
}

#[test]
fn same_seed_same_bytes_and_the_seed_changes_random_trials() {
    let d = tmp("seeds");
    let tuning = r#"
[[tuning]]
op = "rs"
concurrency = 3
algorithm = "random"
trials = 8
metric = { name = "loss", goal = "minimize" }
space = { lr = "loguniform(0.0001, 0.1)", batch = "choice(32, 64)" }
early_stopping = [{ policy = "truncation", percent = 30, evaluation_interval = 2, min_steps = 2 }]
model = { duration = "5m", noise = 0.1, failure_rate = 0.2 }
"#;
    let trace = "id,submit,duration,cpu,mem_mib,gpu,queue\nrs,0,1,1,1024,0,cpu\nother,30,600,2,1024,0,cpu\n";
    let path = write(&d, tuning, trace);
    let write_at = |name: &str, seed: u64| {
        let (s, run) = run_at(&path, Some(seed));
        let summary = metrics::summarise(&s, &run, seed, &[]);
        let out = d.join(name);
        output::write_run(&out, &s, &run, &summary).unwrap();
        files(&out)
    };
    let (a, b, c) = (write_at("a", 5), write_at("b", 5), write_at("c", 6));
    assert_eq!(a, b);
    assert_ne!(a["trials.csv"], c["trials.csv"]);
    assert!(String::from_utf8_lossy(&a["trials.csv"]).lines().count() == 9);
}

#[test]
fn controller_concurrency_bounds_the_dag_and_its_sweep_together() {
    let d = tmp("nesting");
    let tuning = r#"
[[workflows]]
name = "dag"
concurrency = 3

[[tuning]]
op = "search"
algorithm = "random"
trials = 6
metric = { name = "acc", goal = "maximize" }
space = { lr = "uniform(0.001, 0.1)" }
model = { duration = "10m", noise = 0.02 }
"#;
    // prep → search → final, and two side steps of the same DAG that overlap the sweep.
    let trace = "\
id,submit,duration,cpu,mem_mib,gpu,queue,project,priority,workflow,depends_on
prep,0,60,1,1024,0,cpu,,,dag,
search,0,1,1,1024,0,cpu,,,dag,prep
side-1,0,900,1,1024,0,cpu,,,dag,prep
side-2,0,1500,1,1024,0,cpu,,,dag,prep
final,0,60,1,1024,0,cpu,,,dag,search
";
    let (_, run) = run_at(&write(&d, tuning, trace), None);
    assert_eq!(op_status(&run, "final"), "succeeded");
    // The sweep's workflow is nested under the DAG: its controller is `dag`.
    let k = &run.kernel;
    let sweep_wf = k.workflow_id("search").unwrap();
    assert_eq!(k.workflows()[sweep_wf.index()].controller, k.workflow_id("dag").unwrap());
    // Replay the statuses: leaf operations beneath `dag` that are queued or running.
    let under_dag = |op: usize| {
        k.ops()[op]
            .workflow
            .is_some_and(|w| k.workflows()[w.index()].controller == k.workflow_id("dag").unwrap())
    };
    let mut active = std::collections::BTreeSet::new();
    let (mut most, mut trial_held) = (0, false);
    for c in &run.statuses {
        let op = c.op.index();
        if !under_dag(op) {
            continue;
        }
        match c.status.as_str() {
            "queued" | "scheduled" | "running" | "retrying" => {
                active.insert(op);
            }
            _ => {
                active.remove(&op);
            }
        }
        most = most.max(active.len());
        assert!(
            active.len() <= 3,
            "at {} ms: {:?}",
            c.time,
            active.iter().map(|o| &run.ids[*o]).collect::<Vec<_>>()
        );
        trial_held |= run.ids[op].starts_with("search-") && c.status.as_str() == "compiled";
    }
    assert_eq!(most, 3, "the limit binds");
    assert!(trial_held);
    assert!(run.trials.iter().all(|t| t.status == "succeeded"));
}

#[test]
fn stopping_the_controller_stops_its_trials() {
    let d = tmp("stop");
    let tuning = format!(
        "{}\n[[actions]]\nat = \"15m\"\nop = \"search\"\naction = \"stop\"\n",
        GRID.replace("concurrency = 2", "concurrency = 1")
    );
    let (_, run) = run_at(&write(&d, &tuning, GRID_TRACE), None);
    assert_eq!(op_status(&run, "search"), "stopped");
    assert_eq!(op_status(&run, "after"), "upstream_failed");
    let statuses: Vec<&str> = run.trials.iter().map(|t| t.status).collect();
    // One at a time: trial 0 ran 0–10 min, trial 1 was running at 15 min, 2 and 3 waited.
    assert_eq!(statuses, ["succeeded", "stopped", "stopped", "stopped"]);
    for t in &run.trials[1..] {
        assert_eq!(t.stop_reason.as_deref(), Some("its controller `search` was stopped"), "{t:?}");
    }
}

#[test]
fn a_controller_that_times_out_abandons_its_sweep_and_starts_over_on_retry() {
    let d = tmp("timeout");
    // The sweep needs 20 minutes; its controller times out after 15, is retried once a
    // minute later (same trials, new ids), and times out again.
    let trace = "\
id,submit,duration,cpu,mem_mib,gpu,queue,project,priority,workflow,depends_on,conditions,timeout,retries,retry_backoff
search,0,5,1,1024,0,cpu,,,,,,900,1,60
after,0,60,1,1024,0,cpu,,,,search,ops.search.outputs.best_acc > 0,,,
";
    let (_, run) = run_at(&write(&d, GRID, trace), None);
    assert_eq!(op_status(&run, "search"), "failed");
    assert_eq!(op_status(&run, "after"), "upstream_failed");
    let rows: Vec<(&str, u32, &str, Option<&str>)> =
        run.trials.iter().map(|t| (t.id.as_str(), t.trial, t.status, t.stop_reason.as_deref())).collect();
    let why = Some("its controller `search` timed out");
    assert_eq!(
        rows,
        vec![
            ("search-0", 0, "succeeded", None),
            ("search-1", 1, "succeeded", None),
            ("search-2", 2, "stopped", why),
            ("search-3", 3, "stopped", why),
            ("search-0-2", 0, "succeeded", None),
            ("search-1-2", 1, "succeeded", None),
            ("search-2-2", 2, "stopped", why),
            ("search-3-2", 3, "stopped", why),
        ]
    );
    let (created, ended) = created_and_ended(&run);
    assert_eq!((ended["search-2"], ended["search-3"]), (900_000, 900_000));
    assert_eq!(created["search-0-2"], 960_000, "the retry starts a new sweep after its backoff");
    assert_eq!(ended["search"], 960_000 + 900_000);
    // Both runs share the sweep's workflow; the same trials (same seed) ran twice.
    assert_eq!(run.kernel.workflows().iter().filter(|w| w.spec.name.starts_with("search")).count(), 1);
    assert_eq!(run.trials[0].params, run.trials[4].params);
}

#[test]
fn a_mapping_fans_out_one_operation_per_input_set() {
    let d = tmp("mapping");
    let tuning = r#"
[[tuning]]
op = "fan"
algorithm = "mapping"
values = [{ shard = 1, region = "eu" }, { shard = 2, region = "us" }, { shard = 3, region = "ap" }]
model = { duration = "5m" }
"#;
    let trace = "id,submit,duration,cpu,mem_mib,gpu,queue\nfan,0,1,1,1024,0,cpu\n";
    let (_, run) = run_at(&write(&d, tuning, trace), None);
    let params: Vec<&str> = run.trials.iter().map(|t| t.params.as_str()).collect();
    assert_eq!(params, ["shard=1;region=eu", "shard=2;region=us", "shard=3;region=ap"]);
    assert!(run.trials.iter().all(|t| t.status == "succeeded"));
    assert_eq!(op_status(&run, "fan"), "succeeded");
    assert_eq!(outputs(&run, "fan")[1].0, "best_trial");
}

/// Loads a scenario (and its workload) with `rest` added: the error, the scenario's text and
/// its path.
fn error(name: &str, rest: &str, trace: &str) -> (String, String, PathBuf) {
    let d = tmp(name);
    let path = write(&d, rest, trace);
    let text = std::fs::read_to_string(&path).unwrap();
    let e = match Scenario::load(&path) {
        Err(e) => e.to_string(),
        Ok(s) => match workload::load(&s, 0) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("{name}: expected an error"),
        },
    };
    (e, text, path)
}

/// `file:line:column: ` of the first occurrence of `needle` in `text`.
fn at(text: &str, needle: &str, file: &Path) -> String {
    let offset = text.find(needle).unwrap_or_else(|| panic!("`{needle}` not in\n{text}"));
    let (line, col) = schedlab_sim::scenario::line_col(text, offset);
    format!("{}:{line}:{col}: ", file.display())
}

#[test]
fn bad_tuning_input_is_an_error_naming_the_place() {
    let trace = "id,submit,duration,cpu,mem_mib,gpu,queue,workflow\nsearch,0,1,1,1024,0,cpu,dag\n";
    let base = "[[tuning]]\nop = \"search\"\nmetric = { name = \"acc\", goal = \"maximize\" }\n";
    let cases: Vec<(&str, String, &str, &str)> = vec![
        (
            "algorithm",
            format!("{base}algorithm = \"bayes\"\nspace = {{ x = \"choice(1, 2)\" }}\n"),
            "\"bayes\"",
            "unknown algorithm `bayes`; expected one of: grid, random, hyperband, mapping",
        ),
        (
            "space",
            format!("{base}algorithm = \"random\"\ntrials = 3\nspace = {{ lr = \"loguniform(0, 1)\" }}\n"),
            "\"loguniform(0, 1)\"",
            "space `lr`: `loguniform(0, 1)`: loguniform lo must be positive",
        ),
        (
            "syntax",
            format!("{base}algorithm = \"random\"\ntrials = 3\nspace = {{ lr = \"normal(0, 1)\" }}\n"),
            "\"normal(0, 1)\"",
            "expected `choice(v, ..)`",
        ),
        ("trials", format!("{base}algorithm = \"random\"\nspace = {{ x = \"uniform(0, 1)\" }}\n"), "[[tuning]]", "algorithm \"random\" needs `trials`"),
        (
            "eta",
            format!("{base}algorithm = \"hyperband\"\nmax_iterations = 9\nresource = \"e\"\nspace = {{ x = \"uniform(0, 1)\" }}\n"),
            "[[tuning]]",
            "algorithm \"hyperband\" needs `eta`",
        ),
        (
            "eta-range",
            format!("{base}algorithm = \"hyperband\"\nmax_iterations = 9\neta = 1\nresource = \"e\"\nspace = {{ x = \"uniform(0, 1)\" }}\n"),
            "1\nresource",
            "expected `eta` to be a whole number >= 2, got 1",
        ),
        ("values", format!("{base}algorithm = \"mapping\"\n"), "[[tuning]]", "algorithm \"mapping\" needs `values`"),
        (
            "metric",
            "[[tuning]]\nop = \"search\"\nalgorithm = \"grid\"\nspace = { x = \"choice(1)\" }\n".to_string(),
            "[[tuning]]",
            "algorithm \"grid\" needs `metric`",
        ),
        (
            "foreign-key",
            format!("{base}algorithm = \"grid\"\ntrials = 3\nspace = {{ x = \"choice(1)\" }}\n"),
            "3\nspace",
            "`trials` does not apply to algorithm \"grid\" (only to random)",
        ),
        (
            "grid-space",
            format!("{base}algorithm = \"grid\"\nspace = {{ x = \"uniform(0, 1)\" }}\n"),
            "\"uniform(0, 1)\"",
            "grid search needs `choice(...)` or `range(lo, hi, step)`",
        ),
        (
            "policy",
            format!("{base}algorithm = \"grid\"\nspace = {{ x = \"choice(1)\" }}\nearly_stopping = [{{ policy = \"bandit\" }}]\n"),
            "\"bandit\"",
            "unknown early-stopping policy `bandit`; expected one of: metric_reached, failures, median, truncation, diff",
        ),
        (
            "policy-key",
            format!("{base}algorithm = \"grid\"\nspace = {{ x = \"choice(1)\" }}\nearly_stopping = [{{ policy = \"median\", percent = 5 }}]\n"),
            "5 }",
            "`percent` does not apply to policy \"median\"",
        ),
        (
            "model",
            format!("{base}algorithm = \"grid\"\nspace = {{ x = \"choice(1)\" }}\nmodel = {{ failure_rate = 2 }}\n"),
            "2 }",
            "expected model `failure_rate` in [0, 1], got 2",
        ),
        (
            "queue",
            format!("{base}algorithm = \"grid\"\nqueue = \"tpu\"\nspace = {{ x = \"choice(1)\" }}\n"),
            "\"tpu\"",
            "unknown queue `tpu`; defined queues: cpu, gpu",
        ),
        (
            "twice",
            format!("{base}algorithm = \"grid\"\nspace = {{ x = \"choice(1)\" }}\n\n[[tuning]]\nop = \"search\"\nalgorithm = \"mapping\"\nvalues = [{{ a = 1 }}]\n"),
            "\"search\"\nalgorithm = \"mapping\"",
            "operation `search` already runs the [[tuning]] on line",
        ),
        (
            "unknown-op",
            format!("{base}algorithm = \"grid\"\nspace = {{ x = \"choice(1)\" }}\n").replace("op = \"search\"", "op = \"serch\""),
            "\"serch\"",
            "[[tuning]] names operation `serch`, which is not in the workload",
        ),
        (
            "deadlock",
            format!("[[workflows]]\nname = \"dag\"\nconcurrency = 1\n\n{base}algorithm = \"grid\"\nspace = {{ x = \"choice(1)\" }}\n"),
            "\"search\"",
            "whose controller `dag` has concurrency 1",
        ),
    ];
    for (name, tuning, needle, want) in cases {
        let (e, text, path) = error(name, &tuning, trace);
        let place = at(&text, needle, &path);
        assert!(e.starts_with(&place), "{name}: expected `{place}…`, got `{e}`");
        assert!(e.contains(want), "{name}: `{want}` not in `{e}`");
    }
    // The unknown id suggests the near one.
    let (e, _, _) = error(
        "suggest",
        &format!("{base}algorithm = \"grid\"\nspace = {{ x = \"choice(1)\" }}\n")
            .replace("op = \"search\"", "op = \"serch\""),
        trace,
    );
    assert!(e.contains("did you mean `search`?"), "{e}");
}

#[test]
fn validate_shows_the_tuning_runs() {
    let d = tmp("describe");
    let s = Scenario::load(&write(&d, GRID, GRID_TRACE)).unwrap();
    let shown = s.to_string();
    for want in [
        "tuning    (each run by the operation it names)",
        "search: grid; metric acc (maximize)",
        "trials on queue (the controller's), concurrency 2, each the controller row's request",
        "lr = choice(0.1, 0.01)",
        "layers = choice(2, 4)",
        "model: 10m per trial",
    ] {
        assert!(shown.contains(want), "no `{want}` in:\n{shown}");
    }
}
