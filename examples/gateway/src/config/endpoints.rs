//! `--endpoints NS/SERVICE:PORT=ADDR[,ADDR...]`: endpoints given on the command line, fed to the
//! index as the EndpointSlices the EndpointSlice controller would have written, so that they
//! resolve exactly as a cluster's do (`ingress_kube::index::resolve`).

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use ingress_kube::index::Index;
use ingress_model::Service;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::api::discovery::v1 as discovery;

use super::Problem;

/// The label that ties an EndpointSlice to its Service.
const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

/// A Service port as `--endpoints` names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortArg {
    /// The Service port with this `port`.
    Number(u16),
    /// The Service port with this `name`.
    Name(String),
}

impl fmt::Display for PortArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortArg::Number(n) => write!(f, "{n}"),
            PortArg::Name(n) => f.write_str(n),
        }
    }
}

/// One `--endpoints` argument: a Service port and the addresses that serve it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointsArg {
    /// The Service's namespace (`default` when the argument names none).
    pub namespace: String,
    /// The Service's name.
    pub service: String,
    /// The Service port.
    pub port: PortArg,
    /// Where to connect.
    pub addresses: Vec<SocketAddr>,
}

/// Why an `--endpoints` argument is not usable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EndpointsError {
    /// It does not read as `NS/SERVICE:PORT=ADDR[,ADDR...]`.
    #[error("--endpoints `{arg}`: {why} (expected NS/SERVICE:PORT=ADDR[,ADDR...])")]
    Syntax {
        /// The argument.
        arg: String,
        /// What is wrong.
        why: String,
    },
    /// A port name for a Service the manifests do not have: the port number is unknown.
    #[error(
        "--endpoints {namespace}/{service}:{port}: no Service {namespace}/{service} in the \
         manifests to look port `{port}` up in (name the port by number to let the gateway \
         make the Service)"
    )]
    UnknownService {
        /// Namespace.
        namespace: String,
        /// Service.
        service: String,
        /// The port name.
        port: String,
    },
    /// The Service exists but has no such port.
    #[error("--endpoints {namespace}/{service}:{port}: the Service has no port {port}")]
    UnknownPort {
        /// Namespace.
        namespace: String,
        /// Service.
        service: String,
        /// The port.
        port: String,
    },
}

impl FromStr for EndpointsArg {
    type Err = EndpointsError;

    fn from_str(arg: &str) -> Result<Self, EndpointsError> {
        let syntax = |why: &str| EndpointsError::Syntax {
            arg: arg.to_owned(),
            why: why.to_owned(),
        };
        let (target, addresses) = arg.split_once('=').ok_or_else(|| syntax("no `=`"))?;
        let (name, port) = target
            .rsplit_once(':')
            .ok_or_else(|| syntax("no `:PORT` after the Service"))?;
        let (namespace, service) = name.split_once('/').unwrap_or(("default", name));
        if namespace.is_empty() || service.is_empty() || service.contains('/') {
            return Err(syntax("the Service must be NS/NAME or NAME"));
        }
        let port = match port.parse::<u16>() {
            Ok(0) => return Err(syntax("port 0")),
            Ok(n) => PortArg::Number(n),
            Err(_)
                if !port.is_empty()
                    && port.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
            {
                PortArg::Name(port.to_owned())
            }
            Err(_) => return Err(syntax("the port is neither a number nor a port name")),
        };
        let addresses = addresses
            .split(',')
            .map(|a| {
                a.trim()
                    .parse::<SocketAddr>()
                    .map_err(|_| syntax(&format!("`{a}` is not IP:PORT")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(EndpointsArg {
            namespace: namespace.to_owned(),
            service: service.to_owned(),
            port,
            addresses,
        })
    }
}

/// What one `--endpoints` argument puts in the index.
#[derive(Clone, Debug)]
pub struct EndpointsObjects {
    /// A selector-less Service, when the manifests have none of that name.
    pub service: Option<core::Service>,
    /// One EndpointSlice per distinct address port (a slice has one port number for all its
    /// endpoints).
    pub slices: Vec<discovery::EndpointSlice>,
}

impl EndpointsObjects {
    /// Applies the objects, returning what the index refused.
    pub fn apply(self, index: &mut Index) -> Vec<Problem> {
        let mut problems = Vec::new();
        if let Some(service) = self.service {
            problems.extend(index.apply(service).errors.into_iter().map(Problem::Index));
        }
        for slice in self.slices {
            problems.extend(index.apply(slice).errors.into_iter().map(Problem::Index));
        }
        problems
    }
}

impl EndpointsArg {
    /// The Service (when `services` lacks it) and EndpointSlices that make the Service port
    /// resolve to these addresses.
    ///
    /// The slices name the port as the Service does (its `name`, `""` when unnamed), which is
    /// how the index ties a slice port to a Service port.
    pub fn objects(
        &self,
        services: &[ingress_model::Loaded<Service>],
    ) -> Result<EndpointsObjects, EndpointsError> {
        let known = services.iter().map(|s| &s.object).find(|s| {
            s.metadata.namespace() == self.namespace && s.metadata.name() == self.service
        });
        let (port_name, service) = match (known, &self.port) {
            (Some(service), port) => {
                let found = service.spec.ports.iter().find(|p| match port {
                    PortArg::Number(n) => p.port == i32::from(*n),
                    PortArg::Name(name) => p.name.as_deref() == Some(name),
                });
                match found {
                    Some(p) => (p.name.clone().unwrap_or_default(), None),
                    None => {
                        return Err(EndpointsError::UnknownPort {
                            namespace: self.namespace.clone(),
                            service: self.service.clone(),
                            port: port.to_string(),
                        });
                    }
                }
            }
            (None, PortArg::Number(n)) => (String::new(), Some(self.service_object(*n))),
            (None, PortArg::Name(name)) => {
                return Err(EndpointsError::UnknownService {
                    namespace: self.namespace.clone(),
                    service: self.service.clone(),
                    port: name.clone(),
                });
            }
        };
        let mut by_port: BTreeMap<u16, Vec<SocketAddr>> = BTreeMap::new();
        for address in &self.addresses {
            by_port.entry(address.port()).or_default().push(*address);
        }
        let mut slices = Vec::new();
        for (target_port, addresses) in by_port {
            for (family, ipv6) in [("IPv4", false), ("IPv6", true)] {
                let ips: Vec<IpAddr> = addresses
                    .iter()
                    .filter(|a| a.is_ipv6() == ipv6)
                    .map(SocketAddr::ip)
                    .collect();
                if ips.is_empty() {
                    continue;
                }
                slices.push(slice(
                    &self.namespace,
                    &self.service,
                    &format!(
                        "{}-cli-{}-{}-{}",
                        self.service,
                        self.port,
                        target_port,
                        family.to_ascii_lowercase()
                    ),
                    family,
                    &port_name,
                    target_port,
                    &ips,
                ));
            }
        }
        Ok(EndpointsObjects { service, slices })
    }

    /// A selector-less Service with one unnamed port.
    fn service_object(&self, port: u16) -> core::Service {
        core::Service {
            metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                name: Some(self.service.clone()),
                namespace: Some(self.namespace.clone()),
                ..Default::default()
            },
            spec: Some(core::ServiceSpec {
                ports: Some(vec![core::ServicePort {
                    port: i32::from(port),
                    protocol: Some("TCP".to_owned()),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            status: None,
        }
    }
}

/// An EndpointSlice of `service`, family `family` (`IPv4` or `IPv6`), whose ready endpoints
/// `ips` serve the Service port named `port_name` (`""`: the unnamed one) on `target_port`.
pub fn slice(
    namespace: &str,
    service: &str,
    name: &str,
    family: &str,
    port_name: &str,
    target_port: u16,
    ips: &[IpAddr],
) -> discovery::EndpointSlice {
    discovery::EndpointSlice {
        metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
            name: Some(name.to_owned()),
            namespace: Some(namespace.to_owned()),
            labels: Some(BTreeMap::from([(
                SERVICE_NAME_LABEL.to_owned(),
                service.to_owned(),
            )])),
            ..Default::default()
        },
        address_type: family.to_owned(),
        endpoints: Some(
            ips.iter()
                .map(|ip| discovery::Endpoint {
                    addresses: vec![ip.to_string()],
                    conditions: Some(discovery::EndpointConditions {
                        ready: Some(true),
                        ..Default::default()
                    }),
                    ..Default::default()
                })
                .collect(),
        ),
        ports: Some(vec![discovery::EndpointPort {
            name: (!port_name.is_empty()).then(|| port_name.to_owned()),
            port: Some(i32::from(target_port)),
            protocol: Some("TCP".to_owned()),
            app_protocol: None,
        }]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_read_as_documented() {
        let arg: EndpointsArg = "shop/web:80=127.0.0.1:8080,[::1]:8081".parse().unwrap();
        assert_eq!(
            arg,
            EndpointsArg {
                namespace: "shop".into(),
                service: "web".into(),
                port: PortArg::Number(80),
                addresses: vec![
                    "127.0.0.1:8080".parse().unwrap(),
                    "[::1]:8081".parse().unwrap()
                ],
            }
        );
        let arg: EndpointsArg = "web:http=10.0.0.1:80".parse().unwrap();
        assert_eq!(
            (arg.namespace.as_str(), arg.port),
            ("default", PortArg::Name("http".into()))
        );
        for bad in [
            "web:80",
            "web=1.2.3.4:80",
            "web:80=1.2.3.4",
            "/web:80=1.2.3.4:1",
            "web:0=1.2.3.4:1",
            "web:a_b=1.2.3.4:1",
        ] {
            let err = bad.parse::<EndpointsArg>().unwrap_err().to_string();
            assert!(
                err.contains(bad) && err.contains("expected NS/SERVICE:PORT"),
                "{err}"
            );
        }
    }
}
