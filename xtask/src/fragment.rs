//! Operations: find each configured one in its source, resolve every `$ref` around it (path
//! item, parameters, request body, responses), and rewrite it into the contract's shape.

use crate::RegenError;
use crate::config::{OperationSpec, Selector};
use crate::names::pascal;
use crate::overlay::Edit;
use crate::pointer::{escape, path_pointer};
use crate::schema::{Hoister, Norm};
use crate::source::Source;
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

/// Headers the client sets itself (app attribution); dropped from every operation.
pub const ATTRIBUTION_HEADERS: [&str; 3] = ["HTTP-Referer", "X-OpenRouter-Title", "X-OpenRouter-Categories"];

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// An operation found upstream, before conversion.
pub struct Found {
    pub path: String,
    pub method: String,
    /// Pointer of the operation object (after path-item `$ref` resolution).
    pub pointer: String,
    pub op: Value,
    /// Path-level parameters, with their pointers.
    pub path_params: Vec<(String, Value)>,
}

/// Looks an operation up by `operationId` or `METHOD /path`, following a path item's `$ref`.
pub fn find(src: &Source, spec: &OperationSpec, changes: &mut BTreeSet<String>) -> Result<Option<Found>, RegenError> {
    let Some(paths) = src.doc.get("paths").and_then(Value::as_object) else { return Ok(None) };
    for (path, item) in paths {
        let mut item_ptr = path_pointer(path);
        let mut item = item;
        if let Some(r) = item.get("$ref").and_then(Value::as_str) {
            let at = format!("{item_ptr}/$ref");
            let target = r.strip_prefix('#').and_then(|p| src.doc.pointer(p).map(|t| (p, t)));
            match target {
                Some((p, t)) => {
                    changes.insert(format!("{}#{item_ptr}: path item $ref {r} inlined", src.name));
                    item_ptr = p.to_owned();
                    item = t;
                }
                None => {
                    // Only an error when this is the path we are looking for.
                    if matches!(&spec.selector, Selector::Route { path: p, .. } if p == path) {
                        return Err(src.refuse(
                            &at,
                            format!("cannot follow the path item's `$ref: {r}`: only references inside the document are read"),
                            vec![],
                            "",
                        ));
                    }
                    continue;
                }
            }
        }
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let hit = match &spec.selector {
                Selector::Id(id) => op.get("operationId").and_then(Value::as_str) == Some(id.as_str()),
                Selector::Route { method: m, path: p } => m == method && p == path,
            };
            if hit {
                let path_params = parameters(item, &item_ptr);
                return Ok(Some(Found {
                    path: path.clone(),
                    method: method.to_owned(),
                    pointer: format!("{item_ptr}/{method}"),
                    op: op.clone(),
                    path_params,
                }));
            }
        }
    }
    Ok(None)
}

/// The `parameters` listed on `holder` (a path item or an operation at `ptr`), with their pointers.
fn parameters(holder: &Value, ptr: &str) -> Vec<(String, Value)> {
    let list = holder.get("parameters").and_then(Value::as_array);
    list.into_iter().flatten().enumerate().map(|(i, p)| (format!("{ptr}/parameters/{i}"), p.clone())).collect()
}

/// Follows `$ref: '#/components/<kind>/X'` (for parameters, responses, request bodies, examples).
fn deref<'a>(
    src: &'a Source,
    v: &'a Value,
    ptr: &str,
    changes: &mut BTreeSet<String>,
) -> Result<(&'a Value, String), RegenError> {
    let mut v = v;
    let mut ptr = ptr.to_owned();
    for _ in 0..16 {
        let Some(r) = v.get("$ref").and_then(Value::as_str) else { return Ok((v, ptr)) };
        let at = format!("{ptr}/$ref");
        let target = r.strip_prefix('#').and_then(|p| src.doc.pointer(p).map(|t| (p.to_owned(), t)));
        let Some((p, t)) = target else {
            return Err(src.refuse(&at, format!("cannot follow `$ref: {r}`"), vec![], ""));
        };
        changes.insert(format!("{}#{ptr}: $ref {r} inlined", src.name));
        v = t;
        ptr = p;
    }
    Err(src.refuse(&ptr, "too many chained `$ref`s", vec![], ""))
}

fn is_camel(id: &str) -> bool {
    id.chars().next().is_some_and(|c| c.is_ascii_lowercase()) && id.chars().all(|c| c.is_ascii_alphanumeric())
}

fn camel(id: &str) -> String {
    let p = pascal(id);
    let mut c = p.chars();
    c.next().map(|f| f.to_ascii_lowercase().to_string() + c.as_str()).unwrap_or_default()
}

/// An error response's schema, normalized but not yet merged into `ErrorResponse`.
pub struct ErrorSchema {
    pub operation: String,
    pub status: String,
    pub source: usize,
    pub schema: Value,
}

/// An operation in contract shape, plus what it contributes elsewhere.
pub struct Converted {
    pub path: String,
    pub method: String,
    pub op: Value,
    pub errors: Vec<ErrorSchema>,
    pub tags: Vec<String>,
    pub schemes: Vec<String>,
    /// Index of the source it was read from.
    pub source: usize,
}

fn is_status(code: &str, first: char) -> bool {
    code.len() == 3 && code.starts_with(first) && code[1..].chars().all(|c| c.is_ascii_digit() || c == 'X' || c == 'x')
}

/// Rewrites one found operation. `main_security` is the fragment's global `security`.
pub fn convert(
    src: &Source,
    src_index: usize,
    found: Found,
    main_security: &Value,
    hoister: &mut Hoister,
    changes: &mut BTreeSet<String>,
) -> Result<Converted, RegenError> {
    let Found { path, method, pointer, op, path_params } = found;
    let op_obj = op.as_object().cloned().unwrap_or_default();
    let mut out = Map::new();
    let id = operation_id(src, &op_obj, &pointer, &method, &path)?;
    let tags = tags(src, &op_obj, &pointer, &id)?;
    out.insert("tags".into(), json!(tags));
    for key in ["summary", "description", "operationId", "deprecated", "x-idempotent"] {
        if let Some(v) = op_obj.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    let known =
        "tags summary description operationId deprecated x-idempotent parameters requestBody responses security";
    let dropped: Vec<&str> = op_obj.keys().map(String::as_str).filter(|k| !known.split(' ').any(|w| w == *k)).collect();
    if !dropped.is_empty() {
        changes.insert(format!("{}#{pointer}: {id}: dropped {}", src.name, dropped.join(", ")));
    }

    // Security: explicit when it differs from the fragment's global one.
    let effective = op_obj.get("security").or_else(|| src.doc.get("security")).cloned().unwrap_or(json!([]));
    let mut schemes = Vec::new();
    for req in effective.as_array().into_iter().flatten() {
        for k in req.as_object().into_iter().flat_map(|o| o.keys()) {
            if !schemes.contains(k) {
                schemes.push(k.clone());
            }
        }
    }
    if &effective != main_security {
        out.insert("security".into(), effective);
    }

    // Parameters: path-level first, operation-level override by (name, in).
    let op_params = parameters(&op, &pointer);
    let mut resolved: Vec<(String, Value, bool)> = Vec::new();
    for (level_path, list) in [(true, &path_params), (false, &op_params)] {
        for (ptr, p) in list {
            let (p, at) = deref(src, p, ptr, changes)?;
            let key = (p.get("name").cloned(), p.get("in").cloned());
            resolved.retain(|(_, q, _)| (q.get("name").cloned(), q.get("in").cloned()) != key);
            resolved.push((at, p.clone(), level_path));
        }
    }
    let mut kept_params = Vec::new();
    for (at, p, level_path) in resolved {
        kept_params.extend(parameter(src, &id, &at, &p, level_path, changes)?);
    }
    if !kept_params.is_empty() {
        out.insert("parameters".into(), Value::Array(kept_params));
    }
    if let Some(body) = op_obj.get("requestBody") {
        out.insert("requestBody".into(), request_body(src, &id, body, &pointer, hoister, changes)?);
    }
    let (responses, errors) = responses(src, src_index, &id, &op_obj, &pointer, hoister, changes)?;
    out.insert("responses".into(), responses);
    Ok(Converted { path, method, op: Value::Object(out), errors, tags, schemes, source: src_index })
}

/// The operationId, which must be camelCase (it names the method).
fn operation_id(
    src: &Source,
    op_obj: &Map<String, Value>,
    pointer: &str,
    method: &str,
    path: &str,
) -> Result<String, RegenError> {
    let id = op_obj.get("operationId").and_then(Value::as_str).map(str::to_owned);
    match id {
        Some(id) if is_camel(&id) => Ok(id),
        other => {
            let suggested = camel(other.as_deref().unwrap_or(&format!("{method} {path}")));
            Err(src.refuse(
                pointer,
                format!(
                    "{} {path}: the SDK needs a camelCase `operationId` (it names the method){}",
                    method.to_uppercase(),
                    other.map(|o| format!("; `{o}` is not camelCase")).unwrap_or_default()
                ),
                vec![(pointer.to_owned(), Edit::Update(json!({"operationId": suggested})))],
                "a camelCase operationId",
            ))
        }
    }
}

/// The tags; tags[0] decides the client accessor.
fn tags(src: &Source, op_obj: &Map<String, Value>, pointer: &str, id: &str) -> Result<Vec<String>, RegenError> {
    let tags: Vec<String> = op_obj
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect();
    if tags.is_empty() {
        return Err(src.refuse(
            pointer,
            format!("{id}: no `tags`; tags[0] decides the client accessor"),
            vec![(pointer.to_owned(), Edit::Update(json!({"tags": ["Credits"]})))],
            "tag the operation",
        ));
    }
    Ok(tags)
}

/// One parameter in contract shape, or `None` when it is dropped (headers, cookies).
fn parameter(
    src: &Source,
    id: &str,
    at: &str,
    p: &Value,
    level_path: bool,
    changes: &mut BTreeSet<String>,
) -> Result<Option<Value>, RegenError> {
    let name = p.get("name").and_then(Value::as_str).unwrap_or_default().to_owned();
    let location = p.get("in").and_then(Value::as_str).unwrap_or_default().to_owned();
    let required = p.get("required").and_then(Value::as_bool).unwrap_or(false);
    match location.as_str() {
        "header" | "cookie" => {
            if ATTRIBUTION_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(&name)) {
                changes.insert(format!(
                    "{}#{at}: {id}: header parameter {name} dropped (attribution headers are set by the client, `ClientBuilder`)",
                    src.name
                ));
            } else if !required {
                changes.insert(format!("{}#{at}: {id}: optional {location} parameter {name} dropped (the SDK sends no per-call {location}s)", src.name));
            } else {
                return Err(src.refuse(
                    at,
                    format!("{id}: required {location} parameter `{name}`: the SDK sends no per-call {location}s"),
                    vec![(at.to_owned(), Edit::Remove)],
                    &format!("drop the {location} parameter {name}"),
                ));
            }
            return Ok(None);
        }
        "path" | "query" => {}
        other => {
            return Err(src.refuse(
                at,
                format!("{id}: parameter `{name}` is `in: {other}`"),
                vec![(at.to_owned(), Edit::Remove)],
                "drop it",
            ));
        }
    }
    let Some(schema) = p.get("schema") else {
        return Err(src.refuse(
            at,
            format!("{id}: parameter `{name}` has no `schema` (a `content` parameter cannot be generated)"),
            vec![(at.to_owned(), Edit::Update(json!({"schema": {"type": "string"}})))],
            "a plain string parameter",
        ));
    };
    let mut schema = Norm::new(src, changes).normalize(schema, &format!("{at}/schema"))?;
    crate::schema::strip_markers(&mut schema);
    // A query parameter may be an array of primitives (`?ids=a&ids=b`, or `?ids=a,b` with
    // `style: form, explode: false`).
    let primitive = |s: &Value| {
        s.get("type").and_then(Value::as_str).is_some_and(|t| ["string", "integer", "number", "boolean"].contains(&t))
            && s.get("properties").is_none()
    };
    let array = location == "query"
        && schema.get("type").and_then(Value::as_str) == Some("array")
        && schema.get("items").is_some_and(primitive);
    if !(primitive(&schema) || array) {
        return Err(src.refuse(
            &format!("{at}/schema"),
            format!("{id}: parameter `{name}` is not a primitive (string, integer, number, boolean)"),
            vec![(format!("{at}/schema"), Edit::Update(json!({"type": "string"})))],
            "send it as a string",
        ));
    }
    let mut q = Map::new();
    for key in ["name", "in", "description", "required", "deprecated", "style", "explode"] {
        if let Some(v) = p.get(key) {
            q.insert(key.into(), v.clone());
        }
    }
    if location == "path" {
        q.insert("required".into(), json!(true));
    }
    q.insert("schema".into(), schema);
    if level_path {
        changes.insert(format!("{}#{at}: {id}: path-level parameter {name} moved onto the operation", src.name));
    }
    Ok(Some(Value::Object(q)))
}

/// The JSON body `holder` (a request body or a response at `at`) has, if any: its schema
/// normalized, with the media type's example; other media types are dropped (in `changes`).
fn json_media(
    src: &Source,
    holder: &Value,
    at: &str,
    id: &str,
    changes: &mut BTreeSet<String>,
) -> Result<Option<(Value, Option<Value>)>, RegenError> {
    let Some(media) = holder.pointer("/content/application~1json") else { return Ok(None) };
    for other in holder.get("content").and_then(Value::as_object).into_iter().flat_map(|c| c.keys()) {
        if other != "application/json" {
            changes.insert(format!(
                "{}#{at}/content/{}: {id}: {other} body dropped (JSON only)",
                src.name,
                escape(other)
            ));
        }
    }
    let mpath = format!("{at}/content/application~1json");
    let schema = media.get("schema").cloned().unwrap_or(json!({}));
    let norm = Norm::new(src, changes).normalize(&schema, &format!("{mpath}/schema"))?;
    Ok(Some((norm, media_example(src, media, &mpath, changes)?)))
}

/// `content: {application/json: {example?, schema}}`.
fn json_content(schema: Value, example: Option<Value>) -> Value {
    let mut m = Map::new();
    if let Some(e) = example {
        m.insert("example".into(), e);
    }
    m.insert("schema".into(), schema);
    json!({"application/json": Value::Object(m)})
}

/// The request body: a JSON object, hoisted into `<id> request`.
fn request_body(
    src: &Source,
    id: &str,
    body: &Value,
    pointer: &str,
    hoister: &mut Hoister,
    changes: &mut BTreeSet<String>,
) -> Result<Value, RegenError> {
    let (body, at) = deref(src, body, &format!("{pointer}/requestBody"), changes)?;
    let refuse = |why: &str, at_: String| {
        src.refuse(
            &at_,
            format!("{id}: the request body is not {why}"),
            vec![(at.clone(), Edit::Remove)],
            "drop the request body",
        )
    };
    let Some((norm, example)) = json_media(src, body, &at, id, changes)? else {
        return Err(refuse("application/json", at.clone()));
    };
    if norm.get("properties").is_none() {
        return Err(refuse("an object with properties", format!("{at}/content/application~1json/schema")));
    }
    let r = hoister.hoist(norm, &format!("{id} request"), &format!("{}Request", pascal(id)), true)?;
    let mut b = Map::new();
    for key in ["description", "required"] {
        if let Some(v) = body.get(key) {
            b.insert(key.into(), v.clone());
        }
    }
    b.insert("content".into(), json_content(r, example));
    Ok(Value::Object(b))
}

/// A response at `at` (after `$ref`s), and its status.
type Response = (String, Value, String);

/// The responses in status order: the first 2xx with a body (hoisted into `<id> <status>`),
/// every 4xx and 5xx declaring the shared `ErrorResponse` (their schemas returned for the merge).
fn responses(
    src: &Source,
    src_index: usize,
    id: &str,
    op_obj: &Map<String, Value>,
    pointer: &str,
    hoister: &mut Hoister,
    changes: &mut BTreeSet<String>,
) -> Result<(Value, Vec<ErrorSchema>), RegenError> {
    let rptr = format!("{pointer}/responses");
    let (success, failures) = classify(src, id, op_obj, &rptr, changes)?;
    let mut out = Map::new();
    if let Some((code, r)) = success_response(src, id, success, hoister, changes)? {
        out.insert(code, r);
    }
    let mut errors = Vec::new();
    for (code, resp, at) in failures {
        let mut r = Map::new();
        r.insert("description".into(), resp.get("description").cloned().unwrap_or(json!("")));
        let example = match json_media(src, &resp, &at, id, changes)? {
            Some((schema, example)) => {
                let (operation, status) = (id.to_owned(), code.clone());
                errors.push(ErrorSchema { operation, status, source: src_index, schema });
                example
            }
            None => {
                changes.insert(format!(
                    "{}#{at}: {id}: {code} had no JSON body; it now declares ErrorResponse like every error status (progenitor needs one error type)",
                    src.name
                ));
                None
            }
        };
        r.insert("content".into(), json_content(json!({"$ref": "#/components/schemas/ErrorResponse"}), example));
        out.insert(code, Value::Object(r));
    }
    if out.is_empty() {
        return Err(src.refuse(
            &rptr,
            format!("{id}: no 2xx, 4xx or 5xx response"),
            vec![(rptr.clone(), Edit::Update(json!({"200": {"description": "OK"}})))],
            "a success without body",
        ));
    }
    // Status order, whatever order upstream (or the overlay) listed them in.
    let mut sorted: Vec<(String, Value)> = out.into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    Ok((Value::Object(sorted.into_iter().collect()), errors))
}

/// The successes (sorted) and the 4xx/5xx responses; any other status is dropped (in `changes`).
fn classify(
    src: &Source,
    id: &str,
    op_obj: &Map<String, Value>,
    rptr: &str,
    changes: &mut BTreeSet<String>,
) -> Result<(Vec<Response>, Vec<Response>), RegenError> {
    let (mut success, mut failures) = (Vec::new(), Vec::new());
    for (code, resp) in op_obj.get("responses").and_then(Value::as_object).into_iter().flatten() {
        let here = format!("{rptr}/{}", escape(code));
        let (resp, at) = deref(src, resp, &here, changes)?;
        if is_status(code, '2') {
            success.push((code.clone(), resp.clone(), at));
        } else if is_status(code, '4') || is_status(code, '5') {
            failures.push((code.clone(), resp.clone(), at));
        } else if code == "default" {
            changes.insert(format!(
                "{}#{here}: {id}: `default` response dropped (progenitor counts it as success and error at once; undocumented statuses stay errors)",
                src.name
            ));
        } else {
            changes.insert(format!(
                "{}#{here}: {id}: {code} response dropped (only 2xx, 4xx and 5xx are generated)",
                src.name
            ));
        }
    }
    success.sort_by(|a, b| a.0.cmp(&b.0));
    Ok((success, failures))
}

/// The one success kept: the lowest 2xx with a body (else the lowest), its schema hoisted into
/// `<id> <status>`; the others are dropped (in `changes`).
fn success_response(
    src: &Source,
    id: &str,
    success: Vec<Response>,
    hoister: &mut Hoister,
    changes: &mut BTreeSet<String>,
) -> Result<Option<(String, Value)>, RegenError> {
    let chosen = success.iter().position(|(_, r, _)| r.get("content").is_some()).unwrap_or(0);
    let mut kept = None;
    for (i, (code, resp, at)) in success.iter().enumerate() {
        if i != chosen {
            let why = format!("one success type per operation; {} kept", success[chosen].0);
            changes.insert(format!("{}#{at}: {id}: {code} response dropped ({why})", src.name));
            continue;
        }
        let mut r = Map::new();
        r.insert("description".into(), resp.get("description").cloned().unwrap_or(json!("")));
        if resp.get("content").is_some() {
            let Some((norm, example)) = json_media(src, resp, at, id, changes)? else {
                return Err(src.refuse(
                    &format!("{at}/content"),
                    format!("{id}: the {code} response has no application/json body; the SDK decodes JSON only"),
                    vec![(format!("{at}/content"), Edit::Remove)],
                    "no body",
                ));
            };
            let sref = hoister.hoist(norm, &format!("{id} {code}"), &format!("{}Response", pascal(id)), true)?;
            r.insert("content".into(), json_content(sref, example));
        }
        kept = Some((code.clone(), Value::Object(r)));
    }
    Ok(kept)
}

/// The media type's `example`, or the first of its `examples` (3.1) as 3.0's singular one.
fn media_example(
    src: &Source,
    media: &Value,
    at: &str,
    changes: &mut BTreeSet<String>,
) -> Result<Option<Value>, RegenError> {
    if let Some(e) = media.get("example") {
        return Ok(Some(e.clone()));
    }
    let Some((name, first)) = media.get("examples").and_then(Value::as_object).and_then(|m| m.iter().next()) else {
        return Ok(None);
    };
    let here = format!("{at}/examples/{}", escape(name));
    let (ex, _) = deref(src, first, &here, changes)?;
    changes.insert(format!("{}#{at}: examples -> example (the first, `{name}`)", src.name));
    Ok(ex.get("value").cloned())
}
