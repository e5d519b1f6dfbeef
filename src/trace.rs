//! What a call tells `tracing`: a span per call, a span per attempt under it, and an event as
//! each attempt ends, with OpenTelemetry's HTTP client attribute names. The names are a public
//! interface, documented once in the crate's docs (src/lib.md, "Tracing"; `tests/spans.rs` holds
//! them): change them only with a breaking release, and that table with them.

use crate::generated::Operation;
use crate::retry::{Outcome, Verdict};
use reqwest::{Method, Url};
use std::fmt;
use std::time::Duration;
use tracing::Span;
use tracing::field::{Empty, display};

/// The span of one call.
pub(crate) fn call_span(operation: Operation, method: &Method, url: &Url) -> Span {
    tracing::debug_span!(
        target: "openrouter_credits",
        "openrouter.call",
        otel.name = operation.operation_id(),
        openrouter.operation_id = operation.operation_id(),
        openrouter.operation = operation.as_str(),
        http.request.method = method.as_str(),
        server.address = url.host_str().unwrap_or_default(),
        server.port = url.port_or_known_default(),
        url.full = display(FullUrl(url)),
        openrouter.attempts = Empty,
        http.response.status_code = Empty,
        error.type = Empty,
        openrouter.retry_budget_exhausted = Empty,
        openrouter.duration_ms = Empty,
    )
}

/// The span of attempt number `attempt`, under `call`.
pub(crate) fn attempt_span(call: &Span, operation: Operation, method: &Method, url: &Url, attempt: u32) -> Span {
    let span = tracing::debug_span!(
        target: "openrouter_credits",
        parent: call,
        "openrouter.attempt",
        otel.name = method.as_str(),
        otel.kind = "client",
        openrouter.operation = operation.as_str(),
        openrouter.operation_id = operation.operation_id(),
        openrouter.attempt = attempt,
        http.request.method = method.as_str(),
        server.address = url.host_str().unwrap_or_default(),
        server.port = url.port_or_known_default(),
        url.full = display(FullUrl(url)),
        http.request.resend_count = Empty,
        http.response.status_code = Empty,
        error.type = Empty,
        openrouter.duration_ms = Empty,
        openrouter.retry_in_ms = Empty,
    );
    if attempt > 1 {
        span.record("http.request.resend_count", attempt - 1);
    }
    span
}

/// Records how an attempt ended on its span, and emits the attempt's event in it.
pub(crate) fn attempt_ended(span: &Span, verdict: &Verdict) {
    let Verdict { operation, attempt, outcome, took, retry_in, budget_refused, .. } = *verdict;
    let (status, error) = describe(outcome);
    let took = millis(took);
    let retry_in = retry_in.map(|d| d.as_millis() as u64);
    if !span.is_disabled() {
        span.record("http.response.status_code", status);
        span.record("error.type", error.as_ref().map(display));
        span.record("openrouter.duration_ms", took);
        span.record("openrouter.retry_in_ms", retry_in);
    }
    let message = match (retry_in, budget_refused) {
        (Some(_), _) => "attempt failed, retrying",
        (None, true) => "attempt failed, retry budget exhausted",
        (None, false) => "attempt finished",
    };
    tracing::event!(
        target: "openrouter_credits",
        parent: span,
        tracing::Level::DEBUG,
        {
            openrouter.operation = operation.as_str(),
            openrouter.attempt = attempt,
            http.response.status_code = status,
            error.type = error.as_ref().map(display),
            openrouter.duration_ms = took,
            openrouter.retry_in_ms = retry_in,
            openrouter.retry_budget_exhausted = budget_refused.then_some(true),
        },
        "{message}"
    );
}

/// Records how the call ended on its span: its last attempt's verdict, and `took`, the whole
/// call.
pub(crate) fn call_ended(span: &Span, last: &Verdict, took: Duration) {
    if span.is_disabled() {
        return;
    }
    let (status, error) = describe(last.outcome);
    span.record("openrouter.attempts", last.attempt);
    span.record("http.response.status_code", status);
    span.record("error.type", error.as_ref().map(display));
    span.record("openrouter.retry_budget_exhausted", last.budget_refused);
    span.record("openrouter.duration_ms", millis(took));
}

/// `error.type` for a failed outcome: the status code (OpenTelemetry's rule for an HTTP
/// error status), or the transport failure's kind.
enum ErrorType {
    Status(u16),
    Named(&'static str),
}

impl fmt::Display for ErrorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorType::Status(code) => write!(f, "{code}"),
            ErrorType::Named(name) => f.write_str(name),
        }
    }
}

/// The status (when a whole response came), and the error type (when it is a failure).
fn describe(outcome: Outcome) -> (Option<u16>, Option<ErrorType>) {
    match outcome {
        Outcome::Status(s) if s.as_u16() >= 400 => (Some(s.as_u16()), Some(ErrorType::Status(s.as_u16()))),
        Outcome::Status(s) => (Some(s.as_u16()), None),
        Outcome::Failed { kind, .. } => (None, Some(ErrorType::Named(kind.as_str()))),
        Outcome::TooLarge => (None, Some(ErrorType::Named("response_too_large"))),
    }
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A URL as `url.full` shows it: scheme, host, port, path and query; never a user or password.
struct FullUrl<'a>(&'a Url);

impl fmt::Display for FullUrl<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = self.0;
        write!(f, "{}://{}", url.scheme(), url.host_str().unwrap_or_default())?;
        if let Some(port) = url.port() {
            write!(f, ":{port}")?;
        }
        f.write_str(url.path())?;
        if let Some(query) = url.query() {
            write!(f, "?{query}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_full_never_holds_a_user_or_password() {
        let url = Url::parse("https://user:sk-or-secret@example.com:8443/api/v1/key?a=1#frag").unwrap();
        assert_eq!(FullUrl(&url).to_string(), "https://example.com:8443/api/v1/key?a=1");
        let url = Url::parse("http://[::1]/api/v1/credits").unwrap();
        assert_eq!(FullUrl(&url).to_string(), "http://[::1]/api/v1/credits");
    }
}
