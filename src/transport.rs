//! One attempt: send the request and read the whole body, but never past the size cap, and
//! never past the attempt's deadline.
//!
//! Reading the body here, inside the per-attempt timeout, means a body that stalls half way is a
//! timeout of that attempt (and can be retried), and a 100 MB body is refused after the cap,
//! not read into memory by the JSON decoder.

use bytes::{Bytes, BytesMut};
use reqwest::header::HeaderMap;
use reqwest::{StatusCode, Url};
use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;
use tokio::time::error::Elapsed;

/// A response read to the end (within the cap).
#[derive(Debug)]
pub(crate) struct Buffered {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// How an attempt ended.
#[derive(Debug)]
pub(crate) enum Attempt {
    /// A full response (any status).
    Response(Buffered),
    /// The body would pass the cap; the connection is dropped unread.
    TooLarge(StatusCode),
    /// No response at all (refused, DNS, TLS, reset, timeout before the headers), classified
    /// once, here: the retry decision and the call's error read the same verdict.
    Failed(TransportError),
    /// The headers came, then the body broke off (reset, truncated, stalled past the timeout).
    /// The status is kept: a 200 whose body broke means the server acted.
    BodyFailed(StatusCode, HeaderMap, TransportError),
}

/// Sends `request` (to `url`, named in a timeout's error) and reads its response within
/// `timeout`.
///
/// The deadline is kept here, not handed to reqwest as the request's timeout: reqwest's costs
/// four allocations a call (the request's extension map, its entry, a boxed timer), this one
/// none, and one deadline covers the headers and the whole body alike.
pub(crate) async fn attempt(
    http: &reqwest::Client,
    request: reqwest::Request,
    url: &Url,
    limit: usize,
    timeout: Duration,
) -> Attempt {
    // A timeout too long to add to the clock (`Duration::MAX` for "none") is no deadline at all,
    // as it is for `tokio::time::timeout`; `+` would panic.
    let deadline = Instant::now().checked_add(timeout);
    let mut response = match within(deadline, http.execute(request)).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            let stalled_handshake = handshake_stalled(&e).await;
            return Attempt::Failed(classify(e, stalled_handshake));
        }
        Err(elapsed) => return Attempt::Failed(TransportError::elapsed(url, elapsed)),
    };
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Attempt::TooLarge(status);
    }
    match within(deadline, read_body(&mut response, limit)).await {
        Ok(Ok(Some(body))) => Attempt::Response(Buffered { status, headers, body }),
        Ok(Ok(None)) => Attempt::TooLarge(status),
        Ok(Err(e)) => Attempt::BodyFailed(status, headers, classify(e, false)),
        Err(elapsed) => Attempt::BodyFailed(status, headers, TransportError::elapsed(url, elapsed)),
    }
}

/// `future`, unless `deadline` passes first.
async fn within<F: Future>(deadline: Option<Instant>, future: F) -> Result<F::Output, Elapsed> {
    match deadline {
        Some(deadline) => tokio::time::timeout_at(deadline, future).await,
        None => Ok(future.await),
    }
}

/// The whole body, or `None` once it passes `limit`.
async fn read_body(response: &mut reqwest::Response, limit: usize) -> Result<Option<Bytes>, reqwest::Error> {
    // Most bodies arrive in one chunk: keep it as is and copy only when there are several.
    let mut first: Option<Bytes> = None;
    let mut rest = BytesMut::new();
    while let Some(chunk) = response.chunk().await? {
        let so_far = first.as_ref().map_or(0, Bytes::len) + rest.len();
        if so_far + chunk.len() > limit {
            return Ok(None);
        }
        match &first {
            None => first = Some(chunk),
            Some(f) => {
                if rest.is_empty() {
                    rest.extend_from_slice(f);
                }
                rest.extend_from_slice(&chunk);
            }
        }
    }
    Ok(Some(if rest.is_empty() { first.unwrap_or_default() } else { rest.freeze() }))
}

/// How long the diagnosis of a connect timeout may take (see [`handshake_stalled`]).
#[cfg(tls)]
const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// After connecting to an https URL timed out: whether a plain TCP connection to the same
/// host and port succeeds at once. reqwest's connect timeout covers DNS, TCP and the TLS
/// handshake alike and its error does not say which phase hung; a port that accepts TCP at once
/// tells that the handshake did (https to a plain-HTTP port whose server waits for a request
/// line, or a server that accepts and never answers). Without it that was a bare `Timeout`,
/// retried for the whole budget. Costs one connection, only after a connect timeout, and at
/// most [`PROBE_TIMEOUT`] (a host that does not answer at all stays a timeout).
#[cfg(tls)]
async fn handshake_stalled(e: &reqwest::Error) -> bool {
    if !(e.is_connect() && e.is_timeout()) {
        return false;
    }
    let Some(url) = e.url().filter(|u| u.scheme() == "https") else { return false };
    let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else { return false };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    matches!(tokio::time::timeout(PROBE_TIMEOUT, tokio::net::TcpStream::connect((host, port))).await, Ok(Ok(_)))
}

/// Without TLS there is no https, and no handshake to stall.
#[cfg(not(tls))]
async fn handshake_stalled(_: &reqwest::Error) -> bool {
    false
}

/// What kind of transport failure ended an attempt, read from the error's cause chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportKind {
    /// The host name did not resolve.
    Dns,
    /// Nothing listens at that address and port.
    Refused,
    /// No route to the host or its network (`EHOSTUNREACH`, `ENETUNREACH`).
    Unreachable,
    /// The TLS handshake failed: an untrusted, expired or mismatched certificate, a port that
    /// does not speak TLS, or a port that accepts connections but never answers the handshake.
    Tls,
    /// The connection was reset or closed mid-way.
    Reset,
    /// The server's answer was not HTTP this client can read (wrong version, garbage, broken
    /// chunked framing).
    Protocol,
    /// An attempt or connect timeout passed.
    Timeout,
    /// Anything else.
    Other,
}

impl TransportKind {
    /// Whether trying again can help: a refused or reset connection or a timeout can heal; a
    /// name that does not resolve, a certificate that is not trusted, or a server that does not
    /// speak HTTP will be the same next time.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            TransportKind::Refused
                | TransportKind::Unreachable
                | TransportKind::Reset
                | TransportKind::Timeout
                | TransportKind::Other
        )
    }

    /// The kind as a name, as the `error.type` field of the `tracing` spans and events shows
    /// it: `dns_failure`, `connection_refused`, `host_unreachable`, `tls_failure`,
    /// `connection_reset`, `protocol_error`, `timeout`, `connection_failed`. Stable: a new
    /// kind adds a name, and no name changes.
    pub fn as_str(self) -> &'static str {
        match self {
            TransportKind::Dns => "dns_failure",
            TransportKind::Refused => "connection_refused",
            TransportKind::Unreachable => "host_unreachable",
            TransportKind::Tls => "tls_failure",
            TransportKind::Reset => "connection_reset",
            TransportKind::Protocol => "protocol_error",
            TransportKind::Timeout => "timeout",
            TransportKind::Other => "connection_failed",
        }
    }

    /// The kind in a few words, for messages.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            TransportKind::Dns => "DNS lookup failed",
            TransportKind::Refused => "connection refused",
            TransportKind::Unreachable => "host unreachable",
            TransportKind::Tls => "TLS handshake failed",
            TransportKind::Reset => "connection reset",
            TransportKind::Protocol => "protocol error",
            TransportKind::Timeout => "timed out",
            TransportKind::Other => "connection failed",
        }
    }
}

/// A classified transport failure: its kind, whether the request was written, and the root
/// cause in words (`invalid peer certificate: UnknownIssuer`). The underlying error is its
/// [`source`](std::error::Error::source).
#[derive(Debug)]
pub struct TransportError {
    kind: TransportKind,
    written: bool,
    root: String,
    /// What was found out beyond the error (see [`handshake_stalled`]).
    stalled_handshake: bool,
    source: Cause,
}

/// The error underneath: reqwest's, or the attempt's own deadline.
#[derive(Debug)]
enum Cause {
    Http(reqwest::Error),
    /// The attempt's deadline passed; the URL is kept to name the host.
    Elapsed(Box<Url>, Elapsed),
}

impl TransportError {
    /// The attempt's deadline passed before the response was whole. Whether the request was
    /// written is unknown, so it counts as written: a charge is not resent.
    fn elapsed(url: &Url, elapsed: Elapsed) -> Self {
        Self {
            kind: TransportKind::Timeout,
            written: true,
            root: String::new(),
            stalled_handshake: false,
            source: Cause::Elapsed(Box::new(url.clone()), elapsed),
        }
    }

    fn url(&self) -> Option<&Url> {
        match &self.source {
            Cause::Http(e) => e.url(),
            Cause::Elapsed(url, _) => Some(url),
        }
    }
}

impl TransportError {
    /// What kind of failure it was.
    pub fn kind(&self) -> TransportKind {
        self.kind
    }

    /// False when the request provably never reached the server (connecting failed).
    pub fn request_written(&self) -> bool {
        self.written
    }

    /// The innermost cause, as its own error type words it.
    pub fn root_cause(&self) -> &str {
        &self.root
    }
}

impl std::fmt::Display for TransportError {
    /// `certificate not trusted for openrouter.ai:443 (invalid peer certificate: UnknownIssuer)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.explain().0)?;
        if let Some(url) = self.url() {
            let host = url.host_str().unwrap_or_default();
            match url.port_or_known_default() {
                Some(port) => write!(f, " for {host}:{port}")?,
                None => write!(f, " for {host}")?,
            }
        }
        if self.stalled_handshake {
            f.write_str(": the server accepts connections but never answered the TLS handshake; does this port speak plain HTTP?")?;
        }
        if !self.root.is_empty() {
            write!(f, " ({})", self.root)?;
        }
        Ok(())
    }
}

impl TransportError {
    /// The failure in a few words, as specific as the root cause allows, and what a person can
    /// do about it: one verdict, so the message and the hint cannot disagree.
    pub(crate) fn explain(&self) -> (&'static str, &'static str) {
        const NOT_TLS: &str =
            "the port does not seem to speak TLS: check the base URL's scheme (http or https) and port";
        let root = self.root.to_ascii_lowercase();
        let says = |words: &[&str]| words.iter().any(|w| root.contains(w));
        match self.kind {
            TransportKind::Tls if self.stalled_handshake => ("TLS handshake timed out", NOT_TLS),
            TransportKind::Tls
                if says(&["unknownissuer", "unable to get local issuer", "self-signed", "self signed"]) =>
            {
                (
                    "certificate not trusted",
                    "the server's certificate is not signed by a trusted authority; for a private one, see ClientBuilder::add_root_certificate",
                )
            }
            TransportKind::Tls if says(&["notvalidforname", "hostname mismatch", "not valid for"]) => (
                "certificate not valid for this host name",
                "the certificate is for another host name: check the host in the base URL",
            ),
            TransportKind::Tls if says(&["expired"]) => {
                ("certificate expired", "the server's certificate has expired (or this machine's clock is wrong)")
            }
            TransportKind::Tls if says(&["corrupt message", "wrong version number"]) => {
                ("the server does not speak TLS on this port", NOT_TLS)
            }
            TransportKind::Tls => (TransportKind::Tls.describe(), NOT_TLS),
            TransportKind::Dns => (TransportKind::Dns.describe(), "check the host name in the base URL"),
            TransportKind::Protocol => (
                TransportKind::Protocol.describe(),
                "the server did not answer in HTTP: check the base URL's scheme and port",
            ),
            kind => (kind.describe(), "check the network and the base URL"),
        }
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.source {
            Cause::Http(e) => Some(e),
            Cause::Elapsed(_, e) => Some(e),
        }
    }
}

/// Reads a reqwest error's cause chain. reqwest and hyper expose no stable kind for most of
/// these, so the chain's `io::ErrorKind`s come first and the causes' own words second.
/// `stalled_handshake`: connecting to an https URL timed out, yet the port accepts TCP at once
/// (see [`handshake_stalled`]), so the TLS handshake is what never finished.
fn classify(error: reqwest::Error, stalled_handshake: bool) -> TransportError {
    let (kind, root) = inspect(&error);
    let kind = if stalled_handshake { TransportKind::Tls } else { kind };
    TransportError { kind, written: !error.is_connect(), root, stalled_handshake, source: Cause::Http(error) }
}

/// What the causes' own words say, in order: the first kind with a word in a cause's lower-cased
/// text. (hyper's chunked decoder says "Invalid chunk size line: missing size digit", …)
const CAUSE_WORDS: [(TransportKind, &[&str]); 4] = [
    (TransportKind::Dns, &["dns error", "failed to lookup address"]),
    (TransportKind::Tls, &["certificate", "tls", "ssl", "handshake", "corrupt message"]),
    (TransportKind::Protocol, &["invalid http version", "invalid status", "http/0.9", "parse", "chunk"]),
    (TransportKind::Reset, &["connection closed before message completed", "reset"]),
];

fn inspect(e: &reqwest::Error) -> (TransportKind, String) {
    use std::error::Error as _;
    let mut kind = None;
    let mut root = String::new();
    let mut cause: Option<&(dyn std::error::Error + 'static)> = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        let lower = text.to_ascii_lowercase();
        let found = if let Some(io) = c.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => Some(TransportKind::Refused),
                std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted
                | std::io::ErrorKind::BrokenPipe
                | std::io::ErrorKind::UnexpectedEof => Some(TransportKind::Reset),
                std::io::ErrorKind::TimedOut => Some(TransportKind::Timeout),
                _ => None,
            }
        } else {
            None
        };
        let found = found.or_else(|| {
            CAUSE_WORDS.iter().find(|(_, words)| words.iter().any(|w| lower.contains(w))).map(|(kind, _)| *kind)
        });
        // The outermost specific kind wins (a TLS error wraps an io error); the root cause is
        // the innermost words, unless the cause around them already says them and more
        // (native-tls: "…certificate verify failed… (unable to get local issuer certificate)"
        // around OpenSSL's bare error stack).
        kind = kind.or(found);
        if root.is_empty() || !root.contains(&text) {
            root = text;
        }
        cause = c.source();
    }
    let kind = match kind {
        _ if e.is_timeout() => TransportKind::Timeout,
        Some(k) => k,
        None => TransportKind::Other,
    };
    (kind, root)
}
