//! The binary: `--check` never writes, `--spec` is recorded so a following `--check` agrees.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn xtask(cwd: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask")).current_dir(cwd).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// A scratch workspace: `openapi/regen.yaml` reading `openapi/upstream/inline.yaml`.
fn workspace(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xtask-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("openapi/upstream")).unwrap();
    std::fs::copy(fixtures().join("inline.yaml"), dir.join("openapi/upstream/inline.yaml")).unwrap();
    std::fs::write(
        dir.join("openapi/regen.yaml"),
        "# the config\nsource: openapi/upstream/inline.yaml # main source\noutput: openapi/fragment.yaml\n# ops\noperations:\n  - getBalance\n",
    )
    .unwrap();
    dir
}

fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for sub in ["openapi", "openapi/upstream"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn check_fails_with_a_diff_and_never_writes() {
    let dir = workspace("check");
    let (code, _, stderr) = xtask(&dir, &["regen", "--check"]);
    assert_eq!(code, 1, "no fragment yet: {stderr}");
    std::fs::write(dir.join("openapi/fragment.yaml"), "stale\n").unwrap();
    let before = files(&dir);
    let (code, stdout, stderr) = xtask(&dir, &["regen", "--check"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.contains("-stale") && stdout.contains("+openapi: 3.0.3"), "{stdout}");
    assert!(stderr.contains("is stale; run `cargo xtask regen`"), "{stderr}");
    // --check with --spec neither copies nor records nor writes.
    let spec = fixtures().join("moved.yaml");
    let (code, _, _) = xtask(&dir, &["regen", "--check", "--spec", spec.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(files(&dir), before, "--check must not write anything");

    let (code, stdout, stderr) = xtask(&dir, &["regen"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("wrote openapi/fragment.yaml"), "{stdout}");
    let written = std::fs::read_to_string(dir.join("openapi/fragment.yaml")).unwrap();
    let (code, stdout, _) = xtask(&dir, &["regen", "--check"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("is up to date"), "{stdout}");
    // Twice: the same bytes.
    let (code, _, _) = xtask(&dir, &["regen"]);
    assert_eq!(code, 0);
    assert_eq!(std::fs::read_to_string(dir.join("openapi/fragment.yaml")).unwrap(), written);

    let (code, _, stderr) = xtask(&dir, &["regen", "--spec", "/nonexistent.yaml"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot read /nonexistent.yaml"), "{stderr}");
    let (code, _, stderr) = xtask(&dir, &["regen", "--keep-missing"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("pin the operation to an older snapshot"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn spec_is_recorded_so_a_following_check_agrees() {
    let dir = workspace("spec");
    let spec = fixtures().join("moved.yaml");
    let (code, stdout, stderr) = xtask(&dir, &["regen", "--spec", spec.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("copied") && stdout.contains("recorded `source: openapi/upstream/moved.yaml`"), "{stdout}");
    assert_eq!(std::fs::read(dir.join("openapi/upstream/moved.yaml")).unwrap(), std::fs::read(&spec).unwrap());
    let config = std::fs::read_to_string(dir.join("openapi/regen.yaml")).unwrap();
    assert_eq!(
        config,
        "# the config\nsource: openapi/upstream/moved.yaml # main source\noutput: openapi/fragment.yaml\n# ops\noperations:\n  - getBalance\n",
        "only the source line changes; comments stay"
    );
    let (code, stdout, stderr) = xtask(&dir, &["regen", "--check"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    // From a subdirectory, the workspace is found above it.
    std::fs::create_dir_all(dir.join("sub/deeper")).unwrap();
    let (code, _, stderr) = xtask(&dir.join("sub/deeper"), &["regen", "--check"]);
    assert_eq!(code, 0, "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_refusal_prints_the_pointer_and_the_overlay_fix() {
    let dir = workspace("refuse");
    let spec = fixtures().join("refusals.yaml");
    std::fs::write(
        dir.join("openapi/regen.yaml"),
        "source: openapi/upstream/inline.yaml\noutput: openapi/fragment.yaml\noperations:\n  - twoTypes\n",
    )
    .unwrap();
    let before = files(&dir);
    let (code, _, stderr) = xtask(&dir, &["regen", "--spec", spec.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("at refusals.yaml#/paths/~1two-types/get/responses/200/content/application~1json/schema/properties/value/type"), "{stderr}");
    assert!(stderr.contains("fix: add this to `actions:` in openapi/overlay.yaml"), "{stderr}");
    assert!(stderr.contains("  - target: $['paths']['/two-types']['get']['responses']['200']"), "{stderr}");
    assert_eq!(files(&dir), before, "a refused run writes nothing");
    // An operation the new document lacks: the message names the snapshot it can be pinned to.
    std::fs::write(
        dir.join("openapi/regen.yaml"),
        "source: openapi/upstream/inline.yaml\noutput: openapi/fragment.yaml\noperations:\n  - getBalance\n",
    )
    .unwrap();
    let (code, _, stderr) = xtask(&dir, &["regen", "--spec", spec.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("operation getBalance is not in refusals.yaml")
            && stderr.contains("    - id: getBalance\n      source: openapi/upstream/inline.yaml\n"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
