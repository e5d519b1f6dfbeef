//! The two auth schemes: the client's API key (`GET /credits`) and the per-call bearer token
//! (`POST /credits/coinbase`). Both become `Authorization: Bearer …` headers marked sensitive,
//! and neither is ever printed: the types here redact themselves in `Debug`.
//!
//! progenitor ignores `securitySchemes` (oxidecomputer/progenitor#420), so this is where the
//! fragment's `apiKey` and `bearer` schemes are implemented.

use crate::Error;
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use std::borrow::Cow;
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

/// Removes the call's secret from bytes that came from the server (an upstream message could
/// echo it), before they are parsed, cut or shown, so no field of an error can carry it.
/// Borrows when there is nothing to remove; works on bytes, so invalid UTF-8 cannot hide it.
pub(crate) fn redact<'a>(body: &'a [u8], auth: Option<&HeaderValue>) -> Cow<'a, [u8]> {
    let secret = auth.and_then(|v| v.as_bytes().strip_prefix(b"Bearer ")).filter(|s| s.len() >= 4);
    let Some(secret) = secret else { return Cow::Borrowed(body) };
    let find = |hay: &[u8]| hay.windows(secret.len()).position(|w| w == secret);
    if find(body).is_none() {
        return Cow::Borrowed(body);
    }
    let (mut out, mut rest) = (Vec::with_capacity(body.len()), body);
    while let Some(i) = find(rest) {
        out.extend_from_slice(&rest[..i]);
        out.extend_from_slice(b"[redacted]");
        rest = &rest[i + secret.len()..];
    }
    out.extend_from_slice(rest);
    Cow::Owned(out)
}

/// [`redact`] for text.
pub(crate) fn redact_text(text: &str, auth: Option<&HeaderValue>) -> String {
    String::from_utf8_lossy(&redact(text.as_bytes(), auth)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_replaces_every_occurrence_even_in_invalid_utf8() {
        let auth = HeaderValue::from_static("Bearer sk-secret");
        let body = b"\xffsk-secret and sk-secret\xfe";
        assert_eq!(&*redact(body, Some(&auth)), b"\xff[redacted] and [redacted]\xfe");
        // Nothing to remove, or no secret at all: the input is borrowed as is.
        assert!(matches!(redact(b"clean", Some(&auth)), Cow::Borrowed(_)));
        assert!(matches!(redact(b"sk-secret", None), Cow::Borrowed(_)));
        // Secrets shorter than 4 bytes are not searched for: they would redact ordinary words.
        assert!(matches!(redact(b"abc", Some(&HeaderValue::from_static("Bearer abc"))), Cow::Borrowed(_)));
    }
}
