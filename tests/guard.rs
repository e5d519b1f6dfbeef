//! The spend guard (`Client::spend_guard`) on the wire, on tokio's paused clock: a fresh answer
//! costs no request, an old one costs one refresh however many tasks ask, a failed refresh is
//! the last answer marked stale (within its bound) and then the error, never a zero.

mod common;
use common::*;
use openrouter_credits::mock::{MockResponse, MockServer};
use openrouter_credits::{Error, Operation, SpendGuard};
use std::sync::Arc;
use std::time::Duration;

const SEC: Duration = Duration::from_secs(1);

/// Requests the server saw, (GET /key, GET /credits).
fn seen(server: &MockServer) -> (usize, usize) {
    (server.requests_for(Operation::GetCurrentKey).len(), server.requests_for(Operation::GetCredits).len())
}

fn fail_both(server: &MockServer, response: MockResponse) {
    server.enqueue(Operation::GetCurrentKey, response.clone());
    server.enqueue(Operation::GetCredits, response);
}

async fn guard(server: &MockServer, max_age: Duration) -> SpendGuard {
    client(server).spend_guard(max_age)
}

#[test]
fn a_guard_is_shared_by_tasks() {
    fn shared<T: Clone + Send + Sync + 'static>() {}
    shared::<SpendGuard>();
}

#[tokio::test(start_paused = true)]
async fn a_fresh_answer_costs_no_request_and_an_old_one_one_refresh() {
    let server = server().await;
    let guard = guard(&server, 30 * SEC).await;
    let first = guard.spendable().await.unwrap();
    assert_eq!(seen(&server), (1, 1));
    assert_eq!(first.remaining_usd(), Some(17.5));
    assert!(!first.is_stale());

    tokio::time::advance(29 * SEC).await;
    let cached = guard.spendable().await.unwrap();
    assert_eq!(seen(&server), (1, 1), "younger than max_age: from memory");
    assert_eq!(cached.age(), 29 * SEC);

    tokio::time::advance(SEC).await;
    let renewed = guard.spendable().await.unwrap();
    assert_eq!(seen(&server), (2, 2), "30 s old: one refresh");
    assert_eq!(renewed.age(), Duration::ZERO);
    // A clone shares the cache.
    guard.clone().spendable().await.unwrap();
    assert_eq!(seen(&server), (2, 2));
}

#[tokio::test(start_paused = true)]
async fn a_thousand_checks_on_an_expired_answer_cause_one_refresh() {
    let server = server().await;
    let guard = guard(&server, 10 * SEC).await;
    guard.spendable().await.unwrap();
    tokio::time::advance(11 * SEC).await;
    // The refresh takes a second, so every check arrives while it runs.
    server.enqueue(Operation::GetCurrentKey, MockResponse::json(200, &key_body(9.0)).delay(SEC));
    let checks: Vec<_> = (0..1000)
        .map(|_| {
            let guard = guard.clone();
            tokio::spawn(async move { guard.spendable().await.map(|r| r.remaining_usd()) })
        })
        .collect();
    for check in checks {
        assert_eq!(check.await.unwrap().unwrap(), Some(9.0));
    }
    assert_eq!(seen(&server), (2, 2), "one refresh for 1,000 checks");
}

/// `GET /key`'s example with the member budget's remaining set (it binds below 74.50).
fn key_body(member_remaining: f64) -> serde_json::Value {
    serde_json::json!({"data": {
        "label": "k", "limit": 100.0, "limit_remaining": 74.5, "limit_reset": "monthly", "usage": 25.5,
        "usage_daily": 1.0, "usage_weekly": 2.0, "usage_monthly": 3.0, "byok_usage": 0.0,
        "byok_usage_daily": 0.0, "byok_usage_weekly": 0.0, "byok_usage_monthly": 0.0, "is_free_tier": false,
        "is_management_key": true, "is_provisioning_key": false, "include_byok_in_limit": false,
        "creator_user_id": "u", "rate_limit": {"interval": "1h", "note": "n", "requests": 1000},
        "budgets": [{"budget_id": null, "guardrail_id": "g", "include_byok": false, "limit_usd": 50.0,
            "remaining_usd": member_remaining, "reset_interval": "weekly", "resets_at": null,
            "scope": "member", "spend_usd": 50.0 - member_remaining}]
    }})
}

#[tokio::test(start_paused = true)]
async fn a_failed_refresh_serves_the_last_answer_stale_then_the_error_never_a_zero() {
    let server = server().await;
    let guard = guard(&server, 10 * SEC).await.serve_stale_for(20 * SEC);
    guard.spendable().await.unwrap();

    // 10 s later both requests fail: the last answer, stale, with its age and the error.
    tokio::time::advance(10 * SEC).await;
    fail_both(&server, MockResponse::error(500, "down"));
    let stale = guard.spendable().await.unwrap();
    assert_eq!(seen(&server), (2, 2));
    assert!(stale.is_stale());
    assert_eq!(stale.age(), 10 * SEC);
    assert_eq!(stale.remaining_usd(), Some(17.5), "the last figures, not a zero");
    assert_eq!(stale.refresh_error().and_then(Error::status), Some(500));

    // Within the pause after a failure (1 s): the same outcome, no request.
    let again = guard.spendable().await.unwrap();
    assert!(again.is_stale());
    assert_eq!(seen(&server), (2, 2));

    // After it, one more refresh; it fails too: still stale, 25 s old (under 10 + 20).
    tokio::time::advance(15 * SEC).await;
    fail_both(&server, MockResponse::error(500, "down"));
    let older = guard.spendable().await.unwrap();
    assert_eq!((older.age(), older.is_stale()), (25 * SEC, true));
    assert_eq!(seen(&server), (3, 3));

    // At 30 s (max_age + serve_stale_for) the answer is too old to stand in: the error.
    tokio::time::advance(5 * SEC).await;
    fail_both(&server, MockResponse::error(500, "down"));
    let err = guard.spendable().await.unwrap_err();
    assert_eq!(err.status(), Some(500), "{err:?}");
    assert_eq!(seen(&server), (4, 4));

    // The server is back: a fresh answer, not stale.
    tokio::time::advance(SEC).await;
    let back = guard.spendable().await.unwrap();
    assert!(!back.is_stale());
    assert_eq!(seen(&server), (5, 5));
}

#[tokio::test(start_paused = true)]
async fn with_no_answer_yet_a_failed_refresh_is_an_error_shared_by_every_waiter() {
    let server = server().await;
    let guard = guard(&server, 10 * SEC).await;
    fail_both(&server, MockResponse::error(503, "down").delay(SEC));
    let checks: Vec<_> = (0..10)
        .map(|_| {
            let guard = guard.clone();
            tokio::spawn(async move { guard.spendable().await.map(|r| r.remaining_usd()) })
        })
        .collect();
    for check in checks {
        let err = check.await.unwrap().unwrap_err();
        assert_eq!(err.status(), Some(503), "never Ok(0): {err:?}");
    }
    assert_eq!(seen(&server), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn a_failed_refresh_pauses_refreshes_for_the_servers_retry_after() {
    let server = server().await;
    let guard = guard(&server, 10 * SEC).await;
    fail_both(&server, MockResponse::error(503, "busy").header("Retry-After", "20"));
    guard.spendable().await.unwrap_err();
    tokio::time::advance(19 * SEC).await;
    guard.spendable().await.unwrap_err();
    assert_eq!(seen(&server), (1, 1), "asked to wait 20 s");
    tokio::time::advance(SEC).await;
    guard.spendable().await.unwrap();
    assert_eq!(seen(&server), (2, 2));
}

#[tokio::test(start_paused = true)]
async fn an_invalidated_answer_is_read_again_and_never_served_stale() {
    let server = server().await;
    let guard = guard(&server, 60 * SEC).await;
    guard.spendable().await.unwrap();
    guard.invalidate();
    guard.spendable().await.unwrap();
    assert_eq!(seen(&server), (2, 2), "read again within max_age");

    // Contradicted, then the refresh fails: the contradicted figure is not served.
    guard.invalidate();
    fail_both(&server, MockResponse::error(500, "down"));
    let err = guard.spendable().await.unwrap_err();
    assert_eq!(err.status(), Some(500));
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_refresh_leaves_the_next_check_to_refresh() {
    let server = server().await;
    let guard = guard(&server, 10 * SEC).await;
    server.enqueue(Operation::GetCurrentKey, MockResponse::json(200, &key_body(9.0)).delay(10 * SEC));
    let cancelled = tokio::time::timeout(SEC, guard.spendable()).await;
    assert!(cancelled.is_err(), "the check was cancelled mid-refresh");
    let next = guard.spendable().await.unwrap();
    assert_eq!(next.remaining_usd(), Some(17.5));
    assert_eq!(seen(&server).0, 2);
}

#[tokio::test(start_paused = true)]
async fn a_check_holds_no_lock_across_its_await() {
    // A check that refreshes (slowly) does not stop a check of another guard, nor a cached
    // check of its own guard's clone from being answered.
    let server = server().await;
    let guard = Arc::new(guard(&server, 10 * SEC).await);
    guard.spendable().await.unwrap();
    tokio::time::advance(10 * SEC).await;
    server.enqueue(Operation::GetCurrentKey, MockResponse::json(200, &key_body(9.0)).delay(5 * SEC));
    let refreshing = tokio::spawn({
        let guard = Arc::clone(&guard);
        async move { guard.spendable().await.map(|r| r.remaining_usd()) }
    });
    tokio::task::yield_now().await;
    // The debug view locks the state: it answers while the refresh is in flight.
    assert!(format!("{guard:?}").contains("cached: true"));
    assert_eq!(refreshing.await.unwrap().unwrap(), Some(9.0));
}

fn refusal(status: u16, retry_after: Option<&str>, metadata: serde_json::Value) -> openrouter_credits::Blocked {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(wait) = retry_after {
        headers.insert("retry-after", wait.parse().unwrap());
    }
    let body = serde_json::json!({"error": {"code": status, "message": "refused", "metadata": metadata}});
    openrouter_credits::Blocked::from_response(status, &headers, body.to_string().as_bytes()).unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_reported_refusal_for_money_is_read_again_and_a_wait_is_held() {
    let server = server().await;
    let guard = guard(&server, 60 * SEC).await;
    guard.spendable().await.unwrap();

    // A rate limit says nothing about the figures: still from memory.
    guard.report(&refusal(429, Some("5"), serde_json::json!({})));
    let reading = guard.spendable().await.unwrap();
    assert_eq!(seen(&server), (1, 1));
    assert!(reading.held().is_none());

    // The in-flight budget's 402: read again, and held for its 120 s whatever the figures say.
    let in_flight =
        serde_json::json!({"limit_source": "openrouter_in_flight_budget", "reason": "in_flight_budget_exhausted"});
    guard.report(&refusal(402, Some("120"), in_flight));
    let reading = guard.spendable().await.unwrap();
    assert_eq!(seen(&server), (2, 2), "the figure was contradicted: read again");
    assert_eq!(reading.remaining_usd(), Some(17.5), "the balance is not the problem");
    let held = reading.held().expect("held");
    assert_eq!(held.by(), openrouter_credits::BlockedBy::InFlightBudget);
    tokio::time::advance(119 * SEC).await;
    assert!(guard.spendable().await.unwrap().held().is_some());
    tokio::time::advance(SEC).await;
    assert!(guard.spendable().await.unwrap().held().is_none(), "the wait is over");

    // A spent budget: read again, nothing held (only its reset helps).
    let budget = serde_json::json!({"limit_source": "openrouter_guardrail_budget", "scope": "member"});
    guard.report(&refusal(403, None, budget));
    let reading = guard.spendable().await.unwrap();
    assert!(reading.held().is_none());
    assert_eq!(seen(&server).0, 4, "one read at 119 s (older than max_age), one for the report");
}

#[tokio::test(start_paused = true)]
async fn of_two_reported_waits_the_later_end_stands() {
    let server = server().await;
    let guard = guard(&server, 60 * SEC).await;
    let in_flight =
        || serde_json::json!({"limit_source": "openrouter_in_flight_budget", "reason": "in_flight_budget_exhausted"});
    guard.report(&refusal(402, Some("120"), in_flight()));
    tokio::time::advance(10 * SEC).await;
    // A longer wait, reported later, ends later (at 310 s): it replaces the first (ends at 120 s).
    guard.report(&refusal(402, Some("300"), in_flight()));
    tokio::time::advance(190 * SEC).await;
    assert!(guard.spendable().await.unwrap().held().is_some(), "200 s: the second wait holds");
    // A shorter one (would end at 260 s) does not cut the longer one short.
    guard.report(&refusal(402, Some("60"), in_flight()));
    tokio::time::advance(100 * SEC).await;
    assert!(guard.spendable().await.unwrap().held().is_some(), "300 s: still the 310 s end");
    tokio::time::advance(10 * SEC).await;
    assert!(guard.spendable().await.unwrap().held().is_none(), "310 s: the wait is over");
}

#[tokio::test(start_paused = true)]
async fn a_readings_debug_shows_its_figures_age_and_state_and_no_key() {
    let server = server().await;
    let guard = guard(&server, 60 * SEC).await;
    guard.spendable().await.unwrap();
    tokio::time::advance(5 * SEC).await;
    let text = format!("{:?}", guard.spendable().await.unwrap());
    assert!(text.starts_with("SpendReading { spendable: Spendable {"), "{text}");
    assert!(text.contains("age: 5s, refresh_error: None, held: None }"), "{text}");
    assert_clean(&text);
}

#[tokio::test(start_paused = true)]
async fn a_refusal_reported_while_a_refresh_is_out_is_not_lifted_by_it() {
    let server = server().await;
    let guard = guard(&server, 60 * SEC).await;
    guard.spendable().await.unwrap();
    guard.invalidate();
    // The refresh's requests take a second; the refusal comes in meanwhile.
    server.enqueue(Operation::GetCurrentKey, MockResponse::json(200, &key_body(9.0)).delay(SEC));
    let refreshing = tokio::spawn({
        let guard = guard.clone();
        async move { guard.spendable().await.map(|r| r.remaining_usd()) }
    });
    tokio::time::sleep(SEC / 2).await;
    guard.invalidate();
    assert_eq!(refreshing.await.unwrap().unwrap(), Some(9.0));
    // Its figures predate the refusal: the next check reads again.
    guard.spendable().await.unwrap();
    assert_eq!(seen(&server), (3, 3));
}
