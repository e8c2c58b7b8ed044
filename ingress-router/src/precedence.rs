//! Precedence of path rules inside one host group (crate docs, section 4).
//!
//! 1. Exact before everything else (KEP-1453: "`Exact` match is preferred to a `Prefix`
//!    match"; ingress-nginx and Contour agree). `ImplementationSpecific` ranks by the kind it
//!    resolves to.
//! 2. Longer path first, in bytes as written (types.go: `/foo/` beats `/foo`). An empty
//!    `ImplementationSpecific` path counts as `/`.
//! 3. Older Ingress (`creationTimestamp`; a missing one counts as oldest).
//! 4. `namespace/name` ascending.
//! 5. Rule index, then path index (list order).
//!
//! Two paths that can both match one request differ in step 1 or 2 unless they are the same
//! condition, so steps 3 to 5 only decide between duplicates.

use std::cmp::{Ordering, Reverse};

use crate::rule::PathRule;

/// The sort key of a [`PathRule`]; smaller wins.
pub(crate) fn precedence(rule: &PathRule) -> impl Ord + '_ {
    (
        !rule.kind().is_exact(),
        Reverse(rule.pattern().path().len()),
        rule.created,
        rule.source.as_str(),
        rule.rule_index,
        rule.path_index,
    )
}

/// Compares two rules: `Less` means `a` takes precedence.
pub(crate) fn compare(a: &PathRule, b: &PathRule) -> Ordering {
    precedence(a).cmp(&precedence(b))
}

/// Compares two Ingresses for "oldest" (the default backends of crate docs section 5 use section 4's tie-breaks).
pub(crate) fn older(
    a: (Option<i64>, &crate::IngressKey),
    b: (Option<i64>, &crate::IngressKey),
) -> Ordering {
    (a.0, a.1.as_str()).cmp(&(b.0, b.1.as_str()))
}
