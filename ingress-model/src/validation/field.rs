//! Field paths, bad-value rendering and [`FieldError`] constructors, after
//! `k8s.io/apimachinery/pkg/util/validation/field` (`path.go`, `errors.go`).

use std::fmt;

use super::{ErrorType, FieldError};

/// A field path being built, rendered as `field.Path.String()` does: children joined with `.`,
/// list indexes and map keys in brackets (`spec.rules[0].http.paths[1].path`).
///
/// A linked list on the stack, rendered only when an error is reported: validating a valid
/// object builds no string at all (the router validates every Ingress it compiles, so this is
/// on the build path of a 10 000-Ingress table).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    segment: Segment<'a>,
}

#[derive(Clone, Copy, Debug)]
enum Segment<'a> {
    Name(&'a str),
    Index(usize),
}

impl<'a> Path<'a> {
    /// A root path (`metadata`, `spec`, `annotations`).
    pub(crate) fn new(root: &'a str) -> Path<'a> {
        Path {
            parent: None,
            segment: Segment::Name(root),
        }
    }

    /// `parent.name`, as `(*Path).Child`.
    pub(crate) fn child<'b>(&'b self, name: &'b str) -> Path<'b> {
        Path {
            parent: Some(self),
            segment: Segment::Name(name),
        }
    }

    /// `parent[index]`, as `(*Path).Index`.
    pub(crate) fn index(&self, index: usize) -> Path<'_> {
        Path {
            parent: Some(self),
            segment: Segment::Index(index),
        }
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(parent) = self.parent {
            fmt::Display::fmt(parent, f)?;
        }
        match self.segment {
            // An empty root renders as nothing, and its child without a leading dot.
            Segment::Name(name) if self.parent.is_none_or(|p| p.is_empty_root()) => {
                f.write_str(name)
            }
            Segment::Name(name) => write!(f, ".{name}"),
            Segment::Index(i) => write!(f, "[{i}]"),
        }
    }
}

impl Path<'_> {
    fn is_empty_root(&self) -> bool {
        self.parent.is_none() && matches!(self.segment, Segment::Name(""))
    }
}

impl PartialEq for Path<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

// === impl FieldError ===

impl FieldError {
    /// `Invalid value` for a string value, rendered quoted as the API server does
    /// (`field.Invalid(path, "foo", detail)` prints `Invalid value: "foo": detail`).
    ///
    /// # Examples
    ///
    /// ```
    /// use ingress_model::validation::FieldError;
    ///
    /// let e = FieldError::invalid("spec.rules[0].host", "127.0.0.1",
    ///     "must be a DNS name, not an IP address");
    /// assert_eq!(e.to_string(),
    ///     r#"spec.rules[0].host: Invalid value: "127.0.0.1": must be a DNS name, not an IP address"#);
    /// ```
    pub fn invalid(field: impl Into<String>, value: &str, detail: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            error_type: ErrorType::Invalid,
            bad_value: Some(go_quote(value)),
            detail: detail.into(),
        }
    }

    /// `Invalid value` for an integer value, printed bare (`Invalid value: -1`), as the API
    /// server prints `int32`/`int64` bad values.
    pub fn invalid_int(field: impl Into<String>, value: i64, detail: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            error_type: ErrorType::Invalid,
            bad_value: Some(value.to_string()),
            detail: detail.into(),
        }
    }

    /// `Invalid value` with a value already rendered (the API server JSON-encodes values that
    /// are neither strings nor numbers: a nil list prints as `null`).
    pub fn invalid_rendered(
        field: impl Into<String>,
        rendered: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        FieldError {
            field: field.into(),
            error_type: ErrorType::Invalid,
            bad_value: Some(rendered.into()),
            detail: detail.into(),
        }
    }

    /// `Required value`; the API server never prints a value for it.
    ///
    /// ```
    /// use ingress_model::validation::FieldError;
    ///
    /// assert_eq!(FieldError::required("spec.controller", "").to_string(),
    ///     "spec.controller: Required value");
    /// ```
    pub fn required(field: impl Into<String>, detail: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            error_type: ErrorType::Required,
            bad_value: None,
            detail: detail.into(),
        }
    }

    /// `Forbidden`; the API server never prints a value for it.
    pub fn forbidden(field: impl Into<String>, detail: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            error_type: ErrorType::Forbidden,
            bad_value: None,
            detail: detail.into(),
        }
    }

    /// `Too long: may not be more than N bytes` (`field.TooLong`); the value is never printed.
    pub fn too_long(field: impl Into<String>, max_bytes: usize) -> Self {
        let unit = if max_bytes == 1 { "byte" } else { "bytes" };
        FieldError {
            field: field.into(),
            error_type: ErrorType::TooLong,
            bad_value: None,
            detail: format!("may not be more than {max_bytes} {unit}"),
        }
    }

    /// `Unsupported value` with the list of supported values, each quoted, as
    /// `field.NotSupported` builds it (`supported values: "Exact", "Prefix"`).
    ///
    /// ```
    /// use ingress_model::validation::FieldError;
    ///
    /// let e = FieldError::not_supported("spec.parameters.scope", "Global", &["Cluster", "Namespace"]);
    /// assert_eq!(e.to_string(),
    ///     r#"spec.parameters.scope: Unsupported value: "Global": supported values: "Cluster", "Namespace""#);
    /// ```
    pub fn not_supported(field: impl Into<String>, value: &str, supported: &[&str]) -> Self {
        let detail = if supported.is_empty() {
            String::new()
        } else {
            let quoted: Vec<String> = supported.iter().map(|v| go_quote(v)).collect();
            format!("supported values: {}", quoted.join(", "))
        };
        FieldError {
            field: field.into(),
            error_type: ErrorType::NotSupported,
            bad_value: Some(go_quote(value)),
            detail,
        }
    }

    /// The error without its field: `Type[: value][: detail]`, as `(*field.Error).ErrorBody`.
    pub fn body(&self) -> String {
        let full = self.to_string();
        // Display always starts with the field and ": ".
        full.get(self.field.len() + 2..).unwrap_or("").to_owned()
    }
}

impl std::error::Error for FieldError {}

/// Quotes `s` as Go's `strconv.Quote` (the `%q` verb the API server uses for string values).
///
/// Printable characters are kept as they are; `"` and `\` are escaped; control characters use
/// `\a \b \f \n \r \t \v` or `\xNN`; other non-printable characters use `\uNNNN` or
/// `\UNNNNNNNN`. Go decides "printable" with Unicode tables (`unicode.IsPrint`); without them we
/// treat as non-printable: control characters, white space other than U+0020, the format
/// characters (category Cf), private-use characters and non-characters. Unassigned code points,
/// which Go escapes, are kept as they are: that is the only difference, and only for code
/// points no manifest should contain.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if is_go_print(c) => out.push(c),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if (c as u32) < 0x1_0000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// An approximation of Go's `unicode.IsPrint` (see [`go_quote`]).
fn is_go_print(c: char) -> bool {
    if c.is_ascii() {
        return (' '..='~').contains(&c);
    }
    let u = c as u32;
    let format = matches!(
        u,
        0xAD | 0x600..=0x605
            | 0x61C
            | 0x6DD
            | 0x70F
            | 0x890..=0x891
            | 0x8E2
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0001
            | 0xE0020..=0xE007F
    );
    let private_use = matches!(u, 0xE000..=0xF8FF | 0xF_0000..=0xF_FFFD | 0x10_0000..=0x10_FFFD);
    let non_character = (0xFDD0..=0xFDEF).contains(&u) || (u & 0xFFFE) == 0xFFFE;
    !(c.is_control() || c.is_whitespace() || format || private_use || non_character)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_render_like_field_path() {
        let spec = Path::new("spec");
        let rules = spec.child("rules");
        let rule = rules.index(0);
        let http = rule.child("http");
        let paths = http.child("paths");
        let path = paths.index(1);
        assert_eq!(
            path.child("path").to_string(),
            "spec.rules[0].http.paths[1].path"
        );
        let annotations = Path::new("annotations");
        assert_eq!(
            annotations.child("kubernetes.io/ingress.class").to_string(),
            "annotations.kubernetes.io/ingress.class"
        );
        // An empty root (`ValidateObjectMeta` on a bare `ObjectMeta`) adds no leading dot.
        let root = Path::new("");
        assert_eq!(root.child("name").to_string(), "name");
    }

    #[test]
    fn quoting_matches_strconv_quote() {
        assert_eq!(go_quote("foo"), r#""foo""#);
        assert_eq!(go_quote(""), r#""""#);
        assert_eq!(go_quote(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(go_quote("a\nb\tc\u{7}"), r#""a\nb\tc\a""#);
        assert_eq!(go_quote("\u{1}\u{7f}"), r#""\x01\x7f""#);
        assert_eq!(go_quote("héllo 日本"), "\"héllo 日本\"");
        assert_eq!(go_quote("a\u{a0}b"), r#""a\u00a0b""#);
        assert_eq!(go_quote("\u{feff}"), r#""\ufeff""#);
        assert_eq!(go_quote("\u{10fffd}"), r#""\U0010fffd""#);
        assert_eq!(go_quote("'*'"), r#""'*'""#);
    }

    #[test]
    fn display_omits_value_for_required_forbidden_too_long() {
        assert_eq!(
            FieldError::required("spec.rules[0].http.paths", "").to_string(),
            "spec.rules[0].http.paths: Required value"
        );
        assert_eq!(
            FieldError::forbidden(
                "spec.parameters.namespace",
                "`parameters.scope` is set to 'Cluster'"
            )
            .to_string(),
            "spec.parameters.namespace: Forbidden: `parameters.scope` is set to 'Cluster'"
        );
        assert_eq!(
            FieldError::too_long("spec.controller", 250).to_string(),
            "spec.controller: Too long: may not be more than 250 bytes"
        );
        assert_eq!(
            FieldError::invalid_int(
                "x.port.number",
                -1,
                "must be between 1 and 65535, inclusive"
            )
            .to_string(),
            "x.port.number: Invalid value: -1: must be between 1 and 65535, inclusive"
        );
        let e = FieldError::invalid(
            "spec.backend",
            "",
            "cannot set both resource and service backends",
        );
        assert_eq!(
            e.body(),
            r#"Invalid value: "": cannot set both resource and service backends"#
        );
    }
}
