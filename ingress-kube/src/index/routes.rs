//! The routing half of the index: the model Ingresses, the [`RouteTable`] built from them, the
//! table's payload ([`Backend`]), and the diagnostics of each Ingress.
//!
//! The payload names a Service and a port and nothing that depends on the Service's state, so
//! the table never has to change when endpoints do: resolution happens beside the table (see
//! [`resolve`](super::resolve)). This module is also the one place that knows the router's
//! mapper signature and how diagnostics come out of it.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::Arc;

use ingress_model::{Ingress, IngressBackend};
use ingress_router::{
    BackendError, ClassFilter, Config, Diagnostic, IngressKey, RouteTable, Validation,
};

use super::object::NamespacedName;

/// What a path or a default backend routes to: the payload of the snapshot's table.
///
/// A stable handle: it names the backend as the Ingress wrote it, never its endpoints, so a
/// Service or EndpointSlice change re-resolves it without touching the table.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// A Service in the Ingress's namespace and one of its ports.
    Service(ServiceBackend),
    /// A `resource` backend (any other object). Routed, but never resolved: a gateway answers
    /// 503 ([`Reason::UnsupportedBackend`](super::Reason::UnsupportedBackend)).
    Resource(ResourceBackend),
}

/// A Service backend: `namespace/name` and the port as the Ingress names it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ServiceBackend {
    /// The Service (the Ingress's namespace, `service.name`).
    pub service: NamespacedName,
    /// `service.port`.
    pub port: PortRef,
}

/// A Service port as an Ingress backend names it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PortRef {
    /// `port.number`: the Service port with this `spec.ports[].port`.
    Number(i32),
    /// `port.name`: the Service port with this `spec.ports[].name`.
    Name(Arc<str>),
    /// Neither (only an object the API server did not validate can say this): never resolves.
    Unset,
}

/// A `resource` backend: an object of another kind in the Ingress's namespace.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ResourceBackend {
    /// The Ingress's namespace.
    pub namespace: Arc<str>,
    /// `apiGroup` (`None`: the core group).
    pub api_group: Option<Arc<str>>,
    /// `kind`.
    pub kind: Arc<str>,
    /// `name`.
    pub name: Arc<str>,
}

impl fmt::Display for Backend {
    /// `service/NAMESPACE/NAME:PORT` or `resource/GROUP/KIND/NAMESPACE/NAME`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Backend::Service(s) => {
                write!(f, "service/{}", s.service)?;
                match &s.port {
                    PortRef::Number(n) => write!(f, ":{n}"),
                    PortRef::Name(n) => write!(f, ":{n}"),
                    PortRef::Unset => Ok(()),
                }
            }
            Backend::Resource(r) => write!(
                f,
                "resource/{}/{}/{}/{}",
                r.api_group.as_deref().unwrap_or(""),
                r.kind,
                r.namespace,
                r.name
            ),
        }
    }
}

/// The table's mapper: every backend the API allows becomes a payload; only a backend with
/// neither a Service nor a resource (which no API server accepts) is declined, which skips
/// that path with a diagnostic.
fn map_backend(ingress: &Ingress, backend: &IngressBackend) -> Result<Backend, BackendError> {
    let namespace = ingress.metadata.namespace();
    if let Some(s) = &backend.service {
        let port = match &s.port {
            Some(p) if p.number.is_some_and(|n| n != 0) => PortRef::Number(p.number.unwrap_or(0)),
            Some(p) if p.name.as_deref().is_some_and(|n| !n.is_empty()) => {
                PortRef::Name(p.name.as_deref().unwrap_or_default().into())
            }
            _ => PortRef::Unset,
        };
        return Ok(Backend::Service(ServiceBackend {
            service: NamespacedName::new(namespace, s.name.as_str()),
            port,
        }));
    }
    if let Some(r) = &backend.resource {
        return Ok(Backend::Resource(ResourceBackend {
            namespace: namespace.into(),
            api_group: r.api_group.as_deref().map(Into::into),
            kind: r.kind.as_str().into(),
            name: r.name.as_str().into(),
        }));
    }
    Err(BackendError::unsupported(
        "the backend names neither a service nor a resource",
    ))
}

/// What a change to the Ingresses did.
#[derive(Debug, Default)]
pub(crate) struct RoutesChange {
    pub(crate) table_changed: bool,
    pub(crate) diagnostics_changed: BTreeSet<IngressKey>,
}

/// The Ingresses (as model objects) and the table built from them.
pub(crate) struct Routes {
    /// Stored without `status` and `resourceVersion`, so an update that only touches those is
    /// recognised as no change.
    ingresses: HashMap<IngressKey, Ingress>,
    table: Arc<RouteTable<Backend>>,
    generation: u64,
}

impl Routes {
    /// An empty table. `config`'s class filter and validation are the index's to set.
    pub(crate) fn new(config: Config, classes: ClassFilter) -> Self {
        let config = config.validation(Validation::Trusted).classes(classes);
        let table = RouteTable::builder_with(map_backend)
            .config(config)
            .build()
            .table;
        Routes {
            ingresses: HashMap::new(),
            table: Arc::new(table),
            generation: 0,
        }
    }

    pub(crate) fn table(&self) -> &Arc<RouteTable<Backend>> {
        &self.table
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// The router's diagnostics of one Ingress: its own and those of the host groups it joins.
    pub(crate) fn diagnostics_for(&self, key: &IngressKey) -> Vec<Diagnostic> {
        self.table.diagnostics_for(key)
    }

    pub(crate) fn serves(&self, key: &IngressKey) -> bool {
        self.ingresses
            .get(key)
            .is_some_and(|i| self.table.config().classes.serves(i).is_ok())
    }

    /// Adds or replaces an Ingress: only its host groups are rebuilt.
    pub(crate) fn apply(&mut self, mut ingress: Ingress) -> RoutesChange {
        ingress.status = None;
        ingress.metadata.resource_version = None;
        let key = IngressKey::of(&ingress);
        if self.ingresses.get(&key) == Some(&ingress) {
            return RoutesChange::default();
        }
        let built = self.table.with_ingress(&ingress);
        self.ingresses.insert(key, ingress);
        let candidates = built.changed.clone();
        self.replace_table(built.table, candidates)
    }

    pub(crate) fn delete(&mut self, key: &IngressKey) -> RoutesChange {
        if self.ingresses.remove(key).is_none() {
            return RoutesChange::default();
        }
        let built = self.table.without_ingress(key);
        let candidates = built.changed.clone();
        self.replace_table(built.table, candidates)
    }

    /// Replaces every Ingress at once: one build instead of one update per object.
    pub(crate) fn reset(&mut self, ingresses: Vec<Ingress>) -> RoutesChange {
        let ingresses: HashMap<IngressKey, Ingress> = ingresses
            .into_iter()
            .map(|mut i| {
                i.status = None;
                i.metadata.resource_version = None;
                (IngressKey::of(&i), i)
            })
            .collect();
        if ingresses == self.ingresses {
            return RoutesChange::default();
        }
        let before: Vec<IngressKey> = self.ingresses.keys().cloned().collect();
        self.ingresses = ingresses;
        self.rebuild(self.table.config().clone(), before)
    }

    /// Serves another set of classes: the whole table is rebuilt (same mapper, new filter).
    pub(crate) fn set_classes(&mut self, classes: ClassFilter) -> RoutesChange {
        if classes == self.table.config().classes {
            return RoutesChange::default();
        }
        let config = self.table.config().clone().classes(classes);
        let before: Vec<IngressKey> = self.ingresses.keys().cloned().collect();
        self.rebuild(config, before)
    }

    /// A full build from the stored Ingresses; `before` are the keys the old table had, whose
    /// diagnostics may have changed too (or gone, with their Ingress).
    fn rebuild(&mut self, config: Config, before: Vec<IngressKey>) -> RoutesChange {
        let built = self
            .table
            .to_builder()
            .config(config)
            .add_all(self.ingresses.values())
            .build();
        let mut candidates = built.changed.clone();
        candidates.extend(before);
        self.replace_table(built.table, candidates)
    }

    /// Installs a new table and reports which of `candidates` (the Ingresses whose diagnostics
    /// the router says may have changed) really have different diagnostics now: a few for an
    /// update, every Ingress for a full build.
    fn replace_table(
        &mut self,
        table: RouteTable<Backend>,
        candidates: Vec<IngressKey>,
    ) -> RoutesChange {
        let old = std::mem::replace(&mut self.table, Arc::new(table));
        self.generation += 1;
        let diagnostics_changed = candidates
            .into_iter()
            .filter(|k| old.diagnostics_for(k) != self.table.diagnostics_for(k))
            .collect();
        RoutesChange {
            table_changed: true,
            diagnostics_changed,
        }
    }
}

impl fmt::Debug for Routes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Routes")
            .field("ingresses", &self.ingresses.len())
            .field("generation", &self.generation)
            .field("table", &self.table)
            .finish_non_exhaustive()
    }
}
