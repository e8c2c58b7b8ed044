//! `ingress-route`: offline route / lint / explain (issue 5).

fn main() {}
