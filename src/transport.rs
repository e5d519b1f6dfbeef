//! One attempt: send the request and read the whole body, but never past the size cap, and
//! never past the attempt's deadline.
//!
//! A failure is classified once, here, by the types in its cause chain (see [`inspect`]): the
//! retry decision, the error's message and its hint all read that one verdict.
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
            let stalled_handshake = handshake_stalled(&e, deadline).await;
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
async fn handshake_stalled(e: &reqwest::Error, deadline: Option<Instant>) -> bool {
    if !(e.is_connect() && e.is_timeout()) {
        return false;
    }
    let Some(url) = e.url().filter(|u| u.scheme() == "https") else { return false };
    let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else { return false };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    // Never past the attempt's deadline (`Client::spendable`'s, say): the probe gets what is left.
    let probe = deadline.map_or(PROBE_TIMEOUT, |at| PROBE_TIMEOUT.min(at.saturating_duration_since(Instant::now())));
    matches!(tokio::time::timeout(probe, tokio::net::TcpStream::connect((host, port))).await, Ok(Ok(_)))
}

/// Without TLS there is no https, and no handshake to stall.
#[cfg(not(tls))]
async fn handshake_stalled(_: &reqwest::Error, _: Option<Instant>) -> bool {
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
    /// Which TLS failure, when known (a `Tls` kind only).
    tls: Option<TlsFailure>,
    written: bool,
    root: String,
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
            tls: None,
            written: true,
            root: String::new(),
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
    /// `certificate not trusted for openrouter.ai:443 (invalid peer certificate: UnknownIssuer)`;
    /// `connection refused for 127.0.0.1:9 (os error 111)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.explain().0)?;
        if let Some(url) = self.url() {
            let host = url.host_str().unwrap_or_default();
            match url.port_or_known_default() {
                Some(port) => write!(f, " for {host}:{port}")?,
                None => write!(f, " for {host}")?,
            }
        }
        if self.tls == Some(TlsFailure::Stalled) {
            f.write_str(": the server accepts connections but never answered the TLS handshake; does this port speak plain HTTP?")?;
        }
        // The root cause, less the words the message opened with: `connection refused for
        // 127.0.0.1:9 (os error 111)`, not `… (Connection refused (os error 111))`. A root cause
        // that says more (a resolver's reason, a certificate's) is kept whole.
        let words = self.explain().0;
        let root = self.root.as_str();
        let rest = match root.get(..words.len()) {
            Some(head) if head.eq_ignore_ascii_case(words) => root[words.len()..].trim(),
            _ => root,
        };
        let rest = rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')).unwrap_or(rest);
        if !rest.is_empty() {
            write!(f, " ({rest})")?;
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
        const UNTRUSTED: (&str, &str) = (
            "certificate not trusted",
            "the server's certificate is not signed by a trusted authority; for a private one, see ClientBuilder::add_root_certificate",
        );
        const WRONG_NAME: (&str, &str) = (
            "certificate not valid for this host name",
            "the certificate is for another host name: check the host in the base URL",
        );
        const EXPIRED: (&str, &str) =
            ("certificate expired", "the server's certificate has expired (or this machine's clock is wrong)");
        // Without a type to read (native-tls), the root cause's words, as a last resort.
        let root = self.root.to_ascii_lowercase();
        let says = |words: &[&str]| words.iter().any(|w| root.contains(w));
        match (self.kind, self.tls) {
            (TransportKind::Tls, Some(TlsFailure::Stalled)) => ("TLS handshake timed out", NOT_TLS),
            (TransportKind::Tls, Some(TlsFailure::Untrusted)) => UNTRUSTED,
            (TransportKind::Tls, Some(TlsFailure::WrongName)) => WRONG_NAME,
            (TransportKind::Tls, Some(TlsFailure::Expired)) => EXPIRED,
            (TransportKind::Tls, Some(TlsFailure::NotTls)) => ("the server does not speak TLS on this port", NOT_TLS),
            (TransportKind::Tls, None) if says(&["unable to get local issuer", "self-signed", "self signed"]) => {
                UNTRUSTED
            }
            (TransportKind::Tls, None) if says(&["hostname mismatch", "not valid for"]) => WRONG_NAME,
            (TransportKind::Tls, None) if says(&["expired"]) => EXPIRED,
            (TransportKind::Tls, None) if says(&["wrong version number"]) => {
                ("the server does not speak TLS on this port", NOT_TLS)
            }
            (TransportKind::Tls, _) => (TransportKind::Tls.describe(), NOT_TLS),
            (TransportKind::Dns, _) => (TransportKind::Dns.describe(), "check the host name in the base URL"),
            (TransportKind::Protocol, _) => (
                TransportKind::Protocol.describe(),
                "the server did not answer in HTTP: check the base URL's scheme and port",
            ),
            (kind, _) => (kind.describe(), "check the network and the base URL"),
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

/// Reads a reqwest error's cause chain (see [`inspect`]).
/// `stalled_handshake`: connecting to an https URL timed out, yet the port accepts TCP at once
/// (see [`handshake_stalled`]), so the TLS handshake is what never finished.
fn classify(error: reqwest::Error, stalled_handshake: bool) -> TransportError {
    let Inspected { kind, tls, root } = inspect(&error);
    let (kind, tls) = if stalled_handshake { (TransportKind::Tls, Some(TlsFailure::Stalled)) } else { (kind, tls) };
    TransportError { kind, tls, written: !error.is_connect(), root, source: Cause::Http(error) }
}

/// What the cause chain says.
struct Inspected {
    kind: TransportKind,
    tls: Option<TlsFailure>,
    /// The innermost cause's words.
    root: String,
}

/// The kind of a failure, read from the *types* in the cause chain, outermost first:
/// reqwest's own `is_timeout`; `hyper::Error`'s predicates (`is_parse`: not HTTP;
/// `is_incomplete_message`, `is_closed`, `is_canceled`: the connection went away;
/// `is_timeout`); `rustls::Error` (with a rustls feature; its variant says which TLS failure);
/// `std::io::ErrorKind` (refused, unreachable, reset, timed out, and hyper's framing errors,
/// `InvalidData` / `InvalidInput`). An `io::Error`'s own `source()` skips the error it wraps, so
/// that one is read with `get_ref`.
///
/// Words are the last resort, for what has no public type: a DNS failure (hyper-util's
/// `ConnectError` is private; its text is `dns error`), and native-tls' errors (see
/// [`CAUSE_WORDS`]).
fn inspect(e: &reqwest::Error) -> Inspected {
    use std::error::Error as _;
    let mut kind = None;
    let mut tls = None;
    let mut root = String::new();
    let mut cause: Option<&(dyn std::error::Error + 'static)> = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        let (found, detail) = match typed(c) {
            Some(verdict) => verdict,
            None => (words(&text), None),
        };
        // The outermost specific kind wins (a TLS error wraps an io error).
        if kind.is_none() {
            kind = found;
            tls = detail;
        }
        // The root cause is the innermost words, unless the cause around them already says
        // them and more (native-tls: "…certificate verify failed… (unable to get local issuer
        // certificate)" around OpenSSL's bare error stack).
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
    let tls = tls.filter(|_| kind == TransportKind::Tls);
    Inspected { kind, tls, root }
}

/// What one cause's type says, if it is a type this crate knows.
fn typed(c: &(dyn std::error::Error + 'static)) -> Option<(Option<TransportKind>, Option<TlsFailure>)> {
    if let Some(h) = c.downcast_ref::<hyper::Error>() {
        let kind = if h.is_parse() {
            Some(TransportKind::Protocol)
        } else if h.is_incomplete_message() || h.is_closed() || h.is_canceled() || h.is_body_write_aborted() {
            Some(TransportKind::Reset)
        } else if h.is_timeout() {
            Some(TransportKind::Timeout)
        } else {
            // A body or connection error: what it wraps says more.
            None
        };
        return Some((kind, None));
    }
    #[cfg(any(feature = "rustls", feature = "rustls-ring"))]
    if let Some(r) = c.downcast_ref::<rustls::Error>() {
        return Some((Some(TransportKind::Tls), Some(TlsFailure::of(r))));
    }
    let io = c.downcast_ref::<std::io::Error>()?;
    if let Some(verdict @ (Some(_), _)) = io.get_ref().and_then(|inner| typed(inner)) {
        return Some(verdict);
    }
    use std::io::ErrorKind as K;
    let kind = match io.kind() {
        K::ConnectionRefused => TransportKind::Refused,
        K::HostUnreachable | K::NetworkUnreachable => TransportKind::Unreachable,
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => TransportKind::Reset,
        K::TimedOut => TransportKind::Timeout,
        // hyper's HTTP/1 decoder: bad chunked framing, a body longer or shorter than declared.
        K::InvalidData | K::InvalidInput => TransportKind::Protocol,
        _ => return None,
    };
    Some((Some(kind), None))
}

/// The last resort: words in a cause's text, for failures no public type names (see
/// [`inspect`]). The first kind with a word in the lower-cased text.
const CAUSE_WORDS: [(TransportKind, &[&str]); 2] = [
    (TransportKind::Dns, &["dns error", "failed to lookup address"]),
    // native-tls (OpenSSL, Security.framework, SChannel): no error type to read a cause from.
    (TransportKind::Tls, &["certificate", "tls", "ssl", "handshake"]),
];

fn words(text: &str) -> Option<TransportKind> {
    let lower = text.to_ascii_lowercase();
    CAUSE_WORDS.iter().find(|(_, words)| words.iter().any(|w| lower.contains(w))).map(|(kind, _)| *kind)
}

/// Which TLS failure, when the TLS stack says (rustls), or a probe found out (a stalled
/// handshake).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
// Without rustls only `Stalled` is ever found out (native-tls has no error type to read).
#[cfg_attr(not(any(feature = "rustls", feature = "rustls-ring")), allow(dead_code))]
enum TlsFailure {
    /// Not signed by a trusted authority.
    Untrusted,
    /// Valid, but for another host name.
    WrongName,
    /// Expired, or not valid yet.
    Expired,
    /// The server's answer was not TLS (a plain-HTTP port answering the ClientHello).
    NotTls,
    /// The port accepts TCP but never answered the handshake (see [`handshake_stalled`]).
    Stalled,
    /// Anything else the TLS stack refused.
    Other,
}

impl TlsFailure {
    #[cfg(any(feature = "rustls", feature = "rustls-ring"))]
    fn of(error: &rustls::Error) -> Self {
        use rustls::CertificateError as C;
        match error {
            rustls::Error::InvalidCertificate(c) => match c {
                C::UnknownIssuer | C::BadSignature => TlsFailure::Untrusted,
                C::NotValidForName | C::NotValidForNameContext { .. } => TlsFailure::WrongName,
                C::Expired | C::ExpiredContext { .. } | C::NotValidYet | C::NotValidYetContext { .. } => {
                    TlsFailure::Expired
                }
                _ => TlsFailure::Other,
            },
            rustls::Error::InvalidMessage(_) => TlsFailure::NotTls,
            _ => TlsFailure::Other,
        }
    }
}
