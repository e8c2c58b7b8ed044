//! Fault switches a test flips at run time: close watch streams, fail requests, delay
//! answers. (Expiring the watch history is [`Store::expire_history`](crate::Store::expire_history);
//! refusing connections is [`ApiServer::pause`](crate::ApiServer::pause).)

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;

#[derive(Debug, Clone)]
struct FailRule {
    /// Substring of `path?query` the request must contain (empty: every request).
    pattern: String,
    remaining: usize,
    code: u16,
}

#[derive(Debug, Default)]
struct State {
    rules: Vec<FailRule>,
    delay: Duration,
}

/// The fault switches of one server. Cheap to clone; every clone flips the same switches.
#[derive(Clone)]
pub struct Faults {
    state: Arc<Mutex<State>>,
    close_watches: Arc<watch::Sender<u64>>,
}

impl fmt::Debug for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("Faults")
            .field("rules", &state.rules)
            .field("delay", &state.delay)
            .finish_non_exhaustive()
    }
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            state: Arc::default(),
            close_watches: Arc::new(watch::channel(0).0),
        }
    }
}

impl Faults {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// End every open watch stream now, cleanly (the final chunk is sent), as when the real
    /// server's watch times out or the server restarts. Clients resume from their last
    /// resourceVersion.
    pub fn close_watches(&self) {
        self.close_watches.send_modify(|n| *n += 1);
    }

    pub(crate) fn close_signal(&self) -> watch::Receiver<u64> {
        self.close_watches.subscribe()
    }

    /// Answer the next `n` requests, whatever they are, with 500 `InternalError`.
    pub fn fail_next(&self, n: usize) {
        self.fail_requests("", n, 500);
    }

    /// Answer the next `n` requests whose `path?query` contains `pattern` with HTTP `code`
    /// and a matching Status (500 `InternalError`, 503 `ServiceUnavailable`, 429
    /// `TooManyRequests`, ...). Rules add up; the first matching rule with requests left
    /// answers. E.g. `fail_requests("watch=true", 1, 500)` fails the next watch request.
    pub fn fail_requests(&self, pattern: &str, n: usize, code: u16) {
        if n > 0 {
            self.lock().rules.push(FailRule {
                pattern: pattern.to_owned(),
                remaining: n,
                code,
            });
        }
    }

    /// Forget every failure rule not used up yet.
    pub fn clear_failures(&self) {
        self.lock().rules.clear();
    }

    /// Delay every answer (watch streams: their start) by `delay`; `Duration::ZERO` stops
    /// delaying.
    pub fn set_delay(&self, delay: Duration) {
        self.lock().delay = delay;
    }

    /// The code to fail this request with, if a rule says so (using up one of its requests).
    pub(crate) fn take_failure(&self, path_and_query: &str) -> Option<u16> {
        let mut state = self.lock();
        let index = state
            .rules
            .iter()
            .position(|r| path_and_query.contains(&r.pattern))?;
        let rule = &mut state.rules[index];
        rule.remaining -= 1;
        let code = rule.code;
        if rule.remaining == 0 {
            state.rules.remove(index);
        }
        Some(code)
    }

    pub(crate) fn delay(&self) -> Duration {
        self.lock().delay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_used_up_in_order() {
        let f = Faults::default();
        f.fail_requests("watch=true", 1, 503);
        f.fail_next(1);
        assert_eq!(f.take_failure("/api/v1/pods?watch=true"), Some(503));
        assert_eq!(f.take_failure("/api/v1/pods?watch=true"), Some(500));
        assert_eq!(f.take_failure("/api/v1/pods"), None);
        f.fail_requests("/x", 5, 500);
        f.clear_failures();
        assert_eq!(f.take_failure("/x"), None);
    }
}
