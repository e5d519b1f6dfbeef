//! Every name the crate root held before the `errors`, `spend`, `retry` and `defaults` modules
//! still compiles from the root, and is the same item as the module's (a type mismatch, or a
//! name gone from the root, fails the build of this test).

use openrouter_credits::{
    Affordability, ApiError, ApiKeysApi, Blocked, BlockedBy, ChainId, Client, ClientBuilder, CoinbaseChargeResponse,
    CreateCoinbaseChargeBuilder, CreateCoinbaseChargeSecurity, Credential, CreditsApi, CreditsResponse,
    DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_SERVE_STALE_FOR,
    DEFAULT_SPENDABLE_TIMEOUT, DEFAULT_TIMEOUT, DEFAULT_TOTAL_TIMEOUT, Error, EvmAddress, GetCreditsBuilder,
    GetCurrentKeyBuilder, InvalidEvmAddress, Layer, LayerKind, LimitSource, NoRunway, Operation, PaceWindow, RateLimit,
    Response, RetryBudget, RetryConfig, Runway, RunwayEnd, SpendGuard, SpendReading, Spendable, SpendableBuilder,
    TransportError, TransportKind, UnknownLayer, UnknownLayers, UnknownReason, types,
};
use openrouter_credits::{defaults, errors, retry, spend};

/// Takes an item by its module path; called with the root's name, so both must be one type.
fn same<T>(_: Option<T>, _: Option<T>) {}

#[test]
fn every_root_name_of_0_1_is_the_modules_item() {
    same::<Error>(None, None::<errors::Error>);
    same::<ApiError>(None, None::<errors::ApiError>);
    same::<TransportError>(None, None::<errors::TransportError>);
    same::<TransportKind>(None, None::<errors::TransportKind>);
    same::<InvalidEvmAddress>(None, None::<errors::InvalidEvmAddress>);
    same::<BlockedBy>(None, None::<errors::BlockedBy>);
    same::<LimitSource>(None, None::<errors::LimitSource>);
    same::<RetryConfig>(None, None::<retry::RetryConfig>);
    same::<RetryBudget>(None, None::<retry::RetryBudget>);
    same::<Spendable>(None, None::<spend::Spendable>);
    same::<SpendableBuilder>(None, None::<spend::SpendableBuilder>);
    same::<SpendGuard>(None, None::<spend::SpendGuard>);
    same::<SpendReading>(None, None::<spend::SpendReading>);
    same::<Layer>(None, None::<spend::Layer>);
    same::<LayerKind>(None, None::<spend::LayerKind>);
    same::<UnknownLayer>(None, None::<spend::UnknownLayer>);
    same::<UnknownLayers>(None, None::<spend::UnknownLayers>);
    same::<UnknownReason>(None, None::<spend::UnknownReason>);
    same::<Affordability<'static>>(None, None::<spend::Affordability<'static>>);
    same::<Runway>(None, None::<spend::Runway>);
    same::<RunwayEnd>(None, None::<spend::RunwayEnd>);
    same::<NoRunway>(None, None::<spend::NoRunway>);
    same::<PaceWindow>(None, None::<spend::PaceWindow>);
    assert_eq!(DEFAULT_BASE_URL, defaults::DEFAULT_BASE_URL);
    assert_eq!(DEFAULT_TIMEOUT, defaults::DEFAULT_TIMEOUT);
    assert_eq!(DEFAULT_TOTAL_TIMEOUT, defaults::DEFAULT_TOTAL_TIMEOUT);
    assert_eq!(DEFAULT_CONNECT_TIMEOUT, defaults::DEFAULT_CONNECT_TIMEOUT);
    assert_eq!(DEFAULT_MAX_RESPONSE_BYTES, defaults::DEFAULT_MAX_RESPONSE_BYTES);
    assert_eq!(DEFAULT_SPENDABLE_TIMEOUT, spend::DEFAULT_SPENDABLE_TIMEOUT);
    assert_eq!(DEFAULT_SERVE_STALE_FOR, spend::DEFAULT_SERVE_STALE_FOR);
    // The rest stay at the root only: named here so that losing one fails the build.
    let _: Option<(Blocked, Client, ClientBuilder, ChainId)> = None;
    let _: Option<(EvmAddress, Credential, RateLimit, Response<()>, Operation)> = None;
    let _: Option<(CreditsApi, ApiKeysApi, GetCreditsBuilder, GetCurrentKeyBuilder, CreateCoinbaseChargeBuilder)> =
        None;
    let _: Option<(CreateCoinbaseChargeSecurity, CoinbaseChargeResponse, CreditsResponse, types::Credits)> = None;
}
