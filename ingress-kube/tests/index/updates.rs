//! What each change costs (which snapshots share the route table), diagnostics per Ingress,
//! bad objects, and relists.

use std::collections::BTreeSet;
use std::sync::Arc;

use ingress_kube::index::{Index, ObjectKind, Reason};
use ingress_router::{DiagnosticKind, IngressKey};
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::Ingress;
use serde_json::json;

use crate::common::*;

const HOST: &str = "shop.example.com";

/// An index routing `/` to `web:80`, whose one slice has `ips` ready.
fn serving(ips: &[&str]) -> Index {
    let mut index = index();
    index.apply(ingress(
        "prod",
        "shop",
        HOST,
        &[("/", to_number("web", 80))],
    ));
    index.apply(service(
        "prod",
        "web",
        json!([{"name": "http", "port": 80}]),
    ));
    index.apply(web_slice(ips));
    index
}

fn web_slice(ips: &[&str]) -> EndpointSlice {
    slice(
        "prod",
        "web-1",
        "web",
        "IPv4",
        json!([{"name": "http", "port": 8080}]),
        json!([ready(ips)]),
    )
}

#[test]
fn an_endpoint_slice_change_re_resolves_without_touching_the_table() {
    let mut index = serving(&["10.1.0.1"]);
    let before = index.snapshot().snapshot;
    let change = index.apply(web_slice(&["10.1.0.1", "10.1.0.2"]));
    assert!(change.routing);
    assert!(change.diagnostics.is_empty());
    let after = index.snapshot();
    assert!(after.changed);
    assert!(after.snapshot.table_ptr_eq(&before));
    assert_eq!(
        after.snapshot.routes_generation(),
        before.routes_generation()
    );
    assert_eq!(after.snapshot.generation(), before.generation() + 1);
    // The old snapshot still answers as it did: requests in flight are not disturbed.
    assert_eq!(
        route(&before, HOST, "/")
            .resolved
            .unwrap()
            .endpoints()
            .unwrap(),
        addrs(&["10.1.0.1:8080"])
    );
    assert_eq!(
        route(&after.snapshot, HOST, "/")
            .resolved
            .unwrap()
            .endpoints()
            .unwrap(),
        addrs(&["10.1.0.1:8080", "10.1.0.2:8080"])
    );
}

#[test]
fn a_service_change_re_resolves_without_touching_the_table() {
    let mut index = serving(&["10.1.0.1"]);
    let before = index.snapshot().snapshot;
    // The port is renamed: the slice's `http` port no longer serves it.
    index.apply(service("prod", "web", json!([{"name": "web", "port": 80}])));
    let after = index.snapshot().snapshot;
    assert!(after.table_ptr_eq(&before));
    assert_eq!(
        route(&after, HOST, "/").resolved.and_then(|r| r.reason()),
        Some(Reason::NoReadyEndpoints)
    );
}

#[test]
fn a_secret_change_does_not_touch_the_table() {
    let mut index = serving(&["10.1.0.1"]);
    let before = index.snapshot().snapshot;
    assert!(index.apply(tls_secret("prod", "cert", "c", "k")).routing);
    let after = index.snapshot().snapshot;
    assert!(after.table_ptr_eq(&before));
}

#[test]
fn an_ingress_change_makes_a_new_table() {
    let mut index = serving(&["10.1.0.1"]);
    let before = index.snapshot().snapshot;
    let change = index.apply(ingress(
        "prod",
        "shop",
        HOST,
        &[("/v2", to_number("web", 80))],
    ));
    assert!(change.routing);
    let after = index.snapshot().snapshot;
    assert!(!after.table_ptr_eq(&before));
    assert_eq!(after.routes_generation(), before.routes_generation() + 1);
    assert_eq!(route(&after, HOST, "/").error_status(), Some(404));
    assert_eq!(route(&after, HOST, "/v2").error_status(), None);

    index.delete_named::<Ingress>("prod", "shop");
    let gone = index.snapshot().snapshot;
    assert_eq!(gone.routes_generation(), after.routes_generation() + 1);
    assert_eq!(route(&gone, HOST, "/v2").error_status(), Some(404));
}

#[test]
fn an_unchanged_object_changes_nothing_and_the_snapshot_is_the_same_arc() {
    let mut index = serving(&["10.1.0.1"]);
    let first = index.snapshot();
    assert!(first.changed);
    let again = index.snapshot();
    assert!(!again.changed);
    assert!(Arc::ptr_eq(&first.snapshot, &again.snapshot));

    // The same Ingress with a new resourceVersion and a status (our own status write coming
    // back through the watch), the same Service and slice: nothing to publish.
    let mut ing = ingress("prod", "shop", HOST, &[("/", to_number("web", 80))]);
    ing.metadata.resource_version = Some("42".into());
    ing.status = Some(object(
        json!({"loadBalancer": {"ingress": [{"ip": "203.0.113.1"}]}}),
    ));
    assert!(!index.apply(ing).routing);
    let mut svc = service("prod", "web", json!([{"name": "http", "port": 80}]));
    svc.metadata.resource_version = Some("43".into());
    assert!(!index.apply(svc).routing);
    assert!(!index.apply(web_slice(&["10.1.0.1"])).routing);
    // Deleting what is not there is no change either.
    assert!(!index.delete_named::<Service>("prod", "nothing").routing);
    let last = index.snapshot();
    assert!(!last.changed);
    assert!(Arc::ptr_eq(&first.snapshot, &last.snapshot));
}

#[test]
fn diagnostics_follow_each_ingress_and_changes_name_the_ingresses_concerned() {
    let mut index = serving(&["10.1.0.1"]);
    let old = IngressKey::new("prod", "shop");
    let new = IngressKey::new("prod", "shop-copy");
    assert!(index.diagnostics_for(&old).is_empty());

    // A newer Ingress with the same host and path: its path never wins.
    let mut copy = ingress("prod", "shop-copy", HOST, &[("/", to_number("other", 80))]);
    copy.metadata.creation_timestamp = Some(object(json!("2025-01-01T00:00:00Z")));
    let change = index.apply(copy);
    assert_eq!(change.diagnostics.iter().collect::<Vec<_>>(), [&new]);
    let d = index.diagnostics_for(&new);
    assert!(
        matches!(d[..], [ref d] if matches!(d.kind, DiagnosticKind::DuplicatePath { .. })),
        "{d:?}"
    );
    assert!(index.diagnostics_for(&old).is_empty());

    // The older one goes: the copy's path wins now, and its diagnostics clear.
    let change = index.delete_named::<Ingress>("prod", "shop");
    assert_eq!(change.diagnostics.iter().collect::<Vec<_>>(), [&new]);
    assert!(index.diagnostics_for(&new).is_empty());
}

#[test]
fn a_bad_object_is_reported_with_its_field_and_the_rest_serves() {
    let mut index = serving(&["10.1.0.1"]);
    // One address of the slice is not an IP, one port is out of range: those are skipped.
    let change = index.apply(slice(
        "prod",
        "web-1",
        "web",
        "IPv4",
        json!([{"name": "http", "port": 8080}, {"name": "admin", "port": 70000}]),
        json!([
            ready(&["10.1.0.1", "10.1.0.300"]),
            ready(&["fd00::1"]),
            ready(&["10.1.0.2"])
        ]),
    ));
    let fields: Vec<&str> = change.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "ports[1].port",
            "endpoints[0].addresses[1]",
            "endpoints[1].addresses[0]"
        ]
    );
    assert!(
        change
            .errors
            .iter()
            .all(|e| e.kind == ObjectKind::EndpointSlice)
    );
    assert_eq!(
        change.errors[1].to_string(),
        "EndpointSlice prod/web-1: endpoints[0].addresses[1]: Invalid value: \"10.1.0.300\": \
         must be an IPv4 address (address skipped)"
    );
    assert_eq!(
        endpoints(&mut index, HOST, "/"),
        addrs(&["10.1.0.1:8080", "10.1.0.2:8080"])
    );

    // An Ingress without a namespace cannot be placed: skipped and reported, nothing else moves.
    let mut nameless: Ingress = ingress(
        "prod",
        "blog",
        "blog.example.com",
        &[("/", to_number("web", 80))],
    );
    nameless.metadata.namespace = None;
    let change = index.apply(nameless);
    assert!(!change.routing);
    assert_eq!(change.errors[0].field, "metadata.namespace");
    assert_eq!(change.errors[0].kind, ObjectKind::Ingress);
    assert_eq!(
        endpoints(&mut index, HOST, "/"),
        addrs(&["10.1.0.1:8080", "10.1.0.2:8080"])
    );
    // The slice's problems stand until it is fixed; an object without a name is reported only
    // once, by its change (a fixed version would have another key).
    assert_eq!(
        index.errors().count(),
        3,
        "{:?}",
        index.errors().collect::<Vec<_>>()
    );
    index.apply(web_slice(&["10.1.0.1"]));
    assert_eq!(index.errors().count(), 0);
}

#[test]
fn reset_replaces_every_object_of_a_kind() {
    let mut index = serving(&["10.1.0.1"]);
    index.apply(ingress(
        "prod",
        "blog",
        "blog.example.com",
        &[("/", to_number("web", 80))],
    ));
    let before = index.snapshot().snapshot;

    // A relist of Ingresses without `shop`: it is deleted, `blog` kept.
    let change = index.reset(vec![ingress(
        "prod",
        "blog",
        "blog.example.com",
        &[("/", to_number("web", 80))],
    )]);
    assert!(change.routing);
    assert_eq!(outcome(&mut index, HOST, "/"), Err(404));
    assert!(outcome(&mut index, "blog.example.com", "/").is_ok());

    // The same relist again: nothing changes.
    let same = index.snapshot().snapshot;
    let change = index.reset(vec![ingress(
        "prod",
        "blog",
        "blog.example.com",
        &[("/", to_number("web", 80))],
    )]);
    assert!(!change.routing);
    assert!(Arc::ptr_eq(&same, &index.snapshot().snapshot));

    // A relist of slices that no longer has web-1: no endpoints, same table.
    let change = index.reset::<EndpointSlice>(vec![]);
    assert!(change.routing);
    let after = index.snapshot().snapshot;
    assert!(after.table_ptr_eq(&same));
    assert!(!after.table_ptr_eq(&before));
    assert_eq!(
        route(&after, "blog.example.com", "/")
            .resolved
            .and_then(|r| r.reason()),
        Some(Reason::NoReadyEndpoints)
    );

    // A relist of Services without web: missing.
    index.reset::<Service>(vec![]);
    assert_eq!(
        outcome(&mut index, "blog.example.com", "/"),
        Ok("Unavailable(ServiceMissing)".to_owned())
    );
}

/// A small deterministic generator (xorshift64*), so the sequence below is the same every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    }
}

/// A random Ingress over a few hosts, paths, classes and ages, so that updates keep making and
/// clearing duplicate paths, shared hosts and other classes' Ingresses.
fn random_ingress(rng: &mut Rng, namespace: &str, name: &str) -> Ingress {
    const HOSTS: [&str; 4] = ["", "x.example.com", "*.example.com", "y.example.com"];
    const PATHS: [&str; 3] = ["/", "/p", "/p/"];
    const TYPES: [&str; 2] = ["Prefix", "Exact"];
    const CLASSES: [&str; 3] = ["gateway", "gateway", "theirs"];
    let rules: Vec<serde_json::Value> = (0..1 + rng.below(3))
        .map(|_| {
            json!({"host": HOSTS[rng.below(4)], "http": {"paths": [{
                "path": PATHS[rng.below(3)], "pathType": TYPES[rng.below(2)],
                "backend": {"service": {"name": "web", "port": {"number": 80}}}
            }]}})
        })
        .collect();
    object(json!({
        "metadata": {"name": name, "namespace": namespace,
                     "creationTimestamp": format!("2024-01-0{}T00:00:00Z", 1 + rng.below(2))},
        "spec": {"ingressClassName": CLASSES[rng.below(3)], "rules": rules}
    }))
}

#[test]
fn diagnostics_per_ingress_and_the_changed_sets_agree_with_the_whole_table_after_every_update() {
    let keys: Vec<IngressKey> = ["a", "b"]
        .iter()
        .flat_map(|ns| (0..4).map(move |i| IngressKey::new(ns, &format!("i{i}"))))
        .collect();
    let listed = |index: &Index| -> Vec<Vec<String>> {
        keys.iter()
            .map(|k| {
                let mut d: Vec<String> = index
                    .diagnostics_for(k)
                    .iter()
                    .map(|d| d.to_string())
                    .collect();
                d.sort();
                d
            })
            .collect()
    };
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut index = index();
    let mut seen_changes = 0;
    for step in 0..400 {
        let before = listed(&index);
        let key = &keys[rng.below(keys.len())];
        let change = if rng.below(5) == 0 {
            index.delete_named::<Ingress>(key.namespace(), key.name())
        } else {
            index.apply(random_ingress(&mut rng, key.namespace(), key.name()))
        };
        let after = listed(&index);

        // Per Ingress, the index's view is the table's.
        let table = index.snapshot().snapshot;
        for (k, listed) in keys.iter().zip(&after) {
            let mut want: Vec<String> = table
                .table()
                .diagnostics()
                .iter()
                .filter(|d| d.source == *k)
                .map(|d| d.to_string())
                .collect();
            want.sort();
            assert_eq!(*listed, want, "step {step}: {k}");
        }
        // The change names exactly the Ingresses whose diagnostics moved.
        let moved: BTreeSet<&IngressKey> = keys
            .iter()
            .zip(before.iter().zip(&after))
            .filter(|(_, (b, a))| b != a)
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            change.diagnostics.iter().collect::<BTreeSet<_>>(),
            moved,
            "step {step}"
        );
        seen_changes += moved.len();
    }
    // The sequence does exercise the bookkeeping.
    assert!(seen_changes > 100, "{seen_changes}");
}
