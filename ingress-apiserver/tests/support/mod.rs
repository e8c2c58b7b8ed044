//! Helpers shared by the integration tests: bounded waits and a minimal raw HTTP/1.1 client
//! (so wire-level checks do not depend on kube's or kubectl's interpretation).

#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Every wait in these tests is bounded by this.
pub const WAIT: Duration = Duration::from_secs(10);

/// A raw HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: String,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.body))
    }

    /// The body's lines parsed as JSON (watch events).
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.body
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str(l).unwrap_or_else(|e| panic!("bad event line ({e}): {l}"))
            })
            .collect()
    }
}

/// Send one request (`Connection: close`) and read the whole answer, de-chunked, within
/// `limit`. For watches, pass `timeoutSeconds` so the server ends the stream.
pub async fn request(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &str,
    limit: Duration,
) -> Answer {
    tokio::time::timeout(limit, async {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAccept: application/json\r\nContent-Length: {}\r\n",
            body.len()
        );
        if let Some(ct) = content_type {
            head.push_str(&format!("Content-Type: {ct}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).await.expect("write");
        stream.write_all(body.as_bytes()).await.expect("write");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.expect("read");
        let text = String::from_utf8(raw).expect("utf-8 answer");
        let (headers, rest) = text.split_once("\r\n\r\n").expect("header end");
        let status: u16 = headers[9..12].parse().expect("status code");
        let chunked = headers.to_ascii_lowercase().contains("transfer-encoding: chunked");
        let body = if chunked { dechunk(rest) } else { rest.to_owned() };
        Answer { status, headers: headers.to_owned(), body }
    })
    .await
    .unwrap_or_else(|_| panic!("{method} {path}: no complete answer within {limit:?}"))
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    loop {
        let (size, after) = rest.split_once("\r\n").expect("chunk size line");
        let size = usize::from_str_radix(size.trim(), 16).expect("chunk size");
        if size == 0 {
            return out;
        }
        out.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
}

/// Poll `check` every 20 ms until it holds, for at most [`WAIT`].
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A watch read event by event over a raw connection.
pub struct RawWatch {
    stream: TcpStream,
    raw: Vec<u8>,
    decoded: Vec<u8>,
    chunked: bool,
    ended: bool,
    pub status: u16,
}

impl RawWatch {
    /// Send `GET path` and read the response head.
    pub async fn open(addr: std::net::SocketAddr, path: &str) -> RawWatch {
        Self::open_accepting(addr, path, "application/json").await
    }

    /// Like [`RawWatch::open`], with this `Accept` header.
    pub async fn open_accepting(addr: std::net::SocketAddr, path: &str, accept: &str) -> RawWatch {
        let mut stream = tokio::time::timeout(WAIT, TcpStream::connect(addr))
            .await
            .expect("connect in time")
            .expect("connect");
        let head = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: {accept}\r\n\r\n");
        stream.write_all(head.as_bytes()).await.expect("write");
        let mut watch = RawWatch {
            stream,
            raw: Vec::new(),
            decoded: Vec::new(),
            chunked: false,
            ended: false,
            status: 0,
        };
        loop {
            if let Some(end) = find(&watch.raw, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&watch.raw[..end]).to_ascii_lowercase();
                watch.status = head[9..12].parse().expect("status code");
                watch.chunked = head.contains("transfer-encoding: chunked");
                watch.raw.drain(..end + 4);
                return watch;
            }
            assert!(
                watch.read_more().await,
                "connection closed before the response head"
            );
        }
    }

    async fn read_more(&mut self) -> bool {
        let mut buf = [0u8; 8192];
        let n = tokio::time::timeout(WAIT, self.stream.read(&mut buf))
            .await
            .expect("watch produced nothing within the wait")
            .expect("read");
        self.raw.extend_from_slice(&buf[..n]);
        n > 0
    }

    fn decode(&mut self) {
        if !self.chunked {
            self.decoded.append(&mut self.raw);
            return;
        }
        while let Some(line_end) = find(&self.raw, b"\r\n") {
            let size = usize::from_str_radix(
                std::str::from_utf8(&self.raw[..line_end])
                    .expect("size")
                    .trim(),
                16,
            )
            .expect("chunk size");
            if size == 0 {
                self.ended = true;
                self.raw.clear();
                return;
            }
            if self.raw.len() < line_end + 2 + size + 2 {
                return;
            }
            self.decoded
                .extend_from_slice(&self.raw[line_end + 2..line_end + 2 + size]);
            self.raw.drain(..line_end + 2 + size + 2);
        }
    }

    /// The next event, or `None` once the server ended the stream.
    pub async fn next(&mut self) -> Option<serde_json::Value> {
        loop {
            self.decode();
            if let Some(nl) = self.decoded.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.decoded.drain(..=nl).collect();
                return Some(serde_json::from_slice(&line).expect("event line is JSON"));
            }
            if self.ended {
                return None;
            }
            if !self.read_more().await {
                self.decode();
                if self.decoded.iter().any(|b| !b.is_ascii_whitespace()) {
                    let rest: Vec<u8> = std::mem::take(&mut self.decoded);
                    return Some(serde_json::from_slice(&rest).expect("body is JSON"));
                }
                return None;
            }
        }
    }

    /// The next event's `type` and `metadata.name` of its object.
    pub async fn next_brief(&mut self) -> Option<(String, String)> {
        let event = self.next().await?;
        let kind = event["type"].as_str().unwrap_or_default().to_owned();
        let name = event["object"]["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        Some((kind, name))
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
