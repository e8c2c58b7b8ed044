//! `networking.k8s.io/v1` IngressClass and the default-class admission rule.

use serde::{Deserialize, Serialize};

use crate::ingress::NETWORKING_V1;
use crate::meta::ObjectMeta;

/// The annotation that marks an IngressClass as the cluster default; the value must be exactly
/// `"true"`.
pub const DEFAULT_CLASS_ANNOTATION: &str = "ingressclass.kubernetes.io/is-default-class";

/// A `networking.k8s.io/v1` IngressClass (cluster-scoped).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressClass {
    /// Always `networking.k8s.io/v1` for objects this crate builds.
    #[serde(default = "networking_v1")]
    pub api_version: String,
    /// Always `IngressClass`.
    #[serde(default = "class_kind")]
    pub kind: String,
    /// Name (what `spec.ingressClassName` refers to) and annotations.
    #[serde(default, deserialize_with = "crate::null::or_default")]
    pub metadata: ObjectMeta,
    /// Controller and parameters.
    #[serde(default, deserialize_with = "crate::null::or_default")]
    pub spec: IngressClassSpec,
}

fn networking_v1() -> String {
    NETWORKING_V1.to_owned()
}

fn class_kind() -> String {
    "IngressClass".to_owned()
}

impl Default for IngressClass {
    fn default() -> Self {
        IngressClass {
            api_version: networking_v1(),
            kind: class_kind(),
            metadata: ObjectMeta::default(),
            spec: IngressClassSpec::default(),
        }
    }
}

impl IngressClass {
    /// Whether the class carries `ingressclass.kubernetes.io/is-default-class: "true"` (exactly).
    pub fn is_default(&self) -> bool {
        self.metadata.annotation(DEFAULT_CLASS_ANNOTATION) == Some("true")
    }
}

/// `IngressClassSpec`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressClassSpec {
    /// The controller that serves this class (`example.com/ingress-controller`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controller: Option<String>,
    /// Controller-specific configuration; opaque to routing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<IngressClassParametersReference>,
}

/// `IngressClassParametersReference`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressClassParametersReference {
    /// API group of the parameters kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_group: Option<String>,
    /// Kind of the parameters object.
    #[serde(default, deserialize_with = "crate::null::or_default")]
    pub kind: String,
    /// Name of the parameters object.
    #[serde(default, deserialize_with = "crate::null::or_default")]
    pub name: String,
    /// `Cluster` or `Namespace` (v1 defaults it to `Cluster`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Namespace of the parameters object when `scope` is `Namespace`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// The class the `DefaultIngressClass` admission plugin would assign to a new Ingress that sets
/// neither `spec.ingressClassName` nor the class annotation.
///
/// Among the classes whose `ingressclass.kubernetes.io/is-default-class` annotation is exactly
/// `"true"`, the newest (`creationTimestamp`) wins and ties go to the lower name. This is the
/// rule since Kubernetes 1.25 (kubernetes/kubernetes#110974); before it, several defaults made
/// the create fail. A class without a parseable timestamp counts as the oldest.
///
/// # Examples
///
/// ```
/// use ingress_model::{IngressClass, Timestamp, default_class};
///
/// let class = |name: &str, created: &str, default: &str| {
///     let mut c = IngressClass::default();
///     c.metadata.name = Some(name.into());
///     c.metadata.creation_timestamp = Some(Timestamp::new(created));
///     c.metadata.annotations.insert(
///         "ingressclass.kubernetes.io/is-default-class".into(), default.into());
///     c
/// };
/// let classes = [
///     class("old", "2020-01-01T00:00:00Z", "true"),
///     class("new-b", "2024-01-01T00:00:00Z", "true"),
///     class("new-a", "2024-01-01T00:00:00Z", "true"),
///     class("newest", "2025-01-01T00:00:00Z", "True"), // not exactly "true": not a default
/// ];
/// assert_eq!(default_class(&classes).map(|c| c.metadata.name()), Some("new-a"));
/// assert!(default_class(&[]).is_none());
/// ```
pub fn default_class(classes: &[IngressClass]) -> Option<&IngressClass> {
    classes.iter().filter(|c| c.is_default()).max_by(|a, b| {
        let created = |c: &IngressClass| {
            c.metadata
                .creation_timestamp
                .as_ref()
                .and_then(|t| t.unix_seconds())
                .unwrap_or(i64::MIN)
        };
        created(a)
            .cmp(&created(b))
            // max_by keeps the last maximum: reverse the name order so the lower name wins.
            .then_with(|| b.metadata.name().cmp(a.metadata.name()))
    })
}
