//! `HTTP_PROXY` (and friends) must never see a call to a loopback base URL, whose
//! plain-http request carries the key in clear text. A test binary of its own, with a single
//! test: proxy variables are process-wide, and reqwest reads them when a client is built.

mod common;
use common::*;
use openrouter_credits::Client;

const PROXY_VARS: [&str; 6] = ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"];

#[tokio::test]
async fn loopback_calls_never_go_through_an_environment_proxy() {
    // A fake proxy on loopback: records what it is asked, then refuses.
    let proxy = RawServer::start(|mut conn| async move {
        if conn.read_request().await.is_some() {
            conn.write("HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await;
        }
    })
    .await;
    let proxy_url = format!("http://{}", proxy.addr);
    // SAFETY: the only test in this binary, and the variables are set before any client (or any
    // thread of ours that reads the environment) exists.
    unsafe {
        for var in PROXY_VARS {
            std::env::set_var(var, &proxy_url);
        }
        std::env::remove_var("NO_PROXY");
        std::env::remove_var("no_proxy");
    }

    let mock = server().await;
    let by_address = builder(&mock).build().unwrap();
    let by_name = Client::builder()
        .api_key(KEY)
        .api_key_is_management_key(true)
        .base_url(format!("http://localhost:{}/api/v1", mock.addr().port()))
        .retries(openrouter_credits::RetryConfig::none())
        .build()
        .unwrap();
    for client in [&by_address, &by_name] {
        client.credits().get_credits().await.unwrap();
        charge(client).await.unwrap();
    }
    assert_eq!(proxy.connections(), 0, "the proxy must see nothing");
    let seen = mock.requests();
    assert_eq!(seen.len(), 4, "every call reached the mock directly");
    assert!(seen.iter().all(|r| r.header("authorization").is_some()));

    // The proxy is real: a non-loopback https base URL goes through it, as a CONNECT tunnel (the
    // key travels inside TLS, never in the proxy's view). No network: the fake proxy refuses.
    #[cfg(tls)]
    {
        let remote = Client::builder()
            .api_key(KEY)
            .api_key_is_management_key(true)
            .base_url("https://api.example.invalid/api/v1")
            .retries(openrouter_credits::RetryConfig::none())
            .build()
            .unwrap();
        let err = remote.credits().get_credits().await.unwrap_err();
        let asked = proxy.requests();
        assert_eq!(asked.len(), 1, "{err}");
        assert!(asked[0].head.starts_with("CONNECT api.example.invalid:443 "), "{}", asked[0].head);
        assert!(!asked[0].head.contains(KEY), "the key never reaches the proxy");
        assert!(err.attempts() == Some(1), "{err:?}");
    }
}
