//! The driver's Prometheus metrics, in the text exposition format, and a tiny HTTP server.

use std::convert::Infallible;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;

/// Upper bounds (seconds) of the decision-latency histogram buckets.
const BUCKETS: [f64; 12] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0];

#[derive(Default, Debug, Clone)]
pub struct Snapshot {
    /// (queue, queued, running).
    pub queues: Vec<(String, u32, u32)>,
    pub admissions: u64,
    pub preemptions: u64,
    pub stops: u64,
    pub refusals: u64,
    pub api_retries: u64,
    /// Counts per bucket (cumulative at render time), then the sum and count.
    pub decide_buckets: [u64; BUCKETS.len()],
    pub decide_sum: f64,
    pub decide_count: u64,
    /// Every decision pass's latency, kept for benchmarks (bounded).
    pub decide_samples: Vec<Duration>,
    pub connected: bool,
}

/// Shared by the driver (writer) and the HTTP endpoint (reader).
#[derive(Default, Debug)]
pub struct Metrics(Mutex<Snapshot>);

impl Metrics {
    pub fn new() -> Arc<Metrics> {
        Arc::new(Metrics::default())
    }

    pub fn update(&self, f: impl FnOnce(&mut Snapshot)) {
        if let Ok(mut s) = self.0.lock() {
            f(&mut s);
        }
    }

    pub fn snapshot(&self) -> Snapshot {
        self.0.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub fn observe_decision(&self, d: Duration) {
        self.update(|s| {
            let secs = d.as_secs_f64();
            if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
                s.decide_buckets[i] += 1;
            }
            s.decide_sum += secs;
            s.decide_count += 1;
            if s.decide_samples.len() < 1_000_000 {
                s.decide_samples.push(d);
            }
        });
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let s = self.snapshot();
        let mut o = String::new();
        let _ = writeln!(
            o,
            "# HELP schedlab_queued Operations waiting on a queue.\n# TYPE schedlab_queued gauge"
        );
        for (q, queued, _) in &s.queues {
            let _ = writeln!(o, "schedlab_queued{{queue=\"{}\"}} {queued}", escape(q));
        }
        let _ = writeln!(o, "# HELP schedlab_running Operations admitted and not finished, per queue.\n# TYPE schedlab_running gauge");
        for (q, _, running) in &s.queues {
            let _ = writeln!(o, "schedlab_running{{queue=\"{}\"}} {running}", escape(q));
        }
        for (name, help, v) in [
            ("schedlab_admissions_total", "Jobs admitted (unsuspended on a chosen node).", s.admissions),
            ("schedlab_preemptions_total", "Admitted Jobs suspended again to make room.", s.preemptions),
            ("schedlab_stops_total", "Jobs deleted on a stop.", s.stops),
            ("schedlab_refusals_total", "Jobs refused (forbidden queue, malformed annotations).", s.refusals),
            (
                "schedlab_api_retries_total",
                "API requests retried after a conflict, server error or timeout.",
                s.api_retries,
            ),
        ] {
            let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}");
        }
        let _ = writeln!(o, "# HELP schedlab_connected 1 while the API server is reachable and watches are healthy.\n# TYPE schedlab_connected gauge\nschedlab_connected {}", u8::from(s.connected));
        let name = "schedlab_decision_seconds";
        let _ =
            writeln!(o, "# HELP {name} Time of one decision pass of the kernel.\n# TYPE {name} histogram");
        let mut cum = 0;
        for (b, c) in BUCKETS.iter().zip(s.decide_buckets) {
            cum += c;
            let _ = writeln!(o, "{name}_bucket{{le=\"{b}\"}} {cum}");
        }
        let _ = writeln!(
            o,
            "{name}_bucket{{le=\"+Inf\"}} {}\n{name}_sum {}\n{name}_count {}",
            s.decide_count, s.decide_sum, s.decide_count
        );
        o
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Serves `GET /metrics` (and anything else, the same) on `addr` until the task is dropped.
pub async fn serve(
    addr: std::net::SocketAddr,
    metrics: Arc<Metrics>,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    Ok(tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            let m = metrics.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |_req| {
                    let body = m.render();
                    async move {
                        Ok::<_, Infallible>(
                            hyper::Response::builder()
                                .header("content-type", "text/plain; version=0.0.4")
                                .body(Full::new(Bytes::from(body)))
                                .expect("a valid response"),
                        )
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                    .await;
            });
        }
    }))
}
