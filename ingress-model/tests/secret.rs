//! Secrets: loaded like the other kinds (every `data` value checked to be base64, a bad one a
//! load error at its key), validated as the API server validates `kubernetes.io/tls` Secrets,
//! and converted to k8s-openapi with `stringData` merged into `data`.

use ingress_model::validation::validate_secret;
use ingress_model::{LoadOptions, Manifests, Secret};

const TLS: &str = "\
apiVersion: v1
kind: Secret
metadata: {name: web-tls, namespace: shop}
type: kubernetes.io/tls
data:
  tls.crt: Q0VSVA==
  tls.key: S0VZ
---
apiVersion: v1
kind: Secret
metadata: {name: no-key}
type: kubernetes.io/tls
data:
  tls.crt: Q0VSVA==
---
apiVersion: v1
kind: Secret
metadata: {name: broken}
type: kubernetes.io/tls
data:
  tls.crt: Q0VSVA==
  tls.key: 'not base64!'
---
apiVersion: v1
kind: Secret
metadata: {name: plain}
stringData: {password: hunter2}
---
apiVersion: v2
kind: Secret
metadata: {name: future}
";

fn load() -> Manifests {
    Manifests::load_str("secrets.yaml", TLS, &LoadOptions::default())
}

#[test]
fn secrets_load_with_their_namespace_and_bad_base64_is_a_load_error_at_its_key() {
    let m = load();
    let names: Vec<_> = m
        .secrets
        .iter()
        .map(|s| {
            format!(
                "{}/{}",
                s.object.metadata.namespace(),
                s.object.metadata.name()
            )
        })
        .collect();
    assert_eq!(names, ["shop/web-tls", "default/no-key", "default/plain"]);
    assert!(m.skipped.is_empty(), "{:?}", m.skipped);
    let errors: Vec<String> = m.errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].starts_with("secrets.yaml: document 3 (line 22, column 12)"),
        "{errors:?}"
    );
    assert!(
        errors[0].contains(": data.tls.key: invalid base64"),
        "{errors:?}"
    );
    assert_eq!(
        errors[1],
        "secrets.yaml: document 5: unsupported apiVersion \"v2\" for kind Secret"
    );
    let decoded = m.secrets[0].object.decoded().unwrap();
    assert_eq!(
        (&decoded["tls.crt"][..], &decoded["tls.key"][..]),
        (&b"CERT"[..], &b"KEY"[..])
    );
}

#[test]
fn a_tls_secret_without_its_key_is_invalid() {
    let m = load();
    let verdicts: Vec<Vec<String>> = m
        .secrets
        .iter()
        .map(|s| {
            validate_secret(&s.object)
                .errors
                .iter()
                .map(ToString::to_string)
                .collect()
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            vec![],
            vec!["data[tls.key]: Required value".to_owned()],
            vec![]
        ]
    );
}

#[test]
fn a_secret_of_another_group_is_another_kind() {
    let m = Manifests::load_str(
        "x.yaml",
        "apiVersion: example.com/v1\nkind: Secret\nmetadata: {name: x}\n",
        &LoadOptions::default(),
    );
    assert!(m.secrets.is_empty() && m.errors.is_empty());
    assert_eq!(m.skipped[0].1, "Secret.example.com");
}

#[cfg(feature = "k8s-openapi")]
mod k8s {
    use super::*;
    use k8s_openapi::ByteString;
    use k8s_openapi::api::core::v1 as core;

    #[test]
    fn string_data_is_merged_into_data_and_reads_back_encoded() {
        let mut ours = load().secrets[0].object.clone();
        ours.string_data
            .insert("tls.key".to_owned(), "NEW KEY".to_owned());
        ours.string_data
            .insert("ca.crt".to_owned(), "CA".to_owned());
        let theirs = core::Secret::try_from(&ours).unwrap();
        assert_eq!(theirs.type_.as_deref(), Some("kubernetes.io/tls"));
        assert_eq!(theirs.string_data, None);
        let data = theirs.data.as_ref().unwrap();
        assert_eq!(data["tls.crt"], ByteString(b"CERT".to_vec()));
        assert_eq!(data["tls.key"], ByteString(b"NEW KEY".to_vec()));
        assert_eq!(data["ca.crt"], ByteString(b"CA".to_vec()));
        assert_eq!(theirs.metadata.namespace.as_deref(), Some("shop"));

        let back = Secret::try_from(theirs).unwrap();
        assert!(back.string_data.is_empty());
        assert_eq!(back.data["tls.key"], "TkVXIEtFWQ==");
        assert_eq!(back.decoded().unwrap(), ours.decoded().unwrap());
        // Owned and borrowed agree.
        assert_eq!(
            core::Secret::try_from(ours.clone()).unwrap(),
            core::Secret::try_from(&ours).unwrap()
        );
    }

    #[test]
    fn invalid_base64_and_foreign_type_meta_are_conversion_errors() {
        let mut ours = Secret::tls("ns", "s", b"CERT", b"KEY");
        ours.data.insert("tls.key".to_owned(), "%%%".to_owned());
        let e = core::Secret::try_from(&ours).unwrap_err();
        assert_eq!((e.kind, e.field), ("Secret", "data"));
        assert!(
            e.to_string()
                .starts_with("cannot convert Secret: data: key \"tls.key\": invalid base64"),
            "{e}"
        );
        let mut ours = Secret::tls("ns", "s", b"CERT", b"KEY");
        ours.kind = "ConfigMap".to_owned();
        let e = core::Secret::try_from(ours).unwrap_err();
        assert_eq!(e.field, "kind");
    }
}
