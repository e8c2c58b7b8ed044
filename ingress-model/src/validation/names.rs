//! Name and format checks shared by every kind: DNS-1123 labels and subdomains, DNS-1035
//! labels, wildcard hosts, port names and numbers, label keys and values, path-segment names,
//! and the API server's lenient IP parser.
//!
//! Each `is_*` function returns the API server's messages for every rule the value breaks, in
//! the API server's order, and an empty list when the value is valid. The rules and words are
//! those of `k8s.io/apimachinery/pkg/util/validation/validation.go` and
//! `k8s.io/apimachinery/pkg/api/validate/content` (`dns.go`, `kube.go`, `path.go`). The regular
//! expressions the API server prints in its messages are checked here by hand, byte by byte:
//! every character class in them is ASCII, so any non-ASCII byte fails them, as in Go.
//!
//! ```
//! use ingress_model::validation::names;
//!
//! assert!(names::is_dns1123_subdomain("foo.bar.com").is_empty());
//! assert_eq!(names::is_dns1123_subdomain("Foo.com").len(), 1);
//! assert!(names::is_wildcard_dns1123_subdomain("*.bar.com").is_empty());
//! assert!(names::parse_ip_sloppy("010.1.1.1").is_some()); // leading zeros accepted, as in Go 1.16
//! ```

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `DNS1123LabelMaxLength`.
pub const DNS1123_LABEL_MAX_LENGTH: usize = 63;
/// `DNS1123SubdomainMaxLength`.
pub const DNS1123_SUBDOMAIN_MAX_LENGTH: usize = 253;
/// `DNS1035LabelMaxLength`.
pub const DNS1035_LABEL_MAX_LENGTH: usize = 63;
/// Longest label key name part and label value (`content.LabelValueMaxLength`).
pub const LABEL_VALUE_MAX_LENGTH: usize = 63;
/// Longest IANA service name, hence port name (`IsValidPortName`).
pub const PORT_NAME_MAX_LENGTH: usize = 15;

const DNS1123_LABEL_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_LABEL_ERR: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_FMT: &str =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const DNS1123_SUBDOMAIN_ERR: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1035_LABEL_FMT: &str = "[a-z]([-a-z0-9]*[a-z0-9])?";
const DNS1035_LABEL_ERR: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
const WILDCARD_DNS1123_SUBDOMAIN_FMT: &str =
    "\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const WILDCARD_DNS1123_SUBDOMAIN_ERR: &str = "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character";
const LABEL_KEY_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const LABEL_KEY_ERR: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT: &str = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
const LABEL_VALUE_ERR: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

// === messages ===

/// `validation.MaxLenError` (`util/validation`): counts "characters" (it means bytes).
fn max_len_chars(n: usize) -> String {
    format!("must be no more than {n} characters")
}

/// `content.MaxLenError` (`api/validate/content`), used by the label-key and label-value
/// checks since 2025: says "bytes".
fn max_len_bytes(n: usize) -> String {
    format!("must be no more than {n} bytes")
}

/// `RegexError`: the message, the examples and the regular expression the API server prints.
/// The doubled space before each " or " is the API server's own.
pub(crate) fn regex_error(msg: &str, fmt: &str, examples: &[&str]) -> String {
    if examples.is_empty() {
        return format!("{msg} (regex used for validation is '{fmt}')");
    }
    let mut out = format!("{msg} (e.g. ");
    for (i, ex) in examples.iter().enumerate() {
        if i > 0 {
            out.push_str(" or ");
        }
        out.push('\'');
        out.push_str(ex);
        out.push_str("', ");
    }
    out.push_str("regex used for validation is '");
    out.push_str(fmt);
    out.push_str("')");
    out
}

// === formats (the regular expressions, by hand) ===

fn is_lower_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
fn matches_dns1123_label(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(&first), Some(&last)) => {
            is_lower_alnum(first)
                && is_lower_alnum(last)
                && b.iter().all(|&c| is_lower_alnum(c) || c == b'-')
        }
        _ => false,
    }
}

/// `^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`: labels joined by
/// single dots, no per-label length limit.
fn matches_dns1123_subdomain(s: &str) -> bool {
    s.split('.').all(matches_dns1123_label)
}

/// `^[a-z]([-a-z0-9]*[a-z0-9])?$`
fn matches_dns1035_label(s: &str) -> bool {
    matches_dns1123_label(s) && s.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
}

/// `^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`
fn matches_label_key_name(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(first), Some(last)) => {
            first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && b.iter()
                    .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        }
        _ => false,
    }
}

// === public checks ===

/// `IsDNS1123Label`: at most 63 characters of `[a-z0-9-]`, starting and ending alphanumeric.
///
/// A valid subdomain that is not a label gets "must not contain dots" instead of the regex
/// message, as in the API server.
pub fn is_dns1123_label(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_LABEL_MAX_LENGTH {
        errs.push(max_len_chars(DNS1123_LABEL_MAX_LENGTH));
    }
    if !matches_dns1123_label(value) {
        if matches_dns1123_subdomain(value) {
            errs.push("must not contain dots".to_owned());
        } else {
            errs.push(regex_error(
                DNS1123_LABEL_ERR,
                DNS1123_LABEL_FMT,
                &["my-name", "123-abc"],
            ));
        }
    }
    errs
}

/// `IsDNS1123Subdomain`: at most 253 characters; dot-separated labels of `[a-z0-9-]`, each
/// starting and ending alphanumeric.
pub fn is_dns1123_subdomain(value: &str) -> Vec<String> {
    dns1123_subdomain(value, max_len_chars)
}

/// `content.IsDNS1123Subdomain`: the same rule, but its length message says "bytes" (used for
/// the prefix of label and annotation keys).
fn dns1123_subdomain_content(value: &str) -> Vec<String> {
    dns1123_subdomain(value, max_len_bytes)
}

fn dns1123_subdomain(value: &str, max_len: fn(usize) -> String) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_SUBDOMAIN_MAX_LENGTH {
        errs.push(max_len(DNS1123_SUBDOMAIN_MAX_LENGTH));
    }
    if !matches_dns1123_subdomain(value) {
        errs.push(regex_error(
            DNS1123_SUBDOMAIN_ERR,
            DNS1123_SUBDOMAIN_FMT,
            &["example.com"],
        ));
    }
    errs
}

/// `IsDNS1035Label`: at most 63 characters of `[a-z0-9-]`, starting with a letter and ending
/// alphanumeric (Service names).
pub fn is_dns1035_label(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1035_LABEL_MAX_LENGTH {
        errs.push(max_len_chars(DNS1035_LABEL_MAX_LENGTH));
    }
    if !matches_dns1035_label(value) {
        errs.push(regex_error(
            DNS1035_LABEL_ERR,
            DNS1035_LABEL_FMT,
            &["my-name", "abc-123"],
        ));
    }
    errs
}

/// `IsWildcardDNS1123Subdomain`: `*.` followed by a DNS-1123 subdomain, at most 253 characters
/// in all (RFC 1034 section 4.3.3: the wildcard is a whole first label).
///
/// So `*.bar.com` and `*.com` pass; `*`, `*foo.com`, `foo.*.com`, `*.*.com` and `*.Bar.com`
/// fail.
pub fn is_wildcard_dns1123_subdomain(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_SUBDOMAIN_MAX_LENGTH {
        errs.push(max_len_chars(DNS1123_SUBDOMAIN_MAX_LENGTH));
    }
    let ok = value
        .strip_prefix("*.")
        .is_some_and(matches_dns1123_subdomain);
    if !ok {
        errs.push(regex_error(
            WILDCARD_DNS1123_SUBDOMAIN_ERR,
            WILDCARD_DNS1123_SUBDOMAIN_FMT,
            &["*.example.com"],
        ));
    }
    errs
}

/// `IsValidPortName`: an IANA service name. At most 15 characters of `[-a-z0-9]`, at least one
/// letter, no `--`, no leading or trailing `-`; one message per broken rule.
pub fn is_valid_port_name(port: &str) -> Vec<String> {
    let b = port.as_bytes();
    let mut errs = Vec::new();
    if b.len() > PORT_NAME_MAX_LENGTH {
        errs.push(max_len_chars(PORT_NAME_MAX_LENGTH));
    }
    if b.is_empty() || !b.iter().all(|&c| is_lower_alnum(c) || c == b'-') {
        errs.push(
            "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".to_owned(),
        );
    }
    if !b.iter().any(u8::is_ascii_lowercase) {
        errs.push("must contain at least one letter (a-z)".to_owned());
    }
    if port.contains("--") {
        errs.push("must not contain consecutive hyphens".to_owned());
    }
    if b.first() == Some(&b'-') || b.last() == Some(&b'-') {
        errs.push("must not begin or end with a hyphen".to_owned());
    }
    errs
}

/// `IsValidPortNum`: 1 to 65535.
pub fn is_valid_port_num(port: i64) -> Vec<String> {
    if (1..=65535).contains(&port) {
        Vec::new()
    } else {
        vec!["must be between 1 and 65535, inclusive".to_owned()]
    }
}

/// `IsQualifiedName` (= `content.IsLabelKey`): an optional DNS-1123 subdomain prefix and `/`,
/// then a name of at most 63 characters of `[-A-Za-z0-9_.]`, starting and ending alphanumeric.
pub fn is_qualified_name(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let parts: Vec<&str> = value.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errs.push("prefix part must be non-empty".to_owned());
            } else {
                for msg in dns1123_subdomain_content(prefix) {
                    errs.push(format!("prefix part {msg}"));
                }
            }
            *name
        }
        _ => {
            errs.push(format!(
                "a valid label key {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(LABEL_KEY_ERR, LABEL_KEY_FMT, &["MyName", "my.name", "123-abc"])
            ));
            return errs;
        }
    };
    if name.is_empty() {
        errs.push("name part must be non-empty".to_owned());
    } else if name.len() > LABEL_VALUE_MAX_LENGTH {
        errs.push(format!(
            "name part {}",
            max_len_bytes(LABEL_VALUE_MAX_LENGTH)
        ));
    }
    if !matches_label_key_name(name) {
        errs.push(format!(
            "name part {}",
            regex_error(
                LABEL_KEY_ERR,
                LABEL_KEY_FMT,
                &["MyName", "my.name", "123-abc"]
            )
        ));
    }
    errs
}

/// `IsValidLabelValue` (= `content.IsLabelValue`): empty, or at most 63 characters of
/// `[-A-Za-z0-9_.]` starting and ending alphanumeric.
pub fn is_valid_label_value(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > LABEL_VALUE_MAX_LENGTH {
        errs.push(max_len_bytes(LABEL_VALUE_MAX_LENGTH));
    }
    if !(value.is_empty() || matches_label_key_name(value)) {
        errs.push(regex_error(
            LABEL_VALUE_ERR,
            LABEL_VALUE_FMT,
            &["MyValue", "my_value", "12345"],
        ));
    }
    errs
}

/// `content.IsPathSegmentName`: the name can be used as one segment of a REST path: not `.`
/// or `..`, and without `/` or `%`. Empty names and length are not checked here.
pub fn is_path_segment_name(name: &str) -> Vec<String> {
    if name == "." || name == ".." {
        return vec![format!("may not be '{name}'")];
    }
    let mut errs = Vec::new();
    for illegal in ["/", "%"] {
        if name.contains(illegal) {
            errs.push(format!("may not contain '{illegal}'"));
        }
    }
    errs
}

// === IP addresses ===

/// Parses `s` as `netutils.ParseIPSloppy` (`k8s.io/utils/net`) does: Go 1.16's `net.ParseIP`,
/// which accepts leading zeros in IPv4 octets (`010.1.1.1` is 10.1.1.1, not octal).
///
/// The first `.` or `:` decides the family: dotted IPv4 (`d.d.d.d`), or IPv6 with at most one
/// `::` and an optional trailing dotted IPv4 (`::ffff:1.2.3.4`). Zones (`%eth0`), brackets and
/// ports are not IP addresses. The API server rejects Ingress rule hosts that parse.
pub fn parse_ip_sloppy(s: &str) -> Option<IpAddr> {
    for &b in s.as_bytes() {
        match b {
            b'.' => return parse_ipv4(s.as_bytes()).map(|o| IpAddr::V4(Ipv4Addr::from(o))),
            b':' => return parse_ipv6(s.as_bytes()).map(|o| IpAddr::V6(Ipv6Addr::from(o))),
            _ => {}
        }
    }
    None
}

/// Go's `big`: `dtoi`/`xtoi` give up at this value so that long digit runs cannot overflow.
const BIG: u32 = 0x00FF_FFFF;

/// Go's `dtoi`: a decimal number at the start of `s`; `(value, digits used)`.
fn dtoi(s: &[u8]) -> Option<(u32, usize)> {
    let mut n: u32 = 0;
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        if !c.is_ascii_digit() {
            break;
        }
        n = n * 10 + u32::from(c - b'0');
        if n >= BIG {
            return None;
        }
        i += 1;
    }
    if i == 0 { None } else { Some((n, i)) }
}

/// Go's `xtoi`: a hexadecimal number at the start of `s`; `(value, digits used)`.
fn xtoi(s: &[u8]) -> Option<(u32, usize)> {
    let mut n: u32 = 0;
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => break,
        };
        n = n * 16 + u32::from(d);
        if n >= BIG {
            return None;
        }
        i += 1;
    }
    if i == 0 { None } else { Some((n, i)) }
}

/// Go 1.16 `parseIPv4`, without the leading-zero check Go 1.17 added (kubernetes#100895).
fn parse_ipv4(mut s: &[u8]) -> Option<[u8; 4]> {
    let mut out = [0u8; 4];
    for (i, octet) in out.iter_mut().enumerate() {
        if s.is_empty() {
            return None;
        }
        if i > 0 {
            s = s.strip_prefix(b".")?;
        }
        let (n, used) = dtoi(s)?;
        *octet = u8::try_from(n).ok()?;
        s = s.get(used..)?;
    }
    if s.is_empty() { Some(out) } else { None }
}

/// Go 1.16 `parseIPv6` (RFC 4291 text form, one `::`, optional trailing IPv4).
fn parse_ipv6(mut s: &[u8]) -> Option<[u8; 16]> {
    let mut ip = [0u8; 16];
    let mut ellipsis: Option<usize> = None;

    if let Some(rest) = s.strip_prefix(b"::") {
        ellipsis = Some(0);
        s = rest;
        if s.is_empty() {
            return Some(ip);
        }
    }

    let mut i = 0;
    while i < 16 {
        let (n, used) = xtoi(s)?;
        if n > 0xFFFF {
            return None;
        }
        // Followed by a dot: the trailing IPv4 part, parsed from the start of this number.
        if s.get(used) == Some(&b'.') {
            if ellipsis.is_none() && i != 12 {
                return None;
            }
            if i + 4 > 16 {
                return None;
            }
            let v4 = parse_ipv4(s)?;
            ip.get_mut(i..i + 4)?.copy_from_slice(&v4);
            s = &[];
            i += 4;
            break;
        }
        let [hi, lo] = u16::try_from(n).ok()?.to_be_bytes();
        *ip.get_mut(i)? = hi;
        *ip.get_mut(i + 1)? = lo;
        i += 2;

        s = s.get(used..)?;
        if s.is_empty() {
            break;
        }
        if s[0] != b':' || s.len() == 1 {
            return None;
        }
        s = &s[1..];
        if s[0] == b':' {
            if ellipsis.is_some() {
                return None;
            }
            ellipsis = Some(i);
            s = &s[1..];
            if s.is_empty() {
                break;
            }
        }
    }

    if !s.is_empty() {
        return None;
    }
    if i < 16 {
        let at = ellipsis?;
        let n = 16 - i;
        // Move the groups after the ellipsis to the end and zero the gap.
        ip.copy_within(at..i, at + n);
        ip.get_mut(at..at + n)?.fill(0);
    } else if ellipsis.is_some() {
        // The ellipsis must stand for at least one group of zeros.
        return None;
    }
    Some(ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

    #[test]
    fn dns1123_subdomain() {
        for ok in [
            "a",
            "0",
            "foo.com",
            "a-b.c-d",
            "1.2.3.4",
            "x--y.z",
            "a.b.c.d.e",
        ] {
            assert!(is_dns1123_subdomain(ok).is_empty(), "{ok}");
        }
        for bad in [
            "",
            "Foo.com",
            "foo.com.",
            ".foo",
            "foo..com",
            "foo_bar.com",
            "-a",
            "a-",
            "a.-b",
            "foobar:80",
            "é.com",
            "*.foo.com",
            "foo\n",
        ] {
            assert_eq!(is_dns1123_subdomain(bad), vec![SUBDOMAIN_MSG], "{bad:?}");
        }
        // 254 characters of valid labels: only the length message.
        let long = format!("{0}.{0}.{0}.{1}", "a".repeat(63), "a".repeat(62));
        assert_eq!(long.len(), 254);
        assert_eq!(
            is_dns1123_subdomain(&long),
            vec!["must be no more than 253 characters"]
        );
        assert!(is_dns1123_subdomain(&long[1..]).is_empty());
        // No per-label limit in the subdomain rule.
        assert!(is_dns1123_subdomain(&"a".repeat(100)).is_empty());
    }

    #[test]
    fn dns1123_label() {
        assert!(is_dns1123_label("my-name").is_empty());
        assert!(is_dns1123_label("123-abc").is_empty());
        assert_eq!(is_dns1123_label("a.b"), vec!["must not contain dots"]);
        assert_eq!(
            is_dns1123_label("foo_ns"),
            vec![
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
            ]
        );
        assert_eq!(
            is_dns1123_label(&"a".repeat(64)),
            vec!["must be no more than 63 characters"]
        );
        assert_eq!(is_dns1123_label(&"a.".repeat(40)).len(), 2);
    }

    #[test]
    fn dns1035_label() {
        assert!(is_dns1035_label("my-svc").is_empty());
        assert!(is_dns1035_label("a").is_empty());
        let msg = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
        for bad in ["1svc", "", "svc-", "Svc", "s.vc"] {
            assert_eq!(is_dns1035_label(bad), vec![msg], "{bad:?}");
        }
        assert!(is_dns1123_label("1svc").is_empty());
    }

    #[test]
    fn wildcard_subdomain() {
        for ok in ["*.bar.com", "*.com", "*.a-b.c"] {
            assert!(is_wildcard_dns1123_subdomain(ok).is_empty(), "{ok}");
        }
        for bad in [
            "*",
            "*.",
            "*foo.com",
            "foo.*.com",
            "*.*.com",
            "*.Bar.com",
            "**.com",
        ] {
            assert_eq!(is_wildcard_dns1123_subdomain(bad).len(), 1, "{bad}");
        }
        assert!(
            is_wildcard_dns1123_subdomain("foo.*.bar.com")[0].starts_with(
                "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain"
            )
        );
        let long = format!("*.{}", "a".repeat(252));
        assert_eq!(
            is_wildcard_dns1123_subdomain(&long),
            vec!["must be no more than 253 characters"]
        );
    }

    #[test]
    fn port_names() {
        assert!(is_valid_port_name("http").is_empty());
        assert!(is_valid_port_name("h-2").is_empty());
        assert_eq!(
            is_valid_port_name("8080"),
            vec!["must contain at least one letter (a-z)"]
        );
        assert_eq!(
            is_valid_port_name("-http"),
            vec!["must not begin or end with a hyphen"]
        );
        assert_eq!(
            is_valid_port_name("a--b"),
            vec!["must not contain consecutive hyphens"]
        );
        assert_eq!(
            is_valid_port_name("HTTP"),
            vec![
                "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
                "must contain at least one letter (a-z)"
            ]
        );
        assert_eq!(
            is_valid_port_name("abcdefghijklmnop"),
            vec!["must be no more than 15 characters"]
        );
        assert_eq!(is_valid_port_name("--").len(), 3);
    }

    #[test]
    fn port_numbers() {
        assert!(is_valid_port_num(1).is_empty());
        assert!(is_valid_port_num(65535).is_empty());
        for bad in [0, -1, 65536, i64::MAX, i64::MIN] {
            assert_eq!(
                is_valid_port_num(bad),
                vec!["must be between 1 and 65535, inclusive"]
            );
        }
    }

    #[test]
    fn qualified_names_and_label_values() {
        for ok in [
            "a",
            "MyName",
            "my.name",
            "example.com/MyName",
            "kubernetes.io/ingress.class",
        ] {
            assert!(is_qualified_name(ok).is_empty(), "{ok}");
        }
        assert_eq!(
            is_qualified_name("/a"),
            vec!["prefix part must be non-empty"]
        );
        assert_eq!(is_qualified_name("a/").len(), 2);
        assert_eq!(is_qualified_name("a/b/c").len(), 1);
        assert!(is_qualified_name("a/b/c")[0].starts_with("a valid label key must consist of"));
        assert!(is_qualified_name("Foo.com/a")[0].starts_with("prefix part a lowercase RFC 1123"));
        assert_eq!(
            is_qualified_name(&"a".repeat(64)),
            vec!["name part must be no more than 63 bytes"]
        );
        assert!(is_valid_label_value("").is_empty());
        assert!(is_valid_label_value("my_value").is_empty());
        assert_eq!(is_valid_label_value("-x").len(), 1);
        assert_eq!(is_valid_label_value(&"a".repeat(64)).len(), 1);
    }

    #[test]
    fn path_segment_names() {
        assert!(is_path_segment_name("foo").is_empty());
        assert_eq!(is_path_segment_name(".."), vec!["may not be '..'"]);
        assert_eq!(is_path_segment_name("."), vec!["may not be '.'"]);
        assert_eq!(
            is_path_segment_name("a/%"),
            vec!["may not contain '/'", "may not contain '%'"]
        );
    }

    #[test]
    fn regex_error_spacing() {
        assert_eq!(
            regex_error("m", "f", &["a", "b"]),
            "m (e.g. 'a',  or 'b', regex used for validation is 'f')"
        );
        assert_eq!(
            regex_error("m", "f", &[]),
            "m (regex used for validation is 'f')"
        );
    }

    #[test]
    fn ip_parsing_is_lenient_like_go_1_16() {
        let v4 = |s: &str| parse_ip_sloppy(s);
        assert_eq!(v4("127.0.0.1"), Some("127.0.0.1".parse().unwrap()));
        assert_eq!(v4("010.1.1.1"), Some("10.1.1.1".parse().unwrap()));
        assert_eq!(v4("0000000001.1.1.1"), Some("1.1.1.1".parse().unwrap()));
        for bad in [
            "",
            "1.2.3",
            "1.2.3.4.",
            "1.2.3.256",
            "1.2.3.4.5",
            "a.b.c.d",
            "1..2.3",
            "foo.com",
            "99999999999.1.1.1",
            "1.2.3.4:80",
            " 1.2.3.4",
        ] {
            assert_eq!(parse_ip_sloppy(bad), None, "{bad:?}");
        }
        for (text, canonical) in [
            ("::", "::"),
            ("::1", "::1"),
            ("2001:db8::68", "2001:db8::68"),
            ("::ffff:1.2.3.4", "::ffff:1.2.3.4"),
            ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
            ("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"),
            ("fe80::", "fe80::"),
            ("0000:0:0:0:0:0:0:1", "::1"),
            // Go 1.16 accepts an ellipsis standing for a single group.
            ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
        ] {
            assert_eq!(
                parse_ip_sloppy(text),
                Some(canonical.parse().unwrap()),
                "{text}"
            );
        }
        for bad in [
            ":",
            ":::",
            "1:2:3:4:5:6:7:8:9",
            "1:2:3:4:5:6:7",
            "1::2::3",
            "1:2:3:4:5:6:7:8::",
            "::1%eth0",
            "[::1]",
            "12345::",
            "1:",
            ":1",
            "1:2:3:4:5:1.2.3.4",
            "::1.2.3",
            "::a1.2.3.4",
        ] {
            assert_eq!(parse_ip_sloppy(bad), None, "{bad:?}");
        }
        assert!(parse_ip_sloppy("foo").is_none());
    }

    #[test]
    fn nothing_panics_on_odd_input() {
        let long = "9".repeat(100_000);
        let colons = ":".repeat(1000);
        let inputs = [
            "é",
            "日本.com",
            "\u{0}",
            "*.",
            "*",
            ".",
            "..",
            ":",
            "1.",
            long.as_str(),
            colons.as_str(),
            "::ffff:",
            "1:2:3:4:5:6:7:8.",
            "ffff:1.2.3.4",
            "::1.2.3.4.5",
        ];
        for s in inputs {
            let _ = is_dns1123_label(s);
            let _ = is_dns1123_subdomain(s);
            let _ = is_dns1035_label(s);
            let _ = is_wildcard_dns1123_subdomain(s);
            let _ = is_valid_port_name(s);
            let _ = is_qualified_name(s);
            let _ = is_valid_label_value(s);
            let _ = is_path_segment_name(s);
            let _ = parse_ip_sloppy(s);
        }
    }
}
