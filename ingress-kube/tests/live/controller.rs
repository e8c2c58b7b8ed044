//! The whole controller loop against the in-process API server: snapshots, status on the
//! Ingresses we serve (and cleared on one that left us), an Event on a malformed object, and
//! a clean shutdown that releases the Lease.

use std::time::Duration;

use crate::support::{CONTROLLER, client, published};
use ingress_apiserver::ApiServer;
use ingress_kube::controller::{Controller, ControllerConfig};
use ingress_kube::driver::DriverConfig;
use ingress_kube::index::IndexConfig;
use ingress_kube::lease::LeaseConfig;
use ingress_kube::status::Publish;
use ingress_router::RequestView;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::Api;
use serde_json::{Value, json};
use tokio::time::{Instant, sleep, timeout};

/// Every wait in these tests is bounded by this.
const WAIT: Duration = Duration::from_secs(20);

fn ingress(name: &str, class: &str, host: &str, shown: &[&str]) -> Value {
    let shown: Vec<Value> = shown.iter().map(|a| json!({"ip": a})).collect();
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"ingressClassName": class, "rules": [{"host": host, "http": {"paths": [
            {"path": "/", "pathType": "Prefix",
             "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]},
        "status": {"loadBalancer": {"ingress": shown}}})
}

async fn seeded() -> ApiServer {
    let server = ApiServer::start().await.unwrap();
    let store = server.store();
    let objects = [
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
            "metadata": {"name": "gateway"}, "spec": {"controller": CONTROLLER}}),
        ingress("web", "gateway", "shop.example.com", &[]),
        // Not ours, still showing our address from when it was.
        ingress("moved", "nginx", "moved.example.com", &["192.0.2.10"]),
        // A port number written as a string: the k8s-openapi type refuses it.
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "broken", "namespace": "shop"},
            "spec": {"ingressClassName": "gateway", "rules": [{"host": "broken.example.com",
                "http": {"paths": [{"path": "/", "pathType": "Prefix",
                "backend": {"service": {"name": "web", "port": {"number": "http"}}}}]}}]}}),
    ];
    for object in objects {
        store.apply(object).unwrap();
    }
    server
}

/// Polls `check` every 20 ms until it gives `Some`, at most [`WAIT`].
async fn eventually<T, F: std::future::Future<Output = Option<T>>>(
    what: &str,
    mut check: impl FnMut() -> F,
) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(start.elapsed() < WAIT, "timed out waiting for {what}");
        sleep(Duration::from_millis(20)).await;
    }
}

async fn status_of(server: &ApiServer, name: &str) -> Vec<String> {
    let api: Api<Ingress> = Api::namespaced(client(server), "shop");
    published(&api.get(name).await.unwrap())
}

fn config(identity: &str) -> ControllerConfig {
    let driver =
        DriverConfig::new(IndexConfig::new(CONTROLLER)).quiet_delay(Duration::from_millis(20));
    let lease = LeaseConfig::new("ingress-system", "ingress-gateway", identity).periods(
        Duration::from_secs(3),
        Duration::from_secs(2),
        Duration::from_millis(100),
    );
    ControllerConfig::new(driver)
        .lease(lease)
        .publish(Publish::Addresses(vec!["192.0.2.10".to_owned()]))
        .resync(Duration::from_millis(300))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leader_serves_writes_status_reports_bad_objects_and_releases_the_lease() {
    let server = seeded().await;
    let controller = Controller::start(client(&server), config("replica-a"));
    let snapshot = timeout(WAIT, controller.driver().ready())
        .await
        .expect("first snapshot")
        .unwrap();
    let routed = snapshot.route(&RequestView::new("shop.example.com", "/"));
    assert_eq!(routed.decision.source().unwrap().to_string(), "shop/web");
    let mut leading = controller.leading();
    timeout(WAIT, leading.wait_for(|l| *l))
        .await
        .unwrap()
        .unwrap();

    // Our Ingress gets our address; the one that left us loses it.
    eventually("status on shop/web", || async {
        (status_of(&server, "web").await == ["192.0.2.10"]).then_some(())
    })
    .await;
    eventually("status cleared on shop/moved", || async {
        status_of(&server, "moved").await.is_empty().then_some(())
    })
    .await;

    // The malformed Ingress: skipped by the driver, and a Warning Event on it.
    let events: Api<k8s_openapi::api::events::v1::Event> = Api::namespaced(client(&server), "shop");
    let event = eventually("an Event on shop/broken", || async {
        let list = events.list(&Default::default()).await.ok()?;
        list.items
            .into_iter()
            .find(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some("broken"))
    })
    .await;
    assert_eq!(event.type_.as_deref(), Some("Warning"));
    assert_eq!(event.reason.as_deref(), Some("Skipped"));
    assert_eq!(event.reporting_controller.as_deref(), Some(CONTROLLER));
    let note = event.note.unwrap_or_default();
    assert!(
        note.contains("spec.rules[0].http.paths[0].backend.service.port.number"),
        "{note}"
    );

    // A new Ingress of ours, through the API: status follows its publication.
    server
        .store()
        .apply(ingress("new", "gateway", "new.example.com", &[]))
        .unwrap();
    eventually("status on shop/new", || async {
        (status_of(&server, "new").await == ["192.0.2.10"]).then_some(())
    })
    .await;

    timeout(WAIT, controller.shutdown())
        .await
        .expect("shutdown");
    let leases: Api<Lease> = Api::namespaced(client(&server), "ingress-system");
    let lease = leases.get("ingress-gateway").await.unwrap();
    assert_eq!(lease.spec.unwrap().holder_identity, None, "released");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_serves_but_writes_nothing() {
    let server = seeded().await;
    // Another replica holds the Lease (and keeps it: it is renewed below).
    let leases: Api<Lease> = Api::namespaced(client(&server), "ingress-system");
    let now = k8s_openapi::jiff::Timestamp::now().to_string();
    server
        .store()
        .apply(
            json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": "ingress-gateway", "namespace": "ingress-system"},
            "spec": {"holderIdentity": "replica-z", "leaseDurationSeconds": 3600,
                     "renewTime": now}}),
        )
        .unwrap();
    let controller = Controller::start(client(&server), config("replica-b"));
    let snapshot = timeout(WAIT, controller.driver().ready())
        .await
        .expect("a follower serves too")
        .unwrap();
    assert!(
        snapshot
            .route(&RequestView::new("shop.example.com", "/"))
            .decision
            .source()
            .is_some()
    );
    sleep(Duration::from_millis(1500)).await;
    assert!(!*controller.leading().borrow());
    assert!(
        status_of(&server, "web").await.is_empty(),
        "a follower wrote status"
    );
    assert_eq!(status_of(&server, "moved").await, ["192.0.2.10"]);
    timeout(WAIT, controller.shutdown())
        .await
        .expect("shutdown");
    let lease = leases.get("ingress-gateway").await.unwrap();
    assert_eq!(
        lease.spec.unwrap().holder_identity.as_deref(),
        Some("replica-z"),
        "a follower releases nothing"
    );
}
