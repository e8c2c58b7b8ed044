//! TLS Secrets: the certificate and key a gateway terminates with.
//!
//! Only `type: kubernetes.io/tls` Secrets are kept (the type an Ingress's `spec.tls[].secretName`
//! must name, per the Kubernetes docs; ingress-nginx and Contour read the same two keys): their
//! `tls.crt` and `tls.key` bytes, PEM as stored. Every other Secret is ignored, so a Secret of
//! another type named by an Ingress reads as missing. The bytes are not parsed here: a gateway
//! loads them with its TLS library, which is the judge of a PEM file.

use std::fmt;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Secret;

use super::object::{NamespacedName, ObjectError, ObjectKind};
use super::shared::SharedMap;

/// The Secret type whose Secrets are kept.
pub const TLS_SECRET_TYPE: &str = "kubernetes.io/tls";

/// A `kubernetes.io/tls` Secret's certificate chain and private key.
///
/// `Debug` shows the certificate's size and never the key.
#[derive(Clone, PartialEq, Eq)]
pub struct TlsSecret {
    /// The Secret.
    pub secret: NamespacedName,
    /// `data["tls.crt"]`: the certificate chain, PEM.
    pub certificate: Vec<u8>,
    /// `data["tls.key"]`: the private key, PEM.
    pub private_key: Vec<u8>,
}

impl fmt::Debug for TlsSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsSecret")
            .field("secret", &self.secret)
            .field("certificate_bytes", &self.certificate.len())
            .finish_non_exhaustive()
    }
}

/// Why an SNI name that an Ingress's `spec.tls` covers has no certificate to serve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateProblem {
    /// The `spec.tls` entry has no `secretName`: the gateway's own default certificate is meant
    /// (types.go: "SNI routing alone").
    #[error("the tls entry names no secret; use the default certificate")]
    NoSecretName,
    /// No usable `kubernetes.io/tls` Secret of that name in the Ingress's namespace: absent, of
    /// another type, or without `tls.crt` / `tls.key` (reported by
    /// [`Index::errors`](super::Index::errors)).
    #[error("the tls secret does not exist or is not a kubernetes.io/tls secret")]
    SecretMissing,
}

/// What a Secret means for TLS: `Ok(None)` for a Secret of another type (ignored).
pub(crate) fn read_secret(
    key: &NamespacedName,
    secret: &Secret,
) -> Result<Option<TlsSecret>, ObjectError> {
    if secret.type_.as_deref() != Some(TLS_SECRET_TYPE) {
        return Ok(None);
    }
    let field = |name: &str, what: &str| -> Result<Vec<u8>, ObjectError> {
        match secret.data.as_ref().and_then(|d| d.get(name)) {
            Some(bytes) if !bytes.0.is_empty() => Ok(bytes.0.clone()),
            _ => Err(ObjectError::new(
                ObjectKind::Secret,
                key,
                format!("data[{name}]"),
                format!("Required value: a {TLS_SECRET_TYPE} Secret needs {what} (Secret skipped)"),
            )),
        }
    };
    Ok(Some(TlsSecret {
        secret: key.clone(),
        certificate: field("tls.crt", "a certificate")?,
        private_key: field("tls.key", "a private key")?,
    }))
}

/// The TLS Secrets, shared with snapshots.
#[derive(Debug)]
pub(crate) struct Secrets {
    map: SharedMap<NamespacedName, Arc<TlsSecret>>,
}

impl Secrets {
    pub(crate) fn new() -> Self {
        Secrets {
            map: SharedMap::new(),
        }
    }

    pub(crate) fn map(&self) -> &SharedMap<NamespacedName, Arc<TlsSecret>> {
        &self.map
    }

    /// Stores (`Some`) or forgets (`None`) a Secret; `true` when that changed anything.
    pub(crate) fn set(&mut self, key: &NamespacedName, secret: Option<TlsSecret>) -> bool {
        match secret {
            Some(s) if self.map.get(key).is_some_and(|old| **old == s) => false,
            Some(s) => {
                self.map.insert(key.clone(), Arc::new(s));
                true
            }
            None => self.map.remove(key).is_some(),
        }
    }

    pub(crate) fn reset(&mut self, secrets: Vec<TlsSecret>) -> bool {
        let mut map = SharedMap::new();
        for s in secrets {
            map.insert(s.secret.clone(), Arc::new(s));
        }
        let changed =
            map.len() != self.map.len() || !map.iter().all(|(k, v)| self.map.get(k) == Some(v));
        if changed {
            self.map = map;
        }
        changed
    }
}
