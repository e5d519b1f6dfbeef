//! Helpers shared by the integration tests: a fake server and a client pointed at it.
#![allow(dead_code)]

use openrouter_credits::mock::MockServer;
use openrouter_credits::{
    ChainId, Client, ClientBuilder, CreateCoinbaseChargeBuilder, CreateCoinbaseChargeSecurity, RetryConfig,
};

pub const KEY: &str = "sk-or-v1-test-key-0123456789";
pub const BEARER: &str = "per-call-token-abcdef";
pub const SENDER: &str = "0x1234567890123456789012345678901234567890";

pub async fn server() -> MockServer {
    MockServer::start().await.expect("bind 127.0.0.1:0")
}

/// A builder with the test key, pointed at `server`, no retries unless a test asks.
pub fn builder(server: &MockServer) -> ClientBuilder {
    Client::builder().api_key(KEY).base_url(server.base_url()).retries(RetryConfig::none())
}

pub fn client(server: &MockServer) -> Client {
    builder(server).build().expect("client")
}

/// Header names of a recorded request, sorted.
pub fn header_names(req: &openrouter_credits::mock::RecordedRequest) -> Vec<String> {
    let mut names: Vec<String> = req.headers.keys().map(|k| k.as_str().to_owned()).collect();
    names.sort();
    names
}

/// The charge the tests make unless they need other values: 100 USD from `SENDER` on Ethereum,
/// with the per-call `BEARER`.
pub fn charge(client: &Client) -> CreateCoinbaseChargeBuilder {
    client
        .credits()
        .create_coinbase_charge(CreateCoinbaseChargeSecurity::bearer(BEARER))
        .amount(100.0)
        .sender(SENDER)
        .chain_id(ChainId::Ethereum)
}
