//! The fake server's model endpoint, `POST /api/v1/chat/completions`: not in the fragment (the
//! crate does not call it), there so that a program's own model calls, made with any client,
//! meet the money layers the crate reports on. A call is refused as upstream refuses it (a
//! forced refusal, else the first spent layer), or answered with a tiny OpenAI-shaped
//! completion and charged to every layer.

use super::State;
use super::account::Account;
use super::refusal::MockRefusal;
use super::response::MockResponse;
use hyper::header::{AUTHORIZATION, HeaderMap};
use serde_json::{Value, json};
use std::time::SystemTime;

/// The model endpoint's path.
pub(super) const PATH: &str = "/api/v1/chat/completions";

pub(super) fn answer(s: &mut State, headers: &HeaderMap, body: &[u8]) -> MockResponse {
    if let Some(scripted) = s.model_queue.pop_front() {
        return scripted;
    }
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .filter(|t| !t.trim().is_empty());
    let Some(bearer) = bearer else { return MockResponse::error(401, "Missing Authentication header") };
    let known = |key: &Option<String>| key.as_deref().is_some_and(|k| k == bearer);
    if s.api_key.is_some() && !known(&s.api_key) && !known(&s.management_key) {
        return MockResponse::error(401, "User not found.");
    }
    let request: Option<Value> = serde_json::from_slice(body).ok();
    let Some(model) = request.as_ref().and_then(|r| r.get("model")).and_then(Value::as_str).map(str::to_owned) else {
        return MockResponse::error(400, "model: is required (a string)");
    };
    let now = SystemTime::now();
    if let Some(refusal) = &s.model_refusal {
        return refusal.response(&s.account, now);
    }
    let free = model.ends_with(":free");
    let refused = if free { free_model_request(&mut s.account) } else { spent_layer(&s.account) };
    if let Some(refusal) = refused {
        return refusal.response(&s.account, now);
    }
    let cost = if free { 0.0 } else { s.account.model_call_cost };
    s.account.spend(cost);
    s.model_calls += 1;
    let created = now.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    MockResponse::json(
        200,
        &json!({
            "id": format!("gen-mock-{}", s.model_calls),
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": "Hello from the fake OpenRouter."},
                "finish_reason": "stop",
            }],
            "usage": {"prompt_tokens": 8, "completion_tokens": 7, "total_tokens": 15, "cost": cost},
        }),
    )
}

/// The first spent layer a paid request meets, in enforcement order (`GET /key`'s budget
/// layers as listed, then the key's own limit), then the account's balance.
fn spent_layer(account: &Account) -> Option<MockRefusal> {
    if let Some(budget) = account.budgets.iter().find(|b| b.spend_usd >= b.limit_usd) {
        return Some(MockRefusal::Budget(budget.clone()));
    }
    if account.key_limit.is_some_and(|limit| account.key_usage >= limit) {
        return Some(MockRefusal::KeyLimit);
    }
    (account.total_credits - account.total_usage <= 0.0).then_some(MockRefusal::AccountCredits)
}

/// A `:free` model's request: refused when the day's quota is used up, else counted.
fn free_model_request(account: &mut Account) -> Option<MockRefusal> {
    let (limit, used) = &mut account.free_model_requests;
    if *used >= *limit {
        return Some(MockRefusal::FreeModelDaily);
    }
    *used += 1;
    None
}
