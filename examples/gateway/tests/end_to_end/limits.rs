//! Hostile and broken clients on raw sockets: a malformed request line or Host is a 400, an
//! oversized head a 431, a head that never completes (slowloris) gets its connection closed
//! after the header timeout, and connections beyond the limit wait; none of it stops the
//! gateway from serving the next client.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ingress_gateway::echo::Echo;
use ingress_gateway::server::Gateway;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{self, LIMIT, V1};

async fn gateway(echo: &Echo, extra: &[&str]) -> Gateway {
    support::v1_gateway(echo.local_addr(), extra).await
}

/// Writes `request` and reads until the server closes (or answers, then closes): what came
/// back, and whether the connection closed.
async fn exchange(addr: SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(LIMIT, stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

fn status_line(answer: &str) -> &str {
    answer.lines().next().unwrap_or("")
}

/// A well-formed request still gets its echo.
async fn serves(addr: SocketAddr) {
    let answer = exchange(
        addr,
        format!("GET / HTTP/1.1\r\nHost: {V1}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await;
    assert_eq!(status_line(&answer), "HTTP/1.1 200 OK", "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_oversized_requests_are_answered_and_the_gateway_goes_on() {
    let echo = Echo::start("echo-v1-1", "default/echo-v1").await.unwrap();
    let gateway = gateway(&echo, &["--max-header-bytes", "16384"]).await;
    let addr = gateway.local_addr();

    let garbage = exchange(addr, b"\x16\x03\x01 not http at all\r\n\r\n").await;
    assert_eq!(
        status_line(&garbage),
        "HTTP/1.1 400 Bad Request",
        "{garbage}"
    );
    let bad_host = exchange(
        addr,
        b"GET / HTTP/1.1\r\nHost: bad host!\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(
        status_line(&bad_host).starts_with("HTTP/1.1 400"),
        "{bad_host}"
    );
    let no_host = exchange(addr, b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n").await;
    assert!(
        status_line(&no_host).starts_with("HTTP/1.1 400"),
        "{no_host}"
    );

    // One header of 20 KiB, over the 16 KiB limit; then 200 small headers, over hyper's 100.
    let huge = format!(
        "GET / HTTP/1.1\r\nHost: {V1}\r\nX-Big: {}\r\n\r\n",
        "a".repeat(20 * 1024)
    );
    let answer = exchange(addr, huge.as_bytes()).await;
    assert_eq!(
        status_line(&answer),
        "HTTP/1.1 431 Request Header Fields Too Large",
        "{answer}"
    );
    let many: String = (0..200).map(|i| format!("X-H{i}: v\r\n")).collect();
    let answer = exchange(
        addr,
        format!("GET / HTTP/1.1\r\nHost: {V1}\r\n{many}\r\n").as_bytes(),
    )
    .await;
    assert_eq!(
        status_line(&answer),
        "HTTP/1.1 431 Request Header Fields Too Large",
        "{answer}"
    );
    // Just under the limit is served.
    let fits = format!(
        "GET / HTTP/1.1\r\nHost: {V1}\r\nX-Big: {}\r\nConnection: close\r\n\r\n",
        "a".repeat(8 * 1024)
    );
    assert_eq!(
        status_line(&exchange(addr, fits.as_bytes()).await),
        "HTTP/1.1 200 OK"
    );

    serves(addr).await;
    gateway.stop().await;
    echo.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_head_is_cut_off_and_extra_connections_wait() {
    let echo = Echo::start("echo-v1-1", "default/echo-v1").await.unwrap();
    let gateway_with = |extra: &'static [&'static str]| gateway(&echo, extra);
    let timing_out = gateway_with(&["--client-header-timeout", "500ms"]).await;
    let addr = timing_out.local_addr();

    // Slowloris: a head sent a byte now and then, never finished.
    let mut slow = TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: ").await.unwrap();
    let mut closed = false;
    while started.elapsed() < LIMIT {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if slow.write_all(b"x").await.is_err() {
            closed = true;
            break;
        }
        let mut byte = [0u8; 1];
        match tokio::time::timeout(Duration::from_millis(1), slow.read(&mut byte)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                closed = true;
                break;
            }
            _ => {}
        }
    }
    assert!(
        closed,
        "the slow client still held its connection after {LIMIT:?}"
    );
    eprintln!("slow head cut off after {:?}", started.elapsed());
    serves(addr).await;
    timing_out.stop().await;

    // A gateway of two connections (and the default 60 s header timeout, so the held ones
    // stay held).
    let gateway = gateway_with(&["--max-connections", "2"]).await;
    let addr = gateway.local_addr();

    // Two connections held open (the limit): a third is accepted by the kernel but not
    // served until one of them closes.
    let hold = [
        TcpStream::connect(addr).await.unwrap(),
        TcpStream::connect(addr).await.unwrap(),
    ];
    // Let the gateway take both before the third arrives.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut third = TcpStream::connect(addr).await.unwrap();
    third
        .write_all(format!("GET / HTTP/1.1\r\nHost: {V1}\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut answer = Vec::new();
    let early =
        tokio::time::timeout(Duration::from_millis(300), third.read_to_end(&mut answer)).await;
    assert!(
        early.is_err() && answer.is_empty(),
        "served beyond the limit: {answer:?}"
    );
    drop(hold);
    tokio::time::timeout(LIMIT, third.read_to_end(&mut answer))
        .await
        .expect("served once a slot is free")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert_eq!(status_line(&answer), "HTTP/1.1 200 OK", "{answer}");

    gateway.stop().await;
    echo.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_gives_requests_in_flight_the_drain_timeout_then_closes_them() {
    // A backend that accepts and never answers: the request stays in flight.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gateway =
        support::v1_gateway(silent.local_addr().unwrap(), &["--drain-timeout", "300ms"]).await;
    let mut client = TcpStream::connect(gateway.local_addr()).await.unwrap();
    client
        .write_all(format!("GET / HTTP/1.1\r\nHost: {V1}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    // The request has reached the silent backend.
    let (_held, _) = tokio::time::timeout(LIMIT, silent.accept())
        .await
        .unwrap()
        .unwrap();

    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(5), gateway.stop())
        .await
        .expect("the stop ends after the 300 ms drain, not the default 10 s");
    let stopped_after = started.elapsed();
    assert!(
        stopped_after >= Duration::from_millis(300),
        "{stopped_after:?}: it waited"
    );
    // The client's connection was closed, unanswered.
    let mut rest = Vec::new();
    let read = tokio::time::timeout(LIMIT, client.read_to_end(&mut rest)).await;
    assert!(read.is_ok() && rest.is_empty(), "{rest:?}");
}
