//! [`BlockedBy`]: which money or permission layer refused a request, read from an error.
//!
//! OpenRouter tells these cases apart by status and, within 403, only by its message: 402 when
//! the account is out of credits; 403 "Key limit exceeded" for the key's own limit; 403 naming
//! a budget or guardrail for a budget layer; 403 "Only management keys can perform this
//! operation"; 429 for rate limits. Upstream gives no code for the 403 cases, so they are
//! matched on the message's words (case-insensitive), the one place this crate reads words.

use std::fmt;

/// What refused a request, when it was money, a budget layer, the kind of key or a rate limit.
/// See [`Error::blocked_by`](crate::Error::blocked_by).
///
/// ```
/// # async fn demo(client: openrouter_credits::Client) {
/// use openrouter_credits::BlockedBy;
/// if let Err(e) = client.credits().get_credits().await {
///     match e.blocked_by() {
///         Some(BlockedBy::Budget | BlockedBy::KeyLimit) => eprintln!("a limit is spent: {e}"),
///         Some(BlockedBy::AccountCredits) => eprintln!("add credits"),
///         _ => eprintln!("{e}"),
///     }
/// }
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BlockedBy {
    /// 402: the account is out of credits.
    AccountCredits,
    /// 403 "Key limit exceeded": the key's own spending limit is spent.
    KeyLimit,
    /// 403 naming a budget or guardrail: a budget layer (member, key, workspace) is spent until
    /// it resets.
    Budget,
    /// 403 "Only management keys can perform this operation": the call needs a management key.
    NotAManagementKey,
    /// 429: rate limited.
    RateLimit,
}

impl BlockedBy {
    /// From an error response's status and message (upstream's `error.message`, else the body).
    pub(crate) fn of(status: u16, message: Option<&str>) -> Option<Self> {
        match status {
            402 => Some(BlockedBy::AccountCredits),
            429 => Some(BlockedBy::RateLimit),
            403 => {
                let message = message?.to_ascii_lowercase();
                if message.contains("management key") {
                    Some(BlockedBy::NotAManagementKey)
                } else if message.contains("key limit") {
                    Some(BlockedBy::KeyLimit)
                } else if message.contains("budget") || message.contains("guardrail") {
                    Some(BlockedBy::Budget)
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// What to do about it, naming the layer.
    pub(crate) fn hint(self) -> &'static str {
        match self {
            BlockedBy::AccountCredits => {
                "the account is out of credits: add credits at openrouter.ai/settings/credits (client.spendable() shows every layer)"
            }
            BlockedBy::KeyLimit => {
                "this key's spending limit is spent: raise it at openrouter.ai/settings/keys, or wait for its reset (client.spendable() says when)"
            }
            BlockedBy::Budget => {
                "a budget layer is spent: client.spendable() (or `openrouter-credits`) shows which and when it resets; raise it in the guardrail or workspace settings, or wait"
            }
            BlockedBy::NotAManagementKey => {
                "this needs a management key: create one at openrouter.ai/settings/management-keys and pass it with ClientBuilder::management_key (or OPENROUTER_MANAGEMENT_KEY)"
            }
            BlockedBy::RateLimit => "rate limited: wait and try again",
        }
    }
}

impl fmt::Display for BlockedBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BlockedBy::AccountCredits => "the account's credits",
            BlockedBy::KeyLimit => "the key's limit",
            BlockedBy::Budget => "a budget layer",
            BlockedBy::NotAManagementKey => "not a management key",
            BlockedBy::RateLimit => "a rate limit",
        })
    }
}
