//! What every kind shares: `metadata`, its timestamps, and the `apiVersion`/`kind` pair.

use k8s_openapi::Resource;
use k8s_openapi::apimachinery::pkg::apis::meta::v1 as k8s;
use k8s_openapi::jiff;

use super::convert::{Convert, FieldError, TryConvert, owned_and_borrowed};
use crate::{ObjectMeta, Timestamp};

/// How k8s-openapi writes a `metav1.Time`: second precision, UTC.
const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%SZ";

owned_and_borrowed! {
    impl TryConvert<ObjectMeta> for k8s::ObjectMeta {
        fn try_convert(meta) {
            let k8s::ObjectMeta {
                name,
                namespace,
                uid,
                resource_version,
                creation_timestamp,
                labels,
                annotations,
                ..
            } = meta;
            Ok(ObjectMeta {
                name: name.convert(),
                namespace: namespace.convert(),
                uid: uid.convert(),
                resource_version: resource_version.convert(),
                creation_timestamp: creation_timestamp
                    .as_ref()
                    .map(|time| from_time(time, "metadata.creationTimestamp"))
                    .transpose()?,
                labels: labels.convert(),
                annotations: annotations.convert(),
            })
        }
    }
}

owned_and_borrowed! {
    impl TryConvert<k8s::ObjectMeta> for ObjectMeta {
        fn try_convert(meta) {
            let ObjectMeta {
                name,
                namespace,
                uid,
                resource_version,
                creation_timestamp,
                labels,
                annotations,
            } = meta;
            Ok(k8s::ObjectMeta {
                name: name.convert(),
                namespace: namespace.convert(),
                uid: uid.convert(),
                resource_version: resource_version.convert(),
                creation_timestamp: creation_timestamp
                    .as_ref()
                    .map(|timestamp| to_time(timestamp, "metadata.creationTimestamp"))
                    .transpose()?,
                labels: labels.convert(),
                annotations: annotations.convert(),
                ..Default::default()
            })
        }
    }
}

/// The text k8s-openapi serialises `time` as (so fractions of a second are dropped).
fn from_time(time: &k8s::Time, field: &'static str) -> Result<Timestamp, FieldError> {
    jiff::fmt::strtime::format(TIME_FORMAT, time.0)
        .map(Timestamp::new)
        .map_err(|e| FieldError {
            field,
            reason: e.to_string(),
        })
}

/// `timestamp` parsed as k8s-openapi deserialises a `metav1.Time` (jiff's RFC 3339 parser).
fn to_time(timestamp: &Timestamp, field: &'static str) -> Result<k8s::Time, FieldError> {
    timestamp
        .as_str()
        .parse::<jiff::Timestamp>()
        .map(k8s::Time)
        .map_err(|e| FieldError {
            field,
            reason: format!("{:?} is not an RFC 3339 timestamp: {e}", timestamp.as_str()),
        })
}

/// `apiVersion` and `kind` of a k8s-openapi kind, which its types hold as constants.
pub(super) fn type_meta<R: Resource>() -> (String, String) {
    (R::API_VERSION.to_owned(), R::KIND.to_owned())
}

/// k8s-openapi rejects any `apiVersion` and `kind` but its own constants when deserialising;
/// so do these conversions, checking `apiVersion` first, as the JSON path did.
pub(super) fn check_type_meta<R: Resource>(
    api_version: &str,
    kind: &str,
) -> Result<(), FieldError> {
    for (field, found, expected) in [
        ("apiVersion", api_version, R::API_VERSION),
        ("kind", kind, R::KIND),
    ] {
        if found != expected {
            return Err(FieldError {
                field,
                reason: format!("expected {expected:?}, found {found:?}"),
            });
        }
    }
    Ok(())
}
