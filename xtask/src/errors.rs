//! One `ErrorResponse` for every error status of every operation.
//!
//! The crate maps one error body (`ApiError::body()` returns one `ErrorResponse`, whatever the
//! status or the operation), and the fake server answers with it. Upstream gives each status its own schema (`UnauthorizedResponse`,
//! `ForbiddenResponse`, …), sometimes with an extra optional field on one of them. They are
//! merged into their union: the properties of all, `required` only where all require it,
//! `nullable` where any is. Annotations that differ are dropped. Types that disagree on one
//! property cannot be merged; that is refused with the overlay action that aligns them.

use crate::RegenError;
use crate::fragment::ErrorSchema;
use crate::names::location;
use crate::overlay::Edit;
use crate::schema::{TYPE_DESCRIPTION, strip_markers};
use crate::source::Source;
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

const ANNOTATIONS: [&str; 5] = ["description", "example", "deprecated", "readOnly", "writeOnly"];

pub const DESCRIPTION: &str = "The error body every error status shares: `{error: {code, message, metadata?}, user_id?}` (the union of upstream's per-status error schemas).";

pub const DETAIL_DESCRIPTION: &str =
    "What went wrong: the HTTP status `code`, a human-readable `message`, and optional `metadata`.";

fn shape(v: &Value) -> Value {
    let mut v = v.clone();
    strip_markers(&mut v);
    fn strip(v: &mut Value) {
        if let Value::Object(m) = v {
            for k in ANNOTATIONS.iter().chain(&["nullable"]) {
                m.shift_remove(*k);
            }
            m.values_mut().for_each(strip);
        }
    }
    strip(&mut v);
    v
}

fn src_of(v: &Value) -> Option<(String, String)> {
    let s = v.get("x-src")?.as_str()?;
    let (name, ptr) = s.split_once('#')?;
    Some((name.to_owned(), ptr.to_owned()))
}

struct Conflict {
    at: String,
    first: Value,
    other: Value,
}

/// Keys that `union` merges by their own rule; any other that both schemas set must agree.
const MERGED: [&str; 6] = ["properties", "required", "nullable", "x-src", "x-upstream", TYPE_DESCRIPTION];

fn union(a: &mut Value, b: &Value, at: &str, dropped: &mut BTreeSet<String>) -> Result<(), Box<Conflict>> {
    let both_objects = a.get("properties").is_some() && b.get("properties").is_some();
    if !both_objects && shape(a) != shape(b) {
        return Err(Box::new(Conflict { at: at.to_owned(), first: a.clone(), other: b.clone() }));
    }
    let (Some(am), Some(bm)) = (a.as_object_mut(), b.as_object()) else { return Ok(()) };
    if both_objects {
        union_objects(am, bm, at, dropped)?;
    }
    union_origins(am, bm);
    if bm.get("nullable") == Some(&json!(true)) {
        am.insert("nullable".into(), json!(true));
    }
    if am.get(TYPE_DESCRIPTION) != bm.get(TYPE_DESCRIPTION) {
        am.shift_remove(TYPE_DESCRIPTION);
    }
    for k in ANNOTATIONS {
        if am.get(k).is_some() && am.get(k) != bm.get(k) {
            am.shift_remove(k);
            dropped.insert(format!("{k} at {}", location(&format!("ErrorResponse{at}"))));
        }
    }
    Ok(())
}

/// Two objects: the properties of both (one in both is their `union`), `required` only where
/// both require it, and any other key of `b` that `a` lacks (where both have it, the same shape).
fn union_objects(
    am: &mut Map<String, Value>,
    bm: &Map<String, Value>,
    at: &str,
    dropped: &mut BTreeSet<String>,
) -> Result<(), Box<Conflict>> {
    let mut props = am.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
    for (k, bv) in bm.get("properties").and_then(Value::as_object).into_iter().flatten() {
        match props.get_mut(k) {
            Some(av) => union(av, bv, &format!("{at}/{k}"), dropped)?,
            None => {
                props.insert(k.clone(), bv.clone());
            }
        }
    }
    am.insert("properties".into(), Value::Object(props));
    let breq = bm.get("required").and_then(Value::as_array);
    let areq = am.get("required").and_then(Value::as_array).into_iter().flatten();
    let req: Vec<Value> = areq.filter(|r| breq.is_some_and(|b| b.contains(r))).cloned().collect();
    if req.is_empty() {
        am.shift_remove("required");
    } else {
        am.insert("required".into(), Value::Array(req));
    }
    for (k, bv) in bm.iter().filter(|(k, _)| !ANNOTATIONS.contains(&k.as_str()) && !MERGED.contains(&k.as_str())) {
        if am.get(k).is_some_and(|av| shape(av) != shape(bv)) {
            let (first, other) = (Value::Object(am.clone()), Value::Object(bm.clone()));
            return Err(Box::new(Conflict { at: format!("{at} ({k})"), first, other }));
        }
        am.entry(k.clone()).or_insert_with(|| bv.clone());
    }
    Ok(())
}

/// Where the merged schema came from upstream (`x-upstream`: one name, or `union of A, B`), for
/// the header's type list.
fn union_origins(am: &mut Map<String, Value>, bm: &Map<String, Value>) {
    let origin = |m: &Map<String, Value>| -> Vec<String> {
        let s = m.get("x-upstream").and_then(Value::as_str).unwrap_or_default();
        s.strip_prefix("union of ").unwrap_or(s).split(", ").filter(|p| !p.is_empty()).map(str::to_owned).collect()
    };
    let names: BTreeSet<String> = [origin(am), origin(bm)].concat().into_iter().collect();
    if !names.is_empty() {
        let joined = names.iter().map(String::as_str).collect::<Vec<_>>().join(", ");
        am.insert("x-upstream".into(), json!(if names.len() == 1 { joined } else { format!("union of {joined}") }));
    }
}

/// The union of every error schema, still normalized (markers kept), or `None` without errors.
pub fn merge(
    errors: &[ErrorSchema],
    sources: &[Source],
    changes: &mut BTreeSet<String>,
) -> Result<Option<Value>, RegenError> {
    let Some(first) = errors.first() else { return Ok(None) };
    if let Some(e) = errors.iter().find(|e| e.schema.get("properties").is_none()) {
        return Err(not_an_object(e, &sources[e.source]));
    }
    let mut merged = first.schema.clone();
    let mut dropped = BTreeSet::new();
    for e in &errors[1..] {
        union(&mut merged, &e.schema, "", &mut dropped).map_err(|c| disagreement(&c, e, first, sources))?;
    }
    let statuses: Vec<String> = errors.iter().map(|e| format!("{} {}", e.operation, e.status)).collect();
    let upstream: BTreeSet<&str> = errors.iter().filter_map(|e| e.schema.get("x-upstream")?.as_str()).collect();
    let upstream = (!upstream.is_empty()).then(|| upstream.into_iter().collect::<Vec<_>>().join(", "));
    changes.insert(format!(
        "ErrorResponse: the union of the error schemas of {} ({})",
        statuses.join(", "),
        upstream.as_deref().unwrap_or("inline")
    ));
    changes.extend(dropped.into_iter().map(|d| format!("ErrorResponse: {d} differs between error schemas; dropped")));
    if let Some(m) = merged.as_object_mut() {
        m.insert("description".into(), json!(DESCRIPTION));
        // Upstream describes each per-status copy ("Error data for UnauthorizedResponse"); the
        // merged one gets its own words when those differ.
        if let Some(e) = m.get_mut("properties").and_then(|p| p.get_mut("error")).and_then(Value::as_object_mut)
            && e.get("properties").is_some()
        {
            e.entry("description").or_insert_with(|| json!(DETAIL_DESCRIPTION));
        }
        m.insert("x-upstream".into(), json!(format!("union of {}", upstream.as_deref().unwrap_or("inline schemas"))));
    }
    Ok(Some(merged))
}

/// Refuses `e`'s error body, which is not an object: every error status shares `ErrorResponse`.
fn not_an_object(e: &ErrorSchema, src: &Source) -> RegenError {
    let (_, ptr) = src_of(&e.schema).unwrap_or_default();
    src.refuse(
        &ptr,
        format!(
            "{} {}: the error body is not an object with properties; every error status shares ErrorResponse",
            e.operation, e.status
        ),
        vec![(ptr.clone(), Edit::Update(json!({"type": "object", "properties": {"error": {"type": "object"}}})))],
        "an object error body",
    )
}

/// Refuses `e`'s error body where it disagrees with the union so far (`c`), with the overlay
/// action that gives the field the shape the others have.
fn disagreement(c: &Conflict, e: &ErrorSchema, first: &ErrorSchema, sources: &[Source]) -> RegenError {
    let (name, ptr) = src_of(&c.other).unwrap_or_default();
    let src = sources.iter().find(|s| s.name == name).unwrap_or(&sources[e.source]);
    let mut want = shape(&c.first);
    if let (Some(w), Some(n)) = (want.as_object_mut(), c.other.get("nullable")) {
        w.insert("nullable".into(), n.clone());
    }
    src.refuse(
        &ptr,
        format!(
            "{} {}: the error body disagrees with {} {} at {}: {} there, {} here; every error status shares one ErrorResponse (`ApiError::body`), so their common fields must have one type",
            e.operation,
            e.status,
            first.operation,
            first.status,
            location(&format!("ErrorResponse{}", c.at)),
            compact(&shape(&c.first)),
            compact(&shape(&c.other)),
        ),
        vec![(ptr.clone(), Edit::Update(want))],
        "align this error field with the other error schemas",
    )
}

/// A schema in one line, its properties by name only.
fn compact(v: &Value) -> String {
    let mut m = v.as_object().cloned().unwrap_or_default();
    if let Some(p) = m.get_mut("properties") {
        *p = json!(p.as_object().map(|p| p.keys().collect::<Vec<_>>()));
    }
    Value::Object(m).to_string()
}
