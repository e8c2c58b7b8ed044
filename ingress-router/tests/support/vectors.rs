//! Appendix B of the semantics reference: the `rules` cell of a vector row (`HOST|TYPE|PATH|BACKEND`
//! items, `default=`, `tls=`, `class=`, `ann:`, `NAME@tN[k=v]:` prefixes) turned into Ingress
//! objects. Shared by the router's vector test and the `ingress-route` end-to-end test (which
//! includes this folder with `#[path]`), so both read the vectors the same way.

use ingress_model::Ingress;

use super::{add_path, backend, ingress};

/// Vectors name backends with labels (`A`, `p0`, `exact-host`) that are not all valid Service
/// names (DNS-1035 labels), and validation would rightly skip them; the Service a label stands
/// for is `b-` + the label in lower case. Resource backends are kept as written.
pub fn service(label: &str) -> String {
    if label.starts_with("resource:") {
        label.to_owned()
    } else {
        format!("b-{}", label.to_ascii_lowercase())
    }
}

/// The `NAME`, `N` and `[k=v,...]` of an item prefix.
pub type Owner<'a> = (&'a str, i64, Vec<(&'a str, &'a str)>);

/// Splits `NAME@tN:` / `NAME@tN[k=v,...]:` off an item.
pub fn owner(item: &str) -> (Option<Owner<'_>>, &str) {
    let Some(at) = item.find("@t") else {
        return (None, item);
    };
    let name = &item[..at];
    if name.is_empty() || name.contains(['|', '=', ':']) {
        return (None, item);
    }
    let rest = &item[at + 2..];
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let Ok(t) = rest[..digits].parse::<i64>() else {
        return (None, item);
    };
    let mut rest = &rest[digits..];
    let mut annotations = Vec::new();
    if let Some(inner) = rest.strip_prefix('[') {
        let end = inner.find(']').expect("unclosed [ in item prefix");
        for kv in inner[..end].split(',').filter(|s| !s.is_empty()) {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            annotations.push((k, v));
        }
        rest = &inner[end + 1..];
    }
    match rest.strip_prefix(':') {
        Some(rest) => (Some((name, t, annotations)), rest),
        None => (None, item),
    }
}

/// The Ingresses of a `rules` cell, in order of first mention.
pub fn ingresses(rules: &str) -> Vec<Ingress> {
    let mut out: Vec<(String, Ingress)> = Vec::new();
    for item in rules.split(';').filter(|s| !s.is_empty()) {
        let (who, item) = owner(item);
        let (key, t, annotations) = match who {
            Some((name, t, ann)) => (name.to_owned(), Some(t), ann),
            None => ("implicit".to_owned(), None, Vec::new()),
        };
        let at = match out.iter().position(|(k, _)| *k == key) {
            Some(at) => at,
            None => {
                let (ns, name) = key.split_once('/').unwrap_or(("default", &key));
                out.push((key.clone(), ingress(ns, name, t)));
                out.len() - 1
            }
        };
        let ing = &mut out[at].1;
        for (k, v) in annotations {
            ing.metadata
                .annotations
                .insert(format!("nginx.ingress.kubernetes.io/{k}"), v.to_owned());
        }
        if let Some(b) = item.strip_prefix("default=") {
            ing.spec.default_backend = Some(backend(&service(b)));
        } else if let Some(t) = item.strip_prefix("tls=") {
            let (hosts, secret) = t.rsplit_once(':').unwrap_or((t, ""));
            ing.spec.tls.push(ingress_model::IngressTls {
                hosts: hosts
                    .split(',')
                    .filter(|h| !h.is_empty())
                    .map(str::to_owned)
                    .collect(),
                secret_name: (!secret.is_empty()).then(|| secret.to_owned()),
            });
        } else if let Some(c) = item.strip_prefix("class=") {
            ing.spec.ingress_class_name = Some(c.to_owned());
        } else if let Some(a) = item.strip_prefix("ann:") {
            let (k, v) = a.split_once('=').unwrap_or((a, ""));
            ing.metadata.annotations.insert(k.to_owned(), v.to_owned());
        } else {
            // HOST|TYPE|PATH|BACKEND, where PATH may itself contain `|`.
            let mut head = item.splitn(3, '|');
            let host = head.next().unwrap_or_default();
            let path_type = head.next().unwrap_or_default();
            let rest = head.next().unwrap_or_default();
            let (path, to) = rest.rsplit_once('|').expect("HOST|TYPE|PATH|BACKEND");
            add_path(ing, host, path_type, path, &service(to));
        }
    }
    out.into_iter().map(|(_, i)| i).collect()
}
