//! The public Rust surface generated for a fragment, item by item, as a user's code sees it:
//! every accessor, builder setter and `send` output (from the same model the emitter uses), and
//! every type, field and enum value with the Rust type typify gives it. `cargo xtask regen`
//! compares two of these to say whether the regenerated crate is a patch, minor or major release.

use super::model::{Op, Shape, Ty, api};
use super::naming::{pascal, snake};
use super::open_enum::variant_name;
use super::{Result, TypeMap};
use serde_json::Value;
use std::collections::BTreeMap;

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
    /// A component the crate's own type replaces (`ChainId`): its item holds the schema it
    /// stands for, so that a change upstream is reported for the hand-written type to follow.
    Replaced,
}

/// One item: its kind and the Rust type a user sees (`Option<f64>`, `fn(impl Into<String>)`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub kind: Kind,
    pub ty: String,
}

/// Items by Rust path: `CurrentKey::limit`, `GetCurrentKeyBuilder::send`, `DataRegion::Us`.
pub type Surface = BTreeMap<String, Item>;

/// The surface of a fragment, from the model the generator reads (`model.rs`): every type as
/// typify gives it (the model's [`Ty`], the setters' own).
#[allow(dead_code)] // build.rs emits from the model; xtask's API-change report reads this
pub fn read(doc: &Value, types: &TypeMap<'_>) -> Result<Surface> {
    let model = super::model::read(doc, types)?;
    let mut out = Surface::new();
    for op in &model.ops {
        operation(op, &mut out);
    }
    for c in &model.components {
        let ty = pascal(&c.name);
        match &c.shape {
            Shape::Replaced(schema) => {
                out.insert(ty, Item { kind: Kind::Replaced, ty: schema.clone() });
            }
            Shape::OpenEnum { values, .. } => {
                out.insert(ty.clone(), Item { kind: Kind::Enum, ty: "open enum".into() });
                for v in values {
                    let item = Item { kind: Kind::Variant, ty: format!("{v:?}") };
                    out.insert(format!("{ty}::{}", variant_name(v)), item);
                }
            }
            Shape::Struct(fields) => {
                out.insert(ty.clone(), Item { kind: Kind::Struct, ty: "struct".into() });
                for (_, field, field_ty) in fields {
                    insert(&mut out, format!("{ty}::{field}"), Kind::Field, field_ty);
                }
            }
            Shape::Newtype(inner) => insert(&mut out, ty, Kind::Newtype, inner),
        }
    }
    Ok(out)
}

/// An item of type `ty`, and the closed enums typify generates for inline enums within it.
fn insert(out: &mut Surface, path: String, kind: Kind, ty: &Ty) {
    closed_enums(ty, out);
    out.insert(path, Item { kind, ty: ty.name() });
}

fn closed_enums(ty: &Ty, out: &mut Surface) {
    match ty {
        Ty::Enum(name, values) => {
            out.insert(name.clone(), Item { kind: Kind::Enum, ty: "closed enum".into() });
            for v in values {
                out.insert(format!("{name}::{}", pascal(v)), Item { kind: Kind::ClosedVariant, ty: format!("{v:?}") });
            }
        }
        Ty::Vec(inner) | Ty::Map(inner) | Ty::Option(inner) => closed_enums(inner, out),
        _ => {}
    }
}

fn operation(op: &Op, out: &mut Surface) {
    let (api, builder) = (api(&op.tag), op.builder());
    out.insert(format!("Client::{}", snake(&op.tag)), Item { kind: Kind::Method, ty: format!("fn() -> {api}") });
    let security = op.security().unwrap_or_default();
    out.insert(format!("{api}::{}", op.snake), Item { kind: Kind::Method, ty: format!("fn({security}) -> {builder}") });
    for f in op.all_fields() {
        let setter =
            Item { kind: Kind::Setter { required: f.required }, ty: format!("fn({})", f.ty.setter_arg(Ty::name)) };
        out.insert(format!("{builder}::{}", f.ident), setter);
    }
    let output = op.response.as_ref().map_or("()".into(), Ty::name);
    out.insert(format!("{builder}::send"), Item { kind: Kind::Output, ty: output });
}
