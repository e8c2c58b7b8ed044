//! The RBAC rules of `examples/deploy/rbac.yaml` are exactly what a running controller uses:
//! every request it makes is granted, and every verb granted is one it makes.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::support::{CONTROLLER, client};
use ingress_apiserver::{ApiServer, Verb};
use ingress_kube::controller::{Controller, ControllerConfig};
use ingress_kube::driver::DriverConfig;
use ingress_kube::index::IndexConfig;
use ingress_kube::lease::LeaseConfig;
use ingress_kube::status::Publish;
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::Api;
use serde_json::{Value, json};
use tokio::time::{Instant, sleep, timeout};

const WAIT: Duration = Duration::from_secs(20);
const RBAC: &str = include_str!("../../../examples/deploy/rbac.yaml");

/// `(apiGroup, resource[/subresource], verb)`.
type Grant = (String, String, String);

fn granted() -> BTreeSet<Grant> {
    let mut out = BTreeSet::new();
    for doc in ingress_apiserver::parse_documents(RBAC).expect("rbac.yaml parses") {
        if !matches!(doc["kind"].as_str(), Some("ClusterRole" | "Role")) {
            continue;
        }
        for rule in doc["rules"].as_array().expect("rules") {
            let list = |key: &str| -> Vec<String> {
                rule[key]
                    .as_array()
                    .unwrap_or_else(|| panic!("{key} in {rule}"))
                    .iter()
                    .map(|v| v.as_str().unwrap().to_owned())
                    .collect()
            };
            for group in list("apiGroups") {
                for resource in list("resources") {
                    for verb in list("verbs") {
                        out.insert((group.clone(), resource.clone(), verb));
                    }
                }
            }
        }
    }
    out
}

fn rbac_verb(verb: Verb) -> Option<&'static str> {
    Some(match verb {
        Verb::Get => "get",
        Verb::List => "list",
        Verb::Watch => "watch",
        Verb::Create => "create",
        Verb::Update => "update",
        Verb::Patch => "patch",
        Verb::Delete => "delete",
        Verb::DeleteCollection => "deletecollection",
        _ => return None,
    })
}

fn objects() -> Vec<Value> {
    let ingress = |name: &str, class: &str, shown: &[&str], port: Value| {
        let shown: Vec<Value> = shown.iter().map(|a| json!({"ip": a})).collect();
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": name, "namespace": "shop"},
            "spec": {"ingressClassName": class,
                "tls": [{"hosts": [format!("{name}.example.com")], "secretName": "shop-tls"}],
                "rules": [{"host": format!("{name}.example.com"), "http": {"paths": [
                {"path": "/", "pathType": "Prefix",
                 "backend": {"service": {"name": "web", "port": {"number": port}}}}]}}]},
            "status": {"loadBalancer": {"ingress": shown}}})
    };
    vec![
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
            "metadata": {"name": "gateway"}, "spec": {"controller": CONTROLLER}}),
        ingress("web", "gateway", &[], json!(80)),
        ingress("moved", "nginx", &["192.0.2.10"], json!(80)),
        ingress("broken", "gateway", &[], json!("http")),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"ports": [{"port": 80, "targetPort": 8080}]}}),
        json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": "web-1", "namespace": "shop",
                         "labels": {"kubernetes.io/service-name": "web"}},
            "addressType": "IPv4", "ports": [{"port": 8080}],
            "endpoints": [{"addresses": ["10.0.0.7"]}]}),
        json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
            "metadata": {"name": "shop-tls", "namespace": "shop"},
            "data": {"tls.crt": "", "tls.key": ""}}),
        json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "ingress-gateway", "namespace": "ingress-system"},
            "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]},
            "status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.10"}]}}}),
    ]
}

async fn shown(server: &ApiServer, name: &str) -> Vec<String> {
    let api: Api<Ingress> = Api::namespaced(client(server), "shop");
    let ingress = api.get(name).await.unwrap();
    ingress
        .status
        .and_then(|s| s.load_balancer)
        .and_then(|lb| lb.ingress)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|i| i.ip)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_controller_uses_exactly_the_verbs_rbac_yaml_grants() {
    let server = ApiServer::start().await.unwrap();
    server.store().load_values(objects()).unwrap();
    let driver =
        DriverConfig::new(IndexConfig::new(CONTROLLER)).quiet_delay(Duration::from_millis(20));
    let lease = LeaseConfig::new("ingress-system", "ingress-gateway", "replica-a").periods(
        Duration::from_secs(3),
        Duration::from_secs(2),
        Duration::from_millis(100),
    );
    let config = ControllerConfig::new(driver)
        .lease(lease)
        .publish(Publish::Service {
            namespace: "ingress-system".to_owned(),
            name: "ingress-gateway".to_owned(),
        })
        .resync(Duration::from_millis(200));
    let controller = Controller::start(client(&server), config);
    timeout(WAIT, controller.driver().ready())
        .await
        .expect("first snapshot")
        .unwrap();
    // Everything a leader does: status set and cleared, an Event, renewals.
    let start = Instant::now();
    loop {
        let events = server
            .requests()
            .count(Verb::Create, "events.events.k8s.io");
        let (web, moved) = (shown(&server, "web").await, shown(&server, "moved").await);
        let renewals = server.requests().count(Verb::Update, "leases");
        if web == ["192.0.2.10"] && moved.is_empty() && events > 0 && renewals > 0 {
            break;
        }
        assert!(
            start.elapsed() < WAIT,
            "the controller did not do its work: web shows {web:?}, moved shows {moved:?}, \
             {events} Events created, {renewals} Lease updates"
        );
        sleep(Duration::from_millis(50)).await;
    }
    // Shutting down releases the Lease: part of what it needs.
    timeout(WAIT, controller.shutdown())
        .await
        .expect("shutdown");
    let records = server.requests().records();

    let used: BTreeSet<Grant> = records
        .iter()
        .filter(|r| {
            // The test's own requests: Ingress gets by name from `shown`.
            !(r.verb == Verb::Get && r.is_for("ingresses"))
        })
        .filter_map(|r| {
            let resource = r.resource.clone()?;
            let resource = match &r.subresource {
                Some(sub) => format!("{resource}/{sub}"),
                None => resource,
            };
            Some((r.group.clone(), resource, rbac_verb(r.verb)?.to_owned()))
        })
        .collect();
    let granted = granted();
    let missing: Vec<_> = used.difference(&granted).collect();
    let unused: Vec<_> = granted.difference(&used).collect();
    assert!(missing.is_empty(), "used but not granted: {missing:?}");
    assert!(unused.is_empty(), "granted but never used: {unused:?}");
}
