//! `check`: what can still be spent, as a monitoring plugin (Nagios, Icinga, Sensu, Zabbix
//! agents) reports it: one status line with performance data, then one line per layer, and the
//! exit codes 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
//!
//! It never answers from the fake server unasked (`source::monitor`), and never says OK, or a
//! figure of 0, on what it could not read.

use super::spendable::{self, is_binding, layer_json, resets, unknown_json, unknown_text, usd};
use crate::args::{CheckArgs, Global, State, Threshold};
use crate::output::{self, Out};
use crate::source::{self, MonitorError, Refused, Source};
use openrouter_credits::{Layer, Spendable, UnknownLayer};
use serde_json::{Value, json};
use std::time::Duration;

/// The end of `check --help`.
pub(crate) const AFTER_HELP: &str = "\
Thresholds: USD left on the binding layer (--warn 20), or a share of its limit left (--warn 20%);
a state is reached when less than the threshold is left. A binding layer with nothing left is
CRITICAL whatever the thresholds.

Output, in the monitoring-plugin format: one status line on stdout,
  OPENROUTER <OK|WARNING|CRITICAL|UNKNOWN> - <USD left on the binding layer> | <performance data>
then one line per layer. Performance data: spendable=<USD left>;<warn>;<crit>;0;<limit> for the
binding layer (thresholds in USD), then '<layer>'=<USD left>;;;;<limit> for each layer read, and
'free-model requests'=<left>;;;0;<limit> when reported. No unit: USD is not a plugin unit. A
layer that was not read has no figure, never 0.

Exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. UNKNOWN: no key set (without --demo), a
bad flag, or nothing could be read; never OK. A reading, retries included, takes at most 30 s
(or one --timeout, when that is longer), under the 60 s Nagios and Icinga give a check.

Layers not read: a layer the keys cannot read by design (the account's balance without
OPENROUTER_MANAGEMENT_KEY) is listed, and counts as --unknown-layer says (default ok). A layer
whose request failed counts as UNKNOWN at least. The verdict is the worst of the binding layer's
and the unread layers', in the order OK < WARNING < UNKNOWN < CRITICAL (a layer not read may be
the one that is critical).

Example, as a Nagios or Icinga command:
  openrouter-credits check --warn 20 --crit 5";

impl State {
    /// The fixed word of the status line.
    pub(crate) fn word(self) -> &'static str {
        match self {
            State::Ok => "OK",
            State::Warning => "WARNING",
            State::Critical => "CRITICAL",
            State::Unknown => "UNKNOWN",
        }
    }

    /// The monitoring-plugin exit code.
    pub(crate) fn code(self) -> u8 {
        match self {
            State::Ok => 0,
            State::Warning => 1,
            State::Critical => 2,
            State::Unknown => 3,
        }
    }
}

impl Threshold {
    /// In USD on `layer`: a share is of the layer's limit.
    fn usd(self, layer: &Layer) -> f64 {
        match self {
            Threshold::Usd(usd) => usd,
            Threshold::Percent(share) => layer.limit_usd.max(0.0) * share / 100.0,
        }
    }

    fn crossed(self, layer: &Layer) -> bool {
        layer.remaining_usd < self.usd(layer)
    }

    /// As given: `20`, `20%`.
    fn shown(self) -> String {
        match self {
            Threshold::Usd(usd) => number(usd),
            Threshold::Percent(share) => format!("{}%", number(share)),
        }
    }

    fn to_json(self) -> Value {
        match self {
            Threshold::Usd(usd) => json!({"usd": usd}),
            Threshold::Percent(share) => json!({"percent": share}),
        }
    }
}

/// Runs the check and prints its report; the state is the exit status.
pub(crate) async fn run(global: &Global, args: &CheckArgs, out: &mut Out) -> State {
    if let Err(message) = consistent(args) {
        return bad_arguments(&message, global.json, out);
    }
    let connection = match source::monitor(global, "check").await {
        Ok(connection) => connection,
        Err(MonitorError::Refused(Refused(message))) => return unknown(out, global.json, None, &message, None),
        Err(MonitorError::Failed(failure)) => {
            let (message, hint) = failure.describe(crate::base_url_from(global));
            return unknown(out, global.json, None, &message, hint.as_deref());
        }
    };
    let source = connection.source;
    let deadline = deadline(connection.deadline, connection.attempt);
    match spendable::read(&connection.client, deadline, connection.both_keys).await {
        Ok(spendable) => {
            let verdict = evaluate(&spendable, args);
            if global.json {
                out.json(&to_json(&spendable, args, &verdict, source));
            } else {
                print(&spendable, args, &verdict, source, out);
            }
            verdict.state
        }
        Err(failure) => {
            let (message, hint) = failure.describe(crate::base_url_from(global));
            let message = format!("could not read what can be spent: {message}");
            unknown(out, global.json, Some(source), &message, hint.as_deref())
        }
    }
}

/// How long a reading may take, retries included, unless one attempt is allowed longer: under
/// the 60 s Nagios and Icinga give a check before they kill it (and report that as CRITICAL).
const READING: Duration = Duration::from_secs(30);

/// The reading's deadline: the policy's (`connection`), cut to [`READING`] or to one attempt's
/// timeout when that is longer.
fn deadline(connection: Duration, attempt: Duration) -> Duration {
    connection.min(READING.max(attempt))
}

/// Thresholds in one unit that would reach CRITICAL before WARNING are refused.
fn consistent(args: &CheckArgs) -> Result<(), String> {
    match (args.warn, args.crit) {
        (Some(Threshold::Usd(warn)), Some(Threshold::Usd(crit)))
        | (Some(Threshold::Percent(warn)), Some(Threshold::Percent(crit)))
            if crit > warn =>
        {
            let (w, c) = (args.warn.map(Threshold::shown), args.crit.map(Threshold::shown));
            Err(format!(
                "--crit {} is above --warn {}: CRITICAL must not come before WARNING (less left is worse)",
                c.unwrap_or_default(),
                w.unwrap_or_default()
            ))
        }
        _ => Ok(()),
    }
}

/// A bad flag: UNKNOWN (3), on stdout where the monitor reads it (clap's own message is on
/// stderr).
pub(crate) fn bad_arguments(message: &str, json: bool, out: &mut Out) -> State {
    unknown(out, json, None, &format!("bad arguments: {message}"), Some("openrouter-credits check --help"))
}

/// UNKNOWN with why: no figure, no performance data.
fn unknown(out: &mut Out, json: bool, source: Option<Source>, message: &str, hint: Option<&str>) -> State {
    let demo = if source.is_some_and(Source::is_demo) { "DEMO: " } else { "" };
    let line = format!("OPENROUTER UNKNOWN - {demo}{}", one_line(message));
    if json {
        out.json(&json!({
            "status": State::Unknown.word(),
            "exit_code": State::Unknown.code(),
            "source": source.map(Source::as_str),
            "summary": line,
            "error": message,
        }));
    } else {
        out.line(&line);
    }
    output::print_error(output::Style::stderr(), message, hint);
    State::Unknown
}

/// The verdict of one reading.
struct Verdict {
    state: State,
    /// What the binding layer's figure means for the verdict: `less than --warn 20`.
    why: Option<String>,
}

fn evaluate(s: &Spendable, args: &CheckArgs) -> Verdict {
    let (mut state, why) = match s.binding() {
        None => (State::Ok, None),
        Some(layer) if layer.remaining_usd <= 0.0 => (State::Critical, Some("nothing left".to_owned())),
        Some(layer) => match (args.crit, args.warn) {
            (Some(crit), _) if crit.crossed(layer) => {
                (State::Critical, Some(format!("less than --crit {}", crit.shown())))
            }
            (_, Some(warn)) if warn.crossed(layer) => {
                (State::Warning, Some(format!("less than --warn {}", warn.shown())))
            }
            _ => (State::Ok, None),
        },
    };
    for unknown in s.unknown() {
        state = state.max(counts_as(unknown, args.unknown_layer));
    }
    Verdict { state, why }
}

/// How an unread layer counts: as the user says, and a failed read as UNKNOWN at least.
fn counts_as(unknown: &UnknownLayer, choice: State) -> State {
    if unknown.reason.is_failure() { choice.max(State::Unknown) } else { choice }
}

/// A figure for the performance data: up to 6 decimals, no trailing zeros (`17.5`, `10`).
fn number(v: f64) -> String {
    let text = format!("{v:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" { "0".to_owned() } else { text.to_owned() }
}

/// A performance-data label: quoted when it has a space; `'` and `=` cannot appear in one.
fn label(name: &str) -> String {
    let name = name.replace(['\'', '='], "_");
    if name.contains(' ') { format!("'{name}'") } else { name }
}

/// `spendable=17.5;20;5;0;50 'member budget …'=17.5;;;;50 …`
fn perfdata(s: &Spendable, args: &CheckArgs) -> String {
    let mut items = Vec::new();
    if let (Some(left), Some(binding)) = (s.remaining_usd(), s.binding()) {
        let threshold = |t: Option<Threshold>| t.map(|t| number(t.usd(binding))).unwrap_or_default();
        items.push(format!(
            "spendable={};{};{};0;{}",
            number(left),
            threshold(args.warn),
            threshold(args.crit),
            number(binding.limit_usd)
        ));
    }
    for layer in s.layers() {
        items.push(format!(
            "{}={};;;;{}",
            label(&layer.to_string()),
            number(layer.remaining_usd),
            number(layer.limit_usd)
        ));
    }
    if let Some(free) = s.free_model_requests() {
        items.push(format!("{}={};;;0;{}", label("free-model requests"), free.remaining, free.limit));
    }
    items.join(" ")
}

/// The status line without its performance data.
fn summary(s: &Spendable, verdict: &Verdict, source: Source) -> String {
    let mut text = format!("OPENROUTER {} - ", verdict.state.word());
    if source.is_demo() {
        text.push_str("DEMO (made-up figures from the built-in fake server): ");
    }
    match (s.remaining_usd(), s.binding()) {
        (Some(left), Some(layer)) => {
            text.push_str(&format!("{} USD left on {layer} (binding", usd(left)));
            if let Some(reset) = resets(layer) {
                text.push_str(&format!(", resets {reset}"));
            }
            text.push(')');
            if let Some(why) = &verdict.why {
                text.push_str(&format!(", {why}"));
            }
        }
        _ => text.push_str("no layer the keys can read limits spending"),
    }
    let unread: Vec<String> =
        s.unknown()
            .iter()
            .map(|u| {
                if u.reason.is_failure() {
                    format!("{} READ FAILED", u.layers)
                } else {
                    format!("{} not read", u.layers)
                }
            })
            .collect();
    if !unread.is_empty() {
        text.push_str(&format!("; {}", unread.join(", ")));
    }
    text
}

fn print(s: &Spendable, args: &CheckArgs, verdict: &Verdict, source: Source, out: &mut Out) {
    out.line(&format!("{} | {}", summary(s, verdict, source), perfdata(s, args)));
    for layer in s.layers() {
        let share = match layer.limit_usd > 0.0 {
            true => format!(" ({}%)", number((layer.remaining_usd / layer.limit_usd * 1000.0).round() / 10.0)),
            false => String::new(),
        };
        let reset = resets(layer).map(|r| format!(", resets {r}")).unwrap_or_default();
        let binding = if is_binding(s, layer) { " [binding]" } else { "" };
        out.line(&format!(
            "{layer}: {} of {} USD left{share}{reset}{binding}",
            usd(layer.remaining_usd),
            usd(layer.limit_usd)
        ));
    }
    for unknown in s.unknown() {
        let counts = counts_as(unknown, args.unknown_layer).word();
        out.line(&format!("{}: {} (counts as {counts})", unknown.layers, unknown_text(unknown)));
    }
    if let Some(free) = s.free_model_requests() {
        out.line(&format!("free-model requests: {} of {} left today", free.remaining, free.limit));
    }
}

fn to_json(s: &Spendable, args: &CheckArgs, verdict: &Verdict, source: Source) -> Value {
    let layers: Vec<Value> = s.layers().iter().map(|l| layer_json(l, is_binding(s, l))).collect();
    let unknown: Vec<Value> = s
        .unknown()
        .iter()
        .map(|u| {
            let mut value = unknown_json(u);
            value["counts_as"] = counts_as(u, args.unknown_layer).word().into();
            value
        })
        .collect();
    json!({
        "status": verdict.state.word(),
        "exit_code": verdict.state.code(),
        "source": source.as_str(),
        "summary": summary(s, verdict, source),
        "perfdata": perfdata(s, args),
        "remaining_usd": s.remaining_usd(),
        "binding": s.binding().map(|l| layer_json(l, true)),
        "thresholds": {
            "warn": args.warn.map(Threshold::to_json),
            "crit": args.crit.map(Threshold::to_json),
            "unknown_layer": args.unknown_layer.word(),
        },
        "layers": layers,
        "unknown": unknown,
        "free_model_requests": s.free_model_requests().map(|f| json!({"limit": f.limit, "used": f.used, "remaining": f.remaining})),
    })
}

/// A message on one line (the status line is one).
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_and_labels_in_the_plugin_format() {
        assert_eq!(number(17.5), "17.5");
        assert_eq!(number(10.0), "10");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(-0.0), "0");
        assert_eq!(number(-2.25), "-2.25");
        assert_eq!(label("spendable"), "spendable");
        assert_eq!(label("member budget a1"), "'member budget a1'");
        assert_eq!(label("odd 'x'=1"), "'odd _x__1'");
    }

    #[test]
    fn a_reading_ends_before_the_monitor_kills_the_check() {
        let s = Duration::from_secs;
        // The policy's minute of retries after a 30 s attempt: cut to 30 s.
        assert_eq!(deadline(s(90), s(30)), s(30));
        // No retries (--retries none): the one attempt's own.
        assert_eq!(deadline(s(5), s(5)), s(5));
        // A longer --timeout is one attempt's worth, not a minute more.
        assert_eq!(deadline(s(105), s(45)), s(45));
    }

    #[test]
    fn unknown_outranks_warning_and_critical_outranks_all() {
        assert!(State::Ok < State::Warning && State::Warning < State::Unknown && State::Unknown < State::Critical);
        assert_eq!([State::Ok, State::Warning, State::Critical, State::Unknown].map(State::code), [0, 1, 2, 3]);
    }
}
