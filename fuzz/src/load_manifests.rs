//! Manifest loading and validation from arbitrary bytes: never a panic, a hang or unbounded
//! memory, whatever the input (YAML, JSON, garbage).

use ingress_model::validation::{
    ValidationOptions, validate_ingress, validate_ingress_class, validate_ingress_update,
};
use ingress_model::{LoadOptions, Manifests};

/// Loads and validates arbitrary bytes as manifests.
pub fn load_manifests(data: &[u8]) {
    let m = Manifests::load_bytes("fuzz.yaml", data, &LoadOptions::default());
    let options = ValidationOptions::default();
    for ing in &m.ingresses {
        let _ = validate_ingress(&ing.object, &options);
        let _ = validate_ingress_update(&ing.object, &ing.object, &options);
    }
    for class in &m.ingress_classes {
        let _ = validate_ingress_class(&class.object);
    }
    for e in &m.errors {
        let _ = e.to_string();
    }
}
