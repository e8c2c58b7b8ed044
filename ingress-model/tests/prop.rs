//! Property tests: generated objects survive serialise → load → serialise unchanged, and the
//! loader never panics, whatever bytes it is given.

use std::collections::BTreeMap;

use ingress_model::{Ingress, IngressBackend, LoadOptions, Manifests};
use proptest::collection::vec;
use proptest::prelude::*;

mod support;

use support::model::ingress;

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
