//! Kubernetes Events on the objects the driver skips, published only while this replica
//! leads: every replica sees the same objects, and one Event per problem is what a user reading
//! `kubectl describe` wants.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex};

use k8s_openapi::api::core::v1::ObjectReference;
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use tokio::sync::{Notify, mpsc, watch};

use crate::index::{NamespacedName, ObjectError, ObjectKind};

/// The Event reason for a skipped object.
pub const SKIPPED_REASON: &str = "Skipped";

/// The most an Event's note may hold (the API server refuses longer ones).
const NOTE_LIMIT: usize = 1024;

/// Where the driver reports skipped objects as Kubernetes Events (`events.k8s.io/v1`, type
/// `Warning`, reason [`SKIPPED_REASON`], the problem as the note), and when.
///
/// Events are published while `leader` reads `true` (a leader elector's view, e.g. of a
/// `coordination.k8s.io` Lease); on becoming leader, the problems standing then are reported
/// once. Without a leader, pass a channel that always reads `true`.
#[derive(Clone, Debug)]
pub struct EventReporting {
    /// Who reports: the controller's name and this replica's (e.g. its Pod name).
    pub reporter: Reporter,
    /// Whether this replica leads now.
    pub leader: watch::Receiver<bool>,
}

/// One skipped object: what is wrong, and the object's uid (for `kubectl describe` to find the
/// Event), if known.
#[derive(Clone, Debug)]
pub(crate) struct Skipped {
    pub(crate) error: ObjectError,
    pub(crate) uid: Option<String>,
}

fn api_version(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::Ingress | ObjectKind::IngressClass => "networking.k8s.io/v1",
        ObjectKind::Service | ObjectKind::Secret => "v1",
        ObjectKind::EndpointSlice => "discovery.k8s.io/v1",
    }
}

fn reference(error: &ObjectError, uid: Option<&str>) -> ObjectReference {
    let namespace = error.object.namespace();
    ObjectReference {
        api_version: Some(api_version(error.kind).to_owned()),
        kind: Some(error.kind.as_str().to_owned()),
        // Cluster-scoped objects (IngressClasses) get their Events in `default`.
        namespace: (!namespace.is_empty()).then(|| namespace.to_owned()),
        name: Some(error.object.name().to_owned()),
        uid: uid.map(str::to_owned),
        ..ObjectReference::default()
    }
}

/// `text`, cut to at most `limit` bytes on a character boundary.
fn truncated(text: String, limit: usize) -> String {
    if text.len() <= limit {
        return text;
    }
    let mut end = limit - '…'.len_utf8();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// The reporting task: publishes what the index task sends while leading, and, while
/// leading, everything standing (`standing`, the driver's error list) that it has not told in
/// this term: on becoming leader, and each time the driver refreshes the list (`refreshed`).
/// The refreshes matter for a problem that arrived just before the leadership did, while the
/// list did not hold it yet.
pub(crate) struct Events {
    recorder: Recorder,
    leader: watch::Receiver<bool>,
    standing: Arc<Mutex<Vec<ObjectError>>>,
    refreshed: Arc<Notify>,
    /// The uids of the objects reported so far, for the standing report.
    uids: HashMap<(ObjectKind, NamespacedName), String>,
    /// The standing problems published since this replica last became leader.
    told: HashSet<(ObjectKind, NamespacedName)>,
}

impl fmt::Debug for Events {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Events")
            .field("leader", &*self.leader.borrow())
            .field("uids", &self.uids.len())
            .finish_non_exhaustive()
    }
}

impl Events {
    pub(crate) fn new(
        client: kube::Client,
        reporting: EventReporting,
        standing: Arc<Mutex<Vec<ObjectError>>>,
        refreshed: Arc<Notify>,
    ) -> Self {
        Events {
            recorder: Recorder::new(client, reporting.reporter),
            leader: reporting.leader,
            standing,
            refreshed,
            uids: HashMap::new(),
            told: HashSet::new(),
        }
    }

    pub(crate) async fn run(mut self, mut rx: mpsc::Receiver<Skipped>) {
        let mut leading = *self.leader.borrow_and_update();
        let mut elector = true; // false once the leader channel is gone: never leading again
        if leading {
            self.report_untold().await;
        }
        let refreshed = self.refreshed.clone();
        loop {
            tokio::select! {
                // Leadership first: once it is lost, nothing more is written.
                biased;
                changed = self.leader.changed(), if elector => {
                    let now = changed.is_ok() && *self.leader.borrow_and_update();
                    elector = changed.is_ok();
                    if now && !leading {
                        self.told.clear();
                        self.report_untold().await;
                    }
                    leading = now;
                }
                () = refreshed.notified() => {
                    if leading {
                        self.report_untold().await;
                    }
                }
                skipped = rx.recv() => {
                    let Some(skipped) = skipped else { return };
                    if let Some(uid) = &skipped.uid {
                        let key = (skipped.error.kind, skipped.error.object.clone());
                        self.uids.insert(key, uid.clone());
                        self.bound_uids();
                    }
                    if leading {
                        self.publish(&skipped.error, skipped.uid.as_deref()).await;
                        self.told.insert((skipped.error.kind, skipped.error.object.clone()));
                    }
                }
            }
        }
    }

    /// The problems standing as of the driver's last publication.
    fn standing(&self) -> Vec<ObjectError> {
        self.standing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Forgets the uids of objects no longer standing (fixed or deleted), and that they were
    /// told: a problem fixed and back is news again.
    fn forget_fixed(&mut self, standing: &[ObjectError]) {
        let standing: HashSet<(ObjectKind, &NamespacedName)> =
            standing.iter().map(|e| (e.kind, &e.object)).collect();
        self.uids
            .retain(|(kind, key), _| standing.contains(&(*kind, key)));
        self.told
            .retain(|(kind, key)| standing.contains(&(*kind, key)));
    }

    /// Keeps the uid map bounded for a follower that sees objects break and heal for months:
    /// pruned once it has grown well past the standing list.
    fn bound_uids(&mut self) {
        let standing = self
            .standing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len();
        if self.uids.len() > 2 * standing + 64 {
            let standing = self.standing();
            self.forget_fixed(&standing);
        }
    }

    /// Publishes the standing problems not told in this term.
    async fn report_untold(&mut self) {
        let standing = self.standing();
        self.forget_fixed(&standing);
        for error in &standing {
            let key = (error.kind, error.object.clone());
            if self.told.contains(&key) {
                continue;
            }
            let uid = self.uids.get(&key).cloned();
            self.publish(error, uid.as_deref()).await;
            self.told.insert(key);
        }
    }

    async fn publish(&self, error: &ObjectError, uid: Option<&str>) {
        let event = Event {
            type_: EventType::Warning,
            reason: SKIPPED_REASON.to_owned(),
            note: Some(truncated(error.to_string(), NOTE_LIMIT)),
            action: "Index".to_owned(),
            secondary: None,
        };
        if let Err(e) = self.recorder.publish(&event, &reference(error, uid)).await {
            tracing::warn!(object = %error.object, kind = %error.kind, error = %e, "could not publish an Event");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_cut_on_a_character_boundary() {
        assert_eq!(truncated("short".into(), 10), "short");
        let long = "é".repeat(600); // 1200 bytes
        let cut = truncated(long, NOTE_LIMIT);
        assert!(cut.len() <= NOTE_LIMIT, "{}", cut.len());
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn cluster_scoped_objects_have_no_namespace_in_their_reference() {
        let error = ObjectError::new(
            ObjectKind::IngressClass,
            &NamespacedName::new("", "gateway"),
            "spec",
            "bad",
        );
        let r = reference(&error, Some("u-1"));
        assert_eq!(r.namespace, None);
        assert_eq!(r.api_version.as_deref(), Some("networking.k8s.io/v1"));
        assert_eq!(
            (r.kind.as_deref(), r.name.as_deref(), r.uid.as_deref()),
            (Some("IngressClass"), Some("gateway"), Some("u-1"))
        );
    }
}
