//! How much can still be spent: `client.spendable()`, the least of every layer the keys can
//! read (the key's budget layers and its own limit with the API key, the account's balance with
//! the management key), the layer that binds, and the layers that could not be read.
//!
//! ```sh
//! OPENROUTER_API_KEY=sk-or-v1-... OPENROUTER_MANAGEMENT_KEY=sk-or-v1-... cargo run --example spendable --features mock
//! cargo run --example spendable --features mock    # no key: against the built-in fake server
//! ```

use openrouter_credits::mock::MockServer;
use openrouter_credits::{Client, Layer};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Kept alive until the end of `main` when the fake server is used.
    let (client, _server) = client().await?;
    let spendable = client.spendable().await?;
    match (spendable.remaining_usd(), spendable.binding()) {
        (Some(left), Some(layer)) => println!("{left:.2} USD can still be spent: {}", describe(layer)),
        _ => println!("no layer the keys can read limits spending"),
    }
    for layer in spendable.layers() {
        println!("  {:<45} {:>8.2} of {:>8.2} USD left", layer.to_string(), layer.remaining_usd, layer.limit_usd);
    }
    for unknown in spendable.unknown() {
        println!("  {unknown}");
    }
    if let Some(free) = spendable.free_model_requests() {
        println!("free-model requests: {} of {} left today", free.remaining, free.limit);
    }
    Ok(())
}

/// `member budget 0df9…, resets 2026-12-07T00:00:00.000Z (weekly)`.
fn describe(layer: &Layer) -> String {
    let mut text = format!("{layer} binds");
    if let Some(at) = &layer.resets_at {
        text.push_str(&format!(", resets {at}"));
    }
    if let Some(interval) = &layer.reset_interval {
        text.push_str(&format!(" ({interval})"));
    }
    text
}

/// A client from the environment (`OPENROUTER_API_KEY`, `OPENROUTER_MANAGEMENT_KEY`,
/// `OPENROUTER_BASE_URL`); with no key set, one pointed at a fake server started here, so the
/// example runs on a machine with no key and no network (CI runs it so).
async fn client() -> Result<(Client, Option<MockServer>), Box<dyn std::error::Error>> {
    let set = |name| std::env::var(name).is_ok_and(|v: String| !v.trim().is_empty());
    if set("OPENROUTER_MANAGEMENT_KEY") || set("OPENROUTER_API_KEY") {
        return Ok((Client::from_env()?, None));
    }
    let server = MockServer::start().await?;
    eprintln!("note: no key set, so this asks the built-in fake server at {} (made-up figures)", server.base_url());
    let client = Client::builder()
        .api_key("sk-or-v1-fake")
        .management_key("sk-or-v1-fake-management")
        .base_url(server.base_url())
        .build()?;
    Ok((client, Some(server)))
}
