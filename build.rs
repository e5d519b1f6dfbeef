//! Generates the typed client from `openapi/credits.yaml` with progenitor, into `OUT_DIR`.
//!
//! Nothing generated is checked in: `src/generated.rs` `include!`s the output. The fragment itself
//! is written by `cargo xtask regen`; this script only reads it.

use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle, TypePatch};
use std::{env, fs, path::PathBuf};

const SPEC: &str = "openapi/credits.yaml";

/// typify's names for the inline schemas (operation + path) → the names users see.
const RENAMES: [(&str, &str); 9] = [
    ("GetCreditsResponse", "CreditsResponse"),
    ("GetCreditsResponseData", "Credits"),
    ("CreateCoinbaseChargeResponse", "CoinbaseChargeResponse"),
    ("CreateCoinbaseChargeResponseData", "CoinbaseCharge"),
    ("CreateCoinbaseChargeResponseDataWeb3Data", "Web3Data"),
    ("CreateCoinbaseChargeResponseDataWeb3DataTransferIntent", "TransferIntent"),
    ("CreateCoinbaseChargeResponseDataWeb3DataTransferIntentCallData", "CallData"),
    ("CreateCoinbaseChargeResponseDataWeb3DataTransferIntentMetadata", "TransferMetadata"),
    ("ErrorResponseError", "ErrorDetail"),
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed={SPEC}");
    let text = fs::read_to_string(SPEC).map_err(|e| format!("cannot read {SPEC}: {e}"))?;
    let spec: openapiv3::OpenAPI =
        serde_yaml_ng::from_str(&text).map_err(|e| format!("{SPEC} is not an OpenAPI 3.0 document: {e}"))?;

    check_charge_body(&spec)?;

    let mut settings = GenerationSettings::default();
    settings
        // One method per operation taking its body as a plain argument: the facade owns the
        // builders users see, so progenitor's builder style would be a second, hidden one.
        .with_interface(InterfaceStyle::Positional)
        // Positional only works with Merged tags (Separate is `unimplemented!` there).
        .with_tag(TagStyle::Merged)
        // Per-call state (auth header, retry policy, timeout, what happened) rides on the
        // generated client so the `ClientHooks` impl in `src/hooks.rs` can read it.
        .with_inner_type("crate::call::CallContext".parse()?)
        // A missing or mistyped `impl ClientHooks` is a compile error, not silently ignored.
        .with_hooks(HooksMode::Expected)
        // Users compare responses in their tests.
        .with_derive("PartialEq")
        // The integer enum 1/137/8453 would be a validated newtype over i64; ours is a real enum.
        .with_replacement("ChainId", "crate::ChainId", std::iter::empty())
        // typify sorts struct fields by name (typify-impl structs.rs), which would send
        // {"amount","chain_id","sender"}; the official SDKs send spec order. The body is a
        // hand-written struct in spec order, checked against the fragment by `check_charge_body`.
        .with_replacement("CreateChargeRequest", "crate::charge::ChargeRequest", std::iter::empty());
    // Upstream's inline response schemas get long generated names; give them short ones.
    for (generated, short) in RENAMES {
        settings.with_patch(generated, TypePatch::default().with_rename(short));
    }

    let tokens = Generator::new(&settings).generate_tokens(&spec)?;
    let code = prettyplease::unparse(&syn::parse2(tokens)?);
    let out = PathBuf::from(env::var("OUT_DIR")?).join("codegen.rs");
    fs::write(&out, code)?;
    Ok(())
}

/// `src/charge.rs` mirrors `CreateChargeRequest` by hand (see the replacement above); fail the
/// build, rather than send a stale body, if a regenerated fragment changes its fields.
fn check_charge_body(spec: &openapiv3::OpenAPI) -> Result<(), String> {
    const FIELDS: [&str; 3] = ["amount", "sender", "chain_id"];
    let schema = spec
        .components
        .as_ref()
        .and_then(|c| c.schemas.get("CreateChargeRequest"))
        .and_then(|s| s.as_item())
        .ok_or("the fragment has no CreateChargeRequest schema; update src/charge.rs and build.rs")?;
    let openapiv3::SchemaKind::Type(openapiv3::Type::Object(object)) = &schema.schema_kind else {
        return Err("CreateChargeRequest is no longer an object; update src/charge.rs".into());
    };
    let names: Vec<&str> = object.properties.keys().map(String::as_str).collect();
    let required: Vec<&str> = object.required.iter().map(String::as_str).collect();
    if names != FIELDS || required != FIELDS {
        return Err(format!(
            "CreateChargeRequest now has fields {names:?} (required {required:?}); src/charge.rs sends {FIELDS:?}: update it"
        ));
    }
    Ok(())
}
