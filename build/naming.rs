//! Names: operation ids, tags and fields as Rust identifiers, and doc attributes.

use std::fmt::Write as _;

/// `getCredits` → `GetCredits`, `API Keys` → `ApiKeys`, `chain_id` → `ChainId`.
pub(super) fn pascal(s: &str) -> String {
    words(s)
        .iter()
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

/// `getCredits` → `get_credits`, `API Keys` → `api_keys`.
pub(super) fn snake(s: &str) -> String {
    words(s).join("_")
}

/// Lower-case words, split at separators, lower→upper steps and the end of an acronym.
fn words(s: &str) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1);
        let boundary = c.is_ascii_uppercase()
            && !cur.is_empty()
            && (prev.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit())
                || next.is_some_and(|n| n.is_ascii_lowercase()));
        if boundary {
            out.push(std::mem::take(&mut cur));
        }
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

pub(super) fn ident(name: &str) -> String {
    let s = snake(name);
    const KEYWORDS: [&str; 12] =
        ["type", "match", "ref", "mod", "use", "fn", "struct", "enum", "impl", "self", "move", "async"];
    if KEYWORDS.contains(&s.as_str()) { format!("r#{s}") } else { s }
}

/// A doc attribute; `{:?}` makes any text a valid string literal. Upstream's site-relative links
/// (`[Management key](/docs/…)`) are made absolute, or rustdoc would point them at docs.rs.
pub(super) fn doc_attr(out: &mut String, text: &str) {
    let text = text.replace("](/", "](https://openrouter.ai/");
    for line in text.lines() {
        let _ = writeln!(out, "#[doc = {:?}]", format!(" {line}"));
    }
}
