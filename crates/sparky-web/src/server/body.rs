//! Request bodies a handler may leave unread: reading and discarding them, and tracking
//! whether they were read so the server knows if the connection can be reused.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body as _, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use tokio::time::{Instant, Sleep};

use super::{DRAIN_LIMIT, DRAIN_TIMEOUT};

/// Reads and discards the rest of a body, within [`DRAIN_LIMIT`] and [`DRAIN_TIMEOUT`].
pub(super) async fn discard(mut body: Incoming) -> bool {
    let read_all = async {
        let mut total = 0u64;
        while let Some(frame) = body.frame().await {
            match frame {
                Ok(frame) => {
                    if let Some(data) = frame.data_ref() {
                        total += data.len() as u64;
                        if total > DRAIN_LIMIT {
                            return false;
                        }
                    }
                }
                Err(_) => return false,
            }
        }
        true
    };
    tokio::time::timeout(DRAIN_TIMEOUT, read_all)
        .await
        .unwrap_or(false)
}

pub(super) enum BodyState {
    /// The handler has the body (or had it and dropped it after reading it all).
    InUse,
    Ended,
    /// The handler dropped the body before its end; here is the rest.
    Returned {
        body: Incoming,
        read: u64,
    },
    /// The client stopped sending the body while the handler waited for it.
    Stalled,
}

/// The error a handler's body read gets when the body stalls ([`Tracked`]).
#[derive(Debug)]
pub(super) struct BodyStalled;

impl std::fmt::Display for BodyStalled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request body stopped arriving")
    }
}

impl std::error::Error for BodyStalled {}

/// A request body that, when dropped unfinished, hands the rest back to [`super::handle`],
/// and fails a read that waited `stall` without a byte arriving.
pub(super) struct Tracked {
    inner: Option<Incoming>,
    read: u64,
    slot: Arc<Mutex<BodyState>>,
    stall: Duration,
    /// Armed while the handler waits for more of the body; only waiting counts, not the time
    /// the handler spends before it starts reading or between reads.
    waiting: Option<Pin<Box<Sleep>>>,
}

impl Tracked {
    pub(super) fn new(body: Incoming, slot: Arc<Mutex<BodyState>>, stall: Duration) -> Tracked {
        Tracked {
            inner: Some(body),
            read: 0,
            slot,
            stall,
            waiting: None,
        }
    }

    fn finish(&mut self, state: BodyState) {
        self.inner = None;
        self.waiting = None;
        *self.slot.lock().expect("body slot") = state;
    }
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::BoxError>>> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(None);
        };
        let polled = Pin::new(inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                self.waiting = None;
                if let Some(data) = frame.data_ref() {
                    self.read += data.len() as u64;
                }
            }
            // The end, or a broken connection (nothing to drain then).
            Poll::Ready(None | Some(Err(_))) => self.finish(BodyState::Ended),
            Poll::Pending => {
                let stall = self.stall;
                let waiting = self.waiting.get_or_insert_with(|| {
                    Box::pin(tokio::time::sleep_until(Instant::now() + stall))
                });
                if waiting.as_mut().poll(cx).is_ready() {
                    self.finish(BodyState::Stalled);
                    return Poll::Ready(Some(Err(Box::new(BodyStalled))));
                }
            }
        }
        polled.map(|frame| frame.map(|r| r.map_err(Into::into)))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(|b| b.is_end_stream())
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), |b| b.size_hint())
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        let Some(body) = self.inner.take() else {
            return;
        };
        let state = if body.is_end_stream() {
            BodyState::Ended
        } else {
            BodyState::Returned {
                body,
                read: self.read,
            }
        };
        if let Ok(mut slot) = self.slot.lock() {
            *slot = state;
        }
    }
}
