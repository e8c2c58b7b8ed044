//! TLS: which Secret terminates an SNI name (crate docs, section 8). Independent of
//! routing: "the SNI host is used for termination and value of the 'Host' header is used for
//! routing" (types.go `IngressTLS.SecretName`).

use std::collections::HashMap;
use std::sync::Arc;

use crate::host::{MAX_HOST_LEN, ascii_lowercase, wildcard_suffix};
use crate::shard::{ShardedMap, TableHasher};
use ingress_model::IngressKey;

/// One host of one `spec.tls[i]` entry.
#[derive(Clone, Debug)]
pub(crate) struct TlsEntry {
    pub(crate) source: IngressKey,
    pub(crate) created: Option<i64>,
    /// As listed, lower-cased (`foo.com` or `*.foo.com`).
    pub(crate) host: Arc<str>,
    pub(crate) secret_name: Option<Arc<str>>,
    pub(crate) tls_index: u32,
    pub(crate) host_index: u32,
}

/// The certificate choice for an SNI name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Certificate<'t> {
    /// The Ingress whose `spec.tls` entry applies (the oldest listing the name).
    pub source: &'t IngressKey,
    /// The `spec.tls[].hosts[]` entry that matched, lower case (`foo.com` or `*.foo.com`).
    pub host: &'t str,
    /// The Secret's name, in [`Certificate::namespace`]. `None` when the entry has no
    /// `secretName`: the controller's default certificate ("SNI routing alone").
    pub secret_name: Option<&'t str>,
    /// Index of the entry in `spec.tls`.
    pub tls_index: usize,
}

impl<'t> Certificate<'t> {
    /// The Secret's namespace: the Ingress's own.
    pub fn namespace(&self) -> &'t str {
        self.source.namespace()
    }
}

/// TLS hosts to entries, oldest Ingress first.
#[derive(Clone)]
pub(crate) struct TlsIndex {
    exact: ShardedMap<Arc<str>, Arc<[TlsEntry]>>,
    /// Keyed by the suffix after `*.`.
    wildcard: ShardedMap<Arc<str>, Arc<[TlsEntry]>>,
}

/// Where a TLS host pattern lives in the index.
fn slot(host: &str) -> (bool, &str) {
    match host.strip_prefix("*.") {
        Some(suffix) => (true, suffix),
        None => (false, host),
    }
}

fn order(a: &TlsEntry, b: &TlsEntry) -> std::cmp::Ordering {
    (a.created, a.source.as_str(), a.tls_index, a.host_index).cmp(&(
        b.created,
        b.source.as_str(),
        b.tls_index,
        b.host_index,
    ))
}

// === impl TlsIndex ===

impl TlsIndex {
    pub(crate) fn build(entries: Vec<TlsEntry>, hasher: &TableHasher) -> Self {
        let mut by_host: HashMap<Arc<str>, Vec<TlsEntry>, TableHasher> = HashMap::default();
        for e in entries {
            by_host.entry(e.host.clone()).or_default().push(e);
        }
        let mut index = TlsIndex {
            exact: ShardedMap::with_hasher(hasher.clone()),
            wildcard: ShardedMap::with_hasher(hasher.clone()),
        };
        for (host, list) in by_host {
            index.set(&host, list);
        }
        index
    }

    fn set(&mut self, host: &str, mut list: Vec<TlsEntry>) {
        let (wild, key) = slot(host);
        let map = if wild {
            &mut self.wildcard
        } else {
            &mut self.exact
        };
        if list.is_empty() {
            map.remove(key);
        } else {
            list.sort_by(order);
            map.insert(key.into(), list.into());
        }
    }

    fn get(&self, host: &str) -> Option<&Arc<[TlsEntry]>> {
        let (wild, key) = slot(host);
        if wild {
            self.wildcard.get(key)
        } else {
            self.exact.get(key)
        }
    }

    /// Replaces `source`'s entries for `hosts` with `new`'s.
    pub(crate) fn update(&mut self, source: &IngressKey, hosts: &[Arc<str>], new: &[TlsEntry]) {
        for host in hosts {
            let mut list: Vec<TlsEntry> = self
                .get(host)
                .map(|l| l.iter().filter(|e| e.source != *source).cloned().collect())
                .unwrap_or_default();
            list.extend(new.iter().filter(|e| e.host == *host).cloned());
            self.set(host, list);
        }
    }

    /// Exact name first, then `*.` + the name without its first label; ASCII case-insensitive,
    /// one trailing dot ignored.
    pub(crate) fn find(&self, sni: &str) -> Option<Certificate<'_>> {
        let sni = sni.strip_suffix('.').unwrap_or(sni);
        let mut buf = [0u8; MAX_HOST_LEN];
        let list = match ascii_lowercase(sni, &mut buf) {
            Some(sni) => self
                .exact
                .get(sni)
                .or_else(|| wildcard_suffix(sni).and_then(|s| self.wildcard.get(s))),
            // Longer than any listed name: only a wildcard's suffix can still be short enough.
            None => {
                let mut buf = [0u8; MAX_HOST_LEN];
                wildcard_suffix(sni)
                    .and_then(|s| ascii_lowercase(s, &mut buf))
                    .and_then(|s| self.wildcard.get(s))
            }
        }?;
        let e = list.first()?;
        Some(Certificate {
            source: &e.source,
            host: &e.host,
            secret_name: e.secret_name.as_deref(),
            tls_index: e.tls_index as usize,
        })
    }
}
