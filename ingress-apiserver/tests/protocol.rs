//! The wire protocol checked with a raw HTTP/1.1 client: discovery documents, watch
//! semantics (resume, 410, initial events, bookmarks, selectors, timeouts), Status errors,
//! patch formats, dry runs, and the fault switches.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use ingress_apiserver::{ApiServer, ResourceType, ServerConfig, Verb};
use serde_json::{Value, json};
use support::{RawWatch, WAIT, eventually, request};

const ING: &str = "/apis/networking.k8s.io/v1/namespaces/default/ingresses";

async fn get(addr: SocketAddr, path: &str) -> support::Answer {
    request(addr, "GET", path, None, "", WAIT).await
}

async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    content_type: &str,
    body: &Value,
) -> support::Answer {
    request(
        addr,
        method,
        path,
        Some(content_type),
        &body.to_string(),
        WAIT,
    )
    .await
}

fn ingress(name: &str, labels: Value) -> Value {
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
           "metadata": {"name": name, "namespace": "default", "labels": labels},
           "spec": {"defaultBackend": {"service": {"name": "echo-v1", "port": {"number": 3000}}}}})
}

fn assert_status(answer: &support::Answer, code: u16, reason: &str) {
    assert_eq!(answer.status, code, "{}", answer.body);
    let status = answer.json();
    assert_eq!(status["kind"], "Status", "{}", answer.body);
    assert_eq!(status["status"], "Failure");
    assert_eq!(status["code"], code);
    assert_eq!(status["reason"], reason, "{}", answer.body);
    assert!(!status["message"].as_str().unwrap_or_default().is_empty());
}

#[tokio::test]
async fn discovery_documents() {
    let server = ApiServer::start().await.unwrap();
    let addr = server.addr();
    let version = get(addr, "/version").await.json();
    assert_eq!(
        (version["major"].as_str(), version["minor"].as_str()),
        (Some("1"), Some("32"))
    );
    assert_eq!(get(addr, "/api").await.json()["versions"], json!(["v1"]));
    let groups = get(addr, "/apis").await.json();
    assert_eq!(groups["kind"], "APIGroupList");
    let names: Vec<&str> = groups["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    for g in [
        "networking.k8s.io",
        "discovery.k8s.io",
        "apps",
        "coordination.k8s.io",
        "events.k8s.io",
    ] {
        assert!(names.contains(&g), "{names:?} lacks {g}");
    }
    let core = get(addr, "/api/v1").await.json();
    let svc = core["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "services")
        .unwrap();
    assert_eq!(
        (svc["kind"].as_str(), svc["namespaced"].as_bool()),
        (Some("Service"), Some(true))
    );
    assert_eq!(svc["shortNames"], json!(["svc"]));
    assert!(svc["verbs"].as_array().unwrap().contains(&json!("watch")));
    let net = get(addr, "/apis/networking.k8s.io/v1").await.json();
    let names: Vec<&str> = net["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ingresses", "ingresses/status", "ingressclasses"]);
    assert_eq!(
        get(addr, "/apis/networking.k8s.io").await.json()["preferredVersion"]["version"],
        "v1"
    );

    // Aggregated discovery requested: plain documents as application/json, so clients fall back.
    let answer = request(addr, "GET", "/apis", None, "", WAIT).await;
    assert!(
        answer
            .headers
            .to_ascii_lowercase()
            .contains("content-type: application/json\r"),
        "{}",
        answer.headers
    );
    for path in [
        "/openapi/v2",
        "/openapi/v3",
        "/apis/nope/v1",
        "/apis/networking.k8s.io/v1/widgets",
    ] {
        assert_status(&get(addr, path).await, 404, "NotFound");
    }

    // A registered custom resource is discovered and served.
    server.store().register(
        ResourceType::new("example.com", "v1", "Widget", "widgets", true).with_short_names(&["wd"]),
    );
    let doc = get(addr, "/apis/example.com/v1").await.json();
    assert_eq!(doc["resources"][0]["shortNames"], json!(["wd"]));
    let created = send(
        addr,
        "POST",
        "/apis/example.com/v1/namespaces/default/widgets",
        "application/json",
        &json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(
        get(addr, "/apis/example.com/v1/widgets").await.json()["kind"],
        "WidgetList"
    );
}

#[tokio::test]
async fn watch_resume_initial_events_and_410() {
    let server = ApiServer::start().await.unwrap();
    let addr = server.addr();
    let store = server.store();
    store.apply(ingress("a", json!({}))).unwrap();
    let rv_a = store.resource_version();

    // No resourceVersion: the current objects as ADDED, then changes.
    let mut w = RawWatch::open(addr, &format!("{ING}?watch=true")).await;
    assert_eq!(w.status, 200);
    assert_eq!(w.next_brief().await, Some(("ADDED".into(), "a".into())));
    store.apply(ingress("b", json!({}))).unwrap();
    let event = w.next().await.unwrap();
    assert_eq!(
        (
            event["type"].as_str(),
            event["object"]["metadata"]["name"].as_str()
        ),
        (Some("ADDED"), Some("b"))
    );
    assert_eq!(
        event["object"]["metadata"]["resourceVersion"],
        store.resource_version().to_string()
    );
    store
        .delete("networking.k8s.io/v1", "Ingress", None, "b")
        .unwrap();
    let deleted = w.next().await.unwrap();
    assert_eq!(deleted["type"], "DELETED");
    assert_eq!(
        deleted["object"]["metadata"]["resourceVersion"],
        store.resource_version().to_string(),
        "a DELETED event carries the deletion's resourceVersion"
    );

    // Resume after a resourceVersion: exactly the changes after it, replayed.
    let mut w = RawWatch::open(
        addr,
        &format!("/apis/networking.k8s.io/v1/ingresses?watch=1&resourceVersion={rv_a}"),
    )
    .await;
    assert_eq!(w.next_brief().await, Some(("ADDED".into(), "b".into())));
    assert_eq!(w.next_brief().await, Some(("DELETED".into(), "b".into())));

    // sendInitialEvents: initial ADDED events then the annotated bookmark.
    let path = format!(
        "{ING}?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&resourceVersion="
    );
    let mut w = RawWatch::open(addr, &path).await;
    assert_eq!(w.next_brief().await, Some(("ADDED".into(), "a".into())));
    let bookmark = w.next().await.unwrap();
    assert_eq!(bookmark["type"], "BOOKMARK");
    assert_eq!(bookmark["object"]["kind"], "Ingress");
    assert_eq!(
        bookmark["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"],
        "true"
    );
    assert_eq!(
        bookmark["object"]["metadata"]["resourceVersion"],
        store.resource_version().to_string()
    );
    let bad = get(addr, &format!("{ING}?watch=true&sendInitialEvents=true")).await;
    assert_status(&bad, 422, "Invalid");

    // History expired: the open watch ends with ERROR 410, and so does a resume from before.
    let mut open = RawWatch::open(addr, &format!("{ING}?watch=true&resourceVersion={rv_a}")).await;
    assert_eq!(open.next_brief().await.unwrap().0, "ADDED");
    assert_eq!(open.next_brief().await.unwrap().0, "DELETED");
    store.expire_history();
    for mut w in [
        open,
        RawWatch::open(addr, &format!("{ING}?watch=true&resourceVersion={rv_a}")).await,
    ] {
        assert_eq!(w.status, 200, "a too-old watch still answers 200");
        let error = w.next().await.unwrap();
        assert_eq!(error["type"], "ERROR");
        assert_eq!(error["object"]["kind"], "Status");
        assert_eq!(error["object"]["code"], 410);
        assert_eq!(error["object"]["reason"], "Expired");
        assert!(
            w.next().await.is_none(),
            "the stream ends after the ERROR event"
        );
    }
    // Resuming from the current resourceVersion works after the expiry.
    let now = store.resource_version();
    let mut w = RawWatch::open(addr, &format!("{ING}?watch=true&resourceVersion={now}")).await;
    store.apply(ingress("c", json!({}))).unwrap();
    assert_eq!(w.next_brief().await, Some(("ADDED".into(), "c".into())));
    assert_eq!(
        get(addr, &format!("{ING}?watch=true&resourceVersion=abc"))
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn watch_selectors_bookmarks_and_timeout() {
    let config = ServerConfig {
        bookmark_interval: Duration::from_millis(50),
        ..ServerConfig::default()
    };
    let server = ApiServer::start_with("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
    let addr = server.addr();
    let store = server.store();
    let mut w = RawWatch::open(addr, &format!("{ING}?watch=true&labelSelector=app%3Dweb")).await;
    store.apply(ingress("other", json!({"app": "db"}))).unwrap();
    store.apply(ingress("web", json!({"app": "web"}))).unwrap();
    assert_eq!(
        w.next_brief().await,
        Some(("ADDED".into(), "web".into())),
        "non-matching objects are not sent"
    );
    store
        .apply(ingress("other", json!({"app": "web"})))
        .unwrap();
    assert_eq!(
        w.next_brief().await,
        Some(("ADDED".into(), "other".into())),
        "starting to match is ADDED"
    );
    store.apply(ingress("web", json!({"app": "api"}))).unwrap();
    assert_eq!(
        w.next_brief().await,
        Some(("DELETED".into(), "web".into())),
        "ceasing to match is DELETED"
    );

    let mut w = RawWatch::open(addr, &format!("{ING}?watch=true&fieldSelector=metadata.name%3Dweb&allowWatchBookmarks=true&timeoutSeconds=1")).await;
    assert_eq!(w.next_brief().await, Some(("ADDED".into(), "web".into())));
    let mut bookmarks = 0;
    while let Some(event) = w.next().await {
        assert_eq!(event["type"], "BOOKMARK", "only bookmarks follow: {event}");
        bookmarks += 1;
    }
    assert!(bookmarks > 0, "periodic bookmarks were sent");
    // The stream ended by itself (timeoutSeconds=1) without an ERROR.
    assert_eq!(
        server
            .requests()
            .count(Verb::Watch, "ingresses.networking.k8s.io"),
        2
    );
    eventually("watch tasks to end", || server.open_watches() == 1).await;
}

#[tokio::test]
async fn tables_for_kubectl_get() {
    let server = ApiServer::start().await.unwrap();
    let addr = server.addr();
    server.store().apply(ingress("a", json!({}))).unwrap();
    let table = |path: String| async move {
        tokio::time::timeout(WAIT, async {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            let head = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAccept: application/json;as=Table;v=v1;g=meta.k8s.io,application/json\r\n\r\n");
            s.write_all(head.as_bytes()).await.unwrap();
            let mut raw = String::new();
            s.read_to_string(&mut raw).await.unwrap();
            let body = raw.split_once("\r\n\r\n").unwrap().1.to_owned();
            serde_json::from_str::<Value>(&body).unwrap()
        })
        .await
        .expect("table answer in time")
    };
    let list = table(ING.to_owned()).await;
    assert_eq!(
        (list["kind"].as_str(), list["apiVersion"].as_str()),
        (Some("Table"), Some("meta.k8s.io/v1"))
    );
    assert_eq!(list["columnDefinitions"][2]["name"], "Hosts");
    assert_eq!(list["rows"][0]["cells"][0], "a");
    assert_eq!(list["rows"][0]["cells"][2], "*", "no rule hosts");
    assert_eq!(list["rows"][0]["object"]["kind"], "PartialObjectMetadata");
    assert_eq!(
        list["metadata"]["resourceVersion"],
        server.store().resource_version().to_string()
    );
    let one = table(format!("{ING}/a?includeObject=Object")).await;
    assert_eq!(one["rows"][0]["object"]["kind"], "Ingress");
    let cm = table("/api/v1/namespaces/default/configmaps".to_owned()).await;
    let names: Vec<&str> = cm["columnDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Name", "Age"]);
    // Plain JSON is still the default.
    assert_eq!(get(addr, ING).await.json()["kind"], "IngressList");
    // Watch events are one-row Tables; only the first carries the column definitions.
    let accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";
    let mut w = RawWatch::open_accepting(addr, &format!("{ING}?watch=true"), accept).await;
    let first = w.next().await.unwrap();
    assert_eq!(
        (first["type"].as_str(), first["object"]["kind"].as_str()),
        (Some("ADDED"), Some("Table"))
    );
    assert!(first["object"]["columnDefinitions"].is_array());
    server.store().apply(ingress("b", json!({}))).unwrap();
    let second = w.next().await.unwrap();
    assert_eq!(second["object"]["rows"][0]["cells"][0], "b");
    assert!(second["object"].get("columnDefinitions").is_none());
}

#[tokio::test]
async fn status_errors_with_real_codes() {
    let server = ApiServer::start().await.unwrap();
    let addr = server.addr();
    let json_ct = "application/json";
    let created = send(addr, "POST", ING, json_ct, &ingress("a", json!({}))).await;
    assert_eq!(created.status, 201);
    let rv = created.json()["metadata"]["resourceVersion"].clone();
    assert_status(
        &send(addr, "POST", ING, json_ct, &ingress("a", json!({}))).await,
        409,
        "AlreadyExists",
    );
    assert_status(&get(addr, &format!("{ING}/missing")).await, 404, "NotFound");
    assert_status(
        &send(addr, "PUT", ING, json_ct, &ingress("a", json!({}))).await,
        405,
        "MethodNotAllowed",
    );
    assert_status(
        &send(
            addr,
            "PATCH",
            &format!("{ING}/a"),
            "application/apply-patch+yaml",
            &json!({}),
        )
        .await,
        415,
        "UnsupportedMediaType",
    );
    assert_status(
        &send(
            addr,
            "POST",
            ING,
            "application/vnd.kubernetes.protobuf",
            &json!({}),
        )
        .await,
        415,
        "UnsupportedMediaType",
    );
    assert_status(
        &request(addr, "POST", ING, Some(json_ct), "{not json", WAIT).await,
        400,
        "BadRequest",
    );
    let nameless = json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {}});
    let invalid = send(addr, "POST", ING, json_ct, &nameless).await;
    assert_status(&invalid, 422, "Invalid");
    assert_eq!(
        invalid.json()["details"]["causes"][0]["field"],
        "metadata.name"
    );
    let wrong_kind = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"}});
    assert_status(
        &send(addr, "POST", ING, json_ct, &wrong_kind).await,
        400,
        "BadRequest",
    );
    let mut other_ns = ingress("b", json!({}));
    other_ns["metadata"]["namespace"] = "elsewhere".into();
    assert_status(
        &send(addr, "POST", ING, json_ct, &other_ns).await,
        400,
        "BadRequest",
    );
    assert_status(
        &get(addr, &format!("{ING}?labelSelector=a%20in%20(b")).await,
        400,
        "BadRequest",
    );
    assert_status(
        &get(
            addr,
            "/apis/networking.k8s.io/v1/namespaces/default/ingressclasses",
        )
        .await,
        404,
        "NotFound",
    );
    assert_status(&get(addr, &format!("{ING}/a/scale")).await, 404, "NotFound");

    // Stale resourceVersion in a PUT, and a failed delete precondition: 409 Conflict.
    let mut stale = ingress("a", json!({"x": "1"}));
    stale["metadata"]["resourceVersion"] = json!("1");
    assert_status(
        &send(addr, "PUT", &format!("{ING}/a"), json_ct, &stale).await,
        409,
        "Conflict",
    );
    stale["metadata"]["resourceVersion"] = rv.clone();
    assert_eq!(
        send(addr, "PUT", &format!("{ING}/a"), json_ct, &stale)
            .await
            .status,
        200
    );
    let precondition = json!({"preconditions": {"resourceVersion": rv}});
    assert_status(
        &send(addr, "DELETE", &format!("{ING}/a"), json_ct, &precondition).await,
        409,
        "Conflict",
    );

    // Injected failures answer a Status with the chosen code, then stop.
    server.faults().fail_next(1);
    assert_status(&get(addr, &format!("{ING}/a")).await, 500, "InternalError");
    server.faults().fail_requests("/ingresses/a", 2, 503);
    assert_status(
        &get(addr, &format!("{ING}/a")).await,
        503,
        "ServiceUnavailable",
    );
    assert_eq!(
        get(addr, "/version").await.status,
        200,
        "only matching requests fail"
    );
    assert_status(
        &get(addr, &format!("{ING}/a")).await,
        503,
        "ServiceUnavailable",
    );
    assert_eq!(get(addr, &format!("{ING}/a")).await.status, 200);
}

#[tokio::test]
async fn patch_formats_dry_run_yaml_and_collections() {
    let server = ApiServer::start().await.unwrap();
    let addr = server.addr();
    let store = server.store();
    let deploy = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "echo-v1"},
        "spec": {"replicas": 1, "template": {"spec": {"containers": [
            {"name": "echo", "image": "echo:1", "env": [{"name": "PORT", "value": "3000"}]},
            {"name": "sidecar", "image": "proxy:1"}]}}},
        "status": {"replicas": 1}});
    store.apply(deploy).unwrap();
    let path = "/apis/apps/v1/namespaces/default/deployments/echo-v1";

    let smp = json!({"spec": {"template": {"spec": {"containers": [{"name": "echo", "image": "echo:2"}]}}}});
    let patched = send(
        addr,
        "PATCH",
        path,
        "application/strategic-merge-patch+json",
        &smp,
    )
    .await
    .json();
    let containers = &patched["spec"]["template"]["spec"]["containers"];
    assert_eq!(
        (
            containers[0]["image"].as_str(),
            containers[1]["image"].as_str()
        ),
        (Some("echo:2"), Some("proxy:1"))
    );
    assert_eq!(
        containers[0]["env"][0]["value"], "3000",
        "merged by name, not replaced"
    );
    assert_eq!(patched["metadata"]["generation"], 2);

    let merge = json!({"spec": {"replicas": 3}, "status": {"replicas": 9}});
    let patched = send(addr, "PATCH", path, "application/merge-patch+json", &merge)
        .await
        .json();
    assert_eq!(
        (
            patched["spec"]["replicas"].as_i64(),
            patched["status"]["replicas"].as_i64()
        ),
        (Some(3), Some(1))
    );
    let patched = send(
        addr,
        "PATCH",
        &format!("{path}/status"),
        "application/merge-patch+json",
        &merge,
    )
    .await
    .json();
    assert_eq!(
        (
            patched["spec"]["replicas"].as_i64(),
            patched["status"]["replicas"].as_i64()
        ),
        (Some(3), Some(9))
    );

    let ops = json!([{"op": "test", "path": "/spec/replicas", "value": 3}, {"op": "replace", "path": "/spec/replicas", "value": 4}]);
    let patched = send(addr, "PATCH", path, "application/json-patch+json", &ops)
        .await
        .json();
    assert_eq!(patched["spec"]["replicas"], 4);
    let failing = json!([{"op": "test", "path": "/spec/replicas", "value": 99}]);
    assert_status(
        &send(addr, "PATCH", path, "application/json-patch+json", &failing).await,
        422,
        "Invalid",
    );
    let stale = json!({"metadata": {"resourceVersion": "1"}, "spec": {"replicas": 5}});
    assert_status(
        &send(addr, "PATCH", path, "application/merge-patch+json", &stale).await,
        409,
        "Conflict",
    );

    // dryRun=All answers as if, changes nothing.
    let rv = store.resource_version();
    let dry = send(
        addr,
        "PATCH",
        &format!("{path}?dryRun=All&fieldManager=kubectl"),
        "application/merge-patch+json",
        &json!({"spec": {"replicas": 7}}),
    )
    .await;
    assert_eq!(dry.json()["spec"]["replicas"], 7);
    let cm = "/api/v1/namespaces/default/configmaps";
    let yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: cfg-\n  labels: {app: echo}\ndata: {a: '1'}\n";
    assert_eq!(
        request(
            addr,
            "POST",
            &format!("{cm}?dryRun=All"),
            Some("application/yaml"),
            yaml,
            WAIT
        )
        .await
        .status,
        201
    );
    assert_eq!(
        send(
            addr,
            "DELETE",
            &format!("{path}?dryRun=All"),
            "application/json",
            &json!({})
        )
        .await
        .status,
        200
    );
    assert_eq!(store.resource_version(), rv, "dry runs wrote nothing");
    assert_eq!(
        store.get("apps/v1", "Deployment", None, "echo-v1").unwrap()["spec"]["replicas"],
        4
    );

    // YAML bodies, generateName, deletecollection by label.
    for _ in 0..2 {
        let created = request(addr, "POST", cm, Some("application/yaml"), yaml, WAIT).await;
        assert_eq!(created.status, 201, "{}", created.body);
        assert!(
            created.json()["metadata"]["name"]
                .as_str()
                .unwrap()
                .starts_with("cfg-")
        );
    }
    store
        .apply(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "keep"}}))
        .unwrap();
    let deleted = request(
        addr,
        "DELETE",
        &format!("{cm}?labelSelector=app%3Decho"),
        None,
        "",
        WAIT,
    )
    .await
    .json();
    assert_eq!(deleted["items"].as_array().unwrap().len(), 2);
    let left: Vec<Value> = store.list("v1", "ConfigMap", None);
    assert_eq!(left.len(), 1);
    let gone = send(
        addr,
        "DELETE",
        path,
        "application/json",
        &json!({"propagationPolicy": "Background"}),
    )
    .await
    .json();
    assert_eq!(
        (gone["kind"].as_str(), gone["status"].as_str()),
        (Some("Status"), Some("Success"))
    );
    assert_eq!(gone["details"]["name"], "echo-v1");
}

#[tokio::test]
async fn pause_resume_delay_and_shutdown() {
    let server = ApiServer::start().await.unwrap();
    let addr = server.addr();
    let mut w = RawWatch::open(addr, &format!("{ING}?watch=true")).await;
    server.pause().await.unwrap();
    assert!(w.next().await.is_none(), "pausing cuts open watches");
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "a paused server refuses connections"
    );
    server.resume().await.unwrap();
    assert_eq!(get(addr, "/healthz").await.status, 200);
    assert_eq!(server.addr(), addr);

    // A delayed server: a client that waits less than the delay gets nothing.
    server.faults().set_delay(Duration::from_secs(3));
    let waited = tokio::time::timeout(Duration::from_millis(300), async {
        let mut w = RawWatch::open(addr, "/version").await;
        w.next().await
    })
    .await;
    assert!(waited.is_err(), "the answer was delayed");
    server.faults().set_delay(Duration::ZERO);

    // Shutdown ends watches cleanly and closes the port; so does dropping the handle.
    let mut w = RawWatch::open(addr, &format!("{ING}?watch=true")).await;
    eventually("the watch to open", || server.open_watches() >= 1).await;
    server.shutdown().await;
    assert!(w.next().await.is_none(), "shutdown ends watch streams");
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    let dropped = ApiServer::start().await.unwrap();
    let addr = dropped.addr();
    drop(dropped);
    eventually("the dropped server to stop listening", || {
        std::net::TcpStream::connect(addr).is_err()
    })
    .await;
}
