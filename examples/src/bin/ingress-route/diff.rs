//! `diff`: which requests change fate between two profiles (ingress-nginx and the spec, say)
//! or between two manifest sets, and why.
//!
//! The requests are generated from the rules, to tell them apart: each rule path as written,
//! with its trailing slash added or removed, with a suffix, a sibling and in upper case; the
//! host's `/` and a path no rule has; each rule host and a host one label deeper (for a
//! wildcard, one label and two); an unlisted host; each over http and https; and, for canary
//! Ingresses, their header and cookie set to `always`, `never` and the canary value, and their
//! weighted draw. A request's fate is what a client sees: the outcome, the backend that serves
//! (a canary's when it takes the request), a redirect's status and `Location`, and the target
//! the upstream gets.

use std::collections::{BTreeMap, BTreeSet};

use ingress_model::{Ingress, IngressBackend, IngressKey};
use ingress_router::nginx::RedirectKind;
use ingress_router::{Config, Decision, RequestView, RouteTable};
use serde_json::{Value, json};

use crate::output::{Answer, describe_backend};
use crate::requests::RequestSpec;

/// One side of the comparison: a name for the output and its table.
pub(crate) struct Side {
    pub(crate) name: String,
    pub(crate) config: Config,
    pub(crate) table: RouteTable<IngressBackend>,
}

impl Side {
    pub(crate) fn new(name: String, config: Config, ingresses: &[&Ingress]) -> Side {
        let table = RouteTable::builder()
            .config(config.clone())
            .add_all(ingresses.iter().copied())
            .build()
            .table;
        Side {
            name,
            config,
            table,
        }
    }

    fn is_nginx(&self) -> bool {
        self.config.profile == ingress_router::Profile::IngressNginx
    }
}

/// A request whose fate differs, with both answers in words.
pub(crate) struct Difference {
    /// The Ingress it is reported under: the one that decides on the first side, else on the
    /// second.
    pub(crate) ingress: Option<IngressKey>,
    pub(crate) request: RequestSpec,
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) from_json: Value,
    pub(crate) to_json: Value,
    pub(crate) reason: String,
}

/// What a client sees of an answer.
#[derive(PartialEq)]
struct Fate {
    outcome: &'static str,
    backend: Option<IngressBackend>,
    redirect: Option<(u16, String)>,
    upstream_target: Option<String>,
}

fn fate(answer: &Answer<'_>, view: &RequestView<'_>) -> Fate {
    let backend = answer.backend().cloned();
    Fate {
        outcome: answer.outcome(),
        redirect: answer
            .decision
            .redirect()
            .map(|r| (r.status, answer.location.clone().unwrap_or_default())),
        upstream_target: backend.as_ref().map(|_| {
            answer
                .rewrite
                .clone()
                .unwrap_or_else(|| view.target().to_owned())
        }),
        backend,
    }
}

/// The answer in words.
fn describe(answer: &Answer<'_>) -> String {
    let mut out = match &answer.decision {
        Decision::Route(m) => format!(
            "{} (Ingress {}, {} {})",
            describe_backend(m.backend),
            m.source,
            m.rule.path_type(),
            m.rule.path()
        ),
        Decision::DefaultBackend(d) => format!(
            "{} (the defaultBackend of Ingress {})",
            describe_backend(d.backend),
            d.source
        ),
        Decision::Redirect(r) => format!(
            "{} to {}",
            r.status,
            answer.location.as_deref().unwrap_or("")
        ),
        _ => "404".to_owned(),
    };
    if let Some(target) = &answer.rewrite {
        out.push_str(&format!(", the upstream gets {target}"));
    }
    if let Some((c, v)) = &answer.canary
        && v.canary
    {
        out.push_str(&format!(
            ", taken by the canary {} of Ingress {}",
            describe_backend(c.backend),
            c.source
        ));
    }
    out
}

/// What a canary probe adds to a request: headers (a cookie is a `Cookie` header) and a draw.
type CanaryInput = (Vec<(String, String)>, Option<u8>);

/// The requests that tell the rules of these Ingresses apart.
pub(crate) fn probes(ingresses: &[&Ingress], annotation_prefix: &str) -> Vec<RequestSpec> {
    // Host, path, and what a canary probe adds.
    let mut set: BTreeSet<(String, String, CanaryInput)> = BTreeSet::new();
    let mut add = |host: &str, path: String, headers: Vec<(String, String)>, draw: Option<u8>| {
        set.insert((host.to_owned(), path, (headers, draw)));
    };
    for ing in ingresses {
        let canary = canary_probes(ing, annotation_prefix);
        for rule in &ing.spec.rules {
            let (host, others) = hosts_of(rule.host());
            let rule_paths: Vec<&str> = rule
                .http
                .iter()
                .flat_map(|h| &h.paths)
                .map(|p| p.path())
                .collect();
            for path in ["/", "/no-rule-has-this"] {
                add(&host, path.to_owned(), Vec::new(), None);
            }
            for p in &rule_paths {
                for path in path_variants(p) {
                    add(&host, path, Vec::new(), None);
                }
                // The canary's own paths, with its headers, cookies and draws.
                for (headers, draw) in &canary {
                    add(&host, literal(p).to_owned(), headers.clone(), *draw);
                }
            }
            // Hosts the rule almost names: its `/` and its paths as written.
            for other in &others {
                add(other, "/".to_owned(), Vec::new(), None);
                for p in &rule_paths {
                    add(other, literal(p).to_owned(), Vec::new(), None);
                }
            }
        }
        if ing.spec.default_backend.is_some() {
            add("unlisted.example", "/".to_owned(), Vec::new(), None);
        }
    }
    set.into_iter()
        .flat_map(|(host, path, (headers, draw))| {
            ["http", "https"].map(|scheme| {
                let mut given = json!({"host": host, "path": path, "scheme": scheme});
                if !headers.is_empty() {
                    given["headers"] = json!(
                        headers
                            .iter()
                            .cloned()
                            .collect::<BTreeMap<String, String>>()
                    );
                }
                if let Some(d) = draw {
                    given["draw"] = json!(f64::from(d));
                }
                RequestSpec {
                    given,
                    host: Some(host.clone()),
                    path: path.clone(),
                    scheme: scheme.to_owned(),
                    sni: (scheme == "https").then(|| host.clone()),
                    headers: headers.clone(),
                    draw: draw.map(f64::from),
                }
            })
        })
        .collect()
}

/// The host a rule names (a name the wildcard covers; an unlisted one for no host), and the
/// hosts it almost names: one label deeper, or two labels under a wildcard.
fn hosts_of(host: Option<&str>) -> (String, Vec<String>) {
    match host {
        None => ("unlisted.example".to_owned(), Vec::new()),
        Some(h) => match h.strip_prefix("*.") {
            Some(suffix) => (format!("a.{suffix}"), vec![format!("a.b.{suffix}")]),
            None => (h.to_owned(), vec![format!("deeper.{h}")]),
        },
    }
}

/// The literal start of a path (all of it, unless it has regex characters); `/` if empty.
fn literal(path: &str) -> &str {
    let literal = match path.find(|c: char| "[(.*+?{|^$\\".contains(c)) {
        Some(at) => &path[..at],
        None => path,
    };
    if literal.is_empty() { "/" } else { literal }
}

/// A rule path (its literal start, for a regex), with and without its trailing slash, with a
/// suffix, a sibling, and in upper case.
fn path_variants(path: &str) -> Vec<String> {
    let base = literal(path);
    let bare = base.trim_end_matches('/');
    let mut out = vec![
        base.to_owned(),
        format!("{bare}/"),
        format!("{bare}/more"),
        base.to_ascii_uppercase(),
    ];
    if !bare.is_empty() {
        out.push(bare.to_owned());
        out.push(format!("{bare}x"));
    }
    out
}

/// The headers, cookies and draws that exercise a canary Ingress's rules.
fn canary_probes(ing: &Ingress, prefix: &str) -> Vec<CanaryInput> {
    let annotation = |name: &str| ing.metadata.annotation(&format!("{prefix}/{name}"));
    if !is_canary(ing, prefix) {
        return Vec::new();
    }
    let mut out = Vec::new();
    if let Some(header) = annotation("canary-by-header") {
        for value in ["always", "never"]
            .into_iter()
            .chain(annotation("canary-by-header-value"))
        {
            out.push((vec![(header.to_owned(), value.to_owned())], None));
        }
    }
    if let Some(cookie) = annotation("canary-by-cookie") {
        for value in ["always", "never"] {
            out.push((
                vec![("Cookie".to_owned(), format!("{cookie}={value}"))],
                None,
            ));
        }
    }
    if annotation("canary-weight").is_some() {
        out.push((Vec::new(), Some(0)));
    }
    out
}

/// The Ingresses ingress-nginx reads as canaries (`canary: "true"`).
pub(crate) fn canaries(ingresses: &[&Ingress], prefix: &str) -> BTreeSet<IngressKey> {
    ingresses
        .iter()
        .filter(|i| is_canary(i, prefix))
        .map(|i| i.key())
        .collect()
}

/// `canary` set to what Go's `strconv.ParseBool` reads as true, as ingress-nginx reads it.
fn is_canary(ing: &Ingress, prefix: &str) -> bool {
    matches!(
        ing.metadata
            .annotation(&format!("{prefix}/canary"))
            .map(str::trim),
        Some("1" | "t" | "T" | "TRUE" | "true" | "True")
    )
}

/// Every probe whose fate differs between `from` and `to`; `canaries` are the Ingresses
/// ingress-nginx reads as canaries (for the reasons).
pub(crate) fn differences(
    from: &Side,
    to: &Side,
    probes: &[RequestSpec],
    canaries: &BTreeSet<IngressKey>,
) -> Vec<Difference> {
    let mut out = Vec::new();
    for req in probes {
        let view = req.view();
        let a = Answer::new(from.table.find(&view), &view, req);
        let b = Answer::new(to.table.find(&view), &view, req);
        if fate(&a, &view) == fate(&b, &view) {
            continue;
        }
        out.push(Difference {
            ingress: a.ingress().or(b.ingress()).cloned(),
            request: req.clone(),
            from: describe(&a),
            to: describe(&b),
            from_json: crate::output::route_json(req, &a, None),
            to_json: crate::output::route_json(req, &b, None),
            reason: reason((from, &a), (to, &b), &view, canaries),
        });
    }
    out
}

/// Why the two answers differ, in words: the first rule of the two profiles that tells them
/// apart, else both answers.
fn reason(
    from: (&Side, &Answer<'_>),
    to: (&Side, &Answer<'_>),
    view: &RequestView<'_>,
    canaries: &BTreeSet<IngressKey>,
) -> String {
    for (side, answer, other) in [(from.0, from.1, to.0), (to.0, to.1, from.0)] {
        if let Decision::Redirect(r) = &answer.decision {
            let by = r
                .source
                .map(|s| format!(" (Ingress {s})"))
                .unwrap_or_default();
            return match r.kind {
                RedirectKind::AddSlash { location } => format!(
                    "{} answers {} itself to add the trailing slash of location {location:?}: \
                     nginx redirects a request for a path ending in / without it{by}",
                    side.name, r.status
                ),
                RedirectKind::AppRoot { root } => {
                    format!("app-root sends / to {root:?} on {}{by}", side.name)
                }
                RedirectKind::Https { .. } => format!(
                    "{} redirects plain HTTP to HTTPS: ssl-redirect (on by default for a host \
                     with TLS) or force-ssl-redirect{by}",
                    side.name
                ),
                RedirectKind::Rewrite { rewrite } => format!(
                    "the rewrite-target {:?} is a URL: {} answers 302 with it{by}",
                    rewrite.target(),
                    side.name
                ),
                _ => format!("{} redirects{by}", side.name),
            };
        }
        if let Some((c, v)) = &answer.canary
            && v.canary
        {
            let elsewhere = if other.is_nginx() {
                "not on the other side"
            } else {
                "the other side has no canaries"
            };
            return format!(
                "on {} the canary Ingress {} takes the request ({}); {elsewhere}",
                side.name, c.source, v.reason
            );
        }
    }
    let (a, b) = (from.1, to.1);
    if a.rewrite != b.rewrite {
        let (side, answer) = if a.rewrite.is_some() { from } else { to };
        if let Some(r) = answer.decision.rewrite() {
            return format!(
                "on {} the location rewrites the target to {} (rewrite-target {:?} of Ingress {})",
                side.name,
                answer.rewrite.as_deref().unwrap_or(""),
                r.target(),
                answer
                    .decision
                    .source()
                    .map(|s| s.to_string())
                    .unwrap_or_default()
            );
        }
    }
    let nginx = [from, to].into_iter().find(|(s, _)| s.is_nginx());
    if let Some((side, _)) = [from, to]
        .into_iter()
        .find(|(s, answer)| !s.is_nginx() && answer.ingress().is_some_and(|k| canaries.contains(k)))
    {
        return format!(
            "ingress-nginx reads Ingress {} as a canary (canary: \"true\"), which makes no \
             location of its own and only takes requests of a primary with its path; {} routes \
             to its paths like any other's",
            side_ingress(side, from, to),
            side.name
        );
    }
    if let (Decision::Route(x), Decision::Route(y)) = (&a.decision, &b.decision) {
        // Prefix /p becomes `location /p/` and an exact `location = /p`, which wins for /p.
        for (n, m, other) in [(from, x, y), (to, y, x)] {
            if n.0.is_nginx()
                && m.rule.path_type().as_str() == "Prefix"
                && view.path() == m.rule.path()
                && other.rule.path() == format!("{}/", m.rule.path())
            {
                return format!(
                    "{} renders Prefix {} as location {}/ plus an exact location = {}, which \
                     wins for this request; the spec profile prefers the longer path {}/",
                    n.0.name,
                    m.rule.path(),
                    m.rule.path(),
                    m.rule.path(),
                    m.rule.path()
                );
            }
        }
        if x.rule.path() == y.rule.path()
            && x.rule.path_type() == y.rule.path_type()
            && x.source != y.source
        {
            return format!(
                "two Ingresses have this path: {} keeps {} and {} keeps {} (ingress-nginx: the \
                 older, then the larger namespace/name at an equal creationTimestamp; the spec \
                 profile: the older, then the smaller)",
                from.0.name, x.source, to.0.name, y.source
            );
        }
        if let Some((side, answer)) = nginx
            && let Decision::Route(m) = &answer.decision
            && in_regex_mode(&side.table, m.rule.host())
        {
            return format!(
                "on {} host {:?} is in regex mode (an Ingress of the host has use-regex or a \
                 rewrite-target): every path of the host matches as a case-insensitive regex \
                 prefix, the longest first",
                side.name,
                m.rule.host().unwrap_or("*")
            );
        }
    }
    if let Some((side, answer)) = nginx
        && let Decision::Route(m) = &answer.decision
        && in_regex_mode(&side.table, m.rule.host())
    {
        return format!(
            "on {} host {:?} is in regex mode (use-regex or a rewrite-target on one of its \
             Ingresses): paths match as case-insensitive regex prefixes",
            side.name,
            m.rule.host().unwrap_or("*")
        );
    }
    let kinds = (a.outcome(), b.outcome());
    if let Some((side, _)) = nginx
        && (kinds.0 == "default-backend"
            || kinds.1 == "default-backend"
            || kinds.0 == "not-found"
            || kinds.1 == "not-found")
        && !matches!(kinds, ("route", "route"))
    {
        return format!(
            "defaultBackend scoping: {} answers a host's unmatched requests with the \
             defaultBackend of the host's first Ingress only, and unknown hosts with a \
             rule-less Ingress's only",
            side.name
        );
    }
    format!(
        "{}: {}; {}: {}",
        from.0.name,
        describe(a),
        to.0.name,
        describe(b)
    )
}

/// The Ingress that serves on `side`.
fn side_ingress(side: &Side, from: (&Side, &Answer<'_>), to: (&Side, &Answer<'_>)) -> String {
    let answer = if std::ptr::eq(side, from.0) {
        from.1
    } else {
        to.1
    };
    answer
        .ingress()
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// Whether the ingress-nginx server of a rule host is in regex mode.
fn in_regex_mode(table: &RouteTable<IngressBackend>, host: Option<&str>) -> bool {
    table.nginx_servers().is_some_and(|servers| {
        servers
            .iter()
            .any(|s| s.host.as_deref() == host && s.regex_mode)
    })
}

/// The text report: by Ingress, then by reason, each differing request with both answers.
pub(crate) fn text(from: &Side, to: &Side, diffs: &[Difference], probes: usize) -> String {
    let mut by_ingress: BTreeMap<String, BTreeMap<&str, Vec<&Difference>>> = BTreeMap::new();
    for d in diffs {
        let key = d
            .ingress
            .as_ref()
            .map_or("(no Ingress)".to_owned(), |k| format!("Ingress {k}"));
        by_ingress
            .entry(key)
            .or_default()
            .entry(&d.reason)
            .or_default()
            .push(d);
    }
    let mut out = String::new();
    for (ingress, reasons) in &by_ingress {
        out.push_str(&format!("{ingress}\n"));
        for (reason, list) in reasons {
            out.push_str(&format!("  {reason}\n"));
            for d in list {
                let label = crate::output::request_label(&d.request);
                let headers: String = d
                    .request
                    .headers
                    .iter()
                    .map(|(n, v)| format!(" [{n}: {v}]"))
                    .collect();
                let draw = d
                    .request
                    .draw
                    .map(|x| format!(" [draw {x}]"))
                    .unwrap_or_default();
                out.push_str(&format!(
                    "    {label}{headers}{draw}\n      {}: {}\n      {}: {}\n",
                    from.name, d.from, to.name, d.to
                ));
            }
        }
    }
    out.push_str(&format!(
        "{} of {probes} generated requests differ between {} and {}, under {} Ingress(es)\n",
        diffs.len(),
        from.name,
        to.name,
        by_ingress.len()
    ));
    out
}

/// One JSON object per differing request.
pub(crate) fn json(d: &Difference) -> Value {
    json!({
        "ingress": d.ingress.as_ref().map(IngressKey::as_str),
        "request": d.request.given,
        "from": d.from_json,
        "to": d.to_json,
        "reason": d.reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_of_a_path() {
        assert_eq!(
            path_variants("/foo"),
            ["/foo", "/foo/", "/foo/more", "/FOO", "/foo", "/foox"]
        );
        assert_eq!(path_variants("/id/[0-9]+")[0], "/id/");
        assert_eq!(path_variants("/")[..2], ["/", "/"]);
        assert_eq!(
            hosts_of(Some("*.a.com")),
            ("a.a.com".to_owned(), vec!["a.b.a.com".to_owned()])
        );
    }
}
