//! Choosing an endpoint: round robin per backend, with passive failure detection.
//!
//! The index resolves a backend to its ready endpoints; [`Balancer::pick`] takes them in turn.
//! An endpoint that refused a connection or did not connect in time is reported with
//! [`Balancer::failed`] and is then skipped for a back-off period that doubles with each
//! consecutive failure, from [`BalanceOptions::fail_timeout`] up to
//! [`BalanceOptions::max_fail_timeout`]; one success ([`Balancer::succeeded`]) clears it. This
//! is nginx's `max_fails=1 fail_timeout=10s` with Envoy's growing ejection time, and it is
//! local to one gateway process: nothing is probed, traffic alone tells.
//!
//! When every endpoint of a backend is skipped, the next in turn is used anyway (Envoy's
//! "panic mode"): a request then fails or succeeds on its own, rather than every request
//! failing while a recovered endpoint waits out its back-off.
//!
//! Memory stays bounded by what is served: a round-robin position is dropped when its backend
//! has not been picked during the last two table swaps ([`Balancer::swapped`]), and a failure
//! record when its back-off has ended.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{PoisonError, RwLock};
use std::time::{Duration, Instant};

use foldhash::fast::RandomState;
use ingress_kube::index::Backend;

/// How long failed endpoints are skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BalanceOptions {
    /// The back-off after one failure (doubled for each further consecutive one).
    pub fail_timeout: Duration,
    /// The longest back-off.
    pub max_fail_timeout: Duration,
}

impl Default for BalanceOptions {
    /// nginx's `fail_timeout` (10 s), growing up to 5 minutes (Envoy's default maximum
    /// ejection time).
    fn default() -> Self {
        BalanceOptions {
            fail_timeout: Duration::from_secs(10),
            max_fail_timeout: Duration::from_secs(300),
        }
    }
}

#[derive(Debug)]
struct Turn {
    next: AtomicUsize,
    /// The swap count when it was last picked.
    used: AtomicU64,
}

#[derive(Clone, Copy, Debug)]
struct Failure {
    consecutive: u32,
    until: Instant,
}

/// Round-robin positions and failed endpoints, shared by every connection.
#[derive(Debug, Default)]
pub struct Balancer {
    options: BalanceOptions,
    swaps: AtomicU64,
    turns: RwLock<HashMap<Backend, Turn, RandomState>>,
    failures: RwLock<HashMap<SocketAddr, Failure, RandomState>>,
}

impl Balancer {
    /// A balancer with these back-off periods.
    pub fn new(options: BalanceOptions) -> Self {
        Balancer {
            options,
            ..Balancer::default()
        }
    }

    /// The endpoint of `backend` to send the next request to: the next in turn that is not
    /// backing off, else the next in turn. `None` only for no endpoints (which the index's
    /// `Resolved::Endpoints` never has).
    pub fn pick(&self, backend: &Backend, endpoints: &[SocketAddr]) -> Option<SocketAddr> {
        self.pick_at(backend, endpoints, Instant::now())
    }

    fn pick_at(
        &self,
        backend: &Backend,
        endpoints: &[SocketAddr],
        now: Instant,
    ) -> Option<SocketAddr> {
        if endpoints.is_empty() {
            return None;
        }
        let turn = self.turn(backend);
        let first = endpoints[turn % endpoints.len()];
        let failures = read(&self.failures);
        if failures.is_empty() {
            return Some(first);
        }
        let backing_off = |e: &SocketAddr| failures.get(e).is_some_and(|f| f.until > now);
        let healthy = (0..endpoints.len())
            .map(|i| endpoints[(turn + i) % endpoints.len()])
            .find(|e| !backing_off(e));
        Some(healthy.unwrap_or(first))
    }

    /// This backend's next position.
    fn turn(&self, backend: &Backend) -> usize {
        let swaps = self.swaps.load(Ordering::Relaxed);
        if let Some(turn) = read(&self.turns).get(backend) {
            turn.used.store(swaps, Ordering::Relaxed);
            return turn.next.fetch_add(1, Ordering::Relaxed);
        }
        let mut turns = write(&self.turns);
        let turn = turns.entry(backend.clone()).or_insert_with(|| Turn {
            next: AtomicUsize::new(0),
            used: AtomicU64::new(swaps),
        });
        turn.next.fetch_add(1, Ordering::Relaxed)
    }

    /// `endpoint` refused a connection or did not connect in time: skip it for a while.
    pub fn failed(&self, endpoint: SocketAddr) {
        self.failed_at(endpoint, Instant::now());
    }

    fn failed_at(&self, endpoint: SocketAddr, now: Instant) {
        let mut failures = write(&self.failures);
        let consecutive = failures
            .get(&endpoint)
            .map_or(1, |f| f.consecutive.saturating_add(1));
        let backoff = self
            .options
            .fail_timeout
            .saturating_mul(1u32 << (consecutive - 1).min(16))
            .min(self.options.max_fail_timeout);
        failures.insert(
            endpoint,
            Failure {
                consecutive,
                until: now + backoff,
            },
        );
        // Records whose back-off ended long ago are no longer news.
        let forget = self.options.max_fail_timeout;
        failures.retain(|_, f| f.until + forget > now);
    }

    /// `endpoint` answered: it is healthy again.
    pub fn succeeded(&self, endpoint: SocketAddr) {
        if read(&self.failures).contains_key(&endpoint) {
            write(&self.failures).remove(&endpoint);
        }
    }

    /// Whether `endpoint` is backing off now.
    pub fn backing_off(&self, endpoint: SocketAddr) -> bool {
        read(&self.failures)
            .get(&endpoint)
            .is_some_and(|f| f.until > Instant::now())
    }

    /// A new table is served: forget the positions of backends not picked since the swap
    /// before last.
    pub fn swapped(&self) {
        let swaps = self.swaps.fetch_add(1, Ordering::Relaxed) + 1;
        write(&self.turns).retain(|_, turn| turn.used.load(Ordering::Relaxed) + 2 > swaps);
    }

    /// Tables swapped in so far.
    pub fn swaps(&self) -> u64 {
        self.swaps.load(Ordering::Relaxed)
    }

    /// How many backends have a round-robin position (bounded by what was recently served).
    pub fn positions(&self) -> usize {
        read(&self.turns).len()
    }
}

/// A poisoned lock only means a thread panicked while holding it; the maps stay whole.
fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ingress_kube::index::{NamespacedName, PortRef, ServiceBackend};

    fn backend(name: &str) -> Backend {
        Backend::Service(ServiceBackend {
            service: NamespacedName::new("default", name),
            port: PortRef::Number(80),
        })
    }

    fn addrs(n: u16) -> Vec<SocketAddr> {
        (1..=n)
            .map(|p| SocketAddr::from(([127, 0, 0, 1], p)))
            .collect()
    }

    #[test]
    fn endpoints_are_taken_in_turn() {
        let balancer = Balancer::default();
        let (b, e) = (backend("a"), addrs(3));
        let picked: Vec<_> = (0..6)
            .map(|_| balancer.pick(&b, &e).unwrap().port())
            .collect();
        assert_eq!(picked, [1, 2, 3, 1, 2, 3]);
        assert_eq!(balancer.pick(&b, &[]), None);
    }

    #[test]
    fn a_failed_endpoint_is_skipped_until_its_backoff_ends_and_the_backoff_grows() {
        let balancer = Balancer::new(BalanceOptions {
            fail_timeout: Duration::from_secs(10),
            max_fail_timeout: Duration::from_secs(25),
        });
        let (b, e) = (backend("a"), addrs(3));
        let t0 = Instant::now();
        balancer.failed_at(e[1], t0);
        let picked: Vec<_> = (0..4)
            .map(|_| balancer.pick_at(&b, &e, t0).unwrap().port())
            .collect();
        assert_eq!(picked, [1, 3, 3, 1], "port 2 skipped, the turn goes on");
        // Back after 10 s.
        let later = t0 + Duration::from_secs(11);
        let picked: Vec<_> = (0..3)
            .map(|_| balancer.pick_at(&b, &e, later).unwrap().port())
            .collect();
        assert_eq!(picked, [2, 3, 1]);
        // A second failure in a row: 20 s; a third: capped at 25 s.
        balancer.failed_at(e[1], later);
        let f = read(&balancer.failures)[&e[1]];
        assert_eq!(
            (f.consecutive, f.until - later),
            (2, Duration::from_secs(20))
        );
        balancer.failed_at(e[1], later);
        let f = read(&balancer.failures)[&e[1]];
        assert_eq!(
            (f.consecutive, f.until - later),
            (3, Duration::from_secs(25))
        );
        // One success clears it.
        balancer.succeeded(e[1]);
        assert!(!balancer.backing_off(e[1]));
    }

    #[test]
    fn when_every_endpoint_backs_off_the_turn_is_used_anyway() {
        let balancer = Balancer::default();
        let (b, e) = (backend("a"), addrs(2));
        for endpoint in &e {
            balancer.failed(*endpoint);
        }
        let picked: Vec<_> = (0..4)
            .map(|_| balancer.pick(&b, &e).unwrap().port())
            .collect();
        assert_eq!(picked, [1, 2, 1, 2]);
    }

    #[test]
    fn positions_of_backends_no_longer_picked_are_dropped_after_two_swaps() {
        let balancer = Balancer::default();
        let e = addrs(2);
        for name in ["a", "b", "c"] {
            balancer.pick(&backend(name), &e);
        }
        assert_eq!(balancer.positions(), 3);
        balancer.swapped();
        balancer.pick(&backend("a"), &e);
        assert_eq!(balancer.positions(), 3, "one swap keeps them");
        balancer.swapped();
        assert_eq!(
            balancer.positions(),
            1,
            "only `a` was picked since the swap before"
        );
        // And `a` kept its place in the turn.
        assert_eq!(balancer.pick(&backend("a"), &e).unwrap().port(), 1);
    }
}
