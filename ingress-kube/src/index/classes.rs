//! Class ownership: which IngressClasses are ours, and so which Ingresses the table serves.
//!
//! As every controller that implements IngressClass does (ingress-nginx, Contour, Traefik):
//!
//! * our classes are the IngressClasses whose `spec.controller` is our controller name
//!   ([`IndexConfig::new`](super::IndexConfig::new)); their names are what Ingresses refer to;
//! * an Ingress is ours when its `spec.ingressClassName` names one of our classes; when the
//!   field is unset, when its deprecated `kubernetes.io/ingress.class` annotation does (the
//!   field is read first, as ingress-nginx does; the router's [`ClassFilter`] says why);
//! * an Ingress with neither is ours when one of our classes is the cluster's default class
//!   (ingress-nginx's rule; the `DefaultIngressClass` admission plugin fills in the field on
//!   create, so these are Ingresses created before a default existed), or when
//!   [`IndexConfig::accept_classless`](super::IndexConfig::accept_classless) says so
//!   (ingress-nginx `--watch-ingress-without-class`). The default class is chosen over all
//!   IngressClasses, ours or not, by the model's [`default_class`]: if another controller's
//!   class is the default, class-less Ingresses are its, not ours.
//!
//! An IngressClass change that changes the set of ours rebuilds the table with the new
//! filter: Ingresses that are no longer ours leave it, newly ours ones join.

use std::collections::BTreeMap;

use ingress_model::{IngressClass, default_class};
use ingress_router::ClassFilter;

/// Every IngressClass in the cluster, and who we are.
#[derive(Debug)]
pub(crate) struct Classes {
    controller: String,
    accept_classless: bool,
    /// By name; `default_class` looks at all of them.
    all: BTreeMap<String, IngressClass>,
}

impl Classes {
    pub(crate) fn new(controller: String, accept_classless: bool) -> Self {
        Classes {
            controller,
            accept_classless,
            all: BTreeMap::new(),
        }
    }

    /// Adds or replaces a class; `false` when nothing changed.
    pub(crate) fn apply(&mut self, mut class: IngressClass) -> bool {
        class.metadata.resource_version = None;
        let name = class.metadata.name().to_owned();
        if self.all.get(&name) == Some(&class) {
            return false;
        }
        self.all.insert(name, class);
        true
    }

    pub(crate) fn delete(&mut self, name: &str) -> bool {
        self.all.remove(name).is_some()
    }

    pub(crate) fn reset(&mut self, classes: Vec<IngressClass>) {
        self.all = classes
            .into_iter()
            .map(|mut c| {
                c.metadata.resource_version = None;
                (c.metadata.name().to_owned(), c)
            })
            .collect();
    }

    fn is_ours(&self, class: &IngressClass) -> bool {
        class.spec.controller.as_deref() == Some(self.controller.as_str())
    }

    /// The names of our classes, sorted.
    pub(crate) fn ours(&self) -> impl Iterator<Item = &str> {
        self.all
            .values()
            .filter(|c| self.is_ours(c))
            .map(|c| c.metadata.name())
    }

    /// The cluster's default class, if it is ours.
    pub(crate) fn default_ours(&self) -> Option<&str> {
        let all: Vec<IngressClass> = self.all.values().cloned().collect();
        let default = default_class(&all)?;
        self.is_ours(default)
            .then(|| default.metadata.name())
            .and_then(|name| self.all.get_key_value(name).map(|(k, _)| k.as_str()))
    }

    /// The filter the table serves with.
    pub(crate) fn filter(&self) -> ClassFilter {
        ClassFilter::classes(self.ours())
            .accept_classless(self.accept_classless || self.default_ours().is_some())
    }
}
