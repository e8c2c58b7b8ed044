//! End-to-end tests of the `ingress-route` binary: the seed scenario, every public vector through
//! the JSON contract, the contract field by field, and malformed input.

mod common;

use serde_json::{Value, json};

use common::{Scratch, json_lines, root, run, seed, stderr, stdout};

#[test]
fn seed_scenario_routes_v1_and_v2_by_host() {
    let out = run(
        &[
            "route",
            "-f",
            &seed(),
            "http://v1.echo.192.168.49.5.sslip.io/",
            "http://v2.echo.192.168.49.5.sslip.io/anything?x=1",
            "http://v3.echo.192.168.49.5.sslip.io/",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].contains("-> Service echo-v1 port 3000 (Ingress default/echo-v1"),
        "{text}"
    );
    assert!(
        lines[1].contains("-> Service echo-v2 port 3000 (Ingress default/echo-v2"),
        "{text}"
    );
    assert!(lines[2].ends_with("-> not found (404)"), "{text}");
}

#[test]
fn json_contract_field_by_field() {
    let out = run(
        &[
            "route",
            "-f",
            &seed(),
            "--json",
            "http://v1.echo.192.168.49.5.sslip.io/",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1);
    let v = &lines[0];
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "request", "outcome", "backend", "ingress", "host", "path", "pathType", "tls",
            "redirect", "rewrite", "canary"
        ]
    );
    assert_eq!(
        v["request"],
        json!({"url": "http://v1.echo.192.168.49.5.sslip.io/", "host": "v1.echo.192.168.49.5.sslip.io", "path": "/", "scheme": "http"})
    );
    assert_eq!(v["outcome"], "route");
    assert_eq!(
        v["backend"],
        json!({"service": {"name": "echo-v1", "port": {"number": 3000}}})
    );
    assert_eq!(v["ingress"], "default/echo-v1");
    assert_eq!(v["host"], "v1.echo.192.168.49.5.sslip.io");
    assert_eq!(v["path"], "/");
    assert_eq!(v["pathType"], "Prefix");
    assert_eq!(v["tls"], Value::Null);
    assert_eq!(v["redirect"], Value::Null);
    assert_eq!(v["rewrite"], Value::Null);
}

const TLS_MANIFEST: &str = "\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop, namespace: prod, creationTimestamp: '2024-01-01T00:00:00Z'}
spec:
  tls:
  - hosts: [shop.example.com]
    secretName: shop-tls
  defaultBackend: {service: {name: fallback, port: {name: http}}}
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /cart, pathType: Exact, backend: {service: {name: cart, port: {number: 8080}}}}
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
";

#[test]
fn json_requests_tls_default_backend_and_not_found() {
    let dir = Scratch::new("tls");
    let manifest = dir.file("shop.yaml", TLS_MANIFEST);
    let requests = concat!(
        r#"{"host": "shop.example.com", "path": "/cart?item=1", "scheme": "https"}"#,
        "\n\n",
        r#"{"host": "other.example.com", "path": "/"}"#,
        "\n",
        r#"{"host": null, "path": "/x", "headers": {"x-a": "b"}}"#,
        "\n"
    );
    let out = run(
        &["route", "-f", &manifest, "--json", "--requests", "-"],
        Some(requests),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 3);

    // The request is echoed exactly as given.
    assert_eq!(
        lines[0]["request"],
        json!({"host": "shop.example.com", "path": "/cart?item=1", "scheme": "https"})
    );
    assert_eq!(lines[0]["outcome"], "route");
    assert_eq!(lines[0]["path"], "/cart");
    assert_eq!(lines[0]["pathType"], "Exact");
    assert_eq!(
        lines[0]["backend"],
        json!({"service": {"name": "cart", "port": {"number": 8080}}})
    );
    assert_eq!(lines[0]["tls"], json!({"secretName": "shop-tls"}));
    assert_eq!(lines[0]["ingress"], "prod/shop");

    // Unknown host: the only Ingress's defaultBackend (spec profile: the router's crate docs, section 5).
    assert_eq!(lines[1]["outcome"], "default-backend");
    assert_eq!(
        lines[1]["backend"],
        json!({"service": {"name": "fallback", "port": {"name": "http"}}})
    );
    assert_eq!(lines[1]["ingress"], "prod/shop");
    assert_eq!(
        (&lines[1]["host"], &lines[1]["path"], &lines[1]["pathType"]),
        (&Value::Null, &Value::Null, &Value::Null)
    );
    assert_eq!(lines[1]["tls"], Value::Null, "plain HTTP has no TLS");

    assert_eq!(
        lines[2]["request"],
        json!({"host": null, "path": "/x", "headers": {"x-a": "b"}})
    );
    assert_eq!(lines[2]["outcome"], "default-backend");
}

#[test]
fn explain_names_the_host_group_the_candidates_and_the_losers() {
    let dir = Scratch::new("explain");
    let manifest = dir.file("shop.yaml", TLS_MANIFEST);
    let out = run(
        &[
            "route",
            "-f",
            &manifest,
            "--explain",
            "https://shop.example.com/cart",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("equals the rule host \"shop.example.com\""),
        "{text}"
    );
    assert!(
        text.contains("#1 wins: Exact /cart -> Service cart port 8080"),
        "{text}"
    );
    assert!(
        text.contains("#2 loses: Prefix / -> Service web port 80")
            && text.contains("an Exact path takes precedence"),
        "{text}"
    );
    assert!(text.contains("TLS secret prod/shop-tls"), "{text}");

    let out = run(
        &[
            "route",
            "-f",
            &manifest,
            "--explain",
            "--json",
            "http://elsewhere.example/",
        ],
        None,
    );
    let v = &json_lines(&out)[0];
    assert_eq!(v["explanation"]["hostSelection"], "none");
    assert!(
        v["explanation"]["defaultBackendStep"]
            .as_str()
            .unwrap()
            .contains("default backend of Ingress prod/shop"),
        "{v}"
    );
}

#[test]
fn class_filter_serves_only_the_named_classes() {
    let dir = Scratch::new("class");
    let manifest = dir.file(
        "classes.yaml",
        "\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: a}
spec:
  ingressClassName: nginx
  defaultBackend: {service: {name: a, port: {number: 80}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: b
  annotations: {kubernetes.io/ingress.class: contour}
spec:
  rules:
  - host: b.example
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: b, port: {number: 80}}}}
",
    );
    let ask = |class: &str| {
        let out = run(
            &[
                "route",
                "-f",
                &manifest,
                "--json",
                "--class",
                class,
                "http://b.example/",
            ],
            None,
        );
        assert!(out.status.success(), "{}", stderr(&out));
        json_lines(&out).remove(0)
    };
    assert_eq!(ask("contour")["ingress"], "default/b");
    // With class nginx, b (contour) is not served: a's defaultBackend answers.
    assert_eq!(ask("nginx")["ingress"], "default/a");
    assert_eq!(ask("nginx")["outcome"], "default-backend");
    assert_eq!(ask("traefik")["outcome"], "not-found");
}

// === the public vectors through the binary ===

/// The router's reader of the vector format (appendix B), shared so both tests read the rows
/// the same way.
#[path = "../../ingress-router/tests/support/mod.rs"]
mod support;

/// A `match` row of testdata/vectors.tsv turned into manifests and one request.
struct Vector {
    line: usize,
    manifests: Vec<Value>,
    request: Value,
    /// Expected backend label (`b-<label>` Service name or `resource:G/K/N`), `None` for 404.
    expect: Option<String>,
}

/// The label of a backend in the JSON output, as `support::vectors::service` names them.
fn backend_label(backend: &Value) -> String {
    if let Some(s) = backend.get("service") {
        return s["name"].as_str().unwrap().to_owned();
    }
    let r = &backend["resource"];
    format!(
        "resource:{}/{}/{}",
        r["apiGroup"].as_str().unwrap_or(""),
        r["kind"].as_str().unwrap(),
        r["name"].as_str().unwrap()
    )
}

fn vectors() -> Vec<Vector> {
    let text = std::fs::read_to_string(root().join("testdata/vectors.tsv")).unwrap();
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() != 6 || cols[1] != "match" {
            continue;
        }
        let manifests = support::vectors::ingresses(cols[2])
            .iter()
            .map(|ing| serde_json::to_value(ing).unwrap())
            .collect();
        let mut request = json!({"host": null, "path": "/"});
        for token in cols[3].split_whitespace() {
            match token.split_once('=') {
                Some(("host", "")) => request["host"] = Value::Null,
                Some(("host", h)) => request["host"] = json!(h),
                Some(("path", p)) => request["path"] = json!(p),
                Some(("scheme", s)) => request["scheme"] = json!(s),
                Some(("sni", s)) => request["sni"] = json!(s),
                _ => panic!("line {}: input token {token:?} not understood", i + 1),
            }
        }
        let first = cols[4].split_whitespace().next().unwrap();
        let expect = (first != "404").then(|| support::vectors::service(first));
        out.push(Vector {
            line: i + 1,
            manifests,
            request,
            expect,
        });
    }
    out
}

#[test]
fn every_public_match_vector_through_the_json_contract() {
    let vectors = vectors();
    assert!(vectors.len() >= 59, "only {} match rows", vectors.len());
    let dir = Scratch::new("vectors");
    let mut failures = Vec::new();
    for v in &vectors {
        // One JSON List per row: exercises the List loader too.
        let manifest = dir.file(
            &format!("row-{}.json", v.line),
            json!({"apiVersion": "v1", "kind": "List", "items": v.manifests}).to_string(),
        );
        let out = run(
            &["route", "-f", &manifest, "--json", "--requests", "-"],
            Some(&format!("{}\n", v.request)),
        );
        if !out.status.success() {
            failures.push(format!(
                "line {}: exit {:?}: {}",
                v.line,
                out.status,
                stderr(&out)
            ));
            continue;
        }
        let got = &json_lines(&out)[0];
        assert_eq!(got["request"], v.request, "line {}", v.line);
        let actual = match got["outcome"].as_str().unwrap() {
            "route" | "default-backend" => Some(backend_label(&got["backend"])),
            "not-found" => None,
            other => panic!("line {}: outcome {other}", v.line),
        };
        if actual != v.expect {
            failures.push(format!(
                "line {}: expected {:?}, got {:?}: {got}",
                v.line, v.expect, actual
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_public_validate_vector_with_a_field_is_reported_by_lint() {
    // The validate rows are free text; their concrete objects live in
    // testdata/validate-cases.yaml (used by ingress-model's tests). Here: one invalid object per
    // kind of error, through the binary, to check lint reports validation in the API server's
    // field paths and words.
    let dir = Scratch::new("lint-vectors");
    let manifest = dir.file(
        "bad.yaml",
        "\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: bad}
spec:
  rules:
  - host: 127.0.0.1
    http:
      paths:
      - {path: /foo//bar, pathType: Exact, backend: {service: {name: svc, port: {number: 80}}}}
      - {path: /x, pathType: foo, backend: {service: {name: svc, port: {number: 80}}}}
      - {path: /y, pathType: Prefix, backend: {service: {name: svc, port: {name: http, number: 80}}}}
",
    );
    let out = run(&["lint", "-f", &manifest, "--json"], None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let findings = json_lines(&out);
    let errors: Vec<(String, String)> = findings
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| {
            (
                f["field"].as_str().unwrap().to_owned(),
                f["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let has =
        |field: &str, words: &str| errors.iter().any(|(f, m)| f == field && m.contains(words));
    assert!(
        has(
            "spec.rules[0].host",
            "must be a DNS name, not an IP address"
        ),
        "{errors:?}"
    );
    assert!(
        has("spec.rules[0].http.paths[0].path", "must not contain '//'"),
        "{errors:?}"
    );
    assert!(
        has(
            "spec.rules[0].http.paths[1].pathType",
            "Unsupported value: \"foo\": supported values: \"Exact\", \"ImplementationSpecific\", \"Prefix\""
        ),
        "{errors:?}"
    );
    assert!(
        has(
            "spec.rules[0].http.paths[2].backend",
            "cannot set both port name & port number"
        ),
        "{errors:?}"
    );
    for f in &findings {
        assert_eq!(f["object"], "Ingress default/bad");
        assert_eq!(f["file"], manifest.as_str());
    }
}

#[test]
fn lint_warns_about_missing_services_ports_duplicates_and_tls_hosts() {
    let dir = Scratch::new("lint");
    let manifest = dir.file(
        "app.yaml",
        "\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ports: [{name: http, port: 80}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: old, creationTimestamp: '2020-01-01T00:00:00Z'}
spec:
  tls: [{hosts: [nowhere.example.com], secretName: s}]
  rules:
  - host: app.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {name: https}}}}
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: new, creationTimestamp: '2021-01-01T00:00:00Z'}
spec:
  rules:
  - host: app.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
",
    );
    let out = run(&["lint", "-f", &manifest, "--json"], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "warnings only: {}",
        stderr(&out)
    );
    let findings = json_lines(&out);
    assert!(
        findings.iter().all(|f| f["severity"] == "warning"),
        "{findings:?}"
    );
    let find = |object: &str, field: &str| {
        findings
            .iter()
            .find(|f| f["object"] == object && f["field"] == field)
            .map(|f| f["message"].as_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("no finding for {object} {field}: {findings:#?}"))
    };
    assert!(
        find(
            "Ingress default/old",
            "spec.rules[0].http.paths[0].backend.service.port.name"
        )
        .contains("no port named \"https\"")
    );
    assert!(
        find(
            "Ingress default/old",
            "spec.rules[0].http.paths[1].backend.service.name"
        )
        .contains("Service \"api\" is not among the given manifests")
    );
    assert!(find("Ingress default/old", "spec.tls[0].hosts[0]").contains("nowhere.example.com"));
    let dup = find("Ingress default/new", "spec.rules[0].http.paths[0]");
    assert!(dup.contains("default/old"), "names the winner: {dup}");

    // Human output: one line per finding, severity first.
    let out = run(&["lint", "-f", &manifest], None);
    let text = stdout(&out);
    assert!(text.lines().all(|l| l.starts_with("warning: ")), "{text}");
    assert!(
        stderr(&out).contains("0 error(s), 4 warning(s)"),
        "{}",
        stderr(&out)
    );
}

// === malformed input ===

fn assert_input_error(args: &[&str], expect_in_stderr: &[&str]) {
    let out = run(args, None);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(
        stdout(&out).is_empty(),
        "{args:?}: stdout carries only results"
    );
    assert!(!err.contains("panicked"), "{err}");
    for e in expect_in_stderr {
        assert!(err.contains(e), "{args:?}: {e:?} not in: {err}");
    }
}

#[test]
fn malformed_input_is_a_clear_error_with_exit_status_2() {
    let dir = Scratch::new("malformed");
    let bad_yaml = dir.file(
        "bad.yaml",
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: ok}\nspec: {defaultBackend: {service: {name: a, port: {number: 1}}}}\n---\nkind: Ingress\napiVersion: networking.k8s.io/v1\nmetadata: [unclosed\n",
    );
    let wrong_type = dir.file(
        "types.yaml",
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: t}\nspec:\n  rules:\n  - http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend: {service: {name: a, port: {number: eighty}}}\n",
    );
    let empty = dir.file("empty.yaml", "");
    let garbage = dir.file("garbage.yaml", [0u8, 159, 146, 150, 255, 0, 1, 2]);
    let empty_dir = dir.0.join("nothing-here");
    std::fs::create_dir_all(&empty_dir).unwrap();
    let empty_dir = empty_dir.display().to_string();
    for cmd in ["route", "lint"] {
        let url = "http://x/";
        let with_url = |f: &str| -> Vec<String> {
            let mut v = vec![cmd.to_owned(), "-f".to_owned(), f.to_owned()];
            if cmd == "route" {
                v.push(url.to_owned());
            }
            v
        };
        let args = with_url(&bad_yaml);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_input_error(&args, &[&format!("{bad_yaml}: document 2 (line 8, column")]);

        let args = with_url(&wrong_type);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_input_error(
            &args,
            &[
                &wrong_type,
                "document 1",
                "spec.rules[0].http.paths[0].backend.service.port.number",
            ],
        );

        for (file, words) in [
            (&empty, "no Kubernetes objects found"),
            (&empty_dir, "no Kubernetes objects found"),
            (&garbage, "not UTF-8"),
            (&format!("{empty_dir}/missing.yaml"), "cannot read"),
        ] {
            let args = with_url(file);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            assert_input_error(&args, &[file, words]);
        }
    }

    // An unknown pathType is not a parse error: route skips that path and says so; lint
    // reports it as a validation error (exit 1).
    let unknown = dir.file(
        "unknown.yaml",
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: u}\nspec:\n  rules:\n  - http:\n      paths:\n      - {path: /a, pathType: Glob, backend: {service: {name: a, port: {number: 80}}}}\n      - {path: /b, pathType: Prefix, backend: {service: {name: b, port: {number: 80}}}}\n",
    );
    let out = run(
        &[
            "route",
            "-f",
            &unknown,
            "--json",
            "http://x/a",
            "http://x/b",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let lines = json_lines(&out);
    assert_eq!(lines[0]["outcome"], "not-found");
    assert_eq!(lines[1]["backend"]["service"]["name"], "b");
    assert!(
        stderr(&out).contains("spec.rules[0].http.paths[0].pathType: Unsupported value: \"Glob\""),
        "{}",
        stderr(&out)
    );
    let out = run(&["lint", "-f", &unknown], None);
    assert_eq!(out.status.code(), Some(1));

    // Bad requests and bad command lines.
    assert_input_error(&["route", "-f", &seed(), "ftp://x/"], &["scheme \"ftp\""]);
    assert_input_error(&["route", "-f", &seed()], &["no requests"]);
    let reqs = dir.file(
        "reqs.jsonl",
        "{\"host\": \"a\", \"path\": \"/\"}\n{\"host\": 1}\n",
    );
    assert_input_error(
        &["route", "-f", &seed(), "--requests", &reqs],
        &[&format!("{reqs}: line 2")],
    );
    assert_input_error(
        &["route", "-f", &seed(), "--profile", "nginx", "http://x/"],
        &["nginx"],
    );
    assert_input_error(&["lint"], &["--filename"]);
}

#[test]
fn help_has_examples_for_each_command() {
    for cmd in ["route", "lint"] {
        let out = run(&[cmd, "--help"], None);
        assert!(out.status.success());
        let text = stdout(&out);
        assert!(text.contains("Examples:"), "{cmd}: {text}");
        assert!(
            text.contains(&format!("ingress-route {cmd} -f")),
            "{cmd}: {text}"
        );
    }
}

fn surprises() -> String {
    root()
        .join("examples/manifests/ingress-nginx-surprises.yaml")
        .display()
        .to_string()
}

/// `diff` on a manifest set built to hold each known ingress-nginx surprise reports each one:
/// the request, both answers and the reason.
#[test]
fn diff_reports_each_ingress_nginx_surprise() {
    let out = run(&["diff", "-f", &surprises(), "--json"], None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let lines = json_lines(&out);
    let find = |host: &str, path: &str, scheme: &str, header: Option<&str>| {
        lines
            .iter()
            .find(|d| {
                let r = &d["request"];
                r["host"] == host
                    && r["path"] == path
                    && r["scheme"] == scheme
                    && header.is_none_or(|h| r["headers"].get(h).is_some())
            })
            .unwrap_or_else(|| panic!("no difference for {scheme}://{host}{path}: {lines:#?}"))
    };
    let backend = |side: &Value| side["backend"]["service"]["name"].clone();

    // 1. Regex contagion: Prefix /docs matches /DOCS and /docsx once the host is in regex mode.
    for path in ["/DOCS", "/docsx"] {
        let d = find("regex.example.com", path, "http", None);
        assert_eq!(backend(&d["from"]), "docs");
        assert_eq!(d["to"]["outcome"], "not-found");
        assert!(d["reason"].as_str().unwrap().contains("regex mode"), "{d}");
    }
    // 2. The trailing slash: ingress-nginx answers 301.
    let d = find("slash.example.com", "/guide", "http", None);
    assert_eq!(d["from"]["redirect"]["status"], 301);
    assert_eq!(
        d["from"]["redirect"]["location"],
        "http://slash.example.com/guide/"
    );
    assert_eq!(backend(&d["to"]), "guide");
    assert!(d["reason"].as_str().unwrap().contains("trailing slash"));
    // 3. defaultBackend scoping: an unknown host gets 404 from ingress-nginx.
    let d = find("unlisted.example", "/", "http", None);
    assert_eq!(d["from"]["outcome"], "not-found");
    assert_eq!(backend(&d["to"]), "shop-fallback");
    assert!(d["reason"].as_str().unwrap().contains("defaultBackend"));
    // 4. The canary takes requests with its header.
    let d = find("checkout.example.com", "/", "http", Some("X-Canary"));
    assert_eq!(d["request"]["headers"]["X-Canary"], "always");
    assert_eq!(backend(&d["from"]), "checkout-next");
    assert_eq!(d["from"]["canary"]["taken"], true);
    assert_eq!(backend(&d["to"]), "checkout");
    assert!(d["reason"].as_str().unwrap().contains("canary"));
    // 5. The tie-break at an equal creationTimestamp.
    let d = find("blog.example.com", "/", "http", None);
    assert_eq!(
        (backend(&d["from"]), backend(&d["to"])),
        (json!("blog-b"), json!("blog-a"))
    );
    assert!(d["reason"].as_str().unwrap().contains("namespace/name"));
    // 6. rewrite-target.
    let d = find("rewrite.example.com", "/app/more", "http", None);
    assert_eq!(d["from"]["rewrite"], "/more");
    assert!(d["reason"].as_str().unwrap().contains("rewrite"));
    // 7. The HTTPS redirect of a host with TLS.
    let d = find("portal.example.com", "/more", "http", None);
    assert_eq!(d["from"]["redirect"]["status"], 308);
    assert_eq!(
        d["from"]["redirect"]["location"],
        "https://portal.example.com/more"
    );
    assert!(d["reason"].as_str().unwrap().contains("HTTPS"));
    // 8. app-root.
    let d = find("portal.example.com", "/", "https", None);
    assert_eq!(d["from"]["redirect"]["status"], 302);
    assert!(d["reason"].as_str().unwrap().contains("app-root"));

    // The text report groups the same by Ingress, with both answers.
    let out = run(&["diff", "-f", &surprises()], None);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("Ingress web/guide\n"), "{text}");
    assert!(
        text.contains("      ingress-nginx: 301 to http://slash.example.com/guide/\n"),
        "{text}"
    );
    assert!(text.contains(" generated requests differ between ingress-nginx and spec"));
}

/// `diff --to-file`: a rewritten set against the original, under one profile.
#[test]
fn diff_compares_two_manifest_sets() {
    let dir = Scratch::new("diff-sets");
    // The same set: nothing differs, exit 0.
    let out = run(
        &[
            "diff",
            "-f",
            &surprises(),
            "--to",
            "ingress-nginx",
            "--to-file",
            &surprises(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    // A migration that drops the trailing slash of /guide/: /guide is served, not redirected.
    let original = std::fs::read_to_string(surprises()).unwrap();
    let rewritten = dir.file(
        "rewritten.yaml",
        original.replace("{path: /guide/,", "{path: /guide,"),
    );
    let out = run(
        &[
            "diff",
            "-f",
            &surprises(),
            "--to",
            "ingress-nginx",
            "--to-file",
            &rewritten,
            "--json",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let lines = json_lines(&out);
    assert!(
        lines.iter().all(|d| d["ingress"] == "web/guide"),
        "{lines:#?}"
    );
    let d = lines
        .iter()
        .find(|d| d["request"]["path"] == "/guide" && d["request"]["scheme"] == "http")
        .expect("/guide differs");
    assert_eq!(d["from"]["outcome"], "redirect");
    assert_eq!(d["to"]["outcome"], "route");
}

/// `lint --profile ingress-nginx`: what ingress-nginx refuses (its admission webhook's strict
/// path and overlap checks, Critical annotations, locations nginx refuses) are errors, values
/// it ignores warnings; the spec profile sees none of it.
#[test]
fn lint_with_the_ingress_nginx_profile() {
    let dir = Scratch::new("lint-nginx");
    let ingress = |name: &str, created: &str, annotations: &str, host: &str, paths: &str| {
        format!(
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\n  \
             namespace: default\n  creationTimestamp: '{created}'\n  annotations: {{{annotations}}}\n\
             spec:\n  rules:\n  - host: {host}\n    http:\n      paths: [{paths}]\n"
        )
    };
    let path = |p: &str, t: &str, svc: &str| {
        format!(
            "{{path: '{p}', pathType: {t}, backend: {{service: {{name: {svc}, port: {{number: 80}}}}}}}}"
        )
    };
    let prefix = "nginx.ingress.kubernetes.io";
    let file = dir.file(
        "nginx.yaml",
        [
            ingress(
                "a",
                "2024-01-01T00:00:00Z",
                &format!("{prefix}/ssl-redirect: maybe"),
                "foo.com",
                &[
                    path("/foo", "Prefix", "foo"),
                    path("/id/[0-9]+", "Prefix", "id"),
                ]
                .join(", "),
            ),
            ingress(
                "b",
                "2024-01-02T00:00:00Z",
                "",
                "foo.com",
                &[
                    path("/foo/", "Exact", "foo2"),
                    path("/bar", "Prefix", "bar"),
                    path("/bar/", "Prefix", "bar"),
                ]
                .join(", "),
            ),
            ingress(
                "c",
                "2024-01-03T00:00:00Z",
                &format!("{prefix}/server-snippet: 'return 200;'"),
                "c.com",
                &path("/", "Prefix", "c"),
            ),
            ingress(
                "d",
                "2024-01-04T00:00:00Z",
                "",
                "d.com",
                &path("/id/[0-9]+", "ImplementationSpecific", "d"),
            ),
        ]
        .join("---\n"),
    );
    let out = run(
        &["lint", "-f", &file, "--json", "--profile", "ingress-nginx"],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let findings: Vec<(String, String, String, String)> = json_lines(&out)
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_owned();
            (s("severity"), s("rule"), s("object"), s("field"))
        })
        .collect();
    let has = |severity: &str, rule: &str, object: &str, field: &str| {
        assert!(
            findings.contains(&(severity.into(), rule.into(), object.into(), field.into())),
            "no {severity} {rule} on {object} {field}: {findings:#?}"
        );
    };
    has(
        "error",
        "nginx-invalid-path",
        "Ingress default/a",
        "spec.rules[0].http.paths[1].path",
    );
    has(
        "error",
        "nginx-overlap",
        "Ingress default/b",
        "spec.rules[0].http.paths[0].path",
    );
    has(
        "error",
        "duplicate-location",
        "Ingress default/b",
        "spec.rules[0].http.paths[1]",
    );
    has("error", "nginx-refused", "Ingress default/c", "");
    has(
        "warning",
        "annotation-ignored",
        "Ingress default/a",
        "metadata.annotations[nginx.ingress.kubernetes.io/ssl-redirect]",
    );
    // ImplementationSpecific paths are exempt from the strict check.
    assert!(
        !findings.iter().any(|f| f.2 == "Ingress default/d"),
        "{findings:#?}"
    );
    // The spec profile: valid Ingresses; only the table's own warning.
    let out = run(&["lint", "-f", &file, "--json"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        json_lines(&out).iter().all(
            |f| f["severity"] == "warning" && !f["rule"].as_str().unwrap().starts_with("nginx")
        ),
        "{}",
        stdout(&out)
    );
}
