//! The cluster side of the user commands: submit a trace as suspended Jobs, show the status
//! timeline, record what ran as a native trace, stop, approve (or reject) and restart an
//! operation.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::batch::v1::Job;
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use kube::{Api, Client};
use schedlab_sim::Scenario;
use schedlab_traces::TraceRecord;
use serde_json::json;

use crate::annotations as ann;
use crate::driver::jobs;

/// A DNS-1123 Job name from a trace id (`Job 7/a` → `job-7-a`).
pub fn job_name(id: &str) -> String {
    let mut s: String =
        id.to_ascii_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    s = s.trim_matches('-').to_string();
    if s.is_empty() || !s.as_bytes()[0].is_ascii_alphabetic() {
        s = format!("op-{s}");
    }
    s.truncate(63);
    s.trim_end_matches('-').to_string()
}

/// The namespace a record's Job goes to: its queue's agent's namespace (the default queue of
/// its project, or the organisation's, when it names none), else `default`.
pub fn namespace_for(s: &Scenario, r: &TraceRecord) -> String {
    let queue = r
        .queue
        .as_deref()
        .and_then(|q| s.queues.iter().position(|x| x.name == q))
        .or_else(|| {
            let p = r.project.as_deref().or(s.default_project.as_deref())?;
            s.projects.iter().find(|x| x.name == p)?.default_queue.map(|q| q.index())
        })
        .or(s.org_default_queue.map(|q| q.index()));
    queue
        .and_then(|q| s.agents[s.queues[q].agent.index()].namespace.clone())
        .unwrap_or_else(|| "default".into())
}

/// A suspended Job for a trace record; it runs `duration / time_scale` seconds. `upstream`
/// maps trace ids to the namespace of their Job.
pub fn job_for(
    s: &Scenario,
    r: &TraceRecord,
    order: usize,
    time_scale: f64,
    image: &str,
    upstream: &std::collections::HashMap<&str, String>,
) -> serde_json::Value {
    let secs = r.duration as f64 / 1000.0 / time_scale;
    let mut labels = BTreeMap::new();
    if let Some(q) = &r.queue {
        labels.insert(ann::QUEUE_LABEL.to_string(), q.clone());
    }
    let mut a = BTreeMap::new();
    a.insert(ann::DURATION.to_string(), format!("{secs:.3}"));
    a.insert(ann::ORDER.to_string(), order.to_string());
    if let Some(p) = r.project.as_deref().or(s.default_project.as_deref()) {
        a.insert(ann::PROJECT.to_string(), p.to_string());
    }
    if let Some(p) = r.priority {
        a.insert(ann::PRIORITY.to_string(), p.to_string());
    }
    if let Some(w) = &r.workflow {
        a.insert(ann::WORKFLOW.to_string(), w.clone());
    }
    if !r.depends_on.is_empty() {
        // Upstream Jobs in another namespace are named `namespace/name`.
        let ns = namespace_for(s, r);
        let deps: Vec<String> = r
            .depends_on
            .iter()
            .map(|d| match upstream.get(d.as_str()) {
                Some(up_ns) if *up_ns != ns => format!("{up_ns}/{}", job_name(d)),
                _ => job_name(d),
            })
            .collect();
        a.insert(ann::DEPENDS_ON.to_string(), deps.join(";"));
    }
    let mut requests =
        json!({"cpu": crate::quantity::fmt_cpu(r.cpu_milli.max(1)), "memory": format!("{}Mi", r.mem_mib)});
    if r.gpu > 0 {
        requests["nvidia.com/gpu"] = json!(r.gpu.to_string());
    }
    let c = &r.constraints;
    let selector: BTreeMap<&str, &str> =
        c.node_selector.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let tolerations: Vec<_> = c
        .tolerations
        .iter()
        .map(|t| {
            let mut v = json!({"key": t.key, "operator": if t.value.is_some() { "Equal" } else { "Exists" }});
            if let Some(val) = &t.value {
                v["value"] = json!(val);
            }
            if let Some(e) = &t.effect {
                v["effect"] = json!(e);
            }
            v
        })
        .collect();
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": job_name(&r.id), "namespace": namespace_for(s, r), "labels": labels, "annotations": a},
        "spec": {
            "suspend": true,
            "backoffLimit": 0,
            "template": {"spec": {
                "restartPolicy": "Never",
                "nodeSelector": selector,
                "tolerations": tolerations,
                "containers": [{
                    "name": "op",
                    "image": image,
                    "command": ["sleep", format!("{secs:.3}")],
                    "resources": {"requests": requests.clone(), "limits": requests},
                }],
            }},
        },
    })
}

/// Creates the records' Jobs, each at its submit time divided by `time_scale` after the
/// start (all at once with `at_once`). Returns how many were created.
pub async fn submit_trace(
    client: Client,
    scenario: &Scenario,
    records: &[TraceRecord],
    time_scale: f64,
    at_once: bool,
    image: &str,
) -> Result<usize, String> {
    let start = tokio::time::Instant::now();
    let first = records.iter().map(|r| r.submit).min().unwrap_or(0);
    let namespaces: std::collections::HashMap<&str, String> =
        records.iter().map(|r| (r.id.as_str(), namespace_for(scenario, r))).collect();
    let mut n = 0;
    for (i, r) in records.iter().enumerate() {
        if !at_once {
            let at = Duration::from_secs_f64(((r.submit - first) as f64 / 1000.0 / time_scale).max(0.0));
            tokio::time::sleep_until(start + at).await;
        }
        let job: Job = serde_json::from_value(job_for(scenario, r, i, time_scale, image, &namespaces))
            .map_err(|e| format!("record `{}`: {e}", r.id))?;
        let ns = job.metadata.namespace.clone().unwrap_or_default();
        let api: Api<Job> = Api::namespaced(client.clone(), &ns);
        let mut delay = Duration::from_millis(10);
        loop {
            match api.create(&PostParams::default(), &job).await {
                Ok(_) => break,
                Err(kube::Error::Api(e)) if e.code == 409 => {
                    return Err(format!(
                        "Job {ns}/{} already exists (was this trace submitted before?)",
                        job_name(&r.id)
                    ))
                }
                Err(kube::Error::Api(e)) if e.code < 500 && e.code != 429 => {
                    return Err(format!("cannot create Job {ns}/{}: {}", job_name(&r.id), e.message))
                }
                Err(e) if delay > Duration::from_secs(5) => {
                    return Err(format!("cannot create Job {ns}/{}: {e}", job_name(&r.id)))
                }
                Err(_) => {
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
            }
        }
        n += 1;
    }
    Ok(n)
}

/// Every Job in the cluster (or one namespace).
pub async fn list_jobs(client: Client, namespace: Option<&str>) -> Result<Vec<Job>, String> {
    let api: Api<Job> = match namespace {
        Some(ns) => Api::namespaced(client, ns),
        None => Api::all(client),
    };
    let list = api.list(&ListParams::default()).await.map_err(|e| format!("cannot list Jobs: {e}"))?;
    Ok(list.items)
}

/// One operation's status, as the cluster shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpStatus {
    pub namespace: String,
    pub name: String,
    pub queue: String,
    pub status: &'static str,
    pub node: String,
    pub created_ms: i64,
    pub admitted_ms: Option<i64>,
    pub admission: Option<u64>,
    pub finished_ms: Option<i64>,
    pub note: String,
}

/// Reads the status of each schedlab Job, in creation order.
pub fn statuses(jobs_list: &[Job]) -> Vec<OpStatus> {
    let mut out: Vec<OpStatus> = jobs_list
        .iter()
        .filter(|j| {
            jobs::labels(j).contains_key(ann::QUEUE_LABEL)
                || jobs::annotations(j).keys().any(|k| k.starts_with("schedlab.io/"))
        })
        .map(|j| {
            let (ns, name) = jobs::key(j);
            let refused = jobs::annotation(j, ann::REFUSED)
                .map(|r| ("refused", r))
                .or_else(|| jobs::annotation(j, ann::REJECTED).map(|r| ("rejected", r)))
                .or_else(|| jobs::annotation(j, ann::UPSTREAM_FAILED).map(|r| ("upstream_failed", r)));
            let finished = jobs::finished(j);
            let admitted = jobs::annotation(j, ann::ADMITTED_NODE);
            let awaiting = admitted.is_none()
                && jobs::annotation(j, ann::APPROVAL).is_some()
                && jobs::annotation(j, ann::APPROVED).is_none();
            let refused = refused.or_else(|| jobs::annotation(j, ann::CACHE_HIT).map(|r| ("cache_hit", r)));
            let status = match (&finished, refused, admitted, jobs::suspended(j)) {
                (Some(Ok(())), ..) => "succeeded",
                (Some(Err(_)), ..) => "failed",
                (None, Some((s, _)), ..) => s,
                (None, None, Some(_), false) if jobs::annotation(j, ann::STOP).is_some() => "stopping",
                (None, None, Some(_), false) => "running",
                (None, None, _, true) if awaiting => "awaiting_approval",
                (None, None, _, true) => "queued",
                (None, None, None, false) => "unmanaged",
            };
            OpStatus {
                namespace: ns,
                name,
                queue: jobs::labels(j).get(ann::QUEUE_LABEL).cloned().unwrap_or_default(),
                status,
                node: admitted.unwrap_or("").to_string(),
                created_ms: jobs::created_ms(j),
                admitted_ms: jobs::annotation(j, ann::ADMITTED_AT).and_then(jobs::parse_time_ms),
                admission: jobs::annotation(j, ann::ADMISSION).and_then(|v| v.parse().ok()),
                finished_ms: finished.as_ref().and_then(|_| jobs::finished_at_ms(j)),
                note: match (refused, finished) {
                    (Some((_, r)), _) => r.to_string(),
                    (None, Some(Err(r))) => r,
                    _ => String::new(),
                },
            }
        })
        .collect();
    out.sort_by_key(|s| (s.created_ms, s.namespace.clone(), s.name.clone()));
    out
}

/// A table of statuses; times are seconds after the first Job's creation.
pub fn format_statuses(s: &[OpStatus]) -> String {
    let t0 = s.iter().map(|x| x.created_ms).min().unwrap_or(0);
    let secs =
        |t: Option<i64>| t.map(|t| format!("{:.3}", (t - t0) as f64 / 1000.0)).unwrap_or_else(|| "-".into());
    let mut out = format!(
        "{:<32} {:<14} {:<10} {:<16} {:>9} {:>9} {:>9}  note\n",
        "namespace/job", "queue", "status", "node", "created", "admitted", "finished"
    );
    for x in s {
        out.push_str(&format!(
            "{:<32} {:<14} {:<10} {:<16} {:>9} {:>9} {:>9}  {}\n",
            format!("{}/{}", x.namespace, x.name),
            x.queue,
            x.status,
            if x.node.is_empty() { "-" } else { &x.node },
            secs(Some(x.created_ms)),
            secs(x.admitted_ms),
            secs(x.finished_ms),
            x.note
        ));
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for x in s {
        *counts.entry(x.status).or_default() += 1;
    }
    out.push_str(&format!(
        "{} operations: {}\n",
        s.len(),
        counts.iter().map(|(k, v)| format!("{v} {k}")).collect::<Vec<_>>().join(", ")
    ));
    out
}

/// What ran, as native trace records: submit = creation (relative to the first Job), duration
/// = admitted to finished (or the duration annotation while unfinished).
pub fn record(jobs_list: &[Job]) -> Vec<TraceRecord> {
    let mut v: Vec<&Job> =
        jobs_list.iter().filter(|j| jobs::annotation(j, ann::ADMITTED_NODE).is_some()).collect();
    v.sort_by_key(|j| (jobs::created_ms(j), jobs::key(j)));
    let t0 = v.first().map(|j| jobs::created_ms(j)).unwrap_or(0);
    v.iter()
        .enumerate()
        .map(|(i, j)| {
            let req = ann::parse(jobs::labels(j), jobs::annotations(j)).unwrap_or_default();
            let r = jobs::requests(j);
            let admitted = jobs::annotation(j, ann::ADMITTED_AT).and_then(jobs::parse_time_ms);
            let duration = match (admitted, jobs::finished_at_ms(j).filter(|_| jobs::finished(j).is_some())) {
                (Some(a), Some(f)) => (f - a).max(0),
                _ => req.duration_ms.unwrap_or(0),
            };
            TraceRecord {
                id: jobs::key(j).1,
                submit: jobs::created_ms(j) - t0,
                duration,
                cpu_milli: r.get(0),
                mem_mib: r.get(1),
                gpu: r.get(2),
                queue: req.queue,
                project: req.project,
                priority: Some(req.priority),
                workflow: req.workflow,
                depends_on: req.depends_on,
                constraints: jobs::constraints(j),
                line: i as u64 + 2,
                ..Default::default()
            }
        })
        .collect()
}

/// Finds a Job by name (`NAME` or `NAMESPACE/NAME`).
pub async fn find_job(client: Client, op: &str) -> Result<(String, String), String> {
    if let Some((ns, name)) = op.split_once('/') {
        return Ok((ns.to_string(), name.to_string()));
    }
    let all = list_jobs(client, None).await?;
    let found: Vec<_> = all.iter().map(jobs::key).filter(|(_, n)| n == op).collect();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(format!("no Job named `{op}` in any namespace")),
        many => Err(format!(
            "several Jobs are named `{op}` ({}); say which as NAMESPACE/NAME",
            many.iter().map(|(ns, n)| format!("{ns}/{n}")).collect::<Vec<_>>().join(", ")
        )),
    }
}

/// Asks the driver to stop an operation (it deletes the Job once stopped).
pub async fn request_stop(client: Client, op: &str) -> Result<String, String> {
    let (ns, name) = find_job(client.clone(), op).await?;
    let api: Api<Job> = Api::namespaced(client, &ns);
    let patch = json!({"metadata": {"annotations": {ann::STOP: "requested"}}});
    api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(|e| format!("cannot annotate Job {ns}/{name}: {e}"))?;
    Ok(format!("{ns}/{name}"))
}

/// Gets a Job (`NAME` or `NAMESPACE/NAME`).
pub async fn get_job(client: Client, op: &str) -> Result<Job, String> {
    let (ns, name) = find_job(client.clone(), op).await?;
    let api: Api<Job> = Api::namespaced(client, &ns);
    match api.get(&name).await {
        Ok(j) => Ok(j),
        Err(kube::Error::Api(e)) if e.code == 404 => Err(format!("no Job {ns}/{name}")),
        Err(e) => Err(format!("cannot read Job {ns}/{name}: {e}")),
    }
}

/// Approves (or, with `reject`, rejects) an operation annotated `schedlab.io/approval:
/// required`: writes `schedlab.io/approved: "true"` (or `"false"`), which the driver acts
/// on. Returns what was done, as a sentence.
pub async fn approve(client: Client, op: &str, reject: bool) -> Result<String, String> {
    let job = get_job(client.clone(), op).await?;
    let (ns, name) = jobs::key(&job);
    let shown = format!("{ns}/{name}");
    if jobs::annotation(&job, ann::APPROVAL).is_none() {
        return Err(format!(
            "Job {shown} does not need approval (it has no `{}: required` annotation)",
            ann::APPROVAL
        ));
    }
    if let Some(r) = jobs::annotation(&job, ann::REFUSED) {
        return Err(format!("Job {shown} was refused by the driver ({r}); there is nothing to approve"));
    }
    let want = if reject { "false" } else { "true" };
    match jobs::annotation(&job, ann::APPROVED).map(str::trim) {
        Some(v) if v == want => {
            return Ok(format!("{shown} was already {}", if reject { "rejected" } else { "approved" }))
        }
        Some("true") => {
            return Err(format!(
                "Job {shown} is already approved; stop it instead (schedlab live stop {shown})"
            ))
        }
        Some("false") => {
            return Err(format!(
                "Job {shown} is already rejected; restart it to ask again (schedlab live restart {shown})"
            ))
        }
        _ => {}
    }
    // The version read above is a precondition: a concurrent decision is not overwritten.
    let patch = json!({"metadata": {
        "resourceVersion": job.metadata.resource_version,
        "annotations": {ann::APPROVED: want},
    }});
    let api: Api<Job> = Api::namespaced(client, &ns);
    match api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch)).await {
        Ok(_) => Ok(format!("{} {shown}", if reject { "rejected" } else { "approved" })),
        Err(kube::Error::Api(e)) if e.code == 409 => {
            Err(format!("Job {shown} changed while being approved; run the command again"))
        }
        Err(e) => Err(format!("cannot annotate Job {shown}: {e}")),
    }
}

/// Labels the API server sets on a Job and its pods (never copied into a new Job).
const SERVER_LABELS: [&str; 4] =
    ["controller-uid", "batch.kubernetes.io/controller-uid", "job-name", "batch.kubernetes.io/job-name"];

/// The copy `schedlab live restart` creates of a finished Job: the same spec, suspended, with
/// no admission bookkeeping, the pod template free of what the API server and the driver set,
/// annotated [`ann::RESTART_OF`] (the name is set by [`restart`]).
pub fn restart_copy(job: &Job) -> Result<serde_json::Value, String> {
    let (ns, name) = jobs::key(job);
    let mut v = serde_json::to_value(job).map_err(|e| format!("Job {ns}/{name}: {e}"))?;
    let mut meta = serde_json::Map::new();
    meta.insert("namespace".into(), json!(ns));
    let strip_labels = |labels: &serde_json::Value| -> serde_json::Value {
        let mut l = labels.as_object().cloned().unwrap_or_default();
        l.retain(|k, _| !SERVER_LABELS.contains(&k.as_str()));
        serde_json::Value::Object(l)
    };
    meta.insert("labels".into(), strip_labels(&v["metadata"]["labels"]));
    let mut a = v["metadata"]["annotations"].as_object().cloned().unwrap_or_default();
    a.retain(|k, _| !ann::ADMISSION_KEYS.contains(&k.as_str()) && k != ann::RESTART_OF);
    a.insert(ann::RESTART_OF.into(), json!(format!("{ns}/{name}")));
    meta.insert("annotations".into(), serde_json::Value::Object(a));
    let mut spec = v["spec"].take();
    if !spec.is_object() {
        return Err(format!("Job {ns}/{name} has no spec to copy"));
    }
    let s = spec.as_object_mut().expect("checked above");
    s.remove("selector");
    s.remove("manualSelector");
    s.insert("suspend".into(), json!(true));
    let t = &mut spec["template"];
    if t["metadata"]["labels"].is_object() {
        t["metadata"]["labels"] = strip_labels(&t["metadata"]["labels"]);
    }
    if let Some(sel) = t["spec"]["nodeSelector"].as_object_mut() {
        sel.remove(jobs::HOSTNAME);
    }
    Ok(json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": spec}))
}

/// `NAME-rN` for the `n`th restart of `base`, within the 63 characters of a Job name.
pub fn restart_name(base: &str, n: u32) -> String {
    let suffix = format!("-r{n}");
    let mut b = base.to_string();
    b.truncate(63 - suffix.len());
    format!("{}{suffix}", b.trim_end_matches('-'))
}

/// Restarts an operation: creates a new suspended Job copied from a finished one (succeeded,
/// failed, refused, rejected or upstream-failed), named `NAME-r1`, `NAME-r2`, ... (a restart
/// of a restart counts on from the same name). Returns `namespace/new-name`.
pub async fn restart(client: Client, op: &str) -> Result<String, String> {
    let job = get_job(client.clone(), op).await?;
    let (ns, name) = jobs::key(&job);
    let ended = jobs::finished(&job).is_some()
        || [ann::REFUSED, ann::REJECTED, ann::UPSTREAM_FAILED, ann::CACHE_HIT]
            .iter()
            .any(|a| jobs::annotation(&job, a).is_some());
    if !ended {
        let state = if jobs::annotation(&job, ann::ADMITTED_NODE).is_some() && !jobs::suspended(&job) {
            "running"
        } else {
            "queued"
        };
        return Err(format!(
            "Job {ns}/{name} is still {state}: only a finished Job can be restarted (stop it first: schedlab live stop {ns}/{name})"
        ));
    }
    let copy = restart_copy(&job)?;
    // A restart of `x-r2` is `x-r3`, not `x-r2-r1`.
    let base = match jobs::annotation(&job, ann::RESTART_OF) {
        Some(_) => match name.rsplit_once("-r") {
            Some((b, n)) if !b.is_empty() && !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()) => b,
            _ => name.as_str(),
        },
        None => name.as_str(),
    }
    .to_string();
    let api: Api<Job> = Api::namespaced(client, &ns);
    for n in 1..=1000 {
        let new_name = restart_name(&base, n);
        let mut v = copy.clone();
        v["metadata"]["name"] = json!(new_name);
        let new: Job = serde_json::from_value(v).map_err(|e| format!("Job {ns}/{name}: {e}"))?;
        match api.create(&PostParams::default(), &new).await {
            Ok(_) => return Ok(format!("{ns}/{new_name}")),
            Err(kube::Error::Api(e)) if e.code == 409 => continue,
            Err(e) => return Err(format!("cannot create Job {ns}/{new_name}: {e}")),
        }
    }
    Err(format!("Job {ns}/{name} has been restarted 1000 times already; delete old restarts first"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_names_fit_a_job_name() {
        assert_eq!(restart_name("train", 1), "train-r1");
        assert_eq!(restart_name("train", 12), "train-r12");
        let long = "a".repeat(63);
        let n = restart_name(&long, 7);
        assert_eq!(n.len(), 63);
        assert!(n.ends_with("a-r7"));
        assert_eq!(
            restart_name(&format!("{}-{}", "a".repeat(59), "bc"), 1),
            format!("{}-r1", "a".repeat(59))
        );
    }
}
