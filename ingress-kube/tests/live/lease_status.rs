//! Leader election and status writes with a real `kube::Client` against the in-process API
//! server: two replicas sharing one Lease never lead at once, a successor takes over after a
//! release or a crash, and only the leader's status writes land.

use std::time::Duration;

use crate::support::{client, published};
use ingress_apiserver::{ApiServer, Verb};
use ingress_kube::lease::{LeaderElector, LeaseConfig};
use ingress_kube::status::{Publish, StatusWriter};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::Api;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep, timeout};

/// Every wait in these tests is bounded by this.
const WAIT: Duration = Duration::from_secs(10);

/// Short periods, in client-go's proportions (lease > renew deadline > retry).
fn config(identity: &str) -> LeaseConfig {
    LeaseConfig::new("ingress-system", "ingress-gateway", identity).periods(
        Duration::from_millis(900),
        Duration::from_millis(600),
        Duration::from_millis(100),
    )
}

/// A lease far longer than the retry period, so that a takeover that does not wait for it
/// can only come from a release.
fn long_lease(identity: &str) -> LeaseConfig {
    config(identity).periods(
        Duration::from_secs(6),
        Duration::from_secs(4),
        Duration::from_millis(100),
    )
}

/// One replica's elector, running until stopped.
struct Replica {
    leading: watch::Receiver<bool>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Replica {
    fn start(server: &ApiServer, identity: &str) -> Replica {
        Replica::with(server, config(identity))
    }

    fn with(server: &ApiServer, config: LeaseConfig) -> Replica {
        let (elector, leading) = LeaderElector::new(client(server), config);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(elector.run(async move {
            let _ = stopped.await;
        }));
        Replica {
            leading,
            stop: Some(stop),
            task,
        }
    }

    fn leads(&self) -> bool {
        *self.leading.borrow()
    }

    /// A clean shutdown: the elector releases the Lease.
    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        timeout(WAIT, self.task)
            .await
            .expect("elector stops")
            .unwrap();
    }
}

/// Waits until `f` holds, checking every 10 ms, at most [`WAIT`].
async fn until(what: &str, mut f: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < WAIT, "timed out waiting for {what}");
        sleep(Duration::from_millis(10)).await;
    }
    start.elapsed()
}

/// Samples both replicas every 5 ms for `window`; panics if both lead at once.
async fn never_both(a: &Replica, b: &Replica, window: Duration) {
    let start = Instant::now();
    while start.elapsed() < window {
        assert!(!(a.leads() && b.leads()), "two leaders at once");
        sleep(Duration::from_millis(5)).await;
    }
}

async fn holder(server: &ApiServer) -> Option<String> {
    let api: Api<Lease> = Api::namespaced(client(server), "ingress-system");
    api.get_opt("ingress-gateway")
        .await
        .unwrap()
        .and_then(|l| l.spec)
        .and_then(|s| s.holder_identity)
}

#[tokio::test]
async fn one_leader_at_a_time_and_a_successor_after_release() {
    let server = ApiServer::start().await.unwrap();
    let a = Replica::with(&server, long_lease("replica-a"));
    until("a to lead", || a.leads()).await;
    let b = Replica::with(&server, long_lease("replica-b"));
    // b sees a renewing and stays a follower.
    never_both(&a, &b, Duration::from_millis(1500)).await;
    assert!(a.leads() && !b.leads());
    assert_eq!(holder(&server).await.as_deref(), Some("replica-a"));

    // a shuts down cleanly: it releases the Lease and b takes over at one of its next
    // retries, long before the 6 s lease would have run out.
    a.stop().await;
    let took = until("b to lead", || b.leads()).await;
    assert!(took < Duration::from_secs(4), "took over in {took:?}");
    assert_eq!(holder(&server).await.as_deref(), Some("replica-b"));
    let api: Api<Lease> = Api::namespaced(client(&server), "ingress-system");
    let lease = api.get("ingress-gateway").await.unwrap();
    assert_eq!(lease.spec.unwrap().lease_transitions, Some(1));
    b.stop().await;
    assert_eq!(holder(&server).await, None, "released on shutdown");
}

#[tokio::test]
async fn a_crashed_leader_is_replaced_after_the_lease_runs_out() {
    let server = ApiServer::start().await.unwrap();
    let a = Replica::start(&server, "replica-a");
    until("a to lead", || a.leads()).await;
    let b = Replica::start(&server, "replica-b");
    never_both(&a, &b, Duration::from_millis(500)).await;
    // A crash: the task is gone without releasing.
    a.task.abort();
    let took = until("b to lead", || b.leads()).await;
    // Not before the lease duration (900 ms) since b last saw the record change.
    assert!(
        took >= Duration::from_millis(600),
        "took over after {took:?}"
    );
    assert_eq!(holder(&server).await.as_deref(), Some("replica-b"));
    b.stop().await;
}

#[tokio::test]
async fn a_leader_that_cannot_renew_steps_down() {
    let server = ApiServer::start().await.unwrap();
    let a = Replica::start(&server, "replica-a");
    until("a to lead", || a.leads()).await;
    // Every Lease request fails from now on.
    server.faults().fail_requests("leases", usize::MAX, 500);
    let stepped = until("a to step down", || !a.leads()).await;
    assert!(stepped < Duration::from_millis(1500), "{stepped:?}");
    server.faults().clear_failures();
    until("a to lead again", || a.leads()).await;
    a.stop().await;
}

fn ingress(name: &str, class: &str, shown: &[&str]) -> serde_json::Value {
    let ingress: Vec<serde_json::Value> =
        shown.iter().map(|a| serde_json::json!({"ip": a})).collect();
    serde_json::json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"ingressClassName": class, "defaultBackend": {"service": {"name": "web", "port": {"number": 80}}}},
        "status": {"loadBalancer": {"ingress": ingress}}
    })
}

async fn list(server: &ApiServer) -> Vec<Ingress> {
    let api: Api<Ingress> = Api::namespaced(client(server), "shop");
    api.list(&Default::default()).await.unwrap().items
}

#[tokio::test]
async fn status_is_written_where_it_differs_and_cleared_only_where_it_is_ours() {
    let server = ApiServer::start().await.unwrap();
    let store = server.store();
    for object in [
        ingress("ours", "gateway", &[]),
        ingress("ours-already", "gateway", &["192.0.2.10"]),
        ingress("left-us", "nginx", &["192.0.2.10"]),
        ingress("someone-elses", "nginx", &["198.51.100.7"]),
    ] {
        store.load(&object.to_string()).unwrap();
    }
    let writer = StatusWriter::new(
        client(&server),
        Publish::Addresses(vec!["192.0.2.10".to_owned()]),
    );
    let serves = |i: &Ingress| {
        i.spec
            .as_ref()
            .and_then(|s| s.ingress_class_name.as_deref())
            == Some("gateway")
    };
    let ingresses = list(&server).await;
    let report = writer.sync(&ingresses, serves).await.unwrap();
    assert_eq!(report.updated, ["shop/ours"]);
    assert_eq!(report.cleared, ["shop/left-us"]);
    assert!(report.failed.is_empty());
    let after: Vec<(String, Vec<String>)> = list(&server)
        .await
        .iter()
        .map(|i| (i.metadata.name.clone().unwrap(), published(i)))
        .collect();
    let get = |name: &str| &after.iter().find(|(n, _)| n == name).unwrap().1;
    assert_eq!(get("ours"), &["192.0.2.10"]);
    assert_eq!(get("ours-already"), &["192.0.2.10"]);
    assert!(get("left-us").is_empty());
    assert_eq!(get("someone-elses"), &["198.51.100.7"]);

    // In step: a second sync writes nothing.
    let patches = server.requests().count(Verb::Patch, "ingresses");
    let report = writer.sync(&list(&server).await, serves).await.unwrap();
    assert_eq!(report, Default::default());
    assert_eq!(server.requests().count(Verb::Patch, "ingresses"), patches);
}

#[tokio::test]
async fn a_publish_service_gives_its_load_balancer_addresses() {
    let server = ApiServer::start().await.unwrap();
    let store = server.store();
    store
        .load(&ingress("ours", "gateway", &[]).to_string())
        .unwrap();
    store
        .load(
            r#"{"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": "gateway", "namespace": "ingress-system"},
                "spec": {"type": "LoadBalancer", "ports": [{"port": 80}], "externalIPs": ["192.0.2.20"]},
                "status": {"loadBalancer": {"ingress": [{"hostname": "lb.example.com"}]}}}"#,
        )
        .unwrap();
    let writer = StatusWriter::new(
        client(&server),
        Publish::Service {
            namespace: "ingress-system".to_owned(),
            name: "gateway".to_owned(),
        },
    );
    let report = writer.sync(&list(&server).await, |_| true).await.unwrap();
    assert_eq!(report.updated, ["shop/ours"]);
    let mut addresses = published(&list(&server).await[0]);
    addresses.sort();
    assert_eq!(addresses, ["192.0.2.20", "lb.example.com"]);
}

#[tokio::test]
async fn of_two_replicas_only_the_leaders_status_writes_land() {
    let server = ApiServer::start().await.unwrap();
    server
        .store()
        .load(&ingress("ours", "gateway", &[]).to_string())
        .unwrap();
    // Each replica publishes its own address, so the status shows who wrote it.
    let mut tasks = Vec::new();
    let mut replicas = Vec::new();
    for (identity, address) in [("replica-a", "192.0.2.1"), ("replica-b", "192.0.2.2")] {
        let replica = Replica::start(&server, identity);
        let writer = StatusWriter::new(
            client(&server),
            Publish::Addresses(vec![address.to_owned()]),
        );
        let mut leading = replica.leading.clone();
        let server_client = client(&server);
        tasks.push(tokio::spawn(async move {
            // While leading, sync every 50 ms; a follower never writes.
            loop {
                if *leading.borrow_and_update() {
                    let api: Api<Ingress> = Api::namespaced(server_client.clone(), "shop");
                    if let Ok(list) = api.list(&Default::default()).await {
                        let _ = writer.sync(&list.items, |_| true).await;
                    }
                }
                // The elector's sender is gone once it has stopped: so does this loop.
                if let Ok(Err(_)) = timeout(Duration::from_millis(50), leading.changed()).await {
                    break;
                }
            }
        }));
        replicas.push(replica);
        // a starts first and leads; b follows.
        until("a replica to lead", || replicas[0].leads()).await;
    }
    // Over several lease durations, the status stays a's: b never writes as a follower.
    for _ in 0..30 {
        sleep(Duration::from_millis(50)).await;
        let shown_now = published(&list(&server).await[0]);
        assert!(
            shown_now.is_empty() || shown_now == ["192.0.2.1"],
            "{shown_now:?}"
        );
    }
    assert_eq!(published(&list(&server).await[0]), ["192.0.2.1"]);
    let b = replicas.pop().unwrap();
    let a = replicas.pop().unwrap();
    a.stop().await;
    until("b to lead", || b.leads()).await;
    let start = Instant::now();
    loop {
        if published(&list(&server).await[0]) == ["192.0.2.2"] {
            break;
        }
        assert!(start.elapsed() < WAIT, "b never wrote");
        sleep(Duration::from_millis(20)).await;
    }
    b.stop().await;
    for task in tasks {
        timeout(WAIT, task)
            .await
            .expect("writer loop ends")
            .unwrap();
    }
}
