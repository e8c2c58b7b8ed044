//! [`OwnedDecision`]: a decision that owns its share of the table, for embedders that keep it
//! beyond the lookup (in a request's extensions, across a table swap).

use std::fmt;
use std::sync::Arc;

use crate::compile::IngressEntry;
use crate::matched::{Decision, DefaultMatch, Match};
use crate::nginx::server::Server;
use crate::nginx::view::{NginxView, Outcome};
use crate::rule::{PathRule, RouteRef};
use ingress_model::IngressKey;

/// Where a request went, as a value independent of the table: the same answer as
/// [`Decision`], with the payload, the Ingress, and for a route the [`PathRule`] (rule host,
/// path and pathType as written, match kind, indices).
///
/// It holds the table's own data by reference count, never a copy: a route keeps the block of
/// paths its Ingress brings to its host group alive, a default backend its Ingress's entry. So
/// making one ([`RouteTable::find_owned`](crate::RouteTable::find_owned),
/// [`Decision::into_owned`]) and cloning one cost a reference-count increment and allocate
/// nothing, and it stays valid, answering the same, after the table is dropped or replaced by
/// an update. It is `'static + Clone + Send + Sync` when `B` is `'static + Send + Sync`: what
/// `http::Extensions` asks of a value.
///
/// Read it with the accessors, or match on the borrowed view [`OwnedDecision::as_decision`].
///
/// # Examples
///
/// ```
/// use ingress_router::{Decision, RequestView, RouteTable};
/// # use ingress_model::Ingress;
/// # let ingress: Ingress = serde_json::from_str(r#"{
/// #   "metadata": {"name": "web", "namespace": "shop"},
/// #   "spec": {"defaultBackend": {"service": {"name": "fallback", "port": {"number": 80}}},
/// #            "rules": [{"host": "foo.com", "http": {"paths": [
/// #     {"path": "/api", "pathType": "Exact",
/// #      "backend": {"service": {"name": "api", "port": {"number": 80}}}}]}}]}
/// # }"#)?;
/// let table = RouteTable::builder().add(&ingress).build().table;
/// let routed = table.find_owned(&RequestView::new("foo.com", "/api"));
/// let fallback = table.find(&RequestView::new("foo.com", "/other")).into_owned();
/// drop(table);
///
/// let rule = routed.rule().unwrap();
/// assert_eq!((rule.host(), rule.path(), rule.path_type().as_str()), (Some("foo.com"), "/api", "Exact"));
/// match fallback.as_decision() {
///     Decision::DefaultBackend(d) => {
///         assert_eq!(d.backend.to_string(), "service/fallback:80");
///         assert_eq!(d.source.to_string(), "shop/web");
///     }
///     other => panic!("{other:?}"),
/// }
/// # Ok::<(), serde_json::Error>(())
/// ```
pub struct OwnedDecision<B> {
    inner: Owned<B>,
}

enum Owned<B> {
    Route(RouteRef<B>),
    /// An entry whose `default_backend` is `Some`.
    DefaultBackend(Arc<IngressEntry<B>>),
    /// A decision of the ingress-nginx profile: its view, its server, and where in it.
    Nginx(Arc<NginxView<B>>, Arc<Server<B>>, Outcome),
    NotFound,
}

// === impl OwnedDecision ===

impl<B> OwnedDecision<B> {
    pub(crate) fn route(route: RouteRef<B>) -> Self {
        OwnedDecision {
            inner: Owned::Route(route),
        }
    }

    pub(crate) fn default_backend(entry: Arc<IngressEntry<B>>) -> Self {
        OwnedDecision {
            inner: Owned::DefaultBackend(entry),
        }
    }

    pub(crate) fn nginx(view: Arc<NginxView<B>>, server: Arc<Server<B>>, outcome: Outcome) -> Self {
        OwnedDecision {
            inner: Owned::Nginx(view, server, outcome),
        }
    }

    pub(crate) fn not_found() -> Self {
        OwnedDecision {
            inner: Owned::NotFound,
        }
    }

    /// The decision as [`RouteTable::find`](crate::RouteTable::find) returned it, borrowed
    /// from this value.
    pub fn as_decision(&self) -> Decision<'_, B> {
        match &self.inner {
            Owned::Route(route) => Decision::Route(Match::of(route)),
            // `Owned::DefaultBackend` is only made from an entry with a default backend.
            Owned::DefaultBackend(entry) => {
                DefaultMatch::of(entry).map_or(Decision::NotFound, Decision::DefaultBackend)
            }
            Owned::Nginx(view, server, outcome) => view.decision(server, *outcome),
            Owned::NotFound => Decision::NotFound,
        }
    }

    /// The backend, unless not found.
    pub fn backend(&self) -> Option<&B> {
        self.as_decision().backend()
    }

    /// The Ingress that decided, unless not found.
    pub fn source(&self) -> Option<&IngressKey> {
        self.as_decision().source()
    }

    /// The matched rule, for a route.
    pub fn rule(&self) -> Option<&PathRule> {
        self.as_decision().rule()
    }

    /// Whether a path rule matched.
    pub fn is_route(&self) -> bool {
        matches!(self.as_decision(), Decision::Route(_))
    }

    /// Whether a default backend answers.
    pub fn is_default_backend(&self) -> bool {
        matches!(self.as_decision(), Decision::DefaultBackend(_))
    }

    /// Whether the controller redirects (ingress-nginx profile).
    pub fn is_redirect(&self) -> bool {
        matches!(self.as_decision(), Decision::Redirect(_))
    }

    /// Whether nothing answers the request.
    pub fn is_not_found(&self) -> bool {
        matches!(self.as_decision(), Decision::NotFound)
    }
}

impl<B> From<Decision<'_, B>> for OwnedDecision<B> {
    fn from(decision: Decision<'_, B>) -> Self {
        decision.into_owned()
    }
}

/// A reference-count increment, no allocation.
impl<B> Clone for OwnedDecision<B> {
    fn clone(&self) -> Self {
        OwnedDecision {
            inner: match &self.inner {
                Owned::Route(route) => Owned::Route(route.clone()),
                Owned::DefaultBackend(entry) => Owned::DefaultBackend(entry.clone()),
                Owned::Nginx(view, server, outcome) => {
                    Owned::Nginx(view.clone(), server.clone(), *outcome)
                }
                Owned::NotFound => Owned::NotFound,
            },
        }
    }
}

/// As the borrowed [`Decision`] prints.
impl<B: fmt::Debug> fmt::Debug for OwnedDecision<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_decision().fmt(f)
    }
}
