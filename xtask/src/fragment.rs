//! Operations: find each configured one in its source, resolve every `$ref` around it (path
//! item, parameters, request body, responses), and rewrite it into the contract's shape.

use crate::RegenError;
use crate::config::{OperationSpec, Selector};
use crate::names::pascal;
use crate::overlay::Edit;
use crate::pointer::{escape, path_pointer};
use crate::schema::{Hoister, Norm, record, strip_markers};
use crate::source::Source;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Display;

/// Headers the client sets itself (app attribution); dropped from every operation.
pub const ATTRIBUTION_HEADERS: [&str; 3] = ["HTTP-Referer", "X-OpenRouter-Title", "X-OpenRouter-Categories"];

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// An operation's keywords copied as they are; with the ones `convert` rewrites (`REWRITTEN`),
/// any other is dropped (in `changes`).
const COPIED: [&str; 5] = ["summary", "description", "operationId", "deprecated", "x-idempotent"];
const REWRITTEN: [&str; 5] = ["tags", "parameters", "requestBody", "responses", "security"];

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
    for (path, mut item) in paths {
        let mut item_ptr = path_pointer(path);
        if let Some(r) = item.get("$ref").and_then(Value::as_str) {
            let Some((p, t)) = r.strip_prefix('#').and_then(|p| src.doc.pointer(p).map(|t| (p, t))) else {
                // Only an error when this is the path we are looking for.
                if matches!(&spec.selector, Selector::Route { path: p, .. } if p == path) {
                    return Err(src.refuse(
                        &format!("{item_ptr}/$ref"),
                        format!(
                            "cannot follow the path item's `$ref: {r}`: only references inside the document are read"
                        ),
                        vec![],
                        "",
                    ));
                }
                continue;
            };
            record(changes, src, &item_ptr, format!("path item $ref {r} inlined"));
            item_ptr = p.to_owned();
            item = t;
        }
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let hit = match &spec.selector {
                Selector::Id(id) => op.get("operationId").and_then(Value::as_str) == Some(id.as_str()),
                Selector::Route { method: m, path: p } => m == method && p == path,
            };
            if hit {
                return Ok(Some(Found {
                    path: path.clone(),
                    method: method.to_owned(),
                    pointer: format!("{item_ptr}/{method}"),
                    op: op.clone(),
                    path_params: parameters(item, &item_ptr),
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

/// The `keys` that `v` has, in that order.
fn pick(v: &Value, keys: &[&str]) -> Map<String, Value> {
    keys.iter().filter_map(|k| Some(((*k).to_owned(), v.get(k)?.clone()))).collect()
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
    let id = operation_id(src, &op, &pointer, &method, &path)?;
    let tags = tags(src, &op, &pointer, &id)?;
    let mut out: Map<String, Value> =
        [("tags".to_owned(), json!(tags))].into_iter().chain(pick(&op, &COPIED)).collect();
    let mut cx = Conversion { src, source: src_index, id, hoister, changes };
    let keys = op.as_object().into_iter().flat_map(Map::keys).map(String::as_str);
    let dropped: Vec<&str> = keys.filter(|k| !COPIED.contains(k) && !REWRITTEN.contains(k)).collect();
    if !dropped.is_empty() {
        cx.change(&pointer, format!("dropped {}", dropped.join(", ")));
    }

    // Security: explicit when it differs from the fragment's global one.
    let effective = op.get("security").or_else(|| src.doc.get("security")).cloned().unwrap_or(json!([]));
    let mut schemes = Vec::new();
    for k in effective.as_array().into_iter().flatten().filter_map(Value::as_object).flat_map(Map::keys) {
        if !schemes.contains(k) {
            schemes.push(k.clone());
        }
    }
    if &effective != main_security {
        out.insert("security".into(), effective);
    }

    let params = cx.parameters(&path_params, &parameters(&op, &pointer))?;
    if !params.is_empty() {
        out.insert("parameters".into(), Value::Array(params));
    }
    if let Some(body) = op.get("requestBody") {
        out.insert("requestBody".into(), cx.request_body(body, &pointer)?);
    }
    let (responses, errors) = cx.responses(&op, &pointer)?;
    out.insert("responses".into(), responses);
    Ok(Converted { path, method, op: Value::Object(out), errors, tags, schemes, source: src_index })
}

/// The operationId, which must be camelCase (it names the method).
fn operation_id(src: &Source, op: &Value, pointer: &str, method: &str, path: &str) -> Result<String, RegenError> {
    let id = op.get("operationId").and_then(Value::as_str).map(str::to_owned);
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
fn tags(src: &Source, op: &Value, pointer: &str, id: &str) -> Result<Vec<String>, RegenError> {
    let list = op.get("tags").and_then(Value::as_array).into_iter().flatten();
    let tags: Vec<String> = list.filter_map(Value::as_str).map(str::to_owned).collect();
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

/// `content: {application/json: {example?, schema}}`.
fn json_content(schema: Value, example: Option<Value>) -> Value {
    let mut media = example.map_or(json!({}), |e| json!({"example": e}));
    media["schema"] = schema;
    json!({"application/json": media})
}

/// A response's `description` (3.0 requires one), the start of its contract shape.
fn described(resp: &Value) -> Value {
    json!({"description": resp.get("description").cloned().unwrap_or(json!(""))})
}

/// One operation being converted: where it was read, its id (which each of its refusals and
/// `changes` lines names), and the hoisted components and changes it adds to.
struct Conversion<'a> {
    src: &'a Source,
    /// Index of the source, for the error schemas it returns.
    source: usize,
    id: String,
    hoister: &'a mut Hoister,
    changes: &'a mut BTreeSet<String>,
}

impl<'a> Conversion<'a> {
    /// Records a rewrite of this operation at `at` (`file#at: id: what`).
    fn change(&mut self, at: &str, what: impl Display) {
        record(self.changes, self.src, at, format!("{}: {what}", self.id));
    }

    /// Refuses something of this operation at `at` (its message starts with the id).
    fn refuse(&self, at: &str, what: impl Display, edits: Vec<(String, Edit)>, why: &str) -> RegenError {
        self.src.refuse(at, format!("{}: {what}", self.id), edits, why)
    }

    /// Follows `$ref: '#/components/<kind>/X'` (for parameters, responses, request bodies, examples).
    fn deref<'v>(&mut self, mut v: &'v Value, ptr: &str) -> Result<(&'v Value, String), RegenError>
    where
        'a: 'v,
    {
        let src: &'a Source = self.src;
        let mut ptr = ptr.to_owned();
        for _ in 0..16 {
            let Some(r) = v.get("$ref").and_then(Value::as_str) else { return Ok((v, ptr)) };
            let Some((p, t)) = r.strip_prefix('#').and_then(|p| src.doc.pointer(p).map(|t| (p, t))) else {
                return Err(src.refuse(&format!("{ptr}/$ref"), format!("cannot follow `$ref: {r}`"), vec![], ""));
            };
            record(self.changes, src, &ptr, format!("$ref {r} inlined"));
            v = t;
            ptr = p.to_owned();
        }
        Err(src.refuse(&ptr, "too many chained `$ref`s", vec![], ""))
    }

    /// Hoists a body's schema into the component at `<id> <at>`, named `<Id><name>` by default.
    fn hoist(&mut self, schema: Value, at: &str, name: &str) -> Result<Value, RegenError> {
        self.hoister.hoist(schema, &format!("{} {at}", self.id), &format!("{}{name}", pascal(&self.id)), true)
    }

    /// The parameters in contract shape: path-level ones first, an operation-level one
    /// overriding one of the same (name, in).
    fn parameters(&mut self, path: &[(String, Value)], op: &[(String, Value)]) -> Result<Vec<Value>, RegenError> {
        let mut resolved: Vec<(String, Value, bool)> = Vec::new();
        for (level_path, list) in [(true, path), (false, op)] {
            for (ptr, p) in list {
                let (p, at) = self.deref(p, ptr)?;
                let key = (p.get("name"), p.get("in"));
                resolved.retain(|(_, q, _)| (q.get("name"), q.get("in")) != key);
                resolved.push((at, p.clone(), level_path));
            }
        }
        let mut kept = Vec::new();
        for (at, p, level_path) in resolved {
            kept.extend(self.parameter(&at, &p, level_path)?);
        }
        Ok(kept)
    }

    /// One parameter in contract shape, or `None` when it is dropped (headers, cookies).
    fn parameter(&mut self, at: &str, p: &Value, level_path: bool) -> Result<Option<Value>, RegenError> {
        let name = p.get("name").and_then(Value::as_str).unwrap_or_default();
        let location = p.get("in").and_then(Value::as_str).unwrap_or_default();
        match location {
            "path" | "query" => {}
            "header" | "cookie" => return self.header_or_cookie(at, p, name, location).map(|()| None),
            other => {
                let edits = vec![(at.to_owned(), Edit::Remove)];
                return Err(self.refuse(at, format!("parameter `{name}` is `in: {other}`"), edits, "drop it"));
            }
        }
        let schema = self.parameter_schema(at, p, name, location)?;
        let mut q = pick(p, &["name", "in", "description", "required", "deprecated", "style", "explode"]);
        if location == "path" {
            q.insert("required".into(), json!(true));
        }
        q.insert("schema".into(), schema);
        if level_path {
            self.change(at, format!("path-level parameter {name} moved onto the operation"));
        }
        Ok(Some(Value::Object(q)))
    }

    /// A header or cookie parameter: dropped (in `changes`), or refused when it is required.
    fn header_or_cookie(&mut self, at: &str, p: &Value, name: &str, location: &str) -> Result<(), RegenError> {
        if ATTRIBUTION_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name)) {
            let why = "attribution headers are set by the client, `ClientBuilder`";
            self.change(at, format!("header parameter {name} dropped ({why})"));
        } else if !p.get("required").and_then(Value::as_bool).unwrap_or(false) {
            let why = format!("the SDK sends no per-call {location}s");
            self.change(at, format!("optional {location} parameter {name} dropped ({why})"));
        } else {
            return Err(self.refuse(
                at,
                format!("required {location} parameter `{name}`: the SDK sends no per-call {location}s"),
                vec![(at.to_owned(), Edit::Remove)],
                &format!("drop the {location} parameter {name}"),
            ));
        }
        Ok(())
    }

    /// A path or query parameter's schema, normalized: a primitive, or in the query an array of
    /// them.
    fn parameter_schema(&mut self, at: &str, p: &Value, name: &str, location: &str) -> Result<Value, RegenError> {
        let Some(schema) = p.get("schema") else {
            return Err(self.refuse(
                at,
                format!("parameter `{name}` has no `schema` (a `content` parameter cannot be generated)"),
                vec![(at.to_owned(), Edit::Update(json!({"schema": {"type": "string"}})))],
                "a plain string parameter",
            ));
        };
        let schema_at = format!("{at}/schema");
        let mut schema = Norm::new(self.src, self.changes).normalize(schema, &schema_at)?;
        strip_markers(&mut schema);
        // A query parameter may be an array of primitives (`?ids=a&ids=b`, or `?ids=a,b` with
        // `style: form, explode: false`).
        let primitive = |s: &Value| {
            let t = s.get("type").and_then(Value::as_str);
            matches!(t, Some("string" | "integer" | "number" | "boolean")) && s.get("properties").is_none()
        };
        let array = location == "query"
            && schema.get("type").and_then(Value::as_str) == Some("array")
            && schema.get("items").is_some_and(primitive);
        if !(primitive(&schema) || array) {
            return Err(self.refuse(
                &schema_at,
                format!("parameter `{name}` is not a primitive (string, integer, number, boolean)"),
                vec![(schema_at.clone(), Edit::Update(json!({"type": "string"})))],
                "send it as a string",
            ));
        }
        Ok(schema)
    }

    /// The JSON body `holder` (a request body or a response at `at`) has, if any: its schema
    /// normalized, with the media type's example; other media types are dropped (in `changes`).
    fn json_media(&mut self, holder: &Value, at: &str) -> Result<Option<(Value, Option<Value>)>, RegenError> {
        let Some(media) = holder.pointer("/content/application~1json") else { return Ok(None) };
        for other in holder.get("content").and_then(Value::as_object).into_iter().flat_map(Map::keys) {
            if other != "application/json" {
                self.change(&format!("{at}/content/{}", escape(other)), format!("{other} body dropped (JSON only)"));
            }
        }
        let mpath = format!("{at}/content/application~1json");
        let schema = media.get("schema").cloned().unwrap_or(json!({}));
        let norm = Norm::new(self.src, self.changes).normalize(&schema, &format!("{mpath}/schema"))?;
        Ok(Some((norm, self.media_example(media, &mpath)?)))
    }

    /// The media type's `example`, or the first of its `examples` (3.1) as 3.0's singular one.
    fn media_example(&mut self, media: &Value, at: &str) -> Result<Option<Value>, RegenError> {
        if let Some(e) = media.get("example") {
            return Ok(Some(e.clone()));
        }
        let Some((name, first)) = media.get("examples").and_then(Value::as_object).and_then(|m| m.iter().next()) else {
            return Ok(None);
        };
        let (ex, _) = self.deref(first, &format!("{at}/examples/{}", escape(name)))?;
        record(self.changes, self.src, at, format!("examples -> example (the first, `{name}`)"));
        Ok(ex.get("value").cloned())
    }

    /// The request body: a JSON object, hoisted into `<id> request`.
    fn request_body(&mut self, body: &Value, pointer: &str) -> Result<Value, RegenError> {
        let (body, at) = self.deref(body, &format!("{pointer}/requestBody"))?;
        let schema_at = format!("{at}/content/application~1json/schema");
        let (why, refused_at) = match self.json_media(body, &at)? {
            None => ("application/json", &at),
            Some((norm, _)) if norm.get("properties").is_none() => ("an object with properties", &schema_at),
            Some((norm, example)) => {
                let r = self.hoist(norm, "request", "Request")?;
                let mut b = pick(body, &["description", "required"]);
                b.insert("content".into(), json_content(r, example));
                return Ok(Value::Object(b));
            }
        };
        let edits = vec![(at.clone(), Edit::Remove)];
        Err(self.refuse(refused_at, format!("the request body is not {why}"), edits, "drop the request body"))
    }

    /// The responses in status order: one success, the lowest 2xx with a body (else the lowest),
    /// and every 4xx and 5xx declaring the shared `ErrorResponse` (their schemas returned for the
    /// merge); the other successes and statuses are dropped (in `changes`).
    fn responses(&mut self, op: &Value, pointer: &str) -> Result<(Value, Vec<ErrorSchema>), RegenError> {
        let rptr = format!("{pointer}/responses");
        let (mut success, mut failures) = (Vec::new(), Vec::new());
        for (code, resp) in op.get("responses").and_then(Value::as_object).into_iter().flatten() {
            let here = format!("{rptr}/{}", escape(code));
            let (resp, at) = self.deref(resp, &here)?;
            if is_status(code, '2') {
                success.push((code, resp, at));
            } else if is_status(code, '4') || is_status(code, '5') {
                failures.push((code, resp, at));
            } else if code == "default" {
                let why = "the contract has one success type; undocumented statuses stay errors";
                self.change(&here, format!("`default` response dropped ({why})"));
            } else {
                self.change(&here, format!("{code} response dropped (only 2xx, 4xx and 5xx are generated)"));
            }
        }
        // Status order, whatever order upstream (or the overlay) listed them in.
        let mut out = BTreeMap::new();
        success.sort_by_key(|s| s.0);
        let chosen = success.iter().position(|(_, r, _)| r.get("content").is_some()).unwrap_or(0);
        for (i, (code, resp, at)) in success.iter().enumerate() {
            if i == chosen {
                out.insert((*code).clone(), self.success(code, resp, at)?);
            } else {
                let why = format!("one success type per operation; {} kept", success[chosen].0);
                self.change(at, format!("{code} response dropped ({why})"));
            }
        }
        let mut errors = Vec::new();
        for (code, resp, at) in failures {
            out.insert(code.clone(), self.failure(code, resp, &at, &mut errors)?);
        }
        if out.is_empty() {
            return Err(self.refuse(
                &rptr,
                "no 2xx, 4xx or 5xx response",
                vec![(rptr.clone(), Edit::Update(json!({"200": {"description": "OK"}})))],
                "a success without body",
            ));
        }
        Ok((Value::Object(out.into_iter().collect()), errors))
    }

    /// An error response, declaring the shared `ErrorResponse`; its JSON schema goes to `errors`
    /// for the merge.
    fn failure(
        &mut self,
        code: &str,
        resp: &Value,
        at: &str,
        errors: &mut Vec<ErrorSchema>,
    ) -> Result<Value, RegenError> {
        let example = match self.json_media(resp, at)? {
            Some((schema, example)) => {
                let (operation, status) = (self.id.clone(), code.to_owned());
                errors.push(ErrorSchema { operation, status, source: self.source, schema });
                example
            }
            None => {
                let why = "it now declares ErrorResponse like every error status (`ApiError::body` has one type)";
                self.change(at, format!("{code} had no JSON body; {why}"));
                None
            }
        };
        let mut r = described(resp);
        r["content"] = json_content(json!({"$ref": "#/components/schemas/ErrorResponse"}), example);
        Ok(r)
    }

    /// The success kept, its JSON body's schema hoisted into `<id> <status>`.
    fn success(&mut self, code: &str, resp: &Value, at: &str) -> Result<Value, RegenError> {
        let mut r = described(resp);
        if resp.get("content").is_none() {
            return Ok(r);
        }
        let Some((norm, example)) = self.json_media(resp, at)? else {
            let content = format!("{at}/content");
            return Err(self.refuse(
                &content,
                format!("the {code} response has no application/json body; the SDK decodes JSON only"),
                vec![(content.clone(), Edit::Remove)],
                "no body",
            ));
        };
        let sref = self.hoist(norm, code, "Response")?;
        r["content"] = json_content(sref, example);
        Ok(r)
    }
}
