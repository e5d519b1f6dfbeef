//! `openrouter-credits watch`, run as a process against a fake server this test starts (its keys
//! and base URL passed explicitly): the metrics and that a scrape never calls upstream, the lines
//! per reading, alerts that fire once and re-arm, failures alerted as such (never as 0), backoff
//! and Retry-After as printed, the alert command's environment, the alert state file, SIGTERM.

mod watch_support;
use openrouter_credits::Operation;
use openrouter_credits::mock::{MockBudget, MockResponse, MockServer};
use std::time::Duration;
use watch_support::*;

const LONG: Duration = Duration::from_secs(20);

async fn server() -> MockServer {
    let server = MockServer::start().await.expect("mock");
    server.require_api_key(API_KEY);
    server.require_management_key(MANAGEMENT_KEY);
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_come_from_the_last_reading_and_a_scrape_never_calls_upstream() {
    let server = server().await;
    let env = env(&server.base_url(), Some(API_KEY), Some(MANAGEMENT_KEY));
    // An hour between readings (allowed: the base URL is loopback): one reading in this test.
    let mut watch = Watch::spawn(&["--listen", "127.0.0.1:0", "--interval", "3600"], &env);
    let base = format!("http://{}", watch.listen_addr().await);
    let metrics = scrape_until(&base, "openrouter_spendable_usd ").await;
    assert_eq!(server.requests().len(), 2, "one reading: GET /key and GET /credits");

    // The binding layer (the member budget: 50 - 32.5) and every layer, labelled.
    assert_eq!(sample(&metrics, "openrouter_spendable_usd"), Some(17.5), "{metrics}");
    let member = r#"{kind="budget",scope="member",id="0df9e665-d932-5740-b2c7-b52af166bc11"}"#;
    let account = r#"{kind="account",scope="account",id=""}"#;
    let key_limit = r#"{kind="key_limit",scope="key_limit",id=""}"#;
    assert_eq!(sample(&metrics, &format!("openrouter_layer_remaining_usd{member}")), Some(17.5));
    assert_eq!(sample(&metrics, &format!("openrouter_layer_limit_usd{member}")), Some(50.0));
    assert_eq!(sample(&metrics, &format!("openrouter_layer_spent_usd{member}")), Some(32.5));
    assert!(sample(&metrics, &format!("openrouter_layer_reset_timestamp_seconds{member}")).unwrap() > 1.7e9);
    assert_eq!(sample(&metrics, &format!("openrouter_layer_remaining_usd{account}")), Some(74.75));
    assert_eq!(sample(&metrics, &format!("openrouter_layer_remaining_usd{key_limit}")), Some(74.5));
    assert_eq!(sample(&metrics, &format!("openrouter_binding_layer_info{member}")), Some(1.0));
    assert_eq!(metrics.matches("openrouter_binding_layer_info{").count(), 1);
    assert_eq!(sample(&metrics, "openrouter_free_model_requests_remaining"), Some(38.0));
    assert_eq!(sample(&metrics, "openrouter_readings_total"), Some(1.0));
    assert_eq!(sample(&metrics, r#"openrouter_read_failures_total{kind="server"}"#), Some(0.0));
    assert!(!metrics.contains("openrouter_layer_unknown_info{"), "every layer was read: {metrics}");
    let last = sample(&metrics, "openrouter_last_success_timestamp_seconds").unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
    assert!((now - last).abs() < 60.0, "{last} vs {now}");

    // Scrapes, in both formats, and health checks: still the two requests of the one reading.
    let (status, content_type, text) = get(&format!("{base}/metrics"), None).await;
    assert_eq!((status, content_type.as_str()), (200, "text/plain; version=0.0.4; charset=utf-8"));
    assert!(text.contains("# TYPE openrouter_spendable_usd gauge"), "{text}");
    let (status, content_type, text) =
        get(&format!("{base}/metrics"), Some("application/openmetrics-text;version=1.0.0,text/plain;q=0.5")).await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("application/openmetrics-text"), "{content_type}");
    assert!(text.ends_with("# EOF\n"), "{text}");
    let (status, _, text) = get(&format!("{base}/healthz"), None).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.starts_with("ok: the last successful reading"), "{text}");
    assert_eq!(get(&format!("{base}/nope"), None).await.0, 404);
    assert_eq!(server.requests().len(), 2, "scrapes and health checks never call upstream");

    // Nothing else on stdout with --listen (no alert asked for), and SIGTERM is a clean exit.
    assert!(watch.lines().is_empty(), "{:?}", watch.lines());
    let (status, _) = watch.terminate().await;
    assert_eq!(status.code(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_layer_the_keys_cannot_read_has_no_value_and_says_why() {
    let server = server().await;
    let env = env(&server.base_url(), Some(API_KEY), None);
    let mut watch = Watch::spawn(&["--listen", "127.0.0.1:0", "--interval", "3600"], &env);
    let base = format!("http://{}", watch.listen_addr().await);
    let metrics = scrape_until(&base, "openrouter_readings_total 1").await;
    assert!(!metrics.contains(r#"kind="account""#), "no account sample, never 0: {metrics}");
    assert_eq!(
        sample(&metrics, r#"openrouter_layer_unknown_info{layer="account",reason="no_management_key"}"#),
        Some(1.0),
        "{metrics}"
    );
    // Unknown by configuration, not by failure: the figure of the layers read stands.
    assert_eq!(sample(&metrics, "openrouter_spendable_usd"), Some(17.5));
    assert_eq!(server.requests().len(), 1, "GET /key only");
    assert_eq!(watch.terminate().await.0.code(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_per_reading_and_alerts_that_fire_once_and_re_arm() {
    let server = server().await;
    let dir = tempdir();
    let env = env(&server.base_url(), Some(API_KEY), Some(MANAGEMENT_KEY));
    // Each alert writes its environment (the OPENROUTER_ variables) to a file of its own.
    let command = format!("env | grep ^OPENROUTER_ > {}/alert-$$.env", dir.display());
    let mut watch = Watch::spawn(
        &["--json", "--interval", "0.05", "--alert-at", "50%,60%,95%", "--alert-at", "1", "--alert-command", &command],
        &env,
    );
    // The member budget is at 65 %: one alert, for 60 % (50 % is spent with it), whatever the
    // number of readings.
    watch.wait_for("5 readings", LONG, |w| w.json("reading").len() >= 5).await;
    let alerts = watch.json("alert");
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let alert = &alerts[0];
    assert_eq!(alert["event"], "threshold_crossed");
    assert_eq!(alert["threshold"], "60%");
    assert_eq!(alert["scope"], "member");
    assert_eq!(alert["binding"], true);
    assert_eq!(alert["remaining_usd"], 17.5);
    assert_eq!(alert["share_used"], 0.65);
    let reading = &watch.json("reading")[0];
    assert_eq!(reading["spendable_usd"], 17.5);
    assert_eq!(reading["layers"].as_array().unwrap().len(), 3);
    let next = reading["next_reading_in_seconds"].as_f64().unwrap();
    assert!((0.044..=0.056).contains(&next), "the interval ± 10 % (and the millisecond's rounding): {next}");

    // Spend rises to 98 %: 95 % and 1 USD left are crossed at once: one alert, the most severe.
    let member =
        |spent: f64| MockBudget::new("member", 50.0, spent).id("0df9e665-d932-5740-b2c7-b52af166bc11").resets("weekly");
    server.set_budgets([member(49.0)]);
    watch.wait_for("the second alert", LONG, |w| w.json("alert").len() >= 2).await;
    assert_eq!(watch.json("alert")[1]["threshold"], "1 USD");
    // Back to 10 % (a top-up, or the window reset): re-armed, nothing fires…
    let readings = watch.json("reading").len();
    server.set_budgets([member(5.0)]);
    watch
        .wait_for("readings at 10 %", LONG, |w| {
            w.json("reading").len() > readings + 3 && w.json("reading").last().unwrap()["spendable_usd"] == 45.0
        })
        .await;
    assert_eq!(watch.json("alert").len(), 2);
    // …and crossing 60 % again fires again.
    server.set_budgets([member(31.0)]);
    watch.wait_for("the third alert", LONG, |w| w.json("alert").len() >= 3).await;
    assert_eq!(watch.json("alert")[2]["threshold"], "60%");
    let readings = watch.json("reading").len();
    watch.wait_for("more readings", LONG, |w| w.json("reading").len() > readings + 3).await;
    assert_eq!(watch.json("alert").len(), 3, "staying low fires nothing more");
    let (status, stderr) = watch.terminate().await;
    assert_eq!(status.code(), Some(0), "{stderr}");

    // The command ran once per alert, with the event and without the keys.
    let files: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap()).collect();
    assert_eq!(files.len(), 3, "{files:?}");
    let first = files.iter().find(|f| f.contains("OPENROUTER_ALERT_THRESHOLD=1 USD")).expect("the 1 USD alert");
    assert!(first.contains("OPENROUTER_ALERT_EVENT=threshold_crossed"), "{first}");
    assert!(first.contains("OPENROUTER_ALERT_SCOPE=member"), "{first}");
    assert!(first.contains("OPENROUTER_ALERT_JSON={"), "{first}");
    for file in &files {
        assert!(!file.contains("OPENROUTER_API_KEY") && !file.contains("OPENROUTER_MANAGEMENT_KEY"), "{file}");
        assert!(!file.contains(API_KEY) && !file.contains(MANAGEMENT_KEY), "{file}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_reading_alerts_once_backs_off_and_is_never_zero() {
    let server = server().await;
    for _ in 0..3 {
        server.enqueue(Operation::GetCredits, MockResponse::error(500, "Internal Server Error"));
        server.enqueue(Operation::GetCurrentKey, MockResponse::error(500, "Internal Server Error"));
    }
    let env = env(&server.base_url(), Some(API_KEY), Some(MANAGEMENT_KEY));
    let mut watch = Watch::spawn(&["--json", "--retries", "none", "--interval", "0.1", "--alert-at", "95%"], &env);
    watch.wait_for("5 readings", LONG, |w| w.json("reading").len() >= 5).await;
    let readings = watch.json("reading");
    // Three failed readings: no figure (not 0), an error with its kind, waits doubling.
    for (i, reading) in readings[..3].iter().enumerate() {
        assert!(reading["spendable_usd"].is_null(), "{reading}");
        assert_eq!(reading["error"]["kind"], "server", "{reading}");
        let next = reading["next_reading_in_seconds"].as_f64().unwrap();
        let nominal = 0.1 * f64::from(2u32 << i);
        // ± 10 % jitter, and the printed figure's rounding to the millisecond.
        assert!((nominal * 0.9 - 0.001..=nominal * 1.1 + 0.001).contains(&next), "backoff {i}: {next}, {nominal}");
    }
    assert_eq!(readings[3]["spendable_usd"], 17.5);
    let next = readings[3]["next_reading_in_seconds"].as_f64().unwrap();
    assert!(next <= 0.11, "a success resets the backoff: {next}");
    // One alert for the outage, one for the recovery; never a threshold on made-up zeros.
    let events: Vec<_> = watch.json("alert").iter().map(|a| a["event"].as_str().unwrap().to_owned()).collect();
    assert_eq!(events, ["read_failed", "recovered"]);
    assert_eq!(watch.json("alert")[0]["failure"], "server");
    assert_eq!(watch.terminate().await.0.code(), Some(0));
    // One request of each per reading: the retries are the loop's (--retries none).
    assert_eq!(server.requests_for(Operation::GetCredits).len(), watch.json("reading").len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_is_waited_out_and_health_turns_stale() {
    let server = server().await;
    server.enqueue(Operation::GetCredits, MockResponse::error(429, "Rate limit exceeded").retry_after("3"));
    server.enqueue(Operation::GetCurrentKey, MockResponse::error(429, "Rate limit exceeded").retry_after("3"));
    let env = env(&server.base_url(), Some(API_KEY), Some(MANAGEMENT_KEY));
    let mut watch = Watch::spawn(
        &["--listen", "127.0.0.1:0", "--retries", "none", "--interval", "0.05", "--stale-after", "1"],
        &env,
    );
    let base = format!("http://{}", watch.listen_addr().await);
    let metrics = scrape_until(&base, "openrouter_readings_total 1").await;
    assert_eq!(sample(&metrics, r#"openrouter_read_failures_total{kind="rate_limited"}"#), Some(1.0), "{metrics}");
    assert!(!metrics.contains("openrouter_spendable_usd "), "no figure while unknown: {metrics}");
    assert!(!metrics.contains("openrouter_layer_remaining_usd{"), "{metrics}");
    // Retry-After: 3 s, not the 0.1 s backoff: no request for 1.5 s, and /healthz turns stale.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(server.requests().len(), 2, "Retry-After honoured");
    let (status, _, text) = get(&format!("{base}/healthz"), None).await;
    assert_eq!(status, 503, "{text}");
    assert!(text.starts_with("stale: no successful reading yet"), "{text}");
    // After it, the next reading succeeds and health returns.
    for _ in 0..500 {
        if get(&format!("{base}/healthz"), None).await.0 == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (status, _, text) = get(&format!("{base}/healthz"), None).await;
    assert_eq!(status, 200, "{text}");
    // Alerts are still printed with --listen: the outage, then the recovery.
    let events: Vec<_> = watch.json("alert").iter().map(|a| a["event"].as_str().unwrap().to_owned()).collect();
    assert_eq!(events, ["read_failed", "recovered"]);
    assert_eq!(watch.terminate().await.0.code(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_fires_again_unless_the_state_is_kept() {
    let server = server().await;
    let dir = tempdir();
    let state = dir.join("alerts.json");
    let env = env(&server.base_url(), Some(API_KEY), Some(MANAGEMENT_KEY));
    let keep = state.to_str().unwrap().to_owned();
    let alerts = tokio::task::spawn_blocking(move || {
        let run = |keep_state: bool| {
            let mut args = vec!["--json", "--count", "2", "--interval", "0.01", "--alert-at", "60%"];
            if keep_state {
                args.extend(["--alert-state", keep.as_str()]);
            }
            let out = command(&args, &env).output().unwrap();
            assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8(out.stdout).unwrap().matches("\"type\":\"alert\"").count()
        };
        let counts = (run(false), run(false), run(true), run(true));
        // A state file that cannot be read: a warning, and a fresh start (fires again, never silent).
        std::fs::write(&keep, "not json").unwrap();
        let args =
            ["--json", "--count", "1", "--interval", "0.01", "--alert-at", "60%", "--alert-state", keep.as_str()];
        let out = command(&args, &env).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (counts, String::from_utf8(out.stdout).unwrap().matches("\"type\":\"alert\"").count(), stderr)
    })
    .await
    .unwrap();
    let (counts, after_corruption, stderr) = alerts;
    assert_eq!(counts, (1, 1, 1, 0), "without the state a restart fires again; with it, not");
    assert_eq!(after_corruption, 1, "{stderr}");
    assert!(stderr.contains("is not readable") && stderr.contains("starting afresh"), "{stderr}");
    assert!(std::fs::read_to_string(&state).unwrap().contains("60%"), "saved again after the fresh start");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_errors_name_the_rule_and_nothing_is_sent() {
    let server = server().await;
    let url = server.base_url();
    let cases: Vec<(Vec<&str>, Env, &str)> = vec![
        (vec![], env(&url, None, None), "neither OPENROUTER_API_KEY nor OPENROUTER_MANAGEMENT_KEY is set"),
        (
            vec![],
            vec![],
            "no key is set (OPENROUTER_API_KEY, OPENROUTER_MANAGEMENT_KEY), and watch acts on real figures only",
        ),
        (
            vec!["--interval", "1"],
            env("https://openrouter.ai/api/v1", Some(API_KEY), None),
            "below the 5 s floor that protects OpenRouter",
        ),
        (vec!["--interval", "0"], env(&url, Some(API_KEY), None), "must be a duration greater than 0"),
        (vec!["--alert-at", "80%,120%"], env(&url, Some(API_KEY), None), "at most 100%"),
        (vec!["--alert-at", "-5"], env(&url, Some(API_KEY), None), "0 or more"),
        (vec!["--listen", "nowhere"], env(&url, Some(API_KEY), None), "--listen"),
    ];
    for (args, env, message) in cases {
        let out = tokio::task::spawn_blocking({
            let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
            move || command(&args.iter().map(String::as_str).collect::<Vec<_>>(), &env).output().unwrap()
        })
        .await
        .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty());
    }
    assert!(server.requests().is_empty());
}

/// The variables passed to the process.
type Env = Vec<(String, String)>;

fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("watch-test-{}-{}", std::process::id(), fastrand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn fastrand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::Instant::now())
}

/// `watch --json | head -1`: the reader goes away; the next line cannot be written and the tool
/// stops quietly (exit 0), never a panic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_stdout_stops_it_quietly() {
    let server = server().await;
    let env = env(&server.base_url(), Some(API_KEY), Some(MANAGEMENT_KEY));
    let out = tokio::task::spawn_blocking(move || {
        let mut child = command(&["--json", "--interval", "0.01"], &env)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut first).unwrap();
        // The pipe's reading end is closed here (the reader is dropped).
        let out = child.wait_with_output().unwrap();
        (first, out)
    })
    .await
    .unwrap();
    let (first, out) = out;
    assert!(first.contains("\"type\":\"reading\""), "{first}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// `--demo` asks for the built-in fake server: every line says so, as JSON and as text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_runs_only_when_asked_and_every_line_says_so() {
    let run = |args: &'static [&'static str]| tokio::task::spawn_blocking(move || command(args, &[]).output().unwrap());
    let out = run(&["--demo", "--json", "--count", "2", "--interval", "0.01"]).await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines.iter().all(|l| l["source"] == "demo" && l["spendable_usd"] == 17.5), "{stdout}");
    let out = run(&["--demo", "--count", "1", "--interval", "0.01"]).await.unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("DEMO "), "{:?}", out);
    // Without --demo and with no key: refused, nothing read.
    let out = run(&["--count", "1"]).await.unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}
