//! API-server-equivalent validation (work in progress: see the `validation` helper's task).
//!
//! The public surface is fixed here so other crates can build against it.

use std::fmt;

use crate::{Ingress, IngressClass};

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
#[derive(Clone, Debug, PartialEq, Eq)]
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
    /// Warnings, e.g. the deprecated class annotation.
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

/// Validates an Ingress as the API server does on create.
pub fn validate_ingress(ingress: &Ingress, options: &ValidationOptions) -> Validation {
    let _ = (ingress, options);
    Validation::default()
}

/// Validates an Ingress update from `old` to `new`, with the API server's update relaxations.
pub fn validate_ingress_update(
    old: &Ingress,
    new: &Ingress,
    options: &ValidationOptions,
) -> Validation {
    let _ = (old, new, options);
    Validation::default()
}

/// Validates an IngressClass as the API server does on create.
pub fn validate_ingress_class(class: &IngressClass) -> Validation {
    let _ = class;
    Validation::default()
}

/// Validates an IngressClass update (the controller is immutable).
pub fn validate_ingress_class_update(old: &IngressClass, new: &IngressClass) -> Validation {
    let _ = (old, new);
    Validation::default()
}
