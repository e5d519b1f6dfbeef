//! [`Client`] and [`ClientBuilder`]: configuration made once and shared by every call. The
//! accessors (`client.credits()`, `client.api_keys()`) are generated, one per tag of the spec.

use crate::auth::bearer_header;
use crate::base_url::{is_loopback, join, normalize_base_url};
use crate::budget::RetryBudget;
use crate::error::Error;
use crate::generated::Operation;
use crate::http::HttpSettings;
use crate::retry::RetryConfig;
use reqwest::Url;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// OpenRouter's API root.
pub const DEFAULT_BASE_URL: &str = "https://openrouter.ai/api/v1";
/// Per-attempt timeout unless set: connecting, sending and reading the whole response.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The whole call unless set: every attempt, every wait between them and the last attempt
/// included; nothing of a call runs past it. See [`ClientBuilder::total_timeout`].
pub const DEFAULT_TOTAL_TIMEOUT: Duration = Duration::from_secs(60);
/// Connect timeout unless set (TCP and TLS handshake).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest response body read unless set. Every response is well under 4 KiB; a larger body
/// is refused as soon as it passes this, not buffered.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 1024 * 1024;
/// A client for OpenRouter's Credits API. Cheap to clone: clones share one connection pool.
///
/// ```no_run
/// # async fn demo() -> Result<(), openrouter_credits::Error> {
/// let client = openrouter_credits::Client::builder().api_key("sk-or-v1-...").build()?;
/// let key = client.api_keys().get_current_key().send().await?;
/// println!("{:?} left of {:?}", key.data.limit_remaining, key.data.limit);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) shared: Arc<Shared>,
}

pub(crate) struct Shared {
    pub(crate) http: reqwest::Client,
    /// With [`ClientBuilder::fresh_connections_for_non_idempotent`]: the same settings without a
    /// connection pool, for operations that are not idempotent (the charge). Built on the first
    /// such call (building a client loads the TLS roots).
    unpooled: Option<(HttpSettings, OnceLock<reqwest::Client>)>,
    /// Validated and parsed once; calls append their path to a clone.
    pub(crate) base_url: Url,
    /// Each operation's URL, for operations with a fixed path: joined on the first call.
    operation_urls: Box<[OnceLock<Url>]>,
    /// As given, without a trailing slash, for [`Client::base_url`].
    base_url_text: String,
    /// Whether the base URL is a loopback host (the client then uses no proxy).
    loopback: bool,
    /// `Bearer <api key>`, sensitive.
    pub(crate) api_key: Option<HeaderValue>,
    /// `Bearer <management key>`, sensitive.
    pub(crate) management_key: Option<HeaderValue>,
    /// The caller said the API key is a management key
    /// ([`ClientBuilder::api_key_is_management_key`]): operations that need one may send it.
    pub(crate) api_key_is_management_key: bool,
    /// Both keys, for redaction: a server echoing either is redacted from every error.
    pub(crate) keys: Arc<[HeaderValue]>,
    pub(crate) retries: RetryConfig,
    /// Shared by every clone (and by other clients given the same budget).
    pub(crate) budget: RetryBudget,
    pub(crate) timeout: Duration,
    /// Every call's deadline, counted from its start ([`ClientBuilder::total_timeout`]).
    pub(crate) total_timeout: Duration,
    pub(crate) max_response_bytes: usize,
}

impl Client {
    /// Starts a [`ClientBuilder`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from the environment: `OPENROUTER_API_KEY`,
    /// `OPENROUTER_MANAGEMENT_KEY` and `OPENROUTER_BASE_URL`, each if set. See
    /// [`ClientBuilder::from_env`].
    pub fn from_env() -> Result<Self, Error> {
        ClientBuilder::from_env().build()
    }

    /// The base URL calls go to (unless a call overrides it).
    pub fn base_url(&self) -> &str {
        &self.shared.base_url_text
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.shared;
        f.debug_struct("Client")
            .field("base_url", &s.base_url_text)
            .field("api_key", &s.api_key.as_ref().map(|_| "[redacted]"))
            .field("management_key", &s.management_key.as_ref().map(|_| "[redacted]"))
            .field("retries", &s.retries)
            .field("retry_budget", &s.budget)
            .field("timeout", &s.timeout)
            .field("total_timeout", &s.total_timeout)
            .field("max_response_bytes", &s.max_response_bytes)
            .finish()
    }
}

impl Shared {
    /// The base URL joined with `segments`, the fixed path of `operation`, once per client.
    pub(crate) fn operation_url(&self, operation: Operation, segments: &[&str]) -> &Url {
        let slot = &self.operation_urls[operation as usize];
        slot.get_or_init(|| join(self.base_url.clone(), segments))
    }

    /// The HTTP client for an operation: with `fresh_connections_for_non_idempotent`, a fresh
    /// connection for one that is not idempotent; else the pooled one.
    pub(crate) fn http_for(&self, idempotent: bool) -> &reqwest::Client {
        match &self.unpooled {
            // The same settings built once already, so this does not fail in practice; if it
            // did, the pooled client still works.
            Some((settings, cell)) if !idempotent => {
                cell.get_or_init(|| settings.build(false).unwrap_or_else(|_| self.http.clone()))
            }
            _ => &self.http,
        }
    }

    /// Whether a call may go to `url` (a per-call base URL): a loopback URL only from a client
    /// whose own base URL is loopback, so that no proxy configured for the client sees it.
    pub(crate) fn allows(&self, url: &Url) -> bool {
        self.loopback || !is_loopback(url)
    }
}

/// Builds a [`Client`]. Every setting has a default; usually only a key is needed.
///
/// OpenRouter has two kinds of key. An **API key** calls models and `GET /key`. A **management
/// key** (openrouter.ai/settings/management-keys) manages the account: `GET /credits` answers
/// 403 to anything else, and it cannot call models. An app that shows a balance and makes
/// completions holds both; give this builder both, and each operation sends the one it needs.
#[derive(Default)]
pub struct ClientBuilder {
    api_key: Option<SecretString>,
    management_key: Option<SecretString>,
    api_key_is_management_key: bool,
    base_url: Option<String>,
    http_referer: Option<String>,
    app_title: Option<String>,
    app_categories: Option<String>,
    retries: Option<RetryConfig>,
    retry_budget: Option<RetryBudget>,
    timeout: Option<Duration>,
    total_timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    max_response_bytes: Option<usize>,
    http_client: Option<reqwest::Client>,
    fresh_connections_for_non_idempotent: bool,
    #[cfg(tls)]
    root_certificates: Vec<reqwest::Certificate>,
}

impl ClientBuilder {
    /// A builder with `OPENROUTER_API_KEY`, `OPENROUTER_MANAGEMENT_KEY` and
    /// `OPENROUTER_BASE_URL` applied, when set and not empty. The environment is read here and
    /// nowhere else.
    pub fn from_env() -> Self {
        let var = |name| std::env::var(name).ok().filter(|v: &String| !v.trim().is_empty());
        let mut builder = Self::default();
        if let Some(key) = var("OPENROUTER_API_KEY") {
            builder = builder.api_key(key.trim());
        }
        if let Some(key) = var("OPENROUTER_MANAGEMENT_KEY") {
            builder = builder.management_key(key.trim());
        }
        if let Some(url) = var("OPENROUTER_BASE_URL") {
            builder = builder.base_url(url.trim());
        }
        builder
    }

    /// The API key, sent as `Authorization: Bearer <key>` by the operations that use it
    /// (`get_current_key`). Never sent on a call that takes its own bearer token (the charge),
    /// nor on one that needs a management key (`get_credits`), unless you say it is one with
    /// [`api_key_is_management_key`](Self::api_key_is_management_key).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(SecretString::from(key.into()));
        self
    }

    /// The management key, sent by the operations that need one (`get_credits`). Without it
    /// those fail before sending anything ([`Error::InvalidInput`] naming `management_key`):
    /// OpenRouter answers `GET /credits` made with an ordinary key with 200 and zeros, which
    /// would read as an empty account.
    pub fn management_key(mut self, key: impl Into<String>) -> Self {
        self.management_key = Some(SecretString::from(key.into()));
        self
    }

    /// Says that the key given to [`api_key`](Self::api_key) is a management key, so the
    /// operations that need one send it when no [`management_key`](Self::management_key) is
    /// set; off by default. Only say so of a management key: an ordinary key's `GET /credits`
    /// answers zeros, not the balance.
    pub fn api_key_is_management_key(mut self, yes: bool) -> Self {
        self.api_key_is_management_key = yes;
        self
    }

    /// The API root; default [`DEFAULT_BASE_URL`]. Must be `https`, except for loopback hosts
    /// (`localhost`, `127.0.0.0/8`, `[::1]`), which may use plain `http` for tests and are then
    /// reached without any proxy (`HTTP_PROXY` would otherwise see the key in clear text).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Your app's URL, sent as `HTTP-Referer` for OpenRouter's app attribution.
    pub fn http_referer(mut self, url: impl Into<String>) -> Self {
        self.http_referer = Some(url.into());
        self
    }

    /// Your app's name, sent as `X-OpenRouter-Title` (and as `X-Title`, the older name
    /// OpenRouter still reads) for app attribution.
    pub fn app_title(mut self, title: impl Into<String>) -> Self {
        self.app_title = Some(title.into());
        self
    }

    /// Your app's categories, comma-separated (`cli-agent,programming-app`), sent as
    /// `X-OpenRouter-Categories` for app attribution.
    pub fn app_categories(mut self, categories: impl Into<String>) -> Self {
        self.app_categories = Some(categories.into());
        self
    }

    /// The retry policy for every call; default [`RetryConfig::default`]. A call may override it.
    pub fn retries(mut self, policy: RetryConfig) -> Self {
        self.retries = Some(policy);
        self
    }

    /// The retry budget all calls of this client (and its clones) draw on; default
    /// [`RetryBudget::default`]: retries at most 20 % of calls plus 10 a second, over 10 s.
    /// Give several builders clones of one budget to share it across clients;
    /// [`RetryBudget::unlimited`] turns it off.
    pub fn retry_budget(mut self, budget: RetryBudget) -> Self {
        self.retry_budget = Some(budget);
        self
    }

    /// Per-attempt timeout (connect, send, and read the whole response); default
    /// [`DEFAULT_TIMEOUT`]. A call may override it.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// A hard deadline for every call, counted from its start: attempts, the waits between them
    /// and the last attempt included. Nothing of a call runs past it: an attempt still running
    /// then is cut off and the call ends with [`Error::Timeout`] (whose `total_timeout` says
    /// so), and no retry is begun whose wait would end at or after it. Default
    /// [`DEFAULT_TOTAL_TIMEOUT`] (60 s); a call may override it with `.total_timeout(..)`.
    ///
    /// This is the bound a worker that must not block longer than N seconds sets. The retry
    /// policy's `max_elapsed` is another rule: no retry *starts* after it (the attempt it starts
    /// still gets its own timeout). `Duration::MAX` (or any deadline too far to represent) turns
    /// the deadline off; zero is refused by [`build`](Self::build).
    pub fn total_timeout(mut self, timeout: Duration) -> Self {
        self.total_timeout = Some(timeout);
        self
    }

    /// Connect timeout (TCP and TLS handshake); default [`DEFAULT_CONNECT_TIMEOUT`]. Ignored
    /// with [`http_client`](Self::http_client): set it on that client.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Largest response body accepted; default [`DEFAULT_MAX_RESPONSE_BYTES`] (1 MiB).
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = Some(limit);
        self
    }

    /// (With a TLS feature.) Trusts this certificate authority as well as the platform's (a corporate TLS proxy, a
    /// test server). Ignored with [`http_client`](Self::http_client): add it to that client.
    #[cfg(tls)]
    pub fn add_root_certificate(mut self, certificate: reqwest::Certificate) -> Self {
        self.root_certificates.push(certificate);
        self
    }

    /// Sends each call of an operation that is not idempotent (the charge) on a fresh
    /// connection, never a pooled one; off by default.
    ///
    /// A request written onto a pooled connection that the server closed a moment before is reset
    /// unread, and the client cannot tell it from one the server acted on, so it is not retried:
    /// the call fails with [`Error::Transport`](crate::Error::Transport) and `may_have_acted()`.
    /// Closing idle connections after 20 s, before common servers do, makes that rare with servers
    /// that keep connections alive; a server that closes each connection right after answering
    /// makes it frequent. A fresh connection rules it out, for a TCP and TLS handshake per call
    /// (measured in `BENCHMARKS.md`). Ignored with [`http_client`](Self::http_client).
    pub fn fresh_connections_for_non_idempotent(mut self, yes: bool) -> Self {
        self.fresh_connections_for_non_idempotent = yes;
        self
    }

    /// Sends every call through your own `reqwest::Client` (proxies, custom roots, connection
    /// limits), instead of one the builder makes.
    ///
    /// What the crate still does on your client: auth, the per-attempt timeout, the response
    /// size cap, retries (and their classification of failures) and redaction. What it cannot
    /// do there, and you should, because a built `reqwest::Client` cannot be changed:
    /// - turn redirects off (`redirect(reqwest::redirect::Policy::none())`): following one
    ///   replays a charge elsewhere;
    /// - set a connect timeout (`connect_timeout`), else only the per-attempt timeout bounds a
    ///   TLS handshake that never finishes;
    /// - keep loopback hosts off any proxy (`no_proxy()`): `HTTP_PROXY` would see the key;
    /// - keep idle connections below the server's keep-alive (`pool_idle_timeout`; the
    ///   builder's own client uses 20 s), so a connection the server is closing is not picked
    ///   for a charge;
    /// - leave its own `timeout` unset (or longer than the crate's): the crate keeps the
    ///   per-attempt deadline itself, so a shorter one of yours fires first, and is reported as
    ///   [`Error::Timeout`] with the crate's timeout in the message;
    /// - set the `User-Agent` and attribution headers as its default headers.
    ///
    /// Optional: `retry(reqwest::retry::never().max_retries_per_request(0))` stops reqwest
    /// copying every request for its own retries, which only ever resend HTTP/2 and HTTP/3
    /// refusals (the builder's own client does this, and speaks HTTP/1.1 only).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Checks the settings and builds the client. Errors name the setting and the rule.
    pub fn build(self) -> Result<Client, Error> {
        let (base_url_text, base_url) = normalize_base_url(self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL))?;
        let loopback = is_loopback(&base_url);
        let api_key = self.api_key.as_ref().map(|k| bearer_header(k.expose_secret(), "api_key")).transpose()?;
        let management_key =
            self.management_key.as_ref().map(|k| bearer_header(k.expose_secret(), "management_key")).transpose()?;
        let headers = self.default_headers()?;
        if let Some(policy) = &self.retries {
            policy.check()?;
        }
        let total_timeout = positive_total_timeout(self.total_timeout.unwrap_or(DEFAULT_TOTAL_TIMEOUT))?;
        let (http, unpooled) = match self.http_client {
            Some(client) => {
                if !headers.is_empty() {
                    return Err(Error::invalid_input(
                        "http_client",
                        "attribution headers (http_referer, app_title, app_categories) must be set as default headers on your own client",
                    ));
                }
                (client, None)
            }
            None => {
                let settings = HttpSettings {
                    headers,
                    connect_timeout: self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
                    loopback,
                    #[cfg(tls)]
                    root_certificates: self.root_certificates,
                };
                let http = settings
                    .build(true)
                    .map_err(|e| Error::invalid_input("client", format!("the HTTP client could not be built: {e}")))?;
                let unpooled = self.fresh_connections_for_non_idempotent.then(|| (settings, OnceLock::new()));
                (http, unpooled)
            }
        };
        Ok(Client {
            shared: Arc::new(Shared {
                http,
                unpooled,
                operation_urls: Operation::ALL.iter().map(|_| OnceLock::new()).collect(),
                base_url,
                base_url_text,
                loopback,
                keys: api_key.iter().chain(&management_key).cloned().collect(),
                api_key,
                management_key,
                api_key_is_management_key: self.api_key_is_management_key,
                retries: self.retries.unwrap_or_default(),
                budget: self.retry_budget.unwrap_or_default(),
                timeout: self.timeout.unwrap_or(DEFAULT_TIMEOUT),
                total_timeout,
                max_response_bytes: self.max_response_bytes.unwrap_or(DEFAULT_MAX_RESPONSE_BYTES),
            }),
        })
    }

    fn default_headers(&self) -> Result<HeaderMap, Error> {
        let mut headers = HeaderMap::new();
        let title = &self.app_title;
        for (name, value, field) in [
            ("http-referer", &self.http_referer, "http_referer"),
            ("x-openrouter-title", title, "app_title"),
            ("x-title", title, "app_title"),
            ("x-openrouter-categories", &self.app_categories, "app_categories"),
        ] {
            if let Some(value) = value {
                let value = HeaderValue::try_from(value.as_str())
                    .map_err(|_| Error::invalid_input(field, "must be a valid header value (no line breaks)"))?;
                headers.insert(HeaderName::from_static(name), value);
            }
        }
        Ok(headers)
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("management_key", &self.management_key.as_ref().map(|_| "[redacted]"))
            .field("api_key_is_management_key", &self.api_key_is_management_key)
            .field("base_url", &self.base_url)
            .field("http_referer", &self.http_referer)
            .field("app_title", &self.app_title)
            .field("app_categories", &self.app_categories)
            .field("retries", &self.retries)
            .field("retry_budget", &self.retry_budget)
            .field("timeout", &self.timeout)
            .field("total_timeout", &self.total_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("http_client", &self.http_client.is_some())
            .field("fresh_connections_for_non_idempotent", &self.fresh_connections_for_non_idempotent)
            .finish()
    }
}

/// A total timeout of zero would end every call before its first attempt: refused, not sent.
pub(crate) fn positive_total_timeout(timeout: Duration) -> Result<Duration, Error> {
    if timeout.is_zero() {
        return Err(Error::invalid_input("total_timeout", "must be greater than zero (Duration::MAX turns it off)"));
    }
    Ok(timeout)
}
