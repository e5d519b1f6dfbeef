//! Helpers shared by the integration tests: a fake server and a client pointed at it.
#![allow(dead_code)]

use openrouter_credits::mock::MockServer;
use openrouter_credits::{
    ChainId, Client, ClientBuilder, CreateCoinbaseChargeBuilder, CreateCoinbaseChargeSecurity, Error, Operation,
    RetryConfig,
};
use std::time::Duration;

pub const KEY: &str = "sk-or-v1-test-key-0123456789";
pub const BEARER: &str = "per-call-token-abcdef";
pub const SENDER: &str = "0x1234567890123456789012345678901234567890";

pub async fn server() -> MockServer {
    MockServer::start().await.expect("bind 127.0.0.1:0")
}

/// A builder with the test key (standing for both keys: the mock takes any key as a management
/// key unless told otherwise), pointed at `server`, no retries unless a test asks.
pub fn builder(server: &MockServer) -> ClientBuilder {
    builder_for(&server.base_url()).retries(RetryConfig::none())
}

pub fn client(server: &MockServer) -> Client {
    builder(server).build().expect("client")
}

/// Retries `wait` apart every time (the wait is its own cap), without jitter, while they start
/// within `max_elapsed`.
pub fn steady(wait: Duration, max_elapsed: Duration) -> RetryConfig {
    RetryConfig::default()
        .initial_backoff(wait)
        .max_backoff(wait)
        .backoff_multiplier(1.0)
        .max_elapsed(max_elapsed)
        .jitter(false)
}

/// A builder with the test key pointed at `base_url` (a hand-written server's, or one nothing
/// answers), with the crate's default retry policy: the one users get.
pub fn builder_for(base_url: &str) -> ClientBuilder {
    Client::builder().api_key(KEY).api_key_is_management_key(true).base_url(base_url)
}

/// [`builder_for`], built.
pub fn default_client(base_url: &str) -> Client {
    builder_for(base_url).build().expect("client")
}

/// One call of `op` with the tests' values, its answer dropped: `get_credits`, or [`charge`].
pub async fn call(client: &Client, op: Operation) -> Result<(), Error> {
    match op {
        Operation::GetCredits => client.credits().get_credits().await.map(drop),
        _ => charge(client).await.map(drop),
    }
}

/// `op`'s success body, as upstream sends it.
pub fn ok_body(op: Operation) -> &'static str {
    if op == Operation::GetCredits { CREDITS_OK } else { CHARGE_OK }
}

/// Fails when `text` holds the test key or the per-call bearer.
pub fn assert_clean(text: &str) {
    assert!(!text.contains(KEY), "API key leaked: {text}");
    assert!(!text.contains(BEARER), "bearer leaked: {text}");
}

/// Header names of a recorded request, sorted.
pub fn header_names(req: &openrouter_credits::mock::RecordedRequest) -> Vec<String> {
    let mut names: Vec<String> = req.headers.keys().map(|k| k.as_str().to_owned()).collect();
    names.sort();
    names
}

/// The charge the tests make unless they need other values: 100 USD from `SENDER` on Ethereum,
/// with the per-call `BEARER`.
pub fn charge(client: &Client) -> CreateCoinbaseChargeBuilder {
    client
        .credits()
        .create_coinbase_charge(CreateCoinbaseChargeSecurity::bearer(BEARER))
        .amount(100.0)
        .sender(SENDER)
        .chain_id(ChainId::Ethereum)
}

/// A hand-written TCP server on `127.0.0.1:0`, for what the mock cannot do (a bad status line,
/// a truncated body, a close right after answering). Each connection runs `serve` on its own
/// task; requests read with [`RawConn::read_request`] are recorded with the (tokio) time they
/// came, so tests can assert on the count and the spacing of what went over the wire.
pub struct RawServer {
    pub addr: std::net::SocketAddr,
    log: std::sync::Arc<std::sync::Mutex<Vec<RawRequest>>>,
    connections: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    accept: tokio::task::AbortHandle,
}

/// A request as [`RawServer`] read it.
#[derive(Clone, Debug)]
pub struct RawRequest {
    /// The request line and headers, as text.
    pub head: String,
    pub body: Vec<u8>,
    /// When it was read (tokio's clock, so paused-clock tests see virtual time).
    pub at: tokio::time::Instant,
    /// Which connection (0, 1, …) it came on.
    pub connection: usize,
}

/// One accepted connection of a [`RawServer`].
pub struct RawConn {
    pub stream: tokio::net::TcpStream,
    /// Its number, counting from 0 in accept order.
    pub index: usize,
    log: std::sync::Arc<std::sync::Mutex<Vec<RawRequest>>>,
    buffered: Vec<u8>,
}

impl RawServer {
    pub async fn start<F, Fut>(serve: F) -> Self
    where
        F: Fn(RawConn) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (log2, connections2) = (log.clone(), connections.clone());
        let serve = std::sync::Arc::new(serve);
        let accept = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let index = connections2.fetch_add(1, Ordering::SeqCst);
                let conn = RawConn { stream, index, log: log2.clone(), buffered: Vec::new() };
                tokio::spawn(serve(conn));
            }
        })
        .abort_handle();
        Self { addr, log, connections, accept }
    }

    /// `http://127.0.0.1:<port>/api/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/api/v1", self.addr)
    }

    /// Every request read so far, in order.
    pub fn requests(&self) -> Vec<RawRequest> {
        self.log.lock().unwrap().clone()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl RawConn {
    /// Reads one request (head, then a `Content-Length` body) and records it; `None` when the
    /// peer closed first.
    pub async fn read_request(&mut self) -> Option<RawRequest> {
        use tokio::io::AsyncReadExt;
        let head_end = loop {
            if let Some(i) = self.buffered.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 4096];
            let n = self.stream.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
            self.buffered.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&self.buffered[..head_end]).into_owned();
        let length = head
            .lines()
            .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
            .unwrap_or(0usize);
        while self.buffered.len() < head_end + length {
            let mut chunk = [0u8; 4096];
            let n = self.stream.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
            self.buffered.extend_from_slice(&chunk[..n]);
        }
        let body = self.buffered[head_end..head_end + length].to_vec();
        self.buffered.drain(..head_end + length);
        let request = RawRequest { head, body, at: tokio::time::Instant::now(), connection: self.index };
        self.log.lock().unwrap().push(request.clone());
        Some(request)
    }

    /// Writes all of `bytes` (errors ignored: the client may be gone, which tests assert on
    /// their side).
    pub async fn write(&mut self, bytes: impl AsRef<[u8]>) {
        use tokio::io::AsyncWriteExt;
        let _ = self.stream.write_all(bytes.as_ref()).await;
        let _ = self.stream.flush().await;
    }

    /// Closes with a TCP reset rather than a FIN.
    pub fn reset(self) {
        let _ = self.stream.set_zero_linger();
        drop(self.stream);
    }
}

/// A whole HTTP/1.1 response with a JSON body and a `Content-Length`, plus `extra` header lines
/// (each ending in `\r\n`).
pub fn http_response(status: &str, extra: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{extra}\r\n{body}",
        body.len()
    )
}

/// `GET /credits`' success body.
pub const CREDITS_OK: &str = r#"{"data":{"total_credits":1.0,"total_usage":0.5}}"#;

/// A charge's success body, as upstream sends it (the mock's default answer).
pub const CHARGE_OK: &str = r#"{"data":{"id":"c1","created_at":"2025-01-01T00:00:00Z","expires_at":"2025-01-01T01:00:00Z","web3_data":{"transfer_intent":{"call_data":{"deadline":"2025-01-01T01:00:00Z","fee_amount":"1","id":"0x1","operator":"0x2222222222222222222222222222222222222222","prefix":"0x3","recipient":"0x4444444444444444444444444444444444444444","recipient_amount":"99","recipient_currency":"0x5555555555555555555555555555555555555555","refund_destination":"0x6666666666666666666666666666666666666666","signature":"0x7"},"metadata":{"chain_id":1,"contract_address":"0x8888888888888888888888888888888888888888","sender":"0x9999999999999999999999999999999999999999"}}}}}"#;

/// A port nothing listens on (bound, noted, closed): `http://127.0.0.1:<port>/api/v1`.
pub async fn refused_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}/api/v1")
}
