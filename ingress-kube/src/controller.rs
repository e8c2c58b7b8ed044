//! [`Controller`]: the whole controller loop of a gateway replica — the [`Driver`] following
//! the cluster, a [`LeaderElector`] holding the Lease, and, while leading, Ingress status and
//! Events on the objects the driver had to skip.
//!
//! What runs, and when:
//!
//! | task | runs | does |
//! |---|---|---|
//! | the driver | always | watches, indexes, publishes snapshots (every replica serves traffic) |
//! | the elector | when a [`LeaseConfig`] is given | holds or follows the Lease; without one, this replica acts as the leader (a single replica) |
//! | status | while leading, when a [`Publish`] is given | after each published snapshot, each change of leadership, and every `resync`: [`StatusWriter::sync`] over the Ingresses it watches, ours decided by [`Snapshot::serves`](crate::index::Snapshot::serves) |
//! | events | while leading | the driver's [`EventReporting`]: a `Warning` Event (reason `Skipped`) on each object it skipped |
//!
//! The status task watches Ingresses itself (their `status` is what it compares; the index
//! drops it), decoding them one by one as the driver does, so one malformed Ingress never
//! stops status for the others.

use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::Api;
use kube::runtime::events::Reporter;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::driver::{Driver, DriverConfig, EventReporting, Namespaces, Published, watch::Lenient};
use crate::lease::{LeaderElector, LeaseConfig};
use crate::status::{Publish, StatusWriter};

/// What a [`Controller`] runs.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ControllerConfig {
    /// What the driver watches and how it coalesces.
    pub driver: DriverConfig,
    /// The Lease to hold; `None`: no election, this replica leads.
    pub lease: Option<LeaseConfig>,
    /// The addresses to write in Ingress status; `None`: status is not written.
    pub publish: Option<Publish>,
    /// How often status is brought in line even without a change. Default 30 s.
    pub resync: Duration,
    /// The name Events are reported by (`reportingController`): the controller name.
    pub reporter: String,
}

impl ControllerConfig {
    /// A controller that follows the cluster as `driver` says, without election or status.
    pub fn new(driver: DriverConfig) -> Self {
        let reporter = driver.index.controller.clone();
        ControllerConfig {
            driver,
            lease: None,
            publish: None,
            resync: Duration::from_secs(30),
            reporter,
        }
    }

    /// Holds this Lease; status and Events are written only while holding it.
    pub fn lease(mut self, lease: LeaseConfig) -> Self {
        self.lease = Some(lease);
        self
    }

    /// Writes these addresses in the status of the Ingresses we serve.
    pub fn publish(mut self, publish: Publish) -> Self {
        self.publish = Some(publish);
        self
    }

    /// Brings status in line at least this often.
    pub fn resync(mut self, every: Duration) -> Self {
        self.resync = every;
        self
    }
}

/// A running controller; see the [module documentation](self).
#[derive(Debug)]
pub struct Controller {
    driver: Driver,
    leading: watch::Receiver<bool>,
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

impl Controller {
    /// Starts the driver, the elector (if any) and the leader's tasks on the current Tokio
    /// runtime.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime (as `tokio::spawn` does).
    pub fn start(client: kube::Client, config: ControllerConfig) -> Controller {
        let (stop, stopped) = watch::channel(false);
        let mut tasks = JoinSet::new();
        let identity = config.lease.as_ref().map(|l| l.identity.clone());
        let leading = match config.lease {
            Some(lease) => {
                let (elector, leading) = LeaderElector::new(client.clone(), lease);
                tasks.spawn(elector.run(until_stopped(stopped.clone())));
                leading
            }
            None => {
                // No election: this replica leads for as long as it runs.
                let (always, leading) = watch::channel(true);
                let mut stopped = stopped.clone();
                tasks.spawn(async move {
                    let _ = stopped.wait_for(|s| *s).await;
                    drop(always);
                });
                leading
            }
        };
        let namespaces = config.driver.namespaces.clone();
        // Skipped objects get their Events from the driver, while this replica leads.
        let reporter = Reporter {
            controller: config.reporter,
            instance: identity,
        };
        let driver_config = config.driver.events(EventReporting {
            reporter,
            leader: leading.clone(),
        });
        let driver = Driver::start(client.clone(), driver_config);
        if let Some(publish) = config.publish {
            let store = watch_ingresses(&client, &namespaces, &mut tasks);
            let writer = StatusWriter::new(client.clone(), publish);
            tasks.spawn(status_loop(
                writer,
                store,
                driver.subscribe(),
                leading.clone(),
                config.resync,
                stopped.clone(),
            ));
        }
        Controller {
            driver,
            leading,
            stop,
            tasks,
        }
    }

    /// The driver: [`Driver::subscribe`], [`Driver::ready`], [`Driver::errors`].
    pub fn driver(&self) -> &Driver {
        &self.driver
    }

    /// Whether this replica leads, as it changes.
    pub fn leading(&self) -> watch::Receiver<bool> {
        self.leading.clone()
    }

    /// Stops everything: the leader releases the Lease, the watchers stop.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        let drain = async { while self.tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(Duration::from_secs(5), drain)
            .await
            .is_err()
        {
            self.tasks.abort_all();
        }
        self.driver.shutdown().await;
    }
}

async fn until_stopped(mut stopped: watch::Receiver<bool>) {
    let _ = stopped.wait_for(|s| *s).await;
}

/// One reflector store per namespace scope (one for all namespaces).
fn watch_ingresses(
    client: &kube::Client,
    namespaces: &Namespaces,
    tasks: &mut JoinSet<()>,
) -> Vec<Store<Lenient<Ingress>>> {
    namespaces
        .scopes()
        .into_iter()
        .map(|scope| {
            let api: Api<Lenient<Ingress>> = match &scope {
                Some(ns) => Api::namespaced_with(client.clone(), ns, &()),
                None => Api::all_with(client.clone(), &()),
            };
            let (reader, writer) = reflector::store();
            let stream = reflector::reflector(writer, watcher(api, watcher::Config::default()))
                .default_backoff()
                .applied_objects();
            tasks.spawn(async move {
                futures::pin_mut!(stream);
                while let Some(event) = stream.next().await {
                    if let Err(error) = event {
                        tracing::debug!(%error, "status: Ingress watch error (retrying)");
                    }
                }
            });
            reader
        })
        .collect()
}

async fn status_loop(
    writer: StatusWriter,
    stores: Vec<Store<Lenient<Ingress>>>,
    mut snapshots: watch::Receiver<Published>,
    mut leading: watch::Receiver<bool>,
    resync: Duration,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            changed = snapshots.changed() => if changed.is_err() { return },
            changed = leading.changed() => if changed.is_err() { return },
            () = tokio::time::sleep(resync) => {}
            _ = stopped.wait_for(|s| *s) => return,
        }
        if !*leading.borrow_and_update() {
            continue;
        }
        let Some(snapshot) = snapshots.borrow_and_update().clone() else {
            continue;
        };
        for store in &stores {
            if store.wait_until_ready().await.is_err() {
                return;
            }
        }
        let ingresses: Vec<Ingress> = stores
            .iter()
            .flat_map(|s| s.state())
            .filter_map(|object| match &*object {
                Lenient::Decoded(ingress) => Some(ingress.clone()),
                Lenient::Malformed(_) => None,
            })
            .collect();
        match writer.sync(&ingresses, |i| snapshot.serves(i)).await {
            Ok(report) if report != Default::default() => {
                tracing::info!(
                    updated = report.updated.len(),
                    cleared = report.cleared.len(),
                    failed = report.failed.len(),
                    "status: synced"
                );
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "status: cannot read our addresses"),
        }
    }
}
