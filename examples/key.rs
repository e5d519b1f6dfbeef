//! What this API key may still spend: `GET /key`, the key's own limit and what remains of it.
//! Any API key can ask (no management key needed).
//!
//! ```sh
//! OPENROUTER_API_KEY=sk-or-v1-... cargo run --example key --features mock
//! cargo run --example key --features mock    # no key: against the built-in fake server
//! ```

use openrouter_credits::Client;
use openrouter_credits::mock::MockServer;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Kept alive until the end of `main` when the fake server is used.
    let (client, _server) = client().await?;
    let key = client.api_keys().get_current_key().send().await?;
    let data = &key.data;
    println!("label            {}", data.label);
    match (data.limit, data.limit_remaining) {
        (Some(limit), Some(left)) => {
            println!("limit            {limit:.2} USD");
            println!("limit remaining  {left:.2} USD");
        }
        _ => println!("limit            none (the account's balance is the only bound)"),
    }
    // `daily`, `weekly` or `monthly`; none for a limit that never resets.
    println!("limit reset      {}", data.limit_reset.as_deref().unwrap_or("never"));
    println!("usage            {:.2} USD", data.usage);
    Ok(())
}

/// A client from the environment (`OPENROUTER_API_KEY`, `OPENROUTER_BASE_URL`); with no key set,
/// one pointed at a fake server started here, so the example runs on a machine with no key and
/// no network (CI runs it so).
async fn client() -> Result<(Client, Option<MockServer>), Box<dyn std::error::Error>> {
    if std::env::var("OPENROUTER_API_KEY").is_ok_and(|v| !v.trim().is_empty()) {
        return Ok((Client::from_env()?, None));
    }
    let server = MockServer::start().await?;
    eprintln!(
        "note: OPENROUTER_API_KEY is not set, so this asks the built-in fake server at {} (made-up figures)",
        server.base_url()
    );
    let client = Client::builder().api_key("sk-or-v1-fake").base_url(server.base_url()).build()?;
    Ok((client, Some(server)))
}
