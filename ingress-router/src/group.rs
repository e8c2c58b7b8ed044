//! [`HostGroup`]: every path of every Ingress for one rule host, indexed for lookup.
//!
//! # How a lookup works
//!
//! The group's paths are sorted by precedence once, when the group is built, so "takes
//! precedence" is "has the smaller index". matchit holds one static route per distinct key:
//! the path of an Exact rule, and the path without its trailing `/` of a Prefix rule. Each route
//! carries a [`Slot`]: the best Exact rule with that path and the best Prefix rule with that key.
//!
//! A Prefix key `k` matches request path `r` iff `r == k` or `r` starts with `k/` (semantics
//! C3), so the keys that can match `r` are `r` itself and `r` cut before each of its `/`. The
//! lookup tries `r` (an Exact hit ends the search: Exact outranks everything), then the cuts,
//! longest first, skipping cuts longer than the longest key. The first Prefix hit is the winner
//! among Prefix rules, because a longer matching key always has the longer path as written. The
//! `/` rule (key `""`) is kept aside as the last resort.
//!
//! Only static routes go into matchit (with `{` and `}` escaped), so its lookups never
//! backtrack and never allocate; a catch-all route per Prefix rule would make matchit
//! allocate its backtracking stack whenever a static and a wildcard child share a node.
//! Paths matchit cannot express (string-prefix and regex `ImplementationSpecific`, or a route
//! matchit rejects) sit in a short list, in precedence order, scanned only up to the index of
//! the winner found so far.

use std::fmt;
use std::sync::Arc;

use crate::compile::{Contribution, IngressEntry};
use crate::error::{Diagnostic, DiagnosticKind, Skipped};
use crate::host::HostPattern;
use crate::path::MatchKind;
use crate::precedence;
use crate::rule::{Route, RouteRef};

const NONE: u32 = u32::MAX;

/// The best Exact and the best Prefix rule for one matchit route.
#[derive(Clone, Copy, Debug)]
struct Slot {
    exact: u32,
    prefix: u32,
}

/// An Ingress with a rule for the group's host.
pub(crate) struct Contributor<B> {
    pub(crate) entry: Arc<IngressEntry<B>>,
    pub(crate) first_rule: usize,
}

impl<B> Clone for Contributor<B> {
    fn clone(&self) -> Self {
        Contributor {
            entry: self.entry.clone(),
            first_rule: self.first_rule,
        }
    }
}

/// All paths for one rule host.
pub(crate) struct HostGroup<B> {
    pub(crate) pattern: HostPattern,
    /// Sorted by precedence: a smaller index wins.
    pub(crate) routes: Vec<RouteRef<B>>,
    index: matchit::Router<Slot>,
    /// The best Prefix `/` (key `""`).
    root: u32,
    max_prefix_key: usize,
    /// Bit `i` set: some matchit key is `i` bytes long (bit 63: 63 or more). A lookup of a
    /// length no key has cannot hit, so it is skipped.
    key_lengths: u64,
    /// The same, for Prefix keys only.
    prefix_key_lengths: u64,
    /// Indices of routes matchit does not hold, ascending.
    fallback: Vec<u32>,
    /// Sorted oldest first.
    pub(crate) contributors: Vec<Contributor<B>>,
    /// Index in `contributors` of the oldest one with a default backend.
    default: Option<usize>,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

impl<B> fmt::Debug for HostGroup<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostGroup")
            .field("pattern", &self.pattern)
            .field("paths", &self.routes.len())
            .field("fallback", &self.fallback.len())
            .field("contributors", &self.contributors.len())
            .finish()
    }
}

/// matchit reads `{` and `}` as parameter delimiters; rule paths are literal.
fn escape(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 2);
    for c in key.chars() {
        match c {
            '{' => out.push_str("{{"),
            '}' => out.push_str("}}"),
            c => out.push(c),
        }
    }
    out
}

// === impl HostGroup ===

impl<B> HostGroup<B> {
    /// Builds a group from its paths and contributors (in any order).
    pub(crate) fn build(
        pattern: HostPattern,
        mut routes: Vec<RouteRef<B>>,
        mut contributors: Vec<Contributor<B>>,
    ) -> Self {
        routes.sort_by(|a, b| precedence::compare(&a.rule, &b.rule));
        contributors.sort_by(|a, b| {
            precedence::older(
                (a.entry.created, &a.entry.key),
                (b.entry.created, &b.entry.key),
            )
        });
        let default = contributors
            .iter()
            .position(|c| c.entry.default_backend.is_some());

        let mut diagnostics = Vec::new();
        let mut root = NONE;
        let mut fallback = Vec::new();
        // `(key, is Prefix, index)`, in precedence order; a stable sort by key keeps that order
        // within each key, so the first of each key and kind is its slot's winner.
        let mut keyed: Vec<(&str, bool, u32)> = Vec::with_capacity(routes.len());
        for (i, route) in routes.iter().enumerate() {
            let i = i as u32;
            let pattern = route.rule.pattern();
            let winner = match pattern.kind() {
                MatchKind::Exact => {
                    keyed.push((pattern.path(), false, i));
                    None
                }
                MatchKind::Prefix if pattern.prefix_key().is_empty() => first_or(&mut root, i),
                MatchKind::Prefix => {
                    keyed.push((pattern.prefix_key(), true, i));
                    None
                }
                _ => {
                    let same = fallback.iter().copied().find(|&f: &u32| {
                        let other = routes[f as usize].rule.pattern();
                        other.kind() == pattern.kind() && other.path() == pattern.path()
                    });
                    fallback.push(i);
                    same
                }
            };
            if let Some(w) = winner {
                diagnostics.push(shadowed(&routes[i as usize], &routes[w as usize]));
            }
        }
        keyed.sort_by(|a, b| a.0.cmp(b.0));
        let mut slots: Vec<(&str, Slot)> = Vec::with_capacity(keyed.len());
        for (key, is_prefix, i) in keyed {
            if slots.last().map(|(k, _)| *k) != Some(key) {
                slots.push((
                    key,
                    Slot {
                        exact: NONE,
                        prefix: NONE,
                    },
                ));
            }
            let Some((_, slot)) = slots.last_mut() else {
                continue;
            };
            let cell = if is_prefix {
                &mut slot.prefix
            } else {
                &mut slot.exact
            };
            if let Some(w) = first_or(cell, i) {
                diagnostics.push(shadowed(&routes[i as usize], &routes[w as usize]));
            }
        }

        let mut index = matchit::Router::new();
        let mut max_prefix_key = 0;
        let (mut key_lengths, mut prefix_key_lengths) = (0, 0);
        for (key, slot) in slots {
            match index.insert(escape(key), slot) {
                Ok(()) => {
                    key_lengths |= length_bit(key.len());
                    if slot.prefix != NONE {
                        max_prefix_key = max_prefix_key.max(key.len());
                        prefix_key_lengths |= length_bit(key.len());
                    }
                }
                // Not expected for static routes; if matchit ever refuses one, the rules still
                // match, through the list.
                Err(_) => {
                    fallback.extend([slot.exact, slot.prefix].into_iter().filter(|&i| i != NONE))
                }
            }
        }
        fallback.sort_unstable();

        diagnostics.extend(namespace_conflicts(&pattern, &contributors));
        HostGroup {
            pattern,
            routes,
            index,
            root,
            max_prefix_key,
            key_lengths,
            prefix_key_lengths,
            fallback,
            contributors,
            default,
            diagnostics,
        }
    }

    /// A copy of this group with `source`'s paths and contribution replaced by `new`.
    pub(crate) fn rebuilt(
        pattern: HostPattern,
        old: Option<&HostGroup<B>>,
        source: &crate::IngressKey,
        new: Option<(&Arc<IngressEntry<B>>, &Contribution<B>)>,
    ) -> Option<Self> {
        let mut routes = Vec::new();
        let mut contributors = Vec::new();
        if let Some(old) = old {
            routes.extend(
                old.routes
                    .iter()
                    .filter(|r| r.rule.source != *source)
                    .cloned(),
            );
            contributors.extend(
                old.contributors
                    .iter()
                    .filter(|c| c.entry.key != *source)
                    .cloned(),
            );
        }
        if let Some((entry, c)) = new {
            routes.extend(RouteRef::all(&c.routes));
            contributors.push(Contributor {
                entry: entry.clone(),
                first_rule: c.first_rule,
            });
        }
        if contributors.is_empty() {
            None
        } else {
            Some(HostGroup::build(pattern, routes, contributors))
        }
    }

    /// The index of the path that wins for a normalised request path.
    #[inline]
    pub(crate) fn find(&self, path: &str) -> Option<&RouteRef<B>> {
        let mut best = NONE;
        if self.key_lengths & length_bit(path.len()) != 0
            && let Ok(m) = self.index.at(path)
        {
            best = if m.value.exact != NONE {
                m.value.exact
            } else {
                m.value.prefix
            };
        }
        if best == NONE {
            best = self.walk_prefixes(path);
        }
        // The list is short and sorted; only entries that outrank the winner so far matter.
        for &f in &self.fallback {
            if f >= best {
                break;
            }
            if self.routes[f as usize].rule.pattern().matches(path) {
                best = f;
                break;
            }
        }
        self.routes.get(best as usize)
    }

    /// The best Prefix rule whose key is `path` cut before one of its `/`, longest first; else
    /// the `/` rule.
    #[inline]
    fn walk_prefixes(&self, path: &str) -> u32 {
        let bytes = path.as_bytes();
        let mut end = bytes.len().min(self.max_prefix_key + 1);
        while let Some(cut) = bytes[..end].iter().rposition(|&b| b == b'/') {
            if cut == 0 {
                break;
            }
            if self.prefix_key_lengths & length_bit(cut) != 0
                && let Ok(m) = self.index.at(&path[..cut])
                && m.value.prefix != NONE
            {
                return m.value.prefix;
            }
            end = cut;
        }
        self.root
    }

    /// Every path that matches, best first (for explanations; allocates).
    pub(crate) fn candidates(&self, path: &str) -> Vec<&RouteRef<B>> {
        self.routes
            .iter()
            .filter(|r| r.rule.pattern().matches(path))
            .collect()
    }

    /// The Ingress whose default backend answers when no path matched.
    pub(crate) fn default_backend(&self) -> Option<&Arc<IngressEntry<B>>> {
        self.default.map(|i| &self.contributors[i].entry)
    }
}

/// The bit of a key length in a length mask.
#[inline]
fn length_bit(len: usize) -> u64 {
    1 << len.min(63)
}

/// Records `i` as the first holder of a slot, or returns the holder that outranks it.
fn first_or(slot: &mut u32, i: u32) -> Option<u32> {
    if *slot == NONE {
        *slot = i;
        None
    } else {
        Some(*slot)
    }
}

fn shadowed<B>(loser: &Route<B>, winner: &Route<B>) -> Diagnostic {
    let (l, w) = (&loser.rule, &winner.rule);
    let host = l.host().map(str::to_owned);
    let path = l.path().to_owned();
    let path_type = l.path_type().clone();
    let winner = w.origin();
    let kind = if l.path() == w.path() && l.path_type() == w.path_type() {
        DiagnosticKind::DuplicatePath {
            host,
            path,
            path_type,
            winner,
        }
    } else {
        DiagnosticKind::UnreachablePath {
            host,
            path,
            path_type,
            winner,
        }
    };
    Diagnostic {
        source: l.source().clone(),
        field: l.field(),
        skipped: Skipped::Nothing,
        kind,
    }
}

/// One warning per namespace, other than the oldest Ingress's, with rules for a named host.
fn namespace_conflicts<B>(
    pattern: &HostPattern,
    contributors: &[Contributor<B>],
) -> Vec<Diagnostic> {
    let Some(host) = pattern.to_rule_host() else {
        // Rules without host are everyone's by definition.
        return Vec::new();
    };
    let Some(first) = contributors.first() else {
        return Vec::new();
    };
    let owner = first.entry.key.namespace();
    if contributors
        .iter()
        .all(|c| c.entry.key.namespace() == owner)
    {
        return Vec::new();
    }
    let mut namespaces: Vec<String> = contributors
        .iter()
        .map(|c| c.entry.key.namespace().to_owned())
        .collect();
    namespaces.sort();
    namespaces.dedup();
    let mut seen: Vec<&str> = vec![owner];
    let mut out = Vec::new();
    for c in contributors {
        let ns = c.entry.key.namespace();
        if seen.contains(&ns) {
            continue;
        }
        seen.push(ns);
        out.push(Diagnostic {
            source: c.entry.key.clone(),
            field: format!("spec.rules[{}].host", c.first_rule),
            skipped: Skipped::Nothing,
            kind: DiagnosticKind::HostInSeveralNamespaces {
                host: host.clone(),
                namespaces: namespaces.clone(),
                first: first.entry.key.clone(),
            },
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_braces() {
        assert_eq!(escape("/a{b}/c"), "/a{{b}}/c");
    }

    #[test]
    fn matchit_static_routes_are_literal() {
        let mut r = matchit::Router::new();
        r.insert(escape("/a{b}"), 1).unwrap();
        r.insert(escape("/a{b}/c"), 2).unwrap();
        r.insert(escape("/"), 3).unwrap();
        assert_eq!(*r.at("/a{b}").unwrap().value, 1);
        assert_eq!(*r.at("/a{b}/c").unwrap().value, 2);
        assert!(r.at("/ab").is_err());
        assert!(r.at("").is_err());
        assert!(r.at("*").is_err());
        assert_eq!(*r.at("/").unwrap().value, 3);
    }
}
