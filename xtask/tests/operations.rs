//! The per-operation generator `build.rs` runs (`build/operations.rs`), on the checked-in
//! fragment and on fragments that break the contract: it generates, or it fails naming the JSON
//! pointer and the cause, never a rustc error far from it.

#[path = "../../build/operations.rs"]
#[allow(dead_code)]
mod operations;

use serde_json::{Value, json};

use operations::TYPES;

fn fragment() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/credits.yaml")).unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

fn error_of(doc: &Value) -> String {
    match operations::generate(doc, &TYPES) {
        Ok(_) => panic!("generated from a fragment that breaks the contract"),
        Err(e) => e,
    }
}

#[test]
fn the_checked_in_fragment_generates_every_operation() {
    let generated = operations::generate(&fragment(), &TYPES).unwrap();
    for name in
        ["GetCreditsBuilder", "GetCurrentKeyBuilder", "CreateCoinbaseChargeBuilder", "CreateCoinbaseChargeSecurity"]
    {
        assert!(generated.exports.contains(name), "{name}: {}", generated.exports);
    }
    let code = &generated.operations;
    // Facts from the spec: credential from `security`, idempotency from the method.
    assert!(code.contains(r#"id: "getCredits""#) && code.contains("Credential::ManagementKey"), "{code}");
    assert!(code.contains("Credential::PerCall") && code.contains("Credential::ApiKey"));
    // The charge body in spec order, with the schema's rules checked before sending.
    let body = &code[code.find("struct Body").unwrap()..];
    let (amount, sender, chain) =
        (body.find("amount:").unwrap(), body.find("sender:").unwrap(), body.find("chain_id:").unwrap());
    assert!(amount < sender && sender < chain, "{body}");
    // A format the crate has a type for: parsed by the setter, its rule reported by `send`.
    assert!(code.contains("sender: Option<Result<crate::EvmAddress, &'static str>>"), "{code}");
    assert!(code.contains(r#"crate::validate::parsed("sender", sender)?"#) && code.contains("exclusive_minimum: true"));
}

#[test]
fn an_operation_can_opt_out_of_idempotency() {
    let mut doc = fragment();
    doc["paths"]["/key"]["get"]["x-idempotent"] = json!(false);
    let code = operations::generate(&doc, &TYPES).unwrap().operations;
    let facts = &code[code.find(r#"id: "getCurrentKey""#).unwrap()..];
    assert!(facts[..facts.find('}').unwrap()].contains("idempotent: false"), "{facts}");
    assert!(code.contains("impl GetCurrentKeyBuilder") && code.matches("fn retry_non_idempotent").count() == 2);
}

#[test]
fn contract_breaches_are_refused_with_their_pointer() {
    type Breach = fn(&mut Value);
    let cases: [(&str, Breach); 7] = [
        ("/paths/~1key/get/parameters/0", |d| {
            d["paths"]["/key"]["get"]["parameters"] =
                json!([{"name": "X-Title", "in": "header", "schema": {"type": "string"}}]);
        }),
        ("/paths/~1key/get/responses/401", |d| {
            d["paths"]["/key"]["get"]["responses"]["401"]["content"]["application/json"]["schema"] =
                json!({"$ref": "#/components/schemas/CurrentKey"});
        }),
        ("/paths/~1key/get/responses/default", |d| {
            d["paths"]["/key"]["get"]["responses"]["default"] = json!({"description": "x"});
        }),
        ("/paths/~1key/get/responses/200", |d| {
            d["paths"]["/key"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] =
                json!({"type": "object", "properties": {"a": {"type": "string"}}});
        }),
        ("/paths/~1key/get", |d| {
            d["paths"]["/key"]["get"].as_object_mut().unwrap().remove("operationId");
        }),
        ("/components/securitySchemes/apiKey/x-credential", |d| {
            d["components"]["securitySchemes"]["apiKey"]["x-credential"] = json!("cookie");
        }),
        // A typed format with a keyword its type cannot stand for, in a response type. (The
        // checked-in response fields carry no typed format: the addresses are plain strings; one is added here.)
        ("/components/schemas/CallData/properties/operator", |d| {
            let operator = &mut d["components"]["schemas"]["CallData"]["properties"]["operator"];
            operator["format"] = json!("evm-address");
            operator["nullable"] = json!(true);
        }),
    ];
    for (pointer, breach) in cases {
        let mut doc = fragment();
        breach(&mut doc);
        let e = error_of(&doc);
        assert!(e.starts_with(pointer), "{pointer}: {e}");
    }
}
