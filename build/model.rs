//! Reading the fragment, once ([`read`]): each operation as the facts, parameters, body fields
//! and response type the emitter needs, each component as the Rust type made of it, or an error
//! naming the JSON pointer of what breaks the contract; and the Rust type typify gives a schema
//! ([`Ty::of`]), the one mapping the setters and the API-change report (`surface.rs`) share.

use super::contract::{
    METHODS, NUMERIC_FORMATS, check, component, escape, flag, named, required, schemas, string_enum, text,
};
use super::naming::{collision, pascal, pascal_words, snake};
use super::open_enum::variant_name;
use super::{Result, TypeMap};
use serde_json::Value;

/// The fragment as the generator reads it: everything generated (`emit.rs`, `open_enum.rs`, the
/// types module) and the API-change report (`surface.rs`) are made from this, never from the JSON.
pub(super) struct Model {
    /// In path order, then method order.
    pub(super) ops: Vec<Op>,
    /// Every component schema, in the fragment's order.
    pub(super) components: Vec<Component>,
}

/// A component schema, by its name in the fragment (the Rust name is its `pascal`).
pub(super) struct Component {
    pub(super) name: String,
    pub(super) shape: Shape,
}

/// What is generated for a component.
pub(super) enum Shape {
    /// Nothing: the crate's own type (`TypeMap::components`) replaces it. This holds the schema
    /// it stands for, without annotations, so that the API-change report can tell the
    /// maintainer when upstream changes it (a new chain id): the hand-written type must follow.
    Replaced(String),
    /// An open enum (`open_enum.rs`) of the documented values.
    OpenEnum { description: Option<String>, values: Vec<String> },
    /// A struct (typify's), with each property's Rust name and type: `(wire, rust, type)`.
    Struct(Vec<(String, String, Ty)>),
    /// A newtype (typify's) over this type.
    Newtype(Ty),
}

/// Reads the fragment: the contract (`contract.rs`) is checked first, so that reading can take
/// its shape for granted; what only the Rust names break (two wire names, one Rust name) is
/// refused here, with the JSON pointer and the fix.
pub(super) fn read(doc: &Value, types: &TypeMap<'_>) -> Result<Model> {
    let breaches = check(doc, types);
    if !breaches.is_empty() {
        let lines: Vec<String> = breaches.iter().map(|b| format!("{}: {}", b.pointer, b.message)).collect();
        return Err(lines.join("\n"));
    }
    let components = schemas(doc).map(|(name, schema)| read_component(name, schema, types)).collect::<Result<_>>()?;
    Ok(Model { ops: read_operations(doc, types)?, components })
}

fn read_component(name: &str, schema: &Value, types: &TypeMap<'_>) -> Result<Component> {
    let at = format!("/components/schemas/{}", escape(name));
    let rust = pascal(name);
    let shape = if types.component(name).is_some() {
        let mut bare = schema.clone();
        if let Some(o) = bare.as_object_mut() {
            o.retain(|k, _| !["description", "example", "title", "deprecated"].contains(&k.as_str()));
        }
        Shape::Replaced(bare.to_string())
    } else if let Some(values) = string_enum(schema) {
        if let Some((first, second, variant)) = collision(values.iter().map(String::as_str), variant_name) {
            return Err(format!("{at}/enum: `{first}` and `{second}` both become the Rust variant `{variant}`"));
        }
        Shape::OpenEnum { description: text(schema, "description").map(str::to_owned), values }
    } else if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        // typify would generate a struct with the field twice.
        if let Some((first, second, field)) = collision(props.keys().map(String::as_str), snake) {
            return Err(format!(
                "{at}/properties/{}: `{first}` and `{second}` are both the field `{field}` in Rust; remove one in openapi/overlay.yaml",
                escape(&second)
            ));
        }
        let required = required(schema);
        let field = |(prop, s): (&String, &Value)| {
            let ty = Ty::field(s, required.contains(&prop.as_str()), types, &format!("{rust}{}", pascal_words(prop)));
            (prop.clone(), snake(prop), ty)
        };
        Shape::Struct(props.iter().map(field).collect())
    } else {
        Shape::Newtype(Ty::of(schema, types, Some(&rust)))
    };
    Ok(Component { name: name.to_owned(), shape })
}

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
    /// The success type, `None` when the success response has no body.
    pub(super) response: Option<Ty>,
    pub(super) statuses: Vec<u16>,
}

impl Op {
    /// The builder's setters: the parameters, then the body's fields.
    pub(super) fn all_fields(&self) -> impl Iterator<Item = &Field> {
        self.params.iter().chain(self.body.iter().flatten())
    }

    pub(super) fn builder(&self) -> String {
        format!("{}Builder", self.variant)
    }

    /// The type of the bearer a call brings, for an operation whose credential is per call.
    pub(super) fn security(&self) -> Option<String> {
        (self.credential == "PerCall").then(|| format!("{}Security", self.variant))
    }
}

/// The accessor type of a tag (`API Keys` → `ApiKeysApi`).
pub(super) fn api(tag: &str) -> String {
    format!("{}Api", pascal(tag))
}

/// The operations' tags, each once, in the order they first appear: one accessor each.
pub(super) fn tags(ops: &[Op]) -> Vec<&str> {
    let mut tags: Vec<&str> = Vec::new();
    for op in ops {
        if !tags.contains(&op.tag.as_str()) {
            tags.push(&op.tag);
        }
    }
    tags
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

/// A Rust type, as typify gives it to a schema: the one mapping behind the builders' setters
/// (`emit.rs`) and the API-change report's fields (`surface.rs`), so the two always agree.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Ty {
    String,
    /// `f64`, `f32`, `i64`, `u64`…: see [`number`].
    Number(String),
    Bool,
    /// A generated or replacement type, by path.
    Named(String),
    /// A string of a format the crate parses into its own type (`crate::EvmAddress`), by path.
    Parsed(String),
    Vec(Box<Ty>),
    /// An object of string keys (`additionalProperties`), by the values' type.
    Map(Box<Ty>),
    /// Any JSON value: a schema without a type, or a map's values without one.
    Json,
    Option(Box<Ty>),
    /// The closed enum typify makes of an inline string `enum` (one regen did not name), by the
    /// name typify derives from its location, and its values.
    Enum(String, Vec<String>),
}

impl Ty {
    /// The type of `schema`, without the `Option` a property's own `nullable` adds (the setter
    /// sends a value or nothing; the report adds it, [`Ty::field`]). `inline` is the name typify
    /// gives a type it generates for an inline enum here; `None` for a setter (a parameter or
    /// body field), which takes such an enum as text checked against its values ([`Rules::one_of`]).
    pub(super) fn of(schema: &Value, types: &TypeMap<'_>, inline: Option<&str>) -> Ty {
        if let Some(name) = component(schema) {
            let generated = || format!("crate::generated::types::{}", pascal(name));
            return Ty::Named(types.component(name).map_or_else(generated, str::to_owned));
        }
        if let Some([only]) = schema.get("allOf").and_then(Value::as_array).map(Vec::as_slice) {
            let ty = Ty::of(only, types, inline);
            return if flag(only, "nullable") { Ty::Option(Box::new(ty)) } else { ty };
        }
        let format = text(schema, "format").unwrap_or_default();
        let below = |suffix: &str| inline.map(|name| format!("{name}{suffix}"));
        match text(schema, "type") {
            Some("string") => match (inline, string_enum(schema)) {
                (Some(name), Some(values)) => Ty::Enum(name.to_owned(), values),
                _ => types.format(format).map_or(Ty::String, |path| Ty::Parsed(path.to_owned())),
            },
            Some(ty @ ("number" | "integer")) => Ty::Number(number(ty, format, schema)),
            Some("boolean") => Ty::Bool,
            Some("array") => {
                let items = schema.get("items").unwrap_or(&Value::Null);
                Ty::Vec(Box::new(Ty::of(items, types, below("Item").as_deref())))
            }
            // An inline object with properties breaks the contract (regen hoists every one into
            // a component), so an object here is a map: of its `additionalProperties`' type, of
            // any value when they are `true`, `{}` or absent.
            Some("object") => {
                let values =
                    schema.get("additionalProperties").filter(|a| a.as_object().is_some_and(|a| !a.is_empty()));
                Ty::Map(Box::new(values.map_or(Ty::Json, |v| Ty::of(v, types, below("Value").as_deref()))))
            }
            _ => Ty::Json,
        }
    }

    /// A struct field's type, as typify generates it: nullable is `Option<T>`; a property that is
    /// not required is `Option<T>` too, unless it has a `default` or its type has an empty value
    /// of its own (`Vec`, a map, already an `Option`), which an absent property decodes to.
    pub(super) fn field(schema: &Value, required: bool, types: &TypeMap<'_>, inline: &str) -> Ty {
        let mut ty = Ty::of(schema, types, Some(inline));
        if flag(schema, "nullable") {
            ty = Ty::Option(Box::new(ty));
        }
        let has_empty = matches!(ty, Ty::Option(_) | Ty::Vec(_) | Ty::Map(_));
        if required || has_empty || schema.get("default").is_some() { ty } else { Ty::Option(Box::new(ty)) }
    }

    /// The Rust type as the generated code spells it (`crate::generated::types::Credits`).
    pub(super) fn text(&self) -> String {
        self.spell(true)
    }

    /// The Rust type as a user's code names it (`Credits`, `Map<String, Value>`): every type is
    /// re-exported by its last segment, at the crate root or in `types`.
    pub(super) fn name(&self) -> String {
        self.spell(false)
    }

    fn spell(&self, full: bool) -> String {
        let inner = |ty: &Ty| ty.spell(full);
        match self {
            Ty::String => "String".into(),
            Ty::Number(number) => number.clone(),
            Ty::Bool => "bool".into(),
            Ty::Named(path) | Ty::Parsed(path) if full => path.clone(),
            Ty::Named(path) | Ty::Parsed(path) => path.rsplit("::").next().unwrap_or(path).to_owned(),
            Ty::Vec(item) => format!("Vec<{}>", inner(item)),
            Ty::Option(some) => format!("Option<{}>", inner(some)),
            Ty::Map(values) if !full => format!("Map<String, {}>", inner(values)),
            Ty::Map(values) if **values == Ty::Json => "serde_json::Map<String, serde_json::Value>".into(),
            Ty::Map(values) => format!("std::collections::HashMap<String, {}>", inner(values)),
            Ty::Json if full => "serde_json::Value".into(),
            Ty::Json => "Value".into(),
            Ty::Enum(name, _) => name.clone(),
        }
    }

    /// What a setter of this type takes, spelled by `spell` ([`Ty::text`] or [`Ty::name`]): text
    /// for a `String` or a parsed format, else the type.
    pub(super) fn setter_arg(&self, spell: fn(&Ty) -> String) -> String {
        match self {
            Ty::String => "impl Into<String>".into(),
            Ty::Parsed(_) => "impl AsRef<str>".into(),
            other => spell(other),
        }
    }
}

/// typify's type for a `number` (`f32` for `format: float`, else `f64`) or an `integer`: by its
/// format (`int32` → `i32`, `uint8` → `u8`), else `u64` when its minimum is 0 or more, else `i64`.
fn number(ty: &str, format: &str, schema: &Value) -> String {
    match format {
        _ if ty == "number" => if format == "float" { "f32" } else { "f64" }.into(),
        "int8" | "int16" | "int32" | "int64" | "uint8" | "uint16" | "uint32" | "uint64" => {
            format.replacen("uint", "u", 1).replacen("int", "i", 1)
        }
        "int" => "i32".into(),
        "uint" => "u32".into(),
        _ if schema.get("minimum").and_then(Value::as_f64).is_some_and(|m| m >= 0.0) => "u64".into(),
        _ => "i64".into(),
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

/// The fragment's operations, in path order then method order.
fn read_operations(doc: &Value, types: &TypeMap<'_>) -> Result<Vec<Op>> {
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

fn read_operation(doc: &Value, at: &str, path: &str, method: &str, op: &Value, types: &TypeMap<'_>) -> Result<Op> {
    let id = text(op, "operationId").unwrap_or_default().to_owned();
    let idempotent = match op.get("x-idempotent") {
        Some(v) => v.as_bool() == Some(true),
        None => matches!(method, "get" | "head" | "put" | "delete" | "options"),
    };
    let params = parameters(at, op, types)?;
    let body = request_body(doc, op, types);
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
        summary: text(op, "summary").map(str::to_owned),
        description: text(op, "description").map(str::to_owned),
        deprecated: flag(op, "deprecated"),
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
        let name = text(p, "name").unwrap_or_default();
        let location = if text(p, "in") == Some("path") { In::Path } else { In::Query };
        let required = location == In::Path || flag(p, "required");
        let schema = p.get("schema").unwrap_or(&Value::Null);
        let mut f = field(name, location, required, schema, text(p, "description"), types);
        f.separator = separator(&pat, p, &f)?;
        params.push(f);
    }
    Ok(params)
}

/// The body's fields: the properties of the component it names, in spec order. A `readOnly`
/// property is the server's to set: it is never sent, so it has no setter.
fn request_body(doc: &Value, op: &Value, types: &TypeMap<'_>) -> Option<Vec<Field>> {
    let schema = op.pointer("/requestBody/content/application~1json/schema")?;
    let target = named(doc, component(schema)?)?;
    let required = required(target);
    let props = target.get("properties").and_then(Value::as_object).into_iter().flatten();
    let sent = props.filter(|(_, s)| !flag(s, "readOnly"));
    let fields = sent.map(|(prop, schema)| {
        let req = required.contains(&prop.as_str());
        field(prop, In::Body, req, schema, text(schema, "description"), types)
    });
    Some(fields.collect())
}

/// The success type (the lowest 2xx's, `None` without a body) and every documented status.
fn responses(op: &Value, types: &TypeMap<'_>) -> (Option<Ty>, Vec<u16>) {
    let responses = op.get("responses").and_then(Value::as_object).into_iter().flatten();
    let mut statuses: Vec<(u16, &Value)> = responses.filter_map(|(c, r)| Some((c.parse().ok()?, r))).collect();
    statuses.sort_by_key(|(s, _)| *s);
    let success = statuses.iter().find(|(s, _)| (200..300).contains(s));
    let schema = success.and_then(|(_, r)| r.pointer("/content/application~1json/schema"));
    let response = schema.map(|s| Ty::of(s, types, None));
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

/// A parameter or body field: its setter takes the type typify gives the schema (an inline enum
/// is text checked against the values; a body field's is a named open enum, regen hoists it).
fn field(name: &str, location: In, required: bool, schema: &Value, doc: Option<&str>, types: &TypeMap<'_>) -> Field {
    let ty = Ty::of(schema, types, None);
    let mut doc = doc.map(str::to_owned);
    if flag(schema, "deprecated") {
        doc = Some(format!("{}\n\nDeprecated upstream.", doc.unwrap_or_else(|| format!("`{name}`."))));
    }
    let num = |k: &str| schema.get(k).and_then(Value::as_f64);
    let rules = Rules {
        minimum: num("minimum"),
        maximum: num("maximum"),
        exclusive_minimum: flag(schema, "exclusiveMinimum"),
        exclusive_maximum: flag(schema, "exclusiveMaximum"),
        min_length: schema.get("minLength").and_then(Value::as_u64),
        max_length: schema.get("maxLength").and_then(Value::as_u64),
        format: text(schema, "format").filter(|f| !NUMERIC_FORMATS.contains(f)).map(str::to_owned),
        one_of: string_enum(schema).filter(|_| ty == Ty::String).unwrap_or_default(),
    };
    Field { ident: snake(name), name: name.to_owned(), location, required, ty, doc, rules, separator: None }
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
