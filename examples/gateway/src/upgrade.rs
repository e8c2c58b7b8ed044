//! `Upgrade` passthrough (WebSocket and any other HTTP/1.1 upgrade): what a request needs to
//! be one, and the byte tunnels an accepted upgrade becomes.
//!
//! `Connection` and `Upgrade` are hop-by-hop, so the proxy drops them from every other
//! request. A request that asks for an upgrade (`Connection` naming `upgrade`, and an
//! `Upgrade` header) keeps exactly those two, as `Connection: upgrade` and its `Upgrade`
//! value, so that the upstream sees the handshake the client sent; the other hop-by-hop
//! headers still go. When the upstream answers `101 Switching Protocols`, the gateway answers
//! the client with that response (its `Connection` and `Upgrade` kept the same way), takes
//! both connections out of HTTP, and copies bytes both ways until either side closes. Any
//! other answer is forwarded as an ordinary response, and the connection stays HTTP. A tunnel
//! on which neither side sends a byte for `--tunnel-idle-timeout` is closed, as nginx closes
//! a WebSocket after `proxy_read_timeout` ([`Tunnels::join`]).
//!
//! Only HTTP/1.1 has this mechanism: HTTP/2 forbids connection-specific headers (its
//! WebSockets are extended CONNECT), so such requests are never treated as upgrades.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use http::header::{self, HeaderMap, HeaderValue};
use http::{Response, StatusCode, Version};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::watch;
use tokio::time::Instant;

/// The `Upgrade` value of a request that asks for an upgrade: an HTTP/1.1 request whose
/// `Connection` names `upgrade` and that has an `Upgrade` header. `None` for any other.
pub fn requested(version: Version, headers: &HeaderMap) -> Option<HeaderValue> {
    if version != Version::HTTP_11 || !connection_names_upgrade(headers) {
        return None;
    }
    headers.get(header::UPGRADE).cloned()
}

/// Whether a `Connection` field of `headers` names `upgrade` (case-insensitive, in a list).
fn connection_names_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|token| token.trim().eq_ignore_ascii_case("upgrade"))
}

/// Puts the handshake back after the hop-by-hop headers were removed: `Connection: upgrade`
/// and the `Upgrade` value.
pub fn restore(headers: &mut HeaderMap, upgrade: HeaderValue) {
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(header::UPGRADE, upgrade);
}

/// Whether an upstream's response accepts the upgrade: `101` with an `Upgrade` header.
pub fn accepted<B>(response: &Response<B>) -> Option<HeaderValue> {
    if response.status() != StatusCode::SWITCHING_PROTOCOLS {
        return None;
    }
    response.headers().get(header::UPGRADE).cloned()
}

/// The open tunnels of a server, so that its stop can close them: an upgraded connection is
/// no longer an HTTP connection, and the graceful drain of HTTP connections does not see it.
#[derive(Debug, Clone)]
pub struct Tunnels {
    inner: Arc<TunnelsInner>,
}

#[derive(Debug)]
struct TunnelsInner {
    /// `true` once the server stops; each tunnel holds a receiver, so `closed()` on the
    /// sender is "every tunnel has ended".
    closing: watch::Sender<bool>,
    opened: AtomicU64,
}

impl Default for Tunnels {
    fn default() -> Self {
        Tunnels {
            inner: Arc::new(TunnelsInner {
                closing: watch::Sender::new(false),
                opened: AtomicU64::new(0),
            }),
        }
    }
}

impl Tunnels {
    /// No tunnel yet.
    pub fn new() -> Self {
        Tunnels::default()
    }

    /// Tunnels opened so far.
    pub fn opened(&self) -> u64 {
        self.inner.opened.load(Ordering::Relaxed)
    }

    /// Tunnels still open.
    pub fn open(&self) -> usize {
        self.inner.closing.receiver_count()
    }

    /// Runs `work` (the life of one upgraded connection) on its own task until it ends or
    /// [`Tunnels::close`] is called.
    pub fn spawn<F>(&self, work: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let mut closing = self.inner.closing.subscribe();
        self.inner.opened.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            tokio::select! {
                () = work => {}
                _ = closing.wait_for(|closing| *closing) => {}
            }
            drop(closing);
        });
    }

    /// Ends every tunnel (those opened later end at once), and waits up to `limit` for them
    /// to go.
    pub async fn close(&self, limit: Duration) {
        self.inner.closing.send_replace(true);
        if tokio::time::timeout(limit, self.inner.closing.closed())
            .await
            .is_err()
        {
            tracing::warn!("upgraded connections still open after {limit:?}");
        }
    }

    /// Joins the client's and the upstream's upgraded connections and copies bytes both ways
    /// until either side closes, neither sends a byte for `idle` (both are then closed), or
    /// the server stops.
    ///
    /// The idle limit is nginx's: ingress-nginx closes a WebSocket on which nothing came for
    /// `proxy-read-timeout` (60 s), and its users raise that for long-lived sockets. Here any
    /// byte either way keeps the tunnel, so a client's pings alone keep it open too.
    pub fn join(
        &self,
        client: OnUpgrade,
        upstream: OnUpgrade,
        upstream_addr: String,
        idle: Duration,
    ) {
        self.spawn(async move {
            let (client, upstream) = match tokio::try_join!(client, upstream) {
                Ok(both) => both,
                Err(e) => {
                    tracing::debug!(upstream = upstream_addr, error = %e, "upgrade failed");
                    return;
                }
            };
            let activity = Activity::new();
            let mut client = Noted::new(TokioIo::new(client), &activity);
            let mut upstream = Noted::new(TokioIo::new(upstream), &activity);
            let copy = tokio::io::copy_bidirectional(&mut client, &mut upstream);
            tokio::pin!(copy);
            let outcome = loop {
                tokio::select! {
                    outcome = &mut copy => break Some(outcome),
                    () = tokio::time::sleep_until(activity.last() + idle) => {
                        if activity.last().elapsed() >= idle {
                            break None;
                        }
                    }
                }
            };
            match outcome {
                Some(Ok((up, down))) => tracing::debug!(
                    upstream = upstream_addr,
                    bytes_up = up,
                    bytes_down = down,
                    "upgraded connection closed"
                ),
                Some(Err(e)) => tracing::debug!(
                    upstream = upstream_addr,
                    error = %e,
                    "upgraded connection ended with an error"
                ),
                None => tracing::debug!(
                    upstream = upstream_addr,
                    ?idle,
                    "upgraded connection closed: idle"
                ),
            }
        });
    }
}

/// When a tunnel last carried a byte, either way: milliseconds since it opened.
struct Activity {
    opened: Instant,
    last_ms: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Activity {
            opened: Instant::now(),
            last_ms: AtomicU64::new(0),
        }
    }

    fn note(&self) {
        let ms = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        self.opened + Duration::from_millis(self.last_ms.load(Ordering::Relaxed))
    }
}

/// One side of a tunnel, noting in its [`Activity`] every read that brought bytes.
struct Noted<'a, S> {
    inner: S,
    activity: &'a Activity,
}

impl<'a, S> Noted<'a, S> {
    fn new(inner: S, activity: &'a Activity) -> Self {
        Noted { inner, activity }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Noted<'_, S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.note();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Noted<'_, S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn an_upgrade_needs_connection_upgrade_and_an_upgrade_header_over_http1() {
        let ws = map(&[
            ("connection", "keep-alive, Upgrade"),
            ("upgrade", "websocket"),
        ]);
        assert_eq!(
            requested(Version::HTTP_11, &ws)
                .as_ref()
                .map(|v| v.as_bytes()),
            Some(&b"websocket"[..])
        );
        assert_eq!(requested(Version::HTTP_2, &ws), None);
        assert_eq!(requested(Version::HTTP_10, &ws), None);
        assert_eq!(
            requested(Version::HTTP_11, &map(&[("upgrade", "websocket")])),
            None
        );
        assert_eq!(
            requested(Version::HTTP_11, &map(&[("connection", "upgrade")])),
            None
        );
        assert_eq!(
            requested(
                Version::HTTP_11,
                &map(&[("connection", "upgrader"), ("upgrade", "websocket")])
            ),
            None
        );
    }

    #[test]
    fn only_a_101_with_upgrade_accepts() {
        let mut response = Response::new(());
        assert_eq!(accepted(&response), None);
        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        assert_eq!(accepted(&response), None);
        response
            .headers_mut()
            .insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        assert_eq!(accepted(&response).unwrap(), "websocket");
    }
}
