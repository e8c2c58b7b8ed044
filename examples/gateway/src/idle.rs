//! A body that may not stall: [`IdleTimeout`] ends it with an error when its sender sends
//! nothing for too long between two chunks. For an upstream's response body that is nginx's
//! `proxy_read_timeout` between two reads; for a client's request body, nginx's
//! `client_body_timeout` (the proxy answers `408`: [`crate::proxy`]). The response head has been passed on by
//! then, so the client learns it from the connection closing (HTTP/1.1) or the stream being
//! reset (HTTP/2) before the body's end, which is what nginx does too.
//!
//! Only time spent waiting on the upstream counts: while a slow client is not reading, the
//! body is not polled, and the clock starts when the gateway asks for the next chunk and the
//! upstream has none.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::{Body, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

/// The error an [`IdleTimeout`] body ends with.
#[derive(Debug, thiserror::Error)]
#[error("nothing came for {0:?} in the middle of the body")]
pub struct Stalled(pub Duration);

/// `inner`, ended with [`Stalled`] when it has no next chunk for `limit`.
#[derive(Debug)]
pub struct IdleTimeout<B> {
    inner: B,
    limit: Duration,
    /// Made at the first wait, then reset for each later one.
    timer: Option<Pin<Box<Sleep>>>,
    /// Whether the timer runs for the current wait.
    waiting: bool,
}

impl<B> IdleTimeout<B> {
    /// `inner`, allowed to stay silent for `limit` at a time.
    pub fn new(inner: B, limit: Duration) -> Self {
        IdleTimeout {
            inner,
            limit,
            timer: None,
            waiting: false,
        }
    }
}

impl<B> Body for IdleTimeout<B>
where
    B: Body + Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Data = B::Data;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            this.waiting = false;
            return Poll::Ready(frame.map(|frame| frame.map_err(Into::into)));
        }
        if !this.waiting {
            this.waiting = true;
            let deadline = Instant::now() + this.limit;
            match &mut this.timer {
                Some(timer) => timer.as_mut().reset(deadline),
                None => this.timer = Some(Box::pin(tokio::time::sleep_until(deadline))),
            }
        }
        match this.timer.as_mut().map(|timer| timer.as_mut().poll(cx)) {
            Some(Poll::Ready(())) => Poll::Ready(Some(Err(Stalled(this.limit).into()))),
            _ => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use http_body_util::BodyExt;
    use http_body_util::channel::Channel;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_body_that_keeps_sending_ends_well_and_one_that_stalls_ends_stalled() {
        let (mut tx, body) = Channel::<Bytes, Box<dyn std::error::Error + Send + Sync>>::new(1);
        let mut body = IdleTimeout::new(body, Duration::from_secs(1));
        tokio::spawn(async move {
            for _ in 0..3 {
                // Gaps shorter than the limit, three times its length in all.
                tokio::time::sleep(Duration::from_millis(900)).await;
                tx.send_data(Bytes::from_static(b"chunk")).await.unwrap();
            }
            tokio::time::sleep(Duration::from_secs(5)).await;
            drop(tx);
        });
        for _ in 0..3 {
            let frame = body.frame().await.unwrap().unwrap();
            assert_eq!(frame.into_data().unwrap(), "chunk");
        }
        let error = body.frame().await.unwrap().unwrap_err();
        assert!(error.is::<Stalled>(), "{error}");
    }
}
