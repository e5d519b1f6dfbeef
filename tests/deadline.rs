//! The call's total timeout (`ClientBuilder::total_timeout`, a call's `.total_timeout(..)`): a
//! hard deadline over attempts, waits and the last attempt, on tokio's paused clock. The first
//! two tests are the cases measured against the retry policy's `max_elapsed`, which bounds only
//! when a retry may start.

mod common;
use common::*;
use openrouter_credits::mock::MockResponse;
use openrouter_credits::{Client, Error, Operation, RetryConfig};
use std::time::Duration;
use tokio::time::Instant;

const MS: Duration = Duration::from_millis(1);
const SEC: Duration = Duration::from_secs(1);

/// The policy of the first measured case: 200 ms → 2 s × 2, retries within 5 s, two attempts.
fn measured_policy() -> RetryConfig {
    RetryConfig::default()
        .initial_backoff(200 * MS)
        .max_backoff(2 * SEC)
        .backoff_multiplier(2.0)
        .max_elapsed(5 * SEC)
        .max_attempts(2)
        .jitter(false)
}

/// A whole `GET /credits` answer, after `delay`.
fn late_credits(delay: Duration) -> MockResponse {
    let body = serde_json::json!({"data": {"total_credits": 10.0, "total_usage": 1.0}});
    MockResponse::json(200, &body).delay(delay)
}

fn slow_503() -> MockResponse {
    MockResponse::error(503, "overloaded").delay(4 * SEC)
}

#[tokio::test(start_paused = true)]
async fn two_slow_503s_end_at_the_total_timeout_not_after_8_seconds() {
    // Without a deadline: 4 s, a 200 ms wait, 4 s more (the 8.16 s measured).
    let server = server().await;
    server.enqueue(Operation::GetCredits, slow_503());
    server.enqueue(Operation::GetCredits, slow_503());
    let client = builder(&server).retries(measured_policy()).total_timeout(Duration::MAX).build().unwrap();
    let started = Instant::now();
    let err = client.credits().get_credits().await.unwrap_err();
    assert_eq!(started.elapsed(), 8200 * MS);
    assert_eq!(err.status(), Some(503));
    assert_eq!(server.requests().len(), 2);

    // With a total timeout of 5 s: the second attempt is cut at 5 s exactly.
    let server = common::server().await;
    server.enqueue(Operation::GetCredits, slow_503());
    server.enqueue(Operation::GetCredits, slow_503());
    let client = builder(&server).retries(measured_policy()).build().unwrap();
    let started = Instant::now();
    let err = client.credits().get_credits().total_timeout(5 * SEC).await.unwrap_err();
    assert_eq!(started.elapsed(), 5 * SEC);
    assert!(matches!(err, Error::Timeout { attempts: 2, total_timeout: Some(t), .. } if t == 5 * SEC), "{err:?}");
    assert_eq!(server.requests().len(), 2, "both attempts went out");
    let text = err.to_string();
    assert!(text.contains("total timeout 5s passed") && text.contains(".total_timeout("), "{text}");
}

#[tokio::test(start_paused = true)]
async fn a_hung_attempt_ends_at_the_total_timeout_not_after_its_own_timeout() {
    // One attempt that hangs 20 s under a 30 s per-attempt timeout: 20 s without a deadline.
    let hung = || late_credits(20 * SEC);
    let server = server().await;
    server.enqueue(Operation::GetCredits, hung());
    let client = builder(&server).retries(measured_policy()).total_timeout(Duration::MAX).build().unwrap();
    let started = Instant::now();
    client.credits().get_credits().await.unwrap();
    assert_eq!(started.elapsed(), 20 * SEC);

    let server = common::server().await;
    server.enqueue(Operation::GetCredits, hung());
    let client = builder(&server).retries(measured_policy()).total_timeout(5 * SEC).build().unwrap();
    let started = Instant::now();
    let err = client.credits().get_credits().await.unwrap_err();
    assert_eq!(started.elapsed(), 5 * SEC);
    assert!(matches!(err, Error::Timeout { attempts: 1, total_timeout: Some(t), .. } if t == 5 * SEC), "{err:?}");
    assert_eq!(server.requests().len(), 1, "no retry begins at the deadline");
}

#[tokio::test(start_paused = true)]
async fn the_default_client_ends_every_call_at_60_seconds() {
    // Default policy (retries start until 60 s) and per-attempt timeout (30 s): without the
    // default deadline a call could last 90 s.
    let server = server().await;
    for _ in 0..10 {
        server.enqueue(Operation::GetCredits, MockResponse::error(200, "late").delay(Duration::from_secs(600)));
    }
    let client = builder(&server).retries(RetryConfig::default()).build().unwrap();
    let started = Instant::now();
    let err = client.credits().get_credits().await.unwrap_err();
    assert_eq!(started.elapsed(), openrouter_credits::DEFAULT_TOTAL_TIMEOUT);
    assert!(matches!(err, Error::Timeout { total_timeout: Some(t), .. } if t == 60 * SEC), "{err:?}");
    assert_eq!(server.requests().len(), 2, "30 s, a jittered wait, then the rest of the minute");
}

#[tokio::test(start_paused = true)]
async fn no_wait_is_begun_that_would_end_past_the_deadline() {
    // The server asks for 3 s; 2 s are left: the 503 is returned at once, with its ask.
    let server = server().await;
    server.enqueue(Operation::GetCredits, MockResponse::error(503, "busy").header("Retry-After", "3"));
    let policy = RetryConfig::default()
        .initial_backoff(100 * MS)
        .max_backoff(10 * SEC)
        .backoff_multiplier(2.0)
        .max_elapsed(60 * SEC)
        .jitter(false);
    let client = builder(&server).retries(policy).total_timeout(2 * SEC).build().unwrap();
    let started = Instant::now();
    let err = client.credits().get_credits().await.unwrap_err();
    assert_eq!(started.elapsed(), Duration::ZERO);
    assert_eq!(err.retry_after(), Some(3 * SEC));
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_call_overrides_the_clients_total_timeout_both_ways() {
    let server = server().await;
    server.enqueue(Operation::GetCredits, late_credits(10 * SEC));
    let client = builder(&server).total_timeout(2 * SEC).build().unwrap();
    let started = Instant::now();
    client.credits().get_credits().total_timeout(20 * SEC).await.unwrap();
    assert_eq!(started.elapsed(), 10 * SEC, "the call's longer deadline let the 10 s answer in");

    server.enqueue(Operation::GetCredits, late_credits(10 * SEC));
    let started = Instant::now();
    let err = client.credits().get_credits().await.unwrap_err();
    assert_eq!(started.elapsed(), 2 * SEC, "the client's deadline");
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
}

#[tokio::test(start_paused = true)]
async fn spendable_ends_at_the_earlier_of_its_timeout_and_the_total_timeout() {
    let server = server().await;
    server.enqueue(Operation::GetCredits, MockResponse::error(200, "late").delay(100 * SEC));
    server.enqueue(Operation::GetCurrentKey, MockResponse::error(200, "late").delay(100 * SEC));
    let client = builder(&server).total_timeout(3 * SEC).build().unwrap();
    let started = Instant::now();
    let err = client.spendable().await.unwrap_err();
    assert_eq!(started.elapsed(), 3 * SEC, "the client's total timeout, under spendable's 30 s");
    let Error::BothFailed { key, credits, .. } = &err else { panic!("{err:?}") };
    for e in [key, credits] {
        assert!(matches!(**e, Error::Timeout { total_timeout: Some(t), .. } if t == 3 * SEC), "{e:?}");
    }
}

#[tokio::test]
async fn a_zero_total_timeout_is_refused_and_nothing_is_sent() {
    let server = server().await;
    let err = builder(&server).total_timeout(Duration::ZERO).build().unwrap_err();
    assert!(matches!(err, Error::InvalidInput { field: "total_timeout", .. }), "{err:?}");

    let client: Client = client(&server);
    let err = client.credits().get_credits().total_timeout(Duration::ZERO).await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput { field: "total_timeout", .. }), "{err:?}");
    assert!(err.to_string().contains("greater than zero"), "{err}");
    assert!(server.requests().is_empty());
}
