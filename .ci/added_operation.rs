//! Copied into a scratch copy of the repository by `.ci/added-operation.sh`, after
//! `getGeneration` was added to `openapi/regen.yaml` and `cargo xtask regen` ran: the operation
//! must work through the facade (accessor, builder, auth, retries, typed errors, validation,
//! the mock's answer) with no hand-written Rust in the crate. Not part of the crate's tests.

use openrouter_credits::mock::{MockResponse, MockServer};
use openrouter_credits::{Client, Credential, Error, Operation, RetryConfig};
use std::time::Duration;

const KEY: &str = "sk-or-v1-added-operation";

#[tokio::test(start_paused = true)]
async fn an_operation_added_by_config_alone_works_through_the_facade() {
    let op = Operation::GetGeneration;
    assert_eq!((op.method(), op.path(), op.tag()), ("GET", "/generation", "Generations"));
    assert!(op.is_idempotent() && op.credential() == Credential::ApiKey);

    let server = MockServer::start().await.unwrap();
    server.require_api_key(KEY);
    let policy = RetryConfig::default()
        .initial_backoff(Duration::from_millis(10))
        .max_backoff(Duration::from_millis(10))
        .backoff_multiplier(1.0)
        .max_elapsed(Duration::from_secs(5));
    let client = Client::builder().api_key(KEY).base_url(server.base_url()).retries(policy).build().unwrap();

    // The mock answers from the spec's example, and the answer is typed.
    let generation = client.generations().get_generation().id("gen-1").send().await.unwrap();
    assert!(!generation.data.id.is_empty());
    let sent = &server.requests_for(op)[0];
    assert_eq!(
        (sent.method.as_str(), sent.path.as_str(), sent.query.as_str()),
        ("GET", "/api/v1/generation", "id=gen-1")
    );
    assert_eq!(sent.bearer(), Some(KEY));
    assert!(sent.header("api-version").is_none());

    // Retried as an idempotent operation: a 503, then the answer.
    server.clear_requests();
    server.enqueue(op, MockResponse::error(503, "busy"));
    client.generations().get_generation().id("gen-1").send().await.unwrap();
    assert_eq!(server.requests_for(op).len(), 2);

    // Typed errors, with upstream's body.
    server.enqueue(op, MockResponse::error(404, "Generation not found"));
    let err = client.generations().get_generation().id("gen-x").send().await.unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    assert_eq!(err.api().unwrap().message(), Some("Generation not found"));

    // The schema's rules, checked before sending: `id` is required, with `minLength: 1`.
    server.clear_requests();
    let err = client.generations().get_generation().send().await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput { field: "id", .. }), "{err:?}");
    let err = client.generations().get_generation().id("").send().await.unwrap_err();
    assert_eq!(err.to_string(), "invalid id: must not be empty");
    assert!(server.requests().is_empty(), "nothing may be sent");

    // The mock checks the credential the operation's security names.
    let wrong = Client::builder()
        .api_key("sk-or-v1-wrong")
        .base_url(server.base_url())
        .retries(RetryConfig::none())
        .build()
        .unwrap();
    let err = wrong.generations().get_generation().id("gen-1").send().await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
}
