//! [`Response`]: a success with its metadata, from `send_with_meta()`; [`RateLimit`]: the
//! `X-RateLimit-*` headers of any response.

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use std::fmt;
use std::ops::Deref;
use std::time::{Duration, SystemTime};

/// A decoded success with its status, headers and the number of attempts it took.
///
/// From `send_with_meta()` on any request builder; `send()` returns just the value. Derefs to
/// the value.
#[derive(Clone, PartialEq)]
pub struct Response<T> {
    value: T,
    status: StatusCode,
    headers: HeaderMap,
    attempts: u32,
}

impl<T> Response<T> {
    pub(crate) fn new(value: T, status: StatusCode, headers: HeaderMap, attempts: u32) -> Self {
        Self { value, status, headers, attempts }
    }

    /// The decoded body.
    pub fn into_inner(self) -> T {
        self.value
    }

    /// The HTTP status (a 2xx).
    pub fn status(&self) -> u16 {
        self.status.as_u16()
    }

    /// The response's headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Attempts made, the successful one included.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The `X-RateLimit-*` headers, when the response had them.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        RateLimit::from_headers(&self.headers)
    }
}

impl<T> Deref for Response<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// Header names only: a header value is the server's, and `Debug` output ends up in logs.
impl<T: fmt::Debug> fmt::Debug for Response<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("value", &self.value)
            .field("status", &self.status)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("attempts", &self.attempts)
            .finish()
    }
}

/// OpenRouter's rate-limit headers: `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
/// `X-RateLimit-Reset` (milliseconds since the Unix epoch). A field is `None` when its header
/// was missing or not a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimit {
    /// Requests allowed in the window.
    pub limit: Option<u64>,
    /// Requests left in the window.
    pub remaining: Option<u64>,
    /// When the window resets, in milliseconds since the Unix epoch.
    pub reset_ms: Option<u64>,
}

impl RateLimit {
    /// Reads the headers; `None` when none of the three is there.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let num = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<u64>().ok();
        let limit = Self {
            limit: num("x-ratelimit-limit"),
            remaining: num("x-ratelimit-remaining"),
            reset_ms: num("x-ratelimit-reset"),
        };
        (limit.limit.is_some() || limit.remaining.is_some() || limit.reset_ms.is_some()).then_some(limit)
    }
}

/// The server's ask: `retry-after-ms` (milliseconds, which OpenRouter's newest SDKs honour)
/// when present and valid, else `Retry-After` as delta-seconds or an HTTP date; anything else
/// is ignored (`None`).
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let ms = headers.get("retry-after-ms").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<f64>().ok());
    if let Some(ms) = ms.filter(|ms| ms.is_finite() && *ms >= 0.0) {
        return Duration::try_from_secs_f64(ms / 1000.0).ok();
    }
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}
