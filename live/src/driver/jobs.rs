//! Reading Kubernetes Jobs and Nodes into what the kernel needs.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Node;
use schedlab_policies::model::{Constraints, Taint, Toleration};
use schedlab_policies::Resources;

use crate::quantity;

/// (namespace, name).
pub type JobKey = (String, String);

pub fn key(job: &Job) -> JobKey {
    (job.metadata.namespace.clone().unwrap_or_default(), job.metadata.name.clone().unwrap_or_default())
}

pub fn labels(job: &Job) -> &BTreeMap<String, String> {
    static EMPTY: BTreeMap<String, String> = BTreeMap::new();
    job.metadata.labels.as_ref().unwrap_or(&EMPTY)
}

pub fn annotations(job: &Job) -> &BTreeMap<String, String> {
    static EMPTY: BTreeMap<String, String> = BTreeMap::new();
    job.metadata.annotations.as_ref().unwrap_or(&EMPTY)
}

pub fn annotation<'a>(job: &'a Job, k: &str) -> Option<&'a str> {
    annotations(job).get(k).map(String::as_str)
}

pub fn uid(job: &Job) -> &str {
    job.metadata.uid.as_deref().unwrap_or("")
}

pub fn suspended(job: &Job) -> bool {
    job.spec.as_ref().and_then(|s| s.suspend).unwrap_or(false)
}

/// `Some(Ok(()))` succeeded, `Some(Err(reason))` failed, `None` not finished.
pub fn finished(job: &Job) -> Option<Result<(), String>> {
    let status = job.status.as_ref()?;
    for c in status.conditions.iter().flatten() {
        if c.status == "True" {
            match c.type_.as_str() {
                "Complete" => return Some(Ok(())),
                "Failed" => {
                    return Some(Err(c
                        .message
                        .clone()
                        .or_else(|| c.reason.clone())
                        .unwrap_or_else(|| "the Job failed".into())))
                }
                _ => {}
            }
        }
    }
    None
}

/// When the Job finished (its completion time or its last condition's transition), in ms.
pub fn finished_at_ms(job: &Job) -> Option<i64> {
    let status = job.status.as_ref()?;
    status.completion_time.as_ref().map(|t| t.0.timestamp_millis()).or_else(|| {
        status
            .conditions
            .iter()
            .flatten()
            .filter_map(|c| c.last_transition_time.as_ref())
            .map(|t| t.0.timestamp_millis())
            .max()
    })
}

pub fn created_ms(job: &Job) -> i64 {
    job.metadata.creation_timestamp.as_ref().map(|t| t.0.timestamp_millis()).unwrap_or(0)
}

/// What the pod template's containers request (requests, else limits).
pub fn requests(job: &Job) -> Resources {
    let mut r = [0u64; 3];
    let pod = job.spec.as_ref().and_then(|s| s.template.spec.as_ref());
    for c in pod.map(|p| p.containers.as_slice()).unwrap_or_default() {
        let Some(res) = c.resources.as_ref() else { continue };
        let Some(q) = res.requests.as_ref().or(res.limits.as_ref()) else { continue };
        let get = |k: &str| q.get(k).map(|v| v.0.as_str());
        r[0] += get("cpu").and_then(quantity::cpu_milli).unwrap_or(0);
        r[1] += get("memory").and_then(quantity::mem_mib).unwrap_or(0);
        r[2] += get("nvidia.com/gpu").and_then(quantity::count).unwrap_or(0);
    }
    Resources::new(r[0], r[1], r[2])
}

/// The pod template's node selector (minus the hostname schedlab sets) and tolerations.
pub fn constraints(job: &Job) -> Constraints {
    let mut c = Constraints::default();
    let Some(pod) = job.spec.as_ref().and_then(|s| s.template.spec.as_ref()) else { return c };
    for (k, v) in pod.node_selector.iter().flatten() {
        if k != HOSTNAME {
            c.node_selector.push((k.clone(), v.clone()));
        }
    }
    for t in pod.tolerations.iter().flatten() {
        let exists = t.operator.as_deref() == Some("Exists");
        c.tolerations.push(Toleration {
            key: t.key.clone().unwrap_or_default(),
            value: if exists { None } else { Some(t.value.clone().unwrap_or_default()) },
            effect: t.effect.clone().filter(|e| !e.is_empty()),
        });
    }
    c
}

pub const HOSTNAME: &str = "kubernetes.io/hostname";

/// A node as the kernel sees it: labels (minus per-node and schedlab bookkeeping labels),
/// taints and allocatable (cpu milli, MiB, gpu).
pub fn node_view(node: &Node) -> (Vec<(String, String)>, Vec<Taint>, Resources) {
    let mut labels: Vec<(String, String)> = node
        .metadata
        .labels
        .iter()
        .flatten()
        .filter(|(k, _)| {
            k.as_str() != HOSTNAME && k.as_str() != crate::AGENT_LABEL && k.as_str() != crate::POOL_LABEL
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    labels.sort();
    let taints = node
        .spec
        .as_ref()
        .and_then(|s| s.taints.as_ref())
        .into_iter()
        .flatten()
        .map(|t| Taint {
            key: t.key.clone(),
            value: t.value.clone().unwrap_or_default(),
            effect: t.effect.clone(),
        })
        .collect();
    let alloc = node.status.as_ref().and_then(|s| s.allocatable.as_ref());
    let get = |k: &str| alloc.and_then(|a| a.get(k)).map(|q| q.0.as_str());
    let r = Resources::new(
        get("cpu").and_then(quantity::cpu_milli).unwrap_or(0),
        get("memory").and_then(quantity::mem_mib).unwrap_or(0),
        get("nvidia.com/gpu").and_then(quantity::count).unwrap_or(0),
    );
    (labels, taints, r)
}

/// RFC 3339 with milliseconds.
pub fn fmt_time_ms(ms: i64) -> String {
    k8s_openapi::chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(k8s_openapi::chrono::SecondsFormat::Millis, true)
}

pub fn parse_time_ms(s: &str) -> Option<i64> {
    k8s_openapi::chrono::DateTime::parse_from_rfc3339(s.trim()).ok().map(|t| t.timestamp_millis())
}

pub fn now_ms() -> i64 {
    k8s_openapi::chrono::Utc::now().timestamp_millis()
}
