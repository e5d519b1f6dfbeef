//! `client.spendable()` on the wire: which requests go out for each combination of keys, each
//! layer binding in turn, the false zero, both shapes of `GET /key`, undocumented values, one
//! layer failing while the other answers, and the money errors.

mod common;
use common::*;
use openrouter_credits::mock::{KeyShape, MockBudget, MockResponse, MockServer};
use openrouter_credits::types::{BudgetScope, CurrentKeyResponse, DataRegion, ResetInterval};
use openrouter_credits::{BlockedBy, Client, Error, LayerKind, Operation, RetryConfig, UnknownLayers, UnknownReason};
use std::time::Duration;

const MANAGEMENT: &str = "sk-or-v1-management-0123";

async fn keyed_server() -> MockServer {
    let server = server().await;
    server.require_api_key(KEY);
    server.require_management_key(MANAGEMENT);
    server
}

fn both_keys(server: &MockServer) -> Client {
    both_keys_retrying(server, RetryConfig::none())
}

fn both_keys_retrying(server: &MockServer, policy: RetryConfig) -> Client {
    Client::builder()
        .api_key(KEY)
        .management_key(MANAGEMENT)
        .base_url(server.base_url())
        .retries(policy)
        .build()
        .unwrap()
}

fn only_api_key(server: &MockServer) -> Client {
    Client::builder().api_key(KEY).base_url(server.base_url()).retries(RetryConfig::none()).build().unwrap()
}

/// Only the API key, said to be a management key.
fn said_to_be_management(server: &MockServer) -> Client {
    Client::builder()
        .api_key(KEY)
        .api_key_is_management_key(true)
        .base_url(server.base_url())
        .retries(RetryConfig::none())
        .build()
        .unwrap()
}

/// (path, bearer) of every request, sorted (the two go out concurrently).
fn sent(server: &MockServer) -> Vec<(String, String)> {
    let mut sent: Vec<_> =
        server.requests().iter().map(|r| (r.path.clone(), r.bearer().unwrap_or_default().to_owned())).collect();
    sent.sort();
    sent
}

#[tokio::test]
async fn with_both_keys_each_request_carries_its_own_key_and_the_least_layer_binds() {
    let server = keyed_server().await;
    let spendable = both_keys(&server).spendable().await.unwrap();
    assert_eq!(
        sent(&server),
        [("/api/v1/credits".to_owned(), MANAGEMENT.to_owned()), ("/api/v1/key".to_owned(), KEY.to_owned())]
    );
    // The mock's defaults: a member budget 50 − 32.5, the key's limit 100 − 25.5, the account
    // 100.5 − 25.75: the member budget binds.
    let kinds: Vec<_> = spendable.layers().iter().map(|l| l.kind.clone()).collect();
    assert_eq!(kinds, [LayerKind::Budget(BudgetScope::Member), LayerKind::KeyLimit, LayerKind::Account]);
    assert_eq!(spendable.remaining_usd(), Some(17.5));
    let binding = spendable.binding().unwrap();
    assert_eq!(binding.kind, LayerKind::Budget(BudgetScope::Member));
    assert_eq!(binding.reset_interval, Some(ResetInterval::Weekly));
    assert!(binding.resets_at.as_deref().is_some_and(|t| t.ends_with("T00:00:00.000Z")), "{binding:?}");
    assert_eq!(binding.to_string(), "member budget 0df9e665-d932-5740-b2c7-b52af166bc11");
    assert!(spendable.is_complete() && spendable.unknown().is_empty());
    assert_eq!(spendable.free_model_requests().map(|f| (f.limit, f.used, f.remaining)), Some((50, 12, 38)));
    assert_eq!(spendable.credits().map(|c| c.total_credits), Some(100.5));
}

#[tokio::test]
async fn each_layer_binds_in_turn() {
    let server = keyed_server().await;
    let client = both_keys(&server);

    // The account binds: 3 USD left, against a key limit of 80 and a workspace budget of 10.
    server.set_credits(20.0, 17.0);
    server.set_key_limit(Some(100.0), 20.0);
    server.set_budgets([MockBudget::new("workspace", 10.0, 0.0).id("ws-1").resets("daily")]);
    let s = client.spendable().await.unwrap();
    assert_eq!((s.binding().unwrap().kind.clone(), s.remaining_usd()), (LayerKind::Account, Some(3.0)));

    // The key's own limit binds: 2 USD left. `budgets` lists it (scope `key_limit`), once.
    server.set_key_limit(Some(10.0), 8.0);
    let s = client.spendable().await.unwrap();
    assert_eq!((s.binding().unwrap().kind.clone(), s.remaining_usd()), (LayerKind::KeyLimit, Some(2.0)));
    assert_eq!(s.layers().iter().filter(|l| l.kind == LayerKind::KeyLimit).count(), 1);

    // A workspace budget binds, with its id and reset.
    server.set_budgets([MockBudget::new("workspace", 10.0, 9.0).id("ws-1").resets("daily")]);
    let s = client.spendable().await.unwrap();
    let binding = s.binding().unwrap();
    assert_eq!(binding.kind, LayerKind::Budget(BudgetScope::Workspace));
    assert_eq!((binding.id.as_deref(), binding.remaining_usd, s.remaining_usd()), (Some("ws-1"), 1.0, Some(1.0)));
    assert_eq!(binding.to_string(), "workspace budget ws-1");

    // A spent layer binds even when another shows less left in absolute terms (it comes first
    // in enforcement order), and nothing can be spent: 0, not a negative figure.
    server.set_budgets([MockBudget::new("api_key", 5.0, 6.0), MockBudget::new("workspace", 10.0, 12.0).id("ws-1")]);
    let s = client.spendable().await.unwrap();
    assert_eq!(s.binding().unwrap().kind, LayerKind::Budget(BudgetScope::ApiKey));
    assert_eq!(s.remaining_usd(), Some(0.0));

    // Nothing limits the key and nothing is budgeted: only the account binds.
    server.set_key_limit(None, 3.0);
    server.set_budgets([]);
    let s = client.spendable().await.unwrap();
    assert_eq!(s.layers().len(), 1);
    assert_eq!((s.binding().unwrap().kind.clone(), s.remaining_usd()), (LayerKind::Account, Some(3.0)));
}

/// The false zero: with only an ordinary API key, `GET /credits` is never sent (the live API
/// would answer 200 with zeros); the account's balance is unknown, never 0.
#[tokio::test]
async fn with_only_an_api_key_the_account_is_unknown_not_zero() {
    let server = keyed_server().await;
    server.set_key_limit(None, 3.0);
    server.set_budgets([]);
    let s = only_api_key(&server).spendable().await.unwrap();
    assert_eq!(sent(&server), [("/api/v1/key".to_owned(), KEY.to_owned())]);
    assert_eq!(s.remaining_usd(), None, "no layer the client can see limits spending");
    assert!(s.credits().is_none() && !s.is_complete());
    let unknown = &s.unknown()[0];
    assert_eq!(unknown.layers, UnknownLayers::Account);
    assert!(matches!(unknown.reason, UnknownReason::NoManagementKey));
    let text = unknown.to_string();
    assert!(text.starts_with("account balance: unknown") && text.contains("OPENROUTER_MANAGEMENT_KEY"), "{text}");

    // get_credits itself refuses before sending.
    let err = only_api_key(&server).credits().get_credits().await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput { field: "management_key", .. }), "{err}");
    assert_eq!(server.requests().len(), 1);
}

/// An API key said to be a management key is sent to `GET /credits`; when `GET /key` says it
/// is not one, the zeros it got are discarded, not shown as a balance.
#[tokio::test]
async fn zeros_for_a_key_that_is_not_a_management_key_are_discarded() {
    let server = keyed_server().await;
    let client = said_to_be_management(&server);
    let s = client.spendable().await.unwrap();
    assert_eq!(
        sent(&server),
        [("/api/v1/credits".to_owned(), KEY.to_owned()), ("/api/v1/key".to_owned(), KEY.to_owned())]
    );
    assert!(s.credits().is_none());
    assert!(s.layers().iter().all(|l| l.kind != LayerKind::Account));
    assert!(matches!(s.unknown()[0].reason, UnknownReason::NotAManagementKey), "{:?}", s.unknown());
    assert_eq!(s.remaining_usd(), Some(17.5), "the key's layers still count");

    // A real management key given as the API key: its balance counts.
    let server = common::server().await;
    server.require_management_key(KEY);
    let s = said_to_be_management(&server).spendable().await.unwrap();
    assert_eq!(s.credits().map(|c| c.total_credits), Some(100.5));
    assert!(s.is_complete());
}

/// Zeros for an API key said to be a management key, while `GET /key` (which would say whether
/// it is one) failed: not taken as the balance.
#[tokio::test]
async fn unverified_zeros_are_not_a_balance() {
    let server = keyed_server().await;
    let client = said_to_be_management(&server);
    server.enqueue(Operation::GetCurrentKey, MockResponse::error(500, "Internal Server Error"));
    let s = client.spendable().await.unwrap();
    assert_eq!(s.remaining_usd(), None);
    assert!(s.layers().is_empty() && s.credits().is_none(), "{:?}", s.layers());
    let reasons: Vec<_> = s.unknown().iter().map(|u| (u.layers, u.reason.is_failure())).collect();
    assert_eq!(reasons, [(UnknownLayers::Key, true), (UnknownLayers::Account, true)]);
    assert!(matches!(s.unknown()[1].reason, UnknownReason::Unverified), "{:?}", s.unknown());
}

#[tokio::test]
async fn with_only_a_management_key_the_key_layers_are_unknown() {
    let server = keyed_server().await;
    let client = Client::builder().management_key(MANAGEMENT).base_url(server.base_url()).build().unwrap();
    let s = client.spendable().await.unwrap();
    assert_eq!(sent(&server), [("/api/v1/credits".to_owned(), MANAGEMENT.to_owned())]);
    assert_eq!(s.remaining_usd(), Some(74.75));
    assert_eq!(s.unknown()[0].layers, UnknownLayers::Key);
    assert!(matches!(s.unknown()[0].reason, UnknownReason::NoApiKey));

    let none = Client::builder().base_url(server.base_url()).build().unwrap();
    let err = none.spendable().await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput { field: "api_key", .. }), "{err}");
    assert_eq!(server.requests().len(), 1, "nothing sent without a key");
}

#[tokio::test]
async fn one_layer_failing_does_not_lose_the_other() {
    let server = keyed_server().await;
    let client = both_keys(&server);
    server.enqueue(Operation::GetCredits, MockResponse::error(500, "Internal Server Error"));
    let s = client.spendable().await.unwrap();
    assert_eq!(s.remaining_usd(), Some(17.5), "the key's layers answered");
    let unknown = &s.unknown()[0];
    assert_eq!(unknown.layers, UnknownLayers::Account);
    assert!(matches!(&unknown.reason, UnknownReason::Failed(Error::InternalServer(_))), "{unknown:?}");

    server.enqueue(Operation::GetCurrentKey, MockResponse::error(401, "User not found."));
    let s = client.spendable().await.unwrap();
    assert_eq!(s.remaining_usd(), Some(74.75), "the account answered");
    assert!(matches!(&s.unknown()[0].reason, UnknownReason::Failed(Error::Unauthorized(_))));

    // Both failing: both errors, each kept (the status is theirs when they agree).
    server.enqueue(Operation::GetCredits, MockResponse::error(500, "Internal Server Error"));
    server.enqueue(Operation::GetCurrentKey, MockResponse::error(503, "Service Unavailable"));
    let err = client.spendable().await.unwrap_err();
    let Error::BothFailed { key, credits, .. } = &err else { panic!("{err:?}") };
    assert_eq!((key.status(), credits.status(), err.status()), (Some(503), Some(500), None));

    assert!(err.to_string().starts_with("both requests failed, nothing was read: get_current_key: "), "{err}");
}

/// Both requests go out at once under one deadline: a slow `GET /credits` past it counts as
/// failed, and the key's layers still come back, in about the deadline, not the sum.
#[tokio::test]
async fn both_requests_share_one_deadline() {
    let server = keyed_server().await;
    let client = both_keys(&server);
    server.enqueue(
        Operation::GetCredits,
        MockResponse::json(200, &serde_json::json!({"data": {"total_credits": 1, "total_usage": 0}}))
            .delay(Duration::from_secs(5)),
    );
    server
        .enqueue(Operation::GetCurrentKey, MockResponse::json(200, &key_body(true)).delay(Duration::from_millis(200)));
    let started = std::time::Instant::now();
    let s = client.spendable().timeout(Duration::from_millis(600)).await.unwrap();
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(550) && took < Duration::from_millis(1500), "{took:?}");
    assert!(matches!(&s.unknown()[0].reason, UnknownReason::Failed(Error::Timeout { .. })), "{:?}", s.unknown());
    assert!(s.key().is_some());
    assert_eq!(server.requests().len(), 2);
}

/// The two requests are in flight at once: each answered after 400 ms, the pair takes about
/// 400 ms, not 800.
#[tokio::test]
async fn both_requests_are_in_flight_at_once() {
    let server = keyed_server().await;
    let client = both_keys(&server);
    let credits = serde_json::json!({"data": {"total_credits": 10, "total_usage": 1}});
    let delay = Duration::from_millis(400);
    server.enqueue(Operation::GetCredits, MockResponse::json(200, &credits).delay(delay));
    server.enqueue(Operation::GetCurrentKey, MockResponse::json(200, &key_body(true)).delay(delay));
    let started = std::time::Instant::now();
    let s = client.spendable().await.unwrap();
    let took = started.elapsed();
    assert!(took >= delay && took < Duration::from_millis(750), "{took:?}");
    assert!(s.is_complete() && s.credits().is_some() && s.key().is_some());
}

/// A `GET /key` answer in the newest shape, or without the fields added in autumn 2026.
fn key_body(newest: bool) -> serde_json::Value {
    let mut body = serde_json::json!({"data": {
        "label": "sk-or-v1-au7...890", "limit": 100, "limit_remaining": 74.5, "limit_reset": "monthly",
        "usage": 25.5, "usage_daily": 1, "usage_weekly": 2, "usage_monthly": 3,
        "byok_usage": 0, "byok_usage_daily": 0, "byok_usage_weekly": 0, "byok_usage_monthly": 0,
        "is_free_tier": false, "is_management_key": false, "is_provisioning_key": false,
        "include_byok_in_limit": false, "creator_user_id": null, "expires_at": null,
        "rate_limit": {"requests": -1, "interval": "1h", "note": "This field is deprecated and safe to ignore."}
    }});
    if newest {
        let data = body["data"].as_object_mut().unwrap();
        let budget = serde_json::json!({"scope": "member", "guardrail_id": "g-1", "budget_id": null,
            "limit_usd": 50, "spend_usd": 32.5, "remaining_usd": 17.5, "reset_interval": "weekly",
            "resets_at": "2026-12-07T00:00:00.000Z", "include_byok": false});
        data.insert("budgets".into(), serde_json::json!([budget]));
        data.insert("effective_budget".into(), budget);
        data.insert("free_model_daily_requests".into(), serde_json::json!({"limit": 50, "used": 12, "remaining": 38}));
        data.insert("allowed_data_regions".into(), serde_json::json!(["global", "eu-west"]));
        data.insert("organization_id".into(), serde_json::Value::Null);
        data.insert("workspace_id".into(), serde_json::json!("ws-1"));
    }
    body
}

/// The August 2026 shape decodes; its missing budget layers are "not reported", not "none".
#[tokio::test]
async fn the_august_shape_decodes_and_its_budgets_are_unknown() {
    let server = keyed_server().await;
    server.set_key_shape(KeyShape::August);
    let client = both_keys(&server);
    let key = client.api_keys().get_current_key().await.unwrap();
    assert!(key.data.budgets.is_none() && key.data.free_model_daily_requests.is_none());
    let s = client.spendable().await.unwrap();
    let kinds: Vec<_> = s.layers().iter().map(|l| l.kind.clone()).collect();
    assert_eq!(kinds, [LayerKind::KeyLimit, LayerKind::Account]);
    assert_eq!(s.remaining_usd(), Some(74.5));
    assert_eq!(s.unknown()[0].layers, UnknownLayers::Budgets);
    assert!(matches!(s.unknown()[0].reason, UnknownReason::NotReported));
    assert!(s.free_model_requests().is_none());

    // The newest shape, with an empty `budgets`: nothing budgeted, which is known.
    let mut body = key_body(true);
    body["data"]["budgets"] = serde_json::json!([]);
    body["data"]["effective_budget"] = serde_json::Value::Null;
    server.enqueue(Operation::GetCurrentKey, MockResponse::json(200, &body));
    let s = client.spendable().await.unwrap();
    assert!(s.unknown().is_empty(), "{:?}", s.unknown());
}

/// Values upstream has not documented yet decode, with their text kept: a new scope, a new
/// reset interval, a new region, a new field.
#[tokio::test]
async fn undocumented_values_and_fields_decode_with_their_text() {
    let server = keyed_server().await;
    let client = both_keys(&server);
    let mut body = key_body(true);
    body["data"]["budgets"][0]["scope"] = serde_json::json!("team");
    body["data"]["budgets"][0]["reset_interval"] = serde_json::json!("hourly");
    body["data"]["budgets"][0]["carry_over"] = serde_json::json!(true);
    body["data"]["spend_alerts"] = serde_json::json!([{"at": 0.8}]);
    server.enqueue(Operation::GetCurrentKey, MockResponse::json(200, &body));
    let key = client.api_keys().get_current_key().await.unwrap();
    let budget = &key.data.budgets.as_ref().unwrap()[0];
    assert_eq!(budget.scope, BudgetScope::Unknown("team".into()));
    assert_eq!(budget.reset_interval.as_ref().map(ResetInterval::as_str), Some("hourly"));
    assert!(!budget.scope.is_known());
    let regions = key.data.allowed_data_regions.as_ref().unwrap();
    assert_eq!(regions, &[DataRegion::Global, DataRegion::Unknown("eu-west".into())]);
    // The unknown text goes back out as it came.
    let again: CurrentKeyResponse = serde_json::from_str(&serde_json::to_string(&key).unwrap()).unwrap();
    assert_eq!(again.data.budgets.as_ref().unwrap()[0].scope.as_str(), "team");

    server.enqueue(Operation::GetCurrentKey, MockResponse::json(200, &body));
    let s = client.spendable().await.unwrap();
    assert_eq!(s.binding().unwrap().to_string(), "team budget g-1");
}

/// Each money error has its own typed way to be recognised, and a hint naming the layer.
#[tokio::test]
async fn money_errors_are_told_apart() {
    let server = keyed_server().await;
    let client = both_keys(&server);
    for (status, message, blocked, hint_words) in [
        (
            402,
            "Insufficient credits. Add more using https://openrouter.ai/credits",
            BlockedBy::AccountCredits,
            "out of credits",
        ),
        (403, "Key limit exceeded", BlockedBy::KeyLimit, "key's spending limit"),
        (403, "Workspace budget exceeded", BlockedBy::Budget, "budget layer"),
        (403, "Guardrail budget limit reached for this member", BlockedBy::Budget, "spendable()"),
        (403, "Only management keys can perform this operation", BlockedBy::NotAManagementKey, "management key"),
        (429, "Rate limit exceeded", BlockedBy::RateLimit, "rate limited"),
    ] {
        server.enqueue(Operation::GetCurrentKey, MockResponse::error(status, message));
        let err = client.api_keys().get_current_key().await.unwrap_err();
        assert_eq!(err.blocked_by(), Some(blocked), "{status} {message}");
        let hint = err.hint().unwrap_or_default();
        assert!(hint.contains(hint_words), "{status} {message}: {hint}");
    }
    // A 403 that is none of them is a plain Forbidden.
    server.enqueue(Operation::GetCurrentKey, MockResponse::error(403, "Region not allowed"));
    let err = client.api_keys().get_current_key().await.unwrap_err();
    assert!(matches!(err, Error::Forbidden(_)) && err.blocked_by().is_none(), "{err:?}");
}

/// A client with both keys whose retries wait `wait` (no jitter), up to three attempts.
fn retrying(server: &MockServer, wait: Duration) -> Client {
    let policy = steady(wait, Duration::from_secs(30)).max_attempts(3);
    both_keys_retrying(server, policy)
}

/// Under the deadline a retry whose wait would end past it is not taken: the call stops at once
/// with the server's answer (not a timeout after sleeping), and nothing more is sent.
#[tokio::test]
async fn a_retry_that_would_end_past_the_deadline_is_not_taken() {
    let server = keyed_server().await;
    let client = retrying(&server, Duration::from_millis(900));
    server.enqueue(Operation::GetCredits, MockResponse::error(500, "Internal Server Error"));
    let started = std::time::Instant::now();
    let s = client.spendable().timeout(Duration::from_millis(600)).await.unwrap();
    let took = started.elapsed();
    // Taking the 900 ms wait would return after it; not taking it returns at once.
    assert!(took < Duration::from_millis(800), "waited for a retry it could not make: {took:?}");
    assert!(matches!(&s.unknown()[0].reason, UnknownReason::Failed(Error::InternalServer(_))), "{:?}", s.unknown());
    let credits = server.requests().iter().filter(|r| r.operation == Some(Operation::GetCredits)).count();
    assert_eq!(credits, 1, "no second attempt");
}

/// A retry whose wait ends before the deadline is taken.
#[tokio::test]
async fn a_retry_within_the_deadline_is_taken() {
    let server = keyed_server().await;
    let client = retrying(&server, Duration::from_millis(100));
    server.enqueue(Operation::GetCredits, MockResponse::error(500, "Internal Server Error"));
    let s = client.spendable().timeout(Duration::from_secs(3)).await.unwrap();
    assert!(s.is_complete(), "{:?}", s.unknown());
    let credits = server.requests().iter().filter(|r| r.operation == Some(Operation::GetCredits)).count();
    assert_eq!(credits, 2, "the retry went out");
}

/// Both requests refused for money: the error still says which layer, from `GET /key`'s refusal.
#[tokio::test]
async fn both_refused_keeps_the_refusal() {
    let server = keyed_server().await;
    let client = both_keys(&server);
    let body = serde_json::json!({"error": {"code": 402, "message": "in flight",
        "metadata": {"limit_source": "openrouter_in_flight_budget", "reason": "in_flight_budget_exhausted"}}});
    for operation in [Operation::GetCredits, Operation::GetCurrentKey] {
        server.enqueue(operation, MockResponse::json(402, &body).header("Retry-After", "120"));
    }
    let err = client.spendable().await.unwrap_err();
    assert!(matches!(err, Error::BothFailed { .. }), "{err:?}");
    assert_eq!(err.blocked_by(), Some(BlockedBy::InFlightBudget));
    assert_eq!(err.status(), Some(402));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
}

/// Two refusals with different statuses: neither request was acted on, so neither was the call.
#[tokio::test]
async fn both_refused_with_different_statuses_did_not_act() {
    let server = keyed_server().await;
    let client = both_keys(&server);
    server.enqueue(Operation::GetCurrentKey, MockResponse::error(403, "Key limit exceeded"));
    server.enqueue(Operation::GetCredits, MockResponse::error(429, "slow down"));
    let err = client.spendable().await.unwrap_err();
    assert_eq!(err.status(), None, "they disagree");
    assert!(!err.may_have_acted(), "{err:?}");
    assert!(!err.retry_budget_exhausted());
    assert_eq!(err.attempts(), Some(1), "something was sent");
}

/// A timeout too long to be a deadline (`Instant + Duration::MAX` overflows) is taken as a
/// deadline far away, never as one already passed.
#[tokio::test]
async fn a_timeout_too_long_to_represent_is_far_away_not_passed() {
    let server = keyed_server().await;
    let s = both_keys(&server).spendable().timeout(Duration::MAX).await.unwrap();
    assert!(s.is_complete(), "{:?}", s.unknown());
    assert_eq!(s.remaining_usd(), Some(17.5));
    assert_eq!(server.requests().len(), 2);
}

/// Only the API key's zeros with `GET /key` silent are doubted: a management key's empty
/// account, or an account with no usage yet, is a figure.
#[tokio::test]
async fn a_management_keys_zeros_are_a_balance() {
    let server = keyed_server().await;
    server.set_credits(0.0, 0.0);
    let s = both_keys(&server).spendable().await.unwrap();
    assert_eq!(s.credits().map(|c| (c.total_credits, c.total_usage)), Some((0.0, 0.0)));
    assert!(s.is_complete(), "{:?}", s.unknown());
    assert_eq!(s.remaining_usd(), Some(0.0), "the empty account binds");
    assert_eq!(s.binding().map(|l| l.kind.clone()), Some(LayerKind::Account));

    server.set_credits(5.0, 0.0);
    let s = both_keys(&server).spendable().await.unwrap();
    assert!(s.is_complete(), "{:?}", s.unknown());
    assert_eq!(s.remaining_usd(), Some(5.0));
}

/// A key the client does not hold, or a layer the server does not report, is not a failure
/// (reading again will not help); a failed or unverified read is.
#[test]
fn only_a_failed_or_unverified_read_is_a_failure() {
    for reason in [
        UnknownReason::NoManagementKey,
        UnknownReason::NotAManagementKey,
        UnknownReason::NoApiKey,
        UnknownReason::NotReported,
    ] {
        assert!(!reason.is_failure(), "{reason:?}");
    }
    assert!(UnknownReason::Unverified.is_failure());
}

/// A `budgets` list without the key's own limit: the limit comes from `limit` and
/// `limit_remaining`, after the budgets (enforcement order).
#[tokio::test]
async fn the_keys_own_limit_is_added_when_budgets_do_not_list_it() {
    let server = keyed_server().await;
    server.enqueue(Operation::GetCurrentKey, MockResponse::json(200, &key_body(true)));
    let s = both_keys(&server).spendable().await.unwrap();
    let kinds: Vec<_> = s.layers().iter().map(|l| l.kind.clone()).collect();
    assert_eq!(kinds, [LayerKind::Budget(BudgetScope::Member), LayerKind::KeyLimit, LayerKind::Account]);
    let limit = &s.layers()[1];
    assert_eq!((limit.limit_usd, limit.spent_usd, limit.remaining_usd), (100.0, 25.5, 74.5));
}
