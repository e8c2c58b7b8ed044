//! Which resources the server serves: group, version, kind, plural name, scope and
//! subresources. Discovery, routing and the store all read this one table.

/// One served resource, e.g. `networking.k8s.io/v1` `ingresses` (kind `Ingress`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceType {
    /// API group; empty for the core group (`v1`).
    pub group: String,
    /// API version within the group, e.g. `v1`.
    pub version: String,
    /// Kind, e.g. `Ingress`.
    pub kind: String,
    /// Plural resource name used in URLs, e.g. `ingresses`.
    pub plural: String,
    /// Singular name (lower-case kind), which `kubectl` also accepts.
    pub singular: String,
    /// Namespaced (`true`) or cluster-scoped (`false`).
    pub namespaced: bool,
    /// Has a `status` subresource: then `.../status` changes only `.status`, and updates of
    /// the main resource leave `.status` as it was (and a create drops it).
    pub status_subresource: bool,
    /// Short names for `kubectl`, e.g. `ing`.
    pub short_names: Vec<String>,
    /// Categories for `kubectl get CATEGORY`, e.g. `all`.
    pub categories: Vec<String>,
}

impl ResourceType {
    /// A resource without subresources, short names or categories.
    ///
    /// ```
    /// use ingress_apiserver::ResourceType;
    /// let rt = ResourceType::new("example.com", "v1", "Widget", "widgets", true)
    ///     .with_status()
    ///     .with_short_names(&["wd"]);
    /// assert_eq!(rt.api_version(), "example.com/v1");
    /// assert_eq!(rt.qualified_name(), "widgets.example.com");
    /// ```
    pub fn new(group: &str, version: &str, kind: &str, plural: &str, namespaced: bool) -> Self {
        ResourceType {
            group: group.to_owned(),
            version: version.to_owned(),
            kind: kind.to_owned(),
            plural: plural.to_owned(),
            singular: kind.to_ascii_lowercase(),
            namespaced,
            status_subresource: false,
            short_names: Vec::new(),
            categories: Vec::new(),
        }
    }

    /// Give it a `status` subresource.
    #[must_use]
    pub fn with_status(mut self) -> Self {
        self.status_subresource = true;
        self
    }

    /// Give it short names.
    #[must_use]
    pub fn with_short_names(mut self, names: &[&str]) -> Self {
        self.short_names = names.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    /// Give it categories.
    #[must_use]
    pub fn with_categories(mut self, names: &[&str]) -> Self {
        self.categories = names.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    /// `apiVersion` of its objects: `v1` for the core group, else `group/version`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// Kind of its collections, e.g. `IngressList`.
    pub fn list_kind(&self) -> String {
        format!("{}List", self.kind)
    }

    /// `plural.group` (just `plural` in the core group), as in error messages:
    /// `ingresses.networking.k8s.io "web" not found`.
    pub fn qualified_name(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// URL prefix of its group version: `/api/v1` or `/apis/group/version`.
    pub fn path_prefix(&self) -> String {
        if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        }
    }

    /// Whether `name` designates this resource: its plural or `plural.group`.
    pub fn is_named(&self, name: &str) -> bool {
        name == self.plural || name == self.qualified_name()
    }
}

/// The served resources. [`Registry::builtin`] holds the kinds an ingress controller reads and
/// writes; [`Registry::register`] adds more (custom resources included).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Registry {
    types: Vec<ResourceType>,
}

impl Registry {
    /// The built-in table:
    ///
    /// | group | version | kinds |
    /// | --- | --- | --- |
    /// | (core) | v1 | Namespace, Node, Service, Endpoints, Secret, ConfigMap, Pod, ServiceAccount, Event |
    /// | `networking.k8s.io` | v1 | Ingress (status), IngressClass (cluster-scoped) |
    /// | `discovery.k8s.io` | v1 | EndpointSlice |
    /// | `apps` | v1 | Deployment (status) |
    /// | `coordination.k8s.io` | v1 | Lease |
    /// | `events.k8s.io` | v1 | Event |
    pub fn builtin() -> Self {
        let core = |kind, plural, namespaced| ResourceType::new("", "v1", kind, plural, namespaced);
        let types = vec![
            core("Namespace", "namespaces", false)
                .with_status()
                .with_short_names(&["ns"]),
            core("Node", "nodes", false)
                .with_status()
                .with_short_names(&["no"]),
            core("Service", "services", true)
                .with_status()
                .with_short_names(&["svc"])
                .with_categories(&["all"]),
            core("Endpoints", "endpoints", true).with_short_names(&["ep"]),
            core("Secret", "secrets", true),
            core("ConfigMap", "configmaps", true).with_short_names(&["cm"]),
            core("Pod", "pods", true)
                .with_status()
                .with_short_names(&["po"])
                .with_categories(&["all"]),
            core("ServiceAccount", "serviceaccounts", true).with_short_names(&["sa"]),
            core("Event", "events", true).with_short_names(&["ev"]),
            ResourceType::new("networking.k8s.io", "v1", "Ingress", "ingresses", true)
                .with_status()
                .with_short_names(&["ing"]),
            ResourceType::new(
                "networking.k8s.io",
                "v1",
                "IngressClass",
                "ingressclasses",
                false,
            ),
            ResourceType::new(
                "discovery.k8s.io",
                "v1",
                "EndpointSlice",
                "endpointslices",
                true,
            ),
            ResourceType::new("apps", "v1", "Deployment", "deployments", true)
                .with_status()
                .with_short_names(&["deploy"])
                .with_categories(&["all"]),
            ResourceType::new("coordination.k8s.io", "v1", "Lease", "leases", true),
            ResourceType::new("events.k8s.io", "v1", "Event", "events", true)
                .with_short_names(&["ev"]),
        ];
        Registry { types }
    }

    /// Add a resource, replacing one with the same group, version and plural.
    pub fn register(&mut self, rt: ResourceType) {
        match self
            .types
            .iter_mut()
            .find(|t| t.group == rt.group && t.version == rt.version && t.plural == rt.plural)
        {
            Some(existing) => *existing = rt,
            None => self.types.push(rt),
        }
    }

    /// All served resources, in registration order.
    pub fn types(&self) -> &[ResourceType] {
        &self.types
    }

    /// The resource served at `group/version/plural`.
    pub fn by_plural(&self, group: &str, version: &str, plural: &str) -> Option<&ResourceType> {
        self.types
            .iter()
            .find(|t| t.group == group && t.version == version && t.plural == plural)
    }

    /// The resource of objects with this `apiVersion` and `kind`.
    pub fn by_kind(&self, api_version: &str, kind: &str) -> Option<&ResourceType> {
        self.types
            .iter()
            .find(|t| t.kind == kind && t.api_version() == api_version)
    }

    /// Served groups (core group excluded) with their versions, in registration order.
    pub fn groups(&self) -> Vec<(String, Vec<String>)> {
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for t in self.types.iter().filter(|t| !t.group.is_empty()) {
            match groups.iter_mut().find(|(g, _)| *g == t.group) {
                Some((_, versions)) if !versions.contains(&t.version) => {
                    versions.push(t.version.clone());
                }
                Some(_) => {}
                None => groups.push((t.group.clone(), vec![t.version.clone()])),
            }
        }
        groups
    }

    /// Resources of one group version.
    pub fn in_group_version<'a>(
        &'a self,
        group: &'a str,
        version: &'a str,
    ) -> impl Iterator<Item = &'a ResourceType> + 'a {
        self.types
            .iter()
            .filter(move |t| t.group == group && t.version == version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_kinds_resolve_by_kind_and_plural() {
        let r = Registry::builtin();
        let ing = r.by_kind("networking.k8s.io/v1", "Ingress").unwrap();
        assert_eq!(ing.plural, "ingresses");
        assert!(ing.namespaced && ing.status_subresource);
        assert!(
            !r.by_plural("networking.k8s.io", "v1", "ingressclasses")
                .unwrap()
                .namespaced
        );
        assert_eq!(r.by_kind("v1", "Event").unwrap().group, "");
        assert_eq!(
            r.by_kind("events.k8s.io/v1", "Event").unwrap().group,
            "events.k8s.io"
        );
        assert!(r.by_kind("v1", "Ingress").is_none());
    }

    #[test]
    fn register_replaces_same_resource() {
        let mut r = Registry::builtin();
        let n = r.types().len();
        r.register(ResourceType::new(
            "example.com",
            "v1",
            "Widget",
            "widgets",
            true,
        ));
        r.register(ResourceType::new(
            "example.com",
            "v1",
            "Widget",
            "widgets",
            false,
        ));
        assert_eq!(r.types().len(), n + 1);
        assert!(
            !r.by_plural("example.com", "v1", "widgets")
                .unwrap()
                .namespaced
        );
        assert!(
            r.groups()
                .iter()
                .any(|(g, v)| g == "example.com" && v == &["v1"])
        );
    }
}
