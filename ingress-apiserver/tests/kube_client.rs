//! A real `kube::Client` (kube 5) against the server: CRUD, conflicts, the status
//! subresource, and `kube::runtime::watcher` recovering from closed streams, 500s, 410s and
//! a server that goes away and comes back.

mod support;

use std::time::Duration;

use futures::{Stream, StreamExt};
use ingress_apiserver::{ApiServer, ServerConfig, Verb};
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::utils::Backoff;
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::json;
use support::{WAIT, eventually};

fn client(server: &ApiServer) -> kube::Client {
    let config = kube::Config::new(server.url().parse().expect("server URL"));
    kube::Client::try_from(config).expect("kube client")
}

fn ingress(name: &str, host: &str) -> Ingress {
    serde_json::from_value(json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": name, "labels": {"app": "echo"}},
        "spec": {"rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix",
            "backend": {"service": {"name": "echo-v1", "port": {"number": 3000}}}}]}}]}
    }))
    .expect("ingress")
}

fn api_status(err: kube::Error) -> (u16, String) {
    match err {
        kube::Error::Api(status) => (status.code, status.reason),
        other => panic!("expected an API error Status, got {other:?}"),
    }
}

#[tokio::test]
async fn crud_conflicts_and_status_subresource() {
    let server = ApiServer::start().await.unwrap();
    let api: Api<Ingress> = Api::namespaced(client(&server), "default");
    let pp = PostParams::default();

    let created = api
        .create(&pp, &ingress("echo", "v1.echo.192.168.49.5.sslip.io"))
        .await
        .unwrap();
    let meta = &created.metadata;
    assert!(meta.uid.is_some() && meta.creation_timestamp.is_some());
    assert_eq!(meta.generation, Some(1));
    let (code, reason) = api_status(
        api.create(&pp, &ingress("echo", "x.example"))
            .await
            .unwrap_err(),
    );
    assert_eq!((code, reason.as_str()), (409, "AlreadyExists"));

    let got = api.get("echo").await.unwrap();
    assert_eq!(got.metadata.resource_version, meta.resource_version);
    let list = api
        .list(&ListParams::default().labels("app=echo"))
        .await
        .unwrap();
    assert_eq!(list.items.len(), 1);
    assert!(list.metadata.continue_.is_none());
    assert!(
        api.list(&ListParams::default().labels("app!=echo"))
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert_eq!(
        api.list(&ListParams::default().fields("metadata.name=echo"))
            .await
            .unwrap()
            .items
            .len(),
        1
    );

    // Replace: fresh resourceVersion succeeds, the stale one is a 409 Conflict.
    let mut changed = got.clone();
    changed.spec.as_mut().unwrap().ingress_class_name = Some("nginx".into());
    let replaced = api.replace("echo", &pp, &changed).await.unwrap();
    assert_eq!(replaced.metadata.generation, Some(2));
    let (code, reason) = api_status(api.replace("echo", &pp, &changed).await.unwrap_err());
    assert_eq!((code, reason.as_str()), (409, "Conflict"));
    let (code, _) = api_status(
        api.replace("missing", &pp, &ingress("missing", "m.example"))
            .await
            .unwrap_err(),
    );
    assert_eq!(code, 404);

    // Merge patch; a status in a main-resource patch is ignored; the status subresource sets it.
    let patched = api
        .patch(
            "echo",
            &PatchParams::default(),
            &Patch::Merge(json!({
            "metadata": {"annotations": {"a": "b"}},
            "status": {"loadBalancer": {"ingress": [{"ip": "10.9.9.9"}]}}})),
        )
        .await
        .unwrap();
    assert_eq!(patched.metadata.annotations.unwrap()["a"], "b");
    assert!(
        patched
            .status
            .and_then(|s| s.load_balancer)
            .and_then(|lb| lb.ingress)
            .is_none()
    );
    let status = json!({"status": {"loadBalancer": {"ingress": [{"ip": "192.168.49.5"}]}}});
    let with_status = api
        .patch_status("echo", &PatchParams::default(), &Patch::Merge(&status))
        .await
        .unwrap();
    let lb = with_status
        .status
        .unwrap()
        .load_balancer
        .unwrap()
        .ingress
        .unwrap();
    assert_eq!(lb[0].ip.as_deref(), Some("192.168.49.5"));
    assert_eq!(
        with_status.metadata.generation,
        Some(2),
        "status changes do not bump generation"
    );
    assert_eq!(
        api.get_status("echo")
            .await
            .unwrap()
            .spec
            .unwrap()
            .ingress_class_name
            .as_deref(),
        Some("nginx")
    );

    // Dry run changes nothing.
    let dry = PatchParams {
        dry_run: true,
        ..PatchParams::default()
    };
    api.patch(
        "echo",
        &dry,
        &Patch::Merge(json!({"spec": {"ingressClassName": "dry"}})),
    )
    .await
    .unwrap();
    assert_eq!(
        api.get("echo")
            .await
            .unwrap()
            .spec
            .unwrap()
            .ingress_class_name
            .as_deref(),
        Some("nginx")
    );

    // Delete answers a Status; a second delete is 404.
    let deleted = api.delete("echo", &DeleteParams::default()).await.unwrap();
    assert!(deleted.is_right(), "delete answers a Status");
    assert!(
        server
            .store()
            .get("networking.k8s.io/v1", "Ingress", None, "echo")
            .is_none()
    );
    let (code, reason) = api_status(
        api.delete("echo", &DeleteParams::default())
            .await
            .unwrap_err(),
    );
    assert_eq!((code, reason.as_str()), (404, "NotFound"));

    // Cluster-scoped and other kinds work the same way.
    let cms: Api<ConfigMap> = Api::all(client(&server));
    server
        .store()
        .load(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: team}\ndata: {k: v}\n",
        )
        .unwrap();
    assert_eq!(
        cms.list(&ListParams::default()).await.unwrap().items.len(),
        1
    );
    assert_eq!(server.requests().count(Verb::List, "configmaps"), 1);
    server.shutdown().await;
}

/// Retry after errors every 50 ms (the default backoff's 800 ms would slow the tests).
struct Every50ms;

impl Iterator for Every50ms {
    type Item = Duration;
    fn next(&mut self) -> Option<Duration> {
        Some(Duration::from_millis(50))
    }
}

impl Backoff for Every50ms {
    fn reset(&mut self) {}
}

type Events =
    std::pin::Pin<Box<dyn Stream<Item = Result<watcher::Event<Ingress>, watcher::Error>> + Send>>;

/// What the watcher said, as short strings: `init`, `init-apply NAME`, `init-done`,
/// `apply NAME`, `delete NAME`, `error`.
async fn next(events: &mut Events) -> String {
    let item = tokio::time::timeout(WAIT, events.next())
        .await
        .expect("watcher produced nothing within the wait")
        .expect("watcher stream ended");
    let name = |i: &Ingress| i.metadata.name.clone().unwrap_or_default();
    match item {
        Ok(watcher::Event::Init) => "init".into(),
        Ok(watcher::Event::InitApply(i)) => format!("init-apply {}", name(&i)),
        Ok(watcher::Event::InitDone) => "init-done".into(),
        Ok(watcher::Event::Apply(i)) => format!("apply {}", name(&i)),
        Ok(watcher::Event::Delete(i)) => format!("delete {}", name(&i)),
        Err(_) => "error".into(),
    }
}

/// Read events until `want` arrives; returns everything read, `want` last.
async fn until(events: &mut Events, want: &str) -> Vec<String> {
    let mut seen = Vec::new();
    for _ in 0..50 {
        let event = next(events).await;
        seen.push(event.clone());
        if event == want {
            return seen;
        }
    }
    panic!("never saw {want:?}; saw {seen:?}");
}

fn watch_ingresses(server: &ApiServer, config: watcher::Config) -> (Api<Ingress>, Events) {
    let api: Api<Ingress> = Api::namespaced(client(server), "default");
    let events = watcher(api.clone(), config).backoff(Every50ms).boxed();
    (api, events)
}

#[tokio::test]
async fn watcher_sees_changes_and_recovers_from_closed_streams_500s_and_410s() {
    let server = ApiServer::start().await.unwrap();
    let log = server.requests();
    let (api, mut events) = watch_ingresses(&server, watcher::Config::default());
    assert_eq!(until(&mut events, "init-done").await, ["init", "init-done"]);
    assert_eq!(log.count(Verb::List, "ingresses"), 1);

    let pp = PostParams::default();
    api.create(&pp, &ingress("a", "a.example")).await.unwrap();
    assert_eq!(next(&mut events).await, "apply a");
    api.patch(
        "a",
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"ingressClassName": "x"}})),
    )
    .await
    .unwrap();
    assert_eq!(next(&mut events).await, "apply a");
    api.delete("a", &DeleteParams::default()).await.unwrap();
    assert_eq!(next(&mut events).await, "delete a");

    // The watch stream is closed: the watcher (a lazy stream, so only when polled) watches
    // again from where it was, and the change made meanwhile is replayed; no relist.
    server.faults().close_watches();
    eventually("the watch stream to end", || server.open_watches() == 0).await;
    api.create(&pp, &ingress("b", "b.example")).await.unwrap();
    assert_eq!(next(&mut events).await, "apply b");
    assert_eq!(log.count(Verb::Watch, "ingresses"), 2);
    assert_eq!(log.count(Verb::List, "ingresses"), 1);

    // The next watch request fails with a 500: an error, then a successful re-watch.
    server.faults().fail_requests("watch=true", 1, 500);
    server.faults().close_watches();
    assert_eq!(next(&mut events).await, "error");
    server
        .store()
        .apply(serde_json::to_value(ingress("c", "c.example")).unwrap())
        .unwrap();
    assert_eq!(next(&mut events).await, "apply c");
    assert_eq!(
        log.count(Verb::Watch, "ingresses"),
        4,
        "initial, after the close, the 500, the retry"
    );
    assert_eq!(log.count(Verb::List, "ingresses"), 1);
    assert!(
        log.records()
            .iter()
            .any(|r| r.verb == Verb::Watch && r.status == 500)
    );

    // History expires: the open watch ends with a 410 ERROR event and the watcher relists.
    server.store().expire_history();
    let seen = until(&mut events, "init-done").await;
    assert_eq!(
        seen,
        ["error", "init", "init-apply b", "init-apply c", "init-done"]
    );
    assert_eq!(log.count(Verb::List, "ingresses"), 2);
    api.delete("b", &DeleteParams::default()).await.unwrap();
    assert_eq!(next(&mut events).await, "delete b");
    server.shutdown().await;
}

#[tokio::test]
async fn watcher_relists_after_the_server_was_away_and_history_expired() {
    let server = ApiServer::start().await.unwrap();
    let log = server.requests();
    let (api, mut events) = watch_ingresses(&server, watcher::Config::default());
    until(&mut events, "init-done").await;
    api.create(&PostParams::default(), &ingress("a", "a.example"))
        .await
        .unwrap();
    assert_eq!(next(&mut events).await, "apply a");

    // Gone: connections refused. Meanwhile the cluster changes and the history is lost.
    server.pause().await.unwrap();
    assert_eq!(
        next(&mut events).await,
        "error",
        "re-watching a paused server fails"
    );
    let store = server.store();
    store
        .apply(serde_json::to_value(ingress("b", "b.example")).unwrap())
        .unwrap();
    store.expire_history();
    server.resume().await.unwrap();

    // Back: the resumed watch is too old (410 in the stream), so the watcher relists.
    let seen = until(&mut events, "init-done").await;
    let tail = &seen[seen.len() - 4..];
    assert_eq!(
        tail,
        ["init", "init-apply a", "init-apply b", "init-done"],
        "saw {seen:?}"
    );
    assert_eq!(log.count(Verb::List, "ingresses"), 2);
    server.shutdown().await;
}

#[tokio::test]
async fn streaming_list_watcher_uses_initial_events_and_bookmarks() {
    let config = ServerConfig {
        bookmark_interval: Duration::from_millis(100),
        ..ServerConfig::default()
    };
    let server = ApiServer::start_with("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
    server
        .store()
        .apply(serde_json::to_value(ingress("a", "a.example")).unwrap())
        .unwrap();
    let (api, mut events) = watch_ingresses(&server, watcher::Config::default().streaming_lists());
    assert_eq!(
        until(&mut events, "init-done").await,
        ["init", "init-apply a", "init-done"]
    );
    api.create(&PostParams::default(), &ingress("b", "b.example"))
        .await
        .unwrap();
    assert_eq!(next(&mut events).await, "apply b");
    let log = server.requests();
    assert_eq!(
        log.count(Verb::List, "ingresses"),
        0,
        "a streaming list needs no list request"
    );
    assert_eq!(log.count(Verb::Watch, "ingresses"), 1);
    let watch = log
        .records()
        .into_iter()
        .find(|r| r.verb == Verb::Watch)
        .unwrap();
    assert!(
        watch.query.contains("sendInitialEvents=true"),
        "{}",
        watch.query
    );
    server.shutdown().await;
}
