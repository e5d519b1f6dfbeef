//! regen's last step: the library compiled against the new fragment, so that regen ends in a
//! build or a refusal, never in a rustc error the next `cargo build` finds.
//!
//! The generator is already checked (it runs inside regen, [`crate::operations`]); what can still
//! break is the hand-written code that reads the generated types (`src/spendable.rs`,
//! `src/extras.rs`, the mock). The crate is copied with the new fragment into
//! `<target>/regen-check/` and checked there (`cargo check --lib --features mock`, rustc's JSON
//! diagnostics) with the workspace's target directory, so only the crate itself compiles. A
//! failure is refused with the API change's items (which field's type changed, the release
//! class) and where the code reads them (`file:line` from the diagnostics). Nothing is compiled
//! when the fragment did not change (`--check` in CI stays fast).

use crate::{ApiReport, RegenError};
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What the crate's package holds besides the fragment: everything `cargo check` reads.
const COPIED: [&str; 8] = ["Cargo.toml", "Cargo.lock", "build.rs", "build", "src", "tests", "examples", "benches"];

/// One rustc error, where its primary span is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Relative to the crate root (`src/spendable.rs`), or `OUT_DIR/operations.rs` for generated code.
    pub file: String,
    pub line: u64,
    pub column: u64,
    /// `error[E0599]: no method named ...`.
    pub message: String,
    /// The source line, trimmed.
    pub source: String,
}

impl Diagnostic {
    /// `src/spendable.rs:402`.
    pub fn place(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

/// How the check ended.
#[derive(Debug)]
pub enum Outcome {
    /// The library builds against the fragment.
    Built,
    /// `root` holds no crate (no `build.rs` beside `Cargo.toml`): a workspace with only
    /// `openapi/`, as in the CLI tests.
    NoCrate,
    /// It does not build: the errors, or cargo's own output when rustc gave none (a build script
    /// that refused the fragment).
    Failed { errors: Vec<Diagnostic>, output: String },
}

/// The crate at `root` checked against `fragment` (the text written at `output`, relative to
/// `root`) and its JSON twin (what `build.rs` reads) in a scratch copy; `Err` when cargo itself
/// could not be run or the copy could not be made.
pub fn library(root: &Path, output: &str, fragment: &str, json: &str) -> Result<Outcome, String> {
    if !(root.join("Cargo.toml").is_file() && root.join("build.rs").is_file()) {
        return Ok(Outcome::NoCrate);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let target = if target.is_absolute() { target } else { root.join(target) };
    // A fixed place, one run at a time (regen's tests run in parallel): the crate keeps one set
    // of artifacts in the target directory, and the next run recompiles only what changed.
    let scratch = target.join("regen-check/crate");
    write(&target.join("regen-check/lock"), "")?;
    let lock =
        std::fs::File::open(target.join("regen-check/lock")).map_err(|e| format!("cannot open the lock: {e}"))?;
    lock.lock().map_err(|e| format!("cannot lock {}: {e}", target.join("regen-check/lock").display()))?;
    let _ = std::fs::remove_dir_all(&scratch);
    for item in COPIED {
        copy(&root.join(item), &scratch.join(item))?;
    }
    let manifest =
        std::fs::read_to_string(root.join("Cargo.toml")).map_err(|e| format!("cannot read Cargo.toml: {e}"))?;
    write(&scratch.join("Cargo.toml"), own_workspace(&manifest))?;
    write(&scratch.join(output), fragment)?;
    write(&scratch.join(output).with_extension("json"), json)?;

    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(&scratch)
        .env("CARGO_TARGET_DIR", &target)
        .args(["check", "--lib", "--features", "mock", "--message-format=json", "--quiet"])
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if out.status.success() {
        return Ok(Outcome::Built);
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let errors = diagnostics(&stdout, &scratch);
    Ok(Outcome::Failed { errors, output: String::from_utf8_lossy(&out.stderr).into_owned() })
}

/// The errors in cargo's JSON messages, each at its primary span.
pub fn diagnostics(json_lines: &str, scratch: &Path) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for line in json_lines.lines() {
        let Ok(m) = serde_json::from_str::<Value>(line) else { continue };
        if m["reason"] != "compiler-message" || m["message"]["level"] != "error" {
            continue;
        }
        let message = &m["message"];
        let Some(span) = message["spans"].as_array().into_iter().flatten().find(|s| s["is_primary"] == true) else {
            continue;
        };
        let file = span["file_name"].as_str().unwrap_or_default();
        let file = match Path::new(file).strip_prefix(scratch) {
            Ok(relative) => relative.to_string_lossy().into_owned(),
            // Absolute and outside the copy: the generated code in OUT_DIR.
            Err(_) if Path::new(file).is_absolute() => {
                format!("OUT_DIR/{}", Path::new(file).file_name().unwrap_or_default().to_string_lossy())
            }
            Err(_) => file.to_owned(),
        };
        let code = message["code"]["code"].as_str().map(|c| format!("[{c}]")).unwrap_or_default();
        out.push(Diagnostic {
            file,
            line: span["line_start"].as_u64().unwrap_or(0),
            column: span["column_start"].as_u64().unwrap_or(0),
            message: format!("error{code}: {}", message["message"].as_str().unwrap_or_default()),
            source: span["text"][0]["text"].as_str().unwrap_or_default().trim().to_owned(),
        });
    }
    out
}

/// The refusal: what changed (the API report's items, each with the places that read it), then
/// every error. `api` is the run's report against the checked-in fragment.
pub fn refusal(errors: &[Diagnostic], output: &str, api: &ApiReport) -> RegenError {
    let mut m = String::from("the crate does not build against the regenerated fragment; nothing was written.\n");
    match api {
        Some(Ok(change)) => {
            let _ = writeln!(m, "API change: {}", change.class);
            for (class, what) in &change.items {
                let places: Vec<String> = item_path(what)
                    .and_then(|p| p.rsplit("::").next())
                    .map(|name| errors.iter().filter(|e| reads(&e.source, name)).map(Diagnostic::place).collect())
                    .unwrap_or_default();
                let read = if places.is_empty() { String::new() } else { format!("; read at {}", places.join(", ")) };
                let _ = writeln!(m, "  {class}: {what}{read}");
            }
        }
        Some(Err(e)) => {
            let _ = writeln!(m, "API change: unknown ({e})");
        }
        None => {}
    }
    if errors.is_empty() {
        let _ = writeln!(m, "cargo check failed without a rustc error:\n{}", output.trim_end());
    } else {
        m.push_str("where it does not build:\n");
        for e in errors {
            let _ = writeln!(m, "  {}:{}: {}\n      {}", e.place(), e.column, e.message, e.source);
        }
    }
    if errors.iter().any(|e| e.file.starts_with("OUT_DIR/")) {
        m.push_str("an error in generated code is a bug in build/ (the generator), not in the fragment.\n");
    }
    m.push_str(
        "fix: keep the old type with an action in openapi/overlay.yaml, or take the new one: \
         `cargo xtask regen --unchecked` writes the fragment anyway, then update the code at those lines.",
    );
    RegenError::new(m)
}

/// The item an API-change line is about: its first backquoted path (`CurrentKey::limit_reset`).
fn item_path(what: &str) -> Option<&str> {
    what.split('`').nth(1)
}

/// Whether a source line names `name` as an identifier (`key.limit_reset.as_deref()`).
fn reads(source: &str, name: &str) -> bool {
    source.match_indices(name).any(|(i, _)| {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        !source[..i].ends_with(ident) && !source[i + name.len()..].starts_with(ident)
    })
}

/// The manifest as a workspace of its own: the `[workspace]` table (members that are not
/// copied) replaced by an empty one.
fn own_workspace(manifest: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in manifest.lines() {
        if line.trim_start().starts_with('[') {
            skipping = line.trim() == "[workspace]";
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push_str("\n[workspace]\n");
    out
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    if from.is_dir() {
        for entry in std::fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))? {
            let entry = entry.map_err(|e| format!("cannot read {}: {e}", from.display()))?;
            copy(&entry.path(), &to.join(entry.file_name()))?;
        }
        Ok(())
    } else if from.is_file() {
        let bytes = std::fs::read(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
        write(to, bytes)
    } else {
        Ok(())
    }
}

fn write(path: &Path, bytes: impl AsRef<[u8]>) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_is_read_where_its_name_is_an_identifier() {
        assert!(reads("reset_interval: key.limit_reset.as_deref()", "limit_reset"));
        assert!(!reads("key.limit_reset_at", "limit_reset"));
        assert!(!reads("key.my_limit_reset", "limit_reset"));
    }

    #[test]
    fn the_workspace_table_is_replaced_and_the_rest_kept() {
        let m = own_workspace(
            "[package]\nname = \"a\"\n\n[workspace]\nmembers = [\".\", \"xtask\"]\n\n[profile.release]\nlto = true\n",
        );
        assert_eq!(m, "[package]\nname = \"a\"\n\n[profile.release]\nlto = true\n\n[workspace]\n");
    }
}
