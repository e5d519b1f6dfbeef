//! Connections: pooled ones the server has just closed (the charge on a fresh one, reads
//! retried), idle ones dropped before a server would drop them, and what the crate still enforces
//! on a user's own `reqwest::Client`. Real sockets on loopback (hand-written servers where the
//! mock cannot misbehave enough); tokio's paused clock where time matters.

mod common;
use common::*;
use openrouter_credits::mock::MockResponse;
use openrouter_credits::{Error, Operation};
use std::time::Duration;
use tokio::time::Instant;

/// Runs a [`RawServer`] on a runtime of its own (its own worker thread), as a real server runs
/// apart from its clients: the timing of its close then races the client's next request.
fn server_on_its_own_runtime<F, Fut>(serve: F) -> (tokio::runtime::Runtime, RawServer)
where
    F: Fn(RawConn) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let server = runtime.block_on(RawServer::start(serve));
    (runtime, server)
}

/// Answers one request with `Connection: keep-alive`, then closes the socket 1 ms later (as a
/// load balancer does at its idle timeout), without reading anything more.
fn answer_then_close(body: &'static str) -> (tokio::runtime::Runtime, RawServer) {
    server_on_its_own_runtime(move |mut conn| async move {
        if conn.read_request().await.is_some() {
            conn.write(http_response("200 OK", "connection: keep-alive\r\n", body)).await;
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
}

/// The server answers with `Connection: keep-alive` and closes the socket right after.
/// A charge written onto that pooled connection is reset unread, and, being possibly acted on as
/// far as the client can tell, is not retried: on pooled connections about every second charge
/// fails here (100 of 200). With `fresh_connections_for_non_idempotent(true)` a charge goes on a
/// fresh connection: every one succeeds, each reaches the server exactly once.
#[test]
fn charges_after_the_server_closed_a_pooled_connection_succeed_and_are_sent_once() {
    const CHARGES: usize = 100;
    let (_server_runtime, server) = answer_then_close(CHARGE_OK);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let failed: Vec<String> = runtime.block_on(async {
        let client = builder_for(&server.base_url()).fresh_connections_for_non_idempotent(true).build().unwrap();
        let mut failed = Vec::new();
        for i in 0..CHARGES {
            if let Err(e) = charge(&client).await {
                failed.push(format!("charge {i}: {e}"));
            }
        }
        failed
    });
    assert!(failed.is_empty(), "{} of {CHARGES} charges failed: {:#?}", failed.len(), &failed[..failed.len().min(3)]);
    assert_eq!(server.requests().len(), CHARGES, "each charge reached the server exactly once");
    assert_eq!(server.connections(), CHARGES, "a fresh connection for each charge");
}

/// get_credits keeps the pool (a fresh connection per balance check would cost a
/// handshake each); a request reset on a connection the server just closed is retried, being
/// idempotent, and the server still sees each call once.
#[test]
fn reads_after_the_server_closed_a_pooled_connection_succeed_and_reach_the_server_once() {
    const CALLS: usize = 100;
    let (_server_runtime, server) = answer_then_close(CREDITS_OK);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let failed = runtime.block_on(async {
        // The default policy, with millisecond waits: real time, and the test must be quick.
        let quick = steady(Duration::from_millis(1), Duration::from_secs(10)).jitter(true);
        let client = builder_for(&server.base_url()).retries(quick).build().unwrap();
        let mut failed = 0;
        for _ in 0..CALLS {
            failed += usize::from(client.credits().get_credits().await.is_err());
        }
        failed
    });
    assert_eq!(failed, 0, "of {CALLS}");
    assert_eq!(server.requests().len(), CALLS);
}

/// On the user's own `reqwest::Client` the crate still enforces its
/// per-attempt timeout, the response size cap and its retry policy.
#[tokio::test(start_paused = true)]
async fn a_users_http_client_still_gets_the_timeout_the_size_cap_and_the_retry_policy() {
    let server = server().await;
    let own = reqwest::Client::builder().no_proxy().build().unwrap();
    let client = builder(&server)
        .http_client(own)
        .timeout(Duration::from_secs(2))
        .retries(steady(Duration::from_millis(10), Duration::from_secs(60)).jitter(true).max_attempts(2))
        .build()
        .unwrap();

    // Timeout: headers that never come end each attempt at 2 s; the charge is not resent.
    server.enqueue(Operation::CreateCoinbaseCharge, MockResponse::status(200).delay(Duration::from_secs(3600)));
    let started = Instant::now();
    let err = charge(&client).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { attempts: 1, .. }), "{err:?}");
    assert_eq!(started.elapsed(), Duration::from_secs(2));

    // Size cap: a 100 MB body is refused after the cap.
    server.enqueue(Operation::GetCredits, MockResponse::large_body(100 << 20, true));
    let err = client.credits().get_credits().await.unwrap_err();
    assert!(matches!(err, Error::ResponseTooLarge { .. }), "{err:?}");

    // Retries: a 503 is retried by the crate's policy, not the user's client.
    server.enqueue(Operation::GetCredits, MockResponse::error(503, "busy"));
    server.clear_requests();
    client.credits().get_credits().await.unwrap();
    assert_eq!(server.requests().len(), 2);
}

/// An idle pooled connection is dropped after 20 s, below the 60–75 s
/// keep-alive of common servers and proxies, so a request is not written onto a connection the
/// server is about to close. Reused within 20 s, a new one after. Paused clock: the pool's timer
/// is tokio's.
#[tokio::test(start_paused = true)]
async fn idle_pooled_connections_are_not_reused_after_20_seconds() {
    let server = RawServer::start(|mut conn| async move {
        while conn.read_request().await.is_some() {
            conn.write(http_response("200 OK", "connection: keep-alive\r\n", CREDITS_OK)).await;
        }
    })
    .await;
    let client = default_client(&server.base_url());
    client.credits().get_credits().await.unwrap();
    tokio::time::sleep(Duration::from_secs(19)).await;
    client.credits().get_credits().await.unwrap();
    assert_eq!(server.connections(), 1, "idle 19 s: reused");
    tokio::time::sleep(Duration::from_secs(21)).await;
    client.credits().get_credits().await.unwrap();
    assert_eq!(server.connections(), 2, "idle 21 s: a new connection");
    assert_eq!(server.requests().len(), 3);
}
