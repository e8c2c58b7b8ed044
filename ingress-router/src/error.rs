//! What building reports instead of failing: [`Diagnostic`], and the error types of the
//! standalone constructors ([`InvalidPath`]).
//!
//! Building never fails as a whole (crate docs, section 9): each invalid rule or object is skipped and
//! reported with its Ingress, its field path and the reason, in the API server's words where
//! the reason is a validation error.

use std::borrow::Cow;
use std::fmt;

use ingress_model::PathType;
use ingress_model::validation::FieldError;

use ingress_model::IngressKey;

/// A path that cannot be turned into a [`PathPattern`](crate::PathPattern).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidPath {
    /// A non-empty path that does not start with `/` (validation: "must be an absolute path").
    #[error("{0:?}: must be an absolute path")]
    NotAbsolute(String),
    /// A regex `ImplementationSpecific` path that does not compile.
    #[error("{path:?}: not a valid regular expression: {reason}")]
    Regex {
        /// The path as written.
        path: String,
        /// Why it does not compile.
        reason: String,
    },
}

/// Why a backend mapper (see [`RouteTable::builder_with`](crate::RouteTable::builder_with))
/// declined a backend. The path (or default backend) is skipped and reported as
/// [`DiagnosticKind::Backend`].
///
/// The two variants tell a controller what to do: an [`Unsupported`](BackendError::Unsupported)
/// backend stays refused until the Ingress changes; an [`Unresolved`](BackendError::Unresolved)
/// one may be accepted once other objects change (a Service appears), so the controller
/// rebuilds the Ingress when they do.
///
/// # Examples
///
/// ```
/// use ingress_router::BackendError;
///
/// let e: BackendError = "resource backends are not supported".into();
/// assert!(!e.is_retryable());
/// let e = BackendError::unresolved(format!("service {:?} not found", "web"));
/// assert!(e.is_retryable());
/// assert_eq!(e.to_string(), "not resolved: service \"web\" not found");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum BackendError {
    /// This table never routes to such a backend (a resource backend, say): fixing it means
    /// changing the Ingress.
    #[error("not supported: {0}")]
    Unsupported(Cow<'static, str>),
    /// What the backend names does not exist yet (a Service, a port): it may resolve when other
    /// objects change.
    #[error("not resolved: {0}")]
    Unresolved(Cow<'static, str>),
}

// === impl BackendError ===

impl BackendError {
    /// [`BackendError::Unsupported`].
    pub fn unsupported(why: impl Into<Cow<'static, str>>) -> Self {
        BackendError::Unsupported(why.into())
    }

    /// [`BackendError::Unresolved`].
    pub fn unresolved(why: impl Into<Cow<'static, str>>) -> Self {
        BackendError::Unresolved(why.into())
    }

    /// Whether the same backend may be accepted later without a change to the Ingress.
    pub fn is_retryable(&self) -> bool {
        matches!(self, BackendError::Unresolved(_))
    }
}

/// A plain message is a refusal for good ([`BackendError::Unsupported`]).
impl From<&'static str> for BackendError {
    fn from(why: &'static str) -> Self {
        BackendError::Unsupported(why.into())
    }
}

/// A plain message is a refusal for good ([`BackendError::Unsupported`]).
impl From<String> for BackendError {
    fn from(why: String) -> Self {
        BackendError::Unsupported(why.into())
    }
}

/// Why a [`ClassFilter`](crate::ClassFilter) does not serve an Ingress.
#[derive(Clone, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum NotServed {
    /// `spec.ingressClassName` names a class that is not ours.
    #[error("spec.ingressClassName {0:?} is not one of ours")]
    OtherClass(String),
    /// The deprecated `kubernetes.io/ingress.class` annotation names a class that is not ours
    /// (and `spec.ingressClassName` is unset).
    #[error("annotation kubernetes.io/ingress.class {0:?} is not one of ours")]
    OtherAnnotation(String),
    /// Neither the field nor the annotation is set, and class-less Ingresses are not accepted.
    #[error("no ingress class, and class-less ingresses are not accepted")]
    Classless,
}

/// How much a [`Diagnostic`] matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Context: e.g. an Ingress of another class was left out on purpose.
    Info,
    /// The table is built as asked, but probably not as meant (shadowed or duplicate paths,
    /// hosts shared by namespaces, validation warnings).
    Warning,
    /// Part of an Ingress was skipped.
    Error,
}

/// Which part of an Ingress a [`Diagnostic`] left out of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Skipped {
    /// Nothing: the diagnostic is a warning about something that is in the table.
    Nothing,
    /// The whole Ingress.
    Ingress,
    /// One rule (`spec.rules[i]`) with all its paths.
    Rule,
    /// One path (`spec.rules[i].http.paths[j]`).
    Path,
    /// `spec.defaultBackend`.
    DefaultBackend,
    /// One TLS entry (`spec.tls[i]`).
    Tls,
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Skipped::Nothing => "nothing skipped",
            Skipped::Ingress => "ingress skipped",
            Skipped::Rule => "rule skipped",
            Skipped::Path => "path skipped",
            Skipped::DefaultBackend => "default backend skipped",
            Skipped::Tls => "tls entry skipped",
        })
    }
}

/// Where a path rule comes from: its Ingress and its indices.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleOrigin {
    /// The Ingress.
    pub source: IngressKey,
    /// Index in `spec.rules`.
    pub rule_index: usize,
    /// Index in `spec.rules[rule_index].http.paths`.
    pub path_index: usize,
}

impl fmt::Display for RuleOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} spec.rules[{}].http.paths[{}]",
            self.source, self.rule_index, self.path_index
        )
    }
}

/// What a [`Diagnostic`] is about.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DiagnosticKind {
    /// The API server would reject this field; the message is validation's, word for word.
    Invalid(FieldError),
    /// The API server would accept the object and say this.
    ValidationWarning(String),
    /// The Ingress is not for this table's classes (see [`ClassFilter`](crate::ClassFilter)).
    NotServed(NotServed),
    /// The same `namespace/name` was added again; the later object replaced the earlier one.
    Replaced,
    /// The backend mapper of a [`Builder`](crate::Builder) declined this backend.
    Backend(BackendError),
    /// A path the API server accepts but this table cannot match (e.g. an `ImplementationSpecific`
    /// regex that does not compile).
    InvalidPattern(InvalidPath),
    /// Same host, path and pathType as a rule that takes precedence (older Ingress, or same age
    /// and lower `namespace/name`, or earlier in the list): this path never matches.
    DuplicatePath {
        /// The rule host (`None`: no host).
        host: Option<String>,
        /// The path as written.
        path: String,
        /// The pathType as written.
        path_type: PathType,
        /// The rule that wins.
        winner: RuleOrigin,
    },
    /// A path that matches exactly the requests a higher-ranked path matches, so it never wins
    /// (e.g. Prefix `/foo` next to Prefix `/foo/`, whose longer path takes precedence).
    UnreachablePath {
        /// The rule host (`None`: no host).
        host: Option<String>,
        /// The path as written.
        path: String,
        /// The pathType as written.
        path_type: PathType,
        /// The rule that always wins instead.
        winner: RuleOrigin,
    },
    /// Rules of Ingresses in several namespaces share this host (their paths are merged, and any
    /// namespace can take paths of the others).
    HostInSeveralNamespaces {
        /// The rule host.
        host: String,
        /// Every namespace with a rule for the host, sorted (shared by the diagnostics of one
        /// host).
        namespaces: std::sync::Arc<[String]>,
        /// The oldest Ingress with a rule for the host.
        first: IngressKey,
    },
    /// Under [`HostOwnership::FirstNamespace`](crate::HostOwnership::FirstNamespace), another
    /// namespace owns this host: this Ingress's rules for it are skipped.
    HostOwnedByAnotherNamespace {
        /// The rule host.
        host: String,
        /// The oldest Ingress with a rule for the host, whose namespace owns it.
        owner: IngressKey,
    },
    /// ingress-nginx profile: two locations of one host render as the same nginx `location`
    /// (`Prefix /foo` and `Prefix /foo/` both become `location /foo/`). nginx refuses such a
    /// configuration and ingress-nginx keeps serving its previous one; the table serves the
    /// first.
    DuplicateLocation {
        /// The rule host (`None`: the catch-all server).
        host: Option<String>,
        /// The nginx location, as rendered.
        location: String,
        /// The path that renders it first.
        winner: RuleOrigin,
    },
    /// ingress-nginx profile: ingress-nginx does not serve this Ingress at all (an annotation
    /// above its risk level, or a path its deep inspection refuses).
    NginxRefused(String),
    /// ingress-nginx profile: an annotation value ingress-nginx's parser refuses, so it is
    /// ignored (the Ingress is served without it).
    AnnotationIgnored {
        /// The annotation key.
        key: String,
        /// The value as written.
        value: String,
        /// Why it is refused.
        reason: String,
    },
    /// ingress-nginx profile: a canary Ingress's path or default backend that attaches to no
    /// primary, so it gets no traffic.
    CanaryUnused(String),
}

impl DiagnosticKind {
    /// A stable, kebab-case identifier of the kind (`duplicate-path`, `invalid`, ...): a rule id
    /// for linters and code-scanning reports, an Event reason for controllers. Never changes
    /// for a kind once published.
    pub fn code(&self) -> &'static str {
        match self {
            DiagnosticKind::Invalid(_) => "invalid",
            DiagnosticKind::ValidationWarning(_) => "validation-warning",
            DiagnosticKind::NotServed(_) => "not-served",
            DiagnosticKind::Replaced => "replaced",
            DiagnosticKind::Backend(_) => "backend-refused",
            DiagnosticKind::InvalidPattern(_) => "invalid-pattern",
            DiagnosticKind::DuplicatePath { .. } => "duplicate-path",
            DiagnosticKind::UnreachablePath { .. } => "unreachable-path",
            DiagnosticKind::HostInSeveralNamespaces { .. } => "host-in-several-namespaces",
            DiagnosticKind::HostOwnedByAnotherNamespace { .. } => "host-owned-by-another-namespace",
            DiagnosticKind::DuplicateLocation { .. } => "duplicate-location",
            DiagnosticKind::NginxRefused(_) => "nginx-refused",
            DiagnosticKind::AnnotationIgnored { .. } => "annotation-ignored",
            DiagnosticKind::CanaryUnused(_) => "canary-unused",
        }
    }
}

impl fmt::Display for DiagnosticKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The field is the diagnostic's own; the rest is the API server's text.
            DiagnosticKind::Invalid(e) => {
                f.write_str(e.error_type.as_str())?;
                if let Some(v) = &e.bad_value {
                    write!(f, ": {v}")?;
                }
                if !e.detail.is_empty() {
                    write!(f, ": {}", e.detail)?;
                }
                Ok(())
            }
            DiagnosticKind::ValidationWarning(w) => write!(f, "warning: {w}"),
            DiagnosticKind::NotServed(why) => write!(f, "not served: {why}"),
            DiagnosticKind::Replaced => {
                f.write_str("added more than once; the last one replaces the earlier ones")
            }
            DiagnosticKind::Backend(e) => write!(f, "backend {e}"),
            DiagnosticKind::InvalidPattern(e) => write!(f, "{e}"),
            DiagnosticKind::DuplicatePath {
                host,
                path,
                path_type,
                winner,
            } => write!(
                f,
                "host {:?} path {path:?} pathType {path_type} is also defined by {winner}, \
                 which takes precedence: this path never matches",
                host.as_deref().unwrap_or("")
            ),
            DiagnosticKind::UnreachablePath {
                host,
                path,
                path_type,
                winner,
            } => write!(
                f,
                "host {:?} path {path:?} pathType {path_type} matches the same requests as \
                 {winner}, which takes precedence: this path never matches",
                host.as_deref().unwrap_or("")
            ),
            DiagnosticKind::HostInSeveralNamespaces {
                host,
                namespaces,
                first,
            } => write!(
                f,
                "host {host:?} has rules in several namespaces ({}); the oldest is {first}",
                namespaces.join(", ")
            ),
            DiagnosticKind::HostOwnedByAnotherNamespace { host, owner } => write!(
                f,
                "host {host:?} belongs to namespace {:?} (its oldest Ingress is {owner}): rules \
                 of other namespaces for it are not served",
                owner.namespace()
            ),
            DiagnosticKind::DuplicateLocation {
                host,
                location,
                winner,
            } => write!(
                f,
                "host {:?} gets nginx location {location:?} twice (first from {winner}): nginx \
                 refuses the configuration and ingress-nginx keeps its previous one",
                host.as_deref().unwrap_or("")
            ),
            DiagnosticKind::NginxRefused(why) => f.write_str(why),
            DiagnosticKind::AnnotationIgnored { value, reason, .. } => {
                write!(f, "{value:?} is ignored by ingress-nginx: {reason}")
            }
            DiagnosticKind::CanaryUnused(why) => write!(f, "canary: {why}"),
        }
    }
}

/// One thing building noticed: which Ingress, which field, what, and what was skipped.
///
/// # Examples
///
/// ```
/// use ingress_router::{RouteTable, Severity, Skipped};
/// use ingress_model::Ingress;
///
/// let ingress: Ingress = serde_json::from_str(r#"{
///   "metadata": {"name": "web", "namespace": "default"},
///   "spec": {"rules": [{"http": {"paths": [
///     {"path": "/a", "backend": {"service": {"name": "a", "port": {"number": 80}}}}]}}]}
/// }"#)?;
/// let built = RouteTable::builder().add(&ingress).build();
/// let d = &built.diagnostics[0];
/// assert_eq!(d.source.to_string(), "default/web");
/// assert_eq!(d.field, "spec.rules[0].http.paths[0].pathType");
/// assert_eq!(d.skipped, Skipped::Path);
/// assert_eq!(d.severity(), Severity::Error);
/// assert_eq!(
///     d.to_string(),
///     "default/web: spec.rules[0].http.paths[0].pathType: Required value: \
///      pathType must be specified (path skipped)"
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The Ingress it is about.
    pub source: IngressKey,
    /// The field path in the API server's form (`spec.rules[0].http.paths[1].path`); `""` for
    /// the object as a whole.
    pub field: String,
    /// What was left out of the table because of it.
    pub skipped: Skipped,
    /// What happened.
    pub kind: DiagnosticKind,
}

// === impl Diagnostic ===

impl Diagnostic {
    /// How much it matters: [`Severity::Error`] when something was skipped because it is
    /// invalid or unsupported, [`Severity::Info`] for Ingresses of other classes,
    /// [`Severity::Warning`] otherwise.
    pub fn severity(&self) -> Severity {
        match (&self.kind, self.skipped) {
            (DiagnosticKind::NotServed(_), _) => Severity::Info,
            (_, Skipped::Nothing) => Severity::Warning,
            (DiagnosticKind::Replaced, _) => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

/// A diagnostic is an error value a controller can log, wrap or put in an Event.
impl std::error::Error for Diagnostic {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            DiagnosticKind::Invalid(e) => Some(e),
            DiagnosticKind::NotServed(e) => Some(e),
            DiagnosticKind::Backend(e) => Some(e),
            DiagnosticKind::InvalidPattern(e) => Some(e),
            _ => None,
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.source)?;
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        write!(f, "{}", self.kind)?;
        if self.skipped != Skipped::Nothing {
            write!(f, " ({})", self.skipped)?;
        }
        Ok(())
    }
}
