//! A fake OpenRouter server for tests (cargo feature `mock`), on `127.0.0.1:0`, that follows the
//! fragment the crate is generated from: every operation answers by default from the spec's
//! examples (or a value built from the schema), checks the credential the operation's
//! `security` names, and validates request bodies against their schema. On top of that it keeps
//! an account (a balance that grows with charges), can retire the charge (410, as the live API
//! answers now), serves scripted faults, and records every request. A model endpoint
//! ([`MockServer::model_url`]) charges each call to every layer and refuses it as upstream does
//! when a layer is spent ([`MockRefusal`]).
//!
//! ```
//! use openrouter_credits::mock::{MockResponse, MockServer};
//! use openrouter_credits::{Client, Error, Operation, RetryConfig};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = MockServer::start().await?;
//! let client = Client::builder()
//!     .management_key("sk-or-v1-test")
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

mod account;
mod engine;
mod model;
mod refusal;
mod response;
mod schema;

pub use account::{DEFAULT_MODEL_CALL_COST, KeyShape, MockBudget};
pub use refusal::MockRefusal;
pub use response::MockResponse;

use crate::generated::Operation;
use account::Account;
use bytes::Bytes;
use hyper::Method;
use hyper::header::HeaderMap;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

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
    spec: Arc<Value>,
    account: Account,
    api_key: Option<String>,
    management_key: Option<String>,
    /// Answer an ordinary key's `GET /credits` with the documented 403, not the live API's zeros.
    ordinary_key_forbidden: bool,
    gone: HashMap<Operation, String>,
    queued: HashMap<Operation, VecDeque<MockResponse>>,
    requests: Vec<RecordedRequest>,
    /// Every model call refused with this, when set.
    model_refusal: Option<MockRefusal>,
    /// Scripted answers to model calls, served first.
    model_queue: VecDeque<MockResponse>,
    /// Model calls answered 200.
    model_calls: u64,
}

impl MockServer {
    /// Starts a server on `127.0.0.1` with a free port, on the current tokio runtime.
    ///
    /// Defaults: 100.5 credits bought, 25.75 used (upstream's example); a key limited to 100 USD
    /// with 25.5 used, a weekly member budget of 50 USD with 32.5 spent, 12 of 50 free-model
    /// requests used today; the key's usage all made today (`usage_daily`, `usage_weekly`,
    /// `usage_monthly` 25.5); model calls ([`model_url`](Self::model_url)) cost
    /// [`DEFAULT_MODEL_CALL_COST`]; any non-empty bearer accepted as a key (and, on the operations that
    /// need one, as a management key); charges succeed and add their amount to the credits;
    /// every other operation answers its spec example.
    pub async fn start() -> std::io::Result<Self> {
        let spec: Value = serde_json::from_str(crate::generated::FRAGMENT_JSON).map_err(std::io::Error::other)?;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State {
            spec: Arc::new(spec),
            account: Account::default(),
            api_key: None,
            management_key: None,
            ordinary_key_forbidden: false,
            gone: HashMap::new(),
            queued: HashMap::new(),
            requests: Vec::new(),
            model_refusal: None,
            model_queue: VecDeque::new(),
            model_calls: 0,
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
                    let service = hyper::service::service_fn(move |req| engine::handle(Arc::clone(&state), req));
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

    /// This is the ordinary API key: the operations that take the client's API key accept only
    /// it (or the management key, see below), 401 for any other. On an operation that needs a
    /// management key it is an ordinary key: answered as the live API does (200 with zeros for
    /// `GET /credits`), or 403 with [`forbid_ordinary_keys`](Self::forbid_ordinary_keys).
    pub fn require_api_key(&self, key: impl Into<String>) {
        self.state().api_key = Some(key.into());
    }

    /// This is the management key: the operations that need one answer it with the account's
    /// balance, and any other key there is an ordinary one (zeros, or 403); `GET /key` made with
    /// it says `is_management_key: true`. Without this, any key but the
    /// [API key](Self::require_api_key) counts as a management key.
    pub fn require_management_key(&self, key: impl Into<String>) {
        self.state().management_key = Some(key.into());
    }

    /// How an ordinary key's `GET /credits` is answered: `false` (the default) as the live API
    /// does, 200 with `total_credits` and `total_usage` 0; `true` as upstream documents it, 403
    /// "Only management keys can perform this operation".
    pub fn forbid_ordinary_keys(&self, forbid: bool) {
        self.state().ordinary_key_forbidden = forbid;
    }

    /// Sets the balance `GET /credits` reports.
    pub fn set_credits(&self, total_credits: f64, total_usage: f64) {
        let mut s = self.state();
        s.account.total_credits = total_credits;
        s.account.total_usage = total_usage;
    }

    /// Sets the key's own spending limit (`None`: no limit) and its usage, which `GET /key`
    /// reports as `limit`, `limit_remaining`, `usage` and, with a limit, a `key_limit` budget
    /// layer. Default: 100 USD, 25.5 used.
    pub fn set_key_limit(&self, limit_usd: Option<f64>, usage_usd: f64) {
        let mut s = self.state();
        s.account.key_limit = limit_usd;
        s.account.set_key_usage(usage_usd, None);
    }

    /// When the key's own limit resets, as `GET /key`'s `limit_reset` reports it: `daily`,
    /// `weekly`, `monthly`, or `None` for never. Default: `monthly` (upstream's example).
    pub fn set_key_limit_reset(&self, interval: Option<&str>) {
        self.state().account.key_limit_reset = interval.map(str::to_owned);
    }

    /// Sets the key's usage in the current UTC day, week and month (`GET /key`'s
    /// `usage_daily`, `usage_weekly`, `usage_monthly`). Each is lowered to the one after it and
    /// to the key's usage, so the figures stay consistent. Default: 25.5 each (upstream's
    /// example, all of the key's usage).
    pub fn set_key_usage_windows(&self, daily: f64, weekly: f64, monthly: f64) {
        let mut s = self.state();
        let usage = s.account.key_usage;
        s.account.set_key_usage(usage, Some([daily, weekly, monthly]));
    }

    /// Sets the budget layers `GET /key` reports besides the key's own limit, in enforcement
    /// order; its `effective_budget` is computed from them as upstream does. Default: a weekly
    /// member budget of 50 USD with 32.5 spent. An empty list: nothing budgeted.
    pub fn set_budgets(&self, budgets: impl IntoIterator<Item = MockBudget>) {
        self.state().account.budgets = budgets.into_iter().collect();
    }

    /// Sets the free-model requests per UTC day `GET /key` reports: the limit and those used.
    /// Default: 50, 12 used.
    pub fn set_free_model_requests(&self, limit: i64, used: i64) {
        self.state().account.free_model_requests = (limit, used);
    }

    /// Which shape of `GET /key` to answer; default [`KeyShape::Newest`].
    pub fn set_key_shape(&self, shape: KeyShape) {
        self.state().account.key_shape = shape;
    }

    /// Answer every charge with 410 Gone and upstream's message, as the live API does now.
    /// (Does nothing if the crate was generated without that operation.)
    pub fn set_coinbase_gone(&self, gone: bool) {
        // By id, not by variant: the operation set comes from the fragment.
        if let Some(&charge) = Operation::ALL.iter().find(|o| o.operation_id() == account::CHARGE) {
            self.set_gone(charge, gone.then_some(GONE_MESSAGE));
        }
    }

    /// Answer every call of `operation` with 410 Gone and this message (`None` restores it).
    pub fn set_gone(&self, operation: Operation, message: Option<&str>) {
        let mut s = self.state();
        match message {
            Some(m) => s.gone.insert(operation, m.to_owned()),
            None => s.gone.remove(&operation),
        };
    }

    /// Charges `usd` as paid model calls would: the account's usage (`GET /credits`), the key's
    /// usage and its day, week and month (`GET /key`), and every budget layer's spend. Between
    /// two calls of a test, this is spend made elsewhere.
    pub fn spend(&self, usd: f64) {
        self.state().account.spend(usd);
    }

    /// What each paid model call costs, charged as [`spend`](Self::spend) does; a `:free`
    /// model's call costs nothing and counts against the free-model quota instead. Default:
    /// [`DEFAULT_MODEL_CALL_COST`].
    pub fn set_model_call_cost(&self, usd: f64) {
        self.state().account.model_call_cost = usd;
    }

    /// The model endpoint's URL, `POST {base_url}/chat/completions`, for the program's own
    /// model calls in a test.
    ///
    /// The endpoint takes a bearer (the [API key](Self::require_api_key) when one is set) and
    /// a JSON body with a `model`. It answers, in this order: a response queued with
    /// [`enqueue_model_call`](Self::enqueue_model_call); the refusal set with
    /// [`refuse_model_calls`](Self::refuse_model_calls); for a `:free` model, 429
    /// `openrouter_free_tier_daily` once the day's free-model requests are used up (else one is
    /// counted); for any other, the first spent layer in enforcement order (the budget layers
    /// of [`set_budgets`](Self::set_budgets) as listed, the key's limit, then the account's
    /// balance), with upstream's error body; else 200 with a small OpenAI-shaped completion
    /// (`usage.cost` included), charged to every layer ([`set_model_call_cost`](Self::set_model_call_cost)).
    /// The in-flight budget and a request priced above it are only ever forced.
    ///
    /// ```
    /// use openrouter_credits::mock::{MockRefusal, MockServer};
    /// use openrouter_credits::{Blocked, BlockedBy};
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let server = MockServer::start().await?;
    /// let http = reqwest::Client::new();
    /// let call = || {
    ///     http.post(server.model_url())
    ///         .bearer_auth("sk-or-v1-test")
    ///         .json(&serde_json::json!({"model": "openai/gpt-4o-mini", "messages": []}))
    ///         .send()
    /// };
    /// assert_eq!(call().await?.status(), 200);
    ///
    /// // The in-flight budget is held by other requests: 402, and waiting helps.
    /// server.refuse_model_calls(MockRefusal::InFlightBudget { retry_after: Duration::from_secs(120) });
    /// let response = call().await?;
    /// let (status, headers) = (response.status().as_u16(), response.headers().clone());
    /// let blocked = Blocked::from_response(status, &headers, &response.bytes().await?).unwrap();
    /// assert_eq!(blocked.by(), BlockedBy::InFlightBudget);
    /// assert_eq!(blocked.retry_after(), Some(Duration::from_secs(120)));
    ///
    /// // Spend made elsewhere spends the key's limit (100 USD, 25.5 used): 403.
    /// server.accept_model_calls();
    /// server.spend(80.0);
    /// let response = call().await?;
    /// let (status, headers) = (response.status().as_u16(), response.headers().clone());
    /// let blocked = Blocked::from_response(status, &headers, &response.bytes().await?).unwrap();
    /// assert_eq!(blocked.by(), BlockedBy::Budget); // the weekly member budget (50 USD) is spent first
    /// # Ok(()) }
    /// ```
    pub fn model_url(&self) -> String {
        format!("http://{}{}", self.addr, model::PATH)
    }

    /// Refuses every model call with `refusal` until [`accept_model_calls`](Self::accept_model_calls).
    pub fn refuse_model_calls(&self, refusal: MockRefusal) {
        self.state().model_refusal = Some(refusal);
    }

    /// Ends [`refuse_model_calls`](Self::refuse_model_calls): model calls are refused only by
    /// spent layers again.
    pub fn accept_model_calls(&self) {
        self.state().model_refusal = None;
    }

    /// Queues a scripted answer for the model endpoint, served before anything else, one per
    /// call, in order.
    pub fn enqueue_model_call(&self, response: MockResponse) {
        self.state().model_queue.push_back(response);
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
#[non_exhaustive]
pub struct RecordedRequest {
    /// `GET`, `POST`, …
    pub method: Method,
    /// The path, e.g. `/api/v1/credits`.
    pub path: String,
    /// The query string, without `?` (empty when there was none).
    pub query: String,
    /// Every header as received.
    pub headers: HeaderMap,
    /// The body, byte for byte (empty when it passed [`MAX_REQUEST_BODY`]).
    pub body: Bytes,
    /// Which operation it was for, if any.
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
