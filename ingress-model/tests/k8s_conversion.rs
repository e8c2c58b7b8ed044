//! The `k8s-openapi` conversions carry every modelled field both ways.
#![cfg(feature = "k8s-openapi")]

use std::path::Path;

use ingress_model::{LoadOptions, Manifests};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};

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
