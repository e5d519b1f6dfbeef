//! The code progenitor generates from `openapi/credits.yaml` (see `build.rs`). Private: the
//! facade re-exports the types users need by name, and nothing else.
//!
//! Generated code is never edited; change the fragment, the settings in `build.rs`, or the
//! hooks in `hooks.rs`.

// Generated items: `Client::new` goes unused (the facade passes its own reqwest client to
// `new_with_client`) and typify documents types, not every field.
#![allow(dead_code, missing_docs, unreachable_pub, clippy::all, clippy::pedantic)]

include!(concat!(env!("OUT_DIR"), "/codegen.rs"));
