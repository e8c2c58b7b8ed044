//! Service and EndpointSlice.

use k8s_openapi::api::core::v1 as core;
use k8s_openapi::api::discovery::v1 as discovery;
use k8s_openapi::apimachinery::pkg::util::intstr;

use super::convert::{Convert, TryConvert, fields, owned_and_borrowed};
use super::meta::{check_type_meta, type_meta};
use crate::IntOrString;

owned_and_borrowed! {
    impl TryConvert<crate::Service> for core::Service {
        fn try_convert(service) {
            // `status` is not modelled.
            let core::Service { metadata, spec, .. } = service;
            let (api_version, kind) = type_meta::<core::Service>();
            Ok(crate::Service {
                api_version,
                kind,
                metadata: metadata.try_convert()?,
                spec: Option::unwrap_or_default(spec.convert()),
            })
        }
    }
}

owned_and_borrowed! {
    impl TryConvert<core::Service> for crate::Service {
        fn try_convert(service) {
            let crate::Service { api_version, kind, metadata, spec } = service;
            check_type_meta::<core::Service>(api_version.as_str(), kind.as_str())?;
            Ok(core::Service {
                metadata: metadata.try_convert()?,
                spec: Some(spec.convert()),
                status: None,
            })
        }
    }
}

fields! {
    crate::ServiceSpec =
        core::ServiceSpec { type_, ports, selector, cluster_ip, external_name, .. };
    crate::ServicePort = core::ServicePort {
        name, protocol, app_protocol, port, target_port, node_port
    };
}

owned_and_borrowed! {
    impl Convert<IntOrString> for intstr::IntOrString {
        fn convert(value) {
            match value {
                intstr::IntOrString::Int(i) => IntOrString::Int(i.convert()),
                intstr::IntOrString::String(s) => IntOrString::String(s.convert()),
            }
        }
    }
}

owned_and_borrowed! {
    impl Convert<intstr::IntOrString> for IntOrString {
        fn convert(value) {
            match value {
                IntOrString::Int(i) => intstr::IntOrString::Int(i.convert()),
                IntOrString::String(s) => intstr::IntOrString::String(s.convert()),
            }
        }
    }
}

// `endpoints` is a `Vec` in k8s-openapi's Kubernetes 1.33 to 1.35 types and an `Option<Vec>`
// from 1.36 on; `convert` picks the list rule for whichever the binary's version feature has.

owned_and_borrowed! {
    impl TryConvert<crate::EndpointSlice> for discovery::EndpointSlice {
        fn try_convert(slice) {
            let discovery::EndpointSlice { metadata, address_type, endpoints, ports } = slice;
            let (api_version, kind) = type_meta::<discovery::EndpointSlice>();
            Ok(crate::EndpointSlice {
                api_version,
                kind,
                metadata: metadata.try_convert()?,
                address_type: address_type.convert(),
                endpoints: endpoints.convert(),
                ports: ports.convert(),
            })
        }
    }
}

owned_and_borrowed! {
    impl TryConvert<discovery::EndpointSlice> for crate::EndpointSlice {
        fn try_convert(slice) {
            let crate::EndpointSlice {
                api_version,
                kind,
                metadata,
                address_type,
                endpoints,
                ports,
            } = slice;
            check_type_meta::<discovery::EndpointSlice>(api_version.as_str(), kind.as_str())?;
            Ok(discovery::EndpointSlice {
                metadata: metadata.try_convert()?,
                address_type: address_type.convert(),
                endpoints: endpoints.convert(),
                ports: ports.convert(),
            })
        }
    }
}

fields! {
    crate::Endpoint = discovery::Endpoint { addresses, conditions, hostname, node_name, zone, .. };
    crate::EndpointConditions = discovery::EndpointConditions { ready, serving, terminating };
    crate::EndpointPort = discovery::EndpointPort { name, protocol, port, app_protocol };
}
