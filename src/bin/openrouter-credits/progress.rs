//! Progress on stderr from the library's documented per-attempt `tracing` event (target
//! `openrouter_credits`; fields `openrouter.operation`, `openrouter.attempt`,
//! `http.response.status_code`, `error.type`, `openrouter.retry_in_ms`,
//! `openrouter.retry_budget_exhausted`: see the crate docs, "Tracing"): a line for each retry
//! always, and a line for every attempt with `-v`. A tiny `Subscriber`, so no logging stack.

use crate::output::Style;
use std::fmt;
use std::io::Write;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};

const TARGET: &str = "openrouter_credits";

/// Installs the reporter for the whole process. Call once, before the first request.
pub(crate) fn install(verbose: bool, style: Style) {
    // Fails only when a subscriber is installed already, which this binary never does.
    let _ = tracing::subscriber::set_global_default(Progress { verbose, style });
}

struct Progress {
    verbose: bool,
    style: Style,
}

/// The fields of one attempt event.
#[derive(Default)]
struct Attempt {
    operation: Option<String>,
    attempt: Option<u64>,
    status: Option<u64>,
    error: Option<String>,
    retry_in_ms: Option<u64>,
    budget_exhausted: bool,
    message: Option<String>,
}

impl Visit for Attempt {
    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            "openrouter.attempt" => self.attempt = Some(value),
            "http.response.status_code" => self.status = Some(value),
            "openrouter.retry_in_ms" => self.retry_in_ms = Some(value),
            _ => {}
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if let Ok(value) = u64::try_from(value) {
            self.record_u64(field, value);
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        if field.name() == "openrouter.retry_budget_exhausted" {
            self.budget_exhausted = value;
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "openrouter.operation" => self.operation = Some(value.to_owned()),
            // `connection_refused` → `connection refused`; a status code as it is.
            "error.type" => self.error = Some(value.replace('_', " ")),
            "message" => self.message = Some(value.to_owned()),
            _ => {}
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        match field.name() {
            "message" => self.message = Some(format!("{value:?}")),
            "openrouter.operation" | "error.type" => self.record_str(field, &format!("{value:?}")),
            _ => {}
        }
    }
}

impl Attempt {
    /// `HTTP 503`, `timeout`, `connect`, …
    fn outcome(&self) -> String {
        match (&self.status, &self.error) {
            (Some(status), _) => format!("HTTP {status}"),
            (None, Some(error)) => error.clone(),
            (None, None) => "no response".to_owned(),
        }
    }

    fn line(&self) -> Option<String> {
        let operation = self.operation.as_deref().unwrap_or("request");
        let attempt = self.attempt?;
        Some(match self.retry_in_ms {
            Some(ms) => format!("{operation}: attempt {attempt} failed ({}), retrying in {ms} ms", self.outcome()),
            None if self.budget_exhausted => format!(
                "{operation}: attempt {attempt} failed ({}), not retried: the retry budget is exhausted",
                self.outcome()
            ),
            None => format!("{operation}: attempt {attempt} finished ({})", self.outcome()),
        })
    }
}

impl Subscriber for Progress {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if self.enabled(metadata) { Interest::always() } else { Interest::never() }
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target().starts_with(TARGET) && metadata.is_event() && *metadata.level() <= Level::DEBUG
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::DEBUG)
    }

    fn event(&self, event: &Event<'_>) {
        let mut attempt = Attempt::default();
        event.record(&mut attempt);
        let retrying = attempt.retry_in_ms.is_some();
        if !(retrying || self.verbose) {
            return;
        }
        let line = attempt.line().or(attempt.message).unwrap_or_default();
        let label = if retrying { self.style.warn("retry:") } else { self.style.dim("debug:") };
        // A closed stderr is ignored: nowhere left to report it, and never a panic.
        let _ = writeln!(std::io::stderr().lock(), "{label} {line}");
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}
