//! Where the figures come from: OpenRouter (or the API at `--base-url`), or the built-in fake
//! server as a demo. One place decides, before anything starts, so that the fake server never
//! stands in for the real one by accident:
//!
//! - `--demo` asks for the fake server, whatever keys are set;
//! - with no credential at all (no key, no base URL, no bearer), a command that only shows
//!   figures runs as a demo, marked on stdout; a command a script or a monitor relies on
//!   ([`Purpose::Monitor`]: `check`, `--min-remaining`, `watch`) is refused instead;
//! - otherwise the keys the command needs must be set (a usage error names them).

use crate::args::{Global, Retries};
use crate::{FAKE_BEARER, Failure};
use openrouter_credits::mock::MockServer;
use openrouter_credits::{Client, ClientBuilder, RetryConfig};
use std::time::Duration;

/// The keys the fake server is called with; it accepts any.
const FAKE_KEY: &str = "sk-or-v1-fake-key";
const FAKE_MANAGEMENT_KEY: &str = "sk-or-v1-fake-management-key";

/// The environment, read once: values set but empty (or blank) count as unset.
#[derive(Debug, Default)]
pub(crate) struct Env {
    pub(crate) api_key: bool,
    pub(crate) management_key: bool,
    pub(crate) base_url: bool,
    pub(crate) bearer: Option<String>,
}

impl Env {
    pub(crate) fn read() -> Self {
        let var = |name| std::env::var(name).ok().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        Self {
            api_key: var("OPENROUTER_API_KEY").is_some(),
            management_key: var("OPENROUTER_MANAGEMENT_KEY").is_some(),
            base_url: var("OPENROUTER_BASE_URL").is_some(),
            bearer: var("OPENROUTER_BEARER"),
        }
    }
}

/// Which figures the command reads, so which credential it needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Needs {
    /// Every layer either key can read: one of them is enough (`spendable`, `check`, `watch`).
    EitherKey,
    /// `GET /credits`: an ordinary key would read zeros.
    ManagementKey,
    /// `GET /key` describes the API key itself.
    ApiKey,
    /// The charge's per-call bearer token (from the flag or the environment).
    Bearer,
}

/// What the figures are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// A person reads them: with no credential at all, a demo on the fake server is fine.
    Show,
    /// A script or a monitor acts on them: the fake server only when `--demo` asks. The text
    /// names what refuses (`check`, `--min-remaining`, `watch`).
    Monitor(&'static str),
}

/// Where the figures come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// OpenRouter, or the API at `--base-url` / `OPENROUTER_BASE_URL`.
    OpenRouter,
    /// The built-in fake server: made-up figures.
    Demo,
}

impl Source {
    /// As `--json` names it: `"source": "openrouter"` or `"demo"`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Source::OpenRouter => "openrouter",
            Source::Demo => "demo",
        }
    }

    pub(crate) fn is_demo(self) -> bool {
        self == Source::Demo
    }
}

/// Why a command may not run: a usage error's message (nothing was started or sent).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Refused(pub(crate) String);

/// Decides the source, or refuses with what to set. `bearer` is the charge's, found already.
pub(crate) fn choose(
    global: &Global,
    env: &Env,
    needs: Needs,
    purpose: Purpose,
    bearer: bool,
) -> Result<Source, Refused> {
    if global.demo {
        return Ok(Source::Demo);
    }
    let any_key = env.api_key || env.management_key;
    let has = match needs {
        Needs::EitherKey => any_key,
        Needs::ManagementKey => env.management_key,
        Needs::ApiKey => env.api_key,
        Needs::Bearer => bearer,
    };
    if has {
        return Ok(Source::OpenRouter);
    }
    let nothing_set = !any_key && !env.base_url && global.base_url.is_none() && !bearer;
    if nothing_set {
        if let Purpose::Monitor(what) = purpose {
            return Err(Refused(format!(
                "no key is set (OPENROUTER_API_KEY, OPENROUTER_MANAGEMENT_KEY), and {what} acts on real figures only: \
                 set a key, or add --demo to run it on the built-in fake server"
            )));
        }
        return Ok(Source::Demo);
    }
    Err(Refused(match needs {
        Needs::EitherKey => "neither OPENROUTER_API_KEY nor OPENROUTER_MANAGEMENT_KEY is set; one is needed \
             with --base-url or OPENROUTER_BASE_URL (with no key and no base URL, --demo runs on the built-in fake server)"
            .to_owned(),
        Needs::ManagementKey => "OPENROUTER_MANAGEMENT_KEY is not set; the account's balance needs a management key \
             (openrouter.ai/settings/management-keys): an ordinary API key reads zeros, not the balance. \
             `openrouter-credits` alone shows what the API key can still spend"
            .to_owned(),
        Needs::ApiKey => "OPENROUTER_API_KEY is not set; `key` describes the API key (GET /key), so it needs one \
             (--demo runs it on the built-in fake server)"
            .to_owned(),
        // Reported by `charge::missing`, with the other missing flags.
        Needs::Bearer => "--bearer <TOKEN> (or OPENROUTER_BEARER)".to_owned(),
    }))
}

/// A client for the source, and the fake server it talks to (kept alive while it is used).
pub(crate) struct Connection {
    pub(crate) client: Client,
    pub(crate) source: Source,
    /// The deadline over both requests of `spendable`: what one call may take under the
    /// policy (a minute of retries, and the last attempt's own timeout), so `--timeout` is
    /// never cut short.
    pub(crate) deadline: Duration,
    /// One attempt's timeout (`--timeout`, or the library's default).
    pub(crate) attempt: Duration,
    /// Both keys are sent (or it is the demo, which has both): `spendable` asks two requests.
    pub(crate) both_keys: bool,
    _server: Option<MockServer>,
}

/// Starts the fake server when the source is the demo, and builds the client.
pub(crate) async fn connect(global: &Global, env: &Env, source: Source) -> Result<Connection, Failure> {
    let mut builder = ClientBuilder::from_env().app_title("openrouter-credits CLI");
    let mut server = None;
    if source.is_demo() {
        let fake = MockServer::start()
            .await
            .map_err(|e| Failure::Setup(format!("the built-in fake server could not start: {e}")))?;
        let why = if global.demo { "--demo: this is" } else { "no key is set, so this is" };
        crate::output::print_note(
            crate::output::Style::stderr(),
            &format!(
                "{why} using the built-in fake OpenRouter server at {} (made-up figures; set OPENROUTER_API_KEY, \
                 and OPENROUTER_MANAGEMENT_KEY for the account's balance, for your own)",
                fake.base_url()
            ),
        );
        builder = builder.api_key(FAKE_KEY).management_key(FAKE_MANAGEMENT_KEY).base_url(fake.base_url());
        server = Some(fake);
    }
    if let Some(url) = &global.base_url {
        builder = builder.base_url(url);
    }
    // Too many seconds for a `Duration` (`1e30`) is as good as none: no panic.
    let attempt = global.timeout.map(|s| Duration::try_from_secs_f64(s).unwrap_or(Duration::MAX));
    if let Some(timeout) = attempt {
        builder = builder.timeout(timeout);
    }
    builder = builder.retries(match global.retries {
        Retries::None => RetryConfig::none(),
        // A person is waiting: a server that is not there (refused, unreachable, no route) is
        // reported after 3 quick attempts (about a second), not after the policy's minute.
        Retries::Default => RetryConfig::default().max_connect_attempts(3),
    });
    let client = builder.build()?;
    let attempt = attempt.unwrap_or(openrouter_credits::DEFAULT_TIMEOUT);
    let deadline = match global.retries {
        Retries::None => attempt,
        Retries::Default => attempt.saturating_add(Duration::from_secs(60)),
    };
    let both_keys = source.is_demo() || (env.api_key && env.management_key);
    Ok(Connection { client, source, deadline, attempt, both_keys, _server: server })
}

/// Why [`monitor`] gave no client.
pub(crate) enum MonitorError {
    /// No key is set and `--demo` was not given (or a key the command needs is missing): a usage
    /// error for `watch`, UNKNOWN for `check`.
    Refused(Refused),
    /// The client or the fake server could not be made.
    Failed(Failure),
}

/// The client for a monitor (`check`, `watch`): OpenRouter with the keys set, or the fake
/// server only when `--demo` asks; never the fake server because a key is missing. `what`
/// names the command in the refusal. [`Connection::source`] says whether it is the demo.
pub(crate) async fn monitor(global: &Global, what: &'static str) -> Result<Connection, MonitorError> {
    let env = Env::read();
    let source =
        choose(global, &env, Needs::EitherKey, Purpose::Monitor(what), false).map_err(MonitorError::Refused)?;
    connect(global, &env, source).await.map_err(MonitorError::Failed)
}

/// The charge's bearer: the flag, the environment, or the fake server's own for the demo.
pub(crate) fn bearer(flag: Option<&String>, env: &Env) -> Option<String> {
    flag.cloned().or_else(|| env.bearer.clone())
}

/// The bearer the demo charge is sent with.
pub(crate) fn demo_bearer() -> String {
    FAKE_BEARER.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn global(args: &[&str]) -> Global {
        crate::args::Cli::parse_from(std::iter::once("x").chain(args.iter().copied())).global
    }

    #[test]
    fn the_demo_is_for_showing_with_nothing_set_or_when_asked() {
        let none = Env::default();
        let show = Purpose::Show;
        let monitor = Purpose::Monitor("check");
        assert_eq!(choose(&global(&[]), &none, Needs::EitherKey, show, false), Ok(Source::Demo));
        assert!(choose(&global(&[]), &none, Needs::EitherKey, monitor, false).is_err());
        assert_eq!(choose(&global(&["--demo"]), &none, Needs::EitherKey, monitor, false), Ok(Source::Demo));
        // A key the command does not use is set: a missing key, not a demo.
        let management = Env { management_key: true, ..Env::default() };
        assert!(choose(&global(&[]), &management, Needs::ApiKey, show, false).is_err());
        assert_eq!(choose(&global(&[]), &management, Needs::EitherKey, monitor, false), Ok(Source::OpenRouter));
        // A base URL without a key: refused, never the fake server.
        let refused = choose(&global(&["--base-url", "http://127.0.0.1:9"]), &none, Needs::EitherKey, show, false);
        assert!(refused.is_err_and(|Refused(m)| m.contains("neither OPENROUTER_API_KEY")));
        // --demo wins over the keys set.
        let api = Env { api_key: true, ..Env::default() };
        assert_eq!(choose(&global(&["--demo"]), &api, Needs::ApiKey, show, false), Ok(Source::Demo));
    }
}
