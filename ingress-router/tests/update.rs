//! Incremental updates: replacing or removing one Ingress rebuilds only the host groups it
//! touches, gives the same answers as building from scratch, and says whose diagnostics changed.
use ingress_model::Ingress;
use ingress_router::reference::Outcome;
use ingress_router::{Config, DiagnosticKind, HostOwnership, IngressKey, RouteTable, Skipped};

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

#[test]
fn deleting_a_shadowing_ingress_reports_the_shadowed_one() {
    // "old" and "new" both route foo.com/api; "old" is older and wins, "new" is reported.
    let old = with_path(
        ingress("a", "old", Some(1)),
        "foo.com",
        "Prefix",
        "/api",
        "old",
    );
    let new = with_path(
        ingress("b", "new", Some(2)),
        "foo.com",
        "Prefix",
        "/api",
        "new",
    );
    let other = with_path(
        ingress("c", "other", Some(0)),
        "bar.com",
        "Prefix",
        "/",
        "other",
    );
    let table = from_scratch(&[old.clone(), new.clone(), other]);
    assert!(
        table
            .diagnostics_for(&new.key())
            .iter()
            .any(|d| matches!(d.kind, DiagnosticKind::DuplicatePath { .. }))
    );

    let update = table.without_ingress(&old.key());
    // The deleted Ingress and the one it shadowed; not the unrelated one.
    assert_eq!(update.changed, [old.key(), new.key()]);
    assert_eq!(update.table.diagnostics_for(&new.key()), []);
    assert_eq!(update.diagnostics, []);
    assert_eq!(name(&update.table, "foo.com", "/api"), "new");

    // Putting it back makes "new" shadowed again, and says so.
    let update = update.table.with_ingress(&old);
    assert_eq!(update.changed, [old.key(), new.key()]);
    assert!(update.diagnostics.iter().all(|d| d.source == new.key()));
    assert_eq!(update.diagnostics.len(), 2, "{:?}", update.diagnostics); // duplicate + namespaces
}

fn name(t: &RouteTable<ingress_model::IngressBackend>, host: &str, path: &str) -> String {
    t.find_parts(host, path)
        .backend()
        .map_or("404".to_owned(), crate::support::backend_name)
}

#[test]
fn first_namespace_owns_a_host() {
    let config = Config::default().host_ownership(HostOwnership::FirstNamespace);
    let team = with_path(
        ingress("team", "shop", Some(1)),
        "shop.com",
        "Prefix",
        "/",
        "shop",
    );
    // A tenant in another namespace claims a longer path on the same host, and a host of its own.
    let mut tenant = with_path(
        ingress("tenant", "grab", Some(2)),
        "shop.com",
        "Prefix",
        "/admin",
        "grab",
    );
    crate::support::add_path(&mut tenant, "tenant.com", "Prefix", "/", "mine");
    let built = RouteTable::builder()
        .config(config.clone())
        .add_all([&team, &tenant])
        .build();
    assert_eq!(name(&built.table, "shop.com", "/admin"), "shop");
    assert_eq!(name(&built.table, "tenant.com", "/"), "mine");
    let refused: Vec<_> = built
        .diagnostics
        .iter()
        .filter(|d| matches!(d.kind, DiagnosticKind::HostOwnedByAnotherNamespace { .. }))
        .collect();
    assert_eq!(refused.len(), 1, "{:?}", built.diagnostics);
    assert_eq!(refused[0].source, tenant.key());
    assert_eq!(refused[0].field, "spec.rules[0].host");
    assert_eq!(refused[0].skipped, Skipped::Rule);
    assert_eq!(
        refused[0].to_string(),
        "tenant/grab: spec.rules[0].host: host \"shop.com\" belongs to namespace \"team\" \
         (its oldest Ingress is team/shop): rules of other namespaces for it are not served \
         (rule skipped)"
    );

    // The owner leaves: the next claim wins, and the tenant's status changes.
    let update = built.table.without_ingress(&team.key());
    assert_eq!(update.changed, [team.key(), tenant.key()]);
    assert_eq!(name(&update.table, "shop.com", "/admin"), "grab");
    assert_eq!(update.table.diagnostics_for(&tenant.key()), []);

    // Under the default policy the tenant takes /admin, with a warning.
    let shared = from_scratch(&[team.clone(), tenant.clone()]);
    assert_eq!(name(&shared, "shop.com", "/admin"), "grab");
}
