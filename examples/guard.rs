//! Guarding spend in a running program: a worker checks a [`SpendGuard`] before each task (from
//! memory while the answer is fresh), makes its own model call with its own HTTP client, and
//! reads a refusal with [`Blocked::from_response`]: it waits when waiting helps (the in-flight
//! budget's 402) and stops when a layer is spent (only a reset or a person helps).
//!
//! ```sh
//! OPENROUTER_API_KEY=sk-or-v1-... cargo run --example guard --features mock   # real calls: costs money
//! cargo run --example guard --features mock    # no key: the fake server's model endpoint
//! ```

use openrouter_credits::mock::{MockRefusal, MockServer};
use openrouter_credits::{Affordability, Blocked, Client};
use std::time::Duration;

/// The most one task may cost: its request sets `max_tokens`, so this is a true upper bound.
const TASK_WORST_CASE_USD: f64 = 0.50;
/// The longest this worker waits on a refusal that asks it to.
const LONGEST_WAIT: Duration = Duration::from_secs(300);

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let setup = setup().await?;
    let guard = setup.client.spend_guard(Duration::from_secs(30));
    let http = reqwest::Client::new();
    let mut task = 1;
    while task <= 6 {
        let left = guard.spendable().await?;
        if let Some(held) = left.held() {
            println!("task {task}: held ({}), waiting", held.by());
            tokio::time::sleep(held.retry_after().unwrap_or(Duration::from_secs(1))).await;
            continue;
        }
        match left.can_afford(TASK_WORST_CASE_USD)? {
            Affordability::No(layer) => {
                println!("task {task}: not started: {layer} has {:.2} USD left", layer.remaining_usd);
                break;
            }
            Affordability::Unknown => println!("task {task}: a layer could not be read; the others allow it"),
            _ => {}
        }
        if let Some(server) = &setup.fake {
            demo_script(server, task);
        }
        let response = http
            .post(&setup.model_url)
            .bearer_auth(&setup.key)
            .json(&serde_json::json!({
                "model": "openai/gpt-4o-mini",
                "max_tokens": 200,
                "messages": [{"role": "user", "content": format!("task {task}")}],
            }))
            .send()
            .await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await?;
        if (200..300).contains(&status) {
            println!("task {task}: done");
            task += 1;
            continue;
        }
        let Some(blocked) = Blocked::from_response(status, &headers, &body) else {
            return Err(format!("task {task}: the model call failed with HTTP {status}").into());
        };
        // The guard's figure was just contradicted: its next check reads again.
        guard.report(&blocked);
        match blocked.retry_after() {
            // The guard holds it: the next check waits.
            Some(wait) if wait <= LONGEST_WAIT => {
                println!("task {task}: refused ({}), retry in {wait:?}", blocked.by())
            }
            Some(_) => return Err(format!("task {task}: {blocked}: the wait is too long for this worker").into()),
            None => println!("task {task}: refused ({}): {}", blocked.by(), blocked.hint()),
        }
    }
    Ok(())
}

/// Where the worker sends its model calls, with which key; the fake server when no key is set.
struct Setup {
    client: Client,
    model_url: String,
    key: String,
    fake: Option<MockServer>,
}

async fn setup() -> Result<Setup, Box<dyn std::error::Error>> {
    if let Some(key) = std::env::var("OPENROUTER_API_KEY").ok().filter(|k| !k.trim().is_empty()) {
        let client = Client::from_env()?;
        let model_url = format!("{}/chat/completions", client.base_url());
        return Ok(Setup { client, model_url, key, fake: None });
    }
    let server = MockServer::start().await?;
    eprintln!("note: no key set, so this runs on the built-in fake server (made-up figures)");
    // Each call costs 6 USD: the member budget (17.50 USD left) is spent by the third.
    server.set_model_call_cost(6.0);
    let client = Client::builder()
        .api_key("sk-or-v1-fake")
        .management_key("sk-or-v1-fake-management")
        .base_url(server.base_url())
        .build()?;
    Ok(Setup { client, model_url: server.model_url(), key: "sk-or-v1-fake".into(), fake: Some(server) })
}

/// On the fake server: the in-flight budget is held by other requests when task 2 starts, for
/// one call.
fn demo_script(server: &MockServer, task: u32) {
    static HELD: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if task == 2 && !HELD.swap(true, std::sync::atomic::Ordering::Relaxed) {
        server.refuse_model_calls(MockRefusal::InFlightBudget { retry_after: Duration::from_secs(1) });
    } else {
        server.accept_model_calls();
    }
}
