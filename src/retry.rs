//! Retries: the policy ([`RetryConfig`]), the pure decision of what may be retried
//! ([`should_retry`]), how long to wait ([`next_delay`]), the loop around the generated call
//! ([`run`]) and the one attempt that the generated client's `exec` hook makes ([`attempt`]).
//!
//! What is retried:
//!
//! | outcome | `get_credits` | `create_coinbase_charge` (default) |
//! |---|---|---|
//! | 408, 500, 502, 504 | yes | no: the server may have acted |
//! | 429 | yes | yes: rate limited before acting |
//! | 503 | yes | only with `Retry-After` |
//! | connection failed before the request was written | if `retry_connection_errors` | if `retry_connection_errors` |
//! | connection broke after it was written | if `retry_connection_errors` | no |
//! | per-attempt timeout | yes | no |
//!
//! `.retry_non_idempotent(true)` on a charge gives it the `get_credits` column.

use crate::call::{BufferedResponse, CallContext, Operation};
use crate::generated;
use crate::transport::{self, Attempt};
use progenitor_client::ClientInfo;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use std::time::{Duration, SystemTime};
use tokio::time::Instant;

/// A retry policy: exponential backoff with full jitter, bounded per wait and in total.
///
/// ```
/// use std::time::Duration;
/// use openrouter_credits::RetryConfig;
/// let policy = RetryConfig::backoff(
///     Duration::from_millis(500), // first wait (before jitter)
///     Duration::from_secs(60),    // longest wait
///     1.5,                        // each wait is 1.5 × the one before
///     Duration::from_secs(120),   // the whole call, all attempts and waits
/// )
/// .retry_connection_errors(true);
/// assert_eq!(RetryConfig::none().max_attempts_or_unbounded(), Some(1));
/// # let _ = policy;
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RetryConfig {
    backoff: Option<Backoff>,
    retry_connection_errors: bool,
    max_attempts: Option<u32>,
    jitter: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Backoff {
    initial: Duration,
    max_interval: Duration,
    exponent: f64,
    max_elapsed: Duration,
}

impl Default for RetryConfig {
    /// 500 ms → 10 s × 1.5 with full jitter, at most 60 s per call, connection errors retried.
    ///
    /// The official SDK's one-hour budget suits a batch job, not a request handler waiting on
    /// a balance; a minute covers a deploy or a brief overload without hanging callers.
    fn default() -> Self {
        Self::backoff(Duration::from_millis(500), Duration::from_secs(10), 1.5, Duration::from_secs(60))
    }
}

impl RetryConfig {
    /// No retries: one attempt, whatever happens.
    pub fn none() -> Self {
        Self { backoff: None, retry_connection_errors: false, max_attempts: Some(1), jitter: true }
    }

    /// Exponential backoff: waits `initial`, `initial × exponent`, … each capped at
    /// `max_interval`, until `max_elapsed` (the whole call, attempts and waits) is spent.
    /// Connection errors are retried (see [`RetryConfig::retry_connection_errors`]).
    ///
    /// Values out of range are clamped: an exponent below 1 (or not finite) is taken as 1,
    /// and `max_interval` below `initial` as `initial`.
    pub fn backoff(initial: Duration, max_interval: Duration, exponent: f64, max_elapsed: Duration) -> Self {
        let exponent = if exponent.is_finite() && exponent >= 1.0 { exponent } else { 1.0 };
        Self {
            backoff: Some(Backoff { initial, max_interval: max_interval.max(initial), exponent, max_elapsed }),
            retry_connection_errors: true,
            max_attempts: None,
            jitter: true,
        }
    }

    /// Whether a failed connection (refused, reset, DNS, TLS) is retried. For the charge call
    /// only failures *before the request was written* are, whatever this says.
    pub fn retry_connection_errors(mut self, yes: bool) -> Self {
        self.retry_connection_errors = yes;
        self
    }

    /// At most `n` attempts in all (at least 1), on top of the time budget.
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = Some(n.max(1));
        self
    }

    /// Full jitter (on by default): each wait is uniform in `[0, backoff]`, so many clients
    /// failing at once do not retry in step (the AWS "Exponential Backoff and Jitter" result:
    /// full jitter does the least total work of the schemes compared). Off: exactly the backoff.
    pub fn jitter(mut self, on: bool) -> Self {
        self.jitter = on;
        self
    }

    /// The attempt cap, `None` when only the time budget bounds the call.
    pub fn max_attempts_or_unbounded(&self) -> Option<u32> {
        if self.backoff.is_none() { Some(1) } else { self.max_attempts }
    }
}

/// What one attempt came to, as far as retrying is concerned.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Outcome {
    /// A response with this status and, if valid, its `Retry-After`.
    Status(StatusCode, Option<Duration>),
    /// Connecting failed: the request was never written.
    ConnectFailed,
    /// The attempt timed out after the request may have been written.
    TimedOut,
    /// The connection broke after the request may have been written.
    Broken,
    /// The body passed the size cap.
    TooLarge,
}

/// Whether `outcome` may be retried for `operation`. Pure: the table in this module's docs.
pub(crate) fn should_retry(
    operation: Operation,
    outcome: Outcome,
    config: &RetryConfig,
    non_idempotent_opt_in: bool,
) -> bool {
    let idempotent = operation.is_idempotent() || non_idempotent_opt_in;
    match outcome {
        Outcome::Status(status, retry_after) => match status.as_u16() {
            429 => true,
            503 => idempotent || retry_after.is_some(),
            408 | 500 | 502 | 504 => idempotent,
            _ => false,
        },
        Outcome::ConnectFailed => config.retry_connection_errors,
        Outcome::Broken => idempotent && config.retry_connection_errors,
        Outcome::TimedOut => idempotent,
        Outcome::TooLarge => false,
    }
}

/// How long to wait before attempt `attempt + 1`, or `None` to stop now.
///
/// `retry_after` (the server's ask) is used as is when it fits both `max_interval` and the time
/// left; when it does not, the call stops and the caller sees the error with its
/// `retry_after()`, rather than sleeping past the deadline or retrying too early.
/// `unit` is the jitter draw in `[0, 1)`.
pub(crate) fn next_delay(
    config: &RetryConfig,
    attempt: u32,
    elapsed: Duration,
    retry_after: Option<Duration>,
    unit: f64,
) -> Option<Duration> {
    let backoff = config.backoff?;
    if config.max_attempts.is_some_and(|max| attempt >= max) {
        return None;
    }
    let left = backoff.max_elapsed.checked_sub(elapsed).filter(|d| !d.is_zero())?;
    if let Some(asked) = retry_after {
        return (asked <= backoff.max_interval && asked < left).then_some(asked);
    }
    let exp = i32::try_from(attempt.saturating_sub(1)).unwrap_or(i32::MAX);
    let grown = backoff.initial.as_secs_f64() * backoff.exponent.powi(exp);
    let capped = grown.min(backoff.max_interval.as_secs_f64());
    let wait = if config.jitter { capped * unit.clamp(0.0, 1.0) } else { capped };
    let wait = Duration::try_from_secs_f64(wait).unwrap_or(backoff.max_interval);
    (wait < left).then_some(wait)
}

/// Parses `Retry-After` as delta-seconds or an HTTP date; anything else is ignored (`None`).
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

fn classify(attempt: &Attempt) -> Outcome {
    match attempt {
        // Retry-After only matters for a status that may be retried: a success skips the
        // header lookup and the clock read.
        Attempt::Response(r) if r.status.is_success() => Outcome::Status(r.status, None),
        Attempt::Response(r) => Outcome::Status(r.status, retry_after(&r.headers, SystemTime::now())),
        Attempt::TooLarge(_) => Outcome::TooLarge,
        Attempt::Failed(e) if e.is_connect() => Outcome::ConnectFailed,
        Attempt::Failed(e) if e.is_timeout() => Outcome::TimedOut,
        Attempt::Failed(_) => Outcome::Broken,
    }
}

/// Runs `call` (one generated call, so one attempt through the `exec` hook) until the policy
/// says stop, sleeping between attempts; returns the last attempt's result.
///
/// The loop sits here, around the generated call, rather than inside `exec`: every retry has
/// progenitor build the request afresh, so no copy of the request is kept in case one is needed
/// (reqwest consumes a request when it sends it, and that copy cost 9 allocations per call).
pub(crate) async fn run<T, F: Future<Output = T>>(generated: &generated::Client, call: impl Fn() -> F) -> T {
    let started = Instant::now();
    loop {
        let result = call().await;
        match after_attempt(generated.inner(), started) {
            Some(wait) => {
                drop(result);
                tokio::time::sleep(wait).await;
            }
            None => return result,
        }
    }
}

/// After an attempt: the wait before the next one, or `None` to stop. Emits the attempt's
/// tracing event. Takes the attempt's outcome from the record, so a call that never reached
/// `exec` (nothing recorded) stops at once.
fn after_attempt(ctx: &CallContext, started: Instant) -> Option<Duration> {
    let (attempt_no, status, outcome) = {
        let mut record = ctx.record();
        (record.attempts, record.status, record.outcome.take()?)
    };
    let delay = if should_retry(ctx.operation, outcome, &ctx.retries, ctx.retry_non_idempotent) {
        let retry_after = match outcome {
            Outcome::Status(_, retry_after) => retry_after,
            _ => None,
        };
        next_delay(&ctx.retries, attempt_no, started.elapsed(), retry_after, fastrand::f64())
    } else {
        None
    };
    trace_attempt(ctx.operation, attempt_no, status, outcome, delay);
    delay
}

/// One attempt, run by the `exec` hook: send under the per-attempt timeout, read the body
/// under the cap, record what happened (for [`run`] and for the error mapping), and hand the
/// generated code a response to decode.
pub(crate) async fn attempt(
    http: &reqwest::Client,
    mut request: reqwest::Request,
    ctx: &CallContext,
) -> reqwest::Result<reqwest::Response> {
    *request.timeout_mut() = ctx.attempt_timeout;
    let result = transport::attempt(http, request, ctx.max_response_bytes).await;
    let outcome = classify(&result);
    let mut record = ctx.record();
    record.attempts += 1;
    record.outcome = Some(outcome);
    // Only the last attempt's response may become the call's error.
    record.error_response = None;
    record.too_large = None;
    match result {
        Attempt::Response(response) => {
            record.status = Some(response.status);
            if !response.status.is_success() {
                record.error_response = Some(response.clone());
            }
            Ok(transport::rebuild(response))
        }
        Attempt::TooLarge(status) => {
            record.status = Some(status);
            record.too_large = Some((status, ctx.max_response_bytes));
            Ok(transport::rebuild(BufferedResponse {
                status,
                version: reqwest::Version::HTTP_11,
                url: None,
                headers: HeaderMap::new(),
                body: bytes::Bytes::new(),
            }))
        }
        Attempt::Failed(e) => {
            record.status = None;
            Err(e)
        }
    }
}

/// One event per attempt: operation, attempt number, status or error kind, and the wait
/// before the next one. Never headers or bodies, so never a secret.
fn trace_attempt(
    operation: Operation,
    attempt: u32,
    status: Option<StatusCode>,
    outcome: Outcome,
    delay: Option<Duration>,
) {
    let status = status.map(|s| s.as_u16());
    let error = match outcome {
        Outcome::Status(..) => None,
        Outcome::ConnectFailed => Some("connect"),
        Outcome::TimedOut => Some("timeout"),
        Outcome::Broken => Some("connection broken"),
        Outcome::TooLarge => Some("response too large"),
    };
    let retry_in_ms = delay.map(|d| d.as_millis() as u64);
    tracing::debug!(
        target: "openrouter_credits",
        operation = operation.as_str(),
        attempt,
        status,
        error,
        retry_in_ms,
        "{}",
        if delay.is_some() { "attempt failed, retrying" } else { "attempt finished" }
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const GET: Operation = Operation::GetCredits;
    const CHARGE: Operation = Operation::CreateCoinbaseCharge;

    fn status(code: u16, retry_after: bool) -> Outcome {
        Outcome::Status(StatusCode::from_u16(code).unwrap(), retry_after.then_some(Duration::from_secs(1)))
    }

    /// The table in the module docs, row by row: (outcome, get_credits, charge, charge opted in).
    #[test]
    fn should_retry_matches_the_documented_table() {
        let on = RetryConfig::default();
        let rows = [
            (status(408, false), true, false, true),
            (status(500, false), true, false, true),
            (status(502, false), true, false, true),
            (status(504, false), true, false, true),
            (status(429, false), true, true, true),
            (status(503, false), true, false, true),
            (status(503, true), true, true, true),
            (status(400, false), false, false, false),
            (status(401, false), false, false, false),
            (status(410, false), false, false, false),
            (status(200, false), false, false, false),
            (Outcome::ConnectFailed, true, true, true),
            (Outcome::Broken, true, false, true),
            (Outcome::TimedOut, true, false, true),
            (Outcome::TooLarge, false, false, false),
        ];
        for (outcome, get, charge, opted_in) in rows {
            assert_eq!(should_retry(GET, outcome, &on, false), get, "get {outcome:?}");
            assert_eq!(should_retry(CHARGE, outcome, &on, false), charge, "charge {outcome:?}");
            assert_eq!(should_retry(CHARGE, outcome, &on, true), opted_in, "opted-in charge {outcome:?}");
        }
        let off = RetryConfig::default().retry_connection_errors(false);
        for op in [GET, CHARGE] {
            assert!(!should_retry(op, Outcome::ConnectFailed, &off, true));
            assert!(!should_retry(op, Outcome::Broken, &off, true));
        }
    }

    #[test]
    fn none_never_waits() {
        assert_eq!(next_delay(&RetryConfig::none(), 1, Duration::ZERO, None, 0.5), None);
    }

    #[test]
    fn retry_after_forms() {
        let mut headers = HeaderMap::new();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        for (value, want) in [
            ("120", Some(120)),
            (" 7 ", Some(7)),
            ("Sun, 09 Sep 2001 01:47:00 GMT", Some(20)), // now is 01:46:40
            ("Sun, 09 Sep 2001 01:40:00 GMT", Some(0)),
            ("-1", None),
            ("1.5", None),
            ("soon", None),
            ("", None),
        ] {
            headers.insert(RETRY_AFTER, value.parse().unwrap());
            assert_eq!(retry_after(&headers, now), want.map(Duration::from_secs), "{value:?}");
        }
    }

    proptest! {
        /// Whatever the policy and the moment, a wait fits max_interval and the time left.
        #[test]
        fn waits_stay_within_bounds(
            initial_ms in 0u64..10_000, max_ms in 0u64..100_000, exponent in -5.0f64..50.0, budget_ms in 0u64..1_000_000,
            attempt in 1u32..1000, elapsed_ms in 0u64..2_000_000, asked in proptest::option::of(0u64..100_000), unit in 0.0f64..1.0,
        ) {
            let policy = RetryConfig::backoff(
                Duration::from_millis(initial_ms), Duration::from_millis(max_ms), exponent, Duration::from_millis(budget_ms));
            let max_interval = Duration::from_millis(max_ms.max(initial_ms));
            let elapsed = Duration::from_millis(elapsed_ms);
            if let Some(wait) = next_delay(&policy, attempt, elapsed, asked.map(Duration::from_millis), unit) {
                prop_assert!(wait <= max_interval);
                prop_assert!(elapsed + wait < Duration::from_millis(budget_ms));
                if let Some(asked) = asked { prop_assert_eq!(wait, Duration::from_millis(asked)); }
            }
        }

        /// No header value makes the parser panic.
        #[test]
        fn retry_after_never_panics(value in "\\PC{0,40}") {
            if let Ok(v) = value.parse() {
                let mut headers = HeaderMap::new();
                headers.insert(RETRY_AFTER, v);
                let _ = retry_after(&headers, SystemTime::now());
            }
        }
    }
}
