//! The `k8s` conversions on 10 000 Ingresses as an API server returns them, against the JSON
//! round trip the module used to do (`json_round_trip`, measured in the same run).
//!
//! Each Ingress has five labels, four annotations (one the `kubectl apply` record of the whole
//! object, about 1.2 KB), a `managedFields` entry, one TLS entry with two hosts, two rules with
//! four paths between them, and a load-balancer address. `from_k8s/*` converts k8s-openapi →
//! ours, `to_k8s/*` ours → k8s-openapi; `borrowed` converts `&T`, `owned` converts `T` (the input
//! is cloned outside the timing; freeing what the conversion drops is inside it). The outputs
//! are freed outside the timing everywhere.
//!
//! `cargo bench -p ingress-model --features k8s-openapi --bench k8s_conversion`

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use k8s_openapi::api::networking::v1 as networking;
use k8s_openapi::apimachinery::pkg::apis::meta::v1 as meta;
use k8s_openapi::jiff;

const N: usize = 10_000;

fn path(
    path: &str,
    path_type: &str,
    service: &str,
    port: networking::ServiceBackendPort,
) -> networking::HTTPIngressPath {
    networking::HTTPIngressPath {
        path: Some(path.to_owned()),
        path_type: path_type.to_owned(),
        backend: networking::IngressBackend {
            service: Some(networking::IngressServiceBackend {
                name: service.to_owned(),
                port: Some(port),
            }),
            resource: None,
        },
    }
}

fn number(n: i32) -> networking::ServiceBackendPort {
    networking::ServiceBackendPort {
        number: Some(n),
        name: None,
    }
}

fn named(name: &str) -> networking::ServiceBackendPort {
    networking::ServiceBackendPort {
        number: None,
        name: Some(name.to_owned()),
    }
}

fn ingress(i: usize) -> networking::Ingress {
    let (name, namespace) = (format!("shop-{i}"), format!("team-{}", i % 40));
    let (host, www) = (
        format!("shop-{i}.example.com"),
        format!("www.shop-{i}.example.com"),
    );
    let time = |s: i64| Some(meta::Time(jiff::Timestamp::from_second(s).unwrap()));
    let created = 1_700_000_000 + i as i64;
    let spec = networking::IngressSpec {
        ingress_class_name: Some("nginx".into()),
        default_backend: None,
        tls: Some(vec![networking::IngressTLS {
            hosts: Some(vec![host.clone(), www.clone()]),
            secret_name: Some(format!("{name}-tls")),
        }]),
        rules: Some(vec![
            networking::IngressRule {
                host: Some(host),
                http: Some(networking::HTTPIngressRuleValue {
                    paths: vec![
                        path("/", "Prefix", &format!("{name}-web"), number(80)),
                        path("/api", "Prefix", &format!("{name}-api"), named("http")),
                        path("/healthz", "Exact", &format!("{name}-api"), number(8081)),
                    ],
                }),
            },
            networking::IngressRule {
                host: Some(www),
                http: Some(networking::HTTPIngressRuleValue {
                    paths: vec![path("/", "Prefix", &format!("{name}-web"), number(80))],
                }),
            },
        ]),
    };
    let labels = BTreeMap::from(
        [
            ("app.kubernetes.io/name", "shop"),
            ("app.kubernetes.io/instance", &name),
            ("app.kubernetes.io/part-of", "storefront"),
            ("app.kubernetes.io/managed-by", "kubectl"),
            ("team", &namespace),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    let mut ingress = networking::Ingress {
        metadata: meta::ObjectMeta {
            name: Some(name.clone()),
            namespace: Some(namespace.clone()),
            uid: Some(format!("6c9f0a1e-3b2d-4c5e-8f7a-{i:012}")),
            resource_version: Some((4_200_000 + i).to_string()),
            generation: Some(3),
            creation_timestamp: time(created),
            labels: Some(labels),
            annotations: Some(BTreeMap::from(
                [
                    ("nginx.ingress.kubernetes.io/proxy-body-size", "8m"),
                    ("nginx.ingress.kubernetes.io/ssl-redirect", "true"),
                    ("cert-manager.io/cluster-issuer", "letsencrypt-prod"),
                ]
                .map(|(k, v)| (k.to_owned(), v.to_owned())),
            )),
            managed_fields: Some(vec![meta::ManagedFieldsEntry {
                api_version: Some("networking.k8s.io/v1".into()),
                fields_type: Some("FieldsV1".into()),
                fields_v1: Some(meta::FieldsV1(serde_json::json!({
                    "f:metadata": {"f:annotations": {".": {}, "f:cert-manager.io/cluster-issuer": {}}},
                    "f:spec": {"f:ingressClassName": {}, "f:rules": {}, "f:tls": {}}
                }))),
                manager: Some("kubectl-client-side-apply".into()),
                operation: Some("Update".into()),
                subresource: None,
                time: time(created),
            }]),
            ..Default::default()
        },
        spec: Some(spec),
        status: Some(networking::IngressStatus {
            load_balancer: Some(networking::IngressLoadBalancerStatus {
                ingress: Some(vec![networking::IngressLoadBalancerIngress {
                    ip: Some(format!("203.0.113.{}", i % 250)),
                    hostname: None,
                    ports: None,
                }]),
            }),
        }),
    };
    // What `kubectl apply` records: the object as applied (metadata and spec).
    let applied = serde_json::json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": ingress.metadata.labels,
            "annotations": ingress.metadata.annotations,
        },
        "spec": ingress.spec,
    });
    ingress.metadata.annotations.as_mut().unwrap().insert(
        "kubectl.kubernetes.io/last-applied-configuration".into(),
        format!("{applied}\n"),
    );
    ingress
}

/// The reference the field-by-field conversions replace.
fn via_json<A: serde::Serialize, B: serde::de::DeserializeOwned>(a: &A) -> B {
    serde_json::from_value(serde_json::to_value(a).unwrap()).unwrap()
}

fn from_k8s(c: &mut Criterion) {
    let theirs: Vec<networking::Ingress> = (0..N).map(ingress).collect();
    // Both sides of the comparison do the same work.
    assert_eq!(
        via_json::<_, ingress_model::Ingress>(&theirs[0]),
        ingress_model::Ingress::try_from(&theirs[0]).unwrap()
    );
    let mut group = c.benchmark_group("from_k8s");
    group.throughput(Throughput::Elements(N as u64));
    group.bench_function("json_round_trip", |b| {
        b.iter_with_large_drop(|| {
            black_box(&theirs)
                .iter()
                .map(via_json::<_, ingress_model::Ingress>)
                .collect::<Vec<_>>()
        })
    });
    group.bench_function("borrowed", |b| {
        b.iter_with_large_drop(|| {
            black_box(&theirs)
                .iter()
                .map(|i| ingress_model::Ingress::try_from(i).unwrap())
                .collect::<Vec<_>>()
        })
    });
    group.bench_function("owned", |b| {
        b.iter_batched(
            || theirs.clone(),
            |theirs| {
                theirs
                    .into_iter()
                    .map(|i| ingress_model::Ingress::try_from(i).unwrap())
                    .collect::<Vec<_>>()
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn to_k8s(c: &mut Criterion) {
    let ours: Vec<ingress_model::Ingress> = (0..N)
        .map(|i| ingress_model::Ingress::try_from(ingress(i)).unwrap())
        .collect();
    assert_eq!(
        via_json::<_, networking::Ingress>(&ours[0]),
        networking::Ingress::try_from(&ours[0]).unwrap()
    );
    let mut group = c.benchmark_group("to_k8s");
    group.throughput(Throughput::Elements(N as u64));
    group.bench_function("json_round_trip", |b| {
        b.iter_with_large_drop(|| {
            black_box(&ours)
                .iter()
                .map(via_json::<_, networking::Ingress>)
                .collect::<Vec<_>>()
        })
    });
    group.bench_function("borrowed", |b| {
        b.iter_with_large_drop(|| {
            black_box(&ours)
                .iter()
                .map(|i| networking::Ingress::try_from(i).unwrap())
                .collect::<Vec<_>>()
        })
    });
    group.bench_function("owned", |b| {
        b.iter_batched(
            || ours.clone(),
            |ours| {
                ours.into_iter()
                    .map(|i| networking::Ingress::try_from(i).unwrap())
                    .collect::<Vec<_>>()
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = from_k8s, to_k8s
}
criterion_main!(benches);
