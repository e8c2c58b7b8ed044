//! [`SharedTable`]: the current table of a gateway, read by every request and replaced by a
//! controller, with replaced tables freed off the request path (feature `shared`).
//!
//! Freeing a large table is not free: a 10 000-Ingress table takes tens of milliseconds to drop
//! (see the router README's `drop/10000`). Behind a plain swapped `Arc`, whoever lets go last
//! pays, and that is usually a request that was in flight during the swap. A `SharedTable`
//! hands every replaced table to a background thread of its own, which keeps it until no
//! reader holds it any more and then frees it there. This is the one place where this crate
//! starts a thread: lazily, at the first replacement, and it ends when the `SharedTable` is
//! dropped.
//!
//! Readers never lock: [`SharedTable::load`] is an `arc-swap` load.

use std::fmt;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use arc_swap::ArcSwap;

use crate::table::RouteTable;

/// How often the background thread looks again at tables that readers still hold.
const RECHECK: Duration = Duration::from_millis(20);

/// A swappable, shared [`RouteTable`]: lock-free reads, atomic replacement, and replaced tables
/// freed on a background thread once their last reader lets go (a 10 000-Ingress table takes
/// tens of milliseconds to free, which a request should not pay).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use ingress_router::{RequestView, RouteTable, SharedTable};
/// # use ingress_model::Ingress;
/// # let ingress: Ingress = serde_json::from_str(r#"{
/// #   "metadata": {"name": "web", "namespace": "default"},
/// #   "spec": {"rules": [{"http": {"paths": [
/// #     {"path": "/", "pathType": "Prefix",
/// #      "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}
/// # }"#)?;
/// let shared = Arc::new(SharedTable::new(RouteTable::empty()));
///
/// // A request handler:
/// let handler = {
///     let shared = shared.clone();
///     move || shared.load().find(&RequestView::new("x", "/")).is_not_found()
/// };
/// assert!(handler());
///
/// // The controller publishes a table; the empty one is freed in the background.
/// shared.store(RouteTable::builder().add(&ingress).build().table);
/// assert!(!handler());
/// # Ok::<(), serde_json::Error>(())
/// ```
pub struct SharedTable<B> {
    current: ArcSwap<RouteTable<B>>,
    retire: Mutex<Option<Retirer<B>>>,
}

/// The sending end of the background thread, started at the first replacement.
struct Retirer<B> {
    sender: Sender<Arc<RouteTable<B>>>,
    thread: JoinHandle<()>,
}

// === impl SharedTable ===

impl<B: Send + Sync + 'static> SharedTable<B> {
    /// A shared table serving `table`.
    pub fn new(table: impl Into<Arc<RouteTable<B>>>) -> Self {
        SharedTable {
            current: ArcSwap::new(table.into()),
            retire: Mutex::new(None),
        }
    }

    /// The current table. Lock-free; hold the `Arc` for as long as one request needs a
    /// consistent view.
    pub fn load(&self) -> Arc<RouteTable<B>> {
        self.current.load_full()
    }

    /// Serves `table` from now on. Requests already holding the old table finish with it; the
    /// old table is then freed on the background thread.
    pub fn store(&self, table: impl Into<Arc<RouteTable<B>>>) {
        let old = self.current.swap(table.into());
        self.retire(old);
    }

    /// Hands a table to the background thread (starting it if needed).
    fn retire(&self, old: Arc<RouteTable<B>>) {
        // A poisoned lock only means another `store` panicked: the sender is still good.
        let mut retire = self.retire.lock().unwrap_or_else(|e| e.into_inner());
        if retire.is_none() {
            *retire = Retirer::start();
        }
        let sent = match retire.as_ref() {
            Some(retirer) => retirer.sender.send(old).map_err(|e| e.0),
            None => Err(old),
        };
        if let Err(old) = sent {
            // No thread could be started, or it is gone: free the table here, as a plain
            // `Arc` would.
            drop(old);
            *retire = None;
        }
    }
}

impl<B> Drop for SharedTable<B> {
    fn drop(&mut self) {
        let retirer = self
            .retire
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(Retirer { sender, thread }) = retirer {
            // Closing the channel tells the thread to let go of what it holds and end.
            drop(sender);
            let _ = thread.join();
        }
    }
}

impl<B> fmt::Debug for SharedTable<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedTable")
            .field("current", &**self.current.load())
            .finish_non_exhaustive()
    }
}

// === impl Retirer ===

impl<B: Send + Sync + 'static> Retirer<B> {
    /// `None` when the system refuses a thread.
    fn start() -> Option<Self> {
        let (sender, receiver) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("ingress-router-retire".to_owned())
            .spawn(move || retire_loop(receiver))
            .ok()?;
        Some(Retirer { sender, thread })
    }
}

/// Keeps each retired table until the thread holds its last reference, then frees it. Ends
/// when the channel closes, letting go of the tables readers still hold (they free them).
fn retire_loop<B>(receiver: Receiver<Arc<RouteTable<B>>>) {
    let mut held: Vec<Arc<RouteTable<B>>> = Vec::new();
    loop {
        let wait = if held.is_empty() {
            Duration::MAX
        } else {
            RECHECK
        };
        match receiver.recv_timeout(wait) {
            Ok(table) => held.push(table),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        // Tables nobody else holds any more are freed here, off the request path.
        held.retain(|t| Arc::strong_count(t) > 1);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    /// A payload that records the thread it is dropped on.
    struct Witness(Arc<Mutex<Option<String>>>);

    impl Drop for Witness {
        fn drop(&mut self) {
            let name = std::thread::current().name().map(str::to_owned);
            *self.0.lock().unwrap() = name.or(Some(String::new()));
        }
    }

    fn table_with(witness: Witness) -> RouteTable<Witness> {
        let witness = Mutex::new(Some(witness));
        let ingress: ingress_model::Ingress = serde_json::from_str(
            r#"{"metadata": {"name": "w", "namespace": "default"},
                "spec": {"defaultBackend": {"service": {"name": "w", "port": {"number": 80}}}}}"#,
        )
        .unwrap();
        RouteTable::builder_with(move |_, _| {
            witness
                .lock()
                .unwrap()
                .take()
                .ok_or_else(|| "only one".into())
        })
        .add(&ingress)
        .build()
        .table
    }

    #[test]
    fn replaced_tables_are_freed_in_the_background_after_the_last_reader() {
        let dropped_on = Arc::new(Mutex::new(None));
        let shared = SharedTable::new(table_with(Witness(dropped_on.clone())));
        // A request in flight holds the old table across the swap.
        let in_flight = shared.load();
        shared.store(RouteTable::empty());
        assert!(!in_flight.find_parts("x", "/").is_not_found());
        assert!(shared.load().find_parts("x", "/").is_not_found());
        drop(in_flight);
        // The request thread did not free it; the background thread does, soon.
        let deadline = Instant::now() + Duration::from_secs(10);
        while dropped_on.lock().unwrap().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(
            dropped_on.lock().unwrap().as_deref(),
            Some("ingress-router-retire")
        );
    }

    #[test]
    fn dropping_the_shared_table_ends_its_thread() {
        let shared: SharedTable<String> = SharedTable::new(RouteTable::empty());
        shared.store(RouteTable::empty());
        let thread = shared
            .retire
            .lock()
            .unwrap()
            .as_ref()
            .map(|r| r.thread.thread().id());
        assert!(thread.is_some());
        drop(shared); // joins the thread: the test would hang, not pass, if it did not end
    }
}
