//! Every `validate` row of `testdata/vectors.tsv`, run against the concrete objects of
//! `testdata/validate-cases.yaml` (see the comment at the top of that file for its format).
//!
//! For each row: the objects are loaded with `Manifests::load_str`, validated, and the exact
//! errors and warnings compared with the data file; then the first check's outcome is compared
//! with the row's `expected` column (the field path exactly, and the message, or the exact
//! message the data file gives where the row uses a shorthand).

use std::collections::BTreeMap;

use ingress_model::validation::{
    FieldError, Validation, ValidationOptions, validate_ingress, validate_ingress_class,
    validate_ingress_class_update, validate_ingress_update,
};
use ingress_model::{Ingress, IngressClass, LoadOptions, Manifests, default_class};
use serde::Deserialize;

const VECTORS: &str = include_str!("../../testdata/vectors.tsv");
const CASES: &str = include_str!("../../testdata/validate-cases.yaml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// The row's exact `input` column.
    input: String,
    /// The exact message (error body) where the row's `expected` column uses a shorthand.
    #[serde(default)]
    tsv_message: Option<String>,
    checks: Vec<Check>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Check {
    op: String,
    #[serde(default)]
    operation: Option<String>,
    #[serde(default)]
    object: Option<String>,
    #[serde(default)]
    old: Option<String>,
    #[serde(default)]
    new: Option<String>,
    #[serde(default)]
    classes: Option<String>,
    #[serde(default)]
    options: Options,
    errors: Vec<String>,
    #[serde(default)]
    warnings: Vec<String>,
    #[serde(default)]
    assigned_class: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    #[serde(default)]
    relaxed_service_name_validation: bool,
}

/// A `validate` row of vectors.tsv.
#[derive(Debug)]
struct Row {
    line: usize,
    input: String,
    expected: String,
}

/// What one check produced.
struct Outcome {
    validation: Validation,
    assigned_class: Option<String>,
}

fn validate_rows() -> Vec<Row> {
    let mut lines = VECTORS.lines().enumerate();
    let (_, header) = lines.next().expect("vectors.tsv has a header");
    let columns: Vec<&str> = header.split('\t').collect();
    let col = |name: &str| {
        columns
            .iter()
            .position(|c| *c == name)
            .unwrap_or_else(|| panic!("vectors.tsv has no `{name}` column"))
    };
    let (kind, input, expected) = (col("kind"), col("input"), col("expected"));
    lines
        .filter(|(_, l)| !l.trim().is_empty())
        .filter_map(|(i, l)| {
            let fields: Vec<&str> = l.split('\t').collect();
            (fields.get(kind) == Some(&"validate")).then(|| Row {
                line: i + 1,
                input: fields[input].to_owned(),
                expected: fields[expected].to_owned(),
            })
        })
        .collect()
}

fn load(text: &str) -> Manifests {
    let m = Manifests::load_str("validate-cases.yaml", text, &LoadOptions::default());
    assert!(
        m.errors.is_empty(),
        "manifest does not load: {:?}",
        m.errors
    );
    m
}

fn one_ingress(text: Option<&String>, what: &str) -> Ingress {
    let text = text.unwrap_or_else(|| panic!("check needs `{what}`"));
    let mut m = load(text);
    assert_eq!(m.ingresses.len(), 1, "`{what}` must hold one Ingress");
    m.ingresses.remove(0).object
}

fn one_class(text: Option<&String>, what: &str) -> IngressClass {
    let text = text.unwrap_or_else(|| panic!("check needs `{what}`"));
    let mut m = load(text);
    assert_eq!(
        m.ingress_classes.len(),
        1,
        "`{what}` must hold one IngressClass"
    );
    m.ingress_classes.remove(0).object
}

fn run(check: &Check) -> Outcome {
    let options = ValidationOptions {
        relaxed_service_name_validation: check.options.relaxed_service_name_validation,
    };
    let plain = |validation| Outcome {
        validation,
        assigned_class: None,
    };
    match check.op.as_str() {
        "create" => plain(validate_ingress(
            &one_ingress(check.object.as_ref(), "object"),
            &options,
        )),
        "update" => plain(validate_ingress_update(
            &one_ingress(check.old.as_ref(), "old"),
            &one_ingress(check.new.as_ref(), "new"),
            &options,
        )),
        "class-create" => plain(validate_ingress_class(&one_class(
            check.object.as_ref(),
            "object",
        ))),
        "class-update" => plain(validate_ingress_class_update(
            &one_class(check.old.as_ref(), "old"),
            &one_class(check.new.as_ref(), "new"),
        )),
        "admission" => {
            let classes: Vec<IngressClass> = load(check.classes.as_deref().expect("classes"))
                .ingress_classes
                .into_iter()
                .map(|l| l.object)
                .collect();
            let mut ingress = one_ingress(check.object.as_ref(), "object");
            let validation = match check.operation.as_deref() {
                // DefaultIngressClass admission runs on create only, before validation, and
                // only for Ingresses with neither the field nor the annotation.
                Some("create") => {
                    if ingress.spec.ingress_class_name.is_none()
                        && ingress.class_annotation().is_none()
                        && let Some(class) = default_class(&classes)
                    {
                        ingress.spec.ingress_class_name = Some(class.metadata.name().to_owned());
                    }
                    validate_ingress(&ingress, &options)
                }
                Some("update") => validate_ingress_update(&ingress, &ingress, &options),
                other => panic!("admission needs `operation: create|update`, got {other:?}"),
            };
            Outcome {
                validation,
                assigned_class: ingress.spec.ingress_class_name,
            }
        }
        other => panic!("unknown op {other:?}"),
    }
}

/// Compares one check's outcome with what the data file says; returns the differences.
fn compare(check: &Check, outcome: &Outcome) -> Vec<String> {
    let mut problems = Vec::new();
    let got: Vec<String> = outcome
        .validation
        .errors
        .iter()
        .map(ToString::to_string)
        .collect();
    if got != check.errors {
        problems.push(format!(
            "{} errors differ\n  expected: {:#?}\n  got:      {:#?}",
            check.op, check.errors, got
        ));
    }
    if outcome.validation.warnings != check.warnings {
        problems.push(format!(
            "{} warnings differ\n  expected: {:?}\n  got:      {:?}",
            check.op, check.warnings, outcome.validation.warnings
        ));
    }
    if check.op == "admission" && outcome.assigned_class != check.assigned_class {
        problems.push(format!(
            "assigned class: expected {:?}, got {:?}",
            check.assigned_class, outcome.assigned_class
        ));
    }
    for e in &outcome.validation.errors {
        if e.to_string() != format!("{}: {}", e.field, e.body()) {
            problems.push(format!("Display and body disagree for {e:?}"));
        }
    }
    problems
}

/// Compares the first check's outcome with the row's `expected` column.
fn compare_with_row(row: &Row, case: &Case, outcome: &Outcome) -> Vec<String> {
    let errors = &outcome.validation.errors;
    let mut problems = Vec::new();
    let expected = row.expected.as_str();
    if let Some(rest) = expected.strip_prefix("invalid: ") {
        let (field, message) = rest
            .split_once(": ")
            .unwrap_or_else(|| panic!("line {}: `invalid: <field>: <message>`", row.line));
        let at_field: Vec<&FieldError> = errors.iter().filter(|e| e.field == field).collect();
        if at_field.is_empty() {
            problems.push(format!("no error at `{field}`; errors: {errors:?}"));
        }
        match &case.tsv_message {
            Some(exact) => {
                if !at_field.iter().any(|e| e.body() == *exact) {
                    problems.push(format!("no error `{field}: {exact}`"));
                }
                // A message cut with "..." must be the start of the exact one.
                if let Some(prefix) = message.strip_suffix("...")
                    && !at_field
                        .iter()
                        .any(|e| e.detail.starts_with(prefix.trim_end()))
                {
                    problems.push(format!("no detail at `{field}` starts with `{prefix}`"));
                }
            }
            None => {
                if !at_field
                    .iter()
                    .any(|e| e.body() == message || e.detail == message)
                {
                    problems.push(format!(
                        "no error `{field}: {message}` (as body or detail); at that field: {:?}",
                        at_field.iter().map(|e| e.to_string()).collect::<Vec<_>>()
                    ));
                }
            }
        }
    } else if expected.starts_with("invalid") {
        if errors.is_empty() {
            problems.push("expected errors, got none".to_owned());
        }
    } else if expected.starts_with("valid") {
        if !errors.is_empty() {
            problems.push(format!("expected valid, got {errors:?}"));
        }
        if let Some(rest) = expected.split("spec.ingressClassName=").nth(1) {
            let name: String = rest
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != ')' && *c != ';')
                .collect();
            if outcome.assigned_class.as_deref() != Some(name.as_str()) {
                problems.push(format!(
                    "row says ingressClassName={name}, got {:?}",
                    outcome.assigned_class
                ));
            }
        }
        if expected.contains("spec.ingressClassName left unset") && outcome.assigned_class.is_some()
        {
            problems.push(format!(
                "row says ingressClassName left unset, got {:?}",
                outcome.assigned_class
            ));
        }
    } else {
        problems.push(format!("unknown `expected` form: {expected}"));
    }
    problems
}

#[test]
fn every_validate_row_has_a_case_and_passes() {
    let rows = validate_rows();
    assert!(!rows.is_empty(), "no validate rows in vectors.tsv");
    let file: CaseFile = serde_saphyr::from_str(CASES).expect("validate-cases.yaml parses");

    let mut cases: BTreeMap<&str, &Case> = BTreeMap::new();
    for case in &file.cases {
        assert!(
            cases.insert(case.input.as_str(), case).is_none(),
            "two cases for input {:?}",
            case.input
        );
        assert!(
            !case.checks.is_empty(),
            "case {:?} has no checks",
            case.input
        );
    }

    let missing: Vec<String> = rows
        .iter()
        .filter(|r| !cases.contains_key(r.input.as_str()))
        .map(|r| format!("line {}: {}", r.line, r.input))
        .collect();
    assert!(
        missing.is_empty(),
        "validate rows without a case in validate-cases.yaml:\n{}",
        missing.join("\n")
    );
    let stale: Vec<&str> = cases
        .keys()
        .filter(|k| !rows.iter().any(|r| r.input == **k))
        .copied()
        .collect();
    assert!(stale.is_empty(), "cases without a validate row: {stale:?}");

    let mut failures = Vec::new();
    let mut checks = 0;
    for row in &rows {
        let case = cases[row.input.as_str()];
        for (i, check) in case.checks.iter().enumerate() {
            checks += 1;
            let outcome = run(check);
            let mut problems = compare(check, &outcome);
            if i == 0 {
                problems.extend(compare_with_row(row, case, &outcome));
            }
            for p in problems {
                failures.push(format!(
                    "line {} ({}), check {}: {p}",
                    row.line,
                    row.input,
                    i + 1
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checks} checks failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    eprintln!("{} validate rows, {checks} checks", rows.len());
}
