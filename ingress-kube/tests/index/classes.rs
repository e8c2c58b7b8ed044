//! Class ownership: which Ingresses the index serves.

use ingress_kube::index::{Index, IndexConfig};
use ingress_router::{DiagnosticKind, IngressKey, Severity};
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use serde_json::json;

use crate::common::*;

const OTHER: &str = "example.org/someone-else";

/// An Ingress `prod/<name>` for host `<name>.example.com`, with `class` as the field and
/// `annotation` as the deprecated annotation.
fn classed(name: &str, class: Option<&str>, annotation: Option<&str>) -> Ingress {
    let mut ing = ingress(
        "prod",
        name,
        &format!("{name}.example.com"),
        &[("/", to_number("web", 80))],
    );
    ing.spec.as_mut().unwrap().ingress_class_name = class.map(str::to_owned);
    if let Some(a) = annotation {
        ing.metadata.annotations =
            Some([("kubernetes.io/ingress.class".to_owned(), a.to_owned())].into());
    }
    ing
}

fn served(index: &mut Index, name: &str) -> bool {
    let by_route = outcome(index, &format!("{name}.example.com"), "/").is_ok();
    assert_eq!(
        by_route,
        index.serves(&IngressKey::new("prod", name)),
        "{name}: routing and serves() disagree"
    );
    // What a status writer asks, with the object it watched (only its key is read).
    let watched = Ingress {
        metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
            namespace: Some("prod".to_owned()),
            name: Some(name.to_owned()),
            ..Default::default()
        },
        ..Default::default()
    };
    assert_eq!(
        by_route,
        index.snapshot().snapshot.serves(&watched),
        "{name}: routing and Snapshot::serves disagree"
    );
    by_route
}

#[test]
fn ingresses_of_our_classes_are_served_and_others_are_not() {
    let mut index = index();
    index.apply(class("theirs", OTHER, false));
    index.apply(classed("ours", Some("gateway"), None));
    index.apply(classed("theirs", Some("theirs"), None));
    index.apply(classed("unknown", Some("no-such-class"), None));
    assert!(served(&mut index, "ours"));
    assert!(!served(&mut index, "theirs"));
    assert!(!served(&mut index, "unknown"));
    assert_eq!(index.our_classes().collect::<Vec<_>>(), ["gateway"]);

    // Left out, and said so at Info level.
    let d = index.diagnostics_for(&IngressKey::new("prod", "theirs"));
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].severity(), Severity::Info);
    assert!(matches!(d[0].kind, DiagnosticKind::NotServed(_)), "{d:?}");
}

#[test]
fn the_deprecated_annotation_counts_when_the_field_is_unset() {
    let mut index = index();
    index.apply(class("theirs", OTHER, false));
    index.apply(classed("annotated", None, Some("gateway")));
    index.apply(classed("annotated-theirs", None, Some("theirs")));
    // The field wins over the annotation.
    index.apply(classed("both", Some("theirs"), Some("gateway")));
    assert!(served(&mut index, "annotated"));
    assert!(!served(&mut index, "annotated-theirs"));
    assert!(!served(&mut index, "both"));
}

#[test]
fn classless_ingresses_are_served_when_our_class_is_the_default_or_when_configured() {
    let mut index = index();
    index.apply(classed("classless", None, None));
    assert!(!served(&mut index, "classless"));

    // Our class becomes the cluster default.
    index.apply(class("gateway", CONTROLLER, true));
    assert!(served(&mut index, "classless"));

    // A newer default of another controller takes over the class-less ones.
    let mut newer = class("theirs", OTHER, true);
    newer.metadata.creation_timestamp = Some(object(json!("2025-01-01T00:00:00Z")));
    index.apply(newer);
    assert!(!served(&mut index, "classless"));

    // The option serves them whatever the default.
    let mut index = index_with(IndexConfig::new(CONTROLLER).accept_classless(true));
    index.apply(class("theirs", OTHER, true));
    index.apply(classed("classless", None, None));
    assert!(served(&mut index, "classless"));
}

#[test]
fn an_ingress_that_moves_to_another_class_is_dropped() {
    let mut index = index();
    index.apply(class("theirs", OTHER, false));
    index.apply(classed("web", Some("gateway"), None));
    assert!(served(&mut index, "web"));
    let change = index.apply(classed("web", Some("theirs"), None));
    assert!(change.routing);
    assert!(change.diagnostics.contains(&IngressKey::new("prod", "web")));
    assert!(!served(&mut index, "web"));
}

#[test]
fn deleting_our_class_drops_its_ingresses_and_recreating_it_brings_them_back() {
    let mut index = index();
    index.apply(classed("web", Some("gateway"), None));
    index.apply(classed("blog", Some("gateway"), None));
    assert!(served(&mut index, "web") && served(&mut index, "blog"));

    let change = index.delete_named::<IngressClass>("", "gateway");
    assert!(change.routing);
    assert!(!served(&mut index, "web") && !served(&mut index, "blog"));
    assert_eq!(index.our_classes().count(), 0);
    // Both now carry a "not served" diagnostic, and the change says so.
    assert_eq!(
        change
            .diagnostics
            .iter()
            .map(IngressKey::as_str)
            .collect::<Vec<_>>(),
        ["prod/blog", "prod/web"]
    );

    index.apply(class("gateway", CONTROLLER, false));
    assert!(served(&mut index, "web") && served(&mut index, "blog"));
}

#[test]
fn a_class_handed_to_another_controller_is_no_longer_ours() {
    let mut index = index();
    index.apply(classed("web", Some("gateway"), None));
    assert!(served(&mut index, "web"));
    index.apply(class("gateway", OTHER, false));
    assert!(!served(&mut index, "web"));
}

#[test]
fn an_ingress_applied_before_its_class_is_served_once_the_class_arrives() {
    let mut index = Index::new(IndexConfig::new(CONTROLLER));
    index.apply(classed("web", Some("late"), None));
    assert!(!served(&mut index, "web"));
    index.apply(class("late", CONTROLLER, false));
    assert!(served(&mut index, "web"));
}

#[test]
fn a_class_change_that_changes_nothing_of_ours_does_not_rebuild() {
    let mut index = index();
    index.apply(classed("web", Some("gateway"), None));
    let before = index.snapshot().snapshot;
    let change = index.apply(class("theirs", OTHER, false));
    assert!(!change.routing);
    let after = index.snapshot();
    assert!(!after.changed);
    assert!(after.snapshot.table_ptr_eq(&before));
}
