//! regen against fixture specs: every construct the fixtures hold ends converted (and the fragment
//! follows the contract at that spot) or refused at regen (pointer + overlay fix).

mod common;
use common::*;
use serde_json::{Value, json};

fn full() -> (xtask::Regenerated, Value) {
    let out = regen("full31.yaml", &["listThings", "GET /things/{id}"]).unwrap();
    let doc = parsed(&out);
    (out, doc)
}

fn has_change(out: &xtask::Regenerated, needle: &str) -> bool {
    out.conversions.iter().any(|c| c.contains(needle)) && out.text.contains(needle)
}

#[test]
fn the_fragment_follows_the_contract() {
    let (_, doc) = full();
    xtask::contract::check(&doc).unwrap();
    assert_eq!(at(&doc, "/openapi"), "3.0.3");
}

#[test]
fn header_parameters_are_dropped_and_path_level_ones_moved_onto_the_operation() {
    let (out, doc) = full();
    let params = at(&doc, "/paths/~1things/get/parameters");
    let names: Vec<&str> = params.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["limit", "since"]);
    assert!(at(&doc, "/paths/~1things/parameters").is_null(), "no path-level parameters");
    for h in ["HTTP-Referer", "X-OpenRouter-Title"] {
        assert!(
            has_change(&out, &format!("header parameter {h} dropped (attribution headers are set by the client")),
            "{h}"
        );
    }
    assert!(has_change(&out, "optional header parameter X-Trace dropped"));
}

#[test]
fn a_required_custom_header_is_refused_with_a_fix() {
    let fixed = refused_then_fixed(
        "refusals.yaml",
        &["customHeader"],
        "refusals.yaml#/paths/~1custom-header/get/parameters/0",
        "required header parameter `X-Required`",
    );
    // Fixed, the operation is in the fragment, without the header.
    assert!(fixed.text.contains("operationId: customHeader"), "{}", fixed.text);
    assert!(!fixed.text.contains("X-Required"), "{}", fixed.text);
}

#[test]
fn ref_parameters_and_responses_are_inlined() {
    let (out, doc) = full();
    let limit = at(&doc, "/paths/~1things/get/parameters/0");
    assert_eq!(limit["in"], "query");
    assert!(limit.get("$ref").is_none());
    let r401 = at(&doc, "/paths/~1things/get/responses/401");
    assert!(r401.get("$ref").is_none());
    assert_eq!(r401["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/ErrorResponse");
    assert_eq!(r401["content"]["application/json"]["example"], json!({"error": {"code": 401, "message": "no"}}));
    assert!(has_change(&out, "$ref #/components/responses/Unauthorized inlined"));
    assert!(has_change(&out, "$ref #/components/parameters/Limit inlined"));
}

#[test]
fn a_path_item_ref_is_followed() {
    let (out, doc) = full();
    assert_eq!(at(&doc, "/paths/~1things~1{id}/get/operationId"), "getThing");
    assert_eq!(at(&doc, "/paths/~1things~1{id}/get/parameters/0/required"), true);
    assert!(has_change(&out, "path item $ref #/components/pathItems/ThingById inlined"));
    // Also found by operationId.
    regen("full31.yaml", &["getThing"]).unwrap();
}

#[test]
fn default_and_extra_success_responses_and_other_media_types_are_dropped() {
    let (out, doc) = full();
    let codes: Vec<&String> =
        doc.pointer("/paths/~1things/get/responses").unwrap().as_object().unwrap().keys().collect();
    assert_eq!(codes, ["200", "401", "500"]);
    assert!(has_change(&out, "`default` response dropped"));
    assert!(has_change(&out, "201 response dropped (one success type per operation; 200 kept)"));
    assert!(has_change(&out, "text/event-stream body dropped"));
    // 3.1 media `examples` -> 3.0 `example`.
    assert_eq!(at(&doc, "/paths/~1things/get/responses/200/content/application~1json/example"), json!({"items": []}));
}

#[test]
fn an_error_status_without_body_declares_error_response() {
    let (out, doc) = full();
    assert_eq!(
        at(&doc, "/paths/~1things~1{id}/get/responses/404/content/application~1json/schema/$ref"),
        "#/components/schemas/ErrorResponse"
    );
    assert!(has_change(&out, "404 had no JSON body"));
}

#[test]
fn formats_other_than_numeric_ones_are_removed() {
    let (out, doc) = full();
    let thing = "/components/schemas/GetThingResponse/properties";
    assert_eq!(at(&doc, &format!("{thing}/id")), json!({"type": "string"}));
    assert_eq!(at(&doc, &format!("{thing}/created")), json!({"type": "string"}));
    assert_eq!(at(&doc, "/paths/~1things/get/parameters/1/schema"), json!({"type": "string"}));
    assert_eq!(at(&doc, "/paths/~1things~1{id}/get/parameters/0/schema"), json!({"type": "string"}));
    assert!(has_change(&out, "format date-time removed"));
    assert!(has_change(&out, "format uuid removed"));
    assert!(!out.text.contains("format: uuid") && !out.text.contains("format: date-time"));
}

#[test]
fn additional_properties_false_is_removed() {
    let (out, doc) = full();
    assert!(at(&doc, "/components/schemas/ListThingsResponse/additionalProperties").is_null());
    assert!(has_change(&out, "additionalProperties: false removed"));
    // A map keeps its value schema.
    assert_eq!(
        at(&doc, "/components/schemas/GetThingResponse/properties/tags/additionalProperties"),
        json!({"type": "string"})
    );
}

#[test]
fn annotation_only_keywords_are_removed() {
    let (out, doc) = full();
    let blob = at(&doc, "/components/schemas/GetThingResponse/properties/blob");
    assert_eq!(blob, json!({"type": "string"}));
    assert!(at(&doc, "/components/schemas/GetThingResponse/$comment").is_null());
    assert!(has_change(&out, "annotation-only keyword(s) removed: contentMediaType, contentEncoding"));
    assert!(has_change(&out, "annotation-only keyword(s) removed: $comment"));
    // `title` (on a null branch, or naming a type) is gone: names come from regen.yaml.
    assert!(has_change(&out, "annotations on the null branch removed"));
    assert!(!out.text.contains("title: Person") && !out.text.contains("no cursor"));
}

#[test]
fn the_stricter_of_two_bounds_is_kept() {
    let (out, doc) = full();
    let limit = at(&doc, "/paths/~1things/get/parameters/0/schema");
    assert_eq!(
        limit,
        json!({"type": "integer", "minimum": 1, "maximum": 50, "exclusiveMaximum": true, "example": 10, "nullable": true})
    );
    assert!(has_change(&out, "minimum 1 and exclusiveMinimum 0: kept the stricter, minimum 1"));
    assert!(has_change(
        &out,
        "maximum 100 and exclusiveMaximum 50: kept the stricter, maximum 50 + exclusiveMaximum: true"
    ));
    let score = at(&doc, "/components/schemas/GetThingResponse/properties/score");
    assert_eq!((score["maximum"].clone(), score["exclusiveMaximum"].clone()), (json!(1), json!(true)));
}

#[test]
fn nullable_branches_fold_and_equal_or_different_descriptions_do_not_stop_regen() {
    let (out, doc) = full();
    let p = "/components/schemas/GetThingResponse/properties";
    assert_eq!(at(&doc, &format!("{p}/note")), json!({"description": "a note", "type": "string", "nullable": true}));
    let label = at(&doc, &format!("{p}/label"));
    assert_eq!(label["description"], "the label");
    assert_eq!(label["maxLength"], 8);
    assert!(has_change(&out, "oneOf: the branch's description differs from the outer one; kept the outer"));
    // `const` without a type: a one-value string enum, named (every string enum is open).
    assert_eq!(at(&doc, &format!("{p}/kind")), json!({"$ref": "#/components/schemas/GetThingResponseKind"}));
    assert_eq!(at(&doc, "/components/schemas/GetThingResponseKind/enum"), json!(["thing"]));
    // A nullable object is a nullable reference to its named component.
    assert_eq!(
        at(&doc, "/components/schemas/ListThingsResponse/properties/next"),
        json!({"allOf": [{"$ref": "#/components/schemas/ListThingsResponseNext"}], "nullable": true})
    );
}

#[test]
fn every_object_is_a_component_named_by_location() {
    let (out, doc) = full();
    let names: Vec<&String> = doc.pointer("/components/schemas").unwrap().as_object().unwrap().keys().collect();
    assert_eq!(
        names,
        [
            "ErrorResponse",
            "ErrorResponseError",
            "GetThingResponse",
            "GetThingResponseBackupOwner",
            "GetThingResponseKind",
            "GetThingResponseOwner",
            "ListThingsResponse",
            "ListThingsResponseItemsItem",
            "ListThingsResponseItemsItemBackupOwner",
            "ListThingsResponseItemsItemKind",
            "ListThingsResponseItemsItemOwner",
            "ListThingsResponseNext"
        ]
    );
    // Owner's description from the $ref's sibling is kept; upstream's names are not used.
    assert_eq!(at(&doc, "/components/schemas/GetThingResponseOwner/description"), "the owner");
    // `allOf: [$ref, {description}]`: the documenting branch folds in.
    assert_eq!(at(&doc, "/components/schemas/GetThingResponseBackupOwner/description"), "who steps in");
    // The properties keep their descriptions too (the generated fields' docs).
    assert_eq!(
        at(&doc, "/components/schemas/GetThingResponse/properties/backup_owner"),
        json!({"description": "who steps in", "allOf": [{"$ref": "#/components/schemas/GetThingResponseBackupOwner"}]})
    );
    assert!(has_change(&out, "allOf merged into one schema"));
    assert!(out.text.contains("#   - getThing 200 /owner -> GetThingResponseOwner (from #/components/schemas/Owner)"));
}

#[test]
fn names_in_the_config_name_the_types() {
    let cfg = format!(
        "{}names:\n  getThing 200: Thing\n  getThing 200 /owner: Owner\n  ErrorResponse/error: ErrorDetail\n  nowhere 200: Stale\n",
        config("full31.yaml", &["listThings", "getThing"], false)
    );
    let out = regen_with(&cfg, &[], None).unwrap();
    let doc = parsed(&out);
    assert_eq!(
        at(&doc, "/paths/~1things~1{id}/get/responses/200/content/application~1json/schema/$ref"),
        "#/components/schemas/Thing"
    );
    assert_eq!(at(&doc, "/components/schemas/Thing/properties/owner/allOf/0/$ref"), "#/components/schemas/Owner");
    assert!(at(&doc, "/components/schemas/ErrorDetail").is_object());
    assert!(out.notes.iter().any(|n| n.contains("`nowhere 200: Stale` matches no schema location")), "{:?}", out.notes);
}

#[test]
fn two_locations_wanting_one_name_are_refused() {
    let cfg = format!(
        "{}names:\n  getThing 200: Same\n  getThing 200 /owner: Same\n",
        config("full31.yaml", &["getThing"], false)
    );
    let err = regen_with(&cfg, &[], None).unwrap_err();
    assert!(err.message.contains("two different schemas want the type name Same"), "{err}");
    // Hoisted inside out: the owner took the name first; the pointer is where the second was read.
    assert_eq!(err.pointer.as_deref(), Some("full31.yaml#/components/schemas/Thing"), "{err}");
    // The fix as given: the second location takes the first free name.
    let fix = err.names_fix.clone().expect("a ready fix");
    assert_eq!(fix, "  getThing 200: Same2\n");
    let doc = parsed(&regen_with(&cfg.replace("  getThing 200: Same\n", &fix), &[], None).unwrap());
    assert_eq!(at(&doc, "/components/schemas/Same2/properties/owner/allOf/0/$ref"), "#/components/schemas/Same");
}

#[test]
fn error_schemas_that_differ_by_optional_fields_merge_to_their_union() {
    let (out, doc) = full();
    let e = at(&doc, "/components/schemas/ErrorResponse");
    assert_eq!(e["properties"]["error"]["allOf"][0]["$ref"], "#/components/schemas/ErrorResponseError");
    assert_eq!(e["properties"]["error"]["description"], xtask::errors::DETAIL_DESCRIPTION);
    assert_eq!(e["properties"]["user_id"], json!({"type": "string", "nullable": true}), "the field only 500 has");
    assert_eq!(e["required"], json!(["error"]));
    assert!(has_change(
        &out,
        "ErrorResponse: the union of the error schemas of listThings 401, listThings 500 (ServerError, Unauthorized)"
    ));
    for code in ["401", "500"] {
        let r = format!("/paths/~1things/get/responses/{code}/content/application~1json/schema/$ref");
        assert_eq!(at(&doc, &r), "#/components/schemas/ErrorResponse");
    }
}

#[test]
fn error_schemas_with_conflicting_types_are_refused_naming_the_field() {
    let out = refused_then_fixed(
        "refusals.yaml",
        &["conflictingErrors"],
        "refusals.yaml#/paths/~1conflicting-errors/get/responses/500/content/application~1json/schema/properties/error/properties/code",
        "at ErrorResponse /error/code",
    );
    assert_eq!(at(&parsed(&out), "/components/schemas/ErrorResponseError/properties/code/type"), "integer");
}

#[test]
fn several_types_are_refused_with_a_fix() {
    let out = refused_then_fixed(
        "refusals.yaml",
        &["twoTypes"],
        "refusals.yaml#/paths/~1two-types/get/responses/200/content/application~1json/schema/properties/value/type",
        "`type: [string, integer]` allows several types",
    );
    assert_eq!(at(&parsed(&out), "/components/schemas/TwoTypesResponse/properties/value/type"), "string");
}

#[test]
fn other_unconvertible_constructs_are_refused_with_a_fix() {
    let body = "refusals.yaml#/paths/~1{}/get/responses/200/content/application~1json/schema";
    refused_then_fixed(
        "refusals.yaml",
        &["tuple"],
        &format!("{}/properties/pair/prefixItems", body.replace("{}", "tuple")),
        "`prefixItems` has no OpenAPI 3.0 form",
    );
    refused_then_fixed(
        "refusals.yaml",
        &["union"],
        &format!("{}/properties/v/anyOf", body.replace("{}", "union")),
        "2 non-null branches",
    );
    refused_then_fixed(
        "refusals.yaml",
        &["recursive"],
        "refusals.yaml#/components/schemas/Node/properties/children/items/$ref",
        "is recursive",
    );
    refused_then_fixed("refusals.yaml", &["GET /no-id"], "refusals.yaml#/paths/~1no-id/get", "camelCase `operationId`");
    refused_then_fixed("refusals.yaml", &["untagged"], "refusals.yaml#/paths/~1untagged/get", "no `tags`");
}

#[test]
fn openapi_31_constructs_become_30() {
    let out = regen("openapi31.yaml", &["GET /things"]).unwrap();
    let doc = parsed(&out);
    xtask::contract::check(&doc).unwrap();
    let limit = "/paths/~1things/get/parameters/0/schema";
    assert_eq!(
        (at(&doc, &format!("{limit}/type")), at(&doc, &format!("{limit}/nullable"))),
        ("integer".into(), true.into())
    );
    assert_eq!(
        (at(&doc, &format!("{limit}/minimum")), at(&doc, &format!("{limit}/exclusiveMinimum"))),
        (0.into(), true.into())
    );
    assert!(!out.text.contains("- 'null'") && !out.text.contains("- \"null\""), "{}", out.text);
    assert!(out.text.starts_with("# Generated by `cargo xtask regen`"));
    assert!(out.text.contains("#   - openapi31.yaml (OpenAPI 3.1.0, info.version 2.0.0): getThings"));
    // Unused paths and components are gone.
    assert!(doc.pointer("/paths/~1unused").is_none());
}

#[test]
fn a_missing_operation_points_at_pinning_it() {
    let err = regen("full31.yaml", &["listThings", "createThing"]).unwrap_err();
    assert!(err.message.contains("createThing is not in full31.yaml"), "{err}");
    assert!(err.message.contains("source: openapi/upstream/"), "{err}");
}

#[test]
fn an_operation_pinned_to_another_source_keeps_its_contract() {
    let cfg = "source: fixtures/moved.yaml\noutput: o.yaml\noperations:\n  - getBalance\n  - id: listThings\n    source: fixtures/full31.yaml\n";
    let out = regen_with(cfg, &[], None).unwrap();
    let doc = parsed(&out);
    assert_eq!(at(&doc, "/paths/~1things/get/operationId"), "listThings");
    // moved.yaml has no global security; full31's listThings inherits apiKey from its own source.
    assert_eq!(at(&doc, "/paths/~1things/get/security"), json!([{"apiKey": []}]));
    assert!(at(&doc, "/components/securitySchemes/apiKey").is_object());
    assert!(out.text.contains("#   - moved.yaml (OpenAPI 3.1.0, info.version 1.0.0): getBalance"));
    assert!(out.text.contains("#   - full31.yaml (OpenAPI 3.1.0, info.version 2.0.0): listThings"));
}

#[test]
fn overlays_apply_before_anything_and_stale_actions_are_reported() {
    let overlay = r#"overlay: 1.0.0
info: {title: t, version: '1'}
actions:
  - target: $.paths['/things'].get
    update: {x-idempotent: false, summary: Listed}
  - target: $.components.schemas.Thing.properties.note
    remove: true
  - target: $.paths['/nowhere'].get
    description: gone upstream
    update: {summary: x}
"#;
    let out = regen_overlay("full31.yaml", &["listThings"], overlay).unwrap();
    let doc = parsed(&out);
    assert_eq!(at(&doc, "/paths/~1things/get/x-idempotent"), false);
    assert_eq!(at(&doc, "/paths/~1things/get/summary"), "Listed");
    assert!(at(&doc, "/components/schemas/ListThingsResponseItemsItem/properties/note").is_null());
    assert!(
        out.notes
            .iter()
            .any(|n| n.contains("stale overlay action: overlay.yaml actions[2]") && n.contains("gone upstream")),
        "{:?}",
        out.notes
    );
    assert!(out.text.contains("# overlay: overlay.yaml (3 actions), sha256 "));
    let bad = regen_overlay(
        "full31.yaml",
        &["listThings"],
        "overlay: 1.0.0\nactions:\n  - target: paths\n    remove: true\n",
    )
    .unwrap_err();
    assert!(bad.message.contains("is not RFC 9535 JSONPath"), "{bad}");
}

#[test]
fn moving_an_inline_schema_to_a_component_changes_no_name() {
    let before = regen("inline.yaml", &["getBalance"]).unwrap();
    let after = regen_with(&config("moved.yaml", &["getBalance"], false), &[], Some(&before.text)).unwrap();
    let strip = |t: &str| t.lines().filter(|l| !l.starts_with('#')).collect::<Vec<_>>().join("\n");
    assert_eq!(strip(&before.text), strip(&after.text), "same wire, same fragment");
    let summary = after.summary().join("\n");
    assert!(
        summary.contains("upstream moved the schema at getBalance 200: inline -> #/components/schemas/BalanceEnvelope; the Rust type stays GetBalanceResponse"),
        "{summary}"
    );
    assert!(
        summary.contains("upstream moved the schema at getBalance 200 /data: inline -> #/components/schemas/Balance"),
        "{summary}"
    );
    assert!(
        summary.contains("upstream moved the schema at ErrorResponse: union of Err -> union of Unauthorized"),
        "{summary}"
    );
}

#[test]
fn the_summary_reports_operations_parameters_fields_and_renames() {
    let before = regen("full31.yaml", &["listThings"]).unwrap();
    let cfg =
        format!("{}names:\n  listThings 200: ThingList\n", config("full31.yaml", &["listThings", "getThing"], false));
    let overlay_free = before.text.replace("maximum: 50", "maximum: 40").replace("name: since", "name: after");
    let after = regen_with(&cfg, &[], Some(&overlay_free)).unwrap();
    let summary = after.summary().join("\n");
    for line in [
        "operation added: getThing (GET /things/{id})",
        "parameter added: listThings: query since (string, optional)",
        "parameter removed: listThings: query after (string, optional)",
        "type renamed: listThings 200: ListThingsResponse -> ThingList",
        "minor: `GetThingResponse` added (a struct)",
        "major: `ListThingsBuilder::send` changed from `ListThingsResponse` to `ThingList`",
        "converted: full31.yaml#",
    ] {
        assert!(summary.contains(line), "missing `{line}` in:\n{summary}");
    }
}

#[test]
fn regen_is_deterministic_and_idempotent() {
    let first = regen("full31.yaml", &["listThings", "getThing"]).unwrap();
    let again = regen("full31.yaml", &["listThings", "getThing"]).unwrap();
    assert_eq!(first.text, again.text);
    let second =
        regen_with(&config("full31.yaml", &["listThings", "getThing"], false), &[], Some(&first.text)).unwrap();
    assert_eq!(first.text, second.text);
    assert!(second.changes.is_empty(), "nothing changed: {:?}", second.changes);
}

#[test]
fn the_contract_check_rejects_what_build_rs_cannot_take() {
    let (_, mut doc) = full();
    xtask::contract::check(&doc).unwrap();
    let op = doc.pointer_mut("/paths/~1things/get").unwrap();
    op["responses"]["default"] = json!({"description": "x"});
    op["parameters"][0]["in"] = json!("header");
    doc["components"]["schemas"]["GetThingResponse"]["properties"]["id"]["format"] = json!("uuid");
    doc["components"]["schemas"]["GetThingResponse"]["properties"]["inline"] =
        json!({"type": "object", "properties": {"a": {"type": "string"}}});
    doc["components"]["schemas"]["ListThingsResponse"]["additionalProperties"] = json!(false);
    doc["components"]["schemas"]["GetThingResponse"]["properties"]["created"]["const"] = json!("x");
    let errs = xtask::contract::check(&doc).unwrap_err();
    let all: String = errs.iter().map(|e| format!("{e}\n")).collect();
    for needle in [
        "fragment#/paths/~1things/get/responses/default",
        "fragment#/paths/~1things/get/parameters/0/in",
        "fragment#/components/schemas/GetThingResponse/properties/id/format",
        "fragment#/components/schemas/GetThingResponse/properties/inline: breaks the fragment contract: an object schema with properties below another schema must be a named component",
        "fragment#/components/schemas/ListThingsResponse/additionalProperties",
        "fragment#/components/schemas/GetThingResponse/properties/created/const: breaks the fragment contract: `const` is not allowed",
    ] {
        assert!(all.contains(needle), "missing {needle} in\n{all}");
    }
}

/// A property whose schema became a named component keeps its description (the generated
/// field's doc) as `{description, allOf: [{$ref}]}`; the component keeps its own description, or
/// gets the property's when it has none.
#[test]
fn hoisted_properties_keep_their_descriptions() {
    let schema = r#"                type: object
                properties:
                  plain: {$ref: '#/components/schemas/Described'}
                  renamed: {$ref: '#/components/schemas/Described', description: the place's words}
                  maybe:
                    description: maybe there
                    anyOf: [{$ref: '#/components/schemas/Described'}, {type: 'null'}]
                  wrapped:
                    allOf: [{$ref: '#/components/schemas/Described'}, {description: wrapped words}]
                  inline: {description: an inline object, type: object, properties: {x: {type: string}}}
                  bare: {$ref: '#/components/schemas/Bare'}
                  count: {type: integer, description: how many}
"#;
    let schemas = r#"  schemas:
    Described: {type: object, description: the type's own words, properties: {y: {type: string}}}
    Bare: {type: object, properties: {z: {type: string}}}
"#;
    let paths = "  /a:\n    get:\n      operationId: getA\n      tags: [A]\n".to_owned() + &json_200(schema);
    let spec = document("3.1.0", "A", &paths) + schemas;
    let cfg = "source: spec.yaml\noutput: o.yaml\noperations:\n  - getA\n";
    let out = regen_with(cfg, &[("spec.yaml", &spec)], None).unwrap();
    let doc = parsed(&out);
    xtask::contract::check(&doc).unwrap();
    let props = at(&doc, "/components/schemas/GetAResponse/properties");
    let r = |name: &str| json!([{"$ref": format!("#/components/schemas/GetAResponse{name}")}]);
    assert_eq!(props["plain"], json!({"description": "the type's own words", "allOf": r("Plain")}));
    assert_eq!(props["renamed"], json!({"description": "the place's words", "allOf": r("Renamed")}));
    assert_eq!(props["maybe"], json!({"description": "maybe there", "allOf": r("Maybe"), "nullable": true}));
    assert_eq!(props["wrapped"], json!({"description": "wrapped words", "allOf": r("Wrapped")}));
    assert_eq!(props["inline"], json!({"description": "an inline object", "allOf": r("Inline")}));
    assert_eq!(props["bare"], json!({"$ref": "#/components/schemas/GetAResponseBare"}));
    assert_eq!(props["count"], json!({"type": "integer", "description": "how many"}));
    for name in ["Plain", "Renamed", "Maybe", "Wrapped"] {
        let d = at(&doc, &format!("/components/schemas/GetAResponse{name}/description"));
        assert_eq!(d, "the type's own words", "{name} keeps its own description");
    }
    assert_eq!(at(&doc, "/components/schemas/GetAResponseInline/description"), "an inline object");
    assert!(at(&doc, "/components/schemas/GetAResponseBare/description").is_null());
    assert!(!out.text.contains("x-type-description"));
}
