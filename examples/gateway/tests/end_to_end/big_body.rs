//! Bodies are streamed, never held whole: a large upload goes through the gateway binary (a
//! process of its own, so that its memory is its own) to a backend that counts the bytes and
//! echoes them back, and the gateway's peak resident memory (`VmHWM`) is read before and
//! after.
//!
//! In CI the body is 256 MiB; by hand, 1 GiB or more:
//!
//! ```text
//! BODY_MIB=1024 cargo test --release -p ingress-gateway --test end_to_end big_body -- --nocapture
//! ```
//!
//! The assertion is on the shape, not a figure: a gateway that buffered the body would grow
//! by at least its size; this one must stay well under half of it.

use std::convert::Infallible;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::channel::Channel;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use ingress_gateway::server::Server;

use crate::support::{Binary, MANIFESTS, V1, memory_mib};

const CHUNK: usize = 1 << 20;

/// A backend that reads the whole body, counting, and answers with the count: it keeps
/// nothing, so the only copy in flight is the gateway's.
#[derive(Clone, Debug)]
struct Count;

impl tower_service::Service<Request<Incoming>> for Count {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send>,
    >;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Infallible>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Incoming>) -> Self::Future {
        Box::pin(async move {
            let mut body = request.into_body();
            let mut bytes = 0u64;
            while let Some(frame) = body.frame().await {
                match frame {
                    Ok(frame) => bytes += frame.data_ref().map_or(0, |d| d.len() as u64),
                    Err(_) => break,
                }
            }
            Ok(Response::new(Full::new(Bytes::from(bytes.to_string()))))
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_upload_streams_through_in_bounded_memory() {
    let mib: usize = std::env::var("BODY_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let backend = Server::spawn(
        tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
        |_| Count,
    )
    .unwrap();
    let mut binary = Binary::spawn(
        &[
            "-f".into(),
            MANIFESTS.into(),
            "--listen".into(),
            "127.0.0.1:0".into(),
            format!("--endpoints=default/echo-v1:3000={}", backend.local_addr()),
        ],
        &[],
    );
    let pid = binary.pid();
    let gateway = binary.serving_address().await;
    let mut child = binary.drain_log();
    let before = memory_mib(pid, "VmHWM");

    let stream = tokio::net::TcpStream::connect(gateway).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    let driver = tokio::spawn(connection);
    let (mut body, channel) = Channel::<Bytes>::new(2);
    let request = Request::post("/upload")
        .header("host", V1)
        .header("content-length", (mib * CHUNK).to_string())
        .body(channel)
        .unwrap();
    let started = Instant::now();
    let feeding = tokio::spawn(async move {
        let chunk = Bytes::from(vec![7u8; CHUNK]);
        for _ in 0..mib {
            body.send_data(chunk.clone())
                .await
                .expect("the gateway reads on");
        }
    });
    let response = tokio::time::timeout(Duration::from_secs(600), sender.send_request(request))
        .await
        .expect("an answer within 10 minutes")
        .expect("an answer");
    assert_eq!(response.status(), 200);
    let counted = response.into_body().collect().await.unwrap().to_bytes();
    let took = started.elapsed();
    feeding.await.unwrap();
    assert_eq!(
        String::from_utf8_lossy(&counted),
        (mib * CHUNK).to_string(),
        "every byte reached the backend"
    );
    let after = memory_mib(pid, "VmHWM");
    eprintln!(
        "{mib} MiB through the gateway in {:.2} s ({:.0} MiB/s); gateway peak RSS {before:.1} MiB before, {after:.1} MiB after",
        took.as_secs_f64(),
        mib as f64 / took.as_secs_f64()
    );
    assert!(
        after - before < mib as f64 / 2.0,
        "the gateway grew by {:.1} MiB for a {mib} MiB body: it buffered",
        after - before
    );
    driver.abort();
    let _ = child.kill().await;
    backend.stop().await;
}
