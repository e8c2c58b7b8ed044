//! Routing engine (docs below are being written).

mod builder;
mod class;
mod compile;
mod config;
mod error;
mod explain;
mod group;
mod hash;
mod host;
mod key;
mod matched;
mod normalize;
mod path;
mod precedence;
pub mod reference;
mod request;
mod rule;
mod screen;
mod table;
mod tls;

pub use builder::Builder;
pub use class::ClassFilter;
pub use config::{Config, DefaultBackendPolicy, ImplementationSpecific};
pub use error::{Diagnostic, DiagnosticKind, InvalidPath, RuleOrigin, Severity, Skipped};
pub use explain::{Explanation, HostSelection};
pub use host::HostPattern;
pub use key::IngressKey;
pub use matched::{Decision, Match};
pub use normalize::PathNormalization;
pub use path::{MatchKind, PathPattern};
pub use request::RequestView;
pub use rule::PathRule;
pub use table::{Built, RouteTable, Stats};
pub use tls::Certificate;
