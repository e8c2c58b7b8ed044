//! Compiling one Ingress: screen it, map its backends to payloads, and cut its paths into the
//! host groups they join.

use std::fmt;
use std::sync::Arc;

use ingress_model::{Ingress, IngressBackend};

use crate::config::{Config, Profile};
use crate::error::{BackendError, Diagnostic, DiagnosticKind, Skipped};
use crate::host::HostPattern;
use crate::rule::{PathRule, Route};
use crate::screen::{ScreenedRule, ScreenedTls, screen_keyed};
use crate::tls::TlsEntry;
use ingress_model::IngressKey;

/// Turns a backend as written into a table's payload; `Err` skips the path (or default backend)
/// with a diagnostic.
pub(crate) type Mapper<B> =
    dyn Fn(&Ingress, &IngressBackend) -> Result<B, BackendError> + Send + Sync + 'static;

/// What a table keeps about each Ingress it was given.
pub(crate) struct IngressEntry<B> {
    pub(crate) key: IngressKey,
    pub(crate) created: Option<i64>,
    /// Whether the class rules make it ours (see [`RouteTable::is_ours`](crate::RouteTable::is_ours)).
    pub(crate) ours: bool,
    /// The mapped `spec.defaultBackend`, if valid and served.
    pub(crate) default_backend: Option<B>,
    /// Whether it has a usable rule (so takes part in a host group).
    pub(crate) has_rules: bool,
    /// The host groups it contributes to.
    pub(crate) hosts: Vec<HostPattern>,
    /// The TLS host patterns it lists (lower case).
    pub(crate) tls_hosts: Vec<Arc<str>>,
    /// Its own diagnostics (validation, class, unsupported backends).
    pub(crate) diagnostics: Vec<Diagnostic>,
    /// Under the ingress-nginx profile: its annotations as ingress-nginx reads them.
    pub(crate) nginx: Option<Arc<crate::nginx::Annotations>>,
    /// It has a `spec.tls` entry (ingress-nginx then has a certificate for its hosts).
    pub(crate) has_tls: bool,
    /// Under the ingress-nginx profile: the upstream of its `defaultBackend`.
    pub(crate) default_upstream: Option<Arc<str>>,
    /// Under the ingress-nginx profile, for a canary Ingress: its paths, which join no host
    /// group (a canary makes no location) but attach to the primaries'.
    pub(crate) canary: Vec<Contribution<B>>,
}

impl<B> IngressEntry<B> {
    /// A canary Ingress under the ingress-nginx profile.
    pub(crate) fn is_canary(&self) -> bool {
        self.nginx.as_ref().is_some_and(|a| a.canary.is_some())
    }
}

impl<B> fmt::Debug for IngressEntry<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IngressEntry")
            .field("key", &self.key)
            .field("created", &self.created)
            .field("has_default_backend", &self.default_backend.is_some())
            .field("hosts", &self.hosts)
            .finish()
    }
}

/// What one Ingress brings to one host group.
pub(crate) struct Contribution<B> {
    pub(crate) host: HostPattern,
    /// The first rule with this host (for diagnostics about the host).
    pub(crate) first_rule: usize,
    pub(crate) routes: Arc<[Route<B>]>,
}

/// An Ingress, ready to be merged into a table.
pub(crate) struct Compiled<B> {
    pub(crate) entry: Arc<IngressEntry<B>>,
    pub(crate) contributions: Vec<Contribution<B>>,
    pub(crate) tls: Vec<TlsEntry>,
}

/// Compiles one Ingress: screens it, maps its default backend and paths to payloads (a refusal
/// skips that backend with a diagnostic), groups its paths by host and collects its TLS names.
pub(crate) fn compile<B>(
    ingress: &Ingress,
    key: IngressKey,
    config: &Config,
    mapper: &Mapper<B>,
) -> Compiled<B> {
    let mut screened = screen_keyed(ingress, key, config);
    let nginx = (config.profile == Profile::IngressNginx)
        .then(|| nginx_annotations(ingress, config, &mut screened));
    let mut mapping = Mapping {
        ingress,
        mapper,
        key: &screened.key,
        diagnostics: std::mem::take(&mut screened.diagnostics),
        nginx: nginx.is_some(),
    };
    let default_upstream = mapping.upstream(screened.default_backend, || {
        "spec.defaultBackend".to_owned()
    });
    let default_backend = match (screened.default_backend, &default_upstream) {
        (Some(_), None) if mapping.nginx => None,
        (backend, _) => backend.and_then(|b| {
            mapping.map(b, Skipped::DefaultBackend, || {
                "spec.defaultBackend".to_owned()
            })
        }),
    };
    let mut contributions = by_host(screened.rules, screened.created, &mut mapping);
    let diagnostics = mapping.diagnostics;
    let (tls, tls_hosts) = tls_entries(screened.tls, &screened.key, screened.created);
    // A canary's paths attach to other Ingresses' locations; they make no host group.
    let canary = if nginx.as_ref().is_some_and(|a| a.canary.is_some()) {
        std::mem::take(&mut contributions)
    } else {
        Vec::new()
    };

    let entry = IngressEntry {
        key: screened.key,
        created: screened.created,
        ours: screened.ours,
        default_backend: default_backend.filter(|_| screened.served),
        has_rules: !contributions.is_empty(),
        hosts: contributions.iter().map(|c| c.host.clone()).collect(),
        tls_hosts,
        diagnostics,
        nginx,
        has_tls: screened.served && !ingress.spec.tls.is_empty(),
        default_upstream,
        canary,
    };
    Compiled {
        entry: Arc::new(entry),
        contributions,
        tls,
    }
}

/// Reads the annotations as ingress-nginx does, reporting what it ignores; an Ingress it would
/// not serve at all is left with nothing to route.
fn nginx_annotations(
    ingress: &Ingress,
    config: &Config,
    screened: &mut crate::screen::Screened<'_>,
) -> Arc<crate::nginx::Annotations> {
    let parsed = crate::nginx::parse(ingress, &config.nginx);
    for ignored in parsed.ignored {
        screened.diagnostics.push(Diagnostic {
            source: screened.key.clone(),
            field: format!("metadata.annotations[{}]", ignored.key),
            skipped: Skipped::Nothing,
            kind: DiagnosticKind::AnnotationIgnored {
                key: ignored.key,
                value: ignored.value,
                reason: ignored.reason,
            },
        });
    }
    if let Some(Err(why)) = parsed
        .annotations
        .canary
        .as_ref()
        .map(|c| c.pattern_error().map_or(Ok(()), Err))
    {
        let key = format!(
            "{}/canary-by-header-pattern",
            config.nginx.annotation_prefix
        );
        screened.diagnostics.push(Diagnostic {
            source: screened.key.clone(),
            field: format!("metadata.annotations[{key}]"),
            skipped: Skipped::Nothing,
            kind: DiagnosticKind::AnnotationIgnored {
                value: ingress.metadata.annotation(&key).unwrap_or("").to_owned(),
                key,
                reason: format!(
                    "the pattern does not compile ({why}): a request with the header goes \
                     to the primary"
                ),
            },
        });
    }
    if let Some(why) = parsed.refused
        && screened.served
    {
        screened.diagnostics.push(Diagnostic {
            source: screened.key.clone(),
            field: String::new(),
            skipped: Skipped::Ingress,
            kind: DiagnosticKind::NginxRefused(why),
        });
        screened.served = false;
        screened.rules.clear();
        screened.default_backend = None;
        screened.tls.clear();
    }
    Arc::new(parsed.annotations)
}

/// Maps an Ingress's backends to payloads, collecting a diagnostic for each refusal.
struct Mapping<'a, B> {
    ingress: &'a Ingress,
    mapper: &'a Mapper<B>,
    key: &'a IngressKey,
    diagnostics: Vec<Diagnostic>,
    /// Under the ingress-nginx profile: backends need an upstream, so only Services serve.
    nginx: bool,
}

impl<B> Mapping<'_, B> {
    /// Under the ingress-nginx profile, the upstream of a backend (`namespace-service-port`,
    /// ingress-nginx's upstream name), or `None` with a diagnostic for a resource backend,
    /// which ingress-nginx skips. `None` without a diagnostic under the spec profile.
    fn upstream(
        &mut self,
        backend: Option<&IngressBackend>,
        field: impl FnOnce() -> String,
    ) -> Option<Arc<str>> {
        if !self.nginx {
            return None;
        }
        let backend = backend?;
        match &backend.service {
            Some(service) => {
                let port = service.port.as_ref().map_or(String::new(), |p| {
                    p.number
                        .map(|n| n.to_string())
                        .or_else(|| p.name.clone())
                        .unwrap_or_default()
                });
                Some(Arc::from(format!(
                    "{}-{}-{port}",
                    self.key.namespace(),
                    service.name
                )))
            }
            None => {
                self.diagnostics.push(Diagnostic {
                    source: self.key.clone(),
                    field: field(),
                    skipped: Skipped::Path,
                    kind: DiagnosticKind::Backend(BackendError::unsupported(
                        "ingress-nginx serves Service backends only",
                    )),
                });
                None
            }
        }
    }

    /// The payload of `backend`, or `None` with a diagnostic on `field` (formatted only then).
    fn map(
        &mut self,
        backend: &IngressBackend,
        skipped: Skipped,
        field: impl FnOnce() -> String,
    ) -> Option<B> {
        match (self.mapper)(self.ingress, backend) {
            Ok(b) => Some(b),
            Err(why) => {
                self.diagnostics.push(Diagnostic {
                    source: self.key.clone(),
                    field: field(),
                    skipped,
                    kind: DiagnosticKind::Backend(why),
                });
                None
            }
        }
    }
}

/// The routes of the screened rules, one contribution per distinct host in order of first
/// mention (two rules with one host join one contribution).
fn by_host<B>(
    rules: Vec<ScreenedRule<'_>>,
    created: Option<i64>,
    mapping: &mut Mapping<'_, B>,
) -> Vec<Contribution<B>> {
    // (host, first rule, routes) per distinct host.
    let mut by_host: Vec<(HostPattern, usize, Vec<Route<B>>)> = Vec::with_capacity(1);
    for rule in rules {
        let host_written: Option<Arc<str>> = rule.host.shared();
        let at = match by_host.iter().position(|c| c.0 == rule.host) {
            Some(at) => at,
            None => {
                let routes = Vec::with_capacity(rule.paths.len());
                by_host.push((rule.host.clone(), rule.index, routes));
                by_host.len() - 1
            }
        };
        for p in rule.paths {
            let field = || format!("spec.rules[{}].http.paths[{}].backend", rule.index, p.index);
            let upstream = mapping.upstream(Some(&p.path.backend), field);
            if mapping.nginx && upstream.is_none() {
                continue;
            }
            let Some(backend) = mapping.map(&p.path.backend, Skipped::Path, field) else {
                continue;
            };
            by_host[at].2.push(Route {
                rule: PathRule {
                    source: mapping.key.clone(),
                    created,
                    host: host_written.clone(),
                    written_empty: p.path.path().is_empty(),
                    pattern: p.pattern,
                    path_type: p.path_type.clone(),
                    rule_index: index_u32(rule.index),
                    path_index: index_u32(p.index),
                },
                backend,
                upstream,
            });
        }
    }
    by_host
        .into_iter()
        .map(|(host, first_rule, routes)| Contribution {
            host,
            first_rule,
            routes: routes.into(),
        })
        .collect()
}

/// The TLS entries (one per listed host) and the distinct TLS hosts of an Ingress.
fn tls_entries(
    screened: Vec<ScreenedTls<'_>>,
    key: &IngressKey,
    created: Option<i64>,
) -> (Vec<TlsEntry>, Vec<Arc<str>>) {
    let mut tls = Vec::new();
    let mut tls_hosts: Vec<Arc<str>> = Vec::new();
    for t in screened {
        let secret_name: Option<Arc<str>> = t.secret_name.map(Into::into);
        for (j, host) in t.hosts {
            let host: Arc<str> = host.into();
            if !tls_hosts.contains(&host) {
                tls_hosts.push(host.clone());
            }
            tls.push(TlsEntry {
                source: key.clone(),
                created,
                host,
                secret_name: secret_name.clone(),
                tls_index: index_u32(t.index),
                host_index: index_u32(j),
            });
        }
    }
    (tls, tls_hosts)
}

/// Indices are stored as `u32` to keep rules small; no Ingress has 4 billion rules (the API
/// server caps an object at 1.5 MiB).
fn index_u32(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}
