//! Side-by-side benchmark of OpenRouter clients against one loopback hyper server that runs in
//! another process. `bash bench/run_all.sh` drives it; the modes are also usable by hand:
//!
//! ```text
//! peers serve                           # the server; prints its base URL (…/api/v1), serves forever
//! peers client NAME OP N URL            # N sequential calls of one contender (for callgrind)
//! peers alloc URL                       # allocations per call, every contender and operation
//! peers latency URL OP ROUNDS PER_ROUND # sequential latency, rotating order, paired rounds
//! peers throughput URL OP ROUNDS CALLS  # CALLS calls with 64 in flight, paired rounds
//! peers rate URL N                      # sequential get_credits calls/s, this crate and bare reqwest
//! peers decode NAME OP N                # N decodes of the body into NAME's types (for callgrind)
//! ```
//!
//! NAME is one of `openrouter-credits`, `reqwest`, `openrouter-rs`, `openrouter_api`,
//! `hyper-util`; OP is `credits` (GET /credits) or `charge` (POST /credits/coinbase).
//! `alloc`, `latency` and `throughput` print one JSON object per line; `bench/report.py` turns
//! them into BENCHMARKS.md's tables.
//!
//! Every contender decodes the body into its own types (the SDKs) or into this crate's types
//! (bare reqwest, hyper-util), checks the status, and sends `Authorization` and `Accept`.
//! Every client runs on a current-thread tokio runtime, as does the server.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use openrouter_credits::types::{CoinbaseChargeResponse, CreditsResponse};
use openrouter_credits::{ChainId, CreateCoinbaseChargeSecurity};
use std::alloc::{GlobalAlloc, Layout, System};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// Counting allocator: every thread of the client process, only while `COUNTING` is on.

struct Counting;
static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

fn note(size: usize) {
    if COUNTING.load(Ordering::Relaxed) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(size as u64, Ordering::Relaxed);
    }
}

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

// ---------------------------------------------------------------------------------------------
// The fixtures. openrouter_api checks that a key is at least 20 characters.

const KEY: &str = "sk-or-v1-bench-0123456789abcdef";
const SENDER: &str = "0x1234567890123456789012345678901234567890";
const CREDITS_BODY: &[u8] = br#"{"data":{"total_credits":100.5,"total_usage":25.75}}"#;
/// The charge as OpenRouter's spec has it (this crate's types), plus the four fields
/// openrouter-rs 0.23 decodes its charge into (`addresses`, `calldata`, `chain_id`, `sender`),
/// so that one body serves every contender; each ignores the fields it does not know.
const CHARGE_BODY: &[u8] = br#"{"data":{"id":"00000000-0000-4000-8000-000000000001","created_at":"2026-11-24T12:00:00Z","expires_at":"2026-11-24T13:00:00Z","web3_data":{"transfer_intent":{"call_data":{"deadline":"2026-11-24T13:00:00Z","fee_amount":"5000000","id":"0x01","operator":"0x8fccd0f3f2e8b1ab9a1d38b1b3a5b2d0f5b2c3d4","prefix":"0x4b3220496e766f69636520","recipient":"0x1f9840a85d5af5bf1d1762f925bdaddc4201f984","recipient_amount":"95000000","recipient_currency":"0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48","refund_destination":"0x1234567890123456789012345678901234567890","signature":"0x02"},"metadata":{"chain_id":1,"contract_address":"0x3a4f3f0c6c1b9b1c5d0e2f1a7b8c9d0e1f2a3b4c","sender":"0x1234567890123456789012345678901234567890"}}},"addresses":{},"calldata":{},"chain_id":1,"sender":"0x1234567890123456789012345678901234567890"}}"#;

const CONTENDERS: [&str; 6] =
    ["openrouter-credits", "openrouter-credits-fresh", "reqwest", "openrouter-rs", "openrouter_api", "hyper-util"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Credits,
    Charge,
}

impl Op {
    fn parse(s: &str) -> Op {
        match s {
            "credits" => Op::Credits,
            "charge" => Op::Charge,
            other => panic!("unknown operation {other:?}: credits or charge"),
        }
    }
    fn name(self) -> &'static str {
        match self {
            Op::Credits => "credits",
            Op::Charge => "charge",
        }
    }
}

/// Whether a contender has the operation at all (openrouter_api 0.7.1 has no Coinbase charge).
fn has(contender: &str, op: Op) -> bool {
    match (contender, op) {
        ("openrouter_api", Op::Charge) => false,
        // Only the charge (not idempotent) goes on a fresh connection with that option.
        ("openrouter-credits-fresh", Op::Credits) => false,
        _ => true,
    }
}

// ---------------------------------------------------------------------------------------------
// The server: GET /api/v1/credits and POST /api/v1/credits/coinbase, one current-thread runtime.

fn serve() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        println!("http://{}/api/v1", listener.local_addr().expect("addr"));
        use std::io::Write as _;
        std::io::stdout().flush().expect("flush");
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(|req: hyper::Request<hyper::body::Incoming>| async move {
                    let (parts, body) = req.into_parts();
                    let _ = body.collect().await;
                    let body = match (&parts.method, parts.uri.path()) {
                        (&hyper::Method::GET, "/api/v1/credits") => Some(CREDITS_BODY),
                        (&hyper::Method::POST, "/api/v1/credits/coinbase") => Some(CHARGE_BODY),
                        _ => None,
                    };
                    let mut resp = match body {
                        Some(b) => hyper::Response::new(Full::new(Bytes::from_static(b))),
                        None => {
                            let mut r = hyper::Response::new(Full::new(Bytes::from_static(b"{}")));
                            *r.status_mut() = hyper::StatusCode::NOT_FOUND;
                            r
                        }
                    };
                    resp.headers_mut()
                        .insert("content-type", hyper::header::HeaderValue::from_static("application/json"));
                    Ok::<_, std::convert::Infallible>(resp)
                });
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
            });
        }
    });
}

// ---------------------------------------------------------------------------------------------
// The contenders. Each is built the way its documentation shows, pointed at the loopback URL.

type HyperClient = hyper_util::client::legacy::Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

enum Contender {
    Sdk(openrouter_credits::Client),
    /// Bare reqwest with the library's settings, and the base URL (the path is formatted per call).
    Reqwest(reqwest::Client, String),
    OpenrouterRs(openrouter_rs::OpenRouterClient),
    OpenrouterApi(openrouter_api::OpenRouterClient<openrouter_api::Ready>),
    /// The floor: hyper-util's legacy pooled client, the request built by hand.
    Hyper(HyperClient, hyper::Uri, hyper::Uri),
}

fn build(name: &str, url: &str) -> Contender {
    match name {
        "openrouter-credits" => {
            Contender::Sdk(openrouter_credits::Client::builder().management_key(KEY).base_url(url).build().expect("sdk"))
        }
        // This crate with each charge on a fresh connection (`fresh_connections_for_non_idempotent`).
        "openrouter-credits-fresh" => Contender::Sdk(
            openrouter_credits::Client::builder()
                .management_key(KEY)
                .base_url(url)
                .fresh_connections_for_non_idempotent(true)
                .build()
                .expect("sdk"),
        ),
        "reqwest" => Contender::Reqwest(
            // The settings the SDK gives its own reqwest client.
            reqwest::Client::builder()
                .user_agent("bench")
                .connect_timeout(Duration::from_secs(10))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("reqwest"),
            url.to_owned(),
        ),
        "openrouter-rs" => Contender::OpenrouterRs(
            openrouter_rs::OpenRouterClient::builder().base_url(url).api_key(KEY).build().expect("openrouter-rs"),
        ),
        "openrouter_api" => Contender::OpenrouterApi(
            // Its base URL must end in `/` (it joins "credits" onto it).
            openrouter_api::OpenRouterClient::new()
                .with_base_url(format!("{url}/"))
                .expect("openrouter_api base url")
                .with_api_key(KEY)
                .expect("openrouter_api"),
        ),
        "hyper-util" => Contender::Hyper(
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build(hyper_util::client::legacy::connect::HttpConnector::new()),
            format!("{url}/credits").parse().expect("uri"),
            format!("{url}/credits/coinbase").parse().expect("uri"),
        ),
        // Not in the tables: this crate on a reqwest client whose own retry layer is off (reqwest
        // 0.13 clones every request for it), to measure what that layer costs this crate.
        "openrouter-credits-noretry" => Contender::Sdk(
            openrouter_credits::Client::builder()
                .management_key(KEY)
                .base_url(url)
                .http_client(
                    reqwest::Client::builder()
                        .user_agent("bench")
                        .connect_timeout(Duration::from_secs(10))
                        .redirect(reqwest::redirect::Policy::none())
                        .retry(reqwest::retry::never().max_retries_per_request(0))
                        .build()
                        .expect("reqwest"),
                )
                .build()
                .expect("sdk"),
        ),
        other => panic!("unknown contender {other:?}: one of {CONTENDERS:?}"),
    }
}

#[derive(serde::Serialize)]
struct ChargeBody<'a> {
    amount: f64,
    sender: &'a str,
    chain_id: u32,
}

impl Contender {
    /// One call; panics unless it succeeds and the body decodes.
    async fn call(&self, op: Op) {
        match op {
            Op::Credits => self.credits().await,
            Op::Charge => self.charge().await,
        }
    }

    async fn credits(&self) {
        match self {
            Contender::Sdk(c) => {
                std::hint::black_box(c.credits().get_credits().send().await.expect("get_credits"));
            }
            Contender::Reqwest(http, url) => {
                // The overhead bench's `bare_get`.
                let resp = http
                    .get(format!("{url}/credits"))
                    .bearer_auth(KEY)
                    .header("accept", "application/json")
                    .timeout(Duration::from_secs(30))
                    .send()
                    .await
                    .expect("send");
                let body: CreditsResponse = resp.error_for_status().expect("status").json().await.expect("json");
                std::hint::black_box(body);
            }
            Contender::OpenrouterRs(c) => {
                std::hint::black_box(c.management().get_credits().await.expect("openrouter-rs get_credits"));
            }
            Contender::OpenrouterApi(c) => {
                // As its documentation shows: `client.credits()?.get_balance().await?`.
                let api = c.credits().expect("credits api");
                std::hint::black_box(api.get_balance().await.expect("openrouter_api get_balance"));
            }
            Contender::Hyper(c, credits, _) => {
                let req = hyper::Request::get(credits.clone())
                    .header(hyper::header::AUTHORIZATION, const_bearer())
                    .header(hyper::header::ACCEPT, hyper::header::HeaderValue::from_static("application/json"))
                    .body(Full::new(Bytes::new()))
                    .expect("request");
                let resp = c.request(req).await.expect("hyper send");
                assert!(resp.status().is_success());
                let body = resp.into_body().collect().await.expect("body").to_bytes();
                std::hint::black_box(serde_json::from_slice::<CreditsResponse>(&body).expect("json"));
            }
        }
    }

    async fn charge(&self) {
        match self {
            Contender::Sdk(c) => {
                let charge = c
                    .credits()
                    .create_coinbase_charge(CreateCoinbaseChargeSecurity::bearer(KEY))
                    .amount(100.0)
                    .sender(SENDER)
                    .chain_id(ChainId::Ethereum)
                    .send()
                    .await
                    .expect("charge");
                std::hint::black_box(charge);
            }
            Contender::Reqwest(http, url) => {
                // The overhead bench's `bare_charge`.
                let body = serde_json::json!({"amount": 100.0, "sender": SENDER, "chain_id": 1});
                let resp = http
                    .post(format!("{url}/credits/coinbase"))
                    .bearer_auth(KEY)
                    .header("accept", "application/json")
                    .json(&body)
                    .timeout(Duration::from_secs(30))
                    .send()
                    .await
                    .expect("send");
                let body: CoinbaseChargeResponse = resp.error_for_status().expect("status").json().await.expect("json");
                std::hint::black_box(body);
            }
            Contender::OpenrouterRs(c) => {
                let request = openrouter_rs::api::credits::CoinbaseChargeRequest::new(100.0, SENDER, 1);
                #[allow(deprecated)]
                let charge = c.management().create_coinbase_charge(&request).await.expect("openrouter-rs charge");
                std::hint::black_box(charge);
            }
            Contender::OpenrouterApi(_) => unreachable!("openrouter_api 0.7.1 has no Coinbase charge"),
            Contender::Hyper(c, _, charge) => {
                let body =
                    serde_json::to_vec(&ChargeBody { amount: 100.0, sender: SENDER, chain_id: 1 }).expect("body");
                let req = hyper::Request::post(charge.clone())
                    .header(hyper::header::AUTHORIZATION, const_bearer())
                    .header(hyper::header::ACCEPT, hyper::header::HeaderValue::from_static("application/json"))
                    .header(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("application/json"))
                    .body(Full::new(Bytes::from(body)))
                    .expect("request");
                let resp = c.request(req).await.expect("hyper send");
                assert!(resp.status().is_success());
                let body = resp.into_body().collect().await.expect("body").to_bytes();
                std::hint::black_box(serde_json::from_slice::<CoinbaseChargeResponse>(&body).expect("json"));
            }
        }
    }
}

/// `Bearer KEY` as a static header value (no allocation), as a hand-written client would have it.
fn const_bearer() -> hyper::header::HeaderValue {
    hyper::header::HeaderValue::from_static("Bearer sk-or-v1-bench-0123456789abcdef")
}

/// Decoding the body alone, into the types the contender decodes into: the SDKs' own, this
/// crate's for bare reqwest and hyper-util. Separates what each client costs from how much of the
/// body its types keep (openrouter-rs keeps 2 of the charge's strings, this crate all 15).
fn decode(name: &str, op: Op) {
    use serde::de::DeserializeOwned;
    fn one<T: DeserializeOwned>(body: &[u8]) {
        std::hint::black_box(serde_json::from_slice::<T>(std::hint::black_box(body)).expect("decode"));
    }
    match (name, op) {
        ("openrouter-credits" | "openrouter-credits-fresh" | "reqwest" | "hyper-util", Op::Credits) => {
            one::<CreditsResponse>(CREDITS_BODY)
        }
        ("openrouter-credits" | "openrouter-credits-fresh" | "reqwest" | "hyper-util", Op::Charge) => {
            one::<CoinbaseChargeResponse>(CHARGE_BODY)
        }
        ("openrouter-rs", Op::Credits) => {
            one::<openrouter_rs::types::ApiResponse<openrouter_rs::api::credits::CreditsData>>(CREDITS_BODY)
        }
        ("openrouter-rs", Op::Charge) => {
            one::<openrouter_rs::types::ApiResponse<openrouter_rs::api::credits::CoinbaseChargeData>>(CHARGE_BODY)
        }
        ("openrouter_api", Op::Credits) => one::<openrouter_api::types::credits::CreditsResponse>(CREDITS_BODY),
        _ => panic!("no decoder for {name} {}", op.name()),
    }
}

// ---------------------------------------------------------------------------------------------
// Statistics.

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

fn median(v: &[f64]) -> f64 {
    percentile(&sorted(v.to_vec()), 0.5)
}

/// `"KEY_median":…,"KEY_p25":…,"KEY_p75":…,"KEY_min":…,"KEY_max":…` of per-round values.
fn spread_json(key: &str, v: &[f64]) -> String {
    let s = sorted(v.to_vec());
    format!(
        r#""{key}_median":{:.2},"{key}_p25":{:.2},"{key}_p75":{:.2},"{key}_min":{:.2},"{key}_max":{:.2}"#,
        percentile(&s, 0.5),
        percentile(&s, 0.25),
        percentile(&s, 0.75),
        s[0],
        s[s.len() - 1]
    )
}

fn min_max(v: &[f64]) -> (f64, f64) {
    let s = sorted(v.to_vec());
    (s[0], s[s.len() - 1])
}

// ---------------------------------------------------------------------------------------------
// Modes.

/// CPU time this thread has run, in ns (`/proc/thread-self/schedstat`). Every client runs on a
/// current-thread runtime on the main thread, so this is the client's CPU time, and unlike wall
/// time it does not grow when other processes take the CPU away.
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

/// `client NAME OP N URL`: N sequential calls of one contender and nothing else (callgrind).
fn client(name: &str, op: Op, n: usize, url: &str) {
    let c = build(name, url);
    runtime().block_on(async {
        for _ in 0..n {
            c.call(op).await;
        }
    });
}

/// `alloc URL`: allocations per call (every thread of this process), after warm-up.
fn alloc(url: &str) {
    const WARM: usize = 200;
    const CALLS: u64 = 2000;
    let rt = runtime();
    for name in CONTENDERS {
        let c = build(name, url);
        for op in [Op::Credits, Op::Charge] {
            if !has(name, op) {
                continue;
            }
            rt.block_on(async {
                for _ in 0..WARM {
                    c.call(op).await;
                }
                ALLOCATIONS.store(0, Ordering::SeqCst);
                BYTES.store(0, Ordering::SeqCst);
                COUNTING.store(true, Ordering::SeqCst);
                for _ in 0..CALLS {
                    c.call(op).await;
                }
                COUNTING.store(false, Ordering::SeqCst);
            });
            let (n, b) = (ALLOCATIONS.load(Ordering::SeqCst), BYTES.load(Ordering::SeqCst));
            ALLOCATIONS.store(0, Ordering::SeqCst);
            COUNTING.store(true, Ordering::SeqCst);
            for _ in 0..CALLS {
                decode(name, op);
            }
            COUNTING.store(false, Ordering::SeqCst);
            let d = ALLOCATIONS.load(Ordering::SeqCst);
            println!(
                r#"{{"mode":"alloc","contender":"{name}","op":"{}","calls":{CALLS},"allocs_per_call":{:.2},"bytes_per_call":{:.0},"decode_allocs":{:.2}}}"#,
                op.name(),
                n as f64 / CALLS as f64,
                b as f64 / CALLS as f64,
                d as f64 / CALLS as f64
            );
        }
    }
}

/// `latency URL OP ROUNDS PER_ROUND`: every contender makes PER_ROUND sequential calls per round;
/// the order rotates each round (round r starts with contender r mod 5), so drift and the
/// machine's other load fall on each alike. A round's p50 is compared with bare reqwest's p50 of
/// the same round (a paired ratio); the spread is over rounds.
fn latency(url: &str, op: Op, rounds: usize, per_round: usize) {
    let rt = runtime();
    let names: Vec<&str> = CONTENDERS.iter().copied().filter(|n| has(n, op)).collect();
    let clients: Vec<Contender> = names.iter().map(|n| build(n, url)).collect();
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    let mut round_p50: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    let mut cpu_us: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    rt.block_on(async {
        for c in &clients {
            for _ in 0..500 {
                c.call(op).await;
            }
        }
        let mut lat = Vec::with_capacity(per_round);
        for round in 0..rounds {
            for k in 0..names.len() {
                let i = (round + k) % names.len();
                lat.clear();
                let cpu = thread_cpu_ns();
                for _ in 0..per_round {
                    let t = Instant::now();
                    clients[i].call(op).await;
                    lat.push(t.elapsed().as_secs_f64() * 1e6);
                }
                cpu_us[i].push((thread_cpu_ns() - cpu) as f64 / 1e3 / per_round as f64);
                round_p50[i].push(median(&lat));
                samples[i].extend_from_slice(&lat);
            }
        }
    });
    let base = names.iter().position(|n| *n == "reqwest").expect("reqwest");
    for (i, name) in names.iter().enumerate() {
        let all = sorted(std::mem::take(&mut samples[i]));
        let ratios: Vec<f64> = round_p50[i].iter().zip(&round_p50[base]).map(|(a, b)| (a / b - 1.0) * 100.0).collect();
        let cpu_ratios: Vec<f64> = cpu_us[i].iter().zip(&cpu_us[base]).map(|(a, b)| (a / b - 1.0) * 100.0).collect();
        let (pmin, pmax) = min_max(&round_p50[i]);
        println!(
            r#"{{"mode":"latency","contender":"{name}","op":"{}","rounds":{rounds},"per_round":{per_round},"p50_us":{:.2},"p99_us":{:.2},"round_p50_min_us":{pmin:.2},"round_p50_max_us":{pmax:.2},{},"client_cpu_us_per_call":{:.2},{}}}"#,
            op.name(),
            percentile(&all, 0.5),
            percentile(&all, 0.99),
            spread_json("vs_reqwest_pct", &ratios),
            median(&cpu_us[i]),
            spread_json("cpu_vs_reqwest_pct", &cpu_ratios)
        );
    }
}

/// `throughput URL OP ROUNDS CALLS`: CALLS calls per contender per round, by 64 tasks on
/// one current-thread runtime (64 in flight), order rotating each round; calls/s per round,
/// each round's rate compared with bare reqwest's rate of the same round.
fn throughput(url: &str, op: Op, rounds: usize, calls: usize) {
    const IN_FLIGHT: usize = 64;
    let rt = runtime();
    let names: Vec<&str> = CONTENDERS.iter().copied().filter(|n| has(n, op)).collect();
    let clients: Vec<Rc<Contender>> = names.iter().map(|n| Rc::new(build(n, url))).collect();
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    let mut cpu_us: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async {
        async fn burst(c: &Rc<Contender>, op: Op, calls: usize) -> Duration {
            let started = Instant::now();
            let mut set = tokio::task::JoinSet::new();
            for _ in 0..IN_FLIGHT {
                let c = c.clone();
                set.spawn_local(async move {
                    for _ in 0..calls / IN_FLIGHT {
                        c.call(op).await;
                    }
                });
            }
            while let Some(r) = set.join_next().await {
                r.expect("task");
            }
            started.elapsed()
        }
        // Open each contender's 64 connections before anything is measured.
        for c in &clients {
            burst(c, op, IN_FLIGHT * 20).await;
        }
        for round in 0..rounds {
            for k in 0..names.len() {
                let i = (round + k) % names.len();
                let cpu = thread_cpu_ns();
                let wall = burst(&clients[i], op, calls).await;
                let done = (calls / IN_FLIGHT * IN_FLIGHT) as f64;
                cpu_us[i].push((thread_cpu_ns() - cpu) as f64 / 1e3 / done);
                rates[i].push(done / wall.as_secs_f64());
            }
        }
    });
    let base = names.iter().position(|n| *n == "reqwest").expect("reqwest");
    for (i, name) in names.iter().enumerate() {
        let ratios: Vec<f64> = rates[i].iter().zip(&rates[base]).map(|(a, b)| (a / b - 1.0) * 100.0).collect();
        let cpu_ratios: Vec<f64> = cpu_us[i].iter().zip(&cpu_us[base]).map(|(a, b)| (a / b - 1.0) * 100.0).collect();
        println!(
            r#"{{"mode":"throughput","contender":"{name}","op":"{}","rounds":{rounds},"calls":{calls},"in_flight":{IN_FLIGHT},{},{},"client_cpu_us_per_call":{:.2},{}}}"#,
            op.name(),
            spread_json("calls_per_s", &rates[i]),
            spread_json("vs_reqwest_pct", &ratios),
            median(&cpu_us[i]),
            spread_json("cpu_vs_reqwest_pct", &cpu_ratios)
        );
    }
}

/// `rate URL N`: sequential get_credits calls per second of this crate and of bare reqwest, N
/// calls each in 10 interleaved rounds (`bench/compare_python.sh`). Prints `NAME RATE` lines.
fn rate(url: &str, n: usize) {
    let rt = runtime();
    let clients = [build("openrouter-credits", url), build("reqwest", url)];
    let mut time = [Duration::ZERO; 2];
    let per_round = n.div_ceil(10);
    rt.block_on(async {
        for c in &clients {
            for _ in 0..100 {
                c.credits().await;
            }
        }
        for round in 0..10 {
            for k in 0..2 {
                let i = (round + k) % 2;
                let t = Instant::now();
                for _ in 0..per_round {
                    clients[i].credits().await;
                }
                time[i] += t.elapsed();
            }
        }
    });
    for (i, name) in ["openrouter-credits", "reqwest"].iter().enumerate() {
        println!("{name} {:.0}", (per_round * 10) as f64 / time[i].as_secs_f64());
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, what: &str| -> String {
        args.get(i).cloned().unwrap_or_else(|| panic!("missing {what}; see the usage at the top of main.rs"))
    };
    let num =
        |i: usize, what: &str| -> usize { arg(i, what).parse().unwrap_or_else(|_| panic!("{what} must be a number")) };
    match args.first().map(String::as_str) {
        Some("serve") => serve(),
        Some("client") => {
            let (name, op, n, url) = (arg(1, "NAME"), Op::parse(&arg(2, "OP")), num(3, "N"), arg(4, "URL"));
            assert!(has(&name, op), "{name} has no {} operation", op.name());
            client(&name, op, n, &url);
        }
        Some("alloc") => alloc(&arg(1, "URL")),
        Some("latency") => {
            latency(&arg(1, "URL"), Op::parse(&arg(2, "OP")), num(3, "ROUNDS"), num(4, "PER_ROUND"));
        }
        Some("throughput") => throughput(&arg(1, "URL"), Op::parse(&arg(2, "OP")), num(3, "ROUNDS"), num(4, "CALLS")),
        Some("rate") => rate(&arg(1, "URL"), num(2, "N")),
        Some("decode") => {
            let (name, op) = (arg(1, "NAME"), Op::parse(&arg(2, "OP")));
            for _ in 0..num(3, "N") {
                decode(&name, op);
            }
        }
        _ => {
            eprintln!(
                "usage: peers serve | client NAME OP N URL | alloc URL | latency URL OP ROUNDS PER_ROUND | throughput URL OP ROUNDS CALLS | rate URL N | decode NAME OP N"
            );
            std::process::exit(2);
        }
    }
}
