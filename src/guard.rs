//! [`SpendGuard`]: [`Client::spendable`] for a hot path. One cached answer, shared by every task
//! (every clone of the guard), renewed by one refresh at a time however many tasks ask.
//!
//! The cached check takes a short `std::sync::Mutex` (never held across an `.await`), reads the
//! clock and clones an `Arc`; only a check that finds the answer too old waits, on the refresh
//! lock, for the one refresh in flight.

use crate::blocked::{Blocked, BlockedBy};
use crate::client::Client;
use crate::error::Error;
use crate::spendable::{DEFAULT_SPENDABLE_TIMEOUT, Spendable};
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::time::Instant;

/// How long past `max_age` the last answer is served, marked stale, while refreshes fail,
/// unless set with [`SpendGuard::serve_stale_for`].
pub const DEFAULT_SERVE_STALE_FOR: Duration = Duration::from_secs(60);

/// After a failed refresh, how long checks take its outcome (the stale answer or the error)
/// before one of them tries again, when the server asked for no wait (`Retry-After`).
const FAILED_REFRESH_PAUSE: Duration = Duration::from_secs(1);

/// The longest a reported refusal is held: a wait asked for beyond it is not believed.
const LONGEST_HOLD: Duration = Duration::from_secs(3600);

/// The longest a server's `Retry-After` pauses refreshes: a guard never stops refreshing for
/// longer than this because a server asked.
const LONGEST_PAUSE: Duration = Duration::from_secs(60);

impl Client {
    /// A [`SpendGuard`] over this client: [`spendable`](Client::spendable) answered from a cache
    /// while the answer is younger than `max_age`, renewed by one refresh that concurrent checks
    /// share. Make one per process (or per key) and clone it into every task.
    ///
    /// ```
    /// # async fn demo(client: openrouter_credits::Client) -> Result<(), openrouter_credits::Error> {
    /// use std::time::Duration;
    /// let guard = client.spend_guard(Duration::from_secs(30));
    /// let left = guard.spendable().await?;
    /// if left.can_afford(0.25)?.is_no() {
    ///     println!("not enough left under {}", left.binding().map_or("?".into(), |l| l.to_string()));
    /// }
    /// # Ok(()) }
    /// ```
    pub fn spend_guard(&self, max_age: Duration) -> SpendGuard {
        SpendGuard {
            inner: Arc::new(Inner {
                client: self.clone(),
                state: Mutex::new(State {
                    settings: Settings {
                        max_age,
                        stale_for: DEFAULT_SERVE_STALE_FOR,
                        timeout: DEFAULT_SPENDABLE_TIMEOUT,
                    },
                    current: None,
                    refreshes: 0,
                    failure: None,
                    contradicted: false,
                    reports: 0,
                    held: None,
                }),
                refresh: tokio::sync::Mutex::new(()),
            }),
        }
    }
}

/// What can still be spent, checked often and cheaply: the answer of
/// [`Client::spendable`], cached for `max_age` and shared by every clone. Made with
/// [`Client::spend_guard`].
///
/// The rules, each tested on the wire:
/// - **Fresh**: a check within `max_age` of the last successful read is answered from memory
///   (no request, no allocation of a response).
/// - **One refresh**: a check that finds the answer older runs one refresh (one `GET /key` and
///   one `GET /credits`, as [`Client::spendable`] sends them); every check that arrives while it
///   runs waits for it and shares its result, however many there are.
/// - **Never a zero for a failure**: when a refresh fails, the last answer is served, marked
///   [stale](SpendReading::is_stale) with its [age](SpendReading::age) and the
///   [error](SpendReading::refresh_error), while it is younger than `max_age` plus
///   [`serve_stale_for`](Self::serve_stale_for) (60 s unless set); after that, and when there is
///   no answer yet, the check fails with the error. After a failed refresh, checks take its
///   outcome for a pause (the server's `Retry-After`, at most 60 s, else 1 s) before one of them
///   tries again, so an outage is not polled in a tight loop.
/// - **Contradicted**: a refusal for money the program saw ([`report`](Self::report)) discards
///   the cached answer: the next check reads again rather than trust a figure the server just
///   contradicted, and a stale one is not served in its place. A refusal that asks for a wait
///   (the in-flight budget's 402) is also [held](SpendReading::held) on every reading until the
///   wait is over: the figures cannot show it.
///
/// What it answers is [`Spendable`]'s figure, an **upper bound**: see
/// [`Spendable`]'s "What the figure does not see".
#[derive(Clone)]
pub struct SpendGuard {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    state: Mutex<State>,
    /// Held by the one check that refreshes, across its requests; the others wait on it.
    refresh: tokio::sync::Mutex<()>,
}

struct State {
    settings: Settings,
    /// The last successful answer.
    current: Option<Arc<Reading>>,
    /// Refreshes finished (succeeded or failed): a waiter that sees it move knows one ran.
    refreshes: u64,
    /// The last refresh's failure, when it failed, and when: until `paused_until` checks take
    /// it rather than refresh again.
    failure: Option<Failure>,
    /// The program reported a refusal: the cached answer is not to be trusted.
    contradicted: bool,
    /// Refusals reported so far: a refresh whose requests went out before the last one does
    /// not lift `contradicted`.
    reports: u64,
    /// A reported refusal that asks for a wait, and when the wait is over.
    held: Option<(Arc<Blocked>, Instant)>,
}

#[derive(Clone, Copy, Debug)]
struct Settings {
    max_age: Duration,
    stale_for: Duration,
    timeout: Duration,
}

struct Reading {
    spendable: Spendable,
    read_at: Instant,
}

struct Failure {
    error: Arc<Error>,
    paused_until: Instant,
}

impl SpendGuard {
    /// How long past `max_age` the last answer is still served, [stale](SpendReading::is_stale),
    /// while refreshes fail; default [`DEFAULT_SERVE_STALE_FOR`] (60 s). Zero: a failed refresh
    /// is an error as soon as the answer is older than `max_age`. Every clone shares it.
    pub fn serve_stale_for(self, grace: Duration) -> Self {
        self.inner.lock().settings.stale_for = grace;
        self
    }

    /// The deadline over one refresh's requests, retries included; default 30 s (as
    /// [`SpendableBuilder::timeout`](crate::SpendableBuilder::timeout)). Every clone shares it.
    pub fn refresh_timeout(self, timeout: Duration) -> Self {
        self.inner.lock().settings.timeout = timeout;
        self
    }

    /// What can still be spent: the cached answer while it is younger than `max_age`, else one
    /// shared refresh (see the rules on [`SpendGuard`]). The reading dereferences to
    /// [`Spendable`].
    pub async fn spendable(&self) -> Result<SpendReading, Error> {
        let (seen, timeout) = {
            let state = self.inner.lock();
            if let Some(answer) = answer_without_refresh(&state, Instant::now()) {
                return answer;
            }
            (state.refreshes, state.settings.timeout)
        };
        // One refresh at a time: the others wait here, then take what it left.
        let _refreshing = self.inner.refresh.lock().await;
        let reports = {
            let state = self.inner.lock();
            if state.refreshes != seen {
                return answer_after_refresh(&state, Instant::now());
            }
            state.reports
        };
        let result = self.inner.client.spendable().timeout(timeout).send().await;
        let mut state = self.inner.lock();
        let now = Instant::now();
        state.refreshes += 1;
        match result {
            Ok(spendable) => {
                state.current = Some(Arc::new(Reading { spendable, read_at: now }));
                state.failure = None;
                // A refusal reported while the requests were out may postdate these figures.
                state.contradicted = state.reports != reports;
            }
            Err(error) => {
                let pause = error.retry_after().map_or(FAILED_REFRESH_PAUSE, |asked| asked.min(LONGEST_PAUSE));
                state.failure = Some(Failure { error: Arc::new(error), paused_until: now + pause });
            }
        }
        answer_after_refresh(&state, now)
    }

    /// Tells the guard about a refusal the program saw ([`Blocked::from_response`] on its own
    /// model call's answer, or [`Error::blocked`] on one of this crate's):
    /// - a refusal for money (the account, the key's limit, a budget, the in-flight budget, a
    ///   limit this version does not know) discards the cached answer: the next check reads again;
    /// - one that asks for a wait ([`Blocked::retry_after`]: the in-flight budget) is
    ///   [held](SpendReading::held) on every reading until the wait is over;
    /// - the others (a rate limit, the free-model quota, a request priced above the in-flight
    ///   budget, a key of the wrong kind) say nothing about the figures, and change nothing.
    pub fn report(&self, blocked: &Blocked) {
        let money = matches!(
            blocked.by(),
            BlockedBy::AccountCredits
                | BlockedBy::KeyLimit
                | BlockedBy::Budget
                | BlockedBy::InFlightBudget
                | BlockedBy::UnknownLimit
        );
        if !money {
            return;
        }
        let mut state = self.inner.lock();
        state.contradict();
        if let Some(wait) = blocked.retry_after() {
            let until = Instant::now() + wait.min(LONGEST_HOLD);
            // The later of two holds stands.
            if state.held.as_ref().is_none_or(|(_, at)| *at < until) {
                state.held = Some((Arc::new(blocked.clone()), until));
            }
        }
    }

    /// Discards the cached answer: the next check reads again.
    pub fn invalidate(&self) {
        self.inner.lock().contradict();
    }
}

impl State {
    /// The cached figure is not to be trusted, nor one read by requests already out.
    fn contradict(&mut self) {
        self.contradicted = true;
        self.reports += 1;
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while the lock was held leaves whole values behind (every write is
        // one assignment): the state is still sound.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The reported refusal still in force at `now`, if any.
fn held(state: &State, now: Instant) -> Option<Arc<Blocked>> {
    state.held.as_ref().filter(|(_, until)| now < *until).map(|(blocked, _)| Arc::clone(blocked))
}

/// The answer when no refresh is due: fresh, or the outcome of a failed refresh whose pause has
/// not passed. `None`: refresh.
fn answer_without_refresh(state: &State, now: Instant) -> Option<Result<SpendReading, Error>> {
    if let Some(reading) = state.current.as_ref().filter(|_| !state.contradicted) {
        let age = now.saturating_duration_since(reading.read_at);
        if age < state.settings.max_age && state.failure.is_none() {
            return Some(Ok(SpendReading {
                reading: Arc::clone(reading),
                age,
                refresh_error: None,
                held: held(state, now),
            }));
        }
    }
    match &state.failure {
        Some(failure) if now < failure.paused_until => Some(stale_or_error(state, failure, now)),
        _ => None,
    }
}

/// The answer right after a refresh (this check's or the one it waited for).
fn answer_after_refresh(state: &State, now: Instant) -> Result<SpendReading, Error> {
    match (&state.failure, &state.current) {
        (Some(failure), _) => stale_or_error(state, failure, now),
        (None, Some(reading)) => Ok(SpendReading {
            reading: Arc::clone(reading),
            age: now.saturating_duration_since(reading.read_at),
            refresh_error: None,
            held: held(state, now),
        }),
        // Not reached (a finished refresh leaves an answer or a failure); an error, not a panic
        // and not a zero.
        (None, None) => Err(Error::invalid_input("spend_guard", "no reading yet")),
    }
}

/// After a failed refresh: the last answer while it is young enough (and not contradicted),
/// marked stale; else the error, shared.
fn stale_or_error(state: &State, failure: &Failure, now: Instant) -> Result<SpendReading, Error> {
    let limit = state.settings.max_age.saturating_add(state.settings.stale_for);
    let usable = state.current.as_ref().filter(|_| !state.contradicted).and_then(|reading| {
        let age = now.saturating_duration_since(reading.read_at);
        (age < limit).then_some((reading, age))
    });
    match usable {
        Some((reading, age)) => Ok(SpendReading {
            reading: Arc::clone(reading),
            age,
            refresh_error: Some(Arc::clone(&failure.error)),
            held: held(state, now),
        }),
        None => Err(Error::Shared(Arc::clone(&failure.error))),
    }
}

impl fmt::Debug for SpendGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.inner.lock();
        f.debug_struct("SpendGuard")
            .field("settings", &state.settings)
            .field("cached", &state.current.is_some())
            .field("failing", &state.failure.is_some())
            .finish()
    }
}

/// One answer of [`SpendGuard::spendable`]: a [`Spendable`] (it dereferences to one), how old it
/// is, and whether it is stale (served because the refresh failed).
#[derive(Clone)]
pub struct SpendReading {
    reading: Arc<Reading>,
    age: Duration,
    refresh_error: Option<Arc<Error>>,
    held: Option<Arc<Blocked>>,
}

impl SpendReading {
    /// How long ago the server gave these figures (when this check was answered).
    pub fn age(&self) -> Duration {
        self.age
    }

    /// Whether the figures are served because the refresh that should have replaced them failed
    /// ([`refresh_error`](Self::refresh_error) says how).
    pub fn is_stale(&self) -> bool {
        self.refresh_error.is_some()
    }

    /// The error of the failed refresh, when the figures are stale.
    pub fn refresh_error(&self) -> Option<&Error> {
        self.refresh_error.as_deref()
    }

    /// A refusal the program [reported](SpendGuard::report) that asked for a wait not yet over
    /// (the in-flight budget's 402): whatever the figures say, a request now would be refused.
    /// Wait for its [`retry_after`](Blocked::retry_after) (counted from the report).
    pub fn held(&self) -> Option<&Blocked> {
        self.held.as_deref()
    }
}

impl Deref for SpendReading {
    type Target = Spendable;

    fn deref(&self) -> &Spendable {
        &self.reading.spendable
    }
}

impl fmt::Debug for SpendReading {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpendReading")
            .field("spendable", &self.reading.spendable)
            .field("age", &self.age)
            .field("refresh_error", &self.refresh_error)
            .field("held", &self.held)
            .finish()
    }
}
