//! `openrouter-credits watch` over a long run against the fake server (`openrouter_credits::mock`,
//! in this process): the watch process's resident memory (`VmRSS` of `/proc/PID/status`) after
//! the first reading and after 1,000, 5,000 and 10,000 readings, and the CPU time of one reading
//! (user + system time of `/proc/PID/stat` between 1,000 and the last sample, per reading: start-up
//! left out). Two modes: `--listen` (the exporter: readings counted by scraping `/metrics`, every
//! 50 ms) and `--json` (a line per reading, counted as they come). A Markdown table on stdout.
//!
//!   cargo build --release --features cli --bin openrouter-credits
//!   cargo bench --features cli --bench watch -- target/release/openrouter-credits [READINGS]
//!
//! `bench/watch_memory.sh` runs both. Linux only (`/proc`).

use openrouter_credits::mock::MockServer;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const KEY: &str = "sk-or-v1-bench-api-key";
const MANAGEMENT_KEY: &str = "sk-or-v1-bench-management-key";
/// Loopback only: the 5 s floor does not apply.
const INTERVAL: &str = "1ms";

/// One sample: readings made, VmRSS in KiB, user + system CPU seconds.
#[derive(Clone, Copy, Debug)]
struct Sample {
    readings: u64,
    rss_kib: u64,
    cpu_s: f64,
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn cpu_seconds(pid: u32, ticks_per_second: f64) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) in parentheses: utime is the 14th
    // field of the line, stime the 15th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / ticks_per_second
}

fn sample(pid: u32, readings: u64, tps: f64) -> Sample {
    Sample { readings, rss_kib: rss_kib(pid), cpu_s: cpu_seconds(pid, tps) }
}

fn ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

async fn run(bin: &str, server: &MockServer, listen: bool, total: u64, tps: f64) -> Vec<Sample> {
    let mut cmd = Command::new(bin);
    cmd.args(["watch", "--interval", INTERVAL, "--alert-at", "50%,80%,95%,5"]);
    if listen {
        cmd.args(["--listen", "127.0.0.1:0"]);
    } else {
        cmd.arg("--json");
    }
    cmd.env("OPENROUTER_BASE_URL", server.base_url())
        .env("OPENROUTER_API_KEY", KEY)
        .env("OPENROUTER_MANAGEMENT_KEY", MANAGEMENT_KEY)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start watch");
    let pid = child.id();
    let targets = [1, 1_000, 5_000, total];
    let samples = Arc::new(Mutex::new(Vec::new()));
    let count = Arc::new(AtomicU64::new(0));
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let addr = Arc::new(Mutex::new(None::<String>));
    {
        let addr = Arc::clone(&addr);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("listening on http://") {
                    *addr.lock().unwrap() = rest.split_whitespace().next().map(str::to_owned);
                }
            }
        });
    }
    {
        // --json: a reading per `"type":"reading"` line, sampled as it arrives.
        let (samples, count) = (Arc::clone(&samples), Arc::clone(&count));
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if !listen && line.contains("\"type\":\"reading\"") {
                    let n = count.fetch_add(1, Ordering::SeqCst) + 1;
                    if targets.contains(&n) {
                        samples.lock().unwrap().push(sample(pid, n, tps));
                    }
                }
            }
        });
    }
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let start = Instant::now();
    let mut next = 0;
    while next < targets.len() && start.elapsed() < Duration::from_secs(600) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        // The fake server keeps every request: forget them, this is not what is measured.
        server.clear_requests();
        if listen {
            let Some(addr) = addr.lock().unwrap().clone() else { continue };
            let Ok(response) = client.get(format!("http://{addr}/metrics")).send().await else { continue };
            let text = response.text().await.unwrap_or_default();
            let n = text
                .lines()
                .find_map(|l| l.strip_prefix("openrouter_readings_total "))
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(0);
            while next < targets.len() && n >= targets[next] {
                samples.lock().unwrap().push(sample(pid, n, tps));
                next += 1;
            }
        } else {
            next = samples.lock().unwrap().len();
        }
    }
    let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
    let status = child.wait().expect("wait");
    assert!(status.success(), "watch exited with {status}");
    let samples = samples.lock().unwrap().clone();
    assert_eq!(samples.len(), targets.len(), "timed out: {samples:?}");
    samples
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let Some(bin) = args.first().cloned() else {
        // `cargo bench` with no arguments (CI's smoke runs): nothing to measure.
        eprintln!("usage: cargo bench --features cli --bench watch -- PATH/TO/openrouter-credits [READINGS]");
        return;
    };
    let total: u64 = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(10_000).max(5_001);
    let tps = ticks_per_second();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let server = MockServer::start().await.expect("fake server");
        println!(
            "| mode | RSS after 1st reading | after 1,000 | after 5,000 | after {total} (readings) | CPU per reading |"
        );
        println!("|---|---|---|---|---|---|");
        for (listen, mode) in [(true, "`--listen` (exporter)"), (false, "`--json` (a line per reading)")] {
            let s = run(&bin, &server, listen, total, tps).await;
            let kib = |s: &Sample| format!("{:.1} MiB", s.rss_kib as f64 / 1024.0);
            let per_reading = (s[3].cpu_s - s[1].cpu_s) / (s[3].readings - s[1].readings) as f64;
            println!(
                "| {mode} | {} | {} | {} | {} ({}) | {:.0} µs |",
                kib(&s[0]),
                kib(&s[1]),
                kib(&s[2]),
                kib(&s[3]),
                s[3].readings,
                per_reading * 1e6
            );
        }
    });
}
