//! `cargo xtask regen`: turn upstream OpenAPI documents (3.0 or 3.1, YAML or JSON) into the small
//! OpenAPI 3.0.3 fragment `build.rs` reads, following the fragment contract.
//!
//! The pipeline:
//! 1. [`config`]: `openapi/regen.yaml` names the source snapshot, the operations (each may be
//!    pinned to another snapshot), the overlay and the type names;
//! 2. [`overlay`]: the OpenAPI Overlay 1.0.0 document is applied to every source first;
//! 3. [`fragment`]: each operation is found, its `$ref`s resolved, header parameters and
//!    `default` responses dropped, and its schemas passed through [`schema`] (inlined, rewritten
//!    to 3.0, hoisted into components named by location);
//! 4. [`errors`]: every error status shares one `ErrorResponse`, the union of upstream's;
//! 5. [`contract`]: the result is checked against the contract; regen writes nothing that breaks it;
//! 6. [`report`] says what changed against the checked-in fragment; [`emit`] writes it;
//! 7. [`compile`]: before a changed fragment is written (`main.rs`), the crate is compiled
//!    against it; hand-written code that no longer builds is a refusal naming the changed items.
//!
//! The steps share [`source`] (a document as read, and how regen refuses something in it),
//! [`pointer`] (JSON-pointer segments) and [`names`] (locations, derived names). Imports point one
//! way, without cycles: `fragment` → `schema` → `source` → `overlay` → `pointer`, `config` → `names`.
//!
//! What progenitor's types or the crate cannot take is either converted (listed in the header and the
//! summary) or refused with the upstream pointer, the cause and a ready-to-paste overlay action.

pub mod compile;
pub mod config;
pub mod contract;
pub mod emit;
pub mod errors;
pub mod fragment;
pub mod names;
pub mod overlay;
pub mod pointer;
pub mod report;
pub mod schema;
pub mod semver;
pub mod source;

/// The per-operation generator `build.rs` runs, compiled here so that regen checks the fragment
/// and describes its public Rust surface (the API-change report) with the same code.
#[path = "../../build/operations.rs"]
pub mod operations;

pub use config::Config;
use pointer::escape;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Something regen refuses to do: where (a JSON pointer, prefixed with the file it points
/// into), why, and the overlay action or config lines that fix it when there are some.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegenError {
    /// `file#/json/pointer` (`openrouter.full.2026-08.openapi.yaml#/paths/~1credits/get`), if any.
    pub pointer: Option<String>,
    pub message: String,
    /// Ready-to-paste YAML for `actions:` in `openapi/overlay.yaml`.
    pub fix: Option<String>,
    /// Ready-to-paste lines for `names:` in `openapi/regen.yaml` (`  location: TypeName`), where
    /// the fix is a Rust name, not a change to upstream.
    pub names_fix: Option<String>,
}

impl RegenError {
    pub fn at(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self { pointer: Some(pointer.into()), ..Self::new(message) }
    }
    pub fn new(message: impl Into<String>) -> Self {
        Self { pointer: None, message: message.into(), fix: None, names_fix: None }
    }
}

impl fmt::Display for RegenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.pointer {
            Some(p) => write!(f, "at {p}: {}", self.message)?,
            None => f.write_str(&self.message)?,
        }
        if let Some(fix) = &self.fix {
            write!(f, "\nfix: add this to `actions:` in openapi/overlay.yaml (or edit upstream):\n{fix}")?;
        }
        if let Some(fix) = &self.names_fix {
            write!(f, "\nfix: add (or change) this in `names:` in openapi/regen.yaml:\n{fix}")?;
        }
        Ok(())
    }
}

impl std::error::Error for RegenError {}

/// What one regen run produced.
#[derive(Debug)]
pub struct Regenerated {
    /// The fragment, byte for byte as it is written.
    pub text: String,
    /// Its JSON twin (the output's path with `.json`), the one `build.rs` reads.
    pub json: String,
    /// Each rewrite made for progenitor's types and the contract (`file#pointer: what`), sorted.
    pub conversions: Vec<String>,
    /// Upstream changes against the checked-in fragment: operations, parameters, responses,
    /// security, renames (the Rust types' are in `api`).
    pub changes: Vec<String>,
    /// Stale overlay actions and `names:` entries.
    pub notes: Vec<String>,
    /// The public Rust surface against the checked-in fragment's, when there is one and it
    /// differs; `Err` when the checked-in fragment cannot be read as the generator reads it.
    pub api: ApiReport,
}

/// The API change against the checked-in fragment: `None` when there is none or nothing differs,
/// `Err` when the checked-in fragment cannot be read as the generator reads it.
pub type ApiReport = Option<Result<semver::ApiChange, String>>;

impl Regenerated {
    /// Everything for the user, in plain words.
    pub fn summary(&self) -> Vec<String> {
        let mut out = Vec::new();
        match &self.api {
            Some(Ok(change)) => out.extend(change.lines()),
            Some(Err(e)) => out.push(format!("API change: unknown (the checked-in fragment does not generate: {e})")),
            None => {}
        }
        out.extend(self.changes.iter().cloned());
        out.extend(self.notes.iter().map(|n| format!("note: {n}")));
        out.extend(self.conversions.iter().map(|c| format!("converted: {c}")));
        out
    }
}

/// The API-change report of `old` → `new` (fragments), `None` when nothing differs.
fn api_change(old: &Value, new: &Value, text_changed: bool) -> ApiReport {
    let read = |doc| operations::surface::read(doc, &operations::TYPES);
    match (read(old), read(new)) {
        (Ok(before), Ok(after)) => semver::compare(&before, &after, text_changed).map(Ok),
        (Err(e), _) | (_, Err(e)) => Some(Err(e)),
    }
}

/// Why an operation of the config is not in its source: upstream renamed it, or it is gone
/// (pin it to an older snapshot).
fn missing_operation(
    config: &Config,
    spec: &config::OperationSpec,
    src: &source::Source,
    previous: Option<&Value>,
    changes: &mut BTreeSet<String>,
) -> RegenError {
    if let Some(renamed) = previous.and_then(|p| renamed_operation(config, spec, src, p, changes)) {
        return renamed;
    }
    let older = config.previous_source.as_deref().filter(|p| *p != src.path);
    RegenError::at(
        format!("{}#/paths", src.name),
        format!(
            "operation {op} is not in {}; to keep it from an older snapshot, pin it in openapi/regen.yaml:\n  operations:\n    - id: {op}\n      source: {}\nor remove it from `operations:`",
            src.name,
            older.unwrap_or("openapi/upstream/<older snapshot>.yaml"),
            op = spec.selector,
        ),
    )
}

/// When the checked-in fragment has the operation and its route (method and path) is in the
/// source under another `operationId`, upstream renamed it: the refusal names the new id and the
/// config lines that follow it (never a silent drop).
fn renamed_operation(
    config: &Config,
    spec: &config::OperationSpec,
    src: &source::Source,
    previous: &Value,
    changes: &mut BTreeSet<String>,
) -> Option<RegenError> {
    let config::Selector::Id(old) = &spec.selector else { return None };
    let (method, path) = report::route_of(previous, old)?;
    let route = config::Selector::Route { method: method.to_lowercase(), path: path.clone() };
    let by_route = config::OperationSpec { selector: route, source: spec.source.clone() };
    let found = fragment::find(src, &by_route, changes).ok()??;
    let new = found.op.get("operationId").and_then(Value::as_str)?;
    let names: String = config
        .names
        .iter()
        .filter_map(|(loc, name)| {
            let rest = loc.strip_prefix(old.as_str()).filter(|r| r.starts_with(' '))?;
            Some(format!("\n    {new}{rest}: {name}"))
        })
        .collect();
    let names = if names.is_empty() {
        String::new()
    } else {
        format!("\nand rename the `names:` locations that start with `{old}` (the type names stay):{names}")
    };
    Some(RegenError::at(
        format!("{}#/paths/{}/{}", src.name, escape(&path), method.to_lowercase()),
        format!(
            "operation {old} is not in {}, but its route {method} {path} is, as `{new}`: upstream renamed the operationId. \
             Nothing was written. To follow the rename (the accessor and builder take the new name: a major release), \
             change one line in openapi/regen.yaml `operations:`\n  - {old}\nto\n  - {new}{names}",
            src.name,
        ),
    ))
}

fn file_name(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_owned()
}

/// Loads a file named in the config (paths relative to the workspace root).
pub type Reader<'a> = dyn Fn(&str) -> Result<Vec<u8>, String> + 'a;

/// Runs the whole pipeline. `read` loads a file named in the config (paths relative to the
/// workspace root); `existing` is the checked-in fragment, for the summary.
pub fn regenerate(config: &Config, read: &Reader<'_>, existing: Option<&str>) -> Result<Regenerated, RegenError> {
    let mut changes: BTreeSet<String> = BTreeSet::new();
    let mut notes = Vec::new();
    let (overlay, sources) = read_sources(config, read, &mut notes)?;
    // The checked-in fragment, for the route of an operation upstream renamed.
    let previous: Option<Value> = existing.and_then(|t| serde_yaml_ng::from_str(t).ok());
    let main_security = sources[0].doc.get("security").cloned().unwrap_or(json!([]));
    let mut hoister = schema::Hoister::new(&config.names);
    let (mut converted, per_source) =
        convert_operations(config, &sources, previous.as_ref(), &main_security, &mut hoister, &mut changes)?;
    hoist_errors(&mut converted, &sources, &mut hoister, &mut changes)?;
    let schemes = security_schemes(&main_security, &converted, &sources, &mut changes)?;
    let schemas = hoister.components.iter().map(|(n, (s, _))| (n.clone(), s.clone())).collect();
    let mut doc = document(&sources, &converted, schemas, schemes);
    schema::strip_markers(&mut doc);
    notes.extend(config.names.iter().filter(|(loc, _)| !hoister.used_locations.contains(loc)).map(|(loc, name)| {
        format!("names: `{loc}: {name}` matches no schema location (stale entry in openapi/regen.yaml)")
    }));
    builds(&doc)?;

    let conversions: Vec<String> = changes.into_iter().collect();
    let header = emit::Header {
        sources: sources.iter().zip(&per_source).map(|(s, ops)| (s, ops.as_slice())).collect(),
        overlay: overlay.as_ref().map(|(n, sha, o)| (n.as_str(), sha.as_str(), o.actions.len())),
        types: hoister.types.iter().map(|(l, t)| (l.as_str(), t.name.as_str(), t.upstream.as_str())).collect(),
        changes: &conversions,
    };
    let text = emit::render(&header, &doc)?;
    let json = emit::json(&doc)?;

    let (changes, api) = match existing {
        Some(old_text) => compare(old_text, &text, &doc)?,
        None => (Vec::new(), None),
    };
    Ok(Regenerated { text, json, conversions, changes, notes, api })
}

/// Regen refuses first what the build would (the same code): a breach of the contract, or a
/// fragment the generator cannot take.
fn builds(doc: &Value) -> Result<(), RegenError> {
    if let Err(errs) = contract::check(doc) {
        let list: Vec<String> = errs.iter().map(ToString::to_string).collect();
        return Err(RegenError::new(format!(
            "the fragment would break the contract, so nothing was written:\n  {}",
            list.join("\n  ")
        )));
    }
    operations::generate(doc, &operations::TYPES)
        .map_err(|e| RegenError::new(format!("the fragment would not build, so nothing was written: {e}")))?;
    Ok(())
}

/// What changed against the checked-in fragment: upstream's changes in words, and the API change.
fn compare(old_text: &str, text: &str, doc: &Value) -> Result<(Vec<String>, ApiReport), RegenError> {
    let old: Value = serde_yaml_ng::from_str(old_text)
        .map_err(|e| RegenError::new(format!("the current fragment does not parse: {e}")))?;
    let mut upstream = report::upstream_changes(&old, doc);
    upstream.extend(report::renames(old_text, text));
    Ok((upstream, api_change(&old, doc, old_text != text)))
}

/// An overlay as read: its file name, SHA-256 and actions.
type LoadedOverlay = (String, String, overlay::Overlay);

/// The overlay and every source with it applied; a note for each
/// overlay action that matched nothing.
fn read_sources(
    config: &Config,
    read: &Reader<'_>,
    notes: &mut Vec<String>,
) -> Result<(Option<LoadedOverlay>, Vec<source::Source>), RegenError> {
    let overlay = match &config.overlay {
        Some(path) => {
            let text = read_text(read, path, path)?;
            let name = file_name(path);
            let o = overlay::Overlay::parse(&name, &text)?;
            Some((name, emit::sha256_hex(text.as_bytes()), o))
        }
        None => None,
    };
    let mut hits = vec![0usize; overlay.as_ref().map_or(0, |o| o.2.actions.len())];
    let mut sources: Vec<source::Source> = Vec::new();
    for path in config.sources() {
        let src = read_source(read, path, overlay.as_ref().map(|o| &o.2), &mut hits)?;
        if sources.iter().any(|s| s.name == src.name) {
            return Err(RegenError::new(format!(
                "two sources are named {}; sources need distinct file names",
                src.name
            )));
        }
        sources.push(src);
    }
    if let Some((name, _, o)) = &overlay {
        for (i, (a, n)) in o.actions.iter().zip(&hits).enumerate() {
            if *n == 0 {
                notes.push(format!(
                    "stale overlay action: {name} actions[{i}] (target `{}`{}) matches nothing in any source",
                    a.target,
                    a.description.as_deref().map(|d| format!(", \"{d}\"")).unwrap_or_default()
                ));
            }
        }
    }
    Ok((overlay, sources))
}

/// The file at `path`, as text (`shown` in the message when it is not UTF-8).
fn read_text(read: &Reader<'_>, path: &str, shown: &str) -> Result<String, RegenError> {
    let bytes = read(path).map_err(RegenError::new)?;
    String::from_utf8(bytes).map_err(|_| RegenError::new(format!("{shown} is not UTF-8")))
}

/// One source with the overlay applied; `hits[i]` grows by the nodes overlay action `i` selected.
fn read_source(
    read: &Reader<'_>,
    path: &str,
    overlay: Option<&overlay::Overlay>,
    hits: &mut [usize],
) -> Result<source::Source, RegenError> {
    let name = file_name(path);
    let text = read_text(read, path, &name)?;
    // JSON is YAML, so one parser reads both forms upstream publishes.
    let mut doc: Value =
        serde_yaml_ng::from_str(&text).map_err(|e| RegenError::new(format!("{name} is neither YAML nor JSON: {e}")))?;
    let openapi = doc.get("openapi").and_then(Value::as_str).unwrap_or_default().to_owned();
    if !(openapi.starts_with("3.0.") || openapi.starts_with("3.1.")) {
        return Err(RegenError::at(format!("{name}#/openapi"), format!("OpenAPI `{openapi}` is not 3.0.x or 3.1.x")));
    }
    if let Some(o) = overlay {
        o.apply(&mut doc, hits);
    }
    let version = doc.pointer("/info/version").and_then(Value::as_str).unwrap_or("unknown").to_owned();
    let sha256 = emit::sha256_hex(text.as_bytes());
    Ok(source::Source { name, path: path.to_owned(), sha256, openapi, version, doc })
}

/// Finds and converts every operation of the config, in its order; with the operationIds read
/// from each source, for the header.
fn convert_operations(
    config: &Config,
    sources: &[source::Source],
    previous: Option<&Value>,
    main_security: &Value,
    hoister: &mut schema::Hoister,
    changes: &mut BTreeSet<String>,
) -> Result<(Vec<fragment::Converted>, Vec<Vec<String>>), RegenError> {
    let mut converted = Vec::new();
    let mut per_source: Vec<Vec<String>> = vec![Vec::new(); sources.len()];
    for spec in &config.operations {
        let idx = spec.source.as_ref().and_then(|p| sources.iter().position(|s| s.path == *p)).unwrap_or(0);
        let src = &sources[idx];
        let Some(found) = fragment::find(src, spec, changes)? else {
            return Err(missing_operation(config, spec, src, previous, changes));
        };
        let c = fragment::convert(src, idx, found, main_security, hoister, changes)?;
        if converted.iter().any(|o: &fragment::Converted| o.path == c.path && o.method == c.method) {
            return Err(RegenError::new(format!(
                "{} {} is listed twice in openapi/regen.yaml",
                c.method.to_uppercase(),
                c.path
            )));
        }
        per_source[idx].push(c.op.get("operationId").and_then(Value::as_str).unwrap_or_default().to_owned());
        converted.push(c);
    }
    Ok((converted, per_source))
}

/// One `ErrorResponse` for every error status: the union of upstream's error schemas.
fn hoist_errors(
    converted: &mut [fragment::Converted],
    sources: &[source::Source],
    hoister: &mut schema::Hoister,
    changes: &mut BTreeSet<String>,
) -> Result<(), RegenError> {
    let all_errors: Vec<fragment::ErrorSchema> =
        converted.iter_mut().flat_map(|c| std::mem::take(&mut c.errors)).collect();
    let has_error_status = converted.iter().any(|c| {
        c.op.get("responses")
            .and_then(Value::as_object)
            .is_some_and(|r| r.keys().any(|k| k.starts_with('4') || k.starts_with('5')))
    });
    let schema = errors::merge(&all_errors, sources, changes)?.or_else(|| {
        has_error_status
            .then(|| json!({"description": errors::DESCRIPTION, "type": "object", "additionalProperties": {}}))
    });
    if let Some(schema) = schema {
        hoister.hoist(schema, "ErrorResponse", "ErrorResponse", true)?;
    }
    Ok(())
}

/// The fragment: version, info, servers, security, tags, paths, components.
fn document(
    sources: &[source::Source],
    converted: &[fragment::Converted],
    schemas: Map<String, Value>,
    schemes: Map<String, Value>,
) -> Value {
    let main = &sources[0];
    let mut doc = Map::new();
    doc.insert("openapi".into(), json!("3.0.3"));
    for key in ["info", "servers", "security"] {
        if let Some(v) = main.doc.get(key) {
            doc.insert(key.into(), v.clone());
        }
    }
    // Each tag once, in order of first use, with the description its operation's source gives it.
    let mut tags: Vec<Value> = Vec::new();
    for c in converted {
        for t in &c.tags {
            if tags.iter().any(|d| d["name"] == *t) {
                continue;
            }
            let defined = sources[c.source].doc.get("tags").and_then(Value::as_array);
            let mut def =
                defined.into_iter().flatten().find(|d| d["name"] == *t).cloned().unwrap_or(json!({"name": t}));
            if let Some(o) = def.as_object_mut() {
                o.retain(|k, _| k == "name" || k == "description");
            }
            tags.push(def);
        }
    }
    if !tags.is_empty() {
        doc.insert("tags".into(), Value::Array(tags));
    }
    let mut paths = Map::new();
    for c in converted {
        let item = paths.entry(c.path.clone()).or_insert_with(|| json!({}));
        if let Some(item) = item.as_object_mut() {
            item.insert(c.method.clone(), c.op.clone());
        }
    }
    doc.insert("paths".into(), Value::Object(paths));
    let mut components = Map::from_iter([("schemas".to_owned(), Value::Object(schemas))]);
    if !schemes.is_empty() {
        components.insert("securitySchemes".into(), Value::Object(schemes));
    }
    doc.insert("components".into(), Value::Object(components));
    Value::Object(doc)
}

/// The security schemes the fragment uses, by name: the global ones from the main source, each
/// operation's from its own.
fn security_schemes(
    main_security: &Value,
    converted: &[fragment::Converted],
    sources: &[source::Source],
    changes: &mut BTreeSet<String>,
) -> Result<Map<String, Value>, RegenError> {
    let global = main_security.as_array().into_iter().flatten().flat_map(|req| req.as_object().into_iter().flatten());
    let wanted =
        global.map(|(k, _)| (0, k)).chain(converted.iter().flat_map(|c| c.schemes.iter().map(|k| (c.source, k))));
    // Each scheme with the source it was taken from.
    let mut schemes: BTreeMap<&str, (&Value, &str)> = BTreeMap::new();
    for (idx, name) in wanted {
        let src = &sources[idx];
        let ptr = format!("/components/securitySchemes/{}", escape(name));
        let Some(def) = src.doc.pointer(&ptr) else {
            return Err(src.refuse(
                "/components/securitySchemes",
                format!("security scheme `{name}` is used but not defined"),
                vec![(
                    "/components".to_owned(),
                    overlay::Edit::Update(
                        json!({"securitySchemes": {name.clone(): {"type": "http", "scheme": "bearer"}}}),
                    ),
                )],
                "define the scheme",
            ));
        };
        match schemes.get(name.as_str()) {
            None => {
                schemes.insert(name, (def, &src.name));
            }
            Some((other, from)) if *other != def && *from != src.name => {
                changes.insert(format!(
                    "{}#{ptr}: security scheme {name} differs from {from}'s; {from}'s is kept",
                    src.name
                ));
            }
            Some(_) => {}
        }
    }
    Ok(schemes.into_iter().map(|(n, (s, _))| (n.to_owned(), s.clone())).collect())
}
