//! [`Blocked`]: which money, permission or rate layer refused a request, read from any
//! OpenRouter response (the crate's own calls and the program's model calls alike), with what
//! waiting would do about it; [`BlockedBy`] names the layer.
//!
//! Upstream's error body is `{"error": {"code", "message", "metadata"?}}`; for a refusal about
//! money its `metadata` carries `limit_source` (which layer), `reason`, `scope`, `limit_usd`,
//! `spend_usd`, `resets_at` and `remedy_hint`, and the headers `Retry-After` or
//! `X-RateLimit-*`. `limit_source` decides; `reason` next; the status, the headers and the
//! message's words only when the body has neither (older servers, proxies). Server text is
//! redacted before it is kept.

use crate::redact;
use crate::timestamp;
use reqwest::header::HeaderMap;
use serde_json::Value;
use std::fmt;
use std::time::{Duration, SystemTime};

/// What refused a request, when it was money, a budget layer, the kind of key or a rate limit.
/// From [`Blocked::by`], or [`Error::blocked_by`](crate::Error::blocked_by) for the crate's own
/// calls.
///
/// ```
/// # async fn demo(client: openrouter_credits::Client) {
/// use openrouter_credits::BlockedBy;
/// if let Err(e) = client.credits().get_credits().await {
///     match e.blocked_by() {
///         Some(BlockedBy::Budget | BlockedBy::KeyLimit) => eprintln!("a limit is spent: {e}"),
///         Some(BlockedBy::AccountCredits) => eprintln!("add credits"),
///         Some(BlockedBy::InFlightBudget) => eprintln!("retry after {:?}", e.retry_after()),
///         _ => eprintln!("{e}"),
///     }
/// }
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BlockedBy {
    /// 402 `openrouter_credits` (or a 402 without metadata, a wait or other words): the account
    /// is out of credits. Waiting does not help; adding credits does.
    AccountCredits,
    /// 402 `openrouter_credits` with `reason: weight_exceeds_budget` (or a 402 "can only
    /// afford"): this one request is priced above what the account may spend at once (a
    /// request without `max_tokens` is priced at the model's maximum output). The account is
    /// not empty, and waiting does not help: lower `max_tokens`, or add credits.
    RequestTooLarge,
    /// 402 `openrouter_in_flight_budget` (or a 402 with `Retry-After` and no metadata): requests
    /// still running hold the in-flight spending budget, a share of the balance. The balance is
    /// not the problem: retry after [`Blocked::retry_after`].
    InFlightBudget,
    /// 403 `openrouter_key_limit` (or "Key limit exceeded"): the key's own spending limit is
    /// spent until it resets, if it does.
    KeyLimit,
    /// 403 `openrouter_guardrail_budget` or `openrouter_workspace_budget` (or a 403 naming a
    /// budget or guardrail): a budget layer (member, key, workspace) is spent until it resets,
    /// if it does ([`Blocked::limit_source`] and [`Blocked::scope`] say which).
    Budget,
    /// 429 `openrouter_free_tier_daily` (or "free-models-per-day"): the free-model requests of
    /// the UTC day are used up, until `X-RateLimit-Reset`.
    FreeModelDaily,
    /// 403 "Only management keys can perform this operation": the call needs a management key.
    NotAManagementKey,
    /// 429: rate limited; waiting helps.
    RateLimit,
    /// A `limit_source` this version of the crate does not know ([`Blocked::limit_source`]
    /// keeps its text). Not taken for any known layer, so never for an empty account.
    UnknownLimit,
}

impl BlockedBy {
    /// What to do about it, naming the layer.
    pub(crate) fn hint(self) -> &'static str {
        match self {
            BlockedBy::AccountCredits => {
                "the account is out of credits: add credits at openrouter.ai/settings/credits (client.spendable() shows every layer)"
            }
            BlockedBy::RequestTooLarge => {
                "this one request is priced above what the account may spend at once (a request without max_tokens is priced at the model's maximum output): lower max_tokens, or add credits; waiting does not help"
            }
            BlockedBy::InFlightBudget => {
                "the balance is not the problem: requests still running hold the in-flight spending budget; retry after the wait the server gives (Retry-After), or send fewer requests at once"
            }
            BlockedBy::KeyLimit => {
                "this key's spending limit is spent: raise it at openrouter.ai/settings/keys, or wait for its reset (client.spendable() says when)"
            }
            BlockedBy::Budget => {
                "a budget layer is spent: client.spendable() (or `openrouter-credits`) shows which and when it resets; raise it in the guardrail or workspace settings, or wait"
            }
            BlockedBy::FreeModelDaily => {
                "the free-model requests of the day are used up: wait for the reset at UTC midnight (X-RateLimit-Reset), or use a paid model"
            }
            BlockedBy::NotAManagementKey => {
                "this needs a management key: create one at openrouter.ai/settings/management-keys and pass it with ClientBuilder::management_key (or OPENROUTER_MANAGEMENT_KEY)"
            }
            BlockedBy::RateLimit => "rate limited: wait as long as the server asks (Retry-After) and try again",
            BlockedBy::UnknownLimit => {
                "a limit this version of the crate does not know refused the request: read its message and limit_source"
            }
        }
    }

    /// Whether waiting is what helps, so a wait the server gives is reported.
    fn waiting_helps(self) -> bool {
        matches!(
            self,
            BlockedBy::InFlightBudget | BlockedBy::FreeModelDaily | BlockedBy::RateLimit | BlockedBy::UnknownLimit
        )
    }
}

impl fmt::Display for BlockedBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BlockedBy::AccountCredits => "the account's credits",
            BlockedBy::RequestTooLarge => "the request's price",
            BlockedBy::InFlightBudget => "the in-flight spending budget",
            BlockedBy::KeyLimit => "the key's limit",
            BlockedBy::Budget => "a budget layer",
            BlockedBy::FreeModelDaily => "the free-model daily quota",
            BlockedBy::NotAManagementKey => "not a management key",
            BlockedBy::RateLimit => "a rate limit",
            BlockedBy::UnknownLimit => "an unknown limit",
        })
    }
}

/// Upstream's `error.metadata.limit_source`: which layer refused. Open: a value this version
/// does not know is kept as [`LimitSource::Unknown`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LimitSource {
    /// `openrouter_credits`: the account's balance.
    Credits,
    /// `openrouter_in_flight_budget`: the in-flight spending budget.
    InFlightBudget,
    /// `openrouter_key_limit`: the key's own limit.
    KeyLimit,
    /// `openrouter_guardrail_budget`: a guardrail budget (member, key, workspace default).
    GuardrailBudget,
    /// `openrouter_workspace_budget`: a workspace budget.
    WorkspaceBudget,
    /// `openrouter_free_tier_daily`: the free-model daily request quota.
    FreeTierDaily,
    /// Any other value, as sent (redacted).
    Unknown(String),
}

impl LimitSource {
    const KNOWN: [(&'static str, LimitSource); 6] = [
        ("openrouter_credits", LimitSource::Credits),
        ("openrouter_in_flight_budget", LimitSource::InFlightBudget),
        ("openrouter_key_limit", LimitSource::KeyLimit),
        ("openrouter_guardrail_budget", LimitSource::GuardrailBudget),
        ("openrouter_workspace_budget", LimitSource::WorkspaceBudget),
        ("openrouter_free_tier_daily", LimitSource::FreeTierDaily),
    ];

    fn parse(text: &str) -> Self {
        Self::KNOWN
            .into_iter()
            .find(|(name, _)| *name == text)
            .map_or_else(|| LimitSource::Unknown(redact::key_like(text).into_owned()), |(_, known)| known)
    }

    /// The value as on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            LimitSource::Unknown(text) => text,
            known => Self::KNOWN.iter().find(|(_, k)| k == known).map_or("", |(name, _)| *name),
        }
    }
}

impl fmt::Display for LimitSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refusal for money, a budget, the kind of key or a rate limit, read from an OpenRouter
/// response: which layer ([`by`](Self::by)), whether and how long waiting helps
/// ([`retry_after`](Self::retry_after)), when the layer resets
/// ([`resets_at`](Self::resets_at)), and upstream's figures.
///
/// For a response the program got from any client (a model call through reqwest or an
/// OpenAI-compatible SDK), [`Blocked::from_response`]; for the crate's own calls,
/// [`Error::blocked`](crate::Error::blocked).
///
/// ```
/// use openrouter_credits::{Blocked, BlockedBy};
/// use reqwest::header::{HeaderMap, HeaderValue};
/// use std::time::Duration;
///
/// let mut headers = HeaderMap::new();
/// headers.insert("retry-after", HeaderValue::from_static("120"));
/// let body = br#"{"error": {"code": 402, "message": "In-flight budget exhausted",
///     "metadata": {"limit_source": "openrouter_in_flight_budget", "reason": "in_flight_budget_exhausted"}}}"#;
/// let blocked = Blocked::from_response(402, &headers, body).expect("a refusal");
/// assert_eq!(blocked.by(), BlockedBy::InFlightBudget);
/// assert_eq!(blocked.retry_after(), Some(Duration::from_secs(120)));
/// assert!(blocked.to_string().contains("the balance is not the problem"));
///
/// // Anything that is not a refusal is `None`.
/// assert!(Blocked::from_response(200, &HeaderMap::new(), b"{}").is_none());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Blocked {
    status: u16,
    by: BlockedBy,
    limit_source: Option<LimitSource>,
    scope: Option<String>,
    limit_usd: Option<f64>,
    spend_usd: Option<f64>,
    reason: Option<String>,
    remedy_hint: Option<String>,
    message: Option<String>,
    retry_after: Option<Duration>,
    resets_at: Option<SystemTime>,
}

/// How much of a body that is not JSON is kept as the message, and read for words.
const TEXT_KEPT: usize = 1024;

/// How much of a server text `Display` shows.
const SHOWN: usize = 200;

impl Blocked {
    /// Reads a response: `Some` for a refusal (402, 403, 429) that names a layer, `None` for
    /// anything else (a success, another status, a 403 with neither metadata nor words that
    /// name a layer). Any status, headers and bytes are accepted: never an error, never a panic.
    ///
    /// `retry_after` is measured from now; times in the past are a zero wait.
    pub fn from_response(status: u16, headers: &HeaderMap, body: &[u8]) -> Option<Blocked> {
        let parsed = serde_json::from_slice::<Value>(body).ok();
        Self::classify(status, headers, parsed.as_ref(), body, SystemTime::now())
    }

    /// [`from_response`](Self::from_response) with the body parsed once by the caller (and
    /// redacted, for the crate's own calls) and a fixed `now`.
    pub(crate) fn classify(
        status: u16,
        headers: &HeaderMap,
        parsed: Option<&Value>,
        body: &[u8],
        now: SystemTime,
    ) -> Option<Blocked> {
        if !matches!(status, 402 | 403 | 429) {
            return None;
        }
        let error = parsed.and_then(|v| v.get("error"));
        let metadata = error.and_then(|e| e.get("metadata")).filter(|m| m.is_object());
        let text = |name: &str| {
            let value = metadata?.get(name)?;
            let text = value.as_str().map(str::to_owned).or_else(|| value.is_number().then(|| value.to_string()))?;
            Some(redact::key_like(&text).into_owned())
        };
        // `{"error": "…"}` (a proxy's shape) is read as the message too.
        let message = match error.and_then(|e| e.get("message").or(Some(e))).and_then(Value::as_str) {
            Some(m) => Some(redact::key_like(m).into_owned()),
            // Not upstream's JSON: the start of the body, for the words and the message.
            None if parsed.is_none() && !body.is_empty() => {
                let cut = &body[..body.len().min(TEXT_KEPT)];
                Some(redact::key_like(&String::from_utf8_lossy(cut)).into_owned())
            }
            None => None,
        };
        let limit_source = text("limit_source").map(|s| LimitSource::parse(&s));
        let reason = text("reason");
        let server_wait = crate::retry::retry_after(headers, now).or_else(|| {
            let secs = metadata?.get("retry_after_seconds")?;
            let secs = secs.as_f64().or_else(|| secs.as_str()?.trim().parse().ok())?;
            Duration::try_from_secs_f64(secs).ok()
        });
        let words = message.as_deref().unwrap_or_default().to_ascii_lowercase();
        let by = match (&limit_source, reason.as_deref()) {
            (Some(LimitSource::Credits), Some("weight_exceeds_budget")) => BlockedBy::RequestTooLarge,
            (Some(LimitSource::Credits), _) => BlockedBy::AccountCredits,
            (Some(LimitSource::InFlightBudget), _) => BlockedBy::InFlightBudget,
            (Some(LimitSource::KeyLimit), _) => BlockedBy::KeyLimit,
            (Some(LimitSource::GuardrailBudget | LimitSource::WorkspaceBudget), _) => BlockedBy::Budget,
            (Some(LimitSource::FreeTierDaily), _) => BlockedBy::FreeModelDaily,
            (Some(LimitSource::Unknown(_)), _) => BlockedBy::UnknownLimit,
            (None, Some("in_flight_budget_exhausted")) => BlockedBy::InFlightBudget,
            (None, Some("weight_exceeds_budget")) => BlockedBy::RequestTooLarge,
            (None, _) => by_words(status, &words, server_wait.is_some())?,
        };
        let rate_reset = rate_limit_reset(headers, metadata);
        let resets_at = text("resets_at")
            .and_then(|t| timestamp::parse(&t))
            .or_else(|| matches!(by, BlockedBy::FreeModelDaily | BlockedBy::RateLimit).then_some(rate_reset).flatten());
        let until = |t: Option<SystemTime>| t.map(|t| t.duration_since(now).unwrap_or(Duration::ZERO));
        let retry_after = if by.waiting_helps() {
            // A quota's reset ends the wait; an unknown layer's or the in-flight budget's need not.
            let quota = matches!(by, BlockedBy::FreeModelDaily | BlockedBy::RateLimit);
            server_wait.or_else(|| until(rate_reset)).or_else(|| until(resets_at).filter(|_| quota))
        } else {
            None
        };
        let usd = |name: &str| {
            let value = metadata?.get(name)?;
            value.as_f64().or_else(|| value.as_str()?.trim().parse().ok()).filter(|v: &f64| v.is_finite())
        };
        Some(Blocked {
            status,
            by,
            limit_source,
            scope: text("scope"),
            limit_usd: usd("limit_usd"),
            spend_usd: usd("spend_usd"),
            reason,
            remedy_hint: text("remedy_hint"),
            message,
            retry_after,
            resets_at,
        })
    }

    /// Which layer refused.
    pub fn by(&self) -> BlockedBy {
        self.by
    }

    /// The HTTP status (402, 403 or 429).
    pub fn status(&self) -> u16 {
        self.status
    }

    /// How long to wait before trying again, when waiting is what helps (the in-flight budget,
    /// a rate limit, the free-model quota, an unknown limit): the server's `retry-after-ms` or
    /// `Retry-After` (seconds or an HTTP date), else `metadata.retry_after_seconds`, else until
    /// `X-RateLimit-Reset` (epoch milliseconds, as a header or under `metadata.headers`); for
    /// the free-model quota and a rate limit, else until [`resets_at`](Self::resets_at). Measured from when the
    /// response was read. `None` when only a reset or a person helps (credits, a key limit, a
    /// budget, the kind of key), or when the server gave no wait.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// When the layer resets: `metadata.resets_at` (ISO 8601); for the free-model quota and a
    /// rate limit without it, the `X-RateLimit-Reset` instant. `None` when the server gave no
    /// reset (a lifetime budget never resets).
    pub fn resets_at(&self) -> Option<SystemTime> {
        self.resets_at
    }

    /// Upstream's `metadata.limit_source`, when the body had one.
    pub fn limit_source(&self) -> Option<&LimitSource> {
        self.limit_source.as_ref()
    }

    /// Upstream's `metadata.scope`: which budget (`member`, `api_key`, `workspace`, …), as sent.
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }

    /// The layer's limit in USD (`metadata.limit_usd`).
    pub fn limit_usd(&self) -> Option<f64> {
        self.limit_usd
    }

    /// What the layer counts as spent in USD (`metadata.spend_usd`); it can pass the limit,
    /// since requests in flight complete.
    pub fn spend_usd(&self) -> Option<f64> {
        self.spend_usd
    }

    /// Upstream's `metadata.reason` (`in_flight_budget_exhausted`, `weight_exceeds_budget`, …).
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }

    /// Upstream's `metadata.remedy_hint`: its own advice, as sent (redacted).
    pub fn remedy_hint(&self) -> Option<&str> {
        self.remedy_hint.as_deref()
    }

    /// Upstream's `error.message`, or the start (1 KiB) of a body that is not JSON.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// What to do about it, in a few words, true for the layer.
    pub fn hint(&self) -> &'static str {
        self.by.hint()
    }

    fn summary(&self) -> String {
        match self.by {
            BlockedBy::AccountCredits => "the account is out of credits".into(),
            BlockedBy::RequestTooLarge => {
                "this one request is priced above what the account may spend at once; the account is not empty, and waiting does not help".into()
            }
            BlockedBy::InFlightBudget => {
                "requests still running hold the in-flight spending budget; the balance is not the problem".into()
            }
            BlockedBy::KeyLimit => "the key's spending limit is spent".into(),
            BlockedBy::Budget => match (&self.limit_source, self.scope.as_deref()) {
                (Some(LimitSource::WorkspaceBudget), _) => "the workspace budget is spent".into(),
                (_, Some(scope)) => format!("the {} budget is spent", shorten(scope, 40)),
                _ => "a budget layer is spent".into(),
            },
            BlockedBy::FreeModelDaily => "the free-model requests of the day are used up".into(),
            BlockedBy::NotAManagementKey => "this needs a management key".into(),
            BlockedBy::RateLimit => "rate limited".into(),
            BlockedBy::UnknownLimit => format!(
                "refused by a limit this crate does not know ({})",
                shorten(self.limit_source.as_ref().map_or("", LimitSource::as_str), 60)
            ),
        }
    }
}

/// One line: `HTTP 402: <what happened, true for the layer>[ ($spent of $limit spent)][; retry
/// in N s | when to retry][; resets at …]: "<upstream's message>"`.
impl fmt::Display for Blocked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}: {}", self.status, self.summary())?;
        match (self.spend_usd, self.limit_usd) {
            (Some(spend), Some(limit)) => write!(f, " (${spend:.2} of ${limit:.2} spent)")?,
            (None, Some(limit)) => write!(f, " (limit ${limit:.2})")?,
            _ => {}
        }
        match (self.retry_after, self.by) {
            (Some(wait), _) => write!(f, "; retry in {} s", wait.as_secs_f64().ceil())?,
            (None, BlockedBy::InFlightBudget) => {
                f.write_str("; retry once requests in flight finish (no wait given)")?
            }
            _ => {}
        }
        if let Some(at) = self.resets_at {
            write!(f, "; resets at {}", timestamp::format(at))?;
        }
        if let Some(message) = self.message.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
            write!(f, ": \"{}\"", shorten(message, SHOWN))?;
        }
        Ok(())
    }
}

/// The first `max` characters, on one line, with `…` when cut.
fn shorten(text: &str, max: usize) -> String {
    let mut out: String = text.chars().take(max).map(|c| if c.is_control() { ' ' } else { c }).collect();
    if text.chars().nth(max).is_some() {
        out.push('…');
    }
    out
}

/// The layer from the status, a wait and the message's words, for a body without
/// `limit_source` or `reason`.
fn by_words(status: u16, words: &str, server_wait: bool) -> Option<BlockedBy> {
    let has = |w: &str| words.contains(w);
    Some(match status {
        // Older documents sent the key's limit as 402.
        402 if has("key limit") => BlockedBy::KeyLimit,
        402 if server_wait || has("in-flight") || has("in flight") => BlockedBy::InFlightBudget,
        402 if has("can only afford") || has("max_tokens") => BlockedBy::RequestTooLarge,
        402 => BlockedBy::AccountCredits,
        403 if has("management key") => BlockedBy::NotAManagementKey,
        403 if has("key limit") => BlockedBy::KeyLimit,
        403 if has("budget") || has("guardrail") => BlockedBy::Budget,
        429 if has("free-models-per-day") => BlockedBy::FreeModelDaily,
        429 => BlockedBy::RateLimit,
        _ => return None,
    })
}

/// `X-RateLimit-Reset` (epoch milliseconds) from the headers, else from `metadata.headers`
/// (its name in any case, its value a string or a number).
fn rate_limit_reset(headers: &HeaderMap, metadata: Option<&Value>) -> Option<SystemTime> {
    let from_header =
        headers.get("x-ratelimit-reset").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok());
    let ms: u64 = from_header.or_else(|| {
        let (_, value) = metadata?
            .get("headers")?
            .as_object()?
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("x-ratelimit-reset"))?;
        value.as_u64().or_else(|| value.as_str()?.trim().parse().ok())
    })?;
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_millis(ms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use reqwest::header::{HeaderName, HeaderValue};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Any status, any header values, any bytes: an answer, never a panic; `Display` one line.
        #[test]
        fn never_panics_on_any_response(
            status in 0u16..1000,
            headers in proptest::collection::vec((0usize..6, proptest::collection::vec(any::<u8>(), 0..40)), 0..6),
            body in proptest::collection::vec(any::<u8>(), 0..1024),
        ) {
            let names = ["retry-after", "retry-after-ms", "x-ratelimit-reset", "x-ratelimit-limit", "content-type", "x-other"];
            let mut map = HeaderMap::new();
            for (name, value) in headers {
                if let Ok(value) = HeaderValue::from_bytes(&value) {
                    map.append(HeaderName::from_static(names[name]), value);
                }
            }
            if let Some(blocked) = Blocked::from_response(status, &map, &body) {
                prop_assert!(matches!(status, 402 | 403 | 429));
                prop_assert!(!blocked.to_string().contains('\n'));
            }
        }

        /// Upstream's shape with arbitrary metadata values (numbers where text goes, huge waits,
        /// negative seconds, far-future resets): an answer, never a panic.
        #[test]
        fn never_panics_on_any_metadata(
            status in prop::sample::select(vec![402u16, 403, 429]),
            source in prop::sample::select(vec!["openrouter_credits", "openrouter_in_flight_budget", "openrouter_free_tier_daily", "x"]),
            wait in any::<f64>(), reset in any::<u64>(), resets_at in "\\PC{0,30}", limit in any::<f64>(),
        ) {
            let body = serde_json::json!({"error": {"code": status, "message": "m", "metadata": {
                "limit_source": source, "retry_after_seconds": wait, "resets_at": resets_at, "limit_usd": limit,
                "spend_usd": "1e400", "headers": {"X-RateLimit-Reset": reset}, "scope": 7}}});
            let blocked = Blocked::from_response(status, &HeaderMap::new(), body.to_string().as_bytes());
            prop_assert!(blocked.is_some());
            prop_assert!(!blocked.unwrap().to_string().contains('\n'));
        }
    }

    #[test]
    fn limit_sources_round_trip_and_unknown_ones_are_kept() {
        for (name, known) in LimitSource::KNOWN {
            assert_eq!(LimitSource::parse(name), known);
            assert_eq!(known.as_str(), name);
        }
        assert_eq!(LimitSource::parse("openrouter_new").as_str(), "openrouter_new");
        assert_eq!(LimitSource::parse("a sk-or-v1-xyz").as_str(), "a [redacted]");
    }

    #[test]
    fn a_fixed_now_measures_the_waits() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-reset", HeaderValue::from_static("1000060000"));
        headers.insert("retry-after", HeaderValue::from_static("Mon, 12 Jan 1970 13:47:00 GMT"));
        let body = serde_json::json!({"error": {"message": "Rate limit exceeded: free-models-per-day"}});
        let b = Blocked::classify(429, &headers, Some(&body), b"", now).unwrap();
        assert_eq!(b.by(), BlockedBy::FreeModelDaily);
        // The HTTP date (1_000_020 s) comes first, then the reset.
        assert_eq!(b.retry_after(), Some(Duration::from_secs(20)));
        assert_eq!(b.resets_at(), Some(now + Duration::from_secs(60)));
        headers.remove("retry-after");
        let b = Blocked::classify(429, &headers, Some(&body), b"", now).unwrap();
        assert_eq!(b.retry_after(), Some(Duration::from_secs(60)));
        // A reset in the past: no wait.
        let later = now + Duration::from_secs(3600);
        assert_eq!(
            Blocked::classify(429, &headers, Some(&body), b"", later).unwrap().retry_after(),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn display_shortens_and_keeps_one_line() {
        let long = format!("line one\nline two {}", "x".repeat(1000));
        let body = serde_json::json!({"error": {"message": long}});
        let b = Blocked::classify(402, &HeaderMap::new(), Some(&body), b"", SystemTime::now()).unwrap();
        let shown = b.to_string();
        assert!(!shown.contains('\n') && shown.ends_with("…\"") && shown.len() < 400, "{shown}");
    }
}
