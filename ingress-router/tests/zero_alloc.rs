//! `find` does not allocate, nor do `find_owned`, cloning an owned decision and (feature
//! `http`) `RequestView::try_from_parts` on a well-formed request.
//!
//! One test in its own binary, because the counting allocator counts every thread of the
//! process. The workspace forbids `unsafe_code`, and implementing `GlobalAlloc` takes an
//! `unsafe impl`, so the counter is `stats_alloc`'s ready-made `INSTRUMENTED_SYSTEM` (installing
//! it as `#[global_allocator]` needs no `unsafe` in this crate).

use std::alloc::System;
use std::hint::black_box;

use ingress_model::{Ingress, IngressBackend, Timestamp};
use ingress_router::{Config, ImplementationSpecific, PathNormalization, RequestView, RouteTable};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn ingress(name: &str, t: i64, yaml_rules: &[(&str, &str, &str)], default: bool) -> Ingress {
    let mut i = Ingress::default();
    i.metadata.name = Some(name.into());
    i.metadata.namespace = Some("default".into());
    i.metadata.creation_timestamp = Some(Timestamp::from_unix_seconds(1_700_000_000 + t));
    if default {
        i.spec.default_backend = Some(IngressBackend::service(format!("{name}-default"), 80));
    }
    for (host, path_type, path) in yaml_rules {
        i.spec.rules.push(ingress_model::IngressRule {
            host: (!host.is_empty()).then(|| (*host).to_owned()),
            http: Some(ingress_model::HttpIngressRuleValue {
                paths: vec![ingress_model::HttpIngressPath {
                    path: Some((*path).to_owned()),
                    path_type: Some((*path_type).into()),
                    backend: IngressBackend::service(format!("{name}-svc"), 80),
                }],
            }),
        });
    }
    i.spec.tls.push(ingress_model::IngressTls {
        hosts: vec!["*.foo.com".into(), "foo.com".into()],
        secret_name: Some("cert".into()),
    });
    i
}

fn corpus() -> Vec<Ingress> {
    vec![
        ingress(
            "a",
            1,
            &[
                ("foo.com", "Prefix", "/"),
                ("foo.com", "Prefix", "/api"),
                ("foo.com", "Exact", "/api/v1/health"),
                ("foo.com", "Prefix", "/static/"),
                ("foo.com", "ImplementationSpecific", "/app"),
            ],
            true,
        ),
        ingress(
            "b",
            2,
            &[
                ("*.foo.com", "Prefix", "/"),
                ("*.foo.com", "Prefix", "/a/b/c"),
                ("", "Prefix", "/public"),
                ("", "Exact", "/{x}"),
            ],
            false,
        ),
        ingress("c", 3, &[("bar.com", "Exact", "/only")], true),
    ]
}

const REQUESTS: &[(&str, &str)] = &[
    ("foo.com", "/"),
    ("foo.com", "/api/users/42"),
    ("foo.com", "/api/v1/health"),
    ("FOO.COM.:8443", "/static/app.js?v=3"),
    ("foo.com", "/apix"),
    ("foo.com", "/app/x/y/z"),
    ("w.foo.com", "/a/b/c/d"),
    ("W.FOO.com", "/a/b"),
    ("x.y.foo.com", "/public/x"),
    ("unknown.example", "/public"),
    ("unknown.example", "/{x}"),
    ("unknown.example", "/nothing"),
    ("bar.com", "/elsewhere"),
    ("", "/public"),
    ("[::1]:80", "/"),
    // Paths that need normalising use a stack buffer.
    ("foo.com", "/static/../api/./v1/health"),
    ("w.foo.com", "/x/../a/b/c/./d"),
];

#[test]
fn find_does_not_allocate() {
    let ingresses = corpus();
    let tables: Vec<RouteTable<IngressBackend>> = [
        Config::default(),
        Config::default()
            .implementation_specific(ImplementationSpecific::StringPrefix)
            .path_normalization(PathNormalization::NginxLike),
        Config::default()
            .implementation_specific(ImplementationSpecific::Exact)
            .path_normalization(PathNormalization::None),
    ]
    .into_iter()
    .map(|c| {
        RouteTable::builder()
            .config(c)
            .add_all(&ingresses)
            .build()
            .table
    })
    .collect();
    // The host of a very long name and a request path just under the stack buffer.
    let long_host = format!("{}.FOO.com", "x".repeat(400));
    let long_path = format!("/a/../{}", "p".repeat(4000));

    // The same requests as `http` request heads, made before counting.
    #[cfg(feature = "http")]
    let heads = http_heads();
    // Owned decisions made inside the count are dropped after it: a drop frees nothing while
    // the table lives, but keeping them proves nothing was freed and reallocated in between.
    let mut kept = Vec::with_capacity(tables.len() * REQUESTS.len() * 8);

    let region = Region::new(GLOBAL);
    let mut routed = 0usize;
    for table in &tables {
        for (host, path) in REQUESTS {
            let d = table.find(&RequestView::new(black_box(host), black_box(path)));
            routed += usize::from(black_box(d).backend().is_some());
            // Owned, cloned, and from a borrowed decision: reference counts only.
            let owned = table.find_owned(&RequestView::new(black_box(host), black_box(path)));
            let copy = black_box(&owned).clone();
            routed += usize::from(black_box(copy.backend()).is_some());
            kept.push(copy);
            kept.push(d.into_owned());
            kept.push(owned);
        }
        #[cfg(feature = "http")]
        for parts in &heads {
            let strict = RequestView::try_from_parts(black_box(parts));
            let view = strict.expect("well-formed");
            assert!(view == RequestView::from_parts(parts));
            kept.push(table.find_owned(&view));
        }
        let d = table.find(&RequestView::new(&long_host, &long_path));
        routed += usize::from(black_box(d).backend().is_some());
        for sni in ["foo.com", "X.FOO.COM.", "nope.org"] {
            black_box(table.certificate_for(black_box(sni)));
        }
    }
    let stats = region.change();
    drop(kept);
    assert_eq!(
        (
            stats.allocations,
            stats.reallocations,
            stats.bytes_allocated
        ),
        (0, 0, 0),
        "find, find_owned, an owned decision's clone or try_from_parts allocated: {stats:?}"
    );
    // The requests exercise hits, defaults and misses.
    assert!(routed > 60, "{routed}");
}

/// The requests as HTTP/1.1 heads with a `Host` header, and two as HTTP/2 heads with an
/// `:authority` and an agreeing `Host`.
#[cfg(feature = "http")]
fn http_heads() -> Vec<http::request::Parts> {
    let mut heads: Vec<_> = REQUESTS
        .iter()
        .filter(|(host, _)| !host.is_empty())
        .map(|(host, path)| {
            http::Request::get(*path)
                .header("host", *host)
                .body(())
                .unwrap()
                .into_parts()
                .0
        })
        .collect();
    for (uri, host) in [
        ("https://FOO.com/api/users", "foo.com:443"),
        ("https://[::1]:8443/", "[::1]:8443"),
    ] {
        let req = http::Request::get(uri)
            .version(http::Version::HTTP_2)
            .header("host", host)
            .body(())
            .unwrap();
        heads.push(req.into_parts().0);
    }
    heads
}
