//! `openrouter-credits check`, the monitoring-plugin check, run as a process against a fake
//! server whose spend each test changes between runs: the fixed status words and exit codes
//! (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN), the performance data, the layers not read, and the
//! fake server never answering it unasked.

use super::common::*;
use super::run;
use openrouter_credits::Operation;
use openrouter_credits::mock::{MockBudget, MockResponse, MockServer};
use std::process::Output;

const MANAGEMENT: &str = "sk-or-v1-management";

/// A server that takes the API key on `GET /key` and the management key on `GET /credits`,
/// and the environment pointing the binary at it with both.
async fn both_keys() -> (MockServer, Vec<(&'static str, String)>) {
    let server = server().await;
    server.require_api_key(KEY);
    server.require_management_key(MANAGEMENT);
    let env = vec![
        ("OPENROUTER_API_KEY", KEY.to_owned()),
        ("OPENROUTER_MANAGEMENT_KEY", MANAGEMENT.to_owned()),
        ("OPENROUTER_BASE_URL", server.base_url()),
    ];
    (server, env)
}

async fn check(args: &[&str], env: &[(&'static str, String)]) -> (Output, String, String) {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    run(&[&["check"], args].concat(), &env).await
}

/// The status line: `(word, summary, performance data)`.
fn status(stdout: &str) -> (String, String, String) {
    let first = stdout.lines().next().unwrap_or_default();
    let word = first.strip_prefix("OPENROUTER ").and_then(|r| r.split(" - ").next()).unwrap_or_default();
    let (summary, perf) = first.split_once(" | ").unwrap_or((first, ""));
    (word.to_owned(), summary.to_owned(), perf.to_owned())
}

/// One request each, each with its own key: what went over the wire for one check.
fn assert_one_reading(server: &MockServer) {
    let key = server.requests_for(Operation::GetCurrentKey);
    let credits = server.requests_for(Operation::GetCredits);
    assert_eq!((key.len(), credits.len()), (1, 1), "{:?}", server.requests());
    assert_eq!((key[0].bearer(), credits[0].bearer()), (Some(KEY), Some(MANAGEMENT)));
    server.clear_requests();
}

/// OK, WARNING and CRITICAL in USD, on the binding layer, as the spend changes between runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ok_warning_critical_in_usd() {
    let (server, env) = both_keys().await;
    // The fake server's member budget binds: 17.50 of 50.00 left.
    let (out, stdout, stderr) = check(&["--warn", "20", "--crit", "10"], &env).await;
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    let (word, summary, perf) = status(&stdout);
    assert_eq!(word, "WARNING", "{stdout}");
    assert!(
        summary.starts_with(
            "OPENROUTER WARNING - 17.50 USD left on member budget 0df9e665-d932-5740-b2c7-b52af166bc11 (binding, resets "
        ) && summary.ends_with("less than --warn 20"),
        "{summary}"
    );
    assert_eq!(
        perf,
        "spendable=17.5;20;10;0;50 'member budget 0df9e665-d932-5740-b2c7-b52af166bc11'=17.5;;;;50 \
         'key limit'=74.5;;;;100 'account balance'=74.75;;;;100.5 'free-model requests'=38;;;0;50"
    );
    // Then one line per layer.
    let lines: Vec<&str> = stdout.lines().skip(1).collect();
    assert!(lines[0].starts_with("member budget 0df9e665-d932-5740-b2c7-b52af166bc11: 17.50 of 50.00 USD left (35%)"));
    assert!(lines[0].ends_with("[binding]"), "{stdout}");
    assert!(lines.iter().any(|l| l.starts_with("key limit: 74.50 of 100.00 USD left")), "{stdout}");
    assert!(lines.contains(&"account balance: 74.75 of 100.50 USD left (74.4%)"), "{stdout}");
    assert_one_reading(&server);

    let (out, stdout, _) = check(&["--warn", "10", "--crit", "5"], &env).await;
    assert_eq!((out.status.code(), status(&stdout).0.as_str()), (Some(0), "OK"), "{stdout}");
    assert!(!stdout.contains("less than"), "{stdout}");
    assert_one_reading(&server);

    // Spend moves: the key's limit binds with 3.00 left, below --crit 5.
    server.set_budgets([]);
    server.set_key_limit(Some(10.0), 7.0);
    let (out, stdout, _) = check(&["--warn", "10", "--crit", "5"], &env).await;
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    let (word, summary, perf) = status(&stdout);
    assert_eq!(word, "CRITICAL");
    assert!(summary.contains("3.00 USD left on key limit (binding") && summary.ends_with("less than --crit 5"));
    assert!(perf.starts_with("spendable=3;10;5;0;10 'key limit'=3;;;;10 "), "{perf}");

    // Nothing left on the binding layer: CRITICAL with no threshold at all.
    server.set_key_limit(Some(10.0), 10.0);
    let (out, stdout, _) = check(&[], &env).await;
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    let summary = status(&stdout).1;
    assert!(
        summary.contains("0.00 USD left on key limit (binding") && summary.ends_with(", nothing left"),
        "{summary}"
    );

    // The account binds once it is nearly spent.
    server.set_key_limit(None, 0.0);
    server.set_credits(10.0, 9.0);
    let (out, stdout, _) = check(&["--warn", "5", "--crit", "2"], &env).await;
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(status(&stdout).1.contains("1.00 USD left on account balance (binding)"), "{stdout}");
}

/// Thresholds as a share of the binding layer's limit left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ok_warning_critical_as_a_share_of_the_limit() {
    let (server, env) = both_keys().await;
    // 17.50 of 50.00: 35 % left.
    let cases = [
        (["--warn", "40%", "--crit", "20%"], 1, "WARNING", "less than --warn 40%", "spendable=17.5;20;10;0;50 "),
        (["--warn", "50%", "--crit", "36%"], 2, "CRITICAL", "less than --crit 36%", "spendable=17.5;25;18;0;50 "),
        (["--warn", "30%", "--crit", "10%"], 0, "OK", "(binding, resets ", "spendable=17.5;15;5;0;50 "),
    ];
    for (args, code, word, why, perf_start) in cases {
        let (out, stdout, _) = check(&args, &env).await;
        assert_eq!(out.status.code(), Some(code), "{args:?}: {stdout}");
        let (w, summary, perf) = status(&stdout);
        assert_eq!(w, word, "{args:?}: {stdout}");
        assert!(summary.contains(why), "{args:?}: {summary}");
        assert!(perf.starts_with(perf_start), "{args:?}: {perf}");
        assert_one_reading(&server);
    }
    // A share and USD together: the share of a 200 USD budget is 20 USD.
    server.set_budgets([MockBudget::new("workspace", 200.0, 185.0).id("ws-1").resets("daily")]);
    let (out, stdout, _) = check(&["--warn", "10%", "--crit", "5"], &env).await;
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(status(&stdout).2.starts_with("spendable=15;20;5;0;200 'workspace budget ws-1'=15;;;;200"), "{stdout}");
}

/// A failed read is UNKNOWN, never OK and never a figure of 0: nothing answered (both requests
/// failed, or nothing listens), or one layer failed and the rest is not critical.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_read_is_unknown() {
    let (server, env) = both_keys().await;
    server.enqueue(Operation::GetCredits, MockResponse::error(500, "credits broke"));
    server.enqueue(Operation::GetCurrentKey, MockResponse::error(500, "key broke"));
    let (out, stdout, stderr) = check(&["--warn", "20", "--retries", "none"], &env).await;
    assert_eq!(out.status.code(), Some(3), "{stdout}{stderr}");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stdout.starts_with("OPENROUTER UNKNOWN - could not read what can be spent: both requests failed"),
        "{stdout}"
    );
    assert!(!stdout.contains(" | ") && !stdout.contains("0.00") && !stdout.contains('='), "no figure: {stdout}");
    assert_eq!(server.requests().len(), 2);

    // One layer failed; what was read is not critical: UNKNOWN, the failed layer named.
    server.enqueue(Operation::GetCredits, MockResponse::error(500, "credits broke"));
    let (out, stdout, _) = check(&["--warn", "5", "--retries", "none"], &env).await;
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    let (word, summary, perf) = status(&stdout);
    assert_eq!(word, "UNKNOWN");
    assert!(summary.ends_with("; account balance READ FAILED"), "{summary}");
    assert!(!perf.contains("account balance"), "no figure for it: {perf}");
    assert!(
        stdout.contains("account balance: unknown: get_credits: HTTP 500") && stdout.contains("(counts as UNKNOWN)")
    );
    // ... even when the user lets unread layers count as OK.
    server.enqueue(Operation::GetCredits, MockResponse::error(500, "credits broke"));
    let (out, _, _) = check(&["--unknown-layer", "ok", "--retries", "none"], &env).await;
    assert_eq!(out.status.code(), Some(3));
    // What was read is critical already: CRITICAL, and the failure still named.
    server.enqueue(Operation::GetCredits, MockResponse::error(500, "credits broke"));
    let (out, stdout, _) = check(&["--crit", "20", "--retries", "none"], &env).await;
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(status(&stdout).1.ends_with("account balance READ FAILED"), "{stdout}");

    // Nothing listens at the URL.
    let url = refused_url().await;
    let env = [("OPENROUTER_API_KEY", KEY.to_owned()), ("OPENROUTER_BASE_URL", url)];
    let (out, stdout, stderr) = check(&["--warn", "20", "--retries", "none"], &env).await;
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stdout.starts_with("OPENROUTER UNKNOWN - could not read what can be spent: get_current_key: could not connect"),
        "{stdout}"
    );
    assert!(stderr.contains("hint: check the host and port"), "{stderr}");
}

/// No key: UNKNOWN, and the fake server is not started; `--demo` asks for it, and its verdict
/// says DEMO, in text and in JSON.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_key_is_unknown_and_the_demo_only_answers_when_asked() {
    for env in [vec![], vec![("OPENROUTER_BASE_URL", "http://127.0.0.1:9/api/v1".to_owned())]] {
        let (out, stdout, stderr) = check(&["--warn", "20"], &env).await;
        assert_eq!(out.status.code(), Some(3), "{env:?}: {stderr}");
        assert!(stdout.starts_with("OPENROUTER UNKNOWN - "), "{stdout}");
        assert!(stdout.contains("OPENROUTER_API_KEY") && !stdout.contains('='), "{stdout}");
        assert!(!stderr.contains("fake OpenRouter server at"), "not started: {stderr}");
    }
    let (out, stdout, _) = check(&["--json"], &[]).await;
    assert_eq!(out.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!((v["status"].as_str(), v["exit_code"].as_u64()), (Some("UNKNOWN"), Some(3)), "{v}");
    assert!(v["source"].is_null() && v.get("remaining_usd").is_none(), "{v}");

    let (out, stdout, _) = check(&["--demo", "--warn", "20"], &[]).await;
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.starts_with("OPENROUTER WARNING - DEMO (made-up figures from the built-in fake server): 17.50 USD"));
    let (out, stdout, _) = run(&["--demo", "--json", "check", "--warn", "20"], &[]).await;
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!((v["source"].as_str(), v["status"].as_str()), (Some("demo"), Some("WARNING")), "{v}");
}

/// Bad flags are UNKNOWN (3), not clap's usage status (2), with the reason on stdout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_flags_are_unknown() {
    let (_, env) = both_keys().await;
    let cases: [(&[&str], &str); 7] = [
        (&["check", "--warn", "abc"], "invalid value 'abc' for '--warn <THRESHOLD>': must be USD left, 0 or more"),
        (&["check", "--crit", "-5"], "invalid value '-5' for '--crit <THRESHOLD>'"),
        (&["check", "--warn", "120%"], "a share of the limit from 0% to 100%"),
        (&["check", "--bogus"], "unexpected argument '--bogus'"),
        (&["--timeout", "0", "check"], "'--timeout <SECONDS>': must be a finite number of seconds greater than 0"),
        (
            &["check", "--warn", "5", "--crit", "10"],
            "--crit 10 is above --warn 5: CRITICAL must not come before WARNING",
        ),
        (&["--min-remaining", "5", "check"], "`check` has no --min-remaining"),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    for (args, why) in cases {
        let (out, stdout, stderr) = run(args, &env).await;
        assert_eq!(out.status.code(), Some(3), "{args:?}: {stderr}");
        assert!(stdout.starts_with("OPENROUTER UNKNOWN - bad arguments: "), "{args:?}: {stdout}");
        assert!(stdout.contains(why), "{args:?}: {stdout}");
        assert_eq!(stdout.lines().count(), 1, "{args:?}: {stdout}");
    }
    // The same verdict as JSON.
    let (out, stdout, _) = run(&["check", "--json", "--warn", "abc"], &env).await;
    assert_eq!(out.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["status"], "UNKNOWN", "{v}");
    assert!(v["error"].as_str().is_some_and(|e| e.contains("--warn")), "{v}");
    // Help is not an error.
    let (out, stdout, _) = run(&["check", "--help"], &env).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout.contains("0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN") && stdout.contains("--unknown-layer"));
}

/// A layer the keys cannot read by design (the account without a management key) is named, and
/// counts as `--unknown-layer` says: by default it does not fail the check.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_layer_not_read_by_design_counts_as_the_user_says() {
    let server = server().await;
    server.require_api_key(KEY);
    let env = [("OPENROUTER_API_KEY", KEY.to_owned()), ("OPENROUTER_BASE_URL", server.base_url())];
    let (out, stdout, _) = check(&["--warn", "10"], &env).await;
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let (_, summary, perf) = status(&stdout);
    assert!(summary.ends_with("; account balance not read"), "{summary}");
    assert!(!perf.contains("account"), "no figure for it, never 0: {perf}");
    assert!(stdout.contains("account balance: unknown: set OPENROUTER_MANAGEMENT_KEY to include it (counts as OK)"));
    assert_eq!(server.requests().len(), 1, "GET /credits is never sent with an ordinary key");
    for (state, code) in [("warning", 1), ("unknown", 3), ("critical", 2)] {
        let (out, stdout, _) = check(&["--warn", "10", "--unknown-layer", state], &env).await;
        assert_eq!(out.status.code(), Some(code), "{state}: {stdout}");
        assert!(stdout.contains(&format!("(counts as {})", state.to_uppercase())), "{stdout}");
    }
    // JSON: the same verdict, with the layer and how it counted.
    let (out, stdout, _) = check(&["--json", "--warn", "20", "--unknown-layer", "unknown"], &env).await;
    assert_eq!(out.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!((v["status"].as_str(), v["exit_code"].as_u64()), (Some("UNKNOWN"), Some(3)), "{v}");
    assert_eq!(v["source"], "openrouter");
    assert_eq!(v["remaining_usd"], 17.5);
    assert_eq!(v["thresholds"]["warn"]["usd"], 20.0);
    assert_eq!(
        (v["unknown"][0]["layers"].as_str(), v["unknown"][0]["counts_as"].as_str()),
        (Some("account"), Some("UNKNOWN"))
    );
    assert!(v["perfdata"].as_str().is_some_and(|p| p.starts_with("spendable=17.5;20;;0;50")), "{v}");
}
