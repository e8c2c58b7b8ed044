//! Ingress, its spec and status, and the `pathType` rule.

use k8s_openapi::api::core::v1 as core;
use k8s_openapi::api::networking::v1 as networking;

use super::convert::{Convert, TryConvert, fields, owned_and_borrowed};
use super::meta::{check_type_meta, type_meta};
use crate::PathType;

owned_and_borrowed! {
    impl TryConvert<crate::Ingress> for networking::Ingress {
        fn try_convert(ingress) {
            let networking::Ingress { metadata, spec, status } = ingress;
            let (api_version, kind) = type_meta::<networking::Ingress>();
            Ok(crate::Ingress {
                api_version,
                kind,
                metadata: metadata.try_convert()?,
                spec: Option::unwrap_or_default(spec.convert()),
                status: status.convert(),
            })
        }
    }
}

owned_and_borrowed! {
    impl TryConvert<networking::Ingress> for crate::Ingress {
        fn try_convert(ingress) {
            let crate::Ingress { api_version, kind, metadata, spec, status } = ingress;
            check_type_meta::<networking::Ingress>(api_version.as_str(), kind.as_str())?;
            Ok(networking::Ingress {
                metadata: metadata.try_convert()?,
                // Our spec is always written, so k8s-openapi's is always present.
                spec: Some(spec.convert()),
                status: status.convert(),
            })
        }
    }
}

fields! {
    crate::IngressSpec =
        networking::IngressSpec { ingress_class_name, default_backend, tls, rules };
    crate::IngressTls = networking::IngressTLS { hosts, secret_name };
    crate::IngressRule = networking::IngressRule { host, http };
    crate::HttpIngressRuleValue = networking::HTTPIngressRuleValue { paths };
    crate::HttpIngressPath = networking::HTTPIngressPath { path, path_type, backend };
    crate::IngressBackend = networking::IngressBackend { service, resource };
    crate::IngressServiceBackend = networking::IngressServiceBackend { name, port };
    crate::ServiceBackendPort = networking::ServiceBackendPort { name, number };
    crate::TypedLocalObjectReference = core::TypedLocalObjectReference { api_group, kind, name };
    crate::IngressStatus = networking::IngressStatus { load_balancer };
    crate::IngressLoadBalancerStatus = networking::IngressLoadBalancerStatus { ingress };
    crate::IngressLoadBalancerIngress =
        networking::IngressLoadBalancerIngress { ip, hostname, ports };
    crate::IngressPortStatus = networking::IngressPortStatus { port, protocol, error };
}

// `pathType` is a required string in k8s-openapi and optional in our model. Every string it
// holds is a path type, `""` included (`Some(PathType::Unknown(""))`); a missing path type is
// written as `""`, which is what k8s-openapi itself makes of a missing `pathType`.

impl Convert<Option<PathType>> for String {
    fn convert(self) -> Option<PathType> {
        Some(PathType::from(self))
    }
}

impl Convert<Option<PathType>> for &String {
    fn convert(self) -> Option<PathType> {
        Some(PathType::from(self.as_str()))
    }
}

impl Convert<String> for Option<PathType> {
    fn convert(self) -> String {
        self.map(String::from).unwrap_or_default()
    }
}

impl Convert<String> for &Option<PathType> {
    fn convert(self) -> String {
        self.as_ref()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default()
    }
}
