//! Manifests into the index: load with `ingress-model`, convert to k8s-openapi, apply.

use std::path::PathBuf;

use ingress_kube::index::{Index, Object, ObjectError};
use ingress_model::k8s::ConversionError;
use ingress_model::load::{LoadError, Loaded, Origin};
use ingress_model::{LoadOptions, Manifests};

use super::EndpointsError;

/// Something that was left out of the index. Each names where it came from.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    /// A document that did not load (file, document, line, field).
    #[error("{0}")]
    Load(LoadError),
    /// An object that loaded but did not convert to its k8s-openapi type.
    #[error("{origin}: {error}")]
    Convert {
        /// Where the object was written.
        origin: Origin,
        /// Which field, and why.
        error: ConversionError,
    },
    /// An object the index could not use, in part or whole (kind, `namespace/name`, field).
    #[error("{0}")]
    Index(ObjectError),
    /// An `--endpoints` argument that could not be applied.
    #[error("{0}")]
    Endpoints(EndpointsError),
}

/// Loads `paths` and applies every IngressClass, Service, EndpointSlice, Secret and Ingress in
/// them to `index`, in that order of kinds (so that the first snapshot has Services for the
/// routes and certificates for their `spec.tls`).
/// Returns the manifests and everything that was skipped.
pub fn load_manifests(paths: &[PathBuf], index: &mut Index) -> (Manifests, Vec<Problem>) {
    let mut manifests = Manifests::load_paths(paths, &LoadOptions::default());
    let mut problems: Vec<Problem> = manifests.errors.drain(..).map(Problem::Load).collect();
    apply_all::<_, k8s_openapi::api::networking::v1::IngressClass>(
        &manifests.ingress_classes,
        index,
        &mut problems,
    );
    apply_all::<_, k8s_openapi::api::core::v1::Service>(&manifests.services, index, &mut problems);
    apply_all::<_, k8s_openapi::api::discovery::v1::EndpointSlice>(
        &manifests.endpoint_slices,
        index,
        &mut problems,
    );
    apply_all::<_, k8s_openapi::api::core::v1::Secret>(&manifests.secrets, index, &mut problems);
    apply_all::<_, k8s_openapi::api::networking::v1::Ingress>(
        &manifests.ingresses,
        index,
        &mut problems,
    );
    (manifests, problems)
}

/// Converts each object (borrowed: the manifests stay whole for the demo) and applies it.
fn apply_all<'a, T, K>(objects: &'a [Loaded<T>], index: &mut Index, problems: &mut Vec<Problem>)
where
    K: TryFrom<&'a T, Error = ConversionError> + Into<Object>,
{
    for loaded in objects {
        match K::try_from(&loaded.object) {
            Ok(object) => {
                let change = index.apply(object);
                problems.extend(change.errors.into_iter().map(Problem::Index));
            }
            Err(error) => problems.push(Problem::Convert {
                origin: loaded.origin.clone(),
                error,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ingress_kube::index::IndexConfig;
    use ingress_router::RequestView;

    #[test]
    fn the_founding_example_loads_whole() {
        let path = PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../manifests/echo.yaml"
        ));
        let mut index = Index::new(IndexConfig::new("x").accept_classless(true));
        let (manifests, problems) = load_manifests(&[path], &mut index);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            (manifests.ingresses.len(), manifests.services.len()),
            (2, 2)
        );
        let snapshot = index.snapshot().snapshot;
        // Services but no endpoints yet: matched, unavailable.
        let routed = snapshot.route(&RequestView::new("v1.echo.192.168.49.5.sslip.io", "/"));
        assert_eq!(routed.error_status(), Some(503));
        let routed = snapshot.route(&RequestView::new("elsewhere", "/"));
        assert_eq!(routed.error_status(), Some(404));
    }

    #[test]
    fn tls_secrets_reach_the_snapshot() {
        let dir = std::env::temp_dir().join(format!("gateway-load-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("tls.yaml");
        std::fs::write(
            &file,
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web}\n\
             spec:\n  tls: [{hosts: [a.example], secretName: a-tls}]\n  \
             defaultBackend: {service: {name: web, port: {number: 80}}}\n---\n\
             apiVersion: v1\nkind: Secret\nmetadata: {name: a-tls}\ntype: kubernetes.io/tls\n\
             data: {tls.crt: Q0VSVA==}\nstringData: {tls.key: KEY}\n",
        )
        .unwrap();
        let mut index = Index::new(IndexConfig::new("x").accept_classless(true));
        let (manifests, problems) = load_manifests(std::slice::from_ref(&file), &mut index);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(manifests.secrets.len(), 1);
        let snapshot = index.snapshot().snapshot;
        let certificate = snapshot.certificate_for("a.example").unwrap();
        let secret = certificate.secret.unwrap();
        assert_eq!(secret.secret.to_string(), "default/a-tls");
        assert_eq!(
            (&secret.certificate[..], &secret.private_key[..]),
            (&b"CERT"[..], &b"KEY"[..])
        );
        assert!(snapshot.certificate_for("b.example").is_none());
    }

    #[test]
    fn a_broken_document_is_named_and_the_rest_served() {
        let dir = std::env::temp_dir().join(format!("gateway-load-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("two.yaml");
        std::fs::write(
            &file,
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: bad}\nspec: {rules: 42}\n---\n\
             apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: good}\n\
             spec: {defaultBackend: {service: {name: web, port: {number: 80}}}}\n",
        )
        .unwrap();
        let mut index = Index::new(IndexConfig::new("x").accept_classless(true));
        let (_, problems) = load_manifests(std::slice::from_ref(&file), &mut index);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(problems.len(), 1, "{problems:?}");
        let message = problems[0].to_string();
        assert!(message.contains("two.yaml: document 1"), "{message}");
        assert!(message.contains("spec.rules"), "{message}");
        let snapshot = index.snapshot().snapshot;
        let routed = snapshot.route(&RequestView::new("any", "/"));
        assert_eq!(
            routed.decision.source().unwrap().to_string(),
            "default/good"
        );
    }
}
