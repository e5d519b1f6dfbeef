//! `Blocked`: every way OpenRouter refuses a request for money, a quota or a rate limit
//! (`../shared/upstream/limits.md`), one test per case: the layer, whether and how long waiting
//! helps, when the layer resets, and words that are true for it. Then the same refusals over the
//! wire, from the fake server's model endpoint (reqwest → mock → `Blocked::from_response`), and
//! through the crate's own calls (`Error::blocked`).

use openrouter_credits::mock::{MockBudget, MockRefusal, MockResponse, MockServer};
use openrouter_credits::{Blocked, BlockedBy, Client, LimitSource, Operation, RetryConfig};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};
use std::time::{Duration, SystemTime};

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.insert(HeaderName::try_from(*name).unwrap(), HeaderValue::try_from(*value).unwrap());
    }
    map
}

/// Upstream's error body with this metadata (none when `Value::Null`).
fn body(status: u16, message: &str, metadata: Value) -> Vec<u8> {
    let mut error = json!({"code": status, "message": message});
    if !metadata.is_null() {
        error["metadata"] = metadata;
    }
    json!({ "error": error }).to_string().into_bytes()
}

fn blocked(status: u16, pairs: &[(&str, &str)], body: &[u8]) -> Blocked {
    Blocked::from_response(status, &headers(pairs), body).unwrap_or_else(|| panic!("{status}: not a refusal"))
}

/// `t` within a second of `want` (a wait measured from "now" moves while the test runs).
fn about(t: Option<Duration>, want: Duration) -> bool {
    t.is_some_and(|t| t <= want && want - t <= Duration::from_secs(1))
}

fn utc(text: &str) -> SystemTime {
    // 2026-12-09T00:00:00Z is day 20_796.
    let base = SystemTime::UNIX_EPOCH + Duration::from_secs(20_796 * 86_400);
    match text {
        "2026-12-09T00:00:00.000Z" => base,
        "2027-01-01T00:00:00.000Z" => base + Duration::from_secs(23 * 86_400),
        _ => panic!("{text}"),
    }
}

#[test]
fn account_out_of_credits_402() {
    let b = blocked(
        402,
        &[],
        &body(402, "Insufficient credits", json!({"limit_source": "openrouter_credits", "remedy_hint": "Add credits"})),
    );
    assert_eq!(b.by(), BlockedBy::AccountCredits);
    assert_eq!(b.limit_source(), Some(&LimitSource::Credits));
    assert_eq!(LimitSource::Credits.to_string(), "openrouter_credits");
    assert_eq!((b.retry_after(), b.resets_at()), (None, None));
    assert_eq!(b.remedy_hint(), Some("Add credits"));
    assert_eq!(b.message(), Some("Insufficient credits"));
    // Upstream's JSON without a message: no message (the body is not taken for one).
    let b = blocked(402, &[], br#"{"error": {"code": 402, "metadata": {"limit_source": "openrouter_credits"}}}"#);
    assert_eq!((b.by(), b.message()), (BlockedBy::AccountCredits, None));
    assert_eq!(b.to_string(), "HTTP 402: the account is out of credits");
    assert!(b.hint().contains("out of credits") && b.hint().contains("add credits"), "{}", b.hint());
    assert!(b.to_string().starts_with("HTTP 402: the account is out of credits"), "{b}");
}

#[test]
fn one_request_larger_than_the_in_flight_budget_402_is_not_an_empty_account() {
    let metadata = json!({"limit_source": "openrouter_credits", "reason": "weight_exceeds_budget"});
    // Even with a Retry-After: waiting does not help this one.
    let b = blocked(402, &[("retry-after", "120")], &body(402, "Request too large", metadata));
    assert_eq!(b.by(), BlockedBy::RequestTooLarge);
    assert_eq!(b.reason(), Some("weight_exceeds_budget"));
    assert_eq!((b.retry_after(), b.resets_at()), (None, None));
    assert!(b.hint().contains("lower max_tokens") && b.hint().contains("waiting does not help"), "{}", b.hint());
    let shown = b.to_string();
    assert!(!shown.contains("out of credits") && shown.contains("not empty"), "{shown}");
    // The pre-flight price check's words, without metadata: the same case.
    let b = blocked(402, &[], &body(402, "requested up to 65536 tokens, but can only afford 30104", Value::Null));
    assert_eq!(b.by(), BlockedBy::RequestTooLarge);
    let b = blocked(402, &[], &body(402, "This request requires more credits: lower max_tokens", Value::Null));
    assert_eq!(b.by(), BlockedBy::RequestTooLarge);
}

#[test]
fn in_flight_budget_402_with_retry_after_says_the_balance_is_fine_and_when_to_retry() {
    let metadata = json!({
        "limit_source": "openrouter_in_flight_budget", "reason": "in_flight_budget_exhausted",
        "remedy_hint": "Retry after in-flight requests complete",
    });
    let b = blocked(402, &[("retry-after", "120")], &body(402, "In-flight budget exhausted", metadata.clone()));
    assert_eq!(b.by(), BlockedBy::InFlightBudget);
    assert_eq!(b.retry_after(), Some(Duration::from_secs(120)));
    assert_eq!(b.resets_at(), None);
    let shown = b.to_string();
    assert!(shown.contains("the balance is not the problem") && shown.contains("retry in 120 s"), "{shown}");
    assert!(!shown.contains("out of credits"), "{shown}");
    assert!(b.hint().starts_with("the balance is not the problem") && b.hint().contains("retry"), "{}", b.hint());

    // The wait only in the metadata.
    let mut with_seconds = metadata.clone();
    with_seconds["retry_after_seconds"] = json!(45);
    let b = blocked(402, &[], &body(402, "In-flight budget exhausted", with_seconds));
    assert_eq!((b.by(), b.retry_after()), (BlockedBy::InFlightBudget, Some(Duration::from_secs(45))));

    // Retry-After as an HTTP date.
    let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(121));
    let b = blocked(402, &[("retry-after", &date)], &body(402, "In-flight budget exhausted", metadata.clone()));
    assert!(about(b.retry_after(), Duration::from_secs(121)) || about(b.retry_after(), Duration::from_secs(120)));

    // No wait given: still not an empty account, and it says when to retry.
    let b = blocked(402, &[], &body(402, "In-flight budget exhausted", metadata));
    assert_eq!((b.by(), b.retry_after()), (BlockedBy::InFlightBudget, None));
    assert!(b.to_string().contains("retry once requests in flight finish"), "{b}");

    // Without metadata or a wait, by its words, either spelling.
    for words in ["In-flight budget exhausted", "Too much in flight"] {
        assert_eq!(blocked(402, &[], &body(402, words, Value::Null)).by(), BlockedBy::InFlightBudget, "{words}");
    }

    // A 402 with a Retry-After and no metadata at all: the in-flight budget, by the wait.
    let b = blocked(402, &[("retry-after", "120")], &body(402, "Payment Required", Value::Null));
    assert_eq!((b.by(), b.retry_after()), (BlockedBy::InFlightBudget, Some(Duration::from_secs(120))));
}

#[test]
fn key_limit_403_with_its_reset() {
    let metadata = json!({
        "limit_source": "openrouter_key_limit", "limit_usd": 10, "spend_usd": "10.25",
        "resets_at": "2026-12-09T00:00:00.000Z",
    });
    let b = blocked(403, &[("retry-after", "5")], &body(403, "Key limit exceeded (daily limit)", metadata));
    assert_eq!(b.by(), BlockedBy::KeyLimit);
    // Only the reset helps: no wait, even with a Retry-After.
    assert_eq!(b.retry_after(), None);
    assert_eq!(b.resets_at(), Some(utc("2026-12-09T00:00:00.000Z")));
    assert_eq!((b.limit_usd(), b.spend_usd()), (Some(10.0), Some(10.25)));
    assert!(b.hint().contains("key's spending limit"), "{}", b.hint());
    let shown = b.to_string();
    assert!(shown.contains("($10.25 of $10.00 spent)") && shown.contains("resets at 2026-12-09T00:00:00Z"), "{shown}");
}

#[test]
fn key_limit_403_without_metadata_by_its_words() {
    let b = blocked(403, &[], &body(403, "Key limit exceeded (total limit)", Value::Null));
    assert_eq!(b.by(), BlockedBy::KeyLimit);
    assert_eq!((b.retry_after(), b.resets_at(), b.limit_source()), (None, None, None));
    assert!(b.hint().contains("key's spending limit"));
    // Older documents: the same as a 402.
    assert_eq!(blocked(402, &[], &body(402, "Key limit exceeded", Value::Null)).by(), BlockedBy::KeyLimit);
}

#[test]
fn guardrail_budget_403() {
    let metadata = json!({
        "limit_source": "openrouter_guardrail_budget", "scope": "member", "limit_usd": 50.0,
        "spend_usd": 50.5, "resets_at": "2027-01-01T00:00:00.000Z",
    });
    let b = blocked(403, &[], &body(403, "Budget limit exceeded", metadata));
    assert_eq!(b.by(), BlockedBy::Budget);
    assert_eq!(b.limit_source(), Some(&LimitSource::GuardrailBudget));
    assert_eq!(b.scope(), Some("member"));
    assert_eq!((b.retry_after(), b.resets_at()), (None, Some(utc("2027-01-01T00:00:00.000Z"))));
    assert!(b.hint().contains("budget layer is spent"));
    assert!(
        b.to_string()
            .starts_with("HTTP 403: the member budget is spent ($50.50 of $50.00 spent); resets at 2027-01-01"),
        "{b}"
    );
}

#[test]
fn workspace_lifetime_budget_403_never_resets() {
    let metadata = json!({
        "limit_source": "openrouter_workspace_budget", "scope": "workspace", "limit_usd": 500,
        "spend_usd": 500, "resets_at": null,
    });
    let message = "Workspace lifetime budget of $500.00 exceeded. Contact your org admin.";
    let b = blocked(403, &[], &body(403, message, metadata));
    assert_eq!(b.by(), BlockedBy::Budget);
    assert_eq!(b.limit_source(), Some(&LimitSource::WorkspaceBudget));
    assert_eq!((b.retry_after(), b.resets_at()), (None, None));
    let shown = b.to_string();
    assert!(shown.contains("the workspace budget is spent ($500.00 of $500.00 spent)"), "{shown}");
    assert!(!shown.contains("resets at") && !shown.contains("retry"), "{shown}");
    // A limit without a spend.
    let b = blocked(
        403,
        &[],
        &body(403, message, json!({"limit_source": "openrouter_workspace_budget", "limit_usd": 500})),
    );
    assert!(b.to_string().starts_with("HTTP 403: the workspace budget is spent (limit $500.00): "), "{b}");
    // Named by its limit_source alone, without a scope.
    let b = blocked(403, &[], &body(403, message, json!({"limit_source": "openrouter_workspace_budget"})));
    assert!(b.to_string().starts_with("HTTP 403: the workspace budget is spent: "), "{b}");
    // A budget named by words only.
    let b = blocked(403, &[], &body(403, "Guardrail exceeded", Value::Null));
    assert!(b.to_string().starts_with("HTTP 403: a budget layer is spent: "), "{b}");
}

#[test]
fn free_model_daily_429_waits_until_x_ratelimit_reset_in_milliseconds() {
    let reset = SystemTime::now() + Duration::from_secs(3600);
    let ms = reset.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_millis().to_string();
    let message = "Rate limit exceeded: free-models-per-day";
    let rate = [("X-RateLimit-Limit", "50"), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", ms.as_str())];
    let metadata = json!({"limit_source": "openrouter_free_tier_daily",
        "headers": {"X-RateLimit-Limit": "50", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": ms}});
    // As headers, and only under metadata.headers.
    for (pairs, metadata) in [(&rate[..], json!({"limit_source": "openrouter_free_tier_daily"})), (&[][..], metadata)] {
        let b = blocked(429, pairs, &body(429, message, metadata));
        assert_eq!(b.by(), BlockedBy::FreeModelDaily);
        assert_eq!(b.limit_source(), Some(&LimitSource::FreeTierDaily));
        // Milliseconds, not seconds: an hour, not 55 000 years.
        assert!(about(b.retry_after(), Duration::from_secs(3600)), "{:?}", b.retry_after());
        let at = b.resets_at().unwrap();
        assert!(at.duration_since(reset).unwrap_or_else(|e| e.duration()) < Duration::from_millis(1), "{at:?}");
        assert!(b.hint().contains("free-model requests of the day") && b.hint().contains("UTC midnight"));
        assert!(b.to_string().contains("retry in 3600 s; resets at"), "{b}");
    }
    // Without metadata: the message's words.
    let b = blocked(429, &rate, &body(429, message, Value::Null));
    assert_eq!(b.by(), BlockedBy::FreeModelDaily);
    // Only a resets_at: the wait ends there.
    let far = json!({"limit_source": "openrouter_free_tier_daily", "resets_at": "2999-01-01T00:00:00Z"});
    let b = blocked(429, &[], &body(429, message, far));
    assert!(b.retry_after().is_some_and(|w| w > Duration::from_secs(86_400 * 365)), "{:?}", b.retry_after());
}

#[test]
fn plain_rate_limit_429_with_retry_after() {
    let b = blocked(429, &[("retry-after", "30")], &body(429, "Rate limit exceeded", Value::Null));
    assert_eq!(b.by(), BlockedBy::RateLimit);
    assert_eq!((b.retry_after(), b.resets_at()), (Some(Duration::from_secs(30)), None));
    assert!(b.hint().contains("rate limited"));
    assert_eq!(b.to_string(), "HTTP 429: rate limited; retry in 30 s: \"Rate limit exceeded\"");
    assert_eq!(b.status(), 429);
    // An unknown layer's or the in-flight budget's resets_at is no wait: waiting may not help.
    for source in ["openrouter_in_flight_budget", "openrouter_new"] {
        let metadata = json!({"limit_source": source, "resets_at": "2999-01-01T00:00:00Z"});
        let b = blocked(402, &[], &body(402, "x", metadata));
        assert_eq!((b.retry_after(), b.status()), (None, 402), "{source}");
        assert!(b.resets_at().is_some());
    }
}

#[test]
fn management_key_403() {
    let b = blocked(403, &[], &body(403, "Only management keys can perform this operation", Value::Null));
    assert_eq!(b.by(), BlockedBy::NotAManagementKey);
    assert_eq!((b.retry_after(), b.resets_at()), (None, None));
    assert!(b.hint().contains("management key"));
}

#[test]
fn an_unknown_limit_source_is_kept_and_never_taken_for_an_empty_account() {
    for status in [402, 403, 429] {
        let metadata = json!({"limit_source": "openrouter_org_budget", "limit_usd": 5, "spend_usd": 5});
        let b = blocked(status, &[("retry-after", "7")], &body(status, "Insufficient credits", metadata));
        assert_eq!(b.by(), BlockedBy::UnknownLimit, "{status}");
        assert_eq!(b.limit_source(), Some(&LimitSource::Unknown("openrouter_org_budget".into())));
        assert_eq!(b.limit_source().unwrap().as_str(), "openrouter_org_budget");
        assert_eq!(b.limit_source().unwrap().to_string(), "openrouter_org_budget");
        // The server asked for a wait: it is passed on.
        assert_eq!(b.retry_after(), Some(Duration::from_secs(7)));
        let shown = format!("{b} {}", b.hint());
        assert!(!shown.contains("out of credits") && shown.contains("openrouter_org_budget"), "{shown}");
    }
}

#[test]
fn a_body_that_is_not_json() {
    let html = b"<html><body>402 Payment Required</body></html>";
    let b = blocked(402, &[], html);
    assert_eq!((b.by(), b.retry_after(), b.resets_at()), (BlockedBy::AccountCredits, None, None));
    assert_eq!(b.message(), Some("<html><body>402 Payment Required</body></html>"));
    let b = blocked(429, &[("retry-after", "3")], b"slow down");
    assert_eq!((b.by(), b.retry_after()), (BlockedBy::RateLimit, Some(Duration::from_secs(3))));
    // A proxy's `{"error": "…"}`: its words.
    assert_eq!(blocked(403, &[], br#"{"error": "Key limit exceeded"}"#).by(), BlockedBy::KeyLimit);
    // A 403 whose words name no layer, and bytes that are not text: nothing to say.
    assert!(Blocked::from_response(403, &HeaderMap::new(), b"\xff\xfe forbidden").is_none());
    assert!(Blocked::from_response(403, &HeaderMap::new(), &body(403, "Region not allowed", Value::Null)).is_none());
}

#[test]
fn each_layer_has_its_own_words() {
    let names = [
        (BlockedBy::AccountCredits, "the account's credits"),
        (BlockedBy::RequestTooLarge, "the request's price"),
        (BlockedBy::InFlightBudget, "the in-flight spending budget"),
        (BlockedBy::KeyLimit, "the key's limit"),
        (BlockedBy::Budget, "a budget layer"),
        (BlockedBy::FreeModelDaily, "the free-model daily quota"),
        (BlockedBy::NotAManagementKey, "not a management key"),
        (BlockedBy::RateLimit, "a rate limit"),
        (BlockedBy::UnknownLimit, "an unknown limit"),
    ];
    for (by, name) in names {
        assert_eq!(by.to_string(), name);
    }
}

#[test]
fn anything_but_a_refusal_is_none() {
    let metadata = json!({"limit_source": "openrouter_credits"});
    for status in [200, 201, 400, 401, 404, 408, 500, 502] {
        assert!(
            Blocked::from_response(status, &headers(&[("retry-after", "1")]), &body(status, "x", metadata.clone()))
                .is_none(),
            "{status}"
        );
    }
}

#[test]
fn a_key_in_server_text_is_redacted() {
    let key = "sk-or-v1-0123456789abcdef";
    let metadata = json!({"limit_source": format!("x {key}"), "remedy_hint": format!("rotate {key}"), "scope": key});
    let b = blocked(403, &[], &body(403, &format!("Budget exceeded for {key}"), metadata));
    let shown = format!("{b} {b:?} {:?} {:?} {:?}", b.remedy_hint(), b.message(), b.scope());
    assert!(!shown.contains(key) && shown.contains("[redacted]"), "{shown}");
}

// Over the wire: the fake server's model endpoint.

const KEY: &str = "sk-or-v1-blocked-test";
const MANAGEMENT: &str = "sk-or-v1-blocked-management";

/// One model call: status, headers, the body as read, what `Blocked` makes of it.
async fn model_call(server: &MockServer, model: &str) -> (u16, HeaderMap, Value, Option<Blocked>) {
    let response = reqwest::Client::new()
        .post(server.model_url())
        .bearer_auth(KEY)
        .json(&json!({"model": model, "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    let (status, headers) = (response.status().as_u16(), response.headers().clone());
    let bytes = response.bytes().await.unwrap();
    let blocked = Blocked::from_response(status, &headers, &bytes);
    (status, headers, serde_json::from_slice(&bytes).unwrap_or(Value::Null), blocked)
}

/// `GET /key`'s data and `GET /credits`' `total_usage`, read raw.
async fn figures(server: &MockServer) -> (Value, f64) {
    let http = reqwest::Client::new();
    let get = |path: &str, key: &str| http.get(format!("{}{path}", server.base_url())).bearer_auth(key).send();
    let key: Value = get("/key", KEY).await.unwrap().json().await.unwrap();
    let credits: Value = get("/credits", MANAGEMENT).await.unwrap().json().await.unwrap();
    (key["data"].clone(), credits["data"]["total_usage"].as_f64().unwrap())
}

#[tokio::test]
async fn a_model_call_is_charged_to_every_layer_and_spend_moves_them_too() {
    let server = MockServer::start().await.unwrap();
    server.set_model_call_cost(0.25);
    server.set_key_usage_windows(1.0, 5.0, 20.0);
    let (status, _, completion, blocked) = model_call(&server, "openai/gpt-4o-mini").await;
    assert_eq!((status, blocked), (200, None));
    assert_eq!((&completion["id"], &completion["object"]), (&json!("gen-mock-1"), &json!("chat.completion")));
    assert_eq!(completion["choices"][0]["message"]["role"], "assistant");
    assert_eq!(completion["usage"]["cost"], 0.25);
    let (key, usage) = figures(&server).await;
    assert_eq!(usage, 25.75 + 0.25);
    assert_eq!(key["usage"], 25.75);
    assert_eq!([&key["usage_daily"], &key["usage_weekly"], &key["usage_monthly"]], [1.25, 5.25, 20.25]);
    assert_eq!(key["limit_remaining"], 100.0 - 25.75);
    assert_eq!(key["budgets"][0]["spend_usd"], 32.75);

    // Windows are kept consistent: none above the next, nor above the key's usage.
    server.set_key_usage_windows(9.0, 4.0, 30.0);
    let (key, _) = figures(&server).await;
    assert_eq!([&key["usage_daily"], &key["usage_weekly"], &key["usage_monthly"]], [4.0, 4.0, 25.75]);
    server.set_key_usage_windows(1.25, 5.25, 20.25);

    // Spend made elsewhere, between two calls.
    server.spend(2.0);
    let (key, usage) = figures(&server).await;
    assert_eq!((usage, &key["usage"], &key["usage_daily"]), (28.0, &json!(27.75), &json!(3.25)));
    assert_eq!(key["budgets"][0]["spend_usd"], 34.75);

    // A :free model costs nothing and counts one free-model request.
    let (status, _, completion, _) = model_call(&server, "meta-llama/llama-3.3-70b-instruct:free").await;
    assert_eq!((status, &completion["id"], &completion["usage"]["cost"]), (200, &json!("gen-mock-2"), &json!(0.0)));
    let (key, usage) = figures(&server).await;
    assert_eq!((usage, &key["free_model_daily_requests"]["used"]), (28.0, &json!(13)));
    // Every call was recorded, with its key.
    let calls: Vec<_> = server.requests().into_iter().filter(|r| r.path == "/api/v1/chat/completions").collect();
    assert_eq!(calls.len(), 2);
    assert!(calls.iter().all(|c| c.bearer() == Some(KEY) && c.operation.is_none()));
}

#[tokio::test]
async fn each_spent_layer_refuses_a_model_call_with_upstreams_shape_and_charges_nothing() {
    let server = MockServer::start().await.unwrap();
    server.require_api_key(KEY);
    server.require_management_key(MANAGEMENT);

    // A guardrail budget spent (it comes before the key's limit, which is spent too).
    server.set_budgets([MockBudget::new("member", 5.0, 5.0).resets("weekly")]);
    server.set_key_limit(Some(10.0), 10.0);
    let (status, _, body, b) = model_call(&server, "openai/gpt-4o").await;
    let b = b.unwrap();
    assert_eq!((status, b.by(), b.scope()), (403, BlockedBy::Budget, Some("member")));
    assert_eq!(body["error"]["metadata"]["limit_source"], "openrouter_guardrail_budget");
    assert_eq!((b.limit_usd(), b.spend_usd(), b.retry_after()), (Some(5.0), Some(5.0), None));
    assert!(b.resets_at().is_some_and(|t| t > SystemTime::now()));

    // A lifetime workspace budget: no reset.
    server.set_budgets([MockBudget::new("workspace", 500.0, 500.0)]);
    let (status, _, body, b) = model_call(&server, "openai/gpt-4o").await;
    let b = b.unwrap();
    assert_eq!((status, b.by(), b.limit_source()), (403, BlockedBy::Budget, Some(&LimitSource::WorkspaceBudget)));
    assert_eq!(body["error"]["message"], "Workspace lifetime budget of $500.00 exceeded. Contact your org admin.");
    assert_eq!(b.resets_at(), None);

    // The key's own limit, monthly.
    server.set_budgets([]);
    let (status, _, body, b) = model_call(&server, "openai/gpt-4o").await;
    let b = b.unwrap();
    assert_eq!((status, b.by()), (403, BlockedBy::KeyLimit));
    assert_eq!(body["error"]["message"], "Key limit exceeded (monthly limit)");
    assert_eq!((b.limit_usd(), b.spend_usd()), (Some(10.0), Some(10.0)));
    assert!(b.resets_at().is_some());

    // A key limit that never resets: "total", no reset.
    server.set_key_limit_reset(None);
    let (_, _, body, b) = model_call(&server, "openai/gpt-4o").await;
    assert_eq!(body["error"]["message"], "Key limit exceeded (total limit)");
    assert_eq!((b.unwrap().resets_at(), &body["error"]["metadata"]["resets_at"]), (None, &Value::Null));
    let (key, _) = figures(&server).await;
    assert_eq!((&key["limit_reset"], &key["budgets"][0]["resets_at"]), (&Value::Null, &Value::Null));

    // The account's credits.
    server.set_key_limit(None, 10.0);
    server.set_credits(30.0, 30.0);
    let (status, _, body, b) = model_call(&server, "openai/gpt-4o").await;
    assert_eq!((status, b.unwrap().by()), (402, BlockedBy::AccountCredits));
    assert_eq!(body["error"]["metadata"]["limit_source"], "openrouter_credits");

    // The free-model quota.
    server.set_free_model_requests(50, 50);
    let (status, headers, body, b) = model_call(&server, "x/y:free").await;
    let b = b.unwrap();
    assert_eq!((status, b.by()), (429, BlockedBy::FreeModelDaily));
    let reset_ms: u64 = headers["x-ratelimit-reset"].to_str().unwrap().parse().unwrap();
    assert_eq!(body["error"]["metadata"]["headers"]["X-RateLimit-Reset"], reset_ms.to_string());
    assert_eq!(headers["x-ratelimit-remaining"], "0");
    // The next UTC midnight, in milliseconds.
    assert_eq!(reset_ms % 86_400_000, 0);
    assert!(b.retry_after().is_some_and(|w| w <= Duration::from_secs(86_400)));
    assert_eq!(b.resets_at(), Some(SystemTime::UNIX_EPOCH + Duration::from_millis(reset_ms)));

    // Nothing refused was charged.
    let (key, usage) = figures(&server).await;
    assert_eq!((usage, &key["usage"], &key["free_model_daily_requests"]["used"]), (30.0, &json!(10.0), &json!(50)));
}

#[tokio::test]
async fn forced_refusals_over_the_wire() {
    let server = MockServer::start().await.unwrap();
    server.refuse_model_calls(MockRefusal::InFlightBudget { retry_after: Duration::from_millis(119_500) });
    let (status, headers, body, b) = model_call(&server, "openai/gpt-4o").await;
    let b = b.unwrap();
    assert_eq!((status, &headers["retry-after"]), (402, &HeaderValue::from_static("120")));
    assert_eq!(body["error"]["metadata"]["reason"], "in_flight_budget_exhausted");
    assert_eq!((b.by(), b.retry_after()), (BlockedBy::InFlightBudget, Some(Duration::from_secs(120))));

    server.refuse_model_calls(MockRefusal::RequestTooLarge);
    let (status, _, _, b) = model_call(&server, "openai/gpt-4o").await;
    assert_eq!((status, b.unwrap().by()), (402, BlockedBy::RequestTooLarge));

    server.refuse_model_calls(MockRefusal::RateLimit { retry_after: Duration::from_secs(3) });
    let (status, _, _, b) = model_call(&server, "openai/gpt-4o").await;
    let b = b.unwrap();
    assert_eq!((status, b.by(), b.retry_after()), (429, BlockedBy::RateLimit, Some(Duration::from_secs(3))));

    server.refuse_model_calls(MockRefusal::KeyLimit);
    let (status, _, _, b) = model_call(&server, "openai/gpt-4o").await;
    let b = b.unwrap();
    assert_eq!((status, b.by(), b.limit_usd(), b.spend_usd()), (403, BlockedBy::KeyLimit, Some(100.0), Some(25.5)));

    // Back to normal; a scripted answer comes first.
    server.accept_model_calls();
    server.enqueue_model_call(MockResponse::error(503, "busy"));
    let (status, _, _, b) = model_call(&server, "openai/gpt-4o").await;
    assert_eq!((status, b), (503, None));
    let (status, ..) = model_call(&server, "openai/gpt-4o").await;
    assert_eq!(status, 200);
    // Four refused calls charged nothing, the one answered its cost.
    let (_, usage) = figures(&server).await;
    assert_eq!(usage, 25.75 + openrouter_credits::mock::DEFAULT_MODEL_CALL_COST);
}

#[tokio::test]
async fn the_model_endpoint_checks_the_key_and_the_body() {
    let server = MockServer::start().await.unwrap();
    server.require_api_key(KEY);
    let http = reqwest::Client::new();
    let post = |key: &str, body: Value| http.post(server.model_url()).bearer_auth(key).json(&body).send();
    assert_eq!(post("sk-or-v1-other", json!({"model": "m"})).await.unwrap().status(), 401);
    assert_eq!(post(KEY, json!({"messages": []})).await.unwrap().status(), 400);
    assert_eq!(http.post(server.model_url()).send().await.unwrap().status(), 401);
}

// Through the crate's own calls.

fn client(server: &MockServer) -> Client {
    Client::builder().api_key(KEY).base_url(server.base_url()).retries(RetryConfig::none()).build().unwrap()
}

#[tokio::test]
async fn the_crates_own_errors_carry_the_same_blocked() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let key_limit = json!({"error": {"code": 403, "message": "Key limit exceeded (daily limit)", "metadata": {
        "limit_source": "openrouter_key_limit", "limit_usd": 10, "spend_usd": 10.5,
        "resets_at": "2026-12-09T00:00:00.000Z", "remedy_hint": format!("raise the limit of {KEY}")}}});
    server.enqueue(Operation::GetCurrentKey, MockResponse::json(403, &key_limit));
    let err = client.api_keys().get_current_key().await.unwrap_err();
    let b = err.blocked().expect("a refusal");
    assert_eq!(err.blocked_by(), Some(BlockedBy::KeyLimit));
    assert_eq!(
        (b.limit_usd(), b.spend_usd(), b.resets_at()),
        (Some(10.0), Some(10.5), Some(utc("2026-12-09T00:00:00.000Z")))
    );
    // The key the call sent, echoed by the server, is redacted in what the error keeps.
    assert_eq!(b.remedy_hint(), Some("raise the limit of [redacted]"));
    assert_eq!(err.hint(), Some(b.hint()));
    assert_eq!(err.api().unwrap().blocked(), Some(b));

    // The in-flight 402: waiting helps, and the hint does not say the account is empty.
    let in_flight = json!({"error": {"code": 402, "message": "In-flight budget exhausted", "metadata": {
        "limit_source": "openrouter_in_flight_budget", "reason": "in_flight_budget_exhausted"}}});
    server.enqueue(Operation::GetCurrentKey, MockResponse::json(402, &in_flight).retry_after("120"));
    let err = client.api_keys().get_current_key().await.unwrap_err();
    let b = err.blocked().unwrap();
    assert_eq!((b.by(), b.retry_after()), (BlockedBy::InFlightBudget, Some(Duration::from_secs(120))));
    assert!(!err.hint().unwrap().contains("out of credits"), "{:?}", err.hint());
    // One attempt each: nothing retried.
    assert_eq!(server.requests_for(Operation::GetCurrentKey).len(), 2);

    // Not a refusal: no Blocked.
    server.enqueue(Operation::GetCurrentKey, MockResponse::error(500, "boom"));
    assert!(client.api_keys().get_current_key().await.unwrap_err().blocked().is_none());
}
