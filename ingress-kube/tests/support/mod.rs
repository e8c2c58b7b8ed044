//! What the integration tests of ingress-kube share: a client for the in-process API server,
//! waiting for a published snapshot, reading where a request goes.

// Each test binary includes this module and uses a part of it.
#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ingress_apiserver::ApiServer;
use ingress_kube::driver::Driver;
use ingress_kube::index::Snapshot;
use ingress_router::RequestView;
use k8s_openapi::api::networking::v1::Ingress;

/// The longest any wait for a snapshot lasts (the 10 000-object scale test needs it; a
/// passing test waits milliseconds).
pub const SNAPSHOT_WAIT: Duration = Duration::from_secs(120);

/// The controller name of the tests' IngressClasses (the gateway's default).
pub const CONTROLLER: &str = "example.com/ingress-gateway";
/// The founding example's manifests: Ingress, Deployment and Service of each version.
pub const SEED_V1: &str = include_str!("../../../testdata/seed/echo-v1.yaml");
pub const SEED_V2: &str = include_str!("../../../testdata/seed/echo-v2.yaml");
/// Their hosts.
pub const V1: &str = "v1.echo.192.168.49.5.sslip.io";
pub const V2: &str = "v2.echo.192.168.49.5.sslip.io";

/// A kube client for the server, with kube's own retry of 429/503/504 off: the code under
/// test does the retrying.
pub fn client(server: &ApiServer) -> kube::Client {
    let mut config = kube::Config::new(server.url().parse().expect("server URL"));
    config.default_retry = false;
    kube::Client::try_from(config).expect("kube client")
}

/// Waits until a published snapshot satisfies `check`; returns it.
pub async fn until(
    driver: &Driver,
    what: &str,
    check: impl Fn(&Snapshot) -> bool,
) -> Arc<Snapshot> {
    let mut snapshots = driver.subscribe();
    let found = tokio::time::timeout(
        SNAPSHOT_WAIT,
        snapshots.wait_for(|s| s.as_deref().is_some_and(&check)),
    )
    .await
    .unwrap_or_else(|_| panic!("timed out waiting for: {what}"))
    .expect("the driver is running");
    found.clone().expect("a snapshot")
}

/// Where a request goes: the endpoints, or the status the gateway answers instead.
pub fn endpoints(snapshot: &Snapshot, host: &str, path: &str) -> Result<Vec<SocketAddr>, u16> {
    let routed = snapshot.route(&RequestView::new(host, path));
    if let Some(status) = routed.error_status() {
        return Err(status);
    }
    Ok(routed
        .resolved
        .and_then(|r| r.endpoints().map(<[SocketAddr]>::to_vec))
        .unwrap_or_default())
}

/// Endpoints as [`endpoints`] gives them.
pub fn addrs(list: &[&str]) -> Result<Vec<SocketAddr>, u16> {
    Ok(list
        .iter()
        .map(|a| a.parse().expect("test address"))
        .collect())
}

/// One endpoint as [`endpoints`] gives it.
pub fn addr(a: &str) -> Result<Vec<SocketAddr>, u16> {
    addrs(&[a])
}

/// The addresses an Ingress's status shows (`status.loadBalancer.ingress`): each entry's IP,
/// else its host name.
pub fn published(ingress: &Ingress) -> Vec<String> {
    ingress
        .status
        .as_ref()
        .and_then(|s| s.load_balancer.as_ref())
        .and_then(|lb| lb.ingress.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|i| i.ip.clone().or(i.hostname.clone()))
        .collect()
}
