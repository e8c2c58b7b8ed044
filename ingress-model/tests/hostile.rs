//! Input nobody planned for: huge values, huge manifests, out-of-range numbers, NUL bytes.
//! Each gets a clear result (an object, or an error naming file, document and field), never a
//! panic, a hang or unbounded memory. The limits themselves are documented in `load`.

use ingress_model::validation::{ValidationOptions, validate_ingress};
use ingress_model::{LoadErrorKind, LoadOptions, Manifests};

fn ingress_yaml(name: &str, host: &str, path: &str) -> String {
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: {name}}}\nspec:\n  rules:\n  - host: \"{host}\"\n    http:\n      paths:\n      - path: \"{path}\"\n        pathType: Prefix\n        backend: {{service: {{name: svc, port: {{number: 80}}}}}}\n"
    )
}

#[test]
fn megabyte_hosts_and_paths_load_and_fail_validation_by_field() {
    let host = "a".repeat(1 << 20);
    let path = format!("/{}", "seg/".repeat(250_000));
    let m = Manifests::load_str(
        "big.yaml",
        &ingress_yaml("big", &host, &path),
        &LoadOptions::default(),
    );
    assert!(
        m.errors.is_empty(),
        "{:?}",
        m.errors.iter().map(ToString::to_string).collect::<Vec<_>>()
    );
    let v = validate_ingress(&m.ingresses[0].object, &ValidationOptions::default());
    let host_error = v
        .errors
        .iter()
        .find(|e| e.field == "spec.rules[0].host")
        .expect("host error");
    assert!(
        host_error
            .to_string()
            .contains("must be no more than 253 characters"),
        "{host_error}"
    );
    // Error messages quote the bad value, but stay readable: no error is megabytes long.
    assert!(v.errors.iter().all(|e| e.to_string().len() < 4 << 20));
}

#[test]
fn hundred_thousand_ingresses_load_as_yaml_documents_and_as_a_json_list() {
    // 100 000 in optimised builds (`cargo test --profile bench -p ingress-model --test
    // hostile`, by hand); a tenth of that in debug builds (CI's test step), where the same
    // code paths run twenty times slower.
    let n = if cfg!(debug_assertions) {
        10_000
    } else {
        100_000
    };
    let mut yaml = String::with_capacity(n * 300);
    for i in 0..n {
        yaml.push_str(&ingress_yaml(
            &format!("ing-{i}"),
            &format!("h{i}.example.com"),
            "/",
        ));
        yaml.push_str("---\n");
    }
    let m = Manifests::load_str("many.yaml", &yaml, &LoadOptions::default());
    assert!(m.errors.is_empty());
    assert_eq!(m.ingresses.len(), n);
    assert_eq!(m.ingresses[n - 1].origin.document, n);

    let items: Vec<_> = m.ingresses.iter().map(|l| &l.object).collect();
    let json = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items}).to_string();
    let m = Manifests::load_str("many.json", &json, &LoadOptions::default());
    assert!(m.errors.is_empty());
    assert_eq!(m.ingresses.len(), n);
    assert_eq!(m.ingresses[n - 1].origin.item, Some(n - 1));
}

#[test]
fn numbers_out_of_range() {
    let doc = |port: &str| {
        format!(
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: p}}\nspec:\n  defaultBackend: {{service: {{name: svc, port: {{number: {port}}}}}}}\n"
        )
    };
    // Fits the API's int32: loads, and validation names the field in the API server's words.
    let m = Manifests::load_str("p.yaml", &doc("70000"), &LoadOptions::default());
    let v = validate_ingress(&m.ingresses[0].object, &ValidationOptions::default());
    assert_eq!(v.errors.len(), 1);
    assert_eq!(v.errors[0].field, "spec.defaultBackend.service.port.number");
    assert!(
        v.errors[0]
            .to_string()
            .contains("must be between 1 and 65535, inclusive")
    );

    // Does not fit an int32 (nor would it in the API server): a load error naming the field.
    for (text, name) in [
        (doc("1099511627776"), "p.yaml"),
        (doc("-3000000000"), "p.yaml"),
    ] {
        let m = Manifests::load_str(name, &text, &LoadOptions::default());
        assert_eq!(m.ingresses.len(), 0);
        let e = &m.errors[0];
        assert_eq!(
            e.field.as_deref(),
            Some("spec.defaultBackend.service.port.number"),
            "{e}"
        );
        assert!(matches!(e.kind, LoadErrorKind::Field(_)));
    }
    // Not even a finite number: the YAML parser refuses it, with its position.
    let m = Manifests::load_str("p.yaml", &doc("1e400"), &LoadOptions::default());
    assert_eq!(
        m.errors[0].position.map(|p| p.0),
        Some(5),
        "{}",
        m.errors[0]
    );

    let m = Manifests::load_str(
        "p.json",
        r#"{"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":"p"},"spec":{"defaultBackend":{"service":{"name":"s","port":{"number":4294967296}}}}}"#,
        &LoadOptions::default(),
    );
    assert_eq!(
        m.errors[0].field.as_deref(),
        Some("spec.defaultBackend.service.port.number")
    );
}

#[test]
fn nul_bytes_and_control_characters_are_data_not_crashes() {
    let m = Manifests::load_str(
        "nul.json",
        "{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"Ingress\",\"metadata\":{\"name\":\"a\\u0000b\"},\"spec\":{\"rules\":[{\"host\":\"a\\u0000.example\",\"http\":{\"paths\":[{\"path\":\"/\\u0000\",\"pathType\":\"Exact\",\"backend\":{\"service\":{\"name\":\"s\",\"port\":{\"number\":80}}}}]}}]}}",
        &LoadOptions::default(),
    );
    assert!(m.errors.is_empty());
    let v = validate_ingress(&m.ingresses[0].object, &ValidationOptions::default());
    assert!(v.errors.iter().any(|e| e.field == "metadata.name"));
    assert!(v.errors.iter().any(|e| e.field == "spec.rules[0].host"));
    // A raw NUL byte in YAML text is not allowed by YAML: a syntax error, not a panic.
    let m = Manifests::load_str(
        "nul.yaml",
        "apiVersion: v1\nkind: Service\nmetadata: {name: \"a\0\"}\n",
        &LoadOptions::default(),
    );
    assert_eq!(m.services.len() + m.errors.len(), 1);
}

#[test]
fn a_hundred_megabyte_document_fails_fast() {
    let started = std::time::Instant::now();
    // In memory: refused from its length, before any parsing.
    let huge = format!(
        "apiVersion: v1\nkind: ConfigMap\ndata: {{x: \"{}\"}}\n",
        "a".repeat(100 << 20)
    );
    let m = Manifests::load_str("huge.yaml", &huge, &LoadOptions::default());
    assert!(matches!(m.errors[0].kind, LoadErrorKind::TooLarge { .. }));
    drop(huge);

    // On disk: refused from the file's size, without reading it (a sparse file here).
    let dir = std::env::temp_dir().join(format!("ingress-model-huge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("huge.yaml");
    std::fs::File::create(&path)
        .unwrap()
        .set_len(100 << 20)
        .unwrap();
    let m = Manifests::load_paths(&[&path], &LoadOptions::default());
    std::fs::remove_dir_all(&dir).unwrap();
    let e = &m.errors[0];
    assert!(matches!(e.kind, LoadErrorKind::TooLarge { limit } if limit == 64 << 20));
    assert!(e.to_string().contains("huge.yaml"), "{e}");
    assert!(
        started.elapsed().as_secs() < 5,
        "took {:?}",
        started.elapsed()
    );
}
