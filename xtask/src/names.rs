//! Rust type names and the schema locations that choose them (`getCredits 200 /data`).

/// The canonical spelling of a schema location: `<root> <path>`, e.g. `getCredits 200`,
/// `getCredits 200 /data`, `ErrorResponse /error`, `listThings 200 /items[]`, `x 200 /tags{}`.
/// `getCredits 200/data` (no space) is accepted and means the same.
pub fn location(loc: &str) -> String {
    let cut = loc.find(['/', '[', '{']).unwrap_or(loc.len());
    let (root, rest) = loc.split_at(cut);
    let root = root.split_whitespace().collect::<Vec<_>>().join(" ");
    if rest.is_empty() { root } else { format!("{root} {}", rest.trim()) }
}

/// `getCurrentKey` -> `GetCurrentKey`: the words a derived type name is joined from, by the
/// pipeline's one naming rule (`build/naming.rs`).
pub use crate::operations::naming::pascal_words as pascal;
