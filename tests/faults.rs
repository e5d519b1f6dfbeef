//! The fault matrix: whatever the server or the network does, each call ends in a typed error
//! or a correct retry, with the right attempt count, and no panic. The charge is never sent
//! twice where the server may have acted. Paused clock: timeouts cost no real time.

mod common;
use common::*;
use openrouter_credits::mock::{MockResponse, MockServer};
use openrouter_credits::{Client, Error, Operation, RetryConfig, TransportKind};
use std::time::Duration;
use tokio::time::Instant;

const OPS: [Operation; 2] = [Operation::GetCredits, Operation::CreateCoinbaseCharge];

/// Up to 3 attempts, 10 ms apart, 10 s budget.
fn policy() -> RetryConfig {
    steady(Duration::from_millis(10), Duration::from_secs(10)).max_attempts(3)
}

fn client_for(server: &MockServer) -> Client {
    builder(server).retries(policy()).timeout(Duration::from_secs(2)).build().unwrap()
}

/// Queues `make()` three times for `op`, calls once, returns the error and the requests seen.
async fn failing(op: Operation, make: impl Fn() -> MockResponse) -> (Error, usize) {
    let server = server().await;
    for _ in 0..3 {
        server.enqueue(op, make());
    }
    let err = call(&client_for(&server), op).await.expect_err("scripted to fail");
    (err, server.requests_for(op).len())
}

/// get_credits retries to the cap; the charge is sent once.
fn expected_attempts(op: Operation) -> usize {
    if op == Operation::GetCredits { 3 } else { 1 }
}

#[tokio::test(start_paused = true)]
async fn server_errors_with_json_html_and_empty_bodies() {
    let bodies: [(&str, &str); 3] = [
        ("application/json", r#"{"error":{"code":0,"message":"upstream"}}"#),
        ("text/html", "<html><body><h1>Bad gateway</h1></body></html>"),
        ("text/plain", ""),
    ];
    for op in OPS {
        for status in [500, 502, 503, 504] {
            for (content_type, body) in bodies {
                let (err, seen) =
                    failing(op, || MockResponse::status(status).content_type(content_type).body(body)).await;
                let case = format!("{op} {status} {content_type}");
                assert_eq!(err.status(), Some(status), "{case}");
                assert_eq!(seen, expected_attempts(op), "{case}");
                assert_eq!(err.attempts(), Some(seen as u32), "{case}");
                let api = err.api().unwrap();
                match content_type {
                    "application/json" => assert_eq!(api.message(), Some("upstream"), "{case}"),
                    _ => assert_eq!(api.raw_body(), Some(body), "{case}"),
                }
            }
        }
    }
}

#[tokio::test(start_paused = true)]
async fn rate_limits_with_every_kind_of_retry_after() {
    for op in OPS {
        // Seconds: honoured, then the default answer.
        let server = server().await;
        server.enqueue(op, MockResponse::error(429, "slow").retry_after("0"));
        call(&client_for(&server), op).await.unwrap();
        assert_eq!(server.requests_for(op).len(), 2, "{op}");

        // HTTP date in the past: retry at once.
        let server = common::server().await;
        server.enqueue(op, MockResponse::error(429, "slow").retry_after("Wed, 21 Oct 2015 07:28:00 GMT"));
        call(&client_for(&server), op).await.unwrap();
        assert_eq!(server.requests_for(op).len(), 2, "{op}");

        // Past the budget: returned at once, with retry_after() for the caller.
        let (err, seen) = failing(op, || MockResponse::error(429, "slow").retry_after("3600")).await;
        assert_eq!((seen, err.retry_after()), (1, Some(Duration::from_secs(3600))), "{op}");
        assert!(matches!(err, Error::TooManyRequests(_)));

        // Garbage: ignored, backoff applies; 429 is safe to retry for both.
        let (err, seen) = failing(op, || MockResponse::error(429, "slow").retry_after("tomorrow-ish")).await;
        assert_eq!((seen, err.retry_after()), (3, None), "{op}");
    }
}

#[tokio::test(start_paused = true)]
async fn connection_reset_before_any_response() {
    for op in OPS {
        let (err, seen) = failing(op, MockResponse::drop_connection).await;
        let Error::Transport { connect: false, source, .. } = &err else { panic!("{op}: {err:?}") };
        // hyper's `is_incomplete_message()`: the connection closed before the response.
        assert_eq!(source.kind(), openrouter_credits::TransportKind::Reset, "{op}: {err}");
        assert_eq!(seen, expected_attempts(op), "{op}");
    }
}

/// A 200 whose body broke: the server acted (for a charge, it probably created one), so the
/// error keeps the status and says so, and the charge is not resent.
#[tokio::test(start_paused = true)]
async fn connection_reset_after_a_success_status_keeps_the_status() {
    let body = r#"{"data":{"total_credits":1.0,"total_usage":0.5}}"#;
    for op in OPS {
        let (err, seen) = failing(op, || MockResponse::status(200).body(body).reset_body_after(10)).await;
        assert!(matches!(err, Error::ResponseInterrupted { .. }), "{op}: {err:?}");
        assert_eq!((err.status(), err.attempts()), (Some(200), Some(seen as u32)), "{op}");
        assert!(err.may_have_acted(), "{op}");
        // What to do differs: a read may be sent again; a charge must be checked first.
        let (advice, hint) = if op.is_idempotent() {
            ("sending it again is safe", "try again")
        } else {
            ("check before sending it again", "probably acted")
        };
        assert!(err.to_string().contains("HTTP 200") && err.to_string().contains(advice), "{op}: {err}");
        assert!(err.hint().unwrap().contains(hint), "{op}: {err:?}");
        assert_eq!(seen, expected_attempts(op), "{op}");
    }
}

#[tokio::test(start_paused = true)]
async fn headers_that_never_come_hit_the_attempt_timeout() {
    for op in OPS {
        let started = Instant::now();
        let (err, seen) = failing(op, || MockResponse::status(200).delay(Duration::from_secs(3600))).await;
        assert!(matches!(err, Error::Timeout { .. }), "{op}: {err:?}");
        assert_eq!(seen, expected_attempts(op), "{op}");
        // Each attempt is cut at its 2 s timeout, plus the 10 ms waits between them.
        let want = 2000 * seen as u128 + 10 * (seen as u128 - 1);
        assert_eq!(started.elapsed().as_millis(), want, "{op}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_body_that_stalls_half_way_hits_the_attempt_timeout() {
    let body = r#"{"data":{"total_credits":1.0,"total_usage":0.5}}"#;
    for op in OPS {
        let (err, seen) = failing(op, || MockResponse::status(200).body(body).stall_body_after(20)).await;
        // The status came before the stall: the server acted.
        let Error::ResponseInterrupted { source, .. } = &err else { panic!("{op}: {err:?}") };
        assert_eq!(source.kind(), openrouter_credits::TransportKind::Timeout, "{op}");
        // The crate's own deadline: the host named, the request counted as written (a charge is
        // not resent), tokio's `Elapsed` underneath.
        assert!(source.request_written(), "{op}");
        assert!(source.to_string().starts_with("timed out for 127.0.0.1:"), "{op}: {source}");
        let cause = std::error::Error::source(source).expect("a cause");
        assert!(cause.downcast_ref::<tokio::time::error::Elapsed>().is_some(), "{op}: {cause:?}");
        assert_eq!(err.status(), Some(200));
        assert_eq!(seen, expected_attempts(op), "{op}");
    }
}

/// `Duration::MAX` as a timeout means none (it cannot be added to the clock): the call goes
/// through, client-wide or per call.
#[tokio::test]
async fn a_timeout_too_long_for_the_clock_is_no_timeout() {
    let server = server().await;
    let client = builder(&server).timeout(Duration::MAX).build().unwrap();
    client.credits().get_credits().await.unwrap();
    charge(&client).timeout(Duration::MAX).await.unwrap();
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn bad_success_bodies_are_decode_errors_and_not_retried() {
    // Numbers sent as strings: the message carries the field's whole path.
    let credits_as_strings = r#"{"data":{"total_credits":"1.0","total_usage":"0.5"}}"#.to_owned();
    let charge = |operator: &str, chain_id: &str| {
        format!(
            r#"{{"data":{{"id":"c1","created_at":"t","expires_at":"t","web3_data":{{"transfer_intent":{{
            "call_data":{{"deadline":"t","fee_amount":"1","id":"0x1","operator":"{operator}","prefix":"0x3",
            "recipient":"0x{a}","recipient_amount":"9","recipient_currency":"0x{a}","refund_destination":"0x{a}",
            "signature":"0x7"}},"metadata":{{"chain_id":{chain_id},"contract_address":"0x{a}","sender":"0x{a}"}}}}}}}}}}"#,
            a = "ab".repeat(20)
        )
    };
    let address = format!("0x{}", "12".repeat(20));
    for op in OPS {
        let (as_strings, path) = match op {
            Operation::GetCredits => (credits_as_strings.clone(), "data.total_credits"),
            // (An address that is not one decodes: upstream types it as a plain string; see
            // wire.rs, a_charge_whose_addresses_are_not_addresses_still_decodes.)
            _ => (charge(&address, "\"1\""), "data.web3_data.transfer_intent.metadata.chain_id"),
        };
        let cases = vec![
            ("application/json", r#"{"data":{"total_credits":1.0,"#.to_owned(), "EOF"),
            ("text/html", "<html>maintenance</html>".to_owned(), "expected value"),
            ("application/json", as_strings, path),
            ("application/json", r#"{"data":{}}"#.to_owned(), "missing field"),
            ("application/json", String::new(), "EOF"),
        ];
        for (content_type, body, needle) in cases {
            let (err, seen) =
                failing(op, || MockResponse::status(200).content_type(content_type).body(body.clone())).await;
            let Error::Decode { message, status, .. } = &err else { panic!("{op} {body}: {err:?}") };
            assert_eq!(*status, 200);
            assert!(message.contains(needle), "{op} {body}: {message}");
            assert_eq!(seen, 1, "a decode error is not retried");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_wrong_content_type_on_a_valid_body_is_accepted() {
    let server = server().await;
    let body = r#"{"data":{"total_credits":7.0,"total_usage":1.0}}"#;
    server.enqueue(Operation::GetCredits, MockResponse::status(200).content_type("text/plain").body(body));
    let credits = client_for(&server).credits().get_credits().await.unwrap();
    assert_eq!(credits.data.total_credits, 7.0);
}

#[tokio::test(start_paused = true)]
async fn huge_bodies_are_refused_past_the_cap_without_reading_them() {
    const HUNDRED_MB: u64 = 100 * 1024 * 1024;
    for op in OPS {
        for declare_length in [true, false] {
            let server = server().await;
            server.enqueue(op, MockResponse::large_body(HUNDRED_MB, declare_length));
            let err = call(&client_for(&server), op).await.unwrap_err();
            let Error::ResponseTooLarge { limit, status, .. } = &err else { panic!("{op}: {err:?}") };
            assert_eq!((*limit, *status), (openrouter_credits::DEFAULT_MAX_RESPONSE_BYTES, 200));
            assert_eq!(server.requests_for(op).len(), 1, "not retried");
        }
    }
    // A smaller cap applies to error bodies too.
    let server = server().await;
    server.enqueue(Operation::GetCredits, MockResponse::status(500).body(vec![b'x'; 4096]));
    let client = builder(&server).max_response_bytes(1024).build().unwrap();
    let err = client.credits().get_credits().await.unwrap_err();
    assert!(matches!(err, Error::ResponseTooLarge { limit: 1024, .. }), "{err:?}");
    assert_eq!(err.status(), Some(500));
}

#[tokio::test(start_paused = true)]
async fn redirects_are_not_followed_so_credentials_stay_put() {
    for op in OPS {
        let server = server().await;
        let elsewhere = common::server().await;
        let target = format!("{}/credits", elsewhere.base_url());
        server.enqueue(op, MockResponse::status(307).header("location", &target));
        let err = call(&client_for(&server), op).await.unwrap_err();
        assert!(matches!(err, Error::Api(_)), "{op}: {err:?}");
        assert_eq!(err.status(), Some(307));
        assert!(elsewhere.requests().is_empty(), "{op}: the request (and its Authorization) must not follow");
        assert_eq!(server.requests_for(op).len(), 1);
    }
}

#[tokio::test(start_paused = true)]
async fn plain_http_to_a_remote_host_is_refused_before_sending() {
    for url in ["http://openrouter.ai/api/v1", "http://192.168.1.10:8080/api/v1"] {
        let err = Client::builder().api_key(KEY).api_key_is_management_key(true).base_url(url).build().unwrap_err();
        assert!(matches!(err, Error::InvalidInput { field: "base_url", .. }), "{url}: {err:?}");
        let server = server().await;
        let err = client_for(&server).credits().get_credits().base_url(url).await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput { field: "base_url", .. }));
        assert!(server.requests().is_empty());
    }
}

/// For the charge (not idempotent), wherever the server may have acted — a 5xx, a
/// timeout after the request was written, a connection that broke after it, a body that broke
/// off — neither the message nor the hint suggests sending it again; both say to check first.
/// For `get_credits`, sending it again is what they suggest.
#[tokio::test(start_paused = true)]
async fn hints_never_suggest_resending_a_charge_the_server_may_have_acted_on() {
    type Fault = fn() -> MockResponse;
    let faults: [(&str, Fault); 7] = [
        ("500", || MockResponse::status(500)),
        ("502", || MockResponse::status(502).content_type("text/html").body("<h1>Bad gateway</h1>")),
        ("503", || MockResponse::error(503, "overloaded")),
        ("504", || MockResponse::status(504)),
        ("timeout", || MockResponse::status(200).delay(Duration::from_secs(3600))),
        ("reset after write", MockResponse::drop_connection),
        ("body broke off", || MockResponse::status(200).body(r#"{"data":{"total_credits":1.0}}"#).reset_body_after(10)),
    ];
    for (case, make) in faults {
        let (err, seen) = failing(Operation::CreateCoinbaseCharge, make).await;
        assert_eq!(seen, 1, "{case}: sent once");
        assert!(err.may_have_acted(), "{case}: {err:?}");
        let hint = err.hint().unwrap_or_else(|| panic!("{case}: a hint: {err:?}"));
        let text = err.to_string();
        assert!(hint.contains("before sending it again"), "{case}: {hint}");
        for advice in [&hint, &text.as_str()] {
            let lower = advice.to_ascii_lowercase();
            assert!(!lower.contains("try again") && !lower.contains("is safe"), "{case}: {advice}");
            assert!(!lower.contains("raise it") && !lower.contains("raise the timeout"), "{case}: {advice}");
        }

        let (err, _) = failing(Operation::GetCredits, make).await;
        let hint = err.hint().unwrap_or_default();
        assert!(!hint.contains("before sending it again"), "{case}: a read may be sent again: {hint}");
    }
}

/// An error status whose body broke off is that status's error, not "the server probably
/// acted": a 403 stays `Forbidden` (what to do is in the status), whatever the body did.
#[tokio::test(start_paused = true)]
async fn an_error_status_whose_body_broke_keeps_its_variant() {
    let body = r#"{"error":{"code":403,"message":"Only management keys can perform this operation"}}"#;
    for op in OPS {
        let (err, seen) = failing(op, || MockResponse::status(403).body(body).reset_body_after(10)).await;
        assert!(matches!(err, Error::Forbidden(_)), "{op}: {err:?}");
        // A broken body is a connection failure: retried like one (reads only), as above.
        assert_eq!((err.status(), seen), (Some(403), expected_attempts(op)), "{op}");
        assert!(!err.may_have_acted(), "{op}: {err:?}");
    }
}

// Transport failures on real sockets (hand-written servers, where the mock cannot misbehave
// enough): each classified and named, the permanent ones tried once.

/// Refused: a port nothing listens on. The request was never written, so even the
/// charge may be retried, within the budget; the message names the failure and the address.
#[tokio::test(start_paused = true)]
async fn connection_refused_is_named_and_retried_only_within_the_budget() {
    let url = refused_url().await;
    let port = url.trim_start_matches("http://127.0.0.1:").split('/').next().unwrap().to_owned();
    for op in [Operation::GetCredits, Operation::CreateCoinbaseCharge] {
        let started = Instant::now();
        let err = call(&default_client(&url), op).await.unwrap_err();
        let Error::Transport { source, connect: true, attempts, .. } = &err else { panic!("{op}: {err:?}") };
        assert_eq!(source.kind(), TransportKind::Refused, "{op}");
        assert!(!source.request_written());
        assert!(*attempts > 1, "{op}: a refused connection can heal (a restart): retried");
        assert!(started.elapsed() < Duration::from_secs(60), "{op}: {:?}", started.elapsed());
        let text = err.to_string();
        assert!(text.contains(&format!("could not connect: connection refused for 127.0.0.1:{port}")), "{text}");
        assert!(!err.may_have_acted());
    }
    // Without connection retries: exactly one attempt.
    let client = builder_for(&url).retries(RetryConfig::default().retry_connection_errors(false)).build().unwrap();
    assert_eq!(client.credits().get_credits().await.unwrap_err().attempts(), Some(1));
}

/// DNS: a `.invalid` name never resolves (RFC 6761; resolvers may answer NXDOMAIN
/// without asking anyone, and the local one here answers at once). Permanent: one attempt (of the three the policy allows), fast, and named. Real
/// clock: the lookup runs on a blocking thread. A resolver that does not answer at all within
/// the 2 s connect timeout fails this test (it used to pass silently): the DNS verdict was then
/// never checked, and a machine whose resolver hangs is one to fix, not to pass on.
#[cfg(tls)]
#[tokio::test]
async fn an_unknown_host_is_a_dns_error_tried_once() {
    let client = builder_for("https://nosuchhost.invalid/api/v1")
        .connect_timeout(Duration::from_secs(2))
        .retries(RetryConfig::default().max_attempts(3))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let err = client.credits().get_credits().await.unwrap_err();
    let Error::Transport { source, connect: true, .. } = &err else { panic!("{err:?}") };
    assert_ne!(
        source.kind(),
        TransportKind::Timeout,
        "the resolver did not answer `nosuchhost.invalid` within the 2 s connect timeout, so the DNS \
         verdict cannot be checked here (`getent hosts nosuchhost.invalid` should fail at once): {err}"
    );
    assert_eq!(source.kind(), TransportKind::Dns, "{err}");
    assert_eq!(err.attempts(), Some(1), "{err}");
    assert!(err.to_string().contains("could not connect: DNS lookup failed for nosuchhost.invalid:443"), "{err}");
    assert_eq!(err.hint(), Some("check the host name in the base URL"));
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
}

/// Reset: the server reads the request and resets the connection. The charge was
/// written, so it is not resent; get_credits is retried (a reset can heal).
#[tokio::test(start_paused = true)]
async fn a_reset_connection_is_named_and_the_charge_is_not_resent() {
    let server = RawServer::start(|mut conn| async move {
        if conn.read_request().await.is_some() {
            conn.reset();
        }
    })
    .await;
    let err = charge(&default_client(&server.base_url())).await.unwrap_err();
    let Error::Transport { source, connect: false, attempts: 1, .. } = &err else { panic!("{err:?}") };
    assert_eq!(source.kind(), TransportKind::Reset, "{err}");
    assert!(err.to_string().contains(&format!("connection failed: connection reset for {}", server.addr)), "{err}");
    assert_eq!(server.requests().len(), 1, "the charge must not be resent");
    assert!(err.may_have_acted());

    let policy = RetryConfig::default().max_attempts(3);
    let client = builder_for(&server.base_url()).retries(policy).build().unwrap();
    let err = client.credits().get_credits().await.unwrap_err();
    assert_eq!(err.attempts(), Some(3), "{err:?}");
    assert_eq!(server.requests().len(), 4);
}

/// Protocol: a server that answers something other than HTTP/1.x. Permanent: one
/// attempt, even for get_credits with the default policy, and the message says what came.
#[tokio::test(start_paused = true)]
async fn a_server_that_does_not_speak_http_is_a_protocol_error_tried_once() {
    for reply in ["HTTP/9.9 200 OK\r\ncontent-length: 2\r\n\r\n{}", "SSH-2.0-OpenSSH_9.6\r\n"] {
        let server = RawServer::start(move |mut conn| async move {
            if conn.read_request().await.is_some() {
                conn.write(reply).await;
            }
        })
        .await;
        for op in [Operation::GetCredits, Operation::CreateCoinbaseCharge] {
            let err = call(&default_client(&server.base_url()), op).await.unwrap_err();
            let Error::Transport { source, attempts: 1, .. } = &err else { panic!("{reply:?} {op}: {err:?}") };
            assert_eq!(source.kind(), TransportKind::Protocol, "{reply:?} {op}: {err}");
            let text = err.to_string();
            assert!(text.contains(&format!("protocol error for {}", server.addr)), "{text}");
            assert!(text.contains("invalid HTTP version"), "the root cause: {text}");
            let hint = err.hint().unwrap();
            assert!(hint.contains("did not answer in HTTP"), "{hint}");
            // The charge was written: the server may have acted, so no hint invites a resend.
            assert_eq!(hint.contains("before sending it again"), !op.is_idempotent(), "{op}: {hint}");
        }
        assert_eq!(server.requests().len(), 2, "{reply:?}: one request per call");
    }
}

/// A charge answered 200 whose body then broke (closed after a third of its
/// `Content-Length`; or bad chunked framing) is not a network error: the status is kept, the
/// server probably acted, and the charge is not resent.
#[tokio::test(start_paused = true)]
async fn a_charge_whose_200_body_broke_keeps_the_status_and_is_not_resent() {
    let cases = [
        (
            "truncated",
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"data\":",
            TransportKind::Reset,
        ),
        (
            "bad chunk size",
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n8\r\n{\"data\":\r\nZZ\r\n",
            TransportKind::Protocol,
        ),
    ];
    for (case, reply, kind) in cases {
        let server = RawServer::start(move |mut conn| async move {
            if conn.read_request().await.is_some() {
                conn.write(reply).await;
            }
        })
        .await;
        let err = charge(&default_client(&server.base_url())).await.unwrap_err();
        let Error::ResponseInterrupted { status, attempts: 1, source, .. } = &err else { panic!("{case}: {err:?}") };
        assert_eq!(*status, 200, "{case}");
        assert_eq!(server.requests().len(), 1, "{case}: sent exactly once");
        assert!(err.may_have_acted(), "{case}");
        assert!(err.hint().unwrap().contains("before sending it again"), "{case}");
        assert!(err.to_string().contains("HTTP 200 OK came, then the response body broke off"), "{case}: {err}");
        // By type: hyper's decoder reports an early end as `UnexpectedEof`, bad framing as
        // `InvalidInput`, both inside a `hyper::Error`; no word of theirs is read.
        assert_eq!(source.kind(), kind, "{case}: classified: {source}");
    }
}

/// A transport failure states its root cause once: `connection refused for 127.0.0.1:P (os error
/// 111)`, not `… (Connection refused (os error 111))`.
#[tokio::test]
async fn a_refused_connection_states_its_cause_once() {
    let url = refused_url().await;
    let client = Client::builder().api_key(KEY).base_url(&url).retries(RetryConfig::none()).build().unwrap();
    let err = client.api_keys().get_current_key().await.unwrap_err();
    let Error::Transport { source, .. } = &err else { panic!("{err:?}") };
    let text = source.to_string();
    assert!(text.starts_with("connection refused for 127.0.0.1:"), "{text}");
    assert_eq!(text.to_ascii_lowercase().matches("connection refused").count(), 1, "{text}");
    assert!(text.ends_with("(os error 111)"), "{text}");
}
