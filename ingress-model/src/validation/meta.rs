//! `metadata` checks: `ValidateObjectMeta` and `ValidateObjectMetaUpdate`
//! (`k8s.io/apimachinery/pkg/api/validation/objectmeta.go`), for the fields [`ObjectMeta`]
//! models (name, namespace, uid, creationTimestamp, labels, annotations).
//!
//! What the API server does before validation decides two things here
//! (`k8s.io/apiserver/pkg/registry/rest`, `create.go` and `update.go`):
//!
//! * `EnsureObjectNamespaceMatchesRequestNamespace` fills an empty namespace from the request
//!   URL and clears the namespace of cluster-scoped kinds. So an Ingress without a namespace is
//!   not an error here (the loader gives it one anyway), and an IngressClass's namespace is
//!   never looked at.
//! * `BeforeCreate` overwrites `uid` and `creationTimestamp`; `BeforeUpdate` copies them from
//!   the old object when the new one has none. Only a real change is an error.

use super::FieldError;
use super::field::{Path, go_quote};
use super::names;
use crate::meta::ObjectMeta;

/// `FieldImmutableErrorMsg`.
pub(crate) const FIELD_IMMUTABLE: &str = "field is immutable";

/// `TotalAnnotationSizeLimitB`: 256 KiB for all annotation keys and values together.
const TOTAL_ANNOTATION_SIZE_LIMIT: usize = 256 * 1024;

/// How a kind's `metadata.name` is checked.
pub(crate) type NameCheck = fn(&str) -> Vec<String>;

/// `ValidateObjectMetaAccessor`: name (required, then `name_check`), namespace (namespaced
/// kinds, when set), labels and annotations.
pub(crate) fn validate_object_meta(
    meta: &ObjectMeta,
    namespaced: bool,
    name_check: NameCheck,
    errs: &mut Vec<FieldError>,
) {
    let path = Path::new("metadata");
    let name = meta.name();
    if name.is_empty() {
        // generateName is not modelled, so it cannot stand in for the name.
        errs.push(FieldError::required(
            path.child("name").to_string(),
            "name or generateName is required",
        ));
    } else {
        for msg in name_check(name) {
            errs.push(FieldError::invalid(
                path.child("name").to_string(),
                name,
                msg,
            ));
        }
    }
    let namespace = meta.namespace();
    if namespaced && !namespace.is_empty() {
        // ValidateNamespaceName = NameIsDNSLabel.
        for msg in names::is_dns1123_label(namespace) {
            errs.push(FieldError::invalid(
                path.child("namespace").to_string(),
                namespace,
                msg,
            ));
        }
    }
    validate_labels_and_annotations(meta, &path, errs);
}

/// `ValidateLabels` then `ValidateAnnotations`.
fn validate_labels_and_annotations(meta: &ObjectMeta, path: &Path, errs: &mut Vec<FieldError>) {
    let labels = path.child("labels");
    for (key, value) in &meta.labels {
        for msg in names::is_qualified_name(key) {
            errs.push(FieldError::invalid(labels.to_string(), key, msg));
        }
        for msg in names::is_valid_label_value(value) {
            errs.push(FieldError::invalid(labels.to_string(), value, msg));
        }
    }
    let annotations = path.child("annotations");
    let mut total: usize = 0;
    for (key, value) in &meta.annotations {
        // "The rule is QualifiedName except that case doesn't matter" (objectmeta.go).
        for msg in names::is_qualified_name(&key.to_lowercase()) {
            errs.push(FieldError::invalid(annotations.to_string(), key, msg));
        }
        total = total.saturating_add(key.len()).saturating_add(value.len());
    }
    if total > TOTAL_ANNOTATION_SIZE_LIMIT {
        errs.push(FieldError::too_long(
            annotations.to_string(),
            TOTAL_ANNOTATION_SIZE_LIMIT,
        ));
    }
}

/// `ValidateObjectMetaAccessorUpdate`: name, namespace, uid and creationTimestamp are
/// immutable; labels and annotations are checked again.
///
/// `resourceVersion` is not required: Ingress and IngressClass allow unconditional updates, so
/// the registry fills it in before validating (`generic/registry/store.go`, `Update`).
pub(crate) fn validate_object_meta_update(
    new: &ObjectMeta,
    old: &ObjectMeta,
    errs: &mut Vec<FieldError>,
) {
    let path = Path::new("metadata");
    if new.name() != old.name() {
        errs.push(FieldError::invalid(
            path.child("name").to_string(),
            new.name(),
            FIELD_IMMUTABLE,
        ));
    }
    // An empty namespace is filled from the request (that is, the old object's namespace).
    if !new.namespace().is_empty()
        && !old.namespace().is_empty()
        && new.namespace() != old.namespace()
    {
        errs.push(FieldError::invalid(
            path.child("namespace").to_string(),
            new.namespace(),
            FIELD_IMMUTABLE,
        ));
    }
    // BeforeUpdate: "Use the existing UID if none is provided".
    let new_uid = new.uid.as_deref().unwrap_or("");
    if !new_uid.is_empty() && new_uid != old.uid.as_deref().unwrap_or("") {
        errs.push(FieldError::invalid(
            path.child("uid").to_string(),
            new_uid,
            FIELD_IMMUTABLE,
        ));
    }
    // BeforeUpdate: "ignore changes to timestamp" unless the old object had none.
    if let (None, Some(created)) = (&old.creation_timestamp, &new.creation_timestamp) {
        errs.push(FieldError::invalid_rendered(
            path.child("creationTimestamp").to_string(),
            go_quote(created.as_str()),
            FIELD_IMMUTABLE,
        ));
    }
    validate_labels_and_annotations(new, &path, errs);
}

/// `rest.ValidateUpdate`'s common checks (`validateCommonFields`, names as REST path
/// segments), which run before the kind's own update validation.
pub(crate) fn validate_common_update(
    new: &ObjectMeta,
    old: &ObjectMeta,
    namespaced: bool,
    errs: &mut Vec<FieldError>,
) {
    validate_object_meta(new, namespaced, names::is_path_segment_name, errs);
    validate_object_meta_update(new, old, errs);
}

/// Drops repeated errors, keeping the first of each.
///
/// On update the API server runs the metadata checks up to four times (common fields, then
/// the kind's `ValidateObjectMetaUpdate` and `ValidateObjectMeta`) and returns every copy; it
/// counts them as duplicates in a metric (`rest.RecordDuplicateValidationErrors`). We report
/// each error once.
pub(crate) fn dedupe(errs: Vec<FieldError>) -> Vec<FieldError> {
    let mut seen = std::collections::HashSet::new();
    errs.into_iter()
        .filter(|e| seen.insert(e.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(name: &str) -> ObjectMeta {
        ObjectMeta {
            name: Some(name.to_owned()),
            namespace: Some("default".to_owned()),
            ..ObjectMeta::default()
        }
    }

    #[test]
    fn name_required_and_checked() {
        let mut errs = Vec::new();
        validate_object_meta(
            &ObjectMeta::default(),
            true,
            names::is_dns1123_subdomain,
            &mut errs,
        );
        assert_eq!(
            errs[0].to_string(),
            "metadata.name: Required value: name or generateName is required"
        );
        errs.clear();
        validate_object_meta(
            &meta("test*123"),
            true,
            names::is_dns1123_subdomain,
            &mut errs,
        );
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].field, "metadata.name");
        assert_eq!(errs[0].bad_value.as_deref(), Some("\"test*123\""));
    }

    #[test]
    fn labels_annotations_namespace() {
        let mut m = meta("ok");
        m.namespace = Some("Bad_NS".to_owned());
        m.labels.insert("a/b/c".to_owned(), "-bad".to_owned());
        m.annotations
            .insert("Example.COM/Key".to_owned(), "x".to_owned());
        m.annotations
            .insert("big".to_owned(), "x".repeat(TOTAL_ANNOTATION_SIZE_LIMIT));
        let mut errs = Vec::new();
        validate_object_meta(&m, true, names::is_dns1123_subdomain, &mut errs);
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "metadata.namespace",
                "metadata.labels",
                "metadata.labels",
                "metadata.annotations"
            ]
        );
        assert_eq!(
            errs[3].to_string(),
            "metadata.annotations: Too long: may not be more than 262144 bytes"
        );
    }

    #[test]
    fn update_immutables() {
        let old = meta("a");
        let mut new = meta("b");
        new.namespace = Some("other".to_owned());
        new.uid = Some("u2".to_owned());
        let mut errs = Vec::new();
        validate_object_meta_update(&new, &old, &mut errs);
        let shown: Vec<String> = errs.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                r#"metadata.name: Invalid value: "b": field is immutable"#,
                r#"metadata.namespace: Invalid value: "other": field is immutable"#,
                r#"metadata.uid: Invalid value: "u2": field is immutable"#,
            ]
        );
        // No uid, no namespace, no timestamp on the new object: taken from the old one.
        let mut new = meta("a");
        new.namespace = None;
        let mut errs = Vec::new();
        validate_object_meta_update(&new, &old, &mut errs);
        assert!(errs.is_empty(), "{errs:?}");
    }
}
