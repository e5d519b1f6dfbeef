//! The two auth schemes: the client's API key (`GET /credits`) and the per-call bearer token
//! (`POST /credits/coinbase`). Both become `Authorization: Bearer …` headers marked sensitive,
//! and neither is ever printed: the types here redact themselves in `Debug`.
//!
//! progenitor ignores `securitySchemes` (oxidecomputer/progenitor#420), so this is where the
//! fragment's `apiKey` and `bearer` schemes are implemented.

use crate::Error;
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

/// Security for `create_coinbase_charge`: a bearer token that is sent with that one call only.
///
/// The client's API key is not sent on that call; this token is. Its `Debug` is redacted:
///
/// ```
/// use openrouter_credits::CreateCoinbaseChargeSecurity;
/// let security = CreateCoinbaseChargeSecurity::bearer("per-call-token");
/// assert!(!format!("{security:?}").contains("per-call-token"));
/// ```
#[derive(Clone)]
pub struct CreateCoinbaseChargeSecurity {
    pub(crate) bearer: SecretString,
}

impl CreateCoinbaseChargeSecurity {
    /// Uses `token` as `Authorization: Bearer <token>` on this one call.
    pub fn bearer(token: impl Into<String>) -> Self {
        Self { bearer: SecretString::from(token.into()) }
    }

    pub(crate) fn header(&self) -> Result<HeaderValue, Error> {
        bearer_header(&self.bearer, "bearer")
    }
}

impl fmt::Debug for CreateCoinbaseChargeSecurity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateCoinbaseChargeSecurity").field("bearer", &"[redacted]").finish()
    }
}

/// Removes `secret` from text that came from the server (an upstream message could echo it).
pub(crate) fn redact(text: &str, auth: Option<&HeaderValue>) -> String {
    let secret = auth.and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).filter(|s| s.len() >= 4);
    match secret {
        Some(s) if text.contains(s) => text.replace(s, "[redacted]"),
        _ => text.to_owned(),
    }
}
