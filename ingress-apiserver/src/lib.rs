//! An in-process Kubernetes API server for tests and demos: plain HTTP on loopback, the real
//! wire protocol, objects of any kind kept as JSON.
//!
//! No kube-apiserver, etcd or container engine is needed. A test starts an [`ApiServer`],
//! points a `kube::Client` (or `kubectl --server URL`) at it, seeds or changes objects
//! directly through [`ApiServer::store`], breaks things on purpose through
//! [`ApiServer::faults`], and counts what the client did with [`ApiServer::requests`].
//!
//! # What it serves
//!
//! * **Discovery**: `/version`, `/api`, `/apis`, `/apis/{group}`, `/api/v1`,
//!   `/apis/{group}/{version}` (legacy documents only; see [Discovery](crate#discovery)),
//!   `/healthz`. OpenAPI paths answer 404.
//! * **Resources** of the [`Registry`] ([`Registry::builtin`]: namespaces, nodes, services,
//!   endpoints, secrets, configmaps, pods, serviceaccounts, events, ingresses,
//!   ingressclasses, endpointslices, deployments, leases, `events.k8s.io` events; add more
//!   with [`Store::register`] or [`ServerConfig::registry`]).
//! * **Verbs**: list (label and field selectors; `limit`/`continue` are ignored, so a list is
//!   always one complete page), watch (see [Watches](crate#watches)), get, create
//!   (`generateName`, 409 `AlreadyExists`), replace (409 `Conflict` on a stale
//!   `metadata.resourceVersion`), patch (merge, strategic merge — simplified, see [`patch`]
//!   — and JSON patch; server-side apply answers 415), delete (a `Status`; preconditions),
//!   deletecollection, and the `status` subresource. `dryRun=All` changes nothing;
//!   `fieldManager` and `fieldValidation` are accepted and ignored.
//! * **Metadata** the server sets: a global, monotonically increasing `resourceVersion`,
//!   `uid`, `creationTimestamp` (RFC 3339, seconds), `generation` (bumped when anything
//!   outside `metadata` and `status` changes), `namespace` (`default` when a namespaced object
//!   has none, for direct writes). A write that changes nothing is not stored and keeps its
//!   resourceVersion, as on the real server.
//! * **Errors** are `Status` objects with the real reasons and codes ([`ApiError`]).
//!
//! Simplifications (documented where they apply): no authentication, no admission, no
//! finalizers or graceful deletion (deletes are immediate; deleting a namespace deletes its
//! objects at once), no protobuf (clients fall back to JSON), `core/v1` and
//! `events.k8s.io/v1` events are separate collections. `Table` answers (what `kubectl get`
//! prints) have the real columns for Ingress, Service and Deployment, NAME and AGE for
//! other kinds.
//!
//! # Watches
//!
//! `?watch=true` streams newline-delimited `{"type": ..., "object": ...}` events with the
//! real server's `resourceVersion`, `sendInitialEvents`, `allowWatchBookmarks`,
//! `timeoutSeconds` and selector semantics: resuming from a resourceVersion older than the
//! kept history ([`ServerConfig::history_limit`], or after [`Store::expire_history`]) gives an
//! in-stream `ERROR` event with a 410 `Expired` Status. Both `kube::runtime::watcher`
//! strategies work: list-then-watch (the default) and streaming lists (the initial
//! `BOOKMARK` carries the `k8s.io/initial-events-end` annotation).
//!
//! # Discovery
//!
//! Clients that ask for aggregated discovery get the legacy documents as plain
//! `application/json` and fall back to fetching each group version, as `kubectl` (1.32) and
//! client-go do. Without OpenAPI, `kubectl create`/`apply` need `--validate=false`.
//!
//! # Example: a `kube::Client` against it
//!
//! ```
//! use ingress_apiserver::{ApiServer, Verb};
//! use k8s_openapi::api::networking::v1::Ingress;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = ApiServer::start().await?; // 127.0.0.1, a free port
//! server.store().load(r#"
//! apiVersion: networking.k8s.io/v1
//! kind: Ingress
//! metadata: {name: echo, namespace: demo}
//! spec:
//!   rules:
//!   - host: echo.example
//!     http:
//!       paths:
//!       - {path: /, pathType: Prefix, backend: {service: {name: echo, port: {number: 80}}}}
//! "#)?;
//!
//! let config = kube::Config::new(server.url().parse()?);
//! let client = kube::Client::try_from(config)?;
//! let ingresses: kube::Api<Ingress> = kube::Api::namespaced(client, "demo");
//! let echo = ingresses.get("echo").await?;
//! assert_eq!(echo.spec.unwrap().rules.unwrap()[0].host.as_deref(), Some("echo.example"));
//! assert_eq!(server.requests().count(Verb::Get, "ingresses"), 1);
//! server.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Example: direct access and fault switches
//!
//! ```
//! use ingress_apiserver::ApiServer;
//! use serde_json::json;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = ApiServer::start().await?;
//! let store = server.store();
//! let svc = store.apply(json!({"apiVersion": "v1", "kind": "Service",
//!     "metadata": {"name": "echo-v1"}, "spec": {"ports": [{"port": 3000}]}}))?;
//! assert_eq!(svc["metadata"]["namespace"], "default");
//! let rv: u64 = svc["metadata"]["resourceVersion"].as_str().unwrap().parse()?;
//! assert_eq!(rv, store.resource_version());
//!
//! server.faults().fail_next(1);           // the next request gets a 500 Status
//! server.faults().close_watches();        // every open watch ends now
//! store.expire_history();                 // resumes from before now get 410 Expired
//! server.pause().await?;                  // connections refused...
//! server.resume().await?;                 // ...until now, on the same port
//! assert!(store.get("v1", "Service", Some("default"), "echo-v1").is_some());
//! # Ok(()) }
//! ```
//!
//! # Example: kubectl
//!
//! Write [`ApiServer::kubeconfig`] to a file, or pass the URL directly:
//! `kubectl --server http://127.0.0.1:PORT get ingress -A`,
//! `kubectl --server ... apply --validate=false -f manifest.yaml`,
//! `kubectl --server ... get ingress -w`. In a test, [`Kubectl`] does that with a scratch
//! kubeconfig, cache and `HOME` of its own, bounded in time ([`kubectl`]).

mod discovery;
mod error;
mod faults;
mod http;
pub mod kubectl;
mod load;
mod log;
mod meta;
pub mod patch;
mod registry;
mod route;
mod selector;
mod server;
mod store;
mod table;
mod watch;

pub use discovery::KUBERNETES_VERSION;
pub use error::{ApiError, ServerError};
pub use faults::Faults;
pub use kubectl::{Kubectl, KubectlError, KubectlOutput};
pub use load::parse_documents;
pub use log::{RequestLog, RequestRecord, Verb};
pub use registry::{Registry, ResourceType};
pub use selector::{FieldSelector, LabelSelector};
pub use server::{ApiServer, ServerConfig};
pub use store::{EventType, Store};
