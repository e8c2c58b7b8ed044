//! The routing half of the index: the model Ingresses, the [`RouteTable`] built from them, the
//! table's payload ([`Backend`]), and the diagnostics of each Ingress.
//!
//! The payload names a Service and a port and nothing that depends on the Service's state, so
//! the table never has to change when endpoints do: resolution happens beside the table (see
//! [`resolve`](super::resolve)). This module is also the one place that knows the router's
//! mapper signature and how diagnostics come out of it.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use ingress_model::{Ingress, IngressBackend};
use ingress_router::{
    BackendError, Built, ClassFilter, Config, Diagnostic, DiagnosticKind, IngressKey, RouteTable,
    Validation,
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

/// The Ingresses (as model objects), the table, and each Ingress's diagnostics.
pub(crate) struct Routes {
    /// Stored without `status` and `resourceVersion`, so an update that only touches those is
    /// recognised as no change.
    ingresses: HashMap<IngressKey, Ingress>,
    config: Config,
    table: Arc<RouteTable<Backend>>,
    generation: u64,
    diagnostics: HashMap<IngressKey, Vec<Diagnostic>>,
    /// The rule hosts (`None`: no host) of the host groups that have diagnostics.
    hosts_with_diagnostics: HashSet<Option<Arc<str>>>,
    /// Some diagnostic is of a kind this module does not know the scope of.
    unscoped_diagnostics: bool,
}

impl Routes {
    /// An empty table. `config`'s class filter and validation are the index's to set.
    pub(crate) fn new(config: Config, classes: ClassFilter) -> Self {
        let config = config.validation(Validation::Trusted).classes(classes);
        let table = build(&config, std::iter::empty()).table;
        Routes {
            ingresses: HashMap::new(),
            config,
            table: Arc::new(table),
            generation: 0,
            diagnostics: HashMap::new(),
            hosts_with_diagnostics: HashSet::new(),
            unscoped_diagnostics: false,
        }
    }

    pub(crate) fn table(&self) -> &Arc<RouteTable<Backend>> {
        &self.table
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    pub(crate) fn diagnostics_for(&self, key: &IngressKey) -> &[Diagnostic] {
        self.diagnostics.get(key).map_or(&[], Vec::as_slice)
    }

    pub(crate) fn serves(&self, key: &IngressKey) -> bool {
        self.ingresses
            .get(key)
            .is_some_and(|i| self.config.classes.serves(i).is_ok())
    }

    /// Adds or replaces an Ingress: only its host groups are rebuilt.
    pub(crate) fn apply(&mut self, mut ingress: Ingress) -> RoutesChange {
        ingress.status = None;
        ingress.metadata.resource_version = None;
        let key = IngressKey::of(&ingress);
        let old = self.ingresses.get(&key);
        if old == Some(&ingress) {
            return RoutesChange::default();
        }
        let built = self.table.with_ingress(&ingress);
        let local = self.is_local(old.into_iter().chain([&ingress]), &built.diagnostics);
        self.ingresses.insert(key.clone(), ingress);
        self.replace_table(built, local.then_some(&key))
    }

    pub(crate) fn delete(&mut self, key: &IngressKey) -> RoutesChange {
        let Some(old) = self.ingresses.remove(key) else {
            return RoutesChange::default();
        };
        let built = self.table.without_ingress(key);
        let local = self.is_local([&old].into_iter(), &built.diagnostics);
        self.replace_table(built, local.then_some(key))
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
        self.ingresses = ingresses;
        let built = build(&self.config, self.ingresses.values());
        self.replace_table(built, None)
    }

    /// Serves another set of classes: the whole table is rebuilt.
    pub(crate) fn set_classes(&mut self, classes: ClassFilter) -> RoutesChange {
        if classes == self.config.classes {
            return RoutesChange::default();
        }
        self.config.classes = classes;
        let built = build(&self.config, self.ingresses.values());
        self.replace_table(built, None)
    }

    /// Installs a new table. `local`: the Ingress of an update that provably changed no
    /// diagnostics but its own (see `is_local`), which are then exactly the reported ones.
    fn replace_table(&mut self, built: Built<Backend>, local: Option<&IngressKey>) -> RoutesChange {
        self.table = Arc::new(built.table);
        self.generation += 1;
        let diagnostics_changed = match local {
            Some(key) => self.set_own_diagnostics(key, built.diagnostics),
            None => self.refresh_diagnostics(),
        };
        RoutesChange {
            table_changed: true,
            diagnostics_changed,
        }
    }

    /// Whether an update whose Ingress versions (old and new) are `versions` and which reported
    /// `reported` can only have changed that Ingress's own diagnostics: the common case,
    /// answered without reading the whole table. An update reports the Ingress's own
    /// diagnostics and those of every host group it rebuilt, and the groups it rebuilt are
    /// among the versions' rule hosts; if none of those groups had a diagnostic before and none
    /// has one now, no other Ingress's diagnostics moved.
    fn is_local<'a>(
        &self,
        mut versions: impl Iterator<Item = &'a Ingress>,
        reported: &[Diagnostic],
    ) -> bool {
        !self.unscoped_diagnostics
            && reported
                .iter()
                .all(|d| matches!(scope(&d.kind), Scope::Ingress))
            && versions.all(|i| {
                i.spec.rules.iter().all(|r| {
                    !self
                        .hosts_with_diagnostics
                        .contains(&r.host().map(Arc::from))
                })
            })
    }

    /// Stores an Ingress's own diagnostics (for a `local` update); the set of changed Ingresses.
    fn set_own_diagnostics(
        &mut self,
        key: &IngressKey,
        now: Vec<Diagnostic>,
    ) -> BTreeSet<IngressKey> {
        if self.diagnostics.get(key).map_or(&[][..], Vec::as_slice) == now.as_slice() {
            return BTreeSet::new();
        }
        if now.is_empty() {
            self.diagnostics.remove(key);
        } else {
            self.diagnostics.insert(key.clone(), now);
        }
        BTreeSet::from([key.clone()])
    }

    /// Regroups the table's diagnostics by Ingress and returns the Ingresses whose list
    /// changed. This reads every diagnostic of the table (O(Ingresses)): after a full build,
    /// and after an update that is not `is_local`. It can go when the router reports which
    /// Ingresses' diagnostics an update changed.
    fn refresh_diagnostics(&mut self) -> BTreeSet<IngressKey> {
        let mut now: HashMap<IngressKey, Vec<Diagnostic>> = HashMap::new();
        self.hosts_with_diagnostics.clear();
        self.unscoped_diagnostics = false;
        for d in self.table.diagnostics() {
            match scope(&d.kind) {
                Scope::Ingress => {}
                Scope::Group(host) => {
                    self.hosts_with_diagnostics.insert(host.map(Arc::from));
                }
                Scope::Unknown => self.unscoped_diagnostics = true,
            }
            now.entry(d.source.clone()).or_default().push(d);
        }
        let mut changed: BTreeSet<IngressKey> = self
            .diagnostics
            .iter()
            .filter(|(k, old)| now.get(*k) != Some(*old))
            .map(|(k, _)| k.clone())
            .collect();
        changed.extend(
            now.keys()
                .filter(|k| !self.diagnostics.contains_key(*k))
                .cloned(),
        );
        self.diagnostics = now;
        changed
    }
}

/// What a diagnostic is about: its Ingress alone, or a host group.
enum Scope<'a> {
    Ingress,
    /// The group's rule host (`None`: the rules without host).
    Group(Option<&'a str>),
    /// A kind added to the router after this was written: assume it can change anywhere.
    Unknown,
}

fn scope(kind: &DiagnosticKind) -> Scope<'_> {
    match kind {
        DiagnosticKind::DuplicatePath { host, .. }
        | DiagnosticKind::UnreachablePath { host, .. } => Scope::Group(host.as_deref()),
        DiagnosticKind::HostInSeveralNamespaces { host, .. }
        | DiagnosticKind::HostOwnedByAnotherNamespace { host, .. } => Scope::Group(Some(host)),
        DiagnosticKind::Invalid(_)
        | DiagnosticKind::ValidationWarning(_)
        | DiagnosticKind::NotServed(_)
        | DiagnosticKind::Replaced
        | DiagnosticKind::Backend(_)
        | DiagnosticKind::InvalidPattern(_) => Scope::Ingress,
        _ => Scope::Unknown,
    }
}

fn build<'a>(config: &Config, ingresses: impl Iterator<Item = &'a Ingress>) -> Built<Backend> {
    RouteTable::builder_with(map_backend)
        .config(config.clone())
        .add_all(ingresses)
        .build()
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
