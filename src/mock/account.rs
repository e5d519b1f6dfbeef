//! The account the fake server keeps across requests: a balance that `GET /credits` reports and
//! charges add to, and charges that look like Coinbase's. Applied over the spec's default answer
//! by JSON pointer and operation id, so a renamed or new field, or a new operation, needs no edit
//! here; a pointer the answer lacks is skipped.

use serde_json::{Value, json};
use std::time::{Duration, SystemTime};

/// The operation ids the account follows.
pub(super) const CREDITS: &str = "getCredits";
pub(super) const CHARGE: &str = "createCoinbaseCharge";

/// USDC on Ethereum: the currency Coinbase charges settle in.
const USDC: &str = "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48";

#[derive(Clone, Copy, Debug)]
pub(super) struct Account {
    pub(super) total_credits: f64,
    pub(super) total_usage: f64,
    charges: u64,
}

impl Default for Account {
    /// Upstream's example balance.
    fn default() -> Self {
        Self { total_credits: 100.5, total_usage: 25.75, charges: 0 }
    }
}

impl Account {
    /// Adjusts `answer`, the default answer to `operation_id` for a request with this body.
    pub(super) fn apply(&mut self, operation_id: &str, request: Option<&Value>, answer: &mut Value) {
        match operation_id {
            CREDITS => {
                set(answer, "/data/total_credits", json!(self.total_credits));
                set(answer, "/data/total_usage", json!(self.total_usage));
            }
            CHARGE => self.charge(request.unwrap_or(&Value::Null), answer),
            _ => {}
        }
    }

    fn charge(&mut self, request: &Value, answer: &mut Value) {
        let amount = request.get("amount").and_then(Value::as_f64).unwrap_or(0.0);
        let sender = request.get("sender").cloned().unwrap_or(Value::Null);
        self.charges += 1;
        // As if paid at once: the next GET /credits shows it.
        self.total_credits += amount;
        let n = self.charges;
        let now = SystemTime::now();
        let expires = stamp(now + Duration::from_secs(3600));
        let micros = (amount * 1_000_000.0).round() as u64;
        let fee = micros / 20; // upstream's 5% crypto fee
        let call = "/data/web3_data/transfer_intent/call_data";
        let meta = "/data/web3_data/transfer_intent/metadata";
        for (pointer, value) in [
            ("/data/id".to_owned(), json!(format!("00000000-0000-4000-8000-{n:012x}"))),
            ("/data/created_at".to_owned(), json!(stamp(now))),
            ("/data/expires_at".to_owned(), json!(expires)),
            (format!("{call}/deadline"), json!(expires)),
            (format!("{call}/fee_amount"), json!(fee.to_string())),
            (format!("{call}/id"), json!(format!("0x{n:064x}"))),
            (format!("{call}/operator"), json!("0x8fccd0f3f2e8b1ab9a1d38b1b3a5b2d0f5b2c3d4")),
            (format!("{call}/prefix"), json!("0x4b3220496e766f69636520")),
            (format!("{call}/recipient"), json!("0x1f9840a85d5af5bf1d1762f925bdaddc4201f984")),
            (format!("{call}/recipient_amount"), json!((micros - fee).to_string())),
            (format!("{call}/recipient_currency"), json!(USDC)),
            (format!("{call}/refund_destination"), sender.clone()),
            (format!("{call}/signature"), json!(format!("0x{n:0130x}"))),
            (format!("{meta}/chain_id"), request.get("chain_id").cloned().unwrap_or(Value::Null)),
            (format!("{meta}/contract_address"), json!("0x3a4f3f0c6c1b9b1c5d0e2f1a7b8c9d0e1f2a3b4c")),
            (format!("{meta}/sender"), sender.clone()),
        ] {
            set(answer, &pointer, value);
        }
    }
}

fn stamp(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// Replaces the value at `pointer` if the answer has one there.
fn set(answer: &mut Value, pointer: &str, value: Value) {
    if let Some(slot) = answer.pointer_mut(pointer) {
        *slot = value;
    }
}
