//! The fragment's contract, stated once (ARCHITECTURE.md says it in words): what `build.rs` relies
//! on. [`check`] lists every breach with its JSON pointer; `model::read` runs it before reading the
//! fragment (so `build.rs` refuses what it cannot use), and regen runs it as its last step
//! (`xtask::contract`), so a fragment that breaks it is never written. The reader (`model.rs`)
//! then takes the shape for granted.

use super::TypeMap;
use serde_json::Value;

const PRIMITIVES: [&str; 4] = ["string", "integer", "number", "boolean"];
const CREDENTIALS: [&str; 3] = ["api-key", "management-key", "per-call"];
pub(crate) const METHODS: [&str; 7] = ["get", "put", "post", "delete", "options", "head", "patch"];
/// Formats typify maps to a Rust number type; with the crate's own (`TypeMap::formats`), the only
/// ones the fragment keeps.
pub const NUMERIC_FORMATS: [&str; 4] = ["double", "float", "int32", "int64"];

/// The keywords a fragment schema may have: OpenAPI 3.0's, without those that only 3.1 has, that
/// regen rewrites (`const`, `examples`, `anyOf`, `oneOf`) or removes (`title`, `$comment`…).
const KEYWORDS: &str = "$ref allOf type format description example nullable enum default deprecated readOnly \
     writeOnly properties required items additionalProperties minimum maximum exclusiveMinimum exclusiveMaximum \
     minLength maxLength pattern minItems maxItems uniqueItems multipleOf discriminator";

/// Keywords a string of a typed format may carry: the type says the rest. typify maps such a
/// string to the crate's type only when its schema is exactly `type` and `format` (annotations
/// aside), so `nullable`, `maxLength`, `enum`… would leave it a `String` in the generated types
/// while the builder parsed it, and a rule the type does not check would be documented.
const TYPED_FORMAT_KEYWORDS: [&str; 8] =
    ["type", "format", "description", "example", "title", "deprecated", "readOnly", "writeOnly"];

/// One breach: where (a JSON pointer into the fragment) and what.
pub struct Breach {
    pub pointer: String,
    pub message: String,
}

/// Whether the fragment keeps `format` (a number's or the crate's own).
pub fn kept_format(format: &str, types: &TypeMap<'_>) -> bool {
    NUMERIC_FORMATS.contains(&format) || types.format(format).is_some()
}

// Reading the fragment: the few look-ups the checker and the reader (`model.rs`) both make,
// spelled once.

/// A key as a JSON pointer token (`/credits` → `~1credits`).
pub fn escape(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

pub(crate) fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// A boolean keyword, `false` when absent.
pub(crate) fn flag(v: &Value, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool) == Some(true)
}

/// The component a `$ref` names: `#/components/schemas/X` → `X`.
pub(crate) fn component(schema: &Value) -> Option<&str> {
    text(schema, "$ref")?.strip_prefix("#/components/schemas/")
}

/// A component's schema, by name.
pub(crate) fn named<'a>(doc: &'a Value, name: &str) -> Option<&'a Value> {
    doc.pointer(&format!("/components/schemas/{}", escape(name)))
}

/// Every component schema, by name, in the fragment's order.
pub(crate) fn schemas(doc: &Value) -> impl Iterator<Item = (&String, &Value)> {
    doc.pointer("/components/schemas").and_then(Value::as_object).into_iter().flatten()
}

/// The values of a string `enum`; `None` unless the schema is a string with one.
pub(crate) fn string_enum(schema: &Value) -> Option<Vec<String>> {
    let values = schema.get("enum").and_then(Value::as_array).filter(|_| text(schema, "type") == Some("string"))?;
    Some(values.iter().filter_map(Value::as_str).map(str::to_owned).collect())
}

/// An object schema's `required` property names.
pub(crate) fn required(schema: &Value) -> Vec<&str> {
    schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect()
}

/// `at`'s child `key`, as a JSON pointer.
fn child(at: &str, key: &str) -> String {
    format!("{at}/{}", escape(key))
}

/// An object's members (none when `v` is absent or not an object).
fn members(v: Option<&Value>) -> impl Iterator<Item = (&String, &Value)> {
    v.and_then(Value::as_object).into_iter().flatten()
}

/// Where a body's schema is, below a request body or a response.
const JSON_SCHEMA: &str = "/content/application~1json/schema";

struct Checker<'a> {
    doc: &'a Value,
    types: &'a TypeMap<'a>,
    /// The `operationId`s read so far.
    ids: Vec<&'a str>,
    breaches: Vec<Breach>,
}

/// Every breach of the contract in `doc`, in document order (empty when it follows it).
pub fn check(doc: &Value, types: &TypeMap<'_>) -> Vec<Breach> {
    let mut c = Checker { doc, types, ids: Vec::new(), breaches: Vec::new() };
    if text(doc, "openapi") != Some("3.0.3") {
        c.fail("/openapi", "the fragment is OpenAPI 3.0.3");
    }
    for (path, item) in members(doc.get("paths")) {
        let at = child("/paths", path);
        for (k, op) in members(Some(item)) {
            if METHODS.contains(&k.as_str()) {
                c.operation(op, &child(&at, k));
            } else {
                let why = format!("`{k}` on a path item (no path-level parameters, no `$ref`, no `trace`)");
                c.fail(child(&at, k), why);
            }
        }
    }
    if let Some(sec) = doc.get("security") {
        c.security(sec, "/security");
    }
    for (name, s) in schemas(doc) {
        c.schema(s, &child("/components/schemas", name), true);
    }
    for (name, s) in members(doc.pointer("/components/securitySchemes")) {
        c.scheme(s, &child("/components/securitySchemes", name));
    }
    for kind in ["responses", "parameters", "requestBodies", "headers", "examples", "pathItems"] {
        if doc.pointer(&format!("/components/{kind}")).is_some() {
            let why = "only schemas and securitySchemes are components (everything else is inlined)";
            c.fail(format!("/components/{kind}"), why);
        }
    }
    c.breaches
}

impl<'a> Checker<'a> {
    fn fail(&mut self, at: impl Into<String>, message: impl Into<String>) {
        self.breaches.push(Breach { pointer: at.into(), message: message.into() });
    }

    fn schema_ref<'b>(&mut self, v: &'b Value, at: &str) -> Option<&'b str> {
        let r = text(v, "$ref")?;
        let name = component(v).filter(|n| named(self.doc, n).is_some());
        if name.is_none() {
            self.fail(at, format!("`$ref: {r}` does not name a component schema"));
        }
        name
    }

    fn schema(&mut self, s: &Value, at: &str, top: bool) {
        let Some(o) = s.as_object() else { return self.fail(at, "a schema is an object") };
        if o.contains_key("$ref") {
            if o.len() > 1 {
                self.fail(at, "`$ref` with siblings (3.0 ignores them)");
            }
            self.schema_ref(s, at);
            return;
        }
        if let Some(all) = o.get("allOf") {
            let ok = all.as_array().is_some_and(|a| a.len() == 1 && a[0].get("$ref").is_some())
                && o.keys().all(|k| ["allOf", "nullable", "description"].contains(&k.as_str()));
            if !ok || top {
                self.fail(at, "`allOf` is only `[{$ref}]` below a property, with `nullable: true` or a `description`");
            } else {
                self.schema_ref(&all[0], &format!("{at}/allOf/0"));
            }
            return;
        }
        self.keywords(s, at);
        if !top && members(s.get("properties")).next().is_some() {
            self.fail(at, "an object schema with properties below another schema must be a named component");
        }
        for (name, p) in members(s.get("properties")) {
            self.schema(p, &child(&format!("{at}/properties"), name), false);
        }
        if let Some(items) = o.get("items") {
            self.schema(items, &format!("{at}/items"), false);
        } else if text(s, "type") == Some("array") {
            self.fail(at, "an array schema needs `items`");
        }
        if let Some(ap) = o.get("additionalProperties").filter(|a| a.is_object()) {
            self.schema(ap, &format!("{at}/additionalProperties"), false);
        }
    }

    /// A schema's own keywords and their values: 3.0's spelling, kept formats, nothing closed.
    fn keywords(&mut self, s: &Value, at: &str) {
        let keys = || s.as_object().into_iter().flat_map(|o| o.keys());
        for k in keys().filter(|k| !KEYWORDS.split_whitespace().any(|w| w == k.as_str())) {
            let why = if k.starts_with("x-") {
                "vendor extensions are not kept on schemas".to_owned()
            } else {
                format!("`{k}` is not allowed in the fragment")
            };
            self.fail(child(at, k), why);
        }
        if let Some(t) = s.get("type")
            && !t.as_str().is_some_and(|t| PRIMITIVES.contains(&t) || t == "object" || t == "array")
        {
            self.fail(child(at, "type"), format!("`type: {t}`: 3.0 has one type name per schema"));
        }
        for k in ["exclusiveMinimum", "exclusiveMaximum", "nullable"] {
            if s.get(k).is_some_and(|v| !v.is_boolean()) {
                self.fail(child(at, k), format!("`{k}` is a boolean in 3.0"));
            }
        }
        let format = text(s, "format");
        if let Some(f) = format.filter(|f| !kept_format(f, self.types)) {
            self.fail(child(at, "format"), format!("format `{f}` (only the numeric ones and the crate's are kept)"));
        }
        // A string of a format the crate has a type for is exactly that type.
        let typed = format.and_then(|f| Some((f, self.types.format(f)?)));
        let extra = keys().find(|k| !TYPED_FORMAT_KEYWORDS.contains(&k.as_str()));
        if let (Some((name, path)), Some(extra), Some("string")) = (typed, extra, text(s, "type")) {
            let why = format!(
                "a `format: {name}` string is `{path}`, which `{extra}` does not fit: remove `{extra}` (or the format) in openapi/overlay.yaml"
            );
            self.fail(at, why);
        }
        if s.get("additionalProperties") == Some(&Value::Bool(false)) {
            let why = "`additionalProperties: false` (a new upstream field would break decoding)";
            self.fail(child(at, "additionalProperties"), why);
        }
    }

    fn operation(&mut self, op: &'a Value, at: &str) {
        match text(op, "operationId") {
            Some(id)
                if id.starts_with(|c: char| c.is_ascii_lowercase())
                    && id.chars().all(|c| c.is_ascii_alphanumeric()) =>
            {
                if self.ids.contains(&id) {
                    self.fail(child(at, "operationId"), format!("operationId `{id}` is used twice"));
                }
                self.ids.push(id);
            }
            _ => self.fail(at, "every operation has a camelCase `operationId`"),
        }
        if op.pointer("/tags/0").and_then(Value::as_str).is_none() {
            self.fail(at, "every operation has a tag (it decides the accessor, e.g. `client.credits()`)");
        }
        for (i, p) in op.get("parameters").and_then(Value::as_array).into_iter().flatten().enumerate() {
            self.parameter(p, &format!("{at}/parameters/{i}"));
        }
        if let Some(body) = op.get("requestBody") {
            self.request_body(body, &format!("{at}/requestBody"));
        }
        match op.get("responses").and_then(Value::as_object) {
            Some(responses) => self.responses(responses, &format!("{at}/responses")),
            None => self.fail(at, "every operation has responses"),
        }
        if let Some(sec) = op.get("security") {
            self.security(sec, &format!("{at}/security"));
        }
        if op.get("x-idempotent").is_some_and(|v| !v.is_boolean()) {
            self.fail(child(at, "x-idempotent"), "`x-idempotent` is a boolean");
        }
    }

    /// In the path or the query, an inline primitive (in the query, or an array of them).
    fn parameter(&mut self, p: &Value, at: &str) {
        if p.get("$ref").is_some() {
            return self.fail(at, "`$ref` parameters are inlined");
        }
        if text(p, "name").is_none() {
            self.fail(at, "a parameter has a `name`");
        }
        let loc = text(p, "in").unwrap_or_default();
        if loc != "path" && loc != "query" {
            self.fail(child(at, "in"), format!("`in: {loc}`: only path and query parameters (regen drops headers)"));
        }
        let prim =
            |s: &Value| text(s, "type").is_some_and(|t| PRIMITIVES.contains(&t)) && s.get("properties").is_none();
        let array = |s: &Value| text(s, "type") == Some("array") && s.get("items").is_some_and(prim);
        let at = child(at, "schema");
        match p.get("schema").filter(|s| prim(s) || loc == "query" && array(s)) {
            Some(s) => self.schema(s, &at, false),
            None => self.fail(at, "a parameter's schema is an inline primitive (or, in the query, an array of them)"),
        }
    }

    fn request_body(&mut self, body: &Value, at: &str) {
        let content = body.get("content").and_then(Value::as_object);
        let only_json = content.is_some_and(|c| c.len() == 1 && c.contains_key("application/json"));
        match body.pointer(JSON_SCHEMA).filter(|_| only_json) {
            Some(s) => {
                if let Some(n) = self.schema_ref(s, &format!("{at}{JSON_SCHEMA}"))
                    && !named(self.doc, n).and_then(|t| t.get("properties")).is_some_and(Value::is_object)
                {
                    self.fail(at, format!("the request body {n} is an object with properties"));
                }
            }
            None => self.fail(at, "a request body is application/json with a `$ref` schema"),
        }
    }

    /// One 2xx (no body, or a `$ref`); every 4xx/5xx the shared `ErrorResponse`; nothing else.
    fn responses(&mut self, responses: &serde_json::Map<String, Value>, at: &str) {
        let mut successes = 0;
        for (code, r) in responses {
            let at = child(at, code);
            if r.get("$ref").is_some() {
                self.fail(at, "`$ref` responses are inlined");
                continue;
            }
            let content = r.get("content").and_then(Value::as_object);
            if content.is_some_and(|c| c.len() != 1 || !c.contains_key("application/json")) {
                self.fail(format!("{at}/content"), "a response body is application/json only");
            }
            let schema = r.pointer(JSON_SCHEMA);
            match code.parse::<u16>().ok().map(|c| c / 100) {
                Some(2) => {
                    successes += 1;
                    match schema {
                        Some(s) if s.get("$ref").is_some() => {
                            self.schema_ref(s, &format!("{at}{JSON_SCHEMA}"));
                        }
                        None if content.is_none() => {}
                        _ => self.fail(at, "a success body's schema is a `$ref` to a named component"),
                    }
                }
                Some(4 | 5) if schema != Some(&serde_json::json!({"$ref": "#/components/schemas/ErrorResponse"})) => {
                    self.fail(at, "every 4xx/5xx response's schema is `$ref: '#/components/schemas/ErrorResponse'`");
                }
                Some(4 | 5) => {}
                _ => self.fail(at, format!("`{code}` response: only 2xx, 4xx and 5xx (no `default`, no ranges)")),
            }
        }
        if successes != 1 {
            self.fail(at, "exactly one 2xx response");
        }
    }

    fn security(&mut self, sec: &Value, at: &str) {
        let Some(list) = sec.as_array() else { return self.fail(at, "`security` is a list") };
        for (i, req) in list.iter().enumerate() {
            for (name, _) in members(Some(req)) {
                if self.doc.pointer(&child("/components/securitySchemes", name)).is_none() {
                    let why = format!("security scheme `{name}` is not in components/securitySchemes");
                    self.fail(format!("{at}/{i}"), why);
                }
            }
        }
    }

    /// An HTTP bearer scheme; `x-credential` says which credential it is.
    fn scheme(&mut self, s: &Value, at: &str) {
        let bearer =
            text(s, "type") == Some("http") && text(s, "scheme").is_some_and(|v| v.eq_ignore_ascii_case("bearer"));
        if !bearer {
            self.fail(at, "only HTTP bearer schemes are supported (`type: http`, `scheme: bearer`)");
        }
        if let Some(x) = s.get("x-credential")
            && !x.as_str().is_some_and(|x| CREDENTIALS.contains(&x))
        {
            self.fail(child(at, "x-credential"), format!("`x-credential` is one of {}", CREDENTIALS.join(", ")));
        }
    }
}
