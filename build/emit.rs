//! Emitting the per-operation layer as Rust syntax, with `quote!`, from the typed model: the
//! `Operation` enum and its facts, one accessor per tag, one builder per operation, the decoders
//! the tests and the fuzz target use.

use super::model::{Field, In, Op, Rules, Ty, api, tags};
use super::naming::{docs, ident, snake};
use proc_macro2::{Ident, Literal, TokenStream};
use quote::{ToTokens, quote};

/// A path or type the model spells as text (`crate::generated::types::Credits`, `Vec<i64>`,
/// `impl Into<String>`), as tokens: the model says each type once, for the emitter and for the
/// API-change report (`surface.rs`) alike.
fn path(p: &str) -> TokenStream {
    p.parse().unwrap_or_else(|_| {
        let why = format!("not a Rust type, a bug in build/: {p}");
        quote!(compile_error!(#why))
    })
}

fn rust_ty(ty: &Ty) -> TokenStream {
    path(&ty.text())
}

pub(super) fn operation_enum(ops: &[Op]) -> TokenStream {
    let doc = docs(
        "Every operation this crate calls, one per `operationId` in `openapi/credits.yaml`.\n\n\
         Generated: regenerating the fragment with a new operation adds a variant.",
    );
    let variants: Vec<Ident> = ops.iter().map(|op| ident(&op.variant)).collect();
    let variant_docs = ops
        .iter()
        .map(|op| docs(&format!("`{} {}`: {}.", op.method, op.path, op.summary.as_deref().unwrap_or(&op.id))));
    let all_doc = docs("Every operation, in the fragment's order.");
    let count = Literal::usize_unsuffixed(ops.len());
    let facts = ops.iter().map(facts);
    quote! {
        #doc
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Operation { #( #variant_docs #variants, )* }

        impl Operation {
            #all_doc
            pub const ALL: &'static [Operation] = &[#(Operation::#variants),*];
            pub(crate) fn facts(self) -> &'static crate::operation::Facts {
                &FACTS[self as usize]
            }
        }

        static FACTS: [crate::operation::Facts; #count] = [#(#facts,)*];
    }
}

fn facts(op: &Op) -> TokenStream {
    let (id, name, route, tag) = (&op.id, &op.snake, &op.path, &op.tag);
    let method = ident(&op.method);
    let templated = op.path.contains('{');
    let credential = ident(op.credential);
    let (idempotent, deprecated) = (op.idempotent, op.deprecated);
    let statuses = op.statuses.iter().map(|s| Literal::u16_unsuffixed(*s));
    quote! {
        crate::operation::Facts {
            id: #id, name: #name, method: reqwest::Method::#method, path: #route, templated: #templated,
            tag: #tag, credential: crate::operation::Credential::#credential, idempotent: #idempotent,
            deprecated: #deprecated, statuses: &[#(#statuses),*]
        }
    }
}

/// One accessor per tag (`client.credits()`), in the order the tags first appear.
pub(super) fn accessors(ops: &[Op]) -> TokenStream {
    tags(ops)
        .into_iter()
        .map(|tag| {
            let accessor = snake(tag);
            let doc = docs(&format!("The `{tag}` operations, from [`Client::{accessor}`](crate::Client::{accessor})."));
            let method_doc = docs(&format!("The `{tag}` operations."));
            let (accessor, api) = (ident(&accessor), ident(&api(tag)));
            let methods = ops.iter().filter(|o| o.tag == tag).map(operation_method);
            quote! {
                #doc
                #[derive(Clone, Copy, Debug)]
                pub struct #api<'a> { client: &'a crate::Client }

                impl crate::Client {
                    #method_doc
                    pub fn #accessor(&self) -> #api<'_> { #api { client: self } }
                }

                impl #api<'_> { #(#methods)* }
            }
        })
        .collect()
}

/// The accessor's method that starts an operation's builder, as a path: `CreditsApi::get_credits`.
fn starter(op: &Op) -> String {
    format!("{}::{}", api(&op.tag), op.snake)
}

/// The accessor's method that starts an operation's builder.
fn operation_method(op: &Op) -> TokenStream {
    let doc = docs(&operation_doc(op));
    let (name, variant, builder) = (ident(&op.snake), ident(&op.variant), ident(&op.builder()));
    let fields = op.all_fields().map(|f| ident(&f.ident));
    // A per-call credential is the method's one argument, and goes with the call.
    let (param, bearer) = op.security().map_or_else(Default::default, |security| {
        let security = ident(&security);
        (quote!(, security: #security), quote!(.with_bearer(security.0)))
    });
    quote! {
        #doc
        pub fn #name(&self #param) -> #builder {
            #builder { call: crate::call::Call::new(self.client, Operation::#variant) #bearer #(, #fields: None)* }
        }
    }
}

fn operation_doc(op: &Op) -> String {
    let summary = op.summary.as_ref().map(|summary| format!(": {summary}.")).unwrap_or_default();
    let mut s = format!("`{} {}`{summary}", op.method, op.path);
    if let Some(d) = op.description.as_ref().filter(|d| Some(d.trim_end_matches('.')) != op.summary.as_deref()) {
        s.push_str(&format!("\n\n{d}"));
    }
    let credential = match op.credential {
        "ApiKey" => "the client's API key ([`ClientBuilder::api_key`](crate::ClientBuilder::api_key))",
        "ManagementKey" => {
            "the client's management key ([`ClientBuilder::management_key`](crate::ClientBuilder::management_key)), or its API key when it has none"
        }
        "PerCall" => "the bearer token passed here, for this call only; the client's keys are not sent",
        _ => "none",
    };
    let retries = if op.idempotent {
        "Idempotent: retried as the policy allows."
    } else {
        "Not idempotent: retried only where the server provably did not act on it (see `retry_non_idempotent`)."
    };
    s.push_str(&format!("\n\nCredential: {credential}. {retries}"));
    if op.deprecated {
        s.push_str("\n\n**Deprecated upstream.**");
    }
    s
}

/// An operation's request builder: its `…Security` type when the call brings its own bearer,
/// the setters, `send`/`send_with_meta` and `IntoFuture`.
pub(super) fn builder(op: &Op) -> TokenStream {
    let builder = ident(&op.builder());
    let security = op.security().map(|name| security_type(op, &name));
    let (method, route, start) = (&op.method, &op.path, starter(op));
    let doc = docs(&format!("A `{method} {route}` call, from [`{start}`]. Send it with `.send()` or `.await`."));
    let fields: Vec<&Field> = op.all_fields().collect();
    let names = fields.iter().map(|f| ident(&f.ident));
    let stored = fields.iter().map(|f| match &f.ty {
        // Parsed when given; the rule it broke waits for `send` to report it.
        Ty::Parsed(p) => {
            let p = path(p);
            quote!(Result<#p, &'static str>)
        }
        other => rust_ty(other),
    });
    let setters = fields.iter().map(|f| setter(f));
    let retry = (!op.idempotent).then(retry_non_idempotent);
    let output = op.response.as_ref().map_or_else(|| quote!(()), rust_ty);
    let send = send(op, &fields, &output);
    quote! {
        #security
        #doc
        #[derive(Debug)]
        #[must_use = "a request does nothing until it is sent or awaited"]
        pub struct #builder { call: crate::call::Call, #( #names: Option<#stored>, )* }

        impl #builder {
            #(#setters)*
            crate::call::call_options!();
            #retry
            #send
        }

        impl std::future::IntoFuture for #builder {
            type Output = Result<#output, crate::Error>;
            type IntoFuture = crate::call::BoxFuture<#output>;
            fn into_future(self) -> Self::IntoFuture { Box::pin(self.send()) }
        }
    }
}

/// The option only an operation that is not idempotent has.
fn retry_non_idempotent() -> TokenStream {
    let doc = docs(
        "Also retry where the server may already have acted on the request (408, 500, 502, 503 \
         without `Retry-After`, 504, a broken connection, a timeout). Off by default: a retry could \
         then act twice (for a charge: create two). Turn it on only if that is acceptable.",
    );
    quote! {
        #doc
        pub fn retry_non_idempotent(mut self, yes: bool) -> Self { self.call.retry_non_idempotent(yes); self }
    }
}

/// `send` and `send_with_meta`: the checks, then the path, the query and the body.
fn send(op: &Op, fields: &[&Field], output: &TokenStream) -> TokenStream {
    let send_doc = docs(
        "Checks the arguments, then sends the request, retrying as the policy allows. Nothing is \
         sent when a check fails ([`Error::InvalidInput`](crate::Error::InvalidInput) names the field and the rule).",
    );
    let meta_doc = docs("As [`send`](Self::send), with the response's status, headers and the number of attempts.");
    let names = fields.iter().map(|f| ident(&f.ident));
    let checks = fields.iter().map(|f| checks(f));
    let (segments, query, body) = (segments(op), query(op), body(op));
    let decode = if op.response.is_some() { quote!(json) } else { quote!(empty) };
    quote! {
        #send_doc
        pub async fn send(self) -> Result<#output, crate::Error> {
            self.send_with_meta().await.map(crate::Response::into_inner)
        }
        #meta_doc
        pub async fn send_with_meta(self) -> Result<crate::Response<#output>, crate::Error> {
            let Self { call, #(#names,)* } = self;
            #(#checks)*
            let segments: &[&str] = &[#(#segments),*];
            #query
            #body
            call.send(crate::call::Request { segments, query: &query, body }).await?.#decode()
        }
    }
}

fn security_type(op: &Op, name: &str) -> TokenStream {
    let doc = docs(&format!(
        "Security for [`{}`]({}): a bearer token sent with that one call only.\n\n\
         Its `Debug` never shows the token.",
        op.snake,
        starter(op)
    ));
    let name = ident(name);
    quote! {
        #doc
        #[derive(Clone, Debug)]
        pub struct #name(crate::auth::Bearer);

        impl #name {
            /// Uses `token` as `Authorization: Bearer <token>` on this one call.
            pub fn bearer(token: impl AsRef<str>) -> Self { Self(crate::auth::Bearer::new(token.as_ref())) }
        }
    }
}

fn setter(f: &Field) -> TokenStream {
    let summary = f.doc.clone().unwrap_or_else(|| format!("`{}`.", f.name));
    let presence = if f.required { "Required." } else { "Optional." };
    let rules = describe_rules(&f.rules).map(|rules| format!(" {rules}")).unwrap_or_default();
    let doc = docs(&format!("{summary}\n\n{presence}{rules}"));
    let name = ident(&f.ident);
    let arg = path(&f.ty.setter_arg(Ty::text));
    let store = match &f.ty {
        Ty::String => quote!(value.into()),
        // Text or the type itself (it is `AsRef<str>`), parsed here without allocating.
        Ty::Parsed(p) => {
            let p = path(p);
            quote!(<#p as crate::validate::Parsed>::parse_rule(value.as_ref()))
        }
        _ => quote!(value),
    };
    quote! {
        #doc
        pub fn #name(mut self, value: #arg) -> Self { self.#name = Some(#store); self }
    }
}

/// In `send_with_meta`: a required field present, a parsed one valid, the schema's rules kept.
fn checks(f: &Field) -> TokenStream {
    let (id, name) = (ident(&f.ident), &f.name);
    let parsed = matches!(f.ty, Ty::Parsed(_));
    if f.required {
        let parsed = parsed.then(|| quote!(let #id = crate::validate::parsed(#name, #id)?;));
        let rule = check_call(f, &quote!(#id), &quote!(&#id)).map(|check| quote!(#check;));
        quote!(let #id = crate::validate::required(#name, #id)?; #parsed #rule)
    } else {
        let parsed = parsed.then(|| quote!(let #id = #id.map(|v| crate::validate::parsed(#name, v)).transpose()?;));
        let rule =
            check_call(f, &quote!(*value), &quote!(value)).map(|check| quote!(if let Some(value) = &#id { #check; }));
        quote!(#parsed #rule)
    }
}

/// `Some(v)` or `None`, as tokens.
fn option(v: Option<impl ToTokens>) -> TokenStream {
    v.map_or_else(|| quote!(None), |v| quote!(Some(#v)))
}

/// A call into `crate::validate` for a field's rules, on the value (`place`, an expression of the
/// value's type) or a reference to it (`by_ref`), each written as it reads best at the call site
/// (`amount`, not `*&amount`); `None` when nothing is checked.
fn check_call(f: &Field, place: &TokenStream, by_ref: &TokenStream) -> Option<TokenStream> {
    let (r, name) = (&f.rules, &f.name);
    let float = |v: Option<f64>| option(v.map(Literal::f64_unsuffixed));
    let count = |v: Option<u64>| option(v.map(Literal::u64_unsuffixed));
    match &f.ty {
        Ty::Number(rust) => {
            let (min, max) = (float(r.minimum), float(r.maximum));
            let (exclusive_min, exclusive_max) = (r.exclusive_minimum, r.exclusive_maximum);
            // Bounds are checked as f64 (an integer bound beyond 2^53 is not a real case).
            let value = if rust == "f64" { place.clone() } else { quote!(#place as f64) };
            Some(quote! {
                crate::validate::number(#name, #value, &crate::validate::NumberRule {
                    minimum: #min, maximum: #max, exclusive_minimum: #exclusive_min, exclusive_maximum: #exclusive_max
                })?
            })
        }
        Ty::String => {
            let (min, max) = (count(r.min_length), count(r.max_length));
            let (format, one_of) = (option(r.format.as_ref()), &r.one_of);
            Some(quote! {
                crate::validate::string(#name, #by_ref, &crate::validate::StringRule {
                    min_length: #min, max_length: #max, format: #format, one_of: &[#(#one_of),*]
                })?
            })
        }
        _ => None,
    }
}

/// The path's segments, parameters as values (the runtime percent-encodes each one).
fn segments(op: &Op) -> Vec<TokenStream> {
    op.path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(param) => {
                let f = op.params.iter().find(|f| f.name == param && f.location == In::Path);
                let id = ident(&f.map_or_else(|| snake(param), |f| f.ident.clone()));
                quote!(&#id.to_string())
            }
            None => quote!(#segment),
        })
        .collect()
}

/// The query pairs, by wire name; an array is one pair per item, or one pair of joined items.
fn query(op: &Op) -> TokenStream {
    let fields: Vec<&Field> = op.params.iter().filter(|f| f.location == In::Query).collect();
    if fields.is_empty() {
        return quote!(let query: Vec<(&'static str, String)> = Vec::new(););
    }
    let pushes = fields.iter().map(|f| {
        let (id, name) = (ident(&f.ident), &f.name);
        let push = match &f.ty {
            Ty::Vec(_) => match f.separator {
                None => quote!(for item in v { query.push((#name, item.to_string())); }),
                Some(sep) => quote! {
                    query.push((#name, v.iter().map(ToString::to_string).collect::<Vec<_>>().join(#sep)));
                },
            },
            _ => quote!(query.push((#name, v.to_string()));),
        };
        if f.required { quote!({ let v = &#id; #push }) } else { quote!(if let Some(v) = &#id { #push }) }
    });
    quote! {
        let mut query: Vec<(&'static str, String)> = Vec::new();
        #(#pushes)*
    }
}

/// The JSON body: the fields in spec order, as the official SDKs send them (typify would sort
/// them by name), each under its wire name.
fn body(op: &Op) -> TokenStream {
    let Some(fields) = &op.body else { return quote!(let body = None;) };
    let declarations = fields.iter().map(|f| {
        let (id, name, ty) = (ident(&f.ident), &f.name, rust_ty(&f.ty));
        if f.required {
            quote!(#[serde(rename = #name)] #id: &'a #ty,)
        } else {
            quote!(#[serde(skip_serializing_if = "Option::is_none")] #[serde(rename = #name)] #id: Option<&'a #ty>,)
        }
    });
    let values = fields.iter().map(|f| {
        let id = ident(&f.ident);
        if f.required { quote!(#id: &#id) } else { quote!(#id: #id.as_ref()) }
    });
    quote! {
        #[derive(serde::Serialize)]
        struct Body<'a> { #(#declarations)* }
        let body = Some(crate::call::json_body(&Body { #(#values),* })?);
    }
}

/// The schema's rules in words, for the setter's doc; `None` when there are none.
fn describe_rules(r: &Rules) -> Option<String> {
    let bound = |value: Option<f64>, exclusive: bool, strict: &str, inclusive: &str| {
        value.map(|m| format!("{} {m}", if exclusive { strict } else { inclusive }))
    };
    let format = r.format.as_deref().map(|f| match f {
        "evm-address" => "an EVM address (`0x` and 40 hexadecimal digits)".to_owned(),
        other => format!("in the `{other}` format"),
    });
    let one_of = r.one_of.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ");
    let parts: Vec<String> = [
        bound(r.minimum, r.exclusive_minimum, "greater than", "at least"),
        bound(r.maximum, r.exclusive_maximum, "less than", "at most"),
        r.min_length.map(|n| format!("at least {n} characters")),
        r.max_length.map(|n| format!("at most {n} characters")),
        format,
        (!r.one_of.is_empty()).then(|| format!("one of {one_of}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!parts.is_empty()).then(|| format!("Must be {}.", parts.join(", ")))
}

/// For the tests and the fuzz target: decode a success body as the operation's type.
pub(super) fn decoders(ops: &[Op]) -> TokenStream {
    let arms = ops.iter().map(|op| {
        let variant = ident(&op.variant);
        let decode = match op.response.as_ref().map(rust_ty) {
            Some(ty) => quote!(json::<#ty>),
            None => quote!(empty),
        };
        quote!(Operation::#variant => success.#decode().map(drop),)
    });
    quote! {
        #[cfg(any(test, fuzzing))]
        /// Decodes a success body as `operation`'s response type, for the property tests and the fuzz target.
        pub(crate) fn decode_success(operation: Operation, success: crate::outcome::Success) -> Result<(), crate::Error> {
            match operation { #(#arms)* }
        }
    }
}
