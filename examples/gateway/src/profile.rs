//! `--profile`: whose semantics the gateway routes by.
//!
//! * `spec` (the default): Kubernetes Ingress v1 as written, the router's default profile.
//! * `ingress-nginx`: what ingress-nginx did with the same Ingresses (the router's
//!   [`Profile::IngressNginx`]: its location order,
//!   regex mode, defaultBackend scoping, tie-breaks). For people leaving ingress-nginx who
//!   want the gateway to answer as their old controller did while they migrate. The gateway
//!   then also does what ingress-nginx's nginx did around the choice of a backend:
//!
//!   | the decision | what the gateway does |
//!   |---|---|
//!   | [`Decision::Redirect`] (trailing-slash `301`, `app-root` `302`, `ssl-redirect` / `force-ssl-redirect` `308`, a `rewrite-target` that is a URL `302`) | answers the redirect itself, with the router's `Location` for the request, its scheme the listener's (plain or TLS) |
//!   | a location with `rewrite-target` | the upstream gets the rewritten target ([`Rewrite::upstream_target`]); an empty one is nginx's `500` |
//!   | a location with a canary attached | the canary's backend when its rules take the request ([`HttpCanaryRequest`]: the request's headers and cookies, and a random draw for the weight); the metrics and the access log then name the canary's Ingress and Service |
//!
//! Decisions of the spec profile carry no redirect, rewrite or canary, so with it nothing of
//! this runs per request.

use std::cell::Cell;
use std::hash::BuildHasher;

use http::uri::PathAndQuery;
use http::{HeaderValue, Request, Response, StatusCode, header};
use ingress_kube::index::Backend;
use ingress_router::nginx::{HttpCanaryRequest, Redirect, Rewrite};
use ingress_router::{Config, Decision, IngressKey, Profile, RequestView};

use crate::proxy::{Body, answer};

/// `--profile`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ProfileArg {
    /// Kubernetes Ingress v1 as written.
    #[default]
    Spec,
    /// What ingress-nginx does with the same Ingresses: redirects, rewrites and canaries
    /// included.
    IngressNginx,
}

impl ProfileArg {
    /// The router's profile.
    pub fn profile(self) -> Profile {
        match self {
            ProfileArg::Spec => Profile::Spec,
            ProfileArg::IngressNginx => Profile::IngressNginx,
        }
    }

    /// The router configuration of the profile (the index sets its class filter and
    /// validation).
    pub fn config(self) -> Config {
        Config::default().profile(self.profile())
    }
}

/// The canary's Ingress and backend, left in the extensions of a response its backend gave, so
/// that the metrics and the access log count the request as the canary's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CanaryServed {
    /// The canary Ingress.
    pub source: IngressKey,
    /// Its backend.
    pub backend: Backend,
}

/// The gateway's answer to a redirect decision: its status and the `Location` the router
/// makes for this request (host, scheme and query included; the scheme is the one the
/// request was routed with, the listener's mark read by [`RequestView::from_request`]).
pub fn redirect<B>(redirect: &Redirect<'_, Backend>, request: &Request<B>) -> Response<Body> {
    let view = RequestView::from_request(request);
    let location = redirect.location(&view);
    let status = StatusCode::from_u16(redirect.status).unwrap_or(StatusCode::FOUND);
    let Ok(value) = HeaderValue::try_from(location.as_str()) else {
        // The router escapes what it makes; a Host or target it copies is a header value
        // already. A Location that still is not one is refused rather than sent.
        tracing::warn!(%location, "a redirect's Location is not a header value");
        return answer(
            StatusCode::INTERNAL_SERVER_ERROR,
            "redirect to a bad location",
        );
    };
    let mut response = answer(status, &location);
    response.headers_mut().insert(header::LOCATION, value);
    response
}

/// The backend `decision` sends this request to: the canary's when the decision has a canary
/// whose rules take it (then also the canary's Ingress), else the decision's own.
pub fn backend<'d, B>(
    decision: &Decision<'d, Backend>,
    request: &Request<B>,
) -> Option<(&'d Backend, Option<&'d IngressKey>)> {
    let primary = decision.backend()?;
    match decision.canary() {
        Some(canary)
            if canary
                .decide(&HttpCanaryRequest::new(request.headers(), draw()))
                .canary =>
        {
            Some((canary.backend, Some(canary.source)))
        }
        _ => Some((primary, None)),
    }
}

/// The target the upstream gets when the location rewrites; `Err` with why nginx would answer
/// `500` instead (a rewrite to nothing).
pub fn rewritten<B>(rewrite: &Rewrite, request: &Request<B>) -> Result<PathAndQuery, &'static str> {
    let view = RequestView::from_request(request);
    let target = rewrite.upstream_target(&view);
    if target.is_empty() {
        // nginx's words.
        return Err("the rewritten URI has a zero length");
    }
    PathAndQuery::try_from(target.as_str()).map_err(|e| {
        tracing::warn!(%target, error = %e, "a rewritten target is not a request target");
        "the rewritten URI is not a request target"
    })
}

/// A number in `[0, 1)` for a weighted canary, as ingress-nginx's `math.random`: uniform and
/// not a secret. A per-thread counter run through a hasher keyed at random once per thread
/// (SipHash-1-3 of `std`'s `RandomState`): no lock and no dependency, and the weight's split
/// holds over any run of requests.
pub fn draw() -> f64 {
    thread_local! {
        static STATE: (std::hash::RandomState, Cell<u64>) =
            (std::hash::RandomState::new(), Cell::new(0));
    }
    STATE.with(|(key, counter)| {
        let n = counter.get();
        counter.set(n.wrapping_add(1));
        // The top 53 bits: every f64 in [0, 1) with that step.
        (key.hash_one(n) >> 11) as f64 / (1u64 << 53) as f64
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_in_range_and_spread() {
        let draws: Vec<f64> = (0..10_000).map(|_| draw()).collect();
        assert!(draws.iter().all(|d| (0.0..1.0).contains(d)));
        // A weight of 20 takes about a fifth: far from 0 and from all.
        let below = draws.iter().filter(|d| **d < 0.2).count();
        assert!(
            (1_500..2_500).contains(&below),
            "{below} of 10 000 below 0.2"
        );
    }

    #[test]
    fn profiles_configure_the_router() {
        assert_eq!(ProfileArg::default().config().profile, Profile::Spec);
        assert_eq!(
            ProfileArg::IngressNginx.config().profile,
            Profile::IngressNginx
        );
    }
}
