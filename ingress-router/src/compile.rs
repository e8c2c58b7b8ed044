//! Compiling one Ingress: screen it, map its backends to payloads, and cut its paths into the
//! host groups they join.

use std::fmt;
use std::sync::Arc;

use ingress_model::{Ingress, IngressBackend};

use crate::config::Config;
use crate::error::{BackendError, Diagnostic, DiagnosticKind, Skipped};
use crate::host::HostPattern;
use crate::rule::{PathRule, Route};
use crate::screen::screen_keyed;
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

pub(crate) fn compile<B>(
    ingress: &Ingress,
    key: IngressKey,
    config: &Config,
    mapper: &Mapper<B>,
) -> Compiled<B> {
    let screened = screen_keyed(ingress, key, config);
    let mut diagnostics = screened.diagnostics;
    let key = screened.key;
    let created = screened.created;
    let unsupported = |diagnostics: &mut Vec<Diagnostic>, field: String, skipped, why| {
        diagnostics.push(Diagnostic {
            source: key.clone(),
            field,
            skipped,
            kind: DiagnosticKind::Backend(why),
        });
    };

    let default_backend = screened
        .default_backend
        .and_then(|b| match mapper(ingress, b) {
            Ok(b) => Some(b),
            Err(why) => {
                unsupported(
                    &mut diagnostics,
                    "spec.defaultBackend".to_owned(),
                    Skipped::DefaultBackend,
                    why,
                );
                None
            }
        });

    // (host, first rule, routes) per distinct host, in order of first mention.
    let mut by_host: Vec<(HostPattern, usize, Vec<Route<B>>)> = Vec::with_capacity(1);
    for rule in screened.rules {
        let host_written: Option<Arc<str>> = rule.host.shared();
        let at = match by_host.iter().position(|c| c.0 == rule.host) {
            Some(at) => at,
            None => {
                by_host.push((
                    rule.host.clone(),
                    rule.index,
                    Vec::with_capacity(rule.paths.len()),
                ));
                by_host.len() - 1
            }
        };
        for p in rule.paths {
            let backend = match mapper(ingress, &p.path.backend) {
                Ok(b) => b,
                Err(why) => {
                    unsupported(
                        &mut diagnostics,
                        format!("spec.rules[{}].http.paths[{}].backend", rule.index, p.index),
                        Skipped::Path,
                        why,
                    );
                    continue;
                }
            };
            by_host[at].2.push(Route {
                rule: PathRule {
                    source: key.clone(),
                    created,
                    host: host_written.clone(),
                    written_empty: p.path.path().is_empty(),
                    pattern: p.pattern,
                    path_type: p.path_type.clone(),
                    rule_index: index_u32(rule.index),
                    path_index: index_u32(p.index),
                },
                backend,
            });
        }
    }
    let contributions: Vec<Contribution<B>> = by_host
        .into_iter()
        .map(|(host, first_rule, routes)| Contribution {
            host,
            first_rule,
            routes: routes.into(),
        })
        .collect();

    let mut tls = Vec::new();
    let mut tls_hosts: Vec<Arc<str>> = Vec::new();
    for t in screened.tls {
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

    let entry = IngressEntry {
        key: key.clone(),
        created,
        default_backend: if screened.served {
            default_backend
        } else {
            None
        },
        has_rules: !contributions.is_empty(),
        hosts: contributions.iter().map(|c| c.host.clone()).collect(),
        tls_hosts,
        diagnostics,
    };
    Compiled {
        entry: Arc::new(entry),
        contributions,
        tls,
    }
}

/// Indices are stored as `u32` to keep rules small; no Ingress has 4 billion rules (the API
/// server caps an object at 1.5 MiB).
fn index_u32(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}
