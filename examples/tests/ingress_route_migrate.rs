//! End-to-end tests of the parts of `ingress-route` that old manifests and CI pipelines use:
//! the removed beta versions (routed with a warning, a lint error, `convert`), and the SARIF
//! and JUnit reports of `lint`.

mod common;

use serde_json::Value;

use common::{Scratch, json_lines, run, stderr, stdout};

/// A beta Ingress in each removed version, a beta IngressClass, and a Service kept as written.
const BETA: &str = "\
# the shop, as written in 2019
apiVersion: extensions/v1beta1
kind: Ingress
metadata:
  name: shop
  annotations: {kubernetes.io/ingress.class: nginx}   # the old class annotation
spec:
  backend: {serviceName: web, servicePort: 80}
  rules:
  - host: shop.example.com
    http:
      paths:
      - path: /api
        backend: {serviceName: api, servicePort: http}
      - path: /static
        pathType: Prefix
        backend: {serviceName: web, servicePort: 80}
---
apiVersion: networking.k8s.io/v1beta1
kind: Ingress
metadata: {name: blog}
spec:
  rules:
  - host: blog.example.com
    http:
      paths:
      - backend: {serviceName: blog, servicePort: 8080}
---
apiVersion: networking.k8s.io/v1beta1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: k8s.io/ingress-nginx}
---
apiVersion: v1
kind: Service
metadata: {name: web}   # kept byte for byte
spec: {ports: [{name: http, port: 80}]}
";

/// The v1 twin of [`BETA`], as the API server converted it.
const TWIN: &str = "\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
  annotations: {kubernetes.io/ingress.class: nginx}
spec:
  defaultBackend: {service: {name: web, port: {number: 80}}}
  rules:
  - host: shop.example.com
    http:
      paths:
      - path: /api
        pathType: ImplementationSpecific
        backend: {service: {name: api, port: {name: http}}}
      - path: /static
        pathType: Prefix
        backend: {service: {name: web, port: {number: 80}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: blog}
spec:
  rules:
  - host: blog.example.com
    http:
      paths:
      - pathType: ImplementationSpecific
        backend: {service: {name: blog, port: {number: 8080}}}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: k8s.io/ingress-nginx}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{name: http, port: 80}]}
";

/// Requests that tell the rules apart: each path, a default backend, a sibling, another host.
const URLS: [&str; 7] = [
    "http://shop.example.com/api/cart",
    "http://shop.example.com/apiary",
    "http://shop.example.com/static/app.js",
    "http://shop.example.com/staticky",
    "http://shop.example.com/",
    "http://blog.example.com/2019/post",
    "http://other.example.com/",
];

fn route_json(file: &str) -> Vec<Value> {
    let mut args = vec!["route", "-f", file, "--json"];
    args.extend(URLS);
    let out = run(&args, None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    json_lines(&out)
}

#[test]
fn beta_manifests_route_as_their_v1_twin_with_a_warning_and_fail_lint() {
    let dir = Scratch::new("beta-route");
    let beta = dir.file("beta.yaml", BETA);
    let twin = dir.file("twin.yaml", TWIN);
    let routed = route_json(&beta);
    assert_eq!(routed, route_json(&twin));
    // The twin is not a vacuous match: the requests reach the three Services (the default
    // backend takes what no rule matches, the other host included).
    let backends: std::collections::BTreeSet<String> =
        routed.iter().map(|r| r["backend"].to_string()).collect();
    assert_eq!(backends.len(), 3, "{routed:#?}");
    assert_eq!(routed[6]["outcome"], "default-backend");

    let out = run(&["route", "-f", &beta, URLS[0]], None);
    let err = stderr(&out);
    assert_eq!(
        err.matches("is no longer served since Kubernetes 1.22")
            .count(),
        3,
        "{err}"
    );
    assert!(
        err.contains("beta.yaml: document 1: extensions/v1beta1 Ingress"),
        "{err}"
    );

    let out = run(&["lint", "-f", &beta, "--json"], None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let removed: Vec<(String, String)> = json_lines(&out)
        .into_iter()
        .filter(|f| f["rule"] == "removed-api-version")
        .map(|f| {
            assert_eq!(f["severity"], "error");
            assert_eq!(f["field"], "apiVersion");
            assert!(
                f["message"]
                    .as_str()
                    .unwrap()
                    .contains("convert it with `ingress-route convert`")
            );
            (
                f["object"].as_str().unwrap().to_owned(),
                f["line"].to_string(),
            )
        })
        .collect();
    assert_eq!(
        removed,
        [
            ("Ingress default/shop".to_owned(), "1".to_owned()),
            ("Ingress default/blog".to_owned(), "19".to_owned()),
            ("IngressClass nginx".to_owned(), "29".to_owned()),
        ]
    );
    let twin_lint = run(&["lint", "-f", &twin, "--json"], None);
    assert!(
        json_lines(&twin_lint)
            .iter()
            .all(|f| f["rule"] != "removed-api-version")
    );
}

#[test]
fn convert_writes_v1_that_loads_routes_the_same_and_lints_clean() {
    let dir = Scratch::new("beta-convert");
    std::fs::create_dir_all(dir.0.join("in/apps")).unwrap();
    let beta = dir.file("in/apps/beta.yaml", BETA);
    let v1 = dir.file("in/v1.yaml", TWIN.split("---\n").next().unwrap());
    let input = dir.0.join("in").display().to_string();
    let output = dir.0.join("out").display().to_string();

    let out = run(&["convert", "-f", &input, "-o", &output], None);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(stdout(&out).is_empty());
    assert!(
        err.contains("3 object(s) converted in 1 of 2 file(s)"),
        "{err}"
    );
    assert!(
        err.contains(
            "document 1 (line 1): extensions/v1beta1 Ingress default/shop -> networking.k8s.io/v1"
        ),
        "{err}"
    );
    assert!(
        err.contains("document 1: its comments are not kept"),
        "{err}"
    );

    // The directory's shape is kept; files without beta objects are copied as they were.
    let converted_path = dir.0.join("out/apps/beta.yaml");
    let converted = std::fs::read_to_string(&converted_path).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.0.join("out/v1.yaml")).unwrap(),
        std::fs::read_to_string(&v1).unwrap()
    );
    assert!(!converted.contains("v1beta1"), "{converted}");
    assert!(
        converted.starts_with("# the shop, as written in 2019\napiVersion: networking.k8s.io/v1\n"),
        "{converted}"
    );
    assert!(
        converted.ends_with(
            "---\napiVersion: v1\nkind: Service\nmetadata: {name: web}   # kept byte for byte\nspec: {ports: [{name: http, port: 80}]}\n"
        ),
        "{converted}"
    );

    let converted_file = converted_path.display().to_string();
    assert_eq!(route_json(&converted_file), route_json(&beta));
    let out = run(&["lint", "-f", &converted_file, "--json"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        json_lines(&out)
            .iter()
            .all(|f| f["severity"] == "warning" && f["rule"] != "removed-api-version"),
        "{}",
        stdout(&out)
    );
    // Converting again changes nothing.
    let again = run(&["convert", "-f", &converted_file], None);
    assert_eq!(stdout(&again), converted);
    assert!(
        stderr(&again).contains("0 object(s) converted in 0 of 1 file(s)"),
        "{}",
        stderr(&again)
    );

    // Without -o: stdout, and a broken input writes nothing.
    let out = run(&["convert", "-f", &beta], None);
    assert_eq!(stdout(&out), converted);
    let broken = dir.file(
        "broken.yaml",
        "apiVersion: extensions/v1beta1\nkind: Ingress\nspec: [\n",
    );
    let out = run(&["convert", "-f", &beta, "-f", &broken], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).is_empty());
    assert!(
        stderr(&out).contains("broken.yaml: document 1"),
        "{}",
        stderr(&out)
    );
}

/// Manifests with an error, warnings, and a clean object, in two files.
fn lint_fixture(dir: &Scratch) -> (String, String) {
    let bad = dir.file(
        "with space/bad.yaml",
        "\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: broken}
spec:
  rules:
  - host: \"Bad_Host\"
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
---
apiVersion: extensions/v1beta1
kind: Ingress
metadata: {name: old}
spec: {backend: {serviceName: web, servicePort: 80}}
",
    );
    let good = dir.file(
        "good.yaml",
        "\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: fine, annotations: {kubernetes.io/ingress.class: nginx}}
spec:
  defaultBackend: {service: {name: web, port: {number: 80}}}
",
    );
    (bad, good)
}

#[test]
fn sarif_output_has_what_sarif_2_1_0_requires() {
    let dir = Scratch::new("sarif");
    std::fs::create_dir_all(dir.0.join("with space")).unwrap();
    let (bad, good) = lint_fixture(&dir);
    let out = run(
        &["lint", "-f", &bad, "-f", &good, "--format", "sarif"],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let log: Value = serde_json::from_str(&stdout(&out)).expect("one JSON document");
    assert_eq!(log["version"], "2.1.0");
    assert!(log["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let runs = log["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let driver = &runs[0]["tool"]["driver"];
    assert_eq!(driver["name"], "ingress-route");
    let rule_ids: Vec<&str> = driver["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let results = runs[0]["results"].as_array().unwrap();
    assert!(results.len() >= 3, "{results:#?}");
    for r in results {
        let rule = r["ruleId"].as_str().expect("ruleId");
        let index = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rule_ids[index], rule);
        assert!(matches!(r["level"].as_str(), Some("error" | "warning")));
        assert!(!r["message"]["text"].as_str().unwrap().is_empty());
        let location = &r["locations"][0]["physicalLocation"];
        let uri = location["artifactLocation"]["uri"].as_str().unwrap();
        assert!(!uri.contains(' '), "a URI: {uri}");
        assert!(location["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(location["region"]["startColumn"].as_u64().unwrap() >= 1);
    }
    let find = |rule: &str| {
        results
            .iter()
            .find(|r| r["ruleId"] == rule)
            .unwrap_or_else(|| panic!("no {rule}: {results:#?}"))
    };
    let invalid = find("invalid");
    assert_eq!(invalid["level"], "error");
    assert!(
        invalid["message"]["text"]
            .as_str()
            .unwrap()
            .contains("spec.rules[0].host")
    );
    let location = &invalid["locations"][0]["physicalLocation"];
    assert!(
        location["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("with%20space/bad.yaml")
    );
    assert_eq!(location["region"]["startLine"], 1);
    // The beta Ingress is the second document, on line 11.
    let removed = find("removed-api-version");
    assert_eq!(
        removed["locations"][0]["physicalLocation"]["region"]["startLine"],
        11
    );
}

#[test]
fn reports_carry_unreadable_documents_with_the_parsers_position_and_exit_2() {
    let dir = Scratch::new("sarif-unreadable");
    let broken = dir.file(
        "broken.yaml",
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: a}\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: b}\nspec:\n  rules:\n  - host: x\n    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: s, port: {number: \"eighty\"}}}}]}\n",
    );
    let out = run(&["lint", "-f", &broken, "--format", "sarif"], None);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("broken.yaml: document 2"),
        "{}",
        stderr(&out)
    );
    let log: Value = serde_json::from_str(&stdout(&out)).expect("a SARIF log");
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{results:#?}");
    assert_eq!(results[0]["ruleId"], "unreadable");
    assert_eq!(results[0]["level"], "error");
    assert_eq!(
        results[0]["properties"]["field"],
        "spec.rules[0].http.paths[0].backend.service.port.number"
    );
    let region = &results[0]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        region["startLine"], 11,
        "the line of the bad value: {region}"
    );
    assert!(region["startColumn"].as_u64().unwrap() > 1, "{region}");

    let out = run(&["lint", "-f", &broken, "--format", "junit"], None);
    assert_eq!(out.status.code(), Some(2));
    let xml = stdout(&out);
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
    let failure = doc
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .expect("the unreadable document fails");
    assert_eq!(failure.attribute("type"), Some("unreadable"));
    // Text and JSON keep their contract: nothing on stdout when the input is bad.
    let out = run(&["lint", "-f", &broken, "--json"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).is_empty());
}

#[test]
fn junit_output_is_xml_a_parser_reads_with_a_case_per_object() {
    let dir = Scratch::new("junit");
    std::fs::create_dir_all(dir.0.join("with space")).unwrap();
    let (bad, good) = lint_fixture(&dir);
    let out = run(
        &["lint", "-f", &bad, "-f", &good, "--format", "junit"],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let xml = stdout(&out);
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(root.attribute("tests"), Some("3"));
    assert_eq!(root.attribute("failures"), Some("2"));
    let suites: Vec<_> = root.children().filter(|n| n.is_element()).collect();
    assert_eq!(suites.len(), 2);
    let cases: Vec<(String, usize, bool)> = suites
        .iter()
        .flat_map(|s| s.children().filter(|n| n.has_tag_name("testcase")))
        .map(|c| {
            let failures = c.children().filter(|n| n.has_tag_name("failure")).count();
            let out = c.children().any(|n| n.has_tag_name("system-out"));
            (c.attribute("name").unwrap().to_owned(), failures, out)
        })
        .collect();
    assert_eq!(
        cases,
        [
            ("Ingress default/fine".to_owned(), 0, true),
            ("Ingress default/broken".to_owned(), 1, false),
            ("Ingress default/old".to_owned(), 1, false),
        ]
    );
    // Quotes in messages and attributes are escaped, not broken XML.
    let fine_out = doc
        .descendants()
        .find(|n| n.has_tag_name("system-out"))
        .and_then(|n| n.text())
        .unwrap();
    assert!(
        fine_out.contains("annotation \"kubernetes.io/ingress.class\" is deprecated"),
        "{fine_out}"
    );
    let failure = doc
        .descendants()
        .find(|n| n.has_tag_name("failure") && n.attribute("type") == Some("invalid"))
        .unwrap();
    assert!(
        failure
            .attribute("message")
            .unwrap()
            .contains("\"Bad_Host\""),
        "{xml}"
    );

    // --json stays the alias of --format json.
    let json = run(&["lint", "-f", &bad, "--json"], None);
    let format = run(&["lint", "-f", &bad, "--format", "json"], None);
    assert_eq!(stdout(&json), stdout(&format));
    assert!(!json_lines(&json).is_empty());
}
