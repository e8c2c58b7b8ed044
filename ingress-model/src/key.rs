//! [`IngressKey`]: the `namespace/name` identity of an Ingress.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::Ingress;

/// The `namespace/name` of an Ingress: its identity in diagnostics, decisions and updates.
///
/// Keys order by the string `namespace/name`, byte-wise: the tie-break routers use after the
/// creation time (`ingress-router`'s precedence rules: "then `namespace/name` ascending"). Note this is not the same as ordering by
/// `(namespace, name)`: `a-b/x` sorts before `a/y` because `-` sorts before `/`.
///
/// Cloning is cheap (one reference count).
///
/// # Examples
///
/// ```
/// use ingress_model::IngressKey;
///
/// let key = IngressKey::new("default", "web");
/// assert_eq!(key.namespace(), "default");
/// assert_eq!(key.name(), "web");
/// assert_eq!(key.to_string(), "default/web");
/// assert!(IngressKey::new("a-b", "x") < IngressKey::new("a", "y"));
/// assert_eq!(key, "default/web");
/// ```
#[derive(Clone)]
pub struct IngressKey {
    full: Arc<str>,
    slash: usize,
}

// === impl IngressKey ===

impl IngressKey {
    /// A key from a namespace and a name.
    pub fn new(namespace: &str, name: &str) -> Self {
        let mut full = String::with_capacity(namespace.len() + 1 + name.len());
        full.push_str(namespace);
        full.push('/');
        full.push_str(name);
        IngressKey {
            full: full.into(),
            slash: namespace.len(),
        }
    }

    /// The key of an Ingress object (`metadata.namespace`, `metadata.name`; absent reads as `""`).
    pub fn of(ingress: &Ingress) -> Self {
        IngressKey::new(ingress.metadata.namespace(), ingress.metadata.name())
    }

    /// The namespace.
    pub fn namespace(&self) -> &str {
        &self.full[..self.slash]
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.full[self.slash + 1..]
    }

    /// `namespace/name`.
    pub fn as_str(&self) -> &str {
        &self.full
    }
}

impl PartialEq for IngressKey {
    fn eq(&self, other: &Self) -> bool {
        // The slash position is part of the identity: `a/b/c` could be `a` + `b/c` or `a/b` + `c`.
        self.slash == other.slash && self.full == other.full
    }
}

impl Eq for IngressKey {}

impl Hash for IngressKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.full.hash(state);
        self.slash.hash(state);
    }
}

impl PartialOrd for IngressKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for IngressKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.full
            .cmp(&other.full)
            .then(self.slash.cmp(&other.slash))
    }
}

impl PartialEq<str> for IngressKey {
    fn eq(&self, other: &str) -> bool {
        *self.full == *other
    }
}

impl PartialEq<&str> for IngressKey {
    fn eq(&self, other: &&str) -> bool {
        *self.full == **other
    }
}

impl fmt::Display for IngressKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full)
    }
}

impl fmt::Debug for IngressKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.full, f)
    }
}

impl From<&Ingress> for IngressKey {
    fn from(ingress: &Ingress) -> Self {
        IngressKey::of(ingress)
    }
}
