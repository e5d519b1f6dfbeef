//! The public Rust surface generated for a fragment, item by item, as a user's code sees it:
//! every accessor, builder setter and `send` output (from the same model the emitter uses), and
//! every type, field and enum value with the Rust type typify gives it. `cargo xtask regen`
//! compares two of these to say whether the regenerated crate is a patch, minor or major release.

use super::model::{Op, read_operations};
use super::naming::{pascal, pascal_words, snake};
use super::open_enum::variant_name;
use super::{Result, TypeMap};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// What an item of the surface is; it decides what adding, removing or changing it breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A method returning a builder or an accessor (`CreditsApi::get_current_key`).
    Method,
    /// A builder's setter; a new required one breaks every call that does not set it.
    Setter { required: bool },
    /// What a builder's `send` returns.
    Output,
    /// A generated struct (every one is `#[non_exhaustive]`).
    Struct,
    /// A field of a generated struct.
    Field,
    /// A generated open string enum (`#[non_exhaustive]`, with `Unknown(String)`).
    Enum,
    /// A documented value of an open enum.
    Variant,
    /// A value of an enum typify generates closed (an inline string `enum` regen did not name):
    /// a new one breaks exhaustive matches.
    ClosedVariant,
    /// Any other generated type (a newtype over its schema's type).
    Newtype,
}

/// One item: its kind and the Rust type a user sees (`Option<f64>`, `fn(impl Into<String>)`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub kind: Kind,
    pub ty: String,
}

/// Items by Rust path: `CurrentKey::limit`, `GetCurrentKeyBuilder::send`, `DataRegion::Us`.
pub type Surface = BTreeMap<String, Item>;

/// The surface of a fragment, read through the per-operation model and the type rules typify
/// follows (see [`field_type`]).
#[allow(dead_code)] // build.rs emits from the model; xtask's API-change report reads this
pub fn read(doc: &Value, types: &TypeMap<'_>) -> Result<Surface> {
    let mut out = Surface::new();
    for op in read_operations(doc, types)? {
        operation(&op, &mut out);
    }
    let schemas = doc.pointer("/components/schemas").and_then(Value::as_object);
    for (name, schema) in schemas.into_iter().flatten() {
        if types.components.iter().any(|(r, _)| r == name) {
            continue;
        }
        let ty = pascal(name);
        if let Some(values) = schema.get("enum").and_then(Value::as_array).filter(|_| is(schema, "string")) {
            out.insert(ty.clone(), Item { kind: Kind::Enum, ty: "open enum".into() });
            for v in values.iter().filter_map(Value::as_str) {
                out.insert(format!("{ty}::{}", variant_name(v)), Item { kind: Kind::Variant, ty: format!("{v:?}") });
            }
        } else if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            out.insert(ty.clone(), Item { kind: Kind::Struct, ty: "struct".into() });
            let required: BTreeSet<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            for (prop, s) in props {
                let field = field_type(&ty, prop, s, required.contains(prop.as_str()), types, &mut out);
                out.insert(format!("{ty}::{}", snake(prop)), Item { kind: Kind::Field, ty: field });
            }
        } else {
            let inner = base_type(&ty, schema, types, &mut out);
            out.insert(ty, Item { kind: Kind::Newtype, ty: inner });
        }
    }
    Ok(out)
}

fn operation(op: &Op, out: &mut Surface) {
    let api = format!("{}Api", pascal(&op.tag));
    let builder = format!("{}Builder", op.variant);
    out.insert(format!("Client::{}", snake(&op.tag)), Item { kind: Kind::Method, ty: format!("fn() -> {api}") });
    let security = if op.credential == "PerCall" { format!("{}Security", op.variant) } else { String::new() };
    out.insert(format!("{api}::{}", op.snake), Item { kind: Kind::Method, ty: format!("fn({security}) -> {builder}") });
    for f in op.all_fields() {
        let arg = f.ty.setter_arg();
        out.insert(
            format!("{builder}::{}", f.ident),
            Item { kind: Kind::Setter { required: f.required }, ty: format!("fn({})", short(&arg)) },
        );
    }
    let output = op.response.as_deref().map_or("()".into(), short);
    out.insert(format!("{builder}::send"), Item { kind: Kind::Output, ty: output });
}

/// `crate::generated::types::CurrentKey` → `CurrentKey`: the path a user names it by.
fn short(path: &str) -> String {
    path.replace("crate::generated::types::", "").replace("crate::generated::", "").replace("crate::", "")
}

fn is(schema: &Value, ty: &str) -> bool {
    schema.get("type").and_then(Value::as_str) == Some(ty)
}

/// A property's type as typify generates it: nullable is `Option<T>`; a property that is not
/// required is `Option<T>` too, unless it has a `default` or its type has an empty value of its
/// own (`Vec`, a map, already an `Option`), which an absent property decodes to.
fn field_type(parent: &str, prop: &str, s: &Value, required: bool, types: &TypeMap<'_>, out: &mut Surface) -> String {
    let nullable = s.get("nullable").and_then(Value::as_bool) == Some(true);
    let base = base_type(&format!("{parent}{}", pascal_words(prop)), s, types, out);
    let ty = if nullable { format!("Option<{base}>") } else { base };
    let has_empty = ["Option<", "Vec<", "Map<"].iter().any(|p| ty.starts_with(p));
    if required || has_empty || s.get("default").is_some() { ty } else { format!("Option<{ty}>") }
}

/// The Rust type of a schema, without the `Option` nullability adds. `inline` names an inline
/// type typify would generate for it (an enum not hoisted into a component), added to `out`.
fn base_type(inline: &str, s: &Value, types: &TypeMap<'_>, out: &mut Surface) -> String {
    if let Some(name) = s.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/components/schemas/")) {
        return match types.components.iter().find(|(c, _)| *c == name) {
            Some((_, path)) => short(path),
            None => pascal(name),
        };
    }
    if let Some([only]) = s.get("allOf").and_then(Value::as_array).map(Vec::as_slice) {
        let inner = base_type(inline, only, types, out);
        return if only.get("nullable").and_then(Value::as_bool) == Some(true) {
            format!("Option<{inner}>")
        } else {
            inner
        };
    }
    let format = s.get("format").and_then(Value::as_str).unwrap_or_default();
    match s.get("type").and_then(Value::as_str) {
        Some("string") if s.get("enum").is_some() => {
            out.insert(inline.to_owned(), Item { kind: Kind::Enum, ty: "closed enum".into() });
            for v in s.get("enum").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
                out.insert(
                    format!("{inline}::{}", pascal(v)),
                    Item { kind: Kind::ClosedVariant, ty: format!("{v:?}") },
                );
            }
            inline.to_owned()
        }
        Some("string") => match types.formats.iter().find(|(f, _)| *f == format) {
            Some((_, path)) => short(path),
            None => "String".into(),
        },
        Some("number") if format == "float" => "f32".into(),
        Some("number") => "f64".into(),
        Some("integer") => match format {
            "int8" | "int16" | "int32" | "int64" | "uint8" | "uint16" | "uint32" | "uint64" => {
                format.replacen("uint", "u", 1).replacen("int", "i", 1)
            }
            "int" => "i32".into(),
            "uint" => "u32".into(),
            _ if s.get("minimum").and_then(Value::as_f64).is_some_and(|m| m >= 0.0) => "u64".into(),
            _ => "i64".into(),
        },
        Some("boolean") => "bool".into(),
        Some("array") => {
            let items = s.get("items").cloned().unwrap_or(Value::Null);
            format!("Vec<{}>", base_type(&format!("{inline}Item"), &items, types, out))
        }
        Some("object") if s.get("properties").and_then(Value::as_object).is_some_and(|p| !p.is_empty()) => {
            inline.to_owned()
        }
        Some("object") => {
            match s.get("additionalProperties").filter(|a| a.is_object() && *a != &Value::Object(Default::default())) {
                Some(values) => format!("Map<String, {}>", base_type(&format!("{inline}Value"), values, types, out)),
                None => "Map<String, Value>".into(),
            }
        }
        _ => "Value".into(),
    }
}
