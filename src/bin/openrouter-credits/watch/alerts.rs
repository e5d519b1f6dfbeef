//! Alerts: a pure state machine from one reading (and the time) to the events to deliver.
//!
//! Rules (the `--help` of `--alert-at` says the same):
//! - A threshold is USD left (`5`: at most 5 USD left) or a share of the layer's limit used
//!   (`80%`: at least 80 % of the limit spent; never crossed by a layer whose limit is 0).
//! - Per layer, a crossing fires once: of the thresholds newly crossed at one reading only the
//!   most severe (the least USD left it stands for) is announced; all of them are then spent.
//! - A spent threshold is re-armed when the layer rises back above it with a margin (5
//!   percentage points of the limit for a share, 10 % of the amount and at least 0.01 USD for
//!   USD left), or when the layer's window resets (its `resets_at` passes): then every threshold
//!   the layer no longer crosses is re-armed, margin or not.
//! - A failed reading (nothing answered, or one layer's request failed) fires `read_failed` once
//!   per outage, never a threshold; the first complete reading after it fires `recovered`. While
//!   a layer is not read, its state is kept.
//!
//! The state serialises to JSON (`--alert-state FILE`) so that a restart can resume it.

use super::reading::{LayerView, Observation, unix};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::SystemTime;

/// Share thresholds re-arm this far (of the limit) below the threshold.
const SHARE_MARGIN: f64 = 0.05;
/// USD thresholds re-arm this far (of the amount) above it…
const USD_MARGIN: f64 = 0.10;
/// …and at least this far.
const USD_MARGIN_MIN: f64 = 0.01;

/// One `--alert-at` value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Threshold {
    /// At most this many USD left.
    UsdLeft(f64),
    /// At least this share (0 < share ≤ 1) of the limit used.
    ShareUsed(f64),
}

impl Threshold {
    /// `80%` or `5` (USD left). The error states the rule.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if let Some(percent) = text.strip_suffix('%') {
            let p: f64 =
                percent.trim().parse().map_err(|_| format!("`{text}`: a share must be a number followed by %"))?;
            if !(p > 0.0 && p <= 100.0) {
                return Err(format!("`{text}`: a share of the limit used must be greater than 0% and at most 100%"));
            }
            Ok(Threshold::ShareUsed(p / 100.0))
        } else {
            let usd: f64 = text
                .parse()
                .map_err(|_| format!("`{text}`: must be USD left (`5`) or a share of the limit used (`80%`)"))?;
            if !(usd.is_finite() && usd >= 0.0) {
                return Err(format!("`{text}`: USD left must be a finite number, 0 or more"));
            }
            Ok(Threshold::UsdLeft(usd))
        }
    }

    /// `80%` or `5 USD`: how the threshold is named in events and in the state file.
    pub(crate) fn label(&self) -> String {
        match self {
            Threshold::UsdLeft(usd) => format!("{usd} USD"),
            Threshold::ShareUsed(share) => format!("{}%", round(share * 100.0)),
        }
    }

    fn crossed(&self, layer: &LayerView) -> bool {
        match *self {
            Threshold::UsdLeft(usd) => layer.remaining_usd <= usd,
            Threshold::ShareUsed(share) => layer.limit_usd > 0.0 && layer.spent_usd >= share * layer.limit_usd,
        }
    }

    /// Back above the threshold by the margin.
    fn clear_with_margin(&self, layer: &LayerView) -> bool {
        match *self {
            Threshold::UsdLeft(usd) => layer.remaining_usd >= usd + (usd * USD_MARGIN).max(USD_MARGIN_MIN),
            Threshold::ShareUsed(share) => {
                layer.limit_usd <= 0.0 || layer.spent_usd <= (share - SHARE_MARGIN) * layer.limit_usd
            }
        }
    }

    /// The USD left the threshold stands for on this layer: the least is the most severe.
    fn usd_left(&self, layer: &LayerView) -> f64 {
        match *self {
            Threshold::UsdLeft(usd) => usd,
            Threshold::ShareUsed(share) => layer.limit_usd * (1.0 - share),
        }
    }
}

fn round(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// What the alert machine remembers (and `--alert-state` keeps across restarts).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct AlertState {
    /// By layer (`kind/scope/id`).
    layers: BTreeMap<String, LayerState>,
    /// A failed reading was announced and no complete reading followed yet.
    outage: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct LayerState {
    /// Labels of the thresholds spent (fired, not yet re-armed).
    fired: Vec<String>,
    /// The layer's `resets_at` (Unix seconds) when last read: once passed, the window reset.
    window_ends: Option<f64>,
}

/// One event to deliver.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Event {
    /// A layer crossed a threshold.
    Crossed { layer: LayerView, threshold: String, binding: bool },
    /// A reading failed: the figures are not known (not "0 left").
    ReadFailed { kind: &'static str, layers: Vec<&'static str>, message: String },
    /// The first complete reading after a failure.
    Recovered,
}

impl AlertState {
    /// The events this observation causes, at `now`; updates the state.
    pub(crate) fn step(&mut self, thresholds: &[Threshold], observation: &Observation, now: SystemTime) -> Vec<Event> {
        let mut events = Vec::new();
        let reading = match observation {
            Observation::Failed(f) => {
                if !self.outage {
                    self.outage = true;
                    events.push(Event::ReadFailed { kind: f.kind, layers: Vec::new(), message: f.message.clone() });
                }
                return events;
            }
            Observation::Read(reading) => reading,
        };
        let failed: Vec<_> = reading.unknown.iter().filter(|u| u.failure.is_some()).collect();
        if let Some(first) = failed.first() {
            if !self.outage {
                self.outage = true;
                events.push(Event::ReadFailed {
                    kind: first.failure.unwrap_or("other"),
                    layers: failed.iter().map(|u| u.layer).collect(),
                    message: failed.iter().map(|u| u.message.as_str()).collect::<Vec<_>>().join("; "),
                });
            }
        } else if self.outage {
            self.outage = false;
            events.push(Event::Recovered);
        }
        let labels: Vec<String> = thresholds.iter().map(Threshold::label).collect();
        for (i, layer) in reading.layers.iter().enumerate() {
            let state = self.layers.entry(layer.key.to_string()).or_default();
            let crossed = |label: &String| thresholds.iter().zip(&labels).any(|(t, l)| l == label && t.crossed(layer));
            // Thresholds no longer asked for are forgotten.
            state.fired.retain(|label| labels.contains(label));
            let window_passed = state.window_ends.is_some_and(|end| unix(now) >= end);
            if window_passed {
                state.fired.retain(crossed);
            }
            state
                .fired
                .retain(|label| !thresholds.iter().zip(&labels).any(|(t, l)| l == label && t.clear_with_margin(layer)));
            state.window_ends = layer.resets_at_unix;
            let newly: Vec<(&Threshold, &String)> =
                thresholds.iter().zip(&labels).filter(|(t, l)| t.crossed(layer) && !state.fired.contains(l)).collect();
            let most_severe =
                newly.iter().min_by(|a, b| a.0.usd_left(layer).total_cmp(&b.0.usd_left(layer))).map(|(_, l)| *l);
            if let Some(label) = most_severe {
                events.push(Event::Crossed {
                    layer: layer.clone(),
                    threshold: label.clone(),
                    binding: reading.binding == Some(i),
                });
                state.fired.extend(newly.iter().map(|(_, l)| (*l).clone()));
            }
        }
        // Layers gone from a complete reading are forgotten (the state stays bounded).
        if failed.is_empty() {
            let present: Vec<String> = reading.layers.iter().map(|l| l.key.to_string()).collect();
            self.layers.retain(|key, _| present.contains(key));
        }
        events
    }
}

impl Event {
    /// `threshold_crossed`, `read_failed` or `recovered`.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Event::Crossed { .. } => "threshold_crossed",
            Event::ReadFailed { .. } => "read_failed",
            Event::Recovered => "recovered",
        }
    }

    /// The JSON line printed on stdout (`"type": "alert"`).
    pub(crate) fn to_json(&self, time: &str) -> Value {
        let mut v = json!({"type": "alert", "event": self.name(), "time": time});
        match self {
            Event::Crossed { layer, threshold, binding } => {
                let share = (layer.limit_usd > 0.0).then(|| round(layer.spent_usd / layer.limit_usd));
                v["layer"] = json!(layer.name);
                v["kind"] = json!(layer.key.kind);
                v["scope"] = json!(layer.key.scope);
                v["id"] = json!((!layer.key.id.is_empty()).then_some(&layer.key.id));
                v["threshold"] = json!(threshold);
                v["binding"] = json!(binding);
                v["remaining_usd"] = json!(layer.remaining_usd);
                v["limit_usd"] = json!(layer.limit_usd);
                v["spent_usd"] = json!(layer.spent_usd);
                v["share_used"] = json!(share);
                v["resets_at"] = json!(layer.resets_at);
            }
            Event::ReadFailed { kind, layers, message } => {
                v["failure"] = json!(kind);
                v["layers"] = json!(if layers.is_empty() { vec!["all"] } else { layers.clone() });
                v["message"] = json!(message);
            }
            Event::Recovered => {}
        }
        v
    }

    /// The environment of `--alert-command`: `OPENROUTER_ALERT_<FIELD>` for each field of the
    /// JSON line (upper case; numbers as JSON writes them, absent values empty), and
    /// `OPENROUTER_ALERT_JSON`, the line itself.
    pub(crate) fn environment(&self, time: &str) -> Vec<(String, String)> {
        let v = self.to_json(time);
        let mut env = vec![("OPENROUTER_ALERT_JSON".to_owned(), v.to_string())];
        if let Value::Object(fields) = &v {
            for (name, value) in fields {
                if name == "type" {
                    continue;
                }
                let text = match value {
                    Value::Null => String::new(),
                    Value::String(s) => s.clone(),
                    Value::Array(items) => items
                        .iter()
                        .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                        .collect::<Vec<_>>()
                        .join(","),
                    other => other.to_string(),
                };
                env.push((format!("OPENROUTER_ALERT_{}", name.to_uppercase()), text));
            }
        }
        env
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watch::reading::{Failure, LayerKey, Reading, UnknownView};
    use std::time::{Duration, UNIX_EPOCH};

    fn reading_with(layers: Vec<LayerView>) -> Reading {
        Reading {
            binding: Some(0),
            layers,
            unknown: Vec::new(),
            free_model_requests: None,
            retry_after: None,
            runway: None,
        }
    }

    fn budget(limit: f64, spent: f64, resets_at: Option<f64>) -> LayerView {
        LayerView {
            key: LayerKey { kind: "budget".into(), scope: "member".into(), id: "b1".into() },
            name: "member budget b1".into(),
            limit_usd: limit,
            spent_usd: spent,
            remaining_usd: limit - spent,
            reset_interval: Some("weekly".into()),
            resets_at: None,
            resets_at_unix: resets_at,
        }
    }

    fn read(layers: Vec<LayerView>) -> Observation {
        Observation::Read(reading_with(layers))
    }

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn thresholds(list: &[&str]) -> Vec<Threshold> {
        list.iter().map(|t| Threshold::parse(t).unwrap()).collect()
    }

    fn crossed(events: &[Event]) -> Vec<String> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::Crossed { threshold, .. } => Some(threshold.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn thresholds_parse_and_refuse_with_the_rule() {
        assert_eq!(Threshold::parse("80%"), Ok(Threshold::ShareUsed(0.8)));
        assert_eq!(Threshold::parse(" 5 "), Ok(Threshold::UsdLeft(5.0)));
        assert_eq!(Threshold::parse("0"), Ok(Threshold::UsdLeft(0.0)));
        for bad in ["0%", "101%", "-5", "nan", "inf", "x%", "five", ""] {
            assert!(Threshold::parse(bad).is_err(), "{bad}");
        }
        assert!(Threshold::parse("-5").unwrap_err().contains("0 or more"));
        assert_eq!(Threshold::ShareUsed(0.8).label(), "80%");
        assert_eq!(Threshold::UsdLeft(5.0).label(), "5 USD");
    }

    #[test]
    fn one_crossing_fires_one_alert_for_the_highest_threshold() {
        let t = thresholds(&["50%", "80%", "95%", "5"]);
        let mut state = AlertState::default();
        assert!(state.step(&t, &read(vec![budget(100.0, 40.0, None)]), at(0)).is_empty());
        // 50 % and 80 % crossed at once: one alert, for 80 %.
        assert_eq!(crossed(&state.step(&t, &read(vec![budget(100.0, 85.0, None)]), at(1))), ["80%"]);
        // 96 USD spent: 95 % and 5 USD left (4 left) at once: 5 USD stands for less left than 95 % (5).
        assert_eq!(crossed(&state.step(&t, &read(vec![budget(100.0, 96.0, None)]), at(2))), ["5 USD"]);
        // 50 % never fires afterwards: it was spent with 80 %.
        assert!(state.step(&t, &read(vec![budget(100.0, 97.0, None)]), at(3)).is_empty());
    }

    #[test]
    fn staying_low_fires_nothing_more() {
        let t = thresholds(&["80%"]);
        let mut state = AlertState::default();
        assert_eq!(crossed(&state.step(&t, &read(vec![budget(100.0, 81.0, None)]), at(0))), ["80%"]);
        for (i, spent) in [82.0, 90.0, 78.0, 99.0, 100.0].into_iter().enumerate() {
            // 78 is within the margin (75): not re-armed.
            assert!(state.step(&t, &read(vec![budget(100.0, spent, None)]), at(i as u64 + 1)).is_empty(), "{spent}");
        }
    }

    #[test]
    fn rising_back_with_the_margin_re_arms() {
        let t = thresholds(&["80%", "5"]);
        let mut state = AlertState::default();
        assert_eq!(crossed(&state.step(&t, &read(vec![budget(100.0, 81.0, None)]), at(0))), ["80%"]);
        // 75 % used: 5 points below, re-armed; crossing again fires again.
        assert!(state.step(&t, &read(vec![budget(100.0, 75.0, None)]), at(1)).is_empty());
        assert_eq!(crossed(&state.step(&t, &read(vec![budget(100.0, 80.0, None)]), at(2))), ["80%"]);
        // USD: 5 left fires; 5.4 left is within 10 %: nothing; 5.5 re-arms; 5 fires again.
        assert_eq!(crossed(&state.step(&t, &read(vec![budget(100.0, 95.0, None)]), at(3))), ["5 USD"]);
        assert!(state.step(&t, &read(vec![budget(100.0, 94.6, None)]), at(4)).is_empty());
        assert!(state.step(&t, &read(vec![budget(100.0, 94.5, None)]), at(5)).is_empty());
        assert_eq!(crossed(&state.step(&t, &read(vec![budget(100.0, 95.0, None)]), at(6))), ["5 USD"]);
    }

    #[test]
    fn a_reset_re_arms_without_the_margin() {
        let t = thresholds(&["80%"]);
        let mut state = AlertState::default();
        let end = Some(100.0);
        assert_eq!(crossed(&state.step(&t, &read(vec![budget(100.0, 85.0, end)]), at(10))), ["80%"]);
        // Still the same window, at 78 %: within the margin, not re-armed, nothing fires.
        assert!(state.step(&t, &read(vec![budget(100.0, 78.0, end)]), at(50)).is_empty());
        // The window ended (resets_at passed); the new one is at 78 % (within the margin): re-armed
        // by the reset alone, so crossing 80 % fires again.
        assert!(state.step(&t, &read(vec![budget(100.0, 78.0, Some(200.0))]), at(101)).is_empty());
        assert_eq!(crossed(&state.step(&t, &read(vec![budget(100.0, 81.0, Some(200.0))]), at(102))), ["80%"]);
        // A reset while the server still reads the layer crossed (its figures lag): not re-armed.
        assert!(state.step(&t, &read(vec![budget(100.0, 85.0, Some(300.0))]), at(201)).is_empty());
    }

    #[test]
    fn without_a_reset_a_window_never_re_arms() {
        let t = thresholds(&["80%"]);
        let mut state = AlertState::default();
        assert_eq!(crossed(&state.step(&t, &read(vec![budget(100.0, 85.0, Some(100.0))]), at(10))), ["80%"]);
        assert!(state.step(&t, &read(vec![budget(100.0, 78.0, Some(100.0))]), at(99)).is_empty());
        assert!(state.step(&t, &read(vec![budget(100.0, 81.0, Some(100.0))]), at(99)).is_empty());
    }

    #[test]
    fn a_failure_alerts_once_per_outage_and_never_as_zero() {
        let t = thresholds(&["80%", "5"]);
        let mut state = AlertState::default();
        let failed = Observation::Failed(Failure { kind: "server", message: "500".into(), retry_after: None });
        let events = state.step(&t, &failed, at(0));
        assert_eq!(events.len(), 1);
        assert!(matches!(&events[0], Event::ReadFailed { kind: "server", .. }));
        assert!(state.step(&t, &failed, at(1)).is_empty());
        // A layer's request failing within the same outage: nothing new.
        let mut partial = reading_with(vec![budget(100.0, 10.0, None)]);
        partial.unknown.push(UnknownView {
            layer: "account",
            reason: "failed",
            message: "x".into(),
            failure: Some("timeout"),
        });
        assert!(state.step(&t, &Observation::Read(partial.clone()), at(2)).is_empty());
        // Recovery is announced once; a later failure is a new outage.
        assert_eq!(state.step(&t, &read(vec![budget(100.0, 10.0, None)]), at(3)), [Event::Recovered]);
        assert!(state.step(&t, &read(vec![budget(100.0, 10.0, None)]), at(4)).is_empty());
        let events = state.step(&t, &Observation::Read(partial), at(5));
        assert!(matches!(&events[..], [Event::ReadFailed { kind: "timeout", layers, .. }] if layers == &["account"]));
    }

    #[test]
    fn a_layer_without_a_limit_never_crosses_a_share() {
        let t = thresholds(&["50%"]);
        let mut state = AlertState::default();
        assert!(state.step(&t, &read(vec![budget(0.0, 0.0, None)]), at(0)).is_empty());
    }

    #[test]
    fn the_state_survives_a_round_trip_and_layers_are_independent() {
        let t = thresholds(&["80%"]);
        let mut state = AlertState::default();
        let mut other = budget(10.0, 9.0, None);
        other.key.id = "b2".into();
        let events = state.step(&t, &read(vec![budget(100.0, 85.0, None), other.clone()]), at(0));
        assert_eq!(crossed(&events), ["80%", "80%"]);
        let saved = serde_json::to_string(&state).unwrap();
        let mut restored: AlertState = serde_json::from_str(&saved).unwrap();
        assert_eq!(restored, state);
        assert!(restored.step(&t, &read(vec![budget(100.0, 85.0, None), other]), at(1)).is_empty());
    }

    #[test]
    fn events_have_no_secret_and_name_every_field() {
        let event = Event::Crossed { layer: budget(100.0, 85.0, None), threshold: "80%".into(), binding: true };
        let env = event.environment("2026-12-08T00:00:00Z");
        let get = |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        assert_eq!(get("OPENROUTER_ALERT_EVENT"), Some("threshold_crossed"));
        assert_eq!(get("OPENROUTER_ALERT_THRESHOLD"), Some("80%"));
        assert_eq!(get("OPENROUTER_ALERT_REMAINING_USD"), Some("15.0"));
        assert_eq!(get("OPENROUTER_ALERT_SHARE_USED"), Some("0.85"));
        assert_eq!(get("OPENROUTER_ALERT_RESETS_AT"), Some(""));
        assert_eq!(get("OPENROUTER_ALERT_BINDING"), Some("true"));
        assert!(get("OPENROUTER_ALERT_JSON").unwrap().contains("\"threshold\":\"80%\""));
    }
}
