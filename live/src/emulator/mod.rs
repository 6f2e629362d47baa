//! A Kubernetes API emulator on loopback, for trying live mode without a cluster and for
//! the live driver's tests.
//!
//! It speaks the HTTP/JSON API and the watch protocol for the resources the driver uses:
//! batch/v1 Jobs (namespaced), v1 Nodes and v1 Events (create only): list (with the list's
//! resourceVersion), watch (`?watch=1&resourceVersion=..`, newline-delimited
//! ADDED/MODIFIED/DELETED/BOOKMARK events, an ERROR event with 410 Gone when the version is
//! older than its change log), get, create, update, patch (merge, strategic-merge treated as
//! merge, and JSON patch), delete and the `/status` subresource. Like KWOK, it "runs" every
//! unsuspended Job for the seconds in its `schedlab.io/duration-seconds` annotation (divided by
//! the time scale) and then marks it complete. Faults (dropped watches, 409s, 500s, latency)
//! are injected at seeded random.

mod patch;
mod store;

pub use store::{Audit, Kind};

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use store::{ApiError, Key, Selector, Store};

/// Faults to inject, each at a seeded random rate.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Fraction of requests answered `500 InternalError` before doing anything.
    pub error_rate: f64,
    /// Fraction of updates and patches answered `409 Conflict` before doing anything.
    pub conflict_rate: f64,
    /// Mean seconds a watch stays open before the server drops it (0: never).
    pub watch_drop_after: f64,
    /// Up to this much latency added to every request.
    pub max_latency: Duration,
    pub seed: u64,
}

impl Faults {
    /// Reads `error=0.1,conflict=0.1,drop=0.5,latency=2ms,seed=7`.
    pub fn parse(s: &str) -> Result<Faults, String> {
        let mut f = Faults::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| format!("fault `{part}`: expected key=value"))?;
            let num = |v: &str| -> Result<f64, String> {
                v.trim_end_matches("ms")
                    .trim_end_matches('s')
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && *x >= 0.0)
                    .ok_or_else(|| format!("fault `{part}`: `{v}` is not a non-negative number"))
            };
            match k.trim() {
                "error" => f.error_rate = num(v)?.min(1.0),
                "conflict" => f.conflict_rate = num(v)?.min(1.0),
                "drop" => f.watch_drop_after = num(v)?,
                "latency" => {
                    let x = num(v)?;
                    f.max_latency = Duration::from_secs_f64(if v.ends_with("ms") { x / 1000.0 } else { x });
                }
                "seed" => f.seed = num(v)? as u64,
                other => {
                    return Err(format!(
                        "unknown fault `{other}`; known: error=RATE, conflict=RATE, drop=SECONDS, latency=DURATION, seed=N"
                    ))
                }
            }
        }
        Ok(f)
    }
}

/// How to start an emulator.
#[derive(Clone, Debug)]
pub struct Config {
    /// Port on 127.0.0.1 (0: any free port).
    pub port: u16,
    pub faults: Faults,
    /// Admitted Jobs run for their duration annotation divided by this.
    pub time_scale: f64,
    /// How many changes watches can resume from; older versions get 410 Gone.
    pub log_capacity: usize,
    /// Seconds between bookmarks on open watches.
    pub bookmark_interval: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            port: 0,
            faults: Faults::default(),
            time_scale: 1.0,
            log_capacity: 200_000,
            bookmark_interval: Duration::from_secs(1),
        }
    }
}

struct Shared {
    store: Mutex<Store>,
    rng: Mutex<ChaCha8Rng>,
    config: Config,
}

/// A running emulator. Dropping it stops the server.
pub struct Emulator {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Emulator {
    /// Starts serving on 127.0.0.1 (must be called inside a tokio runtime).
    pub async fn start(config: Config) -> std::io::Result<Emulator> {
        let listener = TcpListener::bind(("127.0.0.1", config.port)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            store: Mutex::new(Store::new(config.log_capacity, config.time_scale)),
            rng: Mutex::new(ChaCha8Rng::seed_from_u64(config.faults.seed)),
            config,
        });
        let s = shared.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let s = s.clone();
                tokio::spawn(async move {
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let svc = hyper::service::service_fn(move |req| {
                        let s = s.clone();
                        async move { Ok::<_, Infallible>(handle(s, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, svc).await;
                });
            }
        });
        Ok(Emulator { addr, shared, task })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A kubeconfig (YAML) pointing at this emulator.
    pub fn kubeconfig(&self) -> String {
        kubeconfig_for(&self.url())
    }

    /// Adds a Node with allocatable `cpu` (millicores), `mem_mib` and `gpu`, and labels.
    pub fn add_node(
        &self,
        name: &str,
        cpu_milli: u64,
        mem_mib: u64,
        gpu: u64,
        labels: &[(String, String)],
        taints: &[schedlab_policies::model::Taint],
    ) {
        let mut l = serde_json::Map::new();
        for (k, v) in labels {
            l.insert(k.clone(), json!(v));
        }
        l.insert("kubernetes.io/hostname".into(), json!(name));
        let mut alloc = json!({
            "cpu": crate::quantity::fmt_cpu(cpu_milli),
            "memory": format!("{mem_mib}Mi"),
            "pods": "110",
        });
        if gpu > 0 {
            alloc["nvidia.com/gpu"] = json!(gpu.to_string());
        }
        let node = json!({
            "metadata": {"name": name, "labels": l},
            "spec": {"taints": taints.iter().map(|t| json!({"key": t.key, "value": t.value, "effect": t.effect})).collect::<Vec<_>>()},
            "status": {"allocatable": alloc, "capacity": alloc,
                       "conditions": [{"type": "Ready", "status": "True"}]},
        });
        let mut st = self.shared.store.lock().expect("store lock");
        let _ = st.create(Kind::Node, "", node);
    }

    /// Adds every node of a scenario, labelled with its agent and pool.
    pub fn add_scenario_nodes(&self, scenario: &schedlab_sim::Scenario) {
        for n in scenario.nodes() {
            let mut labels = n.labels.clone();
            labels.push((crate::AGENT_LABEL.into(), scenario.agents[n.agent.index()].name.clone()));
            labels.push((crate::POOL_LABEL.into(), n.pool.clone()));
            let a = n.allocatable;
            self.add_node(&n.name, a.get(0), a.get(1), a.get(2), &labels, &n.taints);
        }
    }

    /// What was served so far.
    pub fn audit(&self) -> Audit {
        self.shared.store.lock().expect("store lock").audit.clone()
    }

    /// Forgets the calls recorded so far (to audit one client's calls from now on).
    pub fn reset_calls(&self) {
        self.shared.store.lock().expect("store lock").audit.calls.clear();
    }

    /// All Events now, as JSON.
    pub fn events(&self) -> Vec<Value> {
        self.shared.store.lock().expect("store lock").list(Kind::Event, None, &Selector::default())
    }

    /// All Jobs now, as JSON.
    pub fn jobs(&self) -> Vec<Value> {
        self.shared.store.lock().expect("store lock").list(Kind::Job, None, &Selector::default())
    }
}

/// A kubeconfig (YAML) for an API server at `url` with no authentication.
pub fn kubeconfig_for(url: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: schedlab-emulator\n  cluster:\n    server: {url}\nusers:\n- name: schedlab\n  user: {{}}\ncontexts:\n- name: schedlab-emulator\n  context:\n    cluster: schedlab-emulator\n    user: schedlab\ncurrent-context: schedlab-emulator\n"
    )
}

type Body = BoxBody<Bytes, Infallible>;

fn full(status: u16, v: &Value) -> Response<Body> {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(v.to_string())).boxed())
        .expect("a valid response")
}

fn status_json(e: &ApiError) -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
           "message": e.message, "reason": e.reason, "code": e.code})
}

fn error(e: ApiError) -> Response<Body> {
    full(e.code, &status_json(&e))
}

/// What a request path names.
struct Target {
    kind: Kind,
    namespace: Option<String>,
    name: Option<String>,
    status: bool,
}

fn route(path: &str) -> Option<Target> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (rest, group_ok): (&[&str], bool) = match parts.as_slice() {
        ["api", "v1", rest @ ..] => (rest, true),
        ["apis", "batch", "v1", rest @ ..] => (rest, false),
        _ => return None,
    };
    let (namespace, rest) = match rest {
        ["namespaces", ns, rest @ ..] if !rest.is_empty() => (Some(ns.to_string()), rest),
        _ => (None, rest),
    };
    let (plural, name, sub) = match rest {
        [p] => (*p, None, None),
        [p, n] => (*p, Some(n.to_string()), None),
        [p, n, s] => (*p, Some(n.to_string()), Some(*s)),
        _ => return None,
    };
    let kind = match (plural, group_ok) {
        ("jobs", false) => Kind::Job,
        ("nodes", true) if namespace.is_none() => Kind::Node,
        ("events", true) => Kind::Event,
        _ => return None,
    };
    let status = match sub {
        None => false,
        Some("status") if kind != Kind::Event => true,
        Some(_) => return None,
    };
    Some(Target { kind, namespace, name, status })
}

fn query(req: &Request<Incoming>) -> Vec<(String, String)> {
    req.uri()
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_string(), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn handle(s: Arc<Shared>, req: Request<Incoming>) -> Response<Body> {
    let Some(t) = route(req.uri().path()) else {
        return error(ApiError::new(
            404,
            "NotFound",
            format!("the server could not find the requested resource ({})", req.uri().path()),
        ));
    };
    let q = query(&req);
    let param = |k: &str| q.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    let watching = matches!(param("watch"), Some("1") | Some("true"));
    let verb = match (req.method().clone(), t.name.is_some()) {
        (Method::GET, _) if watching => "watch",
        (Method::GET, true) => "get",
        (Method::GET, false) => "list",
        (Method::POST, false) => "create",
        (Method::PUT, true) => "update",
        (Method::PATCH, true) => "patch",
        (Method::DELETE, true) => "delete",
        _ => {
            return error(ApiError::new(
                405,
                "MethodNotAllowed",
                "the server does not allow this method on the requested resource",
            ))
        }
    };
    if t.kind == Kind::Event && verb != "create" && verb != "list" && verb != "get" {
        return error(ApiError::new(
            405,
            "MethodNotAllowed",
            "the emulator only creates, gets and lists events",
        ));
    }
    let resource = if t.status { format!("{}/status", t.kind.plural()) } else { t.kind.plural().to_string() };
    // Faults, drawn in request order from the seeded generator.
    let (latency, fail, conflict) = {
        let f = &s.config.faults;
        let mut rng = s.rng.lock().expect("rng lock");
        let latency =
            if f.max_latency.is_zero() { Duration::ZERO } else { f.max_latency.mul_f64(rng.gen::<f64>()) };
        let fail = f.error_rate > 0.0 && rng.gen::<f64>() < f.error_rate;
        let conflict =
            matches!(verb, "update" | "patch") && f.conflict_rate > 0.0 && rng.gen::<f64>() < f.conflict_rate;
        (latency, fail, conflict)
    };
    {
        let mut st = s.store.lock().expect("store lock");
        st.audit.calls.insert((verb.to_string(), resource.clone()));
        if fail || conflict {
            st.audit.faults += 1;
        }
    }
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if fail {
        return error(ApiError::new(500, "InternalError", "injected fault: internal error"));
    }
    if conflict {
        return error(ApiError::new(409, "Conflict", "injected fault: the object has been modified; please apply your changes to the latest version and try again"));
    }
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .to_string();
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return error(ApiError::new(400, "BadRequest", "cannot read the request body")),
    };
    let ns = t.namespace.clone().unwrap_or_default();
    if t.kind == Kind::Job && t.namespace.is_none() && !matches!(verb, "list" | "watch") {
        return error(ApiError::new(404, "NotFound", "jobs are namespaced"));
    }
    if verb == "watch" {
        let rv: u64 = param("resourceVersion").and_then(|v| v.parse().ok()).unwrap_or(0);
        let timeout = param("timeoutSeconds").and_then(|v| v.parse::<u64>().ok()).unwrap_or(1800);
        let selector = Selector::parse(param("labelSelector").unwrap_or(""));
        return watch(s, t.kind, t.namespace, rv, Duration::from_secs(timeout), selector);
    }
    let parsed: Option<Value> = if body.is_empty() {
        None
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => Some(v),
            Err(e) => return error(ApiError::new(400, "BadRequest", format!("the body is not JSON: {e}"))),
        }
    };
    let mut st = s.store.lock().expect("store lock");
    let key: Key = (t.kind, ns.clone(), t.name.clone().unwrap_or_default());
    let result = match verb {
        "list" => {
            let selector = Selector::parse(param("labelSelector").unwrap_or(""));
            let items = st.list(t.kind, t.namespace.as_deref(), &selector);
            Ok(json!({"apiVersion": t.kind.api_version(), "kind": format!("{}List", t.kind.name()),
                       "metadata": {"resourceVersion": st.rv.to_string()}, "items": items}))
        }
        "get" => st.get(&key),
        "create" => match parsed {
            Some(obj) => st.create(t.kind, &ns, obj),
            None => Err(ApiError::new(400, "BadRequest", "create needs a body")),
        },
        "update" => match parsed {
            Some(obj) => st.update(&key, obj, t.status),
            None => Err(ApiError::new(400, "BadRequest", "update needs a body")),
        },
        "patch" => match parsed {
            Some(p) => st.get(&key).and_then(|cur| {
                let mut new = cur.clone();
                let applied = if content_type.starts_with("application/json-patch+json") {
                    patch::json_patch(&mut new, &p)
                } else if content_type.starts_with("application/merge-patch+json")
                    || content_type.starts_with("application/strategic-merge-patch+json")
                {
                    patch::merge(&mut new, &p);
                    Ok(())
                } else {
                    return Err(ApiError::new(
                        415,
                        "UnsupportedMediaType",
                        format!("the emulator does not support patches of type `{content_type}`"),
                    ));
                };
                applied.map_err(|m| ApiError::new(422, "Invalid", m))?;
                // A patch may carry a resourceVersion precondition; otherwise it applies to
                // the current version.
                if p.get("metadata").and_then(|m| m.get("resourceVersion")).is_none() {
                    new["metadata"]["resourceVersion"] = cur["metadata"]["resourceVersion"].clone();
                }
                st.update(&key, new, t.status)
            }),
            None => Err(ApiError::new(400, "BadRequest", "patch needs a body")),
        },
        "delete" => st.delete(&key),
        _ => unreachable!("verbs are matched above"),
    };
    // The runner reacts to every write to a Job.
    if t.kind == Kind::Job && result.is_ok() && matches!(verb, "create" | "update" | "patch") {
        let name =
            result.as_ref().ok().and_then(|v| v["metadata"]["name"].as_str()).unwrap_or("").to_string();
        if let Some((rns, rname, token, dur)) = st.reconcile_job(&(Kind::Job, ns, name)) {
            let s2 = s.clone();
            tokio::spawn(async move {
                tokio::time::sleep(dur).await;
                s2.store.lock().expect("store lock").finish_job(&rns, &rname, token);
            });
        }
    }
    drop(st);
    match result {
        Ok(v) => full(if verb == "create" { 201 } else { 200 }, &v),
        Err(e) => error(e),
    }
}

fn watch(
    s: Arc<Shared>,
    kind: Kind,
    namespace: Option<String>,
    rv: u64,
    timeout: Duration,
    selector: Selector,
) -> Response<Body> {
    let (tx, rx) = mpsc::channel::<Result<Frame<Bytes>, Infallible>>(1024);
    let line = |v: Value| Ok(Frame::data(Bytes::from(format!("{v}\n"))));
    let matches = move |c: &store::Change, sel: &Selector| {
        c.kind == kind && namespace.as_deref().is_none_or(|n| n == c.namespace) && sel.matches(&c.object)
    };
    let (backlog, mut sub, gone, now_rv) = {
        let st = s.store.lock().expect("store lock");
        let gone = rv != 0 && rv < st.compacted;
        let backlog: Vec<_> =
            if gone { Vec::new() } else { st.log.iter().filter(|c| rv != 0 && c.rv > rv).cloned().collect() };
        (backlog, st.tx.subscribe(), gone, st.rv)
    };
    let drop_after = {
        let f = &s.config.faults;
        (f.watch_drop_after > 0.0).then(|| {
            let mut rng = s.rng.lock().expect("rng lock");
            // Exponential with the given mean.
            Duration::from_secs_f64(-f.watch_drop_after * (1.0 - rng.gen::<f64>()).ln())
        })
    };
    let bookmark_every = s.config.bookmark_interval;
    tokio::spawn(async move {
        if gone {
            let e = ApiError::new(410, "Expired", format!("too old resource version: {rv} ({now_rv})"));
            let _ = tx.send(line(json!({"type": "ERROR", "object": status_json(&e)}))).await;
            return;
        }
        let mut last = rv;
        for c in backlog {
            if matches(&c, &selector) {
                last = c.rv;
                if tx.send(line(json!({"type": c.kind_of_change, "object": c.object}))).await.is_err() {
                    return;
                }
            }
        }
        let deadline = tokio::time::Instant::now() + drop_after.unwrap_or(timeout).min(timeout);
        let mut tick = tokio::time::interval(bookmark_every);
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => return,
                _ = tick.tick() => {
                    let cur = s.store.lock().expect("store lock").rv;
                    let b = json!({"type": "BOOKMARK", "object": {"kind": kind.name(), "apiVersion": kind.api_version(),
                        "metadata": {"resourceVersion": cur.max(last).to_string()}}});
                    if tx.send(line(b)).await.is_err() { return; }
                }
                c = sub.recv() => match c {
                    Ok(c) => {
                        if c.rv <= last || !matches(&c, &selector) { continue; }
                        last = c.rv;
                        if tx.send(line(json!({"type": c.kind_of_change, "object": c.object}))).await.is_err() { return; }
                    }
                    // Fell behind the broadcast: end the watch; the client resumes from `last`.
                    Err(_) => return,
                }
            }
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|f| (f, rx)) });
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(BodyExt::boxed(StreamBody::new(stream)))
        .expect("a valid response")
}
