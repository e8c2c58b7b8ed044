//! The synchronous index: Kubernetes objects in, [`Snapshot`]s out.
//!
//! A driver (a kube-runtime watcher, a test, a replay of recorded events) feeds the index
//! every Ingress, IngressClass, Service, EndpointSlice and Secret it sees, with
//! [`Index::apply`], [`Index::delete`] and [`Index::reset`] (a full relist of one kind), and
//! publishes [`Index::snapshot`] to the data path whenever it reports a change. The index
//! itself does no I/O and needs no runtime.
//!
//! The rules the index follows, and who else follows them, are in the modules by concern:
//! [`classes`] (which Ingresses are ours), [`resolve`] (Services and EndpointSlices to
//! endpoints) and [`tls`] (Secrets). Their public items are re-exported here.

pub mod classes;
mod object;
pub mod resolve;
mod routes;
mod shared;
mod snapshot;
pub mod tls;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use ingress_router::{Config, Diagnostic, IngressKey};
use k8s_openapi::api::core::v1::{Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};

pub use object::{NamespacedName, Object, ObjectError, ObjectKind, Resource};
pub use resolve::{ExternalNameRefusal, Reason, Resolved};
pub use routes::{Backend, PortRef, ResourceBackend, ServiceBackend};
pub use snapshot::{Routed, Snapshot, TlsCertificate};
pub use tls::{CertificateProblem, TLS_SECRET_TYPE, TlsSecret};

use classes::Classes;
use object::key_of;
use resolve::{Backends, read_slice};
use routes::{Routes, RoutesChange};
use tls::{Secrets, read_secret};

/// How the index decides what is ours and how it routes.
///
/// # Examples
///
/// ```
/// use ingress_kube::index::IndexConfig;
/// use ingress_router::{Config, ImplementationSpecific};
///
/// let config = IndexConfig::new("example.com/ingress-gateway")
///     .accept_classless(true)
///     .external_names(false)
///     .router(Config::default().implementation_specific(ImplementationSpecific::Exact));
/// assert_eq!(config.controller, "example.com/ingress-gateway");
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct IndexConfig {
    /// Our controller name: IngressClasses whose `spec.controller` equals it are ours.
    pub controller: String,
    /// Serve Ingresses with neither `spec.ingressClassName` nor the class annotation even when
    /// none of our classes is the cluster default (ingress-nginx
    /// `--watch-ingress-without-class`). Default `false`.
    pub accept_classless: bool,
    /// Resolve `ExternalName` Services. Default `true`; `localhost` and IP literals are refused
    /// either way.
    pub external_names: bool,
    /// How the table matches (`ImplementationSpecific`, path normalisation, default backends).
    /// Its class filter and validation are set by the index: our classes, and
    /// [`Validation::Trusted`](ingress_router::Validation::Trusted), since an API server has
    /// validated every object already.
    pub router: Config,
}

impl IndexConfig {
    /// The defaults, for the controller named `controller` (`example.com/ingress-gateway`).
    pub fn new(controller: impl Into<String>) -> Self {
        IndexConfig {
            controller: controller.into(),
            accept_classless: false,
            external_names: true,
            router: Config::default(),
        }
    }

    /// Sets [`IndexConfig::accept_classless`].
    pub fn accept_classless(mut self, accept: bool) -> Self {
        self.accept_classless = accept;
        self
    }

    /// Sets [`IndexConfig::external_names`].
    pub fn external_names(mut self, allow: bool) -> Self {
        self.external_names = allow;
        self
    }

    /// Sets [`IndexConfig::router`].
    pub fn router(mut self, config: Config) -> Self {
        self.router = config;
        self
    }
}

/// What one [`Index::apply`], [`Index::delete`] or [`Index::reset`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Change {
    /// Whether routing, resolution or TLS changed: the next [`Index::snapshot`] differs from
    /// the last one.
    pub routing: bool,
    /// The Ingresses whose [`Index::diagnostics_for`] changed (for status and events).
    pub diagnostics: BTreeSet<IngressKey>,
    /// What of the object(s) could not be used, and was skipped.
    pub errors: Vec<ObjectError>,
}

/// A snapshot, and whether it differs from the one returned before.
#[derive(Clone, Debug)]
pub struct Publish {
    /// The current snapshot.
    pub snapshot: Arc<Snapshot>,
    /// `false`: the same `Arc` as last time; nothing to publish.
    pub changed: bool,
}

/// The index: every object of the five kinds, the route table of our Ingresses, the resolution
/// of every Service, and the last snapshot.
///
/// See the [crate documentation](crate) for an example and the cost of each change.
pub struct Index {
    config: IndexConfig,
    routes: Routes,
    classes: Classes,
    backends: Backends,
    secrets: Secrets,
    /// Standing problems, by object.
    errors: BTreeMap<(ObjectKind, NamespacedName), Vec<ObjectError>>,
    last: Arc<Snapshot>,
    dirty: bool,
}

impl Index {
    /// An empty index.
    pub fn new(config: IndexConfig) -> Self {
        let classes = Classes::new(config.controller.clone(), config.accept_classless);
        let routes = Routes::new(config.router.clone(), classes.filter());
        let backends = Backends::new(config.external_names);
        let secrets = Secrets::new();
        let last = Arc::new(Snapshot {
            table: routes.table().clone(),
            routes_generation: routes.generation(),
            services: backends.resolved().clone(),
            secrets: secrets.map().clone(),
            generation: 0,
        });
        Index {
            config,
            routes,
            classes,
            backends,
            secrets,
            errors: BTreeMap::new(),
            last,
            dirty: false,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &IndexConfig {
        &self.config
    }

    /// Adds or replaces an object (a watch's "applied" event). An object that cannot be used
    /// is reported in [`Change::errors`] and replaces the previous version all the same: the
    /// index follows the cluster, and serves nothing of an object it cannot read.
    pub fn apply(&mut self, object: impl Into<Object>) -> Change {
        let object = object.into();
        let kind = object.kind();
        let key = match key_of(kind, object.metadata()) {
            Ok(key) => key,
            Err(e) => return self.finish(Change::default(), vec![e], None),
        };
        let mut errors = Vec::new();
        let change = match object {
            Object::Ingress(o) => self.apply_ingress(&key, &o, &mut errors),
            Object::IngressClass(o) => self.apply_class(&key, &o, &mut errors),
            Object::Service(o) => self.apply_service(&key, &o, &mut errors),
            Object::EndpointSlice(o) => self.apply_slice(&key, &o, &mut errors),
            Object::Secret(o) => self.apply_secret(&key, &o, &mut errors),
        };
        self.finish(change, errors, Some((kind, key)))
    }

    /// Removes an object (a watch's "deleted" event); only its kind, namespace and name are
    /// read.
    pub fn delete<R: Resource>(&mut self, object: &R) -> Change {
        let meta = object.metadata();
        self.delete_named::<R>(
            meta.namespace.as_deref().unwrap_or_default(),
            meta.name.as_deref().unwrap_or_default(),
        )
    }

    /// Removes the object of kind `R` named `namespace/name` (`namespace` is ignored for
    /// IngressClasses).
    pub fn delete_named<R: Resource>(&mut self, namespace: &str, name: &str) -> Change {
        let kind = R::KIND;
        let namespace = if kind == ObjectKind::IngressClass {
            ""
        } else {
            namespace
        };
        let key = NamespacedName::new(namespace, name);
        let change = match kind {
            ObjectKind::Ingress => self
                .routes
                .delete(&IngressKey::new(key.namespace(), key.name()))
                .into(),
            ObjectKind::IngressClass => {
                if self.classes.delete(key.name()) {
                    self.routes.set_classes(self.classes.filter()).into()
                } else {
                    Change::default()
                }
            }
            ObjectKind::Service => routing(self.backends.delete_service(&key)),
            ObjectKind::EndpointSlice => routing(self.backends.delete_slice(&key)),
            ObjectKind::Secret => routing(self.secrets.set(&key, None)),
        };
        self.finish(change, Vec::new(), Some((kind, key)))
    }

    /// Replaces every object of kind `R` with `objects` (a watch's relist): the ones not listed
    /// are deleted. Cheaper than one [`Index::apply`] each: the table is built once.
    pub fn reset<R: Resource>(&mut self, objects: Vec<R>) -> Change {
        let kind = R::KIND;
        let mut errors = Vec::new();
        let mut keyed = Vec::with_capacity(objects.len());
        for o in objects {
            let o: Object = o.into();
            match key_of(kind, o.metadata()) {
                Ok(key) => keyed.push((key, o)),
                Err(e) => errors.push(e),
            }
        }
        self.errors.retain(|(k, _), _| *k != kind);
        let change = match kind {
            ObjectKind::Ingress => self.reset_ingresses(keyed, &mut errors),
            ObjectKind::IngressClass => self.reset_classes(keyed, &mut errors),
            ObjectKind::Service => self.reset_services(keyed, &mut errors),
            ObjectKind::EndpointSlice => self.reset_slices(keyed, &mut errors),
            ObjectKind::Secret => self.reset_secrets(keyed, &mut errors),
        };
        for e in &errors {
            self.errors
                .entry((e.kind, e.object.clone()))
                .or_default()
                .push(e.clone());
        }
        self.finish(change, errors, None)
    }

    /// The current snapshot: the one returned last time (same `Arc`, `changed: false`) when
    /// nothing changed since, else a new one made in O(1) from the index's shared parts.
    pub fn snapshot(&mut self) -> Publish {
        if !self.dirty {
            return Publish {
                snapshot: self.last.clone(),
                changed: false,
            };
        }
        self.dirty = false;
        self.last = Arc::new(Snapshot {
            table: self.routes.table().clone(),
            routes_generation: self.routes.generation(),
            services: self.backends.resolved().clone(),
            secrets: self.secrets.map().clone(),
            generation: self.last.generation + 1,
        });
        Publish {
            snapshot: self.last.clone(),
            changed: true,
        }
    }

    /// The diagnostics of one Ingress as the table stands: validation, class, unsupported
    /// backends, duplicate and unreachable paths, shared hosts. Empty for an Ingress the index
    /// does not have.
    pub fn diagnostics_for(&self, key: &IngressKey) -> Vec<Diagnostic> {
        self.routes.diagnostics_for(key)
    }

    /// Whether the Ingress is one of ours (its class is ours, see the `classes` rules in the
    /// [crate documentation](crate)): a driver writes status only for these.
    pub fn serves(&self, key: &IngressKey) -> bool {
        self.routes.serves(key)
    }

    /// The names of our IngressClasses, sorted.
    pub fn our_classes(&self) -> impl Iterator<Item = &str> {
        self.classes.ours()
    }

    /// Every standing problem with an object, by kind then `namespace/name`: kept until the
    /// object is replaced by a usable version or deleted. An object without a name (or a
    /// namespaced one without a namespace) has no identity to keep its problem under: it is
    /// reported only in its [`Change::errors`].
    pub fn errors(&self) -> impl Iterator<Item = &ObjectError> {
        self.errors.values().flatten()
    }

    // === per kind ===

    fn apply_ingress(
        &mut self,
        key: &NamespacedName,
        ingress: &Ingress,
        errors: &mut Vec<ObjectError>,
    ) -> Change {
        match ingress_model::Ingress::try_from(ingress) {
            Ok(model) => self.routes.apply(model).into(),
            Err(e) => {
                errors.push(conversion_error(ObjectKind::Ingress, key, &e));
                self.routes
                    .delete(&IngressKey::new(key.namespace(), key.name()))
                    .into()
            }
        }
    }

    fn apply_class(
        &mut self,
        key: &NamespacedName,
        class: &IngressClass,
        errors: &mut Vec<ObjectError>,
    ) -> Change {
        let changed = match ingress_model::IngressClass::try_from(class) {
            Ok(model) => self.classes.apply(model),
            Err(e) => {
                errors.push(conversion_error(ObjectKind::IngressClass, key, &e));
                self.classes.delete(key.name())
            }
        };
        if !changed {
            return Change::default();
        }
        self.routes.set_classes(self.classes.filter()).into()
    }

    fn apply_service(
        &mut self,
        key: &NamespacedName,
        service: &Service,
        errors: &mut Vec<ObjectError>,
    ) -> Change {
        routing(match ingress_model::Service::try_from(service) {
            Ok(model) => self.backends.apply_service(key.clone(), model),
            Err(e) => {
                errors.push(conversion_error(ObjectKind::Service, key, &e));
                self.backends.delete_service(key)
            }
        })
    }

    fn apply_slice(
        &mut self,
        key: &NamespacedName,
        slice: &EndpointSlice,
        errors: &mut Vec<ObjectError>,
    ) -> Change {
        let read = match ingress_model::EndpointSlice::try_from(slice) {
            Ok(model) => read_slice(key, &model, errors),
            Err(e) => {
                errors.push(conversion_error(ObjectKind::EndpointSlice, key, &e));
                None
            }
        };
        routing(self.backends.apply_slice(key.clone(), read))
    }

    fn apply_secret(
        &mut self,
        key: &NamespacedName,
        secret: &Secret,
        errors: &mut Vec<ObjectError>,
    ) -> Change {
        let tls = read_secret(key, secret).unwrap_or_else(|e| {
            errors.push(e);
            None
        });
        routing(self.secrets.set(key, tls))
    }

    fn reset_ingresses(
        &mut self,
        objects: Vec<(NamespacedName, Object)>,
        errors: &mut Vec<ObjectError>,
    ) -> Change {
        let models = objects
            .into_iter()
            .filter_map(|(key, o)| match o {
                Object::Ingress(o) => ingress_model::Ingress::try_from(&o)
                    .map_err(|e| errors.push(conversion_error(ObjectKind::Ingress, &key, &e)))
                    .ok(),
                _ => None,
            })
            .collect();
        self.routes.reset(models).into()
    }

    fn reset_classes(
        &mut self,
        objects: Vec<(NamespacedName, Object)>,
        errors: &mut Vec<ObjectError>,
    ) -> Change {
        let models = objects
            .into_iter()
            .filter_map(|(key, o)| match o {
                Object::IngressClass(o) => ingress_model::IngressClass::try_from(&o)
                    .map_err(|e| errors.push(conversion_error(ObjectKind::IngressClass, &key, &e)))
                    .ok(),
                _ => None,
            })
            .collect();
        self.classes.reset(models);
        self.routes.set_classes(self.classes.filter()).into()
    }

    fn reset_services(
        &mut self,
        objects: Vec<(NamespacedName, Object)>,
        errors: &mut Vec<ObjectError>,
    ) -> Change {
        let models = objects
            .into_iter()
            .filter_map(|(key, o)| match o {
                Object::Service(o) => match ingress_model::Service::try_from(&o) {
                    Ok(m) => Some((key, m)),
                    Err(e) => {
                        errors.push(conversion_error(ObjectKind::Service, &key, &e));
                        None
                    }
                },
                _ => None,
            })
            .collect();
        routing(self.backends.reset_services(models))
    }

    fn reset_slices(
        &mut self,
        objects: Vec<(NamespacedName, Object)>,
        errors: &mut Vec<ObjectError>,
    ) -> Change {
        let read = objects
            .into_iter()
            .filter_map(|(key, o)| match o {
                Object::EndpointSlice(o) => match ingress_model::EndpointSlice::try_from(&o) {
                    Ok(m) => {
                        let slice = read_slice(&key, &m, errors);
                        Some((key, slice))
                    }
                    Err(e) => {
                        errors.push(conversion_error(ObjectKind::EndpointSlice, &key, &e));
                        None
                    }
                },
                _ => None,
            })
            .collect();
        routing(self.backends.reset_slices(read))
    }

    fn reset_secrets(
        &mut self,
        objects: Vec<(NamespacedName, Object)>,
        errors: &mut Vec<ObjectError>,
    ) -> Change {
        let secrets = objects
            .into_iter()
            .filter_map(|(key, o)| match o {
                Object::Secret(o) => read_secret(&key, &o).unwrap_or_else(|e| {
                    errors.push(e);
                    None
                }),
                _ => None,
            })
            .collect();
        routing(self.secrets.reset(secrets))
    }

    /// Records the errors of one object (replacing its previous ones), marks the index dirty,
    /// and logs.
    fn finish(
        &mut self,
        mut change: Change,
        errors: Vec<ObjectError>,
        object: Option<(ObjectKind, NamespacedName)>,
    ) -> Change {
        for e in &errors {
            tracing::warn!(error = %e, "object skipped in part or whole");
        }
        if let Some(object) = object {
            if errors.is_empty() {
                self.errors.remove(&object);
            } else {
                self.errors.insert(object, errors.clone());
            }
        }
        change.errors = errors;
        self.dirty |= change.routing;
        change
    }
}

fn routing(changed: bool) -> Change {
    Change {
        routing: changed,
        ..Change::default()
    }
}

impl From<RoutesChange> for Change {
    fn from(c: RoutesChange) -> Self {
        Change {
            routing: c.table_changed,
            diagnostics: c.diagnostics_changed,
            errors: Vec::new(),
        }
    }
}

fn conversion_error(
    kind: ObjectKind,
    key: &NamespacedName,
    e: &ingress_model::k8s::ConversionError,
) -> ObjectError {
    ObjectError::new(kind, key, "", format!("{e} ({kind} skipped)"))
}

impl fmt::Debug for Index {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Index")
            .field("config", &self.config)
            .field("routes", &self.routes)
            .field("classes", &self.classes)
            .field("backends", &self.backends)
            .field("errors", &self.errors.len())
            .field("dirty", &self.dirty)
            .finish_non_exhaustive()
    }
}
