//! One kube-runtime watcher per kind and namespace, decoding objects one by one.
//!
//! [`Lenient<K>`] is what the watcher lists and watches: any JSON object, decoded as `K` when
//! it can be, else kept as its identity and the decoding error's field path. A typed
//! `Api<Ingress>` would decode a whole list as one `IngressList`, so one Ingress the
//! k8s-openapi type refuses (a port number written as a string, say) would fail every list of
//! that kind, forever; here it is one skipped object.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use futures::StreamExt;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::Api;
use kube::core::DynamicResourceScope;
use kube::runtime::{WatchStreamExt, watcher};
use serde::de::{Deserialize, DeserializeOwned, Deserializer};
use serde_json::Value;
use tokio::sync::mpsc;

use super::Counters;
use super::events::Skipped;
use crate::index::{NamespacedName, Object, ObjectError, ObjectKind, Resource};

/// One object as the API server sent it: decoded, or malformed.
#[derive(Clone, Debug)]
pub(crate) enum Lenient<K> {
    /// Decoded as `K`.
    Decoded(K),
    /// Not a valid `K` (boxed: rare, and `ObjectMeta` is large).
    Malformed(Box<Malformed>),
}

/// An object that could not be decoded.
#[derive(Clone, Debug)]
pub(crate) struct Malformed {
    /// Its identity: name, namespace, uid and resourceVersion, read as strings.
    metadata: ObjectMeta,
    /// Where decoding stopped (`spec.rules[0].http.paths[0].backend.service.port.number`).
    path: String,
    /// The decoder's message (`invalid type: string "http", expected i32`).
    message: String,
}

impl<K: DeserializeOwned> Lenient<K> {
    fn decode(value: Value) -> Self {
        // Read the identity first: decoding consumes the value.
        let text = |pointer: &str| {
            value
                .pointer(pointer)
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let metadata = ObjectMeta {
            name: text("/metadata/name"),
            namespace: text("/metadata/namespace"),
            uid: text("/metadata/uid"),
            resource_version: text("/metadata/resourceVersion"),
            ..ObjectMeta::default()
        };
        match serde_path_to_error::deserialize::<_, K>(value) {
            Ok(object) => Lenient::Decoded(object),
            Err(e) => Lenient::Malformed(Box::new(Malformed {
                metadata,
                path: e.path().to_string(),
                message: e.inner().to_string(),
            })),
        }
    }
}

impl<'de, K: DeserializeOwned> Deserialize<'de> for Lenient<K> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Only input that is not JSON at all fails here (and fails the list, as it should:
        // that is a broken server, not a bad object).
        Value::deserialize(deserializer).map(Lenient::decode)
    }
}

impl<K> kube::Resource for Lenient<K>
where
    K: kube::Resource<DynamicType = ()>,
{
    type DynamicType = ();
    // Dynamic, so that one generic `Api::namespaced_with` serves every kind; the driver knows
    // which kinds are namespaced.
    type Scope = DynamicResourceScope;

    fn kind(dt: &()) -> Cow<'_, str> {
        K::kind(dt)
    }

    fn group(dt: &()) -> Cow<'_, str> {
        K::group(dt)
    }

    fn version(dt: &()) -> Cow<'_, str> {
        K::version(dt)
    }

    fn plural(dt: &()) -> Cow<'_, str> {
        K::plural(dt)
    }

    fn meta(&self) -> &ObjectMeta {
        match self {
            Lenient::Decoded(object) => object.meta(),
            Lenient::Malformed(m) => &m.metadata,
        }
    }

    fn meta_mut(&mut self) -> &mut ObjectMeta {
        match self {
            Lenient::Decoded(object) => object.meta_mut(),
            Lenient::Malformed(m) => &mut m.metadata,
        }
    }
}

/// A kind the driver watches: an index [`Resource`] that kube can list and watch.
pub(crate) trait Watched:
    Resource
    + kube::Resource<DynamicType = ()>
    + DeserializeOwned
    + Clone
    + fmt::Debug
    + Send
    + Sync
    + 'static
{
}

impl<K> Watched for K where
    K: Resource
        + kube::Resource<DynamicType = ()>
        + DeserializeOwned
        + Clone
        + fmt::Debug
        + Send
        + Sync
        + 'static
{
}

/// What one watch tells the driver.
#[derive(Debug)]
pub(crate) enum Message {
    /// The source finished a (re)list: every object it holds now, and the ones it could not
    /// decode.
    Listed {
        source: usize,
        objects: Vec<Object>,
        malformed: Vec<Skipped>,
    },
    /// An object was added or changed (or could not be decoded). Boxed: a channel slot holds
    /// any message, and most are small.
    Applied {
        source: usize,
        object: Box<Result<Object, Skipped>>,
    },
    /// An object was deleted.
    Deleted { source: usize, key: NamespacedName },
}

/// Where one watcher looks.
#[derive(Clone, Debug)]
pub(crate) struct Source {
    pub(crate) kind: ObjectKind,
    /// `None`: every namespace (and always for IngressClasses).
    pub(crate) namespace: Option<String>,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} in {ns}", self.kind),
            None => write!(f, "{}", self.kind),
        }
    }
}

fn key_of(kind: ObjectKind, meta: &ObjectMeta) -> NamespacedName {
    let namespace = if kind == ObjectKind::IngressClass {
        ""
    } else {
        meta.namespace.as_deref().unwrap_or_default()
    };
    NamespacedName::new(namespace, meta.name.as_deref().unwrap_or_default())
}

/// The object, or the report of why it was skipped (logged here, once per sighting).
fn accept<K: Watched>(object: Lenient<K>, counters: &Counters) -> Result<Object, Skipped> {
    match object {
        Lenient::Decoded(object) => Ok(object.into()),
        Lenient::Malformed(malformed) => {
            let Malformed {
                metadata,
                path,
                message,
            } = *malformed;
            let kind = K::KIND;
            let key = key_of(kind, &metadata);
            counters.malformed.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                kind = %kind,
                object = %key,
                field = %path,
                error = %message,
                "malformed object skipped"
            );
            Err(Skipped {
                error: ObjectError::new(kind, &key, path, format!("{message} ({kind} skipped)")),
                uid: metadata.uid,
            })
        }
    }
}

/// Runs one watcher until the driver goes away: relists are collected and sent whole, other
/// events one by one. Watch errors are logged and retried with kube's default backoff
/// (exponential from 800 ms to 30 s, with jitter, reset after 120 s of health).
pub(crate) async fn run<K: Watched>(
    client: kube::Client,
    index: usize,
    source: Source,
    config: watcher::Config,
    tx: mpsc::Sender<Message>,
    counters: Arc<Counters>,
) {
    let api: Api<Lenient<K>> = match &source.namespace {
        Some(ns) => Api::namespaced_with(client, ns, &()),
        None => Api::all_with(client, &()),
    };
    let mut events = watcher(api, config).default_backoff().boxed();
    let mut objects = Vec::new();
    let mut malformed = Vec::new();
    while let Some(event) = events.next().await {
        let message = match event {
            Ok(watcher::Event::Init) => {
                objects.clear();
                malformed.clear();
                None
            }
            Ok(watcher::Event::InitApply(object)) => {
                match accept(object, &counters) {
                    Ok(object) => objects.push(object),
                    Err(e) => malformed.push(e),
                }
                None
            }
            Ok(watcher::Event::InitDone) => {
                tracing::debug!(%source, objects = objects.len(), "listed");
                Some(Message::Listed {
                    source: index,
                    objects: std::mem::take(&mut objects),
                    malformed: std::mem::take(&mut malformed),
                })
            }
            Ok(watcher::Event::Apply(object)) => Some(Message::Applied {
                source: index,
                object: Box::new(accept(object, &counters)),
            }),
            Ok(watcher::Event::Delete(object)) => Some(Message::Deleted {
                source: index,
                key: key_of(K::KIND, kube::Resource::meta(&object)),
            }),
            Err(e) => {
                counters.watch_errors.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(%source, error = %e, "watch failed; keeping the last snapshot and retrying");
                None
            }
        };
        if let Some(message) = message
            && tx.send(message).await.is_err()
        {
            return; // the driver stopped
        }
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::networking::v1::Ingress;
    use serde_json::json;

    use super::*;

    #[test]
    fn a_malformed_object_keeps_its_identity_and_the_field_path() {
        let value = json!({
            "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "bad", "namespace": "shop", "resourceVersion": "7"},
            "spec": {"rules": [{"host": "a.example", "http": {"paths": [{"path": "/",
                "pathType": "Prefix",
                "backend": {"service": {"name": "web", "port": {"number": "http"}}}}]}}]}
        });
        let Lenient::<Ingress>::Malformed(malformed) = Lenient::decode(value) else {
            panic!("decoded a string port number");
        };
        let Malformed {
            metadata,
            path,
            message,
        } = *malformed;
        assert_eq!(metadata.name.as_deref(), Some("bad"));
        assert_eq!(metadata.namespace.as_deref(), Some("shop"));
        assert_eq!(metadata.resource_version.as_deref(), Some("7"));
        assert_eq!(
            path,
            "spec.rules[0].http.paths[0].backend.service.port.number"
        );
        assert!(
            message.contains("invalid type: string \"http\""),
            "{message}"
        );
    }

    #[test]
    fn a_list_with_one_malformed_item_decodes_the_others() {
        let list = json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": "9"},
        "items": [
            {"metadata": {"name": "good", "namespace": "a"}},
            {"metadata": {"name": "bad", "namespace": "a"}, "spec": {"rules": 5}}
        ]});
        let list: kube::core::ObjectList<Lenient<Ingress>> =
            serde_json::from_value(list).expect("the list decodes");
        assert!(
            matches!(&list.items[0], Lenient::Decoded(i) if i.metadata.name.as_deref() == Some("good"))
        );
        assert!(matches!(&list.items[1], Lenient::Malformed(m) if m.path == "spec.rules"));
    }
}
