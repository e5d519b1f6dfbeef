//! Every redaction in one place: the credentials a call could leak are removed from anything
//! that came from the server before it reaches an error, a log line or a `Debug`.
//!
//! A server may echo the credential it was sent (or any key the client holds). Bodies are
//! redacted as bytes before they are parsed, cut or quoted, so no field and no excerpt can carry
//! it, whatever the encoding; parsed strings are redacted again, since a JSON escape
//! (`\u0073k-…`) spells the secret only once decoded.

use reqwest::header::{HeaderMap, HeaderValue};
use std::borrow::Cow;
use std::sync::Arc;

/// Secrets shorter than this are not searched for: they would redact ordinary words.
const MIN_SECRET: usize = 4;

const MARK: &[u8] = b"[redacted]";

/// The credentials one call knows: the one it sent and the client's keys. Cheap to make on
/// every call (a reference count and a header value): it is needed only when something from the
/// server goes into an error.
#[derive(Clone, Default)]
pub(crate) struct Secrets {
    /// The `Authorization` value the call sent; the token is what follows `Bearer `.
    sent: Option<HeaderValue>,
    /// The client's keys, shared by all its calls.
    held: Option<Arc<[HeaderValue]>>,
}

impl Secrets {
    pub(crate) fn new(sent: Option<HeaderValue>, held: Option<Arc<[HeaderValue]>>) -> Self {
        Self { sent, held }
    }

    fn tokens(&self) -> impl Iterator<Item = &[u8]> {
        self.sent
            .iter()
            .chain(self.held.iter().flat_map(|h| h.iter()))
            .map(|v| v.as_bytes().strip_prefix(b"Bearer ").unwrap_or(v.as_bytes()))
            .filter(|t| t.len() >= MIN_SECRET)
    }

    /// `body` with every secret replaced by `[redacted]`; borrowed when there is none in it.
    /// Works on bytes, so invalid UTF-8 cannot hide a secret.
    pub(crate) fn bytes<'a>(&self, body: &'a [u8]) -> Cow<'a, [u8]> {
        let mut out = Cow::Borrowed(body);
        for secret in self.tokens() {
            if let Some(replaced) = replace(&out, secret) {
                out = Cow::Owned(replaced);
            }
        }
        out
    }

    /// Every header value, [`bytes`](Self::bytes) each; names and order kept.
    pub(crate) fn headers(&self, headers: &HeaderMap) -> HeaderMap {
        let mut out = HeaderMap::with_capacity(headers.len());
        for (name, value) in headers {
            let clean = self.bytes(value.as_bytes());
            // A valid value with a secret replaced by visible ASCII is still valid; were it not,
            // the whole value goes.
            let value = HeaderValue::from_bytes(&clean).unwrap_or_else(|_| HeaderValue::from_static("[redacted]"));
            out.append(name, value);
        }
        out
    }

    /// [`bytes`](Self::bytes) for text.
    pub(crate) fn text(&self, text: &str) -> String {
        String::from_utf8_lossy(&self.bytes(text.as_bytes())).into_owned()
    }

    /// Every string of a parsed JSON value, keys included.
    pub(crate) fn json(&self, value: &mut serde_json::Value) {
        use serde_json::Value;
        match value {
            Value::String(s) => *s = self.text(s),
            Value::Array(items) => items.iter_mut().for_each(|item| self.json(item)),
            Value::Object(map) => {
                *map = std::mem::take(map)
                    .into_iter()
                    .map(|(k, mut v)| {
                        self.json(&mut v);
                        (self.text(&k), v)
                    })
                    .collect();
            }
            _ => {}
        }
    }
}

/// Text with every OpenRouter key in it (`sk-or-` and what follows it of `[A-Za-z0-9_-]`)
/// replaced by `[redacted]`: for server text that reaches an error when no call's secrets are
/// known (a response the program got elsewhere, handed to `Blocked::from_response`).
pub(crate) fn key_like(text: &str) -> Cow<'_, str> {
    const PREFIX: &str = "sk-or-";
    if !text.contains(PREFIX) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(PREFIX) {
        out.push_str(&rest[..i]);
        out.push_str("[redacted]");
        let tail = &rest[i + PREFIX.len()..];
        let end = tail.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-')).unwrap_or(tail.len());
        rest = &tail[end..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

fn replace(hay: &[u8], secret: &[u8]) -> Option<Vec<u8>> {
    let find = |h: &[u8]| h.windows(secret.len()).position(|w| w == secret);
    let mut i = find(hay)?;
    let (mut out, mut rest) = (Vec::with_capacity(hay.len()), hay);
    loop {
        out.extend_from_slice(&rest[..i]);
        out.extend_from_slice(MARK);
        rest = &rest[i + secret.len()..];
        match find(rest) {
            Some(next) => i = next,
            None => break,
        }
    }
    out.extend_from_slice(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(token: &'static str) -> Secrets {
        Secrets::new(Some(HeaderValue::from_str(&format!("Bearer {token}")).unwrap()), None)
    }

    #[test]
    fn every_occurrence_is_replaced_even_in_invalid_utf8() {
        let s = secrets("sk-secret");
        assert_eq!(&*s.bytes(b"\xffsk-secret and sk-secret\xfe"), b"\xff[redacted] and [redacted]\xfe");
        // Nothing to remove, or no secret at all: the input is borrowed as is.
        assert!(matches!(s.bytes(b"clean"), Cow::Borrowed(_)));
        assert!(matches!(Secrets::default().bytes(b"sk-secret"), Cow::Borrowed(_)));
        // Too short to search for.
        assert!(matches!(secrets("abc").bytes(b"abc"), Cow::Borrowed(_)));
    }

    #[test]
    fn every_key_the_client_holds_is_redacted() {
        let [a, b, c] = ["Bearer sk-sent-1", "Bearer sk-api-22", "Bearer sk-mgmt-333"].map(HeaderValue::from_static);
        let s = Secrets::new(Some(a), Some(Arc::from([b, c])));
        assert_eq!(s.text("sk-sent-1 sk-api-22 sk-mgmt-333"), "[redacted] [redacted] [redacted]");
    }

    #[test]
    fn header_values_are_redacted_and_every_header_kept() {
        let s = secrets("sk-secret");
        let mut headers = HeaderMap::new();
        headers.append("x-echo", HeaderValue::from_static("Bearer sk-secret; again sk-secret"));
        headers.append("x-echo", HeaderValue::from_static("second"));
        headers.append("retry-after", HeaderValue::from_static("3"));
        let clean = s.headers(&headers);
        let echo: Vec<_> = clean.get_all("x-echo").iter().map(|v| v.to_str().unwrap()).collect();
        assert_eq!(echo, ["Bearer [redacted]; again [redacted]", "second"]);
        assert_eq!(clean.get("retry-after").unwrap(), "3");
        assert_eq!(clean.len(), 3);
    }

    #[test]
    fn openrouter_keys_are_redacted_by_their_shape() {
        assert_eq!(key_like("key sk-or-v1-abc_9-Z, and sk-or-"), "key [redacted], and [redacted]");
        assert!(matches!(key_like("no key here: sk-ant"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_strings_and_keys_are_redacted() {
        let s = secrets("sk-secret");
        let mut v = serde_json::json!({"a": ["x sk-secret"], "sk-secret": {"b": "sk-secret"}, "n": 1});
        s.json(&mut v);
        assert!(!v.to_string().contains("sk-secret"), "{v}");
    }
}
