//! JSON pointers (RFC 6901): the one spelling of a segment every module writes and reads.

/// Escapes one JSON-pointer segment (RFC 6901): the generator's own, which the build's
/// contract check writes its pointers with.
pub use crate::operations::contract::escape;

/// The segment an escaped one stands for (`~1` is `/`, `~0` is `~`).
pub fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// JSON pointer of an operation's path item.
pub fn path_pointer(path: &str) -> String {
    format!("/paths/{}", escape(path))
}
