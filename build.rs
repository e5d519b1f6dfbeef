//! Generates the client from `openapi/credits.yaml` into `OUT_DIR`, in two parts:
//!
//! - `types.rs`: progenitor's type space (typify) turns the fragment's schemas into the request
//!   and response types, with their docs. progenitor is asked for its types alone: it is given the
//!   fragment's components without its paths, so it generates no client (the operations below
//!   build their own requests) and the crate needs no `progenitor-client`;
//! - `operations.rs`: `build/operations.rs` turns the fragment's operations into everything that
//!   differs per operation: the `Operation` enum and its facts, one accessor per tag, one request
//!   builder per operation (setters, validation, wire encoding), per-call security types.
//!
//! The mock server also gets the fragment itself, as JSON (`fragment.json`), to answer from its
//! examples and check request bodies against its schemas.
//!
//! Nothing generated is checked in; `src/generated.rs` `include!`s it. The fragment is written by
//! `cargo xtask regen`; this script only reads it. What it relies on is the contract in ARCHITECTURE.md.

#[path = "build/operations.rs"]
mod operations;

use operations::TYPES;

use progenitor::{GenerationSettings, Generator, TypeImpl, TypePatch};
use schemars::schema::{InstanceType, SchemaObject};
use std::{env, fs, path::PathBuf};

/// The fragment's JSON twin: `cargo xtask regen` writes `openapi/credits.yaml` (reviewed, with
/// its provenance header) and the same document as JSON, so that this script needs no YAML
/// parser (every dependent compiles a build script's dependencies; serde_yaml_ng cost 5 CPU s).
const SPEC: &str = "openapi/credits.json";

fn main() {
    if let Err(e) = run() {
        // One line naming the file and the cause, instead of a panic's backtrace.
        eprintln!("error: {SPEC}: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    // `cfg(tls)`: this build can speak https, through any of the TLS features.
    println!("cargo::rustc-check-cfg=cfg(tls)");
    if ["RUSTLS", "NATIVE_TLS", "RUSTLS_RING"].iter().any(|f| env::var_os(format!("CARGO_FEATURE_{f}")).is_some()) {
        println!("cargo::rustc-cfg=tls");
    }
    println!("cargo:rerun-if-changed={SPEC}");
    println!("cargo:rerun-if-changed=build");
    let text = fs::read_to_string(SPEC).map_err(|e| format!("cannot read it: {e}"))?;
    let out = PathBuf::from(env::var("OUT_DIR")?);

    // The per-operation layer first: it checks the fragment against the contract and names the
    // JSON pointer of anything it cannot use, before progenitor could panic on it.
    let document: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("is not a JSON document: {e}"))?;
    let generated = operations::generate(&document, &TYPES)?;
    fs::write(out.join("operations.rs"), &generated.operations)?;
    fs::write(out.join("exports.rs"), &generated.exports)?;
    fs::write(out.join("fragment.json"), serde_json::to_string(&document)?)?;

    let mut spec: openapiv3::OpenAPI =
        serde_json::from_str(&text).map_err(|e| format!("is not an OpenAPI 3.0 document: {e}"))?;
    // The types alone: without paths progenitor processes no operation, so it neither generates
    // a client method nor asserts anything about responses; its type space holds every component.
    spec.paths = openapiv3::Paths::default();
    let mut settings = GenerationSettings::default();
    // The default interface (positional) leaves the types as they are (the builder interface
    // would add a builder to each). Users compare responses in their tests.
    settings.with_derive("PartialEq");
    for &(component, path) in TYPES.components {
        settings.with_replacement(component, path, std::iter::empty());
    }
    // String enums are generated open (an unknown value decodes, with its text kept).
    for (component, path) in &generated.open_enums {
        settings.with_replacement(component, path, std::iter::empty());
    }
    // typify matches a conversion on the schema without its description: any string field of
    // the format, wherever it is.
    for &(format, path) in TYPES.formats {
        let schema = SchemaObject {
            instance_type: Some(InstanceType::String.into()),
            format: Some(format.to_owned()),
            ..SchemaObject::default()
        };
        settings.with_conversion(schema, path, [TypeImpl::Display, TypeImpl::FromStr].into_iter());
    }
    // Semver: upstream adds fields and enum values without notice. Every generated type is
    // `#[non_exhaustive]`, so that reaching users in a minor release is not a breaking change
    // (they get values by decoding, never by struct literal).
    let components = document.pointer("/components/schemas").and_then(|c| c.as_object());
    for name in components.into_iter().flat_map(|c| c.keys()) {
        let replaced = TYPES.components.iter().any(|(r, _)| r == name);
        if !replaced && !generated.open_enums.iter().any(|(r, _)| r == name) {
            settings.with_patch(name, TypePatch::default().with_attr("#[non_exhaustive]"));
        }
    }
    let mut generator = Generator::new(&settings);
    // What this returns is a client with no methods; only the type space it filled is kept.
    generator.generate_tokens(&spec)?;
    let types = generator.get_type_space().to_stream();
    write_rust(&out.join("types.rs"), quote::quote!(pub mod types { #types }))?;
    Ok(())
}

fn write_rust(path: &std::path::Path, tokens: proc_macro2::TokenStream) -> Result<(), Box<dyn std::error::Error>> {
    let code = prettyplease::unparse(&syn::parse2(tokens)?);
    fs::write(path, code)?;
    Ok(())
}
