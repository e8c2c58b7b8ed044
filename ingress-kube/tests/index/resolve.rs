//! Service + EndpointSlice -> endpoints (the rules of `ingress_kube::index::resolve`).

use ingress_kube::index::{ExternalNameRefusal, IndexConfig, Reason, Resolved};
use serde_json::json;

use crate::common::*;

const HOST: &str = "shop.example.com";

/// An index with an Ingress `prod/shop` routing `/` to `backend`.
fn routed_to(backend: serde_json::Value) -> ingress_kube::index::Index {
    let mut index = index();
    index.apply(ingress("prod", "shop", HOST, &[("/", backend)]));
    index
}

fn reason(index: &mut ingress_kube::index::Index) -> Reason {
    let snapshot = index.snapshot().snapshot;
    let routed = route(&snapshot, HOST, "/");
    assert_eq!(routed.error_status(), Some(503), "{routed:?}");
    routed
        .resolved
        .and_then(|r| r.reason())
        .expect("unavailable")
}

#[test]
fn a_numbered_port_resolves_to_the_slice_port_not_the_target_port() {
    let mut index = routed_to(to_number("web", 80));
    // targetPort says 8080, but the slice (the EndpointSlice controller's resolution of the
    // Pods' ports) says 9376: the slice counts.
    index.apply(service(
        "prod",
        "web",
        json!([{"name": "http", "port": 80, "targetPort": 8080}]),
    ));
    index.apply(slice(
        "prod",
        "web-1",
        "web",
        "IPv4",
        json!([{"name": "http", "port": 9376, "protocol": "TCP"}]),
        json!([ready(&["10.1.0.1"]), ready(&["10.1.0.2"])]),
    ));
    assert_eq!(
        endpoints(&mut index, HOST, "/"),
        addrs(&["10.1.0.1:9376", "10.1.0.2:9376"])
    );
}

#[test]
fn a_named_port_picks_the_service_port_of_that_name_and_the_slice_port_of_that_name() {
    let mut index = index();
    index.apply(ingress(
        "prod",
        "shop",
        HOST,
        &[
            ("/admin", to_name("web", "admin")),
            ("/", to_name("web", "http")),
        ],
    ));
    index.apply(service(
        "prod",
        "web",
        json!([
            {"name": "http", "port": 80, "targetPort": "http"},
            {"name": "admin", "port": 9000, "targetPort": "admin"}
        ]),
    ));
    index.apply(slice(
        "prod",
        "web-1",
        "web",
        "IPv4",
        json!([{"name": "admin", "port": 9901}, {"name": "http", "port": 8080}]),
        json!([ready(&["10.1.0.1"])]),
    ));
    assert_eq!(endpoints(&mut index, HOST, "/"), addrs(&["10.1.0.1:8080"]));
    assert_eq!(
        endpoints(&mut index, HOST, "/admin/x"),
        addrs(&["10.1.0.1:9901"])
    );
}

#[test]
fn the_unnamed_single_port_matches_the_unnamed_slice_port() {
    let mut index = routed_to(to_number("web", 80));
    index.apply(service(
        "prod",
        "web",
        json!([{"port": 80, "targetPort": 8080}]),
    ));
    index.apply(slice(
        "prod",
        "web-1",
        "web",
        "IPv4",
        json!([{"port": 8080}]),
        json!([ready(&["10.1.0.1"])]),
    ));
    assert_eq!(endpoints(&mut index, HOST, "/"), addrs(&["10.1.0.1:8080"]));
}

#[test]
fn a_slice_port_of_another_protocol_or_name_does_not_serve_the_port() {
    let mut index = routed_to(to_number("web", 80));
    index.apply(service(
        "prod",
        "web",
        json!([{"name": "http", "port": 80}]),
    ));
    index.apply(slice(
        "prod",
        "web-1",
        "web",
        "IPv4",
        json!([{"name": "http", "port": 8080, "protocol": "UDP"}, {"name": "other", "port": 81}]),
        json!([ready(&["10.1.0.1"])]),
    ));
    assert_eq!(reason(&mut index), Reason::NoReadyEndpoints);
}

#[test]
fn a_slice_without_ports_uses_a_numeric_target_port() {
    let mut index = routed_to(to_number("web", 80));
    index.apply(service(
        "prod",
        "web",
        json!([{"port": 80, "targetPort": 8080}]),
    ));
    index.apply(slice(
        "prod",
        "web-1",
        "web",
        "IPv4",
        json!([]),
        json!([ready(&["10.1.0.1"])]),
    ));
    assert_eq!(endpoints(&mut index, HOST, "/"), addrs(&["10.1.0.1:8080"]));
}

#[test]
fn no_slices_means_no_ready_endpoints_and_a_slice_brings_them() {
    let mut index = routed_to(to_number("web", 80));
    index.apply(service("prod", "web", json!([{"port": 80}])));
    assert_eq!(reason(&mut index), Reason::NoReadyEndpoints);
    index.apply(slice(
        "prod",
        "web-1",
        "web",
        "IPv4",
        json!([{"port": 80}]),
        json!([ready(&["10.1.0.1"])]),
    ));
    assert_eq!(endpoints(&mut index, HOST, "/"), addrs(&["10.1.0.1:80"]));
    index.delete_named::<k8s_openapi::api::discovery::v1::EndpointSlice>("prod", "web-1");
    assert_eq!(reason(&mut index), Reason::NoReadyEndpoints);
}

#[test]
fn not_ready_endpoints_are_dropped_and_missing_conditions_count_as_ready() {
    let mut index = routed_to(to_number("web", 80));
    index.apply(service("prod", "web", json!([{"port": 80}])));
    index.apply(slice(
        "prod",
        "web-1",
        "web",
        "IPv4",
        json!([{"port": 80}]),
        json!([
            {"addresses": ["10.1.0.1"], "conditions": {"ready": false, "serving": false}},
            {"addresses": ["10.1.0.2"]},
            {"addresses": ["10.1.0.3"], "conditions": {}},
            {"addresses": ["10.1.0.4"], "conditions": {"ready": true}},
            // Terminating but serving: only used when nothing is ready.
            {"addresses": ["10.1.0.5"], "conditions": {"ready": false, "serving": true, "terminating": true}}
        ]),
    ));
    assert_eq!(
        endpoints(&mut index, HOST, "/"),
        addrs(&["10.1.0.2:80", "10.1.0.3:80", "10.1.0.4:80"])
    );
}

#[test]
fn terminating_serving_endpoints_are_used_when_none_is_ready() {
    let mut index = routed_to(to_number("web", 80));
    index.apply(service("prod", "web", json!([{"port": 80}])));
    let endpoints_json = json!([
        {"addresses": ["10.1.0.1"], "conditions": {"ready": false, "serving": true, "terminating": true}},
        // Terminating and no longer serving: never.
        {"addresses": ["10.1.0.2"], "conditions": {"ready": false, "serving": false, "terminating": true}},
        // Not ready and not terminating (starting up): never.
        {"addresses": ["10.1.0.3"], "conditions": {"ready": false, "serving": false, "terminating": false}}
    ]);
    index.apply(slice(
        "prod",
        "web-1",
        "web",
        "IPv4",
        json!([{"port": 80}]),
        endpoints_json,
    ));
    assert_eq!(endpoints(&mut index, HOST, "/"), addrs(&["10.1.0.1:80"]));

    // Only the dead ones left: nothing.
    index.apply(slice(
        "prod",
        "web-1",
        "web",
        "IPv4",
        json!([{"port": 80}]),
        json!([{"addresses": ["10.1.0.2"], "conditions": {"ready": false, "serving": false, "terminating": true}}]),
    ));
    assert_eq!(reason(&mut index), Reason::NoReadyEndpoints);
}

#[test]
fn ipv6_and_dual_stack_slices_resolve_and_fqdn_slices_are_ignored() {
    let mut index = routed_to(to_number("web", 80));
    index.apply(service(
        "prod",
        "web",
        json!([{"name": "http", "port": 80}]),
    ));
    let ports = json!([{"name": "http", "port": 8080}]);
    index.apply(slice(
        "prod",
        "web-v6",
        "web",
        "IPv6",
        ports.clone(),
        json!([ready(&["fd00::1", "fd00::2"])]),
    ));
    index.apply(slice(
        "prod",
        "web-v4",
        "web",
        "IPv4",
        ports.clone(),
        json!([ready(&["10.1.0.1"])]),
    ));
    index.apply(slice(
        "prod",
        "web-dns",
        "web",
        "FQDN",
        ports,
        json!([ready(&["web.example.com"])]),
    ));
    assert_eq!(
        endpoints(&mut index, HOST, "/"),
        addrs(&["10.1.0.1:8080", "[fd00::1]:8080", "[fd00::2]:8080"])
    );
    assert_eq!(index.errors().count(), 0, "an FQDN slice is not an error");
}

#[test]
fn duplicates_across_slices_count_once() {
    let mut index = routed_to(to_number("web", 80));
    index.apply(service("prod", "web", json!([{"port": 80}])));
    for name in ["web-1", "web-2"] {
        index.apply(slice(
            "prod",
            name,
            "web",
            "IPv4",
            json!([{"port": 8080}]),
            json!([ready(&["10.1.0.1", "10.1.0.1"]), ready(&["10.1.0.2"])]),
        ));
    }
    assert_eq!(
        endpoints(&mut index, HOST, "/"),
        addrs(&["10.1.0.1:8080", "10.1.0.2:8080"])
    );
}

#[test]
fn a_headless_service_routes_to_its_endpoints() {
    let mut index = routed_to(to_number("db", 5432));
    index.apply(object::<k8s_openapi::api::core::v1::Service>(json!({
        "metadata": {"name": "db", "namespace": "prod"},
        "spec": {"clusterIP": "None", "selector": {"app": "db"}, "ports": [{"port": 5432}]}
    })));
    index.apply(slice(
        "prod",
        "db-1",
        "db",
        "IPv4",
        json!([{"port": 5432}]),
        json!([ready(&["10.1.0.9"])]),
    ));
    assert_eq!(endpoints(&mut index, HOST, "/"), addrs(&["10.1.0.9:5432"]));
}

#[test]
fn a_selectorless_service_uses_hand_made_slices_and_has_nothing_without() {
    let mut index = routed_to(to_number("legacy", 80));
    index.apply(object::<k8s_openapi::api::core::v1::Service>(json!({
        "metadata": {"name": "legacy", "namespace": "prod"},
        "spec": {"ports": [{"port": 80}]}
    })));
    assert_eq!(reason(&mut index), Reason::NoReadyEndpoints);
    index.apply(slice(
        "prod",
        "legacy-manual",
        "legacy",
        "IPv4",
        json!([{"port": 80}]),
        json!([{"addresses": ["192.0.2.10"]}]),
    ));
    assert_eq!(endpoints(&mut index, HOST, "/"), addrs(&["192.0.2.10:80"]));
}

#[test]
fn a_slice_moved_to_another_service_moves_its_endpoints() {
    let mut index = index();
    index.apply(ingress(
        "prod",
        "shop",
        HOST,
        &[("/a", to_number("a", 80)), ("/b", to_number("b", 80))],
    ));
    index.apply(service("prod", "a", json!([{"port": 80}])));
    index.apply(service("prod", "b", json!([{"port": 80}])));
    let s = |owner: &str| {
        slice(
            "prod",
            "shared",
            owner,
            "IPv4",
            json!([{"port": 80}]),
            json!([ready(&["10.1.0.1"])]),
        )
    };
    index.apply(s("a"));
    assert_eq!(endpoints(&mut index, HOST, "/a"), addrs(&["10.1.0.1:80"]));
    index.apply(s("b"));
    assert_eq!(endpoints(&mut index, HOST, "/b"), addrs(&["10.1.0.1:80"]));
    let snapshot = index.snapshot().snapshot;
    assert_eq!(
        route(&snapshot, HOST, "/a")
            .resolved
            .and_then(|r| r.reason()),
        Some(Reason::NoReadyEndpoints)
    );
}

fn external(name: &str, ports: serde_json::Value) -> k8s_openapi::api::core::v1::Service {
    object(json!({
        "metadata": {"name": "ext", "namespace": "prod"},
        "spec": {"type": "ExternalName", "externalName": name, "ports": ports}
    }))
}

#[test]
fn an_external_name_service_resolves_to_its_name_and_port() {
    let mut index = index();
    index.apply(ingress(
        "prod",
        "shop",
        HOST,
        &[
            ("/n", to_number("ext", 443)),
            ("/named", to_name("ext", "https")),
            ("/x", to_number("ext", 8443)),
        ],
    ));
    index.apply(external(
        "api.example.net",
        json!([{"name": "https", "port": 443, "targetPort": 8443}]),
    ));
    let snapshot = index.snapshot().snapshot;
    let at = |path: &str| route(&snapshot, HOST, path).resolved;
    let api = Resolved::ExternalName {
        host: "api.example.net",
        port: 443,
    };
    assert_eq!(at("/n"), Some(api));
    assert_eq!(at("/named"), Some(api));
    assert_eq!(at("/x"), Some(Resolved::Unavailable(Reason::PortMissing)));

    // Without ports, the backend's port number is the port.
    index.apply(external("api.example.net", json!([])));
    let snapshot = index.snapshot().snapshot;
    let at = |path: &str| route(&snapshot, HOST, path).resolved;
    assert_eq!(
        at("/x"),
        Some(Resolved::ExternalName {
            host: "api.example.net",
            port: 8443
        })
    );
    assert_eq!(
        at("/named"),
        Some(Resolved::Unavailable(Reason::PortMissing))
    );
}

#[test]
fn external_names_can_be_refused_and_localhost_and_ips_always_are() {
    let refused = |config: IndexConfig, name: &str| {
        let mut index = index_with(config);
        index.apply(ingress(
            "prod",
            "shop",
            HOST,
            &[("/", to_number("ext", 80))],
        ));
        index.apply(external(name, json!([{"port": 80}])));
        reason(&mut index)
    };
    let on = || IndexConfig::new(CONTROLLER);
    let why = |r: ExternalNameRefusal| Reason::ExternalNameRefused(r);
    assert_eq!(
        refused(on().external_names(false), "api.example.net"),
        why(ExternalNameRefusal::Disabled)
    );
    assert_eq!(
        refused(on(), "localhost"),
        why(ExternalNameRefusal::Localhost)
    );
    assert_eq!(
        refused(on(), "LOCALHOST."),
        why(ExternalNameRefusal::Localhost)
    );
    assert_eq!(
        refused(on(), "admin.localhost"),
        why(ExternalNameRefusal::Localhost)
    );
    assert_eq!(
        refused(on(), "127.0.0.1"),
        why(ExternalNameRefusal::IpLiteral)
    );
    assert_eq!(
        refused(on(), "169.254.169.254"),
        why(ExternalNameRefusal::IpLiteral)
    );
    assert_eq!(refused(on(), "::1"), why(ExternalNameRefusal::IpLiteral));
    assert_eq!(
        refused(on(), "not_a_name"),
        why(ExternalNameRefusal::InvalidName)
    );
    assert_eq!(refused(on(), ""), why(ExternalNameRefusal::InvalidName));
}

#[test]
fn a_missing_service_a_missing_port_and_a_resource_backend_are_unavailable() {
    let mut index = routed_to(to_number("web", 80));
    assert_eq!(reason(&mut index), Reason::ServiceMissing);

    index.apply(service(
        "prod",
        "web",
        json!([{"name": "http", "port": 8080}]),
    ));
    assert_eq!(reason(&mut index), Reason::PortMissing);

    let mut index = routed_to(to_name("web", "grpc"));
    index.apply(service(
        "prod",
        "web",
        json!([{"name": "http", "port": 8080}]),
    ));
    assert_eq!(reason(&mut index), Reason::PortMissing);

    let mut index = routed_to(
        json!({"resource": {"apiGroup": "k8s.example.com", "kind": "StorageBucket", "name": "assets"}}),
    );
    assert_eq!(reason(&mut index), Reason::UnsupportedBackend);
}

#[test]
fn a_deleted_service_is_missing_again_and_a_service_in_another_namespace_does_not_count() {
    let mut index = routed_to(to_number("web", 80));
    index.apply(service("other", "web", json!([{"port": 80}])));
    index.apply(slice(
        "other",
        "web-1",
        "web",
        "IPv4",
        json!([{"port": 80}]),
        json!([ready(&["10.9.0.1"])]),
    ));
    assert_eq!(reason(&mut index), Reason::ServiceMissing);

    index.apply(service("prod", "web", json!([{"port": 80}])));
    index.apply(slice(
        "prod",
        "web-1",
        "web",
        "IPv4",
        json!([{"port": 80}]),
        json!([ready(&["10.1.0.1"])]),
    ));
    assert_eq!(endpoints(&mut index, HOST, "/"), addrs(&["10.1.0.1:80"]));
    index.delete(&service("prod", "web", json!([])));
    assert_eq!(reason(&mut index), Reason::ServiceMissing);
}
