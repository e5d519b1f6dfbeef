//! [`Error`]: every way a call can fail, and the one place HTTP statuses become variants.
//!
//! Whatever progenitor made of a response, the status is never lost: each attempt records the
//! final response's status, headers and body (see `call::CallRecord`), and [`Error::from_call`]
//! builds API errors from those, not from progenitor's `InvalidResponsePayload`, which drops the
//! status when a documented code comes back with an HTML body.

use crate::call::{CallContext, Operation};
use crate::generated::types::ErrorResponse;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue};
use std::fmt;
use std::time::Duration;

/// How much of a non-JSON body an error keeps: enough to read an HTML error page's title.
const BODY_EXCERPT: usize = 1024;

/// Every error this crate returns.
///
/// API errors (a response with a non-success status) have a variant per status OpenRouter
/// documents, plus [`Error::Gone`] for the retired Coinbase charge and [`Error::Api`] for any
/// other status. Each carries an [`ApiError`] with the status, the parsed upstream body when
/// there is one, and the raw text when there is not.
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
    /// 400: the server rejected the request body.
    #[error("{0}")]
    BadRequest(ApiError),
    /// 401: the API key or bearer token is missing or invalid.
    #[error("{0}")]
    Unauthorized(ApiError),
    /// 403: the key is valid but may not do this (`GET /credits` needs a provisioning key).
    #[error("{0}")]
    Forbidden(ApiError),
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
    /// An attempt did not finish within its timeout, and no retry was left or allowed.
    #[error("{operation}: timed out after {attempts} attempt{} (per-attempt timeout {}); raise it with .timeout(..)", plural(*attempts), show_timeout(*timeout))]
    Timeout {
        /// The operation called.
        operation: Operation,
        /// Attempts made, the last one included.
        attempts: u32,
        /// The per-attempt timeout in force.
        timeout: Option<Duration>,
    },
    /// The connection failed or broke (refused, reset, TLS, DNS), and no retry was left or allowed.
    #[error("{operation}: {} after {attempts} attempt{}: {source}", if *connect { "could not connect" } else { "connection failed" }, plural(*attempts))]
    Transport {
        /// The operation called.
        operation: Operation,
        /// Attempts made, the last one included.
        attempts: u32,
        /// True when the request was never written (connecting failed).
        connect: bool,
        /// The underlying error. It names the URL, which holds no secret.
        #[source]
        source: reqwest::Error,
    },
    /// A success response whose body is not the documented JSON.
    #[error("{operation}: HTTP {status} response could not be decoded: {message}")]
    Decode {
        /// The operation called.
        operation: Operation,
        /// The response's status.
        status: StatusCode,
        /// What did not match, with the path of the field (`data.total_usage: missing field`).
        message: String,
        /// The start of the body, for debugging.
        body_excerpt: String,
    },
    /// The response body was larger than the client's cap; it was not read past the cap.
    #[error(
        "{operation}: HTTP {status} response is larger than the {limit}-byte limit (ClientBuilder::max_response_bytes)"
    )]
    ResponseTooLarge {
        /// The operation called.
        operation: Operation,
        /// The response's status.
        status: StatusCode,
        /// The cap in force.
        limit: usize,
    },
    /// A value given to a builder breaks a rule; nothing was sent.
    #[error("invalid {field}: {rule}")]
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

fn show_timeout(t: Option<Duration>) -> String {
    t.map_or_else(|| "none".into(), |t| format!("{t:?}"))
}

impl Error {
    pub(crate) fn invalid_input(field: &'static str, rule: impl Into<String>) -> Self {
        Error::InvalidInput { field, rule: rule.into() }
    }

    /// The HTTP status of the response this error came from, if there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Decode { status, .. } | Error::ResponseTooLarge { status, .. } => Some(status.as_u16()),
            _ => self.api().map(ApiError::status),
        }
    }

    /// The API error, for any variant that has one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::BadRequest(e)
            | Error::Unauthorized(e)
            | Error::Forbidden(e)
            | Error::Gone(e)
            | Error::TooManyRequests(e)
            | Error::InternalServer(e)
            | Error::Api(e) => Some(e),
            _ => None,
        }
    }

    /// How long the server asked to wait (`Retry-After`), when it did.
    pub fn retry_after(&self) -> Option<Duration> {
        self.api().and_then(ApiError::retry_after)
    }

    /// Attempts made before giving up; `None` when nothing was sent (invalid input).
    pub fn attempts(&self) -> Option<u32> {
        match self {
            Error::Timeout { attempts, .. } | Error::Transport { attempts, .. } => Some(*attempts),
            _ => self.api().map(ApiError::attempts),
        }
    }

    /// What a person can do about it, in a few words, when there is something.
    pub fn hint(&self) -> Option<&'static str> {
        Some(match self {
            Error::Unauthorized(e) if e.operation() == Operation::CreateCoinbaseCharge => "check the bearer token",
            Error::Unauthorized(_) => "check the API key (OPENROUTER_API_KEY)",
            Error::Forbidden(_) => "GET /credits needs a provisioning (management) key",
            Error::Gone(_) => "Coinbase charges are retired upstream; buy credits in the web purchase flow",
            Error::TooManyRequests(_) => "rate limited: wait and try again",
            Error::InternalServer(_) | Error::Api(_) if self.status().is_some_and(|s| s >= 500) => {
                "OpenRouter is having trouble: try again later"
            }
            Error::Timeout { .. } => "the server is slow or unreachable: try again or raise the timeout",
            Error::Transport { .. } => "check the network and the base URL",
            _ => return None,
        })
    }

    /// Builds the error for a finished call from what the attempts recorded and what
    /// progenitor returned. The only place statuses become variants.
    pub(crate) fn from_call(err: progenitor_client::Error<ErrorResponse>, ctx: &CallContext) -> Error {
        let record = ctx.record();
        let operation = ctx.operation;
        if let Some((status, limit)) = record.too_large {
            return Error::ResponseTooLarge { operation, status, limit };
        }
        if let Some(last) = &record.error_response {
            return Error::from_response(operation, last.status, &last.headers, &last.body, record.attempts, ctx);
        }
        use progenitor_client::Error as P;
        match err {
            P::CommunicationError(e) | P::ResponseBodyError(e) | P::InvalidUpgrade(e) => {
                Error::from_transport(operation, e, record.attempts, ctx.attempt_timeout)
            }
            P::InvalidResponsePayload(body, serde_error) => {
                let status = record.status.unwrap_or(StatusCode::OK);
                Error::decode(operation, status, &body, serde_error.to_string(), ctx)
            }
            P::ErrorResponse(value) => {
                let status = value.status();
                let body = serde_json::to_vec(&value.into_inner()).unwrap_or_default();
                Error::from_response(operation, status, &HeaderMap::new(), &body, record.attempts, ctx)
            }
            P::UnexpectedResponse(response) => {
                // Only an undocumented *success* status gets here: every error status was
                // recorded by the attempt and handled above.
                Error::decode(
                    operation,
                    response.status(),
                    &[],
                    format!("unexpected status {}", response.status()),
                    ctx,
                )
            }
            P::InvalidRequest(message) | P::Custom(message) => Error::invalid_input("request", message),
        }
    }

    pub(crate) fn from_transport(
        operation: Operation,
        e: reqwest::Error,
        attempts: u32,
        timeout: Option<Duration>,
    ) -> Error {
        if e.is_timeout() && !e.is_connect() {
            Error::Timeout { operation, attempts, timeout }
        } else {
            Error::Transport { operation, attempts, connect: e.is_connect(), source: e }
        }
    }

    fn decode(operation: Operation, status: StatusCode, body: &[u8], message: String, ctx: &CallContext) -> Error {
        // serde quotes the offending value, so the body is redacted before it is read again,
        // and so is the message serde made from the unredacted body.
        let body = crate::auth::redact(body, ctx.auth.as_ref());
        // Re-read with the field path so the message says which field is wrong.
        let with_path = match serde_json::from_slice::<serde_json::Value>(&body) {
            Ok(_) => decode_with_path(operation, &body),
            Err(_) => None,
        };
        // Redacted again: serde quotes values unescaped, so `\u0073k-…` in the body can spell
        // the secret in the message without spelling it in the bytes.
        let message = crate::auth::redact_text(&with_path.unwrap_or(message), ctx.auth.as_ref());
        Error::Decode { operation, status, message, body_excerpt: excerpt(&body) }
    }

    /// An API error from a non-success response. `ctx` supplies the secret to redact.
    fn from_response(
        operation: Operation,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
        attempts: u32,
        ctx: &CallContext,
    ) -> Error {
        // Redact the whole body before parsing or cutting it: no field (message, metadata,
        // user_id) can carry the secret, and one straddling the cut cannot leave a prefix behind.
        let body = crate::auth::redact(body, ctx.auth.as_ref());
        let detail: Option<ErrorResponse> =
            serde_json::from_slice(&body).ok().map(|parsed| redact_parsed(parsed, ctx.auth.as_ref()));
        let raw_body = match &detail {
            Some(_) => None,
            None => Some(excerpt(&body)),
        };
        let api = ApiError(Box::new(ApiErrorParts {
            operation,
            status,
            body: detail,
            raw_body,
            retry_after: crate::retry::retry_after(headers, std::time::SystemTime::now()),
            attempts,
        }));
        match status.as_u16() {
            400 => Error::BadRequest(api),
            401 => Error::Unauthorized(api),
            403 => Error::Forbidden(api),
            410 => Error::Gone(api),
            429 => Error::TooManyRequests(api),
            500 => Error::InternalServer(api),
            _ => Error::Api(api),
        }
    }
}

/// A parsed error body with the secret removed from every string in it. The bytes were
/// redacted already, but JSON escapes (`\u0073k-…`) can spell the secret in a decoded string
/// without spelling it in the bytes.
fn redact_parsed(mut parsed: ErrorResponse, auth: Option<&HeaderValue>) -> ErrorResponse {
    fn value(v: &mut serde_json::Value, auth: Option<&HeaderValue>) {
        match v {
            serde_json::Value::String(s) => *s = crate::auth::redact_text(s, auth),
            serde_json::Value::Array(items) => items.iter_mut().for_each(|item| value(item, auth)),
            serde_json::Value::Object(map) => object(map, auth),
            _ => {}
        }
    }
    fn object(map: &mut serde_json::Map<String, serde_json::Value>, auth: Option<&HeaderValue>) {
        *map = std::mem::take(map)
            .into_iter()
            .map(|(k, mut v)| {
                value(&mut v, auth);
                (crate::auth::redact_text(&k, auth), v)
            })
            .collect();
    }
    parsed.error.message = crate::auth::redact_text(&parsed.error.message, auth);
    if let Some(user_id) = &mut parsed.user_id {
        *user_id = crate::auth::redact_text(user_id, auth);
    }
    if let Some(metadata) = &mut parsed.error.metadata {
        object(metadata, auth);
    }
    parsed
}

fn decode_with_path(operation: Operation, body: &[u8]) -> Option<String> {
    use crate::generated::types::{CoinbaseChargeResponse, CreditsResponse};
    fn path_of<T: serde::de::DeserializeOwned>(body: &[u8]) -> Option<String> {
        let de = &mut serde_json::Deserializer::from_slice(body);
        match serde_path_to_error::deserialize::<_, T>(de) {
            Ok(_) => None,
            Err(e) => Some(format!("{}: {}", e.path(), e.inner())),
        }
    }
    match operation {
        Operation::GetCredits => path_of::<CreditsResponse>(body),
        Operation::CreateCoinbaseCharge => path_of::<CoinbaseChargeResponse>(body),
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

/// Maps one raw final response the way a call does: an error status through the recorded
/// response, a success body through the generated type's decoder (progenitor's
/// `ResponseValue::from_response` is `serde_json::from_slice`). For the property tests and
/// the fuzz target, which feed it arbitrary statuses and bytes.
#[cfg(any(test, feature = "__fuzz"))]
pub(crate) fn map_raw_response(
    operation: Operation,
    status: StatusCode,
    headers: HeaderMap,
    body: &[u8],
    auth: Option<reqwest::header::HeaderValue>,
) -> Result<(), Error> {
    use crate::call::{BufferedResponse, CallRecord};
    use crate::generated::types::{CoinbaseChargeResponse, CreditsResponse};
    use std::sync::Mutex;
    let body = bytes::Bytes::copy_from_slice(body);
    let record = CallRecord {
        attempts: 1,
        outcome: None,
        status: Some(status),
        error_response: (!status.is_success()).then(|| BufferedResponse {
            status,
            version: reqwest::Version::HTTP_11,
            url: None,
            headers,
            body: body.clone(),
        }),
        too_large: None,
    };
    let ctx = CallContext {
        operation,
        auth,
        extra_headers: HeaderMap::new(),
        retries: crate::RetryConfig::none(),
        retry_non_idempotent: false,
        attempt_timeout: None,
        max_response_bytes: crate::DEFAULT_MAX_RESPONSE_BYTES,
        record: Mutex::new(record),
    };
    let decoded = match operation {
        Operation::GetCredits => serde_json::from_slice::<CreditsResponse>(&body).map(drop),
        Operation::CreateCoinbaseCharge => serde_json::from_slice::<CoinbaseChargeResponse>(&body).map(drop),
    };
    match (status.is_success(), decoded) {
        (true, Ok(())) => Ok(()),
        (true, Err(e)) => Err(Error::from_call(progenitor_client::Error::InvalidResponsePayload(body, e), &ctx)),
        // What progenitor returned does not matter here: the recorded response decides.
        (false, _) => Err(Error::from_call(progenitor_client::Error::Custom(String::new()), &ctx)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SECRET: &str = "sk-or-v1-0123456789abcdef";

    fn auth() -> reqwest::header::HeaderValue {
        reqwest::header::HeaderValue::from_str(&format!("Bearer {SECRET}")).unwrap()
    }

    fn op(i: u8) -> Operation {
        if i.is_multiple_of(2) { Operation::GetCredits } else { Operation::CreateCoinbaseCharge }
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
            let body = echoed(body, at, echo);
            let status = StatusCode::from_u16(status).unwrap();
            let err = map_raw_response(op(i), status, HeaderMap::new(), &body, Some(auth())).unwrap_err();
            prop_assert_eq!(err.status(), Some(status.as_u16()));
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
            let body = echoed(body, at, echo);
            let status = StatusCode::from_u16(status).unwrap();
            if let Err(err) = map_raw_response(op(i), status, HeaderMap::new(), &body, Some(auth())) {
                let is_decode = matches!(err, Error::Decode { .. });
                prop_assert!(is_decode, "{:?}", err);
                prop_assert_eq!(err.status(), Some(status.as_u16()));
                prop_assert!(!format!("{} {:?}", err, err).contains(SECRET), "{:?}", err);
            }
        }

        /// Upstream-shaped error bodies with arbitrary messages parse into code and message.
        #[test]
        fn upstream_error_bodies_are_parsed(status in 400u16..600, code in any::<i64>(), message in "\\PC*") {
            let body = serde_json::json!({"error": {"code": code, "message": message}, "user_id": null}).to_string();
            let status = StatusCode::from_u16(status).unwrap();
            let err = map_raw_response(Operation::GetCredits, status, HeaderMap::new(), body.as_bytes(), None).unwrap_err();
            let api = err.api().unwrap();
            prop_assert_eq!(api.code(), Some(code));
            prop_assert_eq!(api.message(), Some(message.as_str()));
        }
    }

    #[test]
    fn a_secret_in_any_field_of_a_json_body_is_redacted() {
        let bodies = [
            // Upstream's error shape, the secret in metadata and user_id.
            serde_json::json!({"error": {"code": 401, "message": "no", "metadata": {"key": SECRET}}, "user_id": SECRET}),
            // A success that does not decode, the secret as the offending value.
            serde_json::json!({"data": {"total_credits": SECRET, "total_usage": 1.0}}),
        ];
        let bodies = bodies.map(|b| b.to_string());
        // The same, with the secret's first letter as a JSON escape: not in the bytes, but in
        // every decoded string.
        let escaped = bodies.clone().map(|b| b.replace(SECRET, &format!("\\u0073{}", &SECRET[1..])));
        let statuses = [StatusCode::UNAUTHORIZED, StatusCode::OK, StatusCode::UNAUTHORIZED, StatusCode::OK];
        for (status, body) in statuses.into_iter().zip(bodies.into_iter().chain(escaped)) {
            assert!(body.contains(SECRET) != body.contains("u0073"), "{body}");
            let err = map_raw_response(Operation::GetCredits, status, HeaderMap::new(), body.as_bytes(), Some(auth()))
                .unwrap_err();
            let shown = format!("{err} {err:?} {:?}", err.api().and_then(ApiError::body));
            assert!(!shown.contains(SECRET) && shown.contains("[redacted]"), "{shown}");
        }
    }

    #[test]
    fn a_secret_straddling_the_excerpt_cut_is_redacted() {
        let mut body = vec![b'x'; BODY_EXCERPT - 5];
        body.extend_from_slice(SECRET.as_bytes());
        let err =
            map_raw_response(Operation::GetCredits, StatusCode::BAD_GATEWAY, HeaderMap::new(), &body, Some(auth()))
                .unwrap_err();
        assert!(!format!("{err:?}").contains(&SECRET[..5]), "{err:?}");
    }
}

/// A response with a non-success status: the status, upstream's `{"error":{code,message}}` when
/// the body had one, or the body's text when it did not (an HTML page from a gateway).
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError(Box<ApiErrorParts>);

/// Boxed so that `Result<T, Error>` stays small on the success path.
#[derive(Clone, Debug, PartialEq)]
struct ApiErrorParts {
    operation: Operation,
    status: StatusCode,
    body: Option<ErrorResponse>,
    raw_body: Option<String>,
    retry_after: Option<Duration>,
    attempts: u32,
}

impl ApiError {
    /// The operation that failed.
    pub fn operation(&self) -> Operation {
        self.0.operation
    }
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.0.status.as_u16()
    }
    /// Upstream's error body, when the response had one.
    pub fn body(&self) -> Option<&ErrorResponse> {
        self.0.body.as_ref()
    }
    /// Upstream's `error.code`.
    pub fn code(&self) -> Option<i64> {
        self.0.body.as_ref().map(|b| b.error.code)
    }
    /// Upstream's `error.message`.
    pub fn message(&self) -> Option<&str> {
        self.0.body.as_ref().map(|b| b.error.message.as_str())
    }
    /// The start of the body (up to 1 KiB) when it was not upstream's JSON error.
    pub fn raw_body(&self) -> Option<&str> {
        self.0.raw_body.as_deref()
    }
    /// `Retry-After`, in either of its forms, when the response had a valid one.
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }
    /// Attempts made, this one included.
    pub fn attempts(&self) -> u32 {
        self.0.attempts
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: HTTP {}", self.0.operation, self.0.status.as_u16())?;
        if let Some(reason) = self.0.status.canonical_reason() {
            write!(f, " {reason}")?;
        }
        if self.0.status == StatusCode::GONE && self.0.operation == Operation::CreateCoinbaseCharge {
            f.write_str(
                ": OpenRouter has retired Coinbase charges; buy credits through the web credits purchase flow",
            )?;
        }
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
        if self.0.attempts > 1 {
            write!(f, " (after {} attempts)", self.0.attempts)?;
        }
        Ok(())
    }
}
