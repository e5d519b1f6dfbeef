//! Names: the one case conversion of the whole pipeline (the builders here, the generated types,
//! regen's derived type names), and doc attributes.
//!
//! The rule is typify's, because typify names the generated types and their fields and the
//! builders must agree with it: a character that cannot continue an identifier is a word break
//! (`x-request-id` → `x_request_id`, `a.b` → `a_b`, `@context` → `context`); heck splits the
//! words (`limitRemaining` → `limit_remaining`, `API Keys` → `ApiKeys`, `getCredits` →
//! `GetCredits`); a name that cannot start an identifier gets an `x` in front (`2fa_enabled` →
//! `x2fa_enabled`); a keyword, strict, reserved or `gen`, gets a `_` after (`type` → `type_`,
//! `self` → `self_`, `Self` → `Self_`), never `r#`, which `self`, `Self`, `super` and `crate`
//! cannot take. Letters beyond ASCII are kept (`größe`). The wire name is always kept beside
//! the Rust one (`serde(rename)`, the query name). Two wire names with one Rust name are
//! refused (`model.rs`; regen, with an overlay fix), never renamed by a guess.

use heck::{ToPascalCase, ToSnakeCase};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use unicode_ident::{is_xid_continue, is_xid_start};

/// A field, setter, accessor or method name: `getCurrentKey` → `get_current_key`.
pub fn snake(s: &str) -> String {
    sanitize(s, |w| w.to_snake_case())
}

/// A type or variant name: `chain_id` → `ChainId`, `API Keys` → `ApiKeys`.
pub fn pascal(s: &str) -> String {
    sanitize(s, |w| w.to_pascal_case())
}

/// Words to join into a longer type name (`GetCurrentKeyResponse` + `Data`), without the
/// fixes only a whole name needs (`self` → `Self`, not `Self_`).
pub fn pascal_words(s: &str) -> String {
    clean(s).to_pascal_case()
}

fn clean(s: &str) -> String {
    s.replace('\'', "").replace(|c: char| !is_xid_continue(c), "-")
}

fn sanitize(s: &str, case: impl Fn(&str) -> String) -> String {
    let out = match s {
        "+1" => "plus1".to_owned(),
        "-1" => "minus1".to_owned(),
        _ => case(&clean(s)),
    };
    let out = match out.chars().next() {
        None => case("x"),
        Some(c) if is_xid_start(c) => out,
        Some(_) => format!("{}{out}", case("x")),
    };
    if KEYWORDS.contains(&out.as_str()) { format!("{out}_") } else { out }
}

/// A name made here (valid by construction) as an identifier token.
pub fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// What typify refuses as an identifier (syn's list and `gen`).
const KEYWORDS: [&str; 53] = [
    "_", "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro",
    "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return", "Self", "self", "static", "struct",
    "super", "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use", "virtual", "where", "while",
    "yield",
];

/// Two wire names that are one Rust name (`limit_remaining` and `limitRemaining`): the first
/// pair, `(first, second, rust)`.
pub fn collision<'a>(
    names: impl IntoIterator<Item = &'a str>,
    rust: impl Fn(&str) -> String,
) -> Option<(String, String, String)> {
    let mut seen: Vec<(String, &str)> = Vec::new();
    for name in names {
        let r = rust(name);
        if let Some((_, first)) = seen.iter().find(|(s, _)| *s == r) {
            return Some(((*first).to_owned(), name.to_owned(), r));
        }
        seen.push((r, name));
    }
    None
}

/// Doc attributes, one per line. Upstream's site-relative links (`[Management key](/docs/…)`)
/// are made absolute, or rustdoc would point them at docs.rs.
pub fn docs(text: &str) -> TokenStream {
    let text = text.replace("](/", "](https://openrouter.ai/");
    let lines = text.lines().map(|l| format!(" {l}"));
    quote! { #( #[doc = #lines] )* }
}
