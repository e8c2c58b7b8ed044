//! TLS Secrets behind `Snapshot::certificate_for`.

use ingress_kube::index::CertificateProblem;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::networking::v1::Ingress;
use serde_json::json;

use crate::common::*;

fn with_tls(tls: serde_json::Value) -> Ingress {
    let mut ing = ingress(
        "prod",
        "shop",
        "shop.example.com",
        &[("/", to_number("web", 80))],
    );
    ing.spec.as_mut().unwrap().tls = Some(object(tls));
    ing
}

#[test]
fn a_tls_secret_gives_its_certificate_and_key() {
    let mut index = index();
    index.apply(with_tls(json!([
        {"hosts": ["shop.example.com"], "secretName": "shop-cert"},
        {"hosts": ["*.example.com"]}
    ])));
    let cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    let key = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";
    let change = index.apply(tls_secret("prod", "shop-cert", cert, key));
    assert!(change.routing && change.errors.is_empty(), "{change:?}");

    let snapshot = index.snapshot().snapshot;
    let found = snapshot
        .certificate_for("SHOP.example.com")
        .expect("covered");
    assert_eq!(found.entry.secret_name, Some("shop-cert"));
    let secret = found.secret.expect("secret present");
    assert_eq!(secret.certificate, cert.as_bytes());
    assert_eq!(secret.private_key, key.as_bytes());
    assert_eq!(secret.secret.to_string(), "prod/shop-cert");
    // The key never shows in logs.
    assert!(!format!("{secret:?}").contains("PRIVATE"));

    // A tls entry without secretName: the gateway's default certificate.
    let other = snapshot
        .certificate_for("api.example.com")
        .expect("covered by the wildcard");
    assert_eq!(other.secret, Err(CertificateProblem::NoSecretName));
    // Not covered at all.
    assert!(snapshot.certificate_for("example.org").is_none());
}

#[test]
fn a_missing_secret_or_one_of_another_type_is_reported_as_missing() {
    let mut index = index();
    index.apply(with_tls(
        json!([{"hosts": ["shop.example.com"], "secretName": "shop-cert"}]),
    ));
    let missing = |index: &mut ingress_kube::index::Index| {
        let snapshot = index.snapshot().snapshot;
        snapshot
            .certificate_for("shop.example.com")
            .expect("covered")
            .secret
            .map(|s| s.secret.clone())
    };
    assert_eq!(missing(&mut index), Err(CertificateProblem::SecretMissing));

    // An Opaque Secret of that name is ignored, silently.
    let opaque: Secret = object(json!({
        "metadata": {"name": "shop-cert", "namespace": "prod"},
        "type": "Opaque",
        "data": {"tls.crt": "Y2VydA==", "tls.key": "a2V5"}
    }));
    let change = index.apply(opaque);
    assert!(!change.routing && change.errors.is_empty(), "{change:?}");
    assert_eq!(missing(&mut index), Err(CertificateProblem::SecretMissing));

    // The same name in another namespace does not count.
    index.apply(tls_secret("staging", "shop-cert", "c", "k"));
    assert_eq!(missing(&mut index), Err(CertificateProblem::SecretMissing));

    // Created: found; deleted: missing again.
    index.apply(tls_secret("prod", "shop-cert", "c", "k"));
    assert!(missing(&mut index).is_ok());
    index.delete_named::<Secret>("prod", "shop-cert");
    assert_eq!(missing(&mut index), Err(CertificateProblem::SecretMissing));
}

#[test]
fn a_tls_secret_without_its_key_is_reported_and_skipped_until_fixed() {
    let mut index = index();
    index.apply(with_tls(
        json!([{"hosts": ["shop.example.com"], "secretName": "shop-cert"}]),
    ));
    index.apply(tls_secret("prod", "shop-cert", "c", "k"));
    let broken: Secret = object(json!({
        "metadata": {"name": "shop-cert", "namespace": "prod"},
        "type": "kubernetes.io/tls",
        "data": {"tls.crt": "Y2VydA=="}
    }));
    let change = index.apply(broken);
    assert!(change.routing, "the previous version is gone");
    assert_eq!(change.errors.len(), 1);
    assert_eq!(change.errors[0].field, "data[tls.key]");
    assert_eq!(index.errors().count(), 1);
    let snapshot = index.snapshot().snapshot;
    assert_eq!(
        snapshot
            .certificate_for("shop.example.com")
            .unwrap()
            .secret
            .err(),
        Some(CertificateProblem::SecretMissing)
    );

    index.apply(tls_secret("prod", "shop-cert", "c", "k"));
    assert_eq!(index.errors().count(), 0);
    let snapshot = index.snapshot().snapshot;
    assert!(
        snapshot
            .certificate_for("shop.example.com")
            .unwrap()
            .secret
            .is_ok()
    );
}
