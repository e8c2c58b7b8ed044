// Scaffolding shared by the crate docs' examples (each example pulls it in with a hidden
// `include!("../doc/support.rs")`): build a table from YAML, and name the Service a request
// reaches. Not part of the API. Doctests allow unused items, so an example takes what it needs.
use ingress_model::IngressBackend;
use ingress_router::{RequestView, RouteTable};

/// Loads `yaml` and builds it with `config`; the examples' manifests are clean, so any load
/// error or diagnostic fails the example.
fn build(yaml: &str, config: ingress_router::Config) -> RouteTable<IngressBackend> {
    let m = ingress_model::Manifests::load_str("doc.yaml", yaml, &Default::default());
    assert!(m.errors.is_empty(), "{:?}", m.errors);
    let ingresses: Vec<_> = m.ingresses.into_iter().map(|l| l.object).collect();
    let built = RouteTable::builder().config(config).add_all(&ingresses).build();
    assert!(built.diagnostics.is_empty(), "{:?}", built.diagnostics);
    built.table
}

/// [`build`] with the default configuration.
fn table(yaml: &str) -> RouteTable<IngressBackend> {
    build(yaml, Default::default())
}

/// The Service name a request for `host` and `path` reaches, or `"404"`.
fn to(t: &RouteTable<IngressBackend>, host: &str, path: &str) -> String {
    t.find_parts(host, path)
        .backend()
        .map_or("404".to_owned(), |b| b.service.as_ref().unwrap().name.clone())
}


/// The same manifests under both profiles, `(spec, ingress_nginx)`. Unlike [`build`], it lets
/// diagnostics through: a difference between the profiles often comes with one.
fn profiles(yaml: &str) -> (RouteTable<IngressBackend>, RouteTable<IngressBackend>) {
    let m = ingress_model::Manifests::load_str("doc.yaml", yaml, &Default::default());
    assert!(m.errors.is_empty(), "{:?}", m.errors);
    let ingresses: Vec<_> = m.ingresses.into_iter().map(|l| l.object).collect();
    let with = |config| RouteTable::builder().config(config).add_all(&ingresses).build().table;
    (
        with(ingress_router::Config::default()),
        with(ingress_router::Config::ingress_nginx()),
    )
}

/// What a client sees of `request`: the Service (and `-> target` when the upstream gets
/// another target), `404`, or `STATUS LOCATION` for a redirect.
fn sees(t: &RouteTable<IngressBackend>, request: &RequestView<'_>) -> String {
    let decision = t.find(request);
    if let Some(r) = decision.redirect() {
        return format!("{} {}", r.status, r.location(request));
    }
    let Some(backend) = decision.backend() else {
        return "404".to_owned();
    };
    let mut out = backend.service.as_ref().unwrap().name.clone();
    if let Some(r) = decision.rewrite() {
        out.push_str(&format!(" -> {}", r.upstream_target(request)));
    }
    out
}
