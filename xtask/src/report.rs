//! Say in words what changed upstream against the checked-in fragment, before anything is
//! written: operations, parameters, responses, security, and renames. What changed in the Rust
//! types and their fields is the API-change report's (`semver.rs`), which names each Rust item.

use serde_json::Value;
use std::collections::BTreeMap;

/// `operationId -> (METHOD /path, operation)` of a fragment.
fn operations(doc: &Value) -> BTreeMap<String, (String, Value)> {
    let mut out = BTreeMap::new();
    for (path, item) in doc.get("paths").and_then(Value::as_object).into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten().filter(|(m, _)| *m != "parameters") {
            let id = op.get("operationId").and_then(Value::as_str).unwrap_or(method).to_owned();
            out.insert(id, (format!("{} {path}", method.to_uppercase()), op.clone()));
        }
    }
    out
}

/// `(METHOD, /path)` of the operation `id` in a fragment.
pub fn route_of(doc: &Value, id: &str) -> Option<(String, String)> {
    let (route, _) = operations(doc).remove(id)?;
    let (method, path) = route.split_once(' ')?;
    Some((method.to_owned(), path.to_owned()))
}

fn effective_security(doc: &Value, op: &Value) -> String {
    op.get("security").or_else(|| doc.get("security")).map_or("none".into(), Value::to_string)
}

fn params(op: &Value) -> BTreeMap<String, String> {
    op.get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| {
            let name = format!(
                "{} {}",
                p.get("in").and_then(Value::as_str).unwrap_or("?"),
                p.get("name").and_then(Value::as_str).unwrap_or("?")
            );
            let s = p.get("schema").cloned().unwrap_or(Value::Null);
            let mut kind = s.get("type").and_then(Value::as_str).unwrap_or("any").to_owned();
            if let Some(e) = s.get("enum") {
                kind.push_str(&format!(" enum {e}"));
            }
            kind.push_str(if p.get("required") == Some(&Value::Bool(true)) { ", required" } else { ", optional" });
            (name, kind)
        })
        .collect()
}

/// Operation-level changes: added/removed/moved, deprecated, parameters, body, responses, security.
pub fn upstream_changes(old: &Value, new: &Value) -> Vec<String> {
    let (before, after) = (operations(old), operations(new));
    let (mut out, mut removed) = (Vec::new(), Vec::new());
    for d in diff(&before, &after) {
        match d {
            Diff::Added(id, (route, _)) => out.push(format!("operation added: {id} ({route})")),
            Diff::Removed(id, (route, _)) => removed.push(format!("operation removed: {id} ({route})")),
            Diff::Changed(..) => {}
        }
    }
    out.append(&mut removed);
    // Every operation both have, changed or not: one that inherits the global `security` changes
    // its credential without a byte of its own changing.
    for (id, now) in &after {
        if let Some(was) = before.get(id) {
            out.extend(operation_changes(id, was, now, (old, new)));
        }
    }
    let schemes = |d: &Value| -> BTreeMap<String, Value> {
        let map = d.pointer("/components/securitySchemes").and_then(Value::as_object);
        map.into_iter().flatten().map(|(k, v)| (k.clone(), v.clone())).collect()
    };
    out.extend(diff(&schemes(old), &schemes(new)).into_iter().map(|d| match d {
        Diff::Added(name, def) => format!("security scheme added: {name} {def}"),
        Diff::Changed(name, was, def) => format!("security scheme changed: {name}: {was} -> {def}"),
        Diff::Removed(name, _) => format!("security scheme removed: {name}"),
    }));
    out
}

/// What changed in one operation `id` that both fragments (`docs`: before, after) have.
fn operation_changes(id: &str, was: &(String, Value), now: &(String, Value), docs: (&Value, &Value)) -> Vec<String> {
    let ((route_b, b), (route_a, a)) = (was, now);
    let mut out = Vec::new();
    if route_a != route_b {
        out.push(format!("operation moved: {id}: {route_b} -> {route_a}"));
    }
    let flag = |v: &Value| v.get("deprecated").and_then(Value::as_bool).unwrap_or(false);
    if flag(a) != flag(b) {
        let why = a.get("description").and_then(Value::as_str).unwrap_or("").trim();
        out.push(if flag(a) {
            format!("operation deprecated upstream: {id}: {why}")
        } else {
            format!("operation no longer deprecated: {id}")
        });
    }
    for key in ["summary", "description"] {
        if a.get(key) != b.get(key) {
            out.push(format!("{key} changed: {id}"));
        }
    }
    match (b.get("requestBody").is_some(), a.get("requestBody").is_some()) {
        (true, false) => out.push(format!("request body removed: {id}")),
        (false, true) => out.push(format!("request body added: {id}")),
        _ => {}
    }
    out.extend(diff(&params(b), &params(a)).into_iter().map(|d| match d {
        Diff::Added(k, v) => format!("parameter added: {id}: {k} ({v})"),
        Diff::Changed(k, w, v) => format!("parameter changed: {id}: {k}: {w} -> {v}"),
        Diff::Removed(k, v) => format!("parameter removed: {id}: {k} ({v})"),
    }));
    out.extend(response_changes(b, a).map(|r| format!("responses changed: {id}: {r}")));
    let (sb, sa) = (effective_security(docs.0, b), effective_security(docs.1, a));
    if sb != sa {
        out.push(format!("security changed: {id}: {sb} -> {sa}"));
    }
    out
}

/// Statuses added or removed, and those that lost their body, in one line; `None` without any.
fn response_changes(before: &Value, after: &Value) -> Option<String> {
    let codes = |v: &Value| -> BTreeMap<String, bool> {
        let responses = v.get("responses").and_then(Value::as_object).into_iter().flatten();
        responses.map(|(c, resp)| (c.clone(), resp.get("content").is_some())).collect()
    };
    let (before, after) = (codes(before), codes(after));
    let (mut added, mut removed, mut lost) = (Vec::new(), Vec::new(), Vec::new());
    for d in diff(&before, &after) {
        match d {
            Diff::Added(code, _) => added.push(code),
            Diff::Removed(code, _) => removed.push(code),
            Diff::Changed(code, had, _) if *had => lost.push(code),
            Diff::Changed(..) => {}
        }
    }
    let parts: Vec<String> = [("added", added), ("removed", removed), ("no body any more on", lost)]
        .into_iter()
        .filter(|(_, codes)| !codes.is_empty())
        .map(|(what, codes)| format!("{what} {}", codes.join(", ")))
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// One entry of [`diff`].
enum Diff<'a, V> {
    Added(&'a str, &'a V),
    /// Key, value before, value after.
    Changed(&'a str, &'a V, &'a V),
    Removed(&'a str, &'a V),
}

/// What changed from `before` to `after`: added and changed keys in order, then removed ones.
fn diff<'a, V: PartialEq>(before: &'a BTreeMap<String, V>, after: &'a BTreeMap<String, V>) -> Vec<Diff<'a, V>> {
    let mut out = Vec::new();
    for (k, v) in after {
        match before.get(k) {
            None => out.push(Diff::Added(k, v)),
            Some(was) if was != v => out.push(Diff::Changed(k, was, v)),
            Some(_) => {}
        }
    }
    out.extend(before.iter().filter(|(k, _)| !after.contains_key(*k)).map(|(k, v)| Diff::Removed(k, v)));
    out
}

/// The `# types:` lines of a fragment's header: location -> (name, upstream origin).
pub fn header_types(text: &str) -> BTreeMap<String, (String, String)> {
    let header = text.lines().take_while(|l| l.starts_with('#'));
    let types = header.skip_while(|l| !l.starts_with("# types")).skip(1).map_while(|l| l.strip_prefix("#   - "));
    types
        .filter_map(|entry| {
            let (loc, rest) = entry.split_once(" -> ")?;
            let (name, origin) = rest.split_once(" (from ")?;
            Some((loc.to_owned(), (name.to_owned(), origin.trim_end_matches(')').to_owned())))
        })
        .collect()
}

/// Renames: a location whose Rust name changed, or whose upstream origin moved (inline schema
/// hoisted into a component upstream, component renamed) while its Rust name stayed.
pub fn renames(old_text: &str, new_text: &str) -> Vec<String> {
    let (before, after) = (header_types(old_text), header_types(new_text));
    let mut out = Vec::new();
    for (loc, (name, origin)) in &after {
        let Some((old_name, old_origin)) = before.get(loc) else { continue };
        if old_name != name {
            out.push(format!("type renamed: {loc}: {old_name} -> {name}"));
        }
        if old_origin != origin {
            out.push(format!(
                "upstream moved the schema at {loc}: {old_origin} -> {origin}; the Rust type stays {name}"
            ));
        }
    }
    out
}
