//! Secrets as types: the client's keys and per-call bearer tokens become
//! `Authorization: Bearer …` header values marked sensitive, and nothing here prints them.
//!
//! progenitor ignores `securitySchemes` (oxidecomputer/progenitor#420); the generated operation
//! facts say which credential each operation sends ([`Credential`](crate::operation::Credential)),
//! and [`crate::call`] picks it from here.

use crate::error::Error;
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use std::fmt;

/// `Bearer <secret>` as a sensitive header value, after checking the secret can be one.
/// Error messages name the field, never the value.
pub(crate) fn bearer_header(secret: &SecretString, field: &'static str) -> Result<HeaderValue, Error> {
    let token = secret.expose_secret();
    if token.is_empty() {
        return Err(Error::invalid_input(field, "must not be empty"));
    }
    // RFC 6750 b64token characters are all visible ASCII; a space or control byte would split
    // or corrupt the header.
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::invalid_input(field, "must be visible ASCII with no spaces"));
    }
    let mut value = HeaderValue::try_from(format!("Bearer {token}"))
        .map_err(|_| Error::invalid_input(field, "must be visible ASCII with no spaces"))?;
    // hyper never indexes it in HPACK and `Debug` prints `Sensitive`.
    value.set_sensitive(true);
    Ok(value)
}

/// A bearer token given to one call (the generated `…Security` types wrap it).
///
/// ```
/// use openrouter_credits::CreateCoinbaseChargeSecurity;
/// let security = CreateCoinbaseChargeSecurity::bearer("per-call-token");
/// assert!(!format!("{security:?}").contains("per-call-token"));
/// ```
#[derive(Clone)]
pub(crate) struct Bearer(SecretString);

impl Bearer {
    pub(crate) fn new(token: String) -> Self {
        Self(SecretString::from(token))
    }

    pub(crate) fn header(&self) -> Result<HeaderValue, Error> {
        bearer_header(&self.0, "bearer")
    }
}

impl fmt::Debug for Bearer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Bearer([redacted])")
    }
}
