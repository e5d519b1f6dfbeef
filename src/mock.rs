//! A fake OpenRouter server for tests (cargo feature `mock`): both Credits endpoints on
//! `127.0.0.1:0`, checked the way the real server checks them, with scripted faults and a record
//! of every request.
//!
//! ```
//! use openrouter_credits::mock::{MockResponse, MockServer};
//! use openrouter_credits::{Client, Error, Operation, RetryConfig};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = MockServer::start().await?;
//! let client = Client::builder()
//!     .api_key("sk-or-v1-test")
//!     .base_url(server.base_url())
//!     .retries(RetryConfig::none())
//!     .build()?;
//!
//! // Realistic default answers…
//! let credits = client.credits().get_credits().await?;
//! assert_eq!(credits.data.total_credits, 100.5);
//!
//! // …scripted faults, served in order before the defaults resume…
//! server.enqueue(Operation::GetCredits, MockResponse::error(500, "Internal Server Error"));
//! let err = client.credits().get_credits().await.unwrap_err();
//! assert!(matches!(err, Error::InternalServer(_)));
//!
//! // …and every request, secrets included, for assertions.
//! let requests = server.requests();
//! assert_eq!(requests.len(), 2);
//! assert_eq!(requests[0].header("authorization"), Some("Bearer sk-or-v1-test"));
//! # Ok(()) }
//! ```

use crate::Operation;
use crate::charge::is_evm_address;
use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

/// Upstream's message for the retired charge endpoint (its 2026-11 spec, `GoneResponse`).
pub const GONE_MESSAGE: &str = "The Coinbase APIs used by this endpoint have been deprecated, so the Coinbase Commerce \
credits API has been removed. Use the web credits purchase flow instead.";

/// Request bodies longer than this (1 MiB) are answered 413 and recorded with an empty body.
pub const MAX_REQUEST_BODY: usize = 1 << 20;

/// The fake server. Stops accepting connections when dropped.
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    accept: tokio::task::AbortHandle,
}

#[derive(Debug)]
struct State {
    total_credits: f64,
    total_usage: f64,
    api_key: Option<String>,
    coinbase_gone: bool,
    queued: HashMap<Operation, VecDeque<MockResponse>>,
    requests: Vec<RecordedRequest>,
    charges: u64,
}

impl MockServer {
    /// Starts a server on `127.0.0.1` with a free port, on the current tokio runtime.
    ///
    /// Defaults: 100.5 credits bought, 25.75 used (upstream's example); any non-empty bearer
    /// accepted as an API key; charges succeed and add their amount to the credits.
    pub async fn start() -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State {
            total_credits: 100.5,
            total_usage: 25.75,
            api_key: None,
            coinbase_gone: false,
            queued: HashMap::new(),
            requests: Vec::new(),
            charges: 0,
        }));
        let shared = Arc::clone(&state);
        let accept = tokio::spawn(async move {
            loop {
                let stream = match listener.accept().await {
                    Ok((stream, _)) => stream,
                    // Out of file descriptors and the like: wait a little rather than spin.
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let state = Arc::clone(&shared);
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| handle(Arc::clone(&state), req));
                    // A scripted dropped connection ends up here as an error: that is the point.
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        })
        .abort_handle();
        Ok(Self { addr, state, accept })
    }

    /// `http://127.0.0.1:<port>/api/v1`, to pass to `ClientBuilder::base_url`.
    pub fn base_url(&self) -> String {
        format!("http://{}/api/v1", self.addr)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Accept only this API key on `GET /credits` (401 for any other).
    pub fn require_api_key(&self, key: impl Into<String>) {
        self.state().api_key = Some(key.into());
    }

    /// Sets the balance `GET /credits` reports.
    pub fn set_credits(&self, total_credits: f64, total_usage: f64) {
        let mut s = self.state();
        s.total_credits = total_credits;
        s.total_usage = total_usage;
    }

    /// Answer every charge with 410 Gone and upstream's message, as the live API does now.
    pub fn set_coinbase_gone(&self, gone: bool) {
        self.state().coinbase_gone = gone;
    }

    /// Queues a scripted response for `operation`; queued responses are served first, in order,
    /// one per request, before the default behaviour resumes.
    pub fn enqueue(&self, operation: Operation, response: MockResponse) {
        self.state().queued.entry(operation).or_default().push_back(response);
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state().requests.clone()
    }

    /// The requests received for one operation.
    pub fn requests_for(&self, operation: Operation) -> Vec<RecordedRequest> {
        self.state().requests.iter().filter(|r| r.operation == Some(operation)).cloned().collect()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.state().requests.clear();
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One request as the server received it.
///
/// Secrets are kept so tests can assert on them; the `Authorization` value is marked sensitive,
/// so `Debug` shows `Sensitive` rather than the token.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// `GET`, `POST`, …
    pub method: Method,
    /// The path, e.g. `/api/v1/credits`.
    pub path: String,
    /// Every header as received.
    pub headers: HeaderMap,
    /// The body, byte for byte (empty when it passed [`MAX_REQUEST_BODY`]).
    pub body: Bytes,
    /// Which endpoint it was for, if any.
    pub operation: Option<Operation>,
}

impl RecordedRequest {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The bearer token sent, if any.
    pub fn bearer(&self) -> Option<&str> {
        self.header("authorization").and_then(|v| v.strip_prefix("Bearer "))
    }

    /// The body as text (lossy).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// A scripted response: a status, headers, a body, and optionally a fault.
#[derive(Clone, Debug)]
pub struct MockResponse {
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
    delay: Option<Duration>,
    fault: Option<Fault>,
}

#[derive(Clone, Copy, Debug)]
enum Fault {
    /// Close the connection without answering.
    Drop,
    /// Send the headers and this many body bytes, then nothing more.
    StallAfter(usize),
    /// Send the headers and this many body bytes, then break the connection.
    ResetAfter(usize),
    /// A body of this many bytes, generated as it is sent; with or without Content-Length.
    Large { len: u64, declare_length: bool },
}

impl MockResponse {
    /// An empty response with this status (an invalid status becomes 500).
    pub fn status(status: u16) -> Self {
        Self {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            headers: Vec::new(),
            body: Bytes::new(),
            delay: None,
            fault: None,
        }
    }

    /// A JSON response.
    pub fn json(status: u16, body: &Value) -> Self {
        Self::status(status).content_type("application/json").body(body.to_string())
    }

    /// Upstream's error shape: `{"error":{"code":status,"message":…}}`.
    pub fn error(status: u16, message: &str) -> Self {
        Self::json(status, &json!({ "error": { "code": status, "message": message } }))
    }

    /// Replaces the body, as raw bytes (the content type is left as it is).
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Adds a header (an invalid name or value is skipped).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let (Ok(n), Ok(v)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            self.headers.push((n, v));
        }
        self
    }

    /// Sets `Content-Type`.
    pub fn content_type(self, value: &str) -> Self {
        self.header("content-type", value)
    }

    /// Sets `Retry-After` (seconds, an HTTP date, or anything else to test parsing).
    pub fn retry_after(self, value: &str) -> Self {
        self.header("retry-after", value)
    }

    /// Waits this long before sending anything (uses tokio's clock, so paused-clock tests
    /// run it instantly).
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    /// Closes the connection without sending a response.
    pub fn drop_connection() -> Self {
        Self { fault: Some(Fault::Drop), ..Self::status(500) }
    }

    /// Sends the headers (with the full Content-Length) and the first `bytes` of the body,
    /// then stalls forever.
    pub fn stall_body_after(mut self, bytes: usize) -> Self {
        self.fault = Some(Fault::StallAfter(bytes));
        self
    }

    /// Sends the headers and the first `bytes` of the body, then breaks the connection.
    pub fn reset_body_after(mut self, bytes: usize) -> Self {
        self.fault = Some(Fault::ResetAfter(bytes));
        self
    }

    /// A 200 whose body is `len` bytes of JSON-looking filler, generated as it is sent;
    /// with `Content-Length` when `declare_length`, chunked otherwise.
    pub fn large_body(len: u64, declare_length: bool) -> Self {
        Self { fault: Some(Fault::Large { len, declare_length }), ..Self::status(200).content_type("application/json") }
    }

    async fn into_response(self) -> Result<Response<MockBody>, std::io::Error> {
        if let Some(delay) = self.delay {
            tokio::time::sleep(delay).await;
        }
        let (body, declared) = match self.fault {
            Some(Fault::Drop) => return Err(std::io::Error::other("scripted: connection dropped")),
            Some(Fault::StallAfter(n)) => (MockBody::partial(&self.body, n, false), Some(self.body.len() as u64)),
            Some(Fault::ResetAfter(n)) => (MockBody::partial(&self.body, n, true), Some(self.body.len() as u64)),
            Some(Fault::Large { len, declare_length }) => {
                (MockBody::Filler { left: len }, declare_length.then_some(len))
            }
            None => (MockBody::full(self.body), None),
        };
        let mut response = Response::new(body);
        *response.status_mut() = self.status;
        for (name, value) in self.headers {
            response.headers_mut().append(name, value);
        }
        if let Some(len) = declared {
            response.headers_mut().insert(CONTENT_LENGTH, HeaderValue::from(len));
        }
        Ok(response)
    }
}

/// Response bodies, including the broken ones.
#[derive(Debug)]
enum MockBody {
    Full(Option<Bytes>),
    /// Some bytes, then stall (`reset: false`) or an error that breaks the connection.
    Partial {
        head: Option<Bytes>,
        reset: bool,
    },
    Filler {
        left: u64,
    },
}

impl MockBody {
    fn full(bytes: Bytes) -> Self {
        MockBody::Full(Some(bytes).filter(|b| !b.is_empty()))
    }

    fn partial(body: &Bytes, n: usize, reset: bool) -> Self {
        MockBody::Partial { head: Some(body.slice(..n.min(body.len()))).filter(|b| !b.is_empty()), reset }
    }
}

const FILLER_CHUNK: usize = 64 * 1024;

impl Body for MockBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        let this = self.get_mut();
        match this {
            MockBody::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            MockBody::Partial { head, reset } => match head.take() {
                Some(b) => Poll::Ready(Some(Ok(Frame::data(b)))),
                None if *reset => Poll::Ready(Some(Err(std::io::Error::other("scripted: connection reset")))),
                // Never woken: the stall lasts until the client gives up.
                None => Poll::Pending,
            },
            MockBody::Filler { left } => {
                if *left == 0 {
                    return Poll::Ready(None);
                }
                let n = (*left).min(FILLER_CHUNK as u64);
                *left -= n;
                Poll::Ready(Some(Ok(Frame::data(Bytes::from(vec![b' '; n as usize])))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, MockBody::Full(None)) || matches!(self, MockBody::Filler { left: 0 })
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            MockBody::Full(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            _ => SizeHint::default(),
        }
    }
}

fn operation_of(method: &Method, path: &str) -> Option<Operation> {
    let path = path.strip_prefix("/api/v1").unwrap_or(path);
    match (method, path) {
        (&Method::GET, "/credits") => Some(Operation::GetCredits),
        (&Method::POST, "/credits/coinbase") => Some(Operation::CreateCoinbaseCharge),
        _ => None,
    }
}

async fn handle(state: Arc<Mutex<State>>, request: Request<Incoming>) -> Result<Response<MockBody>, std::io::Error> {
    let (parts, body) = request.into_parts();
    // Read at most the cap, like a real front end: a test that streams a huge body gets a 413,
    // not a server that buffers it all.
    let (body, too_large) = match http_body_util::Limited::new(body, MAX_REQUEST_BODY).collect().await {
        Ok(collected) => (collected.to_bytes(), false),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => (Bytes::new(), true),
        Err(e) => return Err(std::io::Error::other(e)),
    };
    let operation = operation_of(&parts.method, parts.uri.path());
    let mut headers = parts.headers;
    if let Some(auth) = headers.get_mut(AUTHORIZATION) {
        auth.set_sensitive(true);
    }
    let scripted = {
        let mut s = lock(&state);
        s.requests.push(RecordedRequest {
            method: parts.method.clone(),
            path: parts.uri.path().to_owned(),
            headers: headers.clone(),
            body: body.clone(),
            operation,
        });
        let served = operation.filter(|_| !too_large);
        served.and_then(|op| s.queued.get_mut(&op).and_then(VecDeque::pop_front))
    };
    let response = match (scripted, operation) {
        _ if too_large => MockResponse::error(413, "Request body too large (the mock reads at most 1 MiB)"),
        (Some(scripted), _) => scripted,
        (None, Some(Operation::GetCredits)) => get_credits(&state, &headers),
        (None, Some(Operation::CreateCoinbaseCharge)) => create_charge(&state, &headers, &body),
        (None, _) => MockResponse::error(404, "Not Found"),
    };
    response.into_response().await
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").filter(|t| !t.trim().is_empty())
}

fn get_credits(state: &Mutex<State>, headers: &HeaderMap) -> MockResponse {
    let s = lock(state);
    match (bearer(headers), &s.api_key) {
        (None, _) => MockResponse::error(401, "Missing Authentication header"),
        (Some(got), Some(want)) if got != want => MockResponse::error(401, "User not found."),
        _ => MockResponse::json(
            200,
            &json!({ "data": { "total_credits": s.total_credits, "total_usage": s.total_usage } }),
        ),
    }
}

fn create_charge(state: &Mutex<State>, headers: &HeaderMap, body: &[u8]) -> MockResponse {
    let mut s = lock(state);
    if s.coinbase_gone {
        return MockResponse::error(410, GONE_MESSAGE);
    }
    if bearer(headers).is_none() {
        return MockResponse::error(401, "Missing Authentication header");
    }
    let is_json =
        headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("application/json"));
    let parsed: Option<Value> = if is_json { serde_json::from_slice(body).ok() } else { None };
    let Some(req) = parsed.filter(Value::is_object) else {
        return MockResponse::error(400, "Request body must be a JSON object (Content-Type: application/json)");
    };
    let amount = match req.get("amount").and_then(Value::as_f64) {
        Some(a) if a.is_finite() && a > 0.0 => a,
        _ => return MockResponse::error(400, "amount: must be a number greater than 0"),
    };
    let sender = match req.get("sender").and_then(Value::as_str) {
        Some(s) if is_evm_address(s) => s.to_owned(),
        _ => return MockResponse::error(400, "sender: must be 0x followed by 40 hexadecimal digits"),
    };
    let chain_id = match req.get("chain_id").and_then(Value::as_u64) {
        Some(c @ (1 | 137 | 8453)) => c,
        _ => return MockResponse::error(400, "chain_id: must be one of 1, 137, 8453"),
    };
    s.charges += 1;
    // As if paid at once: the next GET /credits shows it.
    s.total_credits += amount;
    let n = s.charges;
    let now = SystemTime::now();
    let expires = now + Duration::from_secs(3600);
    let micros = (amount * 1_000_000.0).round() as u64;
    let fee = micros / 20; // upstream's 5% crypto fee
    MockResponse::json(
        200,
        &json!({ "data": {
            "id": format!("00000000-0000-4000-8000-{n:012x}"),
            "created_at": humantime::format_rfc3339_seconds(now).to_string(),
            "expires_at": humantime::format_rfc3339_seconds(expires).to_string(),
            "web3_data": { "transfer_intent": {
                "call_data": {
                    "deadline": humantime::format_rfc3339_seconds(expires).to_string(),
                    "fee_amount": fee.to_string(),
                    "id": format!("0x{n:064x}"),
                    "operator": "0x8fccd0f3f2e8b1ab9a1d38b1b3a5b2d0f5b2c3d4",
                    "prefix": "0x4b3220496e766f69636520",
                    "recipient": "0x1f9840a85d5af5bf1d1762f925bdaddc4201f984",
                    "recipient_amount": (micros - fee).to_string(),
                    "recipient_currency": "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48",
                    "refund_destination": sender,
                    "signature": format!("0x{:0130x}", n),
                },
                "metadata": {
                    "chain_id": chain_id,
                    "contract_address": "0x3a4f3f0c6c1b9b1c5d0e2f1a7b8c9d0e1f2a3b4c",
                    "sender": sender,
                },
            }},
        }}),
    )
}
