//! The async driver: kube-runtime watchers feeding one [`Index`], publishing its snapshots.
//!
//! [`Driver::start`] opens one [`watcher`](kube::runtime::watcher()) per kind (Ingress,
//! IngressClass, Service, EndpointSlice, and Secrets of `type: kubernetes.io/tls`, selected by
//! the API server's field selector; the index passes over any other Secret all the same) and,
//! with [`Namespaces::List`], per namespace. Each watcher runs in its own task; one more task
//! owns the index and applies what they send:
//!
//! | watcher event | index call |
//! |---|---|
//! | `Init`, `InitApply`…, `InitDone` (a list or relist) | collected, then [`Index::reset`] (one table build) |
//! | `Apply` | [`Index::apply`] |
//! | `Delete` | [`Index::delete_named`] |
//!
//! The index is the store: no kube-runtime reflector is kept beside it, which would hold a
//! second copy of every object. With several namespaces a kind has several watchers, and one
//! namespace's relist must not drop the others' objects: the driver then applies the listed
//! objects one by one and deletes those of that namespace the relist no longer shows.
//!
//! # What it guarantees
//!
//! * **Nothing before the first full list.** No snapshot is published until every watcher has
//!   finished its first list: a gateway never serves a table that lacks Services or
//!   EndpointSlices the cluster has (every request to them would be a 503). The first
//!   snapshot is published as soon as the last list is in; [`Driver::ready`] waits for it.
//! * **Coalescing.** After a change the driver waits for [`DriverConfig::quiet_delay`]
//!   (100 ms) without further changes (each one restarts the wait), but never longer than
//!   [`DriverConfig::max_delay`] (1 s) after the first change not yet published; then it
//!   takes [`Index::snapshot`] and publishes it only if it differs from the last one. A burst
//!   of a thousand edits gives a handful of publications, the last one with every edit in it.
//!   The index's own work per change is small (see the [crate documentation](crate)); what is
//!   saved is the data path's swaps and the subscribers' wake-ups.
//! * **The last good snapshot stays.** API errors, closed watches, `410 Gone` and an API
//!   server that is away are logged (`tracing`, warn) and retried by each watcher with kube's
//!   default backoff (exponential from 800 ms to 30 s, jittered); meanwhile the published
//!   snapshot is kept. A watch resumes from its last resourceVersion; one that has expired
//!   relists, and the relist replaces that kind's objects, so deletions missed while away are
//!   caught up.
//! * **One malformed object is one skipped object.** Watchers list and watch JSON and decode
//!   every object on its own (`Lenient<K>` in `watch.rs`), because a typed `Api<Ingress>`
//!   decodes a whole list at once and one object the k8s-openapi type refuses would fail the
//!   list of its kind on every retry. The object is skipped (the version before it is
//!   dropped too: the driver follows the cluster), logged with its kind, `namespace/name`
//!   and field path, and listed in [`Driver::errors`] until it is fixed or deleted, beside
//!   what the index itself could not use. With [`DriverConfig::events`], each skipped object
//!   also gets a Kubernetes Event (type `Warning`, reason [`SKIPPED_REASON`]) while this
//!   replica leads.
//! * **Shutdown stops everything.** [`Driver::shutdown`] (or dropping the [`Driver`]) aborts
//!   every task it started, closing their watches.
//!
//! # What it costs
//!
//! Measured with `tests/live/driver_scale.rs` (`cargo test -p ingress-kube --release --test
//! live driver_scale -- --ignored --nocapture`; a 2-core machine, the in-process API server in the
//! same process): the first snapshot of 10 000 Ingresses, Services and EndpointSlices 0.24 s
//! after start (0.71 s with the other core busy; peak RSS 242 MiB, the server's copy of every
//! object included); with the quiet delay at 0, one edit written to the server and published:
//! Ingress p50 1.38 ms, p99 1.49 ms, max 2.87 ms; EndpointSlice p50 1.31 ms, p99 1.40 ms
//! (200 edits of each; the HTTP watch, JSON decoding and the index included). Each object is decoded twice over (JSON to a `serde_json::Value`,
//! then to its k8s-openapi type): the price of skipping one malformed object alone.
//!
//! # Example
//!
//! Against the in-process API server of this repository's tests (`ingress-apiserver`); a
//! real cluster takes `kube::Client::try_default()` instead, as in the
//! [crate documentation](crate#following-a-cluster-the-driver).
//!
//! ```
//! use std::time::Duration;
//!
//! use ingress_apiserver::ApiServer;
//! use ingress_kube::driver::{Driver, DriverConfig, Published};
//! use ingress_kube::index::IndexConfig;
//! use ingress_router::RequestView;
//!
//! # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = ApiServer::start().await?;
//! server.store().load(r#"
//! apiVersion: networking.k8s.io/v1
//! kind: IngressClass
//! metadata: {name: gateway}
//! spec: {controller: example.com/ingress-gateway}
//! ---
//! apiVersion: networking.k8s.io/v1
//! kind: Ingress
//! metadata: {name: shop, namespace: prod}
//! spec:
//!   ingressClassName: gateway
//!   rules:
//!   - host: shop.example.com
//!     http:
//!       paths:
//!       - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
//! "#)?;
//! let client = kube::Client::try_from(kube::Config::new(server.url().parse()?))?;
//! let config = DriverConfig::new(IndexConfig::new("example.com/ingress-gateway"));
//! let driver = Driver::start(client, config);
//!
//! let wait = Duration::from_secs(10);
//! let first = tokio::time::timeout(wait, driver.ready()).await??; // every kind listed
//! let shop = RequestView::new("shop.example.com", "/");
//! assert_eq!(first.route(&shop).error_status(), Some(503)); // no Service `web` yet
//!
//! // The Service and its endpoints appear: one new snapshot, on the same route table.
//! let mut snapshots = driver.subscribe();
//! server.store().load(r#"
//! apiVersion: v1
//! kind: Service
//! metadata: {name: web, namespace: prod}
//! spec: {ports: [{port: 80, targetPort: 8080}]}
//! ---
//! apiVersion: discovery.k8s.io/v1
//! kind: EndpointSlice
//! metadata: {name: web-1, namespace: prod, labels: {kubernetes.io/service-name: web}}
//! addressType: IPv4
//! ports: [{port: 8080}]
//! endpoints: [{addresses: [10.0.0.7]}]
//! "#)?;
//! let forwards = |s: &Published| s.as_deref().is_some_and(|s| s.route(&shop).error_status().is_none());
//! let now = tokio::time::timeout(wait, snapshots.wait_for(forwards)).await??.clone().unwrap();
//! let routed = now.route(&shop);
//! assert_eq!(routed.resolved.unwrap().endpoints().unwrap(), ["10.0.0.7:8080".parse()?]);
//! assert!(now.table_ptr_eq(&first));
//!
//! driver.shutdown().await; // every watch closed
//! server.shutdown().await;
//! # Ok(()) }
//! ```

mod coalesce;
mod config;
mod events;
pub(crate) mod watch;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use k8s_openapi::api::core::v1::{Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use kube::runtime::watcher;
use tokio::sync::{Notify, mpsc, watch as channel};
use tokio::task::JoinSet;
use tokio::time::Instant;

pub use config::{DriverConfig, Namespaces};
pub use events::{EventReporting, SKIPPED_REASON};

use crate::index::{
    Change, Index, NamespacedName, Object, ObjectError, ObjectKind, Resource, Snapshot,
    TLS_SECRET_TYPE,
};
use coalesce::Coalescer;
use events::{Events, Skipped};
use watch::{Message, Source};

/// What subscribers receive: `None` until the first full list, then every published snapshot.
pub type Published = Option<Arc<Snapshot>>;

/// How many messages a watcher may queue ahead of the index task.
const QUEUE: usize = 256;

/// The driver stopped (shut down, or its task ended) before the awaited snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the driver stopped before publishing a snapshot")]
pub struct Stopped;

/// Counts of what the driver did, since it started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DriverStats {
    /// Lists and relists finished (one per watcher at start, one more per relist).
    pub lists: u64,
    /// `Apply` and `Delete` events applied to the index (list items not counted).
    pub events: u64,
    /// Snapshots published, the first one included.
    pub published: u64,
    /// Watch errors (failed lists and watches, error events), each retried with backoff.
    pub watch_errors: u64,
    /// Sightings of objects that could not be decoded (listed or watched).
    pub malformed: u64,
}

/// The counters the tasks share.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    lists: AtomicU64,
    events: AtomicU64,
    published: AtomicU64,
    watch_errors: AtomicU64,
    malformed: AtomicU64,
}

/// Follows a cluster and publishes [`Snapshot`]s; see the [module documentation](self).
pub struct Driver {
    snapshots: channel::Receiver<Published>,
    counters: Arc<Counters>,
    errors: Arc<Mutex<Vec<ObjectError>>>,
    tasks: JoinSet<()>,
}

impl fmt::Debug for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver")
            .field("ready", &self.is_ready())
            .field("stats", &self.stats())
            .field("tasks", &self.tasks.len())
            .finish()
    }
}

impl Driver {
    /// Starts the watchers and the index task on the current Tokio runtime.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime (as `tokio::spawn` does).
    pub fn start(client: kube::Client, config: DriverConfig) -> Driver {
        let counters = Arc::new(Counters::default());
        let errors = Arc::new(Mutex::new(Vec::new()));
        let (publish, snapshots) = channel::channel(None);
        let (tx, rx) = mpsc::channel(QUEUE);
        let mut tasks = JoinSet::new();

        let ingresses = match &config.label_selector {
            Some(selector) => watcher::Config::default().labels(selector),
            None => watcher::Config::default(),
        };
        let secrets = watcher::Config::default().fields(&format!("type={TLS_SECRET_TYPE}"));
        let everything = watcher::Config::default;

        let mut sources = Vec::new();
        let mut spawn = |tasks: &mut JoinSet<()>, source: Source, config: watcher::Config| {
            let index = sources.len();
            sources.push(source.clone());
            let (client, tx, counters) = (client.clone(), tx.clone(), counters.clone());
            match source.kind {
                ObjectKind::Ingress => tasks.spawn(watch::run::<Ingress>(
                    client, index, source, config, tx, counters,
                )),
                ObjectKind::IngressClass => tasks.spawn(watch::run::<IngressClass>(
                    client, index, source, config, tx, counters,
                )),
                ObjectKind::Service => tasks.spawn(watch::run::<Service>(
                    client, index, source, config, tx, counters,
                )),
                ObjectKind::EndpointSlice => tasks.spawn(watch::run::<EndpointSlice>(
                    client, index, source, config, tx, counters,
                )),
                ObjectKind::Secret => tasks.spawn(watch::run::<Secret>(
                    client, index, source, config, tx, counters,
                )),
            };
        };
        let class = Source {
            kind: ObjectKind::IngressClass,
            namespace: None,
        };
        spawn(&mut tasks, class, everything());
        for namespace in config.namespaces.scopes() {
            for (kind, config) in [
                (ObjectKind::Ingress, ingresses.clone()),
                (ObjectKind::Service, everything()),
                (ObjectKind::EndpointSlice, everything()),
                (ObjectKind::Secret, secrets.clone()),
            ] {
                let source = Source {
                    kind,
                    namespace: namespace.clone(),
                };
                spawn(&mut tasks, source, config);
            }
        }
        drop(tx);

        let refreshed = Arc::new(Notify::new());
        let reports = config.events.clone().map(|reporting| {
            let (reports, queue) = mpsc::channel(QUEUE);
            let events = Events::new(client.clone(), reporting, errors.clone(), refreshed.clone());
            tasks.spawn(events.run(queue));
            reports
        });
        let worker = Worker::new(
            &config,
            sources,
            publish,
            counters.clone(),
            errors.clone(),
            refreshed,
            reports,
        );
        tasks.spawn(worker.run(rx));
        Driver {
            snapshots,
            counters,
            errors,
            tasks,
        }
    }

    /// A receiver of every published snapshot (`None` until the first full list). A slow
    /// subscriber skips to the latest, which is what a data path wants.
    pub fn subscribe(&self) -> channel::Receiver<Published> {
        self.snapshots.clone()
    }

    /// The latest published snapshot, if any yet.
    pub fn snapshot(&self) -> Published {
        self.snapshots.borrow().clone()
    }

    /// Whether the first snapshot (every kind listed) has been published.
    pub fn is_ready(&self) -> bool {
        self.snapshots.borrow().is_some()
    }

    /// Waits for the first snapshot (every kind listed) and returns the latest.
    pub async fn ready(&self) -> Result<Arc<Snapshot>, Stopped> {
        let mut snapshots = self.snapshots.clone();
        let ready = snapshots
            .wait_for(Option::is_some)
            .await
            .map_err(|_| Stopped)?;
        ready.clone().ok_or(Stopped)
    }

    /// What the driver did so far.
    pub fn stats(&self) -> DriverStats {
        let c = &self.counters;
        DriverStats {
            lists: c.lists.load(Ordering::Relaxed),
            events: c.events.load(Ordering::Relaxed),
            published: c.published.load(Ordering::Relaxed),
            watch_errors: c.watch_errors.load(Ordering::Relaxed),
            malformed: c.malformed.load(Ordering::Relaxed),
        }
    }

    /// The objects skipped in part or whole, as of the last publication: the ones that could
    /// not be decoded and what the index could not use ([`Index::errors`]), sorted by kind and
    /// `namespace/name`.
    pub fn errors(&self) -> Vec<ObjectError> {
        self.errors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Stops every task the driver started (watchers and the index task) and waits for them
    /// to end. Subscribers keep the last snapshot; their `changed()` then fails.
    pub async fn shutdown(mut self) {
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
    }
}

/// One watcher's standing, as the index task sees it.
#[derive(Debug)]
struct SourceState {
    source: Source,
    listed: bool,
    /// Whether other watchers share this one's kind (several namespaces): relists then apply
    /// and delete one by one instead of resetting the kind.
    shared: bool,
    /// The objects this watcher holds (kept only when `shared`).
    known: HashSet<NamespacedName>,
}

impl SourceState {
    fn covers(&self, key: &NamespacedName) -> bool {
        self.source
            .namespace
            .as_deref()
            .is_none_or(|ns| ns == key.namespace())
    }
}

/// The index task.
struct Worker {
    index: Index,
    sources: Vec<SourceState>,
    unlisted: usize,
    coalescer: Coalescer,
    /// Objects that could not be decoded, by kind and name.
    malformed: BTreeMap<(ObjectKind, NamespacedName), ObjectError>,
    publish: channel::Sender<Published>,
    counters: Arc<Counters>,
    errors: Arc<Mutex<Vec<ObjectError>>>,
    /// Told each time `errors` is refreshed (the Event reporter reads it then).
    refreshed: Arc<Notify>,
    /// Where skipped objects go to become Kubernetes Events, when configured.
    reports: Option<mpsc::Sender<Skipped>>,
    started: Instant,
}

impl Worker {
    fn new(
        config: &DriverConfig,
        sources: Vec<Source>,
        publish: channel::Sender<Published>,
        counters: Arc<Counters>,
        errors: Arc<Mutex<Vec<ObjectError>>>,
        refreshed: Arc<Notify>,
        reports: Option<mpsc::Sender<Skipped>>,
    ) -> Self {
        let per_kind = |kind| sources.iter().filter(|s| s.kind == kind).count();
        let sources: Vec<SourceState> = sources
            .iter()
            .map(|source| SourceState {
                source: source.clone(),
                listed: false,
                shared: per_kind(source.kind) > 1,
                known: HashSet::new(),
            })
            .collect();
        Worker {
            index: Index::new(config.index.clone()),
            unlisted: sources.len(),
            sources,
            coalescer: Coalescer::new(config.quiet_delay, config.max_delay),
            malformed: BTreeMap::new(),
            publish,
            counters,
            errors,
            refreshed,
            reports,
            started: Instant::now(),
        }
    }

    async fn run(mut self, mut rx: mpsc::Receiver<Message>) {
        if self.unlisted == 0 {
            self.publish_first();
        }
        loop {
            let deadline = self.coalescer.deadline().filter(|_| self.unlisted == 0);
            tokio::select! {
                // The timer first: a steady stream of events must not hold back the maximum
                // delay.
                biased;
                () = sleep_until(deadline), if deadline.is_some() => self.publish(),
                message = rx.recv() => match message {
                    Some(message) => self.handle(message),
                    None => return, // every watcher stopped
                },
            }
        }
    }

    fn handle(&mut self, message: Message) {
        let changed = match message {
            Message::Listed {
                source,
                objects,
                malformed,
            } => self.listed(source, objects, malformed),
            Message::Applied { source, object } => {
                self.counters.events.fetch_add(1, Ordering::Relaxed);
                self.applied(source, *object)
            }
            Message::Deleted { source, key } => {
                self.counters.events.fetch_add(1, Ordering::Relaxed);
                self.deleted(source, &key)
            }
        };
        if changed {
            self.coalescer.note(Instant::now());
        }
    }

    /// A (re)list of one watcher; returns whether anything changed.
    fn listed(&mut self, source: usize, objects: Vec<Object>, malformed: Vec<Skipped>) -> bool {
        self.counters.lists.fetch_add(1, Ordering::Relaxed);
        let Some(state) = self.sources.get_mut(source) else {
            return false;
        };
        let kind = state.source.kind;
        let first = !state.listed;
        state.listed = true;

        let before = self.malformed.len();
        self.malformed
            .retain(|(k, key), _| *k != kind || !state.covers(key));
        let mut changed = before != self.malformed.len() || !malformed.is_empty();
        for skipped in malformed {
            self.malformed
                .insert((kind, skipped.error.object.clone()), skipped.error.clone());
            report(self.reports.as_ref(), skipped);
        }

        if state.shared {
            let mut now = HashSet::with_capacity(objects.len());
            for object in objects {
                if let Some(key) = identity(&object) {
                    now.insert(key);
                }
                let uid = object.metadata().uid.clone();
                let change = self.index.apply(object);
                changed |= noteworthy(&change);
                for error in change.errors {
                    let uid = uid.clone();
                    report(self.reports.as_ref(), Skipped { error, uid });
                }
            }
            let gone: Vec<NamespacedName> = state.known.difference(&now).cloned().collect();
            state.known = now;
            for key in gone {
                changed |= noteworthy(&delete(&mut self.index, kind, &key));
            }
        } else {
            // The uids, for the Events on what the index cannot use (only when reporting).
            let uids: HashMap<NamespacedName, String> = match self.reports {
                Some(_) => objects
                    .iter()
                    .filter_map(|o| Some((identity(o)?, o.metadata().uid.clone()?)))
                    .collect(),
                None => HashMap::new(),
            };
            let change = reset(&mut self.index, kind, objects);
            changed |= noteworthy(&change);
            for error in change.errors {
                let uid = uids.get(&error.object).cloned();
                report(self.reports.as_ref(), Skipped { error, uid });
            }
        }

        if first {
            self.unlisted -= 1;
            if self.unlisted == 0 {
                self.publish_first();
                return false;
            }
        }
        changed
    }

    fn applied(&mut self, source: usize, object: Result<Object, Skipped>) -> bool {
        let Some(state) = self.sources.get_mut(source) else {
            return false;
        };
        let kind = state.source.kind;
        match object {
            Ok(object) => {
                let key = identity(&object);
                let mut changed = false;
                if let Some(key) = key {
                    changed |= self.malformed.remove(&(kind, key.clone())).is_some();
                    if state.shared {
                        state.known.insert(key);
                    }
                }
                let uid = object.metadata().uid.clone();
                let change = self.index.apply(object);
                changed |= noteworthy(&change);
                for error in change.errors {
                    let uid = uid.clone();
                    report(self.reports.as_ref(), Skipped { error, uid });
                }
                changed
            }
            Err(skipped) => {
                // The version before is dropped: the cluster no longer has it.
                let key = skipped.error.object.clone();
                if state.shared {
                    state.known.remove(&key);
                }
                self.malformed
                    .insert((kind, key.clone()), skipped.error.clone());
                report(self.reports.as_ref(), skipped);
                delete(&mut self.index, kind, &key);
                true
            }
        }
    }

    fn deleted(&mut self, source: usize, key: &NamespacedName) -> bool {
        let Some(state) = self.sources.get_mut(source) else {
            return false;
        };
        let kind = state.source.kind;
        if state.shared {
            state.known.remove(key);
        }
        let was_malformed = self.malformed.remove(&(kind, key.clone())).is_some();
        noteworthy(&delete(&mut self.index, kind, key)) || was_malformed
    }

    fn publish_first(&mut self) {
        let snapshot = self.index.snapshot().snapshot;
        tracing::info!(
            elapsed_ms = self.started.elapsed().as_millis() as u64,
            generation = snapshot.generation(),
            "every kind listed; first snapshot published"
        );
        self.send(snapshot);
    }

    fn publish(&mut self) {
        let publish = self.index.snapshot();
        if publish.changed {
            tracing::debug!(
                generation = publish.snapshot.generation(),
                "snapshot published"
            );
            self.send(publish.snapshot);
        } else {
            self.refresh_errors();
        }
    }

    fn send(&mut self, snapshot: Arc<Snapshot>) {
        self.refresh_errors();
        // Counted first: whoever sees the snapshot sees it counted.
        self.counters.published.fetch_add(1, Ordering::Relaxed);
        self.publish.send_replace(Some(snapshot));
    }

    /// Everything pending is published (or found unchanged): the reports follow.
    fn refresh_errors(&mut self) {
        self.coalescer.clear();
        let mut errors: Vec<ObjectError> = self.malformed.values().cloned().collect();
        errors.extend(self.index.errors().cloned());
        errors.sort_by(|a, b| (a.kind, &a.object).cmp(&(b.kind, &b.object)));
        *self.errors.lock().unwrap_or_else(|e| e.into_inner()) = errors;
        self.refreshed.notify_one();
    }
}

/// Hands a skipped object to the Event reporter, if there is one. Events are best effort: a
/// full queue drops the report (the object is still logged and listed in [`Driver::errors`]).
fn report(reports: Option<&mpsc::Sender<Skipped>>, skipped: Skipped) {
    if let Some(reports) = reports
        && let Err(mpsc::error::TrySendError::Full(skipped)) = reports.try_send(skipped)
    {
        tracing::debug!(object = %skipped.error.object, "Event queue full; report dropped");
    }
}

/// Sleeps until `deadline`; forever without one (the `select!` arm is disabled then).
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// Whether a change is worth a publication attempt: routing moved, or what is reported did.
fn noteworthy(change: &Change) -> bool {
    change.routing || !change.errors.is_empty()
}

fn identity(object: &Object) -> Option<NamespacedName> {
    let meta = object.metadata();
    let namespace = if object.kind() == ObjectKind::IngressClass {
        ""
    } else {
        meta.namespace.as_deref()?
    };
    Some(NamespacedName::new(namespace, meta.name.as_deref()?))
}

fn delete(index: &mut Index, kind: ObjectKind, key: &NamespacedName) -> Change {
    let (namespace, name) = (key.namespace(), key.name());
    match kind {
        ObjectKind::Ingress => index.delete_named::<Ingress>(namespace, name),
        ObjectKind::IngressClass => index.delete_named::<IngressClass>(namespace, name),
        ObjectKind::Service => index.delete_named::<Service>(namespace, name),
        ObjectKind::EndpointSlice => index.delete_named::<EndpointSlice>(namespace, name),
        ObjectKind::Secret => index.delete_named::<Secret>(namespace, name),
    }
}

fn reset(index: &mut Index, kind: ObjectKind, objects: Vec<Object>) -> Change {
    fn typed<R: Resource>(objects: Vec<Object>, pick: fn(Object) -> Option<R>) -> Vec<R> {
        objects.into_iter().filter_map(pick).collect()
    }
    match kind {
        ObjectKind::Ingress => index.reset(typed(objects, |o| match o {
            Object::Ingress(o) => Some(o),
            _ => None,
        })),
        ObjectKind::IngressClass => index.reset(typed(objects, |o| match o {
            Object::IngressClass(o) => Some(o),
            _ => None,
        })),
        ObjectKind::Service => index.reset(typed(objects, |o| match o {
            Object::Service(o) => Some(o),
            _ => None,
        })),
        ObjectKind::EndpointSlice => index.reset(typed(objects, |o| match o {
            Object::EndpointSlice(o) => Some(o),
            _ => None,
        })),
        ObjectKind::Secret => index.reset(typed(objects, |o| match o {
            Object::Secret(o) => Some(o),
            _ => None,
        })),
    }
}
