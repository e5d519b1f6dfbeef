//! `openrouter-credits`: your OpenRouter balance from the command line, and Coinbase charges
//! (`cargo install openrouter-credits --features cli`).
//!
//! With `OPENROUTER_API_KEY` and/or `OPENROUTER_MANAGEMENT_KEY` set it calls OpenRouter. With
//! neither (and with no `--base-url`, and for `charge` no bearer token) it runs against the
//! crate's built-in fake server and says so,
//! so it works on a fresh machine with no key and no network. Arguments are checked first:
//! a usage error never starts the fake server or prints its note.
//!
//! Exit status: 0 success, 1 API or network error, 2 usage error, 3 below `--min-remaining`.

mod args;
mod balance;
mod charge;
mod key;
mod output;
mod progress;
mod spendable;
mod watch;

use args::{BalanceArgs, Cli, Command, Global, Retries};
use clap::{CommandFactory, Parser};
use openrouter_credits::mock::MockServer;
use openrouter_credits::{ClientBuilder, Error, RetryConfig};
use output::Style;
use std::process::ExitCode;
use std::time::Duration;

/// An API or network failure (also: the fake server could not start).
const EXIT_FAILURE: u8 = 1;
/// A bad or missing argument or environment variable; nothing was sent. clap exits with it too.
const EXIT_USAGE: u8 = 2;
/// Less is left than `--min-remaining` asks for.
const EXIT_BELOW_MINIMUM: u8 = 3;

/// The keys the fake server is called with; it accepts any.
const FAKE_KEY: &str = "sk-or-v1-fake-key";
const FAKE_MANAGEMENT_KEY: &str = "sk-or-v1-fake-management-key";
const FAKE_BEARER: &str = "fake-bearer-token";

/// How a command that did not fail ended.
pub(crate) enum Outcome {
    Done,
    /// Below `--min-remaining`; the message says by how much.
    BelowMinimum(String),
    /// The figures were printed, but a layer could not be read because a request failed: the
    /// message names it (exit 1, as any API or network failure).
    LayerFailed(String),
}

/// Why a command failed.
enum Failure {
    Api(Error),
    Setup(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Api(e)
    }
}

/// The environment, read once: values set but empty (or blank) count as unset.
struct Env {
    api_key: bool,
    management_key: bool,
    base_url: bool,
    bearer: Option<String>,
}

impl Env {
    fn read() -> Self {
        let var = |name| std::env::var(name).ok().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        Self {
            api_key: var("OPENROUTER_API_KEY").is_some(),
            management_key: var("OPENROUTER_MANAGEMENT_KEY").is_some(),
            base_url: var("OPENROUTER_BASE_URL").is_some(),
            bearer: var("OPENROUTER_BEARER"),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (out, err) = (Style::stdout(), Style::stderr());
    progress::install(cli.global.verbose, err);
    let command = resolve(cli.command, cli.balance);
    // Everything is checked before anything starts: the fake server, its note, a request.
    let env = Env::read();
    let (fake, bearer) = check(&command, &cli.global, &env);
    let base_url_from = match (&cli.global.base_url, env.base_url) {
        (Some(_), _) => output::BaseUrlFrom::Flag,
        (None, true) => output::BaseUrlFrom::Environment,
        (None, false) => output::BaseUrlFrom::Default,
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
    let result = match runtime {
        Ok(runtime) => runtime.block_on(run(&cli.global, command, fake, bearer, out, err)),
        Err(e) => Err(Failure::Setup(format!("could not start the async runtime: {e}"))),
    };
    match result {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::BelowMinimum(message)) => {
            output::print_error(err, &message, None);
            ExitCode::from(EXIT_BELOW_MINIMUM)
        }
        Ok(Outcome::LayerFailed(message)) => {
            output::print_error(
                err,
                &message,
                Some("what was printed leaves that layer out: run it again to include it"),
            );
            ExitCode::from(EXIT_FAILURE)
        }
        Err(Failure::Api(e)) => {
            let (message, hint) = output::describe(&e, base_url_from);
            output::print_error(err, &message, hint.as_deref());
            // Bad input the library caught (an invalid --base-url): nothing was sent.
            ExitCode::from(if matches!(e, Error::InvalidInput { .. }) { EXIT_USAGE } else { EXIT_FAILURE })
        }
        Err(Failure::Setup(message)) => {
            output::print_error(err, &message, None);
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

/// The command to run: `spendable` when none is named. A top-level `--min-remaining` belongs to
/// `spendable` (and `balance`) and is a usage error with any other command.
fn resolve(command: Option<Command>, top_level: BalanceArgs) -> Command {
    match command {
        None => Command::Spendable(top_level),
        Some(Command::Spendable(mut args)) => {
            args.min_remaining = args.min_remaining.or(top_level.min_remaining);
            Command::Spendable(args)
        }
        Some(Command::Balance(mut args)) => {
            args.min_remaining = args.min_remaining.or(top_level.min_remaining);
            Command::Balance(args)
        }
        Some(Command::Key(_)) if top_level.min_remaining.is_some() => usage_error(
            None,
            clap::error::ErrorKind::ArgumentConflict,
            "--min-remaining before the command belongs to spendable (the default command); for the key's \
             limit and budget, put it after `key`: openrouter-credits key --min-remaining <N>"
                .to_owned(),
        ),
        Some(_) if top_level.min_remaining.is_some() => usage_error(
            None,
            clap::error::ErrorKind::ArgumentConflict,
            "--min-remaining goes with spendable (the default command), balance and key (after the command's name), not with this one".to_owned(),
        ),
        Some(other) => other,
    }
}

/// Whether to use the fake server, and the charge's bearer token. Exits with a usage error
/// (status 2) naming every missing value at once.
fn check(command: &Command, global: &Global, env: &Env) -> (bool, Option<String>) {
    let any_key = env.api_key || env.management_key;
    let no_endpoint = !any_key && !env.base_url && global.base_url.is_none();
    match command {
        // Every layer either key can read: one of them is enough.
        Command::Spendable(_) => {
            if !no_endpoint && !any_key {
                usage_error(
                    None,
                    clap::error::ErrorKind::MissingRequiredArgument,
                    "neither OPENROUTER_API_KEY nor OPENROUTER_MANAGEMENT_KEY is set; one is needed with \
                     --base-url or OPENROUTER_BASE_URL (with none of them, the built-in fake server is used)"
                        .to_owned(),
                );
            }
            (no_endpoint, None)
        }
        // `GET /credits` takes a management key: an ordinary key would read zeros.
        Command::Balance(_) => {
            if !no_endpoint && !env.management_key {
                usage_error(
                    Some("balance"),
                    clap::error::ErrorKind::MissingRequiredArgument,
                    "OPENROUTER_MANAGEMENT_KEY is not set; the account's balance needs a management key \
                     (openrouter.ai/settings/management-keys): an ordinary API key reads zeros, not the balance. \
                     `openrouter-credits` alone shows what the API key can still spend"
                        .to_owned(),
                );
            }
            (no_endpoint, None)
        }
        // `GET /key` describes the API key itself.
        Command::Key(_) => {
            let no_endpoint = !env.api_key && !env.base_url && global.base_url.is_none();
            if !no_endpoint && !env.api_key {
                usage_error(
                    Some("key"),
                    clap::error::ErrorKind::MissingRequiredArgument,
                    "OPENROUTER_API_KEY is not set; it is needed with --base-url or OPENROUTER_BASE_URL \
                     (with none of them, the built-in fake server is used)"
                        .to_owned(),
                );
            }
            (no_endpoint, None)
        }
        // A monitor never runs on made-up figures: a key is required.
        Command::Watch(args) => {
            let base_url = global.base_url.clone().or_else(|| std::env::var("OPENROUTER_BASE_URL").ok());
            let problem = if any_key {
                watch::check(args, base_url.as_deref().map(str::trim).filter(|u| !u.is_empty())).err()
            } else {
                Some("neither OPENROUTER_API_KEY nor OPENROUTER_MANAGEMENT_KEY is set; watch needs one (it never runs on the built-in fake server)".to_owned())
            };
            if let Some(message) = problem {
                usage_error(Some("watch"), clap::error::ErrorKind::ValueValidation, message);
            }
            (false, None)
        }
        Command::Charge(args) => {
            let bearer = args.bearer.clone().or_else(|| env.bearer.clone());
            let fake = no_endpoint && bearer.is_none();
            let missing = charge::missing(args, !fake && bearer.is_none());
            if !missing.is_empty() {
                let list: String = missing.iter().map(|flag| format!("\n  {flag}")).collect();
                usage_error(
                    Some("charge"),
                    clap::error::ErrorKind::MissingRequiredArgument,
                    format!("the following required arguments were not provided:{list}"),
                );
            }
            (fake, Some(bearer.unwrap_or_else(|| FAKE_BEARER.to_owned())))
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

async fn run(
    global: &Global,
    command: Command,
    fake: bool,
    bearer: Option<String>,
    out: Style,
    err: Style,
) -> Result<Outcome, Failure> {
    let mut builder = ClientBuilder::from_env().app_title("openrouter-credits CLI");
    // Kept alive until the command is done.
    let mut _server = None;
    if fake {
        let server = MockServer::start()
            .await
            .map_err(|e| Failure::Setup(format!("the built-in fake server could not start: {e}")))?;
        output::print_note(
            err,
            &format!(
                "no key is set, so this is using the built-in fake OpenRouter server at {} \
                 (made-up figures; set OPENROUTER_API_KEY, and OPENROUTER_MANAGEMENT_KEY for the account's balance, for your own)",
                server.base_url()
            ),
        );
        builder = builder.api_key(FAKE_KEY).management_key(FAKE_MANAGEMENT_KEY).base_url(server.base_url());
        _server = Some(server);
    }
    if let Some(url) = &global.base_url {
        builder = builder.base_url(url);
    }
    if let Some(seconds) = global.timeout {
        // Too many seconds for a `Duration` (`1e30`) is as good as none: no panic.
        builder = builder.timeout(Duration::try_from_secs_f64(seconds).unwrap_or(Duration::MAX));
    }
    builder = builder.retries(match global.retries {
        Retries::None => RetryConfig::none(),
        // A person is waiting: a server that is not there (refused, unreachable, no route) is
        // reported after 3 quick attempts (about a second), not after the policy's minute.
        Retries::Default => RetryConfig::default().max_connect_attempts(3),
    });
    let client = builder.build()?;
    // `spendable`'s one deadline over both requests: what one call may take under the policy (a
    // minute of retries, and the last attempt's own timeout), so --timeout is never cut short.
    let attempt = global
        .timeout
        .map_or(openrouter_credits::DEFAULT_TIMEOUT, |s| Duration::try_from_secs_f64(s).unwrap_or(Duration::MAX));
    let deadline = match global.retries {
        Retries::None => attempt,
        Retries::Default => attempt.saturating_add(Duration::from_secs(60)),
    };
    Ok(match command {
        Command::Spendable(args) => spendable::run(&client, &args, deadline, global.json, out).await?,
        Command::Balance(args) => balance::run(&client, &args, global.json, out).await?,
        Command::Charge(args) => charge::run(&client, args, bearer.unwrap_or_default(), global.json).await?,
        Command::Key(args) => key::run(&client, &args, global.json, out).await?,
        Command::Watch(args) => watch::run(&client, &args, global.json, deadline).await?,
    })
}
