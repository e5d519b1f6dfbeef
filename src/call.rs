//! One call's state: what the facade hands the generated client (auth, policy, timeout) and
//! what each attempt writes back (count, outcome, the last response) for the error mapping.

use crate::retry::{Outcome, RetryConfig};
use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue};
use std::fmt;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// The two operations of the Credits API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// `GET /credits`.
    GetCredits,
    /// `POST /credits/coinbase`.
    CreateCoinbaseCharge,
}

impl Operation {
    /// The name used in logs and errors (`get_credits`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Operation::GetCredits => "get_credits",
            Operation::CreateCoinbaseCharge => "create_coinbase_charge",
        }
    }

    /// Whether sending it twice is harmless. The charge is not: it may create two charges.
    pub const fn is_idempotent(self) -> bool {
        matches!(self, Operation::GetCredits)
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The generated client's `inner` value: everything the hooks need for one call.
///
/// The generated `Client` derives `Debug` and prints this, so `Debug` here is written by hand
/// and shows whether auth is set, never its value.
pub(crate) struct CallContext {
    pub(crate) operation: Operation,
    /// `Bearer …`, sensitive; the API key or the per-call token, whichever this call uses.
    pub(crate) auth: Option<HeaderValue>,
    /// Per-call extra headers (`.header(..)`), inserted after everything else.
    pub(crate) extra_headers: HeaderMap,
    pub(crate) retries: RetryConfig,
    /// Retry the charge on the idempotent set too (caller's explicit opt-in).
    pub(crate) retry_non_idempotent: bool,
    pub(crate) attempt_timeout: Option<Duration>,
    pub(crate) max_response_bytes: usize,
    /// Written by each attempt (in the `exec` hook, inside the generated call), read by the
    /// retry loop around that call and by the error mapping after it. Inline, not in an `Arc`:
    /// the generated client that owns this context lives exactly as long as the call.
    pub(crate) record: Mutex<CallRecord>,
}

/// The generated client derives `Clone`, so its inner type must be `Clone`; the facade never
/// clones it. A clone copies the record as it stands.
impl Clone for CallContext {
    fn clone(&self) -> Self {
        Self {
            operation: self.operation,
            auth: self.auth.clone(),
            extra_headers: self.extra_headers.clone(),
            retries: self.retries.clone(),
            retry_non_idempotent: self.retry_non_idempotent,
            attempt_timeout: self.attempt_timeout,
            max_response_bytes: self.max_response_bytes,
            record: Mutex::new(self.record().clone()),
        }
    }
}

impl CallContext {
    /// The record, even if a panicking thread poisoned the lock (the data is still sound).
    pub(crate) fn record(&self) -> MutexGuard<'_, CallRecord> {
        self.record.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl fmt::Debug for CallContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallContext")
            .field("operation", &self.operation)
            .field("auth", &self.auth.as_ref().map(|_| "[redacted]"))
            .field("extra_headers", &self.extra_headers.keys().collect::<Vec<_>>())
            .field("retries", &self.retries)
            .field("retry_non_idempotent", &self.retry_non_idempotent)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish()
    }
}

/// What happened on the wire, written by each attempt in the `exec` hook.
#[derive(Clone, Debug, Default)]
pub(crate) struct CallRecord {
    pub(crate) attempts: u32,
    /// The last attempt's outcome, until the retry loop takes it to decide what comes next.
    pub(crate) outcome: Option<Outcome>,
    /// Status of the last response, success or not.
    pub(crate) status: Option<StatusCode>,
    /// The last response when its status was not a success: the error is built from this.
    pub(crate) error_response: Option<BufferedResponse>,
    /// Set when the last response's body passed the cap: (status, cap).
    pub(crate) too_large: Option<(StatusCode, usize)>,
}

/// A response read to the end (within the cap).
#[derive(Clone, Debug)]
pub(crate) struct BufferedResponse {
    pub(crate) status: StatusCode,
    pub(crate) version: reqwest::Version,
    /// Where it came from; carried so rebuilding the response needs no URL parse.
    pub(crate) url: Option<reqwest::Url>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}
