//! How the server handles connections (src/server.rs), over raw TCP so that keep-alive,
//! `Connection: close` and resets are visible: early answers to requests whose body was not
//! read, a panicking handler, and draining on shutdown.

mod common;

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::routing::get;
use common::TestApp;
use serde_json::Value;
use sparky_db::{Database, MigrationSource, Migrator};
use sparky_testkit::TestDb;
use sparky_web::server::{serve, ServeOptions};
use sparky_web::{AppState, WebConfig};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// One HTTP/1.1 response read off the wire.
#[derive(Debug)]
struct RawResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn closes(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// A keep-alive HTTP/1.1 client connection.
struct Conn {
    reader: BufReader<TcpStream>,
}

impl Conn {
    async fn open(base: &str) -> Conn {
        let addr = base.trim_start_matches("http://");
        Conn {
            reader: BufReader::new(TcpStream::connect(addr).await.unwrap()),
        }
    }

    async fn send(&mut self, head: &str, body: &[u8]) -> std::io::Result<()> {
        let s = self.reader.get_mut();
        s.write_all(head.as_bytes()).await?;
        s.write_all(body).await
    }

    /// The next response, or `None` when the server closed the connection cleanly first.
    async fn response(&mut self) -> std::io::Result<Option<RawResponse>> {
        let mut line = String::new();
        if self.reader.read_line(&mut line).await? == 0 {
            return Ok(None);
        }
        let status = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not a status line: {line:?}"));
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            self.reader.read_line(&mut h).await?;
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            let (n, v) = h.split_once(':').expect("header line");
            headers.push((n.trim().to_string(), v.trim().to_string()));
        }
        let len: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .map(|(_, v)| v.parse().unwrap())
            .expect("responses carry Content-Length");
        let mut body = vec![0; len];
        self.reader.read_exact(&mut body).await?;
        Ok(Some(RawResponse {
            status,
            headers,
            body,
        }))
    }

    async fn get(&mut self, path: &str) -> std::io::Result<Option<RawResponse>> {
        self.send(&format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n"), b"")
            .await?;
        self.response().await
    }

    /// Whether the server closed the connection (clean EOF, no reset) with nothing more to say.
    async fn closed_cleanly(&mut self) -> bool {
        let mut rest = Vec::new();
        matches!(
            tokio::time::timeout(Duration::from_secs(10), self.reader.read_to_end(&mut rest)).await,
            Ok(Ok(0))
        )
    }
}

fn post_head(path: &str, extra: &str, len: usize) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n{extra}Content-Length: {len}\r\n\r\n"
    )
}

/// A JSON body of `len` bytes.
fn json_body(len: usize) -> Vec<u8> {
    let pad = len - r#"{"pad":""}"#.len();
    format!(r#"{{"pad":"{}"}}"#, "x".repeat(pad)).into_bytes()
}

/// Sends `head` + `body`, expects `status`, then asks the same connection for /healthz: it
/// must answer, because a small unread body is read and discarded, not left in the stream.
/// Twice: with the body sent together with the head, and with the body a moment later (as
/// when it arrives in a later packet), so the server answers before it has arrived.
async fn then_keep_alive_works(base: &str, head: &str, body: &[u8], status: u16) {
    for delay_body in [false, true] {
        let mut conn = Conn::open(base).await;
        if delay_body {
            conn.send(head, b"").await.unwrap();
            tokio::time::sleep(Duration::from_millis(200)).await;
            conn.send("", body).await.unwrap();
        } else {
            conn.send(head, body).await.unwrap();
        }
        answered_then_reused(conn, status).await;
    }
}

async fn answered_then_reused(mut conn: Conn, status: u16) {
    let first = conn.response().await.unwrap().expect("a response");
    assert_eq!(first.status, status, "{:?}", first.json());
    assert!(first.json()["error"]["code"].is_string(), "{first:?}");
    assert!(
        !first.closes(),
        "a small unread body is drained, so the connection stays open: {first:?}"
    );
    let second = conn
        .get("/healthz")
        .await
        .expect("the next request on the same connection is answered")
        .expect("not closed");
    assert_eq!(second.status, 200);
}

#[tokio::test]
async fn an_early_401_leaves_the_connection_usable() {
    let app = TestApp::spawn().await;
    let body = json_body(2000);
    // No credentials: refused before the body is looked at.
    then_keep_alive_works(
        &app.base,
        &post_head("/api/v1/diary", "", body.len()),
        &body,
        401,
    )
    .await;
    // An API key that does not exist: refused after a database round trip, body unread.
    then_keep_alive_works(
        &app.base,
        &post_head(
            "/api/v1/diary",
            "Authorization: Bearer spk_nosuchkey\r\n",
            body.len(),
        ),
        &body,
        401,
    )
    .await;
}

#[tokio::test]
async fn a_413_for_a_small_body_leaves_the_connection_usable() {
    let app = TestApp::spawn_with(WebConfig {
        max_body_bytes: 1024,
        ..Default::default()
    })
    .await;
    let body = json_body(8000);
    then_keep_alive_works(
        &app.base,
        &post_head("/api/v1/auth/register", "", body.len()),
        &body,
        413,
    )
    .await;
}

#[tokio::test]
async fn a_503_while_the_database_is_down_leaves_the_connection_usable() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut config = tokio_postgres::Config::new();
    config
        .host("127.0.0.1")
        .port(port)
        .user("sparky")
        .dbname("sparky")
        .connect_timeout(Duration::from_secs(2));
    let database = Database::new(config, "sparky_app", 2).unwrap();
    let app = TestApp::serve(TestDb::new().await, database, WebConfig::default()).await;
    let body = json_body(1500);
    let head = post_head(
        "/api/v1/diary",
        // The Origin matches the Host header, so the CSRF check passes.
        "Cookie: sparky_session=abc\r\nOrigin: http://test\r\n",
        body.len(),
    );
    for _ in 0..3 {
        then_keep_alive_works(&app.base, &head, &body, 503).await;
    }
}

/// A body too large to drain: the answer says `Connection: close`, and the server keeps
/// reading (and discarding) until the client is done, so a client that sends its whole body
/// before reading still gets the answer instead of a reset.
#[tokio::test]
async fn a_413_for_a_large_body_closes_the_connection_without_a_reset() {
    let app = TestApp::spawn_with(WebConfig {
        max_body_bytes: 1024,
        ..Default::default()
    })
    .await;
    let body = json_body(512 * 1024);
    let mut conn = Conn::open(&app.base).await;
    conn.send(&post_head("/api/v1/auth/register", "", body.len()), &body)
        .await
        .expect("the server reads what the client sends");
    let r = conn
        .response()
        .await
        .expect("the answer is readable")
        .expect("an answer");
    assert_eq!(r.status, 413);
    assert_eq!(r.json()["error"]["code"], "payload_too_large");
    assert!(r.closes(), "{r:?}");
    assert!(conn.closed_cleanly().await);
}

/// Captures every log line of this test binary.
fn log_lines() -> Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || Sink(sink.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        // The hook under test, plus the default one so a failing assertion still prints.
        let default = std::panic::take_hook();
        sparky_web::server::log_panics();
        let ours = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            ours(info);
            default(info);
        }));
        log
    })
    .clone()
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A server over a fresh database with `extra` routes, served by [`serve`] until `stop`
/// resolves; returns its base URL and the serve task.
async fn spawn_with_routes(
    extra: axum::Router<AppState>,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
    options: ServeOptions,
) -> (String, TestDb, tokio::task::JoinHandle<std::io::Result<()>>) {
    let db = TestDb::new().await;
    let database = Database::new(db.owner_config(), db.app_role(), 4).unwrap();
    let migrator = Migrator::new(MigrationSource::Embedded, db.app_role()).unwrap();
    let app = sparky_web::router_with(
        AppState::new(database, WebConfig::default(), migrator),
        extra,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(serve(listener, app, stop, options));
    (base, db, task)
}

#[tokio::test]
async fn a_panicking_handler_answers_500_with_the_request_id_and_the_server_keeps_serving() {
    let log = log_lines();
    async fn boom() -> &'static str {
        panic!("deliberate test panic")
    }
    let (base, _db, _task) = spawn_with_routes(
        axum::Router::new()
            .route("/api/test/panic", get(boom))
            .route("/test/panic", get(boom)),
        std::future::pending(),
        ServeOptions::default(),
    )
    .await;

    let mut conn = Conn::open(&base).await;
    for id in ["panic-one", "panic-two"] {
        conn.send(
            &format!("GET /api/test/panic HTTP/1.1\r\nHost: test\r\nX-Request-Id: {id}\r\n\r\n"),
            b"",
        )
        .await
        .unwrap();
        let r = conn.response().await.unwrap().expect("an answer");
        assert_eq!(r.status, 500);
        assert_eq!(r.header("x-request-id"), Some(id));
        assert!(r
            .header("content-type")
            .is_some_and(|c| c.starts_with("application/json")));
        let body = r.json();
        assert_eq!(body["error"]["code"], "internal", "{body}");
        let text = body.to_string();
        assert!(!text.contains("deliberate"), "no panic text leaks: {text}");
        // The same connection (and so the same server) keeps serving.
        let ok = conn.get("/healthz").await.unwrap().expect("served");
        assert_eq!(ok.status, 200);
    }

    // Outside /api the web app answers with its HTML error page, still with the request id.
    conn.send(
        "GET /test/panic HTTP/1.1\r\nHost: test\r\nAccept: text/html\r\nX-Request-Id: panic-page\r\n\r\n",
        b"",
    )
    .await
    .unwrap();
    let r = conn.response().await.unwrap().expect("an answer");
    assert_eq!(r.status, 500);
    assert_eq!(r.header("x-request-id"), Some("panic-page"));
    assert!(r
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/html")));
    let page = String::from_utf8_lossy(&r.body).to_string();
    assert!(page.contains("<html"), "{page}");
    assert!(!page.contains("deliberate"), "no panic text leaks: {page}");

    let text = String::from_utf8_lossy(&log.lock().unwrap()).to_string();
    for id in ["panic-one", "panic-two", "panic-page"] {
        let lines: Vec<&str> = text.lines().filter(|l| l.contains(id)).collect();
        assert_eq!(
            lines.len(),
            1,
            "one log line per panic, with its request id: {lines:#?}\n--- whole log ---\n{text}"
        );
        assert!(lines[0].contains("deliberate test panic"), "{}", lines[0]);
        assert!(lines[0].contains("ERROR"), "{}", lines[0]);
    }
}

#[tokio::test]
async fn shutdown_drains_then_stops_accepting_and_finishes_in_flight_requests() {
    async fn slow() -> &'static str {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        "finished"
    }
    let (signal_tx, signal_rx) = tokio::sync::oneshot::channel::<()>();
    let drain = Duration::from_millis(1000);
    let (base, _db, task) = spawn_with_routes(
        axum::Router::new().route("/test/slow", get(slow)),
        async {
            let _ = signal_rx.await;
        },
        ServeOptions {
            drain,
            finish: Duration::from_secs(10),
            ..Default::default()
        },
    )
    .await;

    let mut before = Conn::open(&base).await;
    let r = before.get("/readyz").await.unwrap().unwrap();
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert!(!r.closes());
    let mut idle = Conn::open(&base).await;
    assert_eq!(idle.get("/healthz").await.unwrap().unwrap().status, 200);

    signal_tx.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;

    // Draining: not ready, still answering, and every answer closes its connection.
    let r = before
        .get("/readyz")
        .await
        .unwrap()
        .expect("still answered");
    assert_eq!(r.status, 503);
    assert_eq!(r.json()["error"]["code"], "unavailable");
    assert!(r.closes(), "{r:?}");
    assert!(before.closed_cleanly().await);
    let mut during = Conn::open(&base).await;
    let r = during
        .get("/healthz")
        .await
        .unwrap()
        .expect("new connections are served");
    assert_eq!(r.status, 200);
    assert!(r.closes());

    // Accepted during the drain, silent until after it: still owed an answer.
    let mut late = Conn::open(&base).await;
    // A request that is still running when accepting stops.
    let mut in_flight = Conn::open(&base).await;
    tokio::time::sleep(drain - Duration::from_millis(300)).await;
    in_flight
        .send("GET /test/slow HTTP/1.1\r\nHost: test\r\n\r\n", b"")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Accepting has stopped: a new connection attempt is not accepted.
    let refused = tokio::time::timeout(
        Duration::from_millis(300),
        TcpStream::connect(base.trim_start_matches("http://")),
    )
    .await;
    assert!(
        !matches!(refused, Ok(Ok(_))),
        "no new connection is accepted after the drain"
    );
    let r = late.get("/healthz").await.unwrap().expect("answered");
    assert_eq!(r.status, 200);
    assert!(r.closes());
    let r = in_flight.response().await.unwrap().expect("finished");
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"finished");
    assert!(r.closes());
    // The connection that stayed idle through the drain is closed, without a reset.
    assert!(idle.closed_cleanly().await);

    let result = tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("serve returns once in-flight requests are done");
    result.unwrap().unwrap();
    let err = TcpStream::connect(base.trim_start_matches("http://"))
        .await
        .expect_err("nothing listens any more");
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
}

/// A body that stops arriving while its handler waits for it is answered 408 (in the error
/// shape, connection closed) after the stall timeout, instead of holding the request forever;
/// a slow body that keeps coming is read to its end however long it takes in total.
#[tokio::test]
async fn a_stalled_body_is_answered_408_and_a_slow_one_is_read() {
    let stall = Duration::from_millis(400);
    let (base, _db, _task) = spawn_with_routes(
        axum::Router::new(),
        std::future::pending(),
        ServeOptions {
            body_stall: stall,
            ..Default::default()
        },
    )
    .await;
    let body = br#"{"email":"slow@example.com","password":"correct horse battery staple","full_name":"Slow"}"#;
    let head = post_head("/api/v1/auth/register", "", body.len());

    // Ten bytes, then nothing.
    let mut stalled = Conn::open(&base).await;
    stalled.send(&head, &body[..10]).await.unwrap();
    let started = std::time::Instant::now();
    let r = stalled.response().await.unwrap().expect("a response");
    assert_eq!(r.status, 408, "{:?}", r.json());
    assert_eq!(r.json()["error"]["code"], "request_timeout", "{r:?}");
    assert!(r.header("x-request-id").is_some(), "{r:?}");
    assert!(r.closes(), "{r:?}");
    assert!(started.elapsed() >= stall, "not before the stall timeout");
    assert!(stalled.closed_cleanly().await);

    // The same body in pieces, each within the timeout, for longer than it in all.
    let mut slow = Conn::open(&base).await;
    slow.send(&head, b"").await.unwrap();
    for piece in body.chunks(body.len() / 4 + 1) {
        tokio::time::sleep(stall / 2).await;
        slow.send("", piece).await.unwrap();
    }
    let r = slow.response().await.unwrap().expect("a response");
    assert_eq!(r.status, 201, "{:?}", r.json());
    assert!(!r.closes(), "{r:?}");
}

/// A request head over 64 KiB (or over 100 header fields) is answered 431 in the API's error
/// shape and the connection closed; a far larger one is refused by hyper before it is read
/// whole (431, no body). A large but ordinary head (cookies of 30 KB, 90 fields) is served.
#[tokio::test]
async fn an_oversized_request_head_is_431() {
    let (base, _db, _task) = spawn_with_routes(
        axum::Router::new(),
        std::future::pending(),
        ServeOptions::default(),
    )
    .await;
    let fields = |n: usize| -> String { (0..n).map(|i| format!("X-F{i}: v\r\n")).collect() };
    for (cookie_len, extra, status, json) in [
        (30_000, 90, 200, false),
        (70_000, 0, 431, true),
        (100, 150, 431, true),
        (400_000, 0, 431, false),
    ] {
        let mut conn = Conn::open(&base).await;
        let head = format!(
            "GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\nCookie: c={}\r\n{}\r\n",
            "x".repeat(cookie_len),
            fields(extra)
        );
        // The server may stop reading (and answer) before the whole head was written.
        let _ = conn.send(&head, b"").await;
        let mut rest = String::new();
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            conn.reader.read_to_string(&mut rest),
        )
        .await;
        assert!(
            rest.starts_with(&format!("HTTP/1.1 {status}")),
            "{cookie_len}/{extra}: {rest:?}"
        );
        if json {
            assert!(
                rest.to_ascii_lowercase().contains("connection: close"),
                "{rest}"
            );
        }
        if status == 431 {
            assert_eq!(
                rest.contains("\"code\":\"request_header_too_large\""),
                json,
                "{cookie_len}/{extra}: {rest}"
            );
        }
    }
}

/// One address holds at most `max_connections_per_address` connections: the next is answered
/// 503 (API error shape, `Retry-After`) and closed, the others keep being served, and a
/// closed connection frees its place.
#[tokio::test]
async fn one_address_cannot_hold_more_than_its_share_of_connections() {
    let (base, _db, _task) = spawn_with_routes(
        axum::Router::new(),
        std::future::pending(),
        ServeOptions {
            max_connections_per_address: 3,
            ..Default::default()
        },
    )
    .await;
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut c = Conn::open(&base).await;
        assert_eq!(c.get("/healthz").await.unwrap().unwrap().status, 200);
        held.push(c);
    }

    let mut over = Conn::open(&base).await;
    let r = over.get("/healthz").await.unwrap().unwrap();
    assert_eq!(r.status, 503, "{:?}", r.json());
    assert_eq!(r.json()["error"]["code"], "too_many_connections");
    assert_eq!(r.header("retry-after"), Some("1"));
    assert!(r.closes());
    assert!(over.closed_cleanly().await);

    // The connections it holds are still served.
    for c in &mut held {
        assert_eq!(c.get("/healthz").await.unwrap().unwrap().status, 200);
    }
    // Closing one frees its place.
    drop(held.pop());
    let mut served = None;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let mut c = Conn::open(&base).await;
        let r = c.get("/healthz").await.unwrap().unwrap();
        if r.status == 200 {
            served = Some(c);
            break;
        }
    }
    assert!(
        served.is_some(),
        "a closed connection never freed its place"
    );
}
