//! Upstream's refusals for money and quotas, in its error shape (`../shared/upstream/limits.md`:
//! `error.metadata.limit_source` and the layer's figures, `Retry-After`, `X-RateLimit-*`), as
//! the fake server's model endpoint answers them: forced by a test
//! ([`MockServer::refuse_model_calls`](super::MockServer::refuse_model_calls)) or because a
//! layer is spent.

use super::account::{Account, MockBudget, next_reset, stamp_millis};
use super::response::MockResponse;
use serde_json::{Value, json};
use std::time::{Duration, SystemTime};

/// A refusal the fake server's model endpoint answers with upstream's error body
/// ([`MockServer::refuse_model_calls`](super::MockServer::refuse_model_calls)). The figures of
/// the account, the key's limit and the free-model quota are the server's own.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum MockRefusal {
    /// 402 `openrouter_credits`: the account is out of credits.
    AccountCredits,
    /// 402 `openrouter_credits`, `reason: weight_exceeds_budget`: the request is priced above
    /// the whole in-flight budget.
    RequestTooLarge,
    /// 402 `openrouter_in_flight_budget`, `reason: in_flight_budget_exhausted`, with
    /// `Retry-After` (whole seconds, rounded up): requests in flight hold the budget.
    InFlightBudget {
        /// The wait `Retry-After` asks for.
        retry_after: Duration,
    },
    /// 403 `openrouter_key_limit`: the key's own limit, with the server's limit, usage and reset.
    KeyLimit,
    /// 403 `openrouter_workspace_budget` for the `workspace` scope, else
    /// `openrouter_guardrail_budget`, with this budget's scope, limit, spend and reset.
    Budget(MockBudget),
    /// 429 `openrouter_free_tier_daily` "Rate limit exceeded: free-models-per-day", with
    /// `X-RateLimit-*` (the reset at the next UTC midnight, in epoch milliseconds) as headers
    /// and under `metadata.headers`.
    FreeModelDaily,
    /// 429 "Rate limit exceeded" with `Retry-After` (whole seconds, rounded up), no metadata.
    RateLimit {
        /// The wait `Retry-After` asks for.
        retry_after: Duration,
    },
}

impl MockRefusal {
    /// The response, with the account's figures where the refusal reports them.
    pub(super) fn response(&self, account: &Account, now: SystemTime) -> MockResponse {
        match self {
            MockRefusal::AccountCredits => error(
                402,
                "Insufficient credits. Add more using https://openrouter.ai/settings/credits",
                json!({
                    "limit_source": "openrouter_credits",
                    "reason": "insufficient_credits",
                    "remedy_hint": "Add credits at https://openrouter.ai/settings/credits",
                }),
            ),
            MockRefusal::RequestTooLarge => error(
                402,
                "This request's maximum cost exceeds your in-flight spending budget",
                json!({
                    "limit_source": "openrouter_credits",
                    "reason": "weight_exceeds_budget",
                    "remedy_hint": "Lower max_tokens, or add credits to raise the budget",
                }),
            ),
            MockRefusal::InFlightBudget { retry_after } => error(
                402,
                "Too much spend in flight for the current balance",
                json!({
                    "limit_source": "openrouter_in_flight_budget",
                    "reason": "in_flight_budget_exhausted",
                    "remedy_hint": "Retry after requests in flight complete, or add credits to raise the budget",
                }),
            )
            .retry_after(&seconds(*retry_after)),
            MockRefusal::KeyLimit => {
                let limit = account.key_limit.unwrap_or(0.0);
                let window = account.key_limit_reset.as_deref();
                error(
                    403,
                    &format!("Key limit exceeded ({} limit)", window.unwrap_or("total")),
                    json!({
                        "limit_source": "openrouter_key_limit",
                        "scope": "key_limit",
                        "limit_usd": limit,
                        "spend_usd": account.key_usage,
                        "resets_at": window.map(|w| stamp_millis(next_reset(now, w))),
                    }),
                )
            }
            MockRefusal::Budget(budget) => {
                let metadata = json!({
                    "limit_source": if budget.scope == "workspace" { "openrouter_workspace_budget" } else { "openrouter_guardrail_budget" },
                    "scope": budget.scope,
                    "limit_usd": budget.limit_usd,
                    "spend_usd": budget.spend_usd,
                    "resets_at": budget.reset_interval.as_deref().map(|w| stamp_millis(next_reset(now, w))),
                });
                let message = if budget.scope == "workspace" {
                    let window = budget.reset_interval.as_deref().unwrap_or("lifetime");
                    format!("Workspace {window} budget of ${:.2} exceeded. Contact your org admin.", budget.limit_usd)
                } else {
                    "Budget limit exceeded".to_owned()
                };
                error(403, &message, metadata)
            }
            MockRefusal::FreeModelDaily => {
                let (limit, used) = account.free_model_requests;
                let reset =
                    next_reset(now, "daily").duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_millis());
                let headers = [
                    ("X-RateLimit-Limit", limit.to_string()),
                    ("X-RateLimit-Remaining", (limit - used).max(0).to_string()),
                    ("X-RateLimit-Reset", reset.to_string()),
                ];
                let metadata = json!({
                    "limit_source": "openrouter_free_tier_daily",
                    "headers": headers.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
                });
                let response = error(429, "Rate limit exceeded: free-models-per-day", metadata);
                headers.iter().fold(response, |r, (name, value)| r.header(name, value))
            }
            MockRefusal::RateLimit { retry_after } => {
                MockResponse::error(429, "Rate limit exceeded").retry_after(&seconds(*retry_after))
            }
        }
    }
}

/// `Retry-After` in whole seconds, rounded up (a wait of 0.5 s is not 0).
fn seconds(wait: Duration) -> String {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).to_string()
}

fn error(status: u16, message: &str, metadata: Value) -> MockResponse {
    MockResponse::json(status, &json!({"error": {"code": status, "message": message, "metadata": metadata}}))
}
