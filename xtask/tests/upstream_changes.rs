//! Upstream changes to the kept operations regenerate and build with no hand edit, or are refused
//! naming the field with a ready fix. Each change is a set of overlay actions in
//! `fixtures/upstream-changes.yaml`, applied on top of `openapi/overlay.yaml` to the workspace's
//! own config and snapshots; each test asserts the generated Rust surface (a field's Rust type, a
//! setter and its argument, what `send` returns) and, where the wire is concerned, the code.

mod common;

use common::{fixtures, parsed, regen_with, root};
use serde_json::Value;
use xtask::operations::surface::{Item, Kind, Surface};
use xtask::{RegenError, Regenerated};

fn read_root(p: &str) -> String {
    std::fs::read_to_string(root().join(p)).unwrap()
}

/// The workspace's overlay with the change's actions appended, as YAML.
fn overlay_with(change: &str) -> String {
    let changes: Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(fixtures().join("upstream-changes.yaml")).unwrap()).unwrap();
    let mut overlay: Value = serde_yaml_ng::from_str(&read_root("openapi/overlay.yaml")).unwrap();
    if !change.is_empty() {
        let actions = changes.get(change).and_then(Value::as_array).unwrap_or_else(|| panic!("no change `{change}`"));
        overlay["actions"].as_array_mut().unwrap().extend(actions.iter().cloned());
    }
    serde_yaml_ng::to_string(&overlay).unwrap()
}

/// regen with the workspace's config, every operation read from the 2026-10 document (GET /key
/// and GET /credits; the charge stays pinned to 2026-02), with the change's actions and `extra`
/// ones applied; the API report is against the same run without them.
fn regen_change_with(change: &str, extra: &[Value]) -> Result<Regenerated, RegenError> {
    let config = read_root("openapi/regen.yaml")
        .replace(
            "source: openapi/upstream/openrouter.full.2026-08.openapi.yaml",
            "source: openapi/upstream/openrouter.key-credits.2026-10.openapi.yaml",
        )
        .replace("overlay: openapi/overlay.yaml", "overlay: changed-overlay.yaml");
    let mut overlay: Value = serde_yaml_ng::from_str(&overlay_with(change)).unwrap();
    overlay["actions"].as_array_mut().unwrap().extend(extra.iter().cloned());
    let mut files = vec![("changed-overlay.yaml".to_owned(), serde_yaml_ng::to_string(&overlay).unwrap())];
    for name in ["openrouter.key-credits.2026-10.openapi.yaml", "openrouter-credits.2026-02.openapi.yaml"] {
        let p = format!("openapi/upstream/{name}");
        files.push((p.clone(), read_root(&p)));
    }
    let files: Vec<(&str, &str)> = files.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let before = if change.is_empty() { None } else { Some(regen_change("").unwrap().text) };
    regen_with(&config, &files, before.as_deref())
}

fn regen_change(change: &str) -> Result<Regenerated, RegenError> {
    regen_change_with(change, &[])
}

fn surface(out: &Regenerated) -> Surface {
    xtask::operations::surface::read(&parsed(out), &xtask::operations::TYPES).unwrap()
}

/// The generated per-operation layer, without spaces (so that assertions do not depend on
/// prettyplease's line breaks).
fn generated(out: &Regenerated) -> String {
    let code = xtask::operations::generate(&parsed(out), &xtask::operations::TYPES).unwrap().operations;
    code.split_whitespace().collect()
}

/// The item at `path` is of `kind` and Rust type `ty`.
#[track_caller]
fn assert_item(s: &Surface, path: &str, kind: Kind, ty: &str) {
    let expected = Item { kind, ty: ty.to_owned() };
    assert_eq!(s.get(path), Some(&expected), "{path}: {:#?}", s.range(path.split("::").next().unwrap().to_owned()..));
}

/// The report's lines (the class first).
fn report(out: &Regenerated) -> Vec<String> {
    match &out.api {
        Some(Ok(change)) => change.lines(),
        other => panic!("no API change: {other:?}"),
    }
}

const OPTIONAL: Kind = Kind::Setter { required: false };

#[test]
fn the_unchanged_documents_regenerate_the_surface_of_the_checked_in_fragment() {
    let out = regen_change("").unwrap();
    let checked_in: Value = serde_yaml_ng::from_str(&read_root("openapi/credits.yaml")).unwrap();
    let theirs = xtask::operations::surface::read(&checked_in, &xtask::operations::TYPES).unwrap();
    assert_eq!(surface(&out), theirs);
}

#[test]
fn new_query_parameters_are_optional_setters_of_their_type_and_arrays_follow_style_and_explode() {
    let out = regen_change("query_parameters").unwrap();
    let s = surface(&out);
    // An array; `format: uuid` and `date` are strings (the formats the crate has no type for are
    // removed); `x-openrouter-type` is a hint regen drops; an enum is checked before sending.
    assert_item(&s, "GetCreditsBuilder::ids", OPTIONAL, "fn(Vec<String>)");
    assert_item(&s, "GetCreditsBuilder::tags", OPTIONAL, "fn(Vec<String>)");
    assert_item(&s, "GetCreditsBuilder::order", OPTIONAL, "fn(impl Into<String>)");
    assert_item(&s, "GetCreditsBuilder::workspace_id", OPTIONAL, "fn(impl Into<String>)");
    assert_item(&s, "GetCreditsBuilder::since", OPTIONAL, "fn(impl Into<String>)");
    assert_item(&s, "GetCreditsBuilder::model", OPTIONAL, "fn(impl Into<String>)");
    assert_item(&s, "GetCreditsBuilder::page", OPTIONAL, "fn(i64)");
    assert_eq!(report(&out)[0], "API change: minor (additions only)");
    let code = generated(&out);
    // `style: form, explode: false`: one pair, the items joined by commas; exploded (the
    // default): one pair per item.
    let query = &code[code.find("letmutquery").unwrap()..];
    let query = &query[..query.find("letbody").unwrap()];
    assert!(
        query.contains(r#"query.push(("ids",v.iter().map(ToString::to_string).collect::<Vec<_>>().join(","),));"#),
        "{query}"
    );
    assert!(query.contains(r#"foriteminv{query.push(("tags",item.to_string()));}"#), "{query}");
    // The enum's values and the bound are checked before anything is sent.
    assert!(code.contains(r#"one_of:&["asc","desc"]"#), "{code}");
    assert!(code.contains(r#"crate::validate::number("page",*valueasf64"#), "{code}");
    let fragment = parsed(&out);
    let ids = fragment.pointer("/paths/~1credits/get/parameters/0").unwrap();
    assert_eq!((ids["style"].as_str(), ids["explode"].as_bool()), (Some("form"), Some(false)), "{ids}");
    assert!(!out.text.contains("x-openrouter-type") && !out.text.contains("format: uuid"));
}

#[test]
fn a_query_array_of_an_unsupported_style_is_refused_naming_the_parameter() {
    let deep =
        serde_yaml_ng::from_str::<Value>("target: $.paths['/credits'].get.parameters[0]\nupdate: {style: deepObject}")
            .unwrap();
    let err = regen_change_with("query_parameters", &[deep]).unwrap_err();
    assert!(
        err.message.contains("/paths/~1credits/get/parameters/0/style: a query array of `style: deepObject`"),
        "{err}"
    );
    assert!(err.message.contains("use `style: form` in openapi/overlay.yaml"), "{err}");
}

#[test]
fn all_of_composition_is_one_struct_with_the_fields_of_every_branch() {
    let out = regen_change("all_of").unwrap();
    let s = surface(&out);
    assert_item(&s, "CurrentKey::owner", Kind::Field, "Option<GetCurrentKeyResponseDataOwner>");
    assert_item(&s, "GetCurrentKeyResponseDataOwner", Kind::Struct, "struct");
    assert_item(&s, "GetCurrentKeyResponseDataOwner::id", Kind::Field, "String");
    assert_item(&s, "GetCurrentKeyResponseDataOwner::email", Kind::Field, "Option<String>");
    assert!(out.conversions.iter().any(|c| c.contains("allOf merged into one schema")), "{:#?}", out.conversions);
}

#[test]
fn a_nullable_ref_is_an_option_of_its_type_even_when_required() {
    let out = regen_change("nullable_ref").unwrap();
    let s = surface(&out);
    assert_item(&s, "CurrentKey::parent", Kind::Field, "Option<GetCurrentKeyResponseDataParent>");
    assert_item(&s, "GetCurrentKeyResponseDataParent::id", Kind::Field, "String");
    let parent = parsed(&out).pointer("/components/schemas/CurrentKey/properties/parent").cloned().unwrap();
    assert_eq!(
        parent,
        serde_json::json!({"allOf": [{"$ref": "#/components/schemas/GetCurrentKeyResponseDataParent"}], "nullable": true})
    );
}

#[test]
fn free_form_objects_and_maps_are_maps_of_their_value_type() {
    let out = regen_change("maps").unwrap();
    let s = surface(&out);
    assert_item(&s, "CurrentKey::usage_by_model", Kind::Field, "Map<String, f64>");
    assert_item(&s, "CurrentKey::labels", Kind::Field, "Map<String, Value>");
    assert_item(&s, "CurrentKey::settings", Kind::Field, "Map<String, Value>");
    assert_eq!(report(&out)[0], "API change: minor (additions only)");
}

/// A setter takes the type typify gives the field it fills (one mapper, `Ty::of`): an unsigned
/// integer, a map of its values' type, any JSON value for a property without a type.
#[test]
fn a_setter_takes_the_type_of_the_field_it_fills() {
    let out = regen_change("setter_types").unwrap();
    let s = surface(&out);
    assert_item(&s, "CreateChargeRequest::count", Kind::Field, "Option<u64>");
    assert_item(&s, "CreateCoinbaseChargeBuilder::count", OPTIONAL, "fn(u64)");
    assert_item(&s, "CreateChargeRequest::weights", Kind::Field, "Map<String, f64>");
    assert_item(&s, "CreateCoinbaseChargeBuilder::weights", OPTIONAL, "fn(Map<String, f64>)");
    assert_item(&s, "CreateChargeRequest::extra", Kind::Field, "Option<Value>");
    assert_item(&s, "CreateCoinbaseChargeBuilder::extra", OPTIONAL, "fn(Value)");
    let code = generated(&out);
    assert!(code.contains("pubfncount(mutself,value:u64)"), "{code}");
    assert!(code.contains("pubfnweights(mutself,value:std::collections::HashMap<String,f64>)"), "{code}");
    assert!(code.contains("pubfnextra(mutself,value:serde_json::Value)"), "{code}");
}

#[test]
fn an_int64_counter_is_an_i64() {
    let out = regen_change("int64").unwrap();
    assert_item(&surface(&out), "CurrentKey::request_count", Kind::Field, "i64");
}

#[test]
fn a_default_makes_a_field_its_type_and_a_setter_optional() {
    let out = regen_change("defaults").unwrap();
    let s = surface(&out);
    // typify fills in the default when the field is absent: no `Option`.
    assert_item(&s, "CurrentKey::retries", Kind::Field, "i64");
    assert_item(&s, "CreateChargeRequest::currency", Kind::Field, "String");
    assert_item(&s, "CreateCoinbaseChargeBuilder::currency", OPTIONAL, "fn(impl Into<String>)");
    assert_eq!(report(&out)[0], "API change: minor (additions only)");
}

#[test]
fn deprecated_properties_stay_documented_as_such_and_read_only_ones_are_never_sent() {
    let out = regen_change("deprecated_read_only").unwrap();
    let s = surface(&out);
    assert_item(&s, "CurrentKey::legacy_limit", Kind::Field, "Option<f64>");
    assert_item(&s, "CurrentKey::created_at", Kind::Field, "Option<String>");
    assert_item(&s, "CreateCoinbaseChargeBuilder::memo", OPTIONAL, "fn(impl Into<String>)");
    // The server sets a `readOnly` property: the type has it, the builder has no setter.
    assert_item(&s, "CreateChargeRequest::charge_id", Kind::Field, "Option<String>");
    assert!(!s.contains_key("CreateCoinbaseChargeBuilder::charge_id"), "{s:#?}");
    let code = generated(&out);
    assert!(code.contains("///`memo`.//////Deprecatedupstream.//////Optional."), "{code}");
    assert!(!code.contains("charge_id"), "{code}");
}

#[test]
fn a_text_plain_error_body_is_a_documented_status_decoded_as_the_shared_error() {
    let out = regen_change("text_plain_error").unwrap();
    assert_eq!(report(&out), ["API change: patch (no Rust item changed)"]);
    let s = surface(&out);
    assert_item(&s, "GetCreditsBuilder::send", Kind::Output, "CreditsResponse");
    assert!(out.conversions.iter().any(|c| c.contains("429 had no JSON body")), "{:#?}", out.conversions);
    let code = generated(&out);
    assert!(code.contains(r#"id:"getCredits""#) && code.contains("statuses:&[200,401,403,429,500]"), "{code}");
    let schema = parsed(&out).pointer("/paths/~1credits/get/responses/429/content/application~1json/schema").cloned();
    assert_eq!(schema, Some(serde_json::json!({"$ref": "#/components/schemas/ErrorResponse"})));
}

#[test]
fn alternative_security_requirements_send_the_first() {
    let out = regen_change("alternative_security").unwrap();
    assert_eq!(report(&out), ["API change: patch (no Rust item changed)"]);
    // No per-call bearer: the client's API key, the first alternative.
    assert_item(&surface(&out), "ApiKeysApi::get_current_key", Kind::Method, "fn() -> GetCurrentKeyBuilder");
    let code = generated(&out);
    let facts = &code[code.find(r#"id:"getCurrentKey""#).unwrap()..];
    assert!(facts[..facts.find('}').unwrap()].contains("credential:crate::operation::Credential::ApiKey"), "{facts}");
}

#[test]
fn documented_response_headers_change_nothing() {
    let out = regen_change("response_headers").unwrap();
    assert_eq!(report(&out), ["API change: patch (no Rust item changed)"]);
    assert!(!out.text.contains("X-RateLimit-Remaining"));
}

#[test]
fn new_required_fields_are_minor_in_a_response_and_major_in_a_request() {
    let out = regen_change("new_required_fields").unwrap();
    let s = surface(&out);
    assert_item(&s, "CurrentKey::tier", Kind::Field, "String");
    assert_item(&s, "CreateCoinbaseChargeBuilder::reference", Kind::Setter { required: true }, "fn(impl Into<String>)");
    let lines = report(&out);
    assert_eq!(lines[0], "API change: major (breaking: release a new major version)");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("major: `CreateCoinbaseChargeBuilder::reference` added as a required setter")),
        "{lines:#?}"
    );
    assert!(lines.iter().any(|l| l.starts_with("minor: `CurrentKey::tier` added (`String`")), "{lines:#?}");
    // The builder refuses a call without it, naming the field, before anything is sent.
    assert!(generated(&out).contains(r#"letreference=crate::validate::required("reference",reference)?;"#));
}

#[test]
fn an_array_of_inline_objects_is_a_vec_of_a_struct_named_by_location() {
    let out = regen_change("inline_object_arrays").unwrap();
    let s = surface(&out);
    assert_item(&s, "CurrentKey::grants", Kind::Field, "Vec<GetCurrentKeyResponseDataGrantsItem>");
    assert_item(&s, "GetCurrentKeyResponseDataGrantsItem::model", Kind::Field, "String");
    assert_item(&s, "GetCurrentKeyResponseDataGrantsItem::limit", Kind::Field, "Option<f64>");
}

/// A union is refused at the field with a ready overlay fix; with the fix, regen goes through.
fn refused_with_a_fix_that_works(change: &str, field: &str) -> Surface {
    let err = regen_change(change).unwrap_err();
    let pointer = format!(
        "openrouter.key-credits.2026-10.openapi.yaml#/paths/~1key/get/responses/200/content/application~1json/schema/properties/data/properties/{field}/oneOf"
    );
    assert_eq!(err.pointer.as_deref(), Some(pointer.as_str()), "{err}");
    assert!(err.message.contains("`oneOf` with 2 non-null branches: the SDK needs one type here"), "{err}");
    let fix = err.fix.clone().expect("a ready fix");
    assert!(fix.contains(&format!("['properties']['{field}']['oneOf']")) && fix.contains("remove: true"), "{fix}");
    let actions: Value = serde_yaml_ng::from_str(&fix).unwrap();
    let out =
        regen_change_with(change, actions.as_array().unwrap()).unwrap_or_else(|e| panic!("the fix does not work: {e}"));
    surface(&out)
}

#[test]
fn a_discriminated_union_is_refused_naming_the_field_with_a_fix_that_works() {
    let s = refused_with_a_fix_that_works("union_discriminated", "owner");
    assert_item(&s, "CurrentKey::owner", Kind::Field, "Map<String, Value>");
}

#[test]
fn an_untagged_union_is_refused_naming_the_field_with_a_fix_that_works() {
    let s = refused_with_a_fix_that_works("union_plain", "reset_at");
    assert_item(&s, "CurrentKey::reset_at", Kind::Field, "Option<String>");
}

/// regen's last step, as `cargo xtask regen` runs it: the crate compiled against the new
/// fragment (a scratch copy, the workspace's target directory).
fn compiled(out: &Regenerated) -> xtask::compile::Outcome {
    xtask::compile::library(&root(), "openapi/credits.yaml", &out.text, &out.json).unwrap()
}

/// The refusal regen prints when the crate does not build, as text.
fn refused(out: &Regenerated) -> String {
    match compiled(out) {
        xtask::compile::Outcome::Failed { errors, output } => {
            xtask::compile::refusal(&errors, &output, &out.api).to_string()
        }
        other => panic!("the crate was expected not to build: {other:?}"),
    }
}

/// A nullable string enum (3.1: `type: [string, null]`, `null` among the values) is an open enum
/// like every other; `spendable()` reads the field as text, so regen refuses (it used to write
/// the fragment, and the next `cargo build` failed in src/spendable.rs).
#[test]
fn a_nullable_string_enum_is_an_open_enum_and_the_code_reading_it_as_text_is_named() {
    let out = regen_change("nullable_string_enum").unwrap();
    let s = surface(&out);
    assert_item(&s, "CurrentKey::limit_reset", Kind::Field, "Option<GetCurrentKeyResponseDataLimitReset>");
    assert_item(&s, "GetCurrentKeyResponseDataLimitReset", Kind::Enum, "open enum");
    assert_item(&s, "GetCurrentKeyResponseDataLimitReset::Monthly", Kind::Variant, "\"monthly\"");
    assert!(s.keys().all(|k| !k.starts_with("GetCurrentKeyResponseDataLimitReset::Null")), "{s:#?}");
    let refusal = refused(&out);
    assert!(refusal.contains("nothing was written"), "{refusal}");
    assert!(refusal.contains("API change: major"), "{refusal}");
    assert!(
        refusal.contains(
            "major: `CurrentKey::limit_reset` changed from `Option<String>` to `Option<GetCurrentKeyResponseDataLimitReset>`; read at src/spendable.rs:"
        ),
        "{refusal}"
    );
}

/// A field the hand-written code computes with changes type: regen refuses, naming the field,
/// the release class and each place that reads it.
#[test]
fn a_field_whose_new_type_breaks_the_hand_written_code_is_refused_with_where_it_is_read() {
    let out = regen_change("number_to_string").unwrap();
    let refusal = refused(&out);
    let line =
        refusal.lines().find(|l| l.contains("`Credits::total_usage` changed")).unwrap_or_else(|| panic!("{refusal}"));
    assert!(line.starts_with("  major: `Credits::total_usage` changed from `f64` to `String`; read at "), "{refusal}");
    assert!(line.contains("src/extras.rs:"), "{refusal}");
    assert!(refusal.contains("where it does not build:\n  src/"), "{refusal}");
    assert!(refusal.contains("cargo xtask regen --unchecked"), "{refusal}");
}

/// A string enum without `type`, or with `null` among its values, is an open enum too (typify
/// made a closed enum of the first, which the report took for any JSON value); new fields that
/// nothing hand-written reads, so the crate builds (the check says yes when it should).
#[test]
fn string_enums_in_every_form_are_open_enums_and_the_crate_builds() {
    let out = regen_change("string_enums_without_type").unwrap();
    let s = surface(&out);
    assert_item(&s, "CurrentKey::tier", Kind::Field, "Option<GetCurrentKeyResponseDataTier>");
    assert_item(&s, "GetCurrentKeyResponseDataTier", Kind::Enum, "open enum");
    assert_item(&s, "GetCurrentKeyResponseDataTier::Paid", Kind::Variant, "\"paid\"");
    assert_item(&s, "CurrentKey::region", Kind::Field, "Option<GetCurrentKeyResponseDataRegion>");
    assert_item(&s, "GetCurrentKeyResponseDataRegion", Kind::Enum, "open enum");
    let region = parsed(&out).pointer("/components/schemas/CurrentKey/properties/region").cloned().unwrap();
    assert_eq!(region["nullable"], true, "{region}");
    assert!(
        out.conversions.iter().any(|c| c.contains("tier: enum of strings without a type -> type: string")),
        "{:#?}",
        out.conversions
    );
    assert_eq!(report(&out)[0], "API change: minor (additions only)");
    assert!(matches!(compiled(&out), xtask::compile::Outcome::Built));
}
