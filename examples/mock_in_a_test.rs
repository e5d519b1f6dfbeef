//! The fake OpenRouter server (feature `mock`) in the tests of your own code: a function of yours
//! that warns when the balance runs low, tested against scripted answers, with assertions on what
//! went over the wire.
//!
//! ```sh
//! cargo test --example mock_in_a_test --features mock   # the tests below
//! cargo run --example mock_in_a_test --features mock    # the function, once, against the fake server
//! ```

use openrouter_credits::{Client, Error};

/// Code of yours under test: a warning when less than `threshold` USD is left on the account.
pub async fn low_balance_warning(client: &Client, threshold: f64) -> Result<Option<String>, Error> {
    let credits = client.credits().get_credits().send().await?;
    let left = credits.data.remaining();
    Ok((left < threshold).then(|| format!("only {left:.2} USD left, less than {threshold:.2}")))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = openrouter_credits::mock::MockServer::start().await?;
    let client = Client::builder().management_key("sk-or-v1-management").base_url(server.base_url()).build()?;
    match low_balance_warning(&client, 100.0).await? {
        Some(warning) => println!("{warning}"),
        None => println!("enough left"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::low_balance_warning;
    use openrouter_credits::mock::{MockResponse, MockServer};
    use openrouter_credits::{Client, Error, Operation, RetryConfig};

    const KEY: &str = "sk-or-v1-test";
    const MANAGEMENT_KEY: &str = "sk-or-v1-management";

    /// A client of the fake server. No retries: a scripted error comes back at once.
    fn client(server: &MockServer) -> Client {
        Client::builder()
            .api_key(KEY)
            .management_key(MANAGEMENT_KEY)
            .base_url(server.base_url())
            .retries(RetryConfig::none())
            .build()
            .expect("client")
    }

    #[tokio::test]
    async fn warns_below_the_threshold_and_only_then() {
        let server = MockServer::start().await.expect("fake server");
        server.set_credits(10.0, 7.5);
        let client = client(&server);

        let warning = low_balance_warning(&client, 5.0).await.expect("balance");
        assert_eq!(warning.as_deref(), Some("only 2.50 USD left, less than 5.00"));
        assert_eq!(low_balance_warning(&client, 2.0).await.expect("balance"), None);

        // One GET /credits per check, with the management key.
        let requests = server.requests_for(Operation::GetCredits);
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[0].bearer(), Some(MANAGEMENT_KEY));
    }

    #[tokio::test]
    async fn an_outage_is_an_error_not_a_warning() {
        let server = MockServer::start().await.expect("fake server");
        server.enqueue(Operation::GetCredits, MockResponse::error(500, "Internal Server Error"));
        let err = low_balance_warning(&client(&server), 5.0).await.unwrap_err();
        assert!(matches!(err, Error::InternalServer(_)), "{err}");
        assert_eq!(err.status(), Some(500));
    }

    #[tokio::test]
    async fn an_api_key_alone_cannot_read_the_balance() {
        let server = MockServer::start().await.expect("fake server");
        server.require_management_key(MANAGEMENT_KEY);
        let client = Client::builder().api_key(KEY).base_url(server.base_url()).build().expect("client");
        // Refused before anything is sent: an ordinary key would read zeros, not the balance.
        let err = low_balance_warning(&client, 5.0).await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput { field: "management_key", .. }), "{err}");
        assert!(err.to_string().contains("OPENROUTER_MANAGEMENT_KEY"), "{err}");
        assert!(server.requests().is_empty());
    }
}
