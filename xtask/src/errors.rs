//! One `ErrorResponse` for every error status of every operation.
//!
//! progenitor asserts one error type per operation (oxidecomputer/progenitor#344), and the
//! facade maps one error body. Upstream gives each status its own schema (`UnauthorizedResponse`,
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

fn union(a: &mut Value, b: &Value, at: &str, dropped: &mut BTreeSet<String>) -> Result<(), Box<Conflict>> {
    let both_objects = a.get("properties").is_some() && b.get("properties").is_some();
    if !both_objects && shape(a) != shape(b) {
        return Err(Box::new(Conflict { at: at.to_owned(), first: a.clone(), other: b.clone() }));
    }
    let (Some(am), Some(bm)) = (a.as_object_mut(), b.as_object()) else { return Ok(()) };
    if both_objects {
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
        let breq: Vec<&Value> = bm.get("required").and_then(Value::as_array).into_iter().flatten().collect();
        let req: Vec<Value> = am
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|r| breq.contains(r))
            .cloned()
            .collect();
        if req.is_empty() {
            am.shift_remove("required");
        } else {
            am.insert("required".into(), Value::Array(req));
        }
        for (k, bv) in bm {
            if !ANNOTATIONS.contains(&k.as_str())
                && !["properties", "required", "nullable", "x-src", "x-upstream", TYPE_DESCRIPTION]
                    .contains(&k.as_str())
            {
                if am.get(k).is_some_and(|av| shape(av) != shape(bv)) {
                    return Err(Box::new(Conflict { at: format!("{at} ({k})"), first: a.clone(), other: b.clone() }));
                }
                am.entry(k.clone()).or_insert_with(|| bv.clone());
            }
        }
    }
    // Where the merged schema came from upstream, for the header's type list.
    let origin = |v: Option<&Value>| -> Vec<String> {
        let s = v.and_then(Value::as_str).unwrap_or_default();
        s.strip_prefix("union of ").unwrap_or(s).split(", ").filter(|p| !p.is_empty()).map(str::to_owned).collect()
    };
    let mut names = origin(am.get("x-upstream"));
    names.extend(origin(bm.get("x-upstream")));
    names.sort();
    names.dedup();
    match names.len() {
        0 => {}
        1 => {
            am.insert("x-upstream".into(), json!(names[0]));
        }
        _ => {
            am.insert("x-upstream".into(), json!(format!("union of {}", names.join(", "))));
        }
    }
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

/// The union of every error schema, still normalized (markers kept), or `None` without errors.
pub fn merge(
    errors: &[ErrorSchema],
    sources: &[Source],
    changes: &mut BTreeSet<String>,
) -> Result<Option<Value>, RegenError> {
    let Some(first) = errors.first() else { return Ok(None) };
    let objectish = |e: &ErrorSchema| e.schema.get("properties").is_some();
    for e in errors {
        if !objectish(e) {
            let src = &sources[e.source];
            let (_, ptr) = src_of(&e.schema).unwrap_or_default();
            return Err(src.refuse(
                &ptr,
                format!(
                    "{} {}: the error body is not an object with properties; every error status shares ErrorResponse",
                    e.operation, e.status
                ),
                vec![(
                    ptr.clone(),
                    Edit::Update(json!({"type": "object", "properties": {"error": {"type": "object"}}})),
                )],
                "an object error body",
            ));
        }
    }
    let mut merged = first.schema.clone();
    let mut dropped = BTreeSet::new();
    for e in &errors[1..] {
        union(&mut merged, &e.schema, "", &mut dropped).map_err(|c| {
            let (name, ptr) = src_of(&c.other).unwrap_or_default();
            let src = sources.iter().find(|s| s.name == name).unwrap_or(&sources[e.source]);
            let mut want = shape(&c.first);
            if let (Some(w), Some(n)) = (want.as_object_mut(), c.other.get("nullable")) {
                w.insert("nullable".into(), n.clone());
            }
            src.refuse(
                &ptr,
                format!(
                    "{} {}: the error body disagrees with {} {} at {}: {} there, {} here; every error status shares one ErrorResponse (progenitor#344), so their common fields must have one type",
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
        })?;
    }
    let statuses: Vec<String> = errors.iter().map(|e| format!("{} {}", e.operation, e.status)).collect();
    let mut upstream: Vec<String> =
        errors.iter().filter_map(|e| e.schema.get("x-upstream").and_then(Value::as_str).map(str::to_owned)).collect();
    upstream.sort();
    upstream.dedup();
    changes.insert(format!(
        "ErrorResponse: the union of the error schemas of {} ({})",
        statuses.join(", "),
        if upstream.is_empty() { "inline".to_owned() } else { upstream.join(", ") }
    ));
    for d in dropped {
        changes.insert(format!("ErrorResponse: {d} differs between error schemas; dropped"));
    }
    if let Some(m) = merged.as_object_mut() {
        m.insert("description".into(), json!(DESCRIPTION));
        // Upstream describes each per-status copy ("Error data for UnauthorizedResponse"); the
        // merged one gets its own words when those differ.
        if let Some(e) = m.get_mut("properties").and_then(|p| p.get_mut("error")).and_then(Value::as_object_mut)
            && e.get("properties").is_some()
        {
            e.entry("description").or_insert_with(|| json!(DETAIL_DESCRIPTION));
        }
        m.insert(
            "x-upstream".into(),
            json!(format!(
                "union of {}",
                if upstream.is_empty() { "inline schemas".into() } else { upstream.join(", ") }
            )),
        );
    }
    Ok(Some(merged))
}

fn compact(v: &Value) -> String {
    let mut m = Map::new();
    if let Some(o) = v.as_object() {
        for (k, val) in o {
            if k != "properties" {
                m.insert(k.clone(), val.clone());
            } else {
                m.insert(k.clone(), json!(val.as_object().map(|p| p.keys().cloned().collect::<Vec<_>>())));
            }
        }
    }
    Value::Object(m).to_string()
}
