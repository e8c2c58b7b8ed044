//! `route --explain`: the decision in words, built on [`RouteTable::explain`].

use ingress_model::IngressBackend;
use ingress_router::{
    Decision, HostSelection, Match, MatchKind, PathRule, RequestView, RouteTable,
};
use serde_json::{Value, json};

use crate::output::describe_backend;

/// One matching rule and its rank.
struct Candidate {
    ingress: String,
    host: Option<String>,
    path: String,
    path_type: String,
    backend: IngressBackend,
    /// `None` for the winner; why it lost otherwise.
    lost_because: Option<String>,
}

/// Everything `--explain` says about one request.
pub(crate) struct Explained {
    host_step: String,
    host_selection: &'static str,
    host_group: Option<String>,
    normalized_path: String,
    candidates: Vec<Candidate>,
    default_step: Option<String>,
}

fn selection_name(s: HostSelection) -> &'static str {
    match s {
        HostSelection::Exact => "exact",
        HostSelection::Wildcard => "wildcard",
        HostSelection::NoHost => "no-host",
        _ => "none",
    }
}

/// Why `loser` ranks below `winner` (the router's precedence: Exact first, longer path, older
/// Ingress, `namespace/name`, list order).
fn why_lost(winner: &PathRule, loser: &PathRule) -> String {
    let (w, l) = (winner.pattern().path().len(), loser.pattern().path().len());
    if winner.kind() == MatchKind::Exact && loser.kind() != MatchKind::Exact {
        "an Exact path takes precedence over a prefix match".to_owned()
    } else if w != l {
        format!("the winner's path is longer ({w} bytes against {l})")
    } else if winner.created() != loser.created() {
        "same path length; the winner's Ingress is older (creationTimestamp)".to_owned()
    } else if winner.source() != loser.source() {
        format!(
            "same path length and age; {} sorts before {} (namespace/name)",
            winner.source(),
            loser.source()
        )
    } else {
        "same path and Ingress; the winner comes first in the list".to_owned()
    }
}

fn candidate(m: &Match<'_, IngressBackend>, winner: Option<&PathRule>) -> Candidate {
    Candidate {
        ingress: m.source.to_string(),
        host: m.rule.host().map(str::to_owned),
        path: m.rule.path().to_owned(),
        path_type: m.rule.path_type().to_string(),
        backend: m.backend.clone(),
        lost_because: winner.map(|w| why_lost(w, m.rule)),
    }
}

/// Explains the decision `table.find(view)` returned.
pub(crate) fn explain(
    table: &RouteTable<IngressBackend>,
    view: &RequestView<'_>,
    decision: &Decision<'_, IngressBackend>,
) -> Explained {
    let e = table.explain(view);
    let host = view.host();
    let host_step = match (e.host_selection, &e.host_group) {
        (HostSelection::Exact, Some(g)) => format!("host {host:?} equals the rule host {g:?}"),
        (HostSelection::Wildcard, Some(g)) => {
            format!("no rule host equals {host:?}; the wildcard {g:?} covers its first label")
        }
        (HostSelection::NoHost, _) => format!(
            "no rule host (exact or wildcard) matches {host:?}; the rules without host apply"
        ),
        _ => format!("no rule matches host {host:?} and there are no rules without host"),
    };
    let winner = e.candidates.first().map(|m| m.rule);
    let candidates = e
        .candidates
        .iter()
        .enumerate()
        .map(|(i, m)| candidate(m, if i == 0 { None } else { winner }))
        .collect();
    let default_step = match (&e.candidates.is_empty(), decision) {
        (false, _) => None,
        (true, Decision::Redirect(r)) => Some(format!(
            "the controller answers {} itself: {}",
            r.status, r.kind
        )),
        (true, Decision::DefaultBackend(d)) => Some(format!(
            "no path matched; {} answers as the default backend of Ingress {}",
            describe_backend(d.backend),
            d.source
        )),
        (true, _) => Some(
            "no path matched and no Ingress offers a default backend for this request: 404"
                .to_owned(),
        ),
    };
    Explained {
        host_step,
        host_selection: selection_name(e.host_selection),
        host_group: e.host_group,
        normalized_path: e.path,
        candidates,
        default_step,
    }
}

impl Explained {
    /// Indented lines under the request's result line.
    pub(crate) fn to_text(&self) -> String {
        let mut out = vec![
            format!("  host: {}", self.host_step),
            format!("  path: matched as {:?}", self.normalized_path),
        ];
        if self.candidates.is_empty() {
            out.push("  candidates: none".to_owned());
        }
        for (i, c) in self.candidates.iter().enumerate() {
            let rule = format!(
                "{} {} -> {} (Ingress {}, host {})",
                c.path_type,
                c.path,
                describe_backend(&c.backend),
                c.ingress,
                c.host.as_deref().unwrap_or("*")
            );
            match &c.lost_because {
                None => out.push(format!("  #{} wins: {rule}", i + 1)),
                Some(why) => out.push(format!("  #{} loses: {rule}: {why}", i + 1)),
            }
        }
        if let Some(d) = &self.default_step {
            out.push(format!("  default backend: {d}"));
        }
        out.join("\n")
    }

    /// The `explanation` field added to the JSON output with `--explain`.
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "hostSelection": self.host_selection,
            "hostGroup": self.host_group,
            "hostStep": self.host_step,
            "normalizedPath": self.normalized_path,
            "candidates": self.candidates.iter().enumerate().map(|(i, c)| json!({
                "rank": i + 1,
                "ingress": c.ingress,
                "host": c.host,
                "path": c.path,
                "pathType": c.path_type,
                "backend": c.backend,
                "lostBecause": c.lost_because,
            })).collect::<Vec<_>>(),
            "defaultBackendStep": self.default_step,
        })
    }
}
