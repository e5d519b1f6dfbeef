//! Step 2: rewrite OpenAPI 3.1 (JSON Schema 2020-12) constructs into their 3.0 forms, which is
//! all progenitor reads (it rejects any `openapi` not starting with `3.0.`).
//!
//! Each rewrite is recorded as one line (`pointer: what changed`) for the fragment's header.
//! A construct with no 3.0 form is an error naming its pointer; nothing is dropped silently.

use crate::RegenError;
use crate::extract::escape;
use serde_json::{Value, json};

/// 2020-12 keywords that 3.0 has no equivalent for. Meeting one is an error, not a drop.
const NO_3_0_FORM: [&str; 19] = [
    "$defs",
    "$id",
    "$anchor",
    "$dynamicRef",
    "$dynamicAnchor",
    "$schema",
    "$comment",
    "prefixItems",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "dependentRequired",
    "unevaluatedProperties",
    "unevaluatedItems",
    "contains",
    "propertyNames",
    "patternProperties",
    "contentMediaType",
];

/// Rewrites every schema in the document in place and returns the list of changes made.
pub fn downconvert(doc: &mut Value) -> Result<Vec<String>, RegenError> {
    let mut changes = Vec::new();
    walk_document(doc, "", false, &mut changes)?;
    Ok(changes)
}

/// Finds schema positions: anything under a `schema` key, and each `components/schemas` entry.
fn walk_document(v: &mut Value, at: &str, in_schemas: bool, changes: &mut Vec<String>) -> Result<(), RegenError> {
    match v {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                let here = format!("{at}/{}", escape(k));
                if in_schemas || k == "schema" {
                    convert_schema(child, &here, changes)?;
                } else {
                    walk_document(child, &here, here == "/components/schemas", changes)?;
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter_mut().enumerate() {
                walk_document(child, &format!("{at}/{i}"), false, changes)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn is_null_schema(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("null")
        && v.as_object().is_some_and(|o| o.keys().all(|k| k == "type" || k == "description"))
}

/// Converts one schema, then the schemas inside it.
pub fn convert_schema(v: &mut Value, at: &str, changes: &mut Vec<String>) -> Result<(), RegenError> {
    let Some(obj) = v.as_object_mut() else { return Ok(()) };

    for key in NO_3_0_FORM {
        if obj.contains_key(key) {
            return Err(RegenError::at(
                format!("{at}/{}", escape(key)),
                format!(
                    "`{key}` has no OpenAPI 3.0 form; rewrite the schema upstream or drop the operation from openapi/regen.yaml"
                ),
            ));
        }
    }

    // anyOf/oneOf with a `{type: null}` branch: the null branch becomes `nullable: true`.
    for key in ["anyOf", "oneOf"] {
        let Some(branches) = obj.get(key).and_then(Value::as_array) else { continue };
        if !branches.iter().any(is_null_schema) {
            continue;
        }
        let rest: Vec<Value> = branches.iter().filter(|b| !is_null_schema(b)).cloned().collect();
        obj.remove(key);
        obj.insert("nullable".into(), json!(true));
        match rest.len() {
            0 => return Err(RegenError::at(format!("{at}/{key}"), format!("`{key}` of only `null` has no 3.0 form"))),
            1 => {
                let only = rest.into_iter().next().unwrap_or_default();
                if only.get("$ref").is_some() {
                    obj.insert("allOf".into(), json!([only]));
                } else if let Value::Object(inner) = only {
                    for (k, val) in inner {
                        if obj.contains_key(&k) {
                            return Err(RegenError::at(
                                format!("{at}/{key}"),
                                format!("cannot fold the non-null branch into the schema: both set `{k}`"),
                            ));
                        }
                        obj.insert(k, val);
                    }
                }
                changes.push(format!("{at}: {key} [T, null] -> T with nullable: true"));
            }
            _ => {
                obj.insert(key.into(), Value::Array(rest));
                changes.push(format!("{at}: {key} null branch -> nullable: true"));
            }
        }
    }

    // type: [T, "null"] -> type: T, nullable: true
    if let Some(Value::Array(types)) = obj.get("type") {
        let names: Vec<&str> = types.iter().filter_map(Value::as_str).collect();
        let non_null: Vec<&str> = names.iter().copied().filter(|t| *t != "null").collect();
        let nullable = non_null.len() < names.len();
        let shown = names.join(", ");
        match non_null.as_slice() {
            [one] => {
                let one = (*one).to_owned();
                obj.insert("type".into(), json!(one));
                if nullable {
                    obj.insert("nullable".into(), json!(true));
                }
                changes.push(format!(
                    "{at}: type [{shown}] -> type {one}{}",
                    if nullable { ", nullable: true" } else { "" }
                ));
            }
            [] => return Err(RegenError::at(format!("{at}/type"), "`type: [null]` has no 3.0 form")),
            _ => {
                return Err(RegenError::at(
                    format!("{at}/type"),
                    format!("`type: [{shown}]` (several non-null types) has no 3.0 form; use oneOf upstream"),
                ));
            }
        }
    }
    if obj.get("type").and_then(Value::as_str) == Some("null") {
        return Err(RegenError::at(format!("{at}/type"), "`type: null` has no 3.0 form"));
    }

    // const: v -> enum: [v]
    if let Some(c) = obj.remove("const") {
        if obj.contains_key("enum") {
            return Err(RegenError::at(format!("{at}/const"), "both `const` and `enum` are set"));
        }
        obj.insert("enum".into(), json!([c]));
        changes.push(format!("{at}: const -> one-value enum"));
    }

    // Numeric exclusiveMinimum/Maximum (2020-12) -> minimum/maximum + boolean flag (3.0).
    for (exclusive, bound) in [("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")] {
        if let Some(n) = obj.get(exclusive).filter(|v| v.is_number()).cloned() {
            if obj.contains_key(bound) {
                return Err(RegenError::at(
                    format!("{at}/{exclusive}"),
                    format!("both `{bound}` and a numeric `{exclusive}` are set; 3.0 can hold only one bound"),
                ));
            }
            obj.insert(bound.into(), n);
            obj.insert(exclusive.into(), json!(true));
            changes.push(format!("{at}: numeric {exclusive} -> {bound} + {exclusive}: true"));
        }
    }

    // examples: [..] (schema keyword in 2020-12) -> example: first
    if let Some(Value::Array(examples)) = obj.get("examples") {
        let first = examples.first().cloned();
        obj.remove("examples");
        if let Some(first) = first {
            obj.entry("example").or_insert(first);
        }
        changes.push(format!("{at}: examples -> example"));
    }

    // $ref with siblings: 3.0 ignores the siblings, so wrap the ref in allOf to keep them.
    if obj.contains_key("$ref") && obj.len() > 1 {
        if obj.contains_key("allOf") {
            return Err(RegenError::at(format!("{at}/$ref"), "`$ref` beside `allOf` has no 3.0 form"));
        }
        if let Some(r) = obj.remove("$ref") {
            obj.insert("allOf".into(), json!([{ "$ref": r }]));
            changes.push(format!("{at}: $ref with siblings -> allOf [$ref]"));
        }
    }

    // Recurse into subschemas.
    for key in ["properties"] {
        if let Some(Value::Object(props)) = obj.get_mut(key) {
            for (name, sub) in props.iter_mut() {
                convert_schema(sub, &format!("{at}/{key}/{}", escape(name)), changes)?;
            }
        }
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(sub) = obj.get_mut(key).filter(|s| s.is_object()) {
            convert_schema(sub, &format!("{at}/{key}"), changes)?;
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(subs)) = obj.get_mut(key) {
            for (i, sub) in subs.iter_mut().enumerate() {
                convert_schema(sub, &format!("{at}/{key}/{i}"), changes)?;
            }
        }
    }
    Ok(())
}
