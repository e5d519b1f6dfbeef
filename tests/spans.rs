//! The documented `tracing` interface (the crate docs, src/lib.md, "Tracing"): a span per call, a span per
//! attempt under it, an event as each attempt ends, with OpenTelemetry's HTTP client field
//! names; and no secret in any of them.
//!
//! Alone in its own test binary: tracing caches each callsite's interest globally, and a
//! concurrent test emitting the same spans without a subscriber could make them be skipped here.

mod common;
use common::*;
use openrouter_credits::mock::MockResponse;
use openrouter_credits::{Client, Operation, RetryConfig};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// A span or an event as captured: its name (an event's is its message), its parent span's
/// name, and every field as text.
#[derive(Clone, Debug, Default)]
struct Captured {
    name: String,
    parent: Option<String>,
    fields: BTreeMap<String, String>,
}

impl Captured {
    fn get(&self, field: &str) -> Option<&str> {
        self.fields.get(field).map(String::as_str)
    }
}

impl Visit for Captured {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.fields.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.fields.insert(field.name().to_owned(), value.to_owned());
    }
}

/// Spans (once closed) and events, in order.
#[derive(Clone, Default)]
struct Capture {
    spans: Arc<Mutex<Vec<Captured>>>,
    events: Arc<Mutex<Vec<Captured>>>,
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let span = ctx.span(id).unwrap();
        let mut captured = Captured {
            name: attrs.metadata().name().to_owned(),
            parent: span.parent().map(|p| p.name().to_owned()),
            ..Captured::default()
        };
        attrs.record(&mut captured);
        span.extensions_mut().insert(captured);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let span = ctx.span(id).unwrap();
        if let Some(captured) = span.extensions_mut().get_mut::<Captured>() {
            values.record(captured);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        // hyper's and reqwest's own events are theirs, not this interface.
        if event.metadata().target() != "openrouter_credits" {
            return;
        }
        let mut captured =
            Captured { parent: ctx.event_span(event).map(|s| s.name().to_owned()), ..Default::default() };
        event.record(&mut captured);
        captured.name = captured.fields.remove("message").unwrap_or_default();
        self.events.lock().unwrap().push(captured);
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let span = ctx.span(&id).unwrap();
        if let Some(captured) = span.extensions_mut().remove::<Captured>() {
            self.spans.lock().unwrap().push(captured);
        }
    }
}

fn quick_retries() -> RetryConfig {
    steady(Duration::from_millis(10), Duration::from_secs(10))
}

#[tokio::test(start_paused = true)]
async fn a_call_has_a_span_with_one_span_per_attempt_and_their_events_and_no_secret() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry().with(capture.clone());
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = server().await;
    let port = server.addr().port();
    let client = builder(&server).retries(quick_retries()).build().unwrap();
    // A 503 (echoing the key), then the answer.
    server.enqueue(Operation::GetCredits, MockResponse::error(503, &format!("busy {KEY}")));
    client.credits().get_credits().await.unwrap();

    let spans = capture.spans.lock().unwrap().clone();
    let events = capture.events.lock().unwrap().clone();
    let attempts: Vec<_> = spans.iter().filter(|s| s.name == "openrouter.attempt").collect();
    let calls: Vec<_> = spans.iter().filter(|s| s.name == "openrouter.call").collect();
    assert_eq!((calls.len(), attempts.len()), (1, 2), "{spans:#?}");
    let call = calls[0];
    let url = format!("http://127.0.0.1:{port}/api/v1/credits");
    for span in [call, attempts[0], attempts[1]] {
        assert_eq!(span.get("http.request.method"), Some("GET"), "{span:?}");
        assert_eq!(span.get("server.address"), Some("127.0.0.1"), "{span:?}");
        assert_eq!(span.get("server.port"), Some(port.to_string().as_str()), "{span:?}");
        assert_eq!(span.get("url.full"), Some(url.as_str()), "{span:?}");
        assert_eq!(span.get("openrouter.operation"), Some("get_credits"), "{span:?}");
        assert_eq!(span.get("openrouter.operation_id"), Some("getCredits"), "{span:?}");
        assert!(span.get("openrouter.duration_ms").is_some_and(|d| d.parse::<f64>().is_ok()), "{span:?}");
    }
    assert_eq!(call.get("otel.name"), Some("getCredits"));
    assert_eq!(call.get("openrouter.attempts"), Some("2"));
    assert_eq!(call.get("http.response.status_code"), Some("200"));
    assert_eq!(call.get("error.type"), None, "the call succeeded");
    assert_eq!(call.get("openrouter.retry_budget_exhausted"), Some("false"));
    // The waits count in the call's time: 10 ms of backoff, on the paused clock.
    assert!(call.get("openrouter.duration_ms").unwrap().parse::<f64>().unwrap() >= 10.0, "{call:?}");

    let (first, second) = (attempts[0], attempts[1]);
    for (n, span) in [first, second].iter().enumerate() {
        assert_eq!(span.parent.as_deref(), Some("openrouter.call"), "{span:?}");
        assert_eq!(span.get("otel.name"), Some("GET"));
        assert_eq!(span.get("otel.kind"), Some("client"));
        assert_eq!(span.get("openrouter.attempt"), Some((n + 1).to_string().as_str()));
    }
    assert_eq!(first.get("http.response.status_code"), Some("503"));
    assert_eq!(first.get("error.type"), Some("503"));
    assert_eq!(first.get("openrouter.retry_in_ms"), Some("10"));
    assert_eq!(first.get("http.request.resend_count"), None, "the first attempt is not a resend");
    assert_eq!(second.get("http.request.resend_count"), Some("1"));
    assert_eq!(second.get("http.response.status_code"), Some("200"));
    assert_eq!(second.get("error.type"), None);

    // One event as each attempt ends, inside its span.
    assert_eq!(events.len(), 2, "{events:#?}");
    assert_eq!(events[0].name, "attempt failed, retrying");
    assert_eq!(events[0].parent.as_deref(), Some("openrouter.attempt"));
    assert_eq!(events[0].get("openrouter.attempt"), Some("1"));
    assert_eq!(events[0].get("http.response.status_code"), Some("503"));
    assert_eq!(events[0].get("error.type"), Some("503"));
    assert_eq!(events[0].get("openrouter.retry_in_ms"), Some("10"));
    assert_eq!(events[1].name, "attempt finished");
    assert_eq!(events[1].get("openrouter.retry_in_ms"), None);

    // A charge (its bearer), a refused connection: named by their error type, no secret.
    capture.spans.lock().unwrap().clear();
    server.enqueue(Operation::CreateCoinbaseCharge, MockResponse::status(500).body(format!("<p>{BEARER}</p>")));
    let err = charge(&client).await.unwrap_err();
    assert_eq!(err.status(), Some(500));
    let dead = Client::builder()
        .api_key(KEY)
        .api_key_is_management_key(true)
        .base_url(refused_url().await)
        .retries(RetryConfig::none())
        .build()
        .unwrap();
    dead.credits().get_credits().await.unwrap_err();
    let spans = capture.spans.lock().unwrap().clone();
    let calls: Vec<_> = spans.iter().filter(|s| s.name == "openrouter.call").collect();
    assert_eq!(calls.len(), 2, "{spans:#?}");
    assert_eq!(calls[0].get("http.request.method"), Some("POST"));
    assert_eq!(calls[0].get("url.full"), Some(format!("http://127.0.0.1:{port}/api/v1/credits/coinbase").as_str()));
    assert_eq!(calls[0].get("error.type"), Some("500"));
    assert_eq!(calls[1].get("error.type"), Some("connection_refused"));
    assert_eq!(calls[1].get("http.response.status_code"), None);

    let all = format!("{spans:?} {:?}", capture.events.lock().unwrap());
    assert!(!all.contains(KEY), "API key leaked: {all}");
    assert!(!all.contains(BEARER), "bearer leaked: {all}");
    assert!(!all.to_ascii_lowercase().contains("authorization"), "{all}");
}

/// The budget's refusal shows on the call's span and in the last attempt's event.
#[tokio::test(start_paused = true)]
async fn a_retry_the_budget_refused_is_on_the_span_and_the_event() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry().with(capture.clone());
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = server().await;
    let budget = openrouter_credits::RetryBudget::new().percent(0.0).min_per_second(0);
    let client = builder(&server).retries(quick_retries()).retry_budget(budget).build().unwrap();
    server.enqueue(Operation::GetCredits, MockResponse::status(503));
    let err = client.credits().get_credits().await.unwrap_err();
    assert!(err.retry_budget_exhausted());
    let spans = capture.spans.lock().unwrap().clone();
    let call = spans.iter().find(|s| s.name == "openrouter.call").unwrap();
    assert_eq!(call.get("openrouter.retry_budget_exhausted"), Some("true"));
    assert_eq!(call.get("error.type"), Some("503"));
    let events = capture.events.lock().unwrap().clone();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].name, "attempt failed, retry budget exhausted");
    assert_eq!(events[0].get("openrouter.retry_budget_exhausted"), Some("true"));
}
