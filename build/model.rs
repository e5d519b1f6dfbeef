//! Reading the fragment: each operation as the facts, parameters, body fields and response type
//! the emitter needs, or an error naming the JSON pointer of what breaks the contract.

use super::contract::{METHODS, NUMERIC_FORMATS, check, escape};
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

/// The fragment's operations, in path order then method order; the contract (`contract.rs`) is
/// checked first, so that reading can take the fragment's shape for granted.
pub(super) fn read_operations(doc: &Value, types: &TypeMap<'_>) -> Result<Vec<Op>> {
    let breaches = check(doc, types);
    if !breaches.is_empty() {
        let lines: Vec<String> = breaches.iter().map(|b| format!("{}: {}", b.pointer, b.message)).collect();
        return Err(lines.join("\n"));
    }
    let mut ops = Vec::new();
    for (path, item) in doc.get("paths").and_then(Value::as_object).into_iter().flatten() {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                let at = format!("/paths/{}/{method}", escape(path));
                ops.push(read_operation(doc, &at, path, method, op, types)?);
            }
        }
    }
    Ok(ops)
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn read_operation(doc: &Value, at: &str, path: &str, method: &str, op: &Value, types: &TypeMap<'_>) -> Result<Op> {
    let id = text(op, "operationId").unwrap_or_default();
    let idempotent = match op.get("x-idempotent") {
        Some(v) => v.as_bool() == Some(true),
        None => matches!(method, "get" | "head" | "put" | "delete" | "options"),
    };
    let params = parameters(at, op, types)?;
    let body = request_body(doc, op, types)?;
    let wire = params.iter().chain(body.iter().flatten()).map(|f| f.name.as_str());
    if let Some((first, second, rust)) = collision(wire, snake) {
        return Err(format!(
            "{at}: `{first}` and `{second}` are both the setter `{rust}` in Rust (parameters and body fields share one builder); remove one in openapi/overlay.yaml"
        ));
    }
    let (response, statuses) = responses(op, types);
    Ok(Op {
        variant: pascal(&id),
        snake: snake(&id),
        method: method.to_uppercase(),
        path: path.to_owned(),
        tag: op.pointer("/tags/0").and_then(Value::as_str).unwrap_or_default().to_owned(),
        summary: text(op, "summary"),
        description: text(op, "description"),
        deprecated: op.get("deprecated").and_then(Value::as_bool).unwrap_or(false),
        credential: credential_of(doc, op),
        id,
        idempotent,
        params,
        body,
        response,
        statuses,
    })
}

fn parameters(at: &str, op: &Value, types: &TypeMap<'_>) -> Result<Vec<Field>> {
    let mut params = Vec::new();
    for (i, p) in op.get("parameters").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let pat = format!("{at}/parameters/{i}");
        let name = p.get("name").and_then(Value::as_str).unwrap_or_default();
        let location = if p.get("in").and_then(Value::as_str) == Some("path") { In::Path } else { In::Query };
        let required = location == In::Path || p.get("required").and_then(Value::as_bool).unwrap_or(false);
        let schema = p.get("schema").unwrap_or(&Value::Null);
        let mut f = field(&format!("{pat}/schema"), name, location, required, schema, text(p, "description"), types)?;
        f.separator = separator(&pat, p, &f)?;
        params.push(f);
    }
    Ok(params)
}

/// The body's fields: the properties of the component it names, in spec order. A `readOnly`
/// property is the server's to set: it is never sent, so it has no setter.
fn request_body(doc: &Value, op: &Value, types: &TypeMap<'_>) -> Result<Option<Vec<Field>>> {
    let Some(schema) = op.pointer("/requestBody/content/application~1json/schema") else { return Ok(None) };
    let Some((name, target)) = resolve(doc, schema) else { return Ok(None) };
    let required: Vec<&str> =
        target.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
    let props = target.get("properties").and_then(Value::as_object).into_iter().flatten();
    let sent = props.filter(|(_, s)| s.get("readOnly").and_then(Value::as_bool) != Some(true));
    let mut fields = Vec::new();
    for (prop, schema) in sent {
        let pat = format!("/components/schemas/{name}/properties/{}", escape(prop));
        let req = required.contains(&prop.as_str());
        fields.push(field(&pat, prop, In::Body, req, schema, text(schema, "description"), types)?);
    }
    Ok(Some(fields))
}

/// The success type (the lowest 2xx's, `None` without a body) and every documented status.
fn responses(op: &Value, types: &TypeMap<'_>) -> (Option<String>, Vec<u16>) {
    let responses = op.get("responses").and_then(Value::as_object).into_iter().flatten();
    let mut statuses: Vec<(u16, &Value)> = responses.filter_map(|(c, r)| Some((c.parse().ok()?, r))).collect();
    statuses.sort_by_key(|(s, _)| *s);
    let success = statuses.iter().find(|(s, _)| (200..300).contains(s));
    let schema = success.and_then(|(_, r)| r.pointer("/content/application~1json/schema"));
    let response = schema
        .and_then(|s| text(s, "$ref"))
        .and_then(|r| r.strip_prefix("#/components/schemas/").map(|name| type_path(name, types)));
    (response, statuses.into_iter().map(|(s, _)| s).collect())
}

/// Which credential an operation sends, from its `security` (see the contract): none for `[]`;
/// with alternatives, the first; the scheme's `x-credential`, else the API key for a scheme of
/// the global `security` and a per-call bearer for any other.
fn credential_of(doc: &Value, op: &Value) -> &'static str {
    let global = doc.get("security");
    let Some(first) = op.get("security").or(global).and_then(|s| s.pointer("/0")).and_then(Value::as_object) else {
        return "None";
    };
    let scheme = first.keys().next().map(String::as_str).unwrap_or_default();
    let declared = doc.pointer(&format!("/components/securitySchemes/{}", escape(scheme)));
    match declared.and_then(|s| s.get("x-credential")).and_then(Value::as_str) {
        Some("api-key") => "ApiKey",
        Some("management-key") => "ManagementKey",
        Some(_) => "PerCall",
        None => {
            let requirements = global.and_then(Value::as_array).into_iter().flatten();
            let in_global = requirements.filter_map(Value::as_object).any(|r| r.contains_key(scheme));
            if in_global { "ApiKey" } else { "PerCall" }
        }
    }
}

/// A `$ref` to `#/components/schemas/X`: X and its schema.
fn resolve<'a>(doc: &'a Value, schema: &Value) -> Option<(String, &'a Value)> {
    let r = schema.get("$ref")?.as_str()?;
    let name = r.strip_prefix("#/components/schemas/")?;
    let target = doc.pointer(&format!("/components/schemas/{}", escape(name)))?;
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
        format: schema
            .get("format")
            .and_then(Value::as_str)
            .filter(|f| !NUMERIC_FORMATS.contains(f))
            .map(str::to_owned),
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
