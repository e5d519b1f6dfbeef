//! One call, start to end, for any operation: the builder's options and the generated
//! request parts go in; attempts go out through [`transport`]; each outcome is classified and
//! decided on by [`retry`]; the last attempt becomes the result in [`outcome`]. Data flows one
//! way: no stage writes anything an earlier stage reads back. The loop owns what the attempts
//! add up to (their count, the time spent).
//!
//! The generated builders hold a [`Call`] and end in [`Call::send`].

use crate::auth::Bearer;
use crate::base_url::{join, normalize_base_url};
use crate::client::{Client, Shared, positive_total_timeout};
use crate::error::Error;
use crate::generated::Operation;
use crate::operation::{Credential, Facts};
use crate::outcome::{self, Finished, Success};
use crate::redact::Secrets;
use crate::retry::{self, RetryConfig, Verdict};
use crate::trace;
use crate::transport;
use bytes::Bytes;
use reqwest::Url;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tracing::Instrument;

/// What `.await` on a builder returns: boxed so the builders can be awaited directly, `Send +
/// 'static` so they can be spawned.
pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'static>>;

/// One operation's call, as its generated builder holds it: the client, the operation, and
/// what this call overrides.
pub(crate) struct Call {
    client: Client,
    operation: Operation,
    /// The token of a per-call credential.
    bearer: Option<Bearer>,
    retries: Option<RetryConfig>,
    timeout: Option<Duration>,
    base_url: Option<String>,
    headers: HeaderMap,
    /// The first invalid `.header(..)`, reported by `send` before anything is sent.
    invalid_header: Option<Error>,
    retry_non_idempotent: bool,
    /// This call's total timeout, instead of the client's.
    total_timeout: Option<Duration>,
    /// No attempt runs, and no retry waits, past this instant (`client.spendable()`'s deadline),
    /// nor past the total timeout.
    deadline: Option<Instant>,
}

/// What the generated builder computed from its arguments, after validating them.
pub(crate) struct Request<'a> {
    /// Path segments below the base URL, parameters as values (each is percent-encoded).
    pub(crate) segments: &'a [&'a str],
    pub(crate) query: &'a [(&'static str, String)],
    /// The JSON body, if the operation has one.
    pub(crate) body: Option<Bytes>,
}

/// Headers a caller may not set with `.header(..)`: framing headers (a wrong `Content-Length`
/// truncates or hangs the request), hop-by-hop headers, and the ones the crate sets itself.
const RESERVED_HEADERS: [&str; 14] = [
    "authorization",
    "proxy-authorization",
    "content-length",
    "transfer-encoding",
    "host",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    "trailer",
    "proxy-connection",
    "content-type",
    "accept",
    "user-agent",
];

impl Call {
    pub(crate) fn new(client: &Client, operation: Operation) -> Self {
        Self {
            client: client.clone(),
            operation,
            bearer: None,
            retries: None,
            timeout: None,
            base_url: None,
            headers: HeaderMap::new(),
            invalid_header: None,
            retry_non_idempotent: false,
            total_timeout: None,
            deadline: None,
        }
    }

    pub(crate) fn deadline(&mut self, at: Instant) {
        self.deadline = Some(at);
    }

    pub(crate) fn with_bearer(mut self, bearer: Bearer) -> Self {
        self.bearer = Some(bearer);
        self
    }

    pub(crate) fn retries(&mut self, policy: RetryConfig) {
        self.retries = Some(policy);
    }

    pub(crate) fn timeout(&mut self, timeout: Duration) {
        self.timeout = Some(timeout);
    }

    pub(crate) fn total_timeout(&mut self, timeout: Duration) {
        self.total_timeout = Some(timeout);
    }

    pub(crate) fn base_url(&mut self, url: String) {
        self.base_url = Some(url);
    }

    pub(crate) fn retry_non_idempotent(&mut self, yes: bool) {
        self.retry_non_idempotent = yes;
    }

    pub(crate) fn header(&mut self, name: &str, value: &str) {
        if self.invalid_header.is_some() {
            return;
        }
        let parsed = HeaderName::try_from(name).ok().zip(HeaderValue::try_from(value).ok());
        match parsed {
            Some((name, _)) if RESERVED_HEADERS.contains(&name.as_str()) => {
                self.invalid_header = Some(Error::invalid_input(
                    "header",
                    format!("`{name}` is set by the client and cannot be set per call"),
                ));
            }
            Some((name, value)) => {
                self.headers.insert(name, value);
            }
            None => {
                self.invalid_header =
                    Some(Error::invalid_input("header", "needs a valid header name and a value without line breaks"));
            }
        }
    }

    /// Runs the call: resolve the credential and URL, then attempt until the policy says stop.
    pub(crate) async fn send(self, request: Request<'_>) -> Result<Success, Error> {
        if let Some(e) = self.invalid_header {
            return Err(e);
        }
        let operation = self.operation;
        let facts = operation.facts();
        let shared: &Shared = &self.client.shared;
        let auth = credential(&self.client, facts, self.bearer)?.map(|carried| carried.header);
        let url = url(shared, operation, self.base_url.as_deref(), &request)?;
        // The client's policy was checked when it was built; this call's own is checked here.
        if let Some(policy) = &self.retries {
            policy.check()?;
        }
        let policy = self.retries.as_ref().unwrap_or(&shared.retries);
        let timeout = self.timeout.unwrap_or(shared.timeout);
        let idempotent = facts.idempotent || self.retry_non_idempotent;
        // With `fresh_connections_for_non_idempotent`, an operation that is not idempotent (the
        // charge) goes on a fresh connection, never on a pooled one the server may have closed.
        let http = shared.http_for(facts.idempotent);

        let total_timeout = positive_total_timeout(self.total_timeout.unwrap_or(shared.total_timeout))?;

        let budget = &shared.budget;
        let call_span = trace::call_span(operation, &facts.method, &url);
        let started = Instant::now();
        // The earlier of the total timeout and a deadline set from outside (`spendable`'s); a
        // deadline too far to represent is none.
        let deadline = match (started.checked_add(total_timeout), self.deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let run = async {
            budget.deposit();
            let mut attempts = 0u32;
            loop {
                attempts += 1;
                // Under a deadline, an attempt gets what is left of it when that is less; a
                // timeout then is the deadline's, and the error says so.
                let left = deadline.map(|at| at.saturating_duration_since(Instant::now()));
                let cut_by_deadline = left.is_some_and(|left| left < timeout);
                let timeout = left.map_or(timeout, |left| timeout.min(left));
                let http_request = build(facts, &url, auth.as_ref(), &self.headers, request.body.as_ref());
                let span = trace::attempt_span(&call_span, operation, &facts.method, &url, attempts);
                let attempt_started = Instant::now();
                let attempt = transport::attempt(http, http_request, &url, shared.max_response_bytes, timeout)
                    .instrument(span.clone())
                    .await;
                let (outcome, retry_after) = retry::classify(&attempt);
                let wanted = retry::decide(policy, idempotent, (outcome, retry_after), attempts, started.elapsed())
                    // A wait that would end at or past the deadline is not taken: this attempt is the last.
                    .filter(|wait| deadline.is_none_or(|at| Instant::now() + *wait < at));
                // The budget is asked only about a retry the policy allows: it can take a retry
                // away, never add one.
                let budget_refused = wanted.is_some() && !budget.try_withdraw();
                let verdict = Verdict {
                    operation,
                    attempt: attempts,
                    outcome,
                    retry_after,
                    took: attempt_started.elapsed(),
                    retry_in: wanted.filter(|_| !budget_refused),
                    budget_refused,
                };
                trace::attempt_ended(&span, &verdict);
                match verdict.retry_in {
                    Some(wait) => {
                        drop(attempt);
                        tokio::time::sleep(wait).await;
                    }
                    None => {
                        trace::call_ended(&call_span, &verdict, started.elapsed());
                        let secrets = Secrets::new(auth, Some(Arc::clone(&shared.keys)));
                        let finished = Finished {
                            last: verdict,
                            timeout: Some(timeout),
                            // What the call's deadline allowed in all, when it cut this attempt.
                            total_timeout: deadline
                                .filter(|_| cut_by_deadline)
                                .map(|at| at.saturating_duration_since(started)),
                            limit: shared.max_response_bytes,
                            secrets,
                        };
                        return outcome::finish(attempt, finished);
                    }
                }
            }
        };
        run.instrument(call_span.clone()).await
    }
}

impl fmt::Debug for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("operation", &self.operation)
            .field("bearer", &self.bearer)
            .field("retries", &self.retries)
            .field("timeout", &self.timeout)
            .field("base_url", &self.base_url)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("retry_non_idempotent", &self.retry_non_idempotent)
            .field("total_timeout", &self.total_timeout)
            .field("deadline", &self.deadline)
            .finish()
    }
}

/// Which key a request carried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sent {
    /// The client's API key: for an operation that takes it, or one that needs a management key
    /// when the caller said the API key is one.
    ApiKey,
    /// The client's management key.
    ManagementKey,
    /// The call's own bearer token.
    PerCall,
}

/// The credential a request carries: which key, and its `Authorization` value.
pub(crate) struct Carried {
    pub(crate) key: Sent,
    pub(crate) header: HeaderValue,
}

/// Which credential a call of the operation with `facts` carries on `client` (with the call's
/// own `bearer`, if any), or why it has none to send: `None` for an operation that takes none.
/// Decided here only: [`Call::send`] sends what this says, and `spendable` asks it which requests
/// the client can make and which key answered.
pub(crate) fn credential(client: &Client, facts: &Facts, bearer: Option<Bearer>) -> Result<Option<Carried>, Error> {
    let shared = &client.shared;
    let carried = |key, header: &HeaderValue| Ok(Some(Carried { key, header: header.clone() }));
    let missing = |field, rule: String| Err(Error::invalid_input(field, rule));
    match facts.credential {
        Credential::None => Ok(None),
        Credential::PerCall => match bearer {
            Some(b) => Ok(Some(Carried { key: Sent::PerCall, header: b.into_header()? })),
            None => missing("bearer", format!("is required for {}", facts.name)),
        },
        Credential::ApiKey => match &shared.api_key {
            Some(key) => carried(Sent::ApiKey, key),
            None => missing(
                "api_key",
                format!("is required for {}: set ClientBuilder::api_key or OPENROUTER_API_KEY", facts.name),
            ),
        },
        // Never the API key by default: the live API answers an ordinary key's `GET /credits`
        // with 200 and zeros, which would read as an empty account. Only a caller who says the
        // API key is a management key gets it sent here.
        Credential::ManagementKey => match shared.management_key.as_ref() {
            Some(key) => carried(Sent::ManagementKey, key),
            None => match shared.api_key.as_ref().filter(|_| shared.api_key_is_management_key) {
                Some(key) => carried(Sent::ApiKey, key),
                None => missing("management_key", management_key_rule(facts.name, shared.api_key.is_some())),
            },
        },
    }
}

/// Why an operation that needs a management key was not sent, and what to do.
pub(crate) fn management_key_rule(operation: &str, has_api_key: bool) -> String {
    let mut rule = format!(
        "is required for {operation}: set ClientBuilder::management_key(..) or OPENROUTER_MANAGEMENT_KEY \
         (create one at openrouter.ai/settings/management-keys)"
    );
    if has_api_key {
        rule.push_str(
            "; the API key was not sent: OpenRouter answers an ordinary key with 200 and zeros, not a balance \
             (if it is a management key, say so with ClientBuilder::api_key_is_management_key(true))",
        );
    }
    rule
}

/// The base URL (the client's, parsed once, or this call's) with the path and query appended.
/// A fixed path on the client's base URL is borrowed from the client: each attempt's request
/// clones it once, and nothing else does.
fn url<'s>(
    shared: &'s Shared,
    operation: Operation,
    override_url: Option<&str>,
    request: &Request<'_>,
) -> Result<Cow<'s, Url>, Error> {
    let mut url = match override_url {
        Some(raw) => {
            let url = normalize_base_url(raw)?.1;
            if !shared.allows(&url) {
                return Err(Error::invalid_input(
                    "base_url",
                    "a loopback URL must be the client's own (ClientBuilder::base_url), so no proxy sees the request",
                ));
            }
            Cow::Owned(join(url, request.segments))
        }
        // A fixed path on the client's base URL: joined once per client and operation.
        None if !operation.facts().templated => Cow::Borrowed(shared.operation_url(operation, request.segments)),
        None => Cow::Owned(join(shared.base_url.clone(), request.segments)),
    };
    if !request.query.is_empty() {
        url.to_mut().query_pairs_mut().extend_pairs(request.query);
    }
    Ok(url)
}

/// One attempt's request. Built afresh for each attempt: reqwest consumes a request when it
/// sends it, and building one costs less than keeping a copy in case it is needed.
fn build(
    facts: &Facts,
    url: &Url,
    auth: Option<&HeaderValue>,
    extra: &HeaderMap,
    body: Option<&Bytes>,
) -> reqwest::Request {
    let mut request = reqwest::Request::new(facts.method.clone(), url.clone());
    let headers = request.headers_mut();
    headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    if let Some(auth) = auth {
        headers.insert(header::AUTHORIZATION, auth.clone());
    }
    if let Some(body) = body {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        *request.body_mut() = Some(reqwest::Body::from(body.clone()));
    }
    for (name, value) in extra {
        request.headers_mut().insert(name, value.clone());
    }
    request
}

/// A generated body, serialized once for every attempt.
pub(crate) fn json_body<T: serde::Serialize>(body: &T) -> Result<Bytes, Error> {
    serde_json::to_vec(body).map(Bytes::from).map_err(|e| Error::invalid_input("body", e.to_string()))
}

/// The setters every generated builder has, written once.
macro_rules! call_options {
    () => {
        /// Retry policy for this call only, instead of the client's.
        pub fn retries(mut self, policy: crate::RetryConfig) -> Self {
            self.call.retries(policy);
            self
        }

        /// Per-attempt timeout for this call only, instead of the client's.
        pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
            self.call.timeout(timeout);
            self
        }

        /// A hard deadline for this call only, instead of the client's
        /// ([`ClientBuilder::total_timeout`](crate::ClientBuilder::total_timeout), 60 s by
        /// default): attempts, waits and the last attempt included, nothing runs past it. Zero
        /// is refused before anything is sent.
        pub fn total_timeout(mut self, timeout: std::time::Duration) -> Self {
            self.call.total_timeout(timeout);
            self
        }

        /// An extra header on this call (replacing one of the same name; the attribution headers
        /// may be overridden this way). Headers the client sets itself (`Authorization`,
        /// `Content-Type`, `Accept`, `User-Agent`) and framing headers
        /// (`Content-Length`, `Transfer-Encoding`, `Host`, `Connection`, …) are refused: `send`
        /// fails with [`Error::InvalidInput`](crate::Error::InvalidInput) before anything is sent,
        /// as it does for an invalid name or value.
        pub fn header(mut self, name: impl AsRef<str>, value: impl AsRef<str>) -> Self {
            self.call.header(name.as_ref(), value.as_ref());
            self
        }

        /// No attempt runs, and no retry waits, past `at` (`Client::spendable`'s one deadline
        /// over its requests).
        #[allow(dead_code, reason = "every builder has it; only the reads `spendable` combines call it")]
        pub(crate) fn deadline(mut self, at: tokio::time::Instant) -> Self {
            self.call.deadline(at);
            self
        }

        /// Sends this call to another API root (same rules as
        /// [`ClientBuilder::base_url`](crate::ClientBuilder::base_url)).
        pub fn base_url(mut self, url: impl Into<String>) -> Self {
            self.call.base_url(url.into());
            self
        }
    };
}
pub(crate) use call_options;
