//! `cargo xtask regen`: turn a full upstream OpenAPI document (3.0 or 3.1, YAML or JSON) into
//! the small OpenAPI 3.0.3 fragment that `build.rs` hands to progenitor.
//!
//! The pipeline, one module a step:
//! 1. [`extract`] keeps the operations named in `openapi/regen.yaml` and every component they
//!    reach through `$ref`, transitively;
//! 2. [`downconvert`] rewrites what progenitor (3.0 only) cannot read, or fails naming the JSON
//!    pointer of what it cannot rewrite;
//! 3. [`errors`] merges an operation's error responses onto one schema (progenitor panics on
//!    several, oxidecomputer/progenitor#344);
//! 4. [`report`] compares the result with the checked-in fragment, in words;
//! 5. [`emit`] writes it deterministically, with a header naming the source and every change.

pub mod downconvert;
pub mod emit;
pub mod errors;
pub mod extract;
pub mod report;

use serde_json::Value;
use std::fmt;

/// Something regen refuses to do, with the JSON pointer of where it happened when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegenError {
    /// JSON pointer into the upstream document (`/components/schemas/Foo/type`), if any.
    pub pointer: Option<String>,
    /// What is wrong and, where possible, what to do.
    pub message: String,
}

impl RegenError {
    pub fn at(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self { pointer: Some(pointer.into()), message: message.into() }
    }
    pub fn new(message: impl Into<String>) -> Self {
        Self { pointer: None, message: message.into() }
    }
}

impl fmt::Display for RegenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.pointer {
            Some(p) => write!(f, "at {p}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for RegenError {}

/// One operation the crate covers, as `METHOD /path` in the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationRef {
    /// Lower case, as OpenAPI path items spell it (`get`, `post`).
    pub method: String,
    pub path: String,
}

impl fmt::Display for OperationRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method.to_uppercase(), self.path)
    }
}

/// `openapi/regen.yaml`: which operations to keep, and where regen reads and writes.
#[derive(Debug, Clone)]
pub struct Config {
    /// Upstream snapshot used when no `--spec` is given, relative to the workspace root.
    pub snapshot: String,
    /// The fragment `build.rs` reads, relative to the workspace root.
    pub output: String,
    pub operations: Vec<OperationRef>,
}

impl Config {
    pub fn parse(text: &str) -> Result<Self, RegenError> {
        let v: Value = serde_yaml_ng::from_str(text)
            .map_err(|e| RegenError::new(format!("regen config is not valid YAML: {e}")))?;
        let field = |name: &str| {
            v.get(name)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| RegenError::at(format!("/{name}"), "regen config needs this string"))
        };
        let ops = v
            .get("operations")
            .and_then(Value::as_array)
            .ok_or_else(|| RegenError::at("/operations", "regen config needs a list of `METHOD /path`"))?;
        let mut operations = Vec::new();
        for (i, op) in ops.iter().enumerate() {
            let text = op.as_str().unwrap_or_default();
            let (method, path) = text
                .split_once(' ')
                .filter(|(_, p)| p.starts_with('/'))
                .ok_or_else(|| RegenError::at(format!("/operations/{i}"), format!("`{text}` is not `METHOD /path`")))?;
            operations.push(OperationRef { method: method.to_lowercase(), path: path.trim().to_owned() });
        }
        Ok(Self { snapshot: field("snapshot")?, output: field("output")?, operations })
    }
}

/// What one regen run produced.
#[derive(Debug)]
pub struct Regenerated {
    /// The fragment, byte for byte as it is written.
    pub text: String,
    /// Lines for the user: upstream changes, kept definitions, type changes. Printed before writing.
    pub summary: Vec<String>,
}

/// Options that change what regen does beyond the inputs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// An operation missing upstream keeps its definition from the current fragment instead of
    /// failing the run.
    pub keep_missing: bool,
}

/// Runs the whole pipeline on one upstream document.
///
/// `source_name` and `source_bytes` are only used for the header (name and sha256);
/// `existing` is the checked-in fragment, if there is one, for the summary and `keep_missing`.
pub fn regenerate(
    source_name: &str,
    source_bytes: &[u8],
    config: &Config,
    existing: Option<&str>,
    options: Options,
) -> Result<Regenerated, RegenError> {
    let text = std::str::from_utf8(source_bytes).map_err(|_| RegenError::new(format!("{source_name} is not UTF-8")))?;
    // JSON is YAML, so one parser reads both forms upstream publishes.
    let upstream: Value = serde_yaml_ng::from_str(text)
        .map_err(|e| RegenError::new(format!("{source_name} is neither YAML nor JSON: {e}")))?;
    let existing: Option<Value> = match existing {
        Some(t) => Some(
            serde_yaml_ng::from_str(t)
                .map_err(|e| RegenError::new(format!("the current fragment does not parse: {e}")))?,
        ),
        None => None,
    };
    let version = upstream.get("openapi").and_then(Value::as_str).unwrap_or_default();
    if !(version.starts_with("3.0.") || version.starts_with("3.1.")) {
        return Err(RegenError::at("/openapi", format!("OpenAPI `{version}` is not 3.0.x or 3.1.x")));
    }

    let mut summary = Vec::new();
    let mut extracted = extract::extract(&upstream, existing.as_ref(), &config.operations, options, &mut summary)?;
    let mut changes = downconvert::downconvert(&mut extracted)?;
    // Sorted by pointer: the order components were reached in says nothing to a reader.
    changes.sort();
    changes.extend(errors::unify_error_responses(&mut extracted)?);
    extract::prune_components(&mut extracted);

    if let Some(old) = &existing {
        summary.extend(report::upstream_changes(old, &extracted, &config.operations));
        summary.extend(report::type_changes(old, &extracted));
    }
    let header = emit::Header {
        source_name,
        source_sha256: emit::sha256_hex(source_bytes),
        upstream_openapi: version,
        upstream_version: upstream.pointer("/info/version").and_then(Value::as_str).unwrap_or("unknown"),
        operations: &config.operations,
        changes: &changes,
    };
    Ok(Regenerated { text: emit::render(&header, &extracted)?, summary })
}
