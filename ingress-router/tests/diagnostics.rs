//! What building reports beyond validation.

use ingress_model::{HttpIngressPath, PathType};
use ingress_router::{
    ClassFilter, Config, DiagnosticKind, RouteTable, RuleOrigin, Severity, Skipped,
};

use crate::support::{backend, ingress, with_default, with_path};

#[test]
fn duplicate_paths_across_ingresses_name_winner_and_loser() {
    let old = with_path(
        ingress("team-a", "old", Some(1)),
        "foo.com",
        "Prefix",
        "/x",
        "a",
    );
    let new = with_path(
        ingress("team-a", "new", Some(2)),
        "foo.com",
        "Prefix",
        "/x",
        "b",
    );
    let built = RouteTable::builder().add(&new).add(&old).build();
    assert_eq!(built.diagnostics.len(), 1, "{:?}", built.diagnostics);
    let d = &built.diagnostics[0];
    assert_eq!(d.source.to_string(), "team-a/new");
    assert_eq!(d.field, "spec.rules[0].http.paths[0]");
    assert_eq!(d.severity(), Severity::Warning);
    assert_eq!(d.skipped, Skipped::Nothing);
    match &d.kind {
        DiagnosticKind::DuplicatePath {
            host,
            path,
            path_type,
            winner,
        } => {
            assert_eq!(host.as_deref(), Some("foo.com"));
            assert_eq!(path, "/x");
            assert_eq!(*path_type, PathType::Prefix);
            assert_eq!(winner.source.to_string(), "team-a/old");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        d.to_string(),
        "team-a/new: spec.rules[0].http.paths[0]: host \"foo.com\" path \"/x\" pathType Prefix \
         is also defined by team-a/old spec.rules[0].http.paths[0], which takes precedence: \
         this path never matches"
    );
}

#[test]
fn equivalent_paths_that_never_match_are_reported() {
    // Prefix /foo and Prefix /foo/ match the same requests; /foo/ is longer, so /foo never wins.
    let a = with_path(
        with_path(ingress("default", "a", None), "", "Prefix", "/foo", "short"),
        "",
        "Prefix",
        "/foo/",
        "long",
    );
    // And a duplicate inside one Ingress: the later one in list order never matches.
    let a = with_path(a, "", "Exact", "/e", "first");
    let a = with_path(a, "", "Exact", "/e", "second");
    let built = RouteTable::builder().add(&a).build();
    let mut kinds: Vec<(&str, &str)> = built
        .diagnostics
        .iter()
        .map(|d| {
            let k = match d.kind {
                DiagnosticKind::UnreachablePath { .. } => "unreachable",
                DiagnosticKind::DuplicatePath { .. } => "duplicate",
                _ => "other",
            };
            (d.field.as_str(), k)
        })
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            ("spec.rules[0].http.paths[0]", "unreachable"),
            ("spec.rules[3].http.paths[0]", "duplicate")
        ]
    );
    let unreachable = built
        .diagnostics
        .iter()
        .find(|d| matches!(d.kind, DiagnosticKind::UnreachablePath { .. }))
        .unwrap();
    match &unreachable.kind {
        DiagnosticKind::UnreachablePath { winner, .. } => assert_eq!(
            *winner,
            RuleOrigin {
                source: unreachable.source.clone(),
                rule_index: 1,
                path_index: 0
            }
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn hosts_claimed_by_several_namespaces() {
    let a = with_path(
        ingress("team-a", "web", Some(1)),
        "shop.com",
        "Prefix",
        "/",
        "a",
    );
    let b = with_path(
        ingress("team-b", "api", Some(2)),
        "shop.com",
        "Prefix",
        "/api",
        "b",
    );
    let c = with_path(
        ingress("team-b", "api2", Some(3)),
        "shop.com",
        "Prefix",
        "/v2",
        "c",
    );
    let built = RouteTable::builder().add(&a).add(&b).add(&c).build();
    assert_eq!(built.diagnostics.len(), 1, "{:?}", built.diagnostics);
    let d = &built.diagnostics[0];
    assert_eq!(d.source.to_string(), "team-b/api");
    assert_eq!(d.field, "spec.rules[0].host");
    assert_eq!(
        d.to_string(),
        "team-b/api: spec.rules[0].host: host \"shop.com\" has rules in several namespaces \
         (team-a, team-b); the oldest is team-a/web"
    );
}

#[test]
fn invalid_paths_are_skipped_in_validations_words() {
    let mut a = with_path(ingress("default", "a", None), "", "Prefix", "/ok", "ok");
    let rule = &mut a.spec.rules[0];
    let paths = &mut rule.http.as_mut().unwrap().paths;
    paths.push(HttpIngressPath {
        path: Some("/no-type".into()),
        path_type: None,
        backend: backend("x"),
    });
    paths.push(HttpIngressPath {
        path: Some("/odd".into()),
        path_type: Some(PathType::from("Glob")),
        backend: backend("x"),
    });
    paths.push(HttpIngressPath {
        path: Some("relative".into()),
        path_type: Some(PathType::Prefix),
        backend: backend("x"),
    });
    let built = RouteTable::builder().add(&a).build();
    let messages: Vec<String> = built.diagnostics.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        messages,
        [
            "default/a: spec.rules[0].http.paths[1].pathType: Required value: pathType must be \
             specified (path skipped)",
            "default/a: spec.rules[0].http.paths[2].pathType: Unsupported value: \"Glob\": \
             supported values: \"Exact\", \"ImplementationSpecific\", \"Prefix\" (path skipped)",
            "default/a: spec.rules[0].http.paths[3].path: Invalid value: \"relative\": must be an \
             absolute path (path skipped)",
        ]
    );
    assert!(
        built
            .diagnostics
            .iter()
            .all(|d| d.severity() == Severity::Error)
    );
    assert!(built.table.find_parts("x", "/ok").backend().is_some());
    assert!(built.table.find_parts("x", "/no-type").is_not_found());
}

#[test]
fn other_classes_are_noted_not_served() {
    let mut a = with_default(ingress("default", "a", None), "d");
    a.spec.ingress_class_name = Some("theirs".into());
    let built = RouteTable::builder()
        .config(Config::default().classes(ClassFilter::classes(["ours"])))
        .add(&a)
        .build();
    assert_eq!(built.diagnostics.len(), 1);
    assert_eq!(built.diagnostics[0].severity(), Severity::Info);
    assert_eq!(built.diagnostics[0].skipped, Skipped::Ingress);
    assert!(built.table.find_parts("x", "/").is_not_found());
}

#[test]
fn the_same_object_twice_counts_once() {
    let v1 = with_path(ingress("default", "a", None), "", "Prefix", "/", "v1");
    let v2 = with_path(ingress("default", "a", None), "", "Prefix", "/", "v2");
    let built = RouteTable::builder().add(&v1).add(&v2).build();
    assert_eq!(built.diagnostics.len(), 1, "{:?}", built.diagnostics);
    assert_eq!(built.diagnostics[0].kind, DiagnosticKind::Replaced);
    let b = built.table.find_parts("x", "/").backend().unwrap();
    assert_eq!(b.service.as_ref().unwrap().name, "v2");
    assert_eq!(built.table.stats().paths, 1);
}

#[test]
fn regexes_that_do_not_compile_are_skipped() {
    let a = with_path(
        ingress("default", "a", None),
        "",
        "ImplementationSpecific",
        "/(unclosed",
        "x",
    );
    let built = RouteTable::builder()
        .config(
            Config::default()
                .implementation_specific(ingress_router::ImplementationSpecific::Regex),
        )
        .add(&a)
        .build();
    assert_eq!(built.diagnostics.len(), 1);
    assert_eq!(
        built.diagnostics[0].field,
        "spec.rules[0].http.paths[0].path"
    );
    assert!(matches!(
        built.diagnostics[0].kind,
        DiagnosticKind::InvalidPattern(_)
    ));
}
