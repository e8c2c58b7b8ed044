//! Property tests: generated objects survive serialise → load → serialise unchanged, and the
//! loader never panics, whatever bytes it is given.

use std::collections::BTreeMap;

use ingress_model::{
    HttpIngressPath, HttpIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec, IngressTls, LoadOptions, Manifests, ObjectMeta, PathType,
    ServiceBackendPort, Timestamp, TypedLocalObjectReference,
};
use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;

/// Strings that stress quoting in YAML and JSON: keywords, numbers, colons, unicode, newlines.
fn text() -> impl Strategy<Value = String> {
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
}

fn backend() -> impl Strategy<Value = IngressBackend> {
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
}

fn path_type() -> impl Strategy<Value = PathType> {
    prop_oneof![
        Just(PathType::Exact),
        Just(PathType::Prefix),
        Just(PathType::ImplementationSpecific),
        "[A-Za-z]{1,8}".prop_map(PathType::from),
    ]
}

fn ingress() -> impl Strategy<Value = Ingress> {
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
    let meta = (
        option::of("[a-z0-9-]{1,10}"),
        "[a-z0-9-]{1,10}",
        option::of((0i64..4_000_000_000).prop_map(Timestamp::from_unix_seconds)),
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
    (
        meta,
        option::of(text()),
        option::of(backend()),
        vec(tls, 0..2),
        vec(rule, 0..3),
    )
        .prop_map(
            |(metadata, ingress_class_name, default_backend, tls, rules)| Ingress {
                metadata,
                spec: IngressSpec {
                    ingress_class_name,
                    default_backend,
                    tls,
                    rules,
                },
                ..Ingress::default()
            },
        )
}

/// Renders JSON as block-less YAML: JSON is valid YAML 1.2, but we also exercise the YAML path
/// by writing flow mappings with YAML-quoted scalars.
fn to_yaml(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Object(m) => {
            let items: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}: {}", serde_json::to_string(k).unwrap(), to_yaml(v)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        Value::Array(a) => format!("[{}]", a.iter().map(to_yaml).collect::<Vec<_>>().join(", ")),
        other => serde_json::to_string(other).unwrap(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn ingress_round_trips_through_json_and_yaml(ing in ingress()) {
        let json = serde_json::to_value(&ing).unwrap();
        for (name, text) in [("x.json", serde_json::to_string_pretty(&json).unwrap()), ("x.yaml", to_yaml(&json))] {
            let m = Manifests::load_str(name, &text, &LoadOptions::default());
            prop_assert!(m.errors.is_empty(), "{}: {:?}\n{}", name, m.errors, text);
            prop_assert_eq!(m.ingresses.len(), 1);
            prop_assert_eq!(&m.ingresses[0].object, &ing);
            prop_assert_eq!(serde_json::to_value(&m.ingresses[0].object).unwrap(), json.clone());
        }
    }

    #[test]
    fn loader_never_panics_on_arbitrary_bytes(bytes in vec(any::<u8>(), 0..512)) {
        let _ = Manifests::load_bytes("fuzz", &bytes, &LoadOptions::default());
    }

    #[test]
    fn loader_never_panics_on_yaml_like_text(
        text in "(apiVersion: networking.k8s.io/v1\nkind: (Ingress|List|IngressClass)\n)?([-a-zA-Z:{}\\[\\],&*!|>'\" \n#.0-9]{0,200})"
    ) {
        let _ = Manifests::load_str("fuzz.yaml", &text, &LoadOptions::default());
    }
}

#[test]
fn annotations_with_yaml_specials_survive() {
    let mut ing = Ingress::default();
    ing.metadata.name = Some("a".into());
    ing.metadata.namespace = Some("default".into());
    ing.metadata.annotations =
        BTreeMap::from([("yes".into(), "no".into()), ("x".into(), "0755".into())]);
    ing.spec.default_backend = Some(IngressBackend::service("svc", 80));
    let json = serde_json::to_value(&ing).unwrap();
    let m = Manifests::load_str("a.yaml", &to_yaml(&json), &LoadOptions::default());
    assert_eq!(m.ingresses[0].object, ing);
}
