//! Hand-written conveniences on generated types: what every integration computes by hand.

use crate::address::EvmAddress;
use crate::generated::types::{CallData, Credits, TransferMetadata};

impl Credits {
    /// Credits left to spend: `total_credits − total_usage`, in USD.
    ///
    /// This is the account's balance. A single API key may also have its own spending limit:
    /// `GET /key`'s `limit_remaining` (`client.api_keys().get_current_key()`) is what that key
    /// may still spend, which can be less.
    ///
    /// ```
    /// # use openrouter_credits::types::Credits;
    /// let credits: Credits = serde_json::from_str(r#"{"total_credits": 100.5, "total_usage": 25.75}"#).unwrap();
    /// assert_eq!(credits.remaining(), 74.75);
    /// ```
    pub fn remaining(&self) -> f64 {
        self.total_credits - self.total_usage
    }
}

// The charge's addresses are plain strings in the response, as upstream types them, so that a
// response conforming to upstream's contract always decodes (a charge created and then lost to
// a decode error would be worse than a string that is not an address). These parse them.

impl CallData {
    /// `operator` as an [`EvmAddress`]; `None` when it is not one.
    ///
    /// ```
    /// # use openrouter_credits::types::CallData;
    /// let call_data: CallData = serde_json::from_value(serde_json::json!({
    ///     "deadline": "2026-01-01T01:00:00Z", "fee_amount": "1", "id": "0x1", "prefix": "0x3",
    ///     "operator": "0x8fccd0f3f2e8b1ab9a1d38b1b3a5b2d0f5b2c3d4", "recipient": "pending",
    ///     "recipient_amount": "95000000", "recipient_currency": "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48",
    ///     "refund_destination": "", "signature": "0x2",
    /// }))?;
    /// assert_eq!(call_data.operator_address().unwrap(), "0x8fccd0f3f2e8b1ab9a1d38b1b3a5b2d0f5b2c3d4");
    /// // Not an address: the string is kept as it came, and the accessor says so.
    /// assert_eq!((call_data.recipient.as_str(), call_data.recipient_address()), ("pending", None));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn operator_address(&self) -> Option<EvmAddress> {
        EvmAddress::parse(&self.operator).ok()
    }

    /// `recipient` as an [`EvmAddress`]; `None` when it is not one.
    pub fn recipient_address(&self) -> Option<EvmAddress> {
        EvmAddress::parse(&self.recipient).ok()
    }

    /// `recipient_currency` (the token's contract) as an [`EvmAddress`]; `None` when it is not one.
    pub fn recipient_currency_address(&self) -> Option<EvmAddress> {
        EvmAddress::parse(&self.recipient_currency).ok()
    }

    /// `refund_destination` as an [`EvmAddress`]; `None` when it is not one.
    pub fn refund_destination_address(&self) -> Option<EvmAddress> {
        EvmAddress::parse(&self.refund_destination).ok()
    }
}

impl TransferMetadata {
    /// `contract_address` (the payment contract) as an [`EvmAddress`]; `None` when it is not one.
    pub fn contract(&self) -> Option<EvmAddress> {
        EvmAddress::parse(&self.contract_address).ok()
    }

    /// `sender` (the paying address) as an [`EvmAddress`]; `None` when it is not one.
    pub fn sender_address(&self) -> Option<EvmAddress> {
        EvmAddress::parse(&self.sender).ok()
    }
}
