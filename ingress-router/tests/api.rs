//! Behaviour through the public API that the vector files cannot express.

use ingress_model::{HttpIngressRuleValue, IngressRule};
use ingress_router::{
    BackendError, Decision, DiagnosticKind, HostSelection, MatchKind, RequestView, RouteTable,
};

use crate::support::{backend_name, ingress, with_default, with_path};

fn name(d: Decision<'_, ingress_model::IngressBackend>) -> String {
    d.backend().map_or_else(|| "404".to_owned(), backend_name)
}

#[test]
fn decision_carries_its_origin() {
    let a = with_path(
        with_path(
            ingress("shop", "web", Some(1)),
            "foo.com",
            "Prefix",
            "/",
            "root",
        ),
        "foo.com",
        "Exact",
        "/cart",
        "cart",
    );
    let table = RouteTable::builder().add(&a).build().table;
    let d = table.find(&RequestView::new("foo.com", "/cart"));
    let Decision::Route(m) = d else {
        panic!("{d:?}")
    };
    assert_eq!(m.source.namespace(), "shop");
    assert_eq!(m.source.name(), "web");
    assert_eq!(m.rule.host(), Some("foo.com"));
    assert_eq!(m.rule.path(), "/cart");
    assert_eq!(m.rule.path_type().as_str(), "Exact");
    assert_eq!(m.rule.kind(), MatchKind::Exact);
    assert_eq!((m.rule.rule_index(), m.rule.path_index()), (1, 0));
    assert_eq!(m.rule.field(), "spec.rules[1].http.paths[0]");
    assert_eq!(m.rule.created(), Some(1_577_836_801));
}

#[test]
fn default_backend_names_its_ingress() {
    let a = with_default(ingress("shop", "fallback", None), "dflt");
    let table = RouteTable::builder().add(&a).build().table;
    match table.find(&RequestView::new("any", "/x")) {
        Decision::DefaultBackend(d) => {
            assert_eq!(backend_name(d.backend), "dflt");
            assert_eq!(d.source.to_string(), "shop/fallback");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn host_only_rule_claims_its_host() {
    // A rule with a host and no `http` (types.go: "the rule defaults to a http catch-all"):
    // it selects the host group, so the Ingress's defaultBackend answers for that host and
    // the no-host rules do not (no fall-through).
    let mut a = with_default(ingress("default", "a", Some(1)), "a-default");
    a.spec.rules.push(IngressRule {
        host: Some("foo.com".into()),
        http: None,
    });
    let b = with_path(ingress("default", "b", Some(2)), "", "Prefix", "/", "b-any");
    let table = RouteTable::builder().add(&a).add(&b).build().table;
    assert_eq!(name(table.find_parts("foo.com", "/x")), "a-default");
    assert_eq!(name(table.find_parts("bar.com", "/x")), "b-any");
}

#[test]
fn empty_http_rule_is_skipped_by_validation_or_routes_nothing() {
    let mut a = ingress("default", "a", None);
    a.spec.rules.push(IngressRule {
        host: Some("foo.com".into()),
        http: Some(HttpIngressRuleValue { paths: vec![] }),
    });
    let table = RouteTable::builder().add(&a).build().table;
    assert!(table.find_parts("foo.com", "/").is_not_found());
}

#[test]
fn explain_lists_candidates_best_first() {
    let a = with_path(
        with_path(
            with_path(
                ingress("default", "a", Some(1)),
                "foo.com",
                "Prefix",
                "/",
                "root",
            ),
            "foo.com",
            "Prefix",
            "/api",
            "api",
        ),
        "foo.com",
        "Prefix",
        "/api/",
        "api-slash",
    );
    let table = RouteTable::builder().add(&a).build().table;
    let e = table.explain(&RequestView::new("FOO.com", "/api/./x"));
    assert_eq!(e.host_selection, HostSelection::Exact);
    assert_eq!(e.host_group.as_deref(), Some("foo.com"));
    assert_eq!(e.path, "/api/x");
    let order: Vec<String> = e
        .candidates
        .iter()
        .map(|m| backend_name(m.backend))
        .collect();
    assert_eq!(order, ["api-slash", "api", "root"]);
    assert_eq!(name(e.decision), "api-slash");

    let e = table.explain(&RequestView::new("bar.com", "/"));
    assert_eq!(e.host_selection, HostSelection::None);
    assert!(e.candidates.is_empty());
}

#[test]
fn custom_payloads_and_typed_refusals() {
    let a = with_path(
        with_path(
            with_path(ingress("default", "a", None), "", "Prefix", "/svc", "svc"),
            "",
            "Prefix",
            "/bucket",
            "resource:k8s.example.com/StorageBucket/b",
        ),
        "",
        "Prefix",
        "/later",
        "missing",
    );
    // A controller's mapper: resource backends never, a Service it has not seen yet "not yet".
    let built = RouteTable::builder_with(|_, b| {
        let svc = b
            .service
            .as_ref()
            .ok_or(BackendError::unsupported("only Service backends"))?;
        if svc.name == "missing" {
            return Err(BackendError::unresolved("service \"missing\" not found"));
        }
        Ok(svc.name.len())
    })
    .add(&a)
    .build();
    assert_eq!(built.table.find_parts("x", "/svc").backend(), Some(&3));
    assert!(built.table.find_parts("x", "/bucket").is_not_found());
    assert!(built.table.find_parts("x", "/later").is_not_found());
    let refusals: Vec<_> = built
        .diagnostics
        .iter()
        .map(|d| match &d.kind {
            DiagnosticKind::Backend(e) => (d.field.as_str(), e.is_retryable()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        refusals,
        [
            ("spec.rules[1].http.paths[0].backend", false),
            ("spec.rules[2].http.paths[0].backend", true)
        ]
    );
    assert_eq!(
        built.diagnostics[0].to_string(),
        "default/a: spec.rules[1].http.paths[0].backend: backend not supported: \
         only Service backends (path skipped)"
    );
    // Diagnostics are errors with a source chain.
    let source = std::error::Error::source(&built.diagnostics[1]).map(ToString::to_string);
    assert_eq!(
        source.as_deref(),
        Some("not resolved: service \"missing\" not found")
    );
}

#[test]
fn long_paths_with_dot_segments_are_normalised_too() {
    let a = with_path(ingress("default", "a", None), "", "Prefix", "/b", "b");
    let table = RouteTable::builder().add(&a).build().table;
    let long = format!("/{}/../b/x", "a".repeat(10_000));
    assert_eq!(name(table.find_parts("x", &long)), "b");
}

#[test]
fn very_long_hosts_still_match_wildcards() {
    let a = with_path(
        ingress("default", "a", None),
        "*.foo.com",
        "Prefix",
        "/",
        "w",
    );
    let table = RouteTable::builder().add(&a).build().table;
    let host = format!("{}.FOO.com", "X".repeat(300));
    assert_eq!(name(table.find_parts(&host, "/")), "w");
    let host = format!("{}.foo.com", "x".repeat(300));
    assert_eq!(name(table.find_parts(&host, "/")), "w");
}

#[cfg(feature = "http")]
#[test]
fn from_http_request_without_copying() {
    let a = with_path(
        ingress("default", "a", None),
        "foo.com",
        "Prefix",
        "/api",
        "api",
    );
    let table = RouteTable::builder().add(&a).build().table;
    let req = http::Request::get("/api/v1?q=1")
        .header("host", "Foo.com:8443")
        .body(())
        .unwrap();
    let view = RequestView::from_request(&req);
    assert_eq!(
        view.host().as_ptr(),
        req.headers()["host"].as_bytes().as_ptr()
    );
    assert_eq!(name(table.find(&view)), "api");
    let (parts, ()) = req.into_parts();
    assert_eq!(name(table.find(&RequestView::from_parts(&parts))), "api");
    // HTTP/2 style: the authority is in the URI.
    let h2 = http::Request::get("https://foo.com/api")
        .version(http::Version::HTTP_2)
        .body(())
        .unwrap();
    assert_eq!(name(table.find(&RequestView::from_request(&h2))), "api");
    let none = http::Request::get("/api").body(()).unwrap();
    assert_eq!(RequestView::from_request(&none).host(), "");
}
