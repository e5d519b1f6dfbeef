//! Secrets as types: the client's keys and per-call bearer tokens become
//! `Authorization: Bearer …` header values marked sensitive, and nothing here prints them.
//!
//! progenitor ignores `securitySchemes` (oxidecomputer/progenitor#420); the generated operation
//! facts say which credential each operation sends ([`Credential`](crate::operation::Credential)),
//! and [`crate::call`] picks it from here.

use crate::error::Error;
use bytes::Bytes;
use reqwest::header::HeaderValue;
use std::fmt;

const PREFIX: &[u8] = b"Bearer ";

/// `Bearer <token>` as a sensitive header value, after checking the token can be one.
/// Error messages name the field, never the value.
pub(crate) fn bearer_header(token: &str, field: &'static str) -> Result<HeaderValue, Error> {
    header_value(token).map_err(|rule| Error::invalid_input(field, rule))
}

/// The header value, or the rule the token breaks.
fn header_value(token: &str) -> Result<HeaderValue, &'static str> {
    if token.is_empty() {
        return Err("must not be empty");
    }
    // RFC 6750 b64token characters are all visible ASCII; a space or control byte would split
    // or corrupt the header.
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("must be visible ASCII with no spaces");
    }
    // Exactly as long as it needs to be, so `Bytes` takes the vector as it is: one allocation,
    // and one copy of the secret, not three.
    let mut bytes = Vec::with_capacity(PREFIX.len() + token.len());
    bytes.extend_from_slice(PREFIX);
    bytes.extend_from_slice(token.as_bytes());
    let mut value =
        HeaderValue::from_maybe_shared(Bytes::from(bytes)).map_err(|_| "must be visible ASCII with no spaces")?;
    // hyper never indexes it in HPACK and `Debug` prints `Sensitive`.
    value.set_sensitive(true);
    Ok(value)
}

/// A bearer token given to one call (the generated `…Security` types wrap it), kept as the
/// header it becomes. A token that cannot be one keeps the rule it breaks: `send` reports it
/// and sends nothing.
///
/// ```
/// use openrouter_credits::CreateCoinbaseChargeSecurity;
/// let security = CreateCoinbaseChargeSecurity::bearer("per-call-token");
/// assert!(!format!("{security:?}").contains("per-call-token"));
/// ```
#[derive(Clone)]
pub(crate) struct Bearer(Result<HeaderValue, &'static str>);

impl Bearer {
    pub(crate) fn new(token: &str) -> Self {
        Self(header_value(token))
    }

    /// The `Authorization` value, taken out: the call that owns the token is the only user.
    pub(crate) fn into_header(self) -> Result<HeaderValue, Error> {
        self.0.map_err(|rule| Error::invalid_input("bearer", rule))
    }
}

impl fmt::Debug for Bearer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Bearer([redacted])")
    }
}
