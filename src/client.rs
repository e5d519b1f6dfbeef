//! [`Client`] and [`ClientBuilder`]: configuration made once and shared by every call.

use crate::auth::bearer_header;
use crate::requests::{CreateCoinbaseChargeBuilder, GetCreditsBuilder};
use crate::{CreateCoinbaseChargeSecurity, Error, RetryConfig};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Url, redirect};
use secrecy::SecretString;
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// OpenRouter's API root.
pub const DEFAULT_BASE_URL: &str = "https://openrouter.ai/api/v1";
/// Per-attempt timeout unless set: connecting, sending and reading the whole response.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Connect timeout unless set.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest response body read unless set. Both responses are well under 4 KiB; a larger body
/// is refused as soon as it passes this, not buffered.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 1024 * 1024;

const USER_AGENT: &str = concat!("openrouter-credits/", env!("CARGO_PKG_VERSION"), " (rust)");

/// A client for the Credits API. Cheap to clone: clones share one connection pool.
///
/// ```no_run
/// # async fn demo() -> Result<(), openrouter_credits::Error> {
/// let client = openrouter_credits::Client::builder().api_key("sk-or-v1-…").build()?;
/// let credits = client.credits().get_credits().send().await?;
/// println!("{} of {} used", credits.data.total_usage, credits.data.total_credits);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) shared: Arc<Shared>,
}

pub(crate) struct Shared {
    pub(crate) http: reqwest::Client,
    /// Validated, without a trailing slash.
    pub(crate) base_url: String,
    /// `Bearer <api key>`, sensitive.
    pub(crate) api_key: Option<HeaderValue>,
    pub(crate) retries: RetryConfig,
    pub(crate) timeout: Option<Duration>,
    pub(crate) max_response_bytes: usize,
}

impl Client {
    /// Starts a [`ClientBuilder`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from the environment: `OPENROUTER_API_KEY` and, if set,
    /// `OPENROUTER_BASE_URL`. See [`ClientBuilder::from_env`].
    pub fn from_env() -> Result<Self, Error> {
        ClientBuilder::from_env().build()
    }

    /// The Credits operations.
    pub fn credits(&self) -> CreditsApi<'_> {
        CreditsApi { client: self }
    }

    /// The base URL calls go to (unless a call overrides it).
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.shared;
        f.debug_struct("Client")
            .field("base_url", &s.base_url)
            .field("api_key", &s.api_key.as_ref().map(|_| "[redacted]"))
            .field("retries", &s.retries)
            .field("timeout", &s.timeout)
            .field("max_response_bytes", &s.max_response_bytes)
            .finish()
    }
}

/// The Credits operations, from [`Client::credits`].
#[derive(Clone, Copy, Debug)]
pub struct CreditsApi<'a> {
    client: &'a Client,
}

impl CreditsApi<'_> {
    /// `GET /credits`: total credits bought and used. Needs the client's API key.
    pub fn get_credits(&self) -> GetCreditsBuilder {
        GetCreditsBuilder::new(self.client.clone())
    }

    /// `POST /credits/coinbase`: a Coinbase charge to buy credits with crypto, authorised by
    /// `security` for this call only (the client's API key is not sent).
    ///
    /// OpenRouter has since retired Coinbase charges: the live API answers 410, which comes
    /// back as [`Error::Gone`].
    pub fn create_coinbase_charge(&self, security: CreateCoinbaseChargeSecurity) -> CreateCoinbaseChargeBuilder {
        CreateCoinbaseChargeBuilder::new(self.client.clone(), security)
    }
}

/// Builds a [`Client`]. Every setting has a default; only the API key is usually needed.
#[derive(Default)]
pub struct ClientBuilder {
    api_key: Option<SecretString>,
    base_url: Option<String>,
    http_referer: Option<String>,
    app_title: Option<String>,
    retries: Option<RetryConfig>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    max_response_bytes: Option<usize>,
}

impl ClientBuilder {
    /// A builder with `OPENROUTER_API_KEY` and `OPENROUTER_BASE_URL` applied, when set and not
    /// empty. The environment is read here and nowhere else.
    pub fn from_env() -> Self {
        let var = |name| std::env::var(name).ok().filter(|v: &String| !v.trim().is_empty());
        let mut builder = Self::default();
        if let Some(key) = var("OPENROUTER_API_KEY") {
            builder = builder.api_key(key.trim());
        }
        if let Some(url) = var("OPENROUTER_BASE_URL") {
            builder = builder.base_url(url.trim());
        }
        builder
    }

    /// The API key, sent as `Authorization: Bearer <key>` on `get_credits` (never on the
    /// charge call). Optional: a client without one can still create charges.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(SecretString::from(key.into()));
        self
    }

    /// The API root; default [`DEFAULT_BASE_URL`]. Must be `https`, except for loopback hosts
    /// (`localhost`, `127.0.0.0/8`, `[::1]`), which may use plain `http` for tests.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Your app's URL, sent as `HTTP-Referer` for OpenRouter's app attribution.
    pub fn http_referer(mut self, url: impl Into<String>) -> Self {
        self.http_referer = Some(url.into());
        self
    }

    /// Your app's name, sent as `X-Title` for OpenRouter's app attribution.
    pub fn app_title(mut self, title: impl Into<String>) -> Self {
        self.app_title = Some(title.into());
        self
    }

    /// The retry policy for every call; default [`RetryConfig::default`]. A call may override it.
    pub fn retries(mut self, policy: RetryConfig) -> Self {
        self.retries = Some(policy);
        self
    }

    /// Per-attempt timeout (connect, send, and read the whole response); default
    /// [`DEFAULT_TIMEOUT`]. A call may override it.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Connect timeout; default [`DEFAULT_CONNECT_TIMEOUT`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Largest response body accepted; default [`DEFAULT_MAX_RESPONSE_BYTES`] (1 MiB).
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = Some(limit);
        self
    }

    /// Checks the settings and builds the client. Errors name the setting and the rule.
    pub fn build(self) -> Result<Client, Error> {
        let base_url = normalize_base_url(self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL))?;
        let api_key = self.api_key.as_ref().map(|k| bearer_header(k, "api_key")).transpose()?;
        let mut headers = HeaderMap::new();
        for (name, value, field) in
            [("http-referer", &self.http_referer, "http_referer"), ("x-title", &self.app_title, "app_title")]
        {
            if let Some(value) = value {
                let value = HeaderValue::try_from(value.as_str())
                    .map_err(|_| Error::invalid_input(field, "must be a valid header value (no line breaks)"))?;
                headers.insert(HeaderName::from_static(name), value);
            }
        }
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .default_headers(headers)
            .connect_timeout(self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT))
            // Never follow redirects: OpenRouter does not send them, following one would replay
            // a charge POST somewhere else, and the 3xx comes back as an error instead.
            .redirect(redirect::Policy::none())
            .build()
            .map_err(|e| Error::invalid_input("client", format!("the HTTP client could not be built: {e}")))?;
        Ok(Client {
            shared: Arc::new(Shared {
                http,
                base_url,
                api_key,
                retries: self.retries.unwrap_or_default(),
                timeout: Some(self.timeout.unwrap_or(DEFAULT_TIMEOUT)),
                max_response_bytes: self.max_response_bytes.unwrap_or(DEFAULT_MAX_RESPONSE_BYTES),
            }),
        })
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("base_url", &self.base_url)
            .field("http_referer", &self.http_referer)
            .field("app_title", &self.app_title)
            .field("retries", &self.retries)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish()
    }
}

/// Whether this build can speak https at all (see the crate's `rustls` / `native-tls` features).
const HAS_TLS: bool = cfg!(any(feature = "rustls", feature = "native-tls"));

/// Checks a base URL and drops its trailing slash. `https` only, except on loopback hosts.
pub(crate) fn normalize_base_url(raw: &str) -> Result<String, Error> {
    let rule = |r: &str| Error::invalid_input("base_url", r);
    let url = Url::parse(raw.trim()).map_err(|e| rule(&format!("must be an absolute URL ({e})")))?;
    match url.scheme() {
        "https" if !HAS_TLS => {
            return Err(rule(
                "is https, but this build has no TLS: enable the `rustls` (default) or `native-tls` feature",
            ));
        }
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => return Err(rule("must use https; plain http is allowed only for loopback hosts")),
        _ => return Err(rule("must be an https URL")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(rule("must not contain credentials; use ClientBuilder::api_key"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(rule("must not have a query or a fragment"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn is_loopback(url: &Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::normalize_base_url;

    #[test]
    fn base_urls() {
        if super::HAS_TLS {
            assert_eq!(normalize_base_url("https://openrouter.ai/api/v1/").unwrap(), "https://openrouter.ai/api/v1");
        }
        for ok in ["http://127.0.0.1:8080", "http://localhost:1/api", "http://[::1]:9", "http://127.9.9.9"] {
            assert!(normalize_base_url(ok).is_ok(), "{ok}");
        }
        for (bad, why) in [
            ("http://openrouter.ai/api/v1", "https"),
            ("http://10.0.0.1", "https"),
            ("ftp://openrouter.ai", "https"),
            ("openrouter.ai", "absolute"),
            ("http://user:pw@127.0.0.1", "credentials"),
            ("http://127.0.0.1/?x=1", "query"),
            ("http://localhost#top", "fragment"),
        ] {
            let e = normalize_base_url(bad).unwrap_err().to_string();
            assert!(e.contains("base_url") && e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn https_is_refused_up_front_by_a_build_without_tls() {
        let result = normalize_base_url(super::DEFAULT_BASE_URL);
        if super::HAS_TLS {
            assert!(result.is_ok());
        } else {
            let e = result.unwrap_err().to_string();
            assert!(e.contains("base_url") && e.contains("no TLS") && e.contains("rustls"), "{e}");
        }
    }
}
