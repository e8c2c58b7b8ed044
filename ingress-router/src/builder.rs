//! [`Builder`]: collects Ingresses and a [`Config`], then compiles them into a
//! [`RouteTable`].

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use ingress_model::Ingress;

use crate::compile::{Mapper, compile};
use crate::config::Config;
use crate::error::{Diagnostic, DiagnosticKind, Skipped};
use crate::shard::TableHasher;
use crate::table::{Built, RouteTable, sort_diagnostics};
use ingress_model::IngressKey;

/// Builds a [`RouteTable`]; see [`RouteTable::builder`] and [`RouteTable::builder_with`].
///
/// Building never fails: each invalid rule or Ingress is skipped and reported in
/// [`Built::diagnostics`]. An Ingress added twice (same `namespace/name`) counts once, as the
/// last one added.
pub struct Builder<'a, B> {
    config: Config,
    mapper: Arc<Mapper<B>>,
    ingresses: Vec<&'a Ingress>,
}

// === impl Builder ===

impl<'a, B> Builder<'a, B> {
    pub(crate) fn new(mapper: Arc<Mapper<B>>) -> Self {
        Builder {
            config: Config::default(),
            mapper,
            ingresses: Vec::new(),
        }
    }

    /// Sets the configuration (default: [`Config::default`]).
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Adds one Ingress.
    // The name the design sketch uses (`builder().add(..).build()`); a builder step, not `+`.
    #[allow(clippy::should_implement_trait)]
    pub fn add(mut self, ingress: &'a Ingress) -> Self {
        self.ingresses.push(ingress);
        self
    }

    /// Adds Ingresses.
    pub fn add_all<I>(mut self, ingresses: I) -> Self
    where
        I: IntoIterator<Item = &'a Ingress>,
    {
        self.ingresses.extend(ingresses);
        self
    }

    /// Compiles the table.
    pub fn build(self) -> Built<B> {
        let mut diagnostics = Vec::new();
        // Later objects replace earlier ones with the same key, as an apply would.
        let mut last: HashMap<IngressKey, usize, TableHasher> =
            HashMap::with_capacity_and_hasher(self.ingresses.len(), TableHasher::default());
        for (i, ingress) in self.ingresses.iter().enumerate() {
            let key = IngressKey::of(ingress);
            if last.contains_key(&key) {
                diagnostics.push(Diagnostic {
                    source: key.clone(),
                    field: String::new(),
                    skipped: Skipped::Ingress,
                    kind: DiagnosticKind::Replaced,
                });
            }
            last.insert(key, i);
        }
        let mut keep: Vec<(usize, IngressKey)> = last.into_iter().map(|(k, i)| (i, k)).collect();
        keep.sort_unstable_by_key(|(i, _)| *i);
        let compiled: Vec<_> = keep
            .into_iter()
            .map(|(i, key)| compile(self.ingresses[i], key, &self.config, &*self.mapper))
            .collect();
        let table = RouteTable::assemble(Arc::new(self.config), self.mapper, compiled);
        diagnostics.extend(table.diagnostics());
        sort_diagnostics(&mut diagnostics);
        let mut changed: Vec<IngressKey> = table.ingresses().cloned().collect();
        changed.sort_unstable();
        Built {
            table,
            diagnostics,
            changed,
        }
    }
}

impl<B> fmt::Debug for Builder<'_, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("config", &self.config)
            .field("ingresses", &self.ingresses.len())
            .finish_non_exhaustive()
    }
}
