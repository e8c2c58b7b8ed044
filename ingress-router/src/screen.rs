//! Input screening shared by the table and the reference matcher: class filtering, validation
//! (`ingress_model::validation`) and the few checks the matcher itself relies on, turned into
//! "what is left to route" plus diagnostics.
//!
//! Sharing this keeps the two matchers' inputs identical, so that the property tests compare
//! matching and precedence, which is where they differ.

use ingress_model::validation::{ErrorType, FieldError, validate_ingress};
use ingress_model::{HttpIngressPath, Ingress, IngressBackend, PathType};

use crate::config::{Config, Validation};
use crate::error::{Diagnostic, DiagnosticKind, Skipped};
use crate::host::{HostPattern, MAX_HOST_LEN};
use crate::path::PathPattern;
use ingress_model::IngressKey;

/// One Ingress, screened.
pub(crate) struct Screened<'a> {
    pub(crate) key: IngressKey,
    /// `creationTimestamp` in Unix seconds; `None` (missing or unparseable) sorts first.
    pub(crate) created: Option<i64>,
    /// Whether the class rules make it ours (valid or not).
    pub(crate) ours: bool,
    /// `false`: another class's Ingress, or invalid as a whole; nothing below is set then.
    pub(crate) served: bool,
    pub(crate) rules: Vec<ScreenedRule<'a>>,
    pub(crate) default_backend: Option<&'a IngressBackend>,
    pub(crate) tls: Vec<ScreenedTls<'a>>,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

/// A rule whose host is usable; its paths are the usable ones (possibly none).
pub(crate) struct ScreenedRule<'a> {
    pub(crate) index: usize,
    pub(crate) host: HostPattern,
    pub(crate) paths: Vec<ScreenedPath<'a>>,
}

pub(crate) struct ScreenedPath<'a> {
    pub(crate) index: usize,
    pub(crate) path: &'a HttpIngressPath,
    pub(crate) path_type: &'a PathType,
    pub(crate) pattern: PathPattern,
}

pub(crate) struct ScreenedTls<'a> {
    pub(crate) index: usize,
    /// `(index in hosts, host lower-cased)`.
    pub(crate) hosts: Vec<(usize, String)>,
    /// `None` or empty: the controller's default certificate.
    pub(crate) secret_name: Option<&'a str>,
}

/// Which part of the object a validation error's field path points into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    Ingress,
    Rule(usize),
    Path(usize, usize),
    DefaultBackend,
    Tls(usize),
}

impl Scope {
    fn of(field: &str) -> Scope {
        if let Some(rest) = field.strip_prefix("spec.rules[") {
            if let Some((i, rest)) = index_then(rest) {
                if let Some(rest) = rest.strip_prefix(".http.paths[")
                    && let Some((j, _)) = index_then(rest)
                {
                    return Scope::Path(i, j);
                }
                return Scope::Rule(i);
            }
        } else if field == "spec.defaultBackend" || field.starts_with("spec.defaultBackend.") {
            return Scope::DefaultBackend;
        } else if let Some(rest) = field.strip_prefix("spec.tls[")
            && let Some((i, _)) = index_then(rest)
        {
            return Scope::Tls(i);
        }
        Scope::Ingress
    }

    fn skipped(self) -> Skipped {
        match self {
            Scope::Ingress => Skipped::Ingress,
            Scope::Rule(_) => Skipped::Rule,
            Scope::Path(..) => Skipped::Path,
            Scope::DefaultBackend => Skipped::DefaultBackend,
            Scope::Tls(_) => Skipped::Tls,
        }
    }
}

/// `"12]rest"` -> `(12, "rest")`.
fn index_then(s: &str) -> Option<(usize, &str)> {
    let end = s.find(']')?;
    Some((s[..end].parse().ok()?, &s[end + 1..]))
}

fn quoted(s: &str) -> Option<String> {
    Some(format!("{s:?}"))
}

/// Screens one Ingress: class filter, validation, and the matcher's own checks.
pub(crate) fn screen<'a>(ingress: &'a Ingress, config: &Config) -> Screened<'a> {
    screen_keyed(ingress, IngressKey::of(ingress), config)
}

/// [`screen`], for a caller that already made the key. The steps: the class filter, then
/// validation (an error at the top scope skips the whole Ingress), then the rules, their paths
/// and the TLS entries that validation let through.
pub(crate) fn screen_keyed<'a>(
    ingress: &'a Ingress,
    key: IngressKey,
    config: &Config,
) -> Screened<'a> {
    let created = ingress
        .metadata
        .creation_timestamp
        .as_ref()
        .and_then(|t| t.unix_seconds());
    let mut out = Screened {
        key,
        created,
        ours: false,
        served: false,
        rules: Vec::with_capacity(ingress.spec.rules.len()),
        default_backend: None,
        tls: Vec::new(),
        diagnostics: Vec::new(),
    };
    if let Err(why) = config.classes.serves(ingress) {
        let diagnostic = out.diagnostic(
            String::new(),
            Skipped::Ingress,
            DiagnosticKind::NotServed(why),
        );
        out.diagnostics.push(diagnostic);
        return out;
    }
    out.ours = true;
    let errors = out.validate(ingress, config);
    if errors.has(Scope::Ingress) {
        return out;
    }
    out.served = true;
    if !errors.has(Scope::DefaultBackend) {
        out.default_backend = ingress.spec.default_backend.as_ref();
    }
    out.screen_rules(ingress, config, &errors);
    out.screen_tls(ingress, &errors);
    out
}

/// Validation's errors, each with the part of the object it skips.
struct ScopedErrors(Vec<(Scope, FieldError)>);

impl ScopedErrors {
    fn has(&self, scope: Scope) -> bool {
        self.0.iter().any(|(s, _)| *s == scope)
    }
}

impl<'a> Screened<'a> {
    fn diagnostic(&self, field: String, skipped: Skipped, kind: DiagnosticKind) -> Diagnostic {
        Diagnostic {
            source: self.key.clone(),
            field,
            skipped,
            kind,
        }
    }

    /// Runs validation as configured and reports its errors and warnings.
    fn validate(&mut self, ingress: &Ingress, config: &Config) -> ScopedErrors {
        let validation = match &config.validation {
            Validation::OnCreate(options) => validate_ingress(ingress, options),
            Validation::Trusted => ingress_model::validation::Validation::default(),
        };
        let errors: Vec<(Scope, FieldError)> = validation
            .errors
            .into_iter()
            .map(|e| (Scope::of(&e.field), e))
            .collect();
        for (scope, e) in &errors {
            let kind = DiagnosticKind::Invalid(e.clone());
            let diagnostic = self.diagnostic(e.field.clone(), scope.skipped(), kind);
            self.diagnostics.push(diagnostic);
        }
        for w in validation.warnings {
            let kind = DiagnosticKind::ValidationWarning(w);
            let diagnostic = self.diagnostic(String::new(), Skipped::Nothing, kind);
            self.diagnostics.push(diagnostic);
        }
        ScopedErrors(errors)
    }

    /// The rules whose host is usable, each with its usable paths.
    fn screen_rules(&mut self, ingress: &'a Ingress, config: &Config, errors: &ScopedErrors) {
        for (i, rule) in ingress.spec.rules.iter().enumerate() {
            if errors.has(Scope::Rule(i)) {
                continue;
            }
            let host = rule.host();
            if let Some(h) = host.filter(|h| h.len() > MAX_HOST_LEN) {
                // Validation says the same (DNS-1123 subdomain length); checked here too because
                // the hot path's case handling uses a buffer of this size.
                self.invalid(
                    format!("spec.rules[{i}].host"),
                    ErrorType::Invalid,
                    quoted(h),
                    "must be no more than 253 characters",
                    Skipped::Rule,
                );
                continue;
            }
            let paths = rule.http.as_ref().map_or(&[][..], |h| &h.paths[..]);
            let mut screened = ScreenedRule {
                index: i,
                host: HostPattern::from_rule(host),
                paths: Vec::with_capacity(paths.len()),
            };
            for (j, path) in paths.iter().enumerate() {
                if errors.has(Scope::Path(i, j)) {
                    continue;
                }
                if let Some(p) = self.screen_path(config, i, j, path) {
                    screened.paths.push(p);
                }
            }
            self.rules.push(screened);
        }
    }

    /// The TLS entries validation let through, hosts lower-cased.
    fn screen_tls(&mut self, ingress: &'a Ingress, errors: &ScopedErrors) {
        for (i, tls) in ingress.spec.tls.iter().enumerate() {
            if errors.has(Scope::Tls(i)) {
                continue;
            }
            self.tls.push(ScreenedTls {
                index: i,
                hosts: tls
                    .hosts
                    .iter()
                    .enumerate()
                    .filter(|(_, h)| h.len() <= MAX_HOST_LEN)
                    .map(|(j, h)| (j, h.to_ascii_lowercase()))
                    .collect(),
                secret_name: tls.secret_name.as_deref().filter(|s| !s.is_empty()),
            });
        }
    }

    fn invalid(
        &mut self,
        field: String,
        error_type: ErrorType,
        bad_value: Option<String>,
        detail: &str,
        skipped: Skipped,
    ) {
        let kind = DiagnosticKind::Invalid(FieldError {
            field: field.clone(),
            error_type,
            bad_value,
            detail: detail.to_owned(),
        });
        let diagnostic = self.diagnostic(field, skipped, kind);
        self.diagnostics.push(diagnostic);
    }

    /// The checks matching relies on, in validation's words, for paths validation let through.
    fn screen_path(
        &mut self,
        config: &Config,
        i: usize,
        j: usize,
        path: &'a HttpIngressPath,
    ) -> Option<ScreenedPath<'a>> {
        // Only formatted when something is wrong: building formats nothing for valid paths.
        let field = format_args!("spec.rules[{i}].http.paths[{j}]");
        let Some(path_type) = path.path_type.as_ref() else {
            self.invalid(
                format!("{field}.pathType"),
                ErrorType::Required,
                None,
                "pathType must be specified",
                Skipped::Path,
            );
            return None;
        };
        let Some(kind) = config.kind_of(path_type) else {
            self.invalid(
                format!("{field}.pathType"),
                ErrorType::NotSupported,
                quoted(path_type.as_str()),
                r#"supported values: "Exact", "ImplementationSpecific", "Prefix""#,
                Skipped::Path,
            );
            return None;
        };
        let p = path.path();
        let absolute =
            p.starts_with('/') || (p.is_empty() && *path_type == PathType::ImplementationSpecific);
        if !absolute {
            self.invalid(
                format!("{field}.path"),
                ErrorType::Invalid,
                quoted(p),
                "must be an absolute path",
                Skipped::Path,
            );
            return None;
        }
        match PathPattern::new(p, kind) {
            Ok(pattern) => Some(ScreenedPath {
                index: j,
                path,
                path_type,
                pattern,
            }),
            Err(e) => {
                let kind = DiagnosticKind::InvalidPattern(e);
                let diagnostic = self.diagnostic(format!("{field}.path"), Skipped::Path, kind);
                self.diagnostics.push(diagnostic);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes() {
        assert_eq!(Scope::of("spec.rules[3].host"), Scope::Rule(3));
        assert_eq!(Scope::of("spec.rules[3].http.paths"), Scope::Rule(3));
        assert_eq!(
            Scope::of("spec.rules[3].http.paths[12].backend.service.name"),
            Scope::Path(3, 12)
        );
        assert_eq!(Scope::of("spec.defaultBackend"), Scope::DefaultBackend);
        assert_eq!(
            Scope::of("spec.defaultBackend.service.port"),
            Scope::DefaultBackend
        );
        assert_eq!(Scope::of("spec.tls[1].hosts[0]"), Scope::Tls(1));
        assert_eq!(Scope::of("spec"), Scope::Ingress);
        assert_eq!(Scope::of("metadata.name"), Scope::Ingress);
        assert_eq!(Scope::of("spec.ingressClassName"), Scope::Ingress);
    }
}
