//! The object store: every object as a `serde_json::Value`, a global resourceVersion
//! counter, and the event history that watches replay from.
//!
//! One mutex guards everything, so each write gets the next resourceVersion and its history
//! entry atomically, and a watch's initial snapshot and its first history position agree.
//! Watches are woken through a `tokio::sync::watch` channel that carries the latest
//! resourceVersion.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Map, Value};
use tokio::sync::watch;

use crate::error::ApiError;
use crate::load::parse_documents;
use crate::meta::{generated_name, name_problem, new_uid, now_rfc3339};
use crate::patch::{PatchError, json_patch, merge_patch, strategic_merge_patch};
use crate::registry::{Registry, ResourceType};
use crate::selector::{FieldSelector, LabelSelector};

/// Kind of a change, as in a watch event's `type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    /// The object was created (or, for a filtered watch, started to match).
    Added,
    /// The object changed.
    Modified,
    /// The object was deleted (or, for a filtered watch, stopped matching).
    Deleted,
}

impl EventType {
    /// The wire name: `ADDED`, `MODIFIED` or `DELETED`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// Which part of an object a write may change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    /// The object; `.status` too unless the kind has a status subresource.
    Main,
    /// Only `.status` (the `status` subresource).
    Status,
}

/// Patch formats, by request `Content-Type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PatchKind {
    /// `application/merge-patch+json`.
    Merge,
    /// `application/strategic-merge-patch+json`.
    Strategic,
    /// `application/json-patch+json`.
    Json,
}

/// How a write is made.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct WriteOptions {
    /// `dryRun=All`: validate and answer, change nothing.
    pub(crate) dry_run: bool,
    /// Take `.status` from the written object even if the kind has a status subresource
    /// (direct, in-process writes by tests).
    pub(crate) keep_status: bool,
}

/// `DeleteOptions.preconditions`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Preconditions {
    pub(crate) uid: Option<String>,
    pub(crate) resource_version: Option<String>,
}

type CollectionKey = (String, String);

/// One change, kept for watches to replay.
#[derive(Debug)]
struct HistoryEvent {
    rv: u64,
    collection: CollectionKey,
    kind: EventType,
    object: Arc<Value>,
    previous: Option<Arc<Value>>,
}

/// What a watch selects: one resource, optionally one namespace, and selectors.
#[derive(Clone, Debug)]
pub(crate) struct WatchFilter {
    pub(crate) rt: ResourceType,
    pub(crate) namespace: Option<String>,
    pub(crate) labels: LabelSelector,
    pub(crate) fields: FieldSelector,
}

impl WatchFilter {
    fn matches(&self, object: &Value) -> bool {
        let in_namespace = self
            .namespace
            .as_deref()
            .is_none_or(|ns| namespace_of(object) == ns);
        in_namespace && self.labels.matches(object) && self.fields.matches(object)
    }
}

/// Where a watch is in the history: every change up to `position` has been considered.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WatchCursor {
    pub(crate) position: u64,
    epoch: u64,
}

struct Inner {
    registry: Registry,
    rv: u64,
    seq: u64,
    objects: HashMap<CollectionKey, BTreeMap<(String, String), Arc<Value>>>,
    history: VecDeque<HistoryEvent>,
    history_limit: usize,
    /// Every change with a resourceVersion above this is in `history`.
    compacted: u64,
    /// Bumped by [`Store::expire_history`]: watches from an older epoch end with 410.
    epoch: u64,
}

/// All objects, shared by the HTTP server and the test that owns it. Cheap to clone.
///
/// Direct calls ([`Store::apply`], [`Store::get`], ...) take and return whole objects, go
/// through the same code as the HTTP verbs, bump the resourceVersion and notify watches, so
/// a test can seed or change the cluster without a client.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Mutex<Inner>>,
    changes: Arc<watch::Sender<u64>>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.lock();
        f.debug_struct("Store")
            .field("resource_version", &inner.rv)
            .field(
                "objects",
                &inner.objects.values().map(BTreeMap::len).sum::<usize>(),
            )
            .field("history", &inner.history.len())
            .finish_non_exhaustive()
    }
}

fn namespace_of(object: &Value) -> &str {
    object
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn name_of(object: &Value) -> &str {
    object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn collection_key(rt: &ResourceType) -> CollectionKey {
    (rt.group.clone(), rt.plural.clone())
}

/// The object without `metadata` and `status`: what `metadata.generation` counts changes of.
fn spec_part(object: &Value) -> Value {
    let mut copy = object.clone();
    if let Value::Object(map) = &mut copy {
        map.remove("metadata");
        map.remove("status");
    }
    copy
}

fn metadata_mut(object: &mut Value) -> &mut Map<String, Value> {
    if !object.get("metadata").is_some_and(Value::is_object) {
        object["metadata"] = Value::Object(Map::new());
    }
    match object.get_mut("metadata") {
        Some(Value::Object(map)) => map,
        _ => unreachable!("metadata was just made an object"),
    }
}

impl Store {
    /// An empty store serving `registry`, keeping the last `history_limit` changes for
    /// watches to resume from.
    pub fn new(registry: Registry, history_limit: usize) -> Self {
        let (changes, _) = watch::channel(0);
        Store {
            inner: Arc::new(Mutex::new(Inner {
                registry,
                rv: 0,
                seq: 0,
                objects: HashMap::new(),
                history: VecDeque::new(),
                history_limit: history_limit.max(1),
                compacted: 0,
                epoch: 0,
            })),
            changes: Arc::new(changes),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves consistent data (writes commit last).
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The resources served (a copy).
    pub fn registry(&self) -> Registry {
        self.lock().registry.clone()
    }

    /// Serve one more resource (or replace one), e.g. a custom resource.
    pub fn register(&self, rt: ResourceType) {
        self.lock().registry.register(rt);
    }

    /// The latest resourceVersion handed out (0 before the first write).
    pub fn resource_version(&self) -> u64 {
        self.lock().rv
    }

    /// A receiver that sees the latest resourceVersion after every stored write: how
    /// controllers that run inside the server's process (a demo's kubelet, say) learn that
    /// something changed without a watch of their own. Writes that change nothing are not
    /// stored and do not wake it.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    fn resolve(&self, api_version: &str, kind: &str) -> Result<ResourceType, ApiError> {
        self.lock()
            .registry
            .by_kind(api_version, kind)
            .cloned()
            .ok_or_else(|| {
                ApiError::new(
                    404,
                    "NotFound",
                    format!("no matches for kind \"{kind}\" in version \"{api_version}\""),
                )
            })
    }

    fn resolve_object(&self, object: &Value) -> Result<ResourceType, ApiError> {
        let api_version = object.get("apiVersion").and_then(Value::as_str);
        let kind = object.get("kind").and_then(Value::as_str);
        match (api_version, kind) {
            (Some(v), Some(k)) => self.resolve(v, k),
            _ => Err(ApiError::bad_request(format!(
                "object {:?} needs both \"apiVersion\" and \"kind\"",
                name_of(object)
            ))),
        }
    }

    /// Create the object (409 `AlreadyExists` if it exists). Server fields are set as by a
    /// `POST`; `.status` is kept. Namespaced objects without a namespace go to `default`.
    pub fn create(&self, object: Value) -> Result<Value, ApiError> {
        let rt = self.resolve_object(&object)?;
        let options = WriteOptions {
            keep_status: true,
            ..WriteOptions::default()
        };
        self.create_in(&rt, None, object, options)
    }

    /// Create the object, or replace it whole (`.status` included, any resourceVersion in it
    /// ignored). Returns the stored object.
    ///
    /// ```
    /// # fn main() -> Result<(), ingress_apiserver::ApiError> {
    /// let store = ingress_apiserver::Store::new(ingress_apiserver::Registry::builtin(), 100);
    /// let cm = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
    ///     "metadata": {"name": "cfg"}, "data": {"a": "1"}});
    /// let first = store.apply(cm.clone())?;
    /// assert_eq!(first["metadata"]["namespace"], "default");
    /// assert_eq!(first["metadata"]["resourceVersion"], "1");
    /// let mut changed = cm;
    /// changed["data"]["a"] = "2".into();
    /// assert_eq!(store.apply(changed)?["metadata"]["resourceVersion"], "2");
    /// # Ok(()) }
    /// ```
    pub fn apply(&self, mut object: Value) -> Result<Value, ApiError> {
        let rt = self.resolve_object(&object)?;
        let options = WriteOptions {
            keep_status: true,
            ..WriteOptions::default()
        };
        let namespace = rt.namespaced.then(|| {
            let ns = namespace_of(&object);
            if ns.is_empty() { "default" } else { ns }.to_owned()
        });
        let name = name_of(&object).to_owned();
        if self.get_in(&rt, namespace.as_deref(), &name).is_err() {
            return self.create_in(&rt, namespace.as_deref(), object, options);
        }
        metadata_mut(&mut object).remove("resourceVersion");
        self.update_in(
            &rt,
            namespace.as_deref(),
            &name,
            object,
            Part::Main,
            options,
        )
    }

    /// Parse manifest text (see [`parse_documents`](crate::parse_documents)) and
    /// [`apply`](Store::apply) every object in order. Returns the stored objects.
    pub fn load(&self, text: &str) -> Result<Vec<Value>, ApiError> {
        self.load_values(parse_documents(text)?)
    }

    /// [`apply`](Store::apply) every object in order. Returns the stored objects.
    pub fn load_values(
        &self,
        objects: impl IntoIterator<Item = Value>,
    ) -> Result<Vec<Value>, ApiError> {
        objects.into_iter().map(|o| self.apply(o)).collect()
    }

    /// The object, if it exists. `namespace` `None` means `default` for namespaced kinds.
    pub fn get(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<Value> {
        let rt = self.resolve(api_version, kind).ok()?;
        let ns = rt.namespaced.then(|| namespace.unwrap_or("default"));
        self.get_in(&rt, ns, name).ok()
    }

    /// Objects of a kind, sorted by namespace and name; `namespace` `None` means all.
    pub fn list(&self, api_version: &str, kind: &str, namespace: Option<&str>) -> Vec<Value> {
        let Ok(rt) = self.resolve(api_version, kind) else {
            return Vec::new();
        };
        let (_, items) = self.list_in(
            &rt,
            namespace,
            &LabelSelector::default(),
            &FieldSelector::default(),
        );
        items.iter().map(|o| (**o).clone()).collect()
    }

    /// Delete the object; returns it as it was, with the resourceVersion of the deletion.
    /// Deleting a namespace deletes the objects in it.
    pub fn delete(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Value, ApiError> {
        let rt = self.resolve(api_version, kind)?;
        let ns = rt.namespaced.then(|| namespace.unwrap_or("default"));
        self.delete_in(&rt, ns, name, &Preconditions::default(), false)
    }

    /// Merge-patch (RFC 7386) the object, `.status` included.
    pub fn merge_patch(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
        patch: &Value,
    ) -> Result<Value, ApiError> {
        let rt = self.resolve(api_version, kind)?;
        let ns = rt.namespaced.then(|| namespace.unwrap_or("default"));
        let options = WriteOptions {
            keep_status: true,
            ..WriteOptions::default()
        };
        self.patch_in(&rt, ns, name, PatchKind::Merge, patch, Part::Main, options)
    }

    /// Forget the event history, as an etcd compaction would: every watch open now ends
    /// with an in-stream `ERROR` event carrying a 410 `Expired` Status, and a watch that asks
    /// to resume from a resourceVersion older than the current one gets the same. Lists are
    /// unaffected, so a client that relists and watches from the list's resourceVersion
    /// recovers.
    pub fn expire_history(&self) {
        let mut inner = self.lock();
        inner.history.clear();
        inner.compacted = inner.rv;
        inner.epoch += 1;
        drop(inner);
        self.changes.send_modify(|_| {});
    }

    pub(crate) fn get_in(
        &self,
        rt: &ResourceType,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Value, ApiError> {
        let inner = self.lock();
        inner
            .objects
            .get(&collection_key(rt))
            .and_then(|c| c.get(&(namespace.unwrap_or_default().to_owned(), name.to_owned())))
            .map(|o| (**o).clone())
            .ok_or_else(|| ApiError::not_found(rt, name))
    }

    /// The current resourceVersion and the matching objects, sorted by namespace and name.
    pub(crate) fn list_in(
        &self,
        rt: &ResourceType,
        namespace: Option<&str>,
        labels: &LabelSelector,
        fields: &FieldSelector,
    ) -> (u64, Vec<Arc<Value>>) {
        let inner = self.lock();
        let items = inner
            .objects
            .get(&collection_key(rt))
            .map(|c| {
                c.iter()
                    .filter(|((ns, _), _)| namespace.is_none_or(|want| ns == want))
                    .filter(|(_, o)| labels.matches(o) && fields.matches(o))
                    .map(|(_, o)| Arc::clone(o))
                    .collect()
            })
            .unwrap_or_default();
        (inner.rv, items)
    }

    /// Check `apiVersion`/`kind` of a written object against the resource, filling them in
    /// when absent.
    fn check_type(rt: &ResourceType, object: &mut Value) -> Result<(), ApiError> {
        if !object.is_object() {
            return Err(ApiError::bad_request(format!(
                "the body of a {} write must be a JSON object",
                rt.kind
            )));
        }
        let expected_version = rt.api_version();
        match object.get("apiVersion").and_then(Value::as_str) {
            None | Some("") => object["apiVersion"] = Value::String(expected_version),
            Some(v) if v == expected_version => {}
            Some(v) => {
                return Err(ApiError::bad_request(format!(
                    "the API version in the data ({v}) does not match the expected API version ({expected_version})"
                )));
            }
        }
        match object.get("kind").and_then(Value::as_str) {
            None | Some("") => object["kind"] = Value::String(rt.kind.clone()),
            Some(k) if k == rt.kind => {}
            Some(k) => {
                return Err(ApiError::bad_request(format!(
                    "the kind in the data ({k}) does not match the expected kind ({})",
                    rt.kind
                )));
            }
        }
        Ok(())
    }

    /// The namespace an object is written to: the URL's (`url_ns`) or, for direct writes,
    /// the object's or `default`; empty for cluster-scoped kinds.
    fn target_namespace(
        rt: &ResourceType,
        url_ns: Option<&str>,
        object: &mut Value,
    ) -> Result<String, ApiError> {
        let meta = metadata_mut(object);
        if !rt.namespaced {
            meta.remove("namespace");
            return Ok(String::new());
        }
        let body_ns = meta
            .get("namespace")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        let ns = match (url_ns, body_ns) {
            (Some(url), Some(body)) if url != body => {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ));
            }
            (Some(url), _) => url.to_owned(),
            (None, Some(body)) => body,
            (None, None) => "default".to_owned(),
        };
        meta.insert("namespace".into(), Value::String(ns.clone()));
        Ok(ns)
    }

    pub(crate) fn create_in(
        &self,
        rt: &ResourceType,
        url_ns: Option<&str>,
        mut object: Value,
        options: WriteOptions,
    ) -> Result<Value, ApiError> {
        Self::check_type(rt, &mut object)?;
        let ns = Self::target_namespace(rt, url_ns, &mut object)?;
        let mut inner = self.lock();
        inner.seq += 1;
        let seq = inner.seq;
        let meta = metadata_mut(&mut object);
        let mut name = meta
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if name.is_empty()
            && let Some(prefix) = meta.get("generateName").and_then(Value::as_str)
        {
            name = generated_name(prefix, seq);
        }
        if let Some(problem) = name_problem(&name, rt.kind == "Namespace" && rt.group.is_empty()) {
            return Err(ApiError::invalid(rt, &name, "metadata.name", &problem));
        }
        let key = (ns, name.clone());
        if inner
            .objects
            .get(&collection_key(rt))
            .is_some_and(|c| c.contains_key(&key))
        {
            return Err(ApiError::already_exists(rt, &name));
        }
        meta.insert("name".into(), Value::String(name));
        meta.insert("uid".into(), Value::String(new_uid(seq)));
        meta.insert("creationTimestamp".into(), Value::String(now_rfc3339()));
        meta.insert("generation".into(), Value::from(1));
        for server_only in [
            "resourceVersion",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "selfLink",
        ] {
            meta.remove(server_only);
        }
        if rt.status_subresource
            && !options.keep_status
            && let Value::Object(map) = &mut object
        {
            map.remove("status");
        }
        if rt.group.is_empty() && rt.kind == "Namespace" && object.get("status").is_none() {
            object["status"] = serde_json::json!({"phase": "Active"});
        }
        if options.dry_run {
            return Ok(object);
        }
        Ok(inner.commit(rt, key, Some(object), EventType::Added, &self.changes))
    }

    /// Replace an object (`PUT`), or only its status (`PUT .../status`).
    pub(crate) fn update_in(
        &self,
        rt: &ResourceType,
        namespace: Option<&str>,
        name: &str,
        mut body: Value,
        part: Part,
        options: WriteOptions,
    ) -> Result<Value, ApiError> {
        Self::check_type(rt, &mut body)?;
        let ns = namespace.unwrap_or_default().to_owned();
        let meta = metadata_mut(&mut body);
        match meta.get("name").and_then(Value::as_str) {
            Some(n) if !n.is_empty() && n != name => {
                return Err(ApiError::bad_request(format!(
                    "the name of the object ({n}) does not match the name on the URL ({name})"
                )));
            }
            _ => {}
        }
        if rt.namespaced {
            match meta.get("namespace").and_then(Value::as_str) {
                Some(n) if !n.is_empty() && n != ns => {
                    return Err(ApiError::bad_request(
                        "the namespace of the provided object does not match the namespace sent on the request",
                    ));
                }
                _ => {}
            }
        }
        let body_rv = meta
            .get("resourceVersion")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        let mut inner = self.lock();
        let key = (ns, name.to_owned());
        let current = inner
            .objects
            .get(&collection_key(rt))
            .and_then(|c| c.get(&key))
            .cloned()
            .ok_or_else(|| ApiError::not_found(rt, name))?;
        let current_rv = current
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if body_rv.as_deref().is_some_and(|rv| rv != current_rv) {
            return Err(ApiError::conflict(
                rt,
                name,
                "the object has been modified; please apply your changes to the latest version and try again",
            ));
        }
        let updated = Self::merge_update(rt, &current, body, part, options);
        if updated == *current {
            return Ok(updated);
        }
        if options.dry_run {
            return Ok(updated);
        }
        Ok(inner.commit(rt, key, Some(updated), EventType::Modified, &self.changes))
    }

    /// The object an update stores: the server's fields from `current`, the rest from `body`
    /// (only `.status` from `body` for [`Part::Status`]).
    fn merge_update(
        rt: &ResourceType,
        current: &Value,
        body: Value,
        part: Part,
        options: WriteOptions,
    ) -> Value {
        let mut updated = match part {
            Part::Status => {
                let mut updated = current.clone();
                match body.get("status") {
                    Some(status) => updated["status"] = status.clone(),
                    None => {
                        if let Value::Object(map) = &mut updated {
                            map.remove("status");
                        }
                    }
                }
                updated
            }
            Part::Main => {
                let mut updated = body;
                if rt.status_subresource && !options.keep_status {
                    match current.get("status") {
                        Some(status) => updated["status"] = status.clone(),
                        None => {
                            if let Value::Object(map) = &mut updated {
                                map.remove("status");
                            }
                        }
                    }
                }
                updated
            }
        };
        let current_meta = current.get("metadata").cloned().unwrap_or_default();
        let meta = metadata_mut(&mut updated);
        for server_field in [
            "uid",
            "creationTimestamp",
            "resourceVersion",
            "namespace",
            "name",
        ] {
            match current_meta.get(server_field) {
                Some(v) => meta.insert(server_field.into(), v.clone()),
                None => meta.remove(server_field),
            };
        }
        let generation = current_meta
            .get("generation")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        let bumped = generation + i64::from(spec_part(&updated) != spec_part(current));
        metadata_mut(&mut updated).insert("generation".into(), Value::from(bumped));
        updated
    }

    /// Patch an object or its status.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn patch_in(
        &self,
        rt: &ResourceType,
        namespace: Option<&str>,
        name: &str,
        kind: PatchKind,
        patch: &Value,
        part: Part,
        options: WriteOptions,
    ) -> Result<Value, ApiError> {
        let mut patched = self.get_in(rt, namespace, name)?;
        let result = match kind {
            PatchKind::Merge => {
                merge_patch(&mut patched, patch);
                Ok(())
            }
            PatchKind::Strategic => strategic_merge_patch(&mut patched, patch),
            PatchKind::Json => json_patch(&mut patched, patch),
        };
        result.map_err(|PatchError(why)| {
            ApiError::new(
                422,
                "Invalid",
                format!(
                    "{} \"{name}\" could not be patched: {why}",
                    rt.qualified_name()
                ),
            )
        })?;
        // A resourceVersion put in by the patch is a precondition; the current one is not.
        self.update_in(rt, namespace, name, patched, part, options)
    }

    pub(crate) fn delete_in(
        &self,
        rt: &ResourceType,
        namespace: Option<&str>,
        name: &str,
        preconditions: &Preconditions,
        dry_run: bool,
    ) -> Result<Value, ApiError> {
        let mut inner = self.lock();
        let key = (namespace.unwrap_or_default().to_owned(), name.to_owned());
        let current = inner
            .objects
            .get(&collection_key(rt))
            .and_then(|c| c.get(&key))
            .cloned()
            .ok_or_else(|| ApiError::not_found(rt, name))?;
        for (field, wanted) in [
            ("uid", &preconditions.uid),
            ("resourceVersion", &preconditions.resource_version),
        ] {
            let actual = current
                .pointer(&format!("/metadata/{field}"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            if let Some(wanted) = wanted.as_deref().filter(|w| *w != actual) {
                let label = if field == "uid" {
                    "UID"
                } else {
                    "ResourceVersion"
                };
                return Err(ApiError::conflict(
                    rt,
                    name,
                    &format!(
                        "Precondition failed: {label} in precondition: {wanted}, {label} in object meta: {actual}"
                    ),
                ));
            }
        }
        if dry_run {
            return Ok((*current).clone());
        }
        let deleted = inner.commit(rt, key, None, EventType::Deleted, &self.changes);
        if rt.group.is_empty() && rt.kind == "Namespace" {
            inner.delete_namespace_contents(name, &self.changes);
        }
        Ok(deleted)
    }

    /// Start a watch: the initial objects to send as `ADDED` (when `initial`), and the
    /// cursor to poll from. `after` is the resourceVersion to resume after, if any.
    pub(crate) fn watch_start(
        &self,
        filter: &WatchFilter,
        after: Option<u64>,
        initial: bool,
    ) -> Result<(Vec<Arc<Value>>, WatchCursor), ApiError> {
        let inner = self.lock();
        let mut cursor = WatchCursor {
            position: inner.rv,
            epoch: inner.epoch,
        };
        if let Some(rv) = after {
            if rv < inner.compacted {
                return Err(ApiError::expired(rv, inner.compacted + 1));
            }
            cursor.position = rv;
        }
        let objects = if initial {
            inner
                .objects
                .get(&collection_key(&filter.rt))
                .map(|c| c.values().filter(|o| filter.matches(o)).cloned().collect())
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        Ok((objects, cursor))
    }

    /// The changes after the cursor that the filter selects, as watch events; moves the
    /// cursor to the latest resourceVersion. 410 when the history no longer reaches back.
    pub(crate) fn watch_poll(
        &self,
        filter: &WatchFilter,
        cursor: &mut WatchCursor,
    ) -> Result<Vec<(EventType, Arc<Value>)>, ApiError> {
        let inner = self.lock();
        if inner.epoch != cursor.epoch || cursor.position < inner.compacted {
            return Err(ApiError::expired(cursor.position, inner.compacted + 1));
        }
        let key = collection_key(&filter.rt);
        let start = inner.history.partition_point(|e| e.rv <= cursor.position);
        let mut events = Vec::new();
        for event in inner.history.range(start..) {
            if event.collection != key {
                continue;
            }
            let now = filter.matches(&event.object);
            let before = event.previous.as_deref().is_some_and(|p| filter.matches(p));
            let kind = match (event.kind, before, now) {
                (EventType::Modified, true, true) => EventType::Modified,
                (EventType::Modified, false, true) => EventType::Added,
                (EventType::Modified, true, false) => EventType::Deleted,
                (EventType::Modified, false, false) => continue,
                (kind, _, true) => kind,
                (_, _, false) => continue,
            };
            events.push((kind, Arc::clone(&event.object)));
        }
        cursor.position = inner.rv;
        Ok(events)
    }
}

impl Inner {
    /// Write (or, with `object` `None`, remove) one object under the next resourceVersion,
    /// record the change and wake the watches. Returns the object as stored (as it was, for
    /// a removal, with the removal's resourceVersion).
    fn commit(
        &mut self,
        rt: &ResourceType,
        key: (String, String),
        object: Option<Value>,
        kind: EventType,
        changes: &watch::Sender<u64>,
    ) -> Value {
        self.rv += 1;
        let rv = self.rv;
        let collection = self.objects.entry(collection_key(rt)).or_default();
        let previous = collection.remove(&key);
        let mut stored = match object {
            Some(object) => object,
            None => previous.as_deref().cloned().unwrap_or_default(),
        };
        metadata_mut(&mut stored).insert("resourceVersion".into(), Value::String(rv.to_string()));
        let stored = Arc::new(stored);
        if kind != EventType::Deleted {
            collection.insert(key, Arc::clone(&stored));
        }
        self.history.push_back(HistoryEvent {
            rv,
            collection: collection_key(rt),
            kind,
            object: Arc::clone(&stored),
            previous,
        });
        while self.history.len() > self.history_limit {
            if let Some(dropped) = self.history.pop_front() {
                self.compacted = dropped.rv;
            }
        }
        changes.send_replace(rv);
        (*stored).clone()
    }

    fn delete_namespace_contents(&mut self, namespace: &str, changes: &watch::Sender<u64>) {
        let namespaced: Vec<ResourceType> = self
            .registry
            .types()
            .iter()
            .filter(|t| t.namespaced)
            .cloned()
            .collect();
        for rt in namespaced {
            let keys: Vec<(String, String)> = self
                .objects
                .get(&collection_key(&rt))
                .map(|c| {
                    c.keys()
                        .filter(|(ns, _)| ns == namespace)
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            for key in keys {
                self.commit(&rt, key, None, EventType::Deleted, changes);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn store() -> Store {
        Store::new(Registry::builtin(), 3)
    }

    fn ingress(name: &str) -> Value {
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
               "metadata": {"name": name}, "spec": {"rules": [{"host": "a.example"}]},
               "status": {"loadBalancer": {"ingress": [{"ip": "10.0.0.1"}]}}})
    }

    fn rt(store: &Store) -> ResourceType {
        store
            .registry()
            .by_kind("networking.k8s.io/v1", "Ingress")
            .cloned()
            .unwrap()
    }

    #[test]
    fn create_stamps_server_fields() {
        let s = store();
        let created = s.create(ingress("web")).unwrap();
        let meta = &created["metadata"];
        assert_eq!(meta["namespace"], "default");
        assert_eq!(meta["resourceVersion"], "1");
        assert_eq!(meta["generation"], 1);
        assert_eq!(meta["uid"].as_str().unwrap().len(), 36);
        assert!(meta["creationTimestamp"].as_str().unwrap().ends_with('Z'));
        assert_eq!(s.create(ingress("web")).unwrap_err().code, 409);
        let over_http = s
            .create_in(
                &rt(&s),
                Some("other"),
                ingress("web"),
                WriteOptions::default(),
            )
            .unwrap();
        assert!(
            over_http.get("status").is_none(),
            "HTTP create drops status of a kind with a status subresource"
        );
        let err = s
            .create(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}))
            .unwrap_err();
        assert_eq!((err.code, err.reason.as_str()), (422, "Invalid"));
        let generated = s.create(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "cfg-"}})).unwrap();
        assert!(
            generated["metadata"]["name"]
                .as_str()
                .unwrap()
                .starts_with("cfg-")
        );
    }

    #[test]
    fn update_rules() {
        let s = store();
        let rt = rt(&s);
        let created = s.create(ingress("web")).unwrap();
        let mut stale = created.clone();
        stale["metadata"]["resourceVersion"] = "999".into();
        let err = s
            .update_in(
                &rt,
                Some("default"),
                "web",
                stale,
                Part::Main,
                WriteOptions::default(),
            )
            .unwrap_err();
        assert_eq!(err.code, 409);
        assert!(err.message.contains("the object has been modified"));
        // Main update keeps status; spec change bumps generation; label change does not.
        let mut body = created.clone();
        body["spec"]["rules"][0]["host"] = "b.example".into();
        body["status"] = json!({});
        let updated = s
            .update_in(
                &rt,
                Some("default"),
                "web",
                body,
                Part::Main,
                WriteOptions::default(),
            )
            .unwrap();
        assert_eq!(updated["status"], created["status"]);
        assert_eq!(updated["metadata"]["generation"], 2);
        let mut body = updated.clone();
        body["metadata"]["labels"] = json!({"a": "b"});
        let relabelled = s
            .update_in(
                &rt,
                Some("default"),
                "web",
                body,
                Part::Main,
                WriteOptions::default(),
            )
            .unwrap();
        assert_eq!(relabelled["metadata"]["generation"], 2);
        // Status update changes only status.
        let mut body = relabelled.clone();
        body["status"] = json!({"loadBalancer": {}});
        body["spec"] = json!({});
        let status = s
            .update_in(
                &rt,
                Some("default"),
                "web",
                body,
                Part::Status,
                WriteOptions::default(),
            )
            .unwrap();
        assert_eq!(status["status"], json!({"loadBalancer": {}}));
        assert_eq!(status["spec"], relabelled["spec"]);
        // A no-op write does not bump the resourceVersion.
        let rv = s.resource_version();
        s.update_in(
            &rt,
            Some("default"),
            "web",
            status.clone(),
            Part::Main,
            WriteOptions::default(),
        )
        .unwrap();
        assert_eq!(s.resource_version(), rv);
        let err = s
            .update_in(
                &rt,
                Some("default"),
                "nope",
                status.clone(),
                Part::Main,
                WriteOptions::default(),
            )
            .unwrap_err();
        assert_eq!(err.code, 400, "the body's name must match the URL's");
        let mut nameless = status;
        nameless["metadata"]["name"] = Value::Null;
        let err = s
            .update_in(
                &rt,
                Some("default"),
                "nope",
                nameless,
                Part::Main,
                WriteOptions::default(),
            )
            .unwrap_err();
        assert_eq!(err.code, 404);
    }

    #[test]
    fn watch_history_replays_and_expires() {
        let s = store();
        let filter = WatchFilter {
            rt: rt(&s),
            namespace: None,
            labels: LabelSelector::default(),
            fields: FieldSelector::default(),
        };
        let (initial, mut cursor) = s.watch_start(&filter, None, true).unwrap();
        assert!(initial.is_empty());
        s.create(ingress("a")).unwrap();
        s.create(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}))
            .unwrap();
        s.delete("networking.k8s.io/v1", "Ingress", None, "a")
            .unwrap();
        let events = s.watch_poll(&filter, &mut cursor).unwrap();
        let kinds: Vec<_> = events
            .iter()
            .map(|(k, o)| (*k, o["metadata"]["resourceVersion"].clone()))
            .collect();
        assert_eq!(
            kinds,
            [
                (EventType::Added, json!("1")),
                (EventType::Deleted, json!("3"))
            ]
        );
        assert_eq!(cursor.position, 3);
        // The history keeps 3 changes: resuming after rv 0 is now too old.
        s.create(ingress("b")).unwrap();
        assert_eq!(
            s.watch_start(&filter, Some(0), false).unwrap_err().code,
            410
        );
        assert!(s.watch_start(&filter, Some(1), false).is_ok());
        s.expire_history();
        assert_eq!(s.watch_poll(&filter, &mut cursor).unwrap_err().code, 410);
        assert_eq!(
            s.watch_start(&filter, Some(3), false).unwrap_err().code,
            410
        );
        assert!(s.watch_start(&filter, Some(4), false).is_ok());
    }

    #[test]
    fn selector_transitions_become_added_and_deleted() {
        let s = Store::new(Registry::builtin(), 100);
        let filter = WatchFilter {
            rt: rt(&s),
            namespace: Some("default".into()),
            labels: LabelSelector::parse("app=web").unwrap(),
            fields: FieldSelector::default(),
        };
        let (_, mut cursor) = s.watch_start(&filter, None, true).unwrap();
        s.create(ingress("a")).unwrap();
        let patch = |labels: Value| {
            s.merge_patch(
                "networking.k8s.io/v1",
                "Ingress",
                None,
                "a",
                &json!({"metadata": {"labels": labels}}),
            )
            .unwrap();
        };
        patch(json!({"app": "web"}));
        patch(json!({"app": "web", "x": "1"}));
        patch(json!({"app": null}));
        let kinds: Vec<_> = s
            .watch_poll(&filter, &mut cursor)
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            kinds,
            [EventType::Added, EventType::Modified, EventType::Deleted]
        );
    }

    #[test]
    fn deleting_a_namespace_deletes_its_objects() {
        let s = store();
        s.apply(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}))
            .unwrap();
        s.apply(json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a", "namespace": "team"}})).unwrap();
        s.apply(json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}}))
            .unwrap();
        s.delete("v1", "Namespace", None, "team").unwrap();
        assert_eq!(s.list("v1", "Service", None).len(), 1);
        assert_eq!(
            s.delete("v1", "Service", Some("team"), "a")
                .unwrap_err()
                .code,
            404
        );
    }
}
