//! The example CLI (the README's main job), run as a process against the fake server:
//! its output, its exit codes, and no panics.

mod common;
use common::*;
use std::path::PathBuf;
use std::process::{Command, Output};

/// `target/<profile>/examples/credits`, built by `cargo test` with the other targets; built here
/// if a filtered run (`cargo test --test cli`) skipped it.
fn cli_path() -> PathBuf {
    let exe = std::env::current_exe().expect("test exe");
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>");
    let path = profile_dir.join("examples").join(format!("credits{}", std::env::consts::EXE_SUFFIX));
    if !path.exists() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--example", "credits", "--features", "mock"])
            .status()
            .expect("cargo build --example credits");
        assert!(status.success());
    }
    path
}

async fn run(args: &[&str], env: &[(&str, &str)]) -> (Output, String, String) {
    let mut cmd = Command::new(cli_path());
    cmd.args(args).env_remove("OPENROUTER_API_KEY").env_remove("OPENROUTER_BASE_URL").env_remove("OPENROUTER_BEARER");
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
    assert!(stderr.contains("using the built-in fake OpenRouter server"), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines, ["total credits  100.50", "total usage     25.75", "remaining       74.75"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_prints_the_raw_response() {
    let (out, stdout, _) = run(&["credits", "--json"], &[]).await;
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["data"]["total_usage"], 25.75);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn charge_prints_the_transfer_intent() {
    let (out, stdout, stderr) =
        run(&["charge", "--amount", "100", "--sender", SENDER, "--chain", "polygon"], &[]).await;
    assert!(out.status.success(), "{stderr}");
    for field in ["charge id", "expires at", "recipient amount", "contract address", "refund destination"] {
        assert!(stdout.contains(field), "{field}: {stdout}");
    }
    assert!(stdout.contains("chain id             137"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_errors_print_status_message_and_hint_and_exit_1() {
    let server = server().await;
    server.require_api_key(KEY);
    let url = server.base_url();
    let (out, _, stderr) = run(&["--base-url", &url], &[("OPENROUTER_API_KEY", "sk-or-wrong")]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("HTTP 401") && stderr.contains("User not found."), "{stderr}");
    assert!(stderr.contains("hint: check the API key"), "{stderr}");

    server.set_coinbase_gone(true);
    let args =
        ["--base-url", &url, "charge", "--amount", "5", "--sender", SENDER, "--chain", "base", "--bearer", BEARER];
    let (out, _, stderr) = run(&args, &[("OPENROUTER_API_KEY", KEY)]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("HTTP 410") && stderr.contains("retired Coinbase charges"), "{stderr}");
    assert!(stderr.contains("hint: Coinbase charges are retired upstream"), "{stderr}");
    assert!(!stderr.contains(BEARER) && !stderr.contains(KEY));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_and_bad_usage_exit_non_zero_without_panicking() {
    let (out, _, stderr) = run(&["charge", "--amount", "-3", "--sender", SENDER, "--chain", "base"], &[]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("invalid amount: must be a finite number greater than 0"), "{stderr}");

    let (out, _, stderr) = run(&["charge", "--chain", "solana"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("--chain") && stderr.contains("usage:"), "{stderr}");

    let (out, _, _) = run(&["--retries", "sometimes"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbose_shows_each_attempt() {
    let (out, _, stderr) = run(&["-v"], &[]).await;
    assert!(out.status.success());
    assert!(stderr.contains("get_credits") && stderr.contains("attempt"), "{stderr}");
}
