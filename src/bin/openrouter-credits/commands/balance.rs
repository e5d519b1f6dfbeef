//! `balance`: `GET /credits` (management key), with what remains and `--min-remaining`.

use crate::Outcome;
use crate::args::BalanceArgs;
use crate::output::Out;
use crate::source::Source;
use openrouter_credits::{Client, Error};

pub(crate) async fn run(
    client: &Client,
    args: &BalanceArgs,
    json: bool,
    source: Source,
    out: &mut Out,
) -> Result<Outcome, Error> {
    let response = client.credits().get_credits().send().await?;
    let (total, used) = (response.data.total_credits, response.data.total_usage);
    let remaining = remaining(total, used);
    let below = args.min_remaining.is_some_and(|min| remaining < min);
    if json {
        // The response as OpenRouter sent it, with `data.remaining` and where it came from added.
        let mut value = serde_json::to_value(&response).unwrap_or_default();
        if let Some(data) = value.get_mut("data").and_then(serde_json::Value::as_object_mut) {
            data.insert("remaining".into(), remaining.into());
        }
        out.json_from(value, source);
    } else {
        if source.is_demo() {
            out.demo_banner();
        }
        let style = out.style;
        let figures = [total, used, remaining].map(|v| format!("{v:.2}"));
        let width = figures.iter().map(String::len).max().unwrap_or(0);
        let [total, used, left] = figures.map(|f| format!("{f:>width$} USD"));
        let left = if below || remaining < 0.0 { style.bad(&left) } else { style.good(&left) };
        out.rows(&[("total credits", total), ("total usage", used), ("remaining", left)]);
    }
    Ok(match args.min_remaining {
        Some(min) if below => {
            Outcome::BelowMinimum(format!("{remaining:.2} USD left, less than --min-remaining {min}"))
        }
        _ => Outcome::Done,
    })
}

/// Credits left, rounded to a millionth so that `100.3 - 0.1` prints as `100.2` in JSON.
fn remaining(total: f64, used: f64) -> f64 {
    ((total - used) * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    #[test]
    fn remaining_is_rounded_to_a_millionth() {
        assert_eq!(super::remaining(100.3, 0.1), 100.2);
        assert_eq!(super::remaining(100.5, 25.75), 74.75);
        assert_eq!(super::remaining(1.0, 3.5), -2.5);
    }
}
