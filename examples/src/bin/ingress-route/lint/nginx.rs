//! `lint --profile ingress-nginx`: what ingress-nginx's admission webhook refuses, beyond the
//! API server's validation and the profile's own diagnostics.
//!
//! * Strict path validation (`strict-validate-path-type`, on by default): an `Exact` or
//!   `Prefix` path (or one without a type) may hold letters, digits, `.`, `_`, `-` and `/` only;
//!   `ImplementationSpecific` paths are exempt (regexes go there).
//! * Overlap: a path an Ingress of another name already serves on the host (compared as nginx
//!   locations, so `Prefix /foo` of one Ingress owns `/foo/` and `/foo`, whatever the types),
//!   unless either Ingress has a `canary` annotation.

use std::collections::BTreeMap;

use ingress_model::{Ingress, IngressKey, Loaded, Manifests, PathType};
use ingress_router::{Config, RouteTable};

use super::{Finding, Severity};

/// The webhook's findings for every Ingress of the manifests.
pub(crate) fn findings(m: &Manifests, config: &Config) -> Vec<Finding> {
    let mut out = strict_paths(m);
    out.extend(overlaps(m, config));
    out
}

/// ingress-nginx's `ValidatePathType`: `(?i)^/[[:alnum:]._\-/]*$` for every non-empty path
/// that is not `ImplementationSpecific`.
fn strict_paths(m: &Manifests) -> Vec<Finding> {
    let mut out = Vec::new();
    for Loaded { object, origin } in &m.ingresses {
        for (i, rule) in object.spec.rules.iter().enumerate() {
            for (j, p) in rule.http.iter().flat_map(|h| &h.paths).enumerate() {
                let path = p.path();
                let exempt = matches!(p.path_type, Some(PathType::ImplementationSpecific));
                if path.is_empty() || exempt || plain_path(path) {
                    continue;
                }
                let path_type = p.path_type.as_ref().map_or("<nil>", PathType::as_str);
                out.push(Finding {
                    severity: Severity::Error,
                    rule: "nginx-invalid-path",
                    object: format!("Ingress {}", object.key()),
                    file: origin.file.clone(),
                    line: Some(origin.line),
                    column: None,
                    field: Some(format!("spec.rules[{i}].http.paths[{j}].path")),
                    message: format!(
                        "path {path} cannot be used with pathType {path_type} (ingress-nginx's \
                         admission webhook refuses it under strict-validate-path-type; use \
                         ImplementationSpecific for a regex)"
                    ),
                });
            }
        }
    }
    out
}

fn plain_path(path: &str) -> bool {
    path.starts_with('/')
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-/".contains(&b))
}

/// ingress-nginx's `checkOverlap`: each Service path of each Ingress against the locations of
/// the other Ingresses of its host.
fn overlaps(m: &Manifests, config: &Config) -> Vec<Finding> {
    let table = RouteTable::builder()
        .config(config.clone())
        .add_all(m.ingresses.iter().map(|l| &l.object))
        .build()
        .table;
    let Some(servers) = table.nginx_servers() else {
        return Vec::new();
    };
    // host (None: the catch-all) -> location path -> the Ingresses whose rules made it.
    let mut owners: BTreeMap<(Option<String>, &str), Vec<&IngressKey>> = BTreeMap::new();
    for server in &servers {
        for l in server.locations.iter().filter(|l| !l.placeholder) {
            if let Some(source) = l.source {
                owners
                    .entry((server.host.clone(), l.path))
                    .or_default()
                    .push(source);
            }
        }
    }
    let by_key: BTreeMap<IngressKey, &Ingress> = m
        .ingresses
        .iter()
        .map(|l| (l.object.key(), &l.object))
        .collect();
    // ingress-nginx's order: creationTimestamp, then namespace/name descending. The webhook
    // checks the Ingress being applied, the newest: of two, the newer is refused.
    let order = |ing: &Ingress| {
        let created = ing
            .metadata
            .creation_timestamp
            .as_ref()
            .and_then(|t| t.unix_seconds());
        (created, std::cmp::Reverse(ing.key()))
    };
    let canary_annotated = |ing: &Ingress| {
        ing.metadata
            .annotation(&format!("{}/canary", config.nginx.annotation_prefix))
            .is_some()
    };
    let mut out = Vec::new();
    for Loaded { object, origin } in &m.ingresses {
        if canary_annotated(object) {
            continue;
        }
        let key = object.key();
        for (i, rule) in object.spec.rules.iter().enumerate() {
            let host = rule.host().map(str::to_owned);
            for (j, p) in rule.http.iter().flat_map(|h| &h.paths).enumerate() {
                if p.backend.service.is_none() {
                    continue;
                }
                let path = if p.path().is_empty() { "/" } else { p.path() };
                let Some(list) = owners.get(&(host.clone(), path)) else {
                    continue;
                };
                let older = list.iter().find(|k| {
                    ***k != key
                        && by_key
                            .get(**k)
                            .is_some_and(|o| !canary_annotated(o) && order(o) < order(object))
                });
                if let Some(other) = older {
                    out.push(Finding {
                        severity: Severity::Error,
                        rule: "nginx-overlap",
                        object: format!("Ingress {key}"),
                        file: origin.file.clone(),
                        line: Some(origin.line),
                        column: None,
                        field: Some(format!("spec.rules[{i}].http.paths[{j}].path")),
                        message: format!(
                            "host {:?} and path {path:?} is already defined in ingress {other} \
                             (ingress-nginx's admission webhook refuses the newer one)",
                            host.as_deref().unwrap_or("_")
                        ),
                    });
                }
            }
        }
    }
    out
}
