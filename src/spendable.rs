//! [`Client::spendable`]: how much money can still be spent, over every layer that limits it.
//!
//! Spending is bounded by several layers at once: the account's balance (`GET /credits`, which
//! needs a management key), the key's own limit, and the budget layers `GET /key` reports
//! (guardrail budgets for the member and the key, workspace budgets). What can be spent is the
//! least of them. This is the one hand-written place that names operations: it is the question
//! the crate exists to answer, asked of two of them at once.

use crate::call::{BoxFuture, Sent, credential, management_key_rule};
use crate::client::Client;
use crate::error::Error;
use crate::generated::Operation;
use crate::generated::types::{BudgetScope, Credits, CurrentKey, FreeModelDailyRequests, KeyBudget, ResetInterval};
use crate::timestamp;
use std::fmt;
use std::future::IntoFuture;
use std::time::{Duration, SystemTime};
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
    /// [`Spendable::unknown`] with its [`Error`] ([`UnknownReason::Failed`]); when both were sent
    /// and both failed, the error is [`Error::BothFailed`] with each; when the one request sent
    /// failed, its error.
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
        // Which key each request would carry, by the rule every call follows.
        let key_for = |operation: Operation| {
            credential(&self.client, operation.facts(), None).ok().flatten().map(|carried| carried.key)
        };
        let (credits_key, key_key) = (key_for(Operation::GetCredits), key_for(Operation::GetCurrentKey));
        let (reads_account, has_api_key) = (credits_key.is_some(), key_key.is_some());
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
        // The key `GET /key` describes answered `GET /credits` too: its zeros may be an ordinary key's.
        let sent_api_key_for_credits = credits_key == Some(Sent::ApiKey);
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
///
/// # What the figure does not see
///
/// [`remaining_usd`](Self::remaining_usd) is an **upper bound** on what the next request may
/// spend, not a promise that it will be served:
/// - **The in-flight budget.** OpenRouter holds part of the balance for requests in flight (for
///   newer accounts and low balances) and refuses one over it with a 402 that passes after a
///   wait (`Retry-After`), while the balance is positive. No endpoint reports that budget.
///   Classify such a refusal with [`Blocked`](crate::Blocked)
///   ([`BlockedBy::InFlightBudget`](crate::BlockedBy::InFlightBudget): wait, do not top up).
/// - **Pre-flight pricing.** A request is priced before it runs at its largest possible cost: one
///   without `max_tokens` at the model's whole output window, so it can get a 402 while plenty
///   is left. Set `max_tokens`, and ask [`can_afford`](Self::can_afford) with that worst case.
/// - **Staleness.** The figures are as of the server's last accounting; requests in flight (this
///   program's and other keys' on a shared layer) are not in them yet, and spend can overshoot
///   a budget a little (`remaining_usd` below zero).
///
/// So: check before a batch, set `max_tokens`, and treat the refusal a model call gets as the
/// final word ([`Blocked::from_response`](crate::Blocked::from_response)); a
/// [`SpendGuard`](crate::SpendGuard) re-reads when told of one.
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
            (Some(Err(credits)), Some(Err(key))) => {
                return Err(Error::BothFailed { key: Box::new(key), credits: Box::new(credits) });
            }
            (Some(Err(e)), None) | (None, Some(Err(e))) => return Err(e),
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

    /// Whether `usd` fits under every layer: [`No`](Affordability::No) with the first layer (in
    /// enforcement order) that has less left, else [`Unknown`](Affordability::Unknown) when a
    /// layer could not be read (it might not fit there), else [`Yes`](Affordability::Yes). A
    /// `Yes` is as good as the figure: an upper bound (see "What the figure does not see").
    ///
    /// `usd` must be finite and zero or more: anything else is
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) naming `usd`.
    ///
    /// ```
    /// # fn demo(spendable: &openrouter_credits::Spendable) -> Result<(), openrouter_credits::Error> {
    /// use openrouter_credits::Affordability;
    /// match spendable.can_afford(0.50)? {
    ///     Affordability::Yes => println!("go"),
    ///     Affordability::No(layer) => println!("not under {layer}: {:.2} USD left", layer.remaining_usd),
    ///     _ => println!("a layer could not be read: {:?}", spendable.unknown()),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn can_afford(&self, usd: f64) -> Result<Affordability<'_>, Error> {
        if !usd.is_finite() || usd < 0.0 {
            return Err(Error::invalid_input("usd", "must be a finite amount of zero or more"));
        }
        if let Some(layer) = self.layers.iter().find(|l| l.remaining_usd < usd) {
            return Ok(Affordability::No(layer));
        }
        // A layer that limits spending but could not be read: the amount might not fit there.
        if self.unknown.is_empty() { Ok(Affordability::Yes) } else { Ok(Affordability::Unknown) }
    }

    /// How long the binding layer lasts at the key's recent pace, from `GET /key`'s
    /// `usage_weekly` and `usage_monthly` (see [`Runway`]); `Err` says why there is no figure.
    pub fn runway(&self) -> Result<Runway, NoRunway> {
        self.runway_at(SystemTime::now())
    }

    /// [`runway`](Self::runway) as of `now`.
    pub fn runway_at(&self, now: SystemTime) -> Result<Runway, NoRunway> {
        let key = self.key.as_ref().ok_or(NoRunway::KeyNotRead)?;
        let layer = self.binding().ok_or(NoRunway::NothingLimits)?;
        let pace = Pace::of(key, now).ok_or(NoRunway::TooLittleHistory)?;
        let shared = !matches!(
            &layer.kind,
            LayerKind::KeyLimit | LayerKind::Budget(BudgetScope::ApiKey | BudgetScope::WorkspaceDefaultKey)
        );
        let resets_at = layer.resets_at_time();
        let end = if layer.remaining_usd <= 0.0 {
            RunwayEnd::Spent
        } else if pace.daily_usd <= 0.0 {
            RunwayEnd::NoSpend
        } else {
            let days = layer.remaining_usd / pace.daily_usd;
            match Duration::try_from_secs_f64(days * 86_400.0) {
                // A reset already past says nothing (the figures predate it).
                Ok(lasts) if resets_at.is_some_and(|r| r > now && r <= now + lasts) => RunwayEnd::ResetsFirst,
                Ok(lasts) => RunwayEnd::In(lasts),
                // Beyond what a Duration holds: not at this pace, in any useful sense.
                Err(_) => RunwayEnd::NoSpend,
            }
        };
        Ok(Runway { daily_usd: pace.daily_usd, window: pace.window, layer: layer.clone(), shared_layer: shared, end })
    }
}

/// The answer of [`Spendable::can_afford`].
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Affordability<'a> {
    /// Every layer that limits spending was read and has the amount left.
    Yes,
    /// This layer (the first in enforcement order) has less than the amount left.
    No(&'a Layer),
    /// Every layer read has the amount left, but a layer could not be read
    /// ([`Spendable::unknown`]): it might not fit there.
    Unknown,
}

impl Affordability<'_> {
    /// [`Yes`](Self::Yes).
    pub fn is_yes(&self) -> bool {
        matches!(self, Affordability::Yes)
    }

    /// [`No`](Self::No): a layer read has less left than the amount.
    pub fn is_no(&self) -> bool {
        matches!(self, Affordability::No(_))
    }
}

/// How long what is left lasts at the recent pace: [`Spendable::runway`].
///
/// The pace is the key's own spend (`GET /key`'s `usage_weekly` over the part of the current
/// UTC week, Monday to Sunday, that has passed; `usage_monthly` over the month when less than a
/// day of the week has passed). Only this key's spend is known: on a layer other keys spend
/// from too (the account, a member or workspace budget: [`shared_layer`](Self::shared_layer)),
/// the layer runs out **no later** than this says, and sooner if they spend.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Runway {
    /// The key's recent spend per day, in USD.
    pub daily_usd: f64,
    /// The window the pace was measured over.
    pub window: PaceWindow,
    /// The layer it is measured against: the binding one.
    pub layer: Layer,
    /// Whether other keys may spend from [`layer`](Self::layer) too, so that it may run out
    /// sooner than [`end`](Self::end) says.
    pub shared_layer: bool,
    /// When the layer runs out at that pace.
    pub end: RunwayEnd,
}

/// When the binding layer runs out at the recent pace: [`Runway::end`].
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum RunwayEnd {
    /// After this long.
    In(Duration),
    /// It is spent already.
    Spent,
    /// It resets (its `resets_at`) before running out at this pace.
    ResetsFirst,
    /// The key spent nothing in the window: not at this pace.
    NoSpend,
}

/// The window a [`Runway`]'s pace was measured over.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum PaceWindow {
    /// The current UTC week (since Monday 00:00 UTC): this much of it.
    Week(Duration),
    /// The current UTC month: this much of it.
    Month(Duration),
}

/// Why [`Spendable::runway`] has no figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NoRunway {
    /// `GET /key`, which reports the key's spend, was not read.
    KeyNotRead,
    /// No layer read limits spending.
    NothingLimits,
    /// Less than a day of the current UTC week and month has passed: too little to call a pace.
    TooLittleHistory,
}

impl fmt::Display for NoRunway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NoRunway::KeyNotRead => "unknown: GET /key (the key's spend) was not read",
            NoRunway::NothingLimits => "no limit: no layer read limits spending",
            NoRunway::TooLittleHistory => "unknown: less than a day of this UTC week and month has passed",
        })
    }
}

/// The key's spend per day over the longest recent window with at least a day behind it.
struct Pace {
    daily_usd: f64,
    window: PaceWindow,
}

impl Pace {
    const MIN_WINDOW: Duration = Duration::from_secs(86_400);

    fn of(key: &CurrentKey, now: SystemTime) -> Option<Self> {
        let since = |start: Option<SystemTime>| start.and_then(|s| now.duration_since(s).ok());
        let (usage, window) = match (since(timestamp::week_start(now)), since(timestamp::month_start(now))) {
            (Some(week), _) if week >= Self::MIN_WINDOW => (key.usage_weekly, PaceWindow::Week(week)),
            (_, Some(month)) if month >= Self::MIN_WINDOW => (key.usage_monthly, PaceWindow::Month(month)),
            _ => return None,
        };
        let elapsed = match window {
            PaceWindow::Week(d) | PaceWindow::Month(d) => d,
        };
        let daily_usd = usage.max(0.0) / (elapsed.as_secs_f64() / 86_400.0);
        daily_usd.is_finite().then_some(Self { daily_usd, window })
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
    /// [`resets_at`](Self::resets_at) as a time, when the server sent one in RFC 3339 form.
    pub fn resets_at_time(&self) -> Option<SystemTime> {
        self.resets_at.as_deref().and_then(timestamp::parse)
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `GET /key`'s example (the member budget binds: 17.50 left of 50, resetting
    /// 2026-10-12T00:00Z), with the key's spend in the week and month set.
    fn key(weekly: f64, monthly: f64) -> CurrentKey {
        let budget = json!({"budget_id": null, "guardrail_id": "g-1", "include_byok": false, "limit_usd": 50.0,
            "remaining_usd": 17.5, "reset_interval": "weekly", "resets_at": "2026-10-12T00:00:00.000Z",
            "scope": "member", "spend_usd": 32.5});
        serde_json::from_value(json!({
            "budgets": [budget], "creator_user_id": "u", "byok_usage": 0.0, "byok_usage_daily": 0.0, "byok_usage_monthly": 0.0,
            "byok_usage_weekly": 0.0, "include_byok_in_limit": false, "is_free_tier": false,
            "is_management_key": false, "is_provisioning_key": false, "label": "k", "limit": 100.0,
            "limit_remaining": 74.5, "limit_reset": "monthly", "rate_limit": {"interval": "1h", "note": "n", "requests": 1000},
            "usage": 25.5, "usage_daily": 1.0, "usage_weekly": weekly, "usage_monthly": monthly
        }))
        .unwrap()
    }

    fn spendable(key: CurrentKey, credits: Option<Credits>) -> Spendable {
        let credits = credits.map(Ok);
        Spendable::combine(credits, Some(Ok(key)), false).unwrap()
    }

    fn at(text: &str) -> SystemTime {
        timestamp::parse(text).unwrap()
    }

    const DAY: f64 = 86_400.0;

    #[test]
    fn the_pace_is_the_weeks_spend_over_the_part_of_the_week_passed() {
        // Wednesday noon: 2.5 days of the week, 25.5 USD: 10.2 a day; 17.50 left lasts 1.7157 days,
        // before the member budget's reset on Monday.
        let runway = spendable(key(25.5, 40.0), None).runway_at(at("2026-10-07T12:00:00Z")).unwrap();
        assert_eq!(runway.window, PaceWindow::Week(Duration::from_secs(216_000)));
        assert!((runway.daily_usd - 10.2).abs() < 1e-9, "{runway:?}");
        let RunwayEnd::In(lasts) = runway.end else { panic!("{runway:?}") };
        assert!((lasts.as_secs_f64() / DAY - 17.5 / 10.2).abs() < 1e-6, "{lasts:?}");
        assert!(runway.shared_layer, "a member budget: other keys spend from it");
        assert_eq!(runway.layer.kind, LayerKind::Budget(BudgetScope::Member));
    }

    #[test]
    fn a_layer_that_resets_before_it_runs_out_says_so() {
        // Saturday noon: 5.5 days, 4.64 a day: 17.50 lasts 3.8 days, past Monday's reset.
        let runway = spendable(key(25.5, 40.0), None).runway_at(at("2026-10-10T12:00:00Z")).unwrap();
        assert_eq!(runway.end, RunwayEnd::ResetsFirst);
        // A reset already past says nothing: the runway is given.
        let runway = spendable(key(25.5, 40.0), None).runway_at(at("2026-10-17T12:00:00Z")).unwrap();
        assert!(matches!(runway.end, RunwayEnd::In(_)), "{runway:?}");
    }

    #[test]
    fn early_in_the_week_the_month_gives_the_pace_and_with_neither_there_is_none() {
        // Monday 06:00, 2026-10-05: 6 h of the week; 4.25 days of October, 40 USD.
        let runway = spendable(key(3.0, 40.0), None).runway_at(at("2026-10-05T06:00:00Z")).unwrap();
        assert_eq!(runway.window, PaceWindow::Month(Duration::from_secs(4 * 86_400 + 6 * 3600)));
        assert!((runway.daily_usd - 40.0 / 4.25).abs() < 1e-9);
        // Monday 2026-06-01 06:00: the first of the month and a Monday.
        let none = spendable(key(3.0, 3.0), None).runway_at(at("2026-06-01T06:00:00Z"));
        assert_eq!(none, Err(NoRunway::TooLittleHistory));
    }

    #[test]
    fn no_spend_spent_and_no_key_are_told_apart() {
        let runway = spendable(key(0.0, 0.0), None).runway_at(at("2026-10-07T12:00:00Z")).unwrap();
        assert_eq!(runway.end, RunwayEnd::NoSpend);
        let mut k = key(25.5, 40.0);
        if let Some(b) = k.budgets.as_mut().and_then(|b| b.first_mut()) {
            b.remaining_usd = -0.25;
        }
        let runway = spendable(k, None).runway_at(at("2026-10-07T12:00:00Z")).unwrap();
        assert_eq!(runway.end, RunwayEnd::Spent);
        let no_key = Spendable::combine(Some(Ok(credits(10.0, 2.0))), None, false).unwrap();
        assert_eq!(no_key.runway_at(at("2026-10-07T12:00:00Z")), Err(NoRunway::KeyNotRead));
    }

    #[test]
    fn the_keys_own_limit_is_not_shared() {
        let mut k = key(25.5, 40.0);
        k.budgets = Some(Vec::new());
        let runway = spendable(k, None).runway_at(at("2026-10-07T12:00:00Z")).unwrap();
        assert_eq!(runway.layer.kind, LayerKind::KeyLimit);
        assert!(!runway.shared_layer);
    }

    fn credits(total: f64, used: f64) -> Credits {
        serde_json::from_value(json!({"total_credits": total, "total_usage": used})).unwrap()
    }

    #[test]
    fn can_afford_names_the_first_layer_short_and_unknown_when_a_layer_is_unread() {
        // Member budget 17.50, key limit 74.50, account 8.00 (read).
        let all = spendable(key(1.0, 1.0), Some(credits(10.0, 2.0)));
        assert_eq!(all.can_afford(5.0).unwrap(), Affordability::Yes);
        assert_eq!(all.can_afford(8.0).unwrap(), Affordability::Yes, "exactly what is left fits");
        assert_eq!(all.can_afford(0.0).unwrap(), Affordability::Yes, "zero is an amount");
        let Affordability::No(layer) = all.can_afford(9.0).unwrap() else { panic!() };
        assert_eq!(layer.kind, LayerKind::Account);
        let Affordability::No(layer) = all.can_afford(20.0).unwrap() else { panic!() };
        assert_eq!(layer.kind, LayerKind::Budget(BudgetScope::Member), "the first in enforcement order");
        // Without the account's balance: what fits the read layers is unknown, never yes.
        let key_only = Spendable::combine(None, Some(Ok(key(1.0, 1.0))), false).unwrap();
        assert_eq!(key_only.can_afford(5.0).unwrap(), Affordability::Unknown);
        assert!(key_only.can_afford(20.0).unwrap().is_no(), "a read layer short is a no, whatever is unknown");
        for bad in [-0.01, f64::NAN, f64::INFINITY] {
            let err = all.can_afford(bad).unwrap_err();
            assert!(matches!(err, Error::InvalidInput { field: "usd", .. }), "{bad}: {err:?}");
        }
    }

    #[test]
    fn a_reset_at_this_very_instant_is_past() {
        // Monday 2026-10-12 00:00, the member budget's `resets_at`: the month gives the pace (40
        // USD over 11 days), and a reset not ahead says nothing: the runway is given.
        let runway = spendable(key(25.5, 40.0), None).runway_at(at("2026-10-12T00:00:00Z")).unwrap();
        assert!(matches!(runway.end, RunwayEnd::In(_)), "{runway:?}");
    }

    #[test]
    fn affordability_says_which_it_is() {
        let all = spendable(key(1.0, 1.0), Some(credits(10.0, 2.0)));
        let (yes, no, unknown) = (Affordability::Yes, Affordability::No(&all.layers()[0]), Affordability::Unknown);
        assert_eq!([yes.is_yes(), no.is_yes(), unknown.is_yes()], [true, false, false]);
        assert_eq!([yes.is_no(), no.is_no(), unknown.is_no()], [false, true, false]);
    }

    #[test]
    fn no_runway_says_why() {
        assert_eq!(NoRunway::KeyNotRead.to_string(), "unknown: GET /key (the key's spend) was not read");
        assert_eq!(NoRunway::NothingLimits.to_string(), "no limit: no layer read limits spending");
        assert!(NoRunway::TooLittleHistory.to_string().contains("less than a day"));
    }

    #[test]
    fn of_layers_with_as_much_left_the_first_binds() {
        // The member budget and the key's own limit both have 17.50 left: the first in
        // enforcement order (the budget) is named.
        let mut k = key(1.0, 1.0);
        k.limit_remaining = Some(17.5);
        let s = spendable(k, None);
        assert_eq!(s.layers()[1].kind, LayerKind::KeyLimit);
        assert_eq!(s.binding().map(|l| l.kind.clone()), Some(LayerKind::Budget(BudgetScope::Member)));
    }
}
