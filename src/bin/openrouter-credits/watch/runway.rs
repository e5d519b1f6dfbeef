//! The runway: how long what can be spent lasts at the rate it fell over the recent readings.
//! Pure (times are passed in). A rise (a top-up, a window that reset) or a change of the binding
//! layer starts the window afresh: the rate is that of one stretch of spending.

use super::reading::LayerKey;
use std::collections::VecDeque;

/// The rate is measured over at most this long…
pub(crate) const WINDOW_SECONDS: f64 = 3600.0;
/// …and at most this many readings (the memory it keeps is bounded whatever the interval).
pub(crate) const MAX_POINTS: usize = 120;

#[derive(Debug, Default)]
pub(crate) struct Runway {
    /// (seconds since the epoch, what could be spent), oldest first.
    points: VecDeque<(f64, f64)>,
    layer: Option<LayerKey>,
}

impl Runway {
    /// Adds a reading; returns the runway in seconds: `None` until two readings of one stretch,
    /// infinity when nothing was spent over it.
    pub(crate) fn add(&mut self, time: f64, spendable: f64, binding: &LayerKey) -> Option<f64> {
        let rose = self.points.back().is_some_and(|&(_, last)| spendable > last);
        if rose || self.layer.as_ref() != Some(binding) {
            self.points.clear();
            self.layer = Some(binding.clone());
        }
        self.points.push_back((time, spendable));
        while self.points.len() > MAX_POINTS
            || (self.points.len() > 2 && self.points.front().is_some_and(|&(t, _)| time - t > WINDOW_SECONDS))
        {
            self.points.pop_front();
        }
        let (&(t0, v0), &(t1, v1)) = (self.points.front()?, self.points.back()?);
        if self.points.len() < 2 || t1 <= t0 {
            return None;
        }
        let rate = (v0 - v1) / (t1 - t0);
        Some(if rate > 0.0 { v1.max(0.0) / rate } else { f64::INFINITY })
    }

    /// What can be spent is not known (no limit, or a failed reading): the stretch ends.
    pub(crate) fn forget(&mut self) {
        self.points.clear();
        self.layer = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str) -> LayerKey {
        LayerKey { kind: "budget".into(), scope: "member".into(), id: id.into() }
    }

    #[test]
    fn the_rate_of_the_stretch_gives_the_runway() {
        let mut r = Runway::default();
        assert_eq!(r.add(0.0, 100.0, &key("a")), None, "one reading: no rate yet");
        // 10 USD in 100 s: 0.1 USD/s; 90 left: 900 s.
        assert_eq!(r.add(100.0, 90.0, &key("a")), Some(900.0));
        assert_eq!(r.add(200.0, 90.0, &key("a")), Some(1800.0), "the rate is over the stretch");
        // A top-up: a new stretch.
        assert_eq!(r.add(300.0, 200.0, &key("a")), None);
        assert_eq!(r.add(400.0, 200.0, &key("a")), Some(f64::INFINITY), "nothing spent");
        // Another binding layer: a new stretch.
        assert_eq!(r.add(500.0, 50.0, &key("b")), None);
        r.forget();
        assert_eq!(r.add(600.0, 50.0, &key("b")), None);
    }

    #[test]
    fn the_window_and_the_memory_are_bounded() {
        let mut r = Runway::default();
        // Spent fast long ago, nothing for the last hour: the runway is the last hour's.
        r.add(0.0, 1000.0, &key("a"));
        r.add(10.0, 500.0, &key("a"));
        for i in 0..100 {
            r.add(4000.0 + f64::from(i), 500.0, &key("a"));
        }
        assert_eq!(r.add(5000.0, 500.0, &key("a")), Some(f64::INFINITY));
        for i in 0..10_000 {
            r.add(6000.0 + f64::from(i) * 0.001, 400.0 - f64::from(i) * 0.001, &key("a"));
        }
        assert_eq!(r.points.len(), MAX_POINTS);
    }
}
