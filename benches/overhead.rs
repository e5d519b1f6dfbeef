//! What the SDK adds to the HTTP call under it: `get_credits` through the SDK versus the same
//! request made with a bare `reqwest::Client` (same pool settings), against a minimal hyper
//! server on loopback started here, on its own thread.
//!
//! A quick in-process check (CI smoke-runs it with `--quick`). Its timings are not pinned and
//! not reported: BENCHMARKS.md's figures come from `bench/peers` (instructions and allocations
//! per call, pinned latency and throughput, the published SDKs side by side), through
//! `bash bench/run_all.sh`.
//!
//! ```text
//! cargo bench --bench overhead                 # full run, prints a markdown table
//! cargo bench --bench overhead -- --quick      # smoke run with tiny N (CI runs it via cargo test)
//! cargo bench --bench overhead -- serve        # just the server; prints its URL (bench/compare_python.sh)
//! cargo bench --bench overhead -- client URL N # N sequential get_credits calls, SDK and bare: calls/s
//! cargo bench --bench overhead -- profile sdk|bare N # N calls of one side only, for callgrind
//! ```
//!
//! Allocations are counted by a global allocator, on the client thread only (the server runs on
//! another thread and is not counted). Every run (the `--quick` one in CI too) holds them to
//! BENCHMARKS.md's figures with a tolerance ([`ALLOCATION_BUDGET`]), and to fewer than bare
//! reqwest makes: a change that costs allocations on every call fails, while a dependency upgrade
//! that moves the count by one or two does not.

mod common;

use openrouter_credits::types::{CoinbaseChargeResponse, CreditsResponse};
use openrouter_credits::{ChainId, Client, CreateCoinbaseChargeSecurity};
use std::time::{Duration, Instant};

/// Allocations per call as BENCHMARKS.md reports them (Linux x86-64; this bench counts them
/// the same way): `get_credits`, the charge.
const ALLOCATION_BUDGET: (f64, f64) = (41.0, 62.0);
/// How far above the budget a run may land before it fails: room for a dependency upgrade's
/// allocation or two (hyper, reqwest, serde_json), not for a regression that costs several a call.
const ALLOCATION_TOLERANCE: f64 = 0.10;

/// The allocation verdict: `Err` naming every figure over its bound.
fn check_allocations(credits: (f64, f64), charge: (f64, f64)) -> Result<(), String> {
    let mut over = Vec::new();
    for (name, (sdk, bare), budget) in
        [("get_credits", credits, ALLOCATION_BUDGET.0), ("create_coinbase_charge", charge, ALLOCATION_BUDGET.1)]
    {
        let limit = budget * (1.0 + ALLOCATION_TOLERANCE);
        if sdk > limit {
            over.push(format!(
                "{name}: {sdk:.1} allocations per call, over {limit:.1} (BENCHMARKS.md: {budget}, + {:.0} %)",
                ALLOCATION_TOLERANCE * 100.0
            ));
        }
        if sdk >= bare {
            over.push(format!("{name}: {sdk:.1} allocations per call, not fewer than bare reqwest's {bare:.1}"));
        }
    }
    if over.is_empty() { Ok(()) } else { Err(over.join("\n")) }
}

const KEY: &str = "sk-or-v1-bench";
const SENDER: &str = "0x1234567890123456789012345678901234567890";
const CREDITS_BODY: &[u8] = br#"{"data":{"total_credits":100.5,"total_usage":25.75}}"#;
const CHARGE_BODY: &[u8] = br#"{"data":{"id":"00000000-0000-4000-8000-000000000001","created_at":"2026-11-24T12:00:00Z","expires_at":"2026-11-24T13:00:00Z","web3_data":{"transfer_intent":{"call_data":{"deadline":"2026-11-24T13:00:00Z","fee_amount":"5000000","id":"0x01","operator":"0x8fccd0f3f2e8b1ab9a1d38b1b3a5b2d0f5b2c3d4","prefix":"0x4b3220496e766f69636520","recipient":"0x1f9840a85d5af5bf1d1762f925bdaddc4201f984","recipient_amount":"95000000","recipient_currency":"0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48","refund_destination":"0x1234567890123456789012345678901234567890","signature":"0x02"},"metadata":{"chain_id":1,"contract_address":"0x3a4f3f0c6c1b9b1c5d0e2f1a7b8c9d0e1f2a3b4c","sender":"0x1234567890123456789012345678901234567890"}}}}}"#;

/// Starts the server; the charge's POST gets the charge, anything else the balance.
fn start_server() -> String {
    common::start_server(
        Duration::ZERO,
        |method, _| if method == hyper::Method::POST { CHARGE_BODY } else { CREDITS_BODY },
    )
}

fn sdk(url: &str) -> Client {
    Client::builder().api_key(KEY).api_key_is_management_key(true).base_url(url).build().expect("client")
}

/// The same settings the SDK gives its reqwest client.
fn bare() -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent("bench")
        .connect_timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("reqwest")
}

async fn bare_get(http: &reqwest::Client, url: &str) -> CreditsResponse {
    let resp = http
        .get(format!("{url}/credits"))
        .bearer_auth(KEY)
        .header("accept", "application/json")
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .expect("send");
    resp.error_for_status().expect("status").json().await.expect("json")
}

async fn bare_charge(http: &reqwest::Client, url: &str) -> CoinbaseChargeResponse {
    let body = serde_json::json!({"amount": 100.0, "sender": SENDER, "chain_id": 1});
    let resp = http
        .post(format!("{url}/credits/coinbase"))
        .bearer_auth("bearer")
        .header("accept", "application/json")
        .json(&body)
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .expect("send");
    resp.error_for_status().expect("status").json().await.expect("json")
}

async fn sdk_get(client: &Client) -> CreditsResponse {
    client.credits().get_credits().await.expect("get_credits")
}

async fn sdk_charge(client: &Client) -> CoinbaseChargeResponse {
    client
        .credits()
        .create_coinbase_charge(CreateCoinbaseChargeSecurity::bearer("bearer"))
        .amount(100.0)
        .sender(SENDER)
        .chain_id(ChainId::Ethereum)
        .await
        .expect("charge")
}

#[derive(Default)]
struct Samples(Vec<Duration>);

impl Samples {
    fn pct(&mut self, p: f64) -> Duration {
        self.0.sort_unstable();
        let i = ((self.0.len() as f64 - 1.0) * p).round() as usize;
        self.0.get(i).copied().unwrap_or_default()
    }
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Sequential latency, SDK and bare interleaved in rounds so drift hits both alike.
macro_rules! sequential {
    ($rounds:expr, $per_round:expr, $sdk:expr, $bare:expr) => {{
        let (mut a, mut b) = (Samples::default(), Samples::default());
        for _ in 0..$rounds {
            for _ in 0..$per_round {
                let t = Instant::now();
                std::hint::black_box($sdk);
                a.0.push(t.elapsed());
            }
            for _ in 0..$per_round {
                let t = Instant::now();
                std::hint::black_box($bare);
                b.0.push(t.elapsed());
            }
        }
        (a, b)
    }};
}

/// `calls` calls with `in_flight` tasks on one client: per-call latencies and total wall time.
async fn concurrent<F, Fut>(in_flight: usize, calls: usize, make: F) -> (Samples, Duration)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()> + 'static,
{
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..in_flight {
        let futs: Vec<Fut> = (0..calls / in_flight).map(|_| make()).collect();
        set.spawn_local(async move {
            let mut lat = Vec::with_capacity(futs.len());
            for f in futs {
                let t = Instant::now();
                f.await;
                lat.push(t.elapsed());
            }
            lat
        });
    }
    let mut all = Samples::default();
    while let Some(lat) = set.join_next().await {
        all.0.extend(lat.expect("task"));
    }
    (all, started.elapsed())
}

async fn count_allocations<Fut: std::future::Future>(calls: u64, f: impl Fn() -> Fut) -> f64 {
    common::counting::start();
    for _ in 0..calls {
        std::hint::black_box(f().await);
    }
    common::counting::stop() as f64 / calls as f64
}

fn decode_ns<T: serde::de::DeserializeOwned>(body: &[u8], iters: u32) -> f64 {
    let t = Instant::now();
    for _ in 0..iters {
        std::hint::black_box(serde_json::from_slice::<T>(std::hint::black_box(body)).expect("decode"));
    }
    t.elapsed().as_nanos() as f64 / f64::from(iters)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    match args.first().map(String::as_str) {
        Some("serve") => {
            println!("{}", start_server());
            loop {
                std::thread::park();
            }
        }
        Some("profile") => {
            // One kind of call only, for `valgrind --tool=callgrind` (see BENCHMARKS.md).
            let sdk_side = args.get(1).map(String::as_str) == Some("sdk");
            let n: usize = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(1000);
            let url = start_server();
            let (client, http) = (sdk(&url), bare());
            rt.block_on(async {
                for _ in 0..n {
                    if sdk_side {
                        std::hint::black_box(sdk_get(&client).await);
                    } else {
                        std::hint::black_box(bare_get(&http, &url).await);
                    }
                }
            });
        }
        Some("client") => {
            let url = args.get(1).expect("client URL N");
            let n: usize = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(2000);
            let (client, http) = (sdk(url).clone(), bare());
            rt.block_on(async {
                for _ in 0..100 {
                    sdk_get(&client).await;
                    bare_get(&http, url).await;
                }
                // Interleaved rounds, alternating which goes first, so drift in the machine's
                // state (frequency, other load) falls on both alike.
                let rounds = 10;
                let per_round = n.div_ceil(rounds);
                let (mut sdk_time, mut bare_time) = (Duration::ZERO, Duration::ZERO);
                for round in 0..rounds {
                    for sdk_turn in [round % 2 == 0, round % 2 != 0] {
                        let t = Instant::now();
                        for _ in 0..per_round {
                            if sdk_turn {
                                sdk_get(&client).await;
                            } else {
                                bare_get(&http, url).await;
                            }
                        }
                        *(if sdk_turn { &mut sdk_time } else { &mut bare_time }) += t.elapsed();
                    }
                }
                let calls = (rounds * per_round) as f64;
                let (sdk_rate, bare_rate) = (calls / sdk_time.as_secs_f64(), calls / bare_time.as_secs_f64());
                println!("sdk {sdk_rate:.0}\nbare {bare_rate:.0}");
            });
        }
        _ => {
            let quick = args.iter().any(|a| a == "--quick");
            let (rounds, per_round, in_flight, conc_calls, decode_iters, alloc_calls) =
                if quick { (2, 20, 8, 64, 1000, 20) } else { (20, 1000, 64, 64 * 300, 200_000, 2000) };
            let url = start_server();
            let client = sdk(&url);
            let http = bare();
            let local = tokio::task::LocalSet::new();
            local.block_on(&rt, async {
                // Warm both pools and code paths.
                for _ in 0..200 {
                    sdk_get(&client).await;
                    bare_get(&http, &url).await;
                }
                let (mut s, mut b) =
                    sequential!(rounds, per_round, sdk_get(&client).await, bare_get(&http, &url).await);
                let (mut cs, mut cb) =
                    sequential!(rounds / 2, per_round / 2, sdk_charge(&client).await, bare_charge(&http, &url).await);
                // Open the in-flight connections of both pools first: otherwise whichever side
                // runs first pays for connecting 64 sockets inside its measurement.
                for _ in 0..2 {
                    let mut set = tokio::task::JoinSet::new();
                    for _ in 0..in_flight {
                        let (c, h, u) = (client.clone(), http.clone(), url.clone());
                        set.spawn_local(async move {
                            sdk_get(&c).await;
                            bare_get(&h, &u).await;
                        });
                    }
                    while set.join_next().await.is_some() {}
                }
                // Two halves, alternating which side goes first, so drift falls on both alike.
                let (mut ps, mut ps_wall, mut pb, mut pb_wall) =
                    (Samples::default(), Duration::ZERO, Samples::default(), Duration::ZERO);
                for half in 0..2 {
                    for sdk_turn in [half == 0, half != 0] {
                        if sdk_turn {
                            let c = client.clone();
                            let (lat, wall) = concurrent(in_flight, conc_calls / 2, move || {
                                let c = c.clone();
                                async move {
                                    sdk_get(&c).await;
                                }
                            })
                            .await;
                            ps.0.extend(lat.0);
                            ps_wall += wall;
                        } else {
                            let (h, u) = (http.clone(), url.clone());
                            let (lat, wall) = concurrent(in_flight, conc_calls / 2, move || {
                                let (h, u) = (h.clone(), u.clone());
                                async move {
                                    bare_get(&h, &u).await;
                                }
                            })
                            .await;
                            pb.0.extend(lat.0);
                            pb_wall += wall;
                        }
                    }
                }
                let alloc_sdk = count_allocations(alloc_calls, || sdk_get(&client)).await;
                let alloc_bare = count_allocations(alloc_calls, || bare_get(&http, &url)).await;
                let alloc_charge = count_allocations(alloc_calls, || sdk_charge(&client)).await;
                let alloc_bare_charge = count_allocations(alloc_calls, || bare_charge(&http, &url)).await;

                let row = |name: &str, a: &mut Samples, b: &mut Samples| {
                    let (a50, b50, a99, b99) = (a.pct(0.5), b.pct(0.5), a.pct(0.99), b.pct(0.99));
                    println!(
                        "| {name} | {:.1} | {:.1} | {:+.1} % | {:.1} | {:.1} |",
                        us(a50),
                        us(b50),
                        (us(a50) / us(b50) - 1.0) * 100.0,
                        us(a99),
                        us(b99)
                    );
                };
                println!("| call | SDK p50 µs | bare reqwest p50 µs | overhead at p50 | SDK p99 µs | bare p99 µs |");
                println!("|---|---|---|---|---|---|");
                row(&format!("get_credits, sequential ({} calls each)", s.0.len()), &mut s, &mut b);
                row(&format!("create_coinbase_charge, sequential ({} calls each)", cs.0.len()), &mut cs, &mut cb);
                row(&format!("get_credits, {in_flight} in flight ({conc_calls} calls each)"), &mut ps, &mut pb);
                println!();
                println!("| measure | SDK | bare reqwest |");
                println!("|---|---|---|");
                println!(
                    "| get_credits throughput, {in_flight} in flight (calls/s) | {:.0} | {:.0} |",
                    conc_calls as f64 / ps_wall.as_secs_f64(),
                    conc_calls as f64 / pb_wall.as_secs_f64()
                );
                println!("| allocations per get_credits call | {alloc_sdk:.1} | {alloc_bare:.1} |");
                println!("| allocations per charge call | {alloc_charge:.1} | {alloc_bare_charge:.1} |");
                // Linux x86-64 only, where BENCHMARKS.md is measured: another platform's
                // allocator and TLS stack may count differently.
                if cfg!(all(target_os = "linux", target_arch = "x86_64"))
                    && let Err(over) = check_allocations((alloc_sdk, alloc_bare), (alloc_charge, alloc_bare_charge))
                {
                    eprintln!("error: allocations per call over budget:\n{over}");
                    std::process::exit(1);
                }
                println!();
                println!("| decoding alone (serde_json into the generated types) | ns per body |");
                println!("|---|---|");
                println!(
                    "| credits response ({} bytes) | {:.0} |",
                    CREDITS_BODY.len(),
                    decode_ns::<CreditsResponse>(CREDITS_BODY, decode_iters)
                );
                println!(
                    "| charge response ({} bytes) | {:.0} |",
                    CHARGE_BODY.len(),
                    decode_ns::<CoinbaseChargeResponse>(CHARGE_BODY, decode_iters)
                );
            });
        }
    }
}
