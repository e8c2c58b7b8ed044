//! Validation that says what the API server would say.
//!
//! These functions check `networking.k8s.io/v1` Ingress and IngressClass objects, and the
//! Secrets their TLS names, with the rules of the Kubernetes API server (`kubernetes/kubernetes`
//! `pkg/apis/networking/validation` and, for Secrets, `pkg/apis/core/validation`, with
//! apimachinery's name checks), and report each problem with the API server's field path
//! and words, so that a manifest rejected by `kubectl apply` is rejected here with the same
//! message, and one accepted there is accepted here.
//!
//! | Function | API server |
//! |---|---|
//! | [`validate_ingress`] | `ValidateIngressCreate` and `WarningsOnCreate` (create) |
//! | [`validate_ingress_update`] | `ValidateIngressUpdate` (update: relaxations, no mismatch check) |
//! | [`validate_ingress_class`] | `ValidateIngressClass`, after v1 defaulting |
//! | [`validate_ingress_class_update`] | `ValidateIngressClassUpdate` (controller immutable) |
//! | [`validate_secret`] | `ValidateSecret` (`pkg/apis/core/validation`), create |
//!
//! Each returns a [`Validation`]: [`FieldError`]s (the object would be rejected) and warnings
//! (it would be accepted, with a `Warning:` line from `kubectl`). Errors print as the API server
//! prints them, `field: Type: "value": detail`:
//!
//! ```
//! use ingress_model::{Ingress, IngressRule};
//! use ingress_model::validation::{ValidationOptions, validate_ingress};
//!
//! let mut ingress = Ingress::default();
//! ingress.metadata.name = Some("web".into());
//! ingress.spec.rules.push(IngressRule { host: Some("127.0.0.1".into()), http: None });
//! let v = validate_ingress(&ingress, &ValidationOptions::default());
//! assert_eq!(v.errors[0].to_string(),
//!     r#"spec.rules[0].host: Invalid value: "127.0.0.1": must be a DNS name, not an IP address"#);
//! ```
//!
//! # What is checked
//!
//! * **Metadata** (`ValidateObjectMeta`): `metadata.name` required and a DNS-1123 subdomain; an
//!   Ingress namespace, when set, a DNS-1123 label; label keys and values; annotation keys
//!   (case-insensitive qualified names) and their total size (256 KiB). On update, name,
//!   namespace, uid and creationTimestamp are immutable.
//! * **Ingress spec**: rules or `defaultBackend`; rule hosts not IP addresses (parsed leniently,
//!   as Go 1.16 did: `010.1.1.1` is an IP), wildcard hosts `*.` + subdomain, other hosts
//!   subdomains; `http.paths` not empty; `pathType` required and one of the three; Exact and
//!   Prefix paths absolute and free of `//`, `/./`, `/../`, `%2f`, `%2F` and of the suffixes
//!   `/..`, `/.`; ImplementationSpecific paths empty or absolute; backends with exactly one of
//!   service and resource, Service names DNS-1035 labels, exactly one of port name (an IANA
//!   service name) and number (1 to 65535); resource `apiGroup`, `kind`, `name`; TLS hosts and
//!   secret names; `ingressClassName`; on create, the class annotation equal to
//!   `ingressClassName` when both are set.
//! * **Ingress update relaxations**: an invalid `secretName` is accepted when the old object
//!   had one; wildcard-host rules are not checked when the old object had an invalid one
//!   (`AllowInvalidWildcardHostRule`); Service names may be DNS-1123 labels when the old object
//!   used such a name; the annotation/field mismatch is not checked.
//! * **IngressClass**: `spec.controller` required, at most 250 bytes, a domain-prefixed path,
//!   immutable; parameters `apiGroup`, `kind`, `name`; `scope` (defaulted to `Cluster` when
//!   absent, as v1 defaulting does before validation) `Cluster` or `Namespace`, with a
//!   namespace (a DNS-1123 label) exactly when it is `Namespace`.
//! * **Secret** (on the data as stored: `stringData` merged into `data`): metadata (namespaced,
//!   name a DNS-1123 subdomain); every key a config key (`[-._a-zA-Z0-9]+`, at most 253
//!   characters, not `.`, `..` or `..`-prefixed); at most 1 MiB of data; a
//!   `type: kubernetes.io/tls` Secret holds `tls.crt` and `tls.key` (`data[tls.crt]: Required
//!   value`). The rules of the other Secret types (service-account tokens, docker configs, basic
//!   and SSH auth) and the update checks (immutable type and data) are not implemented.
//! * **Warnings**: on create, `annotation "kubernetes.io/ingress.class" is deprecated, please use
//!   'spec.ingressClassName' instead` when the annotation is set and the field is not
//!   (`pkg/registry/networking/ingress/strategy.go`). Like the API server, warnings are only
//!   given for objects without errors: the server returns the errors before it asks for them.
//!
//! # Differences from the API server
//!
//! * Fields this crate does not model are not checked: `generateName`, `ownerReferences`,
//!   `finalizers`, `managedFields`, `generation`, deletion fields, and `status` (which create
//!   and update both ignore).
//! * What the API server takes from the request is not an error here: an Ingress without a
//!   namespace (the request URL supplies it), an IngressClass with one (it is cleared), a
//!   missing `resourceVersion` on update (unconditional updates are allowed for these kinds).
//! * On update the API server runs the metadata checks several times and repeats their
//!   errors; each is reported once here.
//! * The `null` printed for `spec: Invalid value: null: either ...` would be `[]` for a
//!   manifest that writes `rules: []`; our types cannot tell the two apart.
//! * Bad values are quoted as Go's `strconv.Quote` does, except that unassigned Unicode code
//!   points are printed as they are instead of escaped.
//!
//! The [`names`] module has the format checks (DNS names, port names, label keys, the IP
//! parser) for callers that want them on their own.

mod class;
mod field;
mod ingress;
mod meta;
pub mod names;
mod secret;

use std::fmt;

use crate::{Ingress, IngressClass, Secret};

/// The kind of a field error, as `k8s.io/apimachinery/pkg/util/validation/field.ErrorType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorType {
    /// `Invalid value`
    Invalid,
    /// `Required value`
    Required,
    /// `Unsupported value`
    NotSupported,
    /// `Forbidden`
    Forbidden,
    /// `Too long`
    TooLong,
    /// `Duplicate value`
    Duplicate,
}

impl ErrorType {
    /// The API server's words for this type.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorType::Invalid => "Invalid value",
            ErrorType::Required => "Required value",
            ErrorType::NotSupported => "Unsupported value",
            ErrorType::Forbidden => "Forbidden",
            ErrorType::TooLong => "Too long",
            ErrorType::Duplicate => "Duplicate value",
        }
    }
}

/// One validation error: a field path, a type, the bad value (if any) and the detail.
///
/// Build one with [`FieldError::invalid`], [`FieldError::required`] and the other
/// constructors; `Display` gives the API server's `field: Type: value: detail` line.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FieldError {
    /// Field path in the API server's form, e.g. `spec.rules[0].http.paths[1].path`.
    pub field: String,
    /// What kind of error.
    pub error_type: ErrorType,
    /// The offending value, rendered as the API server does (`"foo"`), if the error has one.
    pub bad_value: Option<String>,
    /// The explanation, in the API server's words.
    pub detail: String,
}

impl fmt::Display for FieldError {
    /// `field: Type: value: detail`, as `(*field.Error).Error()`: the value only when the error
    /// has one (never for `Required value`, `Forbidden` or `Too long`), the detail only when
    /// it is not empty.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.error_type.as_str())?;
        if let Some(v) = &self.bad_value {
            write!(f, ": {v}")?;
        }
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

/// The result of validating one object: errors (the API server would reject it) and warnings
/// (it would accept it and say something).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Validation {
    /// Errors: the object would be rejected.
    pub errors: Vec<FieldError>,
    /// Warnings, e.g. the deprecated class annotation. Like the API server, only objects
    /// without errors get them.
    pub warnings: Vec<String>,
}

impl Validation {
    /// No errors (warnings allowed).
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Options that change what the API server accepts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValidationOptions {
    /// The `RelaxedServiceNameValidation` feature gate (alpha in 1.34, off by default): Service
    /// names may be DNS-1123 labels (start with a digit).
    pub relaxed_service_name_validation: bool,
}

/// Validates an Ingress as the API server does on create (`ValidateIngressCreate`), with the
/// create warning (`WarningsOnCreate`).
///
/// The caller applies admission first if it wants it: an Ingress created without class field
/// and annotation gets the default class ([`crate::default_class`]) before validation.
///
/// # Examples
///
/// ```
/// use ingress_model::{Ingress, IngressBackend};
/// use ingress_model::validation::{ValidationOptions, validate_ingress};
///
/// let mut ingress = Ingress::default();
/// ingress.metadata.name = Some("web".into());
/// ingress.metadata.annotations.insert("kubernetes.io/ingress.class".into(), "nginx".into());
/// ingress.spec.default_backend = Some(IngressBackend::service("web", 80));
/// let v = validate_ingress(&ingress, &ValidationOptions::default());
/// assert!(v.is_valid());
/// assert_eq!(v.warnings, ["annotation \"kubernetes.io/ingress.class\" is deprecated, \
///     please use 'spec.ingressClassName' instead"]);
/// ```
pub fn validate_ingress(ingress: &Ingress, options: &ValidationOptions) -> Validation {
    ingress::validate_create(ingress, options)
}

/// Validates an Ingress update from `old` to `new` as the API server does
/// (`ValidateIngressUpdate`), with its update relaxations: invalid `secretName`s, invalid
/// wildcard-host rules and DNS-1123-label Service names are accepted when `old` already had
/// them, and the class annotation/field mismatch is not checked. There are no update warnings.
///
/// # Examples
///
/// ```
/// use ingress_model::{Ingress, IngressBackend, IngressTls};
/// use ingress_model::validation::{ValidationOptions, validate_ingress, validate_ingress_update};
///
/// let with_secret = |secret: &str| {
///     let mut ingress = Ingress::default();
///     ingress.metadata.name = Some("web".into());
///     ingress.spec.default_backend = Some(IngressBackend::service("web", 80));
///     ingress.spec.tls.push(IngressTls { hosts: vec![], secret_name: Some(secret.into()) });
///     ingress
/// };
/// let (old, new) = (with_secret("invalid name 1"), with_secret("invalid name 2"));
/// let opts = ValidationOptions::default();
/// assert!(!validate_ingress(&new, &opts).is_valid());
/// assert!(validate_ingress_update(&old, &new, &opts).is_valid());
/// ```
pub fn validate_ingress_update(
    old: &Ingress,
    new: &Ingress,
    options: &ValidationOptions,
) -> Validation {
    ingress::validate_update(old, new, options)
}

/// Validates an IngressClass as the API server does on create (`ValidateIngressClass`), after
/// v1 defaulting (`parameters.scope` absent means `Cluster`).
///
/// # Examples
///
/// ```
/// use ingress_model::IngressClass;
/// use ingress_model::validation::validate_ingress_class;
///
/// let mut class = IngressClass::default();
/// class.metadata.name = Some("nginx".into());
/// class.spec.controller = Some("k8s.io/ingress-nginx".into());
/// assert!(validate_ingress_class(&class).is_valid());
/// class.spec.controller = None;
/// assert_eq!(validate_ingress_class(&class).errors[0].to_string(),
///     "spec.controller: Required value");
/// ```
pub fn validate_ingress_class(class: &IngressClass) -> Validation {
    class::validate_create(class)
}

/// Validates an IngressClass update (`ValidateIngressClassUpdate`): every create check on
/// `new`, and `spec.controller` may not change (`spec.controller: Invalid value: "...": field
/// is immutable`).
pub fn validate_ingress_class_update(old: &IngressClass, new: &IngressClass) -> Validation {
    class::validate_update(old, new)
}

/// Validates a Secret as the API server does on create (`ValidateSecret`); see the module docs
/// for what is checked.
///
/// # Examples
///
/// ```
/// use ingress_model::Secret;
/// use ingress_model::validation::validate_secret;
///
/// let mut secret = Secret::tls("default", "web-tls", b"-----BEGIN CERTIFICATE-----", b"");
/// assert!(validate_secret(&secret).is_valid());
/// secret.data.remove("tls.key");
/// assert_eq!(validate_secret(&secret).errors[0].to_string(), "data[tls.key]: Required value");
/// ```
pub fn validate_secret(secret: &Secret) -> Validation {
    secret::validate_create(secret)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::{
        HttpIngressPath, HttpIngressRuleValue, IngressBackend, IngressClassParametersReference,
        IngressRule, IngressServiceBackend, IngressTls, PathType, ServiceBackendPort,
        TypedLocalObjectReference,
    };

    /// Strings that hit the interesting branches (dots, colons, stars, percent signs, digits,
    /// upper case, non-ASCII) more often than uniform Unicode would.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[a-zA-Z0-9.*:/%_é-]{0,80}",
            "[0-9a-f:.]{0,45}",
        ]
    }

    prop_compose! {
        fn ingress()(
            name in text(), ns in text(), host in text(), path in text(), path_type in text(),
            svc in text(), port_name in text(), number in any::<i32>(), secret in text(),
            tls_host in text(), class in text(), annotation in text(), resource in any::<bool>(),
        ) -> Ingress {
            let mut ing = Ingress::default();
            ing.metadata.name = Some(name);
            ing.metadata.namespace = Some(ns);
            ing.metadata.annotations.insert(annotation.clone(), annotation.clone());
            ing.metadata.labels.insert(annotation.clone(), annotation);
            ing.spec.ingress_class_name = Some(class);
            let backend = IngressBackend {
                service: Some(IngressServiceBackend {
                    name: svc.clone(),
                    port: Some(ServiceBackendPort { name: Some(port_name), number: Some(number) }),
                }),
                resource: resource.then(|| TypedLocalObjectReference {
                    api_group: Some(svc.clone()),
                    kind: svc.clone(),
                    name: svc,
                }),
            };
            ing.spec.default_backend = Some(backend.clone());
            ing.spec.tls.push(IngressTls { hosts: vec![tls_host], secret_name: Some(secret) });
            ing.spec.rules.push(IngressRule {
                host: Some(host),
                http: Some(HttpIngressRuleValue {
                    paths: vec![HttpIngressPath {
                        path: Some(path),
                        path_type: Some(PathType::from(path_type)),
                        backend,
                    }],
                }),
            });
            ing
        }
    }

    proptest! {
        #[test]
        fn validation_never_panics(old in ingress(), new in ingress()) {
            let opts = ValidationOptions::default();
            for v in [
                validate_ingress(&new, &opts),
                validate_ingress_update(&old, &new, &opts),
            ] {
                for e in &v.errors {
                    prop_assert!(e.to_string().starts_with(&e.field));
                }
            }
        }

        #[test]
        fn secret_validation_never_panics(
            name in text(), key in text(), value in text(), tls in any::<bool>(),
        ) {
            let mut secret = Secret::default();
            secret.metadata.name = Some(name);
            secret.type_ = tls.then(|| crate::SECRET_TYPE_TLS.to_owned());
            secret.data.insert(key.clone(), value.clone());
            secret.string_data.insert(value, key);
            for e in &validate_secret(&secret).errors {
                prop_assert!(e.to_string().starts_with(&e.field));
            }
        }

        #[test]
        fn class_validation_never_panics(
            name in text(), controller in text(), kind in text(), scope in text(), ns in text(),
        ) {
            let mut class = IngressClass::default();
            class.metadata.name = Some(name);
            class.spec.controller = Some(controller.clone());
            class.spec.parameters = Some(IngressClassParametersReference {
                api_group: Some(kind.clone()),
                kind: kind.clone(),
                name: kind,
                scope: Some(scope),
                namespace: Some(ns),
            });
            let old = IngressClass::default();
            let _ = validate_ingress_class(&class);
            let _ = validate_ingress_class_update(&old, &class);
        }
    }
}
