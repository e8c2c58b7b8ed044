//! Backend resolution: a Service and its EndpointSlices turned into the addresses a gateway
//! connects to, per Service port.
//!
//! Each rule below is what the controllers and proxies people run do; where they differ, the
//! choice is named.
//!
//! * **Service port by number or by name.** An Ingress backend's `port.number` is the Service
//!   port with that `spec.ports[].port`; its `port.name` is the one with that
//!   `spec.ports[].name` (types.go `ServiceBackendPort`; ingress-nginx, Contour). Neither
//!   matching: [`Reason::PortMissing`].
//! * **Slices belong to their Service by label.** An EndpointSlice is the Service's when its
//!   `kubernetes.io/service-name` label names it, in the same namespace: the API's own tie,
//!   which the EndpointSlice controller sets and kube-proxy and ingress-nginx read. Slices
//!   without the label are ignored.
//! * **Slice ports by the Service port's name.** A slice port serves the Service port whose
//!   name (and protocol, `TCP` when unset) it carries; the unnamed port is `""` on both sides.
//!   The slice port's number is the target port the EndpointSlice controller resolved (a named
//!   `targetPort` can map to different numbers in different Pods, hence in different slices),
//!   so the Service's `targetPort` is not read (kube-proxy's rule). A slice with no ports at
//!   all uses the Service port's `targetPort` when it is a number, else its `port`
//!   (ingress-nginx, for hand-made selector-less slices).
//! * **Readiness.** Endpoints whose `conditions.ready` is `false` are dropped; a missing
//!   `conditions` or `ready` counts as ready (the API: "nil should be interpreted as true").
//!   When no endpoint of a port is ready, the endpoints that are `serving` and `terminating`
//!   are used instead, so a rollout that briefly has only terminating Pods keeps serving
//!   (kube-proxy's rule since Kubernetes 1.26; ingress-nginx drops them).
//! * **Address families.** `IPv4` and `IPv6` slices are used; `FQDN` slices are ignored (the
//!   API deprecated them and no proxy resolves them). An address is parsed as the API server
//!   parses it (leading zeros allowed); one that does not parse, or is not of the slice's
//!   family, is skipped and reported.
//! * **Duplicates** (the same address and port in several slices, or twice in one) count once,
//!   as ingress-nginx dedupes its upstreams; addresses are sorted, so two resolutions of the
//!   same objects are equal.
//! * **Headless Services** (`clusterIP: None`) route to their endpoints like any other: a
//!   gateway never uses the cluster IP (ingress-nginx, Contour, Envoy Gateway).
//! * **Selector-less Services** resolve through whatever slices are labelled for them; with
//!   none, [`Reason::NoReadyEndpoints`].
//! * **ExternalName Services** resolve to [`Resolved::ExternalName`]: the name and the Service
//!   port's `port` (what a client of the Service's DNS CNAME would dial; ingress-nginx uses
//!   `targetPort`, which the API server defaults to `port`). A Service without ports takes the
//!   backend's `port.number` (ingress-nginx). [`IndexConfig::external_names`] can refuse them
//!   all (Contour and Skipper refuse them unless enabled: such a name can point a gateway at
//!   anything in or out of the cluster). `localhost` (and `*.localhost`) and IP literals are
//!   refused always, so a Service cannot aim the gateway at itself or at an address its
//!   author could not reach (ingress-nginx refuses localhost and loopback IPs); a name that is
//!   not a DNS-1123 subdomain is refused too (ingress-nginx).
//!
//! [`IndexConfig::external_names`]: super::IndexConfig::external_names

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use ingress_model::validation::names::{is_dns1123_subdomain, parse_ip_sloppy};
use ingress_model::{EndpointSlice, IntOrString, Service};

use super::object::{NamespacedName, ObjectError, ObjectKind};
use super::routes::PortRef;
use super::shared::SharedMap;

/// Where a matched backend sends a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolved<'s> {
    /// Connect to one of these (sorted, no duplicates, never empty; IPv4 and IPv6 alike).
    Endpoints(&'s [SocketAddr]),
    /// An `ExternalName` Service: resolve `host` in DNS and connect to `port`.
    ExternalName {
        /// `spec.externalName`, as written.
        host: &'s str,
        /// The port to dial.
        port: u16,
    },
    /// Nowhere: a gateway answers 503 Service Unavailable.
    Unavailable(Reason),
}

impl Resolved<'_> {
    /// The endpoints, for [`Resolved::Endpoints`].
    pub fn endpoints(&self) -> Option<&[SocketAddr]> {
        match self {
            Resolved::Endpoints(e) => Some(e),
            _ => None,
        }
    }

    /// Why not, for [`Resolved::Unavailable`].
    pub fn reason(&self) -> Option<Reason> {
        match self {
            Resolved::Unavailable(r) => Some(*r),
            _ => None,
        }
    }
}

/// Why a matched backend has nowhere to send a request. Each is a 503 for a gateway; the
/// difference is for logs, metrics and Ingress status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum Reason {
    /// No Service of that name in the Ingress's namespace.
    #[error("the service does not exist")]
    ServiceMissing,
    /// The Service has no port with the backend's `port.number` or `port.name`.
    #[error("the service has no such port")]
    PortMissing,
    /// No endpoint of the port is ready, nor serving while terminating (or the Service has no
    /// EndpointSlices at all).
    #[error("the service has no ready endpoints for this port")]
    NoReadyEndpoints,
    /// An `ExternalName` Service this index will not route to.
    #[error("external name refused: {0}")]
    ExternalNameRefused(ExternalNameRefusal),
    /// A `resource` backend: only Service backends are resolved.
    #[error("resource backends are not supported")]
    UnsupportedBackend,
}

/// Why an `ExternalName` Service is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ExternalNameRefusal {
    /// [`IndexConfig::external_names`](super::IndexConfig::external_names) is off.
    #[error("ExternalName services are disabled")]
    Disabled,
    /// `localhost` or a name under it: the gateway itself.
    #[error("the external name is localhost")]
    Localhost,
    /// An IP address instead of a DNS name.
    #[error("the external name is an IP address")]
    IpLiteral,
    /// Empty, or not a DNS-1123 subdomain.
    #[error("the external name is not a DNS name")]
    InvalidName,
}

// === resolution of one Service ===

/// A Service, resolved: what each of its ports leads to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ServiceEntry {
    /// Endpoints per Service port.
    Endpoints(Vec<PortEndpoints>),
    /// `type: ExternalName`, allowed.
    ExternalName {
        host: Arc<str>,
        /// `(name, port)` of each Service port.
        ports: Vec<(Arc<str>, u16)>,
    },
    /// `type: ExternalName`, refused.
    Refused(ExternalNameRefusal),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PortEndpoints {
    /// `""` when unnamed.
    name: Arc<str>,
    port: i32,
    addresses: Arc<[SocketAddr]>,
}

impl ServiceEntry {
    pub(crate) fn resolve(&self, port: &PortRef) -> Resolved<'_> {
        match self {
            ServiceEntry::Refused(why) => Resolved::Unavailable(Reason::ExternalNameRefused(*why)),
            ServiceEntry::ExternalName { host, ports } => {
                let found = match port {
                    PortRef::Number(n) if ports.is_empty() => u16::try_from(*n).ok(),
                    PortRef::Number(n) => ports
                        .iter()
                        .find(|(_, p)| i32::from(*p) == *n)
                        .map(|(_, p)| *p),
                    PortRef::Name(want) => ports.iter().find(|(n, _)| n == want).map(|(_, p)| *p),
                    PortRef::Unset => None,
                };
                match found {
                    Some(port) => Resolved::ExternalName { host, port },
                    None => Resolved::Unavailable(Reason::PortMissing),
                }
            }
            ServiceEntry::Endpoints(ports) => {
                let found = ports.iter().find(|p| match port {
                    PortRef::Number(n) => p.port == *n,
                    PortRef::Name(want) => !want.is_empty() && p.name == *want,
                    PortRef::Unset => false,
                });
                match found {
                    None => Resolved::Unavailable(Reason::PortMissing),
                    Some(p) if p.addresses.is_empty() => {
                        Resolved::Unavailable(Reason::NoReadyEndpoints)
                    }
                    Some(p) => Resolved::Endpoints(&p.addresses),
                }
            }
        }
    }
}

/// An EndpointSlice, reduced to what resolution reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Slice {
    /// Empty: the slice lists no ports.
    ports: Vec<SlicePort>,
    endpoints: Vec<SliceEndpoint>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct SlicePort {
    /// `""` when unnamed.
    name: String,
    protocol: String,
    port: u16,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct SliceEndpoint {
    addresses: Vec<IpAddr>,
    state: EndpointState,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EndpointState {
    Ready,
    /// Not ready, but serving while terminating: used when nothing is ready.
    Terminating,
    Down,
}

const TCP: &str = "TCP";

/// A slice read for its Service: `None` when it is not one resolution uses (no
/// `kubernetes.io/service-name` label, or an `FQDN` slice); the problems found are pushed to
/// `errors`, and the parts they concern skipped.
pub(crate) fn read_slice(
    key: &NamespacedName,
    slice: &EndpointSlice,
    errors: &mut Vec<ObjectError>,
) -> Option<(NamespacedName, Slice)> {
    let Some(service) = slice.service_name().filter(|s| !s.is_empty()) else {
        tracing::debug!(slice = %key, "EndpointSlice without a kubernetes.io/service-name label: ignored");
        return None;
    };
    let v6 = match slice.address_type.as_str() {
        "IPv4" => false,
        "IPv6" => true,
        other => {
            tracing::debug!(slice = %key, address_type = other, "EndpointSlice not of an IP family: ignored");
            return None;
        }
    };
    let report = |errors: &mut Vec<ObjectError>, field: String, message: String| {
        errors.push(ObjectError::new(
            ObjectKind::EndpointSlice,
            key,
            field,
            message,
        ));
    };
    let mut ports = Vec::with_capacity(slice.ports.len());
    for (i, p) in slice.ports.iter().enumerate() {
        // A port without a number is allowed by the API for slices not made for a Service.
        let Some(number) = p.port else { continue };
        match u16::try_from(number).ok().filter(|n| *n != 0) {
            Some(port) => ports.push(SlicePort {
                name: p.name.clone().unwrap_or_default(),
                protocol: p.protocol.clone().unwrap_or_else(|| TCP.to_owned()),
                port,
            }),
            None => report(
                errors,
                format!("ports[{i}].port"),
                format!("Invalid value: {number}: must be between 1 and 65535 (port skipped)"),
            ),
        }
    }
    let mut endpoints = Vec::with_capacity(slice.endpoints.len());
    for (i, e) in slice.endpoints.iter().enumerate() {
        let mut addresses = Vec::with_capacity(e.addresses.len());
        for (j, a) in e.addresses.iter().enumerate() {
            match parse_ip_sloppy(a) {
                Some(ip) if ip.is_ipv6() == v6 => addresses.push(ip),
                _ => report(
                    errors,
                    format!("endpoints[{i}].addresses[{j}]"),
                    format!(
                        "Invalid value: {a:?}: must be an {} address (address skipped)",
                        if v6 { "IPv6" } else { "IPv4" }
                    ),
                ),
            }
        }
        let conditions = e.conditions.as_ref();
        let state = if e.is_ready() {
            EndpointState::Ready
        } else if conditions.and_then(|c| c.serving) == Some(true)
            && conditions.and_then(|c| c.terminating) == Some(true)
        {
            EndpointState::Terminating
        } else {
            EndpointState::Down
        };
        endpoints.push(SliceEndpoint { addresses, state });
    }
    Some((
        NamespacedName::new(key.namespace(), service),
        Slice { ports, endpoints },
    ))
}

/// Resolves a Service against its slices.
pub(crate) fn resolve_service<'a>(
    service: &Service,
    slices: impl Iterator<Item = &'a Slice> + Clone,
    external_names: bool,
) -> ServiceEntry {
    if service.spec.type_.as_deref() == Some("ExternalName") {
        return external_name(service, external_names);
    }
    let ports = service
        .spec
        .ports
        .iter()
        .map(|p| PortEndpoints {
            name: p.name.as_deref().unwrap_or_default().into(),
            port: p.port,
            addresses: port_addresses(p, slices.clone()),
        })
        .collect();
    ServiceEntry::Endpoints(ports)
}

/// The addresses of one Service port: ready endpoints, else serving-and-terminating ones.
fn port_addresses<'a>(
    port: &ingress_model::ServicePort,
    slices: impl Iterator<Item = &'a Slice>,
) -> Arc<[SocketAddr]> {
    let name = port.name.as_deref().unwrap_or_default();
    let protocol = port.protocol.as_deref().unwrap_or(TCP);
    // For slices that list no ports.
    let unlisted = match &port.target_port {
        Some(IntOrString::Int(n)) => u16::try_from(*n).ok(),
        Some(IntOrString::String(_)) => None,
        None => u16::try_from(port.port).ok(),
    }
    .filter(|n| *n != 0);
    let (mut ready, mut terminating) = (Vec::new(), Vec::new());
    for slice in slices {
        let number = if slice.ports.is_empty() {
            unlisted
        } else {
            slice
                .ports
                .iter()
                .find(|p| p.name == name && p.protocol == protocol)
                .map(|p| p.port)
        };
        let Some(number) = number else { continue };
        for e in &slice.endpoints {
            let into = match e.state {
                EndpointState::Ready => &mut ready,
                EndpointState::Terminating => &mut terminating,
                EndpointState::Down => continue,
            };
            into.extend(e.addresses.iter().map(|ip| SocketAddr::new(*ip, number)));
        }
    }
    let mut addresses = if ready.is_empty() { terminating } else { ready };
    addresses.sort_unstable();
    addresses.dedup();
    addresses.into()
}

fn external_name(service: &Service, allowed: bool) -> ServiceEntry {
    let host = service.spec.external_name.as_deref().unwrap_or_default();
    if let Err(why) = check_external_name(host, allowed) {
        return ServiceEntry::Refused(why);
    }
    let ports = service
        .spec
        .ports
        .iter()
        .filter_map(|p| {
            let port = u16::try_from(p.port).ok().filter(|n| *n != 0)?;
            Some((p.name.as_deref().unwrap_or_default().into(), port))
        })
        .collect();
    ServiceEntry::ExternalName {
        host: host.into(),
        ports,
    }
}

fn check_external_name(host: &str, allowed: bool) -> Result<(), ExternalNameRefusal> {
    if !allowed {
        return Err(ExternalNameRefusal::Disabled);
    }
    let bare = host.strip_suffix('.').unwrap_or(host);
    if parse_ip_sloppy(bare).is_some() || bare.parse::<IpAddr>().is_ok() {
        return Err(ExternalNameRefusal::IpLiteral);
    }
    let lower = bare.to_ascii_lowercase();
    if lower == "localhost" || lower.ends_with(".localhost") {
        return Err(ExternalNameRefusal::Localhost);
    }
    if bare.is_empty() || !is_dns1123_subdomain(bare).is_empty() {
        return Err(ExternalNameRefusal::InvalidName);
    }
    Ok(())
}

// === the index's Services and slices ===

/// Every Service and EndpointSlice, and the resolution of each Service, shared with snapshots.
pub(crate) struct Backends {
    external_names: bool,
    services: HashMap<NamespacedName, Service>,
    /// Slices by their Service, then by slice name.
    slices: HashMap<NamespacedName, BTreeMap<Arc<str>, Slice>>,
    /// Slice -> its Service, so a delete or a relabel finds the old owner.
    owner: HashMap<NamespacedName, NamespacedName>,
    resolved: SharedMap<NamespacedName, Arc<ServiceEntry>>,
}

impl Backends {
    pub(crate) fn new(external_names: bool) -> Self {
        Backends {
            external_names,
            services: HashMap::new(),
            slices: HashMap::new(),
            owner: HashMap::new(),
            resolved: SharedMap::new(),
        }
    }

    pub(crate) fn resolved(&self) -> &SharedMap<NamespacedName, Arc<ServiceEntry>> {
        &self.resolved
    }

    /// Adds or replaces a Service; `true` when its resolution changed.
    pub(crate) fn apply_service(&mut self, key: NamespacedName, mut service: Service) -> bool {
        service.metadata.resource_version = None;
        if self.services.get(&key) == Some(&service) {
            return false;
        }
        self.services.insert(key.clone(), service);
        self.refresh(&key)
    }

    pub(crate) fn delete_service(&mut self, key: &NamespacedName) -> bool {
        self.services.remove(key).is_some() && self.refresh(key)
    }

    /// Adds or replaces a slice (`None`: one resolution does not use, which only removes the
    /// previous version); `true` when a resolution changed.
    pub(crate) fn apply_slice(
        &mut self,
        key: NamespacedName,
        slice: Option<(NamespacedName, Slice)>,
    ) -> bool {
        let mut changed = self.delete_slice_quietly(&key);
        if let Some((service, slice)) = slice {
            self.slices
                .entry(service.clone())
                .or_default()
                .insert(key.name().into(), slice);
            self.owner.insert(key, service.clone());
            changed.push(service);
        }
        changed.dedup();
        let mut any = false;
        for service in changed {
            any |= self.refresh(&service);
        }
        any
    }

    pub(crate) fn delete_slice(&mut self, key: &NamespacedName) -> bool {
        let changed = self.delete_slice_quietly(key);
        changed.iter().fold(false, |any, s| self.refresh(s) | any)
    }

    /// Removes a slice without re-resolving; returns the Service it belonged to.
    fn delete_slice_quietly(&mut self, key: &NamespacedName) -> Vec<NamespacedName> {
        let Some(service) = self.owner.remove(key) else {
            return Vec::new();
        };
        if let Some(by_name) = self.slices.get_mut(&service) {
            by_name.remove(key.name());
            if by_name.is_empty() {
                self.slices.remove(&service);
            }
        }
        vec![service]
    }

    pub(crate) fn reset_services(&mut self, services: Vec<(NamespacedName, Service)>) -> bool {
        let old: Vec<NamespacedName> = self.services.keys().cloned().collect();
        self.services = services
            .into_iter()
            .map(|(k, mut s)| {
                s.metadata.resource_version = None;
                (k, s)
            })
            .collect();
        let mut touched: Vec<NamespacedName> = old;
        touched.extend(self.services.keys().cloned());
        self.refresh_all(touched)
    }

    pub(crate) fn reset_slices(
        &mut self,
        slices: Vec<(NamespacedName, Option<(NamespacedName, Slice)>)>,
    ) -> bool {
        let mut touched: Vec<NamespacedName> = self.slices.keys().cloned().collect();
        self.slices.clear();
        self.owner.clear();
        for (key, slice) in slices {
            if let Some((service, slice)) = slice {
                self.slices
                    .entry(service.clone())
                    .or_default()
                    .insert(key.name().into(), slice);
                self.owner.insert(key, service.clone());
                touched.push(service);
            }
        }
        self.refresh_all(touched)
    }

    fn refresh_all(&mut self, mut services: Vec<NamespacedName>) -> bool {
        services.sort_unstable();
        services.dedup();
        services.iter().fold(false, |any, s| self.refresh(s) | any)
    }

    /// Re-resolves one Service; `true` when the result differs from the one published.
    fn refresh(&mut self, key: &NamespacedName) -> bool {
        let entry = self.services.get(key).map(|service| {
            let slices = self.slices.get(key);
            resolve_service(
                service,
                slices.into_iter().flat_map(|s| s.values()),
                self.external_names,
            )
        });
        match entry {
            Some(entry) => {
                if self.resolved.get(key).is_some_and(|old| **old == entry) {
                    return false;
                }
                self.resolved.insert(key.clone(), Arc::new(entry));
                true
            }
            None => self.resolved.remove(key).is_some(),
        }
    }
}

impl fmt::Debug for Backends {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Backends")
            .field("services", &self.services.len())
            .field("slices", &self.owner.len())
            .field("external_names", &self.external_names)
            .finish_non_exhaustive()
    }
}
