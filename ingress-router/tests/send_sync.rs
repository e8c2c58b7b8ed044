//! The table is shared across threads behind an `Arc` (DESIGN.md: "Immutable, `Send + Sync`").

use ingress_model::IngressBackend;
use ingress_router::{Built, Decision, RouteTable};

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn table_is_send_and_sync() {
    assert_send_sync::<RouteTable<IngressBackend>>();
    assert_send_sync::<RouteTable<std::sync::Arc<str>>>();
    assert_send_sync::<Built<IngressBackend>>();
    assert_send_sync::<Decision<'static, IngressBackend>>();
    assert_send_sync::<ingress_router::Diagnostic>();
}
