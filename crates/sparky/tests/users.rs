//! Black-box tests of `sparky user …` against a real PostgreSQL.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use argon2::password_hash::{PasswordHash, PasswordVerifier};
use argon2::Argon2;
use sparky_testkit::TestDb;
use uuid::Uuid;

const PASSWORD: &str = "correct horse battery";

fn sparky(url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sparky"));
    cmd.env_remove("DATABASE_URL")
        .env_remove("SPARKY_DATA_DIR")
        .env_remove("SPARKY_APP_ROLE")
        .env_remove("SPARKY_PASSWORD")
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
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

fn create(url: &str, email: &str, password: &str, extra: &[&str]) -> Output {
    run(sparky(url)
        .args(["user", "create", email])
        .args(extra)
        .env("SPARKY_PASSWORD", password))
}

fn verifies(hash: &str, password: &str) -> bool {
    let parsed = PasswordHash::new(hash).expect("a PHC string");
    assert_eq!(parsed.algorithm.as_str(), "argon2id");
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

async fn count_users(owner: &tokio_postgres::Client, email: &str) -> i64 {
    owner
        .query_one(
            "SELECT count(*) FROM users WHERE lower(email) = lower($1)",
            &[&email],
        )
        .await
        .unwrap()
        .get(0)
}

async fn hash_of(owner: &tokio_postgres::Client, email: &str) -> String {
    owner
        .query_one(
            "SELECT password_hash::text FROM users WHERE email = $1",
            &[&email],
        )
        .await
        .unwrap()
        .get(0)
}

async fn add_session(owner: &tokio_postgres::Client, email: &str) {
    owner
        .execute(
            "INSERT INTO sessions (user_id, token_hash, expires_at)
             SELECT id, $2, now() + interval '1 day' FROM users WHERE email = $1",
            &[&email, &Uuid::new_v4().simple().to_string()],
        )
        .await
        .unwrap();
}

async fn sessions_of(owner: &tokio_postgres::Client, email: &str) -> i64 {
    owner
        .query_one(
            "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = $1",
            &[&email],
        )
        .await
        .unwrap()
        .get(0)
}

#[test]
fn every_user_subcommand_has_help() {
    for sub in [
        "create",
        "list",
        "set-password",
        "disable",
        "enable",
        "admin",
        "link",
        "signups",
        "delete",
    ] {
        let out = run(sparky("postgres://unused")
            .args(["user", sub, "--help"])
            .env_remove("DATABASE_URL"));
        assert!(out.status.success(), "{sub}: {}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage"),
            "{sub}"
        );
    }
    let out = run(sparky("postgres://unused").args(["user", "--help"]));
    assert!(out.status.success(), "{}", text(&out));
}

#[tokio::test]
async fn create_list_and_the_password_verifies() {
    let db = TestDb::new().await;
    let url = db.url();
    let owner = db.owner_client().await;

    let out = create(
        &url,
        "  Ann@Example.COM ",
        PASSWORD,
        &["--name", "Ann Lee", "--admin"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let id: Uuid = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("prints the new id");

    let row = owner
        .query_one(
            "SELECT email::text, full_name::text, is_admin, disabled_at IS NULL,
                    (SELECT count(*) FROM user_preferences p WHERE p.user_id = u.id)
             FROM users u WHERE id = $1",
            &[&id],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "ann@example.com", "normalised");
    assert_eq!(row.get::<_, Option<String>>(1).as_deref(), Some("Ann Lee"));
    assert!(row.get::<_, bool>(2), "--admin");
    assert!(row.get::<_, bool>(3), "active");
    assert_eq!(row.get::<_, i64>(4), 1, "preferences row created with it");
    assert!(verifies(
        &hash_of(&owner, "ann@example.com").await,
        PASSWORD
    ));

    // A second, plain account (the first one is admin anyway; this one must not be).
    let out = create(&url, "bob@example.com", "another good secret", &[]);
    assert!(out.status.success(), "{}", text(&out));

    let out = run(sparky(&url).args(["user", "list"]));
    assert!(out.status.success(), "{}", text(&out));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("ann@example.com"), "{table}");
    assert!(table.contains("Ann Lee"), "{table}");
    assert!(table.contains(&id.to_string()), "{table}");
    assert!(
        table.contains("LAST SIGN-IN") && table.contains("never"),
        "{table}"
    );

    let out = run(sparky(&url).args(["user", "list", "--json"]));
    assert!(out.status.success(), "{}", text(&out));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    let ann = list
        .iter()
        .find(|u| u["email"] == "ann@example.com")
        .unwrap();
    assert_eq!(ann["id"], id.to_string());
    assert_eq!(ann["name"], "Ann Lee");
    assert_eq!(ann["admin"], true);
    assert_eq!(ann["disabled"], false);
    assert!(ann["created_at"].is_string());
    assert!(ann["last_sign_in_at"].is_null(), "never signed in");
    let bob = list
        .iter()
        .find(|u| u["email"] == "bob@example.com")
        .unwrap();
    assert_eq!(bob["admin"], false);
    assert!(bob["name"].is_null());
}

#[tokio::test]
async fn password_from_standard_input() {
    let db = TestDb::new().await;
    let url = db.url();
    let mut child = sparky(&url)
        .args(["user", "create", "cat@example.com"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let owner = db.owner_client().await;
    assert!(verifies(
        &hash_of(&owner, "cat@example.com").await,
        PASSWORD
    ));
}

#[tokio::test]
async fn bad_input_writes_nothing() {
    let db = TestDb::new().await;
    let url = db.url();
    let owner = db.owner_client().await;

    for weak in ["short", "Password123", "aaaaaaaaaaaa"] {
        let out = create(&url, "dan@example.com", weak, &[]);
        assert!(!out.status.success(), "{weak}: {}", text(&out));
        assert!(text(&out).contains("password"), "{}", text(&out));
    }
    let out = create(&url, "not-an-email", PASSWORD, &[]);
    assert!(!out.status.success());
    assert!(text(&out).contains("email"), "{}", text(&out));
    let out = create(&url, "dan@example.com", PASSWORD, &["--name", "   "]);
    assert!(!out.status.success());
    assert!(text(&out).contains("name"), "{}", text(&out));
    // No password at all (stdin is empty).
    let out = run(sparky(&url).args(["user", "create", "dan@example.com"]));
    assert!(!out.status.success());

    let n: i64 = owner
        .query_one("SELECT count(*) FROM users", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0, "nothing written");
}

#[tokio::test]
async fn duplicate_email_is_refused() {
    let db = TestDb::new().await;
    let url = db.url();
    let owner = db.owner_client().await;

    let out = create(&url, "eve@example.com", PASSWORD, &[]);
    assert!(out.status.success(), "{}", text(&out));
    let out = create(&url, "EVE@example.com", "a different secret", &[]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("an account with that email already exists"),
        "{}",
        text(&out)
    );
    assert_eq!(count_users(&owner, "eve@example.com").await, 1);
    assert!(verifies(
        &hash_of(&owner, "eve@example.com").await,
        PASSWORD
    ));
}

#[tokio::test]
async fn set_password_changes_the_hash_and_ends_sessions() {
    let db = TestDb::new().await;
    let url = db.url();
    let owner = db.owner_client().await;

    for email in ["fay@example.com", "gus@example.com"] {
        let out = create(&url, email, PASSWORD, &[]);
        assert!(out.status.success(), "{}", text(&out));
        add_session(&owner, email).await;
    }
    let before = hash_of(&owner, "fay@example.com").await;

    let new_password = "a brand new passphrase";
    let out = run(sparky(&url)
        .args(["user", "set-password", "Fay@Example.com"])
        .env("SPARKY_PASSWORD", new_password));
    assert!(out.status.success(), "{}", text(&out));
    let after = hash_of(&owner, "fay@example.com").await;
    assert_ne!(before, after);
    assert!(verifies(&after, new_password));
    assert!(!verifies(&after, PASSWORD));
    assert_eq!(sessions_of(&owner, "fay@example.com").await, 0);
    assert_eq!(
        sessions_of(&owner, "gus@example.com").await,
        1,
        "others keep theirs"
    );

    // Weak password: refused, nothing changes.
    let out = run(sparky(&url)
        .args(["user", "set-password", "fay@example.com"])
        .env("SPARKY_PASSWORD", "short"));
    assert!(!out.status.success());
    assert_eq!(hash_of(&owner, "fay@example.com").await, after);

    let out = run(sparky(&url)
        .args(["user", "set-password", "nobody@example.com"])
        .env("SPARKY_PASSWORD", new_password));
    assert!(!out.status.success());
    assert!(text(&out).contains("no account"), "{}", text(&out));
}

#[tokio::test]
async fn disable_and_enable() {
    let db = TestDb::new().await;
    let url = db.url();
    let owner = db.owner_client().await;

    // The first account is the administrator, who cannot be disabled while others exist.
    let out = create(&url, "root@example.com", PASSWORD, &[]);
    assert!(out.status.success(), "{}", text(&out));
    let out = run(sparky(&url).args(["user", "disable", "root@example.com"]));
    assert!(!out.status.success());
    assert!(
        text(&out).contains("only enabled administrator"),
        "{}",
        text(&out)
    );
    let out = create(&url, "hal@example.com", PASSWORD, &[]);
    assert!(out.status.success(), "{}", text(&out));
    add_session(&owner, "hal@example.com").await;
    add_session(&owner, "hal@example.com").await;
    let key_hash = Uuid::new_v4().simple().to_string();
    owner
        .execute(
            "INSERT INTO api_keys (user_id, name, key_prefix, key_hash)
             SELECT id, 'script', 'spk_', $1 FROM users WHERE email = 'hal@example.com'",
            &[&key_hash],
        )
        .await
        .unwrap();
    let key_works = async |owner: &tokio_postgres::Client| -> bool {
        owner
            .query_one(
                "SELECT auth.resolve_credential('api_key', $1, 3600) IS NOT NULL",
                &[&key_hash],
            )
            .await
            .unwrap()
            .get(0)
    };
    assert!(key_works(&owner).await);

    let disabled_at =
        async |owner: &tokio_postgres::Client| -> Option<chrono::DateTime<chrono::Utc>> {
            owner
                .query_one(
                    "SELECT disabled_at FROM users WHERE email = 'hal@example.com'",
                    &[],
                )
                .await
                .unwrap()
                .get(0)
        };

    let out = run(sparky(&url).args(["user", "disable", "HAL@example.com"]));
    assert!(out.status.success(), "{}", text(&out));
    let first = disabled_at(&owner).await;
    assert!(first.is_some());
    assert_eq!(sessions_of(&owner, "hal@example.com").await, 0);
    assert!(!key_works(&owner).await, "API keys stop working");

    // Disabling again keeps the original time.
    let out = run(sparky(&url).args(["user", "disable", "hal@example.com"]));
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(disabled_at(&owner).await, first);

    let out = run(sparky(&url).args(["user", "list", "--json"]));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list[1]["email"], "hal@example.com");
    assert_eq!(list[1]["disabled"], true);
    assert_eq!(list[0]["disabled"], false);

    let out = run(sparky(&url).args(["user", "enable", "hal@example.com"]));
    assert!(out.status.success(), "{}", text(&out));
    assert!(disabled_at(&owner).await.is_none());
    assert!(key_works(&owner).await, "kept keys work again");

    for sub in ["disable", "enable"] {
        let out = run(sparky(&url).args(["user", sub, "nobody@example.com"]));
        assert!(!out.status.success(), "{sub}");
        assert!(text(&out).contains("no account"), "{}", text(&out));
    }
}

#[tokio::test]
async fn delete_needs_yes_and_removes_the_account_with_its_data() {
    let db = TestDb::new().await;
    let url = db.url();
    let owner = db.owner_client().await;
    for email in ["ivy@example.com", "jon@example.com"] {
        let out = create(&url, email, PASSWORD, &[]);
        assert!(out.status.success(), "{}", text(&out));
        add_session(&owner, email).await;
    }
    owner
        .execute(
            "INSERT INTO measurements (user_id, type, value, unit, measured_at)
             SELECT id, 'weight', 70, 'kg', now() FROM users WHERE email = 'ivy@example.com'",
            &[],
        )
        .await
        .unwrap();
    let out = run(sparky(&url).args(["user", "delete", "ivy@example.com"]));
    assert!(!out.status.success());
    assert!(text(&out).contains("--yes"), "{}", text(&out));
    assert_eq!(count_users(&owner, "ivy@example.com").await, 1);

    // Ivy, the first account, is the only administrator while Jon is here.
    let out = run(sparky(&url).args(["user", "delete", "IVY@example.com", "--yes"]));
    assert!(!out.status.success());
    assert!(
        text(&out).contains("only enabled administrator")
            && text(&out).contains("sparky user admin"),
        "{}",
        text(&out)
    );
    assert_eq!(count_users(&owner, "ivy@example.com").await, 1);
    let out = run(sparky(&url).args(["user", "admin", "jon@example.com"]));
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("now an administrator"),
        "{}",
        text(&out)
    );
    let out = run(sparky(&url).args(["user", "admin", "jon@example.com"]));
    assert!(
        text(&out).contains("already an administrator"),
        "{}",
        text(&out)
    );

    let out = run(sparky(&url).args(["user", "delete", "IVY@example.com", "--yes"]));
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("1 measurements"), "{}", text(&out));
    assert_eq!(count_users(&owner, "ivy@example.com").await, 0);
    let left: i64 = owner
        .query_one("SELECT count(*) FROM measurements", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
    assert_eq!(
        sessions_of(&owner, "jon@example.com").await,
        1,
        "others keep theirs"
    );

    let out = run(sparky(&url).args(["user", "delete", "nobody@example.com", "--yes"]));
    assert!(!out.status.success());
    assert!(text(&out).contains("no account"), "{}", text(&out));

    // Jon is now the only administrator: the role stays with him.
    let out = run(sparky(&url).args(["user", "admin", "--remove", "jon@example.com"]));
    assert!(!out.status.success());
    assert!(
        text(&out).contains("only enabled administrator"),
        "{}",
        text(&out)
    );
}

/// (Multi-threaded: the fake mail server answers while this thread waits for a command.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_prints_a_one_time_password_link() {
    let db = TestDb::new().await;
    let url = db.url();
    let owner = db.owner_client().await;
    assert!(create(&url, "ann@example.com", PASSWORD, &[])
        .status
        .success());
    assert!(create(&url, "bob@example.com", PASSWORD, &[])
        .status
        .success());
    let stored = || {
        let owner = &owner;
        async move {
            owner
                .query(
                    "SELECT l.token_hash FROM password_links l JOIN users u ON u.id = l.user_id
                     WHERE u.email = 'bob@example.com'",
                    &[],
                )
                .await
                .unwrap()
                .iter()
                .map(|r| r.get::<_, String>(0))
                .collect::<Vec<_>>()
        }
    };
    let token_hash = |token: &str| {
        let owner = &owner;
        let token = token.to_string();
        async move {
            owner
                .query_one("SELECT encode(sha256($1::text::bytea), 'hex')", &[&token])
                .await
                .unwrap()
                .get::<_, String>(0)
        }
    };

    let out = run(sparky(&url).args([
        "user",
        "link",
        " BOB@example.com",
        "--url",
        "https://fit.example.com/",
    ]));
    assert!(out.status.success(), "{}", text(&out));
    let printed = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let token = printed
        .strip_prefix("https://fit.example.com/set-password?token=")
        .unwrap_or_else(|| panic!("{printed}"));
    assert_eq!(
        stored().await,
        [token_hash(token).await],
        "only the hash is kept"
    );
    assert!(text(&out).contains("works once"), "{}", text(&out));

    // Again: a new link replaces the first; without --url it names SPARKY_BIND.
    let out = run(sparky(&url)
        .args(["user", "link", "bob@example.com"])
        .env_remove("SPARKY_PUBLIC_URL")
        .env("SPARKY_BIND", "192.168.1.5:8080"));
    assert!(out.status.success(), "{}", text(&out));
    let printed = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let second = printed
        .strip_prefix("http://192.168.1.5:8080/set-password?token=")
        .unwrap_or_else(|| panic!("{printed}"));
    assert_ne!(second, token);
    assert_eq!(stored().await, [token_hash(second).await]);

    // --qr also draws it on standard error, for a phone's camera; stdout stays the link alone.
    let out = run(sparky(&url).args([
        "user",
        "link",
        "bob@example.com",
        "--url",
        "https://fit.example.com",
        "--qr",
    ]));
    assert!(out.status.success(), "{}", text(&out));
    let printed = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let third = printed
        .strip_prefix("https://fit.example.com/set-password?token=")
        .unwrap_or_else(|| panic!("{printed}"));
    assert_eq!(stored().await, [token_hash(third).await]);
    assert_eq!(
        scan_terminal_qr(&String::from_utf8_lossy(&out.stderr)),
        printed
    );

    // --send mails it to the account's address as well (and still prints it); without a mail
    // server or a public address it is refused before any link is made.
    let smtp = sparky_testkit::fake_smtp::FakeSmtp::start().await;
    let send = |extra: &[(&str, &str)]| {
        let mut command = sparky(&url);
        command
            .args(["user", "link", "bob@example.com", "--send"])
            .env("SPARKY_SMTP_URL", smtp.url())
            .env("SPARKY_MAIL_FROM", "Sparky <sparky@fit.example.com>")
            .env("SPARKY_PUBLIC_URL", "https://fit.example.com");
        for (k, v) in extra {
            command.env(k, v);
        }
        command
    };
    let out = run(&mut send(&[]));
    assert!(out.status.success(), "{}", text(&out));
    let printed = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let third = printed
        .strip_prefix("https://fit.example.com/set-password?token=")
        .unwrap_or_else(|| panic!("{printed}"))
        .to_string();
    assert!(
        text(&out).contains("mailed to bob@example.com"),
        "{}",
        text(&out)
    );
    let mail = smtp.next_message().await;
    assert_eq!(mail.to, ["bob@example.com"]);
    assert!(mail.body().contains(&printed), "{}", mail.body());
    assert!(
        mail.body().contains("An administrator of"),
        "{}",
        mail.body()
    );
    let third = third.as_str();
    for (extra, says) in [
        (
            &[("SPARKY_SMTP_URL", "")][..],
            "--send needs SPARKY_SMTP_URL",
        ),
        (
            &[("SPARKY_PUBLIC_URL", "")][..],
            "--send needs --url or SPARKY_PUBLIC_URL",
        ),
    ] {
        let out = run(&mut send(extra));
        assert!(!out.status.success(), "{}", text(&out));
        assert!(text(&out).contains(says), "{}", text(&out));
        assert_eq!(stored().await, [token_hash(third).await], "no new link");
    }
    // A refused message: the link was made (and printed), the command says it was not mailed.
    smtp.refuse_next();
    let out = run(&mut send(&[]));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("could not be mailed"), "{}", text(&out));
    let printed = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let third = printed
        .strip_prefix("https://fit.example.com/set-password?token=")
        .unwrap_or_else(|| panic!("{printed}"))
        .to_string();
    let third = third.as_str();

    // Refusals change nothing and exit non-zero.
    for (args, says) in [
        (
            vec!["user", "link", "nobody@example.com"],
            "no account with email",
        ),
        (
            vec![
                "user",
                "link",
                "bob@example.com",
                "--url",
                "fit.example.com",
            ],
            "SPARKY_PUBLIC_URL",
        ),
    ] {
        let out = run(sparky(&url).args(&args));
        assert!(!out.status.success(), "{args:?}");
        assert!(text(&out).contains(says), "{args:?}: {}", text(&out));
    }
    assert!(
        run(sparky(&url).args(["user", "disable", "bob@example.com"]))
            .status
            .success()
    );
    let out = run(sparky(&url).args(["user", "link", "bob@example.com"]));
    assert!(!out.status.success());
    assert!(text(&out).contains("enable it first"), "{}", text(&out));
    assert_eq!(stored().await, [token_hash(third).await]);
}

#[tokio::test]
async fn signups_are_shown_closed_and_reopened() {
    let db = TestDb::new().await;
    let url = db.url();
    let owner = db.owner_client().await;
    let closed = || {
        let owner = &owner;
        async move {
            owner
                .query_one("SELECT signups_closed FROM instance_settings", &[])
                .await
                .unwrap()
                .get::<_, bool>(0)
        }
    };
    let out = run(sparky(&url).args(["user", "signups"]));
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("sign-ups: open"), "{}", text(&out));
    let out = run(sparky(&url).args(["user", "signups", "close"]));
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("sign-ups: closed"), "{}", text(&out));
    assert!(closed().await);
    // The row went (by hand): opening makes it again.
    owner
        .execute("DELETE FROM instance_settings", &[])
        .await
        .unwrap();
    let out = run(sparky(&url).args(["user", "signups", "open"]));
    assert!(out.status.success(), "{}", text(&out));
    assert!(!closed().await);
    let out = run(sparky(&url).args(["user", "signups", "sometimes"]));
    assert!(!out.status.success());
    assert!(!closed().await);
}

/// (Multi-threaded: the fake mail server answers while this thread waits for a command.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_with_link_reads_no_password_and_prints_a_link() {
    let db = TestDb::new().await;
    let url = db.url();
    let owner = db.owner_client().await;
    // Standard input is closed and SPARKY_PASSWORD unset: no password is read.
    let out = run(sparky(&url).args([
        "user",
        "create",
        "cat@example.com",
        "--name",
        "Cat",
        "--link",
        "--url",
        "https://fit.example.com",
        "--qr",
    ]));
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        scan_terminal_qr(&String::from_utf8_lossy(&out.stderr)),
        stdout.lines().nth(1).unwrap(),
        "the QR code is the link"
    );
    let mut lines = stdout.lines();
    let id: Uuid = lines.next().unwrap().parse().expect("the id first");
    let token = lines
        .next()
        .and_then(|l| l.strip_prefix("https://fit.example.com/set-password?token="))
        .unwrap_or_else(|| panic!("{stdout}"))
        .to_string();
    let row = owner
        .query_one(
            "SELECT l.token_hash = encode(sha256($2::text::bytea), 'hex'),
                    l.expires_at > now() + interval '6 days'
             FROM password_links l WHERE l.user_id = $1",
            &[&id, &token],
        )
        .await
        .unwrap();
    assert!(
        row.get::<_, bool>(0),
        "the link's hash is stored with the account"
    );
    assert!(row.get::<_, bool>(1));
    // --url needs --link; a bad address creates nothing.
    let out = run(sparky(&url).args([
        "user",
        "create",
        "dan@example.com",
        "--url",
        "https://x.example",
    ]));
    assert!(!out.status.success());
    let out = run(sparky(&url).args([
        "user",
        "create",
        "dan@example.com",
        "--link",
        "--url",
        "x.example",
    ]));
    assert!(!out.status.success(), "{}", text(&out));
    // --send mails the link to the new account too; without a mail server nothing is created.
    let smtp = sparky_testkit::fake_smtp::FakeSmtp::start().await;
    let create_sending = |email: &str, smtp_url: &str| {
        let mut command = sparky(&url);
        command
            .args(["user", "create", email, "--name", "Eve", "--link", "--send"])
            .env("SPARKY_SMTP_URL", smtp_url)
            .env("SPARKY_MAIL_FROM", "Sparky <sparky@fit.example.com>")
            .env("SPARKY_PUBLIC_URL", "https://fit.example.com");
        command
    };
    let out = run(&mut create_sending("eve@example.com", ""));
    assert!(!out.status.success());
    assert!(
        text(&out).contains("--send needs SPARKY_SMTP_URL"),
        "{}",
        text(&out)
    );
    assert_eq!(count_users(&owner, "eve@example.com").await, 0);
    let out = run(&mut create_sending("eve@example.com", &smtp.url()));
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let link = stdout.lines().nth(1).expect("the link after the id");
    let mail = smtp.next_message().await;
    assert_eq!(mail.to, ["eve@example.com"]);
    assert!(mail.body().starts_with("Hello Eve,"), "{}", mail.body());
    assert!(mail.body().contains(link), "{}", mail.body());
    // --qr draws a link, so it needs --link too.
    let out = run(sparky(&url).args(["user", "create", "dan@example.com", "--qr"]));
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("--link"), "{}", text(&out));
    assert_eq!(count_users(&owner, "dan@example.com").await, 0);
}

/// Reads a QR code drawn with half blocks on a terminal (light modules are the blocks, as
/// `--qr` draws them) back to its text, as a phone's camera would.
fn scan_terminal_qr(stderr: &str) -> String {
    let rows: Vec<Vec<char>> = stderr
        .lines()
        .filter(|l| !l.is_empty() && l.chars().all(|c| " ▀▄█".contains(c)))
        .map(|l| l.chars().collect())
        .collect();
    assert!(rows.len() > 10, "no QR code drawn:\n{stderr}");
    let width = rows[0].len();
    // Each character is two modules, top and bottom; 6 pixels a module.
    let scale = 6;
    let light = |x: usize, y: usize| {
        let c = rows[y / 2].get(x).copied().unwrap_or(' ');
        if y.is_multiple_of(2) {
            c == '▀' || c == '█'
        } else {
            c == '▄' || c == '█'
        }
    };
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(
        width * scale,
        rows.len() * 2 * scale,
        |x, y| if light(x / scale, y / scale) { 255 } else { 0 },
    );
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one code:\n{stderr}");
    grids[0].decode().expect("the code decodes").1
}
