//! Scripted responses: a status, headers, a body, and optionally a fault (a dropped connection,
//! a body that stalls or breaks, an oversized body).

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::Response;
use hyper::StatusCode;
use hyper::header::{CONTENT_LENGTH, HeaderName, HeaderValue};
use serde_json::{Value, json};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// A scripted response: a status, headers, a body, and optionally a fault.
#[derive(Clone, Debug)]
pub struct MockResponse {
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
    delay: Option<Duration>,
    fault: Option<Fault>,
}

#[derive(Clone, Copy, Debug)]
enum Fault {
    /// Close the connection without answering.
    Drop,
    /// Send the headers and this many body bytes, then nothing more.
    StallAfter(usize),
    /// Send the headers and this many body bytes, then break the connection.
    ResetAfter(usize),
    /// A body of this many bytes, generated as it is sent; with or without Content-Length.
    Large { len: u64, declare_length: bool },
}

impl MockResponse {
    /// An empty response with this status (an invalid status becomes 500).
    pub fn status(status: u16) -> Self {
        Self {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            headers: Vec::new(),
            body: Bytes::new(),
            delay: None,
            fault: None,
        }
    }

    /// A JSON response.
    pub fn json(status: u16, body: &Value) -> Self {
        Self::status(status).content_type("application/json").body(body.to_string())
    }

    /// Upstream's error shape: `{"error":{"code":status,"message":…}}`.
    pub fn error(status: u16, message: &str) -> Self {
        Self::json(status, &json!({ "error": { "code": status, "message": message } }))
    }

    /// Replaces the body, as raw bytes (the content type is left as it is).
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Adds a header (an invalid name or value is skipped).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let (Ok(n), Ok(v)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            self.headers.push((n, v));
        }
        self
    }

    /// Sets `Content-Type`.
    pub fn content_type(self, value: &str) -> Self {
        self.header("content-type", value)
    }

    /// Sets `Retry-After` (seconds, an HTTP date, or anything else to test parsing).
    pub fn retry_after(self, value: &str) -> Self {
        self.header("retry-after", value)
    }

    /// Waits this long before sending anything (uses tokio's clock, so paused-clock tests
    /// run it instantly).
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    /// Closes the connection without sending a response.
    pub fn drop_connection() -> Self {
        Self { fault: Some(Fault::Drop), ..Self::status(500) }
    }

    /// Sends the headers (with the full Content-Length) and the first `bytes` of the body,
    /// then stalls forever.
    pub fn stall_body_after(mut self, bytes: usize) -> Self {
        self.fault = Some(Fault::StallAfter(bytes));
        self
    }

    /// Sends the headers and the first `bytes` of the body, then breaks the connection.
    pub fn reset_body_after(mut self, bytes: usize) -> Self {
        self.fault = Some(Fault::ResetAfter(bytes));
        self
    }

    /// A 200 whose body is `len` bytes of JSON-looking filler, generated as it is sent;
    /// with `Content-Length` when `declare_length`, chunked otherwise.
    pub fn large_body(len: u64, declare_length: bool) -> Self {
        Self { fault: Some(Fault::Large { len, declare_length }), ..Self::status(200).content_type("application/json") }
    }

    pub(crate) async fn into_response(self) -> Result<Response<MockBody>, std::io::Error> {
        if let Some(delay) = self.delay {
            tokio::time::sleep(delay).await;
        }
        let (body, declared) = match self.fault {
            Some(Fault::Drop) => return Err(std::io::Error::other("scripted: connection dropped")),
            Some(Fault::StallAfter(n)) => (MockBody::partial(&self.body, n, false), Some(self.body.len() as u64)),
            Some(Fault::ResetAfter(n)) => (MockBody::partial(&self.body, n, true), Some(self.body.len() as u64)),
            Some(Fault::Large { len, declare_length }) => {
                (MockBody::Filler { left: len }, declare_length.then_some(len))
            }
            None => (MockBody::full(self.body), None),
        };
        let mut response = Response::new(body);
        *response.status_mut() = self.status;
        for (name, value) in self.headers {
            response.headers_mut().append(name, value);
        }
        if let Some(len) = declared {
            response.headers_mut().insert(CONTENT_LENGTH, HeaderValue::from(len));
        }
        Ok(response)
    }
}

/// Response bodies, including the broken ones.
#[derive(Debug)]
pub(crate) enum MockBody {
    Full(Option<Bytes>),
    /// Some bytes, then stall (`reset: false`) or an error that breaks the connection.
    Partial {
        head: Option<Bytes>,
        reset: bool,
        /// Whether the server has had a chance to flush the head: a reset must come after the
        /// client saw the headers and the first bytes, as on a real network.
        flushed: bool,
    },
    Filler {
        left: u64,
    },
}

impl MockBody {
    fn full(bytes: Bytes) -> Self {
        MockBody::Full(Some(bytes).filter(|b| !b.is_empty()))
    }

    fn partial(body: &Bytes, n: usize, reset: bool) -> Self {
        MockBody::Partial {
            head: Some(body.slice(..n.min(body.len()))).filter(|b| !b.is_empty()),
            reset,
            flushed: false,
        }
    }
}

const FILLER_CHUNK: usize = 64 * 1024;

impl Body for MockBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        let this = self.get_mut();
        match this {
            MockBody::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            MockBody::Partial { head, reset, flushed } => match head.take() {
                Some(b) => Poll::Ready(Some(Ok(Frame::data(b)))),
                // Pending once: hyper flushes what it has buffered before polling again.
                None if !*flushed => {
                    *flushed = true;
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
                None if *reset => Poll::Ready(Some(Err(std::io::Error::other("scripted: connection reset")))),
                // Never woken: the stall lasts until the client gives up.
                None => Poll::Pending,
            },
            MockBody::Filler { left } => {
                if *left == 0 {
                    return Poll::Ready(None);
                }
                let n = (*left).min(FILLER_CHUNK as u64);
                *left -= n;
                Poll::Ready(Some(Ok(Frame::data(Bytes::from(vec![b' '; n as usize])))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, MockBody::Full(None)) || matches!(self, MockBody::Filler { left: 0 })
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            MockBody::Full(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            _ => SizeHint::default(),
        }
    }
}
