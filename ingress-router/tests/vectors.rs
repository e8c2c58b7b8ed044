//! The `match` rows of the public vectors (`testdata/vectors.tsv`, format: appendix B of the
//! semantics reference) and the router's own rows (`testdata/router-vectors/*.tsv`, same format
//! plus a few input tokens for configuration and SNI), run as data.
//!
//! Rows of confidence `nginx-specific` (`testdata/router-vectors/nginx.tsv`) run under the
//! ingress-nginx profile, with the inputs it reads (`scheme=`, `hdr:Name=Value`,
//! `cookie:name=value`, `draw=`) and what it answers (`301 Location=...`, `A upstream=/new`).
//!
//! Set `ROUTER_TEST=<substring>` to run only the rows whose line contains it.

use std::fmt::Write as _;

use ingress_router::nginx::Headers;
use ingress_router::{
    ClassFilter, Config, Decision, DefaultBackendPolicy, ImplementationSpecific, PathNormalization,
    RequestView, RouteTable, Scheme,
};

use crate::support::backend_name;
use crate::support::vectors::{ingresses, owner, service};

const PUBLIC: &str = include_str!("../../testdata/vectors.tsv");
const ROUTER: &str = include_str!("../../testdata/router-vectors/router.tsv");
const NGINX: &str = include_str!("../../testdata/router-vectors/nginx.tsv");

/// One `match` row, parsed.
struct Row<'a> {
    file: &'static str,
    line: usize,
    text: &'a str,
    rules: &'a str,
    input: &'a str,
    expected: &'a str,
}

fn rows(file: &'static str, text: &'static str) -> Vec<Row<'static>> {
    let mut lines = text.lines().enumerate();
    let header = lines.next().map(|(_, h)| h).unwrap_or_default();
    assert_eq!(
        header, "source\tkind\trules\tinput\texpected\tconfidence",
        "{file}: unexpected header"
    );
    lines
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|(i, l)| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert_eq!(cols.len(), 6, "{file}:{}: expected 6 columns", i + 1);
            (i, l, cols)
        })
        .filter(|(_, _, cols)| cols[1] == "match")
        .map(|(i, l, cols)| Row {
            file,
            line: i + 1,
            text: l,
            rules: cols[2],
            input: cols[3],
            expected: cols[4],
        })
        .filter(|r| std::env::var("ROUTER_TEST").map_or(true, |f| r.text.contains(&f)))
        .collect()
}

fn confidence<'a>(row: &Row<'a>) -> &'a str {
    row.text.rsplit('\t').next().unwrap_or_default()
}

/// The request and any configuration of an `input` cell.
struct Input<'a> {
    host: &'a str,
    path: &'a str,
    sni: Option<&'a str>,
    scheme: Scheme,
    /// Headers, cookies (as one `Cookie` header) and the draw, for canaries.
    headers: Vec<(String, String)>,
    draw: f64,
    config: Config,
}

fn input<'a>(cell: &'a str, base: Config) -> Result<Input<'a>, String> {
    let mut out = Input {
        host: "",
        path: "/",
        sni: None,
        scheme: Scheme::Http,
        headers: Vec::new(),
        draw: 0.999,
        config: base,
    };
    let mut cookies: Vec<&str> = Vec::new();
    for token in cell.split(' ').filter(|t| !t.is_empty()) {
        let (k, v) = token
            .split_once('=')
            .ok_or_else(|| format!("input token {token:?} is not key=value"))?;
        if let Some(name) = k.strip_prefix("hdr:") {
            out.headers.push((name.to_owned(), v.to_owned()));
            continue;
        }
        if k.starts_with("cookie:") {
            cookies.push(&token["cookie:".len()..]);
            continue;
        }
        match k {
            "host" => out.host = v,
            "path" => out.path = v,
            "sni" => out.sni = Some(v),
            "scheme" => {
                out.scheme = match v {
                    "http" => Scheme::Http,
                    "https" => Scheme::Https,
                    other => return Err(format!("scheme={other}?")),
                }
            }
            "draw" => out.draw = v.parse().map_err(|e| format!("draw={v}: {e}"))?,
            // The router's own rows: configuration.
            "impl" => {
                out.config = out.config.implementation_specific(match v {
                    "Prefix" => ImplementationSpecific::Prefix,
                    "Exact" => ImplementationSpecific::Exact,
                    "StringPrefix" => ImplementationSpecific::StringPrefix,
                    "Regex" => ImplementationSpecific::Regex,
                    other => return Err(format!("impl={other} not available")),
                })
            }
            "norm" => {
                out.config = out.config.path_normalization(match v {
                    "none" => PathNormalization::None,
                    "rfc3986" => PathNormalization::RemoveDotSegments,
                    "nginx" => PathNormalization::NginxLike,
                    other => return Err(format!("norm={other}?")),
                })
            }
            "defaults" => {
                out.config = out.config.default_backend(match v {
                    "spec" => DefaultBackendPolicy::SpecPerIngress,
                    "ignore" => DefaultBackendPolicy::Ignore,
                    other => return Err(format!("defaults={other}?")),
                })
            }
            "classes" => {
                let (names, classless) = match v.strip_suffix("+classless") {
                    Some(names) => (names, true),
                    None => (v, false),
                };
                out.config = out.config.classes(
                    ClassFilter::classes(names.split(',').filter(|s| !s.is_empty()))
                        .accept_classless(classless),
                );
            }
            other => return Err(format!("input {other}= is not modelled by the router")),
        }
    }
    if !cookies.is_empty() {
        out.headers.push(("Cookie".to_owned(), cookies.join("; ")));
    }
    Ok(out)
}

/// What the `expected` cell asks for: a backend name, `404`, or for SNI rows a secret.
fn expected(cell: &str) -> &str {
    let first = cell.split_whitespace().next().unwrap_or_default();
    if first == "not" && cell.starts_with("not served") {
        "404"
    } else {
        first
    }
}

/// An ingress-nginx row: the serving backend (after the canary step) or the redirect, and the
/// upstream target when the row names one.
fn run_nginx(row: &Row<'_>) -> Result<(), String> {
    let input = input(row.input, Config::ingress_nginx())?;
    let ingresses = ingresses(row.rules);
    let built = RouteTable::builder()
        .config(input.config.clone())
        .add_all(&ingresses)
        .build();
    let view = RequestView::new(input.host, input.path).with_scheme(input.scheme);
    let decision = built.table.find(&view);
    let request = Headers::new(input.headers.iter().cloned()).with_draw(input.draw);
    let mut got = match decision {
        Decision::Redirect(r) => format!("{} Location={}", r.status, r.location(&view)),
        _ => match decision.canary() {
            Some(c) if c.decide(&request).canary => backend_name(c.backend),
            _ => decision.backend().map_or("404".to_owned(), backend_name),
        },
    };
    if !matches!(decision, Decision::Redirect(_)) {
        let upstream = decision
            .rewrite()
            .map_or("none".to_owned(), |r| r.upstream_target(&view));
        got.push_str(&format!(" upstream={upstream}"));
    }
    // The cell: the outcome's words up to the first note in parentheses.
    let want_cell = row.expected.split(" (").next().unwrap_or_default().trim();
    let mut want_words = want_cell.split(' ');
    let first = want_words.next().unwrap_or_default();
    let want_first = if first == "404" || first.parse::<u16>().is_ok() {
        first.to_owned()
    } else {
        service(first)
    };
    let want: Vec<String> = std::iter::once(want_first)
        .chain(want_words.map(str::to_owned))
        .collect();
    let want = want.join(" ");
    // `upstream=` is checked only when the row names one.
    let got = if want.contains(" upstream=") {
        got
    } else {
        got.split(" upstream=")
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "got {got:?}, want {want:?}\n  diagnostics: {:?}\n  servers: {:#?}",
            built.diagnostics,
            built.table.nginx_servers()
        ))
    }
}

fn run(row: &Row<'_>) -> Result<(), String> {
    if confidence(row) == "nginx-specific" {
        return run_nginx(row);
    }
    let input = input(row.input, Config::default())?;
    let ingresses = ingresses(row.rules);
    let built = RouteTable::builder()
        .config(input.config.clone())
        .add_all(&ingresses)
        .build();
    let want = expected(row.expected);
    let want = if want == "404" || row.input.contains("sni=") {
        want.to_owned()
    } else {
        service(want)
    };
    if let Some(sni) = input.sni {
        let got = match built.table.certificate_for(sni) {
            Some(c) => format!("secret:{}", c.secret_name.unwrap_or("default")),
            None => "no-certificate".to_owned(),
        };
        return if got == want {
            Ok(())
        } else {
            Err(format!("sni {sni:?}: got {got}, want {want}"))
        };
    }
    let decision = built.table.find(&RequestView::new(input.host, input.path));
    let got = match decision {
        Decision::Route(m) => backend_name(m.backend),
        Decision::DefaultBackend(d) => backend_name(d.backend),
        Decision::Redirect(r) => r.status.to_string(),
        Decision::NotFound => "404".to_owned(),
    };
    // Every row must also agree with the reference matcher.
    let reference = ingress_router::reference::Reference::new(&input.config, &ingresses);
    let by_reference = reference.find(input.host, input.path);
    if ingress_router::reference::Outcome::of(&decision) != by_reference.outcome() {
        return Err(format!(
            "table {decision:?} and reference {by_reference:?} disagree"
        ));
    }
    if got == want {
        Ok(())
    } else {
        let explained = built
            .table
            .explain(&RequestView::new(input.host, input.path));
        Err(format!(
            "got {got}, want {want}\n  diagnostics: {:?}\n  explanation: {explained:?}",
            built.diagnostics
        ))
    }
}

fn run_all(rows: &[Row<'_>]) -> (usize, Vec<String>) {
    let (mut ran, mut failures) = (0, Vec::new());
    for row in rows {
        ran += 1;
        if let Err(e) = run(row) {
            failures.push(format!(
                "{}:{}: {}\t{}\t{}\n  {e}",
                row.file, row.line, row.rules, row.input, row.expected
            ));
        }
    }
    (ran, failures)
}

fn check(file: &'static str, text: &'static str, at_least: usize) {
    let rows = rows(file, text);
    let (ran, failures) = run_all(&rows);
    let mut report = String::new();
    for f in &failures {
        let _ = writeln!(report, "{f}");
    }
    println!("{file}: {ran} match rows run, {} failed", failures.len());
    assert!(
        failures.is_empty(),
        "{} of {ran} rows failed:\n{report}",
        failures.len()
    );
    if std::env::var("ROUTER_TEST").is_err() {
        assert!(ran >= at_least, "{file}: only {ran} match rows found");
    }
}

#[test]
fn public_vectors() {
    // 59 `match` rows, all `spec`, at the time of writing.
    check("testdata/vectors.tsv", PUBLIC, 59);
}

#[test]
fn router_vectors() {
    check("testdata/router-vectors/router.tsv", ROUTER, 40);
}

#[test]
fn ingress_nginx_vectors() {
    check("testdata/router-vectors/nginx.tsv", NGINX, 60);
}

#[test]
fn item_prefixes() {
    assert_eq!(owner("i1@t1:foo.com|Prefix|/a|A").1, "foo.com|Prefix|/a|A");
    let (who, rest) = owner("ns/a@t2[canary=true,x=y]:|Exact|/|B");
    let (name, t, ann) = who.unwrap();
    assert_eq!((name, t, rest), ("ns/a", 2, "|Exact|/|B"));
    assert_eq!(ann, vec![("canary", "true"), ("x", "y")]);
    assert!(owner("foo.com|Prefix|/a@t1|A").0.is_none());
}
