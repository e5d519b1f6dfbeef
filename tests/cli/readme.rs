//! The README's CLI outputs are the binary's: each ```text block that starts with
//! `$ openrouter-credits ARGS` is run (no key set, so on the fake server) and its stdout compared
//! with the rest of the block, line by line. What depends on today's date is normalised on both
//! sides: dates (`resets 2026-12-14`) and the runway line (its pace window and figures).

use std::process::Command;

const README: &str = include_str!("../../README.md");
const PROMPT: &str = "$ openrouter-credits";

/// Each shown command: its arguments and the output the README shows.
fn shown_commands() -> Vec<(Vec<String>, String)> {
    let mut shown = Vec::new();
    let mut lines = README.lines();
    while let Some(line) = lines.next() {
        if line.trim_end() != "```text" {
            continue;
        }
        let block: Vec<&str> = lines.by_ref().take_while(|l| l.trim_end() != "```").collect();
        let Some(command) = block.first().and_then(|first| first.strip_prefix(PROMPT)) else { continue };
        let args = command.split_whitespace().map(str::to_owned).collect();
        let output = block[1..].iter().map(|l| format!("{l}\n")).collect();
        shown.push((args, output));
    }
    shown
}

/// Dates become `YYYY-MM-DD`; the runway line keeps only its label.
fn normalise(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if line.starts_with("runway ") {
            out.push_str("runway <depends on today's date>\n");
            continue;
        }
        let bytes = line.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let date = bytes.len() >= i + 10
                && bytes[i..i + 10]
                    .iter()
                    .enumerate()
                    .all(|(j, b)| if j == 4 || j == 7 { *b == b'-' } else { b.is_ascii_digit() });
            if date {
                out.push_str("YYYY-MM-DD");
                i += 10;
            } else {
                let c = line[i..].chars().next().unwrap_or_default();
                out.push(c);
                i += c.len_utf8().max(1);
            }
        }
        out.push('\n');
    }
    out
}

#[test]
fn every_cli_output_the_readme_shows_is_the_binarys() {
    let shown = shown_commands();
    // The default command and `check`, at least: a README that lost them fails here, not silently.
    assert!(shown.len() >= 2, "the README shows {} CLI outputs", shown.len());
    assert!(shown.iter().any(|(args, _)| args.is_empty()), "the README shows no default command");
    assert!(shown.iter().any(|(args, _)| args.first().is_some_and(|a| a == "check")), "no check");
    for (args, expected) in shown {
        let mut cmd = Command::new(super::BIN);
        cmd.args(&args);
        for var in ["OPENROUTER_API_KEY", "OPENROUTER_MANAGEMENT_KEY", "OPENROUTER_BASE_URL", "OPENROUTER_BEARER"] {
            cmd.env_remove(var);
        }
        cmd.env("NO_COLOR", "1");
        let out = cmd.output().expect("run the binary");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(
            normalise(&stdout),
            normalise(&expected),
            "`openrouter-credits {}` prints something else than the README shows (stderr: {stderr})",
            args.join(" ")
        );
    }
}

#[test]
fn normalising_keeps_figures_and_replaces_only_dates_and_the_runway() {
    assert_eq!(normalise("17.50 USD, resets 2026-12-14 (weekly)"), "17.50 USD, resets YYYY-MM-DD (weekly)\n");
    assert_eq!(normalise("runway  0.8 days at 23.11 USD/day"), "runway <depends on today's date>\n");
    assert_ne!(normalise("17.50 USD"), normalise("17.51 USD"));
}
