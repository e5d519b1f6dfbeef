//! The per-operation layer, generated from the fragment's operations (the contract is in ARCHITECTURE.md).
//!
//! For each operation: an `Operation` variant and its facts (method, path, tag, credential,
//! idempotency, documented statuses), a method on its tag's accessor, and a request builder whose
//! setters are the operation's parameters and body fields, with the schema's rules checked before
//! anything is sent. Everything the same for every operation (auth, retries, transport, errors)
//! is the hand-written runtime in `src/`; this only fills in the facts.
//!
//! Written as syntax (`quote!`) from the typed model (`model.rs`), and formatted for reading.

pub mod contract;
mod emit;
mod model;
pub mod naming;
mod open_enum;
pub mod surface;

use model::{Component, Op, Shape, api, tags};
use naming::{docs, ident, pascal};
use proc_macro2::TokenStream;
use quote::quote;
use serde_json::Value;

pub(crate) type Result<T> = std::result::Result<T, String>;

/// Generated code, formatted: the per-operation layer (included in `crate::generated`) and the
/// public re-exports of it and of the generated types, by name (included at the crate root).
pub struct Generated {
    pub operations: String,
    pub exports: String,
    /// The string-enum components generated here as open enums (`open_enum.rs`), each with the
    /// path progenitor must use instead of making its own closed enum.
    pub open_enums: Vec<(String, String)>,
}

/// Where the generated code uses hand-written types instead of generated ones.
pub struct TypeMap<'a> {
    /// By component name: `("ChainId", "crate::ChainId")`.
    pub components: &'a [(&'a str, &'a str)],
    /// Strings of a format, by format name: `("evm-address", "crate::EvmAddress")`.
    pub formats: &'a [(&'a str, &'a str)],
}

impl TypeMap<'_> {
    /// The crate's type that replaces a component, by path.
    pub fn component(&self, name: &str) -> Option<&str> {
        self.components.iter().find(|(c, _)| *c == name).map(|(_, path)| *path)
    }

    /// The crate's type for strings of a format, by path.
    pub fn format(&self, name: &str) -> Option<&str> {
        self.formats.iter().find(|(f, _)| *f == name).map(|(_, path)| *path)
    }
}

/// The crate's: progenitor's settings (`build.rs`) and the builders use the same table, so a
/// setter takes the type the generated types hold.
pub const TYPES: TypeMap<'static> = TypeMap {
    components: &[
        // The integer enum 1/137/8453 would be a validated newtype over i64; ours is a real
        // enum with names (`ChainId::Base`) and parsing from either form.
        ("ChainId", "crate::ChainId"),
    ],
    formats: &[
        // `0x` and 40 hex digits: checked once where a value is made (a response decoded, a
        // setter's argument), inline and `Copy` (no allocation), equal whatever the case.
        ("evm-address", "crate::EvmAddress"),
    ],
};

/// The fragment's operations, in path order then method order, as generated code.
pub fn generate(doc: &Value, types: &TypeMap<'_>) -> Result<Generated> {
    let model = model::read(doc, types)?;
    let ops = &model.ops;
    if ops.is_empty() {
        return Err("has no operations (see openapi/regen.yaml `operations`)".into());
    }
    let mut code = emit::operation_enum(ops);
    code.extend(emit::accessors(ops));
    code.extend(ops.iter().map(emit::builder));
    code.extend(emit::decoders(ops));
    let mut open_enums = Vec::new();
    for c in &model.components {
        if let Shape::OpenEnum { description, values } = &c.shape {
            code.extend(open_enum::emit(&c.name, description.as_deref(), values));
            open_enums.push((c.name.clone(), format!("crate::generated::{}", pascal(&c.name))));
        }
    }
    code.extend(types_module(&model.components));
    Ok(Generated { operations: formatted(code)?, exports: formatted(exports(ops))?, open_enums })
}

/// Code as a reader sees it in `OUT_DIR`.
fn formatted(code: TokenStream) -> Result<String> {
    let file = syn::parse2(code).map_err(|e| format!("the generated code does not parse ({e}): a bug in build/"))?;
    Ok(prettyplease::unparse(&file))
}

/// `pub mod types`: every generated schema type, re-exported by name (the replacements are the
/// crate's own types and are exported where they are written; the open enums are generated
/// beside this module).
fn types_module(components: &[Component]) -> TokenStream {
    let (mut names, mut open) = (Vec::new(), Vec::new());
    for c in components {
        match c.shape {
            Shape::Replaced(_) => {}
            Shape::OpenEnum { .. } => open.push(pascal(&c.name)),
            Shape::Struct(_) | Shape::Newtype(_) => names.push(pascal(&c.name)),
        }
    }
    names.sort();
    open.sort();
    let (names, open) = (names.iter().map(|n| ident(n)), open.iter().map(|n| ident(n)).collect::<Vec<_>>());
    let open = (!open.is_empty()).then(|| quote!(pub use super::{#(#open),*};));
    let doc = docs(
        "Request and response types, generated from the schemas of `openapi/credits.yaml` (docs from its descriptions).",
    );
    quote! {
        #doc
        pub mod types {
            pub use super::progenitor::types::{#(#names),*};
            #open
        }
    }
}

/// The crate-root re-exports of the per-operation layer, by name.
fn exports(ops: &[Op]) -> TokenStream {
    let mut names = vec!["Operation".to_owned(), "types".to_owned()];
    names.extend(tags(ops).into_iter().map(api));
    for op in ops {
        names.push(op.builder());
        names.extend(op.security());
    }
    let names = names.iter().map(|n| ident(n));
    quote!(pub use crate::generated::{#(#names),*};)
}
