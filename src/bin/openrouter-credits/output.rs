//! What a person reads: colour (only on a terminal, never with `NO_COLOR`), aligned tables, token
//! amounts in the token's units, and errors in command-line terms.

use openrouter_credits::{Error, TransportError, TransportKind};
use std::io::{IsTerminal, Write};

/// Whether to colour one stream. Off unless it is a terminal; `NO_COLOR` (set and not empty)
/// always turns it off; `CLICOLOR_FORCE` (set, not empty, not `0`) turns it on off a terminal.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Style {
    colour: bool,
}

impl Style {
    pub(crate) fn stdout() -> Self {
        Self::decide(std::io::stdout().is_terminal())
    }

    pub(crate) fn stderr() -> Self {
        Self::decide(std::io::stderr().is_terminal())
    }

    fn decide(terminal: bool) -> Self {
        let set = |name| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        let forced = set("CLICOLOR_FORCE") && std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| v != "0");
        Self { colour: !set("NO_COLOR") && (terminal || forced) }
    }

    fn paint(self, sgr: &str, text: &str) -> String {
        if self.colour { format!("\x1b[{sgr}m{text}\x1b[0m") } else { text.to_owned() }
    }

    pub(crate) fn good(self, text: &str) -> String {
        self.paint("32", text)
    }

    pub(crate) fn bad(self, text: &str) -> String {
        self.paint("1;31", text)
    }

    pub(crate) fn warn(self, text: &str) -> String {
        self.paint("1;33", text)
    }

    pub(crate) fn dim(self, text: &str) -> String {
        self.paint("2", text)
    }
}

/// Standard output for a command's figures. Every write is checked: a closed pipe
/// (`openrouter-credits --json | head -1`) stops the output quietly (the exit status is the
/// command's own), and any other write error is kept for `main` to report (exit 1). Never a
/// panic, as `println!` would.
#[derive(Debug)]
pub(crate) struct Out {
    pub(crate) style: Style,
    closed: bool,
    error: Option<std::io::Error>,
}

impl Out {
    pub(crate) fn stdout() -> Self {
        Self { style: Style::stdout(), closed: false, error: None }
    }

    /// One line (a newline is added).
    pub(crate) fn line(&mut self, text: &str) {
        if self.closed || self.error.is_some() {
            return;
        }
        let mut stdout = std::io::stdout().lock();
        let written = writeln!(stdout, "{text}").and_then(|()| stdout.flush());
        match written {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => self.closed = true,
            Err(e) => self.error = Some(e),
        }
    }

    /// Label/value rows, labels padded to one column. Values are printed as given (pre-coloured).
    pub(crate) fn rows(&mut self, rows: &[(&str, String)]) {
        let width = rows.iter().map(|(label, _)| label.len()).max().unwrap_or(0);
        for (label, value) in rows {
            self.line(&format!("{label:<width$}  {value}"));
        }
    }

    /// Pretty JSON; never coloured.
    pub(crate) fn json(&mut self, value: &serde_json::Value) {
        self.line(&serde_json::to_string_pretty(value).unwrap_or_default());
    }

    /// A response as JSON, with where its figures came from added (`"source"`).
    pub(crate) fn json_from(&mut self, mut value: serde_json::Value, source: crate::source::Source) {
        if let Some(top) = value.as_object_mut() {
            top.insert("source".into(), source.as_str().into());
        }
        self.json(&value);
    }

    /// The first line of a demo's text output: what a script reading stdout sees first.
    pub(crate) fn demo_banner(&mut self) {
        // Said the same whether no key was set or --demo asked.
        let text = "DEMO: made-up figures from the built-in fake OpenRouter server, not your account's \
                    (set OPENROUTER_API_KEY for yours)";
        let banner = self.style.warn(text);
        self.line(&banner);
    }

    /// A write error other than a closed pipe, for `main` to report.
    pub(crate) fn take_error(&mut self) -> Option<std::io::Error> {
        self.error.take()
    }
}

/// `error: …` and, when there is one, `hint: …` on stderr. A closed stderr is ignored: there is
/// nowhere left to say it.
pub(crate) fn print_error(style: Style, message: &str, hint: Option<&str>) {
    let mut text = format!("{} {message}\n", style.bad("error:"));
    if let Some(hint) = hint {
        text.push_str(&format!("{} {hint}\n", style.warn("hint:")));
    }
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// `note: …` on stderr.
pub(crate) fn print_note(style: Style, message: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{} {message}", style.warn("note:"));
}

/// A token paid in: its symbol and how many decimals its smallest unit has.
struct Token {
    symbol: &'static str,
    decimals: u32,
}

/// The tokens a Coinbase charge is settled in, by contract address (lower case). USDC on the
/// three chains a charge can use; the fake server answers with Ethereum's.
fn token(address: &str) -> Option<Token> {
    let usdc = Token { symbol: "USDC", decimals: 6 };
    match address.to_ascii_lowercase().as_str() {
        // Ethereum mainnet
        "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48" => Some(usdc),
        // Polygon PoS (native USDC), and the bridged USDC.e
        "0x3c499c542cef5e3811e1192ce70d8cc03d5c3359" => Some(usdc),
        "0x2791bca1f2de4661ed88a30c99a7a9449aa84174" => Some(Token { symbol: "USDC.e", decimals: 6 }),
        // Base
        "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913" => Some(usdc),
        _ => None,
    }
}

/// The currency's name for display: `USDC (0xa0b8…)`, or the bare address when unknown.
pub(crate) fn currency(address: &str) -> String {
    match token(address) {
        Some(t) => format!("{} ({address})", t.symbol),
        None => address.to_owned(),
    }
}

/// An amount given in the token's smallest unit (an integer string), in the token's units:
/// `95000000` of USDC is `95.00 USDC`. At least two decimals, more only when they are not zero.
/// An unknown token, or a value that is not a plain integer, is shown raw with the address.
pub(crate) fn token_amount(raw: &str, currency: &str) -> String {
    let digits = raw.trim();
    match token(currency) {
        Some(t) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            format!("{} {}", decimal(digits, t.decimals), t.symbol)
        }
        _ => format!("{raw} (smallest units of token {currency})"),
    }
}

/// `digits` / 10^decimals, exactly (no floating point), with 2 to `decimals` decimals.
fn decimal(digits: &str, decimals: u32) -> String {
    let decimals = decimals as usize;
    let padded = format!("{digits:0>width$}", width = decimals + 1);
    let (int, frac) = padded.split_at(padded.len() - decimals);
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let mut frac = frac.trim_end_matches('0').to_owned();
    while frac.len() < 2.min(decimals) {
        frac.push('0');
    }
    if frac.is_empty() { int.to_owned() } else { format!("{int}.{frac}") }
}

/// Where the base URL came from: a connection hint names it only when the user set it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BaseUrlFrom {
    Flag,
    Environment,
    /// OpenRouter's own (or the built-in fake server's): nothing for the user to check.
    Default,
}

/// A library error in command-line terms: the message (with its causes) and a hint that names
/// flags and environment variables, not builder methods.
pub(crate) fn describe(err: &Error, base_url: BaseUrlFrom) -> (String, Option<String>) {
    let message = match err {
        Error::Timeout { operation, attempts, timeout, total_timeout, .. } => format!(
            "{operation}: timed out after {attempts} attempt{} ({})",
            if *attempts == 1 { "" } else { "s" },
            match total_timeout {
                Some(total) => format!("the deadline of {} s passed", total.as_secs_f64()),
                None => format!(
                    "per-attempt timeout {}",
                    timeout.map_or_else(|| "none".to_owned(), |t| format!("{} s", t.as_secs_f64()))
                ),
            },
        ),
        Error::BothFailed { key, credits, .. } => format!(
            "both requests failed, nothing was read: {}; {}",
            describe(key, base_url).0,
            describe(credits, base_url).0
        ),
        Error::InvalidInput { field, rule, .. } => format!("invalid {}: {rule}", flag_for(field)),
        other => with_causes(other),
    };
    let hint = match err {
        Error::BothFailed { key, .. } => describe(key, base_url).1,
        Error::Timeout { operation, .. } if operation.is_idempotent() => {
            Some("the server is slow or unreachable: try again, or raise --timeout (seconds)".to_owned())
        }
        Error::Transport { connect: true, source, attempts, .. } => {
            Some(connect_hint(source.kind(), *attempts, base_url))
        }
        other => other.hint().map(cli_terms),
    };
    (cli_terms(&message), hint)
}

/// Nothing was sent: what to check, naming the base URL's flag or variable only when the user
/// set it, and how many attempts `--retries` made.
fn connect_hint(kind: TransportKind, attempts: u32, base_url: BaseUrlFrom) -> String {
    let what = match kind {
        TransportKind::Dns => "the host name",
        TransportKind::Tls => "the scheme (http or https) and the port",
        _ => "the host and port (is the server running?)",
    };
    let check = match base_url {
        BaseUrlFrom::Flag => format!("check {what} in --base-url"),
        BaseUrlFrom::Environment => format!("check {what} in OPENROUTER_BASE_URL"),
        BaseUrlFrom::Default if kind == TransportKind::Dns => "check the network (DNS)".to_owned(),
        BaseUrlFrom::Default => "check the network".to_owned(),
    };
    let tries = match attempts {
        1 => "tried once".to_owned(),
        n => format!("tried {n} times in quick succession (--retries none tries once)"),
    };
    format!("{check}; {tries}")
}

/// The error's message followed by each cause not already spelled in it, down to the
/// `TransportError`, which names the root cause.
fn with_causes(err: &dyn std::error::Error) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        // It names its root cause once already (`connection refused for 127.0.0.1:9 (os error
        // 111)`): the layers under it (reqwest's, hyper's) would only say it again.
        if cause.is::<TransportError>() {
            return message;
        }
        source = cause.source();
    }
    message
}

/// A number the API sends as a JSON float that is a whole number by nature (a chain id,
/// `8453.0` once decoded into an `f64`) printed as the integer it is: `8453`.
pub(crate) fn whole_number(value: &mut serde_json::Value, pointer: &str) {
    if let Some(slot) = value.pointer_mut(pointer) {
        // `as i64` saturates; the round trip keeps only values it represents exactly.
        if let Some(n) = slot.as_f64().filter(|n| n.fract() == 0.0 && (*n as i64) as f64 == *n) {
            *slot = (n as i64).into();
        }
    }
}

/// The flag or variable a library field name stands for.
fn flag_for(field: &str) -> &str {
    match field {
        "base_url" => "--base-url",
        "amount" => "--amount",
        "sender" => "--sender",
        "chain_id" => "--chain",
        "timeout" => "--timeout",
        "api_key" => "OPENROUTER_API_KEY",
        "bearer" | "security" => "--bearer",
        other => other,
    }
}

/// Library wording that names Rust API, rewritten to name flags and variables.
fn cli_terms(text: &str) -> String {
    [
        (".timeout(..)", "--timeout"),
        (
            "(if it is a management key, say so with ClientBuilder::api_key_is_management_key(true))",
            "(if it is a management key, set it as OPENROUTER_MANAGEMENT_KEY)",
        ),
        ("ClientBuilder::management_key(..) or OPENROUTER_MANAGEMENT_KEY", "OPENROUTER_MANAGEMENT_KEY"),
        ("ClientBuilder::api_key(..) or OPENROUTER_API_KEY", "OPENROUTER_API_KEY"),
        ("client.spendable() (or `openrouter-credits`)", "`openrouter-credits`"),
        ("client.spendable()", "`openrouter-credits`"),
        ("ClientBuilder::api_key or OPENROUTER_API_KEY", "OPENROUTER_API_KEY"),
        ("ClientBuilder::api_key", "OPENROUTER_API_KEY"),
        ("ClientBuilder::management_key or OPENROUTER_MANAGEMENT_KEY", "OPENROUTER_MANAGEMENT_KEY"),
        ("pass it with ClientBuilder::management_key (or OPENROUTER_MANAGEMENT_KEY)", "set OPENROUTER_MANAGEMENT_KEY"),
        ("; see ClientBuilder::add_root_certificate", ""),
        ("check the network and the base URL", "check the network and --base-url (or OPENROUTER_BASE_URL)"),
        ("the host name in the base URL", "the host name in --base-url (or OPENROUTER_BASE_URL)"),
        ("ClientBuilder::base_url", "--base-url"),
        (" (ClientBuilder::max_response_bytes)", ""),
        ("raise the timeout", "raise --timeout"),
    ]
    .iter()
    .fold(text.to_owned(), |text, (from, to)| text.replace(from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    const USDC: &str = "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48";

    #[test]
    fn token_amounts_are_in_the_tokens_units() {
        assert_eq!(token_amount("95000000", USDC), "95.00 USDC");
        assert_eq!(token_amount("5000000", &USDC.to_uppercase().replace("0X", "0x")), "5.00 USDC");
        assert_eq!(token_amount("1234567", USDC), "1.234567 USDC");
        assert_eq!(token_amount("1", USDC), "0.000001 USDC");
        assert_eq!(token_amount("0", USDC), "0.00 USDC");
        assert_eq!(token_amount("950000", USDC), "0.95 USDC");
        assert_eq!(token_amount("123456789012345678901234567890", USDC), "123456789012345678901234.56789 USDC");
        assert_eq!(token_amount("12", "0xdead"), "12 (smallest units of token 0xdead)");
        assert_eq!(token_amount("1.5", USDC), format!("1.5 (smallest units of token {USDC})"));
        assert_eq!(currency(USDC), format!("USDC ({USDC})"));
        assert_eq!(currency("0xdead"), "0xdead");
    }

    #[test]
    fn library_wording_becomes_flags() {
        // (A timeout's wording is tested on a real call in tests/cli.rs: error variants cannot be
        // made by hand outside the library.)
        let err = openrouter_credits::Client::builder().base_url("http://example.com").build().unwrap_err();
        let (message, _) = describe(&err, BaseUrlFrom::Flag);
        assert!(message.starts_with("invalid --base-url: must use https"), "{message}");
        assert_eq!(cli_terms("raise it with .timeout(..)"), "raise it with --timeout");
    }

    #[test]
    fn whole_numbers_print_as_integers() {
        let mut v = serde_json::json!({"a": {"id": 8453.0, "odd": 1.5, "huge": 1e300}});
        for pointer in ["/a/id", "/a/odd", "/a/huge", "/a/missing"] {
            whole_number(&mut v, pointer);
        }
        assert!(v["a"]["id"].is_i64() && v["a"]["id"] == 8453, "{v}");
        assert!(v["a"]["odd"].is_f64() && v["a"]["huge"].is_f64(), "not whole, or too large for an i64: {v}");
        assert_eq!(v["a"]["id"].to_string(), "8453");
    }
}
