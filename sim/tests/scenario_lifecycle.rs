//! Lifecycle settings of scenario files, read from disk with their workload: scripted actions
//! must name operations the workload has.

use std::path::{Path, PathBuf};

use schedlab_sim::scenario::{ActionKind, CacheMode};
use schedlab_sim::{workload, Scenario};

/// A fresh folder for one test's files.
fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("schedlab-sim-lifecycle-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

const TRACE: &str = "\
id,submit,duration,cpu,mem_mib,gpu,queue,project,priority,workflow,depends_on
prep-1,0,60,1,1024,0,cpu,,,,
train-1,10,600,4,8192,1,gpu,,,,prep-1
train-2,20,600,4,8192,1,gpu,,,,prep-1
train-30,30,600,4,8192,1,gpu,,,,
";

fn scenario(actions: &str) -> String {
    format!(
        r#"name = "lifecycle"

[[agents]]
name = "k8s"

[[pools]]
name = "gpu"
agent = "k8s"
nodes = 2
cpu = 16
memory = "64Gi"
gpu = 4

[[queues]]
name = "cpu"
agent = "k8s"
timeout = "1h"
retries = 1

[[queues]]
name = "gpu"
agent = "k8s"
fail_probability = 0.2

[workload]
trace = "ops.csv"

[cache]
mode = "off"

[[routes]]
when = "resources.gpu >= 1"
queue = "gpu"
{actions}"#
    )
}

fn write(dir: &Path, actions: &str) -> PathBuf {
    std::fs::write(dir.join("ops.csv"), TRACE).unwrap();
    let path = dir.join("lifecycle.toml");
    std::fs::write(&path, scenario(actions)).unwrap();
    path
}

#[test]
fn actions_on_operations_of_the_workload_load() {
    let d = tmp("known");
    let path = write(&d, "\n[[actions]]\nat = \"5m\"\nop = \"train-2\"\naction = \"stop\"\n");
    let s = Scenario::load(&path).unwrap();
    assert_eq!(s.lifecycle.cache.mode, CacheMode::Off);
    assert_eq!(s.lifecycle.fail_probability, vec![0.0, 0.2]);
    assert_eq!(s.lifecycle.actions.len(), 1);
    assert_eq!(s.lifecycle.actions[0].kind, ActionKind::Stop);
    let w = workload::load(&s, s.seed).unwrap();
    assert_eq!(w.records.len(), 4);
    let _ = s.build_kernel();
}

#[test]
fn an_action_naming_a_missing_operation_is_an_error_at_its_line() {
    let d = tmp("missing");
    let actions = "\n[[actions]]\nat = \"5m\"\nop = \"train-1\"\naction = \"approve\"\n\
                   \n[[actions]]\nat = \"1m\"\nop = \"train-3\"\naction = \"stop\"\n";
    let path = write(&d, actions);
    let s = Scenario::load(&path).expect("the scenario itself is fine");
    let e = workload::load(&s, s.seed).err().expect("train-3 is not in the workload");
    let text = std::fs::read_to_string(&path).unwrap();
    let line = text.lines().position(|l| l == "op = \"train-3\"").unwrap(); // 0-based op line
    assert_eq!(text.lines().nth(line - 2), Some("[[actions]]"));
    let shown = e.to_string();
    assert_eq!(e.file, path.display().to_string());
    assert_eq!(e.line, Some((line - 1) as u64), "{shown}");
    assert!(shown.starts_with(&format!("{}:{}: ", path.display(), line - 1)), "{shown}");
    assert!(shown.contains("`train-3`") && shown.contains("not in the workload"), "{shown}");
    assert!(shown.contains("did you mean `train-30`?"), "{shown}");
}
