//! The command line, declared with clap's derive: global options, the commands and their flags.
//! Values are checked here, so a bad one is a usage error (exit 2) before anything starts.

use clap::{Args, Parser, Subcommand, ValueEnum};
use openrouter_credits::{ChainId, EvmAddress};

/// Exit statuses, shown at the end of `--help` (and in the README).
pub(crate) const EXIT_CODES: &str = "\
Exit status:
  0  success
  1  the API or the network failed (the status, message and a hint are printed)
  2  usage error: a bad or missing argument or environment variable; nothing was sent
  3  less than --min-remaining is left (the figures are printed first)

Environment:
  OPENROUTER_API_KEY   the API key (the key's limit and budget layers); when neither key is set
                       (and no --base-url or bearer is given), commands run against a built-in
                       fake OpenRouter server
  OPENROUTER_MANAGEMENT_KEY
                       the management key (the account's balance: `balance`, and `spendable`'s
                       account layer)
  OPENROUTER_BASE_URL  the API root, like --base-url
  OPENROUTER_BEARER    the charge's bearer token, like --bearer
  NO_COLOR             when set, no colour (colour is only ever used on a terminal)";

/// Your OpenRouter balance from the command line, and Coinbase charges.
#[derive(Debug, Parser)]
#[command(name = "openrouter-credits", version, after_help = EXIT_CODES)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,
    /// `balance`'s own flags, for when no command is named (balance is the default). Not allowed
    /// with other commands (checked in main.rs: clap's `args_conflicts_with_subcommands` would also
    /// refuse the global options). Under their own heading in `--help`, not the global one: they
    /// are not global (`charge --min-remaining` is refused).
    #[command(flatten, next_help_heading = "Spendable options (when no command is named)")]
    pub(crate) balance: BalanceArgs,
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

/// Options every command takes, before or after the command's name.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub(crate) struct Global {
    /// Print JSON on stdout instead of a table.
    #[arg(long, global = true)]
    pub(crate) json: bool,
    /// API root [default: https://openrouter.ai/api/v1, or OPENROUTER_BASE_URL].
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) base_url: Option<String>,
    /// Per-attempt timeout in seconds [default: 30].
    // `allow_negative_numbers`: `--timeout -1` is a bad value of --timeout, not an unknown flag.
    #[arg(long, global = true, value_name = "SECONDS", value_parser = positive_seconds, allow_negative_numbers = true)]
    pub(crate) timeout: Option<f64>,
    /// Retry policy: `default` retries what is safe to retry, for up to 60 s (a connection
    /// that cannot be made: 3 quick attempts); `none` tries once.
    #[arg(long, global = true, value_name = "POLICY", default_value = "default")]
    pub(crate) retries: Retries,
    /// Show every attempt on stderr (retries are always reported).
    #[arg(short, long, global = true)]
    pub(crate) verbose: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Retries {
    Default,
    None,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// What can still be spent over every layer the keys can read: the account's balance
    /// (management key), the key's limit and its budget layers (API key); the binding layer is
    /// marked (the default command). `--min-remaining` compares with the binding layer.
    Spendable(BalanceArgs),
    /// The account's total credits, usage and what remains (`GET /credits`; needs
    /// OPENROUTER_MANAGEMENT_KEY).
    #[command(alias = "credits")]
    Balance(BalanceArgs),
    /// Create a Coinbase charge to buy credits with crypto (retired upstream: the live API answers 410).
    #[command(
        override_usage = "openrouter-credits charge --amount <USD> --sender <0xADDRESS> --chain <CHAIN> [--bearer <TOKEN>] [OPTIONS]"
    )]
    Charge(ChargeArgs),
    /// The API key's label, its spending limit and what remains of it, its effective budget, and
    /// its usage (`GET /key`).
    Key(KeyArgs),
    /// Read what can be spent every --interval: Prometheus metrics (--listen) or a line per
    /// reading, and alerts that fire once per crossing (--alert-at). Needs a key: never runs on
    /// the built-in fake server.
    Watch(crate::watch::WatchArgs),
}

/// Flags of `spendable` (the default command) and `balance`.
#[derive(Clone, Debug, Default, Args)]
pub(crate) struct BalanceArgs {
    /// Exit with status 3 when less than N USD is left: on the binding layer (spendable, the
    /// default) or on the account (balance); the figures are still printed.
    #[arg(long, value_name = "N", value_parser = finite_number, allow_negative_numbers = true)]
    pub(crate) min_remaining: Option<f64>,
}

/// Flags of `key`.
#[derive(Clone, Debug, Default, Args)]
pub(crate) struct KeyArgs {
    /// Exit with status 3 when less than N USD is left of the least of this key's limit and its
    /// effective budget (a key with neither never is); the key's figures are still printed.
    #[arg(long, value_name = "N", value_parser = finite_number, allow_negative_numbers = true)]
    pub(crate) min_remaining: Option<f64>,
}

/// Flags of `charge`. Each is optional to clap so that every missing one is reported in one
/// message (see `charge::missing`), not only the first.
#[derive(Debug, Args)]
pub(crate) struct ChargeArgs {
    /// USD amount of credits to buy, greater than 0.
    #[arg(long, value_name = "USD", value_parser = positive_amount, allow_negative_numbers = true)]
    pub(crate) amount: Option<f64>,
    /// The paying EVM address: 0x followed by 40 hexadecimal digits.
    #[arg(long, value_name = "0xADDRESS", value_parser = evm_address)]
    pub(crate) sender: Option<EvmAddress>,
    /// The chain paid on: ethereum, polygon or base (or its id: 1, 137, 8453).
    #[arg(long, value_name = "CHAIN", value_parser = chain)]
    pub(crate) chain: Option<ChainId>,
    /// Bearer token authorising this charge [default: OPENROUTER_BEARER]. The API key is not sent.
    #[arg(long, value_name = "TOKEN")]
    pub(crate) bearer: Option<String>,
}

// The rules in the library's words (`invalid amount: must be a finite number greater than 0`), so
// the tool and the library say the same of one value. `1e400` parses as infinity: not finite.
fn finite_number(s: &str) -> Result<f64, String> {
    s.trim().parse::<f64>().ok().filter(|n| n.is_finite()).ok_or_else(|| "must be a finite number".to_owned())
}

fn positive_seconds(s: &str) -> Result<f64, String> {
    finite_number(s)
        .ok()
        .filter(|n| *n > 0.0)
        .ok_or_else(|| "must be a finite number of seconds greater than 0".to_owned())
}

fn positive_amount(s: &str) -> Result<f64, String> {
    finite_number(s).ok().filter(|n| *n > 0.0).ok_or_else(|| "must be a finite number greater than 0".to_owned())
}

fn evm_address(s: &str) -> Result<EvmAddress, String> {
    EvmAddress::parse(s).map_err(|_| "must be 0x followed by 40 hexadecimal digits".to_owned())
}

fn chain(s: &str) -> Result<ChainId, String> {
    s.parse().map_err(|_| "must be ethereum, polygon or base (or 1, 137, 8453)".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn value_rules() {
        assert!(positive_amount("0").is_err() && positive_amount("-3").is_err() && positive_amount("nan").is_err());
        assert_eq!(positive_amount("100"), Ok(100.0));
        assert!(evm_address("0x123").is_err());
        assert!(evm_address("0xABCDEFabcdef1234567890123456789012345678").is_ok());
        assert_eq!(chain("8453"), Ok(ChainId::Base));
        assert!(chain("solana").is_err());
    }
}
