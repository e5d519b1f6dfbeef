//! Every name works: keywords, names that are not identifiers, leading digits, letters beyond
//! ASCII, and two wire names that are one Rust name. The Rust names are asserted on the
//! generated surface (a setter, a field), the wire names on the generated code.

mod common;

use common::{document, json_200, regen_with};
use serde_json::Value;
use xtask::operations::{self, naming, surface};

#[test]
fn one_rule_for_every_name() {
    let cases = [
        ("API Keys", "api_keys", "ApiKeys"),
        ("getCurrentKey", "get_current_key", "GetCurrentKey"),
        ("limitRemaining", "limit_remaining", "LimitRemaining"),
        ("x-request-id", "x_request_id", "XRequestId"),
        ("2fa_enabled", "x2fa_enabled", "X2faEnabled"),
        ("a.b", "a_b", "AB"),
        ("@context", "context", "Context"),
        ("größe", "größe", "Größe"),
        ("type", "type_", "Type"),
        ("self", "self_", "Self_"),
        ("Self", "self_", "Self_"),
        ("super", "super_", "Super"),
        ("crate", "crate_", "Crate"),
        ("gen", "gen_", "Gen"),
        ("", "x", "X"),
    ];
    for (wire, snake, pascal) in cases {
        assert_eq!((naming::snake(wire), naming::pascal(wire)), (snake.to_owned(), pascal.to_owned()), "{wire:?}");
    }
}

/// Every awkward name, as query parameters and as response fields.
const NAMES: [&str; 16] = [
    "type",
    "self",
    "Self",
    "super",
    "crate",
    "in",
    "for",
    "where",
    "async",
    "gen",
    "x-request-id",
    "2fa_enabled",
    "a.b",
    "@context",
    "größe",
    "limitRemaining",
];

fn upstream(params: &[&str], props: &[&str]) -> String {
    let params: String =
        params.iter().map(|n| format!("        - {{name: {n:?}, in: query, schema: {{type: string}}}}\n")).collect();
    let props: String = props.iter().map(|n| format!("                  {n:?}: {{type: integer}}\n")).collect();
    let schema = format!("                type: object\n                properties:\n{props}");
    let paths = format!(
        "  /thing:\n    get:\n      operationId: getThing\n      tags: [API Keys]\n      parameters:\n{params}{}",
        json_200(&schema)
    );
    document("3.0.3", "API Keys", &paths)
}

const CONFIG: &str = "source: up.yaml\noutput: o.yaml\noperations:\n  - getThing\nnames:\n  getThing 200: Thing\n";

#[test]
fn every_name_is_a_setter_and_a_field_and_keeps_its_wire_name() {
    // `Self` is `self_` too: a collision with `self`, refused (below).
    let names = without(&NAMES, "Self");
    let up = upstream(&names, &names);
    let r = regen_with(CONFIG, &[("up.yaml", &up)], None).unwrap();
    let doc: Value = serde_yaml_ng::from_str(&r.text).unwrap();
    let surface = surface::read(&doc, &operations::TYPES).unwrap();
    let rust = [
        "type_",
        "self_",
        "self_",
        "super_",
        "crate_",
        "in_",
        "for_",
        "where_",
        "async_",
        "gen_",
        "x_request_id",
        "x2fa_enabled",
        "a_b",
        "context",
        "größe",
        "limit_remaining",
    ];
    for (wire, name) in NAMES.iter().zip(rust).filter(|(w, _)| **w != "Self") {
        assert_eq!(surface[&format!("GetThingBuilder::{name}")].ty, "fn(impl Into<String>)", "{wire}");
        assert_eq!(surface[&format!("Thing::{name}")].ty, "Option<i64>", "{wire}");
    }
    assert!(surface.contains_key("Client::api_keys") && surface.contains_key("ApiKeysApi::get_thing"));

    // The generated code parses as Rust (no `r#self`, no bare keyword) and sends the wire names.
    let code = operations::generate(&doc, &operations::TYPES).unwrap().operations;
    syn::parse_file(&code).unwrap_or_else(|e| panic!("{e}:\n{code}"));
    for (wire, name) in [("x-request-id", "x_request_id"), ("2fa_enabled", "x2fa_enabled"), ("@context", "context")] {
        assert!(code.contains(&format!("pub fn {name}(mut self")), "{name}");
        assert!(code.contains(&format!("query.push(({wire:?}")), "{wire}");
    }
}

fn without(names: &[&'static str], drop: &str) -> Vec<&'static str> {
    names.iter().copied().filter(|n| *n != drop).collect()
}

#[test]
fn two_fields_with_one_rust_name_are_refused_with_a_ready_overlay_fix() {
    let params = without(&NAMES, "Self");
    let up = upstream(&params, &["limit_remaining", "limitRemaining"]);
    let err = regen_with(CONFIG, &[("up.yaml", &up)], None).expect_err("a collision is refused");
    let pointer = "up.yaml#/paths/~1thing/get/responses/200/content/application~1json/schema/properties/limitRemaining";
    assert_eq!(err.pointer.as_deref(), Some(pointer), "{err}");
    assert!(
        err.message.contains("`limit_remaining` and `limitRemaining` are both the field `limit_remaining` in Rust"),
        "{err}"
    );
    let fix = err.fix.clone().expect("a ready fix");
    assert!(fix.contains("remove: true") && fix.contains("limitRemaining"), "{fix}");

    // The fix as given: regen passes and keeps `limit_remaining`.
    let cfg = format!("{CONFIG}overlay: overlay.yaml\n");
    let overlay = format!("overlay: 1.0.0\ninfo: {{title: fixes, version: \"1\"}}\nactions:\n{fix}");
    let r = regen_with(&cfg, &[("up.yaml", &up), ("overlay.yaml", &overlay)], None)
        .unwrap_or_else(|e| panic!("{e}\n{overlay}"));
    let doc: Value = serde_yaml_ng::from_str(&r.text).unwrap();
    let props = doc.pointer("/components/schemas/Thing/properties").unwrap().as_object().unwrap();
    assert_eq!(props.keys().collect::<Vec<_>>(), ["limit_remaining"]);
}

#[test]
fn two_setters_with_one_rust_name_are_refused_naming_both() {
    let err = regen_with(CONFIG, &[("up.yaml", &upstream(&NAMES, &["id"]))], None).expect_err("`self` and `Self`");
    assert!(err.message.contains("/paths/~1thing/get: `self` and `Self` are both the setter `self_` in Rust"), "{err}");
}

#[test]
fn two_enum_values_with_one_variant_are_refused() {
    let up = upstream(&["id"], &["id"]).replace("\"id\": {type: integer}", "kind: {type: string, enum: [a-b, a_b]}");
    let cfg = format!("{CONFIG}  getThing 200 /kind: Kind\n");
    let err = regen_with(&cfg, &[("up.yaml", &up)], None).expect_err("`a-b` and `a_b`");
    assert!(
        err.message.contains("/components/schemas/Kind/enum: `a-b` and `a_b` both become the Rust variant `AB`"),
        "{err}"
    );
}
