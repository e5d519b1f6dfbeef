//! `openrouter-credits`: what your OpenRouter keys can still spend, from the command line and
//! for monitoring systems (`cargo install openrouter-credits --features cli`).
//!
//! The program reads one way: `args` parses the command line; `source` decides where the
//! figures come from (OpenRouter, or the built-in fake server as a demo, never by accident);
//! `commands/` holds one module per command; `output` prints (checked writes, colour, errors in
//! command-line terms); `progress` reports retries from the library's tracing events. This file
//! checks everything before anything starts and turns each command's outcome into the exit
//! status.
//!
//! Exit status: 0 success, 1 API or network error, 2 usage error, 3 below `--min-remaining`;
//! `check`: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (its usage errors too). A closed standard
//! output ends the output quietly, with the command's own status.

mod args;
mod commands;
mod output;
mod progress;
mod source;
mod watch;

use args::{Cli, Command, FLAG_RULE, Global, SpendableArgs};
use clap::{CommandFactory, Parser};
use commands::Plan;
use openrouter_credits::Error;
use output::{BaseUrlFrom, Out, Style};
use source::{Env, Needs, Purpose, Refused};
use std::process::ExitCode;

/// An API or network failure (also: the fake server could not start, stdout could not be written).
const EXIT_FAILURE: u8 = 1;
/// A bad or missing argument or environment variable; nothing was sent. clap exits with it too.
const EXIT_USAGE: u8 = 2;
/// Less is left than `--min-remaining` asks for.
const EXIT_BELOW_MINIMUM: u8 = 3;

/// The bearer token a demo charge is sent with; the fake server accepts any.
pub(crate) const FAKE_BEARER: &str = "fake-bearer-token";

/// How a command that did not fail ended.
pub(crate) enum Outcome {
    Done,
    /// Below `--min-remaining`; the message says by how much.
    BelowMinimum(String),
    /// The figures were printed, but a layer could not be read because a request failed: the
    /// message names it (exit 1, as any API or network failure).
    LayerFailed(String),
    /// `check`'s verdict, printed already; its code is the exit status.
    Check(args::State),
}

/// Why a command failed.
pub(crate) enum Failure {
    Api(Error),
    Setup(String),
    /// A monitor (`watch`) refused: no key and no `--demo`. Nothing was started or sent.
    Usage(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Api(e)
    }
}

impl Failure {
    /// The message and hint, in command-line terms.
    pub(crate) fn describe(&self, base_url: BaseUrlFrom) -> (String, Option<String>) {
        match self {
            Failure::Api(e) => output::describe(e, base_url),
            Failure::Setup(message) | Failure::Usage(message) => (message.clone(), None),
        }
    }

    fn exit_code(&self) -> u8 {
        match self {
            // Bad input the library caught (an invalid --base-url): nothing was sent.
            Failure::Api(Error::InvalidInput { .. }) | Failure::Usage(_) => EXIT_USAGE,
            _ => EXIT_FAILURE,
        }
    }
}

/// Where the base URL came from: a connection hint names it only when the user set it.
pub(crate) fn base_url_from(global: &Global) -> BaseUrlFrom {
    match (&global.base_url, Env::read().base_url) {
        (Some(_), _) => BaseUrlFrom::Flag,
        (None, true) => BaseUrlFrom::Environment,
        (None, false) => BaseUrlFrom::Default,
    }
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect();
    let mut out = Out::stdout();
    let err = Style::stderr();
    let cli = match Cli::try_parse_from(&argv) {
        Ok(cli) => cli,
        // `check`'s usage errors are UNKNOWN (3), on stdout where a monitor reads them.
        Err(e) if e.use_stderr() && args::names_check(&argv) => {
            let _ = e.print();
            let text = e.to_string();
            let first = text.lines().next().unwrap_or_default();
            let json = argv.iter().any(|a| a == "--json");
            let state = commands::check::bad_arguments(first.trim_start_matches("error: "), json, &mut out);
            return finish(state.code(), &mut out, err, true);
        }
        Err(e) => e.exit(),
    };
    progress::install(cli.global.verbose, err);
    let is_check = matches!(cli.command, Some(Command::Check(_)));
    // Everything is checked before anything starts: the fake server, its note, a request.
    let command = match resolve(cli.command, cli.spendable) {
        Ok(command) => command,
        Err((_, message)) if is_check => {
            let state = commands::check::bad_arguments(&message, cli.global.json, &mut out);
            return finish(state.code(), &mut out, err, true);
        }
        Err((name, message)) => usage_error(Some(name), clap::error::ErrorKind::ArgumentConflict, message),
    };
    let plan = plan(&command, &cli.global);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
    let result = match runtime {
        Ok(runtime) => runtime.block_on(commands::run(&cli.global, command, plan, &mut out)),
        Err(e) => Err(Failure::Setup(format!("could not start the async runtime: {e}"))),
    };
    let code = match result {
        Ok(Outcome::Done) => 0,
        Ok(Outcome::Check(state)) => state.code(),
        Ok(Outcome::BelowMinimum(message)) => {
            output::print_error(err, &message, None);
            EXIT_BELOW_MINIMUM
        }
        Ok(Outcome::LayerFailed(message)) => {
            output::print_error(
                err,
                &message,
                Some("what was printed leaves that layer out: run it again to include it"),
            );
            EXIT_FAILURE
        }
        Err(failure) => {
            let (message, hint) = failure.describe(base_url_from(&cli.global));
            output::print_error(err, &message, hint.as_deref());
            failure.exit_code()
        }
    };
    finish(code, &mut out, err, is_check)
}

/// The exit status, once stdout is known to have been written (a closed pipe is not an error).
/// A verdict `check` could not print is UNKNOWN; any other command that could not print failed.
fn finish(code: u8, out: &mut Out, err: Style, check: bool) -> ExitCode {
    match out.take_error() {
        Some(e) => {
            output::print_error(err, &format!("could not write to standard output: {e}"), None);
            ExitCode::from(match (check, code) {
                (true, _) => args::State::Unknown.code(),
                (false, 0) => EXIT_FAILURE,
                (false, code) => code,
            })
        }
        None => ExitCode::from(code),
    }
}

/// The command to run: `spendable` when none is named. The top-level `--min-remaining` is
/// spendable's (the default command's): with a command named, it is refused per [`FLAG_RULE`].
fn resolve(command: Option<Command>, top_level: SpendableArgs) -> Result<Command, (&'static str, String)> {
    match command {
        None => Ok(Command::Spendable(top_level)),
        Some(command) if top_level.min_remaining.is_some() => {
            let name = command.name();
            let fix = match &command {
                Command::Spendable(_) | Command::Balance(_) | Command::Key(_) => {
                    format!("put it after `{name}`: openrouter-credits {name} --min-remaining <N>")
                }
                _ => format!("`{name}` has no --min-remaining"),
            };
            Err((name, format!("--min-remaining before the command's name is spendable's: {FLAG_RULE}; {fix}")))
        }
        Some(command) => Ok(command),
    }
}

/// Where the figures come from, and the charge's bearer; exits with a usage error (status 2)
/// naming what is missing (every missing value at once, for `charge`).
fn plan(command: &Command, global: &Global) -> Plan {
    // The interval's floor protects OpenRouter: --demo reads the fake server on loopback.
    if let (Command::Watch(args), false) = (command, global.demo) {
        let base_url = global.base_url.clone().or_else(|| std::env::var("OPENROUTER_BASE_URL").ok());
        if let Err(message) = watch::check(args, base_url.as_deref().map(str::trim).filter(|u| !u.is_empty())) {
            usage_error(Some("watch"), clap::error::ErrorKind::ValueValidation, message);
        }
    }
    // Monitors (`check`, `watch`) ask `source::monitor` themselves.
    if matches!(command, Command::Check(_) | Command::Watch(_)) {
        return Plan::Monitor;
    }
    let env = Env::read();
    let watched = |min: Option<f64>| if min.is_some() { Purpose::Monitor("--min-remaining") } else { Purpose::Show };
    let (needs, purpose, bearer) = match command {
        Command::Spendable(args) => (Needs::EitherKey, watched(args.min_remaining), None),
        Command::Balance(args) => (Needs::ManagementKey, watched(args.min_remaining), None),
        Command::Key(args) => (Needs::ApiKey, watched(args.min_remaining), None),
        Command::Charge(args) => (Needs::Bearer, Purpose::Show, source::bearer(args.bearer.as_ref(), &env)),
        Command::Check(_) => (Needs::EitherKey, Purpose::Monitor("check"), None),
        Command::Watch(_) => (Needs::EitherKey, Purpose::Monitor("watch"), None),
    };
    let chosen = source::choose(global, &env, needs, purpose, bearer.is_some());
    if let Command::Charge(args) = command {
        let missing = commands::charge::missing(args, chosen.is_err());
        if !missing.is_empty() {
            let list: String = missing.iter().map(|flag| format!("\n  {flag}")).collect();
            usage_error(
                Some("charge"),
                clap::error::ErrorKind::MissingRequiredArgument,
                format!("the following required arguments were not provided:{list}"),
            );
        }
    }
    match chosen {
        Ok(source) => Plan::Show { source, bearer },
        Err(Refused(message)) => {
            let name = match command {
                Command::Spendable(_) => None,
                other => Some(other.name()),
            };
            usage_error(name, clap::error::ErrorKind::MissingRequiredArgument, message)
        }
    }
}

/// A usage error in clap's words and format (with the command's usage line), exit status 2.
fn usage_error(subcommand: Option<&str>, kind: clap::error::ErrorKind, message: String) -> ! {
    let mut cli = Cli::command();
    cli.build();
    let mut cmd = subcommand.and_then(|name| cli.find_subcommand(name)).cloned().unwrap_or(cli);
    cmd.error(kind, message).exit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_top_level_min_remaining_is_refused_with_a_command_named() {
        let min = SpendableArgs { min_remaining: Some(5.0) };
        assert!(matches!(resolve(None, min.clone()), Ok(Command::Spendable(a)) if a.min_remaining == Some(5.0)));
        let key = Command::Key(args::KeyArgs::default());
        let Err((name, message)) = resolve(Some(key), min) else { panic!("refused") };
        assert_eq!(name, "key");
        assert!(message.contains(FLAG_RULE) && message.ends_with("openrouter-credits key --min-remaining <N>"));
    }
}
