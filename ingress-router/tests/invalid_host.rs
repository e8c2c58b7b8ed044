//! `RequestView::try_from_parts`: the strict host check a gateway answers with 400, and its
//! promise that an accepted request reads exactly as `from_parts` reads it.

use http::{Request, Version};
use ingress_router::{HostField, InvalidHost, RequestView};

fn h1(host: &[u8]) -> http::request::Parts {
    Request::get("/a?q")
        .header("host", http::HeaderValue::from_bytes(host).unwrap())
        .body(())
        .unwrap()
        .into_parts()
        .0
}

fn try_host(host: &str) -> Result<String, InvalidHost> {
    let parts = h1(host.as_bytes());
    RequestView::try_from_parts(&parts).map(|v| {
        assert_eq!(v, RequestView::from_parts(&parts), "{host}");
        v.host().to_owned()
    })
}

const HOST: HostField = HostField::Host;
const AUTHORITY: HostField = HostField::Authority;

#[test]
fn well_formed_hosts_read_as_from_parts() {
    for (host, seen) in [
        ("foo.com", "foo.com"),
        ("Foo.COM.:443", "Foo.COM"),
        ("foo.com:", "foo.com"),
        ("foo.com:65535", "foo.com"),
        ("x_y~z-0.example.com", "x_y~z-0.example.com"),
        ("203.0.113.7:80", "203.0.113.7"),
        ("[::1]", "[::1]"),
        ("[2001:db8::1]:8443", "[2001:db8::1]"),
        ("[::ffff:192.0.2.1]", "[::ffff:192.0.2.1]"),
        ("a..b", "a..b"),
        ("", ""),
    ] {
        assert_eq!(try_host(host).as_deref(), Ok(seen), "{host:?}");
    }
}

#[test]
fn malformed_hosts_are_refused_with_the_reason() {
    use InvalidHost::*;
    let cases: &[(&[u8], InvalidHost)] = &[
        (b"user@foo.com", Userinfo { field: HOST }),
        (b"user:pw@foo.com:80", Userinfo { field: HOST }),
        (b"@foo.com", Userinfo { field: HOST }),
        (b"[shop.example.com", IpLiteral { field: HOST }),
        (b"[foo.com]", IpLiteral { field: HOST }),
        (b"[::1", IpLiteral { field: HOST }),
        (b"[::1]x", IpLiteral { field: HOST }),
        (b"[fe80::1%25eth0]", IpLiteral { field: HOST }),
        (b"::1", IpLiteral { field: HOST }),
        (b"2001:db8::1", IpLiteral { field: HOST }),
        (b"foo.com:80:90", IpLiteral { field: HOST }),
        (b"foo.com:http", Port { field: HOST }),
        (b"foo.com:65536", Port { field: HOST }),
        (b"foo.com:000080", Port { field: HOST }),
        (b"[::1]:x", Port { field: HOST }),
        (b":80", PortWithoutHost { field: HOST }),
        (
            b"foo.com]",
            Character {
                field: HOST,
                at: 7,
                byte: b']',
            },
        ),
        (
            b" foo.com",
            Character {
                field: HOST,
                at: 0,
                byte: b' ',
            },
        ),
        (
            b"foo.com\t",
            Character {
                field: HOST,
                at: 7,
                byte: b'\t',
            },
        ),
        (
            b"x%41.com",
            Character {
                field: HOST,
                at: 1,
                byte: b'%',
            },
        ),
        (
            b"x!.com",
            Character {
                field: HOST,
                at: 1,
                byte: b'!',
            },
        ),
        (
            b"*.foo.com",
            Character {
                field: HOST,
                at: 0,
                byte: b'*',
            },
        ),
        (
            b"x/y",
            Character {
                field: HOST,
                at: 1,
                byte: b'/',
            },
        ),
        (
            "\u{fc}.com".as_bytes(),
            Character {
                field: HOST,
                at: 0,
                byte: 0xc3,
            },
        ),
        (
            b"foo.com\xff",
            Character {
                field: HOST,
                at: 7,
                byte: 0xff,
            },
        ),
    ];
    for (host, want) in cases {
        let parts = h1(host);
        assert_eq!(
            RequestView::try_from_parts(&parts),
            Err(*want),
            "{:?}",
            String::from_utf8_lossy(host)
        );
    }
}

#[test]
fn one_host_header_and_none_missing() {
    let (two, ()) = Request::get("/")
        .header("host", "a.com")
        .header("host", "a.com")
        .body(())
        .unwrap()
        .into_parts();
    assert_eq!(
        RequestView::try_from_parts(&two),
        Err(InvalidHost::SeveralHostHeaders { count: 2 })
    );
    let (none, ()) = Request::get("/").body(()).unwrap().into_parts();
    assert_eq!(
        RequestView::try_from_parts(&none),
        Err(InvalidHost::Missing)
    );
    // HTTP/1.0 needs no Host; an absolute-form target carries its own authority.
    let (old, ()) = Request::get("/")
        .version(Version::HTTP_10)
        .body(())
        .unwrap()
        .into_parts();
    assert_eq!(RequestView::try_from_parts(&old).map(|v| v.host()), Ok(""));
    let (absolute, ()) = Request::get("http://foo.com/a")
        .body(())
        .unwrap()
        .into_parts();
    assert_eq!(
        RequestView::try_from_parts(&absolute).map(|v| v.host()),
        Ok("foo.com")
    );
}

#[test]
fn the_authority_is_checked_like_a_host_header() {
    let (userinfo, ()) = Request::get("http://user@foo.com/a")
        .header("host", "foo.com")
        .body(())
        .unwrap()
        .into_parts();
    assert_eq!(
        RequestView::try_from_parts(&userinfo),
        Err(InvalidHost::Userinfo { field: AUTHORITY })
    );
    // HTTP/1.1 absolute form: the target's authority wins over Host (RFC 9112 section 3.2.2),
    // but Host must still be well-formed.
    let (h1, ()) = Request::get("http://foo.com/a")
        .header("host", "other.com")
        .body(())
        .unwrap()
        .into_parts();
    assert_eq!(
        RequestView::try_from_parts(&h1).map(|v| v.host()),
        Ok("foo.com")
    );
    let (bad_host, ()) = Request::get("http://foo.com/a")
        .header("host", "user@other.com")
        .body(())
        .unwrap()
        .into_parts();
    assert_eq!(
        RequestView::try_from_parts(&bad_host),
        Err(InvalidHost::Userinfo { field: HOST })
    );
}

fn h2(authority_uri: &str, host: &str) -> Result<String, InvalidHost> {
    let req = Request::get(authority_uri)
        .version(Version::HTTP_2)
        .header("host", host)
        .body(())
        .unwrap();
    RequestView::try_from_request(&req).map(|v| {
        assert_eq!(v, RequestView::from_request(&req));
        v.host().to_owned()
    })
}

#[test]
fn http2_authority_and_host_must_agree() {
    // Equal after normalisation: case, one trailing dot, the scheme's default port, IPv6
    // addresses as addresses.
    for (uri, host) in [
        ("https://foo.com/", "foo.com"),
        ("https://foo.com/", "FOO.com."),
        ("https://foo.com/", "foo.com:443"),
        ("https://foo.com:443/", "foo.com"),
        ("http://foo.com/", "foo.com:80"),
        ("https://foo.com:8443/", "foo.com:8443"),
        ("https://foo.com:/", "foo.com"),
        ("https://[::1]/", "[0:0::1]:443"),
    ] {
        assert!(h2(uri, host).is_ok(), "{uri} {host}");
    }
    for (uri, host) in [
        ("https://foo.com/", "bar.com"),
        ("https://foo.com/", "foo.com:80"),
        ("http://foo.com/", "foo.com:443"),
        ("https://foo.com:8443/", "foo.com"),
        ("https://foo.com/", "foo.com.."),
        ("https://[::1]/", "[::2]"),
        ("https://[::1]/", "foo.com"),
    ] {
        assert_eq!(h2(uri, host), Err(InvalidHost::Mismatch), "{uri} {host}");
    }
    // Which one the table routes on: the authority, as from_parts does.
    assert_eq!(h2("https://Foo.com/", "foo.com").as_deref(), Ok("Foo.com"));
}

#[test]
fn errors_read_as_sentences_that_name_the_field() {
    let e = |host: &[u8]| {
        RequestView::try_from_parts(&h1(host))
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        e(b"user@foo.com"),
        "Host header: userinfo (`...@`) is not allowed in an HTTP authority (RFC 9110 section 4.2.4)"
    );
    assert_eq!(
        e(b"foo.com]"),
        "Host header: byte ']' at offset 7 is not allowed in a host name (ASCII letters, digits, `-._~`)"
    );
    assert_eq!(
        e(b"foo\xff"),
        "Host header: byte 0xff at offset 3 is not allowed in a host name (ASCII letters, digits, `-._~`)"
    );
    assert_eq!(
        h2("https://foo.com/", "bar.com").unwrap_err().to_string(),
        "the request target authority and the Host header name different hosts (RFC 9113 section 8.3.1)"
    );
}
