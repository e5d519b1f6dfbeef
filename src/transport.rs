//! One attempt: send the request and read the whole body, but never past the size cap.
//!
//! Reading the body here, inside the per-attempt timeout, means a body that stalls half way is a
//! timeout of that attempt (and can be retried), and a 100 MB body is refused after the cap,
//! not read into memory by the JSON decoder.

use crate::call::BufferedResponse;
use bytes::{Bytes, BytesMut};

/// How an attempt ended.
// Lives on the stack for one attempt; boxing the response would cost an allocation per call.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Attempt {
    /// A full response (any status).
    Response(BufferedResponse),
    /// The body would pass the cap; the connection is dropped unread.
    TooLarge(reqwest::StatusCode),
    /// No response, or the body broke off (timeout, reset, refused).
    Failed(reqwest::Error),
}

pub(crate) async fn attempt(http: &reqwest::Client, request: reqwest::Request, limit: usize) -> Attempt {
    let mut response = match http.execute(request).await {
        Ok(r) => r,
        Err(e) => return Attempt::Failed(e),
    };
    let status = response.status();
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Attempt::TooLarge(status);
    }
    let headers = std::mem::take(response.headers_mut());
    let version = response.version();
    let url = Some(response.url().clone());
    // Most bodies arrive in one chunk: keep it as is and copy only when there are several.
    let mut first: Option<Bytes> = None;
    let mut rest = BytesMut::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let so_far = first.as_ref().map_or(0, Bytes::len) + rest.len();
                if so_far + chunk.len() > limit {
                    return Attempt::TooLarge(status);
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
            Ok(None) => break,
            Err(e) => return Attempt::Failed(e),
        }
    }
    let body = if rest.is_empty() { first.unwrap_or_default() } else { rest.freeze() };
    Attempt::Response(BufferedResponse { status, version, url, headers, body })
}

/// Turns a buffered response back into the `reqwest::Response` the generated code decodes.
pub(crate) fn rebuild(buffered: BufferedResponse) -> reqwest::Response {
    use reqwest::ResponseBuilderExt;
    let mut builder = http::Response::builder().status(buffered.status).version(buffered.version);
    // Without its URL, reqwest parses a placeholder URL for every rebuilt response.
    if let Some(url) = buffered.url {
        builder = builder.url(url);
    }
    let mut response = match builder.body(buffered.body) {
        Ok(r) => r,
        // Unreachable with a typed status and version; fall back to a plain response anyway.
        Err(_) => http::Response::new(bytes::Bytes::new()),
    };
    *response.headers_mut() = buffered.headers;
    reqwest::Response::from(response)
}
