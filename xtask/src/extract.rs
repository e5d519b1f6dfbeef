//! Step 1: keep the configured operations and the components they reach, nothing else.

use crate::{OperationRef, Options, RegenError};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

/// The component kinds a `$ref` may point into, in the order they are written out.
const KINDS: [&str; 6] = ["schemas", "responses", "parameters", "requestBodies", "headers", "examples"];

/// Escapes one JSON-pointer segment (RFC 6901).
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// Pointer of an operation in a document, e.g. `/paths/~1credits/get`.
pub fn operation_pointer(op: &OperationRef) -> String {
    format!("/paths/{}/{}", escape(&op.path), op.method)
}

/// Builds the fragment's skeleton: `info`, `servers`, the configured operations, their tags, the
/// security schemes they name, and every component they reach.
pub fn extract(
    upstream: &Value,
    existing: Option<&Value>,
    operations: &[OperationRef],
    options: Options,
    summary: &mut Vec<String>,
) -> Result<Value, RegenError> {
    let mut paths = Map::new();
    for op in operations {
        let pointer = operation_pointer(op);
        let found = match upstream.pointer(&pointer) {
            Some(found) => found.clone(),
            None => match existing.and_then(|e| e.pointer(&pointer)).filter(|_| options.keep_missing) {
                Some(kept) => {
                    summary.push(format!(
                        "kept: {op} is missing upstream; its definition was copied from the current fragment (--keep-missing)"
                    ));
                    kept.clone()
                }
                None => {
                    let hint = if existing.and_then(|e| e.pointer(&pointer)).is_some() {
                        "pass --keep-missing to keep the current fragment's definition, or remove it from openapi/regen.yaml"
                    } else {
                        "remove it from openapi/regen.yaml"
                    };
                    return Err(RegenError::at(pointer, format!("operation {op} is missing upstream; {hint}")));
                }
            },
        };
        let item = paths
            .entry(op.path.clone())
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .ok_or_else(|| RegenError::at(&pointer, "path item is not an object"))?;
        item.insert(op.method.clone(), found);
        // Path-level parameters apply to every operation below them; keep them with the operation.
        if let Some(params) = upstream.pointer(&format!("/paths/{}/parameters", escape(&op.path))) {
            item.insert("parameters".into(), params.clone());
        }
    }

    let mut doc = Map::new();
    doc.insert("openapi".into(), json!("3.0.3"));
    for key in ["info", "servers", "security"] {
        if let Some(v) = upstream.get(key) {
            doc.insert(key.into(), v.clone());
        }
    }
    let used_tags: BTreeSet<&str> = paths
        .values()
        .filter_map(Value::as_object)
        .flat_map(|item| item.values())
        .filter_map(|op| op.get("tags").and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if let Some(tags) = upstream.get("tags").and_then(Value::as_array) {
        let kept: Vec<Value> = tags
            .iter()
            .filter(|t| t.get("name").and_then(Value::as_str).is_some_and(|n| used_tags.contains(n)))
            .cloned()
            .collect();
        if !kept.is_empty() {
            doc.insert("tags".into(), Value::Array(kept));
        }
    }
    doc.insert("paths".into(), Value::Object(paths));

    // Components: everything reachable, looked up upstream first and, for operations kept with
    // --keep-missing, in the current fragment.
    let lookup = |kind: &str, name: &str| {
        let p = format!("/components/{kind}/{}", escape(name));
        upstream.pointer(&p).or_else(|| existing.and_then(|e| e.pointer(&p)))
    };
    let mut components = Map::new();
    let mut queue = Vec::new();
    collect_refs(&Value::Object(doc.clone()), "", &mut queue)?;
    while let Some((kind, name, from)) = queue.pop() {
        let bucket = components.entry(kind.clone()).or_insert_with(|| Value::Object(Map::new()));
        let Some(bucket) = bucket.as_object_mut() else { continue };
        if bucket.contains_key(&name) {
            continue;
        }
        let target = lookup(&kind, &name).ok_or_else(|| {
            RegenError::at(from, format!("$ref to #/components/{kind}/{name}, which the document does not define"))
        })?;
        bucket.insert(name.clone(), target.clone());
        collect_refs(target, &format!("/components/{kind}/{}", escape(&name)), &mut queue)?;
    }
    let schemes = security_scheme_names(&Value::Object(doc.clone()));
    if !schemes.is_empty() {
        let mut kept = Map::new();
        for name in schemes {
            if let Some(s) = lookup("securitySchemes", &name) {
                kept.insert(name, s.clone());
            }
        }
        components.insert("securitySchemes".into(), Value::Object(kept));
    }
    doc.insert("components".into(), Value::Object(components));
    Ok(Value::Object(doc))
}

/// Finds every `$ref` below `v` as `(kind, name, pointer of the $ref)`. A reference that leaves
/// the document, or does not point at a component, is an error: regen cannot follow it.
pub fn collect_refs(v: &Value, at: &str, out: &mut Vec<(String, String, String)>) -> Result<(), RegenError> {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let here = format!("{at}/{}", escape(k));
                if k == "$ref" {
                    if let Some(r) = child.as_str() {
                        let mut parts = r.strip_prefix("#/components/").unwrap_or_default().splitn(2, '/');
                        match (parts.next(), parts.next()) {
                            (Some(kind), Some(name)) if !name.contains('/') && KINDS.contains(&kind) => {
                                out.push((kind.to_owned(), unescape(name), here));
                            }
                            _ => {
                                return Err(RegenError::at(
                                    here,
                                    format!(
                                        "cannot follow $ref `{r}`: only #/components/<kind>/<name> refs are supported"
                                    ),
                                ));
                            }
                        }
                    }
                } else {
                    collect_refs(child, &here, out)?;
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                collect_refs(child, &format!("{at}/{i}"), out)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Names used in `security` requirements, top level and per operation.
fn security_scheme_names(doc: &Value) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut add = |reqs: Option<&Value>| {
        for req in reqs.and_then(Value::as_array).into_iter().flatten() {
            if let Some(obj) = req.as_object() {
                names.extend(obj.keys().cloned());
            }
        }
    };
    add(doc.get("security"));
    for item in doc.get("paths").and_then(Value::as_object).into_iter().flat_map(|p| p.values()) {
        for op in item.as_object().into_iter().flat_map(|i| i.values()) {
            add(op.get("security"));
        }
    }
    names
}

/// Drops components nothing references any more (after error unification) and sorts each kind's
/// entries by name, so the output does not depend on the order they were reached in.
pub fn prune_components(doc: &mut Value) {
    let Some(components) = doc.get("components").cloned() else { return };
    let mut reachable: BTreeSet<(String, String)> = BTreeSet::new();
    let mut roots = doc.clone();
    if let Some(obj) = roots.as_object_mut() {
        obj.remove("components");
    }
    let mut queue = Vec::new();
    // The document was already checked by `extract`, so refs here are well-formed.
    let _ = collect_refs(&roots, "", &mut queue);
    while let Some((kind, name, _)) = queue.pop() {
        if reachable.insert((kind.clone(), name.clone()))
            && let Some(target) = components.get(&kind).and_then(|b| b.get(&name))
        {
            let _ = collect_refs(target, "", &mut queue);
        }
    }
    let mut pruned = Map::new();
    for kind in KINDS.iter().copied().chain(["securitySchemes"]) {
        let Some(bucket) = components.get(kind).and_then(Value::as_object) else { continue };
        let mut names: Vec<&String> = bucket
            .keys()
            .filter(|n| kind == "securitySchemes" || reachable.contains(&(kind.to_owned(), (*n).clone())))
            .collect();
        names.sort();
        if names.is_empty() {
            continue;
        }
        let sorted: Map<String, Value> = names.into_iter().map(|n| (n.clone(), bucket[n].clone())).collect();
        pruned.insert(kind.to_owned(), Value::Object(sorted));
    }
    if let Some(obj) = doc.as_object_mut() {
        obj.insert("components".into(), Value::Object(pruned));
    }
}
