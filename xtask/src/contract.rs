//! The fragment contract, as regen's last step: `build/contract.rs` states it once (the build
//! checks the same); here its breaches become regen's errors, pointing into the fragment.

use crate::RegenError;
use crate::operations::{TYPES, contract};
use serde_json::Value;

/// Checks the whole fragment; every breach is reported, not only the first.
pub fn check(doc: &Value) -> Result<(), Vec<RegenError>> {
    let breaches: Vec<RegenError> = contract::check(doc, &TYPES)
        .into_iter()
        .map(|b| {
            RegenError::at(format!("fragment#{}", b.pointer), format!("breaks the fragment contract: {}", b.message))
        })
        .collect();
    if breaches.is_empty() { Ok(()) } else { Err(breaches) }
}
