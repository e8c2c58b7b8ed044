//! Live mode (`--kube`) in-process against the in-process API server, with echo backends on
//! loopback: routes follow Ingresses edited and deleted through the API (kubectl, a second
//! client), traffic follows EndpointSlices, no endpoints is a 503; and the deployment's own
//! arguments (`examples/deploy/gateway.yaml`) parse.
//!
//! Needs `kubectl` on PATH; fails with a clear message without it.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use clap::Parser;
use ingress_apiserver::{ApiServer, Kubectl};
use ingress_gateway::cli::Args;
use ingress_gateway::demo::Demo;
use ingress_gateway::echo::Echo;
use ingress_gateway::live::Live;
use serde_json::json;

use crate::support::{self, HttpClient, V1, V2, client};

/// The longest any one wait (a start, a kubectl run, routes following a change) may take:
/// longer than [`support::WAIT`], for the API server, its watches and kubectl.
const KUBE_WAIT: Duration = Duration::from_secs(30);
const SEED_V1: &str = include_str!("../../../../testdata/seed/echo-v1.yaml");
const RENAMED: &str = "renamed.echo.192.168.49.5.sslip.io";

/// Our class, the cluster default, as installing the gateway would create it.
const CLASS: &str = r#"
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: gateway
  annotations: {ingressclass.kubernetes.io/is-default-class: "true"}
spec: {controller: example.com/ingress-gateway}
"#;

/// What one request got: the status and the replica that answered (none for the gateway's
/// own answers).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Answer {
    status: u16,
    replica: Option<String>,
}

fn answer(status: u16, replica: Option<&str>) -> Answer {
    Answer {
        status,
        replica: replica.map(str::to_owned),
    }
}

struct Http {
    client: HttpClient,
    gateway: SocketAddr,
}

impl Http {
    fn new(gateway: SocketAddr) -> Http {
        Http {
            client: client(),
            gateway,
        }
    }

    async fn get(&self, host: &str) -> Answer {
        let reply =
            support::get_within(&self.client, self.gateway, Some(host), "/", &[], KUBE_WAIT).await;
        Answer {
            status: reply.status.as_u16(),
            replica: reply.replica,
        }
    }

    /// Asks until `host` gets `want` (polls every 50 ms, for at most [`KUBE_WAIT`]).
    async fn until(&self, host: &str, want: &Answer) {
        let deadline = Instant::now() + KUBE_WAIT;
        loop {
            let got = self.get(host).await;
            if &got == want {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{host}: still {got:?} after {KUBE_WAIT:?}, want {want:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The EndpointSlice controller's part for `echo-v1`, by hand: one slice listing `backend`,
/// or no endpoint at all. (A slice has one port per name; the echoes listen on ports of
/// their own, so one slice lists one of them.)
fn slice(backend: Option<&Echo>) -> serde_json::Value {
    let port = backend.map_or(3000, |e| e.local_addr().port());
    json!({
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {"name": "echo-v1-abcde", "namespace": "default",
                     "labels": {"kubernetes.io/service-name": "echo-v1"}},
        "addressType": "IPv4",
        "ports": [{"port": port, "protocol": "TCP"}],
        "endpoints": backend.iter().map(|e| json!({
            "addresses": [e.local_addr().ip().to_string()],
            "conditions": {"ready": true}
        })).collect::<Vec<_>>()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_follow_the_cluster_without_a_restart() {
    let server = ApiServer::start().await.expect("API server");
    let store = server.store();
    store.load(CLASS).expect("class");
    store.load(SEED_V1).expect("seed");
    let a = Echo::start("echo-v1-a", "default/echo-v1").await.unwrap();
    let b = Echo::start("echo-v1-b", "default/echo-v1").await.unwrap();
    store.apply(slice(Some(&a))).expect("slice");

    let args = Args::try_parse_from([
        "ingress-gateway",
        "--kube",
        "--listen",
        "127.0.0.1:0",
        "--lease=default/ingress-gateway",
        "--identity=gateway-test-0",
        "--publish-address=203.0.113.7",
    ])
    .unwrap();
    let client = kube::Client::try_from(kube::Config::new(server.url().parse().unwrap())).unwrap();
    let live = tokio::time::timeout(
        KUBE_WAIT,
        Live::start(client, &args, std::future::pending()),
    )
    .await
    .expect("the first snapshot in time")
    .expect("live mode starts")
    .expect("not cancelled");
    let http = Http::new(live.local_addr());
    let kubectl = Kubectl::new(&server).unwrap();

    // Served from the first snapshot, at once.
    assert_eq!(http.get(V1).await, answer(200, Some("echo-v1-a")));
    assert_eq!(http.get(RENAMED).await, answer(404, None));

    // The leader writes our address in the status of the Ingress it serves.
    let deadline = Instant::now() + KUBE_WAIT;
    loop {
        let ingress = store
            .get(
                "networking.k8s.io/v1",
                "Ingress",
                Some("default"),
                "echo-v1",
            )
            .expect("the Ingress");
        if ingress["status"]["loadBalancer"]["ingress"] == json!([{"ip": "203.0.113.7"}]) {
            break;
        }
        assert!(Instant::now() < deadline, "no status written: {ingress}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // kubectl renames the host: the new one routes, the old one is gone.
    let renamed = SEED_V1.replacen(V1, RENAMED, 1);
    kubectl.apply("renamed.yaml", &renamed).await.unwrap();
    http.until(RENAMED, &answer(200, Some("echo-v1-a"))).await;
    assert_eq!(http.get(V1).await, answer(404, None));

    // The EndpointSlice moves to the other backend: so does the traffic.
    store.apply(slice(Some(&b))).expect("slice");
    http.until(RENAMED, &answer(200, Some("echo-v1-b"))).await;
    for _ in 0..5 {
        assert_eq!(http.get(RENAMED).await, answer(200, Some("echo-v1-b")));
    }

    // No endpoint left: the rule still matches, its backend is unavailable.
    store.apply(slice(None)).expect("slice");
    http.until(RENAMED, &answer(503, None)).await;

    // kubectl deletes the Ingress: no rule, 404.
    kubectl
        .ok(&["delete", "ingress", "echo-v1", "--namespace=default"])
        .await
        .unwrap();
    http.until(RENAMED, &answer(404, None)).await;

    // Stopping releases the Lease for the next replica.
    tokio::time::timeout(KUBE_WAIT, live.stop())
        .await
        .expect("stops in time");
    let lease = store
        .get(
            "coordination.k8s.io/v1",
            "Lease",
            Some("default"),
            "ingress-gateway",
        )
        .expect("the Lease was taken");
    let holder = lease["spec"]["holderIdentity"].as_str().unwrap_or("");
    assert_eq!(holder, "", "{lease}");
    a.stop().await;
    b.stop().await;
    server.shutdown().await;
}

/// The arguments of the container in `examples/deploy/gateway.yaml`.
fn deployed_args() -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/gateway.yaml");
    let text = std::fs::read_to_string(path).expect("examples/deploy/gateway.yaml");
    let documents: Vec<serde_json::Value> = serde_saphyr::from_multiple(&text).expect("YAML");
    let deployment = documents
        .iter()
        .find(|d| d["kind"] == "Deployment")
        .expect("a Deployment in gateway.yaml");
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    container["args"]
        .as_array()
        .expect("container args")
        .iter()
        .map(|a| a.as_str().expect("string args").to_owned())
        .collect()
}

#[test]
fn the_deployed_arguments_parse() {
    let args = deployed_args();
    assert_eq!(
        args,
        [
            "--kube",
            "--controller=example.com/ingress-gateway",
            "--listen=0.0.0.0:8080",
            "--publish-service=ingress-system/ingress-gateway",
            "--lease=ingress-system/ingress-gateway",
        ]
    );
    let parsed = Args::try_parse_from(std::iter::once("ingress-gateway".to_owned()).chain(args))
        .expect("the deployed arguments parse");
    assert!(parsed.kube && parsed.files.is_empty());
    assert_eq!(parsed.listen, "0.0.0.0:8080".parse().unwrap());
    let config = ingress_gateway::live::controller_config(&parsed);
    assert_eq!(
        config.driver.index.controller,
        "example.com/ingress-gateway"
    );
    let lease = config.lease.expect("a Lease");
    assert_eq!(
        (lease.namespace.as_str(), lease.name.as_str()),
        ("ingress-system", "ingress-gateway")
    );
    assert!(!lease.identity.is_empty());
    assert_eq!(
        config.publish,
        Some(ingress_kube::status::Publish::Service {
            namespace: "ingress-system".into(),
            name: "ingress-gateway".into()
        })
    );
}

/// The replicas answering `host` over `rounds` requests (the round robin visits each in turn).
async fn answering(http: &Http, host: &str, rounds: usize) -> Vec<Option<String>> {
    let mut replicas = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        replicas.push(http.get(host).await.replica);
    }
    replicas.sort();
    replicas.dedup();
    replicas
}

/// Asks until the replicas answering `host` over six requests are `want` (bounded by
/// [`KUBE_WAIT`]).
async fn until_replicas(http: &Http, host: &str, want: &[&str]) {
    let want: Vec<Option<String>> = want.iter().map(|r| Some((*r).to_owned())).collect();
    let deadline = Instant::now() + KUBE_WAIT;
    loop {
        let got = answering(http, host, 6).await;
        if got == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{host}: answered by {got:?} after {KUBE_WAIT:?}, want {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `--demo --kube`, the founding example's flow: the cluster starts with echo-v1 only;
/// `kubectl apply -f echo-v2.yaml` (the seed's file: Ingress, Deployment and Service) makes
/// the v2 host answer from three new replicas; scaling the Deployment to one leaves one;
/// `kubectl delete -f` takes the host and its replicas away; the gateway writes its address in
/// the status of what it serves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kube_demo_follows_kubectl_apply_scale_and_delete() {
    let seed = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/seed");
    let (v1_file, v2_file) = (
        format!("{seed}/echo-v1.yaml"),
        format!("{seed}/echo-v2.yaml"),
    );
    let args = Args::try_parse_from([
        "ingress-gateway",
        "--demo",
        "--kube",
        "-f",
        &v1_file,
        "--listen",
        "127.0.0.1:0",
    ])
    .unwrap();
    let demo = tokio::time::timeout(KUBE_WAIT, Demo::start(&args))
        .await
        .expect("the demo starts in time")
        .expect("the demo starts");
    let v1_replicas = ["echo-v1-1", "echo-v1-2", "echo-v1-3"];
    assert_eq!(demo.replicas(), v1_replicas);
    let outcomes = tokio::time::timeout(KUBE_WAIT, demo.run_checks())
        .await
        .unwrap();
    assert_eq!(outcomes.len(), 5, "3 x v1, unknown host, /healthz");
    for outcome in &outcomes {
        assert!(outcome.ok(), "{outcome}");
    }
    let cluster = demo.cluster().expect("--kube runs the demo's cluster");
    let kubectl = Kubectl::new(cluster.server()).unwrap();
    let http = Http::new(demo.local_addr());
    assert_eq!(http.get(V2).await, answer(404, None));

    let applied = kubectl
        .ok(&["apply", "--validate=false", "-f", &v2_file])
        .await
        .unwrap();
    assert!(
        applied.contains("deployment.apps/echo-v2 created"),
        "{applied}"
    );
    until_replicas(&http, V2, &["echo-v2-1", "echo-v2-2", "echo-v2-3"]).await;
    let pods = kubectl.ok(&["get", "pods", "-o", "name"]).await.unwrap();
    for pod in ["echo-v1-1", "echo-v2-1", "echo-v2-2", "echo-v2-3"] {
        assert!(pods.contains(&format!("pod/{pod}\n")), "{pod} in {pods}");
    }
    let ready = kubectl
        .ok(&[
            "get",
            "deployment",
            "echo-v2",
            "-o",
            "jsonpath={.status.readyReplicas}",
        ])
        .await
        .unwrap();
    assert_eq!(ready, "3");

    kubectl
        .ok(&[
            "patch",
            "deployment",
            "echo-v2",
            "-p",
            r#"{"spec":{"replicas":1}}"#,
        ])
        .await
        .unwrap();
    until_replicas(&http, V2, &["echo-v2-1"]).await;
    // The v1 host was never disturbed.
    assert_eq!(answering(&http, V1, 6).await.len(), 3);

    kubectl.ok(&["delete", "-f", &v2_file]).await.unwrap();
    http.until(V2, &answer(404, None)).await;
    let deadline = Instant::now() + KUBE_WAIT;
    while demo.replicas() != v1_replicas {
        assert!(
            Instant::now() < deadline,
            "still running: {:?}",
            demo.replicas()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let address = kubectl
        .ok(&[
            "get",
            "ingress",
            "echo-v1",
            "-o",
            "jsonpath={.status.loadBalancer.ingress[0].ip}",
        ])
        .await
        .unwrap();
    assert_eq!(address, "127.0.0.1");
    let commands = demo.kubectl_commands(&args);
    assert!(
        commands.iter().any(|c| c
            == &format!(
                "kubectl --server {} apply --validate=false -f {v1_file}",
                cluster.url()
            )),
        "{commands:?}"
    );
    drop(kubectl);
    demo.stop().await;
}
