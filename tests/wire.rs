//! What goes over the wire for each call: method, path, every header, the body, byte for byte.

mod common;
use common::*;
use openrouter_credits::{ChainId, Client, CreateCoinbaseChargeSecurity, Error, Operation};

#[tokio::test]
async fn get_credits_sends_get_with_api_key_and_nothing_else() {
    let server = server().await;
    let credits = client(&server).credits().get_credits().send().await.unwrap();
    assert_eq!((credits.data.total_credits, credits.data.total_usage), (100.5, 25.75));

    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let req = &reqs[0];
    assert_eq!(req.method, "GET");
    assert_eq!(req.path, "/api/v1/credits");
    assert_eq!(header_names(req), ["accept", "authorization", "host", "user-agent"]);
    assert_eq!(req.header("authorization"), Some(format!("Bearer {KEY}").as_str()));
    assert_eq!(req.header("accept"), Some("application/json"));
    assert_eq!(req.header("user-agent"), Some(concat!("openrouter-credits/", env!("CARGO_PKG_VERSION"), " (rust)")));
    assert!(req.body.is_empty());
}

#[tokio::test]
async fn charge_sends_exact_body_with_the_per_call_bearer_only() {
    let server = server().await;
    let charge = charge(&client(&server)).send().await.unwrap();
    assert!(!charge.data.id.is_empty());
    assert_eq!(charge.data.web3_data.transfer_intent.metadata.sender, SENDER);
    assert_eq!(charge.data.web3_data.transfer_intent.metadata.chain_id, 1.0);

    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let req = &reqs[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/api/v1/credits/coinbase");
    assert_eq!(req.body_text(), format!(r#"{{"amount":100.0,"sender":"{SENDER}","chain_id":1}}"#));
    assert_eq!(req.header("authorization"), Some(format!("Bearer {BEARER}").as_str()));
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert_eq!(header_names(req), ["accept", "authorization", "content-length", "content-type", "host", "user-agent"]);
    // The client's API key appears nowhere in the request.
    let all_headers = format!("{:?}", req.headers.values().map(|v| v.to_str().unwrap_or_default()).collect::<Vec<_>>());
    assert!(!all_headers.contains(KEY) && !req.body_text().contains(KEY));
}

#[tokio::test]
async fn chain_ids_go_out_as_numbers() {
    let server = server().await;
    let client = client(&server);
    for chain in ChainId::ALL {
        client
            .credits()
            .create_coinbase_charge(CreateCoinbaseChargeSecurity::bearer(BEARER))
            .amount(5.5)
            .sender(SENDER)
            .chain_id(chain)
            .await
            .unwrap();
    }
    let sent: Vec<u64> = server.requests().iter().map(|r| r.json().unwrap()["chain_id"].as_u64().unwrap()).collect();
    assert_eq!(sent, [1, 137, 8453]);
}

#[tokio::test]
async fn app_attribution_headers_are_sent_when_set() {
    let server = server().await;
    let client = builder(&server).http_referer("https://myapp.example").app_title("My App").build().unwrap();
    client.credits().get_credits().await.unwrap();
    let req = &server.requests()[0];
    assert_eq!(req.header("http-referer"), Some("https://myapp.example"));
    assert_eq!(req.header("x-title"), Some("My App"));
}

#[tokio::test]
async fn per_call_header_and_base_url_apply_to_that_call_only() {
    let server = server().await;
    let other = common::server().await;
    let client = client(&server);
    client.credits().get_credits().header("x-request-id", "abc").base_url(other.base_url()).await.unwrap();
    client.credits().get_credits().await.unwrap();
    assert_eq!(other.requests().len(), 1);
    assert_eq!(other.requests()[0].header("x-request-id"), Some("abc"));
    assert_eq!(server.requests().len(), 1);
    assert_eq!(server.requests()[0].header("x-request-id"), None);
}

#[tokio::test]
async fn a_client_without_a_key_can_charge_but_not_read_credits() {
    let server = server().await;
    let client = Client::builder().base_url(server.base_url()).build().unwrap();
    let err = client.credits().get_credits().await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput { field: "management_key", .. }), "{err}");
    assert!(err.to_string().contains("ClientBuilder::management_key"), "{err}");
    let err = client.api_keys().get_current_key().await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput { field: "api_key", .. }), "{err}");
    assert!(server.requests().is_empty(), "nothing may be sent");

    charge(&client).await.unwrap();
    assert_eq!(server.requests_for(Operation::CreateCoinbaseCharge).len(), 1);
}

#[tokio::test]
async fn unknown_response_fields_are_accepted() {
    let server = server().await;
    server.enqueue(
        Operation::GetCredits,
        openrouter_credits::mock::MockResponse::json(
            200,
            &serde_json::json!({"data": {"total_credits": 1.0, "total_usage": 0.5, "currency": "USD"}, "openrouter_metadata": {}}),
        ),
    );
    let credits = client(&server).credits().get_credits().await.unwrap();
    assert_eq!(credits.data.total_usage, 0.5);
}

#[tokio::test]
async fn charges_show_up_in_the_balance() {
    let server = server().await;
    let client = client(&server);
    client
        .credits()
        .create_coinbase_charge(CreateCoinbaseChargeSecurity::bearer(BEARER))
        .amount(10.0)
        .sender(SENDER)
        .chain_id(ChainId::Polygon)
        .await
        .unwrap();
    assert_eq!(client.credits().get_credits().await.unwrap().data.total_credits, 110.5);
}
