#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

mod auth;
mod call;
mod chain;
mod charge;
mod client;
mod error;
mod generated;
mod hooks;
#[cfg(feature = "mock")]
#[cfg_attr(docsrs, doc(cfg(feature = "mock")))]
pub mod mock;
mod requests;
mod retry;
mod transport;

pub use auth::CreateCoinbaseChargeSecurity;
pub use call::Operation;
pub use chain::ChainId;
pub use client::{
    Client, ClientBuilder, CreditsApi, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_TIMEOUT,
};
pub use error::{ApiError, Error};
pub use requests::{CreateCoinbaseChargeBuilder, GetCreditsBuilder};
pub use retry::RetryConfig;
pub use types::{CoinbaseChargeResponse, CreditsResponse};

/// Entry points for the fuzz target in `fuzz/` (feature `__fuzz`); not a public API.
#[cfg(feature = "__fuzz")]
#[doc(hidden)]
pub mod __fuzz {
    /// The credential the fuzzed call is taken to have sent; it must never show in an error.
    pub const SECRET: &str = "sk-or-fuzz";

    /// Maps a raw final response (any status, any bytes) as a call that sent [`SECRET`] does.
    pub fn map_response(operation: crate::Operation, status: u16, body: &[u8]) -> Result<(), crate::Error> {
        let status = reqwest::StatusCode::from_u16(status).unwrap_or(reqwest::StatusCode::INTERNAL_SERVER_ERROR);
        let auth = reqwest::header::HeaderValue::from_static("Bearer sk-or-fuzz");
        crate::error::map_raw_response(operation, status, reqwest::header::HeaderMap::new(), body, Some(auth))
    }
}

/// Request and response types, generated from `openapi/credits.yaml` by progenitor.
pub mod types {
    pub use crate::generated::types::{
        CallData, CoinbaseCharge, CoinbaseChargeResponse, Credits, CreditsResponse, ErrorDetail, ErrorResponse,
        TransferIntent, TransferMetadata, Web3Data,
    };
}
