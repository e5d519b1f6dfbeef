//! [`Response`]: a success with its metadata, from `send_with_meta()`; [`RateLimit`]: the
//! `X-RateLimit-*` headers of any response.

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use std::fmt;
use std::ops::Deref;

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
