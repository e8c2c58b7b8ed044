//! `lint --format sarif|junit`: the findings as the reports CI systems read.
//!
//! * **SARIF 2.1.0** (OASIS), what code-scanning services (GitHub, GitLab, Azure DevOps)
//!   annotate pull requests from: one run, the tool's rules, and for each finding its `ruleId`,
//!   `level`, `message.text` and a physical location (the file as a relative URI; the line
//!   and column where the parser stopped for a document that could not be loaded, else the
//!   first line of the object's document; the field path goes in the message and in
//!   `properties.field`). Documents that cannot be loaded are results of rule `unreadable`,
//!   so that a pipeline sees them annotated too (the exit status stays 2).
//! * **JUnit XML**, what CI test-report views read: one test suite per file, one test case
//!   per object checked; an object with an error fails, with one `<failure>` per error;
//!   warnings go to the case's `<system-out>`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use ingress_model::Manifests;
use serde_json::{Value, json};

use crate::lint::{Finding, RULES, Severity};

/// The SARIF 2.1.0 log of the findings.
pub(crate) fn sarif(findings: &[Finding]) -> Value {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|(id, text)| json!({"id": id, "shortDescription": {"text": text}}))
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let level = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let text = match &f.field {
                Some(field) => format!("{}: {field}: {}", f.object, f.message),
                None => format!("{}: {}", f.object, f.message),
            };
            // The parser's position, or the document's first line.
            let region =
                json!({"startLine": f.line.unwrap_or(1), "startColumn": f.column.unwrap_or(1)});
            json!({
                "ruleId": f.rule,
                "ruleIndex": RULES.iter().position(|(id, _)| *id == f.rule),
                "level": level,
                "message": {"text": text},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri(&f.file)},
                        "region": region,
                    }
                }],
                "properties": {"object": f.object, "field": f.field},
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "ingress-route",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

/// A file name as a SARIF artifact URI: relative paths stay relative (resolved against the
/// repository root by the code-scanning service), with `/` separators and spaces escaped.
fn uri(file: &str) -> String {
    let file = file.replace('\\', "/");
    let file = file.strip_prefix("./").unwrap_or(&file);
    let mut out = String::with_capacity(file.len());
    for c in file.chars() {
        match c {
            ' ' => out.push_str("%20"),
            '%' => out.push_str("%25"),
            '#' => out.push_str("%23"),
            '?' => out.push_str("%3F"),
            c => out.push(c),
        }
    }
    out
}

/// The JUnit XML report: every Ingress and IngressClass checked is a test case.
pub(crate) fn junit(manifests: &Manifests, findings: &[Finding]) -> String {
    // file -> object -> findings, objects in load order.
    let mut files: BTreeMap<&str, Vec<(String, Vec<&Finding>)>> = BTreeMap::new();
    let objects = manifests
        .ingresses
        .iter()
        .map(|l| {
            (
                l.origin.file.as_str(),
                format!("Ingress {}", l.object.key()),
            )
        })
        .chain(manifests.ingress_classes.iter().map(|l| {
            (
                l.origin.file.as_str(),
                format!("IngressClass {}", l.object.metadata.name()),
            )
        }));
    for (file, object) in objects {
        let cases = files.entry(file).or_default();
        if !cases.iter().any(|(o, _)| *o == object) {
            cases.push((object, Vec::new()));
        }
    }
    for f in findings {
        let cases = files.entry(f.file.as_str()).or_default();
        match cases.iter_mut().find(|(o, _)| *o == f.object) {
            Some((_, list)) => list.push(f),
            None => cases.push((f.object.clone(), vec![f])),
        }
    }
    let failed = |list: &[&Finding]| list.iter().any(|f| f.severity == Severity::Error);
    let total: usize = files.values().map(Vec::len).sum();
    let failures: usize = files
        .values()
        .flatten()
        .filter(|(_, list)| failed(list))
        .count();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuites name=\"ingress-route lint\" tests=\"{total}\" failures=\"{failures}\" errors=\"0\">"
    );
    for (file, cases) in &files {
        let suite_failures = cases.iter().filter(|(_, list)| failed(list)).count();
        let _ = writeln!(
            xml,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{suite_failures}\" errors=\"0\" skipped=\"0\">",
            escape(file),
            cases.len()
        );
        for (object, list) in cases {
            let _ = write!(
                xml,
                "    <testcase classname=\"{}\" name=\"{}\"",
                escape(file),
                escape(object)
            );
            if list.is_empty() {
                xml.push_str("/>\n");
                continue;
            }
            xml.push_str(">\n");
            for f in list.iter().filter(|f| f.severity == Severity::Error) {
                let _ = writeln!(
                    xml,
                    "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                    f.rule,
                    escape(&f.message),
                    escape(&f.to_string())
                );
            }
            let warnings: Vec<String> = list
                .iter()
                .filter(|f| f.severity == Severity::Warning)
                .map(|f| escape(&f.to_string()))
                .collect();
            if !warnings.is_empty() {
                let _ = writeln!(
                    xml,
                    "      <system-out>{}</system-out>",
                    warnings.join("\n")
                );
            }
            xml.push_str("    </testcase>\n");
        }
        xml.push_str("  </testsuite>\n");
    }
    xml.push_str("</testsuites>\n");
    xml
}

/// Text and attribute values in XML 1.0: the five markup characters escaped, and the control
/// characters XML 1.0 cannot carry at all replaced by U+FFFD.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}
