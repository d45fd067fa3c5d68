//! The HTTP/1.1 server loop: how connections are accepted, kept alive, closed and drained.
//!
//! `axum::serve` leaves three things to chance that a server behind a load balancer cannot:
//!
//! - A response sent before the request body was read (401, 413, 503 while the database is
//!   down) left the rest of the body in the connection, which hyper then closed without saying
//!   so, and the client's next request on that keep-alive connection met a broken pipe. Here a
//!   small unread body is read and discarded before the response goes out; otherwise the
//!   response says `Connection: close`, and the socket lingers so the client can read it.
//! - On SIGTERM it stopped accepting at once and reset connections that were waiting in the
//!   listen queue. Here shutdown has a drain period first: `/readyz` answers 503 so load
//!   balancers stop sending, every response says `Connection: close`, and new connections are
//!   still served. Then new connection attempts are dropped (they end up refused), the ones
//!   the kernel already accepted are served, and in-flight requests finish within a bound.
//! - A panic in a handler is answered by the router's catch-panic layer; [`log_panics`] makes
//!   that one log line, with the request id, instead of a bare message on stderr.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderValue, Request, Response};
use axum::Router;
use http_body::Body as _;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;
use tower::ServiceExt;

mod body;
mod linger;
mod per_address;

use body::{discard, BodyState, Tracked};
use linger::Lingering;
use per_address::{PerAddress, Slot};

/// An unread request body up to this size is read and discarded so the connection can be
/// reused; a larger one closes the connection instead.
const DRAIN_LIMIT: u64 = 64 * 1024;
/// How long discarding an unread body may take before the connection is closed instead.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(1);
/// After a closing response, how long to keep reading (and discarding) what the client still
/// sends, so that closing does not reset the connection before the client read the response.
const LINGER_TIMEOUT: Duration = Duration::from_secs(2);
const LINGER_LIMIT: u64 = 1024 * 1024;
/// The largest request head (request line and headers; 431 and the connection closed above
/// it). Without it hyper buffers up to about 400 KB of head per connection, so every idle
/// connection trickling a huge head could hold that much; browsers send a few KB, and nginx
/// allows 32 KB by default.
const MAX_REQUEST_HEAD: usize = 64 * 1024;
/// What hyper itself buffers: room above [`MAX_REQUEST_HEAD`] so that a head just over it is
/// refused here, in the API's error shape; hyper's own 431 (beyond this) has no body.
const HYPER_HEAD_LIMIT: usize = 2 * MAX_REQUEST_HEAD;
/// The most header fields a request may have (nginx and hyper allow about 100).
const MAX_HEADER_FIELDS: usize = 100;
/// hyper's own limit on header fields, above ours for the same reason.
const HYPER_HEADER_FIELDS: usize = 2 * MAX_HEADER_FIELDS;
/// When the server stops, a connection that has not sent a request yet gets this long to send
/// one (it was accepted, so it is owed an answer) before it is closed.
const FIRST_REQUEST_WAIT: Duration = Duration::from_secs(2);
/// When the server stops accepting, connections whose handshake is under way are still taken
/// until none arrive for this long (bounded by [`SETTLE_LIMIT`]).
const SETTLE_QUIET: Duration = Duration::from_millis(100);
const SETTLE_LIMIT: Duration = Duration::from_secs(1);

/// How shutdown proceeds (`SPARKY_SHUTDOWN_DRAIN_MS`, `SPARKY_SHUTDOWN_TIMEOUT_MS`).
#[derive(Debug, Clone, Copy)]
pub struct ServeOptions {
    /// After the shutdown signal: keep accepting and answering this long, with `/readyz` 503
    /// and `Connection: close` on every response.
    pub drain: Duration,
    /// Then, after accepting stops: how long in-flight requests may take before the
    /// remaining connections are closed.
    pub finish: Duration,
    /// How long a request body may stop arriving while its handler waits for it; then the
    /// request is answered 408 and the connection closed (like nginx's `client_body_timeout`),
    /// so a stalled upload does not hold its task, memory and socket forever
    /// (`SPARKY_BODY_TIMEOUT_MS`).
    pub body_stall: Duration,
    /// A client must send its request head within this time, which is also how long a
    /// keep-alive connection may sit idle (hyper starts the timer when it waits for a request;
    /// `SPARKY_HEADER_TIMEOUT_MS`). The default is longer than reverse proxies' idle timeouts
    /// for upstream connections (nginx 60 s, Caddy 2 min), so the proxy closes idle
    /// connections first: when the server closes one, a request the proxy sends at that
    /// moment fails. Without a proxy in front, shorter bounds how long idle clients hold
    /// sockets.
    pub header_read: Duration,
    /// Connections one client address may hold at once; over it a connection is answered
    /// 503 and closed (`SPARKY_MAX_CONNECTIONS_PER_IP`; 0: no cap). Behind a reverse proxy
    /// every client is the proxy's address, so the cap must leave room for all of them.
    pub max_connections_per_address: usize,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            drain: Duration::from_secs(5),
            finish: Duration::from_secs(20),
            body_stall: Duration::from_secs(60),
            header_read: Duration::from_secs(180),
            max_connections_per_address: 256,
        }
    }
}

/// Present (as a request extension) on requests served by [`serve`]; set once shutdown began.
/// `/readyz` reads it.
#[derive(Debug, Clone, Default)]
pub struct Draining(Arc<AtomicBool>);

impl Draining {
    pub fn is_draining(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
    fn start(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Serves `app` on `listener` until `signal` resolves, then drains and stops as described in
/// the module documentation.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    signal: impl Future<Output = ()>,
    options: ServeOptions,
) -> std::io::Result<()> {
    let server = Server {
        app,
        draining: Draining::default(),
        stop: watch::channel(false).0,
        timeouts: ClientTimeouts {
            body_stall: options.body_stall,
            header_read: options.header_read,
        },
        per_address: PerAddress::new(options.max_connections_per_address),
        per_address_limit: options.max_connections_per_address,
    };
    let mut connections = JoinSet::new();
    let mut signal = std::pin::pin!(signal);

    loop {
        tokio::select! {
            () = &mut signal => break,
            accepted = listener.accept() => server.accepted(accepted, &mut connections).await,
            Some(_) = connections.join_next() => {}
        }
    }

    server.draining.start();
    tracing::info!(
        drain_ms = options.drain.as_millis() as u64,
        "shutting down: draining (readiness fails, connections close after each response)"
    );
    let drain = tokio::time::sleep(options.drain);
    let mut drain = std::pin::pin!(drain);
    loop {
        tokio::select! {
            () = &mut drain => break,
            accepted = listener.accept() => server.accepted(accepted, &mut connections).await,
            Some(_) = connections.join_next() => {}
        }
    }

    // Stop accepting without resetting anyone: new connection attempts are dropped (the client
    // retries, finds the port closed, and is refused); handshakes already under way complete
    // and are served.
    if let Err(e) = refuse_new_connections(&listener) {
        tracing::warn!(error = %e, "cannot hold back new connections while stopping; closing the listener directly");
    } else {
        let settle_until = tokio::time::Instant::now() + SETTLE_LIMIT;
        while let Ok(accepted) = tokio::time::timeout_at(
            settle_until.min(tokio::time::Instant::now() + SETTLE_QUIET),
            listener.accept(),
        )
        .await
        {
            server.accepted(accepted, &mut connections).await;
        }
    }
    drop(listener);
    let _ = server.stop.send(true);
    tracing::info!(
        connections = connections.len(),
        "stopped accepting; finishing in-flight requests"
    );

    let finished = tokio::time::timeout(options.finish, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if finished.is_err() {
        tracing::warn!(
            connections = connections.len(),
            finish_ms = options.finish.as_millis() as u64,
            "requests still running at the end of the shutdown timeout; closing their connections"
        );
        connections.shutdown().await;
    }
    Ok(())
}

struct Server {
    app: Router,
    draining: Draining,
    stop: watch::Sender<bool>,
    timeouts: ClientTimeouts,
    per_address: Arc<PerAddress>,
    per_address_limit: usize,
}

/// How long a client may take to send a request head and, once its handler reads it, to
/// keep its body coming ([`ServeOptions`]).
#[derive(Clone, Copy)]
struct ClientTimeouts {
    body_stall: Duration,
    header_read: Duration,
}

impl Server {
    async fn accepted(
        &self,
        accepted: std::io::Result<(TcpStream, SocketAddr)>,
        connections: &mut JoinSet<()>,
    ) {
        match accepted {
            Ok((stream, remote)) => {
                let _ = stream.set_nodelay(true);
                match self.per_address.admit(remote.ip()) {
                    Some(slot) => {
                        connections.spawn(connection(
                            stream,
                            remote,
                            self.app.clone(),
                            self.draining.clone(),
                            self.stop.subscribe(),
                            self.timeouts,
                            slot,
                        ));
                    }
                    None => {
                        connections.spawn(per_address::refuse(stream, self.per_address_limit));
                    }
                }
            }
            // Out of file descriptors and the like: wait instead of spinning.
            Err(e) => {
                tracing::warn!(error = %e, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Per connection: whether it has started a request (a stopping server owes it one answer).
#[derive(Default)]
struct ConnState {
    requests: AtomicU64,
    first_request: Notify,
}

async fn connection(
    stream: TcpStream,
    remote: SocketAddr,
    app: Router,
    draining: Draining,
    mut stop: watch::Receiver<bool>,
    timeouts: ClientTimeouts,
    // Held for the connection's life: its place in its address's count.
    _slot: Slot,
) {
    let state = Arc::new(ConnState::default());
    let service = {
        let state = state.clone();
        hyper::service::service_fn(move |req: Request<Incoming>| {
            if state.requests.fetch_add(1, Ordering::Relaxed) == 0 {
                state.first_request.notify_one();
            }
            handle(
                req,
                remote,
                app.clone(),
                draining.clone(),
                timeouts.body_stall,
            )
        })
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(timeouts.header_read)
        .max_header_size(HYPER_HEAD_LIMIT)
        .max_headers(HYPER_HEADER_FIELDS);
    let conn = builder.serve_connection(TokioIo::new(Lingering::new(stream)), service);
    let mut conn = std::pin::pin!(conn);

    let stopping = async {
        if !*stop.borrow_and_update() {
            let _ = stop.changed().await;
        }
    };
    tokio::select! {
        result = conn.as_mut() => return log_connection_end(result),
        () = stopping => {}
    }
    if state.requests.load(Ordering::Relaxed) == 0 {
        tokio::select! {
            result = conn.as_mut() => return log_connection_end(result),
            () = state.first_request.notified() => {}
            // Accepted but silent: close it.
            () = tokio::time::sleep(FIRST_REQUEST_WAIT) => return,
        }
    }
    // Finishes the request in flight (its response says Connection: close), or closes the
    // connection now if it is idle between requests.
    conn.as_mut().graceful_shutdown();
    log_connection_end(conn.await);
}

fn log_connection_end(result: Result<(), hyper::Error>) {
    if let Err(e) = result {
        tracing::debug!(error = %e, "connection ended with an error");
    }
}

async fn handle(
    req: Request<Incoming>,
    remote: SocketAddr,
    app: Router,
    draining: Draining,
    body_stall: Duration,
) -> Result<Response<Body>, Infallible> {
    if let Some(refusal) = head_too_large(&req) {
        return Ok(refusal);
    }
    let (mut parts, incoming) = req.into_parts();
    parts.extensions.insert(ConnectInfo(remote));
    parts.extensions.insert(draining.clone());

    let (body, leftover) = if incoming.is_end_stream() {
        (Body::new(incoming), None)
    } else {
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let expects_continue = parts
            .headers
            .get(header::EXPECT)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
        let slot = Arc::new(Mutex::new(BodyState::InUse));
        let tracked = Tracked::new(incoming, slot.clone(), body_stall);
        (Body::new(tracked), Some((slot, declared, expects_continue)))
    };

    let mut response = match app.oneshot(Request::from_parts(parts, body)).await {
        Ok(r) => r,
        Err(never) => match never {},
    };

    let mut close = draining.is_draining();
    if let Some((slot, declared, expects_continue)) = leftover {
        let state = std::mem::replace(&mut *slot.lock().expect("body slot"), BodyState::InUse);
        match state {
            BodyState::Ended => {}
            BodyState::Returned { body, read } => {
                let remaining = declared.map(|d| d.saturating_sub(read));
                let worth_draining = remaining.is_none_or(|r| r <= DRAIN_LIMIT)
                    // The client waits for "100 Continue" before sending; reading now would
                    // ask it for a body nobody wants.
                    && !(expects_continue && read == 0);
                if !(worth_draining && discard(body).await) {
                    close = true;
                }
            }
            // Still held somewhere (a task outlived the response): the connection cannot be
            // reused safely.
            BodyState::InUse => close = true,
            // Whatever the handler made of the failed read, the answer is that the body
            // stopped coming; what the client sends later is not read.
            BodyState::Stalled => {
                response = body_stalled(&response, body_stall);
                close = true;
            }
        }
    }
    if close {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    Ok(response)
}

/// A 431 in the API's error shape (connection closed: the body, if any, is not read) for a
/// request head over [`MAX_REQUEST_HEAD`] bytes or [`MAX_HEADER_FIELDS`] fields.
fn head_too_large<B>(req: &Request<B>) -> Option<Response<Body>> {
    let fields = req.headers().len();
    // As sent: "METHOD target HTTP/1.1\r\n", then "name: value\r\n" per field, then "\r\n".
    let bytes = req.method().as_str().len()
        + req.uri().path_and_query().map_or(1, |p| p.as_str().len())
        + req.uri().authority().map_or(0, |a| a.as_str().len())
        + 12
        + req
            .headers()
            .iter()
            .map(|(n, v)| n.as_str().len() + v.len() + 4)
            .sum::<usize>()
        + 2;
    if bytes <= MAX_REQUEST_HEAD && fields <= MAX_HEADER_FIELDS {
        return None;
    }
    let body = serde_json::json!({"error": {
        "code": "request_header_too_large",
        "message": format!(
            "the request's headers are too large ({bytes} bytes in {fields} fields; at most \
             {MAX_REQUEST_HEAD} bytes and {MAX_HEADER_FIELDS} fields): clear this site's cookies \
             or send fewer headers"
        ),
    }});
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = hyper::StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    Some(response)
}

/// 408 in the API's error shape, keeping the request id of the handler's answer.
fn body_stalled(answered: &Response<Body>, body_stall: Duration) -> Response<Body> {
    let body = serde_json::json!({"error": {
        "code": "request_timeout",
        "message": format!(
            "the request body stopped arriving for {} s; send it again",
            body_stall.as_secs_f64()
        ),
    }});
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = hyper::StatusCode::REQUEST_TIMEOUT;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(id) = answered.headers().get("x-request-id") {
        headers.insert("x-request-id", id.clone());
    }
    response
}

/// Makes the kernel drop new connection attempts (TCP SYNs without ACK) to this listener,
/// while handshakes already under way still complete. A client whose SYN was dropped retries,
/// and by then the listener is closed and it is refused: it was never accepted.
fn refuse_new_connections(listener: &TcpListener) -> std::io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use socket2::{SockFilter, SockRef};
        // Classic BPF over the TCP header (where socket filters on TCP sockets start):
        // load the flags byte; ACK set -> accept; SYN set -> drop; anything else -> accept.
        const LD_B_ABS: u16 = 0x30; // BPF_LD | BPF_B | BPF_ABS
        const JSET_K: u16 = 0x45; // BPF_JMP | BPF_JSET | BPF_K
        const RET_K: u16 = 0x06; // BPF_RET | BPF_K
        const TCP_FLAGS: u32 = 13;
        const ACK: u32 = 0x10;
        const SYN: u32 = 0x02;
        let program = [
            SockFilter::new(LD_B_ABS, 0, 0, TCP_FLAGS),
            SockFilter::new(JSET_K, 2, 0, ACK),
            SockFilter::new(JSET_K, 0, 1, SYN),
            SockFilter::new(RET_K, 0, 0, 0),
            SockFilter::new(RET_K, 0, 0, u32::MAX),
        ];
        SockRef::from(listener).attach_filter(&program)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = listener;
        Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "socket filters need Linux",
        ))
    }
}

/// Routes panic messages through `tracing`, so a panic is one log line carrying the span it
/// happened in (for a request: its method, path and request id) instead of bare text on stderr.
/// The catch-panic layer then only shapes the 500 and does not log it again.
pub fn log_panics() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".to_string());
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let backtrace = std::backtrace::Backtrace::capture();
        if backtrace.status() == std::backtrace::BacktraceStatus::Captured {
            tracing::error!(%location, "panic: {message}\n{backtrace}");
        } else {
            tracing::error!(%location, "panic: {message}");
        }
    }));
}
