//! `spendable` (the default command): what can still be spent over every layer the keys can
//! read (`client.spendable()`), the binding layer marked, and `--min-remaining` compared with it.

use crate::output::{self, Out, Style};
use crate::source::Source;
use crate::{Failure, Outcome};
use openrouter_credits::{Client, Layer, LayerKind, Spendable, UnknownLayer, UnknownLayers, UnknownReason};
use serde_json::{Value, json};
use std::time::Duration;

/// How `spendable` is asked.
pub(crate) struct Request {
    pub(crate) min_remaining: Option<f64>,
    /// The deadline over both requests.
    pub(crate) deadline: Duration,
    /// Both requests are sent (both keys, or the demo): an error then means both failed.
    pub(crate) both_keys: bool,
    pub(crate) json: bool,
    pub(crate) source: Source,
}

pub(crate) async fn run(client: &Client, request: &Request, out: &mut Out) -> Result<Outcome, Failure> {
    let spendable = read(client, request.deadline, request.both_keys).await?;
    let remaining = spendable.remaining_usd();
    let below = matches!((request.min_remaining, remaining), (Some(min), Some(left)) if left < min);
    if request.json {
        let mut value = to_json(&spendable);
        value["source"] = request.source.as_str().into();
        out.json(&value);
    } else {
        if request.source.is_demo() {
            out.demo_banner();
        }
        print_table(&spendable, below, out);
    }
    // A layer whose request failed may be the one that binds: the figures printed are not the
    // whole answer, so this is a failure (and --min-remaining cannot pass on it).
    if let Some(failed) = spendable.unknown().iter().find(|u| u.reason.is_failure()) {
        return Ok(Outcome::LayerFailed(format!("{}: {}", failed.layers, unknown_text(failed))));
    }
    Ok(match (request.min_remaining, spendable.binding()) {
        (Some(min), Some(layer)) if below => Outcome::BelowMinimum(format!(
            "{}: {} USD left{}, less than --min-remaining {min}",
            layer,
            usd(layer.remaining_usd.max(0.0)),
            resets(layer).map(|r| format!(", resets {r}")).unwrap_or_default()
        )),
        _ => Outcome::Done,
    })
}

/// `client.spendable()`. Its error, when both requests were sent, means that both failed: the
/// message says so (the library returns the first error only: `GET /credits`'s).
pub(crate) async fn read(client: &Client, deadline: Duration, both_keys: bool) -> Result<Spendable, Failure> {
    client.spendable().timeout(deadline).await.map_err(|e| match both_keys {
        true => Failure::BothFailed(e),
        false => Failure::Api(e),
    })
}

pub(crate) fn is_binding(s: &Spendable, layer: &Layer) -> bool {
    s.binding().is_some_and(|b| std::ptr::eq(b, layer))
}

pub(crate) fn usd(v: f64) -> String {
    format!("{v:.2}")
}

/// `2026-12-07 (weekly)`, `monthly`, or nothing for a layer that never resets.
pub(crate) fn resets(layer: &Layer) -> Option<String> {
    let date = layer.resets_at.as_deref().map(|t| t.get(..10).unwrap_or(t).to_owned());
    let interval = layer.reset_interval.as_ref().map(|i| i.as_str().to_owned());
    match (date, interval) {
        (Some(date), Some(interval)) => Some(format!("{date} ({interval})")),
        (Some(date), None) => Some(date),
        (None, Some(interval)) => Some(interval),
        (None, None) => None,
    }
}

/// What to do about layers the client could not read, in command-line terms.
pub(crate) fn unknown_text(unknown: &UnknownLayer) -> String {
    match &unknown.reason {
        UnknownReason::NoManagementKey => "unknown: set OPENROUTER_MANAGEMENT_KEY to include it".to_owned(),
        UnknownReason::NotAManagementKey => {
            "unknown: the key given is not a management key; set OPENROUTER_MANAGEMENT_KEY".to_owned()
        }
        UnknownReason::NoApiKey => "unknown: set OPENROUTER_API_KEY to include them".to_owned(),
        UnknownReason::NotReported => "unknown: the server does not report them".to_owned(),
        UnknownReason::Unverified => {
            "unknown: zeros for the API key, which could not be checked to be a management key".to_owned()
        }
        UnknownReason::Failed(e) => format!("unknown: {}", output::describe(e, output::BaseUrlFrom::Default).0),
        _ => "unknown".to_owned(),
    }
}

fn print_table(s: &Spendable, below: bool, out: &mut Out) {
    let style: Style = out.style;
    // The figure that matters first.
    let headline = match (s.remaining_usd(), s.binding()) {
        (Some(left), Some(layer)) => {
            let figure = format!("{} USD", usd(left));
            let figure = if below || left <= 0.0 { style.bad(&figure) } else { style.good(&figure) };
            let reset = resets(layer).map(|r| format!(", resets {r}")).unwrap_or_default();
            format!("{figure}  ({layer} binds{reset})")
        }
        _ if s.is_complete() => "no limit the keys can see".to_owned(),
        _ => {
            let unknown: Vec<String> = s.unknown().iter().map(|u| u.layers.to_string()).collect();
            format!("no limit among the layers read ({} unknown)", unknown.join(", "))
        }
    };
    out.rows(&[("remaining", headline)]);
    out.line("");
    let mut rows: Vec<[String; 6]> =
        vec![["", "layer", "limit USD", "spent USD", "left USD", "resets"].map(str::to_owned)];
    for layer in s.layers() {
        let mark = if is_binding(s, layer) { "*" } else { "" };
        rows.push([
            mark.to_owned(),
            layer.to_string(),
            usd(layer.limit_usd),
            usd(layer.spent_usd),
            usd(layer.remaining_usd),
            resets(layer).unwrap_or_else(|| "never".to_owned()),
        ]);
    }
    let widths: Vec<usize> = (0..6).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    for row in &rows {
        let line = format!(
            "{:<w0$} {:<w1$}  {:>w2$}  {:>w3$}  {:>w4$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            row[5],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3],
            w4 = widths[4],
        );
        out.line(line.trim_end());
    }
    for unknown in s.unknown() {
        let text = format!("{}  {}", unknown.layers, unknown_text(unknown));
        out.line(&format!("{:<w0$} {}", "", style.dim(&text), w0 = widths[0]));
    }
    if let Some(free) = s.free_model_requests() {
        out.line("");
        out.rows(&[("free-model requests", format!("{} of {} left today", free.remaining, free.limit))]);
    }
    if s.layers().iter().all(|l| l.kind != LayerKind::Account)
        && s.unknown().iter().any(|u| u.layers == UnknownLayers::Account)
    {
        out.line("");
        out.line(&style.dim(
            "The account's balance needs a management key (openrouter.ai/settings/management-keys): \
             set OPENROUTER_MANAGEMENT_KEY as well to include it.",
        ));
    }
}

pub(crate) fn layer_json(layer: &Layer, binding: bool) -> Value {
    let (kind, scope) = match &layer.kind {
        LayerKind::Account => ("account", None),
        LayerKind::KeyLimit => ("key_limit", None),
        LayerKind::Budget(scope) => ("budget", Some(scope.as_str().to_owned())),
        _ => ("other", None),
    };
    json!({
        "kind": kind,
        "scope": scope,
        "id": layer.id,
        "name": layer.to_string(),
        "limit_usd": layer.limit_usd,
        "spent_usd": layer.spent_usd,
        "remaining_usd": layer.remaining_usd,
        "reset_interval": layer.reset_interval.as_ref().map(|i| i.as_str()),
        "resets_at": layer.resets_at,
        "binding": binding,
    })
}

/// The same structure as the table: the figure, the binding layer, every layer, the unknown
/// ones with why, and the free-model quota.
fn to_json(s: &Spendable) -> Value {
    let layers: Vec<Value> = s.layers().iter().map(|l| layer_json(l, is_binding(s, l))).collect();
    let unknown: Vec<Value> = s.unknown().iter().map(unknown_json).collect();
    json!({
        "remaining_usd": s.remaining_usd(),
        "complete": s.is_complete(),
        "binding": s.binding().map(|l| layer_json(l, true)),
        "layers": layers,
        "unknown": unknown,
        "free_model_requests": s.free_model_requests().map(|f| json!({"limit": f.limit, "used": f.used, "remaining": f.remaining})),
    })
}

/// An unknown layer as JSON: which layers, why (a fixed word), and what to do.
pub(crate) fn unknown_json(u: &UnknownLayer) -> Value {
    let layers = match u.layers {
        UnknownLayers::Account => "account",
        UnknownLayers::Key => "key",
        UnknownLayers::Budgets => "budgets",
        _ => "other",
    };
    let reason = match &u.reason {
        UnknownReason::NoManagementKey => "no_management_key",
        UnknownReason::NotAManagementKey => "not_a_management_key",
        UnknownReason::NoApiKey => "no_api_key",
        UnknownReason::NotReported => "not_reported",
        UnknownReason::Unverified => "unverified",
        UnknownReason::Failed(_) => "failed",
        _ => "other",
    };
    json!({"layers": layers, "reason": reason, "message": unknown_text(u)})
}
