//! The tracing output of failing calls, and their errors, hold no secret.
//!
//! Alone in its own test binary: tracing caches each callsite's interest globally, and a
//! concurrent test emitting the same events without a subscriber could make them be skipped here.

mod common;
use common::*;
use openrouter_credits::mock::MockResponse;
use openrouter_credits::{Client, Operation, RetryConfig};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A `MakeWriter` collecting everything tracing writes.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test(start_paused = true)]
async fn errors_and_trace_output_of_failing_calls_hold_no_secret() {
    let capture = Capture::default();
    let subscriber =
        tracing_subscriber::fmt().with_writer(capture.clone()).with_max_level(tracing::Level::TRACE).finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = server().await;
    let retrying = steady(Duration::from_millis(10), Duration::from_secs(1)).jitter(true);
    let client = builder(&server).retries(retrying).build().unwrap();
    // Upstream echoing the credential back must not carry it into our error.
    server.enqueue(Operation::GetCredits, MockResponse::error(401, &format!("bad key {KEY}")));
    server.enqueue(Operation::CreateCoinbaseCharge, MockResponse::error(429, &format!("slow down {BEARER}")));
    server.enqueue(Operation::CreateCoinbaseCharge, MockResponse::status(500).body(format!("<p>{BEARER}</p>")));
    let e1 = client.credits().get_credits().await.unwrap_err();
    let e2 = charge(&client).await.unwrap_err();
    assert_eq!(e2.status(), Some(500));
    assert_eq!(e2.attempts(), Some(2), "429 retried, then the 500 returned");
    for e in [&e1, &e2] {
        assert_clean(&format!("{e} {e:?} {:?}", e.api()));
    }
    let dead = Client::builder()
        .api_key(KEY)
        .api_key_is_management_key(true)
        .base_url("http://127.0.0.1:1")
        .retries(RetryConfig::none())
        .build()
        .unwrap();
    let e3 = dead.credits().get_credits().await.unwrap_err();
    assert_clean(&format!("{e3} {e3:?}"));

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("attempt"), "tracing must show attempts: {logs}");
    assert_clean(&logs);
}
