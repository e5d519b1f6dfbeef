//! `watch`: reads what can be spent every `--interval`, serves it to Prometheus (`--listen`) or
//! prints a line per reading, and fires alerts once per crossing. Stops on SIGTERM or Ctrl-C
//! (exit 0).
//!
//! Data flows one way: `client.spendable()` → [`reading::Observation`] → the metrics
//! ([`metrics`], published to [`server`]), the alert state machine ([`alerts`]) → the printed
//! lines and the alert command ([`notify`]); [`schedule`] says when to read again.

mod alerts;
mod metrics;
mod notify;
mod reading;
mod schedule;
mod server;

use crate::source::Source;
use crate::{Failure, Outcome};
use alerts::{AlertState, Threshold};
use clap::Args;
use metrics::Metrics;
use openrouter_credits::Client;
use reading::{LayerView, Observation, Reading};
use serde_json::{Value, json};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::task::JoinSet;

/// The API root when neither `--base-url` nor `OPENROUTER_BASE_URL` says otherwise.
const DEFAULT_BASE_URL: &str = "https://openrouter.ai/api/v1";
/// How long alert commands still running at shutdown are waited for.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Flags of `watch`.
#[derive(Clone, Debug, Args)]
pub(crate) struct WatchArgs {
    /// Time between readings: seconds (`60`) or with a unit (`90s`, `5m`), jittered by ±10 %;
    /// after failures it doubles up to 15 min, and a server's Retry-After is waited out. At least
    /// 5 s against OpenRouter (protecting it, and the key's rate limit); any value against a
    /// loopback base URL (the fake server in tests).
    #[arg(long, value_name = "DURATION", default_value = "60", value_parser = duration)]
    pub(crate) interval: Duration,
    /// Serve Prometheus metrics on ADDR (`127.0.0.1:9464`): `/metrics`, from the last reading
    /// (a scrape never calls OpenRouter), and `/healthz` (503 once the last successful reading is
    /// older than --stale-after). Without it, a line per reading is printed.
    #[arg(long, value_name = "ADDR")]
    pub(crate) listen: Option<SocketAddr>,
    /// /healthz turns unhealthy when no reading succeeded for this long [default: 3 × --interval].
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub(crate) stale_after: Option<Duration>,
    /// Alert thresholds, per layer: USD left (`5`) and/or share of the layer's limit used
    /// (`50%,80%,95%`). Each crossing fires once, as a JSON line on stdout (only the most severe
    /// threshold newly crossed); re-armed when the layer's window resets or it rises back by a
    /// margin (5 points of the limit for a share; 10 %, at least 0.01 USD, for USD left). A failed
    /// reading alerts once per outage, never as 0 left.
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = Threshold::parse, allow_negative_numbers = true)]
    pub(crate) alert_at: Vec<Threshold>,
    /// Run `sh -c CMD` for each alert, with the event in OPENROUTER_ALERT_* variables
    /// (OPENROUTER_ALERT_JSON: the whole line) and without the key variables. Killed after 30 s.
    #[arg(long, value_name = "CMD")]
    pub(crate) alert_command: Option<String>,
    /// Keep the alert state in FILE, so that a restart does not fire again what already fired.
    /// Without it a restart forgets: every threshold still crossed fires once more.
    #[arg(long, value_name = "FILE")]
    pub(crate) alert_state: Option<PathBuf>,
    /// Stop after N readings (exit 0) [default: until SIGTERM or Ctrl-C].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) count: Option<u64>,
}

/// The longest `--interval` or `--stale-after`: 30 days (so that no arithmetic on it overflows).
const MAX_DURATION: Duration = Duration::from_secs(30 * 86_400);

/// `60`, `1.5`, `90s`, `5m`, `250ms`: more than 0, at most 30 days.
fn duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let parsed = match s.parse::<f64>() {
        Ok(secs) => Duration::try_from_secs_f64(secs).ok(),
        Err(_) => humantime::parse_duration(s).ok(),
    };
    parsed.filter(|d| !d.is_zero() && *d <= MAX_DURATION).ok_or_else(|| {
        "must be a duration greater than 0 and at most 30 days: seconds (`60`, `1.5`) or with a unit (`90s`, `5m`)"
            .to_owned()
    })
}

/// The rules that need more than one flag, checked before anything starts: the interval's floor
/// against a base URL that is not loopback. `base_url`: `--base-url`, else `OPENROUTER_BASE_URL`.
pub(crate) fn check(args: &WatchArgs, base_url: Option<&str>) -> Result<(), String> {
    let url = base_url.unwrap_or(DEFAULT_BASE_URL);
    if args.interval < schedule::MIN_INTERVAL && !is_loopback(url) {
        return Err(format!(
            "--interval {} s is below the {} s floor that protects OpenRouter (and the key's rate limit); \
             shorter intervals are allowed only against a loopback base URL (the fake server)",
            args.interval.as_secs_f64(),
            schedule::MIN_INTERVAL.as_secs()
        ));
    }
    Ok(())
}

fn is_loopback(url: &str) -> bool {
    match url::Url::parse(url).ok().and_then(|u| u.host().map(|h| h.to_owned())) {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Runs until SIGTERM, Ctrl-C, `--count` readings, or a closed stdout.
/// On the demo (`--demo`: the built-in fake server) every line says so (`DEMO` first, or
/// `"source": "demo"`), the metrics carry `openrouter_source_info{source="demo"}` and the alert
/// command gets `OPENROUTER_ALERT_SOURCE=demo`.
pub(crate) async fn run(
    client: &Client,
    args: &WatchArgs,
    json: bool,
    source: Source,
    deadline: Duration,
) -> Result<Outcome, Failure> {
    let interval = args.interval;
    let mut metrics = Metrics::new(interval, source.as_str());
    let shared =
        Arc::new(server::Shared::new(metrics.registry(None), args.stale_after.unwrap_or(interval.saturating_mul(3))));
    // Installed before the first reading, so that a SIGTERM during it is not lost.
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| Failure::Setup(format!("could not install the SIGTERM handler: {e}")))?;
    // A Ctrl-C handler that cannot be installed never fires (rather than stopping at once).
    let mut interrupt = std::pin::pin!(async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    });
    let listener = match args.listen {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| Failure::Setup(format!("could not listen on {addr}: {e}")))?;
            let local = listener.local_addr().map_or(addr, |a| a);
            eprintln!("listening on http://{local} (/metrics, /healthz)");
            Some(tokio::spawn(server::serve(listener, Arc::clone(&shared))))
        }
        None => None,
    };
    let mut alerts = match &args.alert_state {
        Some(path) => load_state(path),
        None => AlertState::default(),
    };
    let mut state_warned = false;
    let mut commands = JoinSet::new();
    let (mut readings, mut failures) = (0u64, 0u32);
    loop {
        let result = tokio::select! {
            result = client.spendable().timeout(deadline).send() => result,
            _ = terminate.recv() => break,
            _ = &mut interrupt => break,
        };
        let now = SystemTime::now();
        let time = humantime::format_rfc3339_seconds(now).to_string();
        let observation = Observation::from_result(result);
        readings += 1;
        failures = if observation.is_failure() { failures.saturating_add(1) } else { 0 };
        let delay = schedule::next_delay(interval, failures, observation.retry_after(), fastrand::f64() * 2.0 - 1.0);
        shared.publish(metrics.observe(&observation, now), !observation.is_failure());

        let before = alerts.clone();
        let events = alerts.step(&args.alert_at, &observation, now);
        if let (Some(path), true) = (&args.alert_state, alerts != before)
            && let Err(e) = save_state(path, &alerts)
            && !std::mem::replace(&mut state_warned, true)
        {
            eprintln!("warning: could not save the alert state to {}: {e}", path.display());
        }
        let mut lines = Vec::new();
        if args.listen.is_none() {
            lines.push(if json {
                let mut value = reading_json(&observation, &time, delay);
                value["source"] = source.as_str().into();
                value.to_string()
            } else if source.is_demo() {
                format!("DEMO {}", reading_line(&observation, &time, delay))
            } else {
                reading_line(&observation, &time, delay)
            });
        }
        lines.extend(events.iter().map(|e| {
            let mut value = e.to_json(&time);
            value["source"] = source.as_str().into();
            value.to_string()
        }));
        // The command first: it still gets the events if stdout turns out to be closed.
        if let Some(command) = &args.alert_command {
            for event in &events {
                notify::spawn(&mut commands, command, event, &time, source.as_str());
            }
        }
        if print(&lines).is_err() {
            // Whoever read stdout is gone: nothing more can be said.
            break;
        }
        while commands.try_join_next().is_some() {}
        if args.count.is_some_and(|n| readings >= n) {
            break;
        }
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            _ = terminate.recv() => break,
            _ = &mut interrupt => break,
        }
    }
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, async { while commands.join_next().await.is_some() {} }).await;
    if let Some(task) = listener {
        task.abort();
    }
    Ok(Outcome::Done)
}

/// Writes the lines at once; an error means stdout is closed.
fn print(lines: &[String]) -> std::io::Result<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    for line in lines {
        writeln!(out, "{line}")?;
    }
    out.flush()
}

/// A missing file is a fresh start; one that cannot be read or parsed too, with a warning (the
/// alerts still crossed then fire again: better twice than never).
fn load_state(path: &Path) -> AlertState {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).unwrap_or_else(|e| {
            eprintln!("warning: the alert state in {} is not readable ({e}); starting afresh", path.display());
            AlertState::default()
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => AlertState::default(),
        Err(e) => {
            eprintln!("warning: could not read the alert state from {} ({e}); starting afresh", path.display());
            AlertState::default()
        }
    }
}

/// Written beside, then renamed over: a crash never leaves half a file.
fn save_state(path: &Path, state: &AlertState) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, serde_json::to_vec(state).map_err(std::io::Error::other)?)?;
    std::fs::rename(&tmp, path)
}

fn usd(v: f64) -> String {
    format!("{v:.2}")
}

/// `2026-12-08T01:50:00Z  17.50 USD  member budget … binds  member budget 17.50/50.00, …`
fn reading_line(observation: &Observation, time: &str, next: Duration) -> String {
    match observation {
        Observation::Failed(f) => format!(
            "{time}  unknown    reading failed ({}): {}; next reading in {:.0} s",
            f.kind,
            f.message,
            next.as_secs_f64()
        ),
        Observation::Read(r) => {
            let figure = r.spendable_usd().map_or_else(|| "unknown".to_owned(), |v| format!("{} USD", usd(v)));
            let binds = match r.binding_layer() {
                Some(layer) => format!("{} binds", layer.name),
                None => "no layer limits spending".to_owned(),
            };
            let layers: Vec<String> =
                r.layers.iter().map(|l| format!("{} {}/{}", l.name, usd(l.remaining_usd), usd(l.limit_usd))).collect();
            let mut line = format!("{time}  {figure:<9}  {binds}  left/limit: {}", layers.join(", "));
            for u in &r.unknown {
                line.push_str(&format!("; {}: unknown ({})", u.layer, u.reason.replace('_', " ")));
            }
            if r.failed() {
                line.push_str(&format!("; next reading in {:.0} s", next.as_secs_f64()));
            }
            line
        }
    }
}

fn layer_json(layer: &LayerView, binding: bool) -> Value {
    json!({
        "kind": layer.key.kind,
        "scope": layer.key.scope,
        "id": (!layer.key.id.is_empty()).then_some(&layer.key.id),
        "name": layer.name,
        "limit_usd": layer.limit_usd,
        "spent_usd": layer.spent_usd,
        "remaining_usd": layer.remaining_usd,
        "reset_interval": layer.reset_interval,
        "resets_at": layer.resets_at,
        "binding": binding,
    })
}

/// One JSON object per reading (`"type": "reading"`); alerts are `"type": "alert"`.
fn reading_json(observation: &Observation, time: &str, next: Duration) -> Value {
    let next = (next.as_secs_f64() * 1000.0).round() / 1000.0;
    match observation {
        Observation::Failed(f) => json!({
            "type": "reading",
            "time": time,
            "spendable_usd": null,
            "error": {"kind": f.kind, "message": f.message},
            "next_reading_in_seconds": next,
        }),
        Observation::Read(r) => reading_value(r, time, next),
    }
}

fn reading_value(r: &Reading, time: &str, next: f64) -> Value {
    json!({
        "type": "reading",
        "time": time,
        "spendable_usd": r.spendable_usd(),
        "binding": r.binding_layer().map(|l| l.name.clone()),
        "layers": r.layers.iter().enumerate().map(|(i, l)| layer_json(l, r.binding == Some(i))).collect::<Vec<_>>(),
        "unknown": r.unknown.iter().map(|u| json!({"layer": u.layer, "reason": u.reason, "failure": u.failure, "message": u.message})).collect::<Vec<_>>(),
        "free_model_requests": r.free_model_requests.map(|(limit, used, remaining)| json!({"limit": limit, "used": used, "remaining": remaining})),
        "next_reading_in_seconds": next,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(interval: &str) -> WatchArgs {
        WatchArgs {
            interval: duration(interval).unwrap(),
            listen: None,
            stale_after: None,
            alert_at: Vec::new(),
            alert_command: None,
            alert_state: None,
            count: None,
        }
    }

    #[test]
    fn durations() {
        assert_eq!(duration("60"), Ok(Duration::from_secs(60)));
        assert_eq!(duration("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(duration("30d"), Ok(MAX_DURATION));
        for bad in ["0", "-1", "nan", "soon", "", "1e400", "1e12", "31d"] {
            assert!(duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_floor_protects_openrouter_not_loopback() {
        assert!(check(&args("1"), None).unwrap_err().contains("below the 5 s floor"));
        assert!(check(&args("1"), Some("https://openrouter.ai/api/v1")).is_err());
        assert!(check(&args("4.9"), Some("http://10.0.0.1:8080/api/v1")).is_err());
        assert!(check(&args("5"), None).is_ok());
        for loopback in ["http://127.0.0.1:1234/api/v1", "http://[::1]:80/", "http://localhost:9/", "http://127.8.0.1/"]
        {
            assert!(check(&args("0.01"), Some(loopback)).is_ok(), "{loopback}");
        }
        assert!(check(&args("1"), Some("http://localhost.example.com/")).is_err());
    }
}
