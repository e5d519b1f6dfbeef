//! One reading, as every other part of `watch` sees it: the layers with stable identities and
//! parsed reset times, or the failure, taken once from `client.spendable()`'s answer. The alert
//! state machine, the metrics and the printed line all read this, never the library's types.

use openrouter_credits::{Error, Layer, LayerKind, RunwayEnd, Spendable, UnknownLayers, UnknownReason};
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What one reading found.
#[derive(Clone, Debug)]
pub(crate) enum Observation {
    Read(Reading),
    /// Nothing could be read.
    Failed(Failure),
}

/// A layer's identity across readings: the labels of its metrics and the key of its alert state.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub(crate) struct LayerKey {
    /// `account`, `key_limit` or `budget`.
    pub(crate) kind: String,
    /// The budget's scope (`member`, `workspace`, …); the kind for the other layers.
    pub(crate) scope: String,
    /// The budget's id; empty when the layer has none.
    pub(crate) id: String,
}

impl std::fmt::Display for LayerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.kind, self.scope)?;
        if !self.id.is_empty() {
            write!(f, "/{}", self.id)?;
        }
        Ok(())
    }
}

/// One layer as read.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LayerView {
    pub(crate) key: LayerKey,
    /// In words: `member budget 0df9…`, `key limit`, `account balance`.
    pub(crate) name: String,
    pub(crate) limit_usd: f64,
    pub(crate) spent_usd: f64,
    pub(crate) remaining_usd: f64,
    pub(crate) reset_interval: Option<String>,
    /// As sent (ISO 8601).
    pub(crate) resets_at: Option<String>,
    /// `resets_at` in seconds since the Unix epoch, when it parses.
    pub(crate) resets_at_unix: Option<f64>,
}

/// A layer (or group of layers) that could not be read.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct UnknownView {
    /// `account`, `key` or `budgets`.
    pub(crate) layer: &'static str,
    /// `no_management_key`, `failed`, …
    pub(crate) reason: &'static str,
    pub(crate) message: String,
    /// The failure's kind, when a request failed (the figure may be wrong until read again).
    pub(crate) failure: Option<&'static str>,
}

/// What a reading that answered found.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Reading {
    pub(crate) layers: Vec<LayerView>,
    /// Index into `layers`.
    pub(crate) binding: Option<usize>,
    pub(crate) unknown: Vec<UnknownView>,
    /// Free-model requests: (limit, used, remaining) today.
    pub(crate) free_model_requests: Option<(i64, i64, i64)>,
    /// `Retry-After` of a layer whose request failed.
    pub(crate) retry_after: Option<Duration>,
    /// The library's runway ([`Spendable::runway`]), when it has one.
    pub(crate) runway: Option<RunwayView>,
}

/// The binding layer's runway at the key's recent pace.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RunwayView {
    /// The key's spend per day over the current UTC week (or month).
    pub(crate) daily_usd: f64,
    /// Until the binding layer runs out at that pace; `+Inf` when it does not before its reset.
    pub(crate) seconds: Option<f64>,
}

/// A reading that failed as a whole.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Failure {
    pub(crate) kind: &'static str,
    pub(crate) message: String,
    pub(crate) retry_after: Option<Duration>,
}

impl Reading {
    /// What can still be spent under the binding layer (never below 0), or `None` when it is not
    /// known: no layer limits spending, or a layer's request failed (that layer may bind). A
    /// layer unknown by configuration (no management key) leaves the figure standing, as the
    /// `spendable` command does; it is listed among the unknown layers.
    pub(crate) fn spendable_usd(&self) -> Option<f64> {
        if self.failed() {
            return None;
        }
        self.binding.map(|i| self.layers[i].remaining_usd.max(0.0))
    }

    /// Whether a request failed, so that the figures are not the whole answer.
    pub(crate) fn failed(&self) -> bool {
        self.unknown.iter().any(|u| u.failure.is_some())
    }

    pub(crate) fn binding_layer(&self) -> Option<&LayerView> {
        self.binding.map(|i| &self.layers[i])
    }
}

impl Observation {
    /// Reads `client.spendable()`'s answer.
    pub(crate) fn from_result(result: Result<Spendable, Error>) -> Self {
        match result {
            Ok(s) => Observation::Read(Reading::from_spendable(&s)),
            Err(e) => Observation::Failed(Failure {
                kind: failure_kind(&e),
                message: e.to_string(),
                retry_after: e.retry_after(),
            }),
        }
    }

    pub(crate) fn retry_after(&self) -> Option<Duration> {
        match self {
            Observation::Read(r) => r.retry_after,
            Observation::Failed(f) => f.retry_after,
        }
    }

    /// A reading counts as failed when nothing answered or a layer's request failed.
    pub(crate) fn is_failure(&self) -> bool {
        match self {
            Observation::Read(r) => r.failed(),
            Observation::Failed(_) => true,
        }
    }
}

impl Reading {
    fn from_spendable(s: &Spendable) -> Self {
        let binding = s.binding().and_then(|b| s.layers().iter().position(|l| std::ptr::eq(l, b)));
        let mut retry_after = None;
        let unknown = s
            .unknown()
            .iter()
            .map(|u| {
                let layer = match u.layers {
                    UnknownLayers::Account => "account",
                    UnknownLayers::Key => "key",
                    UnknownLayers::Budgets => "budgets",
                    _ => "other",
                };
                let (reason, failure) = match &u.reason {
                    UnknownReason::NoManagementKey => ("no_management_key", None),
                    UnknownReason::NotAManagementKey => ("not_a_management_key", None),
                    UnknownReason::NoApiKey => ("no_api_key", None),
                    UnknownReason::NotReported => ("not_reported", None),
                    UnknownReason::Unverified => ("unverified", Some("unverified")),
                    UnknownReason::Failed(e) => {
                        retry_after = retry_after.max(e.retry_after());
                        ("failed", Some(failure_kind(e)))
                    }
                    _ => ("other", None),
                };
                UnknownView { layer, reason, message: u.to_string(), failure }
            })
            .collect();
        Reading {
            layers: s.layers().iter().map(view).collect(),
            binding,
            unknown,
            free_model_requests: s.free_model_requests().map(|f| (f.limit, f.used, f.remaining)),
            retry_after,
            runway: s.runway().ok().map(|r| RunwayView {
                daily_usd: r.daily_usd,
                seconds: match r.end {
                    RunwayEnd::In(d) => Some(d.as_secs_f64()),
                    RunwayEnd::Spent => Some(0.0),
                    // It does not run out (before its reset, or at all) at this pace.
                    RunwayEnd::ResetsFirst | RunwayEnd::NoSpend => Some(f64::INFINITY),
                    _ => None,
                },
            }),
        }
    }
}

fn view(layer: &Layer) -> LayerView {
    let (kind, scope) = match &layer.kind {
        LayerKind::Account => ("account", "account".to_owned()),
        LayerKind::KeyLimit => ("key_limit", "key_limit".to_owned()),
        LayerKind::Budget(scope) => ("budget", scope.as_str().to_owned()),
        _ => ("other", "other".to_owned()),
    };
    LayerView {
        key: LayerKey { kind: kind.to_owned(), scope, id: layer.id.clone().unwrap_or_default() },
        name: layer.to_string(),
        limit_usd: layer.limit_usd,
        spent_usd: layer.spent_usd,
        remaining_usd: layer.remaining_usd,
        reset_interval: layer.reset_interval.as_ref().map(|i| i.as_str().to_owned()),
        resets_at_unix: layer.resets_at_time().map(unix),
        resets_at: layer.resets_at.clone(),
    }
}

/// The failure's kind, the `kind` label of `openrouter_read_failures_total`.
pub(crate) fn failure_kind(e: &Error) -> &'static str {
    match e {
        Error::TooManyRequests(_) => "rate_limited",
        Error::Unauthorized(_) | Error::Forbidden(_) => "auth",
        Error::PaymentRequired(_) => "payment_required",
        Error::InternalServer(_) => "server",
        Error::Api(api) if api.status() >= 500 => "server",
        Error::BadRequest(_) | Error::NotFound(_) | Error::Gone(_) | Error::Api(_) => "http",
        Error::Timeout { .. } => "timeout",
        Error::Transport { .. } | Error::ResponseInterrupted { .. } => "network",
        Error::Decode { .. } | Error::ResponseTooLarge { .. } => "bad_response",
        Error::InvalidInput { .. } => "invalid_input",
        // Both of `spendable`'s requests failed: `GET /key`'s kind (the two usually agree).
        Error::BothFailed { key, .. } => failure_kind(key),
        Error::Shared(e) => failure_kind(e),
        _ => "other",
    }
}

/// Seconds since the Unix epoch.
pub(crate) fn unix(time: SystemTime) -> f64 {
    time.duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}
