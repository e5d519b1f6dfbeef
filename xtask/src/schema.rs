//! Schemas: every `$ref` inlined, 3.1 (JSON Schema 2020-12) rewritten into 3.0, then every
//! object schema hoisted into `components/schemas` under a name chosen by its *location*.
//!
//! `normalize` works on upstream text and reports each rewrite as `file#pointer: what` (pointers
//! into the upstream document, so the overlay fix it suggests targets the right node). It marks
//! each object it returns with `x-src` (where it was read) and, when it came through
//! `$ref: '#/components/schemas/N'`, with `x-upstream: N`; `hoist` strips both.
//!
//! Descriptions: a schema's `description` is what the place using it says (a `$ref`'s sibling,
//! an `allOf`'s documenting branch, the outer schema of an `anyOf`); when that replaced one the
//! referenced schema had of its own, that one is kept in `x-type-description`. `hoist` gives the
//! named component its own description (or, without one, the place's) and documents each
//! property that became a `$ref` with the place's: `{description, allOf: [{$ref}]}`, the one form
//! 3.0 and progenitor read as a field's doc on a named type.

use crate::RegenError;
use crate::names::{location, pascal};
use crate::operations::naming::{collision, snake};
use crate::overlay::Edit;
use crate::pointer::{escape, unescape};
use crate::source::Source;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Display;

/// Keywords that only document a schema.
const ANNOTATIONS: [&str; 7] = ["description", "example", "examples", "title", "deprecated", "readOnly", "writeOnly"];

/// Annotation-only keywords progenitor cannot read, or that would let upstream pick Rust names.
const DROPPED: &str =
    "$comment contentMediaType contentEncoding contentSchema title $schema $id $anchor xml externalDocs";

/// 2020-12 keywords that change what a schema accepts and have no 3.0 form.
const NO_FORM: &str = "$defs definitions $dynamicRef $dynamicAnchor $recursiveRef prefixItems if then else \
     dependentSchemas dependentRequired unevaluatedProperties unevaluatedItems contains propertyNames \
     patternProperties not";

/// Marker: the description a referenced schema had of its own, where the referring place's
/// replaced it (see the module docs).
pub const TYPE_DESCRIPTION: &str = "x-type-description";

pub const MARKERS: [&str; 3] = ["x-src", "x-upstream", TYPE_DESCRIPTION];

/// Records a rewrite of `src` at `ptr` as `file#pointer: what`, the line the fragment's header
/// lists (a pointer into the upstream document, so that an overlay action can target it).
pub fn record(changes: &mut BTreeSet<String>, src: &Source, ptr: &str, what: impl Display) {
    changes.insert(format!("{}#{ptr}: {what}", src.name));
}

/// Sets `o`'s description to `outer`, what the place using the schema says; a different one the
/// schema had of its own moves to [`TYPE_DESCRIPTION`] (unless an inner one is there already).
fn describe(o: &mut Map<String, Value>, outer: Value) {
    if let Some(own) = o.get("description").filter(|own| **own != outer).cloned() {
        o.entry(TYPE_DESCRIPTION).or_insert(own);
    }
    o.insert("description".into(), outer);
}

/// Sets `k` on `o`, through [`describe`] when it is the description.
fn annotate(o: &mut Map<String, Value>, k: String, v: Value) {
    if k == "description" {
        describe(o, v);
    } else {
        o.insert(k, v);
    }
}

/// A property's schema as `hoist` left it, documented with the property's `description`: a
/// (nullable) reference becomes `{description, allOf: [{$ref}], nullable?}` (3.0 ignores a
/// `$ref`'s siblings); an inline schema keeps its own.
fn documented(schema: Value, description: Option<Value>) -> Value {
    let Some(description) = description else { return schema };
    let all_of = match (schema.get("$ref"), schema.get("allOf")) {
        (Some(_), _) => json!([schema]),
        (None, Some(all_of)) => all_of.clone(),
        (None, None) => return schema,
    };
    let mut m = json!({"description": description, "allOf": all_of});
    if let Some(n) = schema.get("nullable") {
        m["nullable"] = n.clone();
    }
    m
}

pub struct Norm<'a> {
    pub src: &'a Source,
    pub changes: &'a mut BTreeSet<String>,
    stack: Vec<String>,
}

impl<'a> Norm<'a> {
    pub fn new(src: &'a Source, changes: &'a mut BTreeSet<String>) -> Self {
        Self { src, changes, stack: Vec::new() }
    }

    fn change(&mut self, ptr: &str, what: impl Display) {
        record(self.changes, self.src, ptr, what);
    }

    /// Refuses `what` at `at`, a value that can only be `null` (no 3.0 form); the fix makes the
    /// schema at `ptr` a nullable string.
    fn always_null(&self, at: &str, ptr: &str, what: &str) -> RegenError {
        self.src.refuse(
            at,
            format!("{what} has no OpenAPI 3.0 form"),
            vec![(ptr.to_owned(), Edit::Update(json!({"type": "string", "nullable": true})))],
            "a value that is always null: make it a nullable string",
        )
    }

    /// The schema at `ptr` (its value `v`), fully inlined and in 3.0 form.
    pub fn normalize(&mut self, v: &Value, ptr: &str) -> Result<Value, RegenError> {
        let obj = match v {
            Value::Bool(true) => return Ok(json!({})),
            Value::Object(o) => o,
            _ => {
                return Err(self.src.refuse(
                    ptr,
                    "this schema is not an object; the SDK needs a schema it can turn into a type",
                    vec![(ptr.to_owned(), Edit::Update(json!({"type": "string"})))],
                    "give the schema a type",
                ));
            }
        };
        if let Some(r) = obj.get("$ref") {
            return self.follow(obj, r, ptr);
        }
        let mut o = obj.clone();

        self.keywords(&mut o, ptr)?;
        self.type_list(&mut o, ptr)?;
        self.const_and_bounds(&mut o, ptr)?;
        self.string_enum(&mut o, ptr);
        self.annotations(&mut o, ptr);
        self.children(&mut o, ptr)?;
        // Composition last: branches are normalized on their own, then folded in.
        self.unions(&mut o, ptr)?;
        self.all_of(&mut o, ptr)?;
        o.insert("x-src".into(), json!(format!("{}#{ptr}", self.src.name)));
        Ok(Value::Object(o))
    }

    /// Vendor extensions dropped; keywords with no 3.0 form refused; annotation-only ones removed.
    fn keywords(&mut self, o: &mut Map<String, Value>, ptr: &str) -> Result<(), RegenError> {
        o.retain(|k, _| !k.starts_with("x-"));
        for key in NO_FORM.split_whitespace() {
            if o.contains_key(key) {
                let at = format!("{ptr}/{}", escape(key));
                return Err(self.src.refuse(
                    &at,
                    format!("`{key}` has no OpenAPI 3.0 form (progenitor reads 3.0 only)"),
                    vec![(at.clone(), Edit::Remove)],
                    &format!("drop `{key}`, which progenitor cannot read"),
                ));
            }
        }
        let dropped: Vec<&str> = DROPPED.split_whitespace().filter(|k| o.shift_remove(*k).is_some()).collect();
        if !dropped.is_empty() {
            self.change(ptr, format!("annotation-only keyword(s) removed: {}", dropped.join(", ")));
        }
        Ok(())
    }

    /// `type: [T, 'null']` → `type: T, nullable: true`; a schema that is only null is refused.
    fn type_list(&mut self, o: &mut Map<String, Value>, ptr: &str) -> Result<(), RegenError> {
        let at = format!("{ptr}/type");
        if let Some(Value::Array(types)) = o.get("type").cloned() {
            let names: Vec<&str> = types.iter().filter_map(Value::as_str).collect();
            let non_null: Vec<&str> = names.iter().copied().filter(|t| *t != "null").collect();
            let shown = names.join(", ");
            match non_null.as_slice() {
                [] => return Err(self.always_null(&at, ptr, "`type: [null]`")),
                [one] => {
                    o.insert("type".into(), json!(one));
                    let mut what = format!("type [{shown}] -> type {one}");
                    if non_null.len() < names.len() {
                        o.insert("nullable".into(), json!(true));
                        what += ", nullable: true";
                    }
                    self.change(ptr, what);
                }
                [first, ..] => {
                    return Err(self.src.refuse(
                        &at,
                        format!(
                            "`type: [{shown}]` allows several types; OpenAPI 3.0 and the generated Rust type need one"
                        ),
                        vec![(ptr.to_owned(), Edit::Update(json!({"type": first})))],
                        &format!("keep one type ({first})"),
                    ));
                }
            }
        }
        if o.get("type").and_then(Value::as_str) == Some("null") {
            return Err(self.always_null(&at, ptr, "`type: null`"));
        }
        Ok(())
    }

    /// An `enum` of strings is a string enum whatever else the schema says: without `type`,
    /// typify would make a closed enum of it (or the report an untyped value); `type: string`
    /// makes it an open enum like every other (`build/open_enum.rs`), and `null` among its values
    /// (3.1's `type: [string, null]` lists it too) makes it nullable.
    fn string_enum(&mut self, o: &mut Map<String, Value>, ptr: &str) {
        let Some(values) = o.get("enum").and_then(Value::as_array) else { return };
        if !(values.iter().all(|v| v.is_string() || v.is_null()) && values.iter().any(Value::is_string)) {
            return;
        }
        let null = values.iter().any(Value::is_null);
        if !o.contains_key("type") {
            o.insert("type".into(), json!("string"));
            self.change(ptr, "enum of strings without a type -> type: string");
        }
        if null && o.get("type") == Some(&json!("string")) && o.get("nullable") != Some(&json!(true)) {
            o.insert("nullable".into(), json!(true));
            self.change(ptr, "null among the enum's values -> nullable: true");
        }
    }

    /// `const` → a one-value `enum`; 2020-12 numeric exclusive bounds → 3.0 bound and flag.
    fn const_and_bounds(&mut self, o: &mut Map<String, Value>, ptr: &str) -> Result<(), RegenError> {
        if let Some(c) = o.shift_remove("const") {
            if o.contains_key("enum") {
                let at = format!("{ptr}/const");
                let edits = vec![(at.clone(), Edit::Remove)];
                return Err(self.src.refuse(&at, "both `const` and `enum` are set", edits, "keep `enum`"));
            }
            o.insert("enum".into(), json!([c]));
            self.change(ptr, "const -> one-value enum");
        }

        // Numeric exclusive bounds (2020-12) -> 3.0 bound + boolean flag; with both, the stricter.
        for (exclusive, bound, lower) in [("exclusiveMinimum", "minimum", true), ("exclusiveMaximum", "maximum", false)]
        {
            let Some(n) = o.get(exclusive).filter(|v| v.is_number()).cloned() else { continue };
            let what = match o.get(bound).and_then(Value::as_f64) {
                None => format!("numeric {exclusive} {n} -> {bound} {n} + {exclusive}: true"),
                Some(b) => {
                    let e = n.as_f64().unwrap_or(b);
                    let kept = format!("{bound} {b} and {exclusive} {n}: kept the stricter");
                    let exclusive_is_stricter = if lower { e >= b } else { e <= b };
                    if !exclusive_is_stricter {
                        o.shift_remove(exclusive);
                        self.change(ptr, format!("{kept}, {bound} {b}"));
                        continue;
                    }
                    format!("{kept}, {bound} {n} + {exclusive}: true")
                }
            };
            o.insert(bound.into(), n);
            o.insert(exclusive.into(), json!(true));
            self.change(ptr, what);
        }
        Ok(())
    }

    /// `examples` → `example`; formats the crate does not keep and `additionalProperties: false`
    /// removed.
    fn annotations(&mut self, o: &mut Map<String, Value>, ptr: &str) {
        if let Some(examples) = o.shift_remove("examples") {
            if let Some(first) = examples.as_array().and_then(|a| a.first()).cloned() {
                o.entry("example").or_insert(first);
            }
            self.change(ptr, "examples -> example");
        }

        if let Some(f) = o.get("format").and_then(Value::as_str).map(str::to_owned)
            && !crate::operations::contract::kept_format(&f, &crate::operations::TYPES)
        {
            o.shift_remove("format");
            let plain = o.get("type").and_then(Value::as_str).unwrap_or("value");
            self.change(ptr, format!("format {f} removed (the value stays a plain {plain})"));
        }
        if o.get("additionalProperties") == Some(&Value::Bool(false)) {
            o.shift_remove("additionalProperties");
            self.change(ptr, "additionalProperties: false removed (a new upstream field must not break decoding)");
        }
    }

    /// Properties (two that are one Rust name refused), items and map values, each normalized.
    fn children(&mut self, o: &mut Map<String, Value>, ptr: &str) -> Result<(), RegenError> {
        if let Some(props) = o.get("properties").cloned() {
            let Value::Object(props) = props else {
                return Err(self.src.refuse(ptr, "`properties` is not a map", vec![], ""));
            };
            if let Some((first, second, rust)) = collision(props.keys().map(String::as_str), snake) {
                let at = format!("{ptr}/properties/{}", escape(&second));
                return Err(self.src.refuse(
                    &at,
                    format!("`{first}` and `{second}` are both the field `{rust}` in Rust (see build/naming.rs)"),
                    vec![(at.clone(), Edit::Remove)],
                    &format!("drop `{second}`, keep `{first}`"),
                ));
            }
            let mut out = Map::new();
            for (name, sub) in &props {
                out.insert(name.clone(), self.normalize(sub, &format!("{ptr}/properties/{}", escape(name)))?);
            }
            o.insert("properties".into(), Value::Object(out));
        }
        if let Some(items) = o.get("items").cloned() {
            if items.is_array() {
                let at = format!("{ptr}/items");
                return Err(self.src.refuse(
                    &at,
                    "tuple `items` has no OpenAPI 3.0 form",
                    vec![(ptr.to_owned(), Edit::Update(json!({"items": {}})))],
                    "any item",
                ));
            }
            o.insert("items".into(), self.normalize(&items, &format!("{ptr}/items"))?);
        }
        if o.get("type").and_then(Value::as_str) == Some("array") && !o.contains_key("items") {
            o.insert("items".into(), json!({}));
            self.change(ptr, "array without `items` -> items: {} (3.0 requires items; any JSON value)");
        }
        if let Some(ap) = o.get("additionalProperties").cloned().filter(Value::is_object) {
            o.insert("additionalProperties".into(), self.normalize(&ap, &format!("{ptr}/additionalProperties"))?);
        }
        Ok(())
    }

    /// `anyOf`/`oneOf`: null branches become `nullable`; one other branch is folded in; more are refused.
    fn unions(&mut self, o: &mut Map<String, Value>, ptr: &str) -> Result<(), RegenError> {
        for key in ["anyOf", "oneOf"] {
            let Some(branches) = o.shift_remove(key) else { continue };
            let branches = branches.as_array().cloned().unwrap_or_default();
            let mut nulls = 0;
            let mut rest = Vec::new();
            for (i, b) in branches.iter().enumerate() {
                if is_null_branch(b) {
                    nulls += 1;
                    if b.get("title").is_some() || b.get("description").is_some() {
                        self.change(&format!("{ptr}/{key}/{i}"), "annotations on the null branch removed");
                    }
                } else {
                    rest.push(self.normalize(b, &format!("{ptr}/{key}/{i}"))?);
                }
            }
            match rest.len() {
                0 => {
                    return Err(self.always_null(&format!("{ptr}/{key}"), ptr, &format!("`{key}` of only `null`")));
                }
                1 => {
                    self.fold(o, rest.pop().unwrap_or_default(), ptr, key)?;
                    if nulls > 0 {
                        o.insert("nullable".into(), json!(true));
                        self.change(ptr, format!("{key} [T, null] -> T, nullable: true"));
                    } else {
                        self.change(ptr, format!("{key} of one schema -> that schema"));
                    }
                }
                n => {
                    let at = format!("{ptr}/{key}");
                    let first = rest[0].get("type").cloned().unwrap_or(json!("object"));
                    return Err(self.src.refuse(
                        &at,
                        format!("`{key}` with {n} non-null branches: the SDK needs one type here (the facade does not take untagged unions)"),
                        vec![(at.clone(), Edit::Remove), (ptr.to_owned(), Edit::Update(json!({"type": first})))],
                        "keep one branch's type",
                    ));
                }
            }
        }
        Ok(())
    }

    /// `allOf`: branches merged into one schema; branches that only document become its docs.
    fn all_of(&mut self, o: &mut Map<String, Value>, ptr: &str) -> Result<(), RegenError> {
        let Some(branches) = o.shift_remove("allOf") else { return Ok(()) };
        let branches = branches.as_array().cloned().unwrap_or_default();
        let mut merged = Map::new();
        let mut annotations = Map::new();
        for (i, b) in branches.iter().enumerate() {
            let b = self.normalize(b, &format!("{ptr}/allOf/{i}"))?;
            // `allOf: [{$ref: X}, {description: ...}]`: a branch that only documents.
            if let Some(bo) = b.as_object().filter(|bo| {
                bo.keys().all(|k| ANNOTATIONS.contains(&k.as_str()) || k == "nullable" || MARKERS.contains(&k.as_str()))
            }) {
                let kept = bo.iter().filter(|(k, _)| !MARKERS.contains(&k.as_str()));
                annotations.extend(kept.map(|(k, v)| (k.clone(), v.clone())));
                continue;
            }
            if merged.is_empty() {
                merged = b.as_object().cloned().unwrap_or_default();
            } else {
                self.merge_all_of(&mut merged, &b, &format!("{ptr}/allOf/{i}"))?;
            }
        }
        for (k, v) in annotations {
            annotate(&mut merged, k, v);
        }
        self.fold(o, Value::Object(merged), ptr, "allOf")?;
        self.change(ptr, "allOf merged into one schema");
        Ok(())
    }

    fn follow(&mut self, obj: &Map<String, Value>, r: &Value, ptr: &str) -> Result<Value, RegenError> {
        let r = r.as_str().unwrap_or_default();
        let at = format!("{ptr}/$ref");
        let Some(target_ptr) = r.strip_prefix('#') else {
            return Err(self.src.refuse(
                &at,
                format!("cannot follow `$ref: {r}`: only references inside the document are read"),
                vec![(at.clone(), Edit::Remove), (ptr.to_owned(), Edit::Update(json!({"type": "object"})))],
                "replace the external reference",
            ));
        };
        if self.stack.iter().any(|s| s == target_ptr) {
            return Err(self.src.refuse(
                &at,
                format!("`{r}` is recursive; regen inlines schemas and the SDK has no recursive types"),
                vec![
                    (at.clone(), Edit::Remove),
                    (ptr.to_owned(), Edit::Update(json!({"type": "object", "additionalProperties": {}}))),
                ],
                "cut the cycle: an untyped JSON object",
            ));
        }
        let Some(target) = self.src.doc.pointer(target_ptr) else {
            return Err(self.src.refuse(&at, format!("`{r}` points at nothing in the document"), vec![], ""));
        };
        self.stack.push(target_ptr.to_owned());
        let out = self.normalize(target, target_ptr);
        self.stack.pop();
        let mut out = out?;
        if let (Some(name), Some(o)) = (target_ptr.strip_prefix("/components/schemas/"), out.as_object_mut())
            && !name.contains('/')
        {
            o.insert("x-upstream".into(), json!(unescape(name)));
        }
        let mut rest = obj.clone();
        rest.shift_remove("$ref");
        if !rest.is_empty() {
            let sib = self.normalize(&Value::Object(rest), ptr)?;
            if let (Some(o), Value::Object(s)) = (out.as_object_mut(), sib) {
                for (k, v) in s.into_iter().filter(|(k, _)| k != "x-src") {
                    annotate(o, k, v);
                }
            }
        }
        Ok(out)
    }

    /// Folds a normalized branch into its parent; on equal keys the parent's annotations win.
    fn fold(&mut self, o: &mut Map<String, Value>, branch: Value, ptr: &str, key: &str) -> Result<(), RegenError> {
        let Value::Object(b) = branch else { return Ok(()) };
        for (k, v) in b.into_iter().filter(|(k, _)| k != "x-src") {
            match o.get(&k) {
                Some(existing) if *existing == v => {}
                // The branch's own description is more inner than one the outer schema displaced.
                existing if existing.is_none() || k == TYPE_DESCRIPTION => {
                    o.insert(k, v);
                }
                _ if ANNOTATIONS.contains(&k.as_str()) || k == "x-upstream" => {
                    if k == "description" {
                        o.entry(TYPE_DESCRIPTION).or_insert(v);
                    }
                    if k != "x-upstream" {
                        self.change(ptr, format!("{key}: the branch's {k} differs from the outer one; kept the outer"));
                    }
                }
                _ => {
                    let at = format!("{ptr}/{}", escape(&k));
                    return Err(self.src.refuse(
                        &at,
                        format!("cannot fold `{key}` into the schema: both set `{k}`, differently"),
                        vec![(at.clone(), Edit::Remove)],
                        &format!("keep the {key} branch's `{k}`"),
                    ));
                }
            }
        }
        Ok(())
    }

    fn merge_all_of(&mut self, a: &mut Map<String, Value>, b: &Value, ptr: &str) -> Result<(), RegenError> {
        let objectish = |v: &Map<String, Value>| {
            v.contains_key("properties") || v.get("type").and_then(Value::as_str) == Some("object")
        };
        if !objectish(a) || !b.as_object().is_some_and(objectish) {
            return Err(self.src.refuse(
                ptr,
                "`allOf` of schemas that are not all objects cannot be merged into one type",
                vec![(ptr.to_owned(), Edit::Remove)],
                "drop this allOf branch",
            ));
        }
        let Some(bm) = b.as_object() else { return Ok(()) };
        let mut props = a.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
        for (k, v) in bm.get("properties").and_then(Value::as_object).into_iter().flatten() {
            props.entry(k.clone()).or_insert_with(|| v.clone());
        }
        let mut req: Vec<Value> = a.get("required").and_then(Value::as_array).cloned().unwrap_or_default();
        for r in bm.get("required").and_then(Value::as_array).into_iter().flatten() {
            if !req.contains(r) {
                req.push(r.clone());
            }
        }
        a.insert("type".into(), json!("object"));
        a.insert("properties".into(), Value::Object(props));
        if !req.is_empty() {
            a.insert("required".into(), Value::Array(req));
        }
        for (k, v) in bm {
            a.entry(k.clone()).or_insert_with(|| v.clone());
        }
        Ok(())
    }
}

fn is_null_branch(b: &Value) -> bool {
    let t = b.get("type");
    (t == Some(&json!("null")) || t == Some(&json!(["null"])))
        && b.as_object().is_some_and(|o| {
            o.keys().all(|k| {
                k == "type"
                    || ANNOTATIONS.contains(&k.as_str())
                    || DROPPED.split_whitespace().any(|d| d == k)
                    || k.starts_with("x-")
            })
        })
}

/// One named type in the fragment: where it was found and what upstream called it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeOrigin {
    pub name: String,
    /// `#/components/schemas/N` upstream, or `inline`.
    pub upstream: String,
}

/// Named components, collected while hoisting.
#[derive(Default)]
pub struct Hoister {
    pub names: BTreeMap<String, String>,
    pub used_locations: BTreeSet<String>,
    pub components: BTreeMap<String, (Value, String)>,
    /// location -> name and upstream origin, for the header and the rename report.
    pub types: BTreeMap<String, TypeOrigin>,
}

pub fn strip_markers(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for k in MARKERS {
                m.shift_remove(k);
            }
            m.values_mut().for_each(strip_markers);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_markers),
        _ => {}
    }
}

impl Hoister {
    pub fn new(names: &[(String, String)]) -> Self {
        Self { names: names.iter().cloned().collect(), ..Self::default() }
    }

    /// Replaces every object schema below (and, with `force`, at) `loc` by a `$ref` to a named
    /// component. `default` is the name derived from the location.
    pub fn hoist(&mut self, v: Value, loc: &str, default: &str, force: bool) -> Result<Value, RegenError> {
        let Value::Object(mut o) = v else { return Ok(v) };
        let upstream = o.shift_remove("x-upstream").and_then(|u| u.as_str().map(str::to_owned));
        let src = o.shift_remove("x-src").and_then(|u| u.as_str().map(str::to_owned));
        let own_description = o.shift_remove(TYPE_DESCRIPTION);
        // What is below, at `loc` + `/name`, `[]` or `{}`, named `default` + the property, `Item`, `Value`.
        let below = |h: &mut Self, v, at: &str, name: &str| {
            h.hoist(v, &location(&format!("{loc}{at}")), &format!("{default}{name}"), false)
        };
        if let Some(Value::Object(props)) = o.get("properties").cloned() {
            let mut out = Map::new();
            for (name, sub) in props {
                let description = sub.get("description").cloned();
                let h = below(self, sub, &format!("/{name}"), &pascal(&name))?;
                out.insert(name, documented(h, description));
            }
            o.insert("properties".into(), Value::Object(out));
        }
        if let Some(items) = o.shift_remove("items") {
            o.insert("items".into(), below(self, items, "[]", "Item")?);
        }
        if let Some(ap) = o.get("additionalProperties").cloned().filter(Value::is_object) {
            o.insert("additionalProperties".into(), below(self, ap, "{}", "Value")?);
        }
        let has_props = o.get("properties").and_then(Value::as_object).is_some_and(|p| !p.is_empty());
        // A string enum becomes a component too: build.rs generates each as an open enum (a
        // value upstream adds later decodes), which it can only do for a named schema.
        let string_enum = o.get("type").and_then(Value::as_str) == Some("string") && o.contains_key("enum");
        let named = self.names.get(loc).cloned();
        if !(force || has_props || string_enum || named.is_some()) {
            return Ok(Value::Object(o));
        }
        self.used_locations.insert(loc.to_owned());
        let name = named.unwrap_or_else(|| default.to_owned());
        let nullable = !force && o.get("nullable") == Some(&json!(true));
        if nullable {
            o.shift_remove("nullable");
        }
        if let Some(own) = own_description {
            o.insert("description".into(), own);
        }
        let schema = Value::Object(o);
        let (existing, other) = self.components.entry(name.clone()).or_insert_with(|| (schema.clone(), loc.to_owned()));
        if *existing != schema {
            let message = format!(
                "two different schemas want the type name {name}: at `{other}` and at `{loc}`; give the one at `{loc}` its own name"
            );
            // The first free name, `Same2`, else `Same3`…: not a component's, nor one `names:` gives.
            let taken = |n: &String| self.components.contains_key(n) || self.names.values().any(|v| v == n);
            let free = (2..).map(|n| format!("{name}{n}")).find(|n| !taken(n));
            let mut e = RegenError { pointer: src, ..RegenError::new(message) };
            e.names_fix = free.map(|free| format!("  {loc}: {free}\n"));
            return Err(e);
        }
        let upstream =
            upstream.map_or("inline".into(), |u| if u.contains(' ') { u } else { format!("#/components/schemas/{u}") });
        self.types.insert(loc.to_owned(), TypeOrigin { name: name.clone(), upstream });
        let r = json!({"$ref": format!("#/components/schemas/{name}")});
        Ok(if nullable { json!({"allOf": [r], "nullable": true}) } else { r })
    }
}
