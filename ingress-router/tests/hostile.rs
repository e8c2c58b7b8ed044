//! Requests nobody planned for: each gets a clear decision, the same as the reference
//! matcher's, never a panic. What the decision is, and why, is spelled out per case.

use ingress_model::Ingress;
use ingress_router::reference::{Outcome, Reference};
use ingress_router::{Config, PathNormalization, RequestView, RouteTable};

use ingress_router::Decision;

use crate::support::{add_path, backend_name, ingress};

fn name(d: &Decision<'_, ingress_model::IngressBackend>) -> String {
    d.backend().map_or_else(|| "404".to_owned(), backend_name)
}

fn ingresses() -> Vec<Ingress> {
    let mut named = ingress("default", "named", Some(0));
    add_path(&mut named, "foo.com", "Prefix", "/a", "a");
    add_path(&mut named, "foo.com", "Exact", "/a/b", "ab");
    add_path(&mut named, "*.foo.com", "Prefix", "/", "wild");
    let mut catch_all = ingress("default", "catch-all", Some(1));
    add_path(&mut catch_all, "", "Prefix", "/", "any");
    vec![named, catch_all]
}

/// The backend name for `host` and `path`, after checking the table against the reference.
fn route(config: &Config, host: &str, path: &str) -> String {
    let ingresses = ingresses();
    let table = RouteTable::builder()
        .config(config.clone())
        .add_all(&ingresses)
        .build()
        .table;
    let decision = table.find(&RequestView::new(host, path));
    let reference = Reference::new(config, &ingresses);
    assert_eq!(
        Outcome::of(&decision),
        reference.find(host, path).outcome(),
        "table and reference disagree on host {:.40?} path {:.40?}",
        host,
        path
    );
    name(&decision)
}

fn spec(host: &str, path: &str) -> String {
    route(&Config::default(), host, path)
}

#[test]
fn megabyte_hosts_and_paths() {
    let long_label = "a".repeat(1 << 20);
    // Not a rule host, and a wildcard covers one label of any length: the catch-all answers
    // for the long name, the wildcard for a long first label under foo.com.
    assert_eq!(spec(&long_label, "/a"), "any");
    assert_eq!(spec(&format!("{long_label}.foo.com"), "/a"), "wild");
    let long_path = format!("/a/{}", "x".repeat(1 << 20));
    assert_eq!(spec("foo.com", &long_path), "a");
    // A megabyte path full of dot segments is normalised (on the heap past 4 KiB).
    let dots = format!("/{}a", "x/../".repeat(200_000));
    assert_eq!(spec("foo.com", &dots), "a");
}

#[test]
fn thousands_of_segments() {
    let deep = "/a".repeat(10_000);
    assert_eq!(spec("foo.com", &deep), "a");
    assert_eq!(spec("foo.com", &"/".repeat(10_000)), "404");
}

#[test]
fn percent_encoding_is_never_decoded_into_structure() {
    // Broken escapes are plain bytes: no match beyond what they spell literally.
    for p in ["/a%", "/a%zz", "/a%0", "/a%00"] {
        assert_eq!(spec("foo.com", p), "404", "{p}");
    }
    assert_eq!(spec("foo.com", "/a/%zz"), "a");
    // %2F is not a separator: `/a%2Fb` is one element, not `/a` + `/b`.
    assert_eq!(spec("foo.com", "/a%2Fb"), "404");
    assert_eq!(spec("foo.com", "/a/b%2F"), "a", "Prefix /a, not Exact /a/b");
    // The default normalisation removes literal dot segments only; nginx-like decodes
    // unreserved escapes (%2e is `.`) first, then removes them.
    assert_eq!(spec("foo.com", "/x/../a/b"), "ab");
    assert_eq!(spec("foo.com", "/x/%2e%2e/a/b"), "404");
    let nginx = Config::default().path_normalization(PathNormalization::NginxLike);
    assert_eq!(route(&nginx, "foo.com", "/x/%2e%2e/a/b"), "ab");
    assert_eq!(route(&nginx, "foo.com", "/a%2Fb"), "404");
}

#[test]
fn nul_bytes_and_controls() {
    assert_eq!(
        spec("foo.com", "/a\0"),
        "404",
        "the element is `a\\0`, not `a`"
    );
    assert_eq!(spec("foo.com", "/a/\0"), "a");
    assert_eq!(spec("foo.com\0", "/a"), "any", "not the rule host");
    assert_eq!(spec("\0", "/"), "any");
}

#[test]
fn ipv6_literals_with_and_without_ports() {
    for host in [
        "[::1]",
        "[::1]:8080",
        "[2001:db8::1]:443",
        "[::1",
        "::1",
        "2001:db8::1",
    ] {
        assert_eq!(spec(host, "/a"), "any", "{host}");
    }
}

#[test]
fn userinfo_in_a_host_header_matches_no_named_host() {
    // RFC 9110 forbids userinfo in Host and :authority; taking the part after `@` would let a
    // request choose its virtual host in a way no proxy in front of us agreed to. Not even the
    // wildcard's single label may hide it.
    assert_eq!(spec("user@foo.com", "/a"), "any");
    assert_eq!(spec("user:pw@foo.com:80", "/a"), "any");
    assert_eq!(spec("user@x.foo.com", "/a"), "any");
    assert_eq!(spec("@x.foo.com", "/a"), "any");
}

#[test]
fn brackets_are_ip_literals_and_never_names() {
    // `[shop.example.com` is not `shop.example.com` (nor under its wildcard), and brackets
    // around a name do not make it the name.
    for host in [
        "[foo.com",
        "[foo.com]",
        "[foo.com]:80",
        "foo.com]",
        "[x.foo.com",
        "x[.foo.com",
        "[::1]x.foo.com",
        "[]",
        "[",
    ] {
        assert_eq!(spec(host, "/a"), "any", "{host}");
    }
}

#[test]
fn colons_beyond_one_numeric_port_make_the_host_opaque() {
    assert_eq!(spec("foo.com:", "/a"), "a", "an empty port is no port");
    assert_eq!(spec("foo.com:0080", "/a"), "a");
    for host in [
        "foo.com:http",
        "foo.com:80:90",
        "x.foo.com:8a",
        "foo.com::80",
        "x:y.foo.com",
    ] {
        assert_eq!(spec(host, "/a"), "any", "{host}");
    }
}

#[test]
fn only_letters_digits_and_dash_dot_underscore_tilde_make_a_name() {
    for host in ["x_y.foo.com", "x~y.foo.com", "X-Y.FOO.COM."] {
        assert_eq!(spec(host, "/a"), "wild", "{host}");
    }
    for host in [
        " foo.com",
        "foo.com\t",
        "x y.foo.com",
        "\u{fc}.foo.com",
        "foo.c\u{f6}m",
        "x%41.foo.com",
        "*.foo.com",
        "x!.foo.com",
        "x/y.foo.com",
        "x\\y.foo.com",
    ] {
        assert_eq!(spec(host, "/a"), "any", "{host:?}");
    }
}

#[test]
fn empty_labels_and_dots() {
    assert_eq!(
        spec(".foo.com", "/a"),
        "any",
        "an empty first label is not a label"
    );
    assert_eq!(spec("x..foo.com", "/a"), "any");
    assert_eq!(
        spec("foo.com..", "/a"),
        "any",
        "one trailing dot goes, not two"
    );
    assert_eq!(spec(".", "/a"), "any");
    assert_eq!(spec(":80", "/a"), "any");
}

#[cfg(feature = "http")]
#[test]
fn host_headers_that_are_not_ascii_are_opaque() {
    let ingresses = ingresses();
    let table = RouteTable::builder().add_all(&ingresses).build().table;
    let get = |host: &[u8]| {
        http::Request::get("/a")
            .header("host", http::HeaderValue::from_bytes(host).unwrap())
            .body(())
            .unwrap()
    };
    // Not UTF-8: shown as U+FFFD, routed as any other opaque host.
    let req = get(b"x.foo.com\xff");
    let view = RequestView::from_request(&req);
    assert_eq!(view.host(), "\u{fffd}");
    assert_eq!(name(&table.find(&view)), "any");
    // UTF-8 but not ASCII: the same bytes read as `RequestView::new` reads them.
    let req = get("\u{fc}.foo.com".as_bytes());
    let view = RequestView::from_request(&req);
    assert_eq!(view, RequestView::new("\u{fc}.foo.com", "/a"));
    assert_eq!(name(&table.find(&view)), "any");
    // Userinfo: not stripped, whichever field carries it.
    let req = get(b"user@x.foo.com");
    assert_eq!(
        RequestView::from_request(&req),
        RequestView::new("user@x.foo.com", "/a")
    );
    let h2 = http::Request::get("http://user@x.foo.com/a")
        .body(())
        .unwrap();
    assert_eq!(
        RequestView::from_request(&h2),
        RequestView::new("user@x.foo.com", "/a")
    );
    assert_eq!(name(&table.find(&RequestView::from_request(&h2))), "any");
}
