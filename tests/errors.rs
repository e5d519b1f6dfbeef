//! Every status maps to its variant, keeps its status, and keeps upstream's message or the raw
//! body; success bodies that do not decode say which field is wrong.

mod common;
use common::*;
use openrouter_credits::mock::{GONE_MESSAGE, MockResponse};
use openrouter_credits::{Error, Operation};

fn variant(e: &Error) -> &'static str {
    match e {
        Error::BadRequest(_) => "BadRequest",
        Error::Unauthorized(_) => "Unauthorized",
        Error::PaymentRequired(_) => "PaymentRequired",
        Error::Forbidden(_) => "Forbidden",
        Error::NotFound(_) => "NotFound",
        Error::Gone(_) => "Gone",
        Error::TooManyRequests(_) => "TooManyRequests",
        Error::InternalServer(_) => "InternalServer",
        Error::Api(_) => "Api",
        Error::Decode { .. } => "Decode",
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn each_status_maps_to_its_variant_with_upstream_message() {
    let server = server().await;
    let client = client(&server);
    let cases = [
        (Operation::GetCredits, 401, "Unauthorized"),
        (Operation::GetCredits, 403, "Forbidden"),
        (Operation::GetCredits, 500, "InternalServer"),
        (Operation::GetCredits, 418, "Api"),
        (Operation::GetCredits, 503, "Api"),
        (Operation::CreateCoinbaseCharge, 400, "BadRequest"),
        (Operation::CreateCoinbaseCharge, 401, "Unauthorized"),
        (Operation::CreateCoinbaseCharge, 429, "TooManyRequests"),
        (Operation::CreateCoinbaseCharge, 500, "InternalServer"),
        (Operation::CreateCoinbaseCharge, 410, "Gone"),
        (Operation::CreateCoinbaseCharge, 404, "NotFound"),
        (Operation::GetCurrentKey, 402, "PaymentRequired"),
        (Operation::GetCurrentKey, 409, "Api"),
    ];
    for (op, status, want) in cases {
        server.enqueue(op, MockResponse::error(status, &format!("upstream says {status}")));
        let err = match op {
            Operation::GetCredits => client.credits().get_credits().await.map(|_| ()),
            Operation::GetCurrentKey => client.api_keys().get_current_key().await.map(|_| ()),
            _ => charge(&client).await.map(|_| ()),
        }
        .unwrap_err();
        assert_eq!(variant(&err), want, "{status}");
        assert_eq!(err.status(), Some(status));
        let api = err.api().unwrap();
        assert_eq!(api.code(), Some(i64::from(status)));
        assert_eq!(api.message(), Some(format!("upstream says {status}").as_str()));
        assert!(
            err.to_string().contains(&format!("HTTP {status}")) && err.to_string().contains("upstream says"),
            "{err}"
        );
        assert_eq!(err.attempts(), Some(1));
    }
}

#[tokio::test]
async fn the_retired_charge_endpoint_is_a_clear_gone_error() {
    let server = server().await;
    server.set_coinbase_gone(true);
    let err = charge(&client(&server)).await.unwrap_err();
    let Error::Gone(api) = &err else { panic!("{err:?}") };
    assert_eq!(api.status(), 410);
    assert_eq!(api.message(), Some(GONE_MESSAGE));
    let shown = err.to_string();
    // Upstream's message says what replaces the endpoint; the hint says to read it.
    assert!(shown.contains("HTTP 410 Gone") && shown.contains("web credits purchase flow"), "{shown}");
    assert!(err.hint().unwrap().contains("retired upstream"));
    assert!(!err.may_have_acted());
}

#[tokio::test]
async fn an_html_error_page_keeps_its_status_and_text() {
    let server = server().await;
    let client = client(&server);
    let page = "<html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>";
    // 502 is undocumented, 500 documented: both must come back with their status, not as a
    // decode error (progenitor alone turns the documented one into InvalidResponsePayload).
    for (status, want) in [(502, "Api"), (500, "InternalServer")] {
        server.enqueue(Operation::GetCredits, MockResponse::status(status).content_type("text/html").body(page));
        let err = client.credits().get_credits().await.unwrap_err();
        assert_eq!(variant(&err), want);
        assert_eq!(err.status(), Some(status));
        assert_eq!(err.api().unwrap().raw_body(), Some(page));
        assert!(err.api().unwrap().message().is_none());
        assert!(err.to_string().contains(&format!("HTTP {status}")), "{err}");
    }
    server.enqueue(Operation::CreateCoinbaseCharge, MockResponse::status(400).body(""));
    let err = charge(&client).await.unwrap_err();
    assert_eq!((variant(&err), err.status()), ("BadRequest", Some(400)));
}

#[tokio::test]
async fn a_success_body_that_does_not_decode_names_the_field() {
    let server = server().await;
    let client = client(&server);
    let cases = [
        (r#"{"data":{"total_credits":1.5}}"#, "total_usage"),
        (r#"{"data":{"total_credits":"1.5","total_usage":0}}"#, "data.total_credits"),
        (r#"{"data":{"total_credits":1.5,"total_us"#, "EOF"),
        ("<html>oops</html>", "expected value"),
    ];
    for (body, needle) in cases {
        server.enqueue(Operation::GetCredits, MockResponse::status(200).content_type("application/json").body(body));
        let err = client.credits().get_credits().await.unwrap_err();
        let Error::Decode { status, message, body_excerpt, .. } = &err else { panic!("{err:?}") };
        assert_eq!(*status, 200);
        assert!(message.contains(needle), "{needle}: {message}");
        assert_eq!(body_excerpt, body);
        assert_eq!(err.status(), Some(200));
    }
}

/// An API error keeps the response's headers (for `x-request-id`, rate limits, support
/// requests), each with any key the client holds redacted, not dropped.
#[tokio::test]
async fn api_errors_keep_the_headers_with_keys_redacted() {
    let server = server().await;
    server.enqueue(
        Operation::GetCredits,
        MockResponse::error(400, "bad").header("x-request-id", "req-123").header("x-echo", &format!("Bearer {KEY}")),
    );
    let err = client(&server).credits().get_credits().await.unwrap_err();
    let headers = err.api().expect("an API error").headers();
    assert_eq!(headers.get("x-request-id").map(|v| v.to_str().unwrap()), Some("req-123"), "{headers:?}");
    assert_eq!(headers.get("x-echo").map(|v| v.to_str().unwrap()), Some("Bearer [redacted]"), "{headers:?}");
}

/// A body that does not decode is kept for a look by hand: whole up to 1 KiB, then cut with `…`.
#[tokio::test]
async fn a_decode_errors_excerpt_is_cut_at_1_kib_and_marked() {
    let server = server().await;
    let client = client(&server);
    for (len, cut) in [(1023, false), (1024, false), (1025, true), (3000, true)] {
        server.enqueue(Operation::GetCredits, MockResponse::status(200).body("x".repeat(len)));
        let err = client.credits().get_credits().await.unwrap_err();
        let Error::Decode { body_excerpt, .. } = &err else { panic!("{len}: {err:?}") };
        let expected = format!("{}{}", "x".repeat(len.min(1024)), if cut { "…" } else { "" });
        assert_eq!(body_excerpt, &expected, "{len}");
    }
}
