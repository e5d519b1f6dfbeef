//! The command line, declared with clap's derive: global options, the commands and their flags.
//! Values are checked here, so a bad one is a usage error before anything starts.
//!
//! Where flags go is one rule, [`FLAG_RULE`], said the same in `--help` and in the errors:
//! a global option (`global = true`) goes before or after the command's name; a
//! command's own options go after its name, and with no command named they are `spendable`'s.

use clap::{Args, Parser, Subcommand, ValueEnum};
use openrouter_credits::{ChainId, EvmAddress};

/// Where flags go, once: [`FLAG_RULE`] for the errors, and the end of `--help`.
macro_rules! flag_rule {
    () => {
        "global options go before or after the command's name; a command's own options go after its name \
         (with no command named, they are spendable's)"
    };
}

/// Where flags go, in the words `--help` and the errors use.
pub(crate) const FLAG_RULE: &str = flag_rule!();

/// The flag rule, exit statuses, the demo and the environment, shown at the end of `--help`.
pub(crate) const AFTER_HELP: &str = concat!(
    "Where flags go: ",
    flag_rule!(),
    ".

Exit status (check has its own: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN; see check --help):
  0  success
  1  the API or the network failed (the status, message and a hint are printed)
  2  usage error: a bad or missing argument or environment variable; nothing was sent
  3  less than --min-remaining is left (the figures are printed first)
A closed standard output (`| head -1`) stops the output quietly; the status is the command's own.

Demo: with no key at all (no OPENROUTER_API_KEY, OPENROUTER_MANAGEMENT_KEY, OPENROUTER_BASE_URL
or --base-url), spendable, balance, key and charge show made-up figures from a built-in fake
OpenRouter server, marked DEMO on stdout (`\"source\": \"demo\"` with --json). What a script or
a monitor relies on never runs on it unasked: check answers UNKNOWN, --min-remaining is a usage
error; --demo asks for the fake server on purpose.

Environment:
  OPENROUTER_API_KEY   the API key (the key's limit and budget layers: spendable, key, check)
  OPENROUTER_MANAGEMENT_KEY
                       the management key (the account's balance: balance, and the account
                       layer of spendable and check)
  OPENROUTER_BASE_URL  the API root, like --base-url
  OPENROUTER_BEARER    the charge's bearer token, like --bearer
  NO_COLOR             when set, no colour (colour is only ever used on a terminal)"
);

/// What your OpenRouter keys can still spend: every layer that limits it (budgets, the key's
/// limit, the account's balance) and the one that binds, and `check` for monitoring systems
/// (Nagios, Icinga, Sensu, Zabbix).
#[derive(Debug, Parser)]
#[command(name = "openrouter-credits", version, after_help = AFTER_HELP)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,
    /// `spendable`'s own options, for when no command is named (spendable is the default).
    /// Refused with a command named (main.rs; clap's `args_conflicts_with_subcommands` would
    /// also refuse the global options), per [`FLAG_RULE`].
    #[command(flatten, next_help_heading = "Spendable options (when no command is named)")]
    pub(crate) spendable: SpendableArgs,
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

/// Options every command takes, before or after the command's name.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub(crate) struct Global {
    /// Print JSON on stdout instead of text.
    #[arg(long, global = true)]
    pub(crate) json: bool,
    /// API root [default: https://openrouter.ai/api/v1, or OPENROUTER_BASE_URL].
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) base_url: Option<String>,
    /// Use the built-in fake OpenRouter server (made-up figures, marked DEMO), whatever keys are
    /// set: to try check, or a minimum to exit on, without a key.
    #[arg(long, global = true, conflicts_with = "base_url")]
    pub(crate) demo: bool,
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
    /// marked (the default command).
    Spendable(SpendableArgs),
    /// The account's total credits, usage and what remains (`GET /credits`; needs
    /// OPENROUTER_MANAGEMENT_KEY).
    #[command(alias = "credits")]
    Balance(BalanceArgs),
    /// A monitoring-plugin check (Nagios, Icinga, Sensu, Zabbix) of what can still be spent:
    /// one status line with performance data, then one line per layer.
    #[command(after_help = crate::commands::check::AFTER_HELP)]
    Check(CheckArgs),
    /// Create a Coinbase charge to buy credits with crypto (retired upstream: the live API answers 410).
    #[command(
        override_usage = "openrouter-credits charge --amount <USD> --sender <0xADDRESS> --chain <CHAIN> [--bearer <TOKEN>] [OPTIONS]"
    )]
    Charge(ChargeArgs),
    /// The API key's label, its spending limit and what remains of it, its effective budget, and
    /// its usage (`GET /key`).
    Key(KeyArgs),
    /// Read what can be spent every --interval: Prometheus metrics (--listen) or a line per
    /// reading, and alerts that fire once per crossing (--alert-at). Needs a key (or --demo).
    Watch(crate::watch::WatchArgs),
}

/// Options of `spendable` (the default command).
#[derive(Clone, Debug, Default, Args)]
pub(crate) struct SpendableArgs {
    /// Exit with status 3 when less than N USD is left on the binding layer; the figures are
    /// still printed. Needs a key (or --demo).
    #[arg(long, value_name = "N", value_parser = usd_threshold, allow_negative_numbers = true)]
    pub(crate) min_remaining: Option<f64>,
}

/// Options of `balance`.
#[derive(Clone, Debug, Default, Args)]
pub(crate) struct BalanceArgs {
    /// Exit with status 3 when less than N USD is left on the account; the figures are still
    /// printed. Needs a key (or --demo).
    #[arg(long, value_name = "N", value_parser = usd_threshold, allow_negative_numbers = true)]
    pub(crate) min_remaining: Option<f64>,
}

/// Options of `key`.
#[derive(Clone, Debug, Default, Args)]
pub(crate) struct KeyArgs {
    /// Exit with status 3 when less than N USD is left of the least of this key's limit and its
    /// effective budget (a key with neither never is); the key's figures are still printed.
    /// Needs a key (or --demo).
    #[arg(long, value_name = "N", value_parser = usd_threshold, allow_negative_numbers = true)]
    pub(crate) min_remaining: Option<f64>,
}

/// Options of `check`.
#[derive(Clone, Debug, Args)]
pub(crate) struct CheckArgs {
    /// WARNING when less than this is left on the binding layer: USD (`20`) or a share of the
    /// binding layer's limit (`20%`).
    #[arg(long, value_name = "THRESHOLD", value_parser = threshold, allow_negative_numbers = true)]
    pub(crate) warn: Option<Threshold>,
    /// CRITICAL when less than this is left on the binding layer: USD (`5`) or a share of the
    /// binding layer's limit (`5%`). A binding layer with nothing left is always CRITICAL.
    #[arg(long, value_name = "THRESHOLD", value_parser = threshold, allow_negative_numbers = true)]
    pub(crate) crit: Option<Threshold>,
    /// How a layer the keys cannot read (the account without a management key) counts toward
    /// the verdict. A layer whose request failed counts as UNKNOWN at least, whatever this says.
    #[arg(long, value_name = "STATE", default_value = "ok")]
    pub(crate) unknown_layer: State,
}

/// A check's verdict, with the monitoring-plugin exit codes. Ordered by how bad it is:
/// UNKNOWN above WARNING (an unread layer may be the one that is critical), CRITICAL above all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub(crate) enum State {
    Ok,
    Warning,
    Unknown,
    Critical,
}

/// A `check` threshold: USD left, or a share (percent) of the binding layer's limit left.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Threshold {
    Usd(f64),
    Percent(f64),
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

impl Command {
    /// The command's name, as typed.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Command::Spendable(_) => "spendable",
            Command::Balance(_) => "balance",
            Command::Check(_) => "check",
            Command::Charge(_) => "charge",
            Command::Key(_) => "key",
            Command::Watch(_) => "watch",
        }
    }
}

// The rules in the library's words (`invalid amount: must be a finite number greater than 0`), so
// the tool and the library say the same of one value. `1e400` parses as infinity: not finite.
fn finite_number(s: &str) -> Result<f64, String> {
    s.trim().parse::<f64>().ok().filter(|n| n.is_finite()).ok_or_else(|| "must be a finite number".to_owned())
}

/// An amount of USD left to compare with: 0 or more (less than a negative amount is never left).
fn usd_threshold(s: &str) -> Result<f64, String> {
    finite_number(s).ok().filter(|n| *n >= 0.0).ok_or_else(|| "must be a finite number of USD, 0 or more".to_owned())
}

/// `20` (USD left) or `20%` (share of the binding layer's limit left, 0 to 100).
fn threshold(s: &str) -> Result<Threshold, String> {
    const RULE: &str = "must be USD left, 0 or more (like 20), or a share of the limit from 0% to 100% (like 20%)";
    match s.trim().strip_suffix('%') {
        Some(share) => finite_number(share)
            .ok()
            .filter(|n| (0.0..=100.0).contains(n))
            .map(Threshold::Percent)
            .ok_or_else(|| RULE.to_owned()),
        None => usd_threshold(s).map(Threshold::Usd).map_err(|_| RULE.to_owned()),
    }
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

/// Whether the command line names `check` (its errors then exit 3, UNKNOWN, not 2): the first
/// argument that is neither an option nor an option's value. Read from the raw arguments, for
/// when clap could not parse them.
pub(crate) fn names_check(args: &[String]) -> bool {
    let mut args = args.iter().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            // Global options that take a value in the next argument.
            "--base-url" | "--timeout" | "--retries" | "--min-remaining" => {
                args.next();
            }
            "--" => return args.next().is_some_and(|a| a == "check"),
            a if a.starts_with('-') => {}
            a => return a == "check",
        }
    }
    false
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
        assert_eq!(usd_threshold("0"), Ok(0.0));
        assert!(usd_threshold("-0.01").is_err() && usd_threshold("inf").is_err());
    }

    #[test]
    fn thresholds_are_usd_or_a_share() {
        assert_eq!(threshold("20"), Ok(Threshold::Usd(20.0)));
        assert_eq!(threshold("20%"), Ok(Threshold::Percent(20.0)));
        assert_eq!(threshold(" 0.5% "), Ok(Threshold::Percent(0.5)));
        for bad in ["-1", "-1%", "101%", "%", "abc", "20 USD", "nan%", "1e400"] {
            assert!(threshold(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn check_is_found_past_global_options() {
        let argv = |s: &str| std::iter::once("bin").chain(s.split_whitespace()).map(str::to_owned).collect::<Vec<_>>();
        for yes in ["check", "--json check --warn x", "--base-url http://x check", "--timeout 5 -v check", "-- check"] {
            assert!(names_check(&argv(yes)), "{yes}");
        }
        for no in ["", "key", "--base-url check", "--json", "balance check"] {
            assert!(!names_check(&argv(no)), "{no}");
        }
    }
}
