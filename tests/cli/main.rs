//! The `openrouter-credits` binary (feature `cli`), run as a process against the fake server:
//! its output, its exit statuses (0 ok, 1 API error, 2 usage, 3 below `--min-remaining`), and
//! no panics. `check.rs`: the monitoring-plugin check.

mod check;
#[path = "../common/mod.rs"]
mod common;
mod readme;
use common::*;
use openrouter_credits::Operation;
use openrouter_credits::mock::MockResponse;
use std::process::{Command, Output};
use std::time::Duration;

/// The rule for where flags go, as `--help` and the errors word it.
const RULE: &str = "global options go before or after the command's name; a command's own options go after its name (with no command named, they are spendable's)";

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_openrouter-credits");
const FAKE_NOTE: &str = "using the built-in fake OpenRouter server";
/// The first line of a demo's text output.
const DEMO: &str = "DEMO: made-up figures from the built-in fake OpenRouter server";

pub(crate) async fn run(args: &[&str], env: &[(&str, &str)]) -> (Output, String, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    for var in [
        "OPENROUTER_API_KEY",
        "OPENROUTER_MANAGEMENT_KEY",
        "OPENROUTER_BASE_URL",
        "OPENROUTER_BEARER",
        "NO_COLOR",
        "CLICOLOR_FORCE",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    // Blocking wait off the runtime, so a fake server in this test keeps serving.
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("run cli")).await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"), "{stderr}");
    (out, stdout, stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_key_it_uses_the_fake_server_and_prints_a_table() {
    let (out, stdout, stderr) = run(&[], &[]).await;
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains(FAKE_NOTE), "{stderr}");
    // Made-up figures say so first, on stdout where a script reads; then the main job: what
    // can still be spent, then every layer, the binding one marked.
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with(DEMO), "{stdout}");
    assert!(lines[1].starts_with("remaining  17.50 USD  (member budget 0df9e665"), "{stdout}");
    assert!(lines[1].contains("binds, resets "), "{stdout}");
    for (row, figures) in [
        ("* member budget", "50.00      32.50     17.50"),
        ("  key limit", "100.00      25.50     74.50"),
        ("  account balance", "100.50      25.75     74.75  never"),
    ] {
        let line = lines.iter().find(|l| l.starts_with(row)).unwrap_or_else(|| panic!("{row}: {stdout}"));
        assert!(line.contains(figures), "{row}: {line}");
    }
    assert!(stdout.contains("free-model requests  38 of 50 left today"), "{stdout}");
    let (out, same, _) = run(&["spendable"], &[]).await;
    assert!(out.status.success());
    assert_eq!(same, stdout);

    // `balance` (and `credits`, the example's name for it) is the account alone.
    for command in ["balance", "credits"] {
        let (out, balance, _) = run(&[command], &[]).await;
        assert!(out.status.success());
        let lines: Vec<&str> = balance.lines().collect();
        assert!(lines[0].starts_with(DEMO), "{balance}");
        assert_eq!(lines[1..], ["total credits  100.50 USD", "total usage     25.75 USD", "remaining       74.75 USD"]);
    }
}

/// The false zero: with only an ordinary API key the main job shows the key's layers, never a
/// balance of 0, and says how to add the account's; `balance` refuses before sending.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_only_an_api_key_the_account_is_unknown_not_zero() {
    let server = server().await;
    server.require_api_key(KEY);
    let url = server.base_url();
    let env = [("OPENROUTER_API_KEY", KEY), ("OPENROUTER_BASE_URL", url.as_str())];
    let (out, stdout, stderr) = run(&[], &env).await;
    assert!(out.status.success(), "{stderr}");
    assert!(!stdout.lines().any(|l| l.contains("account") && l.contains("0.00")), "no zero balance: {stdout}");
    assert!(stdout.contains("account balance  unknown: set OPENROUTER_MANAGEMENT_KEY to include it"), "{stdout}");
    assert!(stdout.contains("set OPENROUTER_MANAGEMENT_KEY as well"), "{stdout}");
    assert!(stdout.starts_with("remaining  17.50 USD"), "{stdout}");
    let sent: Vec<_> = server.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(sent, ["/api/v1/key"], "GET /credits is never sent with an ordinary key");

    // --min-remaining compares with the binding layer and names it.
    let (out, _, stderr) = run(&["--min-remaining", "20"], &env).await;
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("member budget 0df9e665-d932-5740-b2c7-b52af166bc11: 17.50 USD left, resets "), "{stderr}");
    assert!(stderr.contains("less than --min-remaining 20"), "{stderr}");

    let (out, stdout, stderr) = run(&["balance"], &env).await;
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stdout.is_empty() && stderr.contains("OPENROUTER_MANAGEMENT_KEY is not set"), "{stderr}");
    assert_eq!(server.requests().len(), 2, "balance sent nothing");

    // JSON: the same structure; the account unknown with its reason, never 0.
    let (out, stdout, _) = run(&["--json"], &env).await;
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["source"], "openrouter", "{v}");
    assert_eq!(v["remaining_usd"], 17.5);
    assert_eq!(v["complete"], false);
    assert_eq!(v["unknown"][0]["layers"], "account");
    assert_eq!(v["unknown"][0]["reason"], "no_management_key");
    assert!(v["layers"].as_array().unwrap().iter().all(|l| l["kind"] != "account"), "{v}");
}

/// A layer whose request failed: the rest is printed, the command fails (exit 1) naming it,
/// and `--min-remaining` cannot pass on what is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_layer_fails_the_command_after_printing_the_rest() {
    let server = server().await;
    server.require_api_key(KEY);
    server.require_management_key("sk-or-v1-management");
    server.set_key_limit(None, 0.0);
    server.set_budgets([]);
    let url = server.base_url();
    let env = [
        ("OPENROUTER_API_KEY", KEY),
        ("OPENROUTER_MANAGEMENT_KEY", "sk-or-v1-management"),
        ("OPENROUTER_BASE_URL", &url),
    ];
    server.enqueue(Operation::GetCredits, MockResponse::error(401, "User not found."));
    let (out, stdout, stderr) = run(&["--min-remaining", "5"], &env).await;
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stdout.starts_with("remaining  no limit among the layers read (account balance unknown)"), "{stdout}");
    assert!(stderr.contains("error: account balance: unknown: get_credits: HTTP 401"), "{stderr}");
    assert!(stderr.contains("leaves that layer out"), "{stderr}");
}

/// `key --min-remaining` compares with the least of the key's limit and its effective budget.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_min_remaining_counts_the_effective_budget() {
    // The fake server (asked for: --min-remaining acts on real figures only): limit 74.50
    // left, the member budget 17.50.
    let (out, _, stderr) = run(&["key", "--demo", "--min-remaining", "20"], &[]).await;
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("member budget (effective): 17.50 USD left, less than --min-remaining 20"), "{stderr}");
    let (out, _, stderr) = run(&["--demo", "key", "--min-remaining", "17"], &[]).await;
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

/// Each layer binding in turn, seen through the CLI against a server with both keys.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binding_layer_is_marked_and_named() {
    let server = server().await;
    server.require_api_key(KEY);
    server.require_management_key("sk-or-v1-management");
    let url = server.base_url();
    let env = [
        ("OPENROUTER_API_KEY", KEY),
        ("OPENROUTER_MANAGEMENT_KEY", "sk-or-v1-management"),
        ("OPENROUTER_BASE_URL", &url),
    ];
    server.set_budgets([openrouter_credits::mock::MockBudget::new("workspace", 10.0, 8.0).id("ws-1").resets("daily")]);
    let (out, stdout, stderr) = run(&["--min-remaining", "5"], &env).await;
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stdout.lines().any(|l| l.starts_with("* workspace budget ws-1")), "{stdout}");
    assert!(stderr.contains("workspace budget ws-1: 2.00 USD left, resets "), "{stderr}");

    server.set_budgets([]);
    server.set_credits(10.0, 9.0);
    let (out, stdout, stderr) = run(&["--min-remaining", "5"], &env).await;
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stdout.lines().any(|l| l.starts_with("* account balance")), "{stdout}");
    assert!(stderr.contains("account balance: 1.00 USD left, less than --min-remaining 5"), "{stderr}");

    server.set_credits(100.0, 0.0);
    server.set_key_limit(Some(10.0), 7.0);
    let (out, stdout, _) = run(&["--json"], &env).await;
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!((v["binding"]["kind"].as_str(), v["remaining_usd"].as_f64()), (Some("key_limit"), Some(3.0)), "{v}");
    assert_eq!(v["complete"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_is_the_response_with_what_remains() {
    for args in [&["balance", "--json"][..], &["--json", "balance"]] {
        let (out, stdout, stderr) = run(args, &[]).await;
        assert!(out.status.success(), "{args:?}: {stderr}");
        let v: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document on stdout");
        assert_eq!(v["source"], "demo", "{args:?}");
        assert_eq!(v["data"]["total_credits"], 100.5, "{args:?}");
        assert_eq!(v["data"]["total_usage"], 25.75);
        assert_eq!(v["data"]["remaining"], 74.75);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn min_remaining_exits_3_below_it_and_0_otherwise() {
    // 74.75 left on the fake server's account (asked for with --demo).
    let (out, stdout, stderr) = run(&["balance", "--min-remaining", "80", "--demo"], &[]).await;
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stdout.contains("remaining       74.75 USD"), "the balance is still printed: {stdout}");
    assert!(stderr.contains("74.75 USD left, less than --min-remaining 80"), "{stderr}");

    let (out, stdout, _) = run(&["balance", "--json", "--min-remaining", "1000", "--demo"], &[]).await;
    assert_eq!(out.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["data"]["remaining"], 74.75);

    for ok in ["74.75", "10", "0"] {
        let (out, _, stderr) = run(&["balance", "--min-remaining", ok, "--demo"], &[]).await;
        assert_eq!(out.status.code(), Some(0), "{ok}: {stderr}");
    }
    // A negative minimum is refused, naming the flag and its rule; nothing starts.
    let (out, stdout, stderr) = run(&["balance", "--min-remaining", "-5", "--demo"], &[]).await;
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("invalid value '-5' for '--min-remaining <N>': must be a finite number of USD, 0 or more"),
        "{stderr}"
    );
    assert!(stdout.is_empty() && !stderr.contains(FAKE_NOTE), "{stderr}");

    // A real server, through the key: spent beyond the credits.
    let server = server().await;
    server.set_credits(10.0, 12.5);
    let url = server.base_url();
    let (out, stdout, _) =
        run(&["--base-url", &url, "balance", "--min-remaining", "0"], &[("OPENROUTER_MANAGEMENT_KEY", KEY)]).await;
    assert_eq!(out.status.code(), Some(3));
    assert!(stdout.contains("remaining      -2.50 USD"), "{stdout}");

    // It belongs to balance: with charge it is a usage error.
    let (out, _, stderr) = run(&["--min-remaining", "5", "charge"], &[]).await;
    assert_eq!(out.status.code(), Some(2), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn charge_prints_amounts_in_the_tokens_units() {
    let (out, stdout, stderr) =
        run(&["charge", "--amount", "100", "--sender", SENDER, "--chain", "polygon"], &[]).await;
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains(FAKE_NOTE), "{stderr}");
    for field in ["charge id", "expires at", "contract address", "refund destination", "recipient"] {
        assert!(stdout.contains(field), "{field}: {stdout}");
    }
    // 100 USD less the 5 % fee, in USDC (6 decimals): 95000000 and 5000000 on the wire.
    assert!(stdout.contains("recipient amount    95.00 USDC\n"), "{stdout}");
    assert!(stdout.contains("fee amount          5.00 USDC\n"), "{stdout}");
    assert!(stdout.contains("currency            USDC (0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48)"), "{stdout}");
    assert!(stdout.contains("chain               polygon (137)"), "{stdout}");
    assert!(!stdout.contains("95000000"), "{stdout}");

    let (out, stdout, _) =
        run(&["charge", "--json", "--amount", "100", "--sender", SENDER, "--chain", "8453"], &[]).await;
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let intent = &v["data"]["web3_data"]["transfer_intent"];
    assert_eq!(intent["call_data"]["recipient_amount"], "95000000", "JSON keeps the raw response");
    // An integer, as every chain id is (the response type holds it as an `f64`): not `8453.0`.
    assert!(stdout.contains("\"chain_id\": 8453\n") || stdout.contains("\"chain_id\": 8453,"), "{stdout}");
    assert!(!stdout.contains("8453.0"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_currency_is_shown_raw_with_its_address() {
    let server = server().await;
    let (_, stdout, _) = run(&["charge", "--json", "--amount", "1", "--sender", SENDER, "--chain", "base"], &[]).await;
    let mut body: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let call_data = &mut body["data"]["web3_data"]["transfer_intent"]["call_data"];
    call_data["recipient_currency"] = "0x00000000000000000000000000000000000000aa".into();
    call_data["recipient_amount"] = "123456".into();
    server.enqueue(Operation::CreateCoinbaseCharge, MockResponse::json(200, &body));

    let url = server.base_url();
    let args = ["--base-url", &url, "charge", "--amount", "1", "--sender", SENDER, "--chain", "base"];
    let (out, stdout, stderr) = run(&args, &[("OPENROUTER_BEARER", BEARER)]).await;
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains(FAKE_NOTE), "a bearer and --base-url mean the real thing: {stderr}");
    assert!(
        stdout.contains(
            "recipient amount    123456 (smallest units of token 0x00000000000000000000000000000000000000aa)"
        ),
        "{stdout}"
    );
    assert_eq!(server.requests_for(Operation::CreateCoinbaseCharge)[0].bearer(), Some(BEARER));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_errors_print_status_message_and_hint_and_exit_1() {
    let server = server().await;
    server.require_api_key(KEY);
    let url = server.base_url();
    let (out, _, stderr) = run(&["--base-url", &url], &[("OPENROUTER_API_KEY", "sk-or-wrong")]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("HTTP 401") && stderr.contains("User not found."), "{stderr}");
    assert!(stderr.contains("hint: check the API key (OPENROUTER_API_KEY)"), "{stderr}");
    assert!(!stderr.contains("sk-or-wrong"), "{stderr}");

    server.set_coinbase_gone(true);
    let args =
        ["--base-url", &url, "charge", "--amount", "5", "--sender", SENDER, "--chain", "base", "--bearer", BEARER];
    let (out, _, stderr) = run(&args, &[("OPENROUTER_API_KEY", KEY)]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("HTTP 410") && stderr.contains("web credits purchase flow"), "{stderr}");
    assert!(stderr.contains("hint: this endpoint is retired upstream"), "{stderr}");
    assert!(!stderr.contains(BEARER) && !stderr.contains(KEY));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_is_explained_in_command_line_terms() {
    let server = server().await;
    server
        .enqueue(Operation::GetCredits, MockResponse::json(200, &serde_json::json!({})).delay(Duration::from_secs(5)));
    let url = server.base_url();
    let args = ["--base-url", &url, "--timeout", "0.2", "--retries", "none", "balance"];
    let (out, _, stderr) = run(&args, &[("OPENROUTER_MANAGEMENT_KEY", KEY)]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("timed out after 1 attempt (per-attempt timeout 0.2 s)"), "{stderr}");
    assert!(stderr.contains("raise --timeout"), "{stderr}");
    assert!(!stderr.contains(".timeout(") && !stderr.contains("ClientBuilder"), "{stderr}");
}

/// More seconds than a `Duration` holds is no timeout, not a panic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_too_long_for_a_duration_is_none() {
    let server = server().await;
    let url = server.base_url();
    let (out, _, stderr) =
        run(&["--base-url", &url, "--timeout", "1e30", "balance"], &[("OPENROUTER_MANAGEMENT_KEY", KEY)]).await;
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_missing_charge_value_is_reported_at_once_before_the_fake_server_starts() {
    let (out, stdout, stderr) = run(&["charge"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout.is_empty());
    for flag in ["--amount <USD>", "--sender <0xADDRESS>", "--chain <CHAIN>"] {
        assert!(stderr.contains(flag), "{flag}: {stderr}");
    }
    assert!(stderr.contains("Usage: openrouter-credits charge"), "{stderr}");
    assert!(!stderr.contains(FAKE_NOTE), "validation comes before the fake server: {stderr}");
    // Without the fake server, the bearer is missing too: in the same message.
    let (out, _, stderr) = run(&["charge", "--chain", "base"], &[("OPENROUTER_API_KEY", KEY)]).await;
    assert_eq!(out.status.code(), Some(2));
    for flag in ["--amount", "--sender", "--bearer <TOKEN> (or OPENROUTER_BEARER)"] {
        assert!(stderr.contains(flag), "{flag}: {stderr}");
    }
    assert!(!stderr.contains("\n  --chain"), "--chain was given: {stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_values_are_usage_errors_with_no_fake_server_note() {
    let cases: [&[&str]; 5] = [
        &["charge", "--amount", "-3", "--sender", SENDER, "--chain", "base"],
        &["charge", "--amount", "100", "--sender", "0x1234", "--chain", "base"],
        &["charge", "--amount", "100", "--sender", SENDER, "--chain", "solana"],
        &["--retries", "sometimes"],
        &["--timeout", "0"],
    ];
    let expected = [
        "'--amount <USD>': must be a finite number greater than 0",
        "'--sender <0xADDRESS>': must be 0x followed by 40 hexadecimal digits",
        "'--chain <CHAIN>': must be ethereum, polygon or base",
        "--retries",
        "'--timeout <SECONDS>': must be a finite number of seconds greater than 0",
    ];
    for (args, expected) in cases.into_iter().zip(expected) {
        let (out, stdout, stderr) = run(args, &[]).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains(FAKE_NOTE), "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?}");
    }

    // An invalid base URL is caught before anything is sent: also 2, in flag terms.
    let (out, _, stderr) = run(&["--base-url", "http://example.com"], &[("OPENROUTER_API_KEY", KEY)]).await;
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("invalid --base-url: must use https"), "{stderr}");

    // --base-url without a key: the fake server is not used, and the key is named.
    let (out, _, stderr) = run(&["--base-url", "http://127.0.0.1:9"], &[]).await;
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("OPENROUTER_MANAGEMENT_KEY is set") && stderr.contains("OPENROUTER_API_KEY"), "{stderr}");
    assert!(!stderr.contains(FAKE_NOTE), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn colour_only_when_asked_and_never_with_no_color() {
    let charge = ["charge", "--amount", "1", "--sender", SENDER, "--chain", "base"];
    // Not a terminal (a pipe): no escape codes, on either stream, table or error.
    for args in [&[][..], &["--min-remaining", "1000", "--demo"], &charge, &["charge"]] {
        let (_, stdout, stderr) = run(args, &[]).await;
        assert!(!stdout.contains('\x1b') && !stderr.contains('\x1b'), "{args:?}: {stdout}{stderr}");
    }
    // CLICOLOR_FORCE stands in for a terminal here; NO_COLOR wins over it.
    let (_, stdout, stderr) = run(&["--demo", "--min-remaining", "1000"], &[("CLICOLOR_FORCE", "1")]).await;
    assert!(stdout.contains("\x1b[") && stderr.contains("\x1b["), "{stdout}{stderr}");
    let (_, stdout, stderr) =
        run(&["--demo", "--min-remaining", "1000"], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]).await;
    assert!(!stdout.contains('\x1b') && !stderr.contains('\x1b'), "{stdout}{stderr}");
    // JSON is never coloured.
    let (_, stdout, _) = run(&["--json"], &[("CLICOLOR_FORCE", "1")]).await;
    assert!(!stdout.contains('\x1b'));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_are_reported_as_they_happen() {
    let server = server().await;
    server.enqueue(Operation::GetCredits, MockResponse::error(503, "busy").retry_after("0"));
    let url = server.base_url();
    let (out, stdout, stderr) = run(&["--base-url", &url, "balance"], &[("OPENROUTER_MANAGEMENT_KEY", KEY)]).await;
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("remaining"));
    // Retry-After: 0 waits the policy's first backoff step (500 ms), never 0.
    assert!(stderr.contains("get_credits: attempt 1 failed (HTTP 503), retrying in 500 ms"), "{stderr}");
    assert!(!stderr.contains("attempt 2"), "only retries without -v: {stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbose_shows_each_attempt() {
    let (out, _, stderr) = run(&["-v", "balance"], &[]).await;
    assert!(out.status.success());
    assert!(stderr.contains("get_credits: attempt 1 finished (HTTP 200)"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_documents_the_exit_statuses() {
    let (out, stdout, _) = run(&["--help"], &[]).await;
    assert!(out.status.success());
    for line in ["balance", "charge", "--json", "--min-remaining", "3  less than --min-remaining", "NO_COLOR"] {
        assert!(stdout.contains(line), "{line}: {stdout}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_shows_the_keys_limit_usage_and_what_remains() {
    let (out, stdout, stderr) = run(&["key"], &[]).await;
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains(FAKE_NOTE), "{stderr}");
    for row in [
        "limit                100.00 USD",
        "limit remaining      74.50 USD",
        "limit reset          monthly",
        "usage today",
    ] {
        assert!(stdout.contains(row), "{row}: {stdout}");
    }
    // Upstream's newest GET /key: the layer that blocks first and the free-model quota.
    assert!(stdout.contains("effective budget     member budget: 17.50 of 50.00 USD left"), "{stdout}");
    assert!(stdout.contains("free-model requests  38 of 50 left today"), "{stdout}");
    let (out, stdout, _) = run(&["key", "--json"], &[]).await;
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["data"]["limit_remaining"], 74.5);

    // Below the key's own limit: exit 3, the key still printed.
    let (out, stdout, stderr) = run(&["key", "--min-remaining", "100", "--demo"], &[]).await;
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stdout.contains("limit remaining") && stderr.contains("less than --min-remaining 100"), "{stderr}");

    // A real server, through the API key: what went over the wire.
    let server = server().await;
    let (out, _, stderr) =
        run(&["key"], &[("OPENROUTER_API_KEY", KEY), ("OPENROUTER_BASE_URL", &server.base_url())]).await;
    assert!(out.status.success(), "{stderr}");
    let sent = server.requests_for(Operation::GetCurrentKey);
    assert_eq!((sent.len(), sent[0].path.as_str(), sent[0].bearer()), (1, "/api/v1/key", Some(KEY)));
}

/// `GET /credits` takes the management key; the API key alone is refused before sending.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balance_sends_the_management_key() {
    let server = server().await;
    server.require_management_key("sk-or-v1-management");
    let url = server.base_url();
    let env = [
        ("OPENROUTER_MANAGEMENT_KEY", "sk-or-v1-management"),
        ("OPENROUTER_API_KEY", KEY),
        ("OPENROUTER_BASE_URL", url.as_str()),
    ];
    let (out, _, stderr) = run(&["balance"], &env).await;
    assert!(out.status.success(), "{stderr}");
    assert_eq!(server.requests_for(Operation::GetCredits)[0].bearer(), Some("sk-or-v1-management"));

    // An ordinary key alone is never sent to GET /credits (it would read zeros): a usage error
    // that says what to set.
    server.clear_requests();
    let (out, _, stderr) =
        run(&["balance"], &[("OPENROUTER_API_KEY", KEY), ("OPENROUTER_BASE_URL", url.as_str())]).await;
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("OPENROUTER_MANAGEMENT_KEY") && stderr.contains("zeros"), "{stderr}");
    assert!(server.requests().is_empty());
}

/// Issue 22: a charge answered 500 may have been created. The CLI says so and how to check,
/// never "try again"; it sent the charge once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_charge_answered_500_says_to_check_before_charging_again() {
    let server = server().await;
    server.enqueue(Operation::CreateCoinbaseCharge, MockResponse::error(500, "internal error"));
    let url = server.base_url();
    let args =
        ["--base-url", &url, "charge", "--amount", "5", "--sender", SENDER, "--chain", "base", "--bearer", BEARER];
    let (out, _, stderr) = run(&args, &[("OPENROUTER_API_KEY", KEY)]).await;
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("HTTP 500"), "{stderr}");
    let hint = stderr.lines().find(|l| l.starts_with("hint:")).unwrap_or_else(|| panic!("a hint: {stderr}"));
    assert!(hint.contains("may have acted") && hint.contains("before sending it again"), "{hint}");
    assert!(!stderr.to_ascii_lowercase().contains("try again"), "{stderr}");
    assert_eq!(server.requests_for(Operation::CreateCoinbaseCharge).len(), 1);
}

/// Issue 22: a closed port fails fast on the command line: 3 quick attempts (not a minute of
/// them), and the hint names where the base URL came from (the flag, or the variable), and
/// `--retries`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_fails_fast_and_names_the_base_urls_source() {
    let url = refused_url().await;
    let started = std::time::Instant::now();
    let (out, _, stderr) = run(&["--base-url", &url], &[("OPENROUTER_API_KEY", KEY)]).await;
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("could not connect: connection refused") && stderr.contains("(after 3 attempts)"),
        "{stderr}"
    );
    assert!(took < Duration::from_secs(3), "{took:?}: {stderr}");
    assert!(
        stderr.contains(
            "hint: check the host and port (is the server running?) in --base-url; tried 3 times in quick succession (--retries none tries once)"
        ),
        "{stderr}"
    );
    // Each retry was reported as it happened.
    assert_eq!(stderr.matches("failed (connection refused), retrying in").count(), 2, "{stderr}");

    // From the environment: the variable is named, not the flag.
    let (_, _, stderr) = run(&[], &[("OPENROUTER_API_KEY", KEY), ("OPENROUTER_BASE_URL", url.as_str())]).await;
    assert!(stderr.contains("in OPENROUTER_BASE_URL;") && !stderr.contains("--base-url"), "{stderr}");

    // --retries none: one attempt.
    let (_, _, stderr) = run(&["--base-url", &url, "--retries", "none"], &[("OPENROUTER_API_KEY", KEY)]).await;
    assert!(stderr.contains("(after 1 attempt)") && stderr.contains("; tried once"), "{stderr}");
}

/// `--timeout -1` is a bad value of `--timeout` (named, with its rule), not an unknown `-1`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_negative_timeout_names_the_flag() {
    for args in [&["--timeout", "-1"][..], &["key", "--timeout", "-1"]] {
        let (out, stdout, stderr) = run(args, &[]).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(
                "invalid value '-1' for '--timeout <SECONDS>': must be a finite number of seconds greater than 0"
            ),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("unexpected argument"), "{args:?}: {stderr}");
        assert!(stdout.is_empty() && !stderr.contains(FAKE_NOTE), "{args:?}: {stderr}");
    }
}

/// An amount too large for an `f64` (`1e400` is infinity) breaks the library's rule, in its words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_infinite_amount_is_refused_as_not_finite() {
    for amount in ["1e400", "inf", "NaN"] {
        let (out, _, stderr) = run(&["charge", "--amount", amount, "--sender", SENDER, "--chain", "base"], &[]).await;
        assert_eq!(out.status.code(), Some(2), "{amount}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "invalid value '{amount}' for '--amount <USD>': must be a finite number greater than 0"
            )),
            "{amount}: {stderr}"
        );
    }
    let (_, _, stderr) = run(&["--min-remaining", "1e400"], &[]).await;
    assert!(stderr.contains("'--min-remaining <N>': must be a finite number"), "{stderr}");
}

/// `--help` lists `--min-remaining` where it works: under spendable (the default command), not
/// among the global options; each command's own `--min-remaining` says what it compares.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn min_remaining_is_listed_where_it_is_accepted() {
    let (_, help, _) = run(&["--help"], &[]).await;
    let (_, rest) = help.split_once("Global options:").expect("a global heading");
    let global = rest.split("\n\n").next().unwrap_or_default();
    assert!(!global.contains("--min-remaining"), "not global: {global}");
    assert!(!global.is_empty() && global.contains("--timeout") && !global.contains("Spendable options"), "{global}");
    assert!(rest.contains("Spendable options (when no command is named):\n      --min-remaining <N>"), "{help}");

    // Where help does not list it, it is refused (2), and where it lists it, it works.
    let charge = ["charge", "--amount", "1", "--sender", SENDER, "--chain", "base"];
    for args in
        [&[&charge[..], &["--min-remaining", "5"]].concat()[..], &[&["--min-remaining", "5"], &charge[..]].concat()]
    {
        let (out, stdout, stderr) = run(args, &[]).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?}: nothing sent: {stdout}");
    }
    for args in [&["--min-remaining", "5"][..], &["balance", "--min-remaining", "5"], &["key", "--min-remaining", "5"]]
    {
        let (out, _, stderr) = run(&[args, &["--demo"]].concat(), &[]).await;
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    }
    // Before a command's name it is spendable's: refused with every command, the rule said
    // as --help says it, and where it goes.
    for command in ["key", "balance", "spendable"] {
        let (out, stdout, stderr) = run(&["--min-remaining", "5", command, "--demo"], &[]).await;
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(RULE), "{stderr}");
        assert!(
            stderr.contains(&format!("put it after `{command}`: openrouter-credits {command} --min-remaining <N>")),
            "{stderr}"
        );
        assert!(stdout.is_empty() && !stderr.contains(FAKE_NOTE), "{stderr}");
    }
    assert!(help.replace('\n', " ").contains(RULE), "--help says the same rule: {help}");
}

/// `key --help` speaks of the key's limit, not of the account's balance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_help_speaks_of_the_keys_limit() {
    let (out, help, _) = run(&["key", "--help"], &[]).await;
    assert!(out.status.success());
    assert!(!help.contains("balance"), "{help}");
    assert!(
        help.contains("less than N USD is left of the least of this key's limit and its effective budget"),
        "{help}"
    );
    let (_, help, _) = run(&["balance", "--help"], &[]).await;
    assert!(help.contains("less than N USD is left on the account"), "{help}");
}

/// A network error states its cause once: the library's message already names the root cause,
/// and reqwest's and hyper's layers under it would repeat it (`client error (Connect): tcp
/// connect error`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_network_error_states_its_cause_once() {
    // A port nothing listens on: bound, then closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}/api/v1");
    let (out, _, stderr) = run(&["--base-url", &url, "--retries", "none"], &[("OPENROUTER_API_KEY", KEY)]).await;
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let error = stderr.lines().find(|l| l.starts_with("error: ")).unwrap_or_default();
    assert_eq!(
        error,
        format!(
            "error: get_current_key: could not connect: connection refused for 127.0.0.1:{port} (os error 111) (after 1 attempt)"
        ),
        "{stderr}"
    );
    assert_eq!(stderr.to_ascii_lowercase().matches("refused").count(), 1, "{stderr}");
}

/// The `--json` key order is serde_json's own (sorted): the order a user's build has. A test
/// build that unified xtask's `serde_json/preserve_order` into the library (`cargo test
/// --workspace`) prints the response's field order instead, and fails here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_keys_come_in_the_order_users_get() {
    let (out, stdout, stderr) = run(&["balance", "--json"], &[]).await;
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        stdout,
        "{\n  \"data\": {\n    \"remaining\": 74.75,\n    \"total_credits\": 100.5,\n    \"total_usage\": 25.75\n  },\n  \"source\": \"demo\"\n}\n"
    );
}

/// `--help` opens with what the tool is for now: what can still be spent, and checks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_opens_with_what_the_tool_is_for() {
    let (out, help, _) = run(&["--help"], &[]).await;
    assert!(out.status.success());
    let first = help.lines().next().unwrap_or_default();
    assert!(first.starts_with("What your OpenRouter keys can still spend"), "{help}");
    assert!(help.contains("check") && help.contains("--demo"), "{help}");
    assert!(!help.contains("Your OpenRouter balance from the command line"), "{help}");
}

/// The fake server never stands in for the real one by accident: its figures are marked where
/// a script reads them, and nothing a script relies on runs on it unasked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_is_marked_and_never_answers_a_script_unasked() {
    // JSON names its source, for every command that reads figures.
    for args in [&["--json"][..], &["balance", "--json"], &["key", "--json"]] {
        let (out, stdout, stderr) = run(args, &[]).await;
        assert!(out.status.success(), "{args:?}: {stderr}");
        let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(v["source"], "demo", "{args:?}: {v}");
    }
    // --min-remaining with no key: a usage error that says what to do; nothing starts.
    for args in [&["--min-remaining", "5"][..], &["balance", "--min-remaining", "5"], &["key", "--min-remaining", "5"]]
    {
        let (out, stdout, stderr) = run(args, &[]).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("no key is set (OPENROUTER_API_KEY, OPENROUTER_MANAGEMENT_KEY), and --min-remaining acts on real figures only")
                && stderr.contains("--demo"),
            "{args:?}: {stderr}"
        );
        assert!(stdout.is_empty() && !stderr.contains(FAKE_NOTE), "{args:?}: {stderr}");
    }
    // A key is set but not the one the command needs: a missing key, never the fake server.
    let (out, stdout, stderr) = run(&["key"], &[("OPENROUTER_MANAGEMENT_KEY", KEY)]).await;
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("OPENROUTER_API_KEY is not set") && stdout.is_empty(), "{stderr}");
    assert!(!stderr.contains(FAKE_NOTE), "{stderr}");

    // With a key, the real thing, named as such; --demo asks for the fake server even then,
    // and nothing goes to the real one.
    let server = server().await;
    let env = [("OPENROUTER_API_KEY", KEY), ("OPENROUTER_BASE_URL", &server.base_url())];
    let (out, stdout, _) = run(&["--json"], &env).await;
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["source"], "openrouter", "{v}");
    assert!(!stdout.contains("DEMO"));
    server.clear_requests();
    let (out, stdout, stderr) = run(&["--demo"], &env).await;
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.starts_with(DEMO) && stderr.contains("--demo: this is using the built-in fake"), "{stderr}");
    assert!(server.requests().is_empty(), "--demo sent nothing to the configured server");
    // --demo and --base-url contradict each other.
    let (out, _, stderr) = run(&["--demo", "--base-url", &server.base_url()], &[]).await;
    assert_eq!(out.status.code(), Some(2), "{stderr}");
}

/// `openrouter-credits --json | head -1`: a closed stdout ends the tool quietly (no panic, no
/// message) with the command's own status, for a plain command and for `check`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_pipe_ends_quietly_with_the_commands_status() {
    for (args, status) in [
        (&["--json"][..], 0),
        (&[][..], 0),
        (&["key"][..], 0),
        (&["check", "--demo", "--warn", "20"][..], 1),
        (&["--demo", "--min-remaining", "100"][..], 3),
    ] {
        let mut cmd = Command::new(BIN);
        cmd.args(args).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
        for var in ["OPENROUTER_API_KEY", "OPENROUTER_MANAGEMENT_KEY", "OPENROUTER_BASE_URL"] {
            cmd.env_remove(var);
        }
        let out = tokio::task::spawn_blocking(move || {
            let mut child = cmd.spawn().expect("spawn");
            // The reader goes away before the tool writes (it first starts its fake server).
            drop(child.stdout.take());
            child.wait_with_output().expect("wait")
        })
        .await
        .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(status), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{args:?}: {stderr}");
        assert!(!stderr.contains("error: could not write"), "{args:?}: {stderr}");
    }
}

/// When both of `spendable`'s requests fail, the error names both; the cause is said once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_both_requests_fail_the_error_names_both() {
    let server = server().await;
    server.enqueue(Operation::GetCredits, MockResponse::error(500, "credits broke"));
    server.enqueue(Operation::GetCurrentKey, MockResponse::error(500, "key broke"));
    let url = server.base_url();
    let env = [("OPENROUTER_API_KEY", KEY), ("OPENROUTER_MANAGEMENT_KEY", KEY), ("OPENROUTER_BASE_URL", &url)];
    let (out, stdout, stderr) = run(&["--retries", "none"], &env).await;
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stdout.is_empty(), "no figure, not even 0: {stdout}");
    assert!(
        stderr.contains(
            "error: both requests failed, nothing was read: get_current_key: HTTP 500 Internal Server Error: key broke; \
             get_credits: HTTP 500 Internal Server Error: credits broke"
        ),
        "{stderr}"
    );
    assert_eq!(server.requests().len(), 2, "one attempt each");
}

/// Any other write error on stdout is reported (never a panic): exit 1, or UNKNOWN for `check`,
/// whose verdict did not reach the monitor.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stdout_that_cannot_be_written_is_an_error() {
    for (args, status) in [(&["--json"][..], 1), (&["check", "--demo"][..], 3)] {
        let mut cmd = Command::new(BIN);
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
        cmd.args(args).stdout(full);
        for var in ["OPENROUTER_API_KEY", "OPENROUTER_MANAGEMENT_KEY", "OPENROUTER_BASE_URL"] {
            cmd.env_remove(var);
        }
        let out = tokio::task::spawn_blocking(move || cmd.output().expect("run")).await.unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(status), "{args:?}: {stderr}");
        assert!(stderr.contains("error: could not write to standard output: No space left on device"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runway_is_shown_with_its_pace_or_why_there_is_none() {
    // The fake server's key spent 25.50 USD this week and month; the member budget binds. The
    // figure depends on today's date, so the test checks its shape and its consistency.
    let (out, stdout, stderr) = run(&["--json", "--demo"], &[]).await;
    assert!(out.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let runway = &v["runway"];
    if runway["known"] == true {
        let (daily, window) = (runway["daily_usd"].as_f64().unwrap(), runway["window_seconds"].as_f64().unwrap());
        assert!(["utc_week", "utc_month"].contains(&runway["window"].as_str().unwrap()), "{runway}");
        assert!(
            (daily / (25.5 / (window / 86_400.0)) - 1.0).abs() < 1e-4,
            "the pace is the window's spend per day: {runway}"
        );
        assert_eq!(runway["layer"], v["binding"]["name"], "{runway}");
        assert_eq!(runway["shared_layer"], true, "a member budget: {runway}");
        if runway["end"] == "runs_out" {
            let seconds = runway["seconds"].as_f64().unwrap();
            assert!((seconds / 86_400.0 / (17.5 / daily) - 1.0).abs() < 1e-3, "{runway}");
        }
    } else {
        assert_eq!(runway["reason"], "too_little_history", "{runway}");
    }
    let (_, stdout, _) = run(&["--demo"], &[]).await;
    let line = stdout.lines().find(|l| l.starts_with("runway")).expect("a runway line");
    assert!(line.contains("USD/day") || line.contains("less than a day"), "{line}");
}
