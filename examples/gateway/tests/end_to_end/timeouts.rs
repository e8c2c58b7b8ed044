//! The timeouts that a response head does not show: a body that stalls half way is cut after
//! `--response-timeout`, a pooled upstream connection left idle is closed after
//! `--upstream-keepalive-timeout` (the next request opens a new one), a WebSocket on which
//! nothing is said is closed after `--tunnel-idle-timeout`, and an upload that stalls for
//! `--client-body-timeout` is answered 408.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use ingress_gateway::server::Server;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::support::{self, LIMIT, V1, bounded};

/// An upstream that answers every request with a head promising 1000 bytes, sends 5, and then
/// nothing, holding the connection.
async fn stalling_upstream() -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read_exact(&mut byte).await.is_ok() {
                head.push(byte[0]);
            }
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\nhello")
                .await;
            held.push(stream);
        }
    });
    (addr, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_stalls_is_cut_after_the_response_timeout() {
    let (upstream, task) = stalling_upstream().await;
    let gateway = support::v1_gateway(upstream, &["--response-timeout", "300ms"]).await;

    let mut client = TcpStream::connect(gateway.local_addr()).await.unwrap();
    client
        .write_all(format!("GET / HTTP/1.1\r\nHost: {V1}\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut answer = Vec::new();
    // Without the cut the gateway would wait on the upstream for ever, and so would this read.
    let read = tokio::time::timeout(LIMIT, client.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the connection is still open after {LIMIT:?}");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    let body = &answer[answer.find("\r\n\r\n").expect("a head") + 4..];
    assert_eq!(body, "hello", "the body is cut where the upstream stopped");

    bounded("stop the gateway", gateway.stop()).await;
    task.abort();
}

/// An upstream that reads a request's whole body, then answers its length.
#[derive(Clone)]
struct Length;

impl tower_service::Service<Request<Incoming>> for Length {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Incoming>) -> Self::Future {
        use http_body_util::BodyExt;
        Box::pin(async move {
            let length = match request.into_body().collect().await {
                Ok(body) => body.to_bytes().len().to_string(),
                Err(e) => format!("error: {e}"),
            };
            Ok(Response::new(Full::new(Bytes::from(length))))
        })
    }
}

/// How many upstream connections two requests 1 s apart make through a gateway with `extra`.
async fn connections_for_two_requests(extra: &[&str]) -> usize {
    let accepted = Arc::new(AtomicUsize::new(0));
    let counted = accepted.clone();
    let upstream = Server::spawn(TcpListener::bind("127.0.0.1:0").await.unwrap(), move |_| {
        counted.fetch_add(1, Ordering::Relaxed);
        Length
    })
    .unwrap();
    // One serving thread: both requests use the same upstream pool.
    let mut args = vec!["--workers", "1"];
    args.extend_from_slice(extra);
    let gateway = support::v1_gateway(upstream.local_addr(), &args).await;
    let client = support::client();
    for round in 0..2 {
        if round > 0 {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        let reply =
            support::get_within(&client, gateway.local_addr(), Some(V1), "/", &[], LIMIT).await;
        assert_eq!(
            reply.body, "0",
            "the upstream's answer: the GET's body length"
        );
    }
    bounded("stop the gateway", gateway.stop()).await;
    bounded("stop the upstream", upstream.stop()).await;
    accepted.load(Ordering::Relaxed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_upstream_connection_is_reused_until_the_keepalive_timeout_closes_it() {
    assert_eq!(
        connections_for_two_requests(&[]).await,
        1,
        "within the default 60 s the pooled connection serves the second request"
    );
    assert_eq!(
        connections_for_two_requests(&["--upstream-keepalive-timeout", "200ms"]).await,
        2,
        "after 200 ms idle the pooled connection is gone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_is_kept_while_it_talks_and_closed_once_idle() {
    use futures::StreamExt;
    use ingress_gateway::echo::Echo;
    use tokio_tungstenite::tungstenite::Message;

    let echo = Echo::start("echo-v1-1", "default/echo-v1").await.unwrap();
    // Long enough that a busy machine's pause between two messages does not reach it.
    let idle = Duration::from_secs(1);
    let gateway = support::v1_gateway(echo.local_addr(), &["--tunnel-idle-timeout", "1s"]).await;
    let (mut socket, _) = support::websocket(gateway.local_addr(), &format!("ws://{V1}/")).await;
    // Talking every 200 ms for three times the limit: every message comes back.
    for i in 0..15 {
        support::echoed(&mut socket, Message::text(format!("message {i}"))).await;
        tokio::time::sleep(idle / 5).await;
    }
    assert_eq!(gateway.tunnels().open(), 1);
    // Silent: the gateway closes both sides once the limit has passed.
    match bounded("the idle tunnel to close", socket.next()).await {
        None | Some(Err(_)) => {}
        Some(Ok(message)) => assert!(message.is_close(), "{message:?}"),
    }
    assert_eq!(gateway.tunnels().open(), 0);
    bounded("gateway stop", gateway.stop()).await;
    bounded("echo stop", echo.stop()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_that_stalls_gets_408_and_a_slow_one_goes_through() {
    let upstream =
        Server::spawn(TcpListener::bind("127.0.0.1:0").await.unwrap(), |_| Length).unwrap();
    let gateway =
        support::v1_gateway(upstream.local_addr(), &["--client-body-timeout", "500ms"]).await;
    let head = format!("POST / HTTP/1.1\r\nHost: {V1}\r\nContent-Length: 100\r\n\r\n");

    // Ten bytes every 100 ms: slow, never silent for the limit.
    let mut client = TcpStream::connect(gateway.local_addr()).await.unwrap();
    client.write_all(head.as_bytes()).await.unwrap();
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        client.write_all(b"0123456789").await.unwrap();
    }
    let mut answer = vec![0u8; 4096];
    let n = bounded("the slow upload's answer", client.read(&mut answer))
        .await
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("\r\n\r\n100"), "{answer}");

    // Ten bytes, then nothing: 408, and the connection is closed.
    let mut client = TcpStream::connect(gateway.local_addr()).await.unwrap();
    client.write_all(head.as_bytes()).await.unwrap();
    client.write_all(b"0123456789").await.unwrap();
    let mut answer = Vec::new();
    bounded(
        "the stalled upload's answer",
        client.read_to_end(&mut answer),
    )
    .await
    .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");

    bounded("stop the gateway", gateway.stop()).await;
    bounded("stop the upstream", upstream.stop()).await;
}
