//! The Prometheus metrics of the last reading, built with the Prometheus project's own client
//! (`prometheus-client`). A registry is built anew from each reading, so that a layer that was
//! not read has no sample at all (never a stale value, never 0); the counters live across
//! readings and are registered into each one.
//!
//! | metric | labels | what |
//! |---|---|---|
//! | `openrouter_spendable_usd` | | what can still be spent under the binding layer; no sample while unknown |
//! | `openrouter_layer_remaining_usd` | kind, scope, id | what is left of each layer read |
//! | `openrouter_layer_limit_usd` | kind, scope, id | its limit (the account: credits bought) |
//! | `openrouter_layer_spent_usd` | kind, scope, id | what counts against it (in the current window) |
//! | `openrouter_layer_reset_timestamp_seconds` | kind, scope, id | when its window resets |
//! | `openrouter_binding_layer_info` | kind, scope, id | 1 for the layer that binds |
//! | `openrouter_layer_unknown_info` | layer, reason | 1 for each layer not read, and why |
//! | `openrouter_runway_seconds` | | how long the binding layer lasts at the key's recent pace (`Spendable::runway`: this UTC week's spend per day; `+Inf`: it does not run out before its reset at that pace); no sample while unknown |
//! | `openrouter_spend_rate_usd_per_day` | | that pace: the key's spend per day over the current UTC week (or month) |
//! | `openrouter_free_model_requests_remaining`, `…_limit` | | free-model requests today |
//! | `openrouter_last_success_timestamp_seconds` | | the end of the last reading with no failure |
//! | `openrouter_watch_interval_seconds` | | `--interval` |
//! | `openrouter_source_info` | source | 1: `openrouter`, or `demo` (the fake server's made-up figures, `--demo`) |
//! | `openrouter_readings_total` | | readings made |
//! | `openrouter_read_failures_total` | kind | failed readings (a whole one, or one layer's request) by kind |

use super::reading::{LayerKey, Observation, unix};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, SystemTime};

/// Every kind `openrouter_read_failures_total` counts (each starts at 0, so that `rate()` and
/// `increase()` see the first failure).
const FAILURE_KINDS: [&str; 10] = [
    "rate_limited",
    "auth",
    "payment_required",
    "server",
    "http",
    "timeout",
    "network",
    "bad_response",
    "unverified",
    "other",
];

type FloatGauge = Gauge<f64, AtomicU64>;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LayerLabels {
    kind: String,
    scope: String,
    id: String,
}

impl From<&LayerKey> for LayerLabels {
    fn from(key: &LayerKey) -> Self {
        Self { kind: key.kind.clone(), scope: key.scope.clone(), id: key.id.clone() }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct UnknownLabels {
    layer: String,
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceLabels {
    source: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FailureLabels {
    kind: String,
}

/// What lasts across readings.
#[derive(Debug)]
pub(crate) struct Metrics {
    interval: Duration,
    /// `openrouter` or `demo` (the built-in fake server's made-up figures, `--demo`).
    source: &'static str,
    readings: Counter,
    failures: Family<FailureLabels, Counter>,
    last_success: Option<SystemTime>,
}

impl Metrics {
    pub(crate) fn new(interval: Duration, source: &'static str) -> Self {
        let failures = Family::<FailureLabels, Counter>::default();
        for kind in FAILURE_KINDS {
            drop(failures.get_or_create(&FailureLabels { kind: kind.to_owned() }));
        }
        Self { interval, source, readings: Counter::default(), failures, last_success: None }
    }

    /// Counts the observation (made at `now`) and returns the registry that describes it.
    pub(crate) fn observe(&mut self, observation: &Observation, now: SystemTime) -> Registry {
        self.readings.inc();
        match observation {
            Observation::Failed(f) => {
                self.failures.get_or_create(&FailureLabels { kind: f.kind.to_owned() }).inc();
            }
            Observation::Read(r) => {
                for kind in r.unknown.iter().filter_map(|u| u.failure) {
                    self.failures.get_or_create(&FailureLabels { kind: kind.to_owned() }).inc();
                }
                if !r.failed() {
                    self.last_success = Some(now);
                }
            }
        }
        self.registry(Some(observation))
    }

    /// The registry before the first reading (or of `observation`): the counters, the interval,
    /// and what the observation found.
    pub(crate) fn registry(&self, observation: Option<&Observation>) -> Registry {
        let mut registry = Registry::with_prefix("openrouter");
        let gauge = |value: f64| {
            let g = FloatGauge::default();
            g.set(value);
            g
        };
        let source = Family::<SourceLabels, Gauge>::default();
        source.get_or_create(&SourceLabels { source: self.source.to_owned() }).set(1);
        registry.register(
            "source_info",
            "1, labelled with where the figures come from: openrouter, or demo (made-up)",
            source,
        );
        registry.register("readings", "Readings made (GET /key and GET /credits, at once)", self.readings.clone());
        registry.register(
            "read_failures",
            "Failed readings by kind: nothing answered, or one layer's request failed",
            self.failures.clone(),
        );
        registry.register(
            "watch_interval_seconds",
            "The interval between readings (--interval)",
            gauge(self.interval.as_secs_f64()),
        );
        if let Some(t) = self.last_success {
            registry.register(
                "last_success_timestamp_seconds",
                "When the last reading with no failure ended, in seconds since the Unix epoch",
                gauge(unix(t)),
            );
        }
        // Info metrics: 1 per label set (`Gauge<i64>`, so `1`, not `1.0`).
        let unknown = Family::<UnknownLabels, Gauge>::default();
        match observation {
            None => {}
            Some(Observation::Failed(f)) => {
                unknown
                    .get_or_create(&UnknownLabels { layer: "all".to_owned(), reason: format!("failed_{}", f.kind) })
                    .set(1);
            }
            Some(Observation::Read(r)) => {
                if let Some(left) = r.spendable_usd() {
                    registry.register(
                        "spendable_usd",
                        "What can still be spent in USD: what is left of the binding layer (no sample while unknown)",
                        gauge(left),
                    );
                }
                // A failed layer may bind: no runway then, as no spendable figure.
                if let Some(runway) = r.runway.as_ref().filter(|_| !r.failed()) {
                    if let Some(seconds) = runway.seconds {
                        registry.register(
                            "runway_seconds",
                            "How long the binding layer lasts at the key's recent pace (this UTC week's spend per day); +Inf when it does not run out before its reset",
                            gauge(seconds),
                        );
                    }
                    registry.register(
                        "spend_rate_usd_per_day",
                        "The key's spend per day over the current UTC week (or month, early in the week)",
                        gauge(runway.daily_usd),
                    );
                }
                let remaining = Family::<LayerLabels, FloatGauge>::default();
                let limit = Family::<LayerLabels, FloatGauge>::default();
                let spent = Family::<LayerLabels, FloatGauge>::default();
                let resets = Family::<LayerLabels, FloatGauge>::default();
                let binding = Family::<LayerLabels, Gauge>::default();
                for layer in &r.layers {
                    let labels = LayerLabels::from(&layer.key);
                    remaining.get_or_create(&labels).set(layer.remaining_usd);
                    limit.get_or_create(&labels).set(layer.limit_usd);
                    spent.get_or_create(&labels).set(layer.spent_usd);
                    if let Some(t) = layer.resets_at_unix {
                        resets.get_or_create(&labels).set(t);
                    }
                }
                if let Some(layer) = r.binding_layer() {
                    binding.get_or_create(&LayerLabels::from(&layer.key)).set(1);
                }
                for u in &r.unknown {
                    let reason = match u.failure {
                        Some(kind) => format!("failed_{kind}"),
                        None => u.reason.to_owned(),
                    };
                    unknown.get_or_create(&UnknownLabels { layer: u.layer.to_owned(), reason }).set(1);
                }
                registry.register(
                    "layer_remaining_usd",
                    "What is left of a layer in USD (zero or less blocks requests)",
                    remaining,
                );
                registry.register("layer_limit_usd", "A layer's limit in USD (the account: credits bought)", limit);
                registry.register(
                    "layer_spent_usd",
                    "What counts against a layer in USD (in its current window)",
                    spent,
                );
                registry.register(
                    "layer_reset_timestamp_seconds",
                    "When a layer's window resets, in seconds since the Unix epoch",
                    resets,
                );
                registry.register("binding_layer_info", "The layer that binds (blocks first): 1", binding);
                if let Some((limit, _, left)) = r.free_model_requests {
                    registry.register(
                        "free_model_requests_remaining",
                        "Free-model requests left today",
                        gauge(left as f64),
                    );
                    registry.register(
                        "free_model_requests_limit",
                        "Free-model requests allowed per day",
                        gauge(limit as f64),
                    );
                }
            }
        }
        registry.register(
            "layer_unknown_info",
            "A layer that could not be read, and why: 1 (it has no value samples)",
            unknown,
        );
        registry
    }
}

/// The Prometheus text format (0.0.4), and its content type.
pub(crate) fn encode_text(registry: &Registry) -> (String, &'static str) {
    let mut text = String::new();
    // Writing into a String cannot fail.
    let _ = prometheus_client::encoding::prometheus_text::encode(&mut text, registry);
    (text, prometheus_client::encoding::prometheus_text::CONTENT_TYPE)
}

/// OpenMetrics text, for a scraper that asks for it.
pub(crate) fn encode_openmetrics(registry: &Registry) -> (String, &'static str) {
    let mut text = String::new();
    let _ = prometheus_client::encoding::text::encode(&mut text, registry);
    (text, "application/openmetrics-text; version=1.0.0; charset=utf-8")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watch::reading::RunwayView;
    use crate::watch::reading::{Failure, LayerView, Reading, UnknownView};

    fn layer(kind: &str, scope: &str, id: &str, limit: f64, spent: f64) -> LayerView {
        LayerView {
            key: LayerKey { kind: kind.into(), scope: scope.into(), id: id.into() },
            name: scope.into(),
            limit_usd: limit,
            spent_usd: spent,
            remaining_usd: limit - spent,
            reset_interval: None,
            resets_at: None,
            resets_at_unix: Some(1_800_000_000.0),
        }
    }

    fn scrape(metrics: &mut Metrics, observation: &Observation) -> String {
        encode_text(&metrics.observe(observation, SystemTime::UNIX_EPOCH + Duration::from_secs(1000))).0
    }

    #[test]
    fn a_reading_is_described_layer_by_layer() {
        let mut metrics = Metrics::new(Duration::from_secs(60), "openrouter");
        let reading = Reading {
            layers: vec![layer("budget", "member", "b1", 50.0, 32.5), layer("key_limit", "key_limit", "", 100.0, 25.5)],
            binding: Some(0),
            unknown: vec![UnknownView {
                layer: "account",
                reason: "no_management_key",
                message: String::new(),
                failure: None,
            }],
            free_model_requests: Some((50, 12, 38)),
            retry_after: None,
            runway: None,
        };
        let text = scrape(&mut metrics, &Observation::Read(reading));
        for line in [
            "openrouter_spendable_usd 17.5\n",
            "openrouter_layer_remaining_usd{kind=\"budget\",scope=\"member\",id=\"b1\"} 17.5\n",
            "openrouter_layer_limit_usd{kind=\"key_limit\",scope=\"key_limit\",id=\"\"} 100.0\n",
            "openrouter_layer_spent_usd{kind=\"budget\",scope=\"member\",id=\"b1\"} 32.5\n",
            "openrouter_layer_reset_timestamp_seconds{kind=\"budget\",scope=\"member\",id=\"b1\"} 1800000000.0\n",
            "openrouter_binding_layer_info{kind=\"budget\",scope=\"member\",id=\"b1\"} 1\n",
            "openrouter_layer_unknown_info{layer=\"account\",reason=\"no_management_key\"} 1\n",
            "openrouter_free_model_requests_remaining 38.0\n",
            "openrouter_last_success_timestamp_seconds 1000.0\n",
            "openrouter_readings_total 1\n",
            "openrouter_read_failures_total{kind=\"server\"} 0\n",
            "openrouter_watch_interval_seconds 60.0\n",
        ] {
            assert!(text.contains(line), "{line}in\n{text}");
        }
        assert!(!text.contains("kind=\"account\""), "the unknown account has no value: {text}");
    }

    #[test]
    fn the_runway_is_the_librarys_and_has_no_sample_while_unknown() {
        let mut metrics = Metrics::new(Duration::from_secs(60), "openrouter");
        let read = |runway: Option<RunwayView>| {
            Observation::Read(Reading {
                layers: vec![layer("budget", "member", "b1", 50.0, 32.5)],
                binding: Some(0),
                unknown: Vec::new(),
                free_model_requests: None,
                retry_after: None,
                runway,
            })
        };
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        let none = encode_text(&metrics.observe(&read(None), at)).0;
        assert!(!none.contains("openrouter_runway_seconds"), "{none}");
        let known = read(Some(RunwayView { daily_usd: 10.0, seconds: Some(600.0) }));
        let text = encode_text(&metrics.observe(&known, at)).0;
        assert!(text.contains("openrouter_runway_seconds 600.0\n"), "{text}");
        assert!(text.contains("openrouter_spend_rate_usd_per_day 10.0\n"), "{text}");
    }

    #[test]
    fn a_failure_leaves_no_figure_and_is_counted() {
        let mut metrics = Metrics::new(Duration::from_secs(60), "openrouter");
        let failed = Observation::Failed(Failure { kind: "rate_limited", message: "429".into(), retry_after: None });
        let text = scrape(&mut metrics, &failed);
        assert!(!text.contains("openrouter_spendable_usd"), "{text}");
        assert!(!text.contains("openrouter_layer_remaining_usd{"), "{text}");
        assert!(!text.contains("openrouter_last_success_timestamp_seconds"), "{text}");
        assert!(text.contains("openrouter_read_failures_total{kind=\"rate_limited\"} 1\n"), "{text}");
        assert!(
            text.contains("openrouter_layer_unknown_info{layer=\"all\",reason=\"failed_rate_limited\"} 1\n"),
            "{text}"
        );

        // One layer failed: the others are shown, the figure is not (the failed one may bind).
        let partial = Reading {
            layers: vec![layer("account", "account", "", 100.5, 25.75)],
            binding: Some(0),
            unknown: vec![UnknownView {
                layer: "key",
                reason: "failed",
                message: String::new(),
                failure: Some("timeout"),
            }],
            free_model_requests: None,
            retry_after: None,
            runway: None,
        };
        let text = scrape(&mut metrics, &Observation::Read(partial));
        assert!(!text.contains("openrouter_spendable_usd"), "{text}");
        assert!(
            text.contains("openrouter_layer_remaining_usd{kind=\"account\",scope=\"account\",id=\"\"} 74.75\n"),
            "{text}"
        );
        assert!(text.contains("openrouter_read_failures_total{kind=\"timeout\"} 1\n"), "{text}");
        assert!(text.contains("openrouter_readings_total 2\n"), "{text}");
    }
}
