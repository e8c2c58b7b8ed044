//! The driver follows objects changed by kubectl, a second, independent client of the API
//! server: the seed applied, an Ingress re-applied with a renamed host and an added path, an
//! EndpointSlice patched, an Ingress deleted.
//!
//! Needs `kubectl` on PATH; fails with a clear message without it.

use std::time::Duration;

use crate::support::{CONTROLLER, SEED_V1, SEED_V2, V1, V2, addr, client, endpoints, until};
use ingress_apiserver::{ApiServer, Kubectl};
use ingress_kube::driver::{Driver, DriverConfig};
use ingress_kube::index::IndexConfig;

const WAIT: Duration = Duration::from_secs(30);

/// Our default class and one EndpointSlice per seed Service, as manifests.
const CLUSTER: &str = r#"
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: gateway
  annotations: {ingressclass.kubernetes.io/is-default-class: "true"}
spec: {controller: example.com/ingress-gateway}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: echo-v1-a
  labels: {kubernetes.io/service-name: echo-v1}
addressType: IPv4
ports: [{port: 3000, protocol: TCP}]
endpoints:
- addresses: [10.244.0.11]
  conditions: {ready: true}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: echo-v2-a
  labels: {kubernetes.io/service-name: echo-v2}
addressType: IPv4
ports: [{port: 3000, protocol: TCP}]
endpoints:
- addresses: [10.244.1.21]
  conditions: {ready: true}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_driver_follows_what_kubectl_applies_patches_and_deletes() {
    let server = ApiServer::start().await.expect("API server");
    let kubectl = Kubectl::new(&server).unwrap();
    let driver = Driver::start(
        client(&server),
        DriverConfig::new(IndexConfig::new(CONTROLLER)),
    );
    let empty = tokio::time::timeout(WAIT, driver.ready())
        .await
        .expect("first snapshot in time")
        .expect("running");
    assert_eq!(endpoints(&empty, V1, "/"), Err(404));

    // The seed, our class and the slices, applied as a user would.
    kubectl.apply("cluster.yaml", CLUSTER).await.unwrap();
    let out = kubectl.apply("echo-v1.yaml", SEED_V1).await.unwrap();
    assert!(
        out.contains("ingress.networking.k8s.io/echo-v1 created"),
        "{out}"
    );
    kubectl.apply("echo-v2.yaml", SEED_V2).await.unwrap();
    until(&driver, "both seed hosts", |s| {
        endpoints(s, V1, "/") == addr("10.244.0.11:3000")
            && endpoints(s, V2, "/") == addr("10.244.1.21:3000")
    })
    .await;

    // Re-applied with the host renamed and a path added: kubectl's three-way patch.
    let edited = SEED_V1.replace(V1, "renamed.echo.example").replace(
        "          - path: /\n",
        "          - path: /admin\n            pathType: Prefix\n            backend:\n              service:\n                name: echo-v2\n                port:\n                  number: 3000\n          - path: /\n",
    );
    assert_ne!(edited, SEED_V1);
    let out = kubectl.apply("echo-v1-edited.yaml", &edited).await.unwrap();
    assert!(
        out.contains("ingress.networking.k8s.io/echo-v1 configured"),
        "{out}"
    );
    let renamed = until(&driver, "the renamed host and the added path", |s| {
        endpoints(s, "renamed.echo.example", "/admin") == addr("10.244.1.21:3000")
    })
    .await;
    assert_eq!(
        endpoints(&renamed, "renamed.echo.example", "/"),
        addr("10.244.0.11:3000")
    );
    assert_eq!(endpoints(&renamed, V1, "/"), Err(404));

    // An EndpointSlice patched: new endpoints, the same route table.
    kubectl
        .ok(&[
            "patch",
            "endpointslice",
            "echo-v1-a",
            "--type=merge",
            "-p",
            r#"{"endpoints": [{"addresses": ["10.244.0.99"], "conditions": {"ready": true}}]}"#,
        ])
        .await
        .unwrap();
    let patched = until(&driver, "the patched slice", |s| {
        endpoints(s, "renamed.echo.example", "/") == addr("10.244.0.99:3000")
    })
    .await;
    assert!(patched.table_ptr_eq(&renamed));

    // Deleted.
    kubectl.ok(&["delete", "ingress", "echo-v2"]).await.unwrap();
    until(&driver, "echo-v2's routes gone", |s| {
        endpoints(s, V2, "/") == Err(404)
    })
    .await;

    driver.shutdown().await;
    server.shutdown().await;
}
