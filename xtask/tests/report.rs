//! The API-change report: the public Rust surface before and after, classed patch, minor or
//! major, with every item that decides it; on the real 2026-08 → 2026-10 `GET /key` (minor) and on small
//! fixtures for each class.

mod common;

use common::{config, document, json_200, regen_with, root};
use std::sync::LazyLock;
use xtask::semver::Class;

fn read_root(p: &str) -> String {
    std::fs::read_to_string(root().join(p)).unwrap()
}

/// regen with the workspace's files (openapi/...).
fn regen_real(config: &str, existing: Option<&str>) -> xtask::Regenerated {
    let files: Vec<(String, String)> = ["openapi/overlay.yaml"]
        .into_iter()
        .chain(std::fs::read_dir(root().join("openapi/upstream")).unwrap().map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            Box::leak(format!("openapi/upstream/{name}").into_boxed_str()) as &str
        }))
        .map(|p| (p.to_owned(), read_root(p)))
        .collect();
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    regen_with(config, &borrowed, existing).unwrap()
}

#[test]
fn get_key_2026_08_to_2026_10_is_a_minor_release_with_every_addition() {
    let config = read_root("openapi/regen.yaml");
    let pin = "  - id: getCurrentKey\n    source: openapi/upstream/openrouter.key-credits.2026-10.openapi.yaml\n";
    assert!(config.contains(pin), "the config no longer pins getCurrentKey to 2026-10:\n{config}");
    let august = regen_real(&config.replace(pin, "  - getCurrentKey\n"), None);
    let now = regen_real(&config, Some(&august.text));
    assert_eq!(now.text, read_root("openapi/credits.yaml"), "the main config regenerates the checked-in fragment");
    let api = now.api.as_ref().expect("the fragments differ").as_ref().unwrap();
    let lines = api.lines();
    println!("{}", lines.join("\n"));
    assert_eq!(lines, now.summary()[..lines.len()], "the summary regen prints starts with the report");
    // Six new fields (optional: the overlay keeps the August shape decoding) and their types.
    assert_eq!(api.class, Class::Minor);
    for line in [
        "API change: minor (additions only)",
        "minor: `CurrentKey::budgets` added (`Option<Vec<KeyBudget>>`; the struct is #[non_exhaustive])",
        "minor: `CurrentKey::allowed_data_regions` added (`Option<Vec<DataRegion>>`; the struct is #[non_exhaustive])",
        "minor: `CurrentKey::effective_budget` added (`Option<KeyBudget>`; the struct is #[non_exhaustive])",
        "minor: `KeyBudget` added (a struct)",
        "minor: `DataRegion` added (an open enum)",
    ] {
        assert!(lines.iter().any(|l| l == line), "{line}: {lines:#?}");
    }
    // A new type's members come with it: not listed one by one.
    assert!(!lines.iter().any(|l| l.contains("`KeyBudget::") || l.contains("`DataRegion::")), "{lines:#?}");
    assert_eq!(lines.iter().filter(|l| l.starts_with("minor: `CurrentKey::")).count(), 6, "{lines:#?}");
    assert!(!lines.iter().any(|l| l.starts_with("major:")), "{lines:#?}");
}

/// One operation: a query parameter, and an object with a described field, a nullable one and an
/// enum.
static BASE: LazyLock<String> = LazyLock::new(|| {
    let schema = r#"                type: object
                required: [id, amount]
                properties:
                  id: {type: string, description: "The id."}
                  amount: {type: number, nullable: true}
                  kind: {type: string, enum: [a, b]}
"#;
    let paths = r#"  /thing:
    get:
      operationId: getThing
      tags: [Things]
      parameters:
        - {name: limit, in: query, required: false, schema: {type: integer}}
"#;
    document("3.0.3", "Things", &(paths.to_owned() + &json_200(schema)))
});

/// The report for BASE → BASE with `from` replaced by `to`.
fn class_of(from: &str, to: &str) -> xtask::semver::ApiChange {
    let edited = BASE.replace(from, to);
    assert_ne!(edited, *BASE, "the edit `{from}` applies");
    class_of_docs(&BASE, &edited)
}

/// The report for the fragment regenerated from `before` → from `after` (upstream documents).
fn class_of_docs(before: &str, after: &str) -> xtask::semver::ApiChange {
    class_of_config(before, after, "")
}

fn class_of_config(before: &str, after: &str, extra: &str) -> xtask::semver::ApiChange {
    let cfg = config("x", &["getThing"], false).replace("fixtures/x", "up.yaml") + extra;
    let old = regen_with(&cfg, &[("up.yaml", before)], None).unwrap();
    let new = regen_with(&cfg, &[("up.yaml", after)], Some(&old.text)).unwrap();
    new.api.expect("the fragment changed").unwrap()
}

#[test]
fn a_new_description_is_a_patch() {
    let api = class_of("The id.", "The thing's id.");
    assert_eq!((api.class, api.items.len()), (Class::Patch, 0), "{:?}", api.lines());
}

#[test]
fn a_new_field_a_new_optional_setter_and_a_new_enum_value_are_minor() {
    let api = class_of(
        "kind: {type: string, enum: [a, b]}",
        "kind: {type: string, enum: [a, b]}\n                  note: {type: string}",
    );
    assert_eq!(api.class, Class::Minor, "{:?}", api.lines());
    let lines = api.lines();
    assert!(
        lines.contains(
            &"minor: `GetThingResponse::note` added (`Option<String>`; the struct is #[non_exhaustive])".to_owned()
        ),
        "{lines:#?}"
    );

    // A string enum given a name (`names:` in the config) is a component, generated open: a
    // new value is minor.
    let after = BASE.replace("enum: [a, b]", "enum: [a, b, c]");
    let api = class_of_config(&BASE, &after, "names:\n  getThing 200 /kind: Kind\n");
    assert_eq!(
        api.lines(),
        ["API change: minor (additions only)", "minor: `Kind::C` added (value \"c\"; the enum is #[non_exhaustive])"]
    );

    let api = class_of(
        "        - {name: limit",
        "        - {name: offset, in: query, schema: {type: integer}}\n        - {name: limit",
    );
    assert_eq!(
        api.lines(),
        ["API change: minor (additions only)", "minor: `GetThingBuilder::offset` added (optional, `fn(i64)`)"]
    );
}

#[test]
fn a_changed_type_a_removed_field_and_a_new_required_setter_are_major() {
    let api = class_of("amount: {type: number, nullable: true}", "amount: {type: number}");
    assert_eq!(api.lines()[1], "major: `GetThingResponse::amount` changed from `Option<f64>` to `f64`");
    assert_eq!(api.class, Class::Major);

    let api = class_of("                  kind: {type: string, enum: [a, b]}\n", "");
    assert!(
        api.lines()
            .contains(&"major: `GetThingResponse::kind` removed (was `Option<GetThingResponseKind>`)".to_owned()),
        "{:?}",
        api.lines()
    );
    assert!(
        api.lines().contains(&"major: `GetThingResponseKind` removed (was an open enum)".to_owned()),
        "{:?}",
        api.lines()
    );

    let api = class_of("{name: limit, in: query, required: false", "{name: limit, in: query, required: true");
    assert_eq!(api.lines()[1], "major: `GetThingBuilder::limit` is now required: calls without it now fail");

    let api = class_of("kind: {type: string, enum: [a, b]}", "kind: {type: string, enum: [a]}");
    assert_eq!(api.lines()[1], "major: `GetThingResponseKind::B` removed (was the value \"b\")");
    // Every string enum, named or not, is a component generated open: a new value is minor.
    let api = class_of("kind: {type: string, enum: [a, b]}", "kind: {type: string, enum: [a, b, c]}");
    assert_eq!(api.class, Class::Minor, "{:?}", api.lines());
    assert_eq!(api.lines()[1], "minor: `GetThingResponseKind::C` added (value \"c\"; the enum is #[non_exhaustive])");
}

#[test]
fn a_new_operation_is_minor_even_with_required_setters_and_enums() {
    let with_second = BASE.replace(
        "components:\n",
        r#"  /other/{id}:
    get:
      operationId: getOther
      tags: [Things]
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  mode: {type: string, enum: [x, y]}
components:
"#,
    );
    let cfg = |ops: &str| format!("source: up.yaml\noutput: o.yaml\noperations:\n{ops}");
    let old = regen_with(&cfg("  - getThing\n"), &[("up.yaml", &with_second)], None).unwrap();
    let new = regen_with(&cfg("  - getThing\n  - getOther\n"), &[("up.yaml", &with_second)], Some(&old.text)).unwrap();
    assert_eq!(
        new.api.unwrap().unwrap().lines(),
        [
            "API change: minor (additions only)",
            "minor: `GetOtherResponse` added (a struct)",
            "minor: `GetOtherResponseMode` added (an open enum)",
            "minor: `ThingsApi::get_other` added (`fn() -> GetOtherBuilder`)",
        ]
    );
}

/// The words regen prints for what changed upstream in an operation, beside the Rust items:
/// each kind of operation-level change, on two hand-made fragments.
#[test]
fn upstream_changes_are_said_in_words_for_each_kind() {
    use serde_json::json;
    let old = json!({
        "security": [{"apiKey": []}],
        "components": {"securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}}},
        "paths": {
            "/a": {"get": {"operationId": "getA", "summary": "A", "parameters": [
                {"in": "query", "name": "n", "schema": {"type": "integer"}},
                {"in": "query", "name": "gone", "schema": {"type": "string"}}],
                "responses": {"200": {"content": {}}, "404": {"content": {}}}}},
            "/b": {"post": {"operationId": "postB", "requestBody": {}, "responses": {"200": {}}}},
            "/c": {"get": {"operationId": "getC", "responses": {"200": {}}}}
        }
    });
    let new = json!({
        "security": [{"apiKey": []}],
        "components": {"securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"},
            "mgmt": {"type": "http", "scheme": "bearer"}}},
        "paths": {
            "/a": {"get": {"operationId": "getA", "summary": "A2", "deprecated": true, "description": "Use getD.",
                "parameters": [{"in": "query", "name": "n", "required": true, "schema": {"type": "integer"}}],
                "responses": {"200": {}, "429": {"content": {}}}}},
            "/b2": {"post": {"operationId": "postB", "security": [{"mgmt": []}], "responses": {"200": {}}}},
            "/d": {"get": {"operationId": "getD", "responses": {"200": {}}}}
        }
    });
    let lines = xtask::report::upstream_changes(&old, &new);
    assert_eq!(
        lines,
        [
            "operation added: getD (GET /d)",
            "operation removed: getC (GET /c)",
            "operation deprecated upstream: getA: Use getD.",
            "summary changed: getA",
            "description changed: getA",
            "parameter changed: getA: query n: integer, optional -> integer, required",
            "parameter removed: getA: query gone (string, optional)",
            "responses changed: getA: added 429; removed 404; no body any more on 200",
            "operation moved: postB: POST /b -> POST /b2",
            "request body removed: postB",
            "security changed: postB: [{\"apiKey\":[]}] -> [{\"mgmt\":[]}]",
            "security scheme added: mgmt {\"type\":\"http\",\"scheme\":\"bearer\"}",
        ],
        "{lines:#?}"
    );

    // Only the global `security` changes: each operation that inherits it changes credential.
    let mut moved = new.clone();
    moved["security"] = json!([{"mgmt": []}]);
    let lines = xtask::report::upstream_changes(&new, &moved);
    assert_eq!(
        lines,
        [
            "security changed: getA: [{\"apiKey\":[]}] -> [{\"mgmt\":[]}]",
            "security changed: getD: [{\"apiKey\":[]}] -> [{\"mgmt\":[]}]",
        ],
        "{lines:#?}"
    );
}

/// A component the crate's own type replaces (`ChainId`, `crate::ChainId`) generates nothing, so
/// a change upstream makes no Rust item differ: the report still names it, for the hand-written
/// type to follow.
#[test]
fn a_change_to_a_replaced_component_is_reported_for_the_hand_written_type() {
    use xtask::operations::{TYPES, surface};
    let old: serde_json::Value = serde_yaml_ng::from_str(&read_root("openapi/credits.yaml")).unwrap();
    let mut new = old.clone();
    new["components"]["schemas"]["ChainId"]["enum"].as_array_mut().unwrap().push(42161.into());
    let change =
        xtask::semver::compare(&surface::read(&old, &TYPES).unwrap(), &surface::read(&new, &TYPES).unwrap(), true)
            .unwrap();
    assert_eq!(change.class, Class::Patch, "{change:?}");
    assert_eq!(
        change.items,
        [(
            Class::Patch,
            "`ChainId` changed upstream from `{\"type\":\"integer\",\"enum\":[1,137,8453]}` to \
             `{\"type\":\"integer\",\"enum\":[1,137,8453,42161]}`; the crate's own type replaces it: update the \
             hand-written type to match"
                .to_owned()
        )]
    );
}
