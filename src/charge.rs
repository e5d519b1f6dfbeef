//! The Coinbase charge request body and the checks made before it is sent.

use crate::{ChainId, Error};
use serde::{Deserialize, Serialize};

/// Wire body of `POST /credits/coinbase`, fields in spec order (`amount`, `sender`, `chain_id`) as
/// the official SDKs send them. Generated code takes this type (see `build.rs`), and `build.rs`
/// fails if the fragment's `CreateChargeRequest` stops matching it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct ChargeRequest {
    /// USD amount of credits to buy.
    pub(crate) amount: f64,
    /// EVM address paying, `0x` + 40 hex digits.
    pub(crate) sender: String,
    /// Chain the payment is made on.
    pub(crate) chain_id: ChainId,
}

impl ChargeRequest {
    /// Checks every field; the first violation names the field and the rule. Nothing is sent
    /// unless this passes.
    pub(crate) fn validate(
        amount: Option<f64>,
        sender: Option<String>,
        chain_id: Option<ChainId>,
    ) -> Result<Self, Error> {
        let amount = amount.ok_or_else(|| Error::invalid_input("amount", "is required"))?;
        if !(amount.is_finite() && amount > 0.0) {
            return Err(Error::invalid_input("amount", "must be a finite number greater than 0"));
        }
        let sender = sender.ok_or_else(|| Error::invalid_input("sender", "is required"))?;
        if !is_evm_address(&sender) {
            return Err(Error::invalid_input("sender", "must be 0x followed by 40 hexadecimal digits"));
        }
        let chain_id = chain_id.ok_or_else(|| Error::invalid_input("chain_id", "is required"))?;
        Ok(Self { amount, sender, chain_id })
    }
}

/// `0x` + 40 hex digits, either case. Checksums (EIP-55) are not verified: upstream does not
/// require them and mixed-case addresses are accepted as they are.
pub(crate) fn is_evm_address(s: &str) -> bool {
    s.strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .is_some_and(|hex| hex.len() == 40 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADDR: &str = "0x1234567890123456789012345678901234567890";

    fn rule_of(r: Result<ChargeRequest, Error>) -> String {
        r.err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn amount_must_be_finite_and_positive() {
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0] {
            let msg = rule_of(ChargeRequest::validate(Some(bad), Some(ADDR.into()), Some(ChainId::Base)));
            assert!(msg.contains("amount") && msg.contains("greater than 0"), "{bad}: {msg}");
        }
        assert!(ChargeRequest::validate(Some(0.01), Some(ADDR.into()), Some(ChainId::Base)).is_ok());
    }

    #[test]
    fn sender_must_be_an_evm_address() {
        for bad in [
            "",
            "0x",
            "1234567890123456789012345678901234567890",
            "0x123456789012345678901234567890123456789g",
            "0x12345678901234567890123456789012345678901",
            "0x123456789012345678901234567890123456789",
        ] {
            let msg = rule_of(ChargeRequest::validate(Some(1.0), Some(bad.into()), Some(ChainId::Base)));
            assert!(msg.contains("sender") && msg.contains("40 hexadecimal"), "{bad}: {msg}");
        }
        assert!(is_evm_address("0xABCDEFabcdef1234567890123456789012345678"));
    }

    #[test]
    fn missing_fields_are_named() {
        assert!(rule_of(ChargeRequest::validate(None, Some(ADDR.into()), Some(ChainId::Base))).contains("amount"));
        assert!(rule_of(ChargeRequest::validate(Some(1.0), None, Some(ChainId::Base))).contains("sender"));
        assert!(rule_of(ChargeRequest::validate(Some(1.0), Some(ADDR.into()), None)).contains("chain_id"));
    }

    #[test]
    fn body_is_in_spec_order() {
        let body = ChargeRequest { amount: 100.0, sender: ADDR.into(), chain_id: ChainId::Ethereum };
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            format!(r#"{{"amount":100.0,"sender":"{ADDR}","chain_id":1}}"#)
        );
    }
}
