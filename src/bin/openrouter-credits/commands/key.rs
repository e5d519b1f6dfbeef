//! `key`: `GET /key`, the API key's label, limit and usage, with `--min-remaining` compared to
//! the least of the key's `limit_remaining` and its effective budget's `remaining_usd`.
//! It works with any API key (`GET /credits` needs a management key): for most users this is the
//! answer to "how much can I still spend".

use crate::Outcome;
use crate::args::KeyArgs;
use crate::output::Out;
use crate::source::Source;
use openrouter_credits::{Client, Error};

/// `--min-remaining N` for `key`: exit 3 when what the key may still spend, the least of its
/// `limit_remaining` and its effective budget's `remaining_usd`, is below N. A key with neither
/// (no limit, nothing budgeted) has no ceiling, so it is never below.
pub(crate) async fn run(
    client: &Client,
    args: &KeyArgs,
    json: bool,
    source: Source,
    out: &mut Out,
) -> Result<Outcome, Error> {
    let response = client.api_keys().get_current_key().send().await?;
    let key = &response.data;
    let budget = key.effective_budget.as_ref().map(|b| b.remaining_usd);
    let least = match (key.limit_remaining, budget) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let below = match (args.min_remaining, least) {
        (Some(min), Some(left)) => left < min,
        _ => false,
    };
    if json {
        // The response as OpenRouter sent it (`data.limit_remaining` is already in it), and
        // where it came from.
        let value = serde_json::to_value(&response).unwrap_or_default();
        out.json_from(value, source);
    } else {
        if source.is_demo() {
            out.demo_banner();
        }
        let style = out.style;
        let usd = |v: f64| format!("{v:.2} USD");
        let left = match key.limit_remaining {
            Some(left) if below || left < 0.0 => style.bad(&usd(left)),
            Some(left) => style.good(&usd(left)),
            None => "no limit".to_owned(),
        };
        let yes_no = |b: bool| if b { "yes" } else { "no" }.to_owned();
        out.rows(&[
            ("label", key.label.clone()),
            ("limit", key.limit.map_or_else(|| "none".to_owned(), usd)),
            ("limit remaining", left),
            ("limit reset", key.limit_reset.clone().unwrap_or_else(|| "never".to_owned())),
            ("usage", usd(key.usage)),
            ("usage today", usd(key.usage_daily)),
            ("usage this week", usd(key.usage_weekly)),
            ("usage this month", usd(key.usage_monthly)),
            ("free tier", yes_no(key.is_free_tier)),
            ("management key", yes_no(key.is_management_key)),
            ("expires at", key.expires_at.clone().unwrap_or_else(|| "never".to_owned())),
            // Upstream's newest `GET /key` (autumn 2026); an older server does not send them.
            ("effective budget", effective_budget(key)),
            (
                "free-model requests",
                key.free_model_daily_requests
                    .as_ref()
                    .map_or_else(not_reported, |f| format!("{} of {} left today", f.remaining, f.limit)),
            ),
            ("workspace", optional(key.workspace_id.as_deref(), key.budgets.is_some())),
            ("organization", optional(key.organization_id.as_deref(), key.budgets.is_some())),
        ]);
    }
    Ok(match (args.min_remaining, least) {
        (Some(min), Some(left)) if below => {
            let what = match (&key.effective_budget, key.limit_remaining) {
                (Some(b), limit) if limit.is_none_or(|l| b.remaining_usd < l) => {
                    format!("{} budget (effective)", b.scope.as_str().replace('_', " "))
                }
                _ => "this key's limit".to_owned(),
            };
            Outcome::BelowMinimum(format!("{what}: {left:.2} USD left, less than --min-remaining {min}"))
        }
        _ => Outcome::Done,
    })
}

fn not_reported() -> String {
    "not reported".to_owned()
}

/// `none` when the newest shape says null, `not reported` when the server predates the field.
fn optional(value: Option<&str>, newest_shape: bool) -> String {
    match value {
        Some(v) => v.to_owned(),
        None if newest_shape => "none".to_owned(),
        None => not_reported(),
    }
}

/// The layer that blocks first, as `GET /key` names it: `member budget: 17.50 of 50.00 USD left`.
fn effective_budget(key: &openrouter_credits::types::CurrentKey) -> String {
    match (&key.effective_budget, &key.budgets) {
        (Some(b), _) => format!(
            "{} budget: {:.2} of {:.2} USD left",
            b.scope.as_str().replace('_', " "),
            b.remaining_usd,
            b.limit_usd
        ),
        (None, Some(_)) => "none".to_owned(),
        (None, None) => not_reported(),
    }
}
