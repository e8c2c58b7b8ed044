//! When to publish: a quiet delay that every change restarts, capped by a maximum delay
//! counted from the first change not yet published.

use std::time::Duration;

use tokio::time::Instant;

/// The publication timer. Pure bookkeeping: the driver asks for the [`deadline`] and sleeps
/// until it (or until the next event, whichever comes first).
///
/// [`deadline`]: Coalescer::deadline
#[derive(Debug)]
pub(crate) struct Coalescer {
    quiet: Duration,
    max: Duration,
    /// The first and the latest change since the last publication.
    pending: Option<(Instant, Instant)>,
}

impl Coalescer {
    pub(crate) fn new(quiet: Duration, max: Duration) -> Self {
        Coalescer {
            quiet,
            max,
            pending: None,
        }
    }

    /// A change happened at `now`.
    pub(crate) fn note(&mut self, now: Instant) {
        let first = self.pending.map_or(now, |(first, _)| first);
        self.pending = Some((first, now));
    }

    /// When to publish: the quiet delay after the latest change, but no later than the
    /// maximum delay after the first; `None` with nothing pending.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.pending
            .map(|(first, last)| (last + self.quiet).min(first + self.max))
    }

    /// Everything pending was published.
    pub(crate) fn clear(&mut self) {
        self.pending = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn each_change_restarts_the_quiet_delay_up_to_the_maximum() {
        let mut c = Coalescer::new(100 * MS, 1000 * MS);
        assert_eq!(c.deadline(), None);
        let t0 = Instant::now();
        c.note(t0);
        assert_eq!(c.deadline(), Some(t0 + 100 * MS));
        c.note(t0 + 60 * MS);
        assert_eq!(c.deadline(), Some(t0 + 160 * MS), "restarted");
        // A change every 60 ms never lets 100 ms pass quietly: the maximum decides.
        for i in 2..20 {
            c.note(t0 + i * 60 * MS);
        }
        assert_eq!(c.deadline(), Some(t0 + 1000 * MS));
        c.clear();
        assert_eq!(c.deadline(), None);
        c.note(t0 + 2000 * MS);
        assert_eq!(
            c.deadline(),
            Some(t0 + 2100 * MS),
            "a new burst starts over"
        );
    }

    #[test]
    fn a_zero_quiet_delay_publishes_at_once() {
        let mut c = Coalescer::new(Duration::ZERO, 1000 * MS);
        let t0 = Instant::now();
        c.note(t0);
        assert_eq!(c.deadline(), Some(t0));
    }
}
