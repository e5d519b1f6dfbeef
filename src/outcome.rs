//! What a call came to: its last attempt becomes a [`Success`] or an [`Error`]. The one place
//! statuses become variants, and a pure function of the attempt, so the real path, the property
//! tests and the fuzz target all go through [`finish`] and [`Success::json`].
//!
//! Everything taken from the server is redacted (see `redact.rs`) before it is parsed, cut or
//! quoted into an error.

use crate::error::{ApiError, ApiErrorParts};
use crate::redact::Secrets;
use crate::response::Response;
use crate::transport::{Attempt, TransportKind, classify_failure};
use crate::{Error, Operation};
use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue};
use serde::de::DeserializeOwned;
use std::time::{Duration, SystemTime};

/// How much of a non-JSON body an error keeps: enough to read an HTML error page's title.
const BODY_EXCERPT: usize = 1024;

/// What the call knows when its last attempt ends.
pub(crate) struct Finished {
    pub(crate) operation: Operation,
    pub(crate) attempts: u32,
    /// The per-attempt timeout in force.
    pub(crate) timeout: Option<Duration>,
    /// The response size cap in force.
    pub(crate) limit: usize,
    pub(crate) secrets: Secrets,
}

/// A whole 2xx response, not yet decoded.
pub(crate) struct Success {
    operation: Operation,
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    attempts: u32,
    secrets: Secrets,
}

/// The call's result from its last attempt.
pub(crate) fn finish(attempt: Attempt, f: Finished) -> Result<Success, Error> {
    let Finished { operation, attempts, timeout, limit, secrets } = f;
    match attempt {
        Attempt::Response(r) if r.status.is_success() => {
            Ok(Success { operation, status: r.status, headers: r.headers, body: r.body, attempts, secrets })
        }
        Attempt::Response(r) => Err(api_error(operation, r.status, &r.headers, &r.body, attempts, &secrets)),
        Attempt::TooLarge(status) => Err(Error::ResponseTooLarge { operation, status, limit }),
        Attempt::BodyFailed(status, _, e) if status.is_success() => {
            Err(Error::ResponseInterrupted { operation, status, attempts, source: classify_failure(e) })
        }
        // An error status whose body broke: the status is what matters.
        Attempt::BodyFailed(status, headers, _) => Err(api_error(operation, status, &headers, &[], attempts, &secrets)),
        Attempt::Failed(e) => {
            let source = classify_failure(e);
            if source.kind() == TransportKind::Timeout && source.request_written() {
                Err(Error::Timeout { operation, attempts, timeout })
            } else {
                Err(Error::Transport { operation, attempts, connect: !source.request_written(), source })
            }
        }
    }
}

impl Success {
    /// Decodes the body as `T`; a body that is not `T` is an [`Error::Decode`] naming the field.
    pub(crate) fn json<T: DeserializeOwned>(self) -> Result<Response<T>, Error> {
        match serde_json::from_slice::<T>(&self.body) {
            Ok(value) => Ok(Response::new(value, self.status, self.headers, self.attempts)),
            Err(e) => Err(self.decode_error::<T>(e.to_string())),
        }
    }

    /// For an operation whose success has no body: whatever came is ignored.
    // Called by the generated builders of such operations; the current fragment has none.
    #[allow(dead_code)]
    pub(crate) fn empty(self) -> Result<Response<()>, Error> {
        Ok(Response::new((), self.status, self.headers, self.attempts))
    }

    fn decode_error<T: DeserializeOwned>(&self, message: String) -> Error {
        // serde quotes the offending value, so the body is redacted before it is read again,
        // and so is the message serde made from the unredacted body.
        let body = self.secrets.bytes(&self.body);
        // Re-read with the field path so the message says which field is wrong.
        let with_path = if serde_json::from_slice::<serde_json::Value>(&body).is_ok() {
            let de = &mut serde_json::Deserializer::from_slice(&body);
            serde_path_to_error::deserialize::<_, T>(de).err().map(|e| format!("{}: {}", e.path(), e.inner()))
        } else {
            None
        };
        Error::Decode {
            operation: self.operation,
            status: self.status,
            // Redacted again: serde quotes values unescaped, so `\u0073k-…` in the body can
            // spell the secret in the message without spelling it in the bytes.
            message: self.secrets.text(&with_path.unwrap_or(message)),
            body_excerpt: excerpt(&body),
        }
    }
}

/// An API error from a non-success response.
fn api_error(
    operation: Operation,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    attempts: u32,
    secrets: &Secrets,
) -> Error {
    // Redact the whole body before parsing or cutting it: no field (message, metadata,
    // user_id) can carry the secret, and one straddling the cut cannot leave a prefix behind.
    let body = secrets.bytes(body);
    let parsed = serde_json::from_slice::<serde_json::Value>(&body).ok().map(|mut v| {
        secrets.json(&mut v);
        v
    });
    let field = |name: &str| parsed.as_ref().and_then(|v| v.get("error")).and_then(|e| e.get(name));
    let code = field("code").and_then(serde_json::Value::as_i64);
    let message = field("message").and_then(serde_json::Value::as_str).map(str::to_owned);
    let typed = parsed.as_ref().and_then(|v| serde_json::from_value(v.clone()).ok());
    let retry_after = crate::retry::retry_after(headers, SystemTime::now()).or_else(|| {
        let secs = field("metadata")?.get("retry_after_seconds")?.as_f64()?;
        Duration::try_from_secs_f64(secs).ok()
    });
    let parts = ApiErrorParts {
        operation,
        status,
        headers: redact_headers(headers, secrets),
        code,
        raw_body: if message.is_some() { None } else { Some(excerpt(&body)) },
        message,
        body: typed,
        retry_after,
        attempts,
    };
    let api = ApiError::new(parts);
    match status.as_u16() {
        400 => Error::BadRequest(api),
        401 => Error::Unauthorized(api),
        402 => Error::PaymentRequired(api),
        403 => Error::Forbidden(api),
        404 => Error::NotFound(api),
        410 => Error::Gone(api),
        429 => Error::TooManyRequests(api),
        500 => Error::InternalServer(api),
        _ => Error::Api(api),
    }
}

fn redact_headers(headers: &HeaderMap, secrets: &Secrets) -> HeaderMap {
    let mut out = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let clean = secrets.bytes(value.as_bytes());
        let value = HeaderValue::from_bytes(&clean).unwrap_or_else(|_| HeaderValue::from_static("[redacted]"));
        out.append(name, value);
    }
    out
}

/// The first [`BODY_EXCERPT`] bytes as text (invalid UTF-8 replaced), with `…` if cut.
fn excerpt(body: &[u8]) -> String {
    let mut s = String::from_utf8_lossy(&body[..body.len().min(BODY_EXCERPT)]).into_owned();
    if body.len() > BODY_EXCERPT {
        s.push('…');
    }
    s
}

/// Maps one raw final response the way a call does, for the property tests and the fuzz target,
/// which feed it arbitrary statuses and bytes: an error status through [`finish`], a success
/// through the operation's decoder.
#[cfg(any(test, fuzzing))]
pub(crate) fn map_raw_response(
    operation: Operation,
    status: StatusCode,
    headers: HeaderMap,
    body: &[u8],
    secret: &str,
) -> Result<(), Error> {
    use crate::transport::Buffered;
    let auth = HeaderValue::from_str(&format!("Bearer {secret}")).ok();
    let finished =
        Finished { operation, attempts: 1, timeout: None, limit: usize::MAX, secrets: Secrets::new(auth.as_ref(), None, None) };
    let attempt = Attempt::Response(Buffered { status, headers, body: Bytes::copy_from_slice(body) });
    let success = finish(attempt, finished)?;
    crate::generated::decode_success(operation, success)
}
