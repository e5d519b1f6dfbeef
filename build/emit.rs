//! Emitting the per-operation layer as Rust source: the `Operation` enum and its facts, one
//! accessor per tag, one builder per operation, the decoders the tests and the fuzz target use.

use super::model::{Field, In, Op, Rules, Ty};
use super::naming::{doc_attr, pascal, snake};
use std::fmt::Write as _;

pub(super) fn emit_operation_enum(out: &mut String, ops: &[Op]) {
    doc_attr(
        out,
        "Every operation this crate calls, one per `operationId` in `openapi/credits.yaml`.\n\n\
         Generated: regenerating the fragment with a new operation adds a variant.",
    );
    out.push_str("#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]\n#[non_exhaustive]\npub enum Operation {\n");
    for op in ops {
        let title = op.summary.as_deref().unwrap_or(&op.id);
        doc_attr(out, &format!("`{} {}`: {title}.", op.method, op.path));
        let _ = writeln!(out, "{},", op.variant);
    }
    out.push_str("}\n\nimpl Operation {\n");
    doc_attr(out, "Every operation, in the fragment's order.");
    let all: Vec<String> = ops.iter().map(|o| format!("Operation::{}", o.variant)).collect();
    let _ = writeln!(out, "pub const ALL: &'static [Operation] = &[{}];", all.join(", "));
    out.push_str(
        "pub(crate) fn facts(self) -> &'static crate::operation::Facts {\n    &FACTS[self as usize]\n}\n}\n\n",
    );
    let _ = writeln!(out, "static FACTS: [crate::operation::Facts; {}] = [", ops.len());
    for op in ops {
        let statuses: Vec<String> = op.statuses.iter().map(u16::to_string).collect();
        let _ = writeln!(
            out,
            "crate::operation::Facts {{ id: {:?}, name: {:?}, method: reqwest::Method::{}, path: {:?}, templated: {}, tag: {:?}, \
             credential: crate::operation::Credential::{}, idempotent: {}, deprecated: {}, statuses: &[{}] }},",
            op.id,
            op.snake,
            op.method,
            op.path,
            op.path.contains('{'),
            op.tag,
            op.credential,
            op.idempotent,
            op.deprecated,
            statuses.join(", "),
        );
    }
    out.push_str("];\n\n");
}

pub(super) fn emit_accessors(out: &mut String, ops: &[Op]) {
    let mut tags: Vec<&str> = Vec::new();
    for op in ops {
        if !tags.contains(&op.tag.as_str()) {
            tags.push(&op.tag);
        }
    }
    for tag in tags {
        let accessor = snake(tag);
        let api = format!("{}Api", pascal(tag));
        doc_attr(out, &format!("The `{tag}` operations, from [`Client::{accessor}`](crate::Client::{accessor})."));
        let _ = writeln!(out, "#[derive(Clone, Copy, Debug)]\npub struct {api}<'a> {{ client: &'a crate::Client }}\n");
        out.push_str("impl crate::Client {\n");
        doc_attr(out, &format!("The `{tag}` operations."));
        let _ = writeln!(out, "pub fn {accessor}(&self) -> {api}<'_> {{ {api} {{ client: self }} }}\n}}\n");
        let _ = writeln!(out, "impl {api}<'_> {{");
        for op in ops.iter().filter(|o| o.tag == tag) {
            doc_attr(out, &operation_doc(op));
            let builder = format!("{}Builder", op.variant);
            let fields: String = op.all_fields().map(|f| format!(", {}: None", f.ident)).collect();
            if op.credential == "PerCall" {
                let _ = writeln!(
                    out,
                    "pub fn {}(&self, security: {}Security) -> {builder} {{\n\
                     {builder} {{ call: crate::call::Call::new(self.client, Operation::{}).with_bearer(security.0){fields} }}\n}}",
                    op.snake, op.variant, op.variant
                );
            } else {
                let _ = writeln!(
                    out,
                    "pub fn {}(&self) -> {builder} {{\n\
                     {builder} {{ call: crate::call::Call::new(self.client, Operation::{}){fields} }}\n}}",
                    op.snake, op.variant
                );
            }
        }
        out.push_str("}\n\n");
    }
}

impl Op {
    pub(super) fn all_fields(&self) -> impl Iterator<Item = &Field> {
        self.params.iter().chain(self.body.iter().flatten())
    }
}

fn operation_doc(op: &Op) -> String {
    let mut s = format!("`{} {}`", op.method, op.path);
    if let Some(summary) = &op.summary {
        let _ = write!(s, ": {summary}.");
    }
    if let Some(d) = op.description.as_ref().filter(|d| Some(d.trim_end_matches('.')) != op.summary.as_deref()) {
        let _ = write!(s, "\n\n{d}");
    }
    let _ = write!(
        s,
        "\n\nCredential: {}. {}",
        match op.credential {
            "ApiKey" => "the client's API key ([`ClientBuilder::api_key`](crate::ClientBuilder::api_key))",
            "ManagementKey" =>
                "the client's management key ([`ClientBuilder::management_key`](crate::ClientBuilder::management_key)), or its API key when it has none",
            "PerCall" => "the bearer token passed here, for this call only; the client's keys are not sent",
            _ => "none",
        },
        if op.idempotent {
            "Idempotent: retried as the policy allows."
        } else {
            "Not idempotent: retried only where the server provably did not act on it (see `retry_non_idempotent`)."
        }
    );
    if op.deprecated {
        s.push_str("\n\n**Deprecated upstream.**");
    }
    s
}

fn rust_ty(ty: &Ty) -> String {
    match ty {
        Ty::String => "String".into(),
        Ty::F64 => "f64".into(),
        Ty::F32 => "f32".into(),
        Ty::I64 => "i64".into(),
        Ty::I32 => "i32".into(),
        Ty::Bool => "bool".into(),
        Ty::Named(p) | Ty::Parsed(p) => p.clone(),
        Ty::Vec(inner) => format!("Vec<{}>", rust_ty(inner)),
        Ty::Map => "serde_json::Map<String, serde_json::Value>".into(),
    }
}

pub(super) fn emit_builder(out: &mut String, op: &Op) {
    let builder = format!("{}Builder", op.variant);
    if op.credential == "PerCall" {
        doc_attr(
            out,
            &format!(
                "Security for [`{}`]({}Api::{}): a bearer token sent with that one call only.\n\n\
                 Its `Debug` never shows the token.",
                op.snake,
                pascal(&op.tag),
                op.snake
            ),
        );
        let _ = writeln!(
            out,
            "#[derive(Clone, Debug)]\npub struct {v}Security(crate::auth::Bearer);\n\
             impl {v}Security {{\n\
             #[doc = \" Uses `token` as `Authorization: Bearer <token>` on this one call.\"]\n\
             pub fn bearer(token: impl AsRef<str>) -> Self {{ Self(crate::auth::Bearer::new(token.as_ref())) }}\n}}\n",
            v = op.variant
        );
    }

    doc_attr(
        out,
        &format!(
            "A `{} {}` call, from [`{}Api::{}`]. Send it with `.send()` or `.await`.",
            op.method,
            op.path,
            pascal(&op.tag),
            op.snake
        ),
    );
    let _ = writeln!(
        out,
        "#[derive(Debug)]\n#[must_use = \"a request does nothing until it is sent or awaited\"]\npub struct {builder} {{\ncall: crate::call::Call,"
    );
    for f in op.all_fields() {
        let stored = match &f.ty {
            // Parsed when given; the rule it broke waits for `send` to report it.
            Ty::Parsed(p) => format!("Result<{p}, &'static str>"),
            other => rust_ty(other),
        };
        let _ = writeln!(out, "{}: Option<{stored}>,", f.ident);
    }
    let _ = writeln!(out, "}}\n\nimpl {builder} {{");

    for f in op.all_fields() {
        let mut text = f.doc.clone().unwrap_or_else(|| format!("`{}`.", f.name));
        let _ = write!(text, "\n\n{}", if f.required { "Required." } else { "Optional." });
        let rules = describe_rules(&f.rules);
        if !rules.is_empty() {
            let _ = write!(text, " {rules}");
        }
        doc_attr(out, &text);
        let (arg, store) = setter_arg(&f.ty);
        let _ = writeln!(
            out,
            "pub fn {}(mut self, value: {arg}) -> Self {{ self.{} = Some({store}); self }}",
            f.ident, f.ident
        );
    }

    out.push_str("crate::call::call_options!();\n");
    if !op.idempotent {
        doc_attr(
            out,
            "Also retry where the server may already have acted on the request (408, 500, 502, 503 \
             without `Retry-After`, 504, a broken connection, a timeout). Off by default: a retry could \
             then act twice (for a charge: create two). Turn it on only if that is acceptable.",
        );
        out.push_str(
            "pub fn retry_non_idempotent(mut self, yes: bool) -> Self { self.call.retry_non_idempotent(yes); self }\n",
        );
    }

    let output = op.response.clone().unwrap_or_else(|| "()".into());
    doc_attr(
        out,
        "Checks the arguments, then sends the request, retrying as the policy allows. Nothing is \
         sent when a check fails ([`Error::InvalidInput`](crate::Error::InvalidInput) names the field and the rule).",
    );
    let _ = writeln!(
        out,
        "pub async fn send(self) -> Result<{output}, crate::Error> {{ self.send_with_meta().await.map(crate::Response::into_inner) }}"
    );
    doc_attr(out, "As [`send`](Self::send), with the response's status, headers and the number of attempts.");
    let _ = writeln!(out, "pub async fn send_with_meta(self) -> Result<crate::Response<{output}>, crate::Error> {{");
    let names: Vec<&str> = op.all_fields().map(|f| f.ident.as_str()).collect();
    let _ = writeln!(out, "let Self {{ call, {} }} = self;", names.iter().map(|n| format!("{n},")).collect::<String>());
    for f in op.all_fields() {
        if f.required {
            let _ = writeln!(out, "let {id} = crate::validate::required({:?}, {id})?;", f.name, id = f.ident);
        }
        if let Ty::Parsed(_) = f.ty {
            let _ = if f.required {
                writeln!(out, "let {id} = crate::validate::parsed({:?}, {id})?;", f.name, id = f.ident)
            } else {
                writeln!(
                    out,
                    "let {id} = {id}.map(|v| crate::validate::parsed({:?}, v)).transpose()?;",
                    f.name,
                    id = f.ident
                )
            };
        }
        if let Some(check) = check_call(f) {
            if f.required {
                let _ = writeln!(out, "{check};", check = check.replace("VALUE", &format!("&{}", f.ident)));
            } else {
                let _ = writeln!(out, "if let Some(value) = &{} {{ {}; }}", f.ident, check.replace("VALUE", "value"));
            }
        }
    }

    // Path: every segment, parameters as values (the runtime percent-encodes each one).
    let mut segments = Vec::new();
    for seg in op.path.split('/').filter(|s| !s.is_empty()) {
        match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(param) => {
                let f = op.params.iter().find(|f| f.name == param && f.location == In::Path);
                let id = f.map_or_else(|| snake(param), |f| f.ident.clone());
                segments.push(format!("&{id}.to_string()"));
            }
            None => segments.push(format!("{seg:?}")),
        }
    }
    let _ = writeln!(out, "let segments: &[&str] = &[{}];", segments.join(", "));

    let query: Vec<&Field> = op.params.iter().filter(|f| f.location == In::Query).collect();
    if query.is_empty() {
        out.push_str("let query: Vec<(&'static str, String)> = Vec::new();\n");
    } else {
        out.push_str("let mut query: Vec<(&'static str, String)> = Vec::new();\n");
        for f in query {
            let push = match &f.ty {
                Ty::Vec(_) => format!("for item in v {{ query.push(({:?}, item.to_string())); }}", f.name),
                _ => format!("query.push(({:?}, v.to_string()));", f.name),
            };
            if f.required {
                let _ = writeln!(out, "{{ let v = &{}; {push} }}", f.ident);
            } else {
                let _ = writeln!(out, "if let Some(v) = &{} {{ {push} }}", f.ident);
            }
        }
    }

    match &op.body {
        None => out.push_str("let body = None;\n"),
        Some(fields) => {
            // Spec order, as the official SDKs send it (typify would sort the fields by name).
            out.push_str("#[derive(serde::Serialize)]\nstruct Body<'a> {\n");
            for f in fields {
                let attr = if f.required {
                    String::new()
                } else {
                    "#[serde(skip_serializing_if = \"Option::is_none\")]\n".into()
                };
                let ty = if f.required {
                    format!("&'a {}", rust_ty(&f.ty))
                } else {
                    format!("Option<&'a {}>", rust_ty(&f.ty))
                };
                let _ = writeln!(out, "{attr}#[serde(rename = {:?})]\n{}: {ty},", f.name, f.ident);
            }
            out.push_str("}\n");
            let inits: Vec<String> = fields
                .iter()
                .map(|f| {
                    if f.required {
                        format!("{}: &{}", f.ident, f.ident)
                    } else {
                        format!("{}: {}.as_ref()", f.ident, f.ident)
                    }
                })
                .collect();
            let _ = writeln!(out, "let body = Some(crate::call::json_body(&Body {{ {} }})?);", inits.join(", "));
        }
    }
    let decode = if op.response.is_some() { "json" } else { "empty" };
    let _ = writeln!(
        out,
        "call.send(crate::call::Request {{ segments, query: &query, body }}).await?.{decode}()\n}}\n}}\n"
    );
    let _ = writeln!(
        out,
        "impl std::future::IntoFuture for {builder} {{\n\
         type Output = Result<{output}, crate::Error>;\n\
         type IntoFuture = crate::call::BoxFuture<{output}>;\n\
         fn into_future(self) -> Self::IntoFuture {{ Box::pin(self.send()) }}\n}}\n"
    );
}

/// A setter's argument type and how it stores its value.
pub(super) fn setter_arg(ty: &Ty) -> (String, String) {
    match ty {
        Ty::String => ("impl Into<String>".to_owned(), "value.into()".to_owned()),
        // Text or the type itself (it is `AsRef<str>`), parsed here without allocating.
        Ty::Parsed(p) => {
            ("impl AsRef<str>".to_owned(), format!("<{p} as crate::validate::Parsed>::parse_rule(value.as_ref())"))
        }
        other => (rust_ty(other), "value".to_owned()),
    }
}

/// A call into `crate::validate` for a field's rules, with `VALUE` standing for a reference to
/// the value; `None` when nothing is checked.
fn check_call(f: &Field) -> Option<String> {
    let r = &f.rules;
    let opt = |v: Option<f64>| v.map_or("None".to_owned(), |v| format!("Some({v:?})"));
    let optu = |v: Option<u64>| v.map_or("None".to_owned(), |v| format!("Some({v})"));
    match &f.ty {
        Ty::F64 | Ty::F32 | Ty::I64 | Ty::I32 => Some(format!(
            "crate::validate::number({:?}, *VALUE as f64, &crate::validate::NumberRule {{ minimum: {}, maximum: {}, exclusive_minimum: {}, exclusive_maximum: {} }})?",
            f.name,
            opt(r.minimum),
            opt(r.maximum),
            r.exclusive_minimum,
            r.exclusive_maximum
        )),
        Ty::String => {
            let format = r.format.as_ref().map_or("None".to_owned(), |f| format!("Some({f:?})"));
            Some(format!(
                "crate::validate::string({:?}, VALUE, &crate::validate::StringRule {{ min_length: {}, max_length: {}, format: {format}, one_of: &{:?} }})?",
                f.name,
                optu(r.min_length),
                optu(r.max_length),
                r.one_of
            ))
        }
        _ => None,
    }
}

fn describe_rules(r: &Rules) -> String {
    let mut parts = Vec::new();
    match (r.minimum, r.exclusive_minimum) {
        (Some(m), true) => parts.push(format!("greater than {m}")),
        (Some(m), false) => parts.push(format!("at least {m}")),
        _ => {}
    }
    match (r.maximum, r.exclusive_maximum) {
        (Some(m), true) => parts.push(format!("less than {m}")),
        (Some(m), false) => parts.push(format!("at most {m}")),
        _ => {}
    }
    if let Some(n) = r.min_length {
        parts.push(format!("at least {n} characters"));
    }
    if let Some(n) = r.max_length {
        parts.push(format!("at most {n} characters"));
    }
    let format = r.format.as_ref().map(|f| match f.as_str() {
        "evm-address" => "an EVM address (`0x` and 40 hexadecimal digits)".to_owned(),
        other => format!("in the `{other}` format"),
    });
    parts.extend(format);
    if !r.one_of.is_empty() {
        parts.push(format!("one of {}", r.one_of.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ")));
    }
    if parts.is_empty() { String::new() } else { format!("Must be {}.", parts.join(", ")) }
}

/// For the tests and the fuzz target: decode a success body as the operation's type.
pub(super) fn emit_decoders(out: &mut String, ops: &[Op]) {
    out.push_str(
        "#[cfg(any(test, fuzzing))]\n\
         #[doc = \" Decodes a success body as `operation`'s response type, for the property tests and the fuzz target.\"]\n\
         pub(crate) fn decode_success(operation: Operation, success: crate::outcome::Success) -> Result<(), crate::Error> {\n\
         match operation {\n",
    );
    for op in ops {
        let decode = match &op.response {
            Some(ty) => format!("success.json::<{ty}>().map(drop)"),
            None => "success.empty().map(drop)".into(),
        };
        let _ = writeln!(out, "Operation::{} => {decode},", op.variant);
    }
    out.push_str("}\n}\n");
}
