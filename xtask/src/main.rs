//! `cargo xtask regen [--spec FILE] [--check] [--keep-missing] [--config FILE] [--out FILE]`
//!
//! Without `--spec`, reads the upstream snapshot named in `openapi/regen.yaml`. `--check` never
//! writes: it exits 1 with a diff when the checked-in fragment is not what the spec produces.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use xtask::{Config, Options, regenerate};

const USAGE: &str = "usage: cargo xtask regen [--spec FILE] [--check] [--keep-missing] [--config FILE] [--out FILE]

  --spec FILE      full upstream OpenAPI document (YAML or JSON, 3.0 or 3.1);
                   default: the snapshot named in openapi/regen.yaml
  --check          write nothing; exit 1 with a diff if the fragment is stale
  --keep-missing   keep the current definition of an operation missing upstream
  --config FILE    default: openapi/regen.yaml
  --out FILE       default: the output named in the config";

struct Args {
    spec: Option<PathBuf>,
    check: bool,
    keep_missing: bool,
    config: Option<PathBuf>,
    out: Option<PathBuf>,
}

fn parse_args() -> Result<Args, lexopt::Error> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_env();
    let mut args = Args { spec: None, check: false, keep_missing: false, config: None, out: None };
    let mut command = None;
    while let Some(arg) = parser.next()? {
        match arg {
            Long("spec") => args.spec = Some(parser.value()?.into()),
            Long("check") => args.check = true,
            Long("keep-missing") => args.keep_missing = true,
            Long("config") => args.config = Some(parser.value()?.into()),
            Long("out") => args.out = Some(parser.value()?.into()),
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
    match run(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn run(args: &Args) -> Result<ExitCode, String> {
    // Paths in the config are relative to the workspace root, wherever cargo was run from.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let config_path = args.config.clone().unwrap_or_else(|| root.join("openapi/regen.yaml"));
    let config_text = String::from_utf8(read(&config_path)?).map_err(|_| "config is not UTF-8".to_owned())?;
    let config = Config::parse(&config_text).map_err(|e| format!("{}: {e}", config_path.display()))?;
    let spec = args.spec.clone().unwrap_or_else(|| root.join(&config.snapshot));
    let out = args.out.clone().unwrap_or_else(|| root.join(&config.output));
    let existing = std::fs::read_to_string(&out).ok();
    // What the summary compares against: the file being replaced or, when writing elsewhere,
    // the checked-in fragment.
    let baseline = existing.clone().or_else(|| std::fs::read_to_string(root.join(&config.output)).ok());
    let source_name = spec.file_name().map_or_else(|| spec.display().to_string(), |n| n.to_string_lossy().into_owned());

    let result = regenerate(
        &source_name,
        &read(&spec)?,
        &config,
        baseline.as_deref(),
        Options { keep_missing: args.keep_missing },
    )
    .map_err(|e| format!("{}: {e}", spec.display()))?;

    for line in &result.summary {
        println!("{line}");
    }
    let shown = out.strip_prefix(&root).unwrap_or(&out).display().to_string();
    if existing.as_deref() == Some(result.text.as_str()) {
        println!("{shown} is up to date with {source_name}");
        return Ok(ExitCode::SUCCESS);
    }
    if args.check {
        let old = existing.unwrap_or_default();
        let diff = similar::TextDiff::from_lines(&old, &result.text);
        print!(
            "{}",
            diff.unified_diff()
                .context_radius(3)
                .header(&format!("{shown} (checked in)"), &format!("{shown} (from {source_name})"))
        );
        let spec_arg = args.spec.as_ref().map(|s| format!(" --spec {}", s.display())).unwrap_or_default();
        eprintln!("error: {shown} is stale; run `cargo xtask regen{spec_arg}` and commit the result");
        return Ok(ExitCode::from(1));
    }
    std::fs::write(&out, &result.text).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    println!("wrote {shown} ({} bytes) from {source_name}", result.text.len());
    if args.spec.is_some() && args.out.is_none() {
        println!(
            "note: `cargo xtask regen --check` reads {}; copy {source_name} there (or point openapi/regen.yaml at it) so CI agrees",
            config.snapshot
        );
    }
    Ok(ExitCode::SUCCESS)
}
