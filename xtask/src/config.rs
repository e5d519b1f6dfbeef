//! `openapi/regen.yaml`: everything that decides the fragment, in one file CI can replay.

use crate::RegenError;
use serde_json::Value;
use std::fmt;

/// How the config names an operation: by `operationId`, or as `METHOD /path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    Id(String),
    Route { method: String, path: String },
}

impl Selector {
    pub fn parse(text: &str) -> Self {
        match text.trim().split_once(' ') {
            Some((method, path)) if path.trim().starts_with('/') => {
                Selector::Route { method: method.to_lowercase(), path: path.trim().to_owned() }
            }
            _ => Selector::Id(text.trim().to_owned()),
        }
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::Id(id) => f.write_str(id),
            Selector::Route { method, path } => write!(f, "{} {path}", method.to_uppercase()),
        }
    }
}

/// One kept operation, and the snapshot it is read from when not the main `source`.
#[derive(Debug, Clone)]
pub struct OperationSpec {
    pub selector: Selector,
    /// A per-operation source (relative to the workspace root), e.g. an older snapshot.
    pub source: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// The upstream document every operation is read from unless pinned elsewhere.
    pub source: String,
    /// The fragment `build.rs` reads.
    pub output: String,
    /// OpenAPI Overlay 1.0.0 document applied to every source before anything else.
    pub overlay: Option<String>,
    pub operations: Vec<OperationSpec>,
    /// `location -> type name` (`getCredits 200 /data: Credits`), in file order.
    pub names: Vec<(String, String)>,
    /// The `source:` a `--spec` run replaces (not read from the file): the snapshot to suggest
    /// when an operation is missing from the new one.
    pub previous_source: Option<String>,
}

impl Config {
    pub fn parse(text: &str) -> Result<Self, RegenError> {
        let v: Value = serde_yaml_ng::from_str(text)
            .map_err(|e| RegenError::new(format!("regen config is not valid YAML: {e}")))?;
        if v.get("snapshot").is_some() {
            return Err(RegenError::at("/snapshot", "`snapshot:` is now `source:`"));
        }
        let source =
            string(&v, "source").ok_or_else(|| RegenError::at("/source", "regen config needs `source: <file>`"))?;
        let output =
            string(&v, "output").ok_or_else(|| RegenError::at("/output", "regen config needs `output: <file>`"))?;
        let ops = v.get("operations").and_then(Value::as_array).ok_or_else(|| {
            RegenError::at("/operations", "regen config needs a list of operations (operationId or `METHOD /path`)")
        })?;
        let operations = ops.iter().enumerate().map(|(i, op)| {
            let text = match op {
                Value::String(s) => s.clone(),
                Value::Object(_) => string(op, "id")
                    .ok_or_else(|| RegenError::at(format!("/operations/{i}/id"), "an operation entry needs `id:`"))?,
                _ => {
                    return Err(RegenError::at(
                        format!("/operations/{i}"),
                        "an operation is `operationId`, `METHOD /path`, or `{id: ..., source: ...}`",
                    ));
                }
            };
            Ok(OperationSpec { selector: Selector::parse(&text), source: string(op, "source") })
        });
        let operations = operations.collect::<Result<_, _>>()?;
        let mut names = Vec::new();
        if let Some(map) = v.get("names") {
            let map =
                map.as_object().ok_or_else(|| RegenError::at("/names", "`names:` maps locations to type names"))?;
            for (loc, name) in map {
                let name = name.as_str().filter(|n| is_type_name(n)).ok_or_else(|| {
                    RegenError::at(format!("/names/{loc}"), "a type name is PascalCase ASCII letters and digits")
                })?;
                names.push((crate::names::location(loc), name.to_owned()));
            }
        }
        Ok(Self { source, output, overlay: string(&v, "overlay"), operations, names, previous_source: None })
    }

    /// Every source file named in the config: the main one first, then pinned ones, once each.
    pub fn sources(&self) -> Vec<&str> {
        let mut out = vec![self.source.as_str()];
        for op in &self.operations {
            if let Some(s) = op.source.as_deref()
                && !out.contains(&s)
            {
                out.push(s);
            }
        }
        out
    }
}

fn string(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

pub fn is_type_name(n: &str) -> bool {
    n.chars().next().is_some_and(|c| c.is_ascii_uppercase()) && n.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Rewrites the top-level `source:` line, keeping everything else (comments included) as is.
pub fn set_source(text: &str, new: &str) -> Result<String, RegenError> {
    let mut found = false;
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        if !found && line.starts_with("source:") {
            found = true;
            let comment = line.find(" #").map(|i| line[i..].trim_end().to_owned()).unwrap_or_default();
            out.push_str(&format!("source: {new}{comment}\n"));
        } else {
            out.push_str(line);
        }
    }
    if !found {
        return Err(RegenError::at("/source", "regen config has no top-level `source:` line to rewrite"));
    }
    Ok(out)
}
