//! [`Routes`]: the snapshot of the index that requests are routed and resolved with, and the
//! [`Balancer`] that picks each backend's endpoints.

use std::sync::Arc;

use arc_swap::ArcSwap;
use ingress_kube::index::{Backend, Snapshot};
use ingress_router::tower::RouteSource;
use ingress_router::{OwnedDecision, RequestView};

use crate::balance::{BalanceOptions, Balancer};

/// What the gateway serves now: an index snapshot, swapped as a whole.
///
/// It is the [`RouteSource`] of the gateway's `RouteLayer`: the layer routes with the table of
/// the current snapshot, and the proxy then resolves the decision's backend with
/// [`Routes::load`]. A swap between the two resolves the old route with the new endpoints,
/// which is what a request that arrived just before the swap should get.
#[derive(Debug)]
pub struct Routes {
    current: ArcSwap<Snapshot>,
    balancer: Balancer,
}

impl Routes {
    /// Serves `snapshot`, with the default back-off for failed endpoints.
    pub fn new(snapshot: Arc<Snapshot>) -> Self {
        Routes::with_balance(snapshot, BalanceOptions::default())
    }

    /// Serves `snapshot`; failed endpoints back off as `options` says.
    pub fn with_balance(snapshot: Arc<Snapshot>, options: BalanceOptions) -> Self {
        Routes {
            current: ArcSwap::new(snapshot),
            balancer: Balancer::new(options),
        }
    }

    /// The round robin and the failed endpoints.
    pub fn balancer(&self) -> &Balancer {
        &self.balancer
    }

    /// The current snapshot.
    pub fn load(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Serves `snapshot` from now on; requests in flight finish with what they loaded. The
    /// previous snapshot is freed by the last request holding it, or here.
    pub fn store(&self, snapshot: Arc<Snapshot>) {
        self.current.store(snapshot);
        self.balancer.swapped();
    }

    /// Tables stored since this one was made.
    pub fn swaps(&self) -> u64 {
        self.balancer.swaps()
    }
}

impl RouteSource for Routes {
    type Backend = Backend;

    fn find_owned(&self, request: &RequestView<'_>) -> OwnedDecision<Backend> {
        self.current.load().table().find_owned(request)
    }
}
