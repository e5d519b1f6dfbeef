//! Step 4: say in words what changed against the checked-in fragment, before anything is
//! written: upstream's changes to the operations, then the fields the generated types gain or lose.

use crate::OperationRef;
use crate::extract::operation_pointer;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

const MAX_DEPTH: usize = 16;

/// Operation-level changes: added, deprecated, request body removed, responses and security changed.
pub fn upstream_changes(old: &Value, new: &Value, operations: &[OperationRef]) -> Vec<String> {
    let mut out = Vec::new();
    for op in operations {
        let p = operation_pointer(op);
        let (Some(before), Some(after)) = (old.pointer(&p), new.pointer(&p)) else {
            if old.pointer(&p).is_none() {
                out.push(format!("operation added: {op}"));
            }
            continue;
        };
        let flag = |v: &Value| v.get("deprecated").and_then(Value::as_bool).unwrap_or(false);
        if flag(after) && !flag(before) {
            let why = after.get("description").and_then(Value::as_str).unwrap_or("no reason given");
            out.push(format!("operation deprecated upstream: {op}: {}", why.trim()));
        }
        match (before.get("requestBody").is_some(), after.get("requestBody").is_some()) {
            (true, false) => out.push(format!("request body removed: {op}")),
            (false, true) => out.push(format!("request body added: {op}")),
            _ => {}
        }
        let codes = |v: &Value| -> BTreeMap<String, bool> {
            v.get("responses")
                .and_then(Value::as_object)
                .map(|r| r.iter().map(|(c, resp)| (c.clone(), resp.get("content").is_some())).collect())
                .unwrap_or_default()
        };
        let (b, a) = (codes(before), codes(after));
        let added: Vec<&str> = a.keys().filter(|c| !b.contains_key(*c)).map(String::as_str).collect();
        let removed: Vec<&str> = b.keys().filter(|c| !a.contains_key(*c)).map(String::as_str).collect();
        let lost_body: Vec<&str> =
            b.iter().filter(|(c, had)| **had && a.get(*c) == Some(&false)).map(|(c, _)| c.as_str()).collect();
        let mut parts = Vec::new();
        if !added.is_empty() {
            parts.push(format!("added {}", added.join(", ")));
        }
        if !removed.is_empty() {
            parts.push(format!("removed {}", removed.join(", ")));
        }
        if !lost_body.is_empty() {
            parts.push(format!("no body any more on {}", lost_body.join(", ")));
        }
        if !parts.is_empty() {
            out.push(format!("responses changed: {op}: {}", parts.join("; ")));
        }
        if before.get("security") != after.get("security") {
            let show = |v: &Value| v.get("security").map_or("(document default)".into(), Value::to_string);
            out.push(format!("security changed: {op}: {} -> {}", show(before), show(after)));
        }
    }
    for (path, item) in old.get("paths").and_then(Value::as_object).into_iter().flatten() {
        for method in item.as_object().into_iter().flat_map(|i| i.keys()).filter(|m| *m != "parameters") {
            if !operations.iter().any(|o| &o.path == path && &o.method == method) {
                out.push(format!("operation removed: {} {path}", method.to_uppercase()));
            }
        }
    }
    out
}

/// Field-level changes of the generated types, e.g. `fields removed: createCoinbaseCharge 200.data`.
pub fn type_changes(old: &Value, new: &Value) -> Vec<String> {
    let (before, after) = (fields(old), fields(new));
    let mut out = Vec::new();
    let added = top_level(after.keys().filter(|k| !before.contains_key(*k)));
    let removed = top_level(before.keys().filter(|k| !after.contains_key(*k)));
    for k in added {
        out.push(format!("field added: {k} ({})", after[&k]));
    }
    for k in removed {
        out.push(format!("field removed: {k} ({})", before[&k]));
    }
    for (k, was) in &before {
        if let Some(now) = after.get(k).filter(|now| *now != was) {
            out.push(format!("field changed: {k}: {was} -> {now}"));
        }
    }
    out
}

/// Keeps only the roots of removed/added subtrees: `a.b` is dropped when `a` is listed too.
fn top_level<'a>(keys: impl Iterator<Item = &'a String>) -> Vec<String> {
    let set: BTreeSet<&String> = keys.collect();
    set.iter()
        .filter(|k| {
            let mut prefix = k.as_str();
            while let Some((head, _)) = prefix.rsplit_once('.') {
                if set.iter().any(|s| s.as_str() == head) {
                    return false;
                }
                prefix = head;
            }
            true
        })
        .map(|k| (*k).clone())
        .collect()
}

/// Every field of every request and response body, as `operationId where.path -> "type, flags"`.
fn fields(doc: &Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let schemas = doc.pointer("/components/schemas").cloned().unwrap_or(Value::Null);
    for item in doc.get("paths").and_then(Value::as_object).into_iter().flat_map(|p| p.values()) {
        for (method, op) in item.as_object().into_iter().flatten().filter(|(m, _)| *m != "parameters") {
            let id = op.get("operationId").and_then(Value::as_str).unwrap_or(method);
            if let Some(s) = op.pointer("/requestBody/content/application~1json/schema") {
                flatten(s, &schemas, &format!("{id} request"), true, 0, &mut out);
            }
            for (code, resp) in op.get("responses").and_then(Value::as_object).into_iter().flatten() {
                if let Some(s) = resp.pointer("/content/application~1json/schema") {
                    flatten(s, &schemas, &format!("{id} {code}"), true, 0, &mut out);
                }
            }
        }
    }
    out
}

fn resolve<'a>(mut s: &'a Value, schemas: &'a Value) -> &'a Value {
    for _ in 0..MAX_DEPTH {
        if let Some(name) = s.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/components/schemas/"))
        {
            match schemas.get(name) {
                Some(t) => s = t,
                None => return s,
            }
        } else if let Some([only]) = s.get("allOf").and_then(Value::as_array).map(Vec::as_slice) {
            s = only;
        } else {
            return s;
        }
    }
    s
}

fn flatten(s: &Value, schemas: &Value, at: &str, required: bool, depth: usize, out: &mut BTreeMap<String, String>) {
    if depth > MAX_DEPTH {
        return;
    }
    let s = resolve(s, schemas);
    let mut kind = s.get("type").and_then(Value::as_str).unwrap_or("any").to_owned();
    if let Some(values) = s.get("enum") {
        kind = format!("{kind} enum {values}");
    }
    if s.get("nullable").and_then(Value::as_bool) == Some(true) {
        kind.push_str(", nullable");
    }
    kind.push_str(if required { ", required" } else { ", optional" });
    out.insert(at.to_owned(), kind);
    let req: BTreeSet<&str> =
        s.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
    for (name, sub) in s.get("properties").and_then(Value::as_object).into_iter().flatten() {
        flatten(sub, schemas, &format!("{at}.{name}"), req.contains(name.as_str()), depth + 1, out);
    }
}
