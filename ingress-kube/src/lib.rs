//! Keep an [`ingress_router`] table, and the endpoints of every Service it routes to, in sync
//! with a Kubernetes cluster.
//!
//! This crate's core is [`index::Index`]: a synchronous, runtime-free index that is fed
//! Kubernetes objects (the k8s-openapi types) as a watch delivers them and hands out immutable
//! [`index::Snapshot`]s for the data path. It does no I/O: a driver (a kube-runtime watcher, a
//! test, a replay) calls [`Index::apply`](index::Index::apply),
//! [`Index::delete`](index::Index::delete) and [`Index::reset`](index::Index::reset), then
//! publishes [`Index::snapshot`](index::Index::snapshot) when it reports a change.
//!
//! ```
//! use std::net::SocketAddr;
//!
//! use ingress_kube::index::{Index, IndexConfig, Reason, Resolved};
//! use ingress_router::RequestView;
//! use k8s_openapi::api::core::v1::Service;
//! use k8s_openapi::api::discovery::v1::EndpointSlice;
//! use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
//! use serde_json::{from_value, json};
//!
//! let mut index = Index::new(IndexConfig::new("example.com/ingress-gateway"));
//!
//! // Our class, and an Ingress of that class.
//! let class: IngressClass = from_value(json!({
//!     "metadata": {"name": "gateway"},
//!     "spec": {"controller": "example.com/ingress-gateway"}
//! }))?;
//! let ingress: Ingress = from_value(json!({
//!     "metadata": {"name": "shop", "namespace": "prod"},
//!     "spec": {"ingressClassName": "gateway", "rules": [{"host": "shop.example.com", "http": {"paths": [
//!         {"path": "/cart", "pathType": "Prefix",
//!          "backend": {"service": {"name": "cart", "port": {"name": "http"}}}},
//!         {"path": "/", "pathType": "Prefix",
//!          "backend": {"service": {"name": "web", "port": {"number": 80}}}}
//!     ]}}]}
//! }))?;
//! // The Service `cart` and its EndpointSlice: one Pod ready, one not.
//! let service: Service = from_value(json!({
//!     "metadata": {"name": "cart", "namespace": "prod"},
//!     "spec": {"selector": {"app": "cart"},
//!              "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}
//! }))?;
//! let slice = |ready: bool| -> Result<EndpointSlice, serde_json::Error> {
//!     from_value(json!({
//!         "metadata": {"name": "cart-x7k2p", "namespace": "prod",
//!                      "labels": {"kubernetes.io/service-name": "cart"}},
//!         "addressType": "IPv4",
//!         "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
//!         "endpoints": [
//!             {"addresses": ["10.0.0.7"], "conditions": {"ready": true}},
//!             {"addresses": ["10.0.0.8"], "conditions": {"ready": ready}}
//!         ]
//!     }))
//! };
//! index.apply(class);
//! index.apply(ingress);
//! index.apply(service);
//! index.apply(slice(false)?);
//!
//! let first = index.snapshot().snapshot;
//! let routed = first.route(&RequestView::new("shop.example.com", "/cart/items"));
//! assert_eq!(routed.decision.source().unwrap().to_string(), "prod/shop");
//! let pod: SocketAddr = "10.0.0.7:8080".parse()?; // the slice's port: the resolved targetPort
//! assert_eq!(routed.resolved, Some(Resolved::Endpoints(&[pod])));
//! assert_eq!(routed.error_status(), None); // forward
//!
//! // A rule matched, but its Service does not exist: 503, not 404.
//! let routed = first.route(&RequestView::new("shop.example.com", "/"));
//! assert_eq!(routed.resolved.and_then(|r| r.reason()), Some(Reason::ServiceMissing));
//! assert_eq!(routed.error_status(), Some(503));
//! // No rule matched and no default backend: 404.
//! let routed = first.route(&RequestView::new("other.example.com", "/"));
//! assert_eq!(routed.error_status(), Some(404));
//!
//! // The second Pod becomes ready: new endpoints, same route table.
//! let change = index.apply(slice(true)?);
//! assert!(change.routing);
//! let second = index.snapshot();
//! assert!(second.changed);
//! let routed = second.snapshot.route(&RequestView::new("shop.example.com", "/cart"));
//! assert_eq!(routed.resolved.unwrap().endpoints().unwrap().len(), 2);
//! assert!(second.snapshot.table_ptr_eq(&first));
//! // Nothing changed since: the same snapshot again, nothing to publish.
//! assert!(!index.snapshot().changed);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Following a cluster: the driver
//!
//! [`driver::Driver`] is the async layer over the index: one kube-runtime watcher per kind
//! (and per namespace, when given a list), feeding one index in one task, publishing its
//! snapshots through a `tokio::sync::watch` channel. What it guarantees:
//!
//! * **First-list gating**: nothing is published until every kind has been listed once, so a
//!   gateway never starts on a table whose Services or EndpointSlices are still missing.
//! * **Coalescing**: a burst of changes gives one publication, after a quiet delay (default
//!   100 ms, restarted by each change) capped by a maximum delay (default 1 s); a snapshot
//!   equal to the last one is not published.
//! * **The last good snapshot is kept** through API errors, closed watches, `410 Gone` and an
//!   API server that is away, while the watchers retry with kube's default backoff; a relist
//!   replaces its kind's objects, so what was missed is caught up.
//! * **One malformed object is skipped and reported** (a warning naming its kind,
//!   `namespace/name` and field path, and [`Driver::errors`](driver::Driver::errors)), never
//!   failing the list of its kind.
//!
//! ```no_run
//! use ingress_kube::driver::{Driver, DriverConfig};
//! use ingress_kube::index::IndexConfig;
//! use ingress_router::RequestView;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = kube::Client::try_default().await?;
//! let config = DriverConfig::new(IndexConfig::new("example.com/ingress-gateway"));
//! let driver = Driver::start(client, config);
//! let snapshot = driver.ready().await?; // the first snapshot: every kind listed
//! let routed = snapshot.route(&RequestView::new("shop.example.com", "/cart"));
//! println!("{:?} -> {:?}", routed.decision, routed.resolved);
//!
//! let mut updates = driver.subscribe(); // every later publication
//! updates.changed().await?;
//! println!("now generation {:?}", updates.borrow().as_ref().map(|s| s.generation()));
//! driver.shutdown().await; // stops every watcher
//! # Ok(()) }
//! ```
//!
//! The [`driver`] module documents how events map onto the index, and why objects are
//! decoded one by one.
//!
//! # What a gateway answers
//!
//! [`Snapshot::route`](index::Snapshot::route) gives the router's decision and, when a rule or
//! a default backend matched, where that backend leads ([`index::Resolved`]):
//!
//! * **404** only when no rule matched and no default backend applies
//!   (`Decision::NotFound`);
//! * **503** when something matched but its backend resolves to nothing
//!   ([`Resolved::Unavailable`](index::Resolved::Unavailable), with a typed
//!   [`Reason`](index::Reason): the Service or its port is missing, no endpoint is ready, an
//!   `ExternalName` is refused, a `resource` backend). A request for a path an Ingress claims
//!   never falls through to another rule because the Service behind it is down;
//! * otherwise it forwards to one of the endpoints, or to the `ExternalName` host.
//!
//! [`Routed::error_status`](index::Routed::error_status) says exactly this.
//!
//! # What each change costs
//!
//! The table's payload is a stable handle ([`index::Backend`]: namespace, Service, port), never
//! endpoints; resolution lives beside the table in maps of 64 shards that snapshots share.
//!
//! | change | work | route table |
//! |---|---|---|
//! | EndpointSlice, Service | re-resolve that one Service (its slices), copy one shard of the resolution map | shared with the last snapshot |
//! | Secret | copy one shard of the Secret map | shared |
//! | Ingress | [`RouteTable::with_ingress`](ingress_router::RouteTable::with_ingress) / `without_ingress`: only the host groups and TLS names it touches. The router names the Ingresses whose diagnostics it may have moved (`Built::changed`: this one, and those sharing a host group it touched); only theirs are compared | new, sharing every untouched host group |
//! | IngressClass that changes which classes are ours | the table is rebuilt from the stored Ingresses | new |
//! | `reset` of one kind | that part rebuilt once | new only for Ingresses and IngressClasses |
//! | an object equal to the stored one (a status-only update) | one comparison | untouched; `snapshot()` returns the same `Arc` |
//! | [`Index::snapshot`](index::Index::snapshot) | O(1): clones four `Arc`s, and only when something changed | |
//!
//! Measured (`cargo bench -p ingress-kube`, 10 000 Ingresses, Services and slices, a shared
//! 2-core machine; the crate README has the table): an EndpointSlice change and a snapshot
//! take about 7 µs; an Ingress change and a snapshot about 11 µs, against 8 µs for the
//! router's `with_ingress` alone and 190 ms for rebuilding the index from every object;
//! `Snapshot::route` about 70 ns, against 23 ns for the table's `find` alone.
//!
//! [`Snapshot::table_ptr_eq`](index::Snapshot::table_ptr_eq) and
//! [`Snapshot::routes_generation`](index::Snapshot::routes_generation) show which snapshots share
//! a table.
//!
//! # Which Ingresses, and how backends resolve
//!
//! * Class ownership (our IngressClasses by controller name, the class field, the deprecated
//!   annotation, the default class, class-less Ingresses): [`index::classes`].
//! * Service ports, EndpointSlices, readiness, terminating endpoints, IPv6, headless and
//!   `ExternalName` Services: [`index::resolve`].
//! * TLS Secrets for [`Snapshot::certificate_for`](index::Snapshot::certificate_for):
//!   [`index::tls`].
//!
//! Objects come from an API server, which has validated them, so the table is built with
//! [`Validation::Trusted`](ingress_router::Validation::Trusted).
//!
//! # Diagnostics and bad objects
//!
//! [`Index::diagnostics_for`](index::Index::diagnostics_for) gives the router's diagnostics of
//! an Ingress (skipped paths, duplicate or unreachable paths, hosts shared across namespaces,
//! other classes), and every [`index::Change`] names the Ingresses whose diagnostics changed,
//! for a driver to update their status and events. An object the index cannot use (a
//! conversion that fails, an EndpointSlice address that is not an IP, a TLS Secret without its
//! key) is skipped, in part or whole, and reported as an [`index::ObjectError`] with its kind,
//! `namespace/name` and field; it never panics and never holds back the other objects.
//!
//! # Status, under leader election
//!
//! Of several replicas, one writes `status.loadBalancer.ingress`: the one holding a
//! `coordination.k8s.io/v1` Lease ([`lease::LeaderElector`]: optimistic concurrency on
//! `resourceVersion`, expiry measured locally, client-go's 15 s / 10 s / 2 s periods, the
//! Lease released on shutdown). [`status::StatusWriter::sync`] writes our addresses (given,
//! or a publish Service's) on the Ingresses we serve ([`index::Snapshot::serves`]) only where
//! they differ, and clears an Ingress that stopped being ours only if it shows nothing but
//! our addresses.
//!
//! [`controller::Controller`] runs all of it for one replica: the driver (every replica
//! serves), the elector, and while leading, status and a `Warning` Event on each object the
//! driver skipped.

pub mod controller;
pub mod driver;
pub mod index;
pub mod lease;
pub mod status;
