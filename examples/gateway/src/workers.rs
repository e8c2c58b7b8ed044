//! The serving threads: one single-threaded tokio runtime per thread, as nginx runs one
//! worker process per core.
//!
//! On tokio's multi-threaded runtime a proxied request hops between threads: the client
//! connection's task and the pooled upstream connection's task wake each other through the
//! scheduler, on whichever worker is free, and every hop across threads costs a wake-up
//! (a futex, often a context switch) and cold caches. Here each accepted connection is
//! handed to one thread, in turn, and everything it starts stays there: its requests, the
//! upstream connections of that thread's own pool (the proxy keeps one pool per thread),
//! and the tunnels of its upgrades. Threads share only what is read far more than written:
//! the routes, the balancer, the metrics.
//!
//! The accept loop itself, the drain and the control work (reloads, the controller, the
//! admin listener) stay on the caller's runtime.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use tokio::runtime::{Builder, Handle};
use tokio::sync::oneshot;

/// Serving threads, each with a single-threaded runtime, running until dropped.
#[derive(Debug)]
pub struct Workers {
    handles: Vec<Handle>,
    next: AtomicUsize,
    /// Dropping these ends the threads: each drops its runtime (and the tasks left on it) on
    /// its own thread, as a runtime must be dropped outside async code.
    _stops: Vec<oneshot::Sender<()>>,
}

impl Workers {
    /// Starts `count` threads (at least one), named `ingress-gateway-worker-N`.
    pub fn start(count: usize) -> io::Result<Workers> {
        let mut handles = Vec::new();
        let mut stops = Vec::new();
        for n in 0..count.max(1) {
            let runtime = Builder::new_current_thread().enable_all().build()?;
            handles.push(runtime.handle().clone());
            let (stop, stopped) = oneshot::channel::<()>();
            stops.push(stop);
            thread::Builder::new()
                .name(format!("ingress-gateway-worker-{n}"))
                .spawn(move || {
                    let _ = runtime.block_on(stopped);
                })?;
        }
        Ok(Workers {
            handles,
            next: AtomicUsize::new(0),
            _stops: stops,
        })
    }

    /// How many threads there are.
    pub fn len(&self) -> usize {
        self.handles.len()
    }

    /// Never: there is at least one thread.
    pub fn is_empty(&self) -> bool {
        self.handles.is_empty()
    }

    /// The next thread in turn: its number (below [`Workers::len`]) and its runtime.
    pub fn next(&self) -> (usize, &Handle) {
        let n = self.next.fetch_add(1, Ordering::Relaxed) % self.handles.len();
        (n, &self.handles[n])
    }

    /// The number of threads the gateway runs by default: one per core the process may use.
    pub fn default_count() -> usize {
        thread::available_parallelism().map_or(1, usize::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn connections_take_the_threads_in_turn_and_run_on_them() {
        let workers = Workers::start(2).unwrap();
        let mut seen = Vec::new();
        for _ in 0..4 {
            let (n, handle) = workers.next();
            let name = handle
                .spawn(async { thread::current().name().map(str::to_owned) })
                .await
                .unwrap();
            seen.push((n, name.unwrap()));
        }
        assert_eq!(
            seen,
            [0, 1, 0, 1]
                .map(|n| (n, format!("ingress-gateway-worker-{n}")))
                .to_vec()
        );
    }

    #[tokio::test]
    async fn dropping_them_ends_the_tasks_left_on_them() {
        let workers = Workers::start(1).unwrap();
        let (_, handle) = workers.next();
        let task = handle.spawn(std::future::pending::<()>());
        drop(workers);
        let ended = tokio::time::timeout(std::time::Duration::from_secs(10), task)
            .await
            .expect("the task ends with its runtime");
        assert!(ended.unwrap_err().is_cancelled());
    }
}
