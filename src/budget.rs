//! [`RetryBudget`]: how many retries a client may make, all calls together. A retry policy
//! bounds one call; in an outage every call fails and every call retries, so without a bound
//! across calls a client multiplies its load on a server that is already down. The budget is
//! Finagle's and tower's (`TpsBudget`): retries may be at most a share of the requests made over
//! a sliding window, plus a small floor per second so that a quiet client can still retry.
//!
//! The call loop (`call.rs`) deposits each call's first attempt and asks the budget before
//! each retry that the policy allows; it is never asked about one the policy refuses, so it can
//! only take retries away, never add one (a charge the server may have acted on stays unsent).

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::time::Instant;

/// Retries as a share of requests, unless set: 20 %.
const DEFAULT_PERCENT: f64 = 0.2;
/// Retries allowed per second whatever the traffic, unless set.
const DEFAULT_MIN_PER_SECOND: u32 = 10;
/// How far back requests and retries are counted, unless set.
const DEFAULT_WINDOW: Duration = Duration::from_secs(10);
/// The window is kept as this many slots; a slot's counts leave the window together.
const SLOTS: u64 = 10;
/// Shares are kept in millionths, so that sums are exact (`0.2 × 200` is 40, not 40.000…01).
const MILLIONTHS: u128 = 1_000_000;

/// A retry budget shared by every clone of a client (and, given to several builders, by those
/// clients too): over the last `window`, retries may be at most `percent` of the calls made,
/// plus `min_per_second × window`.
///
/// **Defaults** (Finagle's, tower's, Linkerd's and reqwest's numbers): 20 % of calls, plus 10
/// retries a second, over 10 s. A healthy client whose requests rarely fail never meets it; in an
/// outage, where every call fails, a server sees about 1.2 requests per call (plus at most the
/// floor, 100 retries over any 10 s) instead of one per attempt the retry policy allows. A
/// retry the budget refuses ends the call with the last attempt's error, and
/// [`Error::retry_budget_exhausted`](crate::Error::retry_budget_exhausted) says so.
///
/// Each call's first attempt counts as a request; each retry the policy allows costs one
/// retry. The budget is asked only about retries the policy allows: it never makes a call
/// retryable (a charge the server may have acted on is still not resent).
///
/// ```no_run
/// use std::time::Duration;
/// use openrouter_credits::{Client, RetryBudget};
///
/// // Retries at most 10 % of calls plus 1 a second, over 30 s.
/// let budget = RetryBudget::new().percent(0.1).min_per_second(1).window(Duration::from_secs(30));
/// // Both clients draw on the same budget (clone it after setting it).
/// let a = Client::builder().api_key("sk-or-v1-a").retry_budget(budget.clone()).build()?;
/// let b = Client::builder().api_key("sk-or-v1-b").retry_budget(budget).build()?;
/// // No budget: each call retries as its policy allows.
/// let c = Client::builder().api_key("sk-or-v1-c").retry_budget(RetryBudget::unlimited()).build()?;
/// # let _ = (a, b, c);
/// # Ok::<(), openrouter_credits::Error>(())
/// ```
#[derive(Clone)]
pub struct RetryBudget {
    /// `None`: unlimited.
    ledger: Option<Arc<Ledger>>,
}

struct Ledger {
    settings: Settings,
    counts: Mutex<Counts>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Settings {
    /// Retries allowed per request, in millionths.
    share: u128,
    min_per_second: u32,
    window: Duration,
}

/// Requests and retries, per slot of the window.
struct Counts {
    /// When slot 0 began.
    epoch: Instant,
    /// `(slot number, requests, retries)`; a slot whose number is not current holds old counts.
    slots: [(u64, u64, u64); SLOTS as usize],
}

impl Default for RetryBudget {
    /// 20 % of calls plus 10 retries a second, over 10 s.
    fn default() -> Self {
        Self::with(Settings {
            share: share(DEFAULT_PERCENT),
            min_per_second: DEFAULT_MIN_PER_SECOND,
            window: DEFAULT_WINDOW,
        })
    }
}

impl RetryBudget {
    /// A budget with the defaults: 20 % of calls plus 10 retries a second, over 10 s.
    pub fn new() -> Self {
        Self::default()
    }

    /// No budget: every retry the policy allows is made (the behaviour before budgets).
    pub fn unlimited() -> Self {
        Self { ledger: None }
    }

    /// Retries as a share of the calls made in the window (`0.2` is 20 %; default 0.2). A
    /// negative or non-finite share is taken as 0 (only the floor is left); above 10 as 10.
    /// On an unlimited budget, starts from the defaults.
    ///
    /// Every setting starts a fresh budget with no history: set it up first, then clone it to
    /// share it.
    pub fn percent(self, share_of_calls: f64) -> Self {
        Self::with(Settings { share: share(share_of_calls), ..self.settings() })
    }

    /// Retries allowed per second whatever the traffic (default 10), so a client making few
    /// calls can still retry: `min_per_second × window` retries in any window.
    pub fn min_per_second(self, retries: u32) -> Self {
        Self::with(Settings { min_per_second: retries, ..self.settings() })
    }

    /// How far back calls and retries are counted (default 10 s; at least 10 ms).
    pub fn window(self, window: Duration) -> Self {
        Self::with(Settings { window: window.max(Duration::from_millis(10)), ..self.settings() })
    }

    /// Whether this is [`RetryBudget::unlimited`].
    pub fn is_unlimited(&self) -> bool {
        self.ledger.is_none()
    }

    fn with(settings: Settings) -> Self {
        let counts = Counts { epoch: Instant::now(), slots: [(u64::MAX, 0, 0); SLOTS as usize] };
        Self { ledger: Some(Arc::new(Ledger { settings, counts: Mutex::new(counts) })) }
    }

    fn settings(&self) -> Settings {
        match &self.ledger {
            Some(ledger) => ledger.settings,
            None => Self::default().settings(),
        }
    }

    /// A call's first attempt.
    pub(crate) fn deposit(&self) {
        if let Some(ledger) = &self.ledger {
            ledger.update(|counts, slot| counts.slot(slot).1 += 1);
        }
    }

    /// Takes one retry, if the window has one left.
    pub(crate) fn try_withdraw(&self) -> bool {
        let Some(ledger) = &self.ledger else { return true };
        let settings = ledger.settings;
        ledger.update(|counts, slot| {
            let (requests, retries) = counts.totals(slot);
            let window_ms = settings.window.as_millis();
            // In millionths of a retry: the floor over the window, plus the share of requests.
            let allowed =
                u128::from(settings.min_per_second) * window_ms * 1000 + settings.share * u128::from(requests);
            let ok = (u128::from(retries) + 1) * MILLIONTHS <= allowed;
            if ok {
                counts.slot(slot).2 += 1;
            }
            ok
        })
    }
}

impl Ledger {
    /// Runs `f` on the counts with the current slot's number.
    fn update<T>(&self, f: impl FnOnce(&mut Counts, u64) -> T) -> T {
        // The counts are plain numbers, whole after every update: a panic elsewhere while the
        // lock was held leaves nothing half-written, so a poisoned lock is used as it is.
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let slot_len = (self.settings.window.as_nanos() / u128::from(SLOTS)).max(1);
        let slot = u64::try_from(Instant::now().saturating_duration_since(counts.epoch).as_nanos() / slot_len)
            .unwrap_or(u64::MAX - 1);
        f(&mut counts, slot)
    }
}

impl Counts {
    /// The counts of slot number `slot`, emptied first if they are an older slot's.
    fn slot(&mut self, slot: u64) -> &mut (u64, u64, u64) {
        let entry = &mut self.slots[(slot % SLOTS) as usize];
        if entry.0 != slot {
            *entry = (slot, 0, 0);
        }
        entry
    }

    /// Requests and retries in the window that ends with slot number `slot`.
    fn totals(&self, slot: u64) -> (u64, u64) {
        self.slots
            .iter()
            .filter(|(n, _, _)| *n <= slot && slot - n < SLOTS)
            .fold((0, 0), |(requests, retries), (_, q, r)| (requests + q, retries + r))
    }
}

fn share(share: f64) -> u128 {
    let share = if share.is_finite() { share.clamp(0.0, 10.0) } else { 0.0 };
    (share * MILLIONTHS as f64).round() as u128
}

impl fmt::Debug for RetryBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.ledger {
            None => f.write_str("RetryBudget::unlimited()"),
            Some(ledger) => {
                let s = ledger.settings;
                f.debug_struct("RetryBudget")
                    .field("percent", &(s.share as f64 / MILLIONTHS as f64))
                    .field("min_per_second", &s.min_per_second)
                    .field("window", &s.window)
                    .finish()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn allows_the_floor_plus_the_share_of_requests_in_the_window() {
        let budget = RetryBudget::new();
        // The floor: 10 a second over 10 s, with no request at all.
        assert_eq!((0..200).filter(|_| budget.try_withdraw()).count(), 100);
        for _ in 0..50 {
            budget.deposit();
        }
        // 20 % of 50 more.
        assert_eq!((0..200).filter(|_| budget.try_withdraw()).count(), 10);
        // Once the window has passed, the retries made in it no longer count, nor its requests.
        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!((0..200).filter(|_| budget.try_withdraw()).count(), 100);
    }

    #[tokio::test(start_paused = true)]
    async fn the_window_slides_slot_by_slot() {
        let budget = RetryBudget::new().min_per_second(0).percent(1.0);
        for _ in 0..10 {
            budget.deposit();
        }
        tokio::time::advance(Duration::from_secs(5)).await;
        for _ in 0..10 {
            budget.deposit();
        }
        assert_eq!((0..50).filter(|_| budget.try_withdraw()).count(), 20);
        // The first ten requests leave the window; the retries made at 5 s have not.
        tokio::time::advance(Duration::from_secs(5)).await;
        assert!(!budget.try_withdraw());
        tokio::time::advance(Duration::from_secs(5)).await;
        assert!(!budget.try_withdraw(), "no request left in the window, and no floor");
    }

    #[test]
    fn unlimited_always_allows_and_settings_are_clamped() {
        let budget = RetryBudget::unlimited();
        assert!((0..10_000).all(|_| budget.try_withdraw()));
        assert!(budget.is_unlimited());
        let set = RetryBudget::unlimited().percent(f64::NAN).window(Duration::ZERO);
        assert!(!set.is_unlimited());
        assert_eq!(set.settings().share, 0);
        assert_eq!(set.settings().window, Duration::from_millis(10));
        assert_eq!(RetryBudget::new().percent(0.2).settings().share, 200_000);
    }
}
