//! The `k8s-openapi` conversions carry every modelled field both ways, and give exactly what
//! going through the JSON both crates share gives (`via_json`, the conversion this module used
//! to do), for random objects in both directions.
#![cfg(feature = "k8s-openapi")]

use std::fmt::Debug;
use std::path::Path;

use ingress_model::k8s::ConversionError;
use ingress_model::{LoadOptions, Manifests, PathType, Timestamp};
use k8s_openapi::Resource;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde::Serialize;
use serde::de::DeserializeOwned;

mod support;

use support::{k8s, model};

/// The reference: serialise one side to JSON and deserialise the other from it.
fn via_json<A: Serialize, B: DeserializeOwned>(a: &A) -> Result<B, serde_json::Error> {
    serde_json::to_value(a).and_then(serde_json::from_value)
}

/// `B::try_from(a)`, borrowed and owned, equals `via_json(a)`: the same value, or an error in
/// both, at `expected_field` (the only fields that can fail are `apiVersion`, `kind` and the
/// timestamp).
fn same_as_json<A, B>(a: A, kind: &str, expected_field: &str) -> Result<(), TestCaseError>
where
    A: Serialize + Debug,
    B: DeserializeOwned + PartialEq + Debug,
    B: TryFrom<A, Error = ConversionError> + for<'a> TryFrom<&'a A, Error = ConversionError>,
{
    let reference = via_json::<A, B>(&a);
    let borrowed = B::try_from(&a);
    let owned = B::try_from(a);
    match reference {
        Ok(expected) => {
            prop_assert_eq!(borrowed.as_ref().ok(), Some(&expected), "{:?}", borrowed);
            prop_assert_eq!(owned.as_ref().ok(), Some(&expected), "{:?}", owned);
        }
        Err(json) => {
            let Err(e) = borrowed else {
                return Err(TestCaseError::fail(format!(
                    "JSON failed ({json}), we did not"
                )));
            };
            prop_assert_eq!(owned.as_ref().err(), Some(&e));
            prop_assert_eq!(e.kind, kind);
            prop_assert_eq!(e.field, expected_field, "{}; JSON said {}", e, json);
        }
    }
    Ok(())
}

/// The field an ours → k8s-openapi conversion must fail at, if any: `apiVersion`, then `kind`,
/// then the timestamp, in the order the JSON path met them.
fn failing_field<R: Resource>(api_version: &str, kind: &str) -> &'static str {
    if api_version != R::API_VERSION {
        "apiVersion"
    } else if kind != R::KIND {
        "kind"
    } else {
        "metadata.creationTimestamp"
    }
}

const TIMESTAMP: &str = "metadata.creationTimestamp";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn ingress_to_k8s_is_the_json_round_trip(ours in model::any_ingress()) {
        let field = failing_field::<Ingress>(&ours.api_version, &ours.kind);
        same_as_json::<_, Ingress>(ours, "Ingress", field)?;
    }

    #[test]
    fn ingress_from_k8s_is_the_json_round_trip(theirs in k8s::ingress()) {
        same_as_json::<_, ingress_model::Ingress>(theirs, "Ingress", TIMESTAMP)?;
    }

    #[test]
    fn ingress_class_to_k8s_is_the_json_round_trip(ours in model::any_ingress_class()) {
        let field = failing_field::<IngressClass>(&ours.api_version, &ours.kind);
        same_as_json::<_, IngressClass>(ours, "IngressClass", field)?;
    }

    #[test]
    fn ingress_class_from_k8s_is_the_json_round_trip(theirs in k8s::ingress_class()) {
        same_as_json::<_, ingress_model::IngressClass>(theirs, "IngressClass", TIMESTAMP)?;
    }

    #[test]
    fn service_to_k8s_is_the_json_round_trip(ours in model::any_service()) {
        let field = failing_field::<Service>(&ours.api_version, &ours.kind);
        same_as_json::<_, Service>(ours, "Service", field)?;
    }

    #[test]
    fn service_from_k8s_is_the_json_round_trip(theirs in k8s::service()) {
        same_as_json::<_, ingress_model::Service>(theirs, "Service", TIMESTAMP)?;
    }

    #[test]
    fn endpoint_slice_to_k8s_is_the_json_round_trip(ours in model::any_endpoint_slice()) {
        let field = failing_field::<EndpointSlice>(&ours.api_version, &ours.kind);
        same_as_json::<_, EndpointSlice>(ours, "EndpointSlice", field)?;
    }

    #[test]
    fn endpoint_slice_from_k8s_is_the_json_round_trip(theirs in k8s::endpoint_slice()) {
        same_as_json::<_, ingress_model::EndpointSlice>(theirs, "EndpointSlice", TIMESTAMP)?;
    }
}

#[test]
fn api_fixtures_convert_to_k8s_openapi_and_back() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/k8s-api-testdata");
    let m = Manifests::load_paths(&[dir], &LoadOptions::default());
    assert!(m.errors.is_empty(), "{:?}", m.errors);

    let ours = &m.ingresses[0].object;
    let theirs = Ingress::try_from(ours).unwrap();
    assert_eq!(theirs.metadata.name.as_deref(), Some("nameValue"));
    let spec = theirs.spec.as_ref().unwrap();
    assert_eq!(
        spec.rules.as_ref().unwrap()[0].http.as_ref().unwrap().paths[0].path_type,
        "pathTypeValue"
    );
    assert_eq!(&ingress_model::Ingress::try_from(&theirs).unwrap(), ours);

    let class = &m.ingress_classes[0].object;
    let theirs = IngressClass::try_from(class).unwrap();
    assert_eq!(
        theirs.spec.as_ref().unwrap().controller.as_deref(),
        Some("20")
    );
    assert_eq!(
        &ingress_model::IngressClass::try_from(theirs).unwrap(),
        class
    );

    let slice = &m.endpoint_slices[0].object;
    let theirs = EndpointSlice::try_from(slice).unwrap();
    assert_eq!(theirs.ports.as_ref().unwrap()[0].port, Some(-591_435_092));
    assert_eq!(
        &ingress_model::EndpointSlice::try_from(theirs).unwrap(),
        slice
    );
}

#[test]
fn a_missing_path_type_becomes_k8s_openapi_default_empty_string() {
    // k8s-openapi fills required strings it does not find with "": the conversion is lossy
    // there, which is why it is documented, and why validation should run on our types.
    let m = Manifests::load_str(
        "x.yaml",
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: x}\nspec:\n  rules:\n  - http:\n      paths:\n      - path: /\n        backend: {service: {name: a, port: {number: 80}}}\n",
        &LoadOptions::default(),
    );
    let theirs = Ingress::try_from(&m.ingresses[0].object).unwrap();
    let rules = theirs.spec.and_then(|s| s.rules).unwrap();
    assert_eq!(rules[0].http.as_ref().unwrap().paths[0].path_type, "");
}

#[test]
fn owned_conversions_move_strings_instead_of_copying_them() {
    // A controller converts every object it watches: the owned conversions hand the heap
    // buffers over instead of copying them, in both directions.
    let annotation = "x".repeat(4096);
    let theirs = Ingress {
        metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
            name: Some("web".into()),
            annotations: Some([("big".to_owned(), annotation)].into()),
            ..Default::default()
        },
        spec: Some(k8s_openapi::api::networking::v1::IngressSpec {
            ingress_class_name: Some("nginx".into()),
            ..Default::default()
        }),
        status: None,
    };
    let buffer = |i: &Ingress| i.metadata.annotations.as_ref().unwrap()["big"].as_ptr();
    let before = buffer(&theirs);

    let ours = ingress_model::Ingress::try_from(theirs).unwrap();
    assert_eq!(ours.metadata.annotations["big"].as_ptr(), before);

    let borrowed = Ingress::try_from(&ours).unwrap();
    assert_ne!(buffer(&borrowed), before, "a borrowed conversion copies");
    let back = Ingress::try_from(ours).unwrap();
    assert_eq!(buffer(&back), before);
    assert_eq!(back, borrowed);
}

#[test]
fn values_k8s_openapi_cannot_hold_are_errors_naming_kind_and_field() {
    let ours = ingress_model::Ingress {
        api_version: "extensions/v1beta1".into(),
        ..Default::default()
    };
    let e = Ingress::try_from(&ours).unwrap_err();
    assert_eq!((e.kind, e.field), ("Ingress", "apiVersion"));
    assert_eq!(
        e.to_string(),
        r#"cannot convert Ingress: apiVersion: expected "networking.k8s.io/v1", found "extensions/v1beta1""#
    );

    let class = ingress_model::IngressClass {
        kind: "Ingress".into(),
        ..Default::default()
    };
    let e = IngressClass::try_from(class).unwrap_err();
    assert_eq!((e.kind, e.field), ("IngressClass", "kind"));

    let mut slice = ingress_model::EndpointSlice::default();
    slice.metadata.creation_timestamp = Some(Timestamp::new("yesterday"));
    let e = EndpointSlice::try_from(&slice).unwrap_err();
    assert_eq!(
        (e.kind, e.field),
        ("EndpointSlice", "metadata.creationTimestamp")
    );
    assert!(
        e.to_string()
            .contains(r#""yesterday" is not an RFC 3339 timestamp"#),
        "{e}"
    );
}

#[test]
fn timestamps_come_back_as_k8s_openapi_writes_them() {
    // k8s-openapi holds an instant, not the text: fractions and offsets do not survive.
    let mut ours = ingress_model::Service::default();
    ours.metadata.creation_timestamp = Some(Timestamp::new("2008-01-01T02:01:01.5+01:00"));
    let theirs = Service::try_from(&ours).unwrap();
    let back = ingress_model::Service::try_from(theirs).unwrap();
    assert_eq!(
        back.metadata.creation_timestamp,
        Some(Timestamp::new("2008-01-01T01:01:01Z"))
    );
}

#[test]
fn a_missing_path_type_reads_back_as_the_empty_path_type() {
    let mut ours = ingress_model::Ingress::default();
    ours.spec.rules = vec![ingress_model::IngressRule {
        host: None,
        http: Some(ingress_model::HttpIngressRuleValue {
            paths: vec![ingress_model::HttpIngressPath::default()],
        }),
    }];
    let back = ingress_model::Ingress::try_from(Ingress::try_from(&ours).unwrap()).unwrap();
    let path = &back.spec.rules[0].http.as_ref().unwrap().paths[0];
    assert_eq!(path.path_type, Some(PathType::Unknown(String::new())));
}

#[test]
fn fields_not_modelled_are_dropped() {
    use k8s_openapi::api::core::v1::{ServiceSpec, ServiceStatus};
    let theirs = Service {
        metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
            name: Some("web".into()),
            generation: Some(7),
            finalizers: Some(vec!["keep".into()]),
            ..Default::default()
        },
        spec: Some(ServiceSpec {
            cluster_ip: Some("10.0.0.1".into()),
            session_affinity: Some("ClientIP".into()),
            ..Default::default()
        }),
        status: Some(ServiceStatus::default()),
    };
    let back = Service::try_from(ingress_model::Service::try_from(&theirs).unwrap()).unwrap();
    let expected = Service {
        metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
            name: Some("web".into()),
            ..Default::default()
        },
        spec: Some(ServiceSpec {
            cluster_ip: Some("10.0.0.1".into()),
            ..Default::default()
        }),
        status: None,
    };
    assert_eq!(back, expected);
}
