//! The fake server on its own, driven with raw HTTP (the SDK validates before sending, so it
//! cannot produce the bad requests): it must check what the real server checks, answer with
//! upstream's error body, and record what it received.

use openrouter_credits::Operation;
use openrouter_credits::mock::{GONE_MESSAGE, MAX_REQUEST_BODY, MockServer};
use serde_json::{Value, json};

const SENDER: &str = "0x1234567890123456789012345678901234567890";

async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// `(status, error.code, error.message)` of an upstream-style error body.
async fn error_of(request: reqwest::RequestBuilder) -> (u16, u64, String) {
    let (status, body) = send(request).await;
    let message = body["error"]["message"].as_str().unwrap_or_default().to_owned();
    (status, body["error"]["code"].as_u64().unwrap_or_default(), message)
}

#[tokio::test]
async fn get_credits_needs_the_bearer_key() {
    let server = MockServer::start().await.unwrap();
    server.require_api_key("sk-or-v1-right");
    let http = reqwest::Client::new();
    let url = format!("{}/credits", server.base_url());

    let (status, code, _) = error_of(http.get(&url)).await;
    assert_eq!((status, code), (401, 401));
    // Another key, with no management key set: the mock takes it for one.
    let (status, body) = send(http.get(&url).bearer_auth("sk-or-v1-other")).await;
    assert_eq!((status, body["data"]["total_credits"].as_f64()), (200, Some(100.5)));
    // The API key is an ordinary key: the live API's 200 with zeros, not the balance.
    let (status, body) = send(http.get(&url).bearer_auth("sk-or-v1-right")).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"], serde_json::json!({"total_credits": 0, "total_usage": 0}), "{body}");
    // …or the documented 403 when the test asks for it.
    server.forbid_ordinary_keys(true);
    let (status, code, message) = error_of(http.get(&url).bearer_auth("sk-or-v1-right")).await;
    assert_eq!((status, code, message.as_str()), (403, 403, "Only management keys can perform this operation"));
    // The management key gets the balance.
    server.require_management_key("sk-or-v1-management");
    let (status, code, _) = error_of(http.get(&url).bearer_auth("sk-or-v1-other")).await;
    assert_eq!((status, code), (401, 401), "neither key: unknown");
    let (status, body) = send(http.get(&url).bearer_auth("sk-or-v1-management")).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"], serde_json::json!({"total_credits": 100.5, "total_usage": 25.75}), "{body}");
    assert_eq!(server.requests_for(Operation::GetCredits).len(), 6);
}

#[tokio::test]
async fn the_charge_needs_a_bearer_and_a_valid_body_naming_the_bad_field() {
    let server = MockServer::start().await.unwrap();
    let http = reqwest::Client::new();
    let url = format!("{}/credits/coinbase", server.base_url());
    let good = json!({"amount": 10.0, "sender": SENDER, "chain_id": 137});

    let (status, _, _) = error_of(http.post(&url).json(&good)).await;
    assert_eq!(status, 401, "no bearer");
    let (status, _, message) = error_of(http.post(&url).bearer_auth("t").body("amount=10")).await;
    assert_eq!(status, 400, "not JSON: {message}");
    for (field, body) in [
        ("amount", json!({"amount": -1, "sender": SENDER, "chain_id": 1})),
        ("amount", json!({"sender": SENDER, "chain_id": 1})),
        ("sender", json!({"amount": 1, "sender": "0x12", "chain_id": 1})),
        ("chain_id", json!({"amount": 1, "sender": SENDER, "chain_id": 5})),
    ] {
        let (status, code, message) = error_of(http.post(&url).bearer_auth("t").json(&body)).await;
        assert_eq!((status, code), (400, 400), "{body}");
        assert!(message.starts_with(field), "{body}: {message}");
    }
    let (status, body) = send(http.post(&url).bearer_auth("t").json(&good)).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["web3_data"]["transfer_intent"]["metadata"]["chain_id"], 137);
    assert_eq!(body["data"]["web3_data"]["transfer_intent"]["metadata"]["sender"], SENDER);

    server.set_coinbase_gone(true);
    let (status, code, message) = error_of(http.post(&url).bearer_auth("t").json(&good)).await;
    assert_eq!((status, code, message.as_str()), (410, 410, GONE_MESSAGE));
}

#[tokio::test]
async fn bodies_past_the_cap_get_413_and_are_not_kept() {
    let server = MockServer::start().await.unwrap();
    let http = reqwest::Client::new();
    let url = format!("{}/credits/coinbase", server.base_url());
    let huge = vec![b' '; MAX_REQUEST_BODY + 1];
    let (status, code, _) = error_of(http.post(&url).bearer_auth("t").body(huge)).await;
    assert_eq!((status, code), (413, 413));
    let recorded = server.requests_for(Operation::CreateCoinbaseCharge);
    assert_eq!(recorded.len(), 1);
    assert!(recorded[0].body.is_empty());
    // Just under the cap is read and judged as usual.
    let mut padded = json!({"amount": 1, "sender": SENDER, "chain_id": 1}).to_string();
    padded.extend(std::iter::repeat_n(' ', MAX_REQUEST_BODY - padded.len()));
    let (status, _) =
        send(http.post(&url).bearer_auth("t").header("content-type", "application/json").body(padded)).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn other_paths_are_404_and_recorded_without_an_operation() {
    let server = MockServer::start().await.unwrap();
    let (status, code, _) = error_of(reqwest::Client::new().get(format!("{}/models", server.base_url()))).await;
    assert_eq!((status, code), (404, 404));
    let recorded = server.requests();
    assert_eq!((recorded.len(), recorded[0].operation, recorded[0].path.as_str()), (1, None, "/api/v1/models"));
}
