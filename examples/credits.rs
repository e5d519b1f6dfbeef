//! `cargo run --example credits -- [GLOBAL OPTIONS] [credits [--json] | charge …]`
//!
//! The README's main job. With `OPENROUTER_API_KEY` set it calls OpenRouter; without one (and
//! no `--base-url`) it starts the crate's built-in fake server and says so, so it runs on a
//! fresh machine with no key and no network.

use openrouter_credits::mock::MockServer;
use openrouter_credits::{ChainId, Client, ClientBuilder, CreateCoinbaseChargeSecurity, Error, RetryConfig};
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "usage: credits [OPTIONS] [COMMAND]

commands:
  credits [--json]            total credits, usage and remaining balance (default)
  charge --amount USD --sender 0xADDRESS --chain ethereum|polygon|base [--bearer TOKEN]
                              create a Coinbase charge (bearer also from OPENROUTER_BEARER)

options:
  --base-url URL              API root (default https://openrouter.ai/api/v1, or OPENROUTER_BASE_URL)
  --timeout SECONDS           per-attempt timeout (default 30)
  --retries none|default      retry policy (default: default)
  -v, --verbose               show each attempt
  -h, --help                  this text

Without OPENROUTER_API_KEY and --base-url, runs against the built-in fake server.";

#[derive(Debug, Default)]
struct Args {
    base_url: Option<String>,
    timeout: Option<f64>,
    retries_none: bool,
    verbose: bool,
    command: Command,
}

#[derive(Debug, Default)]
enum Command {
    #[default]
    Credits,
    CreditsJson,
    Charge {
        amount: Option<f64>,
        sender: Option<String>,
        chain: Option<ChainId>,
        bearer: Option<String>,
    },
}

fn parse_args() -> Result<Args, String> {
    use lexopt::prelude::*;
    let mut args = Args::default();
    let mut parser = lexopt::Parser::from_env();
    fn text(v: std::ffi::OsString) -> Result<String, String> {
        v.into_string().map_err(|_| "arguments must be UTF-8".to_owned())
    }
    fn value(parser: &mut lexopt::Parser) -> Result<String, String> {
        parser.value().map_err(|e| e.to_string()).and_then(text)
    }
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Long("base-url") => args.base_url = Some(value(&mut parser)?),
            Long("timeout") => {
                let v = value(&mut parser)?;
                let secs: f64 = v.parse().map_err(|_| format!("--timeout takes seconds, not `{v}`"))?;
                if !(secs.is_finite() && secs > 0.0) {
                    return Err("--timeout must be greater than 0".into());
                }
                args.timeout = Some(secs);
            }
            Long("retries") => match value(&mut parser)?.as_str() {
                "none" => args.retries_none = true,
                "default" => args.retries_none = false,
                other => return Err(format!("--retries takes none or default, not `{other}`")),
            },
            Short('v') | Long("verbose") => args.verbose = true,
            Short('h') | Long("help") => return Err(String::new()),
            Long("json") => match args.command {
                Command::Credits | Command::CreditsJson => args.command = Command::CreditsJson,
                _ => return Err("--json goes with the credits command".into()),
            },
            Long(flag @ ("amount" | "sender" | "chain" | "bearer")) => {
                let flag = flag.to_owned();
                let v = value(&mut parser)?;
                let Command::Charge { amount, sender, chain, bearer } = &mut args.command else {
                    return Err(format!("--{flag} goes with the charge command"));
                };
                match flag.as_str() {
                    "amount" => *amount = Some(v.parse().map_err(|_| format!("--amount takes a number, not `{v}`"))?),
                    "sender" => *sender = Some(v),
                    "chain" => *chain = Some(v.parse().map_err(|e: Error| format!("--chain: {e}"))?),
                    _ => *bearer = Some(v),
                }
            }
            Value(cmd) => match text(cmd)?.as_str() {
                "credits" => {}
                "charge" => args.command = Command::Charge { amount: None, sender: None, chain: None, bearer: None },
                other => return Err(format!("unknown command `{other}`")),
            },
            other => return Err(other.unexpected().to_string()),
        }
    }
    Ok(args)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if args.verbose {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("openrouter_credits=debug"))
            .with_writer(std::io::stderr)
            .init();
    }
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            if let Some(hint) = e.hint() {
                eprintln!("hint: {hint}");
            }
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Error> {
    let mut builder = ClientBuilder::from_env().app_title("openrouter-credits CLI");
    let has_key = std::env::var("OPENROUTER_API_KEY").is_ok_and(|k| !k.trim().is_empty());
    let has_url = args.base_url.is_some() || std::env::var("OPENROUTER_BASE_URL").is_ok_and(|u| !u.trim().is_empty());
    // Kept alive for the whole run when used.
    let mut _fake = None;
    let fake = !has_key && !has_url;
    if fake {
        let server = MockServer::start()
            .await
            .map_err(|e| Error::InvalidInput { field: "fake server", rule: format!("could not start: {e}") })?;
        eprintln!(
            "note: OPENROUTER_API_KEY is not set; using the built-in fake OpenRouter server at {}",
            server.base_url()
        );
        builder = builder.api_key("sk-or-v1-fake-key").base_url(server.base_url());
        _fake = Some(server);
    }
    if let Some(url) = &args.base_url {
        builder = builder.base_url(url);
    }
    if let Some(secs) = args.timeout {
        builder = builder.timeout(Duration::from_secs_f64(secs));
    }
    if args.retries_none {
        builder = builder.retries(RetryConfig::none());
    }
    let client = builder.build()?;

    match args.command {
        Command::Credits => print_credits(&client).await,
        Command::CreditsJson => {
            let credits = client.credits().get_credits().await?;
            println!("{}", serde_json::to_string_pretty(&credits).unwrap_or_default());
            Ok(())
        }
        Command::Charge { amount, sender, chain, bearer } => {
            let bearer = bearer
                .or_else(|| std::env::var("OPENROUTER_BEARER").ok())
                .or_else(|| fake.then(|| "fake-bearer-token".to_owned()))
                .ok_or(Error::InvalidInput {
                    field: "bearer",
                    rule: "is required: pass --bearer or set OPENROUTER_BEARER".into(),
                })?;
            let mut call = client.credits().create_coinbase_charge(CreateCoinbaseChargeSecurity::bearer(bearer));
            if let Some(a) = amount {
                call = call.amount(a);
            }
            if let Some(s) = sender {
                call = call.sender(s);
            }
            if let Some(c) = chain {
                call = call.chain_id(c);
            }
            let charge = call.await?.data;
            let intent = &charge.web3_data.transfer_intent;
            let c = &intent.call_data;
            let rows = [
                ("charge id", charge.id.as_str()),
                ("created at", &charge.created_at),
                ("expires at", &charge.expires_at),
                ("recipient", &c.recipient),
                ("recipient amount", &c.recipient_amount),
                ("recipient currency", &c.recipient_currency),
                ("fee amount", &c.fee_amount),
                ("deadline", &c.deadline),
                ("operator", &c.operator),
                ("refund destination", &c.refund_destination),
                ("contract address", &intent.metadata.contract_address),
                ("sender", &intent.metadata.sender),
            ];
            for (k, v) in rows {
                println!("{k:<20} {v}");
            }
            println!("{:<20} {}", "chain id", intent.metadata.chain_id);
            Ok(())
        }
    }
}

async fn print_credits(client: &Client) -> Result<(), Error> {
    let data = client.credits().get_credits().await?.data;
    let rows = [
        ("total credits", data.total_credits),
        ("total usage", data.total_usage),
        ("remaining", data.total_credits - data.total_usage),
    ];
    let width = rows.iter().map(|(_, v)| format!("{v:.2}").len()).max().unwrap_or(0);
    for (label, value) in rows {
        println!("{label:<14} {value:>width$.2}");
    }
    Ok(())
}
