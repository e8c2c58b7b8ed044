//! Errors: the Kubernetes `Status` object every failed request is answered with, and the
//! error of starting or restarting the server.

use serde_json::{Value, json};

use crate::registry::ResourceType;

/// A failed API operation, carried to the client as a `meta/v1 Status` object.
///
/// The fields are those of the real API server's `Status`: `code` is also the HTTP status of
/// the answer, `reason` is the machine-readable `StatusReason` (`NotFound`, `AlreadyExists`,
/// `Conflict`, `Invalid`, `BadRequest`, `Expired`, ...), `message` is for people.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{message} ({reason}, {code})")]
pub struct ApiError {
    /// HTTP status code (400, 404, 405, 409, 410, 415, 422, 500, ...).
    pub code: u16,
    /// `StatusReason`, e.g. `NotFound`.
    pub reason: String,
    /// Human-readable description, worded like the real API server's.
    pub message: String,
    /// `StatusDetails` (`name`, `group`, `kind`, `causes`), when there is something to say
    /// (boxed: errors stay small on the `Result` paths).
    pub details: Option<Box<Value>>,
}

impl ApiError {
    /// An error with the given code, reason and message, and no details.
    pub fn new(code: u16, reason: &str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            reason: reason.to_owned(),
            message: message.into(),
            details: None,
        }
    }

    /// 400 `BadRequest`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    /// 404 `NotFound` for a named object of a resource.
    pub fn not_found(rt: &ResourceType, name: &str) -> Self {
        Self::new(
            404,
            "NotFound",
            format!("{} \"{name}\" not found", rt.qualified_name()),
        )
        .with_details(rt, name)
    }

    /// 404 `NotFound` for a path the server does not serve.
    pub fn no_route() -> Self {
        Self::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
    }

    /// 405 `MethodNotAllowed`.
    pub fn method_not_allowed() -> Self {
        Self::new(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )
    }

    /// 409 `AlreadyExists`.
    pub fn already_exists(rt: &ResourceType, name: &str) -> Self {
        Self::new(
            409,
            "AlreadyExists",
            format!("{} \"{name}\" already exists", rt.qualified_name()),
        )
        .with_details(rt, name)
    }

    /// 409 `Conflict`: a stale `metadata.resourceVersion` or a failed delete precondition.
    pub fn conflict(rt: &ResourceType, name: &str, why: &str) -> Self {
        Self::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": {why}",
                rt.qualified_name()
            ),
        )
        .with_details(rt, name)
    }

    /// 410 `Expired`: a watch asked to resume from a resourceVersion older than the kept history.
    pub fn expired(requested: u64, oldest: u64) -> Self {
        Self::new(
            410,
            "Expired",
            format!("too old resource version: {requested} ({oldest})"),
        )
    }

    /// 415 `UnsupportedMediaType`.
    pub fn unsupported_media_type(content_type: &str) -> Self {
        Self::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/merge-patch+json, application/strategic-merge-patch+json, application/json-patch+json (got \"{content_type}\")"
            ),
        )
    }

    /// 422 `Invalid`: the object is rejected; `field` names the offending field.
    pub fn invalid(rt: &ResourceType, name: &str, field: &str, problem: &str) -> Self {
        let mut err = Self::new(
            422,
            "Invalid",
            format!(
                "{}.{} \"{name}\" is invalid: {field}: {problem}",
                rt.kind,
                if rt.group.is_empty() {
                    rt.version.as_str()
                } else {
                    rt.group.as_str()
                }
            ),
        )
        .with_details(rt, name);
        if let Some(Value::Object(details)) = err.details.as_deref_mut() {
            details.insert(
                "causes".into(),
                json!([{"reason": "FieldValueInvalid", "message": problem, "field": field}]),
            );
        }
        err
    }

    /// 500 `InternalError`.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "InternalError", message)
    }

    /// An error for an HTTP code chosen by a test's fault switch, with the reason the real
    /// server gives that code.
    pub fn for_code(code: u16, message: impl Into<String>) -> Self {
        let reason = match code {
            400 => "BadRequest",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "NotFound",
            405 => "MethodNotAllowed",
            409 => "Conflict",
            410 => "Expired",
            415 => "UnsupportedMediaType",
            422 => "Invalid",
            429 => "TooManyRequests",
            503 => "ServiceUnavailable",
            504 => "Timeout",
            _ => "InternalError",
        };
        Self::new(code, reason, message)
    }

    fn with_details(mut self, rt: &ResourceType, name: &str) -> Self {
        let mut details = json!({"name": name, "kind": rt.plural});
        if !rt.group.is_empty() {
            details["group"] = Value::String(rt.group.clone());
        }
        self.details = Some(Box::new(details));
        self
    }

    /// The `Status` object sent on the wire.
    pub fn to_status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let Some(details) = &self.details {
            status["details"] = (**details).clone();
        }
        status
    }
}

/// Starting, pausing or resuming the server failed.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Binding the listening socket failed (address in use, not permitted, ...).
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The server's accept loop has already stopped.
    #[error("the API server has stopped")]
    Stopped,
}
