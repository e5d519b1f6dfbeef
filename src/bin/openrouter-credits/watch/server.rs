//! `--listen ADDR`: `/metrics` and `/healthz` over HTTP/1.1 (hyper). Both answer from what the
//! reading loop left in [`Shared`]: a request here never calls OpenRouter.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use prometheus_client::registry::Registry;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// A client that has not sent its request's headers by then is disconnected.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// What the reading loop shares with the listener.
#[derive(Debug)]
pub(crate) struct Shared {
    registry: Mutex<Arc<Registry>>,
    health: Mutex<Health>,
}

#[derive(Debug)]
struct Health {
    started: Instant,
    last_success: Option<Instant>,
    stale_after: Duration,
}

impl Shared {
    pub(crate) fn new(registry: Registry, stale_after: Duration) -> Self {
        Self {
            registry: Mutex::new(Arc::new(registry)),
            health: Mutex::new(Health { started: Instant::now(), last_success: None, stale_after }),
        }
    }

    /// The loop's new reading: its registry, and whether it succeeded.
    pub(crate) fn publish(&self, registry: Registry, success: bool) {
        *self.registry.lock().unwrap_or_else(PoisonError::into_inner) = Arc::new(registry);
        if success {
            self.health.lock().unwrap_or_else(PoisonError::into_inner).last_success = Some(Instant::now());
        }
    }

    fn registry(&self) -> Arc<Registry> {
        Arc::clone(&self.registry.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Healthy while the last reading with no failure (or, before the first one, the start) is
    /// at most `stale_after` old. The text says which, and how old.
    fn health(&self) -> (bool, String) {
        let health = self.health.lock().unwrap_or_else(PoisonError::into_inner);
        let (since, what) = match health.last_success {
            Some(t) => (t, "the last successful reading"),
            None => (health.started, "no successful reading yet; started"),
        };
        let age = since.elapsed();
        let healthy = age <= health.stale_after;
        let verdict = if healthy { "ok" } else { "stale" };
        (
            healthy,
            format!(
                "{verdict}: {what} {:.1} s ago (unhealthy after {:.1} s)\n",
                age.as_secs_f64(),
                health.stale_after.as_secs_f64()
            ),
        )
    }
}

/// Serves until the task is aborted.
pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            // Out of file descriptors and the like: wait a little rather than spin.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let response = answer(&shared, &req);
                async move { Ok::<_, Infallible>(response) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn answer<B>(shared: &Shared, req: &Request<B>) -> Response<Full<Bytes>> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return text(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n".to_owned());
    }
    match req.uri().path() {
        "/metrics" => {
            let registry = shared.registry();
            // OpenMetrics when the scraper prefers it (Prometheus asks for it first), else the
            // classic text format that every scraper and promtool read.
            let openmetrics = req
                .headers()
                .get(ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("application/openmetrics-text"));
            let (body, content_type) = if openmetrics {
                super::metrics::encode_openmetrics(&registry)
            } else {
                super::metrics::encode_text(&registry)
            };
            let mut response = Response::new(Full::new(Bytes::from(body)));
            response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
            response
        }
        "/healthz" => {
            let (healthy, body) = shared.health();
            text(if healthy { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }, body)
        }
        "/" => text(StatusCode::OK, "openrouter-credits watch: /metrics, /healthz\n".to_owned()),
        _ => text(StatusCode::NOT_FOUND, "not found: /metrics, /healthz\n".to_owned()),
    }
}

fn text(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}
