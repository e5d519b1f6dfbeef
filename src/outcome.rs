//! What a call came to: its last attempt becomes a [`Success`] or an [`Error`]. The one place
//! statuses become variants, and a pure function of the attempt, so the real path, the property
//! tests and the fuzz target all go through [`finish`] and [`Success::json`].
//!
//! Everything taken from the server is redacted (see `redact.rs`) before it is parsed, cut or
//! quoted into an error.

use crate::blocked::Blocked;
use crate::error::Error;
use crate::error::{ApiError, ApiErrorParts};
use crate::generated::Operation;
use crate::redact::Secrets;
use crate::response::Response;
use crate::retry::Verdict;
use crate::transport::{Attempt, TransportKind};
use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;
use std::time::{Duration, SystemTime};

/// How much of a non-JSON body an error keeps: enough to read an HTML error page's title.
const BODY_EXCERPT: usize = 1024;

/// What the call knows when its last attempt ends.
pub(crate) struct Finished {
    /// The last attempt's verdict: the operation, the attempts made, the server's ask, whether
    /// the retry budget refused a retry.
    pub(crate) last: Verdict,
    /// The per-attempt timeout in force.
    pub(crate) timeout: Option<Duration>,
    /// The call's total timeout, when its deadline cut the last attempt short.
    pub(crate) total_timeout: Option<Duration>,
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
    let Finished { last, timeout, total_timeout, limit, secrets } = f;
    let Verdict { operation, attempt: attempts, retry_after, budget_refused: retry_budget_exhausted, .. } = last;
    let refused = retry_budget_exhausted;
    match attempt {
        Attempt::Response(r) if r.status.is_success() => {
            Ok(Success { operation, status: r.status, headers: r.headers, body: r.body, attempts, secrets })
        }
        Attempt::Response(r) => {
            Err(api_error(operation, r.status, &r.headers, &r.body, retry_after, (attempts, refused), &secrets))
        }
        Attempt::TooLarge(status) => Err(Error::ResponseTooLarge { operation, status: status.as_u16(), limit }),
        Attempt::BodyFailed(status, _, e) if status.is_success() => {
            let status = status.as_u16();
            Err(Error::ResponseInterrupted { operation, status, attempts, retry_budget_exhausted, source: e })
        }
        // An error status whose body broke: the status is what matters.
        Attempt::BodyFailed(status, headers, _) => {
            Err(api_error(operation, status, &headers, &[], retry_after, (attempts, refused), &secrets))
        }
        Attempt::Failed(source) => {
            if source.kind() == TransportKind::Timeout && source.request_written() {
                Err(Error::Timeout { operation, attempts, timeout, total_timeout, retry_budget_exhausted })
            } else {
                let connect = !source.request_written();
                Err(Error::Transport { operation, attempts, connect, retry_budget_exhausted, source })
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
            status: self.status.as_u16(),
            // Redacted again: serde quotes values unescaped, so `\u0073k-…` in the body can
            // spell the secret in the message without spelling it in the bytes.
            message: self.secrets.text(&with_path.unwrap_or(message)),
            body_excerpt: excerpt(&body),
        }
    }
}

/// An API error from a non-success response; `retry_after` is the headers' ask, read once by
/// `retry::classify`.
fn api_error(
    operation: Operation,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    retry_after: Option<Duration>,
    (attempts, retry_budget_exhausted): (u32, bool),
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
    let retry_after = retry_after.or_else(|| {
        let secs = field("metadata")?.get("retry_after_seconds")?.as_f64()?;
        Duration::try_from_secs_f64(secs).ok()
    });
    let headers = secrets.headers(headers);
    // Classified once, from the redacted headers and body, by the same function as any response.
    let blocked = Blocked::classify(status.as_u16(), &headers, parsed.as_ref(), &body, SystemTime::now());
    let parts = ApiErrorParts {
        operation,
        status,
        headers,
        code,
        raw_body: if message.is_some() { None } else { Some(excerpt(&body)) },
        message,
        body: typed,
        retry_after,
        blocked,
        attempts,
        retry_budget_exhausted,
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
    let auth = reqwest::header::HeaderValue::from_str(&format!("Bearer {secret}")).ok();
    let attempt = Attempt::Response(Buffered { status, headers, body: Bytes::copy_from_slice(body) });
    let (outcome, retry_after) = crate::retry::classify(&attempt);
    let last = Verdict {
        operation,
        attempt: 1,
        outcome,
        retry_after,
        took: Duration::ZERO,
        retry_in: None,
        budget_refused: false,
    };
    let finished =
        Finished { last, timeout: None, total_timeout: None, limit: usize::MAX, secrets: Secrets::new(auth, None) };
    let success = finish(attempt, finished)?;
    crate::generated::decode_success(operation, success)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use reqwest::header::HeaderValue;

    const SECRET: &str = "sk-or-v1-0123456789abcdef";

    fn op(i: u8) -> Operation {
        Operation::ALL[usize::from(i) % Operation::ALL.len()]
    }

    fn map(operation: Operation, status: u16, body: &[u8]) -> Result<(), Error> {
        let status = StatusCode::from_u16(status).unwrap();
        map_raw_response(operation, status, HeaderMap::new(), body, SECRET)
    }

    /// `body` with the secret spliced in at `at` (clamped), as a server echoing it would send.
    fn echoed(mut body: Vec<u8>, at: usize, echo: bool) -> Vec<u8> {
        if echo {
            let at = at.min(body.len());
            body.splice(at..at, SECRET.bytes());
        }
        body
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// Any error status with any body: an API error that keeps the status, says it in
        /// one line, and never shows the secret, wherever the body put it.
        #[test]
        fn error_statuses_keep_their_status(
            status in 300u16..600, i in any::<u8>(), body in proptest::collection::vec(any::<u8>(), 0..2048),
            at in 0usize..2048, echo in any::<bool>(),
        ) {
            let err = map(op(i), status, &echoed(body, at, echo)).unwrap_err();
            prop_assert_eq!(err.status(), Some(status));
            prop_assert!(err.api().is_some());
            let shown = err.to_string();
            prop_assert!(!shown.contains('\n'), "{}", shown);
            let debug = format!("{:?}", err);
            prop_assert!(!shown.contains(SECRET) && !debug.contains(SECRET));
            // No prefix of the secret long enough to matter survives the excerpt either.
            prop_assert!(!debug.contains(&SECRET[..12]));
        }

        /// Any success status with any body: decoded, or a Decode error with the status that
        /// never shows the secret (serde quotes offending values, so an echo would land there).
        #[test]
        fn success_statuses_decode_or_say_why(
            status in 200u16..300, i in any::<u8>(), body in proptest::collection::vec(any::<u8>(), 0..512),
            at in 0usize..512, echo in any::<bool>(),
        ) {
            if let Err(err) = map(op(i), status, &echoed(body, at, echo)) {
                let is_decode = matches!(err, Error::Decode { .. });
                prop_assert!(is_decode, "{:?}", err);
                prop_assert_eq!(err.status(), Some(status));
                prop_assert!(!format!("{} {:?}", err, err).contains(SECRET), "{:?}", err);
            }
        }

        /// Upstream-shaped error bodies with arbitrary messages parse into code and message.
        #[test]
        fn upstream_error_bodies_are_parsed(status in 400u16..600, i in any::<u8>(), code in any::<i64>(), message in "\\PC*") {
            let body = serde_json::json!({"error": {"code": code, "message": message}, "user_id": null}).to_string();
            let err = map(op(i), status, body.as_bytes()).unwrap_err();
            let api = err.api().unwrap();
            prop_assert_eq!(api.code(), Some(code));
            prop_assert_eq!(api.message(), Some(message.as_str()));
        }
    }

    #[test]
    fn a_secret_in_any_field_of_a_json_body_is_redacted() {
        let bodies = [
            // Upstream's error shape, the secret in metadata, user_id, openrouter_metadata and a key.
            serde_json::json!({"error": {"code": 401, "message": "no", "metadata": {"key": SECRET}},
                "user_id": SECRET, "openrouter_metadata": {SECRET: [SECRET]}, "request_id": SECRET}),
            // A success that does not decode, the secret as the offending value.
            serde_json::json!({"data": {"total_credits": SECRET, "total_usage": 1.0}}),
        ];
        let bodies = bodies.map(|b| b.to_string());
        // The same, with the secret's first letter as a JSON escape: not in the bytes, but in
        // every decoded string.
        let escaped = bodies.clone().map(|b| b.replace(SECRET, &format!("\\u0073{}", &SECRET[1..])));
        let statuses = [401, 200, 401, 200];
        for (status, body) in statuses.into_iter().zip(bodies.into_iter().chain(escaped)) {
            assert!(body.contains(SECRET) != body.contains("u0073"), "{body}");
            let err = map(Operation::ALL[0], status, body.as_bytes()).unwrap_err();
            let shown = format!("{err} {err:?} {:?}", err.api().and_then(ApiError::body));
            assert!(!shown.contains(SECRET) && shown.contains("[redacted]"), "{shown}");
        }
    }

    #[test]
    fn a_secret_straddling_the_excerpt_cut_is_redacted() {
        let mut body = vec![b'x'; BODY_EXCERPT - 5];
        body.extend_from_slice(SECRET.as_bytes());
        let err = map(Operation::ALL[0], 502, &body).unwrap_err();
        assert!(!format!("{err:?}").contains(&SECRET[..5]), "{err:?}");
    }

    #[test]
    fn retry_after_comes_from_the_ms_header_the_seconds_header_or_the_body() {
        let at = |headers: &[(&'static str, &'static str)], body: &str| {
            let mut map = HeaderMap::new();
            for (k, v) in headers {
                map.insert(*k, HeaderValue::from_static(v));
            }
            let err = map_raw_response(Operation::ALL[0], StatusCode::TOO_MANY_REQUESTS, map, body.as_bytes(), SECRET)
                .unwrap_err();
            err.retry_after()
        };
        let body = r#"{"error":{"code":429,"message":"slow","metadata":{"retry_after_seconds":7}}}"#;
        assert_eq!(at(&[("retry-after-ms", "1500"), ("retry-after", "3")], body), Some(Duration::from_millis(1500)));
        assert_eq!(at(&[("retry-after", "3")], body), Some(Duration::from_secs(3)));
        assert_eq!(at(&[], body), Some(Duration::from_secs(7)));
        assert_eq!(at(&[("retry-after-ms", "soon")], "{}"), None);
    }
}
