//! `charge`: `POST /credits/coinbase`. Every missing value is reported at once, before anything
//! starts; amounts are printed in the token's units.

use crate::Outcome;
use crate::args::ChargeArgs;
use crate::output::{self, Out};
use crate::source::Source;
use openrouter_credits::{Client, CreateCoinbaseChargeSecurity, Error};

/// The flags the charge still needs, as `--flag <VALUE>`; empty when it can go ahead.
/// `bearer_needed` is false when a bearer was found elsewhere (flag, environment, fake server).
pub(crate) fn missing(args: &ChargeArgs, bearer_needed: bool) -> Vec<&'static str> {
    [
        (args.amount.is_none(), "--amount <USD>"),
        (args.sender.is_none(), "--sender <0xADDRESS>"),
        (args.chain.is_none(), "--chain <CHAIN>"),
        (bearer_needed, "--bearer <TOKEN> (or OPENROUTER_BEARER)"),
    ]
    .into_iter()
    .filter_map(|(absent, flag)| absent.then_some(flag))
    .collect()
}

pub(crate) async fn run(
    client: &Client,
    args: ChargeArgs,
    bearer: String,
    json: bool,
    source: Source,
    out: &mut Out,
) -> Result<Outcome, Error> {
    let mut call = client.credits().create_coinbase_charge(CreateCoinbaseChargeSecurity::bearer(bearer));
    // All present: `missing` was empty. Set only what is there; the library checks again.
    if let Some(amount) = args.amount {
        call = call.amount(amount);
    }
    if let Some(sender) = args.sender {
        call = call.sender(sender);
    }
    if let Some(chain) = args.chain {
        call = call.chain_id(chain);
    }
    let response = call.send().await?;
    if json {
        let mut value = serde_json::to_value(&response).unwrap_or_default();
        // The spec types the chain id as a number, so it is decoded as an `f64`; print it as
        // the integer every chain id is (`8453`, not `8453.0`).
        output::whole_number(&mut value, "/data/web3_data/transfer_intent/metadata/chain_id");
        out.json_from(value, source);
        return Ok(Outcome::Done);
    }
    let charge = &response.data;
    let intent = &charge.web3_data.transfer_intent;
    let (call_data, meta) = (&intent.call_data, &intent.metadata);
    let currency = call_data.recipient_currency.as_str();
    let chain_id = meta.chain_id.to_string();
    let chain = match chain_id.parse::<openrouter_credits::ChainId>() {
        Ok(chain) => format!("{chain} ({chain_id})"),
        Err(_) => chain_id,
    };
    if source.is_demo() {
        out.demo_banner();
    }
    out.rows(&[
        ("charge id", charge.id.clone()),
        ("created at", charge.created_at.clone()),
        ("expires at", charge.expires_at.clone()),
        ("chain", chain),
        ("sender", meta.sender.to_string()),
        ("recipient amount", output::token_amount(&call_data.recipient_amount, currency)),
        ("fee amount", output::token_amount(&call_data.fee_amount, currency)),
        ("currency", output::currency(currency)),
        ("recipient", call_data.recipient.to_string()),
        ("deadline", call_data.deadline.clone()),
        ("operator", call_data.operator.to_string()),
        ("refund destination", call_data.refund_destination.to_string()),
        ("contract address", meta.contract_address.to_string()),
    ]);
    Ok(Outcome::Done)
}
