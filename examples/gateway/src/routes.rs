//! [`Routes`]: the snapshot of the index that requests are routed and resolved with, and the
//! round-robin position of every backend.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use arc_swap::ArcSwap;
use ingress_kube::index::{Backend, Snapshot};
use ingress_router::tower::RouteSource;
use ingress_router::{OwnedDecision, RequestView};

/// What the gateway serves now: an index snapshot, swapped as a whole.
///
/// It is the [`RouteSource`] of the gateway's `RouteLayer`: the layer routes with the table of
/// the current snapshot, and the proxy then resolves the decision's backend with
/// [`Routes::load`]. A swap between the two resolves the old route with the new endpoints,
/// which is what a request that arrived just before the swap should get.
#[derive(Debug)]
pub struct Routes {
    current: ArcSwap<Snapshot>,
    /// The next endpoint index per backend. Grows with the backends ever served.
    turns: RwLock<HashMap<Backend, AtomicUsize>>,
}

impl Routes {
    /// Serves `snapshot`.
    pub fn new(snapshot: Arc<Snapshot>) -> Self {
        Routes {
            current: ArcSwap::new(snapshot),
            turns: RwLock::new(HashMap::new()),
        }
    }

    /// The current snapshot.
    pub fn load(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Serves `snapshot` from now on; requests in flight finish with what they loaded.
    pub fn store(&self, snapshot: Arc<Snapshot>) {
        self.current.store(snapshot);
    }

    /// The endpoint of `backend` to send the next request to: its endpoints in turn.
    /// `endpoints` is never empty (the index's `Resolved::Endpoints` promise); `None` if it is.
    pub fn pick(&self, backend: &Backend, endpoints: &[SocketAddr]) -> Option<SocketAddr> {
        if endpoints.is_empty() {
            return None;
        }
        let turn = {
            // A poisoned lock only means a thread panicked while inserting: the map is whole.
            let turns = self.turns.read().unwrap_or_else(|e| e.into_inner());
            turns
                .get(backend)
                .map(|t| t.fetch_add(1, Ordering::Relaxed))
        };
        let turn = match turn {
            Some(turn) => turn,
            None => {
                let mut turns = self.turns.write().unwrap_or_else(|e| e.into_inner());
                turns
                    .entry(backend.clone())
                    .or_insert_with(|| AtomicUsize::new(0))
                    .fetch_add(1, Ordering::Relaxed)
            }
        };
        endpoints.get(turn % endpoints.len()).copied()
    }
}

impl RouteSource for Routes {
    type Backend = Backend;

    fn find_owned(&self, request: &RequestView<'_>) -> OwnedDecision<Backend> {
        self.current.load().table().find_owned(request)
    }
}
