//! The driver against a real cluster: the cluster named by `KUBECONFIG` (current context).
//! Ignored by default. The test works in a namespace and an IngressClass of its own, both
//! removed at the end, and watches only that namespace.
//!
//! ```text
//! KUBECONFIG=~/.kube/config cargo test -p ingress-kube --test live driver_cluster -- --ignored
//! ```
//!
//! The tests build kube with rustls (ring), so the kubeconfig of minikube, kind or a cloud
//! cluster works as it is; a plain-HTTP kubeconfig (`kubectl proxy`, or the in-process
//! server's) works as well.

use std::time::Duration;

use crate::support::{addr, endpoints, until};
use ingress_kube::driver::{Driver, DriverConfig, Namespaces};
use ingress_kube::index::IndexConfig;
use k8s_openapi::api::core::v1::{Namespace, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(60);
const CONTROLLER: &str = "example.com/ingress-kube-driver-test";

fn object<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value).expect("test object")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a cluster: set KUBECONFIG and run with --ignored"]
async fn the_driver_follows_a_real_cluster() {
    assert!(
        std::env::var_os("KUBECONFIG").is_some(),
        "set KUBECONFIG to the cluster to test against"
    );
    let client = kube::Client::try_default()
        .await
        .expect("a client from KUBECONFIG");
    let ns = format!("ingress-kube-driver-test-{}", std::process::id());
    let class_name = ns.clone();
    let pp = PostParams::default();
    let namespaces: Api<Namespace> = Api::all(client.clone());
    namespaces
        .create(&pp, &object(json!({"metadata": {"name": ns}})))
        .await
        .expect("create the test namespace");
    let classes: Api<IngressClass> = Api::all(client.clone());
    classes
        .create(
            &pp,
            &object(json!({"metadata": {"name": class_name}, "spec": {"controller": CONTROLLER}})),
        )
        .await
        .expect("create the test IngressClass");
    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    services
        .create(
            &pp,
            &object(json!({"metadata": {"name": "echo"},
                "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080}]}})),
        )
        .await
        .expect("create the Service");
    let slices: Api<EndpointSlice> = Api::namespaced(client.clone(), &ns);
    slices
        .create(
            &pp,
            &object(json!({"metadata": {"name": "echo-manual", "labels": {
                    "kubernetes.io/service-name": "echo",
                    "endpointslice.kubernetes.io/managed-by": "ingress-kube-driver-test"}},
                "addressType": "IPv4",
                "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
                "endpoints": [{"addresses": ["10.1.2.3"], "conditions": {"ready": true}}]})),
        )
        .await
        .expect("create the EndpointSlice");
    let ingresses: Api<Ingress> = Api::namespaced(client.clone(), &ns);
    let ingress = |host: &str| -> Ingress {
        object(json!({"metadata": {"name": "echo"},
            "spec": {"ingressClassName": class_name, "rules": [{"host": host, "http": {"paths": [
                {"path": "/", "pathType": "Prefix",
                 "backend": {"service": {"name": "echo", "port": {"name": "http"}}}}]}}]}}))
    };
    ingresses
        .create(&pp, &ingress("echo.driver-test.example"))
        .await
        .expect("create the Ingress");

    let config = DriverConfig::new(IndexConfig::new(CONTROLLER))
        .namespaces(Namespaces::List(vec![ns.clone()]));
    let driver = Driver::start(client.clone(), config);
    let first = tokio::time::timeout(WAIT, driver.ready())
        .await
        .expect("first snapshot in time")
        .expect("running");
    assert_eq!(
        endpoints(&first, "echo.driver-test.example", "/"),
        addr("10.1.2.3:8080")
    );

    let mut echo = ingresses.get("echo").await.expect("get");
    echo.spec = ingress("renamed.driver-test.example").spec;
    ingresses
        .replace("echo", &pp, &echo)
        .await
        .expect("replace");
    until(&driver, "the renamed host", |s| {
        endpoints(s, "renamed.driver-test.example", "/") == addr("10.1.2.3:8080")
            && endpoints(s, "echo.driver-test.example", "/") == Err(404)
    })
    .await;

    let patch = json!({"endpoints": [{"addresses": ["10.1.2.4"], "conditions": {"ready": true}}]});
    let before = driver.snapshot().expect("snapshot");
    slices
        .patch(
            "echo-manual",
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await
        .expect("patch the slice");
    let moved = until(&driver, "the new endpoint", |s| {
        endpoints(s, "renamed.driver-test.example", "/") == addr("10.1.2.4:8080")
    })
    .await;
    assert!(moved.table_ptr_eq(&before));

    ingresses
        .delete("echo", &DeleteParams::default())
        .await
        .expect("delete the Ingress");
    until(&driver, "the routes gone", |s| {
        endpoints(s, "renamed.driver-test.example", "/") == Err(404)
    })
    .await;

    driver.shutdown().await;
    classes
        .delete(&class_name, &DeleteParams::default())
        .await
        .expect("delete the test IngressClass");
    namespaces
        .delete(&ns, &DeleteParams::default())
        .await
        .expect("delete the test namespace");
}
