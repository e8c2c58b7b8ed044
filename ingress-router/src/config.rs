//! [`Config`]: the semantic choices the Ingress API leaves to the controller, as data.

use ingress_model::validation::ValidationOptions;

use crate::class::ClassFilter;
use crate::nginx::NginxOptions;
use crate::normalize::PathNormalization;
use crate::path::MatchKind;

/// What `pathType: ImplementationSpecific` means (types.go: "matching is up to the
/// IngressClass").
///
/// Under every setting an empty path reads as `/`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ImplementationSpecific {
    /// Like `Prefix` (element-wise): the default (our call, crate docs section 3), and what
    /// ingress-nginx does outside regex mode.
    #[default]
    Prefix,
    /// Like `Exact`.
    Exact,
    /// A plain string prefix: `/foo` matches `/foobar` (Traefik, Contour without regex chars).
    StringPrefix,
    /// An ingress-nginx style regular expression: case-insensitive, anchored at the start only.
    /// Ranked with the non-Exact paths by the length of the pattern as written. Only on this
    /// host's paths of this type: unlike ingress-nginx, it does not turn the other paths of the
    /// host into regexes (the [`Profile::IngressNginx`] profile does).
    Regex,
}

impl ImplementationSpecific {
    pub(crate) fn kind(self) -> MatchKind {
        match self {
            ImplementationSpecific::Prefix => MatchKind::Prefix,
            ImplementationSpecific::Exact => MatchKind::Exact,
            ImplementationSpecific::StringPrefix => MatchKind::StringPrefix,
            ImplementationSpecific::Regex => MatchKind::Regex,
        }
    }
}

/// Which `spec.defaultBackend` answers a request that no path matched (crate docs,
/// section 5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DefaultBackendPolicy {
    /// The default. A host group was selected: the oldest Ingress contributing a rule to it
    /// that has a `defaultBackend`. No host group selected: the oldest Ingress without rules
    /// that has one, else the oldest Ingress with one. Else not found.
    #[default]
    SpecPerIngress,
    /// Never: every unmatched request is not found (for a caller with its own fallback).
    Ignore,
}

/// Whether Ingresses of several namespaces may share a host.
///
/// The Ingress API lets any namespace write rules for any host, and a table merges them into one
/// host group: a tenant can then take another team's paths by being older, or by a
/// `namespace/name` that sorts first. Multi-tenant controllers add a guard (Contour, for one,
/// confines root HTTPProxies to chosen namespaces); this is ours.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HostOwnership {
    /// Any namespace may add rules for any host (the Ingress API's behaviour, and the default).
    /// Hosts with rules from several namespaces are reported
    /// ([`DiagnosticKind::HostInSeveralNamespaces`](crate::DiagnosticKind::HostInSeveralNamespaces)).
    #[default]
    Shared,
    /// The first namespace to claim a host owns it: the namespace of the oldest Ingress with a
    /// rule for the host (by `creationTimestamp`, then `namespace/name`, as for precedence).
    /// Other namespaces' rules for that host are skipped and reported
    /// ([`DiagnosticKind::HostOwnedByAnotherNamespace`](crate::DiagnosticKind::HostOwnedByAnotherNamespace)),
    /// and their default backends do not answer for it. An exact host and a wildcard that
    /// covers it are different hosts, each with its own owner; rules without host are
    /// everyone's. When the owner's last Ingress for the host goes, the next oldest claim wins.
    FirstNamespace,
}

/// Which controller's semantics a table reproduces: the one engine, configured (crate docs,
/// sections 1 to 10 for `Spec`; the [`nginx`](crate::nginx) module for `IngressNginx`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Profile {
    /// Kubernetes Ingress v1 as written, with this crate's documented choices where the API
    /// leaves them open. The default.
    #[default]
    Spec,
    /// What ingress-nginx does with the same Ingresses: the servers and locations it
    /// generates, nginx's location selection, its annotations (`use-regex`, `rewrite-target`,
    /// `app-root`, `ssl-redirect`, canaries, ...) and its tie-breaks. Its settings are
    /// [`Config::nginx`]. See the [`nginx`](crate::nginx) module.
    IngressNginx,
}

/// Whether building validates each Ingress as the API server would.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Validation {
    /// Validate as the API server does on create (`ingress_model::validation::validate_ingress`)
    /// and skip what it rejects. The default, and right for manifests read from files.
    OnCreate(ValidationOptions),
    /// Trust the objects: they come from an API server, which validated each one on create or
    /// update. Create-time rules can even be wrong for such objects, since the API server relaxes
    /// some of them on update (the update relaxations of `ingress_model::validation`). Only the checks the matcher itself relies on run
    /// (pathType known, paths absolute, hosts at most 253 bytes), with the same words.
    Trusted,
}

impl Default for Validation {
    fn default() -> Self {
        Validation::OnCreate(ValidationOptions::default())
    }
}

/// Everything that shapes a table besides the Ingresses. Profiles are values of this struct,
/// not forks of the matcher.
///
/// # Examples
///
/// ```
/// use ingress_router::{ClassFilter, Config, ImplementationSpecific, PathNormalization};
///
/// let config = Config::default()
///     .implementation_specific(ImplementationSpecific::StringPrefix)
///     .path_normalization(PathNormalization::NginxLike)
///     .classes(ClassFilter::classes(["nginx"]).accept_classless(true));
/// assert_eq!(config.implementation_specific, ImplementationSpecific::StringPrefix);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// What `ImplementationSpecific` means; default [`ImplementationSpecific::Prefix`].
    pub implementation_specific: ImplementationSpecific,
    /// Which default backend answers unmatched requests.
    pub default_backend: DefaultBackendPolicy,
    /// How request paths are normalised; default [`PathNormalization::RemoveDotSegments`].
    pub path_normalization: PathNormalization,
    /// Which Ingresses are served; default: all.
    pub classes: ClassFilter,
    /// Whether and how every Ingress is validated while building.
    pub validation: Validation,
    /// Whether namespaces may share hosts; default [`HostOwnership::Shared`].
    pub host_ownership: HostOwnership,
    /// Whose semantics; default [`Profile::Spec`].
    pub profile: Profile,
    /// The controller settings the [`Profile::IngressNginx`] profile reads (its ConfigMap keys
    /// and flags that change routing); ignored by the `Spec` profile.
    pub nginx: NginxOptions,
}

// === impl Config ===

impl Config {
    /// Sets [`Config::implementation_specific`].
    pub fn implementation_specific(mut self, value: ImplementationSpecific) -> Self {
        self.implementation_specific = value;
        self
    }

    /// Sets [`Config::default_backend`].
    pub fn default_backend(mut self, value: DefaultBackendPolicy) -> Self {
        self.default_backend = value;
        self
    }

    /// Sets [`Config::path_normalization`].
    pub fn path_normalization(mut self, value: PathNormalization) -> Self {
        self.path_normalization = value;
        self
    }

    /// Sets [`Config::classes`].
    pub fn classes(mut self, value: ClassFilter) -> Self {
        self.classes = value;
        self
    }

    /// Sets [`Config::validation`].
    pub fn validation(mut self, value: Validation) -> Self {
        self.validation = value;
        self
    }

    /// The [`Profile::IngressNginx`] configuration: that profile, with nginx's own request
    /// path normalisation ([`PathNormalization::Nginx`]) and `ImplementationSpecific` read as
    /// `Prefix` (ingress-nginx rewrites the type before building anything), and the default
    /// [`NginxOptions`].
    ///
    /// # Examples
    ///
    /// ```
    /// use ingress_router::{Config, PathNormalization, Profile};
    ///
    /// let config = Config::ingress_nginx();
    /// assert_eq!(config.profile, Profile::IngressNginx);
    /// assert_eq!(config.path_normalization, PathNormalization::Nginx);
    /// assert_eq!(config.nginx.annotation_prefix, "nginx.ingress.kubernetes.io");
    /// ```
    pub fn ingress_nginx() -> Self {
        Config::default().profile(Profile::IngressNginx)
    }

    /// Sets [`Config::profile`]. Choosing [`Profile::IngressNginx`] also sets what that profile
    /// needs to agree with ingress-nginx ([`Config::ingress_nginx`]): nginx's path
    /// normalisation and `ImplementationSpecific` as `Prefix`. Set them again afterwards to
    /// depart from it.
    pub fn profile(mut self, value: Profile) -> Self {
        self.profile = value;
        if value == Profile::IngressNginx {
            self.path_normalization = PathNormalization::Nginx;
            self.implementation_specific = ImplementationSpecific::Prefix;
        }
        self
    }

    /// Sets [`Config::nginx`].
    pub fn nginx(mut self, value: NginxOptions) -> Self {
        self.nginx = value;
        self
    }

    /// Sets [`Config::host_ownership`].
    pub fn host_ownership(mut self, value: HostOwnership) -> Self {
        self.host_ownership = value;
        self
    }

    /// The [`MatchKind`] a `pathType` resolves to; `None` for a missing or unknown type.
    pub(crate) fn kind_of(&self, path_type: &ingress_model::PathType) -> Option<MatchKind> {
        use ingress_model::PathType;
        match path_type {
            PathType::Exact => Some(MatchKind::Exact),
            PathType::Prefix => Some(MatchKind::Prefix),
            PathType::ImplementationSpecific => Some(self.implementation_specific.kind()),
            PathType::Unknown(_) => None,
        }
    }
}
