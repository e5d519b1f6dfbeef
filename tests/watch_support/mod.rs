//! Running `openrouter-credits watch` as a process for tests/watch.rs and tests/prometheus.rs:
//! its stdout lines and stderr collected as they come, its listen address, a SIGTERM.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_openrouter-credits");
pub const API_KEY: &str = "sk-or-v1-watch-test-api-key-0123456789";
pub const MANAGEMENT_KEY: &str = "sk-or-v1-watch-test-management-key-0123456789";

/// A running `watch`; killed when dropped.
pub struct Watch {
    child: Child,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<String>>,
}

/// The environment every test passes explicitly (the caller's own variables are removed).
pub fn env(base_url: &str, api_key: Option<&str>, management_key: Option<&str>) -> Vec<(String, String)> {
    let mut env = vec![("OPENROUTER_BASE_URL".to_owned(), base_url.to_owned())];
    if let Some(key) = api_key {
        env.push(("OPENROUTER_API_KEY".to_owned(), key.to_owned()));
    }
    if let Some(key) = management_key {
        env.push(("OPENROUTER_MANAGEMENT_KEY".to_owned(), key.to_owned()));
    }
    env
}

pub fn command(args: &[&str], env: &[(String, String)]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg("watch").args(args);
    for var in ["OPENROUTER_API_KEY", "OPENROUTER_MANAGEMENT_KEY", "OPENROUTER_BASE_URL", "OPENROUTER_BEARER"] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    cmd
}

impl Watch {
    pub fn spawn(args: &[&str], env: &[(String, String)]) -> Self {
        let mut child = command(args, env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start watch");
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let (out, lines) = (child.stdout.take().unwrap(), Arc::clone(&stdout));
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        });
        let (err, text) = (child.stderr.take().unwrap(), Arc::clone(&stderr));
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let mut text = text.lock().unwrap();
                text.push_str(&line);
                text.push('\n');
            }
        });
        Self { child, stdout, stderr }
    }

    pub fn lines(&self) -> Vec<String> {
        self.stdout.lock().unwrap().clone()
    }

    /// The stdout lines parsed as JSON, of one `type` (`reading`, `alert`).
    pub fn json(&self, kind: &str) -> Vec<serde_json::Value> {
        self.lines()
            .iter()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .filter(|v| v["type"] == kind)
            .collect()
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits (polling, off the runtime's threads) until `done` holds, or panics after `limit`.
    pub async fn wait_for(&self, what: &str, limit: Duration, done: impl Fn(&Self) -> bool) {
        let start = Instant::now();
        while !done(self) {
            assert!(
                start.elapsed() < limit,
                "timed out waiting for {what}\nstdout:\n{}\nstderr:\n{}",
                self.lines().join("\n"),
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The address `--listen 127.0.0.1:0` got, from the line on stderr.
    pub async fn listen_addr(&self) -> String {
        self.wait_for("the listening line", Duration::from_secs(20), |w| w.stderr().contains("listening on http://"))
            .await;
        let stderr = self.stderr();
        let rest = &stderr[stderr.find("listening on http://").unwrap() + "listening on http://".len()..];
        rest.split_whitespace().next().unwrap().to_owned()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and waits for the exit (at most 10 s).
    pub async fn terminate(&mut self) -> (ExitStatus, String) {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().expect("kill");
        assert!(status.success());
        self.wait(Duration::from_secs(10)).await
    }

    /// Waits for the process to end by itself (at most `limit`).
    pub async fn wait(&mut self, limit: Duration) -> (ExitStatus, String) {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                // The reader threads finish with the pipes.
                tokio::time::sleep(Duration::from_millis(50)).await;
                let stderr = self.stderr();
                assert!(!stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"), "{stderr}");
                return (status, stderr);
            }
            assert!(start.elapsed() < limit, "watch did not stop within {limit:?}\nstderr:\n{}", self.stderr());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A GET on loopback: the status, the content type and the body.
pub async fn get(url: &str, accept: Option<&str>) -> (u16, String, String) {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut request = client.get(url).timeout(Duration::from_secs(10));
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    let response = request.send().await.unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = response.status().as_u16();
    let content_type =
        response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

/// The value of the sample `name` (with its labels exactly as written), if any.
pub fn sample(metrics: &str, name: &str) -> Option<f64> {
    metrics.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

/// `/metrics` of the watch at `base`, scraped every 20 ms until it holds `marker` (at most 10 s;
/// then the last scrape, for the assertion that follows to show).
pub async fn scrape_until(base: &str, marker: &str) -> String {
    let mut metrics = String::new();
    for _ in 0..500 {
        metrics = get(&format!("{base}/metrics"), None).await.2;
        if metrics.contains(marker) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    metrics
}
