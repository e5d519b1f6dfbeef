//! Allocations per call, counted on the calling thread, held to what `BENCHMARKS.md` reports
//! (the bench counts them the same way against its own server). A change that costs an
//! allocation a call fails here; `bash bench/alloc_sites.sh` shows where they come from.
//!
//! Its own test binary: the counting allocator is process-wide. Linux on x86-64 only, where
//! `BENCHMARKS.md` is measured: the counts are exact, and another platform's may differ.
#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

mod common;
use common::*;
use openrouter_credits::{Client, RetryConfig};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Counts allocations (and reallocations, which may move) of the thread that makes them.
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: a thread being torn down still allocates, and is not counted.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: every call is passed on to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const WARM_UP: u64 = 50;
const CALLS: u64 = 500;

/// The mock server on a runtime of its own thread, so its allocations are not the client's.
fn server_elsewhere() -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async move {
            let server = server().await;
            tx.send(server.base_url()).expect("send the URL");
            // Serve until the test process ends.
            std::future::pending::<()>().await;
            drop(server);
        });
    });
    rx.recv().expect("the server's URL")
}

/// Allocations per call of `call`, on one current-thread runtime (the connection's tasks run on
/// the calling thread too, as in the bench), after a warm-up that opens the connection.
fn per_call<F, Fut>(client: &Client, call: F) -> f64
where
    F: Fn(Client) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        for _ in 0..WARM_UP {
            call(client.clone()).await;
        }
        let before = ALLOCATIONS.with(Cell::get);
        for _ in 0..CALLS {
            call(client.clone()).await;
        }
        (ALLOCATIONS.with(Cell::get) - before) as f64 / CALLS as f64
    })
}

#[test]
fn calls_allocate_no_more_than_benchmarks_md_reports() {
    let url = server_elsewhere();
    let client = Client::builder()
        .api_key(KEY)
        .api_key_is_management_key(true)
        .base_url(url)
        .retries(RetryConfig::none())
        .build()
        .expect("client");
    // The bench's server answers with fewer headers than the mock; these are the mock's figures,
    // measured when the bench reported 41 and 56. The charge's six response addresses are
    // strings again since issue 22 (a response conforming to upstream's contract always decodes,
    // where `EvmAddress` was inline): 6 more for the charge, 62. The retry budget and the spans
    // cost none.
    let credits = per_call(&client, |c| async move {
        std::hint::black_box(c.credits().get_credits().send().await.expect("get_credits"));
    });
    let charge = per_call(&client, |c| async move {
        std::hint::black_box(charge(&c).send().await.expect("charge"));
    });
    assert!(credits <= 41.0, "get_credits: {credits} allocations per call");
    assert!(charge <= 62.0, "create_coinbase_charge: {charge} allocations per call");
    eprintln!("allocations per call: get_credits {credits}, create_coinbase_charge {charge}");
}
