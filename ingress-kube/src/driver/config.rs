//! [`DriverConfig`]: what the driver watches and how long it lets a burst of changes settle.

use std::time::Duration;

use super::EventReporting;
use crate::index::IndexConfig;

/// Which namespaces the driver watches for Ingresses, Services, EndpointSlices and Secrets
/// (IngressClasses are cluster-scoped and always watched whole).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Namespaces {
    /// Every namespace: one watch per kind.
    #[default]
    All,
    /// These namespaces only: one watch per kind and namespace (sorted, duplicates dropped).
    /// An empty list watches IngressClasses only.
    List(Vec<String>),
}

impl Namespaces {
    /// The namespaces to open one watch in each: `[None]` for every namespace.
    pub(crate) fn scopes(&self) -> Vec<Option<String>> {
        match self {
            Namespaces::All => vec![None],
            Namespaces::List(list) => {
                let mut list = list.clone();
                list.sort();
                list.dedup();
                list.into_iter().map(Some).collect()
            }
        }
    }
}

/// How a [`Driver`](super::Driver) follows the cluster.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// use ingress_kube::driver::{DriverConfig, Namespaces};
/// use ingress_kube::index::IndexConfig;
///
/// let config = DriverConfig::new(IndexConfig::new("example.com/ingress-gateway"))
///     .namespaces(Namespaces::List(vec!["shop".into(), "blog".into()]))
///     .label_selector("team=web")
///     .quiet_delay(Duration::from_millis(50));
/// assert_eq!(config.max_delay, Duration::from_secs(1));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct DriverConfig {
    /// The index's configuration: our controller name, class-less Ingresses, `ExternalName`s,
    /// the router's matching options.
    pub index: IndexConfig,
    /// Where to watch. Default [`Namespaces::All`].
    pub namespaces: Namespaces,
    /// A label selector (`team=web,tier!=canary`) for the Ingresses to serve. Services,
    /// EndpointSlices, Secrets and IngressClasses are watched whole: a selector on them would
    /// leave the backends of selected Ingresses unresolved (EndpointSlices carry the labels
    /// their controller gives them, not the Ingress's). The API server parses it: one it
    /// refuses fails every list of Ingresses (logged, retried), and no snapshot is published.
    /// Default: none.
    pub label_selector: Option<String>,
    /// How long the cluster must stay quiet after a change before a snapshot is published;
    /// every further change restarts the wait. Default 100 ms.
    pub quiet_delay: Duration,
    /// The longest a change waits for publication however busy the cluster is, counted from
    /// the first change not yet published. Default 1 s.
    pub max_delay: Duration,
    /// Kubernetes Events on skipped objects, while leading. Default: none (skipped objects
    /// are logged and listed in [`Driver::errors`](super::Driver::errors) either way).
    pub events: Option<EventReporting>,
}

impl DriverConfig {
    /// The defaults around `index`.
    pub fn new(index: IndexConfig) -> Self {
        DriverConfig {
            index,
            namespaces: Namespaces::All,
            label_selector: None,
            quiet_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            events: None,
        }
    }

    /// Sets [`DriverConfig::namespaces`].
    pub fn namespaces(mut self, namespaces: Namespaces) -> Self {
        self.namespaces = namespaces;
        self
    }

    /// Sets [`DriverConfig::label_selector`].
    pub fn label_selector(mut self, selector: impl Into<String>) -> Self {
        self.label_selector = Some(selector.into());
        self
    }

    /// Sets [`DriverConfig::quiet_delay`].
    pub fn quiet_delay(mut self, delay: Duration) -> Self {
        self.quiet_delay = delay;
        self
    }

    /// Sets [`DriverConfig::max_delay`].
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// Sets [`DriverConfig::events`].
    pub fn events(mut self, reporting: EventReporting) -> Self {
        self.events = Some(reporting);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_lists_are_sorted_and_deduplicated() {
        assert_eq!(Namespaces::All.scopes(), vec![None]);
        let list = Namespaces::List(vec!["b".into(), "a".into(), "b".into()]);
        assert_eq!(
            list.scopes(),
            vec![Some("a".to_owned()), Some("b".to_owned())]
        );
        assert!(Namespaces::List(Vec::new()).scopes().is_empty());
    }
}
