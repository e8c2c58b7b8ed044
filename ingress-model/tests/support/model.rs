//! Proptest strategies for this crate's types.

use ingress_model::{
    Endpoint, EndpointConditions, EndpointPort, EndpointSlice, HttpIngressPath,
    HttpIngressRuleValue, Ingress, IngressBackend, IngressClass, IngressClassParametersReference,
    IngressClassSpec, IngressLoadBalancerIngress, IngressLoadBalancerStatus, IngressPortStatus,
    IngressRule, IngressServiceBackend, IngressSpec, IngressStatus, IngressTls, IntOrString,
    ObjectMeta, PathType, Service, ServiceBackendPort, ServicePort, ServiceSpec, Timestamp,
    TypedLocalObjectReference,
};
use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;

/// Strings that stress quoting in YAML and JSON: keywords, numbers, colons, unicode, newlines.
pub fn text() -> BoxedStrategy<String> {
    prop_oneof![
        "[a-z0-9.-]{0,12}",
        Just("true".to_owned()),
        Just("null".to_owned()),
        Just("0x1F".to_owned()),
        Just("- x: y".to_owned()),
        Just("*.wild.example".to_owned()),
        "\\PC{0,8}",
        "[ -~\n\t]{0,10}",
    ]
    .boxed()
}

pub fn backend() -> BoxedStrategy<IngressBackend> {
    let port = (option::of(text()), option::of(any::<i32>()))
        .prop_map(|(name, number)| ServiceBackendPort { name, number });
    let service =
        (text(), option::of(port)).prop_map(|(name, port)| IngressServiceBackend { name, port });
    let resource = (option::of(text()), text(), text()).prop_map(|(api_group, kind, name)| {
        TypedLocalObjectReference {
            api_group,
            kind,
            name,
        }
    });
    (option::of(service), option::of(resource))
        .prop_map(|(service, resource)| IngressBackend { service, resource })
        .boxed()
}

pub fn path_type() -> BoxedStrategy<PathType> {
    prop_oneof![
        Just(PathType::Exact),
        Just(PathType::Prefix),
        Just(PathType::ImplementationSpecific),
        "[A-Za-z]{0,8}".prop_map(PathType::from),
    ]
    .boxed()
}

/// Creation timestamps as the API server writes them (second precision, UTC).
pub fn api_timestamp() -> BoxedStrategy<Timestamp> {
    (0i64..4_000_000_000)
        .prop_map(Timestamp::from_unix_seconds)
        .boxed()
}

/// Timestamp text of every sort: the API server's form, fractions, offsets, the separators and
/// lower case RFC 3339 allows, out-of-range fields, and text that is no timestamp at all.
pub fn any_timestamp() -> BoxedStrategy<Timestamp> {
    let parts = (
        0u32..10_000,
        0u32..14,
        0u32..33,
        0u32..25,
        0u32..61,
        0u32..62,
        prop_oneof![Just(""), Just(".5"), Just(".123456789"), Just(".")],
        prop::sample::select(vec!["T", "t", " "]),
        prop::sample::select(vec!["Z", "z", "+01:00", "-07:30", "+24:00", ""]),
    )
        .prop_map(|(y, mo, d, h, mi, s, frac, sep, off)| {
            Timestamp::new(format!(
                "{y:04}-{mo:02}-{d:02}{sep}{h:02}:{mi:02}:{s:02}{frac}{off}"
            ))
        });
    prop_oneof![
        3 => (-62_135_596_800i64..253_402_300_799).prop_map(Timestamp::from_unix_seconds),
        3 => parts,
        1 => text().prop_map(Timestamp::new),
    ]
    .boxed()
}

pub fn meta(timestamp: impl Strategy<Value = Timestamp> + 'static) -> BoxedStrategy<ObjectMeta> {
    (
        option::of("[a-z0-9-]{1,10}"),
        option::of("[a-z0-9-]{1,10}"),
        option::of(text()),
        option::of(text()),
        option::of(timestamp),
        btree_map(text(), text(), 0..3),
        btree_map(text(), text(), 0..3),
    )
        .prop_map(
            |(name, namespace, uid, resource_version, creation_timestamp, labels, annotations)| {
                ObjectMeta {
                    name,
                    namespace,
                    uid,
                    resource_version,
                    creation_timestamp,
                    labels,
                    annotations,
                }
            },
        )
        .boxed()
}

/// `apiVersion` and `kind`: mostly the given ones, sometimes another in one or both.
pub fn type_meta(api_version: &'static str, kind: &'static str) -> BoxedStrategy<(String, String)> {
    prop_oneof![
        7 => Just((api_version.to_owned(), kind.to_owned())),
        1 => text().prop_map(move |v| (v, kind.to_owned())),
        1 => text().prop_map(move |k| (api_version.to_owned(), k)),
        1 => (text(), text()),
    ]
    .boxed()
}

pub fn ingress_spec() -> BoxedStrategy<IngressSpec> {
    let path = (option::of(text()), option::of(path_type()), backend()).prop_map(
        |(path, path_type, backend)| HttpIngressPath {
            path,
            path_type,
            backend,
        },
    );
    let rule =
        (option::of(text()), option::of(vec(path, 0..3))).prop_map(|(host, paths)| IngressRule {
            host,
            http: paths.map(|paths| HttpIngressRuleValue { paths }),
        });
    let tls = (vec(text(), 0..3), option::of(text()))
        .prop_map(|(hosts, secret_name)| IngressTls { hosts, secret_name });
    (
        option::of(text()),
        option::of(backend()),
        vec(tls, 0..2),
        vec(rule, 0..3),
    )
        .prop_map(
            |(ingress_class_name, default_backend, tls, rules)| IngressSpec {
                ingress_class_name,
                default_backend,
                tls,
                rules,
            },
        )
        .boxed()
}

pub fn ingress_status() -> BoxedStrategy<IngressStatus> {
    let port = (any::<i32>(), text(), option::of(text())).prop_map(|(port, protocol, error)| {
        IngressPortStatus {
            port,
            protocol,
            error,
        }
    });
    let address = (option::of(text()), option::of(text()), vec(port, 0..2)).prop_map(
        |(ip, hostname, ports)| IngressLoadBalancerIngress {
            ip,
            hostname,
            ports,
        },
    );
    option::of(vec(address, 0..3))
        .prop_map(|ingress| IngressStatus {
            load_balancer: ingress.map(|ingress| IngressLoadBalancerStatus { ingress }),
        })
        .boxed()
}

/// Ingresses as a manifest would hold them: named, in a namespace, created at an API-server
/// timestamp.
pub fn ingress() -> BoxedStrategy<Ingress> {
    let meta = (
        option::of("[a-z0-9-]{1,10}"),
        "[a-z0-9-]{1,10}",
        option::of(api_timestamp()),
        btree_map(text(), text(), 0..3),
        btree_map(text(), text(), 0..3),
    )
        .prop_map(
            |(name, ns, creation_timestamp, labels, annotations)| ObjectMeta {
                name,
                namespace: Some(ns),
                creation_timestamp,
                labels,
                annotations,
                ..ObjectMeta::default()
            },
        );
    (meta, ingress_spec())
        .prop_map(|(metadata, spec)| Ingress {
            metadata,
            spec,
            ..Ingress::default()
        })
        .boxed()
}

/// Ingresses with anything in every modelled field, `apiVersion`, `kind` and timestamp included.
pub fn any_ingress() -> BoxedStrategy<Ingress> {
    (
        type_meta("networking.k8s.io/v1", "Ingress"),
        meta(any_timestamp()),
        ingress_spec(),
        option::of(ingress_status()),
    )
        .prop_map(|((api_version, kind), metadata, spec, status)| Ingress {
            api_version,
            kind,
            metadata,
            spec,
            status,
        })
        .boxed()
}

pub fn any_ingress_class() -> BoxedStrategy<IngressClass> {
    let parameters = (
        option::of(text()),
        text(),
        text(),
        option::of(text()),
        option::of(text()),
    )
        .prop_map(|(api_group, kind, name, scope, namespace)| {
            IngressClassParametersReference {
                api_group,
                kind,
                name,
                scope,
                namespace,
            }
        });
    let spec = (option::of(text()), option::of(parameters)).prop_map(|(controller, parameters)| {
        IngressClassSpec {
            controller,
            parameters,
        }
    });
    (
        type_meta("networking.k8s.io/v1", "IngressClass"),
        meta(any_timestamp()),
        spec,
    )
        .prop_map(|((api_version, kind), metadata, spec)| IngressClass {
            api_version,
            kind,
            metadata,
            spec,
        })
        .boxed()
}

pub fn int_or_string() -> BoxedStrategy<IntOrString> {
    prop_oneof![
        any::<i32>().prop_map(IntOrString::Int),
        text().prop_map(IntOrString::String),
        Just(IntOrString::String("8080".to_owned())),
    ]
    .boxed()
}

pub fn any_service() -> BoxedStrategy<Service> {
    let port = (
        option::of(text()),
        option::of(text()),
        option::of(text()),
        any::<i32>(),
        option::of(int_or_string()),
        option::of(any::<i32>()),
    )
        .prop_map(
            |(name, protocol, app_protocol, port, target_port, node_port)| ServicePort {
                name,
                protocol,
                app_protocol,
                port,
                target_port,
                node_port,
            },
        );
    let spec = (
        option::of(text()),
        vec(port, 0..3),
        btree_map(text(), text(), 0..3),
        option::of(text()),
        option::of(text()),
    )
        .prop_map(
            |(type_, ports, selector, cluster_ip, external_name)| ServiceSpec {
                type_,
                ports,
                selector,
                cluster_ip,
                external_name,
            },
        );
    (type_meta("v1", "Service"), meta(any_timestamp()), spec)
        .prop_map(|((api_version, kind), metadata, spec)| Service {
            api_version,
            kind,
            metadata,
            spec,
        })
        .boxed()
}

pub fn any_endpoint_slice() -> BoxedStrategy<EndpointSlice> {
    let flag = || option::of(any::<bool>());
    let conditions =
        (flag(), flag(), flag()).prop_map(|(ready, serving, terminating)| EndpointConditions {
            ready,
            serving,
            terminating,
        });
    let endpoint = (
        vec(text(), 0..3),
        option::of(conditions),
        option::of(text()),
        option::of(text()),
        option::of(text()),
    )
        .prop_map(
            |(addresses, conditions, hostname, node_name, zone)| Endpoint {
                addresses,
                conditions,
                hostname,
                node_name,
                zone,
            },
        );
    let port = (
        option::of(text()),
        option::of(text()),
        option::of(any::<i32>()),
        option::of(text()),
    )
        .prop_map(|(name, protocol, port, app_protocol)| EndpointPort {
            name,
            protocol,
            port,
            app_protocol,
        });
    (
        type_meta("discovery.k8s.io/v1", "EndpointSlice"),
        meta(any_timestamp()),
        text(),
        vec(endpoint, 0..3),
        vec(port, 0..3),
    )
        .prop_map(
            |((api_version, kind), metadata, address_type, endpoints, ports)| EndpointSlice {
                api_version,
                kind,
                metadata,
                address_type,
                endpoints,
                ports,
            },
        )
        .boxed()
}
