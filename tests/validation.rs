//! Bad input fails before anything is sent, naming the field and the rule.

mod common;
use common::*;
use openrouter_credits::{ChainId, Client, CreateCoinbaseChargeSecurity, Error, Operation};

fn field_of(e: &Error) -> &'static str {
    match e {
        Error::InvalidInput { field, .. } => field,
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

#[tokio::test]
async fn invalid_charges_send_nothing() {
    let server = server().await;
    let client = client(&server);
    let charge = || client.credits().create_coinbase_charge(CreateCoinbaseChargeSecurity::bearer(BEARER));
    let cases = [
        (charge().sender(SENDER).chain_id(ChainId::Base), "amount"),
        (charge().amount(0.0).sender(SENDER).chain_id(ChainId::Base), "amount"),
        (charge().amount(-5.0).sender(SENDER).chain_id(ChainId::Base), "amount"),
        (charge().amount(f64::NAN).sender(SENDER).chain_id(ChainId::Base), "amount"),
        (charge().amount(f64::INFINITY).sender(SENDER).chain_id(ChainId::Base), "amount"),
        (charge().amount(1.0).chain_id(ChainId::Base), "sender"),
        (charge().amount(1.0).sender("0x123").chain_id(ChainId::Base), "sender"),
        (charge().amount(1.0).sender("1234567890123456789012345678901234567890xx").chain_id(ChainId::Base), "sender"),
        (charge().amount(1.0).sender(SENDER), "chain_id"),
        (charge().amount(1.0).sender(SENDER).chain_id(ChainId::Base).header("bad header", "x"), "header"),
        (charge().amount(1.0).sender(SENDER).chain_id(ChainId::Base).header("authorization", "Bearer x"), "header"),
        (charge().amount(1.0).sender(SENDER).chain_id(ChainId::Base).base_url("http://example.com"), "base_url"),
    ];
    for (builder, field) in cases {
        let err = builder.send().await.unwrap_err();
        assert_eq!(field_of(&err), field, "{err}");
        assert!(err.to_string().contains(field), "{err}");
    }
    let empty_token = client
        .credits()
        .create_coinbase_charge(CreateCoinbaseChargeSecurity::bearer(""))
        .amount(1.0)
        .sender(SENDER)
        .chain_id(ChainId::Base)
        .await
        .unwrap_err();
    assert_eq!(field_of(&empty_token), "bearer");
    assert!(server.requests().is_empty(), "validation failures must send nothing");
}

#[test]
fn chain_ids_outside_the_enum_are_refused() {
    for bad in [0i64, 2, 10, 8454, -1] {
        let err = ChainId::try_from(bad).unwrap_err();
        assert_eq!(field_of(&err), "chain_id");
        assert!(err.to_string().contains("1 (ethereum), 137 (polygon), 8453 (base)"));
    }
    assert!("solana".parse::<ChainId>().is_err());
}

/// A builder whose base URL is valid in every build, TLS or not.
fn local() -> openrouter_credits::ClientBuilder {
    Client::builder().base_url("http://127.0.0.1:1")
}

#[test]
fn bad_client_settings_name_the_setting() {
    let cases = [
        (Client::builder().base_url("http://openrouter.ai/api/v1"), "base_url"),
        (Client::builder().base_url("not a url"), "base_url"),
        (local().api_key(""), "api_key"),
        (local().api_key("sk-or has space"), "api_key"),
        (local().app_title("line\nbreak"), "app_title"),
        (local().http_referer("x\r\ny"), "http_referer"),
    ];
    for (builder, field) in cases {
        let err = builder.build().unwrap_err();
        assert_eq!(field_of(&err), field, "{err}");
    }
    // The rule is stated, the value never: the key must not leak through the error.
    let err = local().api_key("sk-or-secret value").build().unwrap_err();
    assert!(!format!("{err} {err:?}").contains("secret"), "{err:?}");
}

/// A base URL with a user name alone, or a password alone, carries a credential too: refused,
/// naming the rule; so is a query alone and a fragment alone. Loopback by name or address is
/// allowed over plain http; any other host is not.
#[test]
fn base_url_rules_each_on_their_own() {
    for (bad, why) in [
        ("http://user@127.0.0.1", "credentials"),
        ("http://:secret@127.0.0.1", "credentials"),
        ("http://127.0.0.1/api?x", "query"),
        ("http://127.0.0.1/api#x", "fragment"),
        ("http://192.168.1.1/api", "plain http is allowed only for loopback hosts"),
        ("http://localhost.example/api", "plain http is allowed only for loopback hosts"),
        ("ftp://127.0.0.1/api", "must be an https URL"),
    ] {
        let err = Client::builder().base_url(bad).build().unwrap_err();
        assert_eq!(field_of(&err), "base_url", "{bad}: {err}");
        assert!(err.to_string().contains(why), "{bad}: {err}");
        assert!(!err.to_string().contains("secret"), "{bad}: {err}");
    }
    for ok in ["http://localhost/api", "http://LOCALHOST:8080", "http://127.0.0.1", "http://[::1]/v1"] {
        let client = Client::builder().base_url(ok).build().unwrap_or_else(|e| panic!("{ok}: {e}"));
        // As given, less a trailing slash (the host name lower-cased, as URLs are).
        assert_eq!(client.base_url(), ok.to_ascii_lowercase().trim_end_matches('/'), "{ok}");
    }
}

/// Framing and hop-by-hop headers, and the ones the crate sets itself, are refused
/// by name before anything is sent; an ordinary header still goes out.
#[tokio::test(start_paused = true)]
async fn reserved_headers_are_refused_before_anything_is_sent() {
    let server = server().await;
    let client = client(&server);
    for (name, value) in [
        ("content-length", "5"),
        ("Content-Length", "500"),
        ("transfer-encoding", "chunked"),
        ("host", "evil.example"),
        ("connection", "close"),
        ("keep-alive", "timeout=5"),
        ("upgrade", "h2c"),
        ("te", "trailers"),
        ("trailer", "x"),
        ("proxy-connection", "keep-alive"),
        ("proxy-authorization", "Basic eA=="),
        ("authorization", "Bearer other"),
        ("content-type", "text/plain"),
        ("accept", "text/html"),
    ] {
        let err = charge(&client).header(name, value).await.unwrap_err();
        let Error::InvalidInput { field: "header", rule, .. } = &err else { panic!("{name}: {err:?}") };
        assert!(rule.contains(&format!("`{}`", name.to_ascii_lowercase())), "{name}: {rule}");
        let err = client.credits().get_credits().header(name, value).await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput { field: "header", .. }), "{name}: {err:?}");
    }
    assert!(server.requests().is_empty(), "nothing may be sent");

    charge(&client).header("x-request-id", "abc-123").await.unwrap();
    let sent = server.requests_for(Operation::CreateCoinbaseCharge);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].header("x-request-id"), Some("abc-123"));
    assert_eq!(sent[0].header("content-length"), Some(sent[0].body.len().to_string().as_str()));
}
