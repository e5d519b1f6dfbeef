//! The fragment contract (the team's contract for the new build.rs): what
//! `build.rs` relies on. `check` runs as the last step of every regen; regen refuses to write a
//! fragment that breaks it. Pointers are into the fragment.

use crate::RegenError;
use crate::pointer::{escape, path_pointer};
use crate::schema::{KEPT_FORMATS, never_kept};
use serde_json::Value;

const PRIMITIVES: [&str; 4] = ["string", "integer", "number", "boolean"];
const CREDENTIALS: [&str; 3] = ["api-key", "management-key", "per-call"];

struct Checker<'a> {
    doc: &'a Value,
    errors: Vec<RegenError>,
}

impl Checker<'_> {
    fn fail(&mut self, at: &str, msg: impl Into<String>) {
        self.errors
            .push(RegenError::at(format!("fragment#{at}"), format!("breaks the fragment contract: {}", msg.into())));
    }

    fn schema_ref<'b>(&mut self, v: &'b Value, at: &str) -> Option<&'b str> {
        let r = v.get("$ref").and_then(Value::as_str)?;
        match r.strip_prefix("#/components/schemas/") {
            Some(n) if self.doc.pointer(&format!("/components/schemas/{}", escape(n))).is_some() => Some(n),
            _ => {
                self.fail(at, format!("`$ref: {r}` does not name a component schema"));
                None
            }
        }
    }

    fn schema(&mut self, s: &Value, at: &str, top: bool) {
        let Some(o) = s.as_object() else {
            self.fail(at, "a schema is an object");
            return;
        };
        if o.contains_key("$ref") {
            if o.len() > 1 {
                self.fail(at, "`$ref` with siblings (3.0 ignores them)");
            }
            self.schema_ref(s, at);
            return;
        }
        if let Some(all) = o.get("allOf") {
            let ok = all.as_array().is_some_and(|a| a.len() == 1 && a[0].get("$ref").is_some())
                && o.keys().all(|k| ["allOf", "nullable", "description"].contains(&k.as_str()));
            if !ok || top {
                self.fail(at, "`allOf` is only `[{$ref}]` below a property, with `nullable: true` or a `description`");
            } else {
                self.schema_ref(&all[0], &format!("{at}/allOf/0"));
            }
            return;
        }
        for k in o.keys().filter(|k| never_kept(k)) {
            self.fail(&format!("{at}/{}", escape(k)), format!("`{k}` is not allowed in the fragment"));
        }
        for k in o.keys().filter(|k| k.starts_with("x-")) {
            self.fail(&format!("{at}/{}", escape(k)), "vendor extensions are not kept on schemas");
        }
        let t = o.get("type");
        if let Some(t) = t
            && !t.as_str().is_some_and(|t| PRIMITIVES.contains(&t) || t == "object" || t == "array")
        {
            self.fail(&format!("{at}/type"), format!("`type: {t}`: 3.0 has one type name per schema"));
        }
        for k in ["exclusiveMinimum", "exclusiveMaximum"] {
            if o.get(k).is_some_and(|v| !v.is_boolean()) {
                self.fail(&format!("{at}/{k}"), "3.0 exclusive bounds are booleans");
            }
        }
        if let Some(f) = o.get("format").and_then(Value::as_str)
            && !KEPT_FORMATS.contains(&f)
        {
            self.fail(&format!("{at}/format"), format!("format `{f}` (only {} are kept)", KEPT_FORMATS.join(", ")));
        }
        if o.get("additionalProperties") == Some(&Value::Bool(false)) {
            self.fail(
                &format!("{at}/additionalProperties"),
                "`additionalProperties: false` (a new upstream field would break decoding)",
            );
        }
        if o.get("nullable").is_some_and(|n| !n.is_boolean()) {
            self.fail(&format!("{at}/nullable"), "`nullable` is a boolean");
        }
        let props = o.get("properties").and_then(Value::as_object);
        if props.is_some_and(|p| !p.is_empty()) && !top {
            self.fail(at, "an object schema with properties below another schema must be a named component");
        }
        for (name, p) in props.into_iter().flatten() {
            self.schema(p, &format!("{at}/properties/{}", escape(name)), false);
        }
        if let Some(items) = o.get("items") {
            self.schema(items, &format!("{at}/items"), false);
        } else if t.and_then(Value::as_str) == Some("array") {
            self.fail(at, "an array schema needs `items`");
        }
        if let Some(ap) = o.get("additionalProperties").filter(|a| a.is_object()) {
            self.schema(ap, &format!("{at}/additionalProperties"), false);
        }
    }

    fn operation(&mut self, op: &Value, at: &str, seen: &mut Vec<String>) {
        match op.get("operationId").and_then(Value::as_str) {
            Some(id)
                if id.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                    && id.chars().all(|c| c.is_ascii_alphanumeric()) =>
            {
                if seen.iter().any(|s| s == id) {
                    self.fail(&format!("{at}/operationId"), format!("operationId `{id}` is used twice"));
                }
                seen.push(id.to_owned());
            }
            _ => self.fail(at, "every operation has a camelCase `operationId`"),
        }
        if !op.get("tags").and_then(Value::as_array).is_some_and(|t| t.first().is_some_and(Value::is_string)) {
            self.fail(at, "every operation has at least one tag");
        }
        for (i, p) in op.get("parameters").and_then(Value::as_array).into_iter().flatten().enumerate() {
            let pat = format!("{at}/parameters/{i}");
            if p.get("$ref").is_some() {
                self.fail(&pat, "`$ref` parameters are inlined");
                continue;
            }
            let loc = p.get("in").and_then(Value::as_str).unwrap_or_default();
            if loc != "path" && loc != "query" {
                self.fail(&format!("{pat}/in"), format!("`in: {loc}`: only path and query parameters"));
            }
            let s = p.get("schema");
            let is_prim = |s: &Value| {
                s.get("type").and_then(Value::as_str).is_some_and(|t| PRIMITIVES.contains(&t))
                    && s.get("$ref").is_none()
                    && s.get("properties").is_none()
            };
            let array = loc == "query"
                && s.and_then(|s| s.get("type")).and_then(Value::as_str) == Some("array")
                && s.and_then(|s| s.get("items")).is_some_and(is_prim);
            if !(s.is_some_and(is_prim) || array) {
                self.fail(
                    &format!("{pat}/schema"),
                    "a parameter's schema is an inline primitive (or, in the query, an array of them)",
                );
            } else if let Some(s) = s {
                self.schema(s, &format!("{pat}/schema"), false);
            }
        }
        if let Some(body) = op.get("requestBody") {
            let bat = format!("{at}/requestBody");
            let content = body.get("content").and_then(Value::as_object);
            let ok = content.is_some_and(|c| c.len() == 1 && c.contains_key("application/json"));
            match body.pointer("/content/application~1json/schema").filter(|_| ok) {
                Some(s) => {
                    if let Some(n) = self.schema_ref(s, &format!("{bat}/content/application~1json/schema")) {
                        let target = self.doc.pointer(&format!("/components/schemas/{}", escape(n)));
                        if !target.and_then(|t| t.get("properties")).is_some_and(Value::is_object) {
                            self.fail(&bat, format!("the request body {n} is an object with properties"));
                        }
                    }
                }
                None => self.fail(&bat, "a request body is application/json with a `$ref` schema"),
            }
        }
        let Some(responses) = op.get("responses").and_then(Value::as_object) else {
            self.fail(at, "every operation has responses");
            return;
        };
        let mut successes = 0;
        for (code, r) in responses {
            let rat = format!("{at}/responses/{}", escape(code));
            if r.get("$ref").is_some() {
                self.fail(&rat, "`$ref` responses are inlined");
                continue;
            }
            let content = r.get("content").and_then(Value::as_object);
            if content.is_some_and(|c| c.len() != 1 || !c.contains_key("application/json")) {
                self.fail(&format!("{rat}/content"), "a response body is application/json only");
            }
            let schema = r.pointer("/content/application~1json/schema");
            match code.chars().next() {
                Some('2') if code.len() == 3 => {
                    successes += 1;
                    if content.is_some() {
                        match schema {
                            Some(s) if s.get("$ref").is_some() => {
                                self.schema_ref(s, &format!("{rat}/content/application~1json/schema"));
                            }
                            _ => self.fail(&rat, "a success body's schema is a `$ref` to a named component"),
                        }
                    }
                }
                Some('4' | '5') if code.len() == 3 => {
                    if schema != Some(&serde_json::json!({"$ref": "#/components/schemas/ErrorResponse"})) {
                        self.fail(
                            &rat,
                            "every 4xx/5xx response's schema is `$ref: '#/components/schemas/ErrorResponse'`",
                        );
                    }
                }
                _ => self.fail(&rat, format!("`{code}` response: only 2xx, 4xx and 5xx (no `default`)")),
            }
        }
        if successes > 1 {
            self.fail(&format!("{at}/responses"), "exactly one 2xx response");
        }
        if let Some(sec) = op.get("security") {
            self.security(sec, &format!("{at}/security"));
        }
        if op.get("x-idempotent").is_some_and(|v| !v.is_boolean()) {
            self.fail(&format!("{at}/x-idempotent"), "`x-idempotent` is a boolean");
        }
    }

    fn security(&mut self, sec: &Value, at: &str) {
        let Some(list) = sec.as_array() else {
            self.fail(at, "`security` is a list");
            return;
        };
        for (i, req) in list.iter().enumerate() {
            for name in req.as_object().into_iter().flat_map(|o| o.keys()) {
                if self.doc.pointer(&format!("/components/securitySchemes/{}", escape(name))).is_none() {
                    self.fail(
                        &format!("{at}/{i}"),
                        format!("security scheme `{name}` is not in components/securitySchemes"),
                    );
                }
            }
        }
    }
}

/// Checks the whole fragment; every violation is reported, not only the first.
pub fn check(doc: &Value) -> Result<(), Vec<RegenError>> {
    let mut c = Checker { doc, errors: Vec::new() };
    if doc.get("openapi").and_then(Value::as_str) != Some("3.0.3") {
        c.fail("/openapi", "the fragment is OpenAPI 3.0.3");
    }
    let mut seen = Vec::new();
    for (path, item) in doc.get("paths").and_then(Value::as_object).into_iter().flatten() {
        let pat = path_pointer(path);
        for (k, op) in item.as_object().into_iter().flatten() {
            match k.as_str() {
                "get" | "put" | "post" | "delete" | "options" | "head" | "patch" | "trace" => {
                    c.operation(op, &format!("{pat}/{k}"), &mut seen);
                }
                other => c.fail(
                    &format!("{pat}/{}", escape(other)),
                    format!("`{other}` on a path item (no path-level parameters, no `$ref`)"),
                ),
            }
        }
    }
    if let Some(sec) = doc.get("security") {
        c.security(sec, "/security");
    }
    for (name, s) in doc.pointer("/components/schemas").and_then(Value::as_object).into_iter().flatten() {
        c.schema(s, &format!("/components/schemas/{}", escape(name)), true);
    }
    for (name, s) in doc.pointer("/components/securitySchemes").and_then(Value::as_object).into_iter().flatten() {
        if let Some(x) = s.get("x-credential")
            && !x.as_str().is_some_and(|x| CREDENTIALS.contains(&x))
        {
            c.fail(
                &format!("/components/securitySchemes/{}/x-credential", escape(name)),
                format!("`x-credential` is one of {}", CREDENTIALS.join(", ")),
            );
        }
    }
    for kind in ["responses", "parameters", "requestBodies", "headers", "examples", "pathItems"] {
        if doc.pointer(&format!("/components/{kind}")).is_some() {
            c.fail(
                &format!("/components/{kind}"),
                "only schemas and securitySchemes are components (everything else is inlined)",
            );
        }
    }
    if c.errors.is_empty() { Ok(()) } else { Err(c.errors) }
}
