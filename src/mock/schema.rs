//! The spec as the fake server reads it: request values checked against a schema (with the
//! rules the client checks, from `validate.rs`), and default answers taken from the spec's
//! examples or built from the schema.

use crate::validate::{self, NumberRule, StringRule};
use serde_json::{Value, json};

/// Deeper than this, a schema is taken to be recursive and built as `null`.
const MAX_DEPTH: usize = 16;

fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    let mut schema = schema;
    for _ in 0..MAX_DEPTH {
        match schema.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
            Some(pointer) => schema = spec.pointer(pointer).unwrap_or(&Value::Null),
            None => {
                // `allOf` with one member is how a $ref carries `nullable` in 3.0.
                match schema.get("allOf").and_then(Value::as_array).map(Vec::as_slice) {
                    Some([only]) => schema = only,
                    _ => return schema,
                }
            }
        }
    }
    schema
}

fn number_rule(schema: &Value) -> NumberRule {
    let num = |k: &str| schema.get(k).and_then(Value::as_f64);
    let flag = |k: &str| schema.get(k).and_then(Value::as_bool).unwrap_or(false);
    NumberRule {
        minimum: num("minimum"),
        maximum: num("maximum"),
        exclusive_minimum: flag("exclusiveMinimum"),
        exclusive_maximum: flag("exclusiveMaximum"),
    }
}

fn check_string(schema: &Value, value: &str) -> Result<(), String> {
    let one_of: Vec<&str> =
        schema.get("enum").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
    let rule = StringRule {
        min_length: schema.get("minLength").and_then(Value::as_u64),
        max_length: schema.get("maxLength").and_then(Value::as_u64),
        format: schema.get("format").and_then(Value::as_str),
        one_of: &one_of,
    };
    validate::string_rule(value, &rule)
}

/// A query parameter's text against its (primitive) schema.
pub(super) fn check_text(schema: &Value, text: &str) -> Result<(), String> {
    match schema.get("type").and_then(Value::as_str) {
        Some("integer") => text.parse::<i64>().map(drop).map_err(|_| "must be an integer".to_owned()),
        Some("number") => {
            let n = text.parse::<f64>().map_err(|_| "must be a number".to_owned())?;
            validate::number_rule(n, &number_rule(schema))
        }
        Some("boolean") => text.parse::<bool>().map(drop).map_err(|_| "must be true or false".to_owned()),
        _ => check_string(schema, text),
    }
}

/// `value` against `schema`; the error names the field's path (`amount: must be …`).
pub(super) fn validate(spec: &Value, schema: &Value, value: &Value, path: &str) -> Result<(), String> {
    let schema = resolve(spec, schema);
    let at = |rule: &str| if path.is_empty() { rule.to_owned() } else { format!("{path}: {rule}") };
    if value.is_null() {
        return if schema.get("nullable").and_then(Value::as_bool) == Some(true) {
            Ok(())
        } else {
            Err(at("must not be null"))
        };
    }
    let allowed = schema.get("enum").and_then(Value::as_array);
    // 1 and 1.0 are the same JSON number.
    let same = |a: &Value| a == value || (a.as_f64().is_some() && a.as_f64() == value.as_f64());
    if let Some(allowed) = allowed.filter(|allowed| !allowed.iter().any(same)) {
        let shown: Vec<String> =
            allowed.iter().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)).collect();
        return Err(at(&format!("must be one of {}", shown.join(", "))));
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("object") => {
            let Some(object) = value.as_object() else { return Err(at("must be an object")) };
            for name in schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str)
            {
                if !object.contains_key(name) {
                    return Err(join(path, name) + ": is required");
                }
            }
            let properties = schema.get("properties").and_then(Value::as_object);
            for (name, v) in object {
                // Unknown fields are accepted, as the real server does.
                if let Some(s) = properties.and_then(|p| p.get(name)) {
                    validate(spec, s, v, &join(path, name))?;
                }
            }
            Ok(())
        }
        Some("array") => {
            let Some(items) = value.as_array() else { return Err(at("must be an array")) };
            let item_schema = schema.get("items").unwrap_or(&Value::Null);
            items.iter().enumerate().try_for_each(|(i, v)| validate(spec, item_schema, v, &format!("{path}[{i}]")))
        }
        Some("string") => match value.as_str() {
            Some(s) => check_string(schema, s).map_err(|r| at(&r)),
            None => Err(at("must be a string")),
        },
        Some("integer") if value.as_i64().is_none() && value.as_u64().is_none() => Err(at("must be an integer")),
        Some("number" | "integer") => match value.as_f64() {
            Some(n) => validate::number_rule(n, &number_rule(schema)).map_err(|r| at(&r)),
            None => Err(at("must be a number")),
        },
        Some("boolean") if !value.is_boolean() => Err(at("must be true or false")),
        _ => Ok(()),
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() { name.to_owned() } else { format!("{path}.{name}") }
}

/// The operation's first success status and its answer: the response's example where it fits
/// the schema, completed from the schema where it does not (upstream's examples sometimes lack a
/// field the schema requires).
pub(super) fn default_answer(spec: &Value, operation: &Value) -> (u16, Value) {
    let responses = operation.get("responses").and_then(Value::as_object);
    let success = responses
        .into_iter()
        .flatten()
        .filter_map(|(code, r)| Some((code.parse::<u16>().ok()?, r)))
        .find(|(code, _)| (200..300).contains(code));
    let Some((status, response)) = success else { return (200, Value::Null) };
    let Some(media) = response.pointer("/content/application~1json") else { return (status, Value::Null) };
    (status, build(spec, media.get("schema").unwrap_or(&Value::Null), media.get("example"), 0))
}

/// A value that fits `schema`, taken from `example` (the caller's, else the schema's own) as far
/// as it goes: an object gets every property, from the example where it has one, built where
/// not; anything else without an example gets the simplest value of its type.
fn build(spec: &Value, schema: &Value, example: Option<&Value>, depth: usize) -> Value {
    let schema = resolve(spec, schema);
    if depth > MAX_DEPTH {
        return Value::Null;
    }
    let example = example.or_else(|| schema.get("example"));
    let kind = schema.get("type").and_then(Value::as_str);
    if kind == Some("object") {
        let mut out = example.and_then(Value::as_object).cloned().unwrap_or_default();
        for (name, s) in schema.get("properties").and_then(Value::as_object).into_iter().flatten() {
            let value = build(spec, s, out.get(name), depth + 1);
            out.insert(name.clone(), value);
        }
        return Value::Object(out);
    }
    if let Some(example) = example {
        return example.clone();
    }
    if let Some(first) = schema.get("enum").and_then(Value::as_array).and_then(|e| e.first()) {
        return first.clone();
    }
    match kind {
        Some("array") => json!([build(spec, schema.get("items").unwrap_or(&Value::Null), None, depth + 1)]),
        Some("string") => json!(match schema.get("format").and_then(Value::as_str) {
            Some("evm-address") => "0x0000000000000000000000000000000000000000",
            _ => "string",
        }),
        Some("integer") => json!(schema.get("minimum").and_then(Value::as_i64).unwrap_or(0)),
        Some("number") => json!(schema.get("minimum").and_then(Value::as_f64).unwrap_or(0.0)),
        Some("boolean") => json!(false),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> Value {
        serde_json::from_str(crate::generated::FRAGMENT_JSON).unwrap()
    }

    /// Every operation's default answer decodes as its generated type: a new operation or a new
    /// required field in the fragment needs no mock edit.
    #[test]
    fn every_default_answer_decodes() {
        let spec = spec();
        for &op in crate::Operation::ALL {
            let definition = spec["paths"][op.path()][op.method().to_ascii_lowercase()].clone();
            let (status, value) = default_answer(&spec, &definition);
            let body = serde_json::to_vec(&value).unwrap();
            let mapped = crate::outcome::map_raw_response(
                op,
                reqwest::StatusCode::from_u16(status).unwrap(),
                Default::default(),
                &body,
                "sk-or-none",
            );
            assert!(mapped.is_ok(), "{op}: {mapped:?} from {value}");
        }
    }
}
