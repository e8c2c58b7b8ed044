//! [`Snapshot`]: an immutable view of the index for the data path: the route table, the
//! resolution of every Service, and the TLS Secrets.

use std::fmt;
use std::sync::Arc;

use ingress_router::{Certificate, Decision, RequestView, RouteTable};

use super::object::NamespacedName;
use super::resolve::{Reason, Resolved, ServiceEntry};
use super::routes::Backend;
use super::shared::SharedMap;
use super::tls::{CertificateProblem, TlsSecret};

/// What the index knew at one moment, for serving requests. Immutable, `Send + Sync`, cheap
/// to hold in an `Arc`: a gateway swaps in each new one and lets requests in flight finish on
/// the old.
///
/// A snapshot made after an EndpointSlice, Service or Secret change shares the route table of
/// the one before ([`Snapshot::table_ptr_eq`]); only Ingress and IngressClass changes make a
/// new table.
pub struct Snapshot {
    pub(crate) table: Arc<RouteTable<Backend>>,
    pub(crate) routes_generation: u64,
    pub(crate) services: SharedMap<NamespacedName, Arc<ServiceEntry>>,
    pub(crate) secrets: SharedMap<NamespacedName, Arc<TlsSecret>>,
    pub(crate) generation: u64,
}

/// Where a request goes: the router's decision and, when something matched, where its backend
/// leads.
///
/// The HTTP contract for a gateway ([`Routed::error_status`]): no rule and no default backend
/// matched: **404**; a backend matched but resolves to nothing ([`Resolved::Unavailable`]):
/// **503**; otherwise forward.
#[derive(Clone, Copy, Debug)]
pub struct Routed<'s> {
    /// The router's decision: which rule (or default backend) of which Ingress.
    pub decision: Decision<'s, Backend>,
    /// The decision's backend, resolved; `None` exactly when the decision is
    /// [`Decision::NotFound`].
    pub resolved: Option<Resolved<'s>>,
}

impl Routed<'_> {
    /// The status a gateway answers instead of forwarding: `Some(404)` when nothing matched,
    /// `Some(503)` when the matched backend is unavailable, `None` when there is somewhere to
    /// forward to.
    pub fn error_status(&self) -> Option<u16> {
        match self.resolved {
            None => Some(404),
            Some(Resolved::Unavailable(_)) => Some(503),
            Some(_) => None,
        }
    }
}

/// The certificate for an SNI name: which `spec.tls` entry covers it, and its Secret.
#[derive(Clone, Copy, Debug)]
pub struct TlsCertificate<'s> {
    /// The router's choice: Ingress, `spec.tls` entry, Secret name.
    pub entry: Certificate<'s>,
    /// The Secret's certificate and key, or why there are none.
    pub secret: Result<&'s TlsSecret, CertificateProblem>,
}

impl Snapshot {
    /// Whether this snapshot holds the Ingress (by namespace and name) and its class rules
    /// make it ours (its class is one of our IngressClasses, or the default rules take it):
    /// the Ingresses a status writer sets. An Ingress the index skipped (it did not convert)
    /// is not ours. The answer is the snapshot's: a status writer holding a newer version of
    /// the object gets the new answer with the next snapshot. A table lookup, no conversion.
    pub fn serves(&self, ingress: &k8s_openapi::api::networking::v1::Ingress) -> bool {
        let metadata = &ingress.metadata;
        let key = ingress_model::IngressKey::new(
            metadata.namespace.as_deref().unwrap_or_default(),
            metadata.name.as_deref().unwrap_or_default(),
        );
        self.table.is_ours(&key)
    }

    /// The route table (payload: [`Backend`]).
    pub fn table(&self) -> &RouteTable<Backend> {
        &self.table
    }

    /// Routes a request and resolves the backend it lands on.
    ///
    /// See the [crate documentation](crate) for an example.
    pub fn route(&self, request: &RequestView<'_>) -> Routed<'_> {
        let decision = self.table.find(request);
        let resolved = decision.backend().map(|b| self.resolve(b));
        Routed { decision, resolved }
    }

    /// Where a backend leads now.
    pub fn resolve(&self, backend: &Backend) -> Resolved<'_> {
        match backend {
            Backend::Resource(_) => Resolved::Unavailable(Reason::UnsupportedBackend),
            Backend::Service(s) => match self.services.get(&s.service) {
                Some(entry) => entry.resolve(&s.port),
                None => Resolved::Unavailable(Reason::ServiceMissing),
            },
        }
    }

    /// The certificate to terminate TLS with for an SNI name: `None` when no Ingress's
    /// `spec.tls` covers the name (the gateway's default certificate, or a refusal, is its own
    /// choice); else the entry that covers it ([`RouteTable::certificate_for`]) and its
    /// Secret, from the Ingress's namespace.
    pub fn certificate_for(&self, sni: &str) -> Option<TlsCertificate<'_>> {
        let entry = self.table.certificate_for(sni)?;
        let secret = match entry.secret_name.filter(|s| !s.is_empty()) {
            None => Err(CertificateProblem::NoSecretName),
            Some(name) => self
                .secrets
                .get(&NamespacedName::new(entry.namespace(), name))
                .map(|s| &**s)
                .ok_or(CertificateProblem::SecretMissing),
        };
        Some(TlsCertificate { entry, secret })
    }

    /// The `kubernetes.io/tls` Secret `namespace/name`, whether an Ingress names it or not: a
    /// gateway's own default certificate is one.
    pub fn tls_secret(&self, namespace: &str, name: &str) -> Option<&TlsSecret> {
        self.secrets
            .get(&NamespacedName::new(namespace, name))
            .map(|s| &**s)
    }

    /// Whether two snapshots share one route table (the same `Arc`): true across EndpointSlice,
    /// Service and Secret changes.
    pub fn table_ptr_eq(&self, other: &Snapshot) -> bool {
        Arc::ptr_eq(&self.table, &other.table)
    }

    /// How many times the index has changed its route table: equal for two snapshots exactly
    /// when they share it.
    pub fn routes_generation(&self) -> u64 {
        self.routes_generation
    }

    /// How many changed snapshots the index has made before this one (0 for the first).
    pub fn generation(&self) -> u64 {
        self.generation
    }
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("generation", &self.generation)
            .field("routes_generation", &self.routes_generation)
            .field("table", &self.table)
            .field("services", &self.services.len())
            .field("tls_secrets", &self.secrets.len())
            .finish()
    }
}
