//! Keys and tokens never show in the Debug of anything holding them (errors and tracing output:
//! `trace_secrets.rs`).

mod common;
use common::*;
use openrouter_credits::CreateCoinbaseChargeSecurity;

fn assert_clean(text: &str) {
    assert!(!text.contains(KEY), "API key leaked: {text}");
    assert!(!text.contains(BEARER), "bearer leaked: {text}");
}

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
