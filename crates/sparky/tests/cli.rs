//! Black-box tests of the `sparky` binary against a real PostgreSQL.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use sparky_testkit::TestDb;

fn sparky() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sparky"));
    cmd.env_remove("DATABASE_URL")
        .env_remove("SPARKY_DATA_DIR")
        // A fixed key, so `serve` does not write secret.key into the working directory.
        .env("SPARKY_SECRET_KEY", "5a".repeat(32))
        .env_remove("SPARKY_APP_ROLE")
        .env_remove("SPARKY_APP_DATABASE_URL")
        .env_remove("SPARKY_BIND")
        .env("RUST_LOG", "info");
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run sparky")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn every_subcommand_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["migrate", "status", "--help"],
        vec!["migrate", "up", "--help"],
        vec!["migrate", "down", "--help"],
        vec!["migrate", "new", "--help"],
        vec!["migrate", "mark-applied", "--help"],
        vec!["migrate", "repair", "--help"],
        vec!["doctor", "--help"],
        vec!["user", "--help"],
        vec!["user", "create", "--help"],
        vec!["foods", "import", "--help"],
        vec!["exercises", "import", "--help"],
        vec!["mail-test", "--help"],
    ] {
        let out = run(sparky().args(&args));
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage"),
            "{args:?}"
        );
    }
}

#[tokio::test]
async fn migrate_status_up_and_doctor() {
    let db = TestDb::empty().await;
    let url = db.url();

    let out = run(sparky()
        .args(["migrate", "status"])
        .env("DATABASE_URL", &url));
    assert_eq!(
        out.status.code(),
        Some(1),
        "pending migrations: {}",
        text(&out)
    );
    assert!(text(&out).contains("pending"), "{}", text(&out));

    // Export and import into a database without Sparky's schema say so (they said "something
    // went wrong on the server; the request id …").
    for args in [
        &["export", "--user", "ann@example.com"][..],
        &[
            "import-from",
            "mfp",
            "--user",
            "ann@example.com",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../sparky-import/fixtures/mfp/Nutrition-Summary.csv"
            ),
        ][..],
    ] {
        let out = run(sparky().args(args).env("DATABASE_URL", &url));
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out));
        assert!(
            text(&out).contains("schema is not up to date"),
            "{args:?}: {}",
            text(&out)
        );
    }

    let out = run(sparky()
        .args(["migrate", "up", "--dry-run"])
        .env("DATABASE_URL", &url));
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("would apply 2024_01_01_00_00_initial_schema.sql"));
    let owner = db.owner_client().await;
    let tracked: bool = owner
        .query_one("SELECT to_regclass('users') IS NOT NULL", &[])
        .await
        .unwrap()
        .get(0);
    assert!(!tracked, "dry run changes nothing");

    let out = run(sparky().args(["migrate", "up"]).env("DATABASE_URL", &url));
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("applied 2024_01_01_00_00"));

    let out = run(sparky()
        .args(["migrate", "status", "--json"])
        .env("DATABASE_URL", &url));
    assert!(out.status.success(), "{}", text(&out));
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(status["entries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["state"] == "applied"));

    let out = run(sparky()
        .args(["doctor", "--json"])
        .env("DATABASE_URL", &url));
    assert!(out.status.success(), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["request_role"], "sparky_app");
    assert!(report.to_string().contains("no accounts yet"), "{report}");
    // Accounts without an enabled administrator (an install from before the rule) are a
    // warning with the fix.
    owner
        .batch_execute("INSERT INTO users (email, password_hash) VALUES ('old@example.com', 'x')")
        .await
        .unwrap();
    let out = run(sparky().arg("doctor").env("DATABASE_URL", &url));
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("no enabled administrator: run `sparky user admin EMAIL`"),
        "{}",
        text(&out)
    );
    owner
        .batch_execute("DELETE FROM users WHERE email = 'old@example.com'")
        .await
        .unwrap();

    // Doctor notices a table that lost FORCE, and exits non-zero.
    owner
        .batch_execute("ALTER TABLE food_diary NO FORCE ROW LEVEL SECURITY")
        .await
        .unwrap();
    let out = run(sparky().arg("doctor").env("DATABASE_URL", &url));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("food_diary"), "{}", text(&out));
    assert!(text(&out).contains("FORCE ROW LEVEL SECURITY"));
    owner
        .batch_execute("ALTER TABLE food_diary FORCE ROW LEVEL SECURITY")
        .await
        .unwrap();

    // A rollback is refused while someone else is connected, and backs up first.
    let newest: String = owner
        .query_one("SELECT max(version) FROM migrations", &[])
        .await
        .unwrap()
        .get(0);
    let out = run(sparky().args(["migrate", "down"]).env("DATABASE_URL", &url));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("1 other session(s) are connected"),
        "{}",
        text(&out)
    );
    drop(owner);
    // The connection closes when its task runs; `run` below blocks this thread.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let backups = tempfile::tempdir().unwrap();
    // A version that is not applied is refused before any backup is taken.
    let out = run(sparky()
        .args(["migrate", "down", "2099_01_01_00_00"])
        .env("DATABASE_URL", &url)
        .env("SPARKY_DATA_DIR", backups.path()));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("is not applied"), "{}", text(&out));
    assert!(!text(&out).contains("backed up"), "{}", text(&out));
    assert!(
        !backups.path().join("backups").exists()
            || std::fs::read_dir(backups.path().join("backups"))
                .unwrap()
                .next()
                .is_none(),
        "no backup for a refused rollback"
    );
    // Without --yes it only says what it would do.
    let out = run(sparky()
        .args(["migrate", "down"])
        .env("DATABASE_URL", &url)
        .env("SPARKY_DATA_DIR", backups.path()));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("this rolls back {newest}"))
            && text(&out).contains("Nothing was rolled back"),
        "{}",
        text(&out)
    );
    assert!(!backups.path().join("backups").exists(), "{}", text(&out));
    let out = run(sparky()
        .args(["migrate", "down", "--yes"])
        .env("DATABASE_URL", &url)
        .env("SPARKY_DATA_DIR", backups.path()));
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("backed up to"), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("rolled back {newest}")),
        "{}",
        text(&out)
    );
    let owner = db.owner_client().await;
    let after: String = owner
        .query_one("SELECT max(version) FROM migrations", &[])
        .await
        .unwrap()
        .get(0);
    assert!(after < newest, "{after} {newest}");
}

#[tokio::test]
async fn doctor_flags_a_request_role_that_could_bypass_rls() {
    let db = TestDb::new().await;
    let role = format!("risky_{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let owner = db.owner_client().await;
    owner
        .batch_execute(&format!("CREATE ROLE {role} NOLOGIN BYPASSRLS"))
        .await
        .unwrap();
    let out = run(sparky()
        .arg("doctor")
        .env("DATABASE_URL", db.url())
        .env("SPARKY_APP_ROLE", &role));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("BYPASSRLS"), "{}", text(&out));

    // And serve refuses to start with it.
    let out = run(sparky()
        .arg("serve")
        .env("DATABASE_URL", db.url())
        .env("SPARKY_APP_ROLE", &role)
        .env("SPARKY_BIND", "127.0.0.1:0"));
    assert!(!out.status.success());
    assert!(text(&out).contains("refusing to serve"), "{}", text(&out));
    owner
        .batch_execute(&format!("DROP OWNED BY {role}; DROP ROLE {role}"))
        .await
        .ok();
}

#[tokio::test]
async fn serve_refuses_to_start_when_a_migration_fails() {
    let db = TestDb::empty().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("2024_01_01_00_00_ok.sql"),
        "CREATE TABLE ok (id int);",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("2024_01_02_00_00_broken.sql"),
        "CREATE TABLE partial (id int);\nSELEC 1;\n",
    )
    .unwrap();
    let out = run(sparky()
        .args(["serve", "--migrations-dir"])
        .arg(dir.path())
        .env("DATABASE_URL", db.url())
        .env("SPARKY_BIND", "127.0.0.1:0"));
    assert!(!out.status.success());
    let t = text(&out);
    assert!(
        t.contains("2024_01_02_00_00_broken.sql") && t.contains("line 2"),
        "{t}"
    );
    let owner = db.owner_client().await;
    let row = owner
        .query_one(
            "SELECT to_regclass('ok') IS NOT NULL, to_regclass('partial') IS NOT NULL",
            &[],
        )
        .await
        .unwrap();
    assert!(row.get::<_, bool>(0));
    assert!(!row.get::<_, bool>(1));
}

#[test]
fn migrate_new_writes_a_named_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(sparky()
        .args(["migrate", "--migrations-dir"])
        .arg(dir.path())
        .args(["new", "add water intake"]));
    assert!(out.status.success(), "{}", text(&out));
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(path.ends_with("_add_water_intake.sql"), "{path}");
    assert!(std::path::Path::new(&path).exists());
}

/// A running `sparky serve`, killed on drop.
struct Server {
    child: Child,
    port: u16,
    log: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Server {
    fn start(cmd: &mut Command) -> Server {
        let mut child = cmd
            .arg("serve")
            .env("SPARKY_BIND", "127.0.0.1:0")
            .env("SPARKY_SHUTDOWN_DRAIN_MS", "0")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let log2 = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(pos) = line.find("address=127.0.0.1:") {
                    let port: String = line[pos + 18..]
                        .chars()
                        .take_while(|c| c.is_ascii_digit())
                        .collect();
                    let _ = tx.send(port.parse::<u16>().unwrap());
                }
                let mut l = log2.lock().unwrap();
                l.push_str(&line);
                l.push('\n');
            }
        });
        let port = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("server did not start: {}", log.lock().unwrap()));
        Server { child, port, log }
    }

    fn get(&self, path: &str) -> (u16, String) {
        self.exchange(&format!(
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        ))
    }

    /// POSTs `json` to `path` (no Origin: a script, not a browser); the status and body.
    fn post_json(&self, path: &str, json: &str) -> (u16, String) {
        self.exchange(&format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{json}",
            json.len()
        ))
    }

    /// Sends one whole request on a new connection; the answer's status and body.
    fn exchange(&self, request: &str) -> (u16, String) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.write_all(request.as_bytes()).unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        let status = resp[9..12].parse().unwrap();
        let body = resp
            .split("\r\n\r\n")
            .nth(1)
            .unwrap_or_default()
            .to_string();
        (status, body)
    }

    /// SIGTERM, then the exit status.
    fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "server did not stop: {}",
                self.log.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

#[tokio::test]
async fn serve_migrates_answers_healthz_and_stops_on_sigterm() {
    let db = TestDb::empty().await;
    let server = Server::start(sparky().env("DATABASE_URL", db.url()));
    let (status, body) = server.get("/healthz");
    assert_eq!(status, 200);
    assert!(body.contains("ok"), "{body}");
    let owner = db.owner_client().await;
    let n: i64 = owner
        .query_one("SELECT count(*) FROM migrations", &[])
        .await
        .unwrap()
        .get(0);
    assert!(n >= 7);
    let status = server.terminate();
    assert!(status.success(), "{status:?}");
}

/// With SPARKY_SMTP_URL, SPARKY_MAIL_FROM and SPARKY_PUBLIC_URL the server mails the password
/// link someone asks for, on the public address, from the sender set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_mails_a_password_link_through_the_smtp_server_set() {
    let smtp = sparky_testkit::fake_smtp::FakeSmtp::start().await;
    let db = TestDb::new().await;
    let created = run(sparky()
        .env("DATABASE_URL", db.url())
        .env("SPARKY_PASSWORD", "a long enough password")
        .args(["user", "create", "ann@example.com"]));
    assert!(created.status.success(), "{}", text(&created));
    let server = Server::start(
        sparky()
            .env("DATABASE_URL", db.url())
            .env("SPARKY_SMTP_URL", smtp.url())
            .env("SPARKY_MAIL_FROM", "Sparky <sparky@fit.example.com>")
            .env("SPARKY_PUBLIC_URL", "https://fit.example.com"),
    );
    let (status, body) = server.post_json(
        "/api/v1/auth/password-link/request",
        r#"{"email": "ann@example.com"}"#,
    );
    assert_eq!(status, 202, "{body}");
    let mail = smtp.next_message().await;
    assert_eq!(mail.from, "sparky@fit.example.com");
    assert_eq!(mail.to, ["ann@example.com"]);
    assert!(
        mail.body()
            .contains("https://fit.example.com/set-password?token="),
        "{}",
        mail.body()
    );
    assert!(server
        .log
        .lock()
        .unwrap()
        .contains("password links can be mailed"));
    // Stopped while a message is still going out (a slow mail server): the server waits for
    // it before it exits.
    let created = run(sparky()
        .env("DATABASE_URL", db.url())
        .env("SPARKY_PASSWORD", "a long enough password")
        .args(["user", "create", "bob@example.com"]));
    assert!(created.status.success(), "{}", text(&created));
    smtp.delay_next(Duration::from_millis(1500));
    let (status, body) = server.post_json(
        "/api/v1/auth/password-link/request",
        r#"{"email": "bob@example.com"}"#,
    );
    assert_eq!(status, 202, "{body}");
    let log = server.log.clone();
    assert!(server.terminate().success());
    let mail = smtp.next_message().await;
    assert_eq!(mail.to, ["bob@example.com"]);
    let log = log.lock().unwrap();
    assert_eq!(log.matches("password link mailed").count(), 2, "{log}");
}

/// `sparky mail-test` sends one message with the server's mail settings, or says why not.
/// (Multi-threaded: the fake server answers while this thread waits for the command.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_test_checks_the_mail_settings() {
    let smtp = sparky_testkit::fake_smtp::FakeSmtp::start().await;
    let mail_test = |to: &str| {
        let mut command = sparky();
        command
            .env("SPARKY_SMTP_URL", smtp.url())
            .env("SPARKY_MAIL_FROM", "Sparky <sparky@fit.example.com>")
            .args(["mail-test", to]);
        command
    };
    let out = run(&mut mail_test("ann@example.com"));
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("sent to ann@example.com through {}", smtp.url())),
        "{}",
        text(&out)
    );
    let mail = smtp.next_message().await;
    assert_eq!(mail.to, ["ann@example.com"]);
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("Sparky test message")
    );

    // A refused message, a bad recipient, no server or no sender: non-zero, saying why.
    smtp.refuse_next();
    let out = run(&mut mail_test("ann@example.com"));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("did not take the message"),
        "{}",
        text(&out)
    );
    let out = run(&mut mail_test("not an address"));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("is not an e-mail address"),
        "{}",
        text(&out)
    );
    let out = run(sparky()
        .env_remove("SPARKY_SMTP_URL")
        .args(["mail-test", "ann@example.com"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("SPARKY_SMTP_URL is not set"),
        "{}",
        text(&out)
    );
    let out = run(sparky()
        .env("SPARKY_SMTP_URL", smtp.url())
        .env_remove("SPARKY_MAIL_FROM")
        .args(["mail-test", "ann@example.com"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("SPARKY_MAIL_FROM is not"),
        "{}",
        text(&out)
    );
    assert!(smtp
        .message_within(Duration::from_millis(300))
        .await
        .is_none());
}

/// `sparky doctor` looks at the mail settings: none is fine, a half-made one or a server that
/// does not answer is a problem (exit 1), and a server that answers is asked nothing more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_checks_the_mail_settings() {
    let db = TestDb::new().await;
    let url = db.url();
    let smtp = sparky_testkit::fake_smtp::FakeSmtp::start().await;
    let doctor = |smtp_url: &str, public: Option<&str>| {
        let mut command = sparky();
        command
            .env("DATABASE_URL", &url)
            .env("SPARKY_SMTP_URL", smtp_url)
            .env("SPARKY_MAIL_FROM", "Sparky <sparky@fit.example.com>")
            .env_remove("SPARKY_PUBLIC_URL")
            .arg("doctor");
        if let Some(p) = public {
            command.env("SPARKY_PUBLIC_URL", p);
        }
        run(&mut command)
    };
    let out = run(sparky().arg("doctor").env("DATABASE_URL", &url));
    assert!(
        text(&out).contains("[ok     ] mail: no mail server"),
        "{}",
        text(&out)
    );
    let out = doctor(&smtp.url(), Some("https://fit.example.com"));
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("[ok     ] mail: {} answers", smtp.url())),
        "{}",
        text(&out)
    );
    // Nothing was sent.
    assert!(smtp
        .message_within(Duration::from_millis(200))
        .await
        .is_none());
    let out = doctor(&smtp.url(), None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("[PROBLEM] mail: SPARKY_SMTP_URL is set but SPARKY_PUBLIC_URL is not"),
        "{}",
        text(&out)
    );
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let out = doctor(
        &format!("smtp://127.0.0.1:{port}"),
        Some("https://fit.example.com"),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("mail server could not be reached"),
        "{}",
        text(&out)
    );
    let out = doctor("http://mail.example.com", Some("https://fit.example.com"));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("[PROBLEM] mail: SPARKY_SMTP_URL is not an SMTP address"),
        "{}",
        text(&out)
    );
}

/// The default: no DATABASE_URL, Sparky runs its own PostgreSQL in the data directory and
/// stops it on SIGTERM; the next start reuses it.
#[test]
fn serve_with_the_embedded_database() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::Builder::new()
        .prefix("sparky-e2e")
        .tempdir_in("/tmp")
        .unwrap();
    // Sparky creates the data directory itself (the usual case), so as root it may hand it
    // to the `postgres` user; a directory it did not create keeps its owner and mode.
    std::fs::set_permissions(parent.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let data_dir = parent.path().join("data");
    let data = &data_dir;
    let server = Server::start(sparky().env("SPARKY_DATA_DIR", data));
    assert_eq!(server.get("/healthz").0, 200);
    assert!(data.join("postgres/PG_VERSION").exists());
    // A second server on the same directory is refused and leaves the first's database
    // running; so is a rollback under it.
    let second = run(sparky()
        .arg("serve")
        .env("SPARKY_DATA_DIR", data)
        .env("SPARKY_BIND", "127.0.0.1:0"));
    assert!(!second.status.success());
    assert!(
        text(&second).contains("another `sparky serve` (pid"),
        "{}",
        text(&second)
    );
    let down = run(sparky()
        .args(["migrate", "down"])
        .env("SPARKY_DATA_DIR", data));
    assert!(!down.status.success());
    assert!(
        text(&down).contains("other session(s) are connected"),
        "{}",
        text(&down)
    );
    assert_eq!(server.get("/readyz").0, 200, "the first server is unharmed");
    let log = server.log.clone();
    assert!(server.terminate().success());
    assert!(
        log.lock().unwrap().contains("stopped PostgreSQL"),
        "{}",
        log.lock().unwrap()
    );
    assert!(
        !data.join("postgres/postmaster.pid").exists(),
        "PostgreSQL stopped"
    );

    let out = run(sparky()
        .args(["migrate", "status"])
        .env("SPARKY_DATA_DIR", data));
    assert!(out.status.success(), "reused and current: {}", text(&out));
    assert!(
        !data.join("postgres/postmaster.pid").exists(),
        "stopped again after the command"
    );
}

/// With an external DATABASE_URL, SPARKY_APP_DATABASE_URL makes requests log in as the
/// request role: `serve` checks that it can, `doctor` reports it, and without it `doctor`
/// warns that requests use owner connections.
#[tokio::test]
async fn requests_log_in_as_the_request_role_with_sparky_app_database_url() {
    let db = TestDb::new().await;
    let url = db.url();
    let app_url = sparky_testkit::url_for(&db.request_config());

    let out = run(sparky().arg("doctor").env("DATABASE_URL", &url));
    assert!(
        out.status.success(),
        "a warning is not a failure: {}",
        text(&out)
    );
    assert!(
        text(&out).contains("[warning] request login: requests log in as the owner"),
        "{}",
        text(&out)
    );

    let out = run(sparky()
        .arg("doctor")
        .env("DATABASE_URL", &url)
        .env("SPARKY_APP_DATABASE_URL", &app_url));
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("[ok     ] request login: requests log in as sparky_app"),
        "{}",
        text(&out)
    );

    let server = Server::start(
        sparky()
            .env("DATABASE_URL", &url)
            .env("SPARKY_APP_DATABASE_URL", &app_url),
    );
    assert_eq!(server.get("/readyz").0, 200);
    // The start-up check left its request connection in the pool: logged in as sparky_app.
    let owner = db.owner_client().await;
    let sessions: i64 = owner
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND usename = 'sparky_app'",
            &[&db.name()],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        sessions >= 1,
        "no request connection logged in as sparky_app"
    );
    assert!(server.terminate().success());

    // A URL for another role is refused before anything starts.
    let mut other = db.request_config();
    other.user("someone_else");
    let out = run(sparky()
        .arg("serve")
        .env("DATABASE_URL", &url)
        .env("SPARKY_APP_DATABASE_URL", sparky_testkit::url_for(&other))
        .env("SPARKY_BIND", "127.0.0.1:0"));
    assert!(!out.status.success());
    assert!(
        text(&out).contains("SPARKY_APP_ROLE=someone_else"),
        "{}",
        text(&out)
    );
}

/// A command on a data directory without Sparky's database says so and creates nothing there
/// (a mistyped SPARKY_DATA_DIR made an empty cluster, then said the schema was missing).
#[test]
fn commands_on_a_directory_without_a_database_create_nothing() {
    let dir = std::env::temp_dir().join(format!("sparky-empty-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for args in [
        &["export", "--user", "ann@example.com"][..],
        &["user", "list"][..],
        &["doctor"][..],
        &["migrate", "status"][..],
        &["migrate", "up", "--dry-run"][..],
        &["migrate", "down", "--yes"][..],
    ] {
        let out = run(sparky().args(args).env("SPARKY_DATA_DIR", &dir));
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out));
        assert!(
            text(&out).contains("no Sparky database in")
                && text(&out).contains("sparky migrate up"),
            "{args:?}: {}",
            text(&out)
        );
    }
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A bad listen address or public URL is refused before any database is made for it.
#[tokio::test]
async fn bad_settings_are_refused_before_a_database_is_made() {
    let smtp = "smtps://ann:s3cret@mail.example.com";
    let public = "https://fit.example.com";
    for (vars, said) in [
        (&[("SPARKY_BIND", "not an address")][..], "SPARKY_BIND"),
        (
            &[("SPARKY_PUBLIC_URL", "fit.example.com/app")][..],
            "SPARKY_PUBLIC_URL",
        ),
        // Mail half set up: refused with what is missing (and never the SMTP password).
        (
            &[("SPARKY_SMTP_URL", smtp), ("SPARKY_PUBLIC_URL", public)][..],
            "SPARKY_MAIL_FROM is not",
        ),
        (
            &[
                ("SPARKY_SMTP_URL", smtp),
                ("SPARKY_MAIL_FROM", "s@example.com"),
            ][..],
            "SPARKY_PUBLIC_URL is not",
        ),
        (
            &[
                ("SPARKY_SMTP_URL", "http://mail.example.com"),
                ("SPARKY_MAIL_FROM", "s@example.com"),
                ("SPARKY_PUBLIC_URL", public),
            ][..],
            "SPARKY_SMTP_URL is not an SMTP address",
        ),
        (
            &[
                ("SPARKY_SMTP_URL", smtp),
                ("SPARKY_MAIL_FROM", "Sparky"),
                ("SPARKY_PUBLIC_URL", public),
            ][..],
            "SPARKY_MAIL_FROM \"Sparky\" is not an address",
        ),
    ] {
        let key = vars[0].0;
        let data = tempfile::tempdir().unwrap();
        let mut command = sparky();
        command
            .arg("serve")
            .env_remove("DATABASE_URL")
            .env("SPARKY_DATA_DIR", data.path());
        for (k, v) in vars {
            command.env(k, v);
        }
        let out = run(&mut command);
        assert!(!text(&out).contains("s3cret"), "{}", text(&out));
        assert!(!out.status.success(), "{key}");
        assert!(text(&out).contains(said), "{key}: {}", text(&out));
        assert!(
            !data.path().join("postgres").exists(),
            "{key}: no cluster was made"
        );
    }
}
