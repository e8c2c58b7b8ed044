//! [`HostGroup`]: every path of every Ingress for one rule host, indexed for lookup and for
//! cheap one-Ingress updates.
//!
//! # How a lookup works
//!
//! Every Exact path and every Prefix path (without its trailing `/`) is a *key*. A Prefix key
//! `k` matches request path `r` iff `r == k` or `r` starts with `k/` (crate docs, section 3), so
//! the keys that can match `r` are `r` itself and `r` cut before each of its `/`. The group
//! keeps one [`Slot`] per distinct key in a hash table: the best Exact rule with that path and
//! the best Prefix rule with that key, by precedence, and the rules they shadow. A lookup
//! probes `r` (an Exact hit ends the search: Exact outranks everything), then the cuts, longest
//! first, skipping lengths no key has; the first Prefix hit is the winner among Prefix rules,
//! because a longer matching key always has the longer path as written. The `/` rule (key `""`)
//! is kept aside as the last resort. Paths that are not keys (string-prefix and regex
//! `ImplementationSpecific`) sit in a short list in precedence order, scanned only while they
//! outrank the winner found so far. No probe allocates.
//!
//! # How an update works
//!
//! A group is immutable and shared between tables. Replacing one Ingress's paths copies the
//! slot table (a flat array of small entries: reference counts, no deep copy), removes that
//! Ingress's routes from the slots of their keys, inserts the new ones into theirs, and merges
//! the contributor list: linear in the group's size with a small constant, and no re-sort and
//! no index rebuild. Only a change of the host's owning namespace (under
//! [`HostOwnership::FirstNamespace`]) rebuilds the group from its contributors.

use std::cmp::Ordering;
use std::fmt;
use std::hash::BuildHasher;
use std::sync::Arc;

use hashbrown::HashTable;
use ingress_model::IngressKey;

use crate::compile::{Contribution, IngressEntry};
use crate::config::HostOwnership;
use crate::error::{Diagnostic, DiagnosticKind, Skipped};
use crate::host::HostPattern;
use crate::path::MatchKind;
use crate::precedence;
use crate::rule::{Route, RouteRef};
use crate::shard::TableHasher;

/// An Ingress with a rule for the group's host, and the paths it brings.
pub(crate) struct Contributor<B> {
    pub(crate) entry: Arc<IngressEntry<B>>,
    pub(crate) first_rule: usize,
    pub(crate) routes: Arc<[Route<B>]>,
}

impl<B> Clone for Contributor<B> {
    fn clone(&self) -> Self {
        Contributor {
            entry: self.entry.clone(),
            first_rule: self.first_rule,
            routes: self.routes.clone(),
        }
    }
}

impl<B> Contributor<B> {
    pub(crate) fn new(entry: &Arc<IngressEntry<B>>, c: &Contribution<B>) -> Self {
        Contributor {
            entry: entry.clone(),
            first_rule: c.first_rule,
            routes: c.routes.clone(),
        }
    }

    fn older(&self, other: &Self) -> Ordering {
        precedence::older(
            (self.entry.created, &self.entry.key),
            (other.entry.created, &other.entry.key),
        )
    }
}

/// The rules of one key: the best Exact and the best Prefix, and every other rule with the key
/// (duplicates and unreachable paths, reported as such).
struct Slot<B> {
    exact: Option<RouteRef<B>>,
    prefix: Option<RouteRef<B>>,
    shadowed: Vec<RouteRef<B>>,
    /// The key's length, so that summarising a group reads only the slot array.
    key_len: u32,
}

impl<B> Clone for Slot<B> {
    fn clone(&self) -> Self {
        Slot {
            exact: self.exact.clone(),
            prefix: self.prefix.clone(),
            shadowed: self.shadowed.clone(),
            key_len: self.key_len,
        }
    }
}

/// The key a keyed route is filed under; `None` for routes that are not keys (string-prefix,
/// regex).
fn key_of<B>(route: &Route<B>) -> Option<&str> {
    let pattern = route.rule.pattern();
    match pattern.kind() {
        MatchKind::Exact => Some(pattern.path()),
        MatchKind::Prefix => Some(pattern.prefix_key()),
        _ => None,
    }
}

// === impl Slot ===

impl<B> Slot<B> {
    fn new(key: &str) -> Self {
        Slot {
            exact: None,
            prefix: None,
            shadowed: Vec::new(),
            key_len: u32::try_from(key.len()).unwrap_or(u32::MAX),
        }
    }

    /// The slot's key, read off its rules (a slot is never empty).
    #[inline]
    fn key(&self) -> &str {
        match (&self.exact, &self.prefix) {
            (Some(r), _) | (None, Some(r)) => key_of(r).unwrap_or(""),
            (None, None) => "",
        }
    }

    fn cell(&mut self, kind: MatchKind) -> &mut Option<RouteRef<B>> {
        if kind.is_exact() {
            &mut self.exact
        } else {
            &mut self.prefix
        }
    }

    fn insert(&mut self, route: RouteRef<B>) {
        let cell = self.cell(route.rule.kind());
        match cell {
            None => *cell = Some(route),
            Some(best) if precedence::compare(&route.rule, &best.rule).is_lt() => {
                let old = std::mem::replace(best, route);
                self.shadowed.push(old);
            }
            Some(_) => self.shadowed.push(route),
        }
    }

    /// Removes `source`'s rules; promotes the best shadowed rule into an emptied cell.
    fn remove_source(&mut self, source: &IngressKey) {
        self.shadowed.retain(|r| r.rule.source != *source);
        for kind in [MatchKind::Exact, MatchKind::Prefix] {
            if self
                .cell(kind)
                .as_ref()
                .is_some_and(|r| r.rule.source == *source)
            {
                *self.cell(kind) = self.take_best_shadowed(kind);
            }
        }
    }

    fn take_best_shadowed(&mut self, kind: MatchKind) -> Option<RouteRef<B>> {
        let best = self
            .shadowed
            .iter()
            .enumerate()
            .filter(|(_, r)| r.rule.kind().is_exact() == kind.is_exact())
            .min_by(|(_, a), (_, b)| precedence::compare(&a.rule, &b.rule))
            .map(|(i, _)| i)?;
        Some(self.shadowed.swap_remove(best))
    }

    fn is_empty(&self) -> bool {
        self.exact.is_none() && self.prefix.is_none()
    }

    /// The winner a shadowed rule loses to.
    fn winner_over(&self, loser: &Route<B>) -> Option<&RouteRef<B>> {
        if loser.rule.kind().is_exact() {
            self.exact.as_ref()
        } else {
            self.prefix.as_ref()
        }
    }
}

/// The slots of a group, split into shards behind `Arc`s once the group is large, so that an
/// update copies the shards of the keys it touches and shares the rest (the same scheme as the
/// table's host maps). Small groups have one shard.
struct Slots<B> {
    shards: Vec<Arc<HashTable<Slot<B>>>>,
    /// Seeded per group, as the table's host maps are per table: paths are written by
    /// tenants too, and a shared host's group holds several tenants' paths.
    hasher: TableHasher,
}

impl<B> Clone for Slots<B> {
    fn clone(&self) -> Self {
        Slots {
            shards: self.shards.clone(),
            hasher: self.hasher.clone(),
        }
    }
}

/// Keys per shard a group aims for; a group grows shards as it grows (at most 64).
const KEYS_PER_SHARD: usize = 64;

impl<B> Slots<B> {
    fn with_capacity(keys: usize) -> Self {
        let n = (keys / KEYS_PER_SHARD).next_power_of_two().clamp(1, 64);
        Slots {
            shards: (0..n).map(|_| Arc::new(HashTable::new())).collect(),
            hasher: TableHasher::default(),
        }
    }

    #[inline]
    fn shard(&self, h: u64) -> usize {
        (h >> 32) as usize & (self.shards.len() - 1)
    }

    fn len(&self) -> usize {
        self.shards.iter().map(|s| s.len()).sum()
    }

    fn iter(&self) -> impl Iterator<Item = &Slot<B>> {
        self.shards.iter().flat_map(|s| s.iter())
    }

    #[inline]
    fn get(&self, key: &str) -> Option<&Slot<B>> {
        let h = self.hasher.hash_one(key);
        self.shards[self.shard(h)].find(h, |s| s.key() == key)
    }
}

impl<B> Slots<B> {
    fn insert(&mut self, key: &str, route: RouteRef<B>) {
        let h = self.hasher.hash_one(key);
        let i = self.shard(h);
        let hasher = &self.hasher;
        let shard = Arc::make_mut(&mut self.shards[i]);
        match shard.find_mut(h, |s| s.key() == key) {
            Some(slot) => slot.insert(route),
            None => {
                let mut slot = Slot::new(key);
                slot.insert(route);
                shard.insert_unique(h, slot, |s| hasher.hash_one(s.key()));
            }
        }
    }

    fn remove_source(&mut self, key: &str, source: &IngressKey) {
        let h = self.hasher.hash_one(key);
        let i = self.shard(h);
        if self.shards[i].find(h, |s| s.key() == key).is_none() {
            return;
        }
        let shard = Arc::make_mut(&mut self.shards[i]);
        if let Ok(mut entry) = shard.find_entry(h, |s| s.key() == key) {
            entry.get_mut().remove_source(source);
            if entry.get().is_empty() {
                entry.remove();
            }
        }
    }
}

/// All paths for one rule host.
pub(crate) struct HostGroup<B> {
    pub(crate) pattern: HostPattern,
    ownership: HostOwnership,
    /// One slot per distinct key but `""`.
    slots: Slots<B>,
    /// The Prefix `/` rules (key `""`).
    root: Option<Slot<B>>,
    /// Routes that are not keys, in precedence order.
    fallback: Vec<RouteRef<B>>,
    max_prefix_key: usize,
    /// Bit `i` set: some key is `i` bytes long (bit 63: 63 or more). A lookup of a length no key
    /// has cannot hit, so it is skipped.
    key_lengths: u64,
    /// The same, for Prefix keys only.
    prefix_key_lengths: u64,
    /// Sorted oldest first; under [`HostOwnership::FirstNamespace`], only the owner's namespace.
    pub(crate) contributors: Vec<Contributor<B>>,
    /// Contributors of other namespaces, skipped under [`HostOwnership::FirstNamespace`].
    refused: Vec<Contributor<B>>,
    /// Index in `contributors` of the oldest one with a default backend.
    default: Option<usize>,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

impl<B> fmt::Debug for HostGroup<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostGroup")
            .field("pattern", &self.pattern)
            .field("keys", &self.slots.len())
            .field("fallback", &self.fallback.len())
            .field("contributors", &self.contributors.len())
            .finish()
    }
}

// === impl HostGroup ===

impl<B> HostGroup<B> {
    /// Builds a group from its contributors (in any order).
    pub(crate) fn build(
        pattern: HostPattern,
        ownership: HostOwnership,
        mut contributors: Vec<Contributor<B>>,
    ) -> Self {
        contributors.sort_by(Contributor::older);
        let routes: usize = contributors.iter().map(|c| c.routes.len()).sum();
        let slots = Slots::with_capacity(routes);
        let mut group = HostGroup::with_paths(pattern, ownership, slots, None, Vec::new());
        let (served, refused) = group.split_by_owner(contributors);
        for c in &served {
            group.insert_routes(&c.routes);
        }
        group.sort_fallback();
        group.finish(served, refused)
    }

    /// A copy of this group with `source`'s paths and contribution replaced by `new`; `None`
    /// when no contributor is left.
    pub(crate) fn rebuilt(
        pattern: HostPattern,
        ownership: HostOwnership,
        old: Option<&HostGroup<B>>,
        source: &IngressKey,
        new: Option<Contributor<B>>,
    ) -> Option<Self> {
        let Some(old) = old else {
            return new.map(|c| HostGroup::build(pattern, ownership, vec![c]));
        };
        let contributors = old.contributors_with(source, new);
        if contributors.is_empty() {
            return None;
        }
        let owner_changed = ownership == HostOwnership::FirstNamespace
            && old.owner() != contributors.first().map(|c| c.entry.key.namespace());
        if owner_changed {
            return Some(HostGroup::build(pattern, ownership, contributors));
        }

        // Same owner: patch the slots of the keys `source` had and has.
        let (slots, root, fallback) = (old.slots.clone(), old.root.clone(), old.fallback.clone());
        let mut group = HostGroup::with_paths(pattern, ownership, slots, root, fallback);
        if let Some(gone) = old.contributors.iter().find(|c| c.entry.key == *source) {
            group.remove_routes(source, &gone.routes);
        }
        let (served, refused) = group.split_by_owner(contributors);
        if let Some(c) = served.iter().find(|c| c.entry.key == *source) {
            group.insert_routes(&c.routes);
            group.sort_fallback();
        }
        Some(group.finish(served, refused))
    }

    /// A group holding these paths and no contributors yet; [`HostGroup::finish`] completes it.
    fn with_paths(
        pattern: HostPattern,
        ownership: HostOwnership,
        slots: Slots<B>,
        root: Option<Slot<B>>,
        fallback: Vec<RouteRef<B>>,
    ) -> Self {
        HostGroup {
            pattern,
            ownership,
            slots,
            root,
            fallback,
            max_prefix_key: 0,
            key_lengths: 0,
            prefix_key_lengths: 0,
            contributors: Vec::new(),
            refused: Vec::new(),
            default: None,
            diagnostics: Vec::new(),
        }
    }

    /// Takes the contributors and derives what lookups and diagnostics read from the paths.
    fn finish(mut self, served: Vec<Contributor<B>>, refused: Vec<Contributor<B>>) -> Self {
        self.contributors = served;
        self.refused = refused;
        self.summarize();
        self
    }

    fn sort_fallback(&mut self) {
        self.fallback
            .sort_by(|a, b| precedence::compare(&a.rule, &b.rule));
    }

    /// This group's contributors, served and refused, oldest first, with `source` replaced by
    /// `new` (or left out).
    fn contributors_with(
        &self,
        source: &IngressKey,
        new: Option<Contributor<B>>,
    ) -> Vec<Contributor<B>> {
        // Both lists are sorted oldest first: merge them, leaving `source` out.
        let mut contributors: Vec<Contributor<B>> =
            Vec::with_capacity(self.contributors.len() + self.refused.len() + 1);
        let (mut served, mut refused) = (
            self.contributors.iter().peekable(),
            self.refused.iter().peekable(),
        );
        while let Some(next) = match (served.peek(), refused.peek()) {
            (Some(a), Some(b)) if b.older(a).is_lt() => refused.next(),
            (Some(_), _) => served.next(),
            (None, _) => refused.next(),
        } {
            if next.entry.key != *source {
                contributors.push(next.clone());
            }
        }
        if let Some(c) = new {
            let at = contributors.partition_point(|x| x.older(&c).is_lt());
            contributors.insert(at, c);
        }
        contributors
    }

    /// The namespace that owns the host under [`HostOwnership::FirstNamespace`].
    fn owner(&self) -> Option<&str> {
        self.contributors.first().map(|c| c.entry.key.namespace())
    }

    /// Splits sorted contributors into those whose paths are served and those refused by the
    /// ownership policy. Rules without host belong to everyone.
    fn split_by_owner(
        &self,
        contributors: Vec<Contributor<B>>,
    ) -> (Vec<Contributor<B>>, Vec<Contributor<B>>) {
        if self.ownership == HostOwnership::Shared || self.pattern == HostPattern::Any {
            return (contributors, Vec::new());
        }
        let Some(owner) = contributors
            .first()
            .map(|c| c.entry.key.namespace().to_owned())
        else {
            return (contributors, Vec::new());
        };
        contributors
            .into_iter()
            .partition(|c| c.entry.key.namespace() == owner)
    }

    fn insert_routes(&mut self, routes: &Arc<[Route<B>]>) {
        // The keys borrow from the block itself, not from the handles the slots take.
        for (route, handle) in routes.iter().zip(RouteRef::all(routes)) {
            match key_of(route) {
                Some("") => self
                    .root
                    .get_or_insert_with(|| Slot::new(""))
                    .insert(handle),
                Some(key) => self.slots.insert(key, handle),
                None => self.fallback.push(handle),
            }
        }
    }

    fn remove_routes(&mut self, source: &IngressKey, routes: &[Route<B>]) {
        self.fallback.retain(|r| r.rule.source != *source);
        for route in routes {
            match key_of(route) {
                Some("") => {
                    if let Some(root) = &mut self.root {
                        root.remove_source(source);
                        if root.is_empty() {
                            self.root = None;
                        }
                    }
                }
                Some(key) => self.slots.remove_source(key, source),
                None => {}
            }
        }
    }

    /// Recomputes what is derived from the slots and contributors: the length masks, the
    /// default backend, and the diagnostics.
    fn summarize(&mut self) {
        let (mut key_lengths, mut prefix_key_lengths, mut max_prefix_key) = (0, 0, 0);
        let mut shadowed: Vec<(&RouteRef<B>, &RouteRef<B>)> = Vec::new();
        for slot in self.slots.iter().chain(&self.root) {
            let len = slot.key_len as usize;
            key_lengths |= length_bit(len);
            if slot.prefix.is_some() {
                prefix_key_lengths |= length_bit(len);
                max_prefix_key = max_prefix_key.max(len);
            }
            for loser in &slot.shadowed {
                if let Some(winner) = slot.winner_over(loser) {
                    shadowed.push((loser, winner));
                }
            }
        }
        // Routes that are not keys shadow only their own kind and path.
        for (i, loser) in self.fallback.iter().enumerate() {
            let p = loser.rule.pattern();
            if let Some(winner) = self.fallback[..i].iter().find(|w| {
                let q = w.rule.pattern();
                q.kind() == p.kind() && q.path() == p.path()
            }) {
                shadowed.push((loser, winner));
            }
        }
        shadowed.sort_by(|(a, _), (b, _)| {
            (&a.rule.source, a.rule.rule_index, a.rule.path_index).cmp(&(
                &b.rule.source,
                b.rule.rule_index,
                b.rule.path_index,
            ))
        });
        let mut diagnostics: Vec<Diagnostic> =
            shadowed.into_iter().map(|(l, w)| diagnose(l, w)).collect();
        diagnostics.extend(self.ownership_diagnostics());
        self.key_lengths = key_lengths;
        self.prefix_key_lengths = prefix_key_lengths;
        self.max_prefix_key = max_prefix_key;
        self.default = self
            .contributors
            .iter()
            .position(|c| c.entry.default_backend.is_some());
        self.diagnostics = diagnostics;
    }

    /// The route that wins for a normalised request path.
    #[inline]
    pub(crate) fn find(&self, path: &str) -> Option<&RouteRef<B>> {
        let mut best = None;
        if self.key_lengths & length_bit(path.len()) != 0
            && let Some(slot) = self.slot(path)
        {
            best = slot.exact.as_ref().or(slot.prefix.as_ref());
        }
        if best.is_none() {
            best = self.walk_prefixes(path);
        }
        // The list is short and sorted; only entries that outrank the winner so far matter.
        for f in &self.fallback {
            if best.is_some_and(|b: &RouteRef<B>| !precedence::compare(&f.rule, &b.rule).is_lt()) {
                break;
            }
            if f.rule.pattern().matches(path) {
                best = Some(f);
                break;
            }
        }
        best
    }

    #[inline]
    fn slot(&self, key: &str) -> Option<&Slot<B>> {
        self.slots.get(key)
    }

    /// The best Prefix rule whose key is `path` cut before one of its `/`, longest first; else
    /// the `/` rule.
    #[inline]
    fn walk_prefixes(&self, path: &str) -> Option<&RouteRef<B>> {
        let bytes = path.as_bytes();
        let mut end = bytes.len().min(self.max_prefix_key + 1);
        while let Some(cut) = bytes[..end].iter().rposition(|&b| b == b'/') {
            if cut == 0 {
                break;
            }
            if self.prefix_key_lengths & length_bit(cut) != 0
                && let Some(route) = self.slot(&path[..cut]).and_then(|s| s.prefix.as_ref())
            {
                return Some(route);
            }
            end = cut;
        }
        self.root.as_ref().and_then(|r| r.prefix.as_ref())
    }

    /// Every path that matches, best first (for explanations; allocates).
    pub(crate) fn candidates(&self, path: &str) -> Vec<&RouteRef<B>> {
        let mut out: Vec<&RouteRef<B>> = self
            .routes()
            .filter(|r| r.rule.pattern().matches(path))
            .collect();
        out.sort_by(|a, b| precedence::compare(&a.rule, &b.rule));
        out
    }

    /// Every route that takes part in matching, in no particular order.
    pub(crate) fn routes(&self) -> impl Iterator<Item = &RouteRef<B>> {
        self.slots
            .iter()
            .chain(&self.root)
            .flat_map(|s| s.exact.iter().chain(&s.prefix).chain(&s.shadowed))
            .chain(&self.fallback)
    }

    /// The Ingress whose default backend answers when no path matched.
    pub(crate) fn default_backend(&self) -> Option<&Arc<IngressEntry<B>>> {
        self.default.map(|i| &self.contributors[i].entry)
    }

    /// The diagnostics about one Ingress.
    pub(crate) fn diagnostics_of<'g>(
        &'g self,
        key: &'g IngressKey,
    ) -> impl Iterator<Item = &'g Diagnostic> + 'g {
        self.diagnostics.iter().filter(move |d| d.source == *key)
    }

    /// Host sharing across namespaces: a warning per other namespace when shared, an error
    /// per refused Ingress under [`HostOwnership::FirstNamespace`].
    fn ownership_diagnostics(&self) -> Vec<Diagnostic> {
        let Some(host) = self.pattern.to_rule_host() else {
            // Rules without host are everyone's by definition.
            return Vec::new();
        };
        let Some(first) = self.contributors.first() else {
            return Vec::new();
        };
        if !self.refused.is_empty() {
            return self
                .refused
                .iter()
                .map(|c| Diagnostic {
                    source: c.entry.key.clone(),
                    field: format!("spec.rules[{}].host", c.first_rule),
                    skipped: Skipped::Rule,
                    kind: DiagnosticKind::HostOwnedByAnotherNamespace {
                        host: host.clone(),
                        owner: first.entry.key.clone(),
                    },
                })
                .collect();
        }
        namespace_conflicts(host, &self.contributors)
    }
}

/// The bit of a key length in a length mask.
#[inline]
fn length_bit(len: usize) -> u64 {
    1 << len.min(63)
}

fn diagnose<B>(loser: &Route<B>, winner: &Route<B>) -> Diagnostic {
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
fn namespace_conflicts<B>(host: String, contributors: &[Contributor<B>]) -> Vec<Diagnostic> {
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
    // The oldest Ingress of each namespace but the owner's, in age order.
    let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::from([owner]);
    let firsts: Vec<&Contributor<B>> = contributors
        .iter()
        .filter(|c| seen.insert(c.entry.key.namespace()))
        .collect();
    let mut namespaces: Vec<&str> = seen.into_iter().collect();
    namespaces.sort_unstable();
    let namespaces: Arc<[String]> = namespaces.iter().map(|&n| n.to_owned()).collect();
    firsts
        .into_iter()
        .map(|c| Diagnostic {
            source: c.entry.key.clone(),
            field: format!("spec.rules[{}].host", c.first_rule),
            skipped: Skipped::Nothing,
            kind: DiagnosticKind::HostInSeveralNamespaces {
                host: host.clone(),
                namespaces: namespaces.clone(),
                first: first.entry.key.clone(),
            },
        })
        .collect()
}
