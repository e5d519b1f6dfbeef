//! The `openrouter-credits` binary (feature `cli`), run as a process against the fake server:
//! its output, its exit statuses (0 ok, 1 API error, 2 usage, 3 below `--min-remaining`), and
//! no panics.

mod common;
use common::*;
use openrouter_credits::Operation;
use openrouter_credits::mock::MockResponse;
use std::process::{Command, Output};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_openrouter-credits");
const FAKE_NOTE: &str = "using the built-in fake OpenRouter server";

async fn run(args: &[&str], env: &[(&str, &str)]) -> (Output, String, String) {
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
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines, ["total credits  100.50 USD", "total usage     25.75 USD", "remaining       74.75 USD"]);

    // `balance` is the default; `credits` (the example's name for it) still works.
    for command in ["balance", "credits"] {
        let (out, same, _) = run(&[command], &[]).await;
        assert!(out.status.success());
        assert_eq!(same, stdout);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_is_the_response_with_what_remains() {
    for args in [&["--json"][..], &["balance", "--json"], &["--json", "balance"]] {
        let (out, stdout, stderr) = run(args, &[]).await;
        assert!(out.status.success(), "{args:?}: {stderr}");
        let v: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document on stdout");
        assert_eq!(v["data"]["total_credits"], 100.5, "{args:?}");
        assert_eq!(v["data"]["total_usage"], 25.75);
        assert_eq!(v["data"]["remaining"], 74.75);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn min_remaining_exits_3_below_it_and_0_otherwise() {
    // 74.75 left on the fake server.
    let (out, stdout, stderr) = run(&["--min-remaining", "80"], &[]).await;
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stdout.contains("remaining       74.75 USD"), "the balance is still printed: {stdout}");
    assert!(stderr.contains("74.75 USD left, less than --min-remaining 80"), "{stderr}");

    let (out, stdout, _) = run(&["balance", "--json", "--min-remaining", "1000"], &[]).await;
    assert_eq!(out.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["data"]["remaining"], 74.75);

    for ok in ["74.75", "10", "-5"] {
        let (out, _, stderr) = run(&["balance", "--min-remaining", ok], &[]).await;
        assert_eq!(out.status.code(), Some(0), "{ok}: {stderr}");
    }

    // A real server, through the key: spent beyond the credits.
    let server = server().await;
    server.set_credits(10.0, 12.5);
    let url = server.base_url();
    let (out, stdout, _) = run(&["--base-url", &url, "--min-remaining", "0"], &[("OPENROUTER_API_KEY", KEY)]).await;
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
    // GET /credits takes a management key, falling back to the API key: the hint names both.
    assert!(stderr.contains("hint: check the management key") && stderr.contains("OPENROUTER_API_KEY"), "{stderr}");
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
    let args = ["--base-url", &url, "--timeout", "0.2", "--retries", "none"];
    let (out, _, stderr) = run(&args, &[("OPENROUTER_API_KEY", KEY)]).await;
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
    let (out, _, stderr) = run(&["--base-url", &url, "--timeout", "1e30"], &[("OPENROUTER_API_KEY", KEY)]).await;
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
    assert!(stderr.contains("OPENROUTER_API_KEY is set") && stderr.contains("OPENROUTER_MANAGEMENT_KEY"), "{stderr}");
    assert!(!stderr.contains(FAKE_NOTE), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn colour_only_when_asked_and_never_with_no_color() {
    let charge = ["charge", "--amount", "1", "--sender", SENDER, "--chain", "base"];
    // Not a terminal (a pipe): no escape codes, on either stream, table or error.
    for args in [&[][..], &["--min-remaining", "1000"], &charge, &["charge"]] {
        let (_, stdout, stderr) = run(args, &[]).await;
        assert!(!stdout.contains('\x1b') && !stderr.contains('\x1b'), "{args:?}: {stdout}{stderr}");
    }
    // CLICOLOR_FORCE stands in for a terminal here; NO_COLOR wins over it.
    let (_, stdout, stderr) = run(&["--min-remaining", "1000"], &[("CLICOLOR_FORCE", "1")]).await;
    assert!(stdout.contains("\x1b[") && stderr.contains("\x1b["), "{stdout}{stderr}");
    let (_, stdout, stderr) = run(&["--min-remaining", "1000"], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]).await;
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
    let (out, stdout, stderr) = run(&["--base-url", &url], &[("OPENROUTER_API_KEY", KEY)]).await;
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("remaining"));
    // Retry-After: 0 waits the policy's first backoff step (500 ms), never 0.
    assert!(stderr.contains("get_credits: attempt 1 failed (HTTP 503), retrying in 500 ms"), "{stderr}");
    assert!(!stderr.contains("attempt 2"), "only retries without -v: {stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbose_shows_each_attempt() {
    let (out, _, stderr) = run(&["-v"], &[]).await;
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
    for row in
        ["limit             100.00 USD", "limit remaining   74.50 USD", "limit reset       monthly", "usage today"]
    {
        assert!(stdout.contains(row), "{row}: {stdout}");
    }
    let (out, stdout, _) = run(&["key", "--json"], &[]).await;
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["data"]["limit_remaining"], 74.5);

    // Below the key's own limit: exit 3, the key still printed.
    let (out, stdout, stderr) = run(&["key", "--min-remaining", "100"], &[]).await;
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

/// `GET /credits` takes the management key when there is one; the API key alone still works.
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

    // An ordinary key gets upstream's 403, and the hint says what to do.
    let (out, _, stderr) =
        run(&["balance"], &[("OPENROUTER_API_KEY", KEY), ("OPENROUTER_BASE_URL", url.as_str())]).await;
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("403") && stderr.contains("management key"), "{stderr}");
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

/// `--help` lists `--min-remaining` where it works: under balance (the default command), not
/// among the global options; each command's own `--min-remaining` says what it compares.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn min_remaining_is_listed_where_it_is_accepted() {
    let (_, help, _) = run(&["--help"], &[]).await;
    let (_, rest) = help.split_once("Global options:").expect("a global heading");
    let global = rest.split("\n\n").next().unwrap_or_default();
    assert!(!global.contains("--min-remaining"), "not global: {global}");
    assert!(!global.is_empty() && global.contains("--timeout") && !global.contains("Balance options"), "{global}");
    assert!(rest.contains("Balance options (when no command is named):\n      --min-remaining <N>"), "{help}");

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
        let (out, _, stderr) = run(args, &[]).await;
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    }
    // Before `key` it would be balance's: refused, saying where it goes.
    let (out, _, stderr) = run(&["--min-remaining", "5", "key"], &[]).await;
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("put it after `key`: openrouter-credits key --min-remaining <N>"), "{stderr}");
}

/// `key --help` speaks of the key's limit, not of the account's balance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_help_speaks_of_the_keys_limit() {
    let (out, help, _) = run(&["key", "--help"], &[]).await;
    assert!(out.status.success());
    assert!(!help.contains("balance"), "{help}");
    assert!(help.contains("when this key has a spending limit and less than N USD of it is left"), "{help}");
    let (_, help, _) = run(&["balance", "--help"], &[]).await;
    assert!(help.contains("less than N USD is left on the account; the balance is still printed"), "{help}");
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
            "error: get_credits: could not connect: connection refused for 127.0.0.1:{port} (Connection refused (os error 111)) (after 1 attempt)"
        ),
        "{stderr}"
    );
    assert_eq!(stderr.to_ascii_lowercase().matches("refused").count(), 2, "{stderr}");
}

/// The `--json` key order is serde_json's own (sorted): the order a user's build has. A test
/// build that unified xtask's `serde_json/preserve_order` into the library (`cargo test
/// --workspace`) prints the response's field order instead, and fails here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_keys_come_in_the_order_users_get() {
    let (out, stdout, stderr) = run(&["--json"], &[]).await;
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        stdout,
        "{\n  \"data\": {\n    \"remaining\": 74.75,\n    \"total_credits\": 100.5,\n    \"total_usage\": 25.75\n  }\n}\n"
    );
}
