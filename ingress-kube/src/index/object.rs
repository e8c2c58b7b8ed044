//! The objects the index reads: [`Object`], the [`Resource`] trait over the k8s-openapi kinds,
//! their identity ([`NamespacedName`]) and what is reported when one cannot be used
//! ([`ObjectError`]).

use std::fmt;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

/// The `namespace/name` of an object (`namespace` is `""` for cluster-scoped kinds). Cloning
/// is two reference counts.
///
/// # Examples
///
/// ```
/// use ingress_kube::index::NamespacedName;
///
/// let name = NamespacedName::new("shop", "web");
/// assert_eq!((name.namespace(), name.name()), ("shop", "web"));
/// assert_eq!(name.to_string(), "shop/web");
/// assert_eq!(NamespacedName::new("", "nginx").to_string(), "nginx");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NamespacedName {
    namespace: Arc<str>,
    name: Arc<str>,
}

impl NamespacedName {
    /// A name in a namespace (`""` for cluster-scoped objects).
    pub fn new(namespace: impl Into<Arc<str>>, name: impl Into<Arc<str>>) -> Self {
        NamespacedName {
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    /// The namespace.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for NamespacedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            f.write_str(&self.name)
        } else {
            write!(f, "{}/{}", self.namespace, self.name)
        }
    }
}

impl fmt::Debug for NamespacedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

/// The kinds the index reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectKind {
    /// `networking.k8s.io/v1` Ingress.
    Ingress,
    /// `networking.k8s.io/v1` IngressClass (cluster-scoped).
    IngressClass,
    /// `v1` Service.
    Service,
    /// `discovery.k8s.io/v1` EndpointSlice.
    EndpointSlice,
    /// `v1` Secret (only `type: kubernetes.io/tls` ones are kept).
    Secret,
}

impl ObjectKind {
    /// The API's kind name.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Ingress => "Ingress",
            ObjectKind::IngressClass => "IngressClass",
            ObjectKind::Service => "Service",
            ObjectKind::EndpointSlice => "EndpointSlice",
            ObjectKind::Secret => "Secret",
        }
    }

    fn namespaced(self) -> bool {
        self != ObjectKind::IngressClass
    }
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something the index could not use in an object: the object, the field, and what was left
/// out because of it. Objects from an API server are valid, so these are rare: a value out of
/// range for what routing needs, an EndpointSlice address that is not an IP, a TLS Secret
/// without its key.
///
/// # Examples
///
/// ```
/// use ingress_kube::index::{Index, IndexConfig, ObjectKind};
/// use k8s_openapi::api::core::v1::Secret;
///
/// let mut index = Index::new(IndexConfig::new("example.com/gateway"));
/// let mut secret = Secret::default();
/// secret.metadata.namespace = Some("shop".into());
/// secret.metadata.name = Some("cert".into());
/// secret.type_ = Some("kubernetes.io/tls".into());
/// let change = index.apply(secret);
/// let error = &change.errors[0];
/// assert_eq!((error.kind, error.object.to_string()), (ObjectKind::Secret, "shop/cert".into()));
/// assert_eq!(error.field, "data[tls.crt]");
/// assert_eq!(
///     error.to_string(),
///     "Secret shop/cert: data[tls.crt]: Required value: a kubernetes.io/tls Secret needs a \
///      certificate (Secret skipped)"
/// );
/// assert_eq!(index.errors().count(), 1); // kept until the Secret is fixed or deleted
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind} {object}: {}{message}", field_prefix(field))]
pub struct ObjectError {
    /// The object's kind.
    pub kind: ObjectKind,
    /// The object (`namespace/name`; what was readable of it).
    pub object: NamespacedName,
    /// The field path, in the API server's form (`endpoints[0].addresses[1]`); `""` for the
    /// object as a whole.
    pub field: String,
    /// What is wrong and what was skipped, in parentheses.
    pub message: String,
}

fn field_prefix(field: &str) -> String {
    if field.is_empty() {
        String::new()
    } else {
        format!("{field}: ")
    }
}

impl ObjectError {
    pub(crate) fn new(
        kind: ObjectKind,
        object: &NamespacedName,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ObjectError {
            kind,
            object: object.clone(),
            field: field.into(),
            message: message.into(),
        }
    }
}

/// One object of any kind the index reads, as a watch delivers it.
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)] // Objects are moved into the index once; boxing buys nothing.
pub enum Object {
    /// An Ingress.
    Ingress(Ingress),
    /// An IngressClass.
    IngressClass(IngressClass),
    /// A Service.
    Service(Service),
    /// An EndpointSlice.
    EndpointSlice(EndpointSlice),
    /// A Secret.
    Secret(Secret),
}

impl Object {
    /// The object's kind.
    pub fn kind(&self) -> ObjectKind {
        match self {
            Object::Ingress(_) => ObjectKind::Ingress,
            Object::IngressClass(_) => ObjectKind::IngressClass,
            Object::Service(_) => ObjectKind::Service,
            Object::EndpointSlice(_) => ObjectKind::EndpointSlice,
            Object::Secret(_) => ObjectKind::Secret,
        }
    }

    pub(crate) fn metadata(&self) -> &ObjectMeta {
        match self {
            Object::Ingress(o) => &o.metadata,
            Object::IngressClass(o) => &o.metadata,
            Object::Service(o) => &o.metadata,
            Object::EndpointSlice(o) => &o.metadata,
            Object::Secret(o) => &o.metadata,
        }
    }
}

/// A k8s-openapi kind the [`Index`](crate::index::Index) reads: `Ingress`, `IngressClass`,
/// `Service`, `EndpointSlice` and `Secret`.
pub trait Resource: Into<Object> {
    /// Which kind this is.
    const KIND: ObjectKind;

    /// The object's metadata (for its `namespace/name`).
    fn metadata(&self) -> &ObjectMeta;
}

macro_rules! resources {
    ($($ty:ident),*) => {$(
        impl From<$ty> for Object {
            fn from(o: $ty) -> Self {
                Object::$ty(o)
            }
        }

        impl Resource for $ty {
            const KIND: ObjectKind = ObjectKind::$ty;

            fn metadata(&self) -> &ObjectMeta {
                &self.metadata
            }
        }
    )*};
}

resources!(Ingress, IngressClass, Service, EndpointSlice, Secret);

/// The `namespace/name` of an object, or why it has none: a name is required, and so is a
/// namespace for namespaced kinds.
pub(crate) fn key_of(kind: ObjectKind, meta: &ObjectMeta) -> Result<NamespacedName, ObjectError> {
    let name = meta.name.as_deref().unwrap_or_default();
    let namespace = if kind.namespaced() {
        meta.namespace.as_deref().unwrap_or_default()
    } else {
        ""
    };
    let key = NamespacedName::new(namespace, name);
    if name.is_empty() {
        return Err(ObjectError::new(
            kind,
            &key,
            "metadata.name",
            format!("Required value: name or generateName is required ({kind} skipped)"),
        ));
    }
    if kind.namespaced() && namespace.is_empty() {
        return Err(ObjectError::new(
            kind,
            &key,
            "metadata.namespace",
            format!("Required value: a {kind} is namespaced ({kind} skipped)"),
        ));
    }
    Ok(key)
}
