//! Incremental updates (issue 4, must 7): replacing or removing one Ingress rebuilds only the
//! host groups it touches, and gives the same answers as building from scratch.

use ingress_model::Ingress;
use ingress_router::reference::Outcome;
use ingress_router::{IngressKey, RouteTable};

use crate::support::{ingress, with_default, with_path, with_tls};

fn corpus() -> Vec<Ingress> {
    vec![
        with_tls(
            with_path(
                ingress("a", "one", Some(1)),
                "foo.com",
                "Prefix",
                "/",
                "one",
            ),
            &["foo.com"],
            Some("foo-cert"),
        ),
        with_path(
            ingress("a", "two", Some(2)),
            "foo.com",
            "Prefix",
            "/api",
            "two",
        ),
        with_path(
            ingress("b", "three", Some(3)),
            "*.bar.com",
            "Exact",
            "/x",
            "three",
        ),
        with_default(
            with_path(ingress("b", "four", Some(4)), "", "Prefix", "/any", "four"),
            "four-default",
        ),
    ]
}

const REQUESTS: &[(&str, &str)] = &[
    ("foo.com", "/"),
    ("foo.com", "/api/x"),
    ("foo.com", "/new"),
    ("x.bar.com", "/x"),
    ("x.bar.com", "/y"),
    ("other", "/any/x"),
    ("other", "/"),
    ("new.com", "/"),
];

fn outcomes(t: &RouteTable<ingress_model::IngressBackend>) -> Vec<Outcome> {
    REQUESTS
        .iter()
        .map(|(h, p)| Outcome::of(&t.find_parts(h, p)))
        .collect()
}

fn from_scratch(ingresses: &[Ingress]) -> RouteTable<ingress_model::IngressBackend> {
    RouteTable::builder().add_all(ingresses).build().table
}

#[test]
fn replace_add_and_remove_agree_with_a_rebuild() {
    let mut set = corpus();
    let table = from_scratch(&set);

    // Replace: "two" moves from foo.com to new.com, gains a TLS host.
    let two = with_tls(
        with_path(
            ingress("a", "two", Some(2)),
            "new.com",
            "Prefix",
            "/",
            "two-v2",
        ),
        &["new.com"],
        Some("new-cert"),
    );
    set[1] = two.clone();
    let updated = table.with_ingress(&two).table;
    assert_eq!(outcomes(&updated), outcomes(&from_scratch(&set)));
    assert_eq!(
        updated.certificate_for("new.com").unwrap().secret_name,
        Some("new-cert")
    );
    assert_eq!(
        updated.certificate_for("foo.com").unwrap().secret_name,
        Some("foo-cert")
    );

    // Add a new one that shares foo.com.
    let five = with_path(
        ingress("c", "five", Some(0)),
        "foo.com",
        "Prefix",
        "/new",
        "five",
    );
    set.push(five.clone());
    let built = updated.with_ingress(&five);
    assert_eq!(outcomes(&built.table), outcomes(&from_scratch(&set)));
    // The rebuilt group reports the namespace conflict.
    assert!(
        built
            .diagnostics
            .iter()
            .any(|d| d.to_string().contains("several namespaces")),
        "{:?}",
        built.diagnostics
    );

    // Remove one, including its TLS entry.
    let one = IngressKey::new("a", "one");
    set.remove(0);
    let removed = built.table.without_ingress(&one).table;
    assert_eq!(outcomes(&removed), outcomes(&from_scratch(&set)));
    assert!(removed.certificate_for("foo.com").is_none());
    assert_eq!(removed.stats().ingresses, set.len());

    // Removing what is not there changes nothing.
    let same = removed.without_ingress(&one).table;
    assert_eq!(outcomes(&same), outcomes(&removed));

    // The old tables still answer as before: updates never mutate.
    assert_eq!(outcomes(&table), outcomes(&from_scratch(&corpus())));
}

#[test]
fn default_backend_changes_follow_updates() {
    let a = with_default(ingress("x", "a", Some(1)), "a-default");
    let table = from_scratch(std::slice::from_ref(&a));
    let b = with_default(ingress("x", "b", Some(0)), "b-default");
    let table = table.with_ingress(&b).table;
    let d = table.find_parts("any", "/");
    assert_eq!(d.source().map(ToString::to_string).as_deref(), Some("x/b"));
    let table = table.without_ingress(&IngressKey::new("x", "b")).table;
    let d = table.find_parts("any", "/");
    assert_eq!(d.source().map(ToString::to_string).as_deref(), Some("x/a"));
}
