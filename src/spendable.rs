//! [`Client::spendable`]: how much money can still be spent, over every layer that limits it.
//!
//! Spending is bounded by several layers at once: the account's balance (`GET /credits`, which
//! needs a management key), the key's own limit, and the budget layers `GET /key` reports
//! (guardrail budgets for the member and the key, workspace budgets). What can be spent is the
//! least of them. This is the one hand-written place that names operations: it is the question
//! the crate exists to answer, asked of two of them at once.

use crate::call::{BoxFuture, management_key_rule};
use crate::client::Client;
use crate::error::Error;
use crate::generated::types::{BudgetScope, Credits, CurrentKey, FreeModelDailyRequests, KeyBudget, ResetInterval};
use std::fmt;
use std::future::IntoFuture;
use std::time::Duration;
use tokio::time::Instant;

/// The deadline over both requests of [`Client::spendable`] unless set: retries included.
pub const DEFAULT_SPENDABLE_TIMEOUT: Duration = Duration::from_secs(30);

impl Client {
    /// How much can still be spent: the least of every layer this client can read. Await it,
    /// or set its deadline first with [`SpendableBuilder::timeout`].
    ///
    /// What it sends, by the keys the client holds:
    ///
    /// | keys | `GET /key` (API key) | `GET /credits` (management key) |
    /// |---|---|---|
    /// | API key and management key | yes | yes, at the same time |
    /// | API key only | yes | no: the account's balance is [unknown](UnknownReason::NoManagementKey), not 0 |
    /// | API key, [said to be a management key](crate::ClientBuilder::api_key_is_management_key) | yes | yes, with the API key; zeros are discarded if `GET /key` says it is not one |
    /// | management key only | no: the key's layers are [unknown](UnknownReason::NoApiKey) | yes |
    ///
    /// Both requests go out concurrently under one deadline. When one fails and the other
    /// answers, the result holds the layers that answered and lists the failed one in
    /// [`Spendable::unknown`] with its [`Error`] ([`UnknownReason::Failed`]); when nothing
    /// answered, the error is returned.
    ///
    /// ```no_run
    /// # async fn demo(client: openrouter_credits::Client) -> Result<(), openrouter_credits::Error> {
    /// let spendable = client.spendable().await?;
    /// match (spendable.remaining_usd(), spendable.binding()) {
    ///     (Some(left), Some(layer)) => println!("{left:.2} USD left ({layer} binds)"),
    ///     _ => println!("no limit the client can see"),
    /// }
    /// for unknown in spendable.unknown() {
    ///     println!("{unknown}");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn spendable(&self) -> SpendableBuilder {
        SpendableBuilder { client: self.clone(), timeout: DEFAULT_SPENDABLE_TIMEOUT }
    }
}

/// [`Client::spendable`]'s options; await it (or call [`send`](Self::send)) to run it.
#[derive(Debug)]
#[must_use = "a builder does nothing until awaited"]
pub struct SpendableBuilder {
    client: Client,
    timeout: Duration,
}

impl SpendableBuilder {
    /// One deadline over both requests, retries included; default
    /// [`DEFAULT_SPENDABLE_TIMEOUT`]. A request still running then counts as failed.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sends the requests the client's keys allow, at the same time, and combines the answers.
    pub async fn send(self) -> Result<Spendable, Error> {
        let shared = &self.client.shared;
        let has_api_key = shared.api_key.is_some();
        let reads_account = shared.management_key.is_some() || (has_api_key && shared.api_key_is_management_key);
        if !has_api_key && !reads_account {
            return Err(Error::invalid_input(
                "api_key",
                "spendable needs a key: set ClientBuilder::api_key(..) (OPENROUTER_API_KEY) for the key's limit and budgets, \
                 and ClientBuilder::management_key(..) (OPENROUTER_MANAGEMENT_KEY) for the account's balance",
            ));
        }
        // `Instant + Duration::MAX` would overflow: a deadline too far to represent is a year.
        let now = Instant::now();
        let deadline = now.checked_add(self.timeout).unwrap_or_else(|| now + Duration::from_secs(365 * 86_400));
        let credits = async {
            let call = self.client.credits().get_credits().deadline(deadline);
            if reads_account { Some(call.send().await.map(|r| r.data)) } else { None }
        };
        let key = async {
            let call = self.client.api_keys().get_current_key().deadline(deadline);
            if has_api_key { Some(call.send().await.map(|r| r.data)) } else { None }
        };
        // Both at once, on the caller's task.
        let (credits, key) = futures_util::future::join(credits, key).await;
        let sent_api_key_for_credits = shared.management_key.is_none();
        Spendable::combine(credits, key, sent_api_key_for_credits)
    }
}

impl IntoFuture for SpendableBuilder {
    type Output = Result<Spendable, Error>;
    type IntoFuture = BoxFuture<Spendable>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// What can still be spent, layer by layer: the answer of [`Client::spendable`].
#[derive(Debug)]
#[non_exhaustive]
pub struct Spendable {
    layers: Vec<Layer>,
    binding: Option<usize>,
    unknown: Vec<UnknownLayer>,
    key: Option<CurrentKey>,
    credits: Option<Credits>,
}

/// One layer that limits spending, as read.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Layer {
    /// Which layer.
    pub kind: LayerKind,
    /// The budget's id (a workspace budget's `budget_id`, else the guardrail's id), when it has one.
    pub id: Option<String>,
    /// The layer's limit in USD: a budget's `limit_usd`, the key's `limit`, the account's total
    /// credits bought.
    pub limit_usd: f64,
    /// What counts against it in USD (in the current window, for a budget that resets).
    pub spent_usd: f64,
    /// What is left of it in USD, as the server computed it; zero or less blocks requests
    /// (OpenRouter answers 403 for a budget or the key's limit, 402 for the account).
    pub remaining_usd: f64,
    /// The window spend is counted over; `None` for a layer that never resets.
    pub reset_interval: Option<ResetInterval>,
    /// When the window rolls over (ISO 8601, as sent), when the server says.
    pub resets_at: Option<String>,
}

/// Which layer a [`Layer`] is.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LayerKind {
    /// The account's credits: total bought less total used (`GET /credits`).
    Account,
    /// The key's own spending limit (`GET /key`'s `limit_remaining`, or its `key_limit` budget).
    KeyLimit,
    /// A budget layer of `GET /key` (guardrail budgets, workspace budgets), by its scope.
    Budget(BudgetScope),
}

/// Layers the client could not read, and why: never shown as 0.
#[derive(Debug)]
#[non_exhaustive]
pub struct UnknownLayer {
    /// Which layers.
    pub layers: UnknownLayers,
    /// Why they are unknown.
    pub reason: UnknownReason,
}

/// Which layers an [`UnknownLayer`] stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UnknownLayers {
    /// The account's balance (`GET /credits`).
    Account,
    /// The key's limit and its budget layers (`GET /key`).
    Key,
    /// The budget layers: `GET /key` answered without `budgets` (its shape before autumn 2026:
    /// an older deployment, a proxy or a test double). The key's own limit is still read.
    Budgets,
}

/// Why layers are unknown.
#[derive(Debug)]
#[non_exhaustive]
pub enum UnknownReason {
    /// Reading the account's balance needs a management key, and the client has none.
    NoManagementKey,
    /// `GET /credits` was sent with the API key (said to be a management key), but `GET /key`
    /// says it is not one: its zeros are not the account's balance, and were discarded.
    NotAManagementKey,
    /// Reading the key's layers needs an API key, and the client has none.
    NoApiKey,
    /// The server's answer does not report them.
    NotReported,
    /// `GET /credits`, sent with the API key said to be a management key, answered zeros, and
    /// `GET /key`, which says whether it is one, failed: zeros are what the live API answers an
    /// ordinary key, so they are not taken as the balance.
    Unverified,
    /// The request failed (or ran past the deadline); the error says how.
    Failed(Error),
}

impl UnknownReason {
    /// Whether a request failed (as opposed to a key the client does not hold, or a layer the
    /// server does not report): the figure may be wrong until it is read again.
    pub fn is_failure(&self) -> bool {
        matches!(self, UnknownReason::Failed(_) | UnknownReason::Unverified)
    }
}

impl Spendable {
    /// Combines what came back. `None` for a request not sent.
    fn combine(
        credits: Option<Result<Credits, Error>>,
        key: Option<Result<CurrentKey, Error>>,
        sent_api_key_for_credits: bool,
    ) -> Result<Self, Error> {
        let mut unknown = Vec::new();
        let (credits, key) = match (credits, key) {
            (Some(Err(e)), None | Some(Err(_))) | (None, Some(Err(e))) => return Err(e),
            (credits, key) => (credits, key),
        };
        let key = match key {
            Some(Ok(key)) => Some(key),
            Some(Err(e)) => {
                unknown.push(UnknownLayer { layers: UnknownLayers::Key, reason: UnknownReason::Failed(e) });
                None
            }
            None => {
                unknown.push(UnknownLayer { layers: UnknownLayers::Key, reason: UnknownReason::NoApiKey });
                None
            }
        };
        let credits = match credits {
            // The same key answered both, and says it is not a management key: the live API's
            // zeros for an ordinary key, not a balance.
            Some(Ok(_)) if sent_api_key_for_credits && key.as_ref().is_some_and(|k| !k.is_management_key) => {
                unknown.push(UnknownLayer { layers: UnknownLayers::Account, reason: UnknownReason::NotAManagementKey });
                None
            }
            // Zeros from the API key, and `GET /key`, which would say whether it is a management
            // key, did not answer: they may be the live API's answer to an ordinary key.
            Some(Ok(c))
                if sent_api_key_for_credits && key.is_none() && c.total_credits == 0.0 && c.total_usage == 0.0 =>
            {
                unknown.push(UnknownLayer { layers: UnknownLayers::Account, reason: UnknownReason::Unverified });
                None
            }
            Some(Ok(credits)) => Some(credits),
            Some(Err(e)) => {
                unknown.push(UnknownLayer { layers: UnknownLayers::Account, reason: UnknownReason::Failed(e) });
                None
            }
            None => {
                unknown.push(UnknownLayer { layers: UnknownLayers::Account, reason: UnknownReason::NoManagementKey });
                None
            }
        };
        // Enforcement order: the key's budget layers as listed (the key's own limit last), then
        // the account.
        let mut layers = Vec::new();
        if let Some(key) = &key {
            match &key.budgets {
                Some(budgets) => layers.extend(budgets.iter().map(Layer::from_budget)),
                None => {
                    unknown.push(UnknownLayer { layers: UnknownLayers::Budgets, reason: UnknownReason::NotReported })
                }
            }
            // The key's own limit, unless `budgets` lists it already.
            if !layers.iter().any(|l| l.kind == LayerKind::KeyLimit) {
                layers.extend(Layer::from_key_limit(key));
            }
        }
        if let Some(credits) = &credits {
            layers.push(Layer {
                kind: LayerKind::Account,
                id: None,
                limit_usd: credits.total_credits,
                spent_usd: credits.total_usage,
                remaining_usd: credits.remaining(),
                reset_interval: None,
                resets_at: None,
            });
        }
        let binding = binding(&layers);
        Ok(Self { layers, binding, unknown, key, credits })
    }

    /// What can still be spent, in USD: the least `remaining_usd` over every layer read, never
    /// below zero (a layer can be overdrawn). `None` only when no layer read limits spending
    /// (a key without a limit or budgets, and no account balance read): check
    /// [`unknown`](Self::unknown) for the layers that could not be read.
    pub fn remaining_usd(&self) -> Option<f64> {
        self.binding().map(|layer| layer.remaining_usd.max(0.0))
    }

    /// The layer that blocks first: the first one already spent (in enforcement order), else the
    /// one with the least left. `None` when no layer limits spending.
    pub fn binding(&self) -> Option<&Layer> {
        self.binding.map(|i| &self.layers[i])
    }

    /// Every layer read, in enforcement order: the key's budget layers as `GET /key` lists them
    /// (its own limit last), then the account.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// The layers that could not be read, and why. Empty when every layer was read.
    pub fn unknown(&self) -> &[UnknownLayer] {
        &self.unknown
    }

    /// Whether every layer was read, so that [`remaining_usd`](Self::remaining_usd) is the
    /// whole answer and not an upper bound.
    pub fn is_complete(&self) -> bool {
        self.unknown.is_empty()
    }

    /// Free-model (`:free`) requests the account may still make today, when `GET /key` says.
    pub fn free_model_requests(&self) -> Option<&FreeModelDailyRequests> {
        self.key.as_ref().and_then(|k| k.free_model_daily_requests.as_ref())
    }

    /// `GET /key`'s answer, when it was read.
    pub fn key(&self) -> Option<&CurrentKey> {
        self.key.as_ref()
    }

    /// `GET /credits`'s answer, when it was read (and is the account's balance).
    pub fn credits(&self) -> Option<&Credits> {
        self.credits.as_ref()
    }
}

/// The first layer already spent, else the one with the least left (the first of equals).
fn binding(layers: &[Layer]) -> Option<usize> {
    if let Some(spent) = layers.iter().position(|l| l.remaining_usd <= 0.0) {
        return Some(spent);
    }
    let mut best: Option<usize> = None;
    for (i, layer) in layers.iter().enumerate() {
        if best.is_none_or(|b| layer.remaining_usd < layers[b].remaining_usd) {
            best = Some(i);
        }
    }
    best
}

impl Layer {
    fn from_budget(budget: &KeyBudget) -> Self {
        let kind = match &budget.scope {
            BudgetScope::KeyLimit => LayerKind::KeyLimit,
            scope => LayerKind::Budget(scope.clone()),
        };
        Self {
            kind,
            id: budget.budget_id.clone().or_else(|| budget.guardrail_id.clone()),
            limit_usd: budget.limit_usd,
            spent_usd: budget.spend_usd,
            remaining_usd: budget.remaining_usd,
            reset_interval: budget.reset_interval.clone(),
            resets_at: budget.resets_at.clone(),
        }
    }

    /// The key's own limit from `limit`/`limit_remaining` (every shape of `GET /key` has them).
    fn from_key_limit(key: &CurrentKey) -> Option<Self> {
        let (limit, remaining) = (key.limit?, key.limit_remaining?);
        Some(Self {
            kind: LayerKind::KeyLimit,
            id: None,
            limit_usd: limit,
            spent_usd: limit - remaining,
            remaining_usd: remaining,
            reset_interval: key.limit_reset.as_deref().map(|r| r.parse().unwrap_or_else(|e| match e {})),
            resets_at: None,
        })
    }
}

impl fmt::Display for LayerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayerKind::Account => f.write_str("account balance"),
            LayerKind::KeyLimit => f.write_str("key limit"),
            LayerKind::Budget(scope) => match scope {
                BudgetScope::WorkspaceDefaultMember => f.write_str("workspace default budget (member)"),
                BudgetScope::WorkspaceDefaultKey => f.write_str("workspace default budget (key)"),
                BudgetScope::Member => f.write_str("member budget"),
                BudgetScope::ApiKey => f.write_str("API key budget"),
                BudgetScope::Workspace => f.write_str("workspace budget"),
                other => write!(f, "{} budget", other.as_str().replace('_', " ")),
            },
        }
    }
}

impl fmt::Display for Layer {
    /// `workspace budget ws-1`, `key limit`, `account balance`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        if let Some(id) = &self.id {
            write!(f, " {id}")?;
        }
        Ok(())
    }
}

impl fmt::Display for UnknownLayers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UnknownLayers::Account => "account balance",
            UnknownLayers::Key => "key limit and budgets",
            UnknownLayers::Budgets => "budgets",
        })
    }
}

impl fmt::Display for UnknownLayer {
    /// `account balance: unknown (needs a management key: …)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: unknown (", self.layers)?;
        match &self.reason {
            UnknownReason::NoManagementKey => {
                let rule = management_key_rule("the account's balance", false);
                write!(f, "a management key {rule}")?;
            }
            UnknownReason::NotAManagementKey => f.write_str(
                "the API key is not a management key, so GET /credits answered zeros, not the balance; \
                 set ClientBuilder::management_key(..) or OPENROUTER_MANAGEMENT_KEY",
            )?,
            UnknownReason::NoApiKey => {
                f.write_str("needs an API key: set ClientBuilder::api_key(..) or OPENROUTER_API_KEY")?
            }
            UnknownReason::Unverified => f.write_str(
                "GET /credits answered zeros for the API key, and GET /key, which says whether it is a management key, \
                 failed; zeros are what an ordinary key reads",
            )?,
            UnknownReason::NotReported => {
                f.write_str("the server's GET /key does not report them; it predates budget layers")?
            }
            UnknownReason::Failed(e) => write!(f, "{e}")?,
        }
        f.write_str(")")
    }
}
