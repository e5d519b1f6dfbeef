//! `watch --listen` scraped by a real Prometheus (Debian's `prometheus` package, which brings
//! `promtool`), on loopback, against a fake server this test starts: the figure read back through
//! Prometheus' query API equals the fake server's binding layer, the scrapes cause no upstream
//! request, `promtool check metrics` passes on a scrape, and the operator files in
//! `examples/monitoring/` pass `promtool check rules`, `promtool test rules` and `promtool check
//! config`.
//!
//! `#[ignore]`d so that a plain `cargo test` does not need Prometheus; `.ci/run` installs the
//! package when `promtool` is missing and runs it with `--ignored`, where a missing binary fails.

mod watch_support;
use openrouter_credits::mock::MockServer;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use watch_support::*;

/// The whole test's bound: Prometheus starts in a few seconds and scrapes every second.
const LIMIT: Duration = Duration::from_secs(90);

fn monitoring() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/monitoring")
}

/// Runs a tool to the end; panics, naming the package, when it is not installed.
fn tool(name: &str, args: &[&str], stdin: Option<&str>) -> (bool, String) {
    let mut child = Command::new(name)
        .args(args)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{name} could not run ({e}): install Debian's `prometheus` package (.ci/run does)"));
    if let Some(input) = stdin {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// A Prometheus server; killed (and its data directory removed) when dropped.
struct Prometheus {
    child: Child,
    dir: PathBuf,
    url: String,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start_prometheus(target: &str) -> Prometheus {
    let dir = std::env::temp_dir().join(format!("watch-prometheus-{}-{}", std::process::id(), free_port()));
    std::fs::create_dir_all(dir.join("data")).unwrap();
    let rules = monitoring().join("openrouter-alerts.yml");
    let config = format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - {}\nscrape_configs:\n  - job_name: openrouter-credits\n    static_configs:\n      - targets: ['{target}']\n",
        rules.display()
    );
    std::fs::write(dir.join("prometheus.yml"), config).unwrap();
    let port = free_port();
    let child = Command::new("prometheus")
        .arg(format!("--config.file={}", dir.join("prometheus.yml").display()))
        .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--log.level=warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("prometheus could not run ({e}): install Debian's `prometheus` package (.ci/run does)")
        });
    Prometheus { child, dir, url: format!("http://127.0.0.1:{port}") }
}

/// The instant query's single value, when there is one.
async fn query(prometheus: &Prometheus, promql: &str) -> Option<f64> {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    // The query string built by `Url` (reqwest's `query` helper needs a feature the crate does not turn on).
    let url = reqwest::Url::parse_with_params(&format!("{}/api/v1/query", prometheus.url), [("query", promql)]).ok()?;
    let response = client.get(url).timeout(Duration::from_secs(5)).send().await.ok()?;
    let body: serde_json::Value = response.json().await.ok()?;
    let result = body["data"]["result"].as_array()?;
    match result.as_slice() {
        [one] => one["value"][1].as_str()?.parse().ok(),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs prometheus and promtool: .ci/run installs them and runs this with --ignored"]
async fn a_real_prometheus_scrapes_watch_and_reads_the_binding_figure() {
    let start = Instant::now();
    let server = MockServer::start().await.unwrap();
    let env = env(&server.base_url(), Some(API_KEY), Some(MANAGEMENT_KEY));
    // One reading in the test (an hour between readings, allowed on loopback).
    let mut watch = Watch::spawn(&["--listen", "127.0.0.1:0", "--interval", "3600"], &env);
    let target = watch.listen_addr().await;
    let prometheus = start_prometheus(&target);

    // Until Prometheus has the figure and has scraped at least 3 times.
    let mut figure = None;
    while start.elapsed() < LIMIT {
        let scrapes = query(&prometheus, "count_over_time(openrouter_readings_total[10m])").await;
        figure = query(&prometheus, "openrouter_spendable_usd").await;
        if figure.is_some() && scrapes.is_some_and(|n| n >= 3.0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // The binding layer: the member budget, 50 - 32.5.
    assert_eq!(figure, Some(17.5), "Prometheus never had the figure within {LIMIT:?}");
    let binding = query(
        &prometheus,
        r#"openrouter_binding_layer_info{kind="budget",scope="member",id="0df9e665-d932-5740-b2c7-b52af166bc11"}"#,
    )
    .await;
    assert_eq!(binding, Some(1.0));
    assert_eq!(query(&prometheus, r#"up{job="openrouter-credits"}"#).await, Some(1.0));
    // The rules loaded, and none fires on a healthy reading with 17.50 USD left.
    assert_eq!(query(&prometheus, "count(ALERTS)").await, None, "no alert (an empty result)");
    // Three scrapes or more, one reading: GET /key and GET /credits once each.
    assert_eq!(server.requests().len(), 2, "a scrape never calls upstream");

    // promtool reads a scrape without a complaint.
    let (_, _, metrics) = get(&format!("http://{target}/metrics"), None).await;
    let (ok, text) = tool("promtool", &["check", "metrics"], Some(&metrics));
    assert!(ok, "promtool check metrics:\n{text}\non:\n{metrics}");
    // The operator files.
    let dir = monitoring();
    for args in [
        vec!["check", "rules", "openrouter-alerts.yml"],
        vec!["test", "rules", "openrouter-alerts.test.yml"],
        vec!["check", "config", "prometheus.yml"],
    ] {
        let mut full = vec![];
        let paths: Vec<String> = args[2..].iter().map(|f| dir.join(f).display().to_string()).collect();
        full.extend(&args[..2]);
        full.extend(paths.iter().map(String::as_str));
        let (ok, text) = tool("promtool", &full, None);
        assert!(ok, "promtool {args:?}:\n{text}");
    }
    readme_outputs_hold(&metrics);
    assert_eq!(watch.terminate().await.0.code(), Some(0));
    drop(prometheus);
    assert!(start.elapsed() < LIMIT, "took {:?}", start.elapsed());
}

/// The README's Monitoring section shows real output: its metrics lines are in this scrape, its
/// scrape configuration is `examples/monitoring/prometheus.yml`'s, and `promtool check rules`
/// prints what it shows.
fn readme_outputs_hold(metrics: &str) {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let block = |opening: &str| -> Vec<String> {
        let start = readme.find(opening).unwrap_or_else(|| panic!("README has no block `{opening}`"));
        readme[start + opening.len()..].lines().skip(1).take_while(|l| *l != "```").map(str::to_owned).collect()
    };
    for line in block("$ curl -s 127.0.0.1:9464/metrics") {
        assert!(metrics.lines().any(|m| m == line), "README's `{line}` is not in the scrape:\n{metrics}");
    }
    let config = std::fs::read_to_string(monitoring().join("prometheus.yml")).unwrap();
    let mut rest = config.as_str();
    for line in block("```yaml\nscrape_configs:").into_iter().map(|l| l.trim().to_owned()) {
        let at = rest.find(&line).unwrap_or_else(|| panic!("README's `{line}` is not in prometheus.yml, in order"));
        rest = &rest[at + line.len()..];
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("promtool")
        .args(["check", "rules", "examples/monitoring/openrouter-alerts.yml"])
        .current_dir(root)
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let shown = block("$ promtool check rules examples/monitoring/openrouter-alerts.yml").join("\n");
    assert_eq!(printed.trim_end(), shown, "README's promtool output");
}
