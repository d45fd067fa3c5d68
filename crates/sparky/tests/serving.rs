//! The real `sparky serve` process under faults: SIGTERM while clients keep sending, and its
//! embedded PostgreSQL killed underneath it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sparky_testkit::TestDb;

/// A running `sparky serve`, killed on drop.
struct Server {
    child: Child,
    addr: SocketAddr,
    log: Arc<Mutex<String>>,
}

impl Server {
    fn start(env: &[(&str, &str)]) -> Server {
        Server::start_under(Command::new(env!("CARGO_BIN_EXE_sparky")), env)
    }

    /// `sparky serve` through `cmd`, which runs the binary (directly, or through a wrapper such
    /// as `prlimit` that execs it, so the child's pid is the server's).
    fn start_under(mut cmd: Command, env: &[(&str, &str)]) -> Server {
        cmd.env_remove("DATABASE_URL")
            .env_remove("SPARKY_DATA_DIR")
            // A fixed key, so `serve` does not write secret.key into the working directory.
            .env("SPARKY_SECRET_KEY", "5a".repeat(32))
            .env_remove("SPARKY_APP_ROLE")
            .env("RUST_LOG", "info")
            .env("SPARKY_BIND", "127.0.0.1:0")
            .arg("serve")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        // What it tells people (standard output) goes into the same log.
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let mut l = sink.lock().unwrap();
                l.push_str(&line);
                l.push('\n');
            }
        });
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(pos) = line.find("address=") {
                    let addr: String = line[pos + 8..]
                        .chars()
                        .take_while(|c| !c.is_whitespace())
                        .collect();
                    // Other lines name a client's address (no port): only a socket counts.
                    if let Ok(addr) = addr.parse::<SocketAddr>() {
                        let _ = tx.send(addr);
                    }
                }
                let mut l = sink.lock().unwrap();
                l.push_str(&line);
                l.push('\n');
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(90))
            .unwrap_or_else(|_| panic!("server did not start: {}", log.lock().unwrap()));
        Server { child, addr, log }
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    fn signal(&self, sig: &str) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill")
            .args([sig, &pid])
            .status()
            .unwrap()
            .success());
    }

    fn wait(&mut self, limit: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "server did not stop: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One response: status, whether it closes the connection, body.
struct Answer {
    status: u16,
    closes: bool,
}

/// Reads one HTTP/1.1 response with a Content-Length body.
fn read_answer(reader: &mut BufReader<TcpStream>) -> std::io::Result<Answer> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "closed before the response",
        ));
    }
    let status = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
    let (mut len, mut closes) = (None, false);
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "closed inside the headers",
            ));
        }
        let h = h.trim_end().to_ascii_lowercase();
        if h.is_empty() {
            break;
        }
        if let Some(v) = h.strip_prefix("content-length:") {
            len = v.trim().parse::<usize>().ok();
        }
        if h.starts_with("connection:") && h.contains("close") {
            closes = true;
        }
    }
    let mut body = vec![0; len.ok_or_else(|| std::io::Error::other("no Content-Length"))?];
    reader.read_exact(&mut body)?;
    Ok(Answer { status, closes })
}

#[derive(Default, Debug)]
struct Tally {
    answered: u64,
    /// Answers that came after SIGTERM (they must close their connection).
    answered_after_term: u64,
    closing_after_term: u64,
    ready_503_after_term: u64,
    refused: u64,
    /// Accepted, then no complete answer: what must never happen.
    broken: Vec<String>,
}

/// A client that keeps sending keep-alive requests until told to stop, reconnecting when the
/// server closes the connection, and classifies every request.
fn client(addr: SocketAddr, termed: Arc<Mutex<Option<Instant>>>, stop: Arc<AtomicBool>) -> Tally {
    let mut tally = Tally::default();
    let mut conn: Option<BufReader<TcpStream>> = None;
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let path = if n.is_multiple_of(2) {
            "/readyz"
        } else {
            "/healthz"
        };
        let mut reader = match conn.take() {
            Some(r) => r,
            None => match TcpStream::connect_timeout(&addr, Duration::from_secs(10)) {
                Ok(s) => {
                    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
                    BufReader::new(s)
                }
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    tally.refused += 1;
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                }
                Err(e) => {
                    tally.broken.push(format!("connect: {e}"));
                    continue;
                }
            },
        };
        // Sent well after the signal was delivered (the server reacts within microseconds;
        // the margin keeps a request sent at that very moment from counting either way).
        let after_term = termed
            .lock()
            .unwrap()
            .is_some_and(|t| t.elapsed() > Duration::from_millis(100));
        let sent = reader
            .get_mut()
            .write_all(format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").as_bytes());
        match sent.and_then(|()| read_answer(&mut reader)) {
            Ok(a) => {
                tally.answered += 1;
                if after_term {
                    tally.answered_after_term += 1;
                    tally.closing_after_term += u64::from(a.closes);
                    if path == "/readyz" && a.status == 503 {
                        tally.ready_503_after_term += 1;
                    }
                }
                if !a.closes {
                    conn = Some(reader);
                }
            }
            Err(e) => tally
                .broken
                .push(format!("{path} (sent after SIGTERM: {after_term}): {e}")),
        }
    }
    tally
}

/// On SIGTERM: /readyz turns 503 at once, the server keeps answering through the drain with
/// `Connection: close`, then stops accepting and exits. Clients sending all the while see
/// every request either answered in full or refused at connect, never a reset or an EOF.
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_under_load_answers_or_refuses_every_request() {
    let db = TestDb::new().await;
    let url = db.url();
    // No NO_COLOR: stderr is a pipe, so the log must come without colour codes anyway.
    let mut server = Server::start(&[
        ("DATABASE_URL", url.as_str()),
        ("SPARKY_SHUTDOWN_DRAIN_MS", "1500"),
    ]);
    let termed = Arc::new(Mutex::new(None));
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..6)
        .map(|_| {
            let (addr, termed, stop) = (server.addr, termed.clone(), stop.clone());
            std::thread::spawn(move || client(addr, termed, stop))
        })
        .collect();

    std::thread::sleep(Duration::from_millis(700));
    server.signal("-TERM");
    *termed.lock().unwrap() = Some(Instant::now());
    let status = server.wait(Duration::from_secs(60));
    // Keep trying a little after the exit, so refusals are seen too.
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    let tallies: Vec<Tally> = clients.into_iter().map(|c| c.join().unwrap()).collect();

    let log = server.log();
    eprintln!("{tallies:?}");
    assert!(status.success(), "{status:?}\n{log}");
    let broken: Vec<&String> = tallies.iter().flat_map(|t| &t.broken).collect();
    assert!(
        broken.is_empty(),
        "requests accepted but not answered: {broken:#?}\n{tallies:#?}\n{log}"
    );
    let sum = |f: fn(&Tally) -> u64| tallies.iter().map(f).sum::<u64>();
    assert!(sum(|t| t.answered) > 0, "{tallies:#?}");
    assert!(
        sum(|t| t.refused) > 0,
        "refused after the drain: {tallies:#?}"
    );
    assert!(
        sum(|t| t.ready_503_after_term) > 0,
        "readiness fails while draining: {tallies:#?}"
    );
    assert!(sum(|t| t.answered_after_term) > 0, "{tallies:#?}");
    assert_eq!(
        sum(|t| t.closing_after_term),
        sum(|t| t.answered_after_term),
        "every answer after SIGTERM closes its connection: {tallies:#?}"
    );
    assert!(log.contains("stopped serving"), "{log}");
    assert!(
        !log.contains('\u{1b}'),
        "no ANSI escapes in a piped log: {log:?}"
    );
}

/// The soft open-files limit a process was started with is raised to its hard limit (a
/// thousand idle connections must not lock everyone else out), and a low hard limit is named
/// in the log with how to raise it.
#[tokio::test(flavor = "multi_thread")]
async fn serve_raises_its_open_files_limit() {
    let db = TestDb::new().await;
    let url = db.url();
    let mut cmd = Command::new("prlimit");
    cmd.args(["--nofile=256:1024", env!("CARGO_BIN_EXE_sparky")]);
    let server = Server::start_under(cmd, &[("DATABASE_URL", url.as_str())]);
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", server.child.id())).unwrap();
    let open_files: Vec<&str> = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap()
        .split_whitespace()
        .skip(3)
        .take(2)
        .collect();
    assert_eq!(open_files, ["1024", "1024"], "{limits}");
    let log = server.log();
    assert!(log.contains("only 1024 open files are allowed"), "{log}");
}

/// `SPARKY_HEADER_TIMEOUT_MS` closes a connection that sends no request head in time (and
/// an idle keep-alive one), and `SPARKY_BODY_TIMEOUT_MS` answers a body that stopped coming
/// with a 408; both from the command line's settings, not the defaults of minutes.
#[tokio::test(flavor = "multi_thread")]
async fn client_timeouts_are_settings() {
    let db = TestDb::new().await;
    let url = db.url();
    let server = Server::start(&[
        ("DATABASE_URL", url.as_str()),
        ("SPARKY_HEADER_TIMEOUT_MS", "700"),
        ("SPARKY_BODY_TIMEOUT_MS", "700"),
        ("SPARKY_MAX_CONNECTIONS_PER_IP", "2"),
    ]);
    // Two connections from this address are all it may hold: a third is answered 503.
    let first = TcpStream::connect(server.addr).unwrap();
    let second = TcpStream::connect(server.addr).unwrap();
    let mut third = TcpStream::connect(server.addr).unwrap();
    third
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        third,
        "GET /healthz HTTP/1.1\r\nHost: {}\r\n\r\n",
        server.addr
    )
    .unwrap();
    let answer = read_answer(&mut BufReader::new(third)).unwrap();
    assert_eq!(answer.status, 503);
    assert!(answer.closes);
    drop((first, second));
    std::thread::sleep(Duration::from_millis(300));

    let silent = TcpStream::connect(server.addr).unwrap();
    let started = Instant::now();
    silent
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut rest = Vec::new();
    (&silent).read_to_end(&mut rest).unwrap();
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(600) && waited < Duration::from_secs(8),
        "closed after {waited:?}"
    );

    let mut stalled = TcpStream::connect(server.addr).unwrap();
    stalled
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stalled,
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Content-Length: 100\r\n\r\n{{\"email\": ",
        server.addr
    )
    .unwrap();
    let mut reader = BufReader::new(stalled);
    let answer = read_answer(&mut reader).unwrap();
    assert_eq!(answer.status, 408);
    assert!(answer.closes);
}

#[test]
fn a_fatal_error_is_printed_once() {
    let out = Command::new(env!("CARGO_BIN_EXE_sparky"))
        .args(["migrate", "status"])
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/nothing")
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.starts_with("error: "), "{text}");
    assert!(!text.contains('\u{1b}'), "{text:?}");
}

/// Killing the embedded PostgreSQL's postmaster does not take Sparky down for good: it notices
/// and starts the server again (with crash recovery), and requests succeed again.
#[test]
fn the_embedded_postgresql_is_started_again_after_it_is_killed() {
    let data = tempfile::Builder::new()
        .prefix("sparky-kill")
        .tempdir_in("/tmp")
        .unwrap();
    let dir = data.path().to_str().unwrap();
    let server = Server::start(&[
        ("SPARKY_DATA_DIR", dir),
        ("SPARKY_SHUTDOWN_DRAIN_MS", "0"),
        ("NO_COLOR", "1"),
    ]);
    let status_of = |request: &str| {
        let s = TcpStream::connect(server.addr).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut reader = BufReader::new(s);
        reader.get_mut().write_all(request.as_bytes()).ok()?;
        read_answer(&mut reader).ok().map(|a| a.status)
    };
    let ready = || {
        status_of("GET /readyz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n") == Some(200)
    };
    // Authenticating needs the database: 401 when it answers, 503 when it does not.
    let me = || {
        status_of(
            "GET /api/v1/me HTTP/1.1\r\nHost: test\r\nCookie: sparky_session=nosuch\r\n\
             Connection: close\r\n\r\n",
        )
    };
    assert!(ready(), "{}", server.log());
    assert_eq!(me(), Some(401));

    let pid_file = data.path().join("postgres/postmaster.pid");
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    let pid = pid.lines().next().unwrap().trim().to_string();
    assert!(Command::new("kill")
        .args(["-KILL", &pid])
        .status()
        .unwrap()
        .success());

    // A liveness bound, not a speed assertion: crash recovery of a fresh cluster is quick.
    let killed = Instant::now();
    let deadline = killed + Duration::from_secs(90);
    let mut unavailable = 0;
    loop {
        match me() {
            // Right after the kill, backends orphaned by the postmaster may still answer on
            // connections they already had: the database is back only after it was gone.
            Some(401) if unavailable > 0 => break,
            Some(401) => std::thread::sleep(Duration::from_millis(10)),
            Some(503) => unavailable += 1,
            other => panic!("{other:?}\n{}", server.log()),
        }
        assert!(
            Instant::now() < deadline,
            "the database did not come back after the kill:\n{}",
            server.log()
        );
    }
    let outage = killed.elapsed();
    while !ready() {
        assert!(Instant::now() < deadline, "{}", server.log());
        std::thread::sleep(Duration::from_millis(50));
    }
    // The server accepts connections a moment before `pg_ctl start -w` returns and Sparky
    // logs the restart.
    while !server.log().contains("PostgreSQL is running again") {
        assert!(Instant::now() < deadline, "{}", server.log());
        std::thread::sleep(Duration::from_millis(50));
    }
    let log = server.log();
    // Hundreds of failed requests, a few log lines: once, then once per 10 s with a count.
    assert!(unavailable > 0, "{log}");
    let lines = log.matches("database unavailable").count() as u64;
    assert!(
        lines >= 1 && lines <= 1 + outage.as_secs() / 10 + 1,
        "{unavailable} failed requests in {outage:?} logged as {lines} lines:\n{log}"
    );
    let new_pid = std::fs::read_to_string(&pid_file).unwrap();
    assert_ne!(new_pid.lines().next().unwrap().trim(), pid);

    server.signal("-TERM");
    let mut server = server;
    assert!(server.wait(Duration::from_secs(60)).success());
    assert!(server.log().contains("stopped PostgreSQL"));
}

/// One request on its own connection: status, the session cookie it sets (if any), body.
fn exchange(
    addr: SocketAddr,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    body: &str,
) -> (u16, Option<String>, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    let cookie = cookie
        .map(|c| format!("Cookie: sparky_session={c}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n{cookie}\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let session = head.lines().find_map(|l| {
        let v = l.strip_prefix("set-cookie: sparky_session=")?;
        Some(v.split(';').next()?.to_string())
    });
    (status, session, body.to_string())
}

/// Two `sparky serve` processes started together on one empty database: the migrations run
/// once, a session made on one works on the other, and sign-in limits are counted together.
#[tokio::test(flavor = "multi_thread")]
async fn two_instances_share_one_database() {
    let db = TestDb::empty().await;
    let url = db.url();
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("SPARKY_STARTER_CATALOG", "false"),
        ("SPARKY_LOGIN_PER_MINUTE_ACCOUNT", "3"),
    ];
    // The second runs without SPARKY_SECRET_KEY (its key file goes to a data directory of its
    // own) and is told that instances on one database need the same key.
    let own_dir = tempfile::tempdir().unwrap();
    let own_dir_text = own_dir.path().to_str().unwrap().to_string();
    let mut env_two = env.to_vec();
    env_two.extend([
        ("SPARKY_SECRET_KEY", ""),
        ("SPARKY_DATA_DIR", own_dir_text.as_str()),
    ]);
    let (one, two) = std::thread::scope(|s| {
        let one = s.spawn(|| Server::start(&env));
        let two = s.spawn(|| Server::start(&env_two));
        (one.join().unwrap(), two.join().unwrap())
    });

    // Every migration applied exactly once between them, and recorded once.
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../db/migrations"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".sql") && !n.ends_with(".down.sql"))
        .count();
    let applied = |s: &Server| s.log().matches("applied migration").count();
    assert_eq!(
        applied(&one) + applied(&two),
        files,
        "one:\n{}\ntwo:\n{}",
        one.log(),
        two.log()
    );
    let recorded: i64 = db
        .owner_client()
        .await
        .query_one("SELECT count(*) FROM migrations", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(recorded as usize, files);

    // Each tells where to go and, with nobody registered yet, who becomes the administrator.
    for server in [&one, &two] {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !server
            .log()
            .contains("first account to register becomes the administrator")
        {
            assert!(Instant::now() < deadline, "{}", server.log());
            std::thread::sleep(Duration::from_millis(50));
        }
        let ready = format!("Sparky is ready: open http://{}/", server.addr);
        assert!(server.log().contains(&ready), "{}", server.log());
    }

    let warning = "SPARKY_SECRET_KEY is not set";
    assert!(two.log().contains(warning), "{}", two.log());
    assert!(!one.log().contains(warning), "{}", one.log());
    assert!(own_dir.path().join("secret.key").exists());

    // Registered and signed in on one, recognised by the other.
    let account =
        r#"{"email":"both@example.com","password":"two servers one db","full_name":"Both"}"#;
    let (status, _, body) = exchange(one.addr, "POST", "/api/v1/auth/register", None, account);
    assert_eq!(status, 201, "{body}");
    let login = r#"{"email":"both@example.com","password":"two servers one db"}"#;
    let (status, session, body) = exchange(one.addr, "POST", "/api/v1/auth/login", None, login);
    assert_eq!(status, 200, "{body}");
    let session = session.expect("a session cookie");
    let (status, _, body) = exchange(two.addr, "GET", "/api/v1/me", Some(&session), "");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("both@example.com"), "{body}");

    // Three sign-in attempts a minute for the account, whichever server hears them.
    let wrong = r#"{"email":"both@example.com","password":"not the password at all"}"#;
    let mut statuses = Vec::new();
    for server in [&one, &two, &one, &two] {
        statuses.push(exchange(server.addr, "POST", "/api/v1/auth/login", None, wrong).0);
    }
    // The successful sign-in counted too: attempts 2 and 3 are refused, 4 and 5 limited. Limits
    // per process would have let every one through (each server saw at most three).
    assert_eq!(statuses, [401, 401, 429, 429], "{statuses:?}");
}

/// A log nobody reads must not stop the server: with its standard output and error closed
/// (`sparky serve 2>&1 | head -1`), it keeps serving, logs panics nowhere and stops cleanly.
#[test]
fn a_closed_log_pipe_does_not_stop_the_server() {
    let data = tempfile::Builder::new()
        .prefix("sparky-pipe")
        .tempdir_in("/tmp")
        .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sparky"))
        .env_remove("DATABASE_URL")
        .env_remove("SPARKY_APP_ROLE")
        .env("SPARKY_SECRET_KEY", "5a".repeat(32))
        .env("SPARKY_DATA_DIR", data.path())
        .env("SPARKY_BIND", "127.0.0.1:0")
        .env("SPARKY_SHUTDOWN_DRAIN_MS", "0")
        .env("SPARKY_OPENFOODFACTS", "false")
        .env("RUST_LOG", "debug")
        .env("SPARKY_LOGIN_PER_MINUTE_IP", "1000")
        .env("SPARKY_LOGIN_PER_MINUTE_ACCOUNT", "1000")
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let addr = loop {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "exited: {seen}");
        seen.push_str(&line);
        let parsed = line.find("address=").and_then(|pos| {
            let addr: String = line[pos + 8..]
                .chars()
                .take_while(|c| !c.is_whitespace())
                .collect();
            addr.parse::<SocketAddr>().ok()
        });
        if let Some(addr) = parsed {
            break addr;
        }
    };
    // The readers go away; every later line (at debug level, many) meets a closed pipe.
    drop(stderr);
    drop(child.stdout.take());
    for round in 0..20 {
        let (status, _, body) = exchange(addr, "GET", "/readyz", None, "");
        assert_eq!(status, 200, "round {round}: {body}");
        let (status, _, _) = exchange(
            addr,
            "POST",
            "/api/v1/auth/login",
            None,
            r#"{"email":"nobody@example.com","password":"wrong password"}"#,
        );
        assert_eq!(status, 401, "round {round}");
        assert!(child.try_wait().unwrap().is_none(), "round {round}");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "did not stop");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    assert!(
        !data.path().join("postgres/postmaster.pid").exists(),
        "its PostgreSQL was stopped"
    );
}

/// A signal while the server is still starting (its cluster being made) stops it cleanly,
/// with its PostgreSQL stopped; SIGHUP (the terminal went away) drains and stops a running
/// server like SIGTERM. Both used to kill the process and leave PostgreSQL running.
#[test]
fn signals_during_start_up_and_hangups_stop_cleanly() {
    for (signal, wait_for_start) in [("-TERM", false), ("-HUP", true)] {
        let data = tempfile::Builder::new()
            .prefix("sparky-signal")
            .tempdir_in("/tmp")
            .unwrap();
        let dir = data.path().to_str().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_sparky"))
            .env_remove("DATABASE_URL")
            .env_remove("SPARKY_APP_ROLE")
            .env("SPARKY_SECRET_KEY", "5a".repeat(32))
            .env("SPARKY_DATA_DIR", dir)
            .env("SPARKY_BIND", "127.0.0.1:0")
            .env("SPARKY_SHUTDOWN_DRAIN_MS", "0")
            .env("SPARKY_OPENFOODFACTS", "false")
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut log = String::new();
        if wait_for_start {
            loop {
                let line = rx.recv_timeout(Duration::from_secs(90)).expect("started");
                log.push_str(&line);
                if line.contains("listening") {
                    break;
                }
            }
        } else {
            // While the cluster is being made.
            std::thread::sleep(Duration::from_millis(300));
        }
        assert!(Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap()
            .success());
        let deadline = Instant::now() + Duration::from_secs(90);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "{signal}: did not stop");
            std::thread::sleep(Duration::from_millis(20));
        };
        while let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            log.push_str(&line);
        }
        assert!(status.success(), "{signal}: {status:?}\n{log}");
        assert!(
            !data.path().join("postgres/postmaster.pid").exists(),
            "{signal}: PostgreSQL left running\n{log}"
        );
    }
}
