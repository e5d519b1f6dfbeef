//! The account's balance: `GET /credits`, credits bought minus credits used.
//!
//! ```sh
//! OPENROUTER_MANAGEMENT_KEY=sk-or-v1-... cargo run --example balance --features mock
//! cargo run --example balance --features mock    # no key: against the built-in fake server
//! ```
//!
//! `GET /credits` takes a management key; without one nothing is sent (an ordinary key would
//! read zeros): the error names `OPENROUTER_MANAGEMENT_KEY`. `examples/spendable.rs` works with
//! either key.

use openrouter_credits::Client;
use openrouter_credits::mock::MockServer;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Kept alive until the end of `main` when the fake server is used.
    let (client, _server) = client().await?;
    let credits = client.credits().get_credits().send().await?;
    let data = &credits.data;
    println!("total credits  {:>8.2} USD", data.total_credits);
    println!("total usage    {:>8.2} USD", data.total_usage);
    println!("remaining      {:>8.2} USD", data.remaining());
    Ok(())
}

/// A client from the environment (`OPENROUTER_MANAGEMENT_KEY`, `OPENROUTER_API_KEY`,
/// `OPENROUTER_BASE_URL`); with no key set, one pointed at a fake server started here, so the
/// example runs on a machine with no key and no network (CI runs it so).
async fn client() -> Result<(Client, Option<MockServer>), Box<dyn std::error::Error>> {
    let set = |name| std::env::var(name).is_ok_and(|v: String| !v.trim().is_empty());
    if set("OPENROUTER_MANAGEMENT_KEY") || set("OPENROUTER_API_KEY") {
        return Ok((Client::from_env()?, None));
    }
    let server = MockServer::start().await?;
    eprintln!("note: no key set, so this asks the built-in fake server at {} (made-up figures)", server.base_url());
    let client = Client::builder().management_key("sk-or-v1-fake-management").base_url(server.base_url()).build()?;
    Ok((client, Some(server)))
}
