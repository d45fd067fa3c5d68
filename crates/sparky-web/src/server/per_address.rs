//! A cap on the connections one client address holds at once. Without it, one host opening
//! connections and trickling request heads (slowloris) holds a socket and a task per
//! connection until the header timeout, up to the process's open-files limit, and everyone
//! else is refused. Over the cap a connection gets one short-lived 503 answer and is closed.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, HeaderValue, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpStream;

use super::linger::Lingering;

/// How long a refused connection may take to send its request head before it is closed.
const REFUSAL_HEAD_WAIT: Duration = Duration::from_secs(2);
/// At most one log line per this interval about refused connections (with their count).
const WARN_INTERVAL: Duration = Duration::from_secs(60);

/// Open connections per client address.
pub(super) struct PerAddress {
    /// 0: no cap.
    limit: usize,
    counts: Mutex<HashMap<IpAddr, usize>>,
    /// Refusals since the last log line, and when that was.
    refused: Mutex<(u64, Option<Instant>)>,
}

/// A connection's place in its address's count, given back when dropped.
pub(super) struct Slot {
    owner: Arc<PerAddress>,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.owner.counts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = counts.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

impl PerAddress {
    pub(super) fn new(limit: usize) -> Arc<PerAddress> {
        Arc::new(PerAddress {
            limit,
            counts: Mutex::new(HashMap::new()),
            refused: Mutex::new((0, None)),
        })
    }

    /// A slot for a new connection from `ip`, or `None` when that address is at the cap.
    pub(super) fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<Slot> {
        if self.limit > 0 {
            let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
            let n = counts.entry(ip).or_insert(0);
            if *n >= self.limit {
                drop(counts);
                self.note_refusal(ip);
                return None;
            }
            *n += 1;
        }
        Some(Slot {
            owner: self.clone(),
            ip,
        })
    }

    fn note_refusal(&self, ip: IpAddr) {
        let mut refused = self.refused.lock().unwrap_or_else(|e| e.into_inner());
        refused.0 += 1;
        let now = Instant::now();
        if refused
            .1
            .is_none_or(|at| now.duration_since(at) >= WARN_INTERVAL)
        {
            tracing::warn!(
                address = %ip,
                refused = refused.0,
                limit = self.limit,
                "connections refused: an address holds as many connections as SPARKY_MAX_CONNECTIONS_PER_IP allows"
            );
            *refused = (0, Some(now));
        }
    }
}

/// Answers the connection's first request with 503 in the API's error shape and closes it.
pub(super) async fn refuse(stream: TcpStream, limit: usize) {
    let service = hyper::service::service_fn(move |_req: Request<Incoming>| async move {
        Ok::<_, Infallible>(too_many(limit))
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(REFUSAL_HEAD_WAIT)
        .keep_alive(false);
    let conn = builder.serve_connection(TokioIo::new(Lingering::new(stream)), service);
    // A client that never sends a head is closed by the header timeout; bound it all the same.
    let _ = tokio::time::timeout(REFUSAL_HEAD_WAIT * 2, conn).await;
}

fn too_many(limit: usize) -> Response<Body> {
    let body = serde_json::json!({"error": {
        "code": "too_many_connections",
        "message": format!(
            "this address already has {limit} open connections to the server; close some and try again"
        ),
    }});
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}
