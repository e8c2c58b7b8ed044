//! Leader election on a `coordination.k8s.io/v1` Lease, as client-go's `leaderelection` does
//! it, so that of several replicas exactly one writes Ingress status.
//!
//! * **Optimistic concurrency.** Every write carries the `resourceVersion` read just before;
//!   a 409 `Conflict` (or `AlreadyExists` on create) means another replica wrote first, and
//!   this one is not leader for that round. There is no lock besides the Lease.
//! * **Expiry by observation, not by clocks.** A Lease held by another replica is taken over
//!   only when it has not changed for `lease_duration` *as measured here* (the local monotonic
//!   clock since this replica last saw the record change), so clock skew between nodes cannot
//!   make two leaders. `renewTime` is written for people and other tools.
//! * **Periods** (client-go's defaults): lease 15 s, renew deadline 10 s (a leader that
//!   cannot renew within it steps down, before the lease can expire elsewhere), retry 2 s.
//! * **Release.** On shutdown a leader writes an empty holder with a 1 s duration, so a
//!   successor takes over at its next retry instead of after the whole lease.
//!
//! ```no_run
//! use ingress_kube::lease::{LeaderElector, LeaseConfig};
//!
//! # async fn run(client: kube::Client) {
//! let config = LeaseConfig::new("ingress-system", "ingress-gateway", "gateway-7d9f-x2k4");
//! let (elector, leading) = LeaderElector::new(client, config);
//! let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
//! let task = tokio::spawn(elector.run(async move {
//!     let _ = stopped.await;
//! }));
//! // `leading` says, as it changes, whether this replica holds the Lease.
//! # let _ = (leading, stop, task);
//! # }
//! ```

use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, PostParams};
use tokio::sync::watch;
use tokio::time::Instant;

/// Which Lease, who we are, and the periods.
#[derive(Clone, Debug)]
pub struct LeaseConfig {
    /// Namespace of the Lease (the controller's own).
    pub namespace: String,
    /// Name of the Lease, shared by every replica of one controller.
    pub name: String,
    /// This replica's identity (the Pod name, typically), written as `holderIdentity`.
    pub identity: String,
    /// How long a Lease that stopped changing is still someone else's. Default 15 s.
    pub lease_duration: Duration,
    /// How long a leader keeps leading without a successful renewal. Default 10 s; must be
    /// shorter than `lease_duration`.
    pub renew_deadline: Duration,
    /// How often to try to acquire or renew. Default 2 s.
    pub retry_period: Duration,
}

impl LeaseConfig {
    /// A Lease `namespace/name` held as `identity`, with client-go's default periods.
    pub fn new(
        namespace: impl Into<String>,
        name: impl Into<String>,
        identity: impl Into<String>,
    ) -> Self {
        LeaseConfig {
            namespace: namespace.into(),
            name: name.into(),
            identity: identity.into(),
            lease_duration: Duration::from_secs(15),
            renew_deadline: Duration::from_secs(10),
            retry_period: Duration::from_secs(2),
        }
    }

    /// The same with other periods (tests shorten them).
    pub fn periods(mut self, lease: Duration, renew_deadline: Duration, retry: Duration) -> Self {
        self.lease_duration = lease;
        self.renew_deadline = renew_deadline;
        self.retry_period = retry;
        self
    }
}

/// The part of a Lease record that tells whether its holder is alive: it changes at every
/// renewal.
#[derive(Clone, Debug, PartialEq)]
struct Record {
    holder: Option<String>,
    renew_time: Option<MicroTime>,
    transitions: i32,
    duration_seconds: Option<i32>,
}

impl Record {
    fn of(spec: Option<&LeaseSpec>) -> Record {
        Record {
            holder: spec
                .and_then(|s| s.holder_identity.clone())
                .filter(|h| !h.is_empty()),
            renew_time: spec.and_then(|s| s.renew_time.clone()),
            transitions: spec.and_then(|s| s.lease_transitions).unwrap_or(0),
            duration_seconds: spec.and_then(|s| s.lease_duration_seconds),
        }
    }
}

/// Tries to hold one Lease; [`LeaderElector::run`] does so every `retry_period`.
#[derive(Debug)]
pub struct LeaderElector {
    api: Api<Lease>,
    config: LeaseConfig,
    /// The record last seen and when (local clock) it last changed.
    observed: Option<(Record, Instant)>,
    leading: watch::Sender<bool>,
}

impl LeaderElector {
    /// An elector and the receiver that says whether this replica leads (false at first).
    pub fn new(client: kube::Client, config: LeaseConfig) -> (Self, watch::Receiver<bool>) {
        let (leading, receiver) = watch::channel(false);
        let api = Api::namespaced(client, &config.namespace);
        let elector = LeaderElector {
            api,
            config,
            observed: None,
            leading,
        };
        (elector, receiver)
    }

    fn observe(&mut self, record: Record) {
        let unchanged = self.observed.as_ref().is_some_and(|(r, _)| *r == record);
        if !unchanged {
            self.observed = Some((record, Instant::now()));
        }
    }

    fn spec(&self, acquire_time: Option<MicroTime>, transitions: i32) -> LeaseSpec {
        let now = MicroTime(Timestamp::now());
        LeaseSpec {
            holder_identity: Some(self.config.identity.clone()),
            lease_duration_seconds: Some(
                i32::try_from(self.config.lease_duration.as_secs().max(1)).unwrap_or(i32::MAX),
            ),
            acquire_time: Some(acquire_time.unwrap_or_else(|| now.clone())),
            renew_time: Some(now),
            lease_transitions: Some(transitions),
            ..LeaseSpec::default()
        }
    }

    /// One round: acquire the Lease if it is free or expired, renew it if ours. `Ok(true)`
    /// when this replica holds it afterwards; `Ok(false)` when another does or won the race.
    pub async fn try_acquire_or_renew(&mut self) -> Result<bool, kube::Error> {
        let name = self.config.name.clone();
        let Some(lease) = self.api.get_opt(&name).await? else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(name),
                    namespace: Some(self.config.namespace.clone()),
                    ..ObjectMeta::default()
                },
                spec: Some(self.spec(None, 0)),
            };
            return match self.api.create(&PostParams::default(), &lease).await {
                Ok(created) => {
                    self.observe(Record::of(created.spec.as_ref()));
                    Ok(true)
                }
                Err(kube::Error::Api(s)) if s.is_already_exists() || s.is_conflict() => Ok(false),
                Err(e) => Err(e),
            };
        };
        let record = Record::of(lease.spec.as_ref());
        self.observe(record.clone());
        let ours = record.holder.as_deref() == Some(self.config.identity.as_str());
        if let (Some(_), false) = (&record.holder, ours) {
            // Someone else's: theirs until it has not changed for its duration.
            let duration = record
                .duration_seconds
                .and_then(|s| u64::try_from(s).ok())
                .map_or(self.config.lease_duration, Duration::from_secs);
            let since = self.observed.as_ref().map(|(_, at)| at.elapsed());
            if since.is_some_and(|since| since < duration) {
                return Ok(false);
            }
        }
        let spec = if ours {
            let acquired = lease.spec.as_ref().and_then(|s| s.acquire_time.clone());
            self.spec(acquired, record.transitions)
        } else {
            self.spec(None, record.transitions + 1)
        };
        let mut next = lease;
        next.spec = Some(spec);
        match self.api.replace(&name, &PostParams::default(), &next).await {
            Ok(written) => {
                self.observe(Record::of(written.spec.as_ref()));
                Ok(true)
            }
            Err(kube::Error::Api(s)) if s.is_conflict() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Gives the Lease up if this replica holds it: an empty holder and a 1 s duration.
    pub async fn release(&mut self) -> Result<(), kube::Error> {
        let name = self.config.name.clone();
        let Some(mut lease) = self.api.get_opt(&name).await? else {
            return Ok(());
        };
        let record = Record::of(lease.spec.as_ref());
        if record.holder.as_deref() != Some(self.config.identity.as_str()) {
            return Ok(());
        }
        let now = MicroTime(Timestamp::now());
        lease.spec = Some(LeaseSpec {
            holder_identity: None,
            lease_duration_seconds: Some(1),
            acquire_time: Some(now.clone()),
            renew_time: Some(now),
            lease_transitions: Some(record.transitions),
            ..LeaseSpec::default()
        });
        match self
            .api
            .replace(&name, &PostParams::default(), &lease)
            .await
        {
            Ok(_) => Ok(()),
            // Someone wrote in between: it is no longer ours to release.
            Err(kube::Error::Api(s)) if s.is_conflict() => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn set_leading(&self, leading: bool) {
        self.leading.send_if_modified(|current| {
            let changed = *current != leading;
            *current = leading;
            changed
        });
    }

    /// Tries every `retry_period` until `shutdown` completes, publishing leadership on the
    /// receiver [`LeaderElector::new`] gave; then releases the Lease if held.
    ///
    /// A leader whose renewals fail (API errors, timeouts) for `renew_deadline` steps down;
    /// one that sees another holder (a 409) steps down at once.
    pub async fn run(mut self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut last_renewal: Option<Instant> = None;
        loop {
            let round =
                tokio::time::timeout(self.config.renew_deadline, self.try_acquire_or_renew());
            let outcome = tokio::select! {
                outcome = round => outcome,
                () = &mut shutdown => break,
            };
            match outcome {
                Ok(Ok(true)) => {
                    last_renewal = Some(Instant::now());
                    self.set_leading(true);
                }
                Ok(Ok(false)) => {
                    last_renewal = None;
                    self.set_leading(false);
                }
                Ok(Err(error)) => {
                    tracing::warn!(lease = %self.config.name, %error, "lease: acquire or renew failed");
                }
                Err(_) => {
                    tracing::warn!(lease = %self.config.name, "lease: acquire or renew timed out");
                }
            }
            if last_renewal.is_some_and(|at| at.elapsed() >= self.config.renew_deadline) {
                last_renewal = None;
                self.set_leading(false);
            }
            tokio::select! {
                () = tokio::time::sleep(self.config.retry_period) => {}
                () = &mut shutdown => break,
            }
        }
        let was_leading = *self.leading.borrow();
        self.set_leading(false);
        if was_leading
            && let Err(error) = tokio::time::timeout(self.config.retry_period, self.release())
                .await
                .unwrap_or(Ok(()))
        {
            tracing::warn!(lease = %self.config.name, %error, "lease: release failed");
        }
    }
}
