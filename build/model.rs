//! Reading the fragment: each operation as the facts, parameters, body fields and response type
//! the emitter needs, or an error naming the JSON pointer of what breaks the contract.

use super::naming::{collision, pascal, snake};
use super::{Result, TypeMap};
use serde_json::{Map, Value};

pub(super) struct Op {
    pub(super) id: String,
    pub(super) variant: String,
    pub(super) snake: String,
    pub(super) method: String,
    pub(super) path: String,
    pub(super) tag: String,
    pub(super) summary: Option<String>,
    pub(super) description: Option<String>,
    pub(super) deprecated: bool,
    pub(super) credential: &'static str,
    pub(super) idempotent: bool,
    pub(super) params: Vec<Field>,
    pub(super) body: Option<Vec<Field>>,
    /// The success type's path, `None` when the success response has no body.
    pub(super) response: Option<String>,
    pub(super) statuses: Vec<u16>,
}

#[derive(PartialEq)]
pub(super) enum In {
    Path,
    Query,
    Body,
}

pub(super) struct Field {
    /// As on the wire.
    pub(super) name: String,
    /// As a Rust identifier (setter and local).
    pub(super) ident: String,
    pub(super) location: In,
    pub(super) required: bool,
    pub(super) ty: Ty,
    pub(super) doc: Option<String>,
    pub(super) rules: Rules,
    /// How an array in the query is sent: `None`, one pair per item (`ids=a&ids=b`, `style:
    /// form` exploded, OpenAPI's default); `Some(",")`, one pair (`ids=a,b`, `explode: false`).
    pub(super) separator: Option<&'static str>,
}

pub(super) enum Ty {
    String,
    F64,
    F32,
    I64,
    I32,
    Bool,
    /// A generated or replacement type, by path.
    Named(String),
    /// A string of a format the crate parses into its own type (`crate::EvmAddress`), by path.
    Parsed(String),
    Vec(Box<Ty>),
    /// An object of any shape (`additionalProperties`).
    Map,
}

impl Ty {
    /// The Rust type as a user reads it (`Vec<i64>`, `crate::EvmAddress`).
    pub(super) fn text(&self) -> String {
        match self {
            Ty::String => "String".into(),
            Ty::F64 => "f64".into(),
            Ty::F32 => "f32".into(),
            Ty::I64 => "i64".into(),
            Ty::I32 => "i32".into(),
            Ty::Bool => "bool".into(),
            Ty::Named(p) | Ty::Parsed(p) => p.clone(),
            Ty::Vec(inner) => format!("Vec<{}>", inner.text()),
            Ty::Map => "serde_json::Map<String, serde_json::Value>".into(),
        }
    }

    /// What a setter of this type takes: text for a `String` or a parsed format, else the type.
    pub(super) fn setter_arg(&self) -> String {
        match self {
            Ty::String => "impl Into<String>".into(),
            Ty::Parsed(_) => "impl AsRef<str>".into(),
            other => other.text(),
        }
    }
}

#[derive(Default)]
pub(super) struct Rules {
    pub(super) minimum: Option<f64>,
    pub(super) maximum: Option<f64>,
    pub(super) exclusive_minimum: bool,
    pub(super) exclusive_maximum: bool,
    pub(super) min_length: Option<u64>,
    pub(super) max_length: Option<u64>,
    pub(super) format: Option<String>,
    pub(super) one_of: Vec<String>,
}

const METHODS: [&str; 7] = ["get", "put", "post", "delete", "options", "head", "patch"];

fn escape_pointer(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// Keywords a string of a typed format may carry: the type says the rest. typify maps such a
/// string to the crate's type only when its schema is exactly `type` and `format` (annotations
/// aside), so `nullable`, `maxLength`, `enum`… would leave it a `String` in the generated types
/// while the builder parsed it, and a rule the type does not check would be documented.
const TYPED_FORMAT_KEYWORDS: [&str; 8] =
    ["type", "format", "description", "example", "title", "deprecated", "readOnly", "writeOnly"];

/// Every string of a typed format in the document, request or response, is one the crate's type
/// can stand for; the first that is not is named by its JSON pointer.
pub(super) fn check_typed_formats(value: &Value, at: &str, types: &TypeMap<'_>) -> Result<()> {
    match value {
        Value::Object(map) => {
            let format = map.get("format").and_then(Value::as_str);
            let typed = types.formats.iter().find(|(name, _)| Some(*name) == format);
            let is_string = map.get("type").and_then(Value::as_str) == Some("string");
            let extra = map.keys().find(|k| !TYPED_FORMAT_KEYWORDS.contains(&k.as_str()));
            if let (Some((name, path)), true, Some(extra)) = (typed, is_string, extra) {
                return Err(format!(
                    "{at}: a `format: {name}` string is `{path}`, which `{extra}` does not fit: remove `{extra}` (or the format) in openapi/overlay.yaml"
                ));
            }
            map.iter().try_for_each(|(k, v)| check_typed_formats(v, &format!("{at}/{}", escape_pointer(k)), types))
        }
        Value::Array(items) => {
            items.iter().enumerate().try_for_each(|(i, v)| check_typed_formats(v, &format!("{at}/{i}"), types))
        }
        _ => Ok(()),
    }
}

pub(super) fn read_operations(doc: &Value, types: &TypeMap<'_>) -> Result<Vec<Op>> {
    check_typed_formats(doc, "", types)?;
    let paths = doc.get("paths").and_then(Value::as_object).ok_or("has no `paths` object")?;
    let global = doc.get("security").cloned().unwrap_or(Value::Array(Vec::new()));
    let schemes = doc.pointer("/components/securitySchemes").and_then(Value::as_object);
    let mut ops = Vec::new();
    for (path, item) in paths {
        let item = item.as_object().ok_or_else(|| format!("/paths/{}: not an object", escape_pointer(path)))?;
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let at = format!("/paths/{}/{method}", escape_pointer(path));
            ops.push(read_operation(doc, &at, path, method, op, &global, schemes, types)?);
        }
        if item.contains_key("parameters") || item.contains_key("$ref") {
            return Err(format!(
                "/paths/{}: path-level `parameters` or `$ref`; regen moves them onto the operations",
                escape_pointer(path)
            ));
        }
    }
    Ok(ops)
}

#[allow(clippy::too_many_arguments)]
fn read_operation(
    doc: &Value,
    at: &str,
    path: &str,
    method: &str,
    op: &Value,
    global: &Value,
    schemes: Option<&Map<String, Value>>,
    types: &TypeMap<'_>,
) -> Result<Op> {
    let text = |key: &str| op.get(key).and_then(Value::as_str).map(str::to_owned);
    let id = text("operationId").ok_or_else(|| format!("{at}: no operationId"))?;
    let tag = op
        .pointer("/tags/0")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{at}: no tag (the tag decides the accessor, e.g. `client.credits()`)"))?
        .to_owned();
    let security = op.get("security").unwrap_or(global);
    let credential = credential_of(at, security, global, schemes)?;
    let idempotent = match op.get("x-idempotent") {
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(format!("{at}/x-idempotent: must be true or false")),
        None => matches!(method, "get" | "head" | "put" | "delete" | "options"),
    };

    let mut params = Vec::new();
    for (i, p) in op.get("parameters").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let pat = format!("{at}/parameters/{i}");
        let name = p.get("name").and_then(Value::as_str).ok_or_else(|| format!("{pat}: no name"))?;
        let location = match p.get("in").and_then(Value::as_str) {
            Some("path") => In::Path,
            Some("query") => In::Query,
            other => {
                return Err(format!(
                    "{pat}: parameter `{name}` is in {other:?}; only path and query parameters are supported (regen drops header parameters)"
                ));
            }
        };
        let schema = p.get("schema").ok_or_else(|| format!("{pat}: no schema"))?;
        let required = location == In::Path || p.get("required").and_then(Value::as_bool).unwrap_or(false);
        let doc = p.get("description").and_then(Value::as_str).map(str::to_owned);
        let mut f = field(&format!("{pat}/schema"), name, location, required, schema, doc, types)?;
        f.separator = separator(&pat, p, &f)?;
        params.push(f);
    }

    let body = match op.get("requestBody") {
        None => None,
        Some(rb) => {
            let schema = rb
                .pointer("/content/application~1json/schema")
                .ok_or_else(|| format!("{at}/requestBody: only application/json bodies are supported"))?;
            let (name, target) = resolve(doc, schema)
                .ok_or_else(|| format!("{at}/requestBody: the schema must be a $ref to a component"))?;
            let props = target.get("properties").and_then(Value::as_object).ok_or_else(|| {
                format!("/components/schemas/{name}: a request body must be an object with properties")
            })?;
            let required: Vec<&str> = target
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let mut fields = Vec::new();
            // A `readOnly` property is the server's to set: it is never sent, so it has no setter.
            let sent = props.iter().filter(|(_, s)| s.get("readOnly").and_then(Value::as_bool) != Some(true));
            for (prop, schema) in sent {
                let pat = format!("/components/schemas/{name}/properties/{}", escape_pointer(prop));
                let doc = schema.get("description").and_then(Value::as_str).map(str::to_owned);
                let req = required.contains(&prop.as_str());
                fields.push(field(&pat, prop, In::Body, req, schema, doc, types)?);
            }
            Some(fields)
        }
    };

    let wire = params.iter().chain(body.iter().flatten()).map(|f| f.name.as_str());
    if let Some((first, second, rust)) = collision(wire, snake) {
        return Err(format!(
            "{at}: `{first}` and `{second}` are both the setter `{rust}` in Rust (parameters and body fields share one builder); remove one in openapi/overlay.yaml"
        ));
    }

    let responses = op.get("responses").and_then(Value::as_object).ok_or_else(|| format!("{at}: no responses"))?;
    let mut statuses = Vec::new();
    let mut response = None;
    let mut success_seen = false;
    for (code, r) in responses {
        let status: u16 = code.parse().map_err(|_| {
            format!("{at}/responses/{code}: only numeric statuses are supported (regen removes `default` and ranges)")
        })?;
        statuses.push(status);
        let schema = r.pointer("/content/application~1json/schema");
        if (200..300).contains(&status) {
            if success_seen {
                continue;
            }
            success_seen = true;
            response = match schema {
                None => None,
                Some(s) => {
                    let (name, _) = resolve(doc, s).ok_or_else(|| {
                        format!("{at}/responses/{code}: the success schema must be a $ref to a named component")
                    })?;
                    Some(type_path(&name, types))
                }
            };
        } else if status >= 400 {
            let is_shared = schema.and_then(|s| s.get("$ref")).and_then(Value::as_str)
                == Some("#/components/schemas/ErrorResponse");
            if !is_shared {
                return Err(format!(
                    "{at}/responses/{code}: error responses must use $ref '#/components/schemas/ErrorResponse' (regen merges them)"
                ));
            }
        }
    }
    statuses.sort_unstable();

    Ok(Op {
        variant: pascal(&id),
        snake: snake(&id),
        id,
        method: method.to_uppercase(),
        path: path.to_owned(),
        tag,
        summary: text("summary"),
        description: text("description"),
        deprecated: op.get("deprecated").and_then(Value::as_bool).unwrap_or(false),
        credential,
        idempotent,
        params,
        body,
        response,
        statuses,
    })
}

/// Which credential an operation sends, from its `security` (see the contract).
fn credential_of(
    at: &str,
    security: &Value,
    global: &Value,
    schemes: Option<&Map<String, Value>>,
) -> Result<&'static str> {
    let requirements = security.as_array().ok_or_else(|| format!("{at}/security: must be a list"))?;
    let Some(first) = requirements.first() else { return Ok("None") };
    let scheme =
        first.as_object().and_then(|o| o.keys().next()).ok_or_else(|| format!("{at}/security/0: names no scheme"))?;
    let declared = schemes.and_then(|s| s.get(scheme));
    if let Some(s) = declared {
        let bearer = s.get("type").and_then(Value::as_str) == Some("http")
            && s.get("scheme").and_then(Value::as_str).is_some_and(|v| v.eq_ignore_ascii_case("bearer"));
        if !bearer {
            return Err(format!(
                "/components/securitySchemes/{scheme}: only HTTP bearer schemes are supported (`type: http`, `scheme: bearer`)"
            ));
        }
    }
    match declared.and_then(|s| s.get("x-credential")).and_then(Value::as_str) {
        Some("api-key") => Ok("ApiKey"),
        Some("management-key") => Ok("ManagementKey"),
        Some("per-call") => Ok("PerCall"),
        Some(other) => Err(format!(
            "/components/securitySchemes/{scheme}/x-credential: `{other}` is not api-key, management-key or per-call"
        )),
        None => {
            let in_global = global
                .as_array()
                .into_iter()
                .flatten()
                .any(|r| r.as_object().is_some_and(|o| o.contains_key(scheme.as_str())));
            Ok(if in_global { "ApiKey" } else { "PerCall" })
        }
    }
}

/// A `$ref` to `#/components/schemas/X`: X and its schema.
fn resolve<'a>(doc: &'a Value, schema: &Value) -> Option<(String, &'a Value)> {
    let r = schema.get("$ref")?.as_str()?;
    let name = r.strip_prefix("#/components/schemas/")?;
    let target = doc.pointer(&format!("/components/schemas/{}", escape_pointer(name)))?;
    Some((name.to_owned(), target))
}

pub(super) fn type_path(component: &str, types: &TypeMap<'_>) -> String {
    match types.components.iter().find(|(name, _)| *name == component) {
        Some((_, path)) => path.to_string(),
        None => format!("crate::generated::types::{}", pascal(component)),
    }
}

fn field(
    at: &str,
    name: &str,
    location: In,
    required: bool,
    schema: &Value,
    doc: Option<String>,
    types: &TypeMap<'_>,
) -> Result<Field> {
    let ty = ty_of(at, schema, types)?;
    let doc = match schema.get("deprecated").and_then(Value::as_bool) {
        Some(true) => Some(format!("{}\n\nDeprecated upstream.", doc.unwrap_or_else(|| format!("`{name}`.")))),
        _ => doc,
    };
    let num = |k: &str| schema.get(k).and_then(Value::as_f64);
    let flag = |k: &str| schema.get(k).and_then(Value::as_bool).unwrap_or(false);
    let rules = Rules {
        minimum: num("minimum"),
        maximum: num("maximum"),
        exclusive_minimum: flag("exclusiveMinimum"),
        exclusive_maximum: flag("exclusiveMaximum"),
        min_length: schema.get("minLength").and_then(Value::as_u64),
        max_length: schema.get("maxLength").and_then(Value::as_u64),
        format: schema.get("format").and_then(Value::as_str).filter(|f| !is_numeric_format(f)).map(str::to_owned),
        one_of: match (&ty, schema.get("enum").and_then(Value::as_array)) {
            (Ty::String, Some(values)) => values.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            _ => Vec::new(),
        },
    };
    Ok(Field { ident: snake(name), name: name.to_owned(), location, required, ty, doc, rules, separator: None })
}

/// How a query array is serialized, from the parameter's `style` and `explode`.
fn separator(at: &str, p: &Value, f: &Field) -> Result<Option<&'static str>> {
    if f.location != In::Query || !matches!(f.ty, Ty::Vec(_)) {
        return Ok(None);
    }
    let explode = p.get("explode").and_then(Value::as_bool);
    match p.get("style").and_then(Value::as_str).unwrap_or("form") {
        "form" if explode != Some(false) => Ok(None),
        "form" => Ok(Some(",")),
        "spaceDelimited" => Ok(Some(" ")),
        "pipeDelimited" => Ok(Some("|")),
        other => Err(format!(
            "{at}/style: a query array of `style: {other}` cannot be sent; use `style: form` in openapi/overlay.yaml"
        )),
    }
}

fn is_numeric_format(f: &str) -> bool {
    matches!(f, "double" | "float" | "int32" | "int64")
}

fn ty_of(at: &str, schema: &Value, types: &TypeMap<'_>) -> Result<Ty> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.strip_prefix("#/components/schemas/").ok_or_else(|| format!("{at}: cannot follow `{r}`"))?;
        return Ok(Ty::Named(type_path(name, types)));
    }
    if let Some([only]) = schema.get("allOf").and_then(Value::as_array).map(Vec::as_slice) {
        return ty_of(at, only, types);
    }
    let format = schema.get("format").and_then(Value::as_str);
    Ok(match schema.get("type").and_then(Value::as_str) {
        Some("string") => match types.formats.iter().find(|(name, _)| Some(*name) == format) {
            Some((_, path)) => Ty::Parsed(path.to_string()),
            None => Ty::String,
        },
        Some("number") if format == Some("float") => Ty::F32,
        Some("number") => Ty::F64,
        Some("integer") if format == Some("int32") => Ty::I32,
        Some("integer") => Ty::I64,
        Some("boolean") => Ty::Bool,
        Some("array") => {
            let items = schema.get("items").ok_or_else(|| format!("{at}: an array needs `items`"))?;
            Ty::Vec(Box::new(ty_of(&format!("{at}/items"), items, types)?))
        }
        // An object with no properties of its own is a map (`additionalProperties`); one with
        // properties must be a named component, which regen makes of every inline object.
        Some("object") if schema.get("properties").and_then(Value::as_object).is_none_or(Map::is_empty) => Ty::Map,
        other => {
            return Err(format!(
                "{at}: a parameter or body field of type {other:?} must be a primitive, an array, or a $ref to a component (regen hoists inline objects)"
            ));
        }
    })
}
