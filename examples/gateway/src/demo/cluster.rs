//! `--demo --kube`: the founding example's cluster, in this process. `ingress-apiserver`
//! serves the API on loopback and holds the manifests' objects; this module plays the two
//! parts of a cluster the gateway does not: kubelet (each replica of each Deployment becomes a
//! running echo backend on loopback, shown as a `Running` Pod, and the Deployment's status
//! counts them) and the EndpointSlice controller (each Service with a selector gets an
//! EndpointSlice per selected replica, listing the replica's address under every Service port).
//!
//! Both react to every change stored in the API server, whoever made it: `kubectl apply` of a
//! file with an Ingress, a Deployment and a Service makes the Deployment's replicas start and
//! the Service's EndpointSlices appear, which the gateway (a `kube::Client` of the same server,
//! through `ingress-kube`) follows as in a cluster. Scaling a Deployment (`kubectl patch` of
//! `spec.replicas`) starts or stops replicas; deleting it stops them and their slices go.
//!
//! Simplifications, said once: a replica is named `{deployment}-{n}` (no ReplicaSet or hash);
//! a change of a Deployment's Pod template does not roll its replicas (their labels follow the
//! template at once); the slices' `managed-by` label is this demo's, so slices written by hand
//! are never touched.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use ingress_apiserver::{ApiServer, Store, parse_documents};
use k8s_openapi::api::core::v1::Service;
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::DemoError;
use super::deployments::{Deployment, manifest_files};
use crate::echo::Echo;

/// The `endpointslice.kubernetes.io/managed-by` value of the slices the demo writes (the real
/// controller's is `endpointslice-controller.k8s.io`).
pub const MANAGED_BY: &str = "ingress-gateway-demo";

/// The label naming the replica a demo Pod or EndpointSlice stands for.
const REPLICA_LABEL: &str = "ingress-gateway.example.com/demo-replica";

/// The IngressClass the demo's cluster starts with: the one `examples/deploy/gateway.yaml`
/// installs, ours and the cluster default, so that the founding example's class-less
/// Ingresses are served as they would be after installing the gateway.
pub const CLASS_NAME: &str = "gateway";

/// The demo's cluster: the API server, and the task playing kubelet and the EndpointSlice
/// controller.
#[derive(Debug)]
pub struct Cluster {
    server: ApiServer,
    roster: Arc<Mutex<Vec<(String, SocketAddr)>>>,
    stop: watch::Sender<bool>,
    task: JoinHandle<Kubelet>,
}

impl Cluster {
    /// Starts the API server on `listen`, creates our IngressClass (controller `controller`),
    /// stores every object of `files` (a document that does not store is reported, the rest
    /// goes on), starts the replicas and slices they call for, and keeps doing so on every
    /// change. Returns the cluster and the documents skipped.
    pub async fn start(
        listen: SocketAddr,
        controller: &str,
        files: &[PathBuf],
    ) -> Result<(Cluster, Vec<String>), DemoError> {
        let server = ApiServer::start_on(listen)
            .await
            .map_err(|source| DemoError::ApiServer {
                addr: listen,
                source,
            })?;
        let store = server.store().clone();
        let mut problems = Vec::new();
        let class = json!({
            "apiVersion": "networking.k8s.io/v1",
            "kind": "IngressClass",
            "metadata": {
                "name": CLASS_NAME,
                "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"},
            },
            "spec": {"controller": controller},
        });
        if let Err(e) = store.apply(class) {
            problems.push(format!("IngressClass {CLASS_NAME}: {e}"));
        }
        for path in files {
            for file in manifest_files(path, &mut problems) {
                load_file(&store, &file, &mut problems);
            }
        }

        let mut kubelet = Kubelet::default();
        let roster = Arc::new(Mutex::new(Vec::new()));
        // One pass before anyone watches, so that the gateway's first snapshot has endpoints.
        kubelet.reconcile(&store, &roster).await;
        let (stop, mut stopped) = watch::channel(false);
        let mut changes = store.changes();
        let task_roster = roster.clone();
        let task = tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = stopped.changed() => break,
                    changed = changes.changed() => if changed.is_err() { break },
                }
                changes.borrow_and_update();
                kubelet.reconcile(&store, &task_roster).await;
            }
            kubelet
        });
        Ok((
            Cluster {
                server,
                roster,
                stop,
                task,
            },
            problems,
        ))
    }

    /// The API server's URL (`http://127.0.0.1:PORT`), for `kubectl --server` and clients.
    pub fn url(&self) -> &str {
        self.server.url()
    }

    /// The API server.
    pub fn server(&self) -> &ApiServer {
        &self.server
    }

    /// A `kube::Client` of the API server (plain HTTP on loopback, no credentials).
    pub fn client(&self) -> Result<kube::Client, DemoError> {
        let url = self
            .server
            .url()
            .parse()
            .map_err(|e: http::uri::InvalidUri| DemoError::Client(e.to_string()))?;
        kube::Client::try_from(kube::Config::new(url)).map_err(|e| DemoError::Client(e.to_string()))
    }

    /// The replicas running now, by name, with their addresses, in Deployment order.
    pub fn replicas(&self) -> Vec<(String, SocketAddr)> {
        self.roster
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Stops the reconciling task, every replica, then the API server.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Ok(kubelet) = self.task.await {
            kubelet.stop().await;
        }
        self.server.shutdown().await;
    }
}

/// Stores every document of one file, reporting each that does not parse or store.
fn load_file(store: &Store, file: &std::path::Path, problems: &mut Vec<String>) {
    let name = file.display();
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) => return problems.push(format!("{name}: {e}")),
    };
    let documents = match parse_documents(&text) {
        Ok(documents) => documents,
        Err(e) => return problems.push(format!("{name}: {e}")),
    };
    for (i, document) in documents.into_iter().enumerate() {
        let kind = document["kind"].as_str().unwrap_or("(no kind)").to_owned();
        if let Err(e) = store.apply(document) {
            problems.push(format!("{name}: document {}: {kind}: {e}", i + 1));
        }
    }
}

/// The running replicas, by Deployment (`namespace`, `name`).
#[derive(Debug, Default)]
struct Kubelet {
    pods: BTreeMap<(String, String), Vec<Echo>>,
}

impl Kubelet {
    /// Brings replicas, Pods, Deployment status and EndpointSlices in line with the
    /// Deployments and Services stored now. Writes that change nothing are not stored, so the
    /// pass this pass's own writes wake is quiet.
    async fn reconcile(&mut self, store: &Store, roster: &Mutex<Vec<(String, SocketAddr)>>) {
        let deployments: Vec<Deployment> = store
            .list("apps/v1", "Deployment", None)
            .into_iter()
            .filter_map(|object| {
                Deployment::from_value(object)
                    .map_err(|e| tracing::warn!("demo cluster: skipped a Deployment: {e}"))
                    .ok()
            })
            .collect();
        let services: Vec<Service> = store
            .list("v1", "Service", None)
            .into_iter()
            .filter_map(|object| {
                serde_json::from_value(object)
                    .map_err(|e| tracing::warn!("demo cluster: skipped a Service: {e}"))
                    .ok()
            })
            .collect();

        self.run_replicas(&deployments, &services).await;
        let running: Vec<(String, SocketAddr)> = deployments
            .iter()
            .flat_map(|d| self.replicas_of(d))
            .map(|echo| (echo.name.clone(), echo.local_addr()))
            .collect();
        *roster
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = running;

        self.write_pods(store, &deployments);
        self.write_slices(store, &deployments, &services);
    }

    fn replicas_of(&self, d: &Deployment) -> &[Echo] {
        self.pods
            .get(&(d.namespace.clone(), d.name.clone()))
            .map_or(&[], Vec::as_slice)
    }

    /// Starts missing replicas and stops extra ones, and those of deleted Deployments.
    async fn run_replicas(&mut self, deployments: &[Deployment], services: &[Service]) {
        let wanted: BTreeSet<(String, String)> = deployments
            .iter()
            .map(|d| (d.namespace.clone(), d.name.clone()))
            .collect();
        let gone: Vec<_> = self
            .pods
            .keys()
            .filter(|key| !wanted.contains(*key))
            .cloned()
            .collect();
        for key in gone {
            for echo in self.pods.remove(&key).unwrap_or_default() {
                tracing::info!("demo cluster: stopping replica {}", echo.name);
                echo.stop().await;
            }
        }
        for d in deployments {
            let pods = self
                .pods
                .entry((d.namespace.clone(), d.name.clone()))
                .or_default();
            let replicas = usize::try_from(d.replicas).unwrap_or(usize::MAX);
            while pods.len() > replicas {
                if let Some(echo) = pods.pop() {
                    tracing::info!("demo cluster: stopping replica {}", echo.name);
                    echo.stop().await;
                }
            }
            while pods.len() < replicas {
                let name = format!("{}-{}", d.name, pods.len() + 1);
                let stands_for = selecting(d, services).join(",");
                match Echo::start(&name, &stands_for).await {
                    Ok(echo) => {
                        tracing::info!(
                            "demo cluster: replica {name} running on {}",
                            echo.local_addr()
                        );
                        pods.push(echo);
                    }
                    Err(e) => {
                        tracing::warn!("demo cluster: cannot start replica {name}: {e}");
                        break;
                    }
                }
            }
        }
    }

    /// A `Running`, ready Pod per replica, and each Deployment's status.
    fn write_pods(&self, store: &Store, deployments: &[Deployment]) {
        let mut wanted = BTreeSet::new();
        for d in deployments {
            let replicas = self.replicas_of(d);
            for echo in replicas {
                wanted.insert((d.namespace.clone(), echo.name.clone()));
                let mut labels = d.labels.clone();
                labels.insert(REPLICA_LABEL.to_owned(), echo.name.clone());
                let pod = json!({
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {"name": echo.name, "namespace": d.namespace, "labels": labels},
                    "spec": {"containers": [{
                        "name": "echo",
                        "ports": [{"containerPort": echo.local_addr().port()}],
                    }]},
                    "status": {
                        "phase": "Running",
                        "podIP": echo.local_addr().ip().to_string(),
                        "conditions": [{"type": "Ready", "status": "True"}],
                    },
                });
                write(store, pod);
            }
            let count = replicas.len();
            let status = json!({"status": {
                "replicas": count,
                "readyReplicas": count,
                "availableReplicas": count,
                "updatedReplicas": count,
            }});
            if let Err(e) = store.merge_patch(
                "apps/v1",
                "Deployment",
                Some(&d.namespace),
                &d.name,
                &status,
            ) {
                tracing::warn!(
                    "demo cluster: status of Deployment {}/{}: {e}",
                    d.namespace,
                    d.name
                );
            }
        }
        delete_unwanted(store, "v1", "Pod", &wanted);
    }

    /// An EndpointSlice per Service with a selector and replica it selects: the replica's
    /// address, ready, under every port of the Service (each replica listens on a port of its
    /// own, so, as the real controller groups endpoints by port set, each gets its own slice).
    fn write_slices(&self, store: &Store, deployments: &[Deployment], services: &[Service]) {
        let mut wanted = BTreeSet::new();
        for service in services {
            let namespace = service.metadata.namespace.as_deref().unwrap_or("default");
            let Some(name) = service.metadata.name.as_deref() else {
                continue;
            };
            let ports = service
                .spec
                .as_ref()
                .and_then(|s| s.ports.as_deref())
                .unwrap_or_default();
            let selector = service
                .spec
                .as_ref()
                .and_then(|s| s.selector.clone())
                .unwrap_or_default();
            for d in deployments
                .iter()
                .filter(|d| d.selected_by(namespace, &selector))
            {
                for echo in self.replicas_of(d) {
                    let slice_name = format!("{name}-{}", echo.name);
                    wanted.insert((namespace.to_owned(), slice_name.clone()));
                    let addr = echo.local_addr();
                    let ports: Vec<Value> = ports
                        .iter()
                        .map(|p| {
                            json!({
                                "name": p.name.clone().unwrap_or_default(),
                                "port": addr.port(),
                                "protocol": p.protocol.clone().unwrap_or_else(|| "TCP".into()),
                            })
                        })
                        .collect();
                    let family = if addr.is_ipv4() { "IPv4" } else { "IPv6" };
                    let slice = json!({
                        "apiVersion": "discovery.k8s.io/v1",
                        "kind": "EndpointSlice",
                        "metadata": {
                            "name": slice_name,
                            "namespace": namespace,
                            "labels": {
                                "kubernetes.io/service-name": name,
                                "endpointslice.kubernetes.io/managed-by": MANAGED_BY,
                                REPLICA_LABEL: echo.name,
                            },
                        },
                        "addressType": family,
                        "endpoints": [{
                            "addresses": [addr.ip().to_string()],
                            "conditions": {"ready": true, "serving": true, "terminating": false},
                            "targetRef": {"kind": "Pod", "namespace": namespace, "name": echo.name},
                        }],
                        "ports": ports,
                    });
                    write(store, slice);
                }
            }
        }
        delete_unwanted(store, "discovery.k8s.io/v1", "EndpointSlice", &wanted);
    }
}

impl Kubelet {
    async fn stop(self) {
        for echo in self.pods.into_values().flatten() {
            echo.stop().await;
        }
    }
}

/// `namespace/name` of the Services selecting the Deployment's Pods.
fn selecting(d: &Deployment, services: &[Service]) -> Vec<String> {
    services
        .iter()
        .filter(|s| {
            let selector = s
                .spec
                .as_ref()
                .and_then(|spec| spec.selector.clone())
                .unwrap_or_default();
            d.selected_by(
                s.metadata.namespace.as_deref().unwrap_or("default"),
                &selector,
            )
        })
        .map(|s| {
            format!(
                "{}/{}",
                s.metadata.namespace.as_deref().unwrap_or("default"),
                s.metadata.name.as_deref().unwrap_or_default()
            )
        })
        .collect()
}

fn write(store: &Store, object: Value) {
    let what = format!("{} {}", object["kind"], object["metadata"]["name"]);
    if let Err(e) = store.apply(object) {
        tracing::warn!("demo cluster: writing {what}: {e}");
    }
}

/// Deletes the objects of a kind this demo wrote (they carry the replica label) that are not
/// in `wanted` (`namespace`, `name`).
fn delete_unwanted(
    store: &Store,
    api_version: &str,
    kind: &str,
    wanted: &BTreeSet<(String, String)>,
) {
    for object in store.list(api_version, kind, None) {
        let metadata = &object["metadata"];
        if metadata["labels"][REPLICA_LABEL].is_null() {
            continue;
        }
        let namespace = metadata["namespace"].as_str().unwrap_or("default");
        let name = metadata["name"].as_str().unwrap_or_default();
        if !wanted.contains(&(namespace.to_owned(), name.to_owned()))
            && let Err(e) = store.delete(api_version, kind, Some(namespace), name)
        {
            tracing::warn!("demo cluster: deleting {kind} {namespace}/{name}: {e}");
        }
    }
}

/// Who answers at which address, for the demo's checks.
pub fn replica_of(replicas: &[(String, SocketAddr)]) -> HashMap<SocketAddr, String> {
    replicas
        .iter()
        .map(|(name, addr)| (*addr, name.clone()))
        .collect()
}
