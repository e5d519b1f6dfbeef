//! The code `build.rs` generates from `openapi/credits.yaml`: the types (progenitor), and the
//! per-operation layer (`build/operations.rs`). Private: `lib.rs` re-exports the public names.
//!
//! Generated code is never edited; change the fragment (through `openapi/overlay.yaml` and
//! `openapi/regen.yaml`) or the settings in `build.rs`.

/// progenitor's type space (typify's code, not the crate's): `types.rs` is `pub mod types`.
// typify documents a field only where the schema describes it, writes code of its own style, and
// adds a conversion error that types without constraints never use.
#[allow(missing_docs, dead_code, unreachable_pub, clippy::all, clippy::pedantic)]
mod progenitor {
    include!(concat!(env!("OUT_DIR"), "/types.rs"));
}

include!(concat!(env!("OUT_DIR"), "/operations.rs"));

/// The fragment itself, for the mock server's answers and checks.
#[cfg(feature = "mock")]
pub(crate) const FRAGMENT_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/fragment.json"));
