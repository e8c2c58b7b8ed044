//! [`InvalidHost`]: the strict reading of a request's host (feature `http`), for a gateway that
//! answers a malformed host with 400 Bad Request instead of routing it as an opaque host.
//!
//! The syntax accepted, per field (`Host` header, URI authority):
//!
//! ```text
//! value    = [ host [ ":" port ] ]         ; empty only as a whole (an empty Host header)
//! host     = name / "[" IPv6address "]"
//! name     = *( ALPHA / DIGIT / "-" / "." / "_" / "~" )
//! port     = *5DIGIT                       ; at most 65535; empty is no port
//! ```
//!
//! `name` is RFC 3986's reg-name without percent-encoding and sub-delims (`!$&'()*+,;=`), which
//! no DNS name, hence no rule host, has. `IPv6address` is what `std::net::Ipv6Addr` parses: no
//! zone identifier, no IPvFuture. A `name` is not required to be a DNS name (empty labels and
//! long labels pass): such hosts are well-formed and simply match no rule host.

use std::fmt;
use std::net::Ipv6Addr;

use http::header::HOST;
use http::{HeaderMap, Uri, Version};

use crate::scan::is_name_byte;

/// Which field of a request carried a host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HostField {
    /// The `Host` header field.
    Host,
    /// The request target's authority: HTTP/2 `:authority`, or the authority of an HTTP/1.1
    /// absolute-form (or authority-form) target.
    Authority,
}

impl fmt::Display for HostField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HostField::Host => "Host header",
            HostField::Authority => "request target authority",
        })
    }
}

/// Why [`RequestView::try_from_parts`](crate::RequestView::try_from_parts) refused a request:
/// a gateway answers each with 400 Bad Request (RFC 9112 section 3.2: "A server MUST respond
/// with a 400 (Bad Request) status code to any HTTP/1.1 request message that lacks a Host header
/// field and to any request message that contains more than one Host header field line or a
/// Host header field with an invalid field value").
///
/// The errors name the field and the offending byte, never echo the value (it is the client's,
/// and may be anything).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidHost {
    /// More than one `Host` header field line.
    #[error("{count} Host header fields; a request has at most one (RFC 9112 section 3.2)")]
    SeveralHostHeaders {
        /// How many there are.
        count: usize,
    },
    /// An HTTP/1.1 request with neither a `Host` header nor an authority in its target.
    #[error(
        "an HTTP/1.1 request without a Host header field or an absolute-form target \
         (RFC 9112 section 3.2)"
    )]
    Missing,
    /// `user@` before the host (RFC 9110 section 4.2.4: a sender must not generate it, and a
    /// recipient cannot know which host a front proxy saw).
    #[error(
        "{field}: userinfo (`...@`) is not allowed in an HTTP authority (RFC 9110 section 4.2.4)"
    )]
    Userinfo {
        /// Where.
        field: HostField,
    },
    /// A byte a host name cannot have: anything but ASCII letters, digits, `-._~` (including
    /// `%`, sub-delims, spaces, controls and every non-ASCII byte).
    #[error(
        "{field}: byte {} at offset {at} is not allowed in a host name \
         (ASCII letters, digits, `-._~`)",
        shown(.byte)
    )]
    Character {
        /// Where.
        field: HostField,
        /// Offset of the byte in the field's value.
        at: usize,
        /// The byte.
        byte: u8,
    },
    /// A port that is not 1 to 5 digits, or above 65535.
    #[error("{field}: the port is not a number from 0 to 65535")]
    Port {
        /// Where.
        field: HostField,
    },
    /// `:port` with nothing before it.
    #[error("{field}: a port without a host")]
    PortWithoutHost {
        /// Where.
        field: HostField,
    },
    /// A `[` without `]`, brackets around something that is not an IPv6 address, something
    /// other than a port after `]`, or an IPv6 address without brackets (several `:`).
    #[error("{field}: an IP literal must be an IPv6 address in brackets, then at most a port")]
    IpLiteral {
        /// Where.
        field: HostField,
    },
    /// An HTTP/2 or HTTP/3 request whose `:authority` and `Host` header name different hosts
    /// (RFC 9113 section 8.3.1, RFC 9114 section 4.3.1), compared as the table would route them
    /// plus the port: ASCII case-insensitively, one trailing dot ignored, IPv6 addresses as
    /// addresses, and a missing port read as the scheme's default (80 for `http`, 443 for
    /// `https`: RFC 3986 section 6.2.3's scheme-based normalisation).
    #[error(
        "the request target authority and the Host header name different hosts \
         (RFC 9113 section 8.3.1)"
    )]
    Mismatch,
}

/// A byte for an error message: itself when it is visible ASCII, else its value.
fn shown(byte: &u8) -> Shown {
    Shown(*byte)
}

struct Shown(u8);

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_ascii_graphic() {
            write!(f, "{:?}", char::from(self.0))
        } else {
            write!(f, "{:#04x}", self.0)
        }
    }
}

/// A host as the strict syntax reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Host<'a> {
    Name(&'a [u8]),
    Ip(Ipv6Addr),
}

/// A well-formed field value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Parsed<'a> {
    host: Host<'a>,
    port: Option<u16>,
}

/// Checks the host fields of a request head (see [`InvalidHost`] for the rules).
pub(crate) fn check(version: Version, uri: &Uri, headers: &HeaderMap) -> Result<(), InvalidHost> {
    let mut hosts = headers.get_all(HOST).iter();
    let host = hosts.next();
    let extra = hosts.count();
    if extra > 0 {
        return Err(InvalidHost::SeveralHostHeaders { count: extra + 1 });
    }
    let host = host
        .map(|v| parse(HostField::Host, v.as_bytes()))
        .transpose()?;
    let authority = uri
        .authority()
        .map(|a| parse(HostField::Authority, a.as_str().as_bytes()))
        .transpose()?;
    match (authority, host) {
        (None, None) if version == Version::HTTP_11 => Err(InvalidHost::Missing),
        (Some(a), Some(h))
            if matches!(version, Version::HTTP_2 | Version::HTTP_3)
                && !same_entity(a, h, uri.scheme_str()) =>
        {
            Err(InvalidHost::Mismatch)
        }
        // HTTP/1.x: an absolute-form target's authority overrides Host (RFC 9112 section
        // 3.2.2), which must still be well-formed.
        _ => Ok(()),
    }
}

/// Reads one field value, or says what is wrong with it.
fn parse(field: HostField, value: &[u8]) -> Result<Parsed<'_>, InvalidHost> {
    if value.contains(&b'@') {
        return Err(InvalidHost::Userinfo { field });
    }
    let ip_literal = InvalidHost::IpLiteral { field };
    let (host, rest) = if let Some(inside) = value.strip_prefix(b"[") {
        let close = inside.iter().position(|&b| b == b']').ok_or(ip_literal)?;
        let ip = std::str::from_utf8(&inside[..close])
            .ok()
            .and_then(|text| text.parse::<Ipv6Addr>().ok())
            .ok_or(ip_literal)?;
        (Host::Ip(ip), &inside[close + 1..])
    } else {
        let end = value.iter().position(|&b| b == b':').unwrap_or(value.len());
        let (name, rest) = value.split_at(end);
        if let Some(at) = name.iter().position(|&b| !is_name_byte(b)) {
            return Err(InvalidHost::Character {
                field,
                at,
                byte: name[at],
            });
        }
        if rest.len() > 1 && rest[1..].contains(&b':') {
            return Err(ip_literal);
        }
        if name.is_empty() && !rest.is_empty() {
            return Err(InvalidHost::PortWithoutHost { field });
        }
        (Host::Name(name), rest)
    };
    let port = match rest {
        [] | [b':'] => None,
        [b':', digits @ ..] => Some(port(digits).ok_or(InvalidHost::Port { field })?),
        _ => return Err(ip_literal),
    };
    Ok(Parsed { host, port })
}

fn strip_dot(name: &[u8]) -> &[u8] {
    name.strip_suffix(b".").unwrap_or(name)
}

/// 1 to 5 ASCII digits, at most 65535.
fn port(digits: &[u8]) -> Option<u16> {
    if digits.len() > 5 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = digits
        .iter()
        .fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'));
    u16::try_from(n).ok()
}

/// Whether two fields name the same host and port (see [`InvalidHost::Mismatch`]).
fn same_entity(a: Parsed<'_>, b: Parsed<'_>, scheme: Option<&str>) -> bool {
    let default = match scheme {
        Some(s) if s.eq_ignore_ascii_case("https") => Some(443),
        Some(s) if s.eq_ignore_ascii_case("http") => Some(80),
        _ => None,
    };
    let hosts = match (a.host, b.host) {
        (Host::Name(x), Host::Name(y)) => strip_dot(x).eq_ignore_ascii_case(strip_dot(y)),
        (Host::Ip(x), Host::Ip(y)) => x == y,
        _ => false,
    };
    hosts && a.port.or(default) == b.port.or(default)
}
