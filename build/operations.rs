//! The per-operation layer, generated from the fragment's operations (see `openapi/CONTRACT.md`).
//!
//! For each operation: an `Operation` variant and its facts (method, path, tag, credential,
//! idempotency, documented statuses), a method on its tag's accessor, and a request builder whose
//! setters are the operation's parameters and body fields, with the schema's rules checked before
//! anything is sent. Everything the same for every operation (auth, retries, transport, errors)
//! is the hand-written runtime in `src/`; this only fills in the facts.
//!
//! Output is Rust source text, parsed and pretty-printed by the caller.

use serde_json::{Map, Value};
use std::fmt::Write as _;

type Result<T> = std::result::Result<T, String>;

/// Generated code: the per-operation layer (included in `crate::generated`) and the public
/// re-exports of it and of the generated types, by name (included at the crate root).
pub struct Generated {
    pub operations: String,
    pub exports: String,
}

/// The fragment's operations, in path order then method order, as generated code.
pub fn generate(doc: &Value, replacements: &[(&str, &str)]) -> Result<Generated> {
    let ops = read_operations(doc, replacements)?;
    if ops.is_empty() {
        return Err("has no operations (see openapi/regen.yaml `operations`)".into());
    }
    let mut out = String::new();
    emit_operation_enum(&mut out, &ops);
    emit_accessors(&mut out, &ops);
    for op in &ops {
        emit_builder(&mut out, op);
    }
    emit_decoders(&mut out, &ops);
    emit_types_module(&mut out, doc, replacements);
    Ok(Generated { operations: out, exports: exports(&ops) })
}

/// `pub mod types`: every generated schema type, re-exported by name (the replacements are the
/// crate's own types and are exported where they are written).
fn emit_types_module(out: &mut String, doc: &Value, replacements: &[(&str, &str)]) {
    let mut names: Vec<String> = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|m| m.keys())
        .filter(|name| !replacements.iter().any(|(r, _)| r == name))
        .map(|name| pascal(name))
        .collect();
    names.sort();
    doc_attr(
        out,
        "Request and response types, generated from the schemas of `openapi/credits.yaml` (docs from its descriptions).",
    );
    let _ = writeln!(
        out,
        "pub mod types {{
pub use super::progenitor::types::{{{}}};
}}
",
        names.join(", ")
    );
}

/// The crate-root re-exports of the per-operation layer, by name.
fn exports(ops: &[Op]) -> String {
    let mut names = vec!["Operation".to_owned(), "types".to_owned()];
    let mut tags: Vec<&str> = Vec::new();
    for op in ops {
        if !tags.contains(&op.tag.as_str()) {
            tags.push(&op.tag);
            names.push(format!("{}Api", pascal(&op.tag)));
        }
        names.push(format!("{}Builder", op.variant));
        if op.credential == "PerCall" {
            names.push(format!("{}Security", op.variant));
        }
    }
    format!("pub use crate::generated::{{{}}};\n", names.join(", "))
}

// ---------------------------------------------------------------- reading the fragment

struct Op {
    id: String,
    variant: String,
    snake: String,
    method: String,
    path: String,
    tag: String,
    summary: Option<String>,
    description: Option<String>,
    deprecated: bool,
    credential: &'static str,
    idempotent: bool,
    params: Vec<Field>,
    body: Option<Vec<Field>>,
    /// The success type's path, `None` when the success response has no body.
    response: Option<String>,
    statuses: Vec<u16>,
}

#[derive(PartialEq)]
enum In {
    Path,
    Query,
    Body,
}

struct Field {
    /// As on the wire.
    name: String,
    /// As a Rust identifier (setter and local).
    ident: String,
    location: In,
    required: bool,
    ty: Ty,
    doc: Option<String>,
    rules: Rules,
}

enum Ty {
    String,
    F64,
    F32,
    I64,
    I32,
    Bool,
    /// A generated or replacement type, by path.
    Named(String),
    Vec(Box<Ty>),
    /// An object of any shape (`additionalProperties`).
    Map,
}

#[derive(Default)]
struct Rules {
    minimum: Option<f64>,
    maximum: Option<f64>,
    exclusive_minimum: bool,
    exclusive_maximum: bool,
    min_length: Option<u64>,
    max_length: Option<u64>,
    format: Option<String>,
    one_of: Vec<String>,
}

const METHODS: [&str; 7] = ["get", "put", "post", "delete", "options", "head", "patch"];

fn escape_pointer(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

fn read_operations(doc: &Value, replacements: &[(&str, &str)]) -> Result<Vec<Op>> {
    let paths = doc.get("paths").and_then(Value::as_object).ok_or("has no `paths` object")?;
    let global = doc.get("security").cloned().unwrap_or(Value::Array(Vec::new()));
    let schemes = doc.pointer("/components/securitySchemes").and_then(Value::as_object);
    let mut ops = Vec::new();
    for (path, item) in paths {
        let item = item.as_object().ok_or_else(|| format!("/paths/{}: not an object", escape_pointer(path)))?;
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let at = format!("/paths/{}/{method}", escape_pointer(path));
            ops.push(read_operation(doc, &at, path, method, op, &global, schemes, replacements)?);
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
    replacements: &[(&str, &str)],
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
        params.push(field(&format!("{pat}/schema"), name, location, required, schema, doc, replacements)?);
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
            for (prop, schema) in props {
                let pat = format!("/components/schemas/{name}/properties/{}", escape_pointer(prop));
                let doc = schema.get("description").and_then(Value::as_str).map(str::to_owned);
                let req = required.contains(&prop.as_str());
                fields.push(field(&pat, prop, In::Body, req, schema, doc, replacements)?);
            }
            Some(fields)
        }
    };

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
                    Some(type_path(&name, replacements))
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

fn type_path(component: &str, replacements: &[(&str, &str)]) -> String {
    match replacements.iter().find(|(name, _)| *name == component) {
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
    replacements: &[(&str, &str)],
) -> Result<Field> {
    let ty = ty_of(at, schema, replacements)?;
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
    Ok(Field { ident: ident(name), name: name.to_owned(), location, required, ty, doc, rules })
}

fn is_numeric_format(f: &str) -> bool {
    matches!(f, "double" | "float" | "int32" | "int64")
}

fn ty_of(at: &str, schema: &Value, replacements: &[(&str, &str)]) -> Result<Ty> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.strip_prefix("#/components/schemas/").ok_or_else(|| format!("{at}: cannot follow `{r}`"))?;
        return Ok(Ty::Named(type_path(name, replacements)));
    }
    if let Some([only]) = schema.get("allOf").and_then(Value::as_array).map(Vec::as_slice) {
        return ty_of(at, only, replacements);
    }
    let format = schema.get("format").and_then(Value::as_str);
    Ok(match schema.get("type").and_then(Value::as_str) {
        Some("string") => Ty::String,
        Some("number") if format == Some("float") => Ty::F32,
        Some("number") => Ty::F64,
        Some("integer") if format == Some("int32") => Ty::I32,
        Some("integer") => Ty::I64,
        Some("boolean") => Ty::Bool,
        Some("array") => {
            let items = schema.get("items").ok_or_else(|| format!("{at}: an array needs `items`"))?;
            Ty::Vec(Box::new(ty_of(&format!("{at}/items"), items, replacements)?))
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

// ---------------------------------------------------------------- naming

/// `getCredits` → `GetCredits`, `API Keys` → `ApiKeys`, `chain_id` → `ChainId`.
fn pascal(s: &str) -> String {
    words(s)
        .iter()
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

/// `getCredits` → `get_credits`, `API Keys` → `api_keys`.
fn snake(s: &str) -> String {
    words(s).join("_")
}

/// Lower-case words, split at separators, lower→upper steps and the end of an acronym.
fn words(s: &str) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1);
        let boundary = c.is_ascii_uppercase()
            && !cur.is_empty()
            && (prev.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit())
                || next.is_some_and(|n| n.is_ascii_lowercase()));
        if boundary {
            out.push(std::mem::take(&mut cur));
        }
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn ident(name: &str) -> String {
    let s = snake(name);
    const KEYWORDS: [&str; 12] =
        ["type", "match", "ref", "mod", "use", "fn", "struct", "enum", "impl", "self", "move", "async"];
    if KEYWORDS.contains(&s.as_str()) { format!("r#{s}") } else { s }
}

/// A doc attribute; `{:?}` makes any text a valid string literal. Upstream's site-relative links
/// (`[Management key](/docs/…)`) are made absolute, or rustdoc would point them at docs.rs.
fn doc_attr(out: &mut String, text: &str) {
    let text = text.replace("](/", "](https://openrouter.ai/");
    for line in text.lines() {
        let _ = writeln!(out, "#[doc = {:?}]", format!(" {line}"));
    }
}

// ---------------------------------------------------------------- emitting

fn emit_operation_enum(out: &mut String, ops: &[Op]) {
    doc_attr(
        out,
        "Every operation this crate calls, one per `operationId` in `openapi/credits.yaml`.\n\n\
         Generated: regenerating the fragment with a new operation adds a variant.",
    );
    out.push_str("#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]\n#[non_exhaustive]\npub enum Operation {\n");
    for op in ops {
        let title = op.summary.as_deref().unwrap_or(&op.id);
        doc_attr(out, &format!("`{} {}`: {title}.", op.method, op.path));
        let _ = writeln!(out, "{},", op.variant);
    }
    out.push_str("}\n\nimpl Operation {\n");
    doc_attr(out, "Every operation, in the fragment's order.");
    let all: Vec<String> = ops.iter().map(|o| format!("Operation::{}", o.variant)).collect();
    let _ = writeln!(out, "pub const ALL: &'static [Operation] = &[{}];", all.join(", "));
    out.push_str(
        "pub(crate) fn facts(self) -> &'static crate::operation::Facts {\n    &FACTS[self as usize]\n}\n}\n\n",
    );
    let _ = writeln!(out, "static FACTS: [crate::operation::Facts; {}] = [", ops.len());
    for op in ops {
        let statuses: Vec<String> = op.statuses.iter().map(u16::to_string).collect();
        let _ = writeln!(
            out,
            "crate::operation::Facts {{ id: {:?}, name: {:?}, method: reqwest::Method::{}, path: {:?}, tag: {:?}, \
             credential: crate::operation::Credential::{}, idempotent: {}, deprecated: {}, statuses: &[{}] }},",
            op.id,
            op.snake,
            op.method,
            op.path,
            op.tag,
            op.credential,
            op.idempotent,
            op.deprecated,
            statuses.join(", "),
        );
    }
    out.push_str("];\n\n");
}

fn emit_accessors(out: &mut String, ops: &[Op]) {
    let mut tags: Vec<&str> = Vec::new();
    for op in ops {
        if !tags.contains(&op.tag.as_str()) {
            tags.push(&op.tag);
        }
    }
    for tag in tags {
        let accessor = snake(tag);
        let api = format!("{}Api", pascal(tag));
        doc_attr(out, &format!("The `{tag}` operations, from [`Client::{accessor}`](crate::Client::{accessor})."));
        let _ = writeln!(out, "#[derive(Clone, Copy, Debug)]\npub struct {api}<'a> {{ client: &'a crate::Client }}\n");
        out.push_str("impl crate::Client {\n");
        doc_attr(out, &format!("The `{tag}` operations."));
        let _ = writeln!(out, "pub fn {accessor}(&self) -> {api}<'_> {{ {api} {{ client: self }} }}\n}}\n");
        let _ = writeln!(out, "impl {api}<'_> {{");
        for op in ops.iter().filter(|o| o.tag == tag) {
            doc_attr(out, &operation_doc(op));
            let builder = format!("{}Builder", op.variant);
            let fields: String = op.all_fields().map(|f| format!(", {}: None", f.ident)).collect();
            if op.credential == "PerCall" {
                let _ = writeln!(
                    out,
                    "pub fn {}(&self, security: {}Security) -> {builder} {{\n\
                     {builder} {{ call: crate::call::Call::new(self.client, Operation::{}).with_bearer(security.0){fields} }}\n}}",
                    op.snake, op.variant, op.variant
                );
            } else {
                let _ = writeln!(
                    out,
                    "pub fn {}(&self) -> {builder} {{\n\
                     {builder} {{ call: crate::call::Call::new(self.client, Operation::{}){fields} }}\n}}",
                    op.snake, op.variant
                );
            }
        }
        out.push_str("}\n\n");
    }
}

impl Op {
    fn all_fields(&self) -> impl Iterator<Item = &Field> {
        self.params.iter().chain(self.body.iter().flatten())
    }
}

fn operation_doc(op: &Op) -> String {
    let mut s = format!("`{} {}`", op.method, op.path);
    if let Some(summary) = &op.summary {
        let _ = write!(s, ": {summary}.");
    }
    if let Some(d) = op.description.as_ref().filter(|d| Some(d.trim_end_matches('.')) != op.summary.as_deref()) {
        let _ = write!(s, "\n\n{d}");
    }
    let _ = write!(
        s,
        "\n\nCredential: {}. {}",
        match op.credential {
            "ApiKey" => "the client's API key ([`ClientBuilder::api_key`](crate::ClientBuilder::api_key))",
            "ManagementKey" =>
                "the client's management key ([`ClientBuilder::management_key`](crate::ClientBuilder::management_key)), or its API key when it has none",
            "PerCall" => "the bearer token passed here, for this call only; the client's keys are not sent",
            _ => "none",
        },
        if op.idempotent {
            "Idempotent: retried as the policy allows."
        } else {
            "Not idempotent: retried only where the server provably did not act on it (see `retry_non_idempotent`)."
        }
    );
    if op.deprecated {
        s.push_str("\n\n**Deprecated upstream.**");
    }
    s
}

fn rust_ty(ty: &Ty) -> String {
    match ty {
        Ty::String => "String".into(),
        Ty::F64 => "f64".into(),
        Ty::F32 => "f32".into(),
        Ty::I64 => "i64".into(),
        Ty::I32 => "i32".into(),
        Ty::Bool => "bool".into(),
        Ty::Named(p) => p.clone(),
        Ty::Vec(inner) => format!("Vec<{}>", rust_ty(inner)),
        Ty::Map => "serde_json::Map<String, serde_json::Value>".into(),
    }
}

fn emit_builder(out: &mut String, op: &Op) {
    let builder = format!("{}Builder", op.variant);
    if op.credential == "PerCall" {
        doc_attr(
            out,
            &format!(
                "Security for [`{}`]({}Api::{}): a bearer token sent with that one call only.\n\n\
                 Its `Debug` never shows the token.",
                op.snake,
                pascal(&op.tag),
                op.snake
            ),
        );
        let _ = writeln!(
            out,
            "#[derive(Clone, Debug)]\npub struct {v}Security(crate::auth::Bearer);\n\
             impl {v}Security {{\n\
             #[doc = \" Uses `token` as `Authorization: Bearer <token>` on this one call.\"]\n\
             pub fn bearer(token: impl Into<String>) -> Self {{ Self(crate::auth::Bearer::new(token.into())) }}\n}}\n",
            v = op.variant
        );
    }

    doc_attr(
        out,
        &format!(
            "A `{} {}` call, from [`{}Api::{}`]. Send it with `.send()` or `.await`.",
            op.method,
            op.path,
            pascal(&op.tag),
            op.snake
        ),
    );
    let _ = writeln!(
        out,
        "#[derive(Debug)]\n#[must_use = \"a request does nothing until it is sent or awaited\"]\npub struct {builder} {{\ncall: crate::call::Call,"
    );
    for f in op.all_fields() {
        let _ = writeln!(out, "{}: Option<{}>,", f.ident, rust_ty(&f.ty));
    }
    let _ = writeln!(out, "}}\n\nimpl {builder} {{");

    for f in op.all_fields() {
        let mut text = f.doc.clone().unwrap_or_else(|| format!("`{}`.", f.name));
        let _ = write!(text, "\n\n{}", if f.required { "Required." } else { "Optional." });
        let rules = describe_rules(&f.rules);
        if !rules.is_empty() {
            let _ = write!(text, " {rules}");
        }
        doc_attr(out, &text);
        let (arg, store) = match &f.ty {
            Ty::String => ("impl Into<String>".to_owned(), "value.into()"),
            other => (rust_ty(other), "value"),
        };
        let _ = writeln!(
            out,
            "pub fn {}(mut self, value: {arg}) -> Self {{ self.{} = Some({store}); self }}",
            setter(&f.ident),
            f.ident
        );
    }

    out.push_str("crate::call::call_options!();\n");
    if !op.idempotent {
        doc_attr(
            out,
            "Also retry where the server may already have acted on the request (408, 500, 502, 503 \
             without `Retry-After`, 504, a broken connection, a timeout). Off by default: a retry could \
             then act twice (for a charge: create two). Turn it on only if that is acceptable.",
        );
        out.push_str(
            "pub fn retry_non_idempotent(mut self, yes: bool) -> Self { self.call.retry_non_idempotent(yes); self }\n",
        );
    }

    let output = op.response.clone().unwrap_or_else(|| "()".into());
    doc_attr(
        out,
        "Checks the arguments, then sends the request, retrying as the policy allows. Nothing is \
         sent when a check fails ([`Error::InvalidInput`](crate::Error::InvalidInput) names the field and the rule).",
    );
    let _ = writeln!(
        out,
        "pub async fn send(self) -> Result<{output}, crate::Error> {{ self.send_with_meta().await.map(crate::Response::into_inner) }}"
    );
    doc_attr(out, "As [`send`](Self::send), with the response's status, headers and the number of attempts.");
    let _ = writeln!(out, "pub async fn send_with_meta(self) -> Result<crate::Response<{output}>, crate::Error> {{");
    let names: Vec<&str> = op.all_fields().map(|f| f.ident.as_str()).collect();
    let _ = writeln!(out, "let Self {{ call, {} }} = self;", names.iter().map(|n| format!("{n},")).collect::<String>());
    for f in op.all_fields() {
        if f.required {
            let _ = writeln!(out, "let {id} = crate::validate::required({:?}, {id})?;", f.name, id = f.ident);
        }
        if let Some(check) = check_call(f) {
            if f.required {
                let _ = writeln!(out, "{check};", check = check.replace("VALUE", &format!("&{}", f.ident)));
            } else {
                let _ = writeln!(out, "if let Some(value) = &{} {{ {}; }}", f.ident, check.replace("VALUE", "value"));
            }
        }
    }

    // Path: every segment, parameters as values (the runtime percent-encodes each one).
    let mut segments = Vec::new();
    for seg in op.path.split('/').filter(|s| !s.is_empty()) {
        match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(param) => {
                let f = op.params.iter().find(|f| f.name == param && f.location == In::Path);
                let id = f.map_or_else(|| ident(param), |f| f.ident.clone());
                segments.push(format!("&{id}.to_string()"));
            }
            None => segments.push(format!("{seg:?}")),
        }
    }
    let _ = writeln!(out, "let segments: &[&str] = &[{}];", segments.join(", "));

    let query: Vec<&Field> = op.params.iter().filter(|f| f.location == In::Query).collect();
    if query.is_empty() {
        out.push_str("let query: Vec<(&'static str, String)> = Vec::new();\n");
    } else {
        out.push_str("let mut query: Vec<(&'static str, String)> = Vec::new();\n");
        for f in query {
            let push = match &f.ty {
                Ty::Vec(_) => format!("for item in v {{ query.push(({:?}, item.to_string())); }}", f.name),
                _ => format!("query.push(({:?}, v.to_string()));", f.name),
            };
            if f.required {
                let _ = writeln!(out, "{{ let v = &{}; {push} }}", f.ident);
            } else {
                let _ = writeln!(out, "if let Some(v) = &{} {{ {push} }}", f.ident);
            }
        }
    }

    match &op.body {
        None => out.push_str("let body = None;\n"),
        Some(fields) => {
            // Spec order, as the official SDKs send it (typify would sort the fields by name).
            out.push_str("#[derive(serde::Serialize)]\nstruct Body<'a> {\n");
            for f in fields {
                let attr = if f.required {
                    String::new()
                } else {
                    "#[serde(skip_serializing_if = \"Option::is_none\")]\n".into()
                };
                let ty = if f.required {
                    format!("&'a {}", rust_ty(&f.ty))
                } else {
                    format!("Option<&'a {}>", rust_ty(&f.ty))
                };
                let _ = writeln!(out, "{attr}#[serde(rename = {:?})]\n{}: {ty},", f.name, f.ident);
            }
            out.push_str("}\n");
            let inits: Vec<String> = fields
                .iter()
                .map(|f| {
                    if f.required {
                        format!("{}: &{}", f.ident, f.ident)
                    } else {
                        format!("{}: {}.as_ref()", f.ident, f.ident)
                    }
                })
                .collect();
            let _ = writeln!(out, "let body = Some(crate::call::json_body(&Body {{ {} }})?);", inits.join(", "));
        }
    }
    let decode = if op.response.is_some() { "json" } else { "empty" };
    let _ = writeln!(
        out,
        "call.send(crate::call::Request {{ segments, query: &query, body }}).await?.{decode}()\n}}\n}}\n"
    );
    let _ = writeln!(
        out,
        "impl std::future::IntoFuture for {builder} {{\n\
         type Output = Result<{output}, crate::Error>;\n\
         type IntoFuture = crate::call::BoxFuture<{output}>;\n\
         fn into_future(self) -> Self::IntoFuture {{ Box::pin(self.send()) }}\n}}\n"
    );
}

/// `r#type` → `type_` for a setter name (a raw identifier reads badly in a builder chain).
fn setter(ident: &str) -> String {
    match ident.strip_prefix("r#") {
        Some(s) => format!("{s}_"),
        None => ident.to_owned(),
    }
}

/// A call into `crate::validate` for a field's rules, with `VALUE` standing for a reference to
/// the value; `None` when nothing is checked.
fn check_call(f: &Field) -> Option<String> {
    let r = &f.rules;
    let opt = |v: Option<f64>| v.map_or("None".to_owned(), |v| format!("Some({v:?})"));
    let optu = |v: Option<u64>| v.map_or("None".to_owned(), |v| format!("Some({v})"));
    match &f.ty {
        Ty::F64 | Ty::F32 | Ty::I64 | Ty::I32 => Some(format!(
            "crate::validate::number({:?}, *VALUE as f64, &crate::validate::NumberRule {{ minimum: {}, maximum: {}, exclusive_minimum: {}, exclusive_maximum: {} }})?",
            f.name,
            opt(r.minimum),
            opt(r.maximum),
            r.exclusive_minimum,
            r.exclusive_maximum
        )),
        Ty::String => {
            let format = r.format.as_ref().map_or("None".to_owned(), |f| format!("Some({f:?})"));
            Some(format!(
                "crate::validate::string({:?}, VALUE, &crate::validate::StringRule {{ min_length: {}, max_length: {}, format: {format}, one_of: &{:?} }})?",
                f.name,
                optu(r.min_length),
                optu(r.max_length),
                r.one_of
            ))
        }
        _ => None,
    }
}

fn describe_rules(r: &Rules) -> String {
    let mut parts = Vec::new();
    match (r.minimum, r.exclusive_minimum) {
        (Some(m), true) => parts.push(format!("greater than {m}")),
        (Some(m), false) => parts.push(format!("at least {m}")),
        _ => {}
    }
    match (r.maximum, r.exclusive_maximum) {
        (Some(m), true) => parts.push(format!("less than {m}")),
        (Some(m), false) => parts.push(format!("at most {m}")),
        _ => {}
    }
    if let Some(n) = r.min_length {
        parts.push(format!("at least {n} characters"));
    }
    if let Some(n) = r.max_length {
        parts.push(format!("at most {n} characters"));
    }
    let format = r.format.as_ref().map(|f| match f.as_str() {
        "evm-address" => "an EVM address (`0x` and 40 hexadecimal digits)".to_owned(),
        other => format!("in the `{other}` format"),
    });
    parts.extend(format);
    if !r.one_of.is_empty() {
        parts.push(format!("one of {}", r.one_of.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ")));
    }
    if parts.is_empty() { String::new() } else { format!("Must be {}.", parts.join(", ")) }
}

/// For the tests and the fuzz target: decode a success body as the operation's type.
fn emit_decoders(out: &mut String, ops: &[Op]) {
    out.push_str(
        "#[cfg(any(test, fuzzing))]\n\
         #[doc = \" Decodes a success body as `operation`'s response type, for the property tests and the fuzz target.\"]\n\
         pub(crate) fn decode_success(operation: Operation, success: crate::outcome::Success) -> Result<(), crate::Error> {\n\
         match operation {\n",
    );
    for op in ops {
        let decode = match &op.response {
            Some(ty) => format!("success.json::<{ty}>().map(drop)"),
            None => "success.empty().map(drop)".into(),
        };
        let _ = writeln!(out, "Operation::{} => {decode},", op.variant);
    }
    out.push_str("}\n}\n");
}
