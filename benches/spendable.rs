//! `client.spendable()` beside a lone `get_current_key`, on loopback: its two requests go out at
//! once, so with both keys its latency should be that of the slower request, not the sum. Then
//! a spend guard's cached check (`guard.spendable()` within `max_age`): alone, and with 64
//! tasks checking at once on two worker threads, and its allocations (none is the aim).
//!
//! A server on its own thread answers `GET /key` (upstream's newest shape, with a budget layer)
//! and `GET /credits`, each after a fixed delay standing for the server's work (0 ms, and 2 ms:
//! with 2 ms each, a sequential pair would take 4 ms and a concurrent one 2 ms).
//!
//! ```text
//! cargo bench --bench spendable                       # the table (p50, p99 per call)
//! cargo bench --bench spendable -- --quick            # smoke run, tiny N
//! cargo bench --bench spendable -- serve                     # just the server (0 ms); prints its URL
//! cargo bench --bench spendable -- profile spendable|key N URL # N calls of one kind, for callgrind
//! bash bench/spendable.sh                             # the table and instructions per call (valgrind)
//! ```

mod common;

use openrouter_credits::{Client, SpendGuard};
use std::time::{Duration, Instant};

const KEY: &str = "sk-or-v1-bench";
const MANAGEMENT: &str = "sk-or-v1-bench-management";
const CREDITS_BODY: &[u8] = br#"{"data":{"total_credits":100.5,"total_usage":25.75}}"#;
const KEY_BODY: &[u8] = br#"{"data":{"label":"sk-or-v1-au7...890","limit":100,"limit_remaining":74.5,"limit_reset":"monthly","usage":25.5,"usage_daily":25.5,"usage_weekly":25.5,"usage_monthly":25.5,"byok_usage":0,"byok_usage_daily":0,"byok_usage_weekly":0,"byok_usage_monthly":0,"is_free_tier":false,"is_management_key":false,"is_provisioning_key":false,"include_byok_in_limit":false,"creator_user_id":"user_2dHFtVWx2n56w6HkM0000000000","expires_at":null,"rate_limit":{"requests":-1,"interval":"1h","note":"This field is deprecated and safe to ignore."},"budgets":[{"scope":"member","guardrail_id":"0df9e665-d932-5740-b2c7-b52af166bc11","budget_id":null,"limit_usd":50,"spend_usd":32.5,"remaining_usd":17.5,"reset_interval":"weekly","resets_at":"2026-12-07T00:00:00.000Z","include_byok":false},{"scope":"key_limit","guardrail_id":null,"budget_id":null,"limit_usd":100,"spend_usd":25.5,"remaining_usd":74.5,"reset_interval":"monthly","resets_at":"2027-01-01T00:00:00.000Z","include_byok":false}],"effective_budget":{"scope":"member","guardrail_id":"0df9e665-d932-5740-b2c7-b52af166bc11","budget_id":null,"limit_usd":50,"spend_usd":32.5,"remaining_usd":17.5,"reset_interval":"weekly","resets_at":"2026-12-07T00:00:00.000Z","include_byok":false},"free_model_daily_requests":{"limit":50,"used":12,"remaining":38},"allowed_data_regions":["global","europe","us"],"organization_id":null,"workspace_id":"0df9e665-d932-5740-b2c7-b52af166bc11"}}"#;

/// Starts the server, answering each request after `delay`: `GET /key` the key, anything else
/// the balance.
fn start_server(delay: Duration) -> String {
    common::start_server(delay, |_, path| if path.ends_with("/key") { KEY_BODY } else { CREDITS_BODY })
}

fn client(url: &str) -> Client {
    Client::builder().api_key(KEY).management_key(MANAGEMENT).base_url(url).build().expect("client")
}

async fn spendable(client: &Client) {
    let s = client.spendable().await.expect("spendable");
    assert_eq!(s.remaining_usd(), Some(17.5));
}

async fn key(client: &Client) {
    let k = client.api_keys().get_current_key().await.expect("get_current_key");
    assert_eq!(k.data.limit_remaining, Some(74.5));
}

fn pct(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort_unstable();
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples.get(i).copied().unwrap_or_default()
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    if args.first().map(String::as_str) == Some("serve") {
        println!("{}", start_server(Duration::ZERO));
        loop {
            std::thread::park();
        }
    }
    if args.first().map(String::as_str) == Some("profile") {
        // The server runs in another process (`serve`), so that callgrind counts the client only.
        let spendable_side = args.get(1).map(String::as_str) == Some("spendable");
        let n: usize = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(1000);
        let url = args.get(3).cloned().unwrap_or_else(|| start_server(Duration::ZERO));
        let c = client(&url);
        rt.block_on(async {
            for _ in 0..n {
                if spendable_side { spendable(&c).await } else { key(&c).await }
            }
        });
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let (rounds, per_round) = if quick { (2, 10) } else { (10, 300) };
    println!("| server delay per request | call | p50 µs | p99 µs |");
    println!("|---|---|---|---|");
    for delay in [Duration::ZERO, Duration::from_millis(2)] {
        let url = start_server(delay);
        let c = client(&url);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        rt.block_on(async {
            // Warm both connections of the pool and the code paths.
            for _ in 0..20 {
                spendable(&c).await;
                key(&c).await;
            }
            // Interleaved rounds so drift falls on both alike.
            for _ in 0..rounds {
                for _ in 0..per_round {
                    let t = Instant::now();
                    spendable(&c).await;
                    a.push(t.elapsed());
                }
                for _ in 0..per_round {
                    let t = Instant::now();
                    key(&c).await;
                    b.push(t.elapsed());
                }
            }
        });
        let ms = delay.as_millis();
        for (name, samples) in
            [("`spendable()`, both keys (GET /key + GET /credits)", &mut a), ("lone `get_current_key`", &mut b)]
        {
            println!("| {ms} ms | {name} | {:.0} | {:.0} |", us(pct(samples, 0.5)), us(pct(samples, 0.99)));
        }
    }
    guard_table(&start_server(Duration::ZERO), quick);
}

/// A cached check's cost: each check timed alone (the two clock readings around it included:
/// the first row says what they cost), alone and with 64 tasks on two worker threads; and the
/// allocations of a cached check.
fn guard_table(url: &str, quick: bool) {
    let checks_per_task: usize = if quick { 1_000 } else { 100_000 };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let guard = client(url).spend_guard(Duration::from_secs(3600));
    let (mut clock, mut alone, mut crowd, allocations) = rt.block_on(async {
        guard.spendable().await.expect("first read");
        let mut clock = Vec::with_capacity(checks_per_task);
        for _ in 0..checks_per_task {
            let t = Instant::now();
            clock.push(t.elapsed());
        }
        let alone = timed_checks(guard.clone(), checks_per_task).await;
        common::counting::start();
        for _ in 0..1000 {
            std::hint::black_box(guard.spendable().await.expect("cached"));
        }
        let allocations = common::counting::stop() as f64 / 1000.0;
        let tasks: Vec<_> = (0..64).map(|_| tokio::spawn(timed_checks(guard.clone(), checks_per_task / 10))).collect();
        let mut crowd = Vec::new();
        for task in tasks {
            crowd.extend(task.await.expect("task"));
        }
        (clock, alone, crowd, allocations)
    });
    println!();
    println!("| spend guard, cached answer | p50 ns | p99 ns | allocations per check |");
    println!("|---|---|---|---|");
    let ns = |d: Duration| d.as_secs_f64() * 1e9;
    println!(
        "| two clock readings, nothing between (the timer's own cost) | {:.0} | {:.0} | |",
        ns(pct(&mut clock, 0.5)),
        ns(pct(&mut clock, 0.99))
    );
    println!(
        "| `guard.spendable()`, one task | {:.0} | {:.0} | {allocations:.1} |",
        ns(pct(&mut alone, 0.5)),
        ns(pct(&mut alone, 0.99))
    );
    println!(
        "| `guard.spendable()`, 64 tasks at once, 2 worker threads | {:.0} | {:.0} | |",
        ns(pct(&mut crowd, 0.5)),
        ns(pct(&mut crowd, 0.99))
    );
}

async fn timed_checks(guard: SpendGuard, n: usize) -> Vec<Duration> {
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let reading = guard.spendable().await.expect("cached");
        samples.push(t.elapsed());
        std::hint::black_box(reading);
    }
    samples
}
