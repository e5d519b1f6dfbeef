//! `key`: `GET /key`, the API key's label, limit and usage, with `--min-remaining` compared to
//! the key's `limit_remaining`.
//! It works with any API key (`GET /credits` needs a management key): for most users this is the
//! answer to "how much can I still spend".

use crate::Outcome;
use crate::args::KeyArgs;
use crate::output::{self, Style};
use openrouter_credits::{Client, Error};

/// `--min-remaining N` for `key`: exit 3 when the key's `limit_remaining` is below N. A key
/// without a limit (`limit_remaining` null) has no ceiling, so it is never below.
pub(crate) async fn run(client: &Client, args: &KeyArgs, json: bool, style: Style) -> Result<Outcome, Error> {
    let response = client.api_keys().get_current_key().send().await?;
    let key = &response.data;
    let below = match (args.min_remaining, key.limit_remaining) {
        (Some(min), Some(left)) => left < min,
        _ => false,
    };
    if json {
        // The response as OpenRouter sent it: `data.limit_remaining` is already in it.
        output::print_json(&serde_json::to_value(&response).unwrap_or_default());
    } else {
        let usd = |v: f64| format!("{v:.2} USD");
        let left = match key.limit_remaining {
            Some(left) if below || left < 0.0 => style.bad(&usd(left)),
            Some(left) => style.good(&usd(left)),
            None => "no limit".to_owned(),
        };
        let yes_no = |b: bool| if b { "yes" } else { "no" }.to_owned();
        output::print_rows(&[
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
        ]);
    }
    Ok(match (args.min_remaining, key.limit_remaining) {
        (Some(min), Some(left)) if below => {
            Outcome::BelowMinimum(format!("{left:.2} USD left on this key, less than --min-remaining {min}"))
        }
        _ => Outcome::Done,
    })
}
