//! The outcome of a lookup: [`Decision`], [`Match`] and [`DefaultMatch`].

use std::fmt;
use std::sync::Arc;

use crate::compile::IngressEntry;
use crate::nginx::view::Handle;
use crate::nginx::{Canary, Redirect, Rewrite};
use crate::owned::OwnedDecision;
use crate::rule::{PathRule, RouteRef};
use ingress_model::IngressKey;

/// Where a request goes (crate docs, sections 1 to 5). Borrows from the table; see
/// [`Decision::into_owned`] for a value that outlives it.
///
/// # Examples
///
/// ```
/// use ingress_router::{Decision, RequestView, RouteTable};
/// # use ingress_model::Ingress;
/// # let ingress: Ingress = serde_json::from_str(r#"{
/// #   "metadata": {"name": "web", "namespace": "default"},
/// #   "spec": {"rules": [{"host": "foo.com", "http": {"paths": [
/// #     {"path": "/api", "pathType": "Prefix",
/// #      "backend": {"service": {"name": "api", "port": {"number": 80}}}}]}}]}
/// # }"#)?;
/// let table = RouteTable::builder().add(&ingress).build().table;
/// match table.find(&RequestView::new("foo.com", "/api/users")) {
///     Decision::Route(m) => {
///         assert_eq!(m.backend.to_string(), "service/api:80");
///         assert_eq!(m.source.to_string(), "default/web");
///         assert_eq!(m.rule.host(), Some("foo.com"));
///         assert_eq!(m.rule.path(), "/api");
///         assert_eq!(m.rule.path_type().as_str(), "Prefix");
///         assert_eq!((m.rule.rule_index(), m.rule.path_index()), (0, 0));
///     }
///     other => panic!("expected a route, got {other:?}"),
/// }
/// # Ok::<(), serde_json::Error>(())
/// ```
pub enum Decision<'t, B> {
    /// A path rule matched.
    Route(Match<'t, B>),
    /// No path rule matched; an Ingress's `spec.defaultBackend` answers (crate docs, section 5).
    DefaultBackend(DefaultMatch<'t, B>),
    /// The controller answers with a redirect itself (only under the ingress-nginx profile:
    /// a missing trailing slash, `app-root`, HTTPS, a URL `rewrite-target`).
    Redirect(Redirect<'t, B>),
    /// Nothing matched and no default backend applies: a gateway answers 404.
    NotFound,
}

/// A matched path rule: the backend, the Ingress, and the rule itself.
pub struct Match<'t, B> {
    /// The backend payload of the path.
    pub backend: &'t B,
    /// The Ingress the rule comes from.
    pub source: &'t IngressKey,
    /// The rule: host, path and pathType as written, indices, resolved match kind.
    pub rule: &'t PathRule,
    /// Under the ingress-nginx profile: the location's `rewrite-target`, which changes the
    /// request target the upstream gets ([`Rewrite::upstream_target`]).
    pub rewrite: Option<&'t Rewrite>,
    /// Under the ingress-nginx profile: the canary attached to the location's Service, which
    /// takes the request or not by its headers, cookies and weight ([`Canary::decide`]).
    pub canary: Option<Canary<'t, B>>,
    /// Where the route lives, for [`Decision::into_owned`].
    route: &'t RouteRef<B>,
    pub(crate) handle: Handle<'t, B>,
}

/// A default backend that answers: the backend and the Ingress whose `spec.defaultBackend` it
/// is.
pub struct DefaultMatch<'t, B> {
    /// The backend payload of the `defaultBackend`.
    pub backend: &'t B,
    /// The Ingress whose `defaultBackend` it is.
    pub source: &'t IngressKey,
    /// As [`Match::rewrite`] (ingress-nginx's placeholder locations carry their Ingress's
    /// annotations).
    pub rewrite: Option<&'t Rewrite>,
    /// As [`Match::canary`].
    pub canary: Option<Canary<'t, B>>,
    /// Where the backend lives, for [`Decision::into_owned`].
    entry: &'t Arc<IngressEntry<B>>,
    pub(crate) handle: Handle<'t, B>,
}

// === impl Decision ===

impl<'t, B> Decision<'t, B> {
    /// The backend, unless not found or redirected.
    pub fn backend(&self) -> Option<&'t B> {
        match self {
            Decision::Route(m) => Some(m.backend),
            Decision::DefaultBackend(d) => Some(d.backend),
            Decision::Redirect(_) | Decision::NotFound => None,
        }
    }

    /// The Ingress that decided, unless not found (or redirected by the catch-all server).
    pub fn source(&self) -> Option<&'t IngressKey> {
        match self {
            Decision::Route(m) => Some(m.source),
            Decision::DefaultBackend(d) => Some(d.source),
            Decision::Redirect(r) => r.source,
            Decision::NotFound => None,
        }
    }

    /// The rewrite of the request target, for a route or default backend of the ingress-nginx
    /// profile whose location rewrites.
    pub fn rewrite(&self) -> Option<&'t Rewrite> {
        match self {
            Decision::Route(m) => m.rewrite,
            Decision::DefaultBackend(d) => d.rewrite,
            _ => None,
        }
    }

    /// The canary attached to the backend (ingress-nginx profile).
    pub fn canary(&self) -> Option<Canary<'t, B>> {
        match self {
            Decision::Route(m) => m.canary,
            Decision::DefaultBackend(d) => d.canary,
            _ => None,
        }
    }

    /// The redirect, for [`Decision::Redirect`].
    pub fn redirect(&self) -> Option<&Redirect<'t, B>> {
        match self {
            Decision::Redirect(r) => Some(r),
            _ => None,
        }
    }

    /// The matched rule, for [`Decision::Route`].
    pub fn rule(&self) -> Option<&'t PathRule> {
        match self {
            Decision::Route(m) => Some(m.rule),
            _ => None,
        }
    }

    /// Whether nothing answers the request.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Decision::NotFound)
    }

    /// The same decision as a value that owns its share of the table instead of borrowing it
    /// (also `OwnedDecision::from`): it holds the route's block (the paths one Ingress brings
    /// to one host group) or the default backend's Ingress entry by reference count, so it
    /// costs one count increment, no allocation, and stays valid after the table is dropped or
    /// replaced. [`RouteTable::find_owned`](crate::RouteTable::find_owned) is `find` then this.
    ///
    /// (Not `to_owned`: `Decision` is `Clone`, so `to_owned()` already means a copy of the
    /// borrowed decision.)
    pub fn into_owned(self) -> OwnedDecision<B> {
        let handle = match self {
            Decision::Route(m) => m.handle,
            Decision::DefaultBackend(d) => d.handle,
            Decision::Redirect(r) => r.handle,
            Decision::NotFound => None,
        };
        if let Some((view, server, outcome)) = handle {
            return OwnedDecision::nginx(view.clone(), server.clone(), outcome);
        }
        match self {
            Decision::Route(m) => OwnedDecision::route(m.route.clone()),
            Decision::DefaultBackend(d) => OwnedDecision::default_backend(d.entry.clone()),
            Decision::Redirect(_) | Decision::NotFound => OwnedDecision::not_found(),
        }
    }
}

impl<B> Clone for Decision<'_, B> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<B> Copy for Decision<'_, B> {}

impl<B: fmt::Debug> fmt::Debug for Decision<'_, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decision::Route(m) => f.debug_tuple("Route").field(m).finish(),
            Decision::DefaultBackend(d) => f.debug_tuple("DefaultBackend").field(d).finish(),
            Decision::Redirect(r) => f.debug_tuple("Redirect").field(r).finish(),
            Decision::NotFound => f.write_str("NotFound"),
        }
    }
}

// === impl Match ===

impl<'t, B> Match<'t, B> {
    pub(crate) fn of(route: &'t RouteRef<B>) -> Self {
        Match {
            backend: &route.backend,
            source: &route.rule.source,
            rule: &route.rule,
            rewrite: None,
            canary: None,
            route,
            handle: None,
        }
    }
}

impl<B> Clone for Match<'_, B> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<B> Copy for Match<'_, B> {}

impl<B: fmt::Debug> fmt::Debug for Match<'_, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Match")
            .field("backend", self.backend)
            .field("rule", self.rule)
            .finish()
    }
}

// === impl DefaultMatch ===

impl<'t, B> DefaultMatch<'t, B> {
    /// The default backend of `entry`, if it has one.
    pub(crate) fn of(entry: &'t Arc<IngressEntry<B>>) -> Option<Self> {
        Some(DefaultMatch {
            backend: entry.default_backend.as_ref()?,
            source: &entry.key,
            rewrite: None,
            canary: None,
            entry,
            handle: None,
        })
    }
}

impl<B> Clone for DefaultMatch<'_, B> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<B> Copy for DefaultMatch<'_, B> {}

impl<B: fmt::Debug> fmt::Debug for DefaultMatch<'_, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DefaultMatch")
            .field("backend", self.backend)
            .field("source", self.source)
            .finish()
    }
}
