//! One upstream document as regen read it (after the overlay), and how regen refuses something
//! in it: the pointer into that file, the cause, and the overlay action that fixes it.

use crate::RegenError;
use crate::overlay::{Edit, suggest};
use serde_json::Value;

/// One upstream document after the overlay.
#[derive(Debug)]
pub struct Source {
    /// File name, as the header and messages show it.
    pub name: String,
    /// Path as the config names it.
    pub path: String,
    pub sha256: String,
    pub openapi: String,
    pub version: String,
    pub doc: Value,
}

impl Source {
    pub fn refuse(&self, ptr: &str, message: impl Into<String>, edits: Vec<(String, Edit)>, why: &str) -> RegenError {
        let mut e = RegenError::at(format!("{}#{ptr}", self.name), message);
        if !edits.is_empty() {
            e.fix = Some(suggest(&self.doc, &edits, why));
        }
        e
    }
}
