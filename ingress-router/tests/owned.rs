//! `OwnedDecision`: a decision a gateway keeps in a request's extensions, valid after the table
//! it came from is dropped or replaced, and the same answer as the borrowed `Decision`.

use std::sync::Arc;

use ingress_model::IngressBackend;
use ingress_router::reference::Outcome;
use ingress_router::{Decision, MatchKind, OwnedDecision, RequestView, RouteTable};

use crate::support::{backend_name, ingress, with_default, with_path};

fn table() -> RouteTable<IngressBackend> {
    let shop = with_default(
        with_path(
            with_path(
                ingress("shop", "web", Some(1)),
                "foo.com",
                "Prefix",
                "/shop",
                "shop",
            ),
            "foo.com",
            "Exact",
            "/cart",
            "cart",
        ),
        "shop-default",
    );
    let blog = with_path(
        ingress("blog", "posts", Some(2)),
        "blog.com",
        "Prefix",
        "/posts",
        "posts",
    );
    RouteTable::builder().add(&shop).add(&blog).build().table
}

fn name(d: &OwnedDecision<IngressBackend>) -> String {
    d.backend().map_or_else(|| "404".to_owned(), backend_name)
}

#[test]
fn owned_decisions_say_what_the_borrowed_ones_say() {
    let table = table();
    for (host, path) in [
        ("foo.com", "/cart"),
        ("foo.com", "/shop/x"),
        ("foo.com", "/x"),
        ("blog.com", "/posts/1"),
        ("blog.com", "/nothing"),
        ("elsewhere", "/"),
    ] {
        let view = RequestView::new(host, path);
        let borrowed = table.find(&view);
        let owned = table.find_owned(&view);
        assert_eq!(
            Outcome::of(&owned.as_decision()),
            Outcome::of(&borrowed),
            "{host}{path}"
        );
        assert_eq!(owned.backend(), borrowed.backend());
        assert_eq!(owned.source(), borrowed.source());
        assert_eq!(
            owned.rule().map(|r| r.origin()),
            borrowed.rule().map(|r| r.origin())
        );
        assert_eq!(owned.is_not_found(), borrowed.is_not_found());
        assert_eq!(owned.is_route(), matches!(borrowed, Decision::Route(_)));
        assert_eq!(
            owned.is_default_backend(),
            matches!(borrowed, Decision::DefaultBackend(_))
        );
        // Three ways to the same value, and its clones.
        let from = OwnedDecision::from(borrowed);
        assert_eq!(Outcome::of(&from.as_decision()), Outcome::of(&borrowed));
        assert_eq!(
            Outcome::of(&owned.clone().as_decision()),
            Outcome::of(&borrowed)
        );
        assert_eq!(format!("{owned:?}"), format!("{borrowed:?}"));
    }
}

#[test]
fn owned_decisions_outlive_their_table() {
    let table = table();
    let route = table.find_owned(&RequestView::new("foo.com", "/cart"));
    let fallback = table.find_owned(&RequestView::new("foo.com", "/x/y"));
    let missing = table.find_owned(&RequestView::new("blog.com", "/x"));
    drop(table);

    let rule = route.rule().expect("a route");
    assert_eq!(name(&route), "cart");
    assert_eq!(route.source().unwrap().to_string(), "shop/web");
    assert_eq!(
        (
            rule.host(),
            rule.path(),
            rule.path_type().as_str(),
            rule.kind()
        ),
        (Some("foo.com"), "/cart", "Exact", MatchKind::Exact)
    );
    assert_eq!((rule.rule_index(), rule.path_index()), (1, 0));
    match fallback.as_decision() {
        Decision::DefaultBackend(d) => {
            assert_eq!(backend_name(d.backend), "shop-default");
            assert_eq!(d.source.to_string(), "shop/web");
        }
        other => panic!("{other:?}"),
    }
    assert!(fallback.rule().is_none());
    assert!(missing.is_not_found() && missing.source().is_none());
}

#[test]
fn owned_decisions_survive_a_swap_and_keep_the_old_answer() {
    // A controller swaps the table while requests routed by the old one are in flight.
    let current = arc_swap_like(table());
    let decision = current
        .lock()
        .unwrap()
        .find_owned(&RequestView::new("foo.com", "/cart"));
    let replacement = with_path(
        ingress("shop", "web", Some(1)),
        "foo.com",
        "Exact",
        "/cart",
        "cart-v2",
    );
    let next = current.lock().unwrap().with_ingress(&replacement).table;
    *current.lock().unwrap() = next;
    assert_eq!(name(&decision), "cart", "the old table's answer, intact");
    let now = current
        .lock()
        .unwrap()
        .find_owned(&RequestView::new("foo.com", "/cart"));
    assert_eq!(name(&now), "cart-v2");
}

fn arc_swap_like<T>(t: T) -> Arc<std::sync::Mutex<T>> {
    Arc::new(std::sync::Mutex::new(t))
}

#[test]
fn owned_decisions_cross_threads() {
    let table = table();
    let decision = table.find_owned(&RequestView::new("blog.com", "/posts"));
    drop(table);
    let name = std::thread::spawn(move || name(&decision)).join().unwrap();
    assert_eq!(name, "posts");
}

#[test]
fn an_explanation_decision_can_be_owned_too() {
    let table = table();
    let explained = table.explain(&RequestView::new("foo.com", "/cart"));
    let owned = explained.decision.into_owned();
    drop(explained);
    drop(table);
    assert_eq!(name(&owned), "cart");
}
