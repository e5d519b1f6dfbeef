//! When the next reading is due: the interval with jitter, exponential backoff after failures,
//! and the server's `Retry-After`. Pure, so that the rules are tested without a clock.

use std::time::Duration;

/// The shortest `--interval` against OpenRouter itself: protects upstream (and the key's rate
/// limit) from a typo. A loopback base URL (the fake server, a local proxy) may go lower.
pub(crate) const MIN_INTERVAL: Duration = Duration::from_secs(5);
/// Backoff after failures grows to this (or to the interval, when that is longer).
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(15 * 60);
/// A `Retry-After` longer than this is taken as this: a bad header cannot stop the watch.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(60 * 60);
/// Each wait is the nominal one ± this share, so that many watchers started together spread out.
pub(crate) const JITTER: f64 = 0.1;

/// The wait before the next reading.
///
/// - `failures`: readings failed in a row (0 after a success): the wait is the interval times
///   2^failures, at most [`MAX_BACKOFF`] (or the interval when it is longer);
/// - `retry_after`: the server's wish, honoured as a minimum (at most [`MAX_RETRY_AFTER`]);
/// - `jitter`: a number in [-1, 1] (random in use), scaling the wait by ± [`JITTER`].
pub(crate) fn next_delay(interval: Duration, failures: u32, retry_after: Option<Duration>, jitter: f64) -> Duration {
    let cap = MAX_BACKOFF.max(interval);
    let nominal = interval.saturating_mul(1u32 << failures.min(16)).min(cap);
    let jittered = nominal.mul_f64(1.0 + JITTER * jitter.clamp(-1.0, 1.0));
    jittered.max(retry_after.unwrap_or_default().min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn the_interval_with_jitter() {
        assert_eq!(next_delay(MIN, 0, None, 0.0), MIN);
        assert_eq!(next_delay(MIN, 0, None, 1.0), Duration::from_secs(66));
        assert_eq!(next_delay(MIN, 0, None, -1.0), Duration::from_secs(54));
        assert_eq!(next_delay(MIN, 0, None, 7.0), Duration::from_secs(66), "clamped");
    }

    #[test]
    fn failures_back_off_exponentially_to_a_cap() {
        let delays: Vec<u64> = (0..7).map(|n| next_delay(MIN, n, None, 0.0).as_secs()).collect();
        assert_eq!(delays, [60, 120, 240, 480, 900, 900, 900]);
        assert_eq!(next_delay(MIN, u32::MAX, None, 0.0), MAX_BACKOFF, "no overflow");
        // An interval longer than the cap is never shortened by it.
        let hour = Duration::from_secs(3600);
        assert_eq!(next_delay(hour, 3, None, 0.0), hour);
        // A success resets it.
        assert_eq!(next_delay(MIN, 0, None, 0.0), MIN);
    }

    #[test]
    fn retry_after_is_a_minimum_within_reason() {
        assert_eq!(next_delay(MIN, 1, Some(Duration::from_secs(300)), 0.0), Duration::from_secs(300));
        assert_eq!(next_delay(MIN, 1, Some(Duration::from_secs(5)), 0.0), Duration::from_secs(120));
        assert_eq!(next_delay(MIN, 1, Some(Duration::MAX), 0.0), MAX_RETRY_AFTER);
    }
}
