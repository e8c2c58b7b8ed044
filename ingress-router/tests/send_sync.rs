//! The table is shared across threads behind an `Arc` (crate docs: "immutable, `Send + Sync`"),
//! and an owned decision can go wherever a request goes: into `http::Extensions`, which asks
//! for `Clone + Send + Sync + 'static`, and across threads and table swaps.

use ingress_model::IngressBackend;
use ingress_router::{Built, Decision, OwnedDecision, RouteTable};

fn assert_send_sync<T: Send + Sync>() {}

fn assert_extension<T: Clone + Send + Sync + 'static>() {}

#[test]
fn table_is_send_and_sync() {
    assert_send_sync::<RouteTable<IngressBackend>>();
    assert_send_sync::<RouteTable<std::sync::Arc<str>>>();
    assert_send_sync::<Built<IngressBackend>>();
    assert_send_sync::<Decision<'static, IngressBackend>>();
    assert_send_sync::<ingress_router::Diagnostic>();
}

#[test]
fn owned_decision_can_be_a_request_extension() {
    assert_extension::<OwnedDecision<IngressBackend>>();
    assert_extension::<OwnedDecision<std::sync::Arc<str>>>();
    assert_extension::<OwnedDecision<String>>();
}

#[cfg(feature = "http")]
#[test]
fn invalid_host_is_an_error_that_travels() {
    fn assert_error<T: std::error::Error + Copy + Send + Sync + 'static>() {}
    assert_error::<ingress_router::InvalidHost>();
}
