//! The Deployments of the manifest files: `ingress-model` passes over other kinds, so the demo
//! reads the same files again for `apps/v1` Deployments (as k8s-openapi objects).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use k8s_openapi::api::apps::v1::Deployment as K8sDeployment;

/// What the demo needs of a Deployment: where its Pods would be and what labels they carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deployment {
    /// `metadata.namespace` (`default` when unset, as `kubectl apply` does).
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
    /// `spec.replicas` (1 when unset, the API's default).
    pub replicas: u32,
    /// `spec.template.metadata.labels`: what a Service's selector is matched against.
    pub labels: BTreeMap<String, String>,
}

impl Deployment {
    /// Whether a Service with this selector (in this namespace) selects the Deployment's Pods:
    /// every selector label is on the Pod template. An empty selector selects nothing (a
    /// selector-less Service has hand-made endpoints).
    pub fn selected_by(&self, namespace: &str, selector: &BTreeMap<String, String>) -> bool {
        self.namespace == namespace
            && !selector.is_empty()
            && selector.iter().all(|(k, v)| self.labels.get(k) == Some(v))
    }
}

/// The Deployments in `paths` (files, or directories read recursively for `.yaml`, `.yml`
/// and `.json`), and a message for each file or document that could not be read.
pub fn read_deployments(paths: &[PathBuf]) -> (Vec<Deployment>, Vec<String>) {
    let mut deployments = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        for file in manifest_files(path, &mut problems) {
            read_file(&file, &mut deployments, &mut problems);
        }
    }
    (deployments, problems)
}

/// The files the loader reads for `path` (one file, or a directory's manifests in the same
/// order), so that Deployments come from exactly the files the Ingresses did.
pub(crate) fn manifest_files(path: &Path, problems: &mut Vec<String>) -> Vec<PathBuf> {
    if !path.is_dir() {
        return vec![path.to_path_buf()];
    }
    ingress_model::load::manifest_files(path).unwrap_or_else(|e| {
        problems.push(format!("{}: {e}", path.display()));
        Vec::new()
    })
}

fn read_file(file: &Path, deployments: &mut Vec<Deployment>, problems: &mut Vec<String>) {
    let name = file.display();
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) => return problems.push(format!("{name}: {e}")),
    };
    let documents: Vec<serde_json::Value> = if text.trim_start().starts_with(['{', '[']) {
        match serde_json::Deserializer::from_str(&text)
            .into_iter()
            .collect()
        {
            Ok(documents) => documents,
            Err(e) => return problems.push(format!("{name}: {e}")),
        }
    } else {
        match serde_saphyr::from_multiple(&text) {
            Ok(documents) => documents,
            Err(e) => return problems.push(format!("{name}: {e}")),
        }
    };
    for (i, document) in documents.into_iter().enumerate() {
        let mut objects = vec![document];
        while let Some(object) = objects.pop() {
            let kind = object.get("kind").and_then(|k| k.as_str()).unwrap_or("");
            if kind.ends_with("List") {
                if let Some(items) = object.get("items").and_then(|i| i.as_array()) {
                    objects.extend(items.iter().rev().cloned());
                }
                continue;
            }
            let api_version = object.get("apiVersion").and_then(|v| v.as_str());
            if kind != "Deployment" || api_version != Some("apps/v1") {
                continue;
            }
            match Deployment::from_value(object) {
                Ok(d) => deployments.push(d),
                Err(e) => problems.push(format!("{name}: document {}: {e}", i + 1)),
            }
        }
    }
}

impl Deployment {
    /// The Deployment of an `apps/v1` object as JSON (a manifest document or what an API
    /// server stores), or what is wrong with it.
    pub fn from_value(object: serde_json::Value) -> Result<Deployment, String> {
        serde_json::from_value::<K8sDeployment>(object)
            .map(from_k8s)
            .map_err(|e| format!("Deployment: {e}"))
    }
}

fn from_k8s(d: K8sDeployment) -> Deployment {
    let spec = d.spec;
    Deployment {
        namespace: d.metadata.namespace.unwrap_or_else(|| "default".to_owned()),
        name: d.metadata.name.unwrap_or_default(),
        replicas: spec.replicas.map_or(1, |r| u32::try_from(r).unwrap_or(0)),
        labels: spec
            .template
            .metadata
            .and_then(|m| m.labels)
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_founding_example_has_two_deployments_of_three() {
        let path = PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../manifests/echo.yaml"
        ));
        let (deployments, problems) = read_deployments(&[path]);
        assert!(problems.is_empty(), "{problems:?}");
        let names: Vec<_> = deployments
            .iter()
            .map(|d| (d.name.as_str(), d.replicas))
            .collect();
        assert_eq!(names, [("echo-v1", 3), ("echo-v2", 3)]);
        let selector = BTreeMap::from([
            ("app".to_owned(), "echo".to_owned()),
            ("version".to_owned(), "v2".to_owned()),
        ]);
        assert!(!deployments[0].selected_by("default", &selector));
        assert!(deployments[1].selected_by("default", &selector));
        assert!(!deployments[1].selected_by("other", &selector));
        assert!(!deployments[1].selected_by("default", &BTreeMap::new()));
    }
}
