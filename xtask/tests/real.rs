//! The checked-in config, overlay and snapshots, and the whole upstream documents.

mod common;
use common::*;
use serde_json::{Value, json};
use std::path::Path;
use xtask::{Config, RegenError, Regenerated, regenerate};

fn real_config() -> Config {
    Config::parse(&std::fs::read_to_string(root().join("openapi/regen.yaml")).unwrap()).unwrap()
}

/// Regen with the checked-in config, its main source optionally replaced by `spec`.
fn real(spec: Option<&Path>) -> Result<Regenerated, RegenError> {
    regen_with(real_config(), spec)
}

/// As `real`, with every operation read from `spec` except those pinned to the February 2026
/// contract (the charge): how the whole older documents compare with today's fragment.
fn real_unpinned(spec: &Path) -> Result<Regenerated, RegenError> {
    let mut config = real_config();
    for op in &mut config.operations {
        if op.source.as_deref().is_some_and(|s| !s.contains("2026-02")) {
            op.source = None;
        }
    }
    regen_with(config, Some(spec))
}

fn regen_with(mut config: Config, spec: Option<&Path>) -> Result<Regenerated, RegenError> {
    if let Some(spec) = spec {
        config.source = format!("openapi/upstream/{}", spec.file_name().unwrap().to_string_lossy());
    }
    let main = config.source.clone();
    let spec = spec.map(Path::to_path_buf);
    let read = move |p: &str| -> Result<Vec<u8>, String> {
        match &spec {
            Some(s) if p == main => std::fs::read(s),
            _ => std::fs::read(root().join(p)),
        }
        .map_err(|e| format!("{p}: {e}"))
    };
    let current = std::fs::read_to_string(root().join("openapi/credits.yaml")).unwrap();
    regenerate(&config, &read, Some(&current))
}

#[test]
fn the_checked_in_config_reproduces_the_checked_in_fragment() {
    let current = std::fs::read_to_string(root().join("openapi/credits.yaml")).unwrap();
    let out = real(None).unwrap();
    if out.text != current {
        let diff = similar::TextDiff::from_lines(&current, &out.text);
        panic!("stale; run `cargo xtask regen`:\n{}", diff.unified_diff().context_radius(1));
    }
    assert!(out.changes.is_empty(), "{:?}", out.changes);
    assert!(out.notes.is_empty(), "no stale overlay action or name: {:?}", out.notes);
}

#[test]
fn the_checked_in_fragment_follows_the_contract() {
    let doc: Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(root().join("openapi/credits.yaml")).unwrap()).unwrap();
    xtask::contract::check(&doc).unwrap();
    // The names the crate uses (contract table).
    for (location, name) in [
        ("/paths/~1credits/get/responses/200/content/application~1json/schema", "CreditsResponse"),
        ("/components/schemas/CreditsResponse/properties/data", "Credits"),
        ("/paths/~1credits~1coinbase/post/requestBody/content/application~1json/schema", "CreateChargeRequest"),
        ("/components/schemas/CreateChargeRequest/properties/chain_id", "ChainId"),
        ("/paths/~1credits~1coinbase/post/responses/200/content/application~1json/schema", "CoinbaseChargeResponse"),
        ("/components/schemas/CoinbaseChargeResponse/properties/data", "CoinbaseCharge"),
        ("/components/schemas/CoinbaseCharge/properties/web3_data", "Web3Data"),
        ("/components/schemas/Web3Data/properties/transfer_intent", "TransferIntent"),
        ("/components/schemas/TransferIntent/properties/call_data", "CallData"),
        ("/components/schemas/TransferIntent/properties/metadata", "TransferMetadata"),
        ("/paths/~1key/get/responses/200/content/application~1json/schema", "CurrentKeyResponse"),
        ("/components/schemas/CurrentKeyResponse/properties/data", "CurrentKey"),
        ("/components/schemas/CurrentKey/properties/rate_limit", "KeyRateLimit"),
        ("/components/schemas/ErrorResponse/properties/error", "ErrorDetail"),
    ] {
        // A property with a description names its type as `allOf: [{$ref}]` (the field's doc).
        let place = at(&doc, location);
        let r = place.get("$ref").or_else(|| place.pointer("/allOf/0/$ref"));
        assert_eq!(r, Some(&json!(format!("#/components/schemas/{name}"))), "{location}");
    }
    // Hoisted properties keep upstream's description: the generated fields are documented.
    assert_eq!(
        at(&doc, "/components/schemas/CurrentKey/properties/rate_limit"),
        json!({
            "description": "Legacy rate limit information about a key. Will always return -1.",
            "allOf": [{"$ref": "#/components/schemas/KeyRateLimit"}]
        })
    );
    assert_eq!(at(&doc, "/components/schemas/ChainId"), json!({"type": "integer", "enum": [1, 137, 8453]}));
    let charge = at(&doc, "/paths/~1credits~1coinbase/post");
    assert_eq!(charge["security"], json!([{"bearer": []}]));
    let codes: Vec<&String> = charge["responses"].as_object().unwrap().keys().collect();
    assert_eq!(codes, ["200", "400", "401", "410", "429", "500"]);
    assert_eq!(at(&doc, "/components/schemas/CreateChargeRequest/properties/sender/format"), "evm-address");
    let amount = at(&doc, "/components/schemas/CreateChargeRequest/properties/amount");
    assert_eq!((amount["minimum"].clone(), amount["exclusiveMinimum"].clone()), (json!(0), json!(true)));
    assert_eq!(at(&doc, "/paths/~1credits/get/security"), json!([{"managementKey": []}]));
    assert_eq!(at(&doc, "/components/securitySchemes/managementKey/x-credential"), "management-key");
    assert!(at(&doc, "/paths/~1key/get/security").is_null(), "getCurrentKey uses the global api key");
    assert_eq!(at(&doc, "/paths/~1key/get/tags/0"), "API Keys");
    assert!(at(&doc, "/components/schemas/ErrorResponse/properties/openrouter_metadata").is_object());
    assert!(at(&doc, "/paths/~1credits/get/description").as_str().unwrap().contains("Management key"));
}

/// A whole upstream document from `../shared/upstream` (beside the checkout; not in the package).
/// Missing, the test is skipped, with a note, except in CI (`CI` set, as `.ci/run` runs): CI
/// always has `../shared`, so a missing document there is a broken set-up, not a reason to pass.
fn shared(name: &str) -> Option<std::path::PathBuf> {
    let p = root().join("../shared/upstream").join(name);
    if p.is_file() {
        return Some(p);
    }
    let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0");
    assert!(!in_ci, "{} not found, and CI is set: CI must test the whole upstream documents", p.display());
    eprintln!("skipped: ../shared/upstream/{name} not found (not CI)");
    None
}

#[test]
fn the_whole_upstream_documents_end_in_a_fragment_that_follows_the_contract() {
    for name in ["openrouter.full.2026-03.openapi.yaml", "openrouter.full.2026-08.openapi.yaml"] {
        let Some(spec) = shared(name) else { continue };
        let out = real(Some(&spec)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let doc = parsed(&out);
        xtask::contract::check(&doc).unwrap();
        let summary = out.summary().join("\n");
        assert!(
            summary.contains("header parameter HTTP-Referer dropped (attribution headers are set by the client"),
            "{name}: {summary}"
        );
        assert!(out.text.contains(&format!("#   - {name} (OpenAPI 3.1.0")), "{name}");
        // Every overlay action and name matches something: `GET /key` is pinned to the 2026-10
        // snapshot, whose error bodies have the `openrouter_metadata` the 2026-03 ones lack.
        assert!(out.notes.is_empty(), "{name}: {:?}", out.notes);
    }
}

#[test]
fn the_2026_03_document_reports_its_differences_in_words() {
    let Some(spec) = shared("openrouter.full.2026-03.openapi.yaml") else { return };
    let summary = real_unpinned(&spec).unwrap().summary().join("\n");
    for line in [
        "major: `ErrorResponse::openrouter_metadata` removed (was `Option<Map<String, Value>>`)",
        "major: `KeyRateLimit::requests` changed from `i64` to `f64`",
    ] {
        assert!(summary.contains(line), "missing `{line}` in:\n{summary}");
    }
}

#[test]
fn a_snapshot_without_an_operation_says_how_to_pin_it() {
    // The November credits-only snapshot has no GET /key.
    let err = real_unpinned(&root().join("openapi/upstream/openrouter-credits.2026-11.openapi.yaml")).unwrap_err();
    assert!(err.message.contains("operation getCurrentKey is not in openrouter-credits.2026-11.openapi.yaml"), "{err}");
    assert!(err.message.contains("- id: getCurrentKey") && err.message.contains("source: openapi/upstream/"), "{err}");
}

/// Every operation of the whole 2026-08 document, one at a time: each ends in a fragment that
/// follows the contract, or is refused with a pointer and a fix (an overlay action, or a `names:`
/// line); applying the suggested fixes one after the other must end in such a fragment.
/// Never a panic, never a contract violation. Slow (the document is parsed per run), so ignored
/// in the quick run; CI runs it: `cargo test -p xtask --test real -- --ignored`.
#[test]
#[ignore]
fn every_operation_of_the_whole_document_converts_or_is_refused_with_a_working_fix() {
    let Some(spec) = shared("openrouter.full.2026-08.openapi.yaml") else { return };
    let text = std::fs::read_to_string(&spec).unwrap();
    let doc: Value = serde_yaml_ng::from_str(&text).unwrap();
    let mut ids = Vec::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            if let Some(id) = op.get("operationId").and_then(Value::as_str) {
                ids.push(id.to_owned());
            }
        }
    }
    let (mut direct, mut fixed, mut long) = (0, 0, 0);
    for id in &ids {
        let cfg = format!("source: s.yaml\noutput: o.yaml\noverlay: overlay.yaml\noperations:\n  - {id}\n");
        let mut overlay = String::from("overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions: []\n");
        let mut names = String::new();
        let mut last_pointer = None;
        for round in 0..30 {
            let config = Config::parse(&format!("{cfg}{names}")).unwrap();
            let o = overlay.clone();
            let read = |p: &str| Ok(if p == "overlay.yaml" { o.clone() } else { text.clone() }.into_bytes());
            match regenerate(&config, &read, None) {
                Ok(out) => {
                    xtask::contract::check(&parsed(&out)).unwrap();
                    if round == 0 {
                        direct += 1
                    } else {
                        fixed += 1
                    }
                    break;
                }
                Err(e) => {
                    assert!(e.pointer.is_some() && !e.message.contains("breaks the fragment contract"), "{id}: {e}");
                    assert_ne!(last_pointer.as_ref(), e.pointer.as_ref(), "{id}: the suggested fix did not help: {e}");
                    last_pointer = e.pointer.clone();
                    if round == 29 {
                        // Huge request schemas need more than 30 actions; each one helped.
                        long += 1;
                    }
                    // An overlay action, or a Rust name in the config (two schemas, one name).
                    match (&e.fix, &e.names_fix) {
                        (Some(fix), _) => overlay = overlay.replace("actions: []\n", "actions:\n") + fix,
                        (None, Some(fix)) if names.is_empty() => names = format!("names:\n{fix}"),
                        (None, Some(fix)) => names.push_str(fix),
                        (None, None) => panic!("{id}: no fix: {e}"),
                    }
                }
            }
        }
    }
    eprintln!(
        "{direct} converted, {fixed} converted after applying the suggested fixes, {long} need more than 30 actions (each helped), of {}",
        ids.len()
    );
}
