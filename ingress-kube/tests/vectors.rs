//! Every `match` row of the public vectors (`testdata/vectors.tsv`), and the router's own rows
//! that need no configuration, through k8s-openapi objects and the index: the snapshot must
//! decide exactly as a table built directly from the model objects, and resolve each Service
//! backend to that Service's endpoints.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use ingress_kube::index::{Backend, Index, IndexConfig, Reason, Resolved};
use ingress_model::IngressBackend;
use ingress_router::{Config, Decision, RequestView, RouteTable, Validation};
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1 as networking;
use serde_json::json;

#[path = "common/mod.rs"]
mod common;

/// The router's reader of the vector format, shared with the router's and the CLI's tests.
#[path = "../../ingress-router/tests/support/mod.rs"]
mod support;

const PUBLIC: &str = include_str!("../../testdata/vectors.tsv");
const ROUTER: &str = include_str!("../../testdata/router-vectors/router.tsv");

struct Row {
    at: String,
    rules: String,
    host: String,
    path: String,
    sni: Option<String>,
    /// The expected cell's first word (public rows only: the router's rows need their config).
    expected: Option<String>,
}

/// The `match` rows whose input is only a request (`host=`, `path=`, `sni=`).
fn rows(file: &str, text: &str, check_expected: bool) -> Vec<Row> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() != 6 || cols[1] != "match" || line.starts_with('#') {
            continue;
        }
        let mut row = Row {
            at: format!("{file}:{}", i + 1),
            rules: cols[2].to_owned(),
            host: String::new(),
            path: "/".to_owned(),
            sni: None,
            expected: check_expected.then(|| {
                cols[4]
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned()
            }),
        };
        let mut request_only = true;
        for token in cols[3].split_whitespace() {
            match token.split_once('=') {
                Some(("host", h)) => row.host = h.to_owned(),
                Some(("path", p)) => row.path = p.to_owned(),
                Some(("sni", s)) => row.sni = Some(s.to_owned()),
                _ => request_only = false,
            }
        }
        if request_only {
            out.push(row);
        }
    }
    out
}

/// The address given to Service number `i` of a row.
fn address_of(i: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, (i / 250) as u8, (i % 250 + 1) as u8))
}

/// Every Service a row's Ingresses name, each with port 80 (targetPort 8080) and one ready
/// endpoint on 8080 of its own.
fn services(ingresses: &[ingress_model::Ingress]) -> Vec<(String, Service, EndpointSlice)> {
    let mut names = BTreeSet::new();
    for ing in ingresses {
        let backends = ing
            .spec
            .default_backend
            .iter()
            .chain(ing.spec.rules.iter().flat_map(|r| {
                r.http
                    .iter()
                    .flat_map(|h| h.paths.iter().map(|p| &p.backend))
            }));
        for b in backends {
            if let Some(s) = &b.service {
                names.insert((ing.metadata.namespace().to_owned(), s.name.clone()));
            }
        }
    }
    names
        .into_iter()
        .enumerate()
        .map(|(i, (ns, name))| {
            let service = common::service(&ns, &name, json!([{"port": 80, "targetPort": 8080}]));
            let slice = common::slice(
                &ns,
                &format!("{name}-abcde"),
                &name,
                "IPv4",
                json!([{"port": 8080}]),
                json!([common::ready(&[&address_of(i).to_string()])]),
            );
            (format!("{ns}/{name}"), service, slice)
        })
        .collect()
}

/// A decision in comparable form: kind, source, rule and backend (as the vectors name it).
fn describe<B>(decision: &Decision<'_, B>, name: impl Fn(&B) -> String) -> String {
    match decision {
        Decision::Route(m) => format!(
            "route {} rule {}/{} {:?} {:?} {} -> {}",
            m.source,
            m.rule.rule_index(),
            m.rule.path_index(),
            m.rule.host(),
            m.rule.path(),
            m.rule.path_type(),
            name(m.backend)
        ),
        Decision::DefaultBackend(d) => format!("default {} -> {}", d.source, name(d.backend)),
        Decision::Redirect(r) => format!("redirect {}", r.status),
        Decision::NotFound => "404".to_owned(),
    }
}

fn model_name(b: &IngressBackend) -> String {
    support::backend_name(b)
}

fn index_name(b: &Backend) -> String {
    match b {
        Backend::Service(s) => s.service.name().to_owned(),
        Backend::Resource(r) => format!(
            "resource:{}/{}/{}",
            r.api_group.as_deref().unwrap_or(""),
            r.kind,
            r.name
        ),
    }
}

/// Runs one row; `Err` says how it went wrong.
fn run(row: &Row) -> Result<(), String> {
    let models = support::vectors::ingresses(&row.rules);
    let direct = RouteTable::builder()
        .config(Config::default().validation(Validation::Trusted))
        .add_all(&models)
        .build()
        .table;

    // The index sees the objects as a cluster would hold them, one at a time (the incremental
    // path), with their Services and slices. The table above serves every Ingress: so every
    // class a row names is ours, and class-less Ingresses are accepted.
    let mut index = Index::new(IndexConfig::new(common::CONTROLLER).accept_classless(true));
    index.apply(common::class("gateway", common::CONTROLLER, false));
    for model in &models {
        let named = model
            .spec
            .ingress_class_name
            .as_deref()
            .or(model.class_annotation());
        if let Some(class) = named {
            index.apply(common::class(class, common::CONTROLLER, false));
        }
    }
    let services = services(&models);
    for (_, service, slice) in &services {
        index.apply(service.clone());
        index.apply(slice.clone());
    }
    for model in &models {
        let object = networking::Ingress::try_from(model).map_err(|e| e.to_string())?;
        let change = index.apply(object);
        if !change.errors.is_empty() {
            return Err(format!("{:?}", change.errors));
        }
    }
    let snapshot = index.snapshot().snapshot;

    if let Some(sni) = &row.sni {
        let by_index = snapshot.certificate_for(sni).map(|c| {
            (
                c.entry.source.clone(),
                c.entry.secret_name.map(str::to_owned),
            )
        });
        let by_table = direct
            .certificate_for(sni)
            .map(|c| (c.source.clone(), c.secret_name.map(str::to_owned)));
        return if by_index == by_table {
            Ok(())
        } else {
            Err(format!("sni {sni}: index {by_index:?}, table {by_table:?}"))
        };
    }

    let request = RequestView::new(&row.host, &row.path);
    let routed = snapshot.route(&request);
    let got = describe(&routed.decision, index_name);
    let want = describe(&direct.find(&request), model_name);
    if got != want {
        return Err(format!("index: {got}\n    table: {want}"));
    }
    check_resolution(&routed.decision, routed.resolved, &services)?;
    if let Some(expected) = &row.expected {
        let label = match routed.decision.backend() {
            Some(b) => index_name(b),
            None => "404".to_owned(),
        };
        let expected = if expected == "404" {
            "404".to_owned()
        } else {
            support::vectors::service(expected)
        };
        if label != expected {
            return Err(format!("expected {expected}, got {label}"));
        }
    }
    Ok(())
}

/// A Service backend resolves to its own endpoint; a resource backend is unsupported.
fn check_resolution(
    decision: &Decision<'_, Backend>,
    resolved: Option<Resolved<'_>>,
    services: &[(String, Service, EndpointSlice)],
) -> Result<(), String> {
    let want = match decision.backend() {
        None => None,
        Some(Backend::Resource(_)) => Some(Resolved::Unavailable(Reason::UnsupportedBackend)),
        Some(Backend::Service(s)) => {
            let i = services
                .iter()
                .position(|(key, _, _)| *key == s.service.to_string())
                .ok_or_else(|| format!("no Service made for {}", s.service))?;
            let addr = SocketAddr::new(address_of(i), 8080);
            return match resolved {
                Some(Resolved::Endpoints(e)) if e == [addr] => Ok(()),
                other => Err(format!("{} resolved to {other:?}, want {addr}", s.service)),
            };
        }
    };
    if resolved == want {
        Ok(())
    } else {
        Err(format!("resolved {resolved:?}, want {want:?}"))
    }
}

#[test]
fn every_match_vector_decides_as_the_router_does_and_resolves_its_service() {
    let public = rows("testdata/vectors.tsv", PUBLIC, true);
    assert!(
        public.len() >= 59,
        "only {} public match rows",
        public.len()
    );
    let router = rows("testdata/router-vectors/router.tsv", ROUTER, false);
    let mut failures = Vec::new();
    for row in public.iter().chain(&router) {
        if let Err(e) = run(row) {
            failures.push(format!("{}: {}\n    {e}", row.at, row.rules));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        public.len() + router.len(),
        failures.join("\n")
    );
}
