//! The loopback server every bench sends to: it answers every request with the body `body_for`
//! picks by method and path, after `delay` (the server's work), on its own thread and runtime,
//! so that the client's runtime measures only the client.

pub mod counting;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use std::time::Duration;

/// Starts the server; returns its base URL (`http://127.0.0.1:PORT/api/v1`).
pub fn start_server(delay: Duration, body_for: fn(&hyper::Method, &str) -> &'static [u8]) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("server runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            tx.send(format!("http://{}/api/v1", listener.local_addr().expect("addr"))).expect("send url");
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let _ = stream.set_nodelay(true);
                tokio::spawn(async move {
                    let service =
                        hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| async move {
                            let body = body_for(req.method(), req.uri().path());
                            let _ = req.into_body().collect().await;
                            if !delay.is_zero() {
                                tokio::time::sleep(delay).await;
                            }
                            let mut resp = hyper::Response::new(Full::new(Bytes::from_static(body)));
                            resp.headers_mut().insert("content-type", "application/json".parse().expect("ct"));
                            Ok::<_, std::convert::Infallible>(resp)
                        });
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
                });
            }
        });
    });
    rx.recv().expect("server url")
}
