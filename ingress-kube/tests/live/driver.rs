//! The driver with a real `kube::Client` against the in-process API server: the seed's
//! manifests, edits and deletions through the API, EndpointSlice changes, a malformed
//! object, watch faults, a server that goes away, bursts of edits, namespaces and selectors.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::{CONTROLLER, SEED_V1, SEED_V2, V1, V2, addrs, client, endpoints, until};
use ingress_apiserver::{ApiServer, Verb};
use ingress_kube::driver::{Driver, DriverConfig, EventReporting, Namespaces};
use ingress_kube::index::{IndexConfig, ObjectKind, Reason, Snapshot};
use ingress_router::RequestView;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

/// Every wait on the driver is bounded by this (the default backoff retries after 0.8-1.6 s,
/// then 1.6-3.2 s: a few failures in a row take seconds).
const WAIT: Duration = Duration::from_secs(30);

fn config() -> DriverConfig {
    DriverConfig::new(IndexConfig::new(CONTROLLER))
}

/// Our IngressClass, the cluster default: the seed's Ingresses name no class.
fn class() -> Value {
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
        "metadata": {"name": "gateway",
            "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
        "spec": {"controller": CONTROLLER}})
}

/// The EndpointSlice of Service `default/service` (the seed's unnamed port 3000).
fn slice(service: &str, name: &str, addresses: &[&str]) -> Value {
    let endpoints: Vec<Value> = addresses
        .iter()
        .map(|a| json!({"addresses": [a], "conditions": {"ready": true}}))
        .collect();
    json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": name, "namespace": "default",
            "labels": {"kubernetes.io/service-name": service}},
        "addressType": "IPv4",
        "ports": [{"port": 3000, "protocol": "TCP"}],
        "endpoints": endpoints})
}

/// A server holding the seed (both Ingresses, Deployments and Services), our class and one
/// EndpointSlice per Service.
async fn seeded() -> ApiServer {
    let server = ApiServer::start().await.expect("API server");
    let store = server.store();
    store.load(SEED_V1).expect("seed v1");
    store.load(SEED_V2).expect("seed v2");
    store.apply(class()).expect("class");
    store
        .apply(slice(
            "echo-v1",
            "echo-v1-a",
            &["10.244.0.11", "10.244.0.12"],
        ))
        .expect("slice v1");
    store
        .apply(slice("echo-v2", "echo-v2-a", &["10.244.1.21"]))
        .expect("slice v2");
    server
}

/// The first published snapshot, within [`WAIT`].
async fn ready(driver: &Driver) -> Arc<Snapshot> {
    tokio::time::timeout(WAIT, driver.ready())
        .await
        .expect("no first snapshot within the wait")
        .expect("the driver is running")
}

fn seed_routes(snapshot: &Snapshot) -> bool {
    endpoints(snapshot, V1, "/") == addrs(&["10.244.0.11:3000", "10.244.0.12:3000"])
        && endpoints(snapshot, V2, "/anything") == addrs(&["10.244.1.21:3000"])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_routes_both_hosts_to_their_endpoints() {
    let server = seeded().await;
    let started = Instant::now();
    let driver = Driver::start(client(&server), config());
    let first = ready(&driver).await;
    let elapsed = started.elapsed();
    eprintln!("time to the first snapshot (seed): {elapsed:?}");

    assert!(seed_routes(&first), "{first:?}");
    assert_eq!(endpoints(&first, "other.example", "/"), Err(404));
    let stats = driver.stats();
    assert_eq!(stats.published, 1);
    assert_eq!(stats.lists, 5, "one list per kind");
    assert!(driver.errors().is_empty(), "{:?}", driver.errors());
    // Secrets are selected by the server: only kubernetes.io/tls ones are sent.
    let secrets = server
        .requests()
        .records()
        .into_iter()
        .find(|r| r.verb == Verb::List && r.is_for("secrets"))
        .expect("secrets listed");
    assert!(
        secrets
            .query
            .contains("fieldSelector=type%3Dkubernetes.io%2Ftls"),
        "{}",
        secrets.query
    );

    // After its list, each watcher watches.
    tokio::time::timeout(WAIT, async {
        while server.open_watches() < 5 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("one watch per kind");
    assert_eq!(server.open_watches(), 5, "one watch per kind");
    driver.shutdown().await;
    no_watches_left(&server, "shutdown closes every watch").await;

    // Dropping a driver stops its tasks too.
    let driver = Driver::start(client(&server), config());
    ready(&driver).await;
    drop(driver);
    no_watches_left(&server, "a dropped driver closes every watch").await;
    server.shutdown().await;
}

async fn no_watches_left(server: &ApiServer, what: &str) {
    tokio::time::timeout(WAIT, async {
        while server.open_watches() > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{what}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_snapshot_before_every_kind_is_listed() {
    let server = seeded().await;
    // The first two EndpointSlice lists fail: the other kinds are listed meanwhile.
    server.faults().fail_requests("/endpointslices", 2, 500);
    let driver = Driver::start(client(&server), config());
    let mut waited = 0;
    while driver.stats().watch_errors < 2 {
        assert!(
            driver.snapshot().is_none(),
            "published before EndpointSlices were listed"
        );
        waited += 1;
        assert!(waited < 1500, "the EndpointSlice lists never failed twice");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(driver.snapshot().is_none());
    let first = ready(&driver).await;
    assert!(
        seed_routes(&first),
        "the first snapshot already has the endpoints: {first:?}"
    );
    assert_eq!(driver.stats().published, 1);
    driver.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingress_edits_and_deletions_through_the_api_are_followed() {
    let server = seeded().await;
    let kube = client(&server);
    let driver = Driver::start(kube.clone(), config());
    ready(&driver).await;
    let ingresses: Api<Ingress> = Api::namespaced(kube, "default");

    // Host renamed, a path added (to the other Service).
    let mut echo = ingresses.get("echo-v1").await.expect("get echo-v1");
    let rule = &mut echo
        .spec
        .as_mut()
        .expect("spec")
        .rules
        .as_mut()
        .expect("rules")[0];
    rule.host = Some("renamed.echo.example".into());
    let paths = &mut rule.http.as_mut().expect("http").paths;
    let mut admin = paths[0].clone();
    admin.path = Some("/admin".into());
    admin
        .backend
        .service
        .as_mut()
        .expect("service backend")
        .name = "echo-v2".into();
    paths.push(admin);
    ingresses
        .replace("echo-v1", &PostParams::default(), &echo)
        .await
        .expect("replace");
    let edited = until(&driver, "the renamed host and the added path", |s| {
        endpoints(s, "renamed.echo.example", "/admin/users") == addrs(&["10.244.1.21:3000"])
    })
    .await;
    assert_eq!(
        endpoints(&edited, "renamed.echo.example", "/"),
        addrs(&["10.244.0.11:3000", "10.244.0.12:3000"])
    );
    assert_eq!(
        endpoints(&edited, V1, "/"),
        Err(404),
        "the old host is gone"
    );

    // A deletion.
    ingresses
        .delete("echo-v2", &DeleteParams::default())
        .await
        .expect("delete");
    let deleted = until(&driver, "echo-v2's routes to go", |s| {
        endpoints(s, V2, "/") == Err(404)
    })
    .await;
    assert_eq!(
        endpoints(&deleted, "renamed.echo.example", "/admin"),
        addrs(&["10.244.1.21:3000"]),
        "the other Ingress still routes to echo-v2"
    );

    // The Service behind a rule goes: 503, not 404.
    server
        .store()
        .delete("v1", "Service", None, "echo-v1")
        .expect("delete Service");
    let gone = until(&driver, "echo-v1 to be unavailable", |s| {
        endpoints(s, "renamed.echo.example", "/") == Err(503)
    })
    .await;
    let routed = gone.route(&RequestView::new("renamed.echo.example", "/"));
    assert_eq!(
        routed.resolved.and_then(|r| r.reason()),
        Some(Reason::ServiceMissing)
    );
    driver.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_slice_change_reresolves_without_a_route_rebuild() {
    let server = seeded().await;
    let kube = client(&server);
    let driver = Driver::start(kube.clone(), config());
    let first = ready(&driver).await;
    let slices: Api<EndpointSlice> = Api::namespaced(kube, "default");
    let patch = json!({"endpoints": [
        {"addresses": ["10.244.0.11"], "conditions": {"ready": true}},
        {"addresses": ["10.244.0.12"], "conditions": {"ready": false}},
        {"addresses": ["10.244.0.13"], "conditions": {"ready": true}}
    ]});
    slices
        .patch("echo-v1-a", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("patch slice");
    let next = until(&driver, "the new endpoints", |s| {
        endpoints(s, V1, "/") == addrs(&["10.244.0.11:3000", "10.244.0.13:3000"])
    })
    .await;
    assert!(next.table_ptr_eq(&first), "the route table is shared");
    assert_eq!(next.routes_generation(), first.routes_generation());
    assert!(next.generation() > first.generation());
    assert_eq!(
        endpoints(&next, V2, "/"),
        addrs(&["10.244.1.21:3000"]),
        "the other Service is untouched"
    );

    // No ready endpoint left: 503.
    let none =
        json!({"endpoints": [{"addresses": ["10.244.0.11"], "conditions": {"ready": false}}]});
    slices
        .patch("echo-v1-a", &PatchParams::default(), &Patch::Merge(&none))
        .await
        .expect("patch slice");
    let down = until(&driver, "no ready endpoint", |s| {
        endpoints(s, V1, "/") == Err(503)
    })
    .await;
    assert!(down.table_ptr_eq(&first));
    driver.shutdown().await;
    server.shutdown().await;
}

/// An Ingress the k8s-openapi type refuses: a port number written as a string.
fn malformed_ingress(name: &str, host: &str) -> Value {
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix",
            "backend": {"service": {"name": "echo-v1", "port": {"number": "http"}}}}]}}]}})
}

const BAD_PORT: &str = "spec.rules[0].http.paths[0].backend.service.port.number";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_object_is_skipped_and_reported_while_the_rest_serves() {
    let server = seeded().await;
    let store = server.store();
    // In the first list: the list does not fail, the rest serves.
    store
        .apply(malformed_ingress("broken", "broken.example"))
        .expect("the server keeps what it is given");
    let driver = Driver::start(client(&server), config());
    let first = ready(&driver).await;
    assert!(seed_routes(&first), "{first:?}");
    assert_eq!(endpoints(&first, "broken.example", "/"), Err(404));
    let errors = driver.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let error = &errors[0];
    assert_eq!(
        (error.kind, error.object.to_string(), error.field.as_str()),
        (ObjectKind::Ingress, "default/broken".into(), BAD_PORT)
    );
    assert!(
        error.message.contains("invalid type: string \"http\""),
        "{error}"
    );
    assert_eq!(driver.stats().malformed, 1);

    // Through the watch: echo-v1 edited into a malformed version is dropped (the cluster no
    // longer has the version before), reported, and back once fixed.
    let mut bad_v1 = malformed_ingress("echo-v1", V1);
    store.apply(bad_v1.clone()).expect("malformed edit");
    let dropped = until(&driver, "echo-v1 dropped", |s| {
        endpoints(s, V1, "/") == Err(404)
    })
    .await;
    assert_eq!(endpoints(&dropped, V2, "/"), addrs(&["10.244.1.21:3000"]));
    let names: Vec<String> = driver
        .errors()
        .iter()
        .map(|e| e.object.to_string())
        .collect();
    assert_eq!(names, ["default/broken", "default/echo-v1"]);

    bad_v1["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"]["number"] =
        json!(3000);
    store.apply(bad_v1).expect("fixed");
    until(&driver, "echo-v1 back", seed_routes).await;
    store
        .delete("networking.k8s.io/v1", "Ingress", None, "broken")
        .expect("delete broken");
    let deadline = Instant::now() + WAIT;
    while !driver.errors().is_empty() {
        assert!(
            Instant::now() < deadline,
            "errors stay: {:?}",
            driver.errors()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    driver.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_watches_500s_and_410s_converge() {
    let server = seeded().await;
    let store = server.store();
    let log = server.requests();
    let driver = Driver::start(client(&server), config());
    ready(&driver).await;
    let lists_before = log.count(Verb::List, "ingresses");

    // Closed watch streams: the watchers resume from their resourceVersion.
    server.faults().close_watches();
    store
        .apply(slice("echo-v1", "echo-v1-a", &["10.244.0.31"]))
        .expect("slice");
    until(&driver, "the slice after closed watches", |s| {
        endpoints(s, V1, "/") == addrs(&["10.244.0.31:3000"])
    })
    .await;
    assert_eq!(
        log.count(Verb::List, "ingresses"),
        lists_before,
        "no relist"
    );

    // 500s on re-watching: errors, backoff, then a watch again.
    let errors_before = driver.stats().watch_errors;
    server.faults().fail_requests("watch=true", 3, 500);
    server.faults().close_watches();
    store
        .apply(slice("echo-v1", "echo-v1-a", &["10.244.0.32"]))
        .expect("slice");
    until(&driver, "the slice after 500s", |s| {
        endpoints(s, V1, "/") == addrs(&["10.244.0.32:3000"])
    })
    .await;
    assert!(driver.stats().watch_errors >= errors_before + 3);

    // 410: the history expires under an open watch; the watchers relist. A deletion made just
    // before reaches the driver either way.
    let relists_before = driver.stats().lists;
    store
        .delete("networking.k8s.io/v1", "Ingress", None, "echo-v2")
        .expect("delete");
    store.expire_history();
    until(&driver, "echo-v2 gone after the relist", |s| {
        endpoints(s, V2, "/") == Err(404)
    })
    .await;
    let deadline = Instant::now() + WAIT;
    while driver.stats().lists < relists_before + 5 {
        assert!(Instant::now() < deadline, "every kind relists after a 410");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(log.count(Verb::List, "ingresses") > lists_before);
    driver.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_snapshot_stays_while_the_server_is_away_then_catches_up() {
    let server = seeded().await;
    let store = server.store();
    let driver = Driver::start(client(&server), config());
    let first = ready(&driver).await;

    server.pause().await.expect("pause");
    server.faults().close_watches();
    // Away: the watchers fail and back off; the snapshot is kept.
    let deadline = Instant::now() + WAIT;
    while driver.stats().watch_errors == 0 {
        assert!(Instant::now() < deadline, "the watchers never noticed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let kept = driver.snapshot().expect("a snapshot");
    assert!(Arc::ptr_eq(&kept, &first), "the last snapshot is kept");
    assert!(seed_routes(&kept));

    // Meanwhile the cluster changes, and the history is lost: the watchers must relist.
    store
        .delete("networking.k8s.io/v1", "Ingress", None, "echo-v2")
        .expect("delete");
    store
        .apply(slice("echo-v1", "echo-v1-a", &["10.244.0.41"]))
        .expect("slice");
    store.expire_history();
    server.resume().await.expect("resume");
    let caught_up = until(&driver, "the changes made while away", |s| {
        endpoints(s, V2, "/") == Err(404) && endpoints(s, V1, "/") == addrs(&["10.244.0.41:3000"])
    })
    .await;
    assert!(caught_up.generation() > first.generation());
    driver.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_rapid_edits_give_few_publications_and_the_right_final_snapshot() {
    let server = seeded().await;
    let store = server.store();
    let driver = Driver::start(client(&server), config());
    ready(&driver).await;
    let before = driver.stats();

    const EDITS: usize = 1000;
    let mut ingress = store
        .get("networking.k8s.io/v1", "Ingress", None, "echo-v1")
        .expect("echo-v1");
    let started = Instant::now();
    for i in 0..EDITS {
        ingress["spec"]["rules"][0]["host"] = json!(format!("h{i}.echo.example"));
        store.apply(ingress.clone()).expect("edit");
    }
    let last = format!("h{}.echo.example", EDITS - 1);
    let fin = until(&driver, "the last edit", |s| {
        endpoints(s, &last, "/").is_ok()
    })
    .await;
    let settled = started.elapsed();
    assert_eq!(
        endpoints(&fin, &last, "/"),
        addrs(&["10.244.0.11:3000", "10.244.0.12:3000"])
    );
    assert_eq!(
        endpoints(&fin, &format!("h{}.echo.example", EDITS - 2), "/"),
        Err(404)
    );
    assert_eq!(
        endpoints(&fin, V1, "/"),
        Err(404),
        "the first host was renamed"
    );
    assert_eq!(endpoints(&fin, V2, "/"), addrs(&["10.244.1.21:3000"]));

    // Let any publication still due happen, then count.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = driver.stats();
    let published = after.published - before.published;
    eprintln!(
        "{EDITS} edits -> {published} publications; last edit published {settled:?} after the first"
    );
    assert_eq!(
        after.events - before.events,
        EDITS as u64,
        "every edit was seen"
    );
    assert!(
        (1..=12).contains(&published),
        "{published} publications for {EDITS} edits"
    );
    assert_eq!(
        driver.snapshot().expect("snapshot").generation(),
        fin.generation(),
        "nothing after the last edit"
    );
    driver.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_steady_stream_of_edits_is_published_at_the_maximum_delay() {
    let server = seeded().await;
    let store = server.store();
    let config = config()
        .quiet_delay(Duration::from_millis(200))
        .max_delay(Duration::from_millis(500));
    let driver = Driver::start(client(&server), config);
    ready(&driver).await;
    let before = driver.stats().published;

    // An edit every 50 ms for 2 s: never 200 ms quiet, so only the maximum delay publishes.
    let mut ingress = store
        .get("networking.k8s.io/v1", "Ingress", None, "echo-v1")
        .expect("echo-v1");
    let started = Instant::now();
    let mut i = 0;
    while started.elapsed() < Duration::from_secs(2) {
        ingress["spec"]["rules"][0]["host"] = json!(format!("s{i}.echo.example"));
        store.apply(ingress.clone()).expect("edit");
        i += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let during = driver.stats().published - before;
    assert!(
        during >= 2,
        "{during} publications during 2 s of edits with a 500 ms maximum delay"
    );
    assert!(during < i, "{during} publications for {i} edits");
    let last = format!("s{}.echo.example", i - 1);
    until(&driver, "the last edit", |s| {
        endpoints(s, &last, "/").is_ok()
    })
    .await;
    driver.shutdown().await;
    server.shutdown().await;
}

/// An Ingress `namespace/name` for `host`, to Service `echo` port 80, with labels.
fn ingress_in(namespace: &str, name: &str, host: &str, labels: Value) -> Value {
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"ingressClassName": "gateway", "rules": [{"host": host, "http": {"paths": [
            {"path": "/", "pathType": "Prefix",
             "backend": {"service": {"name": "echo", "port": {"number": 80}}}}]}}]}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespaces_and_the_label_selector_limit_what_is_served() {
    let server = ApiServer::start().await.expect("API server");
    let store = server.store();
    store.apply(class()).expect("class");
    for ns in ["a", "b", "c"] {
        for (name, team) in [("web", "web"), ("ops", "ops")] {
            store
                .apply(ingress_in(
                    ns,
                    name,
                    &format!("{name}.{ns}.example"),
                    json!({"team": team}),
                ))
                .expect("ingress");
        }
    }
    let config = config()
        .namespaces(Namespaces::List(vec!["b".into(), "a".into()]))
        .label_selector("team=web");
    let driver = Driver::start(client(&server), config);
    let first = ready(&driver).await;
    // A matched rule whose Service does not exist: 503; not served at all: 404.
    assert_eq!(endpoints(&first, "web.a.example", "/"), Err(503));
    assert_eq!(endpoints(&first, "web.b.example", "/"), Err(503));
    assert_eq!(
        endpoints(&first, "web.c.example", "/"),
        Err(404),
        "namespace c"
    );
    assert_eq!(
        endpoints(&first, "ops.a.example", "/"),
        Err(404),
        "not selected"
    );
    assert_eq!(
        driver.stats().lists,
        9,
        "the class, and four kinds in each of two namespaces"
    );

    // A relist of one namespace keeps the other's objects, and catches its deletions.
    store
        .delete("networking.k8s.io/v1", "Ingress", Some("a"), "web")
        .expect("delete");
    store.expire_history();
    let relisted = until(&driver, "a/web gone", |s| {
        endpoints(s, "web.a.example", "/") == Err(404)
    })
    .await;
    assert_eq!(endpoints(&relisted, "web.b.example", "/"), Err(503));
    let deadline = Instant::now() + WAIT;
    while driver.stats().lists < 18 {
        assert!(
            Instant::now() < deadline,
            "every watcher relists after a 410"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let now = driver.snapshot().expect("snapshot");
    assert_eq!(
        endpoints(&now, "web.b.example", "/"),
        Err(503),
        "b survives a's relist"
    );
    assert_eq!(endpoints(&now, "web.a.example", "/"), Err(404));
    driver.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_that_do_not_move_routing_publish_nothing() {
    let server = seeded().await;
    let kube = client(&server);
    let driver = Driver::start(kube.clone(), config());
    let first = ready(&driver).await;
    let before = driver.stats();

    // A status write (what a controller does to every Ingress it serves) and a label on a
    // Service: watch events, but the same routing.
    let ingresses: Api<Ingress> = Api::namespaced(kube, "default");
    let status = json!({"status": {"loadBalancer": {"ingress": [{"ip": "192.168.49.5"}]}}});
    ingresses
        .patch_status("echo-v1", &PatchParams::default(), &Patch::Merge(&status))
        .await
        .expect("status");
    server
        .store()
        .merge_patch(
            "v1",
            "Service",
            None,
            "echo-v2",
            &json!({"metadata": {"labels": {"audited": "yes"}}}),
        )
        .expect("label");
    let deadline = Instant::now() + WAIT;
    while driver.stats().events < before.events + 2 {
        assert!(Instant::now() < deadline, "the events never arrived");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Past the quiet delay: still the first snapshot.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(driver.stats().published, before.published);
    let now = driver.snapshot().expect("snapshot");
    assert!(Arc::ptr_eq(&now, &first), "the same snapshot");
    driver.shutdown().await;
    server.shutdown().await;
}

/// The `events.k8s.io/v1` Events in the store: (kind, name, uid, note) of what each regards.
fn events(server: &ApiServer) -> Vec<(String, String, String, String)> {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let mut events: Vec<_> = server
        .store()
        .list("events.k8s.io/v1", "Event", None)
        .iter()
        .map(|e| {
            assert_eq!(e["type"], "Warning");
            assert_eq!(e["reason"], "Skipped");
            let r = &e["regarding"];
            (
                text(&r["kind"]),
                text(&r["name"]),
                text(&r["uid"]),
                text(&e["note"]),
            )
        })
        .collect();
    events.sort();
    events
}

async fn until_events(server: &ApiServer, n: usize) -> Vec<(String, String, String, String)> {
    let deadline = Instant::now() + WAIT;
    loop {
        let now = events(server);
        if now.len() >= n {
            return now;
        }
        assert!(Instant::now() < deadline, "only these Events: {now:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skipped_objects_get_kubernetes_events_while_leading() {
    let server = seeded().await;
    let store = server.store();
    let broken = store
        .apply(malformed_ingress("broken", "broken.example"))
        .expect("malformed");
    // What the index cannot use: a TLS Secret without its key.
    let cert = store
        .apply(
            json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
            "metadata": {"name": "cert", "namespace": "default"},
            "data": {"tls.crt": "Y2VydA=="}}),
        )
        .expect("secret");
    let (leader, leading) = tokio::sync::watch::channel(false);
    let reporting = EventReporting {
        reporter: "ingress-gateway".into(),
        leader: leading,
    };
    let driver = Driver::start(client(&server), config().events(reporting));
    ready(&driver).await;
    assert_eq!(driver.errors().len(), 2, "{:?}", driver.errors());

    // Not leading: nothing is written.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(events(&server).is_empty(), "{:?}", events(&server));

    // Leading: the standing problems are reported once, on the objects (uids included).
    leader.send_replace(true);
    let reported = until_events(&server, 2).await;
    let uid = |o: &Value| o["metadata"]["uid"].as_str().unwrap_or_default().to_owned();
    assert_eq!(reported.len(), 2, "{reported:?}");
    assert_eq!(
        (&reported[0].0, &reported[0].1, &reported[0].2),
        (&"Ingress".to_owned(), &"broken".to_owned(), &uid(&broken))
    );
    assert!(reported[0].3.contains(BAD_PORT), "{}", reported[0].3);
    assert_eq!(
        (&reported[1].0, &reported[1].1, &reported[1].2),
        (&"Secret".to_owned(), &"cert".to_owned(), &uid(&cert))
    );
    assert!(reported[1].3.contains("data[tls.key]"), "{}", reported[1].3);

    // A new problem while leading: reported as it is seen.
    let other = store
        .apply(malformed_ingress("other", "other.example"))
        .expect("malformed");
    let reported = until_events(&server, 3).await;
    assert!(
        reported
            .iter()
            .any(|e| e.1 == "other" && e.2 == uid(&other)),
        "{reported:?}"
    );

    // Leadership lost: nothing more is written.
    leader.send_replace(false);
    tokio::time::sleep(Duration::from_millis(100)).await;
    store
        .apply(malformed_ingress("third", "third.example"))
        .expect("malformed");
    let deadline = Instant::now() + WAIT;
    while !driver.errors().iter().any(|e| e.object.name() == "third") {
        assert!(
            Instant::now() < deadline,
            "third never reported: {:?}",
            driver.errors()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(events(&server).len(), 3, "{:?}", events(&server));
    driver.shutdown().await;
    server.shutdown().await;
}
