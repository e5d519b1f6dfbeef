//! Retry policy on the wire: which outcomes are retried for each operation, how long the waits
//! are, Retry-After, per-call overrides, timeouts, and the charge never sent twice where the
//! server may have acted. All on tokio's paused clock: no real waiting.

mod common;
use common::*;
use openrouter_credits::mock::{MockResponse, MockServer};
use openrouter_credits::{Client, Error, Operation, RetryConfig};
use std::time::{Duration, SystemTime};
use tokio::time::Instant;

const MS: Duration = Duration::from_millis(1);

/// Fast, deterministic backoff: 100 ms, 200 ms, 400 ms … capped at 1 s; 10 s budget.
fn fast() -> RetryConfig {
    RetryConfig::default()
        .initial_backoff(100 * MS)
        .max_backoff(Duration::from_secs(1))
        .backoff_multiplier(2.0)
        .max_elapsed(Duration::from_secs(10))
        .jitter(false)
}

/// Queues `n` copies of `response` for get_credits.
fn queue(server: &MockServer, n: usize, response: MockResponse) {
    for _ in 0..n {
        server.enqueue(Operation::GetCredits, response.clone());
    }
}

fn retrying_client(server: &MockServer) -> Client {
    builder(server).retries(fast()).build().unwrap()
}

#[tokio::test(start_paused = true)]
async fn get_credits_is_retried_on_transient_statuses_only() {
    for (status, retried) in [
        (408, true),
        (429, true),
        (500, true),
        (502, true),
        (503, true),
        (504, true),
        (400, false),
        (401, false),
        (403, false),
        (404, false),
        (410, false),
        (501, false),
    ] {
        let server = server().await;
        server.enqueue(Operation::GetCredits, MockResponse::error(status, "x"));
        let result = retrying_client(&server).credits().get_credits().await;
        let seen = server.requests().len();
        if retried {
            assert!(result.is_ok(), "{status}: {result:?}");
            assert_eq!(seen, 2, "{status}");
        } else {
            assert_eq!(result.unwrap_err().status(), Some(status));
            assert_eq!(seen, 1, "{status}");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn charge_is_not_retried_where_the_server_may_have_acted() {
    for status in [500, 502, 504, 408, 503] {
        let server = server().await;
        server.enqueue(Operation::CreateCoinbaseCharge, MockResponse::error(status, "x"));
        let err = charge(&retrying_client(&server)).await.unwrap_err();
        assert_eq!(err.status(), Some(status));
        assert_eq!(server.requests_for(Operation::CreateCoinbaseCharge).len(), 1, "{status} must not be resent");
        assert_eq!(err.attempts(), Some(1));
    }
}

#[tokio::test(start_paused = true)]
async fn charge_is_retried_on_429_but_not_on_503_even_with_retry_after() {
    // 429: refused before acting, so resent.
    let server = server().await;
    server.enqueue(Operation::CreateCoinbaseCharge, MockResponse::error(429, "slow down"));
    charge(&retrying_client(&server)).await.unwrap();
    assert_eq!(server.requests_for(Operation::CreateCoinbaseCharge).len(), 2);
    // 503, even with Retry-After: nothing proves the server did not act, so not resent, and
    // nothing says to send it again.
    let server = common::server().await;
    server.enqueue(Operation::CreateCoinbaseCharge, MockResponse::error(503, "busy").retry_after("1"));
    let err = charge(&retrying_client(&server)).await.unwrap_err();
    assert_eq!(server.requests_for(Operation::CreateCoinbaseCharge).len(), 1);
    assert!(err.may_have_acted(), "{err:?}");
    assert!(err.hint().unwrap_or_default().contains("before sending it again"), "{:?}", err.hint());
}

#[tokio::test(start_paused = true)]
async fn charge_is_not_retried_after_a_read_timeout() {
    let server = server().await;
    server.enqueue(Operation::CreateCoinbaseCharge, MockResponse::error(200, "late").delay(Duration::from_secs(60)));
    let client = builder(&server).retries(fast()).timeout(Duration::from_secs(2)).build().unwrap();
    let err = charge(&client).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { attempts: 1, .. }), "{err:?}");
    assert_eq!(server.requests_for(Operation::CreateCoinbaseCharge).len(), 1);
}

#[tokio::test(start_paused = true)]
async fn charge_opt_in_retries_like_get_credits() {
    let server = server().await;
    server.enqueue(Operation::CreateCoinbaseCharge, MockResponse::error(500, "x"));
    server.enqueue(Operation::CreateCoinbaseCharge, MockResponse::error(502, "x"));
    charge(&retrying_client(&server)).retry_non_idempotent(true).await.unwrap();
    assert_eq!(server.requests_for(Operation::CreateCoinbaseCharge).len(), 3);
}

#[tokio::test(start_paused = true)]
async fn per_call_policy_beats_the_client_default_both_ways() {
    let server = server().await;
    // Client retries, call says none: one attempt.
    server.enqueue(Operation::GetCredits, MockResponse::error(503, "x"));
    let err = retrying_client(&server).credits().get_credits().retries(RetryConfig::none()).await.unwrap_err();
    assert_eq!((err.status(), err.attempts()), (Some(503), Some(1)));
    // Client says none, call retries: succeeds on the second attempt.
    server.clear_requests();
    server.enqueue(Operation::GetCredits, MockResponse::error(503, "x"));
    let plain = client(&server);
    plain.credits().get_credits().retries(fast()).await.unwrap();
    assert_eq!(server.requests().len(), 2);
    // And the client default still applies to the next call.
    server.enqueue(Operation::GetCredits, MockResponse::error(503, "x"));
    assert_eq!(plain.credits().get_credits().await.unwrap_err().attempts(), Some(1));
}

#[tokio::test(start_paused = true)]
async fn backoff_grows_by_the_multiplier_and_stops_at_max_backoff() {
    let server = server().await;
    queue(&server, 4, MockResponse::error(503, "x"));
    let policy = fast().max_backoff(300 * MS);
    let started = Instant::now();
    builder(&server).retries(policy).build().unwrap().credits().get_credits().await.unwrap();
    // Waits 100 + 200 + 300 (capped) + 300 ms.
    assert_eq!(started.elapsed().as_millis(), 900);
    assert_eq!(server.requests().len(), 5);
}

#[tokio::test(start_paused = true)]
async fn jittered_waits_stay_within_the_backoff() {
    let server = server().await;
    queue(&server, 5, MockResponse::error(500, "x"));
    let policy = fast().max_backoff(300 * MS).jitter(true);
    let started = Instant::now();
    builder(&server).retries(policy).build().unwrap().credits().get_credits().await.unwrap();
    assert!(started.elapsed() <= 100 * MS + 200 * MS + 3 * 300 * MS, "{:?}", started.elapsed());
    assert_eq!(server.requests().len(), 6);
}

/// Full jitter spreads each wait over the whole `[0, backoff]`, not just under its top: 200 calls
/// that each wait once (a 500, then the default answer) on the paused clock, where a wait is
/// exactly the time that passes. A jitter that always waited the whole step (or none, or a
/// fixed share) fails here, as it would not in the test above, which bounds waits from above only.
#[tokio::test(start_paused = true)]
async fn jittered_waits_spread_over_the_whole_backoff() {
    let server = server().await;
    let policy = fast().max_backoff(100 * MS).backoff_multiplier(1.0).jitter(true);
    // Every call fails once: far more retries than the client-wide budget allows (that is its
    // job); this test is about the waits, so the budget is off.
    let budget = openrouter_credits::RetryBudget::unlimited();
    let client = builder(&server).retries(policy).retry_budget(budget).build().unwrap();
    let mut waits = Vec::new();
    for _ in 0..200 {
        server.enqueue(Operation::GetCredits, MockResponse::error(500, "x"));
        let started = Instant::now();
        client.credits().get_credits().await.unwrap();
        waits.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    assert_eq!(server.requests().len(), 400, "one retry per call");
    let (min, max) = waits.iter().fold((f64::MAX, 0.0f64), |(lo, hi), w| (lo.min(*w), hi.max(*w)));
    let mean = waits.iter().sum::<f64>() / waits.len() as f64;
    // Uniform on [0, 100] ms: the mean is 50 ± 2 ms (one standard deviation over 200 draws), and
    // the chance that no draw is below 20 (or above 80) ms is 0.8^200, about 1e-19.
    assert!(max <= 100.0 + 1e-6, "a wait past the backoff: {max} ms");
    assert!(min < 20.0 && max > 80.0, "waits not spread over [0, 100] ms: {min}..{max} ms");
    assert!((40.0..60.0).contains(&mean), "mean wait {mean} ms, not about 50");
}

#[tokio::test(start_paused = true)]
async fn the_whole_call_stops_within_its_budget() {
    let server = server().await;
    queue(&server, 100, MockResponse::error(503, "x"));
    let policy = fast()
        .initial_backoff(500 * MS)
        .max_backoff(500 * MS)
        .backoff_multiplier(1.0)
        .max_elapsed(Duration::from_secs(2));
    let started = Instant::now();
    let err = builder(&server).retries(policy).build().unwrap().credits().get_credits().await.unwrap_err();
    assert!(started.elapsed() <= Duration::from_secs(2));
    // Attempts at 0, 0.5, 1.0 and 1.5 s; a wait to 2.0 s would leave no time to try.
    assert_eq!(err.attempts(), Some(4));
    assert!(err.to_string().contains("after 4 attempts"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn max_attempts_caps_the_count() {
    let server = server().await;
    queue(&server, 10, MockResponse::error(500, "x"));
    let err =
        builder(&server).retries(fast().max_attempts(3)).build().unwrap().credits().get_credits().await.unwrap_err();
    assert_eq!((err.attempts(), server.requests().len()), (Some(3), 3));
}

#[tokio::test(start_paused = true)]
async fn retry_after_in_seconds_is_waited_exactly() {
    let server = server().await;
    server.enqueue(Operation::GetCredits, MockResponse::error(429, "x").retry_after("3"));
    let policy = fast().max_backoff(Duration::from_secs(5)).jitter(true);
    let started = Instant::now();
    builder(&server).retries(policy).build().unwrap().credits().get_credits().await.unwrap();
    assert_eq!(started.elapsed().as_secs(), 3);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn retry_after_as_an_http_date_is_honoured() {
    let server = server().await;
    let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(4));
    server.enqueue(Operation::GetCredits, MockResponse::error(503, "x").retry_after(&date));
    let policy = fast().initial_backoff(10 * MS).max_backoff(Duration::from_secs(5)).jitter(true);
    let (started, real_start) = (Instant::now(), std::time::Instant::now());
    builder(&server).retries(policy).build().unwrap().credits().get_credits().await.unwrap();
    // The date has whole-second precision, so it lies 3 to 4 s after the wall-clock `now`
    // above; the client reads the wall clock again when the 503 arrives, a little later in
    // real time (the paused clock does not stop the wall clock).
    let (waited, real) = (started.elapsed(), real_start.elapsed());
    assert!(waited >= Duration::from_secs(3) - real && waited <= Duration::from_secs(4), "{waited:?} (real {real:?})");
}

#[tokio::test(start_paused = true)]
async fn retry_after_past_the_budget_returns_the_429_at_once() {
    let server = server().await;
    server.enqueue(Operation::GetCredits, MockResponse::error(429, "x").retry_after("30"));
    let started = Instant::now();
    let err = retrying_client(&server).credits().get_credits().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(10), "must not sleep: {:?}", started.elapsed());
    assert!(matches!(err, Error::TooManyRequests(_)));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(30)));
    assert_eq!(server.requests().len(), 1);
    assert!(err.to_string().contains("retry after 30s"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn retry_after_past_max_backoff_also_stops() {
    let server = server().await;
    server.enqueue(Operation::GetCredits, MockResponse::error(429, "x").retry_after("5"));
    // Budget 10 s would fit, but the policy never waits more than 1 s at a time.
    let err = retrying_client(&server).credits().get_credits().await.unwrap_err();
    assert_eq!((err.retry_after(), err.attempts()), (Some(Duration::from_secs(5)), Some(1)));
}

#[tokio::test(start_paused = true)]
async fn malformed_retry_after_falls_back_to_backoff() {
    let server = server().await;
    server.enqueue(Operation::GetCredits, MockResponse::error(429, "x").retry_after("soon"));
    server.enqueue(Operation::GetCredits, MockResponse::error(429, "x").retry_after("-3"));
    let started = Instant::now();
    retrying_client(&server).credits().get_credits().await.unwrap();
    assert_eq!(started.elapsed().as_millis(), 300, "backoff 100 + 200 ms");
    // And a charge's 503 with a malformed Retry-After is not proof of anything: not retried.
    server.enqueue(Operation::CreateCoinbaseCharge, MockResponse::error(503, "x").retry_after("later"));
    let err = charge(&retrying_client(&server)).await.unwrap_err();
    assert_eq!((err.status(), err.retry_after()), (Some(503), None));
    assert_eq!(server.requests_for(Operation::CreateCoinbaseCharge).len(), 1);
}

#[tokio::test(start_paused = true)]
async fn per_attempt_timeout_fires_and_is_retried_for_get_credits() {
    let server = server().await;
    server.enqueue(Operation::GetCredits, MockResponse::error(200, "late").delay(Duration::from_secs(60)));
    let started = Instant::now();
    let credits = retrying_client(&server).credits().get_credits().timeout(Duration::from_secs(1)).await.unwrap();
    assert_eq!(credits.data.total_credits, 100.5);
    // One 1 s timeout, one 100 ms wait, then the default answer.
    assert_eq!(started.elapsed().as_millis(), 1100);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn total_time_is_bounded_by_budget_plus_one_attempt() {
    let server = server().await;
    queue(&server, 50, MockResponse::error(200, "late").delay(Duration::from_secs(600)));
    let policy = fast().max_backoff(100 * MS).backoff_multiplier(1.0).max_elapsed(Duration::from_secs(3));
    let client = builder(&server).retries(policy).timeout(Duration::from_secs(1)).build().unwrap();
    let started = Instant::now();
    let err = client.credits().get_credits().await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(started.elapsed() <= Duration::from_secs(3) + Duration::from_secs(1), "{:?}", started.elapsed());
    assert_eq!(err.attempts(), Some(3), "attempts start at 0, 1.1 and 2.2 s");
}

#[tokio::test(start_paused = true)]
async fn connection_refused_is_retried_only_when_enabled() {
    let url = refused_url().await;
    let with = Client::builder()
        .api_key(KEY)
        .api_key_is_management_key(true)
        .base_url(&url)
        .retries(fast().max_attempts(4))
        .build()
        .unwrap();
    let err = with.credits().get_credits().await.unwrap_err();
    assert!(matches!(err, Error::Transport { connect: true, attempts: 4, .. }), "{err:?}");
    // The charge too: a refused connection never reached the server.
    let err = charge(&with).await.unwrap_err();
    assert_eq!(err.attempts(), Some(4));

    let without = Client::builder()
        .api_key(KEY)
        .api_key_is_management_key(true)
        .base_url(&url)
        .retries(fast().retry_connection_errors(false))
        .build()
        .unwrap();
    let err = without.credits().get_credits().await.unwrap_err();
    assert!(matches!(err, Error::Transport { connect: true, attempts: 1, .. }), "{err:?}");
    assert!(err.to_string().contains("could not connect"), "{err}");
}

/// `max_connect_attempts` caps the attempts at a host that refuses connections, below
/// `max_attempts`; a server that answers (here with 500s) still gets every attempt.
#[tokio::test(start_paused = true)]
async fn max_connect_attempts_caps_only_connection_failures() {
    let url = refused_url().await;
    let policy = fast().max_attempts(5).max_connect_attempts(2);
    let client =
        Client::builder().api_key(KEY).api_key_is_management_key(true).base_url(&url).retries(policy.clone()).build();
    let err = client.unwrap().credits().get_credits().await.unwrap_err();
    assert!(matches!(err, Error::Transport { connect: true, attempts: 2, .. }), "{err:?}");

    let server = server().await;
    queue(&server, 5, MockResponse::error(500, "Internal Server Error"));
    let err = builder(&server).retries(policy).build().unwrap().credits().get_credits().await.unwrap_err();
    assert_eq!(err.attempts(), Some(5), "{err:?}");
    assert_eq!(server.requests_for(Operation::GetCredits).len(), 5);
}

#[tokio::test(start_paused = true)]
async fn dropped_connection_is_retried_for_get_credits_but_not_for_the_charge() {
    let server = server().await;
    server.enqueue(Operation::GetCredits, MockResponse::drop_connection());
    retrying_client(&server).credits().get_credits().await.unwrap();
    assert_eq!(server.requests_for(Operation::GetCredits).len(), 2);

    server.enqueue(Operation::CreateCoinbaseCharge, MockResponse::drop_connection());
    let err = charge(&retrying_client(&server)).await.unwrap_err();
    assert!(matches!(err, Error::Transport { connect: false, attempts: 1, .. }), "{err:?}");
    assert_eq!(server.requests_for(Operation::CreateCoinbaseCharge).len(), 1);
}

#[tokio::test(start_paused = true)]
async fn the_error_is_the_last_attempts_whatever_came_before() {
    // A 503 and then a broken connection: the call fails as a broken connection, not a 503.
    let server = server().await;
    server.enqueue(Operation::GetCredits, MockResponse::error(503, "busy"));
    server.enqueue(Operation::GetCredits, MockResponse::drop_connection());
    let client = builder(&server).retries(fast().max_attempts(2)).build().unwrap();
    let err = client.credits().get_credits().await.unwrap_err();
    assert!(matches!(err, Error::Transport { connect: false, attempts: 2, .. }), "{err:?}");
    assert_eq!(err.status(), None);

    // And the other way round: the 503 that came last is the error, with its status.
    server.enqueue(Operation::GetCredits, MockResponse::drop_connection());
    server.enqueue(Operation::GetCredits, MockResponse::error(503, "busy"));
    let err = client.credits().get_credits().await.unwrap_err();
    assert_eq!((err.status(), err.attempts()), (Some(503), Some(2)), "{err:?}");
    assert_eq!(server.requests_for(Operation::GetCredits).len(), 4);
}

#[tokio::test(start_paused = true)]
async fn a_retried_charge_is_sent_again_byte_for_byte() {
    let server = server().await;
    server.enqueue(Operation::CreateCoinbaseCharge, MockResponse::error(429, "slow down"));
    charge(&retrying_client(&server)).await.unwrap();
    let sent = server.requests_for(Operation::CreateCoinbaseCharge);
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].body, sent[1].body);
    assert_eq!(sent[0].header("authorization"), sent[1].header("authorization"));
    assert_eq!(sent[1].header("authorization"), Some(format!("Bearer {BEARER}").as_str()));
    assert!(sent[1].header("api-version").is_none());
}

/// The deprecated positional constructor keeps its documented clamp: an exponent out of range
/// (below 1, infinite, NaN) is taken as 1, so the waits stay at the initial interval instead of
/// jumping to the maximum (or panicking on an infinite wait). The named setters refuse such a
/// value instead (`out_of_range_settings_are_refused_before_anything_is_sent`).
#[tokio::test(start_paused = true)]
#[allow(deprecated)]
async fn the_deprecated_constructor_takes_an_exponent_out_of_range_as_1() {
    let with = |exponent| RetryConfig::backoff(100 * MS, Duration::from_secs(1), exponent, Duration::from_secs(10));
    for exponent in [f64::INFINITY, f64::NAN, 0.5, -2.0] {
        assert_eq!(with(exponent), with(1.0), "{exponent}");
    }
    let server = server().await;
    queue(&server, 3, MockResponse::error(500, "x"));
    let started = Instant::now();
    builder(&server).retries(with(f64::INFINITY).jitter(false)).build().unwrap().credits().get_credits().await.unwrap();
    // Three waits of 100 ms, not 100 ms and then the 1 s maximum.
    assert_eq!(started.elapsed(), 300 * MS);
    assert_eq!(server.requests().len(), 4);
}

/// The attempt cap a policy reports: one for `none()`, none for backoff alone (only the time
/// budget bounds it), and `max_attempts` (at least 1) when set.
#[test]
fn the_attempt_cap_is_reported() {
    assert_eq!(RetryConfig::none().max_attempts_or_unbounded(), Some(1));
    assert_eq!(RetryConfig::none().max_attempts(5).max_attempts_or_unbounded(), Some(1), "none() never retries");
    assert_eq!(RetryConfig::default().max_attempts_or_unbounded(), None);
    assert_eq!(RetryConfig::default().max_attempts(3).max_attempts_or_unbounded(), Some(3));
    assert_eq!(RetryConfig::default().max_attempts(0).max_attempts_or_unbounded(), Some(1));
}

/// A `retry-after-ms` that is not a wait (negative, infinite) is ignored, and the `Retry-After`
/// beside it is the server's ask: 2 s, exactly.
#[tokio::test(start_paused = true)]
async fn an_invalid_retry_after_ms_falls_back_to_retry_after() {
    for bad in ["-5", "inf", "NaN", "soon"] {
        let server = server().await;
        server.enqueue(
            Operation::GetCredits,
            MockResponse::error(429, "x").header("retry-after-ms", bad).retry_after("2"),
        );
        let policy = fast().max_backoff(Duration::from_secs(5));
        let started = Instant::now();
        builder(&server).retries(policy).build().unwrap().credits().get_credits().await.unwrap();
        assert_eq!(started.elapsed(), Duration::from_secs(2), "retry-after-ms: {bad}");
    }
}

/// A policy out of range is refused with the setting and the rule, whatever the order the
/// settings came in: by `build()` for the client's, and by `send` for a call's own, before
/// anything is sent. On the edge (a max equal to the initial, a multiplier of 1) it is taken.
#[tokio::test(start_paused = true)]
async fn out_of_range_settings_are_refused_before_anything_is_sent() {
    let base = RetryConfig::default();
    let refused = [
        (base.clone().backoff_multiplier(0.5), "backoff_multiplier", "at least 1"),
        (base.clone().backoff_multiplier(f64::NAN), "backoff_multiplier", "got NaN"),
        (base.clone().backoff_multiplier(f64::INFINITY), "backoff_multiplier", "got inf"),
        (
            base.clone().initial_backoff(2 * MS).max_backoff(MS),
            "max_backoff",
            "(1ms) must be at least initial_backoff (2ms)",
        ),
        (
            base.clone().max_backoff(MS).initial_backoff(2 * MS),
            "max_backoff",
            "(1ms) must be at least initial_backoff (2ms)",
        ),
    ];
    let server = server().await;
    for (policy, setting, rule) in refused {
        let err = builder(&server).retries(policy.clone()).build().unwrap_err();
        assert!(matches!(&err, Error::InvalidInput { field, .. } if *field == setting), "{err:?}");
        assert!(err.to_string().contains(rule), "{err}");
        let err = client(&server).credits().get_credits().retries(policy).await.unwrap_err();
        assert!(matches!(&err, Error::InvalidInput { field, .. } if *field == setting), "{err:?}");
        assert_eq!(err.attempts(), None);
    }
    assert!(server.requests().is_empty(), "nothing is sent when a policy is refused");
    let edge = base.initial_backoff(MS).max_backoff(MS).backoff_multiplier(1.0);
    builder(&server).retries(edge.clone()).build().unwrap().credits().get_credits().await.unwrap();
    client(&server).credits().get_credits().retries(edge).await.unwrap();
    assert_eq!(server.requests().len(), 2);
}

/// The named setters give what the deprecated positional constructor gave, and each sets
/// only its own field: the default is unchanged by naming its own values.
#[test]
#[allow(deprecated)]
fn the_named_setters_are_the_positional_constructor_by_name() {
    let named = RetryConfig::default()
        .initial_backoff(100 * MS)
        .max_backoff(Duration::from_secs(1))
        .backoff_multiplier(2.0)
        .max_elapsed(Duration::from_secs(10));
    assert_eq!(named, RetryConfig::backoff(100 * MS, Duration::from_secs(1), 2.0, Duration::from_secs(10)));
    let defaults = RetryConfig::default()
        .initial_backoff(500 * MS)
        .max_backoff(Duration::from_secs(10))
        .backoff_multiplier(1.5)
        .max_elapsed(Duration::from_secs(60));
    assert_eq!(defaults, RetryConfig::default());
    // `none()` never waits, so there is nothing to set on it.
    assert_eq!(RetryConfig::none().initial_backoff(MS).backoff_multiplier(f64::NAN), RetryConfig::none());
}

/// The waits the default policy (500 ms → 10 s × 1.5, 60 s budget) allows when every answer
/// asks for no wait at all: each wait is the backoff step (no jitter: the server's ask, raised
/// to the step), and a wait is made only when it ends before the budget does.
fn default_policy_waits() -> Vec<Duration> {
    let (initial, max, exponent, budget) = (0.5f64, 10.0f64, 1.5f64, Duration::from_secs(60));
    let mut waits = Vec::new();
    let mut elapsed = Duration::ZERO;
    loop {
        let step = Duration::from_secs_f64((initial * exponent.powi(waits.len() as i32)).min(max));
        if step >= budget - elapsed {
            return waits;
        }
        elapsed += step;
        waits.push(step);
    }
}

/// A server answering 429 (or 503) with `Retry-After: 0`, `retry-after-ms: 0` or a
/// date in the past, forever, sees no more requests than the default policy's backoff allows
/// in its 60 s budget, each at least one backoff step after the one before. (Before the fix,
/// one charge call sent ~711 requests a second; here the server gives in after 1000, so a storm
/// ends the call instead of hanging the test.)
#[tokio::test(start_paused = true)]
async fn a_zero_or_past_retry_after_gets_backoff_not_a_retry_storm() {
    let waits = default_policy_waits();
    // 0.5, 0.75, 1.125, … 10, 10, 10 s: 11 waits, 12 attempts in the minute.
    assert_eq!(waits.len(), 11, "{waits:?}");
    let past = "Wed, 21 Oct 2015 07:28:00 GMT";
    let cases = [
        (Operation::CreateCoinbaseCharge, "429 Too Many Requests", "retry-after: 0\r\n".to_owned()),
        (Operation::GetCredits, "429 Too Many Requests", "retry-after: 0\r\n".to_owned()),
        (Operation::CreateCoinbaseCharge, "429 Too Many Requests", "retry-after-ms: 0\r\n".to_owned()),
        (Operation::GetCredits, "503 Service Unavailable", "retry-after: 0\r\n".to_owned()),
        (Operation::GetCredits, "503 Service Unavailable", format!("retry-after: {past}\r\n")),
    ];
    for (op, status, retry_after) in cases {
        let case = format!("{op} {status} {}", retry_after.trim());
        let (status, retry_after, ok) = (status.to_owned(), retry_after.clone(), ok_body(op));
        let server = RawServer::start(move |mut conn| {
            let (status, retry_after) = (status.clone(), retry_after.clone());
            async move {
                let mut answered = 0;
                while conn.read_request().await.is_some() {
                    answered += 1;
                    let response = if answered > 1000 {
                        http_response("200 OK", "", ok)
                    } else {
                        http_response(&status, &retry_after, r#"{"error":{"code":0,"message":"slow down"}}"#)
                    };
                    conn.write(response).await;
                }
            }
        })
        .await;
        let started = Instant::now();
        let result = call(&default_client(&server.base_url()), op).await;
        let seen = server.requests();
        assert_eq!(seen.len(), waits.len() + 1, "{case}: requests the server saw");
        let err = result.expect_err(&case);
        assert_eq!(err.attempts(), Some(seen.len() as u32), "{case}");
        assert!(matches!(err.status(), Some(429 | 503)), "{case}: {err:?}");
        for (i, pair) in seen.windows(2).enumerate() {
            let gap = pair[1].at - pair[0].at;
            assert!(
                gap >= waits[i],
                "{case}: request {} came {gap:?} after the one before, step is {:?}",
                i + 2,
                waits[i]
            );
        }
        assert!(started.elapsed() <= Duration::from_secs(60), "{case}: {:?}", started.elapsed());
    }
}
