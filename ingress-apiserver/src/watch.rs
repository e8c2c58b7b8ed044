//! Watches: the `?watch=true` query, and the task that streams newline-delimited watch
//! events into a response body.
//!
//! Semantics follow the real server's:
//! * `resourceVersion` absent or `0`: synthetic `ADDED` events for the current objects,
//!   then changes. A number: the changes after it, replayed from the history;
//!   a number older than the history is answered with HTTP 200 and one `ERROR` event
//!   carrying a 410 `Expired` Status, after which the stream ends.
//! * `sendInitialEvents=true` (needs `allowWatchBookmarks=true` and
//!   `resourceVersionMatch=NotOlderThan`): the current objects as `ADDED`, then a `BOOKMARK`
//!   annotated `k8s.io/initial-events-end: "true"`, then changes; `sendInitialEvents=false`
//!   sends no initial objects whatever the resourceVersion.
//! * `allowWatchBookmarks=true`: `BOOKMARK` events every
//!   [`ServerConfig::bookmark_interval`](crate::ServerConfig::bookmark_interval) with the
//!   latest resourceVersion.
//! * `timeoutSeconds`: the stream ends (cleanly) after that long.
//! * Label and field selectors apply; an object that starts matching arrives as `ADDED`, one
//!   that stops matching as `DELETED`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::error::ApiError;
use crate::server::stopped;
use crate::store::{EventType, Store, WatchFilter};
use crate::table::{IncludeObject, table};

/// Where a watch starts, from `resourceVersion` and `sendInitialEvents`.
#[derive(Clone, Debug)]
pub(crate) struct WatchStart {
    /// Resume after this resourceVersion (`None`: from now).
    after: Option<u64>,
    /// Send the current objects first.
    initial: bool,
    /// End the initial objects with an annotated bookmark.
    initial_end_bookmark: bool,
}

/// A parsed watch request.
#[derive(Clone, Debug)]
pub(crate) struct WatchRequest {
    pub(crate) filter: WatchFilter,
    pub(crate) start: WatchStart,
    pub(crate) bookmarks: bool,
    pub(crate) timeout: Option<Duration>,
    /// Send objects as one-row `Table`s (`kubectl get -w`), embedding this much of them.
    pub(crate) table: Option<IncludeObject>,
}

/// Parse a `resourceVersion` parameter: `None` for absent, empty or `0`.
pub(crate) fn parse_resource_version(value: Option<&str>) -> Result<Option<u64>, ApiError> {
    match value {
        None | Some("") | Some("0") => Ok(None),
        Some(v) => v.parse::<u64>().map(Some).map_err(|_| {
            ApiError::bad_request(format!(
                "resourceVersion: Invalid value: {v:?}: must be an unsigned integer"
            ))
        }),
    }
}

impl WatchRequest {
    /// Build from the query parameters (`get` returns a decoded parameter).
    pub(crate) fn new<'a>(
        filter: WatchFilter,
        get: impl Fn(&str) -> Option<&'a str>,
    ) -> Result<Self, ApiError> {
        let flag = |name: &str| matches!(get(name), Some("true" | "1"));
        let after = parse_resource_version(get("resourceVersion"))?;
        let bookmarks = flag("allowWatchBookmarks");
        let invalid = |field: &str, problem: &str| {
            ApiError::new(
                422,
                "Invalid",
                format!("ListOptions.meta.k8s.io \"\" is invalid: {field}: {problem}"),
            )
        };
        let start = match get("sendInitialEvents") {
            Some("true" | "1") => {
                if !bookmarks {
                    return Err(invalid(
                        "allowWatchBookmarks",
                        "Forbidden: allowWatchBookmarks must be set to true when sendInitialEvents is set",
                    ));
                }
                if get("resourceVersionMatch") != Some("NotOlderThan") {
                    return Err(invalid(
                        "resourceVersionMatch",
                        "Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
                    ));
                }
                WatchStart {
                    after: None,
                    initial: true,
                    initial_end_bookmark: true,
                }
            }
            Some("false" | "0") => WatchStart {
                after,
                initial: false,
                initial_end_bookmark: false,
            },
            _ => WatchStart {
                after,
                initial: after.is_none(),
                initial_end_bookmark: false,
            },
        };
        let timeout = match get("timeoutSeconds") {
            None | Some("") => None,
            Some(t) => match t.parse::<u64>() {
                Ok(0) => None,
                Ok(secs) => Some(Duration::from_secs(secs)),
                Err(_) => {
                    return Err(ApiError::bad_request(format!(
                        "timeoutSeconds: Invalid value: {t:?}"
                    )));
                }
            },
        };
        Ok(WatchRequest {
            filter,
            start,
            bookmarks,
            timeout,
            table: None,
        })
    }
}

/// What a watch task listens to besides the store.
#[derive(Clone, Debug)]
pub(crate) struct WatchSignals {
    /// Bumped by the `close_watches` fault switch.
    pub(crate) close: watch::Receiver<u64>,
    /// Set when the server shuts down.
    pub(crate) shutdown: watch::Receiver<bool>,
    pub(crate) bookmark_interval: Duration,
    /// Count of open watch streams, kept by the tasks themselves.
    pub(crate) open: Arc<AtomicUsize>,
}

/// Counts one open watch for as long as it lives.
struct OpenWatch(Arc<AtomicUsize>);

impl OpenWatch {
    fn new(counter: Arc<AtomicUsize>) -> Self {
        counter.fetch_add(1, Ordering::SeqCst);
        OpenWatch(counter)
    }
}

impl Drop for OpenWatch {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// One watch event line, newline included.
fn event_line(kind: &str, object: &Value) -> Bytes {
    let mut line = format!("{{\"type\":\"{kind}\",\"object\":").into_bytes();
    // Serialising a Value cannot fail (its map keys are strings).
    line.extend(serde_json::to_vec(object).unwrap_or_default());
    line.extend_from_slice(b"}\n");
    Bytes::from(line)
}

fn bookmark(filter: &WatchFilter, rv: u64, initial_end: bool) -> Bytes {
    let mut object = json!({
        "kind": filter.rt.kind,
        "apiVersion": filter.rt.api_version(),
        "metadata": {"resourceVersion": rv.to_string()},
    });
    if initial_end {
        object["metadata"]["annotations"] = json!({"k8s.io/initial-events-end": "true"});
    }
    event_line("BOOKMARK", &object)
}

/// Start streaming: returns the receiving end the response body reads.
pub(crate) fn spawn(
    store: Store,
    request: WatchRequest,
    signals: WatchSignals,
) -> mpsc::Receiver<Bytes> {
    let (tx, rx) = mpsc::channel(64);
    let open = OpenWatch::new(Arc::clone(&signals.open));
    tokio::spawn(async move {
        run(store, request, signals, tx).await;
        drop(open);
    });
    rx
}

/// Turns objects into event lines: as they are, or as `Table`s whose first one carries the
/// column definitions (as the real server does).
struct Encoder {
    table: Option<IncludeObject>,
    columns_sent: bool,
}

impl Encoder {
    fn line(&mut self, filter: &WatchFilter, kind: EventType, object: &Value) -> Bytes {
        match self.table {
            None => event_line(kind.as_str(), object),
            Some(include) => {
                let doc = table(&filter.rt, &[object], None, !self.columns_sent, include);
                self.columns_sent = true;
                event_line(kind.as_str(), &doc)
            }
        }
    }
}

async fn send_events(
    tx: &mpsc::Sender<Bytes>,
    encoder: &mut Encoder,
    filter: &WatchFilter,
    events: impl IntoIterator<Item = (EventType, Arc<Value>)>,
) -> Result<(), ()> {
    for (kind, object) in events {
        tx.send(encoder.line(filter, kind, &object))
            .await
            .map_err(drop)?;
    }
    Ok(())
}

async fn run(store: Store, request: WatchRequest, signals: WatchSignals, tx: mpsc::Sender<Bytes>) {
    let WatchSignals {
        mut close,
        mut shutdown,
        bookmark_interval,
        ..
    } = signals;
    close.borrow_and_update();
    let mut changes = store.changes();
    changes.borrow_and_update();
    let filter = &request.filter;
    let deadline = request.timeout.map(|t| Instant::now() + t);
    let (initial, mut cursor) =
        match store.watch_start(filter, request.start.after, request.start.initial) {
            Ok(started) => started,
            Err(err) => {
                let _ = tx.send(event_line("ERROR", &err.to_status())).await;
                return;
            }
        };
    let mut encoder = Encoder {
        table: request.table,
        columns_sent: false,
    };
    if send_events(
        &tx,
        &mut encoder,
        filter,
        initial.into_iter().map(|o| (EventType::Added, o)),
    )
    .await
    .is_err()
    {
        return;
    }
    if request.start.initial_end_bookmark
        && tx
            .send(bookmark(filter, cursor.position, true))
            .await
            .is_err()
    {
        return;
    }
    let mut ticker =
        tokio::time::interval_at(Instant::now() + bookmark_interval, bookmark_interval);
    loop {
        match store.watch_poll(filter, &mut cursor) {
            Ok(events) => {
                if send_events(&tx, &mut encoder, filter, events)
                    .await
                    .is_err()
                {
                    return;
                }
            }
            Err(err) => {
                let _ = tx.send(event_line("ERROR", &err.to_status())).await;
                return;
            }
        }
        tokio::select! {
            changed = changes.changed() => if changed.is_err() { return },
            _ = ticker.tick(), if request.bookmarks => {
                if tx.send(bookmark(filter, cursor.position, false)).await.is_err() {
                    return;
                }
            }
            () = sleep_until(deadline) => return,
            _ = close.changed() => return,
            () = stopped(&mut shutdown) => return,
            () = tx.closed() => return,
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
