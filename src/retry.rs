//! The retry contract: what is retried, how long the waits are, and the budget every clone of a
//! client shares. [`RetryConfig`] is the policy of a client ([`ClientBuilder::retries`]) or of one
//! call (`.retries(..)` on any request builder); [`RetryBudget`] caps retries across calls
//! ([`ClientBuilder::retry_budget`]).
//!
//! # What is retried
//!
//! Idempotency comes from the method, or an `x-idempotent` extension in the spec.
//!
//! | outcome | idempotent (`get_credits`, `get_current_key`) | not idempotent (`create_coinbase_charge`) |
//! |---|---|---|
//! | 408, 500, 502, 504 | yes | no: the server may have acted |
//! | 429 | yes | yes: rate limited before acting |
//! | 503 | yes | no: a 503, with `Retry-After` or not, does not prove the server did nothing |
//! | refused, unreachable, reset or timed out before the request was written | if `retry_connection_errors` (and within `max_connect_attempts`) | the same |
//! | reset after it was written, or the body broke off | if `retry_connection_errors` | no |
//! | per-attempt timeout | yes | no |
//! | DNS failure, TLS failure (untrusted or mismatched certificate, no TLS on the port, a handshake never answered), protocol error (not HTTP/1.x, bad chunked framing) | no: it will fail the same way | no |
//! | any other status | no | no |
//!
//! `.retry_non_idempotent(true)` on a call gives it the idempotent column (the official Python
//! SDK retries the charge on 500, which can create two charges). Redirects are never followed
//! (one would replay a charge elsewhere). A request on a pooled connection the server was closing
//! is reset unread and cannot be told from one the server acted on; for the charge,
//! [`ClientBuilder::fresh_connections_for_non_idempotent`] rules that out.
//!
//! # How long
//!
//! [`RetryConfig::default`]: waits from 500 ms up to 10 s, × 1.5 each time, with full jitter (each
//! wait uniform in `[0, backoff]`, so clients that failed together do not retry together); no retry
//! starts after 60 s; connection errors retried. The server's ask (`retry-after-ms`, else
//! `Retry-After` in seconds or as a date, else the body's `error.metadata.retry_after_seconds`) is
//! waited when it fits `max_backoff` and the time left, and never less than the policy's step
//! (`Retry-After: 0` gets backoff, not a retry storm); when it does not fit, the call stops at
//! once with [`Error::retry_after`](crate::Error::retry_after) set. Each attempt has its own
//! timeout ([`ClientBuilder::timeout`], 30 s), and the whole call a total one
//! ([`ClientBuilder::total_timeout`], 60 s).
//!
//! # The retry budget
//!
//! In an outage every call fails and every call retries, multiplying the load on a server that is
//! already down. So over the last 10 s, retries may be at most 20 % of the calls made plus 10 a
//! second, across every clone of a client. A retry the budget refuses ends the call with its last
//! error, and [`Error::retry_budget_exhausted`](crate::Error::retry_budget_exhausted) is true. The
//! budget is asked only about retries the policy allows: it never makes the charge retryable.
//!
//! What a server sees in an outage, 1,000 `get_credits` calls at 200 a second on clones of one
//! client, every request answered 503 (`cargo test --test budget -- --ignored --nocapture
//! measure`, on tokio's paused clock): about 6.1 requests per call within 7 s without a budget
//! (18 in all, each call retrying for its 60 s), 1.30 with the default budget, all calls ended
//! by 7 s. With 2 % of requests failing, 1.02 either way: the budget costs nothing when the
//! server is well. `tests/budget.rs` pins the outage exactly.
//!
//! ```no_run
//! use openrouter_credits::retry::{RetryBudget, RetryConfig};
//! use openrouter_credits::Client;
//! use std::time::Duration;
//!
//! # fn main() -> Result<(), openrouter_credits::Error> {
//! let client = Client::builder()
//!     .api_key("sk-or-v1-YOUR-KEY")
//!     .retries(RetryConfig::default().max_elapsed(Duration::from_secs(20)))
//!     .retry_budget(RetryBudget::new().percent(0.1))
//!     .build()?;
//! let _call = client.api_keys().get_current_key().retries(RetryConfig::none()); // this call: once
//! # Ok(())
//! # }
//! ```
//!
//! [`ClientBuilder::retries`]: crate::ClientBuilder::retries
//! [`ClientBuilder::retry_budget`]: crate::ClientBuilder::retry_budget
//! [`ClientBuilder::timeout`]: crate::ClientBuilder::timeout
//! [`ClientBuilder::total_timeout`]: crate::ClientBuilder::total_timeout
//! [`ClientBuilder::fresh_connections_for_non_idempotent`]: crate::ClientBuilder::fresh_connections_for_non_idempotent

// Inside the crate: the policy as data and pure decisions (`classify`, `should_retry`,
// `next_delay`); the loop that applies them is in `call.rs`, what it reports in `trace.rs`.

pub use crate::budget::RetryBudget;
use crate::error::Error;
use crate::generated::Operation;
use crate::response::retry_after;
use crate::transport::{Attempt, TransportKind};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use std::time::{Duration, SystemTime};

/// A retry policy: exponential backoff with full jitter, bounded per wait and in total.
///
/// Start from [`RetryConfig::default`] (or [`RetryConfig::none`]) and change what you need, each
/// setting by name:
///
/// ```
/// use std::time::Duration;
/// use openrouter_credits::RetryConfig;
/// let policy = RetryConfig::default()
///     .initial_backoff(Duration::from_millis(500)) // the first wait (before jitter)
///     .max_backoff(Duration::from_secs(60)) // the longest wait
///     .backoff_multiplier(1.5) // each wait is 1.5 × the one before
///     .max_elapsed(Duration::from_secs(120)) // no retry starts after this (see `max_elapsed`)
///     .retry_connection_errors(true);
/// assert_eq!(RetryConfig::none().max_attempts_or_unbounded(), Some(1));
/// # let _ = policy;
/// ```
///
/// A setting out of range (a `max_backoff` below the `initial_backoff`, a multiplier below 1 or
/// not a number) is not clamped: [`ClientBuilder::build`](crate::ClientBuilder::build), or the
/// call given the policy, fails with [`Error::InvalidInput`] naming
/// the setting and the rule, and sends nothing. The settings are checked together there, so
/// they may be given in any order.
#[derive(Clone, Debug, PartialEq)]
pub struct RetryConfig {
    backoff: Option<Backoff>,
    retry_connection_errors: bool,
    max_attempts: Option<u32>,
    max_connect_attempts: Option<u32>,
    jitter: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Backoff {
    initial: Duration,
    max: Duration,
    multiplier: f64,
    max_elapsed: Duration,
}

impl Backoff {
    /// 500 ms → 10 s × 1.5, no retry started after 60 s.
    const DEFAULT: Backoff = Backoff {
        initial: Duration::from_millis(500),
        max: Duration::from_secs(10),
        multiplier: 1.5,
        max_elapsed: Duration::from_secs(60),
    };
}

impl Default for RetryConfig {
    /// 500 ms → 10 s × 1.5 with full jitter, no retry started after 60 s, connection errors
    /// retried. The client's default total timeout (60 s,
    /// [`ClientBuilder::total_timeout`](crate::ClientBuilder::total_timeout)) then ends the call.
    ///
    /// The official SDK's one-hour budget suits a batch job, not a request handler waiting on
    /// a balance; a minute covers a deploy or a brief overload without hanging callers.
    fn default() -> Self {
        Self {
            backoff: Some(Backoff::DEFAULT),
            retry_connection_errors: true,
            max_attempts: None,
            max_connect_attempts: None,
            jitter: true,
        }
    }
}

impl RetryConfig {
    /// No retries: one attempt, whatever happens. The backoff setters change nothing on it.
    pub fn none() -> Self {
        Self {
            backoff: None,
            retry_connection_errors: false,
            max_attempts: Some(1),
            max_connect_attempts: None,
            jitter: true,
        }
    }

    /// Exponential backoff, its settings by position: [`initial_backoff`](Self::initial_backoff),
    /// [`max_backoff`](Self::max_backoff), [`backoff_multiplier`](Self::backoff_multiplier) and
    /// [`max_elapsed`](Self::max_elapsed), on [`RetryConfig::default`].
    ///
    /// Unlike the named setters, values out of range are clamped: an exponent below 1 (or not
    /// finite) is taken as 1, and `max_interval` below `initial` as `initial`.
    #[deprecated(note = "two of its four arguments swap without a type error: use `RetryConfig::default()` with \
                `.initial_backoff(..)`, `.max_backoff(..)`, `.backoff_multiplier(..)` and `.max_elapsed(..)`")]
    pub fn backoff(initial: Duration, max_interval: Duration, exponent: f64, max_elapsed: Duration) -> Self {
        let exponent = if exponent.is_finite() && exponent >= 1.0 { exponent } else { 1.0 };
        Self::default()
            .initial_backoff(initial)
            .max_backoff(max_interval.max(initial))
            .backoff_multiplier(exponent)
            .max_elapsed(max_elapsed)
    }

    /// The wait after the first attempt, before jitter; default 500 ms. Each later wait is the
    /// one before × [`backoff_multiplier`](Self::backoff_multiplier), up to
    /// [`max_backoff`](Self::max_backoff).
    pub fn initial_backoff(self, wait: Duration) -> Self {
        self.with_backoff(|b| b.initial = wait)
    }

    /// The longest wait between two attempts, before jitter; default 10 s. At least
    /// [`initial_backoff`](Self::initial_backoff). It also bounds a server's `Retry-After`: a
    /// longer ask ends the call with the error (and its `retry_after()`) rather than a wait.
    pub fn max_backoff(self, wait: Duration) -> Self {
        self.with_backoff(|b| b.max = wait)
    }

    /// How much each wait grows over the one before; default 1.5. At least 1 (1 keeps every
    /// wait at [`initial_backoff`](Self::initial_backoff)), and a number.
    pub fn backoff_multiplier(self, multiplier: f64) -> Self {
        self.with_backoff(|b| b.multiplier = multiplier)
    }

    /// When a retry may *start*; default 60 s: a wait that would end at or after `max_elapsed`
    /// from the call's start is not taken. It does not cut an attempt short: the last attempt
    /// still runs under its own timeout, so without a deadline a call could last `max_elapsed`
    /// plus one attempt's timeout. The hard bound on the whole call (nothing runs past it) is the
    /// total timeout: [`ClientBuilder::total_timeout`](crate::ClientBuilder::total_timeout) (60 s
    /// by default) or a call's `.total_timeout(..)`.
    pub fn max_elapsed(self, budget: Duration) -> Self {
        self.with_backoff(|b| b.max_elapsed = budget)
    }

    /// Sets one backoff field; on [`RetryConfig::none`] nothing, since it never waits.
    fn with_backoff(mut self, set: impl FnOnce(&mut Backoff)) -> Self {
        if let Some(backoff) = &mut self.backoff {
            set(backoff);
        }
        self
    }

    /// The policy's rules, checked together (so the setters may come in any order): the
    /// setting that breaks one, and how.
    pub(crate) fn check(&self) -> Result<(), Error> {
        let Some(b) = &self.backoff else { return Ok(()) };
        if !(b.multiplier.is_finite() && b.multiplier >= 1.0) {
            return Err(Error::invalid_input(
                "backoff_multiplier",
                format!(
                    "RetryConfig::backoff_multiplier must be a number of at least 1 (1 keeps every wait the same), got {}",
                    b.multiplier
                ),
            ));
        }
        if b.max < b.initial {
            return Err(Error::invalid_input(
                "max_backoff",
                format!("RetryConfig::max_backoff ({:?}) must be at least initial_backoff ({:?})", b.max, b.initial),
            ));
        }
        Ok(())
    }

    /// Whether a failed connection (refused, reset, timed out) is retried. For the charge call
    /// only failures *before the request was written* are, whatever this says. DNS, TLS and
    /// protocol failures never are: they fail the same way next time.
    pub fn retry_connection_errors(mut self, yes: bool) -> Self {
        self.retry_connection_errors = yes;
        self
    }

    /// At most `n` attempts in all (at least 1), on top of the time budget.
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = Some(n.max(1));
        self
    }

    /// A failure to connect (refused, host unreachable, connect timeout: the request was never
    /// written) is retried only while fewer than `n` attempts (at least 1) were made; other
    /// failures keep the rest of the policy. Unset by default: the time budget bounds them.
    ///
    /// For an interactive tool, where a person waits: a server that is not there is reported
    /// after a few quick attempts (with the default backoff, 3 attempts take about 1.25 s at
    /// most), not after the whole time budget. The CLI uses 3.
    pub fn max_connect_attempts(mut self, n: u32) -> Self {
        self.max_connect_attempts = Some(n.max(1));
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
    /// A whole response with this status.
    Status(StatusCode),
    /// No whole response: a transport failure of this kind, before or after the request was
    /// written.
    Failed { kind: TransportKind, written: bool },
    /// The body passed the size cap.
    TooLarge,
}

/// How one attempt ended and what the loop made of it: the one record the attempt's span, the
/// call's span and the call's result are all written from.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Verdict {
    pub(crate) operation: Operation,
    /// The attempt's number: attempts made so far, this one included.
    pub(crate) attempt: u32,
    pub(crate) outcome: Outcome,
    /// The server's ask, when an error status came (see [`classify`]).
    pub(crate) retry_after: Option<Duration>,
    /// How long the attempt took.
    pub(crate) took: Duration,
    /// The wait before the next attempt; `None`: this attempt is the call's last.
    pub(crate) retry_in: Option<Duration>,
    /// The policy allowed a retry and the client's retry budget refused it.
    pub(crate) budget_refused: bool,
}

/// What an attempt came to, and the server's ask when it answered with an error status
/// (`retry-after-ms`, `Retry-After`): read here once, with one clock reading, for the wait and
/// for the error alike. A success skips the lookup and the clock read.
pub(crate) fn classify(attempt: &Attempt) -> (Outcome, Option<Duration>) {
    let asked = |status: StatusCode, headers: &HeaderMap| {
        if status.is_success() { None } else { retry_after(headers, SystemTime::now()) }
    };
    match attempt {
        Attempt::Response(r) => (Outcome::Status(r.status), asked(r.status, &r.headers)),
        Attempt::TooLarge(_) => (Outcome::TooLarge, None),
        Attempt::Failed(e) => (Outcome::Failed { kind: e.kind(), written: e.request_written() }, None),
        // The headers came: the request was written, whatever the body did.
        Attempt::BodyFailed(status, headers, e) => {
            (Outcome::Failed { kind: e.kind(), written: true }, asked(*status, headers))
        }
    }
}

/// Whether `outcome` may be retried. Pure: the table in this module's docs. `idempotent` is the
/// operation's idempotency or the call's opt-in.
pub(crate) fn should_retry(outcome: Outcome, config: &RetryConfig, idempotent: bool) -> bool {
    match outcome {
        Outcome::Status(status) => match status.as_u16() {
            429 => true,
            408 | 500 | 502 | 503 | 504 => idempotent,
            _ => false,
        },
        Outcome::Failed { kind: TransportKind::Timeout, written: true } => idempotent,
        Outcome::Failed { kind, .. } if !kind.is_transient() => false,
        Outcome::Failed { written: false, .. } => config.retry_connection_errors,
        Outcome::Failed { written: true, .. } => idempotent && config.retry_connection_errors,
        Outcome::TooLarge => false,
    }
}

/// After attempt number `attempt`: the wait before the next one, or `None` to stop.
/// `retry_after` is the server's ask, from [`classify`]; it counts when a whole response came.
pub(crate) fn decide(
    config: &RetryConfig,
    idempotent: bool,
    (outcome, retry_after): (Outcome, Option<Duration>),
    attempt: u32,
    elapsed: Duration,
) -> Option<Duration> {
    if !should_retry(outcome, config, idempotent) {
        return None;
    }
    let connecting = matches!(outcome, Outcome::Failed { written: false, .. });
    if connecting && config.max_connect_attempts.is_some_and(|max| attempt >= max) {
        return None;
    }
    let retry_after = retry_after.filter(|_| matches!(outcome, Outcome::Status(_)));
    next_delay(config, attempt, elapsed, retry_after, fastrand::f64())
}

/// How long to wait before attempt `attempt + 1`, or `None` to stop now.
///
/// A `Retry-After` (the server's ask) is waited when it fits both `max_backoff` and the time
/// left, and never less than the policy's own backoff step: a server answering `Retry-After: 0`
/// (or a date in the past) gets backoff, not a retry storm. When the ask does not fit, the call
/// stops and the caller sees the error with its `retry_after()`, rather than sleeping past the
/// deadline or retrying too early. `unit` is the jitter draw in `[0, 1)`.
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
    let exp = i32::try_from(attempt.saturating_sub(1)).unwrap_or(i32::MAX);
    let grown = backoff.initial.as_secs_f64() * backoff.multiplier.powi(exp);
    let step = Duration::try_from_secs_f64(grown.min(backoff.max.as_secs_f64())).unwrap_or(backoff.max);
    let wait = match retry_after {
        // The server coordinated the wait: no jitter, but never below the backoff step.
        Some(asked) if asked > backoff.max => return None,
        Some(asked) => asked.max(step),
        None if config.jitter => step.mul_f64(unit.clamp(0.0, 1.0)),
        None => step,
    };
    (wait < left).then_some(wait)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use reqwest::header::RETRY_AFTER;

    fn status(code: u16) -> Outcome {
        Outcome::Status(StatusCode::from_u16(code).unwrap())
    }

    fn failed(kind: TransportKind, written: bool) -> Outcome {
        Outcome::Failed { kind, written }
    }

    /// The table in the module docs, row by row: (outcome, idempotent, not idempotent).
    #[test]
    fn should_retry_matches_the_documented_table() {
        use TransportKind::*;
        let on = RetryConfig::default();
        let rows = [
            (status(408), true, false),
            (status(500), true, false),
            (status(502), true, false),
            (status(504), true, false),
            (status(429), true, true),
            (status(503), true, false),
            (status(400), false, false),
            (status(401), false, false),
            (status(410), false, false),
            (status(200), false, false),
            (failed(Refused, false), true, true),
            (failed(Unreachable, false), true, true),
            (failed(Reset, false), true, true),
            (failed(Timeout, false), true, true),
            (failed(Reset, true), true, false),
            (failed(Other, true), true, false),
            (failed(Timeout, true), true, false),
            (failed(Dns, false), false, false),
            (failed(Tls, false), false, false),
            (failed(Protocol, true), false, false),
            (Outcome::TooLarge, false, false),
        ];
        for (outcome, idempotent, not) in rows {
            assert_eq!(should_retry(outcome, &on, true), idempotent, "idempotent {outcome:?}");
            assert_eq!(should_retry(outcome, &on, false), not, "not idempotent {outcome:?}");
        }
        // A 503 with `Retry-After` is no proof the server did nothing: the charge still stops.
        let asked = Some(Duration::from_secs(1));
        assert_eq!(decide(&on.clone().jitter(false), false, (status(503), asked), 1, Duration::ZERO), None);
        assert_eq!(decide(&on.clone().jitter(false), true, (status(503), asked), 1, Duration::ZERO), asked);
        let off = RetryConfig::default().retry_connection_errors(false);
        for idempotent in [true, false] {
            assert!(!should_retry(failed(Refused, false), &off, idempotent));
            assert!(!should_retry(failed(Reset, true), &off, idempotent));
        }
    }

    #[test]
    fn none_never_waits() {
        assert_eq!(next_delay(&RetryConfig::none(), 1, Duration::ZERO, None, 0.5), None);
    }

    #[test]
    fn a_zero_or_past_retry_after_waits_the_backoff_step() {
        let policy = RetryConfig::default();
        for attempt in 1..6 {
            let step = next_delay(&policy.clone().jitter(false), attempt, Duration::ZERO, None, 0.0).unwrap();
            let asked = next_delay(&policy, attempt, Duration::ZERO, Some(Duration::ZERO), 0.0).unwrap();
            assert_eq!(asked, step, "attempt {attempt}");
            assert!(asked >= Duration::from_millis(500));
        }
    }

    /// The server's ask is waited up to `max_backoff` itself, and refused a step beyond it.
    #[test]
    fn a_retry_after_is_waited_up_to_max_backoff() {
        let second = Duration::from_secs(1);
        let policy = RetryConfig::default()
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(second)
            .backoff_multiplier(2.0);
        assert_eq!(next_delay(&policy, 1, Duration::ZERO, Some(second), 0.0), Some(second));
        let beyond = second + Duration::from_millis(1);
        assert_eq!(next_delay(&policy, 1, Duration::ZERO, Some(beyond), 0.0), None);
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
        /// Whatever the policy (out of range too, which `check` refuses) and the moment, a wait
        /// fits max_backoff and the time left, and a server's ask is never undercut by more than
        /// the backoff step allows.
        #[test]
        fn waits_stay_within_bounds(
            initial_ms in 0u64..10_000, max_ms in 0u64..100_000, exponent in -5.0f64..50.0, budget_ms in 0u64..1_000_000,
            attempt in 1u32..1000, elapsed_ms in 0u64..2_000_000, asked in proptest::option::of(0u64..100_000), unit in 0.0f64..1.0,
        ) {
            let policy = RetryConfig::default()
                .initial_backoff(Duration::from_millis(initial_ms))
                .max_backoff(Duration::from_millis(max_ms))
                .backoff_multiplier(exponent)
                .max_elapsed(Duration::from_millis(budget_ms));
            prop_assert_eq!(policy.check().is_ok(), exponent >= 1.0 && max_ms >= initial_ms);
            let max_backoff = Duration::from_millis(max_ms.max(initial_ms));
            let elapsed = Duration::from_millis(elapsed_ms);
            if let Some(wait) = next_delay(&policy, attempt, elapsed, asked.map(Duration::from_millis), unit) {
                prop_assert!(wait <= max_backoff);
                prop_assert!(elapsed + wait < Duration::from_millis(budget_ms));
                if let Some(asked) = asked { prop_assert!(wait >= Duration::from_millis(asked)); }
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
