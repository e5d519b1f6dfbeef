//! String enums end as named components (regen), generated as open enums (build/open_enum.rs):
//! a value upstream adds later decodes as `Unknown` with its text, never as a decode error.

mod common;
use common::*;

#[path = "../../build/operations.rs"]
#[allow(dead_code)]
mod operations;

/// One operation answering an object whose `state` is an inline string enum.
fn spec() -> String {
    let schema = r#"                type: object
                required: [data]
                properties:
                  data:
                    type: object
                    required: [state]
                    properties:
                      state:
                        description: Where the thing is.
                        type: string
                        enum: [open, closed, '2fa', unknown]
"#;
    let paths = "  /things:\n    get:\n      operationId: listThings\n      tags: [Things]\n";
    document("3.1.0", "Things", &(paths.to_owned() + &json_200(schema)))
}

fn regenerated() -> serde_json::Value {
    let config = "source: spec.yaml\noutput: o.yaml\noperations:\n  - listThings\n";
    parsed(&regen_with(config, &[("spec.yaml", &spec())], None).unwrap())
}

#[test]
fn an_inline_string_enum_becomes_a_named_component() {
    let doc = regenerated();
    xtask::contract::check(&doc).unwrap();
    let state = at(&doc, "/components/schemas/ListThingsResponseDataState");
    assert_eq!(state["enum"], serde_json::json!(["open", "closed", "2fa", "unknown"]), "{state}");
    let field = at(&doc, "/components/schemas/ListThingsResponseData/properties/state");
    assert_eq!(field["allOf"][0]["$ref"], "#/components/schemas/ListThingsResponseDataState", "{field}");
}

#[test]
fn every_string_enum_is_generated_open_and_progenitor_is_told_to_use_it() {
    let generated = operations::generate(&regenerated(), &operations::TYPES).unwrap();
    assert_eq!(
        generated.open_enums,
        [("ListThingsResponseDataState".to_owned(), "crate::generated::ListThingsResponseDataState".to_owned())]
    );
    let code = generated.operations.replace(' ', "");
    assert!(code.contains("pubenumListThingsResponseDataState{"), "{code}");
    // Each value a variant (a leading digit gets an `X`, as typify names; `unknown` steps aside
    // for the catch-all),
    // and the catch-all keeps the text.
    for variant in ["Open,", "Closed,", "X2fa,", "UnknownValue,", "Unknown(String)"] {
        assert!(code.contains(variant), "{variant}");
    }
    assert!(code.contains(r#"other=>Self::Unknown(other.to_owned())"#), "{code}");
    assert!(code.contains(r#""2fa"=>Self::X2fa"#), "the wire value is kept: {code}");
    // Re-exported with the other types.
    assert!(code.contains("pubusesuper::ListThingsResponseDataState;"), "{code}");
}

#[test]
fn two_values_that_make_one_variant_are_refused_with_the_pointer() {
    let mut doc = regenerated();
    doc["components"]["schemas"]["ListThingsResponseDataState"]["enum"] =
        serde_json::json!(["in-progress", "in_progress"]);
    let Err(err) = operations::generate(&doc, &operations::TYPES) else { panic!("generated") };
    assert!(err.contains("/components/schemas/ListThingsResponseDataState/enum"), "{err}");
    assert!(err.contains("`in-progress` and `in_progress` both become the Rust variant `InProgress`"), "{err}");
}
