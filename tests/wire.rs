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
    let client = builder(&server)
        .http_referer("https://myapp.example")
        .app_title("My App")
        .app_categories("cli-agent,programming-app")
        .build()
        .unwrap();
    client.credits().get_credits().await.unwrap();
    let req = &server.requests()[0];
    assert_eq!(req.header("http-referer"), Some("https://myapp.example"));
    // The current names, and the older `X-Title` OpenRouter still reads.
    assert_eq!(req.header("x-openrouter-title"), Some("My App"));
    assert_eq!(req.header("x-title"), Some("My App"));
    assert_eq!(req.header("x-openrouter-categories"), Some("cli-agent,programming-app"));
    // Unset, none is sent.
    client_without_attribution_sends_none(&server).await;
}

async fn client_without_attribution_sends_none(server: &openrouter_credits::mock::MockServer) {
    server.clear_requests();
    client(server).credits().get_credits().await.unwrap();
    assert_eq!(header_names(&server.requests()[0]), ["accept", "authorization", "host", "user-agent"]);
}

/// Framing and crate-set headers cannot be set per call; nothing is sent when one is tried.
#[tokio::test]
async fn reserved_headers_are_refused_per_call() {
    let server = server().await;
    let client = client(&server);
    for name in [
        "Content-Length",
        "transfer-encoding",
        "host",
        "connection",
        "authorization",
        "content-type",
        "accept",
        "user-agent",
        "te",
    ] {
        let err = charge(&client).header(name, "5").await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput { field: "header", .. }), "{name}: {err:?}");
        assert!(err.to_string().contains(&name.to_ascii_lowercase()), "{name}: {err}");
    }
    assert!(server.requests().is_empty(), "nothing may be sent");
    charge(&client).header("x-request-id", "r-1").await.unwrap();
    assert_eq!(server.requests()[0].header("x-request-id"), Some("r-1"));
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

/// `GET /credits` sends the management key, `GET /key` the API key; without a management key
/// `GET /credits` is not sent at all (the live API answers an ordinary key with zeros).
#[tokio::test]
async fn each_operation_sends_the_key_its_security_names() {
    const MANAGEMENT: &str = "sk-or-v1-management-0123";
    let server = server().await;
    server.require_api_key(KEY);
    server.require_management_key(MANAGEMENT);
    let both = builder(&server).management_key(MANAGEMENT).build().unwrap();
    both.credits().get_credits().await.unwrap();
    both.api_keys().get_current_key().await.unwrap();
    let sent: Vec<_> = server.requests().iter().map(|r| (r.path.clone(), r.bearer().map(str::to_owned))).collect();
    assert_eq!(sent, [("/api/v1/credits".into(), Some(MANAGEMENT.into())), ("/api/v1/key".into(), Some(KEY.into()))]);

    // Only the API key: GET /credits is refused before anything is sent, naming the fix.
    server.clear_requests();
    let only_api_key = Client::builder().api_key(KEY).base_url(server.base_url()).build().unwrap();
    let err = only_api_key.credits().get_credits().await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput { field: "management_key", .. }), "{err:?}");
    for words in
        ["ClientBuilder::management_key(..)", "OPENROUTER_MANAGEMENT_KEY", "zeros", "api_key_is_management_key"]
    {
        assert!(err.to_string().contains(words), "{words}: {err}");
    }
    assert!(server.requests().is_empty(), "nothing is sent");

    // Said to be a management key, the API key is sent; an ordinary one gets upstream's 403
    // (when the server documents it so), whose hint says what to do.
    server.forbid_ordinary_keys(true);
    let err = client(&server).credits().get_credits().await.unwrap_err();
    assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
    assert_eq!(server.requests().last().unwrap().bearer(), Some(KEY));
    assert_eq!(err.blocked_by(), Some(openrouter_credits::BlockedBy::NotAManagementKey));
    assert!(err.hint().unwrap().contains("ClientBuilder::management_key"), "{err:?}");

    // A management key given as the only key keeps working.
    let only_management = Client::builder().management_key(MANAGEMENT).base_url(server.base_url()).build().unwrap();
    assert_eq!(only_management.credits().get_credits().await.unwrap().data.total_credits, 100.5);
    assert_eq!(server.requests().last().unwrap().bearer(), Some(MANAGEMENT));
}

/// `GET /key`: method, path, headers, no `api-version`, the typed answer.
#[tokio::test]
async fn get_current_key_sends_get_with_the_api_key() {
    let server = server().await;
    let key = client(&server).api_keys().get_current_key().send().await.unwrap();
    assert_eq!((key.data.limit, key.data.limit_remaining), (Some(100.0), Some(74.5)));
    assert_eq!(key.data.limit_reset.as_deref(), Some("monthly"));
    assert_eq!(key.data.usage_monthly, 25.5);
    assert!(!key.data.is_free_tier);
    let req = &server.requests()[0];
    assert_eq!((req.method.as_str(), req.path.as_str(), req.query.as_str()), ("GET", "/api/v1/key", ""));
    assert_eq!(header_names(req), ["accept", "authorization", "host", "user-agent"]);
    assert_eq!(req.bearer(), Some(KEY));
}

/// `send_with_meta` gives the status, the headers and the attempts; `remaining()` the balance.
#[tokio::test]
async fn a_success_with_its_metadata() {
    let server = server().await;
    let body = serde_json::json!({"data": {"total_credits": 10.0, "total_usage": 2.5}});
    server.enqueue(
        Operation::GetCredits,
        openrouter_credits::mock::MockResponse::json(200, &body)
            .header("x-ratelimit-limit", "100")
            .header("x-ratelimit-remaining", "99")
            .header("x-ratelimit-reset", "1764000000000"),
    );
    let response = client(&server).credits().get_credits().send_with_meta().await.unwrap();
    assert_eq!((response.status(), response.attempts()), (200, 1));
    assert_eq!(response.data.remaining(), 7.5);
    let limit = response.rate_limit().unwrap();
    assert_eq!((limit.limit, limit.remaining, limit.reset_ms), (Some(100), Some(99), Some(1_764_000_000_000)));
    assert_eq!(response.headers()["content-type"], "application/json");
}

/// An address is sent as it was written (an EIP-55 mixed-case one keeps its case), whether the
/// setter got text or an `EvmAddress`; the charge's addresses come back typed.
#[tokio::test]
async fn addresses_go_out_as_written_and_come_back_typed() {
    let server = server().await;
    let client = client(&server);
    let checksummed = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48";
    let typed: openrouter_credits::EvmAddress = checksummed.parse().unwrap();
    let charge = || {
        client
            .credits()
            .create_coinbase_charge(CreateCoinbaseChargeSecurity::bearer(BEARER))
            .amount(5.5)
            .chain_id(ChainId::Base)
    };
    let from_text = charge().sender(checksummed).await.unwrap();
    let from_type = charge().sender(typed).await.unwrap();
    let sent: Vec<String> =
        server.requests().iter().map(|r| r.json().unwrap()["sender"].as_str().unwrap().to_owned()).collect();
    assert_eq!(sent, [checksummed, checksummed]);
    for charge in [from_text, from_type] {
        let intent = &charge.data.web3_data.transfer_intent;
        // The mock echoes the sender; parsed, equal to the typed value whatever the case.
        assert_eq!(intent.metadata.sender_address(), Some(typed));
        assert_eq!(intent.call_data.refund_destination_address().unwrap(), checksummed.to_lowercase().as_str());
        assert_eq!(intent.call_data.recipient_currency_address().unwrap().to_bytes()[..2], [0xa0, 0xb8]);
        assert!(intent.call_data.operator_address().is_some() && intent.metadata.contract().is_some());
    }
}

/// Upstream types the charge's addresses as plain strings, so a response with any
/// string there conforms to its contract (an OpenAPI validator mocking it sends `"string"`). It
/// decodes: the charge was created, and the caller gets it, each string as it came; the typed
/// accessors say which are not addresses.
#[tokio::test]
async fn a_charge_whose_addresses_are_not_addresses_still_decodes() {
    let server = server().await;
    let mut body: serde_json::Value = serde_json::from_str(CHARGE_OK).unwrap();
    let intent = &mut body["data"]["web3_data"]["transfer_intent"];
    for field in ["operator", "recipient", "recipient_currency", "refund_destination"] {
        intent["call_data"][field] = "string".into();
    }
    intent["metadata"]["contract_address"] = "".into();
    intent["metadata"]["sender"] = "0x2".into();
    server.enqueue(Operation::CreateCoinbaseCharge, openrouter_credits::mock::MockResponse::json(200, &body));
    let charge = charge(&client(&server)).await.expect("a contract-conforming response decodes");
    let intent = &charge.data.web3_data.transfer_intent;
    assert_eq!(charge.data.id, "c1");
    assert_eq!((intent.call_data.operator.as_str(), intent.call_data.operator_address()), ("string", None));
    assert_eq!(intent.call_data.recipient_address(), None);
    assert_eq!(intent.call_data.recipient_currency_address(), None);
    assert_eq!(intent.call_data.refund_destination_address(), None);
    assert_eq!((intent.metadata.contract_address.as_str(), intent.metadata.contract()), ("", None));
    assert_eq!((intent.metadata.sender.as_str(), intent.metadata.sender_address()), ("0x2", None));
    assert_eq!(server.requests_for(Operation::CreateCoinbaseCharge).len(), 1);
}

/// The request line, byte for byte: the path under the base URL, and no `?` when there is no
/// query (the mock's parsed `path` and `query` cannot tell a bare `?` from none).
#[tokio::test]
async fn the_request_line_has_no_empty_query() {
    let server = RawServer::start(|mut conn| async move {
        while conn.read_request().await.is_some() {
            conn.write(http_response("200 OK", "", r#"{"data":{"total_credits":1.0,"total_usage":0.5}}"#)).await;
        }
    })
    .await;
    let client = Client::builder().management_key(KEY).base_url(server.base_url()).build().unwrap();
    client.credits().get_credits().send().await.unwrap();
    client.credits().get_credits().send().await.unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for request in requests {
        let line = request.head.lines().next().unwrap_or_default();
        assert_eq!(line, "GET /api/v1/credits HTTP/1.1", "{}", request.head);
    }
}
