//! https, as users run it: a local TLS server (certificates made here with rcgen: a test CA and
//! server certificates it signs) terminating TLS in front of the mock, so every mock feature is
//! there over https. Trusted through a custom root (`add_root_certificate`, or the user's own
//! `reqwest::Client`), untrusted, for another host name, and https to a port that speaks plain
//! HTTP. Runs with each TLS backend: `cargo test --features mock --test tls` (rustls) and
//! `cargo test --no-default-features --features mock,native-tls --test tls` (OpenSSL).
#![cfg(tls)]

mod common;
use common::*;
use openrouter_credits::mock::{MockResponse, MockServer};
use openrouter_credits::{Client, ClientBuilder, Error, Operation, RetryConfig, TransportKind};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::{self, ServerConfig};

/// A certificate authority made for one test.
struct TestCa(CertifiedIssuer<'static, KeyPair>);

impl TestCa {
    fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, "openrouter-credits test CA");
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        Self(CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap())
    }

    /// The CA certificate, for a client to trust.
    fn root(&self) -> reqwest::Certificate {
        reqwest::Certificate::from_der(self.0.der()).unwrap()
    }

    /// A server certificate for `names` (DNS names or IP addresses), signed by this CA.
    fn issue(&self, names: &[&str]) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
        self.issue_with(names, |_| {})
    }

    /// The same, with `adjust` applied to the certificate's parameters first.
    fn issue_with(
        &self,
        names: &[&str],
        adjust: impl FnOnce(&mut CertificateParams),
    ) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
        adjust(&mut params);
        params.distinguished_name.push(DnType::CommonName, names[0]);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let cert = params.signed_by(&key, &self.0).unwrap();
        (cert.der().clone(), PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())))
    }
}

/// A TLS front for a mock: accepts TLS on `127.0.0.1:<port>` with one certificate and passes the
/// plain bytes to the mock. Counts TCP connections and completed handshakes.
struct TlsServer {
    mock: MockServer,
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    handshakes: Arc<AtomicUsize>,
    accept: tokio::task::AbortHandle,
}

impl TlsServer {
    async fn start(cert: (CertificateDer<'static>, PrivateKeyDer<'static>)) -> Self {
        let mock = server().await;
        // The provider is named, not taken from the process default, so the server works the
        // same whatever the client side (rustls or native-tls) installed.
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.0], cert.1)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let backend = mock.addr();
        let (connections, handshakes) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (c, h) = (connections.clone(), handshakes.clone());
        let accept = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                c.fetch_add(1, Ordering::SeqCst);
                let (acceptor, h) = (acceptor.clone(), h.clone());
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                    h.fetch_add(1, Ordering::SeqCst);
                    let Ok(mut plain) = tokio::net::TcpStream::connect(backend).await else { return };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                });
            }
        })
        .abort_handle();
        Self { mock, addr, connections, handshakes, accept }
    }

    /// `https://<host>:<port>/api/v1`.
    fn url(&self, host: &str) -> String {
        format!("https://{host}:{}/api/v1", self.addr.port())
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    fn handshakes(&self) -> usize {
        self.handshakes.load(Ordering::SeqCst)
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

fn https_builder(url: &str) -> ClientBuilder {
    Client::builder().api_key(KEY).api_key_is_management_key(true).base_url(url).retries(RetryConfig::none())
}

/// Both operations over https; the mock behind the TLS front saw them, key included.
async fn both_operations_succeed(client: &Client, server: &TlsServer) {
    let credits = client.credits().get_credits().await.unwrap();
    assert_eq!(credits.data.total_credits, 100.5);
    charge(client).await.unwrap();
    let seen = server.mock.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].bearer(), Some(KEY));
    assert_eq!(seen[1].bearer(), Some(BEARER));
}

#[tokio::test]
async fn https_with_add_root_certificate_reaches_the_server_by_name_and_by_address() {
    let ca = TestCa::new();
    for host in ["localhost", "127.0.0.1"] {
        let server = TlsServer::start(ca.issue(&["localhost", "127.0.0.1"])).await;
        let client = https_builder(&server.url(host)).add_root_certificate(ca.root()).build().unwrap();
        both_operations_succeed(&client, &server).await;
        // One TLS connection, pooled, for both calls.
        assert_eq!(server.connections(), 1, "{host}");
    }
    // With fresh connections for the charge: get_credits pooled, the charge on its own.
    let server = TlsServer::start(ca.issue(&["localhost"])).await;
    let client = https_builder(&server.url("localhost"))
        .add_root_certificate(ca.root())
        .fresh_connections_for_non_idempotent(true)
        .build()
        .unwrap();
    both_operations_succeed(&client, &server).await;
    assert_eq!((server.connections(), server.handshakes()), (2, 2));
}

/// A user's own client builder. With only `rustls-ring`, reqwest has no crypto provider of its
/// own, and a client built before the crate's first `build()` needs one installed, as the
/// feature's docs say.
fn users_client() -> reqwest::ClientBuilder {
    #[cfg(all(feature = "rustls-ring", not(feature = "rustls")))]
    let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy()
}

#[tokio::test]
async fn https_with_a_users_http_client_and_its_custom_root_reaches_the_server() {
    let ca = TestCa::new();
    let server = TlsServer::start(ca.issue(&["localhost"])).await;
    let own =
        users_client().add_root_certificate(ca.root()).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let client = https_builder(&server.url("localhost")).http_client(own).build().unwrap();
    both_operations_succeed(&client, &server).await;
}

/// What the crate still enforces on a user's client over https: its per-attempt timeout and
/// its response size cap.
#[tokio::test]
async fn a_users_http_client_over_https_still_gets_the_timeout_and_the_size_cap() {
    let ca = TestCa::new();
    let server = TlsServer::start(ca.issue(&["localhost"])).await;
    let own = users_client().add_root_certificate(ca.root()).build().unwrap();
    let client = https_builder(&server.url("localhost"))
        .http_client(own)
        .timeout(Duration::from_millis(300))
        .max_response_bytes(1024)
        .build()
        .unwrap();
    server.mock.enqueue(Operation::GetCredits, MockResponse::status(200).delay(Duration::from_secs(30)));
    let started = std::time::Instant::now();
    let err = client.credits().get_credits().await.unwrap_err();
    assert!(matches!(err, Error::Timeout { attempts: 1, .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());

    server.mock.enqueue(Operation::GetCredits, MockResponse::status(200).body(vec![b' '; 4096]));
    let err = client.credits().get_credits().await.unwrap_err();
    assert!(matches!(err, Error::ResponseTooLarge { limit: 1024, .. }), "{err:?}");
}

/// A certificate from an authority the client does not trust fails the
/// handshake, once (the default policy does not retry what cannot heal), with the reason in the
/// message and nothing sent to the server.
#[tokio::test]
async fn an_untrusted_certificate_is_named_and_not_retried() {
    let server = TlsServer::start(TestCa::new().issue(&["localhost"])).await;
    // The default retry policy: a TLS failure must still be tried only once.
    let client = Client::builder()
        .api_key(KEY)
        .api_key_is_management_key(true)
        .base_url(server.url("localhost"))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let err = client.credits().get_credits().await.unwrap_err();
    let Error::Transport { source, connect: true, attempts: 1, .. } = &err else { panic!("{err:?}") };
    assert_eq!(source.kind(), TransportKind::Tls, "{err}");
    let text = err.to_string();
    assert!(text.contains(&format!("certificate not trusted for localhost:{}", server.addr.port())), "{text}");
    // The root cause, in the backend's words, at the end of the message.
    let root = source.root_cause().to_ascii_lowercase();
    assert!(root.contains("unknownissuer") || root.contains("unable to get local issuer"), "{root}");
    assert!(err.hint().unwrap().contains("add_root_certificate"));
    assert!(!err.may_have_acted());
    assert_eq!((server.connections(), server.handshakes()), (1, 0), "one handshake tried, none completed");
    assert!(server.mock.requests().is_empty());
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    // The charge too: one attempt.
    let err = charge(&client).await.unwrap_err();
    assert_eq!(err.attempts(), Some(1), "{err:?}");
    assert_eq!(server.connections(), 2);
}

/// A call to a server whose certificate the client's CA signed but that fails for another
/// reason: one attempt with the default policy, a `Tls` error whose message and hint name the
/// reason, no completed handshake, nothing reaching the server.
async fn refused_certificate(server: &TlsServer, ca: &TestCa, message: &str, hint: &str) {
    let client = Client::builder()
        .api_key(KEY)
        .api_key_is_management_key(true)
        .base_url(server.url("localhost"))
        .add_root_certificate(ca.root())
        .build()
        .unwrap();
    let err = client.credits().get_credits().await.unwrap_err();
    let Error::Transport { source, connect: true, attempts: 1, .. } = &err else { panic!("{err:?}") };
    assert_eq!(source.kind(), TransportKind::Tls, "{err}");
    assert!(err.to_string().contains(message), "{message}: {err}");
    assert!(err.hint().unwrap().contains(hint), "{hint}: {err:?}");
    assert_eq!((server.connections(), server.handshakes()), (1, 0));
    assert!(server.mock.requests().is_empty());
}

/// A trusted certificate for another host name.
#[tokio::test]
async fn a_certificate_for_another_host_is_named_and_not_retried() {
    let ca = TestCa::new();
    let server = TlsServer::start(ca.issue(&["other.example"])).await;
    refused_certificate(&server, &ca, "certificate not valid for this host name", "another host name").await;
}

/// A trusted certificate that expired: named as such, not retried.
#[tokio::test]
async fn an_expired_certificate_is_named_and_not_retried() {
    let ca = TestCa::new();
    let server = TlsServer::start(ca.issue_with(&["localhost"], |p| {
        p.not_before = rcgen::date_time_ymd(2020, 1, 1);
        p.not_after = rcgen::date_time_ymd(2021, 1, 1);
    }))
    .await;
    let expired = format!("certificate expired for localhost:{}", server.addr.port());
    refused_certificate(&server, &ca, &expired, "has expired").await;
}

/// https to a port that speaks plain HTTP (the mock) fails fast as a TLS error that
/// says so, instead of waiting for a timeout; tried once.
#[tokio::test]
async fn https_to_a_plain_http_port_fails_fast_as_a_tls_error() {
    let mock = server().await;
    let url = format!("https://localhost:{}/api/v1", mock.addr().port());
    let client = Client::builder().api_key(KEY).api_key_is_management_key(true).base_url(&url).build().unwrap();
    let started = std::time::Instant::now();
    let err = client.credits().get_credits().await.unwrap_err();
    let elapsed = started.elapsed();
    let Error::Transport { source, attempts: 1, .. } = &err else { panic!("{err:?}") };
    assert_eq!(source.kind(), TransportKind::Tls, "{err}");
    assert!(err.to_string().contains("the server does not speak TLS on this port"), "{err}");
    assert!(err.hint().unwrap().contains("scheme (http or https)"), "{err:?}");
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    assert!(mock.requests().is_empty(), "the ClientHello is not a request");
}

/// A server that does not answer the ClientHello at all (a plain HTTP server waiting
/// for a request line): the handshake cannot finish. Before, that was a bare `Timeout` ("timed
/// out (operation timed out)"), retried for the whole 60 s budget (6 attempts). Now the connect
/// timeout is followed by one TCP probe: the port accepts connections, so it is the handshake
/// that hung: a TLS error, said so, tried once. Paused clock: the 10 s connect timeout is free.
#[tokio::test(start_paused = true)]
async fn https_to_a_silent_plain_port_is_reported_as_a_tls_handshake_timeout() {
    let server = RawServer::start(|mut conn| async move {
        // Reads the ClientHello as if it were the start of a request line, and waits for more.
        let _ = conn.read_request().await;
    })
    .await;
    let url = format!("https://localhost:{}/api/v1", server.addr.port());
    let client = Client::builder().api_key(KEY).api_key_is_management_key(true).base_url(&url).build().unwrap();
    let started = tokio::time::Instant::now();
    let err = client.credits().get_credits().await.unwrap_err();
    let Error::Transport { source, connect: true, attempts: 1, .. } = &err else { panic!("{err:?}") };
    assert_eq!(source.kind(), TransportKind::Tls, "{err}");
    let text = err.to_string();
    assert!(text.contains(&format!("TLS handshake timed out for localhost:{}", server.addr.port())), "{text}");
    assert!(text.contains("does this port speak plain HTTP?"), "{text}");
    // The connect timeout, then the probe (which connects at once): not the 60 s budget.
    assert_eq!(started.elapsed(), openrouter_credits::DEFAULT_CONNECT_TIMEOUT, "{text}");
    // The probe's connection is accepted by the server's loop a moment later.
    for _ in 0..100 {
        if server.connections() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(server.connections(), 2, "the attempt and the probe");
}
