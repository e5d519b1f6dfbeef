//! `cargo xtask regen [--spec FILE] [--check] [--unchecked] [--config FILE]`
//!
//! Reads `openapi/regen.yaml` (everything that decides the fragment) and writes the fragment it
//! names. `--spec FILE` replaces the main source: FILE is copied into `openapi/upstream/` and the
//! config's `source:` line is rewritten, so a following `--check` replays the same run.
//! `--check` never writes: it exits 1 with a diff when the checked-in fragment (or its JSON twin,
//! the `.json` beside it, which `build.rs` reads) is stale.
//! Before a changed fragment is written, the crate is compiled against it ([`xtask::compile`]);
//! when its hand-written code no longer builds, nothing is written and regen says why.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use xtask::{Config, compile, config, regenerate};

const USAGE: &str = "usage: cargo xtask regen [--spec FILE] [--check] [--unchecked] [--config FILE]

  --spec FILE      a new upstream OpenAPI document (YAML or JSON, 3.0 or 3.1) for the main
                   `source:`; it is copied into openapi/upstream/ and recorded in the config
                   (with --check: used in memory, nothing is copied or recorded)
  --check          write nothing; exit 1 with a diff if the fragment is stale
  --unchecked      write a changed fragment even when the crate does not build against it
                   (you are about to update the code that reads the changed types)
  --config FILE    default: openapi/regen.yaml in the nearest directory above the working
                   directory that has one; paths in it are relative to the directory above
                   the config's directory (the workspace root)

Everything else (operations, per-operation sources, overlay, type names) lives in the config.";

struct Args {
    spec: Option<PathBuf>,
    check: bool,
    unchecked: bool,
    config: Option<PathBuf>,
}

fn parse_args() -> Result<Args, lexopt::Error> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_env();
    let mut args = Args { spec: None, check: false, unchecked: false, config: None };
    let mut command = None;
    while let Some(arg) = parser.next()? {
        match arg {
            Long("spec") => args.spec = Some(parser.value()?.into()),
            Long("check") => args.check = true,
            Long("unchecked") => args.unchecked = true,
            Long("config") => args.config = Some(parser.value()?.into()),
            Long("keep-missing") => {
                return Err("--keep-missing is gone: pin the operation to an older snapshot in openapi/regen.yaml \
                            (`- id: <operationId>` + `source: openapi/upstream/<older>.yaml`)"
                    .into());
            }
            Long("help") | Short('h') => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            Value(v) if command.is_none() => command = Some(v.string()?),
            _ => return Err(arg.unexpected()),
        }
    }
    match command.as_deref() {
        Some("regen") => Ok(args),
        Some(other) => Err(format!("unknown command `{other}`").into()),
        None => Err("missing command: regen".into()),
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    run(&args).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        ExitCode::from(2)
    })
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn write(path: &Path, bytes: impl AsRef<[u8]>) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The config's path and the workspace root its paths are relative to: the nearest directory
/// above the working directory holding openapi/regen.yaml (so a scratch copy of the repository
/// regenerates itself even when the binary was built from another checkout), else the one this
/// binary was built in; `--config` sets the config, and the root is the directory above its own.
fn locate(args: &Args) -> (PathBuf, PathBuf) {
    let default_root = std::env::current_dir()
        .ok()
        .and_then(|cwd| cwd.ancestors().find(|d| d.join("openapi/regen.yaml").is_file()).map(Path::to_path_buf))
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
    let config_path = args.config.clone().unwrap_or_else(|| default_root.join("openapi/regen.yaml"));
    let root = config_path
        .canonicalize()
        .ok()
        .and_then(|p| p.parent().and_then(Path::parent).map(Path::to_path_buf))
        .unwrap_or(default_root);
    (config_path, root)
}

fn run(args: &Args) -> Result<ExitCode, String> {
    let (config_path, root) = locate(args);
    let config_text = String::from_utf8(read(&config_path)?).map_err(|_| "config is not UTF-8".to_owned())?;
    let mut config = Config::parse(&config_text).map_err(|e| format!("{}: {e}", config_path.display()))?;

    // --spec: the new main source, by the name it will have once recorded.
    let mut spec_bytes = None;
    if let Some(spec) = &args.spec {
        spec_bytes = Some(read(spec)?);
        let name = spec.file_name().ok_or_else(|| format!("{} is not a file", spec.display()))?;
        let recorded = format!("openapi/upstream/{}", name.to_string_lossy());
        config.previous_source = Some(std::mem::replace(&mut config.source, recorded));
    }
    let reader = |p: &str| -> Result<Vec<u8>, String> {
        match &spec_bytes {
            Some(b) if p == config.source => Ok(b.clone()),
            _ => read(&root.join(p)),
        }
    };

    let out = root.join(&config.output);
    let existing = std::fs::read_to_string(&out).ok();
    let twin = out.with_extension("json");
    let existing_json = std::fs::read_to_string(&twin).ok();
    let result = regenerate(&config, &reader, existing.as_deref()).map_err(|e| e.to_string())?;
    // The conversions are in the fragment's header too; --check (CI) shows only what changed.
    for line in result.summary().iter().filter(|l| !(args.check && l.starts_with("converted: "))) {
        println!("{line}");
    }
    let shown = &config.output;
    if args.check {
        let json_stale = existing_json.as_deref() != Some(result.json.as_str());
        return Ok(check(args, shown, existing.as_deref(), &result.text, json_stale));
    }
    let changed =
        existing.as_deref() != Some(result.text.as_str()) || existing_json.as_deref() != Some(result.json.as_str());
    if changed && !args.unchecked {
        // Last: the crate against the new fragment, before anything is written or recorded.
        match compile::library(&root, &config.output, &result.text, &result.json)? {
            compile::Outcome::Built => println!("the crate builds against the regenerated {shown}"),
            compile::Outcome::NoCrate => println!("not compiled: no crate (build.rs) in {}", root.display()),
            compile::Outcome::Failed { errors, output } => {
                return Err(compile::refusal(&errors, &output, &result.api).to_string());
            }
        }
    }
    if let (Some(spec), Some(bytes)) = (&args.spec, &spec_bytes) {
        record_spec(spec, bytes, &root, &config.source, &config_path, &config_text)?;
    }
    if !changed {
        println!("{shown} is up to date");
    } else {
        write(&out, &result.text)?;
        write(&twin, &result.json)?;
        println!("wrote {shown} ({} bytes) and its JSON twin ({} bytes)", result.text.len(), result.json.len());
    }
    Ok(ExitCode::SUCCESS)
}

/// `--check`: success when the checked-in fragment is the regenerated one, else the diff and the
/// command that fixes it.
fn check(args: &Args, shown: &str, existing: Option<&str>, text: &str, json_stale: bool) -> ExitCode {
    if existing == Some(text) && !json_stale {
        println!("{shown} is up to date with openapi/regen.yaml");
        return ExitCode::SUCCESS;
    }
    let diff = similar::TextDiff::from_lines(existing.unwrap_or_default(), text);
    print!(
        "{}",
        diff.unified_diff()
            .context_radius(3)
            .header(&format!("{shown} (checked in)"), &format!("{shown} (regenerated)"))
    );
    let spec_arg = args.spec.as_ref().map(|s| format!(" --spec {}", s.display())).unwrap_or_default();
    let what = if existing == Some(text) { format!("the JSON twin of {shown}") } else { shown.to_owned() };
    eprintln!("error: {what} is stale; run `cargo xtask regen{spec_arg}` and commit the result");
    ExitCode::from(1)
}

/// `--spec`: the new document copied into openapi/upstream/ and its name recorded as `source:`
/// (relative to `root`).
fn record_spec(
    spec: &Path,
    bytes: &[u8],
    root: &Path,
    source: &str,
    config_path: &Path,
    config_text: &str,
) -> Result<(), String> {
    let dest = root.join(source);
    if read(&dest).ok().as_deref() != Some(bytes) {
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        write(&dest, bytes)?;
        println!("copied {} to {source}", spec.display());
    }
    let updated = config::set_source(config_text, source).map_err(|e| e.to_string())?;
    if updated != config_text {
        write(config_path, updated)?;
        println!("recorded `source: {source}` in {}", config_path.display());
    }
    Ok(())
}
