//! kubectl (an independent client) against the server: get, create, apply (create, then a
//! patch computed from the last-applied annotation), patch, delete and `get -w`.
//!
//! These tests need `kubectl` on PATH and fail with a clear message without it.

mod support;

use std::process::Stdio;

use ingress_apiserver::{ApiServer, Kubectl, KubectlOutput, Verb};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

const MANIFEST: &str = include_str!("../testdata/echo-v1.yaml");
const HOST: &str = "v1.echo.192.168.49.5.sslip.io";

#[tokio::test]
async fn kubectl_create_get_patch_delete() {
    let server = ApiServer::start().await.unwrap();
    let kubectl = Kubectl::new(&server).unwrap();
    let manifest = kubectl.write("echo-v1.yaml", MANIFEST).unwrap();
    let out = kubectl
        .ok(&["create", "--validate=false", "-f", &manifest])
        .await
        .unwrap();
    for line in [
        "deployment.apps/echo-v1 created",
        "service/echo-v1 created",
        "ingress.networking.k8s.io/echo-v1 created",
    ] {
        assert!(out.contains(line), "{out}");
    }
    let KubectlOutput {
        success, stderr, ..
    } = kubectl
        .run(&["create", "--validate=false", "-f", &manifest])
        .await
        .unwrap();
    assert!(!success && stderr.contains("AlreadyExists"), "{stderr}");

    let list: Value = serde_json::from_str(
        &kubectl
            .ok(&["get", "ingress", "-A", "-o", "json"])
            .await
            .unwrap(),
    )
    .unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["metadata"]["namespace"], "default");
    assert_eq!(items[0]["spec"]["rules"][0]["host"], HOST);
    assert_eq!(
        items[0]["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"]["number"],
        3000
    );
    // The default output is the server's Table, with the columns of a real cluster.
    let printed = kubectl.ok(&["get", "ingress", "-A"]).await.unwrap();
    let rows: Vec<Vec<&str>> = printed
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows[0],
        [
            "NAMESPACE",
            "NAME",
            "CLASS",
            "HOSTS",
            "ADDRESS",
            "PORTS",
            "AGE"
        ],
        "{printed}"
    );
    assert_eq!(
        rows[1][..5],
        ["default", "echo-v1", "nginx", HOST, "80"],
        "{printed}"
    );
    let printed = kubectl
        .ok(&["get", "svc", "echo-v1", "--no-headers"])
        .await
        .unwrap();
    assert!(
        printed.contains("ClusterIP") && printed.contains("3000/TCP"),
        "{printed}"
    );
    let names = kubectl
        .ok(&["get", "deploy,svc,ing", "-o", "name"])
        .await
        .unwrap();
    assert_eq!(
        names.lines().collect::<Vec<_>>(),
        [
            "deployment.apps/echo-v1",
            "service/echo-v1",
            "ingress.networking.k8s.io/echo-v1"
        ]
    );

    kubectl
        .ok(&[
            "patch",
            "ingress",
            "echo-v1",
            "--type",
            "merge",
            "-p",
            r#"{"spec":{"ingressClassName":"demo"}}"#,
        ])
        .await
        .unwrap();
    kubectl
        .ok(&[
            "patch",
            "deployment",
            "echo-v1",
            "-p",
            r#"{"spec":{"template":{"spec":{"containers":[{"name":"echo","image":"echo:2"}]}}}}"#,
        ])
        .await
        .unwrap();
    kubectl
        .ok(&[
            "patch",
            "svc",
            "echo-v1",
            "--type",
            "json",
            "-p",
            r#"[{"op":"replace","path":"/spec/ports/0/port","value":3001}]"#,
        ])
        .await
        .unwrap();
    let store = server.store();
    let ing = store
        .get("networking.k8s.io/v1", "Ingress", None, "echo-v1")
        .unwrap();
    assert_eq!(ing["spec"]["ingressClassName"], "demo");
    let deploy = store.get("apps/v1", "Deployment", None, "echo-v1").unwrap();
    let container = &deploy["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        (
            container["image"].as_str(),
            container["env"][0]["name"].as_str()
        ),
        (Some("echo:2"), Some("PORT"))
    );
    assert_eq!(
        store.get("v1", "Service", None, "echo-v1").unwrap()["spec"]["ports"][0]["port"],
        3001
    );
    let jsonpath = kubectl
        .ok(&[
            "get",
            "ingress",
            "echo-v1",
            "-o",
            "jsonpath={.spec.ingressClassName}",
        ])
        .await
        .unwrap();
    assert_eq!(jsonpath, "demo");

    let out = kubectl.ok(&["delete", "ingress", "echo-v1"]).await.unwrap();
    assert!(
        out.contains("ingress.networking.k8s.io \"echo-v1\" deleted"),
        "{out}"
    );
    assert!(
        store
            .get("networking.k8s.io/v1", "Ingress", None, "echo-v1")
            .is_none()
    );
    let deleted_again = kubectl
        .run(&["delete", "ingress", "echo-v1"])
        .await
        .unwrap();
    assert!(
        !deleted_again.success && deleted_again.stderr.contains("NotFound"),
        "{deleted_again:?}"
    );
    let unknown = kubectl.run(&["get", "widgets"]).await.unwrap();
    assert!(
        !unknown.success && unknown.stderr.contains("doesn't have a resource type"),
        "{unknown:?}"
    );
}

#[tokio::test]
async fn kubectl_apply_creates_then_patches_from_last_applied() {
    let server = ApiServer::start().await.unwrap();
    let kubectl = Kubectl::new(&server).unwrap();
    let first = kubectl.write("v1.yaml", MANIFEST).unwrap();
    let out = kubectl
        .ok(&["apply", "--validate=false", "-f", &first])
        .await
        .unwrap();
    assert!(
        out.contains("ingress.networking.k8s.io/echo-v1 created"),
        "{out}"
    );
    let store = server.store();
    let ing = store
        .get("networking.k8s.io/v1", "Ingress", None, "echo-v1")
        .unwrap();
    let last_applied =
        ing["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
            .as_str()
            .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(last_applied).unwrap()["spec"]["rules"][0]["host"],
        HOST
    );

    // Second apply: the host changes and the `app` label is gone from the manifest, so the
    // three-way patch sets one and deletes the other.
    let changed = MANIFEST
        .replace(HOST, "v2.echo.192.168.49.5.sslip.io")
        .replace(
            "  labels:\n    app: echo\nspec:\n  ingressClassName",
            "spec:\n  ingressClassName",
        );
    assert_ne!(changed, MANIFEST);
    let second = kubectl.write("v2.yaml", &changed).unwrap();
    let out = kubectl
        .ok(&["apply", "--validate=false", "-f", &second])
        .await
        .unwrap();
    assert!(
        out.contains("ingress.networking.k8s.io/echo-v1 configured"),
        "{out}"
    );
    assert!(out.contains("service/echo-v1 unchanged"), "{out}");
    let ing = store
        .get("networking.k8s.io/v1", "Ingress", None, "echo-v1")
        .unwrap();
    assert_eq!(
        ing["spec"]["rules"][0]["host"],
        "v2.echo.192.168.49.5.sslip.io"
    );
    assert!(
        ing["metadata"]
            .get("labels")
            .is_none_or(|l| l.get("app").is_none()),
        "{ing}"
    );
    assert_eq!(ing["metadata"]["generation"], 2);
    let patch = server
        .requests()
        .records()
        .into_iter()
        .find(|r| r.verb == Verb::Patch && r.is_for("ingresses"));
    assert_eq!(
        patch.map(|r| r.status),
        Some(200),
        "the second apply patched the ingress"
    );

    // Third apply of the same file changes nothing.
    let rv = store.resource_version();
    let out = kubectl
        .ok(&["apply", "--validate=false", "-f", &second])
        .await
        .unwrap();
    assert!(
        out.contains("ingress.networking.k8s.io/echo-v1 unchanged"),
        "{out}"
    );
    assert_eq!(store.resource_version(), rv);
}

#[tokio::test]
async fn kubectl_get_watch_streams_changes() {
    let server = ApiServer::start().await.unwrap();
    server.store().load(MANIFEST).unwrap();
    let kubectl = Kubectl::new(&server).unwrap();
    let mut child = kubectl
        .command(&[
            "get",
            "ingress",
            "-w",
            "-o",
            "jsonpath={.metadata.name} {.spec.ingressClassName}{\"\\n\"}",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubectl on PATH");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut next_line = async || {
        tokio::time::timeout(support::WAIT, lines.next_line())
            .await
            .expect("kubectl get -w printed nothing within the wait")
            .expect("read kubectl output")
            .expect("kubectl get -w ended early")
    };
    assert_eq!(next_line().await, "echo-v1 nginx");
    support::eventually("kubectl to watch", || server.open_watches() == 1).await;
    server
        .store()
        .merge_patch(
            "networking.k8s.io/v1",
            "Ingress",
            None,
            "echo-v1",
            &serde_json::json!({"spec": {"ingressClassName": "changed"}}),
        )
        .unwrap();
    assert_eq!(next_line().await, "echo-v1 changed");
    child.kill().await.expect("kill kubectl");
    assert_eq!(server.requests().count(Verb::Watch, "ingresses"), 1);
}
