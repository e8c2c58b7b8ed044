//! The request log: every request the server answered, for tests to count ("relisted after
//! a 410": two list requests for `ingresses`).

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

/// What a request did, as the real server's audit log would call it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verb {
    /// `GET` of one object.
    Get,
    /// `GET` of a collection.
    List,
    /// `GET` of a collection with `watch=true`.
    Watch,
    /// `POST`.
    Create,
    /// `PUT`.
    Update,
    /// `PATCH`.
    Patch,
    /// `DELETE` of one object.
    Delete,
    /// `DELETE` of a collection.
    DeleteCollection,
    /// Discovery, `/version`, OpenAPI, health checks, unknown paths.
    Other,
}

/// One answered request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRecord {
    /// HTTP method.
    pub method: String,
    /// URL path.
    pub path: String,
    /// Raw query string (empty if none).
    pub query: String,
    /// What it did.
    pub verb: Verb,
    /// Resource plural, e.g. `ingresses` (`None` for non-resource paths).
    pub resource: Option<String>,
    /// API group of the resource (empty for the core group).
    pub group: String,
    /// Namespace in the path, if any.
    pub namespace: Option<String>,
    /// Object name in the path, if any.
    pub name: Option<String>,
    /// Subresource, e.g. `status`.
    pub subresource: Option<String>,
    /// HTTP status answered (for watches: the status the stream started with).
    pub status: u16,
}

impl RequestRecord {
    /// Whether the record is about `resource`, given as its plural (`ingresses`) or
    /// `plural.group` (`ingresses.networking.k8s.io`).
    pub fn is_for(&self, resource: &str) -> bool {
        let Some(plural) = &self.resource else {
            return false;
        };
        resource == plural
            || (!self.group.is_empty()
                && resource
                    .strip_prefix(plural.as_str())
                    .and_then(|r| r.strip_prefix('.'))
                    == Some(self.group.as_str()))
    }
}

/// The log of one server; cheap to clone. Keeps the last 100 000 records.
#[derive(Clone, Default)]
pub struct RequestLog {
    records: Arc<Mutex<Vec<RequestRecord>>>,
}

impl fmt::Debug for RequestLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestLog")
            .field("records", &self.lock().len())
            .finish()
    }
}

const MAX_RECORDS: usize = 100_000;

impl RequestLog {
    fn lock(&self) -> MutexGuard<'_, Vec<RequestRecord>> {
        self.records.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn push(&self, record: RequestRecord) {
        tracing::debug!(method = %record.method, path = %record.path, query = %record.query, status = record.status, "request");
        let mut records = self.lock();
        if records.len() >= MAX_RECORDS {
            records.drain(..MAX_RECORDS / 10);
        }
        records.push(record);
    }

    /// All records, oldest first.
    pub fn records(&self) -> Vec<RequestRecord> {
        self.lock().clone()
    }

    /// How many requests of this verb were made for `resource` (plural or `plural.group`),
    /// whatever their answer.
    pub fn count(&self, verb: Verb, resource: &str) -> usize {
        self.lock()
            .iter()
            .filter(|r| r.verb == verb && r.is_for(resource))
            .count()
    }

    /// Forget every record.
    pub fn clear(&self) {
        self.lock().clear();
    }
}
