//! The emulator's object store: Jobs, Nodes and Events, a resource version counter, the
//! change log watches read from, and the Job "runner".

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use serde_json::{json, Value};
use tokio::sync::broadcast;

use crate::annotations;

/// The kinds of object the emulator serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Job,
    Node,
    Event,
}

impl Kind {
    pub fn api_version(self) -> &'static str {
        match self {
            Kind::Job => "batch/v1",
            _ => "v1",
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Kind::Job => "Job",
            Kind::Node => "Node",
            Kind::Event => "Event",
        }
    }
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Job => "jobs",
            Kind::Node => "nodes",
            Kind::Event => "events",
        }
    }
}

/// (kind, namespace ("" for cluster-scoped), name).
pub type Key = (Kind, String, String);

/// One change, as watches see it.
#[derive(Debug)]
pub struct Change {
    pub rv: u64,
    pub kind: Kind,
    pub namespace: String,
    pub kind_of_change: &'static str,
    pub object: Value,
}

/// An API error: HTTP code, reason and message (sent as a `Status`).
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { code, reason, message: message.into() }
    }
    pub fn not_found(key: &Key) -> ApiError {
        ApiError::new(404, "NotFound", format!("{} \"{}\" not found", key.0.plural(), key.2))
    }
}

/// A Job the runner has started: when it ends, and which run of it this is.
#[derive(Debug, Clone)]
pub struct Running {
    pub token: u64,
    /// The node it runs on (its hostname node selector) and what it requests there.
    pub host: Option<String>,
    pub requests: [u64; 3],
}

/// What the tests (and `live emulate`'s summary) can ask the emulator afterwards.
#[derive(Debug, Default, Clone)]
pub struct Audit {
    /// Every (verb, resource) served, e.g. ("patch", "jobs"), ("create", "events").
    pub calls: BTreeSet<(String, String)>,
    /// How many times each Job (namespace/name) was started (unsuspended while not running).
    pub starts: BTreeMap<String, u32>,
    /// Admissions that broke a rule: an unknown node, or more requested than a node holds.
    pub violations: Vec<String>,
    /// Requests answered with an injected fault.
    pub faults: u64,
}

pub struct Store {
    pub rv: u64,
    pub objects: BTreeMap<Key, Value>,
    pub log: VecDeque<Arc<Change>>,
    pub log_capacity: usize,
    /// Changes with a resource version at or below this are no longer in the log.
    pub compacted: u64,
    pub tx: broadcast::Sender<Arc<Change>>,
    pub running: HashMap<(String, String), Running>,
    pub next_token: u64,
    pub next_uid: u64,
    pub audit: Audit,
    /// What running Jobs request on each node.
    pub node_used: HashMap<String, [u64; 3]>,
    /// Run time of admitted Jobs = their duration annotation / this.
    pub time_scale: f64,
}

pub fn now_rfc3339() -> String {
    k8s_openapi::chrono::Utc::now().to_rfc3339_opts(k8s_openapi::chrono::SecondsFormat::Millis, true)
}

impl Store {
    pub fn new(log_capacity: usize, time_scale: f64) -> Store {
        let (tx, _) = broadcast::channel(65_536);
        Store {
            rv: 1,
            objects: BTreeMap::new(),
            log: VecDeque::new(),
            log_capacity: log_capacity.max(1),
            compacted: 1,
            tx,
            running: HashMap::new(),
            next_token: 0,
            next_uid: 0,
            audit: Audit::default(),
            node_used: HashMap::new(),
            time_scale: if time_scale.is_finite() && time_scale > 0.0 { time_scale } else { 1.0 },
        }
    }

    fn record(&mut self, key: &Key, kind_of_change: &'static str, object: Value) {
        let change =
            Arc::new(Change { rv: self.rv, kind: key.0, namespace: key.1.clone(), kind_of_change, object });
        self.log.push_back(change.clone());
        while self.log.len() > self.log_capacity {
            if let Some(old) = self.log.pop_front() {
                self.compacted = old.rv;
            }
        }
        let _ = self.tx.send(change);
    }

    fn bump(&mut self, obj: &mut Value) {
        self.rv += 1;
        obj["metadata"]["resourceVersion"] = json!(self.rv.to_string());
    }

    /// Creates an object (namespace and name from the key; `generateName` supported).
    pub fn create(&mut self, kind: Kind, namespace: &str, mut obj: Value) -> Result<Value, ApiError> {
        if !obj.is_object() {
            return Err(ApiError::new(400, "BadRequest", "the body is not a JSON object"));
        }
        if !obj["metadata"].is_object() {
            obj["metadata"] = json!({});
        }
        let mut name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
        if name.is_empty() {
            match obj["metadata"]["generateName"].as_str() {
                Some(prefix) => {
                    self.next_uid += 1;
                    name = format!("{prefix}{:05x}", self.next_uid);
                }
                None => return Err(ApiError::new(422, "Invalid", "metadata.name: Required value")),
            }
        }
        if !valid_name(&name) {
            return Err(ApiError::new(
                422,
                "Invalid",
                format!("metadata.name `{name}`: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'"),
            ));
        }
        let key = (kind, namespace.to_string(), name.clone());
        if self.objects.contains_key(&key) {
            return Err(ApiError::new(
                409,
                "AlreadyExists",
                format!("{} \"{name}\" already exists", kind.plural()),
            ));
        }
        self.next_uid += 1;
        obj["apiVersion"] = json!(kind.api_version());
        obj["kind"] = json!(kind.name());
        let meta = &mut obj["metadata"];
        meta["name"] = json!(name);
        if !namespace.is_empty() {
            meta["namespace"] = json!(namespace);
        }
        meta["uid"] = json!(format!("00000000-0000-4000-8000-{:012x}", self.next_uid));
        meta["creationTimestamp"] = json!(now_rfc3339());
        meta["generation"] = json!(1);
        if kind == Kind::Job {
            if obj["status"].is_null() {
                obj["status"] = json!({});
            }
            if obj["spec"]["suspend"].is_null() {
                obj["spec"]["suspend"] = json!(false);
            }
        }
        self.bump(&mut obj);
        self.objects.insert(key.clone(), obj.clone());
        self.record(&key, "ADDED", obj.clone());
        Ok(obj)
    }

    pub fn get(&self, key: &Key) -> Result<Value, ApiError> {
        self.objects.get(key).cloned().ok_or_else(|| ApiError::not_found(key))
    }

    /// Replaces an object by a modified copy (`status_only`: only the status is taken;
    /// otherwise the status is kept, as for resources with a status subresource).
    pub fn update(&mut self, key: &Key, mut new: Value, status_only: bool) -> Result<Value, ApiError> {
        let old = self.objects.get(key).ok_or_else(|| ApiError::not_found(key))?;
        if let Some(rv) = new["metadata"]["resourceVersion"].as_str() {
            if rv != old["metadata"]["resourceVersion"].as_str().unwrap_or("") {
                return Err(ApiError::new(
                    409,
                    "Conflict",
                    format!(
                        "Operation cannot be fulfilled on {} \"{}\": the object has been modified; please apply your changes to the latest version and try again",
                        key.0.plural(),
                        key.2
                    ),
                ));
            }
        }
        let mut obj = if status_only {
            let mut o = old.clone();
            o["status"] = new["status"].take();
            o
        } else {
            // Identity fields are the server's.
            for f in ["name", "namespace", "uid", "creationTimestamp"] {
                new["metadata"][f] = old["metadata"][f].clone();
            }
            if key.0 != Kind::Event {
                new["status"] = old["status"].clone();
            }
            if new["spec"] != old["spec"] {
                let g = old["metadata"]["generation"].as_u64().unwrap_or(1);
                new["metadata"]["generation"] = json!(g + 1);
            }
            new["apiVersion"] = json!(key.0.api_version());
            new["kind"] = json!(key.0.name());
            new
        };
        if obj == *old {
            return Ok(obj);
        }
        self.bump(&mut obj);
        self.objects.insert(key.clone(), obj.clone());
        self.record(key, "MODIFIED", obj.clone());
        Ok(obj)
    }

    pub fn delete(&mut self, key: &Key) -> Result<Value, ApiError> {
        let mut obj = self.objects.remove(key).ok_or_else(|| ApiError::not_found(key))?;
        self.stop_running(&(key.1.clone(), key.2.clone()));
        self.bump(&mut obj);
        self.record(key, "DELETED", obj.clone());
        Ok(obj)
    }

    /// Objects of a kind (in one namespace, or all with `None`), in key order.
    pub fn list(&self, kind: Kind, namespace: Option<&str>, selector: &Selector) -> Vec<Value> {
        self.objects
            .iter()
            .filter(|((k, ns, _), _)| *k == kind && namespace.is_none_or(|n| n == ns))
            .filter(|(_, v)| selector.matches(v))
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The Job runner (what KWOK does for a real cluster's pods): starts unsuspended Jobs,
    /// pauses suspended ones. Returns `(namespace, name, token, run time)` of a run to
    /// finish later.
    pub fn reconcile_job(&mut self, key: &Key) -> Option<(String, String, u64, std::time::Duration)> {
        let job = self.objects.get(key)?.clone();
        let id = (key.1.clone(), key.2.clone());
        let suspended = job["spec"]["suspend"].as_bool().unwrap_or(false);
        let done = is_finished(&job);
        let active = self.running.contains_key(&id);
        if done {
            return None;
        }
        if suspended && active {
            self.stop_running(&id);
            let mut j = job;
            j["status"]["active"] = json!(0);
            j["status"]["startTime"] = Value::Null;
            set_condition(&mut j, "Suspended", "True", "JobSuspended", "Job suspended");
            let _ = self.update(key, j, true);
            return None;
        }
        if suspended || active {
            return None;
        }
        // Start it.
        self.next_token += 1;
        let token = self.next_token;
        *self.audit.starts.entry(format!("{}/{}", key.1, key.2)).or_default() += 1;
        let host = self.check_placement(&job, &key.1, &key.2);
        self.running.insert(id.clone(), Running { token, host, requests: job_requests(&job) });
        let secs = job["metadata"]["annotations"][annotations::DURATION]
            .as_str()
            .and_then(annotations::parse_seconds)
            .unwrap_or(0) as f64
            / 1000.0
            / self.time_scale;
        let mut j = job;
        j["status"]["active"] = json!(1);
        j["status"]["startTime"] = json!(now_rfc3339());
        if let Some(c) = j["status"]["conditions"].as_array_mut() {
            c.retain(|c| c["type"] != "Suspended");
        }
        let _ = self.update(key, j, true);
        Some((id.0, id.1, token, std::time::Duration::from_secs_f64(secs.clamp(0.0, 1e9))))
    }

    /// Ends a run started by [`Store::reconcile_job`], unless it was suspended or deleted since.
    pub fn finish_job(&mut self, ns: &str, name: &str, token: u64) {
        let id = (ns.to_string(), name.to_string());
        if self.running.get(&id).is_none_or(|r| r.token != token) {
            return;
        }
        self.stop_running(&id);
        let key = (Kind::Job, id.0, id.1);
        let Ok(mut j) = self.get(&key) else { return };
        let now = now_rfc3339();
        j["status"]["active"] = json!(0);
        j["status"]["succeeded"] = json!(1);
        j["status"]["completionTime"] = json!(now);
        set_condition(&mut j, "Complete", "True", "Completed", "Job completed");
        let _ = self.update(&key, j, true);
    }

    fn stop_running(&mut self, id: &(String, String)) {
        if let Some(r) = self.running.remove(id) {
            if let Some(used) = r.host.and_then(|h| self.node_used.get_mut(&h)) {
                for (u, q) in used.iter_mut().zip(r.requests) {
                    *u = u.saturating_sub(q);
                }
            }
        }
    }

    /// Takes the Job's requests on the node its hostname selector names, and records a
    /// violation when there is no such node or the node is over-committed.
    fn check_placement(&mut self, job: &Value, ns: &str, name: &str) -> Option<String> {
        let host =
            job["spec"]["template"]["spec"]["nodeSelector"]["kubernetes.io/hostname"].as_str()?.to_string();
        let Some(node) = self.objects.get(&(Kind::Node, String::new(), host.clone())) else {
            self.audit.violations.push(format!("{ns}/{name} started on unknown node `{host}`"));
            return None;
        };
        let alloc = node_allocatable(node);
        let req = job_requests(job);
        let used = self.node_used.entry(host.clone()).or_default();
        for (u, q) in used.iter_mut().zip(req) {
            *u += q;
        }
        let used = *used;
        if (0..3).any(|i| used[i] > alloc[i]) {
            self.audit.violations.push(format!(
                "{ns}/{name} over-commits node `{host}`: running Jobs request {used:?} (cpu milli, MiB, gpu), it holds {alloc:?}"
            ));
        }
        Some(host)
    }
}

/// A Job's completed or failed condition.
pub fn is_finished(job: &Value) -> bool {
    job["status"]["conditions"].as_array().is_some_and(|c| {
        c.iter().any(|c| (c["type"] == "Complete" || c["type"] == "Failed") && c["status"] == "True")
    })
}

fn set_condition(job: &mut Value, kind: &str, status: &str, reason: &str, message: &str) {
    if !job["status"]["conditions"].is_array() {
        job["status"]["conditions"] = json!([]);
    }
    let now = now_rfc3339();
    let conds = job["status"]["conditions"].as_array_mut().expect("made an array");
    conds.retain(|c| c["type"] != kind);
    conds.push(json!({
        "type": kind, "status": status, "reason": reason, "message": message,
        "lastProbeTime": now, "lastTransitionTime": now,
    }));
}

/// (cpu milli, memory MiB, gpu) a Job's pod requests.
pub fn job_requests(job: &Value) -> [u64; 3] {
    let mut r = [0u64; 3];
    for c in job["spec"]["template"]["spec"]["containers"].as_array().into_iter().flatten() {
        let req = &c["resources"]["requests"];
        r[0] += req["cpu"].as_str().and_then(crate::quantity::cpu_milli).unwrap_or(0);
        r[1] += req["memory"].as_str().and_then(crate::quantity::mem_mib).unwrap_or(0);
        r[2] += req["nvidia.com/gpu"].as_str().and_then(crate::quantity::count).unwrap_or(0);
    }
    r
}

fn node_allocatable(node: &Value) -> [u64; 3] {
    let a = &node["status"]["allocatable"];
    [
        a["cpu"].as_str().and_then(crate::quantity::cpu_milli).unwrap_or(0),
        a["memory"].as_str().and_then(crate::quantity::mem_mib).unwrap_or(0),
        a["nvidia.com/gpu"].as_str().and_then(crate::quantity::count).unwrap_or(0),
    ]
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name.as_bytes()[name.len() - 1].is_ascii_alphanumeric()
}

/// A label selector of equality (`a=b`, `a==b`), inequality (`a!=b`) and existence (`a`,
/// `!a`) terms.
#[derive(Debug, Default, Clone)]
pub struct Selector(Vec<(String, Option<String>, bool)>);

impl Selector {
    pub fn parse(s: &str) -> Selector {
        let mut terms = Vec::new();
        for t in s.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            if let Some((k, v)) = t.split_once("!=") {
                terms.push((k.trim().into(), Some(v.trim().into()), false));
            } else if let Some((k, v)) = t.split_once("==").or_else(|| t.split_once('=')) {
                terms.push((k.trim().into(), Some(v.trim().into()), true));
            } else if let Some(k) = t.strip_prefix('!') {
                terms.push((k.trim().into(), None, false));
            } else {
                terms.push((t.into(), None, true));
            }
        }
        Selector(terms)
    }

    pub fn matches(&self, obj: &Value) -> bool {
        let labels = &obj["metadata"]["labels"];
        self.0.iter().all(|(k, v, positive)| {
            let have = labels[k.as_str()].as_str();
            match v {
                None => have.is_some() == *positive,
                Some(v) => (have == Some(v.as_str())) == *positive,
            }
        })
    }
}
