//! Keys and tokens never show in the Debug of anything holding them (errors and tracing output:
//! `trace_secrets.rs`).

mod common;
use common::*;
use openrouter_credits::CreateCoinbaseChargeSecurity;

#[tokio::test]
async fn debug_of_client_builder_and_security_hold_no_secret() {
    let server = server().await;
    let builder = builder(&server);
    assert_clean(&format!("{builder:?}"));
    let client = builder.build().unwrap();
    assert_clean(&format!("{client:?} {client:#?}"));
    let security = CreateCoinbaseChargeSecurity::bearer(BEARER);
    assert_clean(&format!("{security:?}"));
    let call = client.credits().create_coinbase_charge(security).amount(1.0).header("x-custom", "v");
    assert_clean(&format!("{call:?}"));
    assert_clean(&format!("{:?}", client.credits().get_credits()));
    // The recorded request keeps the secret for assertions, but its Debug does not show it.
    client.credits().get_credits().await.unwrap();
    assert_clean(&format!("{:?}", server.requests()));
}

/// Every `Error` variant, produced by a real call with both secrets in play (and echoed back by
/// the server where it can), shows neither in `Display` nor in `Debug`.
#[tokio::test(start_paused = true)]
async fn no_error_variant_shows_a_secret() {
    use openrouter_credits::mock::MockResponse;
    use openrouter_credits::{ChainId, Client, Error, Operation};
    use std::collections::BTreeSet;
    use std::time::Duration;

    let server = server().await;
    let client = builder(&server).timeout(Duration::from_secs(1)).max_response_bytes(4096).build().unwrap();
    let mut errors: Vec<Error> = Vec::new();
    for op in [Operation::GetCredits, Operation::GetCurrentKey, Operation::CreateCoinbaseCharge] {
        // The server echoes the credential this call sent, and the client's key even where the
        // call did not send it (a server could know it from elsewhere).
        let sent = if op == Operation::CreateCoinbaseCharge { format!("{BEARER} {KEY}") } else { KEY.to_owned() };
        let echo = format!("echo {sent}");
        let mut scripted = vec![
            MockResponse::status(500).body(format!("<html>{sent}</html>")).content_type("text/html"),
            MockResponse::status(200).body(format!("{{\"data\":\"{sent}\"}}")),
            MockResponse::status(200).delay(Duration::from_secs(5)),
            MockResponse::status(200).body(vec![b'x'; 8192]),
            MockResponse::status(200).body(format!("{{\"data\":\"{sent}\"}}")).reset_body_after(3),
            MockResponse::error(401, &echo).header("x-echo", &sent),
        ];
        scripted.extend([400, 401, 402, 403, 404, 410, 429, 500, 502].map(|status| MockResponse::error(status, &echo)));
        for response in scripted {
            server.enqueue(op, response);
            let result = match op {
                Operation::GetCredits => client.credits().get_credits().await.map(drop),
                Operation::GetCurrentKey => client.api_keys().get_current_key().await.map(drop),
                _ => charge(&client).await.map(drop),
            };
            errors.push(result.unwrap_err());
        }
    }
    let refused =
        Client::builder().api_key(KEY).api_key_is_management_key(true).base_url("http://127.0.0.1:1").build().unwrap();
    errors.push(refused.credits().get_credits().retries(openrouter_credits::RetryConfig::none()).await.unwrap_err());
    // Invalid input carrying a secret: a bearer and a header value with a line break.
    let bad_bearer = CreateCoinbaseChargeSecurity::bearer(format!("{BEARER}\n"));
    let bad = client.credits().create_coinbase_charge(bad_bearer).amount(1.0).sender(SENDER).chain_id(ChainId::Base);
    errors.push(bad.await.unwrap_err());
    errors.push(client.credits().get_credits().header("x-key", format!("{KEY}\r\n")).await.unwrap_err());
    errors.push(Client::builder().api_key(format!("{KEY} {BEARER}")).build().unwrap_err());

    let mut seen = BTreeSet::new();
    for e in &errors {
        let headers = e.api().map(|a| format!("{:?}", a.headers())).unwrap_or_default();
        assert_clean(&format!("{e} | {e:?} | {e:#?} | {:?} | {headers}", e.api()));
        let name = format!("{e:?}");
        seen.insert(name[..name.find(['(', ' ', '{']).unwrap_or(name.len())].to_owned());
    }
    let all = [
        "Api",
        "BadRequest",
        "Decode",
        "Forbidden",
        "Gone",
        "InternalServer",
        "InvalidInput",
        "NotFound",
        "PaymentRequired",
        "ResponseInterrupted",
        "ResponseTooLarge",
        "Timeout",
        "TooManyRequests",
        "Transport",
        "Unauthorized",
    ];
    assert_eq!(seen, all.iter().map(|s| s.to_string()).collect(), "every variant is covered");
}

/// A builder's `Debug` is useful, not merely clean: it names the operation, the per-call
/// settings and the extra header's name, with the bearer redacted and the header's value left out.
#[tokio::test]
async fn a_builders_debug_shows_its_settings_but_no_secret() {
    let server = server().await;
    let client = client(&server);
    let call = client
        .credits()
        .create_coinbase_charge(CreateCoinbaseChargeSecurity::bearer(BEARER))
        .timeout(std::time::Duration::from_secs(7))
        .retry_non_idempotent(true)
        .header("x-custom", "value-not-shown");
    let text = format!("{call:?}");
    assert_clean(&text);
    for part in ["CreateCoinbaseCharge", "timeout: Some(7s)", "retry_non_idempotent: true", "\"x-custom\""] {
        assert!(text.contains(part), "{part} missing: {text}");
    }
    assert!(!text.contains("value-not-shown"), "{text}");
}
