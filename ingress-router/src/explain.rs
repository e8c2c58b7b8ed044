//! [`Explanation`]: a decision with its reasons, for tools (`ingress-route explain`).

use std::fmt;

use crate::matched::{Decision, Match};

/// Which host group a request landed in (crate docs, section 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HostSelection {
    /// A rule host equal to the request host.
    Exact,
    /// A `*.` rule host whose suffix is the request host without its first label.
    Wildcard,
    /// No named host matched; the rules without host.
    NoHost,
    /// No group at all: the default backend policy decides.
    None,
}

/// Why [`RouteTable::find`](crate::RouteTable::find) decided what it did.
pub struct Explanation<'t, B> {
    /// Which kind of host group was selected.
    pub host_selection: HostSelection,
    /// The selected group's rule host as written (`None` for the no-host group or no group).
    pub host_group: Option<String>,
    /// The request path after normalisation.
    pub path: String,
    /// Every path of the selected group that matches, best first; the first one is the route
    /// when there is one.
    pub candidates: Vec<Match<'t, B>>,
    /// The decision, as `find` returns it.
    pub decision: Decision<'t, B>,
}

impl<B: fmt::Debug> fmt::Debug for Explanation<'_, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Explanation")
            .field("host_selection", &self.host_selection)
            .field("host_group", &self.host_group)
            .field("path", &self.path)
            .field("candidates", &self.candidates)
            .field("decision", &self.decision)
            .finish()
    }
}
