#![allow(dead_code)]
//! Shared helpers: run regen on fixture files and in-memory overlays, without touching disk.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use xtask::{Config, RegenError, Regenerated, regenerate};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Runs regen with `config`; `fixtures/NAME` paths are read from tests/fixtures, anything else
/// from `files`.
pub fn regen_with(config: &str, files: &[(&str, &str)], existing: Option<&str>) -> Result<Regenerated, RegenError> {
    let config = Config::parse(config).unwrap();
    let files: BTreeMap<String, String> = files.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let read = move |p: &str| -> Result<Vec<u8>, String> {
        if let Some(name) = p.strip_prefix("fixtures/") {
            return std::fs::read(fixtures().join(name)).map_err(|e| format!("{p}: {e}"));
        }
        files.get(p).map(|t| t.clone().into_bytes()).ok_or_else(|| format!("cannot read {p}"))
    };
    regenerate(&config, &read, existing)
}

/// Config for one fixture and some operations, with an optional overlay text.
pub fn config(fixture: &str, ops: &[&str], overlay: bool) -> String {
    let list: String = ops.iter().map(|o| format!("  - {o}\n")).collect();
    format!(
        "source: fixtures/{fixture}\noutput: o.yaml\n{}operations:\n{list}",
        if overlay { "overlay: overlay.yaml\n" } else { "" }
    )
}

/// A hand-written upstream document: the start every one shares (`openapi` version, `info`, one
/// server, bearer security on every operation, the tag `tag`), then `paths` (YAML as it stands
/// below `paths:`), then `components:` with the bearer scheme; more components may follow (YAML
/// as it stands below `components:`, e.g. `  schemas: ...`).
pub fn document(openapi: &str, tag: &str, paths: &str) -> String {
    format!(
        "openapi: {openapi}\ninfo: {{title: t, version: \"1\"}}\nservers: [{{url: \"https://x.test/api/v1\"}}]\n\
         security: [{{bearer: []}}]\ntags: [{{name: {tag}}}]\npaths:\n{paths}\
         components:\n  securitySchemes:\n    bearer: {{type: http, scheme: bearer}}\n"
    )
}

/// An operation's `responses:` with one 200 answering JSON of `schema` (YAML as it stands below
/// `schema:`, 16 spaces in), for an operation below `paths: /route: get:`.
pub fn json_200(schema: &str) -> String {
    format!(
        "      responses:\n        \"200\":\n          description: ok\n          content:\n            \
         application/json:\n              schema:\n{schema}"
    )
}

pub fn regen(fixture: &str, ops: &[&str]) -> Result<Regenerated, RegenError> {
    regen_with(&config(fixture, ops, false), &[], None)
}

pub fn regen_overlay(fixture: &str, ops: &[&str], overlay: &str) -> Result<Regenerated, RegenError> {
    regen_with(&config(fixture, ops, true), &[("overlay.yaml", overlay)], None)
}

pub fn parsed(r: &Regenerated) -> Value {
    serde_yaml_ng::from_str(&r.text).unwrap()
}

pub fn at(doc: &Value, p: &str) -> Value {
    doc.pointer(p).cloned().unwrap_or(Value::Null)
}

/// A refusal names the pointer and carries a ready-to-paste overlay action; applying that
/// action makes regen pass. Returns the successful run.
pub fn refused_then_fixed(fixture: &str, ops: &[&str], pointer: &str, cause: &str) -> Regenerated {
    let err = regen(fixture, ops).expect_err("regen must refuse");
    assert_eq!(err.pointer.as_deref(), Some(pointer), "{err}");
    assert!(err.message.contains(cause), "cause `{cause}` missing: {err}");
    let fix = err.fix.clone().unwrap_or_else(|| panic!("no overlay fix in: {err}"));
    assert!(fix.contains("target: ") && (fix.contains("update:") || fix.contains("remove: true")), "{fix}");
    let shown = err.to_string();
    assert!(shown.contains(pointer) && shown.contains(&fix) && shown.contains("openapi/overlay.yaml"), "{shown}");
    let overlay = format!("overlay: 1.0.0\ninfo: {{title: fix, version: '1'}}\nactions:\n{fix}");
    let out = regen_overlay(fixture, ops, &overlay)
        .unwrap_or_else(|e| panic!("the suggested overlay does not fix it:\n{overlay}\n{e}"));
    xtask::contract::check(&parsed(&out)).unwrap();
    out
}
