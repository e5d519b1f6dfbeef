//! OpenAPI Overlay 1.0.0: `actions`, each a JSONPath (RFC 9535) `target` with an `update` or
//! `remove`, applied in order to every source document before anything else.
//!
//! `update` on an object merges recursively: objects merge key by key, anything else (arrays
//! included) is replaced. `update` on an array appends the value. `remove: true` deletes every
//! node the target selects.

use crate::RegenError;
use crate::pointer::unescape;
use serde_json::{Value, json};
use serde_json_path::JsonPath;

#[derive(Debug, Clone)]
pub struct Action {
    pub target: String,
    pub description: Option<String>,
    path: JsonPath,
    update: Option<Value>,
    remove: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Overlay {
    pub actions: Vec<Action>,
}

impl Overlay {
    pub fn parse(name: &str, text: &str) -> Result<Self, RegenError> {
        let v: Value =
            serde_yaml_ng::from_str(text).map_err(|e| RegenError::new(format!("{name} is not valid YAML: {e}")))?;
        let version = v.get("overlay").and_then(Value::as_str).unwrap_or_default();
        if !version.starts_with("1.0.") {
            return Err(RegenError::at(format!("{name}#/overlay"), "an overlay starts with `overlay: 1.0.0`"));
        }
        let mut actions = Vec::new();
        for (i, a) in v.get("actions").and_then(Value::as_array).into_iter().flatten().enumerate() {
            let at = format!("{name}#/actions/{i}");
            let target = a
                .get("target")
                .and_then(Value::as_str)
                .ok_or_else(|| RegenError::at(&at, "an action needs a `target` (JSONPath)"))?
                .to_owned();
            let path = JsonPath::parse(&target).map_err(|e| {
                RegenError::at(format!("{at}/target"), format!("`{target}` is not RFC 9535 JSONPath: {e}"))
            })?;
            let remove = a.get("remove").and_then(Value::as_bool).unwrap_or(false);
            let update = a.get("update").cloned();
            if remove == update.is_some() {
                return Err(RegenError::at(&at, "an action has exactly one of `update` and `remove: true`"));
            }
            let description = a.get("description").and_then(Value::as_str).map(str::to_owned);
            actions.push(Action { target, description, path, update, remove });
        }
        Ok(Self { actions })
    }

    /// Applies every action to `doc`; `hits[i]` grows by the number of nodes action `i` selected.
    pub fn apply(&self, doc: &mut Value, hits: &mut [usize]) {
        for (i, action) in self.actions.iter().enumerate() {
            let pointers: Vec<String> =
                action.path.query_located(doc).iter().map(|n| n.location().to_json_pointer()).collect();
            hits[i] += pointers.len();
            if action.remove {
                // Last first, so that array indices of the remaining targets stay valid.
                for p in pointers.iter().rev() {
                    remove_at(doc, p);
                }
            } else if let Some(update) = &action.update {
                for p in &pointers {
                    if let Some(node) = doc.pointer_mut(p) {
                        merge(node, update);
                    }
                }
            }
        }
    }
}

fn remove_at(doc: &mut Value, pointer: &str) {
    let Some((parent, last)) = pointer.rsplit_once('/') else { return };
    let last = unescape(last);
    match doc.pointer_mut(parent) {
        Some(Value::Object(m)) => {
            m.shift_remove(&last);
        }
        Some(Value::Array(a)) => {
            if let Ok(i) = last.parse::<usize>()
                && i < a.len()
            {
                a.remove(i);
            }
        }
        _ => {}
    }
}

fn merge(node: &mut Value, update: &Value) {
    match (node, update) {
        (Value::Object(n), Value::Object(u)) => {
            for (k, v) in u {
                match n.get_mut(k) {
                    Some(existing) if existing.is_object() && v.is_object() => merge(existing, v),
                    _ => {
                        n.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (Value::Array(a), v) => a.push(v.clone()),
        (n, v) => *n = v.clone(),
    }
}

/// A normalized-path JSONPath (`$['paths']['/credits']['get']`) selecting the node at `pointer`
/// in `doc`: array indices stay numbers, object keys (even `'200'`) are quoted names.
pub fn jsonpath_of(doc: &Value, pointer: &str) -> String {
    let mut out = String::from("$");
    let mut node = Some(doc);
    for raw in pointer.split('/').skip(1) {
        let seg = unescape(raw);
        match node {
            Some(Value::Array(a)) => {
                out.push_str(&format!("[{seg}]"));
                node = seg.parse::<usize>().ok().and_then(|i| a.get(i));
            }
            other => {
                out.push_str(&format!("['{}']", seg.replace('\\', "\\\\").replace('\'', "\\'")));
                node = other.and_then(|n| n.get(&seg));
            }
        }
    }
    out
}

/// What an overlay action should do at a pointer.
#[derive(Debug, Clone)]
pub enum Edit {
    Update(Value),
    Remove,
}

/// Ready-to-paste YAML for `actions:` in `openapi/overlay.yaml`.
pub fn suggest(doc: &Value, edits: &[(String, Edit)], why: &str) -> String {
    let list: Vec<Value> = edits
        .iter()
        .map(|(pointer, edit)| {
            let mut action = json!({"target": jsonpath_of(doc, pointer), "description": why});
            match edit {
                Edit::Update(v) => action["update"] = v.clone(),
                Edit::Remove => action["remove"] = json!(true),
            }
            action
        })
        .collect();
    let yaml = serde_yaml_ng::to_string(&Value::Array(list)).unwrap_or_default();
    yaml.lines().map(|l| format!("  {l}\n")).collect()
}
