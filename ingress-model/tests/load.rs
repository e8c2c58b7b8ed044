//! Manifest loading: the seed manifests, the Kubernetes API fixtures, multi-document YAML,
//! JSON, `List` wrappers, and clear errors for broken input.

use std::path::{Path, PathBuf};

use ingress_model::{LoadErrorKind, LoadOptions, Manifests, PathType};

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .join(rel)
}

fn load(text: &str) -> Manifests {
    Manifests::load_str("input.yaml", text, &LoadOptions::default())
}

#[test]
fn seed_manifests_load_two_ingresses_two_services_and_pass_over_deployments() {
    let m = Manifests::load_paths(&[testdata("seed")], &LoadOptions::default());
    assert!(m.errors.is_empty(), "{:?}", m.errors);
    let names: Vec<_> = m.ingresses.iter().map(|i| i.object.key()).collect();
    assert_eq!(names, ["default/echo-v1", "default/echo-v2"]);
    let services: Vec<_> = m
        .services
        .iter()
        .map(|s| s.object.metadata.name())
        .collect();
    assert_eq!(services, ["echo-v1", "echo-v2"]);
    assert_eq!(m.services[0].object.spec.ports[0].port, 3000);
    let skipped: Vec<_> = m.skipped.iter().map(|(_, k)| k.as_str()).collect();
    assert_eq!(skipped, ["Deployment", "Deployment"]);
    let rule = &m.ingresses[0].object.spec.rules[0];
    assert_eq!(rule.host(), Some("v1.echo.192.168.49.5.sslip.io"));
    let path = &rule.http.as_ref().unwrap().paths[0];
    assert_eq!(path.path_type, Some(PathType::Prefix));
    assert_eq!(path.backend.to_string(), "service/echo-v1:3000");
    // Origins name the file and the document.
    assert!(m.ingresses[0].origin.file.ends_with("echo-v1.yaml"));
    assert_eq!(m.ingresses[0].origin.document, 1);
    assert_eq!(m.services[0].origin.document, 3);
}

#[test]
fn kubernetes_api_fixtures_load_without_error_and_round_trip() {
    let m = Manifests::load_paths(&[testdata("k8s-api-testdata")], &LoadOptions::default());
    assert!(m.errors.is_empty(), "{:?}", m.errors);
    assert_eq!(m.ingresses.len(), 1);
    assert_eq!(m.ingress_classes.len(), 1);
    assert_eq!(m.endpoint_slices.len(), 1);
    let ing = &m.ingresses[0].object;
    assert_eq!(ing.metadata.namespace(), "namespaceValue");
    assert_eq!(
        ing.metadata
            .creation_timestamp
            .as_ref()
            .unwrap()
            .unix_seconds(),
        Some(1_199_149_261)
    );
    assert_eq!(
        ing.spec.rules[0].http.as_ref().unwrap().paths[0].path_type,
        Some(PathType::Unknown("pathTypeValue".into()))
    );
    // A negative EndpointSlice port is kept as the API's int32, not rejected.
    assert_eq!(
        m.endpoint_slices[0].object.ports[0].port,
        Some(-591_435_092)
    );
    assert!(!m.endpoint_slices[0].object.endpoints[0].is_ready());

    // Every field we model serialises back to what the fixture says.
    for (file, value) in [
        (
            "networking.k8s.io.v1.Ingress.json",
            serde_json::to_value(ing).unwrap(),
        ),
        (
            "networking.k8s.io.v1.IngressClass.json",
            serde_json::to_value(&m.ingress_classes[0].object).unwrap(),
        ),
        (
            "discovery.k8s.io.v1.EndpointSlice.json",
            serde_json::to_value(&m.endpoint_slices[0].object).unwrap(),
        ),
    ] {
        let original: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(testdata("k8s-api-testdata").join(file)).unwrap(),
        )
        .unwrap();
        assert_subset(&value, &original, file);
    }
}

/// Every leaf of `ours` is present with the same value in `original`.
fn assert_subset(ours: &serde_json::Value, original: &serde_json::Value, at: &str) {
    use serde_json::Value;
    match (ours, original) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                let Some(o) = b.get(k) else {
                    panic!("{at}.{k}: serialised but not in the original");
                };
                assert_subset(v, o, &format!("{at}.{k}"));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{at}: list length");
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                assert_subset(x, y, &format!("{at}[{i}]"));
            }
        }
        (a, b) => assert_eq!(a, b, "{at}"),
    }
}

#[test]
fn json_and_list_wrappers() {
    let json = r#"{"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
         "metadata": {"name": "a", "namespace": "team"},
         "spec": {"defaultBackend": {"service": {"name": "a", "port": {"number": 80}}}}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
         "metadata": {"name": "b"}, "spec": {"rules": [{"host": 7}]}}
    ]}"#;
    let m = Manifests::load_str("list.json", json, &LoadOptions::default());
    assert_eq!(m.ingresses.len(), 1);
    assert_eq!(m.ingresses[0].object.key(), "team/a");
    assert_eq!(m.ingresses[0].origin.item, Some(0));
    assert_eq!(m.skipped.len(), 1);
    assert_eq!(m.errors.len(), 1);
    let e = &m.errors[0];
    assert_eq!(e.origin.item, Some(2));
    assert_eq!(e.field.as_deref(), Some("spec.rules[0].host"));
    assert!(
        e.to_string()
            .starts_with("list.json: document 1, items[2]: spec.rules[0].host: "),
        "{e}"
    );

    let yaml_list = "apiVersion: networking.k8s.io/v1\nkind: IngressList\nitems:\n- apiVersion: networking.k8s.io/v1\n  kind: Ingress\n  metadata: {name: x}\n  spec: {defaultBackend: {service: {name: x, port: {name: http}}}}\n";
    let m = load(yaml_list);
    assert!(m.errors.is_empty(), "{:?}", m.errors);
    assert_eq!(m.ingresses[0].object.key(), "default/x");

    // Several concatenated JSON objects are several documents.
    let m = Manifests::load_str(
        "two.json",
        r#"{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"}} {"apiVersion":"v1","kind":"Secret"}"#,
        &LoadOptions::default(),
    );
    assert_eq!(
        (m.services.len(), m.secrets.len(), m.skipped.len()),
        (1, 1, 0)
    );
}

#[test]
fn a_broken_document_is_reported_and_the_others_still_load() {
    let text = "\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: ok-1}
spec: {defaultBackend: {service: {name: a, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: bad
  spec: [
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: wrong-type
spec:
  rules:
  - http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: a, port: {number: seventy}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: ok-2}
spec: {defaultBackend: {service: {name: b, port: {number: 70000}}}}
";
    let m = load(text);
    let names: Vec<_> = m
        .ingresses
        .iter()
        .map(|i| i.object.metadata.name())
        .collect();
    // Port 70000 loads (it is an int32); validation is what rejects it.
    assert_eq!(names, ["ok-1", "ok-2"]);
    assert_eq!(m.errors.len(), 2, "{:?}", m.errors);

    let syntax = &m.errors[0];
    assert_eq!(syntax.origin.document, 2);
    assert!(
        matches!(syntax.kind, LoadErrorKind::Syntax(_)),
        "{syntax:?}"
    );
    let (line, _) = syntax.position.expect("syntax errors have a position");
    assert!(
        (8..=10).contains(&line),
        "line {line} is inside document 2: {syntax}"
    );

    let typed = &m.errors[1];
    assert_eq!(typed.origin.document, 3);
    assert_eq!(
        typed.field.as_deref(),
        Some("spec.rules[0].http.paths[0].backend.service.port.number")
    );
    assert_eq!(typed.position.map(|p| p.0), Some(21), "{typed}");
    let msg = typed.to_string();
    assert!(
        msg.starts_with("input.yaml: document 3 (line 21, column "),
        "{msg}"
    );
}

#[test]
fn unknown_fields_are_ignored_and_removed_versions_are_converted() {
    let m = load(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: a, futureField: 1}\nspec: {somethingNew: true, defaultBackend: {service: {name: a, port: {number: 1}}}}\n---\napiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: old}\nspec: {backend: {serviceName: b, servicePort: 80}}\n---\napiVersion: networking.k8s.io/v2\nkind: Ingress\nmetadata: {name: future}\n",
    );
    assert!(m.errors.len() == 1, "{:?}", m.errors);
    let msg = m.errors[0].to_string();
    assert!(
        msg.contains("unsupported apiVersion \"networking.k8s.io/v2\""),
        "{msg}"
    );
    assert_eq!(m.ingresses.len(), 2);
    let old = &m.ingresses[1];
    assert_eq!(old.origin.document, 2);
    assert_eq!(old.object.api_version, "networking.k8s.io/v1");
    let backend = old.object.spec.default_backend.as_ref().unwrap();
    let service = backend.service.as_ref().unwrap();
    assert_eq!(service.name, "b");
    assert_eq!(service.port.as_ref().and_then(|p| p.number), Some(80));
    assert_eq!(m.converted.len(), 1);
    assert_eq!(m.converted[0].from, "extensions/v1beta1");
    assert_eq!(m.converted[0].origin, old.origin);
    assert!(
        m.converted[0]
            .message()
            .contains("no longer served since Kubernetes 1.22")
    );
}

#[test]
fn documents_that_are_not_objects() {
    for (text, expect) in [
        ("just a string\n", "not a Kubernetes object"),
        ("- a\n- b\n", "not a Kubernetes object"),
        ("metadata: {name: x}\n", "missing field `kind`"),
    ] {
        let m = load(text);
        assert_eq!(m.errors.len(), 1, "{text:?}");
        let msg = m.errors[0].to_string();
        assert!(msg.contains(expect), "{text:?}: {msg}");
    }
    // Empty input and comment-only input are empty, not errors.
    for text in ["", "\n\n", "# nothing\n---\n---\n"] {
        let m = load(text);
        assert!(m.errors.is_empty() && m.ingresses.is_empty(), "{text:?}");
    }
}

#[test]
fn duplicate_keys_are_an_error() {
    let m = load("apiVersion: v1\nkind: Service\nmetadata: {name: a, name: b}\n");
    assert_eq!(m.errors.len(), 1);
    assert!(
        m.errors[0].to_string().to_lowercase().contains("duplicate"),
        "{}",
        m.errors[0]
    );
}

#[test]
fn alias_bomb_fails_fast_with_an_error() {
    // "Billion laughs": 9 levels of 9 aliases would expand to 387 million strings.
    let mut text =
        String::from("apiVersion: v1\nkind: Service\nmetadata:\n  labels:\n    a0: &a0 \"lol\"\n");
    for i in 1..10 {
        let prev = format!("*a{}", i - 1);
        let list = [prev.as_str(); 9].join(", ");
        text.push_str(&format!("    a{i}: &a{i} [{list}]\n"));
    }
    let started = std::time::Instant::now();
    let m = load(&text);
    assert_eq!(m.errors.len(), 1, "{:?}", m.services);
    assert!(
        started.elapsed().as_secs() < 10,
        "alias bomb took {:?}",
        started.elapsed()
    );
}

#[test]
fn deep_nesting_fails_with_an_error() {
    let depth = 100_000;
    let yaml = format!(
        "apiVersion: v1\nkind: Service\nmetadata: {}{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    assert_eq!(load(&yaml).errors.len(), 1);
    let json = format!(
        "{{\"kind\": \"Service\", \"apiVersion\": \"v1\", \"x\": {}{}}}",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    assert_eq!(
        Manifests::load_str("deep.json", &json, &LoadOptions::default())
            .errors
            .len(),
        1
    );
}

#[test]
fn oversized_input_fails_before_parsing() {
    let options = LoadOptions {
        max_input_bytes: 1024,
        ..LoadOptions::default()
    };
    let big = format!(
        "apiVersion: v1\nkind: Service\nmetadata: {{name: {}}}\n",
        "a".repeat(2000)
    );
    let m = Manifests::load_str("big.yaml", &big, &options);
    assert!(matches!(
        m.errors[0].kind,
        LoadErrorKind::TooLarge { limit: 1024 }
    ));

    // A file larger than the limit is refused from its size alone.
    let dir = std::env::temp_dir().join(format!("ingress-model-big-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("big.yaml");
    std::fs::write(&file, &big).unwrap();
    let m = Manifests::load_paths(&[&file], &options);
    assert!(matches!(m.errors[0].kind, LoadErrorKind::TooLarge { .. }));
    assert!(
        m.errors[0]
            .to_string()
            .starts_with(&file.display().to_string())
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn binary_garbage_and_missing_files_are_errors_naming_the_file() {
    let m = Manifests::load_bytes(
        "garbage.bin",
        &[0xff, 0xfe, 0x00, 0x80, 0x41],
        &LoadOptions::default(),
    );
    assert!(matches!(
        m.errors[0].kind,
        LoadErrorKind::NotUtf8 { offset: 0 }
    ));
    assert!(m.errors[0].to_string().starts_with("garbage.bin: "));

    let m = Manifests::load_paths(
        &[Path::new("/nonexistent/manifest.yaml")],
        &LoadOptions::default(),
    );
    assert_eq!(m.errors.len(), 1);
    assert!(
        m.errors[0]
            .to_string()
            .starts_with("/nonexistent/manifest.yaml: cannot read"),
        "{}",
        m.errors[0]
    );
}

#[test]
fn default_namespace_is_configurable_and_classes_stay_cluster_scoped() {
    let options = LoadOptions {
        default_namespace: "staging".into(),
        ..LoadOptions::default()
    };
    let m = Manifests::load_str(
        "x.yaml",
        "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: nginx}\nspec: {controller: k8s.io/ingress-nginx}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\n",
        &options,
    );
    assert_eq!(m.ingress_classes[0].object.metadata.namespace, None);
    assert_eq!(m.services[0].object.metadata.namespace(), "staging");
}
