//! Passive failure detection on loopback: an endpoint that refuses connections is skipped and
//! bodiless requests are retried on the next one, so clients see no failure; when every
//! endpoint is dead the answer is a 502, counted as an upstream error.

use std::net::SocketAddr;

use bytes::Bytes;
use http::Request;
use http_body_util::{Empty, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use ingress_gateway::echo::Echo;
use ingress_gateway::server::Gateway;

use crate::support::{self, MANIFESTS, V1, V2};

/// A loopback port nobody listens on (bound, then released).
fn dead_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

async fn gateway(v1: &[SocketAddr], v2: &[SocketAddr]) -> Gateway {
    let list = |addrs: &[SocketAddr]| {
        addrs
            .iter()
            .map(SocketAddr::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    support::gateway(&[
        "-f".into(),
        MANIFESTS.into(),
        "--listen".into(),
        "127.0.0.1:0".into(),
        format!("--endpoints=default/echo-v1:3000={}", list(v1)),
        format!("--endpoints=default/echo-v2:3000={}", list(v2)),
    ])
    .await
}

/// One request: its status and the replica that answered.
async fn send<B>(client: &Client<HttpConnector, B>, request: Request<B>) -> (u16, Option<String>)
where
    B: hyper::body::Body + Send + Unpin + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let reply = support::send(client, request).await;
    (reply.status.as_u16(), reply.replica)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_endpoint_is_skipped_and_bodiless_requests_never_fail() {
    let live = [
        Echo::start("echo-v1-1", "default/echo-v1").await.unwrap(),
        Echo::start("echo-v1-2", "default/echo-v1").await.unwrap(),
    ];
    let dead = dead_port();
    // The dead endpoint first in the turn, and between the live ones.
    let v1 = [dead, live[0].local_addr(), live[1].local_addr()];
    let all_dead = [dead_port(), dead_port()];
    let gateway = gateway(&v1, &all_dead).await;
    let url = format!("http://{}/", gateway.local_addr());
    let client: Client<HttpConnector, Empty<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();

    let mut answered = Vec::new();
    for _ in 0..30 {
        let request = Request::get(&url)
            .header("host", V1)
            .body(Empty::new())
            .unwrap();
        let (status, replica) = send(&client, request).await;
        assert_eq!(status, 200, "a GET never fails while a replica lives");
        answered.push(replica.expect("an echo reply"));
    }
    // Both live replicas keep taking turns.
    for name in ["echo-v1-1", "echo-v1-2"] {
        let share = answered.iter().filter(|r| *r == name).count();
        assert!(share >= 10, "{name} answered {share} of 30: {answered:?}");
    }
    assert!(gateway.routes().balancer().backing_off(dead));
    assert!(
        !gateway
            .routes()
            .balancer()
            .backing_off(live[0].local_addr())
    );

    // Requests with a body are never retried (they are streamed, not kept); with the dead
    // endpoint backing off they go to the live ones.
    let body_client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    for _ in 0..6 {
        let request = Request::post(&url)
            .header("host", V1)
            .body(Full::new(Bytes::from_static(b"payload")))
            .unwrap();
        assert_eq!(
            send(&body_client, request).await.0,
            200,
            "the dead endpoint is skipped"
        );
    }

    // Every endpoint dead: a 502 after the tries, counted.
    let request = Request::get(&url)
        .header("host", V2)
        .body(Empty::new())
        .unwrap();
    assert_eq!(send(&client, request).await, (502, None));
    let metrics = gateway.metrics().encode();
    assert!(
        metrics.contains(r#"ingress_gateway_upstream_errors_total{kind="refused"} 1"#),
        "{metrics}"
    );
    for endpoint in all_dead {
        assert!(gateway.routes().balancer().backing_off(endpoint));
    }
    // Still 502 while they back off (the turn is used anyway), never a hang.
    let request = Request::get(&url)
        .header("host", V2)
        .body(Empty::new())
        .unwrap();
    assert_eq!(send(&client, request).await.0, 502);

    gateway.stop().await;
    for echo in live {
        echo.stop().await;
    }
}
