//! Step 3: one error schema per operation.
//!
//! progenitor asserts that all of an operation's error responses share one type and panics in
//! `build.rs` otherwise (oxidecomputer/progenitor#344, #950). Upstream gives each status its own
//! schema (`UnauthorizedResponse`, `ForbiddenResponse`, …) of one and the same shape. Where the
//! shapes are equal once descriptions and examples are set aside, this merges them onto one
//! component; where they differ, it fails naming the operation, since picking one would lie.

use crate::RegenError;
use crate::extract::escape;
use serde_json::{Map, Value, json};

/// Keys that document a schema without changing what it accepts.
const ANNOTATIONS: [&str; 4] = ["description", "example", "examples", "title"];

/// Depth past which a schema is taken to be recursive; error bodies are never that deep.
const MAX_DEPTH: usize = 32;

fn is_error_status(code: &str) -> bool {
    code.starts_with('4') || code.starts_with('5')
}

/// `$ref`s inlined and annotations removed: two schemas with equal shapes accept the same JSON.
fn shape(v: &Value, components: &Value, depth: usize) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err("schema is recursive or nested too deeply to compare".into());
    }
    Ok(match v {
        Value::Object(map) => {
            if let Some(r) = map.get("$ref").and_then(Value::as_str) {
                let name = r.strip_prefix("#/components/schemas/").ok_or_else(|| format!("cannot follow `{r}`"))?;
                let target = components.get(name).ok_or_else(|| format!("`{r}` is not defined"))?;
                return shape(target, components, depth + 1);
            }
            let mut out = Map::new();
            for (k, child) in map {
                if !ANNOTATIONS.contains(&k.as_str()) {
                    out.insert(k.clone(), shape(child, components, depth + 1)?);
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(|i| shape(i, components, depth + 1)).collect::<Result<_, _>>()?)
        }
        other => other.clone(),
    })
}

/// Rewrites every operation whose error responses use several schemas of one shape so that they
/// all `$ref` a single merged component, and returns the changes for the header.
pub fn unify_error_responses(doc: &mut Value) -> Result<Vec<String>, RegenError> {
    let components = doc.pointer("/components/schemas").cloned().unwrap_or_else(|| json!({}));
    // (shape, component name) of each merged schema; equal shapes across operations share one.
    let mut merged: Vec<(Value, String, Value)> = Vec::new();
    let mut changes = Vec::new();

    let paths: Vec<(String, String)> = doc
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|p| p.iter())
        .flat_map(|(path, item)| {
            item.as_object().into_iter().flat_map(|i| i.keys()).map(move |m| (path.clone(), m.clone()))
        })
        .filter(|(_, m)| m != "parameters")
        .collect();

    for (path, method) in paths {
        let at = format!("/paths/{}/{method}/responses", escape(&path));
        let Some(responses) = doc.pointer(&at).and_then(Value::as_object) else { continue };
        let operation_id = doc
            .pointer(&format!("/paths/{}/{method}/operationId", escape(&path)))
            .and_then(Value::as_str)
            .unwrap_or("operation")
            .to_owned();

        // Which error statuses have a JSON body, which have none, and the distinct schemas used.
        let mut with_body: Vec<(String, Value)> = Vec::new();
        let mut without_body: Vec<String> = Vec::new();
        for (code, response) in responses.iter().filter(|(c, _)| is_error_status(c)) {
            match response.pointer("/content/application~1json/schema") {
                Some(schema) => with_body.push((code.clone(), schema.clone())),
                None if response.get("content").is_some() => {
                    return Err(RegenError::at(
                        format!("{at}/{code}/content"),
                        "an error response whose body is not application/json; progenitor needs one JSON error schema per operation",
                    ));
                }
                None => without_body.push(code.clone()),
            }
        }
        let mut distinct: Vec<&Value> = Vec::new();
        for (_, s) in &with_body {
            if !distinct.contains(&s) {
                distinct.push(s);
            }
        }
        if distinct.len() <= 1 && (without_body.is_empty() || with_body.is_empty()) {
            continue;
        }
        if !without_body.is_empty() && !with_body.is_empty() {
            return Err(RegenError::at(
                at,
                format!(
                    "{operation_id}: error statuses {} have a JSON body but {} have none; progenitor needs them alike (progenitor#344)",
                    with_body.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>().join(", "),
                    without_body.join(", ")
                ),
            ));
        }

        let mut shapes = Vec::new();
        for (code, schema) in &with_body {
            let s = shape(schema, &components, 0).map_err(|e| RegenError::at(format!("{at}/{code}"), e))?;
            shapes.push((code.as_str(), s));
        }
        let first = shapes[0].1.clone();
        if let Some((code, _)) = shapes.iter().find(|(_, s)| *s != first) {
            return Err(RegenError::at(
                format!("{at}/{code}"),
                format!(
                    "{operation_id}: error responses use schemas of different shapes; progenitor needs one error type per operation (progenitor#344), so merge them upstream or leave the operation out"
                ),
            ));
        }

        let name = match merged.iter().find(|(s, _, _)| *s == first) {
            Some((_, name, _)) => name.clone(),
            None => {
                let name = if merged.is_empty() {
                    "ErrorResponse".to_owned()
                } else {
                    format!("{}ErrorResponse", pascal(&operation_id))
                };
                if components.get(&name).is_some_and(|c| shape(c, &components, 0).ok().as_ref() != Some(&first)) {
                    return Err(RegenError::at(
                        format!("/components/schemas/{name}"),
                        "upstream already defines a different schema of this name",
                    ));
                }
                let mut schema = first.clone();
                if let Some(obj) = schema.as_object_mut() {
                    obj.insert(
                        "description".into(),
                        json!(
                            "The error body every error status shares: `{error: {code, message, metadata?}, user_id?}`."
                        ),
                    );
                }
                merged.push((first.clone(), name.clone(), schema));
                name
            }
        };
        let mut sources: Vec<String> = with_body
            .iter()
            .map(|(_, s)| {
                s.get("$ref")
                    .and_then(Value::as_str)
                    .map_or("an inline schema".into(), |r| r.rsplit('/').next().unwrap_or(r).to_owned())
            })
            .collect();
        sources.dedup();
        changes.push(format!(
            "{at}: {operation_id}'s error responses {} used {}; all now $ref {name} (same shape; progenitor needs one error type per operation, progenitor#344)",
            with_body.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>().join("/"),
            sources.join(", ")
        ));
        for (code, _) in &with_body {
            if let Some(slot) = doc.pointer_mut(&format!("{at}/{code}/content/application~1json/schema")) {
                *slot = json!({ "$ref": format!("#/components/schemas/{name}") });
            }
        }
    }

    if let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) {
        for (_, name, schema) in merged {
            schemas.insert(name, schema);
        }
    }
    Ok(changes)
}

fn pascal(id: &str) -> String {
    let mut chars = id.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}
