//! The per-call builders returned by [`CreditsApi`](crate::CreditsApi): each holds the call's
//! arguments and overrides, and `.send()` (or `.await`) runs it through the generated client.

use crate::call::{CallContext, Operation};
use crate::charge::ChargeRequest;
use crate::client::{Client, normalize_base_url};
use crate::generated::{self, ResponseValue, types};
use crate::{ChainId, CreateCoinbaseChargeSecurity, Error, RetryConfig};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;

/// Overrides any call may set; unset ones fall back to the client's.
#[derive(Default)]
struct CallOptions {
    retries: Option<RetryConfig>,
    timeout: Option<Duration>,
    base_url: Option<String>,
    headers: HeaderMap,
    /// The first invalid `.header(..)`, reported by `send` before anything is sent.
    invalid_header: Option<Error>,
}

impl CallOptions {
    fn header(&mut self, name: &str, value: &str) {
        if self.invalid_header.is_some() {
            return;
        }
        let parsed = HeaderName::try_from(name).ok().zip(HeaderValue::try_from(value).ok());
        match parsed {
            Some((name, _)) if name == AUTHORIZATION => {
                self.invalid_header = Some(Error::invalid_input(
                    "header",
                    "Authorization is set by the client: use api_key or CreateCoinbaseChargeSecurity",
                ));
            }
            Some((name, value)) => {
                self.headers.insert(name, value);
            }
            None => {
                self.invalid_header =
                    Some(Error::invalid_input("header", "needs a valid header name and a value without line breaks"));
            }
        }
    }

    /// The generated client for one call, carrying everything the hooks need.
    fn prepare(
        self,
        client: &Client,
        operation: Operation,
        auth: HeaderValue,
        retry_non_idempotent: bool,
    ) -> Result<generated::Client, Error> {
        if let Some(e) = self.invalid_header {
            return Err(e);
        }
        let shared = &client.shared;
        let overridden = self.base_url.as_deref().map(normalize_base_url).transpose()?;
        let base_url = overridden.as_deref().unwrap_or(&shared.base_url);
        let ctx = CallContext {
            operation,
            auth: Some(auth),
            extra_headers: self.headers,
            retries: self.retries.unwrap_or_else(|| shared.retries.clone()),
            retry_non_idempotent,
            attempt_timeout: self.timeout.or(shared.timeout),
            max_response_bytes: shared.max_response_bytes,
            record: Default::default(),
        };
        // reqwest::Client is an Arc: the clone shares the connection pool.
        Ok(generated::Client::new_with_client(base_url, shared.http.clone(), ctx))
    }
}

impl fmt::Debug for CallOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Header names only: a custom header may carry a credential.
        f.debug_struct("CallOptions")
            .field("retries", &self.retries)
            .field("timeout", &self.timeout)
            .field("base_url", &self.base_url)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .finish()
    }
}

fn finish<T>(
    result: Result<ResponseValue<T>, progenitor_client::Error<types::ErrorResponse>>,
    client: &generated::Client,
) -> Result<T, Error> {
    use progenitor_client::ClientInfo;
    result.map(ResponseValue::into_inner).map_err(|e| Error::from_call(e, client.inner()))
}

/// The setters every call has, written once for both builders.
macro_rules! call_options {
    () => {
        /// Retry policy for this call only, instead of the client's.
        pub fn retries(mut self, policy: RetryConfig) -> Self {
            self.options.retries = Some(policy);
            self
        }

        /// Per-attempt timeout for this call only, instead of the client's.
        pub fn timeout(mut self, timeout: Duration) -> Self {
            self.options.timeout = Some(timeout);
            self
        }

        /// An extra header on this call (replacing one of the same name). `Authorization`
        /// is refused; an invalid name or value fails `send` before anything is sent.
        pub fn header(mut self, name: impl AsRef<str>, value: impl AsRef<str>) -> Self {
            self.options.header(name.as_ref(), value.as_ref());
            self
        }

        /// Sends this call to another API root (same rules as [`ClientBuilder::base_url`](crate::ClientBuilder::base_url)).
        pub fn base_url(mut self, url: impl Into<String>) -> Self {
            self.options.base_url = Some(url.into());
            self
        }
    };
}

/// Boxed so the builders can be `.await`ed directly; `Send + 'static` so they can be spawned.
type BoxFuture<T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'static>>;

/// `GET /credits`, from [`CreditsApi::get_credits`](crate::CreditsApi::get_credits).
#[derive(Debug)]
#[must_use = "a request does nothing until it is sent or awaited"]
pub struct GetCreditsBuilder {
    client: Client,
    options: CallOptions,
}

impl GetCreditsBuilder {
    pub(crate) fn new(client: Client) -> Self {
        Self { client, options: CallOptions::default() }
    }

    call_options!();

    /// Sends the request, retrying as the policy allows.
    ///
    /// Fails before sending with [`Error::InvalidInput`] (field `api_key`) when the client
    /// has no API key.
    pub async fn send(self) -> Result<types::CreditsResponse, Error> {
        let auth = self.client.shared.api_key.clone().ok_or_else(|| {
            Error::invalid_input(
                "api_key",
                "is required for get_credits: set ClientBuilder::api_key or OPENROUTER_API_KEY",
            )
        })?;
        let generated = self.options.prepare(&self.client, Operation::GetCredits, auth, false)?;
        let g = &generated;
        let result = crate::retry::run(g, move || g.get_credits()).await;
        finish(result, &generated)
    }
}

impl IntoFuture for GetCreditsBuilder {
    type Output = Result<types::CreditsResponse, Error>;
    type IntoFuture = BoxFuture<types::CreditsResponse>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// `POST /credits/coinbase`, from
/// [`CreditsApi::create_coinbase_charge`](crate::CreditsApi::create_coinbase_charge).
///
/// `amount`, `sender` and `chain_id` are required and checked before anything is sent.
///
/// This call moves money, so by default it is retried only where the server provably did not
/// act on it: the connection failed before the request was written, a 429, or a 503 with
/// `Retry-After`. A 500, 502, 504 or a timeout may come *after* a charge was created, and
/// retrying could create a second one; see [`retry_non_idempotent`](Self::retry_non_idempotent).
#[derive(Debug)]
#[must_use = "a request does nothing until it is sent or awaited"]
pub struct CreateCoinbaseChargeBuilder {
    client: Client,
    security: CreateCoinbaseChargeSecurity,
    amount: Option<f64>,
    sender: Option<String>,
    chain_id: Option<ChainId>,
    retry_non_idempotent: bool,
    options: CallOptions,
}

impl CreateCoinbaseChargeBuilder {
    pub(crate) fn new(client: Client, security: CreateCoinbaseChargeSecurity) -> Self {
        Self {
            client,
            security,
            amount: None,
            sender: None,
            chain_id: None,
            retry_non_idempotent: false,
            options: CallOptions::default(),
        }
    }

    /// USD amount of credits to buy; finite and greater than 0.
    pub fn amount(mut self, amount: f64) -> Self {
        self.amount = Some(amount);
        self
    }

    /// The paying EVM address: `0x` followed by 40 hex digits.
    pub fn sender(mut self, sender: impl Into<String>) -> Self {
        self.sender = Some(sender.into());
        self
    }

    /// The chain the payment is made on.
    pub fn chain_id(mut self, chain_id: ChainId) -> Self {
        self.chain_id = Some(chain_id);
        self
    }

    /// Also retry on 408, 500, 502, 503 (without `Retry-After`), 504, broken connections and
    /// timeouts, like `get_credits`. Off by default: any of those may arrive after the server
    /// created the charge, and a retry could then create a second one. Turn it on only if a
    /// duplicate charge is acceptable to you (an unpaid charge expires).
    pub fn retry_non_idempotent(mut self, yes: bool) -> Self {
        self.retry_non_idempotent = yes;
        self
    }

    call_options!();

    /// Validates the fields, then sends the request.
    pub async fn send(self) -> Result<types::CoinbaseChargeResponse, Error> {
        let body = ChargeRequest::validate(self.amount, self.sender, self.chain_id)?;
        let auth = self.security.header()?;
        let generated =
            self.options.prepare(&self.client, Operation::CreateCoinbaseCharge, auth, self.retry_non_idempotent)?;
        let (g, body) = (&generated, &body);
        let result = crate::retry::run(g, move || g.create_coinbase_charge(body)).await;
        finish(result, &generated)
    }
}

impl IntoFuture for CreateCoinbaseChargeBuilder {
    type Output = Result<types::CoinbaseChargeResponse, Error>;
    type IntoFuture = BoxFuture<types::CoinbaseChargeResponse>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
