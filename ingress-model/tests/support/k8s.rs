//! Proptest strategies for the k8s-openapi types the `k8s` module converts, with fields we do
//! not model filled in too (they must be dropped), and the shapes only k8s-openapi can hold:
//! absent and empty lists and maps, absent specs, empty path types, sub-second timestamps.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1 as core;
use k8s_openapi::api::discovery::v1 as discovery;
use k8s_openapi::api::networking::v1 as networking;
use k8s_openapi::apimachinery::pkg::apis::meta::v1 as meta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::jiff;
use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;

use super::model::text;

/// Absent, empty or a few items.
fn list<T: std::fmt::Debug + 'static>(
    item: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<Option<Vec<T>>> {
    option::of(vec(item, 0..3)).boxed()
}

fn map() -> BoxedStrategy<Option<BTreeMap<String, String>>> {
    option::of(btree_map(text(), text(), 0..3)).boxed()
}

/// Any instant jiff holds, biased to the API server's range, with nanoseconds.
pub fn time() -> BoxedStrategy<meta::Time> {
    let (min, max) = (
        jiff::Timestamp::MIN.as_second(),
        jiff::Timestamp::MAX.as_second(),
    );
    let seconds = prop_oneof![3 => 0i64..4_000_000_000, 1 => min..=max];
    let nanos = prop_oneof![Just(0), 0i32..1_000_000_000];
    (seconds, nanos)
        .prop_filter_map("outside jiff's range", |(s, ns)| {
            jiff::Timestamp::new(s, ns).ok().map(meta::Time)
        })
        .boxed()
}

pub fn object_meta() -> BoxedStrategy<meta::ObjectMeta> {
    let owner = (text(), option::of(any::<bool>()), text(), text(), text()).prop_map(
        |(api_version, controller, kind, name, uid)| meta::OwnerReference {
            api_version,
            block_owner_deletion: None,
            controller,
            kind,
            name,
            uid,
        },
    );
    let modelled = (
        option::of(text()),
        option::of(text()),
        option::of(text()),
        option::of(text()),
        option::of(time()),
        map(),
        map(),
    );
    let unmodelled = (
        option::of(time()),
        option::of(any::<i64>()),
        list(text()),
        list(owner),
        option::of(text()),
    );
    (modelled, unmodelled)
        .prop_map(
            |(
                (name, namespace, uid, resource_version, creation_timestamp, labels, annotations),
                (deletion_timestamp, generation, finalizers, owner_references, generate_name),
            )| meta::ObjectMeta {
                name,
                namespace,
                uid,
                resource_version,
                creation_timestamp,
                labels,
                annotations,
                deletion_timestamp,
                generation,
                finalizers,
                owner_references,
                generate_name,
                ..Default::default()
            },
        )
        .boxed()
}

fn backend() -> BoxedStrategy<networking::IngressBackend> {
    let port = (option::of(text()), option::of(any::<i32>()))
        .prop_map(|(name, number)| networking::ServiceBackendPort { name, number });
    let service = (text(), option::of(port))
        .prop_map(|(name, port)| networking::IngressServiceBackend { name, port });
    let resource = (option::of(text()), text(), text()).prop_map(|(api_group, kind, name)| {
        core::TypedLocalObjectReference {
            api_group,
            kind,
            name,
        }
    });
    (option::of(service), option::of(resource))
        .prop_map(|(service, resource)| networking::IngressBackend { resource, service })
        .boxed()
}

fn ingress_spec() -> BoxedStrategy<networking::IngressSpec> {
    let path_type = prop_oneof![
        Just("Exact".to_owned()),
        Just("Prefix".to_owned()),
        Just("ImplementationSpecific".to_owned()),
        Just(String::new()),
        text(),
    ];
    let path = (backend(), option::of(text()), path_type).prop_map(|(backend, path, path_type)| {
        networking::HTTPIngressPath {
            backend,
            path,
            path_type,
        }
    });
    let rule = (option::of(text()), option::of(vec(path, 0..3))).prop_map(|(host, paths)| {
        networking::IngressRule {
            host,
            http: paths.map(|paths| networking::HTTPIngressRuleValue { paths }),
        }
    });
    let tls = (list(text()), option::of(text()))
        .prop_map(|(hosts, secret_name)| networking::IngressTLS { hosts, secret_name });
    (
        option::of(backend()),
        option::of(text()),
        list(rule),
        list(tls),
    )
        .prop_map(
            |(default_backend, ingress_class_name, rules, tls)| networking::IngressSpec {
                default_backend,
                ingress_class_name,
                rules,
                tls,
            },
        )
        .boxed()
}

fn ingress_status() -> BoxedStrategy<networking::IngressStatus> {
    let port = (option::of(text()), any::<i32>(), text()).prop_map(|(error, port, protocol)| {
        networking::IngressPortStatus {
            error,
            port,
            protocol,
        }
    });
    let address =
        (option::of(text()), option::of(text()), list(port)).prop_map(|(hostname, ip, ports)| {
            networking::IngressLoadBalancerIngress {
                hostname,
                ip,
                ports,
            }
        });
    option::of(list(address))
        .prop_map(|ingress| networking::IngressStatus {
            load_balancer: ingress.map(|ingress| networking::IngressLoadBalancerStatus { ingress }),
        })
        .boxed()
}

pub fn ingress() -> BoxedStrategy<networking::Ingress> {
    (
        object_meta(),
        option::of(ingress_spec()),
        option::of(ingress_status()),
    )
        .prop_map(|(metadata, spec, status)| networking::Ingress {
            metadata,
            spec,
            status,
        })
        .boxed()
}

pub fn ingress_class() -> BoxedStrategy<networking::IngressClass> {
    let parameters = (
        option::of(text()),
        text(),
        text(),
        option::of(text()),
        option::of(text()),
    )
        .prop_map(|(api_group, kind, name, namespace, scope)| {
            networking::IngressClassParametersReference {
                api_group,
                kind,
                name,
                namespace,
                scope,
            }
        });
    let spec = (option::of(text()), option::of(parameters)).prop_map(|(controller, parameters)| {
        networking::IngressClassSpec {
            controller,
            parameters,
        }
    });
    (object_meta(), option::of(spec))
        .prop_map(|(metadata, spec)| networking::IngressClass { metadata, spec })
        .boxed()
}

pub fn service() -> BoxedStrategy<core::Service> {
    let target_port = prop_oneof![
        any::<i32>().prop_map(IntOrString::Int),
        text().prop_map(IntOrString::String),
    ];
    let port = (
        option::of(text()),
        option::of(text()),
        option::of(any::<i32>()),
        any::<i32>(),
        option::of(text()),
        option::of(target_port),
    )
        .prop_map(
            |(app_protocol, name, node_port, port, protocol, target_port)| core::ServicePort {
                app_protocol,
                name,
                node_port,
                port,
                protocol,
                target_port,
            },
        );
    let spec = (
        option::of(text()),
        list(port),
        map(),
        option::of(text()),
        option::of(text()),
        (list(text()), option::of(text()), option::of(any::<bool>())),
    )
        .prop_map(
            |(
                type_,
                ports,
                selector,
                cluster_ip,
                external_name,
                (cluster_ips, session_affinity, publish_not_ready_addresses),
            )| core::ServiceSpec {
                type_,
                ports,
                selector,
                cluster_ip,
                external_name,
                cluster_ips,
                session_affinity,
                publish_not_ready_addresses,
                ..Default::default()
            },
        );
    (
        object_meta(),
        option::of(spec),
        option::of(Just(core::ServiceStatus::default())),
    )
        .prop_map(|(metadata, spec, status)| core::Service {
            metadata,
            spec,
            status,
        })
        .boxed()
}

pub fn endpoint_slice() -> BoxedStrategy<discovery::EndpointSlice> {
    let flag = || option::of(any::<bool>());
    let conditions = (flag(), flag(), flag()).prop_map(|(ready, serving, terminating)| {
        discovery::EndpointConditions {
            ready,
            serving,
            terminating,
        }
    });
    let endpoint = (
        vec(text(), 0..3),
        option::of(conditions),
        option::of(text()),
        option::of(text()),
        option::of(text()),
        (map(), option::of(text())),
    )
        .prop_map(
            |(addresses, conditions, hostname, node_name, zone, (topology, target))| {
                discovery::Endpoint {
                    addresses,
                    conditions,
                    hostname,
                    node_name,
                    zone,
                    deprecated_topology: topology,
                    hints: None,
                    target_ref: target.map(|name| core::ObjectReference {
                        name: Some(name),
                        ..Default::default()
                    }),
                }
            },
        );
    let port = (
        option::of(text()),
        option::of(text()),
        option::of(any::<i32>()),
        option::of(text()),
    )
        .prop_map(
            |(app_protocol, name, port, protocol)| discovery::EndpointPort {
                app_protocol,
                name,
                port,
                protocol,
            },
        );
    (object_meta(), text(), list(endpoint), list(port))
        .prop_map(
            |(metadata, address_type, endpoints, ports)| discovery::EndpointSlice {
                metadata,
                address_type,
                endpoints,
                ports,
            },
        )
        .boxed()
}
