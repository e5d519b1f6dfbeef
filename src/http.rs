//! The crate's own `reqwest::Client`s: what they are made of, and the settings every one has
//! (user agent, no redirects, idle connections closed before servers close them).

use reqwest::header::HeaderMap;
use reqwest::redirect;
use std::time::Duration;

/// How long an idle pooled connection is kept. Below the keep-alive of common servers and
/// proxies (60–75 s), so a connection the server is about to close is not picked for a request.
pub(crate) const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(20);

const USER_AGENT: &str = concat!("openrouter-credits/", env!("CARGO_PKG_VERSION"), " (rust)");

/// What the builder's own HTTP clients are made of.
pub(crate) struct HttpSettings {
    pub(crate) headers: HeaderMap,
    pub(crate) connect_timeout: Duration,
    pub(crate) loopback: bool,
    #[cfg(tls)]
    pub(crate) root_certificates: Vec<reqwest::Certificate>,
}

impl HttpSettings {
    /// A client with these settings, with a connection pool or without one.
    pub(crate) fn build(&self, pooled: bool) -> Result<reqwest::Client, reqwest::Error> {
        let mut builder = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .default_headers(self.headers.clone())
            .connect_timeout(self.connect_timeout)
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            // Never follow redirects: OpenRouter does not send them, following one would replay
            // a charge POST somewhere else, and the 3xx comes back as an error.
            .redirect(redirect::Policy::none())
            // HTTP/1.1 even when another crate in the graph turns on reqwest's `http2`: one
            // protocol, whose failures `transport.rs` classifies and `retry.rs` decides on.
            .http1_only()
            // The crate retries by its own policy (`retry.rs`), which knows which calls may be
            // resent. reqwest's default policy retries only HTTP/2 and HTTP/3 refusals, which an
            // HTTP/1 client never gets, yet it copies every request (headers, body, extensions)
            // in case it does. Zero retries makes it copy nothing.
            .retry(reqwest::retry::never().max_retries_per_request(0));
        if !pooled {
            builder = builder.pool_max_idle_per_host(0);
        }
        if self.loopback {
            // A proxy would see the key in clear text, and cannot reach our loopback anyway.
            builder = builder.no_proxy();
        }
        #[cfg(tls)]
        for certificate in &self.root_certificates {
            builder = builder.add_root_certificate(certificate.clone());
        }
        // `rustls-ring` without `rustls`: reqwest brings no crypto provider and takes the process
        // default, so install ring's unless the application installed one (then theirs is used).
        #[cfg(all(feature = "rustls-ring", not(feature = "rustls")))]
        let _ = rustls::crypto::ring::default_provider().install_default();
        builder.build()
    }
}
