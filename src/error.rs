//! [`Error`]: every way a call can fail. The types only: statuses become variants in one
//! function, `outcome::finish`.

use crate::blocked::{Blocked, BlockedBy};
use crate::generated::Operation;
use crate::generated::types::ErrorResponse;
use crate::operation::Credential;
use crate::response::RateLimit;
use crate::transport::{TransportError, TransportKind};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use std::fmt;
use std::time::Duration;

/// Every error this crate returns.
///
/// API errors (a response with a non-success status) have a variant per status OpenRouter
/// documents, plus [`Error::Api`] for any other status. Each carries an [`ApiError`] with the
/// status, the headers, the parsed upstream body when there is one, and the raw text when there
/// is not.
///
/// ```
/// # async fn demo(client: openrouter_credits::Client) {
/// use openrouter_credits::Error;
/// match client.credits().get_credits().send().await {
///     Ok(credits) => println!("{}", credits.data.total_credits),
///     Err(Error::Unauthorized(e)) => eprintln!("bad key: {}", e.message().unwrap_or("")),
///     Err(e) if e.status() == Some(429) => eprintln!("rate limited, retry after {:?}", e.retry_after()),
///     Err(e) => eprintln!("{e}"),
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 400: the server rejected the request.
    #[error("{0}")]
    BadRequest(ApiError),
    /// 401: the key or bearer token is missing or invalid.
    #[error("{0}")]
    Unauthorized(ApiError),
    /// 402: a money layer refused: the account's credits, the in-flight spending budget (the
    /// balance is fine: retry after the wait), or a request priced above what may be spent at
    /// once. [`Error::blocked`] says which.
    #[error("{0}")]
    PaymentRequired(ApiError),
    /// 403: the key is valid but may not do this (`GET /credits` needs a management key), or a
    /// key limit or budget is spent ([`Error::blocked`]).
    #[error("{0}")]
    Forbidden(ApiError),
    /// 404: no such resource.
    #[error("{0}")]
    NotFound(ApiError),
    /// 410: the endpoint is gone. OpenRouter retired Coinbase charges and answers
    /// `POST /credits/coinbase` with 410; buy credits through the web purchase flow instead.
    #[error("{0}")]
    Gone(ApiError),
    /// 429: rate limited; see [`ApiError::retry_after`].
    #[error("{0}")]
    TooManyRequests(ApiError),
    /// 500: OpenRouter failed.
    #[error("{0}")]
    InternalServer(ApiError),
    /// Any other non-success status (for instance a 502 page from a gateway).
    #[error("{0}")]
    Api(ApiError),
    /// An attempt did not finish within its timeout (or the call's total timeout passed), and
    /// no retry was left or allowed. The request was written: the server may have acted on it.
    #[error(
        "{operation}: timed out after {attempts} attempt{} ({}){}; {}",
        plural(*attempts),
        show_timeouts(*timeout, *total_timeout),
        budget_note(*retry_budget_exhausted),
        if !operation.is_idempotent() { "the server may have acted on the request: check before sending it again" }
        else if total_timeout.is_some() { "raise it with .total_timeout(..)" }
        else { "raise it with .timeout(..)" }
    )]
    #[non_exhaustive]
    Timeout {
        /// The operation called.
        operation: Operation,
        /// Attempts made, the last one included.
        attempts: u32,
        /// The per-attempt timeout in force (for the last attempt: what the deadline left of it).
        timeout: Option<Duration>,
        /// The call's total timeout, when it is what ended the call (the last attempt was cut
        /// short by the call's deadline: [`ClientBuilder::total_timeout`](crate::ClientBuilder::total_timeout)).
        total_timeout: Option<Duration>,
        /// The policy allowed another attempt, and the client's retry budget refused it.
        retry_budget_exhausted: bool,
    },
    /// The connection failed or broke (refused, reset, TLS, DNS, protocol), and no retry was
    /// left or allowed. [`TransportError::kind`] says which; the message names the root cause.
    #[error("{operation}: {}: {source} (after {attempts} attempt{}{})", if *connect { "could not connect" } else { "connection failed" }, plural(*attempts), budget_note(*retry_budget_exhausted))]
    #[non_exhaustive]
    Transport {
        /// The operation called.
        operation: Operation,
        /// Attempts made, the last one included.
        attempts: u32,
        /// True when the request was never written (connecting failed): the server saw nothing.
        connect: bool,
        /// The policy allowed another attempt, and the client's retry budget refused it.
        retry_budget_exhausted: bool,
        /// What failed, classified; the underlying error is its `source()`.
        #[source]
        source: TransportError,
    },
    /// The server answered with a success status, then the body broke off (reset, truncated,
    /// stalled past the timeout). The server has probably acted on the request: for a charge,
    /// it was probably created. Check before sending it again.
    #[error(
        "{operation}: HTTP {} came, then the response body broke off ({source}){}; {}",
        show_status(*status),
        budget_note(*retry_budget_exhausted),
        if operation.is_idempotent() { "sending it again is safe" } else { "the server probably acted on the request: check before sending it again" }
    )]
    #[non_exhaustive]
    ResponseInterrupted {
        /// The operation called.
        operation: Operation,
        /// The status that came before the body broke.
        status: u16,
        /// Attempts made, the last one included.
        attempts: u32,
        /// The policy allowed another attempt, and the client's retry budget refused it.
        retry_budget_exhausted: bool,
        /// What broke the body.
        #[source]
        source: TransportError,
    },
    /// A success response whose body is not the documented JSON.
    #[error("{operation}: HTTP {} response could not be decoded: {message}", show_status(*status))]
    #[non_exhaustive]
    Decode {
        /// The operation called.
        operation: Operation,
        /// The response's status.
        status: u16,
        /// What did not match, with the path of the field (`data.total_usage: missing field`).
        message: String,
        /// The start of the body, for debugging.
        body_excerpt: String,
    },
    /// The response body was larger than the client's cap; it was not read past the cap.
    #[error(
        "{operation}: HTTP {} response is larger than the {limit}-byte limit (ClientBuilder::max_response_bytes)",
        show_status(*status)
    )]
    #[non_exhaustive]
    ResponseTooLarge {
        /// The operation called.
        operation: Operation,
        /// The response's status.
        status: u16,
        /// The cap in force.
        limit: usize,
    },
    /// [`Client::spendable`](crate::Client::spendable) sent both its requests and both failed:
    /// nothing was read. Each error is kept; [`retry_after`](Self::retry_after) is the longer
    /// ask of the two, [`blocked_by`](Self::blocked_by) and [`hint`](Self::hint) come from
    /// `GET /key`'s error, else `GET /credits`'.
    #[error("both requests failed, nothing was read: {key}; {credits}")]
    #[non_exhaustive]
    BothFailed {
        /// `GET /key`'s error.
        key: Box<Error>,
        /// `GET /credits`' error.
        credits: Box<Error>,
    },
    /// The failure of one refresh that several checks of a
    /// [`SpendGuard`](crate::SpendGuard) waited on, shared by each of them (an [`Error`] is not
    /// `Clone`). Its methods ([`status`](Self::status), [`blocked_by`](Self::blocked_by),
    /// [`retry_after`](Self::retry_after), …) answer for the error inside.
    #[error(transparent)]
    Shared(std::sync::Arc<Error>),
    /// A value given to a builder breaks a rule; nothing was sent.
    #[error("invalid {field}: {rule}")]
    #[non_exhaustive]
    InvalidInput {
        /// The field, as named in the API or the builder method (`amount`, `base_url`).
        field: &'static str,
        /// The rule it breaks.
        rule: String,
    },
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// What a message adds when the retry budget stopped the call.
fn budget_note(exhausted: bool) -> &'static str {
    if exhausted { "; not retried: the client's retry budget is exhausted (too many retries lately)" } else { "" }
}

/// A status as messages show it: the code and its reason phrase, when it has one (`200 OK`).
fn show_status(code: u16) -> String {
    match StatusCode::from_u16(code).ok().and_then(|s| s.canonical_reason()) {
        Some(reason) => format!("{code} {reason}"),
        None => code.to_string(),
    }
}

fn show_timeouts(attempt: Option<Duration>, total: Option<Duration>) -> String {
    match (total, attempt) {
        (Some(total), _) => format!("total timeout {total:?} passed"),
        (None, Some(t)) => format!("per-attempt timeout {t:?}"),
        (None, None) => "per-attempt timeout none".into(),
    }
}

impl Error {
    pub(crate) fn invalid_input(field: &'static str, rule: impl Into<String>) -> Self {
        Error::InvalidInput { field, rule: rule.into() }
    }

    /// The HTTP status of the response this error came from, if there was one (for
    /// [`BothFailed`](Self::BothFailed), the status both answered with, when they agree).
    pub fn status(&self) -> Option<u16> {
        match self {
            // Both requests' status, when they agree.
            Error::BothFailed { key, credits } => key.status().filter(|s| credits.status() == Some(*s)),
            Error::Decode { status, .. }
            | Error::ResponseTooLarge { status, .. }
            | Error::ResponseInterrupted { status, .. } => Some(*status),
            Error::Shared(e) => e.status(),
            _ => self.api().map(ApiError::status),
        }
    }

    /// The API error, for any variant that has one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::BadRequest(e)
            | Error::Unauthorized(e)
            | Error::PaymentRequired(e)
            | Error::Forbidden(e)
            | Error::NotFound(e)
            | Error::Gone(e)
            | Error::TooManyRequests(e)
            | Error::InternalServer(e)
            | Error::Api(e) => Some(e),
            Error::Shared(e) => e.api(),
            _ => None,
        }
    }

    /// How long the server asked to wait (`retry-after-ms`, `Retry-After`), when it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Shared(e) => e.retry_after(),
            Error::BothFailed { key, credits } => key.retry_after().max(credits.retry_after()),
            _ => self.api().and_then(ApiError::retry_after),
        }
    }

    /// Attempts made before giving up; `None` when nothing was sent (invalid input).
    pub fn attempts(&self) -> Option<u32> {
        match self {
            Error::Shared(e) => e.attempts(),
            // Each request's own attempts; the larger, as both ran at once.
            Error::BothFailed { key, credits } => key.attempts().max(credits.attempts()),
            Error::Timeout { attempts, .. }
            | Error::Transport { attempts, .. }
            | Error::ResponseInterrupted { attempts, .. } => Some(*attempts),
            _ => self.api().map(ApiError::attempts),
        }
    }

    /// Whether the retry policy allowed another attempt and the client's
    /// [`RetryBudget`](crate::RetryBudget) refused it: the client has been retrying too much
    /// lately (an outage, most likely), so this call returned its last attempt's error instead
    /// of adding to the load. [`attempts`](Self::attempts) counts the attempts made.
    pub fn retry_budget_exhausted(&self) -> bool {
        match self {
            Error::Shared(e) => e.retry_budget_exhausted(),
            Error::BothFailed { key, credits } => key.retry_budget_exhausted() || credits.retry_budget_exhausted(),
            Error::Timeout { retry_budget_exhausted, .. }
            | Error::Transport { retry_budget_exhausted, .. }
            | Error::ResponseInterrupted { retry_budget_exhausted, .. } => *retry_budget_exhausted,
            _ => self.api().is_some_and(|e| e.0.retry_budget_exhausted),
        }
    }

    /// Whether the server may have acted on the request (so sending it again may act twice):
    /// false only where it provably did not (nothing sent, connecting failed, 429, or any 4xx
    /// it refused).
    pub fn may_have_acted(&self) -> bool {
        match self {
            Error::Shared(e) => e.may_have_acted(),
            Error::BothFailed { key, credits } => key.may_have_acted() || credits.may_have_acted(),
            Error::InvalidInput { .. } => false,
            Error::Transport { connect, .. } => !connect,
            _ => self.status().is_none_or(|s| s >= 500 || (200..300).contains(&s) || s == 408),
        }
    }

    /// What refused the request when it was money, a budget layer, the kind of key or a rate
    /// limit: [`Blocked::by`] of [`blocked`](Self::blocked). `None` for anything else (a plain
    /// 403 included).
    pub fn blocked_by(&self) -> Option<BlockedBy> {
        self.blocked().map(Blocked::by)
    }

    /// The refusal read from the response, by the classifier [`Blocked::from_response`] applies
    /// to any OpenRouter response: the layer, whether and how long waiting helps, when it
    /// resets, upstream's figures. `None` when the error is not a 402, 403 or 429 that names a
    /// layer. For [`BothFailed`](Self::BothFailed), `GET /key`'s refusal, else `GET /credits`'.
    pub fn blocked(&self) -> Option<&Blocked> {
        match self {
            Error::BothFailed { key, credits } => key.blocked().or_else(|| credits.blocked()),
            _ => self.api().and_then(ApiError::blocked),
        }
    }

    /// What a person can do about it, in a few words, when there is something.
    ///
    /// For an operation that is not idempotent (the charge), a hint never suggests sending it
    /// again where the server may have acted ([`may_have_acted`](Self::may_have_acted)): a 5xx,
    /// a timeout, a connection that broke after the request was written, a body that broke
    /// off. It says to check first.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Error::Shared(e) => return e.hint(),
            Error::BothFailed { key, credits } => return key.hint().or_else(|| credits.hint()),
            _ => {}
        }
        // 402, 429 and the 403s that name their layer: the hint names the layer too.
        if let Some(blocked) = self.blocked() {
            return Some(blocked.hint());
        }
        let credential = self.api().map(|e| e.operation().credential());
        Some(match self {
            Error::Unauthorized(_) if credential == Some(Credential::PerCall) => "check the bearer token",
            // Only the management key is sent there (or an API key said to be one).
            Error::Unauthorized(_) if credential == Some(Credential::ManagementKey) => {
                "check the management key (OPENROUTER_MANAGEMENT_KEY)"
            }
            Error::Unauthorized(_) => "check the API key (OPENROUTER_API_KEY)",
            Error::Forbidden(_) if credential == Some(Credential::ManagementKey) => BlockedBy::NotAManagementKey.hint(),
            Error::Forbidden(_) => "the key may not do this",
            Error::Gone(_) => "this endpoint is retired upstream; see the message for what replaces it",
            // Not idempotent (the charge), and the server may have acted: never "try again".
            Error::InternalServer(e) | Error::Api(e) if !e.operation().is_idempotent() && self.may_have_acted() => {
                "OpenRouter failed, but may have acted on the request anyway: check whether it took effect (e.g. the balance, or your account's activity) before sending it again"
            }
            Error::InternalServer(_) | Error::Api(_) if self.status().is_some_and(|s| s >= 500) => {
                "OpenRouter is having trouble: try again later"
            }
            Error::Timeout { operation, .. } if !operation.is_idempotent() => {
                "the request was sent and no answer came in time: the server may have acted on it; check whether it took effect (e.g. the balance, or your account's activity) before sending it again"
            }
            Error::Timeout { .. } => "the server is slow or unreachable: try again or raise the timeout",
            Error::ResponseInterrupted { operation, .. } if operation.is_idempotent() => {
                "the connection broke while the answer was read: try again"
            }
            Error::ResponseInterrupted { .. } => {
                "the server probably acted on the request: check (e.g. the balance) before sending it again"
            }
            Error::Transport { operation, connect: false, source, .. }
                if !operation.is_idempotent() && source.kind() == TransportKind::Protocol =>
            {
                "the server did not answer in HTTP (check the base URL's scheme and port), but the request was sent: the server may have acted on it; check whether it took effect (e.g. the balance, or your account's activity) before sending it again"
            }
            Error::Transport { operation, connect: false, .. } if !operation.is_idempotent() => {
                "the connection failed after the request was sent: the server may have acted on it; check whether it took effect (e.g. the balance, or your account's activity) before sending it again"
            }
            Error::Transport { source, .. } => source.explain().1,
            _ => return None,
        })
    }
}

/// A response with a non-success status: the status, the headers, upstream's
/// `{"error":{code,message}}` when the body had one, or the body's text when it did not (an HTML
/// page from a gateway).
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError(Box<ApiErrorParts>);

/// Boxed so that `Result<T, Error>` stays small on the success path.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ApiErrorParts {
    pub(crate) operation: Operation,
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) code: Option<i64>,
    pub(crate) message: Option<String>,
    pub(crate) body: Option<ErrorResponse>,
    pub(crate) raw_body: Option<String>,
    pub(crate) retry_after: Option<Duration>,
    /// The refusal, classified once when the error is built.
    pub(crate) blocked: Option<Blocked>,
    pub(crate) attempts: u32,
    /// The retry budget refused a retry the policy allowed.
    pub(crate) retry_budget_exhausted: bool,
}

impl ApiError {
    pub(crate) fn new(parts: ApiErrorParts) -> Self {
        Self(Box::new(parts))
    }
    /// The operation that failed.
    pub fn operation(&self) -> Operation {
        self.0.operation
    }
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.0.status.as_u16()
    }
    /// The response's headers, with any credential a server echoed in them replaced by
    /// `[redacted]`.
    pub fn headers(&self) -> &HeaderMap {
        &self.0.headers
    }
    /// Upstream's error body, when the response had one in the documented shape.
    pub fn body(&self) -> Option<&ErrorResponse> {
        self.0.body.as_ref()
    }
    /// Upstream's `error.code`.
    pub fn code(&self) -> Option<i64> {
        self.0.code
    }
    /// Upstream's `error.message`.
    pub fn message(&self) -> Option<&str> {
        self.0.message.as_deref()
    }
    /// The start of the body (up to 1 KiB) when it was not upstream's JSON error.
    pub fn raw_body(&self) -> Option<&str> {
        self.0.raw_body.as_deref()
    }
    /// How long the server asked to wait: `retry-after-ms`, else `Retry-After` (seconds or an
    /// HTTP date), else the body's `error.metadata.retry_after_seconds`.
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }
    /// The `X-RateLimit-*` headers, when the response had them.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        RateLimit::from_headers(&self.0.headers)
    }
    /// The refusal (402, 403, 429 naming a layer), as [`Error::blocked`] gives it.
    pub fn blocked(&self) -> Option<&Blocked> {
        self.0.blocked.as_ref()
    }
    /// Attempts made, this one included.
    pub fn attempts(&self) -> u32 {
        self.0.attempts
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: HTTP {}", self.0.operation, show_status(self.0.status.as_u16()))?;
        match (self.message(), self.0.raw_body.as_deref().map(str::trim).filter(|s| !s.is_empty())) {
            // One line, whatever upstream put in its message.
            (Some(m), _) => write!(f, ": {}", m.replace(|c: char| c.is_control(), " "))?,
            (None, Some(raw)) => {
                // One line: the first line of the body, shortened.
                let first: String = raw.lines().next().unwrap_or_default().chars().take(120).collect();
                write!(f, ": {first}")?;
            }
            _ => {}
        }
        if let Some(after) = self.0.retry_after {
            write!(f, " (retry after {}s)", after.as_secs_f64().ceil())?;
        }
        match (self.0.attempts, self.0.retry_budget_exhausted) {
            (1, false) => {}
            (n, false) => write!(f, " (after {n} attempts)")?,
            (n, true) => write!(f, " (after {n} attempt{}{})", plural(n), budget_note(true))?,
        }
        Ok(())
    }
}
